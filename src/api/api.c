/* api: routes -> engine calls; see api.h. Every handler either replies before it
 * returns or defers the request and replies from the engine's callback. */
#include "api/api.h"

#include "api/admin.h"
#include "api/alerts.h"
#include "api/gateway.h"
#include "api/pdftext.h"
#include "api/throttle.h"
#include "http/reqinfo.h"
#include "core/log.h"
#include "llm/router.h"
#include "optimize/history.h"
#include "optimize/stats.h"
#include "store/store.h"
#include "core/clock.h"
#include "engine/budget.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct api {
    const struct config *cfg;
    struct engine *engine;
    struct admin *admin;       /* admin tokens and /api/admin/ routes */
    struct alerts *alerts;     /* trouble told to a webhook; NULL until api_start_history */
    struct stats totals;       /* scratch: the store's counters, for a snapshot or a scrape */
    struct gateway *gateway;   /* /v1, the OpenAI-compatible API */
    struct history *history;   /* dashboard charts; NULL until api_start_history */
    struct throttle *throttle; /* sign-ups and resume changes per address and subnet */
    char **invite_codes;       /* from the environment; none: sign-up is open */
    size_t n_invite_codes;
    struct pdftext *pdf; /* resumes sent as PDF files, read in a child process */
};

/* Issue 14: the invite codes of [server] invite_codes_env, comma-separated. */
static void load_invite_codes(struct api *a, const struct config *cfg)
{
    const char *v =
        cfg->invite_codes_env && *cfg->invite_codes_env ? getenv(cfg->invite_codes_env) : NULL;
    for (const char *p = v; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char *code = util_trim(xstrndup(p, n));
        if (*code) {
            a->invite_codes =
                xrealloc(a->invite_codes, (a->n_invite_codes + 1) * sizeof *a->invite_codes);
            a->invite_codes[a->n_invite_codes++] = code;
        } else {
            free(code);
        }
        p = end ? end + 1 : p + n;
    }
    if (a->n_invite_codes)
        log_info("invite_required", "codes=%zu env=%s", a->n_invite_codes, cfg->invite_codes_env);
}

struct api *api_new(const struct config *cfg, struct engine *engine, struct cache *cache)
{
    struct api *a = xcalloc(1, sizeof *a);
    a->cfg = cfg;
    a->engine = engine;
    a->admin = admin_new(cfg, engine);
    a->gateway = gateway_new(cfg, engine_router(engine), engine_stats_mut(engine), cache);
    a->throttle = throttle_new();
    load_invite_codes(a, cfg);
    if (engine_event_base(engine)) a->pdf = pdftext_new(engine_event_base(engine), cfg);
    return a;
}

/* history_input_fn: the numbers a dashboard snapshot is made of. */
static void history_input(struct history_input *in, void *data)
{
    struct api *a = data;
    struct engine_interview_counts c;
    engine_interview_counts(a->engine, &c, &in->mode_now);
    /* the store's numbers (every instance, every restart), not this process's */
    engine_stats_totals(a->engine, &a->totals, &c);
    in->stats = &a->totals;
    in->router = engine_router(a->engine);
    in->interviews_started = c.started;
    in->interviews_finished = c.finished;
    in->reports_ready = c.reports;
    for (int m = 0; m < ENGINE_MODES && m < HISTORY_MAX_MODES; m++) {
        in->modes[in->n_modes++] = (struct history_mode){
            .name = budget_mode_name((enum budget_mode)m),
            .started = c.started_by_mode[m],
            .in_progress = c.in_progress_by_mode[m],
        };
        in->interviews_in_progress += c.in_progress_by_mode[m];
    }
}

void api_start_history(struct api *a, struct event_base *base)
{
    if (a->history) return;
    a->history = history_new(base, HISTORY_INTERVAL_MS, HISTORY_CAPACITY, history_input, a);
    history_set_store(a->history, engine_store(a->engine));
    router_set_observer(engine_router(a->engine), history_observe, a->history);
    if (base && !a->alerts) {
        a->alerts = alerts_new(base, a->cfg, a->engine);
        admin_set_alerts(a->admin, a->alerts);
    }
}

void api_set_quota_share(struct api *a, struct quota_share *qs)
{
    alerts_set_share(a->alerts, qs);
}

struct alerts *api_alerts(struct api *a)
{
    return a->alerts;
}

void api_free(struct api *a)
{
    if (!a) return;
    pdftext_free(a->pdf);
    gateway_free(a->gateway);
    history_free(a->history);
    alerts_free(a->alerts);
    admin_free(a->admin);
    throttle_free(a->throttle);
    for (size_t i = 0; i < a->n_invite_codes; i++) {
        memset(a->invite_codes[i], 0, strlen(a->invite_codes[i]));
        free(a->invite_codes[i]);
    }
    free(a->invite_codes);
    free(a);
}

static int status_for(enum engine_err e, const char **code)
{
    switch (e) {
    case ENGINE_OK:
        *code = "ok";
        return 200;
    case ENGINE_NOT_FOUND:
        *code = "not_found";
        return 404;
    case ENGINE_MISSING:
        *code = "missing_field";
        return 400;
    case ENGINE_INVALID:
        *code = "invalid_value";
        return 422;
    case ENGINE_WRONG_QUESTION:
        *code = "wrong_question";
        return 409;
    case ENGINE_FINISHED:
        *code = "interview_finished";
        return 409;
    case ENGINE_LIMIT:
        *code = "too_many_interviews";
        return 429;
    case ENGINE_UNAUTHORIZED:
        *code = "unauthorized";
        return 401;
    case ENGINE_BUSY:
        *code = "store_busy";
        return 503;
    case ENGINE_EMAIL_TAKEN:
        *code = "email_taken";
        return 409;
    case ENGINE_ABANDONED:
        *code = "interview_abandoned";
        return 409;
    case ENGINE_TOO_LARGE:
        *code = "too_large";
        return 413;
    case ENGINE_UNAVAILABLE:
    default:
        *code = "unavailable";
        return 503;
    }
}

static void reply_engine(struct http_req *r, struct engine_reply *er, int ok_status)
{
    if (er->err == ENGINE_OK) {
        http_reply_json(r, ok_status, er->body);
        er->body = NULL;
        return;
    }
    const char *code;
    int status = status_for(er->err, &code);
    if (er->err == ENGINE_BUSY) http_add_header(r, "Retry-After", "1");
    if (er->code) code = er->code;
    http_reply_error(r, status, code, er->message);
}

/* Group commit (store.h): commits / syncs is how many commits shared each fsync. */
static void store_prometheus(struct store *s, struct sbuf *out)
{
    struct store_sync_stats st;
    store_sync_stats(s, &st);
    sbuf_printf(out,
                "# HELP interviewd_store_commits_total Commits made with group commit on.\n"
                "# TYPE interviewd_store_commits_total counter\n"
                "interviewd_store_commits_total %llu\n"
                "# HELP interviewd_store_syncs_total fsyncs that made those commits durable.\n"
                "# TYPE interviewd_store_syncs_total counter\n"
                "interviewd_store_syncs_total %llu\n"
                "# HELP interviewd_store_checkpoints_total WAL checkpoints run off the loop.\n"
                "# TYPE interviewd_store_checkpoints_total counter\n"
                "interviewd_store_checkpoints_total %llu\n",
                (unsigned long long)st.commits, (unsigned long long)st.syncs,
                (unsigned long long)st.checkpoints);
}

/* Who is asking: a candidate (id filled), the admin (*admin = 1), or nobody (replied 401). */
static int authenticate(struct api *a, struct http_req *r, char id[33], int *admin, int allow_admin)
{
    *admin = 0;
    const char *tok = http_bearer(r);
    if (!tok) {
        http_reply_error(r, 401, "unauthorized",
                         "Send your token in the Authorization header: \"Bearer <token>\".");
        return -1;
    }
    if (allow_admin && admin_role_of(a->admin, r) != ADMIN_NONE) { /* full or read-only */
        *admin = 1;
        id[0] = 0;
        return 0;
    }
    enum engine_err e = engine_authenticate(a->engine, tok, id);
    if (e == ENGINE_OK) return 0;
    if (e == ENGINE_UNAVAILABLE) {
        http_reply_error(r, 503, "unavailable",
                         "The service cannot check tokens right now; retry.");
        return -1;
    }
    http_reply_error(r, 401, "unauthorized", "The token is not valid.");
    return -1;
}

/* Admin views: either admin token (full or read-only) and nothing else. */
static int require_admin(struct api *a, struct http_req *r)
{
    return admin_require_view(a->admin, r);
}

static int is(struct http_req *r, int n, ...)
{
    if (r->n_segments != n) return 0;
    va_list ap;
    va_start(ap, n);
    int match = 1;
    for (int i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        if (want && strcmp(want, r->segments[i]) != 0) match = 0;
    }
    va_end(ap);
    return match;
}

static int method(struct http_req *r, const char *m)
{
    if (strcmp(r->method, m) == 0) return 1;
    if (strcmp(m, "GET") == 0 && strcmp(r->method, "HEAD") == 0) return 1;
    http_reply_error(r, 405, "method_not_allowed", "This route does not accept that method.");
    return 0;
}

/* Issue 14: sign-ups and resume changes per client address and subnet. Replies 429 with
 * Retry-After and returns -1 when over the limit. */
static int admit(struct api *a, struct http_req *r, enum throttle_action action)
{
    const struct config *c = a->cfg;
    struct throttle_limits lim =
        action == THROTTLE_SIGNUP ? (struct throttle_limits){c->signup_per_address_per_hour,
                                                             c->signup_per_subnet_per_hour}
                                  : (struct throttle_limits){c->resume_update_per_address_per_hour,
                                                             c->resume_update_per_subnet_per_hour};
    char addr[64];
    http_peer_address(r, addr, sizeof addr);
    const char *which = "address";
    long retry = throttle_take(a->throttle, action, addr, &lim, clock_now_ms(), &which);
    if (retry == 0) return 0;
    const char *what = action == THROTTLE_SIGNUP ? "sign-ups" : "resume changes";
    log_info("rate_limited", "action=%s by=%s retry_after_s=%ld", what, which, retry);
    char secs[24], msg[200];
    snprintf(msg, sizeof msg, "Too many %s from your %s; retry in %ld seconds.", what,
             strcmp(which, "subnet") == 0 ? "network" : "address", retry);
    http_add_header(r, "Retry-After", util_itoa(retry, secs));
    http_reply_error(r, 429, "rate_limited", msg);
    return -1;
}

/* Issue 14: with invite codes configured, a sign-up must carry one of them. Replies 403
 * and returns -1 otherwise. */
static int check_invite(struct api *a, struct http_req *r, const json_t *body)
{
    if (a->n_invite_codes == 0) return 0;
    const char *given = json_string_value(json_object_get(body, "invite_code"));
    if (!given || !*given) {
        http_reply_error(r, 403, "invite_required",
                         "Sign-up needs an invite code: send it as \"invite_code\".");
        return -1;
    }
    int good = 0;
    for (size_t i = 0; i < a->n_invite_codes; i++)
        good |= util_ct_equal(a->invite_codes[i], given);
    if (good) return 0;
    log_info("invite_refused", "reason=\"unknown code\"");
    http_reply_error(r, 403, "invalid_invite_code",
                     "That invite code is not valid; check it with whoever sent it to you.");
    return -1;
}

static void on_answer(struct engine_reply *er, void *data)
{
    struct http_req *r = data;
    log_set_request_id(r->request_id); /* a late reply: its lines carry the request's id */
    reply_engine(r, er, 200);
    log_set_request_id(NULL);
}

/* ---- resumes sent as PDF files ---- */

/* A PDF being read for a request: what to do with its text. */
struct pdf_job {
    struct api *a;
    struct http_req *r;
    char candidate[33]; /* resume update: whose; "" for a registration */
    json_t *body;       /* registration: the JSON body, resume_text filled in when read */
};

static void reply_pdf_error(struct http_req *r, enum pdftext_err e)
{
    if (e == PDFTEXT_BUSY) http_add_header(r, "Retry-After", "2");
    http_reply_error(r, pdftext_status(e), pdftext_code(e), pdftext_message(e));
}

static void on_pdf_text(enum pdftext_err err, const char *text, void *data)
{
    struct pdf_job *j = data;
    struct engine_reply er = {0};
    log_set_request_id(j->r->request_id);
    if (err != PDFTEXT_OK) {
        reply_pdf_error(j->r, err);
    } else if (j->candidate[0]) {
        engine_update_resume_text(j->a->engine, j->candidate, text, &er);
        reply_engine(j->r, &er, 200);
    } else {
        json_object_set_new(j->body, "resume_text", json_string(text));
        engine_register(j->a->engine, j->body, &er);
        reply_engine(j->r, &er, 201);
    }
    engine_reply_clear(&er);
    log_set_request_id(NULL);
    json_decref(j->body);
    free(j);
}

/* Starts reading a PDF for r; replies at once when it cannot start. Takes body. */
static void start_pdf(struct api *a, struct http_req *r, const void *pdf, size_t len,
                      const char *candidate, json_t *body)
{
    struct pdf_job *j = xcalloc(1, sizeof *j);
    j->a = a;
    j->r = r;
    if (candidate) snprintf(j->candidate, sizeof j->candidate, "%s", candidate);
    j->body = body;
    enum pdftext_err e =
        a->pdf ? pdftext_convert(a->pdf, pdf, len, on_pdf_text, j) : PDFTEXT_UNAVAILABLE;
    if (e != PDFTEXT_OK) {
        reply_pdf_error(r, e);
        json_decref(body);
        free(j);
        return;
    }
    http_req_defer(r);
}

/* POST /api/candidates with "resume_pdf" (base64) instead of "resume_text". */
static void register_with_pdf(struct api *a, struct http_req *r, json_t *body)
{
    json_t *b64 = json_object_get(body, "resume_pdf");
    if (!json_is_string(b64)) {
        http_reply_error(r, 400, "missing_field",
                         "\"resume_pdf\" must be the PDF file in base64, as a string.");
        json_decref(body);
        return;
    }
    size_t len = 0;
    unsigned char *pdf = pdftext_base64_decode(json_string_value(b64), &len);
    if (!pdf) {
        http_reply_error(r, 400, "invalid_base64",
                         "\"resume_pdf\" is not valid base64; send the file's bytes encoded "
                         "in standard base64.");
        json_decref(body);
        return;
    }
    json_object_del(body, "resume_pdf");
    /* a placeholder: engine_register checks every other field once the text is known */
    start_pdf(a, r, pdf, len, NULL, body);
    free(pdf);
}

static void route_candidates(struct api *a, struct http_req *r)
{
    struct engine_reply er = {0};
    char cand[33];
    int admin;
    if (is(r, 2, "api", "candidates")) {
        if (!method(r, "POST") || admit(a, r, THROTTLE_SIGNUP) != 0) return;
        json_t *body = http_body_json(r);
        if (!body) return;
        if (check_invite(a, r, body) != 0) {
            json_decref(body);
            return;
        }
        if (json_object_get(body, "resume_pdf") && !json_object_get(body, "resume_text")) {
            register_with_pdf(a, r, body);
            return;
        }
        engine_register(a->engine, body, &er);
        json_decref(body);
        reply_engine(r, &er, 201);
        return;
    }
    if (is(r, 4, "api", "candidates", "me", "resume")) {
        if (strcmp(r->method, "PUT") != 0 && strcmp(r->method, "POST") != 0) {
            http_reply_error(r, 405, "method_not_allowed",
                             "Use PUT with {\"resume_text\": ...} or a PDF file.");
            return;
        }
        if (authenticate(a, r, cand, &admin, 0) != 0 || admit(a, r, THROTTLE_RESUME_UPDATE) != 0)
            return;
        if (r->body_binary) {
            start_pdf(a, r, r->body, r->body_len, cand, NULL);
            return;
        }
        json_t *body = http_body_json(r);
        if (!body) return;
        engine_update_resume(a->engine, cand, body, &er);
        json_decref(body);
        reply_engine(r, &er, 200);
        return;
    }
    if (is(r, 4, "api", "candidates", "me", "role")) {
        if (strcmp(r->method, "PUT") != 0) {
            http_reply_error(r, 405, "method_not_allowed", "Use PUT with {\"role\": ...}.");
            return;
        }
        if (authenticate(a, r, cand, &admin, 0) != 0 || admit(a, r, THROTTLE_RESUME_UPDATE) != 0)
            return;
        json_t *body = http_body_json(r);
        if (!body) return;
        engine_set_role(a->engine, cand, body, &er);
        json_decref(body);
        reply_engine(r, &er, 200);
        return;
    }
    if (is(r, 3, "api", "candidates", "me")) {
        if (strcmp(r->method, "DELETE") == 0) {
            if (authenticate(a, r, cand, &admin, 0) != 0) return;
            engine_erase_candidate(a->engine, cand, &er);
            if (er.err == ENGINE_OK)
                http_reply_text(r, 204, "text/plain", "");
            else
                reply_engine(r, &er, 204);
            engine_reply_clear(&er);
            return;
        }
        if (!method(r, "GET") || authenticate(a, r, cand, &admin, 0) != 0) return;
        engine_candidate_me(a->engine, cand, &er);
        reply_engine(r, &er, 200);
        return;
    }
    if (is(r, 4, "api", "admin", "candidates", NULL)) {
        if (strcmp(r->method, "DELETE") != 0) {
            http_reply_error(r, 405, "method_not_allowed", "This route takes DELETE.");
            return;
        }
        if (require_admin(a, r) != 0) return;
        engine_erase_candidate(a->engine, r->segments[3], &er);
        if (er.err == ENGINE_OK)
            http_reply_text(r, 204, "text/plain", "");
        else
            reply_engine(r, &er, 204);
        engine_reply_clear(&er);
        return;
    }
    http_reply_error(r, 404, "not_found", "No such route.");
}

static void route_api(struct api *a, struct http_req *r)
{
    struct engine_reply er = {0};
    char cand[33];
    int admin;
    if (admin_handle(a->admin, r)) return;
    if (is(r, 2, "api", "roles")) {
        if (!method(r, "GET")) return;
        http_reply_json(r, 200, engine_roles(a->engine));
        return;
    }
    if (is(r, 2, "api", "optimization_stats")) {
        if (!method(r, "GET") || require_admin(a, r) != 0) return;
        http_reply_json(r, 200, engine_stats_json(a->engine));
        return;
    }
    if (is(r, 2, "api", "providers")) {
        if (!method(r, "GET") || require_admin(a, r) != 0) return;
        http_reply_json(r, 200, router_status_json(engine_router(a->engine)));
        return;
    }
    if (is(r, 3, "api", "stats", "history")) {
        if (!method(r, "GET") || require_admin(a, r) != 0) return;
        if (!a->history) api_start_history(a, NULL); /* servers built without main.c's loop */
        http_reply_json(r, 200, history_json(a->history, clock_now_ms()));
        return;
    }
    if ((r->n_segments >= 2 && strcmp(r->segments[1], "candidates") == 0) ||
        (is(r, 4, "api", "admin", "candidates", NULL))) {
        route_candidates(a, r);
        return;
    }
    if (is(r, 2, "api", "privacy")) {
        if (!method(r, "GET")) return;
        http_reply_json(r, 200, engine_privacy(a->engine));
        return;
    }
    if (is(r, 4, "api", "interviews", NULL, "abandon")) {
        if (!method(r, "POST") || authenticate(a, r, cand, &admin, 0) != 0) return;
        engine_abandon(a->engine, cand, r->segments[2], &er);
        reply_engine(r, &er, 200);
        return;
    }
    if (is(r, 2, "api", "interviews")) {
        if (!method(r, "POST")) return;
        if (authenticate(a, r, cand, &admin, 0) != 0) return;
        json_t *body = r->body_len ? http_body_json(r) : json_object();
        if (!body) return;
        engine_start(a->engine, cand, body, &er);
        json_decref(body);
        reply_engine(r, &er, 201);
        return;
    }
    if (is(r, 3, "api", "interviews", NULL)) {
        if (!method(r, "GET") || authenticate(a, r, cand, &admin, 1) != 0) return;
        engine_interview_state(a->engine, admin ? NULL : cand, r->segments[2], &er);
        reply_engine(r, &er, 200);
        return;
    }
    if (is(r, 4, "api", "interviews", NULL, "report")) {
        if (!method(r, "GET") || authenticate(a, r, cand, &admin, 1) != 0) return;
        engine_report(a->engine, admin ? NULL : cand, r->segments[2], &er);
        reply_engine(r, &er, 200);
        return;
    }
    if (is(r, 4, "api", "interviews", NULL, "answers")) {
        if (!method(r, "POST")) return;
        if (authenticate(a, r, cand, &admin, 0) != 0) return;
        json_t *body = http_body_json(r);
        if (!body) return;
        http_req_defer(r);
        engine_answer(a->engine, cand, r->segments[2], body, on_answer, r);
        json_decref(body);
        return;
    }
    http_reply_error(r, 404, "not_found", "No such route.");
}

/* uPlot, installed by the build into web/node_modules, under stable names. Only these
 * files: the rest of node_modules is not served. */
static const char *const vendor_files[][2] = {
    {"uplot.iife.min.js", "node_modules/uplot/dist/uPlot.iife.min.js"},
    {"uplot.min.css", "node_modules/uplot/dist/uPlot.min.css"},
};

static void route_static(struct api *a, struct http_req *r)
{
    if (!method(r, "GET")) return;
    if (strcmp(r->segments[1], "vendor") == 0) {
        for (size_t i = 0; r->n_segments == 3 && i < ARRAY_LEN(vendor_files); i++) {
            if (strcmp(r->segments[2], vendor_files[i][0]) == 0) {
                http_reply_file(r, a->cfg->web_dir, vendor_files[i][1]);
                return;
            }
        }
        http_reply_error(r, 404, "not_found", "No such file.");
        return;
    }
    if (strcmp(r->segments[1], "node_modules") == 0) {
        http_reply_error(r, 404, "not_found", "No such file.");
        return;
    }
    /* /static/a/b.js -> web_dir/a/b.js */
    const char *rest = r->path + strlen("/static/");
    while (*rest == '/')
        rest++;
    http_reply_file(r, a->cfg->web_dir, rest);
}

static void route(struct api *a, struct http_req *r);

void api_attach_http(struct api *a, struct http_server *s)
{
    http_server_set_guard(s, "/v1", gateway_guard, a->gateway);
}

void api_handle(struct http_req *r, void *data)
{
    log_set_request_id(r->request_id); /* every line this request causes carries its id */
    route(data, r);
    log_set_request_id(NULL);
}

static void route(struct api *a, struct http_req *r)
{
    if (r->n_segments == 0) {
        if (method(r, "GET")) http_reply_file(r, a->cfg->web_dir, "index.html");
        return;
    }
    if (is(r, 1, "admin")) {
        if (method(r, "GET")) http_reply_file(r, a->cfg->web_dir, "admin.html");
        return;
    }
    if (is(r, 1, "healthz")) {
        if (method(r, "GET")) http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
        return;
    }
    if (is(r, 1, "metrics")) {
        if (!method(r, "GET") || require_admin(a, r) != 0) return;
        struct sbuf out = {0};
        engine_stats_totals(a->engine, &a->totals, NULL); /* every instance, every restart */
        stats_prometheus(&a->totals, &out);
        router_prometheus(engine_router(a->engine), &out);
        gateway_prometheus(a->gateway, &out);
        store_prometheus(engine_store(a->engine), &out);
        if (!a->history) api_start_history(a, NULL);
        history_prometheus(a->history, &out);
        http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8",
                        out.data ? out.data : "");
        sbuf_free(&out);
        return;
    }
    if (strcmp(r->segments[0], "static") == 0 && r->n_segments >= 2) {
        route_static(a, r);
        return;
    }
    if (strcmp(r->segments[0], "api") == 0) {
        route_api(a, r);
        return;
    }
    if (strcmp(r->segments[0], "v1") == 0) {
        gateway_handle(a->gateway, r);
        return;
    }
    http_reply_error(r, 404, "not_found", "No such route.");
}
