/* test_console: the operator console's pure parts (issue 17): CSV cells safe for
 * spreadsheets, the honest definitions of /api/optimization_stats, the store's named
 * counters, and a dashboard history that outlives its process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/admin.h"
#include "core/clock.h"
#include "core/util.h"
#include "optimize/history.h"
#include "optimize/stats.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *cell(const char *s)
{
    struct sbuf b = {0};
    admin_csv_cell(&b, s);
    return b.data ? sbuf_take(&b) : xstrdup("");
}

static void test_csv_cell_quotes_only_when_needed_and_doubles_quotes(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"plain", "plain"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"", ""},
        {"ada@example.org", "ada@example.org"}, /* @ inside is harmless */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = cell(cases[i][0]);
        assert_string_equal(got, cases[i][1]);
        free(got);
    }
}

static void test_csv_cell_never_starts_a_formula(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"=1+1", "\"'=1+1\""}, {"+33 1 23", "\"'+33 1 23\""},
        {"-2", "\"'-2\""},     {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\tx", "\"'\tx\""},   {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = cell(cases[i][0]);
        assert_string_equal(got, cases[i][1]);
        free(got);
    }
}

static json_t *stats_doc(const struct stats *s)
{
    return stats_json(s);
}

static void test_stats_fallbacks_are_not_savings(void **state)
{
    (void)state;
    struct stats s;
    stats_init(&s, 0.2);
    stats_count(&s, STATS_EVALUATE, STATS_FALLBACK, 12); /* never reached a model */
    stats_count(&s, STATS_SUMMARY, STATS_FALLBACK, 1);
    json_t *j = stats_doc(&s);
    assert_int_equal(json_integer_value(json_object_get(j, "total_requests")), 13);
    assert_int_equal(json_integer_value(json_object_get(j, "api_calls_saved")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "fallbacks")), 13);
    assert_true(json_real_value(json_object_get(j, "optimization_rate")) == 0.0);
    assert_true(json_real_value(json_object_get(j, "fallback_rate")) == 1.0);
    assert_null(json_object_get(json_object_get(j, "by_saving"), "fallback"));
    json_decref(j);
}

static void test_stats_every_request_is_served_exactly_one_way(void **state)
{
    (void)state;
    struct stats s;
    stats_init(&s, 0.2);
    stats_count(&s, STATS_QUESTION, STATS_POOL, 10);
    stats_count(&s, STATS_EVALUATE, STATS_API_CALL, 4);
    stats_count(&s, STATS_EVALUATE, STATS_BATCHED, 6);
    stats_count(&s, STATS_EVALUATE, STATS_PRECHECK, 2);
    stats_count(&s, STATS_RESUME_ANALYSIS, STATS_CACHE, 3);
    stats_count(&s, STATS_SUMMARY, STATS_FALLBACK, 1);
    for (int i = 0; i < 5; i++) /* 4 requests, one retried */
        stats_provider_call(&s, 100);
    json_t *j = stats_doc(&s);
    json_int_t total = json_integer_value(json_object_get(j, "total_requests"));
    json_int_t saved = json_integer_value(json_object_get(j, "api_calls_saved"));
    assert_int_equal(total, 26);
    assert_int_equal(saved, 19); /* pool 10 + batched 6 + cache 3 */
    assert_int_equal(json_integer_value(json_object_get(j, "served_by_provider")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "prechecked")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "api_calls")), 5);
    assert_true(fabs(json_real_value(json_object_get(j, "optimization_rate")) - 19.0 / 26.0) <
                1e-12);
    json_decref(j);
}

static void add_to(const char *name, int64_t v, void *data)
{
    assert_int_equal(stats_add_named(data, name, v), 0);
}

static void test_stats_named_counters_round_trip_and_diff(void **state)
{
    (void)state;
    struct stats a, b, copy;
    stats_init(&a, 0.2);
    stats_count(&a, STATS_GATEWAY, STATS_COALESCED, 7);
    stats_count(&a, STATS_EVALUATE, STATS_NEAR_DUP, 1);
    stats_provider_call(&a, 1234);
    stats_init(&copy, 0.2);
    stats_each_counter(&a, NULL, add_to, &copy);
    assert_memory_equal(copy.counts, a.counts, sizeof a.counts);
    assert_int_equal(copy.provider_tokens, 1234);
    /* a diff carries only what changed */
    b = a;
    stats_count(&a, STATS_GATEWAY, STATS_COALESCED, 2);
    struct stats delta;
    stats_init(&delta, 0.2);
    stats_each_counter(&a, &b, add_to, &delta);
    assert_int_equal(delta.counts[STATS_GATEWAY][STATS_COALESCED], 2);
    assert_int_equal(delta.counts[STATS_EVALUATE][STATS_NEAR_DUP], 0);
    assert_int_equal(delta.provider_calls, 0);
    assert_int_equal(stats_add_named(&delta, "llm.nope.cache", 1), -1);
    assert_int_equal(stats_add_named(&delta, "interviews_finished", 1), -1);
}

struct fake {
    struct stats stats;
};

static void read_fake(struct history_input *in, void *data)
{
    struct fake *f = data;
    in->stats = &f->stats;
    in->interviews_finished = (long)f->stats.counts[STATS_EVALUATE][STATS_API_CALL];
}

static void test_history_kept_in_the_store_is_loaded_by_the_next_process(void **state)
{
    (void)state;
    char path[] = "/tmp/test_console_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    struct store *s = store_sqlite_open(path, err, sizeof err);
    assert_non_null(s);
    struct fake f;
    stats_init(&f.stats, 0.2);
    const int64_t t0 = 1764633600000; /* a minute boundary */
    clock_use_virtual(t0);
    struct history *h1 = history_new(NULL, 60000, 100, read_fake, &f);
    history_set_store(h1, s);
    for (int m = 1; m <= 3; m++) {
        stats_count(&f.stats, STATS_EVALUATE, STATS_API_CALL, 10);
        history_record(h1, t0 + m * 60000 + 500);
    }
    history_free(h1);

    /* the next process: its start-up snapshot comes after the stored ones */
    clock_set_ms(t0 + 10 * 60000);
    struct history *h2 = history_new(NULL, 60000, 100, read_fake, &f);
    history_set_store(h2, s);
    json_t *doc = history_json(h2, t0 + 10 * 60000);
    json_t *t = json_object_get(doc, "t");
    json_t *fin = json_object_get(json_object_get(doc, "interviews"), "finished");
    /* h1's start-up row at t0, its three rows, h2's start-up row */
    assert_int_equal(json_integer_value(json_object_get(doc, "stored")), 5);
    assert_true(json_number_value(json_array_get(t, 0)) == (double)t0 / 1000.0);
    assert_true(json_number_value(json_array_get(t, 1)) == (double)(t0 + 60000) / 1000.0);
    assert_int_equal(json_integer_value(json_array_get(fin, 1)), 10);
    assert_int_equal(json_integer_value(json_array_get(fin, 3)), 30);
    for (size_t i = 1; i < json_array_size(t); i++)
        assert_true(json_number_value(json_array_get(t, i)) >=
                    json_number_value(json_array_get(t, i - 1)));
    json_decref(doc);
    history_free(h2);
    clock_use_real();
    store_close(s);
    unlink(path);
    char side[sizeof path + 8];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_cell_quotes_only_when_needed_and_doubles_quotes),
        cmocka_unit_test(test_csv_cell_never_starts_a_formula),
        cmocka_unit_test(test_stats_fallbacks_are_not_savings),
        cmocka_unit_test(test_stats_every_request_is_served_exactly_one_way),
        cmocka_unit_test(test_stats_named_counters_round_trip_and_diff),
        cmocka_unit_test(test_history_kept_in_the_store_is_loaded_by_the_next_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
