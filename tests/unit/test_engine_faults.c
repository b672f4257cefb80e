/* The engine when the store fails under it: a refused BEGIN (PostgreSQL shutting down,
 * SQLite locked by another process) must become a clear error for that request, leave
 * nothing half-written, and never stop the process.
 *
 * The real engine on a real SQLite store, whose operations table is swapped for a copy
 * with one operation failing. Found by integration/postgres_scaleout under ASan: an
 * answer whose BEGIN failed rolled back a transaction it never opened (a CHECK, so the
 * process aborted). */
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/engine.h"
#include "llm/router.h"
#include "store/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static struct {
    struct config cfg;
    char dir[64];
    char db[128];
    struct store *store;
    const struct store_ops *real;
    struct store_ops faulty;
    struct engine *e;
    struct engine_reply last;
} F;

static enum store_err begin_unavailable(struct store *s)
{
    (void)s;
    return STORE_UNAVAILABLE;
}

static enum store_err commit_unavailable(struct store *s)
{
    F.real->rollback(s); /* as a backend does when COMMIT fails */
    return STORE_UNAVAILABLE;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    log_set_level(LOG_ERROR);
    clock_use_virtual(1796115600000LL); /* the engine's timers run on no loop here */
    timer_use_virtual(1);
    config_defaults(&F.cfg);
    free(F.cfg.budget_mode);
    F.cfg.budget_mode = xstrdup("offline");
    snprintf(F.dir, sizeof F.dir, "/tmp/test_engine_faults.XXXXXX");
    assert_non_null(mkdtemp(F.dir));
    snprintf(F.db, sizeof F.db, "%s/t.db", F.dir);
    char err[256];
    F.store = store_sqlite_open(F.db, err, sizeof err);
    assert_non_null(F.store);
    F.real = F.store->ops;
    F.faulty = *F.real;
    struct router *r = router_new(NULL, F.store);
    F.e = engine_new_with_router(NULL, &F.cfg, F.store, r, err, sizeof err);
    assert_non_null(F.e);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    F.store->ops = F.real;
    engine_reply_clear(&F.last);
    engine_free(F.e);
    store_close(F.store);
    char path[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", F.db, suffix[i]);
        unlink(path);
    }
    rmdir(F.dir);
    config_free(&F.cfg);
    timer_use_virtual(0);
    clock_use_real();
    return 0;
}

static void on_reply(struct engine_reply *r, void *data)
{
    (void)data;
    engine_reply_clear(&F.last);
    F.last = *r;
    *r = (struct engine_reply){0}; /* ours now */
}

/* A registered candidate's started interview: its id and first question's id. */
static void start(char cand[33], char iv[33], char qid[128])
{
    json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "name", "Grace Example", "email",
                             "grace@example.com", "role", "backend_engineer", "resume_text",
                             "Backend engineer, 5 years: Go, PostgreSQL, Kafka.");
    struct engine_reply r = {0};
    engine_register(F.e, body, &r);
    json_decref(body);
    assert_int_equal(r.err, ENGINE_OK);
    snprintf(cand, 33, "%s", json_string_value(json_object_get(r.body, "candidate_id")));
    engine_reply_clear(&r);
    body = json_pack("{s:s}", "kind", "technical");
    engine_start(F.e, cand, body, &r);
    json_decref(body);
    assert_int_equal(r.err, ENGINE_OK);
    snprintf(iv, 33, "%s", json_string_value(json_object_get(r.body, "interview_id")));
    snprintf(qid, 128, "%s",
             json_string_value(json_object_get(json_object_get(r.body, "question"), "id")));
    engine_reply_clear(&r);
}

static void answer(const char *cand, const char *iv, const char *qid)
{
    json_t *body = json_pack("{s:s,s:s}", "question_id", qid, "answer",
                             "I would partition the table by tenant and measure p99 before and "
                             "after, because the lock on one table was the bottleneck.");
    engine_answer(F.e, cand, iv, body, on_reply, NULL);
    json_decref(body);
}

/* The answer's state as the store has it: the interview's next index. */
static int next_index(const char *iv)
{
    struct store_interview got = {0};
    assert_int_equal(store_call(F.store, interview_get, iv, &got), STORE_OK);
    int n = got.next_index;
    store_interview_free(&got);
    return n;
}

/* which: 0 fails BEGIN, 1 fails COMMIT. group_commit 0 takes the store's group commit
 * away, as PostgreSQL has none: then the answer's own transaction is the outermost. */
static void check_refused_then_served(enum store_err (*fault)(struct store *), int which,
                                      int group_commit)
{
    char cand[33], iv[33], qid[128];
    start(cand, iv, qid);
    if (which == 0)
        F.faulty.begin = fault;
    else
        F.faulty.commit = fault;
    if (!group_commit) F.faulty.caps &= ~STORE_CAP_GROUP_COMMIT;
    F.store->ops = &F.faulty;
    answer(cand, iv, qid); /* aborted the process before the fix */
    F.store->ops = F.real;
    assert_int_equal(F.last.err, ENGINE_UNAVAILABLE);
    assert_non_null(F.last.message);
    assert_non_null(strstr(F.last.message, "nothing was lost"));
    assert_int_equal(next_index(iv), 0); /* nothing half-written */
    /* The store is back: the same answer goes through and the interview moves on. */
    answer(cand, iv, qid);
    assert_int_equal(F.last.err, ENGINE_OK);
    assert_non_null(json_object_get(F.last.body, "next_question"));
    assert_int_equal(next_index(iv), 1);
}

static void test_answer_whose_begin_fails_is_refused_and_can_be_retried(void **state)
{
    (void)state;
    check_refused_then_served(begin_unavailable, 0, 0);
}

static void test_answer_whose_commit_fails_is_refused_and_can_be_retried(void **state)
{
    (void)state;
    check_refused_then_served(commit_unavailable, 1, 0);
}

static void test_group_committed_answer_whose_begin_fails_is_refused(void **state)
{
    (void)state;
    check_refused_then_served(begin_unavailable, 0, 1);
}

static void test_group_committed_answer_whose_commit_fails_is_refused(void **state)
{
    (void)state;
    check_refused_then_served(commit_unavailable, 1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answer_whose_begin_fails_is_refused_and_can_be_retried,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_answer_whose_commit_fails_is_refused_and_can_be_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_committed_answer_whose_begin_fails_is_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_committed_answer_whose_commit_fails_is_refused,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
