/* test_cache_redis: the Redis cache backend against a real redis-server, one behaviour
 * per test.
 *
 * Each test starts its own `redis-server --port P --save "" --appendonly no` (P found by
 * binding a socket to port 0 first, since redis-server cannot pick its own), waits until
 * it accepts connections, runs the backend on a fresh event_base, and kills the server in
 * teardown (the child also dies with the test process, through PR_SET_PDEATHSIG). Tests
 * that need a dead, hung or late server kill, SIGSTOP or start it themselves.
 *
 * If redis-server is not installed the tests FAIL, with a message saying so: CI installs
 * it, and a cache test that silently skips there would hide a broken backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "optimize/cache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
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

/* ---- the fixture: one server, one loop, one Redis cache ---- */

struct fx {
    struct redis_proc redis; /* the server */
    struct event_base *base; /* the loop the cache runs on */
    struct event *tick;      /* 10 ms heartbeat so loop turns end and deadlines are checked */
    struct cache *c;         /* Redis cache on db 0, or NULL once a test destroyed it */
    char url[64];            /* redis://127.0.0.1:port/0 */
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* Runs the loop until pred(arg) or timeout_ms of real time; returns pred's last value. */
static int run_until(struct fx *f, int (*pred)(void *), void *arg, int64_t timeout_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    while (!pred(arg)) {
        if (clock_mono_ms() > deadline) return 0;
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    return 1;
}

static int never(void *arg)
{
    (void)arg;
    return 0;
}

static void run_for(struct fx *f, int64_t ms)
{
    run_until(f, never, NULL, ms);
}

static int is_connected(void *arg)
{
    struct cache_stats st;
    cache_stats(arg, &st);
    return st.connected;
}

static int is_disconnected(void *arg)
{
    return !is_connected(arg);
}

static struct event_base *new_base(struct event **tick)
{
    struct event_base *base = event_base_new();
    assert_non_null(base);
    *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, 10000};
    event_add(*tick, &tv);
    return base;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    *state = f;
    redis_start(&f->redis, free_port(), NULL);
    f->base = new_base(&f->tick);
    snprintf(f->url, sizeof f->url, "redis://127.0.0.1:%d/0", f->redis.port);
    char err[256];
    f->c = cache_redis_new(f->base, f->url, err, sizeof err);
    if (!f->c) fail_msg("cache_redis_new: %s", err);
    if (!run_until(f, is_connected, f->c, 3000)) fail_msg("no connection to %s in 3 s", f->url);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (!f) return 0;
    cache_destroy(f->c);
    if (f->tick) event_free(f->tick);
    if (f->base) event_base_free(f->base);
    redis_kill(&f->redis);
    free(f);
    return 0;
}

/* ---- a get callback that records what it was told ---- */

struct got {
    int calls;       /* times the callback ran */
    int hit;         /* last call had a value */
    char value[256]; /* last value (truncated), NUL-terminated */
    size_t len;      /* last value's length */
};

static void on_get(const char *value, size_t len, void *data)
{
    struct got *g = data;
    g->calls++;
    g->hit = value != NULL;
    g->len = len;
    g->value[0] = 0;
    if (value) {
        size_t n = len < sizeof g->value - 1 ? len : sizeof g->value - 1;
        memcpy(g->value, value, n);
        g->value[n] = 0;
    }
}

static int answered(void *arg)
{
    return ((struct got *)arg)->calls > 0;
}

/* Gets key and runs the loop until the answer; the Redis backend never answers inside
 * cache_get() itself. */
static struct got get_async(struct fx *f, struct cache *c, const char *key)
{
    struct got g = {0};
    cache_get(c, key, on_get, &g);
    assert_int_equal(g.calls, 0);
    if (!run_until(f, answered, &g, 3000)) fail_msg("no answer for %s within 3 s", key);
    assert_int_equal(g.calls, 1);
    return g;
}

/* A set is fire-and-forget; a get after it on the same connection sees it (Redis runs
 * one connection's commands in order). */
static void set_str(struct cache *c, const char *key, const char *value, int64_t ttl_ms)
{
    assert_int_equal(cache_set(c, key, value, strlen(value), ttl_ms), CACHE_OK);
}

/* ---- tests ---- */

static void test_redis_set_then_get_hits_on_the_loop(void **state)
{
    struct fx *f = *state;
    set_str(f->c, "iv:test:k1", "hello redis", 10000);
    struct got g = get_async(f, f->c, "iv:test:k1");
    assert_true(g.hit);
    assert_string_equal(g.value, "hello redis");
    assert_int_equal(g.len, 11);
    struct cache_stats st;
    cache_stats(f->c, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.sets, 1);
}

static void test_redis_stores_binary_values(void **state)
{
    struct fx *f = *state;
    const char bin[6] = {'x', 0, 'y', '\r', '\n', 'z'};
    assert_int_equal(cache_set(f->c, "bin", bin, sizeof bin, 10000), CACHE_OK);
    struct got g = get_async(f, f->c, "bin");
    assert_true(g.hit);
    assert_int_equal(g.len, 6);
    assert_memory_equal(g.value, bin, 6);
}

static void test_redis_missing_key_misses(void **state)
{
    struct fx *f = *state;
    struct got g = get_async(f, f->c, "iv:test:absent");
    assert_false(g.hit);
    struct cache_stats st;
    cache_stats(f->c, &st);
    assert_int_equal(st.misses, 1);
}

static void test_redis_value_expires_after_px_ttl(void **state)
{
    struct fx *f = *state;
    set_str(f->c, "short", "lived", 200);
    assert_true(get_async(f, f->c, "short").hit);
    run_for(f, 300);
    assert_false(get_async(f, f->c, "short").hit);
}

static void test_redis_del_forgets_key(void **state)
{
    struct fx *f = *state;
    set_str(f->c, "k", "v", 10000);
    assert_int_equal(cache_del(f->c, "k"), CACHE_OK);
    assert_false(get_async(f, f->c, "k").hit);
}

static void test_redis_db_number_in_url_is_selected(void **state)
{
    struct fx *f = *state;
    char url[64], err[256];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/3", f->redis.port);
    struct cache *db3 = cache_redis_new(f->base, url, err, sizeof err);
    assert_non_null(db3);
    assert_true(run_until(f, is_connected, db3, 3000));
    set_str(db3, "in-db3", "x", 10000);
    assert_true(get_async(f, db3, "in-db3").hit);
    assert_false(get_async(f, f->c, "in-db3").hit); /* f->c is on db 0 */
    cache_destroy(db3);
}

static void test_redis_connection_loss_gives_misses_then_reconnects(void **state)
{
    struct fx *f = *state;
    set_str(f->c, "k", "before", 60000);
    assert_true(get_async(f, f->c, "k").hit);

    int port = f->redis.port;
    redis_kill(&f->redis);
    assert_true(run_until(f, is_disconnected, f->c, 3000));

    /* Down: gets miss (on the loop, not inside cache_get), writes are dropped, nothing
     * blocks and nothing crashes. */
    int64_t t0 = clock_mono_ms();
    for (int i = 0; i < 100; i++)
        assert_false(get_async(f, f->c, "k").hit);
    assert_int_equal(cache_set(f->c, "k", "during", 6, 60000), CACHE_ERR_DISCONNECTED);
    assert_int_equal(cache_del(f->c, "k"), CACHE_ERR_DISCONNECTED);
    assert_true(clock_mono_ms() - t0 < 1000);
    struct cache_stats st;
    cache_stats(f->c, &st);
    assert_int_equal(st.dropped, 2);
    assert_true(st.misses >= 100);

    /* Back: the backoff timer reconnects by itself. */
    redis_start(&f->redis, port, NULL);
    if (!run_until(f, is_connected, f->c, CACHE_REDIS_BACKOFF_MAX_MS + 3000))
        fail_msg("no reconnect within %d ms of the server's return",
                 CACHE_REDIS_BACKOFF_MAX_MS + 3000);
    set_str(f->c, "k", "after", 60000);
    struct got g = get_async(f, f->c, "k");
    assert_true(g.hit);
    assert_string_equal(g.value, "after");
    cache_stats(f->c, &st);
    assert_int_equal(st.reconnects, 1);
}

static void test_redis_pending_gets_miss_when_the_server_dies(void **state)
{
    struct fx *f = *state;
    kill(f->redis.pid, SIGSTOP); /* the GET is sent but not answered */
    struct got g = {0};
    cache_get(f->c, "k", on_get, &g);
    run_for(f, 50);
    assert_int_equal(g.calls, 0);
    redis_kill(&f->redis); /* SIGKILL works on a stopped process; the socket closes */
    assert_true(run_until(f, answered, &g, 3000));
    assert_false(g.hit);
}

static void test_redis_get_times_out_when_the_server_hangs(void **state)
{
    struct fx *f = *state;
    kill(f->redis.pid, SIGSTOP);
    int64_t t0 = clock_mono_ms();
    struct got g = {0};
    cache_get(f->c, "k", on_get, &g);
    assert_true(run_until(f, answered, &g, 3000));
    int64_t waited = clock_mono_ms() - t0;
    assert_false(g.hit);
    assert_true(waited >= CACHE_REDIS_GET_TIMEOUT_MS - 20);
    assert_true(waited < CACHE_REDIS_GET_TIMEOUT_MS + 1000);
    struct cache_stats st;
    cache_stats(f->c, &st);
    assert_int_equal(st.timeouts, 1);
    kill(f->redis.pid, SIGCONT);
    run_for(f, 100); /* the late reply arrives and is only freed */
    assert_int_equal(g.calls, 1);
    assert_true(get_async(f, f->c, "k").calls == 1);
}

static void test_redis_down_at_start_connects_when_it_comes_up(void **state)
{
    struct fx *f = *state;
    int port = free_port();
    char url[64], err[256];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    struct cache *c = cache_redis_new(f->base, url, err, sizeof err);
    assert_non_null(c); /* a server that is down is retried, not an error */
    assert_false(get_async(f, c, "k").hit);
    assert_int_equal(cache_set(c, "k", "v", 1, 1000), CACHE_ERR_DISCONNECTED);
    struct redis_proc late = {0};
    redis_start(&late, port, NULL);
    int up = run_until(f, is_connected, c, CACHE_REDIS_BACKOFF_MAX_MS + 3000);
    if (up) {
        set_str(c, "k", "v", 10000);
        up = get_async(f, c, "k").hit;
    }
    cache_destroy(c);
    redis_kill(&late);
    assert_true(up);
}

static void test_redis_destroy_answers_pending_gets(void **state)
{
    struct fx *f = *state;
    struct got g = {0};
    cache_get(f->c, "k", on_get, &g);
    assert_int_equal(g.calls, 0);
    cache_destroy(f->c);
    f->c = NULL;
    assert_int_equal(g.calls, 1);
    assert_false(g.hit);
}

static void test_redis_password_in_url_authenticates(void **state)
{
    struct fx *f = *state;
    struct redis_proc locked = {0};
    redis_start(&locked, free_port(), "s3cret");
    char url[96], err[256];
    snprintf(url, sizeof url, "redis://:s3cret@127.0.0.1:%d/2", locked.port);
    struct cache *c = cache_redis_new(f->base, url, err, sizeof err);
    assert_non_null(c);
    int ok = run_until(f, is_connected, c, 3000);
    if (ok) {
        set_str(c, "k", "behind a password", 10000);
        ok = get_async(f, c, "k").hit;
    }
    cache_destroy(c);
    redis_kill(&locked);
    assert_true(ok);
}

static void test_redis_wrong_password_never_connects_and_backs_off(void **state)
{
    struct fx *f = *state;
    struct redis_proc locked = {0};
    redis_start(&locked, free_port(), "right");
    char url[96], err[256];
    snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%d", locked.port);
    struct cache *c = cache_redis_new(f->base, url, err, sizeof err);
    assert_non_null(c);
    int ever = run_until(f, is_connected, c, 1000);
    struct cache_stats st;
    cache_stats(c, &st);
    enum cache_err e = cache_set(c, "k", "v", 1, 1000);
    cache_destroy(c);
    redis_kill(&locked);
    assert_false(ever);
    assert_int_equal(e, CACHE_ERR_DISCONNECTED);
    /* One refused AUTH per attempt; backoff 100, 200, 400 ms allows about 4 in 1 s. */
    assert_true(st.errors >= 1 && st.errors <= 6);
}

static void test_redis_bad_url_is_refused_with_a_sentence(void **state)
{
    struct fx *f = *state;
    static const char *bad[] = {
        "http://127.0.0.1:6379",  "redis://",
        "redis://127.0.0.1:0",    "redis://127.0.0.1:99999",
        "redis://127.0.0.1:x",    "redis://127.0.0.1/db",
        "redis://user@127.0.0.1", NULL,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        struct cache *c = cache_redis_new(f->base, bad[i], err, sizeof err);
        if (c) fail_msg("accepted bad URL %s", bad[i] ? bad[i] : "(null)");
        assert_non_null(strstr(err, "redis://"));
    }
}

static void test_redis_unresolvable_host_is_refused(void **state)
{
    struct fx *f = *state;
    char err[256] = "";
    assert_null(cache_redis_new(f->base, "redis://no-such-host.invalid:6379", err, sizeof err));
    assert_non_null(strstr(err, "does not resolve"));
}

static void test_tiered_l2_hit_fills_l1(void **state)
{
    struct fx *f = *state;
    char err[256];
    struct cache *l2 = cache_redis_new(f->base, f->url, err, sizeof err);
    assert_non_null(l2);
    assert_true(run_until(f, is_connected, l2, 3000));
    struct cache *l1 = cache_memory_new(1 << 20, 4);
    struct cache *t = cache_tiered_new(l1, l2);
    set_str(f->c, "shared", "written by another instance", 60000);
    assert_true(get_async(f, f->c, "shared").hit); /* the SET has reached the server */
    struct got g = get_async(f, t, "shared");      /* L1 misses, L2 answers on the loop */
    assert_true(g.hit);
    assert_string_equal(g.value, "written by another instance");
    struct got g1 = {0};
    cache_get(l1, "shared", on_get, &g1); /* memory: answered synchronously */
    assert_int_equal(g1.calls, 1);
    assert_true(g1.hit);
    struct got g2 = {0};
    cache_get(t, "shared", on_get, &g2); /* now an L1 hit: no round trip */
    assert_int_equal(g2.calls, 1);
    assert_true(g2.hit);
    cache_destroy(t);
}

static void test_open_tiered_from_config_shares_through_redis(void **state)
{
    struct fx *f = *state;
    char err[256];
    struct cache *t = cache_open("tiered", f->url, 1 << 20, f->base, err, sizeof err);
    if (!t) fail_msg("cache_open: %s", err);
    assert_true(run_until(f, is_connected, t, 3000)); /* tiered reports l2's connection */
    set_str(t, "k", "via tiered", 60000);
    /* Another client sees it in Redis once t's connection has flushed the SET; the two
     * connections are not ordered with each other, so poll briefly. */
    int seen = 0;
    for (int i = 0; i < 100 && !seen; i++) {
        seen = get_async(f, f->c, "k").hit;
        if (!seen) run_for(f, 10);
    }
    cache_destroy(t);
    assert_true(seen);
}

static void test_tiered_keeps_serving_l1_while_redis_is_down(void **state)
{
    struct fx *f = *state;
    char err[256];
    struct cache *l2 = cache_redis_new(f->base, f->url, err, sizeof err);
    assert_true(run_until(f, is_connected, l2, 3000));
    struct cache *t = cache_tiered_new(cache_memory_new(1 << 20, 4), l2);
    set_str(t, "k", "v", 60000);
    redis_kill(&f->redis);
    assert_true(run_until(f, is_disconnected, l2, 3000));
    struct got g = {0};
    cache_get(t, "k", on_get, &g);
    assert_int_equal(g.calls, 1);
    assert_true(g.hit);
    /* A set still lands in L1 and counts as accepted. */
    assert_int_equal(cache_set(t, "k2", "v2", 2, 60000), CACHE_OK);
    cache_destroy(t);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_redis_set_then_get_hits_on_the_loop),
        T(test_redis_stores_binary_values),
        T(test_redis_missing_key_misses),
        T(test_redis_value_expires_after_px_ttl),
        T(test_redis_del_forgets_key),
        T(test_redis_db_number_in_url_is_selected),
        T(test_redis_connection_loss_gives_misses_then_reconnects),
        T(test_redis_pending_gets_miss_when_the_server_dies),
        T(test_redis_get_times_out_when_the_server_hangs),
        T(test_redis_down_at_start_connects_when_it_comes_up),
        T(test_redis_destroy_answers_pending_gets),
        T(test_redis_password_in_url_authenticates),
        T(test_redis_wrong_password_never_connects_and_backs_off),
        T(test_redis_bad_url_is_refused_with_a_sentence),
        T(test_redis_unresolvable_host_is_refused),
        T(test_tiered_l2_hit_fills_l1),
        T(test_open_tiered_from_config_shares_through_redis),
        T(test_tiered_keeps_serving_l1_while_redis_is_down),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
