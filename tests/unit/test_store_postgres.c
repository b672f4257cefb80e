/* test_store_postgres: the PostgreSQL store backend against a real server, one behaviour
 * per test; the same behaviours as test_store_sqlite.c plus what only a shared server has
 * (several processes, a server that stops, restarts or freezes).
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
    char db[32];     /* the test's own schema */
    char ci[400];    /* conninfo for it */
    struct store *s; /* open store, or NULL after a test closed it */
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

static struct store *open_store(const char *ci)
{
    char err[512] = "";
    struct store *s = store_postgres_open(ci, err, sizeof err);
    if (!s) fail_msg("store_postgres_open: %s", err);
    return s;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    srv_ensure_running();
    new_database(f);
    f->s = open_store(f->ci);
    *state = f;
    return 0;
}

/* A database nobody has opened yet: for the tests of migration itself. */
static int setup_empty(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    srv_ensure_running();
    new_database(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    srv_ensure_running();
    if (f->s) store_close(f->s);
    char sql[96];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", f->db);
    raw_exec(srv.test_ci, sql);
    free(f);
    return 0;
}

/* Closes and reopens the fixture's store on the same database. */
static void reopen(struct fx *f)
{
    store_close(f->s);
    f->s = open_store(f->ci);
}

static void add_candidate(struct store *s, const char *id, int64_t created_ms)
{
    struct store_candidate c = {
        .id = (char *)id,
        .name = "Ada",
        .email = "ada@example.org",
        .role = "backend_engineer",
        .resume_text = "resume",
        .resume_hash = "00000000000000000000000000000001",
        .token_hash = "aa",
        .created_ms = created_ms,
    };
    assert_int_equal(store_call(s, candidate_insert, &c), STORE_OK);
}

static void add_interview(struct store *s, const char *id, const char *candidate_id,
                          int64_t created_ms)
{
    struct store_interview iv = {
        .id = (char *)id,
        .candidate_id = (char *)candidate_id,
        .kind = "technical",
        .mode = "full",
        .state = "active",
        .total_questions = 12,
        .next_index = 0,
        .created_ms = created_ms,
    };
    assert_int_equal(store_call(s, interview_insert, &iv), STORE_OK);
}

static void add_turn(struct store *s, const char *interview_id, int idx, const char *question_id)
{
    struct store_turn t = {
        .interview_id = (char *)interview_id,
        .idx = idx,
        .question_id = (char *)question_id,
        .question_text = "Tell me about it.",
        .category = "technical",
        .phase = "technical",
        .difficulty = 2,
        .asked_ms = 1000 + idx,
    };
    assert_int_equal(store_call(s, turn_insert, &t), STORE_OK);
}

/* ---- candidates ------------------------------------------------------------------- */

static void test_store_candidate_round_trips_all_fields(void **state)
{
    struct fx *f = *state;
    struct store_candidate in = {
        .id = "c0ffee00c0ffee00c0ffee00c0ffee00",
        .name = "Grace Hopper",
        .email = "grace@example.org",
        .role = "backend_engineer",
        .resume_text = "COBOL, compilers.\nNavy: 1943-1986. Üñíçødé ok; quotes ' \" \\ $1",
        .resume_hash = "0123456789abcdef0123456789abcdef",
        .token_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        .analysis_json = "{\"skills\":[\"cobol\"]}",
        .analysis_source = "model",
        .created_ms = 1764325546123,
    };
    assert_int_equal(store_call(f->s, candidate_insert, &in), STORE_OK);

    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, in.id, &out), STORE_OK);
    assert_string_equal(out.id, in.id);
    assert_string_equal(out.name, in.name);
    assert_string_equal(out.email, in.email);
    assert_string_equal(out.role, in.role);
    assert_string_equal(out.resume_text, in.resume_text);
    assert_string_equal(out.resume_hash, in.resume_hash);
    assert_string_equal(out.token_hash, in.token_hash);
    assert_string_equal(out.analysis_json, in.analysis_json);
    assert_string_equal(out.analysis_source, in.analysis_source);
    assert_int_equal(out.created_ms, 1764325546123);
    store_candidate_free(&out);
    assert_null(out.id);
}

static void test_store_candidate_unknown_id_is_not_found(void **state)
{
    struct fx *f = *state;
    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "nope", &out), STORE_NOT_FOUND);
    assert_null(out.id);
    store_candidate_free(&out);
}

static void test_store_candidate_duplicate_id_is_conflict(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    struct store_candidate again = {.id = "c1", .name = "Other", .created_ms = 2};
    assert_int_equal(store_call(f->s, candidate_insert, &again), STORE_CONFLICT);

    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &out), STORE_OK);
    assert_string_equal(out.name, "Ada");
    store_candidate_free(&out);
}

static void test_store_set_analysis_updates_only_the_analysis(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    assert_int_equal(
        store_call(f->s, candidate_set_analysis, "c1", "{\"seniority\":\"mid\"}", "heuristic"),
        STORE_OK);

    struct store_candidate out;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &out), STORE_OK);
    assert_string_equal(out.analysis_json, "{\"seniority\":\"mid\"}");
    assert_string_equal(out.analysis_source, "heuristic");
    assert_string_equal(out.name, "Ada");
    assert_string_equal(out.resume_text, "resume");
    store_candidate_free(&out);
}

static void test_store_set_analysis_unknown_candidate_is_not_found(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_call(f->s, candidate_set_analysis, "nope", "{}", "model"),
                     STORE_NOT_FOUND);
}

/* ---- interviews ------------------------------------------------------------------- */

static void test_store_interview_round_trips_all_fields(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    struct store_interview in = {
        .id = "i1",
        .candidate_id = "c1",
        .kind = "mixed",
        .mode = "balanced",
        .state = "finished",
        .total_questions = 12,
        .next_index = 12,
        .greeting = "Hello Ada.",
        .plan_json = "[\"introduction\",\"technical\"]",
        .report_json = "{\"overall\":4}",
        .created_ms = 5000,
        .finished_ms = 9000,
    };
    assert_int_equal(store_call(f->s, interview_insert, &in), STORE_OK);

    struct store_interview out;
    assert_int_equal(store_call(f->s, interview_get, "i1", &out), STORE_OK);
    assert_string_equal(out.id, "i1");
    assert_string_equal(out.candidate_id, "c1");
    assert_string_equal(out.kind, "mixed");
    assert_string_equal(out.mode, "balanced");
    assert_string_equal(out.state, "finished");
    assert_int_equal(out.total_questions, 12);
    assert_int_equal(out.next_index, 12);
    assert_string_equal(out.greeting, "Hello Ada.");
    assert_string_equal(out.plan_json, "[\"introduction\",\"technical\"]");
    assert_string_equal(out.report_json, "{\"overall\":4}");
    assert_int_equal(out.created_ms, 5000);
    assert_int_equal(out.finished_ms, 9000);
    store_interview_free(&out);
}

static void test_store_interview_unknown_id_is_not_found(void **state)
{
    struct fx *f = *state;
    struct store_interview out;
    assert_int_equal(store_call(f->s, interview_get, "nope", &out), STORE_NOT_FOUND);
    store_interview_free(&out);
}

static void test_store_interview_for_unknown_candidate_is_not_found(void **state)
{
    struct fx *f = *state;
    struct store_interview iv = {.id = "i1",
                                 .candidate_id = "ghost",
                                 .kind = "technical",
                                 .mode = "full",
                                 .state = "active",
                                 .total_questions = 12};
    assert_int_equal(store_call(f->s, interview_insert, &iv), STORE_NOT_FOUND);
}

static void test_store_interview_duplicate_id_is_conflict(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    struct store_interview iv = {.id = "i1",
                                 .candidate_id = "c1",
                                 .kind = "technical",
                                 .mode = "full",
                                 .state = "active",
                                 .total_questions = 12};
    assert_int_equal(store_call(f->s, interview_insert, &iv), STORE_CONFLICT);
}

static void test_store_interview_update_writes_mode_state_index_report_finished(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);

    /* kind, total_questions and created_ms differ here but are not written by update. */
    struct store_interview up = {
        .id = "i1",
        .candidate_id = "c1",
        .kind = "behavioral",
        .mode = "economy",
        .state = "finished",
        .total_questions = 99,
        .next_index = 12,
        .report_json = "{\"overall\":3}",
        .created_ms = 777,
        .finished_ms = 20000,
    };
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_OK);

    struct store_interview out;
    assert_int_equal(store_call(f->s, interview_get, "i1", &out), STORE_OK);
    assert_string_equal(out.mode, "economy");
    assert_string_equal(out.state, "finished");
    assert_int_equal(out.next_index, 12);
    assert_string_equal(out.report_json, "{\"overall\":3}");
    assert_int_equal(out.finished_ms, 20000);
    assert_string_equal(out.kind, "technical");
    assert_int_equal(out.total_questions, 12);
    assert_int_equal(out.created_ms, 10);
    store_interview_free(&out);
}

static void test_store_interview_update_unknown_id_is_not_found(void **state)
{
    struct fx *f = *state;
    struct store_interview up = {.id = "nope", .mode = "full", .state = "active"};
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_NOT_FOUND);
}

static void test_store_interviews_by_candidate_are_oldest_first(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_candidate(f->s, "c2", 1);
    add_interview(f->s, "late", "c1", 300);
    add_interview(f->s, "early", "c1", 100);
    add_interview(f->s, "other", "c2", 50);
    add_interview(f->s, "middle", "c1", 200);

    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_by_candidate, "c1", &l), STORE_OK);
    assert_int_equal(l.len, 3);
    assert_string_equal(l.items[0].id, "early");
    assert_string_equal(l.items[1].id, "middle");
    assert_string_equal(l.items[2].id, "late");
    assert_string_equal(l.items[2].kind, "technical");
    store_interview_list_free(&l);
    assert_null(l.items);
    assert_int_equal(l.len, 0);
}

static void test_store_interviews_with_equal_times_are_in_byte_order_of_id(void **state)
{
    /* SQLite orders text by bytes; so must we, whatever the database's locale. */
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "b", "c1", 100);
    add_interview(f->s, "B", "c1", 100);
    add_interview(f->s, "a", "c1", 100);
    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_by_candidate, "c1", &l), STORE_OK);
    assert_int_equal(l.len, 3);
    assert_string_equal(l.items[0].id, "B");
    assert_string_equal(l.items[1].id, "a");
    assert_string_equal(l.items[2].id, "b");
    store_interview_list_free(&l);
}

static void test_store_interviews_of_unknown_candidate_is_empty_list(void **state)
{
    struct fx *f = *state;
    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_by_candidate, "nobody", &l), STORE_OK);
    assert_int_equal(l.len, 0);
    assert_null(l.items);
    store_interview_list_free(&l);
}

/* ---- turns ------------------------------------------------------------------------ */

static void test_store_turn_round_trips_all_fields(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    struct store_turn in = {
        .interview_id = "i1",
        .idx = 4,
        .question_id = "tech.backend.017",
        .question_text = "How does a B-tree stay balanced?",
        .category = "technical",
        .phase = "technical",
        .difficulty = 3,
        .keywords = "[\"split\",\"merge\"]",
        .answer = "Nodes split on overflow.",
        .asked_ms = 1000,
        .answered_ms = 2000,
        .score = 4,
        .feedback = "good",
        .scorer = "model",
        .flags = "[\"empty\"]",
        .eval_status = "done",
    };
    assert_int_equal(store_call(f->s, turn_insert, &in), STORE_OK);

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    struct store_turn *t = &l.items[0];
    assert_string_equal(t->interview_id, "i1");
    assert_int_equal(t->idx, 4);
    assert_string_equal(t->question_id, "tech.backend.017");
    assert_string_equal(t->question_text, "How does a B-tree stay balanced?");
    assert_string_equal(t->category, "technical");
    assert_string_equal(t->phase, "technical");
    assert_int_equal(t->difficulty, 3);
    assert_string_equal(t->keywords, "[\"split\",\"merge\"]");
    assert_string_equal(t->answer, "Nodes split on overflow.");
    assert_int_equal(t->asked_ms, 1000);
    assert_int_equal(t->answered_ms, 2000);
    assert_int_equal(t->score, 4);
    assert_string_equal(t->feedback, "good");
    assert_string_equal(t->scorer, "model");
    assert_string_equal(t->flags, "[\"empty\"]");
    assert_string_equal(t->eval_status, "done");
    store_turn_list_free(&l);
}

static void test_store_turn_without_eval_status_starts_as_none(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].eval_status, "none");
    store_turn_list_free(&l);
}

static void test_store_turns_are_listed_by_idx(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_interview(f->s, "i2", "c1", 20);
    add_turn(f->s, "i1", 2, "q2");
    add_turn(f->s, "i1", 0, "q0");
    add_turn(f->s, "i2", 0, "other");
    add_turn(f->s, "i1", 1, "q1");

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(l.items[i].idx, i);
    assert_string_equal(l.items[0].question_id, "q0");
    assert_string_equal(l.items[2].question_id, "q2");
    store_turn_list_free(&l);
}

static void test_store_turn_duplicate_idx_is_conflict(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");
    struct store_turn t = {
        .interview_id = "i1", .idx = 0, .question_id = "q9", .question_text = "again?"};
    assert_int_equal(store_call(f->s, turn_insert, &t), STORE_CONFLICT);
}

static void test_store_turn_for_unknown_interview_is_not_found(void **state)
{
    struct fx *f = *state;
    struct store_turn t = {
        .interview_id = "ghost", .idx = 0, .question_id = "q0", .question_text = "hello?"};
    assert_int_equal(store_call(f->s, turn_insert, &t), STORE_NOT_FOUND);
}

static void test_store_turn_missing_required_text_is_conflict(void **state)
{
    /* NOT NULL question_text, as in SQLite (a constraint failure, so CONFLICT). */
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    struct store_turn t = {.interview_id = "i1", .idx = 0, .question_id = "q0"};
    assert_int_equal(store_call(f->s, turn_insert, &t), STORE_CONFLICT);
}

static void test_store_answer_then_eval(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");

    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "I like queues.", 4242), STORE_OK);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_string_equal(l.items[0].answer, "I like queues.");
    assert_int_equal(l.items[0].answered_ms, 4242);
    assert_string_equal(l.items[0].eval_status, "pending");
    assert_int_equal(l.items[0].score, 0);
    assert_null(l.items[0].scorer);
    store_turn_list_free(&l);

    struct store_turn ev = {.interview_id = "i1",
                            .idx = 0,
                            .score = 3,
                            .feedback = "mock: 3 words, no keyword",
                            .scorer = "heuristic",
                            .flags = "[]",
                            .eval_status = "done"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.items[0].score, 3);
    assert_string_equal(l.items[0].feedback, "mock: 3 words, no keyword");
    assert_string_equal(l.items[0].scorer, "heuristic");
    assert_string_equal(l.items[0].flags, "[]");
    assert_string_equal(l.items[0].eval_status, "done");
    assert_string_equal(l.items[0].answer, "I like queues.");
    assert_int_equal(l.items[0].answered_ms, 4242);
    store_turn_list_free(&l);
}

static void test_store_set_eval_without_status_means_done(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");
    struct store_turn ev = {.interview_id = "i1", .idx = 0, .score = 5, .scorer = "model"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_string_equal(l.items[0].eval_status, "done");
    assert_int_equal(l.items[0].score, 5);
    store_turn_list_free(&l);
}

static void test_store_answer_twice_is_conflict(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");

    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "first", 100), STORE_OK);
    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "second", 200), STORE_CONFLICT);

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_string_equal(l.items[0].answer, "first");
    assert_int_equal(l.items[0].answered_ms, 100);
    store_turn_list_free(&l);
}

static void test_store_empty_answer_counts_as_answered(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");

    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "", 100), STORE_OK);
    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "late", 200), STORE_CONFLICT);
}

static void test_store_answer_missing_turn_is_not_found(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");
    assert_int_equal(store_call(f->s, turn_answer, "i1", 1, "hi", 100), STORE_NOT_FOUND);
    assert_int_equal(store_call(f->s, turn_answer, "ghost", 0, "hi", 100), STORE_NOT_FOUND);
}

static void test_store_set_eval_missing_turn_is_not_found(void **state)
{
    struct fx *f = *state;
    struct store_turn ev = {.interview_id = "ghost", .idx = 0, .score = 3, .eval_status = "done"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_NOT_FOUND);
}

static void test_store_asked_by_candidate_spans_interviews_oldest_first(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "alice", 1);
    add_candidate(f->s, "bob", 1);
    /* Alice's second interview is inserted first but created later. */
    add_interview(f->s, "a-second", "alice", 200);
    add_interview(f->s, "a-first", "alice", 100);
    add_interview(f->s, "b-only", "bob", 150);
    add_turn(f->s, "a-second", 1, "q.a2.1");
    add_turn(f->s, "a-second", 0, "q.a2.0");
    add_turn(f->s, "b-only", 0, "q.bob.0");
    add_turn(f->s, "a-first", 0, "q.a1.0");
    add_turn(f->s, "a-first", 1, "q.a1.1");
    assert_int_equal(store_call(f->s, turn_answer, "a-first", 0, "private answer", 1), STORE_OK);

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list_asked_by_candidate, "alice", &l), STORE_OK);
    assert_int_equal(l.len, 4);
    assert_string_equal(l.items[0].question_id, "q.a1.0");
    assert_string_equal(l.items[1].question_id, "q.a1.1");
    assert_string_equal(l.items[2].question_id, "q.a2.0");
    assert_string_equal(l.items[3].question_id, "q.a2.1");
    assert_string_equal(l.items[0].question_text, "Tell me about it.");
    assert_string_equal(l.items[0].interview_id, "a-first");
    assert_int_equal(l.items[0].difficulty, 2);
    assert_int_equal(l.items[0].asked_ms, 1000);
    /* The picker only needs questions: answers are not copied out. */
    assert_null(l.items[0].answer);
    for (size_t i = 0; i < l.len; i++)
        assert_string_not_equal(l.items[i].question_id, "q.bob.0");
    store_turn_list_free(&l);
}

static void test_store_unreported_lists_finished_without_report_and_pending_evals(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    /* active, nothing pending: not listed */
    add_interview(f->s, "active-idle", "c1", 10);
    add_turn(f->s, "active-idle", 0, "q0");
    /* finished with its report and all turns evaluated: not listed */
    add_interview(f->s, "done", "c1", 20);
    add_turn(f->s, "done", 0, "q0");
    assert_int_equal(store_call(f->s, turn_answer, "done", 0, "a", 21), STORE_OK);
    struct store_turn ev = {
        .interview_id = "done", .idx = 0, .score = 4, .scorer = "model", .eval_status = "done"};
    assert_int_equal(store_call(f->s, turn_set_eval, &ev), STORE_OK);
    struct store_interview up = {.id = "done",
                                 .mode = "full",
                                 .state = "finished",
                                 .next_index = 12,
                                 .report_json = "{}",
                                 .finished_ms = 22};
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_OK);
    /* finished without a report and with an answer still pending: listed once */
    add_interview(f->s, "no-report", "c1", 40);
    add_turn(f->s, "no-report", 0, "q0");
    assert_int_equal(store_call(f->s, turn_answer, "no-report", 0, "c", 40), STORE_OK);
    up = (struct store_interview){.id = "no-report",
                                  .mode = "full",
                                  .state = "finished",
                                  .next_index = 12,
                                  .finished_ms = 41};
    assert_int_equal(store_call(f->s, interview_update, &up), STORE_OK);
    /* active with two answers awaiting evaluation: listed once */
    add_interview(f->s, "active-pending", "c1", 30);
    add_turn(f->s, "active-pending", 0, "q0");
    add_turn(f->s, "active-pending", 1, "q1");
    assert_int_equal(store_call(f->s, turn_answer, "active-pending", 0, "a", 31), STORE_OK);
    assert_int_equal(store_call(f->s, turn_answer, "active-pending", 1, "b", 32), STORE_OK);

    struct store_interview_list l;
    assert_int_equal(store_call(f->s, interview_list_unreported, &l), STORE_OK);
    assert_int_equal(l.len, 2);
    assert_string_equal(l.items[0].id, "active-pending");
    assert_string_equal(l.items[1].id, "no-report");
    store_interview_list_free(&l);
}

/* ---- kv, call log, quota ledger ------------------------------------------------------ */

static void test_store_kv_claim_is_held_until_stale(void **state)
{
    struct fx *f = *state;
    /* first claim wins; a second within the stale time is refused; after it, taken over */
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1000, 500), STORE_OK);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1200, 500), STORE_CONFLICT);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1600, 500), STORE_OK);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:x", 1700, 500), STORE_CONFLICT);
    assert_int_equal(store_call(f->s, kv_claim, "claim:summary:y", 1700, 500), STORE_OK);
}

static void test_store_kv_put_get_overwrite(void **state)
{
    struct fx *f = *state;
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_put, "gen:abc", "first"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_get, "gen:abc", &v), STORE_OK);
    assert_string_equal(v, "first");
    free(v);
    assert_int_equal(store_call(f->s, kv_put, "gen:abc", "second"), STORE_OK);
    assert_int_equal(store_call(f->s, kv_get, "gen:abc", &v), STORE_OK);
    assert_string_equal(v, "second");
    free(v);
}

static void test_store_kv_missing_key_is_not_found(void **state)
{
    struct fx *f = *state;
    char *v = (char *)"untouched";
    assert_int_equal(store_call(f->s, kv_get, "nope", &v), STORE_NOT_FOUND);
    assert_null(v);
}

static void test_store_call_log_insert_writes_a_row(void **state)
{
    struct fx *f = *state;
    struct store_call c = {.ts_ms = 1764325546123,
                           .task = "evaluate",
                           .provider = "groq-1",
                           .model = "llama-3.1-8b-instant",
                           .outcome = "ok",
                           .http_status = 200,
                           .latency_ms = 321,
                           .prompt_tokens = 900,
                           .completion_tokens = 120};
    assert_int_equal(store_call(f->s, call_log_insert, &c), STORE_OK);
    c.ts_ms += 1000;
    c.outcome = "rate_limited";
    c.http_status = 429;
    assert_int_equal(store_call(f->s, call_log_insert, &c), STORE_OK);

    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM call_log"), 2);
    assert_int_equal(raw_int(f->ci, "SELECT latency_ms + prompt_tokens + completion_tokens "
                                    "FROM call_log WHERE http_status = 200"),
                     321 + 900 + 120);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM call_log "
                                    "WHERE ts_ms = 1764325547123 AND outcome = 'rate_limited'"),
                     1);
}

static void test_store_quota_ledger_adds_up_per_deployment_and_day(void **state)
{
    struct fx *f = *state;
    long req = -1, tok = -1;
    assert_int_equal(store_call(f->s, quota_ledger_get, "groq-1", "2026-11-28", &req, &tok),
                     STORE_NOT_FOUND);
    assert_int_equal(req, 0);
    assert_int_equal(tok, 0);
    assert_int_equal(store_call(f->s, quota_ledger_add, "groq-1", "2026-11-28", 1, 900), STORE_OK);
    assert_int_equal(store_call(f->s, quota_ledger_add, "groq-1", "2026-11-28", 2, 3000000000L),
                     STORE_OK);
    assert_int_equal(store_call(f->s, quota_ledger_add, "groq-1", "2026-11-29", 5, 5), STORE_OK);
    assert_int_equal(store_call(f->s, quota_ledger_get, "groq-1", "2026-11-28", &req, &tok),
                     STORE_OK);
    assert_int_equal(req, 3);
    assert_int_equal(tok, 3000000900L); /* past 2^31: BIGINT */
}

static void test_store_quota_ledger_adds_from_two_handles_both_count(void **state)
{
    struct fx *f = *state;
    struct store *other = open_store(f->ci);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(store_call(f->s, quota_ledger_add, "d", "day", 1, 10), STORE_OK);
        assert_int_equal(store_call(other, quota_ledger_add, "d", "day", 1, 10), STORE_OK);
    }
    long req = 0, tok = 0;
    assert_int_equal(store_call(other, quota_ledger_get, "d", "day", &req, &tok), STORE_OK);
    assert_int_equal(req, 20);
    assert_int_equal(tok, 200);
    store_close(other);
}

/* ---- durability, schema, transactions --------------------------------------------- */

static void test_store_reopen_keeps_everything(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");
    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "kept", 11), STORE_OK);
    assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_OK);
    struct store_call c = {.ts_ms = 5, .task = "evaluate", .outcome = "ok"};
    assert_int_equal(store_call(f->s, call_log_insert, &c), STORE_OK);

    reopen(f);

    struct store_candidate cand;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &cand), STORE_OK);
    assert_string_equal(cand.resume_text, "resume");
    store_candidate_free(&cand);
    struct store_interview iv;
    assert_int_equal(store_call(f->s, interview_get, "i1", &iv), STORE_OK);
    store_interview_free(&iv);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].answer, "kept");
    store_turn_list_free(&l);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_OK);
    assert_string_equal(v, "v");
    free(v);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM call_log"), 1);
}

static void test_store_kill_9_after_ok_loses_nothing(void **state)
{
    /* A child process answers a turn and reports STORE_OK, then is killed with SIGKILL
     * before it can close anything: the answer must be there. */
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");
    store_close(f->s);
    f->s = NULL;

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        struct store *s = store_postgres_open(f->ci, err, sizeof err);
        char ok = s && store_call(s, turn_answer, "i1", 0, "acknowledged", 99) == STORE_OK;
        ssize_t w = write(fds[1], &ok, 1);
        (void)w;
        for (;;)
            pause(); /* killed here, store still open */
    }
    close(fds[1]);
    char ok = 0;
    assert_int_equal(read(fds[0], &ok, 1), 1);
    close(fds[0]);
    assert_true(ok);
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));

    f->s = open_store(f->ci);
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_int_equal(l.len, 1);
    assert_string_equal(l.items[0].answer, "acknowledged");
    assert_string_equal(l.items[0].eval_status, "pending");
    store_turn_list_free(&l);
}

static void test_store_two_handles_on_one_database_see_each_other(void **state)
{
    /* Two processes share the database; the second open must not re-migrate or lose data. */
    struct fx *f = *state;
    struct store *other = open_store(f->ci);
    assert_string_equal(other->ops->name, "postgres");
    add_candidate(f->s, "c1", 1);
    assert_int_equal(store_call(other, kv_put, "k", "from-other"), STORE_OK);

    struct store_candidate c;
    assert_int_equal(store_call(other, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_OK);
    assert_string_equal(v, "from-other");
    free(v);
    /* A transaction's writes are invisible to the other handle until it commits. */
    assert_int_equal(store_begin(other), STORE_OK);
    add_candidate(other, "c2", 2);
    assert_int_equal(store_call(f->s, candidate_get, "c2", &c), STORE_NOT_FOUND);
    assert_int_equal(store_commit(other), STORE_OK);
    assert_int_equal(store_call(f->s, candidate_get, "c2", &c), STORE_OK);
    store_candidate_free(&c);
    store_close(other);
}

static void test_store_committed_data_is_visible_to_another_connection(void **state)
{
    /* Every call outside begin/commit is its own committed transaction. */
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM candidates WHERE id = 'c1'"), 1);
}

static void test_store_two_processes_answering_one_turn_first_wins(void **state)
{
    /* The parent answers inside an open transaction (holding the row); a child process
     * answers the same turn, waits for the row, and must then see CONFLICT, not
     * overwrite the answer or fail to serialize. */
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    add_turn(f->s, "i1", 0, "q0");
    assert_int_equal(store_begin(f->s), STORE_OK);
    assert_int_equal(store_call(f->s, turn_answer, "i1", 0, "parent", 100), STORE_OK);

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
    sleep_ms(400); /* the child is now waiting for the row lock */
    assert_int_equal(store_commit(f->s), STORE_OK);
    int res[2] = {-1, -1};
    assert_int_equal(read(fds[0], res, sizeof res), (ssize_t)sizeof res);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(res[0], STORE_CONFLICT);
    assert_true(res[1] >= 200); /* it did wait for the parent's commit */

    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
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
    int64_t version = raw_int(f->ci, "SELECT max(version) FROM schema_version");
    assert_true(version >= 1);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM schema_version"), version);
}

static void test_store_sets_schema_version_and_tables(void **state)
{
    struct fx *f = *state;
    int64_t version = raw_int(f->ci, "SELECT max(version) FROM schema_version");
    assert_true(version >= 1);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM schema_version"), version);
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

static void test_store_reopen_does_not_change_schema_version(void **state)
{
    struct fx *f = *state;
    int64_t v = raw_int(f->ci, "SELECT max(version) FROM schema_version");
    int64_t rows = raw_int(f->ci, "SELECT count(*) FROM schema_version");
    reopen(f);
    assert_int_equal(raw_int(f->ci, "SELECT max(version) FROM schema_version"), v);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM schema_version"), rows);
}

static void test_store_refuses_a_future_schema_version(void **state)
{
    struct fx *f = *state;
    int64_t v = raw_int(f->ci, "SELECT max(version) FROM schema_version");
    store_close(f->s);
    f->s = NULL;
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO schema_version (version, applied_ms) VALUES (%lld, 0)",
             (long long)(v + 1));
    raw_exec(f->ci, sql);

    char err[512] = "";
    assert_null(store_postgres_open(f->ci, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    /* Refusing must not touch the database. */
    assert_int_equal(raw_int(f->ci, "SELECT max(version) FROM schema_version"), v + 1);
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

static void test_store_rollback_discards(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "kept", 1);
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "discarded", 2);
    assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_OK);
    assert_int_equal(store_rollback(f->s), STORE_OK);

    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "discarded", &c), STORE_NOT_FOUND);
    assert_int_equal(store_call(f->s, candidate_get, "kept", &c), STORE_OK);
    store_candidate_free(&c);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_NOT_FOUND);
}

static void test_store_commit_keeps_across_reopen(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    assert_int_equal(store_commit(f->s), STORE_OK);
    reopen(f);
    struct store_interview iv;
    assert_int_equal(store_call(f->s, interview_get, "i1", &iv), STORE_OK);
    store_interview_free(&iv);
}

static void test_store_close_discards_an_open_transaction(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c1", 1);
    reopen(f);
    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_NOT_FOUND);
}

static void test_store_begin_twice_and_commit_without_begin_are_errors(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_commit(f->s), STORE_IO);
    assert_int_equal(store_rollback(f->s), STORE_OK); /* nothing to discard */
    assert_int_equal(store_begin(f->s), STORE_OK);
    assert_int_equal(store_begin(f->s), STORE_IO);
    assert_int_equal(store_rollback(f->s), STORE_OK);
}

static void test_store_failed_statement_in_a_transaction_fails_the_commit(void **state)
{
    /* PostgreSQL aborts the transaction at its first error; commit must not report OK
     * for writes that were rolled back. */
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c2", 2);
    struct store_candidate dup = {.id = "c1", .name = "dup", .created_ms = 3};
    assert_int_equal(store_call(f->s, candidate_insert, &dup), STORE_CONFLICT);
    assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_IO);
    assert_int_equal(store_commit(f->s), STORE_IO);
    assert_int_equal(store_rollback(f->s), STORE_OK);
    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c2", &c), STORE_NOT_FOUND);
    add_candidate(f->s, "c3", 3); /* the handle works on */
}

static void test_store_null_optional_fields_round_trip_as_null(void **state)
{
    struct fx *f = *state;
    struct store_candidate c = {
        .id = "c1", .name = "Ada", .role = "backend_engineer", .created_ms = 1};
    assert_int_equal(store_call(f->s, candidate_insert, &c), STORE_OK);
    struct store_candidate cout;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &cout), STORE_OK);
    assert_null(cout.email);
    assert_null(cout.resume_text);
    assert_null(cout.analysis_json);
    assert_null(cout.analysis_source);
    store_candidate_free(&cout);

    add_interview(f->s, "i1", "c1", 10);
    struct store_interview iv;
    assert_int_equal(store_call(f->s, interview_get, "i1", &iv), STORE_OK);
    assert_null(iv.greeting);
    assert_null(iv.plan_json);
    assert_null(iv.report_json);
    assert_int_equal(iv.finished_ms, 0);
    store_interview_free(&iv);

    add_turn(f->s, "i1", 0, "q0");
    struct store_turn_list l;
    assert_int_equal(store_call(f->s, turn_list, "i1", &l), STORE_OK);
    assert_null(l.items[0].keywords);
    assert_null(l.items[0].answer);
    assert_null(l.items[0].feedback);
    assert_null(l.items[0].scorer);
    assert_null(l.items[0].flags);
    assert_int_equal(l.items[0].answered_ms, 0);
    assert_int_equal(l.items[0].score, 0);
    store_turn_list_free(&l);
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
    add_candidate(f->s, "c1", 1);
    add_interview(f->s, "i1", "c1", 10);
    /* NOT NULL failure: PostgreSQL's DETAIL quotes the whole row, answer included. */
    struct store_turn t = {
        .interview_id = "i1", .idx = 0, .question_id = "q0", .answer = "SECRET-ANSWER-51f6"};
    assert_int_equal(store_call(f->s, turn_insert, &t), STORE_CONFLICT);
    /* Invalid UTF-8: the message quotes the offending bytes. */
    struct store_candidate c = {
        .id = "c2", .resume_text = "SECRET-RESUME-\xff\xfe", .created_ms = 2};
    assert_int_equal(store_call(f->s, candidate_insert, &c), STORE_IO);
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
    add_candidate(f->s, "c1", 1);
    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);
    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);

    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);
    add_candidate(f->s, "c2", 2);
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c3", 3);
    assert_int_equal(store_commit(f->s), STORE_OK);
    assert_int_equal(raw_int(f->ci, "SELECT count(*) FROM candidates"), 3);
}

static void test_store_server_down_is_unavailable_quickly_then_recovers(void **state)
{
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    assert_int_equal(srv_stop("fast"), 0);

    int64_t t0 = now_ms();
    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_UNAVAILABLE);
    struct store_candidate c2 = {.id = "c2", .created_ms = 2};
    assert_int_equal(store_call(f->s, candidate_insert, &c2), STORE_UNAVAILABLE);
    assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_UNAVAILABLE);
    assert_int_equal(store_begin(f->s), STORE_UNAVAILABLE);
    assert_true(now_ms() - t0 < 3000);

    assert_int_equal(srv_start(), 0);
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);
    assert_int_equal(store_call(f->s, candidate_insert, &c2), STORE_OK);
}

static void test_store_connection_lost_inside_a_transaction_is_unavailable(void **state)
{
    /* The transaction died with the connection: nothing is retried or reconnected until
     * the caller ends it, so no later statement of it can autocommit on its own. */
    struct fx *f = *state;
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c1", 1);
    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);

    struct store_candidate c2 = {.id = "c2", .created_ms = 2};
    assert_int_equal(store_call(f->s, candidate_insert, &c2), STORE_UNAVAILABLE);
    assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_UNAVAILABLE);
    assert_int_equal(store_commit(f->s), STORE_UNAVAILABLE);
    assert_int_equal(store_rollback(f->s), STORE_OK);

    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_NOT_FOUND);
    assert_int_equal(store_call(f->s, candidate_get, "c2", &c), STORE_NOT_FOUND);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_NOT_FOUND);

    /* Same with rollback straight away. */
    assert_int_equal(store_begin(f->s), STORE_OK);
    add_candidate(f->s, "c3", 3);
    assert_int_equal(srv_stop("fast"), 0);
    assert_int_equal(srv_start(), 0);
    assert_int_equal(store_rollback(f->s), STORE_OK);
    assert_int_equal(store_call(f->s, candidate_get, "c3", &c), STORE_NOT_FOUND);
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
            assert_int_equal(store_call(f->s, candidate_insert, &c), STORE_UNAVAILABLE);
            waitpid(pid, NULL, 0);
            /* The next call reconnects (its one reconnect), so round 1 starts connected. */
            char *none = NULL;
            assert_int_equal(store_call(f->s, kv_get, "none", &none), STORE_NOT_FOUND);
            continue;
        } else {
            int64_t t0 = now_ms();
            assert_int_equal(store_call(f->s, kv_put, "k", "v"), STORE_OK);
            assert_true(now_ms() - t0 >= 700); /* waited for the lock again, then wrote */
        }
        waitpid(pid, NULL, 0);
    }
    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_NOT_FOUND);
    char *v = NULL;
    assert_int_equal(store_call(f->s, kv_get, "k", &v), STORE_OK);
    assert_string_equal(v, "v");
    free(v);
}

static void test_store_frozen_server_is_unavailable_within_the_deadline(void **state)
{
    /* A server that accepts nothing and answers nothing (SIGSTOP): the call gives up
     * after statement timeout + grace (7 s), not never; after SIGCONT the handle
     * reconnects and works. */
    struct fx *f = *state;
    add_candidate(f->s, "c1", 1);
    srv.frozen = 1;
    srv_signal_all(SIGSTOP);
    int64_t t0 = now_ms();
    struct store_candidate c;
    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_UNAVAILABLE);
    int64_t took = now_ms() - t0;
    srv_signal_all(SIGCONT);
    srv.frozen = 0;
    assert_true(took >= 5000);
    assert_true(took < 10000);

    assert_int_equal(store_call(f->s, candidate_get, "c1", &c), STORE_OK);
    store_candidate_free(&c);
}

static void test_store_strerror_names_every_error(void **state)
{
    (void)state;
    for (int e = STORE_OK; e <= STORE_IO; e++) {
        const char *msg = store_strerror((enum store_err)e);
        assert_non_null(msg);
        assert_string_not_equal(msg, "unknown store error");
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T_EMPTY(fn) cmocka_unit_test_setup_teardown(fn, setup_empty, teardown)

int main(void)
{
    /* Expected conflicts log warnings; keep test output to real errors. */
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        T(test_store_candidate_round_trips_all_fields),
        T(test_store_candidate_unknown_id_is_not_found),
        T(test_store_candidate_duplicate_id_is_conflict),
        T(test_store_set_analysis_updates_only_the_analysis),
        T(test_store_set_analysis_unknown_candidate_is_not_found),
        T(test_store_interview_round_trips_all_fields),
        T(test_store_interview_unknown_id_is_not_found),
        T(test_store_interview_for_unknown_candidate_is_not_found),
        T(test_store_interview_duplicate_id_is_conflict),
        T(test_store_interview_update_writes_mode_state_index_report_finished),
        T(test_store_interview_update_unknown_id_is_not_found),
        T(test_store_interviews_by_candidate_are_oldest_first),
        T(test_store_interviews_with_equal_times_are_in_byte_order_of_id),
        T(test_store_interviews_of_unknown_candidate_is_empty_list),
        T(test_store_turn_round_trips_all_fields),
        T(test_store_turn_without_eval_status_starts_as_none),
        T(test_store_turns_are_listed_by_idx),
        T(test_store_turn_duplicate_idx_is_conflict),
        T(test_store_turn_for_unknown_interview_is_not_found),
        T(test_store_turn_missing_required_text_is_conflict),
        T(test_store_answer_then_eval),
        T(test_store_set_eval_without_status_means_done),
        T(test_store_answer_twice_is_conflict),
        T(test_store_empty_answer_counts_as_answered),
        T(test_store_answer_missing_turn_is_not_found),
        T(test_store_set_eval_missing_turn_is_not_found),
        T(test_store_asked_by_candidate_spans_interviews_oldest_first),
        T(test_store_unreported_lists_finished_without_report_and_pending_evals),
        T(test_store_kv_claim_is_held_until_stale),
        T(test_store_kv_put_get_overwrite),
        T(test_store_kv_missing_key_is_not_found),
        T(test_store_call_log_insert_writes_a_row),
        T(test_store_quota_ledger_adds_up_per_deployment_and_day),
        T(test_store_quota_ledger_adds_from_two_handles_both_count),
        T(test_store_reopen_keeps_everything),
        T(test_store_kill_9_after_ok_loses_nothing),
        T(test_store_two_handles_on_one_database_see_each_other),
        T(test_store_committed_data_is_visible_to_another_connection),
        T(test_store_two_processes_answering_one_turn_first_wins),
        T_EMPTY(test_store_concurrent_first_opens_migrate_once),
        T(test_store_sets_schema_version_and_tables),
        T(test_store_reopen_does_not_change_schema_version),
        T(test_store_refuses_a_future_schema_version),
        T(test_store_open_of_a_missing_database_fails_with_a_sentence),
        T(test_store_open_with_no_server_fails_fast),
        T(test_store_open_with_a_malformed_conninfo_fails),
        T(test_store_rollback_discards),
        T(test_store_commit_keeps_across_reopen),
        T(test_store_close_discards_an_open_transaction),
        T(test_store_begin_twice_and_commit_without_begin_are_errors),
        T(test_store_failed_statement_in_a_transaction_fails_the_commit),
        T(test_store_null_optional_fields_round_trip_as_null),
        T(test_store_logs_sqlstate_but_never_row_content),
        T(test_store_server_restart_while_idle_is_invisible),
        T(test_store_server_down_is_unavailable_quickly_then_recovers),
        T(test_store_connection_lost_inside_a_transaction_is_unavailable),
        T(test_store_lost_mid_statement_resends_only_what_is_safe),
        T(test_store_frozen_server_is_unavailable_within_the_deadline),
        T(test_store_strerror_names_every_error),
    };
    return cmocka_run_group_tests_name("store_postgres", tests, group_setup, group_teardown);
}
