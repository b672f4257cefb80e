/* clock: the only place interviewd reads time.
 *
 * Everything else asks clock_now_ms() (wall time, for timestamps and day resets) or
 * clock_mono_ms() (for durations and timeouts). The simulator swaps in a virtual clock
 * with clock_use_virtual() and moves it with clock_advance_ms(), so the router, quota
 * windows, cache TTLs and engine run unchanged on simulated days. */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (UTC). */
int64_t clock_now_ms(void);
/* Milliseconds on a monotonic clock; only differences are meaningful. */
int64_t clock_mono_ms(void);
/* Switch to a virtual clock starting at start_ms (epoch ms); both readings follow it. */
void clock_use_virtual(int64_t start_ms);
void clock_advance_ms(int64_t delta_ms);
void clock_set_ms(int64_t now_ms);
/* Back to the system clock. */
void clock_use_real(void);
int clock_is_virtual(void);
/* Seconds since the epoch, for formatting. */
int64_t clock_now_s(void);
/* Formats now (UTC) as "2026-11-28T10:25:46.123Z" into buf (at least 32 bytes). */
void clock_format_iso(int64_t ms, char *buf, unsigned len);

#endif
