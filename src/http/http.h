/* http: the evhttp server, request limits, JSON replies, bearer tokens, static files.
 *
 * One evhttp on the process's event loop. Handlers get a struct http_req with the
 * method, the decoded path split into segments and the body (already checked against
 * [limits] max_body_bytes and for valid UTF-8). A handler replies at once with
 * http_reply_json()/http_reply_error(), or later: http_req_defer() keeps the request and
 * notices if the client goes away, so a late reply to a closed connection is dropped,
 * never written to freed memory. */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct config;

#define HTTP_MAX_SEGMENTS 8

struct http_req {
    struct evhttp_request *req;        /* NULL once the client has gone (deferred replies) */
    const char *method;                /* "GET", "POST", ... */
    char *path;                        /* decoded path, without the query */
    char *segments[HTTP_MAX_SEGMENTS]; /* path split on '/', empty ones dropped */
    int n_segments;
    char *body; /* NUL-terminated request body, or NULL */
    size_t body_len;
    int body_binary;     /* a file type sent as is (application/pdf): not checked as UTF-8, and
                          * http_body_json refuses it */
    char request_id[17]; /* for log lines */
    int deferred;        /* the handler will reply later */
    int in_handler;      /* the handler is still running: replies must not free r */
    int replied;         /* a reply was sent (or dropped for a gone client) */
    struct http_server *server;
    struct http_conn *conn; /* the connection's guard (http/conn.c), NULL once it closed */
    uint64_t gate_mark;     /* the reply gate's mark when the request arrived */
    int gate_passed;        /* the reply went through the gate (sent or held) */
    struct http_held *held; /* a reply the gate holds until what it says is durable */
};

typedef void (*http_handler_fn)(struct http_req *r, void *data);

struct http_server;

/* Binds host:port (port 0 picks one; http_server_port tells which). NULL + err on failure. */
struct http_server *http_server_new(struct event_base *base, const struct config *cfg,
                                    const char *host, int port, http_handler_fn handler, void *data,
                                    char *err, size_t errlen);
int http_server_port(const struct http_server *s);

/* Checks credentials from a request's head, before its body is read or its size is
 * judged. authorization is the header's value ("" when absent). Returns 0 to go on, or an
 * HTTP status with the JSON error body in *body (malloc'd; http frees it). */
typedef int (*http_guard_fn)(const char *authorization, char **body, void *data);
/* Runs fn for every request whose path is prefix or below it (one guard per server). */
void http_server_set_guard(struct http_server *s, const char *prefix, http_guard_fn fn, void *data);
void http_server_free(struct http_server *s);

/* A reply gate holds each reply until what the request committed to the store is on disk
 * (group commit, store/store.h), so nothing is acknowledged before it is durable.
 * mark() is read when a request arrives and again when its reply is ready; when it moved,
 * wait(data, mark, release, arg) returns 1 (durable already: the reply goes now), 0 (the
 * reply is held and release(arg, durable) is called later on the loop) or -1 (it cannot
 * be made durable: a 503 goes instead). Requests that committed nothing are never held. */
struct http_reply_gate {
    uint64_t (*mark)(void *data);
    int (*wait)(void *data, uint64_t mark, void (*release)(void *arg, int durable), void *arg);
    void *data;
};
void http_server_set_reply_gate(struct http_server *s, const struct http_reply_gate *gate);

/* The bearer token of the Authorization header, or NULL. */
const char *http_bearer(struct http_req *r);
/* A request header's value, or NULL. */
const char *http_header(struct http_req *r, const char *name);
/* Content types whose bodies are files, taken as bytes (body_binary). */
#define HTTP_BINARY_TYPE "application/pdf"
/* 1 if the request's Content-Type is type (ignoring parameters and case). */
int http_content_type_is(struct http_req *r, const char *type);
/* Parses the body as a JSON object; on failure replies 400 (415 for a binary body) and
 * returns NULL. */
json_t *http_body_json(struct http_req *r);

/* Sends status and body (stolen reference) and, for deferred requests, frees r. */
void http_reply_json(struct http_req *r, int status, json_t *body);
void http_reply_error(struct http_req *r, int status, const char *code, const char *message);
/* Serves a file under dir (no "..", no hidden files); 404 when absent. */
void http_reply_file(struct http_req *r, const char *dir, const char *name);
void http_reply_text(struct http_req *r, int status, const char *content_type, const char *text);

/* Marks r as answered later: the handler must eventually call a reply function. */
void http_req_defer(struct http_req *r);
/* Ends a reply begun with evhttp_send_reply_start (SSE) and, for deferred requests, frees r. */
void http_reply_stream_end(struct http_req *r);

#endif
