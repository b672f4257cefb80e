/* alerts: conditions checked on a timer, a JSON POST per alert (see alerts.h).
 *
 * The one idea: a condition is a (code, subject) pair with the time it last fired; a
 * check that finds it true fires only when min_interval_s has passed since then. The
 * webhook client is libcurl on our libevent loop through core/curlev.c, as llm/openai.c
 * drives provider calls. */
#include "api/alerts.h"

#include "core/clock.h"
#include "core/curlev.h"
#include "core/config.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"
#include "engine/engine.h"
#include "llm/quota_share.h"
#include "llm/router.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERTS_MAX_CONDITIONS 64 /* (code, subject) pairs remembered */
#define ALERTS_MAX_IN_FLIGHT 8   /* POSTs at once; more are dropped */
#define ALERTS_POST_TIMEOUT_MS 5000L
#define ALERTS_FIRED_KEPT 20 /* recent alerts shown by GET /api/admin/status */

struct condition {
    char code[32];
    char subject[64];
    int64_t last_fired_ms; /* 0: never */
};

struct fired {
    char code[32];
    char subject[64];
    int64_t at_ms;
};

struct post {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct post *next;
};

struct alerts {
    struct event_base *base;
    const struct config *cfg;
    struct engine *engine;
    struct quota_share *share;
    alerts_spend_fn spend;
    void *spend_data;
    struct timer *timer;
    char *url; /* NULL: log only */
    struct condition cond[ALERTS_MAX_CONDITIONS];
    int n_cond;
    struct fired fired[ALERTS_FIRED_KEPT]; /* ring, newest at fired_head - 1 */
    int fired_head, n_fired;
    struct curlev *cv;  /* the webhook client; NULL without a loop */
    struct post *posts; /* in flight */
    int in_flight;
};

/* ---- the webhook client ---- */

/* curlev_done_fn: one POST finished; easy is already out of the multi handle. */
static void post_done(CURL *easy, CURLcode rc, void *data)
{
    struct alerts *al = data;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status < 200 || status >= 300)
        log_warn("alert_webhook_failed", "status=%ld error=\"%s\"", status, curl_easy_strerror(rc));
    else
        log_info("alert_webhook_sent", "status=%ld", status);
    struct post **pp = &al->posts;
    while (*pp && (*pp)->easy != easy)
        pp = &(*pp)->next;
    curl_easy_cleanup(easy);
    if (*pp) {
        struct post *p = *pp;
        *pp = p->next;
        curl_slist_free_all(p->headers);
        free(p->body);
        free(p);
        al->in_flight--;
    }
}

static void post_json(struct alerts *al, json_t *doc)
{
    if (!al->url || !al->cv) return;
    if (al->in_flight >= ALERTS_MAX_IN_FLIGHT) {
        log_warn("alert_webhook_dropped", "in_flight=%d", al->in_flight);
        return;
    }
    struct post *p = xcalloc(1, sizeof *p);
    p->body = json_dumps(doc, JSON_COMPACT);
    p->easy = curl_easy_init();
    p->headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(p->easy, CURLOPT_URL, al->url);
    curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, ALERTS_POST_TIMEOUT_MS);
    curl_easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(p->easy, CURLOPT_USERAGENT, "interviewd-alerts");
    curl_easy_setopt(p->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    p->next = al->posts;
    al->posts = p;
    al->in_flight++;
    curl_multi_add_handle(curlev_multi(al->cv), p->easy);
}

/* ---- conditions ---- */

static struct condition *condition_for(struct alerts *al, const char *code, const char *subject)
{
    for (int i = 0; i < al->n_cond; i++)
        if (!strcmp(al->cond[i].code, code) && !strcmp(al->cond[i].subject, subject))
            return &al->cond[i];
    if (al->n_cond == ALERTS_MAX_CONDITIONS) return NULL;
    struct condition *c = &al->cond[al->n_cond++];
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->subject, sizeof c->subject, "%s", subject);
    return c;
}

/* The condition (code, subject) holds now: fire unless it fired within the interval.
 * details is stolen. */
static void holds(struct alerts *al, const char *code, const char *subject, const char *message,
                  json_t *details)
{
    int64_t now = clock_now_ms();
    struct condition *c = condition_for(al, code, subject);
    if (!c ||
        (c->last_fired_ms && now - c->last_fired_ms < al->cfg->alerts_min_interval_s * 1000)) {
        json_decref(details);
        return;
    }
    c->last_fired_ms = now;
    struct fired *f = &al->fired[al->fired_head];
    snprintf(f->code, sizeof f->code, "%s", code);
    snprintf(f->subject, sizeof f->subject, "%s", subject);
    f->at_ms = now;
    al->fired_head = (al->fired_head + 1) % ALERTS_FIRED_KEPT;
    if (al->n_fired < ALERTS_FIRED_KEPT) al->n_fired++;
    log_warn("alert", "alert=%s subject=\"%s\" message=\"%s\" webhook=%s", code, subject, message,
             al->url ? "yes" : "no");
    char at[40];
    clock_format_iso(now, at, sizeof at);
    json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "alert", code, "subject", subject,
                            "message", message, "at", at, "instance", "interviewd", "details",
                            details ? details : json_object());
    post_json(al, doc);
    json_decref(doc);
}

void alerts_check(struct alerts *al)
{
    if (!al) return;
    char msg[512];
    json_t *prov = router_status_json(engine_router(al->engine));
    size_t i;
    json_t *p;
    int enabled = 0, spent = 0;
    double threshold = (double)al->cfg->alerts_remaining_day_percent / 100.0;
    json_array_foreach(json_object_get(prov, "providers"), i, p)
    {
        const char *state = json_string_value(json_object_get(p, "state"));
        if (state && strcmp(state, "disabled") == 0) continue;
        enabled++;
        const char *name = json_string_value(json_object_get(p, "name"));
        double left = json_number_value(json_object_get(p, "day_fraction_left"));
        if (left <= 0) spent++;
        if (left < threshold) {
            snprintf(msg, sizeof msg,
                     "Deployment %s has %.1f%% of its day left (alert under %ld%%).", name,
                     left * 100.0, al->cfg->alerts_remaining_day_percent);
            holds(al, "deployment_day_low", name ? name : "", msg,
                  json_pack("{s:f,s:O,s:O}", "day_fraction_left", left, "remaining",
                            json_object_get(p, "remaining"), "resets_at",
                            json_object_get(p, "resets_at")));
        }
    }
    json_decref(prov);
    if (enabled > 0 && spent == enabled) {
        snprintf(msg, sizeof msg,
                 "Every enabled deployment (%d) has used up its day: interviews are scored by the "
                 "heuristic until the quotas reset.",
                 enabled);
        holds(al, "fleet_exhausted", "", msg, json_pack("{s:i}", "deployments", enabled));
    }
    {
        double usd = 0, cap = 0;
        if (al->spend) {
            al->spend(&usd, &cap, al->spend_data);
        } else { /* the router's spend cap ([budget] max_usd_per_day) */
            struct router_spend sp;
            router_spend(engine_router(al->engine), &sp);
            usd = sp.today_usd;
            cap = sp.cap_usd;
        }
        if (cap > 0 && usd >= cap * (double)al->cfg->alerts_spend_percent / 100.0) {
            snprintf(msg, sizeof msg, "Spend today is $%.2f of the $%.2f cap.", usd, cap);
            holds(al, "spend_near_cap", "", msg,
                  json_pack("{s:f,s:f}", "spent_usd", usd, "cap_usd", cap));
        }
    }
    if (engine_store_down(al->engine))
        holds(al, "store_unreachable", "", "The store refused the last write of the counters.",
              NULL);
    if (alerts_redis_down(al))
        holds(al, "redis_unreachable", "", "The Redis of [redis] url is unreachable.", NULL);
}

static void on_check(void *arg)
{
    struct alerts *al = arg;
    timer_start(al->timer, al->cfg->alerts_check_interval_ms);
    alerts_check(al);
}

/* ---- life cycle and status ---- */

struct alerts *alerts_new(struct event_base *base, const struct config *cfg, struct engine *e)
{
    struct alerts *al = xcalloc(1, sizeof *al);
    al->base = base;
    al->cfg = cfg;
    al->engine = e;
    const char *url = cfg->alerts_webhook_url;
    if (cfg->alerts_webhook_url_env[0]) {
        const char *v = getenv(cfg->alerts_webhook_url_env);
        if (v && *v)
            url = v;
        else
            log_warn("alert_webhook_unset", "reason=\"environment variable %s is not set\"",
                     cfg->alerts_webhook_url_env);
    }
    if (url && *url) al->url = xstrdup(url);
    if (base) {
        al->cv = curlev_new(base, "alerts", post_done, al);
        al->timer = timer_new(base, on_check, al);
        timer_start(al->timer, cfg->alerts_check_interval_ms);
    } else if (al->url) {
        free(al->url); /* no loop, no POST */
        al->url = NULL;
    }
    log_info("alerts_ready", "webhook=%s check_interval_ms=%ld min_interval_s=%ld",
             al->url ? "yes" : "no", cfg->alerts_check_interval_ms, cfg->alerts_min_interval_s);
    return al;
}

void alerts_free(struct alerts *al)
{
    if (!al) return;
    if (al->timer) timer_free(al->timer);
    while (al->posts) {
        struct post *p = al->posts;
        al->posts = p->next;
        curl_multi_remove_handle(curlev_multi(al->cv), p->easy);
        curl_easy_cleanup(p->easy);
        curl_slist_free_all(p->headers);
        free(p->body);
        free(p);
    }
    curlev_free(al->cv);
    if (al->url) {
        memset(al->url, 0, strlen(al->url));
        free(al->url);
    }
    free(al);
}

void alerts_set_share(struct alerts *al, struct quota_share *qs)
{
    if (al) al->share = qs;
}

void alerts_set_spend(struct alerts *al, alerts_spend_fn fn, void *data)
{
    if (!al) return;
    al->spend = fn;
    al->spend_data = data;
}

int alerts_redis_down(const struct alerts *al)
{
    return al && al->share && !quota_share_connected(al->share);
}

json_t *alerts_status_json(const struct alerts *al)
{
    json_t *fired = json_array();
    if (!al) return json_pack("{s:b,s:o}", "webhook", 0, "fired", fired);
    for (int k = 0; k < al->n_fired; k++) { /* newest first */
        const struct fired *f =
            &al->fired[(al->fired_head - 1 - k + ALERTS_FIRED_KEPT) % ALERTS_FIRED_KEPT];
        char at[40];
        clock_format_iso(f->at_ms, at, sizeof at);
        json_array_append_new(
            fired, json_pack("{s:s,s:s,s:s}", "alert", f->code, "subject", f->subject, "at", at));
    }
    return json_pack("{s:b,s:I,s:I,s:o}", "webhook", al->url != NULL, "min_interval_s",
                     (json_int_t)al->cfg->alerts_min_interval_s, "remaining_day_percent",
                     (json_int_t)al->cfg->alerts_remaining_day_percent, "fired", fired);
}
