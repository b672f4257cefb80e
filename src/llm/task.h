/* task: what interviewd asks a model, and how it checks the answer.
 *
 * One function builds each task's messages: a static system prompt (task marker,
 * instructions, rubric) and a user message of data blocks in which candidate text is
 * escaped and fenced (docs/tasks.md). task_parse() validates a reply against the
 * task's schema, clamps scores to 1..5, and returns a normalised JSON object, or NULL
 * with a reason, so the caller can retry once and then fall back. */
#ifndef LLM_TASK_H
#define LLM_TASK_H

#include <jansson.h>
#include <stddef.h>

enum task_kind {
    TASK_RESUME_ANALYSIS,
    TASK_QUESTION_GEN,
    TASK_FOLLOW_UP,
    TASK_EVALUATE,
    TASK_EVALUATE_BATCH,
    TASK_SUMMARY,
    TASK__COUNT
};

#define TASK_PROMPT_VERSION 3

const char *task_name(enum task_kind k);
/* -1 if unknown. */
int task_from_name(const char *name);

/* One question and, where known, its answer and score. Borrowed strings. Prompts name
 * a question by its position ("question 3"), never by its bank id, so a model has no
 * internal id to repeat; the "question_id" of a batch reply is that position. */
struct task_qa {
    const char *id;           /* bank id: stays out of prompts */
    int position;             /* 1-based place in the interview */
    const json_t *key_points; /* what a strong answer covers (array of strings) or NULL */
    const char *category;
    const char *question;
    const char *answer;     /* candidate text: escaped and fenced */
    const json_t *keywords; /* array of strings or NULL */
    int difficulty;
    int score; /* for summary; 0 if none */
};

/* Asks an evaluate/evaluate_batch call to also write the next question, so one call
 * per turn both scores and keeps the interview adaptive. */
struct task_next {
    const char *phase;        /* resume | technical | ... */
    int difficulty;           /* 1..3 */
    const char *const *asked; /* question texts already asked in this interview */
    size_t n_asked;
    const char *job_description; /* the job the candidate practises for (data), or NULL */
};

/* Each returns [{"role":"system",...},{"role":"user",...}] (new reference). */
json_t *task_resume_analysis(const char *role, const char *resume);
json_t *task_question_gen(const char *role, const char *category, const char *skill, int difficulty,
                          int count);
json_t *task_follow_up(const char *role, const struct task_qa *qa);
/* rubric_text: the category's criteria as rendered by the rubric module. */
json_t *task_evaluate(const char *role, const char *rubric_version, const char *rubric_text,
                      const struct task_qa *qa);
json_t *task_evaluate_batch(const char *role, const char *rubric_version, const char *rubric_text,
                            const struct task_qa *qa, size_t n, int with_summary);
/* The same with a next-question request (next may be NULL). */
json_t *task_evaluate_next(const char *role, const char *rubric_version, const char *rubric_text,
                           const struct task_qa *qa, const struct task_next *next);
json_t *task_evaluate_batch_next(const char *role, const char *rubric_version,
                                 const char *rubric_text, const struct task_qa *qa, size_t n,
                                 int with_summary, const struct task_next *next);
json_t *task_summary(const char *role, const struct task_qa *qa, size_t n);

/* Validates content for task k. Returns a new object or NULL with a reason in why. */
json_t *task_parse(enum task_kind k, const char *content, char *why, size_t whylen);

/* 1 if text names a question by an internal id ("tech.data_scientist.017", "beh.012",
 * "gen.backend_engineer.5f3a..."). */
int task_has_internal_id(const char *text);
/* A copy of text with every internal id replaced by "this question" (caller frees). */
char *task_scrub_ids(const char *text);

/* Appends the model view of s (core/textnorm.h: invisible characters removed,
 * look-alike letters folded) with &, <, > and " escaped. */
struct sbuf;
void task_escape(struct sbuf *b, const char *s);

#endif
