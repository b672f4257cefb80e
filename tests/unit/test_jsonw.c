/* test_jsonw: core/jsonw writes what json_dumps(JSON_COMPACT) writes for the bodies the
 * client sends, and JSON that reads back equal for anything else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/jsonw.h"

#include <stdlib.h>
#include <string.h>

static void same_as_jansson(const char *text, int precision)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    char *want = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(precision));
    struct sbuf got = {0};
    sbuf_json(&got, v, precision);
    assert_string_equal(got.data, want);
    free(want);
    sbuf_free(&got);
    json_decref(v);
}

static void test_request_bodies_match_json_dumps(void **state)
{
    (void)state;
    same_as_jansson(
        "{\"model\":\"llama-3.1-8b-instant\",\"messages\":[{\"role\":\"system\",\"content\":"
        "\"You are terse.\"},{\"role\":\"user\",\"content\":\"caf\xc3\xa9 \\\"q\\\" \\\\ \\n\\t "
        "\\u0001 \xf0\x9f\x98\x80 </script>\"}],\"max_tokens\":32,\"temperature\":0.7,"
        "\"response_format\":{\"type\":\"json_object\"},\"stream\":true,\"stream_options\":"
        "{\"include_usage\":true},\"seed\":-9223372036854775807,\"stop\":null,\"logprobs\":false}",
        9);
    same_as_jansson("[0.1,1e300,-2.5e-7,1.0,0,[],{},\"\"]", 17);
    same_as_jansson("{\"t\":0.0,\"u\":3.0,\"v\":100000000000000000000.0}", 9);
}

static void test_reals_read_back_as_reals(void **state)
{
    (void)state;
    json_t *v = json_pack("[f,f,f]", 1.0, -0.0, 123456789012.0);
    struct sbuf b = {0};
    sbuf_json(&b, v, 9);
    json_t *again = json_loads(b.data, 0, NULL);
    assert_non_null(again);
    for (size_t i = 0; i < 3; i++)
        assert_true(json_is_real(json_array_get(again, i)));
    json_decref(again);
    json_decref(v);
    sbuf_free(&b);
}

static void test_reals_print_as_jansson_prints_them(void **state)
{
    (void)state;
    static const double values[] = {0,    1,     -1,   0.5,   0.7,    123456789,         1234567890,
                                    1e15, 1e16,  -0.0, 1e300, 2.5e-7, 1.0 / 3,           999999999,
                                    1e9,  -1e14, 100,  2,     1e-320, 4503599627370496.0};
    static const int precisions[] = {9, 17, 3};
    for (size_t p = 0; p < sizeof precisions / sizeof precisions[0]; p++) {
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            json_t *v = json_pack("[f]", values[i]);
            char *want = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(precisions[p]));
            struct sbuf got = {0};
            sbuf_json(&got, v, precisions[p]);
            if (strcmp(got.data, want) != 0)
                fail_msg("%.17g at precision %d: %s, jansson %s", values[i], precisions[p],
                         got.data, want);
            free(want);
            sbuf_free(&got);
            json_decref(v);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_bodies_match_json_dumps),
        cmocka_unit_test(test_reals_read_back_as_reals),
        cmocka_unit_test(test_reals_print_as_jansson_prints_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
