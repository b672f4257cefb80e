/* scenario: [workload]/[sim] parsing with inih; see scenario.h. */
#include "sim/scenario.h"

#include "sim/sim.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void workload_defaults(struct workload *w)
{
    memset(w, 0, sizeof *w);
    w->candidates = 1000;
    w->interviews_per_candidate = 10;
    w->questions_per_interview = 12;
    w->business_hours = 1;
    w->n_zones = 3;
    strcpy(w->zone_name[0], "americas");
    strcpy(w->zone_name[1], "europe");
    strcpy(w->zone_name[2], "asia");
    w->zone_share[0] = 0.4;
    w->zone_share[1] = 0.35;
    w->zone_share[2] = 0.25;
    w->zone_offset_h[0] = -5;
    w->zone_offset_h[1] = 1;
    w->zone_offset_h[2] = 8;
    w->answer_tokens_mean = 120;
    w->answer_tokens_sd = 60;
    w->resume_tokens_mean = 700;
    w->resume_reupload_share = 0.1;
    w->empty_answer_share = 0.04;
    w->dont_know_share = 0.03;
    w->think_seconds_mean = 60;
    w->break_minutes_mean = 10;
    w->seed = 1;
    w->latency_ms_mean = 900;
    w->latency_ms_sd = 500;
    w->fail_rate = 0.01;
    w->bad_output_rate = 0.05;
}

static int zone_offset(const char *name)
{
    if (strcmp(name, "americas") == 0) return -5;
    if (strcmp(name, "europe") == 0) return 1;
    if (strcmp(name, "asia") == 0) return 8;
    if (strcmp(name, "oceania") == 0) return 10;
    if (strcmp(name, "africa") == 0) return 2;
    return 0;
}

static int parse_zones(struct workload *w, const char *v)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    size_t len = strlen(buf);
    if (len >= 2 && buf[0] == '"' && buf[len - 1] == '"') {
        buf[len - 1] = 0;
        memmove(buf, buf + 1, len - 1);
    }
    w->n_zones = 0;
    double total = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *colon = strchr(tok, ':');
        if (!colon || w->n_zones == SCENARIO_MAX_ZONES) return -1;
        *colon = 0;
        while (*tok == ' ')
            tok++;
        double share = strtod(colon + 1, NULL);
        if (share <= 0) return -1;
        snprintf(w->zone_name[w->n_zones], sizeof w->zone_name[0], "%s", tok);
        w->zone_share[w->n_zones] = share;
        w->zone_offset_h[w->n_zones] = zone_offset(tok);
        total += share;
        w->n_zones++;
    }
    if (w->n_zones == 0 || total <= 0) return -1;
    for (int i = 0; i < w->n_zones; i++)
        w->zone_share[i] /= total;
    return 0;
}

struct parse_ctx {
    struct workload *w;
    char why[256];
};

static int num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < lo || d > hi) return -1;
    *out = d;
    return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *c = user;
    if (c->why[0]) return 1;
    struct workload *w = c->w;
    int workload = strcmp(section, "workload") == 0, sim = strcmp(section, "sim") == 0;
    if (!workload && !sim) return 1;
    double d;
#define NUM(key, lo, hi, field)                                                                    \
    if (strcmp(name, key) == 0) {                                                                  \
        if (num(value, lo, hi, &d) != 0) goto bad;                                                 \
        field = d;                                                                                 \
        return 1;                                                                                  \
    }
    if (workload) {
        NUM("candidates", 1, 1e7, w->candidates)
        NUM("interviews_per_candidate", 1, 100, w->interviews_per_candidate)
        NUM("questions_per_interview", 4, 40, w->questions_per_interview)
        NUM("answer_tokens_mean", 0, 10000, w->answer_tokens_mean)
        NUM("answer_tokens_sd", 0, 10000, w->answer_tokens_sd)
        NUM("resume_tokens_mean", 0, 100000, w->resume_tokens_mean)
        NUM("resume_reupload_share", 0, 1, w->resume_reupload_share)
        NUM("empty_answer_share", 0, 1, w->empty_answer_share)
        NUM("dont_know_share", 0, 1, w->dont_know_share)
        NUM("turn_think_seconds_mean", 1, 3600, w->think_seconds_mean)
        NUM("break_minutes_mean", 0, 600, w->break_minutes_mean)
        NUM("seed", 0, 1e15, w->seed)
        if (strcmp(name, "arrival") == 0) {
            if (strcmp(value, "business_hours") == 0)
                w->business_hours = 1;
            else if (strcmp(value, "uniform") == 0)
                w->business_hours = 0;
            else
                goto bad;
            return 1;
        }
        if (strcmp(name, "timezones") == 0) {
            if (parse_zones(w, value) != 0) goto bad;
            return 1;
        }
    } else {
        NUM("latency_ms_mean", 1, 600000, w->latency_ms_mean)
        NUM("latency_ms_sd", 0, 600000, w->latency_ms_sd)
        NUM("fail_rate", 0, 1, w->fail_rate)
        NUM("bad_output_rate", 0, 1, w->bad_output_rate)
    }
#undef NUM
    snprintf(c->why, sizeof c->why, "[%s] %s: unknown key", section, name);
    return 0;
bad:
    snprintf(c->why, sizeof c->why, "[%s] %s: bad value '%s'", section, name, value);
    return 0;
}

int workload_load(struct workload *w, const char *path, char *err, size_t errlen)
{
    struct parse_ctx c = {.w = w};
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, on_entry, &c);
    fclose(f);
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, c.why[0] ? c.why : "syntax error");
        return -1;
    }
    return 0;
}

json_t *sim_keep_confirmed(struct config *cfg)
{
    json_t *out = json_array();
    int k = 0;
    for (int i = 0; i < cfg->n_providers; i++) {
        if (cfg->providers[i].confirmed)
            cfg->providers[k++] = cfg->providers[i];
        else
            json_array_append_new(out, json_string(cfg->providers[i].name));
    }
    cfg->n_providers = k;
    return out;
}
