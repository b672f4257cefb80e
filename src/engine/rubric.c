/* rubric: loads data/rubrics.json and renders each category for prompts: its own 1/3/5
 * anchors when the file gives them, else its criteria's. */
#include "engine/rubric.h"

#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_category(struct rubric_category *c, const char *name, json_t *obj, char *err,
                         size_t errlen)
{
    json_t *crit = json_object_get(obj, "criteria");
    if (!json_is_array(crit) || json_array_size(crit) == 0) {
        snprintf(err, errlen, "rubric %s: \"criteria\" must be a non-empty array", name);
        return -1;
    }
    c->name = xstrdup(name);
    c->criteria = xcalloc(json_array_size(crit), sizeof *c->criteria);
    struct sbuf text = {0};
    size_t i;
    json_t *k;
    json_array_foreach(crit, i, k)
    {
        struct rubric_criterion *rc = &c->criteria[c->n_criteria++];
        const char *cname = json_string_value(json_object_get(k, "name"));
        json_t *anchors = json_object_get(k, "anchors");
        if (!cname || !json_is_object(anchors)) {
            snprintf(err, errlen, "rubric %s: criterion %zu needs name and anchors", name, i);
            sbuf_free(&text);
            return -1;
        }
        rc->name = xstrdup(cname);
        rc->weight = json_number_value(json_object_get(k, "weight"));
        const char *desc = json_string_value(json_object_get(k, "description"));
        rc->description = xstrdup(desc ? desc : "");
        for (int a = 1; a <= 5; a += 2) {
            char key[2] = {(char)('0' + a), 0};
            const char *v = json_string_value(json_object_get(anchors, key));
            if (!v) {
                snprintf(err, errlen, "rubric %s/%s: anchor %d missing", name, cname, a);
                sbuf_free(&text);
                return -1;
            }
            rc->anchor[a] = xstrdup(v);
        }
        json_t *sig = json_object_get(k, "signals");
        rc->signals = json_is_array(sig) ? json_incref(sig) : json_array();
        sbuf_printf(&text, "- %s: 1 = %s 3 = %s 5 = %s\n", rc->name, rc->anchor[1], rc->anchor[3],
                    rc->anchor[5]);
    }
    json_t *anchors = json_object_get(obj, "anchors");
    if (anchors) {
        for (int a = 1; a <= 5; a += 2) {
            char key[2] = {(char)('0' + a), 0};
            const char *v = json_string_value(json_object_get(anchors, key));
            if (!v || !*v) {
                snprintf(err, errlen, "rubric %s: category anchor %d missing", name, a);
                sbuf_free(&text);
                return -1;
            }
            c->anchor[a] = xstrdup(v);
        }
        sbuf_free(&text);
        sbuf_printf(&text, "%s:\n1 = %s\n3 = %s\n5 = %s\n", name, c->anchor[1], c->anchor[3],
                    c->anchor[5]);
    } else {
        /* no category anchors: the criteria's, under the category's name */
        char *criteria = sbuf_take(&text);
        sbuf_printf(&text, "%s:\n%s", name, criteria);
        free(criteria);
    }
    c->prompt_text = sbuf_take(&text);
    return 0;
}

struct rubrics *rubrics_load(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return NULL;
    }
    struct rubrics *r = xcalloc(1, sizeof *r);
    const char *version = json_string_value(json_object_get(root, "version"));
    json_t *cats = json_object_get(root, "categories");
    if (!version || !json_is_object(cats)) {
        snprintf(err, errlen, "%s: needs \"version\" and \"categories\"", path);
        goto fail;
    }
    r->version = xstrdup(version);
    r->categories = xcalloc(json_object_size(cats), sizeof *r->categories);
    const char *name;
    json_t *obj;
    json_object_foreach(cats, name, obj)
    {
        if (load_category(&r->categories[r->n_categories], name, obj, err, errlen) != 0) {
            r->n_categories++;
            goto fail;
        }
        r->n_categories++;
    }
    json_decref(root);
    return r;
fail:
    json_decref(root);
    rubrics_free(r);
    return NULL;
}

void rubrics_free(struct rubrics *r)
{
    if (!r) return;
    for (int i = 0; i < r->n_categories; i++) {
        struct rubric_category *c = &r->categories[i];
        for (int j = 0; j < c->n_criteria; j++) {
            struct rubric_criterion *k = &c->criteria[j];
            free(k->name);
            free(k->description);
            for (int a = 0; a < 6; a++)
                free(k->anchor[a]);
            json_decref(k->signals);
        }
        free(c->criteria);
        for (int a = 0; a < 6; a++)
            free(c->anchor[a]);
        free(c->name);
        free(c->prompt_text);
    }
    free(r->categories);
    free(r->version);
    free(r);
}

const struct rubric_category *rubrics_get(const struct rubrics *r, const char *category)
{
    const struct rubric_category *technical = NULL;
    for (int i = 0; i < r->n_categories; i++) {
        if (strcmp(r->categories[i].name, category) == 0) return &r->categories[i];
        if (strcmp(r->categories[i].name, "technical") == 0) technical = &r->categories[i];
    }
    return technical ? technical : (r->n_categories ? &r->categories[0] : NULL);
}
