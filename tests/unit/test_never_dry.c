/* The bank never runs dry: one candidate, ten interviews a day for thirty simulated
 * days, offline (the bank and the heuristic scorer, no model).
 *
 * The real engine and SQLite store run on the virtual clock. Asserted: no interview is
 * refused and every answer gets its next question; no question comes back within three
 * days of being asked; no two questions of one interview share a topic; questions that
 * come back say when the candidate last met them, and the report shows the earlier
 * score beside the new one. The test prints what it measured. */
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

#define T0 1796115600000LL /* 2026-12-01T09:00Z */
#define DAY_MS 86400000LL
#define DAYS 30
#define PER_DAY 10
#define MIN_GAP_MS (3 * DAY_MS)

/* Answers of three qualities, so that scores differ and reviews have an order. */
static const char *answers[] = {
    "I don't know.",
    "I would look at the logs and try a few things until it works, then tell the team.",
    "In my last role I owned this end to end. First I measured the problem: p99 latency was "
    "900 ms because every request took a lock on one table. I weighed three options, chose "
    "to partition the table and add an idempotent retry with a queue in front of billing, "
    "rolled it out behind a flag to 5 percent of traffic, watched error rates and the "
    "dashboards, and cut latency to 180 ms. The trade-off was more operational work, which "
    "we covered with runbooks and alerts. Looking back, I would have involved the on-call "
    "team earlier and written the design down before the first prototype.",
};

static struct {
    struct config cfg;
    char dir[64];
    char db[128];
    struct store *store;
    struct engine *e;
    int replies, failures;
    json_t *next; /* the last reply's next_question (owned) */
    int done;
} F;

/* What the candidate heard, by question id: when last. */
struct heard {
    char id[96];
    int64_t last_ms;
};

static void on_reply(struct engine_reply *r, void *data)
{
    (void)data;
    F.replies++;
    json_decref(F.next);
    F.next = NULL;
    if (r->err != ENGINE_OK) {
        F.failures++;
        fprintf(stderr, "answer refused: %s\n", r->message);
        return;
    }
    json_t *nq = json_object_get(r->body, "next_question");
    F.next = json_is_object(nq) ? json_incref(nq) : NULL;
    F.done = json_is_true(json_object_get(r->body, "done"));
}

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

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    log_set_level(LOG_ERROR);
    clock_use_virtual(T0);
    timer_use_virtual(1);
    config_defaults(&F.cfg);
    free(F.cfg.budget_mode);
    F.cfg.budget_mode = xstrdup("offline");
    /* 36000 committed writes: in memory (tmpfs) where the machine has it, since what is
     * measured here is the choice of questions, not the disk */
    snprintf(F.dir, sizeof F.dir, "%s/test_never_dry.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(F.dir));
    snprintf(F.db, sizeof F.db, "%s/t.db", F.dir);
    char err[256];
    F.store = store_sqlite_open(F.db, err, sizeof err);
    assert_non_null(F.store);
    struct router *r = router_new(NULL, F.store);
    F.e = engine_new_with_router(NULL, &F.cfg, F.store, r, err, sizeof err);
    if (!F.e) fprintf(stderr, "%s\n", err);
    assert_non_null(F.e);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(F.next);
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

static void register_candidate(char id[33])
{
    json_t *body = json_pack(
        "{s:s,s:s,s:s,s:s}", "name", "Ada Example", "email", "ada@example.com", "role",
        "backend_engineer", "resume_text",
        "Backend engineer, 6 years at Acme Corp: Go, PostgreSQL, Kafka, Kubernetes.\n"
        "- Built a double-entry ledger service in Java/Spring Boot on PostgreSQL with "
        "serializable transactions.\n- Led the migration of 14 services from VMs to Kubernetes "
        "(Helm from scratch).\n- Designed an event-driven order pipeline on Kafka.");
    struct engine_reply r = {0};
    engine_register(F.e, body, &r);
    json_decref(body);
    assert_int_equal(r.err, ENGINE_OK);
    snprintf(id, 33, "%s", json_string_value(json_object_get(r.body, "candidate_id")));
    engine_reply_clear(&r);
}

struct tally {
    int interviews, questions, reviews, repeats_within_gap, shared_topics, previous_shown;
    int review_without_date;
};

static struct heard *heard_find(struct heard *h, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(h[i].id, id) == 0) return &h[i];
    return NULL;
}

/* One interview: start, answer every question, read the report. */
static void one_interview(const char *cand, int nth, struct heard *heard, int *n_heard,
                          struct tally *t)
{
    static const char *kinds[] = {"mixed", "technical", "behavioral"};
    json_t *body = json_pack("{s:s}", "kind", kinds[nth % 3]);
    struct engine_reply r = {0};
    engine_start(F.e, cand, body, &r);
    json_decref(body);
    if (r.err != ENGINE_OK) fprintf(stderr, "start refused: %s\n", r.message);
    assert_int_equal(r.err, ENGINE_OK);
    char iv[33];
    snprintf(iv, sizeof iv, "%s", json_string_value(json_object_get(r.body, "interview_id")));
    json_t *q = json_incref(json_object_get(r.body, "question"));
    engine_reply_clear(&r);
    int64_t asked_ms = clock_now_ms(); /* when the question in q was asked */
    t->interviews++;
    char topics[40][96];
    int n_topics = 0;
    for (int k = 0; q; k++) {
        const char *qid = json_string_value(json_object_get(q, "id"));
        const char *text = json_string_value(json_object_get(q, "text"));
        int64_t now = asked_ms;
        struct heard *h = heard_find(heard, *n_heard, qid);
        if (h && now - h->last_ms < MIN_GAP_MS) {
            t->repeats_within_gap++;
            fprintf(stderr, "again within three days (%s, last %.1f days ago): %s\n", qid,
                    (double)(now - h->last_ms) / DAY_MS, text);
        }
        if (h) {
            t->reviews++;
            if (!strstr(text, " on ")) t->review_without_date++;
        }
        if (!h) {
            h = &heard[(*n_heard)++];
            snprintf(h->id, sizeof h->id, "%s", qid);
        }
        h->last_ms = now;
        t->questions++;
        unsigned pick = (unsigned)util_xxh64(qid, strlen(qid)) + (unsigned)nth;
        json_t *ans = json_pack("{s:s,s:s}", "question_id", qid, "answer", answers[pick % 3]);
        F.next = NULL;
        engine_answer(F.e, cand, iv, ans, on_reply, NULL);
        json_decref(ans);
        json_decref(q);
        q = F.next; /* the reference on_reply took is now q's */
        F.next = NULL;
        asked_ms = clock_now_ms();
        run_for(1000);
    }
    run_for(5000);
    /* topics of this interview, from its state */
    engine_interview_state(F.e, cand, iv, &r);
    assert_int_equal(r.err, ENGINE_OK);
    engine_reply_clear(&r);
    struct store_turn_list turns = {0};
    assert_int_equal(store_call(F.store, turn_list, iv, &turns), STORE_OK);
    for (size_t i = 0; i < turns.len; i++) {
        const char *topic = turns.items[i].topic;
        if (!topic) continue;
        for (int j = 0; j < n_topics; j++)
            if (strcmp(topics[j], topic) == 0) {
                t->shared_topics++;
                fprintf(stderr, "topic %s twice in one interview\n", topic);
            }
        snprintf(topics[n_topics++], sizeof topics[0], "%s", topic);
    }
    store_turn_list_free(&turns);
    /* the report shows a repeated question's earlier score beside the new one */
    engine_report(F.e, cand, iv, &r);
    assert_int_equal(r.err, ENGINE_OK);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r.body, "scores"), i, s)
    {
        json_t *prev = json_object_get(s, "previous");
        if (!prev) continue;
        assert_true(json_integer_value(json_object_get(prev, "score")) >= 0);
        assert_non_null(json_string_value(json_object_get(prev, "date")));
        t->previous_shown++;
    }
    engine_reply_clear(&r);
}

static void test_thirty_days_of_ten_interviews_never_run_dry(void **state)
{
    (void)state;
    char cand[33];
    register_candidate(cand);
    run_for(1000);
    struct heard *heard = xcalloc(DAYS * PER_DAY * 40, sizeof *heard);
    int n_heard = 0;
    struct tally t = {0};
    for (int day = 0; day < DAYS; day++) {
        clock_set_ms(T0 + day * DAY_MS);
        if (getenv("NEVER_DRY_PROGRESS"))
            fprintf(stderr, "day %d: %d questions, %d reviews\n", day, t.questions, t.reviews);
        for (int k = 0; k < PER_DAY; k++) {
            one_interview(cand, day * PER_DAY + k, heard, &n_heard, &t);
            run_for(30 * 60000); /* half an hour between interviews */
        }
    }
    printf("never_dry: %d days x %d interviews: %d interviews, %d questions, %d distinct "
           "questions, %d reviews (%d shown with the earlier score in the report), %d asked "
           "again within 3 days, %d topics shared within an interview, %d refused answers\n",
           DAYS, PER_DAY, t.interviews, t.questions, n_heard, t.reviews, t.previous_shown,
           t.repeats_within_gap, t.shared_topics, F.failures);
    free(heard);
    assert_int_equal(t.interviews, DAYS * PER_DAY);
    assert_int_equal(F.failures, 0);
    assert_int_equal(t.repeats_within_gap, 0);
    assert_int_equal(t.shared_topics, 0);
    assert_int_equal(t.review_without_date, 0);
    /* thirty days are more than the bank: questions come back, and the report says so */
    assert_true(t.reviews > 0);
    assert_true(t.previous_shown > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_thirty_days_of_ten_interviews_never_run_dry, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
