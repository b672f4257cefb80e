/* pdftext: the text of an untrusted PDF file, read in a child process.
 *
 * The server never parses a PDF itself. pdftext_convert() writes the file to a private
 * temporary file and runs poppler's pdftotext on it in a child limited in time
 * ([limits] pdf_timeout_ms, then SIGKILL; CPU seconds too), address space
 * (pdf_memory_bytes), open files and output (the text may not exceed the resume limit).
 * The child's output is read by a libevent event on a non-blocking pipe and the child is
 * reaped with waitpid(WNOHANG) on a timer, so the event loop never waits for it. At
 * most pdf_max_concurrent children run at once; a request beyond that is refused
 * (PDFTEXT_BUSY) rather than queued. */
#ifndef API_PDFTEXT_H
#define API_PDFTEXT_H

#include <stddef.h>

struct event_base;
struct config;
struct pdftext;

enum pdftext_err {
    PDFTEXT_OK = 0,
    PDFTEXT_NOT_PDF,       /* 422 not_a_pdf: the bytes do not start like a PDF */
    PDFTEXT_TOO_LARGE,     /* 413 pdf_too_large: the file is over max_resume_pdf_bytes */
    PDFTEXT_TEXT_TOO_LONG, /* 413 resume_too_long: its text is over max_resume_bytes */
    PDFTEXT_NO_TEXT,       /* 422 pdf_no_text: no text (a scan, images only) */
    PDFTEXT_UNREADABLE,    /* 422 pdf_unreadable: damaged, encrypted, or the reader failed */
    PDFTEXT_TIMEOUT,       /* 422 pdf_unreadable: the reader ran out of time or memory */
    PDFTEXT_BUSY,          /* 503 busy: pdf_max_concurrent files are being read */
    PDFTEXT_UNAVAILABLE,   /* 503 pdf_unavailable: pdftotext missing, or no child process */
    PDFTEXT_CANCELLED,     /* the reader was freed before the child finished */
};

/* HTTP status, stable code and a sentence a person can act on, for each error. */
int pdftext_status(enum pdftext_err e);
const char *pdftext_code(enum pdftext_err e);
const char *pdftext_message(enum pdftext_err e);

/* Called once per started conversion: text (NUL-terminated, valid UTF-8, borrowed for the
 * call) when err is PDFTEXT_OK, else NULL. */
typedef void (*pdftext_done_fn)(enum pdftext_err err, const char *text, void *data);

/* The reader, with pdftotext looked up once on PATH (absent: every conversion answers
 * PDFTEXT_UNAVAILABLE). */
struct pdftext *pdftext_new(struct event_base *base, const struct config *cfg);
/* Kills and reaps children still running; their callbacks get PDFTEXT_CANCELLED. */
void pdftext_free(struct pdftext *p);

/* Starts reading pdf (len bytes, copied). Returns PDFTEXT_OK when done will be called
 * later (never before this returns), else the error, and done is not called. */
enum pdftext_err pdftext_convert(struct pdftext *p, const void *pdf, size_t len,
                                 pdftext_done_fn done, void *data);

/* Children running now (for tests and logs). */
int pdftext_running(const struct pdftext *p);

/* Decodes standard base64 (whitespace ignored, padding optional) into a new buffer of
 * *out_len bytes (caller frees); NULL on a character outside the alphabet. */
unsigned char *pdftext_base64_decode(const char *in, size_t *out_len);

#endif
