/* engine: candidates, interviews as state machines, scoring and reports.
 *
 * An interview is a fixed plan of phases (introduction, resume, technical, behavioral,
 * wrap_up; the greeting comes with the first question) chosen by kind. Each turn is a
 * row in the store: created when the question is asked, answered in one transaction
 * that also moves the interview forward, scored later. Scoring never blocks the
 * candidate: the precheck scores empty/"I don't know"/gibberish answers at once, model
 * evaluations run in the background, and the report is built when the last answer is
 * scored. Everything the engine needs to continue after a crash is in the store; the
 * in-memory state is only the list of calls in flight.
 *
 * Callers (the API) pass an authenticated candidate id; the engine answers
 * ENGINE_NOT_FOUND for an interview that is not that candidate's, exactly as for an
 * unknown id. The engine reaches models only through engine/call.h (reuse, quota, the
 * router); engine/internal.h maps its files. */
#ifndef ENGINE_ENGINE_H
#define ENGINE_ENGINE_H

#include "core/config.h"
#include "engine/bank.h"
#include "engine/rubric.h"
#include "store/store.h"

#include <jansson.h>

enum engine_err {
    ENGINE_OK = 0,
    ENGINE_NOT_FOUND,      /* 404 not_found */
    ENGINE_MISSING,        /* 400 missing_field: a required field absent or not a string */
    ENGINE_INVALID,        /* 422 invalid_value */
    ENGINE_WRONG_QUESTION, /* 409 wrong_question */
    ENGINE_FINISHED,       /* 409 interview_finished */
    ENGINE_LIMIT,          /* 429 too_many_interviews */
    ENGINE_UNAVAILABLE,    /* 503 unavailable: the store failed */
    ENGINE_UNAUTHORIZED,   /* 401 unauthorized */
    ENGINE_BUSY,           /* 503 store_busy: another process holds the database's lock */
    ENGINE_EMAIL_TAKEN,    /* 409 email_taken: that email already has a profile */
    ENGINE_ABANDONED,      /* 409 interview_abandoned: left before its end, no report */
    ENGINE_TOO_LARGE,      /* 413 too_large: a field over its configured limit */
};

/* Outcome of an engine call for the API: status, stable code, sentence, body. */
struct engine_reply {
    enum engine_err err;
    char message[256]; /* for errors: a sentence a person can act on */
    json_t *body;      /* for success: the JSON answer (owned by the reply) */
    const char *code;  /* for errors: a stable code more precise than err's own, or NULL */
};
void engine_reply_clear(struct engine_reply *r);

struct engine;
struct event_base;

struct engine *engine_new(struct event_base *base, const struct config *cfg, struct store *store,
                          char *err, size_t errlen);
/* The same over a router the caller built (the simulator's, with simulated providers);
 * the engine owns it from here on, also on failure. */
struct router;
struct engine *engine_new_with_router(struct event_base *base, const struct config *cfg,
                                      struct store *store, struct router *router, char *err,
                                      size_t errlen);
void engine_free(struct engine *e);
/* Restarts what a previous process left unfinished: pending evaluations and reports. */
void engine_recover(struct engine *e);

/* Roles for the registration form. */
json_t *engine_roles(struct engine *e);

/* POST /api/candidates. body holds name, email, role, resume_text. */
void engine_register(struct engine *e, const json_t *body, struct engine_reply *out);
/* Resolves "candidate_id.secret" to the candidate id (copied into id_out[33]). */
enum engine_err engine_authenticate(struct engine *e, const char *token, char id_out[33]);
/* PUT /api/candidates/me/resume: a new version of the candidate's own resume. A
 * near-duplicate of the previous one (MinHash Jaccard >= MINHASH_RESUME_MIN_JACCARD)
 * keeps that candidate's analysis; anything else is analysed afresh. */
void engine_update_resume(struct engine *e, const char *candidate_id, const json_t *body,
                          struct engine_reply *out);
/* The same with the resume's text in hand (from a PDF the API converted). */
void engine_update_resume_text(struct engine *e, const char *candidate_id, const char *resume,
                               struct engine_reply *out);
/* PUT /api/candidates/me/role {"role"}: another role from /api/roles; the analysis is made
 * again for it. */
void engine_set_role(struct engine *e, const char *candidate_id, const json_t *body,
                     struct engine_reply *out);
/* DELETE /api/candidates/me and DELETE /api/admin/candidates/{id}: erases the candidate,
 * their interviews, turns and reports, the model results cached for them (every cache
 * entry call.c recorded under their id) and what this process keeps in memory about
 * them; their token stops working. ENGINE_NOT_FOUND for an unknown id. */
void engine_erase_candidate(struct engine *e, const char *candidate_id, struct engine_reply *out);
/* GET /api/privacy: where a resume and answers go (the providers in use by name, or
 * nowhere). New reference. */
json_t *engine_privacy(struct engine *e);
/* GET /api/candidates/me */
void engine_candidate_me(struct engine *e, const char *candidate_id, struct engine_reply *out);
/* POST /api/interviews: {"kind", "job_description"?}. A job description over [limits]
 * max_job_description_bytes is ENGINE_TOO_LARGE (code job_description_too_long); one
 * that tries to instruct the model is ENGINE_INVALID (code job_description_rejected). */
void engine_start(struct engine *e, const char *candidate_id, const json_t *body,
                  struct engine_reply *out);

/* POST /api/interviews/{id}/abandon: the candidate leaves the interview; it stops counting
 * as active and gets no report. Abandoning an abandoned interview answers the same. */
void engine_abandon(struct engine *e, const char *candidate_id, const char *interview_id,
                    struct engine_reply *out);

/* POST /api/interviews/{id}/answers: may wait for a model-written question (bounded by
 * [interview] turn_deadline_ms), so the reply comes through a callback, exactly once. */
typedef void (*engine_reply_fn)(struct engine_reply *r, void *data);
void engine_answer(struct engine *e, const char *candidate_id, const char *interview_id,
                   const json_t *body, engine_reply_fn done, void *data);

/* GET /api/interviews/{id} and .../report; candidate_id NULL means admin. */
void engine_interview_state(struct engine *e, const char *candidate_id, const char *interview_id,
                            struct engine_reply *out);
void engine_report(struct engine *e, const char *candidate_id, const char *interview_id,
                   struct engine_reply *out);

/* Counters for logs and tests: calls in flight. */
int engine_inflight(const struct engine *e);
/* Where logical LLM requests went (for /api/optimization_stats and /metrics). */
struct stats;
const struct stats *engine_stats(const struct engine *e);
/* /api/optimization_stats: the store's counters (every instance sharing it, every run
 * since the store was made) plus what this process has not flushed yet; "instances"
 * says how many processes are alive, "source" is "store", or "process" when the store
 * did not answer and only this process's counters since it started are shown. New
 * reference. */
json_t *engine_stats_json(struct engine *e);
/* The same, writable: the /v1 gateway counts its requests there too. */
struct stats *engine_stats_mut(struct engine *e);
/* The fleet, for status pages. */
struct router;
struct router *engine_router(struct engine *e);
/* The store the engine writes to (for its group-commit counters on /metrics). */
struct store *engine_store(struct engine *e);
/* The loop the engine runs on (for work the API starts, such as reading a PDF). */
struct event_base *engine_event_base(struct engine *e);

/* Interviews this process has seen, for the admin dashboard and /metrics. Counted since
 * the process started: an interview begun before a restart and finished after it counts
 * as finished but was never in progress here (in_progress never goes below 0). */
#define ENGINE_MODES 4 /* the values of enum budget_mode, its index here */
struct engine_interview_counts {
    long started;                           /* POST /api/interviews that succeeded */
    long finished;                          /* answered to the last question */
    long reports;                           /* reports written */
    long started_by_mode[ENGINE_MODES];     /* in the mode they started in */
    long in_progress_by_mode[ENGINE_MODES]; /* in their current mode (after step-downs) */
};
/* Copies the counters; *mode_now (if mode_now) gets the mode a new interview would be
 * given now (a static string). */
void engine_interview_counts(struct engine *e, struct engine_interview_counts *out,
                             const char **mode_now);
/* The totals behind the dashboard and /metrics: the store's counters plus this process's
 * unflushed ones into out, and (if counts) the interview counts, with in_progress_by_mode
 * the interviews active in the store. 0, or -1 when the store did not answer (then this
 * process's own numbers since it started). */
int engine_stats_totals(struct engine *e, struct stats *out,
                        struct engine_interview_counts *counts);
/* 1 while the store refuses the counters' flush (for alerts and the dashboard). */
int engine_store_down(const struct engine *e);
/* Retires a bank template: stored, and never asked again by any instance (others learn it
 * within [stats] flush_interval_ms). ENGINE_NOT_FOUND for an id the bank does not hold. */
enum engine_err engine_retire_question(struct engine *e, const char *question_id);
/* The question bank, for the admin views. */
const struct bank *engine_bank(const struct engine *e);

#endif
