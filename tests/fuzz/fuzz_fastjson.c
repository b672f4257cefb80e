/* Fuzz target: a provider's answer body (untrusted) through fastjson_completion, checked
 * against jansson. Differential: whenever the fast scanner claims a text (returns 0),
 * jansson must parse the same text and find the same content, finish reason and token
 * counts, and no "error" key; any disagreement aborts. Texts the scanner refuses are
 * fine: the client parses those with jansson. fastjson_parse's trees must equal jansson's
 * for the same text whenever it builds one. Also: whatever jansson parses, core/jsonw
 * must write back as JSON that jansson reads as an equal value. */
#include "core/jsonw.h"
#include "core/fastjson.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fast_completion fc;
    int rc = fastjson_completion((const char *)data, size, &fc);
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    json_t *fast = fastjson_parse((const char *)data, size);
    if (fast && (!root || !json_equal(fast, root))) abort(); /* a tree only jansson's */
    json_decref(fast);
    if (rc == 0) {
        if (!json_is_object(root) || json_object_get(root, "error")) abort();
        json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
        json_t *content = json_object_get(json_object_get(choice, "message"), "content");
        if (!json_is_string(content)) abort();
        if (json_string_length(content) != strlen(fc.content) ||
            memcmp(json_string_value(content), fc.content, strlen(fc.content)) != 0)
            abort();
        const char *fin = json_string_value(json_object_get(choice, "finish_reason"));
        size_t cut = sizeof fc.finish_reason - 1;
        if (fin ? strncmp(fin, fc.finish_reason, cut) != 0 ||
                      strlen(fc.finish_reason) != (strlen(fin) < cut ? strlen(fin) : cut)
                : fc.finish_reason[0] != 0)
            abort();
        json_t *usage = json_object_get(root, "usage");
        if (json_integer_value(json_object_get(usage, "prompt_tokens")) != fc.prompt_tokens ||
            json_integer_value(json_object_get(usage, "completion_tokens")) != fc.completion_tokens)
            abort();
        free(fc.content);
    }
    if (root) {
        struct sbuf out = {0};
        sbuf_json(&out, root, 17);
        json_t *again = json_loadb(out.data, out.len, 0, NULL);
        if (!again || !json_equal(root, again)) abort();
        json_decref(again);
        sbuf_free(&out);
    }
    json_decref(root);
    return 0;
}
