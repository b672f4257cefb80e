/* sweep: work redone later, on two timers (see sweep.h).
 *
 * The one idea: nothing is lost to a failure, it is only late. A result the store
 * refused is redone when the store is back (every SWEEP_RETRY_MS; the redone model call
 * is served by the cache where the table allows it), and answers the heuristic scored
 * for want of quota are re-scored by a model when the day has quota to spare, one
 * interview at a time while the router has no queue. */
#include "engine/sweep.h"

#include "core/check.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/candidate.h"
#include "engine/internal.h"
#include "engine/scoring.h"
#include "llm/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_RETRY_MS 2000      /* failed saves are redone this often */
#define SWEEP_REEVAL_MS 60000    /* the re-scoring sweeper looks for spare quota this often */
#define SWEEP_REEVAL_MAX 100000  /* interviews remembered for re-scoring */
#define SWEEP_RETRY_MAX 100000   /* interviews or candidates remembered for a retry */
#define SWEEP_REEVAL_PER_TICK 8  /* interviews re-scored per tick at most */
#define SWEEP_REEVAL_MIN_SPARE 2 /* provider calls to spare today before re-scoring */

/* ---- id lists ---- */

static int ids_add(struct id_list *l, const char *id, int max)
{
    CHECK(l->n >= 0 && l->n <= l->cap);
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->ids[i], id) == 0) return 0;
    if (l->n >= max) return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->ids = xrealloc(l->ids, (size_t)l->cap * sizeof *l->ids);
    }
    snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", id);
    return 1;
}

static void ids_remove_at(struct id_list *l, int i)
{
    CHECK(i >= 0 && i < l->n);
    memmove(&l->ids[i], &l->ids[i + 1], (size_t)(l->n - i - 1) * sizeof *l->ids);
    l->n--;
}

static void ids_free(struct id_list *l)
{
    free(l->ids);
    *l = (struct id_list){0};
}

/* ---- retrying what could not be saved ---- */

static void retry_arm(struct engine *e)
{
    if (e->retry_timer && !timer_pending(e->retry_timer))
        timer_start(e->retry_timer, SWEEP_RETRY_MS);
}

void sweep_retry_add(struct engine *e, const char *interview_id)
{
    CHECK(e != NULL && interview_id != NULL);
    if (ids_add(&e->retry, interview_id, SWEEP_RETRY_MAX)) retry_arm(e);
}

void sweep_resume_add(struct engine *e, const char *candidate_id)
{
    CHECK(e != NULL && candidate_id != NULL);
    if (ids_add(&e->resume_retry, candidate_id, SWEEP_RETRY_MAX)) retry_arm(e);
}

/* 1 when the interview needs no more retries. */
static int retry_interview(struct engine *e, const char *id)
{
    struct store_interview iv = {0};
    enum store_err se = store_call(e->store, interview_get, id, &iv);
    int done = se == STORE_NOT_FOUND || (se == STORE_OK && iv.report_json);
    if (se == STORE_OK && !iv.report_json) {
        enum interview_state state = engine_state_of(&iv);
        if (state == INTERVIEW_FINISHED) {
            scoring_maybe_report(e, iv.id);
        } else if (state == INTERVIEW_ABANDONED) {
            done = 1; /* left by the candidate: no report to finish */
        } else {
            /* still running: redo its pending per-turn evaluations now (batched modes
             * pick pending turns up in their next batch) */
            scoring_resume_pending(e, &iv);
            done = 1; /* a new failure adds it again */
        }
    }
    store_interview_free(&iv);
    return done;
}

static void retry_tick(void *arg)
{
    struct engine *e = arg;
    e->calls.claim_bypass = 1; /* the work is ours: it failed here */
    struct id_list again = e->retry;
    e->retry = (struct id_list){0};
    for (int i = 0; i < again.n; i++)
        if (!retry_interview(e, again.ids[i])) ids_add(&e->retry, again.ids[i], SWEEP_RETRY_MAX);
    ids_free(&again);
    e->calls.claim_bypass = 0;
    /* analyses: asked again, answered from the cache, saved if the store takes it now */
    struct id_list cands = e->resume_retry;
    e->resume_retry = (struct id_list){0};
    for (int i = 0; i < cands.n; i++) {
        struct cand_ctx cc;
        enum store_err se = cand_load(e, cands.ids[i], &cc);
        if (se == STORE_OK)
            cand_start_analysis(e, &cc.c);
        else if (se != STORE_NOT_FOUND)
            sweep_resume_add(e, cands.ids[i]);
        cand_free(&cc);
    }
    ids_free(&cands);
    if (e->retry.n || e->resume_retry.n) timer_start(e->retry_timer, SWEEP_RETRY_MS);
}

/* ---- re-scoring later: answers the heuristic scored because no model had quota ---- */

void sweep_reeval_add(struct engine *e, const char *interview_id)
{
    CHECK(e != NULL && interview_id != NULL);
    ids_add(&e->reeval, interview_id, SWEEP_REEVAL_MAX);
}

/* Spare quota (what today's expected interviews will not need) goes to re-scoring, one
 * interview per step while the router has no queue. */
static void reeval_tick(void *arg)
{
    struct engine *e = arg;
    timer_start(e->reeval_timer, SWEEP_REEVAL_MS);
    for (int step = 0; step < SWEEP_REEVAL_PER_TICK && e->reeval.n > 0; step++) {
        if (!router_online(e->router) || router_queue_length(e->router) > 0) return;
        if (engine_spare_calls_today(e) < SWEEP_REEVAL_MIN_SPARE) return;
        char id[33];
        memcpy(id, e->reeval.ids[0], sizeof id);
        struct store_interview iv = {0};
        struct store_turn_list turns = {0};
        if (store_call(e->store, interview_get, id, &iv) != STORE_OK ||
            store_call(e->store, turn_list, id, &turns) != STORE_OK || !iv.report_json) {
            /* not finished yet, or gone: try again later / forget */
            if (!iv.id) ids_remove_at(&e->reeval, 0);
            store_turn_list_free(&turns);
            store_interview_free(&iv);
            return;
        }
        struct store_candidate c = {0};
        const char *role = "unknown";
        if (store_call(e->store, candidate_get, iv.candidate_id, &c) == STORE_OK) role = c.role;
        ids_remove_at(&e->reeval, 0);
        if (scoring_start_rescore(e, &iv, &turns, role))
            log_info("reeval_started", "interview=%s", id);
        store_candidate_free(&c);
        store_turn_list_free(&turns);
        store_interview_free(&iv);
    }
}

void sweep_start(struct engine *e)
{
    e->reeval_timer = timer_new(e->base, reeval_tick, e);
    e->retry_timer = timer_new(e->base, retry_tick, e);
    timer_start(e->reeval_timer, SWEEP_REEVAL_MS);
}

void sweep_stop(struct engine *e)
{
    timer_free(e->reeval_timer);
    timer_free(e->retry_timer);
    e->reeval_timer = e->retry_timer = NULL;
    ids_free(&e->retry);
    ids_free(&e->reeval);
    ids_free(&e->resume_retry);
}
