/* test_heuristic: the offline scorer and resume reader of engine/heuristic.h.
 *
 * Scoring tests run against the real rubric, data/rubrics.json under
 * $INTERVIEWD_SOURCE_DIR (the source tree when the variable is unset), loaded once for
 * the group. Answers are written out in the tests so the words that earn or lose points
 * are visible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/heuristic.h"
#include "engine/rubric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rubrics *rubrics;

static int load_rubrics(void **state)
{
    (void)state;
    const char *src = getenv("INTERVIEWD_SOURCE_DIR");
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/data/rubrics.json", src ? src : INTERVIEWD_SOURCE_DIR);
    rubrics = rubrics_load(path, err, sizeof err);
    if (!rubrics) {
        fprintf(stderr, "rubrics_load(%s): %s\n", path, err);
        return -1;
    }
    return 0;
}

static int free_rubrics(void **state)
{
    (void)state;
    rubrics_free(rubrics);
    rubrics = NULL;
    return 0;
}

/* Scores answer against the category's rubric; keywords is a JSON array text or NULL. */
static int score_of(const char *category, const char *keywords, const char *answer, char **feedback)
{
    json_t *kw = keywords ? json_loads(keywords, 0, NULL) : NULL;
    struct heuristic_question q = {.keywords = kw};
    struct heuristic_eval ev = {0};
    heuristic_evaluate(rubrics_get(rubrics, category), &q, answer, &ev);
    json_decref(kw);
    if (feedback)
        *feedback = ev.feedback;
    else
        free(ev.feedback);
    return ev.score;
}

static const char *cache_keywords = "[\"cache\", \"invalidation\", \"ttl\", \"hit rate\"]";

static const char *long_specific_answer =
    "First, I would put a read-through cache in front of the profile service because 90% of "
    "requests are reads. Each entry gets a ttl of 300 seconds, and invalidation happens on "
    "every write through an event, which means readers never see a profile older than one "
    "write. The tradeoff is extra latency on writes, about 2 ms in our benchmark. In "
    "production we measured the hit rate on a dashboard: it went from 0 to 87% in a week, "
    "and p99 latency dropped from 180 ms to 35 ms. The edge case is a thundering herd when "
    "a hot key expires, so we added request coalescing. In summary, the cache cut database "
    "load by a factor of five.";

/* ---- evaluate ---- */

static void test_heuristic_same_answer_twice_gets_same_score_and_feedback(void **state)
{
    (void)state;
    char *fb1, *fb2;
    int s1 = score_of("technical", cache_keywords, long_specific_answer, &fb1);
    int s2 = score_of("technical", cache_keywords, long_specific_answer, &fb2);
    assert_int_equal(s1, s2);
    assert_string_equal(fb1, fb2);
    free(fb1);
    free(fb2);
}

static void test_heuristic_scores_stay_within_1_and_5(void **state)
{
    (void)state;
    const char *answers[] = {"", "ok", "cache", long_specific_answer,
                             "cache invalidation ttl hit rate because tradeoff 100% first "
                             "second finally in production measured benchmark"};
    const char *categories[] = {"introduction", "resume", "technical", "behavioral", "wrap_up"};
    for (size_t c = 0; c < 5; c++) {
        for (size_t a = 0; a < 5; a++) {
            int s = score_of(categories[c], cache_keywords, answers[a], NULL);
            assert_in_range(s, 1, 5);
        }
    }
}

static void test_heuristic_long_specific_answer_beats_short_vague_one(void **state)
{
    (void)state;
    int strong = score_of("technical", cache_keywords, long_specific_answer, NULL);
    int weak = score_of("technical", cache_keywords,
                        "I would probably use some kind of caching thing there I guess.", NULL);
    assert_true(strong > weak);
    assert_true(strong >= 4);
}

static void test_heuristic_five_word_answer_scores_at_most_2(void **state)
{
    (void)state;
    /* every word is a keyword or a signal, yet five words cannot be a strong answer */
    int s = score_of("technical", cache_keywords, "Cache invalidation, ttl, 99% tradeoff", NULL);
    assert_true(s <= 2);
}

static void test_heuristic_length_alone_never_earns_more_than_3(void **state)
{
    (void)state;
    /* 120 words with no keyword, signal phrase or number */
    char answer[2048] = "";
    for (int i = 0; i < 20; i++)
        strcat(answer, "Well, that is an interesting thing. ");
    int s = score_of("technical", cache_keywords, answer, NULL);
    assert_true(s <= 3);
}

/* In plain words (issue 15): a rubric, not an AI model, scored it. */
static void test_heuristic_feedback_says_it_is_heuristic(void **state)
{
    (void)state;
    char *fb;
    score_of("technical", cache_keywords, long_specific_answer, &fb);
    assert_non_null(strstr(fb, "rubric (no AI model)"));
    free(fb);
}

static void test_heuristic_feedback_lists_keywords_the_answer_missed(void **state)
{
    (void)state;
    char *fb;
    score_of("technical", cache_keywords,
             "I would add a cache with a short ttl in front of the slow database.", &fb);
    assert_non_null(strstr(fb, "invalidation"));
    assert_non_null(strstr(fb, "hit rate"));
    free(fb);
}

static void test_heuristic_without_keywords_still_scores(void **state)
{
    (void)state;
    int s = score_of("behavioral", NULL, long_specific_answer, NULL);
    assert_in_range(s, 1, 5);
}

/* A signal that starts with a symbol matches right after a digit: the rubric's "%" counts
 * in "40%" as in "40 %", so for the behavioral rubric "We cut the page load time by 40%
 * over the quarter last spring." scores the same both ways. */
static void test_heuristic_percent_sign_after_a_number_counts_as_signal(void **state)
{
    (void)state;
    int glued = score_of("behavioral", NULL,
                         "We cut the page load time by 40% over the quarter last spring.", NULL);
    int spaced = score_of("behavioral", NULL,
                          "We cut the page load time by 40 % over the quarter last spring.", NULL);
    assert_int_equal(glued, spaced);
}

/* ---- resume analysis ---- */

static json_t *analyse(const char *resume)
{
    json_t *a = heuristic_resume_analysis(resume, NULL);
    assert_non_null(a);
    return a;
}

static const char *item(const json_t *a, const char *key, size_t i)
{
    return json_string_value(json_array_get(json_object_get(a, key), i));
}

static void test_heuristic_resume_skills_in_order_of_first_appearance(void **state)
{
    (void)state;
    json_t *a = analyse("I use Go and PostgreSQL; earlier Python");
    assert_string_equal(item(a, "skills", 0), "go");
    assert_string_equal(item(a, "skills", 1), "postgresql");
    assert_string_equal(item(a, "skills", 2), "python");
    json_decref(a);
}

static void test_heuristic_resume_skill_c_is_not_found_inside_cpp(void **state)
{
    (void)state;
    json_t *a = analyse("Ten years of C++ and some Rust");
    json_t *skills = json_object_get(a, "skills");
    assert_int_equal(json_array_size(skills), 2);
    assert_string_equal(item(a, "skills", 0), "c++");
    assert_string_equal(item(a, "skills", 1), "rust");
    json_decref(a);
}

static void test_heuristic_resume_role_skills_widen_the_vocabulary(void **state)
{
    (void)state;
    json_t *role_skills = json_pack("[s,s]", "accessibility", "web performance");
    json_t *a =
        heuristic_resume_analysis("Led web performance and accessibility audits.", role_skills);
    assert_string_equal(item(a, "skills", 0), "web performance");
    assert_string_equal(item(a, "skills", 1), "accessibility");
    json_decref(a);
    json_decref(role_skills);
}

static void test_heuristic_resume_eight_years_is_senior(void **state)
{
    (void)state;
    json_t *a = analyse("Backend engineer with 8 years of experience in payments.");
    assert_true(json_number_value(json_object_get(a, "years_experience")) == 8.0);
    assert_string_equal(json_string_value(json_object_get(a, "seniority")), "senior");
    json_decref(a);
}

static void test_heuristic_resume_five_years_is_mid(void **state)
{
    (void)state;
    json_t *a = analyse("5+ years building APIs.");
    assert_true(json_number_value(json_object_get(a, "years_experience")) == 5.0);
    assert_string_equal(json_string_value(json_object_get(a, "seniority")), "mid");
    json_decref(a);
}

static void test_heuristic_resume_two_years_is_junior(void **state)
{
    (void)state;
    json_t *a = analyse("Developer with 2 years of experience.");
    assert_true(json_number_value(json_object_get(a, "years_experience")) == 2.0);
    assert_string_equal(json_string_value(json_object_get(a, "seniority")), "junior");
    json_decref(a);
}

static void test_heuristic_resume_without_years_is_zero_and_junior(void **state)
{
    (void)state;
    json_t *a = analyse("Developer who likes clean code.");
    assert_true(json_number_value(json_object_get(a, "years_experience")) == 0.0);
    assert_string_equal(json_string_value(json_object_get(a, "seniority")), "junior");
    json_decref(a);
}

static void test_heuristic_resume_project_is_the_phrase_after_built(void **state)
{
    (void)state;
    json_t *a = analyse("Built a payment reconciliation service in Go. Enjoys hiking.");
    assert_string_equal(item(a, "projects", 0), "a payment reconciliation service in Go");
    json_decref(a);
}

static void test_heuristic_resume_company_is_the_capitalised_words_after_at(void **state)
{
    (void)state;
    json_t *a = analyse("Senior Engineer at Acme Corp. Before that, intern.");
    assert_string_equal(item(a, "companies", 0), "Acme Corp");
    json_decref(a);
}

static void test_heuristic_resume_has_a_summary_sentence(void **state)
{
    (void)state;
    json_t *a = analyse("Engineer with 8 years of experience in Go.");
    const char *summary = json_string_value(json_object_get(a, "summary"));
    assert_non_null(summary);
    assert_non_null(strstr(summary, "senior"));
    json_decref(a);
}

/* A project phrase longer than 90 bytes is shortened on a UTF-8 character boundary and
 * kept: for "Built a " + 87 x + "\u00e9 ..." the "projects" array holds the shortened
 * phrase (a cut inside the character would make json_string() reject it). */
static void test_heuristic_resume_long_non_ascii_project_is_kept(void **state)
{
    (void)state;
    char resume[256] = "Built a ";
    memset(resume + 8, 'x', 87);
    strcpy(resume + 95, "\xC3\xA9t\xC3\xA9 platform for caf\xC3\xA9s.");
    json_t *a = analyse(resume);
    size_t n = json_array_size(json_object_get(a, "projects"));
    json_decref(a);
    assert_int_equal(n, 1);
}

/* ---- summary ---- */

static json_t *scored_turns(const int *scores, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char q[64];
        snprintf(q, sizeof q, "Question number %zu?", i + 1);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:s}", "question", q, "category",
                                             "technical", "score", scores[i], "feedback", "ok"));
    }
    return arr;
}

static void test_heuristic_summary_of_5_4_1_has_strength_and_improvement(void **state)
{
    (void)state;
    const int scores[] = {5, 4, 1};
    json_t *turns = scored_turns(scores, 3);
    json_t *s = heuristic_summary(turns);
    assert_true(json_array_size(json_object_get(s, "strengths")) >= 1);
    assert_true(json_array_size(json_object_get(s, "improvements")) >= 1);
    json_decref(s);
    json_decref(turns);
}

static void test_heuristic_summary_of_5_4_1_mentions_mean_3_3(void **state)
{
    (void)state;
    const int scores[] = {5, 4, 1};
    json_t *turns = scored_turns(scores, 3);
    json_t *s = heuristic_summary(turns);
    const char *text = json_string_value(json_object_get(s, "summary"));
    assert_non_null(text);
    assert_non_null(strstr(text, "3.3"));
    json_decref(s);
    json_decref(turns);
}

static void test_heuristic_summary_of_no_turns_still_has_both_lists(void **state)
{
    (void)state;
    json_t *turns = json_array();
    json_t *s = heuristic_summary(turns);
    assert_true(json_array_size(json_object_get(s, "strengths")) >= 1);
    assert_true(json_array_size(json_object_get(s, "improvements")) >= 1);
    json_decref(s);
    json_decref(turns);
}

/* "To improve" names the lowest-scored answers first, by position (issue 13: a 1/5 was
 * left out while a 2/5 was listed). */
static void test_heuristic_summary_improvements_start_with_the_lowest_scores(void **state)
{
    (void)state;
    const int scores[] = {2, 1, 4, 3, 1, 5};
    json_t *turns = scored_turns(scores, 6);
    json_t *s = heuristic_summary(turns);
    const json_t *imp = json_object_get(s, "improvements");
    assert_int_equal(json_array_size(imp), 4);
    assert_true(strncmp(json_string_value(json_array_get(imp, 0)), "Question 2 ", 11) == 0);
    assert_true(strncmp(json_string_value(json_array_get(imp, 1)), "Question 5 ", 11) == 0);
    assert_true(strncmp(json_string_value(json_array_get(imp, 2)), "Question 1 ", 11) == 0);
    assert_true(strncmp(json_string_value(json_array_get(imp, 3)), "Question 4 ", 11) == 0);
    json_decref(s);
    json_decref(turns);
}

static void test_heuristic_summary_names_weakest_topics_not_question_texts(void **state)
{
    (void)state;
    json_t *turns = json_pack(
        "[{s:s,s:s,s:i,s:s,s:i,s:s},{s:s,s:s,s:i,s:s,s:i,s:s},{s:s,s:s,s:i,s:s,s:i,s:s}]",
        "question", "What does ACID mean?", "category", "technical", "score", 1, "feedback", "",
        "position", 1, "topic", "sql_transactions", "question", "What is a B-tree index?",
        "category", "technical", "score", 5, "feedback", "", "position", 2, "topic", "indexes",
        "question", "Explain isolation levels.", "category", "technical", "score", 2, "feedback",
        "", "position", 3, "topic", "sql_transactions");
    json_t *s = heuristic_summary(turns);
    const char *text = json_string_value(json_object_get(s, "summary"));
    assert_non_null(strstr(text, "Weakest topic: sql transactions (1.5/5)."));
    assert_null(strstr(text, "ACID"));
    const char *strength = json_string_value(json_array_get(json_object_get(s, "strengths"), 0));
    assert_string_equal(strength,
                        "Question 2 (indexes, 5/5): a clear answer that covered the key points.");
    assert_null(strstr(strength, "B-tree"));
    json_decref(s);
    json_decref(turns);
}

static void test_heuristic_summary_improvement_names_a_missed_key_point(void **state)
{
    (void)state;
    json_t *turns =
        json_pack("[{s:s,s:s,s:i,s:s,s:i,s:s,s:s,s:[s,s]}]", "question", "What does ACID mean?",
                  "category", "technical", "score", 2, "feedback", "", "position", 4, "topic",
                  "sql_transactions", "answer", "Atomicity means all statements commit or none do.",
                  "key_points", "Atomicity: all statements of a transaction commit or none do",
                  "Durability: committed data survives a crash");
    json_t *s = heuristic_summary(turns);
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "improvements"), 0)),
                        "Question 4 (sql transactions, 2/5): cover this point: Durability: "
                        "committed data survives a crash.");
    json_decref(s);
    json_decref(turns);
}

/* ---- relevance: the ACID question with its key points ---- */

static const char *acid_question = "What does ACID mean for database transactions?";
static const char *acid_points =
    "[\"Atomicity: all statements of a transaction commit or none do\","
    " \"Consistency: a transaction moves the database from one valid state to another, "
    "respecting constraints\","
    " \"Isolation: concurrent transactions do not see each other's partial work\","
    " \"Durability: once committed, data survives a crash, usually through a write-ahead log\"]";
static const char *acid_keywords =
    "[\"atomicity\", \"consistency\", \"isolation\", \"durability\", \"transaction\"]";

static int acid_score(const char *answer, struct heuristic_eval *keep)
{
    json_t *kp = json_loads(acid_points, 0, NULL);
    json_t *kw = json_loads(acid_keywords, 0, NULL);
    struct heuristic_question q = {.text = acid_question, .key_points = kp, .keywords = kw};
    struct heuristic_eval ev = {0};
    heuristic_evaluate(rubrics_get(rubrics, "technical"), &q, answer, &ev);
    json_decref(kp);
    json_decref(kw);
    if (keep)
        *keep = ev;
    else
        free(ev.feedback);
    return ev.score;
}

static void test_heuristic_short_precise_answer_scores_at_least_4(void **state)
{
    (void)state;
    /* 25 words, every key point */
    assert_true(acid_score("Atomic: all or nothing. Consistent: constraints hold after every "
                           "commit. Isolated: concurrent transactions don't see partial work. "
                           "Durable: committed data survives a crash.",
                           NULL) >= 4);
}

static void test_heuristic_off_topic_story_with_numbers_scores_1(void **state)
{
    (void)state;
    struct heuristic_eval ev;
    int s = acid_score("I usually run 3 times a week, around 10 km each time, and last spring I "
                       "finished a half marathon in 1 hour 52 minutes. Training took 16 weeks "
                       "and I ordered 14 pizzas for the team when I finished.",
                       &ev);
    assert_int_equal(s, 1);
    assert_int_equal(ev.kind, HEURISTIC_OFF_TOPIC);
    free(ev.feedback);
}

static void test_heuristic_list_of_terms_scores_1(void **state)
{
    (void)state;
    struct heuristic_eval ev;
    int s = acid_score("Atomicity, consistency, isolation, durability. Transactions, commit, "
                       "rollback, WAL, MVCC, serializable, Postgres, InnoDB.",
                       &ev);
    assert_int_equal(s, 1);
    assert_int_equal(ev.kind, HEURISTIC_TERM_LIST);
    free(ev.feedback);
}

static void test_heuristic_question_restated_scores_1(void **state)
{
    (void)state;
    struct heuristic_eval ev;
    int s = acid_score("ACID is what it means for database transactions. Database transactions "
                       "have ACID, which means they are ACID transactions in the database.",
                       &ev);
    assert_int_equal(s, 1);
    assert_int_equal(ev.kind, HEURISTIC_RESTATED);
    free(ev.feedback);
}

static void test_heuristic_filler_costs_a_point_against_the_same_content(void **state)
{
    (void)state;
    int plain =
        acid_score("Atomicity means the transaction either fully commits or is rolled back. "
                   "Consistency means the constraints still hold afterwards. Isolation "
                   "means concurrent transactions don't see each other's partial changes. "
                   "Durability means committed data survives a crash because of the "
                   "write-ahead log.",
                   NULL);
    int padded =
        acid_score("So, basically, honestly, atomicity means the transaction either fully "
                   "commits or is rolled back, you know. Basically consistency means the "
                   "constraints still hold afterwards, honestly. Isolation, you know, means "
                   "concurrent transactions don't see each other's partial changes, "
                   "basically. And durability, honestly, means committed data survives a "
                   "crash because of the write-ahead log, you know, basically.",
                   NULL);
    assert_true(plain >= 4);
    assert_int_equal(padded, plain - 1);
}

static void test_heuristic_answer_in_another_language_scores_at_most_2(void **state)
{
    (void)state;
    struct heuristic_eval ev;
    int s = acid_score("ACID bedeutet Atomarität, Konsistenz, Isolation und Dauerhaftigkeit. Eine "
                       "Transaktion wird ganz oder gar nicht ausgeführt.",
                       &ev);
    assert_true(s <= 2);
    assert_int_equal(ev.kind, HEURISTIC_OTHER_LANGUAGE);
    free(ev.feedback);
}

static void test_heuristic_feedback_names_a_missing_key_point_not_the_question(void **state)
{
    (void)state;
    struct heuristic_eval ev;
    acid_score("Atomicity means a transaction commits entirely or not at all, and isolation "
               "means concurrent transactions do not see each other's partial work.",
               &ev);
    assert_non_null(strstr(ev.feedback, "Durability: once committed"));
    assert_non_null(strstr(ev.feedback, "covers 2 of the 4 points"));
    assert_null(strstr(ev.feedback, acid_question));
    free(ev.feedback);
}

static void test_heuristic_stemming_matches_other_word_forms(void **state)
{
    (void)state;
    /* "committing", "constrained", "crashes", "logged": forms the key points do not use */
    struct heuristic_eval ev;
    acid_score("Each transaction is atomic, committing everything or nothing; the data stays "
               "constrained and valid; concurrent work is isolated; and after it commits, it "
               "survives crashes because it is logged ahead of the write.",
               &ev);
    assert_true(ev.coverage >= 0.75);
    free(ev.feedback);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heuristic_same_answer_twice_gets_same_score_and_feedback),
        cmocka_unit_test(test_heuristic_scores_stay_within_1_and_5),
        cmocka_unit_test(test_heuristic_long_specific_answer_beats_short_vague_one),
        cmocka_unit_test(test_heuristic_five_word_answer_scores_at_most_2),
        cmocka_unit_test(test_heuristic_length_alone_never_earns_more_than_3),
        cmocka_unit_test(test_heuristic_feedback_says_it_is_heuristic),
        cmocka_unit_test(test_heuristic_feedback_lists_keywords_the_answer_missed),
        cmocka_unit_test(test_heuristic_without_keywords_still_scores),
        cmocka_unit_test(test_heuristic_short_precise_answer_scores_at_least_4),
        cmocka_unit_test(test_heuristic_off_topic_story_with_numbers_scores_1),
        cmocka_unit_test(test_heuristic_list_of_terms_scores_1),
        cmocka_unit_test(test_heuristic_question_restated_scores_1),
        cmocka_unit_test(test_heuristic_filler_costs_a_point_against_the_same_content),
        cmocka_unit_test(test_heuristic_answer_in_another_language_scores_at_most_2),
        cmocka_unit_test(test_heuristic_feedback_names_a_missing_key_point_not_the_question),
        cmocka_unit_test(test_heuristic_stemming_matches_other_word_forms),
        cmocka_unit_test(test_heuristic_percent_sign_after_a_number_counts_as_signal),
        cmocka_unit_test(test_heuristic_resume_skills_in_order_of_first_appearance),
        cmocka_unit_test(test_heuristic_resume_skill_c_is_not_found_inside_cpp),
        cmocka_unit_test(test_heuristic_resume_role_skills_widen_the_vocabulary),
        cmocka_unit_test(test_heuristic_resume_eight_years_is_senior),
        cmocka_unit_test(test_heuristic_resume_five_years_is_mid),
        cmocka_unit_test(test_heuristic_resume_two_years_is_junior),
        cmocka_unit_test(test_heuristic_resume_without_years_is_zero_and_junior),
        cmocka_unit_test(test_heuristic_resume_project_is_the_phrase_after_built),
        cmocka_unit_test(test_heuristic_resume_company_is_the_capitalised_words_after_at),
        cmocka_unit_test(test_heuristic_resume_has_a_summary_sentence),
        cmocka_unit_test(test_heuristic_resume_long_non_ascii_project_is_kept),
        cmocka_unit_test(test_heuristic_summary_of_5_4_1_has_strength_and_improvement),
        cmocka_unit_test(test_heuristic_summary_of_5_4_1_mentions_mean_3_3),
        cmocka_unit_test(test_heuristic_summary_of_no_turns_still_has_both_lists),
        cmocka_unit_test(test_heuristic_summary_improvements_start_with_the_lowest_scores),
        cmocka_unit_test(test_heuristic_summary_names_weakest_topics_not_question_texts),
        cmocka_unit_test(test_heuristic_summary_improvement_names_a_missed_key_point),
    };
    return cmocka_run_group_tests(tests, load_rubrics, free_rubrics);
}
