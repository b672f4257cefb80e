/* store: durable state behind a small vtable, like sqlite3_vfs.
 *
 * Backends (SQLite now, PostgreSQL later) are peers implementing struct store_ops.
 * Every call is synchronous and, outside an explicit store_begin()/store_commit()
 * pair, its own committed transaction: when a function returns STORE_OK the data is
 * committed, and on disk unless the store was attached to an event loop (group commit,
 * below). The engine commits an answer before it answers the HTTP request, so a kill -9
 * loses nothing that was acknowledged.
 *
 * Group commit (STORE_CAP_GROUP_COMMIT): store_attach_loop() moves the store's fsyncs
 * and lock waits off the loop. A commit then returns once it is written (not yet on
 * disk), a lock held by another process fails at once with STORE_BUSY instead of
 * waiting, and the fsync runs on a thread that covers every commit made since the last
 * one. Whoever acknowledges a write to someone reads store_commit_seq() and, through
 * store_wait_durable(), waits for that commit to be durable (http/server.c's reply gate
 * does this for every request that committed something).
 *
 * Ownership: every struct a get/list function fills is owned by the caller and freed
 * with the matching *_free() (which frees the strings inside and zeroes the struct).
 * Strings are UTF-8; optional ones may be NULL. */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_err {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no row with that key */
    STORE_CONFLICT,    /* unique key already present */
    STORE_BUSY,        /* database locked longer than the busy timeout */
    STORE_UNAVAILABLE, /* cannot reach / open the database */
    STORE_CORRUPT,     /* schema newer than this binary, or a malformed file */
    STORE_IO,          /* any other failure (disk full, I/O error) */
};
const char *store_strerror(enum store_err e);

struct store_candidate {
    char *id; /* 32 hex digits, random */
    char *name;
    char *email;
    char *role;            /* a role id from data/roles.json, e.g. "backend_engineer" */
    char *resume_text;     /* as uploaded; never logged or returned to anyone else */
    char *resume_hash;     /* XXH3-128 hex of the normalised resume */
    char *token_hash;      /* SHA-256 hex of the candidate's bearer secret */
    char *analysis_json;   /* resume_analysis result (JSON text) or NULL until known */
    char *analysis_source; /* "model" | "heuristic" | NULL */
    int64_t created_ms;
    char *email_key; /* the email trimmed and lower-cased: unique over candidates (a second
                      * profile for it is STORE_CONFLICT); NULL for profiles made before
                      * schema step 2 */
};

struct store_interview {
    char *id; /* 32 hex digits, random */
    char *candidate_id;
    char *kind;          /* technical | behavioral | mixed */
    char *mode;          /* full | balanced | economy | offline */
    char *state;         /* active | finished | abandoned (left by the candidate) */
    int total_questions; /* planned number of questions (12 by default) */
    int next_index;      /* index of the turn awaiting an answer, == total when done */
    char *greeting;
    char *plan_json;   /* the engine's plan: phases per index (JSON text) */
    char *report_json; /* NULL until the report is ready */
    int64_t created_ms;
    int64_t finished_ms;   /* 0 while active */
    char *job_description; /* the job the candidate practises for (as sent), or NULL */
};

struct store_turn {
    char *interview_id;
    int idx;             /* 0-based question number within the interview */
    char *question_id;   /* bank template id ("tech.backend.017"), "gen:<hash>" or "fu:<hash>" */
    char *question_text; /* as asked, placeholders filled */
    char *category;      /* rubric category: introduction|resume|technical|behavioral|wrap_up */
    char *phase;         /* same vocabulary as category; the state-machine phase */
    int difficulty;      /* 1..3 */
    char *keywords;      /* JSON array text of expected keywords, or NULL */
    char *answer;        /* NULL until answered */
    int64_t asked_ms;
    int64_t answered_ms; /* 0 until answered */
    int score;           /* 1..5, 0 while not scored */
    char *feedback;
    char *scorer;      /* model | heuristic | precheck, NULL while not scored */
    char *flags;       /* JSON array text, e.g. ["injection_attempt","empty"], or NULL */
    char *eval_status; /* none (not answered) | pending | done */
    char *topic;       /* what the question is about ("sql_transactions"), or NULL */
};

struct store_turn_list {
    struct store_turn *items;
    size_t len;
};

struct store_interview_list {
    struct store_interview *items;
    size_t len;
};

/* Keys of the kv table (kv_list_prefix). */
struct store_key_list {
    char **keys;
    size_t len;
};

/* One row of the LLM call log. */
struct store_call {
    int64_t ts_ms;
    const char *task;     /* resume_analysis | question_gen | follow_up | evaluate | ... */
    const char *provider; /* deployment name */
    const char *model;
    const char *outcome; /* ok | http_error | timeout | rate_limited | invalid_output | ... */
    int http_status;
    int64_t latency_ms;
    int prompt_tokens;
    int completion_tokens;
};

/* One row of an aggregate or a small listing: up to three keys and three numbers. Each
 * op that returns these says which fields it fills; the rest are NULL or 0. */
struct store_agg {
    char *k1, *k2, *k3; /* keys (names, roles, ...), NULL when unused */
    int64_t n;          /* a count or a value */
    int64_t m;          /* a second count */
    double sum;         /* a sum (of scores, ...) */
};

struct store_agg_list {
    struct store_agg *items;
    size_t len;
};

/* What the admin list of interviews filters on; NULL / 0 means "any". */
struct store_interview_filter {
    const char *candidate; /* a candidate id, or text found in the name or email (ASCII case
                            * folded) */
    const char *role;      /* the candidate's role id */
    const char *kind;      /* technical | behavioral | mixed */
    const char *state;     /* active | finished | ... */
    int64_t from_ms;       /* created at or after; 0: no bound */
    int64_t to_ms;         /* created before; 0: no bound */
    int limit;             /* rows wanted (the caller bounds it) */
    int offset;            /* rows skipped */
};

/* One line of the admin list of interviews (candidate joined in). */
struct store_interview_row {
    char *id;
    char *candidate_id;
    char *candidate_name;
    char *candidate_email;
    char *role; /* the candidate's */
    char *kind;
    char *mode;
    char *state;
    int64_t created_ms;
    int64_t finished_ms;
    int total_questions;
    int next_index;
    int overall_score; /* 0..100 from the report, -1 while there is none */
};

struct store_interview_row_list {
    struct store_interview_row *items;
    size_t len;
};

struct store;
struct event_base;

/* Called on the loop once the commits waited for are on disk (durable = 1), or can no
 * longer be made durable (durable = 0: the disk failed a sync). */
typedef void (*store_durable_fn)(void *data, int durable);

/* Group-commit counters (store_sync_stats). */
struct store_sync_stats {
    uint64_t commits;     /* commits made since the store was attached to the loop */
    uint64_t syncs;       /* fsyncs that made them durable (commits / syncs = group size) */
    uint64_t checkpoints; /* WAL checkpoints run off the loop */
    uint64_t durable;     /* commits known to be on disk */
};

/* What a backend can do beyond the common contract (bits of store_ops.caps), so a
 * caller asks for a capability, never for a backend by name (SQLite's VFS carries
 * iVersion for the same reason). */
#define STORE_CAP_SHARED                                                                           \
    0x1u /* several processes use this store at once: kv_claim is                                  \
          * seen by all of them and other processes' writes appear                                 \
          * between calls */
#define STORE_CAP_GROUP_COMMIT                                                                     \
    0x2u /* store_attach_loop() moves fsyncs and lock waits off the                                \
          * loop; acknowledge writes through store_wait_durable() */

struct store_ops {
    const char *name; /* "sqlite", "postgres": for logs and status pages only */
    unsigned caps;    /* STORE_CAP_* bits */
    void (*close)(struct store *s);
    enum store_err (*begin)(struct store *s);
    enum store_err (*commit)(struct store *s);
    enum store_err (*rollback)(struct store *s);

    enum store_err (*candidate_insert)(struct store *s, const struct store_candidate *c);
    enum store_err (*candidate_get)(struct store *s, const char *id, struct store_candidate *out);
    enum store_err (*candidate_set_analysis)(struct store *s, const char *id,
                                             const char *analysis_json, const char *source);
    /* A re-uploaded resume: text, hash, and the analysis that goes with it (the old one
     * when the new resume is a near-duplicate, else a fresh one). */
    enum store_err (*candidate_set_resume)(struct store *s, const char *id, const char *resume_text,
                                           const char *resume_hash, const char *analysis_json,
                                           const char *source);
    /* A new role for the candidate, with the analysis that goes with it. */
    enum store_err (*candidate_set_role)(struct store *s, const char *id, const char *role,
                                         const char *analysis_json, const char *source);
    /* Erasure: the candidate, their interviews and turns, and every kv row whose key
     * names the candidate's id or one of their interviews' ids (claims, cache ownership
     * records), in one transaction (or inside the caller's). STORE_NOT_FOUND when there
     * is no such candidate. SQLite overwrites freed pages (secure_delete) and empties
     * its WAL afterwards, so the file keeps no copy. */
    enum store_err (*candidate_erase)(struct store *s, const char *id);

    enum store_err (*interview_insert)(struct store *s, const struct store_interview *iv);
    enum store_err (*interview_get)(struct store *s, const char *id, struct store_interview *out);
    /* Writes mode, state, next_index, report_json and finished_ms of iv->id (and the
     * report's overall_score beside it, for the admin list and score distributions). */
    enum store_err (*interview_update)(struct store *s, const struct store_interview *iv);
    /* A candidate's interviews, oldest first. */
    enum store_err (*interview_list_by_candidate)(struct store *s, const char *candidate_id,
                                                  struct store_interview_list *out);
    /* Interviews with state 'finished' and report_json NULL, or with turns pending
     * evaluation: what a restarted process must finish. */
    enum store_err (*interview_list_unreported)(struct store *s, struct store_interview_list *out);

    enum store_err (*turn_insert)(struct store *s, const struct store_turn *t);
    /* Sets answer, answered_ms and eval_status='pending'. STORE_CONFLICT if already answered. */
    enum store_err (*turn_answer)(struct store *s, const char *interview_id, int idx,
                                  const char *answer, int64_t answered_ms);
    /* Sets score, feedback, scorer, flags and eval_status of one turn. */
    enum store_err (*turn_set_eval)(struct store *s, const struct store_turn *t);
    /* All turns of an interview, by idx. */
    enum store_err (*turn_list)(struct store *s, const char *interview_id,
                                struct store_turn_list *out);
    /* Every question this candidate has been asked in any interview, oldest first:
     * interview_id, idx, question_id, question_text, category, phase, difficulty,
     * keywords, asked_ms, score and topic filled; never the answer. */
    enum store_err (*turn_list_asked_by_candidate)(struct store *s, const char *candidate_id,
                                                   struct store_turn_list *out);

    /* How many questions this candidate has been asked in all (cheap; lets a caller
     * keep turn_list_asked_by_candidate's answer cached until another process asks). */
    enum store_err (*turn_count_asked_by_candidate)(struct store *s, const char *candidate_id,
                                                    long *count);

    enum store_err (*call_log_insert)(struct store *s, const struct store_call *c);

    /* A small key/value table for state that has no table of its own yet (cached
     * generated questions, counters). *out is malloc'd; caller frees. */
    enum store_err (*kv_get)(struct store *s, const char *key, char **out);
    enum store_err (*kv_put)(struct store *s, const char *key, const char *value);
    /* A claim on a piece of work shared by every process on this store (single-flight
     * across instances): stores now_ms under key unless a claim newer than stale_ms is
     * there. STORE_OK: the caller holds it; STORE_CONFLICT: someone else does. */
    /* Every key that starts with prefix, in byte order (at most STORE_KV_LIST_MAX). */
    enum store_err (*kv_list_prefix)(struct store *s, const char *prefix,
                                     struct store_key_list *out);
    enum store_err (*kv_claim)(struct store *s, const char *key, int64_t now_ms, int64_t stale_ms);

    /* Today's use of each deployment, so a restart does not forget the morning. day is
     * the deployment's own day ("2026-11-28", in its reset time zone). add is an
     * atomic increment (several processes may add at once); get gives 0/0 and
     * STORE_NOT_FOUND for a day with no use. */
    enum store_err (*quota_ledger_add)(struct store *s, const char *deployment, const char *day,
                                       long requests, long tokens);
    enum store_err (*quota_ledger_get)(struct store *s, const char *deployment, const char *day,
                                       long *requests, long *tokens);

    /* Group commit (STORE_CAP_GROUP_COMMIT only; NULL elsewhere): see the top of this
     * file and the store_* wrappers below. */
    enum store_err (*attach_loop)(struct store *s, struct event_base *base);
    void (*detach_loop)(struct store *s);
    uint64_t (*commit_seq)(struct store *s);
    int (*wait_durable)(struct store *s, uint64_t seq, store_durable_fn fn, void *data);
    void (*sync_stats)(struct store *s, struct store_sync_stats *out);

    /* ---- the operator console (issue 17) ---- */

    /* Counters shared by every process on the store (the optimization stats, interviews
     * started and finished): add is an atomic increment of one named counter (several
     * processes may add at once; it is not resent after an unknown outcome); list gives
     * every counter as k1 = name, n = value, by name. */
    enum store_err (*counter_add)(struct store *s, const char *name, int64_t delta);
    enum store_err (*counter_list)(struct store *s, struct store_agg_list *out);
    /* The dashboard's history: one snapshot (JSON text) per time t_ms, written whole by
     * whichever process takes it (the last writer of a t_ms wins); snapshots older than
     * keep_since_ms are deleted on the way. list gives those at or after since_ms,
     * oldest first, as k1 = snapshot, n = t_ms. */
    enum store_err (*history_put)(struct store *s, int64_t t_ms, const char *snapshot,
                                  int64_t keep_since_ms);
    enum store_err (*history_list)(struct store *s, int64_t since_ms, struct store_agg_list *out);
    /* Retired question templates are never asked again. retire is idempotent (the first
     * retired_ms stays); list gives k1 = question id, n = retired_ms, by id. */
    enum store_err (*question_retire)(struct store *s, const char *question_id, int64_t retired_ms);
    enum store_err (*question_retired_list)(struct store *s, struct store_agg_list *out);
    /* A page of interviews matching f, newest first (created_ms, then id, descending: a
     * stable order), and how many match in all. */
    enum store_err (*interview_search)(struct store *s, const struct store_interview_filter *f,
                                       struct store_interview_row_list *out, long *total);
    /* Active interviews by their current mode: k1 = mode, n = count. */
    enum store_err (*interview_active_by_mode)(struct store *s, struct store_agg_list *out);
    /* Reported interviews created in [from_ms, to_ms) (0: unbounded) by the candidate's
     * role, the kind and the tenth of the overall score: k1 = role, k2 = kind, m = bucket
     * (0..9: scores 0-9, 10-19, ..., 90-100), n = interviews, sum = their overall scores;
     * ordered by role, kind, bucket. */
    enum store_err (*score_distribution)(struct store *s, int64_t from_ms, int64_t to_ms,
                                         struct store_agg_list *out);
    /* Questions asked in [from_ms, to_ms) (0: unbounded) by question id: k1 = id, n = times
     * asked, m = times scored, sum = the sum of their scores (1..5); most asked first.
     * At most limit rows. */
    enum store_err (*question_usage)(struct store *s, int64_t from_ms, int64_t to_ms, int limit,
                                     struct store_agg_list *out);
};

struct store {
    const struct store_ops *ops; /* the backend */
    void *impl;                  /* backend state */
};

/* Opens (creating and migrating as needed) a SQLite database at path. On failure
 * returns NULL and writes a sentence into err. */
struct store *store_sqlite_open(const char *path, char *err, size_t errlen);
struct store *store_postgres_open(const char *conninfo, char *err, size_t errlen);
/* Turns an open SQLite store into a scratch one (no durability, one process): for the
 * day simulator only. 0, or -1 when SQLite refused. */
int store_sqlite_make_scratch(struct store *s);

/* 1 if s has every capability bit in cap. */
static inline int store_has(const struct store *s, unsigned cap)
{
    return (s->ops->caps & cap) == cap;
}

/* Convenience wrappers so callers write store_candidate_get(s, ...). */
#define store_call(s, fn, ...) ((s)->ops->fn((s), __VA_ARGS__))

/* The operations without arguments: C17 (-Wpedantic) rejects store_call(s, begin), a
 * variadic macro needs at least one argument after fn. */
static inline enum store_err store_begin(struct store *s)
{
    return s->ops->begin(s);
}
static inline enum store_err store_commit(struct store *s)
{
    return s->ops->commit(s);
}
static inline enum store_err store_rollback(struct store *s)
{
    return s->ops->rollback(s);
}
/* Group commit. Attaching starts the store's syncer (a thread) on base; a store
 * without STORE_CAP_GROUP_COMMIT stays as it is (its commits are durable on return).
 * Detach before the loop's users are freed: it syncs what is left and calls every
 * waiter. */
static inline enum store_err store_attach_loop(struct store *s, struct event_base *base)
{
    return s->ops->attach_loop ? s->ops->attach_loop(s, base) : STORE_OK;
}
static inline void store_detach_loop(struct store *s)
{
    if (s->ops->detach_loop) s->ops->detach_loop(s);
}
/* The number of the last commit made (0 when commits are durable on return). */
static inline uint64_t store_commit_seq(struct store *s)
{
    return s->ops->commit_seq ? s->ops->commit_seq(s) : 0;
}
/* 1 when every commit up to seq is durable; 0 when fn(data, durable) will be called on
 * the loop once it is; -1 when the store can no longer make anything durable (a failed
 * sync: the caller must not acknowledge). */
static inline int store_wait_durable(struct store *s, uint64_t seq, store_durable_fn fn, void *data)
{
    return s->ops->wait_durable ? s->ops->wait_durable(s, seq, fn, data) : 1;
}
/* Counters of group commit; all zero for a store without it. */
static inline void store_sync_stats(struct store *s, struct store_sync_stats *out)
{
    *out = (struct store_sync_stats){0, 0, 0, 0};
    if (s->ops->sync_stats) s->ops->sync_stats(s, out);
}

/* Closes the store and frees s; an uncommitted transaction is rolled back. */
static inline void store_close(struct store *s)
{
    s->ops->close(s);
}

void store_candidate_free(struct store_candidate *c);
void store_interview_free(struct store_interview *iv);
void store_turn_free(struct store_turn *t);
void store_turn_list_free(struct store_turn_list *l);
void store_interview_list_free(struct store_interview_list *l);
void store_key_list_free(struct store_key_list *l);

/* Most keys kv_list_prefix returns (a bound on what one candidate can own). */
#define STORE_KV_LIST_MAX 100000
void store_agg_list_free(struct store_agg_list *l);
void store_interview_row_list_free(struct store_interview_row_list *l);
/* The overall_score (0..100) of a report's JSON text into *score: 1, or 0 when the text
 * is NULL, not JSON or has none. What interview_update stores beside report_json. */
int store_report_overall_score(const char *report_json, int64_t *score);

#endif
