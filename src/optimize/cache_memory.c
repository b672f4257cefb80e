/* cache_memory: the in-process cache backend (see cache.h).
 *
 * The table is split into a power-of-two number of shards picked by the low bits of
 * the key's XXH3 hash; each shard is a chained hash table (buckets picked by the higher
 * bits, doubled when it holds more entries than buckets) plus a doubly linked LRU list,
 * and owns max_bytes / shards of the budget. One idea to keep in mind: every entry is
 * charged cache_memory_entry_cost() bytes, and a set first evicts from the LRU tail of
 * its own shard until the new entry fits, so the shard is never over budget, not even
 * for a moment. Expiry is lazy: an entry past its TTL is freed when a get finds it or
 * when eviction reaches it, and is counted as expired rather than evicted. */
#include "optimize/cache.h"

#include "core/clock.h"
#include "core/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define MEM_INITIAL_BUCKETS 16

struct mem_entry {
    struct mem_entry *hnext;    /* next entry in the same bucket */
    struct mem_entry *lru_prev; /* towards the most recently used end */
    struct mem_entry *lru_next; /* towards the least recently used end */
    uint64_t hash;              /* XXH3-64 of the key */
    int64_t expires_ms;         /* clock_mono_ms() at which the entry is dead */
    size_t klen;                /* key bytes, without the NUL */
    size_t vlen;                /* value bytes, without the NUL */
    size_t cost;                /* bytes charged to the shard */
    char data[];                /* key, NUL, value, NUL */
};

struct mem_shard {
    struct mem_entry **buckets; /* nbuckets chains */
    size_t nbuckets;            /* power of two */
    size_t count;               /* entries in this shard */
    size_t bytes;               /* sum of the entries' cost */
    size_t max_bytes;           /* budget: bytes never exceeds it */
    struct mem_entry *mru;      /* head of the LRU list (most recently used) */
    struct mem_entry *lru;      /* tail of the LRU list (next to evict) */
};

struct mem_cache {
    struct cache base;        /* must be first: the vtable */
    struct mem_shard *shards; /* nshards of them */
    unsigned nshards;         /* power of two */
    unsigned shard_bits;      /* log2(nshards): hash bits used to pick the shard */
    struct cache_stats st;    /* counters; gauges are summed in mem_stats() */
};

size_t cache_memory_entry_cost(size_t key_len, size_t value_len)
{
    return sizeof(struct mem_entry) + key_len + 1 + value_len + 1 + sizeof(struct mem_entry *);
}

static struct mem_cache *mem_of(struct cache *c)
{
    return (struct mem_cache *)c;
}

static int key_ok(const char *key)
{
    return key && key[0] && strlen(key) <= CACHE_KEY_MAX;
}

static uint64_t key_hash(const char *key, size_t klen)
{
    return util_xxh64(key, klen);
}

static struct mem_shard *shard_for(struct mem_cache *m, uint64_t hash)
{
    return &m->shards[hash & (m->nshards - 1)];
}

static size_t bucket_for(const struct mem_cache *m, const struct mem_shard *s, uint64_t hash)
{
    return (size_t)(hash >> m->shard_bits) & (s->nbuckets - 1);
}

static void lru_unlink(struct mem_shard *s, struct mem_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        s->mru = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        s->lru = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct mem_shard *s, struct mem_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = s->mru;
    if (s->mru) s->mru->lru_prev = e;
    s->mru = e;
    if (!s->lru) s->lru = e;
}

/* The entry for key, and in *link the pointer that points at it (for unlinking). */
static struct mem_entry *find(struct mem_cache *m, struct mem_shard *s, const char *key,
                              size_t klen, uint64_t hash, struct mem_entry ***link)
{
    struct mem_entry **pp = &s->buckets[bucket_for(m, s, hash)];
    for (; *pp; pp = &(*pp)->hnext) {
        struct mem_entry *e = *pp;
        if (e->hash == hash && e->klen == klen && memcmp(e->data, key, klen) == 0) {
            if (link) *link = pp;
            return e;
        }
    }
    return NULL;
}

/* Unlinks e from its bucket and the LRU list, uncharges it and frees it. */
static void remove_entry(struct mem_cache *m, struct mem_shard *s, struct mem_entry *e)
{
    struct mem_entry **pp = &s->buckets[bucket_for(m, s, e->hash)];
    while (*pp != e) {
        assert(*pp);
        pp = &(*pp)->hnext;
    }
    *pp = e->hnext;
    lru_unlink(s, e);
    assert(s->bytes >= e->cost && s->count > 0);
    s->bytes -= e->cost;
    s->count--;
    free(e);
}

static void grow(struct mem_cache *m, struct mem_shard *s)
{
    size_t n = s->nbuckets * 2;
    struct mem_entry **nb = xcalloc(n, sizeof *nb);
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct mem_entry *e = s->buckets[i];
        while (e) {
            struct mem_entry *next = e->hnext;
            size_t b = (size_t)(e->hash >> m->shard_bits) & (n - 1);
            e->hnext = nb[b];
            nb[b] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = nb;
    s->nbuckets = n;
}

static void mem_get(struct cache *c, const char *key, cache_get_fn cb, void *data)
{
    struct mem_cache *m = mem_of(c);
    if (!key_ok(key)) {
        m->st.misses++;
        cb(NULL, 0, data);
        return;
    }
    size_t klen = strlen(key);
    uint64_t h = key_hash(key, klen);
    struct mem_shard *s = shard_for(m, h);
    struct mem_entry *e = find(m, s, key, klen, h, NULL);
    if (e && clock_mono_ms() >= e->expires_ms) {
        remove_entry(m, s, e);
        m->st.expired++;
        e = NULL;
    }
    if (!e) {
        m->st.misses++;
        cb(NULL, 0, data);
        return;
    }
    lru_unlink(s, e);
    lru_push_front(s, e);
    m->st.hits++;
    /* Nothing below touches e: the callback may delete or overwrite it. */
    cb(e->data + e->klen + 1, e->vlen, data);
}

static enum cache_err mem_set(struct cache *c, const char *key, const void *value, size_t len,
                              int64_t ttl_ms)
{
    struct mem_cache *m = mem_of(c);
    if (!key_ok(key)) return CACHE_ERR_BAD_KEY;
    if (ttl_ms <= 0) return CACHE_ERR_BAD_TTL;
    assert(value || len == 0);
    size_t klen = strlen(key);
    uint64_t h = key_hash(key, klen);
    struct mem_shard *s = shard_for(m, h);
    /* The old value goes first, even if the new one is refused: serving it after a
     * failed overwrite would answer with data the caller meant to replace. */
    struct mem_entry *old = find(m, s, key, klen, h, NULL);
    if (old) remove_entry(m, s, old);
    size_t cost = cache_memory_entry_cost(klen, len);
    if (len > CACHE_VALUE_MAX || cost > s->max_bytes) {
        m->st.dropped++;
        return CACHE_ERR_TOO_LARGE;
    }
    int64_t now = clock_mono_ms();
    while (s->bytes + cost > s->max_bytes) {
        struct mem_entry *victim = s->lru;
        assert(victim);
        if (now >= victim->expires_ms)
            m->st.expired++;
        else
            m->st.evictions++;
        remove_entry(m, s, victim);
    }
    struct mem_entry *e = xmalloc(sizeof *e + klen + 1 + len + 1);
    e->hash = h;
    e->expires_ms = ttl_ms > INT64_MAX - now ? INT64_MAX : now + ttl_ms;
    e->klen = klen;
    e->vlen = len;
    e->cost = cost;
    memcpy(e->data, key, klen + 1);
    if (len) memcpy(e->data + klen + 1, value, len);
    e->data[klen + 1 + len] = 0;
    if (s->count + 1 > s->nbuckets) grow(m, s);
    size_t b = bucket_for(m, s, h);
    e->hnext = s->buckets[b];
    s->buckets[b] = e;
    lru_push_front(s, e);
    s->bytes += cost;
    s->count++;
    assert(s->bytes <= s->max_bytes);
    m->st.sets++;
    return CACHE_OK;
}

static enum cache_err mem_del(struct cache *c, const char *key)
{
    struct mem_cache *m = mem_of(c);
    if (!key_ok(key)) return CACHE_ERR_BAD_KEY;
    size_t klen = strlen(key);
    uint64_t h = key_hash(key, klen);
    struct mem_shard *s = shard_for(m, h);
    struct mem_entry *e = find(m, s, key, klen, h, NULL);
    if (e) remove_entry(m, s, e);
    m->st.dels++;
    return CACHE_OK;
}

static void mem_stats(struct cache *c, struct cache_stats *out)
{
    struct mem_cache *m = mem_of(c);
    *out = m->st;
    out->bytes = 0;
    out->entries = 0;
    for (unsigned i = 0; i < m->nshards; i++) {
        out->bytes += m->shards[i].bytes;
        out->entries += m->shards[i].count;
    }
    out->connected = 1;
}

static void mem_destroy(struct cache *c)
{
    struct mem_cache *m = mem_of(c);
    for (unsigned i = 0; i < m->nshards; i++) {
        struct mem_shard *s = &m->shards[i];
        struct mem_entry *e = s->mru;
        while (e) {
            struct mem_entry *next = e->lru_next;
            free(e);
            e = next;
        }
        free(s->buckets);
    }
    free(m->shards);
    free(m);
}

static const struct cache_ops mem_ops = {
    .name = "memory",
    .get = mem_get,
    .set = mem_set,
    .del = mem_del,
    .stats = mem_stats,
    .destroy = mem_destroy,
};

struct cache *cache_memory_new(size_t max_bytes, int shards)
{
    unsigned want = shards <= 0 ? CACHE_MEMORY_DEFAULT_SHARDS : (unsigned)shards;
    if (want > CACHE_MEMORY_MAX_SHARDS) want = CACHE_MEMORY_MAX_SHARDS;
    unsigned n = 1, bits = 0;
    while (n < want) {
        n <<= 1;
        bits++;
    }
    struct mem_cache *m = xcalloc(1, sizeof *m);
    m->base.ops = &mem_ops;
    m->nshards = n;
    m->shard_bits = bits;
    m->shards = xcalloc(n, sizeof *m->shards);
    for (unsigned i = 0; i < n; i++) {
        m->shards[i].nbuckets = MEM_INITIAL_BUCKETS;
        m->shards[i].buckets = xcalloc(MEM_INITIAL_BUCKETS, sizeof *m->shards[i].buckets);
        m->shards[i].max_bytes = max_bytes / n;
    }
    return &m->base;
}
