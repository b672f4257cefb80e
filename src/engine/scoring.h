/* scoring: the model calls of an interview (engine-internal).
 *
 * Per mode: full scores each answer with its own call (which, where the next phase
 * adapts, also writes the next question); balanced scores the first half in one call
 * and the rest with the summary; economy scores everything with the summary in one
 * call; offline asks the heuristic. Every call goes through call.c with a completion
 * callback per kind of work; results are written to the store, and when the last
 * answer is scored the report is built (report.c). */
#ifndef ENGINE_SCORING_H
#define ENGINE_SCORING_H

#include "engine/engine.h"
#include "store/store.h"

#include <jansson.h>

/* The reply caps (max_tokens) of the calls below, which the router reserves in full until
 * a call settles: a batch of n answers, with the summary and/or the next question; one
 * evaluation, with or without the next question. The planner (sim/plan.c) counts them. */
int scoring_batch_max_tokens(int n, int with_summary, int with_next);
int scoring_eval_max_tokens(int with_next);

/* How the interview flow continues once a model-written question is in (or its
 * deadline passed): asks turn next_index with model_question (NULL: from the bank) and
 * replies through done. Given by the interview flow, so scoring never calls up. */
typedef void (*scoring_next_fn)(struct engine *e, const char *interview_id,
                                const char *model_question, engine_reply_fn done, void *data);

/* A candidate waiting for the next question; next NULL: nobody waits. */
struct scoring_wait {
    scoring_next_fn next;
    engine_reply_fn done;
    void *data;
};

/* One turn, one call. With next_phase, the call also writes the next question and the
 * waiting candidate gets it, or a bank question after turn_deadline_ms. If the work is
 * in flight already or claimed elsewhere, a waiter is answered with a bank question. */
void scoring_start_evaluation(struct engine *e, const struct store_interview *iv,
                              const struct store_turn_list *turns, const struct store_turn *t,
                              const char *role, const char *next_phase, int next_difficulty,
                              const struct scoring_wait *wait);
/* The pending answers in one call, optionally with the summary and a next question.
 * Returns 1 if a call now owns the reply to wait (or, with nobody waiting, the work is
 * in flight), 0 if there was nothing to score or it is not ours: the caller goes on. */
int scoring_start_batch(struct engine *e, const struct store_interview *iv,
                        const struct store_turn_list *turns, const char *role, int with_summary,
                        const char *next_phase, int next_difficulty,
                        const struct scoring_wait *wait);
/* Answers the heuristic scored for want of a model, re-scored by one call; the report
 * is rebuilt with its summary as it was. Returns 1 if a call started. */
int scoring_start_rescore(struct engine *e, const struct store_interview *iv,
                          const struct store_turn_list *turns, const char *role);
/* Called whenever something may have completed an interview's scoring: starts what is
 * missing (evaluations, the final batch, the summary), or nothing. */
void scoring_maybe_report(struct engine *e, const char *interview_id);
/* Per-turn modes (full, offline): starts the evaluations of answers still pending
 * (after a restart, or a store failure). Returns how many. */
int scoring_resume_pending(struct engine *e, const struct store_interview *iv);
/* The turn's expected keywords as an array (new reference, empty if none). */
json_t *scoring_turn_keywords(const struct store_turn *t);

#endif
