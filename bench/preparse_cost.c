/* preparse_cost: what http/preparse (the strict framing check every request byte goes
 * through before evhttp parses it) costs per request, for the gateway's typical request:
 * a 10-header head with a bearer key and a 300-byte JSON body, fed as one read. Prints ns
 * (CPU time) per request, to set against the gateway's per-request overhead
 * (bench/gateway_bench.sh). Run: build/bench_preparse_cost */
#include "http/preparse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROUNDS 1000000

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the box may be shared */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(void)
{
    char req[2048];
    char body[301];
    memset(body, 'x', 300);
    body[300] = 0;
    int n = snprintf(req, sizeof req,
                     "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                     "User-Agent: wrk/4.1.0\r\nAccept: application/json\r\n"
                     "Authorization: Bearer gw-0123456789abcdef0123456789abcdef\r\n"
                     "Content-Type: application/json\r\nX-Request-Id: 0123456789abcdef\r\n"
                     "Accept-Encoding: identity\r\nConnection: keep-alive\r\n"
                     "X-Interviewd-Cache: on\r\nContent-Length: 300\r\n\r\n%s",
                     body);
    const struct preparse_limits lim = {.max_target = 8192, .max_head = 16384, .max_body = 1 << 20};
    struct preparse p;
    preparse_init(&p, &lim);
    long ends = 0;
    double t0 = now_ns();
    for (long i = 0; i < ROUNDS; i++) {
        const char *d = req;
        size_t left = (size_t)n;
        while (left) {
            size_t used;
            enum preparse_event e = preparse_feed(&p, d, left, &used);
            d += used;
            left -= used;
            if (e == PREPARSE_HEAD) preparse_check_length(&p);
            if (e == PREPARSE_END) ends++;
            if (e == PREPARSE_ERROR) return 1;
        }
    }
    double ns = (now_ns() - t0) / ROUNDS;
    printf(
        "preparse: %d-byte request (head %d bytes), %.0f ns CPU per request over %d requests (%ld "
        "complete)\n",
        n, n - 300, ns, ROUNDS, ends);
    return ends == ROUNDS ? 0 : 1;
}
