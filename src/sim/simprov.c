/* simprov: see simprov.h. The minute windows keep a ring of (time, tokens) per request
 * so they are exact; the day counters reset at the provider's own midnight. */
#include "sim/simprov.h"

#include "core/clock.h"
#include "core/timer.h"
#include "core/util.h"
#include "llm/quota.h"
#include "llm/task.h"
#include "sim/misbehave.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_RING 4096 /* requests remembered for the sliding minute */

struct sim_call {
    struct sim_state *st;
    struct timer *timer;
    struct llm_result result;
    llm_done_fn done;
    void *data;
    struct sim_call *next, *prev;
};

struct sim_state {
    char *name, *model;
    struct sim_provider_params p;
    struct sim_provider_stats *stats;
    uint64_t rng;
    int64_t ring_t[SIM_RING]; /* request times in the last minute */
    long ring_tok[SIM_RING];
    int ring_head, ring_len;
    int64_t day_start;
    long day_requests, day_tokens;
    long in_flight;
    uint64_t questions; /* for unique generated questions */
    struct sim_call *calls;
};

static uint64_t rnd(struct sim_state *s)
{
    /* xorshift64* */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

static double rnd01(struct sim_state *s)
{
    return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static double lognormal_ms(struct sim_state *s)
{
    double m = s->p.latency_mean_ms > 1 ? s->p.latency_mean_ms : 1;
    double sd = s->p.latency_sd_ms > 0 ? s->p.latency_sd_ms : m / 2;
    double sigma2 = log(1 + (sd * sd) / (m * m));
    double mu = log(m) - sigma2 / 2;
    double u1 = rnd01(s), u2 = rnd01(s);
    if (u1 < 1e-12) u1 = 1e-12;
    double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    return exp(mu + sqrt(sigma2) * z);
}

static void minute_trim(struct sim_state *s, int64_t now)
{
    while (s->ring_len && s->ring_t[s->ring_head] <= now - 60000) {
        s->ring_head = (s->ring_head + 1) % SIM_RING;
        s->ring_len--;
    }
}

static void minute_usage(struct sim_state *s, long *req, long *tok)
{
    *req = s->ring_len;
    long t = 0;
    for (int i = 0; i < s->ring_len; i++)
        t += s->ring_tok[(s->ring_head + i) % SIM_RING];
    *tok = t;
}

static void day_roll(struct sim_state *s, int64_t now)
{
    int64_t d = quota_day_start_ms(s->p.pacific ? QUOTA_TZ_PACIFIC : QUOTA_TZ_UTC, now);
    if (d != s->day_start) {
        /* the day that began before the simulation carries its usage, whenever the
         * first call comes; a later day starts empty */
        int carried = d == s->p.day_used_start_ms;
        s->day_start = d;
        s->day_requests = carried ? s->p.day_used_requests : 0;
        s->day_tokens = carried ? s->p.day_used_tokens : 0;
    }
}

const char *sim_limit_name(enum sim_limit l)
{
    static const char *const names[SIM_LIMIT__COUNT] = {"rpm", "rpd", "tpm", "tpd", "concurrency"};
    return l < SIM_LIMIT__COUNT ? names[l] : "unknown";
}

/* The prompt's tokens as this provider counts them: its own tokenizer (3 per message
 * plus the text, +-15%), or chars / 4 + 1 with chars4_tokens. */
static long prompt_tokens_of(const struct sim_state *s, const json_t *messages)
{
    long chars = 0, raw = 0;
    uint64_t h = 0;
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        const char *c = json_string_value(json_object_get(m, "content"));
        if (!c) continue;
        chars += (long)strlen(c);
        raw += 3 + misbehave_tokens_raw(c);
        h = h * 0x100000001B3ULL ^ util_xxh64(c, strlen(c));
    }
    if (s->p.chars4_tokens) return chars / 4 + 1;
    return misbehave_tokens_vary(s->p.seed, h, raw);
}

static long completion_tokens_of(const struct sim_state *s, const char *content)
{
    if (s->p.chars4_tokens) return (long)strlen(content) / 4 + 1;
    return misbehave_tokens_vary(s->p.seed, util_xxh64(content, strlen(content)),
                                 misbehave_tokens_raw(content));
}

static int task_of(const json_t *messages)
{
    const char *sys = json_string_value(json_object_get(json_array_get(messages, 0), "content"));
    if (!sys || strncmp(sys, "interviewd-task: ", 17) != 0) return 7;
    char name[32];
    size_t n = strcspn(sys + 17, " \n");
    if (n >= sizeof name) return 7;
    memcpy(name, sys + 17, n);
    name[n] = 0;
    int k = task_from_name(name);
    return k < 0 ? 7 : k;
}

/* As long as the feedback the prompts ask for per answer (at most 25-30 words, llm/task.c),
 * so token use in a simulated day is close to a real one; replies use the prompts'
 * compact keys (docs/tasks.md). */
#define SIM_FEEDBACK                                                                               \
    "Names the main mechanism and one concrete example; add a number that shows the impact "       \
    "and one trade-off you weighed."
#define SIM_SUMMARY                                                                                \
    "Clear, well-ordered answers with concrete examples from recent work. The technical answers "  \
    "name mechanisms but rarely weigh alternatives. Quantify impact and name trade-offs."

/* Valid task JSON built from the request; scores follow answer length. */
static json_t *answer_for(struct sim_state *s, int task, const json_t *messages)
{
    const char *user = json_string_value(json_object_get(json_array_get(messages, 1), "content"));
    if (!user) user = "";
    json_t *out = NULL;
    switch (task) {
    case TASK_RESUME_ANALYSIS:
        out = json_pack("{s:[s,s,s],s:[s],s:[s],s:i,s:s,s:s}", "skills", "python", "sql", "docker",
                        "projects", "a data pipeline", "companies", "Acme", "years_experience", 4,
                        "seniority", "mid", "summary", "simulated analysis");
        break;
    case TASK_EVALUATE:
    case TASK_EVALUATE_BATCH: {
        json_t *evals = json_array();
        const char *p = user;
        while ((p = strstr(p, "<candidate_answer id=\""))) {
            p += strlen("<candidate_answer id=\"");
            const char *q = strchr(p, '"');
            if (!q) break;
            char *id = xstrndup(p, (size_t)(q - p));
            const char *end = strstr(q, "</candidate_answer>");
            int words = 0;
            if (end) {
                char *ans = xstrndup(q + 2, (size_t)(end - q - 2));
                words = util_word_count(ans);
                free(ans);
            }
            int score = 1 + (words >= 15) + (words >= 40) + (words >= 80) + (words >= 120);
            json_array_append_new(evals, json_pack("{s:i,s:i,s:s}", "n", atoi(id), "s",
                                                   score > 5 ? 5 : score, "fb", SIM_FEEDBACK));
            free(id);
            p = q;
        }
        if (task == TASK_EVALUATE) {
            json_t *first = json_array_get(evals, 0);
            out = json_pack("{s:O,s:s}", "s", first ? json_object_get(first, "s") : json_integer(3),
                            "fb", SIM_FEEDBACK);
            json_decref(evals);
        } else {
            out = json_pack("{s:o}", "ev", evals);
            if (strstr(user, "<request summary=\"yes\"/>"))
                json_object_set_new(out, "sum",
                                    json_pack("{s:s,s:[s,s],s:[s,s]}", "t", SIM_SUMMARY, "str",
                                              "clear structure in most answers",
                                              "concrete examples from recent work", "imp",
                                              "quantify the impact of your work",
                                              "name the trade-offs you considered"));
        }
        if (strstr(user, "<next_request")) {
            char q[160];
            snprintf(q, sizeof q,
                     "Simulated follow-up %llu from %s: what would you change next time?",
                     (unsigned long long)++s->questions, s->name);
            json_object_set_new(out, "next", json_string(q));
        }
        break;
    }
    case TASK_SUMMARY:
        out = json_pack("{s:s,s:[s,s],s:[s,s]}", "t", SIM_SUMMARY, "str",
                        "clear structure in most answers", "concrete examples from recent work",
                        "imp", "quantify the impact of your work",
                        "name the trade-offs you considered");
        break;
    case TASK_FOLLOW_UP: {
        char q[160];
        snprintf(q, sizeof q, "Simulated follow-up %llu: can you go deeper?",
                 (unsigned long long)++s->questions);
        out = json_pack("{s:s}", "question", q);
        break;
    }
    case TASK_QUESTION_GEN: {
        /* distinct topics, so generated questions are not near-duplicates of each other */
        static const char *topics[] = {
            "caching",       "sharding",      "replication",    "indexing",  "backpressure",
            "idempotency",   "observability", "migrations",     "queues",    "consensus",
            "compression",   "pagination",    "authentication", "rollbacks", "throttling",
            "serialization", "timeouts",      "tracing",        "batching",  "failover",
            "deadlocks",     "profiling",     "leases",         "quotas"};
        static const char *angles[] = {"trade-offs",    "failure modes",     "testing strategy",
                                       "monitoring",    "capacity planning", "incident story",
                                       "design review", "security risks",    "cost"};
        json_t *qs = json_array();
        for (int k = 0; k < 5; k++) {
            uint64_t n = ++s->questions;
            char q[200];
            snprintf(
                q, sizeof q, "How would you approach the %s of %s in a system you own (%s %llu)?",
                angles[n % ARRAY_LEN(angles)], topics[(n / ARRAY_LEN(angles)) % ARRAY_LEN(topics)],
                s->name, (unsigned long long)n);
            json_array_append_new(
                qs, json_pack("{s:s,s:i,s:[s]}", "text", q, "difficulty", 2, "keywords",
                              topics[(n / ARRAY_LEN(angles)) % ARRAY_LEN(topics)]));
        }
        out = json_pack("{s:o}", "questions", qs);
        break;
    }
    default:
        out = json_pack("{s:s}", "reply", "simulated");
    }
    return out;
}

/* The content of a 200: the task's answer, spoilt at bad_output_rate (*spoilt says
 * whether). Caller frees. */
static char *content_for(struct sim_state *s, int task, const json_t *messages, int *spoilt)
{
    json_t *out = answer_for(s, task, messages);
    enum misbehave_kind k = MISBEHAVE_NONE;
    if (s->p.bad_output_rate > 0 && task < TASK__COUNT) {
        double whether = rnd01(s), which = rnd01(s);
        k = misbehave_pick(s->p.bad_output_rate, whether, which);
    }
    *spoilt = k != MISBEHAVE_NONE;
    char *text =
        misbehave_spoil(out, task < TASK__COUNT ? task_name((enum task_kind)task) : "chat", k);
    json_decref(out);
    return text;
}

static void add_header(struct llm_result *r, const char *name, long value)
{
    r->headers = xrealloc(r->headers, (size_t)(r->n_headers + 1) * sizeof *r->headers);
    char v[32];
    snprintf(v, sizeof v, "%ld", value);
    r->headers[r->n_headers].name = xstrdup(name);
    r->headers[r->n_headers].value = xstrdup(v);
    r->n_headers++;
}

/* Rate-limit headers the way the style's provider sends them (remaining counts only;
 * enough for the router to learn from). */
static void add_ratelimit_headers(struct sim_state *s, struct llm_result *r, long min_req,
                                  long min_tok)
{
    const char *st = s->p.style ? s->p.style : "none";
    if (strcmp(st, "groq") == 0) {
        if (s->p.rpd) add_header(r, "x-ratelimit-limit-requests", s->p.rpd);
        if (s->p.rpd) add_header(r, "x-ratelimit-remaining-requests", s->p.rpd - s->day_requests);
        if (s->p.tpm) add_header(r, "x-ratelimit-limit-tokens", s->p.tpm);
        if (s->p.tpm) add_header(r, "x-ratelimit-remaining-tokens", s->p.tpm - min_tok);
    } else if (strcmp(st, "openai") == 0) {
        if (s->p.rpm) add_header(r, "x-ratelimit-limit-requests", s->p.rpm);
        if (s->p.rpm) add_header(r, "x-ratelimit-remaining-requests", s->p.rpm - min_req);
        if (s->p.tpm) add_header(r, "x-ratelimit-limit-tokens", s->p.tpm);
        if (s->p.tpm) add_header(r, "x-ratelimit-remaining-tokens", s->p.tpm - min_tok);
    } else if (strcmp(st, "cerebras") == 0) {
        if (s->p.rpd) add_header(r, "x-ratelimit-limit-requests-day", s->p.rpd);
        if (s->p.rpd)
            add_header(r, "x-ratelimit-remaining-requests-day", s->p.rpd - s->day_requests);
        if (s->p.tpm) add_header(r, "x-ratelimit-limit-tokens-minute", s->p.tpm);
        if (s->p.tpm) add_header(r, "x-ratelimit-remaining-tokens-minute", s->p.tpm - min_tok);
    }
}

static void deliver(void *arg)
{
    struct sim_call *c = arg;
    struct sim_state *s = c->st;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->calls = c->next;
    if (c->next) c->next->prev = c->prev;
    s->in_flight--;
    c->done(&c->result, c->data);
    llm_result_clear(&c->result);
    timer_free(c->timer);
    free(c);
}

static int sim_submit(struct provider *pv, const struct llm_request *req, llm_done_fn done,
                      void *data)
{
    struct sim_state *s = pv->impl;
    int64_t now = clock_now_ms();
    minute_trim(s, now);
    day_roll(s, now);
    int task = task_of(req->messages);
    long prompt = prompt_tokens_of(s, req->messages);
    /* the answer is known now, so is what the call costs: charged when accepted */
    int spoilt = 0;
    char *content = content_for(s, task, req->messages, &spoilt);
    long completion = completion_tokens_of(s, content);
    long used = prompt + completion;
    long min_req, min_tok;
    minute_usage(s, &min_req, &min_tok);
    struct sim_call *c = xcalloc(1, sizeof *c);
    c->st = s;
    c->done = done;
    c->data = data;
    c->result.provider = pv->name;
    c->result.model = pv->model;
    c->result.retry_after_ms = -1;
    s->stats->requests++;
    s->stats->by_task[task]++;
    static const char *const what[SIM_LIMIT__COUNT] = {"requests per minute", "requests per day",
                                                       "tokens per minute", "tokens per day",
                                                       "concurrency"};
    int limit = -1;
    if (s->p.rpm && min_req + 1 > s->p.rpm)
        limit = SIM_LIMIT_RPM;
    else if (s->p.rpd && s->day_requests + 1 > s->p.rpd)
        limit = SIM_LIMIT_RPD;
    else if (s->p.tpm && min_tok + used > s->p.tpm)
        limit = SIM_LIMIT_TPM;
    else if (s->p.tpd && s->day_tokens + used > s->p.tpd)
        limit = SIM_LIMIT_TPD;
    else if (s->p.concurrency && s->in_flight + 1 > s->p.concurrency)
        limit = SIM_LIMIT_CONCURRENCY;
    const char *over = limit >= 0 ? what[limit] : NULL;
    int64_t delay;
    if (over) {
        s->stats->refused_429++;
        s->stats->refused_by[limit]++;
        if (s->p.known) s->stats->violations++;
        c->result.status = LLM_ERR_RATE_LIMITED;
        c->result.http_status = 429;
        char msg[200];
        snprintf(msg, sizeof msg, "HTTP 429: Rate limit reached on %s (simulated)", over);
        c->result.error = xstrdup(msg);
        c->result.retry_after_ms = limit == SIM_LIMIT_RPD || limit == SIM_LIMIT_TPD ? -1 : 2000;
        add_ratelimit_headers(s, &c->result, min_req, min_tok);
        delay = 20;
    } else if (s->p.fail_rate > 0 && rnd01(s) < s->p.fail_rate) {
        s->stats->failed++;
        /* the request counts at the provider even though it failed */
        s->ring_t[(s->ring_head + s->ring_len) % SIM_RING] = now;
        s->ring_tok[(s->ring_head + s->ring_len) % SIM_RING] = prompt;
        if (s->ring_len < SIM_RING) s->ring_len++;
        s->day_requests++;
        s->day_tokens += prompt;
        c->result.status = LLM_ERR_HTTP;
        c->result.http_status = 503;
        c->result.error = xstrdup("HTTP 503: simulated outage");
        delay = (int64_t)lognormal_ms(s);
    } else {
        s->ring_t[(s->ring_head + s->ring_len) % SIM_RING] = now;
        s->ring_tok[(s->ring_head + s->ring_len) % SIM_RING] = used;
        if (s->ring_len < SIM_RING) s->ring_len++;
        s->day_requests++;
        s->day_tokens += used;
        s->stats->ok++;
        s->stats->bad_outputs += (uint64_t)spoilt;
        s->stats->tokens += (uint64_t)used;
        s->stats->prompt_tokens += (uint64_t)prompt;
        s->stats->completion_tokens += (uint64_t)completion;
        c->result.status = LLM_OK;
        c->result.http_status = 200;
        c->result.content = content;
        content = NULL;
        c->result.prompt_tokens = (int)prompt;
        c->result.completion_tokens = (int)completion;
        delay = (int64_t)lognormal_ms(s);
        minute_usage(s, &min_req, &min_tok);
        add_ratelimit_headers(s, &c->result, min_req, min_tok);
    }
    free(content); /* not delivered: refused or failed */
    if (req->timeout_ms > 0 && delay > req->timeout_ms) {
        llm_result_clear(&c->result);
        c->result.status = LLM_ERR_TIMEOUT;
        c->result.http_status = 0;
        c->result.retry_after_ms = -1;
        c->result.error = xstrdup("simulated timeout");
        delay = req->timeout_ms;
    }
    c->result.latency_ms = delay;
    s->in_flight++;
    c->timer = timer_new(NULL, deliver, c);
    c->next = s->calls;
    if (s->calls) s->calls->prev = c;
    s->calls = c;
    timer_start(c->timer, delay);
    return 0;
}

static void sim_destroy(struct provider *pv)
{
    struct sim_state *s = pv->impl;
    while (s->calls) {
        struct sim_call *c = s->calls;
        s->calls = c->next;
        llm_result_clear(&c->result);
        c->result.status = LLM_ERR_CANCELLED;
        c->done(&c->result, c->data);
        timer_free(c->timer);
        free(c);
    }
    free(s->name);
    free(s->model);
    free(s);
    free(pv);
}

static const struct provider_ops sim_ops = {
    .kind = "sim", .submit = sim_submit, .destroy = sim_destroy};

struct provider *sim_provider_new(const char *name, const char *model,
                                  const struct sim_provider_params *params,
                                  struct sim_provider_stats *stats)
{
    struct sim_state *s = xcalloc(1, sizeof *s);
    s->name = xstrdup(name);
    s->model = xstrdup(model);
    s->p = *params;
    s->stats = stats;
    s->rng = params->seed ? params->seed * 0x9E3779B97F4A7C15ULL : 88172645463325252ULL;
    s->day_start = -1;
    struct provider *pv = xcalloc(1, sizeof *pv);
    pv->ops = &sim_ops;
    pv->name = s->name;
    pv->model = s->model;
    pv->impl = s;
    return pv;
}
