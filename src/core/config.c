/* config: INI -> struct config through inih. A table maps each [section] key to a
 * field and a type, so defaults, parsing and validation live in one place. */
#include "core/config.h"

#include "core/util.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { KEY_STRING, KEY_LONG };

struct key_def {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;       /* in struct config */
    const char *dflt;    /* default as text */
    const char *allowed; /* "a|b|c" for enumerations, NULL for free text */
    long min, max;       /* for KEY_LONG */
};

#define S(sec, key, field, d, allowed)                                                         \
    {sec, key, KEY_STRING, offsetof(struct config, field), d, allowed, 0, 0}
#define L(sec, key, field, d, lo, hi)                                                          \
    {sec, key, KEY_LONG, offsetof(struct config, field), d, NULL, lo, hi}

static const struct key_def keys[] = {
    S("server", "listen", listen, "127.0.0.1:8080", NULL),
    S("server", "admin_token_env", admin_token_env, "INTERVIEWD_ADMIN_TOKEN", NULL),
    S("server", "data_dir", data_dir, INTERVIEWD_SOURCE_DIR "/data", NULL),
    S("server", "web_dir", web_dir, INTERVIEWD_SOURCE_DIR "/web", NULL),
    S("server", "log_level", log_level, "info", "debug|info|warn|error"),
    L("server", "request_timeout_ms", request_timeout_ms, "60000", 1000, 3600000),
    S("store", "backend", store_backend, "sqlite", "sqlite|postgres"),
    S("store", "path", store_path, "var/interviewd.db", NULL),
    S("store", "url", store_url, "", NULL),
    S("cache", "backend", cache_backend, "memory", "memory|redis|tiered"),
    S("cache", "redis_url", cache_redis_url, "", NULL),
    L("cache", "max_bytes", cache_max_bytes, "268435456", 0, 1L << 40),
    S("redis", "url", redis_url, "", NULL),
    L("redis", "expected_instances", redis_expected_instances, "2", 1, 1024),
    S("budget", "mode", budget_mode, "auto", "auto|full|balanced|economy|offline"),
    L("budget", "expected_interviews_per_day", expected_interviews_per_day, "10000", 0, 100000000),
    S("gateway", "keys_env", gateway_keys_env, "INTERVIEWD_GATEWAY_KEYS", NULL),
    L("limits", "max_body_bytes", max_body_bytes, "1048576", 1024, 64L << 20),
    L("limits", "max_resume_bytes", max_resume_bytes, "65536", 256, 16L << 20),
    L("limits", "max_answer_bytes", max_answer_bytes, "8192", 64, 1L << 20),
    L("limits", "max_name_bytes", max_name_bytes, "200", 1, 4096),
    L("limits", "max_email_bytes", max_email_bytes, "254", 3, 4096),
    L("limits", "max_active_interviews", max_active_interviews, "3", 1, 1000),
    L("limits", "max_interviews_per_day", max_interviews_per_day, "20", 1, 100000),
    L("interview", "questions", questions, "12", 4, 40),
    L("interview", "llm_timeout_ms", llm_timeout_ms, "30000", 100, 600000),
    L("interview", "turn_deadline_ms", turn_deadline_ms, "8000", 50, 600000),
    L("interview", "eval_deadline_ms", eval_deadline_ms, "600000", 100, 86400000),
};

struct provider_key {
    const char *name;
    enum key_type type;
    size_t offset; /* in struct provider_config */
    const char *allowed;
};

#define PS(key, field, allowed) {key, KEY_STRING, offsetof(struct provider_config, field), allowed}
#define PL(key, field) {key, KEY_LONG, offsetof(struct provider_config, field), NULL}

static const struct provider_key provider_keys[] = {
    PS("base_url", base_url, NULL),
    PS("api_key_env", api_key_env, NULL),
    PS("model", model, NULL),
    PS("headers", headers, "openai|groq|cerebras|openrouter|mistral|gemini|cloudflare|none"),
    PS("day_reset", day_reset, "utc|pacific"),
    PL("rpm", rpm),
    PL("rpd", rpd),
    PL("tpm", tpm),
    PL("tpd", tpd),
    PL("concurrency", concurrency),
    PL("timeout_ms", timeout_ms),
    PL("token_margin_pct", token_margin_pct),
    PS("http_client", http_client, "auto|libcurl|libevent"),
};

/* A string owned by the config (provider sections hold const char *). */
static const char *config_dup(struct config *cfg, const char *s)
{
    if (cfg->n_owned == cfg->cap_owned) {
        cfg->cap_owned = cfg->cap_owned ? cfg->cap_owned * 2 : 64;
        cfg->owned = xrealloc(cfg->owned, cfg->cap_owned * sizeof *cfg->owned);
    }
    return cfg->owned[cfg->n_owned++] = xstrdup(s);
}

static int in_allowed(const char *allowed, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = allowed; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end) return -1;
    *out = x;
    return 0;
}

static int set_key(struct config *cfg, const struct key_def *k, const char *v, char *why,
                   size_t whylen)
{
    char *base = (char *)cfg;
    if (k->type == KEY_STRING) {
        if (k->allowed && !in_allowed(k->allowed, v)) {
            snprintf(why, whylen, "'%s' is not one of %s", v, k->allowed);
            return -1;
        }
        char host[256];
        int port;
        if (strcmp(k->name, "listen") == 0 && config_parse_listen(v, host, &port) != 0) {
            snprintf(why, whylen, "'%s' is not HOST:PORT", v);
            return -1;
        }
        char **field = (char **)(base + k->offset);
        free(*field);
        *field = xstrdup(v);
        return 0;
    }
    long x;
    if (parse_long(v, &x) != 0) {
        snprintf(why, whylen, "'%s' is not an integer", v);
        return -1;
    }
    if (x < k->min || x > k->max) {
        snprintf(why, whylen, "%ld is outside %ld..%ld", x, k->min, k->max);
        return -1;
    }
    *(long *)(base + k->offset) = x;
    return 0;
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char why[128];
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        if (set_key(cfg, &keys[i], keys[i].dflt, why, sizeof why) != 0) abort();
    }
}

struct parse_state {
    struct config *cfg;
    char why[512]; /* first error */
};

static struct provider_config *provider_section(struct config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_providers; i++)
        if (strcmp(cfg->providers[i].name, name) == 0) return &cfg->providers[i];
    if (cfg->n_providers == CONFIG_MAX_PROVIDERS) return NULL;
    struct provider_config *p = &cfg->providers[cfg->n_providers++];
    memset(p, 0, sizeof *p);
    p->name = config_dup(cfg, name);
    p->base_url = "";
    p->api_key_env = "";
    p->model = "";
    p->headers = "openai";
    p->day_reset = "utc";
    p->timeout_ms = 30000;
    p->token_margin_pct = 25;
    p->http_client = "auto";
    return p;
}

static int set_provider_key(struct config *cfg, struct provider_config *p, const char *name, const char *v,
                            char *why, size_t whylen)
{
    for (size_t i = 0; i < ARRAY_LEN(provider_keys); i++) {
        const struct provider_key *k = &provider_keys[i];
        if (strcmp(k->name, name) != 0) continue;
        char *base = (char *)p;
        if (k->type == KEY_STRING) {
            if (k->allowed && !in_allowed(k->allowed, v)) {
                snprintf(why, whylen, "'%s' is not one of %s", v, k->allowed);
                return -1;
            }
            *(const char **)(base + k->offset) = config_dup(cfg, v);
            return 0;
        }
        long x;
        if (parse_long(v, &x) != 0 || x < 0) {
            snprintf(why, whylen, "'%s' is not a non-negative integer", v);
            return -1;
        }
        *(long *)(base + k->offset) = x;
        return 0;
    }
    snprintf(why, whylen, "unknown key");
    return -1;
}

static int on_entry_checked(void *user, const char *section, const char *name, const char *value);

/* inih reports the line of the first error but keeps parsing: keep the first reason. */
static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    if (st->why[0]) return 1;
    return on_entry_checked(user, section, name, value);
}

static int on_entry_checked(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    char why[256];
    if (strncmp(section, "provider.", 9) == 0) {
        const char *pname = section + 9;
        if (!*pname) {
            snprintf(st->why, sizeof st->why, "[%s] %s: a provider section needs a name",
                     section, name);
            return 0;
        }
        struct provider_config *p = provider_section(st->cfg, pname);
        if (!p) {
            snprintf(st->why, sizeof st->why, "[%s]: more than %d providers", section,
                     CONFIG_MAX_PROVIDERS);
            return 0;
        }
        if (set_provider_key(st->cfg, p, name, value, why, sizeof why) != 0) {
            snprintf(st->why, sizeof st->why, "[%s] %s: %s", section, name, why);
            return 0;
        }
        return 1;
    }
    /* Scenario files for simulate/plan share this parser; their [workload] section is
     * read by the simulator, so the server ignores it rather than refusing. */
    if (strcmp(section, "workload") == 0 || strcmp(section, "sim") == 0) return 1;
    int known_section = 0;
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        if (strcmp(keys[i].section, section) != 0) continue;
        known_section = 1;
        if (strcmp(keys[i].name, name) != 0) continue;
        if (set_key(st->cfg, &keys[i], value, why, sizeof why) != 0) {
            snprintf(st->why, sizeof st->why, "[%s] %s: %s", section, name, why);
            return 0;
        }
        return 1;
    }
    snprintf(st->why, sizeof st->why, known_section ? "[%s] %s: unknown key" : "[%s] %s: unknown section",
             section, name);
    return 0;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    struct parse_state st = {.cfg = cfg};
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, on_entry, &st);
    fclose(f);
    if (line != 0) {
        if (st.why[0])
            snprintf(err, errlen, "%s:%d: %s", path, line, st.why);
        else
            snprintf(err, errlen, "%s:%d: syntax error", path, line);
        return -1;
    }
    free(cfg->path);
    cfg->path = xstrdup(path);
    for (int i = 0; i < cfg->n_providers; i++) {
        const struct provider_config *p = &cfg->providers[i];
        if (!p->base_url[0] || !p->model[0]) {
            snprintf(err, errlen, "%s: [provider.%s]: base_url and model are required", path,
                     p->name);
            return -1;
        }
    }
    return 0;
}

int config_parse_listen(const char *s, char *host, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= 256) return -1;
    long p;
    if (parse_long(colon + 1, &p) != 0 || p < 0 || p > 65535) return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    if (host[0] == '[') { /* [::1] */
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']') return -1;
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    *port = (int)p;
    return 0;
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        if (keys[i].type == KEY_STRING) {
            char **field = (char **)((char *)cfg + keys[i].offset);
            free(*field);
        }
    }
    free(cfg->path);
    for (size_t i = 0; i < cfg->n_owned; i++) free(cfg->owned[i]);
    free(cfg->owned);
    memset(cfg, 0, sizeof *cfg);
}
