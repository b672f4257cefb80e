/* cache_tiered: a fast cache (L1, in process) in front of a shared one (L2, Redis), as
 * one `struct cache` (see cache.h).
 *
 * The one idea: L1 is only ever a short-lived copy of L2. Reads fall through L1 to L2
 * and copy L2 hits back into L1; writes go to both; and no L1 entry lives longer than
 * CACHE_TIERED_L1_TTL_MS, so another instance's delete in Redis is seen here within that
 * time even though nothing tells L1 about it. */
#include "optimize/cache.h"

#include "core/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct tiered_cache {
    struct cache base; /* must be first: the vtable */
    struct cache *l1;  /* owned; answers first */
    struct cache *l2;  /* owned; answers L1's misses */
    uint64_t hits;     /* gets answered by either tier */
    uint64_t misses;   /* gets neither tier could answer */
    uint64_t sets;     /* sets at least one tier accepted */
    uint64_t dels;     /* deletes passed to both tiers */
    uint64_t dropped;  /* sets neither tier accepted */
};

/* One get travelling through the tiers. */
struct tiered_get {
    struct tiered_cache *t; /* the pair */
    char *key;              /* copy: L2 answers after the caller's key may be gone */
    cache_get_fn cb;        /* the caller's callback */
    void *data;             /* the caller's data */
};

static struct tiered_cache *t_of(struct cache *c)
{
    return (struct tiered_cache *)c;
}

static int64_t l1_ttl(int64_t ttl_ms)
{
    return ttl_ms < CACHE_TIERED_L1_TTL_MS ? ttl_ms : CACHE_TIERED_L1_TTL_MS;
}

static void finish(struct tiered_get *g, const char *value, size_t len)
{
    cache_get_fn cb = g->cb;
    void *data = g->data;
    if (value)
        g->t->hits++;
    else
        g->t->misses++;
    free(g->key);
    free(g);
    cb(value, len, data);
}

static void on_l2(const char *value, size_t len, void *arg)
{
    struct tiered_get *g = arg;
    if (value) cache_set(g->t->l1, g->key, value, len, CACHE_TIERED_L1_TTL_MS);
    finish(g, value, len);
}

static void on_l1(const char *value, size_t len, void *arg)
{
    struct tiered_get *g = arg;
    if (value) {
        finish(g, value, len);
        return;
    }
    cache_get(g->t->l2, g->key, on_l2, g);
}

static void tiered_get(struct cache *c, const char *key, cache_get_fn cb, void *data)
{
    struct tiered_cache *t = t_of(c);
    struct tiered_get *g = xcalloc(1, sizeof *g);
    g->t = t;
    g->key = key ? xstrdup(key) : NULL;
    g->cb = cb;
    g->data = data;
    cache_get(t->l1, g->key, on_l1, g);
}

static enum cache_err tiered_set(struct cache *c, const char *key, const void *value, size_t len,
                                 int64_t ttl_ms)
{
    struct tiered_cache *t = t_of(c);
    if (ttl_ms <= 0) return CACHE_ERR_BAD_TTL;
    enum cache_err e1 = cache_set(t->l1, key, value, len, l1_ttl(ttl_ms));
    enum cache_err e2 = cache_set(t->l2, key, value, len, ttl_ms);
    if (e1 == CACHE_OK || e2 == CACHE_OK) {
        t->sets++;
        return CACHE_OK;
    }
    t->dropped++;
    return e1;
}

static enum cache_err tiered_del(struct cache *c, const char *key)
{
    struct tiered_cache *t = t_of(c);
    enum cache_err e1 = cache_del(t->l1, key);
    enum cache_err e2 = cache_del(t->l2, key);
    t->dels++;
    return e1 != CACHE_OK ? e1 : e2;
}

static void tiered_stats(struct cache *c, struct cache_stats *out)
{
    struct tiered_cache *t = t_of(c);
    struct cache_stats s1, s2;
    cache_stats(t->l1, &s1);
    cache_stats(t->l2, &s2);
    out->hits = t->hits;
    out->misses = t->misses;
    out->sets = t->sets;
    out->dels = t->dels;
    out->dropped = t->dropped;
    out->evictions = s1.evictions;
    out->expired = s1.expired;
    out->errors = s2.errors;
    out->timeouts = s2.timeouts;
    out->reconnects = s2.reconnects;
    out->bytes = s1.bytes;
    out->entries = s1.entries;
    out->connected = s2.connected;
}

static void tiered_destroy(struct cache *c)
{
    struct tiered_cache *t = t_of(c);
    /* L2 first: its pending gets come back through on_l2, which still writes into L1. */
    cache_destroy(t->l2);
    cache_destroy(t->l1);
    free(t);
}

static const struct cache_ops tiered_ops = {
    .name = "tiered",
    .get = tiered_get,
    .set = tiered_set,
    .del = tiered_del,
    .stats = tiered_stats,
    .destroy = tiered_destroy,
};

struct cache *cache_tiered_new(struct cache *l1, struct cache *l2)
{
    assert(l1 && l2 && l1 != l2);
    struct tiered_cache *t = xcalloc(1, sizeof *t);
    t->base.ops = &tiered_ops;
    t->l1 = l1;
    t->l2 = l2;
    return &t->base;
}
