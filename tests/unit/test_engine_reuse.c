/* Engine -> reuse layer: an interview's model calls go through engine/call.c, so the
 * cache, the in-process single-flight and the cross-instance claim hold for them.
 *
 * The real engine, router and SQLite store run on the virtual clock against simulated
 * providers (src/sim/simprov.c), which count the calls they receive by task. A wrapper
 * store (a copy of the SQLite vtable) fails saves on demand or declares
 * STORE_CAP_SHARED, so two engines in this process behave as two instances on one
 * shared store. One behaviour per test. */
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "optimize/cache.h"
#include "llm/router.h"
#include "llm/task.h"
#include "sim/simprov.h"
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

#define T0 1796115600000LL /* 2026-12-01T09:00Z */
#define LATENCY_MS 500     /* every simulated provider answer takes this long */

/* A long, specific answer: never pre-checked, always sent to a model. */
#define ANSWER                                                                                     \
    "I led the move of our order service to an event-driven design: we split the monolith "        \
    "into four services, added a queue between checkout and billing, and cut p99 latency "         \
    "from 900 ms to 180 ms while traffic grew by 40 percent over the same quarter."

struct instance {
    struct engine *e;
    struct sim_provider_stats st; /* what its one simulated provider received */
    struct provider_config pc;
};

static struct {
    struct config cfg;
    char dir[64];
    char db[128];
    struct store *real; /* the SQLite store */
    struct store wrap;  /* the same database behind wrap_ops */
    struct store_ops wrap_ops;
    int set_analysis_calls; /* candidate_set_analysis calls seen */
    int set_analysis_fail;  /* of the next ones, how many fail with STORE_IO */
    struct instance a, b;
    int replies; /* engine_answer replies received */
    enum engine_err last_err;
} F;

static enum store_err flaky_set_analysis(struct store *s, const char *id, const char *json,
                                         const char *source)
{
    F.set_analysis_calls++;
    if (F.set_analysis_fail > 0) {
        F.set_analysis_fail--;
        return STORE_IO;
    }
    return F.real->ops->candidate_set_analysis(s, id, json, source);
}

static void instance_start(struct instance *in, const char *name)
{
    in->pc = (struct provider_config){.name = name,
                                      .base_url = "sim",
                                      .api_key_env = "",
                                      .model = "m",
                                      .headers = "none",
                                      .day_reset = "utc",
                                      .timeout_ms = 30000};
    struct sim_provider_params pp = {
        .latency_mean_ms = LATENCY_MS, .latency_sd_ms = 1, .seed = 7, .known = 1, .style = "none"};
    struct router *r = router_new(NULL, &F.wrap);
    router_add(r, &in->pc, sim_provider_new(name, "m", &pp, &in->st));
    char err[256];
    in->e = engine_new_with_router(NULL, &F.cfg, &F.wrap, r, err, sizeof err);
    assert_non_null(in->e);
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    log_set_level(LOG_ERROR);
    clock_use_virtual(T0);
    timer_use_virtual(1);
    config_defaults(&F.cfg);
    free(F.cfg.budget_mode);
    F.cfg.budget_mode = xstrdup("full"); /* one evaluation call per answer */
    snprintf(F.dir, sizeof F.dir, "/tmp/test_engine_reuse.XXXXXX");
    assert_non_null(mkdtemp(F.dir));
    snprintf(F.db, sizeof F.db, "%s/t.db", F.dir);
    char err[256];
    F.real = store_sqlite_open(F.db, err, sizeof err);
    assert_non_null(F.real);
    F.wrap_ops = *F.real->ops;
    F.wrap_ops.candidate_set_analysis = flaky_set_analysis;
    F.wrap = (struct store){.ops = &F.wrap_ops, .impl = F.real->impl};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    engine_free(F.a.e);
    engine_free(F.b.e);
    store_close(F.real);
    unlink(F.db);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", F.db);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", F.db);
    unlink(wal);
    rmdir(F.dir);
    config_free(&F.cfg);
    timer_use_virtual(0);
    clock_use_real();
    return 0;
}

/* Runs the virtual clock for ms, firing every timer that falls due. */
static void run_for(int64_t ms)
{
    int64_t end = clock_mono_ms() + ms;
    for (;;) {
        int64_t t = timer_next_due_ms();
        if (t < 0 || t > end) break;
        clock_set_ms(t);
        timer_run_due();
    }
    clock_set_ms(end);
}

/* Registers a candidate through e; copies their id into id[33]. */
static void register_candidate(struct engine *e, char id[33])
{
    json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "name", "Ada Example", "email", "ada@example.com",
                             "role", "backend_engineer", "resume_text",
                             "Backend engineer, 6 years: Go, PostgreSQL, Kafka, Kubernetes. "
                             "Led the payments platform migration.");
    struct engine_reply r = {0};
    engine_register(e, body, &r);
    json_decref(body);
    assert_int_equal(r.err, ENGINE_OK);
    snprintf(id, 33, "%s", json_string_value(json_object_get(r.body, "candidate_id")));
    engine_reply_clear(&r);
}

static void on_reply(struct engine_reply *r, void *data)
{
    (void)data;
    F.replies++;
    F.last_err = r->err;
}

/* Starts an interview through e (its start asks for the resume analysis). The reply is
 * the caller's to clear. */
static void start_interview(struct engine *e, const char *candidate, struct engine_reply *r)
{
    json_t *kind = json_pack("{s:s}", "kind", "technical");
    engine_start(e, candidate, kind, r);
    json_decref(kind);
    assert_int_equal(r->err, ENGINE_OK);
}

/* Starts an interview, lets its resume analysis finish, and answers the first question,
 * through e; the answer's evaluation call is then the one in flight, for LATENCY_MS. */
static void answer_first_question(struct engine *e, const char *candidate)
{
    struct engine_reply r = {0};
    start_interview(e, candidate, &r);
    run_for(LATENCY_MS + 100);
    const char *iv = json_string_value(json_object_get(r.body, "interview_id"));
    const char *qid = json_string_value(json_object_get(json_object_get(r.body, "question"), "id"));
    json_t *ans = json_pack("{s:s,s:s}", "question_id", qid, "answer", ANSWER);
    engine_answer(e, candidate, iv, ans, on_reply, NULL);
    json_decref(ans);
    engine_reply_clear(&r);
}

static void test_resume_analysis_retried_after_a_failed_save_is_served_from_the_cache(void **s)
{
    (void)s;
    instance_start(&F.a, "a");
    F.set_analysis_fail = 1; /* the store refuses the first save of the analysis */
    char cand[33];
    register_candidate(F.a.e, cand);
    run_for(LATENCY_MS + 100);
    assert_int_equal(F.a.st.by_task[TASK_RESUME_ANALYSIS], 0); /* sign-up asks for nothing */
    struct engine_reply r = {0};
    start_interview(F.a.e, cand, &r); /* the first interview asks for the analysis */
    engine_reply_clear(&r);
    run_for(LATENCY_MS + 100);
    assert_int_equal(F.a.st.by_task[TASK_RESUME_ANALYSIS], 1);
    assert_int_equal(F.set_analysis_calls, 1);                 /* refused */
    run_for(10000);                                            /* the retry sweeper asks again */
    assert_int_equal(F.set_analysis_calls, 2);                 /* saved */
    assert_int_equal(F.a.st.by_task[TASK_RESUME_ANALYSIS], 1); /* no second provider call */
    struct store_candidate c = {0};
    assert_int_equal(store_call(&F.wrap, candidate_get, cand, &c), STORE_OK);
    assert_string_equal(c.analysis_source, "model");
    store_candidate_free(&c);
}

/* Evaluate calls both instances made for one answered question, while B recovers
 * (as after a restart) during A's evaluation. */
static uint64_t evaluate_calls_with_b_recovering(unsigned caps)
{
    F.wrap_ops.caps = caps;
    instance_start(&F.a, "a");
    instance_start(&F.b, "b");
    char cand[33];
    register_candidate(F.a.e, cand);
    run_for(LATENCY_MS + 100);
    answer_first_question(F.a.e, cand);
    engine_recover(F.b.e); /* sees the answer pending evaluation */
    run_for(20000);
    assert_int_equal(F.replies, 1);
    assert_int_equal(F.last_err, ENGINE_OK);
    return F.a.st.by_task[TASK_EVALUATE] + F.b.st.by_task[TASK_EVALUATE];
}

static void test_two_instances_on_a_shared_store_evaluate_an_answer_once(void **s)
{
    (void)s;
    assert_int_equal(evaluate_calls_with_b_recovering(STORE_CAP_SHARED), 1);
}

/* The control: without the shared capability nothing tells B that A holds the work,
 * so the test above can fail. */
static void test_without_the_shared_capability_both_instances_evaluate(void **s)
{
    (void)s;
    assert_int_equal(evaluate_calls_with_b_recovering(0), 2);
}

static void test_one_instance_does_not_repeat_an_evaluation_in_flight(void **s)
{
    (void)s;
    instance_start(&F.a, "a");
    char cand[33];
    register_candidate(F.a.e, cand);
    run_for(LATENCY_MS + 100);
    answer_first_question(F.a.e, cand);
    assert_int_equal(engine_inflight(F.a.e), 1);
    engine_recover(F.a.e); /* the same work again, in the same process */
    assert_int_equal(engine_inflight(F.a.e), 1);
    run_for(20000);
    assert_int_equal(F.a.st.by_task[TASK_EVALUATE], 1);
    assert_int_equal(F.replies, 1);
}

/* cache_get's answer, for a memory cache (which answers before cache_get returns). */
static void on_cached(const char *value, size_t len, void *data)
{
    (void)len;
    *(int *)data = value != NULL;
}

static int cached(struct engine *e, const char *key)
{
    int hit = -1;
    cache_get(e->cache, key, on_cached, &hit);
    assert_int_not_equal(hit, -1);
    return hit;
}

/* Issue 15: erasure removes the model results cached for the candidate (found through the
 * cacheown records call.c keeps), the records, and the candidate; the token stops. */
static void test_erasure_removes_the_candidates_cached_results(void **s)
{
    (void)s;
    instance_start(&F.a, "a");
    char cand[33];
    register_candidate(F.a.e, cand);
    run_for(LATENCY_MS + 100);
    answer_first_question(F.a.e, cand);
    run_for(20000);
    assert_true(F.a.st.by_task[TASK_EVALUATE] >= 1);
    char prefix[64];
    call_owner_prefix(cand, prefix, sizeof prefix);
    struct store_key_list owned = {0};
    assert_int_equal(store_call(&F.wrap, kv_list_prefix, prefix, &owned), STORE_OK);
    assert_true(owned.len >= 1); /* at least the evaluation of the answer */
    for (size_t i = 0; i < owned.len; i++)
        assert_int_equal(cached(F.a.e, owned.keys[i] + strlen(prefix)), 1);

    struct engine_reply r = {0};
    engine_erase_candidate(F.a.e, cand, &r);
    assert_int_equal(r.err, ENGINE_OK);
    engine_reply_clear(&r);

    for (size_t i = 0; i < owned.len; i++)
        assert_int_equal(cached(F.a.e, owned.keys[i] + strlen(prefix)), 0);
    store_key_list_free(&owned);
    assert_int_equal(store_call(&F.wrap, kv_list_prefix, prefix, &owned), STORE_OK);
    assert_int_equal(owned.len, 0);
    store_key_list_free(&owned);
    struct store_candidate c = {0};
    assert_int_equal(store_call(&F.wrap, candidate_get, cand, &c), STORE_NOT_FOUND);
    store_candidate_free(&c);
    engine_erase_candidate(F.a.e, cand, &r);
    assert_int_equal(r.err, ENGINE_NOT_FOUND);
    engine_reply_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_resume_analysis_retried_after_a_failed_save_is_served_from_the_cache, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_two_instances_on_a_shared_store_evaluate_an_answer_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_the_shared_capability_both_instances_evaluate,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_erasure_removes_the_candidates_cached_results, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_instance_does_not_repeat_an_evaluation_in_flight,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
