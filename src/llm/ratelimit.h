/* ratelimit: what a provider's answer says about its limits, in one shape.
 *
 * Every provider reports limits differently: OpenAI counts x-ratelimit-*-requests per
 * minute, Groq uses the same names for requests per DAY, Cerebras puts the window in the
 * name, OpenRouter sends an epoch-millisecond reset on errors only, Mistral says
 * "ratelimitbysize", Gemini and Cloudflare send nothing but an error body. This module
 * turns one llm_result into a struct ratelimit_obs (each window's limit, remaining and
 * reset delay, -1 where unknown, plus what kind of refusal an error was) that
 * llm/quota.c believes. It keeps no state and does no I/O; `now_ms` is passed in so the
 * simulator's virtual clock drives it.
 *
 * Header styles (provider_config.headers):
 *   "openai"     x-ratelimit-{limit,remaining,reset}-{requests,tokens}: both per minute;
 *                resets are Go durations ("1s", "6m0s", "12ms").
 *   "groq"       the same names, but -requests count per DAY and -tokens per minute;
 *                resets like "2m59.56s", "7.66s".
 *   "cerebras"   x-ratelimit-{limit,remaining,reset}-{requests,tokens}-{minute,day};
 *                resets are float seconds ("33011.38"). The suffixed names are also read
 *                in the openai and groq styles, where they win over the bare names.
 *   "openrouter" x-ratelimit-{limit,remaining,reset}, on errors only; reset is an EPOCH
 *                in milliseconds (converted to a delay from now_ms); the window is per
 *                minute unless the error says per-day.
 *   "mistral"    ratelimitbysize-{limit,remaining,reset} (tokens per minute, reset in
 *                seconds) and x-ratelimitbysize-{limit,remaining}-{minute,month}.
 *   "gemini", "cloudflare", "none", NULL or anything else: no rate-limit headers.
 * In every style retry-after-ms, retry-after (seconds) and r->retry_after_ms (which the
 * client also fills from Gemini's retryDelay and "try again in 4.77s" sentences) are
 * honoured: the largest of them wins. */
#ifndef LLM_RATELIMIT_H
#define LLM_RATELIMIT_H

#include "llm/provider.h"

#include <stdint.h>

/* Longest delay believed from a header (400 days); larger values are clamped. */
#define RATELIMIT_MAX_DELAY_MS (400LL * 24 * 3600 * 1000)

/* What a refused (or failed) call means for the deployment. */
enum ratelimit_kind {
    RL_NONE = 0, /* not a refusal: success, or a failure that is the breaker's business */
    RL_MINUTE,   /* a short window (minute, second, concurrency) is full: back off briefly */
    RL_DAY,      /* the daily (or monthly) quota is used up: wait for the reset, never retry */
    RL_CAPACITY, /* the provider is out of capacity (Cloudflare 3040, 503): try elsewhere */
    RL_AUTH,     /* 401/402/403: key wrong or out of credit; dead until reconfigured */
};

/* One answer's view of the limits. Counts and delays are -1 when not reported. Resets
 * are delays from the now_ms given to ratelimit_parse, in milliseconds. */
struct ratelimit_obs {
    long requests_limit_minute;
    long requests_remaining_minute;
    int64_t requests_reset_minute_ms;
    long requests_limit_day;
    long requests_remaining_day;
    int64_t requests_reset_day_ms;
    long tokens_limit_minute;
    long tokens_remaining_minute;
    int64_t tokens_reset_minute_ms;
    long tokens_limit_day;
    long tokens_remaining_day;
    int64_t tokens_reset_day_ms;
    long tokens_limit_month; /* Mistral's monthly token budget */
    long tokens_remaining_month;
    int64_t retry_after_ms;   /* largest of retry-after-ms, retry-after, r->retry_after_ms */
    enum ratelimit_kind kind; /* RL_NONE unless r is an error that means a limit */
};

/* Every field -1, kind RL_NONE. */
void ratelimit_obs_init(struct ratelimit_obs *o);

/* A delay as providers write it, in ms rounded up (so a caller never retries early):
 * Go durations "6m0s", "2m59.56s", "7.66s", "12ms", "1h2m3s", "1.5s", "0s" (units h, m,
 * s, ms, us, ns) or plain float seconds "33011.38", "53". Leading and trailing blanks are
 * allowed; anything else, a sign or an empty string gives -1. Values above
 * RATELIMIT_MAX_DELAY_MS are clamped to it. */
int64_t ratelimit_parse_duration_ms(const char *s);

/* What kind of refusal r is, from r->status, r->http_status and the provider's sentence
 * in r->error ("HTTP 429: <message>", see llm/openai.c). Day markers: "tokens per day
 * (TPD)", "requests per day (RPD)", "free-models-per-day", a Gemini quota id with
 * "PerDay", "per day", "daily", Cloudflare "(code 3036)". Minute markers: "per minute",
 * "(TPM)", "(RPM)", "free-models-per-min", "PerMinute". Cloudflare 3040, 503, 529 and 498
 * are RL_CAPACITY; LLM_ERR_AUTH and 401/402/403 RL_AUTH; any other 429 or
 * LLM_ERR_RATE_LIMITED RL_MINUTE; everything else RL_NONE. */
enum ratelimit_kind ratelimit_classify(const char *style, const struct llm_result *r);

/* Fills *out (initialising it first) from r's headers in the given style, the
 * retry-after forms and ratelimit_classify(). A refusal whose headers say a day or month
 * window has 0 remaining is RL_DAY even if the sentence did not say so. */
void ratelimit_parse(const char *style, const struct llm_result *r, int64_t now_ms,
                     struct ratelimit_obs *out);

/* 1 for the styles listed above (including "none"), 0 otherwise: for config checks. */
int ratelimit_style_known(const char *style);

/* "none", "minute", "day", "capacity", "auth": stable names for logs and stats. */
const char *ratelimit_kind_name(enum ratelimit_kind k);

#endif
