/* redis_url: URL parsing and one-time resolution for Redis clients; see redis_url.h. */
#include "core/redis_url.h"

#include "core/util.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Splits url into host (at most hostlen-1 bytes), port, db, user and password. */
static int split(const char *url, char *host, size_t hostlen, struct redis_url *u)
{
    static const char scheme[] = "redis://";
    if (!url || strncmp(url, scheme, sizeof scheme - 1) != 0) return -1;
    const char *p = url + sizeof scheme - 1;
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon || colon + 1 == at) return -1;
        if (colon > p) u->user = xstrndup(p, (size_t)(colon - p));
        u->password = xstrndup(colon + 1, (size_t)(at - colon - 1));
        p = at + 1;
    }
    const char *hend, *portstr = NULL;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close) return -1;
        hend = close;
        p++;
        if (close + 1 < end) {
            if (close[1] != ':') return -1;
            portstr = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        hend = colon ? colon : end;
        if (colon) portstr = colon + 1;
    }
    size_t hn = (size_t)(hend - p);
    if (hn == 0 || hn >= hostlen) return -1;
    memcpy(host, p, hn);
    host[hn] = 0;
    if (portstr) {
        long v = 0;
        if (portstr == end) return -1;
        for (const char *s = portstr; s < end; s++) {
            if (*s < '0' || *s > '9') return -1;
            v = v * 10 + (*s - '0');
            if (v > 65535) return -1;
        }
        if (v == 0) return -1;
        u->port = (int)v;
    }
    if (slash && slash[1]) {
        long v = 0;
        for (const char *s = slash + 1; *s; s++) {
            if (*s < '0' || *s > '9') return -1;
            v = v * 10 + (*s - '0');
            if (v > INT_MAX / 10) return -1;
        }
        u->db = (int)v;
    }
    return 0;
}

int redis_url_parse(const char *url, const char *what, struct redis_url *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->port = REDIS_URL_DEFAULT_PORT;
    char host[256];
    if (split(url, host, sizeof host, out) != 0) {
        snprintf(err, errlen, "%s \"%s\" is not redis://[[user]:password@]host[:port][/db]", what,
                 url ? url : "");
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) == 0 && res) {
        const void *a = res->ai_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
        inet_ntop(res->ai_family, a, out->addr, sizeof out->addr);
    }
    if (res) freeaddrinfo(res);
    if (!out->addr[0]) {
        snprintf(err, errlen, "%s: host \"%s\" does not resolve", what, host);
        return -1;
    }
    return 0;
}

void redis_url_clear(struct redis_url *u)
{
    free(u->user);
    free(u->password);
    u->user = u->password = NULL;
}
