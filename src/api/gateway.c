/* gateway: /v1 over the fleet; see gateway.h.
 *
 * One struct gw_req per chat request, alive from the handler until its reply is out:
 *
 *   parse, validate, model, fleet check
 *     cacheable:  cache_get -> hit: reply
 *                           -> miss: flight_join -> leader (or flight full): upstream
 *                                               -> waiter: wait for the leader
 *     otherwise:  upstream
 *   upstream: router_submit; a streamed answer is forwarded chunk by chunk as it comes
 *   done:     cacheable: cache_set, flight_finish (every joined request replies)
 *             otherwise: reply
 *
 * The one idea: an answer is one small JSON payload (content, finish reason, usage,
 * deployment, or an error) that is what the cache stores and what single-flight hands to
 * every waiter, so a fresh, cached or shared answer goes out through the same code, as
 * JSON or as SSE (synthesised chunks when it was not streamed live).
 *
 * Streaming replies use evhttp's chunked reply directly (http.h has no streaming call
 * yet). The request stays deferred with our own close callback (on_client_gone); the end
 * clears it, ends the reply and hands r back to http with r->req = NULL through
 * http_reply_text, which (as for any reply to a gone client) sends nothing and frees r.
 *
 * Hot path: replies and payloads are written with sbuf and a JSON string escaper, not
 * built as jansson trees; the request body is parsed once and the cache key hashed from
 * the parsed tree (canon_json) without printing it. Times are CLOCK_MONOTONIC
 * microseconds read here directly (core/clock has milliseconds only): they feed a
 * measurement, never a decision, so the simulator's virtual clock has nothing to
 * replace. */
#include "api/gateway.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/fastjson.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/util.h"
#include "llm/router.h"
#include "optimize/cache.h"
#include "optimize/flight.h"
#include "optimize/stats.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <xxhash.h>

#define GW_TASK "gateway"
#define GW_CACHE_VERSION "v1" /* bump when the payload format or canon_json changes */

/* interviewd_gateway_overhead_seconds buckets: 10 us .. 100 ms. */
static const double overhead_bounds[] = {10e-6,  25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3,
                                         2.5e-3, 5e-3,  10e-3, 25e-3,  50e-3,  100e-3};
static const char *overhead_labels[] = {"1e-05",  "2.5e-05", "5e-05",  "0.0001", "0.00025",
                                        "0.0005", "0.001",   "0.0025", "0.005",  "0.01",
                                        "0.025",  "0.05",    "0.1"};
#define N_BOUNDS ARRAY_LEN(overhead_bounds)

struct gw_key {
    char *secret;   /* the bearer key (wiped on free) */
    char scope[18]; /* "k" + 16 hex digits of its SHA-256: its cache partition */
};

enum gw_cache_state { GW_BYPASS, GW_MISS, GW_HIT, GW_CACHE__COUNT };
static const char *cache_state_names[GW_CACHE__COUNT] = {"bypass", "miss", "hit"};

struct gw_req;

struct gateway {
    const struct config *cfg;
    struct router *router;        /* borrowed */
    struct stats *stats;          /* borrowed: the engine's, shared with /api/optimization_stats */
    struct cache *cache;          /* borrowed, or own_cache */
    int own_cache;                /* 1: cache is ours to destroy */
    struct flight_group *flights; /* identical cacheable calls in flight */
    struct gw_key keys[GATEWAY_MAX_KEYS];
    int n_keys;                              /* 0: the gateway answers 401 to everything */
    uint64_t next_id;                        /* completion ids: id_prefix + counter */
    char id_prefix[13];                      /* random per process */
    int64_t started_s;                       /* "created" of the models */
    struct gw_req *live;                     /* chat requests not yet answered */
    int closing;                             /* gateway_free has started */
    uint64_t overhead_buckets[N_BOUNDS + 1]; /* per bucket (not cumulative); last is +Inf */
    double overhead_sum;                     /* seconds */
    uint64_t overhead_count;
    uint64_t requests[5][GW_CACHE__COUNT]; /* chat answers by status class (1xx..5xx) */
};

/* An answer to one chat request, fresh, cached or shared. Strings are borrowed from the
 * llm_result or the parsed payload it was made from. */
struct gw_answer {
    int status;                /* 200, or the HTTP status of the error */
    const char *content;       /* 200: the assistant's text */
    const char *finish_reason; /* 200: "stop", "length"... */
    long prompt_tokens, completion_tokens;
    const char *provider; /* the deployment, or NULL */
    const char *model;    /* its model id, or NULL */
    const char *err_type; /* errors: OpenAI error type */
    const char *err_code; /* errors: stable code */
    const char *err_msg;  /* errors: a sentence a person can act on */
    long retry_after_s;   /* errors: Retry-After, 0 for none */
};

struct gw_req {
    struct gateway *g;
    struct http_req *r;         /* deferred; freed by our reply */
    struct gw_req *prev, *next; /* in g->live */
    json_t *body;               /* the parsed request (own) */
    json_t *messages;           /* borrowed from body */
    json_t *extra;              /* fields passed through to the provider (own) or NULL */
    const char *model;          /* as asked (borrowed from body) */
    const char *deploy_model;   /* router filter: NULL for the aliases */
    int key_index;              /* which gateway key authenticated it */
    int max_tokens;             /* 0: not set */
    double temperature;         /* -1: not set */
    int stream;                 /* reply as SSE */
    int include_usage;          /* stream_options.include_usage */
    char *key;                  /* cache and flight key; NULL when not cacheable */
    enum gw_cache_state cache_state;
    int leader;                         /* made the flight's upstream call */
    int coalesced;                      /* waited for another request's call */
    const struct gw_answer *own_answer; /* leader: its answer, while flight_finish runs */
    int started;                        /* SSE headers sent */
    char *chunk_prefix;                 /* SSE: `data: {"id":...,"choices":[{"index":0,"delta":` */
    char id[48];                        /* chatcmpl-... */
    char param_buf[48];                 /* a 400's param, e.g. messages[3].role */
    char err_buf[200];                  /* a 400's sentence when it names a value */
    int64_t created;                    /* seconds */
    int64_t t0_us;                      /* handler entry */
    int64_t submit_us;                  /* router_submit, or when a waiter joined */
    int64_t upstream_us;                /* time spent waiting on the upstream (or the leader) */
};

/* ---- small helpers ------------------------------------------------------------------- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int is_alias(const char *model)
{
    return strcmp(model, GATEWAY_ALIAS_FAST) == 0 || strcmp(model, GATEWAY_ALIAS_SMART) == 0;
}

/* The model id a deployment serves (its config), or NULL. */
static const char *deployment_model(const struct gateway *g, const char *name)
{
    for (int i = 0; name && i < g->cfg->n_providers; i++)
        if (strcmp(g->cfg->providers[i].name, name) == 0) return g->cfg->providers[i].model;
    return NULL;
}

static int model_configured(const struct gateway *g, const char *model)
{
    for (int i = 0; i < g->cfg->n_providers; i++)
        if (strcmp(g->cfg->providers[i].model, model) == 0) return 1;
    return 0;
}

/* ---- replies ----------------------------------------------------------------------- */

static void record(struct gateway *g, int status, enum gw_cache_state cs, int64_t overhead_us)
{
    int cls = status / 100 - 1;
    if (cls >= 0 && cls < 5) g->requests[cls][cs]++;
    double s = (double)(overhead_us > 0 ? overhead_us : 0) / 1e6;
    size_t b = 0;
    while (b < N_BOUNDS && s > overhead_bounds[b])
        b++;
    g->overhead_buckets[b]++;
    g->overhead_sum += s;
    g->overhead_count++;
}

/* OpenAI-shaped error; Retry-After when retry_after_s > 0 (always on 429 and 503). */
static void reply_error(struct http_req *r, int status, const char *type, const char *code,
                        const char *param, const char *message, long retry_after_s)
{
    if ((status == 429 || status == 503) && retry_after_s < GATEWAY_MIN_RETRY_S)
        retry_after_s = GATEWAY_MIN_RETRY_S;
    if (r->req) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
        evhttp_add_header(h, "x-request-id", r->request_id);
        if (retry_after_s > 0) {
            char v[24];
            snprintf(v, sizeof v, "%ld", retry_after_s);
            evhttp_add_header(h, "Retry-After", v);
        }
    }
    /* an upstream failure was logged when it happened; a full fleet is no news per call */
    log_debug("gateway_error", "rid=%s status=%d code=%s", r->request_id, status, code);
    json_t *err =
        json_pack("{s:s,s:s,s:n,s:s}", "message", message, "type", type, "param", "code", code);
    if (param) json_object_set_new(err, "param", json_string(param));
    http_reply_json(r, status, json_pack("{s:o}", "error", err));
}

/* The headers every chat answer carries. */
static void add_headers(struct gw_req *q, struct evkeyvalq *h, const struct gw_answer *a,
                        const char *provider)
{
    char v[24];
    evhttp_add_header(h, "x-request-id", q->r->request_id);
    evhttp_add_header(h, "x-interviewd-cache", cache_state_names[q->cache_state]);
    if (q->coalesced) evhttp_add_header(h, "x-interviewd-coalesced", "true");
    if (provider) evhttp_add_header(h, "x-interviewd-provider", provider);
    struct router_capacity fv;
    router_capacity(q->g->router, q->deploy_model, &fv);
    if (fv.usable && fv.limit_requests >= 0)
        evhttp_add_header(h, "x-ratelimit-limit-requests", util_itoa(fv.limit_requests, v));
    if (fv.usable && fv.remaining_requests >= 0)
        evhttp_add_header(h, "x-ratelimit-remaining-requests", util_itoa(fv.remaining_requests, v));
    if (fv.usable && fv.remaining_tokens >= 0)
        evhttp_add_header(h, "x-ratelimit-remaining-tokens", util_itoa(fv.remaining_tokens, v));
    if (a && a->status != 200 && a->retry_after_s > 0)
        evhttp_add_header(h, "Retry-After", util_itoa(a->retry_after_s, v));
    int64_t t = now_us(), up = q->upstream_us;
    if (!a && q->submit_us) up += t - q->submit_us; /* a live stream: still waiting */
    evhttp_add_header(h, "x-interviewd-overhead-us", util_itoa((t - q->t0_us) - up, v));
}

static void req_unlink(struct gw_req *q)
{
    struct gateway *g = q->g;
    if (q->prev)
        q->prev->next = q->next;
    else if (g->live == q)
        g->live = q->next;
    if (q->next) q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void req_free(struct gw_req *q)
{
    req_unlink(q);
    json_decref(q->body);
    json_decref(q->extra);
    free(q->key);
    free(q->chunk_prefix);
    free(q);
}

/* Records the request and frees it (the http_req was answered). */
static void req_done(struct gw_req *q, int status)
{
    CHECK(q != NULL && q->g != NULL && q->cache_state < GW_CACHE__COUNT);
    int64_t overhead = (now_us() - q->t0_us) - q->upstream_us;
    record(q->g, status, q->cache_state, overhead);
    log_debug("gateway_reply", "status=%d cache=%s stream=%d overhead_us=%lld", status,
              cache_state_names[q->cache_state], q->stream, (long long)overhead);
    req_free(q);
}

/* ---- SSE --------------------------------------------------------------------------- */

static void sse_write(struct gw_req *q, const char *data, size_t len)
{
    if (!q->r->req || !len) return;
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add(buf, data, len);
    evhttp_send_reply_chunk(q->r->req, buf);
    evbuffer_free(buf);
}

/* Headers and the role chunk. provider may be NULL. */
static void sse_begin(struct gw_req *q, const struct gw_answer *a, const char *provider)
{
    q->started = 1;
    const char *model = a && a->model ? a->model : deployment_model(q->g, provider);
    struct sbuf p = {0};
    sbuf_printf(&p,
                "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%lld,"
                "\"model\":",
                q->id, (long long)q->created);
    const char *mm = model ? model : q->model;
    sbuf_json_string(&p, mm, strlen(mm));
    sbuf_puts(&p, ",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":");
    q->chunk_prefix = sbuf_take(&p);
    struct evhttp_request *req = q->r->req;
    if (!req) return;
    /* Chunks go out as they come: no Nagle wait for the previous one's ACK. */
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    add_headers(q, h, a, provider);
    evhttp_send_reply_start(req, 200, "OK");
    struct sbuf b = {0};
    sbuf_puts(&b, q->chunk_prefix);
    sbuf_puts(&b, "{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                  "\"finish_reason\":null}]}\n\n");
    sse_write(q, b.data, b.len);
    sbuf_free(&b);
}

static void sse_content(struct gw_req *q, const char *delta, size_t len)
{
    if (!q->r->req) return;
    struct sbuf b = {0};
    sbuf_puts(&b, q->chunk_prefix);
    sbuf_puts(&b, "{\"content\":");
    sbuf_json_string(&b, delta, len);
    sbuf_puts(&b, "},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    sse_write(q, b.data, b.len);
    sbuf_free(&b);
}

/* Ends the chunked reply and gives r back to http to free. */
static void sse_end(struct gw_req *q)
{
    http_reply_stream_end(q->r);
}

/* The end of a successful stream: finish chunk, usage chunk if asked, [DONE]. */
static void sse_finish(struct gw_req *q, const struct gw_answer *a)
{
    struct sbuf b = {0};
    sbuf_puts(&b, q->chunk_prefix);
    sbuf_puts(&b, "{},\"logprobs\":null,\"finish_reason\":");
    const char *fin = a->finish_reason && *a->finish_reason ? a->finish_reason : "stop";
    sbuf_json_string(&b, fin, strlen(fin));
    sbuf_puts(&b, "}]}\n\n");
    if (q->include_usage) {
        /* the prefix up to "choices" */
        const char *cut = strstr(q->chunk_prefix, "\"choices\"");
        sbuf_append(&b, q->chunk_prefix, (size_t)(cut - q->chunk_prefix));
        sbuf_printf(&b,
                    "\"choices\":[],\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
                    "\"total_tokens\":%ld}}\n\n",
                    a->prompt_tokens, a->completion_tokens,
                    a->prompt_tokens + a->completion_tokens);
    }
    sbuf_puts(&b, "data: [DONE]\n\n");
    sse_write(q, b.data, b.len);
    sbuf_free(&b);
    sse_end(q);
}

/* A stream that has started cannot change its status: the error is an event, as
 * OpenAI sends it, and the stream ends without [DONE]. */
static void sse_fail(struct gw_req *q, const struct gw_answer *a)
{
    struct sbuf b = {0};
    sbuf_puts(&b, "data: {\"error\":{\"message\":");
    sbuf_json_string(&b, a->err_msg, strlen(a->err_msg));
    sbuf_puts(&b, ",\"type\":");
    sbuf_json_string(&b, a->err_type, strlen(a->err_type));
    sbuf_puts(&b, ",\"param\":null,\"code\":");
    sbuf_json_string(&b, a->err_code, strlen(a->err_code));
    sbuf_puts(&b, "}}\n\n");
    sse_write(q, b.data, b.len);
    sbuf_free(&b);
    sse_end(q);
}

/* ---- answers ------------------------------------------------------------------------ */

static void reply_answer(struct gw_req *q, const struct gw_answer *a)
{
    struct http_req *r = q->r;
    if (a->status != 200) {
        if (q->started) {
            sse_fail(q, a);
        } else {
            if (r->req) {
                struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
                evhttp_add_header(h, "x-interviewd-cache", cache_state_names[q->cache_state]);
                if (a->provider) evhttp_add_header(h, "x-interviewd-provider", a->provider);
            }
            reply_error(r, a->status, a->err_type, a->err_code, NULL, a->err_msg, a->retry_after_s);
        }
        req_done(q, a->status);
        return;
    }
    if (q->stream) {
        if (!q->started) {
            sse_begin(q, a, a->provider);
            const char *c = a->content;
            size_t len = strlen(c), off = 0;
            while (off < len) {
                size_t n = util_utf8_prefix(c + off, GATEWAY_STREAM_CHUNK);
                if (n == 0) n = len - off; /* cannot happen with valid UTF-8 */
                sse_content(q, c + off, n);
                off += n;
            }
        }
        sse_finish(q, a);
        req_done(q, 200);
        return;
    }
    struct sbuf b = {0};
    const char *model = a->model ? a->model : q->model;
    sbuf_puts(&b, "{\"id\":\"");
    sbuf_puts(&b, q->id);
    sbuf_puts(&b, "\",\"object\":\"chat.completion\",\"created\":");
    sbuf_put_int(&b, q->created);
    sbuf_puts(&b, ",\"model\":");
    sbuf_json_string(&b, model, strlen(model));
    sbuf_puts(&b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
    sbuf_json_string(&b, a->content, strlen(a->content));
    sbuf_puts(&b, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":");
    const char *fin = a->finish_reason && *a->finish_reason ? a->finish_reason : "stop";
    sbuf_json_string(&b, fin, strlen(fin));
    sbuf_puts(&b, "}],\"usage\":{\"prompt_tokens\":");
    sbuf_put_int(&b, a->prompt_tokens);
    sbuf_puts(&b, ",\"completion_tokens\":");
    sbuf_put_int(&b, a->completion_tokens);
    sbuf_puts(&b, ",\"total_tokens\":");
    sbuf_put_int(&b, a->prompt_tokens + a->completion_tokens);
    sbuf_puts(&b, "},\"system_fingerprint\":null}");
    if (r->req) add_headers(q, evhttp_request_get_output_headers(r->req), a, a->provider);
    http_reply_text(r, 200, "application/json", b.data);
    sbuf_free(&b);
    req_done(q, 200);
}

/* What a finished upstream call means for the client. msg holds the error sentence. */
static void answer_from_result(const struct llm_result *res, struct gw_answer *a, char *msg,
                               size_t msglen)
{
    memset(a, 0, sizeof *a);
    a->provider = res->provider;
    a->model = res->model;
    if (res->status == LLM_OK) {
        a->status = 200;
        a->content = res->content ? res->content : "";
        a->finish_reason = res->finish_reason;
        a->prompt_tokens = res->prompt_tokens;
        a->completion_tokens = res->completion_tokens;
        return;
    }
    long ra = res->retry_after_ms > 0 ? (long)((res->retry_after_ms + 999) / 1000) : 0;
    const char *why = res->error ? res->error : llm_strerror(res->status);
    a->err_type = "api_error";
    switch (res->status) {
    case LLM_ERR_NO_CAPACITY:
        a->status = 503;
        a->err_code = "fleet_exhausted";
        snprintf(msg, msglen,
                 "No deployment had capacity for this call before its deadline; "
                 "retry later.");
        break;
    case LLM_ERR_RATE_LIMITED:
        a->status = 503;
        a->err_code = "upstream_rate_limited";
        snprintf(msg, msglen,
                 "Every deployment that could serve this model is rate limited "
                 "upstream (%s); retry later.",
                 why);
        break;
    case LLM_ERR_CANCELLED:
        a->status = 503;
        a->err_code = "shutting_down";
        snprintf(msg, msglen, "interviewd is shutting down; retry on another instance.");
        break;
    case LLM_ERR_HTTP:
        if (res->http_status >= 400 && res->http_status < 500) {
            /* the provider refused the request itself: the client's to fix */
            a->status = res->http_status;
            a->err_type = "invalid_request_error";
            a->err_code = "upstream_rejected";
            snprintf(msg, msglen, "The provider rejected the request: %s", why);
            break;
        }
        /* fall through */
    default:
        a->status = 502;
        a->err_code = res->status == LLM_ERR_TIMEOUT ? "upstream_timeout"
                      : res->status == LLM_ERR_AUTH  ? "upstream_auth"
                                                     : "upstream_failed";
        snprintf(msg, msglen, "The upstream deployment%s%s failed: %s", res->provider ? " " : "",
                 res->provider ? res->provider : "", why);
        break;
    }
    a->err_msg = msg;
    if (a->status == 503 && ra <= 0) ra = GATEWAY_MIN_RETRY_S;
    a->retry_after_s = ra;
}

/* The payload the cache stores and single-flight shares (caller frees): compact JSON,
 * {"c","f","p","t","d","m"} for an answer, {"s","et","ec","em","ra","d"} for an error. */
static char *payload_of(const struct gw_answer *a, size_t *len)
{
    struct sbuf b = {0};
    if (a->status == 200) {
        const char *fin = a->finish_reason ? a->finish_reason : "";
        sbuf_puts(&b, "{\"c\":");
        sbuf_json_string(&b, a->content, strlen(a->content));
        sbuf_puts(&b, ",\"f\":");
        sbuf_json_string(&b, fin, strlen(fin));
        sbuf_puts(&b, ",\"p\":");
        sbuf_put_int(&b, a->prompt_tokens);
        sbuf_puts(&b, ",\"t\":");
        sbuf_put_int(&b, a->completion_tokens);
        if (a->model) {
            sbuf_puts(&b, ",\"m\":");
            sbuf_json_string(&b, a->model, strlen(a->model));
        }
    } else {
        sbuf_printf(&b, "{\"s\":%d,\"ra\":%ld,\"et\":", a->status, a->retry_after_s);
        sbuf_json_string(&b, a->err_type, strlen(a->err_type));
        sbuf_puts(&b, ",\"ec\":");
        sbuf_json_string(&b, a->err_code, strlen(a->err_code));
        sbuf_puts(&b, ",\"em\":");
        sbuf_json_string(&b, a->err_msg, strlen(a->err_msg));
    }
    if (a->provider) {
        sbuf_puts(&b, ",\"d\":");
        sbuf_json_string(&b, a->provider, strlen(a->provider));
    }
    sbuf_puts(&b, "}");
    *len = b.len;
    return sbuf_take(&b);
}

/* Reads a payload into a (borrowing from *root, which the caller frees); -1 if bad. */
static int answer_from_payload(const char *p, size_t len, struct gw_answer *a, json_t **root)
{
    memset(a, 0, sizeof *a);
    *root = fastjson_load(p, len, NULL);
    if (!json_is_object(*root)) return -1;
    json_t *j = *root;
    a->provider = json_string_value(json_object_get(j, "d"));
    a->model = json_string_value(json_object_get(j, "m"));
    if (json_object_get(j, "c")) {
        a->status = 200;
        a->content = json_string_value(json_object_get(j, "c"));
        a->finish_reason = json_string_value(json_object_get(j, "f"));
        a->prompt_tokens = (long)json_integer_value(json_object_get(j, "p"));
        a->completion_tokens = (long)json_integer_value(json_object_get(j, "t"));
        return a->content ? 0 : -1;
    }
    a->status = (int)json_integer_value(json_object_get(j, "s"));
    a->err_type = json_string_value(json_object_get(j, "et"));
    a->err_code = json_string_value(json_object_get(j, "ec"));
    a->err_msg = json_string_value(json_object_get(j, "em"));
    a->retry_after_s = (long)json_integer_value(json_object_get(j, "ra"));
    return a->status >= 400 && a->err_type && a->err_code && a->err_msg ? 0 : -1;
}

static void reply_internal(struct gw_req *q, int status, const char *code, const char *msg)
{
    struct gw_answer a = {.status = status,
                          .err_type = "api_error",
                          .err_code = code,
                          .err_msg = msg,
                          .retry_after_s = status == 503 ? GATEWAY_MIN_RETRY_S : 0};
    reply_answer(q, &a);
}

/* ---- the upstream call --------------------------------------------------------------- */

/* A content delta of a live stream (inside the provider's I/O callback: only writes). */
static void on_chunk(const char *provider, const char *delta, size_t len, void *data)
{
    struct gw_req *q = data;
    if (!q->started) sse_begin(q, NULL, provider);
    sse_content(q, delta, len);
}

static void on_upstream_done(struct llm_result *res, void *data)
{
    struct gw_req *q = data;
    CHECK(res != NULL && q != NULL && q->submit_us > 0);
    struct gateway *g = q->g;
    q->upstream_us += now_us() - q->submit_us;
    q->submit_us = 0;
    if (res->http_status > 0) {
        stats_count(g->stats, STATS_GATEWAY, STATS_API_CALL, 1);
        stats_provider_call(g->stats, (uint64_t)(res->prompt_tokens + res->completion_tokens));
    }
    if (res->status != LLM_OK)
        log_info("gateway_upstream_failed", "rid=%s provider=%s status=%s http=%d",
                 q->r->request_id, res->provider ? res->provider : "-", llm_strerror(res->status),
                 res->http_status);
    char msg[512];
    struct gw_answer a;
    answer_from_result(res, &a, msg, sizeof msg);
    if (!q->key) {
        reply_answer(q, &a);
        return;
    }
    size_t len;
    char *payload = payload_of(&a, &len);
    if (a.status == 200) {
        enum cache_err ce = cache_set(g->cache, q->key, payload, len, CACHE_TTL_GATEWAY_MS);
        if (ce != CACHE_OK)
            log_debug("gateway_cache_set_failed", "rid=%s error=\"%s\"", q->r->request_id,
                      cache_strerror(ce));
    }
    if (q->leader) {
        /* flight_finish answers q too (and frees it): keep what it needs apart. */
        char *key = xstrdup(q->key);
        q->own_answer = &a;
        flight_finish(g->flights, key, payload, len);
        free(key);
    } else {
        reply_answer(q, &a);
    }
    free(payload);
}

static void upstream(struct gw_req *q)
{
    struct gateway *g = q->g;
    struct llm_request req = {
        .task = GW_TASK,
        .messages = q->messages,
        .max_tokens = q->max_tokens,
        .temperature = q->temperature,
        .timeout_ms = (int)g->cfg->llm_timeout_ms,
        .model = q->deploy_model,
        .extra = q->extra,
        .on_chunk = q->stream ? on_chunk : NULL,
        .chunk_data = q,
    };
    q->submit_us = now_us();
    router_submit(g->router, &req, ROUTER_INTERACTIVE, clock_mono_ms() + g->cfg->llm_timeout_ms,
                  on_upstream_done, q);
}

/* Every request that joined a flight, its leader included, is answered here. */
static void on_flight_done(const char *result, size_t len, void *data)
{
    struct gw_req *q = data;
    if (q->own_answer) {
        reply_answer(q, q->own_answer);
        return;
    }
    if (q->submit_us) {
        q->upstream_us += now_us() - q->submit_us; /* a waiter waited on the leader */
        q->submit_us = 0;
    }
    struct gw_answer a;
    json_t *root = NULL;
    if (!result) {
        reply_internal(q, 503, "shutting_down", "interviewd is shutting down; retry later.");
    } else if (answer_from_payload(result, len, &a, &root) != 0) {
        reply_internal(q, 502, "upstream_failed", "The shared upstream answer was unreadable.");
    } else {
        reply_answer(q, &a);
    }
    json_decref(root);
}

static void on_cache_get(const char *value, size_t len, void *data)
{
    struct gw_req *q = data;
    struct gateway *g = q->g;
    if (value) {
        struct gw_answer a;
        json_t *root = NULL;
        if (answer_from_payload(value, len, &a, &root) == 0 && a.status == 200) {
            q->cache_state = GW_HIT;
            stats_count(g->stats, STATS_GATEWAY, STATS_CACHE, 1);
            reply_answer(q, &a);
            json_decref(root);
            return;
        }
        json_decref(root); /* unreadable: treat as a miss */
    }
    if (g->closing) {
        reply_internal(q, 503, "shutting_down", "interviewd is shutting down; retry later.");
        return;
    }
    switch (flight_join(g->flights, q->key, on_flight_done, q)) {
    case FLIGHT_LEADER:
        q->leader = 1;
        upstream(q);
        break;
    case FLIGHT_WAITER:
        q->coalesced = 1;
        q->cache_state = GW_HIT;
        q->submit_us = now_us();
        stats_count(g->stats, STATS_GATEWAY, STATS_COALESCED, 1);
        break;
    case FLIGHT_FULL:
        upstream(q); /* on its own: still cached when it succeeds */
        break;
    }
}

/* ---- request parsing --------------------------------------------------------------- */

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Every message as OpenAI checks it, so that a request the provider would refuse is
 * refused here, before any quota is spent: an object, a known role, content present
 * (a string or an array of typed parts; only an assistant message with tool_calls may
 * leave it out), and a tool message's tool_call_id. NULL, or a 400's sentence with
 * *param ("messages[i].field") and *code set. */
static const char *check_messages(struct gw_req *q, json_t *messages, const char **param,
                                  const char **code)
{
    static const char *roles[] = {"system", "user", "assistant", "tool", "developer"};
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        *param = q->param_buf;
        snprintf(q->param_buf, sizeof q->param_buf, "messages[%zu]", i);
        if (!json_is_object(m)) {
            *code = "invalid_type";
            snprintf(q->err_buf, sizeof q->err_buf,
                     "Invalid type for 'messages[%zu]': expected an object, but got %s instead.", i,
                     json_kind(m));
            return q->err_buf;
        }
        json_t *role = json_object_get(m, "role");
        snprintf(q->param_buf, sizeof q->param_buf, "messages[%zu].role", i);
        if (!role) {
            *code = "missing_required_parameter";
            snprintf(q->err_buf, sizeof q->err_buf,
                     "Missing required parameter: 'messages[%zu].role'.", i);
            return q->err_buf;
        }
        const char *rs = json_string_value(role);
        size_t k = 0;
        while (rs && k < ARRAY_LEN(roles) && strcmp(rs, roles[k]) != 0)
            k++;
        if (!rs || k == ARRAY_LEN(roles)) {
            *code = "invalid_value";
            snprintf(q->err_buf, sizeof q->err_buf,
                     "Invalid value for 'messages[%zu].role': supported values are 'system', "
                     "'user', 'assistant', 'tool' and 'developer'.",
                     i);
            return q->err_buf;
        }
        json_t *content = json_object_get(m, "content");
        snprintf(q->param_buf, sizeof q->param_buf, "messages[%zu].content", i);
        int may_omit = !strcmp(rs, "assistant") && json_is_array(json_object_get(m, "tool_calls"));
        if (!content || json_is_null(content)) {
            if (may_omit) continue;
            *code = "missing_required_parameter";
            snprintf(q->err_buf, sizeof q->err_buf,
                     "Missing required parameter: 'messages[%zu].content'.", i);
            return q->err_buf;
        }
        int ok = json_is_string(content);
        if (json_is_array(content)) {
            size_t j;
            json_t *part;
            ok = json_array_size(content) > 0;
            json_array_foreach(content, j, part)
            {
                if (!json_is_object(part) || !json_is_string(json_object_get(part, "type"))) ok = 0;
            }
        }
        if (!ok) {
            *code = "invalid_type";
            snprintf(q->err_buf, sizeof q->err_buf,
                     "Invalid type for 'messages[%zu].content': expected a string or a non-empty "
                     "array of {\"type\", ...} parts, but got %s instead.",
                     i, json_kind(content));
            return q->err_buf;
        }
        if (!strcmp(rs, "tool") && !json_is_string(json_object_get(m, "tool_call_id"))) {
            snprintf(q->param_buf, sizeof q->param_buf, "messages[%zu].tool_call_id", i);
            *code = "missing_required_parameter";
            snprintf(q->err_buf, sizeof q->err_buf,
                     "Missing required parameter: 'messages[%zu].tool_call_id'.", i);
            return q->err_buf;
        }
    }
    return NULL;
}

/* Fills q from its body; NULL, or the sentence of a 400 with *param and *code set. */
static const char *parse_chat(struct gw_req *q, const char **param, const char **code)
{
    json_t *b = q->body, *v;
    *code = "invalid_value";
    v = json_object_get(b, "model");
    *param = "model";
    if (!v || json_is_null(v)) {
        *code = "missing_required_parameter";
        return "You must provide a model parameter.";
    }
    const char *model = json_string_value(v);
    size_t mlen = model ? strlen(model) : 0;
    if (!model || mlen == 0 || mlen > GATEWAY_MAX_MODEL_LEN)
        return "model must be a non-empty string of at most 256 bytes.";
    for (size_t i = 0; i < mlen; i++)
        if ((unsigned char)model[i] <= 0x20 || (unsigned char)model[i] >= 0x7f)
            return "model must be printable ASCII without spaces.";
    q->model = model;

    *param = "messages";
    v = json_object_get(b, "messages");
    if (!v || json_is_null(v)) {
        *code = "missing_required_parameter";
        return "Missing required parameter: 'messages'.";
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return "messages must be a non-empty array of {\"role\", \"content\"} objects.";
    const char *bad = check_messages(q, v, param, code);
    if (bad) return bad;
    q->messages = v;

    *param = "stream";
    v = json_object_get(b, "stream");
    if (v && !json_is_null(v) && !json_is_boolean(v)) return "stream must be true or false.";
    q->stream = json_is_true(v);
    q->include_usage =
        json_is_true(json_object_get(json_object_get(b, "stream_options"), "include_usage"));

    *param = "temperature";
    q->temperature = -1;
    v = json_object_get(b, "temperature");
    if (v && !json_is_null(v)) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 2)
            return "temperature must be a number between 0 and 2.";
        q->temperature = json_number_value(v);
    }

    static const char *token_fields[] = {"max_completion_tokens", "max_tokens"};
    for (size_t k = 0; k < ARRAY_LEN(token_fields); k++) {
        *param = token_fields[k];
        v = json_object_get(b, token_fields[k]);
        if (!v || json_is_null(v)) continue;
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT_MAX)
            return "max_tokens must be a positive integer.";
        if (!q->max_tokens) q->max_tokens = (int)json_integer_value(v);
    }

    *param = "n";
    v = json_object_get(b, "n");
    if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 1)) {
        *code = "unsupported_value";
        return "Only n = 1 is supported.";
    }

    /* Everything else goes to the provider as the client wrote it. */
    static const char *ours[] = {"model",
                                 "messages",
                                 "stream",
                                 "stream_options",
                                 "temperature",
                                 "max_tokens",
                                 "max_completion_tokens",
                                 "n"};
    const char *field;
    json_object_foreach(b, field, v)
    {
        size_t j;
        for (j = 0; j < ARRAY_LEN(ours); j++)
            if (strcmp(field, ours[j]) == 0) break;
        if (j < ARRAY_LEN(ours)) continue;
        if (!q->extra) q->extra = json_object();
        json_object_set(q->extra, field, v);
    }
    *param = NULL;
    return NULL;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends v to b canonically: object keys sorted, every value typed and every string
 * length-prefixed (so no two different bodies can give the same bytes), whitespace and
 * key order of the client's text irrelevant. At the top level stream/stream_options are
 * skipped (a streamed and a plain request share an answer) and temperature is a real (0
 * and 0.0 are one key). The bytes are hashed once (XXH3-128) by cache_key_of; they are
 * the ones earlier versions streamed into XXH3, so keys did not change. */
static void canon_json(struct sbuf *b, json_t *v, int top)
{
    char tag;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char *stack[32];
        const char **keys = n <= ARRAY_LEN(stack) ? stack : xmalloc(n * sizeof *keys);
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) keys[i++] = k;
        qsort(keys, n, sizeof *keys, cmp_keys);
        sbuf_append(b, "{", 1);
        for (i = 0; i < n; i++) {
            if (top && (!strcmp(keys[i], "stream") || !strcmp(keys[i], "stream_options"))) continue;
            uint64_t len = strlen(keys[i]);
            sbuf_append(b, (const char *)&len, sizeof len);
            sbuf_append(b, keys[i], len);
            x = json_object_get(v, keys[i]);
            if (top && !strcmp(keys[i], "temperature") && json_is_number(x)) {
                double t = json_number_value(x);
                sbuf_append(b, "r", 1);
                sbuf_append(b, (const char *)&t, sizeof t);
            } else {
                canon_json(b, x, 0);
            }
        }
        if (keys != stack) free(keys);
        sbuf_append(b, "}", 1);
        return;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        sbuf_append(b, "[", 1);
        json_array_foreach(v, i, x) canon_json(b, x, 0);
        sbuf_append(b, "]", 1);
        return;
    }
    case JSON_STRING: {
        uint64_t len = json_string_length(v);
        sbuf_append(b, "s", 1);
        sbuf_append(b, (const char *)&len, sizeof len);
        sbuf_append(b, json_string_value(v), len);
        return;
    }
    case JSON_INTEGER: {
        int64_t i = json_integer_value(v);
        sbuf_append(b, "i", 1);
        sbuf_append(b, (const char *)&i, sizeof i);
        return;
    }
    case JSON_REAL: {
        double d = json_real_value(v);
        sbuf_append(b, "r", 1);
        sbuf_append(b, (const char *)&d, sizeof d);
        return;
    }
    case JSON_TRUE:
        tag = 't';
        break;
    case JSON_FALSE:
        tag = 'f';
        break;
    default:
        tag = 'n';
        break;
    }
    sbuf_append(b, &tag, 1);
}

/* The cache key: XXH3-128 of the whole normalised body (canon_json), partitioned by the
 * gateway key, in cache_key_for_task's format. NULL if unusable. */
static char *cache_key_of(const struct gw_req *q)
{
    struct sbuf canon = {0};
    canon_json(&canon, q->body, 1);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(canon.data, canon.len));
    sbuf_free(&canon);
    char hex[33];
    util_hex(c.digest, sizeof c.digest, hex);
    return cache_key_for_task(GW_TASK, GW_CACHE_VERSION, "none", "exact",
                              q->g->keys[q->key_index].scope, hex);
}

/* Whether this request may be answered from (and stored in) the cache. */
static int cacheable(const struct gw_req *q)
{
    const char *h = q->r->req ? evhttp_find_header(evhttp_request_get_input_headers(q->r->req),
                                                   "x-interviewd-cache")
                              : NULL;
    if (h && strcasecmp(h, "off") == 0) return 0;
    if (h && strcasecmp(h, "on") == 0) return 1;
    return q->temperature == 0;
}

static void chat(struct gateway *g, struct http_req *r, int key_index, int64_t t0)
{
    json_t *body = r->body ? fastjson_load(r->body, r->body_len, NULL) : NULL;
    if (!json_is_object(body)) {
        json_decref(body);
        reply_error(r, 400, "invalid_request_error", "invalid_json", NULL,
                    "We could not parse the JSON body of your request: it must be a JSON object "
                    "with \"model\" and \"messages\".",
                    0);
        record(g, 400, GW_BYPASS, now_us() - t0);
        return;
    }
    struct gw_req *q = xcalloc(1, sizeof *q);
    q->g = g;
    q->r = r;
    q->body = body;
    q->key_index = key_index;
    q->t0_us = t0;
    q->created = clock_now_s();
    { /* "chatcmpl-" prefix hex(counter), without snprintf: this runs per request */
        char hex[17];
        unsigned long long n = ++g->next_id;
        int i = 16;
        hex[i] = 0;
        do {
            hex[--i] = "0123456789abcdef"[n & 15];
            n >>= 4;
        } while (n);
        size_t pl = strlen(g->id_prefix);
        memcpy(q->id, "chatcmpl-", 9);
        memcpy(q->id + 9, g->id_prefix, pl);
        memcpy(q->id + 9 + pl, hex + i, (size_t)(17 - i));
    }
    const char *param, *code;
    const char *bad = parse_chat(q, &param, &code);
    if (bad) {
        reply_error(r, 400, "invalid_request_error", code, param, bad, 0);
        record(g, 400, GW_BYPASS, now_us() - t0);
        req_free(q);
        return;
    }
    if (!is_alias(q->model)) {
        if (!model_configured(g, q->model)) {
            char msg[400];
            snprintf(msg, sizeof msg,
                     "The model `%s` does not exist here. Use %s, %s or a model listed by GET "
                     "/v1/models.",
                     q->model, GATEWAY_ALIAS_FAST, GATEWAY_ALIAS_SMART);
            reply_error(r, 404, "invalid_request_error", "model_not_found", "model", msg, 0);
            record(g, 404, GW_BYPASS, now_us() - t0);
            req_free(q);
            return;
        }
        q->deploy_model = q->model;
    }
    struct router_capacity fv;
    router_capacity(g->router, q->deploy_model, &fv);
    if (fv.usable == 0 || fv.exhausted == fv.usable) {
        char msg[400];
        long retry = GATEWAY_OFFLINE_RETRY_S;
        const char *c = "fleet_offline";
        if (fv.usable == 0) {
            snprintf(msg, sizeof msg,
                     "No deployment that serves this model is enabled: set the API key "
                     "environment variables named by the [provider.*] sections' api_key_env and "
                     "restart; retry later.");
        } else {
            c = "fleet_exhausted";
            int64_t left = fv.next_reset_ms - clock_now_ms();
            retry = left > 0 ? (long)((left + 999) / 1000) : GATEWAY_MIN_RETRY_S;
            snprintf(msg, sizeof msg,
                     "Every deployment that serves this model has used its daily quota; capacity "
                     "returns in %ld s.",
                     retry);
        }
        reply_error(r, 503, "api_error", c, NULL, msg, retry);
        record(g, 503, GW_BYPASS, now_us() - t0);
        req_free(q);
        return;
    }

    q->next = g->live;
    if (g->live) g->live->prev = q;
    g->live = q;
    http_req_defer(r); /* http forgets r->req if the client goes */
    if (cacheable(q) && (q->key = cache_key_of(q)) != NULL) {
        q->cache_state = GW_MISS;
        cache_get(g->cache, q->key, on_cache_get, q);
        return;
    }
    q->cache_state = GW_BYPASS;
    upstream(q);
}

/* ---- models -------------------------------------------------------------------------- */

static json_t *model_object(const char *id, const char *owner, int64_t created)
{
    return json_pack("{s:s,s:s,s:I,s:s}", "id", id, "object", "model", "created",
                     (json_int_t)created, "owned_by", owner);
}

/* The model list: the aliases, then each model id an enabled deployment serves. */
static json_t *models_list(const struct gateway *g)
{
    json_t *data = json_array();
    json_array_append_new(data, model_object(GATEWAY_ALIAS_FAST, "interviewd", g->started_s));
    json_array_append_new(data, model_object(GATEWAY_ALIAS_SMART, "interviewd", g->started_s));
    json_t *st = router_status_json(g->router);
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(st, "providers"), i, d)
    {
        const char *state = json_string_value(json_object_get(d, "state"));
        const char *model = json_string_value(json_object_get(d, "model"));
        const char *name = json_string_value(json_object_get(d, "name"));
        if (!state || !model || !name || !strcmp(state, "disabled") || !strcmp(state, "dead"))
            continue;
        size_t j;
        json_t *seen;
        int dup = 0;
        json_array_foreach(data, j, seen) dup |=
            strcmp(json_string_value(json_object_get(seen, "id")), model) == 0;
        if (!dup) json_array_append_new(data, model_object(model, name, g->started_s));
    }
    json_decref(st);
    return data;
}

static void reply_models(struct gateway *g, struct http_req *r, const char *id)
{
    json_t *data = models_list(g);
    if (r->req)
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "x-request-id", r->request_id);
    if (!id) {
        http_reply_json(r, 200, json_pack("{s:s,s:o}", "object", "list", "data", data));
        return;
    }
    size_t i;
    json_t *m;
    json_array_foreach(data, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "id")), id) == 0) {
            http_reply_json(r, 200, json_incref(m));
            json_decref(data);
            return;
        }
    }
    json_decref(data);
    reply_error(r, 404, "invalid_request_error", "model_not_found", "model",
                "No enabled deployment serves that model; GET /v1/models lists those that do.", 0);
}

/* ---- entry points -------------------------------------------------------------------- */

/* The index of the bearer key tok matches, or -1 with the 401's code and sentence. Every
 * key is compared (in constant time each), so timing does not tell which one matched. */
static int key_index(const struct gateway *g, const char *tok, const char **code, char *msg,
                     size_t msglen)
{
    if (g->n_keys == 0) {
        *code = "gateway_disabled";
        snprintf(msg, msglen,
                 "The OpenAI-compatible gateway is disabled: set the environment variable %s "
                 "(named by [gateway] keys_env) to one or more comma-separated bearer keys and "
                 "restart interviewd.",
                 g->cfg->gateway_keys_env);
        return -1;
    }
    int found = -1;
    for (int i = 0; tok && i < g->n_keys; i++)
        if (util_ct_equal(g->keys[i].secret, tok) && found < 0) found = i;
    if (found < 0) {
        *code = "invalid_api_key";
        snprintf(msg, msglen,
                 "%s API key. Send one of the keys listed in the environment variable %s as "
                 "\"Authorization: Bearer <key>\".",
                 tok ? "Incorrect" : "Missing", g->cfg->gateway_keys_env);
    }
    return found;
}

/* The index of the bearer key that matches, or -1 after replying 401. */
static int authenticate(struct gateway *g, struct http_req *r)
{
    const char *code;
    char msg[400];
    int found = key_index(g, http_bearer(r), &code, msg, sizeof msg);
    if (found < 0) reply_error(r, 401, "invalid_request_error", code, NULL, msg, 0);
    return found;
}

int gateway_guard(const char *authorization, char **body, void *data)
{
    const struct gateway *g = data;
    const char *tok = NULL;
    if (strncasecmp(authorization, "Bearer ", 7) == 0) {
        tok = authorization + 7;
        while (*tok == ' ')
            tok++;
        if (!*tok) tok = NULL;
    }
    const char *code;
    char msg[400];
    if (key_index(g, tok, &code, msg, sizeof msg) >= 0) return 0;
    json_t *err = json_pack("{s:s,s:s,s:n,s:s}", "message", msg, "type", "invalid_request_error",
                            "param", "code", code);
    json_t *j = json_pack("{s:o}", "error", err);
    struct sbuf b = {0};
    sbuf_json(&b, j, 0);
    json_decref(j);
    *body = sbuf_take(&b);
    return 401;
}

void gateway_handle(struct gateway *g, struct http_req *r)
{
    CHECK(g != NULL && r != NULL && r->method != NULL && r->n_segments >= 1);
    int64_t t0 = now_us();
    int key_index = authenticate(g, r);
    if (key_index < 0) return;
    int get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
    if (r->n_segments == 2 && !strcmp(r->segments[1], "models")) {
        if (get)
            reply_models(g, r, NULL);
        else
            reply_error(r, 405, "invalid_request_error", "method_not_allowed", NULL,
                        "GET /v1/models lists the models.", 0);
        return;
    }
    const char *models = strstr(r->path, "/models/");
    if (r->n_segments >= 3 && !strcmp(r->segments[1], "models") && models) {
        const char *id = models + strlen("/models/");
        if (get)
            reply_models(g, r, id);
        else
            reply_error(r, 405, "invalid_request_error", "method_not_allowed", NULL,
                        "GET /v1/models/{model} describes a model.", 0);
        return;
    }
    if (r->n_segments == 3 && !strcmp(r->segments[1], "chat") &&
        !strcmp(r->segments[2], "completions")) {
        if (!strcmp(r->method, "POST"))
            chat(g, r, key_index, t0);
        else
            reply_error(r, 405, "invalid_request_error", "method_not_allowed", NULL,
                        "Use POST /v1/chat/completions.", 0);
        return;
    }
    char msg[300];
    snprintf(msg, sizeof msg,
             "Unknown request URL: %s %.200s. interviewd serves POST /v1/chat/completions and "
             "GET /v1/models.",
             r->method, r->path);
    reply_error(r, 404, "invalid_request_error", "unknown_url", NULL, msg, 0);
}

struct gateway *gateway_new(const struct config *cfg, struct router *router, struct stats *stats,
                            struct cache *cache)
{
    CHECK(cfg != NULL && router != NULL && stats != NULL);
    struct gateway *g = xcalloc(1, sizeof *g);
    g->cfg = cfg;
    g->router = router;
    g->stats = stats;
    g->cache = cache;
    if (!g->cache) {
        size_t budget = (size_t)cfg->cache_max_bytes / GATEWAY_OWN_CACHE_DIVISOR;
        g->cache = cache_memory_new(budget, 0);
        g->own_cache = 1;
    }
    g->flights = flight_group_new();
    g->started_s = clock_now_s();
    char *rid = util_random_id(6);
    snprintf(g->id_prefix, sizeof g->id_prefix, "%s", rid);
    free(rid);

    const char *env =
        cfg->gateway_keys_env && *cfg->gateway_keys_env ? getenv(cfg->gateway_keys_env) : NULL;
    int ignored = 0;
    if (env) {
        char *copy = xstrdup(env);
        char *save = NULL;
        for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
            util_trim(k);
            int printable = *k != 0;
            for (const char *p = k; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) printable = 0;
            if (!printable || g->n_keys == GATEWAY_MAX_KEYS) {
                ignored += *k != 0;
                continue;
            }
            struct gw_key *gk = &g->keys[g->n_keys++];
            gk->secret = xstrdup(k);
            char sha[65];
            util_sha256_hex(k, strlen(k), sha);
            snprintf(gk->scope, sizeof gk->scope, "k%.16s", sha);
        }
        explicit_bzero(copy, strlen(env));
        free(copy);
    }
    if (g->n_keys)
        log_info("gateway_enabled", "keys=%d ignored=%d path=/v1", g->n_keys, ignored);
    else
        log_info("gateway_disabled", "reason=\"environment variable %s holds no key\"",
                 cfg->gateway_keys_env ? cfg->gateway_keys_env : "(none)");
    return g;
}

void gateway_free(struct gateway *g)
{
    if (!g) return;
    g->closing = 1;
    flight_group_free(g->flights); /* waiters get NULL: 503 */
    g->flights = NULL;
    while (g->live)
        reply_internal(g->live, 503, "shutting_down", "interviewd is shutting down.");
    if (g->own_cache) cache_destroy(g->cache);
    for (int i = 0; i < g->n_keys; i++) {
        explicit_bzero(g->keys[i].secret, strlen(g->keys[i].secret));
        free(g->keys[i].secret);
    }
    free(g);
}

void gateway_prometheus(const struct gateway *g, struct sbuf *out)
{
    sbuf_puts(out, "# HELP interviewd_gateway_overhead_seconds Time a /v1 chat request spent in "
                   "interviewd minus the time it waited on the upstream.\n"
                   "# TYPE interviewd_gateway_overhead_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < N_BOUNDS; b++) {
        cum += g->overhead_buckets[b];
        sbuf_printf(out, "interviewd_gateway_overhead_seconds_bucket{le=\"%s\"} %llu\n",
                    overhead_labels[b], (unsigned long long)cum);
    }
    cum += g->overhead_buckets[N_BOUNDS];
    sbuf_printf(out,
                "interviewd_gateway_overhead_seconds_bucket{le=\"+Inf\"} %llu\n"
                "interviewd_gateway_overhead_seconds_sum %.9f\n"
                "interviewd_gateway_overhead_seconds_count %llu\n",
                (unsigned long long)cum, g->overhead_sum, (unsigned long long)g->overhead_count);
    sbuf_puts(out, "# HELP interviewd_gateway_requests_total /v1 chat completion answers by HTTP "
                   "status class and cache outcome.\n"
                   "# TYPE interviewd_gateway_requests_total counter\n");
    for (int c = 0; c < 5; c++)
        for (int s = 0; s < GW_CACHE__COUNT; s++)
            sbuf_printf(out,
                        "interviewd_gateway_requests_total{status=\"%dxx\",cache=\"%s\"} %llu\n",
                        c + 1, cache_state_names[s], (unsigned long long)g->requests[c][s]);
}
