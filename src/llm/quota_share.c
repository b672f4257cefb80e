/* quota_share: fleet-wide quota windows by leases from Redis; see quota_share.h.
 *
 * The one idea: every decision is local and synchronous (a lease held, or the fallback
 * share), Redis is only asked in the background, and what this instance writes to the
 * day is absolute (its own total), so a lost reply, a retry or a restarted Redis is
 * repaired by the next round trip instead of drifting.
 *
 * The connection is a core/redis_conn, as optimize/cache_redis.c's: READY once AUTH/SELECT
 * (if any) and SCRIPT LOAD have answered; a lost connection is retried with exponential
 * back-off. Every command carries a `struct sreq` on an in-flight list; hiredis answers
 * each exactly once, with NULL if the connection died.
 *
 * Per deployment (`struct sdep`): at most two leases (the one being spent and the next),
 * this instance's own usage as a `struct quota` whose limits are set, before each check,
 * to the fallback caps in force (none while Redis is fine), and what the fleet had
 * used at the last reply or usage message, from which the caps are computed when Redis
 * goes away. A second connection only listens to those messages. */
#include "llm/quota_share.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/redis_conn.h"
#include "core/redis_url.h"
#include "core/timer.h"
#include "core/util.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 100L              /* housekeeping: refresh, reply timeouts, start-up grace */
#define MINUTE_MS 60000L          /* the sliding minute */
#define DAY_KEY_GRACE_MS 3600000L /* a day's hash outlives the day by this */
/* A lease's minute entry counts from its grant until this + 60 s: the lease's life plus
 * the time a call taken at its end may take to reach the provider (quota_share_settle
 * charges the rare slower one again). */
#define ENTRY_LIFE_MS (QUOTA_SHARE_LEASE_MS + QUOTA_SHARE_ARRIVAL_SLACK_MS)

/* The script. KEYS: minute sorted set, day hash. ARGV: instance, sequence, rpm, tpm, rpd,
 * tpd, this instance's day usage + leases held (requests, tokens), wanted requests and
 * tokens, fewest tokens worth granting, lease life ms, day key ttl ms, minute charge
 * (requests, tokens), deployment name, day start ms, usage channel. Returns {granted
 * requests, granted tokens, fleet minute requests, minute tokens, day requests, day
 * tokens}, the sums including the grant. Whenever the fleet's usage went up it is also
 * published ("DAY MR MT DR DT NAME") so every instance knows it at once, not at its
 * next sync: what an instance knows when Redis goes away sets its fallback share. Times
 * are Redis' own clock, so instances' clocks need not agree for the minute. */
static const char SCRIPT[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local inst, seq = ARGV[1], ARGV[2]\n"
    "local rpm, tpm, rpd, tpd = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), "
    "tonumber(ARGV[6])\n"
    "local claim_r, claim_t = tonumber(ARGV[7]), tonumber(ARGV[8])\n"
    "local want_r, want_t, min_t = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])\n"
    "local lease_ms, day_ttl = tonumber(ARGV[12]), tonumber(ARGV[13])\n"
    "local add_r, add_t = tonumber(ARGV[14]), tonumber(ARGV[15])\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local minute, day = rpm > 0 or tpm > 0, rpd > 0 or tpd > 0\n"
    "local mr, mt, dr, dt = 0, 0, 0, 0\n"
    "local raised = add_r > 0 or add_t > 0\n"
    "if minute then\n"
    "  if add_r > 0 or add_t > 0 then\n"
    "    redis.call('ZADD', KEYS[1], now, inst .. ':' .. seq .. ':c:' .. add_r .. ':' .. add_t)\n"
    "  end\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)\n"
    "  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "    local r, k = string.match(m, ':(%d+):(%d+)$')\n"
    "    mr = mr + (tonumber(r) or 0)\n"
    "    mt = mt + (tonumber(k) or 0)\n"
    "  end\n"
    "end\n"
    "if day then\n"
    "  local old = redis.call('HMGET', KEYS[2], inst .. ':r', inst .. ':t')\n"
    "  raised = raised or claim_r > (tonumber(old[1]) or 0) or claim_t > (tonumber(old[2]) or 0)\n"
    "  redis.call('HSET', KEYS[2], inst .. ':r', claim_r, inst .. ':t', claim_t)\n"
    "  local h = redis.call('HGETALL', KEYS[2])\n"
    "  for i = 1, #h, 2 do\n"
    "    local v = tonumber(h[i + 1]) or 0\n"
    "    if string.sub(h[i], -2) == ':r' then dr = dr + v else dt = dt + v end\n"
    "  end\n"
    "end\n"
    "local g, gt = want_r, want_t\n"
    "if rpm > 0 then g = math.min(g, rpm - mr) end\n"
    "if rpd > 0 then g = math.min(g, rpd - dr) end\n"
    "if tpm > 0 or tpd > 0 then\n"
    "  if tpm > 0 then gt = math.min(gt, tpm - mt) end\n"
    "  if tpd > 0 then gt = math.min(gt, tpd - dt) end\n"
    "  if gt < min_t then g = 0 end\n"
    "else\n"
    "  gt = 0\n"
    "end\n"
    "if g < 1 then g, gt = 0, 0 end\n"
    "if g > 0 then\n"
    "  if minute then\n"
    "    redis.call('ZADD', KEYS[1], now + lease_ms, inst .. ':' .. seq .. ':g:' .. g .. ':' .. "
    "gt)\n"
    "    mr, mt = mr + g, mt + gt\n"
    "  end\n"
    "  if day then\n"
    "    redis.call('HSET', KEYS[2], inst .. ':r', claim_r + g, inst .. ':t', claim_t + gt)\n"
    "    dr, dt = dr + g, dt + gt\n"
    "  end\n"
    "end\n"
    "if minute then redis.call('PEXPIRE', KEYS[1], 60000 + lease_ms + 1000) end\n"
    "if day then redis.call('PEXPIRE', KEYS[2], day_ttl) end\n"
    "if g > 0 or raised then\n"
    "  redis.call('PUBLISH', ARGV[18], ARGV[17] .. ' ' .. mr .. ' ' .. mt .. ' ' .. dr .. ' ' .. "
    "dt .. ' ' .. ARGV[16])\n"
    "end\n"
    "return {g, gt, mr, mt, dr, dt}\n";

enum sreq_kind {
    SREQ_SETUP,  /* SCRIPT LOAD while connecting */
    SREQ_RELOAD, /* SCRIPT LOAD after a NOSCRIPT */
    SREQ_SCRIPT, /* the script, for one deployment */
};

struct sdep;

/* One command sent and not yet answered by hiredis. */
struct sreq {
    struct quota_share *qs; /* the share that sent it */
    enum sreq_kind kind;    /* what to do with the reply */
    int is_load;            /* SREQ_SETUP: the SCRIPT LOAD (its reply is the sha) */
    struct sdep *d;         /* SREQ_SCRIPT: the deployment */
    int want;               /* SREQ_SCRIPT: asked for a lease (not only a sync) */
    int64_t sent_mono;      /* when sent: the lease's life starts here */
    int64_t day;            /* SREQ_SCRIPT: the day its day fields belong to */
    long add_req, add_tok;  /* SREQ_SCRIPT: minute charge carried (restored if lost) */
    struct sreq *prev;      /* in-flight list */
    struct sreq *next;      /* in-flight list */
};

/* Requests and tokens this instance may spend without asking. */
struct lease {
    long req;           /* requests left */
    long tok;           /* tokens left (only meaningful with a token limit) */
    int64_t until_mono; /* usable before this clock_mono_ms(); 0: no lease */
    int64_t day;        /* the deployment day it was granted in */
};

/* One deployment as this instance shares it. */
struct sdep {
    char *name;              /* [provider.NAME] (own copy) */
    char *mkey;              /* the minute sorted set's key (own copy) */
    struct quota_limits lim; /* the limits last passed in */
    struct quota own;        /* this instance's own calls; limits = fallback caps in force */
    struct lease cur;        /* being spent */
    struct lease next;       /* arrived while cur still had some left */
    int inflight;            /* a script call awaits its reply */
    int waiting;             /* a call was refused for want of a lease: wake on reply */
    int64_t next_ask_mono;   /* no lease request before this (after a refusal) */
    int64_t last_sync_mono;  /* last script call sent */
    long add_req, add_tok;   /* minute charges not sent yet */
    int known;               /* the g_* below are from a reply */
    int64_t known_day;       /* the day g_dreq/g_dtok belong to */
    long g_mreq, g_mtok;     /* the fleet's sliding minute at the last reply */
    long g_dreq, g_dtok;     /* the fleet's day at the last reply */
    int64_t cap_day;         /* the day cap_d* hold for; -1: no day cap */
    long cap_dreq, cap_dtok; /* own usage that day may not exceed (fallback) */
    int64_t cap_min_until;   /* minute caps hold until this clock_mono_ms(); 0: none */
    int64_t outage_mono;     /* start of the outage the minute caps come from */
    long cap_mreq, cap_mtok; /* own minute usage cap in that outage's first minute */
};

struct quota_share {
    struct event_base *base; /* the loop hiredis and our timers run on */
    struct redis_url url;    /* where Redis is (resolved at creation) */
    int n_inst;              /* expected_instances, >= 1 */
    char inst[17];           /* this instance's id in the keys: 16 random hex digits */
    uint64_t seq;            /* makes minute members unique */
    struct redis_conn *conn; /* the connection for the script */
    char sha[41];            /* the script's SHA1, from SCRIPT LOAD */
    int ever_connected;      /* READY at least once */
    int outage;              /* the fallback share is in force */
    int errors_logged;       /* script errors logged since the last READY */
    int64_t created_mono;    /* for the start-up grace */
    struct timer *tick;      /* every TICK_MS: refresh, reply timeouts, grace */
    struct redis_conn *sub;  /* the SUBSCRIBE connection (fleet usage news) */
    struct sreq *inflight;   /* commands hiredis still owes a reply */
    struct sdep **deps;      /* every deployment seen, in order of first use */
    int n_deps, cap_deps;
    void (*wake)(void *data); /* told when a refused call may fit now */
    void *wake_data;
    int freeing; /* quota_share_free is running */
};

/* ---- small helpers ---- */

static long lmin(long a, long b)
{
    return a < b ? a : b;
}

static long lmax(long a, long b)
{
    return a > b ? a : b;
}

/* The smaller of two limits, 0 meaning "none". */
static long tighter(long a, long b)
{
    return !a ? b : !b ? a : lmin(a, b);
}

static int req_limited(const struct quota_limits *l)
{
    return l->rpm > 0 || l->rpd > 0;
}

static int tok_limited(const struct quota_limits *l)
{
    return l->tpm > 0 || l->tpd > 0;
}

/* (limit - used) / n, never below 0. */
static long share_of(long limit, long used, int n)
{
    return limit > used ? (limit - used) / n : 0;
}

static int64_t day_of(const struct sdep *d, int64_t now)
{
    return quota_day_start_ms(d->lim.day_reset_tz, now);
}

/* This instance's own requests and tokens in the deployment's current day. */
static void own_day(const struct sdep *d, int64_t now, long *req, long *tok)
{
    int today = d->own.day_start_ms == day_of(d, now);
    *req = today ? d->own.day_requests : 0;
    *tok = today ? d->own.day_tokens : 0;
}

static void notify(struct quota_share *qs)
{
    if (qs->wake && !qs->freeing) qs->wake(qs->wake_data);
}

/* ---- leases ---- */

static int lease_valid(const struct lease *l, int64_t mono, int64_t day)
{
    return l->until_mono > mono && l->day == day;
}

static int lease_fits(const struct sdep *d, const struct lease *l, int64_t mono, int64_t day,
                      long est)
{
    if (!lease_valid(l, mono, day)) return 0;
    if (req_limited(&d->lim) && l->req < 1) return 0;
    if (tok_limited(&d->lim) && l->tok < lmax(est, 1)) return 0;
    return 1;
}

static int lease_spent(const struct sdep *d, const struct lease *l)
{
    return (req_limited(&d->lim) && l->req < 1) || (tok_limited(&d->lim) && l->tok < 1);
}

/* Forgets expired leases and moves next into cur when cur is gone or spent. */
static void leases_tidy(struct sdep *d, int64_t mono, int64_t day)
{
    static const struct lease none;
    if (!lease_valid(&d->next, mono, day)) d->next = none;
    if (!lease_valid(&d->cur, mono, day) || lease_spent(d, &d->cur)) {
        d->cur = d->next;
        d->next = none;
    }
}

/* What this instance's day fields should say: its own usage plus the leases it holds. */
static void claim(const struct sdep *d, int64_t now, int64_t mono, long *req, long *tok)
{
    int64_t day = day_of(d, now);
    own_day(d, now, req, tok);
    const struct lease *ls[2] = {&d->cur, &d->next};
    for (int i = 0; i < 2; i++) {
        if (!lease_valid(ls[i], mono, day)) continue;
        *req += ls[i]->req;
        *tok += ls[i]->tok;
    }
}

/* ---- the fallback share ---- */

/* Redis just went away (or never came): the caps for the windows in progress, from
 * what the fleet had used at the last reply (see quota_share.h). */
static void enter_fallback(struct quota_share *qs, struct sdep *d, int64_t now, int64_t mono)
{
    static const struct lease none;
    int n = qs->n_inst;
    int64_t day = day_of(d, now);
    d->cur = d->next = none; /* abandoned: they stay counted in Redis */
    long odr, odt;
    own_day(d, now, &odr, &odt);
    long dreq, dtok;
    if (d->known && d->known_day == day) {
        /* what is left divided evenly, but never past limit / n in all: with even use
         * the second bounds the fleet whatever it knew, with uneven use the first */
        dreq = lmin(d->lim.rpd / n, odr + share_of(d->lim.rpd, d->g_dreq, n));
        dtok = lmin(d->lim.tpd / n, odt + share_of(d->lim.tpd, d->g_dtok, n));
    } else {
        dreq = d->lim.rpd / n;
        dtok = d->lim.tpd / n;
    }
    if (d->cap_day == day) { /* a second outage the same day only tightens */
        dreq = lmin(dreq, d->cap_dreq);
        dtok = lmin(dtok, d->cap_dtok);
    }
    d->cap_day = day;
    d->cap_dreq = dreq;
    d->cap_dtok = dtok;
    long mreq = d->known ? share_of(d->lim.rpm, d->g_mreq, n) : d->lim.rpm / n;
    long mtok = d->known ? share_of(d->lim.tpm, d->g_mtok, n) : d->lim.tpm / n;
    if (mono < d->cap_min_until) { /* caps from an earlier outage still hold */
        mreq = lmin(mreq, d->cap_mreq);
        mtok = lmin(mtok, d->cap_mtok);
    }
    d->cap_mreq = mreq;
    d->cap_mtok = mtok;
    d->outage_mono = mono;
    d->cap_min_until = mono + MINUTE_MS + ENTRY_LIFE_MS;
    log_info("quota_share_fallback_caps",
             "provider=%s instances=%d day_requests=%ld day_tokens=%ld minute_requests=%ld "
             "minute_tokens=%ld",
             d->name, n, d->lim.rpd ? dreq : -1, d->lim.tpd ? dtok : -1, d->lim.rpm ? mreq : -1,
             d->lim.tpm ? mtok : -1);
}

static void start_outage(struct quota_share *qs, const char *why)
{
    if (qs->outage) return;
    qs->outage = 1;
    int64_t now = clock_now_ms(), mono = clock_mono_ms();
    log_warn("quota_share_fallback",
             "addr=%s port=%d reason=\"%s\" instances=%d: each instance now uses at most its "
             "share of every limit until Redis returns",
             qs->url.addr, qs->url.port, why, qs->n_inst);
    for (int i = 0; i < qs->n_deps; i++)
        enter_fallback(qs, qs->deps[i], now, mono);
    notify(qs);
}

/* 1 if the fallback caps in force (if any) let this instance make the call. */
static int caps_allow(struct quota_share *qs, struct sdep *d, int64_t now, int64_t mono, long est)
{
    int n = qs->n_inst;
    int64_t day = day_of(d, now);
    if (qs->outage) {
        if (d->cap_day != day) { /* a day that began inside the outage */
            d->cap_day = day;
            d->cap_dreq = d->lim.rpd / n;
            d->cap_dtok = d->lim.tpd / n;
        }
        d->cap_min_until = mono + MINUTE_MS + ENTRY_LIFE_MS;
    }
    struct quota_limits c = {.day_reset_tz = d->lim.day_reset_tz};
    long need = lmax(est, 1);
    if (d->cap_day == day) {
        if (d->lim.rpd > 0) {
            if (d->cap_dreq < 1) return 0; /* 0 would mean "no limit" to quota.c */
            c.rpd = d->cap_dreq;
        }
        if (d->lim.tpd > 0) {
            if (d->cap_dtok < need) return 0;
            c.tpd = d->cap_dtok;
        }
    }
    if (mono < d->cap_min_until) {
        int first = mono < d->outage_mono + MINUTE_MS + ENTRY_LIFE_MS;
        long mr = first ? d->cap_mreq : d->lim.rpm / n;
        long mt = first ? d->cap_mtok : d->lim.tpm / n;
        if (d->lim.rpm > 0) {
            if (mr < 1) return 0;
            c.rpm = mr;
        }
        if (d->lim.tpm > 0) {
            if (mt < need) return 0;
            c.tpm = mt;
        }
    }
    quota_set_limits(&d->own, &c);
    return quota_can_take(&d->own, now, est, NULL);
}

/* ---- requests ---- */

static struct sreq *req_new(struct quota_share *qs, enum sreq_kind kind)
{
    struct sreq *q = xcalloc(1, sizeof *q);
    q->qs = qs;
    q->kind = kind;
    q->sent_mono = clock_mono_ms();
    q->next = qs->inflight;
    if (qs->inflight) qs->inflight->prev = q;
    qs->inflight = q;
    return q;
}

static void req_free(struct sreq *q)
{
    struct quota_share *qs = q->qs;
    if (q->prev)
        q->prev->next = q->next;
    else
        qs->inflight = q->next;
    if (q->next) q->next->prev = q->prev;
    free(q);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata);

/* Sends SCRIPT LOAD; 1 if sent. */
static int send_load(struct quota_share *qs, enum sreq_kind kind)
{
    struct sreq *q = req_new(qs, kind);
    q->is_load = 1;
    if (redisAsyncCommand(redis_conn_ac(qs->conn), on_reply, q, "SCRIPT LOAD %s", SCRIPT) !=
        REDIS_OK) {
        req_free(q);
        return 0;
    }
    return 1;
}

/* The script for d: writes this instance's day fields and pending minute charges, and
 * asks for want_req requests and want_tok tokens (0: a sync only). */
static void send_script(struct quota_share *qs, struct sdep *d, long want_req, long want_tok,
                        long min_tok)
{
    if (!redis_conn_ready(qs->conn) || d->inflight) return;
    int64_t now = clock_now_ms(), mono = clock_mono_ms();
    int64_t day = day_of(d, now);
    leases_tidy(d, mono, day);
    long cr, ct;
    claim(d, now, mono, &cr, &ct);
    char iso[32];
    clock_format_iso(day + 12LL * 3600 * 1000, iso, sizeof iso); /* safely inside the date */
    struct sbuf dkey = {0};
    sbuf_printf(&dkey, "%s{%s}:d:%.10s", QUOTA_SHARE_KEY_PREFIX, d->name, iso);
    int64_t ttl = quota_day_reset_ms(d->lim.day_reset_tz, now) - now + DAY_KEY_GRACE_MS;
    char num[15][24], daynum[24];
    snprintf(daynum, sizeof daynum, "%lld", (long long)day);
    snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)++qs->seq);
    const long vals[] = {d->lim.rpm, d->lim.tpm, d->lim.rpd, d->lim.tpd, cr,
                         ct,         want_req,   want_tok,   min_tok,    ENTRY_LIFE_MS,
                         0,          d->add_req, d->add_tok};
    for (size_t i = 0; i < ARRAY_LEN(vals); i++)
        snprintf(num[i + 1], sizeof num[i + 1], "%ld", vals[i]);
    snprintf(num[11], sizeof num[11], "%lld", (long long)ttl);
    /* clang-format off */
    const char *argv[] = {"EVALSHA", qs->sha, "2", d->mkey, dkey.data, qs->inst,
                          num[0], num[1], num[2], num[3], num[4], num[5], num[6], num[7],
                          num[8], num[9], num[10], num[11], num[12], num[13],
                          d->name, daynum, QUOTA_SHARE_CHANNEL};
    /* clang-format on */
    struct sreq *q = req_new(qs, SREQ_SCRIPT);
    q->d = d;
    q->want = want_req > 0;
    q->day = day;
    q->add_req = d->add_req;
    q->add_tok = d->add_tok;
    if (redisAsyncCommandArgv(redis_conn_ac(qs->conn), on_reply, q, (int)ARRAY_LEN(argv), argv,
                              NULL) != REDIS_OK) {
        req_free(q); /* the context is going down; the disconnect path takes over */
    } else {
        d->add_req = d->add_tok = 0;
        d->inflight = 1;
        d->last_sync_mono = mono;
    }
    sbuf_free(&dkey);
}

/* Asks for a lease sized for calls like this one. */
static void ask_lease(struct quota_share *qs, struct sdep *d, long est)
{
    long rl = tighter(d->lim.rpm, d->lim.rpd);
    long tl = tighter(d->lim.tpm, d->lim.tpd);
    long want_req = rl ? lmax(1, rl / QUOTA_SHARE_LEASE_DIVISOR) : 1;
    long want_tok = tl ? lmax(want_req * lmax(est, 1), tl / QUOTA_SHARE_LEASE_DIVISOR) : 0;
    send_script(qs, d, want_req, want_tok, tl ? lmax(est, 1) : 0);
}

static void script_reply(struct quota_share *qs, struct sreq *q, redisReply *reply)
{
    struct sdep *d = q->d;
    d->inflight = 0;
    int64_t now = clock_now_ms(), mono = clock_mono_ms();
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 6) {
        /* Lost or refused: the charge goes again with the next call (if it did run, it
         * is counted twice, the safe way round). */
        d->add_req += q->add_req;
        d->add_tok += q->add_tok;
        d->next_ask_mono = mono + QUOTA_SHARE_DENIED_RETRY_MS;
        if (reply && reply->type == REDIS_REPLY_ERROR) {
            if (strncmp(reply->str, "NOSCRIPT", 8) == 0 && redis_conn_ready(qs->conn)) {
                send_load(qs, SREQ_RELOAD); /* someone ran SCRIPT FLUSH */
            } else if (!qs->errors_logged++) {
                log_error("quota_share_script_failed", "provider=%s reply=\"%.*s\"", d->name,
                          (int)(reply->len > 200 ? 200 : reply->len), reply->str);
            }
        }
        if (d->waiting && reply) {
            d->waiting = 0;
            notify(qs);
        }
        return;
    }
    long v[6];
    for (int i = 0; i < 6; i++) {
        const redisReply *e = reply->element[i];
        v[i] = e->type == REDIS_REPLY_INTEGER ? (long)e->integer : 0;
    }
    d->known = 1;
    d->known_day = q->day;
    d->g_mreq = v[2];
    d->g_mtok = v[3];
    d->g_dreq = v[4];
    d->g_dtok = v[5];
    int64_t day = day_of(d, now);
    int woke = 0;
    if (v[0] > 0 && q->day == day) {
        struct lease l = {.req = v[0],
                          .tok = v[1],
                          .until_mono = q->sent_mono + QUOTA_SHARE_LEASE_MS,
                          .day = day};
        leases_tidy(d, mono, day);
        if (!lease_valid(&d->cur, mono, day)) {
            d->cur = l;
        } else if (!lease_valid(&d->next, mono, day)) {
            d->next = l;
        } else { /* merged, keeping the earlier expiry: never used past its minute entry */
            d->next.req += l.req;
            d->next.tok += l.tok;
        }
        woke = 1;
    } else if (q->want) {
        d->next_ask_mono = mono + QUOTA_SHARE_DENIED_RETRY_MS;
    }
    if (d->waiting) {
        d->waiting = 0;
        woke = 1;
    }
    if (woke) notify(qs);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)ac;
    struct sreq *q = privdata;
    struct quota_share *qs = q->qs;
    redisReply *reply = r;
    if (qs->freeing) {
        if (q->kind == SREQ_SCRIPT) q->d->inflight = 0;
        req_free(q);
        return;
    }
    switch (q->kind) {
    case SREQ_SETUP:
    case SREQ_RELOAD:
        if (reply && reply->type == REDIS_REPLY_ERROR) {
            redis_conn_setup_failed(qs->conn, reply->str, (int)reply->len);
            break;
        }
        if (reply && q->is_load && reply->type == REDIS_REPLY_STRING && reply->len == 40)
            memcpy(qs->sha, reply->str, 41);
        if (reply && q->kind == SREQ_SETUP) redis_conn_setup_done(qs->conn);
        break;
    case SREQ_SCRIPT:
        script_reply(qs, q, reply);
        break;
    }
    req_free(q);
}

/* ---- connection ---- */

/* The connection can serve: the script is loaded. Windows that saw an outage keep their
 * caps (see quota_share.h); this instance's usage goes to Redis with the first script
 * call of each deployment, before any new lease. */
static void on_ready(void *data)
{
    struct quota_share *qs = data;
    qs->errors_logged = 0;
    int64_t now = clock_now_ms(), mono = clock_mono_ms();
    int was_out = qs->outage;
    qs->outage = 0;
    qs->ever_connected = 1;
    log_info("quota_share_connected", "addr=%s port=%d db=%d instance=%s reconciled=%d",
             qs->url.addr, qs->url.port, qs->url.db, qs->inst, was_out);
    for (int i = 0; i < qs->n_deps; i++) {
        struct sdep *d = qs->deps[i];
        if (was_out) {
            long mr, mt;
            quota_minute_usage(&d->own, now, &mr, &mt);
            d->add_req += mr; /* Redis may have lost them, or never seen them */
            d->add_tok += mt;
            d->cap_min_until = mono + MINUTE_MS + ENTRY_LIFE_MS;
        }
        d->next_ask_mono = 0;
        send_script(qs, d, 0, 0, 0);
    }
    notify(qs);
}

static void on_lost(void *data, const char *why)
{
    start_outage(data, why);
}

/* While connecting, after AUTH/SELECT: the script must be loaded before READY. */
static int on_setup(void *data, redisAsyncContext *ac)
{
    (void)ac;
    return send_load(data, SREQ_SETUP);
}

static void on_tick(void *arg)
{
    struct quota_share *qs = arg;
    int64_t mono = clock_mono_ms();
    if (!qs->ever_connected && !qs->outage &&
        mono - qs->created_mono >= QUOTA_SHARE_STARTUP_GRACE_MS)
        start_outage(qs, "not reachable since start");
    if (redis_conn_ready(qs->conn)) {
        for (struct sreq *q = qs->inflight; q; q = q->next) {
            if (q->kind != SREQ_SETUP && mono - q->sent_mono > QUOTA_SHARE_REPLY_TIMEOUT_MS) {
                redis_conn_drop(qs->conn, "no reply in time");
                break;
            }
        }
    }
    for (int i = 0; redis_conn_ready(qs->conn) && i < qs->n_deps; i++) {
        struct sdep *d = qs->deps[i];
        if (!d->inflight && mono - d->last_sync_mono >= QUOTA_SHARE_REFRESH_MS)
            send_script(qs, d, 0, 0, 0);
    }
    timer_start(qs->tick, TICK_MS);
}

/* ---- the usage channel ----
 *
 * A second connection, subscribed to QUOTA_SHARE_CHANNEL: the script publishes the
 * fleet's sums whenever they go up, and every instance raises what it knows of them.
 * Only knowledge rides on it (a lost message costs freshness until the next sync, never
 * a decision): replies overwrite what an instance knows, messages only raise it. */

static struct sdep *dep_find(struct quota_share *qs, const char *name);

static void on_sub_message(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)ac;
    struct quota_share *qs = privdata;
    redisReply *reply = r;
    if (!reply || qs->freeing) return;
    if (reply->type == REDIS_REPLY_ERROR) { /* refused: the back-off spaces attempts */
        redis_conn_setup_failed(qs->sub, reply->str, (int)reply->len);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    const redisReply *kind = reply->element[0], *msg = reply->element[2];
    if (kind->type != REDIS_REPLY_STRING || strcmp(kind->str, "subscribe") == 0) {
        redis_conn_setup_done(qs->sub); /* subscribed: a good connection */
        return;
    }
    if (strcmp(kind->str, "message") != 0 || msg->type != REDIS_REPLY_STRING) return;
    long long day;
    long v[4];
    int used = 0;
    if (sscanf(msg->str, "%lld %ld %ld %ld %ld %n", &day, &v[0], &v[1], &v[2], &v[3], &used) != 5 ||
        used <= 0)
        return;
    struct sdep *d = dep_find(qs, msg->str + used);
    if (!d || (d->known && d->known_day > day)) return;
    if (!d->known || d->known_day < day) {
        d->known = 1;
        d->known_day = day;
        d->g_mreq = v[0];
        d->g_mtok = v[1];
        d->g_dreq = v[2];
        d->g_dtok = v[3];
        return;
    }
    d->g_mreq = lmax(d->g_mreq, v[0]);
    d->g_mtok = lmax(d->g_mtok, v[1]);
    d->g_dreq = lmax(d->g_dreq, v[2]);
    d->g_dtok = lmax(d->g_dtok, v[3]);
}

/* After AUTH/SELECT: the subscription, whose confirmation makes the connection READY. */
static int on_sub_setup(void *data, redisAsyncContext *ac)
{
    return redisAsyncCommand(ac, on_sub_message, data, "SUBSCRIBE %s", QUOTA_SHARE_CHANNEL) ==
           REDIS_OK;
}

/* ---- deployments ---- */

static struct sdep *dep_find(struct quota_share *qs, const char *name)
{
    for (int i = 0; i < qs->n_deps; i++)
        if (strcmp(qs->deps[i]->name, name) == 0) return qs->deps[i];
    return NULL;
}

static struct sdep *dep_get(struct quota_share *qs, const char *name,
                            const struct quota_limits *lim, int64_t now)
{
    struct sdep *d = dep_find(qs, name);
    if (d) {
        d->lim = *lim;
        return d;
    }
    d = xcalloc(1, sizeof *d);
    d->name = xstrdup(name);
    struct sbuf k = {0};
    sbuf_printf(&k, "%s{%s}:m", QUOTA_SHARE_KEY_PREFIX, name);
    d->mkey = sbuf_take(&k);
    d->lim = *lim;
    struct quota_limits none = {.day_reset_tz = lim->day_reset_tz};
    quota_init(&d->own, &none, now);
    d->cap_day = -1;
    if (qs->n_deps == qs->cap_deps) {
        qs->cap_deps = qs->cap_deps ? qs->cap_deps * 2 : 8;
        qs->deps = xrealloc(qs->deps, (size_t)qs->cap_deps * sizeof *qs->deps);
    }
    qs->deps[qs->n_deps++] = d;
    if (qs->outage) enter_fallback(qs, d, now, clock_mono_ms());
    return d;
}

static int shared(const struct quota_limits *lim)
{
    return req_limited(lim) || tok_limited(lim);
}

/* ---- public ---- */

struct quota_share *quota_share_new(struct event_base *base, const char *redis_url,
                                    int expected_instances, char *err, size_t errlen)
{
    assert(base);
    if (err && errlen) err[0] = 0;
    struct redis_url u;
    char why[512];
    if (redis_url_parse(redis_url, "[redis] url", &u, why, sizeof why) != 0) {
        redis_url_clear(&u);
        if (err && errlen) snprintf(err, errlen, "%s", why);
        return NULL;
    }
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);

    struct quota_share *qs = xcalloc(1, sizeof *qs);
    qs->base = base;
    qs->url = u;
    qs->n_inst = expected_instances < 1 ? 1 : expected_instances;
    unsigned char id[8];
    if (util_random_bytes(id, sizeof id) != 0) abort(); /* see util_random_id */
    util_hex(id, sizeof id, qs->inst);
    qs->created_mono = clock_mono_ms();
    qs->tick = timer_new(base, on_tick, qs);
    struct redis_conn_cfg cfg = {
        .name = "quota_share",
        .url = &qs->url,
        .connect_timeout_ms = QUOTA_SHARE_CONNECT_TIMEOUT_MS,
        .backoff_min_ms = QUOTA_SHARE_BACKOFF_MIN_MS,
        .backoff_max_ms = QUOTA_SHARE_BACKOFF_MAX_MS,
        .setup = on_setup,
        .ready = on_ready,
        .lost = on_lost,
        .data = qs,
    };
    qs->conn = redis_conn_new(base, &cfg);
    /* The usage channel: READY once subscribed; nothing else depends on its state. */
    cfg = (struct redis_conn_cfg){
        .name = "quota_share_usage",
        .url = &qs->url,
        .connect_timeout_ms = QUOTA_SHARE_CONNECT_TIMEOUT_MS,
        .backoff_min_ms = QUOTA_SHARE_BACKOFF_MIN_MS,
        .backoff_max_ms = QUOTA_SHARE_BACKOFF_MAX_MS,
        .setup = on_sub_setup,
        .data = qs,
    };
    qs->sub = redis_conn_new(base, &cfg);
    timer_start(qs->tick, TICK_MS);
    log_info("quota_share_started", "addr=%s port=%d instance=%s expected_instances=%d",
             qs->url.addr, qs->url.port, qs->inst, qs->n_inst);
    return qs;
}

void quota_share_free(struct quota_share *qs)
{
    if (!qs) return;
    qs->freeing = 1;
    redis_conn_free(qs->conn); /* runs on_reply(NULL) for each request, freeing it */
    assert(qs->inflight == NULL);
    redis_conn_free(qs->sub); /* on_sub_message(NULL) for the pending ones: ignored */
    timer_free(qs->tick);
    for (int i = 0; i < qs->n_deps; i++) {
        free(qs->deps[i]->name);
        free(qs->deps[i]->mkey);
        free(qs->deps[i]);
    }
    free(qs->deps);
    redis_url_clear(&qs->url);
    free(qs);
}

void quota_share_set_wake(struct quota_share *qs, void (*fn)(void *data), void *data)
{
    qs->wake = fn;
    qs->wake_data = data;
}

int quota_share_can_take(struct quota_share *qs, const char *deployment,
                         const struct quota_limits *lim, int64_t now_ms, long est_tokens)
{
    if (!shared(lim)) return 1;
    struct sdep *d = dep_get(qs, deployment, lim, now_ms);
    int64_t mono = clock_mono_ms();
    if (!caps_allow(qs, d, now_ms, mono, est_tokens)) return 0;
    if (qs->outage) return 1;          /* the fallback share said yes */
    if (!redis_conn_ready(qs->conn)) { /* start-up, within the grace: wait for Redis */
        d->waiting = 1;
        return 0;
    }
    int64_t day = day_of(d, now_ms);
    leases_tidy(d, mono, day);
    int fits = lease_fits(d, &d->cur, mono, day, est_tokens) ||
               lease_fits(d, &d->next, mono, day, est_tokens);
    long rl = tighter(d->lim.rpm, d->lim.rpd);
    long want_req = rl ? lmax(1, rl / QUOTA_SHARE_LEASE_DIVISOR) : 1;
    int low = !fits || (!lease_valid(&d->next, mono, day) &&
                        ((req_limited(lim) && d->cur.req * 2 <= want_req && want_req > 1) ||
                         (tok_limited(lim) && d->cur.tok < 2 * lmax(est_tokens, 1))));
    if (low && !d->inflight && mono >= d->next_ask_mono) ask_lease(qs, d, est_tokens);
    if (!fits) d->waiting = 1;
    return fits;
}

void quota_share_take(struct quota_share *qs, const char *deployment,
                      const struct quota_limits *lim, int64_t now_ms, long est_tokens)
{
    if (!shared(lim)) return;
    struct sdep *d = dep_get(qs, deployment, lim, now_ms);
    int64_t mono = clock_mono_ms(), day = day_of(d, now_ms);
    quota_take(&d->own, now_ms, est_tokens);
    leases_tidy(d, mono, day);
    struct lease *l = lease_fits(d, &d->cur, mono, day, est_tokens)    ? &d->cur
                      : lease_fits(d, &d->next, mono, day, est_tokens) ? &d->next
                      : lease_valid(&d->cur, mono, day)                ? &d->cur
                                                                       : NULL;
    if (!l) return; /* fallback, or a take nobody checked: counted in the day fields anyway */
    l->req = lmax(0, l->req - 1);
    if (tok_limited(&d->lim)) l->tok = lmax(0, l->tok - lmax(est_tokens, 0));
}

void quota_share_settle(struct quota_share *qs, const char *deployment,
                        const struct quota_limits *lim, int64_t taken_ms, int64_t now_ms,
                        long est_tokens, long actual_tokens)
{
    if (!shared(lim)) return;
    struct sdep *d = dep_find(qs, deployment);
    if (!d) return;
    quota_settle_taken(&d->own, now_ms, taken_ms, est_tokens, actual_tokens, 1);
    /* Charges for the minute go with the next sync (the day fields follow own usage).
     * While Redis is away, the reconnect pushes the whole minute instead. */
    if (!redis_conn_ready(qs->conn) || qs->outage) return;
    if (now_ms - taken_ms > QUOTA_SHARE_ARRIVAL_SLACK_MS) {
        /* so slow that it may have reached the provider after its lease's entry stops
         * counting: count it again from now (settling is after the provider counted) */
        d->add_req += 1;
        d->add_tok += actual_tokens >= 0 ? actual_tokens : lmax(est_tokens, 0);
    } else if (actual_tokens > est_tokens) {
        d->add_tok += actual_tokens - lmax(est_tokens, 0);
    }
}

int quota_share_connected(const struct quota_share *qs)
{
    return redis_conn_ready(qs->conn);
}

int quota_share_on_fallback(const struct quota_share *qs)
{
    return qs->outage;
}

const char *quota_share_instance(const struct quota_share *qs)
{
    return qs->inst;
}
