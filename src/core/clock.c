/* clock: real or virtual time; see clock.h. The one file allowed to call
 * clock_gettime(). */
#include "core/clock.h"

#include <stdio.h>
#include <time.h>

static int virtual_on;      /* 1 while the simulator drives time */
static int64_t virtual_now; /* virtual epoch ms */

int64_t clock_now_ms(void)
{
    if (virtual_on) return virtual_now;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    if (virtual_on) return virtual_now;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_use_virtual(int64_t start_ms)
{
    virtual_on = 1;
    virtual_now = start_ms;
}

void clock_advance_ms(int64_t delta_ms)
{
    if (delta_ms > 0) virtual_now += delta_ms;
}

void clock_set_ms(int64_t now_ms)
{
    if (now_ms > virtual_now) virtual_now = now_ms;
}

void clock_use_real(void)
{
    virtual_on = 0;
}

int clock_is_virtual(void)
{
    return virtual_on;
}

int64_t clock_now_s(void)
{
    return clock_now_ms() / 1000;
}

void clock_format_iso(int64_t ms, char *buf, unsigned len)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}
