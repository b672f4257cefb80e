/* jsonw: see jsonw.h. */
#include "core/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const unsigned char json_byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

void sbuf_json_string(struct sbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (json_byte_class[ch] != JSON_BYTE_ESCAPE) continue;
        sbuf_append(b, s + run, i - run);
        run = i + 1;
        switch (ch) {
        case '"':
            sbuf_puts(b, "\\\"");
            break;
        case '\\':
            sbuf_puts(b, "\\\\");
            break;
        case '\n':
            sbuf_puts(b, "\\n");
            break;
        case '\r':
            sbuf_puts(b, "\\r");
            break;
        case '\t':
            sbuf_puts(b, "\\t");
            break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], 0};
            sbuf_puts(b, u);
        }
        }
    }
    sbuf_append(b, s + run, len - run);
    sbuf_append(b, "\"", 1);
}

static void put_real(struct sbuf *b, double d, int precision)
{
    /* a whole number with no more digits than the precision: "%.*g" would print the
     * digits alone, and jansson would add ".0" (temperature 0 is the usual case) */
    static const double pow10[] = {1,   1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double lim = pow10[precision < 15 ? precision : 15];
    if (d == trunc(d) && fabs(d) < lim && !(d == 0 && signbit(d))) {
        sbuf_put_int(b, (long long)d);
        sbuf_append(b, ".0", 2);
        return;
    }
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.*g", precision, d);
    if (n <= 0 || (size_t)n >= sizeof tmp) {
        sbuf_puts(b, "0.0");
        return;
    }
    /* jansson's form: "1e300" and "2.5e-7", not "1e+300" and "2.5e-07" */
    char *e = strchr(tmp, 'e');
    if (e) {
        char *d = e + 1, *w = e + 1;
        if (*d == '+')
            d++;
        else if (*d == '-')
            *w++ = *d++;
        while (*d == '0' && d[1])
            d++;
        memmove(w, d, strlen(d) + 1);
        n = (int)strlen(tmp);
    }
    sbuf_append(b, tmp, (size_t)n);
    /* "1" would read back as an integer: make it "1.0", as jansson does */
    if (!strpbrk(tmp, ".eE") && !strstr(tmp, "inf") && !strstr(tmp, "nan")) sbuf_puts(b, ".0");
}

void sbuf_json(struct sbuf *b, const json_t *v, int real_precision)
{
    if (real_precision <= 0 || real_precision > 17) real_precision = 17;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        int first = 1;
        sbuf_append(b, "{", 1);
        json_object_foreach((json_t *)v, k, x)
        {
            if (!first) sbuf_append(b, ",", 1);
            first = 0;
            sbuf_json_string(b, k, strlen(k));
            sbuf_append(b, ":", 1);
            sbuf_json(b, x, real_precision);
        }
        sbuf_append(b, "}", 1);
        return;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        sbuf_append(b, "[", 1);
        json_array_foreach((json_t *)v, i, x)
        {
            if (i) sbuf_append(b, ",", 1);
            sbuf_json(b, x, real_precision);
        }
        sbuf_append(b, "]", 1);
        return;
    }
    case JSON_STRING:
        sbuf_json_string(b, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        sbuf_put_int(b, (long long)json_integer_value(v));
        return;
    case JSON_REAL:
        put_real(b, json_real_value(v), real_precision);
        return;
    case JSON_TRUE:
        sbuf_puts(b, "true");
        return;
    case JSON_FALSE:
        sbuf_puts(b, "false");
        return;
    default:
        sbuf_puts(b, "null");
        return;
    }
}
