/* redis_harness: a real redis-server on a free loopback port for the unit tests that
 * need one (test_cache_redis, test_quota_share). Include after <cmocka.h>. A missing
 * redis-server fails the test: CI installs it. */
#ifndef TESTS_REDIS_HARNESS_H
#define TESTS_REDIS_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the redis-server child ---- */

struct redis_proc {
    pid_t pid; /* 0 when not running */
    int port;  /* TCP port on 127.0.0.1 */
};

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static int redis_installed(void)
{
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = strdup(path), *save = NULL;
    int found = 0;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char exe[1024];
        snprintf(exe, sizeof exe, "%s/redis-server", dir);
        found = access(exe, X_OK) == 0;
    }
    free(copy);
    return found;
}

static int port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Starts redis-server on port; with a password if password is not NULL. */
static void redis_start(struct redis_proc *r, int port, const char *password)
{
    if (!redis_installed())
        fail_msg("redis-server is not installed (or not in PATH). This test needs a real "
                 "Redis: apt-get install redis-server. CI installs it, so the test fails "
                 "instead of skipping.");
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
        if (password)
            execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp",
                   "--loglevel", "warning", "--requirepass", password, (char *)NULL);
        else
            execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp",
                   "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    r->pid = pid;
    r->port = port;
    for (int i = 0; i < 500; i++) { /* up to 5 s */
        if (port_accepts(port)) return;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            r->pid = 0;
            fail_msg("redis-server exited before accepting connections on port %d (status %d)",
                     port, status);
        }
        sleep_ms(10);
    }
    fail_msg("redis-server did not accept connections on port %d within 5 s", port);
}

static void redis_kill(struct redis_proc *r)
{
    if (r->pid <= 0) return;
    kill(r->pid, SIGCONT); /* in case a test stopped it */
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
}

#endif
