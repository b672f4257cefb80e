/* report: the report JSON of an interview, written and read (see report.h).
 *
 * The one idea: a report is a pure function of the stored turns and a summary. It is
 * written once when the last answer is scored and rebuilt the same way when a model
 * re-scores answers later, so what a candidate reads always matches the turns; its
 * note says, in sentences, which answers a model did not score and why. */
#include "engine/report.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/fastjson.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/heuristic.h"
#include "engine/internal.h"
#include "engine/phrase.h"
#include "engine/question.h"
#include "engine/scoring.h"
#include "engine/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* {"score","date","interview_id"} of the candidate's latest scored answer to question_id
 * before this interview, or NULL: a question brought back for review shows how the
 * earlier attempt went beside the new one. */
static json_t *previous_attempt(const struct store_turn_list *asked, const char *interview_id,
                                const char *question_id)
{
    const struct store_turn *best = NULL;
    for (size_t i = 0; i < asked->len; i++) {
        const struct store_turn *a = &asked->items[i];
        if (strcmp(a->interview_id, interview_id) == 0) break; /* oldest first: earlier only */
        if (a->score > 0 && strcmp(a->question_id, question_id) == 0) best = a;
    }
    if (!best) return NULL;
    char date[16];
    time_t secs = (time_t)(best->asked_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    return json_pack("{s:i,s:s,s:s}", "score", best->score, "date", date, "interview_id",
                     best->interview_id);
}

/* Adds job_skills_covered and job_skills_missed: the skills the job description names,
 * split by whether a question of this interview named them. */
static void job_skills_fields(struct engine *e, const struct store_interview *iv,
                              const struct store_turn_list *turns, json_t *r)
{
    json_t *skills = question_job_skills(e, iv->job_description);
    if (!iv->job_description || !*iv->job_description) {
        json_decref(skills);
        return;
    }
    json_t *covered = json_array(), *missed = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(skills, i, s)
    {
        const char *skill = json_string_value(s);
        int hit = 0;
        for (size_t k = 0; k < turns->len && !hit; k++) {
            const struct store_turn *t = &turns->items[k];
            hit = phrase_mentions(e->bank->terms, t->question_text, skill);
        }
        json_array_append(hit ? covered : missed, s);
    }
    json_object_set_new(r, "job_skills_covered", covered);
    json_object_set_new(r, "job_skills_missed", missed);
    json_decref(skills);
}

static json_t *report_build(struct engine *e, const struct store_interview *iv,
                            const struct store_turn_list *turns, const json_t *summary,
                            int summary_from_model)
{
    struct store_turn_list asked = {0};
    if (store_call(e->store, turn_list_asked_by_candidate, iv->candidate_id, &asked) != STORE_OK)
        store_turn_list_free(&asked); /* no earlier scores shown; the report stands */
    json_t *scores = json_array(), *all_flags = json_array();
    int n_model = 0, n_heur = 0, n_pre = 0, n_unavailable = 0, n_rescored = 0;
    double sum = 0;
    int scored = 0;
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer || t->score <= 0) continue;
        json_t *flags = engine_json_array(t->flags);
        size_t k;
        json_t *f;
        json_array_foreach(flags, k, f)
        {
            if (strcmp(json_string_value(f), "model_unavailable") == 0) n_unavailable++;
            if (strcmp(json_string_value(f), "rescored_later") == 0) n_rescored++;
            if (strcmp(json_string_value(f), "injection_attempt") == 0)
                json_array_append_new(all_flags,
                                      json_pack("{s:s,s:s}", "question_id", t->question_id, "flag",
                                                "injection_attempt"));
        }
        const char *scorer = t->scorer ? t->scorer : "heuristic";
        if (strcmp(scorer, "model") == 0)
            n_model++;
        else if (strcmp(scorer, "precheck") == 0)
            n_pre++;
        else
            n_heur++;
        sum += t->score;
        scored++;
        /* CONTRACT.md: the question, the candidate's own answer and the reference (what a
         * strong answer covers) travel with each score */
        const struct bank_question *bq = bank_question_find(e->bank, t->question_id);
        /* time to answer, measured here: question stored (sent) to answer received */
        int64_t answer_ms = t->answered_ms > t->asked_ms ? t->answered_ms - t->asked_ms : 0;
        json_t *entry =
            json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:o,s:s?}", "question_id", t->question_id,
                      "question", t->question_text, "answer", t->answer, "category", t->category,
                      "score", t->score, "feedback", t->feedback ? t->feedback : "", "scorer",
                      scorer, "flags", flags, "reference", bank_reference_plain(bq), "topic",
                      t->topic ? t->topic
                      : bq     ? bq->topic
                               : NULL);
        json_object_set_new(entry, "answer_seconds", json_integer((json_int_t)(answer_ms / 1000)));
        json_t *prev = previous_attempt(&asked, iv->id, t->question_id);
        if (prev) json_object_set_new(entry, "previous", prev);
        json_array_append_new(scores, entry);
    }
    store_turn_list_free(&asked);
    int overall = scored ? (int)lround(100.0 * (sum / scored - 1) / 4) : 0;
    int offline = engine_mode_of(iv) == BUDGET_OFFLINE;
    struct sbuf note = {0};
    if (offline)
        sbuf_puts(&note, "No AI model was configured for this interview: every answer was scored "
                         "by a rubric, which measures how much of each question's key points "
                         "an answer covers; it does not understand meaning as a model does. ");
    else if (n_heur)
        sbuf_printf(&note,
                    "%d answer%s scored by the rubric because no AI model could "
                    "score %s in time. ",
                    n_heur, n_heur == 1 ? " was" : "s were", n_heur == 1 ? "it" : "them");
    if (n_rescored)
        sbuf_printf(&note, "%d answer%s scored by a model later, when quota was free again. ",
                    n_rescored, n_rescored == 1 ? " was" : "s were");
    if (n_heur && !offline)
        sbuf_puts(&note, "Answers scored by the rubric are queued and re-scored by an AI model "
                         "when quota is free; this report then updates. ");
    if (n_pre)
        sbuf_printf(&note,
                    "%d answer%s empty, \"I don't know\" or unreadable and scored 1 "
                    "without a model. ",
                    n_pre, n_pre == 1 ? " was" : "s were");
    if (json_array_size(all_flags))
        sbuf_puts(&note, "Some answers tried to instruct the scorer; they are flagged and were "
                         "scored on their content. ");
    if (!summary_from_model && !offline)
        sbuf_puts(&note, "The summary was written by the rubric, not by an AI model. ");
    (void)n_unavailable;
    /* the summary names the weakest topics, whoever wrote it (the heuristic's does already) */
    struct sbuf summary_text = {0};
    const char *written = json_string_value(json_object_get(summary, "summary"));
    sbuf_puts(&summary_text, written ? written : "");
    if (summary_from_model) {
        json_t *scored_turns = report_scored_list(e, turns);
        char *weak = heuristic_weakest_topics(scored_turns);
        if (weak) sbuf_printf(&summary_text, "%s%s", summary_text.len ? " " : "", weak);
        free(weak);
        json_decref(scored_turns);
    }
    json_t *r = json_pack(
        "{s:s,s:s,s:s,s:s,s:b,s:i,s:o,s:s,s:O,s:O,s:{s:i,s:i,s:i},s:o,s:s,s:s}", "status", "ready",
        "interview_id", iv->id, "kind", iv->kind, "mode", iv->mode, "offline", offline,
        "overall_score", overall, "scores", scores, "summary",
        summary_text.data ? summary_text.data : "", "strengths",
        json_object_get(summary, "strengths") ? json_object_get(summary, "strengths")
                                              : json_array(),
        "improvements",
        json_object_get(summary, "improvements") ? json_object_get(summary, "improvements")
                                                 : json_array(),
        "scorers", "model", n_model, "heuristic", n_heur, "precheck", n_pre, "flags", all_flags,
        "summary_by", summary_from_model ? "model" : "heuristic", "note",
        note.data ? note.data : "");
    sbuf_free(&note);
    sbuf_free(&summary_text);
    job_skills_fields(e, iv, turns, r);
    return r;
}

json_t *report_scored_list(struct engine *e, const struct store_turn_list *turns)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < turns->len; i++) {
        const struct store_turn *t = &turns->items[i];
        if (!t->answer) continue;
        const struct bank_question *q = bank_question_find(e->bank, t->question_id);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:s,s:i,s:s?,s:s,s:O*}", "question",
                                             t->question_text, "category", t->category, "score",
                                             t->score, "feedback", t->feedback ? t->feedback : "",
                                             "position", t->idx + 1, "topic", q ? q->topic : NULL,
                                             "answer", t->answer, "key_points",
                                             question_key_points(e, t)));
    }
    return arr;
}

/* Builds and stores the report from the turns and a summary (NULL: heuristic). */
void report_write(struct engine *e, const char *interview_id, json_t *summary,
                  int summary_from_model)
{
    CHECK(e != NULL && interview_id != NULL);
    struct store_interview iv = {0};
    if (store_call(e->store, interview_get, interview_id, &iv) != STORE_OK) {
        sweep_retry_add(e, interview_id);
        return;
    }
    struct store_turn_list turns = {0};
    if (store_call(e->store, turn_list, interview_id, &turns) != STORE_OK) {
        sweep_retry_add(e, interview_id);
        store_interview_free(&iv);
        return;
    }
    json_t *owned = NULL;
    if (!summary) {
        json_t *scored = report_scored_list(e, &turns);
        owned = summary = heuristic_summary(scored);
        json_decref(scored);
        summary_from_model = 0;
    }
    json_t *report = report_build(e, &iv, &turns, summary, summary_from_model);
    char *text = json_dumps(report, JSON_COMPACT);
    free(iv.report_json);
    iv.report_json = text;
    enum store_err se = store_call(e->store, interview_update, &iv);
    if (se != STORE_OK) {
        log_error("report_store_failed", "interview=%s error=\"%s\"", iv.id, store_strerror(se));
        sweep_retry_add(e, iv.id);
    } else {
        e->counts.reports++;
        log_info("report_ready", "interview=%s mode=%s overall_score=%d", iv.id, iv.mode,
                 (int)json_integer_value(json_object_get(report, "overall_score")));
    }
    json_decref(report);
    json_decref(owned);
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}

void engine_report(struct engine *e, const char *candidate_id, const char *interview_id,
                   struct engine_reply *out)
{
    struct store_interview iv = {0};
    CHECK(e != NULL && interview_id != NULL && out != NULL);
    if (engine_load_owned(e, candidate_id, interview_id, &iv, out) != ENGINE_OK) return;
    if (engine_state_of(&iv) == INTERVIEW_ABANDONED) {
        engine_fail(out, ENGINE_ABANDONED,
                    "This interview was left before its end, so it has no report; start a new "
                    "one when you are ready.");
        store_interview_free(&iv);
        return;
    }
    if (iv.report_json) {
        json_error_t je;
        json_t *rep = fastjson_load(iv.report_json, strlen(iv.report_json), &je);
        if (rep) {
            engine_ok(out, rep);
            store_interview_free(&iv);
            return;
        }
    }
    struct store_turn_list turns = {0};
    int answered = 0, evaluated = 0;
    if (store_call(e->store, turn_list, iv.id, &turns) == STORE_OK) {
        for (size_t i = 0; i < turns.len; i++) {
            if (turns.items[i].answer) answered++;
            if (strcmp(turns.items[i].eval_status, "done") == 0) evaluated++;
        }
    }
    engine_ok(out, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i}", "status", "pending", "interview_id",
                             iv.id, "state", iv.state, "answered", answered, "evaluated", evaluated,
                             "total", iv.total_questions));
    /* A finished interview whose report is overdue (its evaluations and summary should
     * long be done): whoever owned that work is gone (a crash, another instance that
     * stopped), so start it here. Sooner than that, the process doing it is still at it:
     * on a shared store its claims would refuse the work anyway (call.c), so asking
     * only costs store round trips. */
    int64_t overdue = e->cfg->eval_deadline_ms + 2 * e->cfg->llm_timeout_ms;
    int finished = engine_state_of(&iv) == INTERVIEW_FINISHED;
    if (finished && (!engine_store_shared(e) || clock_now_ms() - iv.finished_ms > overdue))
        scoring_maybe_report(e, iv.id);
    store_turn_list_free(&turns);
    store_interview_free(&iv);
}
