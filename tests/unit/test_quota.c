/* test_quota: the windows of one deployment (llm/quota.h), one behaviour per test.
 *
 * Times are written out as epoch milliseconds of named instants so a day-boundary test
 * says which midnight it means. The last tests drive random traffic (out-of-order
 * completions, estimates off both ways, calls that never reached the provider, a
 * midnight) against an exact model of what a provider counts, and check that the quota
 * never counts less. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "llm/quota.h"

#include <string.h>

#define SEC 1000LL
#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

#define JAN15_0000Z 1768435200000LL  /* 2026-01-15T00:00:00Z, a Thursday */
#define T0 (JAN15_0000Z + 10 * HOUR) /* 10:00:00Z, on a second boundary */
#define JAN15_0800Z 1768464000000LL  /* 00:00 PST on Jan 15 */
#define JUL15_0700Z 1784098800000LL  /* 00:00 PDT on Jul 15 */
#define MAR08_0800Z 1772956800000LL  /* 00:00 PST on Sunday Mar 8, DST starts 02:00 */
#define MAR09_0700Z 1773039600000LL  /* 00:00 PDT on Mar 9 */
#define NOV01_0700Z 1793516400000LL  /* 00:00 PDT on Sunday Nov 1, DST ends 02:00 */
#define NOV02_0800Z 1793606400000LL  /* 00:00 PST on Nov 2 */

static struct quota q;

static void init(long rpm, long rpd, long tpm, long tpd, long concurrency, int tz, int64_t now)
{
    struct quota_limits l = {.rpm = rpm,
                             .rpd = rpd,
                             .tpm = tpm,
                             .tpd = tpd,
                             .concurrency = concurrency,
                             .day_reset_tz = tz};
    quota_init(&q, &l, now);
}

static struct ratelimit_obs obs(void)
{
    struct ratelimit_obs o;
    ratelimit_obs_init(&o);
    return o;
}

static const char *why_not(int64_t now, long est)
{
    const char *why = "unset";
    int ok = quota_can_take(&q, now, est, &why);
    return ok ? "ok" : why;
}

/* A whole call that used exactly its estimate. */
static void call(int64_t now, long tokens)
{
    quota_take(&q, now, tokens);
    quota_settle(&q, now, tokens, tokens, 1);
}

/* ---- day boundaries ---- */

static void test_quota_day_start_utc_is_midnight_utc(void **state)
{
    (void)state;
    int64_t now = 1795861546000LL; /* 2026-11-28T10:25:46Z */
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_UTC, now), 1795824000000LL);
    assert_int_equal(quota_day_reset_ms(QUOTA_TZ_UTC, now), 1795824000000LL + DAY);
}

static void test_quota_day_start_pacific_winter_is_0800_utc(void **state)
{
    (void)state;
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_PACIFIC, JAN15_0000Z + 12 * HOUR), JAN15_0800Z);
    /* 05:00Z is still 21:00 PST on Jan 14. */
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_PACIFIC, JAN15_0000Z + 5 * HOUR),
                     JAN15_0800Z - DAY);
    assert_int_equal(quota_day_reset_ms(QUOTA_TZ_PACIFIC, JAN15_0000Z + 12 * HOUR),
                     JAN15_0800Z + DAY);
}

static void test_quota_day_start_pacific_summer_is_0700_utc(void **state)
{
    (void)state;
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_PACIFIC, JUL15_0700Z + 5 * HOUR), JUL15_0700Z);
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_PACIFIC, JUL15_0700Z - 1), JUL15_0700Z - DAY);
}

static void test_quota_pacific_day_dst_starts_is_23_hours(void **state)
{
    (void)state;
    int64_t noon_utc = MAR08_0800Z + 4 * HOUR; /* 05:00 PDT, after the jump */
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_PACIFIC, noon_utc), MAR08_0800Z);
    assert_int_equal(quota_day_reset_ms(QUOTA_TZ_PACIFIC, noon_utc), MAR09_0700Z);
    assert_int_equal(MAR09_0700Z - MAR08_0800Z, 23 * HOUR);
}

static void test_quota_pacific_day_dst_ends_is_25_hours(void **state)
{
    (void)state;
    /* 08:30Z is 01:30 PDT (the first 01:30), 09:30Z is 01:30 PST (the second). */
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_PACIFIC, NOV01_0700Z + 90 * MIN), NOV01_0700Z);
    assert_int_equal(quota_day_start_ms(QUOTA_TZ_PACIFIC, NOV01_0700Z + 150 * MIN), NOV01_0700Z);
    assert_int_equal(quota_day_reset_ms(QUOTA_TZ_PACIFIC, NOV01_0700Z + 150 * MIN), NOV02_0800Z);
    assert_int_equal(NOV02_0800Z - NOV01_0700Z, 25 * HOUR);
}

/* ---- per-minute requests ---- */

static void test_quota_rpm_allows_the_last_call_and_refuses_the_next(void **state)
{
    (void)state;
    init(30, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    for (int i = 0; i < 29; i++)
        call(T0 + i * 100, 0);
    assert_string_equal(why_not(T0 + 3000, 0), "ok"); /* 29 used: one more fits */
    call(T0 + 3000, 0);
    assert_string_equal(why_not(T0 + 3001, 0), "rpm"); /* 30 used: full */
}

static void test_quota_rpm_sliding_window_frees_60_s_after_the_first_call(void **state)
{
    (void)state;
    init(30, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    for (int i = 0; i < 30; i++) /* T0, T0+2 s, ..., T0+58 s */
        call(T0 + i * 2 * SEC, 0);
    assert_string_equal(why_not(T0 + 59 * SEC, 0), "rpm");
    assert_string_equal(why_not(T0 + MIN - 1, 0), "rpm");
    assert_string_equal(why_not(T0 + MIN, 0), "ok");
    call(T0 + MIN, 0);
    assert_string_equal(why_not(T0 + MIN + 1, 0), "rpm"); /* next frees at T0+62 s */
    assert_string_equal(why_not(T0 + 62 * SEC, 0), "ok");
}

static void test_quota_call_late_in_a_second_counts_a_full_60_s(void **state)
{
    (void)state;
    init(2, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    call(T0 + 999, 0);
    /* 60 s later is the same ring slot in a 60-slot ring; this one must still count. */
    call(T0 + 60 * SEC + 500, 0);
    assert_string_equal(why_not(T0 + 60 * SEC + 998, 0), "rpm");
    assert_string_equal(why_not(T0 + 60 * SEC + 999, 0), "ok");
}

/* ---- per-minute tokens ---- */

static void test_quota_tpm_reserves_the_estimate(void **state)
{
    (void)state;
    init(0, 0, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 4000);
    assert_string_equal(why_not(T0 + 1, 2001), "tpm");
    assert_string_equal(why_not(T0 + 1, 2000), "ok");
}

static void test_quota_tpm_settle_replaces_estimate_with_actual(void **state)
{
    (void)state;
    init(0, 0, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 4000);
    quota_settle(&q, T0 + 3 * SEC, 4000, 1000, 1);
    long r, t;
    quota_minute_usage(&q, T0 + 3 * SEC, &r, &t);
    assert_int_equal(t, 1000);
    assert_int_equal(r, 1);
    assert_string_equal(why_not(T0 + 3 * SEC, 5000), "ok");
    assert_string_equal(why_not(T0 + 3 * SEC, 5001), "tpm");
}

static void test_quota_tpm_settle_over_estimate_charges_the_excess(void **state)
{
    (void)state;
    init(0, 0, 6000, 100000, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 1000);
    quota_settle(&q, T0 + 2 * SEC, 1000, 3000, 1);
    long t;
    quota_minute_usage(&q, T0 + 2 * SEC, NULL, &t);
    assert_int_equal(t, 3000);
    assert_int_equal(q.day_tokens, 3000);
    /* The excess was charged at settle time, so it outlives the reservation. */
    quota_minute_usage(&q, T0 + MIN + 1 * SEC, NULL, &t);
    assert_int_equal(t, 2000);
}

static void test_quota_settle_unknown_actual_keeps_the_estimate(void **state)
{
    (void)state;
    init(0, 0, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 2500);
    quota_settle(&q, T0 + 30 * SEC, 2500, -1, 1); /* a timeout */
    long t;
    quota_minute_usage(&q, T0 + 30 * SEC, NULL, &t);
    assert_int_equal(t, 2500);
}

static void test_quota_settle_taken_refunds_the_right_second(void **state)
{
    (void)state;
    init(0, 0, 100000, 0, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 4000);
    quota_take(&q, T0 + 10 * SEC, 1000);
    quota_settle_taken(&q, T0 + 20 * SEC, T0, 4000, 500, 1);
    long t;
    quota_minute_usage(&q, T0 + 30 * SEC, NULL, &t);
    assert_int_equal(t, 1500);
    /* the first call settled at T0+20 s and counts from then: still in the window */
    quota_minute_usage(&q, T0 + MIN, NULL, &t);
    assert_int_equal(t, 1500);
    quota_minute_usage(&q, T0 + 75 * SEC, NULL, &t); /* B (T0+10 s) has left, A not yet */
    assert_int_equal(t, 500);
}

static void test_quota_settled_call_counts_from_settle_time(void **state)
{
    (void)state;
    /* rpm 2: two calls reserved at T0, answered at T0+5 s (the provider saw them late).
     * At T0+61 s the provider's window still holds them, so ours must too. */
    init(2, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 100);
    quota_take(&q, T0, 100);
    quota_settle_taken(&q, T0 + 5 * SEC, T0, 100, 100, 1);
    quota_settle_taken(&q, T0 + 5 * SEC, T0, 100, 100, 1);
    assert_string_equal(why_not(T0 + 61 * SEC, 100), "rpm");
    assert_string_equal(why_not(T0 + 66 * SEC, 100), "ok");
}

static void test_quota_anonymous_settle_out_of_order_over_counts_never_under(void **state)
{
    (void)state;
    init(0, 0, 100000, 0, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 1000);                      /* A */
    quota_take(&q, T0 + 10 * SEC, 1000);           /* B */
    quota_settle(&q, T0 + 20 * SEC, 1000, 100, 1); /* B ends first: refund 900 */
    quota_settle(&q, T0 + 30 * SEC, 1000, 900, 1); /* then A: refund 100 */
    long t;
    quota_minute_usage(&q, T0 + 30 * SEC, NULL, &t);
    assert_int_equal(t, 1000); /* exact while both are in the window */
    /* Truth at T0+60 s is B's 100; the refund was taken from A's older second. */
    quota_minute_usage(&q, T0 + MIN, NULL, &t);
    assert_true(t >= 100);
    quota_minute_usage(&q, T0 + 70 * SEC, NULL, &t);
    assert_int_equal(t, 0);
}

/* ---- per-day ---- */

static void test_quota_never_exceeds_rpd(void **state)
{
    (void)state;
    /* A greedy caller asking every second for a whole day. */
    init(30, 1000, 0, 0, 0, QUOTA_TZ_UTC, JAN15_0000Z);
    long taken = 0;
    for (int64_t t = JAN15_0000Z; t < JAN15_0000Z + DAY; t += SEC) {
        if (quota_can_take(&q, t, 10, NULL)) {
            call(t, 10);
            taken++;
        }
    }
    assert_int_equal(taken, 1000);
    assert_int_equal(quota_remaining_day_requests(&q, JAN15_0000Z + DAY - 1), 0);
    assert_string_equal(why_not(JAN15_0000Z + DAY, 10), "ok");
}

static void test_quota_rpd_resets_at_utc_midnight(void **state)
{
    (void)state;
    init(0, 10, 0, 0, 0, QUOTA_TZ_UTC, T0);
    for (int i = 0; i < 10; i++)
        call(JAN15_0000Z + DAY - MIN + i * SEC, 0); /* 23:59:00Z onwards */
    assert_string_equal(why_not(JAN15_0000Z + DAY - 1, 0), "rpd");
    assert_string_equal(why_not(JAN15_0000Z + DAY, 0), "ok");
    assert_int_equal(quota_remaining_day_requests(&q, JAN15_0000Z + DAY), 10);
}

static void test_quota_rpd_resets_at_pacific_midnight_not_utc(void **state)
{
    (void)state;
    int64_t afternoon = JAN15_0000Z - HOUR; /* Jan 14 23:00Z = 15:00 PST */
    init(0, 10, 0, 0, 0, QUOTA_TZ_PACIFIC, afternoon);
    for (int i = 0; i < 10; i++)
        call(afternoon + i * SEC, 0);
    assert_string_equal(why_not(JAN15_0000Z, 0), "rpd"); /* UTC midnight: still Jan 14 */
    assert_string_equal(why_not(JAN15_0800Z - 1, 0), "rpd");
    assert_string_equal(why_not(JAN15_0800Z, 0), "ok");
}

static void test_quota_rpd_resets_at_pacific_midnight_after_dst_starts(void **state)
{
    (void)state;
    int64_t afternoon = MAR08_0800Z + 12 * HOUR; /* Mar 8 13:00 PDT */
    init(0, 5, 0, 0, 0, QUOTA_TZ_PACIFIC, afternoon);
    for (int i = 0; i < 5; i++)
        call(afternoon + i * SEC, 0);
    assert_string_equal(why_not(MAR09_0700Z - 1, 0), "rpd");
    assert_string_equal(why_not(MAR09_0700Z, 0), "ok"); /* 07:00Z, not 08:00Z */
}

static void test_quota_rpd_resets_at_pacific_midnight_after_dst_ends(void **state)
{
    (void)state;
    int64_t afternoon = NOV01_0700Z + 13 * HOUR; /* Nov 1 12:00 PST */
    init(0, 5, 0, 0, 0, QUOTA_TZ_PACIFIC, afternoon);
    for (int i = 0; i < 5; i++)
        call(afternoon + i * SEC, 0);
    assert_string_equal(why_not(NOV02_0800Z - HOUR, 0), "rpd"); /* 07:00Z: not yet */
    assert_string_equal(why_not(NOV02_0800Z - 1, 0), "rpd");
    assert_string_equal(why_not(NOV02_0800Z, 0), "ok");
}

static void test_quota_tpd_refuses_a_call_that_would_cross_it(void **state)
{
    (void)state;
    init(0, 0, 0, 10000, 0, QUOTA_TZ_UTC, T0);
    call(T0, 9000);
    assert_string_equal(why_not(T0 + SEC, 1001), "tpd");
    assert_string_equal(why_not(T0 + SEC, 1000), "ok");
    assert_int_equal(quota_remaining_day_tokens(&q, T0 + SEC), 1000);
}

static void test_quota_settle_after_midnight_does_not_refund_today(void **state)
{
    (void)state;
    init(0, 0, 0, 100000, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, JAN15_0000Z + DAY - 10 * SEC, 5000); /* 23:59:50Z */
    quota_settle(&q, JAN15_0000Z + DAY + 10 * SEC, 5000, 100, 1);
    assert_int_equal(q.day_tokens, 0); /* the reservation was yesterday's */
    assert_int_equal(q.day_requests, 0);
    assert_int_equal(q.in_flight, 0);
}

static void test_quota_settle_after_midnight_charges_excess_today(void **state)
{
    (void)state;
    init(0, 0, 0, 100000, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, JAN15_0000Z + DAY - 10 * SEC, 5000);
    quota_settle(&q, JAN15_0000Z + DAY + 10 * SEC, 5000, 6000, 1);
    assert_int_equal(q.day_tokens, 1000);
}

/* ---- what counts ---- */

static void test_quota_call_that_never_reached_the_provider_gives_back_its_request(void **state)
{
    (void)state;
    init(1, 5, 0, 0, 0, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 800);
    quota_settle(&q, T0 + 100, 800, 0, 0); /* connect failed */
    assert_string_equal(why_not(T0 + 200, 800), "ok");
    assert_int_equal(q.day_requests, 0);
    assert_int_equal(q.day_tokens, 0);
}

static void test_quota_failed_request_still_counts_against_rpd(void **state)
{
    (void)state;
    init(0, 2, 0, 0, 0, QUOTA_TZ_UTC, T0);
    for (int i = 0; i < 2; i++) {
        quota_take(&q, T0 + i * SEC, 500);
        quota_settle(&q, T0 + i * SEC + 300, 500, 0, 1); /* a 429 or a 500 */
    }
    assert_string_equal(why_not(T0 + 5 * SEC, 500), "rpd");
}

static void test_quota_concurrency_limits_calls_in_flight(void **state)
{
    (void)state;
    init(0, 0, 0, 0, 2, QUOTA_TZ_UTC, T0);
    quota_take(&q, T0, 100);
    quota_take(&q, T0, 100);
    assert_string_equal(why_not(T0, 100), "concurrency");
    quota_settle(&q, T0 + SEC, 100, 90, 1);
    assert_string_equal(why_not(T0 + SEC, 100), "ok");
}

/* ---- believing the provider ---- */

static void test_quota_retry_after_sets_a_cooldown(void **state)
{
    (void)state;
    init(30, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.kind = RL_MINUTE;
    o.retry_after_ms = 5000;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0 + 4999, 0), "cooldown");
    assert_string_equal(why_not(T0 + 5000, 0), "ok");
}

static void test_quota_rl_minute_without_delay_waits_for_the_reported_reset(void **state)
{
    (void)state;
    init(0, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs(); /* OpenRouter per-minute: reset only */
    o.kind = RL_MINUTE;
    o.requests_reset_minute_ms = 14000;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0 + 13999, 0), "cooldown");
    assert_string_equal(why_not(T0 + 14000, 0), "ok");
}

static void test_quota_unexplained_429s_back_off_doubling_until_a_success(void **state)
{
    (void)state;
    init(0, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.kind = RL_MINUTE;
    quota_observe(&q, T0, &o);
    assert_int_equal(q.cooldown_until_ms, T0 + QUOTA_BACKOFF_MS);
    quota_observe(&q, T0 + 5 * SEC, &o);
    assert_int_equal(q.cooldown_until_ms, T0 + 5 * SEC + 2 * QUOTA_BACKOFF_MS);
    for (int i = 0; i < 10; i++)
        quota_observe(&q, T0 + 20 * SEC, &o);
    assert_int_equal(q.cooldown_until_ms, T0 + 20 * SEC + QUOTA_BACKOFF_MAX_MS);
    struct ratelimit_obs ok = obs();
    quota_observe(&q, T0 + 90 * SEC, &ok);
    quota_observe(&q, T0 + 91 * SEC, &o);
    assert_int_equal(q.cooldown_until_ms, T0 + 91 * SEC + QUOTA_BACKOFF_MS);
}

static void test_quota_capacity_refusal_cools_down_briefly(void **state)
{
    (void)state;
    init(0, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.kind = RL_CAPACITY;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0 + QUOTA_CAPACITY_COOLDOWN_MS - 1, 0), "cooldown");
    assert_string_equal(why_not(T0 + QUOTA_CAPACITY_COOLDOWN_MS, 0), "ok");
}

static void test_quota_retry_after_on_a_success_is_still_honoured(void **state)
{
    (void)state;
    init(0, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.retry_after_ms = 2000;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0 + 1999, 0), "cooldown");
}

static void test_quota_rl_day_blocks_until_the_next_reset(void **state)
{
    (void)state;
    init(30, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.kind = RL_DAY;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(JAN15_0000Z + DAY - 1, 0), "day_exhausted");
    assert_string_equal(why_not(JAN15_0000Z + DAY, 0), "ok");
    assert_true(quota_day_fraction_left(&q, T0) == 0.0);
}

static void test_quota_rl_day_blocks_until_pacific_midnight_for_gemini(void **state)
{
    (void)state;
    init(0, 20, 0, 0, 0, QUOTA_TZ_PACIFIC, JAN15_0800Z + HOUR);
    struct ratelimit_obs o = obs();
    o.kind = RL_DAY;
    o.retry_after_ms = 53000; /* Gemini's retryDelay on a spent day: not believed */
    quota_observe(&q, JAN15_0800Z + HOUR, &o);
    assert_string_equal(why_not(JAN15_0800Z + DAY - 1, 0), "day_exhausted");
    assert_string_equal(why_not(JAN15_0800Z + DAY, 0), "ok");
}

static void test_quota_rl_day_believes_a_long_retry_after(void **state)
{
    (void)state;
    init(0, 0, 6000, 500000, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.kind = RL_DAY;
    o.retry_after_ms = 13 * MIN + 43200; /* Groq TPD: "try again in 13m43.2s" */
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0 + 13 * MIN + 43199, 0), "day_exhausted");
    assert_string_equal(why_not(T0 + 13 * MIN + 43200, 0), "ok");
}

static void test_quota_rl_day_uses_the_reported_day_reset(void **state)
{
    (void)state;
    init(20, 50, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs(); /* OpenRouter free-models-per-day */
    o.kind = RL_DAY;
    o.requests_limit_day = 50;
    o.requests_remaining_day = 0;
    o.requests_reset_day_ms = 2 * HOUR;
    quota_observe(&q, T0, &o);
    assert_int_equal(q.day_exhausted_until_ms, T0 + 2 * HOUR);
    assert_int_equal(quota_remaining_day_requests(&q, T0), 0);
}

static void test_quota_key_used_elsewhere_lowers_remaining_day(void **state)
{
    (void)state;
    init(30, 1000, 0, 0, 0, QUOTA_TZ_UTC, T0);
    for (int i = 0; i < 5; i++)
        call(T0 + i * SEC, 100);
    assert_int_equal(quota_remaining_day_requests(&q, T0 + 5 * SEC), 995);
    struct ratelimit_obs o = obs(); /* Groq: requests are per day */
    o.requests_limit_day = 1000;
    o.requests_remaining_day = 100;
    quota_observe(&q, T0 + 5 * SEC, &o);
    assert_int_equal(quota_remaining_day_requests(&q, T0 + 5 * SEC), 100);
    assert_int_equal(q.day_requests, 900); /* what the ledger will persist */
}

static void test_quota_more_remaining_than_we_think_changes_nothing(void **state)
{
    (void)state;
    init(0, 1000, 0, 0, 0, QUOTA_TZ_UTC, T0);
    for (int i = 0; i < 50; i++)
        call(T0 + i * SEC, 0);
    struct ratelimit_obs o = obs();
    o.requests_limit_day = 1000;
    o.requests_remaining_day = 990; /* a stale or refilled count */
    quota_observe(&q, T0 + MIN, &o);
    assert_int_equal(quota_remaining_day_requests(&q, T0 + MIN), 950);
}

static void test_quota_minute_report_raises_minute_usage_until_its_reset(void **state)
{
    (void)state;
    init(60, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    call(T0, 0);
    struct ratelimit_obs o = obs(); /* OpenAI style: 50 used, ours is 1 of them */
    o.requests_limit_minute = 60;
    o.requests_remaining_minute = 10;
    o.requests_reset_minute_ms = 20 * SEC;
    quota_observe(&q, T0, &o);
    long r;
    quota_minute_usage(&q, T0, &r, NULL);
    assert_int_equal(r, 50);
    for (int i = 0; i < 10; i++)
        call(T0 + SEC + i, 0);
    assert_string_equal(why_not(T0 + 2 * SEC, 0), "rpm");
    assert_string_equal(why_not(T0 + 20 * SEC, 0), "ok"); /* the others' use has reset */
}

static void test_quota_minute_tokens_report_lowers_what_fits(void **state)
{
    (void)state;
    init(0, 0, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs(); /* Groq: 5034 of 6000 used elsewhere */
    o.tokens_limit_minute = 6000;
    o.tokens_remaining_minute = 966;
    o.tokens_reset_minute_ms = 7660;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0, 967), "tpm");
    assert_string_equal(why_not(T0, 966), "ok");
    assert_string_equal(why_not(T0 + 7660, 6000), "ok");
}

static void test_quota_zero_left_of_an_unknown_limit_waits_for_its_reset(void **state)
{
    (void)state;
    init(0, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.requests_remaining_minute = 0;
    o.requests_reset_minute_ms = 3000;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0 + 2999, 0), "cooldown");
    assert_string_equal(why_not(T0 + 3000, 0), "ok");
}

static void test_quota_learns_limits_from_headers_when_config_is_zero(void **state)
{
    (void)state;
    init(0, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.requests_limit_day = 14400;
    o.requests_remaining_day = 14399;
    o.tokens_limit_minute = 6000;
    o.tokens_remaining_minute = 5900;
    quota_observe(&q, T0, &o);
    assert_int_equal(q.limits.rpd, 14400);
    assert_int_equal(q.limits.tpm, 6000);
    assert_int_equal(q.limits.rpm, 0);
    assert_int_equal(quota_remaining_day_requests(&q, T0), 14399);
}

static void test_quota_header_limit_only_lowers_a_configured_limit(void **state)
{
    (void)state;
    init(30, 1000, 0, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs();
    o.requests_limit_minute = 20;
    o.requests_limit_day = 14400;
    quota_observe(&q, T0, &o);
    assert_int_equal(q.limits.rpm, 20);
    assert_int_equal(q.limits.rpd, 1000);
    /* A config reload keeps what the headers said. */
    struct quota_limits l = {.rpm = 60, .rpd = 2000};
    quota_set_limits(&q, &l);
    assert_int_equal(q.limits.rpm, 20);
    assert_int_equal(q.limits.rpd, 2000);
}

static void test_quota_month_budget_spent_blocks_until_the_day_resets(void **state)
{
    (void)state;
    init(0, 0, 500000, 0, 0, QUOTA_TZ_UTC, T0);
    struct ratelimit_obs o = obs(); /* Mistral */
    o.tokens_limit_month = 1000000000;
    o.tokens_remaining_month = 3000;
    quota_observe(&q, T0, &o);
    assert_string_equal(why_not(T0, 3001), "month");
    assert_string_equal(why_not(T0, 3000), "ok");
    assert_int_equal(quota_remaining_day_tokens(&q, T0), 3000);
    assert_int_equal(quota_next_available_ms(&q, T0, 5000), JAN15_0000Z + DAY);
}

/* ---- waiting ---- */

static void test_quota_next_available_is_now_when_it_fits(void **state)
{
    (void)state;
    init(30, 1000, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    call(T0, 1000);
    assert_int_equal(quota_next_available_ms(&q, T0 + 5, 1000), T0 + 5);
}

static void test_quota_next_available_waits_for_the_oldest_call_to_leave(void **state)
{
    (void)state;
    init(2, 0, 0, 0, 0, QUOTA_TZ_UTC, T0);
    call(T0, 0);
    call(T0 + 10 * SEC, 0);
    assert_int_equal(quota_next_available_ms(&q, T0 + 20 * SEC, 0), T0 + MIN);
}

static void test_quota_next_available_waits_until_enough_tokens_leave(void **state)
{
    (void)state;
    init(0, 0, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    call(T0, 3000);
    call(T0 + 20 * SEC, 2000);
    call(T0 + 40 * SEC, 1000);
    assert_int_equal(quota_next_available_ms(&q, T0 + 45 * SEC, 2500), T0 + MIN);
    assert_int_equal(quota_next_available_ms(&q, T0 + 45 * SEC, 4500), T0 + 80 * SEC);
}

static void test_quota_next_available_for_a_spent_day_is_the_reset(void **state)
{
    (void)state;
    init(0, 1, 0, 0, 0, QUOTA_TZ_PACIFIC, JAN15_0800Z + HOUR);
    call(JAN15_0800Z + HOUR, 0);
    assert_int_equal(quota_next_available_ms(&q, JAN15_0800Z + 2 * HOUR, 0), JAN15_0800Z + DAY);
}

static void test_quota_next_available_never_for_a_call_larger_than_tpm(void **state)
{
    (void)state;
    init(0, 0, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    assert_true(quota_next_available_ms(&q, T0, 6001) == QUOTA_NEVER);
    assert_string_equal(why_not(T0, 6001), "tpm");
}

static void test_quota_next_available_is_the_first_moment_can_take_agrees(void **state)
{
    (void)state;
    /* Several limits binding at once, with provider-reported extra use. */
    init(3, 10, 5000, 20000, 0, QUOTA_TZ_UTC, T0);
    call(T0, 2000);
    call(T0 + 7 * SEC, 1500);
    call(T0 + 9 * SEC, 1000);
    struct ratelimit_obs o = obs();
    o.kind = RL_MINUTE;
    o.retry_after_ms = 4000;
    o.tokens_limit_minute = 5000;
    o.tokens_remaining_minute = 0;
    o.tokens_reset_minute_ms = 30 * SEC;
    quota_observe(&q, T0 + 10 * SEC, &o);
    const long sizes[] = {0, 500, 2500, 4999};
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        int64_t now = T0 + 10 * SEC;
        int64_t t = quota_next_available_ms(&q, now, sizes[i]);
        assert_true(t > now);
        assert_true(quota_can_take(&q, t, sizes[i], NULL));
        assert_false(quota_can_take(&q, t - 1, sizes[i], NULL));
    }
}

/* ---- reporting and persistence ---- */

static void test_quota_day_fraction_left_is_the_tightest_daily_limit(void **state)
{
    (void)state;
    init(0, 100, 0, 10000, 0, QUOTA_TZ_UTC, T0);
    assert_true(quota_day_fraction_left(&q, T0) == 1.0);
    for (int i = 0; i < 10; i++)
        call(T0 + i * SEC, 500);
    assert_true(quota_day_fraction_left(&q, T0 + MIN) == 0.5); /* tokens 5000/10000 */
    init(30, 0, 6000, 0, 0, QUOTA_TZ_UTC, T0);
    assert_true(quota_day_fraction_left(&q, T0) == 1.0); /* no daily limit known */
    assert_int_equal(quota_remaining_day_requests(&q, T0), -1);
}

static void test_quota_load_day_restores_todays_usage(void **state)
{
    (void)state;
    init(0, 100, 0, 0, 0, QUOTA_TZ_UTC, T0);
    quota_load_day(&q, JAN15_0000Z, 60, 5000);
    assert_int_equal(quota_remaining_day_requests(&q, T0), 40);
    assert_int_equal(q.day_tokens, 5000);
    assert_int_equal(q.day_start_ms, JAN15_0000Z);
}

static void test_quota_load_day_ignores_an_earlier_day(void **state)
{
    (void)state;
    init(0, 100, 0, 0, 0, QUOTA_TZ_UTC, T0);
    quota_load_day(&q, JAN15_0000Z - DAY, 60, 5000);
    assert_int_equal(quota_remaining_day_requests(&q, T0), 100);
}

/* ---- random traffic against an exact model ---- */

struct sim_call {
    int64_t taken;
    long est, actual;
    int settled, happened;
};

static uint64_t rng = 88172645463325252ULL;
static long rnd(long n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (long)(rng % (uint64_t)n);
}

/* What a provider that counts every call at its start, for exactly 60 s, sees at t:
 * settled calls count their actual use, calls in flight their reservation. */
static void truth_minute(const struct sim_call *c, int n, int64_t t, long *req, long *tok)
{
    *req = *tok = 0;
    for (int i = n - 1; i >= 0; i--) { /* calls are in take order */
        if (c[i].taken + MIN <= t) break;
        if (c[i].taken > t) continue;
        if (c[i].settled && !c[i].happened) continue;
        *req += 1;
        *tok += c[i].settled ? c[i].actual : c[i].est;
    }
}

static long truth_day_tokens(const struct sim_call *c, int n, int64_t t)
{
    long tok = 0;
    int64_t start = quota_day_start_ms(QUOTA_TZ_UTC, t);
    for (int i = n - 1; i >= 0 && c[i].taken >= start; i--)
        if (c[i].taken <= t && !(c[i].settled && !c[i].happened))
            tok += c[i].settled ? c[i].actual : c[i].est;
    return tok;
}

static void run_random_traffic(int with_take_time)
{
    enum { N = 3000 };
    static struct sim_call c[N];
    init(0, 0, 0, 0, 0, QUOTA_TZ_UTC, JAN15_0000Z + DAY - 20 * MIN);
    int64_t t = JAN15_0000Z + DAY - 20 * MIN; /* crosses midnight */
    int n = 0, open = 0;
    for (int step = 0; step < 2 * N && (n < N || open > 0); step++) {
        t += rnd(1500);
        if (n < N && (open == 0 || rnd(100) < 55)) {
            c[n] = (struct sim_call){.taken = t, .est = 100 + rnd(2000)};
            quota_take(&q, t, c[n].est);
            n++;
            open++;
        } else {
            int pick = -1; /* any open call: completions come out of order */
            for (int k = rnd(n); pick < 0; k = (k + 1) % n)
                if (!c[k].settled) pick = k;
            c[pick].settled = 1;
            c[pick].happened = rnd(10) != 0;
            c[pick].actual = c[pick].happened ? rnd(c[pick].est * 3 / 2 + 1) : 0;
            if (with_take_time)
                quota_settle_taken(&q, t, c[pick].taken, c[pick].est, c[pick].actual,
                                   c[pick].happened);
            else
                quota_settle(&q, t, c[pick].est, c[pick].actual, c[pick].happened);
            open--;
        }
        for (int64_t probe = t; probe < t + 2 * MIN; probe += 7 * SEC) {
            long qr, qt, tr, tt;
            quota_minute_usage(&q, probe, &qr, &qt);
            truth_minute(c, n, probe, &tr, &tt);
            assert_true(qr >= tr);
            assert_true(qt >= tt);
        }
        assert_true(q.day_tokens >= truth_day_tokens(c, n, t) ||
                    quota_day_start_ms(QUOTA_TZ_UTC, t) > q.day_start_ms);
    }
    assert_int_equal(q.in_flight, 0);
    long r, tk;
    quota_minute_usage(&q, t + MIN + SEC, &r, &tk);
    assert_int_equal(r, 0);
    assert_int_equal(tk, 0);
}

static void test_quota_random_out_of_order_traffic_never_under_counts(void **state)
{
    (void)state;
    run_random_traffic(0);
}

static void test_quota_random_traffic_with_take_times_never_under_counts(void **state)
{
    (void)state;
    run_random_traffic(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quota_day_start_utc_is_midnight_utc),
        cmocka_unit_test(test_quota_day_start_pacific_winter_is_0800_utc),
        cmocka_unit_test(test_quota_day_start_pacific_summer_is_0700_utc),
        cmocka_unit_test(test_quota_pacific_day_dst_starts_is_23_hours),
        cmocka_unit_test(test_quota_pacific_day_dst_ends_is_25_hours),
        cmocka_unit_test(test_quota_rpm_allows_the_last_call_and_refuses_the_next),
        cmocka_unit_test(test_quota_rpm_sliding_window_frees_60_s_after_the_first_call),
        cmocka_unit_test(test_quota_call_late_in_a_second_counts_a_full_60_s),
        cmocka_unit_test(test_quota_tpm_reserves_the_estimate),
        cmocka_unit_test(test_quota_tpm_settle_replaces_estimate_with_actual),
        cmocka_unit_test(test_quota_tpm_settle_over_estimate_charges_the_excess),
        cmocka_unit_test(test_quota_settle_unknown_actual_keeps_the_estimate),
        cmocka_unit_test(test_quota_settle_taken_refunds_the_right_second),
        cmocka_unit_test(test_quota_settled_call_counts_from_settle_time),
        cmocka_unit_test(test_quota_anonymous_settle_out_of_order_over_counts_never_under),
        cmocka_unit_test(test_quota_never_exceeds_rpd),
        cmocka_unit_test(test_quota_rpd_resets_at_utc_midnight),
        cmocka_unit_test(test_quota_rpd_resets_at_pacific_midnight_not_utc),
        cmocka_unit_test(test_quota_rpd_resets_at_pacific_midnight_after_dst_starts),
        cmocka_unit_test(test_quota_rpd_resets_at_pacific_midnight_after_dst_ends),
        cmocka_unit_test(test_quota_tpd_refuses_a_call_that_would_cross_it),
        cmocka_unit_test(test_quota_settle_after_midnight_does_not_refund_today),
        cmocka_unit_test(test_quota_settle_after_midnight_charges_excess_today),
        cmocka_unit_test(test_quota_call_that_never_reached_the_provider_gives_back_its_request),
        cmocka_unit_test(test_quota_failed_request_still_counts_against_rpd),
        cmocka_unit_test(test_quota_concurrency_limits_calls_in_flight),
        cmocka_unit_test(test_quota_retry_after_sets_a_cooldown),
        cmocka_unit_test(test_quota_rl_minute_without_delay_waits_for_the_reported_reset),
        cmocka_unit_test(test_quota_unexplained_429s_back_off_doubling_until_a_success),
        cmocka_unit_test(test_quota_capacity_refusal_cools_down_briefly),
        cmocka_unit_test(test_quota_retry_after_on_a_success_is_still_honoured),
        cmocka_unit_test(test_quota_rl_day_blocks_until_the_next_reset),
        cmocka_unit_test(test_quota_rl_day_blocks_until_pacific_midnight_for_gemini),
        cmocka_unit_test(test_quota_rl_day_believes_a_long_retry_after),
        cmocka_unit_test(test_quota_rl_day_uses_the_reported_day_reset),
        cmocka_unit_test(test_quota_key_used_elsewhere_lowers_remaining_day),
        cmocka_unit_test(test_quota_more_remaining_than_we_think_changes_nothing),
        cmocka_unit_test(test_quota_minute_report_raises_minute_usage_until_its_reset),
        cmocka_unit_test(test_quota_minute_tokens_report_lowers_what_fits),
        cmocka_unit_test(test_quota_zero_left_of_an_unknown_limit_waits_for_its_reset),
        cmocka_unit_test(test_quota_learns_limits_from_headers_when_config_is_zero),
        cmocka_unit_test(test_quota_header_limit_only_lowers_a_configured_limit),
        cmocka_unit_test(test_quota_month_budget_spent_blocks_until_the_day_resets),
        cmocka_unit_test(test_quota_next_available_is_now_when_it_fits),
        cmocka_unit_test(test_quota_next_available_waits_for_the_oldest_call_to_leave),
        cmocka_unit_test(test_quota_next_available_waits_until_enough_tokens_leave),
        cmocka_unit_test(test_quota_next_available_for_a_spent_day_is_the_reset),
        cmocka_unit_test(test_quota_next_available_never_for_a_call_larger_than_tpm),
        cmocka_unit_test(test_quota_next_available_is_the_first_moment_can_take_agrees),
        cmocka_unit_test(test_quota_day_fraction_left_is_the_tightest_daily_limit),
        cmocka_unit_test(test_quota_load_day_restores_todays_usage),
        cmocka_unit_test(test_quota_load_day_ignores_an_earlier_day),
        cmocka_unit_test(test_quota_random_out_of_order_traffic_never_under_counts),
        cmocka_unit_test(test_quota_random_traffic_with_take_times_never_under_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
