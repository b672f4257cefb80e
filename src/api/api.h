/* api: the HTTP routes of CONTRACT.md over the engine. Authentication (candidate bearer
 * tokens, the admin token from the environment) and the mapping of engine errors to
 * status codes and stable error codes live here, nowhere else. */
#ifndef API_API_H
#define API_API_H

#include "core/config.h"
#include "engine/engine.h"
#include "http/http.h"

struct api;

/* cache: the response cache for /v1 ([cache] backend redis or tiered), borrowed; NULL
 * gives the gateway its own memory cache. */
struct cache;
struct api *api_new(const struct config *cfg, struct engine *engine, struct cache *cache);
void api_free(struct api *a);
/* Starts the dashboard's history on base: a snapshot now and every minute after, and
 * latency samples from the router. Without it the history starts at the first
 * /api/stats/history or /metrics request, with no timer. */
struct event_base;
void api_start_history(struct api *a, struct event_base *base);
/* Issue 17: the Redis connection ([redis] url) whose loss the alerts report. */
struct quota_share;
void api_set_quota_share(struct api *a, struct quota_share *qs);
/* The alerts (after api_start_history with a loop), e.g. to give them a spend hook with
 * alerts_set_spend(); NULL before. */
struct alerts;
struct alerts *api_alerts(struct api *a);
/* The http_handler_fn for http_server_new(). */
/* Registers the checks http runs on request heads (the /v1 key) with the server. */
void api_attach_http(struct api *a, struct http_server *s);
void api_handle(struct http_req *r, void *data);

#endif
