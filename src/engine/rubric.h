/* rubric: scoring criteria per question category, with anchored 1/3/5 descriptions.
 *
 * Loaded from data/rubrics.json. Anchors are checklist-like on purpose: holistic
 * criteria make model scores drift between runs. The same rubric drives the model's
 * prompt and the offline heuristic scorer (through each criterion's "signals"). A model
 * is shown the category's own three anchors, which name every criterion in a line each
 * (short prompts, issue 16); the criteria's longer anchors and descriptions stay the
 * reference for people and the heuristic. */
#ifndef ENGINE_RUBRIC_H
#define ENGINE_RUBRIC_H

#include <jansson.h>
#include <stddef.h>

struct rubric_criterion {
    char *name;
    double weight; /* weights of one category sum to 1 */
    char *description;
    char *anchor[6]; /* anchor[1], anchor[3], anchor[5]; others NULL */
    json_t *signals; /* array of lowercase words/phrases that evidence it */
};

struct rubric_category {
    char *name; /* introduction | resume | technical | behavioral | wrap_up */
    struct rubric_criterion *criteria;
    int n_criteria;
    char *anchor[6];   /* the category's own anchor[1], [3], [5]: its criteria in one line
                          each (optional in the file; NULL if absent) */
    char *prompt_text; /* what a model is shown: "name:\n1 = ...\n3 = ...\n5 = ...\n" from
                          the category's anchors, else the criteria with theirs */
};

struct rubrics {
    char *version; /* part of every evaluation cache key and prompt */
    struct rubric_category *categories;
    int n_categories;
};

struct rubrics *rubrics_load(const char *path, char *err, size_t errlen);
void rubrics_free(struct rubrics *r);
/* The category's rubric, or the technical one for an unknown category. */
const struct rubric_category *rubrics_get(const struct rubrics *r, const char *category);

#endif
