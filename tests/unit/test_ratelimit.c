/* test_ratelimit: reading providers' rate-limit headers and refusal sentences
 * (llm/ratelimit.h), one behaviour per test.
 *
 * Header values are the ones the providers document (research/providers.md: OpenAI's
 * and Groq's examples, Cerebras' long float seconds, OpenRouter's epoch milliseconds);
 * error sentences are what llm/openai.c puts in r->error: "HTTP <status>: <message>". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "llm/ratelimit.h"

#include <string.h>

/* 2026-11-28T10:25:46Z */
#define NOW 1795861546000LL

/* The result under test; cleared after each test. */
static struct llm_result R;

static int clear_result(void **state)
{
    (void)state;
    llm_result_clear(&R);
    memset(&R, 0, sizeof R);
    return 0;
}

/* Starts R as an answer with this status, HTTP code and error sentence (may be NULL). */
static void result(enum llm_status st, int http, const char *error)
{
    llm_result_clear(&R);
    memset(&R, 0, sizeof R);
    R.status = st;
    R.http_status = http;
    R.retry_after_ms = -1;
    R.error = error ? xstrdup(error) : NULL;
}

/* Adds a response header (names are lowercased by the client; case must not matter). */
static void header(const char *name, const char *value)
{
    R.headers = xrealloc(R.headers, (size_t)(R.n_headers + 1) * sizeof *R.headers);
    R.headers[R.n_headers].name = xstrdup(name);
    R.headers[R.n_headers].value = xstrdup(value);
    R.n_headers++;
}

static struct ratelimit_obs parse(const char *style)
{
    struct ratelimit_obs o;
    ratelimit_parse(style, &R, NOW, &o);
    return o;
}

static enum ratelimit_kind classify(const char *style, enum llm_status st, int http,
                                    const char *error)
{
    result(st, http, error);
    return ratelimit_classify(style, &R);
}

/* ---- durations ---- */

static void test_ratelimit_duration_go_minutes_and_seconds(void **state)
{
    (void)state;
    assert_int_equal(ratelimit_parse_duration_ms("6m0s"), 360000);
    assert_int_equal(ratelimit_parse_duration_ms("2m59.56s"), 179560);
    assert_int_equal(ratelimit_parse_duration_ms("1h2m3s"), 3723000);
}

static void test_ratelimit_duration_go_fractions_and_milliseconds(void **state)
{
    (void)state;
    assert_int_equal(ratelimit_parse_duration_ms("7.66s"), 7660);
    assert_int_equal(ratelimit_parse_duration_ms("1.5s"), 1500);
    assert_int_equal(ratelimit_parse_duration_ms("12ms"), 12);
    assert_int_equal(ratelimit_parse_duration_ms("0s"), 0);
}

static void test_ratelimit_duration_sub_millisecond_rounds_up(void **state)
{
    (void)state;
    assert_int_equal(ratelimit_parse_duration_ms("500us"), 1);
    assert_int_equal(ratelimit_parse_duration_ms("1.0001s"), 1001);
}

static void test_ratelimit_duration_plain_float_seconds(void **state)
{
    (void)state;
    assert_int_equal(ratelimit_parse_duration_ms("33011.38"), 33011380);
    assert_int_equal(ratelimit_parse_duration_ms("53"), 53000);
    assert_int_equal(ratelimit_parse_duration_ms(" 11.382867097855 "), 11383);
}

static void test_ratelimit_duration_rejects_garbage(void **state)
{
    (void)state;
    const char *bad[] = {"", "   ", "abc", "5x", "1s later", "-1s", "-3", "s", "1.5.2s", "1m-2s"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        assert_int_equal(ratelimit_parse_duration_ms(bad[i]), -1);
    assert_int_equal(ratelimit_parse_duration_ms(NULL), -1);
}

static void test_ratelimit_duration_absurd_value_is_clamped(void **state)
{
    (void)state;
    assert_int_equal(ratelimit_parse_duration_ms("99999999999999"), RATELIMIT_MAX_DELAY_MS);
}

/* ---- header styles ---- */

static void test_ratelimit_openai_headers_are_per_minute(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-limit-requests", "60");
    header("x-ratelimit-limit-tokens", "150000");
    header("x-ratelimit-remaining-requests", "59");
    header("x-ratelimit-remaining-tokens", "149984");
    header("x-ratelimit-reset-requests", "1s");
    header("x-ratelimit-reset-tokens", "6m0s");
    struct ratelimit_obs o = parse("openai");
    assert_int_equal(o.requests_limit_minute, 60);
    assert_int_equal(o.requests_remaining_minute, 59);
    assert_int_equal(o.requests_reset_minute_ms, 1000);
    assert_int_equal(o.tokens_limit_minute, 150000);
    assert_int_equal(o.tokens_remaining_minute, 149984);
    assert_int_equal(o.tokens_reset_minute_ms, 360000);
    assert_int_equal(o.requests_limit_day, -1);
    assert_int_equal(o.requests_remaining_day, -1);
    assert_int_equal(o.kind, RL_NONE);
}

static void test_ratelimit_groq_requests_header_is_per_day(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-limit-requests", "14400");
    header("x-ratelimit-remaining-requests", "14370");
    header("x-ratelimit-reset-requests", "2m59.56s");
    struct ratelimit_obs o = parse("groq");
    assert_int_equal(o.requests_limit_day, 14400);
    assert_int_equal(o.requests_remaining_day, 14370);
    assert_int_equal(o.requests_reset_day_ms, 179560);
    assert_int_equal(o.requests_limit_minute, -1);
    assert_int_equal(o.requests_remaining_minute, -1);
}

static void test_ratelimit_groq_tokens_header_is_per_minute(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-limit-tokens", "18000");
    header("x-ratelimit-remaining-tokens", "17997");
    header("x-ratelimit-reset-tokens", "7.66s");
    struct ratelimit_obs o = parse("groq");
    assert_int_equal(o.tokens_limit_minute, 18000);
    assert_int_equal(o.tokens_remaining_minute, 17997);
    assert_int_equal(o.tokens_reset_minute_ms, 7660);
    assert_int_equal(o.tokens_limit_day, -1);
}

static void test_ratelimit_header_names_are_case_insensitive(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("X-RateLimit-Remaining-Requests", "12");
    assert_int_equal(parse("openai").requests_remaining_minute, 12);
}

static void test_ratelimit_cerebras_headers_name_their_window(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-limit-requests-day", "14400");
    header("x-ratelimit-limit-tokens-minute", "60000");
    header("x-ratelimit-remaining-requests-day", "14399");
    header("x-ratelimit-remaining-tokens-minute", "58993");
    struct ratelimit_obs o = parse("cerebras");
    assert_int_equal(o.requests_limit_day, 14400);
    assert_int_equal(o.requests_remaining_day, 14399);
    assert_int_equal(o.tokens_limit_minute, 60000);
    assert_int_equal(o.tokens_remaining_minute, 58993);
    assert_int_equal(o.requests_limit_minute, -1);
    assert_int_equal(o.tokens_limit_day, -1);
}

static void test_ratelimit_cerebras_resets_are_float_seconds(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-reset-requests-day", "33011.382867097855");
    header("x-ratelimit-reset-tokens-minute", "11.382867097855");
    struct ratelimit_obs o = parse("cerebras");
    assert_int_equal(o.requests_reset_day_ms, 33011383);
    assert_int_equal(o.tokens_reset_minute_ms, 11383);
}

static void test_ratelimit_openrouter_reset_is_epoch_ms_converted_to_delay(void **state)
{
    (void)state;
    result(LLM_ERR_RATE_LIMITED, 429, "HTTP 429: Rate limit exceeded: free-models-per-min. ");
    header("x-ratelimit-limit", "20");
    header("x-ratelimit-remaining", "0");
    header("x-ratelimit-reset", "1795861560000"); /* NOW + 14 s */
    struct ratelimit_obs o = parse("openrouter");
    assert_int_equal(o.kind, RL_MINUTE);
    assert_int_equal(o.requests_limit_minute, 20);
    assert_int_equal(o.requests_remaining_minute, 0);
    assert_int_equal(o.requests_reset_minute_ms, 14000);
    assert_int_equal(o.requests_limit_day, -1);
}

static void test_ratelimit_openrouter_reset_in_the_past_is_zero_delay(void **state)
{
    (void)state;
    result(LLM_ERR_RATE_LIMITED, 429, "HTTP 429: Rate limit exceeded: free-models-per-min. ");
    header("x-ratelimit-reset", "1795861540000"); /* NOW - 6 s: clock skew */
    assert_int_equal(parse("openrouter").requests_reset_minute_ms, 0);
}

static void test_ratelimit_openrouter_per_day_error_fills_the_day_window(void **state)
{
    (void)state;
    result(LLM_ERR_RATE_LIMITED, 429,
           "HTTP 429: Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 "
           "free model requests per day");
    header("x-ratelimit-limit", "50");
    header("x-ratelimit-remaining", "0");
    header("x-ratelimit-reset", "1795910400000"); /* 2026-11-29T00:00:00Z */
    struct ratelimit_obs o = parse("openrouter");
    assert_int_equal(o.kind, RL_DAY);
    assert_int_equal(o.requests_limit_day, 50);
    assert_int_equal(o.requests_remaining_day, 0);
    assert_int_equal(o.requests_reset_day_ms, 1795910400000LL - NOW);
    assert_int_equal(o.requests_limit_minute, -1);
}

static void test_ratelimit_mistral_bysize_headers_are_tokens_per_minute(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("ratelimitbysize-limit", "500000");
    header("ratelimitbysize-remaining", "498765");
    header("ratelimitbysize-reset", "43");
    struct ratelimit_obs o = parse("mistral");
    assert_int_equal(o.tokens_limit_minute, 500000);
    assert_int_equal(o.tokens_remaining_minute, 498765);
    assert_int_equal(o.tokens_reset_minute_ms, 43000);
    assert_int_equal(o.requests_limit_minute, -1);
}

static void test_ratelimit_mistral_month_headers(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimitbysize-limit-minute", "500000");
    header("x-ratelimitbysize-remaining-minute", "499000");
    header("x-ratelimitbysize-limit-month", "1000000000");
    header("x-ratelimitbysize-remaining-month", "999000000");
    struct ratelimit_obs o = parse("mistral");
    assert_int_equal(o.tokens_limit_minute, 500000);
    assert_int_equal(o.tokens_remaining_minute, 499000);
    assert_int_equal(o.tokens_limit_month, 1000000000);
    assert_int_equal(o.tokens_remaining_month, 999000000);
    assert_int_equal(o.tokens_limit_day, -1);
}

static void test_ratelimit_mistral_refusal_with_month_spent_is_day(void **state)
{
    (void)state;
    result(LLM_ERR_RATE_LIMITED, 429, "HTTP 429: Tokens rate limit exceeded");
    header("x-ratelimitbysize-remaining-month", "0");
    assert_int_equal(parse("mistral").kind, RL_DAY);
}

static void test_ratelimit_none_style_ignores_rate_limit_headers(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-limit-requests", "60");
    header("x-ratelimit-remaining-requests", "59");
    struct ratelimit_obs o = parse("none");
    assert_int_equal(o.requests_limit_minute, -1);
    assert_int_equal(o.requests_remaining_minute, -1);
    assert_int_equal(o.requests_limit_day, -1);
}

static void test_ratelimit_unparseable_header_is_unknown(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-remaining-requests", "lots");
    header("x-ratelimit-reset-requests", "soon");
    struct ratelimit_obs o = parse("openai");
    assert_int_equal(o.requests_remaining_minute, -1);
    assert_int_equal(o.requests_reset_minute_ms, -1);
}

static void test_ratelimit_negative_remaining_reads_as_zero(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    header("x-ratelimit-remaining-tokens", "-120");
    assert_int_equal(parse("openai").tokens_remaining_minute, 0);
}

/* ---- retry-after ---- */

static void test_ratelimit_retry_after_seconds_header(void **state)
{
    (void)state;
    result(LLM_ERR_RATE_LIMITED, 429, "HTTP 429: Too Many Requests");
    header("retry-after", "5");
    assert_int_equal(parse("groq").retry_after_ms, 5000);
}

static void test_ratelimit_retry_after_ms_header(void **state)
{
    (void)state;
    result(LLM_ERR_RATE_LIMITED, 429, "HTTP 429: Too Many Requests");
    header("retry-after-ms", "644");
    assert_int_equal(parse("openai").retry_after_ms, 644);
}

static void test_ratelimit_retry_after_largest_form_wins(void **state)
{
    (void)state;
    /* Groq: the sentence says 4.77 s (the client put it in retry_after_ms), the header
     * rounds up to 5 s. Waiting the longer never retries early. */
    result(LLM_ERR_RATE_LIMITED, 429,
           "HTTP 429: Rate limit reached for model `llama-3.1-8b-instant` in organization "
           "`org_01` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used "
           "5034, Requested 1443. Please try again in 4.77s.");
    R.retry_after_ms = 4770;
    header("retry-after", "5");
    assert_int_equal(parse("groq").retry_after_ms, 5000);
}

static void test_ratelimit_result_retry_after_is_used_without_headers(void **state)
{
    (void)state;
    /* Gemini: no headers; the client read RetryInfo.retryDelay "53s". */
    result(LLM_ERR_RATE_LIMITED, 429,
           "HTTP 429: You exceeded your current quota, please check your plan and billing "
           "details.");
    R.retry_after_ms = 53000;
    assert_int_equal(parse("gemini").retry_after_ms, 53000);
}

static void test_ratelimit_no_retry_after_is_minus_one(void **state)
{
    (void)state;
    result(LLM_OK, 200, NULL);
    assert_int_equal(parse("openai").retry_after_ms, -1);
}

/* ---- classification ---- */

static void test_ratelimit_groq_tokens_per_day_is_day(void **state)
{
    (void)state;
    assert_int_equal(
        classify("groq", LLM_ERR_RATE_LIMITED, 429,
                 "HTTP 429: Rate limit reached for model `llama-3.3-70b-versatile` in "
                 "organization `org_01hr` service tier `on_demand` on tokens per day (TPD): "
                 "Limit 100000, Used 99507, Requested 1442. Please try again in 13m43.2s. "
                 "Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/..."),
        RL_DAY);
}

static void test_ratelimit_groq_requests_per_day_is_day(void **state)
{
    (void)state;
    assert_int_equal(
        classify("groq", LLM_ERR_RATE_LIMITED, 429,
                 "HTTP 429: Rate limit reached for model `llama-3.3-70b-versatile` in "
                 "organization `org_01hr` service tier `on_demand` on requests per day (RPD): "
                 "Limit 1000, Used 1000, Requested 1. Please try again in 1m26.4s."),
        RL_DAY);
}

static void test_ratelimit_groq_tokens_per_minute_is_minute(void **state)
{
    (void)state;
    assert_int_equal(
        classify("groq", LLM_ERR_RATE_LIMITED, 429,
                 "HTTP 429: Rate limit reached for model `llama-3.1-8b-instant` in organization "
                 "`org_01hr` service tier `on_demand` on tokens per minute (TPM): Limit 6000, "
                 "Used 5034, Requested 1443. Please try again in 4.77s."),
        RL_MINUTE);
}

static void test_ratelimit_openai_requests_per_min_is_minute(void **state)
{
    (void)state;
    assert_int_equal(classify("openai", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Rate limit reached for gpt-4o-mini in organization "
                              "org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. "
                              "Please try again in 20s."),
                     RL_MINUTE);
}

static void test_ratelimit_openrouter_free_models_per_day_is_day(void **state)
{
    (void)state;
    assert_int_equal(classify("openrouter", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Rate limit exceeded: free-models-per-day. Add 10 credits "
                              "to unlock 1000 free model requests per day"),
                     RL_DAY);
}

static void test_ratelimit_openrouter_free_models_per_min_is_minute(void **state)
{
    (void)state;
    assert_int_equal(classify("openrouter", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Rate limit exceeded: free-models-per-min. "),
                     RL_MINUTE);
}

static void test_ratelimit_gemini_per_day_quota_id_is_day(void **state)
{
    (void)state;
    assert_int_equal(classify("gemini", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Quota exceeded (quotaId "
                              "GenerateRequestsPerDayPerProjectPerModel-FreeTier)"),
                     RL_DAY);
}

static void test_ratelimit_gemini_per_minute_quota_id_is_minute(void **state)
{
    (void)state;
    assert_int_equal(classify("gemini", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Quota exceeded (quotaId "
                              "GenerateRequestsPerMinutePerProjectPerModel-FreeTier)"),
                     RL_MINUTE);
}

static void test_ratelimit_gemini_resource_exhausted_per_day_is_day(void **state)
{
    (void)state;
    assert_int_equal(classify("gemini", LLM_ERR_RATE_LIMITED, 400,
                              "HTTP 400: RESOURCE_EXHAUSTED: Quota exceeded for quota metric "
                              "'Generate Content API requests per day'"),
                     RL_DAY);
}

static void test_ratelimit_gemini_free_tier_limit_zero_is_day(void **state)
{
    (void)state;
    assert_int_equal(
        classify("gemini", LLM_ERR_RATE_LIMITED, 429,
                 "HTTP 429: You exceeded your current quota, please check your plan and billing "
                 "details. For more information on this error, head to: https://ai.google.dev/"
                 "gemini-api/docs/rate-limits. * Quota exceeded for metric: generativelanguage."
                 "googleapis.com/generate_content_free_tier_requests, limit: 0, model: "
                 "gemini-2.5-pro"),
        RL_DAY);
}

static void test_ratelimit_gemini_message_without_quota_id_is_minute(void **state)
{
    (void)state;
    /* What the client keeps today: the quota id is in error.details, not the message,
     * so a spent Gemini day looks like a minute refusal (see the report on openai.c). */
    assert_int_equal(classify("gemini", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: You exceeded your current quota, please check your "
                              "plan and billing details."),
                     RL_MINUTE);
}

static void test_ratelimit_cloudflare_3036_is_day(void **state)
{
    (void)state;
    assert_int_equal(classify("cloudflare", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: AiError: you have used up your daily free allocation "
                              "of 10,000 neurons (code 3036)"),
                     RL_DAY);
}

static void test_ratelimit_cloudflare_3040_is_capacity(void **state)
{
    (void)state;
    assert_int_equal(classify("cloudflare", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: AiError: Capacity temporarily exceeded, please try "
                              "again. (code 3040)"),
                     RL_CAPACITY);
}

static void test_ratelimit_cerebras_tokens_per_minute_is_minute(void **state)
{
    (void)state;
    assert_int_equal(classify("cerebras", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Tokens per minute limit exceeded - too many tokens "
                              "processed."),
                     RL_MINUTE);
}

static void test_ratelimit_cerebras_per_day_is_day(void **state)
{
    (void)state;
    assert_int_equal(classify("cerebras", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Tokens per day limit exceeded - too many tokens "
                              "processed."),
                     RL_DAY);
    assert_int_equal(classify("cerebras", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Requests per day limit exceeded - too many requests "
                              "sent."),
                     RL_DAY);
}

static void test_ratelimit_cerebras_too_many_concurrent_is_minute(void **state)
{
    (void)state;
    assert_int_equal(classify("cerebras", LLM_ERR_RATE_LIMITED, 429,
                              "HTTP 429: Too many concurrent requests - too many requests "
                              "sent."),
                     RL_MINUTE);
}

static void test_ratelimit_auth_statuses_are_auth(void **state)
{
    (void)state;
    assert_int_equal(classify("groq", LLM_ERR_AUTH, 401, "HTTP 401: Invalid API Key"), RL_AUTH);
    assert_int_equal(classify("none", LLM_ERR_AUTH, 402, "HTTP 402: Insufficient Balance"),
                     RL_AUTH);
    assert_int_equal(classify("none", LLM_ERR_AUTH, 403, "HTTP 403: Forbidden"), RL_AUTH);
}

static void test_ratelimit_unrecognised_429_is_minute(void **state)
{
    (void)state;
    assert_int_equal(classify("none", LLM_ERR_RATE_LIMITED, 429, "HTTP 429: Too Many Requests"),
                     RL_MINUTE);
    assert_int_equal(classify("none", LLM_ERR_RATE_LIMITED, 429, NULL), RL_MINUTE);
}

static void test_ratelimit_503_is_capacity(void **state)
{
    (void)state;
    assert_int_equal(
        classify("groq", LLM_ERR_HTTP, 503, "HTTP 503: Service Unavailable: over capacity"),
        RL_CAPACITY);
}

static void test_ratelimit_other_failures_are_none(void **state)
{
    (void)state;
    assert_int_equal(classify("openai", LLM_ERR_HTTP, 500, "HTTP 500: Internal server error"),
                     RL_NONE);
    assert_int_equal(classify("openai", LLM_ERR_TIMEOUT, 0, "timeout: no complete answer"),
                     RL_NONE);
    assert_int_equal(classify("openai", LLM_ERR_BAD_RESPONSE, 200,
                              "HTTP 200: bad response: no choices[0].message.content"),
                     RL_NONE);
    assert_int_equal(classify("openai", LLM_OK, 200, NULL), RL_NONE);
}

static void test_ratelimit_daily_word_outside_a_refusal_is_none(void **state)
{
    (void)state;
    assert_int_equal(
        classify("openai", LLM_ERR_HTTP, 400, "HTTP 400: the daily summary field is not supported"),
        RL_NONE);
}

static void test_ratelimit_style_names(void **state)
{
    (void)state;
    assert_true(ratelimit_style_known("groq"));
    assert_true(ratelimit_style_known("none"));
    assert_false(ratelimit_style_known("anthropic"));
    assert_false(ratelimit_style_known(NULL));
    assert_string_equal(ratelimit_kind_name(RL_DAY), "day");
}

#define T(f) cmocka_unit_test_teardown(f, clear_result)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ratelimit_duration_go_minutes_and_seconds),
        T(test_ratelimit_duration_go_fractions_and_milliseconds),
        T(test_ratelimit_duration_sub_millisecond_rounds_up),
        T(test_ratelimit_duration_plain_float_seconds),
        T(test_ratelimit_duration_rejects_garbage),
        T(test_ratelimit_duration_absurd_value_is_clamped),
        T(test_ratelimit_openai_headers_are_per_minute),
        T(test_ratelimit_groq_requests_header_is_per_day),
        T(test_ratelimit_groq_tokens_header_is_per_minute),
        T(test_ratelimit_header_names_are_case_insensitive),
        T(test_ratelimit_cerebras_headers_name_their_window),
        T(test_ratelimit_cerebras_resets_are_float_seconds),
        T(test_ratelimit_openrouter_reset_is_epoch_ms_converted_to_delay),
        T(test_ratelimit_openrouter_reset_in_the_past_is_zero_delay),
        T(test_ratelimit_openrouter_per_day_error_fills_the_day_window),
        T(test_ratelimit_mistral_bysize_headers_are_tokens_per_minute),
        T(test_ratelimit_mistral_month_headers),
        T(test_ratelimit_mistral_refusal_with_month_spent_is_day),
        T(test_ratelimit_none_style_ignores_rate_limit_headers),
        T(test_ratelimit_unparseable_header_is_unknown),
        T(test_ratelimit_negative_remaining_reads_as_zero),
        T(test_ratelimit_retry_after_seconds_header),
        T(test_ratelimit_retry_after_ms_header),
        T(test_ratelimit_retry_after_largest_form_wins),
        T(test_ratelimit_result_retry_after_is_used_without_headers),
        T(test_ratelimit_no_retry_after_is_minus_one),
        T(test_ratelimit_groq_tokens_per_day_is_day),
        T(test_ratelimit_groq_requests_per_day_is_day),
        T(test_ratelimit_groq_tokens_per_minute_is_minute),
        T(test_ratelimit_openai_requests_per_min_is_minute),
        T(test_ratelimit_openrouter_free_models_per_day_is_day),
        T(test_ratelimit_openrouter_free_models_per_min_is_minute),
        T(test_ratelimit_gemini_per_day_quota_id_is_day),
        T(test_ratelimit_gemini_per_minute_quota_id_is_minute),
        T(test_ratelimit_gemini_resource_exhausted_per_day_is_day),
        T(test_ratelimit_gemini_free_tier_limit_zero_is_day),
        T(test_ratelimit_gemini_message_without_quota_id_is_minute),
        T(test_ratelimit_cloudflare_3036_is_day),
        T(test_ratelimit_cloudflare_3040_is_capacity),
        T(test_ratelimit_cerebras_tokens_per_minute_is_minute),
        T(test_ratelimit_cerebras_per_day_is_day),
        T(test_ratelimit_cerebras_too_many_concurrent_is_minute),
        T(test_ratelimit_auth_statuses_are_auth),
        T(test_ratelimit_unrecognised_429_is_minute),
        T(test_ratelimit_503_is_capacity),
        T(test_ratelimit_other_failures_are_none),
        T(test_ratelimit_daily_word_outside_a_refusal_is_none),
        T(test_ratelimit_style_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
