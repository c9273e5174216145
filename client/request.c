/*
 * libdyntable: requests. The client-side argument checks, the encoding of
 * each operation's args (CreateTableInput included) with the shared codec,
 * and the public asynchronous entry points.
 */
#include <stdio.h>
#include <string.h>

#include "client_internal.h"

/* The wire operation of a public one. */
static dtp_op
wire_op(dyntable_op op)
{
	switch (op) {
	case DYNTABLE_OP_CREATE_TABLE: return DTP_OP_CREATE_TABLE;
	case DYNTABLE_OP_DESCRIBE_TABLE: return DTP_OP_DESCRIBE_TABLE;
	case DYNTABLE_OP_TABLE_EXISTS: return DTP_OP_TABLE_EXISTS;
	case DYNTABLE_OP_LIST_TABLES: return DTP_OP_LIST_TABLES;
	case DYNTABLE_OP_DELETE_TABLE: return DTP_OP_DELETE_TABLE;
	case DYNTABLE_OP_WAIT_TABLE_ACTIVE: return DTP_OP_WAIT_TABLE_ACTIVE;
	case DYNTABLE_OP_WAIT_TABLE_DELETED: return DTP_OP_WAIT_TABLE_DELETED;
	}
	return DTP_OP_HELLO;
}

static bool
type_ok(dyntable_type t)
{
	return t == DYNTABLE_S || t == DYNTABLE_N || t == DYNTABLE_B;
}

/* Checks a name: set, and not longer than DynamoDB allows. */
static dyntable_status
name_check(const char *name, const char *what, char *err, size_t errlen)
{
	if (!name) {
		snprintf(err, errlen, "%s is NULL", what);
		return DYNTABLE_ERR_INVALID;
	}
	if (strlen(name) > DTC_NAME_MAX) {
		snprintf(err, errlen, "%s is longer than %d bytes", what,
		    DTC_NAME_MAX);
		return DYNTABLE_ERR_INVALID;
	}
	return DYNTABLE_OK;
}

dyntable_status
dtc_request_check(dyntable_op op, const dtc_args *a, char *err, size_t errlen)
{
	dyntable_status st;

	if (op == DYNTABLE_OP_LIST_TABLES)
		return DYNTABLE_OK;
	if (op != DYNTABLE_OP_CREATE_TABLE)
		return name_check(a->name, "table name", err, errlen);

	const dyntable_table_def *d = a->def;
	if (!d) {
		snprintf(err, errlen, "table definition is NULL");
		return DYNTABLE_ERR_INVALID;
	}
	if ((st = name_check(d->name, "table name", err, errlen)) ||
	    (st = name_check(d->partition_key.name, "partition key name", err,
	    errlen)))
		return st;
	if (!type_ok(d->partition_key.type)) {
		snprintf(err, errlen, "partition key type must be S, N or B");
		return DYNTABLE_ERR_INVALID;
	}
	if (d->sort_key.name) {
		if ((st = name_check(d->sort_key.name, "sort key name", err,
		    errlen)))
			return st;
		if (!type_ok(d->sort_key.type)) {
			snprintf(err, errlen,
			    "sort key type must be S, N or B");
			return DYNTABLE_ERR_INVALID;
		}
	}
	if (d->billing_mode != DYNTABLE_PAY_PER_REQUEST &&
	    d->billing_mode != DYNTABLE_PROVISIONED) {
		snprintf(err, errlen,
		    "billing mode must be PAY_PER_REQUEST or PROVISIONED");
		return DYNTABLE_ERR_INVALID;
	}
	return DYNTABLE_OK;
}

/* {"AttributeName": name, key: val} */
static void
pack_attr(dtp_enc *e, const char *name, const char *key, const char *val)
{
	msgpack_pack_map(&e->pk, 2);
	dtp_pack_kv_str(e, "AttributeName", name);
	dtp_pack_kv_str(e, key, val);
}

/* Packs the CreateTableInput for d (already checked). */
static void
pack_table_def(dtp_enc *e, const dyntable_table_def *d)
{
	bool prov = d->billing_mode == DYNTABLE_PROVISIONED;
	bool sk = d->sort_key.name != NULL;
	bool sk_def = sk && strcmp(d->sort_key.name, d->partition_key.name);
	char pt[2] = { (char)d->partition_key.type, '\0' };
	char st[2] = { (char)d->sort_key.type, '\0' };

	msgpack_pack_map(&e->pk, prov ? 5 : 4);
	dtp_pack_kv_str(e, "TableName", d->name);

	dtp_pack_cstr(e, "KeySchema");
	msgpack_pack_array(&e->pk, sk ? 2 : 1);
	pack_attr(e, d->partition_key.name, "KeyType", "HASH");
	if (sk)
		pack_attr(e, d->sort_key.name, "KeyType", "RANGE");

	dtp_pack_cstr(e, "AttributeDefinitions");
	msgpack_pack_array(&e->pk, sk_def ? 2 : 1);
	pack_attr(e, d->partition_key.name, "AttributeType", pt);
	if (sk_def)
		pack_attr(e, d->sort_key.name, "AttributeType", st);

	dtp_pack_kv_str(e, "BillingMode",
	    prov ? "PROVISIONED" : "PAY_PER_REQUEST");
	if (prov) {
		dtp_pack_cstr(e, "ProvisionedThroughput");
		msgpack_pack_map(&e->pk, 2);
		dtp_pack_cstr(e, "ReadCapacityUnits");
		msgpack_pack_int64(&e->pk,
		    d->read_capacity ? d->read_capacity : 5);
		dtp_pack_cstr(e, "WriteCapacityUnits");
		msgpack_pack_int64(&e->pk,
		    d->write_capacity ? d->write_capacity : 5);
	}
}

int
dtc_request_encode(uint32_t id, dyntable_op op, const dtc_args *a, char **frame,
    size_t *len)
{
	uint32_t tmo = a->timeout_ms ? 1 : 0;
	dtp_enc e;
	int rc;

	dtp_enc_init(&e);
	switch (op) {
	case DYNTABLE_OP_CREATE_TABLE:
		dtp_enc_request(&e, id, DTP_OP_CREATE_TABLE,
		    1 + (a->wait ? 1 : 0) + tmo);
		dtp_pack_cstr(&e, "table");
		pack_table_def(&e, a->def);
		if (a->wait)
			dtp_pack_kv_bool(&e, "wait", true);
		break;
	case DYNTABLE_OP_DELETE_TABLE:
		dtp_enc_request(&e, id, DTP_OP_DELETE_TABLE,
		    1 + (a->wait ? 1 : 0) + tmo);
		dtp_pack_kv_str(&e, "name", a->name);
		if (a->wait)
			dtp_pack_kv_bool(&e, "wait", true);
		break;
	case DYNTABLE_OP_DESCRIBE_TABLE:
	case DYNTABLE_OP_TABLE_EXISTS:
		dtp_enc_request(&e, id, wire_op(op), 1);
		dtp_pack_kv_str(&e, "name", a->name);
		tmo = 0;
		break;
	case DYNTABLE_OP_WAIT_TABLE_ACTIVE:
	case DYNTABLE_OP_WAIT_TABLE_DELETED:
		dtp_enc_request(&e, id, wire_op(op), 1 + tmo);
		dtp_pack_kv_str(&e, "name", a->name);
		break;
	case DYNTABLE_OP_LIST_TABLES:
		dtp_enc_request(&e, id, DTP_OP_LIST_TABLES, 0);
		tmo = 0;
		break;
	default: /* DTC_OP_HELLO */
		dtp_enc_request(&e, id, DTP_OP_HELLO, 3);
		dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR);
		dtp_pack_kv_uint(&e, "minor", DTP_VERSION_MINOR);
		dtp_pack_kv_str(&e, "client",
		    "libdyntable " DYNTABLE_VERSION_STRING);
		tmo = 0;
		break;
	}
	if (tmo)
		dtp_pack_kv_uint(&e, "timeout_ms", a->timeout_ms);
	rc = dtp_enc_finish(&e, frame, len);
	dtp_enc_free(&e);
	return rc;
}

/* ---- the public asynchronous API ---------------------------------------- */

/* Submits op for a user callback; a NULL callback is a bad argument. */
static dyntable_status
submit_cb(dyntable_ctx *c, dyntable_op op, const dtc_args *a, dyntable_cb *cb,
    void *privdata)
{
	if (!cb)
		return DYNTABLE_ERR_INVALID;
	return dtc_submit(c, op, a, cb, NULL, privdata, NULL, NULL, 0);
}

dyntable_status
dyntable_create_table(dyntable_ctx *c, const dyntable_table_def *def,
    const dyntable_wait_opts *wait, dyntable_cb *cb, void *privdata)
{
	dtc_args a = {
		.def = def,
		.wait = wait != NULL,
		.timeout_ms = wait ? wait->timeout_ms : 0,
	};

	return submit_cb(c, DYNTABLE_OP_CREATE_TABLE, &a, cb, privdata);
}

dyntable_status
dyntable_describe_table(dyntable_ctx *c, const char *name, dyntable_cb *cb,
    void *privdata)
{
	dtc_args a = { .name = name };

	return submit_cb(c, DYNTABLE_OP_DESCRIBE_TABLE, &a, cb, privdata);
}

dyntable_status
dyntable_table_exists(dyntable_ctx *c, const char *name, dyntable_cb *cb,
    void *privdata)
{
	dtc_args a = { .name = name };

	return submit_cb(c, DYNTABLE_OP_TABLE_EXISTS, &a, cb, privdata);
}

dyntable_status
dyntable_list_tables(dyntable_ctx *c, dyntable_cb *cb, void *privdata)
{
	dtc_args a = { 0 };

	return submit_cb(c, DYNTABLE_OP_LIST_TABLES, &a, cb, privdata);
}

dyntable_status
dyntable_delete_table(dyntable_ctx *c, const char *name,
    const dyntable_wait_opts *wait, dyntable_cb *cb, void *privdata)
{
	dtc_args a = {
		.name = name,
		.wait = wait != NULL,
		.timeout_ms = wait ? wait->timeout_ms : 0,
	};

	return submit_cb(c, DYNTABLE_OP_DELETE_TABLE, &a, cb, privdata);
}

dyntable_status
dyntable_wait_for_table_active(dyntable_ctx *c, const char *name,
    unsigned timeout_ms, dyntable_cb *cb, void *privdata)
{
	dtc_args a = { .name = name, .timeout_ms = timeout_ms };

	return submit_cb(c, DYNTABLE_OP_WAIT_TABLE_ACTIVE, &a, cb, privdata);
}

dyntable_status
dyntable_wait_for_table_deleted(dyntable_ctx *c, const char *name,
    unsigned timeout_ms, dyntable_cb *cb, void *privdata)
{
	dtc_args a = { .name = name, .timeout_ms = timeout_ms };

	return submit_cb(c, DYNTABLE_OP_WAIT_TABLE_DELETED, &a, cb, privdata);
}
