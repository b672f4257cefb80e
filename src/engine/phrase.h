/* phrase: clean slot values taken from a resume or a job description.
 *
 * A question template says "your role on {project}"; the value comes from text the
 * candidate wrote (or a model's reading of it), and such text is cut, bracketed and
 * spelt every which way. This module turns a raw value into a phrase a person would
 * write into the question, or refuses it: a whole noun phrase, never cut inside a word
 * or a bracket, no dangling "with" or "and" at the end, known tools in their canonical
 * spelling (data/terms.json: "grpc" -> "gRPC"), short enough to read aloud. A value
 * that cannot be made clean is not used; the caller picks another or another template. */
#ifndef ENGINE_PHRASE_H
#define ENGINE_PHRASE_H

#include <jansson.h>
#include <stddef.h>

/* The longest phrases a slot takes, in words and bytes. */
#define PHRASE_PROJECT_MAX_WORDS 9
#define PHRASE_PROJECT_MAX_BYTES 72
#define PHRASE_SKILL_MAX_WORDS 3
#define PHRASE_SKILL_MAX_BYTES 32
#define PHRASE_COMPANY_MAX_WORDS 4
#define PHRASE_COMPANY_MAX_BYTES 40
/* Raw values longer than this are not looked at (a model's or a resume's run-on). */
#define PHRASE_RAW_MAX_BYTES 400

enum phrase_kind {
    PHRASE_SKILL,   /* "PostgreSQL", "distributed systems" */
    PHRASE_PROJECT, /* "the migration of 14 services from VMs to Kubernetes" */
    PHRASE_COMPANY, /* "Acme Corp" */
};

struct phrase_terms;

/* Loads dir/terms.json; a missing file gives an empty table (no canonical spellings).
 * NULL with a sentence in err when the file is there but malformed. */
struct phrase_terms *phrase_terms_load(const char *dir, char *err, size_t errlen);
void phrase_terms_free(struct phrase_terms *t);

/* The clean form of raw as a value of kind, malloc'd, or NULL when it cannot be made
 * clean. t may be NULL (no canonical spellings). source (may be NULL) is the text raw
 * was taken from (the resume): a last word that appears there only as the start of a
 * longer word ("transact" of "transactions") was cut, and is dropped. */
char *phrase_clean(const struct phrase_terms *t, const char *raw, enum phrase_kind kind,
                   const char *source);

/* The length of phrase's head: the bytes before its first joining word ("a CI pipeline"
 * of "a CI pipeline for 40 repositories"), or the whole phrase. Two values with one head
 * name the same thing. */
size_t phrase_head_len(const char *phrase);

/* text with every known term in its canonical spelling (malloc'd). */
char *phrase_canonical(const struct phrase_terms *t, const char *text);

/* Appends to names (a JSON array) the canonical name of each known term text mentions,
 * once each, in order of first mention, up to max entries in all. */
void phrase_terms_found(const struct phrase_terms *t, const char *text, json_t *names, size_t max);

/* 1 if text mentions term (a canonical name) as a whole word: the name as spelt, or one
 * of its aliases in any case (ambiguous aliases such as "go" do not count). */
int phrase_mentions(const struct phrase_terms *t, const char *text, const char *term);

#endif
