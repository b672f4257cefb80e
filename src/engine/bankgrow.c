/* bankgrow: question_gen sets that grow the bank for everyone (see bankgrow.h).
 *
 * The one idea: generated questions are shared state, not an interview's. A set is
 * keyed by role, category, difficulty and variant, kept in the store's key/value table
 * (so every instance and every restart loads it), and its call is cached for everyone
 * (call.c, scope "global"); no candidate's text is in the prompt but a skill name. */
#include "engine/bankgrow.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/candidate.h"
#include "engine/internal.h"
#include "engine/shared.h"
#include "llm/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_LOW_WATER 12 /* unheard templates left for a candidate below which we generate */
#define GEN_BATCH 5      /* questions per question_gen call */
#define GEN_INDEX_KEY "genq:index"
#define GEN_MIN_INTERVAL_MS 600000 /* per role/category/difficulty, unless nothing is left */

static void gen_load_set(struct engine *e, const char *role, const char *category,
                         const json_t *arr)
{
    size_t i;
    json_t *q;
    json_array_foreach(arr, i, q)
    {
        const char *text = json_string_value(json_object_get(q, "text"));
        const char *id = json_string_value(json_object_get(q, "id"));
        if (!text || !id) continue;
        bank_add(e->bank, id, role, category,
                 (int)json_integer_value(json_object_get(q, "difficulty")), text,
                 json_object_get(q, "keywords"), json_string_value(json_object_get(q, "topic")));
    }
}

/* Loads every generated set recorded in the store into the bank (start-up). */
void bankgrow_load_all(struct engine *e)
{
    json_t *keys = shared_kv_get_array(e, GEN_INDEX_KEY);
    size_t i;
    json_t *k;
    int sets = 0;
    json_array_foreach(keys, i, k)
    {
        const char *key = json_string_value(json_object_get(k, "key"));
        const char *role = json_string_value(json_object_get(k, "role"));
        const char *category = json_string_value(json_object_get(k, "category"));
        if (!key || !role || !category) continue;
        json_t *set = shared_kv_get_json(e, key);
        if (set) {
            gen_load_set(e, role, category, set);
            sets++;
        }
        json_decref(set);
    }
    json_decref(keys);
    if (sets) log_info("bank_grown", "generated_sets=%d questions=%d", sets, e->bank->n_questions);
}

static void question_gen_done(struct call *c, json_t *parsed, int from_model, void *data);

void bankgrow_maybe(struct engine *e, const struct store_interview *iv, struct cand_ctx *cc,
                    const char *phase, int difficulty, const struct bank_seen *seen)
{
    CHECK(e != NULL && iv != NULL && cc != NULL && phase != NULL && seen != NULL);
    enum budget_mode mode = engine_mode_of(iv);
    if (mode != BUDGET_FULL && mode != BUDGET_BALANCED) return;
    if (strcmp(phase, "technical") != 0 && strcmp(phase, "behavioral") != 0) return;
    if (!router_online(e->router)) return;
    int left = bank_unheard_count(e->bank, cc->c.role, phase, seen);
    if (left >= GEN_LOW_WATER) return;
    char key[160];
    snprintf(key, sizeof key, "question_gen:%s:%s:%d", cc->c.role, phase, difficulty);
    if (call_in_flight(&e->calls, key)) {
        stats_count(&e->stats, STATS_QUESTION, STATS_COALESCED, 1);
        return;
    }
    /* one set per key and interval: every candidate near the end of the bank shares it */
    char last_key[200], *last_s = NULL;
    snprintf(last_key, sizeof last_key, "genq:last:%s:%s:%d", cc->c.role, phase, difficulty);
    int64_t now = clock_now_ms();
    if (store_call(e->store, kv_get, last_key, &last_s) == STORE_OK && last_s && left > 0 &&
        now - atoll(last_s) < GEN_MIN_INTERVAL_MS) {
        free(last_s);
        return;
    }
    free(last_s);
    char now_s[32];
    snprintf(now_s, sizeof now_s, "%lld", (long long)now);
    store_call(e->store, kv_put, last_key, now_s);
    /* the next variant: another process may have generated it already */
    char count_key[200], set_key[220];
    snprintf(count_key, sizeof count_key, "genq:count:%s:%s:%d", cc->c.role, phase, difficulty);
    char *count_s = NULL;
    long variant = 0;
    if (store_call(e->store, kv_get, count_key, &count_s) == STORE_OK && count_s)
        variant = atol(count_s);
    free(count_s);
    snprintf(set_key, sizeof set_key, "genq:%s:%s:%d:%ld", cc->c.role, phase, difficulty, variant);
    const char *skill = json_string_value(
        json_array_get(json_object_get(cc->analysis, "skills"), (size_t)variant % 4));
    if (!skill && cc->role)
        skill = json_string_value(json_array_get(cc->role->skills, (size_t)variant % 8));
    struct call_spec spec = {
        .task = TASK_QUESTION_GEN,
        .work = key,
        .messages =
            task_question_gen(cc->c.role, phase, skill ? skill : "general", difficulty, GEN_BATCH),
        .task_input =
            json_pack("{s:s,s:s,s:s,s:i,s:I}", "role", cc->c.role, "category", phase, "set_key",
                      set_key, "difficulty", difficulty, "variant", (json_int_t)variant),
        .max_tokens = 900,
        .scope = "global", /* the same questions serve everyone */
        .optional = 1,     /* never from the day's reserve for running interviews */
    };
    call_start(&e->calls, &spec, question_gen_done, e);
}

static void question_gen_done(struct call *c, json_t *parsed, int from_model, void *data)
{
    struct engine *e = data;
    if (call_source(c) == CALL_CANCELLED) return;
    stats_count(&e->stats, STATS_QUESTION, call_stats_outcome(c), 1);
    if (!parsed || !from_model) return;
    const json_t *input = call_task_input(c);
    const char *role = json_string_value(json_object_get(input, "role"));
    const char *category = json_string_value(json_object_get(input, "category"));
    const char *set_key = json_string_value(json_object_get(input, "set_key"));
    long variant = (long)json_integer_value(json_object_get(input, "variant"));
    int difficulty = (int)json_integer_value(json_object_get(input, "difficulty"));
    json_t *kept = json_array();
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(parsed, "questions"), i, q)
    {
        const char *text = json_string_value(json_object_get(q, "text"));
        char h[33], id[96];
        util_xxh128_hex(text, strlen(text), h);
        snprintf(id, sizeof id, "gen.%s.%.16s", role, h);
        int d = (int)json_integer_value(json_object_get(q, "difficulty"));
        if (bank_add(e->bank, id, role, category, d ? d : difficulty, text,
                     json_object_get(q, "keywords"), NULL) == 0) {
            /* its topic: the nearest template's, or its own (bank_add decided) */
            const struct bank_question *added = bank_question_find(e->bank, id);
            json_array_append_new(kept, json_pack("{s:s,s:s,s:i,s:O,s:s}", "id", id, "text", text,
                                                  "difficulty", d ? d : difficulty, "keywords",
                                                  json_object_get(q, "keywords"), "topic",
                                                  added && added->topic ? added->topic : id));
        }
    }
    shared_kv_put_json(e, set_key, kept);
    char count_key[200], count_s[32];
    snprintf(count_key, sizeof count_key, "genq:count:%s:%s:%d", role, category, difficulty);
    snprintf(count_s, sizeof count_s, "%ld", variant + 1);
    store_call(e->store, kv_put, count_key, count_s);
    json_t *keys = shared_kv_get_array(e, GEN_INDEX_KEY);
    json_array_append_new(
        keys, json_pack("{s:s,s:s,s:s}", "key", set_key, "role", role, "category", category));
    shared_kv_put_json(e, GEN_INDEX_KEY, keys);
    json_decref(keys);
    log_info("bank_grown", "role=%s category=%s added=%zu questions=%d", role, category,
             json_array_size(kept), e->bank->n_questions);
    json_decref(kept);
}
