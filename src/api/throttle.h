/* throttle: how often one address, and one subnet, may do what anyone can do without
 * an account (sign up) or with a cheap one (change a resume).
 *
 * One token bucket per (action, address) and per (action, subnet): a bucket holds up to
 * the hour's allowance and refills evenly over the hour, so a burst of `per_hour` goes
 * through and then one more every 3600/per_hour seconds. The subnet is the /24 of an
 * IPv4 address and the /64 of an IPv6 one (what one host or one customer line usually
 * holds), so rotating addresses inside one network does not multiply the allowance. A
 * request is counted only when both of its buckets have a token.
 *
 * Buckets live in one fixed-size table (THROTTLE_MAX_KEYS); full buckets are the same
 * as absent ones and are swept when the table fills. If it is still full of partly
 * spent buckets (a flood from more networks than the table holds), new keys are
 * refused: failing closed keeps the quota safe, and the log says why once a minute.
 * Per process: instances behind one balancer each count their own share. */
#ifndef API_THROTTLE_H
#define API_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_MAX_KEYS 65536 /* buckets kept at once (about 1.5 MiB) */

enum throttle_action {
    THROTTLE_SIGNUP = 0,    /* POST /api/candidates */
    THROTTLE_RESUME_UPDATE, /* PUT /api/candidates/me/resume */
    THROTTLE__COUNT
};

struct throttle_limits {
    long per_address_per_hour; /* 0: unlimited */
    long per_subnet_per_hour;  /* 0: unlimited */
};

struct throttle;

struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);

/* Takes one token for action from address (text form, IPv4 or IPv6) at now_ms.
 * Returns 0 when allowed, else the seconds until it would be (>= 1, for Retry-After),
 * with *which (if non-NULL) set to "address", "subnet" or "capacity". */
long throttle_take(struct throttle *t, enum throttle_action action, const char *address,
                   const struct throttle_limits *lim, int64_t now_ms, const char **which);

/* The subnet key of an address: "a.b.c.0/24" or the /64 prefix in IPv6 text followed by
 * "/64". An IPv4-mapped IPv6 address counts as IPv4. Returns 0, or -1 (not an address:
 * out gets the text itself, so it is still limited as one key). */
int throttle_subnet(const char *address, char *out, size_t n);

#endif
