/* bankgrow: generated questions that grow the bank for everyone (engine-internal).
 *
 * When a candidate has few unheard questions left in a phase, one question_gen call
 * writes a set for that role, phase and difficulty; the set is stored (every instance
 * loads it) and its questions join the bank. Sets are numbered (variants), so the next
 * call asks for new ones, and one set per key and interval is enough for everyone. */
#ifndef ENGINE_BANKGROW_H
#define ENGINE_BANKGROW_H

struct engine;
struct store_interview;
struct cand_ctx;
struct bank_seen;

/* Loads every generated set recorded in the store into the bank (start-up). */
void bankgrow_load_all(struct engine *e);
/* After a bank question was asked: starts a question_gen call if the candidate is
 * running low on unheard questions in phase (full and balanced modes, online only). */
void bankgrow_maybe(struct engine *e, const struct store_interview *iv, struct cand_ctx *cc,
                    const char *phase, int difficulty, const struct bank_seen *seen);

#endif
