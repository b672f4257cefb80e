/* fastjson: JSON read without jansson's lexer, on the hot paths.
 *
 * jansson builds its tree one character at a time through a callback, about 180
 * instructions a byte, which made parsing the largest user-space cost of a /v1 call
 * (bench/README-gateway.md). This scanner validates text as strictly as jansson does
 * (RFC 8259, UTF-8, no NUL, no number jansson would overflow on), and either
 *
 *   - picks a chat completion's few fields while it passes (fastjson_completion): only
 *     the plain, successful shape; anything else (an "error" key, a content that is not
 *     a non-blank string, a key of interest seen twice) is left to jansson, so error
 *     classification keeps one implementation; or
 *   - builds the same jansson tree json_loadb would (fastjson_parse, fastjson_load).
 *
 * Where matching jansson exactly would take more code (nesting deeper than 64, numbers
 * near overflow) it gives up and jansson decides. tests/fuzz/fuzz_fastjson.c checks
 * differentially that whatever it returns, jansson reads from the same text. */
#ifndef CORE_FASTJSON_H
#define CORE_FASTJSON_H

#include <jansson.h>
#include <stddef.h>

struct fast_completion {
    char *content;           /* choices[0].message.content, UTF-8 (caller frees) */
    char finish_reason[32];  /* choices[0].finish_reason if a string, truncated; else "" */
    long long prompt_tokens; /* usage.prompt_tokens if an integer, else 0 */
    long long completion_tokens;
};

/* 0 with *out filled, or -1 (nothing to free) when the text is not that plain shape. */
int fastjson_completion(const char *text, size_t len, struct fast_completion *out);

/* The same reading as json_loadb(text, len, 0): a JSON object or array as a jansson tree
 * (new reference), built without jansson's per-character lexer. NULL when the text is
 * invalid or when this scanner gives up (nesting deeper than 64, numbers it could
 * overflow on): the caller then asks json_loadb, which decides. */
json_t *fastjson_parse(const char *text, size_t len);

/* What every caller wants: fastjson_parse, and json_loadb(text, len, 0, err) when it
 * gives up, so invalid text gets jansson's verdict and error position. err may be NULL;
 * it is filled only when jansson ran. */
json_t *fastjson_load(const char *text, size_t len, json_error_t *err);

#endif
