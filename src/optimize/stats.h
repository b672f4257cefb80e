/* stats: where each logical LLM request went.
 *
 * The naive design makes one provider call per logical request: per interview one
 * resume analysis, one evaluation per answer, one generated question per turn and one
 * summary (about 26). Every logical request interviewd sees is counted once, under the
 * way it was served: by its own provider call, by reuse (a saving: cache, bank/template,
 * merged into another call, batched, coalesced, near-duplicate), by rule (a pre-check of
 * a non-answer) or by fallback (the heuristic, because no provider could answer: a loss of
 * quality, never a saving). So total_requests = served_by_provider + api_calls_saved +
 * prechecked + fallbacks, and optimization_rate = api_calls_saved / total_requests,
 * measured, not assumed: a server that never reaches a model saves only what it reused.
 * api_calls counts what providers actually received (every attempt, retries included).
 *
 * These counters are what this process saw since it started; engine/shared.c adds them
 * to the store's counters (summed over every process) so the figures survive restarts. */
#ifndef OPTIMIZE_STATS_H
#define OPTIMIZE_STATS_H

#include <jansson.h>
#include <stdint.h>

enum stats_task {
    STATS_RESUME_ANALYSIS,
    STATS_QUESTION, /* a question to ask: generated, follow-up or from the bank */
    STATS_EVALUATE,
    STATS_SUMMARY,
    STATS_GATEWAY, /* /v1 chat completions */
    STATS_TASK__COUNT
};

enum stats_outcome {
    STATS_API_CALL,  /* a logical request answered by its own provider call */
    STATS_CACHE,     /* exact cache hit (resume analysis reused, cached generation) */
    STATS_POOL,      /* bank question or template instead of a generated one */
    STATS_PRECHECK,  /* empty / "I don't know" / gibberish scored without a model */
    STATS_MERGED,    /* answered inside another task's call (next question, summary) */
    STATS_BATCHED,   /* one of N evaluations sharing one call (N-1 of them are savings) */
    STATS_COALESCED, /* identical concurrent request shared one call (single-flight) */
    STATS_NEAR_DUP,  /* near-duplicate of the same candidate's earlier input */
    STATS_FALLBACK,  /* no provider could answer in time: heuristic or bank instead */
    STATS_OUTCOME__COUNT
};

struct stats {
    uint64_t counts[STATS_TASK__COUNT][STATS_OUTCOME__COUNT];
    uint64_t provider_calls;  /* requests sent to providers, retries included */
    uint64_t provider_tokens; /* prompt + completion tokens they reported */
    double price_per_mtok;    /* blended list price used for estimated_cost_saved */
};

void stats_init(struct stats *s, double price_per_mtok);
void stats_count(struct stats *s, enum stats_task task, enum stats_outcome outcome, uint64_t n);
void stats_provider_call(struct stats *s, uint64_t tokens);
const char *stats_task_name(enum stats_task t);
const char *stats_outcome_name(enum stats_outcome o);
/* 1 if an outcome is a saving (reuse), 0 for a provider call, a pre-check or a fallback. */
int stats_outcome_is_saving(enum stats_outcome o);
/* The raw counters as JSON, and back, and a sum: how instances sharing a store add up
 * their live stats. stats_from_counters returns 0, or -1 for a malformed document. */
json_t *stats_counters(const struct stats *s);
int stats_add_counters(struct stats *sum, const json_t *counters);
/* The counters as the store keeps them (engine/shared.c): "llm.<task>.<outcome>",
 * "provider_calls" and "provider_tokens". fn gets each counter whose value differs
 * between a and b, with a - b (b NULL: every counter of a, zeros included). */
typedef void (*stats_counter_fn)(const char *name, int64_t value, void *data);
void stats_each_counter(const struct stats *a, const struct stats *b, stats_counter_fn fn,
                        void *data);
/* Adds value to the counter called name: 0, or -1 when no counter has that name. */
int stats_add_named(struct stats *s, const char *name, int64_t value);
/* The /api/optimization_stats document (new reference). */
json_t *stats_json(const struct stats *s);
/* Appends Prometheus text lines. */
struct sbuf;
void stats_prometheus(const struct stats *s, struct sbuf *out);

#endif
