/* http/conn: what evhttp does not do for the connections it accepts (private to http/).
 *
 * Caps on connections (total, and per client address), header and body deadlines, the
 * strict framing check of every byte (http/preparse.h) with JSON refusals, credentials
 * checked from the head before a body is read, and an accept loop that pauses instead of
 * spinning when the process runs out of descriptors. */
#ifndef HTTP_CONN_H
#define HTTP_CONN_H

#include "http/http.h"

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;

#define HTTP_CONN_FD_RESERVE 64           /* descriptors kept for the store, Redis and providers */
#define HTTP_CONN_LINGER_MS 2000          /* after a refusal, input is read and dropped this long */
#define HTTP_CONN_LINGER_BYTES (1L << 20) /* ... or until this much was dropped */
#define HTTP_ACCEPT_RETRY_MS 100          /* accept pause when out of descriptors */
#define HTTP_ACCEPT_LOG_MS 1000           /* at most one log line per this long about it */

struct http_conns;
struct http_conn;

/* Hooks into http (evhttp_set_bevcb). NULL never. */
struct http_conns *http_conns_new(struct event_base *base, struct evhttp *http,
                                  const struct config *cfg);
/* Takes over accept errors of the bound socket. */
void http_conns_listen(struct http_conns *c, struct evhttp_bound_socket *sock);
/* After evhttp_free (which closes every connection through us). */
void http_conns_free(struct http_conns *c);
void http_conns_set_guard(struct http_conns *c, const char *prefix, http_guard_fn fn, void *data);

/* The connection a request arrived on, or NULL. */
struct http_conn *http_conns_find(struct http_conns *c, struct evhttp_request *req);
/* r is being handled on conn (a refusal must not interleave with its reply). */
void http_conn_begin(struct http_conn *conn, struct http_req *r);
/* r was answered or freed. */
void http_conn_end(struct http_conn *conn, struct http_req *r);

/* OpenAI's error type for a status ("invalid_request_error", "server_error", ...). */
const char *http_error_type(int status);

#endif
