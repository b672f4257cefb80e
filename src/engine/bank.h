/* bank: roles, the question bank and its templates.
 *
 * Templates live in data/questions/<category>.json and carry placeholders ({project},
 * {skill}, ...) filled from the candidate's resume analysis. The picker never returns
 * a template the candidate has already heard, in any of their interviews: callers pass
 * the set of question ids (and texts) already asked. The order in which a candidate
 * meets templates is a per-candidate shuffle (hash of candidate id and template id), so
 * two candidates do not march through the bank in the same order. */
#ifndef ENGINE_BANK_H
#define ENGINE_BANK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct bank_role {
    char *id;       /* "backend_engineer" */
    char *title;    /* "Backend engineer" */
    json_t *skills; /* array of strings: typical skills, used when the resume names none */
};

struct bank_question {
    char *id;           /* "tech.backend_engineer.021" */
    char *category;     /* introduction | resume | technical | behavioral | wrap_up */
    char *text;         /* template text with placeholders */
    json_t *keywords;   /* array of strings */
    json_t *reference;  /* {"key_points":[strings],"outline":string} or NULL */
    char *topic;        /* "sql_transactions": what the report groups scores by; NULL if unset */
    int difficulty;     /* 1..3 */
    uint64_t id_hash;   /* XXH3-64 of id */
    uint64_t text_hash; /* util_normalized_hash of text (meaningful when it has no placeholder) */
    int any_role;       /* roles ["*"] */
    char **roles;       /* role ids when !any_role */
    int n_roles;
    int retired; /* retired by an operator (issue 17): never picked again */
};

struct bank {
    struct bank_role *roles;
    int n_roles;
    struct bank_question *questions;
    int n_questions;
};

/* Loads roles.json and questions/<category>.json from dir. NULL with a sentence in err on failure.
 */
struct bank *bank_load(const char *dir, char *err, size_t errlen);
void bank_free(struct bank *b);
const struct bank_role *bank_role_find(const struct bank *b, const char *id);
/* The template with this id (templates added at run time included), or NULL. */
const struct bank_question *bank_question_find(const struct bank *b, const char *id);
/* Marks the template id as retired: no pick returns it again. 0, or -1 for an unknown id. */
int bank_retire(struct bank *b, const char *id);
/* {"key_points":[...],"outline":"..."} of q for a report, placeholders read as "the
 * skill", "the project", ...; empty when q is NULL or has no reference (new ref). */
json_t *bank_reference_plain(const struct bank_question *q);

/* What the picker must avoid: ids and normalised texts already asked of the candidate. */
struct bank_seen {
    char **ids;
    uint64_t *id_hashes;   /* XXH3-64 of ids[i] */
    uint64_t *text_hashes; /* util_normalized_hash of the text as asked */
    char **texts;          /* the texts as asked, for near-duplicate checks */
    size_t len, cap;
};
void bank_seen_add(struct bank_seen *s, const char *id, const char *text);
int bank_seen_has_id(const struct bank_seen *s, const char *id);
int bank_seen_has_text(const struct bank_seen *s, const char *text);
/* 1 if text is a near-duplicate (optimize/simhash.h, MinHash over content words) of a
 * question already heard; for model-written questions, which have no bank id. */
int bank_seen_has_near(const struct bank_seen *s, const char *text);
void bank_seen_free(struct bank_seen *s);

/* Picks an unheard template of `category` for `role` at `difficulty`; technical
 * questions prefer the role's own, then general ones, then neighbouring difficulties.
 * `salt` (the candidate id) decides the order. NULL when the bank has nothing left. */
const struct bank_question *bank_pick(const struct bank *b, const char *role, const char *category,
                                      int difficulty, const struct bank_seen *seen,
                                      const char *salt);

/* Templates of `category` usable for `role` that the candidate has not heard. */
int bank_unheard_count(const struct bank *b, const char *role, const char *category,
                       const struct bank_seen *seen);
/* Adds a template at run time (a generated question): id, role ("*" for any), category,
 * difficulty, text and keywords (array, borrowed). Returns 0, or -1 if the id exists
 * or the text is a near-duplicate of a template of that category already in the bank. */
int bank_add(struct bank *b, const char *id, const char *role, const char *category, int difficulty,
             const char *text, const json_t *keywords);

/* Fills placeholders from the analysis ({skills,projects,companies,years_experience})
 * and the role. `turn` rotates which skill/project is used. Returns malloc'd text. */
char *bank_fill(const char *text, const json_t *analysis, const struct bank_role *role, int turn);

#endif
