/* flight: single-flight coalescing of identical LLM calls (see flight.h).
 *
 * A chained hash table (XXH3-64 of the key, doubled when it holds more flights than
 * buckets) maps a key to its flight; a flight is the key plus a FIFO of callers, the
 * leader first. The one idea: flight_finish() unlinks the flight from the table before
 * it calls anyone, so whatever the callbacks do (join the same key, finish another) acts
 * on the table as if this flight were already gone. */
#include "optimize/flight.h"

#include "core/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define FLIGHT_INITIAL_BUCKETS 16

struct flight_caller {
    flight_done_fn cb;          /* called once with the result */
    void *data;                 /* the caller's data */
    struct flight_caller *next; /* join order */
};

struct flight {
    struct flight *hnext;       /* next flight in the same bucket */
    uint64_t hash;              /* XXH3-64 of key */
    size_t count;               /* callers queued, the leader included */
    struct flight_caller *head; /* the leader */
    struct flight_caller *tail; /* the latest waiter, for appending */
    char key[];                 /* NUL-terminated */
};

struct flight_group {
    struct flight **buckets; /* nbuckets chains */
    size_t nbuckets;         /* power of two */
    size_t nflights;         /* flights in the table */
    int dispatching;         /* callbacks running now (free() must not run then) */
    int closing;             /* flight_group_free() in progress: joins are refused */
    struct flight_stats st;  /* counters; inflight is nflights */
};

struct flight_group *flight_group_new(void)
{
    struct flight_group *g = xcalloc(1, sizeof *g);
    g->nbuckets = FLIGHT_INITIAL_BUCKETS;
    g->buckets = xcalloc(g->nbuckets, sizeof *g->buckets);
    return g;
}

static struct flight **slot_for(const struct flight_group *g, const char *key, size_t klen,
                                uint64_t hash)
{
    struct flight **pp = &g->buckets[hash & (g->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->hnext)
        if ((*pp)->hash == hash && strncmp((*pp)->key, key, klen + 1) == 0) break;
    return pp; /* points at the flight, or at the NULL ending the chain */
}

static void grow(struct flight_group *g)
{
    size_t n = g->nbuckets * 2;
    struct flight **nb = xcalloc(n, sizeof *nb);
    for (size_t i = 0; i < g->nbuckets; i++) {
        struct flight *f = g->buckets[i];
        while (f) {
            struct flight *next = f->hnext;
            f->hnext = nb[f->hash & (n - 1)];
            nb[f->hash & (n - 1)] = f;
            f = next;
        }
    }
    free(g->buckets);
    g->buckets = nb;
    g->nbuckets = n;
}

static void add_caller(struct flight *f, flight_done_fn cb, void *data)
{
    struct flight_caller *c = xcalloc(1, sizeof *c);
    c->cb = cb;
    c->data = data;
    if (f->tail)
        f->tail->next = c;
    else
        f->head = c;
    f->tail = c;
    f->count++;
}

enum flight_role flight_join(struct flight_group *g, const char *key, flight_done_fn cb, void *data)
{
    assert(g && cb);
    size_t klen = key ? strlen(key) : 0;
    if (g->closing || klen == 0 || klen > FLIGHT_KEY_MAX) {
        g->st.full++;
        return FLIGHT_FULL;
    }
    uint64_t h = util_xxh64(key, klen);
    struct flight **pp = slot_for(g, key, klen, h);
    if (*pp) {
        struct flight *f = *pp;
        if (f->count - 1 >= FLIGHT_MAX_WAITERS) {
            g->st.full++;
            return FLIGHT_FULL;
        }
        add_caller(f, cb, data);
        g->st.waiters++;
        return FLIGHT_WAITER;
    }
    struct flight *f = xcalloc(1, sizeof *f + klen + 1);
    f->hash = h;
    memcpy(f->key, key, klen + 1);
    add_caller(f, cb, data);
    if (g->nflights + 1 > g->nbuckets) {
        grow(g);
        pp = slot_for(g, key, klen, h);
    }
    *pp = f;
    g->nflights++;
    g->st.leaders++;
    return FLIGHT_LEADER;
}

/* Calls f's callers with result in join order and frees f; f is already unlinked. */
static void deliver(struct flight_group *g, struct flight *f, const char *result, size_t len)
{
    struct flight_caller *c = f->head;
    free(f);
    g->dispatching++;
    while (c) {
        struct flight_caller *next = c->next;
        flight_done_fn cb = c->cb;
        void *data = c->data;
        free(c);
        cb(result, result ? len : 0, data);
        c = next;
    }
    g->dispatching--;
}

void flight_finish(struct flight_group *g, const char *key, const char *result, size_t len)
{
    assert(g);
    if (!key) return;
    size_t klen = strlen(key);
    uint64_t h = util_xxh64(key, klen);
    struct flight **pp = slot_for(g, key, klen, h);
    struct flight *f = *pp;
    if (!f) return;
    *pp = f->hnext;
    g->nflights--;
    if (!result) g->st.errors++;
    deliver(g, f, result, len);
}

size_t flight_waiting(const struct flight_group *g, const char *key)
{
    if (!key) return 0;
    size_t klen = strlen(key);
    struct flight *f = *slot_for(g, key, klen, util_xxh64(key, klen));
    return f ? f->count : 0;
}

void flight_stats(const struct flight_group *g, struct flight_stats *out)
{
    *out = g->st;
    out->inflight = g->nflights;
}

void flight_group_free(struct flight_group *g)
{
    if (!g) return;
    assert(g->dispatching == 0 && "flight_group_free() called from a flight callback");
    g->closing = 1;
    for (size_t i = 0; i < g->nbuckets; i++) {
        while (g->buckets[i]) {
            struct flight *f = g->buckets[i];
            g->buckets[i] = f->hnext;
            g->nflights--;
            g->st.errors++;
            deliver(g, f, NULL, 0);
        }
    }
    assert(g->nflights == 0);
    free(g->buckets);
    free(g);
}
