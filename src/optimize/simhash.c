/* simhash: SimHash and MinHash fingerprints over word shingles (see simhash.h).
 *
 * The one idea: both fingerprints see exactly the same shingles, because one function
 * (words()) turns text into a normalised "w1 w2 w3 ..." buffer plus word offsets, and a
 * shingle is then just the substring from its first word to its last, hashed in place
 * with XXH3-64. The MinHash functions are h_i(x) = mix64(x ^ seed_i) with a 64-bit
 * finaliser (a bijection with full avalanche), one fixed seed per position, so
 * signatures are stable across processes and releases. SIMHASH_CONTENT_WORDS is a pass
 * over that buffer that drops stop words and strips suffixes in place. */
#include "optimize/simhash.h"

#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* The normalised words of one text. */
struct wordlist {
    char *buf;     /* words separated by single spaces, NUL-terminated */
    size_t *start; /* offset of word i in buf */
    size_t *end;   /* offset one past word i */
    size_t n;      /* words */
};

/* Length of a Unicode space or punctuation mark at s (UTF-8), or 0 if s starts with
 * anything else: U+00A0, U+00B7, U+2000..U+206F (spaces, dashes, quotes, bullets,
 * ellipsis), U+2212 (minus), U+25AA/U+25CF/U+25E6 (bullets). */
static size_t unicode_separator(const unsigned char *s)
{
    if (s[0] == 0xC2 && (s[1] == 0xA0 || s[1] == 0xB7)) return 2;
    if (s[0] == 0xE2 && s[1] == 0x80 && s[2] >= 0x80 && s[2] <= 0xBF) return 3;
    if (s[0] == 0xE2 && s[1] == 0x81 && s[2] >= 0x80 && s[2] <= 0xAF) return 3;
    if (s[0] == 0xE2 && s[1] == 0x88 && s[2] == 0x92) return 3;
    if (s[0] == 0xE2 && s[1] == 0x96 && s[2] == 0xAA) return 3;
    if (s[0] == 0xE2 && s[1] == 0x97 && (s[2] == 0x8F || s[2] == 0xA6)) return 3;
    return 0;
}

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void words(const char *text, struct wordlist *w)
{
    size_t cap = strlen(text ? text : "") + 1;
    w->buf = xmalloc(cap + 1);
    w->start = xmalloc(sizeof *w->start * (cap / 2 + 1));
    w->end = xmalloc(sizeof *w->end * (cap / 2 + 1));
    w->n = 0;
    size_t len = 0;     /* bytes written to buf */
    size_t wstart = 0;  /* where the current word began in buf */
    int in_word = 0;    /* a word is open */
    int has_letter = 0; /* the open word has a letter, digit or non-ASCII byte */
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    for (;;) {
        unsigned char c = *p;
        size_t skip = 0;
        int keep = 0; /* byte belongs to the word */
        int drop = 0; /* byte is deleted without ending the word */
        if (c == 0) {
            skip = 0;
        } else if (c == '\'') {
            drop = 1, skip = 1;
        } else if (c == 0xE2 && p[1] == 0x80 && p[2] == 0x99) {
            drop = 1, skip = 3; /* U+2019, the typographic apostrophe */
        } else if (c >= 0x80 && (skip = unicode_separator(p)) != 0) {
            keep = 0;
        } else if (is_alnum(c) || c >= 0x80 || c == '+' || c == '#') {
            keep = 1, skip = 1;
        } else {
            skip = 1;
        }
        if (keep) {
            if (!in_word) {
                if (w->n) w->buf[len++] = ' ';
                wstart = len;
                in_word = 1;
                has_letter = 0;
            }
            w->buf[len++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            if (c != '+' && c != '#') has_letter = 1;
        } else if (!drop && in_word) {
            /* Close the word; a word of only '+'/'#' is punctuation after all. */
            if (has_letter) {
                w->start[w->n] = wstart;
                w->end[w->n] = len;
                w->n++;
            } else {
                len = wstart ? wstart - 1 : 0;
            }
            in_word = 0;
        }
        if (c == 0) break;
        p += skip;
    }
    w->buf[len] = 0;
}

/* English function words and the verbs interview questions are framed with. Sorted
 * (strcmp order) for bsearch. */
static const char *const stop_words[] = {
    "a",       "about",   "after",   "again",  "all",   "also",     "am",     "an",     "and",
    "any",     "are",     "as",      "at",     "be",    "been",     "before", "being",  "between",
    "both",    "but",     "by",      "can",    "could", "describe", "did",    "do",     "does",
    "doing",   "done",    "down",    "during", "each",  "either",   "else",   "ever",   "every",
    "example", "explain", "few",     "for",    "from",  "further",  "give",   "had",    "has",
    "have",    "having",  "he",      "her",    "here",  "hers",     "him",    "his",    "how",
    "i",       "if",      "in",      "into",   "is",    "it",       "its",    "itself", "just",
    "like",    "me",      "mine",    "more",   "most",  "much",     "must",   "my",     "name",
    "no",      "nor",     "not",     "now",    "of",    "off",      "on",     "once",   "one",
    "only",    "or",      "other",   "our",    "ours",  "out",      "over",   "own",    "please",
    "same",    "say",     "shall",   "share",  "she",   "should",   "so",     "some",   "such",
    "talk",    "tell",    "than",    "that",   "the",   "their",    "theirs", "them",   "then",
    "there",   "these",   "they",    "this",   "those", "through",  "to",     "too",    "under",
    "until",   "up",      "us",      "very",   "walk",  "was",      "we",     "were",   "what",
    "when",    "where",   "whether", "which",  "while", "who",      "whom",   "whose",  "why",
    "will",    "with",    "would",   "yet",    "you",   "your",     "yours",
};

/* A word as (pointer, length), for bsearch against stop_words. */
struct span {
    const char *p; /* first byte */
    size_t n;      /* bytes */
};

static int span_cmp(const void *key, const void *elem)
{
    const struct span *k = key;
    const char *w = *(const char *const *)elem;
    size_t wn = strlen(w);
    int c = memcmp(k->p, w, k->n < wn ? k->n : wn);
    if (c) return c;
    return k->n < wn ? -1 : k->n > wn;
}

static int ends_with(const char *p, size_t n, const char *suf)
{
    size_t sn = strlen(suf);
    return n >= sn && memcmp(p + n - sn, suf, sn) == 0;
}

/* A light English stemmer: the new length of word p[0..n), which it may rewrite (only
 * ever shorter). Strips one of -ations, -ation, -ings, -ing, -ies/-ied (to -y), -ed,
 * -es, -s (not -ss), -ly when at least three letters remain, then a final -e, so that
 * "handle", "handles", "handled" and "handling" all become "handl". Crude on purpose:
 * it only has to send two wordings of one question to the same tokens. */
static size_t stem(char *p, size_t n)
{
    static const struct {
        const char *suf; /* suffix to strip */
        const char *rep; /* what replaces it */
    } rules[] = {
        {"ations", ""}, {"ation", ""}, {"ings", ""}, {"ing", ""}, {"ies", "y"},
        {"ied", "y"},   {"ed", ""},    {"es", ""},   {"ly", ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
        size_t sn = strlen(rules[i].suf);
        if (n >= sn + 3 && ends_with(p, n, rules[i].suf)) {
            n -= sn;
            memcpy(p + n, rules[i].rep, strlen(rules[i].rep));
            n += strlen(rules[i].rep);
            goto final_e;
        }
    }
    if (n >= 4 && p[n - 1] == 's' && p[n - 2] != 's') n--;
final_e:
    if (n >= 4 && p[n - 1] == 'e') n--;
    return n;
}

/* SIMHASH_CONTENT_WORDS: drops stop words and stems the rest, compacting w in place. */
static void keep_content_words(struct wordlist *w)
{
    size_t out = 0, kept = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct span sp = {w->buf + w->start[i], w->end[i] - w->start[i]};
        if (bsearch(&sp, stop_words, ARRAY_LEN(stop_words), sizeof stop_words[0], span_cmp))
            continue;
        if (kept) w->buf[out++] = ' ';
        memmove(w->buf + out, sp.p, sp.n);
        size_t n = stem(w->buf + out, sp.n);
        w->start[kept] = out;
        w->end[kept] = out + n;
        out += n;
        kept++;
    }
    w->buf[out] = 0;
    w->n = kept;
}

static void words_free(struct wordlist *w)
{
    free(w->buf);
    free(w->start);
    free(w->end);
}

static int clamp_k(int k)
{
    if (k < 1) return 1;
    if (k > SIMHASH_SHINGLE_WORDS_MAX) return SIMHASH_SHINGLE_WORDS_MAX;
    return k;
}

/* Calls fn(hash, arg) for every k-shingle of w (one shingle if w has fewer words).
 * Returns the number of shingles. */
static size_t each_shingle(const struct wordlist *w, int k, void (*fn)(uint64_t, void *), void *arg)
{
    if (w->n == 0) return 0;
    size_t ku = (size_t)k;
    if (w->n < ku) {
        fn(XXH3_64bits(w->buf + w->start[0], w->end[w->n - 1] - w->start[0]), arg);
        return 1;
    }
    for (size_t i = 0; i + ku <= w->n; i++)
        fn(XXH3_64bits(w->buf + w->start[i], w->end[i + ku - 1] - w->start[i]), arg);
    return w->n - ku + 1;
}

char *simhash_words(const char *text, unsigned flags)
{
    struct wordlist w;
    words(text, &w);
    if (flags & SIMHASH_CONTENT_WORDS) keep_content_words(&w);
    char *out = xstrdup(w.buf);
    words_free(&w);
    return out;
}

/* ---- SimHash ---- */

static void simhash_add(uint64_t h, void *arg)
{
    int64_t *v = arg;
    for (int b = 0; b < 64; b++)
        v[b] += (h >> b) & 1 ? 1 : -1;
}

uint64_t simhash_text_ex(const char *text, int k, unsigned flags)
{
    struct wordlist w;
    words(text, &w);
    if (flags & SIMHASH_CONTENT_WORDS) keep_content_words(&w);
    int64_t v[64] = {0};
    size_t n = each_shingle(&w, clamp_k(k), simhash_add, v);
    words_free(&w);
    if (n == 0) return 0;
    uint64_t out = 0;
    for (int b = 0; b < 64; b++)
        if (v[b] > 0) out |= (uint64_t)1 << b;
    return out;
}

uint64_t simhash_text(const char *text)
{
    return simhash_text_ex(text, SIMHASH_SHINGLE_WORDS, 0);
}

int simhash_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

int simhash_near(uint64_t a, uint64_t b, int threshold)
{
    return simhash_distance(a, b) <= threshold;
}

/* ---- MinHash ---- */

/* SplitMix64's finaliser: a bijection on 64-bit values with full avalanche. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Seed of hash function i: SplitMix64's sequence from a fixed start. */
static uint64_t seed(int i)
{
    return mix64(0x6a09e667f3bcc909ULL + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL);
}

static void minhash_add(uint64_t h, void *arg)
{
    struct minhash *m = arg;
    for (int i = 0; i < MINHASH_PERMS; i++) {
        uint64_t v = mix64(h ^ seed(i));
        if (v < m->min[i]) m->min[i] = v;
    }
}

void minhash_text_ex(const char *text, int k, unsigned flags, struct minhash *out)
{
    for (int i = 0; i < MINHASH_PERMS; i++)
        out->min[i] = UINT64_MAX;
    struct wordlist w;
    words(text, &w);
    if (flags & SIMHASH_CONTENT_WORDS) keep_content_words(&w);
    size_t n = each_shingle(&w, clamp_k(k), minhash_add, out);
    words_free(&w);
    out->shingles = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void minhash_text(const char *text, struct minhash *out)
{
    minhash_text_ex(text, SIMHASH_SHINGLE_WORDS, 0, out);
}

void minhash_question(const char *text, struct minhash *out)
{
    minhash_text_ex(text, MINHASH_QUESTION_SHINGLE_WORDS, MINHASH_QUESTION_FLAGS, out);
}

double minhash_jaccard(const struct minhash *a, const struct minhash *b)
{
    if (a->shingles == 0 || b->shingles == 0) return 0.0;
    int same = 0;
    for (int i = 0; i < MINHASH_PERMS; i++)
        same += a->min[i] == b->min[i];
    return (double)same / MINHASH_PERMS;
}

int minhash_near(const struct minhash *a, const struct minhash *b, double threshold)
{
    return minhash_jaccard(a, b) >= threshold;
}
