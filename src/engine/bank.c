/* bank: loading and picking question templates; see bank.h. */
#include "engine/bank.h"

#include "core/util.h"
#include "engine/phrase.h"
#include "optimize/simhash.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *categories[] = {"introduction", "resume", "technical", "behavioral", "wrap_up"};

static int load_roles(struct bank *b, const char *dir, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/roles.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return -1;
    }
    json_t *roles = json_object_get(root, "roles");
    if (!json_is_array(roles) || json_array_size(roles) == 0) {
        snprintf(err, errlen, "%s: \"roles\" must be a non-empty array", path);
        json_decref(root);
        return -1;
    }
    b->roles = xcalloc(json_array_size(roles), sizeof *b->roles);
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "id"));
        const char *title = json_string_value(json_object_get(r, "title"));
        if (!id || !title) {
            snprintf(err, errlen, "%s: role %zu needs id and title", path, i);
            json_decref(root);
            return -1;
        }
        struct bank_role *role = &b->roles[b->n_roles++];
        role->id = xstrdup(id);
        role->title = xstrdup(title);
        json_t *skills = json_object_get(r, "skills");
        role->skills = json_is_array(skills) ? json_incref(skills) : json_array();
    }
    json_decref(root);
    return 0;
}

static int load_category(struct bank *b, const char *dir, const char *category, char *err,
                         size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/questions/%s.json", dir, category);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return -1;
    }
    json_t *qs = json_object_get(root, "questions");
    if (!json_is_array(qs)) {
        snprintf(err, errlen, "%s: \"questions\" must be an array", path);
        json_decref(root);
        return -1;
    }
    b->questions = xrealloc(b->questions, (size_t)(b->n_questions + (int)json_array_size(qs)) *
                                              sizeof *b->questions);
    size_t i;
    json_t *q;
    json_array_foreach(qs, i, q)
    {
        const char *id = json_string_value(json_object_get(q, "id"));
        const char *text = json_string_value(json_object_get(q, "text"));
        json_int_t diff = json_integer_value(json_object_get(q, "difficulty"));
        json_t *roles = json_object_get(q, "roles");
        if (!id || !text || diff < 1 || diff > 3 || !json_is_array(roles)) {
            snprintf(err, errlen, "%s: question %zu needs id, text, difficulty 1..3 and roles",
                     path, i);
            json_decref(root);
            return -1;
        }
        struct bank_question *bq = &b->questions[b->n_questions++];
        memset(bq, 0, sizeof *bq);
        bq->id = xstrdup(id);
        bq->category = xstrdup(category);
        bq->text = xstrdup(text);
        bq->difficulty = (int)diff;
        bq->id_hash = util_xxh64(id, strlen(id));
        bq->text_hash = util_normalized_hash(text);
        json_t *kw = json_object_get(q, "keywords");
        bq->keywords = json_is_array(kw) ? json_incref(kw) : json_array();
        json_t *ref = json_object_get(q, "reference");
        bq->reference = json_is_object(ref) ? json_incref(ref) : NULL;
        const char *topic = json_string_value(json_object_get(q, "topic"));
        bq->topic = topic ? xstrdup(topic) : NULL;
        bq->roles = xcalloc(json_array_size(roles) + 1, sizeof *bq->roles);
        size_t j;
        json_t *r;
        json_array_foreach(roles, j, r)
        {
            const char *rid = json_string_value(r);
            if (!rid) continue;
            if (strcmp(rid, "*") == 0)
                bq->any_role = 1;
            else
                bq->roles[bq->n_roles++] = xstrdup(rid);
        }
    }
    json_decref(root);
    return 0;
}

struct bank *bank_load(const char *dir, char *err, size_t errlen)
{
    struct bank *b = xcalloc(1, sizeof *b);
    if (load_roles(b, dir, err, errlen) != 0) goto fail;
    if (!(b->terms = phrase_terms_load(dir, err, errlen))) goto fail;
    for (size_t i = 0; i < ARRAY_LEN(categories); i++)
        if (load_category(b, dir, categories[i], err, errlen) != 0) goto fail;
    return b;
fail:
    bank_free(b);
    return NULL;
}

void bank_free(struct bank *b)
{
    if (!b) return;
    phrase_terms_free(b->terms);
    for (int i = 0; i < b->n_roles; i++) {
        free(b->roles[i].id);
        free(b->roles[i].title);
        json_decref(b->roles[i].skills);
    }
    free(b->roles);
    for (int i = 0; i < b->n_questions; i++) {
        struct bank_question *q = &b->questions[i];
        free(q->id);
        free(q->category);
        free(q->text);
        json_decref(q->keywords);
        json_decref(q->reference);
        free(q->topic);
        for (int j = 0; j < q->n_roles; j++)
            free(q->roles[j]);
        free(q->roles);
    }
    free(b->questions);
    free(b);
}

const struct bank_question *bank_question_find(const struct bank *b, const char *id)
{
    if (!b || !id) return NULL;
    /* "resume.013#1a2b3c4d": another filling of resume.013 */
    size_t n = strcspn(id, "#");
    uint64_t h = util_xxh64(id, n);
    for (int i = 0; i < b->n_questions; i++)
        if (b->questions[i].id_hash == h && strncmp(b->questions[i].id, id, n) == 0 &&
            b->questions[i].id[n] == '\0')
            return &b->questions[i];
    return NULL;
}

/* "{skill}" -> "the skill": a reference shown in a report reads generally, since the
 * resume analysis that filled the question is not at hand there. */
static char *plain_slots(const char *text)
{
    struct sbuf b = {0};
    sbuf_puts(&b, "");
    for (const char *p = text; *p; p++) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (!end || end - p > 32) {
            sbuf_append(&b, p, 1);
            continue;
        }
        int n = (int)(end - p - 1);
        if (n == 10 && strncmp(p + 1, "role_title", 10) == 0)
            sbuf_puts(&b, "the role");
        else
            sbuf_printf(&b, "the %.*s", n, p + 1);
        p = end;
    }
    return sbuf_take(&b);
}

json_t *bank_reference_plain(const struct bank_question *q)
{
    const json_t *kp = q ? json_object_get(q->reference, "key_points") : NULL;
    const char *outline = q ? json_string_value(json_object_get(q->reference, "outline")) : NULL;
    json_t *points = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(kp, i, v)
    {
        if (!json_is_string(v)) continue;
        char *t = plain_slots(json_string_value(v));
        json_array_append_new(points, json_string(t));
        free(t);
    }
    char *o = plain_slots(outline ? outline : "");
    json_t *r = json_pack("{s:o,s:s}", "key_points", points, "outline", o);
    free(o);
    return r;
}

const struct bank_role *bank_role_find(const struct bank *b, const char *id)
{
    for (int i = 0; i < b->n_roles; i++)
        if (strcmp(b->roles[i].id, id) == 0) return &b->roles[i];
    return NULL;
}

static char *ascii_lower(const char *s)
{
    char *l = xstrdup(s);
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return l;
}

/* Topics are few and their 64-bit hashes taken as distinct (a clash would only make
 * one topic wait a little longer for its turn). 0 marks an empty slot. */
static uint64_t topic_hash(const char *topic)
{
    uint64_t h = util_xxh64(topic, strlen(topic));
    return h ? h : 1;
}

static void topic_put(struct bank_seen *s, const char *topic, int ord)
{
    if (2 * (s->topic_len + 1) > s->topic_cap) {
        size_t old_cap = s->topic_cap;
        uint64_t *old_keys = s->topic_keys;
        int *old_ords = s->topic_ords;
        s->topic_cap = old_cap ? old_cap * 2 : 64;
        s->topic_keys = xcalloc(s->topic_cap, sizeof *s->topic_keys);
        s->topic_ords = xcalloc(s->topic_cap, sizeof *s->topic_ords);
        s->topic_len = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old_keys[i]) {
                size_t j = old_keys[i] & (s->topic_cap - 1);
                while (s->topic_keys[j])
                    j = (j + 1) & (s->topic_cap - 1);
                s->topic_keys[j] = old_keys[i];
                s->topic_ords[j] = old_ords[i];
                s->topic_len++;
            }
        free(old_keys);
        free(old_ords);
    }
    uint64_t h = topic_hash(topic);
    size_t j = h & (s->topic_cap - 1);
    while (s->topic_keys[j] && s->topic_keys[j] != h)
        j = (j + 1) & (s->topic_cap - 1);
    if (!s->topic_keys[j]) s->topic_len++;
    s->topic_keys[j] = h;
    s->topic_ords[j] = ord;
}

void bank_seen_add(struct bank_seen *s, const char *id, const char *text)
{
    bank_seen_add_turn(s, id, text, NULL, NULL);
}

void bank_seen_add_turn(struct bank_seen *s, const char *id, const char *text, const char *topic,
                        const char *interview_id)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->ids = xrealloc(s->ids, s->cap * sizeof *s->ids);
        s->id_hashes = xrealloc(s->id_hashes, s->cap * sizeof *s->id_hashes);
        s->text_hashes = xrealloc(s->text_hashes, s->cap * sizeof *s->text_hashes);
        s->texts = xrealloc(s->texts, s->cap * sizeof *s->texts);
        s->lowered = xrealloc(s->lowered, s->cap * sizeof *s->lowered);
        s->topics = xrealloc(s->topics, s->cap * sizeof *s->topics);
        s->interview_ord = xrealloc(s->interview_ord, s->cap * sizeof *s->interview_ord);
    }
    if (!interview_id || s->n_interviews == 0 || strcmp(s->last_interview, interview_id) != 0) {
        s->n_interviews++;
        snprintf(s->last_interview, sizeof s->last_interview, "%s",
                 interview_id ? interview_id : "");
    }
    s->topics[s->len] = topic && *topic ? xstrdup(topic) : NULL;
    s->interview_ord[s->len] = s->n_interviews;
    if (s->topics[s->len]) topic_put(s, s->topics[s->len], s->n_interviews);
    s->texts[s->len] = xstrdup(text ? text : "");
    s->lowered[s->len] = ascii_lower(s->texts[s->len]);
    s->ids[s->len] = xstrdup(id ? id : "");
    s->id_hashes[s->len] = util_xxh64(s->ids[s->len], strlen(s->ids[s->len]));
    s->text_hashes[s->len] = util_normalized_hash(text ? text : "");
    s->len++;
}

static int seen_has_id_hash(const struct bank_seen *s, uint64_t h, const char *id)
{
    for (size_t i = 0; i < s->len; i++)
        if (s->id_hashes[i] == h && strcmp(s->ids[i], id) == 0) return 1;
    return 0;
}

static int seen_has_text_hash(const struct bank_seen *s, uint64_t h)
{
    for (size_t i = 0; i < s->len; i++)
        if (s->text_hashes[i] == h) return 1;
    return 0;
}

int bank_seen_topic_last(const struct bank_seen *s, const char *topic)
{
    if (!topic || s->topic_cap == 0) return 0;
    uint64_t h = topic_hash(topic);
    for (size_t i = h & (s->topic_cap - 1);; i = (i + 1) & (s->topic_cap - 1)) {
        if (s->topic_keys[i] == 0) return 0;
        if (s->topic_keys[i] == h) return s->topic_ords[i];
    }
}

int bank_seen_has_id(const struct bank_seen *s, const char *id)
{
    return seen_has_id_hash(s, util_xxh64(id, strlen(id)), id);
}

/* Equal 64-bit hashes of normalised text are taken as equal texts (a false match only
 * skips one more template). */
int bank_seen_has_text(const struct bank_seen *s, const char *text)
{
    return seen_has_text_hash(s, util_normalized_hash(text));
}

int bank_seen_has_near(const struct bank_seen *s, const char *text)
{
    if (bank_seen_has_text(s, text)) return 1;
    struct minhash a, b;
    minhash_question(text, &a);
    for (size_t i = 0; i < s->len; i++) {
        minhash_question(s->texts[i], &b);
        if (minhash_near(&a, &b, MINHASH_QUESTION_MIN_JACCARD)) return 1;
    }
    return 0;
}

void bank_seen_free(struct bank_seen *s)
{
    for (size_t i = 0; i < s->len; i++) {
        free(s->ids[i]);
        free(s->texts[i]);
        free(s->lowered[i]);
        free(s->topics[i]);
    }
    free(s->ids);
    free(s->texts);
    free(s->lowered);
    free(s->topics);
    free(s->interview_ord);
    free(s->topic_keys);
    free(s->topic_ords);
    free(s->id_hashes);
    free(s->text_hashes);
    memset(s, 0, sizeof *s);
}

static int fits_role(const struct bank_question *q, const char *role, int own_only);

int bank_question_fits(const struct bank_question *q, const char *role)
{
    return fits_role(q, role, 0) || fits_role(q, role, 1);
}

int bank_unheard_count(const struct bank *b, const char *role, const char *category,
                       const struct bank_seen *seen)
{
    int n = 0;
    for (int i = 0; i < b->n_questions; i++) {
        const struct bank_question *q = &b->questions[i];
        if (q->retired || strcmp(q->category, category) != 0) continue;
        if (!fits_role(q, role, 0) && !fits_role(q, role, 1)) continue;
        if (bank_seen_has_id(seen, q->id)) continue;
        n++;
    }
    return n;
}

const char *bank_topic_of(const struct bank *b, const char *text)
{
    if (!b || !text) return NULL;
    struct minhash a, m;
    minhash_question(text, &a);
    for (int i = 0; i < b->n_questions; i++) {
        const struct bank_question *q = &b->questions[i];
        if (!q->topic) continue;
        minhash_question(q->text, &m);
        if (minhash_near(&a, &m, BANK_TOPIC_MIN_JACCARD)) return q->topic;
    }
    return NULL;
}

int bank_add(struct bank *b, const char *id, const char *role, const char *category, int difficulty,
             const char *text, const json_t *keywords, const char *topic)
{
    if (!topic) topic = bank_topic_of(b, text);
    char *topic_copy = topic ? xstrdup(topic) : NULL; /* the array may move below */
    struct minhash a, m;
    minhash_question(text, &a);
    for (int i = 0; i < b->n_questions; i++) {
        const struct bank_question *q = &b->questions[i];
        if (strcmp(q->id, id) == 0 ||
            (strcmp(q->category, category) == 0 &&
             (minhash_question(q->text, &m), minhash_near(&a, &m, MINHASH_QUESTION_MIN_JACCARD)))) {
            free(topic_copy);
            return -1;
        }
    }
    b->questions = xrealloc(b->questions, (size_t)(b->n_questions + 1) * sizeof *b->questions);
    struct bank_question *bq = &b->questions[b->n_questions++];
    memset(bq, 0, sizeof *bq);
    bq->id = xstrdup(id);
    bq->category = xstrdup(category);
    bq->text = xstrdup(text);
    bq->difficulty = difficulty < 1 ? 1 : difficulty > 3 ? 3 : difficulty;
    bq->keywords = json_is_array(keywords) ? json_deep_copy(keywords) : json_array();
    /* a question without a near template is its own topic */
    bq->topic = topic_copy ? topic_copy : xstrdup(id);
    bq->roles = xcalloc(2, sizeof *bq->roles);
    if (strcmp(role, "*") == 0)
        bq->any_role = 1;
    else
        bq->roles[bq->n_roles++] = xstrdup(role);
    bq->id_hash = util_xxh64(id, strlen(id));
    bq->text_hash = util_normalized_hash(text);
    return 0;
}

static int fits_role(const struct bank_question *q, const char *role, int own_only)
{
    if (own_only) {
        for (int i = 0; i < q->n_roles; i++)
            if (strcmp(q->roles[i], role) == 0) return 1;
        return 0;
    }
    return q->any_role;
}

/* The unheard template of the given pass with the highest filter value, then the lowest
 * per-candidate rank. */
static const struct bank_question *pick_pass(const struct bank *b, const char *role,
                                             const char *category, int difficulty, int own_only,
                                             const struct bank_seen *seen, const char *salt,
                                             bank_pick_filter filter, void *data)
{
    const struct bank_question *best = NULL;
    uint64_t best_rank = UINT64_MAX;
    int best_pref = -1;
    for (int i = 0; i < b->n_questions; i++) {
        const struct bank_question *q = &b->questions[i];
        if (q->retired || strcmp(q->category, category) != 0) continue;
        if (difficulty && q->difficulty != difficulty) continue;
        if (!fits_role(q, role, own_only)) continue;
        if (seen_has_id_hash(seen, q->id_hash, q->id)) continue;
        if (!strchr(q->text, '{') && seen_has_text_hash(seen, q->text_hash)) continue;
        int pref = filter ? filter(q, data) : 0;
        if (pref < 0 || pref < best_pref) continue;
        char key[512];
        int n = snprintf(key, sizeof key, "%s|%s", salt, q->id);
        uint64_t rank = util_xxh64(key, (size_t)n < sizeof key ? (size_t)n : sizeof key - 1);
        if (pref > best_pref || rank < best_rank) {
            best_pref = pref;
            best_rank = rank;
            best = q;
        }
    }
    return best;
}

const struct bank_question *bank_pick(const struct bank *b, const char *role, const char *category,
                                      int difficulty, const struct bank_seen *seen,
                                      const char *salt)
{
    return bank_pick_filtered(b, role, category, difficulty, seen, salt, NULL, NULL);
}

const struct bank_question *bank_pick_filtered(const struct bank *b, const char *role,
                                               const char *category, int difficulty,
                                               const struct bank_seen *seen, const char *salt,
                                               bank_pick_filter filter, void *data)
{
    /* Difficulty first (exact, then one step, then any); within each, technical
     * questions prefer the role's own templates over general ones. Role-specific
     * templates come first in other categories too, where a bank has them. */
    int order[4] = {difficulty, difficulty + 1, difficulty - 1, 0};
    int tech = strcmp(category, "technical") == 0;
    for (int k = 0; k < 4; k++) {
        int d = order[k];
        if (k > 0 && k < 3 && (d < 1 || d > 3)) continue;
        const struct bank_question *q;
        if ((q = pick_pass(b, role, category, d, tech, seen, salt, filter, data))) return q;
        if ((q = pick_pass(b, role, category, d, !tech, seen, salt, filter, data))) return q;
    }
    return NULL;
}

int bank_retire(struct bank *b, const char *id)
{
    for (int i = 0; i < b->n_questions; i++)
        if (strcmp(b->questions[i].id, id) == 0) {
            b->questions[i].retired = 1;
            return 0;
        }
    return -1;
}

/* The clean values a slot may take, in order of preference, without repeats, with how
 * often the candidate heard each lately. */
struct slot_values {
    char *v[24];
    int uses[24];
    int n;
};

struct bank_slots {
    struct slot_values skills, projects, companies;
    char years[32];
    const struct bank_role *role;
    int turn;
    int history; /* 1 when the uses count: values heard too often are not used */
};

static void values_add(struct slot_values *sv, const struct bank *b, const char *raw,
                       enum phrase_kind kind, const char *source)
{
    if (!raw || sv->n >= (int)ARRAY_LEN(sv->v)) return;
    char *c = phrase_clean(b ? b->terms : NULL, raw, kind, source);
    if (!c) return;
    /* one phrase inside another ("a CI pipeline", "a CI pipeline for 40 repositories")
     * would read as the same project twice: the first stays */
    size_t head = phrase_head_len(c);
    for (int i = 0; i < sv->n; i++)
        if (util_strcasestr(sv->v[i], c) || util_strcasestr(c, sv->v[i]) ||
            (phrase_head_len(sv->v[i]) == head && strncasecmp(sv->v[i], c, head) == 0)) {
            free(c);
            return;
        }
    sv->uses[sv->n] = 0;
    sv->v[sv->n++] = c;
}

static void values_add_all(struct slot_values *sv, const struct bank *b, const json_t *arr,
                           enum phrase_kind kind, const char *source)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) values_add(sv, b, json_string_value(v), kind, source);
}

static void values_free(struct slot_values *sv)
{
    for (int i = 0; i < sv->n; i++)
        free(sv->v[i]);
    sv->n = 0;
}

/* How many of the latest BANK_PHRASE_WINDOW heard questions contain value (any case). */
static int uses_of(const struct bank_seen *seen, const char *value)
{
    int n = 0;
    size_t from = seen && seen->len > BANK_PHRASE_WINDOW ? seen->len - BANK_PHRASE_WINDOW : 0;
    char *lv = ascii_lower(value);
    for (size_t i = from; seen && i < seen->len; i++)
        if (strstr(seen->lowered[i], lv)) n++;
    free(lv);
    return n;
}

static void values_count(struct slot_values *sv, const struct bank_seen *seen)
{
    for (int i = 0; i < sv->n; i++)
        sv->uses[i] = uses_of(seen, sv->v[i]);
}

struct bank_slots *bank_slots_new(const struct bank *b, const struct bank_fill_ctx *ctx)
{
    struct bank_slots *s = xcalloc(1, sizeof *s);
    const json_t *analysis = ctx->analysis;
    values_add_all(&s->skills, b, ctx->job_skills, PHRASE_SKILL, NULL);
    values_add_all(&s->skills, b, analysis ? json_object_get(analysis, "skills") : NULL,
                   PHRASE_SKILL, ctx->source);
    if (s->skills.n == 0 && ctx->role)
        values_add_all(&s->skills, b, ctx->role->skills, PHRASE_SKILL, NULL);
    values_add_all(&s->projects, b, analysis ? json_object_get(analysis, "projects") : NULL,
                   PHRASE_PROJECT, ctx->source);
    values_add_all(&s->companies, b, analysis ? json_object_get(analysis, "companies") : NULL,
                   PHRASE_COMPANY, ctx->source);
    if (ctx->seen) {
        s->history = 1;
        values_count(&s->skills, ctx->seen);
        values_count(&s->projects, ctx->seen);
        values_count(&s->companies, ctx->seen);
    }
    json_t *years = analysis ? json_object_get(analysis, "years_experience") : NULL;
    snprintf(s->years, sizeof s->years, "several");
    if (json_is_number(years) && json_number_value(years) >= 1 && json_number_value(years) <= 60)
        snprintf(s->years, sizeof s->years, "%d", (int)json_number_value(years));
    s->role = ctx->role;
    s->turn = ctx->turn > 0 ? ctx->turn : 0;
    return s;
}

void bank_slots_free(struct bank_slots *s)
{
    if (!s) return;
    values_free(&s->skills);
    values_free(&s->projects);
    values_free(&s->companies);
    free(s);
}

/* The value to use: without history, rotate by turn; with it, the least-used value
 * (rotation breaks ties), or NULL when every value has been heard max_uses times.
 * `avoid` (may be NULL) is not chosen when another value exists. */
static const char *values_choose(const struct bank_slots *s, const struct slot_values *sv,
                                 int max_uses, const char *avoid)
{
    const char *best = NULL;
    int best_uses = 0;
    for (int k = 0; k < sv->n; k++) {
        int i = (s->turn + k) % sv->n;
        if (avoid && strcasecmp(sv->v[i], avoid) == 0 && sv->n > 1) continue;
        if (!s->history) return sv->v[i];
        if (!best || sv->uses[i] < best_uses) {
            best = sv->v[i];
            best_uses = sv->uses[i];
        }
    }
    return best && best_uses < max_uses ? best : NULL;
}

/* Fills text, or only says whether it could (out NULL). */
static int fill_into(const struct bank_slots *s, const char *text, struct sbuf *out)
{
    const char *skill = NULL;
    for (const char *p = text; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (end) {
            size_t n = (size_t)(end - p - 1);
            const char *v = NULL, *fallback = NULL;
            const struct slot_values *sv = NULL;
            int max_uses = BANK_PHRASE_MAX_USES, is_skill2 = 0, lower_first = 0;
            if (n == 5 && strncmp(p + 1, "skill", 5) == 0) {
                sv = &s->skills, fallback = "your main programming language";
                max_uses = BANK_SKILL_MAX_USES;
            } else if (n == 6 && strncmp(p + 1, "skill2", 6) == 0) {
                sv = &s->skills, fallback = "a tool you use every day";
                max_uses = BANK_SKILL_MAX_USES, is_skill2 = 1;
            } else if (n == 7 && strncmp(p + 1, "project", 7) == 0) {
                sv = &s->projects, fallback = "a recent project of yours";
            } else if (n == 7 && strncmp(p + 1, "company", 7) == 0) {
                sv = &s->companies, fallback = "your most recent team";
            } else if (n == 5 && strncmp(p + 1, "years", 5) == 0) {
                v = s->years;
            } else if (n == 10 && strncmp(p + 1, "role_title", 10) == 0) {
                v = s->role ? s->role->title : "engineer";
                /* "as a backend engineer" mid-sentence; "DevOps", "QA" keep capitals */
                lower_first = isupper((unsigned char)v[0]) && islower((unsigned char)v[1]);
            }
            if (sv) {
                v = sv->n ? values_choose(s, sv, max_uses, is_skill2 ? skill : NULL) : fallback;
                if (v && is_skill2 && skill && strcasecmp(v, skill) == 0)
                    v = "a related technology";
                if (!v) return 0;
                if (sv == &s->skills && !is_skill2) skill = v;
            }
            if (v) {
                if (out && lower_first) {
                    char c = (char)tolower((unsigned char)v[0]);
                    sbuf_append(out, &c, 1);
                    sbuf_puts(out, v + 1);
                } else if (out) {
                    sbuf_puts(out, v);
                }
                p = end + 1;
                continue;
            }
        }
        if (out) sbuf_append(out, p, 1);
        p++;
    }
    return 1;
}

int bank_slots_can_fill(const struct bank_slots *s, const char *text)
{
    return !strchr(text, '{') || fill_into(s, text, NULL);
}

char *bank_fill_slots(const struct bank_slots *s, const char *text)
{
    struct sbuf out = {0};
    sbuf_puts(&out, "");
    if (!fill_into(s, text, &out)) {
        sbuf_free(&out);
        return NULL;
    }
    return sbuf_take(&out);
}

char *bank_fill(const struct bank *b, const char *text, const struct bank_fill_ctx *ctx)
{
    struct bank_slots *s = bank_slots_new(b, ctx);
    char *r = bank_fill_slots(s, text);
    bank_slots_free(s);
    return r;
}
