/* timer: one-shot timers that run on the event loop, or on the simulator's virtual clock.
 *
 * Everything in interviewd that waits (the router's wake-up, a candidate's deadline for
 * a model-written question, the offline provider's deferred answers, simulated provider
 * latency) uses these instead of libevent timers directly. In real mode a timer is an
 * evtimer. Once timer_use_virtual(1) is called (the simulator does, together with
 * clock_use_virtual), timers go into one process-wide heap ordered by due time on the
 * virtual clock, and the simulator's loop runs them with timer_run_due() as it moves
 * the clock: a simulated day runs in seconds with the real engine and router code. */
#ifndef CORE_TIMER_H
#define CORE_TIMER_H

#include <stdint.h>

struct event_base;
struct timer;

typedef void (*timer_fn)(void *data);

/* A stopped timer calling fn(data) when due. base may be NULL in virtual mode. */
struct timer *timer_new(struct event_base *base, timer_fn fn, void *data);
/* (Re)starts it to fire once after delay_ms (0: on the next loop turn, never inside). */
void timer_start(struct timer *t, int64_t delay_ms);
void timer_stop(struct timer *t);
int timer_pending(const struct timer *t);
void timer_free(struct timer *t);

/* Virtual mode, for the simulator. */
void timer_use_virtual(int on);
int timer_is_virtual(void);
/* clock_mono_ms() time of the earliest pending virtual timer, or -1 if none. */
int64_t timer_next_due_ms(void);
/* Runs every virtual timer due at or before clock_mono_ms(), in due order (timers
 * started by callbacks with delay 0 run in the same call). Returns how many ran. */
int timer_run_due(void);

#endif
