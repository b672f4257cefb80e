/* admin: the operator console's routes (see admin.h).
 *
 * Everything here reads the store through the engine's read-only queries
 * (interview_search, score_distribution, question_usage) or the engine's own views, so
 * every instance sharing a store shows the same lists. Pages and exports are bounded
 * (ADMIN_MAX_PER_PAGE, ADMIN_EXPORT_MAX_ROWS) because an admin request runs on the
 * event loop like any other. */
#include "api/admin.h"

#include "api/alerts.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/bank.h"
#include "engine/engine.h"
#include "http/http.h"
#include "http/reqinfo.h"
#include "llm/quota_share.h"
#include "llm/router.h"
#include "store/store.h"

#include <ctype.h>
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ADMIN_DEFAULT_PER_PAGE 25
#define ADMIN_MAX_PER_PAGE 100
#define ADMIN_MAX_PAGE 100000       /* offset bound: pages beyond are refused */
#define ADMIN_EXPORT_MAX_ROWS 50000 /* rows of one CSV export */
#define ADMIN_EXPORT_CHUNK 500      /* rows read from the store at a time */
#define ADMIN_MAX_PARAM 256         /* bytes of one query parameter */
#define ADMIN_USAGE_MAX_ROWS 5000   /* distinct question ids read for the bank view */
#define DAY_MS 86400000LL

struct admin {
    const struct config *cfg;
    struct engine *engine;
    char *token;          /* full access; NULL: not configured */
    char *readonly_token; /* views only; NULL: not configured */
    struct alerts *alerts;
};

static char *token_from_env(const char *env, const char *what)
{
    const char *t = env && *env ? getenv(env) : NULL;
    if (t && *t) return xstrdup(t);
    log_info("admin_token_unset", "token=%s reason=\"environment variable %s is not set\"", what,
             env && *env ? env : "(none)");
    return NULL;
}

struct admin *admin_new(const struct config *cfg, struct engine *engine)
{
    struct admin *a = xcalloc(1, sizeof *a);
    a->cfg = cfg;
    a->engine = engine;
    a->token = token_from_env(cfg->admin_token_env, "full");
    a->readonly_token = token_from_env(cfg->admin_readonly_token_env, "read_only");
    if (a->token && a->readonly_token && strcmp(a->token, a->readonly_token) == 0) {
        /* The same secret cannot be both: it would be read-only and full at once. */
        log_warn("admin_token_ambiguous", "reason=\"the read-only admin token equals the full "
                                          "one; the read-only token is ignored\"");
        memset(a->readonly_token, 0, strlen(a->readonly_token));
        free(a->readonly_token);
        a->readonly_token = NULL;
    }
    return a;
}

static void wipe(char *s)
{
    if (!s) return;
    memset(s, 0, strlen(s));
    free(s);
}

void admin_free(struct admin *a)
{
    if (!a) return;
    wipe(a->token);
    wipe(a->readonly_token);
    free(a);
}

void admin_set_alerts(struct admin *a, struct alerts *al)
{
    a->alerts = al;
}

enum admin_role admin_role_of(const struct admin *a, struct http_req *r)
{
    const char *tok = http_bearer(r);
    if (!tok) return ADMIN_NONE;
    /* both compared, so the time taken does not tell which one matched */
    int full = a->token && util_ct_equal(a->token, tok);
    int ro = a->readonly_token && util_ct_equal(a->readonly_token, tok);
    return full ? ADMIN_FULL : ro ? ADMIN_READ_ONLY : ADMIN_NONE;
}

int admin_require_view(struct admin *a, struct http_req *r)
{
    if (!a->token && !a->readonly_token) {
        http_reply_error(r, 401, "unauthorized",
                         "Admin access is disabled: set the environment variable named by "
                         "[server] admin_token_env (or admin_readonly_token_env).");
        return -1;
    }
    if (admin_role_of(a, r) == ADMIN_NONE) {
        http_reply_error(r, 401, "unauthorized",
                         "This route needs an admin token as \"Bearer <token>\".");
        return -1;
    }
    return 0;
}

/* Changes: the full token only; the read-only one gets 403. */
static int require_full(struct admin *a, struct http_req *r)
{
    if (admin_require_view(a, r) != 0) return -1;
    if (admin_role_of(a, r) == ADMIN_FULL) return 0;
    http_reply_error(r, 403, "read_only_token",
                     "The read-only admin token can view but not change anything; use the full "
                     "admin token for this.");
    return -1;
}

/* ---- query parameters ---- */

struct query {
    struct evkeyvalq kv;
    int parsed;
};

static void query_parse(struct http_req *r, struct query *q)
{
    TAILQ_INIT(&q->kv);
    q->parsed = 0;
    const struct evhttp_uri *u = r->req ? evhttp_request_get_evhttp_uri(r->req) : NULL;
    const char *s = u ? evhttp_uri_get_query(u) : NULL;
    if (s && evhttp_parse_query_str(s, &q->kv) == 0) q->parsed = 1;
}

static void query_free(struct query *q)
{
    evhttp_clear_headers(&q->kv);
}

/* The parameter's value, or NULL when absent or empty. */
static const char *param(struct query *q, const char *name)
{
    const char *v = q->parsed ? evhttp_find_header(&q->kv, name) : NULL;
    return v && *v ? v : NULL;
}

/* A whole decimal number in [lo, hi]: 0, else -1. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!isdigit((unsigned char)*s) || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* A date: YYYY-MM-DD (UTC midnight; with end_of_day the midnight after) or milliseconds
 * since 1970. 0, else -1. */
static int parse_date(const char *s, int end_of_day, int64_t *ms)
{
    int y, m, d;
    char tail;
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 &&
        m <= 12 && d >= 1 && d <= 31 && y >= 1970 && y < 10000) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
        time_t t = timegm(&tm);
        if (t == (time_t)-1) return -1;
        *ms = (int64_t)t * 1000 + (end_of_day ? DAY_MS : 0);
        return 0;
    }
    long v;
    if (parse_long(s, 0, 253402300799999L, &v) != 0) return -1; /* before year 10000 */
    *ms = v;
    return 0;
}

/* A short identifier-like text (role, kind, state): letters, digits, _ - . only. */
static int plain_word(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && s[n] != '_' && s[n] != '-' && s[n] != '.') return 0;
    return n > 0 && n <= 64;
}

/* Fills f from the query string; on a bad value replies 422 and returns -1. */
static int read_filter(struct http_req *r, struct query *q, struct store_interview_filter *f)
{
    memset(f, 0, sizeof *f);
    const char *bad = NULL, *why = NULL;
    f->candidate = param(q, "candidate");
    f->role = param(q, "role");
    f->kind = param(q, "kind");
    f->state = param(q, "state");
    const char *from = param(q, "from"), *to = param(q, "to");
    if (f->candidate && (strlen(f->candidate) > ADMIN_MAX_PARAM ||
                         !util_utf8_valid(f->candidate, strlen(f->candidate)))) {
        bad = "candidate";
        why = "at most 256 bytes of UTF-8 (an id, or part of a name or email)";
    } else if (f->role && !plain_word(f->role)) {
        bad = "role";
        why = "a role id such as backend_engineer";
    } else if (f->kind && strcmp(f->kind, "technical") != 0 && strcmp(f->kind, "behavioral") != 0 &&
               strcmp(f->kind, "mixed") != 0) {
        bad = "kind";
        why = "technical, behavioral or mixed";
    } else if (f->state && !plain_word(f->state)) {
        bad = "state";
        why = "a state such as active or finished";
    } else if (from && parse_date(from, 0, &f->from_ms) != 0) {
        bad = "from";
        why = "a date as YYYY-MM-DD (UTC) or milliseconds since 1970";
    } else if (to && parse_date(to, 1, &f->to_ms) != 0) {
        bad = "to";
        why = "a date as YYYY-MM-DD (UTC, inclusive) or milliseconds since 1970";
    } else if (f->from_ms && f->to_ms && f->to_ms <= f->from_ms) {
        bad = "to";
        why = "a date after from";
    }
    if (!bad) return 0;
    char msg[256];
    snprintf(msg, sizeof msg, "Query parameter %s: use %s.", bad, why);
    http_reply_error(r, 422, "invalid_value", msg);
    return -1;
}

static json_t *iso_or_null(int64_t ms)
{
    if (ms <= 0) return json_null();
    char buf[40];
    clock_format_iso(ms, buf, sizeof buf);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *row_json(const struct store_interview_row *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(w->id));
    json_object_set_new(o, "candidate",
                        json_pack("{s:s,s:o,s:o}", "id", w->candidate_id, "name",
                                  str_or_null(w->candidate_name), "email",
                                  str_or_null(w->candidate_email)));
    json_object_set_new(o, "role", str_or_null(w->role));
    json_object_set_new(o, "kind", str_or_null(w->kind));
    json_object_set_new(o, "mode", str_or_null(w->mode));
    json_object_set_new(o, "state", str_or_null(w->state));
    json_object_set_new(o, "started", iso_or_null(w->created_ms));
    json_object_set_new(o, "started_ms", json_integer(w->created_ms));
    json_object_set_new(o, "finished", iso_or_null(w->finished_ms));
    json_object_set_new(o, "questions", json_integer(w->total_questions));
    json_object_set_new(o, "answered", json_integer(w->next_index));
    json_object_set_new(o, "overall_score",
                        w->overall_score >= 0 ? json_integer(w->overall_score) : json_null());
    return o;
}

static void reply_store_error(struct http_req *r, enum store_err se)
{
    log_warn("admin_store_error", "path=%s error=\"%s\"", r->path, store_strerror(se));
    http_reply_error(r, 503, "unavailable", "The store did not answer; retry in a moment.");
}

/* GET /api/admin/interviews */
static void list_interviews(struct admin *a, struct http_req *r, struct query *q)
{
    struct store_interview_filter f;
    if (read_filter(r, q, &f) != 0) return;
    long page = 1, per_page = ADMIN_DEFAULT_PER_PAGE;
    const char *p = param(q, "page"), *pp = param(q, "per_page");
    if ((p && parse_long(p, 1, ADMIN_MAX_PAGE, &page) != 0) ||
        (pp && parse_long(pp, 1, ADMIN_MAX_PER_PAGE, &per_page) != 0)) {
        http_reply_error(r, 422, "invalid_value",
                         "Query parameters page (1..100000) and per_page (1..100) are whole "
                         "numbers.");
        return;
    }
    f.limit = (int)per_page;
    f.offset = (int)((page - 1) * per_page);
    struct store_interview_row_list l;
    long total = 0;
    enum store_err se = store_call(engine_store(a->engine), interview_search, &f, &l, &total);
    if (se != STORE_OK) {
        reply_store_error(r, se);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < l.len; i++)
        json_array_append_new(arr, row_json(&l.items[i]));
    store_interview_row_list_free(&l);
    http_reply_json(r, 200,
                    json_pack("{s:o,s:i,s:i,s:I,s:I}", "interviews", arr, "page", (int)page,
                              "per_page", (int)per_page, "total", (json_int_t)total, "pages",
                              (json_int_t)((total + per_page - 1) / per_page)));
}

/* ---- CSV ---- */

void admin_csv_cell(struct sbuf *out, const char *s)
{
    if (!s) return;
    int formula =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote) sbuf_puts(out, "\"");
    if (formula) sbuf_puts(out, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"') sbuf_puts(out, "\"");
        sbuf_append(out, p, 1);
    }
    if (quote) sbuf_puts(out, "\"");
}

static void csv_row(struct sbuf *out, const struct store_interview_row *w)
{
    char started[40] = "", finished[40] = "";
    if (w->created_ms > 0) clock_format_iso(w->created_ms, started, sizeof started);
    if (w->finished_ms > 0) clock_format_iso(w->finished_ms, finished, sizeof finished);
    const char *cells[] = {
        w->id,   started, finished, w->candidate_id, w->candidate_name, w->candidate_email,
        w->role, w->kind, w->mode,  w->state};
    for (size_t i = 0; i < ARRAY_LEN(cells); i++) {
        if (i) sbuf_puts(out, ",");
        admin_csv_cell(out, cells[i]);
    }
    sbuf_printf(out, ",%d,%d,", w->total_questions, w->next_index);
    if (w->overall_score >= 0) sbuf_printf(out, "%d", w->overall_score);
    sbuf_puts(out, "\r\n");
}

/* GET /api/admin/export: the interviews the same filter lists, oldest last, as CSV. */
static void export_csv(struct admin *a, struct http_req *r, struct query *q)
{
    struct store_interview_filter f;
    if (read_filter(r, q, &f) != 0) return;
    struct sbuf out = {0};
    sbuf_puts(&out, "interview_id,started_utc,finished_utc,candidate_id,candidate_name,"
                    "candidate_email,role,kind,mode,state,questions,answered,overall_score\r\n");
    long total = 0;
    int rows = 0;
    for (f.offset = 0; rows < ADMIN_EXPORT_MAX_ROWS; f.offset += ADMIN_EXPORT_CHUNK) {
        f.limit = ADMIN_EXPORT_CHUNK;
        struct store_interview_row_list l;
        enum store_err se = store_call(engine_store(a->engine), interview_search, &f, &l, &total);
        if (se != STORE_OK) {
            sbuf_free(&out);
            reply_store_error(r, se);
            return;
        }
        for (size_t i = 0; i < l.len && rows < ADMIN_EXPORT_MAX_ROWS; i++, rows++)
            csv_row(&out, &l.items[i]);
        size_t got = l.len;
        store_interview_row_list_free(&l);
        if (got < ADMIN_EXPORT_CHUNK) break;
    }
    if (total > rows) {
        sbuf_free(&out);
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%ld interviews match; one export holds at most %d: narrow the dates.", total,
                 ADMIN_EXPORT_MAX_ROWS);
        http_reply_error(r, 422, "export_too_large", msg);
        return;
    }
    http_add_header(r, "Content-Disposition", "attachment; filename=\"interviews.csv\"");
    http_reply_text(r, 200, "text/csv; charset=utf-8", out.data ? out.data : "");
    sbuf_free(&out);
}

/* ---- analytics ---- */

static int read_range(struct http_req *r, struct query *q, int64_t *from_ms, int64_t *to_ms)
{
    struct store_interview_filter f;
    if (read_filter(r, q, &f) != 0) return -1;
    *from_ms = f.from_ms;
    *to_ms = f.to_ms;
    return 0;
}

/* GET /api/admin/scores */
static void scores(struct admin *a, struct http_req *r, struct query *q)
{
    int64_t from, to;
    if (read_range(r, q, &from, &to) != 0) return;
    struct store_agg_list l;
    enum store_err se = store_call(engine_store(a->engine), score_distribution, from, to, &l);
    if (se != STORE_OK) {
        reply_store_error(r, se);
        return;
    }
    json_t *groups = json_array();
    json_t *g = NULL;
    const char *role = NULL, *kind = NULL;
    long n = 0;
    double sum = 0;
    for (size_t i = 0; i <= l.len; i++) {
        const struct store_agg *x = i < l.len ? &l.items[i] : NULL;
        int same = x && g && strcmp(x->k1 ? x->k1 : "", role ? role : "") == 0 &&
                   strcmp(x->k2 ? x->k2 : "", kind ? kind : "") == 0;
        if (g && !same) { /* close the group */
            json_object_set_new(g, "interviews", json_integer(n));
            json_object_set_new(g, "average", json_real(n ? sum / (double)n : 0));
            json_array_append_new(groups, g);
            g = NULL;
        }
        if (!x) break;
        if (!g) {
            role = x->k1;
            kind = x->k2;
            n = 0;
            sum = 0;
            json_t *buckets = json_array();
            for (int b = 0; b < 10; b++)
                json_array_append_new(buckets, json_integer(0));
            g = json_pack("{s:o,s:o,s:o}", "role", str_or_null(x->k1), "kind", str_or_null(x->k2),
                          "buckets", buckets);
        }
        if (x->m >= 0 && x->m < 10)
            json_array_set_new(json_object_get(g, "buckets"), (size_t)x->m, json_integer(x->n));
        n += (long)x->n;
        sum += x->sum;
    }
    store_agg_list_free(&l);
    http_reply_json(r, 200,
                    json_pack("{s:o,s:o}", "bucket_width", json_integer(10), "groups", groups));
}

/* GET /api/admin/questions */
static void questions(struct admin *a, struct http_req *r, struct query *q)
{
    int64_t from, to;
    if (read_range(r, q, &from, &to) != 0) return;
    struct store *s = engine_store(a->engine);
    struct store_agg_list use, retired;
    enum store_err se = store_call(s, question_usage, from, to, ADMIN_USAGE_MAX_ROWS, &use);
    if (se == STORE_OK) {
        se = store_call(s, question_retired_list, &retired);
        if (se != STORE_OK) store_agg_list_free(&use);
    }
    if (se != STORE_OK) {
        reply_store_error(r, se);
        return;
    }
    const struct bank *b = engine_bank(a->engine);
    json_t *arr = json_array();
    long other_asked = 0;
    for (size_t i = 0; i < use.len; i++) /* asked but not a template: generated, follow-up */
        if (!bank_question_find(b, use.items[i].k1)) other_asked += (long)use.items[i].n;
    for (int i = 0; i < b->n_questions; i++) {
        const struct bank_question *bq = &b->questions[i];
        long asked = 0, scored = 0;
        double sum = 0;
        for (size_t k = 0; k < use.len; k++)
            if (strcmp(use.items[k].k1, bq->id) == 0) {
                asked = (long)use.items[k].n;
                scored = (long)use.items[k].m;
                sum = use.items[k].sum;
                break;
            }
        int64_t retired_ms = 0;
        for (size_t k = 0; k < retired.len; k++)
            if (strcmp(retired.items[k].k1, bq->id) == 0) retired_ms = retired.items[k].n;
        json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:I,s:I,s:o,s:b,s:o}", "id", bq->id, "category",
                              bq->category, "text", bq->text, "difficulty", bq->difficulty, "asked",
                              (json_int_t)asked, "scored", (json_int_t)scored, "average_score",
                              scored ? json_real(sum / (double)scored) : json_null(), "retired",
                              retired_ms > 0 || bq->retired, "retired_at", iso_or_null(retired_ms));
        json_array_append_new(arr, o);
    }
    store_agg_list_free(&use);
    store_agg_list_free(&retired);
    http_reply_json(r, 200,
                    json_pack("{s:o,s:I,s:s}", "questions", arr, "other_asked",
                              (json_int_t)other_asked, "score_scale", "1..5"));
}

/* POST /api/admin/questions/{id}/retire */
static void retire(struct admin *a, struct http_req *r, const char *id)
{
    if (require_full(a, r) != 0) return;
    enum engine_err e = engine_retire_question(a->engine, id);
    if (e == ENGINE_NOT_FOUND) {
        http_reply_error(r, 404, "not_found", "No question template has that id.");
        return;
    }
    if (e != ENGINE_OK) {
        http_reply_error(r, 503, "unavailable", "The store did not answer; retry in a moment.");
        return;
    }
    http_reply_json(r, 200, json_pack("{s:s,s:b}", "id", id, "retired", 1));
}

/* GET /api/admin/status: what the dashboard's banner shows, worst first. */
static void status(struct admin *a, struct http_req *r)
{
    json_t *warnings = json_array();
    json_t *prov = router_status_json(engine_router(a->engine));
    size_t i;
    json_t *p;
    int configured = 0, online = 0;
    json_array_foreach(json_object_get(prov, "providers"), i, p)
    {
        configured++;
        const char *state = json_string_value(json_object_get(p, "state"));
        if (!state || strcmp(state, "disabled") != 0) {
            online++;
            continue;
        }
        char msg[640];
        snprintf(msg, sizeof msg, "Deployment %s is disabled: %s.",
                 json_string_value(json_object_get(p, "name")),
                 json_string_value(json_object_get(p, "reason")));
        json_array_append_new(
            warnings, json_pack("{s:s,s:s,s:s}", "code", "provider_disabled", "provider",
                                json_string_value(json_object_get(p, "name")), "message", msg));
    }
    json_decref(prov);
    if (configured > 0 && online == 0)
        json_array_append_new(warnings,
                              json_pack("{s:s,s:s}", "code", "offline", "message",
                                        "No deployment can be used: every answer is scored by the "
                                        "heuristic rubric until a provider key is set."));
    if (engine_store_down(a->engine))
        json_array_append_new(warnings,
                              json_pack("{s:s,s:s}", "code", "store_unreachable", "message",
                                        "The store refused the last write of the counters."));
    if (alerts_redis_down(a->alerts))
        json_array_append_new(warnings,
                              json_pack("{s:s,s:s}", "code", "redis_unreachable", "message",
                                        "Redis ([redis] url) is unreachable."));
    json_t *doc = json_pack("{s:o,s:s,s:o}", "warnings", warnings, "role",
                            admin_role_of(a, r) == ADMIN_FULL ? "full" : "read_only", "alerts",
                            alerts_status_json(a->alerts));
    http_reply_json(r, 200, doc);
}

static int method_is(struct http_req *r, const char *m)
{
    if (strcmp(r->method, m) == 0) return 1;
    if (strcmp(m, "GET") == 0 && strcmp(r->method, "HEAD") == 0) return 1;
    http_reply_error(r, 405, "method_not_allowed", "This route does not accept that method.");
    return 0;
}

int admin_handle(struct admin *a, struct http_req *r)
{
    if (r->n_segments < 3 || strcmp(r->segments[0], "api") != 0 ||
        strcmp(r->segments[1], "admin") != 0)
        return 0;
    const char *what = r->segments[2];
    /* Erasing a candidate (DELETE /api/admin/candidates/{id}) is api.c's route, with the
     * candidate's own erasure; who may do it is decided here: the full token only. */
    if (r->n_segments == 4 && strcmp(what, "candidates") == 0 && strcmp(r->method, "DELETE") == 0)
        return require_full(a, r) != 0; /* replied 401/403, or on to api.c */
    if (r->n_segments == 5 && strcmp(what, "questions") == 0 &&
        strcmp(r->segments[4], "retire") == 0) {
        if (method_is(r, "POST")) retire(a, r, r->segments[3]);
        return 1;
    }
    if (r->n_segments != 3) return 0; /* api.c's, or its 404 */
    if (!method_is(r, "GET") || admin_require_view(a, r) != 0) return 1;
    struct query q;
    query_parse(r, &q);
    if (strcmp(what, "interviews") == 0)
        list_interviews(a, r, &q);
    else if (strcmp(what, "export") == 0)
        export_csv(a, r, &q);
    else if (strcmp(what, "scores") == 0)
        scores(a, r, &q);
    else if (strcmp(what, "questions") == 0)
        questions(a, r, &q);
    else if (strcmp(what, "status") == 0)
        status(a, r);
    else
        http_reply_error(r, 404, "not_found", "No such route.");
    query_free(&q);
    return 1;
}
