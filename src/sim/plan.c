/* plan: the capacity planner: arithmetic over the limits, no simulation.
 *
 * For every deployment the daily calls it can carry are bounded by four limits:
 *   RPD                      requests per day, as is
 *   TPD / tokens_per_call    tokens per day
 *   RPM * 60 / peak_share    the busiest hour carries peak_share of the day's calls, so
 *                            RPM caps the day at what the peak hour allows
 *   floor(TPM / reserved) * 60 / peak_share
 *                            a minute holds only whole calls, each counted at what the
 *                            router reserves for it before sending (its prompt plus the
 *                            deployment's token_margin_pct, plus the whole completion
 *                            allowance), not at what it uses: a deployment whose TPM is
 *                            below one reservation carries no call of that mode at all
 *                            (issue 16: Groq's free 8,000 TPM and a 12-answer batch)
 * The smallest one binds. The fleet carries the sum (the router spreads calls by
 * each deployment's share of the day left). A mode's interviews per day is that sum over
 * the mode's calls per interview (engine/budget.c); tokens per call differ by mode
 * (batched calls are bigger). What is printed is what the limits allow, assuming the
 * router packs perfectly; `interviewd simulate` measures what a day really does.
 *
 * Priced deployments (issue 16) are not part of the free fleet: they add what the spend
 * cap ([budget] max_usd_per_day) buys, at most their own limits. For --target N the
 * planner names the cheapest top-up: the calls the free fleet lacks, on the priced
 * deployment that costs least per call and can carry them, plus PLAN_HEADROOM, in USD a
 * day; the one said at the top is economy's, the mode the engine runs when it pays
 * (engine_mode_now). tests/integration/simulate.test.mjs runs `simulate` under the named
 * cap and requires 99% of the steady state's interviews model-scored. Calls per interview count the
 * retries of answers that are not clean task JSON (the workload's bad_output_rate: the engine asks
 * once more), since those are paid too. */
#include "sim/sim.h"

#include "engine/budget.h"
#include "engine/scoring.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokens per provider call by mode (prompt + completion) and the completion's share,
 * measured by the simulator with the real prompts (llm/task.c, prompt version 3 after the
 * token diet of issue 16) and the simulated providers' own token counts and model-length
 * replies, in the steady state the plan is for: `interviewd simulate --scenario S
 * --candidates 50 --interviews-per-candidate 10 --days 3 --json`, S being
 * data/scenarios/free-2026.ini with [budget] mode set to the mode, steady_state's
 * tokens_used / llm_calls and tokens_split (README, "Tokens per interview"):
 *   economy   2,157,107 tokens / 510 calls = 4,234 (completion 328,650, 15.2%)
 *   balanced  2,397,591 / 1,044 = 2,297 (346,246, 14.4%)
 *   full      5,173,585 / 6,243 = 829 (365,063, 7.1%)
 * A full-mode call scores one answer and writes the next question; a batch carries 6 or
 * 12 answers and each category's anchors once. Prices differ for prompt and completion,
 * so the split matters. bench/tokens.sh counts the same prompts with real tokenizers
 * (o200k, Llama 3): about a quarter fewer prompt tokens than the simulated providers
 * count. tests/integration/simulate.test.mjs fails when the economy figure is more than
 * 15% off what the simulator measures on tests/data/scenarios/overflow.ini. */
static double tokens_per_call(enum budget_mode m)
{
    switch (m) {
    case BUDGET_FULL:
        return 829;
    case BUDGET_BALANCED:
        return 2297;
    case BUDGET_ECONOMY:
        return 4234;
    default:
        return 0;
    }
}

static double completion_share(enum budget_mode m)
{
    switch (m) {
    case BUDGET_FULL:
        return 0.071;
    case BUDGET_BALANCED:
        return 0.144;
    default:
        return 0.152;
    }
}

/* The completion allowance (max_tokens) of a mode's typical call, which the router
 * reserves in full until the call settles (engine/scoring.c's reply caps): economy one
 * batch of every answer with the summary; balanced the larger of two halves, the second
 * with the summary; full an evaluation that writes the next question. */
static double completion_allowance(enum budget_mode m, const struct workload *w)
{
    int q = w->questions_per_interview > 0 ? (int)w->questions_per_interview : 12;
    switch (m) {
    case BUDGET_FULL:
        return scoring_eval_max_tokens(1);
    case BUDGET_BALANCED:
        return scoring_batch_max_tokens((q + 1) / 2, 1, 0);
    case BUDGET_ECONOMY:
        return scoring_batch_max_tokens(q, 1, 0);
    default:
        return 0;
    }
}

/* What the router reserves at p for a call of mode m (llm/router.c est_at): the prompt
 * with p's token_margin_pct, and the completion allowance. */
static double reserved_per_call(const struct provider_config *p, enum budget_mode m,
                                const struct workload *w)
{
    double margin = p->token_margin_pct > 0 ? (double)p->token_margin_pct / 100.0 : 0;
    return tokens_per_call(m) * (1 - completion_share(m)) * (1 + margin) +
           completion_allowance(m, w);
}

/* engine/budget.c's mode costs include 0.1 call per interview for the resume analysis
 * (one per candidate, who takes 10 interviews). The plan is for the steady state of
 * `simulate --days N` (days 2..N), where the day's candidates were analysed on an earlier
 * day and only re-uploaded resumes are analysed again: that share replaces it. */
#define BUDGET_COST_RESUME 0.1

static double calls_per_interview(enum budget_mode m, const struct workload *w)
{
    double per = w->interviews_per_candidate > 0 ? (double)w->interviews_per_candidate : 10;
    /* an answer that is not clean task JSON is asked for once more (engine/call.c) */
    return (budget_mode_cost(m) - BUDGET_COST_RESUME + w->resume_reupload_share / per) *
           (1 + w->bad_output_rate);
}

/* The top-up is sized this much above the calls missing: the free fleet never packs
 * as perfectly as the arithmetic says. */
#define PLAN_HEADROOM 0.10

/* USD per call of tpc tokens at p. */
static double usd_per_call(const struct provider_config *p, double tpc, enum budget_mode m)
{
    double cs = completion_share(m);
    return tpc * ((1 - cs) * p->price_in_per_mtok + cs * p->price_out_per_mtok) / 1e6;
}

/* Share of the day's interviews in its busiest hour for the workload's arrival profile. */
static double peak_share(const struct workload *w)
{
    static const double hw[24] = {0,   0,   0,   0,   0,   0,   0,   0, 0.2, 1.0, 1.6, 1.4,
                                  0.8, 0.9, 1.5, 1.3, 1.0, 0.7, 0.3, 0, 0,   0,   0,   0};
    if (!w->business_hours) return 1.0 / 18.0; /* uniform over the first 18 h */
    double total = 0, by_hour[24] = {0};
    for (int h = 0; h < 24; h++)
        total += hw[h];
    for (int z = 0; z < w->n_zones; z++)
        for (int h = 0; h < 24; h++) {
            int utc = ((h - w->zone_offset_h[z]) % 24 + 24) % 24;
            by_hour[utc] += w->zone_share[z] * hw[h] / total;
        }
    double peak = 0;
    for (int h = 0; h < 24; h++)
        if (by_hour[h] > peak) peak = by_hour[h];
    /* an interview lasts about 15-20 minutes, so calls trail arrivals: the peak hour of
     * calls is no sharper than the peak hour of arrivals */
    return peak;
}

json_t *sim_plan(const struct config *cfg, const struct workload *w, double target)
{
    double peak = peak_share(w);
    json_t *modes = json_object(), *per_dep = json_array(), *max_j = json_object();
    enum budget_mode list[] = {BUDGET_FULL, BUDGET_BALANCED, BUDGET_ECONOMY};
    for (size_t k = 0; k < 3; k++) {
        enum budget_mode m = list[k];
        double tpc = tokens_per_call(m);
        double fleet = 0, best_cap = 0, spread = 0, paid_calls = 0, cheapest = -1;
        const char *best_name = NULL;
        const struct provider_config *topup = NULL;
        double topup_cap = 0;
        json_t *deps = json_array();
        for (int i = 0; i < cfg->n_providers; i++) {
            const struct provider_config *p = &cfg->providers[i];
            int priced = provider_config_priced(p);
            /* whole calls a minute by TPM, each at its reservation (0: none fits) */
            double per_min_tpm = p->tpm ? floor((double)p->tpm / reserved_per_call(p, m, w)) : 0;
            struct {
                const char *name;
                double calls;
            } lim[4] = {
                {"rpd", p->rpd ? (double)p->rpd : INFINITY},
                {"tpd", p->tpd ? (double)p->tpd / tpc : INFINITY},
                {"rpm_at_peak_hour", p->rpm ? (double)p->rpm * 60.0 / peak : INFINITY},
                {"tpm_at_peak_hour", p->tpm ? per_min_tpm * 60.0 / peak : INFINITY},
            };
            int b = 0;
            for (int j = 1; j < 4; j++)
                if (lim[j].calls < lim[b].calls) b = j;
            double cap = lim[b].calls;
            /* if evaluations may wait for quiet hours (they do: background calls queue,
             * and heuristic-scored answers are re-scored later), the minute limits bind
             * over the whole day instead of the peak hour */
            double day_cap = fmin(fmin(lim[0].calls, lim[1].calls),
                                  fmin(p->rpm ? (double)p->rpm * 1440.0 : INFINITY,
                                       p->tpm ? per_min_tpm * 1440.0 : INFINITY));
            if (!isinf(day_cap) && !priced) spread += day_cap;
            json_t *d =
                json_pack("{s:s,s:s,s:f,s:b}", "name", p->name, "binding",
                          isinf(cap) ? "none (no limits known)" : lim[b].name, "calls_per_day",
                          isinf(cap) ? -1.0 : floor(cap), "confirmed", p->confirmed);
            if (p->tpm && per_min_tpm < 1) /* say why a deployment carries nothing */
                json_object_set_new(d, "call_larger_than_tpm", json_true());
            if (priced) {
                double upc = usd_per_call(p, tpc, m);
                json_object_set_new(d, "usd_per_call", json_real(upc));
                json_array_append_new(deps, d);
                /* what the cap buys here, within its limits; the cap is shared, so the
                 * fleet's paid calls are bounded by the cheapest below */
                if (cheapest < 0 || upc < cheapest) cheapest = upc;
                paid_calls += cap;
                if (!topup || upc < usd_per_call(topup, tpc, m)) {
                    topup = p;
                    topup_cap = cap;
                }
                continue;
            }
            json_array_append_new(deps, d);
            if (isinf(cap)) {
                fleet = INFINITY;
                continue;
            }
            fleet += cap;
            if (cap > best_cap) {
                best_cap = cap;
                best_name = p->name;
            }
        }
        double cost = calls_per_interview(m, w);
        double free_fleet = fleet;
        if (cheapest > 0 && cfg->max_usd_per_day > 0 && !isinf(fleet))
            fleet += fmin(paid_calls, cfg->max_usd_per_day / cheapest);
        /* issue 14: new interviews start in a model mode only until [budget]
         * interview_reserve_percent of each day is left; that share serves the interviews
         * already running, so few new ones start on it */
        double for_new = 1.0 - (double)cfg->interview_reserve_percent / 100.0;
        double max_iv = isinf(fleet) ? -1 : floor(fleet * for_new / cost);
        json_t *mj =
            json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:o}", "calls_per_interview", cost,
                      "completion_share", completion_share(m), "tokens_per_call", tpc,
                      "fleet_calls_per_day", isinf(fleet) ? -1.0 : floor(fleet),
                      "max_interviews_per_day", max_iv, "max_interviews_per_day_spread",
                      isinf(fleet) ? -1.0 : floor(spread * for_new / cost), "deployments", deps);
        if (target > 0 && topup && !isinf(free_fleet) && floor(free_fleet / cost) < target) {
            double missing = (target * cost - free_fleet) * (1 + PLAN_HEADROOM);
            double usd = missing * usd_per_call(topup, tpc, m);
            usd = ceil(usd * 100) / 100; /* whole cents, rounded up */
            char advice[400];
            if (missing <= topup_cap)
                snprintf(
                    advice, sizeof advice,
                    "$%.2f a day on deployment %s gives every interview a model score "
                    "(%.0f calls a day beyond the free fleet's %.0f, %.0f%% headroom included)",
                    usd, topup->name, missing, floor(free_fleet), 100 * PLAN_HEADROOM);
            else
                snprintf(advice, sizeof advice,
                         "%s, the cheapest priced deployment, carries %.0f calls a day of the %.0f "
                         "missing: not enough on its own",
                         topup->name, floor(topup_cap), missing);
            json_object_set_new(mj, "to_reach_target", json_string(advice));
            json_object_set_new(mj, "usd_per_day",
                                missing <= topup_cap ? json_real(usd) : json_null());
            json_object_set_new(mj, "top_up_deployment", json_string(topup->name));
        } else if (target > 0 && !isinf(fleet) && max_iv < target) {
            double missing_calls = target * cost - fleet;
            double more = best_cap > 0 ? ceil(missing_calls / best_cap) : -1;
            char advice[300];
            if (best_name)
                snprintf(advice, sizeof advice,
                         "%.0f more calls per day are needed: about %.0f more deployments like %s "
                         "(another key or provider with the same limits)",
                         missing_calls, more, best_name);
            else
                snprintf(advice, sizeof advice, "%.0f more calls per day are needed",
                         missing_calls);
            json_object_set_new(mj, "to_reach_target", json_string(advice));
        }
        json_object_set_new(modes, budget_mode_name(m), mj);
        json_object_set_new(max_j, budget_mode_name(m), json_real(max_iv));
        if (k == 0) json_array_extend(per_dep, deps);
    }
    json_t *out =
        json_pack("{s:f,s:f,s:o,s:o,s:f}", "peak_hour_share", peak, "target", target, "modes",
                  modes, "max_interviews_per_day", max_j, "max_usd_per_day", cfg->max_usd_per_day);
    /* The top-up, said once at the top: economy's. Money buys model scores, not richer
     * interviews: when the free fleet cannot carry the day the engine runs economy and
     * sends to a priced deployment only what free capacity cannot serve
     * (engine_mode_now), so that is the mode the cap must pay for. */
    json_t *mj = json_object_get(modes, budget_mode_name(BUDGET_ECONOMY));
    json_t *u = json_object_get(mj, "usd_per_day");
    if (json_is_number(u)) {
        json_object_set(out, "usd_per_day", u);
        json_object_set(out, "to_reach_target", json_object_get(mj, "to_reach_target"));
        json_object_set_new(out, "top_up_mode", json_string(budget_mode_name(BUDGET_ECONOMY)));
    }
    json_decref(per_dep);
    return out;
}

void sim_print_plan(const json_t *p, FILE *f)
{
    fprintf(f, "busiest hour carries %.1f%% of the day's calls\n",
            100 * json_number_value(json_object_get(p, "peak_hour_share")));
    const char *name;
    json_t *m;
    json_object_foreach(json_object_get(p, "modes"), name, m)
    {
        fprintf(f, "\n%s mode: %.1f calls/interview, ~%.0f tokens/call\n", name,
                json_number_value(json_object_get(m, "calls_per_interview")),
                json_number_value(json_object_get(m, "tokens_per_call")));
        double mx = json_number_value(json_object_get(m, "max_interviews_per_day"));
        if (mx < 0)
            fprintf(f, "  max interviews/day: unlimited (some deployment has no known limits)\n");
        else
            fprintf(f,
                    "  max interviews/day: %.0f if calls follow arrivals (fleet: %.0f calls/day); "
                    "%.0f if evaluations may wait for quiet hours\n",
                    mx, json_number_value(json_object_get(m, "fleet_calls_per_day")),
                    json_number_value(json_object_get(m, "max_interviews_per_day_spread")));
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(m, "deployments"), i, d)
        {
            fprintf(f, "    %-24s %8.0f calls/day, bound by %s\n",
                    json_string_value(json_object_get(d, "name")),
                    json_number_value(json_object_get(d, "calls_per_day")),
                    json_string_value(json_object_get(d, "binding")));
        }
        const char *adv = json_string_value(json_object_get(m, "to_reach_target"));
        if (adv) fprintf(f, "  to reach the target: %s\n", adv);
    }
    const char *top = json_string_value(json_object_get(p, "to_reach_target"));
    if (json_is_number(json_object_get(p, "usd_per_day")))
        fprintf(f, "\ntop-up (%s mode, what the engine runs when it pays): %s\n",
                json_string_value(json_object_get(p, "top_up_mode")), top);
    if (json_is_true(json_object_get(p, "confirmed_only"))) {
        char *names = json_dumps(json_object_get(p, "deployments_left_out"), JSON_COMPACT);
        fprintf(f, "confirmed deployments only; left out: %s\n", names);
        free(names);
    }
}
