/* flight: single-flight request coalescing, the one place interviewd does it.
 *
 * When several requests need the same LLM result at once (ten candidates starting the
 * same role's interview, a client retrying), only the first, the leader, makes the
 * call; the others wait for its answer, like Go's singleflight or Varnish's waiting
 * list. Usage:
 *
 *     switch (flight_join(g, key, on_result, req)) {
 *     case FLIGHT_LEADER: start_llm_call(key); break; // ends in flight_finish(g, key, ...)
 *     case FLIGHT_WAITER: break;                      // on_result will be called
 *     case FLIGHT_FULL: serve_fallback(req); break;   // on_result will NOT be called
 *     }
 *
 * Every join that returns FLIGHT_LEADER or FLIGHT_WAITER, the leader's included, has its
 * callback called exactly once, by flight_finish() or flight_group_free(), in join order,
 * so callers handle the result in one place whoever did the work.
 *
 * Nothing is remembered: flight_finish() detaches the flight before calling anyone, so a
 * join made after it, or from inside one of its callbacks, starts a new flight. An error
 * (result NULL) therefore reaches exactly the callers that were waiting for that attempt
 * and no one else; remembering successes is the cache's job, not this module's. */
#ifndef OPTIMIZE_FLIGHT_H
#define OPTIMIZE_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

/* Most callers queued behind one leader. A burst beyond it is a bug or an attack, and
 * the caller is better served by a fallback than by a list without end. */
#define FLIGHT_MAX_WAITERS 1024
/* Longest key accepted (keys are cache keys, well under this). */
#define FLIGHT_KEY_MAX 1024

enum flight_role {
    FLIGHT_WAITER = 0, /* queued: cb will be called when the leader finishes */
    FLIGHT_LEADER = 1, /* do the work, then call flight_finish(); cb is called too */
    FLIGHT_FULL = 2,   /* FLIGHT_MAX_WAITERS already wait (or key unusable): cb is not called */
};

/* result: the leader's bytes (len of them), borrowed until the callback returns, or
 * NULL with len 0 if the leader failed. */
typedef void (*flight_done_fn)(const char *result, size_t len, void *data);

struct flight_group;

/* Counters since creation. */
struct flight_stats {
    uint64_t leaders;  /* flights started */
    uint64_t waiters;  /* joins that waited instead of calling (calls saved) */
    uint64_t full;     /* joins refused with FLIGHT_FULL */
    uint64_t errors;   /* flights finished with result NULL */
    uint64_t inflight; /* flights started and not finished, now */
};

struct flight_group *flight_group_new(void);
/* Ends every unfinished flight as an error (its callbacks get NULL), then frees g. Must
 * not be called from inside one of g's callbacks. NULL is allowed. */
void flight_group_free(struct flight_group *g);

/* Joins the flight for key, starting it if there is none. Returns FLIGHT_LEADER,
 * FLIGHT_WAITER or FLIGHT_FULL (also for a NULL, empty or over-long key). O(1). */
enum flight_role flight_join(struct flight_group *g, const char *key, flight_done_fn cb,
                             void *data);

/* Ends the flight for key: calls every joined callback in join order with result (NULL
 * on error) and forgets the flight. A key with no flight is ignored. */
void flight_finish(struct flight_group *g, const char *key, const char *result, size_t len);

/* Callers waiting on key now, the leader included; 0 if there is no flight. */
size_t flight_waiting(const struct flight_group *g, const char *key);

void flight_stats(const struct flight_group *g, struct flight_stats *out);

#endif
