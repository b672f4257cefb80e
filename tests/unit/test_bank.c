/* test_bank: roles, question templates, the per-candidate picker and placeholder filling
 * of engine/bank.h.
 *
 * Most tests use the real bank, data/ under $INTERVIEWD_SOURCE_DIR (the source tree
 * when the variable is unset), loaded once for the group. The interview simulation
 * spells out its plan (categories and counts per interview) in the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "engine/bank.h"
#include "engine/phrase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bank *bank;
static char data_dir[1024];

static int load_bank(void **state)
{
    (void)state;
    const char *src = getenv("INTERVIEWD_SOURCE_DIR");
    snprintf(data_dir, sizeof data_dir, "%s/data", src ? src : INTERVIEWD_SOURCE_DIR);
    char err[512] = "";
    bank = bank_load(data_dir, err, sizeof err);
    if (!bank) {
        fprintf(stderr, "bank_load(%s): %s\n", data_dir, err);
        return -1;
    }
    return 0;
}

static int free_bank(void **state)
{
    (void)state;
    bank_free(bank);
    bank = NULL;
    return 0;
}

static int question_fits_role(const struct bank_question *q, const char *role)
{
    if (q->any_role) return 1;
    for (int i = 0; i < q->n_roles; i++)
        if (strcmp(q->roles[i], role) == 0) return 1;
    return 0;
}

/* ---- loading ---- */

static void test_bank_load_real_data_has_more_than_470_questions(void **state)
{
    (void)state;
    assert_true(bank->n_questions > 470);
}

static void test_bank_load_real_data_has_10_roles(void **state)
{
    (void)state;
    assert_int_equal(bank->n_roles, 10);
}

static void test_bank_load_gives_every_question_a_category_and_difficulty(void **state)
{
    (void)state;
    for (int i = 0; i < bank->n_questions; i++) {
        const struct bank_question *q = &bank->questions[i];
        assert_non_null(q->id);
        assert_non_null(q->text);
        assert_in_range(q->difficulty, 1, 3);
        assert_true(strcmp(q->category, "introduction") == 0 ||
                    strcmp(q->category, "resume") == 0 || strcmp(q->category, "technical") == 0 ||
                    strcmp(q->category, "behavioral") == 0 || strcmp(q->category, "wrap_up") == 0);
        assert_true(q->any_role || q->n_roles > 0);
    }
}

static void test_bank_load_of_missing_dir_fails_with_a_message(void **state)
{
    (void)state;
    char err[512] = "";
    struct bank *b = bank_load("/nonexistent/interviewd-data", err, sizeof err);
    assert_null(b);
    assert_non_null(strstr(err, "/nonexistent/interviewd-data"));
}

static void test_bank_role_find_returns_title_and_skills(void **state)
{
    (void)state;
    const struct bank_role *r = bank_role_find(bank, "backend_engineer");
    assert_non_null(r);
    assert_string_equal(r->title, "Backend engineer");
    assert_true(json_array_size(r->skills) > 0);
}

static void test_bank_role_find_of_unknown_role_is_null(void **state)
{
    (void)state;
    assert_null(bank_role_find(bank, "astronaut"));
}

/* ---- seen set ---- */

static void test_bank_seen_has_text_compares_normalised_text(void **state)
{
    (void)state;
    struct bank_seen seen = {0};
    bank_seen_add(&seen, "tech.gen.001", "What is  a Thread?");
    assert_true(bank_seen_has_id(&seen, "tech.gen.001"));
    assert_false(bank_seen_has_id(&seen, "tech.gen.002"));
    assert_true(bank_seen_has_text(&seen, "  what is a\tthread?"));
    assert_false(bank_seen_has_text(&seen, "what is a process?"));
    bank_seen_free(&seen);
}

/* ---- picking ---- */

static void test_bank_pick_ten_interviews_of_twelve_never_repeat_a_question(void **state)
{
    (void)state;
    /* per interview: introduction 1, resume 3, technical 6, behavioral 1, wrap_up 1 */
    const char *plan[12] = {"introduction", "resume",    "resume",     "resume",
                            "technical",    "technical", "technical",  "technical",
                            "technical",    "technical", "behavioral", "wrap_up"};
    struct bank_seen seen = {0};
    for (int interview = 0; interview < 10; interview++) {
        for (int turn = 0; turn < 12; turn++) {
            int difficulty = 1 + (interview + turn) % 3;
            const struct bank_question *q =
                bank_pick(bank, "backend_engineer", plan[turn], difficulty, &seen, "cand-7");
            if (!q) fail_msg("interview %d turn %d (%s): no question", interview, turn, plan[turn]);
            assert_string_equal(q->category, plan[turn]);
            if (bank_seen_has_id(&seen, q->id))
                fail_msg("interview %d turn %d: %s asked twice", interview, turn, q->id);
            bank_seen_add(&seen, q->id, q->text);
        }
    }
    assert_int_equal(seen.len, 120);
    for (size_t i = 0; i < seen.len; i++)
        for (size_t j = i + 1; j < seen.len; j++)
            assert_string_not_equal(seen.ids[i], seen.ids[j]);
    bank_seen_free(&seen);
}

static void test_bank_pick_returns_null_when_category_is_exhausted(void **state)
{
    (void)state;
    int wrap_ups = 0;
    for (int i = 0; i < bank->n_questions; i++)
        wrap_ups += strcmp(bank->questions[i].category, "wrap_up") == 0;
    struct bank_seen seen = {0};
    for (int i = 0; i < wrap_ups; i++) {
        const struct bank_question *q = bank_pick(bank, "qa_engineer", "wrap_up", 1, &seen, "c");
        assert_non_null(q);
        bank_seen_add(&seen, q->id, q->text);
    }
    assert_null(bank_pick(bank, "qa_engineer", "wrap_up", 1, &seen, "c"));
    bank_seen_free(&seen);
}

static void test_bank_pick_same_salt_gives_same_question(void **state)
{
    (void)state;
    struct bank_seen seen = {0};
    const struct bank_question *a = bank_pick(bank, "devops_engineer", "technical", 2, &seen, "x");
    const struct bank_question *b = bank_pick(bank, "devops_engineer", "technical", 2, &seen, "x");
    assert_non_null(a);
    assert_ptr_equal(a, b);
}

static void test_bank_pick_two_salts_order_technical_questions_differently(void **state)
{
    (void)state;
    struct bank_seen seen = {0};
    int differ = 0;
    for (int r = 0; r < bank->n_roles; r++) {
        const char *role = bank->roles[r].id;
        const struct bank_question *a = bank_pick(bank, role, "technical", 2, &seen, "cand-alice");
        const struct bank_question *b = bank_pick(bank, role, "technical", 2, &seen, "cand-bob");
        assert_non_null(a);
        assert_non_null(b);
        differ += a != b;
    }
    assert_true(differ >= 1);
}

static void test_bank_pick_technical_is_own_role_or_general_never_another_role(void **state)
{
    (void)state;
    for (int r = 0; r < bank->n_roles; r++) {
        const char *role = bank->roles[r].id;
        struct bank_seen seen = {0};
        const struct bank_question *q;
        /* drain the whole technical bank this role can see */
        while ((q = bank_pick(bank, role, "technical", 2, &seen, "cand-1"))) {
            if (!question_fits_role(q, role))
                fail_msg("role %s was given %s, another role's question", role, q->id);
            bank_seen_add(&seen, q->id, q->text);
        }
        assert_true(seen.len > 0);
        bank_seen_free(&seen);
    }
}

static void test_bank_pick_technical_prefers_own_role_at_the_same_difficulty(void **state)
{
    (void)state;
    struct bank_seen seen = {0};
    const struct bank_question *q = bank_pick(bank, "ml_engineer", "technical", 3, &seen, "c-9");
    assert_non_null(q);
    assert_false(q->any_role);
    assert_int_equal(q->difficulty, 3);
    assert_true(question_fits_role(q, "ml_engineer"));
}

static void test_bank_pick_falls_back_to_other_difficulties(void **state)
{
    (void)state;
    /* once every difficulty-1 question is seen, difficulty 1 still gets a question */
    struct bank_seen seen = {0};
    for (int i = 0; i < bank->n_questions; i++)
        if (strcmp(bank->questions[i].category, "resume") == 0 &&
            bank->questions[i].difficulty == 1)
            bank_seen_add(&seen, bank->questions[i].id, bank->questions[i].text);
    const struct bank_question *q = bank_pick(bank, "backend_engineer", "resume", 1, &seen, "c");
    assert_non_null(q);
    assert_int_equal(q->difficulty, 2);
    bank_seen_free(&seen);
}

/* The picker avoids "ids and normalised texts already asked of the candidate" (bank.h):
 * a question asked under another id (e.g. one a model wrote) with the same text as a
 * template keeps bank_pick from returning that template. */
static void test_bank_pick_skips_template_whose_text_was_already_asked(void **state)
{
    (void)state;
    struct bank_seen seen = {0};
    /* a salt whose first pick has no placeholder, so the asked text equals the template */
    const struct bank_question *first = NULL;
    char salt[32];
    for (int i = 0; i < 1000 && (!first || strchr(first->text, '{')); i++) {
        snprintf(salt, sizeof salt, "c-%d", i);
        first = bank_pick(bank, "backend_engineer", "technical", 1, &seen, salt);
    }
    assert_non_null(first);
    assert_null(strchr(first->text, '{'));
    bank_seen_add(&seen, "gen.backend_engineer.0001", first->text);
    const struct bank_question *next =
        bank_pick(bank, "backend_engineer", "technical", 1, &seen, salt);
    bank_seen_free(&seen);
    assert_ptr_not_equal(next, first);
}

/* ---- filling ---- */

static const char *full_analysis =
    "{\"skills\":[\"go\",\"postgresql\",\"kafka\"],"
    "\"projects\":[\"a payment gateway\",\"an internal CLI\"],"
    "\"companies\":[\"Acme Corp\",\"Initech\"],\"years_experience\":8}";

static char *fill(const char *text, const char *analysis_json, const char *role, int turn)
{
    json_t *a = analysis_json ? json_loads(analysis_json, 0, NULL) : NULL;
    struct bank_fill_ctx ctx = {
        .analysis = a, .role = role ? bank_role_find(bank, role) : NULL, .turn = turn};
    char *s = bank_fill(bank, text, &ctx);
    json_decref(a);
    return s;
}

static void test_bank_fill_replaces_every_placeholder_from_analysis(void **state)
{
    (void)state;
    char *s = fill("{skill}|{skill2}|{project}|{company}|{years}|{role_title}", full_analysis,
                   "backend_engineer", 0);
    assert_string_equal(s, "Go|PostgreSQL|a payment gateway|Acme Corp|8|backend engineer");
    free(s);
}

static void test_bank_fill_turn_rotates_skill_and_project(void **state)
{
    (void)state;
    char *s = fill("{skill}|{skill2}|{project}", full_analysis, "backend_engineer", 1);
    assert_string_equal(s, "PostgreSQL|Kafka|an internal CLI");
    free(s);
}

static void test_bank_fill_empty_analysis_uses_role_skills_and_fallbacks(void **state)
{
    (void)state;
    const struct bank_role *r = bank_role_find(bank, "backend_engineer");
    /* the role's skills, in their canonical spelling ("sql" reads "SQL") */
    char *skill = phrase_clean(bank->terms, json_string_value(json_array_get(r->skills, 0)),
                               PHRASE_SKILL, NULL);
    char *skill2 = phrase_clean(bank->terms, json_string_value(json_array_get(r->skills, 1)),
                                PHRASE_SKILL, NULL);
    char want[512];
    snprintf(want, sizeof want, "%s|%s|a recent project of yours|your most recent team|several",
             skill, skill2);
    free(skill);
    free(skill2);
    char *s = fill("{skill}|{skill2}|{project}|{company}|{years}", "{}", "backend_engineer", 0);
    assert_string_equal(s, want);
    free(s);
}

static void test_bank_fill_without_analysis_or_role_uses_generic_fallbacks(void **state)
{
    (void)state;
    char *s = fill("{skill}|{skill2}|{role_title}", NULL, NULL, 0);
    assert_string_equal(s, "your main programming language|a tool you use every day|engineer");
    free(s);
}

static void test_bank_fill_single_skill_does_not_repeat_it_as_skill2(void **state)
{
    (void)state;
    char *s = fill("{skill} vs {skill2}", "{\"skills\":[\"rust\"]}", NULL, 0);
    assert_string_equal(s, "Rust vs a related technology");
    free(s);
}

static void test_bank_fill_leaves_unknown_braces_alone(void **state)
{
    (void)state;
    char *s = fill("Use {foo} or {} with {skill}, not {skill", full_analysis, NULL, 0);
    assert_string_equal(s, "Use {foo} or {} with Go, not {skill");
    free(s);
}

static void test_bank_fill_under_one_year_says_several(void **state)
{
    (void)state;
    char *s = fill("{years} years", "{\"years_experience\":0.5}", NULL, 0);
    assert_string_equal(s, "several years");
    free(s);
}

static void test_bank_fill_leaves_no_placeholder_in_any_bank_template(void **state)
{
    (void)state;
    json_t *a = json_loads(full_analysis, 0, NULL);
    const struct bank_role *role = bank_role_find(bank, "backend_engineer");
    for (int i = 0; i < bank->n_questions; i++) {
        struct bank_fill_ctx ctx = {.analysis = a, .role = role, .turn = i};
        char *s = bank_fill(bank, bank->questions[i].text, &ctx);
        int left = strchr(s, '{') != NULL;
        if (left) fprintf(stderr, "%s: %s\n", bank->questions[i].id, s);
        free(s);
        assert_false(left);
    }
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bank_load_real_data_has_more_than_470_questions),
        cmocka_unit_test(test_bank_load_real_data_has_10_roles),
        cmocka_unit_test(test_bank_load_gives_every_question_a_category_and_difficulty),
        cmocka_unit_test(test_bank_load_of_missing_dir_fails_with_a_message),
        cmocka_unit_test(test_bank_role_find_returns_title_and_skills),
        cmocka_unit_test(test_bank_role_find_of_unknown_role_is_null),
        cmocka_unit_test(test_bank_seen_has_text_compares_normalised_text),
        cmocka_unit_test(test_bank_pick_ten_interviews_of_twelve_never_repeat_a_question),
        cmocka_unit_test(test_bank_pick_returns_null_when_category_is_exhausted),
        cmocka_unit_test(test_bank_pick_same_salt_gives_same_question),
        cmocka_unit_test(test_bank_pick_two_salts_order_technical_questions_differently),
        cmocka_unit_test(test_bank_pick_technical_is_own_role_or_general_never_another_role),
        cmocka_unit_test(test_bank_pick_technical_prefers_own_role_at_the_same_difficulty),
        cmocka_unit_test(test_bank_pick_falls_back_to_other_difficulties),
        cmocka_unit_test(test_bank_pick_skips_template_whose_text_was_already_asked),
        cmocka_unit_test(test_bank_fill_replaces_every_placeholder_from_analysis),
        cmocka_unit_test(test_bank_fill_turn_rotates_skill_and_project),
        cmocka_unit_test(test_bank_fill_empty_analysis_uses_role_skills_and_fallbacks),
        cmocka_unit_test(test_bank_fill_without_analysis_or_role_uses_generic_fallbacks),
        cmocka_unit_test(test_bank_fill_single_skill_does_not_repeat_it_as_skill2),
        cmocka_unit_test(test_bank_fill_leaves_unknown_braces_alone),
        cmocka_unit_test(test_bank_fill_under_one_year_says_several),
        cmocka_unit_test(test_bank_fill_leaves_no_placeholder_in_any_bank_template),
    };
    return cmocka_run_group_tests(tests, load_bank, free_bank);
}
