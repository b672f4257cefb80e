/* redis_conn: one hiredis async connection to Redis on the event loop that keeps itself
 * up, for every hiredis client here (optimize/cache_redis, llm/quota_share's two).
 *
 * A small state machine, DISCONNECTED -> CONNECTING -> READY. CONNECTING covers the TCP
 * connect, AUTH and SELECT (from the URL) and the client's own setup commands, all under
 * one deadline; only READY may carry the client's traffic. A failed attempt or a lost
 * connection goes back to DISCONNECTED and a timer retries after the backoff, which
 * doubles up to its maximum and is reset only when a connection becomes READY: a server
 * that accepts and then refuses AUTH is retried at the slow end, not ten times a second.
 * One log line per outage, not one per attempt.
 *
 * hiredis answers every command exactly once, with a NULL reply when the connection
 * goes; the client's callbacks see that as they always did. */
#ifndef CORE_REDIS_CONN_H
#define CORE_REDIS_CONN_H

#include <stdint.h>

struct event_base;
struct redis_url;
struct redisAsyncContext;
struct redis_conn;

struct redis_conn_cfg {
    const char *name;            /* log event prefix: <name>_connect_failed, ... */
    const struct redis_url *url; /* where, AUTH and SELECT; must outlive the conn */
    int64_t connect_timeout_ms;  /* connect and every setup reply within this */
    int64_t backoff_min_ms;      /* first retry after a failure ... */
    int64_t backoff_max_ms;      /* ... doubling up to this */
    /* The TCP connection is up and AUTH/SELECT are sent: send the client's own setup
     * commands on ac (their replies go to the client's callbacks) and return how many
     * must answer, each with redis_conn_setup_done(), before READY. NULL: none. */
    int (*setup)(void *data, struct redisAsyncContext *ac);
    void (*ready)(void *data);                 /* the connection became READY */
    void (*lost)(void *data, const char *why); /* a READY connection went away */
    void (*refused)(void *data);               /* Redis refused our AUTH or SELECT */
    void *data;                                /* passed to the callbacks above */
};

/* Starts connecting at once. cfg is copied; aborts when out of memory. */
struct redis_conn *redis_conn_new(struct event_base *base, const struct redis_conn_cfg *cfg);
/* Closes the connection (every pending command's callback runs with a NULL reply, while
 * the client is still there) and frees c. NULL is fine. */
void redis_conn_free(struct redis_conn *c);

/* 1 while READY. */
int redis_conn_ready(const struct redis_conn *c);
/* The hiredis context while CONNECTING or READY, else NULL. */
struct redisAsyncContext *redis_conn_ac(const struct redis_conn *c);

/* One of the client's setup commands answered well; the last one makes the conn READY. */
void redis_conn_setup_done(struct redis_conn *c);
/* A setup command was refused (reply: Redis' error text, may be NULL): logged once per
 * outage, and the connection is dropped and retried after the backoff. */
void redis_conn_setup_failed(struct redis_conn *c, const char *reply, int len);
/* Drops the connection from our side (a hung server), then retries after the backoff. */
void redis_conn_drop(struct redis_conn *c, const char *why);

#endif
