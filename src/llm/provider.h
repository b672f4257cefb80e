/* provider: one chat-completion backend behind a vtable (struct provider_ops).
 *
 * Peers: the OpenAI-compatible HTTPS client (llm/openai.c, libcurl multi socket API on
 * the process's libevent loop), the offline provider (llm/offline.c, answers tasks
 * locally with the heuristic rubric and the question bank), and later the simulator's
 * in-process providers. A call is asynchronous: submit() returns at once and `done`
 * runs later on the loop, exactly once, also on failure. Nothing here blocks.
 *
 * A provider never sees which candidate a call is for; it gets messages and, for the
 * offline provider, the task's structured input. */
#ifndef LLM_PROVIDER_H
#define LLM_PROVIDER_H

#include "core/config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

enum llm_status {
    LLM_OK = 0,
    LLM_ERR_NETWORK,      /* connect/DNS/TLS failure */
    LLM_ERR_TIMEOUT,      /* no complete answer within the request's timeout */
    LLM_ERR_RATE_LIMITED, /* 429 or a provider's equivalent (Gemini RESOURCE_EXHAUSTED) */
    LLM_ERR_AUTH,         /* 401/402/403: key missing, wrong or out of credit */
    LLM_ERR_HTTP,         /* any other non-2xx */
    LLM_ERR_BAD_RESPONSE, /* 2xx but no choices[0].message.content */
    LLM_ERR_CANCELLED,    /* provider destroyed with the call in flight */
    LLM_ERR_NO_CAPACITY,  /* router: no deployment could take the call before its deadline */
};
const char *llm_strerror(enum llm_status s);

/* One response header, kept for the router's rate-limit parsing. */
struct llm_header {
    char *name; /* lowercased */
    char *value;
};

/* One piece of a streamed answer: the deployment answering and the next len bytes of
 * choices[0].delta.content (not NUL-terminated). It runs inside the client's I/O
 * callback, so it may forward or buffer the bytes but must not submit to or destroy
 * the provider. */
typedef void (*llm_chunk_fn)(const char *provider, const char *delta, size_t len, void *data);

struct llm_request {
    const char *task;      /* task name for logs and stats, e.g. "evaluate" */
    json_t *messages;      /* borrowed: [{"role":"system","content":...},...] */
    json_t *task_input;    /* borrowed, may be NULL: structured input for offline use */
    int max_tokens;        /* completion budget */
    double temperature;    /* 0 for scoring */
    int json_mode;         /* 1: ask for response_format {"type":"json_object"} */
    int timeout_ms;        /* whole call, connect included */
    const char *model;     /* router: only deployments whose model id is this; NULL: any */
    json_t *extra;         /* borrowed, may be NULL: more top-level body fields (tools, stop,
                              top_p...); never replaces model, messages or stream */
    llm_chunk_fn on_chunk; /* non-NULL: ask for a stream ("stream": true) and pass every
                              content delta here; done still runs once, with it all */
    void *chunk_data;      /* for on_chunk */
};

struct llm_result {
    enum llm_status status;
    int http_status;   /* 0 when no HTTP response arrived */
    char *content;     /* assistant text (owned), NULL on failure */
    int prompt_tokens; /* from usage, 0 if unknown */
    int completion_tokens;
    int64_t latency_ms;
    int64_t retry_after_ms;     /* from Retry-After / retry-after-ms / body hints, -1 if none */
    char *error;                /* a sentence for logs, never containing the key (owned) */
    struct llm_header *headers; /* response headers (owned) */
    int n_headers;
    const char *provider; /* deployment name (borrowed from the provider) */
    const char *model;
    char finish_reason[16]; /* choices[0].finish_reason ("stop", "length"...), "" if none */
    int chunks;             /* on_chunk calls made: a call that made any must not be retried
                               elsewhere, its caller has passed part of the answer on */
};
/* Frees what the result owns; the struct itself belongs to the caller of done(). */
void llm_result_clear(struct llm_result *r);
/* Case-insensitive header lookup; NULL if absent. */
const char *llm_result_header(const struct llm_result *r, const char *name);

/* Called exactly once per submit(), on the event loop. `r` is valid only during the
 * call; take what you need (e.g. steal r->content and set it to NULL). */
typedef void (*llm_done_fn)(struct llm_result *r, void *data);

struct provider;

struct provider_ops {
    const char *kind; /* "openai", "offline", "sim" */
    /* Starts a call. Returns 0, or -1 if it could not even be queued (then done is
     * not called). */
    int (*submit)(struct provider *p, const struct llm_request *req, llm_done_fn done, void *data);
    /* Cancels in-flight calls (their done runs with LLM_ERR_CANCELLED) and frees p. */
    void (*destroy)(struct provider *p);
};

/* struct provider_config (one [provider.NAME] section) is in core/config.h. */

struct provider {
    const struct provider_ops *ops;
    const char *name;  /* deployment name (borrowed from config) */
    const char *model; /* model id sent in requests */
    int offline;       /* 1 for the offline provider: results are heuristic */
    void *impl;
};

/* The OpenAI-compatible client. api_key may be NULL for keyless local servers (Ollama,
 * llama.cpp). The key is copied; the caller may wipe its copy. Returns NULL and a
 * sentence in err on failure. */
struct provider *provider_openai_new(struct event_base *base, const struct provider_config *cfg,
                                     const char *api_key, char *err, size_t errlen);
/* The OpenAI client's SSE stream reader alone, for its fuzz target and tests: feeds the
 * n bytes of a 2xx text/event-stream body `piece` bytes at a time (as packets arrive),
 * ends the stream and classifies it as a streamed call would be. Returns the status;
 * *content (when content is not NULL) gets the streamed content to free, or NULL. */
enum llm_status openai_stream_replay(const char *p, size_t n, size_t piece, char **content);
/* The offline provider (llm/offline.c). It answers each task with `answer(task,
 * task_input, data)`, which returns the task's JSON (new reference) or NULL; the engine
 * supplies its heuristic scorer here, so this layer never calls up into the engine.
 * Answers arrive on the loop like a real call's, never inside submit(). */
typedef json_t *(*provider_offline_fn)(const char *task, const json_t *task_input, void *data);
struct provider *provider_offline_new(struct event_base *base, provider_offline_fn answer,
                                      void *data);

static inline int provider_submit(struct provider *p, const struct llm_request *req,
                                  llm_done_fn done, void *data)
{
    return p->ops->submit(p, req, done, data);
}

static inline void provider_destroy(struct provider *p)
{
    if (p) p->ops->destroy(p);
}

#endif
