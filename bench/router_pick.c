/* router_pick: what one routing decision costs with 10, 100 and 1,000 deployments.
 *
 * Builds a router over simulated providers (no sockets, virtual clock), spends some of
 * every deployment's quota unevenly by routing real calls through it, then times
 * router_pick() — the whole choice: every deployment's windows, breaker and share of
 * the day left. Prints ns per pick. Run: build/bench_router_pick */
#include "core/clock.h"
#include "core/config.h"
#include "core/timer.h"
#include "core/util.h"
#include "core/log.h"
#include "llm/router.h"
#include "sim/simprov.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void on_done(struct llm_result *r, void *data)
{
    (void)r;
    (*(long *)data)++;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* the bench measures real time on purpose */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void run(int n)
{
    clock_use_virtual(1796083200000LL + 9 * 3600000LL);
    timer_use_virtual(1);
    struct provider_config *cfgs = xcalloc((size_t)n, sizeof *cfgs);
    struct sim_provider_stats *stats = xcalloc((size_t)n, sizeof *stats);
    char(*names)[32] = xcalloc((size_t)n, sizeof *names);
    struct router *r = router_new(NULL, NULL);
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "dep-%d", i);
        cfgs[i] = (struct provider_config){.name = names[i],
                                           .base_url = "sim",
                                           .api_key_env = "",
                                           .model = "m",
                                           .headers = "groq",
                                           .day_reset = i % 5 ? "utc" : "pacific",
                                           .rpm = 30,
                                           .rpd = 1000 + 37 * (i % 50),
                                           .tpm = 6000 + 100 * (i % 20),
                                           .tpd = 500000,
                                           .concurrency = 8,
                                           .timeout_ms = 30000};
        struct sim_provider_params pp = {.latency_mean_ms = 300,
                                         .latency_sd_ms = 100,
                                         .seed = (uint64_t)i + 1,
                                         .rpm = cfgs[i].rpm,
                                         .rpd = cfgs[i].rpd,
                                         .tpm = cfgs[i].tpm,
                                         .tpd = cfgs[i].tpd,
                                         .concurrency = 8,
                                         .known = 1,
                                         .style = "groq"};
        router_add(r, &cfgs[i], sim_provider_new(names[i], "m", &pp, &stats[i]));
    }
    /* uneven use: 5 calls per deployment on average, completed */
    json_t *msgs =
        json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content",
                  "interviewd-task: evaluate v1\nscore it", "role", "user", "content",
                  "<candidate_answer id=\"q\">an answer of some words</candidate_answer>");
    long done = 0, sent = 5L * n;
    for (long k = 0; k < sent; k++) {
        struct llm_request req = {
            .task = "evaluate", .messages = msgs, .max_tokens = 300, .timeout_ms = 30000};
        router_submit(r, &req, ROUTER_BACKGROUND, clock_mono_ms() + 600000, on_done, &done);
        if (k % 50 == 49) {
            clock_advance_ms(2000);
            timer_run_due();
        }
    }
    for (int k = 0; k < 400 && done < sent; k++) {
        int64_t t = timer_next_due_ms();
        if (t < 0) break;
        clock_set_ms(t);
        timer_run_due();
    }
    long iters = n <= 10 ? 2000000 : n <= 100 ? 200000 : 20000;
    volatile long sink = 0;
    double t0 = now_ns();
    for (long k = 0; k < iters; k++)
        sink += router_pick(r, 400 + (k & 255));
    double t1 = now_ns();
    printf("%5d deployments: %9.0f ns per pick (%ld picks, %ld calls routed first)\n", n,
           (t1 - t0) / (double)iters, iters, done);
    (void)sink;
    json_decref(msgs);
    router_free(r);
    free(cfgs);
    free(stats);
    free(names);
    timer_use_virtual(0);
    clock_use_real();
}

int main(void)
{
    log_set_level(LOG_ERROR);
    int sizes[] = {10, 100, 1000};
    for (size_t i = 0; i < 3; i++)
        run(sizes[i]);
    return 0;
}
