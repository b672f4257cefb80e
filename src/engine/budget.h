/* budget: which mode an interview runs in, so the whole day fits the free quotas.
 *
 * Each mode has a cost in provider calls per interview (measured by the tests against
 * mockllm, and used here as planning figures). Given the calls the fleet can still make
 * today and the interviews still expected today, auto picks the richest mode whose
 * cost, times the interviews still to come, fits in what is left with a safety margin;
 * so the last interviews of the day are served like the first instead of failing.
 * Without any capacity the answer is offline. */
#ifndef ENGINE_BUDGET_H
#define ENGINE_BUDGET_H

enum budget_mode { BUDGET_OFFLINE, BUDGET_ECONOMY, BUDGET_BALANCED, BUDGET_FULL };

/* Planned provider calls per interview in each mode (see budget.c for the arithmetic). */
double budget_mode_cost(enum budget_mode m);
const char *budget_mode_name(enum budget_mode m);
/* -1 for unknown names; "auto" is not a mode. */
int budget_mode_parse(const char *name);

/* The richest mode such that cost(mode) * interviews_left <= calls_left * margin, or
 * offline. calls_left < 0 means "unknown/unlimited" (full). */
enum budget_mode budget_choose(double calls_left, double interviews_left, double margin);

/* Interviews still expected today: expected_per_day scaled by the share of the day's
 * arrivals still to come (business-hours profile), never less than 1. */
double budget_interviews_left(double expected_per_day, long started_today,
                              double day_fraction_elapsed);

#endif
