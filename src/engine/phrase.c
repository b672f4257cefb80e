/* phrase: clean slot values (see phrase.h).
 *
 * The one idea: only cut where a person would. A raw value is read left to right and
 * stops at the end of a clause (a full stop, a semicolon, a dash between spaces, an
 * unclosed bracket); a bracketed aside is dropped whole; a phrase still too long is cut
 * before a joining word ("with", "on", "using") so the head noun phrase stays whole;
 * then trailing joining words are dropped. Words are never split, so a value either
 * reads as written or is refused. */
#include "engine/phrase.h"

#include "core/util.h"
#include "engine/injection.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct term {
    char *alias;   /* lower case */
    size_t len;    /* strlen(alias) */
    char *name;    /* canonical spelling */
    int ambiguous; /* also an English word: in running text only when capitalised */
};

/* Cleaning a value costs an injection check and a pass over the terms, and the same
 * few values are cleaned for every question a candidate is asked: remembered here,
 * direct-mapped by a hash of the whole input. */
#define PHRASE_MEMO_SLOTS 512

struct phrase_memo {
    uint64_t key; /* 0 = empty */
    char *value;  /* the clean phrase, or NULL for refused */
};

struct phrase_terms {
    struct term *items; /* longest alias first, so "spring boot" wins over "spring" */
    size_t len;
    struct phrase_memo *memo; /* PHRASE_MEMO_SLOTS entries */
};

static void add_term(struct phrase_terms *t, const char *alias, const char *name, int ambiguous)
{
    t->items = xrealloc(t->items, (t->len + 1) * sizeof *t->items);
    struct term *e = &t->items[t->len++];
    e->alias = xstrdup(alias);
    for (char *p = e->alias; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    e->len = strlen(e->alias);
    e->name = xstrdup(name);
    e->ambiguous = ambiguous;
}

static int by_length_desc(const void *a, const void *b)
{
    const struct term *x = a, *y = b;
    return x->len < y->len ? 1 : x->len > y->len ? -1 : strcmp(x->alias, y->alias);
}

struct phrase_terms *phrase_terms_load(const char *dir, char *err, size_t errlen)
{
    struct phrase_terms *t = xcalloc(1, sizeof *t);
    t->memo = xcalloc(PHRASE_MEMO_SLOTS, sizeof *t->memo);
    char path[1024];
    snprintf(path, sizeof path, "%s/terms.json", dir);
    FILE *f = fopen(path, "r");
    if (!f) return t; /* optional: no canonical spellings */
    fclose(f);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    json_t *terms = json_object_get(root, "terms");
    if (!root || !json_is_array(terms)) {
        snprintf(err, errlen, "%s:%d: %s", path, root ? 0 : je.line,
                 root ? "\"terms\" must be an array" : je.text);
        json_decref(root);
        phrase_terms_free(t);
        return NULL;
    }
    size_t i, j;
    json_t *e, *a;
    json_array_foreach(terms, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        if (!name || !*name) continue;
        int name_listed = 0;
        json_array_foreach(json_object_get(e, "aliases"), j, a)
        {
            if (!json_is_string(a)) continue;
            add_term(t, json_string_value(a), name, 0);
            if (strcasecmp(json_string_value(a), name) == 0) name_listed = 1;
        }
        json_array_foreach(json_object_get(e, "ambiguous"), j, a)
        {
            if (!json_is_string(a)) continue;
            add_term(t, json_string_value(a), name, 1);
            if (strcasecmp(json_string_value(a), name) == 0) name_listed = 1;
        }
        if (!name_listed) add_term(t, name, name, 0);
    }
    json_decref(root);
    qsort(t->items, t->len, sizeof *t->items, by_length_desc);
    return t;
}

void phrase_terms_free(struct phrase_terms *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->len; i++) {
        free(t->items[i].alias);
        free(t->items[i].name);
    }
    free(t->items);
    for (size_t i = 0; i < PHRASE_MEMO_SLOTS; i++)
        free(t->memo[i].value);
    free(t->memo);
    free(t);
}

/* ---- finding terms ---- */

/* A term starts here only if the character before is not part of a word or a name
 * ("java" is not in "javascript", "js" is not in "node.js"). */
static int left_boundary(const char *text, const char *p)
{
    if (p == text) return 1;
    unsigned char c = (unsigned char)p[-1];
    return !isalnum(c) && c != '.' && c != '+' && c != '#' && c != '-' && c != '_' && c != '@';
}

static int right_boundary(const char *q)
{
    unsigned char c = (unsigned char)*q;
    if (c == '.' && isalnum((unsigned char)q[1])) return 0;
    return !isalnum(c) && c != '+' && c != '#' && c != '-' && c != '_';
}

/* The term that starts at p (longest first), or NULL. In running text an ambiguous
 * alias counts only when written with a capital letter ("Go", not "go live"). */
static const struct term *term_at(const struct phrase_terms *t, const char *text, const char *p,
                                  int running_text)
{
    if (!t || !left_boundary(text, p)) return NULL;
    char first = (char)tolower((unsigned char)*p);
    for (size_t i = 0; i < t->len; i++) {
        const struct term *e = &t->items[i];
        if (e->alias[0] != first || strncasecmp(p, e->alias, e->len) != 0 ||
            !right_boundary(p + e->len))
            continue;
        if (e->ambiguous && running_text && !isupper((unsigned char)*p)) continue;
        return e;
    }
    return NULL;
}

char *phrase_canonical(const struct phrase_terms *t, const char *text)
{
    struct sbuf b = {0};
    sbuf_puts(&b, "");
    for (const char *p = text; *p;) {
        const struct term *e = term_at(t, text, p, 1);
        if (e) {
            sbuf_puts(&b, e->name);
            p += e->len;
        } else {
            sbuf_append(&b, p, 1);
            p++;
        }
    }
    return sbuf_take(&b);
}

void phrase_terms_found(const struct phrase_terms *t, const char *text, json_t *names, size_t max)
{
    if (!t || !text) return;
    for (const char *p = text; *p && json_array_size(names) < max;) {
        const struct term *e = term_at(t, text, p, 1);
        /* a single capital letter ("C", "R") is too often something else in prose */
        if (!e || (e->ambiguous && e->len == 1)) {
            p++;
            continue;
        }
        int have = 0;
        size_t i;
        json_t *v;
        json_array_foreach(names, i, v) if (strcmp(json_string_value(v), e->name) == 0) have = 1;
        if (!have) json_array_append_new(names, json_string(e->name));
        p += e->len;
    }
}

int phrase_mentions(const struct phrase_terms *t, const char *text, const char *term)
{
    if (!text || !term || !*term) return 0;
    /* the canonical name as written ("Go", not "go live"); aliases in any case */
    size_t n = strlen(term);
    for (const char *p = text; (p = strstr(p, term)); p++)
        if (left_boundary(text, p) && right_boundary(p + n)) return 1;
    /* an alias of the same term counts too: "Postgres" mentions PostgreSQL */
    for (size_t i = 0; t && i < t->len; i++) {
        const struct term *e = &t->items[i];
        if (strcmp(e->name, term) != 0 || e->ambiguous) continue;
        for (const char *p = text; (p = util_strcasestr(p, e->alias)); p++)
            if (left_boundary(text, p) && right_boundary(p + e->len)) return 1;
    }
    return 0;
}

/* ---- cleaning ---- */

/* Words a phrase must not end with: it would read as cut off. */
static const char *const dangling[] = {
    "a",    "an",   "the",  "and",   "or",    "of",        "for",  "to",   "in",   "on",
    "at",   "by",   "from", "with",  "using", "via",       "into", "over", "as",   "&",
    "plus", "like", "such", "while", "where", "including", "than", "but",  "that", "which",
    "our",  "my",   "its",  "their", "this",  "these",     "-",    "+",    "/"};
/* Words before which an over-long phrase may be cut, keeping the part before. */
static const char *const joints[] = {"with",   "using", "on",    "in",    "for",  "via",
                                     "across", "that",  "which", "by",    "from", "to",
                                     "into",   "at",    "while", "where", "and",  "serving"};
/* Resume verbs a phrase may start with ("Built a ledger service"): not part of it. */
static const char *const lead_verbs[] = {
    "built",      "developed",   "designed",  "created",  "led",        "implemented",
    "launched",   "wrote",       "migrated",  "rebuilt",  "shipped",    "automated",
    "introduced", "architected", "delivered", "owned",    "maintained", "scaled",
    "improved",   "managed",     "ran",       "drove",    "started",    "founded",
    "co-founded", "refactored",  "optimised", "optimized"};
/* Words that already make a noun phrase definite or countable. */
static const char *const determiners[] = {"a",        "an",   "the",   "our",   "my",    "their",
                                          "its",      "this", "that",  "these", "those", "his",
                                          "her",      "two",  "three", "four",  "five",  "several",
                                          "multiple", "many", "some",  "every", "each"};

static int word_in(const char *w, size_t n, const char *const *list, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (strlen(list[i]) == n && strncasecmp(w, list[i], n) == 0) return 1;
    return 0;
}

/* Copies raw up to the end of its first clause, dropping bracketed asides whole; an
 * unclosed or stray bracket ends the phrase before it. */
static char *first_clause(const char *raw)
{
    struct sbuf b = {0};
    sbuf_puts(&b, "");
    for (const char *p = raw; *p; p++) {
        char c = *p;
        if (c == '(' || c == '[') {
            char close = c == '(' ? ')' : ']';
            const char *q = p + 1;
            int depth = 1;
            for (; *q && depth; q++) {
                if (*q == c) depth++;
                if (*q == close) depth--;
            }
            if (depth) break; /* unclosed: stop before it */
            p = q - 1;        /* the aside is dropped */
            continue;
        }
        if (c == ')' || c == ']' || c == '\n' || c == '\r' || c == ';' || c == '!' || c == '?' ||
            c == ',' || c == '|')
            break;
        if ((c == '.' || c == ':') &&
            !(p > raw && isalnum((unsigned char)p[-1]) && isalnum((unsigned char)p[1])))
            break;
        if (c == ' ' && (p[1] == '-' || strncmp(p + 1, "\xe2\x80\x93", 3) == 0 ||
                         strncmp(p + 1, "\xe2\x80\x94", 3) == 0)) {
            const char *q = p + 1 + (p[1] == '-' ? 1 : 3);
            if (*q == ' ' || *q == '\0') break; /* " - " or " – ": a new clause */
        }
        if (c == '\t') c = ' ';
        sbuf_append(&b, &c, 1);
    }
    return sbuf_take(&b);
}

/* A project phrase starting with this word reads better after "the" ("your role on the
 * payments platform"), unless it has a determiner, a number or is a gerund already. */
static int needs_article(const char *w0, size_t n0)
{
    int gerund = n0 > 4 && strncasecmp(w0 + n0 - 3, "ing", 3) == 0;
    return !word_in(w0, n0, determiners, ARRAY_LEN(determiners)) &&
           !isdigit((unsigned char)w0[0]) && !gerund;
}

size_t phrase_head_len(const char *phrase)
{
    for (const char *p = phrase; (p = strchr(p, ' ')); p++) {
        const char *w = p + 1;
        size_t n = strcspn(w, " ");
        if (word_in(w, n, joints, ARRAY_LEN(joints))) return (size_t)(p - phrase);
    }
    return strlen(phrase);
}

struct words {
    const char *w[64]; /* starts, into one buffer */
    size_t n[64];      /* lengths */
    int len;
};

static void split_words(const char *s, struct words *ws)
{
    ws->len = 0;
    for (const char *p = s; *p && ws->len < 64;) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        ws->w[ws->len] = p;
        ws->n[ws->len] = (size_t)(q - p);
        ws->len++;
        p = q;
    }
}

static size_t words_bytes(const struct words *ws, int from, int to)
{
    size_t n = 0;
    for (int i = from; i < to; i++)
        n += ws->n[i] + (i > from);
    return n;
}

static char *words_join(const struct words *ws, int from, int to)
{
    struct sbuf b = {0};
    sbuf_puts(&b, "");
    for (int i = from; i < to; i++) {
        if (i > from) sbuf_puts(&b, " ");
        sbuf_append(&b, ws->w[i], ws->n[i]);
    }
    return sbuf_take(&b);
}

static int has_letter_n(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalpha((unsigned char)s[i])) return 1;
    return 0;
}

static int has_letter(const char *s)
{
    for (; *s; s++)
        if (isalpha((unsigned char)*s)) return 1;
    return 0;
}

/* Refuses what is no phrase at all: markup, addresses, quotes, control characters. */
static int refused_outright(const char *raw)
{
    if (!raw || strlen(raw) > PHRASE_RAW_MAX_BYTES || !util_utf8_valid(raw, strlen(raw))) return 1;
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') || strchr("{}<>`\"\\*=", *p))
            return 1;
    if (util_strcasestr(raw, "http") || util_strcasestr(raw, "www.") || strchr(raw, '@')) return 1;
    return injection_check(raw, NULL) != INJECTION_NONE;
}

/* 1 if the word w (n bytes, as it stands, punctuation included) occurs in source only
 * as the start of longer words: "transact" of "transactions", "A/" of "A/B". */
static int cut_in_source(const char *source, const char *w, size_t n)
{
    if (!source || n == 0) return 0;
    char *word = xstrndup(w, n);
    int whole = 0, prefix = 0;
    for (const char *p = source; !whole && (p = util_strcasestr(p, word)); p++) {
        if (p > source && isalnum((unsigned char)p[-1])) continue;
        if (isalnum((unsigned char)p[n]))
            prefix = 1;
        else
            whole = 1;
    }
    free(word);
    return prefix && !whole;
}

static char *clean_uncached(const struct phrase_terms *t, const char *raw, enum phrase_kind kind,
                            const char *source);

char *phrase_clean(const struct phrase_terms *t, const char *raw, enum phrase_kind kind,
                   const char *source)
{
    if (!t || !raw || strlen(raw) > PHRASE_RAW_MAX_BYTES)
        return clean_uncached(t, raw, kind, source);
    char key_text[PHRASE_RAW_MAX_BYTES + 64];
    uint64_t src = source ? util_xxh64(source, strlen(source)) : 0;
    int n = snprintf(key_text, sizeof key_text, "%d|%016llx|%s", (int)kind, (unsigned long long)src,
                     raw);
    uint64_t key = util_xxh64(key_text, (size_t)n);
    key = key ? key : 1;
    struct phrase_memo *m = &t->memo[key % PHRASE_MEMO_SLOTS];
    if (m->key != key) {
        free(m->value);
        m->value = clean_uncached(t, raw, kind, source);
        m->key = key;
    }
    return m->value ? xstrdup(m->value) : NULL;
}

/* Resume shorthand a person would say in full in a question: "w/" -> "with", "w/o" ->
 * "without", "&" -> "and" (whole words only: "R&D" and "I/O" stay). Returns a new
 * string. */
static char *expand_shorthand(const char *s)
{
    static const char *const from[] = {"w/o", "w/", "&"};
    static const char *const to[] = {"without", "with", "and"};
    struct sbuf b = {0};
    const char *p = s;
    while (*p) {
        int at_word = p == s || isspace((unsigned char)p[-1]);
        size_t k = 0;
        for (; at_word && k < ARRAY_LEN(from); k++) {
            size_t n = strlen(from[k]);
            if (strncasecmp(p, from[k], n) == 0 && (p[n] == 0 || isspace((unsigned char)p[n])))
                break;
        }
        if (at_word && k < ARRAY_LEN(from)) {
            sbuf_puts(&b, to[k]);
            p += strlen(from[k]);
        } else {
            sbuf_append(&b, p++, 1);
        }
    }
    return sbuf_take(&b);
}

static char *clean_uncached(const struct phrase_terms *t, const char *raw, enum phrase_kind kind,
                            const char *source)
{
    if (refused_outright(raw)) return NULL;
    int max_words = kind == PHRASE_PROJECT ? PHRASE_PROJECT_MAX_WORDS
                    : kind == PHRASE_SKILL ? PHRASE_SKILL_MAX_WORDS
                                           : PHRASE_COMPANY_MAX_WORDS;
    size_t max_bytes = kind == PHRASE_PROJECT ? PHRASE_PROJECT_MAX_BYTES
                       : kind == PHRASE_SKILL ? PHRASE_SKILL_MAX_BYTES
                                              : PHRASE_COMPANY_MAX_BYTES;
    /* A value found word for word in its source is read from the source instead: a
     * reader that stopped early ("an image" of "an image classification model") gets
     * the whole clause, which is shortened below where a person would cut it. */
    const char *found = NULL;
    char *trimmed = xstrdup(raw);
    util_trim(trimmed);
    if (source && strlen(trimmed) >= 4)
        for (const char *p = source; (p = util_strcasestr(p, trimmed)); p++)
            if (p == source || !isalnum((unsigned char)p[-1])) {
                found = p;
                break;
            }
    char *from_source =
        found ? xstrndup(found, util_utf8_prefix(found, PHRASE_RAW_MAX_BYTES)) : NULL;
    free(trimmed);
    char *clause = first_clause(from_source ? from_source : raw);
    free(from_source);
    /* a whole skill that is a known term, ambiguous or not: its canonical name */
    if (kind == PHRASE_SKILL) {
        util_trim(clause);
        const struct term *e = *clause ? term_at(t, clause, clause, 0) : NULL;
        if (e && clause[e->len] == '\0') {
            free(clause);
            return xstrdup(e->name);
        }
    }
    char *canon0 = phrase_canonical(t, clause);
    free(clause);
    char *canon = expand_shorthand(canon0);
    free(canon0);
    struct words ws;
    split_words(canon, &ws);
    int from = 0, to = ws.len;
    /* leading bullets and joining words */
    while (from < to && (!has_letter_n(ws.w[from], ws.n[from]) ||
                         (kind == PHRASE_PROJECT &&
                          word_in(ws.w[from], ws.n[from], lead_verbs, ARRAY_LEN(lead_verbs))) ||
                         (word_in(ws.w[from], ws.n[from], dangling, ARRAY_LEN(dangling)) &&
                          !word_in(ws.w[from], ws.n[from], determiners, ARRAY_LEN(determiners)))))
        from++;
    /* a project that will gain a leading "the" (below) leaves room for it */
    if (kind == PHRASE_PROJECT && from < to && needs_article(ws.w[from], ws.n[from]))
        max_words--, max_bytes -= 4;
    /* too long: cut before the latest joining word that leaves a phrase that fits */
    if (to - from > max_words || words_bytes(&ws, from, to) > max_bytes) {
        int cut = -1;
        for (int i = to - 1; i >= from + 2; i--)
            if (word_in(ws.w[i], ws.n[i], joints, ARRAY_LEN(joints)) && i - from <= max_words &&
                words_bytes(&ws, from, i) <= max_bytes) {
                cut = i;
                break;
            }
        to = cut;
    }
    /* a cut last word, then trailing joining words */
    while (to > from && (word_in(ws.w[to - 1], ws.n[to - 1], dangling, ARRAY_LEN(dangling)) ||
                         cut_in_source(source, ws.w[to - 1], ws.n[to - 1])))
        to--;
    char *out = to > from ? words_join(&ws, from, to) : NULL;
    free(canon);
    if (!out) return NULL;
    size_t n = strlen(out);
    while (n > 0 && strchr(",.:;-/&+'", out[n - 1]))
        out[--n] = '\0';
    split_words(out, &ws);
    int min_words = kind == PHRASE_PROJECT ? 2 : 1;
    if (ws.len < min_words || ws.len > max_words || n > max_bytes || n < 2 || !has_letter(out)) {
        free(out);
        return NULL;
    }
    if (kind != PHRASE_PROJECT) return out;
    /* "Payments platform for ..." in the middle of a question: lower-case the first word
     * unless it is a name (a known term, or capitals inside it such as "VMs"), and make it
     * definite: "your role on the payments platform". */
    const char *w0 = ws.w[0];
    size_t n0 = ws.n[0];
    int plain_capital = isupper((unsigned char)w0[0]) && n0 > 1;
    for (size_t i = 1; i < n0; i++)
        if (!islower((unsigned char)w0[i])) plain_capital = 0;
    if (plain_capital && !term_at(t, out, out, 0)) out[0] = (char)tolower((unsigned char)out[0]);
    if (needs_article(w0, n0)) {
        char *with = xmalloc(n + 5);
        snprintf(with, n + 5, "the %s", out);
        free(out);
        out = with;
    }
    return out;
}
