/* quota: the rate-limit windows of one deployment (provider + model + key).
 *
 * Per-minute limits (RPM, TPM) are kept as a sliding 60 s window: a ring of per-second
 * buckets, so memory is constant however many calls there are. A call counts from the
 * moment it is reserved until 60 s after it (a bucket lives 60 s after the latest call
 * in it). Per-day limits (RPD, TPD) are a calendar day that starts at the deployment's
 * own midnight: UTC, or America/Los_Angeles (Gemini) computed from the date with the US
 * DST rule, no tz database. A sliding minute is never more permissive than a provider's
 * fixed minute or token bucket, so following it never overruns either.
 *
 * Life of a call:
 *   quota_can_take(q, now, est, &why)    does a call of ~est tokens fit now?
 *   quota_take(q, now, est)              reserve: 1 request + est tokens + 1 in flight
 *   ... the call runs ...
 *   quota_settle_taken(q, now, taken, est, actual, happened)   or quota_settle(...)
 *   quota_observe(q, now, &obs)          believe what the provider said (ratelimit.h)
 * Call settle before observe: then the remaining counts a provider reports already
 * include this call and the month budget is exact.
 *
 * What counts. A call that reached the provider counts one request in every window
 * whatever its outcome (200, 429, 5xx, timeout): most providers count refused and failed
 * requests against RPM/RPD, and the conservative choice never overruns one that does.
 * Only a call that never reached the provider (DNS/connect/TLS failure, cancelled before
 * sending) gives its request back: pass request_happened = 0. Tokens: the estimate is
 * replaced by the actual usage; pass actual_tokens = -1 when it is unknown (a timeout:
 * the provider may have generated the whole answer) to keep the estimate. For providers
 * that reserve max_tokens against TPM up front (Cerebras, OpenAI) the estimate should be
 * prompt + max_tokens.
 *
 * Settling without the take time (quota_settle) cannot know which second's bucket the
 * reservation went into, so it is conservative: a refund is taken from the oldest
 * bucket that still has a reservation in flight (never later than the true one, so the
 * window can only over-count), and at worst a refund is dropped. quota_settle_taken,
 * given the take time, is exact. Use one or the other for a deployment.
 *
 * Believing the provider (quota_observe): only ever in the conservative direction. A
 * remaining count lower than ours (the key is also used elsewhere) raises our usage; a
 * higher one changes nothing. Header limits fill in limits the config left at 0 and
 * lower configured ones, never raise them.
 *
 * Pure: no I/O, no clock reads (every function takes now_ms, epoch milliseconds, so the
 * simulator's virtual clock drives it), no allocation. Not thread-safe; one event loop
 * owns it. */
#ifndef LLM_QUOTA_H
#define LLM_QUOTA_H

#include "llm/ratelimit.h"

#include <stdint.h>

/* Returned by quota_next_available_ms when a call of that size can never fit (its
 * estimate is larger than the TPM or TPD limit). */
#define QUOTA_NEVER INT64_MAX

/* Limits and defaults, in one place. */
#define QUOTA_WINDOW_MS 60000L            /* the sliding minute */
#define QUOTA_BUCKETS 61                  /* one per second; see quota.c for why 61 */
#define QUOTA_BACKOFF_MS 5000L            /* first cooldown after a 429 that names no delay */
#define QUOTA_BACKOFF_MAX_MS 60000L       /* ... doubling on each further one, up to this */
#define QUOTA_CAPACITY_COOLDOWN_MS 10000L /* after "out of capacity" without a delay */
/* A day refusal's retry-after >= this is believed (Groq "try again in 21m36s"); shorter
 * ones are not (Gemini sends "53s" on a spent day) and the wait is until the day resets. */
#define QUOTA_DAY_TRUST_RETRY_MS 60000L

enum quota_tz {
    QUOTA_TZ_UTC = 0,     /* day starts 00:00 UTC (Groq, Cerebras, Cloudflare, OpenRouter) */
    QUOTA_TZ_PACIFIC = 1, /* day starts 00:00 America/Los_Angeles (Gemini) */
};

/* A deployment's limits; 0 = none known (unlimited until a header says otherwise). */
struct quota_limits {
    long rpm, rpd;    /* requests per minute / per day */
    long tpm, tpd;    /* tokens per minute / per day */
    long concurrency; /* calls in flight at once */
    int day_reset_tz; /* enum quota_tz */
};

/* One second of the sliding minute. */
struct quota_bucket {
    int64_t sec;     /* epoch second this bucket counts; -1 when empty */
    int64_t last_ms; /* latest charge in it; the bucket counts until last_ms + 60 s */
    long requests;   /* requests charged in this second */
    long tokens;     /* tokens charged (reserved, then settled) in this second */
    long pending;    /* reservations made in this second and not settled yet */
};

/* The windows of one deployment. Embed it by value; initialise with quota_init. The
 * caller may read (not write) any field; day_start_ms, day_requests and day_tokens are
 * what to persist in the ledger. */
struct quota {
    struct quota_limits config;   /* as configured */
    struct quota_limits reported; /* rpm/rpd/tpm/tpd the provider's headers stated; 0 unknown */
    struct quota_limits limits;   /* in force: config, filled in / lowered by reported */

    struct quota_bucket minute[QUOTA_BUCKETS]; /* ring indexed by epoch second % 61 */
    long minute_orphans; /* in-flight reservations whose bucket already expired */
    long extra_requests; /* requests the provider counts in its minute window that we
                          * did not make (key used elsewhere), until extra_requests_until */
    int64_t extra_requests_until_ms;
    long extra_tokens; /* same for tokens */
    int64_t extra_tokens_until_ms;

    int64_t day_start_ms; /* start of the day the counts below belong to */
    long day_requests;    /* requests today (ours, raised by provider reports) */
    long day_tokens;      /* tokens today (reserved, then settled) */
    long day_pending;     /* in-flight reservations taken today */
    long day_orphans;     /* in-flight reservations taken before day_start_ms */

    long month_limit; /* monthly token budget from headers (Mistral); -1 unknown */
    long month_left;  /* tokens left of it; -1 unknown. Forgotten at each day start
                       * and re-learned from the next answer */

    long in_flight;                 /* reserved and not settled */
    long in_flight_tokens;          /* sum of their estimates */
    int64_t cooldown_until_ms;      /* no call before this (Retry-After, 429, capacity) */
    int64_t day_exhausted_until_ms; /* no call before this: a daily quota is spent */
    int backoff_strikes;            /* 429s in a row that named no delay; a success resets it */

    /* The sums of minute[] at one instant, remembered by the reads: the router asks the
     * same question for every queued call. Any change to minute[] forgets it. */
    int memo_valid;     /* 0: nothing remembered */
    int64_t memo_ms;    /* the instant */
    long memo_requests; /* minute[]'s live requests then */
    long memo_tokens;   /* and tokens */
};

/* Starts empty at now_ms with the given limits (NULL: none). */
void quota_init(struct quota *q, const struct quota_limits *limits, int64_t now_ms);
/* New configured limits (a reload); usage and header-learned knowledge are kept. */
void quota_set_limits(struct quota *q, const struct quota_limits *limits);

/* 1 if a call estimated at est_tokens fits every known limit at now_ms (with rpm-1
 * requests in the window one more fits; with rpm it does not). Otherwise 0 and *why
 * (if why is not NULL) names the binding limit: "day_exhausted", "rpd", "tpd", "month",
 * "cooldown", "rpm", "tpm" or "concurrency" (longest waits first). *why is NULL on 1. */
int quota_can_take(const struct quota *q, int64_t now_ms, long est_tokens, const char **why);
/* Reserves a call: one request and est_tokens in the minute and day windows, one in
 * flight. Does not check; call quota_can_take first. */
void quota_take(struct quota *q, int64_t now_ms, long est_tokens);
/* Reconciles a reservation made at taken_ms with what happened: the estimate is
 * replaced by actual_tokens (-1: unknown, keep the estimate) in the windows the
 * reservation went into; request_happened = 0 gives the request back (the call never
 * reached the provider) and counts no tokens. One in flight less. */
void quota_settle_taken(struct quota *q, int64_t now_ms, int64_t taken_ms, long est_tokens,
                        long actual_tokens, int request_happened);
/* The same without the take time: conservative (see the top of this file). */
void quota_settle(struct quota *q, int64_t now_ms, long est_tokens, long actual_tokens,
                  int request_happened);
/* Believes what the provider said (see ratelimit_parse):
 *   - remaining counts below ours raise our usage (minute windows until the reported
 *     reset, or 60 s; day windows until our day ends);
 *   - *_limit headers fill limits configured as 0 and lower larger configured ones;
 *   - RL_MINUTE: cooldown until now + retry-after, else the window's reset, else
 *     QUOTA_BACKOFF_MS doubling per repeated 429 up to QUOTA_BACKOFF_MAX_MS;
 *   - RL_CAPACITY: cooldown until now + retry-after, else QUOTA_CAPACITY_COOLDOWN_MS;
 *   - RL_DAY: no call until now + the reset of the day window that reads 0 left, if
 *     reported; else now + retry-after if >= QUOTA_DAY_TRUST_RETRY_MS; else the
 *     deployment's next midnight;
 *   - RL_NONE: resets the 429 back-off; a retry-after is still honoured;
 *   - RL_AUTH: nothing here (that is breaker_kill's).
 * Call it for every answer, successes included. */
void quota_observe(struct quota *q, int64_t now_ms, const struct ratelimit_obs *o);

/* Requests / tokens left today: -1 if there is no daily limit, 0 while the day is
 * exhausted. Tokens also respect a known monthly budget. */
long quota_remaining_day_requests(const struct quota *q, int64_t now_ms);
long quota_remaining_day_tokens(const struct quota *q, int64_t now_ms);
/* min over the known daily (and monthly) limits of remaining/limit; 1.0 if none is
 * known, 0.0 while the day is exhausted. The router prefers deployments with more. */
double quota_day_fraction_left(const struct quota *q, int64_t now_ms);
/* Requests and tokens in the sliding minute at now_ms, as quota_can_take counts them
 * (including usage reported by the provider). Either pointer may be NULL. */
void quota_minute_usage(const struct quota *q, int64_t now_ms, long *requests, long *tokens);
/* The earliest time >= now_ms at which a call of est_tokens fits, if nothing else is
 * taken or settled meanwhile; QUOTA_NEVER if it can never fit. Concurrency is not
 * time-based and is ignored here: a slot frees when a call settles, and the router
 * re-checks then. */
int64_t quota_next_available_ms(const struct quota *q, int64_t now_ms, long est_tokens);

/* Start of the day containing now_ms, and start of the next one, for a quota_tz. A
 * Pacific day is 23 h on the second Sunday of March and 25 h on the first Sunday of
 * November. */
int64_t quota_day_start_ms(int tz, int64_t now_ms);
int64_t quota_day_reset_ms(int tz, int64_t now_ms);

/* Restores a day's usage from the ledger after a restart. day_start_ms must be a day
 * start as quota_day_start_ms gives it: the current day's counts become at least
 * (requests, tokens); a later day replaces them; an earlier day is ignored. */
void quota_load_day(struct quota *q, int64_t day_start_ms, long requests, long tokens);

#endif
