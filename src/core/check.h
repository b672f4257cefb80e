/* check: invariants that stay on in every build.
 *
 * CHECK(cond) is for what must hold for the process to go on without corrupting state:
 * a NULL where a caller promised an object, a turn index outside its interview, a count
 * gone negative. A failed check logs one line (event=check_failed, the file, the line
 * and the expression) through the log module and aborts, in release builds too, the way
 * Varnish asserts: a crash that names the broken promise is cheaper than a store that
 * quietly holds a wrong score. They are cheap (a compare and a branch), so they stay on;
 * use assert() for expensive checks that only tests should pay for.
 *
 * Not for bad input: an HTTP body, a model's reply or a config file can be wrong
 * without any bug, and those get an error a person can act on, never a CHECK. */
#ifndef CORE_CHECK_H
#define CORE_CHECK_H

/* Logs "check_failed file=F line=L expr=\"E\"" at error level and aborts. */
_Noreturn void check_fail(const char *file, int line, const char *expr);

#define CHECK(cond) ((cond) ? (void)0 : check_fail(__FILE__, __LINE__, #cond))

#endif
