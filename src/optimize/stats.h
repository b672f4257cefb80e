/* stats: where each logical LLM request went.
 *
 * The naive design makes one provider call per logical request: per interview one
 * resume analysis, one evaluation per answer, one generated question per turn and one
 * summary (about 26). Every logical request interviewd sees is counted once, under the
 * way it was served: a real provider call, or a saving (cache, bank/template, pre-check,
 * merged into another call, batched, coalesced, near-duplicate). optimization_rate is
 * then 1 - api_calls / total_requests, measured, not assumed. api_calls counts what
 * providers actually received (every attempt, retries included). */
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
/* The raw counters as JSON, and back, and a sum: how instances sharing a store add up
 * their live stats. stats_from_counters returns 0, or -1 for a malformed document. */
json_t *stats_counters(const struct stats *s);
int stats_add_counters(struct stats *sum, const json_t *counters);
/* The /api/optimization_stats document (new reference). */
json_t *stats_json(const struct stats *s);
/* Appends Prometheus text lines. */
struct sbuf;
void stats_prometheus(const struct stats *s, struct sbuf *out);

#endif
