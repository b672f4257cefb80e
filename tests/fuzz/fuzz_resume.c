/* Fuzz target: resume text (untrusted) through the heuristic resume reader and the
 * question template filler it feeds. */
#include "engine/bank.h"
#include "engine/heuristic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    json_t *a = heuristic_resume_analysis(text, NULL);
    struct bank_fill_ctx ctx = {.analysis = a, .turn = (int)(size % 7)};
    char *q = bank_fill(
        NULL, "In {project} at {company}, how did {skill} and {skill2} help over {years} years?",
        &ctx);
    free(q);
    json_decref(a);
    free(text);
    return 0;
}
