/* SPDX-License-Identifier: MIT */
/*
 * libdyntable adapter for a plain poll() loop, header only.
 *
 *	dyntable_ctx *c = dyntable_connect(NULL);
 *	if (dyntable_errcode(c) || dyntable_poll_attach(c))
 *		...;
 *	dyntable_describe_table(c, "t", cb, NULL);
 *	while (!done)
 *		dyntable_poll_tick(c, 1000);
 *
 * dyntable_poll_tick() waits for the context's socket (up to timeout_ms;
 * -1 forever) and handles what is ready. A callback run by a tick may free
 * the context; the tick notices and does not touch it again.
 */
#ifndef DYNTABLE_POLL_H
#define DYNTABLE_POLL_H

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "dyntable.h"

#define DYNTABLE_POLL_MAGIC 0x64747030u /* "dtp0" */

/* The adapter's state, the hooks' data. */
typedef struct dyntable_poll_state {
	unsigned magic;		/* DYNTABLE_POLL_MAGIC: ours */
	int reading;		/* the library wants read readiness */
	int writing;		/* the library wants write readiness */
	int in_tick;		/* dyntable_poll_tick() frames running */
	int deleted;		/* cleanup during a tick: free after it */
} dyntable_poll_state;

static inline void
dyntable_poll_add_read(void *data)
{
	((dyntable_poll_state *)data)->reading = 1;
}

static inline void
dyntable_poll_del_read(void *data)
{
	((dyntable_poll_state *)data)->reading = 0;
}

static inline void
dyntable_poll_add_write(void *data)
{
	((dyntable_poll_state *)data)->writing = 1;
}

static inline void
dyntable_poll_del_write(void *data)
{
	((dyntable_poll_state *)data)->writing = 0;
}

/* The context is going away: free the state, after the tick if in one. */
static inline void
dyntable_poll_cleanup(void *data)
{
	dyntable_poll_state *s = (dyntable_poll_state *)data;

	s->reading = s->writing = 0;
	if (s->in_tick > 0)
		s->deleted = 1;
	else
		free(s);
}

/*
 * Attaches c to the poll adapter. Returns DYNTABLE_OK (0), or the error
 * (the context's own when it is not connected, DYNTABLE_ERR_USAGE when it
 * is already attached, DYNTABLE_ERR_NOMEM).
 */
static inline int
dyntable_poll_attach(dyntable_ctx *c)
{
	dyntable_poll_state *s;
	dyntable_hooks h;
	dyntable_status st;

	if (!c)
		return DYNTABLE_ERR_INVALID;
	s = (dyntable_poll_state *)calloc(1, sizeof *s);
	if (!s)
		return DYNTABLE_ERR_NOMEM;
	s->magic = DYNTABLE_POLL_MAGIC;
	h.data = s;
	h.add_read = dyntable_poll_add_read;
	h.del_read = dyntable_poll_del_read;
	h.add_write = dyntable_poll_add_write;
	h.del_write = dyntable_poll_del_write;
	h.cleanup = dyntable_poll_cleanup;
	st = dyntable_attach(c, &h);
	if (st != DYNTABLE_OK)
		free(s);
	return (int)st;
}

/*
 * Waits up to timeout_ms for c's socket and handles what is ready.
 * Returns 1 when something was handled (callbacks may have run, c may
 * have been freed by one of them), 0 on timeout or a signal, -1 when c is
 * not attached with dyntable_poll_attach(), not connected (see
 * dyntable_errcode()), or poll() failed.
 */
static inline int
dyntable_poll_tick(dyntable_ctx *c, int timeout_ms)
{
	dyntable_poll_state *s = (dyntable_poll_state *)dyntable_hooks_data(c);
	struct pollfd p;
	int n;

	if (!s || s->magic != DYNTABLE_POLL_MAGIC || dyntable_fd(c) < 0)
		return -1;
	p.fd = dyntable_fd(c);
	p.events = (short)((s->reading ? POLLIN : 0) |
	    (s->writing ? POLLOUT : 0));
	p.revents = 0;
	if (p.events == 0)
		return -1;
	n = poll(&p, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0)
		return 0;
	s->in_tick++;
	if (s->reading && (p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		dyntable_handle_read(c);
	if (!s->deleted && s->writing && (p.revents & (POLLOUT | POLLERR)))
		dyntable_handle_write(c);
	if (--s->in_tick == 0 && s->deleted)
		free(s); /* c is gone too */
	return 1;
}

#endif /* DYNTABLE_POLL_H */
