/* select: which provider answers a task. The small interface the fleet router will
 * replace: today, the first configured deployment whose API key is present, else the
 * offline provider. Deployments whose key is missing are disabled and say so in the
 * log at start-up (the key's variable name only, never a value). */
#ifndef LLM_SELECT_H
#define LLM_SELECT_H

#include "core/config.h"
#include "llm/provider.h"
#include "llm/task.h"

struct llm_pool;

struct llm_pool *llm_pool_new(struct event_base *base, const struct config *cfg,
                              provider_offline_fn offline, void *offline_data, char *err,
                              size_t errlen);
void llm_pool_free(struct llm_pool *pool);
/* The provider for a task; never NULL (the offline provider is always there). */
struct provider *llm_pool_pick(struct llm_pool *pool, enum task_kind task);
struct provider *llm_pool_offline(struct llm_pool *pool);
/* 1 if at least one model deployment is enabled. */
int llm_pool_online(const struct llm_pool *pool);
/* Deployments for status pages: name, enabled, why disabled. */
int llm_pool_count(const struct llm_pool *pool);
const char *llm_pool_status(const struct llm_pool *pool, int i, const char **name, int *enabled);

#endif
