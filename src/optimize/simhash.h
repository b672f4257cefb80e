/* simhash: near-duplicate fingerprints of text, SimHash and MinHash over word shingles.
 *
 * Both start the same way: the text is cut into words (ASCII lowercased; punctuation
 * separates words, except apostrophes, which are dropped so "don't" is "dont", and '+'
 * and '#', which are kept because C, C++ and C# are different skills; common Unicode
 * dashes, quotes and bullets count as punctuation, other non-ASCII bytes as letters),
 * and every run of k consecutive words (a k-shingle, k = 3 unless said otherwise) is
 * hashed with XXH3-64. A text shorter than k words is one shingle of all its words.
 *
 * SimHash (Charikar; Manku et al. 2007) folds the shingle hashes into one 64-bit
 * fingerprint: bit b is set if more shingles have bit b set than clear. Similar texts
 * differ in few bits; compare with simhash_distance() (Hamming). 8 bytes per text.
 *
 * MinHash (Broder) keeps, for each of MINHASH_PERMS hash functions, the smallest value
 * over the shingles; the share of positions where two signatures agree estimates the
 * Jaccard similarity of the two shingle sets (standard error about
 * sqrt(J(1-J)/128) <= 0.045). 1 KiB per text.
 *
 * Which to use, at which threshold, is measured on tests/data/near_duplicates/ by
 * tests/unit/test_simhash.c; the recommendations are the SIMHASH_* and MINHASH_*
 * constants below, and the figures are in tests/data/near_duplicates/README.md. */
#ifndef OPTIMIZE_SIMHASH_H
#define OPTIMIZE_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

/* Words per shingle for simhash_text() and minhash_text(). */
#define SIMHASH_SHINGLE_WORDS 3
/* Largest k the *_k() functions accept; larger values are clamped. */
#define SIMHASH_SHINGLE_WORDS_MAX 8

/* SimHash of text's 3-shingles. A text without a single word hashes to 0, which is not
 * a fingerprint: never compare it (two empty texts would look identical). */
uint64_t simhash_text(const char *text);
/* The same with k-word shingles (1 <= k <= SIMHASH_SHINGLE_WORDS_MAX). */
uint64_t simhash_text_k(const char *text, int k);
/* Number of differing bits, 0..64. */
int simhash_distance(uint64_t a, uint64_t b);
/* 1 if simhash_distance(a, b) <= threshold. */
int simhash_near(uint64_t a, uint64_t b, int threshold);

#define MINHASH_PERMS 128

/* A MinHash signature. Fill with minhash_text(); plain data, copy freely. */
struct minhash {
    uint64_t min[MINHASH_PERMS]; /* smallest value of hash function i over the shingles */
    uint32_t shingles;           /* shingles seen (with repeats); 0 = no words */
};

void minhash_text(const char *text, struct minhash *out);
void minhash_text_k(const char *text, int k, struct minhash *out);
/* Estimated Jaccard similarity of the two shingle sets, 0..1; 0 if either is empty. */
double minhash_jaccard(const struct minhash *a, const struct minhash *b);
/* 1 if minhash_jaccard(a, b) >= threshold. */
int minhash_near(const struct minhash *a, const struct minhash *b, double threshold);

/* The words of text as simhash sees them, joined by single spaces (caller frees). For
 * tests and for explaining a match. */
char *simhash_words(const char *text);

#endif
