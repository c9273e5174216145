/*
 * ops.c: the operations of PROTOCOL.md §3, as DynamoDB calls.
 *
 * Each handler checks its arguments (refusing unknown ones), then issues
 * one upstream call whose callback answers the request, or hands it to
 * wait.c. A request's upcall pointer is set while a call is in flight so
 * that ops_abandon() can cancel it when the client goes away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtp_json.h"
#include "dyntabled.h"

/* Arguments each op accepts; anything else is refused. */
static const char *const ops_args_name[] = { "name", NULL };
static const char *const ops_args_wait[] = { "name", "timeout_ms", NULL };
static const char *const ops_args_delete[] = { "name", "wait", "timeout_ms",
	NULL };
static const char *const ops_args_create[] = { "table", "wait", "timeout_ms",
	NULL };
static const char *const ops_args_none[] = { NULL };

/* Refuses any key of args not in allowed. */
static bool
ops_check_keys(struct req *r, const msgpack_object *args,
    const char *const *allowed)
{
	if (args == NULL)
		return true;
	for (uint32_t i = 0; i < args->via.map.size; i++) {
		const msgpack_object *k = &args->via.map.ptr[i].key;
		size_t j;

		for (j = 0; allowed[j] != NULL; j++)
			if (dtp_str_eq(k, allowed[j]))
				break;
		if (allowed[j] == NULL) {
			char name[64] = "?";

			if (k->type == MSGPACK_OBJECT_STR)
				snprintf(name, sizeof(name), "%.*s",
				    (int)(k->via.str.size < 60 ?
				    k->via.str.size : 60), k->via.str.ptr);
			req_reply_error(r, DTP_E_INVALID, NULL,
			    "unknown argument \"%s\" for %s", name,
			    dtp_op_name(r->op));
			return false;
		}
	}
	return true;
}

/* Reads args.name into r->table after checking it is a table name. */
static bool
ops_get_name(struct req *r, const msgpack_object *args)
{
	const msgpack_object *v = dtp_map_get(args, "name");

	if (v == NULL) {
		req_reply_error(r, DTP_E_INVALID, NULL, "name: missing");
		return false;
	}
	if (!dtp_strcpy(v, r->table, sizeof(r->table)) ||
	    !ddb_valid_name(r->table, strlen(r->table))) {
		req_reply_error(r, DTP_E_INVALID, NULL, "name: a table name is "
		    "3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'");
		return false;
	}
	return true;
}

/* Reads the optional wait and timeout_ms arguments into r. */
static bool
ops_get_wait(struct server *srv, struct req *r, const msgpack_object *args,
    bool wait_default)
{
	const msgpack_object *w = dtp_map_get(args, "wait");
	const msgpack_object *t = dtp_map_get(args, "timeout_ms");
	uint64_t ms = 0;

	r->wait = wait_default;
	if (w != NULL && !dtp_get_bool(w, &r->wait)) {
		req_reply_error(r, DTP_E_INVALID, NULL, "wait: must be a bool");
		return false;
	}
	if (t != NULL && !dtp_get_uint(t, &ms)) {
		req_reply_error(r, DTP_E_INVALID, NULL,
		    "timeout_ms: must be a non-negative integer");
		return false;
	}
	if (ms == 0)
		ms = srv->cfg.wait_default_ms;
	if (ms > srv->cfg.wait_max_ms)
		ms = srv->cfg.wait_max_ms;
	r->timeout_ms = (unsigned)ms;
	return true;
}

/* Sends one DynamoDB call for r; answers r on failure to start. */
static void
ops_call(struct server *srv, struct req *r, const char *operation,
    json_t *body, upstream_cb *cb)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (text == NULL ||
	    (r->upcall = upstream_call(srv->up, operation, text, cb, r)) ==
	    NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
	free(text);
}

/* {"TableName": r->table} */
static json_t *
ops_name_body(const struct req *r)
{
	return json_pack("{s:s}", "TableName", r->table);
}

/* Replies {"table": desc}. */
static void
ops_reply_table(struct req *r, const json_t *desc)
{
	json_t *res = json_pack("{s:O}", "table", desc != NULL ? desc :
	    json_null());

	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	req_reply_ok(r, res);
	json_decref(res);
}

/* Takes the object member key of a successful reply, or answers r with
 * an error and returns NULL. */
static const json_t *
ops_member(struct req *r, const upstream_reply *ur, const char *key)
{
	const json_t *v = json_object_get(ur->body, key);

	if (!json_is_object(v)) {
		req_reply_error(r, DTP_E_UPSTREAM, NULL,
		    "DynamoDB's reply has no %s object", key);
		return NULL;
	}
	return v;
}

static bool
ops_ok(const upstream_reply *ur)
{
	return !ur->transport_error && ur->http_status == 200 &&
	    ur->aws_type == NULL && ur->body != NULL;
}

/* ---- describe_table, table_exists ------------------------------------- */

static void
ops_describe_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *desc;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "Table")) != NULL)
		ops_reply_table(r, desc);
}

static void
ops_exists_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *desc;
	json_t *res;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		if (ur->aws_type != NULL &&
		    ddb_error_code(ur->aws_type) == DTP_E_NOT_FOUND) {
			res = json_pack("{s:b}", "exists", 0);
			goto reply;
		}
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "Table")) == NULL)
		return;
	res = json_pack("{s:b,s:s?}", "exists", 1, "status",
	    ddb_table_status(desc));
reply:
	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	req_reply_ok(r, res);
	json_decref(res);
}

/* ---- list_tables ------------------------------------------------------- */

static void ops_list_page(struct server *srv, struct req *r,
    const char *start);

/* One page arrived: keep its names, fetch the next or answer. */
static void
ops_list_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *names, *last;
	json_t *res;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	names = json_object_get(ur->body, "TableNames");
	if (!json_is_array(names) ||
	    json_array_extend(r->acc, (json_t *)names) != 0) {
		req_reply_error(r, DTP_E_UPSTREAM, NULL,
		    "DynamoDB's ListTables reply has no TableNames list");
		return;
	}
	last = json_object_get(ur->body, "LastEvaluatedTableName");
	if (json_is_string(last)) {
		ops_list_page(r->srv, r, json_string_value(last));
		return;
	}
	res = json_pack("{s:O}", "tables", r->acc);
	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	req_reply_ok(r, res);
	json_decref(res);
}

static void
ops_list_page(struct server *srv, struct req *r, const char *start)
{
	json_t *body = start != NULL ?
	    json_pack("{s:s}", "ExclusiveStartTableName", start) :
	    json_object();

	if (body == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	ops_call(srv, r, "ListTables", body, ops_list_done);
}

/* ---- create_table, delete_table ------------------------------------------ */

static void
ops_create_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *desc;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "TableDescription")) == NULL)
		return;
	log_info("created table %s (%s)", r->table, ddb_table_status(desc));
	/* An emulator may answer ACTIVE at once: then there is no wait. */
	if (r->wait && !ddb_table_active(desc))
		wait_start(r->srv->waits, r, WAIT_ACTIVE);
	else
		ops_reply_table(r, desc);
}

static void
ops_create(struct server *srv, struct req *r, const msgpack_object *args)
{
	const msgpack_object *t = dtp_map_get(args, "table");
	char err[256];
	json_t *in;

	if (!ops_check_keys(r, args, ops_args_create) ||
	    !ops_get_wait(srv, r, args, false))
		return;
	if (t == NULL || t->type != MSGPACK_OBJECT_MAP) {
		req_reply_error(r, DTP_E_INVALID, NULL,
		    "table: missing, or not a map");
		return;
	}
	if ((in = dtp_to_json(t, err, sizeof(err))) == NULL) {
		req_reply_error(r, DTP_E_INVALID, NULL, "table: %s", err);
		return;
	}
	if (ddb_check_create(in, err, sizeof(err)) != 0) {
		json_decref(in);
		req_reply_error(r, DTP_E_INVALID, NULL, "%s", err);
		return;
	}
	snprintf(r->table, sizeof(r->table), "%s",
	    json_string_value(json_object_get(in, "TableName")));
	ops_call(srv, r, "CreateTable", in, ops_create_done);
}

static void
ops_delete_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *desc;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "TableDescription")) == NULL)
		return;
	log_info("deleting table %s", r->table);
	if (!r->wait) {
		ops_reply_table(r, desc);
		return;
	}
	r->acc = json_deep_copy(desc); /* the answer once the wait ends */
	wait_start(r->srv->waits, r, WAIT_DELETED);
}

/* ---- entry points ------------------------------------------------------ */

void
ops_dispatch(struct server *srv, struct req *r, const msgpack_object *args)
{
	switch (r->op) {
	case DTP_OP_CREATE_TABLE:
		ops_create(srv, r, args);
		return;
	case DTP_OP_DESCRIBE_TABLE:
	case DTP_OP_TABLE_EXISTS:
		if (ops_check_keys(r, args, ops_args_name) &&
		    ops_get_name(r, args))
			ops_call(srv, r, "DescribeTable", ops_name_body(r),
			    r->op == DTP_OP_DESCRIBE_TABLE ? ops_describe_done :
			    ops_exists_done);
		return;
	case DTP_OP_LIST_TABLES:
		if (!ops_check_keys(r, args, ops_args_none))
			return;
		if ((r->acc = json_array()) == NULL) {
			req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
			return;
		}
		ops_list_page(srv, r, NULL);
		return;
	case DTP_OP_DELETE_TABLE:
		if (ops_check_keys(r, args, ops_args_delete) &&
		    ops_get_name(r, args) && ops_get_wait(srv, r, args, false))
			ops_call(srv, r, "DeleteTable", ops_name_body(r),
			    ops_delete_done);
		return;
	case DTP_OP_WAIT_TABLE_ACTIVE:
	case DTP_OP_WAIT_TABLE_DELETED:
		if (ops_check_keys(r, args, ops_args_wait) &&
		    ops_get_name(r, args) && ops_get_wait(srv, r, args, true))
			wait_start(srv->waits, r,
			    r->op == DTP_OP_WAIT_TABLE_ACTIVE ? WAIT_ACTIVE :
			    WAIT_DELETED);
		return;
	case DTP_OP_HELLO:
	case DTP_OP_COUNT:
	default:
		req_reply_error(r, DTP_E_INVALID, NULL, "operation %s is not "
		    "served here", dtp_op_name(r->op));
		return;
	}
}

void
ops_abandon(struct req *r)
{
	if (r->upcall != NULL) {
		upstream_cancel(r->upcall);
		r->upcall = NULL;
	}
	if (r->waiter != NULL) {
		wait_cancel(r->waiter);
		r->waiter = NULL;
	}
}

void
ops_wait_done(struct req *r, const json_t *desc)
{
	switch (r->op) {
	case DTP_OP_CREATE_TABLE:
	case DTP_OP_WAIT_TABLE_ACTIVE:
		ops_reply_table(r, desc);
		break;
	case DTP_OP_DELETE_TABLE:
		ops_reply_table(r, r->acc);
		break;
	default:
		req_reply_ok(r, NULL);
		break;
	}
}
