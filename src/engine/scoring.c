/* scoring: evaluations, batches and summaries of an interview (see scoring.h).
 *
 * The one idea: a model call carries its own work (struct work: which interview, which
 * turns, who waits) and its own completion callback, so what comes back is handled by
 * the function written for it; a call that fails leaves the heuristic to score, and the
 * interview is never held longer than turn_deadline_ms for a model. */
#include "engine/scoring.h"

#include "core/clock.h"
#include "core/check.h"
#include "core/fastjson.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/internal.h"
#include "engine/precheck.h"
#include "engine/question.h"
#include "engine/report.h"
#include "engine/rubric.h"
#include "engine/sweep.h"
#include "llm/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reply caps: about twice the compact reply (llm/task.c: a score and at most 20-25 words
 * of feedback per answer, a 2-3 sentence summary, a one-sentence next question), plus
 * REASONING_ALLOWANCE for models that think before they answer and count it as completion
 * (gpt-oss, the Groq deployments), whose reply a cap of the reply's size alone would cut
 * off. A cap is what the router reserves, not what a call costs. */
#define REASONING_ALLOWANCE 200
#define EVAL_MAX_TOKENS (150 + REASONING_ALLOWANCE)      /* one evaluation */
#define EVAL_NEXT_MAX_TOKENS (250 + REASONING_ALLOWANCE) /* one evaluation and a question */
#define BATCH_MAX_TOKENS(n, with_summary, with_next)                                               \
    (REASONING_ALLOWANCE + 70 * (n) + ((with_summary) ? 250 : 0) + ((with_next) ? 80 : 0))
/* The questions already asked that a next-question request lists: the latest of its
 * phase, the ones a new question of that phase could repeat (the engine still refuses
 * a near-duplicate of anything the candidate heard). */
#define NEXT_ASKED_MAX 6

int scoring_batch_max_tokens(int n, int with_summary, int with_next)
{
    return BATCH_MAX_TOKENS(n, with_summary, with_next);
}

int scoring_eval_max_tokens(int with_next)
{
    return with_next ? EVAL_NEXT_MAX_TOKENS : EVAL_MAX_TOKENS;
}

/* One call's work: what its callback needs to write the result back. */
struct work {
    struct engine *e;
    char interview_id[33];
    int idx;                      /* evaluate: the turn scored */
    int *idxs;                    /* batch: the turns scored by this call */
    int n_idxs;                   /* of them */
    int with_summary;             /* batch: the reply carries the summary too */
    struct scoring_wait wait;     /* a candidate waiting for the next question */
    struct timer *deadline_timer; /* ... at most turn_deadline_ms */
    int64_t wait_until_ms;        /* clock_mono_ms() when the candidate stops waiting */
};

/* While a candidate waits, how often the router is asked again whether any provider can
 * still answer in time: a provider that starts answering 503 "overloaded" puts itself
 * in a cooldown longer than the turn can wait, and the candidate should not sit it out. */
#define SCORING_WAIT_RECHECK_MS 250

static struct work *work_new(struct engine *e, const char *interview_id)
{
    struct work *w = xcalloc(1, sizeof *w);
    w->e = e;
    snprintf(w->interview_id, sizeof w->interview_id, "%s", interview_id);
    return w;
}

static void work_free(struct work *w)
{
    timer_free(w->deadline_timer);
    free(w->idxs);
    free(w);
}

/* Takes the waiting candidate (if any) off w: they are answered exactly once. */
static struct scoring_wait work_take_wait(struct work *w)
{
    struct scoring_wait wait = w->wait;
    w->wait = (struct scoring_wait){0};
    if (w->deadline_timer) timer_stop(w->deadline_timer);
    return wait;
}

/* No provider can answer before the candidate stops waiting (down, in a cooldown, out
 * of quota): 1, and the candidate should get the bank question now. */
static int no_answer_in_time(const struct work *w, int64_t left_ms)
{
    return w->e->router && !router_can_take_within(w->e->router, EVAL_NEXT_MAX_TOKENS * 2, left_ms);
}

/* The candidate waited long enough, or no provider can answer before they would: ask a
 * bank question now; the call goes on and its scores are still stored when they arrive. */
static void on_reply_deadline(void *arg)
{
    struct work *w = arg;
    int64_t left = w->wait_until_ms - clock_mono_ms();
    if (left > 0 && !no_answer_in_time(w, left)) { /* still worth waiting: look again */
        timer_start(w->deadline_timer,
                    left < SCORING_WAIT_RECHECK_MS ? left : SCORING_WAIT_RECHECK_MS);
        return;
    }
    struct scoring_wait wait = work_take_wait(w);
    if (!wait.next) return;
    log_info("next_question_fallback", "interview=%s reason=\"no model question within %ld ms\"",
             w->interview_id, w->e->cfg->turn_deadline_ms);
    wait.next(w->e, w->interview_id, NULL, wait.done, wait.data);
}

static void work_wait(struct work *w, const struct scoring_wait *wait)
{
    if (!wait || !wait->next) return;
    w->wait = *wait;
    w->deadline_timer = timer_new(w->e->base, on_reply_deadline, w);
    /* With the provider down or out of quota past the deadline (breaker open, day spent),
     * waiting buys the candidate nothing: the bank question goes out on the next turn of
     * the loop. The call itself goes on, and its scores are stored if it ever answers. */
    long wait_ms = w->e->cfg->turn_deadline_ms;
    if (no_answer_in_time(w, (int64_t)wait_ms)) {
        log_info("turn_no_wait", "interview=%s reason=\"no provider can answer within %ld ms\"",
                 w->interview_id, wait_ms);
        wait_ms = 0;
    }
    w->wait_until_ms = clock_mono_ms() + wait_ms;
    timer_start(w->deadline_timer,
                wait_ms < SCORING_WAIT_RECHECK_MS ? wait_ms : SCORING_WAIT_RECHECK_MS);
}

/* A call that ended in shutdown: the waiting candidate is told, nothing is written.
 * Returns 1 (and frees w) if so. */
static int work_cancelled(struct call *c, struct work *w)
{
    if (call_source(c) != CALL_CANCELLED && !w->e->closing) return 0;
    struct scoring_wait wait = work_take_wait(w);
    if (wait.done) {
        struct engine_reply r = {0};
        engine_fail(&r, ENGINE_UNAVAILABLE, "The service is shutting down; please retry.");
        wait.done(&r, wait.data);
    }
    work_free(w);
    return 1;
}

/* After a call: the waiting candidate gets the model's question (or a bank one). */
static void work_reply(struct work *w, const json_t *parsed)
{
    struct scoring_wait wait = work_take_wait(w);
    if (!wait.next) return;
    const char *q = parsed ? json_string_value(json_object_get(parsed, "next_question")) : NULL;
    wait.next(w->e, w->interview_id, q, wait.done, wait.data);
}

json_t *scoring_turn_keywords(const struct store_turn *t)
{
    return engine_json_array(t->keywords);
}

/* Texts asked so far in this interview in the next question's phase, the latest
 * NEXT_ASKED_MAX, oldest first, for a next-question request. */
static const char **asked_texts(const struct store_turn_list *turns, const char *phase, size_t *n)
{
    const char **asked = xcalloc(NEXT_ASKED_MAX + 1, sizeof *asked);
    size_t k = 0, first = turns->len;
    while (first > 0 && k < NEXT_ASKED_MAX) {
        const struct store_turn *t = &turns->items[--first];
        if (t->question_text && t->category && strcmp(t->category, phase) == 0) k++;
    }
    *n = 0;
    for (size_t i = first; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (t->question_text && t->category && strcmp(t->category, phase) == 0)
            asked[(*n)++] = t->question_text;
    }
    return asked;
}

static int turn_has_flag(const struct store_turn *t, const char *flag)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", flag);
    return t->flags && strstr(t->flags, quoted) != NULL;
}

/* 1 if a batch reply's evaluation is the turn's. Prompts name questions by position
 * (llm/task.h), so a reply names "3"; one cached before prompt version 2 names the bank
 * id. */
static int eval_is_for(const json_t *ev, const struct store_turn *t)
{
    const char *qid = json_string_value(json_object_get(ev, "question_id"));
    char position[16];
    snprintf(position, sizeof position, "%d", t->idx + 1);
    return qid && (strcmp(qid, position) == 0 || strcmp(qid, t->question_id) == 0);
}

/* ---- writing a turn's score ---- */

/* The heuristic's evaluation of a turn's answer; caller decrefs. */
static json_t *turn_heuristic_eval(struct engine *e, const struct store_turn *t)
{
    json_t *in = json_pack("{s:s,s:s,s:o,s:s?,s:O*}", "category", t->category, "answer", t->answer,
                           "keywords", scoring_turn_keywords(t), "question", t->question_text,
                           "key_points", question_key_points(e, t));
    json_t *eval = engine_offline_answer("evaluate", in, e);
    json_decref(in);
    return eval;
}

/* An answer that tries to instruct the scorer never scores above what the heuristic
 * gives it: a model it fooled says 5 and does not flag it (mockllm --injection-bump).
 * Returns the heuristic's evaluation (caller decrefs) when it is lower, else NULL. */
static json_t *injection_cap(struct engine *e, const struct store_turn *t, const json_t *model_eval)
{
    if (!precheck_injection(t->answer) &&
        !json_is_true(json_object_get(model_eval, "injection_attempt")))
        return NULL;
    json_t *h = turn_heuristic_eval(e, t);
    if (h && json_integer_value(json_object_get(h, "score")) <
                 json_integer_value(json_object_get(model_eval, "score")))
        return h;
    json_decref(h);
    return NULL;
}

/* Stores one turn's evaluation: the model's (eval != NULL) or the heuristic's. t is the
 * turn as read from the store by the caller. */
static void store_turn_eval(struct engine *e, const struct store_turn *t, json_t *eval,
                            int from_model, int model_was_expected)
{
    if (!t || !t->answer || strcmp(t->eval_status, "done") == 0) return;
    json_t *owned = NULL;
    int capped = 0;
    if (!eval) {
        /* No usable model answer: the heuristic scores it, and the report says so. */
        owned = eval = turn_heuristic_eval(e, t);
        from_model = 0;
    } else if (from_model && (owned = injection_cap(e, t, eval)) != NULL) {
        eval = owned;
        from_model = 0;
        capped = 1;
    }
    json_t *flags = json_array();
    if (capped || precheck_injection(t->answer) ||
        json_is_true(json_object_get(eval, "injection_attempt")))
        json_array_append_new(flags, json_string("injection_attempt"));
    if (!from_model && model_was_expected && !capped) {
        json_array_append_new(flags, json_string("model_unavailable"));
        sweep_reeval_add(e, t->interview_id);
    }
    char *flags_text = json_dumps(flags, JSON_COMPACT);
    json_decref(flags);
    struct store_turn upd = *t;
    upd.score = (int)json_integer_value(json_object_get(eval, "score"));
    upd.feedback = (char *)json_string_value(json_object_get(eval, "feedback"));
    upd.scorer = from_model ? "model" : "heuristic";
    upd.flags = flags_text;
    upd.eval_status = "done";
    enum store_err se = store_call(e->store, turn_set_eval, &upd);
    if (se != STORE_OK) {
        log_error("eval_store_failed", "interview=%s idx=%d error=\"%s\"", t->interview_id, t->idx,
                  store_strerror(se));
        sweep_retry_add(e, t->interview_id);
    }
    free(flags_text);
    json_decref(owned);
}

/* ---- one turn, one call ---- */

static void evaluate_done(struct call *c, json_t *parsed, int from_model, void *data)
{
    struct work *w = data;
    if (work_cancelled(c, w)) return;
    struct engine *e = w->e;
    int expected = call_source(c) != CALL_FROM_OFFLINE;
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, w->interview_id, &turns) != STORE_OK)
        sweep_retry_add(e, w->interview_id); /* the store is down: score it again later */
    else if ((size_t)w->idx < turns.len)
        store_turn_eval(e, &turns.items[w->idx], parsed, from_model, expected);
    store_turn_list_free(&turns);
    stats_count(&e->stats, STATS_EVALUATE, call_stats_outcome(c), 1);
    work_reply(w, parsed);
    scoring_maybe_report(e, w->interview_id);
    work_free(w);
}

void scoring_start_evaluation(struct engine *e, const struct store_interview *iv,
                              const struct store_turn_list *turns, const struct store_turn *t,
                              const char *role, const char *next_phase, int next_difficulty,
                              const struct scoring_wait *wait)
{
    CHECK(e != NULL && iv != NULL && turns != NULL && t != NULL && role != NULL);
    CHECK(t->idx >= 0 && t->idx < iv->total_questions);
    const struct rubric_category *rc = rubrics_get(e->rubrics, t->category);
    json_t *kw = scoring_turn_keywords(t);
    struct task_qa qa = {
        .id = t->question_id,
        .position = t->idx + 1,
        .key_points = question_key_points(e, t),
        .category = t->category,
        .question = t->question_text,
        .answer = t->answer,
        .keywords = kw,
        .difficulty = t->difficulty,
    };
    size_t n_asked = 0;
    const char **asked = next_phase ? asked_texts(turns, next_phase, &n_asked) : NULL;
    struct task_next next = {.phase = next_phase,
                             .difficulty = next_difficulty,
                             .asked = asked,
                             .n_asked = n_asked,
                             .job_description = iv->job_description};
    char work_key[CALL_WORK_MAX];
    snprintf(work_key, sizeof work_key, "evaluate:%s:%d", iv->id, t->idx);
    struct call_spec spec = {
        .task = TASK_EVALUATE,
        .work = work_key,
        .messages = task_evaluate_next(role, e->rubrics->version, rc ? rc->prompt_text : "", &qa,
                                       next_phase ? &next : NULL),
        .task_input = json_pack("{s:s,s:O,s:s,s:s?,s:O*}", "category", t->category, "keywords", kw,
                                "answer", t->answer ? t->answer : "", "question", t->question_text,
                                "key_points", question_key_points(e, t)),
        .max_tokens = next_phase ? EVAL_NEXT_MAX_TOKENS : EVAL_MAX_TOKENS,
        .offline = engine_mode_of(iv) == BUDGET_OFFLINE,
        .interactive = wait && wait->next,
        .claim = 1,
        /* the same question, answer and rubric score the same for anyone; a call that
         * also writes the next question is a follow-up: never cached */
        .scope = next_phase ? NULL : "global",
        .rubric_version = e->rubrics->version,
        .owner = iv->candidate_id, /* their answer is in it: erasure removes the entry */
    };
    free(asked);
    json_decref(kw);
    struct work *w = work_new(e, iv->id);
    w->idx = t->idx;
    work_wait(w, wait);
    if (call_start(&e->calls, &spec, evaluate_done, w) == CALL_STARTED) return;
    /* in flight already, or another instance's: the candidate gets a bank question */
    struct scoring_wait waiting = work_take_wait(w);
    work_free(w);
    if (waiting.next) waiting.next(e, iv->id, NULL, waiting.done, waiting.data);
}

/* ---- several turns, one call ---- */

static void batch_done(struct call *c, json_t *parsed, int from_model, void *data)
{
    struct work *w = data;
    if (work_cancelled(c, w)) return;
    struct engine *e = w->e;
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, w->interview_id, &turns) != STORE_OK) {
        sweep_retry_add(e, w->interview_id);
        work_reply(w, NULL);
        work_free(w);
        return;
    }
    json_t *evals = parsed ? json_object_get(parsed, "evaluations") : NULL;
    for (int k = 0; k < w->n_idxs; k++) {
        int idx = w->idxs[k];
        if (idx < 0 || (size_t)idx >= turns.len) continue;
        json_t *found = NULL;
        size_t i;
        json_t *ev;
        json_array_foreach(evals, i, ev)
        {
            if (eval_is_for(ev, &turns.items[idx])) found = ev;
        }
        store_turn_eval(e, &turns.items[idx], found, found && from_model, 1);
        /* one of the batch is the call itself; the others rode along */
        enum stats_outcome o = !(found && from_model) ? STATS_FALLBACK
                               : k == 0               ? call_stats_outcome(c)
                                                      : STATS_BATCHED;
        stats_count(&e->stats, STATS_EVALUATE, o, 1);
    }
    store_turn_list_free(&turns);
    work_reply(w, parsed);
    if (w->with_summary) {
        json_t *summary = parsed ? json_object_get(parsed, "summary") : NULL;
        stats_count(&e->stats, STATS_SUMMARY, summary && from_model ? STATS_MERGED : STATS_FALLBACK,
                    1);
        report_write(e, w->interview_id, summary, summary != NULL && from_model);
    } else {
        scoring_maybe_report(e, w->interview_id);
    }
    work_free(w);
}

/* The turns a batch scores: pending answers, or (rescore) the ones the heuristic scored
 * for want of a model. Fills qa/kws/idxs (turns->len + 1 slots each); returns n. */
static size_t batch_pick(struct engine *e, const struct store_turn_list *turns, int rescore,
                         struct task_qa *qa, json_t **kws, int *idxs)
{
    size_t n = 0;
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer) continue;
        if (rescore ? !turn_has_flag(t, "model_unavailable")
                    : strcmp(t->eval_status, "pending") != 0)
            continue;
        kws[n] = scoring_turn_keywords(t);
        qa[n] = (struct task_qa){.id = t->question_id,
                                 .position = t->idx + 1,
                                 .key_points = question_key_points(e, t),
                                 .category = t->category,
                                 .question = t->question_text,
                                 .answer = t->answer,
                                 .keywords = kws[n],
                                 .difficulty = t->difficulty};
        idxs[n++] = t->idx;
    }
    return n;
}

/* One rubric per call: the anchors of every category present, once each, in order. */
static char *batch_rubric(struct engine *e, const struct task_qa *qa, size_t n)
{
    struct sbuf rubric = {0};
    const char *cats[] = {"introduction", "resume", "technical", "behavioral", "wrap_up"};
    for (size_t c = 0; c < ARRAY_LEN(cats); c++) {
        int present = 0;
        for (size_t i = 0; i < n && !present; i++)
            present = strcmp(qa[i].category, cats[c]) == 0;
        const struct rubric_category *rc = present ? rubrics_get(e->rubrics, cats[c]) : NULL;
        if (rc) sbuf_puts(&rubric, rc->prompt_text);
    }
    return rubric.data ? rubric.data : xstrdup("");
}

static int start_batch(struct engine *e, const struct store_interview *iv,
                       const struct store_turn_list *turns, const char *role, int with_summary,
                       const char *next_phase, int next_difficulty, const struct scoring_wait *wait,
                       int rescore, call_done_fn done)
{
    CHECK(e != NULL && iv != NULL && turns != NULL && role != NULL);
    struct task_qa *qa = xcalloc(turns->len + 1, sizeof *qa);
    json_t **kws = xcalloc(turns->len + 1, sizeof *kws);
    int *idxs = xcalloc(turns->len + 1, sizeof *idxs);
    size_t n = batch_pick(e, turns, rescore, qa, kws, idxs);
    if (n == 0) {
        free(qa);
        free(kws);
        free(idxs);
        return 0;
    }
    char *rubric = batch_rubric(e, qa, n);
    size_t n_asked = 0;
    const char **asked = next_phase ? asked_texts(turns, next_phase, &n_asked) : NULL;
    struct task_next next = {.phase = next_phase,
                             .difficulty = next_difficulty,
                             .asked = asked,
                             .n_asked = n_asked,
                             .job_description = iv->job_description};
    char work_key[CALL_WORK_MAX];
    snprintf(work_key, sizeof work_key, "%s:%s:%s", rescore ? "reeval" : "batch", iv->id,
             with_summary ? "final" : "mid");
    struct call_spec spec = {
        .task = TASK_EVALUATE_BATCH,
        .work = work_key,
        .messages = task_evaluate_batch_next(role, e->rubrics->version, rubric, qa, n, with_summary,
                                             next_phase ? &next : NULL),
        .max_tokens = BATCH_MAX_TOKENS((int)n, with_summary, next_phase != NULL),
        .interactive = wait && wait->next,
        .optional = rescore, /* re-scoring a finished interview never takes the reserve */
        .claim = 1,
        .scope = iv->id, /* batches and summaries belong to their interview */
        .rubric_version = e->rubrics->version,
        .owner = iv->candidate_id,
    };
    free(rubric);
    free(asked);
    for (size_t i = 0; i < n; i++)
        json_decref(kws[i]);
    free(kws);
    free(qa);
    struct work *w = work_new(e, iv->id);
    w->idxs = idxs;
    w->n_idxs = (int)n;
    w->with_summary = with_summary;
    work_wait(w, wait);
    enum call_start st = call_start(&e->calls, &spec, done, w);
    if (st == CALL_STARTED) return 1;
    int waiting = w->wait.next != NULL;
    work_take_wait(w);
    work_free(w);
    /* in flight here: it will finish the work; a waiting candidate goes on without it */
    return st == CALL_BUSY && !waiting;
}

int scoring_start_batch(struct engine *e, const struct store_interview *iv,
                        const struct store_turn_list *turns, const char *role, int with_summary,
                        const char *next_phase, int next_difficulty,
                        const struct scoring_wait *wait)
{
    return start_batch(e, iv, turns, role, with_summary, next_phase, next_difficulty, wait, 0,
                       batch_done);
}

/* ---- re-scoring later ---- */

/* The model scored what the heuristic had scored: store it, drop the flag, rebuild the
 * report with its summary as it was. */
static void rescore_write(struct engine *e, struct work *w, json_t *parsed)
{
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, w->interview_id, &turns) != STORE_OK) return;
    json_t *evals = json_object_get(parsed, "evaluations");
    int updated = 0;
    for (int k = 0; k < w->n_idxs; k++) {
        int idx = w->idxs[k];
        if ((size_t)idx >= turns.len) continue;
        struct store_turn *t = &turns.items[idx];
        size_t i;
        json_t *ev, *found = NULL;
        json_array_foreach(evals, i, ev)
        {
            if (eval_is_for(ev, t)) found = ev;
        }
        if (!found) continue;
        json_t *cap = injection_cap(e, t, found);
        if (cap) { /* the heuristic's lower score stands */
            json_decref(cap);
            continue;
        }
        json_t *flags = json_array();
        if (precheck_injection(t->answer) ||
            json_is_true(json_object_get(found, "injection_attempt")))
            json_array_append_new(flags, json_string("injection_attempt"));
        json_array_append_new(flags, json_string("rescored_later"));
        char *ft = json_dumps(flags, JSON_COMPACT);
        json_decref(flags);
        struct store_turn upd = *t;
        upd.score = (int)json_integer_value(json_object_get(found, "score"));
        upd.feedback = (char *)json_string_value(json_object_get(found, "feedback"));
        upd.scorer = "model";
        upd.flags = ft;
        upd.eval_status = "done";
        if (store_call(e->store, turn_set_eval, &upd) == STORE_OK) updated++;
        free(ft);
    }
    store_turn_list_free(&turns);
    if (!updated) return;
    /* keep the summary the report had */
    struct store_interview iv = {0};
    json_t *old = NULL;
    if (store_call(e->store, interview_get, w->interview_id, &iv) == STORE_OK && iv.report_json) {
        json_error_t je;
        old = fastjson_load(iv.report_json, strlen(iv.report_json), &je);
    }
    json_t *summary =
        old ? json_pack("{s:O?,s:O?,s:O?}", "summary", json_object_get(old, "summary"), "strengths",
                        json_object_get(old, "strengths"), "improvements",
                        json_object_get(old, "improvements"))
            : NULL;
    const char *by = old ? json_string_value(json_object_get(old, "summary_by")) : NULL;
    report_write(e, w->interview_id, summary, by && strcmp(by, "model") == 0);
    log_info("reeval_done", "interview=%s rescored=%d", w->interview_id, updated);
    json_decref(summary);
    json_decref(old);
    store_interview_free(&iv);
}

static void rescore_done(struct call *c, json_t *parsed, int from_model, void *data)
{
    struct work *w = data;
    if (work_cancelled(c, w)) return;
    struct engine *e = w->e;
    if (!parsed || !from_model) {
        sweep_reeval_add(e, w->interview_id); /* still no model: later */
        work_free(w);
        return;
    }
    rescore_write(e, w, parsed);
    work_free(w);
}

int scoring_start_rescore(struct engine *e, const struct store_interview *iv,
                          const struct store_turn_list *turns, const char *role)
{
    return start_batch(e, iv, turns, role, 0, NULL, 0, NULL, 1, rescore_done);
}

/* ---- the summary ---- */

static void summary_done(struct call *c, json_t *parsed, int from_model, void *data)
{
    struct work *w = data;
    if (work_cancelled(c, w)) return;
    stats_count(&w->e->stats, STATS_SUMMARY, call_stats_outcome(c), 1);
    report_write(w->e, w->interview_id, parsed, parsed != NULL && from_model);
    work_free(w);
}

static void start_summary(struct engine *e, const struct store_interview *iv,
                          const struct store_turn_list *turns, const char *role)
{
    struct task_qa *qa = xcalloc(turns->len + 1, sizeof *qa);
    size_t n = 0;
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer) continue;
        qa[n++] = (struct task_qa){.id = t->question_id,
                                   .position = t->idx + 1,
                                   .category = t->category,
                                   .question = t->question_text,
                                   .answer = t->answer,
                                   .difficulty = t->difficulty,
                                   .score = t->score};
    }
    char work_key[CALL_WORK_MAX];
    snprintf(work_key, sizeof work_key, "summary:%s", iv->id);
    struct call_spec spec = {
        .task = TASK_SUMMARY,
        .work = work_key,
        .messages = task_summary(role, qa, n),
        .task_input = json_pack("{s:o}", "scored", report_scored_list(e, turns)),
        .offline = engine_mode_of(iv) == BUDGET_OFFLINE,
        .claim = 1,
        .scope = iv->id,
        .rubric_version = e->rubrics->version,
        .owner = iv->candidate_id,
    };
    free(qa);
    struct work *w = work_new(e, iv->id);
    if (call_start(&e->calls, &spec, summary_done, w) != CALL_STARTED) work_free(w);
}

/* ---- what an interview still needs ---- */

void scoring_maybe_report(struct engine *e, const char *interview_id)
{
    CHECK(e != NULL && interview_id != NULL);
    struct store_interview iv = {0};
    enum store_err se = store_call(e->store, interview_get, interview_id, &iv);
    if (se != STORE_OK) {
        if (se != STORE_NOT_FOUND) sweep_retry_add(e, interview_id);
        return;
    }
    if (engine_state_of(&iv) != INTERVIEW_FINISHED || iv.report_json) {
        store_interview_free(&iv);
        return;
    }
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, interview_id, &turns) != STORE_OK) {
        sweep_retry_add(e, interview_id);
        store_interview_free(&iv);
        return;
    }
    struct store_candidate c = {0};
    const char *role = "unknown";
    if (store_call(e->store, candidate_get, iv.candidate_id, &c) == STORE_OK) role = c.role;
    int pending = 0;
    for (size_t i = 0; i < turns.len; i++)
        if (turns.items[i].answer && strcmp(turns.items[i].eval_status, "done") != 0) pending++;
    enum budget_mode mode = engine_mode_of(&iv);
    int batched = mode == BUDGET_BALANCED || mode == BUDGET_ECONOMY;
    char mid[CALL_WORK_MAX];
    snprintf(mid, sizeof mid, "batch:%s:mid", iv.id);
    if (batched && call_in_flight(&e->calls, mid)) {
        /* the mid-interview batch is still out: it calls us when it lands */
    } else if (batched && pending) {
        scoring_start_batch(e, &iv, &turns, role, 1, NULL, 0, NULL);
    } else if (pending) {
        for (size_t i = 0; i < turns.len; i++) {
            const struct store_turn *t = &turns.items[i];
            if (t->answer && strcmp(t->eval_status, "pending") == 0)
                scoring_start_evaluation(e, &iv, &turns, t, role, NULL, 0, NULL);
        }
    } else {
        start_summary(e, &iv, &turns, role);
    }
    store_candidate_free(&c);
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}

int scoring_resume_pending(struct engine *e, const struct store_interview *iv)
{
    enum budget_mode mode = engine_mode_of(iv);
    if (mode != BUDGET_FULL && mode != BUDGET_OFFLINE) return 0;
    struct store_turn_list turns = {0};
    struct store_candidate c = {0};
    int started = 0;
    if (store_call(e->store, turn_list, iv->id, &turns) == STORE_OK) {
        const char *role = "unknown";
        if (store_call(e->store, candidate_get, iv->candidate_id, &c) == STORE_OK) role = c.role;
        for (size_t k = 0; k < turns.len; k++) {
            const struct store_turn *t = &turns.items[k];
            if (!t->answer || strcmp(t->eval_status, "pending") != 0) continue;
            scoring_start_evaluation(e, iv, &turns, t, role, NULL, 0, NULL);
            started++;
        }
    }
    store_candidate_free(&c);
    store_turn_list_free(&turns);
    return started;
}
