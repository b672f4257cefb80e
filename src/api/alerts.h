/* alerts: trouble told to a webhook before candidates notice it (issue 17).
 *
 * Every [alerts] check_interval_ms the conditions below are evaluated; one that holds
 * is logged (level warn, event=alert) and, when a webhook is configured ([alerts]
 * webhook_url, or the URL in the environment variable named by webhook_url_env, since a
 * webhook URL often is a secret), POSTed to it as one JSON object:
 *   {"alert":"<code>","subject":"<deployment or empty>","message":"<sentence>",
 *    "at":"<ISO 8601 UTC>","instance":"interviewd","details":{...}}
 * A condition fires at most once per [alerts] min_interval_s (per deployment for the
 * per-deployment one), however long it lasts; after that interval, if it still holds,
 * it fires again as a reminder.
 *
 * Conditions (codes):
 *   deployment_day_low   an enabled deployment has less than remaining_day_percent of its
 *                        day left (requests or tokens, whichever is scarcer)
 *   fleet_exhausted      every enabled deployment has used up its day
 *   spend_near_cap       spend today (UTC day, settled calls) reached spend_percent of
 *                        [budget] max_usd_per_day (router_spend; alerts_set_spend may
 *                        give another source)
 *   store_unreachable    the store refused the last flush of the counters
 *   redis_unreachable    [redis] url is set and its connection is down
 *
 * The POST never blocks the loop: libcurl's multi socket interface on the process's
 * libevent loop (as llm/openai.c drives provider calls), a 5 s limit per POST, at most
 * ALERTS_MAX_IN_FLIGHT at once (more are dropped and logged), no retries: the next
 * interval's reminder is the retry. The URL is never logged. */
#ifndef API_ALERTS_H
#define API_ALERTS_H

#include <jansson.h>

struct alerts;
struct config;
struct engine;
struct event_base;
struct quota_share;

struct alerts *alerts_new(struct event_base *base, const struct config *cfg, struct engine *e);
/* Stops the checks and cancels POSTs in flight. */
void alerts_free(struct alerts *al);
/* The Redis connection whose loss is an alert ([redis] url). */
void alerts_set_share(struct alerts *al, struct quota_share *qs);
/* Another spend source than the router's: spent and cap in USD today (cap <= 0: no
 * cap). Called at each check. */
typedef void (*alerts_spend_fn)(double *spent_usd, double *cap_usd, void *data);
void alerts_set_spend(struct alerts *al, alerts_spend_fn fn, void *data);
/* Evaluates the conditions now (the timer does it every check_interval_ms). */
void alerts_check(struct alerts *al);

/* For GET /api/admin/status (both accept NULL): whether Redis is configured and down,
 * and {"webhook":bool,"min_interval_s":N,"fired":[{"alert","subject","at"}...]}. */
int alerts_redis_down(const struct alerts *al);
json_t *alerts_status_json(const struct alerts *al);

#endif
