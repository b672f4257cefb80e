/* offline: the provider used when no model is configured. It never leaves the process:
 * each call is answered by the function the engine gave it (the heuristic rubric and
 * resume reader), delivered on the next loop iteration so callers see the same
 * asynchronous contract as a real provider. */
#include "llm/provider.h"

#include "core/clock.h"
#include "core/timer.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

struct offline_call {
    struct offline_state *owner;
    struct timer *timer; /* zero-delay timer delivering the answer */
    struct llm_result result;
    llm_done_fn done;
    void *data;
    struct offline_call *next; /* in-flight list, for cancel on destroy */
    struct offline_call *prev;
};

struct offline_state {
    struct event_base *base;
    provider_offline_fn answer;
    void *data;
    struct offline_call *calls;
};

static void unlink_call(struct offline_state *st, struct offline_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        st->calls = c->next;
    if (c->next) c->next->prev = c->prev;
}

static void deliver(void *arg)
{
    struct offline_call *c = arg;
    unlink_call(c->owner, c);
    c->done(&c->result, c->data);
    llm_result_clear(&c->result);
    timer_free(c->timer);
    free(c);
}

static int offline_submit(struct provider *p, const struct llm_request *req, llm_done_fn done,
                          void *data)
{
    struct offline_state *st = p->impl;
    struct offline_call *c = xcalloc(1, sizeof *c);
    c->owner = st;
    c->done = done;
    c->data = data;
    c->result.provider = p->name;
    c->result.model = p->model;
    c->result.retry_after_ms = -1;
    int64_t t0 = clock_mono_ms();
    json_t *answer = st->answer ? st->answer(req->task, req->task_input, st->data) : NULL;
    if (answer) {
        c->result.status = LLM_OK;
        c->result.http_status = 200;
        c->result.content = json_dumps(answer, JSON_COMPACT);
        json_decref(answer);
    } else {
        c->result.status = LLM_ERR_BAD_RESPONSE;
        c->result.error = xstrdup("the offline provider cannot answer this task");
    }
    c->result.latency_ms = clock_mono_ms() - t0;
    c->timer = timer_new(st->base, deliver, c);
    c->next = st->calls;
    if (st->calls) st->calls->prev = c;
    st->calls = c;
    timer_start(c->timer, 0);
    return 0;
}

static void offline_destroy(struct provider *p)
{
    struct offline_state *st = p->impl;
    while (st->calls) {
        struct offline_call *c = st->calls;
        unlink_call(st, c);
        llm_result_clear(&c->result);
        c->result.status = LLM_ERR_CANCELLED;
        c->done(&c->result, c->data);
        llm_result_clear(&c->result);
        timer_free(c->timer);
        free(c);
    }
    free(st);
    free(p);
}

static const struct provider_ops offline_ops = {
    .kind = "offline",
    .submit = offline_submit,
    .destroy = offline_destroy,
};

struct provider *provider_offline_new(struct event_base *base, provider_offline_fn answer,
                                      void *data)
{
    struct offline_state *st = xcalloc(1, sizeof *st);
    st->base = base;
    st->answer = answer;
    st->data = data;
    struct provider *p = xcalloc(1, sizeof *p);
    p->ops = &offline_ops;
    p->name = "offline";
    p->model = "heuristic";
    p->offline = 1;
    p->impl = st;
    return p;
}
