/* provider: what every provider shares: status names and the result's memory.
 *
 * The vtable itself lives in provider.h; each backend (openai.c, offline.c, the
 * simulator's providers) fills a struct llm_result and hands it to the caller's done
 * callback. This file only names the statuses and frees and searches a result, so that
 * callers never need to know which backend produced it. */
#include "llm/provider.h"

#include <stdlib.h>
#include <strings.h>

/* Stable, space-free codes: they appear in key=value log lines, in stats and in API
 * error codes, so they never change once shipped. */
const char *llm_strerror(enum llm_status s)
{
    switch (s) {
    case LLM_OK:
        return "ok";
    case LLM_ERR_NETWORK:
        return "network";
    case LLM_ERR_TIMEOUT:
        return "timeout";
    case LLM_ERR_RATE_LIMITED:
        return "rate_limited";
    case LLM_ERR_AUTH:
        return "auth";
    case LLM_ERR_HTTP:
        return "http";
    case LLM_ERR_BAD_RESPONSE:
        return "bad_response";
    case LLM_ERR_CANCELLED:
        return "cancelled";
    case LLM_ERR_NO_CAPACITY:
        return "no_capacity";
    }
    return "unknown";
}

void llm_result_clear(struct llm_result *r)
{
    if (!r) return;
    free(r->content);
    r->content = NULL;
    free(r->error);
    r->error = NULL;
    for (int i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    r->headers = NULL;
    r->n_headers = 0;
}

const char *llm_result_header(const struct llm_result *r, const char *name)
{
    if (!r || !name) return NULL;
    /* The first byte, case-folded, rules out almost every header before strcasecmp:
     * the rate-limit parser asks for some twenty names per answer. */
    unsigned char first = (unsigned char)name[0] | 0x20;
    for (int i = 0; i < r->n_headers; i++) {
        const char *h = r->headers[i].name;
        if (!h || ((unsigned char)h[0] | 0x20) != first) continue;
        if (strcasecmp(h, name) == 0) return r->headers[i].value ? r->headers[i].value : "";
    }
    return NULL;
}
