/* bank: loading and picking question templates; see bank.h. */
#include "engine/bank.h"

#include "core/util.h"
#include "optimize/simhash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    uint64_t h = util_xxh64(id, strlen(id));
    for (int i = 0; i < b->n_questions; i++)
        if (b->questions[i].id_hash == h && strcmp(b->questions[i].id, id) == 0)
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

void bank_seen_add(struct bank_seen *s, const char *id, const char *text)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->ids = xrealloc(s->ids, s->cap * sizeof *s->ids);
        s->id_hashes = xrealloc(s->id_hashes, s->cap * sizeof *s->id_hashes);
        s->text_hashes = xrealloc(s->text_hashes, s->cap * sizeof *s->text_hashes);
        s->texts = xrealloc(s->texts, s->cap * sizeof *s->texts);
    }
    s->texts[s->len] = xstrdup(text ? text : "");
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
    }
    free(s->ids);
    free(s->texts);
    free(s->id_hashes);
    free(s->text_hashes);
    memset(s, 0, sizeof *s);
}

static int fits_role(const struct bank_question *q, const char *role, int own_only);

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

int bank_add(struct bank *b, const char *id, const char *role, const char *category, int difficulty,
             const char *text, const json_t *keywords)
{
    struct minhash a, m;
    minhash_question(text, &a);
    for (int i = 0; i < b->n_questions; i++) {
        const struct bank_question *q = &b->questions[i];
        if (strcmp(q->id, id) == 0) return -1;
        if (strcmp(q->category, category) != 0) continue;
        minhash_question(q->text, &m);
        if (minhash_near(&a, &m, MINHASH_QUESTION_MIN_JACCARD)) return -1;
    }
    b->questions = xrealloc(b->questions, (size_t)(b->n_questions + 1) * sizeof *b->questions);
    struct bank_question *bq = &b->questions[b->n_questions++];
    memset(bq, 0, sizeof *bq);
    bq->id = xstrdup(id);
    bq->category = xstrdup(category);
    bq->text = xstrdup(text);
    bq->difficulty = difficulty < 1 ? 1 : difficulty > 3 ? 3 : difficulty;
    bq->keywords = json_is_array(keywords) ? json_deep_copy(keywords) : json_array();
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

/* The unheard template of the given filter with the lowest per-candidate rank. */
static const struct bank_question *pick_pass(const struct bank *b, const char *role,
                                             const char *category, int difficulty, int own_only,
                                             const struct bank_seen *seen, const char *salt)
{
    const struct bank_question *best = NULL;
    uint64_t best_rank = UINT64_MAX;
    for (int i = 0; i < b->n_questions; i++) {
        const struct bank_question *q = &b->questions[i];
        if (q->retired || strcmp(q->category, category) != 0) continue;
        if (difficulty && q->difficulty != difficulty) continue;
        if (!fits_role(q, role, own_only)) continue;
        if (seen_has_id_hash(seen, q->id_hash, q->id)) continue;
        if (!strchr(q->text, '{') && seen_has_text_hash(seen, q->text_hash)) continue;
        char key[512];
        int n = snprintf(key, sizeof key, "%s|%s", salt, q->id);
        uint64_t rank = util_xxh64(key, (size_t)n < sizeof key ? (size_t)n : sizeof key - 1);
        if (rank < best_rank) {
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
    /* Difficulty first (exact, then one step, then any); within each, technical
     * questions prefer the role's own templates over general ones. Role-specific
     * templates come first in other categories too, where a bank has them. */
    int order[4] = {difficulty, difficulty + 1, difficulty - 1, 0};
    for (int k = 0; k < 4; k++) {
        int d = order[k];
        if (k > 0 && k < 3 && (d < 1 || d > 3)) continue;
        const struct bank_question *q;
        if (strcmp(category, "technical") == 0) {
            if ((q = pick_pass(b, role, category, d, 1, seen, salt))) return q;
            if ((q = pick_pass(b, role, category, d, 0, seen, salt))) return q;
        } else {
            if ((q = pick_pass(b, role, category, d, 0, seen, salt))) return q;
            if ((q = pick_pass(b, role, category, d, 1, seen, salt))) return q;
        }
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

static const char *array_pick(const json_t *arr, int k, const char *fallback)
{
    size_t n = json_array_size(arr);
    if (n == 0) return fallback;
    const char *s = json_string_value(json_array_get(arr, (size_t)k % n));
    return s && *s ? s : fallback;
}

char *bank_fill(const char *text, const json_t *analysis, const struct bank_role *role, int turn)
{
    const json_t *skills = analysis ? json_object_get(analysis, "skills") : NULL;
    if (json_array_size(skills) == 0 && role) skills = role->skills;
    const json_t *projects = analysis ? json_object_get(analysis, "projects") : NULL;
    const json_t *companies = analysis ? json_object_get(analysis, "companies") : NULL;
    json_t *years = analysis ? json_object_get(analysis, "years_experience") : NULL;
    char years_buf[32] = "several";
    if (json_is_number(years) && json_number_value(years) >= 1)
        snprintf(years_buf, sizeof years_buf, "%d", (int)json_number_value(years));
    const char *skill = array_pick(skills, turn, "your main programming language");
    const char *skill2 = array_pick(skills, turn + 1, "a tool you use every day");
    if (strcmp(skill, skill2) == 0) skill2 = "a related technology";

    struct sbuf out = {0};
    for (const char *p = text; *p;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (end) {
                size_t n = (size_t)(end - p - 1);
                const char *v = NULL;
                if (n == 5 && strncmp(p + 1, "skill", 5) == 0)
                    v = skill;
                else if (n == 6 && strncmp(p + 1, "skill2", 6) == 0)
                    v = skill2;
                else if (n == 7 && strncmp(p + 1, "project", 7) == 0)
                    v = array_pick(projects, turn, "a recent project of yours");
                else if (n == 7 && strncmp(p + 1, "company", 7) == 0)
                    v = array_pick(companies, 0, "your most recent team");
                else if (n == 5 && strncmp(p + 1, "years", 5) == 0)
                    v = years_buf;
                else if (n == 10 && strncmp(p + 1, "role_title", 10) == 0)
                    v = role ? role->title : "engineer";
                if (v) {
                    sbuf_puts(&out, v);
                    p = end + 1;
                    continue;
                }
            }
        }
        sbuf_append(&out, p, 1);
        p++;
    }
    return sbuf_take(&out);
}
