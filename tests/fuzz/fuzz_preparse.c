/* Fuzz target: http/preparse, the strict framing check every client byte goes through
 * (untrusted). The input is fed in pieces whose sizes come from its first byte, so
 * requests split at every point are covered; invariants: consumption never exceeds the
 * input, nothing is consumed after an error, and a refusal always names a status and a
 * code. */
#include "http/preparse.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* checked in every build type (CHECK() would vanish under NDEBUG) */
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t piece = 1 + data[0] % 64;
    const struct preparse_limits lim = {.max_target = 256, .max_head = 2048, .max_body = 4096};
    struct preparse p;
    preparse_init(&p, &lim);
    const char *d = (const char *)data + 1;
    size_t left = size - 1;
    while (left) {
        size_t n = left < piece ? left : piece;
        while (n) {
            size_t used = 0;
            enum preparse_event e = preparse_feed(&p, d, n, &used);
            CHECK(used <= n);
            if (e == PREPARSE_HEAD && preparse_check_length(&p) == PREPARSE_ERROR)
                e = PREPARSE_ERROR;
            if (e == PREPARSE_ERROR) {
                CHECK(p.status >= 400 && p.status <= 599 && p.code && p.message);
                CHECK(preparse_feed(&p, d, n, &used) == PREPARSE_ERROR && used == 0);
                return 0;
            }
            if (e == PREPARSE_MORE) CHECK(used == n);
            d += used;
            n -= used;
            left -= used;
        }
    }
    return 0;
}
