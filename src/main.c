/* interviewd: command-line entry. `serve` runs the HTTP service on one libevent loop;
 * `version` prints the version. simulate and plan arrive with the day simulator.
 * Exit status: 0 success, 1 runtime failure, 2 bad usage or bad configuration. */
#include "api/api.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/engine.h"
#include "http/http.h"
#include "optimize/cache.h"
#include "llm/quota_share.h" /* issue 8 */
#include "llm/router.h"      /* issue 8 */
#include "sim/scenario.h"
#include "sim/sim.h"
#include "store/store.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: interviewd serve [--config FILE] [--listen HOST:PORT]\n"
          "       interviewd simulate [--scenario FILE] [--candidates N]\n"
          "                           [--interviews-per-candidate K] [--days D] [--seed S]\n"
          "                           [--confirmed-only] [--max-usd-per-day X] [--json]\n"
          "       interviewd plan [--scenario FILE] [--target N] [--confirmed-only]\n"
          "                       [--max-usd-per-day X] [--json]\n"
          "       interviewd version\n",
          f);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    log_info("shutdown", "signal=%d", (int)sig);
    event_base_loopexit(arg, NULL);
}

/* Each connection costs a descriptor and the soft limit is often 1024 while the hard one
 * is far higher: take what the operator allows (up to MAIN_MAX_NOFILE), so that [limits]
 * max_connections = 0 (auto) has room. A hard limit set on purpose (ulimit -n) stays. */
#define MAIN_MAX_NOFILE 65536
/* The reply gate over the store (http.h): a request's reply waits for its commits. */
static uint64_t gate_mark(void *data)
{
    return store_commit_seq(data);
}

static int gate_wait(void *data, uint64_t mark, void (*release)(void *arg, int durable), void *arg)
{
    return store_wait_durable(data, mark, release, arg);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t want = rl.rlim_max < MAIN_MAX_NOFILE ? rl.rlim_max : MAIN_MAX_NOFILE;
    if (rl.rlim_cur >= want) return;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        log_info("nofile_raised", "soft_limit=%lu", (unsigned long)want);
}

static int cmd_serve(int argc, char **argv)
{
    const char *config_path = NULL, *listen = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else {
            fprintf(stderr, "interviewd serve: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    struct config cfg;
    config_defaults(&cfg);
    char err[1024];
    if (config_path && config_load(&cfg, config_path, err, sizeof err) != 0) {
        fprintf(stderr, "interviewd: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    if (listen) {
        free(cfg.listen);
        cfg.listen = xstrdup(listen);
    }
    char host[256];
    int port;
    if (config_parse_listen(cfg.listen, host, &port) != 0) {
        fprintf(stderr, "interviewd: --listen: '%s' is not HOST:PORT\n", cfg.listen);
        config_free(&cfg);
        return 2;
    }
    log_set_level((enum log_level)log_level_parse(cfg.log_level));
    int postgres = strcmp(cfg.store_backend, "postgres") == 0;
    if (postgres && !cfg.store_url[0]) {
        fprintf(stderr,
                "interviewd: %s: [store] url: backend = postgres needs a url, e.g. "
                "postgresql://user@127.0.0.1/interviewd\n",
                config_path ? config_path : "(defaults)");
        config_free(&cfg);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = 1;
    raise_nofile();
    /* The epoll changelist folds a socket's del-then-add within one loop pass (libcurl
     * and evhttp both re-arm their sockets per request) into nothing: fewer epoll_ctl
     * calls. Safe here: no watched descriptor is ever dup()ed. */
    struct event_config *ecfg = event_config_new();
    if (ecfg) event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    struct event_base *base = ecfg ? event_base_new_with_config(ecfg) : NULL;
    if (ecfg) event_config_free(ecfg);
    if (!base) base = event_base_new();
    struct store *store = NULL;
    struct engine *engine = NULL;
    struct api *api = NULL;
    struct cache *cache = NULL;
    struct http_server *http = NULL;
    struct event *sigint = NULL, *sigterm = NULL;
    struct quota_share *share = NULL; /* issue 8: quota windows shared through [redis] url */

    /* [cache] redis or tiered: /v1's response cache is shared by every instance */
    if (strcmp(cfg.cache_backend, "memory") != 0) {
        const char *url = cfg.cache_redis_url[0] ? cfg.cache_redis_url : cfg.redis_url;
        cache =
            cache_open(cfg.cache_backend, url, (size_t)cfg.cache_max_bytes, base, err, sizeof err);
        if (!cache) {
            fprintf(stderr, "interviewd: %s\n", err);
            rc = 2;
            goto out;
        }
    }
    store = postgres ? store_postgres_open(cfg.store_url, err, sizeof err)
                     : store_sqlite_open(cfg.store_path, err, sizeof err);
    if (!store) {
        fprintf(stderr, "interviewd: store: %s\n", err);
        goto out;
    }
    /* Issue 14: fsyncs and lock waits leave the loop (group commit, store/store.h). */
    if (store_attach_loop(store, base) != STORE_OK) {
        fprintf(stderr, "interviewd: store: cannot start its syncer thread (see the log)\n");
        goto out;
    }
    engine = engine_new(base, &cfg, store, err, sizeof err);
    if (!engine) {
        fprintf(stderr, "interviewd: %s\n", err);
        rc = 2;
        goto out;
    }
    if (cfg.redis_url[0]) { /* issue 8: every instance on this Redis spends each limit once */
        share = quota_share_new(base, cfg.redis_url, (int)cfg.redis_expected_instances, err,
                                sizeof err);
        if (!share) {
            fprintf(stderr, "interviewd: %s\n", err);
            rc = 2;
            goto out;
        }
        router_set_share(engine_router(engine), share);
    }
    api = api_new(&cfg, engine, cache);
    api_start_history(api, base);
    api_set_quota_share(api, share); /* issue 17: its loss is an alert */
    http = http_server_new(base, &cfg, host, port, api_handle, api, err, sizeof err);
    if (!http) {
        fprintf(stderr, "interviewd: %s\n", err);
        goto out;
    }
    api_attach_http(api, http);
    /* Replies wait until what their request committed is durable. */
    http_server_set_reply_gate(http, &(struct http_reply_gate){gate_mark, gate_wait, store});
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    evsignal_add(sigint, NULL);
    evsignal_add(sigterm, NULL);
    engine_recover(engine);
    printf("listening %s:%d\n", host, http_server_port(http));
    fflush(stdout);
    log_info("listening", "address=%s:%d store=%s", host, http_server_port(http),
             postgres ? "postgres" : cfg.store_path);
    event_base_dispatch(base);
    rc = 0;
out:
    /* Before the server goes: the last commits are synced and their held replies sent. */
    if (store) store_detach_loop(store);
    if (sigint) event_free(sigint);
    if (sigterm) event_free(sigterm);
    http_server_free(http);
    engine_free(engine);
    quota_share_free(share); /* issue 8: after the router that used it */
    api_free(api);
    if (cache) cache_destroy(cache);
    if (store) store_close(store);
    event_base_free(base);
    curl_global_cleanup();
    config_free(&cfg);
    return rc;
}

static int parse_long_arg(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == 0 || *end || x < lo || x > hi) {
        fprintf(stderr, "interviewd: %s: '%s' is not an integer in %ld..%ld\n", opt, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* simulate and plan share their options; plan ignores the workload overrides. */
static int cmd_sim(int plan, int argc, char **argv)
{
    const char *scenario = INTERVIEWD_SOURCE_DIR "/data/scenarios/free-2026.ini";
    long candidates = -1, per = -1, days = 1, seed = -1, target = 10000;
    int json = 0, confirmed_only = 0;
    double max_usd = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(a, "--confirmed-only") == 0) {
            confirmed_only = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "interviewd: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (strcmp(a, "--scenario") == 0)
            scenario = v;
        else if (!plan && strcmp(a, "--candidates") == 0) {
            if (parse_long_arg(a, v, 1, 10000000, &candidates)) return 2;
        } else if (!plan && strcmp(a, "--interviews-per-candidate") == 0) {
            if (parse_long_arg(a, v, 1, 100, &per)) return 2;
        } else if (!plan && strcmp(a, "--days") == 0) {
            if (parse_long_arg(a, v, 1, 30, &days)) return 2;
        } else if (!plan && strcmp(a, "--seed") == 0) {
            if (parse_long_arg(a, v, 0, 1000000000, &seed)) return 2;
        } else if (strcmp(a, "--max-usd-per-day") == 0) {
            char *end;
            max_usd = strtod(v, &end);
            if (end == v || *end || !(max_usd >= 0) || max_usd > 1000000) {
                fprintf(stderr, "interviewd: %s: '%s' is not an amount in USD (0..1000000)\n", a,
                        v);
                return 2;
            }
        } else if (plan && strcmp(a, "--target") == 0) {
            if (parse_long_arg(a, v, 1, 100000000, &target)) return 2;
        } else {
            fprintf(stderr, "interviewd: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    struct config cfg;
    config_defaults(&cfg);
    char err[1024];
    struct workload w;
    workload_defaults(&w);
    if (config_load(&cfg, scenario, err, sizeof err) != 0 ||
        workload_load(&w, scenario, err, sizeof err) != 0) {
        fprintf(stderr, "interviewd: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    if (candidates > 0) w.candidates = candidates;
    if (per > 0) w.interviews_per_candidate = per;
    if (seed >= 0) w.seed = (uint64_t)seed;
    if (max_usd >= 0) cfg.max_usd_per_day = max_usd;
    json_t *left_out = confirmed_only ? sim_keep_confirmed(&cfg) : json_array();
    if (cfg.n_providers == 0 && confirmed_only) {
        fprintf(stderr, "interviewd: %s: no deployment has confirmed = yes\n", scenario);
        json_decref(left_out);
        config_free(&cfg);
        return 2;
    }
    json_t *out;
    if (plan) {
        out = sim_plan(&cfg, &w, (double)target);
    } else {
        log_set_level(LOG_ERROR); /* a day of events would drown the terminal */
        struct sim_options opt = {.days = (int)days, .progress = isatty(2) && !json};
        out = sim_run(&cfg, &w, &opt, err, sizeof err);
        if (!out) {
            fprintf(stderr, "interviewd: simulate: %s\n", err);
            json_decref(left_out);
            config_free(&cfg);
            return 1;
        }
    }
    /* say which fleet the figures are for */
    json_object_set_new(out, "confirmed_only", json_boolean(confirmed_only));
    json_object_set_new(out, "deployments_left_out", left_out);
    if (json) {
        char *text = json_dumps(out, JSON_COMPACT);
        puts(text);
        free(text);
    } else if (plan) {
        sim_print_plan(out, stdout);
    } else {
        sim_print_result(out, stdout);
    }
    json_decref(out);
    config_free(&cfg);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0) return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0) {
        printf("interviewd %s\n", INTERVIEWD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "simulate") == 0) return cmd_sim(0, argc - 2, argv + 2);
    if (strcmp(cmd, "plan") == 0) return cmd_sim(1, argc - 2, argv + 2);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "interviewd: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
