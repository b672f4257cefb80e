/* sweep: work redone later (engine-internal).
 *
 * Two sweepers on timers: retry redoes scoring and reports whose result could not be
 * saved (the store was down), and the candidates' analyses likewise; reeval gives
 * spare quota to re-scoring answers the heuristic scored because no model had quota. */
#ifndef ENGINE_SWEEP_H
#define ENGINE_SWEEP_H

struct engine;

void sweep_start(struct engine *e);
void sweep_stop(struct engine *e);
/* Retries the interview every SWEEP_RETRY_MS until it has its report. */
void sweep_retry_add(struct engine *e, const char *interview_id);
/* Asks for the candidate's analysis again (a cache hit: the model already answered). */
void sweep_resume_add(struct engine *e, const char *candidate_id);
/* Remembers an interview with answers a model should re-score when quota is spare. */
void sweep_reeval_add(struct engine *e, const char *interview_id);

#endif
