/* quota_share: one deployment's quota windows shared by every interviewd instance of a
 * fleet through Redis, so N instances on one key spend its limits once, not N times.
 *
 * Leases. An instance does not ask Redis before every call: it holds a small *lease*
 * per deployment (some requests and tokens it may spend in the next
 * QUOTA_SHARE_LEASE_MS) and spends it locally, synchronously. When a lease runs low the
 * instance asks for the next one in the background, one request in flight per
 * deployment, and the router's queue is woken (quota_share_set_wake) when it arrives. A
 * lease is at most 1/QUOTA_SHARE_LEASE_DIVISOR of the tightest request limit (at least
 * one request), and enough tokens for that many calls of the size that asked, or
 * 1/QUOTA_SHARE_LEASE_DIVISOR of the tightest token limit if that is more.
 *
 * Redis holds, per deployment (the [provider.NAME] name: instances must agree on
 * names; keys carry it in a {hash tag}, so a cluster keeps a deployment on one slot):
 *   interviewd:quota:{NAME}:m             sorted set, the sliding minute: one member
 *                                         "INST:SEQ:g|c:REQ:TOK" per lease granted (scored
 *                                         at grant + QUOTA_SHARE_LEASE_MS +
 *                                         QUOTA_SHARE_ARRIVAL_SLACK_MS, Redis' clock: the
 *                                         last call of a lease may reach the provider
 *                                         late) or charge pushed (scored when pushed); a
 *                                         member counts until its score + 60 s.
 *   interviewd:quota:{NAME}:d:YYYY-MM-DD  hash, the deployment's day (in its own reset
 *                                         zone): fields "INST:r" and "INST:t", what
 *                                         instance INST has used plus still holds in
 *                                         leases, requests and tokens. Expires an hour
 *                                         after the day ends.
 * One Lua script (EVALSHA; SCRIPT LOAD after every connect and on NOSCRIPT) does
 * everything atomically: it writes this instance's day fields (absolute values, not
 * increments), adds pending minute charges, sums the fleet's minute and day, grants what
 * fits under every limit, and returns the grant and the sums. When the sums went up it
 * also PUBLISHes them on QUOTA_SHARE_CHANNEL ("DAYSTARTMS MINREQ MINTOK DAYREQ DAYTOK
 * NAME"), which every instance hears on a second, subscribed connection.
 *
 * Why not the fixed 60 s bucket and INCRBY the design sketch named: a fixed bucket
 * lets two instances spend a whole minute's limit on each side of a bucket edge, twice
 * the limit within a second, which a provider with a sliding window or a token bucket
 * refuses; the local router's window is sliding for the same reason (llm/quota.h). And
 * a day counter kept by INCRBY loses everything when Redis restarts without
 * persistence, and double-counts a push whose reply was lost; absolute per-instance
 * fields are re-written on every call, so a restarted Redis is whole again after one
 * round trip and a retried write is harmless.
 *
 * What is conservative (only ever errs towards "used more"):
 *   - a lease counts as used in the minute for its whole life plus the arrival slack
 *     plus 60 s, used or not; a call that settles more than QUOTA_SHARE_ARRIVAL_SLACK_MS
 *     after it was taken is charged to the minute again when it settles;
 *   - in the day, what is left of an expired lease is given back at the next sync (the
 *     instance's field drops to what it really used);
 *   - tokens: a call's estimate is spent from the lease; a settled call whose actual
 *     usage is higher adds the excess as a minute charge and to the day field; a lower
 *     one lowers the day field only (the minute keeps the estimate);
 *   - a call that never reached the provider keeps its request (the router's local
 *     quota gives it back; the fleet's count does not).
 * Concurrency limits stay per instance (the router's own quota): they are not shared.
 *
 * What an instance knows of the fleet's usage sets its fallback share below, so it is
 * kept fresh: a reply overwrites it, a published message raises it at once (an idle
 * instance knows what the busy one just took), and every deployment re-syncs every
 * QUOTA_SHARE_REFRESH_MS anyway (writes this instance's day fields, reads the sums), so
 * a lost message or subscriber costs at most that much staleness.
 *
 * Redis unreachable. Never reachable within QUOTA_SHARE_STARTUP_GRACE_MS of start, or
 * lost (connection closed, or a reply later than QUOTA_SHARE_REPLY_TIMEOUT_MS): the
 * instance keeps serving on a *fallback share* of every limit, counted on its own
 * usage, with N = expected_instances ([redis] expected_instances):
 *   - a window that lies wholly inside the outage: limit / N (floor) per instance;
 *   - the day the outage began in: what this instance had used plus (limit - the
 *     fleet's usage last known) / N, but never more than limit / N in all;
 *   - the minute it began in: for the first 60 s + lease life of the outage, at most
 *     (limit - the fleet's minute usage last known) / N in this instance's sliding
 *     minute (its own recent calls are thereby counted twice: simpler, only tighter).
 * Leases held when the connection drops are abandoned (they stay counted).
 * When Redis returns, the first script call per deployment re-writes this instance's
 * day fields (its whole day's usage, so a Redis that lost its data is whole again) and
 * pushes its sliding-minute usage as one charge, before any new lease is granted (same
 * connection, so Redis runs them in order). The caps of the windows that saw the outage
 * stay in force until those windows end (the day until its reset, the minute until
 * 60 s + lease life after the reconnect), on top of the leases: other instances may
 * still be cut off and spending their share, which nobody can know until they return.
 *
 * What it costs, and what it guarantees. A fleet of at most N instances running on its
 * fallback share spends at most the limit in total: N * limit / N for windows wholly
 * inside the outage; for the window the outage began in, the fleet's usage at that
 * moment plus N * (limit - that usage) / N when every instance knew that usage (the
 * usage channel makes that the rule, not the exception), and in any case at most
 * limit if the instances had used about the same (the limit / N ceiling). Only both
 * at once, stale knowledge and uneven use (a message lost just before the outage while
 * one instance did most of the work), can overrun, by what the fleet spent unseen. The
 * price is throughput: each instance gets 1/N of what is left whatever its own load,
 * for the rest of the day in which Redis was away (a short blip in the morning turns
 * the day into a static split), and a lease held at the outage is lost for that day.
 * With more than N instances running, or an instance cut off from Redis while the
 * others are not, the guarantee is void; set expected_instances to the fleet's size,
 * never lower (higher only costs throughput while Redis is away).
 *
 * Times: now_ms is epoch milliseconds (days and their reset zone); lease lives, reply
 * timeouts and the refresh use clock_mono_ms(). Every wait is a core/timer. One event
 * loop owns a share; not thread-safe. */
#ifndef LLM_QUOTA_SHARE_H
#define LLM_QUOTA_SHARE_H

#include "llm/quota.h"

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct quota_share;

/* Limits and defaults, in one place. */
#define QUOTA_SHARE_LEASE_MS 10000L          /* a lease is usable this long after asking */
#define QUOTA_SHARE_LEASE_DIVISOR 20L        /* a lease: at most 1/20 of the tightest limit */
#define QUOTA_SHARE_ARRIVAL_SLACK_MS 5000L   /* a call reaches the provider within this */
#define QUOTA_SHARE_REFRESH_MS 1000L         /* each deployment re-syncs this often */
#define QUOTA_SHARE_DENIED_RETRY_MS 250L     /* after a refused or failed ask, wait this */
#define QUOTA_SHARE_REPLY_TIMEOUT_MS 1000L   /* a later reply drops the connection */
#define QUOTA_SHARE_CONNECT_TIMEOUT_MS 1000L /* connect + AUTH/SELECT/SCRIPT LOAD */
#define QUOTA_SHARE_STARTUP_GRACE_MS 2000L   /* never connected: wait this, then fallback */
#define QUOTA_SHARE_BACKOFF_MIN_MS 100L      /* reconnect back-off, doubling ... */
#define QUOTA_SHARE_BACKOFF_MAX_MS 2000L     /* ... up to this */
#define QUOTA_SHARE_DEFAULT_INSTANCES 2      /* [redis] expected_instances default */
#define QUOTA_SHARE_KEY_PREFIX "interviewd:quota:"
#define QUOTA_SHARE_CHANNEL "interviewd:quota:usage" /* the fleet's usage, published */

/* A share on the loop, connecting to redis_url in the background (redis://[[user]:
 * password@]host[:port][/db]); expected_instances < 1 counts as 1. NULL with a sentence
 * in err if the URL is malformed or its host does not resolve. */
struct quota_share *quota_share_new(struct event_base *base, const char *redis_url,
                                    int expected_instances, char *err, size_t errlen);
/* Abandons what is in flight (leases held stay counted in Redis). NULL is fine. */
void quota_share_free(struct quota_share *qs);

/* Called (on the loop, from a Redis reply or a timer) whenever a call refused by
 * quota_share_can_take may fit now: a lease arrived, the connection became ready, or
 * the fallback share took effect. It should only schedule a retry (the router starts its
 * wake timer), never take calls inside. fn NULL removes it. */
void quota_share_set_wake(struct quota_share *qs, void (*fn)(void *data), void *data);

/* 1 if a call of est_tokens on deployment (limits lim, as the router has them in force)
 * fits the fleet's windows now: a lease covers it, or, while Redis is away, the
 * fallback share does. Never blocks. A 0 may ask for a lease in the background (then
 * the wake callback runs when it arrives). A deployment without rpm/rpd/tpm/tpd always
 * fits (concurrency is not shared). */
int quota_share_can_take(struct quota_share *qs, const char *deployment,
                         const struct quota_limits *lim, int64_t now_ms, long est_tokens);
/* Spends one request and est_tokens of the deployment's lease (call right after a
 * quota_share_can_take that said 1, with the same arguments). */
void quota_share_take(struct quota_share *qs, const char *deployment,
                      const struct quota_limits *lim, int64_t now_ms, long est_tokens);
/* Reconciles a call taken at taken_ms: its estimate is replaced by actual_tokens (-1:
 * unknown, keep the estimate; 0 for a call that never reached the provider: its request
 * stays counted). Redis learns it at the next sync. */
void quota_share_settle(struct quota_share *qs, const char *deployment,
                        const struct quota_limits *lim, int64_t taken_ms, int64_t now_ms,
                        long est_tokens, long actual_tokens);

/* 1 while connected and the script is loaded; 0 while connecting or on the fallback. */
int quota_share_connected(const struct quota_share *qs);
/* 1 while the fallback share is in force (Redis lost, or never reached in the grace). */
int quota_share_on_fallback(const struct quota_share *qs);
/* This instance's identifier in Redis (the INST of the keys above). */
const char *quota_share_instance(const struct quota_share *qs);

#endif
