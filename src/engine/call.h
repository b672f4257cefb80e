/* call: the engine's one way to reach a model, and the one place that decides reuse.
 *
 * A call is one logical LLM request of the engine (a resume analysis, an evaluation, a
 * batch, a summary, a set of generated questions). call_start() takes it through, in
 * this order:
 *
 *   1. single-flight in this process: a call whose work key ("evaluate:<iv>:<idx>") is
 *      already in flight is not made again (CALL_BUSY); the table is optimize/flight.c;
 *   2. the cross-instance claim (spec.claim, on a store with STORE_CAP_SHARED): work
 *      another instance claimed is left to it (CALL_CLAIMED_ELSEWHERE);
 *   3. the exact cache (spec.scope): a key from cache_key_for_task() over the full
 *      prompt and task input, scoped to a candidate, an interview or "global";
 *   4. the offline provider (spec.offline, or no deployment online), else the router,
 *      which holds the quota; invalid output is retried once, then the call fails.
 *
 * Every call that was started ends in exactly one done(call, parsed, from_model, data),
 * on the loop, never inside call_start() unless the cache answered synchronously. A
 * duplicate does not wait for the leader's bytes: interview work writes its result to
 * the store, which is where the duplicate's caller finds it (like Varnish's waiting
 * list, but the list is the store). What may be cached (DESIGN's reuse table):
 *
 *   resume_analysis   scope = the candidate id (never another candidate's analysis)
 *   question_gen      scope = "global", content names role, category, skill,
 *                     difficulty and variant
 *   follow_up         never (an evaluation that also writes the next question counts)
 *   evaluate          scope = "global": question, answer, rubric version and model tier
 *                     are all in the key's content, hashed whole, never near-duplicate
 *   evaluate_batch,   scope = the interview id
 *   summary
 *
 * Answers of the offline provider (the heuristic) are never cached: they cost nothing
 * and a model's answer must not be shadowed by one. */
#ifndef ENGINE_CALL_H
#define ENGINE_CALL_H

#include "llm/task.h"
#include "optimize/stats.h"

#include <jansson.h>

struct config;
struct router;
struct provider;
struct cache;
struct store;
struct flight_group;

/* The model tier in cache keys: the fleet has one tier today. */
#define CALL_MODEL_TIER "fleet"
/* Longest work key (callers build "<kind>:<id>:<n>"). */
#define CALL_WORK_MAX 160

/* What calls run against; the owner (the engine) fills it and keeps it alive. */
struct call_ctx {
    void *owner;                  /* the engine, for done callbacks (call_owner) */
    const struct config *cfg;     /* llm_timeout_ms, eval_deadline_ms */
    struct router *router;        /* the fleet: quota, retries, the wait queue */
    struct provider *offline;     /* the heuristic behind the provider interface */
    struct cache *cache;          /* exact results; NULL: nothing is cached */
    struct store *store;          /* cross-instance claims and the call log */
    struct stats *stats;          /* provider calls and tokens received */
    struct flight_group *flights; /* work keys in flight in this process */
    struct call *calls;           /* started and not done, for call_ctx_close */
    int n_calls;                  /* of them */
    int claim_bypass;             /* retrying work that failed here: its claims are ours */
    int closing;                  /* shutting down: calls end as cancelled */
};

/* Where a finished call's answer came from. */
enum call_source {
    CALL_FROM_MODEL,   /* a provider answered now */
    CALL_FROM_CACHE,   /* an earlier model answer with the same key */
    CALL_FROM_OFFLINE, /* the heuristic (offline mode, or no deployment online) */
    CALL_FAILED,       /* no usable answer: the caller falls back */
    CALL_CANCELLED,    /* shut down: the caller must not write anything */
};

struct call;
/* parsed: the validated answer (borrowed for the callback), NULL if the call failed or
 * was cancelled. from_model: parsed came from a model (now or cached). */
typedef void (*call_done_fn)(struct call *c, json_t *parsed, int from_model, void *data);

struct call_spec {
    enum task_kind task;
    const char *work;           /* work key, unique per piece of work, < CALL_WORK_MAX */
    json_t *messages;           /* the prompt (stolen, also when not started) */
    json_t *task_input;         /* the offline provider's input (stolen), may be NULL */
    int max_tokens;             /* 0: 600 */
    int offline;                /* the heuristic answers (offline mode) */
    int interactive;            /* a candidate waits: goes first, shorter deadline */
    int optional;               /* no running interview needs it: never takes the day's
                                 * reserve (router.h, ROUTER_OPTIONAL) */
    int claim;                  /* claim the work across instances first */
    const char *scope;          /* cache scope (see above); NULL: never cached */
    const char *rubric_version; /* in the cache key; NULL: "none" */
    const char *owner;          /* the candidate whose resume or answers are in the prompt:
                                 * a cached result is recorded under them so that erasing
                                 * them removes it (NULL: nobody's, e.g. question_gen) */
};

enum call_start {
    CALL_STARTED = 0,       /* done will be called exactly once */
    CALL_BUSY,              /* the same work is in flight here: done is not called */
    CALL_CLAIMED_ELSEWHERE, /* another instance holds the work: done is not called */
};

enum call_start call_start(struct call_ctx *ctx, const struct call_spec *spec, call_done_fn done,
                           void *data);
/* 1 if work is in flight in this process. */
int call_in_flight(const struct call_ctx *ctx, const char *work);

/* About a call, inside its done callback. */
enum call_source call_source(const struct call *c);
/* The stats outcome of a finished call: API_CALL, CACHE or FALLBACK. */
enum stats_outcome call_stats_outcome(const struct call *c);
/* spec.task_input, borrowed (NULL if none was given). */
const json_t *call_task_input(const struct call *c);
const char *call_work(const struct call *c);
/* ctx->owner of the call's context. */
void *call_owner(const struct call *c);

/* "cacheown:<candidate>:", the kv prefix under which the cache keys of a candidate's
 * results are recorded (the rest of each such kv key is the cache key). */
void call_owner_prefix(const char *candidate_id, char *out, size_t n);
/* Deletes one cache entry (every layer). 0, or -1 when the cache could not (Redis down). */
int call_cache_forget(struct call_ctx *ctx, const char *cache_key);

/* Calls started and not done. */
int call_ctx_inflight(const struct call_ctx *ctx);
/* Marks the context closing: calls still out end as CALL_CANCELLED when their provider
 * is destroyed (router_free, provider_destroy), which the owner does next. */
void call_ctx_close(struct call_ctx *ctx);

#endif
