/* quota: sliding-minute and calendar-day windows for one deployment.
 *
 * The one idea: every number here may only err on the side of "used more". A provider
 * that refuses us costs a request we may not have; one we overrun may lock a key for
 * the day. So each decision that cannot be exact is made in the over-counting
 * direction, and the comments say why each one is.
 *
 * Minute window. 61 one-second buckets in a ring. A bucket counts until 60 s after the
 * latest charge in it, which can be up to 60.999 s after its second began; with 61
 * slots a slot is reused only after its old bucket has expired (a 60-slot ring would
 * drop a still-live bucket). Charging a call to the bucket of its second and keeping
 * the whole bucket until its latest call + 60 s over-counts the earlier calls in it by
 * under a second, never under-counts.
 *
 * Settling without the take time. A refund (actual < estimate) must come out of the
 * bucket the reservation went into, or an older one: taking it from an older bucket
 * makes that bucket expire lighter and the true one heavier, so the window over-counts
 * in between and is exact otherwise; taking it from a newer one would under-count. The
 * oldest bucket holding an unsettled reservation is never newer than the settling
 * call's, so refunds go there. The "unsettled" marks are released newest first, which
 * keeps the oldest mark in place as long as any call that old may still be in flight.
 * Extra usage (actual > estimate) goes into the current second, which is never older
 * than the reservation. The day window has one bucket, so there the only question is
 * whether the reservation was taken today: with reservations from yesterday still in
 * flight, an anonymous refund is dropped.
 *
 * Day window. A count for the day that started at day_start_ms; the first charge or
 * observation of a later day resets it (reads compute the reset without writing it, so
 * quota_can_take can take a const quota). The Pacific day uses the US DST rule: UTC-7
 * from the second Sunday of March 02:00 PST (10:00 UTC) to the first Sunday of November
 * 02:00 PDT (09:00 UTC), UTC-8 otherwise. Midnight is never inside a transition hour, so
 * the offset at a local midnight depends on the date alone. */
#include "llm/quota.h"

#include <assert.h>
#include <string.h>

#define SECOND_MS 1000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

/* ---- small arithmetic ------------------------------------------------------------- */

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

static int64_t floormod(int64_t a, int64_t b)
{
    return a - floordiv(a, b) * b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static long maxl(long a, long b)
{
    return a > b ? a : b;
}

static long minl(long a, long b)
{
    return a < b ? a : b;
}

/* ---- calendar ----------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floordiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The year of a day number (inverse of the above, year only). */
static int64_t year_of_day(int64_t z)
{
    z += 719468;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return yoe + era * 400 + (m <= 2);
}

/* Day number of the n-th Sunday of a month. 1970-01-01 was a Thursday. */
static int64_t nth_sunday(int64_t y, int m, int n)
{
    int64_t first = days_from_civil(y, m, 1);
    int64_t weekday = floormod(first + 4, 7); /* 0 = Sunday */
    return first + (7 - weekday) % 7 + 7 * (n - 1);
}

/* The router asks for the Pacific day of the same few instants thousands of times a
 * second (every queued call, every deployment): the DST bounds of the last year asked
 * for are remembered, per thread. A cache of a pure function of the year, so it never
 * changes an answer. */
struct dst_year {
    int64_t first_day, next_day; /* the year's days: first_day <= day < next_day */
    int64_t start_day;           /* its second Sunday of March */
    int64_t end_day;             /* its first Sunday of November */
};

static const struct dst_year *dst_year_of(int64_t day)
{
    static _Thread_local struct dst_year memo = {0, 0, 0, 0}; /* empty: no day fits */
    if (day < memo.first_day || day >= memo.next_day) {
        int64_t y = year_of_day(day);
        memo = (struct dst_year){days_from_civil(y, 1, 1), days_from_civil(y + 1, 1, 1),
                                 nth_sunday(y, 3, 2), nth_sunday(y, 11, 1)};
    }
    return &memo;
}

/* Pacific daylight time at an instant. */
static int pacific_dst_at(int64_t utc_ms)
{
    const struct dst_year *dy = dst_year_of(floordiv(utc_ms, DAY_MS));
    int64_t start = dy->start_day * DAY_MS + 10 * HOUR_MS; /* 02:00 PST */
    int64_t end = dy->end_day * DAY_MS + 9 * HOUR_MS;      /* 02:00 PDT */
    return utc_ms >= start && utc_ms < end;
}

/* Pacific daylight time at 00:00 local of a local date (a day number). */
static int pacific_dst_at_midnight(int64_t local_day)
{
    const struct dst_year *dy = dst_year_of(local_day);
    return local_day > dy->start_day && local_day <= dy->end_day;
}

/* UTC instant of 00:00 Pacific on a local date. */
static int64_t pacific_midnight(int64_t local_day)
{
    return local_day * DAY_MS + (pacific_dst_at_midnight(local_day) ? 7 : 8) * HOUR_MS;
}

static int64_t pacific_day_of(int64_t utc_ms)
{
    int64_t offset = pacific_dst_at(utc_ms) ? -7 * HOUR_MS : -8 * HOUR_MS;
    return floordiv(utc_ms + offset, DAY_MS);
}

int64_t quota_day_start_ms(int tz, int64_t now_ms)
{
    if (tz == QUOTA_TZ_PACIFIC) {
        /* the last instant asked for, per thread: a pure function, so never stale */
        static _Thread_local int64_t memo_at = INT64_MIN, memo_start;
        if (now_ms != memo_at) {
            memo_start = pacific_midnight(pacific_day_of(now_ms));
            memo_at = now_ms;
        }
        return memo_start;
    }
    return floordiv(now_ms, DAY_MS) * DAY_MS;
}

int64_t quota_day_reset_ms(int tz, int64_t now_ms)
{
    if (tz == QUOTA_TZ_PACIFIC) return pacific_midnight(pacific_day_of(now_ms) + 1);
    return (floordiv(now_ms, DAY_MS) + 1) * DAY_MS;
}

/* ---- reading the windows (const) --------------------------------------------------- */

/* 1 if now_ms is in a later day than the counts belong to. A clock that went back keeps
 * the counts (over-counting). */
static int day_rolled(const struct quota *q, int64_t now_ms)
{
    return quota_day_start_ms(q->limits.day_reset_tz, now_ms) > q->day_start_ms;
}

static long day_requests_at(const struct quota *q, int64_t now_ms)
{
    return day_rolled(q, now_ms) ? 0 : q->day_requests;
}

static long day_tokens_at(const struct quota *q, int64_t now_ms)
{
    return day_rolled(q, now_ms) ? 0 : q->day_tokens;
}

static long month_left_at(const struct quota *q, int64_t now_ms)
{
    return day_rolled(q, now_ms) ? -1 : q->month_left;
}

static int64_t bucket_expiry(const struct quota_bucket *b)
{
    return b->last_ms + QUOTA_WINDOW_MS;
}

static int bucket_live(const struct quota_bucket *b, int64_t now_ms)
{
    return b->sec >= 0 && bucket_expiry(b) > now_ms;
}

/* Our own charges in the sliding minute at now_ms (without the provider's extra). */
static void minute_sum(const struct quota *q, int64_t now_ms, long *requests, long *tokens)
{
    long r = 0, t = 0;
    for (int i = 0; i < QUOTA_BUCKETS; i++) {
        const struct quota_bucket *b = &q->minute[i];
        if (!bucket_live(b, now_ms)) continue;
        r += b->requests;
        t += b->tokens;
    }
    *requests = r;
    *tokens = t;
}

/* minute_sum, remembered for the instant asked (the router asks about "now" many times
 * over; quota_next_available_ms's look-ahead does not go through here). */
static void minute_own(const struct quota *q, int64_t now_ms, long *requests, long *tokens)
{
    if (!q->memo_valid || q->memo_ms != now_ms) {
        /* the memo is not part of the windows' value: a read may write it */
        struct quota *m = (struct quota *)q;
        minute_sum(q, now_ms, &m->memo_requests, &m->memo_tokens);
        m->memo_valid = 1;
        m->memo_ms = now_ms;
    }
    *requests = q->memo_requests;
    *tokens = q->memo_tokens;
}

/* minute[] is about to change or has changed: what the reads remembered is stale. */
static void memo_forget(struct quota *q)
{
    q->memo_valid = 0;
}

void quota_minute_usage(const struct quota *q, int64_t now_ms, long *requests, long *tokens)
{
    long r, t;
    minute_own(q, now_ms, &r, &t);
    if (now_ms < q->extra_requests_until_ms) r += q->extra_requests;
    if (now_ms < q->extra_tokens_until_ms) t += q->extra_tokens;
    if (requests) *requests = r;
    if (tokens) *tokens = t;
}

/* 1 if one more request of est tokens fits the minute at t_ms; look_ahead: t_ms is a
 * moment to come, not worth remembering. */
static int minute_fits(const struct quota *q, int64_t t_ms, long est, int look_ahead)
{
    long r, t;
    if (look_ahead)
        minute_sum(q, t_ms, &r, &t);
    else
        minute_own(q, t_ms, &r, &t);
    if (t_ms < q->extra_requests_until_ms) r += q->extra_requests;
    if (t_ms < q->extra_tokens_until_ms) t += q->extra_tokens;
    if (q->limits.rpm > 0 && r + 1 > q->limits.rpm) return 0;
    if (q->limits.tpm > 0 && t + est > q->limits.tpm) return 0;
    return 1;
}

int quota_can_take(const struct quota *q, int64_t now_ms, long est_tokens, const char **why)
{
    const struct quota_limits *L = &q->limits;
    long est = est_tokens > 0 ? est_tokens : 0;
    long month = month_left_at(q, now_ms);
    long mr, mt;
    quota_minute_usage(q, now_ms, &mr, &mt);
    const char *w = NULL;
    if (now_ms < q->day_exhausted_until_ms)
        w = "day_exhausted";
    else if (L->rpd > 0 && day_requests_at(q, now_ms) + 1 > L->rpd)
        w = "rpd";
    else if (L->tpd > 0 && day_tokens_at(q, now_ms) + est > L->tpd)
        w = "tpd";
    else if (month >= 0 && est > month)
        w = "month";
    else if (now_ms < q->cooldown_until_ms)
        w = "cooldown";
    else if (L->rpm > 0 && mr + 1 > L->rpm)
        w = "rpm";
    else if (L->tpm > 0 && mt + est > L->tpm)
        w = "tpm";
    else if (L->concurrency > 0 && q->in_flight >= L->concurrency)
        w = "concurrency";
    if (why) *why = w;
    return w == NULL;
}

int64_t quota_next_available_ms(const struct quota *q, int64_t now_ms, long est_tokens)
{
    const struct quota_limits *L = &q->limits;
    long est = est_tokens > 0 ? est_tokens : 0;
    if ((L->tpm > 0 && est > L->tpm) || (L->tpd > 0 && est > L->tpd)) return QUOTA_NEVER;
    if (q->month_limit >= 0 && est > q->month_limit) return QUOTA_NEVER;

    /* Each condition only gets easier with time (windows drain, blocks expire, a new
     * day forgets), so the answer is the latest of each one's earliest time. */
    int64_t t = max64(now_ms, max64(q->day_exhausted_until_ms, q->cooldown_until_ms));
    long month = month_left_at(q, t);
    if ((L->rpd > 0 && day_requests_at(q, t) + 1 > L->rpd) ||
        (L->tpd > 0 && day_tokens_at(q, t) + est > L->tpd) || (month >= 0 && est > month))
        t = quota_day_reset_ms(L->day_reset_tz, t);

    /* The minute can only change when a bucket or the provider's extra expires: the
     * earliest of those moments after t at which est fits. They are tried in order of
     * time, so the first that fits is the answer (each try sums the whole window). */
    if (minute_fits(q, t, est, t != now_ms)) return t;
    int64_t cands[QUOTA_BUCKETS + 2];
    int n = 0;
    for (int i = 0; i <= QUOTA_BUCKETS + 1; i++) {
        int64_t cand;
        if (i < QUOTA_BUCKETS)
            cand = q->minute[i].sec >= 0 ? bucket_expiry(&q->minute[i]) : -1;
        else if (i == QUOTA_BUCKETS)
            cand = q->extra_requests_until_ms;
        else
            cand = q->extra_tokens_until_ms;
        if (cand <= t) continue;
        int k = n++; /* insertion sort: at most 63 moments */
        while (k > 0 && cands[k - 1] > cand) {
            cands[k] = cands[k - 1];
            k--;
        }
        cands[k] = cand;
    }
    int64_t best = QUOTA_NEVER;
    for (int k = 0; k < n && best == QUOTA_NEVER; k++)
        if (cands[k] < QUOTA_NEVER && minute_fits(q, cands[k], est, 1)) best = cands[k];
    /* With every bucket expired the minute is empty and est fits: best was found. */
    assert(best != QUOTA_NEVER);
    return best;
}

long quota_remaining_day_requests(const struct quota *q, int64_t now_ms)
{
    if (q->limits.rpd <= 0) return -1;
    if (now_ms < q->day_exhausted_until_ms) return 0;
    return maxl(0, q->limits.rpd - day_requests_at(q, now_ms));
}

long quota_remaining_day_tokens(const struct quota *q, int64_t now_ms)
{
    long month = month_left_at(q, now_ms);
    if (q->limits.tpd <= 0 && month < 0) return -1;
    if (now_ms < q->day_exhausted_until_ms) return 0;
    long left = q->limits.tpd > 0 ? maxl(0, q->limits.tpd - day_tokens_at(q, now_ms)) : month;
    return month >= 0 ? minl(left, month) : left;
}

double quota_day_fraction_left(const struct quota *q, int64_t now_ms)
{
    if (now_ms < q->day_exhausted_until_ms) return 0.0;
    double f = 1.0;
    if (q->limits.rpd > 0) {
        double x = (double)(q->limits.rpd - day_requests_at(q, now_ms)) / (double)q->limits.rpd;
        if (x < f) f = x;
    }
    if (q->limits.tpd > 0) {
        double x = (double)(q->limits.tpd - day_tokens_at(q, now_ms)) / (double)q->limits.tpd;
        if (x < f) f = x;
    }
    long month = month_left_at(q, now_ms);
    if (month >= 0 && q->month_limit > 0) {
        double x = (double)month / (double)q->month_limit;
        if (x < f) f = x;
    }
    return f < 0 ? 0.0 : f;
}

/* ---- changing the windows ----------------------------------------------------------- */

static void combine_limits(struct quota *q)
{
    long *in_force[] = {&q->limits.rpm, &q->limits.rpd, &q->limits.tpm, &q->limits.tpd};
    const long cfg[] = {q->config.rpm, q->config.rpd, q->config.tpm, q->config.tpd};
    const long seen[] = {q->reported.rpm, q->reported.rpd, q->reported.tpm, q->reported.tpd};
    for (int i = 0; i < 4; i++)
        *in_force[i] = seen[i] > 0 ? (cfg[i] > 0 ? minl(cfg[i], seen[i]) : seen[i]) : cfg[i];
    q->limits.concurrency = q->config.concurrency;
    q->limits.day_reset_tz = q->config.day_reset_tz;
}

void quota_init(struct quota *q, const struct quota_limits *limits, int64_t now_ms)
{
    memset(q, 0, sizeof *q);
    if (limits) q->config = *limits;
    if (q->config.day_reset_tz != QUOTA_TZ_PACIFIC) q->config.day_reset_tz = QUOTA_TZ_UTC;
    combine_limits(q);
    for (int i = 0; i < QUOTA_BUCKETS; i++)
        q->minute[i].sec = -1;
    q->day_start_ms = quota_day_start_ms(q->limits.day_reset_tz, now_ms);
    q->month_limit = q->month_left = -1;
}

void quota_set_limits(struct quota *q, const struct quota_limits *limits)
{
    struct quota_limits z = {0};
    q->config = limits ? *limits : z;
    if (q->config.day_reset_tz != QUOTA_TZ_PACIFIC) q->config.day_reset_tz = QUOTA_TZ_UTC;
    combine_limits(q);
}

/* Moves the day counts to now_ms's day if it is a later one. Reservations still in
 * flight from the old day become orphans: their tokens are not in today's counts. */
static void roll_day(struct quota *q, int64_t now_ms)
{
    int64_t start = quota_day_start_ms(q->limits.day_reset_tz, now_ms);
    if (start <= q->day_start_ms) return;
    q->day_start_ms = start;
    q->day_requests = q->day_tokens = 0;
    q->day_orphans += q->day_pending;
    q->day_pending = 0;
    q->month_left = -1; /* re-learned from the next answer's headers */
}

/* The bucket for now_ms's second, recycled if its slot held an older second. A slot
 * holding a LATER second (the clock went back) is charged as it is: it expires later,
 * so that over-counts. */
static struct quota_bucket *bucket_now(struct quota *q, int64_t now_ms)
{
    memo_forget(q);
    int64_t sec = floordiv(now_ms, SECOND_MS);
    struct quota_bucket *b = &q->minute[floormod(sec, QUOTA_BUCKETS)];
    if (b->sec < sec) {
        assert(!bucket_live(b, now_ms));
        if (b->sec >= 0) q->minute_orphans += b->pending;
        b->sec = sec;
        b->last_ms = now_ms;
        b->requests = b->tokens = b->pending = 0;
    }
    if (now_ms > b->last_ms) b->last_ms = now_ms;
    return b;
}

void quota_take(struct quota *q, int64_t now_ms, long est_tokens)
{
    long est = est_tokens > 0 ? est_tokens : 0;
    roll_day(q, now_ms);
    struct quota_bucket *b = bucket_now(q, now_ms);
    b->requests++;
    b->tokens += est;
    b->pending++;
    q->day_requests++;
    q->day_tokens += est;
    q->day_pending++;
    if (q->month_left >= 0) q->month_left = maxl(0, q->month_left - est);
    q->in_flight++;
    q->in_flight_tokens += est;
    memo_forget(q);
}

/* Oldest (dir < 0) or newest (dir > 0) bucket holding an unsettled reservation. */
static struct quota_bucket *pending_bucket(struct quota *q, int dir)
{
    struct quota_bucket *best = NULL;
    for (int i = 0; i < QUOTA_BUCKETS; i++) {
        struct quota_bucket *b = &q->minute[i];
        if (b->sec < 0 || b->pending <= 0) continue;
        if (!best || (dir < 0 ? b->sec < best->sec : b->sec > best->sec)) best = b;
    }
    return best;
}

/* Releases one minute-window reservation mark and returns the bucket a refund may
 * safely come out of (NULL: none; drop the refund). */
static struct quota_bucket *minute_release(struct quota *q, int64_t now_ms, int64_t taken_ms)
{
    if (taken_ms >= 0) {
        int64_t sec = floordiv(taken_ms, SECOND_MS);
        struct quota_bucket *b = &q->minute[floormod(sec, QUOTA_BUCKETS)];
        if (b->sec == sec && b->pending > 0) {
            b->pending--;
            return bucket_live(b, now_ms) ? b : NULL;
        }
        /* Its bucket is gone (the call outlived the window) or its mark was released
         * by an anonymous settle: release something, refund nothing. */
        if (q->minute_orphans > 0) {
            q->minute_orphans--;
            return NULL;
        }
        struct quota_bucket *n = pending_bucket(q, +1);
        if (n) n->pending--;
        return NULL;
    }
    struct quota_bucket *oldest = q->minute_orphans > 0 ? NULL : pending_bucket(q, -1);
    struct quota_bucket *target = oldest && bucket_live(oldest, now_ms) ? oldest : NULL;
    struct quota_bucket *newest = pending_bucket(q, +1);
    if (newest)
        newest->pending--;
    else if (q->minute_orphans > 0)
        q->minute_orphans--;
    return target;
}

/* Releases one day-window mark; returns 1 if the reservation is in today's counts. */
static int day_release(struct quota *q, int64_t taken_ms)
{
    if (taken_ms >= 0) {
        int today = quota_day_start_ms(q->limits.day_reset_tz, taken_ms) == q->day_start_ms;
        if (today && q->day_pending > 0)
            q->day_pending--;
        else if (q->day_orphans > 0)
            q->day_orphans--;
        else if (q->day_pending > 0)
            q->day_pending--;
        return today;
    }
    int today = q->day_orphans == 0 && q->day_pending > 0;
    if (q->day_pending > 0)
        q->day_pending--;
    else if (q->day_orphans > 0)
        q->day_orphans--;
    return today;
}

void quota_settle_taken(struct quota *q, int64_t now_ms, int64_t taken_ms, long est_tokens,
                        long actual_tokens, int request_happened)
{
    long est = est_tokens > 0 ? est_tokens : 0;
    long actual = !request_happened ? 0 : actual_tokens < 0 ? est : actual_tokens;
    long refund = est - actual; /* < 0: the call used more than reserved */
    roll_day(q, now_ms);

    struct quota_bucket *target = minute_release(q, now_ms, taken_ms);
    if (refund > 0 && target) target->tokens = maxl(0, target->tokens - refund);
    if (!request_happened && target) target->requests = maxl(0, target->requests - 1);
    /* The provider's minute started when the request reached it, after we reserved it
     * (a new connection, TLS): count the request from now, when it settled, so our
     * window never reopens before the provider's does. Only with the take time: the
     * anonymous settle cannot tell which reservation this was. */
    if (request_happened && target && taken_ms >= 0) {
        struct quota_bucket *cur = bucket_now(q, now_ms);
        if (cur != target) {
            long move = minl(target->tokens, actual);
            target->requests = maxl(0, target->requests - 1);
            target->tokens -= move;
            cur->requests++;
            cur->tokens += move;
        }
    }
    if (refund < 0) bucket_now(q, now_ms)->tokens += -refund;

    if (day_release(q, taken_ms)) {
        q->day_tokens = maxl(0, q->day_tokens - refund);
        if (!request_happened) q->day_requests = maxl(0, q->day_requests - 1);
    } else if (refund < 0) {
        q->day_tokens += -refund; /* yesterday's call: charge only the excess, today */
    }

    if (q->month_left >= 0) q->month_left = maxl(0, q->month_left + refund);
    q->in_flight = maxl(0, q->in_flight - 1);
    q->in_flight_tokens = maxl(0, q->in_flight_tokens - est);
    memo_forget(q);
}

void quota_settle(struct quota *q, int64_t now_ms, long est_tokens, long actual_tokens,
                  int request_happened)
{
    quota_settle_taken(q, now_ms, -1, est_tokens, actual_tokens, request_happened);
}

/* A minute window's remaining count from the provider. What it says was used, minus
 * what we charged ourselves, was used elsewhere; hold that as extra usage until the
 * reported reset (60 s if none). A smaller report never shrinks a live extra: reports
 * can arrive out of order. (Calls of ours the provider has not seen yet are the one
 * thing this can miss; they were admitted before the report existed.) */
static void observe_minute(long own, long reported_limit, long remaining, int64_t reset_ms,
                           long limit, int64_t now_ms, long *extra, int64_t *until,
                           int64_t *cooldown_until)
{
    if (remaining < 0) return;
    long L = reported_limit > 0 ? reported_limit : limit;
    int64_t end = now_ms + (reset_ms >= 0 ? reset_ms : QUOTA_WINDOW_MS);
    if (L <= 0) {
        /* No limit known: all "0 left" can mean is "wait for the reset". */
        if (remaining == 0) *cooldown_until = max64(*cooldown_until, end);
        return;
    }
    long deficit = L - remaining - own;
    if (deficit <= 0) return;
    if (now_ms >= *until || deficit >= *extra) {
        *extra = deficit;
        *until = end;
    }
}

/* A day window's remaining count: raise today's usage to what the provider counted. */
static void observe_day(long *used, long reported_limit, long remaining, int64_t reset_ms,
                        long limit, int64_t now_ms, int64_t next_midnight, int64_t *exhausted_until)
{
    if (remaining < 0) return;
    long L = reported_limit > 0 ? reported_limit : limit;
    if (L <= 0) {
        if (remaining == 0)
            *exhausted_until =
                max64(*exhausted_until, reset_ms >= 0 ? now_ms + reset_ms : next_midnight);
        return;
    }
    *used = maxl(*used, L - remaining);
}

static void learn(long *reported, long header_limit)
{
    if (header_limit > 0) *reported = header_limit;
}

static int64_t backoff_ms(int strikes)
{
    int64_t d = QUOTA_BACKOFF_MS;
    for (int i = 0; i < strikes && d < QUOTA_BACKOFF_MAX_MS; i++)
        d *= 2;
    return d < QUOTA_BACKOFF_MAX_MS ? d : QUOTA_BACKOFF_MAX_MS;
}

void quota_observe(struct quota *q, int64_t now_ms, const struct ratelimit_obs *o)
{
    if (!o) return;
    roll_day(q, now_ms);
    int tz = q->limits.day_reset_tz;
    int64_t next_midnight = quota_day_reset_ms(tz, now_ms);

    learn(&q->reported.rpm, o->requests_limit_minute);
    learn(&q->reported.rpd, o->requests_limit_day);
    learn(&q->reported.tpm, o->tokens_limit_minute);
    learn(&q->reported.tpd, o->tokens_limit_day);
    combine_limits(q);

    long own_r, own_t;
    minute_own(q, now_ms, &own_r, &own_t);
    observe_minute(own_r, o->requests_limit_minute, o->requests_remaining_minute,
                   o->requests_reset_minute_ms, q->limits.rpm, now_ms, &q->extra_requests,
                   &q->extra_requests_until_ms, &q->cooldown_until_ms);
    observe_minute(own_t, o->tokens_limit_minute, o->tokens_remaining_minute,
                   o->tokens_reset_minute_ms, q->limits.tpm, now_ms, &q->extra_tokens,
                   &q->extra_tokens_until_ms, &q->cooldown_until_ms);
    observe_day(&q->day_requests, o->requests_limit_day, o->requests_remaining_day,
                o->requests_reset_day_ms, q->limits.rpd, now_ms, next_midnight,
                &q->day_exhausted_until_ms);
    observe_day(&q->day_tokens, o->tokens_limit_day, o->tokens_remaining_day,
                o->tokens_reset_day_ms, q->limits.tpd, now_ms, next_midnight,
                &q->day_exhausted_until_ms);

    if (o->tokens_limit_month > 0) q->month_limit = o->tokens_limit_month;
    if (o->tokens_remaining_month >= 0) {
        /* The report includes settled calls; our in-flight estimates come on top. */
        long left = maxl(0, o->tokens_remaining_month - q->in_flight_tokens);
        q->month_left = q->month_left >= 0 ? minl(q->month_left, left) : left;
    }

    int64_t ra = o->retry_after_ms;
    switch (o->kind) {
    case RL_MINUTE: {
        int64_t d = ra;
        if (d < 0) d = max64(o->requests_reset_minute_ms, o->tokens_reset_minute_ms);
        if (d < 0) d = backoff_ms(q->backoff_strikes++);
        q->cooldown_until_ms = max64(q->cooldown_until_ms, now_ms + d);
        break;
    }
    case RL_CAPACITY:
        q->cooldown_until_ms =
            max64(q->cooldown_until_ms, now_ms + (ra >= 0 ? ra : QUOTA_CAPACITY_COOLDOWN_MS));
        break;
    case RL_DAY: {
        int64_t until = -1;
        if (o->requests_remaining_day == 0 && o->requests_reset_day_ms >= 0)
            until = now_ms + o->requests_reset_day_ms;
        if (o->tokens_remaining_day == 0 && o->tokens_reset_day_ms >= 0)
            until = max64(until, now_ms + o->tokens_reset_day_ms);
        if (until < 0) until = ra >= QUOTA_DAY_TRUST_RETRY_MS ? now_ms + ra : next_midnight;
        q->day_exhausted_until_ms = max64(q->day_exhausted_until_ms, until);
        break;
    }
    case RL_NONE:
        q->backoff_strikes = 0;
        if (ra > 0) q->cooldown_until_ms = max64(q->cooldown_until_ms, now_ms + ra);
        break;
    case RL_AUTH:
        break;
    }
}

void quota_load_day(struct quota *q, int64_t day_start_ms, long requests, long tokens)
{
    if (day_start_ms < q->day_start_ms) return;
    if (day_start_ms > q->day_start_ms) {
        q->day_start_ms = day_start_ms;
        q->day_requests = q->day_tokens = 0;
        q->day_orphans += q->day_pending;
        q->day_pending = 0;
    }
    q->day_requests = maxl(q->day_requests, requests);
    q->day_tokens = maxl(q->day_tokens, tokens);
}
