/* Router: choosing, quotas, the wait queue and deadlines, over simulated providers on
 * the virtual clock (no sockets). One behaviour per test. */
#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "llm/quota.h"
#include "llm/router.h"
#include "sim/simprov.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T0 1796083200000LL /* 2026-12-01T00:00Z */
#define MAXD 4

struct fx {
    struct router *r;
    struct provider_config cfg[MAXD];
    struct sim_provider_stats st[MAXD];
    char names[MAXD][16];
    json_t *msgs;
    int done_ok, done_nocap, done_other;
    int order[64]; /* priorities in completion order */
    int n_order;
    int64_t last_done_mono; /* clock_mono_ms() of the last completion */
};

static struct fx F;

static void add_dep(int i, long rpm, long rpd, long latency_ms)
{
    snprintf(F.names[i], sizeof F.names[i], "d%d", i);
    F.cfg[i] = (struct provider_config){.name = F.names[i],
                                        .base_url = "sim",
                                        .api_key_env = "",
                                        .model = "m",
                                        .headers = "none",
                                        .day_reset = "utc",
                                        .rpm = rpm,
                                        .rpd = rpd,
                                        .timeout_ms = 30000};
    struct sim_provider_params pp = {.latency_mean_ms = (double)latency_ms,
                                     .latency_sd_ms = 1,
                                     .seed = (uint64_t)i + 1,
                                     .rpm = rpm,
                                     .rpd = rpd,
                                     .known = 1,
                                     .style = "none"};
    router_add(F.r, &F.cfg[i], sim_provider_new(F.names[i], "m", &pp, &F.st[i]));
}

/* A deployment with only a TPM limit and the given token_margin_pct. */
static void add_dep_tpm(int i, long tpm, long margin_pct)
{
    snprintf(F.names[i], sizeof F.names[i], "d%d", i);
    F.cfg[i] = (struct provider_config){.name = F.names[i],
                                        .base_url = "sim",
                                        .api_key_env = "",
                                        .model = "m",
                                        .headers = "none",
                                        .day_reset = "utc",
                                        .tpm = tpm,
                                        .timeout_ms = 30000,
                                        .token_margin_pct = margin_pct};
    struct sim_provider_params pp = {.latency_mean_ms = 10,
                                     .latency_sd_ms = 1,
                                     .seed = (uint64_t)i + 1,
                                     .tpm = tpm,
                                     .known = 1,
                                     .style = "none"};
    router_add(F.r, &F.cfg[i], sim_provider_new(F.names[i], "m", &pp, &F.st[i]));
}

/* A deployment whose every call is answered 503: a provider that is down. */
static void add_dep_failing(int i)
{
    snprintf(F.names[i], sizeof F.names[i], "d%d", i);
    F.cfg[i] = (struct provider_config){.name = F.names[i],
                                        .base_url = "sim",
                                        .api_key_env = "",
                                        .model = "m",
                                        .headers = "none",
                                        .day_reset = "utc",
                                        .timeout_ms = 30000};
    struct sim_provider_params pp = {.latency_mean_ms = 5,
                                     .latency_sd_ms = 1,
                                     .fail_rate = 1.0,
                                     .seed = (uint64_t)i + 1,
                                     .known = 1,
                                     .style = "none"};
    router_add(F.r, &F.cfg[i], sim_provider_new(F.names[i], "m", &pp, &F.st[i]));
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    log_set_level(LOG_ERROR);
    clock_use_virtual(T0 + 9 * 3600000LL);
    timer_use_virtual(1);
    F.r = router_new(NULL, NULL);
    F.msgs = json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content",
                       "interviewd-task: summary v1\nwrite it", "role", "user", "content", "hi");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    router_free(F.r);
    json_decref(F.msgs);
    timer_use_virtual(0);
    clock_use_real();
    return 0;
}

struct tag {
    int prio;
};

static void on_done(struct llm_result *res, void *data)
{
    struct tag *t = data;
    if (res->status == LLM_OK)
        F.done_ok++;
    else if (res->status == LLM_ERR_NO_CAPACITY)
        F.done_nocap++;
    else
        F.done_other++;
    if (F.n_order < 64) F.order[F.n_order++] = t ? t->prio : -1;
    F.last_done_mono = clock_mono_ms();
    free(t);
}

static void submit(enum router_priority prio, int64_t deadline_in_ms)
{
    struct llm_request req = {
        .task = "summary", .messages = F.msgs, .max_tokens = 100, .timeout_ms = 30000};
    struct tag *t = xmalloc(sizeof *t);
    t->prio = (int)prio;
    router_submit(F.r, &req, prio, clock_mono_ms() + deadline_in_ms, on_done, t);
}

/* Runs the virtual clock until nothing is pending or `ms` have passed. */
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

static void count_done(struct llm_result *res, void *data)
{
    int *ok = data;
    if (res->status == LLM_OK) (*ok)++;
}

/* A simulated Pacific deployment carries the usage of the day that began before the
 * simulation only while that day lasts: its first call after the 08:00 UTC reset starts
 * a new, empty day, as the router's ledger does. (It used to carry the old day's usage
 * into the new one: one 429 per Pacific deployment in a 10,000-interview day.) */
static void test_simprov_carried_usage_ends_with_its_day(void **state)
{
    (void)state;
    struct sim_provider_stats st = {0};
    int64_t day0 = quota_day_start_ms(QUOTA_TZ_PACIFIC, T0); /* 2026-11-30T08:00Z */
    struct sim_provider_params pp = {.latency_mean_ms = 5,
                                     .latency_sd_ms = 1,
                                     .seed = 7,
                                     .rpd = 20,
                                     .known = 1,
                                     .pacific = 1,
                                     .style = "none",
                                     .day_used_requests = 13,
                                     .day_used_start_ms = day0};
    struct provider *pv = sim_provider_new("pac", "m", &pp, &st);
    /* the clock is at 09:00 UTC (setup): the carried day ended at 08:00 */
    assert_true(clock_now_ms() >= quota_day_reset_ms(QUOTA_TZ_PACIFIC, T0));
    int ok = 0;
    struct llm_request req = {
        .task = "summary", .messages = F.msgs, .max_tokens = 50, .timeout_ms = 30000};
    for (int i = 0; i < 20; i++) {
        assert_int_equal(provider_submit(pv, &req, count_done, &ok), 0);
        run_for(100);
    }
    run_for(5000);
    assert_int_equal(st.refused_429, 0);
    assert_int_equal(ok, 20);
    provider_destroy(pv);
}

static void test_router_never_exceeds_rpd(void **state)
{
    (void)state;
    add_dep(0, 0, 5, 100);
    for (int i = 0; i < 12; i++)
        submit(ROUTER_BACKGROUND, 60000);
    run_for(120000);
    assert_int_equal(F.st[0].requests, 5);
    assert_int_equal(F.st[0].refused_429, 0);
    assert_int_equal(F.done_ok, 5);
    assert_int_equal(F.done_nocap, 7); /* the day is spent: no capacity before the deadline */
}

static void test_router_never_exceeds_rpm_and_waits_for_the_next_minute(void **state)
{
    (void)state;
    add_dep(0, 3, 0, 50);
    for (int i = 0; i < 6; i++)
        submit(ROUTER_BACKGROUND, 300000);
    run_for(30000);
    assert_int_equal(F.st[0].requests, 3); /* the first minute's three */
    run_for(120000);
    assert_int_equal(F.done_ok, 6); /* the rest, a minute later */
    assert_int_equal(F.st[0].refused_429, 0);
}

static void test_router_spreads_by_share_of_day_left(void **state)
{
    (void)state;
    add_dep(0, 0, 10, 100);
    add_dep(1, 0, 10, 100);
    for (int i = 0; i < 10; i++) {
        submit(ROUTER_BACKGROUND, 60000);
        run_for(1000);
    }
    /* each pick goes to the one with more of its day left: an even split */
    assert_int_equal(F.st[0].requests, 5);
    assert_int_equal(F.st[1].requests, 5);
}

static void test_router_candidate_facing_calls_go_first(void **state)
{
    (void)state;
    add_dep(0, 1, 0, 10);              /* one call a minute */
    submit(ROUTER_BACKGROUND, 600000); /* takes the first minute */
    submit(ROUTER_BACKGROUND, 600000);
    submit(ROUTER_BACKGROUND, 600000);
    submit(ROUTER_INTERACTIVE, 600000); /* queued last, served first when room returns */
    run_for(200000);
    assert_true(F.n_order >= 2);
    assert_int_equal(F.order[0], ROUTER_BACKGROUND);
    assert_int_equal(F.order[1], ROUTER_INTERACTIVE);
}

static void test_router_no_deployment_fails_with_no_capacity_on_the_loop(void **state)
{
    (void)state;
    submit(ROUTER_BACKGROUND, 1000);
    assert_int_equal(F.done_nocap, 0); /* never inside submit */
    run_for(5000);
    assert_int_equal(F.done_nocap, 1);
}

/* Issue 14: a provider that is down (every call 503) is cooled down by the quota module
 * and then opened by its breaker; a candidate-facing call with an 8 s deadline then
 * fails within 50 ms instead of waiting out the 8 s, so the turn uses the bank question
 * at once. */
static void test_router_provider_down_fails_a_turn_at_once(void **state)
{
    (void)state;
    add_dep_failing(0);
    for (int i = 0; i < 3; i++)
        submit(ROUTER_BACKGROUND, 60000); /* up to 3 attempts each */
    run_for(120000);
    assert_int_equal(F.done_other + F.done_nocap, 3);
    assert_int_equal(F.done_ok, 0);
    for (int turn = 0; turn < 5; turn++) {
        int64_t t0 = clock_mono_ms();
        int before = F.done_other + F.done_nocap;
        submit(ROUTER_INTERACTIVE, 8000);
        run_for(8000);
        assert_int_equal(F.done_other + F.done_nocap, before + 1);
        assert_true(F.last_done_mono - t0 <= 50);
    }
    assert_false(router_can_take_within(F.r, 1000, 8000));
}

static void test_router_can_take_within_sees_the_next_minute(void **state)
{
    (void)state;
    add_dep(0, 1, 0, 10);
    assert_true(router_can_take_within(F.r, 1000, 1000));
    submit(ROUTER_BACKGROUND, 90000);
    run_for(100);
    assert_false(router_can_take_within(F.r, 1000, 1000)); /* the minute's one call is spent */
    assert_true(router_can_take_within(F.r, 1000, 61000));
}

/* The other side: a call that capacity will reach before its deadline still waits. */
static void test_router_waits_when_quota_returns_before_the_deadline(void **state)
{
    (void)state;
    add_dep(0, 1, 0, 10);
    submit(ROUTER_BACKGROUND, 90000);
    submit(ROUTER_BACKGROUND, 90000); /* the next minute is before its deadline */
    run_for(120000);
    assert_int_equal(F.done_ok, 2);
    assert_int_equal(F.done_nocap, 0);
}

static void test_router_calls_left_today_counts_daily_limits(void **state)
{
    (void)state;
    add_dep(0, 0, 40, 10);
    add_dep(1, 0, 60, 10);
    assert_true(router_calls_left_today(F.r, 1000) == 100.0);
    submit(ROUTER_BACKGROUND, 60000);
    run_for(1000);
    assert_true(router_calls_left_today(F.r, 1000) == 99.0);
}

/* The provider counts with its own tokenizer: a call the router estimates at 800 tokens
 * is reserved as 1000 with a 25% margin, so at tpm 1000 it fits and one of 801 does not. */
static void test_router_reserves_the_deployment_token_margin(void **state)
{
    (void)state;
    add_dep_tpm(0, 1000, 25);
    assert_int_equal(router_pick(F.r, 800), 0);
    assert_int_equal(router_pick(F.r, 801), -1);
}

static void test_router_without_margin_reserves_the_estimate(void **state)
{
    (void)state;
    add_dep_tpm(0, 1000, 0);
    assert_int_equal(router_pick(F.r, 1000), 0);
    assert_int_equal(router_pick(F.r, 1001), -1);
}

/* Issue 14: with rpd = 10 and 20% kept for running interviews, optional work (resume
 * analysis, question generation) gets 8 requests and fails at once after that; calls of
 * running interviews still get the last 2. */
static void test_router_optional_work_leaves_the_reserve_to_running_interviews(void **state)
{
    (void)state;
    add_dep(0, 0, 10, 100);
    router_set_reserve_percent(F.r, 20);
    for (int i = 0; i < 12; i++)
        submit(ROUTER_OPTIONAL, 600000);
    run_for(5000); /* no waiting for a reserve that returns only tomorrow */
    assert_int_equal(F.st[0].requests, 8);
    assert_int_equal(F.done_ok, 8);
    assert_int_equal(F.done_nocap, 4);
    assert_true(router_reserve_reached(F.r));
    for (int i = 0; i < 3; i++)
        submit(ROUTER_BACKGROUND, 60000);
    run_for(120000);
    assert_int_equal(F.st[0].requests, 10);
    assert_int_equal(F.done_ok, 10);
    assert_int_equal(F.done_nocap, 5); /* the third: the day is spent */
}

static void test_router_without_reserve_optional_work_takes_the_whole_day(void **state)
{
    (void)state;
    add_dep(0, 0, 10, 100);
    for (int i = 0; i < 12; i++)
        submit(ROUTER_OPTIONAL, 60000);
    run_for(120000);
    assert_int_equal(F.st[0].requests, 10);
    assert_false(router_reserve_reached(F.r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_router_never_exceeds_rpd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_never_exceeds_rpm_and_waits_for_the_next_minute,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_spreads_by_share_of_day_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_candidate_facing_calls_go_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_router_no_deployment_fails_with_no_capacity_on_the_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_calls_left_today_counts_daily_limits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_router_reserves_the_deployment_token_margin, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_router_without_margin_reserves_the_estimate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_router_provider_down_fails_a_turn_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_router_waits_when_quota_returns_before_the_deadline,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_can_take_within_sees_the_next_minute, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_router_optional_work_leaves_the_reserve_to_running_interviews, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_router_without_reserve_optional_work_takes_the_whole_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simprov_carried_usage_ends_with_its_day, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
