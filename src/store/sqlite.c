/* store/sqlite: the embedded SQLite backend of struct store_ops.
 *
 * One connection, WAL journal, synchronous=FULL, foreign keys on: a call made outside
 * store_begin()/store_commit() is its own transaction and is on disk when it returns.
 * Attached to an event loop (store_attach_loop, as `interviewd serve` does), the
 * connection switches to synchronous=NORMAL with no busy wait and no automatic
 * checkpoint: a commit is written but not fsynced, another process's lock is STORE_BUSY
 * at once, and sqlite_sync.c's thread makes commits durable in groups and runs the
 * checkpoints; nothing on the loop waits for the disk or for a lock.
 *
 * The one idea: the schema is an ordered list of migration steps and PRAGMA user_version
 * counts how many of them this file has had. Opening applies exactly the missing steps,
 * each in its own BEGIN IMMEDIATE transaction together with the new user_version (so a
 * crash or a second process opening at the same moment never half-applies one), and
 * refuses a file whose user_version is beyond what this binary knows. Never edit a
 * shipped step: append a new one.
 *
 * Every statement is prepared once at open (SQLITE_PREPARE_PERSISTENT) and reset with
 * its bindings cleared after each use, so a statement never holds a read snapshot or a
 * pointer into the caller's strings past the call. Errors are logged with SQLite's own
 * message and the operation name, never with row content: resumes and answers are
 * private.
 *
 * Error mapping: SQLITE_CONSTRAINT -> STORE_CONFLICT, except a foreign-key failure
 * (an interview for an unknown candidate, a turn for an unknown interview), which is
 * STORE_NOT_FOUND; BUSY/LOCKED -> STORE_BUSY; CORRUPT/NOTADB -> STORE_CORRUPT;
 * CANTOPEN -> STORE_UNAVAILABLE; everything else (FULL, IOERR, READONLY, ...) -> STORE_IO. */
#include "store/store.h"

#include "store/schema.h"
#include "store/sqlite_sync.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a writer waits for another connection's lock before STORE_BUSY (detached:
 * tests, tools, the simulator). Attached to a loop it never waits: a request that finds
 * the database locked by another process is told so (STORE_BUSY, a 503 with Retry-After)
 * instead of stopping every other request on the loop. */
#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_LOOP_BUSY_TIMEOUT_MS 0
/* Mode of the directories we create and of a new database file: it holds resumes. */
#define SQ_DIR_MODE 0700
#define SQ_FILE_MODE 0600

/* ---- schema ----------------------------------------------------------------------- */

/* Migration steps; step i takes user_version from i to i+1. Append only. */
static const char *const sq_migrations[] = {
    /* 1: the initial schema. */
    "CREATE TABLE candidates ("
    "  id              TEXT NOT NULL PRIMARY KEY,"
    "  name            TEXT,"
    "  email           TEXT,"
    "  role            TEXT,"
    "  resume_text     TEXT,"
    "  resume_hash     TEXT,"
    "  token_hash      TEXT,"
    "  analysis_json   TEXT,"
    "  analysis_source TEXT,"
    "  created_ms      INTEGER NOT NULL"
    ");"
    "CREATE TABLE interviews ("
    "  id              TEXT NOT NULL PRIMARY KEY,"
    "  candidate_id    TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,"
    "  kind            TEXT NOT NULL,"
    "  mode            TEXT NOT NULL,"
    "  state           TEXT NOT NULL,"
    "  total_questions INTEGER NOT NULL,"
    "  next_index      INTEGER NOT NULL,"
    "  greeting        TEXT,"
    "  plan_json       TEXT,"
    "  report_json     TEXT,"
    "  created_ms      INTEGER NOT NULL,"
    "  finished_ms     INTEGER NOT NULL DEFAULT 0"
    ");"
    /* A candidate's interviews in order, and the join behind turn_list_asked_by_candidate. */
    "CREATE INDEX interviews_by_candidate ON interviews(candidate_id, created_ms, id);"
    /* Only the few finished-but-unreported rows, for the restart scan. */
    "CREATE INDEX interviews_unreported ON interviews(created_ms)"
    "  WHERE state = 'finished' AND report_json IS NULL;"
    /* The primary key (interview_id, idx) is also the index on interview_id. */
    "CREATE TABLE turns ("
    "  interview_id  TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,"
    "  idx           INTEGER NOT NULL,"
    "  question_id   TEXT NOT NULL,"
    "  question_text TEXT NOT NULL,"
    "  category      TEXT,"
    "  phase         TEXT,"
    "  difficulty    INTEGER NOT NULL DEFAULT 0,"
    "  keywords      TEXT,"
    "  answer        TEXT,"
    "  asked_ms      INTEGER NOT NULL,"
    "  answered_ms   INTEGER NOT NULL DEFAULT 0,"
    "  score         INTEGER NOT NULL DEFAULT 0,"
    "  feedback      TEXT,"
    "  scorer        TEXT,"
    "  flags         TEXT,"
    "  eval_status   TEXT NOT NULL DEFAULT 'none',"
    "  PRIMARY KEY (interview_id, idx)"
    ");"
    "CREATE INDEX turns_pending ON turns(interview_id) WHERE eval_status = 'pending';"
    "CREATE TABLE call_log ("
    "  id                INTEGER PRIMARY KEY,"
    "  ts_ms             INTEGER NOT NULL,"
    "  task              TEXT NOT NULL,"
    "  provider          TEXT,"
    "  model             TEXT,"
    "  outcome           TEXT NOT NULL,"
    "  http_status       INTEGER NOT NULL DEFAULT 0,"
    "  latency_ms        INTEGER NOT NULL DEFAULT 0,"
    "  prompt_tokens     INTEGER NOT NULL DEFAULT 0,"
    "  completion_tokens INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX call_log_by_ts ON call_log(ts_ms);"
    "CREATE TABLE kv ("
    "  key   TEXT NOT NULL PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");"
    /* Filled by the router later: today's use per deployment survives a restart. */
    "CREATE TABLE quota_ledger ("
    "  deployment TEXT NOT NULL,"
    "  day        TEXT NOT NULL,"
    "  requests   INTEGER NOT NULL DEFAULT 0,"
    "  tokens     INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (deployment, day)"
    ");",
    /* 2: the job description an interview practises for, and each question's topic. */
    "ALTER TABLE interviews ADD COLUMN job_description TEXT;"
    "ALTER TABLE turns ADD COLUMN topic TEXT;",
    /* 3: one profile per email (issue 15): the normalised address, unique. Profiles made
     * before keep NULL, which the index allows any number of times. */
    "ALTER TABLE candidates ADD COLUMN email_key TEXT;"
    "CREATE UNIQUE INDEX candidates_by_email ON candidates(email_key);",
    /* 4: the operator console (issue 17). Each interview's overall score beside its
     * report, for the admin list and score distributions; indexes for the admin list
     * (newest first), active interviews by mode and question use by date; counters that
     * every process adds to (started with what the interviews table already knows);
     * the dashboard's history; retired question templates. */
    "ALTER TABLE interviews ADD COLUMN overall_score INTEGER;"
    "UPDATE interviews SET overall_score = json_extract(report_json, '$.overall_score')"
    "  WHERE report_json IS NOT NULL AND json_valid(report_json);"
    "CREATE INDEX interviews_by_created ON interviews(created_ms, id);"
    "CREATE INDEX interviews_active ON interviews(mode) WHERE state = 'active';"
    "CREATE INDEX turns_by_asked ON turns(asked_ms);"
    "CREATE TABLE counters ("
    "  name  TEXT NOT NULL PRIMARY KEY,"
    "  value INTEGER NOT NULL DEFAULT 0"
    ");"
    "INSERT INTO counters (name, value)"
    "  SELECT 'interviews_started.' || mode, COUNT(*) FROM interviews GROUP BY mode;"
    "INSERT INTO counters (name, value)"
    "  SELECT 'interviews_finished', COUNT(*) FROM interviews WHERE state <> 'active';"
    "INSERT INTO counters (name, value)"
    "  SELECT 'reports_ready', COUNT(*) FROM interviews WHERE report_json IS NOT NULL;"
    "CREATE TABLE stats_history ("
    "  t_ms     INTEGER NOT NULL PRIMARY KEY,"
    "  snapshot TEXT NOT NULL"
    ");"
    "CREATE TABLE retired_questions ("
    "  question_id TEXT NOT NULL PRIMARY KEY,"
    "  retired_ms  INTEGER NOT NULL"
    ");",
};
#define SQ_SCHEMA_VERSION ((int)ARRAY_LEN(sq_migrations))

/* ---- statements ------------------------------------------------------------------- */

enum sq_stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_CANDIDATE_INSERT,
    ST_CANDIDATE_GET,
    ST_CANDIDATE_SET_ANALYSIS,
    ST_CANDIDATE_SET_RESUME,
    ST_INTERVIEW_INSERT,
    ST_INTERVIEW_GET,
    ST_INTERVIEW_UPDATE,
    ST_INTERVIEW_LIST_BY_CANDIDATE,
    ST_INTERVIEW_LIST_UNREPORTED,
    ST_TURN_INSERT,
    ST_TURN_ANSWER,
    ST_TURN_EXISTS,
    ST_TURN_SET_EVAL,
    ST_TURN_LIST,
    ST_TURN_LIST_ASKED,
    ST_CALL_LOG_INSERT,
    ST_KV_GET,
    ST_KV_PUT,
    ST_TURN_COUNT_ASKED,
    ST_KV_CLAIM,
    ST_LEDGER_ADD,
    ST_LEDGER_GET,
    ST_CANDIDATE_SET_ROLE,
    ST_KV_ERASE_FOR_CANDIDATE,
    ST_CANDIDATE_DELETE,
    ST_KV_LIST_PREFIX,
    ST_WAL_TRUNCATE,
    ST_COUNTER_ADD,
    ST_COUNTER_LIST,
    ST_HISTORY_PUT,
    ST_HISTORY_PRUNE,
    ST_HISTORY_LIST,
    ST_QUESTION_RETIRE,
    ST_QUESTION_RETIRED_LIST,
    ST_INTERVIEW_SEARCH,
    ST_INTERVIEW_SEARCH_COUNT,
    ST_INTERVIEW_ACTIVE_BY_MODE,
    ST_SCORE_DISTRIBUTION,
    ST_QUESTION_USAGE,
    ST__COUNT
};

/* The admin list's filter: ?1 candidate (id, or text in name or email), ?2 role, ?3 kind,
 * ?4 state (NULL: any), ?5 and ?6 the created_ms range. */
#define SQ_INTERVIEW_FILTER                                                                        \
    "FROM interviews AS i JOIN candidates AS c ON c.id = i.candidate_id "                          \
    "WHERE (?1 IS NULL OR i.candidate_id = ?1 OR instr(lower(c.name), lower(?1)) > 0 "             \
    "       OR instr(lower(c.email), lower(?1)) > 0) "                                             \
    "AND (?2 IS NULL OR c.role = ?2) AND (?3 IS NULL OR i.kind = ?3) "                             \
    "AND (?4 IS NULL OR i.state = ?4) AND i.created_ms >= ?5 AND i.created_ms < ?6 "

/* The operation name (for logs) and SQL of each statement. Parameters are bound in
 * order, so the ? order here is the bind order in the functions below. */
static const struct {
    const char *op;
    const char *sql;
} sq_sql[ST__COUNT] = {
    [ST_BEGIN] = {"begin", "BEGIN IMMEDIATE"},
    [ST_COMMIT] = {"commit", "COMMIT"},
    [ST_ROLLBACK] = {"rollback", "ROLLBACK"},
    [ST_CANDIDATE_INSERT] = {"candidate_insert",
                             "INSERT INTO candidates (" STORE_CANDIDATE_COLS ") "
                             "VALUES (" STORE_CANDIDATE_QMARKS ")"},
    [ST_CANDIDATE_GET] = {"candidate_get",
                          "SELECT " STORE_CANDIDATE_COLS " FROM candidates WHERE id = ?"},
    [ST_CANDIDATE_SET_ANALYSIS] = {"candidate_set_analysis",
                                   "UPDATE candidates SET analysis_json = ?, "
                                   "analysis_source = ? WHERE id = ?"},
    [ST_CANDIDATE_SET_RESUME] = {"candidate_set_resume",
                                 "UPDATE candidates SET resume_text = ?, resume_hash = ?, "
                                 "analysis_json = ?, analysis_source = ? WHERE id = ?"},
    [ST_INTERVIEW_INSERT] = {"interview_insert",
                             "INSERT INTO interviews (" STORE_INTERVIEW_COLS ") "
                             "VALUES (" STORE_INTERVIEW_QMARKS ")"},
    [ST_INTERVIEW_GET] = {"interview_get",
                          "SELECT " STORE_INTERVIEW_COLS " FROM interviews WHERE id = ?"},
    [ST_INTERVIEW_UPDATE] = {"interview_update",
                             "UPDATE interviews SET mode = ?, state = ?, next_index = ?, "
                             "report_json = ?, finished_ms = ?, overall_score = ? WHERE id = ?"},
    [ST_INTERVIEW_LIST_BY_CANDIDATE] = {"interview_list_by_candidate",
                                        "SELECT " STORE_INTERVIEW_COLS " FROM interviews "
                                        "WHERE candidate_id = ? ORDER BY created_ms, id"},
    [ST_INTERVIEW_LIST_UNREPORTED] = {"interview_list_unreported",
                                      "SELECT " STORE_INTERVIEW_COLS " FROM interviews "
                                      "WHERE state = 'finished' AND report_json IS NULL "
                                      "UNION "
                                      "SELECT " STORE_INTERVIEW_COLS " FROM interviews "
                                      "WHERE id IN (SELECT interview_id FROM turns "
                                      "             WHERE eval_status = 'pending') "
                                      "ORDER BY created_ms, id"},
    [ST_TURN_INSERT] = {"turn_insert", "INSERT INTO turns (" STORE_TURN_COLS ") "
                                       "VALUES (" STORE_TURN_QMARKS ")"},
    [ST_TURN_ANSWER] = {"turn_answer",
                        "UPDATE turns SET answer = ?, answered_ms = ?, eval_status = 'pending' "
                        "WHERE interview_id = ? AND idx = ? AND answer IS NULL"},
    [ST_TURN_EXISTS] = {"turn_answer", "SELECT 1 FROM turns WHERE interview_id = ? AND idx = ?"},
    [ST_TURN_SET_EVAL] = {"turn_set_eval",
                          "UPDATE turns SET score = ?, feedback = ?, scorer = ?, flags = ?, "
                          "eval_status = COALESCE(?, 'done') "
                          "WHERE interview_id = ? AND idx = ?"},
    [ST_TURN_LIST] = {"turn_list",
                      "SELECT " STORE_TURN_COLS " FROM turns WHERE interview_id = ? ORDER BY idx"},
    /* Only what the question picker needs: answers stay where they are. */
    [ST_TURN_LIST_ASKED] = {"turn_list_asked_by_candidate",
                            "SELECT " STORE_TURN_ASKED_COLS " "
                            "FROM interviews AS i JOIN turns AS t ON t.interview_id = i.id "
                            "WHERE i.candidate_id = ? "
                            "ORDER BY i.created_ms, i.id, t.idx"},
    [ST_CALL_LOG_INSERT] = {"call_log_insert", "INSERT INTO call_log (" STORE_CALL_LOG_COLS ") "
                                               "VALUES (" STORE_CALL_LOG_QMARKS ")"},
    [ST_KV_GET] = {"kv_get", "SELECT value FROM kv WHERE key = ?"},
    [ST_KV_PUT] = {"kv_put", "INSERT INTO kv (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    [ST_TURN_COUNT_ASKED] = {"turn_count_asked_by_candidate",
                             "SELECT COUNT(*) FROM interviews AS i JOIN turns AS t "
                             "ON t.interview_id = i.id WHERE i.candidate_id = ?"},
    [ST_KV_CLAIM] = {"kv_claim", "INSERT INTO kv (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value "
                                 "WHERE CAST(kv.value AS INTEGER) < ?"},
    [ST_LEDGER_ADD] =
        {"quota_ledger_add",
         "INSERT INTO quota_ledger (deployment, day, requests, tokens) "
         "VALUES (?, ?, ?, ?) ON CONFLICT (deployment, day) DO UPDATE SET "
         "requests = requests + excluded.requests, tokens = tokens + excluded.tokens"},
    [ST_LEDGER_GET] =
        {"quota_ledger_get",
         "SELECT requests, tokens FROM quota_ledger WHERE deployment = ? AND day = ?"},
    [ST_CANDIDATE_SET_ROLE] = {"candidate_set_role",
                               "UPDATE candidates SET role = ?, analysis_json = ?, "
                               "analysis_source = ? WHERE id = ?"},
    /* ?1 is the candidate's id: kv keys that name it or one of their interviews. */
    [ST_KV_ERASE_FOR_CANDIDATE] = {"candidate_erase",
                                   "DELETE FROM kv WHERE instr(key, ?1) > 0 OR EXISTS ("
                                   "SELECT 1 FROM interviews AS i WHERE i.candidate_id = ?1 "
                                   "AND instr(kv.key, i.id) > 0)"},
    /* interviews and turns go with it (ON DELETE CASCADE) */
    [ST_CANDIDATE_DELETE] = {"candidate_erase", "DELETE FROM candidates WHERE id = ?"},
    [ST_KV_LIST_PREFIX] = {"kv_list_prefix",
                           "SELECT key FROM kv WHERE substr(key, 1, length(?1)) = ?1 "
                           "ORDER BY key LIMIT 100000"},
    [ST_WAL_TRUNCATE] = {"candidate_erase", "PRAGMA wal_checkpoint(TRUNCATE)"},
    [ST_COUNTER_ADD] = {"counter_add", "INSERT INTO counters (name, value) VALUES (?, ?) "
                                       "ON CONFLICT (name) DO UPDATE SET "
                                       "value = value + excluded.value"},
    [ST_COUNTER_LIST] = {"counter_list", "SELECT name, NULL, NULL, value, 0, 0 FROM counters "
                                         "ORDER BY name"},
    [ST_HISTORY_PUT] = {"history_put", "INSERT INTO stats_history (t_ms, snapshot) VALUES (?, ?) "
                                       "ON CONFLICT (t_ms) DO UPDATE SET "
                                       "snapshot = excluded.snapshot"},
    [ST_HISTORY_PRUNE] = {"history_put", "DELETE FROM stats_history WHERE t_ms < ?"},
    [ST_HISTORY_LIST] = {"history_list", "SELECT snapshot, NULL, NULL, t_ms, 0, 0 "
                                         "FROM stats_history WHERE t_ms >= ? ORDER BY t_ms"},
    [ST_QUESTION_RETIRE] = {"question_retire",
                            "INSERT INTO retired_questions (question_id, retired_ms) "
                            "VALUES (?, ?) ON CONFLICT (question_id) DO NOTHING"},
    [ST_QUESTION_RETIRED_LIST] = {"question_retired_list",
                                  "SELECT question_id, NULL, NULL, retired_ms, 0, 0 "
                                  "FROM retired_questions ORDER BY question_id"},
    [ST_INTERVIEW_SEARCH] = {"interview_search",
                             "SELECT i.id, i.candidate_id, c.name, c.email, c.role, i.kind, "
                             "i.mode, i.state, i.created_ms, i.finished_ms, i.total_questions, "
                             "i.next_index, COALESCE(i.overall_score, -1) " SQ_INTERVIEW_FILTER
                             "ORDER BY i.created_ms DESC, i.id DESC LIMIT ?7 OFFSET ?8"},
    [ST_INTERVIEW_SEARCH_COUNT] = {"interview_search", "SELECT COUNT(*) " SQ_INTERVIEW_FILTER},
    [ST_INTERVIEW_ACTIVE_BY_MODE] = {"interview_active_by_mode",
                                     "SELECT mode, NULL, NULL, COUNT(*), 0, 0 FROM interviews "
                                     "WHERE state = 'active' GROUP BY mode ORDER BY mode"},
    [ST_SCORE_DISTRIBUTION] = {"score_distribution",
                               "SELECT c.role, i.kind, NULL, COUNT(*), "
                               "MIN(i.overall_score / 10, 9) AS bucket, SUM(i.overall_score) "
                               "FROM interviews AS i JOIN candidates AS c "
                               "ON c.id = i.candidate_id "
                               "WHERE i.overall_score IS NOT NULL "
                               "AND i.created_ms >= ? AND i.created_ms < ? "
                               "GROUP BY c.role, i.kind, bucket ORDER BY 1, 2, 5"},
    [ST_QUESTION_USAGE] = {"question_usage",
                           "SELECT question_id, NULL, NULL, COUNT(*), "
                           "SUM(CASE WHEN score > 0 THEN 1 ELSE 0 END), SUM(score) "
                           "FROM turns WHERE asked_ms >= ? AND asked_ms < ? "
                           "GROUP BY question_id ORDER BY COUNT(*) DESC, question_id LIMIT ?"},
};

/* Backend state behind struct store.impl. */
struct sq {
    sqlite3 *db;                   /* the one connection */
    sqlite3_stmt *stmt[ST__COUNT]; /* prepared once at open, finalized at close */
    char *path;                    /* for log lines */
    struct sq_sync *sync;          /* group commit while attached to a loop, else NULL */
    int64_t busy_logged_ms;        /* when a STORE_BUSY was last logged (clock_mono_ms) */
    long busy_unlogged;            /* STORE_BUSY failures since, not logged */
};

static struct sq *sq_of(struct store *s)
{
    return s->impl;
}

/* ---- errors ----------------------------------------------------------------------- */

static enum store_err sq_map(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return STORE_OK;
    case SQLITE_CONSTRAINT:
        return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? STORE_NOT_FOUND : STORE_CONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return STORE_CORRUPT;
    case SQLITE_CANTOPEN:
        return STORE_UNAVAILABLE;
    default: /* FULL, IOERR, READONLY, NOMEM, ... */
        return STORE_IO;
    }
}

/* While another process holds the lock, every write fails: one line a second says so,
 * with how many were not logged. */
#define SQ_BUSY_LOG_MS 1000

/* Logs a failed operation (SQLite's message only, never row content) and maps it. */
static enum store_err sq_fail(struct sq *q, const char *op, int rc)
{
    enum store_err e = sq_map(rc);
    if (e == STORE_BUSY) {
        int64_t now = clock_mono_ms();
        if (q->busy_logged_ms && now - q->busy_logged_ms < SQ_BUSY_LOG_MS) {
            q->busy_unlogged++;
            return e;
        }
        log_warn("store_busy", "backend=sqlite op=%s rc=%d err=\"%s\" not_logged=%ld", op, rc,
                 sqlite3_errmsg(q->db), q->busy_unlogged);
        q->busy_logged_ms = now;
        q->busy_unlogged = 0;
        return e;
    }
    /* A conflict is usually a caller's race (a double-submitted answer), not a fault. */
    enum log_level level = e == STORE_CONFLICT || e == STORE_NOT_FOUND ? LOG_WARN : LOG_ERROR;
    log_emit(level, "store_error", "backend=sqlite op=%s rc=%d result=\"%s\" err=\"%s\"", op, rc,
             store_strerror(e), q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
    return e;
}

/* ---- binding and reading ------------------------------------------------------------ */

/* Binds parameters 1, 2, ... in order; the first failure sticks in rc. */
struct sq_bind {
    sqlite3_stmt *st; /* statement being bound */
    int n;            /* last parameter bound */
    int rc;           /* SQLITE_OK or the first binding error */
};

static void bind_text(struct sq_bind *b, const char *s)
{
    if (b->rc != SQLITE_OK) return;
    b->n++;
    /* STATIC is safe: every statement is reset and its bindings cleared before the
     * function that bound it returns. */
    b->rc =
        s ? sqlite3_bind_text(b->st, b->n, s, -1, SQLITE_STATIC) : sqlite3_bind_null(b->st, b->n);
}

static void bind_int(struct sq_bind *b, int64_t v)
{
    if (b->rc != SQLITE_OK) return;
    b->n++;
    b->rc = sqlite3_bind_int64(b->st, b->n, v);
}

/* Reads columns 0, 1, ... in order. */
struct sq_row {
    sqlite3_stmt *st; /* statement positioned on a row */
    int i;            /* next column */
};

/* A malloc'd copy of the next column, NULL for SQL NULL. */
static char *col_text(struct sq_row *r)
{
    int i = r->i++;
    if (sqlite3_column_type(r->st, i) == SQLITE_NULL) return NULL;
    const unsigned char *t = sqlite3_column_text(r->st, i);
    if (!t) { /* only on out-of-memory: same policy as xmalloc */
        fputs("interviewd: out of memory (sqlite)\n", stderr);
        abort();
    }
    return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(r->st, i));
}

static int64_t col_int64(struct sq_row *r)
{
    return sqlite3_column_int64(r->st, r->i++);
}

static int col_int(struct sq_row *r)
{
    return sqlite3_column_int(r->st, r->i++);
}

/* Reset a statement after use: releases its read snapshot and the caller's strings. */
static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows. *changes (if given) gets the rows it touched. */
static enum store_err stmt_exec(struct sq *q, enum sq_stmt id, struct sq_bind *b, int *changes)
{
    enum store_err e = STORE_OK;
    if (b->rc != SQLITE_OK) {
        e = sq_fail(q, sq_sql[id].op, b->rc);
    } else {
        int rc = sqlite3_step(b->st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            e = sq_fail(q, sq_sql[id].op, rc);
        else if (changes)
            *changes = sqlite3_changes(q->db);
    }
    stmt_done(b->st);
    return e;
}

static struct sq_bind stmt_bind(struct sq *q, enum sq_stmt id)
{
    return (struct sq_bind){.st = q->stmt[id], .n = 0, .rc = SQLITE_OK};
}

/* ---- rows <-> structs --------------------------------------------------------------- */

static void read_candidate(sqlite3_stmt *st, struct store_candidate *c)
{
    struct sq_row r = {st, 0};
    c->id = col_text(&r);
    c->name = col_text(&r);
    c->email = col_text(&r);
    c->role = col_text(&r);
    c->resume_text = col_text(&r);
    c->resume_hash = col_text(&r);
    c->token_hash = col_text(&r);
    c->analysis_json = col_text(&r);
    c->analysis_source = col_text(&r);
    c->created_ms = col_int64(&r);
    c->email_key = col_text(&r);
}

static void read_interview(sqlite3_stmt *st, struct store_interview *iv)
{
    struct sq_row r = {st, 0};
    iv->id = col_text(&r);
    iv->candidate_id = col_text(&r);
    iv->kind = col_text(&r);
    iv->mode = col_text(&r);
    iv->state = col_text(&r);
    iv->total_questions = col_int(&r);
    iv->next_index = col_int(&r);
    iv->greeting = col_text(&r);
    iv->plan_json = col_text(&r);
    iv->report_json = col_text(&r);
    iv->created_ms = col_int64(&r);
    iv->finished_ms = col_int64(&r);
    iv->job_description = col_text(&r);
}

static void read_turn(sqlite3_stmt *st, struct store_turn *t)
{
    struct sq_row r = {st, 0};
    t->interview_id = col_text(&r);
    t->idx = col_int(&r);
    t->question_id = col_text(&r);
    t->question_text = col_text(&r);
    t->category = col_text(&r);
    t->phase = col_text(&r);
    t->difficulty = col_int(&r);
    t->keywords = col_text(&r);
    t->answer = col_text(&r);
    t->asked_ms = col_int64(&r);
    t->answered_ms = col_int64(&r);
    t->score = col_int(&r);
    t->feedback = col_text(&r);
    t->scorer = col_text(&r);
    t->flags = col_text(&r);
    t->eval_status = col_text(&r);
    t->topic = col_text(&r);
}

/* The column subset ST_TURN_LIST_ASKED selects; the rest stays zero/NULL. */
static void read_turn_asked(sqlite3_stmt *st, struct store_turn *t)
{
    struct sq_row r = {st, 0};
    t->interview_id = col_text(&r);
    t->idx = col_int(&r);
    t->question_id = col_text(&r);
    t->question_text = col_text(&r);
    t->category = col_text(&r);
    t->phase = col_text(&r);
    t->difficulty = col_int(&r);
    t->keywords = col_text(&r);
    t->asked_ms = col_int64(&r);
    t->score = col_int(&r);
    t->topic = col_text(&r);
}

/* Steps a bound query expected to return at most one row into out via read (NULL
 * read: only whether a row exists). STORE_NOT_FOUND when there is none. */
static enum store_err query_one(struct sq *q, enum sq_stmt id, struct sq_bind *b,
                                void (*read)(sqlite3_stmt *, void *), void *out)
{
    enum store_err e;
    if (b->rc != SQLITE_OK) {
        e = sq_fail(q, sq_sql[id].op, b->rc);
    } else {
        int rc = sqlite3_step(b->st);
        if (rc == SQLITE_ROW) {
            if (read) read(b->st, out);
            e = STORE_OK;
        } else if (rc == SQLITE_DONE) {
            e = STORE_NOT_FOUND;
        } else {
            e = sq_fail(q, sq_sql[id].op, rc);
        }
    }
    stmt_done(b->st);
    return e;
}

/* Steps a bound query to the end, appending each row (of item_size bytes, read by read)
 * to *items / *len. On failure the rows read so far are left for the caller to free. */
static enum store_err query_all(struct sq *q, enum sq_stmt id, struct sq_bind *b,
                                void (*read)(sqlite3_stmt *, void *), void **items, size_t *len,
                                size_t item_size)
{
    enum store_err e = STORE_OK;
    size_t cap = 0;
    if (b->rc != SQLITE_OK) {
        e = sq_fail(q, sq_sql[id].op, b->rc);
    } else {
        for (;;) {
            int rc = sqlite3_step(b->st);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                e = sq_fail(q, sq_sql[id].op, rc);
                break;
            }
            if (*len == cap) {
                cap = cap ? cap * 2 : 16;
                *items = xrealloc(*items, cap * item_size);
            }
            char *slot = (char *)*items + *len * item_size;
            memset(slot, 0, item_size);
            read(b->st, slot);
            (*len)++;
        }
    }
    stmt_done(b->st);
    return e;
}

/* Adapters so query_one/query_all take one reader type. */
static void rd_candidate(sqlite3_stmt *st, void *out)
{
    read_candidate(st, out);
}
static void rd_interview(sqlite3_stmt *st, void *out)
{
    read_interview(st, out);
}
static void rd_turn(sqlite3_stmt *st, void *out)
{
    read_turn(st, out);
}
static void rd_turn_asked(sqlite3_stmt *st, void *out)
{
    read_turn_asked(st, out);
}

/* ---- transactions ------------------------------------------------------------------- */

static enum store_err sq_begin(struct store *s)
{
    struct sq *q = sq_of(s);
    if (!sqlite3_get_autocommit(q->db)) {
        log_error("store_error", "backend=sqlite op=begin err=\"transaction already open\"");
        return STORE_IO;
    }
    struct sq_bind b = stmt_bind(q, ST_BEGIN);
    return stmt_exec(q, ST_BEGIN, &b, NULL);
}

/* If COMMIT fails (e.g. STORE_BUSY, STORE_IO) the transaction is still open: the caller
 * retries the commit or calls rollback. */
static enum store_err sq_commit(struct store *s)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_COMMIT);
    return stmt_exec(q, ST_COMMIT, &b, NULL);
}

static enum store_err sq_rollback(struct store *s)
{
    struct sq *q = sq_of(s);
    /* SQLite may already have rolled back on its own (e.g. SQLITE_FULL); then there is
     * nothing to discard and that is success. */
    if (sqlite3_get_autocommit(q->db)) return STORE_OK;
    struct sq_bind b = stmt_bind(q, ST_ROLLBACK);
    return stmt_exec(q, ST_ROLLBACK, &b, NULL);
}

/* ---- candidates --------------------------------------------------------------------- */

static enum store_err sq_candidate_insert(struct store *s, const struct store_candidate *c)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_CANDIDATE_INSERT);
    bind_text(&b, c->id);
    bind_text(&b, c->name);
    bind_text(&b, c->email);
    bind_text(&b, c->role);
    bind_text(&b, c->resume_text);
    bind_text(&b, c->resume_hash);
    bind_text(&b, c->token_hash);
    bind_text(&b, c->analysis_json);
    bind_text(&b, c->analysis_source);
    bind_int(&b, c->created_ms);
    bind_text(&b, c->email_key);
    return stmt_exec(q, ST_CANDIDATE_INSERT, &b, NULL);
}

static enum store_err sq_candidate_get(struct store *s, const char *id, struct store_candidate *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_CANDIDATE_GET);
    bind_text(&b, id);
    return query_one(q, ST_CANDIDATE_GET, &b, rd_candidate, out);
}

static enum store_err sq_candidate_set_analysis(struct store *s, const char *id,
                                                const char *analysis_json, const char *source)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_CANDIDATE_SET_ANALYSIS);
    bind_text(&b, analysis_json);
    bind_text(&b, source);
    bind_text(&b, id);
    int changes = 0;
    enum store_err e = stmt_exec(q, ST_CANDIDATE_SET_ANALYSIS, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err sq_candidate_set_resume(struct store *s, const char *id,
                                              const char *resume_text, const char *resume_hash,
                                              const char *analysis_json, const char *source)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_CANDIDATE_SET_RESUME);
    bind_text(&b, resume_text);
    bind_text(&b, resume_hash);
    bind_text(&b, analysis_json);
    bind_text(&b, source);
    bind_text(&b, id);
    int changes = 0;
    enum store_err e = stmt_exec(q, ST_CANDIDATE_SET_RESUME, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err sq_candidate_set_role(struct store *s, const char *id, const char *role,
                                            const char *analysis_json, const char *source)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_CANDIDATE_SET_ROLE);
    bind_text(&b, role);
    bind_text(&b, analysis_json);
    bind_text(&b, source);
    bind_text(&b, id);
    int changes = 0;
    enum store_err e = stmt_exec(q, ST_CANDIDATE_SET_ROLE, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

/* The kv rows first (their match needs the interviews), then the candidate, whose
 * interviews and turns cascade. Freed pages are zeroed (secure_delete, set at open);
 * the WAL still holds the old pages until a checkpoint, so one runs afterwards and
 * truncates it. A checkpoint that cannot finish (another connection reading) is logged:
 * the next one overwrites those frames. */
static enum store_err sq_candidate_erase(struct store *s, const char *id)
{
    struct sq *q = sq_of(s);
    int own_tx = sqlite3_get_autocommit(q->db);
    enum store_err e = own_tx ? sq_begin(s) : STORE_OK;
    if (e == STORE_OK) {
        struct sq_bind b = stmt_bind(q, ST_KV_ERASE_FOR_CANDIDATE);
        bind_text(&b, id);
        e = stmt_exec(q, ST_KV_ERASE_FOR_CANDIDATE, &b, NULL);
    }
    int changes = 0;
    if (e == STORE_OK) {
        struct sq_bind b = stmt_bind(q, ST_CANDIDATE_DELETE);
        bind_text(&b, id);
        e = stmt_exec(q, ST_CANDIDATE_DELETE, &b, &changes);
        if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    }
    if (!own_tx) return e;
    if (e == STORE_OK) e = sq_commit(s);
    if (e != STORE_OK) {
        sq_rollback(s);
        return e;
    }
    struct sq_bind b = stmt_bind(q, ST_WAL_TRUNCATE);
    if (stmt_exec(q, ST_WAL_TRUNCATE, &b, NULL) != STORE_OK)
        log_warn("store_checkpoint_incomplete", "backend=sqlite op=candidate_erase");
    return STORE_OK;
}

/* ---- interviews --------------------------------------------------------------------- */

static enum store_err sq_interview_insert(struct store *s, const struct store_interview *iv)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_INTERVIEW_INSERT);
    bind_text(&b, iv->id);
    bind_text(&b, iv->candidate_id);
    bind_text(&b, iv->kind);
    bind_text(&b, iv->mode);
    bind_text(&b, iv->state);
    bind_int(&b, iv->total_questions);
    bind_int(&b, iv->next_index);
    bind_text(&b, iv->greeting);
    bind_text(&b, iv->plan_json);
    bind_text(&b, iv->report_json);
    bind_int(&b, iv->created_ms);
    bind_int(&b, iv->finished_ms);
    bind_text(&b, iv->job_description);
    return stmt_exec(q, ST_INTERVIEW_INSERT, &b, NULL);
}

static enum store_err sq_interview_get(struct store *s, const char *id, struct store_interview *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_INTERVIEW_GET);
    bind_text(&b, id);
    return query_one(q, ST_INTERVIEW_GET, &b, rd_interview, out);
}

static enum store_err sq_interview_update(struct store *s, const struct store_interview *iv)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_INTERVIEW_UPDATE);
    bind_text(&b, iv->mode);
    bind_text(&b, iv->state);
    bind_int(&b, iv->next_index);
    bind_text(&b, iv->report_json);
    bind_int(&b, iv->finished_ms);
    int64_t overall;
    if (store_report_overall_score(iv->report_json, &overall))
        bind_int(&b, overall);
    else
        bind_text(&b, NULL);
    bind_text(&b, iv->id);
    int changes = 0;
    enum store_err e = stmt_exec(q, ST_INTERVIEW_UPDATE, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err interview_list(struct sq *q, enum sq_stmt id, struct sq_bind *b,
                                     struct store_interview_list *out)
{
    void *items = NULL;
    size_t len = 0;
    enum store_err e =
        query_all(q, id, b, rd_interview, &items, &len, sizeof(struct store_interview));
    out->items = items;
    out->len = len;
    if (e != STORE_OK) store_interview_list_free(out);
    return e;
}

static enum store_err sq_interview_list_by_candidate(struct store *s, const char *candidate_id,
                                                     struct store_interview_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_INTERVIEW_LIST_BY_CANDIDATE);
    bind_text(&b, candidate_id);
    return interview_list(q, ST_INTERVIEW_LIST_BY_CANDIDATE, &b, out);
}

static enum store_err sq_interview_list_unreported(struct store *s,
                                                   struct store_interview_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_INTERVIEW_LIST_UNREPORTED);
    return interview_list(q, ST_INTERVIEW_LIST_UNREPORTED, &b, out);
}

/* ---- turns -------------------------------------------------------------------------- */

static enum store_err sq_turn_insert(struct store *s, const struct store_turn *t)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_TURN_INSERT);
    bind_text(&b, t->interview_id);
    bind_int(&b, t->idx);
    bind_text(&b, t->question_id);
    bind_text(&b, t->question_text);
    bind_text(&b, t->category);
    bind_text(&b, t->phase);
    bind_int(&b, t->difficulty);
    bind_text(&b, t->keywords);
    bind_text(&b, t->answer);
    bind_int(&b, t->asked_ms);
    bind_int(&b, t->answered_ms);
    bind_int(&b, t->score);
    bind_text(&b, t->feedback);
    bind_text(&b, t->scorer);
    bind_text(&b, t->flags);
    bind_text(&b, t->eval_status ? t->eval_status : "none");
    bind_text(&b, t->topic);
    return stmt_exec(q, ST_TURN_INSERT, &b, NULL);
}

static enum store_err sq_turn_answer(struct store *s, const char *interview_id, int idx,
                                     const char *answer, int64_t answered_ms)
{
    struct sq *q = sq_of(s);
    /* A NULL answer would leave the turn looking unanswered: the engine stores "" for an
     * empty answer. */
    assert(answer != NULL);
    struct sq_bind b = stmt_bind(q, ST_TURN_ANSWER);
    bind_text(&b, answer ? answer : "");
    bind_int(&b, answered_ms);
    bind_text(&b, interview_id);
    bind_int(&b, idx);
    int changes = 0;
    enum store_err e = stmt_exec(q, ST_TURN_ANSWER, &b, &changes);
    if (e != STORE_OK || changes == 1) return e;

    /* Nothing updated: either the turn is missing or it already has an answer (the
     * first answer wins; it is never overwritten). */
    b = stmt_bind(q, ST_TURN_EXISTS);
    bind_text(&b, interview_id);
    bind_int(&b, idx);
    e = query_one(q, ST_TURN_EXISTS, &b, NULL, NULL);
    return e == STORE_OK ? STORE_CONFLICT : e;
}

static enum store_err sq_turn_set_eval(struct store *s, const struct store_turn *t)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_TURN_SET_EVAL);
    bind_int(&b, t->score);
    bind_text(&b, t->feedback);
    bind_text(&b, t->scorer);
    bind_text(&b, t->flags);
    bind_text(&b, t->eval_status); /* NULL -> 'done' */
    bind_text(&b, t->interview_id);
    bind_int(&b, t->idx);
    int changes = 0;
    enum store_err e = stmt_exec(q, ST_TURN_SET_EVAL, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err turn_list(struct sq *q, enum sq_stmt id, struct sq_bind *b,
                                void (*read)(sqlite3_stmt *, void *), struct store_turn_list *out)
{
    void *items = NULL;
    size_t len = 0;
    enum store_err e = query_all(q, id, b, read, &items, &len, sizeof(struct store_turn));
    out->items = items;
    out->len = len;
    if (e != STORE_OK) store_turn_list_free(out);
    return e;
}

static enum store_err sq_turn_list(struct store *s, const char *interview_id,
                                   struct store_turn_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_TURN_LIST);
    bind_text(&b, interview_id);
    return turn_list(q, ST_TURN_LIST, &b, rd_turn, out);
}

static enum store_err sq_turn_list_asked_by_candidate(struct store *s, const char *candidate_id,
                                                      struct store_turn_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_TURN_LIST_ASKED);
    bind_text(&b, candidate_id);
    return turn_list(q, ST_TURN_LIST_ASKED, &b, rd_turn_asked, out);
}

static void rd_count(sqlite3_stmt *st, void *out)
{
    struct sq_row r = {st, 0};
    *(long *)out = (long)col_int64(&r);
}

static enum store_err sq_turn_count_asked_by_candidate(struct store *s, const char *candidate_id,
                                                       long *count)
{
    struct sq *q = sq_of(s);
    *count = 0;
    struct sq_bind b = stmt_bind(q, ST_TURN_COUNT_ASKED);
    bind_text(&b, candidate_id);
    enum store_err e = query_one(q, ST_TURN_COUNT_ASKED, &b, rd_count, count);
    return e == STORE_NOT_FOUND ? STORE_OK : e;
}

/* ---- call log and kv ---------------------------------------------------------------- */

static enum store_err sq_call_log_insert(struct store *s, const struct store_call *c)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_CALL_LOG_INSERT);
    bind_int(&b, c->ts_ms);
    bind_text(&b, c->task);
    bind_text(&b, c->provider);
    bind_text(&b, c->model);
    bind_text(&b, c->outcome);
    bind_int(&b, c->http_status);
    bind_int(&b, c->latency_ms);
    bind_int(&b, c->prompt_tokens);
    bind_int(&b, c->completion_tokens);
    return stmt_exec(q, ST_CALL_LOG_INSERT, &b, NULL);
}

static void rd_first_text(sqlite3_stmt *st, void *out)
{
    struct sq_row r = {st, 0};
    *(char **)out = col_text(&r);
}

static enum store_err sq_kv_get(struct store *s, const char *key, char **out)
{
    struct sq *q = sq_of(s);
    *out = NULL;
    struct sq_bind b = stmt_bind(q, ST_KV_GET);
    bind_text(&b, key);
    return query_one(q, ST_KV_GET, &b, rd_first_text, out);
}

static void rd_key(sqlite3_stmt *st, void *out)
{
    struct sq_row r = {st, 0};
    *(char **)out = col_text(&r);
}

static enum store_err sq_kv_list_prefix(struct store *s, const char *prefix,
                                        struct store_key_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_KV_LIST_PREFIX);
    bind_text(&b, prefix);
    return query_all(q, ST_KV_LIST_PREFIX, &b, rd_key, (void **)&out->keys, &out->len,
                     sizeof *out->keys);
}

static enum store_err sq_kv_put(struct store *s, const char *key, const char *value)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_KV_PUT);
    bind_text(&b, key);
    bind_text(&b, value);
    return stmt_exec(q, ST_KV_PUT, &b, NULL);
}

static enum store_err sq_kv_claim(struct store *s, const char *key, int64_t now_ms,
                                  int64_t stale_ms)
{
    struct sq *q = sq_of(s);
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)now_ms);
    struct sq_bind b = stmt_bind(q, ST_KV_CLAIM);
    bind_text(&b, key);
    bind_text(&b, v);
    bind_int(&b, now_ms - stale_ms);
    int changes = 0;
    enum store_err e = stmt_exec(q, ST_KV_CLAIM, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_CONFLICT;
    return e;
}

struct ledger_row {
    long requests, tokens;
};

static void rd_ledger(sqlite3_stmt *st, void *out)
{
    struct sq_row r = {st, 0};
    struct ledger_row *l = out;
    l->requests = (long)col_int64(&r);
    l->tokens = (long)col_int64(&r);
}

static enum store_err sq_ledger_add(struct store *s, const char *deployment, const char *day,
                                    long requests, long tokens)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_LEDGER_ADD);
    bind_text(&b, deployment);
    bind_text(&b, day);
    bind_int(&b, requests);
    bind_int(&b, tokens);
    return stmt_exec(q, ST_LEDGER_ADD, &b, NULL);
}

static enum store_err sq_ledger_get(struct store *s, const char *deployment, const char *day,
                                    long *requests, long *tokens)
{
    struct sq *q = sq_of(s);
    struct ledger_row row = {0, 0};
    struct sq_bind b = stmt_bind(q, ST_LEDGER_GET);
    bind_text(&b, deployment);
    bind_text(&b, day);
    enum store_err e = query_one(q, ST_LEDGER_GET, &b, rd_ledger, &row);
    *requests = row.requests;
    *tokens = row.tokens;
    return e;
}

/* ---- the operator console ------------------------------------------------------------ */

/* A row of the six aggregate columns every listing below selects: k1, k2, k3, n, m, sum. */
static void rd_agg(sqlite3_stmt *st, void *out)
{
    struct store_agg *a = out;
    struct sq_row r = {st, 0};
    a->k1 = col_text(&r);
    a->k2 = col_text(&r);
    a->k3 = col_text(&r);
    a->n = col_int64(&r);
    a->m = col_int64(&r);
    a->sum = sqlite3_column_double(st, r.i++);
}

static enum store_err agg_list(struct sq *q, enum sq_stmt id, struct sq_bind *b,
                               struct store_agg_list *out)
{
    void *items = NULL;
    size_t len = 0;
    enum store_err e = query_all(q, id, b, rd_agg, &items, &len, sizeof(struct store_agg));
    out->items = items;
    out->len = len;
    if (e != STORE_OK) store_agg_list_free(out);
    return e;
}

/* [from, to) with 0 meaning unbounded, as two bound parameters. */
static void bind_range(struct sq_bind *b, int64_t from_ms, int64_t to_ms)
{
    bind_int(b, from_ms > 0 ? from_ms : INT64_MIN);
    bind_int(b, to_ms > 0 ? to_ms : INT64_MAX);
}

static enum store_err sq_counter_add(struct store *s, const char *name, int64_t delta)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_COUNTER_ADD);
    bind_text(&b, name);
    bind_int(&b, delta);
    return stmt_exec(q, ST_COUNTER_ADD, &b, NULL);
}

static enum store_err sq_counter_list(struct store *s, struct store_agg_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_COUNTER_LIST);
    return agg_list(q, ST_COUNTER_LIST, &b, out);
}

static enum store_err sq_history_put(struct store *s, int64_t t_ms, const char *snapshot,
                                     int64_t keep_since_ms)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_HISTORY_PUT);
    bind_int(&b, t_ms);
    bind_text(&b, snapshot);
    enum store_err e = stmt_exec(q, ST_HISTORY_PUT, &b, NULL);
    if (e != STORE_OK) return e;
    b = stmt_bind(q, ST_HISTORY_PRUNE);
    bind_int(&b, keep_since_ms);
    return stmt_exec(q, ST_HISTORY_PRUNE, &b, NULL);
}

static enum store_err sq_history_list(struct store *s, int64_t since_ms, struct store_agg_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_HISTORY_LIST);
    bind_int(&b, since_ms);
    return agg_list(q, ST_HISTORY_LIST, &b, out);
}

static enum store_err sq_question_retire(struct store *s, const char *question_id,
                                         int64_t retired_ms)
{
    struct sq *q = sq_of(s);
    struct sq_bind b = stmt_bind(q, ST_QUESTION_RETIRE);
    bind_text(&b, question_id);
    bind_int(&b, retired_ms);
    return stmt_exec(q, ST_QUESTION_RETIRE, &b, NULL);
}

static enum store_err sq_question_retired_list(struct store *s, struct store_agg_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_QUESTION_RETIRED_LIST);
    return agg_list(q, ST_QUESTION_RETIRED_LIST, &b, out);
}

static void rd_interview_row(sqlite3_stmt *st, void *out)
{
    struct store_interview_row *w = out;
    struct sq_row r = {st, 0};
    w->id = col_text(&r);
    w->candidate_id = col_text(&r);
    w->candidate_name = col_text(&r);
    w->candidate_email = col_text(&r);
    w->role = col_text(&r);
    w->kind = col_text(&r);
    w->mode = col_text(&r);
    w->state = col_text(&r);
    w->created_ms = col_int64(&r);
    w->finished_ms = col_int64(&r);
    w->total_questions = col_int(&r);
    w->next_index = col_int(&r);
    w->overall_score = col_int(&r);
}

static void bind_filter(struct sq_bind *b, const struct store_interview_filter *f)
{
    bind_text(b, f->candidate);
    bind_text(b, f->role);
    bind_text(b, f->kind);
    bind_text(b, f->state);
    bind_range(b, f->from_ms, f->to_ms);
}

static enum store_err sq_interview_search(struct store *s, const struct store_interview_filter *f,
                                          struct store_interview_row_list *out, long *total)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    *total = 0;
    struct sq_bind b = stmt_bind(q, ST_INTERVIEW_SEARCH_COUNT);
    bind_filter(&b, f);
    enum store_err e = query_one(q, ST_INTERVIEW_SEARCH_COUNT, &b, rd_count, total);
    if (e != STORE_OK) return e;
    b = stmt_bind(q, ST_INTERVIEW_SEARCH);
    bind_filter(&b, f);
    bind_int(&b, f->limit);
    bind_int(&b, f->offset);
    void *items = NULL;
    size_t len = 0;
    e = query_all(q, ST_INTERVIEW_SEARCH, &b, rd_interview_row, &items, &len,
                  sizeof(struct store_interview_row));
    out->items = items;
    out->len = len;
    if (e != STORE_OK) store_interview_row_list_free(out);
    return e;
}

static enum store_err sq_interview_active_by_mode(struct store *s, struct store_agg_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_INTERVIEW_ACTIVE_BY_MODE);
    return agg_list(q, ST_INTERVIEW_ACTIVE_BY_MODE, &b, out);
}

static enum store_err sq_score_distribution(struct store *s, int64_t from_ms, int64_t to_ms,
                                            struct store_agg_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_SCORE_DISTRIBUTION);
    bind_range(&b, from_ms, to_ms);
    return agg_list(q, ST_SCORE_DISTRIBUTION, &b, out);
}

static enum store_err sq_question_usage(struct store *s, int64_t from_ms, int64_t to_ms, int limit,
                                        struct store_agg_list *out)
{
    struct sq *q = sq_of(s);
    memset(out, 0, sizeof *out);
    struct sq_bind b = stmt_bind(q, ST_QUESTION_USAGE);
    bind_range(&b, from_ms, to_ms);
    bind_int(&b, limit);
    return agg_list(q, ST_QUESTION_USAGE, &b, out);
}

/* ---- open / close ------------------------------------------------------------------- */

/* ---- group commit ------------------------------------------------------------------ */

/* sqlite3_wal_hook: runs after each commit's frames are in the WAL. Replacing SQLite's own
 * hook also turns off its automatic checkpoint, which would fsync on the loop. */
static int sq_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    struct sq *q = arg;
    sq_sync_committed(q->sync, pages);
    return SQLITE_OK;
}

static enum store_err sq_attach_loop(struct store *s, struct event_base *base)
{
    struct sq *q = sq_of(s);
    if (q->sync) return STORE_OK;
    const char *file = sqlite3_db_filename(q->db, "main");
    const char *wal = file && *file ? sqlite3_filename_wal(file) : NULL;
    char mode[16] = "";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!wal || strcmp(mode, "wal") != 0) {
        /* in memory (tests) or a file system without WAL: commits stay durable on return */
        log_info("store_group_commit_off", "backend=sqlite journal_mode=%s", mode);
        return STORE_OK;
    }
    char err[256];
    q->sync = sq_sync_start(base, file, wal, err, sizeof err);
    if (!q->sync) {
        log_error("store_error", "backend=sqlite op=attach_loop err=\"%s\"", err);
        return STORE_IO;
    }
    int rc = sqlite3_exec(q->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sq_sync_stop(q->sync);
        q->sync = NULL;
        return sq_fail(q, "attach_loop", rc);
    }
    sqlite3_busy_timeout(q->db, SQ_LOOP_BUSY_TIMEOUT_MS);
    sqlite3_wal_hook(q->db, sq_wal_hook, q);
    log_info("store_group_commit", "backend=sqlite wal=%s", wal);
    return STORE_OK;
}

static void sq_detach_loop(struct store *s)
{
    struct sq *q = sq_of(s);
    if (!q->sync) return;
    sqlite3_wal_hook(q->db, NULL, NULL);
    sq_sync_stop(q->sync); /* syncs every commit made so far and calls the waiters */
    q->sync = NULL;
    sqlite3_exec(q->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    sqlite3_busy_timeout(q->db, SQ_BUSY_TIMEOUT_MS);
    sqlite3_wal_autocheckpoint(q->db, 1000); /* SQLite's default */
}

static uint64_t sq_commit_seq(struct store *s)
{
    struct sq *q = sq_of(s);
    return q->sync ? sq_sync_commit_seq(q->sync) : 0;
}

static int sq_wait_durable(struct store *s, uint64_t seq, store_durable_fn fn, void *data)
{
    struct sq *q = sq_of(s);
    return q->sync ? sq_sync_wait(q->sync, seq, fn, data) : 1;
}

static void sq_sync_stats_of(struct store *s, struct store_sync_stats *out)
{
    struct sq *q = sq_of(s);
    if (q->sync) sq_sync_stats(q->sync, out);
}

static void sq_free(struct sq *q)
{
    if (!q) return;
    if (q->sync) {
        sqlite3_wal_hook(q->db, NULL, NULL);
        sq_sync_stop(q->sync);
        q->sync = NULL;
    }
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(q->stmt[i]);
    if (q->db) {
        /* Leave no transaction open: an uncommitted one is discarded, as documented. */
        if (!sqlite3_get_autocommit(q->db)) sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        int rc = sqlite3_close(q->db);
        if (rc != SQLITE_OK)
            log_error("store_error", "backend=sqlite op=close rc=%d err=\"%s\"", rc,
                      sqlite3_errstr(rc));
    }
    free(q->path);
    free(q);
}

static void sq_close(struct store *s)
{
    if (!s) return;
    sq_free(sq_of(s));
    free(s);
}

static const struct store_ops sq_ops = {
    .name = "sqlite",
    .caps = STORE_CAP_GROUP_COMMIT, /* one process owns the file (no STORE_CAP_SHARED) */
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .candidate_insert = sq_candidate_insert,
    .candidate_get = sq_candidate_get,
    .candidate_set_analysis = sq_candidate_set_analysis,
    .candidate_set_resume = sq_candidate_set_resume,
    .candidate_set_role = sq_candidate_set_role,
    .candidate_erase = sq_candidate_erase,
    .interview_insert = sq_interview_insert,
    .interview_get = sq_interview_get,
    .interview_update = sq_interview_update,
    .interview_list_by_candidate = sq_interview_list_by_candidate,
    .interview_list_unreported = sq_interview_list_unreported,
    .turn_insert = sq_turn_insert,
    .turn_answer = sq_turn_answer,
    .turn_set_eval = sq_turn_set_eval,
    .turn_list = sq_turn_list,
    .turn_list_asked_by_candidate = sq_turn_list_asked_by_candidate,
    .turn_count_asked_by_candidate = sq_turn_count_asked_by_candidate,
    .call_log_insert = sq_call_log_insert,
    .kv_get = sq_kv_get,
    .kv_put = sq_kv_put,
    .kv_list_prefix = sq_kv_list_prefix,
    .kv_claim = sq_kv_claim,
    .quota_ledger_add = sq_ledger_add,
    .quota_ledger_get = sq_ledger_get,
    .attach_loop = sq_attach_loop,
    .detach_loop = sq_detach_loop,
    .commit_seq = sq_commit_seq,
    .wait_durable = sq_wait_durable,
    .sync_stats = sq_sync_stats_of,
    .counter_add = sq_counter_add,
    .counter_list = sq_counter_list,
    .history_put = sq_history_put,
    .history_list = sq_history_list,
    .question_retire = sq_question_retire,
    .question_retired_list = sq_question_retired_list,
    .interview_search = sq_interview_search,
    .interview_active_by_mode = sq_interview_active_by_mode,
    .score_distribution = sq_score_distribution,
    .question_usage = sq_question_usage,
};

/* mkdir -p of the directory part of path. 0 or -1 with errno set. */
static int make_parent_dirs(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) { /* relative file in cwd, or directly under / */
        free(dir);
        return 0;
    }
    *slash = '\0';
    int rc = 0;
    for (char *p = dir + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, SQ_DIR_MODE) != 0 && errno != EEXIST) rc = -1;
        *p = c;
        if (c == '\0') break;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(dir, &st) != 0)
            rc = -1;
        else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = -1;
        }
    }
    free(dir);
    return rc;
}

/* Runs one statement that yields a single integer (or text) row, e.g. a PRAGMA. */
static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            if (out) *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Configures the connection. Returns SQLITE_OK or an error, with a sentence in err. */
static int configure(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, SQ_BUSY_TIMEOUT_MS);

    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        /* An in-memory database (tests) reports "memory"; anything else is a surprise. */
        if (mode && strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
            log_warn("store_wal_unavailable", "backend=sqlite journal_mode=%s", mode);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot use database %s: %s", path, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);

    int fk = 0;
    rc = pragma_int(db, "PRAGMA synchronous=FULL", NULL);
    if (rc == SQLITE_OK) rc = pragma_int(db, "PRAGMA foreign_keys=ON", NULL);
    /* A deleted resume or answer does not linger in a free page (candidate_erase). */
    if (rc == SQLITE_OK) rc = pragma_int(db, "PRAGMA secure_delete=ON", NULL);
    if (rc == SQLITE_OK) rc = pragma_int(db, "PRAGMA foreign_keys", &fk);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(db));
        return rc;
    }
    if (fk != 1) {
        snprintf(err, errlen, "cannot use database %s: this SQLite has no foreign key support",
                 path);
        return SQLITE_MISUSE;
    }
    return SQLITE_OK;
}

/* Applies the missing migration steps. Returns a store_err, with a sentence in err. */
static enum store_err migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    for (;;) {
        /* Read the version inside the write transaction so that two processes opening
         * the same file apply each step once. */
        int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        int have = 0;
        if (rc == SQLITE_OK) rc = pragma_int(db, "PRAGMA user_version", &have);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "cannot read the schema version of %s: %s", path,
                     sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return sq_map(rc);
        }
        if (have > SQ_SCHEMA_VERSION || have < 0) {
            snprintf(err, errlen,
                     "database %s has schema version %d but this interviewd knows only up to "
                     "%d: it was written by a newer interviewd; upgrade interviewd or restore "
                     "an older database",
                     path, have, SQ_SCHEMA_VERSION);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return STORE_CORRUPT;
        }
        if (have == SQ_SCHEMA_VERSION) {
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
            if (rc != SQLITE_OK) {
                snprintf(err, errlen, "cannot open database %s: %s", path, sqlite3_errmsg(db));
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
                return sq_map(rc);
            }
            return STORE_OK;
        }

        char set_version[48];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", have + 1);
        rc = sqlite3_exec(db, sq_migrations[have], NULL, NULL, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_exec(db, set_version, NULL, NULL, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "cannot migrate database %s to schema version %d: %s", path,
                     have + 1, sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return sq_map(rc) == STORE_OK ? STORE_IO : sq_map(rc);
        }
        log_info("store_migrated", "backend=sqlite from=%d to=%d", have, have + 1);
    }
}

/* A scratch database gives up durability for speed: no fsync, the journal in memory,
 * one process holding the lock for good (no fcntl per transaction). For the day
 * simulator, whose database is thrown away at the end of the run. */
int store_sqlite_make_scratch(struct store *s)
{
    struct sq *q = s->impl;
    int rc = sqlite3_exec(q->db,
                          "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; "
                          "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY",
                          NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : -1;
}

struct store *store_sqlite_open(const char *path, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (!path || !*path) {
        snprintf(err, errlen, "no database path given");
        return NULL;
    }

    int on_disk = strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0;
    if (on_disk) {
        if (make_parent_dirs(path) != 0) {
            snprintf(err, errlen, "cannot create the directory for database %s: %s", path,
                     strerror(errno));
            return NULL;
        }
        /* Create a new file ourselves so it is private from the first byte; SQLite gives
         * its -wal and -shm files the same mode. */
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, SQ_FILE_MODE);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open database %s: %s", path, strerror(errno));
            return NULL;
        }
        close(fd);
    }

    struct sq *q = xcalloc(1, sizeof *q);
    q->path = xstrdup(path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (!on_disk && strncmp(path, "file:", 5) == 0) flags |= SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(path, &q->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path,
                 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        sq_free(q);
        return NULL;
    }

    if (configure(q->db, path, err, errlen) != SQLITE_OK ||
        migrate(q->db, path, err, errlen) != STORE_OK) {
        sq_free(q);
        return NULL;
    }

    for (int i = 0; i < ST__COUNT; i++) {
        rc = sqlite3_prepare_v3(q->db, sq_sql[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[i],
                                NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "cannot prepare %s on database %s: %s", sq_sql[i].op, path,
                     sqlite3_errmsg(q->db));
            sq_free(q);
            return NULL;
        }
    }

    struct store *s = xcalloc(1, sizeof *s);
    s->ops = &sq_ops;
    s->impl = q;
    log_info("store_opened", "backend=sqlite path=%s schema=%d", path, SQ_SCHEMA_VERSION);
    return s;
}
