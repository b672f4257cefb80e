/* timer: evtimer wrapper or virtual heap; see timer.h. */
#include "core/timer.h"

#include "core/clock.h"
#include "core/util.h"

#include <event2/event.h>
#include <stdlib.h>

struct timer {
    timer_fn fn;
    void *data;
    struct event *ev; /* real mode */
    int64_t due;      /* virtual mode: clock_mono_ms() time */
    uint64_t seq;     /* virtual mode: start order, for ties */
    int heap_index;   /* virtual mode: -1 when not in the heap */
};

static int virtual_on;
static struct timer **heap;
static int heap_len, heap_cap;
static uint64_t next_seq;

static int before(const struct timer *a, const struct timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_swap(int i, int j)
{
    struct timer *t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
    heap[i]->heap_index = i;
    heap[j]->heap_index = j;
}

static void heap_up(int i)
{
    while (i > 0 && before(heap[i], heap[(i - 1) / 2])) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_len && before(heap[l], heap[m])) m = l;
        if (r < heap_len && before(heap[r], heap[m])) m = r;
        if (m == i) return;
        heap_swap(i, m);
        i = m;
    }
}

static void heap_remove(struct timer *t)
{
    int i = t->heap_index;
    if (i < 0) return;
    heap_len--;
    if (i != heap_len) {
        heap[i] = heap[heap_len];
        heap[i]->heap_index = i;
        heap_down(i);
        heap_up(i);
    }
    t->heap_index = -1;
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct timer *t = arg;
    t->fn(t->data);
}

struct timer *timer_new(struct event_base *base, timer_fn fn, void *data)
{
    struct timer *t = xcalloc(1, sizeof *t);
    t->fn = fn;
    t->data = data;
    t->heap_index = -1;
    if (!virtual_on) t->ev = evtimer_new(base, on_event, t);
    return t;
}

void timer_start(struct timer *t, int64_t delay_ms)
{
    if (delay_ms < 0) delay_ms = 0;
    if (t->ev) {
        struct timeval tv = {(time_t)(delay_ms / 1000), (suseconds_t)((delay_ms % 1000) * 1000)};
        evtimer_add(t->ev, &tv);
        return;
    }
    heap_remove(t);
    t->due = clock_mono_ms() + delay_ms;
    t->seq = next_seq++;
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 256;
        heap = xrealloc(heap, (size_t)heap_cap * sizeof *heap);
    }
    heap[heap_len] = t;
    t->heap_index = heap_len++;
    heap_up(t->heap_index);
}

void timer_stop(struct timer *t)
{
    if (t->ev)
        evtimer_del(t->ev);
    else
        heap_remove(t);
}

int timer_pending(const struct timer *t)
{
    if (t->ev) return evtimer_pending(t->ev, NULL);
    return t->heap_index >= 0;
}

void timer_free(struct timer *t)
{
    if (!t) return;
    if (t->ev)
        event_free(t->ev);
    else
        heap_remove(t);
    free(t);
}

void timer_use_virtual(int on)
{
    virtual_on = on;
    if (!on) {
        free(heap);
        heap = NULL;
        heap_len = heap_cap = 0;
    }
}

int timer_is_virtual(void)
{
    return virtual_on;
}

int64_t timer_next_due_ms(void)
{
    return heap_len ? heap[0]->due : -1;
}

int timer_run_due(void)
{
    int ran = 0;
    int64_t now = clock_mono_ms();
    while (heap_len && heap[0]->due <= now) {
        struct timer *t = heap[0];
        heap_remove(t);
        t->fn(t->data); /* may free t, start timers */
        ran++;
    }
    return ran;
}
