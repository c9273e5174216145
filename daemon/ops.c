/* SPDX-License-Identifier: MIT */
/*
 * ops.c: the operations of PROTOCOL.md §3.
 *
 * Every operation is a row of DTP_OPS (proto/dtp_ops.h): the arguments it
 * accepts, whether it is for admins, whether it changes a table, and its
 * handler here. ops_dispatch() decodes a request's arguments in one pass
 * against its row (unknown ones refused, types checked), resolves the
 * table name in the connection's namespace and checks the access policy,
 * then calls the handler with the decoded arguments.
 *
 * A handler makes one DynamoDB call (dynamo.h) whose callback answers the
 * request, or hands it to a wait (wait.h), the mutation limiter
 * (mutations.h) or the ephemeral tables (ephemeral.h), each of which
 * calls back here. The request keeps a pointer to whatever runs for it
 * so that ops_abandon() can stop it when the client goes away.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "ddb.h"
#include "dtp_json.h"
#include "dynamo.h"
#include "ephemeral.h"
#include "log.h"
#include "metrics.h"
#include "mutations.h"
#include "namespace.h"
#include "ops.h"
#include "pools.h"
#include "req.h"
#include "server.h"
#include "sessions.h"
#include "truncate.h"
#include "upstream.h"
#include "wait.h"

/* What an argument of a row's ARGS column stands for. */
#define OPA_NAME       0x01 /* "name": a table name, required */
#define OPA_WAIT       0x02 /* "wait": bool, and "timeout_ms" */
#define OPA_TIMEOUT    0x04 /* "timeout_ms": uint, 0 the default */
#define OPA_TABLE_ONLY 0x08 /* "table_only": bool */
#define OPA_ALL	       0x10 /* "all": bool */
#define OPA_EPHEMERAL  0x20 /* "ephemeral": bool */
#define OPA_DEFINITION 0x40 /* "table": a CreateTableInput map, required */
#define OPA_FORCE      0x1000 /* "force": bool */
#define OPA_LOGICAL    0x2000 /* "name": a table name, optional */
#define OPA_POOLED     0x4000 /* "pooled_only": bool */
#define OPA_UPDATE     0x80 /* "update": an UpdateTableInput map, required */
#define OPA_TTL	       0x100 /* "time_to_live": a map, required */
#define OPA_TAGS       0x200 /* "tags": a list of {Key, Value}, required */
#define OPA_TAG_KEYS   0x400 /* "tag_keys": a list of strings, required */
#define OPA_PITR       0x800 /* "point_in_time_recovery": a map, required */

/* A row's FLAGS column. */
#define OPF_ADMIN   0x1 /* root, the daemon's user, [access] admins only */
#define OPF_MUTATES 0x2 /* changes a table: the mutation limiter */

/* The arguments of a request, decoded. */
struct op_args {
	const msgpack_object *name;	  /* OPA_NAME */
	const msgpack_object *definition; /* OPA_DEFINITION */
	const msgpack_object *doc;	  /* OPA_UPDATE, _TTL, _TAGS,
					     _TAG_KEYS, _PITR: the one a row
					     takes */
	bool wait, table_only, all, ephemeral;
	bool force;			  /* OPA_FORCE */
	const msgpack_object *logical;	  /* OPA_LOGICAL */
	bool pooled_only;		  /* OPA_POOLED */
	uint64_t timeout_ms;
};

enum op_arg_type { OPT_STR, OPT_BOOL, OPT_UINT, OPT_MAP, OPT_ARRAY };

static const struct op_arg {
	const char *key;
	unsigned bits;		/* accepted by a row with any of these */
	enum op_arg_type type;
	size_t at;		/* where in struct op_args it goes */
	bool required;		/* a row that takes it needs it */
	const char *want;	/* what the type error says */
} op_arg_keys[] = {
#define OP_ARG(key, bits, type, field, req, want) \
	{ key, bits, type, offsetof(struct op_args, field), req, want }
	OP_ARG("name", OPA_NAME, OPT_STR, name, true, "must be a string"),
	OP_ARG("wait", OPA_WAIT, OPT_BOOL, wait, false, "must be a bool"),
	OP_ARG("timeout_ms", OPA_WAIT | OPA_TIMEOUT, OPT_UINT, timeout_ms,
	    false, "must be a non-negative integer"),
	OP_ARG("table_only", OPA_TABLE_ONLY, OPT_BOOL, table_only, false,
	    "must be a bool"),
	OP_ARG("all", OPA_ALL, OPT_BOOL, all, false, "must be a bool"),
	OP_ARG("ephemeral", OPA_EPHEMERAL, OPT_BOOL, ephemeral, false,
	    "must be a bool"),
	OP_ARG("table", OPA_DEFINITION, OPT_MAP, definition, true,
	    "must be a map"),
	OP_ARG("update", OPA_UPDATE, OPT_MAP, doc, true, "must be a map"),
	OP_ARG("time_to_live", OPA_TTL, OPT_MAP, doc, true, "must be a map"),
	OP_ARG("tags", OPA_TAGS, OPT_ARRAY, doc, true, "must be a list"),
	OP_ARG("tag_keys", OPA_TAG_KEYS, OPT_ARRAY, doc, true,
	    "must be a list"),
	OP_ARG("point_in_time_recovery", OPA_PITR, OPT_MAP, doc, true,
	    "must be a map"),
	OP_ARG("force", OPA_FORCE, OPT_BOOL, force, false, "must be a bool"),
	OP_ARG("name", OPA_LOGICAL, OPT_STR, logical, false,
	    "must be a string"),
	OP_ARG("pooled_only", OPA_POOLED, OPT_BOOL, pooled_only, false,
	    "must be a bool"),
#undef OP_ARG
};

typedef void op_handler(struct server *srv, struct req *r,
    const struct op_args *a);

#define OP_DECLARE(e, name, args, flags, handler) \
	static op_handler ops_##handler;
DTP_OPS(OP_DECLARE)
#undef OP_DECLARE

static const struct op_def {
	unsigned args;
	unsigned flags;
	op_handler *handler;
} op_defs[DTP_OP_COUNT] = {
#define OP_ROW(e, name, args, flags, handler) \
	[DTP_OP_##e] = { (args), (flags), ops_##handler },
	DTP_OPS(OP_ROW)
#undef OP_ROW
};

/* ---- arguments ------------------------------------------------------------ */

/* Stores the value v of the argument oa into a, at oa->at; false when it
 * has the wrong type. */
static bool
ops_arg_set(const struct op_arg *oa, const msgpack_object *v,
    struct op_args *a)
{
	void *at = (char *)a + oa->at;

	switch (oa->type) {
	case OPT_STR:
	case OPT_MAP:
	case OPT_ARRAY:
		if (v->type != (oa->type == OPT_STR ? MSGPACK_OBJECT_STR :
		    oa->type == OPT_MAP ? MSGPACK_OBJECT_MAP :
		    MSGPACK_OBJECT_ARRAY))
			return false;
		*(const msgpack_object **)at = v;
		return true;
	case OPT_UINT:
		return dtp_get_uint(v, at);
	case OPT_BOOL:
	default:
		return dtp_get_bool(v, at);
	}
}

/* Decodes args against def in one pass. false when r was answered
 * INVALID: an argument the op does not take, or of the wrong type, or a
 * required one missing. */
static bool
ops_decode(struct req *r, const struct op_def *def,
    const msgpack_object *args, struct op_args *a)
{
	uint32_t n = args != NULL ? args->via.map.size : 0;

	memset(a, 0, sizeof(*a));
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *k = &args->via.map.ptr[i].key;
		const struct op_arg *oa = NULL;

		for (size_t j = 0; j < sizeof(op_arg_keys) /
		    sizeof(op_arg_keys[0]); j++)
			if ((op_arg_keys[j].bits & def->args) != 0 &&
			    dtp_str_eq(k, op_arg_keys[j].key))
				oa = &op_arg_keys[j];
		if (oa == NULL) {
			int len = k->type == MSGPACK_OBJECT_STR ?
			    (int)(k->via.str.size < 60 ? k->via.str.size : 60) :
			    1;

			req_reply_error(r, DTP_E_INVALID, NULL,
			    "unknown argument \"%.*s\" for %s", len,
			    k->type == MSGPACK_OBJECT_STR ? k->via.str.ptr :
			    "?", dtp_op_name(r->op));
			return false;
		}
		if (!ops_arg_set(oa, &args->via.map.ptr[i].val, a)) {
			req_reply_error(r, DTP_E_INVALID, NULL, "%s: %s",
			    oa->key, oa->want);
			return false;
		}
	}
	for (size_t j = 0; j < sizeof(op_arg_keys) / sizeof(op_arg_keys[0]);
	    j++) {
		const struct op_arg *oa = &op_arg_keys[j];

		if (oa->required && (oa->bits & def->args) != 0 &&
		    *(const msgpack_object *const *)((const char *)a +
		    oa->at) == NULL) {
			req_reply_error(r, DTP_E_INVALID, NULL, "%s: missing",
			    oa->key);
			return false;
		}
	}
	return true;
}

/* ---- access, names --------------------------------------------------------- */

/* Answers r with DENIED (and logs who) unless the policy lets its peer
 * use r->table, DynamoDB's name of the table. */
static bool
ops_allowed_table(struct server *srv, struct req *r)
{
	const struct policy *p = srv->cfg.policy;
	char prefixes[256];

	if (policy_may_use_table(p, r->peer, r->table))
		return true;
	policy_describe(p, r->peer, prefixes, sizeof(prefixes));
	log_warn("denied %s on %s to pid %ld uid %ld: outside its table "
	    "prefixes (%s)", dtp_op_name(r->op), r->table, (long)r->peer->pid,
	    (long)r->peer->uid, prefixes);
	req_reply_error(r, DTP_E_DENIED, NULL, "table %s: this user may only "
	    "use tables starting with %s", r->table, prefixes);
	return false;
}

/* Answers r with DENIED unless its peer may use admin verbs. */
static bool
ops_allowed_admin(struct server *srv, struct req *r)
{
	if (policy_is_admin(srv->cfg.policy, r->peer))
		return true;
	log_warn("denied %s to pid %ld uid %ld: not an admin",
	    dtp_op_name(r->op), (long)r->peer->pid, (long)r->peer->uid);
	req_reply_error(r, DTP_E_DENIED, NULL, "%s is for root, the daemon's "
	    "user and [access] admin-users/admin-groups", dtp_op_name(r->op));
	return false;
}

/* Sets r->table to DynamoDB's name for the client's name, then checks
 * the policy. Answers r (INVALID, DENIED) and returns false otherwise. */
static bool
ops_set_table(struct server *srv, struct req *r, const char *name)
{
	const char *ns = r->ident->ns;

	if (!ns_table(ns, name, r->table, sizeof(r->table))) {
		req_reply_error(r, DTP_E_INVALID, NULL, "name: in namespace "
		    "\"%s\", a table name has at most %zu characters", ns,
		    sizeof(r->table) - 2 - strlen(ns));
		return false;
	}
	return ops_allowed_table(srv, r);
}

/* Checks the name argument and resolves it (ops_set_table). */
static bool
ops_get_name(struct server *srv, struct req *r, const msgpack_object *v)
{
	char name[256];

	if (!dtp_strcpy(v, name, sizeof(name)) ||
	    !ddb_valid_name(name, strlen(name))) {
		req_reply_error(r, DTP_E_INVALID, NULL, "name: a table name is "
		    "3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'");
		return false;
	}
	return ops_set_table(srv, r, name);
}

/* A wait's timeout: 0 is the default, and the daemon's cap applies. */
static unsigned
ops_timeout(const struct server *srv, uint64_t ms)
{
	if (ms == 0)
		ms = srv->cfg.wait_default_ms;
	if (ms > srv->cfg.wait_max_ms)
		ms = srv->cfg.wait_max_ms;
	return (unsigned)ms;
}

/* ---- replies ------------------------------------------------------------- */

/* Replies {"table": desc}, with the client's table name in it. */
static void
ops_reply_table(struct req *r, const json_t *desc)
{
	const char *name = json_string_value(json_object_get(desc,
	    "TableName"));
	const char *mine = name != NULL ? ns_client_name(r->ident->ns, name) :
	    NULL;
	json_t *copy = NULL, *res;

	if (mine != NULL && mine != name) {
		if ((copy = json_copy((json_t *)desc)) == NULL ||
		    json_object_set_new(copy, "TableName",
		    json_string(mine)) != 0) {
			json_decref(copy);
			req_reply_error(r, DTP_E_INTERNAL, NULL,
			    "out of memory");
			return;
		}
		desc = copy;
	}
	res = json_pack("{s:O}", "table", desc != NULL ? desc : json_null());
	json_decref(copy);
	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	req_reply_ok(r, res);
	json_decref(res);
}

/* Replies with a failed DynamoDB call's error. */
static void
ops_reply_failure(struct req *r, const dynamo_result *res)
{
	req_reply_error(r, res->err, res->aws_type, "%s", res->message);
}

/* Replies {name: value}, or INTERNAL when res could not be made. */
static void
ops_reply_new(struct req *r, json_t *res)
{
	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	req_reply_ok(r, res);
	json_decref(res);
}

/* A call could not start: out of memory. */
static void
ops_called(struct req *r, struct dynamo_call *call)
{
	if ((r->call = call) == NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

/* ---- waits ---------------------------------------------------------------- */

static void
ops_waited(void *arg, const wait_result *res)
{
	struct req *r = arg;

	r->waiter = NULL;
	if (res->err != DTP_OK) {
		req_reply_error(r, res->err, res->aws_type, "%s", res->message);
		return;
	}
	switch (r->op) {
	case DTP_OP_CREATE_TABLE:
	case DTP_OP_UPDATE_TABLE:
	case DTP_OP_WAIT_TABLE_ACTIVE:
		ops_reply_table(r, res->table);
		break;
	case DTP_OP_DELETE_TABLE:
		ops_reply_table(r, r->acc);
		break;
	default:
		req_reply_ok(r, NULL);
		break;
	}
}

/* Hands r to a wait on r->table until goal (and ix, when not NULL). */
static void
ops_wait_ix(struct server *srv, struct req *r, enum wait_goal goal,
    const struct wait_index *ix)
{
	dtp_err err;

	r->waiter = wait_start(srv->waits, r->table, goal, r->timeout_ms,
	    r->table_only, ix, ops_waited, r, &err);
	if (r->waiter != NULL)
		return;
	if (err == DTP_E_SHUTDOWN)
		req_reply_error(r, err, NULL, "the daemon is shutting down: "
		    "not waiting for %s", r->table);
	else
		req_reply_error(r, err, NULL, "out of memory");
}

static void
ops_wait(struct server *srv, struct req *r, enum wait_goal goal)
{
	ops_wait_ix(srv, r, goal, NULL);
}

static void
ops_wait_active(struct server *srv, struct req *r, const struct op_args *a)
{
	r->timeout_ms = ops_timeout(srv, a->timeout_ms);
	r->table_only = a->table_only;
	ops_wait(srv, r, WAIT_ACTIVE);
}

static void
ops_wait_deleted(struct server *srv, struct req *r, const struct op_args *a)
{
	r->timeout_ms = ops_timeout(srv, a->timeout_ms);
	ops_wait(srv, r, WAIT_DELETED);
}

/* ---- describe_table, table_exists ------------------------------------- */

static void
ops_described(void *arg, const dynamo_result *res)
{
	struct req *r = arg;

	r->call = NULL;
	if (res->err != DTP_OK)
		ops_reply_failure(r, res);
	else
		ops_reply_table(r, res->table);
}

static void
ops_describe(struct server *srv, struct req *r, const struct op_args *a)
{
	(void)a;
	ops_called(r, dynamo_describe(srv->up, r->table, ops_described, r));
}

static void
ops_exists_done(void *arg, const dynamo_result *res)
{
	struct req *r = arg;

	r->call = NULL;
	if (res->err == DTP_E_NOT_FOUND)
		ops_reply_new(r, json_pack("{s:b}", "exists", 0));
	else if (res->err != DTP_OK)
		ops_reply_failure(r, res);
	else
		ops_reply_new(r, json_pack("{s:b,s:s}", "exists", 1, "status",
		    ddb_table_status(res->table)));
}

static void
ops_exists(struct server *srv, struct req *r, const struct op_args *a)
{
	(void)a;
	ops_called(r, dynamo_describe(srv->up, r->table, ops_exists_done, r));
}

/* ---- describe_time_to_live -------------------------------------------- */

/* A call whose answer is one DynamoDB document (dynamo_result.doc):
 * {"time_to_live": ...} or {"continuous_backups": ...}, by r's op. */
static void
ops_doc_answered(void *arg, const dynamo_result *res)
{
	struct req *r = arg;

	r->call = NULL;
	if (r->mut != NULL) { /* update_time_to_live */
		mutation_end(r->mut);
		r->mut = NULL;
	}
	if (res->err != DTP_OK)
		ops_reply_failure(r, res);
	else
		ops_reply_new(r, json_pack("{s:O}", r->op ==
		    DTP_OP_DESCRIBE_TIME_TO_LIVE || r->op ==
		    DTP_OP_UPDATE_TIME_TO_LIVE ? "time_to_live" :
		    "continuous_backups", res->doc));
}

static void
ops_describe_ttl(struct server *srv, struct req *r, const struct op_args *a)
{
	(void)a;
	ops_called(r, dynamo_describe_ttl(srv->up, r->table, ops_doc_answered,
	    r));
}

/* ---- list_tables ------------------------------------------------------- */

/* Replies with the names the client may see, as it names them: its
 * namespace's without the prefix, or all of them (all, or no namespace)
 * as DynamoDB names them. */
static void
ops_listed(void *arg, const dynamo_result *res)
{
	struct req *r = arg;
	struct server *srv = r->srv;
	json_t *names, *v;
	size_t i;

	r->call = NULL;
	if (res->err != DTP_OK) {
		ops_reply_failure(r, res);
		return;
	}
	if ((names = json_array()) == NULL)
		goto nomem;
	json_array_foreach(res->names, i, v) {
		const char *name = json_string_value(v);

		if (!policy_may_use_table(srv->cfg.policy, r->peer, name))
			continue;
		if (!r->all && (name = ns_client_name(r->ident->ns, name)) ==
		    NULL)
			continue;
		if (json_array_append_new(names, json_string(name)) != 0)
			goto nomem;
	}
	ops_reply_new(r, json_pack("{s:o}", "tables", names));
	return;
nomem:
	json_decref(names);
	req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

static void
ops_list(struct server *srv, struct req *r, const struct op_args *a)
{
	r->all = a->all;
	ops_called(r, dynamo_list(srv->up, ops_listed, r));
}

/* ---- create_table, delete_table ------------------------------------------ */

/* CreateTable answered (ephemeral or not): answers r, or starts its wait
 * when it asked for one and the table is not ACTIVE yet. */
static void
ops_created(struct req *r, const dynamo_result *res)
{
	const char *status;
	bool done;

	if (res->err != DTP_OK) {
		ops_reply_failure(r, res);
		return;
	}
	status = ddb_table_status(res->table);
	log_info("created table %s (%s)%s", r->table, status,
	    r->ephemeral ? ", ephemeral" : "");
	/* An emulator may answer ACTIVE at once: then there is no wait. */
	done = r->table_only ? strcmp(status, "ACTIVE") == 0 :
	    ddb_table_active(res->table);
	if (r->wait && !done)
		ops_wait(r->srv, r, WAIT_ACTIVE);
	else
		ops_reply_table(r, res->table);
}

static void
ops_create_done(void *arg, const dynamo_result *res)
{
	struct req *r = arg;

	r->call = NULL;
	mutation_end(r->mut);
	r->mut = NULL;
	/* A table this daemon thought ephemeral and gone was not. */
	if (res->err == DTP_OK)
		ephemeral_forget(r->srv->eph, r->table);
	ops_created(r, res);
}

static void
ops_eph_created(void *arg, const dynamo_result *res)
{
	struct req *r = arg;

	r->eph = NULL;
	ops_created(r, res);
}

/* SIGTERM came while r (create or delete) waited for a slot: nothing was
 * sent, so the client can tell this from an outcome unknown. */
static void
ops_mutation_refused(void *arg)
{
	struct req *r = arg;

	r->mut = NULL;
	req_reply_error(r, DTP_E_SHUTDOWN, NULL, "the daemon is shutting down; "
	    "this %s was not sent to DynamoDB (nothing changed)",
	    r->op == DTP_OP_CREATE_TABLE ? "CreateTable" :
	    r->op == DTP_OP_DELETE_TABLE ? "DeleteTable" :
	    r->op == DTP_OP_UPDATE_TABLE ? "UpdateTable" : "UpdateTimeToLive");
}

/* The limiter gave r a slot: r->acc is the CreateTableInput. */
static void
ops_create_start(void *arg)
{
	struct req *r = arg;
	json_t *in = r->acc;

	r->acc = NULL;
	if ((r->call = dynamo_create(r->srv->up, in, ops_create_done, r)) !=
	    NULL)
		return;
	mutation_end(r->mut);
	r->mut = NULL;
	req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

static void
ops_create(struct server *srv, struct req *r, const struct op_args *a)
{
	char err[256];
	dtp_err code;
	json_t *in;

	r->wait = a->wait;
	r->table_only = a->table_only;
	r->ephemeral = a->ephemeral;
	r->timeout_ms = ops_timeout(srv, a->timeout_ms);
	if ((in = dtp_to_json(a->definition, err, sizeof(err))) == NULL) {
		req_reply_error(r, DTP_E_INVALID, NULL, "table: %s", err);
		return;
	}
	if (ddb_check_create(in, err, sizeof(err)) != 0) {
		json_decref(in);
		req_reply_error(r, DTP_E_INVALID, NULL, "%s", err);
		return;
	}
	if (!ops_set_table(srv, r, json_string_value(json_object_get(in,
	    "TableName")))) {
		json_decref(in);
		return;
	}
	if (json_object_set_new(in, "TableName", json_string(r->table)) != 0) {
		json_decref(in);
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	if (r->ephemeral) {
		if ((r->eph = ephemeral_create(srv->eph, r->ident->session,
		    r->owner, in, ops_eph_created, r, &code, err,
		    sizeof(err))) == NULL)
			req_reply_error(r, code, NULL, "%s", err);
		return;
	}
	r->acc = in; /* until the limiter starts it; freed with r */
	if ((r->mut = mutation_queue(srv->muts, r->owner, ops_create_start,
	    ops_mutation_refused, r)) == NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

static void
ops_delete_done(void *arg, const dynamo_result *res)
{
	struct req *r = arg;

	r->call = NULL;
	mutation_end(r->mut);
	r->mut = NULL;
	if (res->err != DTP_OK) {
		ops_reply_failure(r, res);
		return;
	}
	log_info("deleting table %s", r->table);
	ephemeral_forget(r->srv->eph, r->table);
	if (!r->wait) {
		ops_reply_table(r, res->table);
		return;
	}
	if ((r->acc = json_deep_copy(res->table)) == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	ops_wait(r->srv, r, WAIT_DELETED);
}

static void
ops_delete_start(void *arg)
{
	struct req *r = arg;

	if ((r->call = dynamo_delete(r->srv->up, r->table, ops_delete_done,
	    r)) != NULL)
		return;
	mutation_end(r->mut);
	r->mut = NULL;
	req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

static void
ops_delete(struct server *srv, struct req *r, const struct op_args *a)
{
	const json_t *desc = NULL;
	char err[320];
	dtp_err code;

	/* Deleting a leased table releases it: it goes back to its pool. */
	if (pools_owns(srv->pools, r->table)) {
		if (pools_release(srv->pools, r->table, &desc, &code, err,
		    sizeof(err)) != 0)
			req_reply_error(r, code, NULL, "%s", err);
		else
			ops_reply_table(r, desc);
		return;
	}
	r->wait = a->wait;
	r->timeout_ms = ops_timeout(srv, a->timeout_ms);
	if ((r->mut = mutation_queue(srv->muts, r->owner, ops_delete_start,
	    ops_mutation_refused, r)) == NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

/* ---- truncate_table --------------------------------------------------------- */

static void
ops_truncated(void *arg, const truncate_result *res)
{
	struct req *r = arg;

	r->trunc = NULL;
	if (res->err != DTP_OK && res->deleted != 0)
		req_reply_error(r, res->err, res->aws_type, "%s (after "
		    "deleting %lu items)", res->message, res->deleted);
	else if (res->err != DTP_OK)
		req_reply_error(r, res->err, res->aws_type, "%s", res->message);
	else
		ops_reply_new(r, json_pack("{s:I,s:I}", "deleted",
		    (json_int_t)res->deleted, "elapsed_ms",
		    (json_int_t)res->elapsed_ms));
}

/* Not through the mutation limiter: that bounds CreateTable and
 * DeleteTable; a truncate's calls have a bound of their own. */
static void
ops_truncate(struct server *srv, struct req *r, const struct op_args *a)
{
	if ((r->trunc = truncate_start(srv->truncs, r->table, a->force,
	    ops_truncated, r)) == NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

/* ---- lease_table, release_table, pools ------------------------------------- */

static void
ops_leased(void *arg, const pool_lease_result *res)
{
	struct req *r = arg;
	json_t *out;

	r->lease = NULL;
	if (res->err != DTP_OK) {
		req_reply_error(r, res->err, res->aws_type, "%s", res->message);
		return;
	}
	out = json_pack("{s:s,s:s,s:s,s:b,s:O?}", "table_name", res->table,
	    "pool", res->pool, "hash", res->hash, "fresh", res->fresh,
	    "table", res->desc);
	if (out != NULL && r->table[0] != '\0' && json_object_set_new(out,
	    "name", json_string(ns_client_name(r->ident->ns, r->table))) != 0) {
		json_decref(out);
		out = NULL;
	}
	ops_reply_new(r, out);
}

/* r->table is the logical name asked for, "" when none. */
static void
ops_lease(struct server *srv, struct req *r, const struct op_args *a)
{
	char err[320];
	dtp_err code;
	json_t *def;

	if (a->logical != NULL && !ops_get_name(srv, r, a->logical))
		return;
	if ((def = dtp_to_json(a->definition, err, sizeof(err))) == NULL) {
		req_reply_error(r, DTP_E_INVALID, NULL, "table: %s", err);
		return;
	}
	/* The pool names its tables: a TableName in the definition (a
	 * model's) is not the lease's. */
	json_object_del(def, "TableName");
	r->lease = pools_lease(srv->pools, r->ident->session, def,
	    r->table[0] != '\0' ? r->table : NULL, a->pooled_only,
	    ops_timeout(srv, a->timeout_ms), ops_leased, r, &code, err,
	    sizeof(err));
	json_decref(def);
	if (r->lease == NULL)
		req_reply_error(r, code, NULL, "%s", err);
}

static void
ops_release(struct server *srv, struct req *r, const struct op_args *a)
{
	char err[320];
	dtp_err code;

	(void)a;
	if (pools_release(srv->pools, r->table, NULL, &code, err,
	    sizeof(err)) != 0)
		req_reply_error(r, code, NULL, "%s", err);
	else
		ops_reply_new(r, json_pack("{s:s}", "released", r->table));
}

static void
ops_pools(struct server *srv, struct req *r, const struct op_args *a)
{
	(void)a;
	ops_reply_new(r, pools_describe(srv->pools));
}

/* ---- update_table, update_time_to_live ----------------------------------- */

/* Converts r's document argument to JSON and checks it with check; NULL
 * after answering r INVALID (what names the argument): r is freed then,
 * and the caller must not touch it. */
static json_t *
ops_doc(struct req *r, const msgpack_object *doc, const char *what,
    int (*check)(const json_t *, char *, size_t))
{
	char err[256];
	json_t *in = dtp_to_json(doc, err, sizeof(err));

	if (in == NULL) {
		req_reply_error(r, DTP_E_INVALID, NULL, "%s: %s", what, err);
		return NULL;
	}
	if (check(in, err, sizeof(err)) != 0) {
		json_decref(in);
		req_reply_error(r, DTP_E_INVALID, NULL, "%s", err);
		return NULL;
	}
	return in;
}

/* Queues r (its document in r->acc) in the mutation limiter. */
static void
ops_mutation_queue(struct server *srv, struct req *r, void (*start)(void *))
{
	if ((r->mut = mutation_queue(srv->muts, r->owner, start,
	    ops_mutation_refused, r)) == NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

/* A mutation's call could not start: out of memory. */
static void
ops_mutation_nomem(struct req *r)
{
	mutation_end(r->mut);
	r->mut = NULL;
	req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

/*
 * UpdateTable answered. Without wait, or when the reply shows the change
 * done already (an emulator), answers at once; else waits until the table
 * and its GSIs are ACTIVE, the index created listed, the one deleted gone.
 */
static void
ops_update_done(void *arg, const dynamo_result *res)
{
	struct req *r = arg;
	struct wait_index ix;

	r->call = NULL;
	mutation_end(r->mut);
	r->mut = NULL;
	if (res->err != DTP_OK) {
		ops_reply_failure(r, res);
		return;
	}
	log_info("updated table %s (%s)", r->table,
	    ddb_table_status(res->table));
	ddb_update_indexes(r->acc, &ix.created, &ix.deleted);
	if (r->wait && !(ddb_table_active(res->table) &&
	    (ix.created == NULL || ddb_table_has_index(res->table,
	    ix.created)) && (ix.deleted == NULL ||
	    !ddb_table_has_index(res->table, ix.deleted))))
		ops_wait_ix(r->srv, r, WAIT_ACTIVE, &ix);
	else
		ops_reply_table(r, res->table);
}

/* The limiter gave r a slot; r->acc, the UpdateTableInput, stays for the
 * wait (which index it creates or deletes). */
static void
ops_update_start(void *arg)
{
	struct req *r = arg;

	if ((r->call = dynamo_update(r->srv->up, json_incref(r->acc),
	    ops_update_done, r)) == NULL)
		ops_mutation_nomem(r);
}

static void
ops_update(struct server *srv, struct req *r, const struct op_args *a)
{
	json_t *in;

	r->wait = a->wait;
	r->timeout_ms = ops_timeout(srv, a->timeout_ms);
	/* ops_doc answers (and frees) r on failure: r is not touched then */
	if ((in = ops_doc(r, a->doc, "update", ddb_check_update)) == NULL)
		return;
	r->acc = in; /* freed with r */
	if (json_object_set_new(in, "TableName", json_string(r->table)) != 0) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	ops_mutation_queue(srv, r, ops_update_start);
}

static void
ops_update_ttl_start(void *arg)
{
	struct req *r = arg;

	if ((r->call = dynamo_update_ttl(r->srv->up, r->table,
	    json_incref(r->acc), ops_doc_answered, r)) == NULL)
		ops_mutation_nomem(r);
}

static void
ops_update_ttl(struct server *srv, struct req *r, const struct op_args *a)
{
	json_t *in = ops_doc(r, a->doc, "time_to_live", ddb_check_ttl_spec);

	if (in == NULL)
		return; /* answered: r is gone */
	r->acc = in;
	ops_mutation_queue(srv, r, ops_update_ttl_start);
}

/* ---- tags: by table name, the ARN from DescribeTable -------------------- */

static void
ops_tags_done(void *arg, const dynamo_result *res)
{
	struct req *r = arg;

	r->call = NULL;
	if (res->err != DTP_OK)
		ops_reply_failure(r, res);
	else if (r->op == DTP_OP_LIST_TAGS_OF_RESOURCE)
		ops_reply_new(r, json_pack("{s:O}", "tags", res->tags));
	else
		req_reply_ok(r, NULL);
}

/* DescribeTable answered: the tag operation on its TableArn. */
static void
ops_arn_known(void *arg, const dynamo_result *res)
{
	struct req *r = arg;
	struct upstream *up = r->srv->up;
	const char *arn;

	r->call = NULL;
	if (res->err != DTP_OK) {
		ops_reply_failure(r, res);
		return;
	}
	if ((arn = json_string_value(json_object_get(res->table,
	    "TableArn"))) == NULL) {
		req_reply_error(r, DTP_E_UPSTREAM, NULL, "DescribeTable gave "
		    "table %s no TableArn", r->table);
		return;
	}
	switch (r->op) {
	case DTP_OP_TAG_RESOURCE:
		ops_called(r, dynamo_tag(up, arn, json_incref(r->acc),
		    ops_tags_done, r));
		break;
	case DTP_OP_UNTAG_RESOURCE:
		ops_called(r, dynamo_untag(up, arn, json_incref(r->acc),
		    ops_tags_done, r));
		break;
	default:
		ops_called(r, dynamo_list_tags(up, arn, ops_tags_done, r));
		break;
	}
}

/* tag, untag: the checked document in r->acc, then the ARN. */
static void
ops_tags_start(struct server *srv, struct req *r, const msgpack_object *doc,
    const char *what, int (*check)(const json_t *, char *, size_t))
{
	json_t *in = ops_doc(r, doc, what, check);

	if (in == NULL)
		return; /* answered: r is gone */
	r->acc = in;
	ops_called(r, dynamo_describe(srv->up, r->table, ops_arn_known, r));
}

static void
ops_tag(struct server *srv, struct req *r, const struct op_args *a)
{
	ops_tags_start(srv, r, a->doc, "tags", ddb_check_tag_list);
}

static void
ops_untag(struct server *srv, struct req *r, const struct op_args *a)
{
	ops_tags_start(srv, r, a->doc, "tag_keys", ddb_check_tag_keys);
}

static void
ops_list_tags(struct server *srv, struct req *r, const struct op_args *a)
{
	(void)a;
	ops_called(r, dynamo_describe(srv->up, r->table, ops_arn_known, r));
}

/* ---- continuous backups (point-in-time recovery) -------------------------- */

static void
ops_describe_backups(struct server *srv, struct req *r,
    const struct op_args *a)
{
	(void)a;
	ops_called(r, dynamo_describe_backups(srv->up, r->table,
	    ops_doc_answered, r));
}

static void
ops_update_backups(struct server *srv, struct req *r,
    const struct op_args *a)
{
	json_t *in = ops_doc(r, a->doc, "point_in_time_recovery",
	    ddb_check_pitr_spec);

	if (in == NULL)
		return; /* answered: r is gone */
	r->acc = in;
	ops_called(r, dynamo_update_backups(srv->up, r->table,
	    json_incref(in), ops_doc_answered, r));
}

/* ---- status, reap ---------------------------------------------------------- */

/* The daemon's state, for `dyntablectl status`: counters and where the
 * credentials come from; never a secret (creds_get_info holds none). */
static void
ops_status(struct server *srv, struct req *r, const struct op_args *a)
{
	struct upstream_stats us;
	struct wait_stats ws;
	struct creds_info ci;
	struct mutation_stats ms;
	struct ephemeral_stats es;
	struct truncate_stats ts;
	json_t *res;

	(void)a;
	truncates_get_stats(srv->truncs, &ts);
	upstream_get_stats(srv->up, &us);
	waits_get_stats(srv->waits, &ws);
	creds_get_info(srv->creds, &ci);
	mutations_get_stats(srv->muts, &ms);
	ephemeral_get_stats(srv->eph, &es);
	res = json_pack("{s:s,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:{s:I,s:I,s:I,s:I},s:{s:s,s:s,s:b,s:I,s:I,s:s},"
	    "s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I}}",
	    "server", "dyntabled " DYNTABLED_VERSION,
	    "pid", (json_int_t)getpid(),
	    "uptime_s", (json_int_t)(time(NULL) - srv->started),
	    "endpoint", srv->cfg.endpoint,
	    "region", srv->cfg.region,
	    "clients", (json_int_t)srv->n_conns,
	    "requests_in_flight", (json_int_t)srv->reqs_in_flight,
	    "requests_served", (json_int_t)srv->reqs_served,
	    "waiters", (json_int_t)ws.waiters,
	    "pollers", (json_int_t)ws.pollers,
	    "polls", (json_int_t)ws.polls,
	    "upstream",
	    "requests", (json_int_t)us.requests,
	    "retries", (json_int_t)us.retries,
	    "failures", (json_int_t)us.failures,
	    "in_flight", (json_int_t)us.in_flight,
	    "credentials",
	    "source", ci.source,
	    "key_id_tail", ci.key_id_tail,
	    "valid", creds_valid(srv->creds),
	    "expires", (json_int_t)ci.expires,
	    "obtained", (json_int_t)ci.obtained,
	    "last_error", ci.last_error,
	    "mutations",
	    "running", (json_int_t)ms.running, "queued", (json_int_t)ms.queued,
	    "peak", (json_int_t)ms.peak, "started", (json_int_t)ms.started,
	    "ephemeral",
	    "sessions", (json_int_t)sessions_count(srv->sessions),
	    "tables", (json_int_t)es.tables, "deleted", (json_int_t)es.deleted,
	    "reaped", (json_int_t)es.reaped);
	if (res != NULL && json_object_set_new(res, "pools",
	    pools_describe(srv->pools)) != 0) {
		json_decref(res);
		res = NULL;
	}
	if (res != NULL && json_object_set_new(res, "truncate", json_pack(
	    "{s:I,s:I,s:I,s:I}", "running", (json_int_t)ts.running,
	    "calls", (json_int_t)ts.calls, "deleted", (json_int_t)ts.deleted,
	    "concurrency", (json_int_t)truncate_concurrency(&srv->cfg))) != 0) {
		json_decref(res);
		res = NULL;
	}
	ops_reply_new(r, res);
}

int
ops_metrics_text(struct server *srv, bool openmetrics, char **text,
    size_t *len)
{
	struct upstream_stats us;
	struct wait_stats ws;
	struct creds_info ci;
	struct mutation_stats ms;
	struct metrics_gauges g;

	upstream_get_stats(srv->up, &us);
	waits_get_stats(srv->waits, &ws);
	creds_get_info(srv->creds, &ci);
	mutations_get_stats(srv->muts, &ms);
	g = (struct metrics_gauges){
		.start_time = (long long)srv->started,
		.clients = srv->n_conns,
		.requests_in_flight = srv->reqs_in_flight,
		.waiters = ws.waiters,
		.pollers = ws.pollers,
		.polls = ws.polls,
		.upstream_in_flight = us.in_flight,
		.upstream_attempts = us.requests,
		.upstream_failures = us.failures,
		.creds_valid = creds_valid(srv->creds),
		.creds_expire = ci.expires != 0,
		.creds_expiry_s = ci.expires != 0 ?
		    (long long)(ci.expires - time(NULL)) : 0,
		.mutations_running = ms.running,
		.mutations_queued = ms.queued,
	};
	return metrics_text(metrics_get(), &g, openmetrics ?
	    METRICS_OPENMETRICS : METRICS_PROMETHEUS, text, len);
}

/* metrics: the same text as --metrics-listen serves, in "text". An
 * admin's verb like status: it shows every client's activity. */
static void
ops_metrics(struct server *srv, struct req *r, const struct op_args *a)
{
	char *text;
	size_t len;

	(void)a;
	if (ops_metrics_text(srv, true, &text, &len) != 0) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	ops_reply_new(r, json_pack("{s:s%,s:s}", "text", text, len,
	    "content_type", METRICS_CONTENT_TYPE));
	free(text);
}

static void
ops_reaped(void *arg, const json_t *result, dtp_err err, const char *msg)
{
	struct req *r = arg;

	r->reap = NULL;
	if (result != NULL)
		req_reply_ok(r, result);
	else
		req_reply_error(r, err, NULL, "%s", msg);
}

static void
ops_reap(struct server *srv, struct req *r, const struct op_args *a)
{
	(void)a;
	if ((r->reap = ephemeral_reap(srv->eph, ops_reaped, r)) == NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

/* hello is conn.c's (the handshake), never dispatched. */
static void
ops_hello_row(struct server *srv, struct req *r, const struct op_args *a)
{
	(void)srv;
	(void)a;
	req_reply_error(r, DTP_E_PROTOCOL, NULL, "hello sent twice");
}

/* ---- entry points ------------------------------------------------------ */

int
ops_hello(struct server *srv, const msgpack_object *args,
    struct req_ident *id, char *err, size_t errlen)
{
	const msgpack_object *ns = dtp_map_get(args, "namespace");
	const msgpack_object *tok = dtp_map_get(args, "session");
	char token[SESSION_TOKEN_LEN + 1];

	memset(id, 0, sizeof(*id));
	if (ns != NULL && (!dtp_strcpy(ns, id->ns, sizeof(id->ns)) ||
	    !ns_valid(id->ns, strlen(id->ns)))) {
		id->ns[0] = '\0';
		snprintf(err, errlen, "namespace: 1 to %d characters of a-z, "
		    "A-Z, 0-9, '_' and '-'", NS_MAX);
		return -1;
	}
	if (tok != NULL && (!dtp_strcpy(tok, token, sizeof(token)) ||
	    !session_token_valid(token))) {
		id->ns[0] = '\0';
		snprintf(err, errlen, "session: must be the %d lower-case hex "
		    "digits a hello returned", SESSION_TOKEN_LEN);
		return -1;
	}
	id->session = session_join(srv->sessions, tok != NULL ? token : NULL,
	    &id->resumed);
	if (id->session == NULL) {
		id->ns[0] = '\0';
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
ops_goodbye(struct req_ident *id)
{
	if (id->session != NULL)
		session_leave(id->session);
	id->session = NULL;
}

void
ops_dispatch(struct server *srv, struct req *r, const msgpack_object *args)
{
	const struct op_def *def = &op_defs[r->op];
	struct op_args a;

	r->srv = srv;
	if (!ops_decode(r, def, args, &a))
		return;
	if ((def->flags & OPF_ADMIN) && !ops_allowed_admin(srv, r))
		return;
	if ((def->args & OPA_NAME) && !ops_get_name(srv, r, a.name))
		return;
	/* A leased table's logical name stands for the pool table, for
	 * every operation on a table. */
	if ((def->args & OPA_NAME) && srv->pools != NULL) {
		const char *phys = pools_resolve(srv->pools, r->table);

		if (phys != NULL)
			snprintf(r->table, sizeof(r->table), "%s", phys);
	}
	def->handler(srv, r, &a);
}

void
ops_abandon(struct req *r)
{
	if (r->eph != NULL) {
		ephemeral_abandon(r->eph);
		r->eph = NULL;
	}
	if (r->reap != NULL) {
		ephemeral_reap_abandon(r->reap);
		r->reap = NULL;
	}
	if (r->trunc != NULL) {
		truncate_cancel(r->trunc);
		r->trunc = NULL;
	}
	if (r->lease != NULL) {
		pools_lease_abandon(r->lease);
		r->lease = NULL;
	}
	if (r->call != NULL) {
		dynamo_cancel(r->call);
		r->call = NULL;
	}
	if (r->mut != NULL) {
		mutation_end(r->mut);
		r->mut = NULL;
	}
	if (r->waiter != NULL) {
		wait_cancel(r->waiter);
		r->waiter = NULL;
	}
}

void
ops_abort(struct req *r)
{
	/* Queued mutations were refused at SIGTERM: a create or delete
	 * still holding its slot (or an ephemeral create) was sent. */
	bool sent = (op_defs[r->op].flags & OPF_MUTATES) &&
	    (r->mut != NULL || r->eph != NULL);

	ops_abandon(r);
	if (sent)
		req_reply_error(r, DTP_E_SHUTDOWN, NULL, "the daemon is "
		    "shutting down; this request was sent to DynamoDB but not "
		    "answered in time: its outcome is unknown");
	else
		req_reply_error(r, DTP_E_SHUTDOWN, NULL, "the daemon is "
		    "shutting down and could not finish this in time");
}
