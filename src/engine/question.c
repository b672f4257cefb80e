/* question: plans and the next question of an interview (see question.h).
 *
 * The one idea: the store is the truth about what a candidate has heard. The seen
 * cache is used only while the store's count of the candidate's questions equals the
 * slot's, so a question asked by another process, or a rolled back one, makes it
 * reload; and every question inserted is checked against it first. */
#include "engine/question.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/fastjson.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/bankgrow.h"
#include "engine/candidate.h"
#include "engine/heuristic.h"
#include "engine/internal.h"
#include "engine/phrase.h"
#include "engine/precheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a candidate has heard, cached by candidate (direct-mapped by hash). The store
 * stays the truth: a slot is used only while the store's count of the candidate's
 * questions equals the slot's, so a question asked by another process, or a rolled back
 * one, makes it reload. */
#define SEEN_SLOTS 1024

/* What a review is chosen from: the candidate's questions grouped by id, with the
 * latest asking and score. Scores arrive after a question is asked, so this is read
 * from the store again when older than QUESTION_REVIEW_RELOAD_MS (a question younger
 * than that cannot come back yet anyway); a review asked here updates it at once. */
struct review_item {
    const struct store_turn *first; /* the first asking: its text has no review opening */
    int64_t last_ms;                /* the latest asking */
    int last_score;                 /* the latest score given, 0 if none */
};

struct review_cache {
    struct store_turn_list asked; /* what items point into */
    struct review_item *items;
    size_t n;
    int64_t loaded_ms; /* 0: not loaded */
};

struct seen_slot {
    char candidate[33];
    long count;
    struct bank_seen seen;
    struct review_cache reviews;
};

static void review_cache_clear(struct review_cache *rc)
{
    store_turn_list_free(&rc->asked);
    free(rc->items);
    memset(rc, 0, sizeof *rc);
}

struct seen_slot *question_seen_cache_new(void)
{
    return xcalloc(SEEN_SLOTS, sizeof(struct seen_slot));
}

void question_seen_cache_free(struct seen_slot *cache)
{
    for (int i = 0; cache && i < SEEN_SLOTS; i++) {
        bank_seen_free(&cache[i].seen);
        review_cache_clear(&cache[i].reviews);
    }
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
    const char *plan_text = iv->plan_json ? iv->plan_json : "[]";
    json_t *plan = fastjson_load(plan_text, strlen(plan_text), &je);
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
    json_t *kw = t->keywords ? fastjson_load(t->keywords, strlen(t->keywords), &je) : NULL;
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
    if (strcmp(slot->candidate, candidate) != 0) review_cache_clear(&slot->reviews);
    for (size_t i = 0; i < asked.len; i++) {
        const struct store_turn *t = &asked.items[i];
        bank_seen_add_turn(&slot->seen, t->question_id, t->question_text, t->topic,
                           t->interview_id);
    }
    slot->count = (long)asked.len;
    snprintf(slot->candidate, sizeof slot->candidate, "%s", candidate);
    store_turn_list_free(&asked);
    return slot;
}

/* ---- choosing among templates: topics, slots, the job description ---- */

/* What the picker's filter knows about the interview at hand. */
struct pick_ctx {
    struct engine *e;
    const struct bank_seen *seen;
    int current_ord; /* this interview's ordinal in seen, or -1 before its first question */
    const json_t *job_skills;       /* canonical skills the job description names (may be empty) */
    const struct bank_slots *slots; /* the clean slot values and how often each was heard */
};

/* 1 if topic was asked earlier in this interview. */
static int topic_in_interview(const struct pick_ctx *pc, const char *topic)
{
    return topic && pc->current_ord > 0 && bank_seen_topic_last(pc->seen, topic) == pc->current_ord;
}

/* 1 if the template is about a skill the job description names (or fills {skill}, which
 * takes the job's skills first). */
static int template_fits_job(const struct pick_ctx *pc, const struct bank_question *q)
{
    if (json_array_size(pc->job_skills) == 0) return 0;
    if (strstr(q->text, "{skill}")) return 1;
    size_t i, j;
    json_t *s, *k;
    json_array_foreach(pc->job_skills, i, s)
    {
        const char *skill = json_string_value(s);
        if (phrase_mentions(pc->e->bank->terms, q->text, skill)) return 1;
        json_array_foreach(
            q->keywords, j,
            k) if (phrase_mentions(pc->e->bank->terms, json_string_value(k), skill)) return 1;
    }
    return 0;
}

/* The filter bank_pick_filtered calls: a topic asked in this interview is out; topics
 * asked in the last QUESTION_TOPIC_ROTATION interviews come after all others, then the
 * job description's skills come first, then the topic heard longest ago. */
static int pick_filter(const struct bank_question *q, void *data)
{
    struct pick_ctx *pc = data;
    if (topic_in_interview(pc, q->topic)) return -1;
    if (!bank_slots_can_fill(pc->slots, q->text)) return -1;
    int last = bank_seen_topic_last(pc->seen, q->topic);
    int recent = last > 0 && last > pc->seen->n_interviews - QUESTION_TOPIC_ROTATION;
    return (recent ? 0 : 1000000) + (template_fits_job(pc, q) ? 100000 : 0) +
           (last > 0 ? 99999 - (last < 99999 ? last : 99999) : 99999);
}

/* ---- never running dry: reviews ---- */

/* How long after an answer of a given score (0 = never scored, 1..5) the question is
 * due again, as review tools space cards: longer after better answers. */
static int64_t review_interval_ms(int score)
{
    static const int days[6] = {3, 3, 4, 7, 14, 30};
    return (int64_t)days[score < 0 ? 0 : score > 5 ? 5 : score] * 86400000;
}

static void day_month(int64_t ms, int64_t now_ms, char *out, size_t cap)
{
    static const char *months[12] = {"January",   "February", "March",    "April",
                                     "May",       "June",     "July",     "August",
                                     "September", "October",  "November", "December"};
    time_t t = (time_t)(ms / 1000), n = (time_t)(now_ms / 1000);
    struct tm tm, tn;
    gmtime_r(&t, &tm);
    gmtime_r(&n, &tn);
    if (tm.tm_year == tn.tm_year)
        snprintf(out, cap, "%d %s", tm.tm_mday, months[tm.tm_mon]);
    else
        snprintf(out, cap, "%d %s %d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
}

/* A review's opening, kind and with the real date of the last attempt. */
static char *review_text(const char *original, int score, int64_t last_ms, int64_t now_ms)
{
    char date[48];
    day_month(last_ms, now_ms, date, sizeof date);
    const char *lead = score == 0   ? "You met this question on %s; here it is again. "
                       : score <= 2 ? "You found this one hard on %s, so let's try it again. "
                       : score == 3 ? "You gave a fair answer to this on %s; see how much "
                                      "further you can take it now. "
                                    : "You answered this well on %s; here it is again to keep "
                                      "it fresh. ";
    struct sbuf b = {0};
    sbuf_printf(&b, lead, date);
    sbuf_puts(&b, original);
    return sbuf_take(&b);
}

static enum store_err review_cache_load(struct engine *e, const char *candidate,
                                        struct review_cache *rc)
{
    review_cache_clear(rc);
    enum store_err se = store_call(e->store, turn_list_asked_by_candidate, candidate, &rc->asked);
    if (se != STORE_OK) return se;
    rc->items = xcalloc(rc->asked.len + 1, sizeof *rc->items);
    for (size_t i = 0; i < rc->asked.len; i++) {
        const struct store_turn *a = &rc->asked.items[i];
        if (!a->question_id || strncmp(a->question_id, "fu:", 3) == 0) continue;
        size_t k = 0;
        while (k < rc->n && strcmp(rc->items[k].first->question_id, a->question_id) != 0)
            k++;
        if (k == rc->n) rc->items[rc->n++].first = a;
        struct review_item *it = &rc->items[k];
        it->last_ms = a->asked_ms > it->last_ms ? a->asked_ms : it->last_ms;
        if (a->score > 0) it->last_score = a->score;
    }
    rc->loaded_ms = clock_now_ms();
    return STORE_OK;
}

/* The question to bring back for this phase: heard at least QUESTION_REVIEW_MIN_GAP_MS
 * ago, not on a topic of this interview, the most overdue by its review interval (the
 * worst answered come back soonest); the phase's own questions before others' (and
 * only those unless any_phase). Fills *t (strings malloc'd) and returns 1, or 0 when
 * none may come back yet. */
static int review_pick(struct engine *e, const struct store_interview *iv, struct seen_slot *slot,
                       const char *phase, int any_phase, const struct pick_ctx *pc,
                       struct store_turn *t)
{
    struct review_cache *rc = &slot->reviews;
    int64_t now = clock_now_ms();
    if ((!rc->loaded_ms || now - rc->loaded_ms > QUESTION_REVIEW_RELOAD_MS) &&
        review_cache_load(e, slot->candidate, rc) != STORE_OK)
        return 0;
    struct review_item *best = NULL;
    int64_t best_due = 0;
    int best_same_phase = 0;
    for (size_t k = 0; k < rc->n; k++) {
        struct review_item *it = &rc->items[k];
        if (now - it->last_ms < QUESTION_REVIEW_MIN_GAP_MS) continue;
        if (topic_in_interview(pc, it->first->topic)) continue;
        if (strcmp(it->first->interview_id, iv->id) == 0) continue;
        const struct bank_question *bq = bank_question_find(e->bank, it->first->question_id);
        if (bq && bq->retired) continue; /* an operator took it out of use */
        int same_phase = it->first->phase && strcmp(it->first->phase, phase) == 0;
        if (!same_phase && !any_phase) continue;
        int64_t due = it->last_ms + review_interval_ms(it->last_score);
        if (!best || same_phase > best_same_phase ||
            (same_phase == best_same_phase && due < best_due)) {
            best = it;
            best_due = due;
            best_same_phase = same_phase;
        }
    }
    if (!best) return 0;
    const struct store_turn *f = best->first;
    memset(t, 0, sizeof *t);
    t->question_id = xstrdup(f->question_id);
    t->question_text = review_text(f->question_text, best->last_score, best->last_ms, now);
    t->keywords = f->keywords ? xstrdup(f->keywords) : NULL;
    t->topic = f->topic ? xstrdup(f->topic) : NULL;
    t->difficulty = f->difficulty;
    best->last_ms = now; /* asked now: not again for three days */
    return 1;
}

/* A template heard before, filled with values the candidate has not heard in it (another
 * project, another skill): a different question, so it counts as new. */
static char *slot_variant(struct engine *e, const char *role, const char *phase, int any_phase,
                          const struct pick_ctx *pc, const struct bank_question **q_out)
{
    for (int pass = 0; pass < 1 + any_phase; pass++)
        for (int i = 0; i < e->bank->n_questions; i++) {
            const struct bank_question *bq = &e->bank->questions[i];
            if (bq->retired || !strchr(bq->text, '{') ||
                (strcmp(bq->category, phase) == 0) != (pass == 0))
                continue;
            if (!bank_question_fits(bq, role)) continue;
            if (topic_in_interview(pc, bq->topic)) continue;
            char *text = bank_fill_slots(pc->slots, bq->text);
            if (text && !bank_seen_has_text(pc->seen, text)) {
                *q_out = bq;
                return text;
            }
            free(text);
        }
    return NULL;
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
    char qid[96];
    char *text = NULL;
    char *keywords = NULL;
    char *topic = NULL;
    enum store_err se;
    struct seen_slot *slot = seen_for(e, cc->c.id, &se);
    if (!slot) return se;
    struct bank_seen *seen = &slot->seen;
    json_t *job_skills = question_job_skills(e, iv->job_description);
    struct bank_fill_ctx fc = {.analysis = cc->analysis,
                               .role = cc->role,
                               .turn = idx,
                               .seen = seen,
                               .job_skills = job_skills,
                               .source = cc->c.resume_text};
    struct bank_slots *slots = bank_slots_new(e->bank, &fc);
    struct pick_ctx pc = {
        .e = e,
        .seen = seen,
        .current_ord = strcmp(seen->last_interview, iv->id) == 0 ? seen->n_interviews : -1,
        .job_skills = job_skills,
        .slots = slots,
    };
    const char *fu_topic = follow_up ? bank_topic_of(e->bank, follow_up) : NULL;
    if (follow_up && bank_seen_has_near(seen, follow_up)) {
        /* the model wrote something the candidate has heard (or nearly): a bank
         * question instead */
        log_info("model_question_rejected",
                 "interview=%s reason=\"near-duplicate of a question already asked\"", iv->id);
        follow_up = NULL;
    } else if (follow_up && topic_in_interview(&pc, fu_topic)) {
        log_info("model_question_rejected",
                 "interview=%s reason=\"its topic was already asked in this interview\" "
                 "topic=%s",
                 iv->id, fu_topic);
        follow_up = NULL;
    }
    if (follow_up) {
        char h[33];
        util_xxh128_hex(follow_up, strlen(follow_up), h);
        snprintf(qid, sizeof qid, "fu:%.16s", h);
        text = xstrdup(follow_up);
        topic = fu_topic ? xstrdup(fu_topic) : NULL;
        const struct store_turn *prev =
            idx > 0 && (size_t)idx - 1 < turns->len ? &turns->items[idx - 1] : NULL;
        keywords = prev && prev->keywords ? xstrdup(prev->keywords) : NULL;
    } else {
        /* This phase, then neighbouring phases, rather than repeating a question; a
         * template whose slots cannot be filled cleanly is passed over. */
        static const char *fallbacks[] = {"technical", "behavioral", "resume", "wrap_up",
                                          "introduction"};
        const struct bank_question *q = NULL;
        struct store_turn r = {0};
        int review = 0;
        /* This phase first: a new template, another filling of one heard, then a review;
         * only then other phases' new questions, other fillings, and any review. */
        for (int other = 0; other < 2 && !text && !review; other++) {
            q = NULL;
            for (int k = other ? 0 : -1; !q && k < (other ? (int)ARRAY_LEN(fallbacks) : 0); k++)
                q = bank_pick_filtered(e->bank, cc->c.role, k < 0 ? phase_buf : fallbacks[k],
                                       difficulty, seen, cc->c.id, pick_filter, &pc);
            if (q && (text = bank_fill_slots(slots, q->text))) {
                snprintf(qid, sizeof qid, "%s", q->id);
            } else if ((text = slot_variant(e, cc->c.role, phase_buf, other, &pc, &q))) {
                char h[33];
                util_xxh128_hex(text, strlen(text), h);
                snprintf(qid, sizeof qid, "%s#%.8s", q->id, h);
            } else {
                review = review_pick(e, iv, slot, phase_buf, other, &pc, &r);
            }
        }
        if (text) {
            if (bank_seen_has_text(seen, text))
                log_warn("question_text_repeat", "question=%s", q->id);
            keywords = json_dumps(q->keywords, JSON_COMPACT);
            topic = q->topic ? xstrdup(q->topic) : NULL;
            difficulty = q->difficulty;
        } else {
            /* Every fitting question heard: the one most due for review comes back. */
            if (!review) {
                json_decref(job_skills);
                bank_slots_free(slots);
                return STORE_NOT_FOUND;
            }
            snprintf(qid, sizeof qid, "%s", r.question_id);
            text = r.question_text;
            keywords = r.keywords;
            topic = r.topic;
            difficulty = r.difficulty > 0 ? r.difficulty : difficulty;
            free(r.question_id);
            log_info("question_review", "interview=%s question=%s", iv->id, qid);
        }
    }
    json_decref(job_skills);
    bank_slots_free(slots);
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
        bank_seen_add_turn(seen, qid, text, topic, iv->id);
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
    free(topic);
    return se;
}

json_t *question_job_skills(struct engine *e, const char *job_description)
{
    json_t *skills = json_array();
    if (job_description && *job_description)
        phrase_terms_found(e->bank->terms, job_description, skills, QUESTION_JOB_SKILLS_MAX);
    return skills;
}
