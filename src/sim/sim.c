/* sim: the day simulator; see sim.h.
 *
 * One heap of workload events (a candidate arrives, an answer is sent) and the timer
 * heap of core/timer (provider replies, router wake-ups, deadlines) share the virtual
 * clock: the loop takes whichever is due first, sets the clock to it and runs it. */
#include "sim/sim.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/budget.h"
#include "engine/engine.h"
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
    char (*interviews)[33];
    long n_interviews, cap_interviews;
    long requested, started, refused;
    double *turn_lat;
    long n_lat, cap_lat;
    int64_t end_ms;
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

/* A candidate registers when they first arrive (their resume is analysed then). */
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
    memcpy(s->interviews[s->n_interviews++], c->interview, 33);
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

    struct router *router = router_new(NULL, s.store);
    int np = cfg->n_providers;
    struct sim_provider_stats *pstats = xcalloc((size_t)(np ? np : 1), sizeof *pstats);
    for (int i = 0; i < np; i++) {
        const struct provider_config *pc = &cfg->providers[i];
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
            .pacific = pc->day_reset && strcmp(pc->day_reset, "pacific") == 0,
            .style = pc->headers,
        };
        router_add(router, pc, sim_provider_new(pc->name, pc->model, &pp, &pstats[i]));
    }
    s.engine = engine_new_with_router(NULL, cfg, s.store, router, err, errlen);
    if (!s.engine) {
        store_close(s.store);
        free(pstats);
        return NULL;
    }

    long n = w->candidates;
    s.cands = xcalloc((size_t)n, sizeof *s.cands);
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
        for (int d = 0; d < opt->days; d++)
            push(&s, SIM_EPOCH_MS + d * DAY_MS + arrival_offset(&s, zone), EV_ARRIVE, (int)i);
    }
    s.requested = n * w->interviews_per_candidate * opt->days;
    s.end_ms = SIM_EPOCH_MS + opt->days * DAY_MS;
    /* a day's last interviews may finish after midnight: drain for up to 6 hours more */
    int64_t hard_end = s.end_ms + 6 * 3600000LL;
    int64_t last_bar = 0;
    for (;;) {
        int64_t te = s.heap_len ? s.heap[0].t : -1;
        int64_t tt = timer_next_due_ms();
        if (te < 0 && tt < 0) break;
        int64_t t = te < 0 ? tt : tt < 0 ? te : (te < tt ? te : tt);
        if (t > hard_end) break;
        clock_set_ms(t);
        if (te >= 0 && te == t && (tt < 0 || te <= tt)) {
            struct ev e = pop(&s);
            struct cand *c = &s.cands[e.cand];
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
    if (opt->progress) {
        progress_bar(s.end_ms, SIM_EPOCH_MS, s.end_ms, s.started, s.requested);
        fputc('\n', stderr);
    }

    /* ---- results ---- */
    long completed = 0, llm_evaluated = 0;
    json_t *mode_mix = json_object();
    for (long i = 0; i < s.n_interviews; i++) {
        struct engine_reply r = {0};
        engine_report(s.engine, NULL, s.interviews[i], &r);
        if (r.err == ENGINE_OK &&
            strcmp(json_string_value(json_object_get(r.body, "status")), "ready") == 0) {
            completed++;
            json_int_t heur = json_integer_value(
                json_object_get(json_object_get(r.body, "scorers"), "heuristic"));
            const char *mode = json_string_value(json_object_get(r.body, "mode"));
            if (heur == 0 && strcmp(mode, "offline") != 0) llm_evaluated++;
            json_int_t k = json_integer_value(json_object_get(mode_mix, mode));
            json_object_set_new(mode_mix, mode, json_integer(k + 1));
        }
        engine_reply_clear(&r);
    }
    uint64_t calls = 0, tokens = 0, violations = 0, r429 = 0, bad_outputs = 0;
    uint64_t by_task[8] = {0}, r429_by[SIM_LIMIT__COUNT] = {0};
    json_t *by_provider = json_object();
    for (int i = 0; i < np; i++) {
        calls += pstats[i].requests;
        tokens += pstats[i].tokens;
        violations += pstats[i].violations;
        r429 += pstats[i].refused_429;
        bad_outputs += pstats[i].bad_outputs;
        for (int k = 0; k < SIM_LIMIT__COUNT; k++)
            r429_by[k] += pstats[i].refused_by[k];
        for (int k = 0; k < 8; k++)
            by_task[k] += pstats[i].by_task[k];
        json_object_set_new(by_provider, cfg->providers[i].name,
                            json_integer((json_int_t)pstats[i].requests));
    }
    static const char *task_names[8] = {"resume_analysis", "question_gen", "follow_up", "evaluate",
                                        "evaluate_batch",  "summary",      "unused",    "other"};
    json_t *by_task_j = json_object();
    for (int k = 0; k < 8; k++)
        if (by_task[k])
            json_object_set_new(by_task_j, task_names[k], json_integer((json_int_t)by_task[k]));
    qsort(s.turn_lat, (size_t)s.n_lat, sizeof *s.turn_lat, cmp_double);
    double p95 = s.n_lat ? s.turn_lat[(size_t)((double)(s.n_lat - 1) * 0.95)] : 0;
    json_t *stats = stats_json(engine_stats(s.engine));
    double calls_per_interview = completed ? (double)calls / (double)completed : 0;

    /* the most interviews per day this fleet could evaluate with a model: from the plan */
    json_t *plan = sim_plan(cfg, w, 0);
    json_t *max_sus = json_object_get(json_object_get(plan, "max_interviews_per_day"), "economy");

    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    json_t *out = json_pack(
        "{s:I,s:I,s:I,s:f,s:I,s:f,s:o,s:o,s:I,s:I,s:I,s:O,s:O,s:O,s:o,s:f,s:O,s:f,s:I,s:i}",
        "interviews_requested", (json_int_t)s.requested, "interviews_completed",
        (json_int_t)completed, "interviews_llm_evaluated", (json_int_t)llm_evaluated,
        "completion_rate", s.requested ? (double)completed / (double)s.requested : 0.0, "llm_calls",
        (json_int_t)calls, "llm_calls_per_interview", calls_per_interview, "calls_by_task",
        by_task_j, "calls_by_provider", by_provider, "tokens_used", (json_int_t)tokens,
        "quota_violations", (json_int_t)violations, "provider_429s", (json_int_t)r429,
        "cache_hit_rate", json_object_get(stats, "cache_hit_rate"), "pool_hit_rate",
        json_object_get(stats, "pool_hit_rate"), "optimization_rate",
        json_object_get(stats, "optimization_rate"), "mode_mix", mode_mix, "p95_turn_latency_ms",
        p95, "max_sustainable_interviews_per_day", max_sus ? max_sus : json_null(), "wall_seconds",
        wall, "interviews_refused", (json_int_t)s.refused, "days", opt->days);
    /* provider 429s by the limit that refused them: token limits are counted by the
     * provider's tokenizer, not the router's estimate, so these are measured, not zero by
     * construction (the router's token_margin_pct keeps them rare) */
    json_t *by_cause = json_object();
    for (int k = 0; k < SIM_LIMIT__COUNT; k++)
        json_object_set_new(by_cause, sim_limit_name((enum sim_limit)k),
                            json_integer((json_int_t)r429_by[k]));
    json_object_set_new(out, "provider_429s_by_cause", by_cause);
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
    free(pstats);
    free(s.cands);
    free(s.heap);
    free(s.interviews);
    free(s.turn_lat);
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
    fprintf(f, "wall time                 %.1f s\n",
            json_number_value(json_object_get(r, "wall_seconds")));
}
