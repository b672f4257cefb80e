/* test_store_postgres: the PostgreSQL store backend against a real server, one behaviour
 * per test: the shared cases of store_conformance.h, then what only a shared server has
 * (concurrent migration, a server that stops, restarts or freezes, what reaches the log).
 *
 * The group setup finds initdb and pg_ctl under /usr/lib/postgresql/<version>/bin (or
 * $INTERVIEWD_PG_BINDIR), runs initdb into a mkdtemp() directory and starts a private
 * server that listens only on a Unix socket in that directory (listen_addresses='', a
 * free port number names the socket). As root the server binaries run as the `postgres`
 * user, because initdb refuses root. Missing binaries fail the suite: CI installs the
 * `postgresql` package through scripts/deps.sh, so a skip would hide a broken machine.
 *
 * Each test gets a fresh schema (its conninfo sets search_path). The server is stopped and the
 * directory removed by an atexit() handler, and, should this process die without running it (a
 * crash, SIGKILL from a test runner's timeout), by a reaper process forked at setup that waits for
 * our end on a pipe. Where a test looks under the interface (schema_version, the call log) it uses
 * a separate libpq connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "store/store.h"
#include "store_conformance.h"

#include <libpq-fe.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the private server ------------------------------------------------------------ */

/* Where the server binaries may live when $INTERVIEWD_PG_BINDIR does not say. */
#define SRV_BIN_GLOB "/usr/lib/postgresql/*/bin/pg_ctl"
/* Seconds pg_ctl may take to start or stop the server. */
#define SRV_CTL_TIMEOUT_S "60"

static struct {
    char bindir[256];  /* directory holding initdb, pg_ctl */
    char dir[64];      /* mkdtemp root: socket, logs, data/ */
    char data[128];    /* the cluster's data directory */
    char test_ci[256]; /* conninfo of the tests' database; each test has a schema in it */
    int port;          /* names the socket .s.PGSQL.<port> */
    int drop_privs;    /* run server binaries as uid/gid (we are root) */
    uid_t uid;         /* the server's user */
    gid_t gid;
    int running;  /* we believe the server is up */
    int frozen;   /* a test SIGSTOPped it */
    int made;     /* dir exists and is ours to remove */
    int db_seq;   /* last schema number handed out */
    pid_t reaper; /* the reaper process (0 in the reaper itself) */
} srv;

/* Runs argv[0] from srv.bindir (as the server user when root), output appended to
 * harness.log in srv.dir. Returns the exit status, or -1. */
static int srv_run(const char *const argv[])
{
    char prog[512];
    snprintf(prog, sizeof prog, "%s/%s", srv.bindir, argv[0]);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        char logpath[128];
        snprintf(logpath, sizeof logpath, "%s/harness.log", srv.dir);
        int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        if (srv.drop_privs &&
            (setgroups(0, NULL) != 0 || setgid(srv.gid) != 0 || setuid(srv.uid) != 0))
            _exit(126);
        if (chdir(srv.dir) != 0) _exit(126);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Prints the last lines of our logs, to explain a failed start. */
static void srv_print_logs(void)
{
    const char *names[] = {"harness.log", "server.log"};
    for (int i = 0; i < 2; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s/%s", srv.dir, names[i]);
        FILE *fp = fopen(path, "r");
        if (!fp) continue;
        char line[512];
        fprintf(stderr, "---- %s ----\n", path);
        while (fgets(line, sizeof line, fp))
            fputs(line, stderr);
        fclose(fp);
    }
}

static int srv_start(void)
{
    char opts[512];
    snprintf(opts, sizeof opts,
             "-k %s -p %d -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
             "-c full_page_writes=off -c max_connections=40",
             srv.dir, srv.port);
    char logpath[160];
    snprintf(logpath, sizeof logpath, "%s/server.log", srv.dir);
    const char *argv[] = {"pg_ctl",          "-D", srv.data, "-l",    logpath, "-w", "-t",
                          SRV_CTL_TIMEOUT_S, "-o", opts,     "start", NULL};
    int rc = srv_run(argv);
    srv.running = rc == 0;
    return rc;
}

static pid_t srv_postmaster_pid(void);

/* pg_ctl leaves the postmaster an orphan; as its subreaper we collect it once it has
 * exited, so restarts leave no zombies behind. */
static void srv_reap(pid_t pm)
{
    for (int i = 0; pm > 0 && i < 200; i++) {
        pid_t r = waitpid(pm, NULL, WNOHANG);
        if (r == pm || (r < 0 && errno != EINTR)) return;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int srv_stop(const char *mode)
{
    pid_t pm = srv_postmaster_pid();
    const char *argv[] = {"pg_ctl", "-D", srv.data,          "-m",   mode,
                          "-w",     "-t", SRV_CTL_TIMEOUT_S, "stop", NULL};
    int rc = srv_run(argv);
    if (rc == 0) {
        srv.running = 0;
        srv_reap(pm);
    }
    return rc;
}

/* The postmaster's pid from its lock file, or 0. */
static pid_t srv_postmaster_pid(void)
{
    char path[160];
    snprintf(path, sizeof path, "%s/postmaster.pid", srv.data);
    FILE *fp = fopen(path, "r");
    if (!fp) return 0;
    long pid = 0;
    if (fscanf(fp, "%ld", &pid) != 1) pid = 0;
    fclose(fp);
    return (pid_t)pid;
}

/* Sends sig to the postmaster and each of its children (backends, checkpointer, ...):
 * only processes of the server this test started. */
static void srv_signal_all(int sig)
{
    pid_t pm = srv_postmaster_pid();
    if (pm <= 0) return;
    DIR *d = opendir("/proc");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0) continue;
            char path[64], buf[512];
            snprintf(path, sizeof path, "/proc/%ld/stat", pid);
            FILE *fp = fopen(path, "r");
            if (!fp) continue;
            size_t n = fread(buf, 1, sizeof buf - 1, fp);
            fclose(fp);
            buf[n] = '\0';
            /* "pid (comm) state ppid ...": comm may hold spaces, so parse after ')'. */
            char *rp = strrchr(buf, ')');
            char state;
            long ppid;
            if (rp && sscanf(rp + 1, " %c %ld", &state, &ppid) == 2 && ppid == pm)
                kill((pid_t)pid, sig);
        }
        closedir(d);
    }
    kill(pm, sig);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Stops the server however it can and removes the directory. Safe to call twice. */
static void srv_cleanup(void)
{
    if (!srv.made) return;
    if (srv.frozen) srv_signal_all(SIGCONT);
    if (srv_postmaster_pid() > 0 && srv_stop("fast") != 0 && srv_stop("immediate") != 0) {
        pid_t pm = srv_postmaster_pid();
        if (pm > 0) kill(pm, SIGKILL); /* its children exit when they see it gone */
    }
    nftw(srv.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    srv.made = 0;
    if (srv.reaper > 0) { /* nothing left for it to do; collect it rather than orphan it */
        kill(srv.reaper, SIGKILL);
        waitpid(srv.reaper, NULL, 0);
        srv.reaper = 0;
    }
}

/* Forks a process that cleans up when we are gone, however we went: it reads a pipe
 * whose only writer is us (close-on-exec, so the server never holds it) until EOF. */
static void srv_fork_reaper(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        setsid(); /* survive a signal sent to our process group */
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        char c;
        while (read(fds[0], &c, 1) != 0 && errno == EINTR)
            ;
        srv.frozen = 1; /* SIGCONT first, in case we died with the server stopped */
        srv_cleanup();
        _exit(0);
    }
    close(fds[0]);
    srv.reaper = pid > 0 ? pid : 0;
    /* fds[1] stays open in this process until it exits. */
}

/* A TCP port nobody listens on now: the socket name of our server. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port ? port : 54329;
}

/* Finds the server binaries: $INTERVIEWD_PG_BINDIR, else the newest installed version. */
static int find_bindir(void)
{
    const char *env = getenv("INTERVIEWD_PG_BINDIR");
    if (env && *env) {
        snprintf(srv.bindir, sizeof srv.bindir, "%s", env);
    } else {
        glob_t g;
        int best = -1;
        if (glob(SRV_BIN_GLOB, 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++) {
                int v = atoi(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"));
                if (v > best) {
                    best = v;
                    snprintf(srv.bindir, sizeof srv.bindir, "%.*s",
                             (int)(strlen(g.gl_pathv[i]) - strlen("/pg_ctl")), g.gl_pathv[i]);
                }
            }
            globfree(&g);
        }
    }
    char p[300];
    snprintf(p, sizeof p, "%s/initdb", srv.bindir);
    int ok = srv.bindir[0] && access(p, X_OK) == 0;
    snprintf(p, sizeof p, "%s/pg_ctl", srv.bindir);
    return ok && access(p, X_OK) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
    (void)state;
    if (find_bindir() != 0) {
        print_error("PostgreSQL server binaries (initdb, pg_ctl) not found under %s%s: install "
                    "the `postgresql` package (scripts/deps.sh test does) or set "
                    "INTERVIEWD_PG_BINDIR. These tests need a real server and do not skip.\n",
                    SRV_BIN_GLOB,
                    getenv("INTERVIEWD_PG_BINDIR") ? " or $INTERVIEWD_PG_BINDIR" : "");
        return -1;
    }
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (!pw) {
            print_error("running as root and there is no `postgres` user to run the server "
                        "as (initdb refuses root): install the `postgresql` package, which "
                        "creates it\n");
            return -1;
        }
        srv.drop_privs = 1;
        srv.uid = pw->pw_uid;
        srv.gid = pw->pw_gid;
    }
    strcpy(srv.dir, "/tmp/interviewd-pg-XXXXXX");
    if (!mkdtemp(srv.dir)) {
        print_error("mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    srv.made = 1;
    atexit(srv_cleanup);
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* see srv_reap() */
    snprintf(srv.data, sizeof srv.data, "%s/data", srv.dir);
    srv.port = free_port();
    srv_fork_reaper(); /* after srv is filled in: it works from its copy */
    if (srv.drop_privs && chown(srv.dir, srv.uid, srv.gid) != 0) {
        print_error("chown %s: %s\n", srv.dir, strerror(errno));
        return -1;
    }
    snprintf(srv.test_ci, sizeof srv.test_ci, "host=%s port=%d user=postgres dbname=interviewd",
             srv.dir, srv.port);

    const char *initdb[] = {"initdb", "-D", srv.data, "-U",          "postgres",  "-A",
                            "trust",  "-E", "UTF8",   "--no-locale", "--no-sync", NULL};
    if (srv_run(initdb) != 0) {
        srv_print_logs();
        print_error("initdb into %s failed (log above)\n", srv.data);
        return -1;
    }
    if (srv_start() != 0) {
        srv_print_logs();
        print_error("pg_ctl start failed (log above)\n");
        return -1;
    }
    char admin[256];
    snprintf(admin, sizeof admin, "host=%s port=%d user=postgres dbname=postgres", srv.dir,
             srv.port);
    PGconn *c = PQconnectdb(admin);
    PGresult *r = PQexec(c, "CREATE DATABASE interviewd");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) print_error("CREATE DATABASE: %s\n", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    srv_cleanup();
    return 0;
}

/* Puts the server back up after a test that stopped or froze it (also when it failed). */
static void srv_ensure_running(void)
{
    if (srv.frozen) {
        srv_signal_all(SIGCONT);
        srv.frozen = 0;
    }
    if (!srv.running && srv_start() != 0) {
        srv_print_logs();
        fail_msg("cannot restart the test server");
    }
}

/* ---- raw access -------------------------------------------------------------------- */

static PGconn *raw_connect(const char *ci)
{
    PGconn *c = PQconnectdb(ci);
    if (PQstatus(c) != CONNECTION_OK) fail_msg("raw connect: %s", PQerrorMessage(c));
    return c;
}

/* First column of the first row of sql, as an integer, on a separate connection. */
static int64_t raw_int(const char *ci, const char *sql)
{
    PGconn *c = raw_connect(ci);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        fail_msg("raw query %s: %s", sql, PQerrorMessage(c));
    int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return v;
}

static void raw_exec(const char *ci, const char *sql)
{
    PGconn *c = raw_connect(ci);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("raw exec %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- fixture ----------------------------------------------------------------------- */

struct fx {
    struct store_conf c; /* first: what the shared cases use (c.s is the open store) */
    char db[32];         /* the test's own schema */
    char ci[400];        /* conninfo for it */
};

/* A new empty schema and a conninfo whose search_path is that schema, in f: as good as
 * a fresh database for the store (it names no schema) and ~10x cheaper to make. */
static void new_database(struct fx *f)
{
    snprintf(f->db, sizeof f->db, "t%d", ++srv.db_seq);
    char sql[64];
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", f->db);
    raw_exec(srv.test_ci, sql);
    snprintf(f->ci, sizeof f->ci, "%s options='-c search_path=%s'", srv.test_ci, f->db);
}

/* The newest schema step applied. Each step is one row, so there are as many rows as the
 * version says: a step applied twice or skipped fails the test here. */
static int64_t schema_version(const char *ci)
{
    int64_t v = raw_int(ci, "SELECT max(version) FROM schema_version");
    assert_int_equal(raw_int(ci, "SELECT count(*) FROM schema_version"), v);
    return v;
}

static void set_schema_version(const char *ci, int64_t v)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO schema_version (version, applied_ms) VALUES (%lld, 0)",
             (long long)v);
    raw_exec(ci, sql);
}

static const struct store_conf_ops conf_ops = {"postgres", store_postgres_open, raw_int,
                                               schema_version, set_schema_version};

/* A fixture on a new empty schema that nobody has opened yet (the tests of migration
 * itself start from here). */
static int setup_empty(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->c = (struct store_conf){.where = f->ci, .ops = &conf_ops};
    srv_ensure_running();
    new_database(f);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    setup_empty(state);
    struct fx *f = *state;
    f->c.s = open_other(&f->c);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    srv_ensure_running();
    if (f->c.s) store_close(f->c.s);
    char sql[96];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", f->db);
    raw_exec(srv.test_ci, sql);
    free(f);
    return 0;
}

/* ---- what only PostgreSQL has: several processes, migration, logs ------------------- */

/* Returns once some connection to the test's database waits for a lock (at most 10 s). */
static void wait_for_a_lock_waiter(const char *ci)
{
    const char *sql = "SELECT count(*) FROM pg_stat_activity "
                      "WHERE wait_event_type = 'Lock' AND datname = current_database()";
    for (int i = 0; i < 1000 && raw_int(ci, sql) == 0; i++)
        sleep_ms(10);
}

static void test_store_two_processes_answering_one_turn_first_wins(void **state)
{
    /* The parent answers inside an open transaction (holding the row); a child process
     * answers the same turn, waits for the row, and must then see CONFLICT, not
     * overwrite the answer or fail to serialize. */
    struct fx *f = *state;
    add_first_turn(f->c.s); /* c1, i1, turn 0 */
    assert_int_equal(store_begin(f->c.s), STORE_OK);
    assert_int_equal(store_call(f->c.s, turn_answer, "i1", 0, "parent", 100), STORE_OK);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char err[256];
        struct store *s = store_postgres_open(f->ci, err, sizeof err);
        int64_t t0 = now_ms();
        int res[2] = {s ? (int)store_call(s, turn_answer, "i1", 0, "child", 200) : -1, 0};
        res[1] = (int)(now_ms() - t0);
        ssize_t w = write(fds[1], res, sizeof res);
        (void)w;
        if (s) store_close(s);
        _exit(0);
    }
    close(fds[1]);
    /* The child's open may take a while on a busy machine: hold the row until its
     * answer waits for it, and a little longer. */
    wait_for_a_lock_waiter(f->ci);
    sleep_ms(400);
    assert_int_equal(store_commit(f->c.s), STORE_OK);
    int res[2] = {-1, -1};
    assert_int_equal(read(fds[0], res, sizeof res), (ssize_t)sizeof res);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(res[0], STORE_CONFLICT);
    assert_true(res[1] >= 200); /* it did wait for the parent's commit */

    struct store_turn_list l;
    assert_int_equal(store_call(f->c.s, turn_list, "i1", &l), STORE_OK);
    assert_string_equal(l.items[0].answer, "parent");
    store_turn_list_free(&l);
}

static void test_store_concurrent_first_opens_migrate_once(void **state)
{
    /* Four processes open an empty database at the same moment: all succeed and each
     * schema step is applied exactly once (the advisory lock serialises them). */
    struct fx *f = *state;
    enum { N = 4 };
    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(go[1]);
            close(done[0]);
            char c;
            ssize_t r = read(go[0], &c, 1);
            (void)r;
            char err[256];
            struct store *s = store_postgres_open(f->ci, err, sizeof err);
            char ok = s != NULL;
            if (!s) fprintf(stderr, "child open: %s\n", err);
            if (s) store_close(s);
            ssize_t w = write(done[1], &ok, 1);
            (void)w;
            _exit(0);
        }
    }
    close(go[0]);
    close(done[1]);
    char bytes[N] = {0};
    assert_int_equal(write(go[1], bytes, N), N);
    close(go[1]);
    int oks = 0;
    for (int i = 0; i < N; i++) {
        char ok = 0;
        assert_int_equal(read(done[0], &ok, 1), 1);
        oks += ok;
    }
    close(done[0]);
    for (int i = 0; i < N; i++)
        waitpid(pids[i], NULL, 0);
    assert_int_equal(oks, N);
    assert_true(schema_version(f->ci) >= 1); /* each step applied once */
}

static void test_store_sets_schema_version_and_tables(void **state)
{
    struct fx *f = *state;
    assert_true(schema_version(f->ci) >= 1); /* each step applied once */
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_schema = current_schema() AND table_name IN "
                                    "('candidates', 'interviews', 'turns', 'call_log', 'kv', "
                                    "'quota_ledger', 'schema_version')"),
                     7);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM quota_ledger"), 0);
    /* Millisecond timestamps are 64-bit. */
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM information_schema.columns "
                                    "WHERE table_schema = current_schema() AND data_type = "
                                    "'bigint' AND column_name IN ('created_ms', 'finished_ms', "
                                    "'asked_ms', 'answered_ms', 'ts_ms')"),
                     6);
}

static void test_store_open_of_a_missing_database_fails_with_a_sentence(void **state)
{
    (void)state;
    char ci[512];
    snprintf(ci, sizeof ci, "host=%s port=%d user=postgres dbname=no_such_db password=hunter2xyz",
             srv.dir, srv.port);
    char err[512] = "";
    assert_null(store_postgres_open(ci, err, sizeof err));
    assert_non_null(strstr(err, "no_such_db"));
    assert_null(strstr(err, "hunter2xyz")); /* the connection string is never echoed */
}

static void test_store_open_with_no_server_fails_fast(void **state)
{
    (void)state;
    char ci[256];
    snprintf(ci, sizeof ci, "host=%s port=%d user=postgres dbname=postgres", srv.dir, srv.port + 1);
    char err[512] = "";
    int64_t t0 = now_ms();
    assert_null(store_postgres_open(ci, err, sizeof err));
    assert_true(now_ms() - t0 < 2000);
    assert_non_null(strstr(err, "cannot connect"));
}

static void test_store_open_with_a_malformed_conninfo_fails(void **state)
{
    (void)state;
    char err[512] = "";
    assert_null(store_postgres_open("host=/tmp bogus_option=1", err, sizeof err));
    assert_true(strlen(err) > 0);
    assert_null(store_postgres_open(NULL, err, sizeof err));
    assert_true(strlen(err) > 0);
}

static void test_store_failed_statement_in_a_transaction_fails_the_commit(void **state)
{
    /* PostgreSQL aborts the transaction at its first error; commit must not report OK
     * for writes that were rolled back. */
    struct fx *f = *state;
    add_candidate(f->c.s, "c1", 1);
    assert_int_equal(store_begin(f->c.s), STORE_OK);
    add_candidate(f->c.s, "c2", 2);
    struct store_candidate dup = {.id = "c1", .name = "dup", .created_ms = 3};
    assert_int_equal(store_call(f->c.s, candidate_insert, &dup), STORE_CONFLICT);
    assert_int_equal(store_call(f->c.s, kv_put, "k", "v"), STORE_IO);
    assert_int_equal(store_commit(f->c.s), STORE_IO);
    assert_int_equal(store_rollback(f->c.s), STORE_OK);
    struct store_candidate c;
    assert_int_equal(store_call(f->c.s, candidate_get, "c2", &c), STORE_NOT_FOUND);
    add_candidate(f->c.s, "c3", 3); /* the handle works on */
}

/* Runs fn with stderr (our log) captured; returns what was written (caller frees). */
static char *capture_log(void (*fn)(struct fx *), struct fx *f)
{
    char path[] = "/tmp/interviewd-pglog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_set_level(LOG_DEBUG);
    fn(f);
    log_set_level(LOG_ERROR);
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(pread(fd, text, (size_t)n, 0), n);
    close(fd);
    unlink(path);
    return text;
}

static void failing_private_writes(struct fx *f)
{
    add_candidate(f->c.s, "c1", 1);
    add_interview(f->c.s, "i1", "c1", 10);
    /* NOT NULL failure: PostgreSQL's DETAIL quotes the whole row, answer included. */
    struct store_turn t = {
        .interview_id = "i1", .idx = 0, .question_id = "q0", .answer = "SECRET-ANSWER-51f6"};
    assert_int_equal(store_call(f->c.s, turn_insert, &t), STORE_CONFLICT);
    /* Invalid UTF-8: the message quotes the offending bytes. */
    struct store_candidate c = {
        .id = "c2", .resume_text = "SECRET-RESUME-\xff\xfe", .created_ms = 2};
    assert_int_equal(store_call(f->c.s, candidate_insert, &c), STORE_IO);
}

static void test_store_logs_sqlstate_but_never_row_content(void **state)
{
    struct fx *f = *state;
    char *log = capture_log(failing_private_writes, f);
    assert_non_null(strstr(log, "sqlstate=23502"));
    assert_non_null(strstr(log, "sqlstate=22021"));
    assert_non_null(strstr(log, "op=turn_insert"));
    assert_null(strstr(log, "SECRET"));
    assert_null(strstr(log, "DETAIL"));
    free(log);
}

/* ---- a server that goes away ----------------------------------------------------- */

static void test_store_server_restart_while_idle_is_invisible(void **state)
{
    /* The server closed our idle connection: the next call (even an INSERT, which is
     * never resent blindly) reconnects and succeeds, because nothing had been sent. */
    struct fx *f = *state;
    add_candidate(f->c.s, "c1", 1);
    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);
    struct store_candidate c;
    assert_int_equal(store_call(f->c.s, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);

    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);
    add_candidate(f->c.s, "c2", 2);
    assert_int_equal(store_begin(f->c.s), STORE_OK);
    add_candidate(f->c.s, "c3", 3);
    assert_int_equal(store_commit(f->c.s), STORE_OK);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM candidates"), 3);
}

static void test_store_server_down_is_unavailable_quickly_then_recovers(void **state)
{
    struct fx *f = *state;
    add_candidate(f->c.s, "c1", 1);
    assert_int_equal(srv_stop("fast"), 0);

    int64_t t0 = now_ms();
    struct store_candidate c;
    assert_int_equal(store_call(f->c.s, candidate_get, "c1", &c), STORE_UNAVAILABLE);
    struct store_candidate c2 = {.id = "c2", .created_ms = 2};
    assert_int_equal(store_call(f->c.s, candidate_insert, &c2), STORE_UNAVAILABLE);
    assert_int_equal(store_call(f->c.s, kv_put, "k", "v"), STORE_UNAVAILABLE);
    assert_int_equal(store_begin(f->c.s), STORE_UNAVAILABLE);
    assert_true(now_ms() - t0 < 3000);

    assert_int_equal(srv_start(), 0);
    assert_int_equal(store_call(f->c.s, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);
    assert_int_equal(store_call(f->c.s, candidate_insert, &c2), STORE_OK);
}

static void test_store_connection_lost_inside_a_transaction_is_unavailable(void **state)
{
    /* The transaction died with the connection: nothing is retried or reconnected until
     * the caller ends it, so no later statement of it can autocommit on its own. */
    struct fx *f = *state;
    assert_int_equal(store_begin(f->c.s), STORE_OK);
    add_candidate(f->c.s, "c1", 1);
    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);

    struct store_candidate c2 = {.id = "c2", .created_ms = 2};
    assert_int_equal(store_call(f->c.s, candidate_insert, &c2), STORE_UNAVAILABLE);
    assert_int_equal(store_call(f->c.s, kv_put, "k", "v"), STORE_UNAVAILABLE);
    assert_int_equal(store_commit(f->c.s), STORE_UNAVAILABLE);
    assert_int_equal(store_rollback(f->c.s), STORE_OK);

    struct store_candidate c;
    assert_int_equal(store_call(f->c.s, candidate_get, "c1", &c), STORE_NOT_FOUND);
    assert_int_equal(store_call(f->c.s, candidate_get, "c2", &c), STORE_NOT_FOUND);
    char *v = NULL;
    assert_int_equal(store_call(f->c.s, kv_get, "k", &v), STORE_NOT_FOUND);

    /* Same with rollback straight away. */
    assert_int_equal(store_begin(f->c.s), STORE_OK);
    add_candidate(f->c.s, "c3", 3);
    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);
    assert_int_equal(store_rollback(f->c.s), STORE_OK);
    assert_int_equal(store_call(f->c.s, candidate_get, "c3", &c), STORE_NOT_FOUND);
}

/* In a child: holds candidates and kv locked, then kills the backends of every other
 * interviewd connection to the database while they wait, then releases the lock. */
static void lock_then_kill_backends(const char *ci, int ready_fd)
{
    char admin[480];
    snprintf(admin, sizeof admin, "%s application_name=harness", ci);
    PGconn *c = PQconnectdb(admin);
    PGresult *r = PQexec(c, "BEGIN; LOCK TABLE candidates, kv IN EXCLUSIVE MODE");
    char ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    ssize_t w = write(ready_fd, &ok, 1);
    (void)w;
    sleep_ms(500);
    PQclear(PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND application_name = 'interviewd'"));
    sleep_ms(500);
    PQclear(PQexec(c, "COMMIT"));
    PQfinish(c);
}

static void test_store_lost_mid_statement_resends_only_what_is_safe(void **state)
{
    /* The connection dies while a statement waits on the server: the outcome is
     * unknown. An INSERT is not resent (a resend could report CONFLICT for our own
     * row): STORE_UNAVAILABLE. An upsert is resent on a new connection: STORE_OK. */
    struct fx *f = *state;
    for (int round = 0; round < 2; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            lock_then_kill_backends(f->ci, fds[1]);
            _exit(0);
        }
        close(fds[1]);
        char ok = 0;
        assert_int_equal(read(fds[0], &ok, 1), 1);
        close(fds[0]);
        assert_true(ok);
        if (round == 0) {
            struct store_candidate c = {.id = "c1", .created_ms = 1};
            assert_int_equal(store_call(f->c.s, candidate_insert, &c), STORE_UNAVAILABLE);
            waitpid(pid, NULL, 0);
            /* The next call reconnects (its one reconnect), so round 1 starts connected. */
            char *none = NULL;
            assert_int_equal(store_call(f->c.s, kv_get, "none", &none), STORE_NOT_FOUND);
            continue;
        } else {
            int64_t t0 = now_ms();
            assert_int_equal(store_call(f->c.s, kv_put, "k", "v"), STORE_OK);
            assert_true(now_ms() - t0 >= 700); /* waited for the lock again, then wrote */
        }
        waitpid(pid, NULL, 0);
    }
    struct store_candidate c;
    assert_int_equal(store_call(f->c.s, candidate_get, "c1", &c), STORE_NOT_FOUND);
    char *v = NULL;
    assert_int_equal(store_call(f->c.s, kv_get, "k", &v), STORE_OK);
    assert_string_equal(v, "v");
    free(v);
}

static void test_store_frozen_server_is_unavailable_within_the_deadline(void **state)
{
    /* A server that accepts nothing and answers nothing (SIGSTOP): the call gives up
     * after statement timeout + grace (7 s), not never; after SIGCONT the handle
     * reconnects and works. */
    struct fx *f = *state;
    add_candidate(f->c.s, "c1", 1);
    srv.frozen = 1;
    srv_signal_all(SIGSTOP);
    int64_t t0 = now_ms();
    struct store_candidate c;
    assert_int_equal(store_call(f->c.s, candidate_get, "c1", &c), STORE_UNAVAILABLE);
    int64_t took = now_ms() - t0;
    srv_signal_all(SIGCONT);
    srv.frozen = 0;
    assert_true(took >= 5000);
    assert_true(took < 10000);

    assert_int_equal(store_call(f->c.s, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T_EMPTY(fn) cmocka_unit_test_setup_teardown(fn, setup_empty, teardown)

int main(void)
{
    /* Expected conflicts log warnings; keep test output to real errors. */
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        STORE_CONFORMANCE_TESTS(setup, teardown),
        T(test_store_two_processes_answering_one_turn_first_wins),
        T_EMPTY(test_store_concurrent_first_opens_migrate_once),
        T(test_store_sets_schema_version_and_tables),
        T(test_store_open_of_a_missing_database_fails_with_a_sentence),
        T(test_store_open_with_no_server_fails_fast),
        T(test_store_open_with_a_malformed_conninfo_fails),
        T(test_store_failed_statement_in_a_transaction_fails_the_commit),
        T(test_store_logs_sqlstate_but_never_row_content),
        T(test_store_server_restart_while_idle_is_invisible),
        T(test_store_server_down_is_unavailable_quickly_then_recovers),
        T(test_store_connection_lost_inside_a_transaction_is_unavailable),
        T(test_store_lost_mid_statement_resends_only_what_is_safe),
        T(test_store_frozen_server_is_unavailable_within_the_deadline),
    };
    return cmocka_run_group_tests_name("store_postgres", tests, group_setup, group_teardown);
}
