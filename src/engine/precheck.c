/* precheck: see precheck.h. Pure functions over the answer text, no state. */
#include "engine/precheck.h"

#include "engine/injection.h"

#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Non-answers. An answer is one when it splits into clauses (at punctuation and at
 * "and"/"but") that are each a non-answer ("I don't know", "pass", "no idea"), an excuse
 * that goes with one ("I haven't done that", "you'd have to ask them") or filler
 * ("sorry", "hmm"), with at least one real non-answer among them. A clause that says
 * anything else ("but I would measure p99 first") makes it an answer, so "I don't know
 * the exact figure, but ..." is scored normally. Matching is on whole clauses, never on
 * prefixes: "Skip lists are O(log n)." is an answer. */

/* Whole-clause non-answers, after optional words were dropped (see drop_words). */
static const char *const non_answers[] = {
    "i don't know",
    "i do not know",
    "don't know",
    "dont know",
    "i dont know",
    "dunno",
    "i dunno",
    "idk",
    "no idea",
    "i have no idea",
    "i've no idea",
    "not sure",
    "i'm not sure",
    "im not sure",
    "i am not sure",
    "no clue",
    "i have no clue",
    "pass",
    "i pass",
    "i'll pass",
    "skip",
    "skip it",
    "skip this",
    "next",
    "next question",
    "no answer",
    "n/a",
    "na",
    "none",
    "nothing",
    "no comment",
    "i can't answer",
    "i cannot answer",
    "i can't answer that",
    "can't answer",
    "i don't remember",
    "i do not remember",
    "i don't remember any",
    "can't remember",
    "i can't remember",
    "i can't think of one",
    "can't think of one",
    "i can't think of any",
    "i cannot think of one",
    "nothing comes to mind",
    "i'd rather not say",
    "i'd rather not answer",
    "i would rather not say",
    "not sure what to say",
    "i'm not sure what to say",
    "i don't know what to say",
    "no",
    "not a clue",
    "i have no experience with that",
    "no experience",
    "i'm not familiar with it",
    "i'm not familiar with that",
    "not familiar with it",
    "not familiar with that",
    "i don't know anything about it",
    "i don't know anything about that",
    "i haven't done that",
    "i have not done that",
    "i haven't done this",
    "i haven't done it",
    "i havent done that",
    "haven't done that",
    "i've never done that",
    "i have never done that",
    "never done that",
    "i never did that",
    "i haven't used it",
    "i haven't used that",
    "i haven't worked with it",
    "i haven't worked with that",
    "beats me",
    "never heard of it",
    "i've never heard of it",
    "i have never heard of it",
    "i'm drawing a blank",
    "drawing a blank",
    "i have nothing",
    "i've got nothing",
    "got nothing",
    "i don't have an answer",
    "i do not have an answer",
    "i'd have to look it up",
    "i would have to look it up",
    "i'd have to look that up",
    "i'd have to google it",
    "i'd have to google that",
    "can't say",
    "cannot say",
    "i can't say",
    "i give up",
    "give up",
};

/* The heart of a non-answer, found anywhere in a clause whose other words are only
 * fillers (below): "I have no clue about that one", "no idea what that is", "I'm not
 * sure how to answer this". A clause with any other word ("not sure about Kafka's
 * offsets") is left to the heuristic. Single words that real answers use ("no",
 * "nothing", "next") are not cores. */
static const char *const cores[] = {
    "don't know", "do not know",    "dont know",      "no idea",
    "no clue",    "not a clue",     "not sure",       "unsure",
    "idk",        "dunno",          "beats me",       "drawing a blank",
    "no answer",  "can't answer",   "cannot answer",  "can't say",
    "cannot say", "don't remember", "can't remember", "never heard of",
    "i pass",     "i'll pass",
};

/* Words that add nothing to a non-answer around its core. */
static const char *const fillers[] = {
    "i",     "i'm",    "im",     "i've",       "i'd",   "am",         "have",       "got",
    "a",     "an",     "the",    "one",        "that",  "this",       "it",         "these",
    "those", "them",   "about",  "on",         "with",  "of",         "for",        "to",
    "me",    "there",  "any",    "anything",   "what",  "how",        "is",         "was",
    "be",    "answer", "say",    "question",   "topic", "subject",    "area",       "part",
    "thing", "stuff",  "either", "all",        "at",    "whatsoever", "what's",     "that's",
    "it's",  "mate",   "man",    "sir",        "guys",  "really",     "even",       "where",
    "start", "begin",  "sure",   "completely", "clue",  "idea",       "absolutely",
};

/* 1 if word (n bytes) is in list. */
static int word_in(const char *const *list, size_t count, const char *word, size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && strncmp(list[i], word, n) == 0) return 1;
    return 0;
}

/* A clause that is a core (cores[]) with only fillers around it. */
static int core_with_fillers(const char *clause)
{
    for (size_t i = 0; i < ARRAY_LEN(cores); i++) {
        size_t n = strlen(cores[i]);
        const char *at = clause;
        while ((at = strstr(at, cores[i])) != NULL) {
            int starts = at == clause || at[-1] == ' ';
            int ends = at[n] == 0 || at[n] == ' ';
            if (starts && ends) break;
            at++;
        }
        if (!at) continue;
        int other = 0;
        for (const char *p = clause; *p && !other;) {
            while (*p == ' ')
                p++;
            if (!*p) break;
            if (p == at) { /* the core itself */
                p += n;
                continue;
            }
            const char *w = p;
            while (*p && *p != ' ')
                p++;
            if (!word_in(fillers, ARRAY_LEN(fillers), w, (size_t)(p - w))) other = 1;
        }
        if (!other) return 1;
    }
    return 0;
}

/* Clauses that go with a non-answer without being an answer. */
static const char *const excuses[] = {
    "you'd have to ask them",
    "you would have to ask them",
    "ask them",
    "nothing in particular",
    "please",
    "next question please",
    "next question",
    "let's move on",
    "move on",
    "can we move on",
    "can we skip it",
    "can we skip this",
    "maybe next time",
    "no",
    "i'm afraid",
    "i guess",
    "i think",
    "not yet",
    "not really",
    "that's all",
    "thats all",
    "that's it",
    "nothing else",
};

/* Openings of an excuse clause that may end with anything short: "I haven't worked
 * with encryption", "I've never used Kafka". */
static const char *const excuse_openings[] = {
    "i haven't",    "i have not",         "i havent",    "haven't",    "i've never",
    "i have never", "never done",         "never did",   "never used", "never worked",
    "i never",      "i didn't",           "i did not",   "we didn't",  "we never",
    "i don't have", "i do not have",      "i don't use", "i'm new to", "i am new to",
    "not my area",  "that's not my area", "outside my",
};

/* Words dropped anywhere in a clause before it is compared. */
static const char *const drop_words[] = {
    "really",  "actually", "honestly", "quite",   "totally",
    "exactly", "sorry",    "hmm",      "hm",      "um",
    "uh",      "erm",      "er",       "well",    "so",
    "oh",      "ok",       "okay",     "tbh",     "unfortunately",
    "yet",     "here",     "then",     "now",     "right",
    "again",   "though",   "much",     "frankly", "truly",
    "just",    "ah",       "uhm",      "mm",      "ehh",
    "eh",
};
/* Word sequences dropped the same way. */
static const char *const drop_phrases[] = {
    "to be honest",  "on this one",   "this one",   "about this",         "about that",   "for now",
    "at all",        "at the moment", "i'm afraid", "i am afraid",        "for this one", "on that",
    "this question", "that question", "the answer", "the answer to that", "to that",      "to this",
    "about it",
};

static int in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return 1;
    return 0;
}

/* Removes the words and phrases of drop_words/drop_phrases from a clause of
 * space-separated words, in place. */
static void drop_optional(char *clause)
{
    char out[256] = "";
    size_t len = 0;
    const char *p = clause;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        int skipped = 0;
        for (size_t i = 0; i < ARRAY_LEN(drop_phrases) && !skipped; i++) {
            size_t n = strlen(drop_phrases[i]);
            if (strncmp(p, drop_phrases[i], n) == 0 && (p[n] == 0 || p[n] == ' ')) {
                p += n;
                skipped = 1;
            }
        }
        if (skipped) continue;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - w);
        char word[64];
        if (n >= sizeof word) n = sizeof word - 1;
        memcpy(word, w, n);
        word[n] = 0;
        if (in_list(drop_words, ARRAY_LEN(drop_words), word)) continue;
        if (len + n + 2 >= sizeof out) break;
        if (len) out[len++] = ' ';
        memcpy(out + len, word, n);
        len += n;
        out[len] = 0;
    }
    strcpy(clause, out);
}

enum clause_kind { CLAUSE_EMPTY, CLAUSE_NON_ANSWER, CLAUSE_EXCUSE, CLAUSE_ANSWER };

static enum clause_kind clause_kind(char *clause)
{
    drop_optional(clause);
    /* a leading conjunction belongs to the split, not the clause */
    static const char *const conj[] = {"and ", "but ", "or ", "because "};
    for (size_t i = 0; i < ARRAY_LEN(conj); i++) {
        size_t n = strlen(conj[i]);
        if (strncmp(clause, conj[i], n) == 0) memmove(clause, clause + n, strlen(clause + n) + 1);
    }
    if (!*clause) return CLAUSE_EMPTY;
    if (in_list(non_answers, ARRAY_LEN(non_answers), clause)) return CLAUSE_NON_ANSWER;
    if (in_list(excuses, ARRAY_LEN(excuses), clause)) return CLAUSE_EXCUSE;
    if (core_with_fillers(clause)) return CLAUSE_NON_ANSWER;
    for (size_t i = 0; i < ARRAY_LEN(excuse_openings); i++) {
        size_t n = strlen(excuse_openings[i]);
        if (strncmp(clause, excuse_openings[i], n) == 0 && (clause[n] == 0 || clause[n] == ' ') &&
            util_word_count(clause) <= 8)
            return CLAUSE_EXCUSE;
    }
    return CLAUSE_ANSWER;
}

/* Non-answers are short; anything longer than this many words is scored normally. */
#define PRECHECK_NON_ANSWER_MAX_WORDS 24

static int is_dont_know(const char *norm)
{
    if (util_word_count(norm) > PRECHECK_NON_ANSWER_MAX_WORDS) return 0;
    int non_answers_seen = 0, answer = 0;
    char clause[256];
    size_t len = 0;
    for (const char *p = norm;; p++) {
        /* clause ends: punctuation (ASCII, or a dash or ellipsis in UTF-8), " and ", " but " */
        int dash = (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
                   ((unsigned char)p[2] == 0x94 || (unsigned char)p[2] == 0x93 ||
                    (unsigned char)p[2] == 0xA6);
        int end = *p == 0 || dash || strchr(",.;:!?()\"-", *p) || strncmp(p, " and ", 5) == 0 ||
                  strncmp(p, " but ", 5) == 0;
        /* "n/a" and the apostrophes in "don't" stay inside their word */
        if (end && *p == '-' && p > norm && isalpha((unsigned char)p[-1]) &&
            isalpha((unsigned char)p[1]))
            end = 0;
        if (!end) {
            if (len + 1 < sizeof clause) clause[len++] = *p;
            continue;
        }
        clause[len] = 0;
        util_trim(clause);
        switch (clause_kind(clause)) {
        case CLAUSE_NON_ANSWER:
            non_answers_seen++;
            break;
        case CLAUSE_ANSWER:
            answer = 1;
            break;
        default:
            break;
        }
        len = 0;
        if (!*p || answer) break;
        if (dash) p += 2;
    }
    return non_answers_seen > 0 && !answer;
}

static int is_vowel(int c)
{
    return strchr("aeiou", c) != NULL;
}

/* A token looks like a word if it has a vowel (y counts for short words like "my"),
 * no run of 5+ consonants (English has few: "strengths") and no char repeated 4+
 * times. Non-ASCII letters are given the benefit of the doubt. */
static int wordlike(const char *tok, size_t n)
{
    int vowels = 0, letters = 0, run = 0, max_run = 0, rep = 1, max_rep = 1, high = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tolower((unsigned char)tok[i]);
        if (c >= 0x80) {
            high = 1;
            continue;
        }
        if (i > 0 && tolower((unsigned char)tok[i - 1]) == c) {
            if (++rep > max_rep) max_rep = rep;
        } else {
            rep = 1;
        }
        if (!isalpha(c)) {
            run = 0;
            continue;
        }
        letters++;
        if (is_vowel(c)) {
            vowels++;
            run = 0;
        } else if (++run > max_run) {
            max_run = run;
        }
    }
    if (high) return 1;
    if (letters == 0) return n <= 6; /* numbers and short symbols like "5%" or "->" */
    int has_y = memchr(tok, 'y', n) != NULL || memchr(tok, 'Y', n) != NULL;
    return (vowels > 0 || (has_y && letters <= 4)) && max_run < 5 && max_rep < 4 && n <= 30;
}

static int is_gibberish(const char *norm)
{
    size_t total = 0, alnum = 0, nonspace = 0;
    int words = 0, good = 0;
    /* distinct words: count tokens equal to the first token, a cheap repetition probe */
    const char *p = norm;
    const char *first = NULL;
    size_t first_len = 0;
    int same_as_first = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        words++;
        if (wordlike(start, n)) good++;
        if (!first) {
            first = start;
            first_len = n;
        } else if (n == first_len && strncmp(start, first, n) == 0) {
            same_as_first++;
        }
        for (size_t i = 0; i < n; i++) {
            nonspace++;
            if (isalnum((unsigned char)start[i]) || (unsigned char)start[i] >= 0x80) alnum++;
        }
        total += n;
    }
    if (words == 0) return 0;
    if (nonspace >= 4 && alnum * 2 < nonspace) return 1;               /* mostly symbols */
    if (good * 2 < words) return 1;                                    /* mostly non-words */
    if (words >= 6 && same_as_first * 10 >= (words - 1) * 8) return 1; /* "test test test" */
    (void)total;
    return 0;
}

enum precheck_verdict precheck_answer(const char *answer)
{
    char *norm = util_normalize_text(answer ? answer : "");
    enum precheck_verdict v = PRECHECK_OK;
    if (norm[0] == 0)
        v = PRECHECK_EMPTY;
    else if (is_dont_know(norm))
        v = PRECHECK_DONT_KNOW;
    else if (is_gibberish(norm))
        v = PRECHECK_GIBBERISH;
    free(norm);
    return v;
}

const char *precheck_flag(enum precheck_verdict v)
{
    switch (v) {
    case PRECHECK_EMPTY:
        return "empty";
    case PRECHECK_DONT_KNOW:
        return "dont_know";
    case PRECHECK_GIBBERISH:
        return "gibberish";
    default:
        return NULL;
    }
}

const char *precheck_feedback(enum precheck_verdict v)
{
    switch (v) {
    case PRECHECK_EMPTY:
        return "No answer was given. Even a partial answer that explains how you would "
               "approach the question earns credit.";
    case PRECHECK_DONT_KNOW:
        return "The answer said you did not know. Say what you do know, how you would find "
               "out, or a related experience: interviewers reward reasoning out loud.";
    case PRECHECK_GIBBERISH:
        return "The answer could not be read as an answer to the question. Answer in full "
               "sentences that address what was asked.";
    default:
        return "";
    }
}

/* The same answer is checked several times on its way (saved, scored, capped, flagged):
 * the last few verdicts are remembered, keyed by the whole text (compared in full, never
 * by a hash alone, so a verdict is never served for another text). */
#define PRECHECK_MEMO 8

int precheck_injection(const char *answer)
{
    static struct {
        char *text;
        int verdict;
    } memo[PRECHECK_MEMO];
    static unsigned next;
    const char *a = answer ? answer : "";
    for (unsigned i = 0; i < PRECHECK_MEMO; i++)
        if (memo[i].text && strcmp(memo[i].text, a) == 0) return memo[i].verdict;
    int verdict = injection_check(answer, NULL) != INJECTION_NONE;
    unsigned slot = next++ % PRECHECK_MEMO;
    free(memo[slot].text);
    memo[slot].text = xstrdup(a);
    memo[slot].verdict = verdict;
    return verdict;
}
