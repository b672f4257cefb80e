/* shared: state instances share through the store (see shared.h).
 *
 * The one idea: each instance writes only its own row (its counters with a timestamp,
 * once a second), and a reader sums the rows written in the last minute, so instances
 * never contend on one counter and a stopped instance drops out by itself. */
#include "engine/shared.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "engine/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_PUBLISH_MS 1000 /* how often an instance writes its counters (one row) */
#define STATS_LIVE_MS 60000   /* an instance silent longer is left out of the sum */
#define STATS_INDEX_KEY "stats:instances"

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

/* Writes this instance's counters (with a timestamp) and makes sure it is listed. */
static void stats_publish(void *arg)
{
    struct engine *e = arg;
    timer_start(e->stats_timer, STATS_PUBLISH_MS);
    json_t *doc = stats_counters(&e->stats);
    json_object_set_new(doc, "ts_ms", json_integer((json_int_t)clock_now_ms()));
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

json_t *engine_stats_json(struct engine *e)
{
    CHECK(e != NULL);
    if (!engine_store_shared(e)) {
        json_t *j = stats_json(&e->stats);
        json_object_set_new(j, "instances", json_integer(1));
        return j;
    }
    stats_publish(e); /* ours, current */
    struct stats sum;
    stats_init(&sum, e->stats.price_per_mtok);
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
        if (!doc) continue;
        int64_t ts = (int64_t)json_integer_value(json_object_get(doc, "ts_ms"));
        if (doc && now - ts <= STATS_LIVE_MS && stats_add_counters(&sum, doc) == 0) live++;
        json_decref(doc);
    }
    json_decref(ids);
    if (live == 0) { /* the store did not answer: our own counters at least */
        json_t *mine = stats_counters(&e->stats);
        stats_add_counters(&sum, mine);
        json_decref(mine);
    }
    json_t *j = stats_json(&sum);
    json_object_set_new(j, "instances", json_integer(live ? live : 1));
    return j;
}

void shared_stats_start(struct engine *e)
{
    e->stats_timer = timer_new(e->base, stats_publish, e);
    if (engine_store_shared(e)) timer_start(e->stats_timer, 0);
}

void shared_stats_stop(struct engine *e)
{
    timer_free(e->stats_timer);
    e->stats_timer = NULL;
}
