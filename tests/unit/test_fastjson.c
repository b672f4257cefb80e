/* test_fastjson: the hot-path reader of chat completion answers (core/fastjson.c). It
 * must claim the plain successful answers providers send, with the right values, and
 * refuse everything else so that jansson's path (with its error classification) reads
 * it. tests/fuzz/fuzz_fastjson.c checks agreement with jansson on arbitrary bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/fastjson.h"

#include <stdlib.h>
#include <string.h>

static int fast(const char *text, struct fast_completion *fc)
{
    return fastjson_completion(text, strlen(text), fc);
}

static void test_reads_a_plain_answer(void **state)
{
    (void)state;
    struct fast_completion fc;
    assert_int_equal(
        fast("{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
             "\"message\":{\"role\":\"assistant\",\"content\":\"hello\",\"refusal\":null},"
             "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":11,"
             "\"completion_tokens\":15,\"total_tokens\":26},\"system_fingerprint\":null}",
             &fc),
        0);
    assert_string_equal(fc.content, "hello");
    assert_string_equal(fc.finish_reason, "stop");
    assert_int_equal(fc.prompt_tokens, 11);
    assert_int_equal(fc.completion_tokens, 15);
    free(fc.content);
}

static void test_decodes_escapes_and_utf8(void **state)
{
    (void)state;
    struct fast_completion fc;
    assert_int_equal(
        fast("{\"choices\":[{\"message\":{\"content\":\"caf\\u00e9 \\ud83d\\ude00 "
             "\\\"q\\\" \\\\ \\/ \\n\\t\xe2\x82\xac\"}}],\"usage\":{\"prompt_tokens\":1.5,"
             "\"completion_tokens\":-2}}",
             &fc),
        0);
    assert_string_equal(fc.content, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ / \n\t\xe2\x82\xac");
    assert_string_equal(fc.finish_reason, "");
    assert_int_equal(fc.prompt_tokens, 0); /* a real is not an integer: as jansson says */
    assert_int_equal(fc.completion_tokens, -2);
    free(fc.content);
}

static void test_only_the_first_choice_counts(void **state)
{
    (void)state;
    struct fast_completion fc;
    assert_int_equal(
        fast(" {\"choices\":[{\"message\":{\"content\":\"one\"},\"finish_reason\":\"length\"},"
             "{\"message\":{\"content\":\"two\"},\"finish_reason\":\"stop\"}]} \n",
             &fc),
        0);
    assert_string_equal(fc.content, "one");
    assert_string_equal(fc.finish_reason, "length");
    free(fc.content);
}

static void test_refuses_what_jansson_must_read(void **state)
{
    (void)state;
    static const char *refused[] = {
        "",
        "[]",
        "{\"error\":{\"message\":\"Rate limit reached\"}}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],\"error\":null}",
        "{\"choices\":[]}",
        "{\"choices\":[{\"message\":{\"content\":null}}]}",
        "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"  \\n \"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"a\",\"content\":\"b\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"a\"}}],\"choices\":[]}",
        "{\"choices\":[{\"message\":{\"content\":\"x\\u0000y\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"\\udc00\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"\\ud800x\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"\xc0\xaf\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"\xed\xa0\x80\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"tab\there\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}]} x",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],\"n\":01}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],\"n\":1e999}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],\"n\":12345678901234567890}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],\"t\":tru}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\\x\"}}]}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct fast_completion fc;
        if (fast(refused[i], &fc) != -1) fail_msg("claimed: %s", refused[i]);
        assert_null(fc.content);
    }
}

static void test_deep_nesting_is_left_to_jansson(void **state)
{
    (void)state;
    char text[600];
    strcpy(text, "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],\"x\":");
    for (int i = 0; i < 100; i++)
        strcat(text, "[");
    for (int i = 0; i < 100; i++)
        strcat(text, "]");
    strcat(text, "}");
    struct fast_completion fc;
    assert_int_equal(fast(text, &fc), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_a_plain_answer),
        cmocka_unit_test(test_decodes_escapes_and_utf8),
        cmocka_unit_test(test_only_the_first_choice_counts),
        cmocka_unit_test(test_refuses_what_jansson_must_read),
        cmocka_unit_test(test_deep_nesting_is_left_to_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
