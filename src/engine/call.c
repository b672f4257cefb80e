/* call: model calls of the engine through reuse, quota and the router (see call.h).
 *
 * The one idea: a call is decided in one place, in a fixed order (in flight here?
 * claimed elsewhere? cached? then offline or the router), and ends in one callback the
 * caller gave, so the engine never switches on what kind of call came back and never
 * reaches a provider any other way. */
#include "engine/call.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "llm/router.h"
#include "optimize/cache.h"
#include "optimize/flight.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_DEFAULT_MAX_TOKENS 600
#define CALL_MAX_ATTEMPTS 2 /* one retry on output that fails the task's schema */

struct call {
    struct call_ctx *ctx;
    enum task_kind task;
    char work[CALL_WORK_MAX]; /* the flight key */
    char *cache_key;          /* NULL: not cached */
    char owner[33];           /* candidate whose text is in the prompt, "" for none */
    json_t *messages;         /* the prompt */
    json_t *task_input;       /* for the offline provider, may be NULL */
    int max_tokens;
    int offline;     /* the heuristic answers */
    int interactive; /* a candidate waits */
    int optional;    /* kept out of the day's reserve for running interviews */
    int attempts;    /* submits so far */
    enum call_source source;
    call_done_fn done;
    void *data;
    struct call *next, *prev; /* ctx->calls */
};

static void call_submit(struct call *c);

/* ---- the work key: in flight here, claimed elsewhere ---- */

static void flight_noop(const char *result, size_t len, void *data)
{
    (void)result, (void)len, (void)data;
}

int call_in_flight(const struct call_ctx *ctx, const char *work)
{
    return flight_waiting(ctx->flights, work) > 0;
}

/* 1 if this process may do the work. With a store shared by several instances the
 * claim is a row all of them see, so an answer is evaluated and a report summarised
 * once however requests are spread; a claim older than the longest the work can take
 * is stale and may be taken over (its process is gone). A store of one process needs
 * no claim: the flight table is enough. */
static int claim(struct call_ctx *ctx, const char *work)
{
    if (ctx->claim_bypass || !store_has(ctx->store, STORE_CAP_SHARED)) return 1;
    char k[CALL_WORK_MAX + 8];
    snprintf(k, sizeof k, "claim:%s", work);
    int64_t stale = ctx->cfg->eval_deadline_ms + 2 * ctx->cfg->llm_timeout_ms;
    enum store_err se = store_call(ctx->store, kv_claim, k, clock_now_ms(), stale);
    if (se == STORE_CONFLICT) {
        log_info("work_claimed_elsewhere", "work=%s", work);
        return 0;
    }
    return 1; /* claimed, or the store failed: better twice than never */
}

/* ---- who a cached result belongs to ---- */

void call_owner_prefix(const char *candidate_id, char *out, size_t n)
{
    snprintf(out, n, "cacheown:%s:", candidate_id);
}

/* Before a result naming a candidate's text is cached (or reused for them): a kv row
 * "cacheown:<candidate>:<cache key>" lets erasure find the entry, since a key is a hash
 * of content and cannot be listed by candidate. A candidate erased while the call was
 * out is not recorded again and the result is not cached (returns 0). The check and the
 * record are synchronous, so an erasure in this process cannot fall between them. */
static int record_owner(struct call *c)
{
    if (!c->owner[0]) return 1;
    struct store *st = c->ctx->store;
    struct store_candidate cand = {0};
    enum store_err se = store_call(st, candidate_get, c->owner, &cand);
    store_candidate_free(&cand);
    if (se == STORE_NOT_FOUND) return 0;
    char k[CACHE_KEY_MAX + 64];
    call_owner_prefix(c->owner, k, sizeof k);
    snprintf(k + strlen(k), sizeof k - strlen(k), "%s", c->cache_key);
    if (se == STORE_OK) se = store_call(st, kv_put, k, "1");
    if (se != STORE_OK) {
        /* unrecorded, an entry could outlive an erasure: better not cached */
        log_warn("call_owner_record_failed", "task=%s error=\"%s\"", task_name(c->task),
                 store_strerror(se));
        return 0;
    }
    return 1;
}

int call_cache_forget(struct call_ctx *ctx, const char *cache_key)
{
    if (!ctx->cache) return 0;
    enum cache_err ce = cache_del(ctx->cache, cache_key);
    if (ce != CACHE_OK) log_warn("call_cache_forget_failed", "error=\"%s\"", cache_strerror(ce));
    return ce == CACHE_OK ? 0 : -1;
}

/* ---- the end of a call ---- */

static void call_unlink(struct call *c)
{
    struct call_ctx *ctx = c->ctx;
    if (c->prev)
        c->prev->next = c->next;
    else
        ctx->calls = c->next;
    if (c->next) c->next->prev = c->prev;
    ctx->n_calls--;
    CHECK(ctx->n_calls >= 0);
}

/* Leaves the flight table first, so whatever done starts (the next piece of the same
 * interview, a retry of this work) sees this call gone. */
static void call_finish(struct call *c, json_t *parsed, enum call_source source)
{
    c->source = source;
    call_unlink(c);
    flight_finish(c->ctx->flights, c->work, NULL, 0);
    int from_model = parsed && (source == CALL_FROM_MODEL || source == CALL_FROM_CACHE);
    c->done(c, parsed, from_model, c->data);
    free(c->cache_key);
    json_decref(c->messages);
    json_decref(c->task_input);
    free(c);
}

static void log_call(struct call *c, const struct llm_result *r, const char *outcome)
{
    if (c->offline) return;
    struct store_call row = {
        .ts_ms = clock_now_ms(),
        .task = task_name(c->task),
        .provider = r->provider ? r->provider : "none",
        .model = r->model ? r->model : "none",
        .outcome = outcome,
        .http_status = r->http_status,
        .latency_ms = r->latency_ms,
        .prompt_tokens = r->prompt_tokens,
        .completion_tokens = r->completion_tokens,
    };
    enum store_err se = store_call(c->ctx->store, call_log_insert, &row);
    if (se != STORE_OK) log_warn("call_log_failed", "error=\"%s\"", store_strerror(se));
    log_info("llm_call", "task=%s provider=%s outcome=%s status=%d latency_ms=%lld tokens=%d",
             row.task, row.provider, outcome, row.http_status, (long long)row.latency_ms,
             row.prompt_tokens + row.completion_tokens);
}

static void on_result(struct llm_result *r, void *data)
{
    struct call *c = data;
    struct call_ctx *ctx = c->ctx;
    /* what the provider received: answered, or sent and timed out */
    if (!c->offline && (r->http_status > 0 || r->status == LLM_ERR_TIMEOUT))
        stats_provider_call(ctx->stats, (uint64_t)(r->prompt_tokens + r->completion_tokens));
    if (r->status == LLM_ERR_CANCELLED || ctx->closing) {
        call_finish(c, NULL, CALL_CANCELLED);
        return;
    }
    if (r->status != LLM_OK) {
        log_call(c, r, llm_strerror(r->status));
        log_warn("llm_call_failed", "task=%s provider=%s error=\"%s\"", task_name(c->task),
                 r->provider ? r->provider : "none", r->error ? r->error : llm_strerror(r->status));
        call_finish(c, NULL, CALL_FAILED);
        return;
    }
    char why[200];
    json_t *parsed = task_parse(c->task, r->content, why, sizeof why);
    if (!parsed) {
        log_call(c, r, "invalid_output");
        log_warn("llm_invalid_output", "task=%s provider=%s why=\"%s\" attempt=%d",
                 task_name(c->task), r->provider ? r->provider : "none", why, c->attempts);
        if (c->attempts < CALL_MAX_ATTEMPTS && !c->offline)
            call_submit(c);
        else
            call_finish(c, NULL, CALL_FAILED);
        return;
    }
    log_call(c, r, "ok");
    if (c->cache_key && !c->offline && r->content && record_owner(c)) {
        enum cache_err ce = cache_set(ctx->cache, c->cache_key, r->content, strlen(r->content),
                                      cache_ttl_for_task(task_name(c->task)));
        if (ce != CACHE_OK)
            log_debug("call_cache_set_failed", "task=%s error=\"%s\"", task_name(c->task),
                      cache_strerror(ce));
    }
    call_finish(c, parsed, c->offline ? CALL_FROM_OFFLINE : CALL_FROM_MODEL);
    json_decref(parsed);
}

/* ---- sending ---- */

static void call_submit(struct call *c)
{
    struct call_ctx *ctx = c->ctx;
    c->attempts++;
    struct llm_request req = {
        .task = task_name(c->task),
        .messages = c->messages,
        .task_input = c->task_input,
        .max_tokens = c->max_tokens,
        .temperature = 0,
        .json_mode = 1,
        .timeout_ms = (int)ctx->cfg->llm_timeout_ms,
    };
    if (c->offline) {
        if (provider_submit(ctx->offline, &req, on_result, c) != 0) abort();
        return;
    }
    /* A candidate waiting for the next question goes first; background work may wait
     * for capacity up to eval_deadline_ms, then the heuristic scores it. */
    int64_t wait = c->interactive ? ctx->cfg->llm_timeout_ms : ctx->cfg->eval_deadline_ms;
    enum router_priority prio = c->interactive ? ROUTER_INTERACTIVE
                                : c->optional  ? ROUTER_OPTIONAL
                                               : ROUTER_BACKGROUND;
    router_submit(ctx->router, &req, prio, clock_mono_ms() + wait, on_result, c);
}

static void on_cache(const char *value, size_t len, void *data)
{
    struct call *c = data;
    (void)len;
    if (value && !c->ctx->closing) {
        char why[200];
        json_t *parsed = task_parse(c->task, value, why, sizeof why);
        if (parsed) {
            record_owner(c); /* the same content is this candidate's too now */
            log_debug("call_cache_hit", "task=%s work=%s", task_name(c->task), c->work);
            call_finish(c, parsed, CALL_FROM_CACHE);
            json_decref(parsed);
            return;
        }
        /* a value this binary cannot read (an older schema): ask again */
        cache_del(c->ctx->cache, c->cache_key);
    }
    if (c->ctx->closing) {
        call_finish(c, NULL, CALL_CANCELLED);
        return;
    }
    call_submit(c);
}

/* The key over the whole prompt and task input (canonical JSON, keys sorted), so two
 * calls share a result only if everything the model saw was the same. */
static char *cache_key_of(const struct call *c, const struct call_spec *spec)
{
    char *m = json_dumps(c->messages, JSON_COMPACT | JSON_SORT_KEYS);
    char *in = c->task_input ? json_dumps(c->task_input, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    struct sbuf content = {0};
    sbuf_printf(&content, "%s\n%s", m ? m : "", in ? in : "");
    char prompt_v[16];
    snprintf(prompt_v, sizeof prompt_v, "v%d", TASK_PROMPT_VERSION);
    char *key = cache_key_for_task(task_name(c->task), prompt_v,
                                   spec->rubric_version ? spec->rubric_version : "none",
                                   CALL_MODEL_TIER, spec->scope, content.data ? content.data : "");
    if (!key) log_warn("call_cache_key_refused", "task=%s", task_name(c->task));
    sbuf_free(&content);
    free(m);
    free(in);
    return key;
}

enum call_start call_start(struct call_ctx *ctx, const struct call_spec *spec, call_done_fn done,
                           void *data)
{
    CHECK(ctx != NULL && spec != NULL && done != NULL);
    CHECK(spec->work != NULL && strlen(spec->work) < CALL_WORK_MAX);
    CHECK(spec->messages != NULL && spec->task < TASK__COUNT);
    CHECK(!ctx->closing);
    if (call_in_flight(ctx, spec->work) || !claim(ctx, spec->work)) {
        int busy = call_in_flight(ctx, spec->work);
        json_decref(spec->messages);
        json_decref(spec->task_input);
        return busy ? CALL_BUSY : CALL_CLAIMED_ELSEWHERE;
    }
    struct call *c = xcalloc(1, sizeof *c);
    c->ctx = ctx;
    c->task = spec->task;
    snprintf(c->work, sizeof c->work, "%s", spec->work);
    c->messages = spec->messages;
    c->task_input = spec->task_input;
    c->max_tokens = spec->max_tokens > 0 ? spec->max_tokens : CALL_DEFAULT_MAX_TOKENS;
    c->offline = spec->offline || !router_online(ctx->router);
    c->interactive = spec->interactive;
    if (spec->owner) snprintf(c->owner, sizeof c->owner, "%s", spec->owner);
    c->optional = spec->optional;
    c->done = done;
    c->data = data;
    c->next = ctx->calls;
    if (ctx->calls) ctx->calls->prev = c;
    ctx->calls = c;
    ctx->n_calls++;
    enum flight_role role = flight_join(ctx->flights, c->work, flight_noop, NULL);
    CHECK(role == FLIGHT_LEADER);
    if (!c->offline && spec->scope && ctx->cache) c->cache_key = cache_key_of(c, spec);
    if (c->cache_key)
        cache_get(ctx->cache, c->cache_key, on_cache, c); /* may finish c now */
    else
        call_submit(c);
    return CALL_STARTED;
}

enum call_source call_source(const struct call *c)
{
    return c->source;
}

enum stats_outcome call_stats_outcome(const struct call *c)
{
    switch (c->source) {
    case CALL_FROM_MODEL:
        return STATS_API_CALL;
    case CALL_FROM_CACHE:
        return STATS_CACHE;
    default:
        return STATS_FALLBACK;
    }
}

const json_t *call_task_input(const struct call *c)
{
    return c->task_input;
}

const char *call_work(const struct call *c)
{
    return c->work;
}

void *call_owner(const struct call *c)
{
    return c->ctx->owner;
}

int call_ctx_inflight(const struct call_ctx *ctx)
{
    return ctx->n_calls;
}

void call_ctx_close(struct call_ctx *ctx)
{
    ctx->closing = 1;
}
