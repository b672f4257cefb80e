/* misbehave: what real models and providers do that interviewd must survive, for the
 * two stand-ins that play them (the simulator's providers, sim/simprov.c, and
 * tools/mockllm.c).
 *
 * Token counts: a provider counts a prompt with its own tokenizer, not with the
 * router's chars / 4, and refuses (429) a call its count puts over TPM/TPD. Here: a run
 * of letters and digits is one token per 6 characters begun, every other non-space
 * character one token, and the sum is scaled by a factor in [0.85, 1.15] drawn from the
 * seed and the text, so the same text always counts the same and no formula of the
 * client's predicts it.
 *
 * Spoilt answers: asked for JSON, models answer prose, drop a field, wrap the object in
 * a sentence or a code fence, or stop half way. misbehave_spoil renders a task's answer
 * object in one of those ways. */
#ifndef SIM_MISBEHAVE_H
#define SIM_MISBEHAVE_H

#include <jansson.h>
#include <stdint.h>

/* How a task answer is spoilt. WRAPPED and FENCED still hold the whole object (a careful
 * parser uses them); the others cannot be used. */
enum misbehave_kind {
    MISBEHAVE_NONE,
    MISBEHAVE_PROSE,     /* prose, no JSON at all */
    MISBEHAVE_MISSING,   /* JSON without a field the task's schema requires */
    MISBEHAVE_WRAPPED,   /* "Sure! Here is the TASK you asked for:\n\n{...}\n\nLet me know..." */
    MISBEHAVE_FENCED,    /* the object in a ```json code fence */
    MISBEHAVE_TRUNCATED, /* the first half of the object */
    MISBEHAVE__COUNT,
};

/* Stable names: "none", "prose", "missing_fields", "wrapped_in_prose", "code_fence",
 * "truncated". */
const char *misbehave_kind_name(enum misbehave_kind k);
/* The kind for two uniform draws in [0, 1): NONE unless u_whether < rate, then one of
 * the five, evenly by u_which. */
enum misbehave_kind misbehave_pick(double rate, double u_whether, double u_which);
/* The assistant message for a task's answer object, spoilt as k says (obj may be
 * changed: MISSING deletes a required field). Caller frees. */
char *misbehave_spoil(json_t *obj, const char *task, enum misbehave_kind k);

/* Tokens of s before the seeded variance. */
long misbehave_tokens_raw(const char *s);
/* raw scaled by the factor in [0.85, 1.15] for (seed, text_hash); at least 1. */
long misbehave_tokens_vary(uint64_t seed, uint64_t text_hash, long raw);

#endif
