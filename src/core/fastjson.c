/* fastjson: see fastjson.h. A recursive-descent validator over the bytes, with a path:
 * the caller's position (top level, choices[0], its message, usage) decides which
 * strings and numbers are kept. Every rule below is one of jansson's (load.c, utf8.c),
 * so that text this accepts is text jansson accepts; where matching jansson exactly
 * would take more code (huge numbers, deep nesting), it gives up instead. */
#include "core/fastjson.h"

#include "core/jsonw.h"
#include "core/util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FJ_MAX_DEPTH 64 /* jansson allows 2048; deeper text goes to jansson */

enum where { W_OTHER, W_TOP, W_CHOICES, W_CHOICE0, W_MESSAGE, W_USAGE };

struct fj {
    const unsigned char *p, *end;
    int depth;
    struct fast_completion *out;
    struct sbuf content;
    int have_content;
    unsigned seen; /* keys of interest met so far (a repeat gives up) */
};

enum {
    SEEN_CHOICES = 1 << 0,
    SEEN_USAGE = 1 << 1,
    SEEN_MESSAGE = 1 << 2,
    SEEN_FINISH = 1 << 3,
    SEEN_CONTENT = 1 << 4,
    SEEN_PROMPT = 1 << 5,
    SEEN_COMPLETION = 1 << 6,
};

static int value(struct fj *f, enum where w);

static void ws(struct fj *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
        f->p++;
}

static int hex4(struct fj *f, unsigned *v)
{
    if (f->end - f->p < 4) return -1;
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        int c = f->p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        x = x * 16 + (unsigned)d;
    }
    f->p += 4;
    *v = x;
    return 0;
}

/* Where decoded string bytes go: an sbuf, a fixed buffer (silently truncated, with the
 * full length reported), or nowhere. */
struct sink {
    struct sbuf *sb;
    char *buf;
    size_t cap, len;
};

static void put(struct sink *k, const void *s, size_t n)
{
    if (k->sb) sbuf_append(k->sb, s, n);
    if (k->buf && k->len < k->cap) {
        size_t room = k->cap - k->len;
        memcpy(k->buf + k->len, s, n < room ? n : room);
    }
    k->len += n;
}

static void put_utf8(struct sink *k, unsigned cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put(k, b, n);
}

/* One raw UTF-8 sequence starting at f->p (first byte >= 0x80), as jansson's utf8.c
 * checks it: no overlong form, no surrogate, nothing above U+10FFFF. */
static int utf8_seq(struct fj *f, struct sink *k)
{
    unsigned c = f->p[0], size, cp;
    if (c >= 0xC2 && c <= 0xDF) {
        size = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        size = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        size = 4;
        cp = c & 0x07;
    } else {
        return -1;
    }
    if ((size_t)(f->end - f->p) < size) return -1;
    for (unsigned i = 1; i < size; i++) {
        unsigned b = f->p[i];
        if (b < 0x80 || b > 0xBF) return -1;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    if ((size == 3 && cp < 0x800) || (size == 4 && cp < 0x10000)) return -1;
    put(k, f->p, size);
    f->p += size;
    return 0;
}

/* A string at f->p (on its opening quote), decoded into k. */
static int string(struct fj *f, struct sink *k)
{
    f->p++; /* " */
    for (;;) {
        if (f->p >= f->end) return -1;
        unsigned c = *f->p;
        if (c == '"') {
            f->p++;
            return 0;
        }
        if (c < 0x20) return -1; /* control characters must be escaped */
        if (c >= 0x80) {
            if (utf8_seq(f, k) != 0) return -1;
            continue;
        }
        if (c != '\\') {
            /* a run of plain ASCII at once */
            const unsigned char *s = f->p;
            while (f->p < f->end && json_byte_class[*f->p] == JSON_BYTE_ASCII)
                f->p++;
            put(k, s, (size_t)(f->p - s));
            continue;
        }
        if (f->end - f->p < 2) return -1;
        unsigned e = f->p[1];
        f->p += 2;
        char ch;
        switch (e) {
        case '"':
            ch = '"';
            break;
        case '\\':
            ch = '\\';
            break;
        case '/':
            ch = '/';
            break;
        case 'b':
            ch = '\b';
            break;
        case 'f':
            ch = '\f';
            break;
        case 'n':
            ch = '\n';
            break;
        case 'r':
            ch = '\r';
            break;
        case 't':
            ch = '\t';
            break;
        case 'u': {
            unsigned v;
            if (hex4(f, &v) != 0) return -1;
            if (v >= 0xD800 && v <= 0xDBFF) {
                unsigned lo;
                if (f->end - f->p < 6 || f->p[0] != '\\' || f->p[1] != 'u') return -1;
                f->p += 2;
                if (hex4(f, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) return -1;
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            } else if (v >= 0xDC00 && v <= 0xDFFF) {
                return -1; /* a lone low surrogate */
            } else if (v == 0) {
                return -1; /* jansson refuses NUL without JSON_ALLOW_NUL */
            }
            put_utf8(k, v);
            continue;
        }
        default:
            return -1;
        }
        put(k, &ch, 1);
    }
}

/* A number; *is_int and *ival set for an integer that fits easily. Gives up on what
 * jansson could overflow on: integers of 19+ digits, reals that may pass 1e300. */
static int number(struct fj *f, int *is_int, long long *ival)
{
    int neg = 0;
    if (f->p < f->end && *f->p == '-') {
        neg = 1;
        f->p++;
    }
    if (f->p >= f->end) return -1;
    long long v = 0;
    int digits = 0;
    if (*f->p == '0') {
        f->p++;
        digits = 1;
        if (f->p < f->end && isdigit(*f->p)) return -1; /* leading zero */
    } else if (*f->p >= '1' && *f->p <= '9') {
        while (f->p < f->end && isdigit(*f->p)) {
            if (++digits > 18) return -1;
            v = v * 10 + (*f->p++ - '0');
        }
    } else {
        return -1;
    }
    *is_int = 1;
    if (f->p < f->end && *f->p == '.') {
        *is_int = 0;
        f->p++;
        if (f->p >= f->end || !isdigit(*f->p)) return -1;
        while (f->p < f->end && isdigit(*f->p))
            f->p++;
    }
    if (f->p < f->end && (*f->p == 'e' || *f->p == 'E')) {
        *is_int = 0;
        f->p++;
        int eneg = 0;
        if (f->p < f->end && (*f->p == '+' || *f->p == '-')) eneg = *f->p++ == '-';
        if (f->p >= f->end || !isdigit(*f->p)) return -1;
        long e = 0;
        int edigits = 0;
        while (f->p < f->end && isdigit(*f->p)) {
            if (++edigits > 6) return -1;
            e = e * 10 + (*f->p++ - '0');
        }
        if (!eneg && digits + e > 300) return -1; /* might overflow a double */
    }
    *ival = neg ? -v : v;
    return 0;
}

/* After a member or element: 1 on ',' (another follows), 0 on the closing bracket, -1
 * on anything else. */
static int more(struct fj *f, char close)
{
    ws(f);
    if (f->p >= f->end) return -1;
    if (*f->p == ',') {
        f->p++;
        ws(f);
        return 1;
    }
    if (*f->p == close) {
        f->p++;
        return 0;
    }
    return -1;
}

static int literal(struct fj *f, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0) return -1;
    f->p += n;
    return 0;
}

/* Which key of interest name is at w (0: none); a second sighting gives up. */
static int key_of_interest(struct fj *f, enum where w, const char *name, size_t len, unsigned *bit)
{
    static const struct {
        enum where w;
        const char *name;
        unsigned bit;
    } keys[] = {
        {W_TOP, "choices", SEEN_CHOICES},
        {W_TOP, "usage", SEEN_USAGE},
        {W_CHOICE0, "message", SEEN_MESSAGE},
        {W_CHOICE0, "finish_reason", SEEN_FINISH},
        {W_MESSAGE, "content", SEEN_CONTENT},
        {W_USAGE, "prompt_tokens", SEEN_PROMPT},
        {W_USAGE, "completion_tokens", SEEN_COMPLETION},
    };
    *bit = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (keys[i].w != w || strlen(keys[i].name) != len || memcmp(keys[i].name, name, len) != 0)
            continue;
        if (f->seen & keys[i].bit) return -1;
        f->seen |= keys[i].bit;
        *bit = keys[i].bit;
        return 0;
    }
    return 0;
}

static int object(struct fj *f, enum where w)
{
    f->p++; /* { */
    ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        return 0;
    }
    for (;;) {
        if (f->p >= f->end || *f->p != '"') return -1;
        char name[24];
        struct sink k = {.buf = name, .cap = sizeof name};
        if (string(f, &k) != 0) return -1;
        unsigned bit = 0;
        if (w == W_TOP && k.len == 5 && memcmp(name, "error", 5) == 0) return -1;
        if (w != W_OTHER && k.len <= sizeof name && key_of_interest(f, w, name, k.len, &bit) != 0)
            return -1;
        ws(f);
        if (f->p >= f->end || *f->p != ':') return -1;
        f->p++;
        ws(f);
        enum where next = W_OTHER;
        if (bit == SEEN_CHOICES)
            next = W_CHOICES;
        else if (bit == SEEN_USAGE)
            next = W_USAGE;
        else if (bit == SEEN_MESSAGE)
            next = W_MESSAGE;

        if (bit == SEEN_CONTENT || bit == SEEN_FINISH) {
            if (f->p < f->end && *f->p == '"') {
                struct sink s = {0};
                if (bit == SEEN_CONTENT) {
                    s.sb = &f->content;
                    f->have_content = 1;
                } else {
                    s.buf = f->out->finish_reason;
                    s.cap = sizeof f->out->finish_reason - 1;
                }
                if (string(f, &s) != 0) return -1;
            } else if (bit == SEEN_CONTENT) {
                return -1; /* parts or null: jansson's path reads those */
            } else if (value(f, W_OTHER) != 0) {
                return -1;
            }
        } else if (bit == SEEN_PROMPT || bit == SEEN_COMPLETION) {
            if (f->p < f->end && (*f->p == '-' || isdigit(*f->p))) {
                int is_int;
                long long v;
                if (number(f, &is_int, &v) != 0) return -1;
                if (is_int)
                    *(bit == SEEN_PROMPT ? &f->out->prompt_tokens : &f->out->completion_tokens) = v;
            } else if (value(f, W_OTHER) != 0) {
                return -1;
            }
        } else if (value(f, next) != 0) {
            return -1;
        }
        int m = more(f, '}');
        if (m <= 0) return m;
    }
}

static int array(struct fj *f, enum where w)
{
    f->p++; /* [ */
    ws(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        return 0;
    }
    for (int i = 0;; i++) {
        enum where next = (w == W_CHOICES && i == 0) ? W_CHOICE0 : W_OTHER;
        if (next == W_CHOICE0 && (f->p >= f->end || *f->p != '{')) return -1;
        if (value(f, next) != 0) return -1;
        int m = more(f, ']');
        if (m <= 0) return m;
    }
}

static int value(struct fj *f, enum where w)
{
    if (f->p >= f->end) return -1;
    int rc;
    switch (*f->p) {
    case '{':
        if (++f->depth > FJ_MAX_DEPTH) return -1;
        rc = object(f, w == W_CHOICES ? W_OTHER : w);
        f->depth--;
        return rc;
    case '[':
        if (++f->depth > FJ_MAX_DEPTH) return -1;
        rc = array(f, w);
        f->depth--;
        return rc;
    case '"': {
        struct sink none = {0};
        return string(f, &none);
    }
    case 't':
        return literal(f, "true");
    case 'f':
        return literal(f, "false");
    case 'n':
        return literal(f, "null");
    default: {
        int is_int;
        long long v;
        return number(f, &is_int, &v);
    }
    }
}

/* ---- a whole tree ------------------------------------------------------------------ */

static json_t *tree(struct fj *f, struct sbuf *tmp);

static json_t *tree_string(struct fj *f, struct sbuf *tmp)
{
    tmp->len = 0;
    struct sink k = {.sb = tmp};
    if (string(f, &k) != 0) return NULL;
    return json_stringn_nocheck(tmp->data ? tmp->data : "", tmp->len);
}

static json_t *tree_number(struct fj *f)
{
    const unsigned char *start = f->p;
    int is_int;
    long long v;
    if (number(f, &is_int, &v) != 0) return NULL;
    if (is_int) return json_integer(v);
    char buf[64];
    size_t n = (size_t)(f->p - start);
    if (n >= sizeof buf) return NULL; /* jansson's turn */
    memcpy(buf, start, n);
    buf[n] = 0;
    return json_real(strtod(buf, NULL)); /* the C locale, as jansson reads it */
}

static json_t *tree_object(struct fj *f, struct sbuf *tmp)
{
    json_t *o = json_object();
    f->p++; /* { */
    ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        return o;
    }
    for (;;) {
        if (f->p >= f->end || *f->p != '"') break;
        tmp->len = 0;
        struct sink k = {.sb = tmp};
        if (string(f, &k) != 0) break;
        /* the key outlives tmp (the value reuses it): short ones on the stack */
        char small[128], *key = small;
        size_t klen = tmp->len;
        if (klen < sizeof small)
            memcpy(small, tmp->data ? tmp->data : "", klen + 1);
        else
            key = xstrndup(tmp->data, klen);
        ws(f);
        json_t *v = NULL;
        if (f->p < f->end && *f->p == ':') {
            f->p++;
            ws(f);
            v = tree(f, tmp);
        }
        /* a repeated key: the last one wins, as in jansson */
        int bad = !v || json_object_setn_new_nocheck(o, key, klen, v) != 0;
        if (key != small) free(key);
        if (bad) break;
        int m = more(f, '}');
        if (m == 0) return o;
        if (m < 0) break;
    }
    json_decref(o);
    return NULL;
}

static json_t *tree_array(struct fj *f, struct sbuf *tmp)
{
    json_t *a = json_array();
    f->p++; /* [ */
    ws(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        return a;
    }
    for (;;) {
        json_t *v = tree(f, tmp);
        if (!v || json_array_append_new(a, v) != 0) break;
        int m = more(f, ']');
        if (m == 0) return a;
        if (m < 0) break;
    }
    json_decref(a);
    return NULL;
}

static json_t *tree(struct fj *f, struct sbuf *tmp)
{
    if (f->p >= f->end) return NULL;
    json_t *v;
    switch (*f->p) {
    case '{':
    case '[':
        if (++f->depth > FJ_MAX_DEPTH) return NULL;
        v = *f->p == '{' ? tree_object(f, tmp) : tree_array(f, tmp);
        f->depth--;
        return v;
    case '"':
        return tree_string(f, tmp);
    case 't':
        return literal(f, "true") == 0 ? json_true() : NULL;
    case 'f':
        return literal(f, "false") == 0 ? json_false() : NULL;
    case 'n':
        return literal(f, "null") == 0 ? json_null() : NULL;
    default:
        return tree_number(f);
    }
}

json_t *fastjson_parse(const char *text, size_t len)
{
    if (!text) return NULL;
    struct fj f = {.p = (const unsigned char *)text, .end = (const unsigned char *)text + len};
    struct sbuf tmp = {0};
    ws(&f);
    json_t *v = (f.p < f.end && (*f.p == '{' || *f.p == '[')) ? tree(&f, &tmp) : NULL;
    sbuf_free(&tmp);
    if (v) {
        ws(&f);
        if (f.p != f.end) { /* only whitespace may follow */
            json_decref(v);
            v = NULL;
        }
    }
    return v;
}

int fastjson_completion(const char *text, size_t len, struct fast_completion *out)
{
    if (!text || !out) return -1;
    memset(out, 0, sizeof *out);
    struct fj f = {
        .p = (const unsigned char *)text, .end = (const unsigned char *)text + len, .out = out};
    ws(&f);
    int rc = (f.p < f.end && *f.p == '{') ? value(&f, W_TOP) : -1;
    if (rc == 0) {
        ws(&f);
        if (f.p != f.end) rc = -1; /* only whitespace may follow */
    }
    /* the shape: choices[0].message.content was a string that is not blank */
    if (rc == 0 && !f.have_content) rc = -1;
    if (rc == 0) {
        rc = -1;
        for (size_t i = 0; i < f.content.len; i++)
            if (!isspace((unsigned char)f.content.data[i])) {
                rc = 0;
                break;
            }
    }
    if (rc != 0) {
        sbuf_free(&f.content);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->content = sbuf_take(&f.content);
    return 0;
}

json_t *fastjson_load(const char *text, size_t len, json_error_t *err)
{
    json_t *v = fastjson_parse(text, len);
    return v ? v : json_loadb(text ? text : "", text ? len : 0, 0, err);
}
