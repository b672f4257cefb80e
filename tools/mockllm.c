/* mockllm: a stand-in for any OpenAI-compatible LLM provider, for tests and benchmarks.
 *
 * One libevent loop serves
 *   POST /v1/chat/completions   the chat API, plain JSON or SSE (`stream: true`)
 *   GET  /v1/models[/ID]        the --model list
 *   GET  /mock/stats            what this process received, for tests to compare against
 * A chat request is checked (auth, size, JSON, model), admitted against the limits a
 * free tier enforces (RPM/TPM over a sliding 60 s window, RPD/TPD per day, in-flight
 * concurrency) and answered --latency-ms later by an event timer, never a sleep, so a
 * slow reply never holds up another request.
 *
 * The one idea: the answer is a pure function of the request. A request whose system
 * message starts with the interviewd task marker (docs/tasks.md) gets the deterministic
 * task JSON that file specifies, so tests can assert on exact scores; any other request
 * gets an echo. The randomness is what real models and providers add, each switched on
 * by a flag and drawn from one PRNG seeded by --seed (so a run is reproducible):
 * --fail-rate (500/503), --bad-output-rate (prose, JSON missing a field, JSON wrapped in
 * prose or a code fence, truncated JSON), --dup-followup-rate (a follow-up that repeats
 * the last question). --injection-bump makes it gullible: an answer that says "ignore
 * previous instructions" scores 5, unflagged. GET /mock/log lists what each task answer
 * said (scores per question id, how it was spoilt), for tests to compare with the
 * product's reports.
 *
 * Refusals copy the wire format of the provider named by --headers (shared
 * research/providers.md): header names and units, on success as well as on 429 where the
 * real provider does so, and its 429 body. interviewd's header parsers and error
 * classifiers are thereby tested against what they meet in production.
 *
 * Accounting: an admitted request charges prompt + completion tokens (known up front,
 * since the answer is computed at admission; counted as ceil(chars / 4), the router's
 * own estimate, or with --token-count words by mockllm's own rule: words and punctuation,
 * scaled by a factor in 0.85..1.15 drawn from --seed and the text, as a tokenizer the
 * client cannot predict) to the minute window and to the day
 * at admission, like a provider that reserves tokens when it accepts work. Refused
 * requests charge nothing. Day limits reset at UTC midnight, or every --day-ms ms from
 * process start; --used-elsewhere-requests pre-charges the first day's RPD.
 *
 * Refusals (401, 4xx, 429) are immediate, as real providers send them; only admitted
 * requests wait --latency-ms, injected 500/503 included.
 *
 * --die-after N: after the Nth admitted chat request was answered (success or injected
 * failure) the listener closes, requests still pending or arriving on open connections
 * never get an answer, and once the Nth reply is flushed the process exits with status 0.
 */
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "sim/misbehave.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

/* ---------------------------------------------------------------------------------- */
/* Limits and fixed values. */

enum {
    MOCK_MAX_BODY = 2 * 1024 * 1024,  /* chat bodies above this get an OpenAI-style 413 */
    MOCK_HARD_BODY = 8 * 1024 * 1024, /* above this libevent itself answers 413 and closes */
    MOCK_MAX_HEADERS = 64 * 1024,     /* request header bytes */
    MOCK_CONN_TIMEOUT_S = 120,        /* idle/read/write timeout of a connection */
    MOCK_WINDOW_MS = 60 * 1000,       /* the RPM/TPM sliding window */
    MOCK_UTC_DAY_MS = 86400 * 1000,   /* a real day */
    MOCK_STREAM_CHUNK = 16,           /* content bytes per SSE chunk (whole UTF-8 chars) */
    MOCK_MAX_MODELS = 16,             /* --model may repeat this often */
    MOCK_ECHO_CHARS = 60,             /* characters of the user message an echo quotes */
    MOCK_DIE_GRACE_MS = 1000,         /* --die-after: longest wait for the last reply */
    MOCK_MAX_QUESTIONS = 20,          /* question_gen count is clamped to 1..this */
    MOCK_MAX_PROJECTS = 3,            /* resume_analysis projects */
    MOCK_MAX_COMPANIES = 3,           /* resume_analysis companies */
    MOCK_FOLLOW_UP_WORDS = 8,         /* follow_up quotes this many words */
    MOCK_TASK_NAME_MAX = 48,          /* longer task names are not a marker */
    MOCK_MAX_ATTRS = 8,               /* attributes kept per data block */
    MOCK_TAG_MAX = 64,                /* longer tag names are not a data block */
    MOCK_LOG_MAX = 4096,              /* answers GET /mock/log keeps (oldest dropped) */
    MOCK_ANSWER_END = 40,             /* characters of each answer /mock/log quotes */
};

#define MOCK_ORG "org_mock"             /* organization named in 429 messages */
#define MOCK_MODEL_CREATED 1735689600LL /* "created" of every model: 2025-01-01 */
#define MOCK_DEFAULT_MODEL "mock-small"

/* ---------------------------------------------------------------------------------- */
/* Configuration (command line). */

enum mock_style {
    STYLE_OPENAI,
    STYLE_GROQ,
    STYLE_CEREBRAS,
    STYLE_OPENROUTER,
    STYLE_MISTRAL,
    STYLE_GEMINI,
    STYLE_CLOUDFLARE,
    STYLE_NONE,
};

static const char *const mock_style_names[] = {
    "openai", "groq", "cerebras", "openrouter", "mistral", "gemini", "cloudflare", "none",
};

/* How tokens are counted (--token-count). */
enum mock_tokenizer {
    TOKENS_CHARS4, /* ceil(chars / 4): the router's own estimate, exact for tests */
    TOKENS_WORDS,  /* words and punctuation with a seeded +-15% per text, like a real
                    * tokenizer that is not the router's */
};

struct mock_config {
    char host[256];                      /* address to bind */
    int port;                            /* 0 = any free port */
    long latency_ms;                     /* delay of every admitted reply */
    long rpm, rpd, tpm, tpd;             /* limits; 0 = unlimited */
    long concurrency;                    /* in-flight admitted requests; 0 = unlimited */
    double fail_rate;                    /* probability of an injected 500/503 */
    uint64_t seed;                       /* PRNG seed for --fail-rate */
    enum mock_style style;               /* which provider's headers and bodies */
    const char *models[MOCK_MAX_MODELS]; /* served model ids (argv strings) */
    int n_models;                        /* entries in models */
    const char *require_key;             /* expected bearer key, or NULL */
    long used_elsewhere;                 /* requests already spent today by others */
    long die_after;                      /* exit after this many answers; 0 = never */
    long day_ms;                         /* day length; 0 = UTC days */
    double bad_output_rate;              /* share of task answers that are not clean JSON */
    double dup_followup_rate;            /* share of follow-ups repeating an asked question */
    int injection_bump;                  /* an answer with an injection attempt scores 5 */
    enum mock_tokenizer tokenizer;       /* how usage and the token limits count */
};

/* ---------------------------------------------------------------------------------- */
/* Server state. */

/* One admitted request in the minute window. */
struct mock_entry {
    int64_t t;   /* admission, monotonic ms */
    long tokens; /* prompt + completion tokens charged */
};

/* Admitted requests of the last 60 s, oldest first (a ring buffer). */
struct mock_window {
    struct mock_entry *v; /* cap slots */
    size_t head;          /* index of the oldest entry */
    size_t len;           /* entries in use */
    size_t cap;           /* slots allocated */
    long tokens;          /* sum of tokens over the entries */
};

/* The current day's usage. */
struct mock_day {
    int64_t index; /* which day (UTC day number, or --day-ms periods since start) */
    long requests; /* admitted requests, plus --used-elsewhere-requests on day 0 */
    long tokens;   /* tokens charged */
};

/* Counters served by GET /mock/stats. */
struct mock_stats {
    long requests;             /* every POST /v1/chat/completions received */
    long completions;          /* answered 200 */
    long rate_limited;         /* answered 429 */
    long failed;               /* injected 500/503 */
    long rejected;             /* other 4xx (auth, body, model) */
    long prompt_tokens;        /* of completions */
    long completion_tokens;    /* of completions */
    json_t *by_task;           /* task -> requests received carrying that marker */
    json_t *completed_by_task; /* task -> completions */
    json_t *rate_limited_by;   /* limit ("rpm", "tpm", ...) -> 429s it caused */
    json_t *bad_output;        /* --bad-output-rate: kind -> answers given that way */
    long dup_followups;        /* --dup-followup-rate: follow-ups that repeat a question */
    long injection_bumps;      /* --injection-bump: scores raised to 5 */
};

struct mock_job;

struct mock_server {
    struct mock_config cfg;               /* command line */
    struct event_base *base;              /* the one loop */
    struct evhttp *http;                  /* HTTP server */
    struct evhttp_bound_socket *listener; /* NULL once --die-after closed it */
    struct event *sig_term, *sig_int;     /* clean shutdown */
    struct event *die_timer;              /* --die-after fallback exit */
    struct mock_window minute;            /* RPM/TPM window */
    struct mock_day day;                  /* RPD/TPD counters */
    int64_t start_mono;                   /* process start, for --day-ms */
    long in_flight;                       /* admitted, not yet fully answered */
    uint64_t rng;                         /* splitmix64 state */
    unsigned long fail_count;             /* injected failures so far (500/503 alternate) */
    unsigned long next_id;                /* completion ids */
    long answered;                        /* admitted requests answered, for --die-after */
    int dying;                            /* --die-after reached: answer nothing more */
    struct mock_job *jobs;                /* requests we still owe (or withhold) a reply */
    struct mock_stats stats;              /* GET /mock/stats */
    json_t *log;                          /* GET /mock/log: the last MOCK_LOG_MAX answers */
};

/* A request we owe a reply: an admitted chat request waiting for its timer, a stream in
 * progress, or (while dying) a request that will never be answered. */
struct mock_job {
    struct mock_server *srv;      /* owner */
    struct evhttp_request *req;   /* the request */
    struct event *timer;          /* latency / stream pacing; NULL for a withheld request */
    struct mock_job *prev, *next; /* srv->jobs list */
    char id[40];                  /* "chatcmpl-mock-N" */
    char *model;                  /* model as requested */
    char *task;                   /* task marker name, or NULL */
    char *content;                /* the assistant message */
    json_t *record;               /* its GET /mock/log entry, logged when answered */
    const char *finish_reason;    /* "stop" or "length" */
    long prompt_tokens;           /* usage */
    long completion_tokens;       /* usage */
    long prompt_chars4;           /* ceil(prompt chars / 4), the router's way, for /mock/log */
    int stream;                   /* answer as SSE */
    int include_usage;            /* stream_options.include_usage */
    int fail_status;              /* 0, or 500/503 to inject */
    int started;                  /* stream: headers and role chunk sent */
    size_t sent;                  /* stream: content bytes sent */
    int64_t step_ms;              /* stream: delay between chunks */
};

/* ---------------------------------------------------------------------------------- */
/* Text helpers. */

/* Characters (UTF-8 code points) in s. */
static size_t mock_utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) n++;
    return n;
}

/* Byte length of the first `chars` characters of s. */
static size_t mock_utf8_prefix(const char *s, size_t chars)
{
    size_t i = 0;
    while (s[i] && chars > 0) {
        i++;
        while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

/* A uniform draw in [0, 1) from the splitmix64 state (--seed); every misbehaviour
 * draws from the one stream, and only when its rate is above 0, so runs without it
 * see the same --fail-rate sequence as before. */
static double mock_rand_unit(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* The token estimate of the whole project: ceil(chars / 4). */
static long mock_tokens_of_chars(size_t chars)
{
    return (long)((chars + 3) / 4);
}

/* Undoes the data-block escaping of docs/tasks.md (&lt; &gt; &amp;, plus &quot; and
 * &#39;/&apos; for attributes). Caller frees. */
static char *mock_unescape(const char *s, size_t n)
{
    static const struct {
        const char *entity;
        char c;
    } ents[] = {{"&lt;", '<'},   {"&gt;", '>'},   {"&amp;", '&'},
                {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
    struct sbuf b = {0};
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '&')
            j++;
        if (j > i) sbuf_append(&b, s + i, j - i);
        if (j >= n) break;
        size_t k = 0;
        for (; k < ARRAY_LEN(ents); k++) {
            size_t len = strlen(ents[k].entity);
            if (n - j >= len && memcmp(s + j, ents[k].entity, len) == 0) {
                sbuf_append(&b, &ents[k].c, 1);
                i = j + len;
                break;
            }
        }
        if (k == ARRAY_LEN(ents)) {
            sbuf_append(&b, "&", 1);
            i = j + 1;
        }
    }
    return sbuf_take(&b);
}

/* Copy of s with runs of whitespace collapsed to one space, ends trimmed. Caller frees. */
static char *mock_collapse_space(const char *s, size_t n)
{
    struct sbuf b = {0};
    int pending = 0;
    for (size_t i = 0; i < n; i++) {
        if (isspace((unsigned char)s[i])) {
            pending = b.len > 0;
            continue;
        }
        if (pending) sbuf_append(&b, " ", 1);
        pending = 0;
        sbuf_append(&b, s + i, 1);
    }
    return sbuf_take(&b);
}

/* The first n whitespace-separated words of s joined by single spaces. Caller frees. */
static char *mock_first_words(const char *s, int n)
{
    struct sbuf b = {0};
    const char *p = s;
    for (int w = 0; w < n; w++) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (b.len) sbuf_append(&b, " ", 1);
        sbuf_append(&b, start, (size_t)(p - start));
    }
    return sbuf_take(&b);
}

/* ---------------------------------------------------------------------------------- */
/* Data blocks of the user message: <tag a="v">text</tag> and <tag a="v"/>. */

struct mock_attr {
    char *name;  /* attribute name */
    char *value; /* unescaped value */
};

struct mock_block {
    char *tag;                              /* e.g. "candidate_answer" */
    struct mock_attr attrs[MOCK_MAX_ATTRS]; /* later attributes are dropped */
    int n_attrs;                            /* entries in attrs */
    char *text;                             /* unescaped, trimmed; "" for <tag/> */
};

struct mock_blocks {
    struct mock_block *v; /* document order */
    size_t n, cap;        /* used, allocated */
};

static int mock_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-';
}

static void mock_block_free(struct mock_block *b)
{
    free(b->tag);
    free(b->text);
    for (int i = 0; i < b->n_attrs; i++) {
        free(b->attrs[i].name);
        free(b->attrs[i].value);
    }
}

static void mock_blocks_free(struct mock_blocks *bl)
{
    for (size_t i = 0; i < bl->n; i++)
        mock_block_free(&bl->v[i]);
    free(bl->v);
    bl->v = NULL;
    bl->n = bl->cap = 0;
}

/* Parses the attributes after a tag name (p points just past it). Returns the position
 * after '>' and sets *self_closing, or NULL if this is not a well-formed tag. */
static const char *mock_parse_attrs(const char *p, struct mock_block *b, int *self_closing)
{
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == '>') {
            *self_closing = 0;
            return p + 1;
        }
        if (p[0] == '/' && p[1] == '>') {
            *self_closing = 1;
            return p + 2;
        }
        const char *name = p;
        while (mock_name_char((unsigned char)*p))
            p++;
        if (p == name || p[0] != '=' || p[1] != '"') return NULL;
        const char *val = p + 2;
        const char *end = strchr(val, '"');
        if (!end) return NULL;
        if (b->n_attrs < MOCK_MAX_ATTRS) {
            b->attrs[b->n_attrs].name = xstrndup(name, (size_t)(p - name));
            b->attrs[b->n_attrs].value = mock_unescape(val, (size_t)(end - val));
            b->n_attrs++;
        }
        p = end + 1;
    }
}

static void mock_blocks_push(struct mock_blocks *bl, struct mock_block *b)
{
    if (bl->n == bl->cap) {
        bl->cap = bl->cap ? bl->cap * 2 : 8;
        bl->v = xrealloc(bl->v, bl->cap * sizeof *bl->v);
    }
    bl->v[bl->n++] = *b;
}

/* Reads one block starting at '<' (lt). Returns the position to continue scanning from;
 * on success *b holds the block and *ok is 1. */
static const char *mock_block_read(const char *lt, struct mock_block *b, int *ok)
{
    const char *name = lt + 1, *q = name;
    *ok = 0;
    while (mock_name_char((unsigned char)*q))
        q++;
    size_t name_len = (size_t)(q - name);
    if (name_len == 0 || name_len >= MOCK_TAG_MAX || !isalpha((unsigned char)*name)) return lt + 1;
    int self_closing = 0;
    const char *after = mock_parse_attrs(q, b, &self_closing);
    if (!after) {
        mock_block_free(b);
        memset(b, 0, sizeof *b);
        return lt + 1;
    }
    b->tag = xstrndup(name, name_len);
    *ok = 1;
    if (self_closing) {
        b->text = xstrdup("");
        return after;
    }
    char close[MOCK_TAG_MAX + 4];
    snprintf(close, sizeof close, "</%s>", b->tag);
    const char *end = strstr(after, close);
    size_t len = end ? (size_t)(end - after) : strlen(after);
    b->text = util_trim(mock_unescape(after, len));
    return end ? end + strlen(close) : after + len;
}

/* Every data block of s, in order. Text outside blocks is ignored; since candidate text
 * is escaped, a raw '<' only ever starts a block. */
static void mock_blocks_parse(const char *s, struct mock_blocks *out)
{
    const char *p = s;
    while ((p = strchr(p, '<')) != NULL) {
        struct mock_block b = {0};
        int ok;
        p = mock_block_read(p, &b, &ok);
        if (ok) mock_blocks_push(out, &b);
    }
}

static int mock_is(const struct mock_block *b, const char *tag)
{
    return strcmp(b->tag, tag) == 0;
}

static const char *mock_attr(const struct mock_block *b, const char *name)
{
    for (int i = 0; i < b->n_attrs; i++)
        if (strcmp(b->attrs[i].name, name) == 0) return b->attrs[i].value;
    return NULL;
}

static const struct mock_block *mock_find(const struct mock_blocks *bl, const char *tag)
{
    for (size_t i = 0; i < bl->n; i++)
        if (mock_is(&bl->v[i], tag)) return &bl->v[i];
    return NULL;
}

/* For every candidate_answer block, the keywords that belong to it: the first keywords
 * (or reference: its key points) block after the question whose n (or id) is the answer's
 * id, else the last such block before the answer, else "". One pass, since a batch may hold many
 * answers. Returns bl->n entries (NULL for other blocks), pointing into bl; caller frees the array.
 */
static const char **mock_answer_keywords(const struct mock_blocks *bl)
{
    const char **kw = xcalloc(bl->n ? bl->n : 1, sizeof *kw);
    json_t *by_question = json_object(); /* question id -> index of its keywords block */
    const char *qid = NULL, *last = "";
    for (size_t i = 0; i < bl->n; i++) {
        const struct mock_block *b = &bl->v[i];
        if (mock_is(b, "question")) {
            qid = mock_attr(b, "n") ? mock_attr(b, "n") : mock_attr(b, "id");
        } else if (mock_is(b, "keywords") || mock_is(b, "reference")) {
            last = b->text;
            if (qid && !json_object_get(by_question, qid))
                json_object_set_new(by_question, qid, json_integer((json_int_t)i));
            qid = NULL;
        } else if (mock_is(b, "candidate_answer")) {
            const char *id = mock_attr(b, "id");
            json_t *k = id ? json_object_get(by_question, id) : NULL;
            kw[i] = k ? bl->v[json_integer_value(k)].text : last;
        }
    }
    json_decref(by_question);
    return kw;
}

/* ---------------------------------------------------------------------------------- */
/* Task answers (docs/tasks.md, "mockllm's deterministic answers"). Each returns a new
 * JSON object, the assistant message content. */

/* What shapes an answer besides the request: the misbehaviour switches, their PRNG,
 * and what they did to this answer (for GET /mock/stats and /mock/log). */
struct mock_gen {
    const struct mock_config *cfg; /* --dup-followup-rate, --injection-bump */
    uint64_t *rng;                 /* the server's PRNG */
    int dup_followup;              /* out: a follow-up repeats an asked question */
    int bumped;                    /* out: answers whose injection raised the score */
};

/* The evaluate formula applied to one answer. */
struct mock_eval {
    int words;     /* whitespace-separated words */
    int hit;       /* a keyword (case-insensitive) or a digit appears */
    int injection; /* "ignore (all) previous instructions" appears */
    int score;     /* 1..5 */
};

static int mock_keyword_hit(const char *answer, const char *keywords)
{
    for (const char *p = answer; *p; p++)
        if (isdigit((unsigned char)*p)) return 1;
    char *copy = xstrdup(keywords), *save = NULL;
    int hit = 0;
    for (char *k = strtok_r(copy, ",;\n", &save); k && !hit; k = strtok_r(NULL, ",;\n", &save)) {
        util_trim(k);
        if (*k && util_strcasestr(answer, k)) hit = 1;
    }
    free(copy);
    return hit;
}

/* The formula; with --injection-bump an injection attempt scores 5 and is not flagged,
 * as a gullible model does, so only the product can keep it from counting. */
static struct mock_eval mock_evaluate_answer(struct mock_gen *g, const char *answer,
                                             const char *keywords)
{
    struct mock_eval e;
    e.words = util_word_count(answer);
    e.hit = mock_keyword_hit(answer, keywords);
    e.injection = util_strcasestr(answer, "ignore previous instructions") != NULL ||
                  util_strcasestr(answer, "ignore all previous instructions") != NULL;
    e.score = 1 + (e.words >= 15) + (e.words >= 40) + (e.words >= 80) + e.hit;
    if (e.score > 5) e.score = 5;
    if (e.injection && g->cfg->injection_bump) { /* it obeys, and does not tell */
        e.score = 5;
        e.injection = 0;
        g->bumped++;
    }
    return e;
}

static json_t *mock_eval_feedback(const struct mock_eval *e)
{
    char buf[96];
    snprintf(buf, sizeof buf, "mock: %d words, %s", e->words,
             e->hit ? "keyword hit" : "no keyword");
    return json_string(buf);
}

/* --dup-followup-rate: with that probability a follow-up repeats `asked` nearly
 * verbatim (as it is, or with a few words before or after), as real models do when
 * they run out of ideas. Returns a new string, or NULL (write a fresh one). */
static char *mock_maybe_repeat(struct mock_gen *g, const char *asked)
{
    if (!asked || !*asked || g->cfg->dup_followup_rate <= 0 ||
        mock_rand_unit(g->rng) >= g->cfg->dup_followup_rate)
        return NULL;
    static const char *const before[] = {"", "To follow up: ", "", "Let me ask again: "};
    static const char *const after[] = {"", "", " Please be specific.", ""};
    size_t v = (size_t)(mock_rand_unit(g->rng) * (double)ARRAY_LEN(before));
    struct sbuf b = {0};
    sbuf_printf(&b, "%s%s%s", before[v], asked, after[v]);
    g->dup_followup = 1;
    return sbuf_take(&b);
}

/* The text of the last block with this tag, or NULL. */
static const char *mock_last_text(const struct mock_blocks *bl, const char *tag)
{
    const char *t = NULL;
    for (size_t i = 0; i < bl->n; i++)
        if (mock_is(&bl->v[i], tag)) t = bl->v[i].text;
    return t;
}

/* A <next_request phase difficulty/> block asks for "next_question" too (docs/tasks.md):
 * built from the phase, the difficulty and the first words of the last answer, so it is
 * different for every answer and never one of the <asked_question>s. */
static void mock_add_next_question(struct mock_gen *g, const struct mock_blocks *bl, json_t *out)
{
    const struct mock_block *req = mock_find(bl, "next_request");
    if (!req) return;
    char *again = mock_maybe_repeat(g, mock_last_text(bl, "asked_question"));
    if (again) {
        json_object_set_new(out, "next", json_string(again));
        free(again);
        return;
    }
    const char *last = "";
    size_t n_asked = 0;
    for (size_t i = 0; i < bl->n; i++) {
        if (mock_is(&bl->v[i], "candidate_answer")) last = bl->v[i].text;
        if (mock_is(&bl->v[i], "asked_question")) n_asked++;
    }
    const char *phase = mock_attr(req, "phase");
    const char *diff = mock_attr(req, "difficulty");
    char *words = mock_first_words(last, 6);
    /* two topics and an angle picked by a hash of the answer, so follow-ups on different
     * answers are not near-duplicates of each other (interviewd rejects those) */
    static const char *topics[] = {"caching",
                                   "sharding",
                                   "replication",
                                   "indexing",
                                   "backpressure",
                                   "idempotency",
                                   "observability",
                                   "migrations",
                                   "queues",
                                   "consensus",
                                   "compression",
                                   "pagination",
                                   "authentication",
                                   "rollbacks",
                                   "throttling",
                                   "serialization",
                                   "timeouts",
                                   "tracing",
                                   "batching",
                                   "failover",
                                   "deadlocks",
                                   "profiling",
                                   "leases",
                                   "quotas",
                                   "checksums",
                                   "encryption",
                                   "hashing",
                                   "partitioning",
                                   "snapshots",
                                   "compaction",
                                   "gossip",
                                   "leaders",
                                   "quorums",
                                   "vectors",
                                   "clocks",
                                   "retries",
                                   "jitter",
                                   "circuits",
                                   "bulkheads",
                                   "canaries",
                                   "feature-flags",
                                   "dashboards",
                                   "alerts",
                                   "runbooks",
                                   "postmortems",
                                   "budgets",
                                   "slos",
                                   "latency",
                                   "throughput",
                                   "memory",
                                   "garbage",
                                   "allocators",
                                   "threads",
                                   "coroutines",
                                   "locks",
                                   "atomics",
                                   "schedulers",
                                   "sockets",
                                   "buffers",
                                   "protocols",
                                   "schemas",
                                   "contracts",
                                   "fixtures",
                                   "mocks",
                                   "fuzzing",
                                   "benchmarks",
                                   "linters",
                                   "pipelines",
                                   "artifacts",
                                   "containers",
                                   "orchestration",
                                   "secrets",
                                   "certificates",
                                   "tokens",
                                   "sessions",
                                   "cookies",
                                   "headers",
                                   "proxies",
                                   "gateways",
                                   "routing",
                                   "dns",
                                   "cdn",
                                   "storage",
                                   "blobs",
                                   "journals",
                                   "wal",
                                   "btrees",
                                   "lsm",
                                   "bloom-filters",
                                   "tries",
                                   "graphs",
                                   "heaps",
                                   "streams",
                                   "windows",
                                   "watermarks",
                                   "joins",
                                   "aggregations",
                                   "denormalization",
                                   "transactions",
                                   "isolation",
                                   "vacuum"};
    static const char *angles[] = {"trade-offs", "failure modes", "testing", "monitoring",
                                   "capacity",   "security",      "cost",    "ownership",
                                   "rollout",    "debugging",     "limits",  "alternatives",
                                   "evolution",  "risks"};
    uint64_t h = util_xxh64(last, strlen(last)) ^ (n_asked * 0x9E3779B97F4A7C15ULL);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    size_t nt = sizeof topics / sizeof *topics, na = sizeof angles / sizeof *angles;
    struct sbuf b = {0};
    (void)words;
    (void)diff;
    sbuf_printf(&b, "Mock follow-up (%s): %s of %s, %s, %s, %s and %s?",
                phase ? phase : "technical", angles[h % na], topics[(h >> 8) % nt],
                topics[(h >> 16) % nt], topics[(h >> 24) % nt], topics[(h >> 32) % nt],
                topics[(h >> 40) % nt]);
    json_object_set_new(out, "next", json_string(b.data));
    sbuf_free(&b);
    free(words);
}

static json_t *mock_task_evaluate(struct mock_gen *g, const struct mock_blocks *bl)
{
    const char **kw = mock_answer_keywords(bl);
    const char *answer = "", *keywords = "";
    for (size_t i = 0; i < bl->n; i++) {
        if (!mock_is(&bl->v[i], "candidate_answer")) continue;
        answer = bl->v[i].text;
        keywords = kw[i];
        break;
    }
    struct mock_eval e = mock_evaluate_answer(g, answer, keywords);
    free(kw);
    json_t *out = json_pack("{s:i, s:o}", "s", e.score, "fb", mock_eval_feedback(&e));
    if (e.injection) json_object_set_new(out, "inj", json_true());
    mock_add_next_question(g, bl, out);
    return out;
}

/* A score per answer, as the summary task and evaluate_batch's summary see them. */
struct mock_scored {
    const char *id; /* question id ("" if none) */
    int score;      /* 1..5 */
};

static json_t *mock_summary_of(const struct mock_scored *s, size_t n)
{
    json_t *strengths = json_array(), *improvements = json_array();
    long sum = 0;
    char buf[128];
    for (size_t i = 0; i < n; i++) {
        struct sbuf b = {0};
        sum += s[i].score;
        if (s[i].score >= 4) {
            sbuf_printf(&b, "strong answer to question %s", s[i].id);
            json_array_append_new(strengths, json_string(b.data));
        } else if (s[i].score <= 2) {
            sbuf_printf(&b, "expand the answer to question %s", s[i].id);
            json_array_append_new(improvements, json_string(b.data));
        }
        sbuf_free(&b);
    }
    snprintf(buf, sizeof buf, "mock summary of %zu answers, mean score %.1f", n,
             n ? (double)sum / (double)n : 0.0);
    return json_pack("{s:s, s:o, s:o}", "t", buf, "str", strengths, "imp", improvements);
}

static int mock_wants_summary(const struct mock_blocks *bl)
{
    for (size_t i = 0; i < bl->n; i++) {
        const char *v = mock_is(&bl->v[i], "request") ? mock_attr(&bl->v[i], "summary") : NULL;
        if (v && strcasecmp(v, "yes") == 0) return 1;
    }
    return 0;
}

static json_t *mock_task_evaluate_batch(struct mock_gen *g, const struct mock_blocks *bl)
{
    json_t *evals = json_array();
    struct mock_scored *scored = xcalloc(bl->n ? bl->n : 1, sizeof *scored);
    const char **kw = mock_answer_keywords(bl);
    size_t n = 0;
    for (size_t i = 0; i < bl->n; i++) {
        if (!mock_is(&bl->v[i], "candidate_answer")) continue;
        const char *id = mock_attr(&bl->v[i], "id");
        struct mock_eval e = mock_evaluate_answer(g, bl->v[i].text, kw[i]);
        scored[n++] = (struct mock_scored){id ? id : "", e.score};
        /* n as the prompt asks: a number (interviewd's ids are positions), else as given */
        json_t *n_val = id && *id && strspn(id, "0123456789") == strlen(id)
                            ? json_integer(atoll(id))
                            : json_string(id ? id : "");
        json_t *ev =
            json_pack("{s:o, s:i, s:o}", "n", n_val, "s", e.score, "fb", mock_eval_feedback(&e));
        if (e.injection) json_object_set_new(ev, "inj", json_true());
        json_array_append_new(evals, ev);
    }
    json_t *out = json_pack("{s:o}", "ev", evals);
    if (mock_wants_summary(bl)) json_object_set_new(out, "sum", mock_summary_of(scored, n));
    mock_add_next_question(g, bl, out);
    free(scored);
    free(kw);
    return out;
}

/* summary: from the <score> blocks; without any, the answers are scored by the evaluate
 * formula so the summary still follows the data. */
static json_t *mock_task_summary(struct mock_gen *g, const struct mock_blocks *bl)
{
    struct mock_scored *scored = xcalloc(bl->n ? bl->n : 1, sizeof *scored);
    size_t n = 0;
    for (size_t i = 0; i < bl->n; i++) {
        const char *v = mock_is(&bl->v[i], "score") ? mock_attr(&bl->v[i], "value") : NULL;
        if (!v) continue;
        int s = atoi(v);
        const char *id = mock_attr(&bl->v[i], "id");
        scored[n++] = (struct mock_scored){id ? id : "", s < 1 ? 1 : s > 5 ? 5 : s};
    }
    const char **kw = n == 0 ? mock_answer_keywords(bl) : NULL;
    for (size_t i = 0; kw && i < bl->n; i++) {
        if (!mock_is(&bl->v[i], "candidate_answer")) continue;
        const char *id = mock_attr(&bl->v[i], "id");
        struct mock_eval e = mock_evaluate_answer(g, bl->v[i].text, kw[i]);
        scored[n++] = (struct mock_scored){id ? id : "", e.score};
    }
    free(kw);
    json_t *out = mock_summary_of(scored, n);
    free(scored);
    return out;
}

static json_t *mock_task_follow_up(struct mock_gen *g, const struct mock_blocks *bl)
{
    char *again = mock_maybe_repeat(g, mock_last_text(bl, "question"));
    if (again) {
        json_t *out = json_pack("{s:s}", "question", again);
        free(again);
        return out;
    }
    const struct mock_block *a = mock_find(bl, "candidate_answer");
    char *words = mock_first_words(a ? a->text : "", MOCK_FOLLOW_UP_WORDS);
    struct sbuf b = {0};
    sbuf_printf(&b, "Can you go deeper on the part where you said: %s?", words);
    json_t *out = json_pack("{s:s}", "question", b.data);
    sbuf_free(&b);
    free(words);
    return out;
}

static json_t *mock_task_question_gen(struct mock_gen *g, const struct mock_blocks *bl)
{
    (void)g;
    const struct mock_block *r = mock_find(bl, "request");
    const char *category = r && mock_attr(r, "category") ? mock_attr(r, "category") : "technical";
    const char *skill = r && mock_attr(r, "skill") ? mock_attr(r, "skill") : "general";
    int difficulty = r && mock_attr(r, "difficulty") ? atoi(mock_attr(r, "difficulty")) : 2;
    int count = r && mock_attr(r, "count") ? atoi(mock_attr(r, "count")) : 1;
    difficulty = difficulty < 1 ? 1 : difficulty > 3 ? 3 : difficulty;
    count = count < 1 ? 1 : count > MOCK_MAX_QUESTIONS ? MOCK_MAX_QUESTIONS : count;
    json_t *qs = json_array();
    for (int i = 1; i <= count; i++) {
        struct sbuf b = {0};
        sbuf_printf(&b, "Mock question %d about %s (%s, difficulty %d)?", i, skill, category,
                    difficulty);
        json_array_append_new(qs, json_pack("{s:s, s:i, s:[s]}", "text", b.data, "difficulty",
                                            difficulty, "keywords", skill));
        sbuf_free(&b);
    }
    return json_pack("{s:o}", "questions", qs);
}

/* resume_analysis skills: tokens of [A-Za-z0-9+#] matching this list, lowercased. */
static const char *const mock_known_skills[] = {
    "python", "go",    "rust",       "java",  "javascript", "typescript", "c",
    "c++",    "sql",   "postgresql", "redis", "kafka",      "kubernetes", "docker",
    "aws",    "react", "terraform",  "linux", "spark",      "pytorch",
};

static int mock_skill_char(int c)
{
    return isalnum(c) || c == '+' || c == '#';
}

static json_t *mock_resume_skills(const char *text)
{
    json_t *skills = json_array();
    for (const char *p = text; *p;) {
        if (!mock_skill_char((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (*p && mock_skill_char((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - start);
        for (size_t k = 0; k < ARRAY_LEN(mock_known_skills); k++) {
            const char *s = mock_known_skills[k];
            if (strlen(s) != len || strncasecmp(start, s, len) != 0) continue;
            size_t j = 0;
            for (; j < json_array_size(skills); j++)
                if (strcmp(json_string_value(json_array_get(skills, j)), s) == 0) break;
            if (j == json_array_size(skills)) json_array_append_new(skills, json_string(s));
        }
    }
    return skills;
}

/* 1 if the word w (case-insensitive) starts at text[i] at a word boundary. */
static int mock_word_at(const char *text, size_t i, const char *w)
{
    return (i == 0 || !isalnum((unsigned char)text[i - 1])) &&
           strncasecmp(text + i, w, strlen(w)) == 0;
}

/* Phrases after "built " or "project " up to the next period, at most 3. */
static json_t *mock_resume_projects(const char *text)
{
    json_t *projects = json_array();
    size_t i = 0;
    while (text[i] && json_array_size(projects) < MOCK_MAX_PROJECTS) {
        size_t kw = mock_word_at(text, i, "built ") ? 6 : mock_word_at(text, i, "project ") ? 8 : 0;
        if (!kw) {
            i++;
            continue;
        }
        const char *start = text + i + kw;
        const char *dot = strchr(start, '.');
        size_t len = dot ? (size_t)(dot - start) : strlen(start);
        char *phrase = mock_collapse_space(start, len);
        if (*phrase) json_array_append_new(projects, json_string(phrase));
        free(phrase);
        i += kw + len;
    }
    return projects;
}

/* Companies (mockllm's own rule, the spec gives none): the run of capitalised words
 * after the word "at", at most 3. */
static json_t *mock_resume_companies(const char *text)
{
    json_t *companies = json_array();
    for (size_t i = 0; text[i] && json_array_size(companies) < MOCK_MAX_COMPANIES; i++) {
        if (!mock_word_at(text, i, "at ")) continue;
        const char *p = text + i + 3, *end = p;
        while (isupper((unsigned char)*end)) {
            while (*end && (isalnum((unsigned char)*end) || *end == '&' || *end == '-'))
                end++;
            if (end[0] != ' ' || !isupper((unsigned char)end[1])) break;
            end++;
        }
        if (end == p) continue;
        char *name = mock_collapse_space(p, (size_t)(end - p));
        json_array_append_new(companies, json_string(name));
        free(name);
    }
    return companies;
}

/* The first number followed by "years" ("6 years", "6+ years"), else 0. */
static double mock_resume_years(const char *text)
{
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && isalnum((unsigned char)p[-1]))) continue;
        char *end;
        double v = strtod(p, &end);
        const char *q = end;
        if (*q == '+') q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, "years", 5) == 0) return v;
        p = end - 1;
    }
    return 0;
}

static json_t *mock_task_resume_analysis(struct mock_gen *g, const struct mock_blocks *bl)
{
    (void)g;
    const struct mock_block *r = mock_find(bl, "candidate_resume");
    const char *text = r ? r->text : "";
    double years = mock_resume_years(text);
    const char *seniority = years < 3 ? "junior" : years < 7 ? "mid" : "senior";
    json_t *skills = mock_resume_skills(text);
    char summary[160];
    snprintf(summary, sizeof summary, "mock resume: %zu skills, %g years, %s",
             json_array_size(skills), years, seniority);
    json_t *y =
        years == (double)(long long)years ? json_integer((json_int_t)years) : json_real(years);
    return json_pack("{s:o, s:o, s:o, s:o, s:s, s:s}", "skills", skills, "projects",
                     mock_resume_projects(text), "companies", mock_resume_companies(text),
                     "years_experience", y, "seniority", seniority, "summary", summary);
}

static const struct {
    const char *name;                                                 /* task marker name */
    json_t *(*answer)(struct mock_gen *, const struct mock_blocks *); /* its answer */
} mock_tasks[] = {
    {"resume_analysis", mock_task_resume_analysis},
    {"question_gen", mock_task_question_gen},
    {"follow_up", mock_task_follow_up},
    {"evaluate", mock_task_evaluate},
    {"evaluate_batch", mock_task_evaluate_batch},
    {"summary", mock_task_summary},
};

/* The task name of a system message whose first line is "interviewd-task: NAME vN",
 * copied into out; 0 if there is no marker. */
static int mock_task_marker(const char *system, char out[MOCK_TASK_NAME_MAX])
{
    static const char prefix[] = "interviewd-task:";
    while (*system == ' ' || *system == '\t')
        system++;
    if (strncmp(system, prefix, sizeof prefix - 1) != 0) return 0;
    const char *p = system + sizeof prefix - 1;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while ((islower((unsigned char)p[n]) || isdigit((unsigned char)p[n]) || p[n] == '_') &&
           n + 1 < MOCK_TASK_NAME_MAX)
        n++;
    if (n == 0) return 0;
    memcpy(out, p, n);
    out[n] = 0;
    return 1;
}

/* The GET /mock/log entry of a task answer, from the clean object: the scores it gives
 * per question id and the question it writes, so tests can compare what the product
 * reports with what the model said. */
/* The last MOCK_ANSWER_END characters of an answer, for /mock/log. */
static json_t *mock_answer_end(const char *text)
{
    size_t n = mock_utf8_chars(text);
    const char *p = text + mock_utf8_prefix(text, n > MOCK_ANSWER_END ? n - MOCK_ANSWER_END : 0);
    return json_string(p);
}

static json_t *mock_score_entry(const struct mock_block *answer, const json_t *eval)
{
    const char *id = mock_attr(answer, "id");
    return json_pack("{s:s, s:O, s:b, s:o}", "question_id", id ? id : "", "score",
                     json_object_get(eval, "s"), "injection_attempt",
                     json_is_true(json_object_get(eval, "inj")), "answer_end",
                     mock_answer_end(answer->text));
}

static json_t *mock_record(const char *task, const json_t *obj, const struct mock_blocks *bl,
                           enum misbehave_kind bad, const struct mock_gen *g)
{
    json_t *scores = json_array();
    int single = strcmp(task, "evaluate") == 0;
    json_t *evals = json_object_get(obj, "ev");
    size_t k = 0;
    for (size_t i = 0; i < bl->n && (single || evals); i++) {
        if (!mock_is(&bl->v[i], "candidate_answer")) continue;
        const json_t *ev = single ? obj : json_array_get(evals, k++);
        if (!ev) break;
        json_array_append_new(scores, mock_score_entry(&bl->v[i], ev));
        if (single) break;
    }
    const char *q = json_string_value(json_object_get(obj, "next"));
    if (!q) q = json_string_value(json_object_get(obj, "question"));
    return json_pack("{s:s, s:s, s:o, s:s?, s:b, s:i}", "task", task, "bad_output",
                     misbehave_kind_name(bad), "scores", scores, "question", q, "dup_followup",
                     g->dup_followup, "injection_bumps", g->bumped);
}

/* The content for a request: the task's JSON for a known task (spoilt at
 * --bad-output-rate), else an echo of the user message. *record gets the GET /mock/log
 * entry of a task answer (NULL for an echo). Caller frees both. */
static char *mock_answer(struct mock_server *srv, const char *task, const char *user,
                         json_t **record)
{
    *record = NULL;
    for (size_t i = 0; task && i < ARRAY_LEN(mock_tasks); i++) {
        if (strcmp(task, mock_tasks[i].name) != 0) continue;
        struct mock_blocks bl = {0};
        mock_blocks_parse(user, &bl);
        struct mock_gen g = {&srv->cfg, &srv->rng, 0, 0};
        json_t *obj = mock_tasks[i].answer(&g, &bl);
        enum misbehave_kind bad = MISBEHAVE_NONE;
        if (srv->cfg.bad_output_rate > 0) {
            double whether = mock_rand_unit(&srv->rng), which = mock_rand_unit(&srv->rng);
            bad = misbehave_pick(srv->cfg.bad_output_rate, whether, which);
        }
        *record = mock_record(task, obj, &bl, bad, &g);
        char *out = misbehave_spoil(obj, task, bad);
        json_decref(obj);
        mock_blocks_free(&bl);
        return out;
    }
    struct sbuf b = {0};
    sbuf_puts(&b, "mock reply to: ");
    sbuf_append(&b, user, mock_utf8_prefix(user, MOCK_ECHO_CHARS));
    return sbuf_take(&b);
}

/* ---------------------------------------------------------------------------------- */
/* Limits: the minute window, the day, admission. */

static void mock_window_push(struct mock_window *w, int64_t t, long tokens)
{
    if (w->len == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct mock_entry *v = xmalloc(cap * sizeof *v);
        for (size_t i = 0; i < w->len; i++)
            v[i] = w->v[(w->head + i) % w->cap];
        free(w->v);
        w->v = v;
        w->head = 0;
        w->cap = cap;
    }
    w->v[(w->head + w->len) % w->cap] = (struct mock_entry){t, tokens};
    w->len++;
    w->tokens += tokens;
}

static const struct mock_entry *mock_window_at(const struct mock_window *w, size_t i)
{
    return &w->v[(w->head + i) % w->cap];
}

/* Drops entries that left the window. */
static void mock_window_prune(struct mock_window *w, int64_t now)
{
    while (w->len > 0 && mock_window_at(w, 0)->t + MOCK_WINDOW_MS <= now) {
        w->tokens -= mock_window_at(w, 0)->tokens;
        w->head = (w->head + 1) % w->cap;
        w->len--;
    }
}

/* Milliseconds until entry i leaves the window. */
static int64_t mock_window_expiry(const struct mock_window *w, size_t i, int64_t now)
{
    int64_t ms = mock_window_at(w, i)->t + MOCK_WINDOW_MS - now;
    return ms > 0 ? ms : 0;
}

/* Rolls the day over if a new one began; returns ms until the current day ends. */
static int64_t mock_day_update(struct mock_server *srv)
{
    int64_t index, left;
    if (srv->cfg.day_ms > 0) {
        int64_t since = clock_mono_ms() - srv->start_mono;
        index = since / srv->cfg.day_ms;
        left = (index + 1) * srv->cfg.day_ms - since;
    } else {
        int64_t now = clock_now_ms();
        index = now / MOCK_UTC_DAY_MS;
        left = (index + 1) * MOCK_UTC_DAY_MS - now;
    }
    if (index != srv->day.index) {
        srv->day.index = index;
        srv->day.requests = 0;
        srv->day.tokens = 0;
    }
    return left;
}

/* What is used and when it frees up, for headers and refusals. */
struct mock_usage {
    long req_minute;      /* requests in the window */
    long tok_minute;      /* tokens in the window */
    long req_day;         /* requests today (incl. used elsewhere) */
    long tok_day;         /* tokens today */
    int64_t minute_reset; /* ms until the oldest window entry leaves (0 if none) */
    int64_t day_reset;    /* ms until the day ends */
};

static struct mock_usage mock_usage_now(struct mock_server *srv)
{
    struct mock_usage u;
    int64_t now = clock_mono_ms();
    u.day_reset = mock_day_update(srv);
    mock_window_prune(&srv->minute, now);
    u.req_minute = (long)srv->minute.len;
    u.tok_minute = srv->minute.tokens;
    u.req_day = srv->day.requests;
    u.tok_day = srv->day.tokens;
    u.minute_reset = srv->minute.len ? mock_window_expiry(&srv->minute, 0, now) : 0;
    return u;
}

enum mock_limit { LIMIT_NONE, LIMIT_RPD, LIMIT_TPD, LIMIT_RPM, LIMIT_TPM, LIMIT_CONCURRENCY };

/* Why a request was refused. */
struct mock_refusal {
    enum mock_limit kind; /* the limit that would be exceeded */
    long limit;           /* its value */
    long used;            /* used in its window */
    long requested;       /* what this request needs (1 or its tokens) */
    int64_t retry_ms;     /* when the request would fit */
};

static int mock_is_day(enum mock_limit k)
{
    return k == LIMIT_RPD || k == LIMIT_TPD;
}

static int mock_is_tokens(enum mock_limit k)
{
    return k == LIMIT_TPD || k == LIMIT_TPM;
}

/* ms until `tokens` more fit under the TPM limit. */
static int64_t mock_tpm_retry(const struct mock_window *w, long limit, long tokens, int64_t now)
{
    long left = w->tokens;
    for (size_t i = 0; i < w->len; i++) {
        left -= mock_window_at(w, i)->tokens;
        if (left + tokens <= limit) return mock_window_expiry(w, i, now);
    }
    return w->len ? mock_window_expiry(w, w->len - 1, now) : MOCK_WINDOW_MS;
}

/* Checks a request of `tokens` against every limit (day limits first: they are the ones
 * that mean "wait for the reset"). Returns LIMIT_NONE or fills *r. */
static enum mock_limit mock_limits_check(struct mock_server *srv, long tokens,
                                         struct mock_refusal *r)
{
    const struct mock_config *c = &srv->cfg;
    struct mock_usage u = mock_usage_now(srv);
    const struct mock_window *w = &srv->minute;
    int64_t now = clock_mono_ms();
    memset(r, 0, sizeof *r);
    if (c->rpd && u.req_day + 1 > c->rpd)
        *r = (struct mock_refusal){LIMIT_RPD, c->rpd, u.req_day, 1, u.day_reset};
    else if (c->tpd && u.tok_day + tokens > c->tpd)
        *r = (struct mock_refusal){LIMIT_TPD, c->tpd, u.tok_day, tokens, u.day_reset};
    else if (c->rpm && u.req_minute + 1 > c->rpm)
        *r = (struct mock_refusal){LIMIT_RPM, c->rpm, u.req_minute, 1,
                                   mock_window_expiry(w, w->len - (size_t)c->rpm, now)};
    else if (c->tpm && u.tok_minute + tokens > c->tpm)
        *r = (struct mock_refusal){LIMIT_TPM, c->tpm, u.tok_minute, tokens,
                                   mock_tpm_retry(w, c->tpm, tokens, now)};
    else if (c->concurrency && srv->in_flight + 1 > c->concurrency)
        *r = (struct mock_refusal){LIMIT_CONCURRENCY, c->concurrency, srv->in_flight, 1,
                                   c->latency_ms > 0 ? c->latency_ms : 1000};
    return r->kind;
}

static void mock_limits_charge(struct mock_server *srv, long tokens)
{
    mock_day_update(srv);
    mock_window_push(&srv->minute, clock_mono_ms(), tokens);
    srv->day.requests++;
    srv->day.tokens += tokens;
}

/* ---------------------------------------------------------------------------------- */
/* Provider styles: rate-limit headers and 429 bodies. */

/* Go's time.Duration.String() at ms precision: "0s", "644ms", "1.5s", "6m0s", "1h2m3s". */
static void mock_go_duration(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "0s");
        return;
    }
    if (ms < 1000) {
        snprintf(buf, len, "%" PRId64 "ms", ms);
        return;
    }
    char sec[32];
    int64_t s = ms / 1000 % 60, frac = ms % 1000;
    if (frac) {
        snprintf(sec, sizeof sec, "%" PRId64 ".%03" PRId64, s, frac);
        size_t n = strlen(sec);
        while (sec[n - 1] == '0')
            sec[--n] = 0;
    } else {
        snprintf(sec, sizeof sec, "%" PRId64, s);
    }
    int64_t h = ms / 3600000, m = ms / 60000 % 60;
    if (h)
        snprintf(buf, len, "%" PRId64 "h%" PRId64 "m%ss", h, m, sec);
    else if (m)
        snprintf(buf, len, "%" PRId64 "m%ss", m, sec);
    else
        snprintf(buf, len, "%ss", sec);
}

/* Whole seconds, rounded up, at least 1: for retry-after style values. */
static long mock_ceil_s(int64_t ms)
{
    long s = (long)((ms + 999) / 1000);
    return s < 1 ? 1 : s;
}

static void mock_header_long(struct evkeyvalq *h, const char *name, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v < 0 ? 0 : v);
    evhttp_add_header(h, name, buf);
}

static void mock_header_go(struct evkeyvalq *h, const char *name, int64_t ms)
{
    char buf[48];
    mock_go_duration(ms, buf, sizeof buf);
    evhttp_add_header(h, name, buf);
}

static void mock_header_secs(struct evkeyvalq *h, const char *name, int64_t ms)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.2f", (double)ms / 1000.0);
    evhttp_add_header(h, name, buf);
}

/* openai: requests and tokens per minute, Go durations. */
static void mock_headers_openai(const struct mock_config *c, const struct mock_usage *u,
                                struct evkeyvalq *h)
{
    if (c->rpm) {
        mock_header_long(h, "x-ratelimit-limit-requests", c->rpm);
        mock_header_long(h, "x-ratelimit-remaining-requests", c->rpm - u->req_minute);
        mock_header_go(h, "x-ratelimit-reset-requests", u->minute_reset);
    }
    if (c->tpm) {
        mock_header_long(h, "x-ratelimit-limit-tokens", c->tpm);
        mock_header_long(h, "x-ratelimit-remaining-tokens", c->tpm - u->tok_minute);
        mock_header_go(h, "x-ratelimit-reset-tokens", u->minute_reset);
    }
}

/* groq: the same names, but requests count per DAY and tokens per minute. */
static void mock_headers_groq(const struct mock_config *c, const struct mock_usage *u,
                              struct evkeyvalq *h)
{
    if (c->rpd) {
        mock_header_long(h, "x-ratelimit-limit-requests", c->rpd);
        mock_header_long(h, "x-ratelimit-remaining-requests", c->rpd - u->req_day);
        mock_header_go(h, "x-ratelimit-reset-requests", u->day_reset);
    }
    if (c->tpm) {
        mock_header_long(h, "x-ratelimit-limit-tokens", c->tpm);
        mock_header_long(h, "x-ratelimit-remaining-tokens", c->tpm - u->tok_minute);
        mock_header_go(h, "x-ratelimit-reset-tokens", u->minute_reset);
    }
}

/* cerebras: the window is in the name; resets in float seconds. */
static void mock_headers_cerebras(const struct mock_config *c, const struct mock_usage *u,
                                  struct evkeyvalq *h)
{
    if (c->rpd) {
        mock_header_long(h, "x-ratelimit-limit-requests-day", c->rpd);
        mock_header_long(h, "x-ratelimit-remaining-requests-day", c->rpd - u->req_day);
        mock_header_secs(h, "x-ratelimit-reset-requests-day", u->day_reset);
    }
    if (c->tpm) {
        mock_header_long(h, "x-ratelimit-limit-tokens-minute", c->tpm);
        mock_header_long(h, "x-ratelimit-remaining-tokens-minute", c->tpm - u->tok_minute);
        mock_header_secs(h, "x-ratelimit-reset-tokens-minute", u->minute_reset);
    }
}

/* mistral: token limits only; the "month" pair carries --tpd, our longest window. */
static void mock_headers_mistral(const struct mock_config *c, const struct mock_usage *u,
                                 struct evkeyvalq *h)
{
    if (c->tpm) {
        mock_header_long(h, "ratelimitbysize-limit", c->tpm);
        mock_header_long(h, "ratelimitbysize-remaining", c->tpm - u->tok_minute);
        mock_header_long(h, "ratelimitbysize-reset",
                         u->minute_reset ? mock_ceil_s(u->minute_reset) : 0);
        mock_header_long(h, "x-ratelimitbysize-limit-minute", c->tpm);
        mock_header_long(h, "x-ratelimitbysize-remaining-minute", c->tpm - u->tok_minute);
    }
    if (c->tpd) {
        mock_header_long(h, "x-ratelimitbysize-limit-month", c->tpd);
        mock_header_long(h, "x-ratelimitbysize-remaining-month", c->tpd - u->tok_day);
    }
}

/* openrouter: on errors only, the limit that refused, reset as epoch milliseconds. */
static void mock_headers_openrouter(const struct mock_refusal *r, struct evkeyvalq *h)
{
    char buf[32];
    mock_header_long(h, "X-RateLimit-Limit", r->limit);
    evhttp_add_header(h, "X-RateLimit-Remaining", "0");
    snprintf(buf, sizeof buf, "%" PRId64, clock_now_ms() + r->retry_ms);
    evhttp_add_header(h, "X-RateLimit-Reset", buf);
}

/* The style's rate-limit headers: r is NULL on a successful reply. */
static void mock_rate_headers(struct mock_server *srv, const struct mock_refusal *r,
                              struct evkeyvalq *h)
{
    const struct mock_config *c = &srv->cfg;
    struct mock_usage u = mock_usage_now(srv);
    switch (c->style) {
    case STYLE_OPENAI:
        mock_headers_openai(c, &u, h);
        break;
    case STYLE_GROQ:
        mock_headers_groq(c, &u, h);
        break;
    case STYLE_CEREBRAS:
        mock_headers_cerebras(c, &u, h);
        break;
    case STYLE_MISTRAL:
        mock_headers_mistral(c, &u, h);
        break;
    case STYLE_OPENROUTER:
        if (r) mock_headers_openrouter(r, h);
        break;
    default:
        break;
    }
    if (r && (c->style == STYLE_OPENAI || c->style == STYLE_GROQ))
        mock_header_long(h, "retry-after", mock_ceil_s(r->retry_ms));
}

/* "requests per min (RPM)" (OpenAI) or "requests per minute (RPM)" (Groq). */
static const char *mock_window_name(enum mock_limit k, int openai)
{
    switch (k) {
    case LIMIT_RPD:
        return "requests per day (RPD)";
    case LIMIT_TPD:
        return "tokens per day (TPD)";
    case LIMIT_RPM:
        return openai ? "requests per min (RPM)" : "requests per minute (RPM)";
    case LIMIT_TPM:
        return openai ? "tokens per min (TPM)" : "tokens per minute (TPM)";
    default:
        return "concurrent requests";
    }
}

static json_t *mock_body_openai(const struct mock_refusal *r, const char *model, int groq)
{
    char wait[48];
    struct sbuf m = {0};
    mock_go_duration(r->retry_ms, wait, sizeof wait);
    if (groq)
        sbuf_printf(&m,
                    "Rate limit reached for model `%s` in organization `" MOCK_ORG
                    "` service tier `on_demand` on ",
                    model);
    else
        sbuf_printf(&m, "Rate limit reached for %s in organization " MOCK_ORG " on ", model);
    sbuf_printf(&m, "%s: Limit %ld, Used %ld, Requested %ld. Please try again in %s.",
                mock_window_name(r->kind, !groq), r->limit, r->used, r->requested, wait);
    if (!groq)
        sbuf_puts(&m, " Visit https://platform.openai.com/account/rate-limits to learn more.");
    json_t *body = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", m.data, "type",
                             mock_is_tokens(r->kind) ? "tokens" : "requests", "param", "code",
                             "rate_limit_exceeded");
    sbuf_free(&m);
    return body;
}

static json_t *mock_body_cerebras(const struct mock_refusal *r)
{
    static const char *const msgs[] = {
        [LIMIT_RPD] = "Requests per day limit exceeded - too many requests sent.",
        [LIMIT_TPD] = "Tokens per day limit exceeded - too many tokens processed.",
        [LIMIT_RPM] = "Requests per minute limit exceeded - too many requests sent.",
        [LIMIT_TPM] = "Tokens per minute limit exceeded - too many tokens processed.",
        [LIMIT_CONCURRENCY] = "Too many concurrent requests - too many requests sent.",
    };
    int tokens = mock_is_tokens(r->kind);
    return json_pack("{s:s, s:s, s:s, s:s}", "message", msgs[r->kind], "type",
                     tokens ? "too_many_tokens_error" : "too_many_requests_error", "param", "quota",
                     "code", tokens ? "token_quota_exceeded" : "request_quota_exceeded");
}

static json_t *mock_body_openrouter(const struct mock_refusal *r)
{
    char limit[32], reset[32];
    snprintf(limit, sizeof limit, "%ld", r->limit);
    snprintf(reset, sizeof reset, "%" PRId64, clock_now_ms() + r->retry_ms);
    const char *msg = mock_is_day(r->kind)
                          ? "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock "
                            "1000 free model requests per day"
                          : "Rate limit exceeded: free-models-per-min.";
    return json_pack("{s:{s:s, s:i, s:{s:{s:s, s:s, s:s}}}, s:s}", "error", "message", msg, "code",
                     429, "metadata", "headers", "X-RateLimit-Limit", limit,
                     "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset, "user_id",
                     "user_mock");
}

static json_t *mock_body_mistral(const struct mock_refusal *r)
{
    return json_pack("{s:s, s:s, s:s, s:n, s:s}", "object", "error", "message",
                     mock_is_tokens(r->kind) ? "Tokens rate limit exceeded"
                                             : "Requests rate limit exceeded",
                     "type", "rate_limited", "param", "code", "1300");
}

static json_t *mock_body_gemini(const struct mock_refusal *r, const char *model)
{
    static const char *const ids[] = {
        [LIMIT_RPD] = "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
        [LIMIT_TPD] = "GenerateContentInputTokensPerModelPerDay-FreeTier",
        [LIMIT_RPM] = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
        [LIMIT_TPM] = "GenerateContentInputTokensPerModelPerMinute-FreeTier",
        [LIMIT_CONCURRENCY] = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
    };
    const char *metric =
        mock_is_tokens(r->kind)
            ? "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count"
            : "generativelanguage.googleapis.com/generate_content_free_tier_requests";
    char delay[32], value[32];
    snprintf(delay, sizeof delay, "%lds", mock_ceil_s(r->retry_ms));
    snprintf(value, sizeof value, "%ld", r->limit);
    struct sbuf m = {0};
    sbuf_printf(&m,
                "You exceeded your current quota, please check your plan and billing details. "
                "For more information on this error, head to: "
                "https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for "
                "metric: %s, limit: %ld, model: %s\nPlease retry in %s.",
                metric, r->limit, model, delay);
    json_t *err = json_pack(
        "{s:i, s:s, s:s, s:[{s:s, s:[{s:s, s:s, s:{s:s, s:s}, s:s}]}, {s:s, s:[{s:s, s:s}]}, "
        "{s:s, s:s}]}",
        "code", 429, "message", m.data, "status", "RESOURCE_EXHAUSTED", "details", "@type",
        "type.googleapis.com/google.rpc.QuotaFailure", "violations", "quotaMetric", metric,
        "quotaId", ids[r->kind], "quotaDimensions", "location", "global", "model", model,
        "quotaValue", value, "@type", "type.googleapis.com/google.rpc.Help", "links", "description",
        "Learn more about Gemini API quotas", "url",
        "https://ai.google.dev/gemini-api/docs/rate-limits", "@type",
        "type.googleapis.com/google.rpc.RetryInfo", "retryDelay", delay);
    sbuf_free(&m);
    return json_pack("[{s:o}]", "error", err);
}

static json_t *mock_body_cloudflare(const struct mock_refusal *r)
{
    int day = mock_is_day(r->kind);
    const char *msg = day ? "AiError: You have used up your daily free allocation of 10,000 "
                            "neurons, please upgrade to Cloudflare's Workers Paid plan if you "
                            "would like to continue usage."
                          : "AiError: Capacity temporarily exceeded, please try again.";
    return json_pack("{s:[{s:s, s:i}], s:b, s:n, s:[]}", "errors", "message", msg, "code",
                     day ? 3036 : 3040, "success", 0, "result", "messages");
}

static json_t *mock_body_none(const struct mock_refusal *r)
{
    char buf[160];
    snprintf(buf, sizeof buf, "Rate limit exceeded on %s.", mock_window_name(r->kind, 0));
    return json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", buf, "type",
                     mock_is_tokens(r->kind) ? "tokens" : "requests", "param", "code",
                     "rate_limit_exceeded");
}

static json_t *mock_refusal_body(enum mock_style style, const struct mock_refusal *r,
                                 const char *model)
{
    switch (style) {
    case STYLE_OPENAI:
        return mock_body_openai(r, model, 0);
    case STYLE_GROQ:
        return mock_body_openai(r, model, 1);
    case STYLE_CEREBRAS:
        return mock_body_cerebras(r);
    case STYLE_OPENROUTER:
        return mock_body_openrouter(r);
    case STYLE_MISTRAL:
        return mock_body_mistral(r);
    case STYLE_GEMINI:
        return mock_body_gemini(r, model);
    case STYLE_CLOUDFLARE:
        return mock_body_cloudflare(r);
    default:
        return mock_body_none(r);
    }
}

/* ---------------------------------------------------------------------------------- */
/* HTTP replies. */

/* The reason phrase; libevent 2.1 knows no 429 and calls it "Client Error". */
static const char *mock_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return NULL;
    }
}

/* Sends body (stolen) as JSON with status. */
static void mock_send_json(struct evhttp_request *req, int status, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!s) { /* only a mockllm bug (a json_pack format) gets here */
        status = 500;
        s = xstrdup("{\"error\":{\"message\":\"mockllm could not build its reply\","
                    "\"type\":\"server_error\",\"param\":null,\"code\":\"mock_bug\"}}");
    }
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add(buf, s, strlen(s));
    free(s);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, mock_reason(status), buf);
    evbuffer_free(buf);
}

/* An OpenAI-style error: {"error":{"message","type","param":null,"code"}}. */
static void mock_send_error(struct evhttp_request *req, int status, const char *type,
                            const char *code, const char *message)
{
    mock_send_json(req, status,
                   json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", message, "type", type,
                             "param", "code", code));
}

static void mock_send_invalid(struct evhttp_request *req, int status, const char *code,
                              const char *message)
{
    mock_send_error(req, status, "invalid_request_error", code, message);
}

/* ---------------------------------------------------------------------------------- */
/* Jobs: admitted requests waiting for their reply. */

static void mock_job_link(struct mock_server *srv, struct mock_job *job)
{
    job->srv = srv;
    job->next = srv->jobs;
    if (srv->jobs) srv->jobs->prev = job;
    srv->jobs = job;
}

/* Frees a job that is not (or no longer) in the list. */
static void mock_job_release(struct mock_job *job)
{
    if (job->timer) event_free(job->timer);
    free(job->model);
    free(job->task);
    free(job->content);
    json_decref(job->record);
    free(job);
}

/* Unlinks and frees the job; its request must already be answered or freed. */
static void mock_job_free(struct mock_job *job)
{
    struct mock_server *srv = job->srv;
    if (job->prev)
        job->prev->next = job->next;
    else
        srv->jobs = job->next;
    if (job->next) job->next->prev = job->prev;
    mock_job_release(job);
}

static void mock_on_last_reply_sent(struct evhttp_request *req, void *arg)
{
    struct mock_server *srv = arg;
    (void)req;
    log_info("mockllm_dying", "answered=%ld reason=die_after", srv->answered);
    event_base_loopexit(srv->base, NULL);
}

static void mock_on_die_timer(evutil_socket_t fd, short what, void *arg)
{
    struct mock_server *srv = arg;
    (void)fd;
    (void)what;
    event_base_loopexit(srv->base, NULL);
}

/* Counts an answer about to be sent on req; after the --die-after'th, stops listening
 * and arranges the exit for when that reply is flushed. */
static void mock_count_answer(struct mock_server *srv, struct evhttp_request *req)
{
    srv->answered++;
    if (!srv->cfg.die_after || srv->answered < srv->cfg.die_after || srv->dying) return;
    srv->dying = 1;
    evhttp_request_set_on_complete_cb(req, mock_on_last_reply_sent, srv);
    if (srv->listener) evhttp_del_accept_socket(srv->http, srv->listener);
    srv->listener = NULL;
    struct timeval tv = {MOCK_DIE_GRACE_MS / 1000, (MOCK_DIE_GRACE_MS % 1000) * 1000};
    srv->die_timer = evtimer_new(srv->base, mock_on_die_timer, srv);
    evtimer_add(srv->die_timer, &tv);
}

static void mock_count_task(json_t *counts, const char *task);

static void mock_timer_add(struct event *ev, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static json_t *mock_usage_json(const struct mock_job *job)
{
    return json_pack("{s:I, s:I, s:I}", "prompt_tokens", (json_int_t)job->prompt_tokens,
                     "completion_tokens", (json_int_t)job->completion_tokens, "total_tokens",
                     (json_int_t)(job->prompt_tokens + job->completion_tokens));
}

/* Appends the job's GET /mock/log entry with the status it was answered with, and
 * counts what --bad-output-rate, --dup-followup-rate and --injection-bump did. */
static void mock_log_answer(struct mock_server *srv, const struct mock_job *job, int status)
{
    if (!job->record) return;
    json_t *r = job->record;
    json_object_set_new(r, "id", json_string(job->id));
    json_object_set_new(r, "status", json_integer(status));
    json_object_set_new(r, "prompt_tokens", json_integer((json_int_t)job->prompt_tokens));
    json_object_set_new(r, "completion_tokens", json_integer((json_int_t)job->completion_tokens));
    json_object_set_new(r, "prompt_tokens_chars4", json_integer((json_int_t)job->prompt_chars4));
    json_object_set_new(r, "finish_reason", json_string(job->finish_reason));
    json_array_append(srv->log, r);
    if (json_array_size(srv->log) > MOCK_LOG_MAX) json_array_remove(srv->log, 0);
    if (status != 200) return;
    mock_count_task(srv->stats.bad_output, json_string_value(json_object_get(r, "bad_output")));
    srv->stats.dup_followups += json_is_true(json_object_get(r, "dup_followup"));
    srv->stats.injection_bumps += (long)json_integer_value(json_object_get(r, "injection_bumps"));
}

static void mock_stats_completed(struct mock_server *srv, const struct mock_job *job)
{
    mock_log_answer(srv, job, 200);
    srv->stats.completions++;
    srv->stats.prompt_tokens += job->prompt_tokens;
    srv->stats.completion_tokens += job->completion_tokens;
    if (!job->task) return;
    json_t *n = json_object_get(srv->stats.completed_by_task, job->task);
    json_object_set_new(srv->stats.completed_by_task, job->task,
                        json_integer(n ? json_integer_value(n) + 1 : 1));
}

static void mock_reply_completion(struct mock_job *job)
{
    struct mock_server *srv = job->srv;
    json_t *body = json_pack(
        "{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:s, s:n}, s:n, s:s}], s:o, s:s}", "id", job->id,
        "object", "chat.completion", "created", (json_int_t)clock_now_s(), "model", job->model,
        "choices", "index", 0, "message", "role", "assistant", "content", job->content, "refusal",
        "logprobs", "finish_reason", job->finish_reason, "usage", mock_usage_json(job),
        "system_fingerprint", "fp_mock");
    mock_rate_headers(srv, NULL, evhttp_request_get_output_headers(job->req));
    mock_stats_completed(srv, job);
    mock_count_answer(srv, job->req);
    mock_send_json(job->req, 200, body);
}

static void mock_reply_failure(struct mock_job *job)
{
    struct mock_server *srv = job->srv;
    srv->stats.failed++;
    mock_log_answer(srv, job, job->fail_status);
    mock_count_answer(srv, job->req);
    if (job->fail_status == 500)
        mock_send_error(job->req, 500, "server_error", "internal_error",
                        "The server had an error while processing your request. Sorry about that!");
    else
        mock_send_error(job->req, 503, "server_error", "service_unavailable",
                        "The engine is currently overloaded, please try again later.");
}

/* One SSE event "data: {chunk}\n\n" with the given delta (stolen) and finish reason. */
static void mock_stream_send(struct mock_job *job, json_t *delta, const char *finish)
{
    json_t *chunk =
        json_pack("{s:s, s:s, s:I, s:s, s:s, s:[{s:i, s:o, s:n, s:o}]}", "id", job->id, "object",
                  "chat.completion.chunk", "created", (json_int_t)clock_now_s(), "model",
                  job->model, "system_fingerprint", "fp_mock", "choices", "index", 0, "delta",
                  delta, "logprobs", "finish_reason", finish ? json_string(finish) : json_null());
    char *s = json_dumps(chunk, JSON_COMPACT);
    json_decref(chunk);
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add_printf(buf, "data: %s\n\n", s);
    free(s);
    evhttp_send_reply_chunk(job->req, buf);
    evbuffer_free(buf);
}

/* The end of a stream: finish chunk, usage chunk if asked, [DONE]. */
static void mock_stream_finish(struct mock_job *job)
{
    struct mock_server *srv = job->srv;
    mock_stream_send(job, json_object(), job->finish_reason);
    struct evbuffer *buf = evbuffer_new();
    if (job->include_usage) {
        json_t *chunk = json_pack("{s:s, s:s, s:I, s:s, s:[], s:o}", "id", job->id, "object",
                                  "chat.completion.chunk", "created", (json_int_t)clock_now_s(),
                                  "model", job->model, "choices", "usage", mock_usage_json(job));
        char *s = json_dumps(chunk, JSON_COMPACT);
        json_decref(chunk);
        evbuffer_add_printf(buf, "data: %s\n\n", s);
        free(s);
    }
    evbuffer_add_printf(buf, "data: [DONE]\n\n");
    evhttp_send_reply_chunk(job->req, buf);
    evbuffer_free(buf);
    mock_stats_completed(srv, job);
    mock_count_answer(srv, job->req);
    evhttp_send_reply_end(job->req);
}

/* Starts the SSE reply: headers and the role delta. */
static void mock_stream_start(struct mock_job *job)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(job->req);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    mock_rate_headers(job->srv, NULL, h);
    evhttp_send_reply_start(job->req, 200, "OK");
    mock_stream_send(job, json_pack("{s:s, s:s}", "role", "assistant", "content", ""), NULL);
    job->started = 1;
}

/* Sends the next ~16 bytes of content, never splitting a UTF-8 character. */
static void mock_stream_content(struct mock_job *job)
{
    const char *c = job->content;
    size_t len = strlen(c), n = MOCK_STREAM_CHUNK;
    if (n > len - job->sent) n = len - job->sent;
    while (job->sent + n < len && ((unsigned char)c[job->sent + n] & 0xC0) == 0x80)
        n++;
    json_t *delta = json_object();
    json_object_set_new(delta, "content", json_stringn(c + job->sent, n));
    mock_stream_send(job, delta, NULL);
    job->sent += n;
}

/* One step of a stream; returns 1 when the job is finished. */
static int mock_stream_step(struct mock_job *job)
{
    if (!job->started) {
        mock_stream_start(job);
    } else if (job->sent < strlen(job->content)) {
        mock_stream_content(job);
    } else {
        mock_stream_finish(job);
        return 1;
    }
    mock_timer_add(job->timer, job->step_ms);
    return 0;
}

/* The job's timer: its latency elapsed (or the next stream chunk is due). */
static void mock_on_job_timer(evutil_socket_t fd, short what, void *arg)
{
    struct mock_job *job = arg;
    struct mock_server *srv = job->srv;
    (void)fd;
    (void)what;
    if (srv->dying) return; /* a dead provider answers nothing more */
    int done = 1;
    if (job->fail_status)
        mock_reply_failure(job);
    else if (job->stream)
        done = mock_stream_step(job);
    else
        mock_reply_completion(job);
    if (!done) return;
    srv->in_flight--;
    mock_job_free(job);
}

/* Keeps a request we will never answer (we are dying) so shutdown can release it. */
static void mock_withhold(struct mock_server *srv, struct evhttp_request *req)
{
    struct mock_job *job = xcalloc(1, sizeof *job);
    job->req = req;
    mock_job_link(srv, job);
}

/* ---------------------------------------------------------------------------------- */
/* POST /v1/chat/completions */

/* The parts of a chat request mockllm uses. */
struct mock_chat {
    json_t *root;      /* parsed body */
    const char *model; /* into root */
    char *system;      /* first system/developer message text (owned) */
    char *user;        /* last user message text (owned) */
    size_t chars;      /* characters over all message contents */
    long words;        /* misbehave_tokens_raw over them, plus 3 per message */
    uint64_t hash;     /* of all message contents, for misbehave_tokens_vary */
    int stream;        /* stream: true */
    int include_usage; /* stream_options.include_usage */
    long max_tokens;   /* max_tokens / max_completion_tokens; 0 = none */
};

static void mock_chat_free(struct mock_chat *c)
{
    json_decref(c->root);
    free(c->system);
    free(c->user);
}

/* Text of a message content: a string, an array of {"type":"text","text"} parts, or
 * null. NULL (not allocated) for anything else. Caller frees. */
static char *mock_content_text(json_t *content)
{
    if (!content || json_is_null(content)) return xstrdup("");
    if (json_is_string(content))
        return xstrndup(json_string_value(content), json_string_length(content));
    if (!json_is_array(content)) return NULL;
    struct sbuf b = {0};
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        const char *t = json_string_value(json_object_get(part, "text"));
        if (t) sbuf_puts(&b, t);
    }
    return sbuf_take(&b);
}

/* Reads messages into c; returns an error message or NULL. */
static const char *mock_chat_messages(struct mock_chat *c)
{
    json_t *msgs = json_object_get(c->root, "messages");
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return "'messages' must be a non-empty array.";
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        const char *role = json_string_value(json_object_get(m, "role"));
        if (!role) return "Each message needs a string 'role'.";
        char *text = mock_content_text(json_object_get(m, "content"));
        if (!text) return "A message 'content' must be a string or an array of text parts.";
        c->chars += mock_utf8_chars(text);
        c->words += 3 + misbehave_tokens_raw(text);
        c->hash = c->hash * 0x100000001B3ULL ^ util_xxh64(text, strlen(text));
        if (!c->system && (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)) {
            c->system = text;
        } else if (strcmp(role, "user") == 0) {
            free(c->user);
            c->user = text;
        } else {
            free(text);
        }
    }
    return NULL;
}

/* Parses and validates the body; returns an error message (and *code) or NULL. */
static const char *mock_chat_parse(const char *body, size_t len, struct mock_chat *c,
                                   const char **code)
{
    json_error_t err;
    *code = "invalid_request_error";
    c->root = json_loadb(body, len, 0, &err);
    if (!json_is_object(c->root)) {
        *code = "invalid_json";
        return "We could not parse the JSON body of your request.";
    }
    c->model = json_string_value(json_object_get(c->root, "model"));
    if (!c->model) {
        *code = "missing_model";
        return "you must provide a model parameter";
    }
    const char *e = mock_chat_messages(c);
    if (e) {
        *code = "invalid_messages";
        return e;
    }
    c->stream = json_is_true(json_object_get(c->root, "stream"));
    c->include_usage =
        json_is_true(json_object_get(json_object_get(c->root, "stream_options"), "include_usage"));
    json_t *mt = json_object_get(c->root, "max_completion_tokens");
    if (!mt || json_is_null(mt)) mt = json_object_get(c->root, "max_tokens");
    if (mt && !json_is_null(mt)) {
        if (!json_is_integer(mt) || json_integer_value(mt) < 1) {
            *code = "invalid_max_tokens";
            return "max_tokens must be a positive integer.";
        }
        c->max_tokens = (long)json_integer_value(mt);
    }
    json_t *temp = json_object_get(c->root, "temperature");
    if (temp && !json_is_null(temp) &&
        (!json_is_number(temp) || json_number_value(temp) < 0 || json_number_value(temp) > 2)) {
        *code = "invalid_temperature";
        return "temperature must be a number between 0 and 2.";
    }
    return NULL;
}

static int mock_model_known(const struct mock_config *c, const char *model)
{
    for (int i = 0; i < c->n_models; i++)
        if (strcmp(c->models[i], model) == 0) return 1;
    return 0;
}

/* 1 if the request may pass --require-key; else answers 401 and returns 0. */
static int mock_authorized(struct mock_server *srv, struct evhttp_request *req)
{
    if (!srv->cfg.require_key) return 1;
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (auth && strncmp(auth, "Bearer ", 7) == 0 && util_ct_equal(srv->cfg.require_key, auth + 7))
        return 1;
    mock_send_invalid(req, 401, "invalid_api_key", "Invalid API Key");
    return 0;
}

/* Builds the job for an admitted request: the answer, its tokens, its fate. */
static struct mock_job *mock_job_new(struct mock_server *srv, const struct mock_chat *c,
                                     const char *task)
{
    struct mock_job *job = xcalloc(1, sizeof *job);
    snprintf(job->id, sizeof job->id, "chatcmpl-mock-%lu", ++srv->next_id);
    job->model = xstrdup(c->model);
    job->task = task ? xstrdup(task) : NULL;
    job->content = mock_answer(srv, task, c->user ? c->user : "", &job->record);
    job->finish_reason = "stop";
    size_t chars = mock_utf8_chars(job->content);
    job->prompt_chars4 = mock_tokens_of_chars(c->chars);
    if (srv->cfg.tokenizer == TOKENS_WORDS) {
        job->prompt_tokens = misbehave_tokens_vary(srv->cfg.seed, c->hash, c->words);
        job->completion_tokens =
            misbehave_tokens_vary(srv->cfg.seed, util_xxh64(job->content, strlen(job->content)),
                                  misbehave_tokens_raw(job->content));
    } else {
        job->prompt_tokens = mock_tokens_of_chars(c->chars);
        job->completion_tokens = mock_tokens_of_chars(chars);
    }
    if (c->max_tokens && job->completion_tokens > c->max_tokens) {
        /* chars4: exactly 4 per token; words: the same share of the characters */
        size_t keep =
            srv->cfg.tokenizer == TOKENS_WORDS
                ? (size_t)((double)chars * (double)c->max_tokens / (double)job->completion_tokens)
                : (size_t)c->max_tokens * 4;
        job->content[mock_utf8_prefix(job->content, keep)] = 0;
        job->completion_tokens = c->max_tokens;
        job->finish_reason = "length";
    }
    job->stream = c->stream;
    job->include_usage = c->include_usage;
    return job;
}

/* Charges the job's tokens, decides its fate and starts its timer. */
static void mock_admit(struct mock_server *srv, struct mock_job *job, struct evhttp_request *req)
{
    job->req = req;
    mock_limits_charge(srv, job->prompt_tokens + job->completion_tokens);
    if (srv->cfg.fail_rate > 0 && mock_rand_unit(&srv->rng) < srv->cfg.fail_rate)
        job->fail_status = srv->fail_count++ % 2 == 0 ? 500 : 503;
    srv->in_flight++;
    mock_job_link(srv, job);
    job->timer = evtimer_new(srv->base, mock_on_job_timer, job);
    int64_t delay = srv->cfg.latency_ms;
    if (job->stream && !job->fail_status) {
        size_t steps = 2 + (strlen(job->content) + MOCK_STREAM_CHUNK - 1) / MOCK_STREAM_CHUNK;
        job->step_ms = srv->cfg.latency_ms / (int64_t)steps;
        delay = job->step_ms;
    }
    mock_timer_add(job->timer, delay);
}

static void mock_count_task(json_t *counts, const char *task)
{
    json_t *n = json_object_get(counts, task);
    json_object_set_new(counts, task, json_integer(n ? json_integer_value(n) + 1 : 1));
}

/* Answers 429 in the configured style. */
static void mock_refuse(struct mock_server *srv, struct evhttp_request *req,
                        const struct mock_refusal *r, const char *model)
{
    static const char *const kinds[] = {"none", "rpd", "tpd", "rpm", "tpm", "concurrency"};
    srv->stats.rate_limited++;
    mock_count_task(srv->stats.rate_limited_by, kinds[r->kind]);
    mock_rate_headers(srv, r, evhttp_request_get_output_headers(req));
    mock_send_json(req, 429, mock_refusal_body(srv->cfg.style, r, model));
    log_debug("mockllm_refused", "limit=%d used=%ld limit_value=%ld retry_ms=%" PRId64,
              (int)r->kind, r->used, r->limit, r->retry_ms);
}

/* Validates the parsed request; answers the error and returns 0 if it is not valid. */
static int mock_chat_valid(struct mock_server *srv, struct evhttp_request *req, struct mock_chat *c,
                           size_t len, const char *body)
{
    const char *code, *err = mock_chat_parse(body, len, c, &code);
    if (err) {
        mock_send_invalid(req, 400, code, err);
        return 0;
    }
    if (!mock_model_known(&srv->cfg, c->model)) {
        struct sbuf m = {0};
        sbuf_printf(&m, "The model `%s` does not exist or you do not have access to it.", c->model);
        mock_send_invalid(req, 404, "model_not_found", m.data);
        sbuf_free(&m);
        return 0;
    }
    return 1;
}

static void mock_on_chat(struct mock_server *srv, struct evhttp_request *req)
{
    srv->stats.requests++;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        srv->stats.rejected++;
        mock_send_invalid(req, 405, "method_not_allowed", "Only POST is allowed on this route.");
        return;
    }
    if (!mock_authorized(srv, req)) {
        srv->stats.rejected++;
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > MOCK_MAX_BODY) {
        srv->stats.rejected++;
        mock_send_invalid(req, 413, "request_too_large", "The request body is larger than 2 MiB.");
        return;
    }
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    struct mock_chat c = {0};
    if (!mock_chat_valid(srv, req, &c, len, body)) {
        srv->stats.rejected++;
        mock_chat_free(&c);
        return;
    }
    char task[MOCK_TASK_NAME_MAX];
    int marked = mock_task_marker(c.system ? c.system : "", task);
    if (marked) mock_count_task(srv->stats.by_task, task);
    struct mock_job *job = mock_job_new(srv, &c, marked ? task : NULL);
    struct mock_refusal r;
    if (mock_limits_check(srv, job->prompt_tokens + job->completion_tokens, &r) != LIMIT_NONE) {
        mock_refuse(srv, req, &r, c.model);
        mock_job_release(job);
    } else {
        mock_admit(srv, job, req);
        log_debug("mockllm_admitted", "id=%s task=%s stream=%d fail=%d", job->id,
                  marked ? task : "-", job->stream, job->fail_status);
    }
    mock_chat_free(&c);
}

/* ---------------------------------------------------------------------------------- */
/* GET /v1/models, GET /mock/stats, routing. */

static json_t *mock_model_json(const char *id)
{
    return json_pack("{s:s, s:s, s:I, s:s}", "id", id, "object", "model", "created",
                     (json_int_t)MOCK_MODEL_CREATED, "owned_by", "mockllm");
}

static void mock_on_models(struct mock_server *srv, struct evhttp_request *req, const char *path)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        mock_send_invalid(req, 405, "method_not_allowed", "Only GET is allowed on this route.");
        return;
    }
    if (!mock_authorized(srv, req)) return;
    if (strcmp(path, "/v1/models") == 0) {
        json_t *data = json_array();
        for (int i = 0; i < srv->cfg.n_models; i++)
            json_array_append_new(data, mock_model_json(srv->cfg.models[i]));
        mock_send_json(req, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
        return;
    }
    const char *id = path + strlen("/v1/models/");
    if (mock_model_known(&srv->cfg, id)) {
        mock_send_json(req, 200, mock_model_json(id));
        return;
    }
    mock_send_invalid(req, 404, "model_not_found", "The model does not exist.");
}

static void mock_on_stats(struct mock_server *srv, struct evhttp_request *req)
{
    const struct mock_stats *s = &srv->stats;
    json_t *body = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:O, s:{s:I, s:I}}", "requests",
        (json_int_t)s->requests, "completions", (json_int_t)s->completions, "rate_limited",
        (json_int_t)s->rate_limited, "failed", (json_int_t)s->failed, "rejected",
        (json_int_t)s->rejected, "in_flight", (json_int_t)srv->in_flight, "by_task", s->by_task,
        "completed_by_task", s->completed_by_task, "tokens", "prompt", (json_int_t)s->prompt_tokens,
        "completion", (json_int_t)s->completion_tokens);
    json_object_set(body, "rate_limited_by", s->rate_limited_by);
    json_object_set(body, "bad_output", s->bad_output);
    json_object_set_new(body, "dup_followups", json_integer((json_int_t)s->dup_followups));
    json_object_set_new(body, "injection_bumps", json_integer((json_int_t)s->injection_bumps));
    json_object_set_new(body, "token_count",
                        json_string(srv->cfg.tokenizer == TOKENS_WORDS ? "words" : "chars4"));
    mock_send_json(req, 200, body);
}

static void mock_on_request(struct evhttp_request *req, void *arg)
{
    struct mock_server *srv = arg;
    if (srv->dying) {
        mock_withhold(srv, req);
        return;
    }
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path) path = "/";
    if (strcmp(path, "/v1/chat/completions") == 0) {
        mock_on_chat(srv, req);
    } else if (strcmp(path, "/v1/models") == 0 || strncmp(path, "/v1/models/", 11) == 0) {
        mock_on_models(srv, req, path);
    } else if (strcmp(path, "/mock/stats") == 0) {
        mock_on_stats(srv, req);
    } else if (strcmp(path, "/mock/log") == 0) {
        mock_send_json(req, 200, json_pack("{s:O}", "calls", srv->log));
    } else {
        struct sbuf m = {0};
        sbuf_printf(&m, "Unknown request URL: %s. Please check the URL for typos.", path);
        mock_send_invalid(req, 404, "unknown_url", m.data);
        sbuf_free(&m);
    }
}

/* ---------------------------------------------------------------------------------- */
/* Command line. */

static void mock_usage(FILE *f)
{
    fputs("usage: mockllm --listen HOST:PORT [--latency-ms N] [--rpm N] [--rpd N] [--tpm N]\n"
          "               [--tpd N] [--concurrency N] [--fail-rate P] [--seed S]\n"
          "               [--headers "
          "openai|groq|cerebras|openrouter|mistral|gemini|cloudflare|none]\n"
          "               [--model NAME]... [--require-key KEY] [--used-elsewhere-requests N]\n"
          "               [--die-after N] [--day-ms N] [--log-level debug|info|warn|error]\n"
          "               [--bad-output-rate P] [--dup-followup-rate P] [--injection-bump]\n"
          "               [--token-count chars4|words]\n"
          "Limits of 0 mean unlimited. PORT 0 picks a free port; the bound address is printed\n"
          "on stdout as `listening HOST:PORT`.\n"
          "Misbehaving like a real model (all drawn from --seed, reproducible):\n"
          "  --bad-output-rate P    a share P of task answers is prose, JSON missing a required\n"
          "                         field, JSON wrapped in prose, JSON in a ```json fence, or\n"
          "                         truncated JSON (one of the five, evenly)\n"
          "  --dup-followup-rate P  a share P of follow-up questions repeats the last question\n"
          "                         asked nearly verbatim\n"
          "  --injection-bump       an answer with an injection attempt scores 5\n"
          "  --token-count words    count tokens by words and punctuation, +-15% per text\n"
          "                         (default chars4: ceil(chars / 4), the router's estimate);\n"
          "                         usage and --tpm/--tpd use the count\n"
          "GET /mock/stats counts what was received; GET /mock/log lists the last 4096 task\n"
          "answers (scores per question id, bad_output kind, status).\n",
          f);
}

/* Prints "mockllm: <message>" and the usage on stderr; returns 2, the exit status. */
__attribute__((format(printf, 1, 2))) static int mock_bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mockllm: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    mock_usage(stderr);
    return 2;
}

/* Parses a non-negative integer; 0 on success. */
static int mock_parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0) return -1;
    *out = v;
    return 0;
}

static int mock_parse_listen(const char *s, struct mock_config *c)
{
    const char *colon = strrchr(s, ':');
    long port;
    if (!colon || colon == s || mock_parse_long(colon + 1, &port) != 0 || port > 65535) return -1;
    size_t n = (size_t)(colon - s);
    if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof c->host) return -1;
    memcpy(c->host, s, n);
    c->host[n] = 0;
    c->port = (int)port;
    return 0;
}

static int mock_parse_style(const char *s, enum mock_style *out)
{
    for (size_t i = 0; i < ARRAY_LEN(mock_style_names); i++) {
        if (strcmp(s, mock_style_names[i]) == 0) {
            *out = (enum mock_style)i;
            return 0;
        }
    }
    return -1;
}

enum {
    OPT_LISTEN = 256,
    OPT_LATENCY,
    OPT_RPM,
    OPT_RPD,
    OPT_TPM,
    OPT_TPD,
    OPT_CONCURRENCY,
    OPT_FAIL_RATE,
    OPT_SEED,
    OPT_HEADERS,
    OPT_MODEL,
    OPT_REQUIRE_KEY,
    OPT_USED_ELSEWHERE,
    OPT_DIE_AFTER,
    OPT_DAY_MS,
    OPT_LOG_LEVEL,
    OPT_BAD_OUTPUT,
    OPT_DUP_FOLLOWUP,
    OPT_INJECTION_BUMP,
    OPT_TOKEN_COUNT,
    OPT_HELP,
};

/* The field a numeric option sets, or NULL. */
static long *mock_long_option(struct mock_config *c, int opt)
{
    switch (opt) {
    case OPT_LATENCY:
        return &c->latency_ms;
    case OPT_RPM:
        return &c->rpm;
    case OPT_RPD:
        return &c->rpd;
    case OPT_TPM:
        return &c->tpm;
    case OPT_TPD:
        return &c->tpd;
    case OPT_CONCURRENCY:
        return &c->concurrency;
    case OPT_USED_ELSEWHERE:
        return &c->used_elsewhere;
    case OPT_DIE_AFTER:
        return &c->die_after;
    case OPT_DAY_MS:
        return &c->day_ms;
    default:
        return NULL;
    }
}

/* The field a probability option sets, or NULL. */
static double *mock_rate_option(struct mock_config *c, int opt)
{
    switch (opt) {
    case OPT_FAIL_RATE:
        return &c->fail_rate;
    case OPT_BAD_OUTPUT:
        return &c->bad_output_rate;
    case OPT_DUP_FOLLOWUP:
        return &c->dup_followup_rate;
    default:
        return NULL;
    }
}

/* Handles one option; returns 0, or 2 (bad usage, message printed). */
static int mock_option(struct mock_config *c, int opt, const char *arg, const char *name)
{
    long *field = mock_long_option(c, opt);
    double *rate = mock_rate_option(c, opt);
    char *end;
    if (field) {
        if (mock_parse_long(arg, field) != 0) return mock_bad_usage("bad number for --%s", name);
        return 0;
    }
    if (rate) {
        errno = 0;
        *rate = strtod(arg, &end);
        if (errno || end == arg || *end || !(*rate >= 0 && *rate <= 1))
            return mock_bad_usage("bad --%s '%s' (want 0..1)", name, arg);
        return 0;
    }
    switch (opt) {
    case OPT_INJECTION_BUMP:
        c->injection_bump = 1;
        return 0;
    case OPT_TOKEN_COUNT:
        if (strcmp(arg, "chars4") == 0)
            c->tokenizer = TOKENS_CHARS4;
        else if (strcmp(arg, "words") == 0)
            c->tokenizer = TOKENS_WORDS;
        else
            return mock_bad_usage("bad --token-count '%s' (want chars4 or words)", arg);
        return 0;
    case OPT_LISTEN:
        if (mock_parse_listen(arg, c) != 0)
            return mock_bad_usage("bad --listen '%s' (want HOST:PORT)", arg);
        return 0;
    case OPT_SEED:
        errno = 0;
        c->seed = strtoull(arg, &end, 10);
        if (errno || end == arg || *end) return mock_bad_usage("bad --seed '%s'", arg);
        return 0;
    case OPT_HEADERS:
        if (mock_parse_style(arg, &c->style) != 0)
            return mock_bad_usage("unknown --headers '%s'", arg);
        return 0;
    case OPT_MODEL:
        if (c->n_models >= MOCK_MAX_MODELS || !*arg)
            return mock_bad_usage("bad or too many --model '%s'", arg);
        c->models[c->n_models++] = arg;
        return 0;
    case OPT_REQUIRE_KEY:
        if (!*arg) return mock_bad_usage("empty --require-key");
        c->require_key = arg;
        return 0;
    case OPT_LOG_LEVEL:
        if (log_level_parse(arg) < 0) return mock_bad_usage("bad --log-level '%s'", arg);
        log_set_level((enum log_level)log_level_parse(arg));
        return 0;
    default:
        return mock_bad_usage("unknown option");
    }
}

/* Fills c from argv; returns 0, 1 (help printed: exit 0) or 2 (bad usage). */
static int mock_parse_args(int argc, char **argv, struct mock_config *c)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"latency-ms", required_argument, NULL, OPT_LATENCY},
        {"rpm", required_argument, NULL, OPT_RPM},
        {"rpd", required_argument, NULL, OPT_RPD},
        {"tpm", required_argument, NULL, OPT_TPM},
        {"tpd", required_argument, NULL, OPT_TPD},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"fail-rate", required_argument, NULL, OPT_FAIL_RATE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"headers", required_argument, NULL, OPT_HEADERS},
        {"model", required_argument, NULL, OPT_MODEL},
        {"require-key", required_argument, NULL, OPT_REQUIRE_KEY},
        {"used-elsewhere-requests", required_argument, NULL, OPT_USED_ELSEWHERE},
        {"die-after", required_argument, NULL, OPT_DIE_AFTER},
        {"day-ms", required_argument, NULL, OPT_DAY_MS},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"bad-output-rate", required_argument, NULL, OPT_BAD_OUTPUT},
        {"dup-followup-rate", required_argument, NULL, OPT_DUP_FOLLOWUP},
        {"injection-bump", no_argument, NULL, OPT_INJECTION_BUMP},
        {"token-count", required_argument, NULL, OPT_TOKEN_COUNT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->port = -1;
    int opt, idx;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", opts, &idx)) != -1) {
        if (opt == OPT_HELP) {
            mock_usage(stdout);
            return 1;
        }
        if (opt == '?' || opt == ':') return mock_bad_usage("bad option '%s'", argv[optind - 1]);
        int rc = mock_option(c, opt, optarg, opts[idx].name);
        if (rc) return rc;
    }
    if (optind < argc) return mock_bad_usage("unexpected argument '%s'", argv[optind]);
    if (c->port < 0) return mock_bad_usage("--listen HOST:PORT is required");
    if (c->n_models == 0) c->models[c->n_models++] = MOCK_DEFAULT_MODEL;
    return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Setup, run, shutdown. */

static void mock_on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct mock_server *srv = arg;
    (void)what;
    log_info("mockllm_stopping", "signal=%d", (int)sig);
    event_base_loopexit(srv->base, NULL);
}

/* Prints "listening ADDR:PORT" for the bound socket. */
static int mock_print_listening(struct mock_server *srv)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname(evhttp_bound_socket_get_fd(srv->listener), (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        printf("listening %s:%d\n", host, port);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        printf("listening [%s]:%d\n", host, port);
    }
    fflush(stdout);
    log_info("mockllm_listening", "addr=%s port=%d style=%s models=%d", host, port,
             mock_style_names[srv->cfg.style], srv->cfg.n_models);
    return 0;
}

static int mock_server_init(struct mock_server *srv)
{
    srv->base = event_base_new();
    srv->http = srv->base ? evhttp_new(srv->base) : NULL;
    if (!srv->http) return -1;
    evhttp_set_max_body_size(srv->http, MOCK_HARD_BODY);
    evhttp_set_max_headers_size(srv->http, MOCK_MAX_HEADERS);
    evhttp_set_timeout(srv->http, MOCK_CONN_TIMEOUT_S);
    evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                              EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                              EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(srv->http, mock_on_request, srv);
    srv->listener =
        evhttp_bind_socket_with_handle(srv->http, srv->cfg.host, (ev_uint16_t)srv->cfg.port);
    if (!srv->listener) return -1;
    srv->sig_term = evsignal_new(srv->base, SIGTERM, mock_on_signal, srv);
    srv->sig_int = evsignal_new(srv->base, SIGINT, mock_on_signal, srv);
    evsignal_add(srv->sig_term, NULL);
    evsignal_add(srv->sig_int, NULL);
    srv->start_mono = clock_mono_ms();
    srv->rng = srv->cfg.seed;
    srv->stats.by_task = json_object();
    srv->stats.completed_by_task = json_object();
    srv->stats.rate_limited_by = json_object();
    srv->stats.bad_output = json_object();
    srv->log = json_array();
    mock_day_update(srv);
    srv->day.requests = srv->cfg.used_elsewhere;
    return 0;
}

/* Releases everything. Requests still owed a reply are dropped: those whose client
 * already left are ours to free, the others go with their connection in evhttp_free. */
static void mock_server_free(struct mock_server *srv)
{
    while (srv->jobs) {
        struct mock_job *job = srv->jobs;
        if (job->req && !evhttp_request_get_connection(job->req)) evhttp_request_free(job->req);
        mock_job_free(job);
    }
    if (srv->http) evhttp_free(srv->http);
    if (srv->sig_term) event_free(srv->sig_term);
    if (srv->sig_int) event_free(srv->sig_int);
    if (srv->die_timer) event_free(srv->die_timer);
    if (srv->base) event_base_free(srv->base);
    json_decref(srv->stats.by_task);
    json_decref(srv->stats.completed_by_task);
    json_decref(srv->stats.rate_limited_by);
    json_decref(srv->stats.bad_output);
    json_decref(srv->log);
    free(srv->minute.v);
}

int main(int argc, char **argv)
{
    struct mock_server srv = {0};
    int rc = mock_parse_args(argc, argv, &srv.cfg);
    if (rc) return rc == 1 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    if (mock_server_init(&srv) != 0) {
        fprintf(stderr, "mockllm: cannot listen on %s:%d: %s\n", srv.cfg.host, srv.cfg.port,
                strerror(errno));
        mock_server_free(&srv);
        libevent_global_shutdown();
        return 1;
    }
    if (mock_print_listening(&srv) != 0) {
        mock_server_free(&srv);
        libevent_global_shutdown();
        return 1;
    }
    event_base_dispatch(srv.base);
    log_info("mockllm_stopped", "requests=%ld completions=%ld rate_limited=%ld failed=%ld",
             srv.stats.requests, srv.stats.completions, srv.stats.rate_limited, srv.stats.failed);
    mock_server_free(&srv);
    libevent_global_shutdown();
    return 0;
}
