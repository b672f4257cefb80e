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

#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"
#include "store_conformance.h"

#include <event2/event.h>
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

/* The loop attached stores run on (group commit), one per process: the conformance
 * cases fork children that open their own store. */
static struct event_base *g_base;
static pid_t g_base_pid;

static struct event_base *test_base(void)
{
    if (!g_base || g_base_pid != getpid()) {
        g_base = event_base_new();
        g_base_pid = getpid();
    }
    return g_base;
}

/* store_sqlite_open, then attached to the test's loop as `interviewd serve` does. */
static struct store *open_attached(const char *path, char *err, size_t errlen)
{
    struct store *s = store_sqlite_open(path, err, errlen);
    if (s && store_attach_loop(s, test_base()) != STORE_OK) {
        snprintf(err, errlen, "cannot attach to the loop");
        store_close(s);
        return NULL;
    }
    return s;
}

static const struct store_conf_ops conf_ops_attached = {"sqlite", open_attached, raw_int,
                                                        schema_version, set_schema_version};

static int setup_with(void **state, const struct store_conf_ops *ops);

static int setup(void **state)
{
    return setup_with(state, &conf_ops);
}

/* The same fixture, its store attached to a loop (group commit). */
static int setup_attached(void **state)
{
    return setup_with(state, &conf_ops_attached);
}

static int setup_with(void **state, const struct store_conf_ops *ops)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->c = (struct store_conf){.where = f->path, .ops = ops};
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

/* ---- group commit (attached to a loop) ---------------------------------------------- */

struct durable_seen {
    int calls;   /* how many times the callback ran */
    int durable; /* what it was told last */
};

static void on_durable(void *data, int durable)
{
    struct durable_seen *d = data;
    d->calls++;
    d->durable = durable;
}

/* Runs the test's loop until d has been called, at most 10 s. */
static void loop_until_called(struct durable_seen *d)
{
    int64_t until = clock_mono_ms() + 10000;
    while (d->calls == 0 && clock_mono_ms() < until)
        event_base_loop(test_base(), EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
}

static void test_group_commit_acknowledges_only_what_a_sync_made_durable(void **state)
{
    struct fx *f = *state;
    struct store *s = f->c.s;
    assert_true(store_has(s, STORE_CAP_GROUP_COMMIT));
    assert_int_equal(store_commit_seq(s), 0);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(store_call(s, kv_put, key, "v"), STORE_OK);
    }
    /* 200 commits, each numbered once it is in the WAL. */
    assert_int_equal(store_commit_seq(s), 200);
    struct durable_seen d = {0, -1};
    int w = store_wait_durable(s, 200, on_durable, &d);
    assert_true(w == 0 || w == 1);
    if (w == 0) {
        assert_int_equal(d.calls, 0); /* never called before it returns */
        loop_until_called(&d);
        assert_int_equal(d.calls, 1);
        assert_int_equal(d.durable, 1);
    }
    struct store_sync_stats st;
    store_sync_stats(s, &st);
    assert_int_equal(st.commits, 200);
    assert_int_equal(st.durable, 200);
    /* The commits were made faster than one fsync: they shared syncs. */
    print_message("group commit: %llu commits, %llu syncs\n", (unsigned long long)st.commits,
                  (unsigned long long)st.syncs);
    assert_true(st.syncs >= 1 && st.syncs < st.commits);
    /* Once durable, a wait returns at once. */
    struct durable_seen again = {0, -1};
    assert_int_equal(store_wait_durable(s, 200, on_durable, &again), 1);
    assert_int_equal(again.calls, 0);
}

static void test_group_commit_a_locked_database_is_busy_at_once(void **state)
{
    struct fx *f = *state;
    struct store *s = f->c.s;
    assert_int_equal(store_call(s, kv_put, "before", "1"), STORE_OK);
    /* Another process's writer: BEGIN EXCLUSIVE and a write, held. */
    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(other, "BEGIN EXCLUSIVE; INSERT INTO kv VALUES ('x', 'y')", NULL, NULL, NULL),
        SQLITE_OK);
    int64_t t0 = clock_mono_ms();
    assert_int_equal(store_call(s, kv_put, "during", "1"), STORE_BUSY);
    int64_t waited = clock_mono_ms() - t0;
    /* Detached, the store would wait its 5 s busy timeout; attached, not at all (the bound
     * is loose for a loaded machine). */
    assert_true(waited < 1000);
    char *v = NULL; /* readers are not blocked by a writer in WAL mode */
    assert_int_equal(store_call(s, kv_get, "before", &v), STORE_OK);
    assert_string_equal(v, "1");
    free(v);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(store_call(s, kv_put, "after", "1"), STORE_OK);
    assert_int_equal(
        raw_int(f->path, "SELECT count(*) FROM kv WHERE key IN ('before','x','after')"), 3);
}

static void test_group_commit_close_syncs_and_calls_every_waiter(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_call(f->c.s, kv_put, "k", "v"), STORE_OK);
    struct durable_seen d = {0, -1};
    int w = store_wait_durable(f->c.s, store_commit_seq(f->c.s), on_durable, &d);
    store_close(f->c.s); /* detaches: the last sync, then the waiters */
    f->c.s = NULL;
    if (w == 0) {
        assert_int_equal(d.calls, 1);
        assert_int_equal(d.durable, 1);
    }
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM kv WHERE key = 'k'"), 1);
}

static void test_group_commit_is_off_for_a_memory_database(void **state)
{
    (void)state;
    char err[256];
    struct store *s = store_sqlite_open(":memory:", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_attach_loop(s, test_base()), STORE_OK);
    assert_int_equal(store_call(s, kv_put, "k", "v"), STORE_OK);
    assert_int_equal(store_commit_seq(s), 0); /* durable on return, as detached */
    struct durable_seen d = {0, -1};
    assert_int_equal(store_wait_durable(s, 0, on_durable, &d), 1);
    store_close(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TA(fn) cmocka_unit_test_setup_teardown(fn, setup_attached, teardown)

int main(void)
{
    /* Expected conflicts log warnings; keep test output to real errors. */
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        STORE_CONFORMANCE_TESTS(setup, teardown),
        T(test_store_sets_user_version_and_wal),
        T(test_store_refuses_a_file_that_is_not_a_database),
        T(test_store_creates_missing_parent_directories),
        /* every shared behaviour again, with the store attached to a loop */
        STORE_CONFORMANCE_TESTS(setup_attached, teardown),
        TA(test_group_commit_acknowledges_only_what_a_sync_made_durable),
        TA(test_group_commit_a_locked_database_is_busy_at_once),
        TA(test_group_commit_close_syncs_and_calls_every_waiter),
        T(test_group_commit_is_off_for_a_memory_database),
    };
    int rc = cmocka_run_group_tests_name("store_sqlite", tests, NULL, NULL);
    if (g_base) event_base_free(g_base);
    return rc;
}
