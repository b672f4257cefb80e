/* http/preparse: strict HTTP/1.1 request framing, byte by byte; see preparse.h.
 *
 * One state per part of the message (request line, header lines, Content-Length body,
 * chunk size line, chunk data, the CRLF after a chunk, trailer lines) and, inside a line,
 * one sub-state per field. Bodies are skipped in bulk: only the framing is read. Every
 * refusal names what was wrong in a sentence the client's author can act on. */
#include "http/preparse.h"

#include <string.h>
#include <strings.h>

enum state {
    ST_LINE,
    ST_HEADERS,
    ST_BODY,
    ST_CHUNK_SIZE,
    ST_CHUNK_DATA,
    ST_CHUNK_CRLF,
    ST_TRAILER,
    ST_ERROR
};

enum { L_METHOD, L_TARGET, L_VERSION };   /* request line */
enum { H_START, H_NAME, H_OWS, H_VALUE }; /* header line */

static const struct {
    const char *name;
    enum preparse_method id;
} methods[] = {
    {"GET", PREPARSE_GET},     {"HEAD", PREPARSE_HEAD_M},   {"POST", PREPARSE_POST},
    {"PUT", PREPARSE_PUT},     {"DELETE", PREPARSE_DELETE}, {"OPTIONS", PREPARSE_OPTIONS},
    {"PATCH", PREPARSE_PATCH},
};

void preparse_init(struct preparse *p, const struct preparse_limits *lim)
{
    memset(p, 0, sizeof *p);
    p->lim = lim;
}

int preparse_idle(const struct preparse *p)
{
    return p->state == ST_LINE && p->started == 0;
}

int preparse_has_body(const struct preparse *p)
{
    return p->has_transfer_encoding || p->content_length > 0;
}

static enum preparse_event fail(struct preparse *p, int status, const char *code,
                                const char *message)
{
    p->state = ST_ERROR;
    p->status = status;
    p->code = code;
    p->message = message;
    return PREPARSE_ERROR;
}

static enum preparse_event bad(struct preparse *p, const char *message)
{
    return fail(p, 400, "bad_request", message);
}

enum preparse_event preparse_check_length(struct preparse *p)
{
    if (p->has_content_length && p->content_length > p->lim->max_body)
        return fail(p, 413, "body_too_large",
                    "The request body is larger than the server's limit "
                    "([limits] max_body_bytes).");
    return PREPARSE_MORE;
}

/* tchar of RFC 9110, by byte (a table: this runs for every header-name byte) */
static int is_tchar(unsigned char c)
{
    static const unsigned char tchar[256] = {
        ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
        ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1,  ['|'] = 1,
        ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,  ['5'] = 1,
        ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    };
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || tchar[c];
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A new request's first byte: forget the previous one. */
static void begin_request(struct preparse *p)
{
    const struct preparse_limits *lim = p->lim;
    preparse_init(p, lim);
}

static void begin_line(struct preparse *p)
{
    p->sub = 0;
    p->line_len = 0;
    p->name_len = 0;
    p->value_len = 0;
}

static enum preparse_event request_line_byte(struct preparse *p, unsigned char c)
{
    switch (p->sub) {
    case L_METHOD:
        if (c == ' ') {
            if (!p->method_len) return bad(p, "The request line must start with a method.");
            p->sub = L_TARGET;
            return PREPARSE_MORE;
        }
        if (c < 'A' || c > 'Z' || p->method_len == sizeof p->method - 1)
            return bad(p, "The method must be an upper-case word such as GET or POST.");
        p->method[p->method_len++] = (char)c;
        return PREPARSE_MORE;
    case L_TARGET:
        if (c == ' ') {
            if (!p->target_len) return bad(p, "The request line must name a path.");
            p->sub = L_VERSION;
            return PREPARSE_MORE;
        }
        if (c < 0x21 || c > 0x7e)
            return bad(p, "The request target contains a control character, a space or a "
                          "non-ASCII byte: percent-encode it.");
        if (p->target_len < PREPARSE_TARGET_KEEP) p->target[p->target_len] = (char)c;
        if (++p->target_len > p->lim->max_target)
            return fail(p, 414, "uri_too_long",
                        "The request target is longer than the server's "
                        "limit ([limits] max_uri_bytes).");
        return PREPARSE_MORE;
    default:
        if (c < 0x21 || c > 0x7e || p->version_len == sizeof p->version - 1)
            return bad(p, "The request line must end with HTTP/1.1 or HTTP/1.0.");
        p->version[p->version_len++] = (char)c;
        return PREPARSE_MORE;
    }
}

static enum preparse_event request_line_end(struct preparse *p)
{
    if (p->sub != L_VERSION || !p->version_len)
        return bad(p, "The request line must be METHOD SP TARGET SP HTTP/1.1.");
    if (strcmp(p->version, "HTTP/1.1") != 0 && strcmp(p->version, "HTTP/1.0") != 0) {
        if (strncmp(p->version, "HTTP/", 5) == 0)
            return fail(p, 505, "http_version_not_supported",
                        "Only HTTP/1.1 and HTTP/1.0 are served.");
        return bad(p, "The request line must end with HTTP/1.1 or HTTP/1.0.");
    }
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(p->method, methods[i].name) == 0) p->method_id = methods[i].id;
    if (!p->method_id)
        return fail(
            p, 501, "method_not_implemented",
            "That method is not served: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.");
    p->target[p->target_len < PREPARSE_TARGET_KEEP ? p->target_len : PREPARSE_TARGET_KEEP] = 0;
    if (p->target[0] != '/' && !(p->method_id == PREPARSE_OPTIONS && !strcmp(p->target, "*")))
        return bad(p, "The request target must be a path starting with '/'.");
    if (p->target[0] == '/' && p->target[1] == '/')
        return bad(p, "The request target must not start with '//'.");
    p->state = ST_HEADERS;
    p->head_len = p->line_len + 2;
    begin_line(p);
    return PREPARSE_MORE;
}

static enum preparse_event header_byte(struct preparse *p, unsigned char c)
{
    switch (p->sub) {
    case H_START:
        if (c == ' ' || c == '\t')
            return bad(p, "Header lines must not start with whitespace (folded headers are "
                          "not accepted).");
        p->sub = H_NAME;
        /* fall through */
    case H_NAME:
        if (c == ':') {
            if (!p->name_len) return bad(p, "A header line must start with a name.");
            p->name[p->name_len] = 0;
            p->sub = H_OWS;
            return PREPARSE_MORE;
        }
        if (!is_tchar(c))
            return bad(p, "A header name holds only letters, digits and !#$%&'*+-.^_`|~, and "
                          "the colon follows it directly.");
        if (p->name_len == PREPARSE_NAME_MAX) return bad(p, "A header name is too long.");
        p->name[p->name_len++] = (char)c;
        return PREPARSE_MORE;
    case H_OWS:
        if (c == ' ' || c == '\t') return PREPARSE_MORE;
        p->sub = H_VALUE;
        /* fall through */
    default:
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return bad(p, "A header value contains a control character.");
        if (p->value_len < PREPARSE_AUTH_KEEP) p->value[p->value_len] = (char)c;
        p->value_len++;
        return PREPARSE_MORE;
    }
}

static int all_digits(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* A complete header line of the head (not of a trailer): remember what framing needs. */
static enum preparse_event header_end(struct preparse *p)
{
    if (p->sub == H_NAME) return bad(p, "A header line must be NAME: VALUE.");
    size_t kept = p->value_len < PREPARSE_AUTH_KEEP ? p->value_len : PREPARSE_AUTH_KEEP;
    while (kept && (p->value[kept - 1] == ' ' || p->value[kept - 1] == '\t'))
        kept--;
    int whole = p->value_len <= PREPARSE_AUTH_KEEP;
    p->value[kept] = 0;
    if (++p->n_headers > PREPARSE_MAX_HEADERS)
        return fail(p, 431, "headers_too_large", "The request has too many header lines.");
    if (p->state == ST_TRAILER) return PREPARSE_MORE;
    const char *n = p->name, *v = p->value;
    if (!strcasecmp(n, "Content-Length")) {
        if (!whole || kept > 18 || !all_digits(v, kept))
            return bad(p, "Content-Length must be a single decimal number.");
        long long x = 0;
        for (size_t i = 0; i < kept; i++)
            x = x * 10 + (v[i] - '0');
        if (p->has_content_length && x != p->content_length)
            return fail(p, 400, "conflicting_content_length",
                        "The request has Content-Length headers that disagree.");
        p->has_content_length = 1;
        p->content_length = x;
    } else if (!strcasecmp(n, "Transfer-Encoding")) {
        if (p->has_transfer_encoding) return bad(p, "Transfer-Encoding appears more than once.");
        if (!whole || strcasecmp(v, "chunked") != 0)
            return fail(p, 501, "unsupported_transfer_encoding",
                        "Only Transfer-Encoding: chunked is accepted.");
        p->has_transfer_encoding = 1;
    } else if (!strcasecmp(n, "Host")) {
        if (p->has_host) return bad(p, "Host appears more than once.");
        p->has_host = 1;
    } else if (!strcasecmp(n, "Expect")) {
        if (!whole || strcasecmp(v, "100-continue") != 0)
            return fail(p, 417, "expectation_failed", "Only Expect: 100-continue is understood.");
    } else if (!strcasecmp(n, "Authorization")) {
        if (p->has_authorization) return bad(p, "Authorization appears more than once.");
        p->has_authorization = 1;
        if (whole) memcpy(p->authorization, v, kept + 1);
    }
    return PREPARSE_MORE;
}

static enum preparse_event head_end(struct preparse *p)
{
    if (p->has_transfer_encoding && p->has_content_length)
        return bad(p, "A request must not carry both Content-Length and Transfer-Encoding.");
    if (p->has_transfer_encoding && !strcmp(p->version, "HTTP/1.0"))
        return bad(p, "HTTP/1.0 requests cannot use Transfer-Encoding.");
    if (p->method_id == PREPARSE_HEAD_M && preparse_has_body(p))
        return bad(p, "A HEAD request has no body.");
    if (p->has_transfer_encoding) {
        p->state = ST_CHUNK_SIZE;
    } else if (p->content_length > 0) {
        p->state = ST_BODY;
        p->body_left = p->content_length;
    } else {
        p->state = ST_LINE; /* the head fields stay readable until the next byte */
        p->started = 0;
    }
    begin_line(p);
    return PREPARSE_HEAD;
}

static enum preparse_event chunk_size_byte(struct preparse *p, unsigned char c)
{
    int h = hex_value(c);
    if (h < 0 || p->line_len >= 15)
        return bad(p, "A chunk size is hexadecimal digits alone (no extensions), at most 15.");
    p->body_left = p->body_left * 16 + h;
    return PREPARSE_MORE;
}

static enum preparse_event chunk_size_end(struct preparse *p)
{
    if (!p->line_len) return bad(p, "A chunk size line is empty.");
    p->body_total += p->body_left;
    if (p->body_total > p->lim->max_body)
        return fail(p, 413, "body_too_large",
                    "The request body is larger than the server's limit "
                    "([limits] max_body_bytes).");
    if (p->body_left == 0) {
        p->state = ST_TRAILER;
        p->head_len = 0;
        p->n_headers = 0;
    } else {
        p->state = ST_CHUNK_DATA;
    }
    begin_line(p);
    return PREPARSE_MORE;
}

/* One byte of a line-structured part; CR and LF were handled by the caller. */
static enum preparse_event line_byte(struct preparse *p, unsigned char c)
{
    switch (p->state) {
    case ST_LINE:
        return request_line_byte(p, c);
    case ST_HEADERS:
    case ST_TRAILER:
        return header_byte(p, c);
    case ST_CHUNK_SIZE:
        return chunk_size_byte(p, c);
    default:
        return bad(p, "Chunk data must be followed by CRLF.");
    }
}

static enum preparse_event line_end(struct preparse *p)
{
    switch (p->state) {
    case ST_LINE:
        return request_line_end(p);
    case ST_HEADERS:
        if (p->sub == H_START && p->line_len == 0) return head_end(p);
        {
            enum preparse_event e = header_end(p);
            begin_line(p);
            return e;
        }
    case ST_TRAILER:
        if (p->sub == H_START && p->line_len == 0) {
            p->state = ST_LINE;
            p->started = 0;
            return PREPARSE_END;
        }
        {
            enum preparse_event e = header_end(p);
            begin_line(p);
            return e;
        }
    case ST_CHUNK_SIZE:
        return chunk_size_end(p);
    default: /* ST_CHUNK_CRLF */
        p->state = ST_CHUNK_SIZE;
        p->body_left = 0;
        begin_line(p);
        return PREPARSE_MORE;
    }
}

static enum preparse_event size_checks(struct preparse *p)
{
    if (p->state == ST_LINE && p->line_len > p->lim->max_target + 32)
        return fail(p, 414, "uri_too_long",
                    "The request line is longer than the server's limit "
                    "([limits] max_uri_bytes).");
    if ((p->state == ST_HEADERS || p->state == ST_TRAILER) &&
        p->head_len + p->line_len > p->lim->max_head)
        return fail(p, 431, "headers_too_large",
                    "The request headers are larger than the server's "
                    "limit ([limits] max_header_bytes).");
    return PREPARSE_MORE;
}

enum preparse_event preparse_feed(struct preparse *p, const char *data, size_t len, size_t *used)
{
    size_t i = 0;
    enum preparse_event e = PREPARSE_MORE;
    if (p->state == ST_ERROR) {
        *used = 0;
        return PREPARSE_ERROR;
    }
    while (i < len && e == PREPARSE_MORE) {
        if (p->state == ST_BODY || p->state == ST_CHUNK_DATA) {
            size_t take = len - i;
            if ((long long)take > p->body_left) take = (size_t)p->body_left;
            i += take;
            p->started += take;
            p->body_left -= (long long)take;
            if (p->body_left == 0) {
                if (p->state == ST_BODY) {
                    p->state = ST_LINE;
                    p->started = 0;
                    e = PREPARSE_END;
                } else {
                    p->state = ST_CHUNK_CRLF;
                    begin_line(p);
                }
            }
            continue;
        }
        unsigned char c = (unsigned char)data[i++];
        if (p->started == 0 && p->state == ST_LINE) begin_request(p);
        p->started++;
        if (p->cr) {
            p->cr = 0;
            if (c != '\n') {
                e = bad(p, "A CR byte must be followed by LF.");
                break;
            }
            if (p->state == ST_HEADERS || p->state == ST_TRAILER) p->head_len += p->line_len + 2;
            e = line_end(p);
            continue;
        }
        if (c == '\r') {
            p->cr = 1;
            continue;
        }
        if (c == '\n') {
            e = bad(p, "Lines must end with CRLF, not a bare LF.");
            break;
        }
        e = line_byte(p, c);
        p->line_len++;
        if (e == PREPARSE_MORE) e = size_checks(p);
    }
    *used = i;
    return e;
}
