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

struct phrase_terms;

struct bank {
    struct phrase_terms *terms; /* canonical spellings of tools (data/terms.json) */
    struct bank_role *roles;
    int n_roles;
    struct bank_question *questions;
    int n_questions;
};

/* Loads roles.json, terms.json and questions/<category>.json from dir. NULL with a sentence in err
 * on failure.
 */
struct bank *bank_load(const char *dir, char *err, size_t errlen);
void bank_free(struct bank *b);
const struct bank_role *bank_role_find(const struct bank *b, const char *id);
/* The template with this id (templates added at run time included), or NULL; an id
 * with a "#..." suffix (another filling of a template) finds its template. */
const struct bank_question *bank_question_find(const struct bank *b, const char *id);
/* Marks the template id as retired: no pick returns it again. 0, or -1 for an unknown id. */
int bank_retire(struct bank *b, const char *id);
/* {"key_points":[...],"outline":"..."} of q for a report, placeholders read as "the
 * skill", "the project", ...; empty when q is NULL or has no reference (new ref). */
json_t *bank_reference_plain(const struct bank_question *q);

/* What the picker must avoid: ids and normalised texts already asked of the candidate,
 * oldest first, with the topic of each and the interview it was asked in. */
struct bank_seen {
    char **ids;
    uint64_t *id_hashes;     /* XXH3-64 of ids[i] */
    uint64_t *text_hashes;   /* util_normalized_hash of the text as asked */
    char **texts;            /* the texts as asked, for near-duplicate checks */
    char **lowered;          /* the same in ASCII lower case, to count phrases quickly */
    char **topics;           /* topic of each, or NULL */
    int *interview_ord;      /* 1 for the candidate's first interview, 2 for the next, ... */
    char last_interview[33]; /* the interview of the newest entry */
    int n_interviews;        /* interviews seen so far (the newest entry's ordinal) */
    size_t len, cap;
    /* topic -> latest interview ordinal, open addressing by XXH3-64 of the topic */
    uint64_t *topic_keys; /* 0 = empty slot */
    int *topic_ords;
    size_t topic_cap, topic_len;
};
void bank_seen_add(struct bank_seen *s, const char *id, const char *text);
/* The same, with the question's topic (or NULL) and the interview it was asked in. */
void bank_seen_add_turn(struct bank_seen *s, const char *id, const char *text, const char *topic,
                        const char *interview_id);
/* The ordinal (bank_seen.interview_ord) of the latest interview that asked topic, 0 if
 * none: topics with a lower value are due first. */
int bank_seen_topic_last(const struct bank_seen *s, const char *topic);
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

/* Says whether template q may be asked now (a negative value: no) and how much it is
 * preferred (higher first; the per-candidate order breaks ties). */
typedef int (*bank_pick_filter)(const struct bank_question *q, void *data);

/* bank_pick, with filter (may be NULL) deciding among the unheard templates of each
 * pass: the highest value wins within a difficulty and role pass. */
const struct bank_question *bank_pick_filtered(const struct bank *b, const char *role,
                                               const char *category, int difficulty,
                                               const struct bank_seen *seen, const char *salt,
                                               bank_pick_filter filter, void *data);

/* 1 if template q may be asked of a candidate for role (its own or any role). */
int bank_question_fits(const struct bank_question *q, const char *role);

/* Templates of `category` usable for `role` that the candidate has not heard. */
int bank_unheard_count(const struct bank *b, const char *role, const char *category,
                       const struct bank_seen *seen);
/* Adds a template at run time (a generated question): id, role ("*" for any), category,
 * difficulty, text, keywords (array, borrowed) and topic (NULL: the topic of the
 * nearest template, see bank_topic_of). Returns 0, or -1 if the id exists or the text is
 * a near-duplicate of a template of that category already in the bank. */
int bank_add(struct bank *b, const char *id, const char *role, const char *category, int difficulty,
             const char *text, const json_t *keywords, const char *topic);

/* The topic of the template whose text is nearest to text (MinHash over content
 * words), or NULL when none is near: how a model-written question gets a topic. */
const char *bank_topic_of(const struct bank *b, const char *text);
/* How alike (Jaccard of content words) a question and a template must be to share its
 * topic: lower than a near-duplicate, since a topic is wider than one wording. */
#define BANK_TOPIC_MIN_JACCARD 0.3

/* How many heard questions may already use one resume phrase before a template that
 * would use it again is skipped: projects and companies, then skills. */
#define BANK_PHRASE_MAX_USES 3
#define BANK_SKILL_MAX_USES 5
/* ... among the candidate's latest this-many questions (ten interviews); older ones no
 * longer count. */
#define BANK_PHRASE_WINDOW 120

/* What a template is filled from. */
struct bank_fill_ctx {
    const json_t *analysis; /* {skills,projects,companies,years_experience} or NULL */
    const struct bank_role *role;
    int turn;                     /* rotates which value is used when there is no history */
    const struct bank_seen *seen; /* the candidate's heard questions: least-used value first,
                                   * and a value used too often is not used again; or NULL */
    const json_t *job_skills;     /* skills a job description names, used first for {skill} */
    const char *source;           /* the resume the analysis read (finds cut words), or NULL */
};

/* Fills placeholders with clean phrases (engine/phrase.h) from ctx. Returns malloc'd
 * text, or NULL when a slot has no clean value left that the candidate has not heard
 * too often (only with ctx->seen); a slot with no value at all reads generally ("a
 * recent project of yours"). */
char *bank_fill(const struct bank *b, const char *text, const struct bank_fill_ctx *ctx);

/* The same in two steps, for filling many templates from one context: the clean values
 * and their uses are worked out once. */
struct bank_slots;
struct bank_slots *bank_slots_new(const struct bank *b, const struct bank_fill_ctx *ctx);
void bank_slots_free(struct bank_slots *s);
/* 1 if bank_fill_slots would fill text (every slot has a usable value). */
int bank_slots_can_fill(const struct bank_slots *s, const char *text);
char *bank_fill_slots(const struct bank_slots *s, const char *text);

#endif
