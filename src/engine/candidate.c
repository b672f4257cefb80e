/* candidate: registration, sign-in, resume updates and the resume analysis.
 *
 * The one idea: quota belongs to interviews (issue 14). Sign-up and a resume change cost
 * no provider call: they store a heuristic analysis and answer. A model analyses a
 * resume when one of the candidate's interviews starts in a mode that uses a model, at
 * most once per distinct resume: the analysis remembers the hash of the normalised
 * resume it read, and the model analyses of the candidate's last CAND_EARLIER_ANALYSES
 * other resumes travel with it (in the same row, so erasing the candidate erases them),
 * so a resume changed back and forth gets its analysis back without a call. A
 * near-duplicate re-upload keeps the analysis it has. The call is optional work
 * (router.h): it never takes the share of the day kept for running interviews. A resume
 * that tries to instruct the model is flagged and analysed by the heuristic only. No
 * one's analysis serves anyone else. */
#include "engine/candidate.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/fastjson.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/heuristic.h"
#include "engine/injection.h"
#include "engine/internal.h"
#include "engine/question.h"
#include "engine/sweep.h"
#include "llm/router.h"
#include "optimize/simhash.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANDIDATE_ID_BYTES 16   /* 128-bit ids */
#define TOKEN_SECRET_BYTES 32   /* 256-bit bearer secrets */
#define ROLE_MAX_BYTES 64       /* a role id from data/roles.json */
#define CAND_EARLIER_ANALYSES 4 /* model analyses of earlier resumes a candidate keeps */

enum store_err cand_load(struct engine *e, const char *id, struct cand_ctx *cc)
{
    CHECK(e != NULL && id != NULL && cc != NULL);
    memset(cc, 0, sizeof *cc);
    enum store_err se = store_call(e->store, candidate_get, id, &cc->c);
    if (se != STORE_OK) return se;
    json_error_t je;
    cc->analysis = cc->c.analysis_json
                       ? fastjson_load(cc->c.analysis_json, strlen(cc->c.analysis_json), &je)
                       : NULL;
    if (!cc->analysis) cc->analysis = json_object();
    cc->role = bank_role_find(e->bank, cc->c.role);
    return STORE_OK;
}

void cand_free(struct cand_ctx *cc)
{
    store_candidate_free(&cc->c);
    json_decref(cc->analysis);
    cc->analysis = NULL;
}

/* The email as a profile is keyed: trimmed and lower-cased (ASCII; the domain is
 * case-insensitive and providers treat the local part alike in practice). Caller frees. */
static char *email_key_of(const char *email)
{
    char *k = util_trim(xstrdup(email));
    for (char *p = k; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return k;
}

static int valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@')) return 0;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || dot[1] == 0) return 0;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || *p == '<' || *p == '>') return 0;
    return 1;
}

/* A required string field: returns it or NULL after filling the reply. */
static const char *need_string(const json_t *body, const char *key, long max, int allow_empty,
                               struct engine_reply *out)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_string(v)) {
        engine_fail(out, ENGINE_MISSING, "The field \"%s\" is required and must be a string.", key);
        return NULL;
    }
    const char *s = json_string_value(v);
    if ((long)json_string_length(v) > max) {
        engine_fail(out, ENGINE_INVALID, "The field \"%s\" is longer than the limit of %ld bytes.",
                    key, max);
        return NULL;
    }
    if (!allow_empty) {
        const char *p = s;
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) {
            engine_fail(out, ENGINE_INVALID, "The field \"%s\" must not be empty.", key);
            return NULL;
        }
    }
    return s;
}

/* ---- the analysis ---- */

/* The hash of a resume as analyses remember it: of its normalised text. */
static void resume_hash_of(const char *resume, char out[33])
{
    char *norm = util_normalize_text(resume ? resume : "");
    util_xxh128_hex(norm, strlen(norm), out);
    free(norm);
}

/* 1 if the resume tries to instruct the model (engine/injection.h). */
static int resume_injected(const char *resume)
{
    return resume && injection_check(resume, NULL) != INJECTION_NONE;
}

/* The model analysis of the resume with this hash among what a candidate's analysis
 * carries (itself or one of its "earlier"), or NULL. Borrowed. */
static json_t *analysis_for_hash(const json_t *analysis, const char *hash)
{
    const char *h = json_string_value(json_object_get(analysis, "resume_hash"));
    if (h && strcmp(h, hash) == 0) return (json_t *)analysis;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(analysis, "earlier"), i, v)
    {
        h = json_string_value(json_object_get(v, "resume_hash"));
        if (h && strcmp(h, hash) == 0) return v;
    }
    return NULL;
}

/* A model analysis without its "earlier" list (a new reference). */
static json_t *analysis_alone(const json_t *analysis)
{
    json_t *a = json_deep_copy(analysis);
    json_object_del(a, "earlier");
    return a;
}

/* The "earlier" list for a new current analysis: the model analyses old carries (its
 * own, when it is a model one, first), minus the one for current_hash, at most
 * CAND_EARLIER_ANALYSES. A new reference. */
static json_t *earlier_list(const json_t *old, const char *current_hash)
{
    json_t *out = json_array();
    const char *h = json_string_value(json_object_get(old, "resume_hash"));
    if (h && strcmp(h, current_hash) != 0) json_array_append_new(out, analysis_alone(old));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(old, "earlier"), i, v)
    {
        if (json_array_size(out) >= CAND_EARLIER_ANALYSES) break;
        h = json_string_value(json_object_get(v, "resume_hash"));
        if (h && strcmp(h, current_hash) != 0) json_array_append(out, v);
    }
    return out;
}

/* current (stolen) with the earlier list built from old, as stored text (caller frees). */
static char *analysis_with_earlier(json_t *current, const json_t *old, const char *current_hash)
{
    json_object_set_new(current, "earlier", earlier_list(old, current_hash));
    char *text = json_dumps(current, JSON_COMPACT);
    json_decref(current);
    return text;
}

/* What an analysis call carries to its callback. */
struct analysis_work {
    char candidate_id[33];
    char resume_hash[33]; /* of the resume the model read */
};

/* The model's analysis of one resume: becomes the candidate's analysis if that is still
 * their resume, else joins their earlier analyses (the resume changed meanwhile). */
static void analysis_store(struct engine *e, const struct analysis_work *w, json_t *parsed)
{
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, w->candidate_id, &c);
    if (se == STORE_OK) {
        json_error_t je;
        json_t *old = c.analysis_json ? json_loads(c.analysis_json, 0, &je) : NULL;
        if (!old) old = json_object();
        json_t *fresh = json_deep_copy(parsed);
        json_object_set_new(fresh, "resume_hash", json_string(w->resume_hash));
        int current = c.resume_hash && strcmp(c.resume_hash, w->resume_hash) == 0;
        char *text;
        if (current) {
            text = analysis_with_earlier(fresh, old, w->resume_hash);
        } else { /* keep the current analysis; this one waits among the earlier */
            json_t *keep = json_deep_copy(old), *earlier = json_array();
            json_array_append_new(earlier, fresh);
            size_t i;
            json_t *v;
            json_array_foreach(json_object_get(old, "earlier"), i, v)
            {
                if (json_array_size(earlier) >= CAND_EARLIER_ANALYSES) break;
                const char *h = json_string_value(json_object_get(v, "resume_hash"));
                if (h && strcmp(h, w->resume_hash) != 0) json_array_append(earlier, v);
            }
            json_object_set_new(keep, "earlier", earlier);
            text = json_dumps(keep, JSON_COMPACT);
            json_decref(keep);
        }
        se = store_call(e->store, candidate_set_analysis, w->candidate_id, text,
                        current ? "model" : (c.analysis_source ? c.analysis_source : "heuristic"));
        free(text);
        json_decref(old);
    }
    if (se != STORE_OK && se != STORE_NOT_FOUND) {
        log_warn("analysis_store_failed", "candidate=%s error=\"%s\"", w->candidate_id,
                 store_strerror(se));
        sweep_resume_add(e, w->candidate_id); /* asked again later: the cache answers */
    }
    store_candidate_free(&c);
}

static void analysis_done(struct call *c, json_t *parsed, int from_model, void *data)
{
    struct analysis_work *w = data;
    struct engine *e = call_owner(c);
    if (call_source(c) != CALL_CANCELLED) {
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, call_stats_outcome(c), 1);
        /* without a model's answer the heuristic analysis stored at sign-up stands, and
         * the next interview start asks again */
        if (parsed && from_model) analysis_store(e, w, parsed);
    }
    free(w);
}

void cand_start_analysis(struct engine *e, const struct store_candidate *c)
{
    CHECK(e != NULL && c != NULL && c->id != NULL);
    if (!router_online(e->router) || (!e->auto_mode && e->fixed_mode == BUDGET_OFFLINE)) {
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, STATS_FALLBACK, 1);
        return;
    }
    if (resume_injected(c->resume_text)) {
        /* a resume that instructs the model is read by the heuristic only: it is fenced
         * as data in the prompt anyway, but nothing of it needs to reach a model */
        log_info("resume_injection_flagged", "candidate=%s", c->id);
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, STATS_FALLBACK, 1);
        return;
    }
    char work[CALL_WORK_MAX];
    snprintf(work, sizeof work, "resume:%s", c->id);
    struct call_spec spec = {
        .task = TASK_RESUME_ANALYSIS,
        .work = work,
        .messages = task_resume_analysis(c->role, c->resume_text),
        .scope = c->id, /* one candidate's analysis is never another's */
        .owner = c->id,
        .optional = 1, /* never from the day's reserve for running interviews */
    };
    struct analysis_work *w = xcalloc(1, sizeof *w);
    snprintf(w->candidate_id, sizeof w->candidate_id, "%s", c->id);
    resume_hash_of(c->resume_text, w->resume_hash);
    if (call_start(&e->calls, &spec, analysis_done, w) != CALL_STARTED) free(w);
}

void cand_analyse_for_interview(struct engine *e, const struct cand_ctx *cc, int with_model)
{
    CHECK(e != NULL && cc != NULL && cc->c.id != NULL);
    if (cc->c.analysis_source && strcmp(cc->c.analysis_source, "model") == 0) {
        /* the naive design analyses the resume for every interview: this one is reused */
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, STATS_CACHE, 1);
        return;
    }
    if (!with_model) {
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, STATS_FALLBACK, 1);
        return;
    }
    cand_start_analysis(e, &cc->c);
}

/* ---- the HTTP entries ---- */

void engine_register(struct engine *e, const json_t *body, struct engine_reply *out)
{
    const struct config *cfg = e->cfg;
    const char *name, *email, *role, *resume;
    if (!(name = need_string(body, "name", cfg->max_name_bytes, 0, out)) ||
        !(email = need_string(body, "email", cfg->max_email_bytes, 0, out)) ||
        !(role = need_string(body, "role", ROLE_MAX_BYTES, 0, out)) ||
        !(resume = need_string(body, "resume_text", cfg->max_resume_bytes, 0, out)))
        return;
    char *email_key = email_key_of(email);
    if (!valid_email(email_key)) {
        engine_fail(out, ENGINE_INVALID,
                    "The email address does not look valid (expected name@domain).");
        free(email_key);
        return;
    }
    const struct bank_role *br = bank_role_find(e->bank, role);
    if (!br) {
        engine_fail(out, ENGINE_INVALID, "Unknown role; GET /api/roles lists the roles on offer.");
        free(email_key);
        return;
    }
    char resume_hash[33], token_hash[65];
    resume_hash_of(resume, resume_hash);
    char *id = util_random_id(CANDIDATE_ID_BYTES);
    char *secret = util_random_id(TOKEN_SECRET_BYTES);
    util_sha256_hex(secret, strlen(secret), token_hash);
    json_t *analysis = heuristic_resume_analysis(resume, br->skills);
    char *analysis_text = json_dumps(analysis, JSON_COMPACT);
    json_decref(analysis);
    struct store_candidate c = {
        .id = id,
        .name = (char *)name,
        .email = email_key,
        .email_key = email_key,
        .role = (char *)role,
        .resume_text = (char *)resume,
        .resume_hash = resume_hash,
        .token_hash = token_hash,
        .analysis_json = analysis_text,
        .analysis_source = "heuristic",
        .created_ms = clock_now_ms(),
    };
    enum store_err se = store_call(e->store, candidate_insert, &c);
    if (se == STORE_CONFLICT) {
        /* ids are 128 random bits: the unique key that collides is the email's */
        engine_fail(out, ENGINE_EMAIL_TAKEN,
                    "This email address already has a profile. Sign in with the personal access "
                    "link you were given when you registered; to start afresh, delete that "
                    "profile from its page first.");
        log_info("candidate_email_taken", "role=%s", role);
    } else if (se != STORE_OK) {
        engine_store_failed(out, se);
    } else {
        char token[200];
        snprintf(token, sizeof token, "%s.%s", id, secret);
        engine_ok(out, json_pack("{s:s,s:s}", "candidate_id", id, "token", token));
        log_info("candidate_registered", "candidate=%s role=%s resume_bytes=%zu", id, role,
                 strlen(resume));
        if (resume_injected(resume)) log_info("resume_injection_flagged", "candidate=%s", id);
        /* no provider call: the analysis waits for the first interview (issue 14) */
    }
    memset(secret, 0, strlen(secret));
    free(secret);
    free(id);
    free(analysis_text);
    free(email_key);
}

void engine_update_resume(struct engine *e, const char *candidate_id, const json_t *body,
                          struct engine_reply *out)
{
    const char *resume = need_string(body, "resume_text", e->cfg->max_resume_bytes, 0, out);
    if (resume) engine_update_resume_text(e, candidate_id, resume, out);
}

void engine_update_resume_text(struct engine *e, const char *candidate_id, const char *resume,
                               struct engine_reply *out)
{
    CHECK(e != NULL && candidate_id != NULL && resume != NULL);
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, candidate_id, &c);
    if (se != STORE_OK) {
        engine_candidate_failed(out, se);
        return;
    }
    char hash[33];
    resume_hash_of(resume, hash);
    struct minhash a, b;
    minhash_text(c.resume_text ? c.resume_text : "", &a);
    minhash_text(resume, &b);
    double similarity =
        strcmp(hash, c.resume_hash ? c.resume_hash : "") == 0 ? 1.0 : minhash_jaccard(&a, &b);
    json_error_t je;
    json_t *old = c.analysis_json ? json_loads(c.analysis_json, 0, &je) : NULL;
    if (!old) old = json_object();
    const char *outcome;
    char *analysis_text = NULL;
    const char *source;
    json_t *earlier = analysis_for_hash(old, hash);
    if (similarity >= MINHASH_RESUME_MIN_JACCARD && c.analysis_json) {
        /* the same person's lightly edited resume: their own analysis still holds */
        outcome = similarity >= 1.0 ? "unchanged" : "reused";
        analysis_text = xstrdup(c.analysis_json);
        source = c.analysis_source ? c.analysis_source : "heuristic";
        stats_count(&e->stats, STATS_RESUME_ANALYSIS,
                    similarity >= 1.0 ? STATS_CACHE : STATS_NEAR_DUP, 1);
    } else if (earlier) {
        /* a resume a model analysed before (changed back): its analysis returns, free */
        outcome = "restored";
        analysis_text = analysis_with_earlier(analysis_alone(earlier), old, hash);
        source = "model";
        stats_count(&e->stats, STATS_RESUME_ANALYSIS, STATS_CACHE, 1);
    } else {
        /* a new resume: the heuristic's analysis now, a model's at the next interview */
        outcome = "new";
        const struct bank_role *br = bank_role_find(e->bank, c.role);
        json_t *analysis = heuristic_resume_analysis(resume, br ? br->skills : NULL);
        analysis_text = analysis_with_earlier(analysis, old, hash);
        source = "heuristic";
    }
    json_decref(old);
    se = store_call(e->store, candidate_set_resume, candidate_id, resume, hash, analysis_text,
                    source);
    if (se != STORE_OK) {
        engine_store_failed(out, se);
    } else {
        json_t *flags = json_array();
        if (resume_injected(resume)) json_array_append_new(flags, json_string("injection_attempt"));
        engine_ok(out, json_pack("{s:s,s:f,s:o}", "analysis", outcome, "similarity", similarity,
                                 "resume_flags", flags));
        log_info("resume_updated", "candidate=%s analysis=%s similarity=%.2f", candidate_id,
                 outcome, similarity);
    }
    free(analysis_text);
    store_candidate_free(&c);
}

enum engine_err engine_authenticate(struct engine *e, const char *token, char id_out[33])
{
    const char *dot = token ? strchr(token, '.') : NULL;
    if (!dot || dot - token != 2 * CANDIDATE_ID_BYTES) return ENGINE_UNAUTHORIZED;
    char id[33];
    memcpy(id, token, 32);
    id[32] = 0;
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)id[i])) return ENGINE_UNAUTHORIZED;
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, id, &c);
    if (se == STORE_NOT_FOUND) return ENGINE_UNAUTHORIZED;
    if (se != STORE_OK) return ENGINE_UNAVAILABLE;
    char hash[65];
    util_sha256_hex(dot + 1, strlen(dot + 1), hash);
    int good = util_ct_equal(c.token_hash, hash);
    store_candidate_free(&c);
    if (!good) return ENGINE_UNAUTHORIZED;
    memcpy(id_out, id, 33);
    return ENGINE_OK;
}

/* ---- interviews ---- */

void engine_candidate_me(struct engine *e, const char *candidate_id, struct engine_reply *out)
{
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, candidate_id, &c);
    if (se != STORE_OK) {
        engine_candidate_failed(out, se);
        return;
    }
    struct store_interview_list l = {0};
    se = store_call(e->store, interview_list_by_candidate, candidate_id, &l);
    if (se != STORE_OK) {
        engine_store_failed(out, se);
        store_candidate_free(&c);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < l.len; i++) {
        const struct store_interview *iv = &l.items[i];
        json_t *score = json_null();
        if (iv->report_json) {
            json_error_t je;
            json_t *rep = fastjson_load(iv->report_json, strlen(iv->report_json), &je);
            json_t *s = json_object_get(rep, "overall_score");
            if (s) {
                json_decref(score);
                score = json_incref(s);
            }
            json_decref(rep);
        }
        char ts[32];
        clock_format_iso(iv->created_ms, ts, sizeof ts);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o}", "interview_id",
                                             iv->id, "kind", iv->kind, "mode", iv->mode, "state",
                                             iv->state, "created_at", ts, "answered",
                                             iv->next_index, "overall_score", score));
    }
    const struct bank_role *role = bank_role_find(e->bank, c.role);
    /* the resume itself is never sent back (CONTRACT: no response holds one): its size
     * tells the candidate which version is on file; resume_flags names one that tries to
     * instruct the model */
    json_t *resume_flags = json_array();
    if (resume_injected(c.resume_text))
        json_array_append_new(resume_flags, json_string("injection_attempt"));
    engine_ok(out, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:i,s:o,s:o}", "candidate_id", c.id, "name",
                             c.name, "email", c.email ? c.email : "", "role", c.role, "role_title",
                             role ? role->title : c.role, "analysis_ready",
                             c.analysis_source && strcmp(c.analysis_source, "model") == 0,
                             "resume_words", util_word_count(c.resume_text ? c.resume_text : ""),
                             "interviews", arr, "resume_flags", resume_flags));
    store_interview_list_free(&l);
    store_candidate_free(&c);
}

void engine_set_role(struct engine *e, const char *candidate_id, const json_t *body,
                     struct engine_reply *out)
{
    const char *role = need_string(body, "role", ROLE_MAX_BYTES, 0, out);
    if (!role) return;
    const struct bank_role *br = bank_role_find(e->bank, role);
    if (!br) {
        engine_fail(out, ENGINE_INVALID, "Unknown role; GET /api/roles lists the roles on offer.");
        return;
    }
    struct store_candidate c = {0};
    enum store_err se = store_call(e->store, candidate_get, candidate_id, &c);
    if (se != STORE_OK) {
        engine_candidate_failed(out, se);
        return;
    }
    if (c.role && strcmp(c.role, role) == 0) { /* nothing changes: no new analysis */
        engine_ok(out, json_pack("{s:s,s:s}", "role", role, "role_title", br->title));
        store_candidate_free(&c);
        return;
    }
    /* the analysis reads the resume against the role's skills: a new role, a new one */
    json_t *analysis = heuristic_resume_analysis(c.resume_text ? c.resume_text : "", br->skills);
    char *analysis_text = json_dumps(analysis, JSON_COMPACT);
    json_decref(analysis);
    se = store_call(e->store, candidate_set_role, candidate_id, role, analysis_text, "heuristic");
    if (se != STORE_OK) {
        engine_candidate_failed(out, se);
    } else {
        engine_ok(out, json_pack("{s:s,s:s}", "role", role, "role_title", br->title));
        log_info("role_changed", "candidate=%s role=%s", candidate_id, role);
        /* no provider call: a model reads the resume for the new role when the next
         * interview starts (issue 14); analyses made for the old role are dropped */
    }
    free(analysis_text);
    store_candidate_free(&c);
}

/* ---- erasure ---- */

void engine_erase_candidate(struct engine *e, const char *candidate_id, struct engine_reply *out)
{
    CHECK(e != NULL && candidate_id != NULL && out != NULL);
    /* the cache entries first: their record is in the rows the erasure removes */
    char prefix[64];
    call_owner_prefix(candidate_id, prefix, sizeof prefix);
    struct store_key_list owned = {0};
    enum store_err se = store_call(e->store, kv_list_prefix, prefix, &owned);
    if (se != STORE_OK) {
        engine_store_failed(out, se);
        return;
    }
    int cache_entries = 0, failed = 0;
    for (size_t i = 0; i < owned.len; i++) {
        if (call_cache_forget(&e->calls, owned.keys[i] + strlen(prefix)) == 0)
            cache_entries++;
        else
            failed++;
    }
    store_key_list_free(&owned);
    if (failed) {
        /* the records stay, so a retry finds the entries again */
        engine_fail(out, ENGINE_UNAVAILABLE,
                    "The cache could not delete %d of your stored results right now; nothing "
                    "was erased. Retry in a minute.",
                    failed);
        return;
    }
    se = store_call(e->store, candidate_erase, candidate_id);
    if (se == STORE_NOT_FOUND) {
        engine_fail(out, ENGINE_NOT_FOUND, "No such candidate.");
        return;
    }
    if (se != STORE_OK) {
        engine_store_failed(out, se);
        return;
    }
    question_forget_candidate(e, candidate_id);
    log_info("candidate_erased", "candidate=%s cache_entries=%d", candidate_id, cache_entries);
    engine_ok(out, json_pack("{s:b,s:i}", "erased", 1, "cache_entries", cache_entries));
}

/* ---- privacy ---- */

/* The host of a base URL ("https://api.groq.com/openai/v1" -> "api.groq.com"). */
static void url_host(const char *url, char *out, size_t n)
{
    const char *p = strstr(url ? url : "", "://");
    p = p ? p + 3 : (url ? url : "");
    size_t len = strcspn(p, "/:?#");
    snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), p);
}

json_t *engine_privacy(struct engine *e)
{
    json_t *status = router_status_json(e->router);
    json_t *list = json_array();
    int offline = !e->auto_mode && e->fixed_mode == BUDGET_OFFLINE;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(status, "providers"), i, d)
    {
        const char *name = json_string_value(json_object_get(d, "name"));
        const char *state = json_string_value(json_object_get(d, "state"));
        if (offline || !name || (state && strcmp(state, "disabled") == 0)) continue;
        const char *base = "";
        for (int k = 0; k < e->cfg->n_providers; k++)
            if (strcmp(e->cfg->providers[k].name, name) == 0) base = e->cfg->providers[k].base_url;
        char host[256];
        url_host(base, host, sizeof host);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "name", name, "host", host, "model",
                                              json_string_value(json_object_get(d, "model"))
                                                  ? json_string_value(json_object_get(d, "model"))
                                                  : ""));
    }
    json_decref(status);
    struct sbuf text = {0};
    if (json_array_size(list) == 0) {
        sbuf_puts(&text, "Nowhere: no AI provider is configured, so your resume and answers stay "
                         "on this server and are scored here.");
    } else {
        sbuf_puts(&text, "Your resume and your answers are sent to ");
        json_array_foreach(list, i, d)
        {
            sbuf_printf(&text, "%s%s (%s)",
                        i == 0                           ? ""
                        : i + 1 == json_array_size(list) ? " and "
                                                         : ", ",
                        json_string_value(json_object_get(d, "name")),
                        json_string_value(json_object_get(d, "host")));
        }
        sbuf_puts(&text, ", the AI provider");
        sbuf_puts(&text, json_array_size(list) == 1 ? "" : "s");
        sbuf_puts(&text, " this server uses, to tailor your questions and score your answers. "
                         "They are stored on this server until you delete your data.");
    }
    json_t *r = json_pack("{s:b,s:o,s:s}", "offline", json_array_size(list) == 0, "providers", list,
                          "text", text.data);
    sbuf_free(&text);
    return r;
}
