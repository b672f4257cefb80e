/* http/preparse: what is accepted, where requests end, and what each refusal says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/preparse.h"

#include <string.h>

static const struct preparse_limits lim = {.max_target = 64, .max_head = 512, .max_body = 100};

/* Feeds text in pieces of `piece` bytes; returns the events seen as letters
 * (H head, E end, X error) and leaves p as it ended. */
static const char *run(struct preparse *p, const char *text, size_t piece)
{
    static char ev[64];
    size_t n_ev = 0;
    preparse_init(p, &lim);
    const char *d = text;
    size_t left = strlen(text);
    while (left) {
        size_t n = left < piece ? left : piece;
        while (n) {
            size_t used;
            enum preparse_event e = preparse_feed(p, d, n, &used);
            d += used;
            n -= used;
            left -= used;
            if (e == PREPARSE_HEAD) {
                if (preparse_check_length(p) == PREPARSE_ERROR)
                    e = PREPARSE_ERROR;
                else {
                    ev[n_ev++] = 'H';
                    if (!preparse_has_body(p)) ev[n_ev++] = 'E';
                }
            }
            if (e == PREPARSE_END) ev[n_ev++] = 'E';
            if (e == PREPARSE_ERROR) {
                ev[n_ev++] = 'X';
                ev[n_ev] = 0;
                return ev;
            }
        }
    }
    ev[n_ev] = 0;
    return ev;
}

static void test_preparse_two_pipelined_requests_split_anywhere(void **state)
{
    (void)state;
    const char *two =
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n";
    struct preparse p;
    for (size_t piece = 1; piece <= strlen(two); piece++)
        assert_string_equal(run(&p, two, piece), "HEHE");
}

static void test_preparse_chunked_body_with_trailer_ends_once(void **state)
{
    (void)state;
    struct preparse p;
    assert_string_equal(run(&p,
                            "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
                            3),
                        "HE");
}

static void test_preparse_conflicting_content_length_is_400(void **state)
{
    (void)state;
    struct preparse p;
    assert_string_equal(
        run(&p, "POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 7), "X");
    assert_int_equal(p.status, 400);
    assert_string_equal(p.code, "conflicting_content_length");
}

static void test_preparse_content_length_over_limit_is_413_before_the_body(void **state)
{
    (void)state;
    struct preparse p;
    assert_string_equal(run(&p, "POST /a HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 100), "X");
    assert_int_equal(p.status, 413);
}

static void test_preparse_chunks_over_limit_are_413_as_they_arrive(void **state)
{
    (void)state;
    struct preparse p;
    assert_string_equal(
        run(&p, "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n", 100), "H");
    assert_string_equal(run(&p,
                            "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "32\r\n"
                            "01234567890123456789012345678901234567890123456789\r\n"
                            "33\r\n",
                            100),
                        "HX");
    assert_int_equal(p.status, 413);
}

static void test_preparse_refusals_name_status_and_code(void **state)
{
    (void)state;
    static const struct {
        const char *req;
        int status;
        const char *code;
    } cases[] = {
        {"BREW / HTTP/1.1\r\n\r\n", 501, "method_not_implemented"},
        {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n",
         414, "uri_too_long"},
        {"GET / HTTP/2.0\r\n\r\n", 505, "http_version_not_supported"},
        {"GET / HTTP/1.1\nHost: x\n\n", 400, "bad_request"},
        {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "bad_request"},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "bad_request"},
        {"GET /\x01 HTTP/1.1\r\n\r\n", 400, "bad_request"},
        {"GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400, "bad_request"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
         "unsupported_transfer_encoding"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400,
         "bad_request"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;x=y\r\n", 400, "bad_request"},
        {"HEAD / HTTP/1.1\r\nContent-Length: 1\r\n\r\n", 400, "bad_request"},
        {"GET / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417, "expectation_failed"},
        {"GET //evil HTTP/1.1\r\n\r\n", 400, "bad_request"},
    };
    struct preparse p;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *ev = run(&p, cases[i].req, 4); /* "X", or "HX" for a refused body */
        assert_int_equal(ev[strlen(ev) - 1], 'X');
        assert_int_equal(p.status, cases[i].status);
        assert_string_equal(p.code, cases[i].code);
    }
}

static void test_preparse_headers_over_max_head_are_431(void **state)
{
    (void)state;
    char req[700] = "GET / HTTP/1.1\r\nX-Big: ";
    memset(req + strlen(req), 'a', 600);
    struct preparse p;
    assert_string_equal(run(&p, req, 50), "X");
    assert_int_equal(p.status, 431);
}

static void test_preparse_keeps_target_and_authorization_for_the_guard(void **state)
{
    (void)state;
    struct preparse p;
    preparse_init(&p, &lim);
    const char *req = "POST /v1/chat/completions HTTP/1.1\r\nAuthorization:  Bearer k1  \r\n\r\n";
    size_t used;
    assert_int_equal(preparse_feed(&p, req, strlen(req), &used), PREPARSE_HEAD);
    assert_string_equal(p.target, "/v1/chat/completions");
    assert_string_equal(p.authorization, "Bearer k1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preparse_two_pipelined_requests_split_anywhere),
        cmocka_unit_test(test_preparse_chunked_body_with_trailer_ends_once),
        cmocka_unit_test(test_preparse_conflicting_content_length_is_400),
        cmocka_unit_test(test_preparse_content_length_over_limit_is_413_before_the_body),
        cmocka_unit_test(test_preparse_chunks_over_limit_are_413_as_they_arrive),
        cmocka_unit_test(test_preparse_refusals_name_status_and_code),
        cmocka_unit_test(test_preparse_headers_over_max_head_are_431),
        cmocka_unit_test(test_preparse_keeps_target_and_authorization_for_the_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
