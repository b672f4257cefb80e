/* pdftext: the text of an untrusted PDF, read by pdftotext in a limited child (see
 * pdftext.h).
 *
 * The one idea: a PDF is a program-sized format with a long history of parser bugs, so
 * only a short-lived child touches it, with every resource bounded, and the server
 * keeps only the UTF-8 text the child printed. A job is: a 0600 temporary file with the
 * PDF, a child reading it, a pipe with its output, a deadline timer and, after the pipe
 * ends, a reap timer polling waitpid(WNOHANG). The job ends when the child is reaped;
 * only then is the callback called and the file removed. */
#include "api/pdftext.h"

#include "core/check.h"
#include "core/config.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/util.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PDFTEXT_MAGIC_WINDOW 1024 /* "%PDF-" must start within the first KiB, as readers allow */
#define PDFTEXT_REAP_POLL_MS 5    /* how often an exited child's status is asked for */
#define PDFTEXT_READ_CHUNK 16384
#define PDFTEXT_CHILD_FILES 32 /* RLIMIT_NOFILE of the child */

struct job {
    struct pdftext *owner;
    pid_t pid;              /* the child; 0 once reaped */
    int fd;                 /* read end of the child's stdout; -1 once closed */
    struct event *ev;       /* readable fd */
    struct timer *deadline; /* kills the child at pdf_timeout_ms */
    struct timer *reap;     /* polls waitpid after the pipe closed */
    char path[64];          /* the temporary file */
    struct sbuf out;        /* what the child printed */
    int too_long;           /* output beyond the resume limit: child killed */
    int timed_out;          /* deadline reached: child killed */
    int status;             /* waitpid status */
    pdftext_done_fn done;
    void *data;
    struct job *next, *prev; /* owner->jobs */
};

struct pdftext {
    struct event_base *base;
    const struct config *cfg;
    char *exe;        /* absolute path of pdftotext, NULL if not installed */
    struct job *jobs; /* running */
    int running;      /* of them */
};

/* ---- errors ---- */

int pdftext_status(enum pdftext_err e)
{
    switch (e) {
    case PDFTEXT_OK:
        return 200;
    case PDFTEXT_TOO_LARGE:
    case PDFTEXT_TEXT_TOO_LONG:
        return 413;
    case PDFTEXT_BUSY:
    case PDFTEXT_UNAVAILABLE:
    case PDFTEXT_CANCELLED:
        return 503;
    default:
        return 422;
    }
}

const char *pdftext_code(enum pdftext_err e)
{
    switch (e) {
    case PDFTEXT_OK:
        return "ok";
    case PDFTEXT_NOT_PDF:
        return "not_a_pdf";
    case PDFTEXT_TOO_LARGE:
        return "pdf_too_large";
    case PDFTEXT_TEXT_TOO_LONG:
        return "resume_too_long";
    case PDFTEXT_NO_TEXT:
        return "pdf_no_text";
    case PDFTEXT_UNREADABLE:
    case PDFTEXT_TIMEOUT:
        return "pdf_unreadable";
    case PDFTEXT_BUSY:
        return "busy";
    case PDFTEXT_UNAVAILABLE:
    case PDFTEXT_CANCELLED:
    default:
        return "pdf_unavailable";
    }
}

const char *pdftext_message(enum pdftext_err e)
{
    switch (e) {
    case PDFTEXT_OK:
        return "ok";
    case PDFTEXT_NOT_PDF:
        return "The file is not a PDF. Send a PDF file, or paste your resume as text.";
    case PDFTEXT_TOO_LARGE:
        return "The PDF file is larger than the limit ([limits] max_resume_pdf_bytes). Send a "
               "smaller file, or paste your resume as text.";
    case PDFTEXT_TEXT_TOO_LONG:
        return "The text in this PDF is longer than the resume limit ([limits] "
               "max_resume_bytes). Shorten the resume, or paste its most relevant part.";
    case PDFTEXT_NO_TEXT:
        return "This PDF holds no text we can read (it may be a scan or an image). Paste "
               "your resume as text instead.";
    case PDFTEXT_UNREADABLE:
        return "This PDF could not be read (it may be damaged or password-protected). Paste "
               "your resume as text instead.";
    case PDFTEXT_TIMEOUT:
        return "This PDF took too long to read. Paste your resume as text instead.";
    case PDFTEXT_BUSY:
        return "Other PDF files are being read right now; retry in a few seconds, or paste "
               "your resume as text.";
    case PDFTEXT_UNAVAILABLE:
    case PDFTEXT_CANCELLED:
    default:
        return "This server cannot read PDF files right now; paste your resume as text.";
    }
}

/* ---- the reader ---- */

static char *find_on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char cand[4096];
        if (n > 0 && n + strlen(name) + 2 < sizeof cand) {
            snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, name);
            if (access(cand, X_OK) == 0) return xstrdup(cand);
        }
        p += n;
        if (*p == ':') p++;
    }
    return NULL;
}

struct pdftext *pdftext_new(struct event_base *base, const struct config *cfg)
{
    CHECK(base != NULL && cfg != NULL);
    struct pdftext *p = xcalloc(1, sizeof *p);
    p->base = base;
    p->cfg = cfg;
    p->exe = find_on_path("pdftotext");
    if (!p->exe)
        log_warn("pdf_reader_missing", "reason=\"pdftotext (poppler-utils) is not on PATH\"");
    return p;
}

int pdftext_running(const struct pdftext *p)
{
    return p ? p->running : 0;
}

/* ---- one job ---- */

static void job_close_pipe(struct job *j)
{
    if (j->ev) {
        event_free(j->ev);
        j->ev = NULL;
    }
    if (j->fd >= 0) {
        close(j->fd);
        j->fd = -1;
    }
}

static int text_is_blank(const char *s)
{
    for (; *s; s++)
        if (!(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v'))
            return 0;
    return 1;
}

/* The outcome of a reaped child. */
static enum pdftext_err job_verdict(struct job *j)
{
    if (j->too_long) return PDFTEXT_TEXT_TOO_LONG;
    if (j->timed_out) return PDFTEXT_TIMEOUT;
    if (WIFSIGNALED(j->status)) {
        int sig = WTERMSIG(j->status);
        /* out of CPU seconds or memory (allocation failure aborts) */
        return sig == SIGXCPU || sig == SIGKILL ? PDFTEXT_TIMEOUT : PDFTEXT_UNREADABLE;
    }
    if (!WIFEXITED(j->status) || WEXITSTATUS(j->status) != 0) return PDFTEXT_UNREADABLE;
    const char *text = j->out.data ? j->out.data : "";
    if (memchr(text, 0, j->out.len) || !util_utf8_valid(text, j->out.len))
        return PDFTEXT_UNREADABLE;
    if (text_is_blank(text)) return PDFTEXT_NO_TEXT;
    return PDFTEXT_OK;
}

/* Ends a job whose child is reaped (or, when cancelled, killed and reaped). */
static void job_end(struct job *j, enum pdftext_err forced)
{
    struct pdftext *p = j->owner;
    job_close_pipe(j);
    timer_free(j->deadline);
    timer_free(j->reap);
    if (j->path[0]) unlink(j->path);
    if (j->prev)
        j->prev->next = j->next;
    else
        p->jobs = j->next;
    if (j->next) j->next->prev = j->prev;
    p->running--;
    CHECK(p->running >= 0);
    enum pdftext_err e = forced != PDFTEXT_OK ? forced : job_verdict(j);
    log_info("pdf_read", "result=%s bytes_out=%zu", pdftext_code(e), j->out.len);
    j->done(e, e == PDFTEXT_OK ? j->out.data : NULL, j->data);
    sbuf_free(&j->out);
    free(j);
}

static void job_reap(void *arg)
{
    struct job *j = arg;
    pid_t r = waitpid(j->pid, &j->status, WNOHANG);
    if (r == j->pid || (r < 0 && errno == ECHILD)) {
        if (r < 0) j->status = 0x7f00; /* lost: counts as a failed exit */
        j->pid = 0;
        job_end(j, PDFTEXT_OK);
        return;
    }
    timer_start(j->reap, PDFTEXT_REAP_POLL_MS); /* closed its output, not exited yet */
}

static void job_kill(struct job *j)
{
    if (j->pid > 0) kill(j->pid, SIGKILL);
}

static void job_deadline(void *arg)
{
    struct job *j = arg;
    j->timed_out = 1;
    job_kill(j);
    log_warn("pdf_read_timeout", "timeout_ms=%ld", j->owner->cfg->pdf_timeout_ms);
    /* the pipe reports EOF once the child is dead; the reap timer follows */
}

static void job_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct job *j = arg;
    char buf[PDFTEXT_READ_CHUNK];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            if ((long)(j->out.len + (size_t)n) > j->owner->cfg->max_resume_bytes) {
                j->too_long = 1;
                job_kill(j);
                break; /* stop reading: EOF comes when the child is dead */
            }
            sbuf_append(&j->out, buf, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == EINTR) continue;
        break; /* EOF or an error: the child is done with its output */
    }
    job_close_pipe(j);
    job_reap(j);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct pdftext *p, const char *path, int out_fd)
{
    struct rlimit mem = {(rlim_t)p->cfg->pdf_memory_bytes, (rlim_t)p->cfg->pdf_memory_bytes};
    rlim_t secs = (rlim_t)(p->cfg->pdf_timeout_ms / 1000 + 1);
    struct rlimit cpu = {secs, secs + 1};
    struct rlimit files = {PDFTEXT_CHILD_FILES, PDFTEXT_CHILD_FILES};
    struct rlimit fsize = {0, 0}; /* writes no file; stdout is a pipe */
    struct rlimit core = {0, 0};
    if (setrlimit(RLIMIT_AS, &mem) != 0 || setrlimit(RLIMIT_CPU, &cpu) != 0 ||
        setrlimit(RLIMIT_NOFILE, &files) != 0 || setrlimit(RLIMIT_FSIZE, &fsize) != 0 ||
        setrlimit(RLIMIT_CORE, &core) != 0)
        _exit(126);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(devnull, 2) < 0)
        _exit(126);
    closefrom(3);
    char *const argv[] = {"pdftotext", "-q",   "-enc",       "UTF-8", "-nopgbrk",
                          "-eol",      "unix", (char *)path, "-",     NULL};
    char *const envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", NULL};
    execve(p->exe, argv, envp);
    _exit(127);
}

/* Writes the PDF to a new private file; 0 or -1. */
static int write_temp(const void *pdf, size_t len, char path[64])
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir || strlen(dir) > 40) dir = "/tmp";
    snprintf(path, 64, "%s/interviewd-pdf-XXXXXX", dir);
    int fd = mkostemp(path, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) return -1;
    const char *b = pdf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, b, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fd);
            unlink(path);
            return -1;
        }
        b += n;
        left -= (size_t)n;
    }
    close(fd);
    return 0;
}

static int looks_like_pdf(const unsigned char *b, size_t len)
{
    size_t window = len < PDFTEXT_MAGIC_WINDOW ? len : PDFTEXT_MAGIC_WINDOW;
    for (size_t i = 0; i + 5 <= window; i++)
        if (memcmp(b + i, "%PDF-", 5) == 0) return 1;
    return 0;
}

enum pdftext_err pdftext_convert(struct pdftext *p, const void *pdf, size_t len,
                                 pdftext_done_fn done, void *data)
{
    CHECK(p != NULL && done != NULL);
    if ((long)len > p->cfg->max_resume_pdf_bytes) return PDFTEXT_TOO_LARGE;
    if (!pdf || !looks_like_pdf(pdf, len)) return PDFTEXT_NOT_PDF;
    if (!p->exe) return PDFTEXT_UNAVAILABLE;
    if (p->running >= p->cfg->pdf_max_concurrent) return PDFTEXT_BUSY;
    struct job *j = xcalloc(1, sizeof *j);
    j->owner = p;
    j->fd = -1;
    if (write_temp(pdf, len, j->path) != 0) {
        log_warn("pdf_temp_failed", "error=\"%s\"", strerror(errno));
        free(j);
        return PDFTEXT_UNAVAILABLE;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        unlink(j->path);
        free(j);
        return PDFTEXT_UNAVAILABLE;
    }
    pid_t pid = fork();
    if (pid == 0) child_exec(p, j->path, fds[1]); /* never returns */
    close(fds[1]);
    if (pid < 0) {
        log_warn("pdf_fork_failed", "error=\"%s\"", strerror(errno));
        close(fds[0]);
        unlink(j->path);
        free(j);
        return PDFTEXT_UNAVAILABLE;
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    j->pid = pid;
    j->fd = fds[0];
    j->done = done;
    j->data = data;
    j->ev = event_new(p->base, j->fd, EV_READ | EV_PERSIST, job_readable, j);
    j->deadline = timer_new(p->base, job_deadline, j);
    j->reap = timer_new(p->base, job_reap, j);
    event_add(j->ev, NULL);
    timer_start(j->deadline, p->cfg->pdf_timeout_ms);
    j->next = p->jobs;
    if (p->jobs) p->jobs->prev = j;
    p->jobs = j;
    p->running++;
    return PDFTEXT_OK;
}

void pdftext_free(struct pdftext *p)
{
    if (!p) return;
    while (p->jobs) {
        struct job *j = p->jobs;
        if (j->pid > 0) {
            kill(j->pid, SIGKILL);
            waitpid(j->pid, &j->status, 0); /* dead at once: SIGKILL cannot be caught */
            j->pid = 0;
        }
        job_end(j, PDFTEXT_CANCELLED);
    }
    free(p->exe);
    free(p);
}

/* ---- base64 (resume_pdf in a JSON registration) ---- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

unsigned char *pdftext_base64_decode(const char *in, size_t *out_len)
{
    size_t n = strlen(in);
    unsigned char *out = xmalloc(n / 4 * 3 + 4);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0, ended = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            ended = 1;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || ended) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out_len = o;
    return out;
}
