/* reqinfo: see reqinfo.h. Thin reads of libevent's request and connection. */
#include "http/reqinfo.h"

#include "http/http.h"

#include <event2/http.h>
#include <stdio.h>

int http_peer_address(struct http_req *r, char *out, size_t n)
{
    struct evhttp_connection *conn = r->req ? evhttp_request_get_connection(r->req) : NULL;
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (conn) evhttp_connection_get_peer(conn, &addr, &port);
    if (!addr || !*addr) {
        snprintf(out, n, "unknown");
        return -1;
    }
    snprintf(out, n, "%s", addr);
    return 0;
}

void http_add_header(struct http_req *r, const char *name, const char *value)
{
    if (r->req) evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}
