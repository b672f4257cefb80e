/* http/preparse: a strict, incremental check of HTTP/1.1 request framing.
 *
 * http/conn.c feeds it every byte a client sends, as the bytes arrive and before evhttp
 * parses them, so that anything evhttp would refuse with its own HTML page (or accept
 * where a proxy in front might read it differently) is refused here first, as JSON:
 * unknown methods, oversized targets and headers, control characters, bare CR or LF,
 * folded headers, conflicting or malformed Content-Length, Transfer-Encoding other than
 * "chunked" or together with Content-Length, chunk extensions, malformed chunk sizes,
 * and bodies over the limit (from Content-Length up front, for chunked bodies as they
 * arrive). It keeps no copy of the request beyond a few short fields (the start of the
 * target and the Authorization value), so its memory per connection is fixed.
 *
 * Accepted input is a subset of what evhttp 2.1 accepts, so the two agree on where every
 * request starts and ends. */
#ifndef HTTP_PREPARSE_H
#define HTTP_PREPARSE_H

#include <stddef.h>

#define PREPARSE_TARGET_KEEP 64  /* bytes of the request target kept for routing checks */
#define PREPARSE_AUTH_KEEP 512   /* bytes of Authorization kept for the /v1 key check */
#define PREPARSE_MAX_HEADERS 100 /* header lines per request (and per trailer) */
#define PREPARSE_NAME_MAX 64     /* longest header name */
#define PREPARSE_VALUE_KEEP 48   /* bytes kept of values we read (Content-Length, ...) */

struct preparse_limits {
    size_t max_target;  /* request target bytes: over it, 414 */
    size_t max_head;    /* request line + headers bytes: over it, 431 */
    long long max_body; /* body bytes (Content-Length or the sum of chunks): over it, 413 */
};

enum preparse_event {
    PREPARSE_MORE,  /* all input consumed; nothing to report */
    PREPARSE_HEAD,  /* the request's head is complete (fields below are valid) */
    PREPARSE_END,   /* the request (head and body) is complete */
    PREPARSE_ERROR, /* refuse: status, code, message say why; feed nothing more */
};

enum preparse_method {
    PREPARSE_GET = 1,
    PREPARSE_HEAD_M,
    PREPARSE_POST,
    PREPARSE_PUT,
    PREPARSE_DELETE,
    PREPARSE_OPTIONS,
    PREPARSE_PATCH,
};

struct preparse {
    const struct preparse_limits *lim;
    int state;       /* where in the message (private) */
    int sub;         /* where in the current line (private) */
    int cr;          /* the previous byte was CR */
    size_t started;  /* bytes of this request so far (0: between requests) */
    size_t head_len; /* bytes of the head (or of the trailer) so far */
    size_t line_len; /* bytes of the current line so far */
    int n_headers;   /* header lines so far */
    /* the request line */
    char method[17]; /* as sent (token, at most 16 bytes) */
    size_t method_len;
    enum preparse_method method_id;        /* 0 = not one we serve */
    char target[PREPARSE_TARGET_KEEP + 1]; /* its first bytes, NUL-terminated */
    size_t target_len;                     /* its full length */
    char version[9];                       /* "HTTP/1.1" */
    size_t version_len;
    /* the current header line */
    char name[PREPARSE_NAME_MAX + 1];
    size_t name_len;
    char value[PREPARSE_AUTH_KEEP +
               1];    /* kept part of the value (trailing blanks stripped at the end) */
    size_t value_len; /* full length of the value */
    /* what the headers said */
    int has_content_length, has_transfer_encoding, has_host, has_authorization;
    long long content_length;
    char authorization[PREPARSE_AUTH_KEEP + 1]; /* NUL-terminated; "" when too long */
    /* the body */
    long long body_left;  /* bytes of the Content-Length body or of the chunk still to come */
    long long body_total; /* body bytes announced so far */
    /* the refusal */
    int status;          /* HTTP status */
    const char *code;    /* stable error code */
    const char *message; /* a sentence for the client */
};

void preparse_init(struct preparse *p, const struct preparse_limits *lim);
/* Consumes bytes from data until it has something to report; *used says how many. Call
 * again with the rest. After PREPARSE_ERROR it consumes nothing. */
enum preparse_event preparse_feed(struct preparse *p, const char *data, size_t len, size_t *used);
/* 1 between requests (no byte of the next one seen yet). */
int preparse_idle(const struct preparse *p);
/* 1 after PREPARSE_HEAD when a body follows. */
int preparse_has_body(const struct preparse *p);
/* After PREPARSE_HEAD: 413 (as PREPARSE_ERROR) when Content-Length is over the limit. The
 * caller checks credentials first, so a client without them learns nothing about limits. */
enum preparse_event preparse_check_length(struct preparse *p);

#endif
