/* SPDX-License-Identifier: MIT */
/*
 * dyntablectl: a request that waits (wait, create --wait, delete --wait),
 * run on the async API through the poll adapter, and its progress on
 * stderr for a person at a terminal. The daemon does the waiting and
 * answers once, at the end; meanwhile, on each second without an answer,
 * we describe the table on the same connection (one describe in flight at
 * most) and rewrite one status line: the table's status, its global
 * indexes' and the time elapsed. Nothing is shown when stderr is not a
 * terminal, nor for waits that end within the first second. The line is
 * erased before the answer prints.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dyntable.h"
#include "dyntable_poll.h"

#include "dyntablectl.h"

/*
 * One wait. Freed by progress_wait() when it returns, unless a describe
 * is still in flight: then by that describe's callback, which fires when
 * run_verb() frees the context.
 */
struct progress {
	const struct ctl *ctl;
	progress_answer *answer;
	bool show;	      /* stderr is a terminal, and we were asked */
	bool deleted;	      /* waiting for the table to go */
	bool done;	      /* the answer came (and was printed) */
	bool shown;	      /* a status line is on the terminal */
	bool describing;      /* a describe is in flight */
	bool orphaned;	      /* progress_wait() returned: the describe frees */
	int rc;		      /* the answer's exit code */
	struct timespec t0;   /* when the wait started (CLOCK_MONOTONIC) */
};

/* Appends to buf (size len, holding a string); what does not fit is cut. */
static void progress_add(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
progress_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static long
progress_ms(const struct progress *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - p->t0.tv_sec) * 1000 +
	    (now.tv_nsec - p->t0.tv_nsec) / 1000000;
}

/* A describe's answer: the status line, at most the terminal's width - 1
 * columns (a line that wraps could not be rewritten in place). */
static void
progress_described(dyntable_ctx *c, const dyntable_result *r, void *arg)
{
	struct progress *p = arg;
	const dyntable_table *t = r->table;
	struct winsize ws = { 0 };
	char line[512];

	(void)c;
	p->describing = false;
	if (p->orphaned) {
		free(p);
		return;
	}
	if (p->done)
		return;
	snprintf(line, sizeof line, PROG ": waiting for %s: ",
	    p->ctl->table);
	if (r->status == DYNTABLE_ERR_NOT_FOUND)
		progress_add(line, sizeof line, "%s", p->deleted ? "gone" :
		    "not found yet");
	else if (r->status != DYNTABLE_OK || t == NULL)
		progress_add(line, sizeof line, "status unknown");
	else {
		progress_add(line, sizeof line, "%s", t->status ? t->status :
		    "?");
		for (size_t i = 0; i < t->n_gsi; i++)
			progress_add(line, sizeof line, "%s%s %s", i == 0 ?
			    "; indexes: " : ", ",
			    t->gsi[i].name ? t->gsi[i].name : "?",
			    t->gsi[i].status ? t->gsi[i].status : "?");
	}
	progress_add(line, sizeof line, "; %ld s", progress_ms(p) / 1000);
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col < 2)
		ws.ws_col = 80;
	if (strlen(line) > (size_t)ws.ws_col - 1)
		line[ws.ws_col - 1] = '\0';
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	p->shown = true;
}

/* The wait's answer: erase the line, then print. */
static void
progress_answered(dyntable_ctx *c, const dyntable_result *r, void *arg)
{
	struct progress *p = arg;

	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->done = true;
	p->rc = p->answer(c, p->ctl, r);
}

int
progress_wait(dyntable_ctx *c, const struct ctl *ctl, bool show,
    bool deleted, progress_send *send, progress_answer *answer)
{
	struct progress *p;
	dyntable_status st;
	int rc;

	if ((p = calloc(1, sizeof *p)) == NULL)
		oom();
	*p = (struct progress){ .ctl = ctl, .answer = answer,
		.show = show && ctl->table != NULL && isatty(STDERR_FILENO),
		.deleted = deleted };
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if ((st = (dyntable_status)dyntable_poll_attach(c)) == DYNTABLE_OK)
		st = send(c, ctl, progress_answered, p);
	for (long next = 1000; st == DYNTABLE_OK && !p->done; ) {
		long left = p->show ? next - progress_ms(p) : -1;

		if (p->show && left <= 0) {
			/* A second without an answer: describe, unless the
			 * last describe is still out. */
			if (!p->describing && dyntable_describe_table(c,
			    ctl->table, progress_described, p) ==
			    DYNTABLE_OK)
				p->describing = true;
			next += 1000;
			continue;
		}
		if (dyntable_poll_tick(c, (int)left) < 0 && !p->done)
			st = dyntable_errcode(c) != DYNTABLE_OK ?
			    dyntable_errcode(c) : DYNTABLE_ERR_IO;
	}
	if (!p->done) {
		/* Not sent, or the connection failed without answering
		 * (the library answers pending requests when it can). */
		dyntable_result r = { .status = st,
			.message = dyntable_last_error(c) };

		progress_answered(c, &r, p);
	}
	rc = p->rc;
	if (p->describing)
		p->orphaned = true;
	else
		free(p);
	return rc;
}
