/* store: the backend-independent half of the store interface: error names and the
 * *_free() functions for the structs that get/list calls fill.
 *
 * The one idea: every struct a backend hands out owns all of its strings, so freeing is
 * the same whichever backend filled it, and a freed struct is zeroed so a second free or
 * a stale read is harmless rather than a double free. */
#include "store/store.h"

#include "core/fastjson.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *store_strerror(enum store_err e)
{
    switch (e) {
    case STORE_OK:
        return "ok";
    case STORE_NOT_FOUND:
        return "not found";
    case STORE_CONFLICT:
        return "already exists or conflicts with stored data";
    case STORE_BUSY:
        return "database is busy (locked longer than the busy timeout)";
    case STORE_UNAVAILABLE:
        return "database cannot be opened or reached";
    case STORE_CORRUPT:
        return "database is malformed or was written by a newer interviewd";
    case STORE_IO:
        return "database I/O error";
    }
    return "unknown store error";
}

void store_candidate_free(struct store_candidate *c)
{
    if (!c) return;
    free(c->id);
    free(c->name);
    free(c->email);
    free(c->email_key);
    free(c->role);
    free(c->resume_text);
    free(c->resume_hash);
    free(c->token_hash);
    free(c->analysis_json);
    free(c->analysis_source);
    memset(c, 0, sizeof *c);
}

void store_interview_free(struct store_interview *iv)
{
    if (!iv) return;
    free(iv->id);
    free(iv->candidate_id);
    free(iv->kind);
    free(iv->mode);
    free(iv->state);
    free(iv->greeting);
    free(iv->plan_json);
    free(iv->report_json);
    free(iv->job_description);
    memset(iv, 0, sizeof *iv);
}

void store_turn_free(struct store_turn *t)
{
    if (!t) return;
    free(t->interview_id);
    free(t->question_id);
    free(t->question_text);
    free(t->category);
    free(t->phase);
    free(t->keywords);
    free(t->answer);
    free(t->feedback);
    free(t->scorer);
    free(t->flags);
    free(t->eval_status);
    free(t->topic);
    memset(t, 0, sizeof *t);
}

void store_turn_list_free(struct store_turn_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->len; i++)
        store_turn_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void store_interview_list_free(struct store_interview_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->len; i++)
        store_interview_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void store_key_list_free(struct store_key_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->len; i++)
        free(l->keys[i]);
    free(l->keys);
    memset(l, 0, sizeof *l);
}
void store_agg_list_free(struct store_agg_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].k1);
        free(l->items[i].k2);
        free(l->items[i].k3);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

void store_interview_row_list_free(struct store_interview_row_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->len; i++) {
        struct store_interview_row *r = &l->items[i];
        free(r->id);
        free(r->candidate_id);
        free(r->candidate_name);
        free(r->candidate_email);
        free(r->role);
        free(r->kind);
        free(r->mode);
        free(r->state);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

int store_report_overall_score(const char *report_json, int64_t *score)
{
    if (!report_json) return 0;
    json_error_t je;
    json_t *j = fastjson_load(report_json, strlen(report_json), &je);
    json_t *v = json_object_get(j, "overall_score");
    int ok = json_is_number(v) && isfinite(json_number_value(v));
    if (ok) *score = (int64_t)llround(json_number_value(v));
    json_decref(j);
    return ok;
}
