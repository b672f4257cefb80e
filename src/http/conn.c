/* http/conn: connection caps, deadlines, strict framing and accept pauses; see conn.h.
 *
 * evhttp 2.1 gives no callback when it accepts a connection, none per byte read, and
 * answers its own refusals with HTML. Three public hooks are enough to do without them:
 *   - evhttp_set_bevcb: we create each connection's bufferevent, so we see every accept;
 *     one zero-delay timer later (before any I/O on it) evhttp has set the bufferevent's
 *     callbacks, whose argument is the evhttp_connection: we take its close callback
 *     (called whenever evhttp frees it) and its peer address (for the per-address cap).
 *   - an evbuffer callback on the bufferevent's input buffer runs for every read, before
 *     evhttp's read callback parses the bytes: http/preparse checks them there, and on a
 *     refusal the input is drained, so evhttp never sees (nor answers) a bad request. We
 *     write the JSON refusal to the socket ourselves, shut down our side and read and
 *     drop what the client still sends for a moment, so it reads the answer instead of a
 *     reset.
 *   - the listener's error callback: out of descriptors, accept() fails at once and the
 *     listening socket stays readable, so an enabled listener spins. We disable it and
 *     retry on a timer (and as soon as a connection closes), logging once a second.
 * The per-connection state is fixed-size (struct preparse holds no request bytes), so a
 * connection costs the same however slowly or oddly its client sends. */
#include "http/conn.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/util.h"
#include "http/preparse.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define ADDR_BUCKETS 1024
#define TRIM_AFTER_BYTES (256L << 10) /* a connection that read this much may leave free heap */
#define HTTP_ARENAS_ALL 4096          /* jemalloc's MALLCTL_ARENAS_ALL: "every arena" */
#define HTTP_STR_(x) #x
#define HTTP_STR(x) HTTP_STR_(x)
#define TRIM_EVERY_MS 250 /* at most one malloc_trim() per this long */

enum phase {
    PH_NEW,    /* accepted; the attach timer has not run yet */
    PH_OPEN,   /* attached; requests flow */
    PH_LINGER, /* refused: dropping input until the client closes or the timer fires */
};

enum deadline { DL_NONE, DL_HEAD, DL_BODY };

struct addr_count {
    unsigned char key[17]; /* family byte + up to 16 address bytes */
    int n;                 /* open connections from it */
    struct addr_count *next;
};

struct http_conn {
    struct http_conns *owner;
    struct bufferevent *bev;         /* ours until evhttp frees it */
    struct evhttp_connection *evcon; /* known once attached */
    struct evbuffer_cb_entry *input_cb;
    evutil_socket_t fd;
    struct event *timer; /* attach, then the deadline, then the linger */
    enum phase phase;
    enum deadline deadline;
    struct addr_count *addr;  /* NULL until attached */
    struct http_req *current; /* being handled (a reply is due), or NULL */
    long dropped;             /* input bytes dropped while lingering */
    long bytes_in;            /* input bytes read, all requests */
    struct preparse pp;
};

struct http_conns {
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *listener;
    struct event *retry; /* re-enables the listener */
    struct event *trim;  /* gives freed request memory back to the system */
    int paused;          /* listener disabled for lack of descriptors */
    int64_t last_log_ms; /* last accept-failure log line */
    long suppressed;     /* accept failures since that line */
    long n_conns;        /* open connections */
    long max_conns, max_per_addr;
    struct timeval head_tv, body_tv;
    struct preparse_limits limits;
    struct http_conn **by_fd; /* connections by descriptor */
    size_t by_fd_cap;
    struct addr_count *addrs[ADDR_BUCKETS];
    char *guard_prefix;
    size_t guard_prefix_len;
    http_guard_fn guard;
    void *guard_data;
    struct http_conns *next_registered;
};

/* Listener error callbacks get evhttp's argument, not ours: find us by listener. */
static struct http_conns *registered;

const char *http_error_type(int status)
{
    if (status == 429) return "rate_limit_error";
    if (status >= 500 && status != 501 && status != 505) return "server_error";
    return "invalid_request_error";
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 417:
        return "Expectation Failed";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

/* ---- address counts ---------------------------------------------------------------- */

static size_t addr_key(const struct sockaddr *sa, unsigned char key[17])
{
    memset(key, 0, 17);
    if (sa && sa->sa_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        key[0] = 6;
        memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
    return (size_t)(util_xxh64(key, 17) % ADDR_BUCKETS);
}

static struct addr_count *addr_take(struct http_conns *c, const struct sockaddr *sa)
{
    unsigned char key[17];
    size_t b = addr_key(sa, key);
    struct addr_count *a;
    for (a = c->addrs[b]; a; a = a->next)
        if (!memcmp(a->key, key, 17)) break;
    if (!a) {
        a = xcalloc(1, sizeof *a);
        memcpy(a->key, key, 17);
        a->next = c->addrs[b];
        c->addrs[b] = a;
    }
    a->n++;
    return a;
}

static void addr_release(struct http_conns *c, struct addr_count *a)
{
    if (--a->n > 0) return;
    size_t b = (size_t)(util_xxh64(a->key, 17) % ADDR_BUCKETS);
    for (struct addr_count **pp = &c->addrs[b]; *pp; pp = &(*pp)->next) {
        if (*pp == a) {
            *pp = a->next;
            free(a);
            return;
        }
    }
}

/* ---- refusals ------------------------------------------------------------------------ */

static void arm(struct http_conn *conn, enum deadline d)
{
    conn->deadline = d;
    if (d == DL_NONE)
        evtimer_del(conn->timer);
    else
        evtimer_add(conn->timer, d == DL_HEAD ? &conn->owner->head_tv : &conn->owner->body_tv);
}

static void close_soon(struct http_conn *conn, long ms)
{
    conn->phase = PH_LINGER;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(conn->timer, &tv);
}

/* Best effort: the socket's send buffer is empty (no reply is pending, checked by the
 * caller) and the answer is small, so one send() normally takes it all. */
static void send_raw(struct http_conn *conn, int status, const char *json, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: "
                     "nosniff\r\n\r\n",
                     status, reason_phrase(status), len);
    struct sbuf b = {0};
    sbuf_append(&b, head, (size_t)n);
    sbuf_append(&b, json, len);
    ssize_t w = send(conn->fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    sbuf_free(&b);
    shutdown(conn->fd, SHUT_WR);
}

/* Answers status with json (or nothing when json is NULL) and closes: at once when a reply
 * is in flight on the connection (ours must not interleave with it), else after lingering. */
static void refuse_json(struct http_conn *conn, int status, const char *json)
{
    if (conn->phase == PH_LINGER) return;
    int writable = conn->current == NULL &&
                   evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0 && json;
    struct evbuffer *in = bufferevent_get_input(conn->bev);
    evbuffer_drain(in, evbuffer_get_length(in));
    if (!writable) {
        close_soon(conn, 0);
        return;
    }
    send_raw(conn, status, json, strlen(json));
    close_soon(conn, HTTP_CONN_LINGER_MS);
}

static void refuse(struct http_conn *conn, int status, const char *code, const char *message)
{
    if (status >= 500 || status == 408)
        log_debug("http_refused", "status=%d code=%s", status, code);
    json_t *j = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code, "message", message, "type",
                          http_error_type(status));
    struct sbuf b = {0};
    sbuf_json(&b, j, 0);
    json_decref(j);
    refuse_json(conn, status, b.data);
    sbuf_free(&b);
}

/* ---- the byte stream ------------------------------------------------------------------- */

static int guarded(const struct http_conns *c, const char *target)
{
    if (!c->guard) return 0;
    if (strncmp(target, c->guard_prefix, c->guard_prefix_len) != 0) return 0;
    char next = target[c->guard_prefix_len];
    return next == 0 || next == '/' || next == '?';
}

/* The head is complete: credentials first (a client without them learns no limits), then
 * the announced body size. 0 to go on. */
static int on_head(struct http_conn *conn)
{
    struct http_conns *c = conn->owner;
    struct preparse *p = &conn->pp;
    if (guarded(c, p->target)) {
        char *body = NULL;
        int status = c->guard(p->authorization, &body, c->guard_data);
        if (status) {
            refuse_json(conn, status, body);
            free(body);
            return -1;
        }
    }
    if (preparse_check_length(p) == PREPARSE_ERROR) {
        refuse(conn, p->status, p->code, p->message);
        return -1;
    }
    arm(conn, preparse_has_body(p) ? DL_BODY : DL_NONE);
    return 0;
}

/* Feeds n bytes to the framing check; -1 once the connection was refused. */
static int feed(struct http_conn *conn, const char *d, size_t n)
{
    while (n) {
        if (preparse_idle(&conn->pp) && conn->deadline == DL_NONE) arm(conn, DL_HEAD);
        size_t used;
        enum preparse_event e = preparse_feed(&conn->pp, d, n, &used);
        d += used;
        n -= used;
        switch (e) {
        case PREPARSE_MORE:
            break;
        case PREPARSE_HEAD:
            if (on_head(conn) != 0) return -1;
            break;
        case PREPARSE_END:
            arm(conn, DL_NONE);
            break;
        case PREPARSE_ERROR:
            refuse(conn, conn->pp.status, conn->pp.code, conn->pp.message);
            return -1;
        }
    }
    return 0;
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct http_conn *conn = arg;
    if (info->n_added == 0 || conn->phase == PH_NEW) return;
    conn->bytes_in += (long)info->n_added;
    if (conn->phase == PH_LINGER) {
        conn->dropped += (long)evbuffer_get_length(buf);
        evbuffer_drain(buf, evbuffer_get_length(buf));
        if (conn->dropped > HTTP_CONN_LINGER_BYTES) close_soon(conn, 0);
        return;
    }
    size_t len = evbuffer_get_length(buf);
    struct evbuffer_ptr pos;
    if (evbuffer_ptr_set(buf, &pos, len - info->n_added, EVBUFFER_PTR_SET) != 0) return;
    size_t left = info->n_added;
    while (left) {
        struct evbuffer_iovec v[4];
        int nv = evbuffer_peek(buf, (ev_ssize_t)left, &pos, v, 4);
        if (nv <= 0) return;
        if (nv > 4) nv = 4;
        size_t took = 0;
        for (int i = 0; i < nv && left; i++) {
            size_t n = v[i].iov_len < left ? v[i].iov_len : left;
            if (feed(conn, v[i].iov_base, n) != 0) return; /* input drained */
            left -= n;
            took += n;
        }
        if (left && evbuffer_ptr_set(buf, &pos, took, EVBUFFER_PTR_ADD) != 0) return;
    }
}

/* ---- life of a connection --------------------------------------------------------------- */

/* jemalloc's control interface when the binary links jemalloc (CMakeLists.txt), else NULL. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

/* Request bodies are read in small evbuffer chains. Once freed, jemalloc returns their
 * pages only as it decays dirty pages during later allocations, so an idle server would
 * keep a flood's memory; glibc keeps pages below the heap's top. After a connection that
 * read a lot closes we purge explicitly (four times a second at most). */
static void on_trim(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (mallctl) {
        mallctl("arena." HTTP_STR(HTTP_ARENAS_ALL) ".purge", NULL, NULL, NULL, 0);
        return;
    }
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static void conn_forget(struct http_conns *c, struct http_conn *conn)
{
    if (conn->bytes_in > TRIM_AFTER_BYTES && !evtimer_pending(c->trim, NULL)) {
        struct timeval tv = {TRIM_EVERY_MS / 1000, (TRIM_EVERY_MS % 1000) * 1000};
        evtimer_add(c->trim, &tv);
    }
    if (conn->fd >= 0 && (size_t)conn->fd < c->by_fd_cap && c->by_fd[conn->fd] == conn)
        c->by_fd[conn->fd] = NULL;
    if (conn->addr) addr_release(c, conn->addr);
    c->n_conns--;
    event_free(conn->timer);
    free(conn);
    /* a descriptor is about to be free: try accepting again now */
    if (c->paused && c->listener) {
        c->paused = 0;
        evtimer_del(c->retry);
        evconnlistener_enable(c->listener);
    }
}

/* evhttp frees the connection (any reason): a deferred request loses its evhttp request. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    struct http_conn *conn = arg;
    struct http_req *r = conn->current;
    if (r) {
        /* Still tied to the connection: freed with it, forget it. Detached (libevent waits
         * for our reply): stays ours, a late reply frees it. */
        if (r->req && evhttp_request_get_connection(r->req)) r->req = NULL;
        r->conn = NULL;
    }
    if (conn->input_cb) evbuffer_remove_cb_entry(bufferevent_get_input(conn->bev), conn->input_cb);
    conn_forget(conn->owner, conn);
}

static void attach(struct http_conn *conn)
{
    struct http_conns *c = conn->owner;
    void *arg = NULL;
    bufferevent_getcb(conn->bev, NULL, NULL, NULL, &arg);
    if (!arg) { /* evhttp gave up on it before we ran (bufferevent_free cleared the callbacks) */
        evbuffer_remove_cb_entry(bufferevent_get_input(conn->bev), conn->input_cb);
        bufferevent_decref(conn->bev);
        conn_forget(conn->owner, conn);
        return;
    }
    conn->evcon = arg;
    conn->fd = bufferevent_getfd(conn->bev);
    evhttp_connection_set_closecb(conn->evcon, on_close, conn);
    bufferevent_decref(conn->bev);
    if (conn->fd >= 0) {
        if ((size_t)conn->fd >= c->by_fd_cap) {
            size_t cap = c->by_fd_cap ? c->by_fd_cap : 1024;
            while (cap <= (size_t)conn->fd)
                cap *= 2;
            c->by_fd = xrealloc(c->by_fd, cap * sizeof *c->by_fd);
            memset(c->by_fd + c->by_fd_cap, 0, (cap - c->by_fd_cap) * sizeof *c->by_fd);
            c->by_fd_cap = cap;
        }
        c->by_fd[conn->fd] = conn;
    }
    conn->addr = addr_take(c, evhttp_connection_get_addr(conn->evcon));
    conn->phase = PH_OPEN;
    if (c->n_conns > c->max_conns) {
        refuse(conn, 503, "too_many_connections",
               "The server has as many connections as it accepts ([limits] max_connections); "
               "retry in a moment.");
        return;
    }
    if (c->max_per_addr > 0 && conn->addr->n > c->max_per_addr) {
        refuse(conn, 503, "too_many_connections_from_address",
               "Your address has as many open connections as the server accepts from one "
               "address ([limits] max_connections_per_address); reuse or close some.");
        return;
    }
    arm(conn, DL_HEAD);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_conn *conn = arg;
    switch (conn->phase) {
    case PH_NEW:
        attach(conn);
        return;
    case PH_LINGER:
        evhttp_connection_free(conn->evcon);
        return; /* on_close frees conn */
    case PH_OPEN:
        if (conn->pp.started == 0 && conn->deadline == DL_HEAD) {
            refuse_json(conn, 408, NULL); /* never sent a byte: just close */
            return;
        }
        refuse(conn, 408, "request_timeout",
               conn->deadline == DL_BODY
                   ? "The request body did not arrive in time ([limits] body_timeout_ms)."
                   : "The request headers did not arrive in time ([limits] header_timeout_ms).");
        return;
    }
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    struct http_conns *c = arg;
    struct http_conn *conn = xcalloc(1, sizeof *conn);
    conn->owner = c;
    conn->fd = -1;
    conn->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!conn->bev) {
        free(conn);
        return NULL; /* evhttp makes its own; that connection goes unguarded */
    }
    bufferevent_incref(conn->bev); /* valid until attach() looks at it */
    conn->input_cb = evbuffer_add_cb(bufferevent_get_input(conn->bev), on_input, conn);
    conn->timer = evtimer_new(base, on_timer, conn);
    preparse_init(&conn->pp, &c->limits);
    c->n_conns++;
    event_active(conn->timer, EV_TIMEOUT, 1);
    return conn->bev;
}

/* ---- accept failures ------------------------------------------------------------------- */

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_conns *c = arg;
    c->paused = 0;
    evconnlistener_enable(c->listener);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    (void)arg;
    int err = EVUTIL_SOCKET_ERROR();
    struct http_conns *c = registered;
    while (c && c->listener != lev)
        c = c->next_registered;
    if (!c) return;
    /* Out of descriptors (or kernel memory) the listening socket stays readable: pause. */
    evconnlistener_disable(lev);
    c->paused = 1;
    struct timeval tv = {0, HTTP_ACCEPT_RETRY_MS * 1000};
    evtimer_add(c->retry, &tv);
    int64_t now = clock_mono_ms();
    if (c->last_log_ms && now - c->last_log_ms < HTTP_ACCEPT_LOG_MS) {
        c->suppressed++;
        return;
    }
    c->last_log_ms = now;
    log_warn("accept_paused", "reason=\"%s\" connections=%ld retry_ms=%d suppressed=%ld",
             strerror(err), c->n_conns, HTTP_ACCEPT_RETRY_MS, c->suppressed);
    c->suppressed = 0;
}

/* ---- setup ---------------------------------------------------------------------------- */

struct http_conns *http_conns_new(struct event_base *base, struct evhttp *http,
                                  const struct config *cfg)
{
    struct http_conns *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->http = http;
    c->retry = evtimer_new(base, on_retry, c);
    c->trim = evtimer_new(base, on_trim, c);
    c->max_conns = cfg->max_connections;
    if (c->max_conns == 0) { /* auto: what the descriptor limit leaves after the reserve */
        struct rlimit rl;
        long nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                          ? (long)rl.rlim_cur
                          : 65536;
        c->max_conns = nofile - HTTP_CONN_FD_RESERVE;
        if (c->max_conns < 16) c->max_conns = 16;
    }
    c->max_per_addr = cfg->max_connections_per_address;
    c->head_tv.tv_sec = cfg->header_timeout_ms / 1000;
    c->head_tv.tv_usec = (cfg->header_timeout_ms % 1000) * 1000;
    c->body_tv.tv_sec = cfg->body_timeout_ms / 1000;
    c->body_tv.tv_usec = (cfg->body_timeout_ms % 1000) * 1000;
    c->limits.max_target = (size_t)cfg->max_uri_bytes;
    c->limits.max_head = (size_t)cfg->max_header_bytes;
    c->limits.max_body = cfg->max_body_bytes;
    evhttp_set_bevcb(http, make_bev, c);
    c->next_registered = registered;
    registered = c;
    log_info("http_limits",
             "max_connections=%ld max_connections_per_address=%ld header_timeout_ms=%ld "
             "body_timeout_ms=%ld max_header_bytes=%ld max_uri_bytes=%ld max_body_bytes=%ld",
             c->max_conns, c->max_per_addr, cfg->header_timeout_ms, cfg->body_timeout_ms,
             cfg->max_header_bytes, cfg->max_uri_bytes, cfg->max_body_bytes);
    return c;
}

void http_conns_listen(struct http_conns *c, struct evhttp_bound_socket *sock)
{
    c->listener = evhttp_bound_socket_get_listener(sock);
    evconnlistener_set_error_cb(c->listener, on_accept_error);
}

void http_conns_set_guard(struct http_conns *c, const char *prefix, http_guard_fn fn, void *data)
{
    free(c->guard_prefix);
    c->guard_prefix = xstrdup(prefix);
    c->guard_prefix_len = strlen(prefix);
    c->guard = fn;
    c->guard_data = data;
}

void http_conns_free(struct http_conns *c)
{
    if (!c) return;
    for (struct http_conns **pp = &registered; *pp; pp = &(*pp)->next_registered) {
        if (*pp == c) {
            *pp = c->next_registered;
            break;
        }
    }
    event_free(c->retry);
    event_free(c->trim);
    for (size_t b = 0; b < ADDR_BUCKETS; b++) {
        while (c->addrs[b]) {
            struct addr_count *a = c->addrs[b];
            c->addrs[b] = a->next;
            free(a);
        }
    }
    free(c->by_fd);
    free(c->guard_prefix);
    free(c);
}

struct http_conn *http_conns_find(struct http_conns *c, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (!evcon) return NULL;
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd < 0 || (size_t)fd >= c->by_fd_cap) return NULL;
    struct http_conn *conn = c->by_fd[fd];
    return conn && conn->evcon == evcon ? conn : NULL;
}

void http_conn_begin(struct http_conn *conn, struct http_req *r)
{
    conn->current = r;
    r->conn = conn;
}

void http_conn_end(struct http_conn *conn, struct http_req *r)
{
    if (conn->current == r) conn->current = NULL;
    r->conn = NULL;
}
