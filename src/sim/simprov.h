/* simprov: a simulated LLM provider that lives in the process (no sockets).
 *
 * It implements struct provider_ops like the real client, so the simulator runs the
 * real router, quota windows and engine against it. It enforces its own *true* limits
 * (RPM/TPM over a sliding minute, RPD/TPD per day at its reset time, concurrency) with
 * code independent of llm/quota.c, answers 429 with the rate-limit headers of its style
 * when a call is over a limit, fails a share of calls with 503, and answers after a
 * latency drawn from a log-normal distribution, on the virtual clock (core/timer).
 *
 * Like a real provider it counts tokens with its own tokenizer (sim/misbehave.h: not the
 * router's chars / 4, +-15% per text), charges prompt + completion against TPM/TPD when
 * it accepts a call, and reports that count as usage; and a share of its answers
 * (bad_output_rate) is not clean task JSON: prose, a missing field, JSON wrapped in
 * prose or a code fence, or truncated. The rest is valid task JSON (docs/tasks.md). */
#ifndef SIM_SIMPROV_H
#define SIM_SIMPROV_H

#include "llm/provider.h"

#include <stdint.h>

/* Why a call was refused. */
enum sim_limit {
    SIM_LIMIT_RPM,
    SIM_LIMIT_RPD,
    SIM_LIMIT_TPM,
    SIM_LIMIT_TPD,
    SIM_LIMIT_CONCURRENCY,
    SIM_LIMIT__COUNT,
};

/* "rpm", "rpd", "tpm", "tpd", "concurrency". */
const char *sim_limit_name(enum sim_limit l);

struct sim_provider_stats {
    uint64_t requests;                     /* calls received (accepted or refused) */
    uint64_t ok;                           /* answered 200 */
    uint64_t refused_429;                  /* over a limit */
    uint64_t refused_by[SIM_LIMIT__COUNT]; /* the same by the limit that refused */
    uint64_t bad_outputs;                  /* 200s whose content was spoilt (bad_output_rate) */
    uint64_t violations;                   /* 429s for a limit the router was told about (config) */
    uint64_t failed;                       /* injected 503s */
    uint64_t tokens;                       /* prompt + completion tokens of answered calls */
    uint64_t prompt_tokens;                /* the same split: prompt ... */
    uint64_t completion_tokens;            /* ... and completion (what a price applies to) */
    uint64_t by_task[8];                   /* by enum task_kind, 7 = unknown */
};

struct sim_provider_params {
    double latency_mean_ms; /* mean of the log-normal latency */
    double latency_sd_ms;   /* its standard deviation */
    double fail_rate;       /* share of calls answered 503 */
    double bad_output_rate; /* share of 200s whose content is not clean task JSON */
    int chars4_tokens;      /* count tokens as the router estimates them (chars / 4), for
                             * tests that need exact figures; 0: its own tokenizer */
    uint64_t seed;
    /* true limits; 0 = none. `known` says the router was configured with them. */
    long rpm, rpd, tpm, tpd, concurrency;
    int known;
    int pacific;       /* day resets at midnight America/Los_Angeles */
    const char *style; /* header style: openai | groq | cerebras | none ... */
    /* what its day already used when the simulation starts (a day that began before
     * the simulated one: a Pacific day at 00:00 UTC), and when that day began: the usage
     * counts only while that day lasts (a first call after its reset starts from 0, as
     * the router's ledger does) */
    long day_used_requests, day_used_tokens;
    int64_t day_used_start_ms;
};

struct provider *sim_provider_new(const char *name, const char *model,
                                  const struct sim_provider_params *params,
                                  struct sim_provider_stats *stats);

#endif
