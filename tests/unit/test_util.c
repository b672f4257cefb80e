/* test_util: the small helpers of core/util.h, one behaviour per test.
 *
 * Known digests are written out in the tests (SHA-256 from FIPS 180-2, XXH3-128 from
 * the xxHash reference), so a wrong byte order or a truncated hex string shows up as a
 * readable mismatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static int all_lower_hex(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f')) return 0;
    return 1;
}

/* ---- sbuf ---- */

static void test_sbuf_printf_grows_past_10kb_without_losing_bytes(void **state)
{
    (void)state;
    struct sbuf b = {0};
    for (int i = 0; i < 1000; i++)
        sbuf_printf(&b, "%04d-abcdef|", i); /* 12 bytes each */
    assert_int_equal(b.len, 12000);
    assert_true(b.cap > b.len);
    assert_int_equal(strlen(b.data), 12000);
    assert_memory_equal(b.data, "0000-abcdef|0001-abcdef|", 24);
    assert_memory_equal(b.data + 12 * 999, "0999-abcdef|", 12);
    assert_int_equal(b.data[12000], 0);
    sbuf_free(&b);
}

static void test_sbuf_printf_appends_one_20kb_string_in_one_call(void **state)
{
    (void)state;
    char *big = malloc(20001);
    assert_non_null(big);
    memset(big, 'x', 20000);
    big[20000] = 0;
    struct sbuf b = {0};
    sbuf_puts(&b, "head:");
    sbuf_printf(&b, "%s:%d", big, 42);
    assert_int_equal(b.len, 5 + 20000 + 3);
    assert_memory_equal(b.data, "head:xxx", 8);
    assert_string_equal(b.data + 5 + 20000, ":42");
    sbuf_free(&b);
    free(big);
}

static void test_sbuf_take_of_an_empty_buffer_is_an_empty_string(void **state)
{
    (void)state;
    struct sbuf b = {0};
    char *s = sbuf_take(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
}

static void test_sbuf_take_hands_over_the_data_and_resets_the_buffer(void **state)
{
    (void)state;
    struct sbuf b = {0};
    sbuf_puts(&b, "hello");
    char *s = sbuf_take(&b);
    assert_string_equal(s, "hello");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);
}

/* ---- UTF-8 ---- */

static void test_utf8_valid_accepts_two_three_and_four_byte_sequences(void **state)
{
    (void)state;
    const char *s = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"; /* café 日本 😀 */
    assert_true(util_utf8_valid(s, strlen(s)));
}

static void test_utf8_valid_accepts_plain_ascii(void **state)
{
    (void)state;
    assert_true(util_utf8_valid("hello, world", 12));
}

static void test_utf8_valid_rejects_overlong_two_byte_nul(void **state)
{
    (void)state;
    assert_false(util_utf8_valid("a\xC0\x80"
                                 "b",
                                 4));
}

static void test_utf8_valid_rejects_overlong_three_byte_slash(void **state)
{
    (void)state;
    assert_false(util_utf8_valid("\xE0\x80\xAF", 3));
}

static void test_utf8_valid_rejects_utf16_surrogate(void **state)
{
    (void)state;
    assert_false(util_utf8_valid("\xED\xA0\x80", 3));
}

static void test_utf8_valid_rejects_code_point_above_10ffff(void **state)
{
    (void)state;
    assert_false(util_utf8_valid("\xF4\x90\x80\x80", 4));
}

static void test_utf8_valid_rejects_sequence_truncated_at_end(void **state)
{
    (void)state;
    assert_false(util_utf8_valid("ok\xE6\x97", 4));
    assert_false(util_utf8_valid("ok\xF0\x9F\x98", 5));
    assert_false(util_utf8_valid("ok\xC3", 3));
}

static void test_utf8_valid_rejects_sequence_cut_by_the_length_argument(void **state)
{
    (void)state;
    /* the bytes after len are valid, but they are not part of the checked range */
    assert_false(util_utf8_valid("\xE6\x97\xA5", 2));
}

static void test_utf8_valid_rejects_lone_continuation_byte(void **state)
{
    (void)state;
    assert_false(util_utf8_valid("a\x80"
                                 "b",
                                 3));
}

static void test_utf8_valid_rejects_embedded_nul(void **state)
{
    (void)state;
    assert_false(util_utf8_valid("ab\0cd", 5));
}

/* ---- constant-time comparison ---- */

static void test_ct_equal_accepts_identical_strings(void **state)
{
    (void)state;
    assert_true(util_ct_equal("s3cret-token", "s3cret-token"));
    assert_true(util_ct_equal("", ""));
}

static void test_ct_equal_rejects_a_difference_in_the_last_byte(void **state)
{
    (void)state;
    assert_false(util_ct_equal("s3cret-token", "s3cret-tokeN"));
}

static void test_ct_equal_rejects_a_prefix_in_either_direction(void **state)
{
    (void)state;
    assert_false(util_ct_equal("abc", "abcd"));
    assert_false(util_ct_equal("abcd", "abc"));
    assert_false(util_ct_equal("abc", ""));
    assert_false(util_ct_equal("", "abc"));
}

/* ---- text ---- */

static void test_normalize_text_lowercases_and_collapses_whitespace(void **state)
{
    (void)state;
    char *s = util_normalize_text("  Hello\t\n  WORLD \r\n Again  ");
    assert_string_equal(s, "hello world again");
    free(s);
}

static void test_normalize_text_of_only_whitespace_is_empty(void **state)
{
    (void)state;
    char *s = util_normalize_text(" \t\n ");
    assert_string_equal(s, "");
    free(s);
}

static void test_normalize_text_keeps_non_ascii_bytes(void **state)
{
    (void)state;
    char *s = util_normalize_text("Gr\xC3\xBC\xC3\x9F  Gott");
    assert_string_equal(s, "gr\xC3\xBC\xC3\x9F gott");
    free(s);
}

static void test_word_count_counts_whitespace_separated_words(void **state)
{
    (void)state;
    assert_int_equal(util_word_count("  one two\tthree\nfour  "), 4);
    assert_int_equal(util_word_count("one"), 1);
}

static void test_word_count_of_empty_and_blank_text_is_zero(void **state)
{
    (void)state;
    assert_int_equal(util_word_count(""), 0);
    assert_int_equal(util_word_count(" \t \n"), 0);
}

static void test_trim_removes_ascii_whitespace_at_both_ends_in_place(void **state)
{
    (void)state;
    char s[] = " \t hello world \n";
    assert_ptr_equal(util_trim(s), s);
    assert_string_equal(s, "hello world");
}

static void test_strcasestr_finds_needle_ignoring_case(void **state)
{
    (void)state;
    const char *hay = "Built at ACME Corp";
    assert_ptr_equal(util_strcasestr(hay, "acme"), hay + 9);
    assert_null(util_strcasestr(hay, "initech"));
    assert_ptr_equal(util_strcasestr(hay, ""), hay);
}

/* ---- random identifiers ---- */

static void test_random_id_is_two_lowercase_hex_digits_per_byte(void **state)
{
    (void)state;
    char *id = util_random_id(16);
    assert_int_equal(strlen(id), 32);
    assert_true(all_lower_hex(id));
    free(id);
}

static void test_random_id_differs_between_two_calls(void **state)
{
    (void)state;
    char *a = util_random_id(16);
    char *b = util_random_id(16);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

/* util_random_id(100) returns the 200 hex digits util.h promises ("`bytes` random bytes
 * as hex"), with no silent cap at a stack buffer's 64 bytes. */
static void test_random_id_of_100_bytes_is_200_hex_digits(void **state)
{
    (void)state;
    char *id = util_random_id(100);
    size_t n = strlen(id);
    free(id);
    assert_int_equal(n, 200);
}

/* ---- hashing ---- */

static void test_sha256_hex_of_abc_is_the_fips_digest(void **state)
{
    (void)state;
    char out[65];
    util_sha256_hex("abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_hex_of_empty_input_is_the_known_digest(void **state)
{
    (void)state;
    char out[65];
    util_sha256_hex("", 0, out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_xxh128_hex_is_32_lowercase_hex_digits(void **state)
{
    (void)state;
    char out[33];
    util_xxh128_hex("abc", 3, out);
    assert_int_equal(strlen(out), 32);
    assert_true(all_lower_hex(out));
}

static void test_xxh128_hex_is_stable_for_the_same_input(void **state)
{
    (void)state;
    char a[33], b[33];
    util_xxh128_hex("evaluate|rubric-1|answer", 24, a);
    util_xxh128_hex("evaluate|rubric-1|answer", 24, b);
    assert_string_equal(a, b);
}

static void test_xxh128_hex_differs_for_inputs_one_byte_apart(void **state)
{
    (void)state;
    char a[33], b[33];
    util_xxh128_hex("answer-1", 8, a);
    util_xxh128_hex("answer-2", 8, b);
    assert_string_not_equal(a, b);
}

static void test_xxh128_hex_is_xxhash_canonical_big_endian_form(void **state)
{
    (void)state;
    char out[33], want[33];
    util_xxh128_hex("abc", 3, out);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits("abc", 3));
    util_hex(c.digest, sizeof c.digest, want);
    assert_string_equal(out, want);
}

static void test_xxh128_hex_of_empty_input_is_the_reference_value(void **state)
{
    (void)state;
    char out[33];
    util_xxh128_hex("", 0, out);
    assert_string_equal(out, "99aa06d3014798d86001c324468d497f");
}

static void test_hex_writes_two_digits_per_byte_and_a_nul(void **state)
{
    (void)state;
    char out[7];
    memset(out, '#', sizeof out);
    util_hex("\x00\x7f\xff", 3, out);
    assert_string_equal(out, "007fff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbuf_printf_grows_past_10kb_without_losing_bytes),
        cmocka_unit_test(test_sbuf_printf_appends_one_20kb_string_in_one_call),
        cmocka_unit_test(test_sbuf_take_of_an_empty_buffer_is_an_empty_string),
        cmocka_unit_test(test_sbuf_take_hands_over_the_data_and_resets_the_buffer),
        cmocka_unit_test(test_utf8_valid_accepts_two_three_and_four_byte_sequences),
        cmocka_unit_test(test_utf8_valid_accepts_plain_ascii),
        cmocka_unit_test(test_utf8_valid_rejects_overlong_two_byte_nul),
        cmocka_unit_test(test_utf8_valid_rejects_overlong_three_byte_slash),
        cmocka_unit_test(test_utf8_valid_rejects_utf16_surrogate),
        cmocka_unit_test(test_utf8_valid_rejects_code_point_above_10ffff),
        cmocka_unit_test(test_utf8_valid_rejects_sequence_truncated_at_end),
        cmocka_unit_test(test_utf8_valid_rejects_sequence_cut_by_the_length_argument),
        cmocka_unit_test(test_utf8_valid_rejects_lone_continuation_byte),
        cmocka_unit_test(test_utf8_valid_rejects_embedded_nul),
        cmocka_unit_test(test_ct_equal_accepts_identical_strings),
        cmocka_unit_test(test_ct_equal_rejects_a_difference_in_the_last_byte),
        cmocka_unit_test(test_ct_equal_rejects_a_prefix_in_either_direction),
        cmocka_unit_test(test_normalize_text_lowercases_and_collapses_whitespace),
        cmocka_unit_test(test_normalize_text_of_only_whitespace_is_empty),
        cmocka_unit_test(test_normalize_text_keeps_non_ascii_bytes),
        cmocka_unit_test(test_word_count_counts_whitespace_separated_words),
        cmocka_unit_test(test_word_count_of_empty_and_blank_text_is_zero),
        cmocka_unit_test(test_trim_removes_ascii_whitespace_at_both_ends_in_place),
        cmocka_unit_test(test_strcasestr_finds_needle_ignoring_case),
        cmocka_unit_test(test_random_id_is_two_lowercase_hex_digits_per_byte),
        cmocka_unit_test(test_random_id_differs_between_two_calls),
        cmocka_unit_test(test_random_id_of_100_bytes_is_200_hex_digits),
        cmocka_unit_test(test_sha256_hex_of_abc_is_the_fips_digest),
        cmocka_unit_test(test_sha256_hex_of_empty_input_is_the_known_digest),
        cmocka_unit_test(test_xxh128_hex_is_32_lowercase_hex_digits),
        cmocka_unit_test(test_xxh128_hex_is_stable_for_the_same_input),
        cmocka_unit_test(test_xxh128_hex_differs_for_inputs_one_byte_apart),
        cmocka_unit_test(test_xxh128_hex_is_xxhash_canonical_big_endian_form),
        cmocka_unit_test(test_xxh128_hex_of_empty_input_is_the_reference_value),
        cmocka_unit_test(test_hex_writes_two_digits_per_byte_and_a_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
