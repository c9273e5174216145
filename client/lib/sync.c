/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: the blocking API. Each call submits the request through the
 * same path as the async API, with an internal "take" callback that keeps
 * the result, then runs a private poll() loop on the socket until that
 * callback has fired; the entry points are DTC_REQUESTS's rows (one
 * list with the async API). Other pending async requests of an unattached
 * context are served by the same loop.
 */
#include <stdbool.h>
#include <stdio.h>

#include "client_internal.h"

/* Where the take callback leaves the answer. */
typedef struct sync_slot {
	bool done;		/* the callback fired */
	dyntable_result *r;	/* its result, now ours; NULL: no memory */
} sync_slot;

static void
sync_take(dyntable_ctx *c, dyntable_result *r, void *privdata)
{
	sync_slot *s = privdata;

	(void)c;
	s->r = r;
	s->done = true;
}

/*
 * Sends op and waits for its answer without a deadline (the daemon owns
 * wait deadlines). Returns the result, owned by the caller; NULL only when
 * out of memory. If a callback run meanwhile frees the context, the
 * answer is DISCONNECTED and the context is gone when this returns.
 */
static dyntable_result *
sync_run(dyntable_ctx *c, dyntable_op op, const dtc_args *a)
{
	char err[DTC_LASTERR_LEN];
	sync_slot slot = { 0 };
	uint32_t id;

	if (!c)
		return dtc_result_error(op, DYNTABLE_ERR_INVALID,
		    "context is NULL");
	if (c->attached) {
		snprintf(c->last_error, sizeof c->last_error, "blocking call "
		    "on a context attached to an event loop");
		return dtc_result_error(op, DYNTABLE_ERR_USAGE,
		    c->last_error);
	}

	dtc_enter(c);
	dyntable_status st = dtc_submit(c, op, a, NULL, sync_take, &slot, &id,
	    err, sizeof err);
	if (st != DYNTABLE_OK) {
		dtc_leave(c);
		return dtc_result_error(op, st, err);
	}
	while (!slot.done) {
		if (c->freeing || c->err != DYNTABLE_OK) {
			/* A callback freed the context (or it died without
			 * answering us, which cannot happen): answer now. */
			if (!dtc_cancel(c, id, DYNTABLE_ERR_DISCONNECTED,
			    c->freeing ? "context freed" : c->errstr))
				slot.r = dtc_result_error(op,
				    DYNTABLE_ERR_DISCONNECTED, c->errstr);
			break;
		}
		dtc_poll_once(c, -1);
	}
	dtc_leave(c); /* may free c */
	return slot.r;
}

/* One definition per row of DTC_REQUESTS (client_internal.h). */
#define DTC_SYNC(name, OP, PARAMS, ARGS)                                   \
	dyntable_result *                                                  \
	dyntable_sync_##name(DTC_UNPAREN(PARAMS))                         \
	{                                                                  \
		const dtc_args a = { DTC_UNPAREN(ARGS) };                  \
                                                                           \
		return sync_run(c, DYNTABLE_OP_##OP, &a);                  \
	}
DTC_REQUESTS(DTC_SYNC)
