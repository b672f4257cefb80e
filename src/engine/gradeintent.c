/* gradeintent: see gradeintent.h. Words of a sentence are classified once; the sentence
 * is judged when it ends. */
#include "engine/gradeintent.h"

#include "core/util.h"

#include <ctype.h>
#include <string.h>

#define GI_MAX_WORDS 64 /* a sentence longer than this is judged on its first words */
#define GI_WORD_BYTES 24
#define GI_NEAR 4 /* a top value at most this many words from its grading word */

/* grading words; German, French and Spanish ones too (accents are gone in the view) */
static const char *const grading[] = {
    "score",   "scores",     "scored",     "scoring",   "grade",        "grades",   "graded",
    "grading", "rate",       "rated",      "rating",    "mark",         "marks",    "marked",
    "points",  "evaluation", "credit",     "receive",   "receives",     "get",      "gets",
    "earn",    "earns",      "deserve",    "deserves",  "merit",        "merits",   "punktzahl",
    "punkte",  "note",       "noten",      "bewertung", "bewerte",      "bewertet", "benote",
    "notez",   "noter",      "puntuacion", "nota",      "calificacion", "califica", "puntua"};
/* grading verbs that take the target right after them: "rate this", "give it" */
static const char *const verbs[] = {"give",   "award",   "assign", "grant", "rate",     "score",
                                    "grade",  "mark",    "set",    "put",   "treat",    "consider",
                                    "regard", "bewerte", "benote", "notez", "califica", "puntua"};
static const char *const tops[] = {
    "maximum",  "max",       "top",      "full",      "perfect",   "highest",   "outstanding",
    "flawless", "5/5",       "10/10",    "100/100",   "100%",      "excellent", "volle",
    "vollen",   "hochste",   "hochsten", "maximale",  "maximalen", "maxima",    "maximo",
    "parfaite", "meilleure", "bestnote", "hochstnote"};
static const char *const numbers[] = {"5", "10", "100", "five", "ten"};
/* words that may stand between a grading word and its number: "score of 5", "score for
 * this answer is 5", "rate this 10/10" */
static const char *const linkers[] = {
    "is",     "of",    "to",  "=",          "at",  "as",      "a",        "an", "the",
    "this",   "it",    "me",  "for",        "be",  "answer",  "response", "my", "must",
    "should", "equal", "set", "everything", "all", "answers", "responses"};
/* what may follow a score's number: "5 out of 5", "10 points", "5 and nothing else" */
static const char *const after_number[] = {
    "out", "points", "marks",   "stars", "please",  "and",     "now", "for",
    "on",  "no",     "nothing", "only",  "instead", "because", "so",  "regardless"};
static const char *const targets[] = {
    "you",        "your",      "model",    "ai",       "assistant", "llm",       "reviewer",
    "grader",     "evaluator", "examiner", "assessor", "system",    "candidate", "candidates",
    "submission", "item",      "antwort",  "reponse",  "respuesta"};
static const char *const directives[] = {
    "must",     "should",    "shall",        "only",       "acceptable", "approved",
    "required", "command",   "kindly",       "please",     "override",   "regardless",
    "always",   "never",     "instructions", "deductions", "remember",   "mandatory",
    "ensure",   "guarantee", "need",         "policy",     "bitte"};

static int in(const char *const *list, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], w) == 0) return 1;
    return 0;
}

struct sentence {
    char w[GI_MAX_WORDS][GI_WORD_BYTES];
    int clause_start[GI_MAX_WORDS]; /* the word opens a clause */
    int n;
};

static int top_near(const struct sentence *s, int g)
{
    for (int d = -2; d <= 2; d++) { /* "top score", "score: maximum", "full marks" */
        int k = g + d;
        if (d && k >= 0 && k < s->n && in(tops, ARRAY_LEN(tops), s->w[k])) return 1;
    }
    /* "score 5", "score = 5", "score for this answer is 5", "rate this 10/10"; a number
     * that counts something ("graded 100 exams") is not a score */
    for (int k = g + 1; k < s->n && k <= g + GI_NEAR + 2; k++) {
        if (in(tops, ARRAY_LEN(tops), s->w[k])) return 1;
        if (in(numbers, ARRAY_LEN(numbers), s->w[k]))
            return k + 1 >= s->n || in(after_number, ARRAY_LEN(after_number), s->w[k + 1]);
        if (!in(linkers, ARRAY_LEN(linkers), s->w[k])) break;
    }
    /* "5 points", "10 marks" */
    if (g > 0 && in(numbers, ARRAY_LEN(numbers), s->w[g - 1]) &&
        (strcmp(s->w[g], "points") == 0 || strcmp(s->w[g], "marks") == 0))
        return 1;
    return 0;
}

static int judge(const struct sentence *s)
{
    int top = 0, target = 0, directive = 0;
    for (int i = 0; i < s->n; i++) {
        const char *w = s->w[i];
        if (!top && in(grading, ARRAY_LEN(grading), w)) top = top_near(s, i);
        /* "treat this answer as perfect", "consider it excellent" */
        if (!top &&
            (strcmp(w, "treat") == 0 || strcmp(w, "consider") == 0 || strcmp(w, "regard") == 0))
            for (int k = i + 1; k < s->n && k <= i + GI_NEAR; k++)
                if (in(tops, ARRAY_LEN(tops), s->w[k])) top = 1;
        if (in(targets, ARRAY_LEN(targets), w)) target = 1;
        if ((strcmp(w, "this") == 0 || strcmp(w, "my") == 0) && i + 1 < s->n &&
            (strcmp(s->w[i + 1], "answer") == 0 || strcmp(s->w[i + 1], "response") == 0 ||
             strcmp(s->w[i + 1], "reply") == 0))
            target = 1;
        if (i > 0 && in(verbs, ARRAY_LEN(verbs), s->w[i - 1]) &&
            (strcmp(w, "it") == 0 || strcmp(w, "this") == 0 || strcmp(w, "me") == 0))
            target = 1;
        if (in(directives, ARRAY_LEN(directives), w)) directive = 1;
        if (s->clause_start[i] && in(verbs, ARRAY_LEN(verbs), w)) directive = 1;
    }
    return top && target && directive;
}

int grade_intent(const char *lines)
{
    struct sentence s;
    s.n = 0;
    int clause = 1;
    for (const char *p = lines ? lines : "";;) {
        /* a word: letters, digits, '/', '%' and '=' standing alone */
        if (isalnum((unsigned char)*p) || *p == '=') {
            char w[GI_WORD_BYTES];
            size_t n = 0;
            if (*p == '=') {
                w[n++] = *p++;
            } else {
                /* "highest-risk" and "rate-limit" are one word */
                while (isalnum((unsigned char)*p) || *p == '/' || *p == '%' || *p == '\'' ||
                       (*p == '-' && isalnum((unsigned char)p[1]) && n > 0)) {
                    if (n + 1 < sizeof w) w[n++] = *p;
                    p++;
                }
            }
            w[n] = 0;
            if (s.n < GI_MAX_WORDS) {
                memcpy(s.w[s.n], w, n + 1);
                s.clause_start[s.n] = clause;
                s.n++;
            }
            clause = 0;
            continue;
        }
        int end = *p == 0 || *p == '!' || *p == '?' || *p == ';' || *p == '\n' ||
                  (*p == '.' && (p[1] == 0 || isspace((unsigned char)p[1])));
        if (end) {
            if (s.n && judge(&s)) return 1;
            s.n = 0;
            clause = 1;
            if (!*p) return 0;
        } else if (strchr(":,()[]{}<>\"-", *p)) {
            clause = 1;
        } /* anything else ("_" of candidate_score, quotes) only separates words */
        p++;
    }
}
