/* test_cache: cache keys, default TTLs, the memory backend and the tiered pair (with a
 * memory cache standing in for Redis), one behaviour per test.
 *
 * Time is driven with the virtual clock (clock_use_virtual / clock_advance_ms), which the
 * memory backend reads through clock_mono_ms(); each test that switches it on switches it
 * off again. Byte budgets are computed with cache_memory_entry_cost(), so "room for
 * exactly three entries" in a test is exact, not a guess. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/util.h"
#include "optimize/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a get callback that records what it was told ---- */

struct got {
    int calls;       /* times the callback ran */
    int hit;         /* last call had a value */
    char value[256]; /* last value (truncated), NUL-terminated */
    size_t len;      /* last value's length */
    int nul_ok;      /* last value was followed by a NUL */
};

static void on_get(const char *value, size_t len, void *data)
{
    struct got *g = data;
    g->calls++;
    g->hit = value != NULL;
    g->len = len;
    g->value[0] = 0;
    if (value) {
        size_t n = len < sizeof g->value - 1 ? len : sizeof g->value - 1;
        memcpy(g->value, value, n);
        g->value[n] = 0;
        g->nul_ok = value[len] == 0;
    }
}

/* Gets key from a synchronous cache and returns what the callback saw. */
static struct got get_now(struct cache *c, const char *key)
{
    struct got g = {0};
    cache_get(c, key, on_get, &g);
    assert_int_equal(g.calls, 1); /* memory (and memory-only tiered) answers before returning */
    return g;
}

static void set_str(struct cache *c, const char *key, const char *value, int64_t ttl_ms)
{
    assert_int_equal(cache_set(c, key, value, strlen(value), ttl_ms), CACHE_OK);
}

/* ---- keys ---- */

static void test_key_hashes_full_content_not_a_prefix(void **state)
{
    (void)state;
    /* The brief keyed evaluations on the first 100 characters: these two answers share
     * their first 120 and must not share a key. */
    char a[200], b[200];
    memset(a, 'x', 150);
    a[150] = 0;
    memcpy(b, a, sizeof a);
    b[120] = 'y';
    char *ka = cache_key_for_task("evaluate", "1", "r1", "small", "global", a);
    char *kb = cache_key_for_task("evaluate", "1", "r1", "small", "global", b);
    assert_non_null(ka);
    assert_non_null(kb);
    assert_string_not_equal(ka, kb);
    free(ka);
    free(kb);
}

static void test_key_scope_separates_candidates(void **state)
{
    (void)state;
    const char *resume = "Senior backend engineer, 6 years of Go and PostgreSQL.";
    char *ka = cache_key_for_task("resume_analysis", "1", "r1", "small", "cand-a1", resume);
    char *kb = cache_key_for_task("resume_analysis", "1", "r1", "small", "cand-b2", resume);
    char *kg = cache_key_for_task("resume_analysis", "1", "r1", "small", "global", resume);
    assert_string_not_equal(ka, kb);
    assert_string_not_equal(ka, kg);
    assert_string_not_equal(kb, kg);
    free(ka);
    free(kb);
    free(kg);
}

static void test_key_changes_with_task_versions_and_tier(void **state)
{
    (void)state;
    const char *c = "same content";
    char *base = cache_key_for_task("evaluate", "1", "r1", "small", "global", c);
    char *other[] = {
        cache_key_for_task("summary", "1", "r1", "small", "global", c),
        cache_key_for_task("evaluate", "2", "r1", "small", "global", c),
        cache_key_for_task("evaluate", "1", "r2", "small", "global", c),
        cache_key_for_task("evaluate", "1", "r1", "large", "global", c),
    };
    for (size_t i = 0; i < ARRAY_LEN(other); i++) {
        assert_non_null(other[i]);
        assert_string_not_equal(base, other[i]);
        free(other[i]);
    }
    free(base);
}

static void test_key_has_documented_format(void **state)
{
    (void)state;
    char *k = cache_key_for_task("evaluate", "1", "r3", "small", "global", "abc");
    char hex[33];
    util_xxh128_hex("abc", 3, hex);
    char want[128];
    snprintf(want, sizeof want, "iv:evaluate:1:r3:small:global:%s", hex);
    assert_string_equal(k, want);
    free(k);
}

static void test_key_stays_short_for_a_megabyte_of_content(void **state)
{
    (void)state;
    size_t n = 1024 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = 0;
    char *k =
        cache_key_for_task("resume_analysis", "1", "r1", "small", "cand-0123456789abcdef", big);
    assert_non_null(k);
    assert_true(strlen(k) < 100);
    free(k);
    free(big);
}

static void test_key_refuses_parts_that_could_collide(void **state)
{
    (void)state;
    /* "a:b" + "c" and "a" + "b:c" would otherwise build the same key. */
    assert_null(cache_key_for_task("evaluate:1", "r1", "small", "x", "global", "c"));
    assert_null(cache_key_for_task("evaluate", "1", "r1", "small", "cand a", "c"));
    assert_null(cache_key_for_task("evaluate", "", "r1", "small", "global", "c"));
    assert_null(cache_key_for_task("evaluate", "1", NULL, "small", "global", "c"));
    assert_null(cache_key_for_task("evaluate", "1", "r1", "small", "global", NULL));
    char longpart[CACHE_KEY_PART_MAX + 2];
    memset(longpart, 'v', sizeof longpart - 1);
    longpart[sizeof longpart - 1] = 0;
    assert_null(cache_key_for_task("evaluate", longpart, "r1", "small", "global", "c"));
    longpart[CACHE_KEY_PART_MAX] = 0; /* exactly CACHE_KEY_PART_MAX is allowed */
    char *k = cache_key_for_task("evaluate", longpart, "r1", "small", "global", "c");
    assert_non_null(k);
    free(k);
}

static void test_empty_content_is_a_valid_key(void **state)
{
    (void)state;
    char *k = cache_key_for_task("question_gen", "1", "r1", "small", "global", "");
    assert_non_null(k);
    free(k);
}

/* ---- TTLs ---- */

static void test_ttl_defaults_follow_the_brief(void **state)
{
    (void)state;
    assert_int_equal(cache_ttl_for_task("resume_analysis"), 7LL * 24 * 3600 * 1000);
    assert_int_equal(cache_ttl_for_task("greeting"), 24LL * 3600 * 1000);
    assert_int_equal(cache_ttl_for_task("question_gen"), 3600LL * 1000);
    assert_int_equal(cache_ttl_for_task("evaluate"), 1800LL * 1000);
    assert_int_equal(cache_ttl_for_task("summary"), 3600LL * 1000);
    assert_int_equal(cache_ttl_for_task("gateway"), 3600LL * 1000);
}

static void test_ttl_is_zero_for_follow_up_and_unknown_tasks(void **state)
{
    (void)state;
    assert_int_equal(cache_ttl_for_task("follow_up"), 0);
    assert_int_equal(cache_ttl_for_task("no_such_task"), 0);
    assert_int_equal(cache_ttl_for_task(NULL), 0);
}

/* ---- memory backend ---- */

static void test_memory_get_after_set_hits_synchronously(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 4);
    set_str(c, "k1", "value one", 60000);
    struct got g = get_now(c, "k1");
    assert_true(g.hit);
    assert_string_equal(g.value, "value one");
    assert_int_equal(g.len, 9);
    assert_true(g.nul_ok);
    cache_destroy(c);
}

static void test_memory_unknown_key_misses(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 4);
    struct got g = get_now(c, "nope");
    assert_false(g.hit);
    assert_int_equal(g.len, 0);
    cache_destroy(c);
}

static void test_memory_stores_binary_values(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 1);
    const char bin[5] = {'a', 0, 'b', 0, 'c'};
    assert_int_equal(cache_set(c, "bin", bin, sizeof bin, 1000), CACHE_OK);
    struct got g = get_now(c, "bin");
    assert_true(g.hit);
    assert_int_equal(g.len, 5);
    assert_memory_equal(g.value, bin, 5);
    cache_destroy(c);
}

static void test_memory_entry_expires_after_ttl(void **state)
{
    (void)state;
    clock_use_virtual(1700000000000);
    struct cache *c = cache_memory_new(1 << 20, 4);
    set_str(c, "k", "v", 1000);
    clock_advance_ms(999);
    assert_true(get_now(c, "k").hit);
    clock_advance_ms(1);
    assert_false(get_now(c, "k").hit);
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    cache_destroy(c);
    clock_use_real();
}

static void test_memory_evicts_least_recently_used_by_bytes(void **state)
{
    (void)state;
    /* One shard with room for exactly three 2-byte keys with 10-byte values. */
    size_t cost = cache_memory_entry_cost(2, 10);
    struct cache *c = cache_memory_new(3 * cost, 1);
    set_str(c, "k1", "0123456789", 60000);
    set_str(c, "k2", "0123456789", 60000);
    set_str(c, "k3", "0123456789", 60000);
    assert_true(get_now(c, "k1").hit); /* k1 is now the most recently used; k2 the least */
    set_str(c, "k4", "0123456789", 60000);
    assert_true(get_now(c, "k1").hit);
    assert_false(get_now(c, "k2").hit);
    assert_true(get_now(c, "k3").hit);
    assert_true(get_now(c, "k4").hit);
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.bytes, 3 * cost);
    cache_destroy(c);
}

static void test_memory_never_exceeds_max_bytes(void **state)
{
    (void)state;
    size_t max = 64 * 1024;
    struct cache *c = cache_memory_new(max, 8);
    char key[32], value[700];
    memset(value, 'v', sizeof value);
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        assert_int_equal(cache_set(c, key, value, (size_t)(i % 700), 60000), CACHE_OK);
        struct cache_stats st;
        cache_stats(c, &st);
        assert_true(st.bytes <= max);
    }
    struct cache_stats st;
    cache_stats(c, &st);
    assert_true(st.evictions > 0);
    cache_destroy(c);
}

static void test_memory_evicting_an_expired_entry_counts_as_expired(void **state)
{
    (void)state;
    clock_use_virtual(1700000000000);
    size_t cost = cache_memory_entry_cost(2, 1);
    struct cache *c = cache_memory_new(2 * cost, 1);
    set_str(c, "k1", "a", 100);
    set_str(c, "k2", "b", 60000);
    clock_advance_ms(200);
    set_str(c, "k3", "c", 60000); /* k1 is the LRU tail and already dead */
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.evictions, 0);
    cache_destroy(c);
    clock_use_real();
}

static void test_memory_overwrite_replaces_value_and_bytes(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 4);
    set_str(c, "k", "short", 60000);
    set_str(c, "k", "a longer value", 60000);
    struct got g = get_now(c, "k");
    assert_string_equal(g.value, "a longer value");
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.bytes, cache_memory_entry_cost(1, 14));
    assert_int_equal(st.sets, 2);
    cache_destroy(c);
}

static void test_memory_overwrite_resets_ttl(void **state)
{
    (void)state;
    clock_use_virtual(1700000000000);
    struct cache *c = cache_memory_new(1 << 20, 4);
    set_str(c, "k", "v1", 1000);
    clock_advance_ms(900);
    set_str(c, "k", "v2", 1000);
    clock_advance_ms(900);
    struct got g = get_now(c, "k");
    assert_true(g.hit);
    assert_string_equal(g.value, "v2");
    cache_destroy(c);
    clock_use_real();
}

static void test_memory_refuses_entry_larger_than_its_shard_and_drops_old_value(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(4096, 1);
    set_str(c, "k", "old", 60000);
    char big[5000];
    memset(big, 'b', sizeof big);
    assert_int_equal(cache_set(c, "k", big, sizeof big, 60000), CACHE_ERR_TOO_LARGE);
    assert_false(get_now(c, "k").hit); /* never the value the caller meant to replace */
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.dropped, 1);
    cache_destroy(c);
}

static void test_memory_refuses_bad_ttl_and_bad_key(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 4);
    assert_int_equal(cache_set(c, "k", "v", 1, 0), CACHE_ERR_BAD_TTL);
    assert_int_equal(cache_set(c, "k", "v", 1, -5), CACHE_ERR_BAD_TTL);
    assert_int_equal(cache_set(c, "", "v", 1, 1000), CACHE_ERR_BAD_KEY);
    assert_int_equal(cache_set(c, NULL, "v", 1, 1000), CACHE_ERR_BAD_KEY);
    char longkey[CACHE_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    assert_int_equal(cache_set(c, longkey, "v", 1, 1000), CACHE_ERR_BAD_KEY);
    assert_false(get_now(c, NULL).hit);
    cache_destroy(c);
}

static void test_memory_del_forgets_key(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 4);
    set_str(c, "k", "v", 60000);
    assert_int_equal(cache_del(c, "k"), CACHE_OK);
    assert_false(get_now(c, "k").hit);
    assert_int_equal(cache_del(c, "never-set"), CACHE_OK);
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    cache_destroy(c);
}

static void test_memory_stats_count_hits_misses_and_sets(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 4);
    set_str(c, "a", "1", 60000);
    set_str(c, "b", "22", 60000);
    get_now(c, "a");
    get_now(c, "a");
    get_now(c, "b");
    get_now(c, "zzz");
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.hits, 3);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.sets, 2);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.bytes, cache_memory_entry_cost(1, 1) + cache_memory_entry_cost(1, 2));
    assert_int_equal(st.connected, 1);
    cache_destroy(c);
}

static void test_memory_keeps_10000_entries_through_table_growth(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(64u << 20, 5); /* 5 shards: rounded up to 8 */
    char key[32], value[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(value, sizeof value, "value-%d", i);
        set_str(c, key, value, 60000);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(value, sizeof value, "value-%d", i);
        struct got g = get_now(c, key);
        assert_true(g.hit);
        assert_string_equal(g.value, value);
    }
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.entries, 10000);
    assert_int_equal(st.evictions, 0);
    cache_destroy(c);
}

/* A callback that deletes the key it was just given must not break the cache. */
struct del_in_cb {
    struct cache *c; /* the cache to modify */
    int called;      /* callback ran */
};

static void on_get_then_del(const char *value, size_t len, void *data)
{
    struct del_in_cb *d = data;
    assert_non_null(value);
    assert_int_equal(len, 1);
    d->called = 1;
    cache_del(d->c, "k");
}

static void test_memory_callback_may_delete_the_key_it_got(void **state)
{
    (void)state;
    struct cache *c = cache_memory_new(1 << 20, 1);
    set_str(c, "k", "v", 60000);
    struct del_in_cb d = {c, 0};
    cache_get(c, "k", on_get_then_del, &d);
    assert_true(d.called);
    assert_false(get_now(c, "k").hit);
    cache_destroy(c);
}

/* ---- tiered (memory over memory: the fill logic without a network) ---- */

static void test_tiered_l2_hit_fills_l1(void **state)
{
    (void)state;
    struct cache *l1 = cache_memory_new(1 << 20, 1);
    struct cache *l2 = cache_memory_new(1 << 20, 1);
    struct cache *t = cache_tiered_new(l1, l2);
    set_str(l2, "k", "from l2", 60000);
    struct got g = get_now(t, "k");
    assert_true(g.hit);
    assert_string_equal(g.value, "from l2");
    struct got g1 = get_now(l1, "k");
    assert_true(g1.hit);
    assert_string_equal(g1.value, "from l2");
    cache_destroy(t);
}

static void test_tiered_set_writes_both_tiers(void **state)
{
    (void)state;
    struct cache *l1 = cache_memory_new(1 << 20, 1);
    struct cache *l2 = cache_memory_new(1 << 20, 1);
    struct cache *t = cache_tiered_new(l1, l2);
    set_str(t, "k", "both", 60000);
    assert_true(get_now(l1, "k").hit);
    assert_true(get_now(l2, "k").hit);
    assert_int_equal(cache_del(t, "k"), CACHE_OK);
    assert_false(get_now(l1, "k").hit);
    assert_false(get_now(l2, "k").hit);
    cache_destroy(t);
}

static void test_tiered_l1_copy_lives_at_most_l1_ttl(void **state)
{
    (void)state;
    clock_use_virtual(1700000000000);
    struct cache *l1 = cache_memory_new(1 << 20, 1);
    struct cache *l2 = cache_memory_new(1 << 20, 1);
    struct cache *t = cache_tiered_new(l1, l2);
    set_str(t, "k", "v1", CACHE_MS_PER_DAY);
    clock_advance_ms(CACHE_TIERED_L1_TTL_MS);
    assert_false(get_now(l1, "k").hit); /* the L1 copy is gone ... */
    assert_true(get_now(t, "k").hit);   /* ... L2 still answers and refills L1 */
    assert_true(get_now(l1, "k").hit);
    cache_destroy(t);
    clock_use_real();
}

static void test_tiered_counts_hits_of_either_tier(void **state)
{
    (void)state;
    struct cache *l1 = cache_memory_new(1 << 20, 1);
    struct cache *l2 = cache_memory_new(1 << 20, 1);
    struct cache *t = cache_tiered_new(l1, l2);
    set_str(l2, "only-l2", "x", 60000);
    set_str(t, "both", "y", 60000);
    get_now(t, "only-l2");
    get_now(t, "both");
    get_now(t, "neither");
    struct cache_stats st;
    cache_stats(t, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 1);
    cache_destroy(t);
}

static void test_open_builds_the_configured_backend_or_says_why_not(void **state)
{
    (void)state;
    char err[256];
    struct cache *c = cache_open("memory", "", 1 << 20, NULL, err, sizeof err);
    assert_non_null(c);
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.connected, 1);
    cache_destroy(c);
    assert_null(cache_open("memcached", "", 1 << 20, NULL, err, sizeof err));
    assert_non_null(strstr(err, "memory, redis or tiered"));
    assert_null(cache_open("tiered", "", 1 << 20, NULL, err, sizeof err));
    assert_non_null(strstr(err, "redis_url"));
}

static void test_strerror_names_every_error(void **state)
{
    (void)state;
    for (int e = CACHE_OK; e <= CACHE_ERR_RESOLVE; e++) {
        const char *s = cache_strerror((enum cache_err)e);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown cache error");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_hashes_full_content_not_a_prefix),
        cmocka_unit_test(test_key_scope_separates_candidates),
        cmocka_unit_test(test_key_changes_with_task_versions_and_tier),
        cmocka_unit_test(test_key_has_documented_format),
        cmocka_unit_test(test_key_stays_short_for_a_megabyte_of_content),
        cmocka_unit_test(test_key_refuses_parts_that_could_collide),
        cmocka_unit_test(test_empty_content_is_a_valid_key),
        cmocka_unit_test(test_ttl_defaults_follow_the_brief),
        cmocka_unit_test(test_ttl_is_zero_for_follow_up_and_unknown_tasks),
        cmocka_unit_test(test_memory_get_after_set_hits_synchronously),
        cmocka_unit_test(test_memory_unknown_key_misses),
        cmocka_unit_test(test_memory_stores_binary_values),
        cmocka_unit_test(test_memory_entry_expires_after_ttl),
        cmocka_unit_test(test_memory_evicts_least_recently_used_by_bytes),
        cmocka_unit_test(test_memory_never_exceeds_max_bytes),
        cmocka_unit_test(test_memory_evicting_an_expired_entry_counts_as_expired),
        cmocka_unit_test(test_memory_overwrite_replaces_value_and_bytes),
        cmocka_unit_test(test_memory_overwrite_resets_ttl),
        cmocka_unit_test(test_memory_refuses_entry_larger_than_its_shard_and_drops_old_value),
        cmocka_unit_test(test_memory_refuses_bad_ttl_and_bad_key),
        cmocka_unit_test(test_memory_del_forgets_key),
        cmocka_unit_test(test_memory_stats_count_hits_misses_and_sets),
        cmocka_unit_test(test_memory_keeps_10000_entries_through_table_growth),
        cmocka_unit_test(test_memory_callback_may_delete_the_key_it_got),
        cmocka_unit_test(test_tiered_l2_hit_fills_l1),
        cmocka_unit_test(test_tiered_set_writes_both_tiers),
        cmocka_unit_test(test_tiered_l1_copy_lives_at_most_l1_ttl),
        cmocka_unit_test(test_tiered_counts_hits_of_either_tier),
        cmocka_unit_test(test_open_builds_the_configured_backend_or_says_why_not),
        cmocka_unit_test(test_strerror_names_every_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
