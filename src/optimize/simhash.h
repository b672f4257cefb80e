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
/* Largest k the *_ex() functions accept; larger values are clamped. */
#define SIMHASH_SHINGLE_WORDS_MAX 8

/* Flag for the *_ex() functions: keep content words only. Drops English function words
 * and interview framing ("what", "is", "the", "explain", "tell", "me", "describe", ...)
 * and strips common suffixes ("collisions" and "collision", "handles" and "handling"
 * become one word), so two wordings of one question meet on what they are about. For
 * short texts; on a resume it would only throw information away. */
#define SIMHASH_CONTENT_WORDS 1u

/* SimHash of text's 3-shingles. A text without a single word hashes to 0, which is not
 * a fingerprint: never compare it (two empty texts would look identical). */
uint64_t simhash_text(const char *text);
/* The same with k-word shingles (1 <= k <= SIMHASH_SHINGLE_WORDS_MAX) and flags. */
uint64_t simhash_text_ex(const char *text, int k, unsigned flags);
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

/* Signature of text's 3-shingles (the resume setting). */
void minhash_text(const char *text, struct minhash *out);
void minhash_text_ex(const char *text, int k, unsigned flags, struct minhash *out);
/* Estimated Jaccard similarity of the two shingle sets, 0..1; 0 if either is empty. */
double minhash_jaccard(const struct minhash *a, const struct minhash *b);
/* 1 if minhash_jaccard(a, b) >= threshold. */
int minhash_near(const struct minhash *a, const struct minhash *b, double threshold);

/* ---- recommendations (measured by tests/unit/test_simhash.c; figures in
 * tests/data/near_duplicates/README.md) ----
 *
 * (a) A candidate's re-uploaded resume may reuse that candidate's analysis (never
 * anyone else's: the cache scope is the candidate) when the MinHash signatures of the
 * two resumes' 3-shingles (minhash_text) estimate a Jaccard similarity of at least
 * MINHASH_RESUME_MIN_JACCARD. SimHash is not recommended here: a 64-bit fingerprint of a
 * 200-word resume moves 1..13 bits under light edits, while two resumes from one template
 * are 9 bits apart, so no Hamming threshold is both safe and useful.
 *
 * (b) A question picker treats a question as already heard when its content-word
 * signature (minhash_question) and that of any question the candidate has heard estimate
 * a Jaccard similarity of at least MINHASH_QUESTION_MIN_JACCARD. Hearing a question twice
 * is the failure the brief complains about, so recall weighs more here than for resumes;
 * the threshold still keeps precision above 0.94, because every related question skipped
 * by mistake thins the pool of the very category the candidate needs. Shingles of 2 or 3
 * words do not work on questions at all: a rewording shares almost none of them, while
 * two different questions in one template ("What is the difference between ...") share
 * many. Bank questions have ids; this is for generated questions and rewordings. */
#define MINHASH_RESUME_MIN_JACCARD 0.60
#define MINHASH_QUESTION_SHINGLE_WORDS 1
#define MINHASH_QUESTION_FLAGS SIMHASH_CONTENT_WORDS
#define MINHASH_QUESTION_MIN_JACCARD 0.45

/* minhash_text_ex(text, MINHASH_QUESTION_SHINGLE_WORDS, MINHASH_QUESTION_FLAGS, out). */
void minhash_question(const char *text, struct minhash *out);

/* The words of text as the fingerprints see them (after flags), joined by single
 * spaces (caller frees). For tests and for explaining a match. */
char *simhash_words(const char *text, unsigned flags);

#endif
