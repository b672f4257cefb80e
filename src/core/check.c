/* check: the failure path of CHECK() (see check.h).
 *
 * One line through the log module, then abort(): a core dump or the sanitizer's stack
 * shows where, the log line says which promise broke. */
#include "core/check.h"

#include "core/log.h"

#include <stdlib.h>

_Noreturn void check_fail(const char *file, int line, const char *expr)
{
    log_error("check_failed", "file=%s line=%d expr=\"%s\"", file, line, expr);
    abort();
}
