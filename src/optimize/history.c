/* history: a ring of per-interval snapshots of named series, and latency samples per
 * deployment; see history.h.
 *
 * Storage is one big zeroed block of capacity x HISTORY_MAX_SERIES doubles, row per
 * snapshot. A row remembers how many series existed when it was written (its width);
 * columns past it read as null, so a series born later needs no back-filling, and the
 * pages of columns never used are never touched. */
#include "optimize/history.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "llm/router.h"
#include "optimize/stats.h"
#include "store/store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds (seconds) of the Prometheus latency histogram; +Inf is implied. */
static const double latency_buckets_s[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define N_BUCKETS ((int)ARRAY_LEN(latency_buckets_s))

struct series {
    char group[16]; /* "stats", "savings", "interviews", "modes", "providers" */
    char name[64];  /* a mode or a deployment; "" for the flat groups */
    char field[32]; /* "requests_today", "latency_p95_ms", ... */
};

struct latency {
    char name[64];   /* deployment */
    double *samples; /* milliseconds, this interval; HISTORY_MAX_SAMPLES of room */
    int n;           /* samples held */
    uint64_t seen;   /* samples offered this interval (>= n once the reservoir is full) */
    uint64_t buckets[N_BUCKETS + 1]; /* cumulative since start, last is +Inf */
    double sum_s;                    /* of every sample since start, seconds */
    uint64_t count;                  /* samples since start */
};

struct history {
    struct timer *timer; /* every interval_ms; NULL without a loop */
    int64_t interval_ms;
    int capacity;          /* rows in the ring */
    history_input_fn read; /* the caller's numbers */
    void *data;
    struct series series[HISTORY_MAX_SERIES];
    int n_series;
    int series_full_logged;              /* "too many series" said once */
    double *values;                      /* capacity rows of HISTORY_MAX_SERIES */
    int *width;                          /* series that existed when each row was written */
    int64_t *t_ms;                       /* when each row was taken */
    int head;                            /* next row to write */
    int count;                           /* rows stored, <= capacity */
    double live[HISTORY_MAX_SERIES];     /* scratch row for live views */
    double scratch[HISTORY_MAX_SAMPLES]; /* samples being sorted */
    struct latency lat[HISTORY_MAX_PROVIDERS];
    int n_lat;
    uint64_t rng;        /* xorshift state for the reservoir */
    struct store *store; /* where snapshots are kept (issue 17), or NULL */
};

/* ---- series ---- */

static int series_index(struct history *h, const char *group, const char *name, const char *field)
{
    for (int i = 0; i < h->n_series; i++) {
        const struct series *s = &h->series[i];
        if (!strcmp(s->field, field) && !strcmp(s->name, name) && !strcmp(s->group, group))
            return i;
    }
    if (h->n_series == HISTORY_MAX_SERIES) {
        if (!h->series_full_logged)
            log_warn("history_full", "max_series=%d dropped=\"%s/%s/%s\"", HISTORY_MAX_SERIES,
                     group, name, field);
        h->series_full_logged = 1;
        return -1;
    }
    struct series *s = &h->series[h->n_series];
    snprintf(s->group, sizeof s->group, "%s", group);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->field, sizeof s->field, "%s", field);
    return h->n_series++;
}

static void set(struct history *h, double *row, const char *group, const char *name,
                const char *field, double v)
{
    int i = series_index(h, group, name, field);
    if (i >= 0) row[i] = v;
}

/* ---- latency ---- */

static uint64_t next_random(struct history *h)
{
    uint64_t x = h->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return h->rng = x;
}

static struct latency *latency_for(struct history *h, const char *name)
{
    for (int i = 0; i < h->n_lat; i++)
        if (!strcmp(h->lat[i].name, name)) return &h->lat[i];
    if (h->n_lat == HISTORY_MAX_PROVIDERS) return NULL;
    struct latency *l = &h->lat[h->n_lat++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->samples = xmalloc(HISTORY_MAX_SAMPLES * sizeof *l->samples);
    return l;
}

void history_observe(const char *deployment, enum llm_status status, int64_t latency_ms, void *data)
{
    struct history *h = data;
    if (status != LLM_OK || !deployment || latency_ms < 0) return;
    struct latency *l = latency_for(h, deployment);
    if (!l) return;
    double ms = (double)latency_ms;
    l->seen++;
    if (l->n < HISTORY_MAX_SAMPLES) {
        l->samples[l->n++] = ms;
    } else {
        /* Algorithm R: the k-th sample replaces a random slot with probability MAX/k. */
        uint64_t j = next_random(h) % l->seen;
        if (j < HISTORY_MAX_SAMPLES) l->samples[j] = ms;
    }
    double s = ms / 1000.0;
    int b = 0;
    while (b < N_BUCKETS && s > latency_buckets_s[b])
        b++;
    for (int k = b; k <= N_BUCKETS; k++)
        l->buckets[k]++;
    l->sum_s += s;
    l->count++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double history_quantile(double *samples, int n, double q)
{
    if (n <= 0) return NAN;
    qsort(samples, (size_t)n, sizeof *samples, cmp_double);
    /* nearest rank: the smallest sample with at least q of them at or below it */
    int rank = (int)ceil(q * n);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return samples[rank - 1];
}

/* ---- snapshots ---- */

static double number(const json_t *j)
{
    if (json_is_integer(j)) return (double)json_integer_value(j);
    if (json_is_real(j)) return json_real_value(j);
    return NAN;
}

static void fill_stats(struct history *h, double *row, const struct stats *st)
{
    json_t *doc = stats_json(st);
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        if (json_is_number(v)) set(h, row, "stats", "", key, number(v));
    }
    json_object_foreach(json_object_get(doc, "by_saving"), key, v)
    {
        if (json_is_number(v)) set(h, row, "savings", "", key, number(v));
    }
    json_decref(doc);
}

static void fill_providers(struct history *h, double *row, const struct router *r)
{
    static const char *const fields[][2] = {
        /* {object or "", key} in router_status_json -> series field */
        {"used_today", "requests"},
        {"used_today", "tokens"},
        {"used_today", "in_flight"},
        {"", "latency_ms"},
        {"", "calls"},
        {"", "failed"},
        {"", "rate_limited"},
    };
    static const char *const names[] = {"requests_today",  "tokens_today", "in_flight",
                                        "latency_ewma_ms", "calls",        "failed",
                                        "rate_limited"};
    json_t *doc = router_status_json(r);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "providers"), i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        if (!name) continue;
        for (size_t k = 0; k < ARRAY_LEN(names); k++) {
            const json_t *o = fields[k][0][0] ? json_object_get(p, fields[k][0]) : p;
            set(h, row, "providers", name, names[k], number(json_object_get(o, fields[k][1])));
        }
    }
    json_decref(doc);
}

static void fill_latency(struct history *h, double *row)
{
    for (int i = 0; i < h->n_lat; i++) {
        struct latency *l = &h->lat[i];
        memcpy(h->scratch, l->samples, (size_t)l->n * sizeof *l->samples);
        double p50 = history_quantile(h->scratch, l->n, 0.50);
        double p95 = history_quantile(h->scratch, l->n, 0.95);
        set(h, row, "providers", l->name, "latency_p50_ms", p50);
        set(h, row, "providers", l->name, "latency_p95_ms", p95);
        set(h, row, "providers", l->name, "latency_samples", (double)l->seen);
    }
}

/* Fills row (HISTORY_MAX_SERIES wide) with the numbers of now; returns the input read. */
static void fill_row(struct history *h, double *row, struct history_input *in)
{
    for (int i = 0; i < HISTORY_MAX_SERIES; i++)
        row[i] = NAN;
    memset(in, 0, sizeof *in);
    if (h->read) h->read(in, h->data);
    if (in->stats) fill_stats(h, row, in->stats);
    set(h, row, "interviews", "", "started", (double)in->interviews_started);
    set(h, row, "interviews", "", "finished", (double)in->interviews_finished);
    set(h, row, "interviews", "", "reports", (double)in->reports_ready);
    set(h, row, "interviews", "", "in_progress", (double)in->interviews_in_progress);
    for (int m = 0; m < in->n_modes && m < HISTORY_MAX_MODES; m++) {
        if (!in->modes[m].name) continue;
        set(h, row, "modes", in->modes[m].name, "started", (double)in->modes[m].started);
        set(h, row, "modes", in->modes[m].name, "in_progress", (double)in->modes[m].in_progress);
    }
    if (in->router) fill_providers(h, row, in->router);
    fill_latency(h, row);
}

/* Appends a row (n_series wide) taken at t_ms to the ring. */
static void push_row(struct history *h, const double *row, int width, int64_t t_ms)
{
    int r = h->head;
    /* only the columns that exist: those past width read as null and are never touched */
    memcpy(&h->values[(size_t)r * HISTORY_MAX_SERIES], row, (size_t)width * sizeof(double));
    h->width[r] = width;
    h->t_ms[r] = t_ms;
    h->head = (h->head + 1) % h->capacity;
    if (h->count < h->capacity) h->count++;
}

/* A row as the store keeps it: {"v":[[group, name, field, value], ...]} (new ref). */
static json_t *row_to_json(const struct history *h, const double *row, int width)
{
    json_t *v = json_array();
    for (int i = 0; i < width; i++) {
        if (isnan(row[i]) || isinf(row[i])) continue;
        const struct series *se = &h->series[i];
        json_array_append_new(v, json_pack("[s,s,s,f]", se->group, se->name, se->field, row[i]));
    }
    return json_pack("{s:o}", "v", v);
}

static void save_row(struct history *h, const double *row, int width, int64_t t_ms)
{
    if (!h->store) return;
    int64_t slot = t_ms - t_ms % h->interval_ms;
    json_t *doc = row_to_json(h, row, width);
    char *text = json_dumps(doc, JSON_COMPACT);
    int64_t keep = slot - (int64_t)h->capacity * h->interval_ms;
    enum store_err se = store_call(h->store, history_put, slot, text, keep);
    if (se != STORE_OK) log_warn("history_save_failed", "error=\"%s\"", store_strerror(se));
    free(text);
    json_decref(doc);
}

void history_set_store(struct history *h, struct store *s)
{
    h->store = s;
    if (!s) return;
    /* what is in memory now (the start-up snapshot) goes after what the store has */
    int n = h->count;
    double *keep = xmalloc((size_t)(n ? n : 1) * HISTORY_MAX_SERIES * sizeof *keep);
    int *keep_w = xcalloc((size_t)(n ? n : 1), sizeof *keep_w);
    int64_t *keep_t = xcalloc((size_t)(n ? n : 1), sizeof *keep_t);
    int first = (h->head - h->count + h->capacity) % h->capacity;
    for (int k = 0; k < n; k++) {
        int r = (first + k) % h->capacity;
        memcpy(&keep[(size_t)k * HISTORY_MAX_SERIES], &h->values[(size_t)r * HISTORY_MAX_SERIES],
               HISTORY_MAX_SERIES * sizeof *keep);
        keep_w[k] = h->width[r];
        keep_t[k] = h->t_ms[r];
    }
    int64_t oldest_kept = n ? keep_t[0] : clock_now_ms();
    struct store_agg_list l = {0};
    int64_t since = oldest_kept - (int64_t)h->capacity * h->interval_ms;
    enum store_err se = store_call(s, history_list, since, &l);
    if (se != STORE_OK) log_warn("history_load_failed", "error=\"%s\"", store_strerror(se));
    h->head = h->count = 0;
    int loaded = 0;
    for (size_t i = 0; se == STORE_OK && i < l.len; i++) {
        if (l.items[i].n >= oldest_kept) continue; /* not older than ours */
        json_error_t je;
        json_t *doc = json_loads(l.items[i].k1 ? l.items[i].k1 : "", 0, &je);
        size_t j;
        json_t *e;
        for (int k = 0; k < HISTORY_MAX_SERIES; k++)
            h->live[k] = NAN;
        json_array_foreach(json_object_get(doc, "v"), j, e)
        {
            const char *g = json_string_value(json_array_get(e, 0));
            const char *nm = json_string_value(json_array_get(e, 1));
            const char *f = json_string_value(json_array_get(e, 2));
            if (g && nm && f) set(h, h->live, g, nm, f, json_number_value(json_array_get(e, 3)));
        }
        json_decref(doc);
        push_row(h, h->live, h->n_series, l.items[i].n);
        loaded++;
    }
    store_agg_list_free(&l);
    for (int k = 0; k < n; k++)
        push_row(h, &keep[(size_t)k * HISTORY_MAX_SERIES], keep_w[k], keep_t[k]);
    for (int k = 0; k < n; k++) /* the start-up snapshot into the store too */
        save_row(h, &keep[(size_t)k * HISTORY_MAX_SERIES], keep_w[k], keep_t[k]);
    free(keep);
    free(keep_w);
    free(keep_t);
    if (loaded) log_info("history_loaded", "snapshots=%d", loaded);
}

void history_record(struct history *h, int64_t now_ms)
{
    struct history_input in;
    fill_row(h, h->live, &in);
    push_row(h, h->live, h->n_series, now_ms);
    save_row(h, h->live, h->n_series, now_ms);
    for (int i = 0; i < h->n_lat; i++) { /* a new latency interval */
        h->lat[i].n = 0;
        h->lat[i].seen = 0;
    }
}

static void on_timer(void *arg)
{
    struct history *h = arg;
    history_record(h, clock_now_ms());
    timer_start(h->timer, h->interval_ms);
}

struct history *history_new(struct event_base *base, int64_t interval_ms, int capacity,
                            history_input_fn read, void *data)
{
    struct history *h = xcalloc(1, sizeof *h);
    h->interval_ms = interval_ms > 0 ? interval_ms : HISTORY_INTERVAL_MS;
    h->capacity = capacity > 0 ? capacity : HISTORY_CAPACITY;
    h->read = read;
    h->data = data;
    h->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)clock_mono_ms();
    if (!h->rng) h->rng = 1;
    /* calloc of a large block maps zero pages lazily: columns never used cost nothing */
    h->values = xcalloc((size_t)h->capacity * HISTORY_MAX_SERIES, sizeof *h->values);
    h->width = xcalloc((size_t)h->capacity, sizeof *h->width);
    h->t_ms = xcalloc((size_t)h->capacity, sizeof *h->t_ms);
    history_record(h, clock_now_ms());
    if (base) {
        h->timer = timer_new(base, on_timer, h);
        timer_start(h->timer, h->interval_ms);
    }
    return h;
}

void history_free(struct history *h)
{
    if (!h) return;
    if (h->timer) timer_free(h->timer);
    for (int i = 0; i < h->n_lat; i++)
        free(h->lat[i].samples);
    free(h->values);
    free(h->width);
    free(h->t_ms);
    free(h);
}

/* ---- output ---- */

static json_t *value_json(double v)
{
    if (isnan(v) || isinf(v)) return json_null();
    if (v == trunc(v) && fabs(v) < 9007199254740992.0) return json_integer((json_int_t)v);
    return json_real(v);
}

/* The object at obj[key], created empty if absent. */
static json_t *child(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);
    if (!c) {
        c = json_object();
        json_object_set_new(obj, key, c);
    }
    return c;
}

json_t *history_json(struct history *h, int64_t now_ms)
{
    struct history_input in;
    fill_row(h, h->live, &in); /* may add series: do it before reading n_series */
    json_t *doc = json_object();
    json_object_set_new(doc, "interval_s", json_real((double)h->interval_ms / 1000.0));
    json_object_set_new(doc, "capacity", json_integer(h->capacity));
    json_object_set_new(doc, "stored", json_integer(h->count));
    json_object_set_new(doc, "live", json_true());
    json_object_set_new(doc, "mode_now", in.mode_now ? json_string(in.mode_now) : json_null());
    int first = (h->head - h->count + h->capacity) % h->capacity;
    json_t *t = json_array();
    for (int k = 0; k < h->count; k++)
        json_array_append_new(t, json_real((double)h->t_ms[(first + k) % h->capacity] / 1000.0));
    json_array_append_new(t, json_real((double)now_ms / 1000.0));
    json_object_set_new(doc, "t", t);
    for (int s = 0; s < h->n_series; s++) {
        const struct series *se = &h->series[s];
        json_t *arr = json_array();
        for (int k = 0; k < h->count; k++) {
            int r = (first + k) % h->capacity;
            double v =
                s < h->width[r] ? h->values[(size_t)r * HISTORY_MAX_SERIES + (size_t)s] : NAN;
            json_array_append_new(arr, value_json(v));
        }
        json_array_append_new(arr, value_json(h->live[s]));
        json_t *parent = child(doc, se->group);
        if (se->name[0]) parent = child(parent, se->name);
        json_object_set_new(parent, se->field, arr);
    }
    return doc;
}

/* Writes s as a Prometheus label value: backslash, quote and newline escaped. */
static void label_value(struct sbuf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            sbuf_puts(out, "\\\\");
        else if (*s == '"')
            sbuf_puts(out, "\\\"");
        else if (*s == '\n')
            sbuf_puts(out, "\\n");
        else
            sbuf_append(out, s, 1);
    }
}

void history_prometheus(struct history *h, struct sbuf *out)
{
    struct history_input in;
    memset(&in, 0, sizeof in);
    if (h->read) h->read(&in, h->data);
    int n_modes = in.n_modes < HISTORY_MAX_MODES ? in.n_modes : HISTORY_MAX_MODES;

    sbuf_puts(out, "# HELP interviewd_interviews_started_total Interviews started since the "
                   "process started, by mode.\n"
                   "# TYPE interviewd_interviews_started_total counter\n");
    for (int m = 0; m < n_modes; m++) {
        if (!in.modes[m].name) continue;
        sbuf_puts(out, "interviewd_interviews_started_total{mode=\"");
        label_value(out, in.modes[m].name);
        sbuf_printf(out, "\"} %ld\n", in.modes[m].started);
    }
    sbuf_puts(out, "# HELP interviewd_interviews_in_progress Interviews started by this process "
                   "and not yet answered to the end, by mode.\n"
                   "# TYPE interviewd_interviews_in_progress gauge\n");
    for (int m = 0; m < n_modes; m++) {
        if (!in.modes[m].name) continue;
        sbuf_puts(out, "interviewd_interviews_in_progress{mode=\"");
        label_value(out, in.modes[m].name);
        sbuf_printf(out, "\"} %ld\n", in.modes[m].in_progress);
    }
    sbuf_printf(out,
                "# HELP interviewd_interviews_finished_total Interviews answered to the last "
                "question since the process started.\n"
                "# TYPE interviewd_interviews_finished_total counter\n"
                "interviewd_interviews_finished_total %ld\n"
                "# HELP interviewd_interview_reports_total Interview reports written since the "
                "process started.\n"
                "# TYPE interviewd_interview_reports_total counter\n"
                "interviewd_interview_reports_total %ld\n",
                in.interviews_finished, in.reports_ready);

    sbuf_puts(
        out,
        "# HELP interviewd_provider_call_duration_seconds Latency of successful provider calls.\n"
        "# TYPE interviewd_provider_call_duration_seconds histogram\n");
    for (int i = 0; i < h->n_lat; i++) {
        const struct latency *l = &h->lat[i];
        for (int b = 0; b <= N_BUCKETS; b++) {
            sbuf_puts(out, "interviewd_provider_call_duration_seconds_bucket{provider=\"");
            label_value(out, l->name);
            if (b < N_BUCKETS)
                sbuf_printf(out, "\",le=\"%g\"} %llu\n", latency_buckets_s[b],
                            (unsigned long long)l->buckets[b]);
            else
                sbuf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)l->buckets[b]);
        }
        sbuf_puts(out, "interviewd_provider_call_duration_seconds_sum{provider=\"");
        label_value(out, l->name);
        sbuf_printf(out, "\"} %.6f\n", l->sum_s);
        sbuf_puts(out, "interviewd_provider_call_duration_seconds_count{provider=\"");
        label_value(out, l->name);
        sbuf_printf(out, "\"} %llu\n", (unsigned long long)l->count);
    }
}
