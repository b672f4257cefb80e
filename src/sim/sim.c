/* sim: the day simulator; see sim.h.
 *
 * One heap of workload events (a candidate arrives, an answer is sent) and the timer
 * heap of core/timer (provider replies, router wake-ups, deadlines) share the virtual
 * clock: the loop takes whichever is due first, sets the clock to it and runs it.
 *
 * Days do not borrow (issue 16). Each UTC midnight closes a day: its provider calls,
 * tokens and money are what the providers counted up to that moment (a late interview
 * that runs past midnight is charged to the day its calls run in), and its interviews
 * are those that arrived that day, counted as the report stood when the day closed (or,
 * for one still running then, when the next day closed): a report re-scored by a model
 * later, on a later day's quota, does not make the earlier day look better. After the
 * last midnight the run goes on, with the next day's arrivals, until every interview of
 * the last day has its report: the last day's stragglers use the next day's quota and
 * money beside that day's first candidates, exactly as day N-1's use day N's in the
 * steady state, so the last day is like the others. That extra day is not reported (its
 * calls and spend until then are shown apart, as after_last_day). A deployment whose day
 * began before the
 * simulated one (a Pacific day at 00:00 UTC) starts with the elapsed share of its
 * limits already used, so a simulated day never gets more than one day of any quota. */
#include "sim/sim.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/budget.h"
#include "engine/engine.h"
#include "llm/quota.h"
#include "llm/router.h"
#include "optimize/stats.h"
#include "sim/simprov.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 2026-12-01T00:00:00Z: a fixed start, so the same seed gives the same day. */
#define SIM_EPOCH_MS 1796083200000LL
#define DAY_MS 86400000LL

enum ev_type { EV_ARRIVE, EV_START_INTERVIEW, EV_ANSWER };

struct ev {
    int64_t t;
    uint64_t seq;
    enum ev_type type;
    int cand;
};

struct cand {
    char id[33];
    int zone;
    int done_today; /* interviews finished today */
    int day;        /* the day of its current session */
    char interview[33];
    char question[64];
    int64_t answered_at; /* virtual ms when the pending answer was sent */
    int waiting;         /* an answer is out, the reply has not come */
    int pending;         /* its answer or next interview is in the workload heap */
};

/* One interview started: the day it belongs to, and whether it was counted yet. */
struct iv_rec {
    char id[33];
    int day;
    int counted;
};

/* What one simulated day adds up to. */
struct day_acc {
    long requested, completed, llm_evaluated, refused;
    json_t *mode_mix;
    struct sim_provider_stats *at_end;          /* every provider's counters when the day closed */
    uint64_t failed_at_end[ROUTER_FAIL__COUNT]; /* the router's failed calls by cause, then */
};

struct sim {
    struct engine *engine;
    struct store *store;
    const struct workload *w;
    struct cand *cands;
    struct ev *heap;
    int heap_len, heap_cap;
    uint64_t seq;
    uint64_t rng;
    /* results */
    struct iv_rec *interviews;
    long n_interviews, cap_interviews;
    long requested, started, refused;
    double *turn_lat;
    long n_lat, cap_lat;
    int64_t end_ms;
    long *refused_by_day;
};

static uint64_t rnd(struct sim *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

static double rnd01(struct sim *s)
{
    return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static double rnd_exp(struct sim *s, double mean)
{
    double u = rnd01(s);
    if (u < 1e-12) u = 1e-12;
    return -mean * log(u);
}

static double rnd_normal(struct sim *s, double mean, double sd)
{
    double u1 = rnd01(s), u2 = rnd01(s);
    if (u1 < 1e-12) u1 = 1e-12;
    return mean + sd * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* ---- the workload heap ---- */

static int ev_before(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct sim *s, int64_t t, enum ev_type type, int cand)
{
    if (s->heap_len == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 1024;
        s->heap = xrealloc(s->heap, (size_t)s->heap_cap * sizeof *s->heap);
    }
    int i = s->heap_len++;
    s->heap[i] = (struct ev){t, s->seq++, type, cand};
    if (type != EV_ARRIVE) s->cands[cand].pending++;
    while (i > 0 && ev_before(&s->heap[i], &s->heap[(i - 1) / 2])) {
        struct ev tmp = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static struct ev pop(struct sim *s)
{
    struct ev top = s->heap[0];
    s->heap[0] = s->heap[--s->heap_len];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_len && ev_before(&s->heap[l], &s->heap[m])) m = l;
        if (r < s->heap_len && ev_before(&s->heap[r], &s->heap[m])) m = r;
        if (m == i) break;
        struct ev tmp = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = tmp;
        i = m;
    }
    return top;
}

/* ---- synthetic people ---- */

static const char *vocabulary[] = {
    "we",         "designed",   "the",        "service",     "to",           "handle",
    "requests",   "with",       "a",          "cache",       "and",          "measured",
    "latency",    "before",     "after",      "changing",    "database",     "indexes",
    "team",       "decided",    "rollout",    "tests",       "monitoring",   "because",
    "users",      "reported",   "errors",     "improved",    "throughput",   "by",
    "percent",    "queue",      "retries",    "timeouts",    "deployed",     "reviewed",
    "code",       "tradeoff",   "between",    "consistency", "availability", "learned",
    "would",      "next",       "time",       "simpler",     "approach",     "customer",
    "impact",     "incident",   "postmortem", "api",         "schema",       "migration",
    "backward",   "compatible", "load",       "python",      "postgresql",   "redis",
    "kubernetes", "metrics",    "alerts",     "on",          "call",         "project",
};

static char *answer_text(struct sim *s)
{
    double u = rnd01(s);
    if (u < s->w->empty_answer_share) return xstrdup("");
    if (u < s->w->empty_answer_share + s->w->dont_know_share) return xstrdup("I don't know");
    double tokens = rnd_normal(s, s->w->answer_tokens_mean, s->w->answer_tokens_sd);
    int words = (int)(tokens / 1.3);
    if (words < 5) words = 5;
    if (words > 1200) words = 1200;
    struct sbuf b = {0};
    for (int i = 0; i < words; i++) {
        if (i) sbuf_append(&b, " ", 1);
        sbuf_puts(&b, vocabulary[rnd(s) % ARRAY_LEN(vocabulary)]);
        if (i % 17 == 16) sbuf_printf(&b, " %d%%", (int)(rnd(s) % 90) + 5);
    }
    return sbuf_take(&b);
}

static char *resume_text(struct sim *s, int i)
{
    static const char *skills[] = {"python",     "go",    "java",       "sql",
                                   "postgresql", "redis", "kubernetes", "docker",
                                   "aws",        "react", "kafka",      "terraform"};
    static const char *companies[] = {"Acme Corp", "Initech", "Globex", "Umbrella", "Hooli"};
    struct sbuf b = {0};
    int years = 1 + (int)(rnd(s) % 15);
    sbuf_printf(&b, "Candidate %d. Software engineer with %d years of experience at %s. ", i, years,
                companies[rnd(s) % ARRAY_LEN(companies)]);
    int words = (int)(s->w->resume_tokens_mean / 1.3);
    sbuf_printf(&b, "Built a %s based billing service. Designed a %s data pipeline. Skills: ",
                skills[rnd(s) % ARRAY_LEN(skills)], skills[rnd(s) % ARRAY_LEN(skills)]);
    for (int k = 0; k < 5; k++)
        sbuf_printf(&b, "%s%s", k ? ", " : "", skills[rnd(s) % ARRAY_LEN(skills)]);
    sbuf_puts(&b, ". ");
    for (int k = 0; k < words; k++) {
        sbuf_puts(&b, vocabulary[rnd(s) % ARRAY_LEN(vocabulary)]);
        sbuf_append(&b, k % 20 == 19 ? ". " : " ", k % 20 == 19 ? 2 : 1);
    }
    return sbuf_take(&b);
}

/* Local hour weights of a business day (09:00-18:00), peaks mid-morning and
 * mid-afternoon. */
static const double hour_weight[24] = {0,   0,   0,   0,   0,   0,   0,   0, 0.2, 1.0, 1.6, 1.4,
                                       0.8, 0.9, 1.5, 1.3, 1.0, 0.7, 0.3, 0, 0,   0,   0,   0};

static int64_t arrival_offset(struct sim *s, int zone)
{
    if (!s->w->business_hours) return (int64_t)(rnd01(s) * (double)DAY_MS * 0.75);
    double total = 0;
    for (int h = 0; h < 24; h++)
        total += hour_weight[h];
    double u = rnd01(s) * total;
    int h = 0;
    for (; h < 24; h++) {
        if (u < hour_weight[h]) break;
        u -= hour_weight[h];
    }
    if (h == 24) h = 12;
    double local = (h + rnd01(s)) * 3600000.0;
    double utc = local - s->w->zone_offset_h[zone] * 3600000.0;
    while (utc < 0)
        utc += (double)DAY_MS;
    while (utc >= (double)DAY_MS)
        utc -= (double)DAY_MS;
    return (int64_t)utc;
}

/* ---- driving the engine ---- */

static void on_answer(struct engine_reply *r, void *data);

struct answer_ctx {
    struct sim *s;
    int cand;
};

static const char *kinds[] = {"technical", "behavioral", "mixed"};

/* A candidate registers when they first arrive (their resume is analysed when their
 * first interview starts). */
static int register_candidate(struct sim *s, int i)
{
    struct cand *c = &s->cands[i];
    if (c->id[0]) return 0;
    char *resume = resume_text(s, i);
    char name[32], email[64];
    snprintf(name, sizeof name, "Candidate %d", i);
    snprintf(email, sizeof email, "c%d@example.org", i);
    json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "email", email, "role",
                             "backend_engineer", "resume_text", resume);
    free(resume);
    struct engine_reply r = {0};
    engine_register(s->engine, body, &r);
    json_decref(body);
    if (r.err != ENGINE_OK) {
        log_error("sim_register_failed", "candidate=%d why=\"%s\"", i, r.message);
        engine_reply_clear(&r);
        return -1;
    }
    snprintf(c->id, sizeof c->id, "%s", json_string_value(json_object_get(r.body, "candidate_id")));
    engine_reply_clear(&r);
    return 0;
}

static void start_interview(struct sim *s, int ci)
{
    struct cand *c = &s->cands[ci];
    json_t *body = json_pack("{s:s}", "kind", kinds[(c->done_today + ci) % 3]);
    struct engine_reply r = {0};
    engine_start(s->engine, c->id, body, &r);
    json_decref(body);
    s->started++;
    if (r.err != ENGINE_OK) {
        s->refused++;
        s->refused_by_day[c->day]++;
        log_warn("sim_start_refused", "candidate=%d why=\"%s\"", ci, r.message);
        return;
    }
    snprintf(c->interview, sizeof c->interview, "%s",
             json_string_value(json_object_get(r.body, "interview_id")));
    snprintf(c->question, sizeof c->question, "%s",
             json_string_value(json_object_get(json_object_get(r.body, "question"), "id")));
    if (s->n_interviews == s->cap_interviews) {
        s->cap_interviews = s->cap_interviews ? s->cap_interviews * 2 : 1024;
        s->interviews = xrealloc(s->interviews, (size_t)s->cap_interviews * sizeof *s->interviews);
    }
    struct iv_rec *rec = &s->interviews[s->n_interviews++];
    memcpy(rec->id, c->interview, 33);
    rec->day = c->day;
    rec->counted = 0;
    engine_reply_clear(&r);
    push(s, clock_now_ms() + (int64_t)(1000 * rnd_exp(s, s->w->think_seconds_mean)) + 2000,
         EV_ANSWER, ci);
}

static void send_answer(struct sim *s, int ci)
{
    struct cand *c = &s->cands[ci];
    char *text = answer_text(s);
    json_t *body = json_pack("{s:s,s:s}", "question_id", c->question, "answer", text);
    free(text);
    struct answer_ctx *ctx = xmalloc(sizeof *ctx);
    ctx->s = s;
    ctx->cand = ci;
    c->answered_at = clock_now_ms();
    c->waiting = 1;
    engine_answer(s->engine, c->id, c->interview, body, on_answer, ctx);
    json_decref(body);
}

static void on_answer(struct engine_reply *r, void *data)
{
    struct answer_ctx *ctx = data;
    struct sim *s = ctx->s;
    int ci = ctx->cand;
    free(ctx);
    struct cand *c = &s->cands[ci];
    c->waiting = 0;
    if (s->n_lat == s->cap_lat) {
        s->cap_lat = s->cap_lat ? s->cap_lat * 2 : 4096;
        s->turn_lat = xrealloc(s->turn_lat, (size_t)s->cap_lat * sizeof *s->turn_lat);
    }
    s->turn_lat[s->n_lat++] = (double)(clock_now_ms() - c->answered_at);
    if (r->err != ENGINE_OK) {
        log_warn("sim_answer_refused", "candidate=%d why=\"%s\"", ci, r->message);
        return;
    }
    json_t *next = json_object_get(r->body, "next_question");
    if (json_is_object(next)) {
        snprintf(c->question, sizeof c->question, "%s",
                 json_string_value(json_object_get(next, "id")));
        push(s, clock_now_ms() + (int64_t)(1000 * rnd_exp(s, s->w->think_seconds_mean)) + 2000,
             EV_ANSWER, ci);
        return;
    }
    /* interview done: the next one after a break, same day */
    c->done_today++;
    if (c->done_today < s->w->interviews_per_candidate)
        push(s, clock_now_ms() + (int64_t)(60000 * rnd_exp(s, s->w->break_minutes_mean)),
             EV_START_INTERVIEW, ci);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void progress_bar(int64_t now, int64_t start, int64_t end, long started, long total)
{
    double f = (double)(now - start) / (double)(end - start);
    if (f > 1) f = 1;
    int width = 40, n = (int)(f * width);
    fprintf(stderr, "\r[");
    for (int i = 0; i < width; i++)
        fputc(i < n ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%% of the day, %ld/%ld interviews started", (int)(f * 100), started,
            total);
    fflush(stderr);
}

/* Counts the interviews of days <= last_day not counted yet whose report is ready (all
 * of them when final), each into its own day. Returns how many are left uncounted. */
static long count_interviews(struct sim *s, struct day_acc *days, int last_day, int final)
{
    long left = 0;
    for (long i = 0; i < s->n_interviews; i++) {
        struct iv_rec *rec = &s->interviews[i];
        if (rec->counted || rec->day > last_day) continue;
        struct engine_reply r = {0};
        engine_report(s->engine, NULL, rec->id, &r);
        int ready = r.err == ENGINE_OK &&
                    strcmp(json_string_value(json_object_get(r.body, "status")), "ready") == 0;
        if (ready || final) {
            rec->counted = 1;
            struct day_acc *d = &days[rec->day];
            if (ready) {
                d->completed++;
                json_int_t heur = json_integer_value(
                    json_object_get(json_object_get(r.body, "scorers"), "heuristic"));
                const char *mode = json_string_value(json_object_get(r.body, "mode"));
                if (heur == 0 && strcmp(mode, "offline") != 0) d->llm_evaluated++;
                json_int_t k = json_integer_value(json_object_get(d->mode_mix, mode));
                json_object_set_new(d->mode_mix, mode, json_integer(k + 1));
            }
        } else {
            left++;
        }
        engine_reply_clear(&r);
    }
    return left;
}

/* 1 while some candidate of day `day` is still in their session. */
static int last_day_running(const struct sim *s, int day)
{
    for (long i = 0; i < s->w->candidates; i++) {
        const struct cand *c = &s->cands[i];
        if (c->day == day && (c->pending > 0 || c->waiting)) return 1;
    }
    return 0;
}

static const char *task_names[8] = {"resume_analysis", "question_gen", "follow_up", "evaluate",
                                    "evaluate_batch",  "summary",      "unused",    "other"};

/* The per-day fields of CONTRACT.md's simulate --json for the provider counters that
 * grew from `from` to `to` and the interviews in acc (requested ... mode_mix). */
static json_t *day_fields(const struct config *cfg, const struct sim_provider_stats *from,
                          const struct sim_provider_stats *to, const uint64_t *failed_from,
                          const uint64_t *failed_to, long requested, long completed,
                          long llm_evaluated, long refused, json_t *mode_mix)
{
    int np = cfg->n_providers;
    uint64_t calls = 0, tokens = 0, violations = 0, r429 = 0, by_task[8] = {0}, ptok = 0, ctok = 0;
    double spend = 0;
    json_t *by_provider = json_object(), *spend_by = json_object();
    for (int i = 0; i < np; i++) {
        const struct sim_provider_stats *a = &from[i], *b = &to[i];
        const struct provider_config *pc = &cfg->providers[i];
        calls += b->requests - a->requests;
        tokens += b->tokens - a->tokens;
        ptok += b->prompt_tokens - a->prompt_tokens;
        ctok += b->completion_tokens - a->completion_tokens;
        violations += b->violations - a->violations;
        r429 += b->refused_429 - a->refused_429;
        for (int k = 0; k < 8; k++)
            by_task[k] += b->by_task[k] - a->by_task[k];
        json_object_set_new(by_provider, pc->name,
                            json_integer((json_int_t)(b->requests - a->requests)));
        if (provider_config_priced(pc)) {
            double usd =
                ((double)(b->prompt_tokens - a->prompt_tokens) * pc->price_in_per_mtok +
                 (double)(b->completion_tokens - a->completion_tokens) * pc->price_out_per_mtok) /
                1e6;
            spend += usd;
            json_object_set_new(spend_by, pc->name, json_real(usd));
        }
    }
    json_t *by_task_j = json_object();
    for (int k = 0; k < 8; k++)
        if (by_task[k])
            json_object_set_new(by_task_j, task_names[k], json_integer((json_int_t)by_task[k]));
    json_t *split =
        json_pack("{s:I,s:I}", "prompt", (json_int_t)ptok, "completion", (json_int_t)ctok);
    /* issue 16: why calls got no model answer (each economy interview is one batch call,
     * so these say why interviews were scored by the heuristic) */
    json_t *failed = json_object();
    for (int k = 0; k < ROUTER_FAIL__COUNT; k++)
        json_object_set_new(failed, router_fail_name((enum router_fail)k),
                            json_integer((json_int_t)(failed_to[k] - failed_from[k])));
    json_t *out =
        json_pack("{s:I,s:I,s:I,s:f,s:I,s:I,s:f,s:o,s:o,s:I,s:o,s:f,s:I,s:I,s:O,s:f,s:o}",
                  "interviews_requested", (json_int_t)requested, "interviews_completed",
                  (json_int_t)completed, "interviews_llm_evaluated", (json_int_t)llm_evaluated,
                  "completion_rate", requested ? (double)completed / (double)requested : 0.0,
                  "interviews_refused", (json_int_t)refused, "llm_calls", (json_int_t)calls,
                  "llm_calls_per_interview", completed ? (double)calls / (double)completed : 0.0,
                  "calls_by_task", by_task_j, "calls_by_provider", by_provider, "tokens_used",
                  (json_int_t)tokens, "tokens_split", split, "tokens_per_interview",
                  llm_evaluated ? (double)tokens / (double)llm_evaluated : 0.0, "quota_violations",
                  (json_int_t)violations, "provider_429s", (json_int_t)r429, "mode_mix", mode_mix,
                  "spend_usd", spend, "spend_usd_by_provider", spend_by);
    json_object_set_new(out, "calls_failed_by_cause", failed);
    return out;
}

/* The average of days[from..n-1]: numbers averaged, objects of numbers averaged key by
 * key. */
static json_t *average_days(json_t *days, size_t from)
{
    size_t n = json_array_size(days);
    if (from >= n) from = n ? n - 1 : 0;
    double k = (double)(n - from);
    json_t *avg = json_object();
    json_t *first = json_array_get(days, from);
    const char *key;
    json_t *v;
    json_object_foreach(first, key, v)
    {
        if (json_is_number(v)) {
            double sum = 0;
            for (size_t d = from; d < n; d++)
                sum += json_number_value(json_object_get(json_array_get(days, d), key));
            json_object_set_new(avg, key, json_real(sum / k));
        } else if (json_is_object(v)) {
            json_t *o = json_object();
            for (size_t d = from; d < n; d++) {
                const char *k2;
                json_t *v2;
                json_object_foreach(json_object_get(json_array_get(days, d), key), k2, v2)
                {
                    double prev = json_number_value(json_object_get(o, k2));
                    json_object_set_new(o, k2, json_real(prev + json_number_value(v2) / k));
                }
            }
            json_object_set_new(avg, key, o);
        }
    }
    json_object_set_new(avg, "first_day", json_integer((json_int_t)from + 1));
    json_object_set_new(avg, "last_day", json_integer((json_int_t)n));
    return avg;
}

/* The day key the router's ledger uses for a day starting at day_start (router.c). */
static void ledger_day_key(int64_t day_start, char out[16])
{
    char iso[32];
    clock_format_iso(day_start + 12LL * 3600 * 1000, iso, sizeof iso);
    snprintf(out, 16, "%.10s", iso);
}

json_t *sim_run(struct config *cfg, const struct workload *w, const struct sim_options *opt,
                char *err, size_t errlen)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC,
                  &t0); /* wall_seconds: real time, outside the clock module on purpose */
    clock_use_virtual(SIM_EPOCH_MS);
    timer_use_virtual(1);
    util_random_use_seed(w->seed); /* candidate ids and tokens: the same seed, the same day */
    cfg->questions = w->questions_per_interview;
    if (cfg->max_interviews_per_day < w->interviews_per_candidate)
        cfg->max_interviews_per_day = w->interviews_per_candidate;

    struct sim s = {0};
    s.w = w;
    s.rng = w->seed * 0x9E3779B97F4A7C15ULL + 1;
    /* A file in memory-backed /dev/shm rather than ":memory:": SQLite's in-memory
     * database walks its whole page cache on every commit, which made a day of 10,000
     * interviews quadratic. The file is removed at the end. */
    char db_path[128];
    snprintf(db_path, sizeof db_path, "%s/interviewd-sim-%ld.db",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    unlink(db_path);
    s.store = store_sqlite_open(db_path, err, errlen);
    if (!s.store) return NULL;
    if (store_sqlite_make_scratch(s.store) != 0)
        log_warn("sim_scratch_store_failed", "path=%s", db_path);

    struct router *router = router_new(NULL, s.store);
    int np = cfg->n_providers;
    struct sim_provider_stats *pstats = xcalloc((size_t)(np ? np : 1), sizeof *pstats);
    for (int i = 0; i < np; i++) {
        const struct provider_config *pc = &cfg->providers[i];
        int pacific = pc->day_reset && strcmp(pc->day_reset, "pacific") == 0;
        /* a day that began before the simulated one has its elapsed share used already */
        int tz = pacific ? QUOTA_TZ_PACIFIC : QUOTA_TZ_UTC;
        int64_t day0 = quota_day_start_ms(tz, SIM_EPOCH_MS);
        double elapsed =
            (double)(SIM_EPOCH_MS - day0) / (double)(quota_day_reset_ms(tz, SIM_EPOCH_MS) - day0);
        long used_req = (long)floor((double)pc->rpd * elapsed);
        long used_tok = (long)floor((double)pc->tpd * elapsed);
        if (used_req || used_tok) {
            char key[16];
            ledger_day_key(day0, key);
            store_call(s.store, quota_ledger_add, pc->name, key, used_req, used_tok);
        }
        struct sim_provider_params pp = {
            .latency_mean_ms = w->latency_ms_mean,
            .latency_sd_ms = w->latency_ms_sd,
            .fail_rate = w->fail_rate,
            .bad_output_rate = w->bad_output_rate,
            .seed = w->seed * 1000 + (uint64_t)i + 1,
            .rpm = pc->rpm,
            .rpd = pc->rpd,
            .tpm = pc->tpm,
            .tpd = pc->tpd,
            .concurrency = pc->concurrency,
            .known = 1,
            .pacific = pacific,
            .style = pc->headers,
            .day_used_requests = used_req,
            .day_used_tokens = used_tok,
            .day_used_start_ms = day0,
        };
        router_add(router, pc, sim_provider_new(pc->name, pc->model, &pp, &pstats[i]));
    }
    router_set_spend_cap(router, cfg->max_usd_per_day);
    s.engine = engine_new_with_router(NULL, cfg, s.store, router, err, errlen);
    if (!s.engine) {
        store_close(s.store);
        free(pstats);
        return NULL;
    }

    long n = w->candidates;
    int ndays = opt->days;
    s.cands = xcalloc((size_t)n, sizeof *s.cands);
    /* the day after the last runs too (not reported): see the top of this file */
    s.refused_by_day = xcalloc((size_t)ndays + 1, sizeof *s.refused_by_day);
    struct day_acc *days = xcalloc((size_t)ndays, sizeof *days);
    for (int d = 0; d < ndays; d++) {
        days[d].requested = n * w->interviews_per_candidate;
        days[d].mode_mix = json_object();
        days[d].at_end = xcalloc((size_t)(np ? np : 1), sizeof *pstats);
    }
    for (long i = 0; i < n; i++) {
        double u = rnd01(&s), acc = 0;
        int zone = 0;
        for (int z = 0; z < w->n_zones; z++) {
            acc += w->zone_share[z];
            if (u < acc) {
                zone = z;
                break;
            }
            zone = z;
        }
        s.cands[i].zone = zone;
        for (int d = 0; d <= ndays; d++)
            push(&s, SIM_EPOCH_MS + d * DAY_MS + arrival_offset(&s, zone), EV_ARRIVE, (int)i);
    }
    s.requested = n * w->interviews_per_candidate * ndays;
    s.end_ms = SIM_EPOCH_MS + ndays * DAY_MS;
    /* the last day's interviews finish after its midnight on the next day's quota (see
     * the top of this file); a whole day is more than any session needs */
    int64_t hard_end = s.end_ms + DAY_MS;
    int64_t last_bar = 0, last_check = 0;
    int closed = 0; /* days closed so far */
    uint64_t failed_now[ROUTER_FAIL__COUNT];
    for (;;) {
        int64_t te = s.heap_len ? s.heap[0].t : -1;
        int64_t tt = timer_next_due_ms();
        if (te < 0 && tt < 0) break;
        int64_t t = te < 0 ? tt : tt < 0 ? te : (te < tt ? te : tt);
        /* close every day whose midnight comes before the next thing that happens */
        while (closed < ndays && SIM_EPOCH_MS + (closed + 1) * DAY_MS <= t) {
            clock_set_ms(SIM_EPOCH_MS + (closed + 1) * DAY_MS);
            memcpy(days[closed].at_end, pstats, (size_t)np * sizeof *pstats);
            router_failures(router, days[closed].failed_at_end);
            count_interviews(&s, days, closed, 0);
            closed++;
            last_check = t;
        }
        /* after the last midnight: done when no candidate of the last day has anything
         * left to do and every interview has its report (looked at every 5 simulated
         * minutes) */
        if (closed == ndays && t - last_check >= 300000) {
            last_check = t;
            if (!last_day_running(&s, ndays - 1) && count_interviews(&s, days, ndays - 1, 0) == 0)
                break;
        }
        if (t > hard_end) break;
        clock_set_ms(t);
        if (te >= 0 && te == t && (tt < 0 || te <= tt)) {
            struct ev e = pop(&s);
            struct cand *c = &s.cands[e.cand];
            if (e.type != EV_ARRIVE) c->pending--;
            if (e.type == EV_ARRIVE) {
                /* a day's session: its interviews count against that day even when
                 * the last ones run past midnight */
                c->day = (int)((e.t - SIM_EPOCH_MS) / DAY_MS);
                c->done_today = 0;
                if (register_candidate(&s, e.cand) == 0) start_interview(&s, e.cand);
            } else if (e.type == EV_START_INTERVIEW) {
                start_interview(&s, e.cand);
            } else {
                send_answer(&s, e.cand);
            }
        } else {
            timer_run_due();
        }
        if (opt->progress && t - last_bar > 600000) {
            progress_bar(t, SIM_EPOCH_MS, s.end_ms, s.started, s.requested);
            last_bar = t;
        }
    }
    while (closed < ndays) { /* nothing happened after some midnight */
        memcpy(days[closed].at_end, pstats, (size_t)np * sizeof *pstats);
        router_failures(router, days[closed].failed_at_end);
        closed++;
    }
    if (opt->progress) {
        progress_bar(s.end_ms, SIM_EPOCH_MS, s.end_ms, s.started, s.requested);
        fputc('\n', stderr);
    }

    /* ---- results ---- */
    count_interviews(&s, days, ndays - 1, 1);
    router_failures(router, failed_now);
    uint64_t failed_zero[ROUTER_FAIL__COUNT] = {0};
    json_t *days_j = json_array();
    long completed = 0, llm_evaluated = 0;
    json_t *mode_mix = json_object();
    struct sim_provider_stats *zero = xcalloc((size_t)(np ? np : 1), sizeof *zero);
    for (int d = 0; d < ndays; d++) {
        completed += days[d].completed;
        llm_evaluated += days[d].llm_evaluated;
        const char *mk;
        json_t *mv;
        json_object_foreach(days[d].mode_mix, mk, mv)
        {
            json_int_t k = json_integer_value(json_object_get(mode_mix, mk));
            json_object_set_new(mode_mix, mk, json_integer(k + json_integer_value(mv)));
        }
        json_t *day = day_fields(cfg, d ? days[d - 1].at_end : zero, days[d].at_end,
                                 d ? days[d - 1].failed_at_end : failed_zero, days[d].failed_at_end,
                                 days[d].requested, days[d].completed, days[d].llm_evaluated,
                                 s.refused_by_day[d], days[d].mode_mix);
        json_object_set_new(day, "day", json_integer(d + 1));
        json_array_append_new(days_j, day);
    }
    /* the run is its days; what the last day's stragglers used after its midnight was the
     * next day's, shown apart */
    const struct day_acc *last = &days[ndays - 1];
    long refused = 0;
    for (int d = 0; d < ndays; d++)
        refused += s.refused_by_day[d];
    json_t *out = day_fields(cfg, zero, last->at_end, failed_zero, last->failed_at_end, s.requested,
                             completed, llm_evaluated, refused, mode_mix);
    json_decref(mode_mix);
    json_t *empty_mix = json_object();
    json_t *after = day_fields(cfg, last->at_end, pstats, last->failed_at_end, failed_now, 0, 0, 0,
                               0, empty_mix);
    json_decref(empty_mix);
    static const char *not_interviews[] = {"interviews_requested",     "interviews_completed",
                                           "interviews_llm_evaluated", "completion_rate",
                                           "interviews_refused",       "llm_calls_per_interview",
                                           "tokens_per_interview",     "mode_mix"};
    for (size_t k = 0; k < ARRAY_LEN(not_interviews); k++)
        json_object_del(after, not_interviews[k]);
    char iso[32];
    clock_format_iso(clock_now_ms(), iso, sizeof iso);
    json_object_set_new(after, "ended_at", json_string(iso));
    uint64_t bad_outputs = 0, r429_by[SIM_LIMIT__COUNT] = {0};
    json_t *r429_dep = json_object(); /* deployments that answered 429: by limit */
    for (int i = 0; i < np; i++) {
        bad_outputs += pstats[i].bad_outputs;
        json_t *one = NULL;
        for (int k = 0; k < SIM_LIMIT__COUNT; k++) {
            r429_by[k] += pstats[i].refused_by[k];
            if (!pstats[i].refused_by[k]) continue;
            if (!one) one = json_object();
            json_object_set_new(one, sim_limit_name((enum sim_limit)k),
                                json_integer((json_int_t)pstats[i].refused_by[k]));
        }
        if (one) json_object_set_new(r429_dep, cfg->providers[i].name, one);
    }
    qsort(s.turn_lat, (size_t)s.n_lat, sizeof *s.turn_lat, cmp_double);
    double p95 = s.n_lat ? s.turn_lat[(size_t)((double)(s.n_lat - 1) * 0.95)] : 0;
    json_t *stats = stats_json(engine_stats(s.engine));

    /* the most interviews per day this fleet could evaluate with a model: from the plan */
    json_t *plan = sim_plan(cfg, w, 0);
    json_t *max_sus = json_object_get(json_object_get(plan, "max_interviews_per_day"), "economy");

    double max_day_spend = 0;
    size_t di;
    json_t *dv;
    json_array_foreach(days_j, di, dv)
    {
        double sp = json_number_value(json_object_get(dv, "spend_usd"));
        if (sp > max_day_spend) max_day_spend = sp;
    }
    /* the day after the last one is a day too */
    if (json_number_value(json_object_get(after, "spend_usd")) > max_day_spend)
        max_day_spend = json_number_value(json_object_get(after, "spend_usd"));
    json_object_set_new(out, "steady_state", average_days(days_j, ndays > 1 ? 1 : 0));
    json_object_set_new(out, "after_last_day", after);
    json_object_set_new(out, "days", days_j);
    json_object_set_new(out, "cache_hit_rate", json_copy(json_object_get(stats, "cache_hit_rate")));
    json_object_set_new(out, "pool_hit_rate", json_copy(json_object_get(stats, "pool_hit_rate")));
    json_object_set_new(out, "optimization_rate",
                        json_copy(json_object_get(stats, "optimization_rate")));
    json_object_set_new(out, "p95_turn_latency_ms", json_real(p95));
    json_object_set_new(out, "max_sustainable_interviews_per_day",
                        max_sus ? json_copy(max_sus) : json_null());
    json_object_set_new(out, "max_usd_per_day", json_real(cfg->max_usd_per_day));
    json_object_set_new(out, "max_day_spend_usd", json_real(max_day_spend));
    /* provider 429s by the limit that refused them: token limits are counted by the
     * provider's tokenizer, not the router's estimate, so these are measured, not zero by
     * construction (the router's token_margin_pct keeps them rare) */
    json_t *by_cause = json_object();
    for (int k = 0; k < SIM_LIMIT__COUNT; k++)
        json_object_set_new(by_cause, sim_limit_name((enum sim_limit)k),
                            json_integer((json_int_t)r429_by[k]));
    json_object_set_new(out, "provider_429s_by_cause", by_cause);
    json_object_set_new(out, "provider_429s_by_deployment", r429_dep);
    json_object_set_new(out, "provider_bad_outputs", json_integer((json_int_t)bad_outputs));
    json_decref(plan);
    json_decref(stats);
    engine_free(s.engine);
    store_close(s.store);
    unlink(db_path);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", db_path);
    unlink(side);
    for (int d = 0; d < ndays; d++) {
        json_decref(days[d].mode_mix);
        free(days[d].at_end);
    }
    free(days);
    free(zero);
    free(s.refused_by_day);
    free(pstats);
    free(s.cands);
    free(s.heap);
    free(s.interviews);
    free(s.turn_lat);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    json_object_set_new(out, "wall_seconds", json_real(wall));
    return out;
}

void sim_print_result(const json_t *r, FILE *f)
{
    fprintf(f, "interviews requested      %lld\n",
            (long long)json_integer_value(json_object_get(r, "interviews_requested")));
    fprintf(f, "interviews completed      %lld (%.1f%%)\n",
            (long long)json_integer_value(json_object_get(r, "interviews_completed")),
            100 * json_number_value(json_object_get(r, "completion_rate")));
    fprintf(f, "  evaluated by a model    %lld\n",
            (long long)json_integer_value(json_object_get(r, "interviews_llm_evaluated")));
    fprintf(f, "provider calls            %lld (%.2f per interview)\n",
            (long long)json_integer_value(json_object_get(r, "llm_calls")),
            json_number_value(json_object_get(r, "llm_calls_per_interview")));
    fprintf(f, "tokens                    %lld\n",
            (long long)json_integer_value(json_object_get(r, "tokens_used")));
    fprintf(f, "quota violations          %lld\n",
            (long long)json_integer_value(json_object_get(r, "quota_violations")));
    fprintf(f, "provider 429s             %lld\n",
            (long long)json_integer_value(json_object_get(r, "provider_429s")));
    json_t *cause = json_object_get(r, "provider_429s_by_cause");
    if (cause) {
        char *c = json_dumps(cause, JSON_COMPACT);
        fprintf(f, "  by cause                %s\n", c);
        free(c);
    }
    if (json_object_get(r, "provider_bad_outputs"))
        fprintf(f, "provider bad outputs      %lld\n",
                (long long)json_integer_value(json_object_get(r, "provider_bad_outputs")));
    fprintf(f, "optimization rate         %.3f\n",
            json_number_value(json_object_get(r, "optimization_rate")));
    fprintf(f, "p95 turn latency          %.0f ms\n",
            json_number_value(json_object_get(r, "p95_turn_latency_ms")));
    char *mix = json_dumps(json_object_get(r, "mode_mix"), JSON_COMPACT);
    char *prov = json_dumps(json_object_get(r, "calls_by_provider"), JSON_COMPACT);
    char *task = json_dumps(json_object_get(r, "calls_by_task"), JSON_COMPACT);
    fprintf(f,
            "modes                     %s\ncalls by provider         %s\ncalls by task             "
            "%s\n",
            mix, prov, task);
    free(mix);
    free(prov);
    free(task);
    fprintf(f, "tokens per model-scored   %.0f\n",
            json_number_value(json_object_get(r, "tokens_per_interview")));
    fprintf(f, "spend                     $%.4f (cap $%.2f a day, most in a day $%.4f)\n",
            json_number_value(json_object_get(r, "spend_usd")),
            json_number_value(json_object_get(r, "max_usd_per_day")),
            json_number_value(json_object_get(r, "max_day_spend_usd")));
    size_t i;
    json_t *d;
    json_t *days = json_object_get(r, "days");
    if (json_array_size(days) > 1) {
        fprintf(f, "\n%-5s %9s %9s %9s %8s %11s %9s %10s\n", "day", "requested", "completed",
                "by model", "calls", "tokens", "spend", "violations");
        json_array_foreach(days, i, d)
        {
            fprintf(f, "%-5zu %9lld %9lld %9lld %8lld %11lld %9.4f %10lld\n", i + 1,
                    (long long)json_integer_value(json_object_get(d, "interviews_requested")),
                    (long long)json_integer_value(json_object_get(d, "interviews_completed")),
                    (long long)json_integer_value(json_object_get(d, "interviews_llm_evaluated")),
                    (long long)json_integer_value(json_object_get(d, "llm_calls")),
                    (long long)json_integer_value(json_object_get(d, "tokens_used")),
                    json_number_value(json_object_get(d, "spend_usd")),
                    (long long)json_integer_value(json_object_get(d, "quota_violations")));
        }
        json_t *after = json_object_get(r, "after_last_day");
        if (after)
            fprintf(f,
                    "after %9s %9s %9s %8lld %11lld %9.4f %10lld  (the last day's stragglers, "
                    "on the next day's quota; until %s)\n",
                    "-", "-", "-",
                    (long long)json_integer_value(json_object_get(after, "llm_calls")),
                    (long long)json_integer_value(json_object_get(after, "tokens_used")),
                    json_number_value(json_object_get(after, "spend_usd")),
                    (long long)json_integer_value(json_object_get(after, "quota_violations")),
                    json_string_value(json_object_get(after, "ended_at")));
        json_t *ss = json_object_get(r, "steady_state");
        fprintf(f, "steady    %9.0f %9.0f %9.0f %8.0f %11.0f %9.4f %10.1f  (days %lld..%lld)\n",
                json_number_value(json_object_get(ss, "interviews_requested")),
                json_number_value(json_object_get(ss, "interviews_completed")),
                json_number_value(json_object_get(ss, "interviews_llm_evaluated")),
                json_number_value(json_object_get(ss, "llm_calls")),
                json_number_value(json_object_get(ss, "tokens_used")),
                json_number_value(json_object_get(ss, "spend_usd")),
                json_number_value(json_object_get(ss, "quota_violations")),
                (long long)json_integer_value(json_object_get(ss, "first_day")),
                (long long)json_integer_value(json_object_get(ss, "last_day")));
    }
    json_t *failed = json_object_get(r, "calls_failed_by_cause");
    if (failed) {
        char *c = json_dumps(failed, JSON_COMPACT);
        fprintf(f, "calls without a model answer, by cause: %s\n", c);
        free(c);
    }
    json_t *left = json_object_get(r, "deployments_left_out");
    if (json_is_true(json_object_get(r, "confirmed_only"))) {
        char *names = json_dumps(left, JSON_COMPACT);
        fprintf(f, "confirmed deployments only; left out: %s\n", names);
        free(names);
    }
    fprintf(f, "wall time                 %.1f s\n",
            json_number_value(json_object_get(r, "wall_seconds")));
}
