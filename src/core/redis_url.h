/* redis_url: parses redis://[[user]:password@]host[:port][/db] and resolves the host
 * once, for every module that connects to Redis (llm/quota_share and
 * optimize/cache_redis).
 *
 * Resolution happens here, at start-up, so a reconnect never blocks the event loop on
 * DNS: the numeric address is kept and reused for every attempt. */
#ifndef CORE_REDIS_URL_H
#define CORE_REDIS_URL_H

#include <stddef.h>

#define REDIS_URL_DEFAULT_PORT 6379

struct redis_url {
    char addr[64];  /* numeric IPv4/IPv6 address of the host, resolved */
    int port;       /* TCP port, REDIS_URL_DEFAULT_PORT unless given */
    int db;         /* SELECTed after connecting when not 0 */
    char *user;     /* ACL user for AUTH, or NULL (own copy) */
    char *password; /* AUTH password, or NULL (own copy) */
};

/* Fills out from url. Returns 0, or -1 with a sentence in err naming what is wrong
 * (what names the config key for the message, e.g. "[redis] url"). out needs
 * redis_url_clear afterwards either way. */
int redis_url_parse(const char *url, const char *what, struct redis_url *out, char *err,
                    size_t errlen);
void redis_url_clear(struct redis_url *u);

#endif
