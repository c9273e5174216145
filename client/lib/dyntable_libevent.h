/* SPDX-License-Identifier: MIT */
/*
 * libdyntable adapter for libevent 2, header only.
 *
 *	dyntable_ctx *c = dyntable_connect(NULL);
 *	if (dyntable_errcode(c) || dyntable_libevent_attach(c, base))
 *		...;
 *	dyntable_describe_table(c, "t", cb, NULL);
 *	event_base_dispatch(base);
 *
 * Two persistent events watch the socket, one for reading and one for
 * writing, so a callback that frees the context (which frees both events
 * through the cleanup hook) is never followed by a touch of either.
 */
#ifndef DYNTABLE_LIBEVENT_H
#define DYNTABLE_LIBEVENT_H

#include <stdlib.h>

#include <event2/event.h>

#include "dyntable.h"

/* The adapter's state, the hooks' data. */
typedef struct dyntable_libevent_state {
	dyntable_ctx *ctx;	/* the context served */
	struct event *rev;	/* read readiness, EV_PERSIST */
	struct event *wev;	/* write readiness, EV_PERSIST */
} dyntable_libevent_state;

static inline void
dyntable_libevent_on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dyntable_handle_read(((dyntable_libevent_state *)arg)->ctx);
}

static inline void
dyntable_libevent_on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dyntable_handle_write(((dyntable_libevent_state *)arg)->ctx);
}

static inline void
dyntable_libevent_add_read(void *data)
{
	event_add(((dyntable_libevent_state *)data)->rev, NULL);
}

static inline void
dyntable_libevent_del_read(void *data)
{
	event_del(((dyntable_libevent_state *)data)->rev);
}

static inline void
dyntable_libevent_add_write(void *data)
{
	event_add(((dyntable_libevent_state *)data)->wev, NULL);
}

static inline void
dyntable_libevent_del_write(void *data)
{
	event_del(((dyntable_libevent_state *)data)->wev);
}

/* Frees both events (safe from inside their own callbacks) and the state. */
static inline void
dyntable_libevent_cleanup(void *data)
{
	dyntable_libevent_state *s = (dyntable_libevent_state *)data;

	event_free(s->rev);
	event_free(s->wev);
	free(s);
}

/*
 * Attaches c to base. Returns DYNTABLE_OK (0), or the error (the
 * context's own when it is not connected, DYNTABLE_ERR_USAGE when it is
 * already attached, DYNTABLE_ERR_NOMEM).
 */
static inline int
dyntable_libevent_attach(dyntable_ctx *c, struct event_base *base)
{
	dyntable_libevent_state *s;
	dyntable_hooks h;
	dyntable_status st;
	int fd;

	if (!c || !base)
		return DYNTABLE_ERR_INVALID;
	fd = dyntable_fd(c);
	if (fd < 0)
		return dyntable_errcode(c) != DYNTABLE_OK ?
		    (int)dyntable_errcode(c) : DYNTABLE_ERR_USAGE;
	s = (dyntable_libevent_state *)calloc(1, sizeof *s);
	if (!s)
		return DYNTABLE_ERR_NOMEM;
	s->ctx = c;
	s->rev = event_new(base, fd, EV_READ | EV_PERSIST,
	    dyntable_libevent_on_read, s);
	s->wev = event_new(base, fd, EV_WRITE | EV_PERSIST,
	    dyntable_libevent_on_write, s);
	if (!s->rev || !s->wev) {
		if (s->rev)
			event_free(s->rev);
		if (s->wev)
			event_free(s->wev);
		free(s);
		return DYNTABLE_ERR_NOMEM;
	}
	h.data = s;
	h.add_read = dyntable_libevent_add_read;
	h.del_read = dyntable_libevent_del_read;
	h.add_write = dyntable_libevent_add_write;
	h.del_write = dyntable_libevent_del_write;
	h.cleanup = dyntable_libevent_cleanup;
	st = dyntable_attach(c, &h);
	if (st != DYNTABLE_OK)
		dyntable_libevent_cleanup(s);
	return (int)st;
}

#endif /* DYNTABLE_LIBEVENT_H */
