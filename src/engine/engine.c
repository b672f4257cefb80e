/* engine: the interview state machine, scoring and reports; see engine.h.
 *
 * The one idea: the store is the state. Every handler loads what it needs, changes it
 * in one transaction and answers; calls to models are "jobs" in flight whose results
 * are written back when they arrive. A job that fails falls back to the heuristic, so
 * an interview never waits on a provider for longer than its deadline. */
#include "engine/engine.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/heuristic.h"
#include "engine/precheck.h"
#include "llm/router.h"
#include "llm/task.h"
#include "engine/budget.h"
#include "optimize/simhash.h"
#include "optimize/stats.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANDIDATE_ID_BYTES 16 /* 128-bit ids */
#define TOKEN_SECRET_BYTES 32 /* 256-bit bearer secrets */
#define MAX_PLAN 40

struct job;

struct engine {
    struct event_base *base;
    const struct config *cfg;
    struct store *store;
    struct bank *bank;
    struct rubrics *rubrics;
    struct router *router;     /* the fleet: quotas, retries, the wait queue */
    struct provider *offline;  /* the heuristic, for offline mode and fallbacks */
    int64_t day_start_ms;      /* UTC day of started_today */
    long started_today;        /* interviews started today, for the budget policy */
    struct job *jobs; /* in flight */
    int n_jobs;
    int closing;      /* set by engine_free: jobs finish without writing */
    struct stats stats; /* where each logical LLM request went */
    struct engine_interview_counts counts; /* for the dashboard; see engine.h */
    struct seen_slot *seen_cache; /* per-candidate questions heard, SEEN_SLOTS slots */
    char (*reeval)[33];  /* interviews with answers waiting for a model to re-score them */
    int n_reeval, cap_reeval;
    struct timer *reeval_timer; /* the sweeper: spare quota goes to re-scoring */
    char (*retry)[33];   /* interviews whose scoring could not be saved (store down) */
    int n_retry, cap_retry;
    struct timer *retry_timer;
    int claim_bypass;    /* retrying our own failed work: our claims are ours */
    char instance[17];   /* this process, for the live stats shared through the store */
    struct timer *stats_timer; /* publishes this instance's counters to a shared store */
};

#define STATS_PUBLISH_MS 1000   /* how often an instance writes its counters (one row) */
#define STATS_LIVE_MS 60000     /* an instance silent longer is left out of the sum */
#define STATS_INDEX_KEY "stats:instances"

static int store_shared(const struct engine *e)
{
    return store_has(e->store, STORE_CAP_SHARED);
}

/* JSON in the store's key/value table: the value under key parsed (new reference), or
 * NULL when absent or not JSON; and a value written as compact JSON. */
static json_t *kv_get_json(struct engine *e, const char *key)
{
    char *text = NULL;
    json_t *j = NULL;
    json_error_t je;
    if (store_call(e->store, kv_get, key, &text) == STORE_OK && text) j = json_loads(text, 0, &je);
    free(text);
    return j;
}

static void kv_put_json(struct engine *e, const char *key, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    enum store_err se = store_call(e->store, kv_put, key, text);
    if (se != STORE_OK) log_warn("kv_put_failed", "key=%s error=\"%s\"", key, store_strerror(se));
    free(text);
}

/* An array kept under key, or a new empty one (new reference). */
static json_t *kv_get_array(struct engine *e, const char *key)
{
    json_t *a = kv_get_json(e, key);
    if (json_is_array(a)) return a;
    json_decref(a);
    return json_array();
}

/* Writes this instance's counters (with a timestamp) and makes sure it is listed. */
static void stats_publish(void *arg)
{
    struct engine *e = arg;
    timer_start(e->stats_timer, STATS_PUBLISH_MS);
    json_t *doc = stats_counters(&e->stats);
    json_object_set_new(doc, "ts_ms", json_integer((json_int_t)clock_now_ms()));
    char key[64];
    snprintf(key, sizeof key, "stats:%s", e->instance);
    kv_put_json(e, key, doc);
    json_decref(doc);
    json_t *ids = kv_get_array(e, STATS_INDEX_KEY);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
        if (json_string_value(v) && strcmp(json_string_value(v), e->instance) == 0) break;
    if (i == json_array_size(ids)) {
        json_array_append_new(ids, json_string(e->instance));
        kv_put_json(e, STATS_INDEX_KEY, ids);
    }
    json_decref(ids);
}

json_t *engine_stats_json(struct engine *e)
{
    if (!store_shared(e)) {
        json_t *j = stats_json(&e->stats);
        json_object_set_new(j, "instances", json_integer(1));
        return j;
    }
    stats_publish(e); /* ours, current */
    struct stats sum;
    stats_init(&sum, e->stats.price_per_mtok);
    int live = 0;
    json_t *ids = kv_get_array(e, STATS_INDEX_KEY);
    size_t i;
    json_t *v;
    int64_t now = clock_now_ms();
    json_array_foreach(ids, i, v) {
        const char *id = json_string_value(v);
        if (!id) continue;
        char key[64];
        snprintf(key, sizeof key, "stats:%s", id);
        json_t *doc = kv_get_json(e, key);
        if (!doc) continue;
        int64_t ts = (int64_t)json_integer_value(json_object_get(doc, "ts_ms"));
        if (doc && now - ts <= STATS_LIVE_MS && stats_add_counters(&sum, doc) == 0) live++;
        json_decref(doc);
    }
    json_decref(ids);
    if (live == 0) { /* the store did not answer: our own counters at least */
        json_t *mine = stats_counters(&e->stats);
        stats_add_counters(&sum, mine);
        json_decref(mine);
    }
    json_t *j = stats_json(&sum);
    json_object_set_new(j, "instances", json_integer(live ? live : 1));
    return j;
}

/* What a candidate has heard, cached by candidate (direct-mapped by hash). The store
 * stays the truth: a slot is used only while the store's count of the candidate's
 * questions equals the slot's, so a question asked by another process, or a rolled back
 * one, makes it reload. */
#define SEEN_SLOTS 1024

struct seen_slot {
    char candidate[33];
    long count;
    struct bank_seen seen;
};

/* ---- replies ---- */

void engine_reply_clear(struct engine_reply *r)
{
    json_decref(r->body);
    r->body = NULL;
}

static void fail(struct engine_reply *r, enum engine_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct engine_reply *r, enum engine_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->err = err;
    r->body = NULL;
}

static void ok(struct engine_reply *r, json_t *body)
{
    r->err = ENGINE_OK;
    r->message[0] = 0;
    r->body = body;
}

static void store_failed(struct engine_reply *r, enum store_err se)
{
    if (se == STORE_NOT_FOUND) { /* from ask_turn: nothing unheard is left */
        log_warn("bank_exhausted", "reason=\"every question has been heard by this candidate\"");
        fail(r, ENGINE_UNAVAILABLE,
             "You have heard every question in the bank for this role; new questions are "
             "generated when an AI model is configured. Please try again later.");
        return;
    }
    log_error("store_error", "error=\"%s\"", store_strerror(se));
    fail(r, ENGINE_UNAVAILABLE,
         "The service could not save your data just now; nothing was lost. Please retry "
         "in a moment.");
}

/* ---- plans ---- */

static int plan_build(const char *kind, int n, const char *phases[MAX_PLAN])
{
    /* weights of resume, technical, behavioral between the introduction and wrap-up */
    int w_res, w_tech, w_beh;
    if (strcmp(kind, "technical") == 0) w_res = 3, w_tech = 6, w_beh = 1;
    else if (strcmp(kind, "behavioral") == 0) w_res = 2, w_tech = 1, w_beh = 7;
    else w_res = 3, w_tech = 4, w_beh = 3;
    int middle = n - 2, total_w = w_res + w_tech + w_beh;
    int res = (int)lround((double)middle * w_res / total_w);
    int beh = (int)lround((double)middle * w_beh / total_w);
    if (res < 1) res = 1;
    if (beh < 1) beh = 1;
    int tech = middle - res - beh;
    if (tech < 1) {
        tech = 1;
        if (res > beh) res--;
        else beh--;
    }
    int k = 0;
    phases[k++] = "introduction";
    for (int i = 0; i < res; i++) phases[k++] = "resume";
    for (int i = 0; i < tech; i++) phases[k++] = "technical";
    for (int i = 0; i < beh; i++) phases[k++] = "behavioral";
    phases[k++] = "wrap_up";
    return k;
}

static const char *plan_phase(const struct store_interview *iv, int idx)
{
    json_error_t je;
    json_t *plan = json_loads(iv->plan_json ? iv->plan_json : "[]", 0, &je);
    static char buf[32];
    snprintf(buf, sizeof buf, "%s",
             json_string_value(json_array_get(plan, (size_t)idx)) ? json_string_value(json_array_get(plan, (size_t)idx))
                                                              : "technical");
    json_decref(plan);
    return buf;
}

/* ---- jobs: one model call with one retry on invalid output, then a fallback ---- */

enum job_kind {
    JOB_RESUME,   /* resume_analysis for one candidate */
    JOB_EVALUATE, /* one turn (full mode), maybe writing the next question */
    JOB_BATCH,    /* several turns in one call (balanced, economy), maybe with the summary */
    JOB_SUMMARY,  /* the closing summary (full and offline modes) */
    JOB_QUESTION_GEN, /* new questions for the bank, shared by everyone */
    JOB_REEVAL,   /* a model re-scores answers the heuristic scored when none could */
};

struct job {
    struct engine *e;
    enum job_kind kind;
    enum task_kind task;
    char key[96];          /* "evaluate:<interview>:<idx>", for de-duplication */
    char *interview_id;
    char *candidate_id;
    int idx;
    int attempts;
    int offline;           /* answered by the heuristic provider, not a model */
    json_t *messages;
    json_t *task_input;
    int max_tokens;
    int timeout_ms;
    int *idxs;             /* JOB_BATCH: the turns scored by this call */
    int n_idxs;
    int with_summary;      /* JOB_BATCH: the reply carries the summary too */
    /* A candidate waiting for the next question (the model writes it): replied by the
     * result or by deadline_ev, whichever comes first; the call itself goes on. */
    engine_reply_fn reply_fn;
    void *reply_data;
    struct timer *deadline_timer;
    struct job *next, *prev;
};

static void job_finish(struct job *j, json_t *parsed, int from_model);

static void job_unlink(struct job *j)
{
    struct engine *e = j->e;
    if (j->prev) j->prev->next = j->next;
    else e->jobs = j->next;
    if (j->next) j->next->prev = j->prev;
    e->n_jobs--;
}

static void job_free(struct job *j)
{
    timer_free(j->deadline_timer);
    free(j->idxs);
    free(j->interview_id);
    free(j->candidate_id);
    json_decref(j->messages);
    json_decref(j->task_input);
    free(j);
}

static int job_running(struct engine *e, const char *key)
{
    for (struct job *j = e->jobs; j; j = j->next)
        if (strcmp(j->key, key) == 0) return 1;
    return 0;
}

static void log_call(struct engine *e, struct job *j, const struct llm_result *r,
                     const char *outcome)
{
    if (j->offline) return;
    struct store_call c = {
        .ts_ms = clock_now_ms(),
        .task = task_name(j->task),
        .provider = r->provider ? r->provider : "none",
        .model = r->model ? r->model : "none",
        .outcome = outcome,
        .http_status = r->http_status,
        .latency_ms = r->latency_ms,
        .prompt_tokens = r->prompt_tokens,
        .completion_tokens = r->completion_tokens,
    };
    enum store_err se = store_call(e->store, call_log_insert, &c);
    if (se != STORE_OK) log_warn("call_log_failed", "error=\"%s\"", store_strerror(se));
    log_info("llm_call", "task=%s provider=%s outcome=%s status=%d latency_ms=%lld tokens=%d",
             c.task, c.provider, outcome, c.http_status, (long long)c.latency_ms,
             c.prompt_tokens + c.completion_tokens);
}

static void job_submit(struct job *j);

static void job_done(struct llm_result *r, void *data)
{
    struct job *j = data;
    struct engine *e = j->e;
    /* what the provider received: answered, or sent and timed out */
    if (!j->offline && (r->http_status > 0 || r->status == LLM_ERR_TIMEOUT))
        stats_provider_call(&e->stats, (uint64_t)(r->prompt_tokens + r->completion_tokens));
    if (r->status == LLM_ERR_CANCELLED || e->closing) {
        job_finish(j, NULL, 0);
        return;
    }
    if (r->status != LLM_OK) {
        log_call(e, j, r, llm_strerror(r->status));
        log_warn("llm_call_failed", "task=%s provider=%s error=\"%s\"", task_name(j->task),
                 r->provider ? r->provider : "none", r->error ? r->error : llm_strerror(r->status));
        job_finish(j, NULL, 0);
        return;
    }
    char why[200];
    json_t *parsed = task_parse(j->task, r->content, why, sizeof why);
    if (!parsed) {
        log_call(e, j, r, "invalid_output");
        log_warn("llm_invalid_output", "task=%s provider=%s why=\"%s\" attempt=%d",
                 task_name(j->task), r->provider ? r->provider : "none", why, j->attempts);
        if (j->attempts < 2 && !j->offline) {
            job_submit(j);
            return;
        }
        job_finish(j, NULL, 0);
        return;
    }
    log_call(e, j, r, "ok");
    job_finish(j, parsed, !j->offline);
    json_decref(parsed);
}

static void job_submit(struct job *j)
{
    struct engine *e = j->e;
    j->attempts++;
    struct llm_request req = {
        .task = task_name(j->task),
        .messages = j->messages,
        .task_input = j->task_input,
        .max_tokens = j->max_tokens,
        .temperature = 0,
        .json_mode = 1,
        .timeout_ms = j->timeout_ms,
    };
    if (j->offline) {
        if (provider_submit(e->offline, &req, job_done, j) != 0) abort();
        return;
    }
    /* A candidate waiting for the next question goes first; background work may wait
     * for capacity up to eval_deadline_ms, then the heuristic scores it. */
    int interactive = j->reply_fn != NULL;
    int64_t wait = interactive ? e->cfg->llm_timeout_ms : e->cfg->eval_deadline_ms;
    router_submit(e->router, &req, interactive ? ROUTER_INTERACTIVE : ROUTER_BACKGROUND,
                  clock_mono_ms() + wait, job_done, j);
}

static struct job *job_new(struct engine *e, enum job_kind kind, enum task_kind task,
                           const char *key, json_t *messages, json_t *task_input, int offline)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->e = e;
    j->kind = kind;
    j->task = task;
    snprintf(j->key, sizeof j->key, "%s", key);
    j->messages = messages;
    j->task_input = task_input;
    j->max_tokens = 600;
    j->timeout_ms = (int)e->cfg->llm_timeout_ms;
    j->offline = offline || !router_online(e->router);
    j->next = e->jobs;
    if (e->jobs) e->jobs->prev = j;
    e->jobs = j;
    e->n_jobs++;
    return j;
}

int engine_inflight(const struct engine *e)
{
    return e->n_jobs;
}

const struct stats *engine_stats(const struct engine *e)
{
    return &e->stats;
}

struct stats *engine_stats_mut(struct engine *e)
{
    return &e->stats;
}

struct router *engine_router(struct engine *e)
{
    return e->router;
}

_Static_assert(BUDGET_FULL + 1 == ENGINE_MODES, "engine_interview_counts has a slot per mode");

/* Moves one interview into (+1) or out of (-1) the in-progress count of a mode. */
static void count_in_progress(struct engine *e, const char *mode, int delta)
{
    int m = budget_mode_parse(mode);
    if (m < 0 || m >= ENGINE_MODES) return;
    long *n = &e->counts.in_progress_by_mode[m];
    *n += delta;
    if (*n < 0) *n = 0; /* started before this process did */
}

/* ---- the offline answers (the heuristic, behind the offline provider) ---- */

static json_t *offline_answer(const char *task, const json_t *in, void *data)
{
    struct engine *e = data;
    if (!in) return NULL;
    if (strcmp(task, "evaluate") == 0) {
        const char *category = json_string_value(json_object_get(in, "category"));
        const char *answer = json_string_value(json_object_get(in, "answer"));
        struct heuristic_question hq = {.text = json_string_value(json_object_get(in, "question")),
                                        .key_points = json_object_get(in, "key_points"),
                                        .keywords = json_object_get(in, "keywords")};
        struct heuristic_eval he;
        heuristic_evaluate(rubrics_get(e->rubrics, category ? category : "technical"), &hq,
                           answer ? answer : "", &he);
        json_t *out = json_pack("{s:i,s:s,s:b}", "score", he.score, "feedback", he.feedback,
                                "injection_attempt", precheck_injection(answer));
        free(he.feedback);
        return out;
    }
    if (strcmp(task, "resume_analysis") == 0) {
        const char *resume = json_string_value(json_object_get(in, "resume"));
        return heuristic_resume_analysis(resume, json_object_get(in, "role_skills"));
    }
    if (strcmp(task, "summary") == 0) return heuristic_summary(json_object_get(in, "scored"));
    return NULL;
}

/* ---- candidates ---- */

static int valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@')) return 0;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || dot[1] == 0) return 0;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || *p == '<' || *p == '>') return 0;
    return 1;
}

/* A required string field: returns it or NULL after filling the reply. */
static const char *need_string(const json_t *body, const char *key, long max, int allow_empty,
                               struct engine_reply *out)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_string(v)) {
        fail(out, ENGINE_MISSING, "The field \"%s\" is required and must be a string.", key);
        return NULL;
    }
    const char *s = json_string_value(v);
    if ((long)json_string_length(v) > max) {
        fail(out, ENGINE_INVALID, "The field \"%s\" is longer than the limit of %ld bytes.", key,
             max);
        return NULL;
    }
    if (!allow_empty) {
        const char *p = s;
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) {
            fail(out, ENGINE_INVALID, "The field \"%s\" must not be empty.", key);
            return NULL;
        }
    }
    return s;
}

static void start_resume_analysis(struct engine *e, const struct store_candidate *c)
{
    if (!router_online(e->router) || strcmp(e->cfg->budget_mode, "offline") == 0) {
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, STATS_FALLBACK, 1);
        return;
    }
    char key[96];
    snprintf(key, sizeof key, "resume:%s", c->id);
    if (job_running(e, key)) return;
    struct job *j = job_new(e, JOB_RESUME, TASK_RESUME_ANALYSIS, key,
                            task_resume_analysis(c->role, c->resume_text), NULL, 0);
    j->candidate_id = xstrdup(c->id);
    job_submit(j);
}

void engine_register(struct engine *e, const json_t *body, struct engine_reply *out)
{
    const struct config *cfg = e->cfg;
    const char *name, *email, *role, *resume;
    if (!(name = need_string(body, "name", cfg->max_name_bytes, 0, out)) ||
        !(email = need_string(body, "email", cfg->max_email_bytes, 0, out)) ||
        !(role = need_string(body, "role", 64, 0, out)) ||
        !(resume = need_string(body, "resume_text", cfg->max_resume_bytes, 0, out)))
        return;
    if (!valid_email(email)) {
        fail(out, ENGINE_INVALID, "The email address does not look valid (expected name@domain).");
        return;
    }
    const struct bank_role *br = bank_role_find(e->bank, role);
    if (!br) {
        fail(out, ENGINE_INVALID, "Unknown role; GET /api/roles lists the roles on offer.");
        return;
    }
    char *norm = util_normalize_text(resume);
    char resume_hash[33], token_hash[65];
    util_xxh128_hex(norm, strlen(norm), resume_hash);
    free(norm);
    char *id = util_random_id(CANDIDATE_ID_BYTES);
    char *secret = util_random_id(TOKEN_SECRET_BYTES);
    util_sha256_hex(secret, strlen(secret), token_hash);
    json_t *analysis = heuristic_resume_analysis(resume, br->skills);
    char *analysis_text = json_dumps(analysis, JSON_COMPACT);
    json_decref(analysis);
    struct store_candidate c = {
        .id = id,
        .name = (char *)name,
        .email = (char *)email,
        .role = (char *)role,
        .resume_text = (char *)resume,
        .resume_hash = resume_hash,
        .token_hash = token_hash,
        .analysis_json = analysis_text,
        .analysis_source = "heuristic",
        .created_ms = clock_now_ms(),
    };
    enum store_err se = store_call(e->store, candidate_insert, &c);
    if (se != STORE_OK) {
        store_failed(out, se);
    } else {
        char token[200];
        snprintf(token, sizeof token, "%s.%s", id, secret);
        ok(out, json_pack("{s:s,s:s}", "candidate_id", id, "token", token));
        log_info("candidate_registered", "candidate=%s role=%s resume_bytes=%zu", id, role,
                 strlen(resume));
        start_resume_analysis(e, &c);
    }
    memset(secret, 0, strlen(secret));
    free(secret);
    free(id);
    free(analysis_text);
}

void engine_update_resume(struct engine *e, const char *candidate_id, const json_t *body,
                          struct engine_reply *out)
{
    const char *resume = need_string(body, "resume_text", e->cfg->max_resume_bytes, 0, out);
    if (!resume) return;
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, candidate_id, &c);
    if (se != STORE_OK) {
        if (se == STORE_NOT_FOUND) fail(out, ENGINE_UNAUTHORIZED, "Unknown candidate.");
        else store_failed(out, se);
        return;
    }
    char *norm = util_normalize_text(resume);
    char hash[33];
    util_xxh128_hex(norm, strlen(norm), hash);
    free(norm);
    struct minhash a, b;
    minhash_text(c.resume_text ? c.resume_text : "", &a);
    minhash_text(resume, &b);
    double similarity = strcmp(hash, c.resume_hash ? c.resume_hash : "") == 0 ? 1.0 : minhash_jaccard(&a, &b);
    const char *outcome;
    char *analysis_text = NULL;
    const char *source;
    if (similarity >= MINHASH_RESUME_MIN_JACCARD && c.analysis_json) {
        /* the same person's lightly edited resume: their own analysis still holds */
        outcome = similarity >= 1.0 ? "unchanged" : "reused";
        analysis_text = xstrdup(c.analysis_json);
        source = c.analysis_source ? c.analysis_source : "heuristic";
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, similarity >= 1.0 ? STATS_CACHE : STATS_NEAR_DUP, 1);
    } else {
        outcome = "new";
        const struct bank_role *br = bank_role_find(e->bank, c.role);
        json_t *analysis = heuristic_resume_analysis(resume, br ? br->skills : NULL);
        analysis_text = json_dumps(analysis, JSON_COMPACT);
        json_decref(analysis);
        source = "heuristic";
    }
    se = store_call(e->store, candidate_set_resume, candidate_id, resume, hash, analysis_text, source);
    if (se != STORE_OK) {
        store_failed(out, se);
    } else {
        ok(out, json_pack("{s:s,s:f}", "analysis", outcome, "similarity", similarity));
        log_info("resume_updated", "candidate=%s analysis=%s similarity=%.2f", candidate_id, outcome,
                 similarity);
        if (strcmp(outcome, "new") == 0) {
            free(c.resume_text);
            c.resume_text = xstrdup(resume);
            start_resume_analysis(e, &c);
        }
    }
    free(analysis_text);
    store_candidate_free(&c);
}

enum engine_err engine_authenticate(struct engine *e, const char *token, char id_out[33])
{
    const char *dot = token ? strchr(token, '.') : NULL;
    if (!dot || dot - token != 2 * CANDIDATE_ID_BYTES) return ENGINE_UNAUTHORIZED;
    char id[33];
    memcpy(id, token, 32);
    id[32] = 0;
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)id[i])) return ENGINE_UNAUTHORIZED;
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, id, &c);
    if (se == STORE_NOT_FOUND) return ENGINE_UNAUTHORIZED;
    if (se != STORE_OK) return ENGINE_UNAVAILABLE;
    char hash[65];
    util_sha256_hex(dot + 1, strlen(dot + 1), hash);
    int good = util_ct_equal(c.token_hash, hash);
    store_candidate_free(&c);
    if (!good) return ENGINE_UNAUTHORIZED;
    memcpy(id_out, id, 33);
    return ENGINE_OK;
}

/* ---- interviews ---- */

/* The key points of the turn's bank question (borrowed), or NULL: model-written
 * questions have none, and the heuristic then uses the keywords. */
static const json_t *turn_key_points(struct engine *e, const struct store_turn *t)
{
    const struct bank_question *q = bank_question_find(e->bank, t->question_id);
    return q ? json_object_get(q->reference, "key_points") : NULL;
}

static json_t *question_json(const struct store_turn *t, int total)
{
    return json_pack("{s:s,s:s,s:s,s:i,s:i}", "id", t->question_id, "text", t->question_text,
                     "category", t->category, "index", t->idx + 1, "total", total);
}

static int seniority_difficulty(const json_t *analysis)
{
    const char *s = json_string_value(json_object_get(analysis, "seniority"));
    if (s && strcmp(s, "senior") == 0) return 3;
    if (s && strcmp(s, "junior") == 0) return 1;
    return 2;
}

/* A score for adapting difficulty now: the stored one if known, else the precheck or
 * the heuristic on the spot (models answer in the background). */
static int quick_score(struct engine *e, const struct store_turn *t)
{
    if (t->score > 0) return t->score;
    if (!t->answer) return 0;
    if (precheck_answer(t->answer) != PRECHECK_OK) return 1;
    json_error_t je;
    json_t *kw = t->keywords ? json_loads(t->keywords, 0, &je) : NULL;
    struct heuristic_question hq = {.text = t->question_text, .key_points = turn_key_points(e, t),
                                    .keywords = kw};
    struct heuristic_eval he;
    heuristic_evaluate(rubrics_get(e->rubrics, t->category), &hq, t->answer, &he);
    free(he.feedback);
    json_decref(kw);
    return he.score;
}

/* Technical and resume questions adapt to the last answer of their phase (up after a
 * 4-5, down after a 1-2); introduction, behavioral and wrap-up questions walk the
 * difficulties in turn. */
static int next_difficulty(struct engine *e, const struct store_turn_list *turns, int idx,
                           const char *phase, const json_t *analysis)
{
    if (strcmp(phase, "technical") != 0 && strcmp(phase, "resume") != 0) return 1 + idx % 3;
    for (int i = idx - 1; i >= 0; i--) {
        const struct store_turn *t = &turns->items[i];
        if ((size_t)i >= turns->len || strcmp(t->phase, phase) != 0 || !t->answer) continue;
        int s = quick_score(e, t);
        int d = t->difficulty + (s >= 4) - (s <= 2);
        return d < 1 ? 1 : d > 3 ? 3 : d;
    }
    return strcmp(phase, "technical") == 0 ? seniority_difficulty(analysis) : 1;
}

struct cand_ctx {
    struct store_candidate c;
    json_t *analysis;
    const struct bank_role *role;
};

static enum store_err cand_load(struct engine *e, const char *id, struct cand_ctx *cc)
{
    memset(cc, 0, sizeof *cc);
    enum store_err se = store_call(e->store, candidate_get, id, &cc->c);
    if (se != STORE_OK) return se;
    json_error_t je;
    cc->analysis = cc->c.analysis_json ? json_loads(cc->c.analysis_json, 0, &je) : NULL;
    if (!cc->analysis) cc->analysis = json_object();
    cc->role = bank_role_find(e->bank, cc->c.role);
    return STORE_OK;
}

static void cand_free(struct cand_ctx *cc)
{
    store_candidate_free(&cc->c);
    json_decref(cc->analysis);
}

/* ---- the bank grows: question_gen sets, cached for everyone ---- */

#define GEN_LOW_WATER 12 /* unheard templates left for a candidate below which we generate */
#define GEN_BATCH 5      /* questions per question_gen call */
#define GEN_INDEX_KEY "genq:index"
#define GEN_MIN_INTERVAL_MS 600000 /* per role/category/difficulty, unless nothing is left */

static void gen_load_set(struct engine *e, const char *role, const char *category, const json_t *arr)
{
    size_t i;
    json_t *q;
    json_array_foreach(arr, i, q) {
        const char *text = json_string_value(json_object_get(q, "text"));
        const char *id = json_string_value(json_object_get(q, "id"));
        if (!text || !id) continue;
        bank_add(e->bank, id, role, category, (int)json_integer_value(json_object_get(q, "difficulty")),
                 text, json_object_get(q, "keywords"));
    }
}

/* Loads every generated set recorded in the store into the bank (start-up). */
static void gen_load_all(struct engine *e)
{
    json_t *keys = kv_get_array(e, GEN_INDEX_KEY);
    size_t i;
    json_t *k;
    int sets = 0;
    json_array_foreach(keys, i, k) {
        const char *key = json_string_value(json_object_get(k, "key"));
        const char *role = json_string_value(json_object_get(k, "role"));
        const char *category = json_string_value(json_object_get(k, "category"));
        if (!key || !role || !category) continue;
        json_t *set = kv_get_json(e, key);
        if (set) {
            gen_load_set(e, role, category, set);
            sets++;
        }
        json_decref(set);
    }
    json_decref(keys);
    if (sets) log_info("bank_grown", "generated_sets=%d questions=%d", sets, e->bank->n_questions);
}

static void maybe_grow_bank(struct engine *e, const struct store_interview *iv, struct cand_ctx *cc,
                            const char *phase, int difficulty, const struct bank_seen *seen)
{
    if (strcmp(iv->mode, "full") != 0 && strcmp(iv->mode, "balanced") != 0) return;
    if (strcmp(phase, "technical") != 0 && strcmp(phase, "behavioral") != 0) return;
    if (!router_online(e->router)) return;
    int left = bank_unheard_count(e->bank, cc->c.role, phase, seen);
    if (left >= GEN_LOW_WATER) return;
    char key[160];
    snprintf(key, sizeof key, "question_gen:%s:%s:%d", cc->c.role, phase, difficulty);
    if (job_running(e, key)) {
        stats_count(&e->stats, STATS_QUESTION, STATS_COALESCED, 1);
        return;
    }
    /* one set per key and interval: every candidate near the end of the bank shares it */
    char last_key[200], *last_s = NULL;
    snprintf(last_key, sizeof last_key, "genq:last:%s:%s:%d", cc->c.role, phase, difficulty);
    int64_t now = clock_now_ms();
    if (store_call(e->store, kv_get, last_key, &last_s) == STORE_OK && last_s && left > 0 &&
        now - atoll(last_s) < GEN_MIN_INTERVAL_MS) {
        free(last_s);
        return;
    }
    free(last_s);
    char now_s[32];
    snprintf(now_s, sizeof now_s, "%lld", (long long)now);
    store_call(e->store, kv_put, last_key, now_s);
    /* the next variant: another process may have generated it already */
    char count_key[200], set_key[220];
    snprintf(count_key, sizeof count_key, "genq:count:%s:%s:%d", cc->c.role, phase, difficulty);
    char *count_s = NULL;
    long variant = 0;
    if (store_call(e->store, kv_get, count_key, &count_s) == STORE_OK && count_s) variant = atol(count_s);
    free(count_s);
    snprintf(set_key, sizeof set_key, "genq:%s:%s:%d:%ld", cc->c.role, phase, difficulty, variant);
    const char *skill = json_string_value(json_array_get(json_object_get(cc->analysis, "skills"), (size_t)variant % 4));
    if (!skill && cc->role) skill = json_string_value(json_array_get(cc->role->skills, (size_t)variant % 8));
    struct job *j = job_new(e, JOB_QUESTION_GEN, TASK_QUESTION_GEN, key,
                            task_question_gen(cc->c.role, phase, skill ? skill : "general", difficulty,
                                              GEN_BATCH),
                            json_pack("{s:s,s:s,s:s,s:i,s:I}", "role", cc->c.role, "category", phase,
                                      "set_key", set_key, "difficulty", difficulty, "variant",
                                      (json_int_t)variant),
                            0);
    j->max_tokens = 900;
    job_submit(j);
}

static void finish_question_gen(struct engine *e, struct job *j, json_t *parsed)
{
    if (!parsed) return;
    const char *role = json_string_value(json_object_get(j->task_input, "role"));
    const char *category = json_string_value(json_object_get(j->task_input, "category"));
    const char *set_key = json_string_value(json_object_get(j->task_input, "set_key"));
    long variant = (long)json_integer_value(json_object_get(j->task_input, "variant"));
    int difficulty = (int)json_integer_value(json_object_get(j->task_input, "difficulty"));
    json_t *kept = json_array();
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(parsed, "questions"), i, q) {
        const char *text = json_string_value(json_object_get(q, "text"));
        char h[33], id[96];
        util_xxh128_hex(text, strlen(text), h);
        snprintf(id, sizeof id, "gen.%s.%.16s", role, h);
        int d = (int)json_integer_value(json_object_get(q, "difficulty"));
        if (bank_add(e->bank, id, role, category, d ? d : difficulty, text,
                     json_object_get(q, "keywords")) == 0)
            json_array_append_new(kept, json_pack("{s:s,s:s,s:i,s:O}", "id", id, "text", text,
                                                  "difficulty", d ? d : difficulty, "keywords",
                                                  json_object_get(q, "keywords")));
    }
    kv_put_json(e, set_key, kept);
    char count_key[200], count_s[32];
    snprintf(count_key, sizeof count_key, "genq:count:%s:%s:%d", role, category, difficulty);
    snprintf(count_s, sizeof count_s, "%ld", variant + 1);
    store_call(e->store, kv_put, count_key, count_s);
    json_t *keys = kv_get_array(e, GEN_INDEX_KEY);
    json_array_append_new(keys, json_pack("{s:s,s:s,s:s}", "key", set_key, "role", role, "category", category));
    kv_put_json(e, GEN_INDEX_KEY, keys);
    json_decref(keys);
    log_info("bank_grown", "role=%s category=%s added=%zu questions=%d", role, category,
             json_array_size(kept), e->bank->n_questions);
    json_decref(kept);
}

static struct seen_slot *seen_for(struct engine *e, const char *candidate, enum store_err *se)
{
    struct seen_slot *slot = &e->seen_cache[util_xxh64(candidate, strlen(candidate)) % SEEN_SLOTS];
    long count = 0;
    *se = store_call(e->store, turn_count_asked_by_candidate, candidate, &count);
    if (*se != STORE_OK) return NULL;
    if (strcmp(slot->candidate, candidate) == 0 && slot->count == count) return slot;
    struct store_turn_list asked = {0};
    *se = store_call(e->store, turn_list_asked_by_candidate, candidate, &asked);
    if (*se != STORE_OK) return NULL;
    bank_seen_free(&slot->seen);
    for (size_t i = 0; i < asked.len; i++)
        bank_seen_add(&slot->seen, asked.items[i].question_id, asked.items[i].question_text);
    slot->count = (long)asked.len;
    snprintf(slot->candidate, sizeof slot->candidate, "%s", candidate);
    store_turn_list_free(&asked);
    return slot;
}

/* Builds turn idx from the bank (or the given follow-up text) and inserts it. */
static enum store_err ask_turn(struct engine *e, const struct store_interview *iv,
                               struct cand_ctx *cc, const struct store_turn_list *turns, int idx,
                               const char *follow_up, struct store_turn *out)
{
    const char *phase = plan_phase(iv, idx);
    char phase_buf[32];
    snprintf(phase_buf, sizeof phase_buf, "%s", phase);
    int difficulty = next_difficulty(e, turns, idx, phase_buf, cc->analysis);
    struct store_turn t = {0};
    char qid[64];
    char *text = NULL;
    char *keywords = NULL;
    enum store_err se;
    struct seen_slot *slot = seen_for(e, cc->c.id, &se);
    if (!slot) return se;
    struct bank_seen *seen = &slot->seen;
    if (follow_up && bank_seen_has_near(seen, follow_up)) {
        /* the model wrote something the candidate has heard (or nearly): a bank
         * question instead */
        log_info("model_question_rejected", "interview=%s reason=\"near-duplicate of a question "
                                            "already asked\"", iv->id);
        follow_up = NULL;
    }
    if (follow_up) {
        char h[33];
        util_xxh128_hex(follow_up, strlen(follow_up), h);
        snprintf(qid, sizeof qid, "fu:%.16s", h);
        text = xstrdup(follow_up);
        const struct store_turn *prev = idx > 0 && (size_t)idx - 1 < turns->len ? &turns->items[idx - 1] : NULL;
        keywords = prev && prev->keywords ? xstrdup(prev->keywords) : NULL;
    } else {
        const struct bank_question *q =
            bank_pick(e->bank, cc->c.role, phase_buf, difficulty, seen, cc->c.id);
        /* A bank exhausted for this phase falls back to neighbouring phases' questions
         * rather than repeating one. */
        static const char *fallbacks[] = {"technical", "behavioral", "resume", "wrap_up",
                                          "introduction"};
        for (size_t k = 0; !q && k < ARRAY_LEN(fallbacks); k++)
            q = bank_pick(e->bank, cc->c.role, fallbacks[k], difficulty, seen, cc->c.id);
        if (q) {
            snprintf(qid, sizeof qid, "%s", q->id);
            text = bank_fill(q->text, cc->analysis, cc->role, idx);
        } else {
            /* Every template heard: a template with placeholders filled differently (another
             * skill or project) is still a question this candidate has not heard. */
            for (int i = 0; !text && i < e->bank->n_questions; i++) {
                const struct bank_question *bq = &e->bank->questions[i];
                if (!strchr(bq->text, '{')) continue;
                for (int v = 1; v < 12 && !text; v++) {
                    char *t2 = bank_fill(bq->text, cc->analysis, cc->role, idx + v);
                    snprintf(qid, sizeof qid, "%s#%d", bq->id, v);
                    if (!bank_seen_has_id(seen, qid) && !bank_seen_has_text(seen, t2)) {
                        text = t2;
                        q = bq;
                    } else {
                        free(t2);
                    }
                }
            }
            if (!q) return STORE_NOT_FOUND;
        }
        if (bank_seen_has_text(seen, text)) log_warn("question_text_repeat", "question=%s", q->id);
        keywords = json_dumps(q->keywords, JSON_COMPACT);
        difficulty = q->difficulty;
    }
    t.interview_id = iv->id;
    t.idx = idx;
    t.question_id = qid;
    t.question_text = text;
    t.category = phase_buf;
    t.phase = phase_buf;
    t.difficulty = difficulty;
    t.keywords = keywords;
    t.asked_ms = clock_now_ms();
    t.eval_status = "none";
    se = store_call(e->store, turn_insert, &t);
    if (se == STORE_OK) {
        bank_seen_add(seen, qid, text);
        slot->count++;
        if (!follow_up) maybe_grow_bank(e, iv, cc, phase_buf, difficulty, seen);
    }
    if (se == STORE_OK)
        stats_count(&e->stats, STATS_QUESTION, follow_up ? STATS_MERGED : STATS_POOL, 1);
    if (se == STORE_OK && out) {
        memset(out, 0, sizeof *out);
        out->interview_id = xstrdup(iv->id);
        out->idx = idx;
        out->question_id = xstrdup(qid);
        out->question_text = xstrdup(text);
        out->category = xstrdup(phase_buf);
        out->phase = xstrdup(phase_buf);
        out->difficulty = difficulty;
        out->keywords = keywords ? xstrdup(keywords) : NULL;
        out->eval_status = xstrdup("none");
    }
    free(text);
    free(keywords);
    return se;
}

/* Tokens of a typical provider call, for turning the fleet's token budget into calls:
 * a balanced-mode batch as measured by the simulator (src/sim/plan.c). */
#define TYPICAL_CALL_TOKENS 3436.0

/* The mode an interview should run in now: the configured one, or under auto the
 * richest one today's remaining quota can give every interview still expected. */
static enum budget_mode budget_now(struct engine *e)
{
    if (!router_online(e->router)) return BUDGET_OFFLINE;
    const char *m = e->cfg->budget_mode;
    if (strcmp(m, "auto") != 0) return (enum budget_mode)budget_mode_parse(m);
    int64_t now = clock_now_ms();
    int64_t day0 = now - now % 86400000;
    if (day0 != e->day_start_ms) {
        e->day_start_ms = day0;
        e->started_today = 0;
    }
    double calls_left = router_calls_left_today(e->router, TYPICAL_CALL_TOKENS);
    double left = budget_interviews_left((double)e->cfg->expected_interviews_per_day,
                                         e->started_today, (double)(now - day0) / 86400000.0);
    return budget_choose(calls_left, left, 0.9);
}

/* Provider calls left today beyond what the interviews still expected today need in
 * economy mode (the least any model-scored interview needs); -1 counts as plenty. */
static double spare_calls_today(struct engine *e)
{
    double calls_left = router_calls_left_today(e->router, TYPICAL_CALL_TOKENS);
    if (calls_left < 0) return 1e9;
    int64_t now = clock_now_ms();
    int64_t day0 = now - now % 86400000;
    double left = budget_interviews_left((double)e->cfg->expected_interviews_per_day,
                                         day0 == e->day_start_ms ? e->started_today : 0,
                                         (double)(now - day0) / 86400000.0);
    return calls_left - left * budget_mode_cost(BUDGET_ECONOMY);
}

static const char *decide_mode(struct engine *e)
{
    return budget_mode_name(budget_now(e));
}

void engine_interview_counts(struct engine *e, struct engine_interview_counts *out,
                             const char **mode_now)
{
    *out = e->counts;
    if (mode_now) *mode_now = decide_mode(e);
}

static int day_start_count(const struct store_interview_list *l, int64_t now, int *active)
{
    int64_t day0 = now - now % 86400000;
    int today = 0;
    *active = 0;
    for (size_t i = 0; i < l->len; i++) {
        if (l->items[i].created_ms >= day0) today++;
        if (strcmp(l->items[i].state, "active") == 0 && now - l->items[i].created_ms < 86400000)
            (*active)++;
    }
    return today;
}

void engine_start(struct engine *e, const char *candidate_id, const json_t *body,
                  struct engine_reply *out)
{
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (!kind) {
        fail(out, ENGINE_MISSING, "The field \"kind\" is required: technical, behavioral or "
                                  "mixed.");
        return;
    }
    if (strcmp(kind, "technical") && strcmp(kind, "behavioral") && strcmp(kind, "mixed")) {
        fail(out, ENGINE_INVALID, "\"kind\" must be technical, behavioral or mixed.");
        return;
    }
    struct cand_ctx cc;
    enum store_err se = cand_load(e, candidate_id, &cc);
    if (se != STORE_OK) {
        if (se == STORE_NOT_FOUND) fail(out, ENGINE_UNAUTHORIZED, "Unknown candidate.");
        else store_failed(out, se);
        return;
    }
    struct store_interview_list mine = {0};
    se = store_call(e->store, interview_list_by_candidate, candidate_id, &mine);
    if (se != STORE_OK) {
        store_failed(out, se);
        cand_free(&cc);
        return;
    }
    int64_t now = clock_now_ms();
    int active;
    int today = day_start_count(&mine, now, &active);
    int earlier_interviews = (int)mine.len;
    store_interview_list_free(&mine);
    if (active >= e->cfg->max_active_interviews) {
        fail(out, ENGINE_LIMIT,
             "You already have %d interviews in progress; finish one before starting another.",
             active);
        cand_free(&cc);
        return;
    }
    if (today >= e->cfg->max_interviews_per_day) {
        fail(out, ENGINE_LIMIT, "You have started %d interviews today, the daily limit; please "
                                "come back tomorrow (UTC).", today);
        cand_free(&cc);
        return;
    }

    const char *phases[MAX_PLAN];
    int n = plan_build(kind, (int)e->cfg->questions, phases);
    json_t *plan = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(plan, json_string(phases[i]));
    char *plan_text = json_dumps(plan, JSON_COMPACT);
    json_decref(plan);

    const char *mode = decide_mode(e);
    struct sbuf greet = {0};
    sbuf_printf(&greet,
                "Hello %s, welcome to your %s mock interview for the %s role. I will ask you "
                "%d questions, starting with an introduction, then your experience, %s, and a "
                "closing question. Answer as you would in a real interview; specific examples "
                "and numbers help.",
                cc.c.name, kind, cc.role ? cc.role->title : cc.c.role, n,
                strcmp(kind, "behavioral") == 0 ? "situations you have handled"
                : strcmp(kind, "technical") == 0 ? "technical questions"
                                                 : "technical and behavioral questions");
    if (strcmp(mode, "offline") == 0)
        sbuf_puts(&greet, " Note: no AI model is configured, so your answers will be scored by "
                          "a heuristic rubric.");
    char *id = util_random_id(CANDIDATE_ID_BYTES);
    struct store_interview iv = {
        .id = id,
        .candidate_id = (char *)candidate_id,
        .kind = (char *)kind,
        .mode = (char *)mode,
        .state = "active",
        .total_questions = n,
        .next_index = 0,
        .greeting = greet.data,
        .plan_json = plan_text,
        .created_ms = now,
    };
    struct store_turn first = {0};
    struct store_turn_list none = {0};
    se = store_begin(e->store);
    if (se == STORE_OK) se = store_call(e->store, interview_insert, &iv);
    if (se == STORE_OK) se = ask_turn(e, &iv, &cc, &none, 0, NULL, &first);
    if (se == STORE_OK) se = store_commit(e->store);
    else store_rollback(e->store);
    if (se != STORE_OK) {
        store_failed(out, se);
    } else {
        ok(out, json_pack("{s:s,s:s,s:s,s:o}", "interview_id", id, "mode", mode, "greeting",
                          greet.data, "question", question_json(&first, n)));
        log_info("interview_started", "interview=%s candidate=%s kind=%s mode=%s", id,
                 candidate_id, kind, mode);
        e->started_today++;
        e->counts.started++;
        int m = budget_mode_parse(mode);
        if (m >= 0 && m < ENGINE_MODES) e->counts.started_by_mode[m]++;
        count_in_progress(e, mode, +1);
        /* The naive design analyses the resume for every interview; we reuse the one
         * analysis made at registration (the first interview's is that call). */
        if (earlier_interviews > 0) stats_count(&e->stats, STATS_RESUME_ANALYSIS, STATS_CACHE, 1);
    }
    store_turn_free(&first);
    sbuf_free(&greet);
    free(plan_text);
    free(id);
    cand_free(&cc);
}

/* Loads an interview that belongs to candidate_id (NULL = admin). */
static enum engine_err load_owned(struct engine *e, const char *candidate_id, const char *id,
                                  struct store_interview *iv, struct engine_reply *out)
{
    enum store_err se = store_call(e->store, interview_get, id, iv);
    if (se == STORE_OK && candidate_id && strcmp(iv->candidate_id, candidate_id) != 0) {
        store_interview_free(iv);
        se = STORE_NOT_FOUND;
    }
    if (se == STORE_NOT_FOUND) {
        fail(out, ENGINE_NOT_FOUND, "No such interview.");
        return ENGINE_NOT_FOUND;
    }
    if (se != STORE_OK) {
        store_failed(out, se);
        return ENGINE_UNAVAILABLE;
    }
    return ENGINE_OK;
}

/* ---- evaluation and reports ---- */

static void maybe_report(struct engine *e, const char *interview_id);
static int claim_work(struct engine *e, const char *key);
static void continue_interview(struct engine *e, const char *interview_id, const char *model_q,
                               engine_reply_fn done, void *data);

static int is_adaptive_phase(const char *phase)
{
    return strcmp(phase, "resume") == 0 || strcmp(phase, "technical") == 0;
}

static json_t *turn_keywords(const struct store_turn *t)
{
    json_error_t je;
    json_t *kw = t->keywords ? json_loads(t->keywords, 0, &je) : NULL;
    if (!json_is_array(kw)) {
        json_decref(kw);
        kw = json_array();
    }
    return kw;
}

/* The candidate waited long enough: ask a bank question now; the call goes on and its
 * scores are still stored when they arrive. */
static void on_reply_deadline(void *arg)
{
    struct job *j = arg;
    engine_reply_fn fn = j->reply_fn;
    void *data = j->reply_data;
    j->reply_fn = NULL;
    if (!fn) return;
    log_info("next_question_fallback", "interview=%s reason=\"no model question within %ld ms\"",
             j->interview_id, j->e->cfg->turn_deadline_ms);
    continue_interview(j->e, j->interview_id, NULL, fn, data);
}

static void job_wait_reply(struct job *j, engine_reply_fn done, void *data)
{
    j->reply_fn = done;
    j->reply_data = data;
    j->deadline_timer = timer_new(j->e->base, on_reply_deadline, j);
    timer_start(j->deadline_timer, j->e->cfg->turn_deadline_ms);
}

/* Texts asked so far in this interview, for a next-question request. */
static const char **asked_texts(const struct store_turn_list *turns, size_t *n)
{
    const char **asked = xcalloc(turns->len + 1, sizeof *asked);
    for (size_t i = 0; i < turns->len; i++) asked[i] = turns->items[i].question_text;
    *n = turns->len;
    return asked;
}

/* One turn, one call; with next_phase, the call also writes the next question and the
 * candidate (done/data) waits for it up to turn_deadline_ms. */
static void start_evaluation(struct engine *e, const struct store_interview *iv,
                             const struct store_turn_list *turns, const struct store_turn *t,
                             const char *role, const char *next_phase, int next_difficulty,
                             engine_reply_fn done, void *data)
{
    char key[96];
    snprintf(key, sizeof key, "evaluate:%s:%d", iv->id, t->idx);
    if (job_running(e, key) || !claim_work(e, key)) {
        if (done) continue_interview(e, iv->id, NULL, done, data);
        return;
    }
    const struct rubric_category *rc = rubrics_get(e->rubrics, t->category);
    json_t *kw = turn_keywords(t);
    struct task_qa qa = {
        .id = t->question_id,
        .category = t->category,
        .question = t->question_text,
        .answer = t->answer,
        .keywords = kw,
        .difficulty = t->difficulty,
    };
    size_t n_asked = 0;
    const char **asked = next_phase ? asked_texts(turns, &n_asked) : NULL;
    struct task_next next = {.phase = next_phase, .difficulty = next_difficulty, .asked = asked,
                             .n_asked = n_asked};
    int offline = strcmp(iv->mode, "offline") == 0;
    json_t *input = json_pack("{s:s,s:O,s:s,s:s?,s:O*}", "category", t->category, "keywords", kw,
                              "answer", t->answer ? t->answer : "", "question", t->question_text,
                              "key_points", turn_key_points(e, t));
    struct job *j = job_new(e, JOB_EVALUATE, TASK_EVALUATE, key,
                            task_evaluate_next(role, e->rubrics->version, rc ? rc->prompt_text : "",
                                               &qa, next_phase ? &next : NULL),
                            input, offline);
    free(asked);
    json_decref(kw);
    j->interview_id = xstrdup(iv->id);
    j->idx = t->idx;
    if (next_phase) j->max_tokens = 800;
    if (done) job_wait_reply(j, done, data);
    job_submit(j);
}

/* Several turns (those pending), one call; optionally with the summary and a next
 * question. Returns 0 if there was nothing to score. */
static int turn_has_flag(const struct store_turn *t, const char *flag)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", flag);
    return t->flags && strstr(t->flags, quoted) != NULL;
}

static int start_batch_ex(struct engine *e, const struct store_interview *iv,
                          const struct store_turn_list *turns, const char *role, int with_summary,
                          const char *next_phase, int next_difficulty, engine_reply_fn done,
                          void *data, int reeval);

static int start_batch(struct engine *e, const struct store_interview *iv,
                       const struct store_turn_list *turns, const char *role, int with_summary,
                       const char *next_phase, int next_difficulty, engine_reply_fn done,
                       void *data)
{
    return start_batch_ex(e, iv, turns, role, with_summary, next_phase, next_difficulty, done,
                          data, 0);
}

/* reeval: score the answers the heuristic scored for want of a model, not the pending
 * ones; the call is a JOB_REEVAL. */
static int start_batch_ex(struct engine *e, const struct store_interview *iv,
                          const struct store_turn_list *turns, const char *role, int with_summary,
                          const char *next_phase, int next_difficulty, engine_reply_fn done,
                          void *data, int reeval)
{
    char key[96];
    snprintf(key, sizeof key, "%s:%s:%s", reeval ? "reeval" : "batch", iv->id,
             with_summary ? "final" : "mid");
    if (job_running(e, key)) return 1;
    if (!claim_work(e, key)) return 0;
    struct task_qa *qa = xcalloc(turns->len + 1, sizeof *qa);
    json_t **kws = xcalloc(turns->len + 1, sizeof *kws);
    int *idxs = xcalloc(turns->len + 1, sizeof *idxs);
    size_t n = 0;
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer) continue;
        if (reeval ? !turn_has_flag(t, "model_unavailable") : strcmp(t->eval_status, "pending") != 0)
            continue;
        kws[n] = turn_keywords(t);
        qa[n] = (struct task_qa){.id = t->question_id,
                                 .category = t->category,
                                 .question = t->question_text,
                                 .answer = t->answer,
                                 .keywords = kws[n],
                                 .difficulty = t->difficulty};
        idxs[n++] = t->idx;
    }
    if (n == 0) {
        free(qa);
        free(kws);
        free(idxs);
        return 0;
    }
    /* One rubric per call: the criteria of every category present, in order. */
    struct sbuf rubric = {0};
    const char *cats[] = {"introduction", "resume", "technical", "behavioral", "wrap_up"};
    for (size_t c = 0; c < ARRAY_LEN(cats); c++) {
        int present = 0;
        for (size_t i = 0; i < n && !present; i++) present = strcmp(qa[i].category, cats[c]) == 0;
        const struct rubric_category *rc = present ? rubrics_get(e->rubrics, cats[c]) : NULL;
        if (rc) sbuf_printf(&rubric, "Category %s:\n%s", cats[c], rc->prompt_text);
    }
    size_t n_asked = 0;
    const char **asked = next_phase ? asked_texts(turns, &n_asked) : NULL;
    struct task_next next = {.phase = next_phase, .difficulty = next_difficulty, .asked = asked,
                             .n_asked = n_asked};
    json_t *msgs = task_evaluate_batch_next(role, e->rubrics->version, rubric.data ? rubric.data : "",
                                            qa, n, with_summary, next_phase ? &next : NULL);
    sbuf_free(&rubric);
    free(asked);
    for (size_t i = 0; i < n; i++) json_decref(kws[i]);
    free(kws);
    free(qa);
    struct job *j = job_new(e, reeval ? JOB_REEVAL : JOB_BATCH, TASK_EVALUATE_BATCH, key, msgs, NULL, 0);
    j->interview_id = xstrdup(iv->id);
    j->idxs = idxs;
    j->n_idxs = (int)n;
    j->with_summary = with_summary;
    j->max_tokens = 200 + 160 * (int)n + (with_summary ? 400 : 0) + (next_phase ? 150 : 0);
    if (done) job_wait_reply(j, done, data);
    job_submit(j);
    return 1;
}

/* ---- single-flight across instances ---- */

/* 1 if this process may do the model work named key. With a store shared by several
 * instances (PostgreSQL) the claim is a row all of them see, so an answer is evaluated
 * and a report summarised once however requests are spread; a claim older than the
 * longest the work can take is stale and may be taken over (its process is gone). A
 * SQLite store belongs to one process: there, the in-process job list is enough. */
static int claim_work(struct engine *e, const char *key)
{
    if (e->claim_bypass || !store_shared(e)) return 1;
    char k[160];
    snprintf(k, sizeof k, "claim:%s", key);
    int64_t stale = e->cfg->eval_deadline_ms + 2 * e->cfg->llm_timeout_ms;
    enum store_err se = store_call(e->store, kv_claim, k, clock_now_ms(), stale);
    if (se == STORE_CONFLICT) {
        log_info("work_claimed_elsewhere", "work=%s", key);
        return 0;
    }
    return 1; /* claimed, or the store failed: better twice than never */
}

/* ---- retrying work whose result could not be saved ---- */

#define RETRY_PERIOD_MS 2000

static void maybe_report(struct engine *e, const char *interview_id);
static void start_evaluation(struct engine *e, const struct store_interview *iv,
                             const struct store_turn_list *turns, const struct store_turn *t,
                             const char *role, const char *next_phase, int next_difficulty,
                             engine_reply_fn done, void *data);

/* A result that could not be written (the store was down) is redone when it is back:
 * the interview is retried every RETRY_PERIOD_MS until it has its report. */
static void retry_add(struct engine *e, const char *interview_id)
{
    for (int i = 0; i < e->n_retry; i++)
        if (strcmp(e->retry[i], interview_id) == 0) return;
    if (e->n_retry == e->cap_retry) {
        e->cap_retry = e->cap_retry ? e->cap_retry * 2 : 16;
        e->retry = xrealloc(e->retry, (size_t)e->cap_retry * sizeof *e->retry);
    }
    snprintf(e->retry[e->n_retry++], 33, "%s", interview_id);
    if (e->retry_timer && !timer_pending(e->retry_timer)) timer_start(e->retry_timer, RETRY_PERIOD_MS);
}

static void retry_tick(void *arg)
{
    struct engine *e = arg;
    int kept = 0;
    for (int i = 0; i < e->n_retry; i++) {
        struct store_interview iv = {0};
        enum store_err se = store_call(e->store, interview_get, e->retry[i], &iv);
        int done = se == STORE_NOT_FOUND || (se == STORE_OK && iv.report_json);
        e->claim_bypass = 1; /* the work is ours: it failed here */
        if (se == STORE_OK && !iv.report_json && strcmp(iv.state, "finished") == 0) {
            maybe_report(e, iv.id);
        } else if (se == STORE_OK && strcmp(iv.state, "finished") != 0) {
            /* still running: redo its pending per-turn evaluations now (batched modes pick
             * pending turns up in their next batch) */
            struct store_turn_list turns = {0};
            struct store_candidate c = {0};
            if ((strcmp(iv.mode, "full") == 0 || strcmp(iv.mode, "offline") == 0) &&
                store_call(e->store, turn_list, iv.id, &turns) == STORE_OK &&
                store_call(e->store, candidate_get, iv.candidate_id, &c) == STORE_OK) {
                for (size_t k = 0; k < turns.len; k++)
                    if (turns.items[k].answer && strcmp(turns.items[k].eval_status, "pending") == 0)
                        start_evaluation(e, &iv, &turns, &turns.items[k], c.role, NULL, 0, NULL, NULL);
            }
            store_candidate_free(&c);
            store_turn_list_free(&turns);
            done = 1; /* a new failure adds it again */
        }
        e->claim_bypass = 0;
        store_interview_free(&iv);
        if (!done) memcpy(e->retry[kept++], e->retry[i], 33);
    }
    e->n_retry = kept;
    if (e->n_retry) timer_start(e->retry_timer, RETRY_PERIOD_MS);
}

/* ---- re-scoring later: answers the heuristic scored because no model had quota ---- */

#define REEVAL_PERIOD_MS 60000 /* the sweeper looks for spare quota this often */
#define REEVAL_MAX 100000      /* interviews remembered for re-scoring */

static void reeval_add(struct engine *e, const char *interview_id)
{
    for (int i = 0; i < e->n_reeval; i++)
        if (strcmp(e->reeval[i], interview_id) == 0) return;
    if (e->n_reeval == REEVAL_MAX) return;
    if (e->n_reeval == e->cap_reeval) {
        e->cap_reeval = e->cap_reeval ? e->cap_reeval * 2 : 64;
        e->reeval = xrealloc(e->reeval, (size_t)e->cap_reeval * sizeof *e->reeval);
    }
    snprintf(e->reeval[e->n_reeval++], 33, "%s", interview_id);
}

static void reeval_remove(struct engine *e, const char *interview_id)
{
    for (int i = 0; i < e->n_reeval; i++) {
        if (strcmp(e->reeval[i], interview_id) != 0) continue;
        memmove(&e->reeval[i], &e->reeval[i + 1], (size_t)(e->n_reeval - i - 1) * sizeof *e->reeval);
        e->n_reeval--;
        return;
    }
}

static int start_batch_ex(struct engine *e, const struct store_interview *iv,
                          const struct store_turn_list *turns, const char *role, int with_summary,
                          const char *next_phase, int next_difficulty, engine_reply_fn done,
                          void *data, int reeval);
static double spare_calls_today(struct engine *e);

/* Spare quota (what today's expected interviews will not need) goes to re-scoring, one
 * interview per tick while the router has no queue. */
static void reeval_tick(void *arg)
{
    struct engine *e = arg;
    timer_start(e->reeval_timer, REEVAL_PERIOD_MS);
    for (int budget = 0; budget < 8 && e->n_reeval > 0; budget++) {
        if (!router_online(e->router) || router_queue_length(e->router) > 0) return;
        if (spare_calls_today(e) < 2) return;
        char id[33];
        memcpy(id, e->reeval[0], 33);
        struct store_interview iv = {0};
        struct store_turn_list turns = {0};
        if (store_call(e->store, interview_get, id, &iv) != STORE_OK ||
            store_call(e->store, turn_list, id, &turns) != STORE_OK || !iv.report_json) {
            /* not finished yet, or gone: try again later / forget */
            if (!iv.id) reeval_remove(e, id);
            store_turn_list_free(&turns);
            store_interview_free(&iv);
            return;
        }
        struct store_candidate c = {0};
        const char *role = "unknown";
        if (store_call(e->store, candidate_get, iv.candidate_id, &c) == STORE_OK) role = c.role;
        reeval_remove(e, id);
        if (start_batch_ex(e, &iv, &turns, role, 0, NULL, 0, NULL, NULL, 1))
            log_info("reeval_started", "interview=%s", id);
        store_candidate_free(&c);
        store_turn_list_free(&turns);
        store_interview_free(&iv);
    }
}

/* The model scored what the heuristic had scored: store it, drop the flag, rebuild the
 * report with its summary as it was. */
static void write_report(struct engine *e, const char *interview_id, json_t *summary,
                         int summary_from_model);

static json_t *injection_cap(struct engine *e, const struct store_turn *t, const json_t *model_eval);

static void finish_reeval(struct engine *e, struct job *j, json_t *parsed, int from_model)
{
    if (!parsed || !from_model) {
        reeval_add(e, j->interview_id); /* still no model: later */
        return;
    }
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, j->interview_id, &turns) != STORE_OK) return;
    json_t *evals = json_object_get(parsed, "evaluations");
    int updated = 0;
    for (int k = 0; k < j->n_idxs; k++) {
        int idx = j->idxs[k];
        if ((size_t)idx >= turns.len) continue;
        struct store_turn *t = &turns.items[idx];
        size_t i;
        json_t *ev, *found = NULL;
        json_array_foreach(evals, i, ev) {
            const char *qid = json_string_value(json_object_get(ev, "question_id"));
            if (qid && strcmp(qid, t->question_id) == 0) found = ev;
        }
        if (!found) continue;
        json_t *cap = injection_cap(e, t, found);
        if (cap) { /* the heuristic's lower score stands */
            json_decref(cap);
            continue;
        }
        json_t *flags = json_array();
        if (precheck_injection(t->answer) || json_is_true(json_object_get(found, "injection_attempt")))
            json_array_append_new(flags, json_string("injection_attempt"));
        json_array_append_new(flags, json_string("rescored_later"));
        char *ft = json_dumps(flags, JSON_COMPACT);
        json_decref(flags);
        struct store_turn upd = *t;
        upd.score = (int)json_integer_value(json_object_get(found, "score"));
        upd.feedback = (char *)json_string_value(json_object_get(found, "feedback"));
        upd.scorer = "model";
        upd.flags = ft;
        upd.eval_status = "done";
        if (store_call(e->store, turn_set_eval, &upd) == STORE_OK) updated++;
        free(ft);
    }
    store_turn_list_free(&turns);
    if (!updated) return;
    /* keep the summary the report had */
    struct store_interview iv = {0};
    json_t *old = NULL;
    if (store_call(e->store, interview_get, j->interview_id, &iv) == STORE_OK && iv.report_json) {
        json_error_t je;
        old = json_loads(iv.report_json, 0, &je);
    }
    json_t *summary = old ? json_pack("{s:O?,s:O?,s:O?}", "summary", json_object_get(old, "summary"),
                                      "strengths", json_object_get(old, "strengths"), "improvements",
                                      json_object_get(old, "improvements"))
                          : NULL;
    const char *by = old ? json_string_value(json_object_get(old, "summary_by")) : NULL;
    write_report(e, j->interview_id, summary, by && strcmp(by, "model") == 0);
    log_info("reeval_done", "interview=%s rescored=%d", j->interview_id, updated);
    json_decref(summary);
    json_decref(old);
    store_interview_free(&iv);
}

/* Stores one turn's evaluation: the model's (eval != NULL) or the heuristic's. t is the
 * turn as read from the store by the caller. */
/* The heuristic's evaluation of a turn's answer; caller decrefs. */
static json_t *turn_heuristic_eval(struct engine *e, const struct store_turn *t)
{
    json_t *in = json_pack("{s:s,s:s,s:o,s:s?,s:O*}", "category", t->category, "answer", t->answer,
                           "keywords", turn_keywords(t), "question", t->question_text,
                           "key_points", turn_key_points(e, t));
    json_t *eval = offline_answer("evaluate", in, e);
    json_decref(in);
    return eval;
}

/* An answer that tries to instruct the scorer never scores above what the heuristic
 * gives it: a model it fooled says 5 and does not flag it (mockllm --injection-bump).
 * Returns the heuristic's evaluation (caller decrefs) when it is lower, else NULL. */
static json_t *injection_cap(struct engine *e, const struct store_turn *t, const json_t *model_eval)
{
    if (!precheck_injection(t->answer) && !json_is_true(json_object_get(model_eval, "injection_attempt")))
        return NULL;
    json_t *h = turn_heuristic_eval(e, t);
    if (h && json_integer_value(json_object_get(h, "score")) <
                 json_integer_value(json_object_get(model_eval, "score")))
        return h;
    json_decref(h);
    return NULL;
}

static void store_turn_eval(struct engine *e, const struct store_turn *t, json_t *eval,
                            int from_model, int model_was_expected)
{
    if (!t || !t->answer || strcmp(t->eval_status, "done") == 0) return;
    const char *interview_id = t->interview_id;
    int idx = t->idx;
    json_t *owned = NULL;
    int capped = 0;
    if (!eval) {
        /* No usable model answer: the heuristic scores it, and the report says so. */
        owned = eval = turn_heuristic_eval(e, t);
        from_model = 0;
    } else if (from_model && (owned = injection_cap(e, t, eval)) != NULL) {
        eval = owned;
        from_model = 0;
        capped = 1;
    }
    json_t *flags = json_array();
    if (capped || precheck_injection(t->answer) || json_is_true(json_object_get(eval, "injection_attempt")))
        json_array_append_new(flags, json_string("injection_attempt"));
    if (!from_model && model_was_expected && !capped) {
        json_array_append_new(flags, json_string("model_unavailable"));
        reeval_add(e, interview_id);
    }
    char *flags_text = json_dumps(flags, JSON_COMPACT);
    json_decref(flags);
    struct store_turn upd = *t;
    upd.score = (int)json_integer_value(json_object_get(eval, "score"));
    upd.feedback = (char *)json_string_value(json_object_get(eval, "feedback"));
    upd.scorer = from_model ? "model" : "heuristic";
    upd.flags = flags_text;
    upd.eval_status = "done";
    enum store_err se = store_call(e->store, turn_set_eval, &upd);
    if (se != STORE_OK) {
        log_error("eval_store_failed", "interview=%s idx=%d error=\"%s\"", interview_id, idx,
                  store_strerror(se));
        retry_add(e, interview_id);
    }
    free(flags_text);
    json_decref(owned);
}

static json_t *scored_list(struct engine *e, const struct store_turn_list *turns);

static json_t *build_report(struct engine *e, const struct store_interview *iv,
                            const struct store_turn_list *turns, const json_t *summary,
                            int summary_from_model)
{
    json_t *scores = json_array(), *all_flags = json_array();
    int n_model = 0, n_heur = 0, n_pre = 0, n_unavailable = 0, n_rescored = 0;
    double sum = 0;
    int scored = 0;
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer || t->score <= 0) continue;
        json_error_t je;
        json_t *flags = t->flags ? json_loads(t->flags, 0, &je) : NULL;
        if (!json_is_array(flags)) {
            json_decref(flags);
            flags = json_array();
        }
        size_t k;
        json_t *f;
        json_array_foreach(flags, k, f) {
            if (strcmp(json_string_value(f), "model_unavailable") == 0) n_unavailable++;
            if (strcmp(json_string_value(f), "rescored_later") == 0) n_rescored++;
            if (strcmp(json_string_value(f), "injection_attempt") == 0)
                json_array_append_new(all_flags, json_pack("{s:s,s:s}", "question_id",
                                                           t->question_id, "flag", "injection_attempt"));
        }
        const char *scorer = t->scorer ? t->scorer : "heuristic";
        if (strcmp(scorer, "model") == 0) n_model++;
        else if (strcmp(scorer, "precheck") == 0) n_pre++;
        else n_heur++;
        sum += t->score;
        scored++;
        /* CONTRACT.md: the question, the candidate's own answer and the reference (what a
         * strong answer covers) travel with each score */
        const struct bank_question *bq = bank_question_find(e->bank, t->question_id);
        json_array_append_new(scores, json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:o,s:s?}",
                                                "question_id", t->question_id, "question",
                                                t->question_text, "answer", t->answer, "category",
                                                t->category, "score", t->score, "feedback",
                                                t->feedback ? t->feedback : "", "scorer", scorer,
                                                "flags", flags, "reference", bank_reference_plain(bq),
                                                "topic", bq ? bq->topic : NULL));
    }
    int overall = scored ? (int)lround(100.0 * (sum / scored - 1) / 4) : 0;
    int offline = strcmp(iv->mode, "offline") == 0;
    struct sbuf note = {0};
    if (offline)
        sbuf_puts(&note, "No AI model was configured for this interview: every answer was scored "
                         "by the heuristic, which measures how much of each question's key points "
                         "an answer covers; it does not understand meaning as a model does. ");
    else if (n_heur)
        sbuf_printf(&note, "%d answer%s scored by the heuristic rubric because no model could "
                           "score %s in time. ", n_heur, n_heur == 1 ? " was" : "s were",
                    n_heur == 1 ? "it" : "them");
    if (n_rescored)
        sbuf_printf(&note, "%d answer%s scored by a model later, when quota was free again. ",
                    n_rescored, n_rescored == 1 ? " was" : "s were");
    if (n_heur && !offline)
        sbuf_puts(&note, "Answers scored by the heuristic are queued and re-scored by a model "
                         "when quota is free; this report then updates. ");
    if (n_pre)
        sbuf_printf(&note, "%d answer%s empty, \"I don't know\" or unreadable and scored 1 "
                           "without a model. ", n_pre, n_pre == 1 ? " was" : "s were");
    if (json_array_size(all_flags))
        sbuf_puts(&note, "Some answers tried to instruct the scorer; they are flagged and were "
                         "scored on their content. ");
    if (!summary_from_model && !offline) sbuf_puts(&note, "The summary was written by the heuristic. ");
    (void)n_unavailable;
    /* the summary names the weakest topics, whoever wrote it (the heuristic's does already) */
    struct sbuf summary_text = {0};
    const char *written = json_string_value(json_object_get(summary, "summary"));
    sbuf_puts(&summary_text, written ? written : "");
    if (summary_from_model) {
        json_t *scored_turns = scored_list(e, turns);
        char *weak = heuristic_weakest_topics(scored_turns);
        if (weak) sbuf_printf(&summary_text, "%s%s", summary_text.len ? " " : "", weak);
        free(weak);
        json_decref(scored_turns);
    }
    json_t *r = json_pack(
        "{s:s,s:s,s:s,s:s,s:b,s:i,s:o,s:s,s:O,s:O,s:{s:i,s:i,s:i},s:o,s:s,s:s}", "status", "ready",
        "interview_id", iv->id, "kind", iv->kind, "mode", iv->mode, "offline", offline,
        "overall_score", overall, "scores", scores, "summary", summary_text.data ? summary_text.data : "",
        "strengths", json_object_get(summary, "strengths") ? json_object_get(summary, "strengths") : json_array(),
        "improvements", json_object_get(summary, "improvements") ? json_object_get(summary, "improvements") : json_array(),
        "scorers", "model", n_model, "heuristic", n_heur, "precheck", n_pre, "flags", all_flags,
        "summary_by", summary_from_model ? "model" : "heuristic", "note", note.data ? note.data : "");
    sbuf_free(&note);
    sbuf_free(&summary_text);
    return r;
}

/* The scored turns as heuristic_summary() reads them: position, topic, key points and
 * the answer, so the summary can name the weakest topics and what the lowest-scored
 * answers missed. */
static json_t *scored_list(struct engine *e, const struct store_turn_list *turns)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer) continue;
        const struct bank_question *q = bank_question_find(e->bank, t->question_id);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:s,s:i,s:s?,s:s,s:O*}", "question",
                                             t->question_text, "category", t->category, "score",
                                             t->score, "feedback", t->feedback ? t->feedback : "",
                                             "position", t->idx + 1, "topic", q ? q->topic : NULL,
                                             "answer", t->answer, "key_points",
                                             turn_key_points(e, t)));
    }
    return arr;
}

/* Builds and stores the report from the turns and a summary (NULL: heuristic). */
static void write_report(struct engine *e, const char *interview_id, json_t *summary,
                         int summary_from_model)
{
    struct store_interview iv = {0};
    if (store_call(e->store, interview_get, interview_id, &iv) != STORE_OK) {
        retry_add(e, interview_id);
        return;
    }
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, interview_id, &turns) != STORE_OK) {
        retry_add(e, interview_id);
        store_interview_free(&iv);
        return;
    }
    json_t *owned = NULL;
    if (!summary) {
        json_t *scored = scored_list(e, &turns);
        owned = summary = heuristic_summary(scored);
        json_decref(scored);
        summary_from_model = 0;
    }
    json_t *report = build_report(e, &iv, &turns, summary, summary_from_model);
    char *text = json_dumps(report, JSON_COMPACT);
    free(iv.report_json);
    iv.report_json = text;
    enum store_err se = store_call(e->store, interview_update, &iv);
    if (se != STORE_OK) {
        log_error("report_store_failed", "interview=%s error=\"%s\"", iv.id, store_strerror(se));
        retry_add(e, iv.id);
    }
    else {
        e->counts.reports++;
        log_info("report_ready", "interview=%s mode=%s overall_score=%d", iv.id, iv.mode,
                 (int)json_integer_value(json_object_get(report, "overall_score")));
    }
    json_decref(report);
    json_decref(owned);
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}

static void start_summary(struct engine *e, const struct store_interview *iv,
                          const struct store_turn_list *turns, const char *role)
{
    char key[96];
    snprintf(key, sizeof key, "summary:%s", iv->id);
    if (job_running(e, key) || !claim_work(e, key)) return;
    struct task_qa *qa = xcalloc(turns->len + 1, sizeof *qa);
    size_t n = 0;
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer) continue;
        qa[n++] = (struct task_qa){.id = t->question_id,
                                   .category = t->category,
                                   .question = t->question_text,
                                   .answer = t->answer,
                                   .difficulty = t->difficulty,
                                   .score = t->score};
    }
    int offline = strcmp(iv->mode, "offline") == 0;
    struct job *j = job_new(e, JOB_SUMMARY, TASK_SUMMARY, key, task_summary(role, qa, n),
                            json_pack("{s:o}", "scored", scored_list(e, turns)), offline);
    j->interview_id = xstrdup(iv->id);
    free(qa);
    job_submit(j);
}

/* Called whenever something may have completed an interview's scoring: starts what is
 * missing (evaluations, the final batch, the summary), or nothing. */
static void maybe_report(struct engine *e, const char *interview_id)
{
    struct store_interview iv = {0};
    enum store_err se = store_call(e->store, interview_get, interview_id, &iv);
    if (se != STORE_OK) {
        if (se != STORE_NOT_FOUND) retry_add(e, interview_id);
        return;
    }
    if (strcmp(iv.state, "finished") != 0 || iv.report_json) {
        store_interview_free(&iv);
        return;
    }
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, interview_id, &turns) != STORE_OK) {
        retry_add(e, interview_id);
        store_interview_free(&iv);
        return;
    }
    struct store_candidate c = {0};
    const char *role = "unknown";
    if (store_call(e->store, candidate_get, iv.candidate_id, &c) == STORE_OK) role = c.role;
    int pending = 0;
    for (size_t i = 0; i < turns.len; i++)
        if (turns.items[i].answer && strcmp(turns.items[i].eval_status, "done") != 0) pending++;
    int batched = strcmp(iv.mode, "balanced") == 0 || strcmp(iv.mode, "economy") == 0;
    char key[96];
    snprintf(key, sizeof key, "batch:%s:mid", iv.id);
    if (batched && job_running(e, key)) {
        /* the mid-interview batch is still out: it calls us when it lands */
    } else if (batched && pending) {
        start_batch(e, &iv, &turns, role, 1, NULL, 0, NULL, NULL);
    } else if (pending) {
        for (size_t i = 0; i < turns.len; i++) {
            const struct store_turn *t = &turns.items[i];
            if (t->answer && strcmp(t->eval_status, "pending") == 0)
                start_evaluation(e, &iv, &turns, t, role, NULL, 0, NULL, NULL);
        }
    } else {
        start_summary(e, &iv, &turns, role);
    }
    store_candidate_free(&c);
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}

/* ---- answering ---- */

static void reply_next(struct engine *e, const struct store_interview *iv,
                       const struct store_turn *next, engine_reply_fn done, void *data)
{
    (void)e;
    struct engine_reply r = {0};
    if (next)
        ok(&r, json_pack("{s:o,s:b,s:i}", "next_question", question_json(next, iv->total_questions),
                         "done", 0, "answered", next->idx));
    else
        ok(&r, json_pack("{s:n,s:b,s:i}", "next_question", "done", 1, "answered", iv->total_questions));
    done(&r, data);
    engine_reply_clear(&r);
}

/* Asks turn iv->next_index from the bank or the follow-up, then replies. */
/* The same with the interview, candidate and turns already loaded (as the answer
 * handler has them): asks turn iv->next_index unless it exists, then replies. */
static void continue_loaded(struct engine *e, const struct store_interview *iv, struct cand_ctx *cc,
                            const struct store_turn_list *turns, const char *follow_up,
                            engine_reply_fn done, void *data)
{
    if ((size_t)iv->next_index < turns->len) { /* already asked (a retried request) */
        reply_next(e, iv, &turns->items[iv->next_index], done, data);
        return;
    }
    struct store_turn next = {0};
    enum store_err se = ask_turn(e, iv, cc, turns, iv->next_index, follow_up, &next);
    if (se == STORE_CONFLICT) {
        /* another instance asked this turn first (both saw it missing): reply with theirs */
        struct store_turn_list now = {0};
        se = store_call(e->store, turn_list, iv->id, &now);
        if (se == STORE_OK && (size_t)iv->next_index < now.len) {
            reply_next(e, iv, &now.items[iv->next_index], done, data);
            store_turn_list_free(&now);
            return;
        }
        store_turn_list_free(&now);
        if (se == STORE_OK) se = STORE_IO;
    }
    if (se != STORE_OK) {
        struct engine_reply r = {0};
        store_failed(&r, se);
        done(&r, data);
    } else {
        reply_next(e, iv, &next, done, data);
    }
    store_turn_free(&next);
}

static void continue_interview(struct engine *e, const char *interview_id, const char *follow_up,
                               engine_reply_fn done, void *data)
{
    struct engine_reply r = {0};
    struct store_interview iv = {0};
    if (store_call(e->store, interview_get, interview_id, &iv) != STORE_OK) {
        store_failed(&r, STORE_IO);
        done(&r, data);
        return;
    }
    struct cand_ctx cc;
    struct store_turn_list turns = {0};
    enum store_err se = cand_load(e, iv.candidate_id, &cc);
    if (se == STORE_OK) se = store_call(e->store, turn_list, iv.id, &turns);
    if (se == STORE_OK) {
        continue_loaded(e, &iv, &cc, &turns, follow_up, done, data);
    } else {
        store_failed(&r, se);
        done(&r, data);
    }
    store_turn_list_free(&turns);
    cand_free(&cc);
    store_interview_free(&iv);
}

static void finish_evaluate_job(struct engine *e, struct job *j, json_t *parsed, int from_model)
{
    int expected = !j->offline;
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, j->interview_id, &turns) != STORE_OK)
        retry_add(e, j->interview_id); /* the store is down: score it again when it is back */
    else if ((size_t)j->idx < turns.len)
        store_turn_eval(e, &turns.items[j->idx], parsed, from_model, expected);
    store_turn_list_free(&turns);
    stats_count(&e->stats, STATS_EVALUATE, from_model ? STATS_API_CALL : STATS_FALLBACK, 1);
    if (j->reply_fn) {
        engine_reply_fn fn = j->reply_fn;
        j->reply_fn = NULL;
        const char *q = parsed ? json_string_value(json_object_get(parsed, "next_question")) : NULL;
        continue_interview(e, j->interview_id, q, fn, j->reply_data);
    }
    maybe_report(e, j->interview_id);
}

static void finish_batch_job(struct engine *e, struct job *j, json_t *parsed, int from_model)
{
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, j->interview_id, &turns) != STORE_OK) {
        retry_add(e, j->interview_id);
        return;
    }
    json_t *evals = parsed ? json_object_get(parsed, "evaluations") : NULL;
    for (int k = 0; k < j->n_idxs; k++) {
        int idx = j->idxs[k];
        if ((size_t)idx >= turns.len) continue;
        json_t *found = NULL;
        size_t i;
        json_t *ev;
        json_array_foreach(evals, i, ev) {
            const char *qid = json_string_value(json_object_get(ev, "question_id"));
            if (qid && strcmp(qid, turns.items[idx].question_id) == 0) found = ev;
        }
        store_turn_eval(e, &turns.items[idx], found, found && from_model, 1);
        /* one of the batch is the call itself; the others rode along */
        stats_count(&e->stats, STATS_EVALUATE,
                    !(found && from_model) ? STATS_FALLBACK : k == 0 ? STATS_API_CALL : STATS_BATCHED, 1);
    }
    store_turn_list_free(&turns);
    if (j->reply_fn) {
        engine_reply_fn fn = j->reply_fn;
        j->reply_fn = NULL;
        const char *q = parsed ? json_string_value(json_object_get(parsed, "next_question")) : NULL;
        continue_interview(e, j->interview_id, q, fn, j->reply_data);
    }
    if (j->with_summary) {
        json_t *summary = parsed ? json_object_get(parsed, "summary") : NULL;
        stats_count(&e->stats, STATS_SUMMARY, summary && from_model ? STATS_MERGED : STATS_FALLBACK, 1);
        write_report(e, j->interview_id, summary, summary != NULL && from_model);
    } else {
        maybe_report(e, j->interview_id);
    }
}

void engine_answer(struct engine *e, const char *candidate_id, const char *interview_id,
                   const json_t *body, engine_reply_fn done, void *data)
{
    struct engine_reply r = {0};
    const char *qid = json_string_value(json_object_get(body, "question_id"));
    json_t *answer_v = json_object_get(body, "answer");
    if (!qid || !json_is_string(answer_v)) {
        fail(&r, ENGINE_MISSING, "The fields \"question_id\" and \"answer\" are required and "
                                 "must be strings.");
        done(&r, data);
        return;
    }
    if ((long)json_string_length(answer_v) > e->cfg->max_answer_bytes) {
        fail(&r, ENGINE_INVALID, "The answer is longer than the limit of %ld bytes; please "
                                 "shorten it.", e->cfg->max_answer_bytes);
        done(&r, data);
        return;
    }
    const char *answer = json_string_value(answer_v);
    struct store_interview iv = {0};
    if (load_owned(e, candidate_id, interview_id, &iv, &r) != ENGINE_OK) {
        done(&r, data);
        return;
    }
    struct store_turn_list turns = {0};
    struct cand_ctx cc = {0};
    enum store_err se = store_call(e->store, turn_list, iv.id, &turns);
    if (se != STORE_OK) {
        store_failed(&r, se);
        goto reply;
    }
    if (strcmp(iv.state, "finished") == 0) {
        fail(&r, ENGINE_FINISHED, "This interview is finished; its report is at "
                                  "/api/interviews/%s/report.", iv.id);
        goto reply;
    }
    if ((size_t)iv.next_index >= turns.len) {
        /* The question was never written down (crash between answer and ask): ask it. */
        se = cand_load(e, iv.candidate_id, &cc);
        if (se == STORE_OK) se = ask_turn(e, &iv, &cc, &turns, iv.next_index, NULL, NULL);
        /* another instance was asking it at the same moment: theirs stands */
        if (se == STORE_CONFLICT) se = STORE_OK;
        store_turn_list_free(&turns);
        if (se == STORE_OK) se = store_call(e->store, turn_list, iv.id, &turns);
        if (se != STORE_OK) {
            store_failed(&r, se);
            goto reply;
        }
    }
    struct store_turn *cur = &turns.items[iv.next_index];
    if (strcmp(cur->question_id, qid) != 0) {
        fail(&r, ENGINE_WRONG_QUESTION, "question_id does not match the question awaiting an "
                                        "answer (%s); GET the interview to see it.", cur->question_id);
        goto reply;
    }
    enum precheck_verdict pv = precheck_answer(answer);
    int64_t now = clock_now_ms();
    se = store_begin(e->store);
    if (se == STORE_OK) se = store_call(e->store, turn_answer, iv.id, cur->idx, answer, now);
    if (se == STORE_OK && pv != PRECHECK_OK) {
        json_t *flags = json_array();
        json_array_append_new(flags, json_string(precheck_flag(pv)));
        if (precheck_injection(answer)) json_array_append_new(flags, json_string("injection_attempt"));
        char *ft = json_dumps(flags, JSON_COMPACT);
        json_decref(flags);
        struct store_turn upd = *cur;
        upd.score = 1;
        upd.feedback = (char *)precheck_feedback(pv);
        upd.scorer = "precheck";
        upd.flags = ft;
        upd.eval_status = "done";
        se = store_call(e->store, turn_set_eval, &upd);
        free(ft);
    }
    iv.next_index = cur->idx + 1;
    int finished = iv.next_index >= iv.total_questions;
    if (finished) {
        free(iv.state);
        iv.state = xstrdup("finished");
        iv.finished_ms = now;
    }
    if (se == STORE_OK) se = store_call(e->store, interview_update, &iv);
    if (se == STORE_OK) se = store_commit(e->store);
    else store_rollback(e->store);
    if (se == STORE_CONFLICT) {
        fail(&r, ENGINE_WRONG_QUESTION, "That question was already answered.");
        goto reply;
    }
    if (se != STORE_OK) {
        store_failed(&r, se);
        goto reply;
    }
    log_info("answer_saved", "interview=%s idx=%d words=%d precheck=%s", iv.id, cur->idx,
             util_word_count(answer), precheck_flag(pv) ? precheck_flag(pv) : "ok");
    if (pv != PRECHECK_OK) stats_count(&e->stats, STATS_EVALUATE, STATS_PRECHECK, 1);
    free(cur->answer);
    cur->answer = xstrdup(answer);
    free(cur->eval_status);
    cur->eval_status = xstrdup(pv == PRECHECK_OK ? "pending" : "done");

    if (cc.c.id == NULL) se = cand_load(e, iv.candidate_id, &cc);
    const char *role = cc.c.role ? cc.c.role : "unknown";
    int online = router_online(e->router);
    /* Step down mid-interview when the day's quota can no longer carry this mode. */
    int cur_mode = budget_mode_parse(iv.mode);
    enum budget_mode now_mode = budget_now(e);
    if (cur_mode > (int)now_mode && strcmp(e->cfg->budget_mode, "auto") == 0) {
        log_info("mode_stepped_down", "interview=%s from=%s to=%s", iv.id, iv.mode,
                 budget_mode_name(now_mode));
        count_in_progress(e, iv.mode, -1);
        count_in_progress(e, budget_mode_name(now_mode), +1);
        free(iv.mode);
        iv.mode = xstrdup(budget_mode_name(now_mode));
        if (store_call(e->store, interview_update, &iv) != STORE_OK)
            log_warn("mode_store_failed", "interview=%s", iv.id);
    }
    const char *mode = iv.mode; /* after any step-down: iv.mode may have been replaced */

    if (finished) { /* after any step-down, so the count leaves the mode it is in */
        e->counts.finished++;
        count_in_progress(e, iv.mode, -1);
    }
    if (finished) {
        if (pv == PRECHECK_OK && (strcmp(mode, "full") == 0 || strcmp(mode, "offline") == 0))
            start_evaluation(e, &iv, &turns, cur, role, NULL, 0, NULL, NULL);
        reply_next(e, &iv, NULL, done, data);
        maybe_report(e, iv.id);
        goto out;
    }
    char next_phase[32];
    snprintf(next_phase, sizeof next_phase, "%s", plan_phase(&iv, iv.next_index));
    int adaptive = online && is_adaptive_phase(next_phase);
    int next_diff = next_difficulty(e, &turns, iv.next_index, next_phase, cc.analysis);
    if (strcmp(mode, "full") == 0 || strcmp(mode, "offline") == 0) {
        /* One call per answered turn: it scores the answer and, where the next phase
         * adapts to the candidate, writes the next question (the candidate waits for it
         * up to turn_deadline_ms). */
        if (pv == PRECHECK_OK && adaptive && strcmp(mode, "full") == 0) {
            start_evaluation(e, &iv, &turns, cur, role, next_phase, next_diff, done, data);
            goto out;
        }
        if (pv == PRECHECK_OK) start_evaluation(e, &iv, &turns, cur, role, NULL, 0, NULL, NULL);
    } else if (strcmp(mode, "balanced") == 0 && iv.next_index == iv.total_questions / 2) {
        /* Balanced: the first half is scored in one call, which also writes the one
         * model follow-up of the interview when the next phase adapts. */
        if (start_batch(e, &iv, &turns, role, 0, adaptive ? next_phase : NULL, next_diff,
                        adaptive ? done : NULL, adaptive ? data : NULL) && adaptive)
            goto out;
    }
    continue_loaded(e, &iv, &cc, &turns, NULL, done, data);
    goto out;
reply:
    done(&r, data);
out:
    engine_reply_clear(&r);
    store_turn_list_free(&turns);
    cand_free(&cc);
    store_interview_free(&iv);
}

static void job_finish(struct job *j, json_t *parsed, int from_model)
{
    struct engine *e = j->e;
    job_unlink(j);
    if (e->closing) {
        if (j->reply_fn) {
            struct engine_reply r = {0};
            fail(&r, ENGINE_UNAVAILABLE, "The service is shutting down; please retry.");
            j->reply_fn(&r, j->reply_data);
        }
        job_free(j);
        return;
    }
    switch (j->kind) {
    case JOB_RESUME:
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, parsed && from_model ? STATS_API_CALL : STATS_FALLBACK, 1);
        if (parsed) {
            char *text = json_dumps(parsed, JSON_COMPACT);
            enum store_err se = store_call(e->store, candidate_set_analysis, j->candidate_id,
                                           text, from_model ? "model" : "heuristic");
            if (se != STORE_OK) log_warn("analysis_store_failed", "error=\"%s\"", store_strerror(se));
            free(text);
        }
        break;
    case JOB_EVALUATE:
        finish_evaluate_job(e, j, parsed, from_model);
        break;
    case JOB_BATCH:
        finish_batch_job(e, j, parsed, from_model);
        break;
    case JOB_REEVAL:
        finish_reeval(e, j, parsed, from_model);
        break;
    case JOB_QUESTION_GEN:
        stats_count(&e->stats, STATS_QUESTION, parsed && from_model ? STATS_API_CALL : STATS_FALLBACK, 1);
        finish_question_gen(e, j, from_model ? parsed : NULL);
        break;
    case JOB_SUMMARY:
        stats_count(&e->stats, STATS_SUMMARY, parsed && from_model ? STATS_API_CALL : STATS_FALLBACK, 1);
        write_report(e, j->interview_id, parsed, parsed != NULL && from_model);
        break;
    }
    job_free(j);
}

/* ---- reading ---- */

void engine_interview_state(struct engine *e, const char *candidate_id, const char *interview_id,
                            struct engine_reply *out)
{
    struct store_interview iv = {0};
    if (load_owned(e, candidate_id, interview_id, &iv, out) != ENGINE_OK) return;
    struct store_turn_list turns = {0};
    enum store_err se = store_call(e->store, turn_list, iv.id, &turns);
    if (se != STORE_OK) {
        store_failed(out, se);
        store_interview_free(&iv);
        return;
    }
    if (strcmp(iv.state, "active") == 0 && (size_t)iv.next_index >= turns.len) {
        struct cand_ctx cc;
        if (cand_load(e, iv.candidate_id, &cc) == STORE_OK) {
            ask_turn(e, &iv, &cc, &turns, iv.next_index, NULL, NULL);
            cand_free(&cc);
        }
        store_turn_list_free(&turns);
        store_call(e->store, turn_list, iv.id, &turns);
    }
    json_t *transcript = json_array();
    int answered = 0;
    json_t *current = json_null();
    for (size_t i = 0; i < turns.len; i++) {
        const struct store_turn *t = &turns.items[i];
        if (t->answer) answered++;
        json_array_append_new(transcript,
                              json_pack("{s:s,s:s,s:s,s:i,s:s?}", "question_id", t->question_id,
                                        "text", t->question_text, "category", t->category,
                                        "index", t->idx + 1, "answer", t->answer));
        if (strcmp(iv.state, "active") == 0 && t->idx == iv.next_index) {
            json_decref(current);
            current = question_json(t, iv.total_questions);
        }
    }
    ok(out, json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:o,s:o,s:b}", "interview_id", iv.id, "kind",
                      iv.kind, "mode", iv.mode, "state", iv.state, "total_questions",
                      iv.total_questions, "answered", answered, "greeting",
                      iv.greeting ? iv.greeting : "", "current_question", current, "transcript",
                      transcript, "report_ready", iv.report_json != NULL));
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}

void engine_report(struct engine *e, const char *candidate_id, const char *interview_id,
                   struct engine_reply *out)
{
    struct store_interview iv = {0};
    if (load_owned(e, candidate_id, interview_id, &iv, out) != ENGINE_OK) return;
    if (iv.report_json) {
        json_error_t je;
        json_t *rep = json_loads(iv.report_json, 0, &je);
        if (rep) {
            ok(out, rep);
            store_interview_free(&iv);
            return;
        }
    }
    struct store_turn_list turns = {0};
    int answered = 0, evaluated = 0;
    if (store_call(e->store, turn_list, iv.id, &turns) == STORE_OK) {
        for (size_t i = 0; i < turns.len; i++) {
            if (turns.items[i].answer) answered++;
            if (strcmp(turns.items[i].eval_status, "done") == 0) evaluated++;
        }
    }
    ok(out, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i}", "status", "pending", "interview_id", iv.id,
                      "state", iv.state, "answered", answered, "evaluated", evaluated, "total",
                      iv.total_questions));
    /* A finished interview whose report is overdue (its evaluations and summary should
     * long be done): whoever owned that work is gone (a crash, another instance that
     * stopped), so start it here. Sooner than that, the process doing it is still at it:
     * starting it twice would call the model twice, and with several instances the work
     * is not coordinated (single-flight across instances is not built). */
    int64_t overdue = e->cfg->eval_deadline_ms + 2 * e->cfg->llm_timeout_ms;
    int shared = store_shared(e);
    if (strcmp(iv.state, "finished") == 0 && (!shared || clock_now_ms() - iv.finished_ms > overdue))
        maybe_report(e, iv.id);
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}

void engine_candidate_me(struct engine *e, const char *candidate_id, struct engine_reply *out)
{
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, candidate_id, &c);
    if (se != STORE_OK) {
        if (se == STORE_NOT_FOUND) fail(out, ENGINE_UNAUTHORIZED, "Unknown candidate.");
        else store_failed(out, se);
        return;
    }
    struct store_interview_list l = {0};
    se = store_call(e->store, interview_list_by_candidate, candidate_id, &l);
    if (se != STORE_OK) {
        store_failed(out, se);
        store_candidate_free(&c);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < l.len; i++) {
        const struct store_interview *iv = &l.items[i];
        json_t *score = json_null();
        if (iv->report_json) {
            json_error_t je;
            json_t *rep = json_loads(iv->report_json, 0, &je);
            json_t *s = json_object_get(rep, "overall_score");
            if (s) {
                json_decref(score);
                score = json_incref(s);
            }
            json_decref(rep);
        }
        char ts[32];
        clock_format_iso(iv->created_ms, ts, sizeof ts);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o}", "interview_id",
                                             iv->id, "kind", iv->kind, "mode", iv->mode, "state",
                                             iv->state, "created_at", ts, "answered",
                                             iv->next_index, "overall_score", score));
    }
    const struct bank_role *role = bank_role_find(e->bank, c.role);
    ok(out, json_pack("{s:s,s:s,s:s,s:s,s:b,s:o}", "candidate_id", c.id, "name", c.name, "role",
                      c.role, "role_title", role ? role->title : c.role, "analysis_ready",
                      c.analysis_source && strcmp(c.analysis_source, "model") == 0, "interviews",
                      arr));
    store_interview_list_free(&l);
    store_candidate_free(&c);
}

json_t *engine_roles(struct engine *e)
{
    json_t *arr = json_array();
    for (int i = 0; i < e->bank->n_roles; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "id", e->bank->roles[i].id, "title",
                                             e->bank->roles[i].title));
    return json_pack("{s:o}", "roles", arr);
}

/* ---- life cycle ---- */

struct engine *engine_new(struct event_base *base, const struct config *cfg, struct store *store,
                          char *err, size_t errlen)
{
    struct router *router = router_new(base, store);
    router_add_from_config(router, cfg);
    return engine_new_with_router(base, cfg, store, router, err, errlen);
}

struct engine *engine_new_with_router(struct event_base *base, const struct config *cfg,
                                      struct store *store, struct router *router, char *err,
                                      size_t errlen)
{
    struct engine *e = xcalloc(1, sizeof *e);
    e->seen_cache = xcalloc(SEEN_SLOTS, sizeof *e->seen_cache);
    /* Blended list price of the models a paid tier would use (USD per million tokens),
     * for estimated_cost_saved only. */
    stats_init(&e->stats, 0.20);
    e->base = base;
    e->cfg = cfg;
    e->store = store;
    e->router = router;
    e->bank = bank_load(cfg->data_dir, err, errlen);
    if (!e->bank) goto fail;
    char path[1024];
    snprintf(path, sizeof path, "%s/rubrics.json", cfg->data_dir);
    e->rubrics = rubrics_load(path, err, errlen);
    if (!e->rubrics) goto fail;
    e->offline = provider_offline_new(base, offline_answer, e);
    gen_load_all(e);
    e->reeval_timer = timer_new(base, reeval_tick, e);
    e->retry_timer = timer_new(base, retry_tick, e);
    {
        char *iid = util_random_id(8);
        snprintf(e->instance, sizeof e->instance, "%s", iid);
        free(iid);
    }
    e->stats_timer = timer_new(base, stats_publish, e);
    if (store_shared(e)) timer_start(e->stats_timer, 0);
    timer_start(e->reeval_timer, REEVAL_PERIOD_MS);
    if (!router_online(e->router))
        log_info("offline_mode", "reason=\"no provider with an API key is configured; answers "
                                 "are scored by the heuristic rubric\"");
    log_info("engine_ready", "questions=%d roles=%d rubric=%s online=%d", e->bank->n_questions,
             e->bank->n_roles, e->rubrics->version, router_online(e->router));
    return e;
fail:
    engine_free(e);
    return NULL;
}

void engine_recover(struct engine *e)
{
    struct store_interview_list l = {0};
    if (store_call(e->store, interview_list_unreported, &l) != STORE_OK) return;
    int evals = 0;
    for (size_t i = 0; i < l.len; i++) {
        const struct store_interview *iv = &l.items[i];
        struct store_turn_list turns = {0};
        if (store_call(e->store, turn_list, iv->id, &turns) != STORE_OK) continue;
        struct store_candidate c = {0};
        const char *role = "unknown";
        if (store_call(e->store, candidate_get, iv->candidate_id, &c) == STORE_OK) role = c.role;
        int per_turn = strcmp(iv->mode, "full") == 0 || strcmp(iv->mode, "offline") == 0;
        for (size_t k = 0; k < turns.len && per_turn; k++) {
            if (turns.items[k].answer && strcmp(turns.items[k].eval_status, "pending") == 0) {
                start_evaluation(e, iv, &turns, &turns.items[k], role, NULL, 0, NULL, NULL);
                evals++;
            }
        }
        store_candidate_free(&c);
        store_turn_list_free(&turns);
        maybe_report(e, iv->id);
    }
    if (l.len) log_info("recovered", "interviews=%zu evaluations=%d", l.len, evals);
    store_interview_list_free(&l);
}

void engine_free(struct engine *e)
{
    if (!e) return;
    e->closing = 1;
    router_free(e->router); /* cancels jobs: they finish without writing */
    provider_destroy(e->offline);
    rubrics_free(e->rubrics);
    bank_free(e->bank);
    for (int i = 0; e->seen_cache && i < SEEN_SLOTS; i++) bank_seen_free(&e->seen_cache[i].seen);
    free(e->seen_cache);
    timer_free(e->reeval_timer);
    timer_free(e->retry_timer);
    timer_free(e->stats_timer);
    free(e->retry);
    free(e->reeval);
    free(e);
}
