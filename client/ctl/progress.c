/* SPDX-License-Identifier: MIT */
/*
 * dyntablectl: progress of a long wait, on stderr, for a person at a
 * terminal. The daemon does the waiting and answers once, at the end;
 * meanwhile a thread of ours, on a connection of its own, describes the
 * table every second (from the first second on) and rewrites one status
 * line: the table's status, its global indexes' and the time elapsed.
 * Nothing is shown when stderr is not a terminal, nor for waits that end
 * within the first second. The line is erased before the answer prints.
 *
 * The thread owns its connection; progress_stop() (print_result(), before
 * it prints the answer) only tells it to stop and erases the line, under the lock that every write to the terminal
 * takes, so nothing of ours is written after it returns. The thread is
 * detached: a describe still in flight when the wait ends does not delay
 * the exit.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dyntable.h"

#include "dyntablectl.h"

#define PROGRESS_FIRST_S 1 /* silent for waits shorter than this */

struct progress {
	pthread_mutex_t mu;
	pthread_cond_t cv;    /* signalled by progress_stop() */
	bool stop;	      /* the wait is over: write nothing more */
	bool shown;	      /* a status line is on the terminal */
	unsigned refs;	      /* the thread's and the caller's */
	char *path, *ns, *session; /* the connection's options, copies */
	char *table;
	bool deleted;	      /* waiting for the table to go */
	struct timespec t0;   /* when the wait started (CLOCK_MONOTONIC) */
};

static void
progress_unref(struct progress *p)
{
	bool last;

	pthread_mutex_lock(&p->mu);
	last = --p->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->path);
	free(p->ns);
	free(p->session);
	free(p->table);
	free(p);
}

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

/* The status line for a describe's answer r, at most width - 1 columns
 * (a line that wraps could not be rewritten in place). */
static void
progress_line(const struct progress *p, const dyntable_result *r,
    long secs, char *buf, size_t len, size_t width)
{
	const dyntable_table *t = r != NULL ? r->table : NULL;

	snprintf(buf, len, PROG ": waiting for %s: ", p->table);
	if (r == NULL || (r->status != DYNTABLE_OK &&
	    r->status != DYNTABLE_ERR_NOT_FOUND))
		progress_add(buf, len, "status unknown");
	else if (r->status == DYNTABLE_ERR_NOT_FOUND)
		progress_add(buf, len, "%s", p->deleted ? "gone" :
		    "not found yet");
	else {
		progress_add(buf, len, "%s", t != NULL && t->status != NULL ?
		    t->status : "?");
		for (size_t i = 0; t != NULL && i < t->n_gsi; i++)
			progress_add(buf, len, "%s%s %s", i == 0 ?
			    "; indexes: " : ", ",
			    t->gsi[i].name ? t->gsi[i].name : "?",
			    t->gsi[i].status ? t->gsi[i].status : "?");
	}
	progress_add(buf, len, "; %ld s", secs);
	if (width > 1 && strlen(buf) > width - 1)
		buf[width - 1] = '\0';
}

static long
progress_elapsed(const struct progress *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - p->t0.tv_sec);
}

/* Sleeps until the next whole second of the wait, or a stop; true while
 * not stopped. */
static bool
progress_sleep(struct progress *p, long secs)
{
	struct timespec until = p->t0;
	bool go;

	until.tv_sec += secs;
	pthread_mutex_lock(&p->mu);
	while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &until) ==
	    0)
		;
	go = !p->stop;
	pthread_mutex_unlock(&p->mu);
	return go;
}

static void *
progress_run(void *arg)
{
	struct progress *p = arg;
	dyntable_connect_options o = { p->path, p->ns, p->session };
	dyntable_ctx *c = NULL;
	char line[512];

	for (long next = PROGRESS_FIRST_S; progress_sleep(p, next); next++) {
		dyntable_result *r = NULL;
		struct winsize ws = { 0 };

		if (c == NULL && (c = dyntable_connect_opts(&o)) != NULL &&
		    dyntable_errcode(c) != DYNTABLE_OK) {
			dyntable_free(c);
			c = NULL;
		}
		if (c != NULL)
			r = dyntable_sync_describe_table(c, p->table);
		if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) != 0)
			ws.ws_col = 80;
		progress_line(p, r, progress_elapsed(p), line, sizeof line,
		    ws.ws_col);
		dyntable_result_free(r);
		pthread_mutex_lock(&p->mu);
		if (!p->stop) {
			fprintf(stderr, "\r\033[K%s", line);
			fflush(stderr);
			p->shown = true;
		}
		pthread_mutex_unlock(&p->mu);
	}
	dyntable_free(c);
	progress_unref(p);
	return NULL;
}

struct progress *
progress_start(const struct ctl *ctl, const dyntable_connect_options *conn,
    bool deleted)
{
	struct progress *p;
	pthread_condattr_t ca;
	pthread_t th;

	if (!isatty(STDERR_FILENO) || ctl->table == NULL ||
	    (p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->refs = 2;
	p->deleted = deleted;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if ((conn->path && !(p->path = strdup(conn->path))) ||
	    (conn->ns && !(p->ns = strdup(conn->ns))) ||
	    (conn->session && !(p->session = strdup(conn->session))) ||
	    !(p->table = strdup(ctl->table)) ||
	    pthread_condattr_init(&ca) != 0) {
		free(p->path);
		free(p->ns);
		free(p->session);
		free(p->table);
		free(p);
		return NULL; /* no progress line: not worth failing for */
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&p->mu, NULL);
	if (pthread_create(&th, NULL, progress_run, p) != 0) {
		p->refs = 1;
		progress_unref(p);
		return NULL;
	}
	pthread_detach(th);
	return p;
}

void
progress_stop(struct progress *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (!p->stop && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->stop = true;
	p->shown = false;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	progress_stop(p);
	progress_unref(p);
}
