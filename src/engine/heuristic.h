/* heuristic: the offline scorer and resume reader.
 *
 * Used when no model is configured or reachable, and labelled as such in reports. It
 * scores an answer against the category's rubric from observable evidence only:
 * length, the question's keywords, each criterion's signal phrases, and numbers
 * (specificity). Length alone never earns more than a 3. Deterministic: the same answer
 * always gets the same score. */
#ifndef ENGINE_HEURISTIC_H
#define ENGINE_HEURISTIC_H

#include "engine/rubric.h"

#include <jansson.h>

struct heuristic_eval {
    int score;      /* 1..5 */
    char *feedback; /* malloc'd sentence(s) */
};

void heuristic_evaluate(const struct rubric_category *rubric, const json_t *keywords,
                        const char *answer, struct heuristic_eval *out);

/* {"skills","projects","companies","years_experience","seniority","summary"} read from
 * the resume with fixed rules; role_skills (array) widens the skill vocabulary. */
json_t *heuristic_resume_analysis(const char *resume, const json_t *role_skills);

/* {"summary","strengths","improvements"} from scored turns: an array of
 * {"question","category","score","feedback"}. */
json_t *heuristic_summary(const json_t *scored);

#endif
