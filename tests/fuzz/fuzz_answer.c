/* Fuzz target: a candidate's answer (untrusted) through the pre-check, the injection
 * detector, text normalisation and the heuristic scorer. */
#include "core/textnorm.h"
#include "core/util.h"
#include "engine/heuristic.h"
#include "engine/precheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    (void)precheck_answer(text);
    (void)precheck_injection(text);
    (void)util_normalized_hash(text);
    char *norm = util_normalize_text(text);
    free(norm);
    free(textnorm_clean(text));
    (void)util_utf8_valid(text, size);
    struct heuristic_eval he;
    json_t *kw = json_pack("[s,s]", "latency", "cache");
    json_t *kp = json_pack("[s,s]", "A cache cuts read latency", "Entries expire after a TTL");
    struct heuristic_question q = {
        .text = "How would you add a cache?", .key_points = kp, .keywords = kw};
    heuristic_evaluate(NULL, &q, text, &he);
    json_decref(kp);
    free(he.feedback);
    json_decref(kw);
    free(text);
    return 0;
}
