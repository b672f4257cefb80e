/* log: structured key=value lines on stderr, one write() per line so lines from one
 * process never interleave. The request id is process-wide state, which is right for
 * one event loop: a handler runs to completion before the next request's starts. */
#include "core/log.h"

#include "core/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048 /* longer lines are cut, never split */
#define LOG_RID_MAX 32    /* request ids are 16 hex digits; longer ones are cut */

static enum log_level min_level = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};
static char current_rid[LOG_RID_MAX + 1]; /* empty when no request is being handled */

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

int log_enabled(enum log_level level)
{
    return level >= min_level;
}

void log_set_request_id(const char *rid)
{
    current_rid[0] = 0;
    if (!rid) return;
    size_t n = 0;
    /* only [0-9A-Za-z_-]: a rid is printed bare, unquoted */
    for (; rid[n] && n < LOG_RID_MAX; n++) {
        char c = rid[n];
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '_' || c == '-';
        current_rid[n] = ok ? c : '_';
    }
    current_rid[n] = 0;
}

void log_emit(enum log_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level) return;
    char line[LOG_LINE_MAX];
    char ts[32];
    clock_format_iso(clock_now_ms(), ts, sizeof ts);
    int n;
    if (current_rid[0] && !strstr(fmt, "rid="))
        n = snprintf(line, sizeof line, "ts=%s level=%s event=%s rid=%s ", ts, level_names[level],
                     event, current_rid);
    else
        n = snprintf(line, sizeof line, "ts=%s level=%s event=%s ", ts, level_names[level], event);
    if (n < 0 || (size_t)n >= sizeof line) return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    size_t len =
        (size_t)n +
        ((size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m : sizeof line - (size_t)n - 2);
    while (len > 0 && line[len - 1] == ' ')
        len--; /* an empty fmt leaves a trailing space */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) line[i] = ' ';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
