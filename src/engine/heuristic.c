/* heuristic: rubric scoring and resume reading without a model; see heuristic.h. */
#include "engine/heuristic.h"

#include "core/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whole-word (or whole-phrase) case-insensitive match in already-lowercased text. */
static int has_phrase(const char *lower, const char *phrase)
{
    size_t n = strlen(phrase);
    if (n == 0) return 0;
    for (const char *p = lower; (p = strstr(p, phrase)); p++) {
        /* word boundaries matter only where the phrase itself starts/ends with a
         * letter or digit: "%" must match "40%" */
        int left = p == lower || !isalnum((unsigned char)p[-1]) || !isalnum((unsigned char)phrase[0]);
        int right = !isalnum((unsigned char)p[n]) || !isalnum((unsigned char)phrase[n - 1]);
        if (left && right) return 1;
    }
    return 0;
}

static int count_hits(const char *lower, const json_t *phrases, struct sbuf *missing, int max_missing)
{
    int hits = 0, listed = 0;
    size_t i;
    json_t *v;
    json_array_foreach(phrases, i, v) {
        const char *s = json_string_value(v);
        if (!s) continue;
        char *ls = util_normalize_text(s);
        if (has_phrase(lower, ls)) hits++;
        else if (missing && listed < max_missing) {
            sbuf_printf(missing, "%s%s", listed ? ", " : "", s);
            listed++;
        }
        free(ls);
    }
    return hits;
}

static int has_digit(const char *s)
{
    for (; *s; s++)
        if (isdigit((unsigned char)*s)) return 1;
    return 0;
}

void heuristic_evaluate(const struct rubric_category *rubric, const json_t *keywords,
                        const char *answer, struct heuristic_eval *out)
{
    char *lower = util_normalize_text(answer ? answer : "");
    int words = util_word_count(lower);
    int length_points = (words >= 25) + (words >= 70);
    struct sbuf missing = {0};
    int kw_hits = keywords ? count_hits(lower, keywords, &missing, 3) : 0;
    int specific = has_digit(lower);

    double total = 0, weights = 0;
    int weakest = -1;
    double weakest_score = 6;
    for (int i = 0; rubric && i < rubric->n_criteria; i++) {
        const struct rubric_criterion *c = &rubric->criteria[i];
        int hits = count_hits(lower, c->signals, NULL, 0);
        /* The first criterion is the category's core (correctness, relevance): the
         * question's own keywords count as evidence for it. */
        if (i == 0) hits += kw_hits;
        int evidence = hits >= 3 ? 2 : hits >= 1 ? 1 : 0;
        double s = 1 + length_points + evidence + (specific && evidence > 0 ? 0.5 : 0);
        if (words < 8) s = s > 2 ? 2 : s; /* a sentence fragment cannot be strong */
        if (s > 5) s = 5;
        double w = c->weight > 0 ? c->weight : 1;
        total += w * s;
        weights += w;
        if (s < weakest_score) {
            weakest_score = s;
            weakest = i;
        }
    }
    double mean = weights > 0 ? total / weights : 1 + length_points;
    int score = (int)lround(mean);
    if (score < 1) score = 1;
    if (score > 5) score = 5;

    struct sbuf fb = {0};
    sbuf_printf(&fb, "Scored by the heuristic rubric (no AI model): %d words", words);
    sbuf_printf(&fb, kw_hits ? ", mentions %d expected topic%s" : ", mentions none of the expected topics",
                kw_hits, kw_hits == 1 ? "" : "s");
    sbuf_puts(&fb, specific ? ", includes concrete numbers." : ".");
    if (weakest >= 0 && score < 5) {
        const struct rubric_criterion *c = &rubric->criteria[weakest];
        sbuf_printf(&fb, " Weakest: %s. A strong answer: %s", c->name, c->anchor[5]);
    }
    if (missing.len) sbuf_printf(&fb, " Consider covering: %s.", missing.data);
    out->score = score;
    out->feedback = sbuf_take(&fb);
    sbuf_free(&missing);
    free(lower);
}

static const char *known_skills[] = {
    "python", "go", "golang", "rust", "java", "javascript", "typescript", "c", "c++", "c#",
    "ruby", "php", "kotlin", "swift", "scala", "sql", "postgresql", "mysql", "sqlite",
    "mongodb", "redis", "kafka", "rabbitmq", "kubernetes", "docker", "terraform", "ansible",
    "aws", "gcp", "azure", "linux", "react", "vue", "angular", "node.js", "graphql", "grpc",
    "spark", "airflow", "pandas", "pytorch", "tensorflow", "scikit-learn", "elasticsearch",
    "prometheus", "grafana", "ci/cd", "git", "html", "css", "android", "ios", "selenium",
    "playwright", "cypress", "jest", "django", "flask", "spring", "rails", "nginx",
};

static void add_unique(json_t *arr, const char *s, size_t max)
{
    if (json_array_size(arr) >= max) return;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (strcmp(json_string_value(v), s) == 0) return;
    json_array_append_new(arr, json_string(s));
}

/* Skills in order of first appearance. */
static json_t *find_skills(const char *lower, const json_t *role_skills)
{
    struct found {
        const char *skill;
        size_t pos;
    } found[128];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(known_skills) + json_array_size(role_skills) && n < 128; i++) {
        const char *s = i < ARRAY_LEN(known_skills)
                            ? known_skills[i]
                            : json_string_value(json_array_get(role_skills, i - ARRAY_LEN(known_skills)));
        if (!s || !*s) continue;
        size_t len = strlen(s);
        for (const char *p = lower; (p = strstr(p, s)); p++) {
            int left = p == lower || !isalnum((unsigned char)p[-1]);
            int right = !isalnum((unsigned char)p[len]) && p[len] != '+' && p[len] != '#';
            if (left && right) {
                found[n].skill = s;
                found[n].pos = (size_t)(p - lower);
                n++;
                break;
            }
        }
    }
    /* insertion sort by position */
    for (size_t i = 1; i < n; i++) {
        struct found f = found[i];
        size_t j = i;
        while (j > 0 && found[j - 1].pos > f.pos) {
            found[j] = found[j - 1];
            j--;
        }
        found[j] = f;
    }
    json_t *skills = json_array();
    for (size_t i = 0; i < n; i++) add_unique(skills, found[i].skill, 12);
    return skills;
}

/* Phrases after "built", "developed", ... up to the end of the sentence. */
static json_t *find_projects(const char *text)
{
    static const char *verbs[] = {"built ", "developed ", "designed ", "created ", "led ",
                                  "implemented ", "launched ", "project: ", "wrote "};
    json_t *projects = json_array();
    for (const char *p = text; *p && json_array_size(projects) < 3; p++) {
        for (size_t v = 0; v < ARRAY_LEN(verbs); v++) {
            size_t n = strlen(verbs[v]);
            if (strncasecmp(p, verbs[v], n) != 0) continue;
            if (p != text && isalnum((unsigned char)p[-1])) continue;
            const char *start = p + n;
            const char *end = start;
            while (*end && *end != '.' && *end != '\n' && *end != ';' && *end != ',' && end - start < 90) end++;
            size_t len = (size_t)(end - start);
            char *cut = xstrndup(start, len + 4 < strlen(start) ? len + 4 : strlen(start));
            len = util_utf8_prefix(cut, len);
            free(cut);
            if (len >= 8 && util_word_count(start) >= 2) {
                char *phrase = xstrndup(start, len);
                util_trim(phrase);
                add_unique(projects, phrase, 3);
                free(phrase);
            }
            p = end - 1;
            break;
        }
    }
    return projects;
}

/* "at Acme Corp" / "@ Initech": up to three capitalised words. */
static json_t *find_companies(const char *text)
{
    json_t *companies = json_array();
    for (const char *p = text; *p && json_array_size(companies) < 3; p++) {
        const char *start = NULL;
        if (strncmp(p, " at ", 4) == 0) start = p + 4;
        else if (strncmp(p, " @ ", 3) == 0) start = p + 3;
        if (!start || !isupper((unsigned char)*start)) continue;
        const char *end = start;
        int words = 0;
        while (*end && words < 3) {
            const char *w = end;
            while (*end && (isalnum((unsigned char)*end) || *end == '&' || *end == '-')) end++;
            if (end == w || !isupper((unsigned char)*w)) {
                end = w;
                break;
            }
            words++;
            if (*end == ' ' && isupper((unsigned char)end[1])) end++;
            else break;
        }
        while (end > start && end[-1] == ' ') end--;
        if (end - start >= 2) {
            char *name = xstrndup(start, (size_t)(end - start));
            add_unique(companies, name, 3);
            free(name);
        }
    }
    return companies;
}

static double find_years(const char *lower)
{
    for (const char *p = lower; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > lower && isdigit((unsigned char)p[-1]))) continue;
        char *end;
        double y = strtod(p, &end);
        while (*end == '+' || *end == ' ') end++;
        if (strncmp(end, "years", 5) == 0 || strncmp(end, "yrs", 3) == 0 ||
            strncmp(end, "year", 4) == 0)
            return y > 60 ? 0 : y;
    }
    return 0;
}

json_t *heuristic_resume_analysis(const char *resume, const json_t *role_skills)
{
    char *lower = util_normalize_text(resume ? resume : "");
    double years = find_years(lower);
    const char *seniority = years < 3 ? "junior" : years < 7 ? "mid" : "senior";
    json_t *skills = find_skills(lower, role_skills);
    char summary[160];
    snprintf(summary, sizeof summary, "%s candidate, %s years of experience, %zu skills recognised.",
             seniority, years > 0 ? "about the stated" : "unknown", json_array_size(skills));
    json_t *a = json_pack("{s:o,s:o,s:o,s:f,s:s,s:s}", "skills", skills, "projects",
                          find_projects(resume ? resume : ""), "companies",
                          find_companies(resume ? resume : ""), "years_experience", years,
                          "seniority", seniority, "summary", summary);
    free(lower);
    return a;
}

json_t *heuristic_summary(const json_t *scored)
{
    json_t *strengths = json_array(), *improvements = json_array();
    double sum = 0;
    size_t n = json_array_size(scored), i;
    json_t *t;
    json_array_foreach(scored, i, t) {
        int score = (int)json_integer_value(json_object_get(t, "score"));
        const char *category = json_string_value(json_object_get(t, "category"));
        const char *q = json_string_value(json_object_get(t, "question"));
        sum += score;
        char line[400];
        int qlen = q ? (int)util_utf8_prefix(q, 200) : 0;
        if (score >= 4 && json_array_size(strengths) < 4) {
            snprintf(line, sizeof line, "Strong %s answer to: \"%.*s\"", category ? category : "", qlen, q ? q : "");
            json_array_append_new(strengths, json_string(line));
        } else if (score <= 2 && json_array_size(improvements) < 4) {
            snprintf(line, sizeof line, "Give a fuller, more specific %s answer to: \"%.*s\"",
                     category ? category : "", qlen, q ? q : "");
            json_array_append_new(improvements, json_string(line));
        }
    }
    if (json_array_size(improvements) == 0)
        json_array_append_new(improvements,
                              json_string("Add concrete numbers and outcomes to your answers."));
    if (json_array_size(strengths) == 0)
        json_array_append_new(strengths, json_string("You completed the interview."));
    char summary[300];
    snprintf(summary, sizeof summary,
             "Heuristic summary (no AI model): %zu answers, mean score %.1f of 5. Scores reflect "
             "length, coverage of expected topics and concreteness, not a reading of meaning.",
             n, n ? sum / (double)n : 0.0);
    return json_pack("{s:s,s:o,s:o}", "summary", summary, "strengths", strengths, "improvements",
                     improvements);
}
