/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: results. Builds a dyntable_result from a decoded reply,
 * so that the reply (and the read buffer under it) can go before the
 * callback runs. Small answers are copied out of the msgpack objects. A
 * table's result takes the reply's objects over instead (the zone that
 * holds them, and the payload their strings point into): its common
 * fields are read straight from the TableDescription map, their strings
 * copied into the same zone, NUL-terminated; the map itself becomes JSON
 * only when dyntable_table_json() asks (most callers never do: the
 * conversion cost as much as the rest of the library's work per
 * describe).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_internal.h"
#include "dtp_json.h"

/* A table and what it owns. pub must stay first: dyntable_table_json()
 * gets from the public pointer to the private one. */
typedef struct table_priv {
	dyntable_table pub;	   /* what callers see */
	msgpack_zone *zone;	   /* the reply's objects, then pub's strings
				      and index arrays */
	const msgpack_object *desc; /* the TableDescription map, in zone */
	char *json;		   /* dyntable_table_json(), once asked */
} table_priv;

/* A result and everything it owns. pub must stay first: the public
 * pointer is the private one. */
typedef struct result_priv {
	dyntable_result pub;	/* what callers see */
	table_priv table;	/* pub.table points here when set */
	char *status_json;	/* pub.status_json, pub.pools_json */
	char *metrics_text;	/* pub.metrics_text */
	char *leased, *pool;	/* pub.leased, pub.pool */
	char *json;		/* pub.json */
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
	if (p->table.zone)
		msgpack_zone_free(p->table.zone);
	free(p->table.json);
	free(p->status_json);
	free(p->metrics_text);
	free(p->leased);
	free(p->pool);
	free(p->json);
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

/*
 * The reading below keeps what jansson's getters did on the converted tree:
 * a member of the wrong type reads as absent (NULL, 0, false). The map has
 * passed dtp_json_check(), so keys are unique and strings hold no NUL.
 */

/* Where a table's strings go: the zone it took over. */
typedef struct table_zone {
	msgpack_zone *zone;
	bool nomem;		/* an allocation failed */
} table_zone;

/* o's string, NUL-terminated in the zone; NULL when o is not a str. */
static const char *
zone_keep(table_zone *z, const msgpack_object *o)
{
	char *s;

	if (!o || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	s = msgpack_zone_malloc_no_align(z->zone, (size_t)o->via.str.size + 1);
	if (!s) {
		z->nomem = true;
		return NULL;
	}
	if (o->via.str.size)
		memcpy(s, o->via.str.ptr, o->via.str.size);
	s[o->via.str.size] = '\0';
	return s;
}

/* A str member of a map, or NULL. */
static const msgpack_object *
mstr(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = dtp_map_get(map, key);

	return v && v->type == MSGPACK_OBJECT_STR ? v : NULL;
}

/* An integer member; a float within range is truncated; else 0. */
static long long
mint(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = dtp_map_get(map, key);

	if (!v)
		return 0;
	switch (v->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER: /* at most INT64_MAX: checked */
		return (long long)v->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return (long long)v->via.i64;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (v->via.f64 > -9e18 && v->via.f64 < 9e18)
			return (long long)v->via.f64;
		return 0;
	default:
		return 0;
	}
}

/* A number member as a double; else 0. */
static double
mnum(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = dtp_map_get(map, key);

	if (!v)
		return 0;
	switch (v->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return (double)(long long)v->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return (double)v->via.i64;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return v->via.f64;
	default:
		return 0;
	}
}

/* True when the member is the boolean true. */
static bool
mtrue(const msgpack_object *map, const char *key)
{
	bool b = false;

	return dtp_get_bool(dtp_map_get(map, key), &b) && b;
}

/* The elements of an array member (*n of them), or NULL and 0. */
static const msgpack_object *
marray(const msgpack_object *map, const char *key, size_t *n)
{
	const msgpack_object *v = dtp_map_get(map, key);

	if (!v || v->type != MSGPACK_OBJECT_ARRAY) {
		*n = 0;
		return NULL;
	}
	*n = v->via.array.size;
	return v->via.array.ptr;
}

/* True if str objects a and b hold the same bytes. */
static bool
str_same(const msgpack_object *a, const msgpack_object *b)
{
	return a->via.str.size == b->via.str.size && (a->via.str.size == 0 ||
	    memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size) == 0);
}

/* The type of attribute name (a str) in AttributeDefinitions: the first
 * definition of that name with a str type decides; 0 when unknown. */
static dyntable_type
attr_type(const msgpack_object *defs, size_t n_defs,
    const msgpack_object *name)
{
	for (size_t i = 0; i < n_defs; i++) {
		const msgpack_object *n = mstr(&defs[i], "AttributeName");
		const msgpack_object *t = mstr(&defs[i], "AttributeType");

		if (!n || !t || !str_same(n, name))
			continue;
		if (dtp_str_eq(t, "S"))
			return DYNTABLE_S;
		if (dtp_str_eq(t, "N"))
			return DYNTABLE_N;
		if (dtp_str_eq(t, "B"))
			return DYNTABLE_B;
		break;
	}
	return (dyntable_type)0;
}

/* The first HASH and first RANGE attribute of x's KeySchema, with types. */
static void
key_schema(table_zone *z, const msgpack_object *x, const msgpack_object *defs,
    size_t n_defs, dyntable_attr *pk, dyntable_attr *sk)
{
	const msgpack_object *hash = NULL, *range = NULL;
	size_t n;
	const msgpack_object *ks = marray(x, "KeySchema", &n);

	for (size_t i = 0; i < n; i++) {
		const msgpack_object *name = mstr(&ks[i], "AttributeName");
		const msgpack_object *t = mstr(&ks[i], "KeyType");

		if (!name || !t)
			continue;
		if (!hash && dtp_str_eq(t, "HASH"))
			hash = name;
		else if (!range && dtp_str_eq(t, "RANGE"))
			range = name;
	}
	if (hash) {
		pk->name = zone_keep(z, hash);
		pk->type = attr_type(defs, n_defs, hash);
	}
	if (range) {
		sk->name = zone_keep(z, range);
		sk->type = attr_type(defs, n_defs, range);
	}
}

/* Fills idx from the n elements of a GlobalSecondaryIndexes or
 * LocalSecondaryIndexes array. */
static void
indexes(table_zone *z, const msgpack_object *arr, size_t n,
    const msgpack_object *defs, size_t n_defs, bool gsi, dyntable_index *idx)
{
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *x = &arr[i];

		idx[i].name = zone_keep(z, mstr(x, "IndexName"));
		idx[i].status = gsi ? zone_keep(z, mstr(x, "IndexStatus")) : NULL;
		idx[i].projection = zone_keep(z, mstr(dtp_map_get(x, "Projection"),
		    "ProjectionType"));
		key_schema(z, x, defs, n_defs, &idx[i].partition_key,
		    &idx[i].sort_key);
	}
}

/*
 * Parses the TableDescription map o of reply m into p->table, taking m's
 * objects over. Returns 0; -1 when out of memory; 1 when the map cannot
 * be a table (p then holds the error and m is untouched).
 */
static int
parse_table(result_priv *p, dtp_msg *m, const msgpack_object *o)
{
	char why[160];
	table_priv *tp = &p->table;
	dyntable_table *t = &tp->pub;

	if (!o || o->type != MSGPACK_OBJECT_MAP)
		return set_error(p, DYNTABLE_ERR_PROTOCOL,
		    "reply without a table description") ? -1 : 1;
	/* What dtp_to_json() would refuse is refused now, as when the
	 * JSON was built here: the accessor can then only run out of
	 * memory. */
	if (!dtp_json_check(o, why, sizeof why)) {
		char msg[200];

		snprintf(msg, sizeof msg, "bad table description: %s",
		    why[0] ? why : "out of memory");
		return set_error(p, DYNTABLE_ERR_PROTOCOL, msg) ? -1 : 1;
	}
	tp->zone = msgpack_unpacked_release_zone(&m->up);
	tp->desc = o;
	if (!tp->zone) /* dtp_decode_reply always makes one */
		return -1;

	table_zone z = { tp->zone, false };
	size_t n_defs, n_gsi, n_lsi;
	const msgpack_object *defs = marray(o, "AttributeDefinitions",
	    &n_defs);
	const msgpack_object *gsi = marray(o, "GlobalSecondaryIndexes",
	    &n_gsi);
	const msgpack_object *lsi = marray(o, "LocalSecondaryIndexes",
	    &n_lsi);
	const msgpack_object *pt = dtp_map_get(o, "ProvisionedThroughput");
	const msgpack_object *ss = dtp_map_get(o, "StreamSpecification");
	const msgpack_object *sse = dtp_map_get(o, "SSEDescription");

	t->name = zone_keep(&z, mstr(o, "TableName"));
	t->status = zone_keep(&z, mstr(o, "TableStatus"));
	t->arn = zone_keep(&z, mstr(o, "TableArn"));
	t->read_capacity = mint(pt, "ReadCapacityUnits");
	t->write_capacity = mint(pt, "WriteCapacityUnits");
	t->billing_mode = zone_keep(&z, mstr(dtp_map_get(o, "BillingModeSummary"),
	    "BillingMode"));
	if (!t->billing_mode && pt && pt->type == MSGPACK_OBJECT_MAP)
		/* DynamoDB omits the summary for tables that were always
		 * provisioned; on demand ones report 0 capacity. */
		t->billing_mode = t->read_capacity > 0 ? "PROVISIONED" :
		    "PAY_PER_REQUEST";
	t->table_class = zone_keep(&z, mstr(dtp_map_get(o, "TableClassSummary"),
	    "TableClass"));
	key_schema(&z, o, defs, n_defs, &t->partition_key, &t->sort_key);
	t->item_count = mint(o, "ItemCount");
	t->size_bytes = mint(o, "TableSizeBytes");
	t->creation_time = mnum(o, "CreationDateTime");
	t->deletion_protection = mtrue(o, "DeletionProtectionEnabled");
	if (mtrue(ss, "StreamEnabled"))
		t->stream_view_type = zone_keep(&z, mstr(ss, "StreamViewType"));
	t->sse_status = zone_keep(&z, mstr(sse, "Status"));
	t->sse_type = zone_keep(&z, mstr(sse, "SSEType"));
	t->kms_key_arn = zone_keep(&z, mstr(sse, "KMSMasterKeyArn"));

	if (n_gsi + n_lsi > 0) {
		size_t size = (n_gsi + n_lsi) * sizeof(dyntable_index);
		dyntable_index *idx = msgpack_zone_malloc(tp->zone, size);

		if (!idx)
			return -1;
		memset(idx, 0, size);
		indexes(&z, gsi, n_gsi, defs, n_defs, true, idx);
		indexes(&z, lsi, n_lsi, defs, n_defs, false, idx + n_gsi);
		t->n_gsi = n_gsi;
		t->n_lsi = n_lsi;
		t->gsi = n_gsi ? idx : NULL;
		t->lsi = n_lsi ? idx + n_gsi : NULL;
	}
	if (z.nomem)
		return -1;
	p->pub.table = t;
	return 0;
}

/*
 * Converts the kept description on the first call. Not thread-safe on one
 * result (documented): it caches into the result the caller was given as
 * const.
 */
const char *
dyntable_table_json(const dyntable_table *t)
{
	table_priv *tp = (table_priv *)t;

	if (tp && !tp->json) {
		json_t *j = dtp_to_json(tp->desc, NULL, 0);

		tp->json = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	return tp ? tp->json : NULL;
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

/* The string key of res into pub.leased. Same return convention. */
static int
parse_leased(result_priv *p, const msgpack_object *res, const char *key)
{
	const msgpack_object *s = dtp_map_get(res, key);

	if (s == NULL || s->type != MSGPACK_OBJECT_STR)
		return set_error(p, DYNTABLE_ERR_PROTOCOL, "the answer names "
		    "no table") ? -1 : 1;
	if ((p->leased = dtp_strdup(s)) == NULL)
		return -1;
	p->pub.leased = p->leased;
	return 0;
}

/* lease_table: {table_name, pool, fresh, table}. Same return
 * convention. */
static int
parse_lease(result_priv *p, dtp_msg *m)
{
	const msgpack_object *pool = dtp_map_get(m->result, "pool");
	const msgpack_object *fresh = dtp_map_get(m->result, "fresh");
	int rc = parse_leased(p, m->result, "table_name");

	if (rc != 0)
		return rc;
	if (pool != NULL && pool->type == MSGPACK_OBJECT_STR) {
		if ((p->pool = dtp_strdup(pool)) == NULL)
			return -1;
		p->pub.pool = p->pool;
	}
	if (fresh != NULL)
		(void)dtp_get_bool(fresh, &p->pub.fresh);
	/* Last: it takes m's objects over. */
	return parse_table(p, m, dtp_map_get(m->result, "table"));
}

/* truncate_table: {deleted, elapsed_ms}. Same return convention. */
static int
parse_truncate(result_priv *p, const msgpack_object *res)
{
	uint64_t v;

	if (!dtp_get_uint(dtp_map_get(res, "deleted"), &v))
		return set_error(p, DYNTABLE_ERR_PROTOCOL, "truncate_table: "
		    "the answer has no deleted count") ? -1 : 1;
	p->pub.deleted = v;
	if (dtp_get_uint(dtp_map_get(res, "elapsed_ms"), &v))
		p->pub.elapsed_ms = v;
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

/* metrics: {text: str, content_type: str}. Same return convention. */
static int
parse_metrics(result_priv *p, const msgpack_object *res)
{
	const msgpack_object *t = dtp_map_get(res, "text");

	if (t == NULL || t->type != MSGPACK_OBJECT_STR)
		return set_error(p, DYNTABLE_ERR_PROTOCOL,
		    "metrics: the answer carries no text");
	if ((p->metrics_text = dtp_strdup(t)) == NULL)
		return -1;
	p->pub.metrics_text = p->metrics_text;
	return 0;
}

/* The TTL, tags and backups answers: member key of the result, as
 * compact JSON in pub.json. Same return convention. */
static int
parse_json(result_priv *p, const msgpack_object *res, const char *key)
{
	const msgpack_object *v = dtp_map_get(res, key);
	char err[128];
	json_t *j;

	if (v == NULL)
		return set_error(p, DYNTABLE_ERR_PROTOCOL, "reply without its "
		    "result");
	if ((j = dtp_to_json(v, err, sizeof(err))) == NULL)
		return set_error(p, DYNTABLE_ERR_PROTOCOL, err);
	p->json = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	json_decref(j);
	if (p->json == NULL)
		return -1;
	p->pub.json = p->json;
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
dtc_result_reply(dyntable_op op, dtp_msg *m)
{
	result_priv *p = result_new(op);
	int rc = 0;

	if (!p)
		return NULL;
	if (!m->ok) {
		rc = parse_error(p, m);
	} else {
		switch (op) {
		case DYNTABLE_OP_UPDATE_TIME_TO_LIVE:
		case DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE:
			rc = parse_json(p, m->result, "time_to_live");
			break;
		case DYNTABLE_OP_LIST_TAGS_OF_RESOURCE:
			rc = parse_json(p, m->result, "tags");
			break;
		case DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS:
		case DYNTABLE_OP_DESCRIBE_CONTINUOUS_BACKUPS:
			rc = parse_json(p, m->result, "continuous_backups");
			break;
		case DYNTABLE_OP_CREATE_TABLE:
		case DYNTABLE_OP_UPDATE_TABLE:
		case DYNTABLE_OP_DESCRIBE_TABLE:
		case DYNTABLE_OP_DELETE_TABLE:
		case DYNTABLE_OP_WAIT_TABLE_ACTIVE:
			rc = parse_table(p, m, dtp_map_get(m->result,
			    "table"));
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
		case DYNTABLE_OP_METRICS:
			rc = parse_metrics(p, m->result);
			break;
		case DYNTABLE_OP_TRUNCATE_TABLE:
			rc = parse_truncate(p, m->result);
			break;
		case DYNTABLE_OP_LEASE_TABLE:
			rc = parse_lease(p, m);
			break;
		case DYNTABLE_OP_RELEASE_TABLE:
			rc = parse_leased(p, m->result, "released");
			break;
		case DYNTABLE_OP_POOLS:
			rc = parse_status(p, m->result);
			p->pub.pools_json = p->pub.status_json;
			p->pub.status_json = NULL;
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
