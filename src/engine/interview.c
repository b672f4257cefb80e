/* interview: the interview state machine: start, answer, state (see engine.h).
 *
 * The one idea: an answer is saved before anything else happens. engine_answer()
 * commits the answer and the interview's move forward in one transaction, then scoring
 * starts in the background (scoring.c) and the next question is asked; where the mode
 * lets a model write the next question, the candidate waits for it at most
 * turn_deadline_ms, then gets a bank question. Modes may step down mid-interview when
 * the day's quota can no longer carry them, never up. */
#include "engine/engine.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/candidate.h"
#include "engine/injection.h"
#include "engine/internal.h"
#include "engine/precheck.h"
#include "engine/question.h"
#include "engine/scoring.h"
#include "llm/router.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INTERVIEW_ID_BYTES 16 /* 128-bit ids */
#define DAY_MS 86400000

static int day_start_count(const struct store_interview_list *l, int64_t now, int *active)
{
    int64_t day0 = now - now % DAY_MS;
    int today = 0;
    *active = 0;
    for (size_t i = 0; i < l->len; i++) {
        if (l->items[i].created_ms >= day0) today++;
        if (engine_state_of(&l->items[i]) == INTERVIEW_ACTIVE &&
            now - l->items[i].created_ms < DAY_MS)
            (*active)++;
    }
    return today;
}

/* The candidate's per-candidate limits: unfinished interviews and starts per UTC day.
 * Returns 0 (with *earlier = interviews they started before), or -1 with out filled. */
static int start_within_limits(struct engine *e, const char *candidate_id, int *earlier,
                               struct engine_reply *out)
{
    struct store_interview_list mine = {0};
    enum store_err se = store_call(e->store, interview_list_by_candidate, candidate_id, &mine);
    if (se != STORE_OK) {
        engine_store_failed(out, se);
        return -1;
    }
    int active;
    int today = day_start_count(&mine, clock_now_ms(), &active);
    *earlier = (int)mine.len;
    store_interview_list_free(&mine);
    CHECK(active >= 0 && today >= 0);
    if (active >= e->cfg->max_active_interviews) {
        engine_fail(
            out, ENGINE_LIMIT,
            "You already have %d interviews in progress; finish one before starting another.",
            active);
        return -1;
    }
    if (today >= e->cfg->max_interviews_per_day) {
        engine_fail(out, ENGINE_LIMIT,
                    "You have started %d interviews today, the daily limit; please come back "
                    "tomorrow (UTC).",
                    today);
        return -1;
    }
    return 0;
}

/* The optional job description: a string within [limits] max_job_description_bytes
 * that does not try to instruct the model (engine/injection.c, as answers are checked).
 * It is data: stored with the interview, fenced in prompts, never followed. *job is
 * borrowed from body, NULL when absent or blank. */
static int read_job_description(struct engine *e, const json_t *body, const char **job,
                                struct engine_reply *out)
{
    json_t *v = json_object_get(body, "job_description");
    *job = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) {
        engine_fail(out, ENGINE_INVALID,
                    "\"job_description\" must be a string (the text of the "
                    "job advert), or left out.");
        return -1;
    }
    if ((long)json_string_length(v) > e->cfg->max_job_description_bytes) {
        engine_fail(out, ENGINE_TOO_LARGE,
                    "The job description is longer than the limit of %ld bytes; paste the "
                    "part that lists the responsibilities and skills.",
                    e->cfg->max_job_description_bytes);
        out->code = "job_description_too_long";
        return -1;
    }
    const char *s = json_string_value(v);
    if (injection_check(s, NULL) != INJECTION_NONE) {
        engine_fail(out, ENGINE_INVALID,
                    "The job description contains text addressed to the interviewer or its AI "
                    "(such as instructions to ignore rules); paste only the job advert itself.");
        out->code = "job_description_rejected";
        return -1;
    }
    while (*s && isspace((unsigned char)*s))
        s++;
    *job = *s ? json_string_value(v) : NULL;
    return 0;
}

void engine_start(struct engine *e, const char *candidate_id, const json_t *body,
                  struct engine_reply *out)
{
    CHECK(e != NULL && candidate_id != NULL && out != NULL);
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (!kind) {
        engine_fail(out, ENGINE_MISSING,
                    "The field \"kind\" is required: technical, behavioral or "
                    "mixed.");
        return;
    }
    if (strcmp(kind, "technical") && strcmp(kind, "behavioral") && strcmp(kind, "mixed")) {
        engine_fail(out, ENGINE_INVALID, "\"kind\" must be technical, behavioral or mixed.");
        return;
    }
    const char *job = NULL;
    if (read_job_description(e, body, &job, out) != 0) return;
    struct cand_ctx cc;
    enum store_err se = cand_load(e, candidate_id, &cc);
    if (se != STORE_OK) {
        engine_candidate_failed(out, se);
        return;
    }
    int earlier_interviews = 0;
    if (start_within_limits(e, candidate_id, &earlier_interviews, out) != 0) {
        cand_free(&cc);
        return;
    }
    int64_t now = clock_now_ms();

    const char *phases[QUESTION_MAX_PLAN];
    int n = question_plan_build(kind, (int)e->cfg->questions, phases);
    json_t *plan = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(plan, json_string(phases[i]));
    char *plan_text = json_dumps(plan, JSON_COMPACT);
    json_decref(plan);

    enum budget_mode mode_e = engine_mode_now(e);
    /* issue 14: what is left of the day is the reserve for interviews already running */
    int reserved = mode_e != BUDGET_OFFLINE && router_reserve_reached(e->router);
    if (reserved) {
        log_info("interview_offline",
                 "candidate=%s reason=\"only the reserve for running "
                 "interviews is left today\"",
                 candidate_id);
        mode_e = BUDGET_OFFLINE;
    }
    const char *mode = budget_mode_name(mode_e);
    struct sbuf greet = {0};
    sbuf_printf(&greet,
                "Hello %s, welcome to your %s mock interview for the %s role. I will ask you "
                "%d questions, starting with an introduction, then your experience, %s, and a "
                "closing question. Answer as you would in a real interview; specific examples "
                "and numbers help.",
                cc.c.name, kind, cc.role ? cc.role->title : cc.c.role, n,
                strcmp(kind, "behavioral") == 0  ? "situations you have handled"
                : strcmp(kind, "technical") == 0 ? "technical questions"
                                                 : "technical and behavioral questions");
    if (reserved)
        sbuf_puts(&greet, " Note: today's AI quota is kept for interviews already in progress, "
                          "so your answers will be scored by a rubric.");
    else if (mode_e == BUDGET_OFFLINE)
        sbuf_puts(&greet, " Note: no AI model is configured, so your answers will be scored by "
                          "a rubric.");
    char *id = util_random_id(INTERVIEW_ID_BYTES);
    struct store_interview iv = {
        .id = id,
        .candidate_id = (char *)candidate_id,
        .kind = (char *)kind,
        .mode = (char *)mode,
        .state = "active",
        .total_questions = n,
        .next_index = 0,
        .greeting = greet.data,
        .plan_json = plan_text,
        .created_ms = now,
        .job_description = (char *)job,
    };
    struct store_turn first = {0};
    struct store_turn_list none = {0};
    se = store_begin(e->store);
    if (se == STORE_OK) se = store_call(e->store, interview_insert, &iv);
    if (se == STORE_OK) se = question_ask(e, &iv, &cc, &none, 0, NULL, &first);
    if (se == STORE_OK)
        se = store_commit(e->store);
    else
        store_rollback(e->store);
    if (se != STORE_OK) {
        engine_store_failed(out, se);
    } else {
        engine_ok(out, json_pack("{s:s,s:s,s:s,s:o}", "interview_id", id, "mode", mode, "greeting",
                                 greet.data, "question", question_json(&first, n)));
        /* the skills read from the job description, so the candidate sees what steers */
        if (job) json_object_set_new(out->body, "job_skills", question_job_skills(e, job));
        log_info("interview_started", "interview=%s candidate=%s kind=%s mode=%s", id, candidate_id,
                 kind, mode);
        e->started_today++;
        e->counts.started++;
        e->counts.started_by_mode[mode_e]++;
        engine_count_in_progress(e, mode_e, +1);
        /* the resume is analysed when an interview starts, once per distinct resume */
        cand_analyse_for_interview(e, &cc, mode_e != BUDGET_OFFLINE);
    }
    store_turn_free(&first);
    sbuf_free(&greet);
    free(plan_text);
    free(id);
    cand_free(&cc);
}

static void reply_next(struct engine *e, const struct store_interview *iv,
                       const struct store_turn *next, engine_reply_fn done, void *data)
{
    (void)e;
    struct engine_reply r = {0};
    if (next)
        engine_ok(&r, json_pack("{s:o,s:b,s:i}", "next_question",
                                question_json(next, iv->total_questions), "done", 0, "answered",
                                next->idx));
    else
        engine_ok(&r, json_pack("{s:n,s:b,s:i}", "next_question", "done", 1, "answered",
                                iv->total_questions));
    done(&r, data);
    engine_reply_clear(&r);
}

/* With the interview, candidate and turns already loaded (as the answer
 * handler has them): asks turn iv->next_index unless it exists, then replies. The same
 * with the interview, candidate and turns already loaded (as the answer
 * handler has them): asks turn iv->next_index unless it exists, then replies. */
static void continue_loaded(struct engine *e, const struct store_interview *iv, struct cand_ctx *cc,
                            const struct store_turn_list *turns, const char *follow_up,
                            engine_reply_fn done, void *data)
{
    if ((size_t)iv->next_index < turns->len) { /* already asked (a retried request) */
        reply_next(e, iv, &turns->items[iv->next_index], done, data);
        return;
    }
    struct store_turn next = {0};
    enum store_err se = question_ask(e, iv, cc, turns, iv->next_index, follow_up, &next);
    if (se == STORE_CONFLICT) {
        /* another instance asked this turn first (both saw it missing): reply with theirs */
        struct store_turn_list now = {0};
        se = store_call(e->store, turn_list, iv->id, &now);
        if (se == STORE_OK && (size_t)iv->next_index < now.len) {
            reply_next(e, iv, &now.items[iv->next_index], done, data);
            store_turn_list_free(&now);
            return;
        }
        store_turn_list_free(&now);
        if (se == STORE_OK) se = STORE_IO;
    }
    if (se != STORE_OK) {
        struct engine_reply r = {0};
        engine_store_failed(&r, se);
        done(&r, data);
    } else {
        reply_next(e, iv, &next, done, data);
    }
    store_turn_free(&next);
}

static void interview_continue(struct engine *e, const char *interview_id, const char *follow_up,
                               engine_reply_fn done, void *data)
{
    struct engine_reply r = {0};
    struct store_interview iv = {0};
    if (store_call(e->store, interview_get, interview_id, &iv) != STORE_OK) {
        engine_store_failed(&r, STORE_IO);
        done(&r, data);
        return;
    }
    struct cand_ctx cc;
    struct store_turn_list turns = {0};
    enum store_err se = cand_load(e, iv.candidate_id, &cc);
    if (se == STORE_OK) se = store_call(e->store, turn_list, iv.id, &turns);
    if (se == STORE_OK) {
        continue_loaded(e, &iv, &cc, &turns, follow_up, done, data);
    } else {
        engine_store_failed(&r, se);
        done(&r, data);
    }
    store_turn_list_free(&turns);
    cand_free(&cc);
    store_interview_free(&iv);
}

/* ---- answering ---- */

/* The interview, its turns and the turn awaiting an answer, checked against the
 * request. Returns that turn, or NULL with r filled. */
static struct store_turn *answer_load(struct engine *e, const char *candidate_id,
                                      const char *interview_id, const char *qid,
                                      struct store_interview *iv, struct store_turn_list *turns,
                                      struct cand_ctx *cc, struct engine_reply *r)
{
    if (engine_load_owned(e, candidate_id, interview_id, iv, r) != ENGINE_OK) return NULL;
    enum store_err se = store_call(e->store, turn_list, iv->id, turns);
    if (se != STORE_OK) {
        engine_store_failed(r, se);
        return NULL;
    }
    if (engine_state_of(iv) == INTERVIEW_ABANDONED) {
        engine_fail(r, ENGINE_ABANDONED,
                    "You left this interview, so it takes no more answers; start a new one.");
        return NULL;
    }
    if (engine_state_of(iv) == INTERVIEW_FINISHED) {
        engine_fail(r, ENGINE_FINISHED,
                    "This interview is finished; its report is at /api/interviews/%s/report.",
                    iv->id);
        return NULL;
    }
    CHECK(iv->next_index >= 0 && iv->next_index < iv->total_questions);
    if ((size_t)iv->next_index >= turns->len) {
        /* The question was never written down (crash between answer and ask): ask it. */
        se = cand_load(e, iv->candidate_id, cc);
        if (se == STORE_OK) se = question_ask(e, iv, cc, turns, iv->next_index, NULL, NULL);
        /* another instance was asking it at the same moment: theirs stands */
        if (se == STORE_CONFLICT) se = STORE_OK;
        store_turn_list_free(turns);
        if (se == STORE_OK) se = store_call(e->store, turn_list, iv->id, turns);
        if (se == STORE_OK && (size_t)iv->next_index >= turns->len) se = STORE_IO;
        if (se != STORE_OK) {
            engine_store_failed(r, se);
            return NULL;
        }
    }
    struct store_turn *cur = &turns->items[iv->next_index];
    if (strcmp(cur->question_id, qid) != 0) {
        engine_fail(r, ENGINE_WRONG_QUESTION,
                    "question_id does not match the question awaiting an answer (%s); GET the "
                    "interview to see it.",
                    cur->question_id);
        return NULL;
    }
    return cur;
}

/* The answer, its precheck score (a non-answer is scored 1 at once) and the interview's
 * move forward, in one transaction. Returns 0, or -1 with r filled. */
static int answer_save(struct engine *e, struct store_interview *iv, struct store_turn *cur,
                       const char *answer, enum precheck_verdict pv, struct engine_reply *r)
{
    int64_t now = clock_now_ms();
    enum store_err se = engine_tx_begin(e);
    int began = se == STORE_OK; /* a failed begin leaves nothing to roll back */
    if (se == STORE_OK) se = store_call(e->store, turn_answer, iv->id, cur->idx, answer, now);
    if (se == STORE_OK && pv != PRECHECK_OK) {
        json_t *flags = json_array();
        json_array_append_new(flags, json_string(precheck_flag(pv)));
        if (precheck_injection(answer))
            json_array_append_new(flags, json_string("injection_attempt"));
        char *ft = json_dumps(flags, JSON_COMPACT);
        json_decref(flags);
        struct store_turn upd = *cur;
        upd.score = 1;
        upd.feedback = (char *)precheck_feedback(pv);
        upd.scorer = "precheck";
        upd.flags = ft;
        upd.eval_status = "done";
        se = store_call(e->store, turn_set_eval, &upd);
        free(ft);
    }
    iv->next_index = cur->idx + 1;
    if (iv->next_index >= iv->total_questions) {
        free(iv->state);
        iv->state = xstrdup(engine_state_name(INTERVIEW_FINISHED));
        iv->finished_ms = now;
    }
    if (se == STORE_OK) se = store_call(e->store, interview_update, iv);
    if (se == STORE_OK)
        se = engine_tx_commit(e); /* joins engine_answer's transaction when there is one */
    else if (began)
        engine_tx_rollback(e);
    if (se == STORE_CONFLICT) {
        engine_fail(r, ENGINE_WRONG_QUESTION, "That question was already answered.");
        return -1;
    }
    if (se != STORE_OK) {
        engine_store_failed(r, se);
        return -1;
    }
    log_info("answer_saved", "interview=%s idx=%d words=%d precheck=%s", iv->id, cur->idx,
             util_word_count(answer), precheck_flag(pv) ? precheck_flag(pv) : "ok");
    if (pv != PRECHECK_OK) stats_count(&e->stats, STATS_EVALUATE, STATS_PRECHECK, 1);
    free(cur->answer);
    cur->answer = xstrdup(answer);
    free(cur->eval_status);
    cur->eval_status = xstrdup(pv == PRECHECK_OK ? "pending" : "done");
    return 0;
}

/* Steps down mid-interview when the day's quota can no longer carry this mode (auto
 * only; never up). Returns the mode the interview runs in now. */
static enum budget_mode answer_step_down(struct engine *e, struct store_interview *iv)
{
    enum budget_mode cur = engine_mode_of(iv);
    if (!e->auto_mode) return cur;
    enum budget_mode now = engine_mode_now(e);
    if (cur <= now) return cur;
    log_info("mode_stepped_down", "interview=%s from=%s to=%s", iv->id, iv->mode,
             budget_mode_name(now));
    engine_count_in_progress(e, cur, -1);
    engine_count_in_progress(e, now, +1);
    free(iv->mode);
    iv->mode = xstrdup(budget_mode_name(now));
    if (store_call(e->store, interview_update, iv) != STORE_OK)
        log_warn("mode_store_failed", "interview=%s", iv->id);
    return now;
}

/* After the answer is saved: starts its scoring as the mode says and asks the next
 * question (the model may write it; the candidate then waits for the call). */
static void answer_next(struct engine *e, struct store_interview *iv,
                        const struct store_turn_list *turns, const struct store_turn *cur,
                        struct cand_ctx *cc, enum precheck_verdict pv, engine_reply_fn done,
                        void *data)
{
    const char *role = cc->c.role ? cc->c.role : "unknown";
    enum budget_mode mode = answer_step_down(e, iv);
    int per_turn = mode == BUDGET_FULL || mode == BUDGET_OFFLINE;
    if (iv->next_index >= iv->total_questions) {
        /* after any step-down, so the count leaves the mode it is in */
        e->counts.finished++;
        engine_count_in_progress(e, mode, -1);
        if (pv == PRECHECK_OK && per_turn)
            scoring_start_evaluation(e, iv, turns, cur, role, NULL, 0, NULL);
        reply_next(e, iv, NULL, done, data);
        scoring_maybe_report(e, iv->id);
        return;
    }
    char next_phase[QUESTION_PHASE_MAX];
    question_plan_phase(iv, iv->next_index, next_phase);
    int adaptive = router_online(e->router) && question_phase_adaptive(next_phase);
    int next_diff = question_next_difficulty(e, turns, iv->next_index, next_phase, cc->analysis);
    struct scoring_wait wait = {interview_continue, done, data};
    if (per_turn && pv == PRECHECK_OK) {
        /* One call per answered turn: it scores the answer and, where the next phase
         * adapts to the candidate, writes the next question (the candidate waits for it
         * up to turn_deadline_ms). */
        if (adaptive && mode == BUDGET_FULL) {
            scoring_start_evaluation(e, iv, turns, cur, role, next_phase, next_diff, &wait);
            return;
        }
        scoring_start_evaluation(e, iv, turns, cur, role, NULL, 0, NULL);
    } else if (mode == BUDGET_BALANCED && iv->next_index == iv->total_questions / 2) {
        /* Balanced: the first half is scored in one call, which also writes the one
         * model follow-up of the interview when the next phase adapts. */
        if (scoring_start_batch(e, iv, turns, role, 0, adaptive ? next_phase : NULL, next_diff,
                                adaptive ? &wait : NULL) &&
            adaptive)
            return;
    }
    continue_loaded(e, iv, cc, turns, NULL, done, data);
}

static void answer_in_tx(struct engine *e, const char *candidate_id, const char *interview_id,
                         const json_t *body, engine_reply_fn done, void *data);

/* The answer's one transaction (group-commit stores): everything engine_answer reads
 * and writes before it replies (the answer, its precheck score, the move forward, the
 * next question) commits at once, just before the reply, whose acknowledgement the
 * HTTP layer then holds until the commit is durable. One commit and one set of locks
 * per answer instead of one per step. A reply that comes later (the candidate waits for
 * a model-written question) finds the transaction committed when engine_answer
 * returned. Owned by the reply: answer_reply frees it. */
struct answer_tx {
    struct engine *e;
    int open;             /* the transaction is still to be committed */
    int in_call;          /* engine_answer is still running: it frees this */
    int replied;          /* done() was called */
    engine_reply_fn done; /* the caller's callback */
    void *data;
};

static void answer_tx_end(struct answer_tx *t, struct engine_reply *r)
{
    if (!t->open) return;
    t->open = 0;
    enum store_err se = engine_tx_commit(t->e);
    if (se != STORE_OK && r && r->err == ENGINE_OK) {
        /* nothing is acknowledged that did not commit */
        engine_reply_clear(r);
        engine_store_failed(r, se);
    }
}

static void answer_reply(struct engine_reply *r, void *arg)
{
    struct answer_tx *t = arg;
    CHECK(!t->replied);
    answer_tx_end(t, r);
    t->replied = 1;
    t->done(r, t->data);
    if (!t->in_call) free(t);
}

void engine_answer(struct engine *e, const char *candidate_id, const char *interview_id,
                   const json_t *body, engine_reply_fn done, void *data)
{
    CHECK(e != NULL && interview_id != NULL && done != NULL);
    if (e->tx_depth == 0 && store_has(e->store, STORE_CAP_GROUP_COMMIT)) {
        struct engine_reply r = {0};
        enum store_err se = engine_tx_begin(e);
        if (se != STORE_OK) { /* another process holds the lock: 503 store_busy */
            engine_store_failed(&r, se);
            done(&r, data);
            engine_reply_clear(&r);
            return;
        }
        struct answer_tx *t = xcalloc(1, sizeof *t);
        *t = (struct answer_tx){.e = e, .open = 1, .in_call = 1, .done = done, .data = data};
        answer_in_tx(e, candidate_id, interview_id, body, answer_reply, t);
        /* Not replied yet (a model question is awaited): commit now, the reply waits. */
        answer_tx_end(t, NULL);
        t->in_call = 0;
        if (t->replied) free(t);
        return;
    }
    answer_in_tx(e, candidate_id, interview_id, body, done, data);
}

/* engine_answer's work, inside its transaction when it has one. */
static void answer_in_tx(struct engine *e, const char *candidate_id, const char *interview_id,
                         const json_t *body, engine_reply_fn done, void *data)
{
    CHECK(e != NULL && interview_id != NULL && done != NULL);
    struct engine_reply r = {0};
    const char *qid = json_string_value(json_object_get(body, "question_id"));
    json_t *answer_v = json_object_get(body, "answer");
    if (!qid || !json_is_string(answer_v)) {
        engine_fail(&r, ENGINE_MISSING,
                    "The fields \"question_id\" and \"answer\" are required and must be strings.");
        done(&r, data);
        return;
    }
    if ((long)json_string_length(answer_v) > e->cfg->max_answer_bytes) {
        engine_fail(&r, ENGINE_INVALID,
                    "The answer is longer than the limit of %ld bytes; please shorten it.",
                    e->cfg->max_answer_bytes);
        done(&r, data);
        return;
    }
    const char *answer = json_string_value(answer_v);
    struct store_interview iv = {0};
    struct store_turn_list turns = {0};
    struct cand_ctx cc = {0};
    struct store_turn *cur = answer_load(e, candidate_id, interview_id, qid, &iv, &turns, &cc, &r);
    enum precheck_verdict pv = cur ? precheck_answer(answer) : PRECHECK_OK;
    if (!cur || answer_save(e, &iv, cur, answer, pv, &r) != 0) {
        done(&r, data);
    } else {
        enum store_err se = cc.c.id ? STORE_OK : cand_load(e, iv.candidate_id, &cc);
        if (se != STORE_OK) {
            /* The answer is saved (its evaluation is pending, which recovery picks up),
             * but without the candidate no next question can be chosen: the store said
             * why; a retry or a reload asks the missing question (answer_load). */
            engine_store_failed(&r, se);
            done(&r, data);
        } else {
            answer_next(e, &iv, &turns, cur, &cc, pv, done, data);
        }
    }
    engine_reply_clear(&r);
    store_turn_list_free(&turns);
    cand_free(&cc);
    store_interview_free(&iv);
}

/* ---- leaving ---- */

void engine_abandon(struct engine *e, const char *candidate_id, const char *interview_id,
                    struct engine_reply *out)
{
    CHECK(e != NULL && candidate_id != NULL && interview_id != NULL && out != NULL);
    struct store_interview iv = {0};
    if (engine_load_owned(e, candidate_id, interview_id, &iv, out) != ENGINE_OK) return;
    enum interview_state state = engine_state_of(&iv);
    if (state == INTERVIEW_FINISHED) {
        engine_fail(out, ENGINE_FINISHED,
                    "This interview is already finished; its report is at "
                    "/api/interviews/%s/report.",
                    iv.id);
    } else if (state == INTERVIEW_ABANDONED) {
        engine_ok(out, json_pack("{s:s,s:s}", "interview_id", iv.id, "state", "abandoned"));
    } else {
        free(iv.state);
        iv.state = xstrdup(engine_state_name(INTERVIEW_ABANDONED));
        iv.finished_ms = clock_now_ms();
        enum store_err se = store_call(e->store, interview_update, &iv);
        if (se != STORE_OK) {
            engine_store_failed(out, se);
        } else {
            /* answers already given may still be scored; no report is written */
            engine_count_in_progress(e, engine_mode_of(&iv), -1);
            log_info("interview_abandoned", "interview=%s candidate=%s answered=%d", iv.id,
                     candidate_id, iv.next_index);
            engine_ok(out, json_pack("{s:s,s:s}", "interview_id", iv.id, "state", "abandoned"));
        }
    }
    store_interview_free(&iv);
}

/* ---- reading ---- */

void engine_interview_state(struct engine *e, const char *candidate_id, const char *interview_id,
                            struct engine_reply *out)
{
    struct store_interview iv = {0};
    if (engine_load_owned(e, candidate_id, interview_id, &iv, out) != ENGINE_OK) return;
    struct store_turn_list turns = {0};
    enum store_err se = store_call(e->store, turn_list, iv.id, &turns);
    if (se != STORE_OK) {
        engine_store_failed(out, se);
        store_interview_free(&iv);
        return;
    }
    int active = engine_state_of(&iv) == INTERVIEW_ACTIVE;
    if (active && (size_t)iv.next_index >= turns.len) {
        struct cand_ctx cc;
        if (cand_load(e, iv.candidate_id, &cc) == STORE_OK) {
            question_ask(e, &iv, &cc, &turns, iv.next_index, NULL, NULL);
            cand_free(&cc);
        }
        store_turn_list_free(&turns);
        store_call(e->store, turn_list, iv.id, &turns);
    }
    json_t *transcript = json_array();
    int answered = 0;
    json_t *current = json_null();
    for (size_t i = 0; i < turns.len; i++) {
        const struct store_turn *t = &turns.items[i];
        if (t->answer) answered++;
        json_array_append_new(transcript,
                              json_pack("{s:s,s:s,s:s,s:i,s:s?}", "question_id", t->question_id,
                                        "text", t->question_text, "category", t->category, "index",
                                        t->idx + 1, "answer", t->answer));
        if (active && t->idx == iv.next_index) {
            json_decref(current);
            current = question_json(t, iv.total_questions);
        }
    }
    engine_ok(out, json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:o,s:o,s:b}", "interview_id", iv.id,
                             "kind", iv.kind, "mode", iv.mode, "state", iv.state, "total_questions",
                             iv.total_questions, "answered", answered, "greeting",
                             iv.greeting ? iv.greeting : "", "current_question", current,
                             "transcript", transcript, "report_ready", iv.report_json != NULL));
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}
