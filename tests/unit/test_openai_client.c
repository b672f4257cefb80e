/* test_openai_client: the OpenAI-compatible client (llm/openai.c) against an in-process
 * evhttp server on the same event_base. Every test runs twice, once with each HTTP
 * client ([provider.*] http_client = libcurl, then libevent), which must agree.
 *
 * Each test sets what the server answers (status, body, headers, an optional delay done
 * with an evtimer, never sleep), submits calls, and runs the loop until the expected
 * done callbacks arrived; a safety timer ends a stuck loop and fails the test. Results
 * are copied out of done (the client's llm_result is only valid during the call), and
 * done asserts it never runs inside submit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "llm/provider.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TEST_KEY "sk-test-SECRET-0123456789abcdef"
#define MAX_RESULTS 96
#define SAFETY_MS 10000

#define OK_BODY                                                                                    \
    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"         \
    "{\"role\":\"assistant\",\"content\":\"{\\\"score\\\":4}\"},\"finish_reason\":\"stop\"}],"     \
    "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":7,\"total_tokens\":127}}"

/* ---- the fake provider ------------------------------------------------------------ */

struct delayed {
    struct delayed *next;
    struct evhttp_request *req;
    struct event *ev;
};

static struct {
    struct event_base *base;
    struct evhttp *http;
    int port;
    /* what the handler answers */
    int status;
    const char *body; /* NULL: OK_BODY */
    size_t body_len;  /* 0: strlen(body) */
    const char *headers[8][2];
    int chunked;       /* 1: send the body with chunked transfer encoding */
    int delay_ms;      /* every reply waits this long */
    int slow_delay_ms; /* replies to bodies containing "SLOW" wait this long */
    /* what it saw */
    int requests;
    int pending, max_pending; /* delayed replies not sent yet */
    char *last_body;
    char *last_auth; /* NULL when no Authorization header came */
    char *last_ctype;
    char *last_uri;
    unsigned short peer_port[MAX_RESULTS];
    int break_at_requests; /* loopbreak once this many requests arrived (0: never) */
    struct delayed *delayed;
} S;

static void send_reply(struct evhttp_request *req)
{
    if (S.chunked) { /* no Content-Length: the client only learns the size as it reads */
        const char *body = S.body ? S.body : OK_BODY;
        size_t len = S.body_len ? S.body_len : strlen(body);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "application/json");
        evhttp_send_reply_start(req, 200, "OK");
        for (size_t off = 0; off < len; off += 65536) {
            struct evbuffer *b = evbuffer_new();
            evbuffer_add(b, body + off, len - off < 65536 ? len - off : 65536);
            evhttp_send_reply_chunk(req, b);
            evbuffer_free(b);
        }
        evhttp_send_reply_end(req);
        return;
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", "application/json");
    for (int i = 0; i < 8 && S.headers[i][0]; i++)
        evhttp_add_header(out, S.headers[i][0], S.headers[i][1]);
    struct evbuffer *b = evbuffer_new();
    const char *body = S.body ? S.body : OK_BODY;
    evbuffer_add(b, body, S.body_len ? S.body_len : strlen(body));
    evhttp_send_reply(req, S.status ? S.status : 200, S.status >= 400 ? "Error" : "OK", b);
    evbuffer_free(b);
}

static void delayed_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct delayed *d = arg;
    for (struct delayed **pp = &S.delayed; *pp; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    S.pending--;
    send_reply(d->req); /* also frees a request whose client already left */
    event_free(d->ev);
    free(d);
}

static void handler(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    free(S.last_body);
    S.last_body = xmalloc(len + 1);
    evbuffer_copyout(in, S.last_body, len);
    S.last_body[len] = 0;
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *auth = evhttp_find_header(h, "Authorization");
    const char *ctype = evhttp_find_header(h, "Content-Type");
    free(S.last_auth);
    free(S.last_ctype);
    free(S.last_uri);
    S.last_auth = auth ? xstrdup(auth) : NULL;
    S.last_ctype = ctype ? xstrdup(ctype) : NULL;
    S.last_uri = xstrdup(evhttp_request_get_uri(req));
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr, &port);
    if (S.requests < MAX_RESULTS) S.peer_port[S.requests] = port;
    S.requests++;
    if (S.break_at_requests && S.requests >= S.break_at_requests) event_base_loopbreak(S.base);

    int delay = S.delay_ms;
    if (S.slow_delay_ms && strstr(S.last_body, "SLOW")) delay = S.slow_delay_ms;
    if (delay <= 0) {
        send_reply(req);
        return;
    }
    struct delayed *d = xcalloc(1, sizeof *d);
    d->req = req;
    d->ev = evtimer_new(S.base, delayed_cb, d);
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    evtimer_add(d->ev, &tv);
    d->next = S.delayed;
    S.delayed = d;
    if (++S.pending > S.max_pending) S.max_pending = S.pending;
}

/* A port where nothing listens: bind, read the port, close. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t alen = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- the client side -------------------------------------------------------------- */

static const char *CLIENT = "libcurl"; /* the http_client under test; main sets it */
static struct provider *P;
static struct llm_result got[MAX_RESULTS];
static int got_tag[MAX_RESULTS];
static int got_n;
static int expected;
static int in_submit;
static int timed_out;
static int destroy_on_tag; /* done for this tag destroys P (0: never) */

/* Copies the result out, stealing the owned parts. */
static void done_cb(struct llm_result *r, void *data)
{
    assert_false(in_submit); /* never synchronously inside submit */
    assert_true(got_n < MAX_RESULTS);
    int tag = (int)(intptr_t)data;
    got[got_n] = *r;
    got_tag[got_n] = tag;
    got_n++;
    r->content = NULL;
    r->error = NULL;
    r->headers = NULL;
    r->n_headers = 0;
    if (destroy_on_tag && tag == destroy_on_tag) {
        struct provider *p = P;
        P = NULL;
        provider_destroy(p);
    }
    if (got_n >= expected) event_base_loopbreak(S.base);
}

static void safety_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    timed_out = 1;
    event_base_loopbreak(S.base);
}

/* Runs the loop until n results arrived in total. */
static void run_until(int n)
{
    expected = n;
    if (got_n >= n) return;
    struct event *safety = evtimer_new(S.base, safety_cb, NULL);
    struct timeval tv = {SAFETY_MS / 1000, 0};
    evtimer_add(safety, &tv);
    while (got_n < n && !timed_out && (!S.break_at_requests || S.requests < S.break_at_requests))
        event_base_dispatch(S.base);
    event_free(safety);
    assert_false(timed_out);
}

static void run_until_requests(int n)
{
    S.break_at_requests = n;
    run_until(MAX_RESULTS + 1);
    S.break_at_requests = 0;
}

static struct provider *make_provider(const char *key, long timeout_ms)
{
    static char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/", S.port); /* trailing / on purpose */
    struct provider_config cfg = {
        .name = "groq-test",
        .base_url = url,
        .model = "llama-3.1-8b-instant",
        .timeout_ms = timeout_ms,
        .http_client = CLIENT,
    };
    char err[256];
    struct provider *p = provider_openai_new(S.base, &cfg, key, err, sizeof err);
    assert_non_null(p);
    assert_string_equal(p->ops->kind, "openai");
    return p;
}

static json_t *messages(const char *user)
{
    return json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content",
                     "You are an interviewer.", "role", "user", "content", user);
}

/* Submits one call with the given tag; the request is built and dropped here, so the
 * client must not keep pointers into it. */
static void submit_tagged(const char *user, int timeout_ms, int tag)
{
    json_t *m = messages(user);
    struct llm_request req = {
        .task = "evaluate",
        .messages = m,
        .max_tokens = 256,
        .temperature = 0,
        .json_mode = 1,
        .timeout_ms = timeout_ms,
    };
    in_submit = 1;
    int rc = provider_submit(P, &req, done_cb, (void *)(intptr_t)tag);
    in_submit = 0;
    json_decref(m);
    assert_int_equal(rc, 0);
}

static void submit(void)
{
    submit_tagged("Explain a hash table.", 0, 1);
}

/* One call to completion; returns its result. */
static const struct llm_result *call_once(void)
{
    if (!P) P = make_provider(TEST_KEY, 5000);
    int before = got_n;
    submit();
    assert_int_equal(got_n, before); /* nothing arrives before the loop runs */
    run_until(before + 1);
    return &got[before];
}

static int setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof S);
    S.base = event_base_new();
    S.http = evhttp_new(S.base);
    evhttp_set_gencb(S.http, handler, NULL);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(S.http, "127.0.0.1", 0);
    assert_non_null(bs);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&a, &alen), 0);
    S.port = ntohs(a.sin_port);
    P = NULL;
    got_n = expected = in_submit = timed_out = destroy_on_tag = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (P) provider_destroy(P);
    P = NULL;
    /* Answer what is still waiting, so evhttp_free frees every request. */
    while (S.delayed) {
        struct delayed *d = S.delayed;
        S.delayed = d->next;
        send_reply(d->req);
        event_free(d->ev);
        free(d);
    }
    evhttp_free(S.http);
    event_base_free(S.base);
    for (int i = 0; i < got_n; i++)
        llm_result_clear(&got[i]);
    free(S.last_body);
    free(S.last_auth);
    free(S.last_ctype);
    free(S.last_uri);
    return 0;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_success_returns_content_usage_and_latency(void **state)
{
    (void)state;
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_OK);
    assert_int_equal(r->http_status, 200);
    assert_string_equal(r->content, "{\"score\":4}");
    assert_int_equal(r->prompt_tokens, 120);
    assert_int_equal(r->completion_tokens, 7);
    assert_true(r->latency_ms >= 0 && r->latency_ms < 5000);
    assert_int_equal(r->retry_after_ms, -1);
    assert_null(r->error);
    assert_string_equal(r->provider, "groq-test");
    assert_string_equal(r->model, "llama-3.1-8b-instant");
}

static void test_request_body_and_bearer_as_sent(void **state)
{
    (void)state;
    call_once();
    assert_string_equal(S.last_uri, "/v1/chat/completions");
    assert_string_equal(S.last_ctype, "application/json");
    assert_non_null(S.last_auth);
    assert_string_equal(S.last_auth, "Bearer " TEST_KEY);
    json_t *body = json_loads(S.last_body, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "model")), "llama-3.1-8b-instant");
    json_t *m = messages("Explain a hash table.");
    assert_true(json_equal(json_object_get(body, "messages"), m));
    json_decref(m);
    assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 256);
    assert_true(json_is_number(json_object_get(body, "temperature")));
    assert_true(json_number_value(json_object_get(body, "temperature")) == 0.0);
    json_t *rf = json_object_get(body, "response_format");
    assert_string_equal(json_string_value(json_object_get(rf, "type")), "json_object");
    json_decref(body);
}

static void test_keyless_plain_call_sends_no_auth_and_no_response_format(void **state)
{
    (void)state;
    P = make_provider(NULL, 5000);
    json_t *m = messages("hi");
    struct llm_request req = {.task = "follow_up", .messages = m, .temperature = 0.7};
    assert_int_equal(provider_submit(P, &req, done_cb, NULL), 0);
    json_decref(m);
    run_until(1);
    assert_int_equal(got[0].status, LLM_OK);
    assert_null(S.last_auth);
    json_t *body = json_loads(S.last_body, 0, NULL);
    assert_null(json_object_get(body, "response_format"));
    assert_null(json_object_get(body, "max_tokens")); /* 0 = let the server decide */
    assert_true(json_number_value(json_object_get(body, "temperature")) > 0.69);
    json_decref(body);
}

static void test_empty_key_sends_no_auth(void **state)
{
    (void)state;
    P = make_provider("", 5000);
    call_once();
    assert_null(S.last_auth);
}

static void test_429_with_retry_after_seconds_is_rate_limited(void **state)
{
    (void)state;
    S.status = 429;
    S.body = "{\"error\":{\"message\":\"Rate limit exceeded\",\"type\":\"requests\"}}";
    S.headers[0][0] = "Retry-After";
    S.headers[0][1] = "7";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_RATE_LIMITED);
    assert_int_equal(r->http_status, 429);
    assert_int_equal(r->retry_after_ms, 7000);
    assert_null(r->content);
    assert_string_equal(r->error, "HTTP 429: Rate limit exceeded");
}

static void test_retry_after_ms_header_wins_over_retry_after(void **state)
{
    (void)state;
    S.status = 429;
    S.body = "{\"error\":{\"message\":\"slow down\"}}";
    S.headers[0][0] = "retry-after-ms";
    S.headers[0][1] = "1250.5";
    S.headers[1][0] = "Retry-After";
    S.headers[1][1] = "2";
    assert_int_equal(call_once()->retry_after_ms, 1251);
}

static void test_retry_after_http_date(void **state)
{
    (void)state;
    char date[64];
    time_t t = (time_t)(clock_now_ms() / 1000 + 30);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    S.status = 503;
    S.body = "{\"error\":{\"message\":\"overloaded\"}}";
    S.headers[0][0] = "Retry-After";
    S.headers[0][1] = date;
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_HTTP);
    assert_true(r->retry_after_ms > 27000 && r->retry_after_ms <= 30000);
}

static void test_groq_try_again_in_body_gives_retry_after(void **state)
{
    (void)state;
    S.status = 429;
    S.body = "{\"error\":{\"message\":\"Rate limit reached for model `llama-3.1-8b-instant` in "
             "organization `org_01` service tier `on_demand` on tokens per minute (TPM): Limit "
             "6000, Used 5034, Requested 1443. Please try again in 4.77s. Need more tokens? "
             "Upgrade to Dev Tier today at https://console.groq.com/settings/billing\","
             "\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_RATE_LIMITED);
    assert_int_equal(r->retry_after_ms, 4770);
    assert_non_null(strstr(r->error, "HTTP 429: Rate limit reached for model"));
    assert_true(strlen(r->error) <= 300);
}

static void test_try_again_in_go_durations(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int64_t ms;
    } cases[] = {
        {"{\"error\":{\"message\":\"Rate limit reached. Please try again in 644ms.\"}}", 644},
        {"{\"error\":{\"message\":\"Rate limit reached. Please try again in 1m2.5s.\"}}", 62500},
        {"{\"error\":{\"message\":\"Limit on tokens per day. Please try again in 2h3m0s.\"}}",
         7380000},
        {"{\"error\":{\"message\":\"Rate limit reached.\"}}", -1},
    };
    S.status = 429;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        S.body = cases[i].body;
        assert_int_equal(call_once()->retry_after_ms, cases[i].ms);
    }
}

static void test_gemini_array_resource_exhausted_is_rate_limited_with_retry_delay(void **state)
{
    (void)state;
    S.status = 400; /* the status code has varied; the body decides */
    S.body =
        "[{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota, please "
        "check your plan and billing details.\",\"status\":\"RESOURCE_EXHAUSTED\","
        "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
        "\"violations\":[{\"quotaId\":\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\"}]},"
        "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"53s\"}]}}]";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_RATE_LIMITED);
    assert_int_equal(r->http_status, 400);
    assert_int_equal(r->retry_after_ms, 53000);
    assert_string_equal(r->error,
                        "HTTP 400: You exceeded your current quota, please check your plan and "
                        "billing details.");
}

static void test_400_resource_exhausted_object_is_rate_limited(void **state)
{
    (void)state;
    S.status = 400;
    S.body =
        "{\"error\":{\"code\":400,\"message\":\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\","
        "\"details\":[{\"@type\":\"type.googleapis.com/"
        "google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_RATE_LIMITED);
    assert_int_equal(r->retry_after_ms, 1500);
}

static void test_plain_400_is_http_error(void **state)
{
    (void)state;
    S.status = 400;
    S.body = "{\"error\":{\"message\":\"'messages' must contain the word 'json'\",\"type\":"
             "\"invalid_request_error\"}}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_HTTP);
    assert_int_equal(r->retry_after_ms, -1);
}

static void test_401_is_auth_and_error_never_contains_the_key(void **state)
{
    (void)state;
    S.status = 401;
    S.body = "{\"error\":{\"message\":\"Incorrect API key provided: " TEST_KEY
             ". You can find your API key at https://example.invalid/keys.\",\"type\":"
             "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_AUTH);
    assert_int_equal(r->http_status, 401);
    assert_non_null(r->error);
    assert_null(strstr(r->error, TEST_KEY));
    assert_null(strstr(r->error, "SECRET"));
    assert_non_null(strstr(r->error, "HTTP 401: Incorrect API key provided: [redacted]."));
}

static void test_key_in_a_non_json_body_is_scrubbed_too(void **state)
{
    (void)state;
    S.status = 403;
    S.body = "forbidden for Bearer " TEST_KEY;
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_AUTH);
    assert_null(strstr(r->error, "SECRET"));
    assert_string_equal(r->error, "HTTP 403: forbidden for Bearer [redacted]");
}

static void test_402_and_403_are_auth(void **state)
{
    (void)state;
    S.body = "{\"error\":{\"message\":\"Insufficient Balance\"}}";
    S.status = 402;
    assert_int_equal(call_once()->status, LLM_ERR_AUTH);
    S.status = 403;
    assert_int_equal(call_once()->status, LLM_ERR_AUTH);
}

static void test_500_is_http_error(void **state)
{
    (void)state;
    S.status = 500;
    S.body = "{\"error\":{\"message\":\"Internal server error\",\"type\":\"internal_error\"}}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_HTTP);
    assert_int_equal(r->http_status, 500);
    assert_string_equal(r->error, "HTTP 500: Internal server error");
    assert_null(r->content);
}

static void test_cerebras_top_level_message(void **state)
{
    (void)state;
    S.status = 429;
    S.body = "{\"message\":\"Tokens per minute limit exceeded - too many tokens processed.\","
             "\"type\":\"too_many_requests_error\",\"param\":\"quota\",\"code\":\"token_quota_"
             "exceeded\"}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_RATE_LIMITED);
    assert_string_equal(r->error,
                        "HTTP 429: Tokens per minute limit exceeded - too many tokens processed.");
}

static void test_cloudflare_errors_array(void **state)
{
    (void)state;
    S.status = 429;
    S.body = "{\"result\":null,\"success\":false,\"errors\":[{\"code\":3036,\"message\":\"AiError: "
             "you have used up your daily free allocation of 10,000 neurons\"}],\"messages\":[]}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_RATE_LIMITED);
    assert_string_equal(r->error,
                        "HTTP 429: AiError: you have used up your daily free allocation of "
                        "10,000 neurons (code 3036)");
}

static void test_long_error_is_truncated(void **state)
{
    (void)state;
    static char body[2200];
    strcpy(body, "{\"error\":{\"message\":\"");
    for (int i = 0; i < 2000; i++)
        strcat(body, "x");
    strcat(body, "\"}}");
    S.status = 500;
    S.body = body;
    const struct llm_result *r = call_once();
    assert_int_equal(strlen(r->error), 300);
    assert_non_null(strstr(r->error, "..."));
}

static void test_200_with_garbage_is_bad_response(void **state)
{
    (void)state;
    S.body = "<html>502 Bad Gateway</html>";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_BAD_RESPONSE);
    assert_int_equal(r->http_status, 200);
    assert_null(r->content);
    assert_non_null(strstr(r->error, "not JSON"));
}

static void test_200_without_content_is_bad_response(void **state)
{
    (void)state;
    S.body =
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null},"
        "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":0}}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_BAD_RESPONSE);
    assert_non_null(strstr(r->error, "finish_reason length"));
}

static void test_200_carrying_a_429_error_is_rate_limited(void **state)
{
    (void)state;
    S.body = "{\"error\":{\"message\":\"Rate limit exceeded: free-models-per-day.\",\"code\":429}}";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_RATE_LIMITED);
    assert_string_equal(r->error, "HTTP 200: Rate limit exceeded: free-models-per-day.");
}

static void test_body_over_4_mib_is_bad_response(void **state)
{
    (void)state;
    size_t n = 5u * 1024 * 1024;
    char *big = xmalloc(n);
    memset(big, ' ', n);
    S.body = big;
    S.body_len = n;
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_BAD_RESPONSE);
    assert_non_null(strstr(r->error, "larger than"));
    free(big);
    S.body = NULL;
    S.body_len = 0;
}

static void test_chunked_body_over_4_mib_is_bad_response(void **state)
{
    (void)state;
    size_t n = 5u * 1024 * 1024;
    char *big = xmalloc(n);
    memset(big, ' ', n);
    S.body = big;
    S.body_len = n;
    S.chunked = 1;
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_BAD_RESPONSE);
    assert_non_null(strstr(r->error, "larger than"));
    free(big);
    S.body = NULL;
    S.body_len = 0;
}

static void test_chunked_success(void **state)
{
    (void)state;
    S.chunked = 1;
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_OK);
    assert_string_equal(r->content, "{\"score\":4}");
}

static void test_slow_server_times_out(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 5000);
    S.delay_ms = 3000;
    int64_t t0 = clock_mono_ms();
    submit_tagged("Explain a hash table.", 200, 1); /* the request's timeout wins */
    run_until(1);
    int64_t took = clock_mono_ms() - t0;
    assert_int_equal(got[0].status, LLM_ERR_TIMEOUT);
    assert_int_equal(got[0].http_status, 0);
    assert_true(got[0].latency_ms >= 150 && got[0].latency_ms < 2000);
    assert_true(took < 2000);
    assert_non_null(strstr(got[0].error, "timeout"));
}

static void test_config_timeout_applies_when_request_has_none(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 200);
    S.delay_ms = 3000;
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_TIMEOUT);
    assert_true(r->latency_ms < 2000);
}

static void test_connection_refused_is_network(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", closed_port());
    struct provider_config cfg = {
        .name = "nowhere", .base_url = url, .model = "m", .http_client = CLIENT};
    char err[128];
    P = provider_openai_new(S.base, &cfg, TEST_KEY, err, sizeof err);
    assert_non_null(P);
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_ERR_NETWORK);
    assert_int_equal(r->http_status, 0);
    assert_non_null(strstr(r->error, "network"));
    assert_null(strstr(r->error, "SECRET"));
}

static void test_twenty_concurrent_calls_all_complete(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 5000);
    S.delay_ms = 100;
    for (int i = 0; i < 20; i++)
        submit_tagged("Explain a hash table.", 0, i + 1);
    assert_int_equal(got_n, 0);
    run_until(20);
    int seen[21] = {0};
    for (int i = 0; i < 20; i++) {
        assert_int_equal(got[i].status, LLM_OK);
        assert_string_equal(got[i].content, "{\"score\":4}");
        seen[got_tag[i]]++;
    }
    for (int i = 1; i <= 20; i++)
        assert_int_equal(seen[i], 1); /* each done exactly once */
    assert_int_equal(S.requests, 20);
    assert_int_equal(S.max_pending, 20); /* really concurrent, not one after another */
}

/* More calls at once than the libevent client opens connections (64): the rest wait
 * their turn and every call completes, each once. libcurl opens one per call. */
static void test_more_calls_than_connections_all_complete(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 5000);
    S.delay_ms = 50;
    const int n = 80;
    for (int i = 0; i < n; i++)
        submit_tagged("Explain a hash table.", 0, i + 1);
    run_until(n);
    int seen[81] = {0};
    for (int i = 0; i < n; i++) {
        assert_int_equal(got[i].status, LLM_OK);
        seen[got_tag[i]]++;
    }
    for (int i = 1; i <= n; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(S.requests, n);
    if (strcmp(CLIENT, "libevent") == 0)
        assert_int_equal(S.max_pending, 64);
    else
        assert_true(S.max_pending > 64);
}

/* A host name, not an address: resolved on the loop (/etc/hosts has localhost). */
static void test_host_name_is_resolved(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "http://localhost:%d/v1", S.port);
    struct provider_config cfg = {
        .name = "groq-test", .base_url = url, .model = "m", .http_client = CLIENT};
    char err[128];
    P = provider_openai_new(S.base, &cfg, TEST_KEY, err, sizeof err);
    assert_non_null(P);
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_OK);
    assert_string_equal(r->content, "{\"score\":4}");
}

static void test_keeps_connection_alive_between_calls(void **state)
{
    (void)state;
    log_set_level(LOG_DEBUG); /* exercises the per-call log line */
    call_once();
    call_once();
    call_once();
    log_set_level(LOG_INFO);
    assert_int_equal(S.requests, 3);
    assert_int_equal(S.peer_port[0], S.peer_port[1]);
    assert_int_equal(S.peer_port[1], S.peer_port[2]);
}

static void test_destroy_with_calls_in_flight_cancels_them(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 5000);
    S.delay_ms = 10000;
    for (int i = 0; i < 3; i++)
        submit_tagged("Explain a hash table.", 0, i + 1);
    run_until_requests(3);
    assert_int_equal(got_n, 0);
    struct provider *p = P;
    P = NULL;
    provider_destroy(p);
    assert_int_equal(got_n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got[i].status, LLM_ERR_CANCELLED);
        assert_null(got[i].content);
        assert_non_null(strstr(got[i].error, "cancelled"));
    }
}

static void test_destroy_with_calls_not_started_cancels_them(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 5000);
    submit();
    submit();
    struct provider *p = P;
    P = NULL;
    provider_destroy(p); /* before the loop ever ran: no socket yet */
    assert_int_equal(got_n, 2);
    assert_int_equal(got[0].status, LLM_ERR_CANCELLED);
    assert_int_equal(got[1].status, LLM_ERR_CANCELLED);
}

static void test_destroy_inside_done_cancels_the_rest(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 5000);
    S.slow_delay_ms = 10000;
    destroy_on_tag = 1;
    submit_tagged("fast one", 0, 1);
    submit_tagged("SLOW one", 0, 2);
    run_until(2);
    assert_null(P);
    assert_int_equal(got_tag[0], 1);
    assert_int_equal(got[0].status, LLM_OK);
    assert_int_equal(got_tag[1], 2);
    assert_int_equal(got[1].status, LLM_ERR_CANCELLED);
}

static void test_headers_captured_and_found_case_insensitively(void **state)
{
    (void)state;
    S.headers[0][0] = "X-RateLimit-Remaining-Requests";
    S.headers[0][1] = "14399";
    S.headers[1][0] = "x-ratelimit-reset-tokens";
    S.headers[1][1] = "7.66s";
    const struct llm_result *r = call_once();
    assert_int_equal(r->status, LLM_OK);
    assert_string_equal(llm_result_header(r, "x-ratelimit-remaining-requests"), "14399");
    assert_string_equal(llm_result_header(r, "X-RATELIMIT-REMAINING-REQUESTS"), "14399");
    assert_string_equal(llm_result_header(r, "x-ratelimit-reset-tokens"), "7.66s");
    assert_string_equal(llm_result_header(r, "content-type"), "application/json");
    assert_null(llm_result_header(r, "x-ratelimit-limit-tokens"));
    for (int i = 0; i < r->n_headers; i++)
        for (const char *c = r->headers[i].name; *c; c++)
            assert_false(isupper((unsigned char)*c));
}

static void test_submit_refuses_a_request_without_messages(void **state)
{
    (void)state;
    P = make_provider(TEST_KEY, 5000);
    struct llm_request req = {.task = "evaluate"};
    assert_int_equal(provider_submit(P, &req, done_cb, NULL), -1);
    assert_int_equal(got_n, 0); /* and done is never called */
}

static void test_new_rejects_bad_config(void **state)
{
    (void)state;
    char err[128];
    struct provider_config cfg = {.name = "x", .base_url = "ftp://example.invalid", .model = "m"};
    assert_null(provider_openai_new(S.base, &cfg, TEST_KEY, err, sizeof err));
    assert_non_null(strstr(err, "base_url"));
    cfg.base_url = "https://example.invalid/v1";
    cfg.model = NULL;
    assert_null(provider_openai_new(S.base, &cfg, TEST_KEY, err, sizeof err));
    assert_non_null(strstr(err, "model"));
    cfg.model = "m";
    assert_null(provider_openai_new(S.base, &cfg, "sk-bad\r\nX-Evil: 1", err, sizeof err));
    assert_null(strstr(err, "sk-bad"));
    cfg.http_client = "libevent"; /* plain http only */
    assert_null(provider_openai_new(S.base, &cfg, TEST_KEY, err, sizeof err));
    assert_non_null(strstr(err, "https"));
    cfg.http_client = "wget";
    assert_null(provider_openai_new(S.base, &cfg, TEST_KEY, err, sizeof err));
    assert_non_null(strstr(err, "http_client"));
}

/* A streamed answer: chunks as they arrive (a comment line skipped), then one done with
 * the whole content, usage and finish reason; the request asked for a stream. */
static char streamed[256];
static void chunk_cb(const char *provider, const char *delta, size_t len, void *data)
{
    (void)data;
    assert_string_equal(provider, "groq-test");
    size_t have = strlen(streamed);
    assert_true(have + len < sizeof streamed);
    memcpy(streamed + have, delta, len);
    streamed[have + len] = 0;
}

static void test_streamed_answer_arrives_in_chunks(void **state)
{
    (void)state;
    S.body =
        "data: "
        "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n"
        ": keep-alive\n\n"
        "data: "
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
        "data: [DONE]\n\n";
    S.headers[0][0] = "Content-Type";
    S.headers[0][1] = "text/event-stream";
    streamed[0] = 0;
    P = make_provider(TEST_KEY, 5000);
    json_t *m = messages("Stream it.");
    struct llm_request req = {
        .task = "gateway", .messages = m, .temperature = -1, .on_chunk = chunk_cb};
    in_submit = 1;
    assert_int_equal(provider_submit(P, &req, done_cb, (void *)(intptr_t)1), 0);
    in_submit = 0;
    json_decref(m);
    run_until(1);
    assert_int_equal(got[0].status, LLM_OK);
    assert_string_equal(got[0].content, "Hello");
    assert_string_equal(streamed, "Hello");
    assert_int_equal(got[0].chunks, 2);
    assert_string_equal(got[0].finish_reason, "stop");
    assert_int_equal(got[0].prompt_tokens, 5);
    assert_int_equal(got[0].completion_tokens, 2);
    json_t *body = json_loads(S.last_body, 0, NULL);
    assert_true(json_is_true(json_object_get(body, "stream")));
    json_decref(body);
}

static void test_strerror_and_result_helpers(void **state)
{
    (void)state;
    assert_string_equal(llm_strerror(LLM_OK), "ok");
    assert_string_equal(llm_strerror(LLM_ERR_RATE_LIMITED), "rate_limited");
    assert_string_equal(llm_strerror(LLM_ERR_CANCELLED), "cancelled");
    assert_string_equal(llm_strerror((enum llm_status)99), "unknown");
    struct llm_result r = {0};
    assert_null(llm_result_header(&r, "x"));
    llm_result_clear(&r);
    llm_result_clear(NULL);
}

/* The SSE reader alone (openai_stream_replay, the fuzz target's way in): the same
 * stream cut into packets of every size from 1 to 40 bytes reads the same. */
static void test_sse_reader_reads_the_same_at_every_packet_size(void **state)
{
    (void)state;
    const char *s = ": keep-alive\r\n\r\n"
                    "event: message\r\n"
                    "data: {\"choices\":[{\"delta\":{\"content\":\"w\xC3\xB6\"}}]}\r\n\r\n"
                    "data: {\"choices\":[{\"delta\":\n"
                    "data: {\"content\":\"rld\"}}]}\n\n"
                    "id: 7\n"
                    "data: [DONE]\n\n";
    for (size_t piece = 1; piece <= 40; piece++) {
        char *content = NULL;
        assert_int_equal(openai_stream_replay(s, strlen(s), piece, &content), LLM_OK);
        assert_string_equal(content, "w\xC3\xB6rld");
        free(content);
    }
}

/* An error event ends a stream as an error (a rate limit when its code is 429), even
 * after content; a stream without content is a bad response. */
static void test_sse_reader_error_event_and_empty_stream(void **state)
{
    (void)state;
    const char *limited = "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"
                          "data: {\"error\":{\"message\":\"Rate limit reached\",\"code\":429}}\n\n";
    char *content = (char *)"unchanged";
    assert_int_equal(openai_stream_replay(limited, strlen(limited), 5, &content),
                     LLM_ERR_RATE_LIMITED);
    assert_null(content);
    const char *failed = "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"
                         "data: {\"error\":{\"message\":\"overloaded\"}}\n\n";
    assert_int_equal(openai_stream_replay(failed, strlen(failed), 64, NULL), LLM_ERR_BAD_RESPONSE);
    const char *empty =
        "data: {\"choices\":[{\"delta\":{\"content\":\"  \"}}]}\n\ndata: [DONE]\n\n";
    assert_int_equal(openai_stream_replay(empty, strlen(empty), 3, NULL), LLM_ERR_BAD_RESPONSE);
    assert_int_equal(openai_stream_replay("data: not json", 14, 1, NULL), LLM_ERR_BAD_RESPONSE);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the fake server may write to a client that left */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_success_returns_content_usage_and_latency),
        T(test_request_body_and_bearer_as_sent),
        T(test_keyless_plain_call_sends_no_auth_and_no_response_format),
        T(test_empty_key_sends_no_auth),
        T(test_429_with_retry_after_seconds_is_rate_limited),
        T(test_retry_after_ms_header_wins_over_retry_after),
        T(test_retry_after_http_date),
        T(test_groq_try_again_in_body_gives_retry_after),
        T(test_try_again_in_go_durations),
        T(test_gemini_array_resource_exhausted_is_rate_limited_with_retry_delay),
        T(test_400_resource_exhausted_object_is_rate_limited),
        T(test_plain_400_is_http_error),
        T(test_401_is_auth_and_error_never_contains_the_key),
        T(test_key_in_a_non_json_body_is_scrubbed_too),
        T(test_402_and_403_are_auth),
        T(test_500_is_http_error),
        T(test_cerebras_top_level_message),
        T(test_cloudflare_errors_array),
        T(test_long_error_is_truncated),
        T(test_200_with_garbage_is_bad_response),
        T(test_200_without_content_is_bad_response),
        T(test_200_carrying_a_429_error_is_rate_limited),
        T(test_body_over_4_mib_is_bad_response),
        T(test_chunked_body_over_4_mib_is_bad_response),
        T(test_chunked_success),
        T(test_slow_server_times_out),
        T(test_config_timeout_applies_when_request_has_none),
        T(test_connection_refused_is_network),
        T(test_twenty_concurrent_calls_all_complete),
        T(test_keeps_connection_alive_between_calls),
        T(test_more_calls_than_connections_all_complete),
        T(test_host_name_is_resolved),
        T(test_destroy_with_calls_in_flight_cancels_them),
        T(test_destroy_with_calls_not_started_cancels_them),
        T(test_destroy_inside_done_cancels_the_rest),
        T(test_headers_captured_and_found_case_insensitively),
        T(test_submit_refuses_a_request_without_messages),
        T(test_new_rejects_bad_config),
        T(test_strerror_and_result_helpers),
        T(test_streamed_answer_arrives_in_chunks),
#undef T
    };
    CLIENT = "libcurl";
    int rc = cmocka_run_group_tests_name("http_client=libcurl", tests, NULL, NULL);
    CLIENT = "libevent";
    rc += cmocka_run_group_tests_name("http_client=libevent", tests, NULL, NULL);
    const struct CMUnitTest sse[] = {
        cmocka_unit_test(test_sse_reader_reads_the_same_at_every_packet_size),
        cmocka_unit_test(test_sse_reader_error_event_and_empty_stream),
    };
    rc += cmocka_run_group_tests_name("sse reader", sse, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
