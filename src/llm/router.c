/* router: deployment choice, quota accounting, retries and the wait queue; see
 * router.h. One struct deployment per [provider.*] section; one struct rcall per
 * logical call, alive from router_submit until its done() has run. */
#include "llm/router.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "llm/breaker.h"
#include "llm/quota.h"
#include "llm/quota_share.h" /* issue 8 */
#include "llm/ratelimit.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LATENCY_ALPHA 0.2 /* weight of the newest sample in the latency average */

struct deployment {
    const struct provider_config *cfg;
    struct provider *provider; /* NULL when disabled */
    char why[512];             /* why disabled or dead */
    struct quota quota;
    struct breaker breaker;
    double latency_ewma_ms; /* of successful calls; 0 until the first */
    int probing;            /* after a 429: one call at a time until one succeeds */
    long ledger_requests;   /* today's use already written to the ledger */
    long ledger_tokens;
    int64_t day_start_ms;                     /* the day the ledger rows below belong to */
    uint64_t calls, ok, failed, rate_limited; /* since start */
};

struct rcall {
    struct router *r;
    char task[32];
    json_t *messages;   /* own reference */
    json_t *task_input; /* own reference or NULL */
    int max_tokens;
    double temperature;
    int json_mode;
    int timeout_ms;
    long est_prompt;     /* our estimate of the prompt: chars / 4 + 16 */
    long est_completion; /* max_tokens, or 512 */
    long est_taken;      /* what send_to reserved at dep (its margin included) */
    long prompt_bytes;   /* the prompt's size: an upper bound of its tokens (spend) */
    long spend_taken;    /* micro-USD reserved on the spend window by send_to; 0 if free */
    enum router_priority prio;
    int64_t deadline; /* clock_mono_ms */
    int fail_cause;   /* router_submit's verdict when it failed the call at once, else -1 */
    int attempts;
    uint64_t *tried; /* bitset of deployments already tried, (n+63)/64 words */
    int tried_words;
    int dep;          /* deployment in use, -1 while queued */
    int64_t taken_ms; /* when its quota was reserved (exact settling) */
    llm_done_fn done;
    void *data;
    struct llm_result last;    /* the last failure, delivered if no retry is possible */
    struct rcall *next, *prev; /* wait queue */
    char *model;               /* only deployments serving this model id; NULL: any (own copy) */
    json_t *extra;             /* more body fields, own reference or NULL */
    llm_chunk_fn on_chunk;     /* streaming, passed to the provider unchanged */
    void *chunk_data;
};

struct router {
    struct event_base *base;
    /* issue 16: money spent on priced deployments today, enforced like a quota: a
     * struct quota whose only limit is its day's "tokens", counted in micro-USD (1e-6 USD:
     * a price per million tokens times tokens is micro-USD exactly). Reserved before the
     * call (an upper bound of its cost), settled with its real usage after; written to
     * the quota ledger and shared through Redis under ROUTER_SPEND_WINDOW like any
     * deployment's windows. */
    struct quota spend;
    double spend_cap_usd; /* [budget] max_usd_per_day; 0: priced deployments are never used */
    long spend_ledger;    /* micro-USD of today already written to the ledger */
    int64_t spend_ledger_day;
    int any_priced; /* some deployment has a price */
    struct store *store;
    struct deployment *deps; /* grown by router_add at start-up; calls hold indexes */
    int n, cap;
    struct rcall *queue; /* sorted by (prio, deadline) */
    int queue_len;
    struct timer *wake;         /* retries the queue when capacity may have returned */
    struct timer *ledger_timer; /* writes today's use to the store, once a second at most */
    int closing;
    router_observe_fn observe; /* told of every response (dashboards); may be NULL */
    void *observe_data;
    struct quota_share *share; /* issue 8: the fleet's windows through Redis, or NULL (not owned) */
    int reserve_pct;           /* issue 14: share of each daily limit kept from optional calls */
    uint64_t failed_by[ROUTER_FAIL__COUNT]; /* issue 16: failed calls by cause, since start */
};

static int64_t now_wall(void)
{
    return clock_now_ms();
}

/* ---- ledger ---- */

static void day_key(const struct deployment *d, int64_t day_start, char out[16])
{
    /* The day's date in the deployment's own zone: day_start is its local midnight, so
     * shifting by 12 h lands safely inside that date in UTC terms for both UTC and
     * Pacific resets. */
    char iso[32];
    int64_t mid = day_start + 12LL * 3600 * 1000;
    clock_format_iso(mid, iso, sizeof iso);
    (void)d;
    snprintf(out, 16, "%.10s", iso);
}

static int dep_tz(const struct provider_config *cfg)
{
    return cfg->day_reset && strcmp(cfg->day_reset, "pacific") == 0 ? 1 : 0;
}

static long used_day_requests(const struct quota *q, int tz, int64_t now)
{
    return q->day_start_ms == quota_day_start_ms(tz, now) ? q->day_requests : 0;
}

static long used_day_tokens(const struct quota *q, int tz, int64_t now)
{
    return q->day_start_ms == quota_day_start_ms(tz, now) ? q->day_tokens : 0;
}

static void ledger_restore(struct router *r, struct deployment *d)
{
    d->day_start_ms = quota_day_start_ms(dep_tz(d->cfg), now_wall());
    if (!r->store) return;
    long req = 0, tok = 0;
    char key[16];
    day_key(d, d->day_start_ms, key);
    enum store_err se = store_call(r->store, quota_ledger_get, d->cfg->name, key, &req, &tok);
    if (se == STORE_OK && (req || tok)) {
        quota_load_day(&d->quota, d->day_start_ms, req, tok);
        d->ledger_requests = req;
        d->ledger_tokens = tok;
        log_info("quota_restored", "provider=%s day=%s requests=%ld tokens=%ld", d->cfg->name, key,
                 req, tok);
    }
}

static void ledger_add(struct router *r, struct deployment *d, long requests, long tokens);

/* Writes the growth of today's counts since the last write (never a decrease: refunds
 * of reservations stay counted, which only over-counts). */
static void ledger_sync(struct router *r, struct deployment *d)
{
    int64_t day = quota_day_start_ms(dep_tz(d->cfg), now_wall());
    if (d->quota.day_start_ms != day) return;
    if (day != d->day_start_ms) {
        d->day_start_ms = day;
        d->ledger_requests = d->ledger_tokens = 0;
    }
    /* settled use only: calls still in flight are written when they settle */
    long dr = d->quota.day_requests - d->quota.in_flight - d->ledger_requests;
    long dt = d->quota.day_tokens - d->quota.in_flight_tokens - d->ledger_tokens;
    if (dr < 0) dr = 0;
    if (dt < 0) dt = 0;
    if (dr == 0 && dt == 0) return;
    ledger_add(r, d, dr, dt);
    d->ledger_requests += dr;
    d->ledger_tokens += dt;
}

static void ledger_add(struct router *r, struct deployment *d, long requests, long tokens)
{
    if (!r->store || (requests == 0 && tokens == 0)) return;
    int64_t day = quota_day_start_ms(dep_tz(d->cfg), now_wall());
    d->day_start_ms = day;
    char key[16];
    day_key(d, day, key);
    enum store_err se = store_call(r->store, quota_ledger_add, d->cfg->name, key, requests, tokens);
    if (se != STORE_OK)
        log_warn("quota_ledger_failed", "provider=%s error=\"%s\"", d->cfg->name,
                 store_strerror(se));
}

/* The ledger is written at most once a second, all deployments in one transaction: a
 * commit (fsync) per provider call would cost more than the call's routing. A crash
 * loses at most the last second of accounting. */
#define LEDGER_FLUSH_MS 1000

static void spend_ledger_sync(struct router *r);

static void ledger_flush(struct router *r)
{
    if (!r->store) return;
    int tx = store_begin(r->store) == STORE_OK;
    for (int i = 0; i < r->n; i++)
        if (r->deps[i].provider) ledger_sync(r, &r->deps[i]);
    spend_ledger_sync(r);
    if (tx && store_commit(r->store) != STORE_OK) store_rollback(r->store);
}

static void on_ledger_timer(void *arg)
{
    ledger_flush(arg);
}

static void ledger_mark(struct router *r)
{
    if (r->store && !timer_pending(r->ledger_timer)) timer_start(r->ledger_timer, LEDGER_FLUSH_MS);
}

/* ---- the spend cap (issue 16) ---- */

/* The day key of the spend window: a UTC day, like the ledger's other rows. */
static void spend_day_key(int64_t day_start, char out[16])
{
    char iso[32];
    clock_format_iso(day_start + 12LL * 3600 * 1000, iso, sizeof iso);
    snprintf(out, 16, "%.10s", iso);
}

/* Writes the growth of today's settled spend, like ledger_sync. A reservation still in
 * flight is not written; a crash then loses at most the last second of settled spend,
 * and the restart restores the rest (quota_load_day) before any call. */
static void spend_ledger_sync(struct router *r)
{
    if (!r->store || r->spend_cap_usd <= 0) return;
    int64_t day = quota_day_start_ms(QUOTA_TZ_UTC, now_wall());
    if (r->spend.day_start_ms != day) return;
    if (day != r->spend_ledger_day) {
        r->spend_ledger_day = day;
        r->spend_ledger = 0;
    }
    long dt = r->spend.day_tokens - r->spend.in_flight_tokens - r->spend_ledger;
    if (dt <= 0) return;
    char key[16];
    spend_day_key(day, key);
    enum store_err se = store_call(r->store, quota_ledger_add, ROUTER_SPEND_WINDOW, key, 0, dt);
    if (se != STORE_OK) {
        log_warn("spend_ledger_failed", "error=\"%s\"", store_strerror(se));
        return;
    }
    r->spend_ledger += dt;
}

/* An upper bound of what c may cost at d, in micro-USD: every byte of the prompt counted
 * as a token (a tokenizer never makes more tokens than bytes) and the whole completion
 * allowance, so that settling can only lower it and the cap holds. */
static long cost_bound_micro(const struct deployment *d, const struct rcall *c)
{
    if (!provider_config_priced(d->cfg)) return 0;
    double in = (double)c->prompt_bytes, out = (double)c->est_completion;
    return (long)ceil(in * d->cfg->price_in_per_mtok + out * d->cfg->price_out_per_mtok);
}

/* What a settled call really cost at d, in micro-USD; -1 when its usage is unknown. */
static long cost_actual_micro(const struct deployment *d, const struct llm_result *res)
{
    if (!provider_config_priced(d->cfg)) return 0;
    if (res->prompt_tokens + res->completion_tokens <= 0) return -1;
    return (long)ceil((double)res->prompt_tokens * d->cfg->price_in_per_mtok +
                      (double)res->completion_tokens * d->cfg->price_out_per_mtok);
}

/* 1 if today's spend leaves room for a call costing at most micro. */
static int spend_can_take(struct router *r, long micro, int64_t now)
{
    if (r->spend_cap_usd <= 0) return 0;
    if (!quota_can_take(&r->spend, now, micro, NULL)) return 0;
    if (r->share &&
        !quota_share_can_take(r->share, ROUTER_SPEND_WINDOW, &r->spend.limits, now, micro))
        return 0;
    return 1;
}

void router_set_spend_cap(struct router *r, double max_usd_per_day)
{
    CHECK(r != NULL && max_usd_per_day >= 0);
    r->spend_cap_usd = max_usd_per_day;
    struct quota_limits lim = {.tpd = (long)floor(max_usd_per_day * 1e6),
                               .day_reset_tz = QUOTA_TZ_UTC};
    int64_t now = now_wall();
    quota_init(&r->spend, &lim, now);
    if (!r->store || max_usd_per_day <= 0) return;
    /* a restart remembers what today already cost */
    int64_t day = quota_day_start_ms(QUOTA_TZ_UTC, now);
    char key[16];
    spend_day_key(day, key);
    long req = 0, micro = 0;
    if (store_call(r->store, quota_ledger_get, ROUTER_SPEND_WINDOW, key, &req, &micro) ==
            STORE_OK &&
        micro > 0) {
        quota_load_day(&r->spend, day, 0, micro);
        log_info("spend_restored", "day=%s usd=%.6f", key, (double)micro / 1e6);
    }
    r->spend_ledger_day = day;
    r->spend_ledger = micro;
}

static const char *fail_names[ROUTER_FAIL__COUNT] = {
    "waited_past_deadline", "no_quota_before_deadline", "spend_cap", "queue_full", "offline",
    "provider_error"};

const char *router_fail_name(enum router_fail f)
{
    CHECK(f >= 0 && f < ROUTER_FAIL__COUNT);
    return fail_names[f];
}

void router_failures(const struct router *r, uint64_t *out)
{
    memcpy(out, r->failed_by, sizeof r->failed_by);
}

void router_spend(const struct router *r, struct router_spend *out)
{
    int64_t now = now_wall();
    memset(out, 0, sizeof *out);
    out->cap_usd = r->spend_cap_usd;
    int64_t day = quota_day_start_ms(QUOTA_TZ_UTC, now);
    long micro = r->spend.day_start_ms == day ? r->spend.day_tokens : 0;
    long reserved = r->spend.day_start_ms == day ? r->spend.in_flight_tokens : 0;
    out->reserved_usd = (double)reserved / 1e6;
    out->today_usd = (double)(micro - reserved) / 1e6;
    if (out->today_usd < 0) out->today_usd = 0;
    /* forecast: today's pace over the part of the day gone (after the first hour, so a
     * single early call does not project a day of them), never above the cap */
    double elapsed = (double)(now - day) / 86400000.0;
    out->forecast_usd = elapsed >= 1.0 / 24 ? out->today_usd / elapsed : out->today_usd;
    if (r->spend_cap_usd > 0 && out->forecast_usd > r->spend_cap_usd)
        out->forecast_usd = r->spend_cap_usd;
    if (r->spend_cap_usd <= 0) out->forecast_usd = out->today_usd;
}

/* ---- set-up ---- */

static void on_wake(void *arg);

struct router *router_new(struct event_base *base, struct store *store)
{
    struct router *r = xcalloc(1, sizeof *r);
    r->base = base;
    r->store = store;
    r->wake = timer_new(base, on_wake, r);
    struct quota_limits never = {.tpd = 0, .day_reset_tz = QUOTA_TZ_UTC};
    quota_init(&r->spend, &never, now_wall());
    r->ledger_timer = timer_new(base, on_ledger_timer, r);
    return r;
}

static struct deployment *dep_slot(struct router *r, const struct provider_config *cfg)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->deps = xrealloc(r->deps, (size_t)r->cap * sizeof *r->deps);
    }
    struct deployment *d = &r->deps[r->n++];
    memset(d, 0, sizeof *d);
    d->cfg = cfg;
    struct quota_limits lim = {
        .rpm = cfg->rpm,
        .rpd = cfg->rpd,
        .tpm = cfg->tpm,
        .tpd = cfg->tpd,
        .concurrency = cfg->concurrency,
        .day_reset_tz = dep_tz(cfg),
    };
    quota_init(&d->quota, &lim, now_wall());
    breaker_init(&d->breaker, 0, 0, 0);
    return d;
}

int router_add(struct router *r, const struct provider_config *cfg, struct provider *p)
{
    CHECK(r != NULL && cfg != NULL && cfg->name != NULL && p != NULL);
    struct deployment *d = dep_slot(r, cfg);
    if (!d) {
        provider_destroy(p);
        return -1;
    }
    d->provider = p;
    if (provider_config_priced(cfg)) r->any_priced = 1;
    ledger_restore(r, d);
    return (int)(d - r->deps);
}

void router_add_disabled(struct router *r, const struct provider_config *cfg, const char *why)
{
    struct deployment *d = dep_slot(r, cfg);
    if (d) snprintf(d->why, sizeof d->why, "%s", why);
}

void router_add_from_config(struct router *r, const struct config *cfg)
{
    for (int i = 0; i < cfg->n_providers; i++) {
        const struct provider_config *pc = &cfg->providers[i];
        char why[400];
        const char *key = NULL;
        if (pc->api_key_env[0]) {
            key = getenv(pc->api_key_env);
            if (!key || !*key) {
                snprintf(why, sizeof why, "environment variable %s is not set", pc->api_key_env);
                /* a configured deployment that cannot be used is trouble, not news */
                log_warn("provider_disabled", "provider=%s reason=\"%s\"", pc->name, why);
                router_add_disabled(r, pc, why);
                continue;
            }
        }
        char perr[256] = "";
        struct provider *p = provider_openai_new(r->base, pc, key, perr, sizeof perr);
        if (!p) {
            snprintf(why, sizeof why, "%s", perr);
            log_warn("provider_disabled", "provider=%s reason=\"%s\"", pc->name, why);
            router_add_disabled(r, pc, why);
            continue;
        }
        router_add(r, pc, p);
        log_info("provider_enabled", "provider=%s model=%s rpm=%ld rpd=%ld tpm=%ld tpd=%ld",
                 pc->name, pc->model, pc->rpm, pc->rpd, pc->tpm, pc->tpd);
    }
}

/* ---- the queue ---- */

static void queue_insert(struct router *r, struct rcall *c)
{
    struct rcall **pp = &r->queue, *prev = NULL;
    while (*pp &&
           ((*pp)->prio < c->prio || ((*pp)->prio == c->prio && (*pp)->deadline <= c->deadline))) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    c->next = *pp;
    c->prev = prev;
    if (*pp) (*pp)->prev = c;
    *pp = c;
    r->queue_len++;
}

static void queue_remove(struct router *r, struct rcall *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        r->queue = c->next;
    if (c->next) c->next->prev = c->prev;
    c->next = c->prev = NULL;
    r->queue_len--;
}

static void call_free(struct rcall *c)
{
    free(c->tried);
    json_decref(c->messages);
    json_decref(c->task_input);
    json_decref(c->extra);
    free(c->model);
    llm_result_clear(&c->last);
    free(c);
}

/* Delivers res (or the last failure) and frees the call. */
static void call_finish(struct rcall *c, struct llm_result *res)
{
    CHECK(c->done != NULL && res != NULL);
    c->done(res, c->data);
    call_free(c);
}

static void call_fail(struct rcall *c, enum router_fail cause, enum llm_status st, const char *why)
{
    c->r->failed_by[cause]++;
    if (c->last.status != LLM_OK && c->attempts > 0) {
        /* a retry could not be placed: the caller sees the real last failure */
        call_finish(c, &c->last);
        return;
    }
    struct llm_result res = {0};
    res.status = st;
    res.retry_after_ms = -1;
    res.error = xstrdup(why);
    call_finish(c, &res);
    llm_result_clear(&res);
}

/* ---- choosing ---- */

static int dep_usable(const struct deployment *d)
{
    return d->provider != NULL && d->breaker.state != BREAKER_DEAD;
}

static int tried_has(const struct rcall *c, int i)
{
    return c->tried && (c->tried[i / 64] >> (i % 64)) & 1;
}

static void tried_set(struct rcall *c, int i)
{
    if (c->tried && i / 64 < c->tried_words) c->tried[i / 64] |= 1ULL << (i % 64);
}

static int tried_any(const struct rcall *c)
{
    for (int w = 0; c->tried && w < c->tried_words; w++)
        if (c->tried[w]) return 1;
    return 0;
}

/* The tokens c reserves at d: our prompt estimate plus the deployment's
 * token_margin_pct of it, plus the completion. The provider counts with its own
 * tokenizer and refuses (429) a call its count puts over TPM/TPD; the margin keeps the
 * reservation above its count, so that stays rare. What the call really used (the
 * provider's `usage`) replaces the reservation when it settles. */
static long est_at(const struct deployment *d, const struct rcall *c)
{
    long m = d->cfg->token_margin_pct > 0 ? d->cfg->token_margin_pct : 0;
    return c->est_prompt + (c->est_prompt * m + 99) / 100 + c->est_completion;
}

/* Issue 14: 1 if d keeps its reserve after a call of est_tokens: more than reserve_pct
 * of its daily request and token limits stays left. Always 1 for calls that may use the
 * reserve, and for limits that are not known. What is left counts what the provider
 * reported (a key also used elsewhere leaves less). */
static int keeps_reserve(const struct router *r, const struct deployment *d, int64_t now,
                         enum router_priority prio, long est_tokens)
{
    if (prio != ROUTER_OPTIONAL || r->reserve_pct <= 0) return 1;
    const struct quota_limits *lim = &d->quota.limits;
    long rq = quota_remaining_day_requests(&d->quota, now);
    long tk = quota_remaining_day_tokens(&d->quota, now);
    /* kept = ceil(limit * pct / 100): a reserve of 20% of 5 requests is 1, never 0 */
    if (lim->rpd > 0 && rq >= 0 && (rq - 1) * 100 < lim->rpd * r->reserve_pct) return 0;
    if (lim->tpd > 0 && tk >= 0 && (tk - est_tokens) * 100 < lim->tpd * r->reserve_pct) return 0;
    return 1;
}

/* The best deployment for c now among the free ones (priced = 0) or the priced ones
 * (priced = 1), or -1. */
static int pick_among(struct router *r, const struct rcall *c, int priced)
{
    int64_t now = now_wall();
    int best = -1;
    double best_score = -1;
    for (int i = 0; i < r->n; i++) {
        struct deployment *d = &r->deps[i];
        if (!dep_usable(d)) continue;
        if (provider_config_priced(d->cfg) != priced) continue;
        if (priced && !spend_can_take(r, cost_bound_micro(d, c), now)) continue;
        if (tried_has(c, i)) continue;
        if (c->model && strcmp(c->model, d->cfg->model) != 0) continue;
        if (!breaker_allow(&d->breaker, now)) continue;
        if (d->probing && d->quota.in_flight > 0) continue;
        const char *why;
        if (!quota_can_take(&d->quota, now, est_at(d, c), &why)) continue;
        if (!keeps_reserve(r, d, now, c->prio, est_at(d, c))) continue;
        /* issue 8: the fleet's windows must allow it too */
        if (r->share &&
            !quota_share_can_take(r->share, d->cfg->name, &d->quota.limits, now, est_at(d, c)))
            continue;
        double score =
            quota_day_fraction_left(&d->quota, now) / (1.0 + d->latency_ewma_ms / 2000.0);
        if (priced) /* the cheapest priced deployment first */
            score = 1.0 / (1.0 + (double)cost_bound_micro(d, c));
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

static int64_t earliest_capacity(struct router *r, const struct rcall *c, int64_t now, int which);
#define CAP_ALL (-1)
#define CAP_FREE 0

/* The deployment for c now, or -1. Free deployments first; a priced one (within the
 * spend cap) only for a call that no free deployment can take before its deadline. */
static int pick(struct router *r, const struct rcall *c)
{
    int i = pick_among(r, c, 0);
    if (i >= 0 || !r->any_priced || r->spend_cap_usd <= 0) return i;
    int64_t now = now_wall(), at = earliest_capacity(r, c, now, CAP_FREE);
    if (at != QUOTA_NEVER && at - now < c->deadline - clock_mono_ms()) return -1; /* wait */
    return pick_among(r, c, 1);
}

/* Issue 14: when no deployment can take c now, the earliest wall time one could, or
 * QUOTA_NEVER. A breaker open until after the caller's deadline (a provider that is
 * down), a spent day or a call too large count as "not before"; what only a settling
 * call frees (a concurrency slot, a probe in flight, the fleet's shared windows) counts
 * as "now", since it may free at any moment. The caller compares the result with its
 * deadline: a call that cannot be placed in time fails at once instead of waiting out
 * its deadline, so a turn falls back to the bank question within milliseconds. */
static int64_t earliest_capacity(struct router *r, const struct rcall *c, int64_t now, int which)
{
    int64_t best = QUOTA_NEVER;
    for (int i = 0; i < r->n && best > now; i++) {
        struct deployment *d = &r->deps[i];
        if (!dep_usable(d)) continue;
        int priced = provider_config_priced(d->cfg);
        if (which != CAP_ALL && priced != which) continue;
        if (priced && r->spend_cap_usd <= 0) continue;
        if (c->model && strcmp(c->model, d->cfg->model) != 0) continue;
        /* the reserve is kept until the day ends: an optional call waits for nothing */
        if (!keeps_reserve(r, d, now, c->prio, est_at(d, c))) continue;
        const char *why = NULL;
        int64_t at;
        if (d->breaker.state == BREAKER_HALF_OPEN || (d->probing && d->quota.in_flight > 0)) {
            at = now; /* a probe is out: its answer may reopen the way */
        } else if (!quota_can_take(&d->quota, now, est_at(d, c), &why) && why &&
                   strcmp(why, "concurrency") == 0) {
            at = now;
        } else {
            at = quota_next_available_ms(&d->quota, now, est_at(d, c));
            if (at == QUOTA_NEVER) continue;
            int64_t reopen = breaker_retry_at_ms(&d->breaker);
            if (reopen > at) at = reopen;
            if (r->share && at <= now) at = now;
        }
        if (priced && !quota_can_take(&r->spend, now, cost_bound_micro(d, c), NULL)) {
            /* reservations in flight settle below their bound: room may come back at any
             * moment, like a concurrency slot; otherwise the day's spend is used up and
             * nothing comes back before the cap's day resets */
            int64_t s = r->spend.in_flight > 0
                            ? now
                            : quota_next_available_ms(&r->spend, now, cost_bound_micro(d, c));
            if (s == QUOTA_NEVER) continue;
            if (s > at) at = s;
        }
        if (at < best) best = at;
    }
    return best;
}

/* Why no deployment can take c (before its deadline, or by it): the spend cap (a priced
 * deployment exists that its limits alone would allow), or quota. */
static enum router_fail no_capacity_cause(struct router *r, const struct rcall *c, int waited)
{
    int64_t now = now_wall();
    if (r->any_priced && r->spend_cap_usd > 0)
        for (int i = 0; i < r->n; i++) {
            struct deployment *d = &r->deps[i];
            if (!dep_usable(d) || !provider_config_priced(d->cfg)) continue;
            if (c->model && strcmp(c->model, d->cfg->model) != 0) continue;
            if (quota_next_available_ms(&d->quota, now, est_at(d, c)) == QUOTA_NEVER) continue;
            if (!spend_can_take(r, cost_bound_micro(d, c), now)) return ROUTER_FAIL_SPEND_CAP;
        }
    return waited ? ROUTER_FAIL_WAITED : ROUTER_FAIL_NO_QUOTA;
}

/* 1 if no deployment can take c before its deadline (see earliest_capacity). */
static int hopeless(struct router *r, const struct rcall *c)
{
    int64_t now = now_wall(), at = earliest_capacity(r, c, now, CAP_ALL);
    return at == QUOTA_NEVER || at - now >= c->deadline - clock_mono_ms();
}

static void on_result(struct llm_result *res, void *data);

static void send_to(struct router *r, struct rcall *c, int i)
{
    struct deployment *d = &r->deps[i];
    int64_t now = now_wall();
    c->dep = i;
    c->attempts++;
    tried_set(c, i);
    c->est_taken = est_at(d, c);
    quota_take(&d->quota, now, c->est_taken);
    c->spend_taken = cost_bound_micro(d, c);
    if (c->spend_taken > 0) { /* issue 16: reserved before the call */
        quota_take(&r->spend, now, c->spend_taken);
        if (r->share)
            quota_share_take(r->share, ROUTER_SPEND_WINDOW, &r->spend.limits, now, c->spend_taken);
    }
    if (r->share)
        quota_share_take(r->share, d->cfg->name, &d->quota.limits, now, c->est_taken); /* issue 8 */
    c->taken_ms = now;
    breaker_on_start(&d->breaker, now);
    d->calls++;
    int64_t left = c->deadline - clock_mono_ms();
    struct llm_request req = {
        .task = c->task,
        .messages = c->messages,
        .task_input = c->task_input,
        .max_tokens = c->max_tokens,
        .temperature = c->temperature,
        .json_mode = c->json_mode,
        .timeout_ms = c->timeout_ms,
        .model = c->model,
        .extra = c->extra,
        .on_chunk = c->on_chunk,
        .chunk_data = c->chunk_data,
    };
    /* never wait on the provider past the caller's deadline */
    if (left > 0 && (req.timeout_ms <= 0 || left < req.timeout_ms)) req.timeout_ms = (int)left;
    if (provider_submit(d->provider, &req, on_result, c) != 0) {
        quota_settle_taken(&d->quota, now, c->taken_ms, c->est_taken, 0, 0);
        if (c->spend_taken > 0) {
            quota_settle_taken(&r->spend, now, c->taken_ms, c->spend_taken, 0, 0);
            if (r->share)
                quota_share_settle(r->share, ROUTER_SPEND_WINDOW, &r->spend.limits, c->taken_ms,
                                   now, c->spend_taken, 0);
            c->spend_taken = 0;
        }
        breaker_record(&d->breaker, now, 0);
        c->dep = -1;
        log_warn("provider_submit_failed", "provider=%s task=%s", d->cfg->name, c->task);
        /* try another now, or wait */
        int j = pick(r, c);
        if (j >= 0)
            send_to(r, c, j);
        else
            queue_insert(r, c);
    }
}

static void schedule_wake(struct router *r);

static void dispatch_queue(struct router *r)
{
    int64_t mono = clock_mono_ms();
    struct rcall *c = r->queue;
    while (c) {
        struct rcall *next = c->next;
        if (c->deadline <= mono) {
            queue_remove(r, c);
            log_info("llm_no_capacity", "task=%s waited_ms=deadline", c->task);
            call_fail(c,
                      c->fail_cause >= 0 ? (enum router_fail)c->fail_cause
                                         : no_capacity_cause(r, c, 1),
                      LLM_ERR_NO_CAPACITY,
                      "no provider had quota left for this call before its deadline");
        } else {
            int i = pick(r, c);
            if (i < 0 && tried_any(c)) {
                /* every untried deployment is full: tried ones may take it again */
                uint64_t *saved = c->tried;
                c->tried = NULL;
                i = pick(r, c);
                c->tried = saved;
                if (i >= 0) memset(c->tried, 0, (size_t)c->tried_words * sizeof *c->tried);
            }
            if (i >= 0) {
                queue_remove(r, c);
                send_to(r, c, i);
            } else if (hopeless(r, c)) {
                queue_remove(r, c);
                log_info("llm_no_capacity", "task=%s reason=\"none before the deadline\"", c->task);
                call_fail(
                    c, no_capacity_cause(r, c, 0), LLM_ERR_NO_CAPACITY,
                    "no provider can take this call before its deadline (down, or out of quota)");
            }
        }
        c = next;
    }
    schedule_wake(r);
}

static void on_wake(void *arg)
{
    dispatch_queue(arg);
}

/* Wakes at the earliest of: a queued deadline, the moment some deployment could take the
 * head call (bounded to 1 s so observed resets are noticed). */
static void schedule_wake(struct router *r)
{
    if (!r->queue) {
        timer_stop(r->wake);
        return;
    }
    int64_t mono = clock_mono_ms(), now = now_wall();
    int64_t wait = 1000;
    for (struct rcall *c = r->queue; c; c = c->next) {
        int64_t until = c->deadline - mono;
        if (until < wait) wait = until;
    }
    for (int i = 0; i < r->n; i++) {
        struct deployment *d = &r->deps[i];
        if (!dep_usable(d)) continue;
        const char *why = NULL;
        /* a slot freed by a finishing call wakes the queue itself (on_result) */
        long est = est_at(d, r->queue);
        if (!quota_can_take(&d->quota, now, est, &why) && why && strcmp(why, "concurrency") == 0)
            continue;
        /* issue 8: waiting on the fleet's share: its wake callback (or the 1 s bound) retries */
        if (r->share && !quota_share_can_take(r->share, d->cfg->name, &d->quota.limits, now, est))
            continue;
        int64_t at = quota_next_available_ms(&d->quota, now, est);
        int64_t probe = breaker_retry_at_ms(&d->breaker);
        if (probe > at) at = probe;
        if (at >= 0 && at != QUOTA_NEVER && at - now < wait) wait = at - now;
    }
    if (wait < 1) wait = 1;
    timer_start(r->wake, wait);
}

/* ---- results ---- */

static int retryable(const struct llm_result *res)
{
    switch (res->status) {
    case LLM_ERR_RATE_LIMITED:
    case LLM_ERR_TIMEOUT:
    case LLM_ERR_NETWORK:
    case LLM_ERR_AUTH:
        return 1;
    case LLM_ERR_HTTP:
        return res->http_status >= 500;
    default:
        return 0;
    }
}

static void on_result(struct llm_result *res, void *data)
{
    struct rcall *c = data;
    struct router *r = c->r;
    struct deployment *d = &r->deps[c->dep];
    int64_t now = now_wall();
    /* A timeout was sent (the provider may have answered in full); only a call that
     * never reached it (connect/DNS/TLS failure, cancel) gives its request back. */
    int happened = res->http_status > 0 || res->status == LLM_ERR_TIMEOUT;
    long actual = res->prompt_tokens + res->completion_tokens;
    if (actual <= 0) actual = -1; /* unknown usage (a timeout): keep the estimate */
    quota_settle_taken(&d->quota, now, c->taken_ms, c->est_taken, happened ? actual : 0, happened);
    if (r->share) /* issue 8 */
        quota_share_settle(r->share, d->cfg->name, &d->quota.limits, c->taken_ms, now, c->est_taken,
                           happened ? actual : 0);
    if (c->spend_taken > 0) { /* issue 16: settled with what the call really cost */
        long cost = happened ? cost_actual_micro(d, res) : 0;
        if (cost > c->spend_taken) /* a provider that counted more than the bound */
            log_warn("spend_over_bound", "provider=%s reserved=%ld actual=%ld", d->cfg->name,
                     c->spend_taken, cost);
        quota_settle_taken(&r->spend, now, c->taken_ms, c->spend_taken, cost, happened);
        if (r->share)
            quota_share_settle(r->share, ROUTER_SPEND_WINDOW, &r->spend.limits, c->taken_ms, now,
                               c->spend_taken, cost);
        c->spend_taken = 0;
        ledger_mark(r);
    }
    struct ratelimit_obs obs;
    ratelimit_parse(d->cfg->headers, res, now, &obs);
    quota_observe(&d->quota, now, &obs);
    /* today's use as we now believe it, including what headers revealed (the key used
     * elsewhere), so a restart does not forget it */
    if (happened) ledger_mark(r);

    int verdict = breaker_verdict(res->status, res->http_status);
    if (verdict >= 0)
        breaker_record(&d->breaker, now, verdict);
    else if (res->status == LLM_ERR_CANCELLED)
        breaker_record(&d->breaker, now, -1);
    if (r->observe && res->status != LLM_ERR_CANCELLED)
        r->observe(d->cfg->name, res->status, res->latency_ms, r->observe_data);
    if (res->status == LLM_OK) d->probing = 0;
    if (res->status == LLM_ERR_RATE_LIMITED) d->probing = 1;
    if (res->status == LLM_OK) {
        d->ok++;
        d->latency_ewma_ms = d->latency_ewma_ms == 0 ? (double)res->latency_ms
                                                     : (1 - LATENCY_ALPHA) * d->latency_ewma_ms +
                                                           LATENCY_ALPHA * (double)res->latency_ms;
    } else if (res->status == LLM_ERR_CANCELLED || r->closing) {
        call_finish(c, res);
        return;
    } else {
        d->failed++;
        if (obs.kind == RL_AUTH || res->status == LLM_ERR_AUTH) {
            breaker_kill(&d->breaker, "the provider refused the key (401/402/403)");
            snprintf(d->why, sizeof d->why, "key refused: %s", res->error ? res->error : "auth");
            log_warn("provider_dead", "provider=%s reason=\"key refused\"", d->cfg->name);
        } else if (res->status == LLM_ERR_RATE_LIMITED) {
            d->rate_limited++;
            log_warn("provider_rate_limited", "provider=%s kind=%d retry_after_ms=%lld",
                     d->cfg->name, (int)obs.kind, (long long)obs.retry_after_ms);
        }
    }
    /* a stream that has started is the caller's already: never retried elsewhere */
    if (res->status != LLM_OK && retryable(res) && res->chunks == 0 &&
        c->attempts < ROUTER_MAX_ATTEMPTS && clock_mono_ms() < c->deadline && !r->closing) {
        /* keep this failure to report if no retry can be placed */
        llm_result_clear(&c->last);
        c->last = *res;
        c->last.content = NULL;
        c->last.error = res->error ? xstrdup(res->error) : NULL;
        c->last.headers = NULL;
        c->last.n_headers = 0;
        c->dep = -1;
        int i = pick(r, c);
        if (i >= 0)
            send_to(r, c, i);
        else {
            queue_insert(r, c);
            schedule_wake(r);
        }
    } else {
        if (res->status != LLM_OK) r->failed_by[ROUTER_FAIL_PROVIDER]++;
        call_finish(c, res);
    }
    if (r->queue) dispatch_queue(r); /* capacity was released */
}

/* ---- the public calls ---- */

/* Our estimate of a prompt, chars / 4 + 16; deployments add their margin (est_at). */
static long prompt_bytes(const struct llm_request *req)
{
    size_t chars = 0, i;
    json_t *m;
    json_array_foreach(req->messages, i, m)
    {
        const char *content = json_string_value(json_object_get(m, "content"));
        if (content) chars += strlen(content) + 8; /* + the role's few tokens */
    }
    return (long)chars + 16;
}

static long estimate_prompt_tokens(const struct llm_request *req)
{
    size_t chars = 0, i;
    json_t *m;
    json_array_foreach(req->messages, i, m)
    {
        const char *content = json_string_value(json_object_get(m, "content"));
        if (content) chars += strlen(content);
    }
    return (long)(chars / 4 + 16);
}

void router_submit(struct router *r, const struct llm_request *req, enum router_priority prio,
                   int64_t deadline_mono_ms, llm_done_fn done, void *data)
{
    CHECK(r != NULL && req != NULL && req->messages != NULL && done != NULL);
    CHECK(prio == ROUTER_INTERACTIVE || prio == ROUTER_BACKGROUND || prio == ROUTER_OPTIONAL);
    struct rcall *c = xcalloc(1, sizeof *c);
    c->r = r;
    snprintf(c->task, sizeof c->task, "%s", req->task ? req->task : "chat");
    c->messages = json_incref(req->messages);
    c->task_input = req->task_input ? json_incref(req->task_input) : NULL;
    c->max_tokens = req->max_tokens;
    c->temperature = req->temperature;
    c->json_mode = req->json_mode;
    c->timeout_ms = req->timeout_ms;
    c->model = req->model ? xstrdup(req->model) : NULL;
    c->extra = req->extra ? json_incref(req->extra) : NULL;
    c->on_chunk = req->on_chunk;
    c->chunk_data = req->chunk_data;
    c->est_prompt = estimate_prompt_tokens(req);
    c->prompt_bytes = prompt_bytes(req);
    c->est_completion = req->max_tokens > 0 ? req->max_tokens : 512;
    c->prio = prio;
    c->deadline = deadline_mono_ms;
    c->fail_cause = -1;
    c->dep = -1;
    c->done = done;
    c->data = data;
    c->last.retry_after_ms = -1;
    c->tried_words = (r->n + 63) / 64;
    c->tried = xcalloc((size_t)(c->tried_words ? c->tried_words : 1), sizeof *c->tried);
    int i = pick(r, c);
    if (i >= 0) {
        send_to(r, c, i);
        return;
    }
    if (r->queue_len >= ROUTER_MAX_QUEUE || !router_online(r) || hopeless(r, c)) {
        c->fail_cause = r->queue_len >= ROUTER_MAX_QUEUE ? ROUTER_FAIL_QUEUE_FULL
                        : !router_online(r)              ? ROUTER_FAIL_OFFLINE
                                                         : (int)no_capacity_cause(r, c, 0);
        /* deliver on the loop, never inside submit */
        queue_insert(r, c);
        c->deadline = clock_mono_ms(); /* fails at the next wake */
        schedule_wake(r);
        return;
    }
    queue_insert(r, c);
    schedule_wake(r);
}

void router_free(struct router *r)
{
    if (!r) return;
    r->closing = 1;
    while (r->queue) {
        struct rcall *c = r->queue;
        queue_remove(r, c);
        struct llm_result res = {0};
        res.status = LLM_ERR_CANCELLED;
        res.retry_after_ms = -1;
        call_finish(c, &res);
    }
    for (int i = 0; i < r->n; i++) {
        provider_destroy(r->deps[i].provider); /* cancels in flight */
        r->deps[i].provider = NULL;
    }
    /* what settled since the last write; deployments are gone but their counts stay */
    if (r->ledger_timer && timer_pending(r->ledger_timer)) {
        for (int i = 0; i < r->n && r->store; i++)
            ledger_sync(r, &r->deps[i]);
        spend_ledger_sync(r);
    }
    free(r->deps);
    timer_free(r->wake);
    timer_free(r->ledger_timer);
    free(r);
}

int router_pick(struct router *r, long est_tokens)
{
    struct rcall probe = {0};
    probe.est_prompt = est_tokens; /* the caller's whole estimate, margin applied to all */
    probe.prompt_bytes = est_tokens * 4;
    return pick(r, &probe);
}

int router_can_take_within(struct router *r, long est_tokens, int64_t within_ms)
{
    struct rcall probe = {
        .r = r, .est_prompt = est_tokens, .prompt_bytes = est_tokens * 4, .dep = -1};
    int64_t now = now_wall();
    if (pick(r, &probe) >= 0) return 1;
    int64_t at = earliest_capacity(r, &probe, now, CAP_ALL);
    return at != QUOTA_NEVER && at - now < within_ms;
}

void router_set_reserve_percent(struct router *r, int pct)
{
    CHECK(r != NULL && pct >= 0 && pct <= 90);
    r->reserve_pct = pct;
}

int router_reserve_reached(const struct router *r)
{
    if (r->reserve_pct <= 0) return 0;
    int64_t now = now_wall();
    int usable = 0;
    for (int i = 0; i < r->n; i++) {
        const struct deployment *d = &r->deps[i];
        if (!dep_usable(d)) continue;
        if (provider_config_priced(d->cfg) && r->spend_cap_usd <= 0) continue; /* never used */
        usable++;
        if (keeps_reserve(r, d, now, ROUTER_OPTIONAL, 1)) return 0;
    }
    return usable > 0;
}

int router_online(const struct router *r)
{
    for (int i = 0; i < r->n; i++)
        if (dep_usable(&r->deps[i])) return 1;
    return 0;
}

/* issue 8: a lease from the fleet arrived, or the fallback share took effect */
static void on_share_wake(void *data)
{
    struct router *r = data;
    if (r->queue) timer_start(r->wake, 0);
}

void router_set_share(struct router *r, struct quota_share *qs)
{
    if (r->share) quota_share_set_wake(r->share, NULL, NULL);
    r->share = qs;
    if (qs) quota_share_set_wake(qs, on_share_wake, r);
}

void router_set_observer(struct router *r, router_observe_fn fn, void *data)
{
    r->observe = fn;
    r->observe_data = data;
}

int router_queue_length(const struct router *r)
{
    return r->queue_len;
}

/* Share of a call's tokens that are prompt, for what a typical call costs (the prompts
 * carry the answers; the completions are short JSON). */
#define ROUTER_PROMPT_SHARE 0.85

static double calls_left(const struct router *r, double tokens_per_call, int with_priced);

double router_calls_left_today(const struct router *r, double tokens_per_call)
{
    return calls_left(r, tokens_per_call, 1);
}

double router_free_calls_left_today(const struct router *r, double tokens_per_call)
{
    return calls_left(r, tokens_per_call, 0);
}

static double calls_left(const struct router *r, double tokens_per_call, int with_priced)
{
    int64_t now = now_wall();
    double total = 0, priced_left = 0;
    int known = 0;
    /* what the spend cap still allows, in calls of the cheapest priced deployment */
    double spend_left_micro = 0;
    if (r->spend_cap_usd > 0) {
        long left = quota_remaining_day_tokens(&r->spend, now);
        spend_left_micro = left < 0 ? 0 : (double)left;
    }
    double cheapest = -1;
    for (int i = 0; i < r->n; i++) {
        const struct deployment *d = &r->deps[i];
        if (!dep_usable(d) || !provider_config_priced(d->cfg)) continue;
        double c = tokens_per_call * (ROUTER_PROMPT_SHARE * d->cfg->price_in_per_mtok +
                                      (1 - ROUTER_PROMPT_SHARE) * d->cfg->price_out_per_mtok);
        if (cheapest < 0 || c < cheapest) cheapest = c;
    }
    double spend_calls = cheapest > 0 ? spend_left_micro / cheapest : 0;
    for (int i = 0; i < r->n; i++) {
        const struct deployment *d = &r->deps[i];
        if (!dep_usable(d)) continue;
        int priced = provider_config_priced(d->cfg);
        if (priced && (r->spend_cap_usd <= 0 || !with_priced)) continue;
        double by_req = -1, by_tok = -1;
        long rq = quota_remaining_day_requests(&d->quota, now);
        long tk = quota_remaining_day_tokens(&d->quota, now);
        if (rq >= 0) by_req = (double)rq;
        if (tk >= 0 && tokens_per_call > 0) by_tok = (double)tk / tokens_per_call;
        double left = by_req < 0 ? by_tok : by_tok < 0 ? by_req : fmin(by_req, by_tok);
        /* the minute limits cap the day too: at most rpm (tpm / tokens_per_call) calls in
         * each minute still left before the deployment's day resets */
        double minutes = (double)(quota_day_reset_ms(dep_tz(d->cfg), now) - now) / 60000.0;
        const struct quota_limits *lim = &d->quota.limits;
        if (lim->rpm > 0) {
            double m = (double)lim->rpm * minutes;
            left = left < 0 ? m : fmin(left, m);
        }
        if (lim->tpm > 0 && tokens_per_call > 0) {
            double m = (double)lim->tpm / tokens_per_call * minutes;
            left = left < 0 ? m : fmin(left, m);
        }
        if (priced) { /* bounded by the money left too, counted once below */
            priced_left += left < 0 ? spend_calls : fmin(left, spend_calls);
            known = 1;
            continue;
        }
        if (left < 0) return -1; /* a deployment without any limit: unlimited */
        total += left;
        known = 1;
    }
    return known ? total + fmin(priced_left, spend_calls) : 0;
}

static long add_known(long sum, long v)
{
    return sum < 0 || v < 0 ? -1 : sum + v;
}

void router_capacity(const struct router *r, const char *model, struct router_capacity *out)
{
    int64_t now = now_wall();
    memset(out, 0, sizeof *out);
    for (int i = 0; i < r->n; i++) {
        const struct deployment *d = &r->deps[i];
        if (model && strcmp(model, d->cfg->model) != 0) continue;
        out->deployments++;
        if (!dep_usable(d)) continue;
        out->usable++;
        long rq = quota_remaining_day_requests(&d->quota, now);
        long tk = quota_remaining_day_tokens(&d->quota, now);
        out->limit_requests = add_known(out->limit_requests, d->cfg->rpd > 0 ? d->cfg->rpd : -1);
        out->remaining_requests = add_known(out->remaining_requests, rq);
        out->remaining_tokens = add_known(out->remaining_tokens, tk);
        if (rq == 0 || tk == 0) {
            out->exhausted++;
            int64_t at = quota_day_reset_ms(dep_tz(d->cfg), now);
            if (out->next_reset_ms == 0 || at < out->next_reset_ms) out->next_reset_ms = at;
        }
    }
}

static const char *dep_state(const struct deployment *d, int64_t now)
{
    if (!d->provider) return "disabled";
    const char *b = breaker_state_name(&d->breaker);
    if (strcmp(b, "ok") != 0) return b;
    const char *why;
    if (!quota_can_take(&d->quota, now, 1, &why)) return "cooling";
    return "ok";
}

json_t *router_status_json(const struct router *r)
{
    int64_t now = now_wall();
    json_t *arr = json_array();
    for (int i = 0; i < r->n; i++) {
        const struct deployment *d = &r->deps[i];
        const struct provider_config *c = d->cfg;
        char reset[32];
        clock_format_iso(quota_day_reset_ms(dep_tz(c), now), reset, sizeof reset);
        const char *why = "";
        int64_t fake_now = now;
        if (d->provider && !quota_can_take(&d->quota, fake_now, 1, &why)) { /* why set */
        } else if (!d->provider) {
            why = d->why;
        } else {
            why = d->why[0] ? d->why : "";
        }
        json_array_append_new(
            arr, json_pack(
                     "{s:s,s:s,s:s,s:s,s:s,s:{s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I},"
                     "s:{s:I,s:I},s:f,s:s,s:f,s:I,s:I,s:I,s:I}",
                     "name", c->name, "model", c->model, "headers", c->headers, "state",
                     dep_state(d, now), "reason", why, "limits", "rpm", (json_int_t)c->rpm, "rpd",
                     (json_int_t)c->rpd, "tpm", (json_int_t)c->tpm, "tpd", (json_int_t)c->tpd,
                     "concurrency", (json_int_t)c->concurrency, "used_today", "requests",
                     (json_int_t)used_day_requests(&d->quota, dep_tz(c), now), "tokens",
                     (json_int_t)used_day_tokens(&d->quota, dep_tz(c), now), "in_flight",
                     (json_int_t)d->quota.in_flight, "remaining", "requests",
                     (json_int_t)quota_remaining_day_requests(&d->quota, now), "tokens",
                     (json_int_t)quota_remaining_day_tokens(&d->quota, now), "day_fraction_left",
                     quota_day_fraction_left(&d->quota, now), "resets_at", reset, "latency_ms",
                     d->latency_ewma_ms, "calls", (json_int_t)d->calls, "ok", (json_int_t)d->ok,
                     "failed", (json_int_t)d->failed, "rate_limited", (json_int_t)d->rate_limited));
    }
    struct router_spend sp;
    router_spend(r, &sp);
    return json_pack("{s:o,s:b,s:i,s:{s:f,s:f,s:f,s:f}}", "providers", arr, "online",
                     router_online(r), "queued", r->queue_len, "spend", "today_usd", sp.today_usd,
                     "reserved_usd", sp.reserved_usd, "forecast_usd", sp.forecast_usd,
                     "max_usd_per_day", sp.cap_usd);
}

void router_prometheus(const struct router *r, struct sbuf *out)
{
    int64_t now = now_wall();
    sbuf_puts(out, "# HELP interviewd_provider_requests_today Requests sent to a deployment today "
                   "(its own day).\n"
                   "# TYPE interviewd_provider_requests_today gauge\n");
    for (int i = 0; i < r->n; i++)
        sbuf_printf(out, "interviewd_provider_requests_today{provider=\"%s\"} %ld\n",
                    r->deps[i].cfg->name,
                    used_day_requests(&r->deps[i].quota, dep_tz(r->deps[i].cfg), now));
    sbuf_puts(out, "# HELP interviewd_provider_tokens_today Tokens used on a deployment today.\n"
                   "# TYPE interviewd_provider_tokens_today gauge\n");
    for (int i = 0; i < r->n; i++)
        sbuf_printf(out, "interviewd_provider_tokens_today{provider=\"%s\"} %ld\n",
                    r->deps[i].cfg->name,
                    used_day_tokens(&r->deps[i].quota, dep_tz(r->deps[i].cfg), now));
    sbuf_puts(
        out,
        "# HELP interviewd_provider_latency_seconds Moving average latency of successful calls.\n"
        "# TYPE interviewd_provider_latency_seconds gauge\n");
    for (int i = 0; i < r->n; i++)
        sbuf_printf(out, "interviewd_provider_latency_seconds{provider=\"%s\"} %.4f\n",
                    r->deps[i].cfg->name, r->deps[i].latency_ewma_ms / 1000.0);
    sbuf_puts(out, "# HELP interviewd_provider_up 1 if the deployment can take calls now.\n"
                   "# TYPE interviewd_provider_up gauge\n");
    for (int i = 0; i < r->n; i++)
        sbuf_printf(out, "interviewd_provider_up{provider=\"%s\"} %d\n", r->deps[i].cfg->name,
                    strcmp(dep_state(&r->deps[i], now), "ok") == 0);
    struct router_spend sp;
    router_spend(r, &sp);
    sbuf_printf(
        out,
        "# HELP interviewd_spend_usd_today Money spent on priced deployments today (UTC).\n"
        "# TYPE interviewd_spend_usd_today gauge\n"
        "interviewd_spend_usd_today %.6f\n"
        "# HELP interviewd_spend_usd_forecast Today's spend at today's pace, at most the cap.\n"
        "# TYPE interviewd_spend_usd_forecast gauge\n"
        "interviewd_spend_usd_forecast %.6f\n"
        "# HELP interviewd_spend_usd_cap [budget] max_usd_per_day.\n"
        "# TYPE interviewd_spend_usd_cap gauge\n"
        "interviewd_spend_usd_cap %.6f\n",
        sp.today_usd, sp.forecast_usd, sp.cap_usd);
    sbuf_printf(out,
                "# HELP interviewd_router_queue_length Calls waiting for capacity.\n"
                "# TYPE interviewd_router_queue_length gauge\n"
                "interviewd_router_queue_length %d\n",
                r->queue_len);
}
