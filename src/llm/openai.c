/* openai: the OpenAI-compatible chat-completions client: Groq, Cerebras, Gemini's
 * OpenAI endpoint, Mistral, OpenRouter, GitHub Models, Cloudflare Workers AI, Ollama,
 * llama.cpp and anything else that speaks POST {base_url}/chat/completions.
 *
 * Two HTTP clients, one behaviour. https:// (every hosted provider) goes through libcurl;
 * plain http:// (local servers, where the client's own CPU is most of the call) goes
 * through libevent's evhttp client, further down, unless [provider.*] http_client says
 * otherwise. Both feed the same header, body, stream and classification code, and the
 * unit tests run every case against both.
 *
 * The one idea: libcurl never blocks and never owns the loop. Each provider owns one
 * CURLM (so each deployment has its own keep-alive pool and HTTP/2 connection for its
 * host, and destroy tears down exactly what it owns) driven by the process's libevent
 * loop through the multi socket API (core/curlev.c: curl says which sockets to watch and
 * when it wants a wake-up; libevent reports readiness back; neither callback calls
 * libcurl re-entrantly).
 *
 * A finished transfer becomes an llm_result at once (status mapping, error sentence,
 * Retry-After) but the caller's done runs from the call's own zero-delay event. So done
 * is never called inside submit nor inside libcurl's bookkeeping, and a done callback
 * may submit again or destroy the provider. The one exception is destroy: the calls it
 * cancels get their done (LLM_ERR_CANCELLED) before it returns, because the loop may be
 * freed right after.
 *
 * Streaming (llm_request.on_chunk): the body asks for "stream": true and a 2xx
 * text/event-stream answer is parsed as it arrives: SSE events are split on blank lines,
 * comments (": keep-alive") skipped, each "data:" payload parsed and its
 * choices[0].delta.content handed to on_chunk at once; "[DONE]" ends it. done still runs
 * once at the end with the whole content, the usage (stream_options.include_usage) and
 * the finish reason, exactly like a plain call. An error answer (non-2xx, or not an
 * event stream) is read whole and classified as usual.
 *
 * Secrets: the key lives only in the Authorization header list and in a private copy
 * used to scrub error sentences (providers sometimes echo it back); both are wiped on
 * destroy. CURLOPT_VERBOSE is never set, and log lines carry no header or body.
 *
 * The caller must have run curl_global_init() once at start-up. */
#include "llm/provider.h"

#include "core/clock.h"
#include "core/curlev.h"
#include "core/fastjson.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/util.h"

#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <sys/queue.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef INTERVIEWD_VERSION
#define INTERVIEWD_VERSION "dev"
#endif

/* Limits. Per-call timeout: llm_request.timeout_ms, else [provider.NAME] timeout_ms,
 * else OPENAI_DEFAULT_TIMEOUT_MS; it covers the whole call, connect included. */
#define OPENAI_DEFAULT_TIMEOUT_MS 30000L
#define OPENAI_CONNECT_TIMEOUT_MS 10000L   /* connect + TLS, capped by the call's */
#define OPENAI_MAX_BODY (4L * 1024 * 1024) /* larger answers are LLM_ERR_BAD_RESPONSE */
#define OPENAI_MAX_HEADERS 128             /* response headers kept per call */
#define OPENAI_ERROR_MAX 300               /* bytes of result.error */
#define OPENAI_REDACTED "[redacted]"
#define OPENAI_USER_AGENT "interviewd/" INTERVIEWD_VERSION
#define OPENAI_IDLE_HANDLES 64 /* finished easy handles kept for reuse */
#define OPENAI_EV_CONNS 64     /* libevent client: connections per provider */
#define OPENAI_EV_IDLE_S 600   /* libevent client: connection inactivity limit */

struct openai;

enum call_state {
    CALL_RUNNING,    /* in the multi, on a connection, or waiting for one */
    CALL_DELIVERING, /* result ready, done is queued on the loop */
};

/* How a transfer ended, whichever client ran it. */
enum xfer {
    XFER_OK,      /* a whole HTTP answer arrived: classify_http decides the rest */
    XFER_TIMEOUT, /* the call's deadline passed */
    XFER_TOO_BIG, /* the body passed OPENAI_MAX_BODY */
    XFER_NETWORK, /* DNS, connect, reset, malformed HTTP: no usable answer */
};

struct evconn;

/* One submit(): the transfer, what it received, and the result it becomes. */
struct call {
    struct openai *o;
    struct call *prev, *next; /* in o->calls until done runs */
    enum call_state state;
    int code;   /* HTTP status of the answer so far (0: none yet) */
    CURL *easy; /* libcurl: NULL once the transfer is over */
    /* libevent client */
    struct evhttp_request *evreq; /* in flight, or NULL */
    struct evconn *conn;          /* the connection it is on, or NULL */
    struct event *deadline;       /* the whole-call timeout */
    struct call *wait_next;       /* in o->wait while every connection is busy */
    int waiting;                  /* 1 while in o->wait */
    int ev_err;                   /* enum evhttp_request_error + 1, once reported */
    int ev_quiet;                 /* 1: libevent's callbacks for this call are ignored */
    int ev_sends;                 /* requests sent (one resend on a stale keep-alive) */
    struct event *deliver;        /* zero-delay event that runs done */
    llm_done_fn done;
    void *data;
    char *task;              /* copy of req->task, for the log line */
    char *body;              /* request JSON; curl reads it until the transfer ends */
    long timeout_ms;         /* effective whole-call timeout */
    int64_t started_ms;      /* clock_mono_ms() at submit */
    struct sbuf resp;        /* response body so far */
    int too_big;             /* 1 if the body passed OPENAI_MAX_BODY */
    struct llm_header *hdrs; /* headers of the last response seen */
    int n_hdrs, cap_hdrs;
    char errbuf[CURL_ERROR_SIZE]; /* curl's detail for transport errors */
    struct llm_result result;
    /* streaming (on_chunk set) */
    llm_chunk_fn on_chunk; /* NULL for a plain call */
    void *chunk_data;
    int sse;              /* -1 until the first body bytes, then 1 if an event stream */
    struct sbuf line;     /* the incomplete line received so far */
    struct sbuf event;    /* data of the event being read ("data:" lines joined) */
    struct sbuf content;  /* every content delta so far */
    char *stream_error;   /* an error event's message, or NULL */
    int stream_error_429; /* that error said "rate limited" */
    int stream_done;      /* "data: [DONE]" seen */
};

/* One keep-alive connection of the libevent client; busy while a call is on it. */
struct evconn {
    struct evhttp_connection *ec; /* NULL until first used */
    struct call *busy;
    long served; /* answers read on it since it (re)connected */
};

/* The provider. pub comes first; pub.impl points back here. */
struct openai {
    struct provider pub;
    struct event_base *base;         /* borrowed: the process's loop */
    struct curlev *cv;               /* curl on the loop: transfers and connection cache */
    CURLM *multi;                    /* curlev_multi(cv) */
    struct curl_slist *headers;      /* shared by every easy handle; holds the key */
    char *url;                       /* {base_url}/chat/completions */
    char *name;                      /* deployment name (copied) */
    char *model;                     /* model id (copied) */
    char *key;                       /* API key copy for scrubbing; NULL when keyless */
    long timeout_ms;                 /* default per call */
    int tls;                         /* 1 for https:// */
    struct call *calls;              /* running and delivering calls */
    CURL *idle[OPENAI_IDLE_HANDLES]; /* finished easy handles, options already set */
    int n_idle;
    /* libevent's HTTP client (native = 1): plain http:// only */
    int native;
    struct evdns_base *dns; /* NULL for a numeric host */
    char *host;             /* to connect to, without [] */
    int port;
    char *host_header;    /* Host: as the URL wrote it */
    char *path;           /* request target, e.g. /v1/chat/completions */
    char *auth;           /* "Bearer <key>", or NULL (secret: wiped on destroy) */
    struct evconn *conns; /* OPENAI_EV_CONNS slots */
    int n_conns;
    struct call *wait, *wait_tail; /* calls waiting for a free connection, FIFO */
    struct event *kick;            /* runs ev_dispatch on the loop */
    int dying;                     /* destroy has started: submit refuses */
};

/* ---- small helpers ---------------------------------------------------------------- */

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static void headers_free(struct llm_header *h, int n)
{
    for (int i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

/* Reads digits[.digits]; advances *sp. Locale-independent, unlike strtod. */
static int parse_decimal(const char **sp, double *out)
{
    const char *s = *sp;
    double v = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (*s == '.' && isdigit((unsigned char)s[1])) {
        s++;
        double f = 0.1;
        while (isdigit((unsigned char)*s)) {
            v += (*s++ - '0') * f;
            f /= 10;
            digits++;
        }
    }
    if (!digits) return -1;
    *sp = s;
    *out = v;
    return 0;
}

/* Milliseconds, rounded up so a caller never retries early (but 4.77 s is 4770). */
static int64_t ms_ceil(double ms)
{
    if (ms <= 0) return 0;
    if (ms > 1e12) ms = 1e12;
    return (int64_t)ceil(ms - 1e-6);
}

/* A Go-style duration as providers write them: "53s", "1.5s", "644ms", "1m2.5s",
 * "2m59.56s", "1h0m0s". Returns ms, or -1 if s does not start with one. */
static int64_t parse_go_duration(const char *s)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1},     {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ns", 1e-6},
                 {"h", 3600e3}, {"m", 60e3},  {"s", 1e3}};
    while (*s == ' ')
        s++;
    double total = 0;
    int parts = 0;
    for (;;) {
        double v;
        const char *p = s;
        if (parse_decimal(&p, &v) < 0) break;
        size_t i;
        for (i = 0; i < ARRAY_LEN(units); i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, n) == 0) break;
        }
        if (i == ARRAY_LEN(units)) break;
        total += v * units[i].ms;
        s = p + strlen(units[i].unit);
        parts++;
    }
    return parts ? ms_ceil(total) : -1;
}

/* A whole string that is a plain number (after trimming spaces). */
static int parse_number_only(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (parse_decimal(&s, out) < 0) return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    return *s ? -1 : 0;
}

/* ---- result building -------------------------------------------------------------- */

/* Replaces every occurrence of the key with OPENAI_REDACTED (caller frees). */
static char *scrub_key(const char *s, const char *key)
{
    if (!key || !*key) return xstrdup(s);
    struct sbuf b = {0};
    size_t klen = strlen(key);
    const char *p;
    while ((p = strstr(s, key))) {
        sbuf_append(&b, s, (size_t)(p - s));
        sbuf_puts(&b, OPENAI_REDACTED);
        s = p + klen;
    }
    sbuf_puts(&b, s);
    return sbuf_take(&b);
}

/* Sets r->error from a printf-style sentence: key scrubbed first (so truncation cannot
 * leave half a key), control characters turned to spaces, cut to OPENAI_ERROR_MAX
 * bytes on a UTF-8 boundary. */
static void set_error(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct call *c, const char *fmt, ...)
{
    struct sbuf raw = {0};
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *tmp = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    char *clean = scrub_key(tmp, c->o->key);
    if (c->o->key) explicit_bzero(tmp, (size_t)n);
    free(tmp);
    for (char *p = clean; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    size_t len = strlen(clean);
    if (len > OPENAI_ERROR_MAX) {
        size_t cut = OPENAI_ERROR_MAX - 3;
        while (cut > 0 && ((unsigned char)clean[cut] & 0xC0) == 0x80)
            cut--;
        sbuf_append(&raw, clean, cut);
        sbuf_puts(&raw, "...");
        free(clean);
        clean = sbuf_take(&raw);
    }
    free(c->result.error);
    c->result.error = clean;
}

/* The error object of an error body, whatever its wrapping: {"error":{...}} (OpenAI,
 * Groq, OpenRouter, Mistral) or [{"error":{...}}] (Gemini's OpenAI endpoint). */
static json_t *error_object(json_t *root)
{
    if (json_is_array(root)) root = json_array_get(root, 0);
    json_t *e = json_object_get(root, "error");
    return json_is_object(e) ? e : NULL;
}

/* The body's own sentence, or NULL. Handles the styles above plus Cerebras' top-level
 * {"message"}, Cloudflare's {"errors":[{"message","code"}]}, {"error":"text"} and
 * {"detail":"text"}. Returned string is borrowed from root or written into *own. */
static const char *error_message(json_t *root, struct sbuf *own)
{
    json_t *e = error_object(root);
    const char *m = json_string_value(json_object_get(e, "message"));
    if (m && *m) return m;
    json_t *top = json_is_array(root) ? json_array_get(root, 0) : root;
    m = json_string_value(json_object_get(top, "error"));
    if (m && *m) return m;
    m = json_string_value(json_object_get(top, "message"));
    if (m && *m) return m;
    json_t *errs = json_object_get(top, "errors");
    if (json_is_array(errs) && json_array_size(errs) > 0) {
        json_t *e0 = json_array_get(errs, 0);
        m = json_string_value(json_object_get(e0, "message"));
        json_t *code = json_object_get(e0, "code");
        if (m && json_is_integer(code)) {
            sbuf_printf(own, "%s (code %lld)", m, (long long)json_integer_value(code));
            return own->data;
        }
        if (m && *m) return m;
    }
    m = json_string_value(json_object_get(top, "detail"));
    if (m && *m) return m;
    return NULL;
}

/* 1 when the body says "quota exhausted" whatever the HTTP status: Gemini's
 * RESOURCE_EXHAUSTED (sometimes sent with 400), or an error object with code 429
 * (Gemini's array form, OpenRouter's errors inside a 200). */
static int body_is_rate_limited(json_t *root)
{
    json_t *e = error_object(root);
    json_t *top = json_is_array(root) ? json_array_get(root, 0) : root;
    json_t *objs[] = {e, top};
    for (size_t i = 0; i < ARRAY_LEN(objs); i++) {
        json_t *o = objs[i];
        if (!json_is_object(o)) continue;
        const char *st = json_string_value(json_object_get(o, "status"));
        if (st && strcmp(st, "RESOURCE_EXHAUSTED") == 0) return 1;
        json_t *code = json_object_get(o, "code");
        if (json_is_integer(code) && json_integer_value(code) == 429) return 1;
    }
    json_t *errs = json_object_get(top, "errors");
    for (size_t i = 0; json_is_array(errs) && i < json_array_size(errs); i++) {
        json_int_t code = json_integer_value(json_object_get(json_array_get(errs, i), "code"));
        if (code == 3036 || code == 3040) return 1; /* Cloudflare: neurons / capacity */
    }
    return 0;
}

static const char *hdr(const struct call *c, const char *name)
{
    return llm_result_header(&c->result, name);
}

/* Retry-After in every form a provider uses, best first; -1 when none. */
static int64_t retry_after(const struct call *c, json_t *root, const char *msg)
{
    double v;
    const char *h = hdr(c, "retry-after-ms");
    if (h && parse_number_only(h, &v) == 0) return ms_ceil(v);
    h = hdr(c, "retry-after");
    if (h) {
        if (parse_number_only(h, &v) == 0) return ms_ceil(v * 1000);
        time_t t = curl_getdate(h, NULL);
        if (t >= 0) {
            int64_t d = (int64_t)t * 1000 - clock_now_ms();
            return d > 0 ? d : 0;
        }
    }
    /* Gemini: error.details[] holds a google.rpc.RetryInfo with retryDelay "53s". */
    json_t *details = json_object_get(error_object(root), "details");
    for (size_t i = 0; json_is_array(details) && i < json_array_size(details); i++) {
        const char *d =
            json_string_value(json_object_get(json_array_get(details, i), "retryDelay"));
        int64_t ms = d ? parse_go_duration(d) : -1;
        if (ms >= 0) return ms;
    }
    /* OpenAI/Groq: "... Please try again in 4.77s." Gemini: "Please retry in 53.3s." */
    static const char *phrases[] = {"try again in ", "retry in "};
    for (size_t i = 0; msg && i < ARRAY_LEN(phrases); i++) {
        const char *p = util_strcasestr(msg, phrases[i]);
        int64_t ms = p ? parse_go_duration(p + strlen(phrases[i])) : -1;
        if (ms >= 0) return ms;
    }
    return -1;
}

/* choices[0].message.content: a string, or (some servers) an array of text parts. */
static char *extract_content(json_t *root)
{
    json_t *msg = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message");
    json_t *content = json_object_get(msg, "content");
    if (json_is_string(content)) return xstrdup(json_string_value(content));
    if (!json_is_array(content)) return NULL;
    struct sbuf b = {0};
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        const char *t = json_string_value(json_object_get(part, "text"));
        if (t) sbuf_puts(&b, t);
    }
    return b.data ? sbuf_take(&b) : NULL;
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* Printable start of a non-JSON body, for the error sentence. */
static void body_excerpt(const struct call *c, struct sbuf *out)
{
    if (!c->resp.len) return;
    const char *s = c->resp.data, *end = s + (c->resp.len < 200 ? c->resp.len : 200);
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    sbuf_append(out, s, (size_t)(end - s)); /* set_error blanks control bytes */
}

static void classify_transport(struct call *c, enum xfer x, const char *detail)
{
    switch (x) {
    case XFER_TIMEOUT:
        c->result.status = LLM_ERR_TIMEOUT;
        set_error(c, "timeout: no complete answer within %ld ms (%s)", c->timeout_ms, detail);
        break;
    case XFER_TOO_BIG:
        c->result.status = LLM_ERR_BAD_RESPONSE;
        set_error(c, "bad response: body larger than %ld bytes", OPENAI_MAX_BODY);
        break;
    default:
        /* DNS, connect, TLS, reset, HTTP/2 stream errors: the server never gave a
         * usable answer, so another deployment may. */
        c->result.status = LLM_ERR_NETWORK;
        set_error(c, "network: %s", detail);
        break;
    }
}

static void stream_flush_event(struct call *c);
static void stream_feed(struct call *c, const char *p, size_t n);

/* A 2xx event stream is over: its content, or why it has none. */
static void classify_stream(struct call *c)
{
    struct llm_result *r = &c->result;
    if (c->line.len) stream_feed(c, "\n", 1); /* a last line without its newline */
    stream_flush_event(c);                    /* a last event without its blank line */
    if (c->stream_error) {
        r->status = c->stream_error_429 ? LLM_ERR_RATE_LIMITED : LLM_ERR_BAD_RESPONSE;
        set_error(c, "HTTP %d: stream error: %s", r->http_status, c->stream_error);
    } else if (c->too_big) {
        r->status = LLM_ERR_BAD_RESPONSE;
        set_error(c, "bad response: streamed content larger than %ld bytes", OPENAI_MAX_BODY);
    } else if (c->content.len && !is_blank(c->content.data)) {
        r->status = LLM_OK;
        r->content = sbuf_take(&c->content);
    } else {
        r->status = LLM_ERR_BAD_RESPONSE;
        set_error(c, "HTTP %d: bad response: the stream ended without content%s", r->http_status,
                  c->stream_done ? "" : " (no [DONE])");
    }
    r->retry_after_ms = retry_after(c, NULL, NULL);
}

static void classify_http(struct call *c)
{
    struct llm_result *r = &c->result;
    int code = r->http_status;
    if (c->sse == 1 && code >= 200 && code < 300) {
        classify_stream(c);
        return;
    }
    struct fast_completion fc;
    if (code >= 200 && code < 300 && fastjson_completion(c->resp.data, c->resp.len, &fc) == 0) {
        /* the plain answer, read without a tree; anything else takes jansson's path */
        r->status = LLM_OK;
        r->content = fc.content;
        r->prompt_tokens = (int)fc.prompt_tokens;
        r->completion_tokens = (int)fc.completion_tokens;
        size_t fl = strnlen(fc.finish_reason, sizeof r->finish_reason - 1); /* as snprintf cuts */
        memcpy(r->finish_reason, fc.finish_reason, fl);
        r->finish_reason[fl] = 0;
        r->retry_after_ms = retry_after(c, NULL, NULL);
        return;
    }
    json_t *root = c->resp.len ? fastjson_load(c->resp.data, c->resp.len, NULL) : NULL;
    struct sbuf own = {0}, excerpt = {0};
    const char *msg = error_message(root, &own);

    if (code >= 200 && code < 300) {
        char *content = root ? extract_content(root) : NULL;
        if (content && !is_blank(content)) {
            r->status = LLM_OK;
            r->content = content;
            json_t *usage = json_object_get(root, "usage");
            r->prompt_tokens = (int)json_integer_value(json_object_get(usage, "prompt_tokens"));
            r->completion_tokens =
                (int)json_integer_value(json_object_get(usage, "completion_tokens"));
            const char *fin = json_string_value(json_object_get(
                json_array_get(json_object_get(root, "choices"), 0), "finish_reason"));
            if (fin) snprintf(r->finish_reason, sizeof r->finish_reason, "%s", fin);
        } else {
            free(content);
            r->status = body_is_rate_limited(root) ? LLM_ERR_RATE_LIMITED : LLM_ERR_BAD_RESPONSE;
            if (msg) {
                set_error(c, "HTTP %d: %s", code, msg);
            } else if (!root) {
                body_excerpt(c, &excerpt);
                set_error(c, "HTTP %d: bad response: not JSON: %s", code,
                          excerpt.data ? excerpt.data : "(empty body)");
            } else {
                const char *fin = json_string_value(json_object_get(
                    json_array_get(json_object_get(root, "choices"), 0), "finish_reason"));
                set_error(c, "HTTP %d: bad response: no choices[0].message.content%s%s", code,
                          fin ? ", finish_reason " : "", fin ? fin : "");
            }
        }
    } else {
        if (code == 429 || body_is_rate_limited(root))
            r->status = LLM_ERR_RATE_LIMITED;
        else if (code == 401 || code == 402 || code == 403)
            r->status = LLM_ERR_AUTH;
        else
            r->status = LLM_ERR_HTTP;
        if (!msg) {
            body_excerpt(c, &excerpt);
            msg = excerpt.data && *excerpt.data ? excerpt.data : "(no error message)";
        }
        set_error(c, "HTTP %d: %s", code, msg);
    }
    r->retry_after_ms = retry_after(c, root, r->status == LLM_OK ? NULL : msg);
    sbuf_free(&own);
    sbuf_free(&excerpt);
    json_decref(root);
}

static void call_unlink(struct openai *o, struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (o->calls == c)
        o->calls = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* ---- easy handles ------------------------------------------------------------------- */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata);

/* An easy handle with every per-provider option set: a finished one when there is one
 * (curl_easy_init plus twenty setopts per call was a measured hot spot of /v1), else a
 * new one. Connections live in the multi either way. NULL if curl refuses. */
static CURL *easy_get(struct openai *o)
{
    if (o->n_idle > 0) return o->idle[--o->n_idle];
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val)
    SET(CURLOPT_URL, o->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_HTTPHEADER, o->headers);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_HEADERFUNCTION, header_cb);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OPENAI_MAX_BODY);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_USERAGENT, OPENAI_USER_AGENT);
#undef SET
    if (rc != CURLE_OK) {
        log_warn("llm_curl", "provider=%s error=setopt code=%d", o->name, (int)rc);
        curl_easy_cleanup(e);
        return NULL;
    }
    /* Nice to have; an older or differently built libcurl may refuse them. */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* Over TLS, wait for ALPN and share one HTTP/2 connection rather than open one per
     * call. Never over plain http: there it would wait for a whole HTTP/1.1 answer
     * before opening a second connection, serialising a local server's calls. */
    if (o->tls) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    return e;
}

/* Takes back a handle that is out of the multi: kept for the next call, with no pointer
 * left into the finished call, or cleaned up when enough are kept. */
static void easy_put(struct openai *o, CURL *e)
{
    if (o->dying || o->n_idle == OPENAI_IDLE_HANDLES) {
        curl_easy_cleanup(e);
        return;
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)NULL);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, (void *)NULL);
    o->idle[o->n_idle++] = e;
}

static void call_free(struct call *c)
{
    if (c->easy) curl_easy_cleanup(c->easy);
    if (c->deliver) event_free(c->deliver);
    if (c->deadline) event_free(c->deadline);
    llm_result_clear(&c->result);
    headers_free(c->hdrs, c->n_hdrs);
    sbuf_free(&c->resp);
    sbuf_free(&c->line);
    sbuf_free(&c->event);
    sbuf_free(&c->content);
    free(c->stream_error);
    free(c->body);
    free(c->task);
    free(c);
}

/* The transfer is over, whichever client ran it: build the result, queue done. */
static void call_settle(struct call *c, enum xfer x, const char *detail)
{
    struct llm_result *r = &c->result;
    r->http_status = c->code;
    r->latency_ms = clock_mono_ms() - c->started_ms;
    r->headers = c->hdrs;
    r->n_headers = c->n_hdrs;
    c->hdrs = NULL;
    c->n_hdrs = c->cap_hdrs = 0;
    if (x != XFER_OK)
        classify_transport(c, x, detail);
    else
        classify_http(c);
    if (c->deadline) evtimer_del(c->deadline);
    free(c->body);
    c->body = NULL;
    sbuf_free(&c->resp);
    c->state = CALL_DELIVERING;
    event_active(c->deliver, EV_TIMEOUT, 1);
}

static void call_log(const struct call *c)
{
    const struct llm_result *r = &c->result;
    log_debug("llm_call",
              "provider=%s model=%s task=%s status=%s http=%d latency_ms=%lld "
              "prompt_tokens=%d completion_tokens=%d retry_after_ms=%lld",
              c->o->name, c->o->model, c->task ? c->task : "-", llm_strerror(r->status),
              r->http_status, (long long)r->latency_ms, r->prompt_tokens, r->completion_tokens,
              (long long)r->retry_after_ms);
}

/* Runs done on the loop. After done returns the provider may be gone: touch only c. */
static void deliver_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct call *c = arg;
    assert(c->state == CALL_DELIVERING && !c->easy);
    call_unlink(c->o, c);
    call_log(c);
    c->done(&c->result, c->data);
    call_free(c);
}

/* ---- finished libcurl transfers (core/curlev drives curl on the loop) --------------- */

/* curlev_done_fn: easy is already out of the multi handle. */
static void transfer_done(CURL *easy, CURLcode rc, void *data)
{
    struct openai *o = data;
    char *priv = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    struct call *c = (struct call *)priv;
    assert(c && c->easy == easy && c->state == CALL_RUNNING);
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    c->code = (int)code;
    enum xfer x = XFER_OK;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        x = XFER_TIMEOUT;
    else if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && c->too_big))
        x = XFER_TOO_BIG;
    else if (rc != CURLE_OK)
        x = XFER_NETWORK;
    char detail[CURL_ERROR_SIZE];
    snprintf(detail, sizeof detail, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
    c->easy = NULL;
    easy_put(o, easy);
    call_settle(c, x, detail);
}

/* One complete SSE event (its data lines joined): a chunk, an error or [DONE]. */
static void stream_flush_event(struct call *c)
{
    if (!c->event.len) return;
    char *data = sbuf_take(&c->event);
    if (strcmp(data, "[DONE]") == 0) {
        c->stream_done = 1;
        free(data);
        return;
    }
    json_t *root = json_loads(data, 0, NULL);
    free(data);
    if (!json_is_object(root)) {
        json_decref(root);
        return; /* not JSON: nothing a client could use */
    }
    if (error_object(root) && !c->stream_error) {
        struct sbuf own = {0};
        const char *m = error_message(root, &own);
        c->stream_error = xstrdup(m ? m : "(no error message)");
        c->stream_error_429 = body_is_rate_limited(root);
        sbuf_free(&own);
    }
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    const char *delta =
        json_string_value(json_object_get(json_object_get(choice, "delta"), "content"));
    size_t len = delta ? strlen(delta) : 0;
    if (len && !c->too_big) {
        if (c->content.len + len > (size_t)OPENAI_MAX_BODY) {
            c->too_big = 1;
        } else {
            sbuf_append(&c->content, delta, len);
            c->result.chunks++;
            c->on_chunk(c->o->name, delta, len, c->chunk_data);
        }
    }
    const char *fin = json_string_value(json_object_get(choice, "finish_reason"));
    if (fin) snprintf(c->result.finish_reason, sizeof c->result.finish_reason, "%s", fin);
    json_t *usage = json_object_get(root, "usage");
    if (json_is_object(usage)) {
        c->result.prompt_tokens = (int)json_integer_value(json_object_get(usage, "prompt_tokens"));
        c->result.completion_tokens =
            (int)json_integer_value(json_object_get(usage, "completion_tokens"));
    }
    json_decref(root);
}

/* Splits what arrived into lines; "data:" lines build the event, a blank line ends it,
 * comments (":"), "event:", "id:" and "retry:" lines are ignored. */
static void stream_feed(struct call *c, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            if (c->line.len + (size_t)(end - p) > (size_t)OPENAI_MAX_BODY)
                c->too_big = 1;
            else
                sbuf_append(&c->line, p, (size_t)(end - p));
            return;
        }
        const char *s = p;
        size_t len = (size_t)(nl - p);
        if (c->line.len) {
            sbuf_append(&c->line, p, len);
            s = c->line.data;
            len = c->line.len;
        }
        if (len && s[len - 1] == '\r') len--;
        if (len == 0) {
            stream_flush_event(c);
        } else if (len >= 5 && strncmp(s, "data:", 5) == 0) {
            size_t skip = len > 5 && s[5] == ' ' ? 6 : 5;
            if (c->event.len) sbuf_puts(&c->event, "\n");
            if (c->event.len + len - skip <= (size_t)OPENAI_MAX_BODY)
                sbuf_append(&c->event, s + skip, len - skip);
            else
                c->too_big = 1;
        }
        c->line.len = 0;
        if (c->line.data) c->line.data[0] = 0;
        p = nl + 1;
    }
}

/* Body bytes of the answer, from either client; -1 once past OPENAI_MAX_BODY. The first
 * bytes decide, from the status and Content-Type, whether it is an event stream. */
static int body_feed(struct call *c, const char *p, size_t n)
{
    if (c->sse < 0) {
        const char *ct = NULL;
        for (int i = 0; i < c->n_hdrs; i++)
            if (strcmp(c->hdrs[i].name, "content-type") == 0) ct = c->hdrs[i].value;
        c->sse = c->code >= 200 && c->code < 300 && ct && util_strcasestr(ct, "text/event-stream");
    }
    if (c->sse == 1) {
        stream_feed(c, p, n);
        return 0;
    }
    if (c->resp.len + n > (size_t)OPENAI_MAX_BODY) {
        c->too_big = 1;
        return -1;
    }
    sbuf_append(&c->resp, p, n);
    return 0;
}

static void replay_chunk(const char *provider, const char *text, size_t len, void *data)
{
    (void)provider;
    (void)text;
    *(size_t *)data += len;
}

enum llm_status openai_stream_replay(const char *p, size_t n, size_t piece, char **content)
{
    static struct openai replay = {.name = "replay"};
    struct call *c = xcalloc(1, sizeof *c);
    c->o = &replay;
    c->code = 200;
    c->result.http_status = 200;
    c->sse = 1;
    size_t delivered = 0;
    c->on_chunk = replay_chunk;
    c->chunk_data = &delivered;
    if (piece == 0) piece = 1;
    for (size_t off = 0; off < n; off += piece)
        stream_feed(c, p + off, n - off < piece ? n - off : piece);
    classify_stream(c);
    enum llm_status status = c->result.status;
    assert(status != LLM_OK || delivered == strlen(c->result.content));
    if (content) {
        *content = c->result.content;
        c->result.content = NULL;
    }
    call_free(c);
    return status;
}

/* One response header, from either client: kept with its name lowercased and the
 * value trimmed, at most OPENAI_MAX_HEADERS of them. */
static void header_add(struct call *c, const char *name, size_t nlen, const char *v, size_t vlen)
{
    if (nlen == 0 || c->n_hdrs >= OPENAI_MAX_HEADERS) return;
    if (c->n_hdrs == c->cap_hdrs) {
        c->cap_hdrs = c->cap_hdrs ? c->cap_hdrs * 2 : 16;
        c->hdrs = xrealloc(c->hdrs, (size_t)c->cap_hdrs * sizeof *c->hdrs);
    }
    while (nlen > 0 && isspace((unsigned char)name[nlen - 1]))
        nlen--;
    const char *end = v + vlen;
    while (v < end && isspace((unsigned char)*v))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    char *lower = xstrndup(name, nlen);
    for (char *q = lower; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    c->hdrs[c->n_hdrs].name = lower;
    c->hdrs[c->n_hdrs].value = xstrndup(v, (size_t)(end - v));
    c->n_hdrs++;
}

static void headers_reset(struct call *c)
{
    headers_free(c->hdrs, c->n_hdrs);
    c->hdrs = NULL;
    c->n_hdrs = c->cap_hdrs = 0;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct call *c = userdata;
    size_t n = size * nmemb;
    if (c->sse < 0) {
        long code = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
        c->code = (int)code;
    }
    return body_feed(c, ptr, n) == 0 ? n : 0; /* 0: CURLE_WRITE_ERROR */
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct call *c = userdata;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* A new response (after a 1xx, say): only the final one's headers count. */
        headers_reset(c);
        return n;
    }
    const char *colon = memchr(buf, ':', n);
    if (colon) header_add(c, buf, (size_t)(colon - buf), colon + 1, (size_t)(buf + n - colon - 1));
    return n;
}

/* ---- libevent's HTTP client ---------------------------------------------------------------
 *
 * For plain http:// (a local Ollama, llama.cpp or vLLM, an internal gateway), where the
 * upstream answers in microseconds and the client's own cost is what a caller of /v1
 * sees: libevent's evhttp client on the loop the server already runs, with up to
 * OPENAI_EV_CONNS keep-alive connections per provider and a FIFO of calls waiting for
 * one. libcurl stays the client for https:// (TLS, HTTP/2, proxies). Same results
 * either way: both feed header_add/body_feed and end in call_settle.
 *
 * libevent runs the callbacks below from inside its connection code, so none of them
 * starts another request: ev_settle frees the connection and kicks ev_dispatch, which
 * runs from the loop. A call libevent may still report on is marked ev_quiet before it
 * is cancelled. */

static void ev_dispatch(struct openai *o);

static void ev_kick(struct openai *o)
{
    if (o->wait) event_active(o->kick, EV_TIMEOUT, 1);
}

static void wait_push(struct openai *o, struct call *c, int front)
{
    c->waiting = 1;
    c->wait_next = NULL;
    if (!o->wait) {
        o->wait = o->wait_tail = c;
    } else if (front) {
        c->wait_next = o->wait;
        o->wait = c;
    } else {
        o->wait_tail->wait_next = c;
        o->wait_tail = c;
    }
}

static void wait_remove(struct openai *o, struct call *c)
{
    struct call **pp = &o->wait, *prev = NULL;
    while (*pp && *pp != c) {
        prev = *pp;
        pp = &(*pp)->wait_next;
    }
    if (!*pp) return;
    *pp = c->wait_next;
    if (o->wait_tail == c) o->wait_tail = prev;
    c->wait_next = NULL;
    c->waiting = 0;
}

/* The call is off its connection (answered, failed or cancelled): settle it. */
static void ev_settle(struct call *c, enum xfer x, const char *detail)
{
    if (c->conn) {
        c->conn->busy = NULL;
        if (x == XFER_OK)
            c->conn->served++;
        else
            c->conn->served = 0; /* libevent reset it: the next call reconnects */
    }
    c->conn = NULL;
    c->evreq = NULL;
    call_settle(c, x, detail);
    ev_kick(c->o);
}

static int ev_header_cb(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    if (c->ev_quiet) return 0;
    c->code = evhttp_request_get_response_code(req);
    headers_reset(c);
    const struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    for (const struct evkeyval *kv = h ? TAILQ_FIRST(h) : NULL; kv; kv = TAILQ_NEXT(kv, next))
        header_add(c, kv->key, strlen(kv->key), kv->value, strlen(kv->value));
    return 0;
}

/* Feeds what is in the request's input buffer to body_feed; -1 once too big. */
static int ev_take_body(struct call *c, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    int rc = 0;
    struct evbuffer_iovec v[8];
    while (rc == 0 && evbuffer_get_length(in) > 0) {
        int n = evbuffer_peek(in, -1, NULL, v, 8);
        if (n > 8) n = 8;
        size_t taken = 0;
        for (int i = 0; i < n && rc == 0; i++) {
            rc = body_feed(c, v[i].iov_base, v[i].iov_len);
            taken += v[i].iov_len;
        }
        evbuffer_drain(in, taken);
    }
    return rc;
}

/* Streaming only: the body as it arrives (libevent allows a cancel from here). */
static void ev_chunk_cb(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    if (c->ev_quiet) return;
    if (ev_take_body(c, req) == 0) return;
    c->ev_quiet = 1;
    evhttp_cancel_request(req);
    ev_settle(c, XFER_TOO_BIG, "body too large");
}

static void ev_error_cb(enum evhttp_request_error err, void *arg)
{
    struct call *c = arg;
    if (!c->ev_quiet) c->ev_err = (int)err + 1;
}

static const char *ev_strerror(int err)
{
    switch (err - 1) {
    case EVREQ_HTTP_TIMEOUT:
        return "the connection was idle too long";
    case EVREQ_HTTP_EOF:
        return "the server closed the connection before a complete answer";
    case EVREQ_HTTP_INVALID_HEADER:
        return "the answer's status line or headers were malformed";
    case EVREQ_HTTP_BUFFER_ERROR:
        return "could not connect, or the connection failed";
    case EVREQ_HTTP_REQUEST_CANCEL:
        return "the request was cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG:
        return "the answer was too large";
    default:
        return "the request failed";
    }
}

/* The answer is complete (req set, with a status) or the request failed (req NULL). */
static void ev_done_cb(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    if (c->ev_quiet) return;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (code <= 0) {
        int err = c->ev_err;
        if (err - 1 == EVREQ_HTTP_DATA_TOO_LONG) {
            ev_settle(c, XFER_TOO_BIG, ev_strerror(err));
            return;
        }
        /* A kept-alive connection the server had closed as this call went out: send it
         * again, once, on a new connection, as libcurl does. */
        if (c->conn && c->conn->served > 0 && c->ev_sends == 1 && c->n_hdrs == 0 &&
            (err - 1 == EVREQ_HTTP_EOF || err - 1 == EVREQ_HTTP_BUFFER_ERROR)) {
            c->conn->busy = NULL;
            c->conn->served = 0;
            c->conn = NULL;
            c->evreq = NULL;
            wait_push(c->o, c, 1);
            ev_kick(c->o);
            return;
        }
        ev_settle(c, err - 1 == EVREQ_HTTP_TIMEOUT ? XFER_TIMEOUT : XFER_NETWORK, ev_strerror(err));
        return;
    }
    c->code = code;
    if (!c->on_chunk && ev_take_body(c, req) != 0) {
        ev_settle(c, XFER_TOO_BIG, "body too large");
        return;
    }
    ev_settle(c, XFER_OK, "");
}

static void ev_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct call *c = arg;
    if (c->state != CALL_RUNNING) return;
    if (c->waiting) wait_remove(c->o, c);
    if (c->evreq) {
        c->ev_quiet = 1;
        evhttp_cancel_request(c->evreq); /* resets the connection; no callback runs */
    }
    ev_settle(c, XFER_TIMEOUT, "no answer before the deadline");
}

/* A free connection, opening one while fewer than OPENAI_EV_CONNS are open. */
static struct evconn *ev_free_conn(struct openai *o)
{
    for (int i = 0; i < o->n_conns; i++)
        if (!o->conns[i].busy) return &o->conns[i];
    if (o->n_conns == OPENAI_EV_CONNS) return NULL;
    struct evconn *k = &o->conns[o->n_conns];
    k->ec = evhttp_connection_base_new(o->base, o->dns, o->host, (ev_uint16_t)o->port);
    if (!k->ec) return NULL;
    evhttp_connection_set_max_body_size(k->ec, OPENAI_MAX_BODY);
    evhttp_connection_set_max_headers_size(k->ec, 64 * 1024);
    evhttp_connection_set_timeout(k->ec, OPENAI_EV_IDLE_S); /* the call's deadline is ours */
    k->busy = NULL;
    k->served = 0;
    o->n_conns++;
    return k;
}

/* Sends c on k; -1 if libevent refused at once (it freed the request). */
static int ev_send(struct openai *o, struct evconn *k, struct call *c)
{
    struct evhttp_request *req = evhttp_request_new(ev_done_cb, c);
    if (!req) return -1;
    evhttp_request_set_error_cb(req, ev_error_cb);
    evhttp_request_set_header_cb(req, ev_header_cb);
    if (c->on_chunk) evhttp_request_set_chunked_cb(req, ev_chunk_cb);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", o->host_header);
    evhttp_add_header(h, "Content-Type", "application/json");
    if (c->on_chunk) evhttp_add_header(h, "Accept", "text/event-stream, application/json");
    evhttp_add_header(h, "User-Agent", OPENAI_USER_AGENT);
    if (o->auth) evhttp_add_header(h, "Authorization", o->auth);
    evbuffer_add(evhttp_request_get_output_buffer(req), c->body, strlen(c->body));
    headers_reset(c);
    c->code = 0;
    c->ev_err = 0;
    c->ev_sends++;
    c->evreq = req;
    c->conn = k;
    k->busy = c;
    if (evhttp_make_request(k->ec, req, EVHTTP_REQ_POST, o->path) != 0) {
        c->evreq = NULL;
        c->conn = NULL;
        k->busy = NULL;
        return -1;
    }
    return 0;
}

/* Starts waiting calls, oldest first, while connections are free. */
static void ev_dispatch(struct openai *o)
{
    struct evconn *k;
    while (o->wait && !o->dying && (k = ev_free_conn(o)) != NULL) {
        struct call *c = o->wait;
        wait_remove(o, c);
        if (ev_send(o, k, c) != 0) ev_settle(c, XFER_NETWORK, "could not start the request");
    }
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ev_dispatch(arg);
}

/* ---- the provider_ops ---------------------------------------------------------------- */

static char *request_body(const struct openai *o, const struct llm_request *req)
{
    json_t *body = json_object();
    json_object_set_new(body, "model", json_string(o->model));
    json_object_set(body, "messages", req->messages);
    if (req->max_tokens > 0) json_object_set_new(body, "max_tokens", json_integer(req->max_tokens));
    if (isfinite(req->temperature) && req->temperature >= 0)
        json_object_set_new(body, "temperature", json_real(req->temperature));
    if (req->json_mode)
        json_object_set_new(body, "response_format", json_pack("{s:s}", "type", "json_object"));
    if (req->on_chunk) {
        json_object_set_new(body, "stream", json_true());
        json_object_set_new(body, "stream_options", json_pack("{s:b}", "include_usage", 1));
    }
    if (json_is_object(req->extra)) {
        json_object_update_missing(body, req->extra);
        if (!req->on_chunk) {
            json_object_del(body, "stream");
            json_object_del(body, "stream_options");
        }
    }
    struct sbuf text = {0};
    sbuf_json(&text, body, 9); /* json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(9)), faster */
    json_decref(body);
    return sbuf_take(&text);
}

/* Frees the libevent client's connections, resolver and kick event (none in flight). */
static void ev_client_free(struct openai *o)
{
    for (int i = 0; i < o->n_conns; i++)
        if (o->conns[i].ec) evhttp_connection_free(o->conns[i].ec);
    free(o->conns);
    o->conns = NULL;
    o->n_conns = 0;
    if (o->dns) evdns_base_free(o->dns, 0);
    o->dns = NULL;
    if (o->kick) event_free(o->kick);
    o->kick = NULL;
    wipe_free(o->auth);
    o->auth = NULL;
    free(o->host);
    free(o->host_header);
    free(o->path);
    o->host = o->host_header = o->path = NULL;
}

/* Sets up the libevent client for o->url (http:// only); -1 with a sentence in err. */
static int ev_client_new(struct openai *o, const char *api_key, char *err, size_t errlen)
{
    struct evhttp_uri *u = evhttp_uri_parse(o->url);
    const char *host = u ? evhttp_uri_get_host(u) : NULL;
    if (!host || !*host) {
        snprintf(err, errlen, "provider %s: base_url has no host the HTTP client can use", o->name);
        if (u) evhttp_uri_free(u);
        return -1;
    }
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']')
        o->host = xstrndup(host + 1, hl - 2);
    else
        o->host = xstrdup(host);
    int port = evhttp_uri_get_port(u);
    o->port = port > 0 ? port : 80;
    struct sbuf b = {0};
    if (port > 0)
        sbuf_printf(&b, "%s:%d", host, port);
    else
        sbuf_puts(&b, host);
    o->host_header = sbuf_take(&b);
    const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
    sbuf_puts(&b, path && *path ? path : "/");
    if (query) sbuf_printf(&b, "?%s", query);
    o->path = sbuf_take(&b);
    evhttp_uri_free(u);

    unsigned char addr[16];
    if (inet_pton(AF_INET, o->host, addr) != 1 && inet_pton(AF_INET6, o->host, addr) != 1) {
        /* a name: resolved on the loop, /etc/hosts first, never with a blocking call */
        o->dns = evdns_base_new(o->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
        if (!o->dns) o->dns = evdns_base_new(o->base, 0);
        if (!o->dns) {
            snprintf(err, errlen, "provider %s: could not start a DNS resolver", o->name);
            return -1;
        }
        evdns_base_load_hosts(o->dns, NULL);
    }
    if (api_key && *api_key) {
        struct sbuf a = {0};
        sbuf_printf(&a, "Bearer %s", api_key);
        o->auth = sbuf_take(&a);
    }
    o->conns = xcalloc(OPENAI_EV_CONNS, sizeof *o->conns);
    o->kick = event_new(o->base, -1, 0, kick_cb, o);
    if (!o->kick) {
        snprintf(err, errlen, "provider %s: could not create the HTTP client", o->name);
        return -1;
    }
    return 0;
}

static int openai_submit(struct provider *p, const struct llm_request *req, llm_done_fn done,
                         void *data)
{
    struct openai *o = p ? p->impl : NULL;
    if (!o || o->dying || !req || !done || !json_is_array(req->messages)) return -1;
    char *body = request_body(o, req);
    if (!body) return -1;
    CURL *e = o->native ? NULL : easy_get(o);
    if (!o->native && !e) {
        free(body);
        return -1;
    }
    struct call *c = xcalloc(1, sizeof *c);
    c->o = o;
    c->easy = e;
    c->body = body;
    c->done = done;
    c->data = data;
    c->task = req->task ? xstrdup(req->task) : NULL;
    c->on_chunk = req->on_chunk;
    c->chunk_data = req->chunk_data;
    c->sse = req->on_chunk ? -1 : 0;
    c->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : o->timeout_ms;
    c->started_ms = clock_mono_ms();
    c->result.retry_after_ms = -1;
    c->result.provider = o->name;
    c->result.model = o->model;
    c->deliver = evtimer_new(o->base, deliver_cb, c);
    if (o->native) {
        c->deadline = evtimer_new(o->base, ev_deadline_cb, c);
        if (!c->deliver || !c->deadline) {
            call_free(c);
            return -1;
        }
        struct timeval tv = {.tv_sec = c->timeout_ms / 1000,
                             .tv_usec = (c->timeout_ms % 1000) * 1000};
        evtimer_add(c->deadline, &tv);
        c->state = CALL_RUNNING;
        c->next = o->calls;
        if (o->calls) o->calls->prev = c;
        o->calls = c;
        wait_push(o, c, 0);
        ev_dispatch(o); /* a failure settles c; done still runs from the loop */
        return 0;
    }
    long connect_ms =
        c->timeout_ms < OPENAI_CONNECT_TIMEOUT_MS ? c->timeout_ms : OPENAI_CONNECT_TIMEOUT_MS;

    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val)
    SET(CURLOPT_PRIVATE, (void *)c);
    SET(CURLOPT_POSTFIELDS, c->body);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(c->body));
    SET(CURLOPT_WRITEDATA, (void *)c);
    SET(CURLOPT_HEADERDATA, (void *)c);
    SET(CURLOPT_ERRORBUFFER, c->errbuf);
    SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
#undef SET

    if (!c->deliver || rc != CURLE_OK) {
        log_warn("llm_curl", "provider=%s error=setopt code=%d", o->name, (int)rc);
        call_free(c);
        return -1;
    }
    CURLMcode mc = curl_multi_add_handle(o->multi, e); /* arms the timer; no I/O yet */
    if (mc != CURLM_OK) {
        log_warn("llm_curl", "provider=%s error=multi_add_handle code=%d", o->name, (int)mc);
        call_free(c);
        return -1;
    }
    c->state = CALL_RUNNING;
    c->next = o->calls;
    if (o->calls) o->calls->prev = c;
    o->calls = c;
    return 0;
}

static void openai_destroy(struct provider *p)
{
    struct openai *o = p ? p->impl : NULL;
    if (!o || o->dying) return;
    o->dying = 1;

    /* 1. Stop every transfer and forget every queued delivery. */
    struct call *list = o->calls;
    o->calls = NULL;
    for (struct call *c = list; c; c = c->next) {
        if (c->state == CALL_RUNNING && c->easy) {
            curl_multi_remove_handle(o->multi, c->easy); /* may call curlev's callbacks */
            curl_easy_cleanup(c->easy);
            c->easy = NULL;
        }
        if (c->state == CALL_RUNNING && c->evreq) {
            c->ev_quiet = 1;
            evhttp_cancel_request(c->evreq);
            c->evreq = NULL;
        }
        if (c->waiting) wait_remove(o, c);
        if (c->deadline) event_del(c->deadline);
        event_del(c->deliver);
        llm_result_clear(&c->result);
        c->result.status = LLM_ERR_CANCELLED;
        c->result.content = NULL;
        c->result.prompt_tokens = c->result.completion_tokens = 0;
        c->result.latency_ms = clock_mono_ms() - c->started_ms;
        c->result.retry_after_ms = -1;
        c->result.error = xstrdup("cancelled: provider destroyed with the call in flight");
    }

    /* 2. Tear down the clients; curl's callbacks may still run here, so o stays whole. */
    while (o->n_idle > 0)
        curl_easy_cleanup(o->idle[--o->n_idle]);
    curlev_free(o->cv); /* curl's callbacks may still run inside it */
    o->cv = NULL;
    o->multi = NULL;
    ev_client_free(o);
    for (struct curl_slist *h = o->headers; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(o->headers);
    o->headers = NULL;

    /* 3. Tell the callers, while result.provider (o->name) is still valid. */
    while (list) {
        struct call *c = list;
        list = c->next;
        call_log(c);
        c->done(&c->result, c->data);
        call_free(c);
    }

    wipe_free(o->key);
    free(o->url);
    free(o->name);
    free(o->model);
    free(o);
}

static const struct provider_ops openai_ops = {
    .kind = "openai",
    .submit = openai_submit,
    .destroy = openai_destroy,
};

struct provider *provider_openai_new(struct event_base *base, const struct provider_config *cfg,
                                     const char *api_key, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = 0;
    if (!base || !cfg) {
        snprintf(err, errlen, "openai provider: no event loop or no configuration");
        return NULL;
    }
    const char *name = cfg->name && *cfg->name ? cfg->name : "openai";
    const char *url = cfg->base_url;
    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
        snprintf(err, errlen, "provider %s: base_url must start with http:// or https://", name);
        return NULL;
    }
    if (!cfg->model || !*cfg->model) {
        snprintf(err, errlen, "provider %s: no model set", name);
        return NULL;
    }
    if (api_key) {
        for (const char *k = api_key; *k; k++)
            if ((unsigned char)*k < 0x20 || *k == 0x7f) {
                snprintf(err, errlen, "provider %s: the API key contains control characters", name);
                return NULL;
            }
    }

    struct openai *o = xcalloc(1, sizeof *o);
    o->base = base;
    o->name = xstrdup(name);
    o->model = xstrdup(cfg->model);
    o->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : OPENAI_DEFAULT_TIMEOUT_MS;
    o->tls = strncasecmp(url, "https://", 8) == 0;
    size_t ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/')
        ulen--;
    struct sbuf u = {0};
    sbuf_append(&u, url, ulen);
    sbuf_puts(&u, "/chat/completions");
    o->url = sbuf_take(&u);

    const char *client = cfg->http_client && *cfg->http_client ? cfg->http_client : "auto";
    if (strcmp(client, "auto") != 0 && strcmp(client, "libcurl") != 0 &&
        strcmp(client, "libevent") != 0) {
        snprintf(err, errlen, "provider %s: http_client must be auto, libcurl or libevent", name);
        goto fail;
    }
    if (strcmp(client, "libevent") == 0 && o->tls) {
        snprintf(err, errlen,
                 "provider %s: http_client = libevent speaks plain http:// only; use auto or "
                 "libcurl for https://",
                 name);
        goto fail;
    }
    o->native = strcmp(client, "libevent") == 0 || (strcmp(client, "auto") == 0 && !o->tls);
    if (api_key && *api_key) o->key = xstrdup(api_key);
    if (o->native) {
        if (ev_client_new(o, api_key, err, errlen) != 0) goto fail;
        goto ready;
    }

    o->cv = curlev_new(base, name, transfer_done, o);
    if (!o->cv) {
        snprintf(err, errlen, "provider %s: could not create the HTTP client", name);
        goto fail;
    }
    o->multi = curlev_multi(o->cv);
    curl_multi_setopt(o->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);

    /* "Expect:" drops curl's 100-continue round trip on bodies over 1 KiB. */
    static const char *fixed[] = {"Content-Type: application/json", "Accept: application/json",
                                  "Expect:"};
    for (size_t i = 0; i < ARRAY_LEN(fixed); i++) {
        struct curl_slist *h = curl_slist_append(o->headers, fixed[i]);
        if (!h) goto oom;
        o->headers = h;
    }
    if (api_key && *api_key) {
        struct sbuf a = {0};
        sbuf_printf(&a, "Authorization: Bearer %s", api_key);
        struct curl_slist *h = curl_slist_append(o->headers, a.data);
        explicit_bzero(a.data, a.len);
        sbuf_free(&a);
        if (!h) goto oom;
        o->headers = h;
    }

ready:
    o->pub.ops = &openai_ops;
    o->pub.name = o->name;
    o->pub.model = o->model;
    o->pub.offline = 0;
    o->pub.impl = o;
    return &o->pub;

oom:
    snprintf(err, errlen, "provider %s: out of memory", name);
fail:
    ev_client_free(o);
    curlev_free(o->cv);
    for (struct curl_slist *h = o->headers; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(o->headers);
    wipe_free(o->key);
    free(o->url);
    free(o->name);
    free(o->model);
    free(o);
    return NULL;
}
