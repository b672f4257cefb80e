/* heuristic: rubric scoring and resume reading without a model; see heuristic.h. */
#include "engine/heuristic.h"

#include "core/util.h"

#include <ctype.h>
#include <libstemmer.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text analysis: tokens, stems, sets ---- */

/* Only the first HEUR_MAX_TOKENS words of an answer are read: longer answers are not
 * scored better for it, and the bound keeps scoring in microseconds. */
#define HEUR_MAX_TOKENS 800
#define HEUR_MAX_TOKEN_LEN 40
/* Open-addressed set of stem hashes; a power of two above 2 * HEUR_MAX_TOKENS. */
#define HEUR_SET_SLOTS 2048

struct stemset {
    uint64_t slot[HEUR_SET_SLOTS]; /* 0 = empty */
    int n;                         /* distinct stems held */
};

static void stemset_clear(struct stemset *s)
{
    memset(s->slot, 0, sizeof s->slot);
    s->n = 0;
}

/* 1 if added, 0 if it was there (or the set is full). */
static int stemset_add(struct stemset *s, uint64_t h)
{
    if (s->n >= HEUR_SET_SLOTS / 2) return 0;
    for (size_t i = h & (HEUR_SET_SLOTS - 1);; i = (i + 1) & (HEUR_SET_SLOTS - 1)) {
        if (s->slot[i] == h) return 0;
        if (s->slot[i] == 0) {
            s->slot[i] = h;
            s->n++;
            return 1;
        }
    }
}

static int stemset_has(const struct stemset *s, uint64_t h)
{
    for (size_t i = h & (HEUR_SET_SLOTS - 1);; i = (i + 1) & (HEUR_SET_SLOTS - 1)) {
        if (s->slot[i] == h) return 1;
        if (s->slot[i] == 0) return 0;
    }
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

/* English words that carry no topic: function words, and verbs and nouns so general
 * that sharing them says nothing about relevance ("use", "thing", "way"). Sorted. */
static const char *const stopwords[] = {
    "a",     "about",   "above",   "after",   "again",  "all",    "also",      "always",
    "am",    "an",      "and",     "another", "any",    "are",    "around",    "as",
    "at",    "be",      "because", "been",    "before", "being",  "between",   "both",
    "but",   "by",      "can",     "cant",    "could",  "did",    "didnt",     "do",
    "does",  "doesnt",  "doing",   "done",    "dont",   "down",   "each",      "either",
    "else",  "even",    "ever",    "every",   "few",    "for",    "from",      "get",
    "gets",  "getting", "give",    "go",      "goes",   "going",  "good",      "got",
    "had",   "has",     "have",    "having",  "he",     "her",    "here",      "him",
    "his",   "how",     "i",       "id",      "if",     "im",     "in",        "into",
    "is",    "isnt",    "it",      "its",     "ive",    "just",   "kind",      "know",
    "let",   "lets",    "lot",     "lots",    "made",   "make",   "makes",     "many",
    "may",   "me",      "might",   "more",    "most",   "much",   "must",      "my",
    "need",  "needs",   "no",      "not",     "now",    "of",     "off",       "often",
    "on",    "once",    "one",     "only",    "or",     "other",  "our",       "out",
    "over",  "own",     "per",     "put",     "quite",  "rather", "say",       "says",
    "see",   "she",     "should",  "since",   "so",     "some",   "something", "such",
    "sure",  "take",    "than",    "that",    "thats",  "the",    "their",     "them",
    "then",  "there",   "these",   "they",    "thing",  "things", "think",     "this",
    "those", "though",  "through", "to",      "too",    "try",    "two",       "under",
    "until", "up",      "us",      "use",     "used",   "uses",   "using",     "usually",
    "very",  "via",     "was",     "way",     "we",     "well",   "were",      "what",
    "when",  "where",   "whether", "which",   "while",  "who",    "whole",     "why",
    "will",  "with",    "without", "wont",    "would",  "yes",    "yet",       "you",
    "your",  "youre",
};

/* Frequent function words of other languages an answer may come in (French, Spanish,
 * German, Portuguese, Italian, Dutch), minus those that are English words too. Sorted. */
static const char *const foreign_stopwords[] = {
    "aber",   "al",     "alla",  "als",   "anche",  "ao",    "até",    "auch",  "auf",     "aus",
    "aussi",  "avec",   "avoir", "bij",   "ces",    "cette", "che",    "com",   "como",    "con",
    "cuando", "da",     "dans",  "das",   "dat",    "de",    "dei",    "del",   "della",   "dem",
    "den",    "der",    "des",   "det",   "di",     "dos",   "du",     "e",     "een",     "ein",
    "eine",   "einen",  "el",    "elles", "em",     "en",    "entre",  "es",    "est",     "et",
    "für",    "gli",    "het",   "ich",   "ik",     "il",    "ils",    "ist",   "je",      "la",
    "las",    "le",     "les",   "lo",    "los",    "maar",  "mais",   "mas",   "mit",     "muy",
    "más",    "na",     "naar",  "nach",  "nas",    "nel",   "nella",  "nicht", "niet",    "non",
    "nous",   "não",    "oder",  "ogni",  "ont",    "ook",   "op",     "os",    "ou",      "para",
    "pas",    "pero",   "por",   "pour",  "quando", "que",   "questo", "qui",   "sans",    "se",
    "sie",    "sin",    "sind",  "sobre", "son",    "sono",  "sont",   "sur",   "también", "te",
    "très",   "um",     "uma",   "un",    "una",    "und",   "une",    "uno",   "van",     "voor",
    "vous",   "werden", "wir",   "wird",  "wordt",  "y",     "zijn",   "zu",    "zum",     "zur",
    "è",      "é",      "être",
};

/* Words that pad an answer without saying anything. Multi-word fillers are matched on
 * consecutive tokens. */
static const char *const fillers[] = {
    "actually", "anyway", "basically", "haha",    "honestly", "literally", "okay",
    "ok",       "really", "super",     "totally", "uh",       "um",        "yeah",
};
static const char *const filler_phrases[][6] = {
    {"you", "know"},         {"i", "mean"},
    {"to", "be", "honest"},  {"kind", "of"},
    {"sort", "of"},          {"more", "or", "less"},
    {"i", "guess"},          {"at", "the", "end", "of", "the", "day"},
    {"so", "yeah"},          {"i", "d", "say"},
    {"in", "a", "nutshell"},
};

/* Synonyms: the first word of each row is what the others count as, after stemming. */
static const char *const synonyms[][6] = {
    {"lock", "mutex", "mutexes", "synchronisation", "synchronization", "semaphore"},
    {"fast", "quick", "speed", "faster", "quickly"},
    {"cheap", "light", "lightweight", "lighter", "cheaper"},
    {"fail", "crash", "failure", "outage", "down"},
    {"bug", "defect", "issue"},
    {"example", "instance", "e.g"},
    {"large", "big", "huge"},
    {"database", "db", "databases"},
    {"application", "app", "apps"},
    {"configuration", "config"},
    {"performance", "perf"},
    {"kubernetes", "k8s"},
    {"javascript", "js"},
    {"team", "teammate", "colleague", "teammates", "colleagues"},
    {"user", "customer", "client"},
    {"reduce", "cut", "drop", "defer", "trim", "lower"},
    {"learn", "lesson", "learned", "lessons"},
    {"communicate", "tell", "told", "explain", "inform", "talk"},
    {"meeting", "meet", "one-to-one", "1:1"},
    {"documentation", "doc", "docs", "wiki", "document"},
    {"ask", "question", "questions", "asked"},
    {"result", "outcome", "impact"},
    {"goal", "target", "objective"},
    {"priority", "prioritise", "prioritize", "priorities"},
    {"persist", "survive", "durable", "survives"},
    {"isolation", "isolated", "isolate", "separate"},
    {"share", "shared", "common"},
    {"goal", "want", "wanted", "aim", "aimed"},
    {"conflict", "clash", "clashed", "disagree", "disagreement", "tension"},
    {"resolve", "resolved", "agree", "agreed", "compromise", "settle"},
    {"help", "helped", "pair", "paired", "mentor", "assist"},
    {"mistake", "error", "wrong", "broke", "incident"},
    {"deliver", "delivered", "ship", "shipped", "launch", "release"},
};

enum tok_kind { TOK_CONTENT, TOK_STOP, TOK_FOREIGN, TOK_FILLER };

/* Word hash -> value, open-addressed; built once per thread from the tables above. */
#define HEUR_MAP_SLOTS 1024
struct wordmap {
    uint64_t key[HEUR_MAP_SLOTS]; /* 0 = empty */
    uint64_t val[HEUR_MAP_SLOTS];
};

static void wordmap_put(struct wordmap *m, uint64_t k, uint64_t v)
{
    for (size_t i = k & (HEUR_MAP_SLOTS - 1);; i = (i + 1) & (HEUR_MAP_SLOTS - 1)) {
        if (m->key[i] == 0 || m->key[i] == k) {
            m->key[i] = k;
            m->val[i] |= v;
            return;
        }
    }
}

static uint64_t wordmap_get(const struct wordmap *m, uint64_t k)
{
    for (size_t i = k & (HEUR_MAP_SLOTS - 1);; i = (i + 1) & (HEUR_MAP_SLOTS - 1)) {
        if (m->key[i] == k) return m->val[i];
        if (m->key[i] == 0) return 0;
    }
}

/* Values of tl_words: the word's kind + 1, and a flag when a filler phrase starts with it. */
#define WORD_STARTS_FILLER 0x100

/* One stemmer per thread: libstemmer's are not shareable. Never freed; one per thread
 * that ever scores, which is the event loop's. */
static _Thread_local struct sb_stemmer *tl_stemmer;
static _Thread_local struct wordmap tl_words;    /* word hash -> kind + 1 | flags */
static _Thread_local struct wordmap tl_synonyms; /* stem hash -> canonical stem hash */

static size_t stem_into(const char *w, size_t n, char *out, size_t cap)
{
    const sb_symbol *s =
        tl_stemmer ? sb_stemmer_stem(tl_stemmer, (const sb_symbol *)w, (int)n) : NULL;
    size_t len = s ? (size_t)sb_stemmer_length(tl_stemmer) : n;
    if (!s) s = (const sb_symbol *)w;
    if (len >= cap) len = cap - 1;
    memcpy(out, s, len);
    out[len] = 0;
    return len;
}

static void words_put(const char *const *list, size_t n, enum tok_kind kind)
{
    for (size_t i = 0; i < n; i++)
        wordmap_put(&tl_words, hash_bytes(list[i], strlen(list[i])), (uint64_t)kind + 1);
}

static void analysis_init(void)
{
    if (tl_stemmer) return;
    tl_stemmer = sb_stemmer_new("english", NULL);
    /* a word in two lists keeps the first kind it was given: fillers, then English */
    words_put(fillers, ARRAY_LEN(fillers), TOK_FILLER);
    for (size_t i = 0; i < ARRAY_LEN(stopwords); i++) {
        uint64_t h = hash_bytes(stopwords[i], strlen(stopwords[i]));
        if (!(wordmap_get(&tl_words, h) & 0xff)) wordmap_put(&tl_words, h, TOK_STOP + 1);
    }
    for (size_t i = 0; i < ARRAY_LEN(foreign_stopwords); i++) {
        uint64_t h = hash_bytes(foreign_stopwords[i], strlen(foreign_stopwords[i]));
        if (!(wordmap_get(&tl_words, h) & 0xff)) wordmap_put(&tl_words, h, TOK_FOREIGN + 1);
    }
    for (size_t f = 0; f < ARRAY_LEN(filler_phrases); f++)
        wordmap_put(&tl_words, hash_bytes(filler_phrases[f][0], strlen(filler_phrases[f][0])),
                    WORD_STARTS_FILLER);
    char buf[HEUR_MAX_TOKEN_LEN + 1];
    for (size_t r = 0; r < ARRAY_LEN(synonyms); r++) {
        size_t n = stem_into(synonyms[r][0], strlen(synonyms[r][0]), buf, sizeof buf);
        uint64_t to = hash_bytes(buf, n);
        for (size_t c = 1; c < 6 && synonyms[r][c]; c++) {
            n = stem_into(synonyms[r][c], strlen(synonyms[r][c]), buf, sizeof buf);
            uint64_t from = hash_bytes(buf, n);
            if (from != to && !wordmap_get(&tl_synonyms, from)) wordmap_put(&tl_synonyms, from, to);
        }
    }
}

static uint64_t canonical(uint64_t h)
{
    uint64_t to = wordmap_get(&tl_synonyms, h);
    return to ? to : h;
}

struct token {
    char text[HEUR_MAX_TOKEN_LEN + 1]; /* lowercased, apostrophes removed */
    uint8_t len;
    uint8_t kind;     /* enum tok_kind */
    uint8_t number;   /* all digits */
    uint8_t sentence; /* a sentence ends after it (. ! ? or a line break) */
    uint8_t segment;  /* a list item ends after it (, ; : or a sentence end) */
    uint64_t hash;    /* of text */
    uint64_t stem;    /* canonical stem hash, for content tokens */
};

struct text {
    struct token *tok;
    int n;
};

/* Splits s into lowercase word tokens (ASCII letters and digits, and any non-ASCII
 * byte, so accented words stay whole); "don't" and "don’t" become "dont". */
static void tokenize(const char *s, struct token *out, int max, struct text *t)
{
    t->tok = out;
    t->n = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p && t->n < max) {
        while (*p && !isalnum(*p) && *p < 0x80) {
            if (t->n > 0) {
                if (*p == '.' || *p == '!' || *p == '?' || *p == '\n') out[t->n - 1].sentence = 1;
                if (*p == ',' || *p == ';' || *p == ':' || *p == '.' || *p == '!' || *p == '?' ||
                    *p == '\n')
                    out[t->n - 1].segment = 1;
            }
            p++;
        }
        if (!*p) break;
        struct token *k = &out[t->n];
        memset(k, 0, sizeof *k);
        int digits = 1;
        while (*p) {
            if (*p == '\'' && isalpha(p[1])) {
                p++;
                continue;
            }
            if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99 && isalpha(p[3])) {
                p += 3;
                continue;
            }
            if (!isalnum(*p) && *p < 0x80) break;
            /* "’" and other punctuation above ASCII end a word too */
            if (p[0] == 0xE2 && p[1] == 0x80) break;
            if (!isdigit(*p)) digits = 0;
            if (k->len < HEUR_MAX_TOKEN_LEN) k->text[k->len++] = (char)tolower(*p);
            p++;
        }
        if (p[0] == 0xE2 && p[1] == 0x80) {
            if (p[2] == 0x94 || p[2] == 0x93) k->segment = 1; /* em and en dashes */
            p += 3;
        }
        if (k->len == 0) continue;
        k->text[k->len] = 0;
        k->hash = hash_bytes(k->text, k->len);
        k->number = (uint8_t)digits;
        t->n++;
    }
    if (t->n > 0) out[t->n - 1].sentence = out[t->n - 1].segment = 1;
}

/* Marks each token's kind and stems the content ones; counts fillers, including the
 * multi-word ones, whose words then count as neither stop nor content words. */
static void classify(struct text *t)
{
    for (int i = 0; i < t->n; i++) {
        struct token *k = &t->tok[i];
        if (k->kind == TOK_FILLER) continue;
        uint64_t w = wordmap_get(&tl_words, k->hash);
        for (size_t f = 0; (w & WORD_STARTS_FILLER) && f < ARRAY_LEN(filler_phrases); f++) {
            int m = 0;
            while (m < 6 && filler_phrases[f][m] && i + m < t->n &&
                   strcmp(t->tok[i + m].text, filler_phrases[f][m]) == 0)
                m++;
            if (m >= 2 && (m == 6 || !filler_phrases[f][m])) {
                for (int j = 0; j < m; j++)
                    t->tok[i + j].kind = TOK_FILLER;
                break;
            }
        }
        if (k->kind == TOK_FILLER) continue;
        if (w & 0xff)
            k->kind = (uint8_t)((w & 0xff) - 1);
        else {
            char buf[HEUR_MAX_TOKEN_LEN + 1];
            size_t n = stem_into(k->text, k->len, buf, sizeof buf);
            k->stem = canonical(hash_bytes(buf, n));
        }
    }
}

/* Content stems of a short reference text (a key point, keyword or the question). */
static int reference_stems(const char *s, uint64_t *out, int max)
{
    struct token tok[64];
    struct text t;
    tokenize(s, tok, (int)ARRAY_LEN(tok), &t);
    classify(&t);
    int n = 0;
    for (int i = 0; i < t.n && n < max; i++) {
        if (t.tok[i].kind != TOK_CONTENT || t.tok[i].len < 2) continue;
        int dup = 0;
        for (int j = 0; j < n && !dup; j++)
            dup = out[j] == t.tok[i].stem;
        if (!dup) out[n++] = t.tok[i].stem;
    }
    return n;
}

/* ---- scoring ---- */

#define HEUR_MAX_POINTS 12
#define HEUR_POINT_STEMS 24

/* What the answer was measured to be; all fractions in 0..1. */
struct measures {
    int words;    /* tokens */
    int content;  /* content tokens */
    int distinct; /* distinct content stems */
    int sentences;
    double stop_ratio;     /* English function words / words */
    double foreign_ratio;  /* other languages' function words / words */
    double filler_ratio;   /* filler words / words */
    double short_segments; /* list items of at most 3 words / items */
    int segments;
    int novel;                          /* distinct content stems not in the question */
    int from_question;                  /* distinct content stems that are in the question */
    int ref_hits;                       /* distinct content stems found in the reference */
    double point_cover;                 /* mean coverage of the key points */
    int points;                         /* key points */
    int points_covered;                 /* key points at least half covered */
    int point_missing[HEUR_MAX_POINTS]; /* indexes of the least covered, best first */
    int n_missing;
    double keyword_cover;                 /* mean coverage of the keywords */
    int keyword_missing[HEUR_MAX_POINTS]; /* indexes of keywords the answer lacks */
    int n_keyword_missing;
    int has_number;
    int foreign_hits; /* other-language answer: words sharing a 4-letter prefix with the reference
                       */
    int signals;      /* rubric signal phrases present */
};

static int phrase_in(const char *lower, const char *phrase)
{
    size_t n = strlen(phrase);
    if (n == 0) return 0;
    for (const char *p = lower; (p = strstr(p, phrase)); p++) {
        int left =
            p == lower || !isalnum((unsigned char)p[-1]) || !isalnum((unsigned char)phrase[0]);
        int right = !isalnum((unsigned char)p[n]) || !isalnum((unsigned char)phrase[n - 1]);
        if (left && right) return 1;
    }
    return 0;
}

/* Rubric signal phrases (the category's criteria) present in the answer. */
static int count_signals(const struct rubric_category *rubric, const char *answer)
{
    if (!rubric) return 0;
    char *lower = util_normalize_text(answer);
    int hits = 0;
    for (int i = 0; i < rubric->n_criteria; i++) {
        size_t j;
        json_t *v;
        json_array_foreach(rubric->criteria[i].signals, j, v)
        {
            const char *s = json_string_value(v);
            if (s && phrase_in(lower, s)) hits++;
        }
    }
    free(lower);
    return hits;
}

static void prefix5_add(struct stemset *set, const struct token *k)
{
    if (k->len >= 3) stemset_add(set, hash_bytes(k->text, k->len < 4 ? k->len : 4));
}

static void measure(const struct heuristic_question *q, const struct text *a,
                    const struct rubric_category *rubric, const char *answer, struct measures *m)
{
    static _Thread_local struct stemset aset, qset, rset, prefixes, seen;
    stemset_clear(&seen);
    stemset_clear(&aset);
    stemset_clear(&qset);
    stemset_clear(&rset);
    stemset_clear(&prefixes);
    memset(m, 0, sizeof *m);
    int stop = 0, foreign = 0, filler = 0, seg_words = 0, short_segs = 0;
    m->words = a->n;
    for (int i = 0; i < a->n; i++) {
        const struct token *k = &a->tok[i];
        /* list items made only of filler ("so, basically, you know,") are not items */
        seg_words += k->kind != TOK_FILLER;
        if (k->segment && seg_words > 0) {
            m->segments++;
            short_segs += seg_words <= 3;
            seg_words = 0;
        }
        m->sentences += k->sentence;
        if (k->number) m->has_number = 1;
        switch (k->kind) {
        case TOK_STOP:
            stop++;
            break;
        case TOK_FOREIGN:
            foreign++;
            break;
        case TOK_FILLER:
            filler++;
            break;
        default:
            m->content++;
            stemset_add(&aset, k->stem);
        }
    }
    m->distinct = aset.n;
    if (a->n) {
        m->stop_ratio = (double)stop / a->n;
        m->foreign_ratio = (double)foreign / a->n;
        m->filler_ratio = (double)filler / a->n;
    }
    m->short_segments = m->segments ? (double)short_segs / m->segments : 0;

    /* The reference: the key points, else the keywords; the question's own words. */
    uint64_t stems[HEUR_POINT_STEMS];
    struct token qtok[128];
    struct text qt;
    tokenize(q ? q->text : NULL, qtok, (int)ARRAY_LEN(qtok), &qt);
    classify(&qt);
    for (int i = 0; i < qt.n; i++) {
        if (qt.tok[i].kind == TOK_CONTENT) {
            stemset_add(&qset, qt.tok[i].stem);
            stemset_add(&rset, qt.tok[i].stem);
        }
        prefix5_add(&prefixes, &qt.tok[i]);
    }
    double cover[HEUR_MAX_POINTS];
    size_t i;
    json_t *v;
    if (q && json_is_array(q->key_points)) {
        json_array_foreach(q->key_points, i, v)
        {
            if (m->points >= HEUR_MAX_POINTS || !json_is_string(v)) continue;
            int n = reference_stems(json_string_value(v), stems, HEUR_POINT_STEMS);
            if (n == 0) continue;
            /* the question's own words say nothing about the answer: a point is judged on
             * the words it adds, unless it adds none */
            int own = 0;
            for (int s = 0; s < n; s++) {
                stemset_add(&rset, stems[s]);
                if (!stemset_has(&qset, stems[s])) stems[own++] = stems[s];
            }
            if (own > 0) n = own;
            int hits = 0;
            for (int s = 0; s < n; s++)
                hits += stemset_has(&aset, stems[s]);
            /* a point is covered by its core, not its every word: paraphrase is normal */
            int need = n <= 2 ? 1 : n <= 5 ? 2 : 3;
            double c = hits >= need ? 1.0 : (double)hits / need;
            cover[m->points] = c;
            m->point_cover += c;
            m->points_covered += c >= 0.5;
            m->points++;
            struct token pt[64];
            struct text ptt;
            tokenize(json_string_value(v), pt, (int)ARRAY_LEN(pt), &ptt);
            for (int t = 0; t < ptt.n; t++)
                prefix5_add(&prefixes, &pt[t]);
        }
        if (m->points) m->point_cover /= m->points;
        /* points not fully covered, least covered first (stable), for the feedback */
        for (int p = 0; p < m->points; p++)
            if (cover[p] < 1.0) m->point_missing[m->n_missing++] = p;
        for (int i = 1; i < m->n_missing; i++) {
            int k = m->point_missing[i], j = i;
            while (j > 0 && cover[m->point_missing[j - 1]] > cover[k]) {
                m->point_missing[j] = m->point_missing[j - 1];
                j--;
            }
            m->point_missing[j] = k;
        }
    }
    int n_kw = 0;
    if (q && json_is_array(q->keywords)) {
        json_array_foreach(q->keywords, i, v)
        {
            if (!json_is_string(v)) continue;
            int n = reference_stems(json_string_value(v), stems, HEUR_POINT_STEMS);
            if (n == 0) continue;
            int hits = 0;
            for (int s = 0; s < n; s++) {
                hits += stemset_has(&aset, stems[s]);
                stemset_add(&rset, stems[s]);
            }
            m->keyword_cover += (double)hits / n;
            n_kw++;
            if (hits * 2 < n + 1 && m->n_keyword_missing < HEUR_MAX_POINTS)
                m->keyword_missing[m->n_keyword_missing++] = (int)i;
            struct token pt[16];
            struct text ptt;
            tokenize(json_string_value(v), pt, (int)ARRAY_LEN(pt), &ptt);
            for (int t = 0; t < ptt.n; t++)
                prefix5_add(&prefixes, &pt[t]);
        }
        if (n_kw) m->keyword_cover /= n_kw;
    }
    for (int t = 0; t < a->n; t++) {
        const struct token *k = &a->tok[t];
        if (k->kind == TOK_CONTENT) {
            /* count each distinct stem once: the first time it is met */
            if (!stemset_add(&seen, k->stem)) continue;
            if (stemset_has(&qset, k->stem))
                m->from_question++;
            else if (!k->number)
                m->novel++;
            if (stemset_has(&rset, k->stem)) m->ref_hits++;
        }
        if (k->len >= 3 && k->kind == TOK_CONTENT &&
            stemset_has(&prefixes, hash_bytes(k->text, 4 < k->len ? 4 : k->len)))
            m->foreign_hits++;
    }
    m->signals = count_signals(rubric, answer);
}

/* What the answer is, before any grading: the answer kinds that score 1 or 2 whatever
 * their length, numbers or keywords. */
static enum heuristic_kind answer_kind(const struct measures *m)
{
    if (m->content == 0) return HEURISTIC_NON_ANSWER;
    /* another language: its function words outnumber English ones */
    if (m->words >= 5 && m->foreign_ratio >= 0.08 && m->foreign_ratio > m->stop_ratio)
        return HEURISTIC_OTHER_LANGUAGE;
    /* a list of terms: many short items, hardly a function word between them */
    if (m->segments >= 5 && m->short_segments >= 0.75 && m->stop_ratio < 0.3)
        return HEURISTIC_TERM_LIST;
    /* the question said back: almost nothing in it the question did not already say */
    if (m->from_question >= 2 &&
        (m->novel <= 2 || (m->novel <= 4 && m->from_question >= 2 * m->novel)))
        return HEURISTIC_RESTATED;
    /* about something else: none of the key points, hardly a word of the reference */
    if (m->point_cover < 0.15 && m->keyword_cover < 0.15 && m->ref_hits < 3)
        return HEURISTIC_OFF_TOPIC;
    return HEURISTIC_RELEVANT;
}

/* 1..5 (before rounding) for a relevant answer. Technical answers are judged on the key
 * points they cover; the other categories ask for a story or a view, whose key points
 * are about structure, so how much the answer says weighs as much as which words it
 * shares with them. */
static double graded_score(const struct measures *m, const char *category)
{
    double s;
    if (!category || strcmp(category, "technical") == 0) {
        double rel = m->points ? 0.8 * m->point_cover + 0.2 * m->keyword_cover : m->keyword_cover;
        /* coverage alone earns a 4; a 5 also needs depth: detail, an example, a figure */
        s = 1.0 + 3.4 * fmin(1.0, rel / 0.6);
        /* depth and specifics count only inside a relevant answer */
        if (rel >= 0.4 && m->words * (1 - m->filler_ratio) >= 50) s += 0.5;
        if (rel >= 0.3 && m->has_number) s += 0.3;
    } else {
        double rel = m->points ? 0.6 * m->point_cover + 0.4 * m->keyword_cover : m->keyword_cover;
        s = 1.0 + 2.0 * fmin(1.0, rel / 0.4) + 2.0 * fmin(1.0, m->distinct / 30.0);
        if (rel >= 0.1 && m->has_number) s += 0.3;
    }
    if (m->filler_ratio > 0.05) s -= fmin(1.0, (m->filler_ratio - 0.04) * 6);
    if (m->words < 8 && s > 2) s = 2; /* a fragment cannot be a good answer */
    return s;
}

const char *heuristic_kind_name(enum heuristic_kind k)
{
    switch (k) {
    case HEURISTIC_RELEVANT:
        return "relevant";
    case HEURISTIC_NON_ANSWER:
        return "non_answer";
    case HEURISTIC_OTHER_LANGUAGE:
        return "other_language";
    case HEURISTIC_TERM_LIST:
        return "term_list";
    case HEURISTIC_RESTATED:
        return "restated";
    case HEURISTIC_OFF_TOPIC:
        return "off_topic";
    }
    return "relevant";
}

/* The feedback names what this answer did and what it left out of this question's key
 * points; it never repeats the question. */
static char *feedback_for(const struct heuristic_question *q, const struct measures *m,
                          enum heuristic_kind kind, int score)
{
    struct sbuf fb = {0};
    sbuf_puts(&fb, "Scored by the rubric (no AI model). ");
    switch (kind) {
    case HEURISTIC_NON_ANSWER:
        sbuf_puts(&fb, "The answer has no content to assess.");
        break;
    case HEURISTIC_OTHER_LANGUAGE:
        sbuf_puts(&fb, "The answer is not in English, the language of this interview, so it could "
                       "not be assessed in full. Answer in English, even briefly.");
        break;
    case HEURISTIC_TERM_LIST:
        sbuf_puts(&fb, "The answer is a list of terms without explanation. Use full sentences that "
                       "say how the ideas apply to what was asked.");
        break;
    case HEURISTIC_RESTATED:
        sbuf_puts(&fb,
                  "The answer mostly repeats the question's own words and adds little to them.");
        break;
    case HEURISTIC_OFF_TOPIC:
        sbuf_puts(&fb,
                  "The answer does not address what was asked; numbers or detail about something "
                  "else earn no credit.");
        break;
    case HEURISTIC_RELEVANT:
        if (m->points)
            sbuf_printf(&fb, "The answer covers %d of the %d points a strong answer makes.",
                        m->points_covered, m->points);
        else
            sbuf_puts(&fb, score >= 4 ? "The answer addresses the question with substance."
                                      : "The answer addresses the question but stays thin.");
        if (m->filler_ratio > 0.05)
            sbuf_printf(&fb,
                        " Filler words (\"basically\", \"you know\") make up %d%% of it; cut them.",
                        (int)lround(m->filler_ratio * 100));
        if (score >= 3 && !m->has_number && m->words >= 25)
            sbuf_puts(&fb, " A concrete example or figure would make it stronger.");
        break;
    }
    if (m->points && m->n_missing > 0 && score < 5) {
        sbuf_puts(&fb, " Missing or thin:");
        for (int i = 0; i < m->n_missing && i < 2; i++) {
            const char *kp =
                json_string_value(json_array_get(q->key_points, (size_t)m->point_missing[i]));
            int len = kp ? (int)util_utf8_prefix(kp, 160) : 0;
            sbuf_printf(&fb, "%s %.*s", i ? ";" : "", len, kp ? kp : "");
        }
        sbuf_puts(&fb, ".");
    } else if (!m->points && m->n_keyword_missing > 0 && score < 5) {
        sbuf_puts(&fb, " A strong answer would also touch on:");
        for (int i = 0; i < m->n_keyword_missing && i < 3; i++)
            sbuf_printf(
                &fb, "%s %s", i ? "," : "",
                json_string_value(json_array_get(q->keywords, (size_t)m->keyword_missing[i])));
        sbuf_puts(&fb, ".");
    }
    return sbuf_take(&fb);
}

void heuristic_evaluate(const struct rubric_category *rubric, const struct heuristic_question *q,
                        const char *answer, struct heuristic_eval *out)
{
    analysis_init();
    static _Thread_local struct token tok[HEUR_MAX_TOKENS];
    struct text a;
    tokenize(answer, tok, HEUR_MAX_TOKENS, &a);
    classify(&a);
    struct measures m;
    measure(q, &a, rubric, answer ? answer : "", &m);
    enum heuristic_kind kind = answer_kind(&m);
    int score = 1;
    if (kind == HEURISTIC_OTHER_LANGUAGE)
        score = m.foreign_hits >= 2 ? 2 : 1;
    else if (kind == HEURISTIC_RELEVANT) {
        score = (int)lround(graded_score(&m, rubric ? rubric->name : NULL));
        if (score < 1) score = 1;
        if (score > 5) score = 5;
    }
    out->score = score;
    out->kind = kind;
    out->coverage = m.points ? m.point_cover : m.keyword_cover;
    out->feedback = feedback_for(q, &m, kind, score);
}

static const char *known_skills[] = {
    "python",     "go",         "golang",       "rust",
    "java",       "javascript", "typescript",   "c",
    "c++",        "c#",         "ruby",         "php",
    "kotlin",     "swift",      "scala",        "sql",
    "postgresql", "mysql",      "sqlite",       "mongodb",
    "redis",      "kafka",      "rabbitmq",     "kubernetes",
    "docker",     "terraform",  "ansible",      "aws",
    "gcp",        "azure",      "linux",        "react",
    "vue",        "angular",    "node.js",      "graphql",
    "grpc",       "spark",      "airflow",      "pandas",
    "pytorch",    "tensorflow", "scikit-learn", "elasticsearch",
    "prometheus", "grafana",    "ci/cd",        "git",
    "html",       "css",        "android",      "ios",
    "selenium",   "playwright", "cypress",      "jest",
    "django",     "flask",      "spring",       "rails",
    "nginx",
};

static void add_unique(json_t *arr, const char *s, size_t max)
{
    if (json_array_size(arr) >= max) return;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return;
    json_array_append_new(arr, json_string(s));
}

/* Skills in order of first appearance. */
static json_t *find_skills(const char *lower, const json_t *role_skills)
{
    struct found {
        const char *skill;
        size_t pos;
    } found[128];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(known_skills) + json_array_size(role_skills) && n < 128; i++) {
        const char *s =
            i < ARRAY_LEN(known_skills)
                ? known_skills[i]
                : json_string_value(json_array_get(role_skills, i - ARRAY_LEN(known_skills)));
        if (!s || !*s) continue;
        size_t len = strlen(s);
        for (const char *p = lower; (p = strstr(p, s)); p++) {
            int left = p == lower || !isalnum((unsigned char)p[-1]);
            int right = !isalnum((unsigned char)p[len]) && p[len] != '+' && p[len] != '#';
            if (left && right) {
                found[n].skill = s;
                found[n].pos = (size_t)(p - lower);
                n++;
                break;
            }
        }
    }
    /* insertion sort by position */
    for (size_t i = 1; i < n; i++) {
        struct found f = found[i];
        size_t j = i;
        while (j > 0 && found[j - 1].pos > f.pos) {
            found[j] = found[j - 1];
            j--;
        }
        found[j] = f;
    }
    json_t *skills = json_array();
    for (size_t i = 0; i < n; i++)
        add_unique(skills, found[i].skill, 12);
    return skills;
}

/* Phrases after "built", "developed", ... up to the end of the clause, never cut inside
 * a word: engine/phrase.c shortens them at a joining word when they run long. */
#define PROJECT_RAW_MAX 200 /* bytes read after the verb */
#define PROJECTS_MAX 6

static json_t *find_projects(const char *text)
{
    static const char *verbs[] = {
        "built ",     "developed ",  "designed ",    "created ",  "led ",     "implemented ",
        "launched ",  "project: ",   "wrote ",       "migrated ", "rebuilt ", "shipped ",
        "automated ", "introduced ", "architected ", "delivered "};
    json_t *projects = json_array();
    for (const char *p = text; *p && json_array_size(projects) < PROJECTS_MAX; p++) {
        for (size_t v = 0; v < ARRAY_LEN(verbs); v++) {
            size_t n = strlen(verbs[v]);
            if (strncasecmp(p, verbs[v], n) != 0) continue;
            if (p != text && isalnum((unsigned char)p[-1])) continue;
            const char *start = p + n;
            const char *end = start;
            while (*end && *end != '\n' && *end != ';' && end - start < PROJECT_RAW_MAX &&
                   !(*end == '.' && !isalnum((unsigned char)end[1])))
                end++;
            /* stopped by the length cap inside a word: back to the word's start */
            if (end - start >= PROJECT_RAW_MAX)
                while (end > start && !isspace((unsigned char)end[-1]))
                    end--;
            size_t len = util_utf8_prefix(start, (size_t)(end - start));
            if (len >= 8 && util_word_count(start) >= 2) {
                char *phrase = xstrndup(start, len);
                util_trim(phrase);
                add_unique(projects, phrase, PROJECTS_MAX);
                free(phrase);
            }
            p = end > p ? end - 1 : p;
            break;
        }
    }
    return projects;
}

/* "at Acme Corp" / "@ Initech": up to three capitalised words. */
static json_t *find_companies(const char *text)
{
    json_t *companies = json_array();
    for (const char *p = text; *p && json_array_size(companies) < 3; p++) {
        const char *start = NULL;
        if (strncmp(p, " at ", 4) == 0)
            start = p + 4;
        else if (strncmp(p, " @ ", 3) == 0)
            start = p + 3;
        if (!start || !isupper((unsigned char)*start)) continue;
        const char *end = start;
        int words = 0;
        while (*end && words < 3) {
            const char *w = end;
            while (*end && (isalnum((unsigned char)*end) || *end == '&' || *end == '-'))
                end++;
            if (end == w || !isupper((unsigned char)*w)) {
                end = w;
                break;
            }
            words++;
            if (*end == ' ' && isupper((unsigned char)end[1]))
                end++;
            else
                break;
        }
        while (end > start && end[-1] == ' ')
            end--;
        if (end - start >= 2) {
            char *name = xstrndup(start, (size_t)(end - start));
            add_unique(companies, name, 3);
            free(name);
        }
    }
    return companies;
}

static double find_years(const char *lower)
{
    for (const char *p = lower; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > lower && isdigit((unsigned char)p[-1]))) continue;
        char *end;
        double y = strtod(p, &end);
        while (*end == '+' || *end == ' ')
            end++;
        if (strncmp(end, "years", 5) == 0 || strncmp(end, "yrs", 3) == 0 ||
            strncmp(end, "year", 4) == 0)
            return y > 60 ? 0 : y;
    }
    return 0;
}

json_t *heuristic_resume_analysis(const char *resume, const json_t *role_skills)
{
    char *lower = util_normalize_text(resume ? resume : "");
    double years = find_years(lower);
    const char *seniority = years < 3 ? "junior" : years < 7 ? "mid" : "senior";
    json_t *skills = find_skills(lower, role_skills);
    char summary[160];
    snprintf(summary, sizeof summary,
             "%s candidate, %s years of experience, %zu skills recognised.", seniority,
             years > 0 ? "about the stated" : "unknown", json_array_size(skills));
    json_t *a = json_pack("{s:o,s:o,s:o,s:f,s:s,s:s}", "skills", skills, "projects",
                          find_projects(resume ? resume : ""), "companies",
                          find_companies(resume ? resume : ""), "years_experience", years,
                          "seniority", seniority, "summary", summary);
    free(lower);
    return a;
}

/* "sql_transactions" -> "sql transactions"; the category when a turn has no topic. */
static void topic_words(const json_t *t, char *out, size_t cap)
{
    const char *topic = json_string_value(json_object_get(t, "topic"));
    if (!topic || !*topic) topic = json_string_value(json_object_get(t, "category"));
    snprintf(out, cap, "%s", topic ? topic : "general");
    for (char *p = out; *p; p++)
        if (*p == '_' || *p == '-') *p = ' ';
}

/* The first key point the answer left out, or NULL (borrowed from the turn). */
static const char *first_missed_point(const json_t *t)
{
    const json_t *kp = json_object_get(t, "key_points");
    if (json_array_size(kp) == 0) return NULL;
    struct heuristic_question q = {.text = json_string_value(json_object_get(t, "question")),
                                   .key_points = kp};
    analysis_init();
    static _Thread_local struct token tok[HEUR_MAX_TOKENS];
    struct text a;
    tokenize(json_string_value(json_object_get(t, "answer")), tok, HEUR_MAX_TOKENS, &a);
    classify(&a);
    struct measures m;
    measure(&q, &a, NULL, "", &m);
    return m.n_missing ? json_string_value(json_array_get(kp, (size_t)m.point_missing[0])) : NULL;
}

#define SUMMARY_MAX_TURNS 64

json_t *heuristic_summary(const json_t *scored)
{
    size_t n = json_array_size(scored);
    if (n > SUMMARY_MAX_TURNS) n = SUMMARY_MAX_TURNS;
    /* turns ordered by score, lowest first, ties in interview order */
    size_t order[SUMMARY_MAX_TURNS];
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        sum += (double)json_integer_value(json_object_get(json_array_get(scored, i), "score"));
    }
    for (size_t i = 1; i < n; i++) {
        size_t k = order[i], j = i;
        json_int_t sk = json_integer_value(json_object_get(json_array_get(scored, k), "score"));
        while (j > 0 && json_integer_value(
                            json_object_get(json_array_get(scored, order[j - 1]), "score")) > sk) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    json_t *strengths = json_array(), *improvements = json_array();
    char line[600], topic[80];
    /* to improve: the lowest-scored answers, up to four, each with what it missed */
    for (size_t r = 0; r < n && json_array_size(improvements) < 4; r++) {
        const json_t *t = json_array_get(scored, order[r]);
        int score = (int)json_integer_value(json_object_get(t, "score"));
        if (score > 3) break;
        int pos = (int)json_integer_value(json_object_get(t, "position"));
        topic_words(t, topic, sizeof topic);
        const char *missed = first_missed_point(t);
        int len = missed ? (int)util_utf8_prefix(missed, 300) : 0;
        if (missed)
            snprintf(line, sizeof line, "Question %d (%s, %d/5): cover this point: %.*s.",
                     pos ? pos : (int)order[r] + 1, topic, score, len, missed);
        else
            snprintf(line, sizeof line,
                     "Question %d (%s, %d/5): answer what was asked, with a concrete example.",
                     pos ? pos : (int)order[r] + 1, topic, score);
        json_array_append_new(improvements, json_string(line));
    }
    /* strengths: the highest-scored answers of 4 or 5, up to four */
    for (size_t r = n; r-- > 0 && json_array_size(strengths) < 4;) {
        const json_t *t = json_array_get(scored, order[r]);
        int score = (int)json_integer_value(json_object_get(t, "score"));
        if (score < 4) break;
        int pos = (int)json_integer_value(json_object_get(t, "position"));
        topic_words(t, topic, sizeof topic);
        snprintf(line, sizeof line,
                 "Question %d (%s, %d/5): a clear answer that covered the key points.",
                 pos ? pos : (int)order[r] + 1, topic, score);
        json_array_append_new(strengths, json_string(line));
    }
    if (json_array_size(improvements) == 0)
        json_array_append_new(improvements,
                              json_string("Add concrete numbers and outcomes to your answers."));
    if (json_array_size(strengths) == 0)
        json_array_append_new(strengths, json_string("You completed the interview."));
    struct sbuf sb = {0};
    sbuf_printf(&sb, "Heuristic summary (no AI model): %zu answers, mean score %.1f of 5.", n,
                n ? sum / (double)n : 0.0);
    char *weak = heuristic_weakest_topics(scored);
    if (weak) sbuf_printf(&sb, " %s", weak);
    free(weak);
    sbuf_puts(&sb,
              " Scores reflect how much of each question's key points an answer covered, not a "
              "reading of meaning.");
    json_t *r = json_pack("{s:s,s:o,s:o}", "summary", sb.data, "strengths", strengths,
                          "improvements", improvements);
    sbuf_free(&sb);
    return r;
}

char *heuristic_weakest_topics(const json_t *scored)
{
    struct {
        char name[80];
        double sum;
        int n;
    } topics[SUMMARY_MAX_TURNS];
    int nt = 0;
    size_t i;
    json_t *t;
    json_array_foreach(scored, i, t)
    {
        if (i >= SUMMARY_MAX_TURNS) break;
        char name[80];
        topic_words(t, name, sizeof name);
        int k = 0;
        while (k < nt && strcmp(topics[k].name, name) != 0)
            k++;
        if (k == nt) {
            snprintf(topics[nt].name, sizeof topics[nt].name, "%s", name);
            topics[nt].sum = 0;
            topics[nt].n = 0;
            nt++;
        }
        topics[k].sum += (double)json_integer_value(json_object_get(t, "score"));
        topics[k].n++;
    }
    /* the two topics with the lowest mean below 3.5, lowest first */
    int first = -1, second = -1;
    for (int k = 0; k < nt; k++) {
        double m = topics[k].sum / topics[k].n;
        if (m >= 3.5) continue;
        if (first < 0 || m < topics[first].sum / topics[first].n) {
            second = first;
            first = k;
        } else if (second < 0 || m < topics[second].sum / topics[second].n) {
            second = k;
        }
    }
    if (first < 0) return NULL;
    struct sbuf b = {0};
    sbuf_printf(&b, "Weakest topic%s: %s (%.1f/5)", second >= 0 ? "s" : "", topics[first].name,
                topics[first].sum / topics[first].n);
    if (second >= 0)
        sbuf_printf(&b, " and %s (%.1f/5)", topics[second].name,
                    topics[second].sum / topics[second].n);
    sbuf_puts(&b, ".");
    return sbuf_take(&b);
}
