/*
 * libdyntable: results. Builds a dyntable_result from a decoded reply.
 * Everything is copied out of the msgpack objects, so the reply (and the
 * read buffer under it) can go before the callback runs. A table keeps
 * its TableDescription as a jansson tree; the parsed fields point into it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_internal.h"
#include "dtp_json.h"

/* A result and everything it owns. pub must stay first: the public
 * pointer is the private one. */
typedef struct result_priv {
	dyntable_result pub;	/* what callers see */
	dyntable_table table;	/* pub.table points here when set */
	json_t *root;		/* TableDescription; strings point in */
	char *json;		/* table.json, from json_dumps */
	char *status_json;	/* pub.status_json */
	dyntable_index *idx;	/* table.gsi then table.lsi */
	char *message;		/* pub.message */
	char *aws_type;		/* pub.aws_type */
	char *table_status;	/* pub.table_status */
	char **tables;		/* pub.tables, each malloc'd */
	size_t n_tables;	/* entries of tables allocated */
} result_priv;

dyntable_status
dtc_status_from_wire(uint64_t code)
{
	if (code >= DYNTABLE_ERR_PROTOCOL && code <= DYNTABLE_ERR_INTERNAL)
		return (dyntable_status)code;
	return DYNTABLE_ERR_PROTOCOL;
}

static result_priv *
result_new(dyntable_op op)
{
	result_priv *p = calloc(1, sizeof *p);

	if (p)
		p->pub.op = op;
	return p;
}

void
dyntable_result_free(dyntable_result *r)
{
	result_priv *p = (result_priv *)r;

	if (!p)
		return;
	json_decref(p->root);
	free(p->json);
	free(p->status_json);
	free(p->idx);
	free(p->message);
	free(p->aws_type);
	free(p->table_status);
	for (size_t i = 0; i < p->n_tables; i++)
		free(p->tables[i]);
	free(p->tables);
	free(p);
}

/* Turns p into an error result with a copy of msg. Returns -1 when out of
 * memory (p is unchanged but for the status). */
static int
set_error(result_priv *p, dyntable_status st, const char *msg)
{
	p->pub.status = st;
	if (!msg)
		return 0;
	free(p->message);
	p->message = strdup(msg);
	p->pub.message = p->message;
	return p->message ? 0 : -1;
}

dyntable_result *
dtc_result_error(dyntable_op op, dyntable_status st, const char *msg)
{
	result_priv *p = result_new(op);

	if (!p)
		return NULL;
	if (set_error(p, st, msg) != 0) {
		free(p);
		return NULL;
	}
	return &p->pub;
}

/* ---- TableDescription --------------------------------------------------- */

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static long long
jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > -9e18 &&
	    json_real_value(v) < 9e18)
		return (long long)json_real_value(v);
	return 0;
}

/* The type of attribute name in AttributeDefinitions; 0 when unknown. */
static dyntable_type
attr_type(const json_t *defs, const char *name)
{
	size_t i;
	json_t *d;

	json_array_foreach(defs, i, d) {
		const char *n = jstr(d, "AttributeName");
		const char *t = jstr(d, "AttributeType");

		if (!n || !t || strcmp(n, name) != 0)
			continue;
		if (strcmp(t, "S") == 0)
			return DYNTABLE_S;
		if (strcmp(t, "N") == 0)
			return DYNTABLE_N;
		if (strcmp(t, "B") == 0)
			return DYNTABLE_B;
		break;
	}
	return (dyntable_type)0;
}

/* The first HASH and first RANGE attribute of a KeySchema, with types. */
static void
key_schema(const json_t *schema, const json_t *defs, dyntable_attr *pk,
    dyntable_attr *sk)
{
	size_t i;
	json_t *k;

	json_array_foreach(schema, i, k) {
		const char *n = jstr(k, "AttributeName");
		const char *t = jstr(k, "KeyType");

		if (!n || !t)
			continue;
		if (!pk->name && strcmp(t, "HASH") == 0)
			pk->name = n;
		else if (!sk->name && strcmp(t, "RANGE") == 0)
			sk->name = n;
	}
	if (pk->name)
		pk->type = attr_type(defs, pk->name);
	if (sk->name)
		sk->type = attr_type(defs, sk->name);
}

/* Fills idx from a GlobalSecondaryIndexes or LocalSecondaryIndexes array. */
static void
indexes(const json_t *arr, const json_t *defs, bool gsi, dyntable_index *idx)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x) {
		idx[i].name = jstr(x, "IndexName");
		idx[i].status = gsi ? jstr(x, "IndexStatus") : NULL;
		idx[i].projection = jstr(json_object_get(x, "Projection"),
		    "ProjectionType");
		key_schema(json_object_get(x, "KeySchema"), defs,
		    &idx[i].partition_key, &idx[i].sort_key);
	}
}

/*
 * Parses a TableDescription map into p->table. Returns 0; -1 when out of
 * memory; 1 when the map cannot be a table (p then holds the error).
 */
static int
parse_table(result_priv *p, const msgpack_object *o)
{
	char why[160];
	dyntable_table *t = &p->table;

	if (!o || o->type != MSGPACK_OBJECT_MAP)
		return set_error(p, DYNTABLE_ERR_PROTOCOL,
		    "reply without a table description") ? -1 : 1;
	why[0] = '\0';
	p->root = dtp_to_json(o, why, sizeof why);
	if (!p->root) {
		char msg[200];

		snprintf(msg, sizeof msg, "bad table description: %s",
		    why[0] ? why : "out of memory");
		return set_error(p, DYNTABLE_ERR_PROTOCOL, msg) ? -1 : 1;
	}
	const json_t *r = p->root;
	const json_t *defs = json_object_get(r, "AttributeDefinitions");
	const json_t *pt = json_object_get(r, "ProvisionedThroughput");
	const json_t *gsi = json_object_get(r, "GlobalSecondaryIndexes");
	const json_t *lsi = json_object_get(r, "LocalSecondaryIndexes");

	t->name = jstr(r, "TableName");
	t->status = jstr(r, "TableStatus");
	t->arn = jstr(r, "TableArn");
	t->read_capacity = jint(pt, "ReadCapacityUnits");
	t->write_capacity = jint(pt, "WriteCapacityUnits");
	t->billing_mode = jstr(json_object_get(r, "BillingModeSummary"),
	    "BillingMode");
	if (!t->billing_mode && json_is_object(pt))
		/* DynamoDB omits the summary for tables that were always
		 * provisioned; on demand ones report 0 capacity. */
		t->billing_mode = t->read_capacity > 0 ? "PROVISIONED" :
		    "PAY_PER_REQUEST";
	t->table_class = jstr(json_object_get(r, "TableClassSummary"),
	    "TableClass");
	key_schema(json_object_get(r, "KeySchema"), defs, &t->partition_key,
	    &t->sort_key);
	t->item_count = jint(r, "ItemCount");
	t->size_bytes = jint(r, "TableSizeBytes");
	t->creation_time = json_number_value(json_object_get(r,
	    "CreationDateTime"));
	t->deletion_protection = json_is_true(json_object_get(r,
	    "DeletionProtectionEnabled"));
	const json_t *ss = json_object_get(r, "StreamSpecification");
	if (json_is_true(json_object_get(ss, "StreamEnabled")))
		t->stream_view_type = jstr(ss, "StreamViewType");
	const json_t *sse = json_object_get(r, "SSEDescription");
	t->sse_status = jstr(sse, "Status");
	t->sse_type = jstr(sse, "SSEType");
	t->kms_key_arn = jstr(sse, "KMSMasterKeyArn");

	t->n_gsi = json_array_size(gsi);
	t->n_lsi = json_array_size(lsi);
	if (t->n_gsi + t->n_lsi > 0) {
		p->idx = calloc(t->n_gsi + t->n_lsi, sizeof *p->idx);
		if (!p->idx)
			return -1;
		indexes(gsi, defs, true, p->idx);
		indexes(lsi, defs, false, p->idx + t->n_gsi);
		t->gsi = t->n_gsi ? p->idx : NULL;
		t->lsi = t->n_lsi ? p->idx + t->n_gsi : NULL;
	}
	p->json = json_dumps(r, JSON_COMPACT);
	if (!p->json)
		return -1;
	t->json = p->json;
	p->pub.table = t;
	return 0;
}

/* ---- per operation ------------------------------------------------------ */

/* table_exists: {exists, status?}. Same return convention as parse_table. */
static int
parse_exists(result_priv *p, const msgpack_object *res)
{
	const msgpack_object *st = dtp_map_get(res, "status");

	if (!dtp_get_bool(dtp_map_get(res, "exists"), &p->pub.exists))
		return set_error(p, DYNTABLE_ERR_PROTOCOL,
		    "table_exists reply without 'exists'") ? -1 : 1;
	if (st && st->type == MSGPACK_OBJECT_STR) {
		p->table_status = dtp_strdup(st); /* NULL: leave it out */
		p->pub.table_status = p->table_status;
	}
	return 0;
}

/* list_tables: {tables: [str...]}; reap: {deleted: [str...]} (key).
 * Same return convention. */
static int
parse_list(result_priv *p, const msgpack_object *res, const char *key)
{
	const msgpack_object *a = dtp_map_get(res, key);

	if (!a || a->type != MSGPACK_OBJECT_ARRAY)
		return set_error(p, DYNTABLE_ERR_PROTOCOL,
		    "reply without a list of tables") ? -1 : 1;
	size_t n = a->via.array.size;
	p->tables = calloc(n + 1, sizeof *p->tables);
	if (!p->tables)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *s = &a->via.array.ptr[i];

		if (s->type != MSGPACK_OBJECT_STR ||
		    (s->via.str.size &&
		    memchr(s->via.str.ptr, '\0', s->via.str.size)))
			return set_error(p, DYNTABLE_ERR_PROTOCOL,
			    "a table name is not a string") ? -1 : 1;
		p->tables[i] = dtp_strdup(s);
		if (!p->tables[i])
			return -1;
		p->n_tables = i + 1;
	}
	p->pub.n_tables = n;
	p->pub.tables = (const char *const *)p->tables;
	return 0;
}

/* reap: {deleted: [str...], checked, errors}. Same return convention. */
static int
parse_reap(result_priv *p, const msgpack_object *res)
{
	uint64_t v;
	int rc = parse_list(p, res, "deleted");

	if (rc != 0)
		return rc;
	if (dtp_get_uint(dtp_map_get(res, "checked"), &v))
		p->pub.reap_checked = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	if (dtp_get_uint(dtp_map_get(res, "errors"), &v))
		p->pub.reap_errors = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	return 0;
}

/* status: the whole result map, as JSON. Same return convention. */
static int
parse_status(result_priv *p, const msgpack_object *res)
{
	char err[128];
	json_t *j = dtp_to_json(res, err, sizeof(err));

	if (j == NULL)
		return set_error(p, DYNTABLE_ERR_PROTOCOL, err);
	p->status_json = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (p->status_json == NULL)
		return -1;
	p->pub.status_json = p->status_json;
	return 0;
}

/* An error reply: code, message, aws_type. */
static int
parse_error(result_priv *p, const dtp_msg *m)
{
	const msgpack_object *msg = dtp_map_get(m->error, "message");
	const msgpack_object *aws = dtp_map_get(m->error, "aws_type");

	p->pub.status = dtc_status_from_wire(m->err_code);
	p->message = msg ? dtp_strdup(msg) : NULL;
	if (!p->message)
		p->message = strdup(dtp_err_name(m->err_code));
	if (!p->message)
		return -1;
	p->pub.message = p->message;
	if (aws && aws->type == MSGPACK_OBJECT_STR) {
		p->aws_type = dtp_strdup(aws);
		p->pub.aws_type = p->aws_type;
	}
	return 0;
}

dyntable_result *
dtc_result_reply(dyntable_op op, const dtp_msg *m)
{
	result_priv *p = result_new(op);
	int rc = 0;

	if (!p)
		return NULL;
	if (!m->ok) {
		rc = parse_error(p, m);
	} else {
		switch (op) {
		case DYNTABLE_OP_CREATE_TABLE:
		case DYNTABLE_OP_DESCRIBE_TABLE:
		case DYNTABLE_OP_DELETE_TABLE:
		case DYNTABLE_OP_WAIT_TABLE_ACTIVE:
			rc = parse_table(p, dtp_map_get(m->result, "table"));
			break;
		case DYNTABLE_OP_TABLE_EXISTS:
			rc = parse_exists(p, m->result);
			break;
		case DYNTABLE_OP_LIST_TABLES:
			rc = parse_list(p, m->result, "tables");
			break;
		case DYNTABLE_OP_REAP:
			rc = parse_reap(p, m->result);
			break;
		case DYNTABLE_OP_STATUS:
			rc = parse_status(p, m->result);
			break;
		case DYNTABLE_OP_WAIT_TABLE_DELETED:
		default:
			break;
		}
	}
	if (rc < 0) {
		dyntable_result_free(&p->pub);
		return NULL;
	}
	return &p->pub;
}
