/* test_quality: the offline scorer against human labels.
 *
 * tests/data/answers/answers.jsonl holds 320 answers labelled 1..5 by the guide in
 * docs/labelling.md, each with a type (strong, off_topic_with_numbers, ...) and a fixed
 * split: "tune" (the heuristic was tuned on it) or "heldout" (it was not). Every answer
 * goes through the path the engine takes without a model: the pre-check (non-answers
 * score 1), then the heuristic against the question's key points from
 * tests/data/answers/questions.json. The test prints, for each half, Spearman's rho
 * between scores and labels and the figures per type, then asserts the targets on the
 * held-out half:
 *
 *   rho >= 0.75
 *   off-topic, term-list and restated answers score <= 2 in >= 95% of cases
 *   short, precise, correct answers score >= 3 in >= 80% of cases
 *   non-answers score 1 in >= 95% of cases
 *
 * bench/quality.sh runs it to print the figures; QUALITY_DUMP=1 prints every answer's
 * score, label and kind as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/heuristic.h"
#include "engine/precheck.h"
#include "engine/rubric.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWERS 1000
#define MAX_TYPES 16

struct item {
    const char *type;
    const char *split;
    int label;
    int score;
};

static struct item items[MAX_ANSWERS];
static int n_items;
static json_t *answers_json; /* owns the strings items point into */

static const char *source_dir(void)
{
    const char *src = getenv("INTERVIEWD_SOURCE_DIR");
    return src ? src : INTERVIEWD_SOURCE_DIR;
}

static const json_t *find_question(const json_t *questions, const char *id)
{
    size_t i;
    json_t *q;
    json_array_foreach(
        questions, i, q) if (strcmp(json_string_value(json_object_get(q, "id")), id) == 0) return q;
    return NULL;
}

/* Scores every labelled answer the way the engine does without a model. */
static int score_all(void **state)
{
    (void)state;
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/data/rubrics.json", source_dir());
    struct rubrics *rubrics = rubrics_load(path, err, sizeof err);
    if (!rubrics) {
        fprintf(stderr, "rubrics_load(%s): %s\n", path, err);
        return -1;
    }
    json_error_t je;
    snprintf(path, sizeof path, "%s/tests/data/answers/questions.json", source_dir());
    json_t *qdoc = json_load_file(path, 0, &je);
    snprintf(path, sizeof path, "%s/tests/data/answers/answers.jsonl", source_dir());
    answers_json = json_array();
    FILE *f = fopen(path, "r");
    if (!qdoc || !f) {
        fprintf(stderr, "cannot read the labelled set under %s/tests/data/answers\n", source_dir());
        return -1;
    }
    const json_t *questions = json_object_get(qdoc, "questions");
    const char *dump = getenv("QUALITY_DUMP");
    char line[16384];
    while (fgets(line, sizeof line, f) && n_items < MAX_ANSWERS) {
        json_t *a = json_loads(line, 0, &je);
        if (!a) {
            fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
            fclose(f);
            return -1;
        }
        json_array_append_new(answers_json, a);
        const char *qid = json_string_value(json_object_get(a, "question_id"));
        const json_t *q = find_question(questions, qid);
        if (!q) {
            fprintf(stderr, "answer %s: question %s is not in questions.json\n",
                    json_string_value(json_object_get(a, "id")), qid);
            fclose(f);
            return -1;
        }
        const char *answer = json_string_value(json_object_get(a, "answer"));
        const char *category = json_string_value(json_object_get(q, "category"));
        struct heuristic_question hq = {
            .text = json_string_value(json_object_get(a, "question")),
            .key_points = json_object_get(json_object_get(q, "reference"), "key_points"),
            .keywords = json_object_get(q, "keywords"),
        };
        struct item *it = &items[n_items++];
        it->type = json_string_value(json_object_get(a, "type"));
        it->split = json_string_value(json_object_get(a, "split"));
        it->label = (int)json_integer_value(json_object_get(a, "label"));
        const char *kind = "precheck";
        if (precheck_answer(answer) != PRECHECK_OK) {
            it->score = 1;
        } else {
            struct heuristic_eval ev;
            heuristic_evaluate(rubrics_get(rubrics, category), &hq, answer, &ev);
            it->score = ev.score;
            kind = heuristic_kind_name(ev.kind);
            free(ev.feedback);
        }
        if (dump)
            printf("%s %-7s %-24s label=%d score=%d %-14s %.70s\n",
                   json_string_value(json_object_get(a, "id")), it->split, it->type, it->label,
                   it->score, kind, answer);
    }
    fclose(f);
    json_decref(qdoc);
    rubrics_free(rubrics);
    return 0;
}

static int free_all(void **state)
{
    (void)state;
    json_decref(answers_json);
    return 0;
}

/* Ranks with ties averaged, 1-based. */
static void ranks(const double *v, int n, double *r)
{
    for (int i = 0; i < n; i++) {
        int less = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            less += v[j] < v[i];
            equal += v[j] == v[i];
        }
        r[i] = less + (equal + 1) / 2.0;
    }
}

static double spearman(const char *split)
{
    static double x[MAX_ANSWERS], y[MAX_ANSWERS], rx[MAX_ANSWERS], ry[MAX_ANSWERS];
    int n = 0;
    for (int i = 0; i < n_items; i++) {
        if (strcmp(items[i].split, split) != 0) continue;
        x[n] = items[i].score;
        y[n++] = items[i].label;
    }
    ranks(x, n, rx);
    ranks(y, n, ry);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        mx += rx[i];
        my += ry[i];
    }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

/* Share of a type's answers in a split whose score is within [lo, hi]. */
static double share(const char *split, const char *type, int lo, int hi)
{
    int n = 0, in = 0;
    for (int i = 0; i < n_items; i++) {
        if (strcmp(items[i].split, split) != 0 || strcmp(items[i].type, type) != 0) continue;
        n++;
        in += items[i].score >= lo && items[i].score <= hi;
    }
    return n ? (double)in / n : 0;
}

static void print_half(const char *split)
{
    const char *types[MAX_TYPES];
    int n_types = 0, n = 0;
    for (int i = 0; i < n_items; i++) {
        if (strcmp(items[i].split, split) != 0) continue;
        n++;
        int known = 0;
        for (int t = 0; t < n_types && !known; t++)
            known = strcmp(types[t], items[i].type) == 0;
        if (!known && n_types < MAX_TYPES) types[n_types++] = items[i].type;
    }
    printf("\n## %s half: %d answers, Spearman rho = %.3f\n\n", split, n, spearman(split));
    printf("| type | n | exact | within 1 | mean label | mean score | target |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int t = 0; t < n_types; t++) {
        int c = 0, exact = 0, near = 0;
        double ml = 0, ms = 0;
        for (int i = 0; i < n_items; i++) {
            if (strcmp(items[i].split, split) != 0 || strcmp(items[i].type, types[t]) != 0)
                continue;
            c++;
            exact += items[i].score == items[i].label;
            near += abs(items[i].score - items[i].label) <= 1;
            ml += items[i].label;
            ms += items[i].score;
        }
        char target[64] = "";
        if (strcmp(types[t], "off_topic_with_numbers") == 0 ||
            strcmp(types[t], "buzzword_list") == 0 || strcmp(types[t], "restated_question") == 0)
            snprintf(target, sizeof target, "<= 2: %.0f%%", 100 * share(split, types[t], 1, 2));
        else if (strcmp(types[t], "short_precise") == 0)
            snprintf(target, sizeof target, ">= 3: %.0f%%", 100 * share(split, types[t], 3, 5));
        else if (strcmp(types[t], "non_answer") == 0)
            snprintf(target, sizeof target, "= 1: %.0f%%", 100 * share(split, types[t], 1, 1));
        printf("| %s | %d | %.0f%% | %.0f%% | %.2f | %.2f | %s |\n", types[t], c, 100.0 * exact / c,
               100.0 * near / c, ml / c, ms / c, target);
    }
}

static void test_quality_figures_for_both_halves(void **state)
{
    (void)state;
    assert_true(n_items >= 300);
    print_half("tune");
    print_half("heldout");
    fflush(stdout);
}

static void test_quality_heldout_rho_at_least_0_75(void **state)
{
    (void)state;
    double rho = spearman("heldout");
    if (rho < 0.75) fprintf(stderr, "held-out rho %.3f < 0.75\n", rho);
    assert_true(rho >= 0.75);
}

static void test_quality_heldout_off_topic_scores_at_most_2(void **state)
{
    (void)state;
    assert_true(share("heldout", "off_topic_with_numbers", 1, 2) >= 0.95);
}

static void test_quality_heldout_term_lists_score_at_most_2(void **state)
{
    (void)state;
    assert_true(share("heldout", "buzzword_list", 1, 2) >= 0.95);
}

static void test_quality_heldout_restated_questions_score_at_most_2(void **state)
{
    (void)state;
    assert_true(share("heldout", "restated_question", 1, 2) >= 0.95);
}

static void test_quality_heldout_short_precise_answers_score_at_least_3(void **state)
{
    (void)state;
    assert_true(share("heldout", "short_precise", 3, 5) >= 0.80);
}

static void test_quality_heldout_non_answers_score_1(void **state)
{
    (void)state;
    assert_true(share("heldout", "non_answer", 1, 1) >= 0.95);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quality_figures_for_both_halves),
        cmocka_unit_test(test_quality_heldout_rho_at_least_0_75),
        cmocka_unit_test(test_quality_heldout_off_topic_scores_at_most_2),
        cmocka_unit_test(test_quality_heldout_term_lists_score_at_most_2),
        cmocka_unit_test(test_quality_heldout_restated_questions_score_at_most_2),
        cmocka_unit_test(test_quality_heldout_short_precise_answers_score_at_least_3),
        cmocka_unit_test(test_quality_heldout_non_answers_score_1),
    };
    return cmocka_run_group_tests(tests, score_all, free_all);
}
