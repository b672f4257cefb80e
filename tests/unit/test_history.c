/* test_history: the dashboard's ring of snapshots (optimize/history.h), one behaviour per
 * test. No event loop: snapshots are taken by calling history_record() with explicit
 * times, and the caller's numbers come from a struct the tests change between them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "optimize/history.h"
#include "optimize/stats.h"

#include <event2/event.h>
#include <math.h>
#include <string.h>

/* What the fake caller reports. */
struct fake {
    struct stats stats;
    long started, finished, in_progress;
    int with_economy; /* report a second mode */
};

static void read_fake(struct history_input *in, void *data)
{
    struct fake *f = data;
    in->stats = &f->stats;
    in->interviews_started = f->started;
    in->interviews_finished = f->finished;
    in->interviews_in_progress = f->in_progress;
    in->modes[in->n_modes++] = (struct history_mode){"full", f->started, f->in_progress};
    if (f->with_economy) in->modes[in->n_modes++] = (struct history_mode){"economy", 1, 1};
    in->mode_now = "full";
}

static json_t *series(json_t *doc, const char *group, const char *name, const char *field)
{
    json_t *g = json_object_get(doc, group);
    if (name) g = json_object_get(g, name);
    json_t *a = json_object_get(g, field);
    assert_non_null(a);
    assert_true(json_is_array(a));
    return a;
}

static double at(json_t *arr, size_t i)
{
    json_t *v = json_array_get(arr, i);
    assert_non_null(v);
    return json_is_null(v) ? NAN : json_number_value(v);
}

static void test_quantile_is_nearest_rank(void **state)
{
    (void)state;
    double s[100];
    for (int i = 0; i < 100; i++)
        s[i] = 100 - i; /* 100..1, unsorted */
    assert_true(history_quantile(s, 100, 0.50) == 50);
    assert_true(history_quantile(s, 100, 0.95) == 95);
    assert_true(history_quantile(s, 100, 1.0) == 100);
    double one = 7;
    assert_true(history_quantile(&one, 1, 0.95) == 7);
    assert_true(isnan(history_quantile(s, 0, 0.5)));
}

static void test_first_snapshot_is_taken_at_creation_and_live_point_is_last(void **state)
{
    (void)state;
    struct fake f = {0};
    stats_init(&f.stats, 0.2);
    struct history *h = history_new(NULL, 60000, 10, read_fake, &f);
    stats_count(&f.stats, STATS_QUESTION, STATS_POOL, 5);
    f.started = 2;
    json_t *doc = history_json(h, 1800000000000LL);
    assert_int_equal(json_integer_value(json_object_get(doc, "stored")), 1);
    json_t *t = json_object_get(doc, "t");
    assert_int_equal(json_array_size(t), 2);
    assert_true(at(t, 1) == 1800000000.0);
    json_t *total = series(doc, "stats", NULL, "total_requests");
    assert_true(at(total, 0) == 0); /* at creation */
    assert_true(at(total, 1) == 5); /* live */
    assert_true(at(series(doc, "savings", NULL, "pool"), 1) == 5);
    assert_true(at(series(doc, "interviews", NULL, "started"), 1) == 2);
    assert_string_equal(json_string_value(json_object_get(doc, "mode_now")), "full");
    json_decref(doc);
    history_free(h);
}

static void test_ring_keeps_only_the_newest_capacity_snapshots(void **state)
{
    (void)state;
    struct fake f = {0};
    stats_init(&f.stats, 0.2);
    struct history *h = history_new(NULL, 60000, 3, read_fake, &f);
    for (int i = 1; i <= 5; i++) {
        f.started = i;
        history_record(h, 1000LL * 60 * i);
    }
    f.started = 99;
    json_t *doc = history_json(h, 1000LL * 60 * 6);
    assert_int_equal(json_integer_value(json_object_get(doc, "stored")), 3);
    json_t *t = json_object_get(doc, "t");
    json_t *s = series(doc, "interviews", NULL, "started");
    assert_int_equal(json_array_size(t), 4);
    assert_int_equal(json_array_size(s), 4);
    assert_true(at(t, 0) == 180); /* snapshots 3, 4, 5, then live */
    assert_true(at(s, 0) == 3);
    assert_true(at(s, 2) == 5);
    assert_true(at(s, 3) == 99);
    json_decref(doc);
    history_free(h);
}

static void test_a_series_born_later_reads_null_before(void **state)
{
    (void)state;
    struct fake f = {0};
    stats_init(&f.stats, 0.2);
    struct history *h = history_new(NULL, 60000, 10, read_fake, &f);
    history_record(h, 60000);
    f.with_economy = 1;
    history_record(h, 120000);
    json_t *doc = history_json(h, 180000);
    json_t *s = series(doc, "modes", "economy", "in_progress");
    assert_int_equal(json_array_size(s), 4);
    assert_true(isnan(at(s, 0)));
    assert_true(isnan(at(s, 1)));
    assert_true(at(s, 2) == 1);
    assert_true(at(s, 3) == 1);
    assert_true(at(series(doc, "modes", "full", "in_progress"), 0) == 0);
    json_decref(doc);
    history_free(h);
}

static void test_latency_percentiles_cover_one_interval_each(void **state)
{
    (void)state;
    struct fake f = {0};
    stats_init(&f.stats, 0.2);
    struct history *h = history_new(NULL, 60000, 10, read_fake, &f);
    for (int i = 1; i <= 100; i++)
        history_observe("groq", LLM_OK, i, h);
    history_observe("groq", LLM_ERR_TIMEOUT, 30000, h); /* failures are not latency samples */
    history_observe("groq", LLM_ERR_RATE_LIMITED, 5, h);
    history_record(h, 60000);                /* closes the interval with 100 samples */
    history_observe("groq", LLM_OK, 400, h); /* the live interval: one sample */
    json_t *doc = history_json(h, 90000);
    json_t *p50 = series(doc, "providers", "groq", "latency_p50_ms");
    json_t *p95 = series(doc, "providers", "groq", "latency_p95_ms");
    json_t *n = series(doc, "providers", "groq", "latency_samples");
    assert_int_equal(json_array_size(p50), 3);
    assert_true(isnan(at(p50, 0))); /* before the deployment was seen */
    assert_true(at(p50, 1) == 50);
    assert_true(at(p95, 1) == 95);
    assert_true(at(n, 1) == 100);
    assert_true(at(p50, 2) == 400);
    assert_true(at(n, 2) == 1);
    json_decref(doc);
    history_record(h, 120000);
    history_record(h, 180000); /* an interval without calls */
    doc = history_json(h, 200000);
    p50 = series(doc, "providers", "groq", "latency_p50_ms");
    n = series(doc, "providers", "groq", "latency_samples");
    assert_true(isnan(at(p50, 3)));
    assert_true(at(n, 3) == 0);
    json_decref(doc);
    history_free(h);
}

static void test_reservoir_bounds_memory_but_counts_every_sample(void **state)
{
    (void)state;
    struct history *h = history_new(NULL, 60000, 10, NULL, NULL);
    int n = 20 * HISTORY_MAX_SAMPLES;
    for (int i = 1; i <= n; i++)
        history_observe("a", LLM_OK, i, h);
    history_record(h, 60000);
    json_t *doc = history_json(h, 61000);
    assert_true(at(series(doc, "providers", "a", "latency_samples"), 1) == n);
    double p50 = at(series(doc, "providers", "a", "latency_p50_ms"), 1);
    /* a uniform sample of 1..n: the median is near n/2 (within 10 %) */
    assert_true(fabs(p50 - n / 2.0) < n * 0.1);
    json_decref(doc);
    history_free(h);
}

static void test_prometheus_histogram_is_cumulative_with_sum_and_count(void **state)
{
    (void)state;
    struct fake f = {0};
    stats_init(&f.stats, 0.2);
    struct history *h = history_new(NULL, 60000, 10, read_fake, &f);
    history_observe("g\"x", LLM_OK, 30, h);
    history_observe("g\"x", LLM_OK, 300, h);
    history_observe("g\"x", LLM_OK, 3000, h);
    struct sbuf out = {0};
    history_prometheus(h, &out);
    assert_non_null(
        strstr(out.data, "# TYPE interviewd_provider_call_duration_seconds histogram\n"));
    assert_non_null(strstr(out.data, "_bucket{provider=\"g\\\"x\",le=\"0.05\"} 1\n"));
    assert_non_null(strstr(out.data, "_bucket{provider=\"g\\\"x\",le=\"0.5\"} 2\n"));
    assert_non_null(strstr(out.data, "_bucket{provider=\"g\\\"x\",le=\"2.5\"} 2\n"));
    assert_non_null(strstr(out.data, "_bucket{provider=\"g\\\"x\",le=\"5\"} 3\n"));
    assert_non_null(strstr(out.data, "_bucket{provider=\"g\\\"x\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(out.data, "_sum{provider=\"g\\\"x\"} 3.330000\n"));
    assert_non_null(strstr(out.data, "_count{provider=\"g\\\"x\"} 3\n"));
    assert_non_null(strstr(out.data, "interviewd_interviews_started_total{mode=\"full\"} 0\n"));
    sbuf_free(&out);
    history_free(h);
}

static void test_a_loop_takes_a_snapshot_every_interval(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct history *h = history_new(base, 40, 100, NULL, NULL); /* 40 ms */
    struct timeval run = {0, 190 * 1000};
    event_base_loopexit(base, &run);
    event_base_dispatch(base);
    json_t *doc = history_json(h, 0);
    json_int_t stored = json_integer_value(json_object_get(doc, "stored"));
    /* one at creation and one per 40 ms of the 190 ms run: 5, give or take a slow host */
    assert_true(stored >= 3 && stored <= 6);
    json_decref(doc);
    history_free(h);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_is_nearest_rank),
        cmocka_unit_test(test_first_snapshot_is_taken_at_creation_and_live_point_is_last),
        cmocka_unit_test(test_ring_keeps_only_the_newest_capacity_snapshots),
        cmocka_unit_test(test_a_series_born_later_reads_null_before),
        cmocka_unit_test(test_latency_percentiles_cover_one_interval_each),
        cmocka_unit_test(test_reservoir_bounds_memory_but_counts_every_sample),
        cmocka_unit_test(test_prometheus_histogram_is_cumulative_with_sum_and_count),
        cmocka_unit_test(test_a_loop_takes_a_snapshot_every_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
