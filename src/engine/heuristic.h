/* heuristic: the offline scorer and resume reader.
 *
 * Used when no model is configured or reachable, and labelled as such in reports. It
 * judges whether an answer answers *this* question: how many of the question's key
 * points it covers (words stemmed with libstemmer's English stemmer, plus a small
 * synonym table), falling back to the question's keywords where a question has no key
 * points. Before any grading it sorts out the answers that score 1 or 2 whatever their
 * length: another language, a list of terms, the question restated, and answers about
 * something else (checked against the question's own vocabulary). Length and numbers
 * count only inside a relevant answer; filler words cost points; a short answer that
 * covers the key points scores well. Deterministic, offline, microseconds per answer
 * (bench/heuristic_bench.c); its agreement with human labels is measured by
 * tests/unit/test_quality.c on tests/data/answers/ (bench/quality.sh prints it). */
#ifndef ENGINE_HEURISTIC_H
#define ENGINE_HEURISTIC_H

#include "engine/rubric.h"

#include <jansson.h>

/* What an answer was judged to be before grading; all but RELEVANT score 1 or 2. */
enum heuristic_kind {
    HEURISTIC_RELEVANT = 0,   /* about the question: graded 1..5 on key-point coverage */
    HEURISTIC_NON_ANSWER,     /* no content words at all */
    HEURISTIC_OTHER_LANGUAGE, /* not English: 2 if it shares the question's terms, else 1 */
    HEURISTIC_TERM_LIST,      /* terms separated by commas, hardly a sentence: 1 */
    HEURISTIC_RESTATED,       /* the question's own words said back: 1 */
    HEURISTIC_OFF_TOPIC,      /* none of the key points, little of the question's vocabulary: 1 */
};

/* The question an answer is scored against; every field may be NULL. */
struct heuristic_question {
    const char *text;         /* as the candidate saw it, placeholders filled */
    const json_t *key_points; /* array of strings: what a strong answer covers */
    const json_t *keywords;   /* array of short phrases; used when key_points is absent */
};

struct heuristic_eval {
    int score; /* 1..5 */
    enum heuristic_kind kind;
    double coverage; /* 0..1: mean coverage of the key points (else keywords) */
    char *feedback;  /* malloc'd sentence(s); the caller frees it */
};

void heuristic_evaluate(const struct rubric_category *rubric, const struct heuristic_question *q,
                        const char *answer, struct heuristic_eval *out);
/* Stable name of a kind ("off_topic", ...). */
const char *heuristic_kind_name(enum heuristic_kind k);

/* {"skills","projects","companies","years_experience","seniority","summary"} read from
 * the resume with fixed rules; role_skills (array) widens the skill vocabulary. */
json_t *heuristic_resume_analysis(const char *resume, const json_t *role_skills);

/* {"summary","strengths","improvements"} from scored turns: an array of
 * {"question","category","score","feedback"} with, where known, "position" (1-based),
 * "topic", "answer" and "key_points". "improvements" names the lowest-scored answers
 * (score <= 3) by position and topic with a key point each missed; the summary names
 * the weakest topics. */
json_t *heuristic_summary(const json_t *scored);
/* "Weakest topics: a (1.5/5) and b (2.0/5)." for topics whose mean is below 3.5, or
 * NULL; malloc'd. */
char *heuristic_weakest_topics(const json_t *scored);

#endif
