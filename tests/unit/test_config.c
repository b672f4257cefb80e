/* test_config: defaults, INI loading and validation of core/config.h.
 *
 * Each test gets its own mkdtemp() directory under /tmp and writes the INI text it
 * needs there, in the test, so line numbers in expected messages can be counted by eye. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
    char dir[64];      /* the test's own temp directory */
    char path[128];    /* interviewd.ini inside it, once written */
    struct config cfg; /* defaults, then whatever the test loads */
    char err[512];     /* config_load's message */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/interviewd-config-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/interviewd.ini", f->dir);
    config_defaults(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    config_free(&f->cfg);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Writes text to f->path and loads it over the defaults; returns config_load's result. */
static int load(struct fx *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    f->err[0] = 0;
    return config_load(&f->cfg, f->path, f->err, sizeof f->err);
}

/* "PATH:LINE:" for the test's file. */
static const char *at_line(const struct fx *f, int line)
{
    static char buf[160];
    snprintf(buf, sizeof buf, "%s:%d:", f->path, line);
    return buf;
}

/* ---- defaults ---- */

static void test_config_default_listen_is_loopback_8080(void **state)
{
    struct fx *f = *state;
    assert_string_equal(f->cfg.listen, "127.0.0.1:8080");
}

static void test_config_default_interview_has_12_questions(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->cfg.questions, 12);
}

static void test_config_default_max_resume_bytes_is_65536(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->cfg.max_resume_bytes, 65536);
}

static void test_config_default_max_body_bytes_is_1048576(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->cfg.max_body_bytes, 1048576);
}

static void test_config_default_has_no_providers_and_auto_budget(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->cfg.n_providers, 0);
    assert_string_equal(f->cfg.budget_mode, "auto");
    assert_string_equal(f->cfg.store_backend, "sqlite");
}

/* ---- loading ---- */

static void test_config_file_overrides_only_the_keys_it_names(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[server]\n"
                     "listen = 0.0.0.0:9090\n"
                     "\n"
                     "[interview]\n"
                     "questions = 20\n"
                     "\n"
                     "[limits]\n"
                     "max_resume_bytes = 131072\n");
    if (rc != 0) fail_msg("config_load: %s", f->err);
    assert_string_equal(f->cfg.listen, "0.0.0.0:9090");
    assert_int_equal(f->cfg.questions, 20);
    assert_int_equal(f->cfg.max_resume_bytes, 131072);
    assert_int_equal(f->cfg.max_body_bytes, 1048576); /* untouched default */
    assert_string_equal(f->cfg.path, f->path);
}

static void test_config_comments_and_blank_lines_are_ignored(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "; interviewd config\n"
                     "# another comment\n"
                     "\n"
                     "[budget]\n"
                     "mode = economy\n");
    if (rc != 0) fail_msg("config_load: %s", f->err);
    assert_string_equal(f->cfg.budget_mode, "economy");
}

static void test_config_workload_section_is_ignored(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[workload]\ninterviews_per_day = 500\n");
    if (rc != 0) fail_msg("config_load: %s", f->err);
}

static void test_config_unknown_key_names_file_line_and_key(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[server]\n"
                     "listen = 127.0.0.1:9000\n"
                     "listn = 127.0.0.1:9001\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 3)));
    assert_non_null(strstr(f->err, "listn"));
    assert_non_null(strstr(f->err, "unknown key"));
}

static void test_config_unknown_section_names_file_line_and_section(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[server]\n"
                     "listen = 127.0.0.1:9000\n"
                     "[servr]\n"
                     "listen = 127.0.0.1:9001\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 4)));
    assert_non_null(strstr(f->err, "[servr]"));
    assert_non_null(strstr(f->err, "unknown section"));
}

static void test_config_bad_budget_mode_names_the_allowed_values(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[budget]\nmode = turbo\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 2)));
    assert_non_null(strstr(f->err, "turbo"));
    assert_non_null(strstr(f->err, "auto|full|balanced|economy|offline"));
}

static void test_config_questions_41_is_out_of_range(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[interview]\nquestions = 41\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 2)));
    assert_non_null(strstr(f->err, "questions"));
    assert_non_null(strstr(f->err, "41 is outside 4..40"));
}

static void test_config_non_integer_value_is_rejected(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[interview]\nquestions = twelve\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "'twelve' is not an integer"));
}

static void test_config_integer_with_trailing_text_is_rejected(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[limits]\nmax_body_bytes = 2MB\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "max_body_bytes"));
}

static void test_config_listen_that_is_not_host_port_is_rejected(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[server]\nlisten = localhost\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "listen"));
}

static void test_config_missing_file_is_an_error_naming_it(void **state)
{
    struct fx *f = *state;
    char err[512] = "";
    char missing[160];
    snprintf(missing, sizeof missing, "%s/does-not-exist.ini", f->dir);
    assert_int_equal(config_load(&f->cfg, missing, err, sizeof err), -1);
    assert_non_null(strstr(err, missing));
}

/* With two bad lines the message names the first one with its own line and key (inih
 * keeps parsing after a handler error, so a later error must not overwrite the first:
 * "...:2: [server] first_bad", not line 2 paired with second_bad). */
static void test_config_two_errors_report_the_first_with_its_own_line(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[server]\n"
                     "first_bad = 1\n"
                     "second_bad = 2\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 2)));
    assert_non_null(strstr(f->err, "first_bad"));
}

/* ---- providers ---- */

static void test_config_provider_section_is_parsed(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.groq]\n"
                     "base_url = https://api.groq.com/openai/v1\n"
                     "api_key_env = GROQ_API_KEY\n"
                     "model = llama-3.1-8b-instant\n"
                     "headers = groq\n"
                     "rpm = 30\n"
                     "rpd = 14400\n");
    if (rc != 0) fail_msg("config_load: %s", f->err);
    assert_int_equal(f->cfg.n_providers, 1);
    const struct provider_config *p = &f->cfg.providers[0];
    assert_string_equal(p->name, "groq");
    assert_string_equal(p->base_url, "https://api.groq.com/openai/v1");
    assert_string_equal(p->api_key_env, "GROQ_API_KEY");
    assert_string_equal(p->model, "llama-3.1-8b-instant");
    assert_string_equal(p->headers, "groq");
    assert_int_equal(p->rpm, 30);
    assert_int_equal(p->rpd, 14400);
    assert_int_equal(p->tpm, 0);            /* unknown = unlimited */
    assert_int_equal(p->timeout_ms, 30000); /* provider default */
}

/* Issue 16: prices, the catalog's provenance and the spend cap. */
static void test_config_prices_confirmed_and_spend_cap_are_parsed(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[budget]\n"
                     "max_usd_per_day = 1.25\n"
                     "[provider.paid]\n"
                     "base_url = https://api.example.org/v1\n"
                     "model = m\n"
                     "price_in_per_mtok = 0.05\n"
                     "price_out_per_mtok = 0.08\n"
                     "confirmed = yes\n"
                     "source = https://example.org/pricing\n"
                     "checked = 2026-12-02\n"
                     "[provider.free]\n"
                     "base_url = https://api.example.org/v1\n"
                     "model = m\n");
    if (rc != 0) fail_msg("config_load: %s", f->err);
    assert_true(f->cfg.max_usd_per_day == 1.25);
    const struct provider_config *p = &f->cfg.providers[0], *q = &f->cfg.providers[1];
    assert_true(p->price_in_per_mtok == 0.05);
    assert_true(p->price_out_per_mtok == 0.08);
    assert_int_equal(p->confirmed, 1);
    assert_string_equal(p->source, "https://example.org/pricing");
    assert_string_equal(p->checked, "2026-12-02");
    assert_true(provider_config_priced(p));
    /* defaults: free, unconfirmed, never pay */
    assert_false(provider_config_priced(q));
    assert_int_equal(q->confirmed, 0);
    assert_string_equal(q->source, "");
}

static void test_config_default_spend_cap_is_zero(void **state)
{
    struct fx *f = *state;
    assert_true(f->cfg.max_usd_per_day == 0);
}

static void test_config_bad_price_or_confirmed_is_rejected(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.paid]\n"
                     "base_url = https://api.example.org/v1\n"
                     "model = m\n"
                     "price_in_per_mtok = -1\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "price_in_per_mtok"));
    config_free(&f->cfg);
    config_defaults(&f->cfg);
    rc = load(f, "[provider.paid]\n"
                 "base_url = https://api.example.org/v1\n"
                 "model = m\n"
                 "confirmed = maybe\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "yes or no"));
    config_free(&f->cfg);
    config_defaults(&f->cfg);
    rc = load(f, "[budget]\nmax_usd_per_day = lots\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "max_usd_per_day"));
}

static void test_config_providers_keep_file_order(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.cerebras]\n"
                     "base_url = https://api.cerebras.ai/v1\n"
                     "model = llama3.1-8b\n"
                     "[provider.groq]\n"
                     "base_url = https://api.groq.com/openai/v1\n"
                     "model = llama-3.1-8b-instant\n");
    if (rc != 0) fail_msg("config_load: %s", f->err);
    assert_int_equal(f->cfg.n_providers, 2);
    assert_string_equal(f->cfg.providers[0].name, "cerebras");
    assert_string_equal(f->cfg.providers[1].name, "groq");
}

static void test_config_provider_without_base_url_is_an_error(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.groq]\nmodel = llama-3.1-8b-instant\nrpm = 30\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "provider.groq"));
    assert_non_null(strstr(f->err, "base_url"));
}

static void test_config_provider_without_model_is_an_error(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.groq]\nbase_url = https://api.groq.com/openai/v1\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "model"));
}

static void test_config_provider_unknown_key_is_an_error(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.groq]\n"
                     "base_url = https://api.groq.com/openai/v1\n"
                     "model = m\n"
                     "api_key = gsk_live_secret\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 4)));
    assert_non_null(strstr(f->err, "api_key"));
    assert_null(strstr(f->err, "gsk_live_secret")); /* the value is not echoed */
}

static void test_config_provider_negative_rpm_is_an_error(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.groq]\nrpm = -5\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "rpm"));
    assert_non_null(strstr(f->err, "non-negative"));
}

static void test_config_provider_bad_headers_style_names_the_allowed_values(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.x]\nheaders = anthropic\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "anthropic"));
    assert_non_null(strstr(f->err, "openai|groq"));
}

static void test_config_provider_section_without_name_is_an_error(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.]\nmodel = m\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, "needs a name"));
}

/* ---- strictness (issue 14 item 9) ---- */

static void test_config_directory_is_an_error(void **state)
{
    struct fx *f = *state;
    char err[512] = "";
    assert_int_equal(config_load(&f->cfg, f->dir, err, sizeof err), -1);
    assert_non_null(strstr(err, f->dir));
    assert_non_null(strstr(err, "directory"));
}

static void test_config_base_url_must_be_http_or_https(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[provider.x]\nbase_url = ftp://x\nmodel = m\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 2)));
    assert_non_null(strstr(f->err, "[provider.x] base_url"));
    assert_non_null(strstr(f->err, "https://"));
    config_free(&f->cfg);
    config_defaults(&f->cfg);
    assert_int_equal(load(f, "[provider.y]\nbase_url = https://\nmodel = m\n"), -1);
    config_free(&f->cfg);
    config_defaults(&f->cfg);
    if (load(f, "[provider.z]\nbase_url = http://127.0.0.1:9/v1\nmodel = m\n") != 0)
        fail_msg("config_load: %s", f->err);
}

static void test_config_key_set_twice_names_both_lines(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[interview]\n"
                     "questions = 10\n"
                     "questions = 20\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 3)));
    assert_non_null(strstr(f->err, "[interview] questions"));
    assert_non_null(strstr(f->err, "line 2"));
}

static void test_config_section_given_twice_is_an_error(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "[server]\n"
                     "log_level = info\n"
                     "[interview]\n"
                     "questions = 10\n"
                     "[server]\n"
                     "request_timeout_ms = 5000\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 5)));
    assert_non_null(strstr(f->err, "[server]"));
    assert_non_null(strstr(f->err, "line 1"));
}

static void test_config_provider_without_model_names_its_section_line(void **state)
{
    struct fx *f = *state;
    int rc = load(
        f, "[budget]\nmode = auto\n[provider.groq]\nbase_url = https://api.groq.com/openai/v1\n");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(f->err, at_line(f, 3)));
    assert_non_null(strstr(f->err, "[provider.groq] model"));
}

static void test_config_connection_limits_default_to_auto_and_1024(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->cfg.max_connections, 0);
    assert_int_equal(f->cfg.max_connections_per_address, 1024);
    assert_int_equal(f->cfg.header_timeout_ms, 10000);
    assert_int_equal(f->cfg.body_timeout_ms, 60000);
}

/* ---- config_parse_listen ---- */

static void test_config_parse_listen_accepts_port_0(void **state)
{
    (void)state;
    char host[256];
    int port = -1;
    assert_int_equal(config_parse_listen("127.0.0.1:0", host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
}

static void test_config_parse_listen_strips_ipv6_brackets(void **state)
{
    (void)state;
    char host[256];
    int port = -1;
    assert_int_equal(config_parse_listen("[::1]:8080", host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
}

static void test_config_parse_listen_rejects_text_without_port(void **state)
{
    (void)state;
    char host[256];
    int port;
    assert_int_equal(config_parse_listen("nonsense", host, &port), -1);
}

static void test_config_parse_listen_rejects_port_99999(void **state)
{
    (void)state;
    char host[256];
    int port;
    assert_int_equal(config_parse_listen("host:99999", host, &port), -1);
}

static void test_config_parse_listen_rejects_empty_host_or_port(void **state)
{
    (void)state;
    char host[256];
    int port;
    assert_int_equal(config_parse_listen(":8080", host, &port), -1);
    assert_int_equal(config_parse_listen("host:", host, &port), -1);
    assert_int_equal(config_parse_listen("host:80x", host, &port), -1);
}

static void test_config_parse_listen_rejects_unclosed_ipv6_bracket(void **state)
{
    (void)state;
    char host[256];
    int port;
    assert_int_equal(config_parse_listen("[::1:8080", host, &port), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_config_prices_confirmed_and_spend_cap_are_parsed),
        T(test_config_default_spend_cap_is_zero),
        T(test_config_bad_price_or_confirmed_is_rejected),
        T(test_config_default_listen_is_loopback_8080),
        T(test_config_default_interview_has_12_questions),
        T(test_config_default_max_resume_bytes_is_65536),
        T(test_config_default_max_body_bytes_is_1048576),
        T(test_config_default_has_no_providers_and_auto_budget),
        T(test_config_file_overrides_only_the_keys_it_names),
        T(test_config_comments_and_blank_lines_are_ignored),
        T(test_config_workload_section_is_ignored),
        T(test_config_unknown_key_names_file_line_and_key),
        T(test_config_unknown_section_names_file_line_and_section),
        T(test_config_bad_budget_mode_names_the_allowed_values),
        T(test_config_questions_41_is_out_of_range),
        T(test_config_non_integer_value_is_rejected),
        T(test_config_integer_with_trailing_text_is_rejected),
        T(test_config_listen_that_is_not_host_port_is_rejected),
        T(test_config_missing_file_is_an_error_naming_it),
        T(test_config_two_errors_report_the_first_with_its_own_line),
        T(test_config_provider_section_is_parsed),
        T(test_config_providers_keep_file_order),
        T(test_config_provider_without_base_url_is_an_error),
        T(test_config_provider_without_model_is_an_error),
        T(test_config_provider_unknown_key_is_an_error),
        T(test_config_provider_negative_rpm_is_an_error),
        T(test_config_provider_bad_headers_style_names_the_allowed_values),
        T(test_config_provider_section_without_name_is_an_error),
        T(test_config_directory_is_an_error),
        T(test_config_base_url_must_be_http_or_https),
        T(test_config_key_set_twice_names_both_lines),
        T(test_config_section_given_twice_is_an_error),
        T(test_config_provider_without_model_names_its_section_line),
        T(test_config_connection_limits_default_to_auto_and_1024),
        T(test_config_parse_listen_accepts_port_0),
        T(test_config_parse_listen_strips_ipv6_brackets),
        T(test_config_parse_listen_rejects_text_without_port),
        T(test_config_parse_listen_rejects_port_99999),
        T(test_config_parse_listen_rejects_empty_host_or_port),
        T(test_config_parse_listen_rejects_unclosed_ipv6_bracket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
