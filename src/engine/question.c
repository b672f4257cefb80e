/* question: plans and the next question of an interview (see question.h).
 *
 * The one idea: the store is the truth about what a candidate has heard. The seen
 * cache is used only while the store's count of the candidate's questions equals the
 * slot's, so a question asked by another process, or a rolled back one, makes it
 * reload; and every question inserted is checked against it first. */
#include "engine/question.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/bankgrow.h"
#include "engine/candidate.h"
#include "engine/heuristic.h"
#include "engine/internal.h"
#include "engine/precheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a candidate has heard, cached by candidate (direct-mapped by hash). The store
 * stays the truth: a slot is used only while the store's count of the candidate's
 * questions equals the slot's, so a question asked by another process, or a rolled back
 * one, makes it reload. */
#define SEEN_SLOTS 1024

struct seen_slot {
    char candidate[33];
    long count;
    struct bank_seen seen;
};

struct seen_slot *question_seen_cache_new(void)
{
    return xcalloc(SEEN_SLOTS, sizeof(struct seen_slot));
}

void question_seen_cache_free(struct seen_slot *cache)
{
    for (int i = 0; cache && i < SEEN_SLOTS; i++)
        bank_seen_free(&cache[i].seen);
    free(cache);
}

void question_forget_candidate(struct engine *e, const char *candidate_id)
{
    struct seen_slot *slot =
        &e->seen_cache[util_xxh64(candidate_id, strlen(candidate_id)) % SEEN_SLOTS];
    if (strcmp(slot->candidate, candidate_id) != 0) return;
    bank_seen_free(&slot->seen);
    memset(slot, 0, sizeof *slot);
}

/* ---- plans ---- */

int question_plan_build(const char *kind, int n, const char *phases[QUESTION_MAX_PLAN])
{
    /* weights of resume, technical, behavioral between the introduction and wrap-up */
    int w_res, w_tech, w_beh;
    if (strcmp(kind, "technical") == 0)
        w_res = 3, w_tech = 6, w_beh = 1;
    else if (strcmp(kind, "behavioral") == 0)
        w_res = 2, w_tech = 1, w_beh = 7;
    else
        w_res = 3, w_tech = 4, w_beh = 3;
    int middle = n - 2, total_w = w_res + w_tech + w_beh;
    int res = (int)lround((double)middle * w_res / total_w);
    int beh = (int)lround((double)middle * w_beh / total_w);
    if (res < 1) res = 1;
    if (beh < 1) beh = 1;
    int tech = middle - res - beh;
    if (tech < 1) {
        tech = 1;
        if (res > beh)
            res--;
        else
            beh--;
    }
    int k = 0;
    phases[k++] = "introduction";
    for (int i = 0; i < res; i++)
        phases[k++] = "resume";
    for (int i = 0; i < tech; i++)
        phases[k++] = "technical";
    for (int i = 0; i < beh; i++)
        phases[k++] = "behavioral";
    phases[k++] = "wrap_up";
    return k;
}

void question_plan_phase(const struct store_interview *iv, int idx, char buf[QUESTION_PHASE_MAX])
{
    json_error_t je;
    json_t *plan = json_loads(iv->plan_json ? iv->plan_json : "[]", 0, &je);
    const char *phase = json_string_value(json_array_get(plan, (size_t)idx));
    snprintf(buf, QUESTION_PHASE_MAX, "%s", phase ? phase : "technical");
    json_decref(plan);
}

int question_phase_adaptive(const char *phase)
{
    return strcmp(phase, "resume") == 0 || strcmp(phase, "technical") == 0;
}

/* ---- difficulty ---- */

const json_t *question_key_points(struct engine *e, const struct store_turn *t)
{
    const struct bank_question *q = bank_question_find(e->bank, t->question_id);
    return q ? json_object_get(q->reference, "key_points") : NULL;
}

json_t *question_json(const struct store_turn *t, int total)
{
    return json_pack("{s:s,s:s,s:s,s:i,s:i}", "id", t->question_id, "text", t->question_text,
                     "category", t->category, "index", t->idx + 1, "total", total);
}

static int seniority_difficulty(const json_t *analysis)
{
    const char *s = json_string_value(json_object_get(analysis, "seniority"));
    if (s && strcmp(s, "senior") == 0) return 3;
    if (s && strcmp(s, "junior") == 0) return 1;
    return 2;
}

/* A score for adapting difficulty now: the stored one if known, else the precheck or
 * the heuristic on the spot (models answer in the background). */
static int quick_score(struct engine *e, const struct store_turn *t)
{
    if (t->score > 0) return t->score;
    if (!t->answer) return 0;
    if (precheck_answer(t->answer) != PRECHECK_OK) return 1;
    json_error_t je;
    json_t *kw = t->keywords ? json_loads(t->keywords, 0, &je) : NULL;
    struct heuristic_question hq = {
        .text = t->question_text, .key_points = question_key_points(e, t), .keywords = kw};
    struct heuristic_eval he;
    heuristic_evaluate(rubrics_get(e->rubrics, t->category), &hq, t->answer, &he);
    free(he.feedback);
    json_decref(kw);
    return he.score;
}

/* Technical and resume questions adapt to the last answer of their phase (up after a
 * 4-5, down after a 1-2); introduction, behavioral and wrap-up questions walk the
 * difficulties in turn. */
int question_next_difficulty(struct engine *e, const struct store_turn_list *turns, int idx,
                             const char *phase, const json_t *analysis)
{
    if (strcmp(phase, "technical") != 0 && strcmp(phase, "resume") != 0) return 1 + idx % 3;
    for (int i = idx - 1; i >= 0; i--) {
        const struct store_turn *t = &turns->items[i];
        if ((size_t)i >= turns->len || strcmp(t->phase, phase) != 0 || !t->answer) continue;
        int s = quick_score(e, t);
        int d = t->difficulty + (s >= 4) - (s <= 2);
        return d < 1 ? 1 : d > 3 ? 3 : d;
    }
    return strcmp(phase, "technical") == 0 ? seniority_difficulty(analysis) : 1;
}

static struct seen_slot *seen_for(struct engine *e, const char *candidate, enum store_err *se)
{
    struct seen_slot *slot = &e->seen_cache[util_xxh64(candidate, strlen(candidate)) % SEEN_SLOTS];
    long count = 0;
    *se = store_call(e->store, turn_count_asked_by_candidate, candidate, &count);
    if (*se != STORE_OK) return NULL;
    if (strcmp(slot->candidate, candidate) == 0 && slot->count == count) return slot;
    struct store_turn_list asked = {0};
    *se = store_call(e->store, turn_list_asked_by_candidate, candidate, &asked);
    if (*se != STORE_OK) return NULL;
    bank_seen_free(&slot->seen);
    for (size_t i = 0; i < asked.len; i++)
        bank_seen_add(&slot->seen, asked.items[i].question_id, asked.items[i].question_text);
    slot->count = (long)asked.len;
    snprintf(slot->candidate, sizeof slot->candidate, "%s", candidate);
    store_turn_list_free(&asked);
    return slot;
}

/* Builds turn idx from the bank (or the given follow-up text) and inserts it. */
enum store_err question_ask(struct engine *e, const struct store_interview *iv, struct cand_ctx *cc,
                            const struct store_turn_list *turns, int idx, const char *follow_up,
                            struct store_turn *out)
{
    char phase_buf[QUESTION_PHASE_MAX];
    question_plan_phase(iv, idx, phase_buf);
    int difficulty = question_next_difficulty(e, turns, idx, phase_buf, cc->analysis);
    struct store_turn t = {0};
    char qid[64];
    char *text = NULL;
    char *keywords = NULL;
    char *topic = NULL;
    enum store_err se;
    struct seen_slot *slot = seen_for(e, cc->c.id, &se);
    if (!slot) return se;
    struct bank_seen *seen = &slot->seen;
    if (follow_up && bank_seen_has_near(seen, follow_up)) {
        /* the model wrote something the candidate has heard (or nearly): a bank
         * question instead */
        log_info("model_question_rejected",
                 "interview=%s reason=\"near-duplicate of a question "
                 "already asked\"",
                 iv->id);
        follow_up = NULL;
    }
    if (follow_up) {
        char h[33];
        util_xxh128_hex(follow_up, strlen(follow_up), h);
        snprintf(qid, sizeof qid, "fu:%.16s", h);
        text = xstrdup(follow_up);
        const struct store_turn *prev =
            idx > 0 && (size_t)idx - 1 < turns->len ? &turns->items[idx - 1] : NULL;
        keywords = prev && prev->keywords ? xstrdup(prev->keywords) : NULL;
    } else {
        const struct bank_question *q =
            bank_pick(e->bank, cc->c.role, phase_buf, difficulty, seen, cc->c.id);
        /* A bank exhausted for this phase falls back to neighbouring phases' questions
         * rather than repeating one. */
        static const char *fallbacks[] = {"technical", "behavioral", "resume", "wrap_up",
                                          "introduction"};
        for (size_t k = 0; !q && k < ARRAY_LEN(fallbacks); k++)
            q = bank_pick(e->bank, cc->c.role, fallbacks[k], difficulty, seen, cc->c.id);
        if (q) {
            snprintf(qid, sizeof qid, "%s", q->id);
            text = bank_fill(q->text, cc->analysis, cc->role, idx);
        } else {
            /* Every template heard: a template with placeholders filled differently (another
             * skill or project) is still a question this candidate has not heard. */
            for (int i = 0; !text && i < e->bank->n_questions; i++) {
                const struct bank_question *bq = &e->bank->questions[i];
                if (bq->retired || !strchr(bq->text, '{')) continue;
                for (int v = 1; v < 12 && !text; v++) {
                    char *t2 = bank_fill(bq->text, cc->analysis, cc->role, idx + v);
                    snprintf(qid, sizeof qid, "%s#%d", bq->id, v);
                    if (!bank_seen_has_id(seen, qid) && !bank_seen_has_text(seen, t2)) {
                        text = t2;
                        q = bq;
                    } else {
                        free(t2);
                    }
                }
            }
            if (!q) return STORE_NOT_FOUND;
        }
        if (bank_seen_has_text(seen, text)) log_warn("question_text_repeat", "question=%s", q->id);
        keywords = json_dumps(q->keywords, JSON_COMPACT);
        topic = q->topic;
        difficulty = q->difficulty;
    }
    t.interview_id = iv->id;
    t.idx = idx;
    t.question_id = qid;
    t.question_text = text;
    t.category = phase_buf;
    t.phase = phase_buf;
    t.difficulty = difficulty;
    t.keywords = keywords;
    t.asked_ms = clock_now_ms();
    t.eval_status = "none";
    t.topic = topic;
    se = store_call(e->store, turn_insert, &t);
    if (se == STORE_OK) {
        bank_seen_add(seen, qid, text);
        slot->count++;
        if (!follow_up) bankgrow_maybe(e, iv, cc, phase_buf, difficulty, seen);
    }
    if (se == STORE_OK)
        stats_count(&e->stats, STATS_QUESTION, follow_up ? STATS_MERGED : STATS_POOL, 1);
    if (se == STORE_OK && out) {
        memset(out, 0, sizeof *out);
        out->interview_id = xstrdup(iv->id);
        out->idx = idx;
        out->question_id = xstrdup(qid);
        out->question_text = xstrdup(text);
        out->category = xstrdup(phase_buf);
        out->phase = xstrdup(phase_buf);
        out->difficulty = difficulty;
        out->keywords = keywords ? xstrdup(keywords) : NULL;
        out->eval_status = xstrdup("none");
        out->topic = topic ? xstrdup(topic) : NULL;
    }
    free(text);
    free(keywords);
    return se;
}
