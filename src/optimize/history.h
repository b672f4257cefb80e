/* history: what the admin dashboard draws over time.
 *
 * A ring of snapshots, one per interval (a minute by default, 24 hours of them): the
 * numeric fields of /api/optimization_stats, the savings by kind, interviews started,
 * finished and in progress (by mode), and per deployment its use today and the p50 and
 * p95 latency of the calls that ended during the interval. Each snapshot is a row of
 * named series (group, name, field), e.g. ("providers", "groq", "requests_today"), so a
 * deployment or a kind of saving that appears later simply starts a new series; older
 * rows read null for it.
 *
 * Latency percentiles come from the samples themselves, not from the router's moving
 * average: the router tells history_observe() about every response (router_set_observer),
 * history keeps up to HISTORY_MAX_SAMPLES per deployment and interval (a uniform
 * reservoir beyond that) and sorts them when the snapshot is taken. The same samples
 * feed a cumulative Prometheus histogram.
 *
 * history owns no counters of its own other than those latency samples: at each
 * snapshot it asks its caller (a history_input_fn, the API glue) for the current
 * numbers, so the dashboard and /api/optimization_stats can never disagree. Everything
 * runs on the event loop; nothing here is thread-safe or needs to be. */
#ifndef OPTIMIZE_HISTORY_H
#define OPTIMIZE_HISTORY_H

#include "llm/provider.h"

#include <jansson.h>
#include <stdint.h>

#define HISTORY_INTERVAL_MS 60000 /* one snapshot a minute */
#define HISTORY_CAPACITY 1440     /* snapshots kept: 24 hours of minutes */
#define HISTORY_MAX_SERIES 512    /* named series; more are dropped (logged once) */
#define HISTORY_MAX_PROVIDERS 32  /* deployments with latency samples */
#define HISTORY_MAX_SAMPLES 2048  /* latency samples per deployment and interval */
#define HISTORY_MAX_MODES 8

struct stats;
struct router;
struct event_base;
struct sbuf;

/* Interviews in one mode. */
struct history_mode {
    const char *name; /* "full", "balanced", ... (copied) */
    long started;     /* since the process started */
    long in_progress; /* started and not yet answered to the end */
};

/* What the caller reports at each snapshot. */
struct history_input {
    const struct stats *stats;   /* NULL: no stats series */
    const struct router *router; /* NULL: no deployment series */
    long interviews_started;     /* since the process started */
    long interviews_finished;    /* answered to the last question */
    long reports_ready;          /* reports written */
    long interviews_in_progress;
    struct history_mode modes[HISTORY_MAX_MODES];
    int n_modes;
    const char *mode_now; /* the mode a new interview would get now, or NULL */
};

/* Fills in (zeroed by the caller) with the current numbers. */
typedef void (*history_input_fn)(struct history_input *in, void *data);

struct history;

/* A history of `capacity` snapshots taken every interval_ms on base (base NULL: only
 * when history_record() is called, as unit tests do). The first snapshot is taken at
 * once. read is called for every snapshot and for every live view. */
struct history *history_new(struct event_base *base, int64_t interval_ms, int capacity,
                            history_input_fn read, void *data);
void history_free(struct history *h);

/* Issue 17: keeps the history in store (the stats_history table) so the dashboard's
 * charts survive restarts and show what every instance added up to: loads the snapshots
 * of the last capacity intervals from it now (older than those already in memory), and
 * writes every snapshot taken from now on, stamped with the start of its interval (so
 * instances sharing the store write one row per interval; the last writer wins). The
 * latency samples stay per process. */
struct store;
void history_set_store(struct history *h, struct store *s);

/* A provider response; the signature of router_observe_fn so the router can call it
 * with the history as data. Only successful calls become latency samples. */
void history_observe(const char *deployment, enum llm_status status, int64_t latency_ms,
                     void *data);

/* Takes a snapshot stamped now_ms and starts a new latency interval. */
void history_record(struct history *h, int64_t now_ms);

/* The GET /api/stats/history document (new reference): every stored snapshot, oldest
 * first, then a live one at now_ms (not stored; its latency covers the interval so
 * far). Columnar, for charts:
 *   {"interval_s":60, "capacity":1440, "stored":N, "live":true, "mode_now":"full",
 *    "t":[unix seconds...],
 *    "stats":{"total_requests":[...], ...}, "savings":{"pool":[...], ...},
 *    "interviews":{"started":[...],"finished":[...],"reports":[...],"in_progress":[...]},
 *    "modes":{"full":{"started":[...],"in_progress":[...]}, ...},
 *    "providers":{"groq":{"requests_today":[...],"tokens_today":[...],
 *                 "latency_p50_ms":[...],"latency_p95_ms":[...],"latency_samples":[...],
 *                 "latency_ewma_ms":[...],"calls":[...],"failed":[...],...}, ...}}
 * Every array has one entry per element of "t"; null where a series has no value. */
json_t *history_json(struct history *h, int64_t now_ms);

/* Prometheus lines: interviews by mode and the latency histogram per deployment. */
void history_prometheus(struct history *h, struct sbuf *out);

/* The q-quantile (0..1) of n samples, sorting them in place (nearest rank); NAN if n is
 * 0. Exposed for tests. */
double history_quantile(double *samples, int n, double q);

#endif
