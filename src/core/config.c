/* config: INI -> struct config through inih. A table maps each [section] key to a
 * field and a type, so defaults, parsing and validation live in one place.
 *
 * Strict: a key or a section given twice, an unknown key or section, a value out of
 * range and a file that is not a regular file are errors, never silently ignored, and
 * every error about the file's content reads "FILE:LINE: [section] key: why". inih
 * does not tell handlers the line, so the file is read through our own line reader,
 * which counts lines and also sees section headers (for repeated sections, which inih
 * merges without a word). */
#include "core/config.h"

#include "core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum key_type { KEY_STRING, KEY_LONG, KEY_DOUBLE, KEY_YESNO };

struct key_def {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;       /* in struct config */
    const char *dflt;    /* default as text */
    const char *allowed; /* "a|b|c" for enumerations, NULL for free text */
    long min, max;       /* for KEY_LONG */
};

#define S(sec, key, field, d, allowed)                                                             \
    {                                                                                              \
        sec, key, KEY_STRING, offsetof(struct config, field), d, allowed, 0, 0                     \
    }
#define L(sec, key, field, d, lo, hi)                                                              \
    {                                                                                              \
        sec, key, KEY_LONG, offsetof(struct config, field), d, NULL, lo, hi                        \
    }

static const struct key_def keys[] = {
    S("server", "listen", listen, "127.0.0.1:8080", NULL),
    S("server", "admin_token_env", admin_token_env, "INTERVIEWD_ADMIN_TOKEN", NULL),
    S("server", "invite_codes_env", invite_codes_env, "INTERVIEWD_INVITE_CODES", NULL),
    S("server", "admin_readonly_token_env", admin_readonly_token_env,
      "INTERVIEWD_ADMIN_READONLY_TOKEN", NULL),
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
    {"budget", "max_usd_per_day", KEY_DOUBLE, offsetof(struct config, max_usd_per_day), "0", NULL,
     0, 1000000},
    L("budget", "interview_reserve_percent", interview_reserve_percent, "20", 0, 90),
    S("gateway", "keys_env", gateway_keys_env, "INTERVIEWD_GATEWAY_KEYS", NULL),
    L("limits", "max_body_bytes", max_body_bytes, "1048576", 1024, 64L << 20),
    L("limits", "max_resume_bytes", max_resume_bytes, "65536", 256, 16L << 20),
    L("limits", "max_job_description_bytes", max_job_description_bytes, "8192", 256, 1L << 20),
    L("limits", "max_answer_bytes", max_answer_bytes, "8192", 64, 1L << 20),
    L("limits", "max_name_bytes", max_name_bytes, "200", 1, 4096),
    L("limits", "max_email_bytes", max_email_bytes, "254", 3, 4096),
    L("limits", "max_active_interviews", max_active_interviews, "3", 1, 1000),
    L("limits", "max_interviews_per_day", max_interviews_per_day, "20", 1, 100000),
    L("limits", "max_connections", max_connections, "0", 0, 10000000),
    L("limits", "max_connections_per_address", max_connections_per_address, "1024", 0, 10000000),
    L("limits", "header_timeout_ms", header_timeout_ms, "10000", 100, 3600000),
    L("limits", "body_timeout_ms", body_timeout_ms, "60000", 100, 3600000),
    L("limits", "max_header_bytes", max_header_bytes, "16384", 1024, 1L << 20),
    L("limits", "max_uri_bytes", max_uri_bytes, "8192", 256, 1L << 20),
    L("limits", "max_resume_pdf_bytes", max_resume_pdf_bytes, "1048576", 1024, 64L << 20),
    L("limits", "pdf_timeout_ms", pdf_timeout_ms, "5000", 100, 600000),
    L("limits", "pdf_memory_bytes", pdf_memory_bytes, "268435456", 16L << 20, 16L << 30),
    L("limits", "pdf_max_concurrent", pdf_max_concurrent, "2", 1, 256),
    L("limits", "signup_per_address_per_hour", signup_per_address_per_hour, "5", 0, 1000000),
    L("limits", "signup_per_subnet_per_hour", signup_per_subnet_per_hour, "20", 0, 1000000),
    L("limits", "resume_update_per_address_per_hour", resume_update_per_address_per_hour, "10", 0,
      1000000),
    L("limits", "resume_update_per_subnet_per_hour", resume_update_per_subnet_per_hour, "40", 0,
      1000000),
    L("interview", "questions", questions, "12", 4, 40),
    L("interview", "llm_timeout_ms", llm_timeout_ms, "30000", 100, 600000),
    L("interview", "turn_deadline_ms", turn_deadline_ms, "8000", 50, 600000),
    L("interview", "eval_deadline_ms", eval_deadline_ms, "600000", 100, 86400000),
    L("stats", "flush_interval_ms", stats_flush_interval_ms, "2000", 100, 600000),
    S("alerts", "webhook_url", alerts_webhook_url, "", NULL),
    S("alerts", "webhook_url_env", alerts_webhook_url_env, "", NULL),
    L("alerts", "min_interval_s", alerts_min_interval_s, "900", 1, 86400 * 7),
    L("alerts", "remaining_day_percent", alerts_remaining_day_percent, "10", 0, 100),
    L("alerts", "spend_percent", alerts_spend_percent, "90", 1, 100),
    L("alerts", "check_interval_ms", alerts_check_interval_ms, "10000", 100, 3600000),
};

struct provider_key {
    const char *name;
    enum key_type type;
    size_t offset; /* in struct provider_config */
    const char *allowed;
};

#define PS(key, field, allowed)                                                                    \
    {                                                                                              \
        key, KEY_STRING, offsetof(struct provider_config, field), allowed                          \
    }
#define PL(key, field)                                                                             \
    {                                                                                              \
        key, KEY_LONG, offsetof(struct provider_config, field), NULL                               \
    }

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
    {"price_in_per_mtok", KEY_DOUBLE, offsetof(struct provider_config, price_in_per_mtok), NULL},
    {"price_out_per_mtok", KEY_DOUBLE, offsetof(struct provider_config, price_out_per_mtok), NULL},
    {"confirmed", KEY_YESNO, offsetof(struct provider_config, confirmed), NULL},
    PS("source", source, NULL),
    PS("checked", checked, NULL),
};

/* A price or an amount of money: a finite decimal in 0..max. */
static int parse_money(const char *v, double max, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= 0) || x > max) return -1;
    *out = x;
    return 0;
}

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
    if (k->type == KEY_DOUBLE) {
        double d;
        if (parse_money(v, (double)k->max, &d) != 0) {
            snprintf(why, whylen, "'%s' is not a number in 0..%ld", v, k->max);
            return -1;
        }
        *(double *)(base + k->offset) = d;
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

#define CONFIG_MAX_SEEN 512 /* distinct [section] key pairs and sections tracked */

struct seen {
    char *section; /* owned */
    char *key;     /* owned; NULL for a section header */
    int line;
};

struct parse_state {
    struct config *cfg;
    FILE *f;
    int line;        /* of the line inih is handling */
    int at_line_end; /* the last chunk read ended a line */
    char why[512];   /* first error */
    int why_line;    /* its line */
    struct seen seen[CONFIG_MAX_SEEN];
    int n_seen;
    int section_line;                        /* of the last [section] header read */
    int provider_line[CONFIG_MAX_PROVIDERS]; /* where each [provider.*] section starts */
};

static void set_error(struct parse_state *st, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(struct parse_state *st, int line, const char *fmt, ...)
{
    if (st->why[0]) return; /* keep the first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->why, sizeof st->why, fmt, ap);
    va_end(ap);
    st->why_line = line;
}

/* The line of an earlier (section, key) or section header, or 0; records it if new. */
static int seen_before(struct parse_state *st, const char *section, const char *key, int line)
{
    for (int i = 0; i < st->n_seen; i++) {
        const struct seen *s = &st->seen[i];
        if (strcmp(s->section, section) == 0 &&
            ((!key && !s->key) || (key && s->key && !strcmp(s->key, key))))
            return s->line;
    }
    if (st->n_seen < CONFIG_MAX_SEEN) {
        struct seen *s = &st->seen[st->n_seen++];
        s->section = xstrdup(section);
        s->key = key ? xstrdup(key) : NULL;
        s->line = line;
    }
    return 0;
}

/* inih's line reader: counts lines and notices repeated [section] headers. */
static char *read_line(char *str, int num, void *stream)
{
    struct parse_state *st = stream;
    if (!fgets(str, num, st->f)) return NULL;
    if (st->at_line_end) st->line++;
    size_t n = strlen(str);
    st->at_line_end = n > 0 && str[n - 1] == '\n';
    const char *p = str;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '[') {
        const char *end = strchr(p, ']');
        if (end) {
            char name[256];
            size_t len = (size_t)(end - p - 1);
            if (len >= sizeof name) len = sizeof name - 1;
            memcpy(name, p + 1, len);
            name[len] = 0;
            util_trim(name);
            st->section_line = st->line;
            int first = seen_before(st, name, NULL, st->line);
            if (first)
                set_error(st, st->line,
                          "[%s]: the section appears twice (first on line %d); "
                          "merge them",
                          name, first);
        }
    }
    return str;
}

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
    p->source = "";
    p->checked = "";
    return p;
}

/* http:// or https:// and a host: anything else would fail only at the first call. */
static int valid_base_url(const char *v)
{
    const char *rest = strncmp(v, "http://", 7) == 0    ? v + 7
                       : strncmp(v, "https://", 8) == 0 ? v + 8
                                                        : NULL;
    if (!rest || !*rest || *rest == '/') return 0;
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) return 0;
    return 1;
}

static int set_provider_key(struct config *cfg, struct provider_config *p, const char *name,
                            const char *v, char *why, size_t whylen)
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
            if (strcmp(name, "base_url") == 0 && !valid_base_url(v)) {
                /* not echoed: a URL may carry credentials */
                snprintf(why, whylen,
                         "must be an http:// or https:// URL with a host, "
                         "e.g. https://api.groq.com/openai/v1");
                return -1;
            }
            *(const char **)(base + k->offset) = config_dup(cfg, v);
            return 0;
        }
        if (k->type == KEY_DOUBLE) {
            double d;
            if (parse_money(v, 1000000, &d) != 0) {
                snprintf(why, whylen, "'%s' is not a price in USD per million tokens (0..1000000)",
                         v);
                return -1;
            }
            *(double *)(base + k->offset) = d;
            return 0;
        }
        if (k->type == KEY_YESNO) {
            if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
                snprintf(why, whylen, "'%s' is not yes or no", v);
                return -1;
            }
            *(int *)(base + k->offset) = strcmp(v, "yes") == 0;
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

/* inih keeps parsing after an error: the first one (with its own line) is reported. */
static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    if (st->why[0]) return 1;
    int first = seen_before(st, section, name, st->line);
    if (first) {
        set_error(st, st->line, "[%s] %s: set twice (first on line %d); keep one", section, name,
                  first);
        return 1;
    }
    if (!on_entry_checked(user, section, name, value) && !st->why_line) st->why_line = st->line;
    return 1;
}

static int on_entry_checked(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    char why[256];
    if (strncmp(section, "provider.", 9) == 0) {
        const char *pname = section + 9;
        if (*pname == '~') { /* reserved for windows that are not deployments (spend) */
            snprintf(st->why, sizeof st->why, "[%s]: a provider name may not start with ~",
                     section);
            return 0;
        }
        if (!*pname) {
            snprintf(st->why, sizeof st->why, "[%s] %s: a provider section needs a name", section,
                     name);
            return 0;
        }
        int n_before = st->cfg->n_providers;
        struct provider_config *p = provider_section(st->cfg, pname);
        if (p && st->cfg->n_providers > n_before) st->provider_line[n_before] = st->section_line;
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
    snprintf(st->why, sizeof st->why,
             known_section ? "[%s] %s: unknown key" : "[%s] %s: unknown section", section, name);
    return 0;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    struct parse_state *st = xcalloc(1, sizeof *st);
    st->cfg = cfg;
    st->at_line_end = 1;
    int rc = -1;
    struct stat sb;
    st->f = fopen(path, "r");
    if (!st->f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fileno(st->f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file%s; --config takes an INI file", path,
                 S_ISDIR(sb.st_mode) ? " (a directory)" : "");
        goto out;
    }
    int line = ini_parse_stream(read_line, st, on_entry, st);
    if (st->why[0] || line != 0) {
        if (st->why[0])
            snprintf(err, errlen, "%s:%d: %s", path, st->why_line ? st->why_line : line, st->why);
        else
            snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", path,
                     line);
        goto out;
    }
    for (int i = 0; i < cfg->n_providers; i++) {
        const struct provider_config *p = &cfg->providers[i];
        if (!p->base_url[0] || !p->model[0]) {
            snprintf(err, errlen, "%s:%d: [provider.%s] %s: required (with %s)", path,
                     st->provider_line[i], p->name, !p->base_url[0] ? "base_url" : "model",
                     !p->base_url[0] ? "model" : "base_url");
            goto out;
        }
    }
    free(cfg->path);
    cfg->path = xstrdup(path);
    rc = 0;
out:
    if (st->f) fclose(st->f);
    for (int i = 0; i < st->n_seen; i++) {
        free(st->seen[i].section);
        free(st->seen[i].key);
    }
    free(st);
    return rc;
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
    for (size_t i = 0; i < cfg->n_owned; i++)
        free(cfg->owned[i]);
    free(cfg->owned);
    memset(cfg, 0, sizeof *cfg);
}
