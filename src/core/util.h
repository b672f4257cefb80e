/* util: small helpers every module uses: a growable string buffer, secure random
 * identifiers, hashing (SHA-256 for secrets, XXH3-128 for cache keys), constant-time
 * comparison and text normalisation. */
#ifndef CORE_UTIL_H
#define CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A growable NUL-terminated byte buffer. Zero-initialise, append, free with sbuf_free. */
struct sbuf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
};
/* Makes room for extra more bytes and the NUL (the slow path of sbuf_append). */
void sbuf_grow(struct sbuf *b, size_t extra);
/* Inline: the JSON writers and the gateway call these many times per request. */
static inline void sbuf_append(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) sbuf_grow(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}
static inline void sbuf_puts(struct sbuf *b, const char *s)
{
    sbuf_append(b, s, strlen(s));
}
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal: what sbuf_printf("%lld") does, without printf's cost. */
void sbuf_put_int(struct sbuf *b, long long v);
/* v in decimal into out (at most 20 digits, a sign and NUL); returns out. */
const char *util_itoa(long long v, char out[24]);
/* Hands the buffer to the caller (free() it) and resets b. Never NULL. */
char *sbuf_take(struct sbuf *b);
void sbuf_free(struct sbuf *b);

/* malloc/strdup that abort on out-of-memory: a server that cannot allocate 100 bytes
 * cannot do anything useful, and checking every call hides the real error paths. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Fills buf with n cryptographically random bytes (getrandom). Returns 0 or -1. */
int util_random_bytes(void *buf, size_t n);
/* For the simulator only: from now on random bytes come from a PRNG seeded with seed,
 * so a simulated day is reproducible. Never called by the server. */
void util_random_use_seed(uint64_t seed);
/* Writes 2*n lowercase hex digits plus NUL to out. */
void util_hex(const void *data, size_t n, char *out);
/* A new random identifier of `bytes` random bytes as hex (caller frees). Aborts if
 * the kernel cannot supply randomness: an id we cannot make unguessable is no id. */
char *util_random_id(size_t bytes);
/* A log-correlation id: 16 hex digits plus NUL into out[17], unique within the process
 * (a random 64-bit start, then a bijective mix of a counter) and unlikely to repeat
 * across processes. Not a secret and not unguessable: no system call per id. */
void util_trace_id(char out[17]);
/* SHA-256 of data as 64 hex digits plus NUL into out[65]. */
void util_sha256_hex(const void *data, size_t n, char out[65]);
/* XXH3-128 of data as 32 hex digits plus NUL into out[33]. */
void util_xxh128_hex(const void *data, size_t n, char out[33]);
uint64_t util_xxh64(const void *data, size_t n);
/* 1 if equal; time depends only on the length of a (the expected value). */
int util_ct_equal(const char *a, const char *b);

/* Trims ASCII whitespace in place; returns s. */
char *util_trim(char *s);
/* Lowercased copy with runs of whitespace collapsed to one space, ends trimmed and
 * typographic apostrophes made ASCII, for cache keys and comparisons (caller frees). */
char *util_normalize_text(const char *s);
/* XXH3-64 of util_normalize_text(s), without allocating for texts under 2 KiB. */
uint64_t util_normalized_hash(const char *s);
/* Number of whitespace-separated words. */
int util_word_count(const char *s);
/* 1 if s is valid UTF-8 with no NUL before len. */
int util_utf8_valid(const char *s, size_t len);
/* Reads a whole file (caller frees); NULL on error. *len gets the size if non-NULL. */
char *util_read_file(const char *path, size_t *len);
/* The longest prefix of s of at most max bytes that ends on a UTF-8 character boundary. */
size_t util_utf8_prefix(const char *s, size_t max);
/* Case-insensitive substring search. */
const char *util_strcasestr(const char *hay, const char *needle);

#endif
