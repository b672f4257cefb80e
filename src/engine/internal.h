/* engine/internal.h: what the engine's own files share, and nobody outside them.
 *
 * The engine is one object (struct engine) split by concern over several files, each
 * with its own prefix and header:
 *
 *   engine.c     life cycle, replies, the budget policy's inputs     engine_*
 *   candidate.c  registration, sign-in, resumes and their analysis   cand_*
 *   question.c   plans and the next question (bank, follow-up)      question_*
 *   interview.c  the state machine: start, answer, state            interview_*
 *   scoring.c    evaluations, batches, summaries (model calls)      scoring_*
 *   report.c     the report JSON, written and read                  report_*
 *   sweep.c      retries after store failures, re-scoring later     sweep_*
 *   bankgrow.c   generated questions shared by everyone             bankgrow_*
 *   shared.c     state instances share through the store            shared_*
 *   call.c       the one way to a model, and every reuse decision   call_*
 *
 * Data flows one way: the HTTP-facing files (candidate, interview, report) call
 * scoring and question; scoring hands work to call.c with a callback per kind of work;
 * nothing below the engine calls up into it except through those callbacks. */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include "engine/call.h"
#include "engine/engine.h"
#include "engine/budget.h"
#include "optimize/stats.h"

#include <stdint.h>

struct timer;
struct cache;
struct seen_slot;

/* Interview states after parsing (store_interview.state holds the name). */
enum interview_state { INTERVIEW_ACTIVE, INTERVIEW_FINISHED, INTERVIEW_ABANDONED };

/* A set of ids (interviews or candidates), in the order they were added. */
struct id_list {
    char (*ids)[33]; /* 32 hex digits and a NUL each */
    int n, cap;
};

struct engine {
    struct event_base *base;
    const struct config *cfg;
    struct store *store;
    struct bank *bank;
    struct rubrics *rubrics;
    struct router *router;                 /* the fleet: quotas, retries, the wait queue */
    struct provider *offline;              /* the heuristic, for offline mode and fallbacks */
    struct cache *cache;                   /* exact model results (call.c), owned */
    struct flight_group *flights;          /* work in flight (call.c), owned */
    struct call_ctx calls;                 /* every model call goes through it */
    int64_t day_start_ms;                  /* UTC day of started_today */
    long started_today;                    /* interviews started today, for the budget */
    int closing;                           /* set by engine_free: nothing is written */
    int auto_mode;                         /* [budget] mode = auto */
    enum budget_mode fixed_mode;           /* the configured mode when not auto */
    struct stats stats;                    /* where each logical LLM request went */
    struct engine_interview_counts counts; /* for the dashboard; see engine.h */
    struct seen_slot *seen_cache;          /* per-candidate questions heard (question.c) */
    struct id_list reeval;       /* interviews with answers waiting for a model to re-score */
    struct timer *reeval_timer;  /* the sweeper: spare quota goes to re-scoring */
    struct id_list retry;        /* interviews whose scoring could not be saved */
    struct id_list resume_retry; /* candidates whose analysis could not be saved */
    struct timer *retry_timer;   /* redoes both */
    char instance[17];           /* this process, for the heartbeat on a shared store */
    struct timer *stats_timer;   /* adds this process's counters to the store (shared.c) */
    struct stats stats_flushed;  /* the part of stats already added to the store */
    struct engine_interview_counts counts_flushed; /* the part of counts already added */
    int store_down;                                /* the last flush failed (alerts) */
    int tx_depth;                                  /* engine_tx_begin() calls not yet ended */
    int tx_open; /* the outermost of them holds a store transaction */
};

/* ---- engine.c ---- */
void engine_fail(struct engine_reply *r, enum engine_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void engine_ok(struct engine_reply *r, json_t *body);
/* The reply for a store error (STORE_NOT_FOUND from question_ask: the bank is spent). */
void engine_store_failed(struct engine_reply *r, enum store_err se);
/* Transactions that nest: only the outermost begin and commit reach the store, so a step
 * that commits on its own (answer_save) joins its caller's transaction when there is
 * one. A rollback at any depth discards the store transaction at once; the steps after it
 * run in autocommit until the outermost engine_tx_commit(). */
enum store_err engine_tx_begin(struct engine *e);
enum store_err engine_tx_commit(struct engine *e);
void engine_tx_rollback(struct engine *e);
/* The reply when loading the candidate behind a token failed: unknown (deleted) is 401. */
void engine_candidate_failed(struct engine_reply *r, enum store_err se);
/* A stored JSON array (keywords, flags) parsed; a new empty array when text is NULL or not
 * an array. The caller owns the reference. */
json_t *engine_json_array(const char *text);
/* The mode an interview should run in now (auto: what today's quota can carry). */
enum budget_mode engine_mode_now(struct engine *e);
/* Provider calls left today beyond what the interviews still expected need. */
double engine_spare_calls_today(struct engine *e);
/* Moves one interview into (+1) or out of (-1) the in-progress count of a mode. */
void engine_count_in_progress(struct engine *e, enum budget_mode mode, int delta);
/* The heuristic's answer to a task (the offline provider's callback). New reference. */
json_t *engine_offline_answer(const char *task, const json_t *in, void *data);
/* Loads an interview that belongs to candidate_id (NULL = admin); else fills out. */
enum engine_err engine_load_owned(struct engine *e, const char *candidate_id, const char *id,
                                  struct store_interview *iv, struct engine_reply *out);
/* 1 if several processes share the store (claims, live stats). */
int engine_store_shared(const struct engine *e);

/* Parsed once from the store's strings. Unknown mode names read as offline, unknown
 * states as finished: the safe side of each. An abandoned interview is neither active
 * nor finished: it takes no answers and gets no report. */
enum budget_mode engine_mode_of(const struct store_interview *iv);
enum interview_state engine_state_of(const struct store_interview *iv);
const char *engine_state_name(enum interview_state s);

#endif
