/* test_quota_share: fleet-wide quota windows (llm/quota_share.h) against a real
 * redis-server, one behaviour per test.
 *
 * Each test starts its own `redis-server --port P --save "" --appendonly no` (P from
 * binding port 0 first), and runs two quota_share handles, two "instances" of one
 * fleet with expected_instances = 2, on one event_base: whatever order their calls
 * come in, the fleet's takes must stay within each limit. Tests that need Redis gone
 * kill (or SIGSTOP) it and start it again on the same port, without persistence, so a
 * restarted Redis has forgotten everything and must be repaired by the instances.
 *
 * The global counts are read with a plain synchronous hiredis client from the key
 * layout quota_share.h documents.
 *
 * If redis-server is not installed the tests FAIL, saying so: CI installs it, and a
 * test that silently skips there would hide a broken fleet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "llm/quota.h"
#include "llm/quota_share.h"
#include "llm/router.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "redis_harness.h"

/* ---- the fixture: one server, one loop, two instances ---- */

struct fx {
    struct redis_proc redis;   /* the server */
    struct event_base *base;   /* the loop both instances run on */
    struct event *tick;        /* 10 ms heartbeat so loop turns end */
    struct quota_share *a, *b; /* two instances of one fleet, expected_instances = 2 */
    int wakes;                 /* wake callbacks received (either instance) */
    char url[64];              /* redis://127.0.0.1:port */
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static void on_wake(void *data)
{
    ((struct fx *)data)->wakes++;
}

static int run_until(struct fx *f, int (*pred)(struct fx *), int64_t timeout_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    while (!pred(f)) {
        if (clock_mono_ms() > deadline) return 0;
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    return 1;
}

static int never(struct fx *f)
{
    (void)f;
    return 0;
}

static void run_for(struct fx *f, int64_t ms)
{
    run_until(f, never, ms);
}

static int both_connected(struct fx *f)
{
    return quota_share_connected(f->a) && quota_share_connected(f->b);
}

static int both_on_fallback(struct fx *f)
{
    return quota_share_on_fallback(f->a) && quota_share_on_fallback(f->b);
}

static struct quota_share *new_share(struct fx *f, const char *url)
{
    char err[256];
    struct quota_share *qs = quota_share_new(f->base, url, 2, err, sizeof err);
    if (!qs) fail_msg("quota_share_new(%s): %s", url, err);
    quota_share_set_wake(qs, on_wake, f);
    return qs;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    *state = f;
    redis_start(&f->redis, free_port(), NULL);
    f->base = event_base_new();
    f->tick = event_new(f->base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, 10000};
    event_add(f->tick, &tv);
    snprintf(f->url, sizeof f->url, "redis://127.0.0.1:%d", f->redis.port);
    f->a = new_share(f, f->url);
    f->b = new_share(f, f->url);
    if (!run_until(f, both_connected, 3000)) fail_msg("no connection to %s in 3 s", f->url);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (!f) return 0;
    quota_share_free(f->a);
    quota_share_free(f->b);
    event_free(f->tick);
    event_base_free(f->base);
    redis_kill(&f->redis);
    free(f);
    return 0;
}

/* ---- helpers ---- */

/* One attempt by one instance: can_take, and take if it may. Returns 1 if it took. */
static int try_take(struct quota_share *qs, const char *dep, const struct quota_limits *lim,
                    long est)
{
    int64_t now = clock_now_ms();
    if (!quota_share_can_take(qs, dep, lim, now, est)) return 0;
    quota_share_take(qs, dep, lim, now, est);
    return 1;
}

/* Both instances try as often as they like for ms, in an order drawn from seed (each
 * attempt then one loop turn), counting their takes in *na and *nb; fails the moment
 * the sum passes max. */
static void race(struct fx *f, const char *dep, const struct quota_limits *lim, long est,
                 unsigned seed, int64_t ms, long max, long *na, long *nb)
{
    int64_t end = clock_mono_ms() + ms;
    while (clock_mono_ms() < end) {
        int burst = (int)(rand_r(&seed) % 4) + 1; /* 1..4 attempts in a row, same loop turn */
        for (int i = 0; i < burst; i++) {
            if (rand_r(&seed) % 2)
                *na += try_take(f->a, dep, lim, est);
            else
                *nb += try_take(f->b, dep, lim, est);
            if (*na + *nb > max) fail_msg("%s: instances took %ld + %ld > %ld", dep, *na, *nb, max);
        }
        if (rand_r(&seed) % 3)
            event_base_loop(f->base, EVLOOP_ONCE);
        else
            event_base_loop(f->base, EVLOOP_NONBLOCK);
    }
}

/* The fleet's day counts in Redis for dep (UTC day): sum of every instance's fields. */
static void redis_day(struct fx *f, const char *dep, long *req, long *tok)
{
    char iso[32], key[256];
    int64_t day = quota_day_start_ms(QUOTA_TZ_UTC, clock_now_ms());
    clock_format_iso(day + 12LL * 3600 * 1000, iso, sizeof iso);
    snprintf(key, sizeof key, "%s{%s}:d:%.10s", QUOTA_SHARE_KEY_PREFIX, dep, iso);
    redisContext *c = redisConnect("127.0.0.1", f->redis.port);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisReply *r = redisCommand(c, "HGETALL %s", key);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    *req = *tok = 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *field = r->element[i]->str;
        long v = strtol(r->element[i + 1]->str, NULL, 10);
        size_t n = strlen(field);
        if (n >= 2 && strcmp(field + n - 2, ":r") == 0)
            *req += v;
        else
            *tok += v;
    }
    freeReplyObject(r);
    redisFree(c);
}

/* Takes greedily with both instances for ms; returns what each took. */
static void drain(struct fx *f, const char *dep, const struct quota_limits *lim, int64_t ms,
                  long max, long *na, long *nb)
{
    race(f, dep, lim, 100, 7, ms, max, na, nb);
}

/* ---- tests ---- */

static void test_two_instances_never_exceed_rpd_however_they_interleave(void **state)
{
    struct fx *f = *state;
    const struct quota_limits lim = {.rpd = 20};
    for (unsigned seed = 1; seed <= 3; seed++) {
        char dep[32];
        snprintf(dep, sizeof dep, "rpd20-seed%u", seed);
        long na = 0, nb = 0;
        race(f, dep, &lim, 100, seed, 2000, 20, &na, &nb);
        print_message("%s: a took %ld, b took %ld\n", dep, na, nb);
        assert_int_equal(na + nb, 20); /* and the whole day was usable */
        long req, tok;
        run_for(f, QUOTA_SHARE_REFRESH_MS + 200); /* both synced */
        redis_day(f, dep, &req, &tok);
        assert_int_equal(req, 20);
    }
    assert_true(f->wakes > 0); /* refused calls were told when a lease came */
}

static void test_two_instances_never_exceed_rpm(void **state)
{
    struct fx *f = *state;
    const struct quota_limits lim = {.rpm = 6};
    long na = 0, nb = 0;
    race(f, "rpm6", &lim, 100, 42, 3000, 6, &na, &nb);
    print_message("rpm6: a took %ld, b took %ld\n", na, nb);
    assert_int_equal(na + nb, 6);
}

static void test_two_instances_never_exceed_tpd_and_settled_refunds_are_reused(void **state)
{
    struct fx *f = *state;
    /* 4000 tokens a day; every call is estimated at 1000 and really uses 500: settling
     * must give the difference back to the fleet, so more than 4 calls happen. */
    const struct quota_limits lim = {.tpd = 4000};
    long calls = 0, used = 0;
    int64_t end = clock_mono_ms() + 3000;
    unsigned seed = 5;
    while (clock_mono_ms() < end) {
        struct quota_share *qs = rand_r(&seed) % 2 ? f->a : f->b;
        int64_t now = clock_now_ms();
        if (quota_share_can_take(qs, "tpd4000", &lim, now, 1000)) {
            quota_share_take(qs, "tpd4000", &lim, now, 1000);
            quota_share_settle(qs, "tpd4000", &lim, now, now, 1000, 500);
            calls++;
            used += 500;
        }
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    print_message("tpd4000: %ld calls, %ld tokens\n", calls, used);
    assert_true(used <= 4000);
    assert_true(calls > 4);
    long req, tok;
    run_for(f, QUOTA_SHARE_REFRESH_MS + 200);
    redis_day(f, "tpd4000", &req, &tok);
    assert_int_equal(tok, used); /* after the syncs, the fleet's day is exactly what was used */
}

/* Issue 16: the spend cap is a window like these (llm/router.h, ROUTER_SPEND_WINDOW): a
 * "day's tokens" limit counted in micro-USD. Two instances reserve an upper bound of each
 * call's cost and settle what it really cost: together they never spend more than the
 * cap, and what settling gives back is spent again. */
static void test_two_instances_never_exceed_the_spend_cap(void **state)
{
    struct fx *f = *state;
    const struct quota_limits cap = {.tpd = 50000}; /* $0.05 a day */
    long calls = 0, spent = 0;
    int64_t end = clock_mono_ms() + 3000;
    unsigned seed = 11;
    while (clock_mono_ms() < end) {
        struct quota_share *qs = rand_r(&seed) % 2 ? f->a : f->b;
        int64_t now = clock_now_ms();
        if (quota_share_can_take(qs, ROUTER_SPEND_WINDOW, &cap, now, 4900)) {
            quota_share_take(qs, ROUTER_SPEND_WINDOW, &cap, now, 4900);
            long actual = 1500 + (long)(rand_r(&seed) % 300);
            quota_share_settle(qs, ROUTER_SPEND_WINDOW, &cap, now, now, 4900, actual);
            calls++;
            spent += actual;
            assert_true(spent <= 50000);
        }
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    print_message("spend cap $0.05: %ld calls, $%.6f spent\n", calls, (double)spent / 1e6);
    assert_true(calls > 50000 / 4900); /* the settled refunds were spent again */
    long req, tok;
    run_for(f, QUOTA_SHARE_REFRESH_MS + 200);
    redis_day(f, ROUTER_SPEND_WINDOW, &req, &tok);
    assert_int_equal(tok, spent); /* the fleet's day in Redis is what was spent */
}

static void test_redis_killed_both_fall_back_to_half_and_never_exceed_the_limit(void **state)
{
    struct fx *f = *state;
    const struct quota_limits lim = {.rpd = 20};
    long na = 0, nb = 0;
    /* 4 each through Redis */
    while (na < 4 || nb < 4) {
        if (na < 4) na += try_take(f->a, "kill20", &lim, 100);
        if (nb < 4) nb += try_take(f->b, "kill20", &lim, 100);
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    run_for(f, QUOTA_SHARE_REFRESH_MS + 200); /* both know the fleet used 8 */
    redis_kill(&f->redis);
    if (!run_until(f, both_on_fallback, 3000)) fail_msg("no fallback within 3 s of the kill");
    drain(f, "kill20", &lim, 1500, 20, &na, &nb);
    print_message("kill20: a %ld, b %ld\n", na, nb);
    assert_int_equal(na, 10); /* 4 + (20 - 8) / 2 */
    assert_int_equal(nb, 10);
}

static void test_redis_restarted_local_usage_is_reconciled(void **state)
{
    struct fx *f = *state;
    const struct quota_limits lim = {.rpd = 20};
    long na = 0, nb = 0;
    while (na < 3 || nb < 1) {
        if (na < 3) na += try_take(f->a, "restart20", &lim, 100);
        if (nb < 1) nb += try_take(f->b, "restart20", &lim, 100);
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    run_for(f, QUOTA_SHARE_REFRESH_MS + 200);
    int port = f->redis.port;
    redis_kill(&f->redis);
    if (!run_until(f, both_on_fallback, 3000)) fail_msg("no fallback within 3 s of the kill");
    /* two more each on the fallback share (a may reach 3 + 8, b 1 + 8) */
    for (int i = 0; i < 2; i++) {
        assert_true(try_take(f->a, "restart20", &lim, 100));
        assert_true(try_take(f->b, "restart20", &lim, 100));
    }
    na += 2;
    nb += 2;
    /* Redis comes back empty (no persistence): the instances must repair it. */
    redis_start(&f->redis, port, NULL);
    if (!run_until(f, both_connected, 5000)) fail_msg("no reconnect within 5 s");
    run_for(f, QUOTA_SHARE_REFRESH_MS + 200);
    long req, tok;
    redis_day(f, "restart20", &req, &tok);
    assert_int_equal(req, na + nb); /* 5 + 3: the fleet's counter includes the outage */
    /* the day that saw the outage stays on the fallback caps: a min(10, 3 + 16 / 2),
     * b min(10, 1 + 16 / 2) */
    drain(f, "restart20", &lim, 1500, 20, &na, &nb);
    print_message("restart20: a %ld, b %ld\n", na, nb);
    assert_int_equal(na, 10);
    assert_int_equal(nb, 9);
    run_for(f, QUOTA_SHARE_REFRESH_MS + 200);
    redis_day(f, "restart20", &req, &tok);
    assert_int_equal(req, 19);
}

static void test_an_idle_instance_learns_the_fleets_usage_at_once(void **state)
{
    struct fx *f = *state;
    /* b has seen the deployment, then idles; a spends 12 of 20 and Redis dies at once,
     * before b's next sync. b knows of a's calls from the usage channel, so its fallback
     * share is what is left (20 - 12 - its own idle lease of 1) / 2 = 3, not 10. */
    const struct quota_limits lim = {.rpd = 20};
    long na = 0, nb = 0;
    quota_share_can_take(f->b, "idle20", &lim, clock_now_ms(), 100);
    run_for(f, 100);
    while (na < 12) {
        na += try_take(f->a, "idle20", &lim, 100);
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    run_for(f, 50); /* the last message arrives; not long enough for a sync */
    redis_kill(&f->redis);
    if (!run_until(f, both_on_fallback, 3000)) fail_msg("no fallback within 3 s of the kill");
    drain(f, "idle20", &lim, 1000, 20, &na, &nb);
    print_message("idle20: a %ld, b %ld\n", na, nb);
    assert_int_equal(na, 12); /* already past 20 / 2 */
    assert_int_equal(nb, 3);
}

static void test_redis_never_reachable_each_instance_gets_half(void **state)
{
    struct fx *f = *state;
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", free_port()); /* nobody listens */
    struct quota_share *a = new_share(f, url), *b = new_share(f, url);
    const struct quota_limits lim = {.rpd = 20, .rpm = 8};
    /* within the start-up grace calls wait for Redis */
    assert_false(quota_share_can_take(a, "never", &lim, clock_now_ms(), 100));
    int64_t t0 = clock_mono_ms();
    while (!(quota_share_on_fallback(a) && quota_share_on_fallback(b)) &&
           clock_mono_ms() - t0 < 5000)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_true(quota_share_on_fallback(a) && quota_share_on_fallback(b));
    assert_true(clock_mono_ms() - t0 >= QUOTA_SHARE_STARTUP_GRACE_MS - 200);
    long na = 0, nb = 0;
    for (int i = 0; i < 30; i++) {
        na += try_take(a, "never", &lim, 100);
        nb += try_take(b, "never", &lim, 100);
    }
    assert_int_equal(na, 4); /* rpm 8 / 2 binds first */
    assert_int_equal(nb, 4);
    quota_share_free(a);
    quota_share_free(b);
}

static void test_hung_redis_is_dropped_and_the_fallback_serves(void **state)
{
    struct fx *f = *state;
    const struct quota_limits lim = {.rpd = 20};
    long na = 0, nb = 0;
    while (na < 1 || nb < 1) {
        if (na < 1) na += try_take(f->a, "hung20", &lim, 100);
        if (nb < 1) nb += try_take(f->b, "hung20", &lim, 100);
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    kill(f->redis.pid, SIGSTOP);
    int64_t t0 = clock_mono_ms();
    if (!run_until(f, both_on_fallback, 5000)) fail_msg("a hung Redis was not dropped in 5 s");
    int64_t took = clock_mono_ms() - t0;
    print_message("hung: fallback after %lld ms\n", (long long)took);
    assert_true(took <= QUOTA_SHARE_REFRESH_MS + QUOTA_SHARE_REPLY_TIMEOUT_MS + 1000);
    drain(f, "hung20", &lim, 500, 20, &na, &nb);
    assert_true(na <= 10 && nb <= 10);
    assert_true(na > 1 && nb > 1); /* still serving */
    kill(f->redis.pid, SIGCONT);
    if (!run_until(f, both_connected, 5000)) fail_msg("no reconnect after SIGCONT");
}

static void test_bad_url_is_refused_with_a_sentence(void **state)
{
    struct fx *f = *state;
    char err[256] = "";
    assert_null(quota_share_new(f->base, "http://127.0.0.1:6379", 2, err, sizeof err));
    assert_non_null(strstr(err, "[redis] url"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_two_instances_never_exceed_rpd_however_they_interleave),
        T(test_two_instances_never_exceed_rpm),
        T(test_two_instances_never_exceed_tpd_and_settled_refunds_are_reused),
        T(test_two_instances_never_exceed_the_spend_cap),
        T(test_redis_killed_both_fall_back_to_half_and_never_exceed_the_limit),
        T(test_redis_restarted_local_usage_is_reconciled),
        T(test_an_idle_instance_learns_the_fleets_usage_at_once),
        T(test_redis_never_reachable_each_instance_gets_half),
        T(test_hung_redis_is_dropped_and_the_fallback_serves),
        T(test_bad_url_is_refused_with_a_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
