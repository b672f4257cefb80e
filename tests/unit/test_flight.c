/* test_flight: single-flight coalescing, one behaviour per test.
 *
 * Each caller is a `struct caller` that records what its callback received and in which
 * order callbacks ran (a shared counter), so "every waiter got the leader's bytes, in
 * join order, exactly once" is checked directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "optimize/flight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int order_counter; /* increments on every callback, across callers */

struct caller {
    int calls;       /* callback runs */
    int error;       /* last result was NULL */
    char result[64]; /* last result, NUL-terminated */
    size_t len;      /* last result's length */
    int order;       /* order_counter value when called */
};

static void on_done(const char *result, size_t len, void *data)
{
    struct caller *c = data;
    c->calls++;
    c->error = result == NULL;
    c->len = len;
    c->result[0] = 0;
    if (result) {
        size_t n = len < sizeof c->result - 1 ? len : sizeof c->result - 1;
        memcpy(c->result, result, n);
        c->result[n] = 0;
    }
    c->order = ++order_counter;
}

static int reset(void **state)
{
    (void)state;
    order_counter = 0;
    return 0;
}

static void test_first_join_leads_and_later_joins_wait(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller a = {0}, b = {0};
    assert_int_equal(flight_join(g, "k", on_done, &a), FLIGHT_LEADER);
    assert_int_equal(flight_join(g, "k", on_done, &b), FLIGHT_WAITER);
    assert_int_equal(flight_waiting(g, "k"), 2);
    assert_int_equal(a.calls + b.calls, 0); /* nobody is answered before the finish */
    flight_finish(g, "k", "r", 1);
    flight_group_free(g);
}

static void test_leader_and_three_waiters_get_the_same_result_in_join_order(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller c[4] = {{0}};
    assert_int_equal(flight_join(g, "iv:evaluate:k", on_done, &c[0]), FLIGHT_LEADER);
    for (int i = 1; i < 4; i++)
        assert_int_equal(flight_join(g, "iv:evaluate:k", on_done, &c[i]), FLIGHT_WAITER);
    flight_finish(g, "iv:evaluate:k", "{\"score\":4}", 11);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_false(c[i].error);
        assert_string_equal(c[i].result, "{\"score\":4}");
        assert_int_equal(c[i].len, 11);
        assert_int_equal(c[i].order, i + 1);
    }
    assert_int_equal(flight_waiting(g, "iv:evaluate:k"), 0);
    flight_group_free(g);
}

static void test_error_reaches_current_waiters_but_is_not_remembered(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller a = {0}, b = {0}, c = {0};
    flight_join(g, "k", on_done, &a);
    flight_join(g, "k", on_done, &b);
    flight_finish(g, "k", NULL, 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_true(a.error);
    assert_true(b.error);
    /* The next caller does not inherit the failure: it leads a new attempt. */
    assert_int_equal(flight_join(g, "k", on_done, &c), FLIGHT_LEADER);
    flight_finish(g, "k", "ok", 2);
    assert_false(c.error);
    assert_string_equal(c.result, "ok");
    struct flight_stats st;
    flight_stats(g, &st);
    assert_int_equal(st.errors, 1);
    flight_group_free(g);
}

static void test_success_is_not_remembered_either(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller a = {0}, b = {0};
    flight_join(g, "k", on_done, &a);
    flight_finish(g, "k", "r", 1);
    assert_int_equal(flight_join(g, "k", on_done, &b), FLIGHT_LEADER);
    flight_finish(g, "k", "r", 1);
    flight_group_free(g);
}

/* A callback that joins the flight it is being told about. */
struct rejoin {
    struct flight_group *g; /* the group */
    struct caller self;     /* what the first callback saw */
    struct caller again;    /* the caller that joins from inside the callback */
    int role;               /* what that join returned */
};

static void on_done_rejoin(const char *result, size_t len, void *data)
{
    struct rejoin *r = data;
    on_done(result, len, &r->self);
    r->role = flight_join(r->g, "k", on_done, &r->again);
}

static void test_join_during_a_callback_starts_a_new_flight(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct rejoin r = {.g = g};
    struct caller w = {0};
    flight_join(g, "k", on_done_rejoin, &r);
    flight_join(g, "k", on_done, &w);
    flight_finish(g, "k", "first", 5);
    assert_int_equal(r.role, FLIGHT_LEADER);
    assert_int_equal(w.calls, 1); /* the old flight's waiter still got "first" */
    assert_string_equal(w.result, "first");
    assert_int_equal(r.again.calls, 0); /* the new flight waits for its own finish */
    assert_int_equal(flight_waiting(g, "k"), 1);
    flight_finish(g, "k", "second", 6);
    assert_string_equal(r.again.result, "second");
    flight_group_free(g);
}

static void test_waiters_beyond_the_limit_are_refused(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller *c = calloc(FLIGHT_MAX_WAITERS + 2, sizeof *c);
    assert_int_equal(flight_join(g, "k", on_done, &c[0]), FLIGHT_LEADER);
    for (int i = 1; i <= FLIGHT_MAX_WAITERS; i++)
        assert_int_equal(flight_join(g, "k", on_done, &c[i]), FLIGHT_WAITER);
    struct caller *extra = &c[FLIGHT_MAX_WAITERS + 1];
    assert_int_equal(flight_join(g, "k", on_done, extra), FLIGHT_FULL);
    flight_finish(g, "k", "r", 1);
    for (int i = 0; i <= FLIGHT_MAX_WAITERS; i++)
        assert_int_equal(c[i].calls, 1);
    assert_int_equal(extra->calls, 0); /* a refused caller is never called back */
    struct flight_stats st;
    flight_stats(g, &st);
    assert_int_equal(st.full, 1);
    assert_int_equal(st.waiters, FLIGHT_MAX_WAITERS);
    free(c);
    flight_group_free(g);
}

static void test_different_keys_fly_independently(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller a = {0}, b = {0};
    assert_int_equal(flight_join(g, "k1", on_done, &a), FLIGHT_LEADER);
    assert_int_equal(flight_join(g, "k2", on_done, &b), FLIGHT_LEADER);
    flight_finish(g, "k2", "two", 3);
    assert_int_equal(a.calls, 0);
    assert_string_equal(b.result, "two");
    flight_finish(g, "k1", "one", 3);
    assert_string_equal(a.result, "one");
    flight_group_free(g);
}

static void test_finish_of_an_unknown_key_is_ignored(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller a = {0};
    flight_join(g, "k", on_done, &a);
    flight_finish(g, "other", "x", 1);
    flight_finish(g, NULL, "x", 1);
    assert_int_equal(a.calls, 0);
    flight_finish(g, "k", "x", 1);
    flight_finish(g, "k", "x", 1); /* a second finish finds nothing */
    assert_int_equal(a.calls, 1);
    flight_group_free(g);
}

static void test_empty_or_overlong_key_is_refused(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller a = {0};
    assert_int_equal(flight_join(g, "", on_done, &a), FLIGHT_FULL);
    assert_int_equal(flight_join(g, NULL, on_done, &a), FLIGHT_FULL);
    char *longkey = malloc(FLIGHT_KEY_MAX + 2);
    memset(longkey, 'k', FLIGHT_KEY_MAX + 1);
    longkey[FLIGHT_KEY_MAX + 1] = 0;
    assert_int_equal(flight_join(g, longkey, on_done, &a), FLIGHT_FULL);
    free(longkey);
    flight_group_free(g);
}

static void test_free_ends_unfinished_flights_as_errors(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller a = {0}, b = {0}, c = {0};
    flight_join(g, "k1", on_done, &a);
    flight_join(g, "k1", on_done, &b);
    flight_join(g, "k2", on_done, &c);
    flight_group_free(g);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(c.calls, 1);
    assert_true(a.error && b.error && c.error);
}

static void test_stats_count_leaders_and_saved_calls(void **state)
{
    (void)state;
    struct flight_group *g = flight_group_new();
    struct caller c[5] = {{0}};
    flight_join(g, "a", on_done, &c[0]);
    flight_join(g, "a", on_done, &c[1]);
    flight_join(g, "a", on_done, &c[2]);
    flight_join(g, "b", on_done, &c[3]);
    flight_join(g, "b", on_done, &c[4]);
    struct flight_stats st;
    flight_stats(g, &st);
    assert_int_equal(st.leaders, 2);
    assert_int_equal(st.waiters, 3);
    assert_int_equal(st.inflight, 2);
    flight_finish(g, "a", "x", 1);
    flight_stats(g, &st);
    assert_int_equal(st.inflight, 1);
    flight_group_free(g);
}

static void test_thousands_of_concurrent_keys_stay_separate(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct flight_group *g = flight_group_new();
    struct caller *c = calloc(2 * N, sizeof *c);
    char key[32], val[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        assert_int_equal(flight_join(g, key, on_done, &c[2 * i]), FLIGHT_LEADER);
        assert_int_equal(flight_join(g, key, on_done, &c[2 * i + 1]), FLIGHT_WAITER);
    }
    for (int i = N - 1; i >= 0; i--) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(val, sizeof val, "v%d", i);
        flight_finish(g, key, val, strlen(val));
    }
    for (int i = 0; i < N; i++) {
        snprintf(val, sizeof val, "v%d", i);
        assert_string_equal(c[2 * i].result, val);
        assert_string_equal(c[2 * i + 1].result, val);
    }
    free(c);
    flight_group_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_first_join_leads_and_later_joins_wait, reset),
        cmocka_unit_test_setup(test_leader_and_three_waiters_get_the_same_result_in_join_order,
                               reset),
        cmocka_unit_test_setup(test_error_reaches_current_waiters_but_is_not_remembered, reset),
        cmocka_unit_test_setup(test_success_is_not_remembered_either, reset),
        cmocka_unit_test_setup(test_join_during_a_callback_starts_a_new_flight, reset),
        cmocka_unit_test_setup(test_waiters_beyond_the_limit_are_refused, reset),
        cmocka_unit_test_setup(test_different_keys_fly_independently, reset),
        cmocka_unit_test_setup(test_finish_of_an_unknown_key_is_ignored, reset),
        cmocka_unit_test_setup(test_empty_or_overlong_key_is_refused, reset),
        cmocka_unit_test_setup(test_free_ends_unfinished_flights_as_errors, reset),
        cmocka_unit_test_setup(test_stats_count_leaders_and_saved_calls, reset),
        cmocka_unit_test_setup(test_thousands_of_concurrent_keys_stay_separate, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
