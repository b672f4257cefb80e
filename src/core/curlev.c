/* curlev: see curlev.h. */
#include "core/curlev.h"

#include "core/log.h"
#include "core/util.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdio.h>
#include <stdlib.h>

/* One socket curl asked us to watch (attached to it with curl_multi_assign). The event
 * lives inside it and is re-armed in place when curl changes what it waits for. */
struct sock {
    struct sock *prev, *next; /* in cv->socks, so curlev_free frees what curl did not */
    curl_socket_t fd;
    short kind;      /* EV_READ|EV_WRITE armed on ev; 0 while curl wants nothing */
    struct event ev; /* valid once kind was first non-zero */
};

struct curlev {
    struct event_base *base; /* borrowed */
    CURLM *multi;
    struct event *timer; /* curl's single timeout */
    struct sock *socks;
    curlev_done_fn done;
    void *data;
    char who[64];
};

/* Hands finished transfers to the owner. Runs after curl_multi_socket_action has
 * returned, so removing easy handles here is allowed. */
static void drain(struct curlev *cv)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(cv->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result; /* m is invalid after remove_handle */
        curl_multi_remove_handle(cv->multi, easy);
        cv->done(easy, rc, cv->data);
    }
}

static void act(struct curlev *cv, curl_socket_t fd, int action)
{
    int running;
    CURLMcode mc = curl_multi_socket_action(cv->multi, fd, action, &running);
    if (mc != CURLM_OK)
        log_warn("curl_multi", "owner=%s error=multi_socket_action code=%d", cv->who, (int)mc);
    drain(cv);
}

static void sock_event_cb(evutil_socket_t fd, short what, void *arg)
{
    act(arg, fd,
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0));
}

static void timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    act(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void sock_free(struct curlev *cv, struct sock *s)
{
    if (s->kind) event_del(&s->ev); /* safe even from this event's own callback */
    if (s->prev)
        s->prev->next = s->next;
    else if (cv->socks == s)
        cv->socks = s->next;
    if (s->next) s->next->prev = s->prev;
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl asks, or forget it. May run inside
 * any curl_multi_* call; it must not call libcurl back (curl_multi_assign excepted). */
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct curlev *cv = userp;
    struct sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) sock_free(cv, s);
        return 0;
    }
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->fd = fd;
        s->next = cv->socks;
        if (cv->socks) cv->socks->prev = s;
        cv->socks = s;
        curl_multi_assign(cv->multi, fd, s);
    }
    short kind =
        (short)(((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
    if (kind == s->kind) return 0;
    if (s->kind) event_del(&s->ev);
    s->kind = kind;
    if (!kind) return 0;
    if (event_assign(&s->ev, cv->base, fd, (short)(kind | EV_PERSIST), sock_event_cb, cv) < 0 ||
        event_add(&s->ev, NULL) < 0) {
        s->kind = 0;
        return -1;
    }
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 deletes the timer; 0 means "soon", which is a 0-timeout
 * event and never a direct curl_multi_socket_action (curl forbids the re-entry). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct curlev *cv = userp;
    if (timeout_ms < 0) {
        evtimer_del(cv->timer);
        return 0;
    }
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    return evtimer_add(cv->timer, &tv) < 0 ? -1 : 0;
}

struct curlev *curlev_new(struct event_base *base, const char *who, curlev_done_fn done, void *data)
{
    struct curlev *cv = xcalloc(1, sizeof *cv);
    cv->base = base;
    cv->done = done;
    cv->data = data;
    snprintf(cv->who, sizeof cv->who, "%s", who ? who : "-");
    cv->multi = curl_multi_init();
    cv->timer = evtimer_new(base, timer_event_cb, cv);
    if (!cv->multi || !cv->timer) {
        curlev_free(cv);
        return NULL;
    }
    curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, (void *)cv);
    curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, (void *)cv);
    return cv;
}

CURLM *curlev_multi(const struct curlev *cv)
{
    return cv->multi;
}

void curlev_free(struct curlev *cv)
{
    if (!cv) return;
    if (cv->multi) curl_multi_cleanup(cv->multi); /* may still call sock_cb/timer_cb */
    while (cv->socks)
        sock_free(cv, cv->socks);
    if (cv->timer) event_free(cv->timer);
    free(cv);
}
