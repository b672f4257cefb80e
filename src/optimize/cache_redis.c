/* cache_redis: the Redis cache backend, hiredis' async client on our libevent loop
 * (see cache.h for the contract).
 *
 * The connection is a core/redis_conn (connect, AUTH/SELECT, reconnect with exponential
 * backoff), and the one idea is that only a READY connection talks to Redis: otherwise
 * a get is answered as a miss on the next loop turn and a write is dropped, so a dead
 * Redis costs LLM calls, never a stalled loop or a growing queue.
 *
 * Every command carries a `struct redis_req` kept on an in-flight list. hiredis calls each
 * request's callback exactly once, with a NULL reply if the connection died, which is
 * how pending gets turn into misses; a get whose reply is late is answered by its own
 * timer and marked `answered`, and the late reply is then only freed. */
#include "optimize/cache.h"

#include "core/log.h"
#include "core/redis_conn.h"
#include "core/redis_url.h"
#include "core/util.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <assert.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum req_kind { REQ_GET, REQ_SET, REQ_DEL };

struct redis_cache;

/* One command sent to Redis and not yet answered by hiredis. */
struct redis_req {
    struct redis_cache *rc; /* the cache that sent it */
    enum req_kind kind;     /* what to do with the reply */
    cache_get_fn cb;        /* REQ_GET: the caller's callback */
    void *data;             /* REQ_GET: the caller's data */
    struct event *timer;    /* REQ_GET: answers a miss if the reply is late */
    int answered;           /* REQ_GET: cb has been called */
    struct redis_req *prev; /* in-flight list */
    struct redis_req *next; /* in-flight list */
};

/* A get answered as a miss on the next loop turn (never inside cache_get()). */
struct deferred_miss {
    cache_get_fn cb;            /* the caller's callback */
    void *data;                 /* the caller's data */
    struct deferred_miss *next; /* FIFO order */
};

struct redis_cache {
    struct cache base;                /* must be first: the vtable */
    struct event_base *evb;           /* the loop hiredis and our timers run on */
    struct redis_url url;             /* where Redis is, resolved at creation */
    struct redis_conn *conn;          /* the connection, kept up by core/redis_conn */
    struct event *defer_ev;           /* delivers deferred misses */
    struct deferred_miss *defer_head; /* misses waiting for defer_ev */
    struct deferred_miss *defer_tail; /* last of them, for appending */
    struct redis_req *inflight;       /* commands hiredis still owes a reply */
    size_t ninflight;                 /* length of that list */
    int ever_connected;               /* a connection was ready before (for reconnects) */
    int destroying;                   /* destroy() is answering pending gets */
    int in_callback;                  /* caller callbacks running now; destroy() needs 0 */
    struct cache_stats st;            /* counters; connected is derived from state */
};

static struct redis_cache *rc_of(struct cache *c)
{
    return (struct redis_cache *)c;
}

static int key_ok(const char *key)
{
    return key && key[0] && strlen(key) <= CACHE_KEY_MAX;
}

static struct timeval ms_tv(int64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

/* ---- callers' callbacks ---- */

static void call_back(struct redis_cache *rc, cache_get_fn cb, void *data, const char *v, size_t n)
{
    if (v)
        rc->st.hits++;
    else
        rc->st.misses++;
    rc->in_callback++;
    cb(v, n, data);
    rc->in_callback--;
}

static void on_defer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct redis_cache *rc = arg;
    /* Only the misses queued before this turn: a callback that asks again gets its
     * answer on the next turn, so a caller retrying on miss cannot spin the loop. */
    struct deferred_miss *d = rc->defer_head;
    rc->defer_head = rc->defer_tail = NULL;
    while (d) {
        struct deferred_miss *next = d->next;
        cache_get_fn cb = d->cb;
        void *data = d->data;
        free(d);
        call_back(rc, cb, data, NULL, 0);
        d = next;
    }
}

static void defer_miss(struct redis_cache *rc, cache_get_fn cb, void *data)
{
    struct deferred_miss *d = xcalloc(1, sizeof *d);
    d->cb = cb;
    d->data = data;
    if (rc->defer_tail)
        rc->defer_tail->next = d;
    else
        rc->defer_head = d;
    rc->defer_tail = d;
    if (!evtimer_pending(rc->defer_ev, NULL)) {
        struct timeval now = {0, 0};
        evtimer_add(rc->defer_ev, &now);
    }
}

/* ---- requests ---- */

static struct redis_req *req_new(struct redis_cache *rc, enum req_kind kind)
{
    struct redis_req *q = xcalloc(1, sizeof *q);
    q->rc = rc;
    q->kind = kind;
    q->next = rc->inflight;
    if (rc->inflight) rc->inflight->prev = q;
    rc->inflight = q;
    rc->ninflight++;
    return q;
}

static void req_free(struct redis_req *q)
{
    struct redis_cache *rc = q->rc;
    if (q->prev)
        q->prev->next = q->next;
    else
        rc->inflight = q->next;
    if (q->next) q->next->prev = q->prev;
    rc->ninflight--;
    if (q->timer) event_free(q->timer);
    free(q);
}

static void on_get_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct redis_req *q = arg;
    struct redis_cache *rc = q->rc;
    q->answered = 1;
    rc->st.timeouts++;
    /* q stays in flight until hiredis hands back its reply (or NULL on disconnect). */
    call_back(rc, q->cb, q->data, NULL, 0);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    struct redis_req *q = privdata;
    struct redis_cache *rc = q->rc;
    redisReply *reply = r;
    (void)ac;
    if (reply && reply->type == REDIS_REPLY_ERROR) rc->st.errors++;
    if (q->kind != REQ_GET || q->answered) {
        req_free(q);
        return;
    }
    q->answered = 1;
    cache_get_fn cb = q->cb;
    void *data = q->data;
    req_free(q);
    if (reply && reply->type == REDIS_REPLY_STRING)
        call_back(rc, cb, data, reply->str, (size_t)reply->len); /* hiredis NUL-terminates */
    else
        call_back(rc, cb, data, NULL, 0);
}

/* ---- connection ---- */

/* The connection can serve: TCP is up and AUTH/SELECT (if any) succeeded. */
static void on_ready(void *data)
{
    struct redis_cache *rc = data;
    if (rc->ever_connected) rc->st.reconnects++;
    rc->ever_connected = 1;
    log_info("cache_redis_connected", "addr=%s port=%d db=%d", rc->url.addr, rc->url.port,
             rc->url.db);
}

/* AUTH or SELECT refused: an error reply like any other, for the stats. */
static void on_refused(void *data)
{
    struct redis_cache *rc = data;
    rc->st.errors++;
}

static void on_lost(void *data, const char *why)
{
    (void)data;
    (void)why;
    /* hiredis has already answered every pending request with a NULL reply. */
    assert(((struct redis_cache *)data)->inflight == NULL);
}

/* ---- ops ---- */

static void redis_get(struct cache *c, const char *key, cache_get_fn cb, void *data)
{
    struct redis_cache *rc = rc_of(c);
    if (rc->destroying) {
        call_back(rc, cb, data, NULL, 0);
        return;
    }
    if (!key_ok(key) || !redis_conn_ready(rc->conn) || rc->ninflight >= CACHE_REDIS_MAX_INFLIGHT) {
        defer_miss(rc, cb, data);
        return;
    }
    struct redis_req *q = req_new(rc, REQ_GET);
    q->cb = cb;
    q->data = data;
    if (redisAsyncCommand(redis_conn_ac(rc->conn), on_reply, q, "GET %b", key, strlen(key)) !=
        REDIS_OK) {
        /* The context is going down (we are inside hiredis' disconnect). */
        req_free(q);
        defer_miss(rc, cb, data);
        return;
    }
    q->timer = evtimer_new(rc->evb, on_get_timeout, q);
    struct timeval tv = ms_tv(CACHE_REDIS_GET_TIMEOUT_MS);
    evtimer_add(q->timer, &tv);
}

/* Common checks for set and del; CACHE_OK if the command may be sent. */
static enum cache_err can_write(struct redis_cache *rc)
{
    if (rc->destroying || !redis_conn_ready(rc->conn)) return CACHE_ERR_DISCONNECTED;
    if (rc->ninflight >= CACHE_REDIS_MAX_INFLIGHT) return CACHE_ERR_BUSY;
    return CACHE_OK;
}

static enum cache_err redis_set(struct cache *c, const char *key, const void *value, size_t len,
                                int64_t ttl_ms)
{
    struct redis_cache *rc = rc_of(c);
    if (!key_ok(key)) return CACHE_ERR_BAD_KEY;
    if (ttl_ms <= 0) return CACHE_ERR_BAD_TTL;
    assert(value || len == 0);
    enum cache_err e = len > CACHE_VALUE_MAX ? CACHE_ERR_TOO_LARGE : can_write(rc);
    if (e != CACHE_OK) {
        rc->st.dropped++;
        return e;
    }
    struct redis_req *q = req_new(rc, REQ_SET);
    if (redisAsyncCommand(redis_conn_ac(rc->conn), on_reply, q, "SET %b %b PX %lld", key,
                          strlen(key), value ? value : "", len, (long long)ttl_ms) != REDIS_OK) {
        req_free(q);
        rc->st.dropped++;
        return CACHE_ERR_DISCONNECTED;
    }
    rc->st.sets++;
    return CACHE_OK;
}

static enum cache_err redis_del(struct cache *c, const char *key)
{
    struct redis_cache *rc = rc_of(c);
    if (!key_ok(key)) return CACHE_ERR_BAD_KEY;
    enum cache_err e = can_write(rc);
    if (e != CACHE_OK) {
        rc->st.dropped++;
        return e;
    }
    struct redis_req *q = req_new(rc, REQ_DEL);
    if (redisAsyncCommand(redis_conn_ac(rc->conn), on_reply, q, "DEL %b", key, strlen(key)) !=
        REDIS_OK) {
        req_free(q);
        rc->st.dropped++;
        return CACHE_ERR_DISCONNECTED;
    }
    rc->st.dels++;
    return CACHE_OK;
}

static void redis_stats(struct cache *c, struct cache_stats *out)
{
    struct redis_cache *rc = rc_of(c);
    *out = rc->st;
    out->connected = redis_conn_ready(rc->conn);
}

static void redis_destroy(struct cache *c)
{
    struct redis_cache *rc = rc_of(c);
    assert(rc->in_callback == 0 && "cache_destroy() called from its own get callback");
    rc->destroying = 1;
    /* Every get is answered exactly once: deferred misses, then gets in flight. */
    while (rc->defer_head)
        on_defer(-1, 0, rc);
    for (struct redis_req *q = rc->inflight; q; q = q->next) {
        if (q->kind != REQ_GET || q->answered) continue;
        q->answered = 1;
        call_back(rc, q->cb, q->data, NULL, 0);
    }
    redis_conn_free(rc->conn); /* runs on_reply(NULL) for each request, freeing it */
    assert(rc->inflight == NULL && rc->ninflight == 0);
    event_free(rc->defer_ev);
    redis_url_clear(&rc->url);
    free(rc);
}

static const struct cache_ops redis_ops = {
    .name = "redis",
    .get = redis_get,
    .set = redis_set,
    .del = redis_del,
    .stats = redis_stats,
    .destroy = redis_destroy,
};

/* ---- creation ---- */

static void set_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
    if (err && errlen) snprintf(err, errlen, fmt, arg);
}

struct cache *cache_redis_new(struct event_base *base, const char *url, char *err, size_t errlen)
{
    assert(base);
    if (err && errlen) err[0] = 0;
    /* the same URL rules and one-time resolution as every Redis client here */
    struct redis_url u = {0};
    char why[256];
    if (redis_url_parse(url, "[cache] redis_url", &u, why, sizeof why) != 0) {
        redis_url_clear(&u);
        set_err(err, errlen, "%s", why);
        return NULL;
    }

    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);

    struct redis_cache *rc = xcalloc(1, sizeof *rc);
    rc->base.ops = &redis_ops;
    rc->evb = base;
    rc->url = u; /* ownership of its strings moves to rc */
    rc->defer_ev = evtimer_new(base, on_defer, rc);
    if (!rc->defer_ev) abort();
    const struct redis_conn_cfg cfg = {
        .name = "cache_redis",
        .url = &rc->url,
        .connect_timeout_ms = CACHE_REDIS_CONNECT_TIMEOUT_MS,
        .backoff_min_ms = CACHE_REDIS_BACKOFF_MIN_MS,
        .backoff_max_ms = CACHE_REDIS_BACKOFF_MAX_MS,
        .ready = on_ready,
        .lost = on_lost,
        .refused = on_refused,
        .data = rc,
    };
    rc->conn = redis_conn_new(base, &cfg);
    return &rc->base;
}
