/* engine: the engine's life cycle, its replies and the budget policy's inputs.
 *
 * The one idea: the store is the state. Every handler loads what it needs, changes it
 * in one transaction and answers; model calls (call.c) write their results back when
 * they arrive, and a call that fails falls back to the heuristic, so an interview never
 * waits on a provider for longer than its deadline. internal.h maps the other files. */
#include "engine/engine.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/fastjson.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/bankgrow.h"
#include "engine/heuristic.h"
#include "engine/internal.h"
#include "engine/precheck.h"
#include "engine/question.h"
#include "engine/scoring.h"
#include "engine/shared.h"
#include "engine/sweep.h"
#include "llm/router.h"
#include "optimize/cache.h"
#include "optimize/flight.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The engine's exact cache of model results: [cache] max_bytes / this, in memory. */
#define ENGINE_CACHE_DIVISOR 4

/* ---- replies ---- */

void engine_reply_clear(struct engine_reply *r)
{
    json_decref(r->body);
    r->body = NULL;
}

void engine_fail(struct engine_reply *r, enum engine_err err, const char *fmt, ...)
{
    CHECK(r != NULL && err != ENGINE_OK);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->err = err;
    r->body = NULL;
    r->code = NULL;
}

void engine_ok(struct engine_reply *r, json_t *body)
{
    CHECK(r != NULL && body != NULL);
    r->err = ENGINE_OK;
    r->code = NULL;
    r->message[0] = 0;
    r->body = body;
}

void engine_store_failed(struct engine_reply *r, enum store_err se)
{
    if (se == STORE_NOT_FOUND) { /* from question_ask: nothing unheard is left */
        log_warn("bank_exhausted", "reason=\"every question has been heard by this candidate\"");
        engine_fail(r, ENGINE_UNAVAILABLE,
                    "You have heard every question in the bank for this role; new questions "
                    "are generated when an AI model is configured. Please try again later.");
        return;
    }
    if (se == STORE_BUSY) { /* another process holds the lock: the loop does not wait for it */
        engine_fail(r, ENGINE_BUSY,
                    "The database is locked by another process just now; nothing was saved "
                    "and nothing was lost. Please retry in a second.");
        return;
    }
    log_error("store_error", "error=\"%s\"", store_strerror(se));
    engine_fail(r, ENGINE_UNAVAILABLE,
                "The service could not save your data just now; nothing was lost. Please "
                "retry in a moment.");
}

enum store_err engine_tx_begin(struct engine *e)
{
    CHECK(e->tx_depth >= 0);
    if (e->tx_depth++ > 0) return STORE_OK;
    enum store_err se = store_begin(e->store);
    if (se != STORE_OK) {
        e->tx_depth--;
        return se;
    }
    e->tx_open = 1;
    return STORE_OK;
}

enum store_err engine_tx_commit(struct engine *e)
{
    CHECK(e->tx_depth > 0);
    if (--e->tx_depth > 0 || !e->tx_open) return STORE_OK;
    e->tx_open = 0;
    enum store_err se = store_commit(e->store);
    if (se != STORE_OK) store_rollback(e->store);
    return se;
}

void engine_tx_rollback(struct engine *e)
{
    CHECK(e->tx_depth > 0);
    e->tx_depth--;
    if (e->tx_open) store_rollback(e->store);
    e->tx_open = 0;
}

void engine_candidate_failed(struct engine_reply *r, enum store_err se)
{
    if (se == STORE_NOT_FOUND)
        engine_fail(r, ENGINE_UNAUTHORIZED, "Unknown candidate.");
    else
        engine_store_failed(r, se);
}

json_t *engine_json_array(const char *text)
{
    json_error_t je;
    json_t *a = text ? fastjson_load(text, strlen(text), &je) : NULL;
    if (json_is_array(a)) return a;
    json_decref(a);
    return json_array();
}

/* Loads an interview that belongs to candidate_id (NULL = admin). */
enum engine_err engine_load_owned(struct engine *e, const char *candidate_id, const char *id,
                                  struct store_interview *iv, struct engine_reply *out)
{
    CHECK(e != NULL && id != NULL && iv != NULL && out != NULL);
    enum store_err se = store_call(e->store, interview_get, id, iv);
    if (se == STORE_OK && candidate_id && strcmp(iv->candidate_id, candidate_id) != 0) {
        store_interview_free(iv);
        se = STORE_NOT_FOUND;
    }
    if (se == STORE_NOT_FOUND) {
        engine_fail(out, ENGINE_NOT_FOUND, "No such interview.");
        return ENGINE_NOT_FOUND;
    }
    if (se != STORE_OK) {
        engine_store_failed(out, se);
        return out->err;
    }
    return ENGINE_OK;
}

/* ---- parsed modes and states ---- */

enum budget_mode engine_mode_of(const struct store_interview *iv)
{
    int m = iv->mode ? budget_mode_parse(iv->mode) : -1;
    return m < 0 ? BUDGET_OFFLINE : (enum budget_mode)m;
}

enum interview_state engine_state_of(const struct store_interview *iv)
{
    if (iv->state && strcmp(iv->state, "active") == 0) return INTERVIEW_ACTIVE;
    if (iv->state && strcmp(iv->state, "abandoned") == 0) return INTERVIEW_ABANDONED;
    return INTERVIEW_FINISHED;
}

const char *engine_state_name(enum interview_state s)
{
    return s == INTERVIEW_ACTIVE ? "active" : s == INTERVIEW_ABANDONED ? "abandoned" : "finished";
}

int engine_store_shared(const struct engine *e)
{
    return store_has(e->store, STORE_CAP_SHARED);
}

/* ---- the budget policy's inputs ---- */

/* Tokens of a typical provider call, for turning the fleet's token budget into calls:
 * a balanced-mode batch as measured by the simulator (src/sim/plan.c). */
#define TYPICAL_CALL_TOKENS 3436.0
#define DAY_MS 86400000

enum budget_mode engine_mode_now(struct engine *e)
{
    if (!router_online(e->router)) return BUDGET_OFFLINE;
    if (!e->auto_mode) return e->fixed_mode;
    int64_t now = clock_now_ms();
    int64_t day0 = now - now % DAY_MS;
    if (day0 != e->day_start_ms) {
        e->day_start_ms = day0;
        e->started_today = 0;
    }
    /* Issue 16: money buys model scores, not richer interviews: the mode is what the free
     * fleet allows; when it allows none, economy while the spend cap has room. (Valued at
     * one typical call, the cap would otherwise buy balanced interviews in the morning
     * and leave the evening's unscored.) */
    double free_left = router_free_calls_left_today(e->router, TYPICAL_CALL_TOKENS);
    double left = budget_interviews_left((double)e->cfg->expected_interviews_per_day,
                                         e->started_today, (double)(now - day0) / DAY_MS);
    enum budget_mode m = budget_choose(free_left, left, 0.9);
    if (m == BUDGET_OFFLINE &&
        budget_choose(router_calls_left_today(e->router, TYPICAL_CALL_TOKENS), left, 0.9) !=
            BUDGET_OFFLINE)
        m = BUDGET_ECONOMY;
    return m;
}

/* Provider calls left today beyond what the interviews still expected today need in
 * economy mode (the least any model-scored interview needs); -1 counts as plenty. */
double engine_spare_calls_today(struct engine *e)
{
    double calls_left = router_calls_left_today(e->router, TYPICAL_CALL_TOKENS);
    if (calls_left < 0) return 1e9;
    int64_t now = clock_now_ms();
    int64_t day0 = now - now % DAY_MS;
    double left = budget_interviews_left((double)e->cfg->expected_interviews_per_day,
                                         day0 == e->day_start_ms ? e->started_today : 0,
                                         (double)(now - day0) / DAY_MS);
    return calls_left - left * budget_mode_cost(BUDGET_ECONOMY);
}

_Static_assert(BUDGET_FULL + 1 == ENGINE_MODES, "engine_interview_counts has a slot per mode");

void engine_count_in_progress(struct engine *e, enum budget_mode mode, int delta)
{
    CHECK(mode >= BUDGET_OFFLINE && mode < ENGINE_MODES && (delta == 1 || delta == -1));
    long *n = &e->counts.in_progress_by_mode[mode];
    *n += delta;
    if (*n < 0) *n = 0; /* started before this process did */
}

void engine_interview_counts(struct engine *e, struct engine_interview_counts *out,
                             const char **mode_now)
{
    CHECK(e != NULL && out != NULL);
    *out = e->counts;
    if (mode_now) *mode_now = budget_mode_name(engine_mode_now(e));
}

/* ---- the offline answers (the heuristic, behind the offline provider) ---- */

json_t *engine_offline_answer(const char *task, const json_t *in, void *data)
{
    struct engine *e = data;
    if (!in) return NULL;
    if (strcmp(task, "evaluate") == 0) {
        const char *category = json_string_value(json_object_get(in, "category"));
        const char *answer = json_string_value(json_object_get(in, "answer"));
        struct heuristic_question hq = {.text = json_string_value(json_object_get(in, "question")),
                                        .key_points = json_object_get(in, "key_points"),
                                        .keywords = json_object_get(in, "keywords")};
        struct heuristic_eval he;
        heuristic_evaluate(rubrics_get(e->rubrics, category ? category : "technical"), &hq,
                           answer ? answer : "", &he);
        json_t *out = json_pack("{s:i,s:s,s:b}", "score", he.score, "feedback", he.feedback,
                                "injection_attempt", precheck_injection(answer));
        free(he.feedback);
        return out;
    }
    if (strcmp(task, "resume_analysis") == 0) {
        const char *resume = json_string_value(json_object_get(in, "resume"));
        return heuristic_resume_analysis(resume, json_object_get(in, "role_skills"));
    }
    if (strcmp(task, "summary") == 0) return heuristic_summary(json_object_get(in, "scored"));
    return NULL;
}

/* ---- small accessors ---- */

int engine_inflight(const struct engine *e)
{
    return call_ctx_inflight(&e->calls);
}

const struct stats *engine_stats(const struct engine *e)
{
    return &e->stats;
}

struct stats *engine_stats_mut(struct engine *e)
{
    return &e->stats;
}

struct router *engine_router(struct engine *e)
{
    return e->router;
}

const struct bank *engine_bank(const struct engine *e)
{
    return e->bank;
}

struct store *engine_store(struct engine *e)
{
    return e->store;
}

struct event_base *engine_event_base(struct engine *e)
{
    return e->base;
}

json_t *engine_roles(struct engine *e)
{
    json_t *arr = json_array();
    for (int i = 0; i < e->bank->n_roles; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "id", e->bank->roles[i].id, "title",
                                             e->bank->roles[i].title));
    return json_pack("{s:o}", "roles", arr);
}

/* ---- life cycle ---- */

/* The blended price (85% prompt, 15% completion tokens) of the cheapest priced
 * deployment: what the calls the optimizations saved would have cost on the paid
 * overflow. 0 when no deployment has a price. */
static double engine_reference_price(const struct config *cfg)
{
    double best = 0;
    for (int i = 0; i < cfg->n_providers; i++) {
        const struct provider_config *p = &cfg->providers[i];
        if (!provider_config_priced(p)) continue;
        double blended = 0.85 * p->price_in_per_mtok + 0.15 * p->price_out_per_mtok;
        if (best == 0 || blended < best) best = blended;
    }
    return best;
}

struct engine *engine_new(struct event_base *base, const struct config *cfg, struct store *store,
                          char *err, size_t errlen)
{
    struct router *router = router_new(base, store);
    router_add_from_config(router, cfg);
    router_set_spend_cap(router, cfg->max_usd_per_day); /* issue 16 */
    return engine_new_with_router(base, cfg, store, router, err, errlen);
}

struct engine *engine_new_with_router(struct event_base *base, const struct config *cfg,
                                      struct store *store, struct router *router, char *err,
                                      size_t errlen)
{
    CHECK(cfg != NULL && store != NULL && router != NULL);
    struct engine *e = xcalloc(1, sizeof *e);
    e->seen_cache = question_seen_cache_new();
    /* What a saved call would have cost (USD per million tokens), for
     * estimated_cost_saved only: the configured prices (issue 16), 0 when none is set. */
    stats_init(&e->stats, engine_reference_price(cfg));
    e->base = base;
    e->cfg = cfg;
    e->store = store;
    e->router = router;
    router_set_reserve_percent(router, (int)cfg->interview_reserve_percent);
    e->auto_mode = strcmp(cfg->budget_mode, "auto") == 0;
    int fixed = budget_mode_parse(cfg->budget_mode);
    e->fixed_mode = fixed < 0 ? BUDGET_FULL : (enum budget_mode)fixed;
    e->cache = cache_memory_new((size_t)cfg->cache_max_bytes / ENGINE_CACHE_DIVISOR, 0);
    e->flights = flight_group_new();
    e->bank = bank_load(cfg->data_dir, err, errlen);
    if (!e->bank) goto fail;
    char path[1024];
    snprintf(path, sizeof path, "%s/rubrics.json", cfg->data_dir);
    e->rubrics = rubrics_load(path, err, errlen);
    if (!e->rubrics) goto fail;
    e->offline = provider_offline_new(base, engine_offline_answer, e);
    e->calls = (struct call_ctx){
        .owner = e,
        .cfg = cfg,
        .router = router,
        .offline = e->offline,
        .cache = e->cache,
        .store = store,
        .stats = &e->stats,
        .flights = e->flights,
    };
    bankgrow_load_all(e);
    sweep_start(e);
    char *iid = util_random_id(8);
    snprintf(e->instance, sizeof e->instance, "%s", iid);
    free(iid);
    shared_stats_start(e);
    if (!router_online(e->router))
        log_info("offline_mode", "reason=\"no provider with an API key is configured; answers "
                                 "are scored by the heuristic rubric\"");
    log_info("engine_ready", "questions=%d roles=%d rubric=%s online=%d", e->bank->n_questions,
             e->bank->n_roles, e->rubrics->version, router_online(e->router));
    return e;
fail:
    engine_free(e);
    return NULL;
}

void engine_recover(struct engine *e)
{
    CHECK(e != NULL);
    struct store_interview_list l = {0};
    if (store_call(e->store, interview_list_unreported, &l) != STORE_OK) return;
    int evals = 0;
    for (size_t i = 0; i < l.len; i++) {
        evals += scoring_resume_pending(e, &l.items[i]);
        scoring_maybe_report(e, l.items[i].id);
    }
    if (l.len) log_info("recovered", "interviews=%zu evaluations=%d", l.len, evals);
    store_interview_list_free(&l);
}

void engine_free(struct engine *e)
{
    if (!e) return;
    e->closing = 1;
    call_ctx_close(&e->calls);
    router_free(e->router); /* cancels calls: they finish without writing */
    provider_destroy(e->offline);
    CHECK(call_ctx_inflight(&e->calls) == 0);
    flight_group_free(e->flights);
    cache_destroy(e->cache);
    rubrics_free(e->rubrics);
    bank_free(e->bank);
    question_seen_cache_free(e->seen_cache);
    sweep_stop(e);
    shared_stats_stop(e);
    free(e);
}
