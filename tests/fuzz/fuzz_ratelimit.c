/* Fuzz target: provider rate-limit headers and error text (untrusted) through the
 * duration parser and every header style. Input: lines "name: value"; the first line is
 * also the error sentence. */
#include "core/util.h"
#include "llm/ratelimit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    (void)ratelimit_parse_duration_ms(text);
    struct llm_result r = {0};
    r.status = size % 2 ? LLM_ERR_RATE_LIMITED : LLM_OK;
    r.http_status = size % 2 ? 429 : 200;
    r.retry_after_ms = -1;
    r.error = xstrdup(text);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && r.n_headers < 32;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        r.headers = xrealloc(r.headers, (size_t)(r.n_headers + 1) * sizeof *r.headers);
        r.headers[r.n_headers].name = xstrdup(line);
        r.headers[r.n_headers].value = xstrdup(colon + 1);
        r.n_headers++;
    }
    static const char *styles[] = {"openai",  "groq",   "cerebras",   "openrouter",
                                   "mistral", "gemini", "cloudflare", "none"};
    for (size_t i = 0; i < sizeof styles / sizeof *styles; i++) {
        struct ratelimit_obs o;
        ratelimit_parse(styles[i], &r, 1796083200000LL, &o);
    }
    llm_result_clear(&r);
    free(text);
    return 0;
}
