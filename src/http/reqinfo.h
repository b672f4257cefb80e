/* reqinfo: what a handler may need to know about a request beyond struct http_req
 * (the client's address) and the one extra header a refusal may carry (Retry-After).
 * Separate from http.h so that the server's internals can change under it. */
#ifndef HTTP_REQINFO_H
#define HTTP_REQINFO_H

#include <stddef.h>

struct http_req;

/* The client's address as text ("203.0.113.7", "2001:db8::1"), the TCP peer: a proxy
 * in front makes every client this one address. Returns 0, or -1 with out = "unknown"
 * (the client has gone). */
int http_peer_address(struct http_req *r, char *out, size_t n);
/* Adds a response header to r before its reply is sent (no effect once it has gone). */
void http_add_header(struct http_req *r, const char *name, const char *value);

#endif
