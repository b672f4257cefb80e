/* log: structured key=value lines on stderr, one write() per line so lines from one
 * process never interleave. */
#include "core/log.h"

#include "core/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0) return i;
    return -1;
}

void log_emit(enum log_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level) return;
    char line[2048];
    char ts[32];
    clock_format_iso(clock_now_ms(), ts, sizeof ts);
    int n = snprintf(line, sizeof line, "ts=%s level=%s event=%s ", ts, level_names[level], event);
    if (n < 0 || (size_t)n >= sizeof line) return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    size_t len = (size_t)n + ((size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m : sizeof line - (size_t)n - 2);
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
