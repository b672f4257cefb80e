/* report: the report of a finished interview (engine-internal; engine_report, the GET,
 * is in engine.h).
 *
 * A report is built from the interview's scored turns and a summary, stored as JSON
 * with the interview, and rebuilt when answers are re-scored later. */
#ifndef ENGINE_REPORT_H
#define ENGINE_REPORT_H

#include "store/store.h"

#include <jansson.h>

struct engine;

/* Builds and stores the report from the turns and a summary (NULL: the heuristic's);
 * a store failure leaves the interview to the retry sweeper. */
void report_write(struct engine *e, const char *interview_id, json_t *summary,
                  int summary_from_model);
/* [{question, category, score, feedback}] of the answered turns, for summaries. New
 * reference. */
json_t *report_scored_list(struct engine *e, const struct store_turn_list *turns);

#endif
