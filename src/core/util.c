/* util: see util.h. */
#include "core/util.h"

#include <ctype.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/random.h>
#include <xxhash.h>

static void oom(void)
{
    fputs("interviewd: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) oom();
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void sbuf_grow(struct sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    /* 256 to start: most buffers are a JSON body or a line, and each realloc costs */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    /* One vsnprintf into the room there is (most lines fit in 128 bytes), a second
     * only when it did not fit: each costs far more than the copy. */
    sbuf_grow(b, 128);
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->data[b->len] = 0;
        return;
    }
    if ((size_t)n >= room) {
        sbuf_grow(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

const char *util_itoa(long long v, char out[24])
{
    char tmp[24];
    size_t i = sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[--i] = '-';
    memcpy(out, tmp + i, sizeof tmp - i);
    out[sizeof tmp - i] = 0;
    return out;
}

void sbuf_put_int(struct sbuf *b, long long v)
{
    char tmp[24];
    sbuf_puts(b, util_itoa(v, tmp));
}

char *sbuf_take(struct sbuf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void sbuf_free(struct sbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int seeded; /* 1 once util_random_use_seed ran (simulator only) */
static uint64_t seed_state;

void util_random_use_seed(uint64_t seed)
{
    seeded = 1;
    seed_state = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

/* splitmix64: advances *state and returns the next output. Its finaliser is a bijection,
 * so distinct states give distinct outputs. Not a secret. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int util_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    if (seeded) {
        for (size_t i = 0; i < n; i++) {
            /* reproducible, not secret; fine for simulated candidates */
            p[i] = (unsigned char)splitmix64(&seed_state);
        }
        return 0;
    }
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void util_hex(const void *data, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

char *util_random_id(size_t bytes)
{
    unsigned char *raw = xmalloc(bytes);
    if (util_random_bytes(raw, bytes) != 0) {
        fputs("interviewd: getrandom failed\n", stderr);
        abort();
    }
    char *out = xmalloc(2 * bytes + 1);
    util_hex(raw, bytes, out);
    free(raw);
    return out;
}

void util_trace_id(char out[17])
{
    static uint64_t next;
    static int started;
    if (!started) {
        if (util_random_bytes(&next, sizeof next) != 0) next = (uint64_t)time(NULL);
        started = 1;
    }
    uint64_t z = splitmix64(&next); /* distinct counters, distinct ids */
    unsigned char raw[8];
    for (int i = 0; i < 8; i++)
        raw[i] = (unsigned char)(z >> (56 - 8 * i));
    util_hex(raw, sizeof raw, out);
}

void util_sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, n, md);
    util_hex(md, sizeof md, out);
}

void util_xxh128_hex(const void *data, size_t n, char out[33])
{
    XXH128_hash_t h = XXH3_128bits(data, n);
    unsigned char raw[16];
    for (int i = 0; i < 8; i++) {
        raw[i] = (unsigned char)(h.high64 >> (56 - 8 * i));
        raw[8 + i] = (unsigned char)(h.low64 >> (56 - 8 * i));
    }
    util_hex(raw, 16, out);
}

uint64_t util_xxh64(const void *data, size_t n)
{
    return XXH3_64bits(data, n);
}

int util_ct_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ (i < lb ? b[i] : 0));
    return diff == 0;
}

char *util_trim(char *s)
{
    char *start = s;
    while (*start && isspace((unsigned char)*start))
        start++;
    size_t n = strlen(start);
    while (n > 0 && isspace((unsigned char)start[n - 1]))
        n--;
    memmove(s, start, n);
    s[n] = 0;
    return s;
}

char *util_normalize_text(const char *s)
{
    struct sbuf b = {0};
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isspace(*p)) {
            pending_space = b.len > 0;
            continue;
        }
        if (pending_space) sbuf_append(&b, " ", 1);
        pending_space = 0;
        /* typographic apostrophes (U+2018/U+2019, as phones type them) become ' */
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
            sbuf_append(&b, "'", 1);
            p += 2;
            continue;
        }
        char c = (char)tolower(*p);
        sbuf_append(&b, &c, 1);
    }
    return sbuf_take(&b);
}

uint64_t util_normalized_hash(const char *s)
{
    char buf[2048];
    size_t n = 0;
    int pending_space = 0, overflow = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && !overflow; p++) {
        if (isspace(*p)) {
            pending_space = n > 0;
            continue;
        }
        if (n + 2 >= sizeof buf) {
            overflow = 1;
            break;
        }
        if (pending_space) buf[n++] = ' ';
        pending_space = 0;
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
            buf[n++] = '\'';
            p += 2;
            continue;
        }
        buf[n++] = (char)tolower(*p);
    }
    if (overflow) {
        char *norm = util_normalize_text(s);
        uint64_t h = XXH3_64bits(norm, strlen(norm));
        free(norm);
        return h;
    }
    return XXH3_64bits(buf, n);
}

int util_word_count(const char *s)
{
    int n = 0, in = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isspace(*p)) {
            in = 0;
        } else if (!in) {
            in = 1;
            n++;
        }
    }
    return n;
}

int util_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c == 0) return 0;
        int extra;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            min = 0x80;
            c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            min = 0x800;
            c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            return 0;
        }
        if (end - p <= extra) return 0;
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        p += extra + 1;
    }
    return 1;
}

char *util_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct sbuf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sbuf_append(&b, chunk, n);
    int err = ferror(f);
    fclose(f);
    if (err) {
        sbuf_free(&b);
        return NULL;
    }
    if (len) *len = b.len;
    return sbuf_take(&b);
}

size_t util_utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--; /* s[n] starts the cut char */
    return n;
}

const char *util_strcasestr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0) return hay;
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return hay;
    return NULL;
}
