/* stats: counters of logical requests by task and outcome; see stats.h. */
#include "optimize/stats.h"

#include "core/util.h"

#include <stdio.h>
#include <string.h>

static const char *task_names[STATS_TASK__COUNT] = {"resume_analysis", "question", "evaluate",
                                                    "summary", "gateway"};
static const char *outcome_names[STATS_OUTCOME__COUNT] = {
    "api_call", "cache",     "pool",           "precheck", "merged",
    "batched",  "coalesced", "near_duplicate", "fallback"};

void stats_init(struct stats *s, double price_per_mtok)
{
    memset(s, 0, sizeof *s);
    s->price_per_mtok = price_per_mtok;
}

void stats_count(struct stats *s, enum stats_task task, enum stats_outcome outcome, uint64_t n)
{
    if (task < STATS_TASK__COUNT && outcome < STATS_OUTCOME__COUNT) s->counts[task][outcome] += n;
}

void stats_provider_call(struct stats *s, uint64_t tokens)
{
    s->provider_calls++;
    s->provider_tokens += tokens;
}

const char *stats_task_name(enum stats_task t)
{
    return t < STATS_TASK__COUNT ? task_names[t] : "unknown";
}

const char *stats_outcome_name(enum stats_outcome o)
{
    return o < STATS_OUTCOME__COUNT ? outcome_names[o] : "unknown";
}

static uint64_t outcome_total(const struct stats *s, enum stats_outcome o)
{
    uint64_t n = 0;
    for (int t = 0; t < STATS_TASK__COUNT; t++)
        n += s->counts[t][o];
    return n;
}

static double rate(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

#define STATS_NAME_MAX 64

static void counter_name(int t, int o, char *out)
{
    snprintf(out, STATS_NAME_MAX, "llm.%s.%s", task_names[t], outcome_names[o]);
}

void stats_each_counter(const struct stats *a, const struct stats *b, stats_counter_fn fn,
                        void *data)
{
    char name[STATS_NAME_MAX];
    for (int t = 0; t < STATS_TASK__COUNT; t++)
        for (int o = 0; o < STATS_OUTCOME__COUNT; o++) {
            int64_t d = (int64_t)(a->counts[t][o] - (b ? b->counts[t][o] : 0));
            if (b && d == 0) continue;
            counter_name(t, o, name);
            fn(name, d, data);
        }
    int64_t d = (int64_t)(a->provider_calls - (b ? b->provider_calls : 0));
    if (!b || d) fn("provider_calls", d, data);
    d = (int64_t)(a->provider_tokens - (b ? b->provider_tokens : 0));
    if (!b || d) fn("provider_tokens", d, data);
}

int stats_add_named(struct stats *s, const char *name, int64_t value)
{
    if (strcmp(name, "provider_calls") == 0) {
        s->provider_calls += (uint64_t)value;
        return 0;
    }
    if (strcmp(name, "provider_tokens") == 0) {
        s->provider_tokens += (uint64_t)value;
        return 0;
    }
    if (strncmp(name, "llm.", 4) != 0) return -1;
    char want[STATS_NAME_MAX];
    for (int t = 0; t < STATS_TASK__COUNT; t++)
        for (int o = 0; o < STATS_OUTCOME__COUNT; o++) {
            counter_name(t, o, want);
            if (strcmp(want, name) == 0) {
                s->counts[t][o] += (uint64_t)value;
                return 0;
            }
        }
    return -1;
}

json_t *stats_counters(const struct stats *s)
{
    json_t *c = json_array();
    for (int t = 0; t < STATS_TASK__COUNT; t++)
        for (int o = 0; o < STATS_OUTCOME__COUNT; o++)
            json_array_append_new(c, json_integer((json_int_t)s->counts[t][o]));
    return json_pack("{s:o,s:I,s:I}", "counts", c, "provider_calls", (json_int_t)s->provider_calls,
                     "provider_tokens", (json_int_t)s->provider_tokens);
}

int stats_add_counters(struct stats *sum, const json_t *counters)
{
    json_t *c = json_object_get(counters, "counts");
    if (json_array_size(c) != (size_t)STATS_TASK__COUNT * STATS_OUTCOME__COUNT) return -1;
    for (int t = 0; t < STATS_TASK__COUNT; t++)
        for (int o = 0; o < STATS_OUTCOME__COUNT; o++)
            sum->counts[t][o] += (uint64_t)json_integer_value(
                json_array_get(c, (size_t)(t * STATS_OUTCOME__COUNT + o)));
    sum->provider_calls +=
        (uint64_t)json_integer_value(json_object_get(counters, "provider_calls"));
    sum->provider_tokens +=
        (uint64_t)json_integer_value(json_object_get(counters, "provider_tokens"));
    return 0;
}

/* 1 for the outcomes that are savings: a provider call avoided because something was
 * reused (a cached result, a bank question, another call's answer, a batch, a call in
 * flight, a near-duplicate). A pre-check (a non-answer scored by rule) and a fallback
 * (the heuristic because no provider could answer) avoid a call too, but reuse nothing:
 * a fallback is a loss of quality, never a saving. */
int stats_outcome_is_saving(enum stats_outcome o)
{
    switch (o) {
    case STATS_CACHE:
    case STATS_POOL:
    case STATS_MERGED:
    case STATS_BATCHED:
    case STATS_COALESCED:
    case STATS_NEAR_DUP:
        return 1;
    default:
        return 0;
    }
}

json_t *stats_json(const struct stats *s)
{
    uint64_t total = 0, saved = 0;
    for (int t = 0; t < STATS_TASK__COUNT; t++)
        for (int o = 0; o < STATS_OUTCOME__COUNT; o++) {
            total += s->counts[t][o];
            if (stats_outcome_is_saving(o)) saved += s->counts[t][o];
        }
    uint64_t cache = outcome_total(s, STATS_CACHE);
    uint64_t pool = outcome_total(s, STATS_POOL);
    uint64_t dedup = outcome_total(s, STATS_COALESCED) + outcome_total(s, STATS_NEAR_DUP);
    uint64_t fallback = outcome_total(s, STATS_FALLBACK);
    uint64_t precheck = outcome_total(s, STATS_PRECHECK);
    uint64_t served = outcome_total(s, STATS_API_CALL);
    /* api_calls is what providers received, so retries count; a logical request that
     * needed three attempts costs three. */
    uint64_t api = s->provider_calls;
    double tokens_per_call =
        s->provider_calls ? (double)s->provider_tokens / (double)s->provider_calls : 0;
    double cost_saved = (double)saved * tokens_per_call * s->price_per_mtok / 1e6;

    json_t *by_task = json_object();
    for (int t = 0; t < STATS_TASK__COUNT; t++) {
        json_t *o = json_object();
        uint64_t n = 0, task_saved = 0;
        for (int k = 0; k < STATS_OUTCOME__COUNT; k++) {
            json_object_set_new(o, outcome_names[k], json_integer((json_int_t)s->counts[t][k]));
            n += s->counts[t][k];
            if (stats_outcome_is_saving(k)) task_saved += s->counts[t][k];
        }
        json_object_set_new(o, "total", json_integer((json_int_t)n));
        json_object_set_new(o, "saved", json_integer((json_int_t)task_saved));
        json_object_set_new(by_task, task_names[t], o);
    }
    json_t *by_saving = json_object();
    for (int k = 0; k < STATS_OUTCOME__COUNT; k++) {
        if (!stats_outcome_is_saving(k)) continue;
        json_object_set_new(by_saving, outcome_names[k],
                            json_integer((json_int_t)outcome_total(s, k)));
    }
    json_t *j = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:I,s:f,s:I,s:f,s:o,s:o}", "total_requests",
        (json_int_t)total, "cache_hits", (json_int_t)cache, "pool_hits", (json_int_t)pool,
        "api_calls", (json_int_t)api, "dedup_saves", (json_int_t)dedup, "cache_hit_rate",
        rate(cache, total), "pool_hit_rate", rate(pool, total), "api_call_rate", rate(api, total),
        "optimization_rate", rate(saved, total), "api_calls_saved", (json_int_t)saved,
        "estimated_cost_saved", cost_saved, "provider_tokens", (json_int_t)s->provider_tokens,
        "price_per_mtok_usd", s->price_per_mtok, "by_task", by_task, "by_saving", by_saving);
    json_object_set_new(j, "served_by_provider", json_integer((json_int_t)served));
    json_object_set_new(j, "fallbacks", json_integer((json_int_t)fallback));
    json_object_set_new(j, "fallback_rate", json_real(rate(fallback, total)));
    json_object_set_new(j, "prechecked", json_integer((json_int_t)precheck));
    return j;
}

void stats_prometheus(const struct stats *s, struct sbuf *out)
{
    sbuf_puts(out, "# HELP interviewd_llm_requests_total Logical LLM requests by task and how they "
                   "were served.\n"
                   "# TYPE interviewd_llm_requests_total counter\n");
    for (int t = 0; t < STATS_TASK__COUNT; t++)
        for (int k = 0; k < STATS_OUTCOME__COUNT; k++)
            sbuf_printf(out, "interviewd_llm_requests_total{task=\"%s\",outcome=\"%s\"} %llu\n",
                        task_names[t], outcome_names[k], (unsigned long long)s->counts[t][k]);
    sbuf_printf(
        out,
        "# HELP interviewd_provider_calls_total Requests sent to LLM providers, retries included.\n"
        "# TYPE interviewd_provider_calls_total counter\n"
        "interviewd_provider_calls_total %llu\n"
        "# HELP interviewd_provider_tokens_total Tokens providers reported (prompt + completion).\n"
        "# TYPE interviewd_provider_tokens_total counter\n"
        "interviewd_provider_tokens_total %llu\n",
        (unsigned long long)s->provider_calls, (unsigned long long)s->provider_tokens);
}
