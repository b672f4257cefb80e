/* store_conformance: the behaviours every store backend shares, written once and run
 * against each backend: test_store_sqlite.c on a fresh file, test_store_postgres.c on a
 * fresh schema of a private server. Include after <cmocka.h>.
 *
 * A backend's fixture starts with a struct store_conf that its setup fills in, and its
 * list of cases begins with STORE_CONFORMANCE_TESTS(setup, teardown). What only one
 * backend has (SQLite's user_version and file modes, PostgreSQL's reconnects, locks and
 * logs) stays in that backend's own file. */
#ifndef TESTS_STORE_CONFORMANCE_H
#define TESTS_STORE_CONFORMANCE_H

#include "store/store.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the shared cases need from a backend, besides its store. */
struct store_conf_ops {
    const char *backend; /* the ops->name the backend's store reports */
    /* Opens a handle on where (also called in a forked child): NULL and a sentence in
     * err when it cannot. store_sqlite_open, store_postgres_open. */
    struct store *(*open)(const char *where, char *err, size_t errlen);
    /* First column of the first row of sql, as an integer, read on a connection to where
     * of its own (not through the store). */
    int64_t (*raw_int)(const char *where, const char *sql);
    /* The schema version the data at where is at, read on a connection of its own. */
    int64_t (*schema_version)(const char *where);
    /* Marks the data at where as being at schema version v, as a newer release would. */
    void (*set_schema_version)(const char *where, int64_t v);
};

/* The first member of a backend's fixture; its setup fills it in. */
struct store_conf {
    struct store *s;                  /* the test's open store, or NULL after a test closed it */
    const char *where;                /* the test's data: a file's path, a conninfo */
    const struct store_conf_ops *ops; /* how to reach it other than through s */
};

/* Another handle on the test's data; fails the test if there is none. */
static struct store *open_other(const struct store_conf *c)
{
    char err[512] = "";
    struct store *s = c->ops->open(c->where, err, sizeof err);
    if (!s) fail_msg("%s open: %s", c->ops->backend, err);
    return s;
}

/* Closes and reopens the fixture's store on the same data. */
static void reopen(struct store_conf *c)
{
    store_close(c->s);
    c->s = open_other(c);
}

static void add_candidate(struct store *s, const char *id, int64_t created_ms)
{
    struct store_candidate c = {
        .id = (char *)id,
        .name = "Ada",
        .email = "ada@example.org",
        .role = "backend_engineer",
        .resume_text = "resume",
        .resume_hash = "00000000000000000000000000000001",
        .token_hash = "aa",
        .created_ms = created_ms,
    };
    assert_int_equal(store_call(s, candidate_insert, &c), STORE_OK);
}

static void add_interview(struct store *s, const char *id, const char *candidate_id,
                          int64_t created_ms)
{
    struct store_interview iv = {
        .id = (char *)id,
        .candidate_id = (char *)candidate_id,
        .kind = "technical",
        .mode = "full",
        .state = "active",
        .total_questions = 12,
        .next_index = 0,
        .created_ms = created_ms,
    };
    assert_int_equal(store_call(s, interview_insert, &iv), STORE_OK);
}

static void add_turn(struct store *s, const char *interview_id, int idx, const char *question_id)
{
    char topic[96];
    snprintf(topic, sizeof topic, "topic.%s", question_id);
    struct store_turn t = {
        .interview_id = (char *)interview_id,
        .idx = idx,
        .question_id = (char *)question_id,
        .question_text = "Tell me about it.",
        .category = "technical",
        .phase = "technical",
        .difficulty = 2,
        .asked_ms = 1000 + idx,
        .topic = topic,
    };
    assert_int_equal(store_call(s, turn_insert, &t), STORE_OK);
}

/* Candidate c1 with interview i1 and its turn 0, asking question q0. */
static void add_first_turn(struct store *s)
{
    add_candidate(s, "c1", 1);
    add_interview(s, "i1", "c1", 10);
    add_turn(s, "i1", 0, "q0");
}

/* ---- candidates ------------------------------------------------------------------- */
static void test_store_candidate_round_trips_all_fields(void **state)
{
    struct store_conf *f = *state;
    struct store_candidate in = {
        .id = "c0ffee00c0ffee00c0ffee00c0ffee00",
        .name = "Grace Hopper",
        .email = "grace@example.org",
        .role = "backend_engineer",
        .resume_text = "COBOL, compilers.\nNavy: 1943-1986. Üñíçødé ok; quotes ' \" \\ $1",
        .resume_hash = "0123456789abcdef0123456789abcdef",
        .token_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        .analysis_json = "{\"skills\":[\"cobol\"]}",
        .analysis_source = "model",
        .created_ms = 1764325546123,
    };
    assert_int_equal(store_call(f->s, candidate_insert, &in), STORE_OK);

    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, in.id, &out), STORE_OK);
    assert_string_equal(out.id, in.id);
    assert_string_equal(out.name, in.name);
    assert_string_equal(out.email, in.email);
    assert_string_equal(out.role, in.role);
    assert_string_equal(out.resume_text, in.resume_text);
    assert_string_equal(out.resume_hash, in.resume_hash);
    assert_string_equal(out.token_hash, in.token_hash);
    assert_string_equal(out.analysis_json, in.analysis_json);
    assert_string_equal(out.analysis_source, in.analysis_source);
    assert_int_equal(out.created_ms, 1764325546123);
    store_candidate_free(&out);
    assert_null(out.id);
}

static void test_store_candidate_unknown_id_is_not_found(void **state)
{
    struct store_conf *f = *state;
    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "nope", &out), STORE_NOT_FOUND);
    assert_null(out.id);
    store_candidate_free(&out);
}

static void test_store_candidate_duplicate_id_is_conflict(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    struct store_candidate again = {.id = "c1", .name = "Other", .created_ms = 2};
    assert_int_equal(store_call(f->s, candidate_insert, &again), STORE_CONFLICT);

    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &out), STORE_OK);
    assert_string_equal(out.name, "Ada");
    store_candidate_free(&out);
}

static void test_store_set_analysis_updates_only_the_analysis(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    assert_int_equal(
        store_call(f->s, candidate_set_analysis, "c1", "{\"seniority\":\"mid\"}", "heuristic"),
        STORE_OK);

    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &out), STORE_OK);
    assert_string_equal(out.analysis_json, "{\"seniority\":\"mid\"}");
    assert_string_equal(out.analysis_source, "heuristic");
    assert_string_equal(out.name, "Ada");
    assert_string_equal(out.resume_text, "resume");
    store_candidate_free(&out);
}

static void test_store_set_analysis_unknown_candidate_is_not_found(void **state)
{
    struct store_conf *f = *state;
    assert_int_equal(store_call(f->s, candidate_set_analysis, "nope", "{}", "model"),
                     STORE_NOT_FOUND);
}

static void test_store_second_profile_for_an_email_key_is_conflict(void **state)
{
    struct store_conf *f = *state;
    struct store_candidate a = {.id = "c1",
                                .name = "Ada",
                                .email = "Ada@Example.org",
                                .email_key = "ada@example.org",
                                .created_ms = 1};
    struct store_candidate b = {.id = "c2",
                                .name = "Other",
                                .email = "ada@example.org ",
                                .email_key = "ada@example.org",
                                .created_ms = 2};
    assert_int_equal(store_call(f->s, candidate_insert, &a), STORE_OK);
    assert_int_equal(store_call(f->s, candidate_insert, &b), STORE_CONFLICT);
    /* profiles without a key (made before the column) do not collide */
    struct store_candidate old1 = {.id = "c3", .created_ms = 3};
    struct store_candidate old2 = {.id = "c4", .created_ms = 4};
    assert_int_equal(store_call(f->s, candidate_insert, &old1), STORE_OK);
    assert_int_equal(store_call(f->s, candidate_insert, &old2), STORE_OK);
    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &out), STORE_OK);
    assert_string_equal(out.email_key, "ada@example.org");
    store_candidate_free(&out);
    assert_int_equal(store_call(f->s, candidate_get, "c3", &out), STORE_OK);
    assert_null(out.email_key);
    store_candidate_free(&out);
}

static void test_store_set_role_updates_role_and_analysis(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    assert_int_equal(
        store_call(f->s, candidate_set_role, "c1", "data_scientist", "{\"a\":1}", "heuristic"),
        STORE_OK);
    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &out), STORE_OK);
    assert_string_equal(out.role, "data_scientist");
    assert_string_equal(out.analysis_json, "{\"a\":1}");
    assert_string_equal(out.resume_text, "resume");
    store_candidate_free(&out);
    assert_int_equal(store_call(f->s, candidate_set_role, "nope", "x", NULL, NULL),
                     STORE_NOT_FOUND);
}

/* Erasure takes the candidate, their interviews and turns and the kv rows naming them,
 * and nothing of anyone else's. */
static void test_store_erase_takes_everything_of_the_candidate_only(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_candidate(f->s, "c2", 2);
    add_interview(f->s, "i1", "c1", 10);
    add_interview(f->s, "i2", "c2", 11);
    add_turn(f->s, "i1", 0, "q0");
    add_turn(f->s, "i2", 0, "q0");
    assert_int_equal(store_call(f->s, kv_put, "claim:resume:c1", "5"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "claim:summary:i1", "5"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "cacheown:c1:iv:k1", "x"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "claim:summary:i2", "5"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "gen:index", "[]"), STORE_OK);

    assert_int_equal(store_call(f->s, candidate_erase, "c1"), STORE_OK);

    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_NOT_FOUND);
    store_candidate_free(&c);
    struct store_interview iv;
    assert_int_equal(store_call(f->s, interview_get, "i1", &iv), STORE_NOT_FOUND);
    store_interview_free(&iv);
    assert_int_equal(
        f->ops->raw_int(f->where, "SELECT COUNT(*) FROM turns WHERE interview_id = 'i1'"), 0);
    const char *gone[] = {"claim:resume:c1", "claim:summary:i1", "cacheown:c1:iv:k1"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) {
        char *v = NULL;
        assert_int_equal(store_call(f->s, kv_get, gone[i], &v), STORE_NOT_FOUND);
        free(v);
    }
    /* the other candidate's rows and shared rows stay */
    const char *kept[] = {"claim:summary:i2", "gen:index"};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        char *v = NULL;
        assert_int_equal(store_call(f->s, kv_get, kept[i], &v), STORE_OK);
        free(v);
    }
    assert_int_equal(store_call(f->s, interview_get, "i2", &iv), STORE_OK);
    store_interview_free(&iv);
    assert_int_equal(
        f->ops->raw_int(f->where, "SELECT COUNT(*) FROM turns WHERE interview_id = 'i2'"), 1);
    assert_int_equal(store_call(f->s, candidate_erase, "c1"), STORE_NOT_FOUND);
}

/* Rows of any table whose text holds marker, by SQL both backends run (|| and COALESCE). */
#define CONF_TEXT_SEARCH(marker)                                                                   \
    "SELECT (SELECT COUNT(*) FROM candidates WHERE COALESCE(id,'')||COALESCE(name,'')||"           \
    "COALESCE(email,'')||COALESCE(email_key,'')||COALESCE(resume_text,'')||"                       \
    "COALESCE(analysis_json,'') LIKE '%" marker "%') + (SELECT COUNT(*) FROM interviews WHERE "    \
    "COALESCE(id,'')||COALESCE(candidate_id,'')||COALESCE(greeting,'')||COALESCE(report_json,'')"  \
    " LIKE '%" marker "%') + (SELECT COUNT(*) FROM turns WHERE COALESCE(interview_id,'')||"        \
    "COALESCE(question_text,'')||COALESCE(answer,'')||COALESCE(feedback,'') LIKE '%" marker        \
    "%') + (SELECT COUNT(*) FROM kv WHERE key||value LIKE '%" marker "%')"

/* After erasure no table holds the candidate's text or ids (searched by SQL, outside
 * the store); a second candidate's text is still found (the search can fail). */
static void test_store_erase_leaves_no_text_of_the_candidate_in_any_table(void **state)
{
    struct store_conf *f = *state;
    struct store_candidate c = {.id = "zqerasedcand",
                                .name = "Zq Erased",
                                .email = "zq@example.org",
                                .email_key = "zq@example.org",
                                .resume_text = "zqresume Kafka",
                                .analysis_json = "{\"zqanalysis\":1}",
                                .created_ms = 1};
    assert_int_equal(store_call(f->s, candidate_insert, &c), STORE_OK);
    add_candidate(f->s, "zkkeptcand", 2);
    add_interview(f->s, "zqerasediv", "zqerasedcand", 10);
    add_turn(f->s, "zqerasediv", 0, "q0");
    assert_int_equal(store_call(f->s, turn_answer, "zqerasediv", 0, "zqanswer text", 20), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "cacheown:zqerasedcand:iv:x", "1"), STORE_OK);
    assert_true(f->ops->raw_int(f->where, CONF_TEXT_SEARCH("zq")) >= 4);
    assert_int_equal(store_call(f->s, candidate_erase, "zqerasedcand"), STORE_OK);
    assert_int_equal(f->ops->raw_int(f->where, CONF_TEXT_SEARCH("zq")), 0);
    assert_int_equal(f->ops->raw_int(f->where, CONF_TEXT_SEARCH("zkkept")), 1);
}

static void test_store_kv_list_prefix_lists_only_that_prefix_in_order(void **state)
{
    struct store_conf *f = *state;
    assert_int_equal(store_call(f->s, kv_put, "cacheown:c1:b", "x"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "cacheown:c1:a", "x"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "cacheown:c10:a", "x"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "xcacheown:c1:a", "x"), STORE_OK);
    struct store_key_list l;
    assert_int_equal(store_call(f->s, kv_list_prefix, "cacheown:c1:", &l), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.keys[0], "cacheown:c1:a");
    assert_string_equal(l.keys[1], "cacheown:c1:b");
    store_key_list_free(&l);
    assert_int_equal(store_call(f->s, kv_list_prefix, "none:", &l), STORE_OK);
    assert_int_equal(l.len, 0);
    store_key_list_free(&l);
}

static void test_store_interview_round_trips_all_fields(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    struct store_interview in = {
        .id = "i1",
        .candidate_id = "c1",
        .kind = "mixed",
        .mode = "balanced",
        .state = "finished",
        .total_questions = 12,
        .next_index = 12,
        .greeting = "Hello Ada.",
        .plan_json = "[\"introduction\",\"technical\"]",
        .report_json = "{\"overall\":4}",
        .created_ms = 5000,
        .finished_ms = 9000,
        .job_description = "Backend engineer: Go, PostgreSQL, Kafka.",
    };
    assert_int_equal(store_call(f->s, interview_insert, &in), STORE_OK);

    struct store_interview out;
    assert_int_equal(store_call(f->s, interview_get, "i1", &out), STORE_OK);
    assert_string_equal(out.id, "i1");
    assert_string_equal(out.candidate_id, "c1");
    assert_string_equal(out.kind, "mixed");
    assert_string_equal(out.mode, "balanced");
    assert_string_equal(out.state, "finished");
    assert_int_equal(out.total_questions, 12);
    assert_int_equal(out.next_index, 12);
    assert_string_equal(out.greeting, "Hello Ada.");
    assert_string_equal(out.plan_json, "[\"introduction\",\"technical\"]");
    assert_string_equal(out.report_json, "{\"overall\":4}");
    assert_int_equal(out.created_ms, 5000);
    assert_int_equal(out.finished_ms, 9000);
    assert_string_equal(out.job_description, "Backend engineer: Go, PostgreSQL, Kafka.");
    store_interview_free(&out);
}

static void test_store_interview_unknown_id_is_not_found(void **state)
{
    struct store_conf *f = *state;
    struct store_interview out;
    assert_int_equal(store_call(f->s, interview_get, "nope", &out), STORE_NOT_FOUND);
    store_interview_free(&out);
}

static void test_store_interview_for_unknown_candidate_is_not_found(void **state)
{
    struct store_conf *f = *state;
    struct store_interview iv = {.id = "i1",
                                 .candidate_id = "ghost",
                                 .kind = "technical",
                                 .mode = "full",
                                 .state = "active",
                                 .total_questions = 12};
    assert_int_equal(store_call(f->s, interview_insert, &iv), STORE_NOT_FOUND);
}

static void test_store_interview_duplicate_id_is_conflict(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    struct store_interview iv = {.id = "i1",
                                 .candidate_id = "c1",
                                 .kind = "technical",
                                 .mode = "full",
                                 .state = "active",
                                 .total_questions = 12};
    assert_int_equal(store_call(f->s, interview_insert, &iv), STORE_CONFLICT);
}

static void test_store_interview_update_writes_mode_state_index_report_finished(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);

    /* kind, total_questions and created_ms differ here but are not written by update. */
    struct store_interview up = {
        .id = "i1",
        .candidate_id = "c1",
        .kind = "behavioral",
        .mode = "economy",
        .state = "finished",
        .total_questions = 99,
        .next_index = 12,
        .report_json = "{\"overall\":3}",
        .created_ms = 777,
        .finished_ms = 20000,
    };
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_OK);

    struct store_interview out;
    assert_int_equal(store_call(f->s, interview_get, "i1", &out), STORE_OK);
    assert_string_equal(out.mode, "economy");
    assert_string_equal(out.state, "finished");
    assert_int_equal(out.next_index, 12);
    assert_string_equal(out.report_json, "{\"overall\":3}");
    assert_int_equal(out.finished_ms, 20000);
    assert_string_equal(out.kind, "technical");
    assert_int_equal(out.total_questions, 12);
    assert_int_equal(out.created_ms, 10);
    store_interview_free(&out);
}

static void test_store_interview_update_unknown_id_is_not_found(void **state)
{
    struct store_conf *f = *state;
    struct store_interview up = {.id = "nope", .mode = "full", .state = "active"};
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_NOT_FOUND);
}

static void test_store_interviews_by_candidate_are_oldest_first(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_candidate(f->s, "c2", 1);
    add_interview(f->s, "late", "c1", 300);
    add_interview(f->s, "early", "c1", 100);
    add_interview(f->s, "other", "c2", 50);
    add_interview(f->s, "middle", "c1", 200);

    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_by_candidate, "c1", &l), STORE_OK);
    assert_int_equal(l.len, 3);
    assert_string_equal(l.items[0].id, "early");
    assert_string_equal(l.items[1].id, "middle");
    assert_string_equal(l.items[2].id, "late");
    assert_string_equal(l.items[2].kind, "technical");
    store_interview_list_free(&l);
    assert_null(l.items);
    assert_int_equal(l.len, 0);
}

static void test_store_interviews_with_equal_times_are_in_byte_order_of_id(void **state)
{
    /* SQLite orders text by bytes; so must we, whatever the database's locale. */
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "b", "c1", 100);
    add_interview(f->s, "B", "c1", 100);
    add_interview(f->s, "a", "c1", 100);
    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_by_candidate, "c1", &l), STORE_OK);
    assert_int_equal(l.len, 3);
    assert_string_equal(l.items[0].id, "B");
    assert_string_equal(l.items[1].id, "a");
    assert_string_equal(l.items[2].id, "b");
    store_interview_list_free(&l);
}

static void test_store_interviews_of_unknown_candidate_is_empty_list(void **state)
{
    struct store_conf *f = *state;
    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_by_candidate, "nobody", &l), STORE_OK);
    assert_int_equal(l.len, 0);
    assert_null(l.items);
    store_interview_list_free(&l);
}

static void test_store_turn_round_trips_all_fields(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    struct store_turn in = {
        .interview_id = "i1",
        .idx = 4,
        .question_id = "tech.backend.017",
        .question_text = "How does a B-tree stay balanced?",
        .category = "technical",
        .phase = "technical",
        .difficulty = 3,
        .keywords = "[\"split\",\"merge\"]",
        .answer = "Nodes split on overflow.",
        .asked_ms = 1000,
        .answered_ms = 2000,
        .score = 4,
        .feedback = "good",
        .scorer = "model",
        .flags = "[\"empty\"]",
        .eval_status = "done",
        .topic = "btree_balance",
    };
    assert_int_equal(store_call(f->s, turn_insert, &in), STORE_OK);

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    struct store_turn *t = &l.items[0];
    assert_string_equal(t->interview_id, "i1");
    assert_int_equal(t->idx, 4);
    assert_string_equal(t->question_id, "tech.backend.017");
    assert_string_equal(t->question_text, "How does a B-tree stay balanced?");
    assert_string_equal(t->category, "technical");
    assert_string_equal(t->phase, "technical");
    assert_int_equal(t->difficulty, 3);
    assert_string_equal(t->keywords, "[\"split\",\"merge\"]");
    assert_string_equal(t->answer, "Nodes split on overflow.");
    assert_int_equal(t->asked_ms, 1000);
    assert_int_equal(t->answered_ms, 2000);
    assert_int_equal(t->score, 4);
    assert_string_equal(t->feedback, "good");
    assert_string_equal(t->scorer, "model");
    assert_string_equal(t->flags, "[\"empty\"]");
    assert_string_equal(t->eval_status, "done");
    assert_string_equal(t->topic, "btree_balance");
    store_turn_list_free(&l);
}

static void test_store_turn_without_eval_status_starts_as_none(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].eval_status, "none");
    store_turn_list_free(&l);
}

static void test_store_turns_are_listed_by_idx(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_interview(f->s, "i2", "c1", 20);
    add_turn(f->s, "i1", 2, "q2");
    add_turn(f->s, "i1", 0, "q0");
    add_turn(f->s, "i2", 0, "other");
    add_turn(f->s, "i1", 1, "q1");

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(l.items[i].idx, i);
    assert_string_equal(l.items[0].question_id, "q0");
    assert_string_equal(l.items[2].question_id, "q2");
    store_turn_list_free(&l);
}

static void test_store_turn_duplicate_idx_is_conflict(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */
    struct store_turn t = {
        .interview_id = "i1", .idx = 0, .question_id = "q9", .question_text = "again?"};
    assert_int_equal(store_call(f->s, turn_insert, &t), STORE_CONFLICT);
}

static void test_store_turn_for_unknown_interview_is_not_found(void **state)
{
    struct store_conf *f = *state;
    struct store_turn t = {
        .interview_id = "ghost", .idx = 0, .question_id = "q0", .question_text = "hello?"};
    assert_int_equal(store_call(f->s, turn_insert, &t), STORE_NOT_FOUND);
}

static void test_store_turn_missing_required_text_is_conflict(void **state)
{
    /* NOT NULL question_text, as in SQLite (a constraint failure, so CONFLICT). */
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    struct store_turn t = {.interview_id = "i1", .idx = 0, .question_id = "q0"};
    assert_int_equal(store_call(f->s, turn_insert, &t), STORE_CONFLICT);
}

static void test_store_answer_then_eval(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */

    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "I like queues.", 4242), STORE_OK);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_string_equal(l.items[0].answer, "I like queues.");
    assert_int_equal(l.items[0].answered_ms, 4242);
    assert_string_equal(l.items[0].eval_status, "pending");
    assert_int_equal(l.items[0].score, 0);
    assert_null(l.items[0].scorer);
    store_turn_list_free(&l);

    struct store_turn ev = {.interview_id = "i1",
                            .idx = 0,
                            .score = 3,
                            .feedback = "mock: 3 words, no keyword",
                            .scorer = "heuristic",
                            .flags = "[]",
                            .eval_status = "done"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.items[0].score, 3);
    assert_string_equal(l.items[0].feedback, "mock: 3 words, no keyword");
    assert_string_equal(l.items[0].scorer, "heuristic");
    assert_string_equal(l.items[0].flags, "[]");
    assert_string_equal(l.items[0].eval_status, "done");
    assert_string_equal(l.items[0].answer, "I like queues.");
    assert_int_equal(l.items[0].answered_ms, 4242);
    store_turn_list_free(&l);
}

static void test_store_set_eval_without_status_means_done(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */
    struct store_turn ev = {.interview_id = "i1", .idx = 0, .score = 5, .scorer = "model"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_string_equal(l.items[0].eval_status, "done");
    assert_int_equal(l.items[0].score, 5);
    store_turn_list_free(&l);
}

static void test_store_answer_twice_is_conflict(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */

    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "first", 100), STORE_OK);
    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "second", 200), STORE_CONFLICT);

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_string_equal(l.items[0].answer, "first");
    assert_int_equal(l.items[0].answered_ms, 100);
    store_turn_list_free(&l);
}

static void test_store_empty_answer_counts_as_answered(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */

    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "", 100), STORE_OK);
    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "late", 200), STORE_CONFLICT);
}

static void test_store_answer_missing_turn_is_not_found(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */
    assert_int_equal(store_call(f->s, turn_answer, "i1", 1, "hi", 100), STORE_NOT_FOUND);
    assert_int_equal(store_call(f->s, turn_answer, "ghost", 0, "hi", 100), STORE_NOT_FOUND);
}

static void test_store_set_eval_missing_turn_is_not_found(void **state)
{
    struct store_conf *f = *state;
    struct store_turn ev = {.interview_id = "ghost", .idx = 0, .score = 3, .eval_status = "done"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_NOT_FOUND);
}

static void test_store_asked_by_candidate_spans_interviews_oldest_first(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "alice", 1);
    add_candidate(f->s, "bob", 1);
    /* Alice's second interview is inserted first but created later. */
    add_interview(f->s, "a-second", "alice", 200);
    add_interview(f->s, "a-first", "alice", 100);
    add_interview(f->s, "b-only", "bob", 150);
    add_turn(f->s, "a-second", 1, "q.a2.1");
    add_turn(f->s, "a-second", 0, "q.a2.0");
    add_turn(f->s, "b-only", 0, "q.bob.0");
    add_turn(f->s, "a-first", 0, "q.a1.0");
    add_turn(f->s, "a-first", 1, "q.a1.1");
    assert_int_equal(store_call(f->s, turn_answer, "a-first", 0, "private answer", 1), STORE_OK);
    struct store_turn ev = {.interview_id = "a-first", .idx = 0, .score = 2, .eval_status = "done"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list_asked_by_candidate, "alice", &l), STORE_OK);
    assert_int_equal(l.len, 4);
    assert_string_equal(l.items[0].question_id, "q.a1.0");
    assert_string_equal(l.items[1].question_id, "q.a1.1");
    assert_string_equal(l.items[2].question_id, "q.a2.0");
    assert_string_equal(l.items[3].question_id, "q.a2.1");
    assert_string_equal(l.items[0].question_text, "Tell me about it.");
    assert_string_equal(l.items[0].interview_id, "a-first");
    assert_int_equal(l.items[0].difficulty, 2);
    assert_int_equal(l.items[0].asked_ms, 1000);
    /* How it went and what it was about, for reviews and topic rotation. */
    assert_int_equal(l.items[0].score, 2);
    assert_int_equal(l.items[1].score, 0);
    assert_string_equal(l.items[0].topic, "topic.q.a1.0");
    /* The picker only needs questions: answers are not copied out. */
    assert_null(l.items[0].answer);
    for (size_t i = 0; i < l.len; i++)
        assert_string_not_equal(l.items[i].question_id, "q.bob.0");
    store_turn_list_free(&l);
}

static void test_store_unreported_lists_finished_without_report_and_pending_evals(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    /* active, nothing pending: not listed */
    add_interview(f->s, "active-idle", "c1", 10);
    add_turn(f->s, "active-idle", 0, "q0");
    /* finished with its report and all turns evaluated: not listed */
    add_interview(f->s, "done", "c1", 20);
    add_turn(f->s, "done", 0, "q0");
    assert_int_equal(store_call(f->s, turn_answer, "done", 0, "a", 21), STORE_OK);
    struct store_turn ev = {
        .interview_id = "done", .idx = 0, .score = 4, .scorer = "model", .eval_status = "done"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    struct store_interview up = {.id = "done",
                                 .mode = "full",
                                 .state = "finished",
                                 .next_index = 12,
                                 .report_json = "{}",
                                 .finished_ms = 22};
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_OK);
    /* finished without a report and with an answer still pending: listed once */
    add_interview(f->s, "no-report", "c1", 40);
    add_turn(f->s, "no-report", 0, "q0");
    assert_int_equal(store_call(f->s, turn_answer, "no-report", 0, "c", 40), STORE_OK);
    up = (struct store_interview){.id = "no-report",
                                  .mode = "full",
                                  .state = "finished",
                                  .next_index = 12,
                                  .finished_ms = 41};
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_OK);
    /* active with two answers awaiting evaluation: listed once */
    add_interview(f->s, "active-pending", "c1", 30);
    add_turn(f->s, "active-pending", 0, "q0");
    add_turn(f->s, "active-pending", 1, "q1");
    assert_int_equal(store_call(f->s, turn_answer, "active-pending", 0, "a", 31), STORE_OK);
    assert_int_equal(store_call(f->s, turn_answer, "active-pending", 1, "b", 32), STORE_OK);

    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_unreported, &l), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].id, "active-pending");
    assert_string_equal(l.items[1].id, "no-report");
    store_interview_list_free(&l);
}

static void test_store_kv_claim_is_held_until_stale(void **state)
{
    struct store_conf *f = *state;
    /* first claim wins; a second within the stale time is refused; after it, taken over */
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1000, 500), STORE_OK);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1200, 500), STORE_CONFLICT);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1600, 500), STORE_OK);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1700, 500), STORE_CONFLICT);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:y", 1700, 500), STORE_OK);
}

static void test_store_kv_put_get_overwrite(void **state)
{
    struct store_conf *f = *state;
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_put, "gen:abc", "first"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_get, "gen:abc", &v), STORE_OK);
    assert_string_equal(v, "first");
    free(v);
    assert_int_equal(store_call(f->s, kv_put, "gen:abc", "second"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_get, "gen:abc", &v), STORE_OK);
    assert_string_equal(v, "second");
    free(v);
}

static void test_store_kv_missing_key_is_not_found(void **state)
{
    struct store_conf *f = *state;
    char *v = (char *)"untouched";
    assert_int_equal(store_call(f->s, kv_get, "nope", &v), STORE_NOT_FOUND);
    assert_null(v);
}

static void test_store_call_log_insert_writes_a_row(void **state)
{
    struct store_conf *f = *state;
    struct store_call c = {.ts_ms = 1764325546123,
                           .task = "evaluate",
                           .provider = "groq-1",
                           .model = "llama-3.1-8b-instant",
                           .outcome = "ok",
                           .http_status = 200,
                           .latency_ms = 321,
                           .prompt_tokens = 900,
                           .completion_tokens = 120};
    assert_int_equal(store_call(f->s, call_log_insert, &c), STORE_OK);
    c.ts_ms += 1000;
    c.outcome = "rate_limited";
    c.http_status = 429;
    assert_int_equal(store_call(f->s, call_log_insert, &c), STORE_OK);

    assert_int_equal(f->ops->raw_int(f->where, "SELECT count(*) FROM call_log"), 2);
    assert_int_equal(f->ops->raw_int(f->where,
                                     "SELECT latency_ms + prompt_tokens + completion_tokens "
                                     "FROM call_log WHERE http_status = 200"),
                     321 + 900 + 120);
    assert_int_equal(f->ops->raw_int(f->where,
                                     "SELECT count(*) FROM call_log "
                                     "WHERE ts_ms = 1764325547123 AND outcome = 'rate_limited'"),
                     1);
}

static void test_store_quota_ledger_adds_up_per_deployment_and_day(void **state)
{
    struct store_conf *f = *state;
    long req = -1, tok = -1;
    assert_int_equal(store_call(f->s, quota_ledger_get, "groq-1", "2026-11-28", &req, &tok),
                     STORE_NOT_FOUND);
    assert_int_equal(req, 0);
    assert_int_equal(tok, 0);
    assert_int_equal(store_call(f->s, quota_ledger_add, "groq-1", "2026-11-28", 1, 900), STORE_OK);
    assert_int_equal(store_call(f->s, quota_ledger_add, "groq-1", "2026-11-28", 2, 3000000000L),
                     STORE_OK);
    assert_int_equal(store_call(f->s, quota_ledger_add, "groq-1", "2026-11-29", 5, 5), STORE_OK);
    assert_int_equal(store_call(f->s, quota_ledger_get, "groq-1", "2026-11-28", &req, &tok),
                     STORE_OK);
    assert_int_equal(req, 3);
    assert_int_equal(tok, 3000000900L); /* past 2^31: BIGINT */
}

static void test_store_quota_ledger_adds_from_two_handles_both_count(void **state)
{
    struct store_conf *f = *state;
    struct store *other = open_other(f);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(store_call(f->s, quota_ledger_add, "d", "day", 1, 10), STORE_OK);
        assert_int_equal(store_call(other, quota_ledger_add, "d", "day", 1, 10), STORE_OK);
    }
    long req = 0, tok = 0;
    assert_int_equal(store_call(other, quota_ledger_get, "d", "day", &req, &tok), STORE_OK);
    assert_int_equal(req, 20);
    assert_int_equal(tok, 200);
    store_close(other);
}

static void test_store_reopen_keeps_everything(void **state)
{
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */
    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "kept", 11), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_OK);
    struct store_call c = {.ts_ms = 5, .task = "evaluate", .outcome = "ok"};
    assert_int_equal(store_call(f->s, call_log_insert, &c), STORE_OK);

    reopen(f);

    struct store_candidate cand;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &cand), STORE_OK);
    assert_string_equal(cand.resume_text, "resume");
    store_candidate_free(&cand);
    struct store_interview iv;
    assert_int_equal(store_call(f->s, interview_get, "i1", &iv), STORE_OK);
    store_interview_free(&iv);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].answer, "kept");
    store_turn_list_free(&l);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_OK);
    assert_string_equal(v, "v");
    free(v);
    assert_int_equal(f->ops->raw_int(f->where, "SELECT count(*) FROM call_log"), 1);
}

static void test_store_kill_9_after_ok_loses_nothing(void **state)
{
    /* A child process answers a turn and reports STORE_OK, then is killed with SIGKILL
     * before it can close anything: the answer must be there. */
    struct store_conf *f = *state;
    add_first_turn(f->s); /* c1, i1, turn 0 */
    store_close(f->s);
    f->s = NULL;

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        struct store *s = f->ops->open(f->where, err, sizeof err);
        char ok = s && store_call(s, turn_answer, "i1", 0, "acknowledged", 99) == STORE_OK;
        ssize_t w = write(fds[1], &ok, 1);
        (void)w;
        for (;;)
            pause(); /* killed here, store still open */
    }
    close(fds[1]);
    char ok = 0;
    assert_int_equal(read(fds[0], &ok, 1), 1);
    close(fds[0]);
    assert_true(ok);
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));

    f->s = open_other(f);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].answer, "acknowledged");
    assert_string_equal(l.items[0].eval_status, "pending");
    store_turn_list_free(&l);
}

static void test_store_two_handles_on_one_database_see_each_other(void **state)
{
    /* Two processes share the database; the second open must not re-migrate or lose data. */
    struct store_conf *f = *state;
    struct store *other = open_other(f);
    assert_string_equal(other->ops->name, f->ops->backend);
    add_candidate(f->s, "c1", 1);
    assert_int_equal(store_call(other, kv_put, "k", "from-other"), STORE_OK);

    struct store_candidate c;
    assert_int_equal(store_call(other, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_OK);
    assert_string_equal(v, "from-other");
    free(v);
    /* A transaction's writes are invisible to the other handle until it commits. */
    assert_int_equal(store_begin(other), STORE_OK);
    add_candidate(other, "c2", 2);
    assert_int_equal(store_call(f->s, candidate_get, "c2", &c), STORE_NOT_FOUND);
    assert_int_equal(store_commit(other), STORE_OK);
    assert_int_equal(store_call(f->s, candidate_get, "c2", &c), STORE_OK);
    store_candidate_free(&c);
    store_close(other);
}

static void test_store_committed_data_is_visible_to_another_connection(void **state)
{
    /* Every call outside begin/commit is its own committed transaction. */
    struct store_conf *f = *state;
    add_candidate(f->s, "c1", 1);
    assert_int_equal(f->ops->raw_int(f->where, "SELECT count(*) FROM candidates WHERE id = 'c1'"),
                     1);
}

static void test_store_reopen_does_not_change_schema_version(void **state)
{
    struct store_conf *f = *state;
    int64_t v = f->ops->schema_version(f->where);
    assert_true(v >= 1);
    reopen(f);
    assert_int_equal(f->ops->schema_version(f->where), v);
}

static void test_store_refuses_a_future_schema_version(void **state)
{
    struct store_conf *f = *state;
    int64_t v = f->ops->schema_version(f->where);
    store_close(f->s);
    f->s = NULL;
    f->ops->set_schema_version(f->where, v + 1);

    char err[512] = "";
    assert_null(f->ops->open(f->where, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    /* Refusing must not touch the data. */
    assert_int_equal(f->ops->schema_version(f->where), v + 1);
}

static void test_store_rollback_discards(void **state)
{
    struct store_conf *f = *state;
    add_candidate(f->s, "kept", 1);
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "discarded", 2);
    assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_OK);
    assert_int_equal(store_rollback(f->s), STORE_OK);

    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "discarded", &c), STORE_NOT_FOUND);
    assert_int_equal(store_call(f->s, candidate_get, "kept", &c), STORE_OK);
    store_candidate_free(&c);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_NOT_FOUND);
}

static void test_store_commit_keeps_across_reopen(void **state)
{
    struct store_conf *f = *state;
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    assert_int_equal(store_commit(f->s), STORE_OK);
    reopen(f);
    struct store_interview iv;
    assert_int_equal(store_call(f->s, interview_get, "i1", &iv), STORE_OK);
    store_interview_free(&iv);
}

static void test_store_close_discards_an_open_transaction(void **state)
{
    struct store_conf *f = *state;
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c1", 1);
    reopen(f);
    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_NOT_FOUND);
}

static void test_store_begin_twice_and_commit_without_begin_are_errors(void **state)
{
    struct store_conf *f = *state;
    assert_int_equal(store_commit(f->s), STORE_IO);
    assert_int_equal(store_rollback(f->s), STORE_OK); /* nothing to discard */
    assert_int_equal(store_begin(f->s), STORE_OK);
    assert_int_equal(store_begin(f->s), STORE_IO);
    assert_int_equal(store_rollback(f->s), STORE_OK);
}

static void test_store_null_optional_fields_round_trip_as_null(void **state)
{
    struct store_conf *f = *state;
    struct store_candidate c = {
        .id = "c1", .name = "Ada", .role = "backend_engineer", .created_ms = 1};
    assert_int_equal(store_call(f->s, candidate_insert, &c), STORE_OK);
    struct store_candidate cout;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &cout), STORE_OK);
    assert_null(cout.email);
    assert_null(cout.resume_text);
    assert_null(cout.analysis_json);
    assert_null(cout.analysis_source);
    store_candidate_free(&cout);

    add_interview(f->s, "i1", "c1", 10);
    struct store_interview iv;
    assert_int_equal(store_call(f->s, interview_get, "i1", &iv), STORE_OK);
    assert_null(iv.greeting);
    assert_null(iv.plan_json);
    assert_null(iv.report_json);
    assert_int_equal(iv.finished_ms, 0);
    store_interview_free(&iv);

    add_turn(f->s, "i1", 0, "q0");
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_null(l.items[0].keywords);
    assert_null(l.items[0].answer);
    assert_null(l.items[0].feedback);
    assert_null(l.items[0].scorer);
    assert_null(l.items[0].flags);
    assert_int_equal(l.items[0].answered_ms, 0);
    assert_int_equal(l.items[0].score, 0);
    store_turn_list_free(&l);
}

static void test_store_strerror_names_every_error(void **state)
{
    (void)state;
    for (int e = STORE_OK; e <= STORE_IO; e++) {
        const char *msg = store_strerror((enum store_err)e);
        assert_non_null(msg);
        assert_string_not_equal(msg, "unknown store error");
    }
}

/* ---- the operator console ------------------------------------------------------- */

/* The value of counter name in l, or -1 when absent. */
static int64_t counter_in(const struct store_agg_list *l, const char *name)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i].k1, name) == 0) return l->items[i].n;
    return -1;
}

static void test_store_counters_add_up_from_two_handles(void **state)
{
    struct store_conf *f = *state;
    struct store *other = open_other(f);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(store_call(f->s, counter_add, "llm.evaluate.cache", 3), STORE_OK);
        assert_int_equal(store_call(other, counter_add, "llm.evaluate.cache", 1), STORE_OK);
    }
    assert_int_equal(store_call(other, counter_add, "provider_tokens", 5000000000LL), STORE_OK);
    struct store_agg_list l;
    assert_int_equal(store_call(f->s, counter_list, &l), STORE_OK);
    assert_int_equal(counter_in(&l, "llm.evaluate.cache"), 40);
    assert_int_equal(counter_in(&l, "provider_tokens"), 5000000000LL); /* past 2^32 */
    assert_int_equal(counter_in(&l, "never_added"), -1);
    for (size_t i = 1; i < l.len; i++) /* by name */
        assert_true(strcmp(l.items[i - 1].k1, l.items[i].k1) < 0);
    store_agg_list_free(&l);
    store_close(other);
    reopen(f);
    assert_int_equal(store_call(f->s, counter_list, &l), STORE_OK);
    assert_int_equal(counter_in(&l, "llm.evaluate.cache"), 40);
    store_agg_list_free(&l);
}

static void test_store_history_keeps_the_last_write_of_a_time_and_prunes_old(void **state)
{
    struct store_conf *f = *state;
    assert_int_equal(store_call(f->s, history_put, 60000, "{\"a\":1}", 0), STORE_OK);
    assert_int_equal(store_call(f->s, history_put, 120000, "{\"a\":2}", 0), STORE_OK);
    assert_int_equal(store_call(f->s, history_put, 120000, "{\"a\":3}", 0), STORE_OK);
    struct store_agg_list l;
    assert_int_equal(store_call(f->s, history_list, 0, &l), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_int_equal(l.items[0].n, 60000);
    assert_string_equal(l.items[1].k1, "{\"a\":3}");
    store_agg_list_free(&l);
    assert_int_equal(store_call(f->s, history_list, 100000, &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_int_equal(l.items[0].n, 120000);
    store_agg_list_free(&l);
    /* a write with keep_since_ms drops what is older */
    assert_int_equal(store_call(f->s, history_put, 180000, "{}", 120000), STORE_OK);
    assert_int_equal(store_call(f->s, history_list, 0, &l), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_int_equal(l.items[0].n, 120000);
    assert_int_equal(l.items[1].n, 180000);
    store_agg_list_free(&l);
}

static void test_store_retired_questions_keep_the_first_retirement(void **state)
{
    struct store_conf *f = *state;
    assert_int_equal(store_call(f->s, question_retire, "tech.b.002", 500), STORE_OK);
    assert_int_equal(store_call(f->s, question_retire, "tech.a.001", 700), STORE_OK);
    assert_int_equal(store_call(f->s, question_retire, "tech.b.002", 900), STORE_OK);
    reopen(f);
    struct store_agg_list l;
    assert_int_equal(store_call(f->s, question_retired_list, &l), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].k1, "tech.a.001");
    assert_string_equal(l.items[1].k1, "tech.b.002");
    assert_int_equal(l.items[1].n, 500);
    store_agg_list_free(&l);
}

/* Three candidates, five interviews: i1..i4 technical/behavioral at times 100..400, i5
 * for Bob; i2 and i4 finished with reports scoring 85 and 40. */
static void add_console_data(struct store *s)
{
    struct store_candidate c[] = {
        {.id = "ca",
         .name = "Ada Lovelace",
         .email = "ada@example.org",
         .role = "backend_engineer"},
        {.id = "cb", .name = "Bob", .email = "bob@EXAMPLE.org", .role = "data_scientist"},
        {.id = "cc", .name = "Cy", .email = "cy@example.org", .role = "backend_engineer"},
    };
    for (size_t i = 0; i < 3; i++) {
        c[i].resume_text = "r";
        c[i].created_ms = 1;
        assert_int_equal(store_call(s, candidate_insert, &c[i]), STORE_OK);
    }
    add_interview(s, "i1", "ca", 100);
    add_interview(s, "i2", "ca", 200);
    add_interview(s, "i3", "cc", 300);
    add_interview(s, "i4", "cc", 300);
    add_interview(s, "i5", "cb", 500);
    struct store_interview up = {.id = "i2",
                                 .mode = "full",
                                 .state = "finished",
                                 .next_index = 12,
                                 .report_json = "{\"overall_score\":85,\"scores\":[]}",
                                 .finished_ms = 250};
    assert_int_equal(store_call(s, interview_update, &up), STORE_OK);
    up.id = "i4";
    up.mode = "economy";
    up.report_json = "{\"overall_score\":40}";
    assert_int_equal(store_call(s, interview_update, &up), STORE_OK);
}

static void test_store_interview_search_filters_pages_newest_first(void **state)
{
    struct store_conf *f = *state;
    add_console_data(f->s);
    struct store_interview_filter flt = {.limit = 2};
    struct store_interview_row_list l;
    long total = 0;
    assert_int_equal(store_call(f->s, interview_search, &flt, &l, &total), STORE_OK);
    assert_int_equal(total, 5);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].id, "i5");
    assert_string_equal(l.items[1].id, "i4"); /* i3 and i4 tie on time: id descending */
    assert_string_equal(l.items[0].candidate_name, "Bob");
    assert_string_equal(l.items[0].role, "data_scientist");
    assert_int_equal(l.items[0].overall_score, -1);
    assert_int_equal(l.items[1].overall_score, 40);
    assert_string_equal(l.items[1].state, "finished");
    store_interview_row_list_free(&l);
    flt.offset = 2;
    assert_int_equal(store_call(f->s, interview_search, &flt, &l, &total), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].id, "i3");
    assert_string_equal(l.items[1].id, "i2");
    assert_int_equal(l.items[1].overall_score, 85);
    store_interview_row_list_free(&l);

    /* by name (any case), email, id; by role, kind, state; by time */
    struct {
        struct store_interview_filter f;
        long total;
    } cases[] = {
        {{.candidate = "lovelace"}, 2},
        {{.candidate = "example.ORG"}, 5},
        {{.candidate = "cb"}, 1},
        {{.candidate = "nobody"}, 0},
        {{.role = "backend_engineer"}, 4},
        {{.kind = "technical"}, 5},
        {{.kind = "behavioral"}, 0},
        {{.state = "finished"}, 2},
        {{.from_ms = 200, .to_ms = 300}, 1},
        {{.from_ms = 300}, 3},
        {{.to_ms = 300, .state = "active"}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cases[i].f.limit = 50;
        assert_int_equal(store_call(f->s, interview_search, &cases[i].f, &l, &total), STORE_OK);
        if (total != cases[i].total) fail_msg("case %zu: total %ld", i, total);
        assert_int_equal(l.len, (size_t)total);
        store_interview_row_list_free(&l);
    }
}

static void test_store_active_by_mode_and_score_distribution(void **state)
{
    struct store_conf *f = *state;
    add_console_data(f->s);
    struct store_agg_list l;
    assert_int_equal(store_call(f->s, interview_active_by_mode, &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].k1, "full");
    assert_int_equal(l.items[0].n, 3);
    store_agg_list_free(&l);

    assert_int_equal(store_call(f->s, score_distribution, 0, 0, &l), STORE_OK);
    assert_int_equal(l.len, 2); /* both reports are backend_engineer technical */
    assert_string_equal(l.items[0].k1, "backend_engineer");
    assert_string_equal(l.items[0].k2, "technical");
    assert_int_equal(l.items[0].m, 4); /* 40 */
    assert_int_equal(l.items[0].n, 1);
    assert_int_equal(l.items[1].m, 8); /* 85 */
    assert_true(l.items[1].sum == 85.0);
    store_agg_list_free(&l);
    assert_int_equal(store_call(f->s, score_distribution, 250, 0, &l), STORE_OK);
    assert_int_equal(l.len, 1);
    store_agg_list_free(&l);
}

static void test_store_question_usage_counts_asked_and_scored(void **state)
{
    struct store_conf *f = *state;
    add_console_data(f->s);
    add_turn(f->s, "i1", 0, "q.a"); /* asked_ms 1000 + idx */
    add_turn(f->s, "i1", 1, "q.b");
    add_turn(f->s, "i2", 0, "q.a");
    add_turn(f->s, "i3", 0, "q.a");
    struct store_turn ev = {.interview_id = "i1", .idx = 0, .score = 4};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    ev.interview_id = "i2";
    ev.score = 2;
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    struct store_agg_list l;
    assert_int_equal(store_call(f->s, question_usage, 0, 0, 10, &l), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].k1, "q.a");
    assert_int_equal(l.items[0].n, 3);
    assert_int_equal(l.items[0].m, 2);
    assert_true(l.items[0].sum == 6.0);
    assert_string_equal(l.items[1].k1, "q.b");
    assert_int_equal(l.items[1].m, 0);
    store_agg_list_free(&l);
    assert_int_equal(store_call(f->s, question_usage, 1001, 0, 10, &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].k1, "q.b");
    store_agg_list_free(&l);
    assert_int_equal(store_call(f->s, question_usage, 0, 0, 1, &l), STORE_OK);
    assert_int_equal(l.len, 1);
    store_agg_list_free(&l);
}

/* The shared cases, each run with the backend's setup su and teardown td. */
/* clang-format off */
#define STORE_CONF_CASE(name, su, td) cmocka_unit_test_setup_teardown(test_store_##name, su, td)
#define STORE_CONFORMANCE_TESTS(su, td) \
    STORE_CONF_CASE(candidate_round_trips_all_fields, su, td),                            \
    STORE_CONF_CASE(candidate_unknown_id_is_not_found, su, td),                           \
    STORE_CONF_CASE(candidate_duplicate_id_is_conflict, su, td),                          \
    STORE_CONF_CASE(set_analysis_updates_only_the_analysis, su, td),                      \
    STORE_CONF_CASE(set_analysis_unknown_candidate_is_not_found, su, td),                 \
    STORE_CONF_CASE(interview_round_trips_all_fields, su, td),                            \
    STORE_CONF_CASE(interview_unknown_id_is_not_found, su, td),                           \
    STORE_CONF_CASE(interview_for_unknown_candidate_is_not_found, su, td),                \
    STORE_CONF_CASE(interview_duplicate_id_is_conflict, su, td),                          \
    STORE_CONF_CASE(interview_update_writes_mode_state_index_report_finished, su, td),    \
    STORE_CONF_CASE(interview_update_unknown_id_is_not_found, su, td),                    \
    STORE_CONF_CASE(interviews_by_candidate_are_oldest_first, su, td),                    \
    STORE_CONF_CASE(interviews_with_equal_times_are_in_byte_order_of_id, su, td),         \
    STORE_CONF_CASE(interviews_of_unknown_candidate_is_empty_list, su, td),               \
    STORE_CONF_CASE(turn_round_trips_all_fields, su, td),                                 \
    STORE_CONF_CASE(turn_without_eval_status_starts_as_none, su, td),                     \
    STORE_CONF_CASE(turns_are_listed_by_idx, su, td),                                     \
    STORE_CONF_CASE(turn_duplicate_idx_is_conflict, su, td),                              \
    STORE_CONF_CASE(turn_for_unknown_interview_is_not_found, su, td),                     \
    STORE_CONF_CASE(turn_missing_required_text_is_conflict, su, td),                      \
    STORE_CONF_CASE(answer_then_eval, su, td),                                            \
    STORE_CONF_CASE(set_eval_without_status_means_done, su, td),                          \
    STORE_CONF_CASE(answer_twice_is_conflict, su, td),                                    \
    STORE_CONF_CASE(empty_answer_counts_as_answered, su, td),                             \
    STORE_CONF_CASE(answer_missing_turn_is_not_found, su, td),                            \
    STORE_CONF_CASE(set_eval_missing_turn_is_not_found, su, td),                          \
    STORE_CONF_CASE(asked_by_candidate_spans_interviews_oldest_first, su, td),            \
    STORE_CONF_CASE(unreported_lists_finished_without_report_and_pending_evals, su, td),  \
    STORE_CONF_CASE(kv_claim_is_held_until_stale, su, td),                                \
    STORE_CONF_CASE(kv_put_get_overwrite, su, td),                                        \
    STORE_CONF_CASE(kv_missing_key_is_not_found, su, td),                                 \
    STORE_CONF_CASE(call_log_insert_writes_a_row, su, td),                                \
    STORE_CONF_CASE(quota_ledger_adds_up_per_deployment_and_day, su, td),                 \
    STORE_CONF_CASE(quota_ledger_adds_from_two_handles_both_count, su, td),               \
    STORE_CONF_CASE(reopen_keeps_everything, su, td),                                     \
    STORE_CONF_CASE(kill_9_after_ok_loses_nothing, su, td),                               \
    STORE_CONF_CASE(two_handles_on_one_database_see_each_other, su, td),                  \
    STORE_CONF_CASE(committed_data_is_visible_to_another_connection, su, td),             \
    STORE_CONF_CASE(reopen_does_not_change_schema_version, su, td),\
    STORE_CONF_CASE(refuses_a_future_schema_version, su, td),\
    STORE_CONF_CASE(rollback_discards, su, td),                                           \
    STORE_CONF_CASE(commit_keeps_across_reopen, su, td),                                  \
    STORE_CONF_CASE(close_discards_an_open_transaction, su, td),                          \
    STORE_CONF_CASE(begin_twice_and_commit_without_begin_are_errors, su, td),             \
    STORE_CONF_CASE(null_optional_fields_round_trip_as_null, su, td),                     \
    STORE_CONF_CASE(strerror_names_every_error, su, td),                                  \
    STORE_CONF_CASE(second_profile_for_an_email_key_is_conflict, su, td),                 \
    STORE_CONF_CASE(set_role_updates_role_and_analysis, su, td),                          \
    STORE_CONF_CASE(erase_takes_everything_of_the_candidate_only, su, td),                \
    STORE_CONF_CASE(erase_leaves_no_text_of_the_candidate_in_any_table, su, td),          \
    STORE_CONF_CASE(kv_list_prefix_lists_only_that_prefix_in_order, su, td),                \
    STORE_CONF_CASE(counters_add_up_from_two_handles, su, td),                            \
    STORE_CONF_CASE(history_keeps_the_last_write_of_a_time_and_prunes_old, su, td),       \
    STORE_CONF_CASE(retired_questions_keep_the_first_retirement, su, td),                 \
    STORE_CONF_CASE(interview_search_filters_pages_newest_first, su, td),                 \
    STORE_CONF_CASE(active_by_mode_and_score_distribution, su, td),                       \
    STORE_CONF_CASE(question_usage_counts_asked_and_scored, su, td)
/* clang-format on */

#endif
