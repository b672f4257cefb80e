/* fastjson: the one JSON read on every provider call's hot path, without building a tree.
 *
 * A chat completion answer ({"choices":[{"message":{"content":"..."},"finish_reason":
 * "stop"}],"usage":{...}}) is parsed on every call. jansson builds a tree of it one
 * character at a time through a callback, about 180 instructions a byte, which made it
 * the largest user-space cost of a /v1 call (bench/README-gateway.md). This scanner
 * validates the whole text as strictly as jansson does (RFC 8259, UTF-8, no NUL, no
 * number jansson would overflow on) and picks out the few fields while it passes.
 *
 * It only claims the plain, successful shape. Anything else (an "error" key, a content
 * that is not a non-blank string, a key of interest seen twice, deep nesting, a number
 * near overflow, any invalid byte) returns -1 and the caller parses with jansson as
 * before, so error classification keeps one implementation. tests/fuzz/fuzz_fastjson.c
 * checks that whenever this returns 0, jansson reads the same text and finds the same
 * values. */
#ifndef INTERVIEWD_FASTJSON_H
#define INTERVIEWD_FASTJSON_H

#include <jansson.h>
#include <stddef.h>

struct fast_completion {
    char *content;             /* choices[0].message.content, UTF-8 (caller frees) */
    char finish_reason[32];    /* choices[0].finish_reason if a string, truncated; else "" */
    long long prompt_tokens;   /* usage.prompt_tokens if an integer, else 0 */
    long long completion_tokens;
};

/* 0 with *out filled, or -1 (nothing to free) when the text is not that plain shape. */
int fastjson_completion(const char *text, size_t len, struct fast_completion *out);

/* The same reading as json_loadb(text, len, 0): a JSON object or array as a jansson tree
 * (new reference), built without jansson's per-character lexer. NULL when the text is
 * invalid or when this scanner gives up (nesting deeper than 64, numbers it could
 * overflow on): the caller then asks json_loadb, which decides. */
json_t *fastjson_parse(const char *text, size_t len);

#endif
