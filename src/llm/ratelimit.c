/* ratelimit: reads a provider's rate-limit headers and refusal sentences into a
 * struct ratelimit_obs.
 *
 * The one idea: a header name means nothing without its style. "x-ratelimit-remaining-
 * requests: 14370" is a minute window at OpenAI and a day window at Groq, and a reset of
 * "1764322800000" is an epoch at OpenRouter but would be 50 years as seconds. So each
 * style has its own small reader that says which window each number belongs to, and
 * everything downstream (llm/quota.c) only sees windows. Errors are classified from the
 * sentence the client kept in r->error, because the body itself is gone by then.
 *
 * Pure: no state, no clock, no allocation. */
#include "llm/ratelimit.h"

#include "core/util.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- numbers ---------------------------------------------------------------------- */

/* Reads [digits][.digits] (at least one digit); advances *sp. Locale-independent. */
static int parse_decimal(const char **sp, double *out)
{
    const char *s = *sp;
    double v = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (*s == '.') {
        const char *frac = s + 1;
        double f = 0.1;
        while (isdigit((unsigned char)*frac)) {
            v += (*frac++ - '0') * f;
            f /= 10;
            digits++;
        }
        if (frac > s + 1) s = frac;
    }
    if (!digits) return -1;
    *sp = s;
    *out = v;
    return 0;
}

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Milliseconds rounded up, clamped to [0, RATELIMIT_MAX_DELAY_MS]. The epsilon keeps
 * 7.66 s at 7660 although 7.66 * 1000 is 7660.000000000001 in binary. */
static int64_t ms_ceil(double ms)
{
    if (!(ms > 0)) return 0;
    if (ms >= (double)RATELIMIT_MAX_DELAY_MS) return RATELIMIT_MAX_DELAY_MS;
    return (int64_t)ceil(ms - 1e-6);
}

int64_t ratelimit_parse_duration_ms(const char *s)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {
        /* "ms" before "m", "\xc2\xb5s" is Go's "µs". */
        {"ms", 1},     {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ns", 1e-6},
        {"h", 3600e3}, {"m", 60e3},  {"s", 1e3},
    };
    if (!s) return -1;
    s = skip_blanks(s);

    /* Plain float seconds: Cerebras, Mistral, Retry-After. */
    const char *p = s;
    double v;
    if (parse_decimal(&p, &v) == 0 && *skip_blanks(p) == 0) return ms_ceil(v * 1000);

    /* A Go duration: one or more number+unit pairs and nothing else. */
    double total = 0;
    int parts = 0;
    p = s;
    while (*p && *p != ' ' && *p != '\t') {
        if (parse_decimal(&p, &v) < 0) return -1;
        size_t i;
        for (i = 0; i < ARRAY_LEN(units); i++)
            if (strncmp(p, units[i].unit, strlen(units[i].unit)) == 0) break;
        if (i == ARRAY_LEN(units)) return -1;
        total += v * units[i].ms;
        p += strlen(units[i].unit);
        parts++;
    }
    if (!parts || *skip_blanks(p)) return -1;
    return ms_ceil(total);
}

/* A count header: "14370", "14370.0"; a negative count (over the limit) reads as 0.
 * -1 when absent or not a number. */
static long parse_count(const char *s)
{
    if (!s) return -1;
    s = skip_blanks(s);
    int neg = *s == '-';
    if (neg) s++;
    if (!isdigit((unsigned char)*s)) return -1;
    long v = 0;
    while (isdigit((unsigned char)*s)) {
        int d = *s++ - '0';
        v = v > (LONG_MAX - d) / 10 ? LONG_MAX : v * 10 + d;
    }
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*skip_blanks(s)) return -1;
    return neg ? 0 : v;
}

static long hdr_count(const struct llm_result *r, const char *name)
{
    return parse_count(llm_result_header(r, name));
}

static int64_t hdr_duration(const struct llm_result *r, const char *name)
{
    return ratelimit_parse_duration_ms(llm_result_header(r, name));
}

static void set_count(long *dst, long v)
{
    if (v >= 0) *dst = v;
}

static void set_delay(int64_t *dst, int64_t v)
{
    if (v >= 0) *dst = v;
}

/* ---- header styles ---------------------------------------------------------------- */

/* x-ratelimit-*-requests / -tokens. `requests_per_day`: Groq's reading. */
static void parse_openai_like(const struct llm_result *r, int requests_per_day,
                              struct ratelimit_obs *o)
{
    long lim = hdr_count(r, "x-ratelimit-limit-requests");
    long rem = hdr_count(r, "x-ratelimit-remaining-requests");
    int64_t reset = hdr_duration(r, "x-ratelimit-reset-requests");
    if (requests_per_day) {
        o->requests_limit_day = lim;
        o->requests_remaining_day = rem;
        o->requests_reset_day_ms = reset;
    } else {
        o->requests_limit_minute = lim;
        o->requests_remaining_minute = rem;
        o->requests_reset_minute_ms = reset;
    }
    o->tokens_limit_minute = hdr_count(r, "x-ratelimit-limit-tokens");
    o->tokens_remaining_minute = hdr_count(r, "x-ratelimit-remaining-tokens");
    o->tokens_reset_minute_ms = hdr_duration(r, "x-ratelimit-reset-tokens");
}

/* x-ratelimit-{limit,remaining,reset}-{requests,tokens}-{minute,day}: the window is in
 * the name (Cerebras). Only present names overwrite. */
static void parse_suffixed(const struct llm_result *r, struct ratelimit_obs *o)
{
    /* The twelve names spelled out: this runs on every answer, and formatting them
     * per call was a measurable share of the gateway's CPU. */
#define W(what, window, lim, rem, rst)                                                             \
    {                                                                                              \
        "x-ratelimit-limit-" what "-" window, "x-ratelimit-remaining-" what "-" window,            \
            "x-ratelimit-reset-" what "-" window, lim, rem, rst                                    \
    }
    struct {
        const char *limit_name, *remaining_name, *reset_name;
        long *limit, *remaining;
        int64_t *reset;
    } w[] = {
        W("requests", "minute", &o->requests_limit_minute, &o->requests_remaining_minute,
          &o->requests_reset_minute_ms),
        W("requests", "day", &o->requests_limit_day, &o->requests_remaining_day,
          &o->requests_reset_day_ms),
        W("tokens", "minute", &o->tokens_limit_minute, &o->tokens_remaining_minute,
          &o->tokens_reset_minute_ms),
        W("tokens", "day", &o->tokens_limit_day, &o->tokens_remaining_day, &o->tokens_reset_day_ms),
    };
#undef W
    for (size_t i = 0; i < ARRAY_LEN(w); i++) {
        set_count(w[i].limit, hdr_count(r, w[i].limit_name));
        set_count(w[i].remaining, hdr_count(r, w[i].remaining_name));
        set_delay(w[i].reset, hdr_duration(r, w[i].reset_name));
    }
}

/* X-RateLimit-Reset is an epoch in ms. Tolerated too: epoch seconds, and a small number
 * read as a delay in seconds, so a format change cannot turn into a 50-year wait. */
static int64_t openrouter_reset(const char *h, int64_t now_ms)
{
    if (!h) return -1;
    const char *p = skip_blanks(h);
    double v;
    if (parse_decimal(&p, &v) < 0 || *skip_blanks(p)) return -1;
    double at_ms;
    if (v >= 1e11)
        at_ms = v;
    else if (v >= 1e9)
        at_ms = v * 1000;
    else
        return ms_ceil(v * 1000);
    return ms_ceil(at_ms - (double)now_ms);
}

static void parse_openrouter(const struct llm_result *r, int64_t now_ms, int per_day,
                             struct ratelimit_obs *o)
{
    long lim = hdr_count(r, "x-ratelimit-limit");
    long rem = hdr_count(r, "x-ratelimit-remaining");
    int64_t reset = openrouter_reset(llm_result_header(r, "x-ratelimit-reset"), now_ms);
    if (per_day) {
        o->requests_limit_day = lim;
        o->requests_remaining_day = rem;
        o->requests_reset_day_ms = reset;
    } else {
        o->requests_limit_minute = lim;
        o->requests_remaining_minute = rem;
        o->requests_reset_minute_ms = reset;
    }
}

/* "bysize" is tokens. The explicit -minute pair wins over the bare one. */
static void parse_mistral(const struct llm_result *r, struct ratelimit_obs *o)
{
    o->tokens_limit_minute = hdr_count(r, "ratelimitbysize-limit");
    o->tokens_remaining_minute = hdr_count(r, "ratelimitbysize-remaining");
    o->tokens_reset_minute_ms = hdr_duration(r, "ratelimitbysize-reset");
    set_count(&o->tokens_limit_minute, hdr_count(r, "x-ratelimitbysize-limit-minute"));
    set_count(&o->tokens_remaining_minute, hdr_count(r, "x-ratelimitbysize-remaining-minute"));
    o->tokens_limit_month = hdr_count(r, "x-ratelimitbysize-limit-month");
    o->tokens_remaining_month = hdr_count(r, "x-ratelimitbysize-remaining-month");
}

/* ---- classification --------------------------------------------------------------- */

static int has(const char *text, const char *needle)
{
    return util_strcasestr(text, needle) != NULL;
}

static int has_any(const char *text, const char *const *needles, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (has(text, needles[i])) return 1;
    return 0;
}

static int style_is(const char *style, const char *name)
{
    return style && strcmp(style, name) == 0;
}

enum ratelimit_kind ratelimit_classify(const char *style, const struct llm_result *r)
{
    /* Names a day window beyond doubt: Groq, OpenAI, OpenRouter, Gemini quota ids. */
    static const char *const day_exact[] = {"free-models-per-day", "PerDay", "(TPD)", "(RPD)"};
    /* Names a short window beyond doubt. Checked before the loose day words so that a
     * minute message mentioning a daily plan elsewhere stays a minute. */
    static const char *const minute_exact[] = {
        "free-models-per-min", "PerMinute", "(TPM)",      "(RPM)",
        "per minute",          "per min ",  "per second", "concurrent"};
    /* Loose day words: Cerebras "Tokens per day limit exceeded", Cloudflare "daily free
     * allocation", Vertex-style "requests per day". */
    static const char *const day_loose[] = {"per day", "per-day", "daily", "per 24"};
    static const char *const capacity[] = {"capacity", "overloaded"};

    if (!r || r->status == LLM_OK) return RL_NONE;
    int http = r->http_status;
    if (r->status == LLM_ERR_AUTH || http == 401 || http == 402 || http == 403) return RL_AUTH;
    const char *e = r->error ? r->error : "";
    int cf = style_is(style, "cloudflare");
    /* Cloudflare: the client appends "(code N)" from errors[0].code. */
    if (has(e, "(code 3036)") || (cf && has(e, "3036"))) return RL_DAY;
    if (has(e, "(code 3040)") || (cf && has(e, "3040"))) return RL_CAPACITY;

    int limited = r->status == LLM_ERR_RATE_LIMITED || http == 429;
    if (!limited) {
        /* 503: Groq "over capacity", Together's dynamic limit; 529 "overloaded";
         * 498: Groq flex tier capacity exceeded. */
        if (http == 503 || http == 529 || http == 498) return RL_CAPACITY;
        return RL_NONE;
    }
    if (has_any(e, day_exact, ARRAY_LEN(day_exact))) return RL_DAY;
    if (has_any(e, minute_exact, ARRAY_LEN(minute_exact))) return RL_MINUTE;
    if (has_any(e, day_loose, ARRAY_LEN(day_loose))) return RL_DAY;
    /* Gemini "Quota exceeded for metric: ..., limit: 0, model: ...": this project has no
     * free quota for the model at all; the best we can do is try again tomorrow. */
    if ((style_is(style, "gemini") || has(e, "generativelanguage")) && has(e, "limit: 0,"))
        return RL_DAY;
    if (has_any(e, capacity, ARRAY_LEN(capacity))) return RL_CAPACITY;
    return RL_MINUTE;
}

/* ---- the whole answer ------------------------------------------------------------- */

void ratelimit_obs_init(struct ratelimit_obs *o)
{
    o->requests_limit_minute = o->requests_remaining_minute = -1;
    o->requests_limit_day = o->requests_remaining_day = -1;
    o->tokens_limit_minute = o->tokens_remaining_minute = -1;
    o->tokens_limit_day = o->tokens_remaining_day = -1;
    o->tokens_limit_month = o->tokens_remaining_month = -1;
    o->requests_reset_minute_ms = o->requests_reset_day_ms = -1;
    o->tokens_reset_minute_ms = o->tokens_reset_day_ms = -1;
    o->retry_after_ms = -1;
    o->kind = RL_NONE;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t retry_after(const struct llm_result *r)
{
    int64_t best = r->retry_after_ms >= 0 ? ms_ceil((double)r->retry_after_ms) : -1;
    double v;
    const char *h = llm_result_header(r, "retry-after-ms");
    if (h) {
        const char *p = skip_blanks(h);
        if (parse_decimal(&p, &v) == 0 && !*skip_blanks(p)) best = max64(best, ms_ceil(v));
    }
    h = llm_result_header(r, "retry-after");
    if (h) {
        const char *p = skip_blanks(h);
        /* An HTTP-date here is already in r->retry_after_ms (the client parses it). */
        if (parse_decimal(&p, &v) == 0 && !*skip_blanks(p)) best = max64(best, ms_ceil(v * 1000));
    }
    return best;
}

void ratelimit_parse(const char *style, const struct llm_result *r, int64_t now_ms,
                     struct ratelimit_obs *out)
{
    ratelimit_obs_init(out);
    if (!r) return;
    out->kind = ratelimit_classify(style, r);
    if (style_is(style, "openai") || style_is(style, "groq")) {
        parse_openai_like(r, style_is(style, "groq"), out);
        parse_suffixed(r, out);
    } else if (style_is(style, "cerebras")) {
        parse_suffixed(r, out);
    } else if (style_is(style, "openrouter")) {
        parse_openrouter(r, now_ms, out->kind == RL_DAY, out);
    } else if (style_is(style, "mistral")) {
        parse_mistral(r, out);
    }
    out->retry_after_ms = retry_after(r);
    /* Headers are more precise than sentences: a refusal while a long window reads 0
     * left is that window's, whatever the message said (Mistral says only "Tokens rate
     * limit exceeded"). */
    if (out->kind == RL_MINUTE &&
        (out->requests_remaining_day == 0 || out->tokens_remaining_day == 0 ||
         out->tokens_remaining_month == 0))
        out->kind = RL_DAY;
}

int ratelimit_style_known(const char *style)
{
    static const char *const styles[] = {"openai",  "groq",   "cerebras",   "openrouter",
                                         "mistral", "gemini", "cloudflare", "none"};
    for (size_t i = 0; style && i < ARRAY_LEN(styles); i++)
        if (strcmp(style, styles[i]) == 0) return 1;
    return 0;
}

const char *ratelimit_kind_name(enum ratelimit_kind k)
{
    switch (k) {
    case RL_NONE:
        return "none";
    case RL_MINUTE:
        return "minute";
    case RL_DAY:
        return "day";
    case RL_CAPACITY:
        return "capacity";
    case RL_AUTH:
        return "auth";
    }
    return "unknown";
}
