/* The spend cap (issue 16): priced deployments only for what free capacity cannot serve
 * before its deadline, and never more than [budget] max_usd_per_day in a UTC day, under
 * concurrency and across a restart. Simulated providers on the virtual clock count the
 * tokens (as the router estimates them, chars / 4, so the money is exact); a SQLite
 * ledger carries the day's spend over a restart. One behaviour per test. */
#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "llm/router.h"
#include "sim/simprov.h"
#include "store/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define T0 1796083200000LL /* 2026-12-01T00:00Z */
#define MAXD 4

struct fx {
    struct router *r;
    struct store *store;
    char db[128];
    struct provider_config cfg[MAXD];
    struct sim_provider_stats st[MAXD];
    char names[MAXD][16];
    json_t *msgs;
    int done_ok, done_nocap, done_other;
};

static struct fx F;

/* A deployment: rpd 0 = no daily limit; price_in/out in USD per million tokens. */
static void add_dep(int i, long rpd, double price_in, double price_out)
{
    snprintf(F.names[i], sizeof F.names[i], "d%d", i);
    F.cfg[i] = (struct provider_config){.name = F.names[i],
                                        .base_url = "sim",
                                        .api_key_env = "",
                                        .model = "m",
                                        .headers = "none",
                                        .day_reset = "utc",
                                        .rpd = rpd,
                                        .timeout_ms = 30000,
                                        .price_in_per_mtok = price_in,
                                        .price_out_per_mtok = price_out};
    struct sim_provider_params pp = {.latency_mean_ms = 200,
                                     .latency_sd_ms = 1,
                                     .seed = (uint64_t)i + 1,
                                     .rpd = rpd,
                                     .known = 1,
                                     .chars4_tokens = 1,
                                     .style = "none"};
    router_add(F.r, &F.cfg[i], sim_provider_new(F.names[i], "m", &pp, &F.st[i]));
}

static void open_router(void)
{
    F.r = router_new(NULL, F.store);
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    log_set_level(LOG_ERROR);
    clock_use_virtual(T0 + 9 * 3600000LL);
    timer_use_virtual(1);
    snprintf(F.db, sizeof F.db, "/tmp/interviewd-test-spend-%ld.db", (long)getpid());
    unlink(F.db);
    char err[256];
    F.store = store_sqlite_open(F.db, err, sizeof err);
    assert_non_null(F.store);
    open_router();
    /* a prompt of ~4,000 bytes: ~1,000 tokens as the simulated provider counts them */
    char *big = xmalloc(4001);
    memset(big, 'a', 4000);
    for (int i = 0; i < 4000; i += 5)
        big[i] = ' ';
    big[4000] = 0;
    F.msgs = json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content",
                       "interviewd-task: summary v1\nwrite it", "role", "user", "content", big);
    free(big);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    router_free(F.r);
    store_close(F.store);
    unlink(F.db);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", F.db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", F.db);
    unlink(side);
    json_decref(F.msgs);
    timer_use_virtual(0);
    clock_use_real();
    return 0;
}

static void on_done(struct llm_result *res, void *data)
{
    (void)data;
    if (res->status == LLM_OK)
        F.done_ok++;
    else if (res->status == LLM_ERR_NO_CAPACITY)
        F.done_nocap++;
    else
        F.done_other++;
}

static void submit(int64_t deadline_in_ms)
{
    struct llm_request req = {
        .task = "summary", .messages = F.msgs, .max_tokens = 200, .timeout_ms = 30000};
    router_submit(F.r, &req, ROUTER_BACKGROUND, clock_mono_ms() + deadline_in_ms, on_done, NULL);
}

static void run_for(int64_t ms)
{
    int64_t end = clock_mono_ms() + ms;
    for (;;) {
        int64_t t = timer_next_due_ms();
        if (t < 0 || t > end) break;
        clock_set_ms(t);
        timer_run_due();
    }
    clock_set_ms(end);
}

/* What deployment i really charged, in USD: its tokens at its prices. */
static double spent(int i)
{
    return ((double)F.st[i].prompt_tokens * F.cfg[i].price_in_per_mtok +
            (double)F.st[i].completion_tokens * F.cfg[i].price_out_per_mtok) /
           1e6;
}

static void test_spend_free_deployments_first_priced_only_when_they_are_spent(void **state)
{
    (void)state;
    add_dep(0, 5, 0, 0);       /* free: 5 requests a day */
    add_dep(1, 0, 1.00, 4.00); /* priced: $1 / $4 per million tokens */
    router_set_spend_cap(F.r, 10.0);
    for (int i = 0; i < 12; i++)
        submit(60000);
    run_for(120000);
    assert_int_equal(F.st[0].requests, 5); /* the free day, all of it */
    assert_int_equal(F.st[1].requests, 7); /* the rest, paid */
    assert_int_equal(F.done_ok, 12);
    assert_true(spent(1) > 0);
}

static void test_spend_priced_deployment_waits_while_free_quota_returns_in_time(void **state)
{
    (void)state;
    /* free capacity comes back within the deadline (a minute window): no money spent */
    snprintf(F.names[0], sizeof F.names[0], "d0");
    F.cfg[0] = (struct provider_config){.name = F.names[0],
                                        .base_url = "sim",
                                        .api_key_env = "",
                                        .model = "m",
                                        .headers = "none",
                                        .day_reset = "utc",
                                        .rpm = 3,
                                        .timeout_ms = 30000};
    struct sim_provider_params pp = {.latency_mean_ms = 50,
                                     .latency_sd_ms = 1,
                                     .seed = 1,
                                     .rpm = 3,
                                     .known = 1,
                                     .chars4_tokens = 1,
                                     .style = "none"};
    router_add(F.r, &F.cfg[0], sim_provider_new(F.names[0], "m", &pp, &F.st[0]));
    add_dep(1, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 10.0);
    for (int i = 0; i < 6; i++)
        submit(300000);
    run_for(200000);
    assert_int_equal(F.done_ok, 6);
    assert_int_equal(F.st[1].requests, 0);
    assert_int_equal(F.st[0].requests, 6);
}

static void test_spend_cap_zero_never_pays(void **state)
{
    (void)state;
    add_dep(0, 2, 0, 0);
    add_dep(1, 0, 0.10, 0.40);
    router_set_spend_cap(F.r, 0);
    for (int i = 0; i < 6; i++)
        submit(60000);
    run_for(120000);
    assert_int_equal(F.st[1].requests, 0);
    assert_int_equal(F.done_ok, 2);
    assert_int_equal(F.done_nocap, 4);
}

static void test_spend_never_exceeds_the_cap_with_many_calls_in_flight(void **state)
{
    (void)state;
    /* each call: ~1,010 prompt tokens at $1/M + up to 200 completion at $4/M, about
     * $0.0018; the bound reserved before it is ~4,100 bytes * $1/M + 200 * $4/M = $0.0049.
     * A cap of $0.05 and 60 calls submitted at once, all in flight together. */
    add_dep(0, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 0.05);
    for (int i = 0; i < 60; i++)
        submit(60000);
    run_for(120000);
    struct router_spend sp;
    router_spend(F.r, &sp);
    print_message("spent $%.6f (router: $%.6f) in %d calls, %d refused\n", spent(0), sp.today_usd,
                  F.done_ok, F.done_nocap);
    assert_true(spent(0) <= 0.05);
    assert_true(sp.today_usd <= 0.05);
    assert_true(sp.today_usd >= spent(0) - 1e-6); /* the router counted every cent */
    assert_true(F.done_ok >= 10);                 /* the cap was used, not just refused */
    assert_true(F.done_nocap > 0);
    assert_int_equal(F.done_ok + F.done_nocap, 60);
}

static void test_spend_failures_name_the_cap_as_their_cause(void **state)
{
    (void)state;
    /* free: 2 a day; paid within $0.01 (about 2 calls at the bound reserved before each):
     * the calls neither can take fail for the cap, and the router says so */
    add_dep(0, 2, 0, 0);
    add_dep(1, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 0.01);
    for (int i = 0; i < 10; i++)
        submit(60000);
    run_for(120000);
    uint64_t failed[ROUTER_FAIL__COUNT];
    router_failures(F.r, failed);
    assert_true(F.done_nocap > 0);
    assert_int_equal(F.done_ok + F.done_nocap, 10);
    assert_int_equal(failed[ROUTER_FAIL_SPEND_CAP], (uint64_t)F.done_nocap);
    assert_int_equal(failed[ROUTER_FAIL_NO_QUOTA] + failed[ROUTER_FAIL_WAITED], 0);
    assert_string_equal(router_fail_name(ROUTER_FAIL_SPEND_CAP), "spend_cap");
}

static void test_spend_without_a_cap_failures_are_for_quota(void **state)
{
    (void)state;
    add_dep(0, 2, 0, 0);
    add_dep(1, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 0);
    for (int i = 0; i < 5; i++)
        submit(60000);
    run_for(120000);
    uint64_t failed[ROUTER_FAIL__COUNT];
    router_failures(F.r, failed);
    assert_int_equal(F.done_nocap, 3);
    assert_int_equal(failed[ROUTER_FAIL_SPEND_CAP], 0);
    assert_int_equal(failed[ROUTER_FAIL_NO_QUOTA] + failed[ROUTER_FAIL_WAITED], 3);
}

static void test_spend_free_calls_left_leave_the_money_out(void **state)
{
    (void)state;
    /* the engine chooses modes by what the free fleet has left (money buys model scores,
     * not richer interviews): the free count must not include what the cap buys */
    add_dep(0, 100, 0, 0);
    add_dep(1, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 1.0);
    double free_left = router_free_calls_left_today(F.r, 1000);
    double all_left = router_calls_left_today(F.r, 1000);
    assert_true(free_left == 100.0);
    assert_true(all_left > free_left + 100); /* $1 buys hundreds of 1,000-token calls */
}

static void test_spend_a_restart_remembers_todays_spend(void **state)
{
    (void)state;
    add_dep(0, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 0.03);
    for (int i = 0; i < 40; i++)
        submit(60000);
    run_for(120000);
    double first = spent(0);
    int first_ok = F.done_ok;
    assert_true(first > 0.02 && first <= 0.03);
    /* the process stops; a new one starts on the same ledger, the same day */
    router_free(F.r);
    struct sim_provider_stats before = F.st[0];
    memset(&F.st[0], 0, sizeof F.st[0]);
    open_router();
    add_dep(0, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 0.03);
    struct router_spend sp;
    router_spend(F.r, &sp);
    assert_true(sp.today_usd >= first - 1e-6); /* restored from the ledger */
    for (int i = 0; i < 40; i++)
        submit(60000);
    run_for(120000);
    double total = first + spent(0);
    print_message("before the restart $%.6f in %d calls; after, $%.6f in %d more\n", first,
                  first_ok, spent(0), F.done_ok - first_ok);
    assert_true(total <= 0.03);
    (void)before;
    /* the next UTC day starts afresh */
    clock_set_ms(T0 + 24 * 3600000LL + 60000);
    int ok_before = F.done_ok;
    submit(60000);
    run_for(60000);
    assert_int_equal(F.done_ok, ok_before + 1);
}

static void test_spend_shows_in_status_and_metrics(void **state)
{
    (void)state;
    add_dep(0, 0, 1.00, 4.00);
    router_set_spend_cap(F.r, 2.5);
    submit(60000);
    run_for(60000);
    json_t *st = router_status_json(F.r);
    json_t *sp = json_object_get(st, "spend");
    assert_non_null(sp);
    assert_true(json_number_value(json_object_get(sp, "today_usd")) > 0);
    assert_true(json_number_value(json_object_get(sp, "max_usd_per_day")) == 2.5);
    json_decref(st);
    struct sbuf m = {0};
    router_prometheus(F.r, &m);
    assert_non_null(strstr(m.data, "interviewd_spend_usd_today "));
    assert_non_null(strstr(m.data, "interviewd_spend_usd_cap 2.5"));
    sbuf_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_spend_free_deployments_first_priced_only_when_they_are_spent, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_spend_priced_deployment_waits_while_free_quota_returns_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spend_cap_zero_never_pays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spend_never_exceeds_the_cap_with_many_calls_in_flight,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_spend_failures_name_the_cap_as_their_cause, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spend_without_a_cap_failures_are_for_quota, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spend_free_calls_left_leave_the_money_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spend_a_restart_remembers_todays_spend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spend_shows_in_status_and_metrics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
