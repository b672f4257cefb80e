/* store/postgres: the PostgreSQL backend of struct store_ops, so that several interviewd
 * processes share one database and act as one service.
 *
 * Same tables, columns, NOT NULL rules and semantics as store/sqlite.c (its migrations are
 * the reference); the differences are only of type and are listed with the migration
 * below. One connection per handle; a call made outside store_begin()/store_commit() is
 * its own (implicit) transaction and is committed on the server when it returns.
 *
 * The one idea: a lost connection is repaired at most once per call, and only where that
 * cannot change what the caller is told. Before sending, the socket is polled: a server
 * that restarted or closed us while we were idle has left an EOF there, so the statement
 * was provably never sent and we reconnect (PQreset, then SET and re-PREPARE everything)
 * and send it. If the connection dies after the statement left, the outcome is unknown:
 * we resend only statements whose repetition is harmless (reads, updates that write
 * fixed values, the kv upsert, BEGIN); an INSERT, turn_answer or quota_ledger_add, whose
 * repetition could turn our own success into STORE_CONFLICT or count twice, returns
 * STORE_UNAVAILABLE instead. Inside a transaction nothing is reconnected or retried: the
 * server discarded it with the connection, so every call returns STORE_UNAVAILABLE until
 * the caller ends it (rollback succeeds), and no later statement of it can silently
 * autocommit on a new connection.
 *
 * Blocking: calls are synchronous, like the SQLite backend, because a statement on
 * loopback or a LAN takes ~0.1-1 ms and the engine already treats the store as a
 * synchronous commit point; a later change can move this onto the event loop (libpq's
 * PQsend and PQconsumeInput are already what we use). What we do not accept is an
 * unbounded wait: the connection is non-blocking and each round trip polls its socket
 * against a deadline (PG_STATEMENT_TIMEOUT_MS, which the server also enforces as
 * statement_timeout, plus PG_REPLY_GRACE_MS), and connecting is bounded by
 * connect_timeout. A dead or frozen server therefore costs at most those times and
 * yields STORE_UNAVAILABLE; the connection is then dropped so the server, when it wakes,
 * rolls back whatever we held, and the next call reconnects.
 *
 * Migrations: an ordered list of steps, counted by rows of schema_version. Opening takes
 * pg_advisory_xact_lock() and applies the missing steps each in its own transaction with
 * its schema_version row (PostgreSQL DDL is transactional), so processes starting
 * together migrate once; a database whose version is beyond this binary is refused.
 *
 * Errors map by SQLSTATE: 23503 (foreign key) -> STORE_NOT_FOUND, other class 23
 * (unique, not null) -> STORE_CONFLICT; 40001/40P01 (serialization, deadlock), 55P03
 * and 57014 (lock or statement timeout) -> STORE_BUSY; connection failures, shutdown and
 * authentication -> STORE_UNAVAILABLE; XX001/XX002 -> STORE_CORRUPT; the rest STORE_IO.
 * A log line carries the operation, SQLSTATE and the primary message only, never DETAIL
 * (which quotes whole rows) and not even the primary message for data exceptions (class
 * 22 quotes values): resumes and answers are private. The connection string may hold a
 * password and is never logged; lines name db, host and port instead.
 *
 * PostgreSQL aborts a whole transaction at its first failed statement (SQLite only undoes
 * the statement): after an error inside store_begin() every further statement fails
 * (STORE_IO) and store_commit() rolls back and returns STORE_IO. A failed COMMIT ends the
 * transaction; store_rollback() afterwards returns STORE_OK. The engine always rolls back
 * on any error, so it sees no difference. */
#include "store/store.h"

#include "store/schema.h"

#include "core/log.h"
#include "core/util.h"

#include <libpq-fe.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds libpq may take to (re)connect, as its connect_timeout (it rounds 1 up to 2). */
#define PG_CONNECT_TIMEOUT_S "3"
/* Server-side limit of one statement, lock waits included; like SQLite's busy timeout,
 * running into it is STORE_BUSY. */
#define PG_STATEMENT_TIMEOUT_MS 5000
/* How long past the statement timeout we wait for a reply before we call the server
 * unresponsive (STORE_UNAVAILABLE) and drop the connection. */
#define PG_REPLY_GRACE_MS 2000
/* A process that stalls inside a transaction loses it after this, releasing its locks. */
#define PG_IDLE_IN_TX_TIMEOUT_MS 60000
/* Statement limit while migrating: a second process waits this long for the first one's
 * migration lock, and a long future step (an index on a big table) has room. */
#define PG_MIGRATION_TIMEOUT_MS 60000
/* Key of the advisory lock that serialises migrations: "intervie" in ASCII. Advisory
 * locks are per database, so two databases on one server do not contend. */
#define PG_MIGRATION_LOCK_KEY INT64_C(7597137600481487205)
/* GENERATED ... AS IDENTITY needs PostgreSQL 10. */
#define PG_MIN_SERVER_VERSION 100000
/* Reads of an idle connection's socket before a statement, to find a server's goodbye. */
#define PG_IDLE_READ_ROUNDS 4
/* Most parameters of any statement (turn_insert). */
#define PG_MAX_PARAMS 24

/* ---- schema ----------------------------------------------------------------------- */

/* Migration steps; step i takes the schema version from i to i+1. Append only.
 *
 * Against sqlite.c's step 1 the differences are of type only: millisecond timestamps and
 * 64-bit counters are BIGINT, small numbers INTEGER (int4, as the struct fields are int);
 * call_log.id is an identity column; and key columns are COLLATE "C" so that ORDER BY id
 * and index order are byte order, as SQLite's BINARY collation is, whatever the
 * database's locale. */
static const char *const pg_migrations[] = {
    /* 1: the initial schema. */
    "CREATE TABLE candidates ("
    "  id              TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
    "  name            TEXT,"
    "  email           TEXT,"
    "  role            TEXT,"
    "  resume_text     TEXT,"
    "  resume_hash     TEXT,"
    "  token_hash      TEXT,"
    "  analysis_json   TEXT,"
    "  analysis_source TEXT,"
    "  created_ms      BIGINT NOT NULL"
    ");"
    "CREATE TABLE interviews ("
    "  id              TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
    "  candidate_id    TEXT COLLATE \"C\" NOT NULL"
    "                  REFERENCES candidates(id) ON DELETE CASCADE,"
    "  kind            TEXT NOT NULL,"
    "  mode            TEXT NOT NULL,"
    "  state           TEXT NOT NULL,"
    "  total_questions INTEGER NOT NULL,"
    "  next_index      INTEGER NOT NULL,"
    "  greeting        TEXT,"
    "  plan_json       TEXT,"
    "  report_json     TEXT,"
    "  created_ms      BIGINT NOT NULL,"
    "  finished_ms     BIGINT NOT NULL DEFAULT 0"
    ");"
    /* A candidate's interviews in order, and the join behind turn_list_asked_by_candidate. */
    "CREATE INDEX interviews_by_candidate ON interviews(candidate_id, created_ms, id);"
    /* Only the few finished-but-unreported rows, for the restart scan. */
    "CREATE INDEX interviews_unreported ON interviews(created_ms)"
    "  WHERE state = 'finished' AND report_json IS NULL;"
    /* The primary key (interview_id, idx) is also the index on interview_id. */
    "CREATE TABLE turns ("
    "  interview_id  TEXT COLLATE \"C\" NOT NULL"
    "                REFERENCES interviews(id) ON DELETE CASCADE,"
    "  idx           INTEGER NOT NULL,"
    "  question_id   TEXT NOT NULL,"
    "  question_text TEXT NOT NULL,"
    "  category      TEXT,"
    "  phase         TEXT,"
    "  difficulty    INTEGER NOT NULL DEFAULT 0,"
    "  keywords      TEXT,"
    "  answer        TEXT,"
    "  asked_ms      BIGINT NOT NULL,"
    "  answered_ms   BIGINT NOT NULL DEFAULT 0,"
    "  score         INTEGER NOT NULL DEFAULT 0,"
    "  feedback      TEXT,"
    "  scorer        TEXT,"
    "  flags         TEXT,"
    "  eval_status   TEXT NOT NULL DEFAULT 'none',"
    "  PRIMARY KEY (interview_id, idx)"
    ");"
    "CREATE INDEX turns_pending ON turns(interview_id) WHERE eval_status = 'pending';"
    "CREATE TABLE call_log ("
    "  id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  ts_ms             BIGINT NOT NULL,"
    "  task              TEXT NOT NULL,"
    "  provider          TEXT,"
    "  model             TEXT,"
    "  outcome           TEXT NOT NULL,"
    "  http_status       INTEGER NOT NULL DEFAULT 0,"
    "  latency_ms        BIGINT NOT NULL DEFAULT 0,"
    "  prompt_tokens     INTEGER NOT NULL DEFAULT 0,"
    "  completion_tokens INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX call_log_by_ts ON call_log(ts_ms);"
    "CREATE TABLE kv ("
    "  key   TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");"
    /* Filled by the router later: today's use per deployment survives a restart. */
    "CREATE TABLE quota_ledger ("
    "  deployment TEXT COLLATE \"C\" NOT NULL,"
    "  day        TEXT COLLATE \"C\" NOT NULL,"
    "  requests   BIGINT NOT NULL DEFAULT 0,"
    "  tokens     BIGINT NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (deployment, day)"
    ");",
    /* 2: the job description an interview practises for, and each question's topic. */
    "ALTER TABLE interviews ADD COLUMN job_description TEXT;"
    "ALTER TABLE turns ADD COLUMN topic TEXT;",
    /* 3: one profile per email (issue 15): the normalised address, unique. Profiles made
     * before keep NULL, which the index allows any number of times. */
    "ALTER TABLE candidates ADD COLUMN email_key TEXT COLLATE \"C\";"
    "CREATE UNIQUE INDEX candidates_by_email ON candidates(email_key);",
    /* 4: the operator console (issue 17); see sqlite.c's step 4. */
    "ALTER TABLE interviews ADD COLUMN overall_score INTEGER;"
    "UPDATE interviews SET overall_score = round((report_json::jsonb->>'overall_score')::numeric)"
    "  WHERE report_json IS NOT NULL AND report_json::jsonb ? 'overall_score';"
    "CREATE INDEX interviews_by_created ON interviews(created_ms, id);"
    "CREATE INDEX interviews_active ON interviews(mode) WHERE state = 'active';"
    "CREATE INDEX turns_by_asked ON turns(asked_ms);"
    "CREATE TABLE counters ("
    "  name  TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
    "  value BIGINT NOT NULL DEFAULT 0"
    ");"
    "INSERT INTO counters (name, value)"
    "  SELECT 'interviews_started.' || mode, COUNT(*) FROM interviews GROUP BY mode;"
    "INSERT INTO counters (name, value)"
    "  SELECT 'interviews_finished', COUNT(*) FROM interviews WHERE state <> 'active';"
    "INSERT INTO counters (name, value)"
    "  SELECT 'reports_ready', COUNT(*) FROM interviews WHERE report_json IS NOT NULL;"
    "CREATE TABLE stats_history ("
    "  t_ms     BIGINT NOT NULL PRIMARY KEY,"
    "  snapshot TEXT NOT NULL"
    ");"
    "CREATE TABLE retired_questions ("
    "  question_id TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,"
    "  retired_ms  BIGINT NOT NULL"
    ");",
};
#define PG_SCHEMA_VERSION ((int)ARRAY_LEN(pg_migrations))

/* One row per applied step; the schema version is max(version). Created under the
 * migration lock, so two first openers never both create it. */
#define PG_SCHEMA_VERSION_TABLE                                                                    \
    "CREATE TABLE schema_version ("                                                                \
    "  version    INTEGER NOT NULL PRIMARY KEY,"                                                   \
    "  applied_ms BIGINT NOT NULL"                                                                 \
    ")"

/* ---- statements ------------------------------------------------------------------- */

enum pg_stmt {
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
    ST_TURN_SET_EVAL,
    ST_TURN_LIST,
    ST_TURN_LIST_ASKED,
    ST_CALL_LOG_INSERT,
    ST_KV_GET,
    ST_KV_PUT,
    ST_LEDGER_ADD,
    ST_LEDGER_GET,
    ST_TURN_COUNT_ASKED,
    ST_KV_CLAIM,
    ST_CANDIDATE_SET_ROLE,
    ST_CANDIDATE_ERASE,
    ST_KV_LIST_PREFIX,
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

/* The admin list's filter: $1 candidate (id, or text in name or email), $2 role, $3 kind,
 * $4 state (NULL: any), $5 and $6 the created_ms range. */
#define PG_INTERVIEW_FILTER                                                                        \
    "FROM interviews AS i JOIN candidates AS c ON c.id = i.candidate_id "                          \
    "WHERE ($1::text IS NULL OR i.candidate_id = $1::text "                                        \
    "       OR strpos(lower(c.name), lower($1::text)) > 0 "                                        \
    "       OR strpos(lower(c.email), lower($1::text)) > 0) "                                      \
    "AND ($2::text IS NULL OR c.role = $2::text) AND ($3::text IS NULL OR i.kind = $3::text) "     \
    "AND ($4::text IS NULL OR i.state = $4::text) "                                                \
    "AND i.created_ms >= $5::bigint AND i.created_ms < $6::bigint "

/* The operation name (for logs), SQL, and whether resending after a connection lost
 * mid-flight is harmless (see the file comment). Parameters $1, $2, ... are bound in
 * order by the functions below. The server infers every parameter's type from its use. */
static const struct {
    const char *op;
    const char *sql;
    int retry;
} pg_sql[ST__COUNT] = {
    [ST_CANDIDATE_INSERT] = {"candidate_insert",
                             "INSERT INTO candidates (" STORE_CANDIDATE_COLS ") "
                             "VALUES (" STORE_CANDIDATE_PARAMS ")",
                             0},
    [ST_CANDIDATE_GET] = {"candidate_get",
                          "SELECT " STORE_CANDIDATE_COLS " FROM candidates WHERE id = $1", 1},
    [ST_CANDIDATE_SET_ANALYSIS] = {"candidate_set_analysis",
                                   "UPDATE candidates SET analysis_json = $1, "
                                   "analysis_source = $2 WHERE id = $3",
                                   1},
    [ST_CANDIDATE_SET_RESUME] = {"candidate_set_resume",
                                 "UPDATE candidates SET resume_text = $1, resume_hash = $2, "
                                 "analysis_json = $3, analysis_source = $4 WHERE id = $5",
                                 1},
    [ST_INTERVIEW_INSERT] = {"interview_insert",
                             "INSERT INTO interviews (" STORE_INTERVIEW_COLS ") "
                             "VALUES (" STORE_INTERVIEW_PARAMS ")",
                             0},
    [ST_INTERVIEW_GET] = {"interview_get",
                          "SELECT " STORE_INTERVIEW_COLS " FROM interviews WHERE id = $1", 1},
    [ST_INTERVIEW_UPDATE] = {"interview_update",
                             "UPDATE interviews SET mode = $1, state = $2, next_index = $3, "
                             "report_json = $4, finished_ms = $5, overall_score = $6 "
                             "WHERE id = $7",
                             1},
    [ST_INTERVIEW_LIST_BY_CANDIDATE] = {"interview_list_by_candidate",
                                        "SELECT " STORE_INTERVIEW_COLS " FROM interviews "
                                        "WHERE candidate_id = $1 ORDER BY created_ms, id",
                                        1},
    [ST_INTERVIEW_LIST_UNREPORTED] = {"interview_list_unreported",
                                      "SELECT " STORE_INTERVIEW_COLS " FROM interviews "
                                      "WHERE state = 'finished' AND report_json IS NULL "
                                      "UNION "
                                      "SELECT " STORE_INTERVIEW_COLS " FROM interviews "
                                      "WHERE id IN (SELECT interview_id FROM turns "
                                      "             WHERE eval_status = 'pending') "
                                      "ORDER BY created_ms, id",
                                      1},
    [ST_TURN_INSERT] = {"turn_insert",
                        "INSERT INTO turns (" STORE_TURN_COLS ") "
                        "VALUES (" STORE_TURN_PARAMS ")",
                        0},
    /* One statement, one snapshot: the UPDATE takes the row lock (a concurrent answer
     * from another process waits, then finds answer set and updates nothing) and EXISTS
     * tells a missing turn (NOT_FOUND) from an answered one (CONFLICT). */
    [ST_TURN_ANSWER] = {"turn_answer",
                        "WITH answered AS ("
                        "  UPDATE turns SET answer = $1, answered_ms = $2, "
                        "  eval_status = 'pending' "
                        "  WHERE interview_id = $3 AND idx = $4 AND answer IS NULL "
                        "  RETURNING 1) "
                        "SELECT (SELECT count(*) FROM answered), "
                        "EXISTS (SELECT 1 FROM turns WHERE interview_id = $3 AND idx = $4)",
                        0},
    [ST_TURN_SET_EVAL] = {"turn_set_eval",
                          "UPDATE turns SET score = $1, feedback = $2, scorer = $3, flags = $4, "
                          "eval_status = COALESCE($5, 'done') "
                          "WHERE interview_id = $6 AND idx = $7",
                          1},
    [ST_TURN_LIST] = {"turn_list",
                      "SELECT " STORE_TURN_COLS " FROM turns WHERE interview_id = $1 ORDER BY idx",
                      1},
    /* Only what the question picker needs: answers stay where they are. */
    [ST_TURN_LIST_ASKED] = {"turn_list_asked_by_candidate",
                            "SELECT " STORE_TURN_ASKED_COLS " "
                            "FROM interviews AS i JOIN turns AS t ON t.interview_id = i.id "
                            "WHERE i.candidate_id = $1 "
                            "ORDER BY i.created_ms, i.id, t.idx",
                            1},
    [ST_CALL_LOG_INSERT] = {"call_log_insert",
                            "INSERT INTO call_log (" STORE_CALL_LOG_COLS ") "
                            "VALUES (" STORE_CALL_LOG_PARAMS ")",
                            0},
    [ST_KV_GET] = {"kv_get", "SELECT value FROM kv WHERE key = $1", 1},
    [ST_KV_PUT] = {"kv_put",
                   "INSERT INTO kv (key, value) VALUES ($1, $2) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   1},
    /* An increment: resending it after an unknown outcome could count twice. */
    [ST_LEDGER_ADD] = {"quota_ledger_add",
                       "INSERT INTO quota_ledger AS l (deployment, day, requests, tokens) "
                       "VALUES ($1, $2, $3, $4) ON CONFLICT (deployment, day) DO UPDATE SET "
                       "requests = l.requests + excluded.requests, "
                       "tokens = l.tokens + excluded.tokens",
                       0},
    [ST_LEDGER_GET] = {"quota_ledger_get",
                       "SELECT requests, tokens FROM quota_ledger "
                       "WHERE deployment = $1 AND day = $2",
                       1},
    /* A claim: resending after an unknown outcome could make us lose our own claim
     * (then nobody does the work until it is stale), so not repeat-safe. */
    [ST_KV_CLAIM] = {"kv_claim",
                     "INSERT INTO kv AS k (key, value) VALUES ($1, $2) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value "
                     "WHERE CAST(k.value AS BIGINT) < $3",
                     0},
    [ST_TURN_COUNT_ASKED] = {"turn_count_asked_by_candidate",
                             "SELECT COUNT(*) FROM interviews AS i JOIN turns AS t "
                             "ON t.interview_id = i.id WHERE i.candidate_id = $1",
                             1},
    [ST_CANDIDATE_SET_ROLE] = {"candidate_set_role",
                               "UPDATE candidates SET role = $1, analysis_json = $2, "
                               "analysis_source = $3 WHERE id = $4",
                               1},
    /* One statement, one snapshot: the kv rows naming the candidate or one of their
     * interviews (matched before the cascade removes the interviews), and the candidate
     * with its interviews and turns (ON DELETE CASCADE). Not resent: a resend after an
     * unknown outcome would answer NOT_FOUND for an erasure that happened. */
    [ST_CANDIDATE_ERASE] = {"candidate_erase",
                            "WITH k AS (DELETE FROM kv WHERE strpos(key, $1) > 0 OR EXISTS ("
                            "  SELECT 1 FROM interviews AS i WHERE i.candidate_id = $1 "
                            "  AND strpos(kv.key, i.id) > 0)), "
                            "c AS (DELETE FROM candidates WHERE id = $1 RETURNING 1) "
                            "SELECT count(*) FROM c",
                            0},
    [ST_KV_LIST_PREFIX] = {"kv_list_prefix",
                           "SELECT key FROM kv WHERE left(key, length($1)) = $1 "
                           "ORDER BY key LIMIT 100000",
                           1},
    /* An increment: resending it after an unknown outcome could count twice. */
    [ST_COUNTER_ADD] = {"counter_add",
                        "INSERT INTO counters AS k (name, value) VALUES ($1, $2) "
                        "ON CONFLICT (name) DO UPDATE SET value = k.value + excluded.value",
                        0},
    [ST_COUNTER_LIST] = {"counter_list",
                         "SELECT name, NULL, NULL, value, 0, 0 FROM counters ORDER BY name", 1},
    [ST_HISTORY_PUT] = {"history_put",
                        "INSERT INTO stats_history (t_ms, snapshot) VALUES ($1, $2) "
                        "ON CONFLICT (t_ms) DO UPDATE SET snapshot = excluded.snapshot",
                        1},
    [ST_HISTORY_PRUNE] = {"history_put", "DELETE FROM stats_history WHERE t_ms < $1", 1},
    [ST_HISTORY_LIST] = {"history_list",
                         "SELECT snapshot, NULL, NULL, t_ms, 0, 0 FROM stats_history "
                         "WHERE t_ms >= $1 ORDER BY t_ms",
                         1},
    [ST_QUESTION_RETIRE] = {"question_retire",
                            "INSERT INTO retired_questions (question_id, retired_ms) "
                            "VALUES ($1, $2) ON CONFLICT (question_id) DO NOTHING",
                            1},
    [ST_QUESTION_RETIRED_LIST] = {"question_retired_list",
                                  "SELECT question_id, NULL, NULL, retired_ms, 0, 0 "
                                  "FROM retired_questions ORDER BY question_id",
                                  1},
    [ST_INTERVIEW_SEARCH] = {"interview_search",
                             "SELECT i.id, i.candidate_id, c.name, c.email, c.role, i.kind, "
                             "i.mode, i.state, i.created_ms, i.finished_ms, i.total_questions, "
                             "i.next_index, COALESCE(i.overall_score, -1) " PG_INTERVIEW_FILTER
                             "ORDER BY i.created_ms DESC, i.id DESC LIMIT $7 OFFSET $8",
                             1},
    [ST_INTERVIEW_SEARCH_COUNT] = {"interview_search", "SELECT COUNT(*) " PG_INTERVIEW_FILTER, 1},
    [ST_INTERVIEW_ACTIVE_BY_MODE] = {"interview_active_by_mode",
                                     "SELECT mode, NULL, NULL, COUNT(*), 0, 0 FROM interviews "
                                     "WHERE state = 'active' GROUP BY mode ORDER BY mode",
                                     1},
    [ST_SCORE_DISTRIBUTION] = {"score_distribution",
                               "SELECT c.role, i.kind, NULL, COUNT(*), "
                               "LEAST(i.overall_score / 10, 9) AS bucket, SUM(i.overall_score) "
                               "FROM interviews AS i JOIN candidates AS c "
                               "ON c.id = i.candidate_id "
                               "WHERE i.overall_score IS NOT NULL "
                               "AND i.created_ms >= $1 AND i.created_ms < $2 "
                               "GROUP BY c.role, i.kind, bucket ORDER BY 1, 2, 5",
                               1},
    [ST_QUESTION_USAGE] = {"question_usage",
                           "SELECT question_id, NULL, NULL, COUNT(*), "
                           "SUM(CASE WHEN score > 0 THEN 1 ELSE 0 END), SUM(score) "
                           "FROM turns WHERE asked_ms >= $1 AND asked_ms < $2 "
                           "GROUP BY question_id ORDER BY COUNT(*) DESC, question_id LIMIT $3",
                           1},
};

/* Backend state behind struct store.impl. */
struct pg {
    PGconn *conn;    /* the one connection; NULL after an unresponsive server made us drop it */
    int broken;      /* conn was lost: PQreset it before the next statement */
    int in_tx;       /* between a successful begin and commit/rollback */
    char *conninfo;  /* as given: may hold a password, never logged, wiped at close */
    char where[256]; /* "db=... host=... port=..." for log lines and errors */
};

static struct pg *pg_of(struct store *s)
{
    return s->impl;
}

/* ---- messages and errors ----------------------------------------------------------- */

/* Copies the first line of a libpq or server message into out, usable inside a quoted
 * log value: '"' becomes '\'', control characters become spaces. Only the first line:
 * libpq appends DETAIL lines, which can quote row content. */
static void msg_line(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    if (!in) in = "";
    for (; *in && *in != '\n' && n + 1 < outlen; in++) {
        unsigned char c = (unsigned char)*in;
        out[n++] = c == '"' ? '\'' : c < 0x20 ? ' ' : (char)c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    if (outlen) out[n] = '\0';
}

/* The loggable message of an error or notice result. */
static void res_message(const PGresult *res, char *out, size_t outlen)
{
    const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (st && strncmp(st, "22", 2) == 0) {
        /* Data exceptions ("invalid input syntax ... \"<value>\"", bad UTF-8 bytes) quote
         * the value they choked on, which is row content. */
        msg_line("data exception (message withheld: it may quote row content)", out, outlen);
        return;
    }
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    /* No primary field: an error libpq made itself, which quotes no row. */
    msg_line(primary ? primary : PQresultErrorMessage(res), out, outlen);
}

static enum store_err pg_map_sqlstate(const char *st)
{
    if (!st || strlen(st) != 5) return STORE_IO;
    if (strcmp(st, "23503") == 0) return STORE_NOT_FOUND;       /* foreign_key_violation */
    if (strncmp(st, "23", 2) == 0) return STORE_CONFLICT;       /* unique, not null, check */
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || /* serialization, deadlock */
        strcmp(st, "55P03") == 0 || strcmp(st, "57014") == 0)   /* lock / statement timeout */
        return STORE_BUSY;
    if ((strncmp(st, "08", 2) == 0 && strcmp(st, "08P01") != 0) || /* connection exception */
        strncmp(st, "28", 2) == 0 ||                               /* authorization */
        strcmp(st, "3D000") == 0 ||                                /* no such database */
        strcmp(st, "53300") == 0 ||                                /* too many connections */
        strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||    /* shutdown, crash */
        strcmp(st, "57P03") == 0 || strcmp(st, "57P05") == 0 ||    /* starting, idle timeout */
        strcmp(st, "25P03") == 0)                                  /* idle in tx timeout */
        return STORE_UNAVAILABLE;
    if (strcmp(st, "XX001") == 0 || strcmp(st, "XX002") == 0) return STORE_CORRUPT;
    return STORE_IO; /* disk full, syntax (a bug), failed transaction, ... */
}

/* Logs a failed statement (SQLSTATE and primary message only) and maps it. */
static enum store_err pg_fail_result(const char *op, const PGresult *res)
{
    const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    enum store_err e = pg_map_sqlstate(st);
    char msg[256];
    res_message(res, msg, sizeof msg);
    /* A conflict is usually a caller's race (a double-submitted answer), not a fault. */
    enum log_level level = e == STORE_CONFLICT || e == STORE_NOT_FOUND ? LOG_WARN : LOG_ERROR;
    log_emit(level, "store_error", "backend=postgres op=%s sqlstate=%s result=\"%s\" err=\"%s\"",
             op, st ? st : "none", store_strerror(e), msg);
    return e;
}

/* Notices and warnings (and a FATAL that arrives while idle) go to our log, not to
 * libpq's default of printing on stderr. */
static void pg_notice(void *arg, const PGresult *res)
{
    (void)arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    char msg[256];
    res_message(res, msg, sizeof msg);
    int loud = sev && (strcmp(sev, "WARNING") == 0 || strcmp(sev, "ERROR") == 0 ||
                       strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0);
    log_emit(loud ? LOG_WARN : LOG_DEBUG, "store_notice",
             "backend=postgres severity=%s sqlstate=%s msg=\"%s\"", sev ? sev : "none",
             st ? st : "none", msg);
}

/* ---- one round trip ---------------------------------------------------------------- */

/* Parameters of one statement, in order; integers are sent as decimal text. */
struct pg_bind {
    const char *v[PG_MAX_PARAMS]; /* values; NULL is SQL NULL */
    char num[PG_MAX_PARAMS][24];  /* storage for the text of integer values */
    int n;                        /* parameters bound so far */
};

static void bind_text(struct pg_bind *b, const char *s)
{
    assert(b->n < PG_MAX_PARAMS);
    b->v[b->n++] = s;
}

static void bind_int(struct pg_bind *b, int64_t v)
{
    assert(b->n < PG_MAX_PARAMS);
    snprintf(b->num[b->n], sizeof b->num[b->n], "%" PRId64, v);
    b->v[b->n] = b->num[b->n];
    b->n++;
}

enum pg_req_kind { REQ_SIMPLE, REQ_PREPARE, REQ_EXEC };

/* What to send. */
struct pg_req {
    enum pg_req_kind kind;
    const char *op;          /* operation name for log lines */
    const char *name;        /* statement name (REQ_PREPARE, REQ_EXEC) */
    const char *sql;         /* REQ_SIMPLE (may hold several statements), REQ_PREPARE */
    const struct pg_bind *b; /* REQ_EXEC parameters */
    int retry;               /* harmless to resend after a loss mid-flight */
    int timeout_ms;          /* the server-side limit in force; 0: PG_STATEMENT_TIMEOUT_MS */
};

/* How a round trip ended. */
enum pg_io {
    IO_OK,       /* a result arrived (it may be an error result) */
    IO_NOT_SENT, /* the connection was found lost before the request left */
    IO_LOST,     /* the connection died after the request left: outcome unknown */
    IO_TIMEOUT,  /* no reply by the deadline: the server is unresponsive */
    IO_FAILED,   /* libpq refused the request for another reason */
};

/* Real monotonic time, not clock_mono_ms(): the simulator's virtual clock must not
 * stretch or shrink a socket deadline. */
static int64_t pg_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the socket is readable (or writable, for_write) or the deadline.
 * 1 ready, 0 deadline passed, -1 error. */
static int pg_wait(PGconn *c, int for_write, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - pg_mono_ms();
        if (left <= 0) return 0;
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN | (for_write ? POLLOUT : 0)};
        if (p.fd < 0) return -1;
        int rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (rc > 0) return 1;
        if (rc < 0 && errno != EINTR) return -1;
    }
}

static int res_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

/* Sends r on c and collects its result into *out (the first error result, else the last
 * result: a simple query may hold several statements). Bounded by the reply deadline. */
static enum pg_io pg_roundtrip(PGconn *c, const struct pg_req *r, PGresult **out)
{
    *out = NULL;
    int sent = 0;
    switch (r->kind) {
    case REQ_SIMPLE:
        sent = PQsendQuery(c, r->sql);
        break;
    case REQ_PREPARE:
        sent = PQsendPrepare(c, r->name, r->sql, 0, NULL);
        break;
    case REQ_EXEC:
        sent = PQsendQueryPrepared(c, r->name, r->b->n, r->b->v, NULL, NULL, 0);
        break;
    }
    if (!sent) return PQstatus(c) == CONNECTION_OK ? IO_FAILED : IO_NOT_SENT;

    int timeout = r->timeout_ms > 0 ? r->timeout_ms : PG_STATEMENT_TIMEOUT_MS;
    int64_t deadline = pg_mono_ms() + timeout + PG_REPLY_GRACE_MS;
    int f;
    while ((f = PQflush(c)) == 1) { /* a large resume may not fit the socket buffer */
        int w = pg_wait(c, 1, deadline);
        if (w == 0) return IO_TIMEOUT;
        if (w < 0 || !PQconsumeInput(c)) return IO_LOST;
    }
    if (f < 0) return IO_LOST;

    PGresult *keep = NULL;
    for (;;) {
        while (PQisBusy(c)) {
            int w = pg_wait(c, 0, deadline);
            if (w <= 0 || !PQconsumeInput(c)) {
                PQclear(keep);
                return w == 0 ? IO_TIMEOUT : IO_LOST;
            }
        }
        PGresult *res = PQgetResult(c);
        if (!res) break;
        if (keep && !res_ok(keep)) {
            PQclear(res);
        } else {
            PQclear(keep);
            keep = res;
        }
    }
    /* A result followed by the connection's death (no ReadyForQuery) is not a commit. */
    if (PQstatus(c) != CONNECTION_OK || !keep) {
        PQclear(keep);
        return PQstatus(c) != CONNECTION_OK ? IO_LOST : IO_FAILED;
    }
    *out = keep;
    return IO_OK;
}

/* Closes the connection now, so a frozen server that wakes up finds it gone and rolls
 * back whatever it held for us. The next call connects afresh. */
static void pg_drop(struct pg *q)
{
    PQfinish(q->conn);
    q->conn = NULL;
    q->broken = 0;
}

/* Whether the connection can take a statement now. A server that closed it while we
 * were idle (restart, idle timeout, crash) has left its FATAL and an EOF in the socket;
 * reading them here tells us before we send anything. */
static int pg_alive(struct pg *q)
{
    if (!q->conn || q->broken || PQstatus(q->conn) != CONNECTION_OK) return 0;
    /* One read takes the FATAL, the next finds the EOF behind it; a few rounds suffice
     * (a chatty server cannot keep us here). */
    for (int round = 0; round < PG_IDLE_READ_ROUNDS; round++) {
        struct pollfd p = {.fd = PQsocket(q->conn), .events = POLLIN};
        if (p.fd < 0 || (poll(&p, 1, 0) > 0 &&
                         (!PQconsumeInput(q->conn) || PQstatus(q->conn) != CONNECTION_OK))) {
            q->broken = 1;
            return 0;
        }
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) break;
    }
    return 1;
}

/* One round trip with no reconnect or retry, for opening and session setup. On failure
 * logs and writes the reason (no row content) into msg. */
static enum store_err pg_once(struct pg *q, const struct pg_req *r, PGresult **out, char *msg,
                              size_t msglen)
{
    PGresult *res = NULL;
    if (out) *out = NULL;
    if (!q->conn || q->broken) {
        msg_line("the connection to the server was lost", msg, msglen);
        return STORE_UNAVAILABLE;
    }
    enum pg_io io = pg_roundtrip(q->conn, r, &res);
    enum store_err e = STORE_OK;
    switch (io) {
    case IO_OK:
        if (!res_ok(res)) {
            e = pg_fail_result(r->op, res);
            const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            char m[192];
            res_message(res, m, sizeof m);
            snprintf(msg, msglen, "%s (SQLSTATE %s)", m, st ? st : "none");
            PQclear(res);
        } else if (out) {
            *out = res;
        } else {
            PQclear(res);
        }
        return e;
    case IO_TIMEOUT:
        snprintf(msg, msglen, "no reply from the server within %d ms",
                 (r->timeout_ms > 0 ? r->timeout_ms : PG_STATEMENT_TIMEOUT_MS) + PG_REPLY_GRACE_MS);
        pg_drop(q);
        e = STORE_UNAVAILABLE;
        break;
    case IO_NOT_SENT:
    case IO_LOST:
        msg_line(PQerrorMessage(q->conn), msg, msglen);
        q->broken = 1;
        e = STORE_UNAVAILABLE;
        break;
    case IO_FAILED:
        msg_line(PQerrorMessage(q->conn), msg, msglen);
        e = STORE_IO;
        break;
    }
    log_error("store_error", "backend=postgres op=%s result=\"%s\" err=\"%s\"", r->op,
              store_strerror(e), msg);
    return e;
}

/* A simple (unprepared) query through pg_once. */
static enum store_err pg_simple(struct pg *q, const char *op, const char *sql, int timeout_ms,
                                PGresult **out, char *msg, size_t msglen)
{
    struct pg_req r = {.kind = REQ_SIMPLE, .op = op, .sql = sql, .timeout_ms = timeout_ms};
    return pg_once(q, &r, out, msg, msglen);
}

static void stmt_name(enum pg_stmt id, char *out, size_t outlen)
{
    snprintf(out, outlen, "interviewd_%d", (int)id);
}

/* PQprepare()s every statement on the current connection; on failure msg names it. */
static enum store_err pg_prepare_all(struct pg *q, char *msg, size_t msglen)
{
    for (int i = 0; i < ST__COUNT; i++) {
        char name[32];
        char why[192];
        stmt_name((enum pg_stmt)i, name, sizeof name);
        struct pg_req r = {
            .kind = REQ_PREPARE, .op = pg_sql[i].op, .name = name, .sql = pg_sql[i].sql};
        enum store_err e = pg_once(q, &r, NULL, why, sizeof why);
        if (e != STORE_OK) {
            snprintf(msg, msglen, "cannot prepare %s: %s", pg_sql[i].op, why);
            return e;
        }
    }
    return STORE_OK;
}

/* Makes a new connection usable: our notice receiver, non-blocking sends, the session's
 * timeouts and (prepare) every statement. A prepared statement lives as long as its
 * session, so this runs after every (re)connect. */
static enum store_err pg_session_init(struct pg *q, int prepare, char *msg, size_t msglen)
{
    PQsetNoticeReceiver(q->conn, pg_notice, NULL);
    if (PQserverVersion(q->conn) < PG_MIN_SERVER_VERSION) {
        snprintf(msg, msglen, "the server is PostgreSQL %d; interviewd needs %d or newer",
                 PQserverVersion(q->conn), PG_MIN_SERVER_VERSION);
        return STORE_UNAVAILABLE;
    }
    if (PQsetnonblocking(q->conn, 1) != 0) {
        msg_line(PQerrorMessage(q->conn), msg, msglen);
        return STORE_IO;
    }
    char set[160];
    snprintf(set, sizeof set,
             "SET statement_timeout = %d; SET idle_in_transaction_session_timeout = %d",
             PG_STATEMENT_TIMEOUT_MS, PG_IDLE_IN_TX_TIMEOUT_MS);
    enum store_err e = pg_simple(q, "session", set, 0, NULL, msg, msglen);
    if (e == STORE_OK && prepare) e = pg_prepare_all(q, msg, msglen);
    return e;
}

static PGconn *pg_connect(const char *conninfo)
{
    /* Keywords are applied in order and the expanded dbname (the caller's conninfo)
     * overrides those before it: the caller may change connect_timeout or the
     * application name, but the encoding is ours. */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                                "client_encoding", NULL};
    const char *const vals[] = {PG_CONNECT_TIMEOUT_S, "interviewd", conninfo, "UTF8", NULL};
    return PQconnectdbParams(keys, vals, 1);
}

/* Replaces a lost or dropped connection and sets it up again. */
static enum store_err pg_reconnect(struct pg *q, const char *op)
{
    char msg[256];
    if (q->conn)
        PQreset(q->conn);
    else
        q->conn = pg_connect(q->conninfo);
    q->broken = 0;
    if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
        msg_line(q->conn ? PQerrorMessage(q->conn) : "out of memory", msg, sizeof msg);
        q->broken = 1;
        log_error("store_error", "backend=postgres op=%s %s result=\"%s\" err=\"reconnect: %s\"",
                  op, q->where, store_strerror(STORE_UNAVAILABLE), msg);
        return STORE_UNAVAILABLE;
    }
    enum store_err e = pg_session_init(q, 1, msg, sizeof msg);
    if (e != STORE_OK) {
        /* Half set up (statements missing) is worse than not connected. */
        log_error("store_error", "backend=postgres op=%s %s result=\"%s\" err=\"reconnect: %s\"",
                  op, q->where, store_strerror(e), msg);
        if (q->conn) pg_drop(q);
        return e == STORE_OK ? STORE_UNAVAILABLE : e;
    }
    log_info("store_reconnected", "backend=postgres op=%s %s", op, q->where);
    return STORE_OK;
}

/* Runs one request for an operation: reconnects once when the connection is lost and no
 * transaction is open, resends only when that is provably or harmlessly safe (see the
 * file comment). On STORE_OK *out holds the result (caller PQclear()s). */
static enum store_err pg_request(struct pg *q, const struct pg_req *r, PGresult **out)
{
    *out = NULL;
    int reconnected = 0;
    for (;;) {
        if (!pg_alive(q)) {
            if (q->in_tx || reconnected) {
                log_error("store_error",
                          "backend=postgres op=%s result=\"%s\" err=\"connection lost%s\"", r->op,
                          store_strerror(STORE_UNAVAILABLE),
                          q->in_tx ? " inside a transaction; it was rolled back" : "");
                return STORE_UNAVAILABLE;
            }
            reconnected = 1;
            enum store_err e = pg_reconnect(q, r->op);
            if (e != STORE_OK) return e;
        }

        PGresult *res = NULL;
        enum pg_io io = pg_roundtrip(q->conn, r, &res);
        if (io == IO_OK) {
            if (res_ok(res)) {
                *out = res;
                return STORE_OK;
            }
            enum store_err e = pg_fail_result(r->op, res);
            PQclear(res);
            return e;
        }

        char msg[256];
        if (io == IO_FAILED) {
            msg_line(PQerrorMessage(q->conn), msg, sizeof msg);
            log_error("store_error", "backend=postgres op=%s result=\"%s\" err=\"%s\"", r->op,
                      store_strerror(STORE_IO), msg);
            return STORE_IO;
        }
        if (io == IO_TIMEOUT) {
            int timeout = r->timeout_ms > 0 ? r->timeout_ms : PG_STATEMENT_TIMEOUT_MS;
            log_error("store_error",
                      "backend=postgres op=%s %s result=\"%s\" err=\"no reply within %d ms; "
                      "connection dropped\"",
                      r->op, q->where, store_strerror(STORE_UNAVAILABLE),
                      timeout + PG_REPLY_GRACE_MS);
            pg_drop(q);
            return STORE_UNAVAILABLE;
        }

        /* IO_NOT_SENT or IO_LOST */
        msg_line(PQerrorMessage(q->conn), msg, sizeof msg);
        q->broken = 1;
        int again = !q->in_tx && !reconnected && (io == IO_NOT_SENT || r->retry);
        log_warn("store_connection_lost",
                 "backend=postgres op=%s %s sent=%d in_tx=%d retry=%d err=\"%s\"", r->op, q->where,
                 io == IO_LOST, q->in_tx, again, msg);
        if (!again) {
            log_error("store_error", "backend=postgres op=%s result=\"%s\" err=\"%s\"", r->op,
                      store_strerror(STORE_UNAVAILABLE),
                      q->in_tx ? "connection lost inside a transaction; it was rolled back"
                               : "connection lost after sending; outcome unknown, not resent");
            return STORE_UNAVAILABLE;
        }
    }
}

/* ---- statements --------------------------------------------------------------------- */

static enum store_err stmt_run(struct pg *q, enum pg_stmt id, const struct pg_bind *b,
                               PGresult **res)
{
    char name[32];
    stmt_name(id, name, sizeof name);
    struct pg_req r = {
        .kind = REQ_EXEC, .op = pg_sql[id].op, .name = name, .b = b, .retry = pg_sql[id].retry};
    return pg_request(q, &r, res);
}

/* Runs a statement that returns no rows. *changes (if given) gets the rows it touched. */
static enum store_err stmt_exec(struct pg *q, enum pg_stmt id, const struct pg_bind *b,
                                long *changes)
{
    PGresult *res = NULL;
    enum store_err e = stmt_run(q, id, b, &res);
    if (e == STORE_OK && changes) *changes = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return e;
}

/* Reads columns 0, 1, ... of one row in order. */
struct pg_row {
    const PGresult *res; /* a TUPLES_OK result */
    int row;             /* row number */
    int i;               /* next column */
};

/* A malloc'd copy of the next column, NULL for SQL NULL. */
static char *col_text(struct pg_row *r)
{
    int i = r->i++;
    if (PQgetisnull(r->res, r->row, i)) return NULL;
    return xstrndup(PQgetvalue(r->res, r->row, i), (size_t)PQgetlength(r->res, r->row, i));
}

static int64_t col_int64(struct pg_row *r)
{
    int i = r->i++;
    if (PQgetisnull(r->res, r->row, i)) return 0;
    return strtoll(PQgetvalue(r->res, r->row, i), NULL, 10);
}

static int col_int(struct pg_row *r)
{
    return (int)col_int64(r);
}

static void read_candidate(const PGresult *res, int row, void *out)
{
    struct store_candidate *c = out;
    struct pg_row r = {res, row, 0};
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

static void read_interview(const PGresult *res, int row, void *out)
{
    struct store_interview *iv = out;
    struct pg_row r = {res, row, 0};
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

static void read_turn(const PGresult *res, int row, void *out)
{
    struct store_turn *t = out;
    struct pg_row r = {res, row, 0};
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
static void read_turn_asked(const PGresult *res, int row, void *out)
{
    struct store_turn *t = out;
    struct pg_row r = {res, row, 0};
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

static void read_first_text(const PGresult *res, int row, void *out)
{
    struct pg_row r = {res, row, 0};
    *(char **)out = col_text(&r);
}

typedef void pg_reader(const PGresult *res, int row, void *out);

/* Runs a query expected to return at most one row, read into out by read.
 * STORE_NOT_FOUND when there is none. */
static enum store_err query_one(struct pg *q, enum pg_stmt id, const struct pg_bind *b,
                                pg_reader *read, void *out)
{
    PGresult *res = NULL;
    enum store_err e = stmt_run(q, id, b, &res);
    if (e == STORE_OK) {
        if (PQntuples(res) > 0)
            read(res, 0, out);
        else
            e = STORE_NOT_FOUND;
    }
    PQclear(res);
    return e;
}

/* Runs a query and reads every row (of item_size bytes) into a new array *items. */
static enum store_err query_all(struct pg *q, enum pg_stmt id, const struct pg_bind *b,
                                pg_reader *read, void **items, size_t *len, size_t item_size)
{
    PGresult *res = NULL;
    *items = NULL;
    *len = 0;
    enum store_err e = stmt_run(q, id, b, &res);
    if (e == STORE_OK) {
        int n = PQntuples(res);
        if (n > 0) *items = xcalloc((size_t)n, item_size);
        for (int row = 0; row < n; row++)
            read(res, row, (char *)*items + (size_t)row * item_size);
        *len = (size_t)n;
    }
    PQclear(res);
    return e;
}

/* ---- transactions ------------------------------------------------------------------- */

static enum store_err pg_begin(struct store *s)
{
    struct pg *q = pg_of(s);
    if (q->in_tx) {
        log_error("store_error", "backend=postgres op=begin err=\"transaction already open\"");
        return STORE_IO;
    }
    /* READ COMMITTED whatever the server's default: a concurrent turn_answer must wait
     * for the row and then see the other answer (CONFLICT), not fail to serialize. */
    struct pg_req r = {.kind = REQ_SIMPLE,
                       .op = "begin",
                       .sql = "BEGIN ISOLATION LEVEL READ COMMITTED",
                       .retry = 1};
    PGresult *res = NULL;
    enum store_err e = pg_request(q, &r, &res);
    PQclear(res);
    if (e == STORE_OK) q->in_tx = 1;
    return e;
}

/* Ends the open transaction with ROLLBACK; a lost connection has already ended it. */
static enum store_err pg_end_tx(struct pg *q, const char *op)
{
    q->in_tx = 0;
    if (!pg_alive(q)) return STORE_OK; /* the server discarded it with the connection */
    struct pg_req r = {.kind = REQ_SIMPLE, .op = op, .sql = "ROLLBACK"};
    PGresult *res = NULL;
    enum pg_io io = pg_roundtrip(q->conn, &r, &res);
    enum store_err e = STORE_OK;
    if (io == IO_OK && !res_ok(res)) e = pg_fail_result(op, res);
    if (io == IO_FAILED) e = STORE_IO;
    if (io == IO_NOT_SENT || io == IO_LOST) q->broken = 1;
    if (io == IO_TIMEOUT) pg_drop(q);
    PQclear(res);
    return e;
}

/* A failed COMMIT ends the transaction in PostgreSQL (unlike SQLite): store_rollback()
 * afterwards has nothing to do and returns STORE_OK. */
static enum store_err pg_commit(struct store *s)
{
    struct pg *q = pg_of(s);
    if (!q->in_tx) {
        log_error("store_error", "backend=postgres op=commit err=\"no transaction is open\"");
        return STORE_IO;
    }
    if (q->conn && !q->broken && PQtransactionStatus(q->conn) == PQTRANS_INERROR) {
        /* COMMIT would answer "ROLLBACK" without an error: say it out loud. */
        pg_end_tx(q, "commit");
        log_error("store_error",
                  "backend=postgres op=commit result=\"%s\" err=\"a statement in "
                  "the transaction failed; it was rolled back\"",
                  store_strerror(STORE_IO));
        return STORE_IO;
    }
    struct pg_req r = {.kind = REQ_SIMPLE, .op = "commit", .sql = "COMMIT"};
    PGresult *res = NULL;
    enum store_err e = pg_request(q, &r, &res);
    q->in_tx = 0;
    if (e == STORE_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        log_error("store_error",
                  "backend=postgres op=commit result=\"%s\" err=\"server "
                  "answered %s\"",
                  store_strerror(STORE_IO), PQcmdStatus(res));
        e = STORE_IO;
    }
    PQclear(res);
    return e;
}

static enum store_err pg_rollback(struct store *s)
{
    struct pg *q = pg_of(s);
    if (!q->in_tx) return STORE_OK; /* never begun, or already ended by a failed commit */
    return pg_end_tx(q, "rollback");
}

/* ---- candidates --------------------------------------------------------------------- */

static enum store_err pg_candidate_insert(struct store *s, const struct store_candidate *c)
{
    struct pg_bind b = {.n = 0};
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
    return stmt_exec(pg_of(s), ST_CANDIDATE_INSERT, &b, NULL);
}

static enum store_err pg_candidate_get(struct store *s, const char *id, struct store_candidate *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_text(&b, id);
    return query_one(pg_of(s), ST_CANDIDATE_GET, &b, read_candidate, out);
}

static enum store_err pg_candidate_set_analysis(struct store *s, const char *id,
                                                const char *analysis_json, const char *source)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, analysis_json);
    bind_text(&b, source);
    bind_text(&b, id);
    long changes = 0;
    enum store_err e = stmt_exec(pg_of(s), ST_CANDIDATE_SET_ANALYSIS, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err pg_candidate_set_resume(struct store *s, const char *id,
                                              const char *resume_text, const char *resume_hash,
                                              const char *analysis_json, const char *source)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, resume_text);
    bind_text(&b, resume_hash);
    bind_text(&b, analysis_json);
    bind_text(&b, source);
    bind_text(&b, id);
    long changes = 0;
    enum store_err e = stmt_exec(pg_of(s), ST_CANDIDATE_SET_RESUME, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

/* ---- interviews --------------------------------------------------------------------- */

static enum store_err pg_interview_insert(struct store *s, const struct store_interview *iv)
{
    struct pg_bind b = {.n = 0};
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
    return stmt_exec(pg_of(s), ST_INTERVIEW_INSERT, &b, NULL);
}

static enum store_err pg_interview_get(struct store *s, const char *id, struct store_interview *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_text(&b, id);
    return query_one(pg_of(s), ST_INTERVIEW_GET, &b, read_interview, out);
}

static enum store_err pg_interview_update(struct store *s, const struct store_interview *iv)
{
    struct pg_bind b = {.n = 0};
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
    long changes = 0;
    enum store_err e = stmt_exec(pg_of(s), ST_INTERVIEW_UPDATE, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err interview_list(struct pg *q, enum pg_stmt id, const struct pg_bind *b,
                                     struct store_interview_list *out)
{
    void *items = NULL;
    size_t len = 0;
    enum store_err e =
        query_all(q, id, b, read_interview, &items, &len, sizeof(struct store_interview));
    out->items = items;
    out->len = len;
    return e;
}

static enum store_err pg_interview_list_by_candidate(struct store *s, const char *candidate_id,
                                                     struct store_interview_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_text(&b, candidate_id);
    return interview_list(pg_of(s), ST_INTERVIEW_LIST_BY_CANDIDATE, &b, out);
}

static enum store_err pg_interview_list_unreported(struct store *s,
                                                   struct store_interview_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    return interview_list(pg_of(s), ST_INTERVIEW_LIST_UNREPORTED, &b, out);
}

/* ---- turns -------------------------------------------------------------------------- */

static enum store_err pg_turn_insert(struct store *s, const struct store_turn *t)
{
    struct pg_bind b = {.n = 0};
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
    return stmt_exec(pg_of(s), ST_TURN_INSERT, &b, NULL);
}

static enum store_err pg_turn_answer(struct store *s, const char *interview_id, int idx,
                                     const char *answer, int64_t answered_ms)
{
    /* A NULL answer would leave the turn looking unanswered: the engine stores "" for an
     * empty answer. */
    assert(answer != NULL);
    struct pg_bind b = {.n = 0};
    bind_text(&b, answer ? answer : "");
    bind_int(&b, answered_ms);
    bind_text(&b, interview_id);
    bind_int(&b, idx);
    PGresult *res = NULL;
    enum store_err e = stmt_run(pg_of(s), ST_TURN_ANSWER, &b, &res);
    if (e != STORE_OK) return e;
    if (PQntuples(res) != 1 || PQnfields(res) != 2) {
        log_error("store_error", "backend=postgres op=turn_answer err=\"unexpected result shape\"");
        e = STORE_IO;
    } else if (strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
        /* Nothing updated: either the turn is missing or it already has an answer (the
         * first answer wins; it is never overwritten). */
        e = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? STORE_CONFLICT : STORE_NOT_FOUND;
    }
    PQclear(res);
    return e;
}

static enum store_err pg_turn_set_eval(struct store *s, const struct store_turn *t)
{
    struct pg_bind b = {.n = 0};
    bind_int(&b, t->score);
    bind_text(&b, t->feedback);
    bind_text(&b, t->scorer);
    bind_text(&b, t->flags);
    bind_text(&b, t->eval_status); /* NULL -> 'done' */
    bind_text(&b, t->interview_id);
    bind_int(&b, t->idx);
    long changes = 0;
    enum store_err e = stmt_exec(pg_of(s), ST_TURN_SET_EVAL, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err turn_list(struct pg *q, enum pg_stmt id, const struct pg_bind *b,
                                pg_reader *read, struct store_turn_list *out)
{
    void *items = NULL;
    size_t len = 0;
    enum store_err e = query_all(q, id, b, read, &items, &len, sizeof(struct store_turn));
    out->items = items;
    out->len = len;
    return e;
}

static enum store_err pg_turn_list(struct store *s, const char *interview_id,
                                   struct store_turn_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_text(&b, interview_id);
    return turn_list(pg_of(s), ST_TURN_LIST, &b, read_turn, out);
}

static enum store_err pg_turn_list_asked_by_candidate(struct store *s, const char *candidate_id,
                                                      struct store_turn_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_text(&b, candidate_id);
    return turn_list(pg_of(s), ST_TURN_LIST_ASKED, &b, read_turn_asked, out);
}

/* ---- call log and kv ---------------------------------------------------------------- */

static enum store_err pg_call_log_insert(struct store *s, const struct store_call *c)
{
    struct pg_bind b = {.n = 0};
    bind_int(&b, c->ts_ms);
    bind_text(&b, c->task);
    bind_text(&b, c->provider);
    bind_text(&b, c->model);
    bind_text(&b, c->outcome);
    bind_int(&b, c->http_status);
    bind_int(&b, c->latency_ms);
    bind_int(&b, c->prompt_tokens);
    bind_int(&b, c->completion_tokens);
    return stmt_exec(pg_of(s), ST_CALL_LOG_INSERT, &b, NULL);
}

static enum store_err pg_kv_get(struct store *s, const char *key, char **out)
{
    *out = NULL;
    struct pg_bind b = {.n = 0};
    bind_text(&b, key);
    return query_one(pg_of(s), ST_KV_GET, &b, read_first_text, out);
}

static enum store_err pg_kv_put(struct store *s, const char *key, const char *value)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, key);
    bind_text(&b, value);
    return stmt_exec(pg_of(s), ST_KV_PUT, &b, NULL);
}

/* ---- quota ledger ------------------------------------------------------------------- */

/* One ledger row as read. */
struct ledger_row {
    long requests; /* requests counted for the day */
    long tokens;   /* tokens counted for the day */
};

static void read_ledger(const PGresult *res, int row, void *out)
{
    struct ledger_row *l = out;
    struct pg_row r = {res, row, 0};
    l->requests = (long)col_int64(&r);
    l->tokens = (long)col_int64(&r);
}

static enum store_err pg_ledger_add(struct store *s, const char *deployment, const char *day,
                                    long requests, long tokens)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, deployment);
    bind_text(&b, day);
    bind_int(&b, requests);
    bind_int(&b, tokens);
    return stmt_exec(pg_of(s), ST_LEDGER_ADD, &b, NULL);
}

static enum store_err pg_ledger_get(struct store *s, const char *deployment, const char *day,
                                    long *requests, long *tokens)
{
    struct ledger_row row = {0, 0};
    struct pg_bind b = {.n = 0};
    bind_text(&b, deployment);
    bind_text(&b, day);
    enum store_err e = query_one(pg_of(s), ST_LEDGER_GET, &b, read_ledger, &row);
    *requests = row.requests;
    *tokens = row.tokens;
    return e;
}

static enum store_err pg_kv_claim(struct store *s, const char *key, int64_t now_ms,
                                  int64_t stale_ms)
{
    struct pg_bind b = {.n = 0};
    char v[32], old[32];
    snprintf(v, sizeof v, "%lld", (long long)now_ms);
    snprintf(old, sizeof old, "%lld", (long long)(now_ms - stale_ms));
    bind_text(&b, key);
    bind_text(&b, v);
    bind_text(&b, old);
    long changes = 0;
    enum store_err e = stmt_exec(pg_of(s), ST_KV_CLAIM, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_CONFLICT;
    return e;
}

static void read_count(const PGresult *res, int row, void *out)
{
    struct pg_row r = {res, row, 0};
    *(long *)out = (long)col_int64(&r);
}

static enum store_err pg_turn_count_asked_by_candidate(struct store *s, const char *candidate_id,
                                                       long *count)
{
    struct pg_bind b = {.n = 0};
    *count = 0;
    bind_text(&b, candidate_id);
    enum store_err e = query_one(pg_of(s), ST_TURN_COUNT_ASKED, &b, read_count, count);
    return e == STORE_NOT_FOUND ? STORE_OK : e;
}

static enum store_err pg_candidate_set_role(struct store *s, const char *id, const char *role,
                                            const char *analysis_json, const char *source)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, role);
    bind_text(&b, analysis_json);
    bind_text(&b, source);
    bind_text(&b, id);
    long changes = 0;
    enum store_err e = stmt_exec(pg_of(s), ST_CANDIDATE_SET_ROLE, &b, &changes);
    if (e == STORE_OK && changes == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err pg_candidate_erase(struct store *s, const char *id)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, id);
    long erased = 0;
    enum store_err e = query_one(pg_of(s), ST_CANDIDATE_ERASE, &b, read_count, &erased);
    if (e == STORE_OK && erased == 0) e = STORE_NOT_FOUND;
    return e;
}

static enum store_err pg_kv_list_prefix(struct store *s, const char *prefix,
                                        struct store_key_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_text(&b, prefix);
    return query_all(pg_of(s), ST_KV_LIST_PREFIX, &b, read_first_text, (void **)&out->keys,
                     &out->len, sizeof *out->keys);
}

/* ---- the operator console ------------------------------------------------------------ */

/* A row of the six aggregate columns every listing below selects: k1, k2, k3, n, m, sum. */
static void read_agg(const PGresult *res, int row, void *out)
{
    struct store_agg *a = out;
    struct pg_row r = {res, row, 0};
    a->k1 = col_text(&r);
    a->k2 = col_text(&r);
    a->k3 = col_text(&r);
    a->n = col_int64(&r);
    a->m = col_int64(&r);
    a->sum = PQgetisnull(res, row, r.i) ? 0 : strtod(PQgetvalue(res, row, r.i), NULL);
}

static enum store_err agg_list(struct pg *q, enum pg_stmt id, const struct pg_bind *b,
                               struct store_agg_list *out)
{
    void *items = NULL;
    size_t len = 0;
    enum store_err e = query_all(q, id, b, read_agg, &items, &len, sizeof(struct store_agg));
    out->items = items;
    out->len = len;
    if (e != STORE_OK) store_agg_list_free(out);
    return e;
}

/* [from, to) with 0 meaning unbounded, as two bound parameters. */
static void bind_range(struct pg_bind *b, int64_t from_ms, int64_t to_ms)
{
    bind_int(b, from_ms > 0 ? from_ms : INT64_MIN);
    bind_int(b, to_ms > 0 ? to_ms : INT64_MAX);
}

static enum store_err pg_counter_add(struct store *s, const char *name, int64_t delta)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, name);
    bind_int(&b, delta);
    return stmt_exec(pg_of(s), ST_COUNTER_ADD, &b, NULL);
}

static enum store_err pg_counter_list(struct store *s, struct store_agg_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    return agg_list(pg_of(s), ST_COUNTER_LIST, &b, out);
}

static enum store_err pg_history_put(struct store *s, int64_t t_ms, const char *snapshot,
                                     int64_t keep_since_ms)
{
    struct pg_bind b = {.n = 0};
    bind_int(&b, t_ms);
    bind_text(&b, snapshot);
    enum store_err e = stmt_exec(pg_of(s), ST_HISTORY_PUT, &b, NULL);
    if (e != STORE_OK) return e;
    b = (struct pg_bind){.n = 0};
    bind_int(&b, keep_since_ms);
    return stmt_exec(pg_of(s), ST_HISTORY_PRUNE, &b, NULL);
}

static enum store_err pg_history_list(struct store *s, int64_t since_ms, struct store_agg_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_int(&b, since_ms);
    return agg_list(pg_of(s), ST_HISTORY_LIST, &b, out);
}

static enum store_err pg_question_retire(struct store *s, const char *question_id,
                                         int64_t retired_ms)
{
    struct pg_bind b = {.n = 0};
    bind_text(&b, question_id);
    bind_int(&b, retired_ms);
    return stmt_exec(pg_of(s), ST_QUESTION_RETIRE, &b, NULL);
}

static enum store_err pg_question_retired_list(struct store *s, struct store_agg_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    return agg_list(pg_of(s), ST_QUESTION_RETIRED_LIST, &b, out);
}

static void read_interview_row(const PGresult *res, int row, void *out)
{
    struct store_interview_row *w = out;
    struct pg_row r = {res, row, 0};
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

static void bind_filter(struct pg_bind *b, const struct store_interview_filter *f)
{
    bind_text(b, f->candidate);
    bind_text(b, f->role);
    bind_text(b, f->kind);
    bind_text(b, f->state);
    bind_range(b, f->from_ms, f->to_ms);
}

static enum store_err pg_interview_search(struct store *s, const struct store_interview_filter *f,
                                          struct store_interview_row_list *out, long *total)
{
    memset(out, 0, sizeof *out);
    *total = 0;
    struct pg_bind b = {.n = 0};
    bind_filter(&b, f);
    enum store_err e = query_one(pg_of(s), ST_INTERVIEW_SEARCH_COUNT, &b, read_count, total);
    if (e != STORE_OK) return e;
    bind_int(&b, f->limit);
    bind_int(&b, f->offset);
    void *items = NULL;
    size_t len = 0;
    e = query_all(pg_of(s), ST_INTERVIEW_SEARCH, &b, read_interview_row, &items, &len,
                  sizeof(struct store_interview_row));
    out->items = items;
    out->len = len;
    if (e != STORE_OK) store_interview_row_list_free(out);
    return e;
}

static enum store_err pg_interview_active_by_mode(struct store *s, struct store_agg_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    return agg_list(pg_of(s), ST_INTERVIEW_ACTIVE_BY_MODE, &b, out);
}

static enum store_err pg_score_distribution(struct store *s, int64_t from_ms, int64_t to_ms,
                                            struct store_agg_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_range(&b, from_ms, to_ms);
    return agg_list(pg_of(s), ST_SCORE_DISTRIBUTION, &b, out);
}

static enum store_err pg_question_usage(struct store *s, int64_t from_ms, int64_t to_ms, int limit,
                                        struct store_agg_list *out)
{
    memset(out, 0, sizeof *out);
    struct pg_bind b = {.n = 0};
    bind_range(&b, from_ms, to_ms);
    bind_int(&b, limit);
    return agg_list(pg_of(s), ST_QUESTION_USAGE, &b, out);
}

/* ---- open / close ------------------------------------------------------------------- */

static void pg_free(struct pg *q)
{
    if (!q) return;
    /* Closing the connection discards an open transaction on the server, as documented. */
    PQfinish(q->conn);
    if (q->conninfo) {
        explicit_bzero(q->conninfo, strlen(q->conninfo));
        free(q->conninfo);
    }
    free(q);
}

static void pg_close(struct store *s)
{
    if (!s) return;
    pg_free(pg_of(s));
    free(s);
}

static const struct store_ops pg_ops = {
    .name = "postgres",
    .caps = STORE_CAP_SHARED,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .candidate_insert = pg_candidate_insert,
    .candidate_get = pg_candidate_get,
    .candidate_set_analysis = pg_candidate_set_analysis,
    .candidate_set_resume = pg_candidate_set_resume,
    .interview_insert = pg_interview_insert,
    .interview_get = pg_interview_get,
    .interview_update = pg_interview_update,
    .interview_list_by_candidate = pg_interview_list_by_candidate,
    .interview_list_unreported = pg_interview_list_unreported,
    .turn_insert = pg_turn_insert,
    .turn_answer = pg_turn_answer,
    .turn_set_eval = pg_turn_set_eval,
    .turn_list = pg_turn_list,
    .turn_list_asked_by_candidate = pg_turn_list_asked_by_candidate,
    .call_log_insert = pg_call_log_insert,
    .kv_get = pg_kv_get,
    .kv_put = pg_kv_put,
    .quota_ledger_add = pg_ledger_add,
    .quota_ledger_get = pg_ledger_get,
    .turn_count_asked_by_candidate = pg_turn_count_asked_by_candidate,
    .kv_claim = pg_kv_claim,
    .candidate_set_role = pg_candidate_set_role,
    .candidate_erase = pg_candidate_erase,
    .kv_list_prefix = pg_kv_list_prefix,
    .counter_add = pg_counter_add,
    .counter_list = pg_counter_list,
    .history_put = pg_history_put,
    .history_list = pg_history_list,
    .question_retire = pg_question_retire,
    .question_retired_list = pg_question_retired_list,
    .interview_search = pg_interview_search,
    .interview_active_by_mode = pg_interview_active_by_mode,
    .score_distribution = pg_score_distribution,
    .question_usage = pg_question_usage,
};

/* Applies the missing migration steps, each in its own transaction under the migration
 * lock. Returns a store_err, with a sentence in err. */
static enum store_err migrate(struct pg *q, char *err, size_t errlen)
{
    char lock[96];
    snprintf(lock, sizeof lock,
             "SET LOCAL statement_timeout = %d; SELECT pg_advisory_xact_lock(%" PRId64 ")",
             PG_MIGRATION_TIMEOUT_MS, PG_MIGRATION_LOCK_KEY);
    const int t = PG_MIGRATION_TIMEOUT_MS;
    char msg[256] = "";
    char junk[256];
    for (;;) {
        /* Read the version under the lock so that processes opening together apply each
         * step once; the lock is released by COMMIT/ROLLBACK. */
        PGresult *res = NULL;
        int have = -1;
        enum store_err e = pg_simple(q, "migrate", "BEGIN ISOLATION LEVEL READ COMMITTED", t, NULL,
                                     msg, sizeof msg);
        if (e == STORE_OK) e = pg_simple(q, "migrate", lock, t, NULL, msg, sizeof msg);
        if (e == STORE_OK)
            e = pg_simple(q, "migrate", "SELECT to_regclass('schema_version') IS NULL", t, &res,
                          msg, sizeof msg);
        if (e == STORE_OK) {
            int missing = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
            PQclear(res);
            res = NULL;
            if (missing)
                e = pg_simple(q, "migrate", PG_SCHEMA_VERSION_TABLE, t, NULL, msg, sizeof msg);
        }
        if (e == STORE_OK)
            e = pg_simple(q, "migrate", "SELECT COALESCE(max(version), 0) FROM schema_version", t,
                          &res, msg, sizeof msg);
        if (e == STORE_OK) {
            if (PQntuples(res) == 1) have = atoi(PQgetvalue(res, 0, 0));
            PQclear(res);
        }
        if (e != STORE_OK) {
            snprintf(err, errlen, "cannot read the schema version of %s: %s", q->where, msg);
            pg_simple(q, "migrate", "ROLLBACK", t, NULL, junk, sizeof junk);
            return e;
        }
        if (have > PG_SCHEMA_VERSION || have < 0) {
            snprintf(err, errlen,
                     "database %s has schema version %d but this interviewd knows only up to "
                     "%d: it was written by a newer interviewd; upgrade interviewd or restore "
                     "an older database",
                     q->where, have, PG_SCHEMA_VERSION);
            pg_simple(q, "migrate", "ROLLBACK", t, NULL, junk, sizeof junk);
            return STORE_CORRUPT;
        }
        if (have == PG_SCHEMA_VERSION) {
            e = pg_simple(q, "migrate", "COMMIT", t, NULL, msg, sizeof msg);
            if (e != STORE_OK) snprintf(err, errlen, "cannot open database %s: %s", q->where, msg);
            return e;
        }

        char record[160];
        snprintf(record, sizeof record,
                 "INSERT INTO schema_version (version, applied_ms) VALUES "
                 "(%d, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
                 have + 1);
        e = pg_simple(q, "migrate", pg_migrations[have], t, NULL, msg, sizeof msg);
        if (e == STORE_OK) e = pg_simple(q, "migrate", record, t, NULL, msg, sizeof msg);
        if (e == STORE_OK) e = pg_simple(q, "migrate", "COMMIT", t, &res, msg, sizeof msg);
        if (e == STORE_OK) {
            if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
                snprintf(msg, sizeof msg, "the server answered %s", PQcmdStatus(res));
                e = STORE_IO;
            }
            PQclear(res);
        }
        if (e != STORE_OK) {
            snprintf(err, errlen, "cannot migrate database %s to schema version %d: %s", q->where,
                     have + 1, msg);
            pg_simple(q, "migrate", "ROLLBACK", t, NULL, junk, sizeof junk);
            return e;
        }
        log_info("store_migrated", "backend=postgres %s from=%d to=%d", q->where, have, have + 1);
    }
}

struct store *store_postgres_open(const char *conninfo, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (!conninfo) {
        snprintf(err, errlen, "no PostgreSQL connection string given");
        return NULL;
    }

    struct pg *q = xcalloc(1, sizeof *q);
    q->conninfo = xstrdup(conninfo);
    snprintf(q->where, sizeof q->where, "db=?");
    q->conn = pg_connect(conninfo);
    if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
        char msg[256];
        msg_line(q->conn ? PQerrorMessage(q->conn) : "out of memory", msg, sizeof msg);
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
        log_error("store_error", "backend=postgres op=open result=\"%s\" err=\"%s\"",
                  store_strerror(STORE_UNAVAILABLE), msg);
        pg_free(q);
        return NULL;
    }
    snprintf(q->where, sizeof q->where, "db=%s host=%s port=%s", PQdb(q->conn), PQhost(q->conn),
             PQport(q->conn));

    char msg[256] = "";
    if (pg_session_init(q, 0, msg, sizeof msg) != STORE_OK) {
        snprintf(err, errlen, "cannot use PostgreSQL database %s: %s", q->where, msg);
        pg_free(q);
        return NULL;
    }
    if (migrate(q, err, errlen) != STORE_OK) {
        pg_free(q);
        return NULL;
    }
    if (pg_prepare_all(q, msg, sizeof msg) != STORE_OK) {
        snprintf(err, errlen, "cannot use PostgreSQL database %s: %s", q->where, msg);
        pg_free(q);
        return NULL;
    }

    struct store *s = xcalloc(1, sizeof *s);
    s->ops = &pg_ops;
    s->impl = q;
    log_info("store_opened", "backend=postgres %s schema=%d server=%d", q->where, PG_SCHEMA_VERSION,
             PQserverVersion(q->conn));
    return s;
}
