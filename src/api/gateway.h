/* gateway: the OpenAI-compatible API at /v1 over interviewd's fleet.
 *
 *   GET  /v1/models              the aliases and every model an enabled deployment serves
 *   GET  /v1/models/{id}         one of them, or 404 model_not_found
 *   POST /v1/chat/completions    plain JSON or SSE ("stream": true)
 *
 * Any OpenAI client (the official SDKs, curl, LangChain) uses the fleet, its quota
 * accounting and the exact cache by changing its base URL to http://HOST:PORT/v1.
 *
 * Models. GATEWAY_ALIAS_FAST and GATEWAY_ALIAS_SMART route to any deployment the router
 * picks (for now both mean "the whole fleet"; the day the fleet has tiers, fast will mean
 * the small low-latency models and smart the large ones). Any other model id goes only
 * to deployments configured with exactly that `model`; none configured -> 404
 * model_not_found; configured but disabled -> 503.
 *
 * Cache and single-flight. Only where reuse is safe: temperature 0, or the request header
 * `x-interviewd-cache: on` (`off` always bypasses). The key is XXH3-128 of the whole
 * normalised body (every field but stream/stream_options, keys sorted), partitioned by
 * the gateway key, so a cached answer is only ever served to the same key and never
 * for another model or other parameters. Identical cacheable calls in flight at the same
 * time make one upstream call (optimize/flight.h); a cached or shared answer can be
 * streamed (synthesised chunks). Response header x-interviewd-cache: hit | miss | bypass
 * (hit also for a request that shared another's call; those add x-interviewd-coalesced).
 *
 * Auth: Bearer keys from the environment variable named by [gateway] keys_env
 * (comma-separated). None set -> every /v1 request gets 401 saying how to enable it.
 *
 * Every answer carries x-request-id, x-interviewd-overhead-us (time in interviewd minus
 * time waiting on the upstream), and, when known, x-interviewd-provider (the deployment)
 * and x-ratelimit-limit-requests / -remaining-requests / -remaining-tokens: the fleet's
 * remaining daily capacity for that model (router_capacity(); a header is omitted when
 * some deployment has no daily limit of that kind). A model whose every deployment has
 * used its day is answered 503 at once (Retry-After: until the earliest day reset) rather
 * than queued. Errors are OpenAI-shaped: {"error":{"message","type","param","code"}},
 * with Retry-After on every 503 (and on any 429). No 429 is ours today: there are no
 * per-key limits yet.
 *
 * Overhead: from the handler's start to the reply, minus the time between router_submit
 * and the router's answer (for a request that shared another's call: minus the time it
 * waited). For a live stream the header, sent with the first chunk, holds the part
 * before the upstream call; the histogram gets the whole. Not included: evhttp's
 * parsing before the handler and the kernel's send after it.
 *
 * Limits: n must be 1; an answer without text content (tool calls only) is a 502
 * (llm/openai.c reads choices[0].message.content); tools, stop, top_p, seed,
 * response_format and any other field are passed to the provider as written. */
#ifndef API_GATEWAY_H
#define API_GATEWAY_H

#include "core/config.h"
#include "http/http.h"

#define GATEWAY_ALIAS_FAST "interviewd/fast"
#define GATEWAY_ALIAS_SMART "interviewd/smart"
#define GATEWAY_MAX_KEYS 64         /* bearer keys read from the environment */
#define GATEWAY_MAX_MODEL_LEN 256   /* longer model ids are a 400 */
#define GATEWAY_STREAM_CHUNK 64     /* content bytes per synthesised SSE chunk */
#define GATEWAY_OFFLINE_RETRY_S 60  /* Retry-After when no deployment is enabled */
#define GATEWAY_MIN_RETRY_S 1       /* smallest Retry-After we send */
#define GATEWAY_OWN_CACHE_DIVISOR 4 /* own memory cache: [cache] max_bytes / this */

struct router;
struct stats;
struct cache;
struct sbuf;
struct gateway;

/* router and stats are borrowed: free the router (which cancels calls in flight, and
 * they still report through the gateway) before gateway_free. cache is borrowed too;
 * NULL makes the gateway keep its own memory cache of [cache] max_bytes /
 * GATEWAY_OWN_CACHE_DIVISOR. A shared cache that answers asynchronously (Redis) must not
 * answer after the router is freed. Keys are read from the environment here. */
struct gateway *gateway_new(const struct config *cfg, struct router *router, struct stats *stats,
                            struct cache *cache);
/* Answers whatever is still waiting (503) and frees g. NULL is allowed. */
void gateway_free(struct gateway *g);

/* Handles a request whose path starts with /v1. */
/* http_guard_fn for /v1: the bearer key is checked from the request head, before the body
 * is read or its size judged (401 in OpenAI's shape). data is the gateway. */
int gateway_guard(const char *authorization, char **body, void *data);
void gateway_handle(struct gateway *g, struct http_req *r);

/* Appends the gateway's Prometheus lines (interviewd_gateway_overhead_seconds histogram,
 * interviewd_gateway_requests_total by status class and cache state). */
void gateway_prometheus(const struct gateway *g, struct sbuf *out);

#endif
