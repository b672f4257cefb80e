/* shared: what instances of interviewd share through the store (engine-internal).
 *
 * JSON values in the store's key/value table (generated question sets, their index)
 * and the counters behind /api/optimization_stats, /metrics and the dashboard, which
 * every process adds to and which survive restarts. */
#ifndef ENGINE_SHARED_H
#define ENGINE_SHARED_H

#include "store/store.h"

#include <jansson.h>

struct engine;

/* The value under key parsed (new reference), or NULL when absent or not JSON. */
json_t *shared_kv_get_json(struct engine *e, const char *key);
/* An array kept under key, or a new empty one (new reference). */
json_t *shared_kv_get_array(struct engine *e, const char *key);
/* Writes value as compact JSON (a failure is logged). */
void shared_kv_put_json(struct engine *e, const char *key, const json_t *value);

/* Starts adding this process's counters to the store every [stats] flush_interval_ms
 * (and a heartbeat on a shared store); stop flushes a last time and frees. */
void shared_stats_start(struct engine *e);
void shared_stats_stop(struct engine *e);
/* Adds what was counted since the last flush to the store's counters, in one
 * transaction. On failure the deltas stay for the next flush. */
enum store_err shared_stats_flush(struct engine *e);
/* Marks the templates the store lists as retired in the bank (other instances may have
 * retired some since). */
void shared_retired_refresh(struct engine *e);

#endif
