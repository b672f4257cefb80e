/* question: an interview's plan and the next question to ask (engine-internal).
 *
 * A plan is the list of phases by question index (introduction, resume, technical,
 * behavioral, wrap_up), weighted by the interview's kind. The next question comes from
 * the bank (never one the candidate has heard in any interview), or is a model-written
 * follow-up that is not a near-duplicate of one they have heard. */
#ifndef ENGINE_QUESTION_H
#define ENGINE_QUESTION_H

#include "store/store.h"

#include <jansson.h>

struct engine;
struct cand_ctx;
struct seen_slot;

#define QUESTION_MAX_PLAN 40 /* questions an interview may have */
#define QUESTION_PHASE_MAX 32
/* Topics asked in a candidate's last this-many interviews wait until every other topic
 * that fits has had its turn. */
#define QUESTION_TOPIC_ROTATION 3
/* A question comes back for review at the earliest this long after it was last asked. */
#define QUESTION_REVIEW_MIN_GAP_MS (3LL * 86400000)
/* How old the scores a review is chosen by may be before they are read again. */
#define QUESTION_REVIEW_RELOAD_MS (6LL * 3600000)
/* The most skills read from one job description. */
#define QUESTION_JOB_SKILLS_MAX 16

/* Fills phases with n entries for an interview of kind; returns how many. */
int question_plan_build(const char *kind, int n, const char *phases[QUESTION_MAX_PLAN]);
/* The phase of question idx in iv's plan, copied into buf ("technical" if unknown). */
void question_plan_phase(const struct store_interview *iv, int idx, char buf[QUESTION_PHASE_MAX]);
/* 1 for the phases whose questions adapt to the last answer (resume, technical). */
int question_phase_adaptive(const char *phase);
/* The difficulty (1..3) question idx of phase should have, from the answers so far. */
int question_next_difficulty(struct engine *e, const struct store_turn_list *turns, int idx,
                             const char *phase, const json_t *analysis);
/* The key points of the turn's bank question (borrowed), or NULL: model-written
 * questions have none, and the heuristic then uses the keywords. */
const json_t *question_key_points(struct engine *e, const struct store_turn *t);
/* {"id","text","category","index","total"} for the API. New reference. */
json_t *question_json(const struct store_turn *t, int total);
/* Builds turn idx from the bank (or the given follow-up text) and inserts it; out (if
 * not NULL) gets a copy. No topic is asked twice in one interview, and topics of the
 * last QUESTION_TOPIC_ROTATION interviews wait their turn; when every fitting question
 * has been heard, the one most due for review comes back, saying when it was last met.
 * STORE_NOT_FOUND: nothing may be asked (every question heard in the last three days). */
enum store_err question_ask(struct engine *e, const struct store_interview *iv, struct cand_ctx *cc,
                            const struct store_turn_list *turns, int idx, const char *follow_up,
                            struct store_turn *out);

/* The skills (canonical names, data/terms.json) a job description names, in order of
 * first mention: what steers the questions and what the report checks. New reference;
 * an empty array for NULL or "". */
json_t *question_job_skills(struct engine *e, const char *job_description);

/* The per-candidate cache of questions heard (SEEN slots), owned by the engine. */
struct seen_slot *question_seen_cache_new(void);
void question_seen_cache_free(struct seen_slot *cache);
/* Drops what the cache holds of one candidate (erasure). */
void question_forget_candidate(struct engine *e, const char *candidate_id);

#endif
