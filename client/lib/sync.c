/*
 * libdyntable: the blocking API. Each call submits the request through the
 * same path as the async API, with an internal "take" callback that keeps
 * the result, then runs a private poll() loop on the socket until that
 * callback has fired. Other pending async requests of an unattached
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

dyntable_result *
dyntable_sync_create_table(dyntable_ctx *c, const dyntable_table_def *def,
    const dyntable_wait_opts *wait)
{
	dtc_args a = {
		.def = def,
		.wait = wait != NULL,
		.timeout_ms = wait ? wait->timeout_ms : 0,
		.table_only = wait ? wait->table_only : false,
	};

	return sync_run(c, DYNTABLE_OP_CREATE_TABLE, &a);
}

dyntable_result *
dyntable_sync_create_table_json(dyntable_ctx *c, const char *create_table_input,
    const dyntable_wait_opts *wait)
{
	dtc_args a = {
		.src = DTC_SRC_INPUT,
		.input = create_table_input,
		.wait = wait != NULL,
		.timeout_ms = wait ? wait->timeout_ms : 0,
		.table_only = wait ? wait->table_only : false,
	};

	return sync_run(c, DYNTABLE_OP_CREATE_TABLE, &a);
}

dyntable_result *
dyntable_sync_describe_table(dyntable_ctx *c, const char *name)
{
	dtc_args a = { .name = name };

	return sync_run(c, DYNTABLE_OP_DESCRIBE_TABLE, &a);
}

dyntable_result *
dyntable_sync_table_exists(dyntable_ctx *c, const char *name)
{
	dtc_args a = { .name = name };

	return sync_run(c, DYNTABLE_OP_TABLE_EXISTS, &a);
}

dyntable_result *
dyntable_sync_list_tables(dyntable_ctx *c)
{
	dtc_args a = { 0 };

	return sync_run(c, DYNTABLE_OP_LIST_TABLES, &a);
}

dyntable_result *
dyntable_sync_delete_table(dyntable_ctx *c, const char *name,
    const dyntable_wait_opts *wait)
{
	dtc_args a = {
		.name = name,
		.wait = wait != NULL,
		.timeout_ms = wait ? wait->timeout_ms : 0,
		.table_only = wait ? wait->table_only : false,
	};

	return sync_run(c, DYNTABLE_OP_DELETE_TABLE, &a);
}

dyntable_result *
dyntable_sync_wait_for_table_active(dyntable_ctx *c, const char *name,
    unsigned timeout_ms)
{
	dtc_args a = { .name = name, .timeout_ms = timeout_ms };

	return sync_run(c, DYNTABLE_OP_WAIT_TABLE_ACTIVE, &a);
}

dyntable_result *
dyntable_sync_wait_for_table_deleted(dyntable_ctx *c, const char *name,
    unsigned timeout_ms)
{
	dtc_args a = { .name = name, .timeout_ms = timeout_ms };

	return sync_run(c, DYNTABLE_OP_WAIT_TABLE_DELETED, &a);
}

dyntable_result *
dyntable_sync_wait_for_table_active_opts(dyntable_ctx *c, const char *name,
    const dyntable_wait_opts *w)
{
	dtc_args a = {
		.name = name,
		.timeout_ms = w ? w->timeout_ms : 0,
		.table_only = w ? w->table_only : false,
	};

	return sync_run(c, DYNTABLE_OP_WAIT_TABLE_ACTIVE, &a);
}

dyntable_result *
dyntable_sync_list_all_tables(dyntable_ctx *c)
{
	dtc_args a = { .all = true };

	return sync_run(c, DYNTABLE_OP_LIST_TABLES, &a);
}

dyntable_result *
dyntable_sync_daemon_status(dyntable_ctx *c)
{
	dtc_args a = { 0 };

	return sync_run(c, DYNTABLE_OP_STATUS, &a);
}

dyntable_result *
dyntable_sync_reap(dyntable_ctx *c)
{
	dtc_args a = { 0 };

	return sync_run(c, DYNTABLE_OP_REAP, &a);
}

dyntable_result *
dyntable_sync_model_create_table(dyntable_ctx *c, const dyntable_model *m,
    const dyntable_table_options *opts, const dyntable_wait_opts *wait)
{
	dtc_args a = {
		.src = DTC_SRC_MODEL,
		.model = m,
		.opts = opts,
		.wait = wait != NULL,
		.timeout_ms = wait ? wait->timeout_ms : 0,
		.table_only = wait ? wait->table_only : false,
	};

	return sync_run(c, DYNTABLE_OP_CREATE_TABLE, &a);
}

dyntable_result *
dyntable_sync_model_table_exists(dyntable_ctx *c, const dyntable_model *m)
{
	dtc_args a = {
		.src = DTC_SRC_MODEL,
		.model = m,
		.name = m ? m->table_name : NULL,
	};

	return sync_run(c, DYNTABLE_OP_TABLE_EXISTS, &a);
}

dyntable_result *
dyntable_sync_model_delete_table(dyntable_ctx *c, const dyntable_model *m,
    const dyntable_wait_opts *wait)
{
	dtc_args a = {
		.src = DTC_SRC_MODEL,
		.model = m,
		.name = m ? m->table_name : NULL,
		.wait = wait != NULL,
		.timeout_ms = wait ? wait->timeout_ms : 0,
		.table_only = wait ? wait->table_only : false,
	};

	return sync_run(c, DYNTABLE_OP_DELETE_TABLE, &a);
}
