/* breaker: a circuit breaker per deployment, so a provider that is down is left alone
 * instead of eating every call's timeout.
 *
 *   ok (closed) --N consecutive failures--> open --cool-down elapsed--> half_open
 *   half_open: one probe call at a time; success -> ok (cool-down back to the base),
 *              failure -> open again with the cool-down doubled (up to the maximum)
 *   dead: set by breaker_kill() for auth failures (401/402/403); only breaker_revive()
 *         (a reconfiguration) clears it.
 *
 * What is a failure is health, not quota: network errors, timeouts, 5xx and 408 are;
 * 429s, other 4xx and invalid output are not (the provider answered, so it is up) and
 * count as successes; a cancelled call says nothing (breaker_verdict()). Quota refusals
 * are llm/quota.c's business.
 *
 * Pure: no clock reads (every function takes now_ms), no I/O, no allocation. */
#ifndef LLM_BREAKER_H
#define LLM_BREAKER_H

#include "llm/provider.h"

#include <stdint.h>

#define BREAKER_DEFAULT_THRESHOLD 5             /* consecutive failures that open it */
#define BREAKER_DEFAULT_COOLDOWN_MS 30000L      /* first open period */
#define BREAKER_DEFAULT_MAX_COOLDOWN_MS 600000L /* doubling stops here (10 min) */
#define BREAKER_REASON_MAX 128                  /* bytes kept of a kill reason */

enum breaker_state {
    BREAKER_CLOSED = 0, /* "ok": calls flow */
    BREAKER_OPEN,       /* no calls until open_until_ms */
    BREAKER_HALF_OPEN,  /* one probe call at a time */
    BREAKER_DEAD,       /* no calls until breaker_revive */
};

struct breaker {
    enum breaker_state state;
    int threshold;                   /* consecutive failures that open it */
    int64_t base_cooldown_ms;        /* open period after a fresh open */
    int64_t max_cooldown_ms;         /* cap of the doubling */
    int64_t cooldown_ms;             /* open period of the current/next open */
    int64_t open_until_ms;           /* when OPEN: the earliest probe */
    int failures;                    /* consecutive failures while closed */
    int probe_in_flight;             /* HALF_OPEN: the probe call has started */
    unsigned opens;                  /* times opened since start (for status pages) */
    char reason[BREAKER_REASON_MAX]; /* DEAD: why */
};

/* Closed. 0 (or negative) for any setting takes its default. */
void breaker_init(struct breaker *b, int threshold, int64_t cooldown_ms, int64_t max_cooldown_ms);
/* 1 if a call may start now. Moves OPEN to HALF_OPEN once the cool-down is over; in
 * HALF_OPEN allows a call only while no probe is in flight. Allowing reserves nothing:
 * call breaker_on_start when the call really starts. */
int breaker_allow(struct breaker *b, int64_t now_ms);
/* A call starts. In HALF_OPEN it is the probe: no other call is allowed until its
 * breaker_record. */
void breaker_on_start(struct breaker *b, int64_t now_ms);
/* A call ended: success 1, failure 0, negative = no verdict (cancelled: only releases a
 * probe). A success closes from any state but dead; a failure opens after `threshold`
 * in a row, or at once in HALF_OPEN (cool-down doubled). Failures of calls that started
 * before it opened do not extend an open period. */
void breaker_record(struct breaker *b, int64_t now_ms, int success);
/* Dead until breaker_revive: the key is missing, wrong or out of credit. reason is
 * copied (truncated to BREAKER_REASON_MAX - 1 bytes). */
void breaker_kill(struct breaker *b, const char *reason);
/* Back to closed with the base cool-down, e.g. after the key was reconfigured. */
void breaker_revive(struct breaker *b);
/* "ok", "open", "half_open" or "dead". */
const char *breaker_state_name(const struct breaker *b);
/* When OPEN: the earliest time a probe is allowed; otherwise 0 (now, or for DEAD never:
 * check the state). */
int64_t breaker_retry_at_ms(const struct breaker *b);
/* The verdict of a result for breaker_record: 1 (the provider answered: OK, 429, bad
 * output, 4xx other than 408), 0 (network, timeout, 5xx, 408), -1 (cancelled, no capacity,
 * or auth, which the caller handles with breaker_kill). */
int breaker_verdict(enum llm_status status, int http_status);

#endif
