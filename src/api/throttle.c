/* throttle: see throttle.h. Open addressing over a power-of-two table keyed by the
 * XXH3 of "action|key"; a sweep rebuilds the table without the buckets that have
 * refilled, which is cheap next to the hour they took to refill. */
#include "api/throttle.h"

#include "core/log.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_SIZE (THROTTLE_MAX_KEYS * 2) /* load stays at or under one half */

struct bucket {
    uint64_t key;    /* XXH3 of the key text; 0 = empty slot */
    double tokens;   /* left, at last_ms */
    int64_t last_ms; /* when tokens was computed */
    long capacity;   /* the allowance it was made with (full = forgettable) */
};

struct throttle {
    struct bucket *slots; /* TABLE_SIZE */
    size_t used;
    int64_t last_full_log_ms;
    int64_t last_sweep_ms; /* at most one sweep a second, even under a flood */
};

struct throttle *throttle_new(void)
{
    struct throttle *t = xcalloc(1, sizeof *t);
    t->slots = xcalloc(TABLE_SIZE, sizeof *t->slots);
    return t;
}

void throttle_free(struct throttle *t)
{
    if (!t) return;
    free(t->slots);
    free(t);
}

static double refilled(const struct bucket *b, int64_t now_ms)
{
    double per_ms = (double)b->capacity / 3600000.0;
    double tokens = b->tokens + (double)(now_ms - b->last_ms) * per_ms;
    return tokens > (double)b->capacity ? (double)b->capacity : tokens;
}

static struct bucket *slot_for(struct bucket *slots, uint64_t key)
{
    size_t i = (size_t)key & (TABLE_SIZE - 1);
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & (TABLE_SIZE - 1);
    return &slots[i];
}

/* Drops the buckets that are full again (the same as never seen). */
static void sweep(struct throttle *t, int64_t now_ms)
{
    struct bucket *old = t->slots;
    t->slots = xcalloc(TABLE_SIZE, sizeof *t->slots);
    t->used = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        if (!old[i].key || refilled(&old[i], now_ms) >= (double)old[i].capacity) continue;
        *slot_for(t->slots, old[i].key) = old[i];
        t->used++;
    }
    free(old);
}

/* The bucket for key, created full; NULL when the table is full of live buckets. Never
 * moves the table (pointers from an earlier call stay valid). */
static struct bucket *bucket_get(struct throttle *t, const char *key, long capacity, int64_t now_ms)
{
    uint64_t h = util_xxh64(key, strlen(key));
    if (h == 0) h = 1;
    struct bucket *b = slot_for(t->slots, h);
    if (b->key) {
        b->capacity = capacity; /* a reconfigured limit applies from now */
        return b;
    }
    if (t->used >= THROTTLE_MAX_KEYS) { /* throttle_take swept just before */
        if (now_ms - t->last_full_log_ms >= 60000) {
            log_warn("throttle_full", "keys=%zu action=refuse_new_keys", t->used);
            t->last_full_log_ms = now_ms;
        }
        return NULL;
    }
    *b = (struct bucket){
        .key = h, .tokens = (double)capacity, .last_ms = now_ms, .capacity = capacity};
    t->used++;
    return b;
}

/* Seconds until b holds one token (at least 1). */
static long wait_s(const struct bucket *b, int64_t now_ms)
{
    double missing = 1.0 - refilled(b, now_ms);
    double ms = missing * 3600000.0 / (double)b->capacity;
    long s = (long)((ms + 999.0) / 1000.0);
    return s < 1 ? 1 : s;
}

int throttle_subnet(const char *address, char *out, size_t n)
{
    unsigned char a[16];
    const char *v4 = address;
    if (strncmp(address, "::ffff:", 7) == 0 && strchr(address + 7, '.')) v4 = address + 7;
    if (inet_pton(AF_INET, v4, a) == 1) {
        snprintf(out, n, "%u.%u.%u.0/24", a[0], a[1], a[2]);
        return 0;
    }
    if (inet_pton(AF_INET6, address, a) == 1) {
        memset(a + 8, 0, 8);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, a, text, sizeof text);
        snprintf(out, n, "%s/64", text);
        return 0;
    }
    snprintf(out, n, "%s", address);
    return -1;
}

long throttle_take(struct throttle *t, enum throttle_action action, const char *address,
                   const struct throttle_limits *lim, int64_t now_ms, const char **which)
{
    char subnet[80], key[128];
    const char *v4 =
        strncmp(address, "::ffff:", 7) == 0 && strchr(address + 7, '.') ? address + 7 : address;
    throttle_subnet(address, subnet, sizeof subnet);
    if (t->used + 2 > THROTTLE_MAX_KEYS && now_ms - t->last_sweep_ms >= 1000) {
        sweep(t, now_ms);
        t->last_sweep_ms = now_ms;
    }
    struct bucket *b[2] = {NULL, NULL};
    const long caps[2] = {lim->per_address_per_hour, lim->per_subnet_per_hour};
    const char *names[2] = {"address", "subnet"};
    for (int i = 0; i < 2; i++) {
        if (caps[i] <= 0) continue;
        snprintf(key, sizeof key, "%d|%s|%s", (int)action, names[i], i == 0 ? v4 : subnet);
        b[i] = bucket_get(t, key, caps[i], now_ms);
        if (!b[i]) {
            if (which) *which = "capacity";
            return 60;
        }
    }
    long worst = 0;
    for (int i = 0; i < 2; i++) {
        if (!b[i] || refilled(b[i], now_ms) >= 1.0) continue;
        long w = wait_s(b[i], now_ms);
        if (w > worst) {
            worst = w;
            if (which) *which = names[i];
        }
    }
    if (worst > 0) return worst;
    for (int i = 0; i < 2; i++) {
        if (!b[i]) continue;
        b[i]->tokens = refilled(b[i], now_ms) - 1.0;
        b[i]->last_ms = now_ms;
    }
    return 0;
}
