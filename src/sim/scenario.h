/* scenario: the [workload] and [sim] sections of a scenario file (CONTRACT.md).
 *
 * A scenario file is a normal config ([provider.*] sections with limits, plus any
 * server section) with a [workload] section describing a day of demand and an optional
 * [sim] section describing how simulated providers behave. Every key has a default,
 * documented here and in data/scenarios/free-2026.ini. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define SCENARIO_MAX_ZONES 8

struct workload {
    long candidates;               /* 1000 */
    long interviews_per_candidate; /* 10 */
    long questions_per_interview;  /* 12 */
    int business_hours;            /* arrival = business_hours (1) | uniform (0) */
    int n_zones;                   /* timezones = "americas:0.4,europe:0.35,asia:0.25" */
    char zone_name[SCENARIO_MAX_ZONES][16];
    double zone_share[SCENARIO_MAX_ZONES];
    int zone_offset_h[SCENARIO_MAX_ZONES]; /* americas -5, europe +1, asia +8, else 0 */
    double answer_tokens_mean;             /* 120 */
    double answer_tokens_sd;               /* 60 */
    double resume_tokens_mean;             /* 700 */
    double resume_reupload_share;          /* 0.1 (read, reported; re-uploads are not simulated) */
    double empty_answer_share;             /* 0.04 */
    double dont_know_share;                /* 0.03 */
    double think_seconds_mean;             /* turn_think_seconds_mean = 60 */
    double break_minutes_mean;             /* between a candidate's interviews, 10 */
    uint64_t seed;                         /* 1 */
    /* [sim] */
    double latency_ms_mean; /* provider latency, log-normal: 900 */
    double latency_ms_sd;   /* 500 */
    double fail_rate;       /* share of provider calls that fail with 503: 0.01 */
    double bad_output_rate; /* share of provider answers that are not clean task JSON
                             * (prose, a missing field, wrapped, fenced, truncated):
                             * 0.05 */
};

void workload_defaults(struct workload *w);
/* Reads [workload] and [sim] of path over the defaults. -1 with "FILE:LINE: ..." in err. */
int workload_load(struct workload *w, const char *path, char *err, size_t errlen);

#endif
