/* redis_conn: connect, AUTH/SELECT, deadline and reconnect with backoff for one hiredis
 * async connection; see redis_conn.h.
 *
 * AUTH and SELECT are ours: their replies come to on_setup_reply() with the conn as
 * privdata, so the client's request lists never see them. Everything that ends an
 * attempt or a connection goes through attempt_failed() (not READY yet) or
 * connection_lost() (READY), which own the logging and the retry timer. */
#include "core/redis_conn.h"

#include "core/log.h"
#include "core/redis_url.h"
#include "core/timer.h"
#include "core/util.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

enum conn_state { RC_DISCONNECTED, RC_CONNECTING, RC_READY };

struct redis_conn {
    struct redis_conn_cfg cfg;   /* as given to redis_conn_new */
    struct event_base *base;     /* the loop hiredis and the timers run on */
    redisAsyncContext *ac;       /* the connection; NULL while DISCONNECTED */
    enum conn_state state;       /* see redis_conn.h */
    int setup_pending;           /* setup replies awaited before READY; -1: refused */
    int failures_logged;         /* failures logged since the last READY connection */
    int freeing;                 /* redis_conn_free is running */
    int64_t backoff_ms;          /* wait before the next connect attempt */
    struct timer *retry_timer;   /* starts the next connect attempt */
    struct timer *connect_timer; /* abandons a connect or setup taking too long */
    char ev_failed[64];          /* log event names, from cfg.name */
    char ev_setup[64];
    char ev_lost[64];
};

static void schedule_retry(struct redis_conn *c)
{
    timer_start(c->retry_timer, c->backoff_ms);
    c->backoff_ms *= 2;
    if (c->backoff_ms > c->cfg.backoff_max_ms) c->backoff_ms = c->cfg.backoff_max_ms;
}

/* An attempt ended before READY; hiredis frees or has freed its context. */
static void attempt_failed(struct redis_conn *c, const char *why)
{
    c->ac = NULL;
    c->state = RC_DISCONNECTED;
    timer_stop(c->connect_timer);
    /* One line per outage, not one per attempt. */
    if (!c->failures_logged++)
        log_warn(c->ev_failed, "addr=%s port=%d error=\"%s\" retry_ms=%lld", c->cfg.url->addr,
                 c->cfg.url->port, why ? why : "unknown", (long long)c->backoff_ms);
    schedule_retry(c);
}

/* A READY connection is gone; the client hears of it after the retry is scheduled. */
static void connection_lost(struct redis_conn *c, const char *why)
{
    c->ac = NULL;
    c->state = RC_DISCONNECTED;
    log_warn(c->ev_lost, "addr=%s port=%d error=\"%s\" retry_ms=%lld", c->cfg.url->addr,
             c->cfg.url->port, why, (long long)c->backoff_ms);
    c->failures_logged = 1;
    schedule_retry(c);
    if (c->cfg.lost) c->cfg.lost(c->cfg.data, why);
}

/* The connection can serve. Only now is the backoff reset (see redis_conn.h). */
static void connection_ready(struct redis_conn *c)
{
    timer_stop(c->connect_timer);
    c->state = RC_READY;
    c->backoff_ms = c->cfg.backoff_min_ms;
    c->failures_logged = 0;
    if (c->cfg.ready) c->cfg.ready(c->cfg.data);
}

void redis_conn_setup_done(struct redis_conn *c)
{
    if (c->state == RC_CONNECTING && c->setup_pending > 0 && --c->setup_pending == 0)
        connection_ready(c);
}

void redis_conn_setup_failed(struct redis_conn *c, const char *reply, int len)
{
    if (!c->failures_logged++)
        log_error(c->ev_setup, "addr=%s port=%d reply=\"%.*s\"", c->cfg.url->addr, c->cfg.url->port,
                  reply ? (len > 200 ? 200 : len) : 0, reply ? reply : "");
    c->setup_pending = -1; /* never becomes READY; the backoff spaces the attempts */
    if (c->ac) redisAsyncDisconnect(c->ac);
}

static void on_setup_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)ac;
    struct redis_conn *c = privdata;
    redisReply *reply = r;
    if (!reply || c->freeing) return; /* the connection went; its disconnect decides */
    if (reply->type == REDIS_REPLY_ERROR) {
        if (c->cfg.refused) c->cfg.refused(c->cfg.data);
        redis_conn_setup_failed(c, reply->str, (int)reply->len);
    } else
        redis_conn_setup_done(c);
}

/* Sends AUTH and SELECT as the URL asks, then the client's setup. */
static void send_setup(struct redis_conn *c)
{
    const struct redis_url *u = c->cfg.url;
    c->setup_pending = 1; /* held until everything is sent: no READY half-way */
    if (u->password) {
        int ok = u->user ? redisAsyncCommand(c->ac, on_setup_reply, c, "AUTH %s %s", u->user,
                                             u->password)
                         : redisAsyncCommand(c->ac, on_setup_reply, c, "AUTH %s", u->password);
        if (ok == REDIS_OK) c->setup_pending++;
    }
    if (u->db && redisAsyncCommand(c->ac, on_setup_reply, c, "SELECT %d", u->db) == REDIS_OK)
        c->setup_pending++;
    if (c->cfg.setup) c->setup_pending += c->cfg.setup(c->cfg.data, c->ac);
    redis_conn_setup_done(c);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    struct redis_conn *c = cac->data;
    if (!c) return;
    if (status != REDIS_OK) {
        attempt_failed(c, cac->errstr); /* hiredis frees the context after this */
        return;
    }
    send_setup(c); /* still CONNECTING, under connect_timer, until the setup answers */
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
    struct redis_conn *c = cac->data;
    if (!c) return; /* our own redisAsyncFree() */
    if (c->state != RC_READY) {
        /* Lost during setup: a failed attempt, not an outage of a good connection. */
        attempt_failed(c, cac->errstr ? cac->errstr : "closed during setup");
        return;
    }
    connection_lost(c, status == REDIS_OK ? "closed" : (cac->errstr ? cac->errstr : "unknown"));
}

void redis_conn_drop(struct redis_conn *c, const char *why)
{
    redisAsyncContext *ac = c->ac;
    int was_ready = c->state == RC_READY;
    c->ac = NULL;
    c->state = RC_DISCONNECTED;
    if (ac) {
        ac->data = NULL; /* no disconnect callback: we decide here */
        redisAsyncFree(ac);
    }
    timer_stop(c->connect_timer);
    if (was_ready)
        connection_lost(c, why);
    else
        attempt_failed(c, why);
}

static void on_connect_timeout(void *arg)
{
    struct redis_conn *c = arg;
    if (c->state == RC_CONNECTING && c->ac) redis_conn_drop(c, "connect or setup timed out");
}

static void start_connect(struct redis_conn *c)
{
    assert(c->ac == NULL);
    redisAsyncContext *ac = redisAsyncConnect(c->cfg.url->addr, c->cfg.url->port);
    if (!ac) {
        attempt_failed(c, "out of memory");
        return;
    }
    if (ac->err) {
        char why[128];
        snprintf(why, sizeof why, "%s", ac->errstr);
        redisAsyncFree(ac);
        attempt_failed(c, why);
        return;
    }
    ac->data = c;
    if (redisLibeventAttach(ac, c->base) != REDIS_OK) {
        ac->data = NULL;
        redisAsyncFree(ac);
        attempt_failed(c, "cannot attach to the event loop");
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    c->ac = ac;
    c->state = RC_CONNECTING;
    timer_start(c->connect_timer, c->cfg.connect_timeout_ms);
}

static void on_retry(void *arg)
{
    struct redis_conn *c = arg;
    if (c->state == RC_DISCONNECTED && !c->ac) start_connect(c);
}

struct redis_conn *redis_conn_new(struct event_base *base, const struct redis_conn_cfg *cfg)
{
    assert(base && cfg && cfg->name && cfg->url);
    struct redis_conn *c = xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    c->base = base;
    c->backoff_ms = cfg->backoff_min_ms;
    snprintf(c->ev_failed, sizeof c->ev_failed, "%s_connect_failed", cfg->name);
    snprintf(c->ev_setup, sizeof c->ev_setup, "%s_setup_failed", cfg->name);
    snprintf(c->ev_lost, sizeof c->ev_lost, "%s_disconnected", cfg->name);
    c->retry_timer = timer_new(base, on_retry, c);
    c->connect_timer = timer_new(base, on_connect_timeout, c);
    if (!c->retry_timer || !c->connect_timer) abort();
    start_connect(c);
    return c;
}

void redis_conn_free(struct redis_conn *c)
{
    if (!c) return;
    c->freeing = 1;
    if (c->ac) {
        redisAsyncContext *ac = c->ac;
        c->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac); /* every pending callback runs once, with a NULL reply */
    }
    timer_free(c->retry_timer);
    timer_free(c->connect_timer);
    free(c);
}

int redis_conn_ready(const struct redis_conn *c)
{
    return c->state == RC_READY;
}

struct redisAsyncContext *redis_conn_ac(const struct redis_conn *c)
{
    return c->ac;
}
