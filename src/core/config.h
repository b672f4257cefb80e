/* config: the INI file of CONTRACT.md, parsed with inih into one struct.
 *
 * Every key has a default (config_defaults); a file only overrides. Unknown sections,
 * unknown keys and bad values are errors naming the file, the line and the key, and
 * the command exits 2. Secrets are never in the file: only the *names* of the
 * environment variables that hold them. */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_PROVIDERS 64

/* Settings of one [provider.NAME] section. Strings are owned by the config. It lives
 * here, not in llm/provider.h, so the ground floor (core) depends on nothing above it;
 * the provider layer reads it. */
struct provider_config {
    const char *name;        /* the part after "provider." */
    const char *base_url;    /* e.g. https://api.groq.com/openai/v1 (no trailing /) */
    const char *api_key_env; /* name of the environment variable with the key */
    const char *model;
    const char *headers; /* rate-limit header style: openai|groq|cerebras|openrouter|mistral|none */
    const char *day_reset;   /* utc | pacific */
    long rpm, rpd, tpm, tpd; /* limits; 0 = unknown/unlimited */
    long concurrency;        /* parallel calls allowed; 0 = unlimited */
    long timeout_ms;         /* per call */
    long token_margin_pct;   /* the router reserves this much more than its chars/4 estimate
                              * of a prompt: the provider's tokenizer is not ours; 25 */
    const char *http_client; /* auto | libcurl | libevent (auto: libevent for http://) */
    /* issue 16: paid overflow and the catalog */
    double price_in_per_mtok;  /* USD per million prompt tokens; 0 = free (the default) */
    double price_out_per_mtok; /* USD per million completion tokens; 0 = free */
    int confirmed;             /* confirmed = yes|no: the free limits are documented by the
                                * provider itself (1), or not / unknown (0, the default) */
    const char *source;        /* where the limits come from (URL), for the catalog; "" */
    const char *checked;       /* when they were last checked (YYYY-MM-DD); "" */
};

/* 1 if a deployment charges money for its calls. */
static inline int provider_config_priced(const struct provider_config *p)
{
    return p->price_in_per_mtok > 0 || p->price_out_per_mtok > 0;
}

struct config {
    /* [server] */
    char *listen;           /* HOST:PORT, default 127.0.0.1:8080 */
    char *admin_token_env;  /* env var holding the admin bearer token */
    char *invite_codes_env; /* env var holding invite codes (comma-separated); when it is set
                             * and not empty, sign-up needs one of them */
    char *data_dir;         /* question bank, rubrics, roles (default: source tree data/) */
    char *web_dir;          /* candidate page and dashboard files (default: source tree web/) */
    char *admin_readonly_token_env; /* env var holding the read-only admin token (issue 17):
                                     * it sees everything the admin token sees, changes
                                     * nothing */
    char *log_level;                /* debug | info | warn | error */
    long request_timeout_ms;        /* an HTTP connection idle longer is closed */

    /* [store] */
    char *store_backend; /* sqlite | postgres */
    char *store_path;    /* sqlite file */
    char *store_url;     /* postgres conninfo */

    /* [cache] */
    char *cache_backend; /* memory | redis | tiered */
    char *cache_redis_url;
    long cache_max_bytes;

    /* [redis] */
    char *redis_url;
    long redis_expected_instances; /* instances sharing the quotas; each one's fallback share
                                    * while Redis is away is 1/this of every limit, 2 */

    /* [budget] */
    char *budget_mode; /* auto | full | balanced | economy | offline */
    long expected_interviews_per_day;
    double max_usd_per_day;         /* spend cap on priced deployments, all instances together;
                                     * 0 = never pay (the default) */
    long interview_reserve_percent; /* share of each deployment's daily limits kept for
                                     * interviews already running, 20 (0..90) */

    /* [gateway] */
    char *gateway_keys_env;

    /* [limits] (untrusted sizes; defaults documented in README) */
    long max_body_bytes;              /* whole request body, 1 MiB */
    long max_resume_bytes;            /* resume_text, 64 KiB */
    long max_job_description_bytes;   /* job_description of POST /api/interviews, 8 KiB */
    long max_answer_bytes;            /* one answer, 8 KiB */
    long max_name_bytes;              /* name, 200 */
    long max_email_bytes;             /* email, 254 */
    long max_active_interviews;       /* unfinished interviews per candidate, 3 */
    long max_interviews_per_day;      /* interviews a candidate may start per UTC day, 20 */
    long max_connections;             /* open HTTP connections, 0 = descriptor limit - 64 */
    long max_connections_per_address; /* from one client address, 1024; 0 = no cap */
    long header_timeout_ms;           /* request line + headers must arrive within, 10000 */
    long body_timeout_ms;             /* the body must arrive within (after the headers), 60000 */
    long max_header_bytes;            /* request line + headers, 16 KiB */
    long max_uri_bytes;               /* request target, 8 KiB */
    /* issue 15: resumes sent as PDF files, read by pdftotext in a child process */
    long max_resume_pdf_bytes; /* the PDF file, 1 MiB (the request body limit applies too) */
    long pdf_timeout_ms;       /* the child is killed after, 5000 */
    long pdf_memory_bytes;     /* the child's address space (RLIMIT_AS), 256 MiB */
    long pdf_max_concurrent;   /* children at once; more wait for none and get 503, 2 */
    /* issue 14: what anyone can do without an account, per client address and per subnet
     * (/24 IPv4, /64 IPv6), token buckets refilled over the hour; 0 = unlimited */
    long signup_per_address_per_hour;        /* POST /api/candidates, 5 */
    long signup_per_subnet_per_hour;         /* 20 */
    long resume_update_per_address_per_hour; /* PUT /api/candidates/me/resume, 10 */
    long resume_update_per_subnet_per_hour;  /* 40 */

    /* [interview] */
    long questions;        /* questions per interview, 12 */
    long llm_timeout_ms;   /* one provider call, 30000 */
    long turn_deadline_ms; /* longest a candidate waits for a model-written question, 8000 */
    long eval_deadline_ms; /* longest a background evaluation waits for quota, 600000 */

    /* [stats] (issue 17) */
    long stats_flush_interval_ms; /* how often counters are added to the store, 2000 */

    /* [alerts] (issue 17): a JSON POST when trouble starts */
    char *alerts_webhook_url;          /* where to POST; "" = no webhook */
    char *alerts_webhook_url_env;      /* or: env var holding the URL (it may hold a secret) */
    long alerts_min_interval_s;        /* one alert per condition per this, 900 */
    long alerts_remaining_day_percent; /* a deployment's day under this % left alerts, 10 */
    long alerts_spend_percent;         /* spend at this % of [budget] max_usd_per_day, 90 */
    long alerts_check_interval_ms;     /* how often conditions are checked, 10000 */

    /* [provider.NAME] sections, in file order */
    struct provider_config providers[CONFIG_MAX_PROVIDERS];
    int n_providers;

    char *path; /* the file loaded, for messages */

    /* strings owned by the [provider.*] sections, freed by config_free */
    char **owned;
    size_t n_owned, cap_owned;
};

/* Fills cfg with the defaults. */
void config_defaults(struct config *cfg);
/* Loads path over the defaults. Returns 0, or -1 with "FILE:LINE: [section] key: why"
 * in err. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Parses HOST:PORT; returns 0 or -1. host must hold 256 bytes. */
int config_parse_listen(const char *s, char *host, int *port);
void config_free(struct config *cfg);

#endif
