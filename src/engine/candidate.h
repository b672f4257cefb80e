/* candidate: registration, sign-in, resumes and their analysis (engine-internal).
 *
 * The public entries (engine_register, engine_authenticate, engine_update_resume,
 * engine_candidate_me) are declared in engine.h; this header holds what the other
 * engine files use: a candidate loaded with its parsed analysis, and the analysis
 * started again after a save failed. */
#ifndef ENGINE_CANDIDATE_H
#define ENGINE_CANDIDATE_H

#include "store/store.h"

#include <jansson.h>

struct engine;
struct bank_role;

/* A candidate as the interview flow needs it. */
struct cand_ctx {
    struct store_candidate c;     /* the row */
    json_t *analysis;             /* parsed analysis_json, or an empty object */
    const struct bank_role *role; /* the role in the bank, NULL if unknown */
};

/* Fills cc (free with cand_free, also on failure). */
enum store_err cand_load(struct engine *e, const char *id, struct cand_ctx *cc);
void cand_free(struct cand_ctx *cc);
/* Asks a model for the candidate's resume analysis (through call.c: cached per
 * candidate, so a retry after a failed save makes no second provider call). */
void cand_start_analysis(struct engine *e, const struct store_candidate *c);
/* At an interview's start (issue 14): the model's analysis of the candidate's current
 * resume unless they have one (reused: no call); with_model 0 (the interview runs
 * offline) asks for nothing. */
void cand_analyse_for_interview(struct engine *e, const struct cand_ctx *cc, int with_model);

#endif
