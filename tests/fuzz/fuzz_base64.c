/* Fuzz target: the base64 decoder of "resume_pdf" (untrusted, api/pdftext.c). The input
 * is decoded as text (must not crash, and never writes more than 3 bytes per 4 input
 * characters); then the input's bytes are encoded here and must decode back to
 * themselves, whitespace inserted or not. */
#include "api/pdftext.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *encode(const uint8_t *d, size_t n, int wrap)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(n / 3 * 4 + n / 19 + 8), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        *o++ = A[v >> 18 & 63];
        *o++ = A[v >> 12 & 63];
        *o++ = i + 1 < n ? A[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? A[v & 63] : '=';
        if (wrap && i % 57 == 54) *o++ = '\n';
    }
    *o = 0;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    size_t len = 0;
    unsigned char *dec = pdftext_base64_decode(text, &len);
    if (dec && len > strlen(text) / 4 * 3 + 3) abort();
    free(dec);
    free(text);
    for (int wrap = 0; wrap <= 1; wrap++) {
        char *enc = encode(data, size, wrap);
        dec = pdftext_base64_decode(enc, &len);
        if (!dec || len != size || (size && memcmp(dec, data, size) != 0)) abort();
        free(dec);
        free(enc);
    }
    return 0;
}
