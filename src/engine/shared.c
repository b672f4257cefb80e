/* shared: state instances share through the store (see shared.h).
 *
 * The one idea: the numbers of /api/optimization_stats, /metrics and the dashboard live
 * in the store, not in the process. Each process counts in memory (struct stats, the
 * interview counts) and adds what it counted since its last flush to the store's
 * counters every [stats] flush_interval_ms and when it shuts down (one transaction per
 * flush; counter_add is an atomic increment, so instances never contend on a read and a
 * write of their own). A reader takes the store's counters, which every instance and
 * every earlier run of this one added to, plus what this process has not flushed yet.
 * So the figures survive restarts and add up over instances; a kill -9 loses at most
 * what was counted in the last flush interval. A flush that fails keeps its deltas for
 * the next one (a PostgreSQL COMMIT lost in flight could then count one interval twice).
 *
 * How many instances are alive is a heartbeat: on a shared store each instance writes
 * its row (a timestamp) at every flush, and rows older than a minute are not counted. */
#include "engine/shared.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "engine/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_LIVE_MS 60000 /* an instance silent longer is left out of "instances" */
#define STATS_INDEX_KEY "stats:instances"
/* Names of the interview counters in the store (the LLM ones are stats.h's). */
#define COUNTER_STARTED "interviews_started." /* + mode */
#define COUNTER_FINISHED "interviews_finished"
#define COUNTER_REPORTS "reports_ready"

/* JSON in the store's key/value table: the value under key parsed (new reference), or
 * NULL when absent or not JSON; and a value written as compact JSON. */
json_t *shared_kv_get_json(struct engine *e, const char *key)
{
    char *text = NULL;
    json_t *j = NULL;
    json_error_t je;
    if (store_call(e->store, kv_get, key, &text) == STORE_OK && text) j = json_loads(text, 0, &je);
    free(text);
    return j;
}

void shared_kv_put_json(struct engine *e, const char *key, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    enum store_err se = store_call(e->store, kv_put, key, text);
    if (se != STORE_OK) log_warn("kv_put_failed", "key=%s error=\"%s\"", key, store_strerror(se));
    free(text);
}

/* An array kept under key, or a new empty one (new reference). */
json_t *shared_kv_get_array(struct engine *e, const char *key)
{
    json_t *a = shared_kv_get_json(e, key);
    if (json_is_array(a)) return a;
    json_decref(a);
    return json_array();
}

/* ---- counters ---- */

struct flush_ctx {
    struct store *store;
    enum store_err err; /* the first failure */
    int n;              /* counters written */
};

static void add_one(struct flush_ctx *f, const char *name, int64_t delta)
{
    if (f->err != STORE_OK || delta == 0) return;
    f->err = store_call(f->store, counter_add, name, delta);
    f->n++;
}

static void add_stat(const char *name, int64_t delta, void *data)
{
    add_one(data, name, delta);
}

enum store_err shared_stats_flush(struct engine *e)
{
    struct flush_ctx f = {.store = e->store, .err = STORE_OK};
    enum store_err se = engine_tx_begin(e); /* joins an engine transaction, never breaks one */
    if (se != STORE_OK) goto failed;
    stats_each_counter(&e->stats, &e->stats_flushed, add_stat, &f);
    char name[64];
    for (int m = 0; m < ENGINE_MODES; m++) {
        snprintf(name, sizeof name, COUNTER_STARTED "%s", budget_mode_name((enum budget_mode)m));
        add_one(&f, name, e->counts.started_by_mode[m] - e->counts_flushed.started_by_mode[m]);
    }
    add_one(&f, COUNTER_FINISHED, e->counts.finished - e->counts_flushed.finished);
    add_one(&f, COUNTER_REPORTS, e->counts.reports - e->counts_flushed.reports);
    se = f.err;
    if (se != STORE_OK) {
        engine_tx_rollback(e);
        goto failed;
    }
    se = engine_tx_commit(e); /* rolls back itself on failure */
    if (se != STORE_OK) goto failed;
    e->stats_flushed = e->stats;
    e->counts_flushed = e->counts;
    if (e->store_down) log_info("store_reachable", "after=\"a failed stats flush\"");
    e->store_down = 0;
    return STORE_OK;
failed:
    if (!e->store_down)
        log_warn("stats_flush_failed", "error=\"%s\" keep=\"until the next flush\"",
                 store_strerror(se));
    e->store_down = 1;
    return se;
}

/* Writes this instance's heartbeat and makes sure it is listed (shared stores only). */
static void heartbeat(struct engine *e)
{
    json_t *doc = json_pack("{s:I}", "ts_ms", (json_int_t)clock_now_ms());
    char key[64];
    snprintf(key, sizeof key, "stats:%s", e->instance);
    shared_kv_put_json(e, key, doc);
    json_decref(doc);
    json_t *ids = shared_kv_get_array(e, STATS_INDEX_KEY);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) if (json_string_value(v) &&
                                      strcmp(json_string_value(v), e->instance) == 0) break;
    if (i == json_array_size(ids)) {
        json_array_append_new(ids, json_string(e->instance));
        shared_kv_put_json(e, STATS_INDEX_KEY, ids);
    }
    json_decref(ids);
}

/* Instances whose heartbeat is younger than STATS_LIVE_MS (at least 1: this one). */
static int live_instances(struct engine *e)
{
    if (!engine_store_shared(e)) return 1;
    int live = 0;
    json_t *ids = shared_kv_get_array(e, STATS_INDEX_KEY);
    size_t i;
    json_t *v;
    int64_t now = clock_now_ms();
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        if (!id) continue;
        char key[64];
        snprintf(key, sizeof key, "stats:%s", id);
        json_t *doc = shared_kv_get_json(e, key);
        int64_t ts = (int64_t)json_integer_value(json_object_get(doc, "ts_ms"));
        if (doc && now - ts <= STATS_LIVE_MS) live++;
        json_decref(doc);
    }
    json_decref(ids);
    return live ? live : 1;
}

static void on_flush_timer(void *arg)
{
    struct engine *e = arg;
    timer_start(e->stats_timer, e->cfg->stats_flush_interval_ms);
    shared_stats_flush(e);
    if (engine_store_shared(e)) heartbeat(e);
    shared_retired_refresh(e);
}

int engine_stats_totals(struct engine *e, struct stats *out, struct engine_interview_counts *counts)
{
    CHECK(e != NULL && out != NULL);
    stats_init(out, e->stats.price_per_mtok);
    struct engine_interview_counts c = {0};
    struct store_agg_list l = {0};
    enum store_err se = store_call(e->store, counter_list, &l);
    if (se == STORE_OK) {
        for (size_t i = 0; i < l.len; i++) {
            const char *name = l.items[i].k1;
            long v = (long)l.items[i].n;
            if (stats_add_named(out, name, l.items[i].n) == 0) continue;
            if (strcmp(name, COUNTER_FINISHED) == 0) c.finished += v;
            if (strcmp(name, COUNTER_REPORTS) == 0) c.reports += v;
            if (strncmp(name, COUNTER_STARTED, strlen(COUNTER_STARTED)) == 0) {
                int m = budget_mode_parse(name + strlen(COUNTER_STARTED));
                if (m >= 0 && m < ENGINE_MODES) c.started_by_mode[m] += v;
            }
        }
        /* and what this process has not flushed yet */
        for (int t = 0; t < STATS_TASK__COUNT; t++)
            for (int o = 0; o < STATS_OUTCOME__COUNT; o++)
                out->counts[t][o] += e->stats.counts[t][o] - e->stats_flushed.counts[t][o];
        out->provider_calls += e->stats.provider_calls - e->stats_flushed.provider_calls;
        out->provider_tokens += e->stats.provider_tokens - e->stats_flushed.provider_tokens;
        for (int m = 0; m < ENGINE_MODES; m++)
            c.started_by_mode[m] +=
                e->counts.started_by_mode[m] - e->counts_flushed.started_by_mode[m];
        c.finished += e->counts.finished - e->counts_flushed.finished;
        c.reports += e->counts.reports - e->counts_flushed.reports;
        store_agg_list_free(&l);
        se = store_call(e->store, interview_active_by_mode, &l);
        for (size_t i = 0; se == STORE_OK && i < l.len; i++) {
            int m = budget_mode_parse(l.items[i].k1 ? l.items[i].k1 : "");
            if (m >= 0 && m < ENGINE_MODES) c.in_progress_by_mode[m] = (long)l.items[i].n;
        }
        store_agg_list_free(&l);
    }
    if (se != STORE_OK) { /* the store did not answer: this process's own numbers */
        memcpy(out->counts, e->stats.counts, sizeof out->counts);
        out->provider_calls = e->stats.provider_calls;
        out->provider_tokens = e->stats.provider_tokens;
        c = e->counts;
    }
    for (int m = 0; m < ENGINE_MODES; m++)
        c.started += c.started_by_mode[m];
    if (counts) *counts = c;
    return se == STORE_OK ? 0 : -1;
}

json_t *engine_stats_json(struct engine *e)
{
    CHECK(e != NULL);
    struct stats sum;
    int from_store = engine_stats_totals(e, &sum, NULL) == 0;
    json_t *j = stats_json(&sum);
    json_object_set_new(j, "instances", json_integer(from_store ? live_instances(e) : 1));
    json_object_set_new(j, "source", json_string(from_store ? "store" : "process"));
    return j;
}

/* ---- retired question templates ---- */

void shared_retired_refresh(struct engine *e)
{
    struct store_agg_list l = {0};
    if (store_call(e->store, question_retired_list, &l) != STORE_OK) return;
    for (size_t i = 0; i < l.len; i++)
        bank_retire(e->bank, l.items[i].k1);
    store_agg_list_free(&l);
}

enum engine_err engine_retire_question(struct engine *e, const char *question_id)
{
    CHECK(e != NULL && question_id != NULL);
    if (!bank_question_find(e->bank, question_id)) return ENGINE_NOT_FOUND;
    enum store_err se = store_call(e->store, question_retire, question_id, clock_now_ms());
    if (se != STORE_OK) return ENGINE_UNAVAILABLE;
    bank_retire(e->bank, question_id);
    log_info("question_retired", "question=%s", question_id);
    return ENGINE_OK;
}

int engine_store_down(const struct engine *e)
{
    return e->store_down;
}

/* ---- life cycle ---- */

void shared_stats_start(struct engine *e)
{
    e->stats_timer = timer_new(e->base, on_flush_timer, e);
    shared_retired_refresh(e);
    if (engine_store_shared(e)) heartbeat(e);
    /* The simulator (virtual time) reads its own counters and would otherwise write a
     * flush every simulated 2 s: it flushes once, when it stops. */
    if (!timer_is_virtual()) timer_start(e->stats_timer, e->cfg->stats_flush_interval_ms);
}

void shared_stats_stop(struct engine *e)
{
    if (!e->stats_timer) return;
    shared_stats_flush(e); /* a clean shutdown loses nothing */
    timer_free(e->stats_timer);
    e->stats_timer = NULL;
}
