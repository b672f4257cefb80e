/* jsonw: JSON written straight into an sbuf. jansson's json_dumps walks its tree through
 * a callback per fragment and formats every number with printf; on the gateway's path
 * (every provider request body is a dump) that was an eighth of the CPU. The output is
 * compact JSON that jansson reads back as an equal value (tests/unit/test_jsonw.c and the
 * fastjson fuzz target check that). */
#ifndef INTERVIEWD_JSONW_H
#define INTERVIEWD_JSONW_H

#include "core/util.h"

#include <jansson.h>

/* Each byte's class inside a JSON string: JSON_BYTE_ESCAPE (control characters, '"' and
 * '\\': must be escaped), JSON_BYTE_ASCII (printable ASCII, as is), JSON_BYTE_HIGH (part
 * of a UTF-8 sequence). One table for the writer here and the reader in core/fastjson. */
enum { JSON_BYTE_ESCAPE = 0, JSON_BYTE_ASCII = 1, JSON_BYTE_HIGH = 2 };
extern const unsigned char json_byte_class[256];

/* Appends s (len bytes of valid UTF-8) as a JSON string literal. */
void sbuf_json_string(struct sbuf *b, const char *s, size_t len);
/* Appends v as compact JSON; reals get real_precision significant digits (1..17; 0 means
 * 17, jansson's default) and always read back as reals. Object members keep jansson's
 * iteration order. */
void sbuf_json(struct sbuf *b, const json_t *v, int real_precision);

#endif
