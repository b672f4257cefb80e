/* budget: mode costs and the auto choice; see budget.h.
 *
 * Costs per interview for a candidate taking 10 interviews with 12 questions each:
 *   full     12 evaluate calls (each also writes the next adaptive question)
 *            + 1 summary + 0.1 resume analysis (one per candidate)     = 13.1
 *   balanced 2 batch calls (the second carries the summary) + 0.1     =  2.1
 *   economy  1 batch call with the summary + 0.1                       =  1.1
 *   offline  0
 * Pre-checked answers make the real figures a little lower. */
#include "engine/budget.h"

#include <string.h>

static const char *names[] = {"offline", "economy", "balanced", "full"};
static const double costs[] = {0.0, 1.1, 2.1, 13.1};

double budget_mode_cost(enum budget_mode m)
{
    return costs[m];
}

const char *budget_mode_name(enum budget_mode m)
{
    return names[m];
}

int budget_mode_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

enum budget_mode budget_choose(double calls_left, double interviews_left, double margin)
{
    if (calls_left < 0) return BUDGET_FULL;
    if (interviews_left < 1) interviews_left = 1;
    for (int m = BUDGET_FULL; m > BUDGET_OFFLINE; m--)
        if (costs[m] * interviews_left <= calls_left * margin) return (enum budget_mode)m;
    /* Not even economy fits for everyone expected: serve this interview economically
     * while any call is left, so the earliest arrivals do not take the day's quota. */
    return calls_left >= costs[BUDGET_ECONOMY] ? BUDGET_ECONOMY : BUDGET_OFFLINE;
}

/* Share of a business-hours day's arrivals that come after `elapsed` (0..1 of the UTC
 * day): a piecewise-linear cumulative curve, flat at night. Three time zones spread
 * demand, so the curve is kept simple: 5% before 06:00, 85% between 06:00 and 20:00,
 * 10% after. */
static double arrivals_done(double elapsed)
{
    double h = elapsed * 24.0;
    if (h <= 6) return 0.05 * h / 6.0;
    if (h <= 20) return 0.05 + 0.85 * (h - 6) / 14.0;
    return 0.90 + 0.10 * (h - 20) / 4.0;
}

double budget_interviews_left(double expected_per_day, long started_today,
                              double day_fraction_elapsed)
{
    if (day_fraction_elapsed < 0) day_fraction_elapsed = 0;
    if (day_fraction_elapsed > 1) day_fraction_elapsed = 1;
    double by_profile = expected_per_day * (1.0 - arrivals_done(day_fraction_elapsed));
    double by_count = expected_per_day - (double)started_today;
    double left = by_profile < by_count ? by_count : by_profile;
    return left < 1 ? 1 : left;
}
