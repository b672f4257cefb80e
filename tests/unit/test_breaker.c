/* test_breaker: the per-deployment circuit breaker (llm/breaker.h), one behaviour per
 * test. Defaults: opens after 5 failures in a row, 30 s cool-down doubling to 10 min. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "llm/breaker.h"

#include <string.h>

#define T0 1768471200000LL /* 2026-01-15T10:00:00Z */
#define SEC 1000LL

static struct breaker b;

static void fail_n(int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        assert_true(breaker_allow(&b, now));
        breaker_on_start(&b, now);
        breaker_record(&b, now, 0);
    }
}

/* Opens it with the defaults at T0. */
static int open_at_t0(void **state)
{
    (void)state;
    breaker_init(&b, 0, 0, 0);
    fail_n(5, T0);
    return 0;
}

static void test_breaker_starts_closed_and_allows(void **state)
{
    (void)state;
    breaker_init(&b, 0, 0, 0);
    assert_string_equal(breaker_state_name(&b), "ok");
    assert_true(breaker_allow(&b, T0));
}

static void test_breaker_opens_after_5_consecutive_failures(void **state)
{
    (void)state;
    breaker_init(&b, 0, 0, 0);
    fail_n(4, T0);
    assert_string_equal(breaker_state_name(&b), "ok");
    fail_n(1, T0);
    assert_string_equal(breaker_state_name(&b), "open");
    assert_false(breaker_allow(&b, T0 + 1));
    assert_int_equal(breaker_retry_at_ms(&b), T0 + 30 * SEC);
}

static void test_breaker_success_resets_the_failure_streak(void **state)
{
    (void)state;
    breaker_init(&b, 0, 0, 0);
    fail_n(4, T0);
    breaker_record(&b, T0, 1);
    fail_n(4, T0);
    assert_string_equal(breaker_state_name(&b), "ok");
}

static void test_breaker_threshold_is_configurable(void **state)
{
    (void)state;
    breaker_init(&b, 2, 1000, 0);
    fail_n(2, T0);
    assert_string_equal(breaker_state_name(&b), "open");
    assert_true(breaker_allow(&b, T0 + 1000));
}

static void test_breaker_half_open_after_the_cooldown(void **state)
{
    (void)state;
    assert_false(breaker_allow(&b, T0 + 30 * SEC - 1));
    assert_true(breaker_allow(&b, T0 + 30 * SEC));
    assert_string_equal(breaker_state_name(&b), "half_open");
}

static void test_breaker_half_open_allows_a_single_probe(void **state)
{
    (void)state;
    int64_t t = T0 + 30 * SEC;
    assert_true(breaker_allow(&b, t));
    breaker_on_start(&b, t);
    assert_false(breaker_allow(&b, t));
    assert_false(breaker_allow(&b, t + 5 * SEC));
}

static void test_breaker_probe_success_closes_and_resets_the_cooldown(void **state)
{
    (void)state;
    int64_t t = T0 + 30 * SEC;
    assert_true(breaker_allow(&b, t));
    breaker_on_start(&b, t);
    breaker_record(&b, t + SEC, 1);
    assert_string_equal(breaker_state_name(&b), "ok");
    assert_true(breaker_allow(&b, t + SEC));
    fail_n(5, t + 2 * SEC); /* a fresh open waits the base 30 s again */
    assert_int_equal(breaker_retry_at_ms(&b), t + 2 * SEC + 30 * SEC);
}

static void test_breaker_probe_failure_reopens_with_doubled_cooldown(void **state)
{
    (void)state;
    int64_t t = T0 + 30 * SEC;
    assert_true(breaker_allow(&b, t));
    breaker_on_start(&b, t);
    breaker_record(&b, t + SEC, 0);
    assert_string_equal(breaker_state_name(&b), "open");
    assert_int_equal(breaker_retry_at_ms(&b), t + SEC + 60 * SEC);
    assert_false(breaker_allow(&b, t + SEC + 60 * SEC - 1));
    assert_true(breaker_allow(&b, t + SEC + 60 * SEC));
}

static void test_breaker_cooldown_doubles_up_to_10_minutes(void **state)
{
    (void)state;
    const int64_t expect[] = {60, 120, 240, 480, 600, 600};
    int64_t t = T0 + 30 * SEC;
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        assert_true(breaker_allow(&b, t));
        breaker_on_start(&b, t);
        breaker_record(&b, t, 0);
        assert_int_equal(breaker_retry_at_ms(&b) - t, expect[i] * SEC);
        t = breaker_retry_at_ms(&b);
    }
}

static void test_breaker_no_verdict_releases_the_probe(void **state)
{
    (void)state;
    int64_t t = T0 + 30 * SEC;
    assert_true(breaker_allow(&b, t));
    breaker_on_start(&b, t);
    breaker_record(&b, t, -1); /* cancelled: says nothing about the provider */
    assert_string_equal(breaker_state_name(&b), "half_open");
    assert_true(breaker_allow(&b, t));
}

static void test_breaker_late_failure_does_not_extend_an_open_period(void **state)
{
    (void)state;
    breaker_record(&b, T0 + 10 * SEC, 0); /* a call started before it opened */
    assert_int_equal(breaker_retry_at_ms(&b), T0 + 30 * SEC);
}

static void test_breaker_kill_is_dead_until_revived(void **state)
{
    (void)state;
    breaker_init(&b, 0, 0, 0);
    breaker_kill(&b, "HTTP 401: Invalid API Key");
    assert_string_equal(breaker_state_name(&b), "dead");
    assert_string_equal(b.reason, "HTTP 401: Invalid API Key");
    assert_false(breaker_allow(&b, T0 + 24 * 3600 * SEC));
    breaker_record(&b, T0, 1); /* a late success does not revive it */
    assert_string_equal(breaker_state_name(&b), "dead");
    breaker_revive(&b);
    assert_string_equal(breaker_state_name(&b), "ok");
    assert_true(breaker_allow(&b, T0));
}

static void test_breaker_kill_reason_is_truncated(void **state)
{
    (void)state;
    char longer[300];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    breaker_init(&b, 0, 0, 0);
    breaker_kill(&b, longer);
    assert_int_equal(strlen(b.reason), BREAKER_REASON_MAX - 1);
}

static void test_breaker_verdict_counts_health_not_quota(void **state)
{
    (void)state;
    assert_int_equal(breaker_verdict(LLM_OK, 200), 1);
    assert_int_equal(breaker_verdict(LLM_ERR_RATE_LIMITED, 429), 1);
    assert_int_equal(breaker_verdict(LLM_ERR_BAD_RESPONSE, 200), 1);
    assert_int_equal(breaker_verdict(LLM_ERR_HTTP, 400), 1);
    assert_int_equal(breaker_verdict(LLM_ERR_HTTP, 500), 0);
    assert_int_equal(breaker_verdict(LLM_ERR_HTTP, 503), 0);
    assert_int_equal(breaker_verdict(LLM_ERR_HTTP, 408), 0);
    assert_int_equal(breaker_verdict(LLM_ERR_TIMEOUT, 0), 0);
    assert_int_equal(breaker_verdict(LLM_ERR_NETWORK, 0), 0);
    assert_int_equal(breaker_verdict(LLM_ERR_CANCELLED, 0), -1);
    assert_int_equal(breaker_verdict(LLM_ERR_AUTH, 401), -1);
}

static void test_breaker_429s_do_not_open_it(void **state)
{
    (void)state;
    breaker_init(&b, 0, 0, 0);
    for (int i = 0; i < 20; i++) {
        fail_n(1, T0);
        breaker_record(&b, T0, breaker_verdict(LLM_ERR_RATE_LIMITED, 429));
    }
    assert_string_equal(breaker_state_name(&b), "ok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_starts_closed_and_allows),
        cmocka_unit_test(test_breaker_opens_after_5_consecutive_failures),
        cmocka_unit_test(test_breaker_success_resets_the_failure_streak),
        cmocka_unit_test(test_breaker_threshold_is_configurable),
        cmocka_unit_test_setup(test_breaker_half_open_after_the_cooldown, open_at_t0),
        cmocka_unit_test_setup(test_breaker_half_open_allows_a_single_probe, open_at_t0),
        cmocka_unit_test_setup(test_breaker_probe_success_closes_and_resets_the_cooldown,
                               open_at_t0),
        cmocka_unit_test_setup(test_breaker_probe_failure_reopens_with_doubled_cooldown,
                               open_at_t0),
        cmocka_unit_test_setup(test_breaker_cooldown_doubles_up_to_10_minutes, open_at_t0),
        cmocka_unit_test_setup(test_breaker_no_verdict_releases_the_probe, open_at_t0),
        cmocka_unit_test_setup(test_breaker_late_failure_does_not_extend_an_open_period,
                               open_at_t0),
        cmocka_unit_test(test_breaker_kill_is_dead_until_revived),
        cmocka_unit_test(test_breaker_kill_reason_is_truncated),
        cmocka_unit_test(test_breaker_verdict_counts_health_not_quota),
        cmocka_unit_test(test_breaker_429s_do_not_open_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
