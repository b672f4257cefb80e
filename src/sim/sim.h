/* sim: runs whole days of interviews through the real engine, router, quota windows and
 * budget policy, against simulated providers, on a virtual clock.
 *
 * Candidates arrive over the day by the scenario's arrival profile (business hours in
 * several time zones), take their interviews one after another, think before each
 * answer and pause between interviews. The loop moves the clock straight to the next
 * thing that happens (an answer, a provider reply, a router wake-up), so a day of
 * 10,000 interviews runs in seconds. The result is the JSON object of CONTRACT.md's
 * `simulate --json`. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include "core/config.h"
#include "sim/scenario.h"

#include <jansson.h>

struct sim_options {
    int days;     /* simulated days, 1.. */
    int progress; /* draw a progress bar on stderr */
};

/* Runs the scenario; returns the result object or NULL with a sentence in err. The
 * process's clock and timers are virtual afterwards. */
json_t *sim_run(struct config *cfg, const struct workload *w, const struct sim_options *opt,
                char *err, size_t errlen);

/* The capacity planner: per mode, the interviews per day the fleet in cfg sustains and
 * which limit binds first at each deployment; what to add to reach `target`. */
json_t *sim_plan(const struct config *cfg, const struct workload *w, double target);
/* Issue 16: removes the deployments of cfg whose free limits are not confirmed
 * (confirmed = no, or not said) and returns their names (caller decrefs). */
json_t *sim_keep_confirmed(struct config *cfg);
/* A readable rendering of sim_run's / sim_plan's JSON. */
void sim_print_result(const json_t *r, FILE *f);
void sim_print_plan(const json_t *p, FILE *f);

#endif
