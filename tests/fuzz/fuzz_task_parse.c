/* Fuzz target: a model's reply (untrusted) through task_parse for every task. The first
 * byte picks the task. */
#include "llm/task.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    enum task_kind k = (enum task_kind)(data[0] % TASK__COUNT);
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    char why[200];
    json_t *r = task_parse(k, text, why, sizeof why);
    json_decref(r);
    free(text);
    return 0;
}
