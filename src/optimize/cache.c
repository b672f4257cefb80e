/* cache: keys, default TTLs and vtable dispatch; the backends live in cache_memory.c,
 * cache_redis.c and cache_tiered.c (see cache.h).
 *
 * The one idea: a key is the full tuple that decides whether two calls may share a
 * result, with the content reduced to a 128-bit hash of all of it. Parts are restricted
 * to a safe alphabet so "a:b"+"c" and "a"+"b:c" can never meet in one key. */
#include "optimize/cache.h"

#include "core/util.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *task; /* task name as in llm/task.c, plus "greeting" and "gateway" */
    int64_t ttl_ms;   /* default TTL; 0 = never cached */
} task_ttls[] = {
    /* clang-format off */
    {"greeting", CACHE_TTL_GREETING_MS},
    {"resume_analysis", CACHE_TTL_RESUME_ANALYSIS_MS},
    {"question_gen", CACHE_TTL_QUESTION_GEN_MS},
    {"follow_up", CACHE_TTL_FOLLOW_UP_MS},
    {"evaluate", CACHE_TTL_EVALUATE_MS},
    {"evaluate_batch", CACHE_TTL_EVALUATE_BATCH_MS},
    {"summary", CACHE_TTL_SUMMARY_MS},
    {"gateway", CACHE_TTL_GATEWAY_MS},
    /* clang-format on */
};

int64_t cache_ttl_for_task(const char *task)
{
    if (!task) return 0;
    for (size_t i = 0; i < ARRAY_LEN(task_ttls); i++)
        if (strcmp(task_ttls[i].task, task) == 0) return task_ttls[i].ttl_ms;
    return 0;
}

/* 1 if s is 1..CACHE_KEY_PART_MAX bytes of [A-Za-z0-9._-]. */
static int part_ok(const char *s)
{
    if (!s || !*s) return 0;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char ch = (unsigned char)s[n];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        if (!ok || n >= CACHE_KEY_PART_MAX) return 0;
    }
    return 1;
}

char *cache_key_for_task(const char *task, const char *prompt_version, const char *rubric_version,
                         const char *model_tier, const char *scope, const char *canonical_content)
{
    if (!part_ok(task) || !part_ok(prompt_version) || !part_ok(rubric_version) ||
        !part_ok(model_tier) || !part_ok(scope) || !canonical_content)
        return NULL;
    char hex[33];
    util_xxh128_hex(canonical_content, strlen(canonical_content), hex);
    struct sbuf b = {0};
    const char *parts[] = {task, prompt_version, rubric_version, model_tier, scope, hex};
    sbuf_puts(&b, "iv");
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        sbuf_puts(&b, ":");
        sbuf_puts(&b, parts[i]);
    }
    assert(b.len <= CACHE_KEY_MAX);
    return sbuf_take(&b);
}

const char *cache_strerror(enum cache_err e)
{
    switch (e) {
    case CACHE_OK:
        return "ok";
    case CACHE_ERR_BAD_KEY:
        return "cache key is empty or longer than CACHE_KEY_MAX";
    case CACHE_ERR_BAD_TTL:
        return "cache TTL must be a positive number of milliseconds";
    case CACHE_ERR_TOO_LARGE:
        return "value is larger than the cache accepts";
    case CACHE_ERR_DISCONNECTED:
        return "cache server is not connected; the write was dropped";
    case CACHE_ERR_BUSY:
        return "too many cache commands in flight; the write was dropped";
    case CACHE_ERR_BAD_URL:
        return "cache URL must look like redis://host:port/db";
    case CACHE_ERR_RESOLVE:
        return "cache server host name does not resolve";
    }
    return "unknown cache error";
}

void cache_get(struct cache *c, const char *key, cache_get_fn cb, void *data)
{
    assert(c && c->ops && cb);
    c->ops->get(c, key, cb, data);
}

enum cache_err cache_set(struct cache *c, const char *key, const void *value, size_t len,
                         int64_t ttl_ms)
{
    assert(c && c->ops);
    return c->ops->set(c, key, value, len, ttl_ms);
}

enum cache_err cache_del(struct cache *c, const char *key)
{
    assert(c && c->ops);
    return c->ops->del(c, key);
}

void cache_stats(struct cache *c, struct cache_stats *out)
{
    assert(c && c->ops && out);
    memset(out, 0, sizeof *out);
    c->ops->stats(c, out);
}

void cache_destroy(struct cache *c)
{
    if (c) c->ops->destroy(c);
}

struct cache *cache_open(const char *backend, const char *redis_url, size_t max_bytes,
                         struct event_base *base, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (backend && strcmp(backend, "memory") == 0) return cache_memory_new(max_bytes, 0);
    int redis = backend && strcmp(backend, "redis") == 0;
    int tiered = backend && strcmp(backend, "tiered") == 0;
    if (!redis && !tiered) {
        if (err && errlen)
            snprintf(err, errlen, "[cache] backend \"%s\" is not memory, redis or tiered",
                     backend ? backend : "");
        return NULL;
    }
    if (!redis_url || !redis_url[0] || !base) {
        if (err && errlen)
            snprintf(err, errlen, "[cache] backend %s needs redis_url (redis://host:port/db)",
                     backend);
        return NULL;
    }
    struct cache *r = cache_redis_new(base, redis_url, err, errlen);
    if (!r || redis) return r;
    return cache_tiered_new(cache_memory_new(max_bytes, 0), r);
}
