/* store/sqlite_sync: group commit for the SQLite backend: the loop commits, a thread
 * fsyncs (see sqlite_sync.h).
 *
 * The one idea: durability is a sequence number. Every commit on the loop's connection
 * takes the next number (sqlite3_wal_hook runs after its frames are in the WAL); the
 * thread remembers the highest number it has been asked for, calls fdatasync() on the
 * -wal file, and then every commit up to that number is on disk, because a WAL only
 * grows at its end or is rewritten from its start after a checkpoint has copied it
 * into the database (and synced that). Commits that arrive while one fdatasync runs
 * share the next one: that is the group commit, with no timer and no batch size.
 *
 * Why this is safe with synchronous=NORMAL on the loop's connection: SQLite documents
 * NORMAL in WAL mode as consistent after a crash and a power loss, only possibly
 * missing the last transactions; those are exactly the ones nobody was told about
 * yet, since a reply that depends on a commit waits for its number (sq_sync_wait). A
 * kill -9 loses nothing at all: the WAL is in the page cache, which outlives us.
 *
 * Failure: if fdatasync fails, what reached the disk is unknown (the page cache may have
 * dropped the dirty pages and a second fsync can report success), so the failure
 * sticks: waiters are told "not durable" and nothing more is promised until a restart,
 * as PostgreSQL does since its fsync errors of 2018. The thread never logs (the log
 * module is the loop's); it leaves errors for the loop, which logs them once.
 *
 * Checkpoints copy the WAL into the database and fsync it, which can take tens of
 * milliseconds: they run here, on the thread's own connection, in PASSIVE mode (never
 * waiting for a reader or writer), when no commit is waiting to be synced, or at once
 * when the WAL has grown past SQ_CKPT_FORCE_PAGES. */
#include "store/sqlite_sync.h"

#include "core/check.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A checkpoint is due when the WAL holds this many pages (SQLite's own default for
 * wal_autocheckpoint, which the loop's connection no longer runs). */
#define SQ_CKPT_PAGES 1000
/* ... and runs even while commits wait to be synced when it holds this many. */
#define SQ_CKPT_FORCE_PAGES 16000

/* A reply (or anything) waiting for commits up to seq to be durable. */
struct sq_waiter {
    uint64_t seq;           /* wait until durable >= seq */
    store_durable_fn fn;    /* called once, on the loop */
    void *data;             /* fn's argument */
    struct sq_waiter *next; /* FIFO; seq never decreases along it */
};

struct sq_sync {
    /* shared with the thread, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* the loop -> the thread: more commits, or stop */
    uint64_t wanted;      /* the last commit the loop made */
    uint64_t durable;     /* every commit up to this one is on disk */
    int wal_pages;        /* pages in the WAL after the last commit */
    int sync_errno;       /* 0, or why fdatasync failed (sticky) */
    int ckpt_rc;          /* SQLite's code for the last checkpoint that failed, 0 */
    int stop;             /* the loop is closing the store */
    uint64_t syncs;       /* fdatasync calls made */
    uint64_t checkpoints; /* checkpoints run */
    /* the thread's own */
    pthread_t thread;
    int wal_fd;    /* our descriptor of the -wal file, -1 until it exists */
    dev_t wal_dev; /* which file wal_fd is, to notice a WAL deleted and made anew */
    ino_t wal_ino;
    sqlite3 *ckpt;  /* the connection checkpoints run on */
    int ckpt_pages; /* wal_pages when the last checkpoint ran */
    char *wal_path;
    char *dir_path; /* the database's directory, synced when the WAL is created */
    /* the loop's own */
    int pipe_fd[2];   /* the thread writes a byte to [1] after each round */
    struct event *ev; /* reads [0] */
    uint64_t commit_seq;
    uint64_t commits;
    struct sq_waiter *head, *tail;
    int logged_errno; /* the sync failure already logged */
    int logged_ckpt_rc;
};

/* ---- the thread --------------------------------------------------------------------- */

/* fsyncs the directory holding the WAL, so a newly created -wal file is found after a
 * power loss. 0 or an errno. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int rc = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

/* Makes everything written to the WAL so far durable. 0 or an errno. */
static int wal_sync(struct sq_sync *y)
{
    struct stat st;
    if (stat(y->wal_path, &st) != 0) return errno;
    if (y->wal_fd < 0 || st.st_dev != y->wal_dev || st.st_ino != y->wal_ino) {
        if (y->wal_fd >= 0) close(y->wal_fd);
        /* fdatasync through any descriptor of a file flushes all of its dirty pages,
         * including those SQLite wrote through its own. */
        y->wal_fd = open(y->wal_path, O_RDONLY | O_CLOEXEC);
        if (y->wal_fd < 0) return errno;
        if (fstat(y->wal_fd, &st) != 0) return errno;
        y->wal_dev = st.st_dev;
        y->wal_ino = st.st_ino;
        int rc = sync_dir(y->dir_path);
        if (rc) return rc;
    }
    return fdatasync(y->wal_fd) == 0 ? 0 : errno;
}

static void notify_loop(struct sq_sync *y)
{
    char b = 1;
    /* The pipe is non-blocking: when it is full the loop has bytes to wake it already. */
    ssize_t n = write(y->pipe_fd[1], &b, 1);
    (void)n;
}

/* Under mu: whether a checkpoint should run now. */
static int ckpt_due(const struct sq_sync *y)
{
    if (y->sync_errno || y->wal_pages < SQ_CKPT_PAGES || y->wal_pages == y->ckpt_pages) return 0;
    return y->wanted == y->durable || y->wal_pages >= SQ_CKPT_FORCE_PAGES;
}

static void *sync_main(void *arg)
{
    struct sq_sync *y = arg;
    pthread_mutex_lock(&y->mu);
    for (;;) {
        int sync_due = y->wanted != y->durable && !y->sync_errno;
        if (!sync_due && !ckpt_due(y)) {
            if (y->stop) break;
            pthread_cond_wait(&y->cv, &y->mu);
            continue;
        }
        if (ckpt_due(y)) {
            int pages = y->wal_pages;
            pthread_mutex_unlock(&y->mu);
            int rc =
                sqlite3_wal_checkpoint_v2(y->ckpt, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
            pthread_mutex_lock(&y->mu);
            y->ckpt_pages = pages;
            y->checkpoints++;
            /* BUSY: another process is checkpointing; ours runs again next time. */
            if (rc != SQLITE_OK && rc != SQLITE_BUSY) y->ckpt_rc = rc;
            continue;
        }
        uint64_t target = y->wanted;
        pthread_mutex_unlock(&y->mu);
        int err = wal_sync(y);
        pthread_mutex_lock(&y->mu);
        y->syncs++;
        if (err)
            y->sync_errno = err;
        else
            y->durable = target;
        notify_loop(y);
    }
    pthread_mutex_unlock(&y->mu);
    return NULL;
}

/* ---- the loop ------------------------------------------------------------------------ */

/* Calls the waiters whose commits are durable, and all of them (durable = 0) after a
 * failed sync. */
static void deliver(struct sq_sync *y)
{
    pthread_mutex_lock(&y->mu);
    uint64_t durable = y->durable;
    int err = y->sync_errno;
    int ckpt_rc = y->ckpt_rc;
    pthread_mutex_unlock(&y->mu);
    if (err && err != y->logged_errno) {
        y->logged_errno = err;
        log_error("store_sync_failed",
                  "backend=sqlite err=\"%s\" result=\"writes are refused until interviewd is "
                  "restarted and the disk checked\"",
                  strerror(err));
    }
    if (ckpt_rc && ckpt_rc != y->logged_ckpt_rc) {
        y->logged_ckpt_rc = ckpt_rc;
        log_warn("store_checkpoint_failed", "backend=sqlite rc=%d err=\"%s\"", ckpt_rc,
                 sqlite3_errstr(ckpt_rc));
    }
    while (y->head && (y->head->seq <= durable || err)) {
        struct sq_waiter *w = y->head;
        y->head = w->next;
        if (!y->head) y->tail = NULL;
        int ok = w->seq <= durable;
        store_durable_fn fn = w->fn;
        void *data = w->data;
        free(w);
        fn(data, ok); /* may add a waiter: the list is consistent here */
    }
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    deliver(arg);
}

struct sq_sync *sq_sync_start(struct event_base *base, const char *db_path, const char *wal_path,
                              char *err, size_t errlen)
{
    struct sq_sync *y = xcalloc(1, sizeof *y);
    y->wal_fd = -1;
    y->pipe_fd[0] = y->pipe_fd[1] = -1;
    y->wal_path = xstrdup(wal_path);
    y->dir_path = xstrdup(db_path);
    char *slash = strrchr(y->dir_path, '/');
    if (!slash)
        strcpy(y->dir_path, ".");
    else if (slash == y->dir_path)
        slash[1] = '\0';
    else
        *slash = '\0';
    int rc = sqlite3_open_v2(db_path, &y->ckpt, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(y->ckpt, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open a second connection to %s for checkpoints: %s", db_path,
                 y->ckpt ? sqlite3_errmsg(y->ckpt) : sqlite3_errstr(rc));
        goto fail;
    }
    if (pipe2(y->pipe_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot create the syncer's pipe: %s", strerror(errno));
        goto fail;
    }
    y->ev = event_new(base, y->pipe_fd[0], EV_READ | EV_PERSIST, on_notify, y);
    if (!y->ev || event_add(y->ev, NULL) != 0) {
        snprintf(err, errlen, "cannot watch the syncer's pipe");
        goto fail;
    }
    pthread_mutex_init(&y->mu, NULL);
    pthread_cond_init(&y->cv, NULL);
    if ((rc = pthread_create(&y->thread, NULL, sync_main, y)) != 0) {
        snprintf(err, errlen, "cannot start the syncer thread: %s", strerror(rc));
        pthread_cond_destroy(&y->cv);
        pthread_mutex_destroy(&y->mu);
        goto fail;
    }
    return y;
fail:
    if (y->ev) event_free(y->ev);
    if (y->pipe_fd[0] >= 0) close(y->pipe_fd[0]);
    if (y->pipe_fd[1] >= 0) close(y->pipe_fd[1]);
    sqlite3_close(y->ckpt);
    free(y->wal_path);
    free(y->dir_path);
    free(y);
    return NULL;
}

void sq_sync_committed(struct sq_sync *y, int wal_pages)
{
    y->commit_seq++;
    y->commits++;
    pthread_mutex_lock(&y->mu);
    y->wanted = y->commit_seq;
    y->wal_pages = wal_pages;
    pthread_cond_signal(&y->cv);
    pthread_mutex_unlock(&y->mu);
}

uint64_t sq_sync_commit_seq(const struct sq_sync *y)
{
    return y->commit_seq;
}

int sq_sync_wait(struct sq_sync *y, uint64_t seq, store_durable_fn fn, void *data)
{
    CHECK(seq <= y->commit_seq && fn != NULL);
    CHECK(!y->tail || y->tail->seq <= seq);
    pthread_mutex_lock(&y->mu);
    uint64_t durable = y->durable;
    int err = y->sync_errno;
    pthread_mutex_unlock(&y->mu);
    if (seq <= durable) return 1;
    if (err) return -1;
    struct sq_waiter *w = xcalloc(1, sizeof *w);
    w->seq = seq;
    w->fn = fn;
    w->data = data;
    if (y->tail)
        y->tail->next = w;
    else
        y->head = w;
    y->tail = w;
    return 0;
}

void sq_sync_stats(const struct sq_sync *y, struct store_sync_stats *out)
{
    struct sq_sync *m = (struct sq_sync *)y; /* the mutex is the only thing changed */
    pthread_mutex_lock(&m->mu);
    out->syncs = y->syncs;
    out->checkpoints = y->checkpoints;
    out->durable = y->durable;
    pthread_mutex_unlock(&m->mu);
    out->commits = y->commits;
}

void sq_sync_stop(struct sq_sync *y)
{
    if (!y) return;
    pthread_mutex_lock(&y->mu);
    y->stop = 1;
    pthread_cond_signal(&y->cv);
    pthread_mutex_unlock(&y->mu);
    pthread_join(y->thread, NULL); /* after the last sync: it syncs what was asked first */
    deliver(y);
    CHECK(y->head == NULL); /* the thread synced everything asked, or failed and said so */
    event_free(y->ev);
    close(y->pipe_fd[0]);
    close(y->pipe_fd[1]);
    if (y->wal_fd >= 0) close(y->wal_fd);
    sqlite3_close(y->ckpt);
    pthread_cond_destroy(&y->cv);
    pthread_mutex_destroy(&y->mu);
    free(y->wal_path);
    free(y->dir_path);
    free(y);
}
