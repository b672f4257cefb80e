/* admin: the operator console's routes and who may use them (issue 17).
 *
 * Two admin tokens, each from the environment: the full one ([server] admin_token_env)
 * and a read-only one ([server] admin_readonly_token_env). Either may view everything an
 * admin can view (stats, providers, history, metrics, any interview's transcript and
 * report, the admin list, score distributions, question use, CSV export); only the full
 * one may change something (retire a question template), and the read-only one gets 403
 * read_only_token for that.
 *
 * Routes under /api/admin/ (README lists them with their fields):
 *   GET  interviews?candidate=&role=&kind=&state=&from=&to=&page=&per_page=
 *   GET  export?from=&to=&...        the same rows as CSV (text/csv, RFC 4180 quoting,
 *                                     cells starting with = + - @ prefixed with ')
 *   GET  scores?from=&to=            overall scores by role and kind, in tenths
 *   GET  questions?from=&to=         every bank template: times asked, average score,
 *                                     retired or not
 *   POST questions/{id}/retire       full token only
 *   DELETE candidates/{id}           full token only (the erasure itself is api.c's)
 *   GET  status                      what the dashboard's banner says (disabled
 *                                     deployments, store or Redis unreachable, alerts) */
#ifndef API_ADMIN_H
#define API_ADMIN_H

struct config;
struct engine;
struct http_req;
struct quota_share;
struct alerts;

enum admin_role {
    ADMIN_NONE = 0,  /* no admin token (maybe a candidate's, maybe nothing) */
    ADMIN_READ_ONLY, /* [server] admin_readonly_token_env */
    ADMIN_FULL,      /* [server] admin_token_env */
};

struct admin;

struct admin *admin_new(const struct config *cfg, struct engine *engine);
void admin_free(struct admin *a);
/* The alerts whose state GET /api/admin/status reports (may stay NULL). */
void admin_set_alerts(struct admin *a, struct alerts *al);

/* Which admin token r carries, compared in constant time. */
enum admin_role admin_role_of(const struct admin *a, struct http_req *r);
/* Views: replies 401 and returns -1 unless r carries either admin token. */
int admin_require_view(struct admin *a, struct http_req *r);
/* Handles r if it is one of the routes above: returns 1 (replied), else 0 (the caller
 * routes it on; for DELETE candidates/{id} only once the full token was checked). */
int admin_handle(struct admin *a, struct http_req *r);

/* CSV: appends s as one cell (quoted when it holds , " CR or LF; doubled quotes) and,
 * when it starts with = + - @ TAB or CR, prefixed with ' so that a spreadsheet reads
 * it as text, never as a formula. Exposed for tests. */
struct sbuf;
void admin_csv_cell(struct sbuf *out, const char *s);

#endif
