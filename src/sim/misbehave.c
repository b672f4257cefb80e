/* misbehave: see misbehave.h. Pure functions: the callers own their PRNGs and pass
 * draws in, so each stays reproducible by its own seed. */
#include "sim/misbehave.h"

#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[MISBEHAVE__COUNT] = {
    "none", "prose", "missing_fields", "wrapped_in_prose", "code_fence", "truncated",
};

/* The field MISSING drops, per task, by its name and its short name in the compact
 * schemas of docs/tasks.md (evaluate_batch drops the score from every evaluation
 * instead). */
static const struct {
    const char *task;  /* task name */
    const char *field; /* a required field of its answer */
    const char *short_field;
} required[] = {
    {"resume_analysis", "skills", "skills"},
    {"question_gen", "questions", "questions"},
    {"follow_up", "question", "question"},
    {"evaluate", "score", "s"},
    {"summary", "summary", "t"},
};

const char *misbehave_kind_name(enum misbehave_kind k)
{
    return k < MISBEHAVE__COUNT ? kind_names[k] : "unknown";
}

enum misbehave_kind misbehave_pick(double rate, double u_whether, double u_which)
{
    if (rate <= 0 || u_whether >= rate) return MISBEHAVE_NONE;
    int k = 1 + (int)(u_which * (MISBEHAVE__COUNT - 1));
    return (enum misbehave_kind)(k < MISBEHAVE__COUNT ? k : MISBEHAVE__COUNT - 1);
}

static void drop_required(json_t *obj, const char *task)
{
    if (strcmp(task, "evaluate_batch") == 0) {
        size_t i;
        json_t *ev;
        json_t *evs = json_object_get(obj, "evaluations");
        json_array_foreach(evs ? evs : json_object_get(obj, "ev"), i, ev)
        {
            json_object_del(ev, "score");
            json_object_del(ev, "s");
        }
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(required); i++)
        if (strcmp(task, required[i].task) == 0) {
            json_object_del(obj, required[i].field);
            json_object_del(obj, required[i].short_field);
        }
}

char *misbehave_spoil(json_t *obj, const char *task, enum misbehave_kind k)
{
    if (k == MISBEHAVE_PROSE)
        return xstrdup("The candidate shows a reasonable understanding of the topic, but the "
                       "answer could go deeper. Overall I would rate it as average.");
    if (k == MISBEHAVE_MISSING) drop_required(obj, task);
    char *json = json_dumps(obj, JSON_COMPACT);
    if (!json) json = xstrdup("{}");
    struct sbuf b = {0};
    switch (k) {
    case MISBEHAVE_WRAPPED:
        sbuf_printf(&b,
                    "Sure! Here is the %s you asked for:\n\n%s\n\nLet me know if you need "
                    "anything else.",
                    task, json);
        break;
    case MISBEHAVE_FENCED:
        sbuf_printf(&b, "```json\n%s\n```", json);
        break;
    case MISBEHAVE_TRUNCATED:
        /* json_dumps escapes nothing above ASCII by default: cut on a character start */
        {
            size_t n = strlen(json) / 2;
            while (n > 0 && ((unsigned char)json[n] & 0xC0) == 0x80)
                n--;
            sbuf_append(&b, json, n);
        }
        break;
    default:
        sbuf_puts(&b, json);
    }
    free(json);
    return sbuf_take(&b);
}

long misbehave_tokens_raw(const char *s)
{
    long n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (isalnum(*p)) {
            size_t len = 0;
            while (isalnum(p[len]))
                len++;
            n += (long)((len + 5) / 6);
            p += len;
        } else {
            if (!isspace(*p) && (*p & 0xC0) != 0x80) n++;
            p++;
        }
    }
    return n;
}

long misbehave_tokens_vary(uint64_t seed, uint64_t text_hash, long raw)
{
    uint64_t pair[2] = {seed, text_hash};
    double u = (double)(util_xxh64(pair, sizeof pair) >> 11) * (1.0 / 9007199254740992.0);
    long n = (long)((double)raw * (0.85 + 0.30 * u) + 0.5);
    return n < 1 ? 1 : n;
}
