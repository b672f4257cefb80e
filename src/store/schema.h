/* store/schema: the columns of each table that the backends read and write whole, named
 * once for SQLite's and PostgreSQL's SQL.
 *
 * Each table is a list of COL(position, column) entries joined by SEP. STORE_COLS turns
 * a list into "a, b, c" for INSERT and SELECT, STORE_QMARKS into SQLite's "?, ?, ?" and
 * STORE_PARAMS into PostgreSQL's "$1, $2, $3", so an INSERT's placeholders always match
 * its columns. The order is the order in which the backends bind an INSERT's values
 * (sq_*_insert, pg_*_insert) and decode a SELECT's row (read_* in each backend).
 *
 * Adding a column: a new migration step in each backend (the CREATE TABLE statements
 * are shipped steps and never change), one COL entry here, and its bind and decode in
 * each backend. */
#ifndef INTERVIEWD_STORE_SCHEMA_H
#define INTERVIEWD_STORE_SCHEMA_H

#define STORE_CANDIDATE_COLUMNS(COL, SEP)                                                          \
    COL(1, id)                                                                                     \
    SEP COL(2, name)                                                                               \
    SEP COL(3, email)                                                                              \
    SEP COL(4, role)                                                                               \
    SEP COL(5, resume_text)                                                                        \
    SEP COL(6, resume_hash)                                                                        \
    SEP COL(7, token_hash)                                                                         \
    SEP COL(8, analysis_json)                                                                      \
    SEP COL(9, analysis_source)                                                                    \
    SEP COL(10, created_ms)                                                                        \
    SEP COL(11, email_key)

#define STORE_INTERVIEW_COLUMNS(COL, SEP)                                                          \
    COL(1, id)                                                                                     \
    SEP COL(2, candidate_id)                                                                       \
    SEP COL(3, kind)                                                                               \
    SEP COL(4, mode)                                                                               \
    SEP COL(5, state)                                                                              \
    SEP COL(6, total_questions)                                                                    \
    SEP COL(7, next_index)                                                                         \
    SEP COL(8, greeting)                                                                           \
    SEP COL(9, plan_json)                                                                          \
    SEP COL(10, report_json)                                                                       \
    SEP COL(11, created_ms)                                                                        \
    SEP COL(12, finished_ms)                                                                       \
    SEP COL(13, job_description)

#define STORE_TURN_COLUMNS(COL, SEP)                                                               \
    COL(1, interview_id)                                                                           \
    SEP COL(2, idx)                                                                                \
    SEP COL(3, question_id)                                                                        \
    SEP COL(4, question_text)                                                                      \
    SEP COL(5, category)                                                                           \
    SEP COL(6, phase)                                                                              \
    SEP COL(7, difficulty)                                                                         \
    SEP COL(8, keywords)                                                                           \
    SEP COL(9, answer)                                                                             \
    SEP COL(10, asked_ms)                                                                          \
    SEP COL(11, answered_ms)                                                                       \
    SEP COL(12, score)                                                                             \
    SEP COL(13, feedback)                                                                          \
    SEP COL(14, scorer)                                                                            \
    SEP COL(15, flags)                                                                             \
    SEP COL(16, eval_status)                                                                       \
    SEP COL(17, topic)

/* What the question picker reads of a turn (turn_list_asked_by_candidate, turns AS t):
 * the question, its topic and how well it went (for reviews), never the answer. */
#define STORE_TURN_ASKED_COLUMNS(COL, SEP)                                                         \
    COL(1, t.interview_id)                                                                         \
    SEP COL(2, t.idx) SEP COL(3, t.question_id) SEP COL(4, t.question_text) SEP COL(5, t.category) \
        SEP COL(6, t.phase) SEP COL(7, t.difficulty) SEP COL(8, t.keywords) SEP COL(9, t.asked_ms) \
            SEP COL(10, t.score) SEP COL(11, t.topic)

/* The call log is written only; its id is the database's. */
#define STORE_CALL_LOG_COLUMNS(COL, SEP)                                                           \
    COL(1, ts_ms)                                                                                  \
    SEP COL(2, task)                                                                               \
    SEP COL(3, provider)                                                                           \
    SEP COL(4, model)                                                                              \
    SEP COL(5, outcome)                                                                            \
    SEP COL(6, http_status)                                                                        \
    SEP COL(7, latency_ms)                                                                         \
    SEP COL(8, prompt_tokens)                                                                      \
    SEP COL(9, completion_tokens)

#define STORE_COL_NAME_(n, col) #col
#define STORE_COL_QMARK_(n, col) "?"
#define STORE_COL_PARAM_(n, col) "$" #n

/* "a, b, c": a table's columns, for INSERT INTO t (...) and SELECT ... FROM t. */
#define STORE_COLS(TABLE) TABLE(STORE_COL_NAME_, ", ")
/* "?, ?, ?": SQLite's placeholders for an INSERT of every column of TABLE. */
#define STORE_QMARKS(TABLE) TABLE(STORE_COL_QMARK_, ", ")
/* "$1, $2, $3": PostgreSQL's placeholders for an INSERT of every column of TABLE. */
#define STORE_PARAMS(TABLE) TABLE(STORE_COL_PARAM_, ", ")

/* The strings the backends' SQL is made of. */
#define STORE_CANDIDATE_COLS STORE_COLS(STORE_CANDIDATE_COLUMNS)
#define STORE_CANDIDATE_QMARKS STORE_QMARKS(STORE_CANDIDATE_COLUMNS)
#define STORE_CANDIDATE_PARAMS STORE_PARAMS(STORE_CANDIDATE_COLUMNS)
#define STORE_INTERVIEW_COLS STORE_COLS(STORE_INTERVIEW_COLUMNS)
#define STORE_INTERVIEW_QMARKS STORE_QMARKS(STORE_INTERVIEW_COLUMNS)
#define STORE_INTERVIEW_PARAMS STORE_PARAMS(STORE_INTERVIEW_COLUMNS)
#define STORE_TURN_COLS STORE_COLS(STORE_TURN_COLUMNS)
#define STORE_TURN_QMARKS STORE_QMARKS(STORE_TURN_COLUMNS)
#define STORE_TURN_PARAMS STORE_PARAMS(STORE_TURN_COLUMNS)
#define STORE_TURN_ASKED_COLS STORE_COLS(STORE_TURN_ASKED_COLUMNS)
#define STORE_CALL_LOG_COLS STORE_COLS(STORE_CALL_LOG_COLUMNS)
#define STORE_CALL_LOG_QMARKS STORE_QMARKS(STORE_CALL_LOG_COLUMNS)
#define STORE_CALL_LOG_PARAMS STORE_PARAMS(STORE_CALL_LOG_COLUMNS)

#endif
