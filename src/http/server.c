/* http/server: evhttp wiring, paths and replies; see http.h.
 *
 * Every byte a client sends is checked by http/conn.c (framing, sizes, deadlines, caps)
 * before evhttp parses it, so evhttp's own limits are set above ours and only ever act
 * as a backstop; its HTML error pages are not reached by any request http/preparse
 * lets through. Paths are decoded here, strictly: an encoded NUL, control character or
 * slash is a 400, never a shorter path ("." and ".." segments route nowhere and
 * http_reply_file refuses them: 404). */
#include "http/http.h"

#include "http/conn.h"

#include "core/config.h"
#include "core/fastjson.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/util.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

struct http_server {
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    struct http_conns *conns; /* caps, deadlines, framing checks */
    http_handler_fn handler;
    void *data;
    long max_body;
    int port;
    struct http_reply_gate gate; /* mark == NULL: no gate */
};

/* A reply the gate holds: what send_buffer() was asked to send. */
struct http_held {
    int status;
    char *content_type;
    char *data;
    size_t len;
};

static void req_free(struct http_req *r)
{
    if (r->held) {
        free(r->held->content_type);
        free(r->held->data);
        free(r->held);
    }
    if (r->conn) http_conn_end(r->conn, r);
    free(r->path);
    for (int i = 0; i < r->n_segments; i++)
        free(r->segments[i]);
    free(r->body);
    free(r);
}

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "OTHER";
    }
}

/* Every header costs libevent a printf per reply, so each is here for a reason:
 * nosniff and no-store on everything, Referrer-Policy only where a page could link out. */
static void add_common_headers(struct evhttp_request *req, const char *content_type)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (strncmp(content_type, "text/html", 9) == 0)
        evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Cache-Control", "no-store");
}

/* Before a deferred request's reply: after it, evhttp may free the request and then the
 * connection, whose close callback must not see the request any more. */
static void release_conn(struct http_req *r)
{
    if (r->conn) {
        http_conn_end(r->conn, r);
    } else if (r->deferred && r->req) {
        struct evhttp_connection *conn = evhttp_request_get_connection(r->req);
        if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
    }
}

static void send_buffer(struct http_req *r, int status, const char *content_type, const char *data,
                        size_t len);

static void reply_not_durable(struct http_req *r)
{
    http_reply_error(r, 503, "unavailable",
                     "The service could not confirm that your data reached the disk; check "
                     "whether it was saved before sending it again.");
}

/* The gate's release: the held reply goes out now (durable), or a 503 goes instead. */
static void gate_release(void *arg, int durable)
{
    struct http_req *r = arg;
    struct http_held *h = r->held;
    r->held = NULL;
    if (durable)
        send_buffer(r, h->status, h->content_type, h->data, h->len);
    else
        reply_not_durable(r);
    free(h->content_type);
    free(h->data);
    free(h);
}

/* 1 when the reply was held (or replaced) by the gate; 0 when it goes out now. */
static int gate_hold(struct http_req *r, int status, const char *content_type, const char *data,
                     size_t len)
{
    struct http_server *s = r->server;
    if (r->gate_passed || !s || !s->gate.mark) return 0;
    r->gate_passed = 1;
    uint64_t now = s->gate.mark(s->gate.data);
    if (now == r->gate_mark) return 0; /* nothing was committed while r was handled */
    int w = s->gate.wait(s->gate.data, now, gate_release, r);
    if (w == 1) return 0;
    if (w < 0) {
        reply_not_durable(r);
        return 1;
    }
    struct http_held *h = xcalloc(1, sizeof *h);
    h->status = status;
    h->content_type = xstrdup(content_type);
    h->data = xmalloc(len + 1);
    memcpy(h->data, data, len);
    h->len = len;
    r->held = h;
    if (!r->deferred) http_req_defer(r); /* on_request must not free r now */
    return 1;
}

static void send_buffer(struct http_req *r, int status, const char *content_type, const char *data,
                        size_t len)
{
    if (gate_hold(r, status, content_type, data, len)) return;
    release_conn(r);
    if (r->req) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
        add_common_headers(r->req, content_type);
        evhttp_add_header(h, "Content-Type", content_type);
        const char *reason = status == 200 ? "OK" : status == 201 ? "Created" : NULL;
        if (evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD) {
            /* The headers GET would send, the length included; no body (evhttp 2.1 would
             * send it and omit the length). */
            char n[24];
            evhttp_add_header(h, "Content-Length", util_itoa((long long)len, n));
            evhttp_send_reply(r->req, status, reason, NULL);
        } else {
            struct evbuffer *buf = evbuffer_new();
            evbuffer_add(buf, data, len);
            evhttp_send_reply(r->req, status, reason, buf);
            evbuffer_free(buf);
        }
        log_debug("http_reply", "rid=%s method=%s path=%s status=%d", r->request_id, r->method,
                  r->path, status);
    }
    r->replied = 1;
    if (r->deferred && !r->in_handler) req_free(r);
}

void http_reply_json(struct http_req *r, int status, json_t *body)
{
    struct sbuf text = {0};
    sbuf_json(&text, body, 0);
    json_decref(body);
    send_buffer(r, status, "application/json", text.data, text.len);
    sbuf_free(&text);
}

void http_reply_text(struct http_req *r, int status, const char *content_type, const char *text)
{
    send_buffer(r, status, content_type, text, strlen(text));
}

void http_reply_error(struct http_req *r, int status, const char *code, const char *message)
{
    if (status >= 500)
        log_warn("http_error", "rid=%s status=%d code=%s", r->request_id, status, code);
    http_reply_json(r, status,
                    json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code, "message", message,
                              "type", http_error_type(status)));
}

void http_reply_stream_end(struct http_req *r)
{
    release_conn(r);
    if (r->req) evhttp_send_reply_end(r->req);
    r->req = NULL;
    r->replied = 1;
    if (r->deferred && !r->in_handler) req_free(r);
}

static const char *content_type_for(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js") || !strcmp(dot, ".mjs")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".json")) return "application/json";
    if (!strcmp(dot, ".ico")) return "image/x-icon";
    return "application/octet-stream";
}

void http_reply_file(struct http_req *r, const char *dir, const char *name)
{
    if (!name[0] || strstr(name, "..") || name[0] == '.' || strchr(name, '\\')) {
        http_reply_error(r, 404, "not_found", "No such file.");
        return;
    }
    for (const char *p = name; *p; p++) {
        if (p[0] == '/' && p[1] == '.') {
            http_reply_error(r, 404, "not_found", "No such file.");
            return;
        }
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *data = util_read_file(path, &len);
    if (!data) {
        http_reply_error(r, 404, "not_found", "No such file.");
        return;
    }
    if (r->req) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
        evhttp_add_header(
            h, "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "connect-src 'self'; media-src 'self' blob:");
    }
    send_buffer(r, 200, content_type_for(name), data, len);
    free(data);
}

const char *http_bearer(struct http_req *r)
{
    if (!r->req) return NULL;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

const char *http_header(struct http_req *r, const char *name)
{
    if (!r->req) return NULL;
    return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

int http_content_type_is(struct http_req *r, const char *type)
{
    const char *h = http_header(r, "Content-Type");
    if (!h) return 0;
    while (*h == ' ')
        h++;
    size_t n = strlen(type);
    return strncasecmp(h, type, n) == 0 && (h[n] == 0 || h[n] == ';' || h[n] == ' ');
}

json_t *http_body_json(struct http_req *r)
{
    if (r->body_binary) {
        http_reply_error(r, 415, "unsupported_media_type",
                         "This route takes a JSON object (Content-Type: application/json).");
        return NULL;
    }
    json_error_t je;
    json_t *j = r->body ? fastjson_load(r->body, r->body_len, &je) : NULL;
    if (!j || !json_is_object(j)) {
        json_decref(j);
        http_reply_error(r, 400, "malformed_json", "The request body must be a JSON object.");
        return NULL;
    }
    return j;
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct http_req *r = arg;
    /* A request still tied to the connection is freed with it: drop our pointer so a
     * late reply is not written to freed memory. One libevent has already detached (it
     * waits for our reply) stays ours: the late evhttp_send_reply() frees it. */
    if (r->req && evhttp_request_get_connection(r->req)) r->req = NULL;
}

void http_req_defer(struct http_req *r)
{
    r->deferred = 1;
    if (r->conn) return; /* http/conn.c's close callback knows r */
    struct evhttp_connection *conn = evhttp_request_get_connection(r->req);
    if (conn) evhttp_connection_set_closecb(conn, on_close, r);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The decoded path, or NULL when it hides something: a malformed escape, an encoded
 * control byte (%00 would end the string early), an encoded '/' or '\\' (one segment
 * posing as two), or bytes that are not UTF-8. */
static char *decode_path(const char *in)
{
    size_t n = strlen(in);
    char *out = xmalloc(n + 1), *o = out;
    for (const char *p = in; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%') {
            int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);
            if (lo < 0) goto bad;
            c = (unsigned char)(hi * 16 + lo);
            if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') goto bad;
            p += 2;
        } else if (c < 0x21 || c == 0x7f) {
            goto bad;
        }
        *o++ = (char)c;
    }
    *o = 0;
    if (!util_utf8_valid(out, (size_t)(o - out))) goto bad;
    return out;
bad:
    free(out);
    return NULL;
}

/* 0, -1 for a path that hides something (400), -2 for too many segments (404). */
static int split_path(struct http_req *r, const char *uri_path)
{
    char *decoded = decode_path(uri_path);
    if (!decoded) return -1;
    r->path = decoded;
    const char *p = decoded;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p) break;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (r->n_segments == HTTP_MAX_SEGMENTS) return -2;
        r->segments[r->n_segments++] = xstrndup(p, n);
        p += n;
    }
    return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct http_server *s = arg;
    struct http_req *r = xcalloc(1, sizeof *r);
    r->req = req;
    r->server = s;
    r->method = method_name(evhttp_request_get_command(req));
    if (s->gate.mark) r->gate_mark = s->gate.mark(s->gate.data);
    util_trace_id(r->request_id);
    struct http_conn *conn = http_conns_find(s->conns, req);
    if (conn) http_conn_begin(conn, r);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    int split = path ? split_path(r, path) : -1;
    if (split != 0) {
        if (!r->path) r->path = xstrdup("?");
        if (split == -2)
            http_reply_error(r, 404, "not_found", "No such route.");
        else
            http_reply_error(r, 400, "invalid_path",
                             "The path holds an encoded control character or slash, invalid "
                             "percent-encoding or bytes that are not UTF-8.");
        req_free(r);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if ((long)len > s->max_body) {
        char msg[160];
        snprintf(msg, sizeof msg, "The request body is larger than the limit of %ld bytes.",
                 s->max_body);
        http_reply_error(r, 413, "body_too_large", msg);
        req_free(r);
        return;
    }
    if (len > 0) {
        r->body = xmalloc(len + 1);
        evbuffer_remove(in, r->body, len);
        r->body[len] = 0;
        r->body_len = len;
        r->body_binary = http_content_type_is(r, HTTP_BINARY_TYPE);
        if (!r->body_binary && !util_utf8_valid(r->body, len)) {
            http_reply_error(r, 422, "invalid_value", "The request body is not valid UTF-8 text.");
            req_free(r);
            return;
        }
    }
    r->in_handler = 1;
    s->handler(r, s->data);
    r->in_handler = 0;
    /* A deferred request answered before the handler returned is ours to free too. */
    if (!r->deferred || r->replied) req_free(r);
}

struct http_server *http_server_new(struct event_base *base, const struct config *cfg,
                                    const char *host, int port, http_handler_fn handler, void *data,
                                    char *err, size_t errlen)
{
    struct http_server *s = xcalloc(1, sizeof *s);
    s->handler = handler;
    s->data = data;
    s->max_body = cfg->max_body_bytes;
    s->http = evhttp_new(base);
    /* backstops above http/preparse's limits, which refuse first and as JSON */
    evhttp_set_max_body_size(s->http, (ev_ssize_t)cfg->max_body_bytes + 4096);
    evhttp_set_max_headers_size(
        s->http, (ev_ssize_t)(2 * cfg->max_header_bytes + cfg->max_uri_bytes + 4096));
    s->conns = http_conns_new(base, s->http, cfg);
    evhttp_set_timeout(s->http, (int)(cfg->request_timeout_ms / 1000));
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(s->http, on_request, s);
    s->sock = evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port);
    if (!s->sock) {
        snprintf(err, errlen, "cannot listen on %s:%d (in use, or not a local address)", host,
                 port);
        http_server_free(s);
        return NULL;
    }
    http_conns_listen(s->conns, s->sock);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(s->sock), (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return s;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_free(struct http_server *s)
{
    if (!s) return;
    if (s->http) evhttp_free(s->http); /* closes every connection through s->conns */
    http_conns_free(s->conns);
    free(s);
}

void http_server_set_reply_gate(struct http_server *s, const struct http_reply_gate *gate)
{
    s->gate = *gate;
}

void http_server_set_guard(struct http_server *s, const char *prefix, http_guard_fn fn, void *data)
{
    http_conns_set_guard(s->conns, prefix, fn, data);
}
