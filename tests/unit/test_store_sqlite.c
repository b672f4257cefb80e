/* test_store_sqlite: the SQLite store backend, one behaviour per test.
 *
 * The shared cases of store_conformance.h run here first, then what only SQLite has: the
 * user_version, WAL, file modes and files that are not databases.
 *
 * Each test gets a fresh database file in its own mkdtemp() directory under /tmp, opened
 * through store_sqlite_open(), and the directory is removed afterwards. Where a test
 * needs to look under the interface (user_version, the call log, journal mode) it opens
 * the same file with a second, plain sqlite3 connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "store/store.h"
#include "store_conformance.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fx {
    struct store_conf c; /* first: what the shared cases use (c.s is the open store) */
    char dir[64];        /* the test's own temp directory */
    char path[128];      /* database file inside it */
};

/* First column of the first row of sql on a separate connection to path. */
static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int64_t schema_version(const char *path)
{
    return raw_int(path, "PRAGMA user_version");
}

static void set_schema_version(const char *path, int64_t v)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)v);
    raw_exec(path, sql);
}

static const struct store_conf_ops conf_ops = {"sqlite", store_sqlite_open, raw_int, schema_version,
                                               set_schema_version};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->c = (struct store_conf){.where = f->path, .ops = &conf_ops};
    strcpy(f->dir, "/tmp/interviewd-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/interviewd.db", f->dir);
    f->c.s = open_other(&f->c);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->c.s) store_close(f->c.s);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- what only SQLite has ----------------------------------------------------------- */

static void test_store_sets_user_version_and_wal(void **state)
{
    struct fx *f = *state;
    assert_true(raw_int(f->path, "PRAGMA user_version") >= 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                      "AND name IN ('candidates', 'interviews', 'turns', "
                                      "'call_log', 'kv', 'quota_ledger')"),
                     6);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM quota_ledger"), 0);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_store_refuses_a_file_that_is_not_a_database(void **state)
{
    struct fx *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/garbage.db", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 64; i++)
        fputs("this is not an SQLite database, ", fp);
    fclose(fp);

    char err[512] = "";
    assert_null(store_sqlite_open(path, err, sizeof err));
    assert_true(strlen(err) > 0);
}

static void test_store_creates_missing_parent_directories(void **state)
{
    struct fx *f = *state;
    char path[192];
    snprintf(path, sizeof path, "%s/var/lib/interviewd/store.db", f->dir);
    char err[256] = "";
    struct store *s = store_sqlite_open(path, err, sizeof err);
    if (!s) fail_msg("open: %s", err);
    assert_string_equal(s->ops->name, "sqlite");
    add_candidate(s, "c1", 1);
    store_close(s);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* It holds resumes: owner-only. */
    assert_int_equal(st.st_mode & 0077, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    /* Expected conflicts log warnings; keep test output to real errors. */
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        STORE_CONFORMANCE_TESTS(setup, teardown),
        T(test_store_sets_user_version_and_wal),
        T(test_store_refuses_a_file_that_is_not_a_database),
        T(test_store_creates_missing_parent_directories),
    };
    return cmocka_run_group_tests_name("store_sqlite", tests, NULL, NULL);
}
