/* router: spreads LLM calls over the fleet of deployments without overrunning a quota.
 *
 * A deployment is provider + model + key with its limits (RPM, RPD, TPM, TPD,
 * concurrency, day reset). Before a call is sent the router estimates its tokens
 * (prompt size / 4 + max_tokens), finds the deployments whose every known window has
 * room for it now and whose circuit breaker is closed, and picks the one with the
 * largest share of its day left, discounted by latency:
 *
 *     score = day_fraction_left / (1 + latency_ewma_ms / 2000)
 *
 * so no deployment is drained by noon and a slow one is used only when it has much
 * more left. The reservation is reconciled with the usage the provider reports; rate
 * limit headers and quota errors (llm/ratelimit.c) can only lower what we believe is
 * left. A call no deployment can take now waits in a queue ordered by priority
 * (candidate-facing first) then deadline; at its deadline it fails with
 * LLM_ERR_NO_CAPACITY and the caller falls back. Failed calls (429, 5xx, timeouts, auth)
 * are retried on another deployment, at most ROUTER_MAX_ATTEMPTS in all. Today's use of
 * every deployment is written to the store's quota ledger, so a restart at 15:00
 * remembers the morning. */
#ifndef LLM_ROUTER_H
#define LLM_ROUTER_H

#include "core/config.h"
#include "llm/provider.h"

#include <jansson.h>

#define ROUTER_MAX_ATTEMPTS 3
#define ROUTER_MAX_QUEUE 10000 /* calls waiting for capacity; beyond, fail at once */

enum router_priority {
    ROUTER_INTERACTIVE = 0, /* a candidate is waiting */
    ROUTER_BACKGROUND = 1,  /* evaluations and summaries of interviews already running */
    ROUTER_OPTIONAL = 2,    /* work no running interview needs (resume analysis, question
                             * generation, re-scoring): never takes the day's reserve */
};

struct router;
struct store; /* store/store.h: the quota ledger */

/* An empty router on the loop; store may be NULL (no ledger). */
struct router *router_new(struct event_base *base, struct store *store);
/* Adds a deployment. The router owns p and destroys it in router_free. cfg must outlive
 * the router. Returns its index. */
int router_add(struct router *r, const struct provider_config *cfg, struct provider *p);
/* Adds a deployment that cannot be used, with the reason (shown in status). */
void router_add_disabled(struct router *r, const struct provider_config *cfg, const char *why);
/* Builds deployments from cfg's [provider.*] sections: keys from the environment, the
 * OpenAI-compatible client for each. */
void router_add_from_config(struct router *r, const struct config *cfg);
void router_free(struct router *r);

/* Sends req to a deployment with capacity, now or when one has it, before
 * deadline_mono_ms (clock_mono_ms time). done runs exactly once, on the loop. */
void router_submit(struct router *r, const struct llm_request *req, enum router_priority prio,
                   int64_t deadline_mono_ms, llm_done_fn done, void *data);

/* The deployment a call of est_tokens would go to now (index), or -1: the choice alone,
 * nothing reserved. For benchmarks and status pages. */
int router_pick(struct router *r, long est_tokens);
/* Issue 14: 1 if a call of about est_tokens could be sent within within_ms: a
 * deployment has room now, or will (quota window, cool-down, breaker) in time. 0 when
 * the provider is down or out of quota past that: a caller with a candidate waiting
 * answers from the bank at once instead of waiting within_ms for nothing. */
int router_can_take_within(struct router *r, long est_tokens, int64_t within_ms);
/* Issue 14: keeps pct percent (0..90) of every deployment's daily limits (RPD, TPD) for
 * interviews already running: a ROUTER_OPTIONAL call goes only to a deployment that
 * still has more than that share of its day left after taking it, and fails at once
 * (LLM_ERR_NO_CAPACITY) when none has; interactive and background calls may use all of
 * it. A deployment without daily limits has no reserve. Default 0. */
void router_set_reserve_percent(struct router *r, int pct);
/* 1 when no usable deployment could take a small ROUTER_OPTIONAL call for want of
 * day quota outside the reserve (what is left is the reserve): new interviews then
 * start offline. 0 with no usable deployment, or one without daily limits. */
int router_reserve_reached(const struct router *r);
/* 1 if any deployment is enabled (not disabled, not dead). */
int router_online(const struct router *r);
/* Provider calls the fleet can still make today, for calls of about tokens_per_call
 * tokens; -1 if no deployment has a known daily limit (unlimited). */
double router_calls_left_today(const struct router *r, double tokens_per_call);
/* The same without priced deployments: what the free fleet has left. */
double router_free_calls_left_today(const struct router *r, double tokens_per_call);
/* What the deployments serving one model id (NULL: all of them) have left today, without
 * building router_status_json: for the /v1 gateway's per-request checks and headers. */
struct router_capacity {
    int deployments;         /* serving the model, whatever their state */
    int usable;              /* of those, enabled and not dead */
    int exhausted;           /* of the usable, out of requests or tokens for today */
    long limit_requests;     /* sum of their configured daily request limits; -1 if one has none */
    long remaining_requests; /* requests left today; -1 if one has no daily limit */
    long remaining_tokens;   /* tokens left today; -1 if one has no daily limit */
    int64_t next_reset_ms;   /* earliest day reset of an exhausted one (epoch ms), 0 if none */
};
void router_capacity(const struct router *r, const char *model, struct router_capacity *out);
/* GET /api/providers: per deployment limits, use, remaining, state, latency. */
json_t *router_status_json(const struct router *r);
/* Prometheus lines for every deployment. */
struct sbuf;
void router_prometheus(const struct router *r, struct sbuf *out);
/* Calls waiting for capacity. */
int router_queue_length(const struct router *r);
/* Told of every provider response (each attempt, retries included; not of calls
 * cancelled at shutdown), on the loop, after the router has booked it: for latency
 * percentiles on the dashboard (optimize/history.c). One observer; fn NULL removes it. */
typedef void (*router_observe_fn)(const char *deployment, enum llm_status status,
                                  int64_t latency_ms, void *data);
void router_set_observer(struct router *r, router_observe_fn fn, void *data);
/* Issue 8: shares every deployment's windows with the other instances through Redis
 * (llm/quota_share.h): a call then also needs quota_share_can_take, on top of the
 * router's own quota. The router does not own qs; NULL detaches. Set it before calls. */
struct quota_share;
void router_set_share(struct router *r, struct quota_share *qs);

/* Issue 16: the spend cap. Deployments with a price (price_in_per_mtok,
 * price_out_per_mtok) are used only for calls no free deployment can take before their
 * deadline, and only while today's spend (UTC day) plus the call's reserved upper bound
 * stays within max_usd_per_day; 0 (the default) never uses them. The spend is a window
 * like a deployment's: in the quota ledger under ROUTER_SPEND_WINDOW (a restart
 * remembers it) and, with router_set_share, in Redis for every instance. Call after the
 * deployments are added and the share is set, before any call. */
#define ROUTER_SPEND_WINDOW "~spend_usd_micro" /* ledger/Redis name; no section has it */
void router_set_spend_cap(struct router *r, double max_usd_per_day);
struct router_spend {
    double cap_usd;      /* max_usd_per_day */
    double today_usd;    /* settled today (this instance's view of the fleet's window) */
    double reserved_usd; /* reserved by calls in flight */
    double forecast_usd; /* today's spend at today's pace, at most the cap */
};
void router_spend(const struct router *r, struct router_spend *out);

/* Issue 16: why calls failed, counted since start (a call counts once, when its done()
 * is told of the failure). What a caller does then (the heuristic scores) is its own. */
enum router_fail {
    ROUTER_FAIL_WAITED,     /* queued for capacity until its deadline passed */
    ROUTER_FAIL_NO_QUOTA,   /* no deployment could take it before its deadline (days
                             * spent, limits below its size, breakers open) */
    ROUTER_FAIL_SPEND_CAP,  /* only a priced deployment could, and the day's spend cap
                             * had no room for it */
    ROUTER_FAIL_QUEUE_FULL, /* ROUTER_MAX_QUEUE calls were waiting already */
    ROUTER_FAIL_OFFLINE,    /* no usable deployment at all */
    ROUTER_FAIL_PROVIDER,   /* the provider's error, after the retries */
    ROUTER_FAIL__COUNT
};
const char *router_fail_name(enum router_fail f);
/* Copies the counts (ROUTER_FAIL__COUNT of them) into out. */
void router_failures(const struct router *r, uint64_t *out);

#endif
