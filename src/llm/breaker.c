/* breaker: closed / open / half-open / dead, per deployment.
 *
 * The one idea: after N failures in a row, stop sending and wait; then let exactly one
 * call find out whether the provider is back, and wait twice as long each time it is
 * not, so a provider that is down for an hour costs a handful of probes, not thousands
 * of timeouts. Only the caller knows when calls start and end, so the breaker is told
 * (breaker_on_start, breaker_record) and never guesses. */
#include "llm/breaker.h"

#include <stdio.h>

void breaker_init(struct breaker *b, int threshold, int64_t cooldown_ms, int64_t max_cooldown_ms)
{
    *b = (struct breaker){0};
    b->state = BREAKER_CLOSED;
    b->threshold = threshold > 0 ? threshold : BREAKER_DEFAULT_THRESHOLD;
    b->base_cooldown_ms = cooldown_ms > 0 ? cooldown_ms : BREAKER_DEFAULT_COOLDOWN_MS;
    b->max_cooldown_ms = max_cooldown_ms > 0 ? max_cooldown_ms : BREAKER_DEFAULT_MAX_COOLDOWN_MS;
    if (b->max_cooldown_ms < b->base_cooldown_ms) b->max_cooldown_ms = b->base_cooldown_ms;
    b->cooldown_ms = b->base_cooldown_ms;
}

static void trip(struct breaker *b, int64_t now_ms)
{
    b->state = BREAKER_OPEN;
    b->open_until_ms = now_ms + b->cooldown_ms;
    b->probe_in_flight = 0;
    b->failures = 0;
    b->opens++;
}

int breaker_allow(struct breaker *b, int64_t now_ms)
{
    switch (b->state) {
    case BREAKER_CLOSED:
        return 1;
    case BREAKER_OPEN:
        if (now_ms < b->open_until_ms) return 0;
        b->state = BREAKER_HALF_OPEN;
        b->probe_in_flight = 0;
        return 1;
    case BREAKER_HALF_OPEN:
        return !b->probe_in_flight;
    case BREAKER_DEAD:
        return 0;
    }
    return 0;
}

void breaker_on_start(struct breaker *b, int64_t now_ms)
{
    if (b->state == BREAKER_OPEN && now_ms >= b->open_until_ms) b->state = BREAKER_HALF_OPEN;
    if (b->state == BREAKER_HALF_OPEN) b->probe_in_flight = 1;
}

void breaker_record(struct breaker *b, int64_t now_ms, int success)
{
    if (b->state == BREAKER_DEAD) return;
    if (success < 0) {
        if (b->state == BREAKER_HALF_OPEN) b->probe_in_flight = 0;
        return;
    }
    if (success) {
        b->state = BREAKER_CLOSED;
        b->failures = 0;
        b->probe_in_flight = 0;
        b->cooldown_ms = b->base_cooldown_ms;
        return;
    }
    switch (b->state) {
    case BREAKER_CLOSED:
        if (++b->failures >= b->threshold) trip(b, now_ms);
        break;
    case BREAKER_HALF_OPEN:
        b->cooldown_ms *= 2;
        if (b->cooldown_ms > b->max_cooldown_ms) b->cooldown_ms = b->max_cooldown_ms;
        trip(b, now_ms);
        break;
    case BREAKER_OPEN: /* a call from before it opened: already accounted for */
    case BREAKER_DEAD:
        break;
    }
}

void breaker_kill(struct breaker *b, const char *reason)
{
    b->state = BREAKER_DEAD;
    b->probe_in_flight = 0;
    snprintf(b->reason, sizeof b->reason, "%s", reason && *reason ? reason : "killed");
}

void breaker_revive(struct breaker *b)
{
    b->state = BREAKER_CLOSED;
    b->failures = 0;
    b->probe_in_flight = 0;
    b->cooldown_ms = b->base_cooldown_ms;
    b->open_until_ms = 0;
    b->reason[0] = 0;
}

const char *breaker_state_name(const struct breaker *b)
{
    switch (b->state) {
    case BREAKER_CLOSED:
        return "ok";
    case BREAKER_OPEN:
        return "open";
    case BREAKER_HALF_OPEN:
        return "half_open";
    case BREAKER_DEAD:
        return "dead";
    }
    return "unknown";
}

int64_t breaker_retry_at_ms(const struct breaker *b)
{
    return b->state == BREAKER_OPEN ? b->open_until_ms : 0;
}

int breaker_verdict(enum llm_status status, int http_status)
{
    switch (status) {
    case LLM_OK:
    case LLM_ERR_RATE_LIMITED:
    case LLM_ERR_BAD_RESPONSE:
        return 1;
    case LLM_ERR_NETWORK:
    case LLM_ERR_TIMEOUT:
        return 0;
    case LLM_ERR_HTTP:
        return (http_status >= 500 || http_status == 408 || http_status == 0) ? 0 : 1;
    case LLM_ERR_AUTH:
    case LLM_ERR_CANCELLED:
    default: /* e.g. the router's LLM_ERR_NO_CAPACITY: no provider was asked */
        return -1;
    }
}
