/* log: one structured line per event on stderr.
 *
 *   ts=2026-11-28T10:25:46.123Z level=info event=interview_started id=... mode=full
 *
 * Callers pass key=value text; values with spaces are quoted by the caller through
 * log_q(). Never pass an API key, a token or resume text: there is no filter that
 * would catch it, by design the callers never have them at hand. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int log_level_parse(const char *s);
void log_emit(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) log_emit(LOG_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_emit(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_emit(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_emit(LOG_ERROR, ev, __VA_ARGS__)

#endif
