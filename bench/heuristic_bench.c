/* heuristic_bench: what scoring one answer with the offline heuristic costs.
 *
 * Scores every answer of the labelled set (tests/data/answers/, 320 answers of 1 to
 * 130 words) against its question's key points, many rounds over, and prints the mean
 * CPU microseconds per answer and the throughput. The pre-check is timed with it, since the
 * engine runs both on every answer it scores without a model. Run from the source tree
 * or with INTERVIEWD_SOURCE_DIR set: build/bench_heuristic_bench [rounds] */
#include "engine/heuristic.h"
#include "engine/precheck.h"
#include "engine/rubric.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ANSWERS 1000

struct sample {
    const char *answer;
    const char *category;
    struct heuristic_question q;
};

/* CPU time of this thread: on a shared machine wall time mostly measures the others. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    if (rounds < 1) rounds = 1;
    const char *src = getenv("INTERVIEWD_SOURCE_DIR");
    if (!src) src = INTERVIEWD_SOURCE_DIR;
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/data/rubrics.json", src);
    struct rubrics *rubrics = rubrics_load(path, err, sizeof err);
    snprintf(path, sizeof path, "%s/tests/data/answers/questions.json", src);
    json_t *qdoc = json_load_file(path, 0, NULL);
    snprintf(path, sizeof path, "%s/tests/data/answers/answers.jsonl", src);
    FILE *f = fopen(path, "r");
    if (!rubrics || !qdoc || !f) {
        fprintf(stderr, "heuristic_bench: cannot read the labelled set under %s\n", src);
        return 1;
    }
    static struct sample samples[MAX_ANSWERS];
    json_t *answers = json_array();
    int n = 0;
    long words = 0;
    char line[16384];
    while (fgets(line, sizeof line, f) && n < MAX_ANSWERS) {
        json_t *a = json_loads(line, 0, NULL);
        if (!a) continue;
        json_array_append_new(answers, a);
        const char *qid = json_string_value(json_object_get(a, "question_id"));
        size_t i;
        json_t *q, *found = NULL;
        json_array_foreach(json_object_get(qdoc, "questions"), i,
                           q) if (strcmp(json_string_value(json_object_get(q, "id")), qid) == 0)
            found = q;
        if (!found) continue;
        struct sample *s = &samples[n++];
        s->answer = json_string_value(json_object_get(a, "answer"));
        s->category = json_string_value(json_object_get(found, "category"));
        s->q.text = json_string_value(json_object_get(a, "question"));
        s->q.key_points = json_object_get(json_object_get(found, "reference"), "key_points");
        s->q.keywords = json_object_get(found, "keywords");
        for (const char *p = s->answer; *p; p++)
            words += *p == ' ';
    }
    fclose(f);
    long checksum = 0;
    double t0 = cpu_ns();
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            if (precheck_answer(samples[i].answer) != PRECHECK_OK) {
                checksum += 1;
                continue;
            }
            struct heuristic_eval ev;
            heuristic_evaluate(rubrics_get(rubrics, samples[i].category), &samples[i].q,
                               samples[i].answer, &ev);
            checksum += ev.score;
            free(ev.feedback);
        }
    }
    double ns = (cpu_ns() - t0) / ((double)rounds * n);
    printf("heuristic_bench: %d answers (mean %.0f words) x %d rounds: %.1f us CPU per answer "
           "(pre-check + heuristic + feedback), %.0f answers/s on one core; checksum %ld\n",
           n, (double)(words + n) / n, rounds, ns / 1000, 1e9 / ns, checksum);
    json_decref(answers);
    json_decref(qdoc);
    rubrics_free(rubrics);
    return 0;
}
