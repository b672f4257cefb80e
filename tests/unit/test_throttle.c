/* test_throttle: per-address and per-subnet sign-up limits (api/throttle.h). Time is
 * passed in, so each test states the minutes that matter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/throttle.h"

#include <stdio.h>
#include <string.h>

#define MIN_MS 60000LL
#define T0 1796083200000LL

static void test_throttle_flood_of_1000_from_one_address_lets_the_allowance_through(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    struct throttle_limits lim = {.per_address_per_hour = 5, .per_subnet_per_hour = 20};
    int allowed = 0;
    for (int i = 0; i < 1000; i++) /* 1,000 in one minute */
        allowed += throttle_take(t, THROTTLE_SIGNUP, "203.0.113.7", &lim, T0 + i * 60, NULL) == 0;
    assert_int_equal(allowed, 5);
    throttle_free(t);
}

static void test_throttle_refusal_says_when_to_retry(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    struct throttle_limits lim = {.per_address_per_hour = 6, .per_subnet_per_hour = 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(throttle_take(t, THROTTLE_SIGNUP, "198.51.100.1", &lim, T0, NULL), 0);
    const char *which = NULL;
    long retry = throttle_take(t, THROTTLE_SIGNUP, "198.51.100.1", &lim, T0, &which);
    assert_int_equal(retry, 600); /* one token every 10 minutes */
    assert_string_equal(which, "address");
    /* ten minutes later one more is allowed, and only one */
    assert_int_equal(
        throttle_take(t, THROTTLE_SIGNUP, "198.51.100.1", &lim, T0 + 10 * MIN_MS, NULL), 0);
    assert_true(throttle_take(t, THROTTLE_SIGNUP, "198.51.100.1", &lim, T0 + 10 * MIN_MS, NULL) >
                0);
    throttle_free(t);
}

static void test_throttle_rotating_addresses_in_one_ipv4_subnet_share_its_limit(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    struct throttle_limits lim = {.per_address_per_hour = 5, .per_subnet_per_hour = 20};
    int allowed = 0;
    const char *which = NULL;
    char addr[32];
    for (int i = 1; i <= 250; i++) {
        snprintf(addr, sizeof addr, "192.0.2.%d", i);
        allowed += throttle_take(t, THROTTLE_SIGNUP, addr, &lim, T0, &which) == 0;
    }
    assert_int_equal(allowed, 20);
    assert_string_equal(which, "subnet");
    /* another /24 is another subnet */
    assert_int_equal(throttle_take(t, THROTTLE_SIGNUP, "192.0.3.1", &lim, T0, NULL), 0);
    throttle_free(t);
}

static void test_throttle_rotating_ipv6_addresses_in_one_slash_64_share_its_limit(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    struct throttle_limits lim = {.per_address_per_hour = 5, .per_subnet_per_hour = 20};
    int allowed = 0;
    char addr[64];
    for (int i = 1; i <= 100; i++) {
        snprintf(addr, sizeof addr, "2001:db8:1:2:%x::1", i);
        allowed += throttle_take(t, THROTTLE_SIGNUP, addr, &lim, T0, NULL) == 0;
    }
    assert_int_equal(allowed, 20);
    throttle_free(t);
}

static void test_throttle_subnet_keys(void **state)
{
    (void)state;
    char out[80];
    assert_int_equal(throttle_subnet("10.1.2.3", out, sizeof out), 0);
    assert_string_equal(out, "10.1.2.0/24");
    assert_int_equal(throttle_subnet("::ffff:10.1.2.3", out, sizeof out), 0);
    assert_string_equal(out, "10.1.2.0/24");
    assert_int_equal(throttle_subnet("2001:db8:aaaa:bbbb:1:2:3:4", out, sizeof out), 0);
    assert_string_equal(out, "2001:db8:aaaa:bbbb::/64");
    assert_int_equal(throttle_subnet("not-an-address", out, sizeof out), -1);
}

static void test_throttle_actions_are_counted_apart(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    struct throttle_limits lim = {.per_address_per_hour = 1, .per_subnet_per_hour = 0};
    assert_int_equal(throttle_take(t, THROTTLE_SIGNUP, "203.0.113.9", &lim, T0, NULL), 0);
    assert_int_equal(throttle_take(t, THROTTLE_RESUME_UPDATE, "203.0.113.9", &lim, T0, NULL), 0);
    assert_true(throttle_take(t, THROTTLE_SIGNUP, "203.0.113.9", &lim, T0, NULL) > 0);
    throttle_free(t);
}

static void test_throttle_zero_means_unlimited(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    struct throttle_limits lim = {0, 0};
    for (int i = 0; i < 10000; i++)
        assert_int_equal(throttle_take(t, THROTTLE_SIGNUP, "203.0.113.1", &lim, T0, NULL), 0);
    throttle_free(t);
}

/* More distinct networks than the table holds, each partly spent: new ones are refused
 * (fail closed) rather than the table growing without bound; an hour later the full
 * buckets are forgotten and new keys fit again. */
static void test_throttle_table_full_fails_closed_then_recovers(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    struct throttle_limits lim = {.per_address_per_hour = 5, .per_subnet_per_hour = 0};
    char addr[32];
    int refused = 0;
    for (int i = 0; i < THROTTLE_MAX_KEYS + 100; i++) {
        snprintf(addr, sizeof addr, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        refused += throttle_take(t, THROTTLE_SIGNUP, addr, &lim, T0, NULL) != 0;
    }
    assert_int_equal(refused, 100);
    assert_int_equal(throttle_take(t, THROTTLE_SIGNUP, "172.16.0.1", &lim, T0 + 60 * MIN_MS, NULL),
                     0);
    throttle_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_flood_of_1000_from_one_address_lets_the_allowance_through),
        cmocka_unit_test(test_throttle_refusal_says_when_to_retry),
        cmocka_unit_test(test_throttle_rotating_addresses_in_one_ipv4_subnet_share_its_limit),
        cmocka_unit_test(test_throttle_rotating_ipv6_addresses_in_one_slash_64_share_its_limit),
        cmocka_unit_test(test_throttle_subnet_keys),
        cmocka_unit_test(test_throttle_actions_are_counted_apart),
        cmocka_unit_test(test_throttle_zero_means_unlimited),
        cmocka_unit_test(test_throttle_table_full_fails_closed_then_recovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
