/* log: one structured line per event on stderr.
 *
 *   ts=2026-11-28T10:25:46.123Z level=info event=answer_saved rid=3f9c0a7d5e21b846 interview=...
 *
 * Callers pass key=value text and quote values that may hold spaces themselves
 * (reason="..."). While a request is being handled the HTTP layer sets its id with
 * log_set_request_id(), and every line logged meanwhile carries rid=<id>, so the lines
 * one request caused can be found together. Control characters (a newline inside an
 * error message) are replaced by spaces: one event is always one line. Never pass an
 * API key, a token or resume text: there is no filter that would catch it, by design
 * the callers never have them at hand. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int log_level_parse(const char *s);
/* 1 if a line at level would be written (to skip building costly values). */
int log_enabled(enum log_level level);
/* The request being handled now (copied), or NULL when none. Lines whose format
 * already names a rid= keep their own. */
void log_set_request_id(const char *rid);
void log_emit(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) log_emit(LOG_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_emit(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_emit(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_emit(LOG_ERROR, ev, __VA_ARGS__)

#endif
