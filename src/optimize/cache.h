/* cache: where interviewd remembers LLM results, behind one small vtable.
 *
 * A cache is a `struct cache` whose first member points at a `struct cache_ops`, the
 * way SQLite's sqlite3_vfs works: the memory backend, the Redis backend and the tiered
 * pair (memory in front of Redis) are peers, and a test can add its own. Values are
 * opaque bytes with a TTL; keys come from cache_key_for_task(), which is the only place
 * that decides what two LLM calls must have in common to share a result:
 *
 *   iv:<task>:<prompt_v>:<rubric_v>:<tier>:<scope>:<XXH3-128 hex of the FULL content>
 *
 * The content is hashed whole (the brief keyed evaluations on the first 100 characters,
 * so two answers that start alike shared a score), the scope is a candidate id for
 * anything personal (one candidate's analysis is never another's), and the key stays
 * under CACHE_KEY_MAX bytes however long the content is, so Redis never sees a
 * megabyte key.
 *
 * Callbacks. cache_get() answers through a callback exactly once per call, hit or miss.
 * The memory backend answers synchronously, before cache_get() returns; the Redis
 * backend always answers later, from the event loop (never inside cache_get()). Callers
 * must therefore be correct either way: do not touch state after cache_get() that the
 * callback may have freed. The value handed to a callback is borrowed: it is valid
 * until the callback returns, and only if the callback does not modify that cache.
 *
 * Time. TTLs are milliseconds. The memory backend reads clock_mono_ms() from
 * core/clock.h, so the simulator's virtual clock expires entries on simulated days; the
 * Redis backend leaves expiry to the server (SET ... PX ttl), which runs on real time. */
#ifndef OPTIMIZE_CACHE_H
#define OPTIMIZE_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* ---- limits (defaults documented here, used everywhere) ---- */

/* Longest key cache_key_for_task() builds: 3 + 5 parts of CACHE_KEY_PART_MAX, one scope
 * of CACHE_KEY_PART_MAX, 32 hex digits and separators fit well inside it. */
#define CACHE_KEY_MAX 512
/* Longest task, version, tier or scope string accepted in a key. */
#define CACHE_KEY_PART_MAX 64
/* Largest value any backend stores; LLM replies are a few KB, so 1 MiB is a bug guard. */
#define CACHE_VALUE_MAX (1024 * 1024)

/* ---- default TTLs per task ----
 * Taken from the brief's ExtremeCacheManager.ttls (seed/000_24271771fce49aca.txt,
 * lines 106-112), renamed to our task names; "gateway" (the OpenAI-compatible /v1
 * endpoint) gets the brief's fallback of 3600 s. follow_up is not cached at all
 * (DESIGN.md: it depends on the answer). */
#define CACHE_MS_PER_MINUTE (60LL * 1000)
#define CACHE_MS_PER_HOUR (60 * CACHE_MS_PER_MINUTE)
#define CACHE_MS_PER_DAY (24 * CACHE_MS_PER_HOUR)
#define CACHE_TTL_GREETING_MS (24 * CACHE_MS_PER_HOUR) /* brief "greeting": 86400 s */
#define CACHE_TTL_RESUME_ANALYSIS_MS                                                               \
    (7 * CACHE_MS_PER_DAY)                                  /* brief "resume_analysis": 604800 s   \
                                                             */
#define CACHE_TTL_QUESTION_GEN_MS (1 * CACHE_MS_PER_HOUR)   /* brief "question": 3600 s */
#define CACHE_TTL_EVALUATE_MS (30 * CACHE_MS_PER_MINUTE)    /* brief "response": 1800 s */
#define CACHE_TTL_EVALUATE_BATCH_MS (1 * CACHE_MS_PER_HOUR) /* brief "summary": 3600 s */
#define CACHE_TTL_SUMMARY_MS (1 * CACHE_MS_PER_HOUR)        /* brief "summary": 3600 s */
#define CACHE_TTL_GATEWAY_MS (1 * CACHE_MS_PER_HOUR)        /* brief default: 3600 s */
#define CACHE_TTL_FOLLOW_UP_MS 0                            /* never cached */

/* The default TTL for a task name ("resume_analysis", "evaluate", ...). 0 means "do
 * not cache": follow_up, and any name this table does not know. */
int64_t cache_ttl_for_task(const char *task);

/* The cache key for one LLM task (format above). Every part but the content must be 1
 * to CACHE_KEY_PART_MAX bytes of [A-Za-z0-9._-] (so no part can smuggle a ':' and make
 * two different tuples one key); scope is a candidate id, or "global" for content that
 * is the same for everyone. canonical_content is hashed in full, byte for byte: the
 * caller normalises it first (util_normalize_text) if it wants normalised sharing.
 * Returns a new string (caller frees) of at most CACHE_KEY_MAX bytes, or NULL if a part
 * is missing or not allowed. */
char *cache_key_for_task(const char *task, const char *prompt_version, const char *rubric_version,
                         const char *model_tier, const char *scope, const char *canonical_content);

/* ---- errors ---- */

enum cache_err {
    CACHE_OK = 0,
    CACHE_ERR_BAD_KEY,      /* key NULL, empty or longer than CACHE_KEY_MAX */
    CACHE_ERR_BAD_TTL,      /* ttl_ms <= 0 */
    CACHE_ERR_TOO_LARGE,    /* value over CACHE_VALUE_MAX or over a memory shard's budget */
    CACHE_ERR_DISCONNECTED, /* Redis not connected: the write was dropped */
    CACHE_ERR_BUSY,         /* Redis: CACHE_REDIS_MAX_INFLIGHT commands pending: dropped */
    CACHE_ERR_BAD_URL,      /* cache_redis_new: the URL is not redis://host[:port][/db] */
    CACHE_ERR_RESOLVE,      /* cache_redis_new: the host name does not resolve */
};
const char *cache_strerror(enum cache_err e);

/* ---- the interface ---- */

struct cache;

/* Called once per cache_get(): value is the stored bytes (len of them, followed by a
 * NUL the cache adds so text values can be used as strings), or NULL with len 0 on a
 * miss. A backend that cannot answer (disconnected, timed out) reports a miss. */
typedef void (*cache_get_fn)(const char *value, size_t len, void *data);

/* Counters since creation; gauges (bytes, entries, connected) are "now". */
struct cache_stats {
    uint64_t hits;       /* gets answered with a value */
    uint64_t misses;     /* gets answered without one, for whatever reason */
    uint64_t sets;       /* writes accepted (Redis: sent) */
    uint64_t dels;       /* deletes accepted (Redis: sent) */
    uint64_t evictions;  /* memory: live entries removed to stay under max_bytes */
    uint64_t expired;    /* memory: entries found or evicted past their TTL */
    uint64_t dropped;    /* writes refused: too large, disconnected, too busy */
    uint64_t errors;     /* Redis: error replies */
    uint64_t timeouts;   /* Redis: gets answered as misses after CACHE_REDIS_GET_TIMEOUT_MS */
    uint64_t reconnects; /* Redis: connections made after the first one */
    uint64_t bytes;      /* memory: accounted bytes held now (key + value + overhead) */
    uint64_t entries;    /* memory: entries held now (expired ones until found) */
    int connected;       /* 1 if the backend can serve now (memory: always) */
};

/* The vtable a backend fills in. All functions run on the caller's thread; none
 * blocks on the network. */
struct cache_ops {
    const char *name; /* "memory", "redis", "tiered" */
    /* Looks key up and calls cb exactly once (see "Callbacks" above). */
    void (*get)(struct cache *c, const char *key, cache_get_fn cb, void *data);
    /* Stores a copy of len bytes under key for ttl_ms, replacing any older value. */
    enum cache_err (*set)(struct cache *c, const char *key, const void *value, size_t len,
                          int64_t ttl_ms);
    /* Forgets key; deleting an absent key is CACHE_OK. */
    enum cache_err (*del)(struct cache *c, const char *key);
    void (*stats)(struct cache *c, struct cache_stats *out);
    /* Frees the cache. Gets still pending are answered as misses first. Must not be
     * called from inside one of this cache's own get callbacks. */
    void (*destroy)(struct cache *c);
};

/* The base every backend embeds as its first member. */
struct cache {
    const struct cache_ops *ops; /* the backend's functions */
};

/* Dispatch through c->ops; c must not be NULL. */
void cache_get(struct cache *c, const char *key, cache_get_fn cb, void *data);
enum cache_err cache_set(struct cache *c, const char *key, const void *value, size_t len,
                         int64_t ttl_ms);
enum cache_err cache_del(struct cache *c, const char *key);
void cache_stats(struct cache *c, struct cache_stats *out);
/* NULL is allowed and does nothing. */
void cache_destroy(struct cache *c);

/* ---- memory backend ----
 * A hash table split into shards (power of two, chosen by the key's hash), each with
 * its own LRU list and max_bytes / shards of the byte budget. Sharding keeps a table
 * resize to 1/shards of the entries, so the event loop never stalls on one big rehash;
 * LRU is exact within a shard and approximate across shards. shards <= 0 means
 * CACHE_MEMORY_DEFAULT_SHARDS; other values are rounded up to a power of two and capped
 * at CACHE_MEMORY_MAX_SHARDS. get() calls back synchronously. */
#define CACHE_MEMORY_DEFAULT_SHARDS 16
#define CACHE_MEMORY_MAX_SHARDS 1024
/* Bytes charged per entry on top of key and value: the entry header, the key's and
 * value's NULs and one bucket slot. Exposed so tests can size budgets exactly. */
size_t cache_memory_entry_cost(size_t key_len, size_t value_len);
struct cache *cache_memory_new(size_t max_bytes, int shards);

/* ---- Redis backend ----
 * hiredis' async client on the caller's libevent base: GET, SET key value PX ttl, DEL.
 * url is redis://[[user]:password@]host[:port][/db] (port 6379 and db 0 by default;
 * IPv6 hosts in brackets; no percent-decoding). The host is resolved once, here, because
 * hiredis 0.14 resolves with a blocking getaddrinfo() on every connect and a reconnect
 * loop must never stall the event loop.
 *
 * The connection is made in the background: the cache is returned at once and is usable
 * (connected) only after the loop has run. While it is not connected, get() answers a
 * miss on the next loop turn and set()/del() return CACHE_ERR_DISCONNECTED and count as
 * dropped; nothing blocks and nothing is queued. When the connection drops, pending gets
 * are answered as misses and reconnects are tried with exponential backoff between
 * CACHE_REDIS_BACKOFF_MIN_MS and CACHE_REDIS_BACKOFF_MAX_MS. A connection counts as
 * connected once TCP is up and AUTH (password in the URL) and SELECT (db other than 0)
 * have succeeded, all within CACHE_REDIS_CONNECT_TIMEOUT_MS; a refused AUTH is retried
 * on the same backoff. A get with no reply within CACHE_REDIS_GET_TIMEOUT_MS is answered
 * as a miss (the late reply is ignored).
 *
 * Ignores SIGPIPE for the process if it is still at its default: hiredis 0.14 writes
 * with write(2), and a write to a server that just died must not kill interviewd.
 *
 * Returns NULL only if the URL is bad or the host does not resolve, with a sentence in
 * err; a server that is down at start is retried like a dropped connection. */
#define CACHE_REDIS_BACKOFF_MIN_MS 100
#define CACHE_REDIS_BACKOFF_MAX_MS 2000
#define CACHE_REDIS_CONNECT_TIMEOUT_MS 1000
#define CACHE_REDIS_GET_TIMEOUT_MS 500
#define CACHE_REDIS_MAX_INFLIGHT 4096
struct cache *cache_redis_new(struct event_base *base, const char *url, char *err, size_t errlen);

/* ---- tiered ----
 * l1 (usually memory) in front of l2 (usually Redis), and it owns both: destroying the
 * tiered cache destroys them. get() tries l1, then l2; an l2 hit is copied into l1.
 * get() answers synchronously on an l1 hit and as l2 does otherwise (Redis: later).
 * set() writes both, del() deletes from both. l1 entries live at most
 * CACHE_TIERED_L1_TTL_MS: a short l1 life bounds how long a delete made through another
 * instance's Redis stays unseen here. A set gives l1 min(ttl, that); an l2 hit is copied
 * with exactly that, because a GET reply carries no TTL, so a copy can outlive its l2
 * original by at most CACHE_TIERED_L1_TTL_MS. set() returns CACHE_OK if either tier
 * stored the value.
 * stats(): hits and misses of the pair, with bytes/entries from l1 and connected from
 * l2; ask l1 and l2 themselves for their own figures. */
#define CACHE_TIERED_L1_TTL_MS (5 * CACHE_MS_PER_MINUTE)
struct cache *cache_tiered_new(struct cache *l1, struct cache *l2);

/* ---- from configuration ----
 * The cache the [cache] section asks for: backend "memory" (max_bytes, default shards),
 * "redis" (url) or "tiered" (memory of max_bytes in front of redis at url). base is
 * needed for "redis" and "tiered". Returns NULL with a sentence in err if the backend
 * name is unknown, the URL is missing or bad, or the host does not resolve. */
struct cache *cache_open(const char *backend, const char *redis_url, size_t max_bytes,
                         struct event_base *base, char *err, size_t errlen);

#endif
