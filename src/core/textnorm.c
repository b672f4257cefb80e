/* textnorm: see textnorm.h. The text is decoded once into code points, each pass is a
 * table lookup per code point, and the result is encoded again: linear in the input,
 * no allocation per character. The tables hold only what disguises Latin text. */
#include "core/textnorm.h"

#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>

/* ---- UTF-8 ---- */

/* Decodes s into a new array of code points; invalid sequences are dropped. */
static uint32_t *decode(const char *s, size_t *n_out)
{
    size_t len = strlen(s), n = 0;
    uint32_t *cp = xmalloc((len + 1) * sizeof *cp);
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (extra < 0 || (size_t)(end - p) <= (size_t)extra) {
            p++;
            continue;
        }
        uint32_t v = extra == 0 ? c : c & (0x3F >> extra);
        int ok = 1;
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                ok = 0;
                break;
            }
            v = (v << 6) | (p[i] & 0x3F);
        }
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (!ok || v < min[extra] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
            p++;
            continue;
        }
        cp[n++] = v;
        p += extra + 1;
    }
    *n_out = n;
    return cp;
}

static void encode_one(struct sbuf *b, uint32_t v)
{
    char o[4];
    size_t n;
    if (v < 0x80) {
        o[0] = (char)v;
        n = 1;
    } else if (v < 0x800) {
        o[0] = (char)(0xC0 | (v >> 6));
        o[1] = (char)(0x80 | (v & 0x3F));
        n = 2;
    } else if (v < 0x10000) {
        o[0] = (char)(0xE0 | (v >> 12));
        o[1] = (char)(0x80 | ((v >> 6) & 0x3F));
        o[2] = (char)(0x80 | (v & 0x3F));
        n = 3;
    } else {
        o[0] = (char)(0xF0 | (v >> 18));
        o[1] = (char)(0x80 | ((v >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((v >> 6) & 0x3F));
        o[3] = (char)(0x80 | (v & 0x3F));
        n = 4;
    }
    sbuf_append(b, o, n);
}

/* ---- tables ---- */

/* Characters that render as nothing (or only reorder text) and carry no meaning in an
 * answer: zero-width, bidi embedding/override/isolate marks, soft hyphen, invisible
 * operators, variation selectors, tag characters, controls other than \t \n \r. */
static int invisible(uint32_t c)
{
    if (c < 0x20) return c != '\t' && c != '\n' && c != '\r';
    return (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x34F || c == 0x61C || c == 0x115F ||
           c == 0x1160 || c == 0x17B4 || c == 0x17B5 || (c >= 0x180B && c <= 0x180F) ||
           (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) ||
           c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8) ||
           (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) ||
           (c >= 0xE0000 && c <= 0xE0FFF);
}

static int combining(uint32_t c)
{
    return (c >= 0x300 && c <= 0x36F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
           (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
           (c >= 0xFE20 && c <= 0xFE2F);
}

/* Letterlike symbols (U+2100 block) NFKC maps to one Latin letter. */
static const struct {
    uint16_t cp;
    char to;
} letterlike[] = {
    {0x2102, 'C'}, {0x2107, 'E'}, {0x210A, 'g'}, {0x210B, 'H'}, {0x210C, 'H'}, {0x210D, 'H'},
    {0x210E, 'h'}, {0x210F, 'h'}, {0x2110, 'I'}, {0x2111, 'I'}, {0x2112, 'L'}, {0x2113, 'l'},
    {0x2115, 'N'}, {0x2119, 'P'}, {0x211A, 'Q'}, {0x211B, 'R'}, {0x211C, 'R'}, {0x211D, 'R'},
    {0x2124, 'Z'}, {0x2128, 'Z'}, {0x212A, 'K'}, {0x212C, 'B'}, {0x212D, 'C'}, {0x212F, 'e'},
    {0x2130, 'E'}, {0x2131, 'F'}, {0x2133, 'M'}, {0x2134, 'o'}, {0x2139, 'i'}, {0x2145, 'D'},
    {0x2146, 'd'}, {0x2147, 'e'}, {0x2148, 'i'}, {0x2149, 'j'}, {0x00AA, 'a'}, {0x00BA, 'o'},
    {0x2071, 'i'}, {0x207F, 'n'}, {0x00B9, '1'}, {0x00B2, '2'}, {0x00B3, '3'}, {0x2070, '0'},
};

/* NFKC's compatibility mapping for the ranges used to disguise Latin text. Writes at
 * most 3 code points to out; returns how many, or 0 when c maps to itself. */
static int compat(uint32_t c, uint32_t out[3])
{
    if (c >= 0xFF01 && c <= 0xFF5E) { /* fullwidth ASCII */
        out[0] = c - 0xFEE0;
        return 1;
    }
    if (c == 0x00A0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
        c == 0x3000) {
        out[0] = ' ';
        return 1;
    }
    if (c == 0x2028 || c == 0x2029 || c == 0x85) {
        out[0] = '\n';
        return 1;
    }
    if (c >= 0x1D400 && c <= 0x1D6A3) { /* 13 mathematical alphabets of A-Z a-z */
        uint32_t k = (c - 0x1D400) % 52;
        out[0] = k < 26 ? 'A' + k : 'a' + (k - 26);
        return 1;
    }
    if (c == 0x1D6A4 || c == 0x1D6A5) {
        out[0] = c == 0x1D6A4 ? 'i' : 'j';
        return 1;
    }
    if (c >= 0x1D7CE && c <= 0x1D7FF) { /* mathematical digits */
        out[0] = '0' + (c - 0x1D7CE) % 10;
        return 1;
    }
    if ((c >= 0x2074 && c <= 0x2079) || (c >= 0x2080 && c <= 0x2089)) {
        out[0] = '0' + (c >= 0x2080 ? c - 0x2080 : c - 0x2070);
        return 1;
    }
    if (c >= 0x2460 && c <= 0x2468) { /* circled digits 1-9 */
        out[0] = '1' + (c - 0x2460);
        return 1;
    }
    if (c >= 0x24B6 && c <= 0x24E9) { /* circled letters */
        out[0] = c < 0x24D0 ? 'A' + (c - 0x24B6) : 'a' + (c - 0x24D0);
        return 1;
    }
    if (c >= 0x249C && c <= 0x24B5) { /* parenthesized letters: NFKC gives "(a)" */
        out[0] = '(';
        out[1] = 'a' + (c - 0x249C);
        out[2] = ')';
        return 3;
    }
    if (c >= 0x1F130 && c <= 0x1F149) { /* squared capitals */
        out[0] = 'A' + (c - 0x1F130);
        return 1;
    }
    if (c >= 0xFB00 && c <= 0xFB06) { /* Latin ligatures */
        static const char *lig[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
        const char *l = lig[c - 0xFB00];
        int n = 0;
        for (; l[n]; n++)
            out[n] = (unsigned char)l[n];
        return n;
    }
    if (c == 0x0132 || c == 0x0133) {
        out[0] = c == 0x0132 ? 'I' : 'i';
        out[1] = c == 0x0132 ? 'J' : 'j';
        return 2;
    }
    if (c == 0x2024) { /* one dot leader */
        out[0] = '.';
        return 1;
    }
    if (c == 0x2044 || c == 0x2215) { /* fraction slash, division slash */
        out[0] = '/';
        return 1;
    }
    for (size_t i = 0; i < ARRAY_LEN(letterlike); i++) {
        if (letterlike[i].cp == c) {
            out[0] = (unsigned char)letterlike[i].to;
            return 1;
        }
    }
    return 0;
}

/* Look-alikes of Latin letters from other scripts (Unicode's confusables.txt, the
 * entries for Cyrillic, Greek, Armenian, small capitals and IPA). */
static const struct {
    uint16_t cp;
    char to;
} confusables[] = {
    /* Cyrillic */
    {0x0410, 'A'},
    {0x0412, 'B'},
    {0x0415, 'E'},
    {0x041A, 'K'},
    {0x041C, 'M'},
    {0x041D, 'H'},
    {0x041E, 'O'},
    {0x0420, 'P'},
    {0x0421, 'C'},
    {0x0422, 'T'},
    {0x0423, 'Y'},
    {0x0425, 'X'},
    {0x0405, 'S'},
    {0x0406, 'I'},
    {0x0408, 'J'},
    {0x04AE, 'Y'},
    {0x04C0, 'I'},
    {0x050C, 'G'},
    {0x0430, 'a'},
    {0x0432, 'b'},
    {0x0435, 'e'},
    {0x043A, 'k'},
    {0x043C, 'm'},
    {0x043D, 'h'},
    {0x043E, 'o'},
    {0x043F, 'n'},
    {0x0440, 'p'},
    {0x0441, 'c'},
    {0x0442, 't'},
    {0x0443, 'y'},
    {0x0445, 'x'},
    {0x0455, 's'},
    {0x0456, 'i'},
    {0x0457, 'i'},
    {0x0458, 'j'},
    {0x04AF, 'y'},
    {0x04BB, 'h'},
    {0x04CF, 'l'},
    {0x0501, 'd'},
    {0x051B, 'q'},
    {0x051D, 'w'},
    {0x0433, 'r'},
    {0x044C, 'b'},
    {0x0461, 'w'},
    {0x0475, 'v'},
    /* Greek */
    {0x0391, 'A'},
    {0x0392, 'B'},
    {0x0395, 'E'},
    {0x0396, 'Z'},
    {0x0397, 'H'},
    {0x0399, 'I'},
    {0x039A, 'K'},
    {0x039C, 'M'},
    {0x039D, 'N'},
    {0x039F, 'O'},
    {0x03A1, 'P'},
    {0x03A4, 'T'},
    {0x03A5, 'Y'},
    {0x03A7, 'X'},
    {0x03B1, 'a'},
    {0x03B5, 'e'},
    {0x03B9, 'i'},
    {0x03BA, 'k'},
    {0x03BD, 'v'},
    {0x03BF, 'o'},
    {0x03C1, 'p'},
    {0x03C4, 't'},
    {0x03C5, 'u'},
    {0x03C7, 'x'},
    {0x03F2, 'c'},
    {0x03F3, 'j'},
    {0x03C9, 'w'},
    {0x03B7, 'n'},
    {0x0390, 'i'},
    {0x03AF, 'i'},
    {0x03CC, 'o'},
    {0x03AC, 'a'},
    {0x03AD, 'e'},
    /* Armenian */
    {0x0585, 'o'},
    {0x057D, 'u'},
    {0x0570, 'h'},
    {0x0578, 'n'},
    {0x0581, 'g'},
    {0x0566, 'q'},
    {0x0561, 'w'},
    /* small capitals, IPA and dotless letters */
    {0x1D00, 'a'},
    {0x0299, 'b'},
    {0x1D04, 'c'},
    {0x1D05, 'd'},
    {0x1D07, 'e'},
    {0xA730, 'f'},
    {0x0262, 'g'},
    {0x029C, 'h'},
    {0x026A, 'i'},
    {0x1D0A, 'j'},
    {0x1D0B, 'k'},
    {0x029F, 'l'},
    {0x1D0D, 'm'},
    {0x0274, 'n'},
    {0x1D0F, 'o'},
    {0x1D18, 'p'},
    {0x0280, 'r'},
    {0xA731, 's'},
    {0x1D1B, 't'},
    {0x1D1C, 'u'},
    {0x1D20, 'v'},
    {0x1D21, 'w'},
    {0x028F, 'y'},
    {0x1D22, 'z'},
    {0x0131, 'i'},
    {0x0237, 'j'},
    {0x0261, 'g'},
    {0x0251, 'a'},
    {0x0269, 'i'},
    {0x01C0, 'l'},
    {0x0280, 'r'},
    {0x0266, 'h'},
};

static char confusable(uint32_t c)
{
    if (c < 0x131) return 0;
    for (size_t i = 0; i < ARRAY_LEN(confusables); i++)
        if (confusables[i].cp == c) return confusables[i].to;
    if (c >= 0x1F150 && c <= 0x1F169) return (char)('A' + (c - 0x1F150)); /* negative circled */
    if (c >= 0x1F170 && c <= 0x1F189) return (char)('A' + (c - 0x1F170)); /* negative squared */
    if (c >= 0x1F1E6 && c <= 0x1F1FF) return (char)('A' + (c - 0x1F1E6)); /* regional */
    return 0;
}

/* Base letters of U+00C0..U+024F and U+1E00..U+1EFF ('.' where there is none): NFKD
 * with the combining marks removed, plus the letters with a stroke (ł, ø, đ). */
static const char latin1_ext[] = "AAAAAAACEEEEIIIIDNOOOOO.OUUUUYTsaaaaaaaceeeeiiiidnooooo.ouuuuyty"
                                 "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlL"
                                 "lLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs"
                                 "................................Oo.............Uu..............."
                                 ".............AaIiOoUuUuUuUuUu.AaAa....GgKkOoOo..j...Gg..NnAa...."
                                 "AaAaEeEeIiIiOoOoRrRrUuUuSsTt..Hh......AaEeOoOoOoOoYy............"
                                 "................";
static const char latin_additional[] =
    "AaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMm"
    "MmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVv"
    "WwWwWwWwWwXxXxYyZzZzZzhtwy.s....AaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEe"
    "EeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy......";
_Static_assert(sizeof latin1_ext - 1 == 0x250 - 0xC0, "one entry per code point");
_Static_assert(sizeof latin_additional - 1 == 0x100, "one entry per code point");

static char latin_base(uint32_t c)
{
    char b = 0;
    if (c >= 0xC0 && c < 0x250)
        b = latin1_ext[c - 0xC0];
    else if (c >= 0x1E00 && c < 0x1F00)
        b = latin_additional[c - 0x1E00];
    return b == '.' ? 0 : b;
}

static int ascii_letter(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Part of a word for the mixed-script rule: letters of any script and digits. */
static int wordish(uint32_t c)
{
    if (c < 0x80) return ascii_letter(c) || (c >= '0' && c <= '9');
    if (c >= 0x2000 && c <= 0x2BFF) return 0; /* punctuation, symbols, arrows */
    if (c >= 0x3000 && c <= 0x303F) return 0;
    return c >= 0xC0 && c != 0xD7 && c != 0xF7;
}

/* ---- the two views ---- */

/* Steps shared by both views: invisible characters out, compatibility forms mapped,
 * at most two combining marks kept per base character (more is "Zalgo" noise).
 * Returns a new array of *n code points. */
static uint32_t *first_pass(const char *s, size_t *n)
{
    size_t in_n;
    uint32_t *in = decode(s ? s : "", &in_n);
    uint32_t *out = xmalloc((3 * in_n + 1) * sizeof *out);
    size_t o = 0;
    int marks = 0;
    for (size_t i = 0; i < in_n; i++) {
        uint32_t c = in[i], m[3];
        if (c >= 0x20 && c < 0x7F) { /* printable ASCII: nothing to do, the common case */
            marks = 0;
            out[o++] = c;
            continue;
        }
        if (invisible(c)) continue;
        if (combining(c)) {
            if (++marks <= 2) out[o++] = c;
            continue;
        }
        marks = 0;
        int k = compat(c, m);
        if (k == 0) out[o++] = c;
        for (int j = 0; j < k; j++)
            out[o++] = m[j];
    }
    free(in);
    *n = o;
    return out;
}

/* Printable ASCII, tab, newline and carriage return only: text that both views leave
 * as it is (apart from case, in the check view), the common case, copied without
 * decoding. */
static int plain_ascii(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t i = 0;
    for (; p[i]; i++)
        if ((p[i] < 0x20 || p[i] >= 0x7F) && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') return 0;
    *len = i;
    return 1;
}

char *textnorm_clean(const char *s)
{
    size_t n;
    if (plain_ascii(s, &n)) return xstrndup(s ? s : "", n);
    uint32_t *cp = first_pass(s, &n);
    /* TR39's mixed-script rule: fold look-alikes only in words that also hold Latin */
    for (size_t i = 0; i < n;) {
        if (!wordish(cp[i])) {
            i++;
            continue;
        }
        size_t j = i;
        int latin = 0, alike = 0;
        for (; j < n && (wordish(cp[j]) || combining(cp[j])); j++) {
            if (ascii_letter(cp[j]) || latin_base(cp[j]))
                latin = 1;
            else if (confusable(cp[j]))
                alike = 1;
        }
        if (latin && alike)
            for (size_t k = i; k < j; k++)
                if (!ascii_letter(cp[k]) && confusable(cp[k]))
                    cp[k] = (unsigned char)confusable(cp[k]);
        i = j;
    }
    struct sbuf b = {0};
    sbuf_append(&b, "", 0);
    for (size_t i = 0; i < n; i++)
        encode_one(&b, cp[i]);
    free(cp);
    return sbuf_take(&b);
}

char *textnorm_fold(const char *s)
{
    size_t n;
    if (plain_ascii(s, &n)) {
        char *out = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
            out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i]);
        out[n] = 0;
        return out;
    }
    uint32_t *cp = first_pass(s, &n);
    struct sbuf b = {0};
    sbuf_append(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (combining(c)) continue;
        char a = c < 0x80 ? (char)c : latin_base(c);
        if (!a) a = confusable(c);
        if (c == 0xDF || c == 0x1E9E) {
            sbuf_puts(&b, "ss");
        } else if (c == 0xC6 || c == 0xE6) {
            sbuf_puts(&b, "ae");
        } else if (c == 0x152 || c == 0x153) {
            sbuf_puts(&b, "oe");
        } else if (a) {
            char l = (char)(a >= 'A' && a <= 'Z' ? a + ('a' - 'A') : a);
            sbuf_append(&b, &l, 1);
        } else {
            encode_one(&b, c);
        }
    }
    free(cp);
    return sbuf_take(&b);
}
