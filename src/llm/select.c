/* select: builds one provider per [provider.*] section with its key present, plus the
 * offline provider; picks the first enabled one. See select.h. */
#include "llm/select.h"

#include "core/log.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct deployment {
    const char *name;
    struct provider *provider; /* NULL when disabled */
    char why[400];             /* why disabled */
};

struct llm_pool {
    struct deployment deps[CONFIG_MAX_PROVIDERS];
    int n;
    struct provider *offline;
};

struct llm_pool *llm_pool_new(struct event_base *base, const struct config *cfg,
                              provider_offline_fn offline, void *offline_data, char *err,
                              size_t errlen)
{
    (void)err;
    (void)errlen;
    struct llm_pool *pool = xcalloc(1, sizeof *pool);
    pool->offline = provider_offline_new(base, offline, offline_data);
    for (int i = 0; i < cfg->n_providers; i++) {
        const struct provider_config *pc = &cfg->providers[i];
        struct deployment *d = &pool->deps[pool->n++];
        d->name = pc->name;
        const char *key = NULL;
        if (pc->api_key_env[0]) {
            key = getenv(pc->api_key_env);
            if (!key || !*key) {
                snprintf(d->why, sizeof d->why, "environment variable %s is not set",
                         pc->api_key_env);
                log_warn("provider_disabled", "provider=%s reason=\"%s\"", pc->name, d->why);
                continue;
            }
        }
        char perr[256] = "";
        d->provider = provider_openai_new(base, pc, key, perr, sizeof perr);
        if (!d->provider) {
            snprintf(d->why, sizeof d->why, "%s", perr);
            log_warn("provider_disabled", "provider=%s reason=\"%s\"", pc->name, d->why);
            continue;
        }
        log_info("provider_enabled", "provider=%s model=%s", pc->name, pc->model);
    }
    if (!llm_pool_online(pool))
        log_info("offline_mode", "reason=\"no provider with an API key is configured; answers "
                                 "are scored by the heuristic rubric\"");
    return pool;
}

void llm_pool_free(struct llm_pool *pool)
{
    if (!pool) return;
    for (int i = 0; i < pool->n; i++) provider_destroy(pool->deps[i].provider);
    provider_destroy(pool->offline);
    free(pool);
}

struct provider *llm_pool_pick(struct llm_pool *pool, enum task_kind task)
{
    (void)task;
    for (int i = 0; i < pool->n; i++)
        if (pool->deps[i].provider) return pool->deps[i].provider;
    return pool->offline;
}

struct provider *llm_pool_offline(struct llm_pool *pool)
{
    return pool->offline;
}

int llm_pool_online(const struct llm_pool *pool)
{
    for (int i = 0; i < pool->n; i++)
        if (pool->deps[i].provider) return 1;
    return 0;
}

int llm_pool_count(const struct llm_pool *pool)
{
    return pool->n;
}

const char *llm_pool_status(const struct llm_pool *pool, int i, const char **name, int *enabled)
{
    *name = pool->deps[i].name;
    *enabled = pool->deps[i].provider != NULL;
    return pool->deps[i].why;
}
