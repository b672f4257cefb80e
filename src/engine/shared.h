/* shared: what instances of interviewd share through the store (engine-internal).
 *
 * JSON values in the store's key/value table (generated question sets, their index)
 * and each instance's live counters, summed for /api/optimization_stats when several
 * processes use one store (STORE_CAP_SHARED). */
#ifndef ENGINE_SHARED_H
#define ENGINE_SHARED_H

#include <jansson.h>

struct engine;

/* The value under key parsed (new reference), or NULL when absent or not JSON. */
json_t *shared_kv_get_json(struct engine *e, const char *key);
/* An array kept under key, or a new empty one (new reference). */
json_t *shared_kv_get_array(struct engine *e, const char *key);
/* Writes value as compact JSON (a failure is logged). */
void shared_kv_put_json(struct engine *e, const char *key, const json_t *value);

/* Starts publishing this instance's counters (only on a shared store); stop frees. */
void shared_stats_start(struct engine *e);
void shared_stats_stop(struct engine *e);

#endif
