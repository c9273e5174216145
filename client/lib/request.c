/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: requests. The client-side argument checks; the one path
 * from a table definition (hand-written, or a model's from model.c) to its
 * CreateTableInput (a jansson tree, dumped for dyntable_table_def_json()
 * and dyntable_model_json(), and packed for the wire); and the encoding of
 * each operation's args with the shared codec. Calls only model.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "dtp_json.h"

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
	case DYNTABLE_OP_REAP: return DTP_OP_REAP;
	case DYNTABLE_OP_STATUS: return DTP_OP_STATUS;
	case DYNTABLE_OP_METRICS: return DTP_OP_METRICS;
	case DYNTABLE_OP_TRUNCATE_TABLE: return DTP_OP_TRUNCATE_TABLE;
	case DYNTABLE_OP_LEASE_TABLE: return DTP_OP_LEASE_TABLE;
	case DYNTABLE_OP_RELEASE_TABLE: return DTP_OP_RELEASE_TABLE;
	case DYNTABLE_OP_POOLS: return DTP_OP_POOLS;
	case DYNTABLE_OP_UPDATE_TABLE: return DTP_OP_UPDATE_TABLE;
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE: return DTP_OP_UPDATE_TIME_TO_LIVE;
	case DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE:
		return DTP_OP_DESCRIBE_TIME_TO_LIVE;
	case DYNTABLE_OP_TAG_RESOURCE: return DTP_OP_TAG_RESOURCE;
	case DYNTABLE_OP_UNTAG_RESOURCE: return DTP_OP_UNTAG_RESOURCE;
	case DYNTABLE_OP_LIST_TAGS_OF_RESOURCE:
		return DTP_OP_LIST_TAGS_OF_RESOURCE;
	case DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS:
		return DTP_OP_UPDATE_CONTINUOUS_BACKUPS;
	case DYNTABLE_OP_DESCRIBE_CONTINUOUS_BACKUPS:
		return DTP_OP_DESCRIBE_CONTINUOUS_BACKUPS;
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

/* ---- definition -> CreateTableInput ------------------------------------- */

#define INDEX_LEN 40 /* "indexes[<20 digits>]" */
#define FIELD_LEN 96 /* that + ".non_key_attributes[<20 digits>]" */

/* A key attribute of AttributeDefinitions, and where it was first used. */
typedef struct attr_use {
	const char *name;
	dyntable_type type;
	char where[FIELD_LEN];
} attr_use;

/* The state of one dtc_def_doc(). The first failure wins: later helpers
 * keep running on NULLs, and the half-built document is dropped. */
typedef struct doc_build {
	dyntable_status st;	/* DYNTABLE_OK until something fails */
	char *err;		/* the first failure's reason */
	size_t errlen;
	json_t *defs;		/* AttributeDefinitions (a reference) */
	attr_use *uses;		/* one per element of defs */
	size_t n_uses, cap_uses;
} doc_build;

static void doc_fail(doc_build *b, dyntable_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
doc_fail(doc_build *b, dyntable_status st, const char *fmt, ...)
{
	va_list ap;

	if (b->st != DYNTABLE_OK)
		return;
	b->st = st;
	va_start(ap, fmt);
	vsnprintf(b->err, b->errlen, fmt, ap);
	va_end(ap);
}

static void
doc_nomem(doc_build *b)
{
	doc_fail(b, DYNTABLE_ERR_NOMEM, "out of memory");
}

/* A JSON string for field's value s: a NULL s is "required", a string
 * jansson refuses "not valid UTF-8". NULL after a failure. */
static json_t *
doc_str(doc_build *b, const char *s, const char *field)
{
	json_t *j;

	if (!s) {
		doc_fail(b, DYNTABLE_ERR_INVALID, "%s: required", field);
		return NULL;
	}
	if ((j = json_string(s)) != NULL)
		return j;
	if ((j = json_string_nocheck(s)) != NULL) {
		json_decref(j);
		doc_fail(b, DYNTABLE_ERR_INVALID, "%s: not valid UTF-8", field);
	} else {
		doc_nomem(b);
	}
	return NULL;
}

/* obj[key] = v, taking v. A NULL v (a failure) or obj is recorded. */
static void
doc_set(doc_build *b, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		doc_nomem(b);
}

/* Appends v to arr, taking v; as doc_set. */
static void
doc_push(doc_build *b, json_t *arr, json_t *v)
{
	if (!v || json_array_append_new(arr, v) != 0)
		doc_nomem(b);
}

/* Adds key attribute a (at field) to AttributeDefinitions unless there,
 * and refuses it with another type than where it was first used. */
static void
doc_attr(doc_build *b, const dyntable_attr *a, const char *field)
{
	char type[2] = { (char)a->type, '\0' };

	for (size_t i = 0; i < b->n_uses; i++) {
		const attr_use *u = &b->uses[i];

		if (strcmp(u->name, a->name) != 0)
			continue;
		if (u->type != a->type)
			doc_fail(b, DYNTABLE_ERR_INVALID, "%s.type: '%s' is %c "
			    "here but %c in %s", field, a->name, (char)a->type,
			    (char)u->type, u->where);
		return;
	}
	if (b->n_uses == b->cap_uses) {
		size_t cap = b->cap_uses ? 2 * b->cap_uses : 8;
		attr_use *n = realloc(b->uses, cap * sizeof *n);

		if (!n) {
			doc_nomem(b);
			return;
		}
		b->uses = n;
		b->cap_uses = cap;
	}
	attr_use *u = &b->uses[b->n_uses++];
	u->name = a->name;
	u->type = a->type;
	snprintf(u->where, sizeof u->where, "%s", field);

	json_t *d = json_object();
	doc_set(b, d, "AttributeName", json_string(a->name));
	doc_set(b, d, "AttributeType", json_string(type));
	doc_push(b, b->defs, d);
}

/* A KeySchema element {AttributeName, KeyType} for a (at field). */
static json_t *
doc_key(doc_build *b, const dyntable_attr *a, const char *key_type,
    const char *field)
{
	char f[FIELD_LEN + 8];
	json_t *name, *k;

	snprintf(f, sizeof f, "%s.name", field);
	if (!(name = doc_str(b, a->name, f)))
		return NULL;
	if (!type_ok(a->type)) {
		json_decref(name);
		doc_fail(b, DYNTABLE_ERR_INVALID, "%s.type: must be S, N or B",
		    field);
		return NULL;
	}
	doc_attr(b, a, field);
	k = json_object();
	doc_set(b, k, "AttributeName", name);
	doc_set(b, k, "KeyType", json_string(key_type));
	return k;
}

/* {ReadCapacityUnits, WriteCapacityUnits} */
static json_t *
doc_throughput(doc_build *b, long long rcu, long long wcu)
{
	json_t *t = json_object();

	doc_set(b, t, "ReadCapacityUnits", json_integer(rcu));
	doc_set(b, t, "WriteCapacityUnits", json_integer(wcu));
	return t;
}

/*
 * An index's Projection. NonKeyAttributes go out whenever given: the
 * daemon refuses them without INCLUDE (and INCLUDE without them) with a
 * message naming the field, so the library does not repeat that rule.
 */
static json_t *
doc_projection(doc_build *b, dyntable_projection p,
    const char *const *nka, size_t n, const char *idx)
{
	static const char *const types[] = {
		[DYNTABLE_PROJECTION_ALL] = "ALL",
		[DYNTABLE_PROJECTION_KEYS_ONLY] = "KEYS_ONLY",
		[DYNTABLE_PROJECTION_INCLUDE] = "INCLUDE",
	};
	char f[FIELD_LEN];
	json_t *j, *a;

	if ((unsigned)p >= sizeof types / sizeof types[0]) {
		doc_fail(b, DYNTABLE_ERR_INVALID, "%s.projection: unknown "
		    "value %d", idx, (int)p);
		return NULL;
	}
	j = json_object();
	doc_set(b, j, "ProjectionType", json_string(types[p]));
	if (n == 0)
		return j;
	if (!nka) {
		doc_fail(b, DYNTABLE_ERR_INVALID, "%s.non_key_attributes: "
		    "NULL with n_non_key_attributes %zu", idx, n);
		return j;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		snprintf(f, sizeof f, "%s.non_key_attributes[%zu]", idx, i);
		doc_push(b, a, doc_str(b, nka[i], f));
	}
	doc_set(b, j, "NonKeyAttributes", a);
	return j;
}

/* One element of GlobalSecondaryIndexes. Under PROVISIONED it gets its
 * own throughput, the table's (rcu, wcu) where it sets none. */
static json_t *
doc_gsi(doc_build *b, const dyntable_gsi_def *g, const char *idx, bool prov,
    long long rcu, long long wcu)
{
	char f[FIELD_LEN];
	json_t *x = json_object(), *ks = json_array();

	snprintf(f, sizeof f, "%s.name", idx);
	doc_set(b, x, "IndexName", doc_str(b, g->name, f));
	if (!g->partition_keys[0].name)
		doc_fail(b, DYNTABLE_ERR_INVALID, "%s.partition_keys: a GSI "
		    "needs at least one", idx);
	for (size_t k = 0; k < DYNTABLE_INDEX_KEYS_MAX &&
	    g->partition_keys[k].name; k++) {
		snprintf(f, sizeof f, "%s.partition_keys[%zu]", idx, k);
		doc_push(b, ks, doc_key(b, &g->partition_keys[k], "HASH", f));
	}
	for (size_t k = 0; k < DYNTABLE_INDEX_KEYS_MAX &&
	    g->sort_keys[k].name; k++) {
		snprintf(f, sizeof f, "%s.sort_keys[%zu]", idx, k);
		doc_push(b, ks, doc_key(b, &g->sort_keys[k], "RANGE", f));
	}
	doc_set(b, x, "KeySchema", ks);
	doc_set(b, x, "Projection", doc_projection(b, g->projection,
	    g->non_key_attributes, g->n_non_key_attributes, idx));
	if (prov)
		doc_set(b, x, "ProvisionedThroughput", doc_throughput(b,
		    g->read_capacity ? g->read_capacity : rcu,
		    g->write_capacity ? g->write_capacity : wcu));
	else if (g->read_capacity || g->write_capacity)
		doc_fail(b, DYNTABLE_ERR_INVALID, "%s.read_capacity/"
		    "write_capacity: only with PROVISIONED", idx);
	return x;
}

/* One element of LocalSecondaryIndexes: the table's partition key pk and
 * the index's own sort key. */
static json_t *
doc_lsi(doc_build *b, const dyntable_lsi_def *l, const dyntable_attr *pk,
    const char *idx)
{
	char f[FIELD_LEN];
	json_t *x = json_object(), *ks = json_array();

	snprintf(f, sizeof f, "%s.name", idx);
	doc_set(b, x, "IndexName", doc_str(b, l->name, f));
	doc_push(b, ks, doc_key(b, pk, "HASH", "partition_key"));
	snprintf(f, sizeof f, "%s.sort_key", idx);
	doc_push(b, ks, doc_key(b, &l->sort_key, "RANGE", f));
	doc_set(b, x, "KeySchema", ks);
	doc_set(b, x, "Projection", doc_projection(b, l->projection,
	    l->non_key_attributes, l->n_non_key_attributes, idx));
	return x;
}

/* The checks of the options that the document cannot carry: enums out of
 * range, capacities under PAY_PER_REQUEST, the KMS key's presence. */
static void
doc_options_check(doc_build *b, const dyntable_table_options *o)
{
	if (o->billing_mode != DYNTABLE_PAY_PER_REQUEST &&
	    o->billing_mode != DYNTABLE_PROVISIONED)
		doc_fail(b, DYNTABLE_ERR_INVALID, "billing_mode: must be "
		    "PAY_PER_REQUEST or PROVISIONED");
	else if (o->billing_mode == DYNTABLE_PAY_PER_REQUEST &&
	    (o->read_capacity || o->write_capacity))
		doc_fail(b, DYNTABLE_ERR_INVALID, "read_capacity/"
		    "write_capacity: only with PROVISIONED");
	if ((unsigned)o->table_class >
	    DYNTABLE_TABLE_CLASS_STANDARD_INFREQUENT_ACCESS)
		doc_fail(b, DYNTABLE_ERR_INVALID, "table_class: unknown "
		    "value %d", (int)o->table_class);
	if ((unsigned)o->encryption > DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED)
		doc_fail(b, DYNTABLE_ERR_INVALID, "encryption: unknown "
		    "value %d", (int)o->encryption);
	else if (o->encryption == DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED &&
	    !o->kms_key_id)
		doc_fail(b, DYNTABLE_ERR_INVALID, "kms_key_id: required with "
		    "CUSTOMER_MANAGED encryption");
	else if (o->encryption != DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED &&
	    o->kms_key_id)
		doc_fail(b, DYNTABLE_ERR_INVALID, "kms_key_id: only with "
		    "CUSTOMER_MANAGED encryption");
	if ((unsigned)o->stream > DYNTABLE_STREAM_KEYS_ONLY)
		doc_fail(b, DYNTABLE_ERR_INVALID, "stream: unknown value %d",
		    (int)o->stream);
	if (o->n_tags && !o->tags)
		doc_fail(b, DYNTABLE_ERR_INVALID, "tags: NULL with n_tags %zu",
		    o->n_tags);
}

/* The members after the indexes, from the options (already checked). */
static void
doc_options(doc_build *b, json_t *t, const dyntable_table_options *o,
    long long rcu, long long wcu)
{
	static const char *const views[] = {
		[DYNTABLE_STREAM_NEW_IMAGE] = "NEW_IMAGE",
		[DYNTABLE_STREAM_OLD_IMAGE] = "OLD_IMAGE",
		[DYNTABLE_STREAM_NEW_AND_OLD_IMAGES] = "NEW_AND_OLD_IMAGES",
		[DYNTABLE_STREAM_KEYS_ONLY] = "KEYS_ONLY",
	};
	bool prov = o->billing_mode == DYNTABLE_PROVISIONED;
	char f[FIELD_LEN];
	json_t *j;

	doc_set(b, t, "BillingMode", json_string(prov ? "PROVISIONED" :
	    "PAY_PER_REQUEST"));
	if (prov)
		doc_set(b, t, "ProvisionedThroughput",
		    doc_throughput(b, rcu, wcu));
	if (o->stream != DYNTABLE_STREAM_NONE) {
		j = json_object();
		doc_set(b, j, "StreamEnabled", json_true());
		doc_set(b, j, "StreamViewType", json_string(views[o->stream]));
		doc_set(b, t, "StreamSpecification", j);
	}
	/* AWS owned key: no SSESpecification. Enabled:true alone would
	 * select the AWS managed key. */
	if (o->encryption != DYNTABLE_ENCRYPTION_AWS_OWNED) {
		j = json_object();
		doc_set(b, j, "Enabled", json_true());
		doc_set(b, j, "SSEType", json_string("KMS"));
		if (o->kms_key_id)
			doc_set(b, j, "KMSMasterKeyId",
			    doc_str(b, o->kms_key_id, "kms_key_id"));
		doc_set(b, t, "SSESpecification", j);
	}
	if (o->n_tags) {
		j = json_array();
		for (size_t i = 0; i < o->n_tags; i++) {
			const dyntable_tag *g = &o->tags[i];
			json_t *tag = json_object();

			snprintf(f, sizeof f, "tags[%zu].key", i);
			doc_set(b, tag, "Key", doc_str(b, g->key, f));
			snprintf(f, sizeof f, "tags[%zu].value", i);
			doc_set(b, tag, "Value", doc_str(b, g->value ?
			    g->value : "", f));
			doc_push(b, j, tag);
		}
		doc_set(b, t, "Tags", j);
	}
	if (o->table_class != DYNTABLE_TABLE_CLASS_DEFAULT)
		doc_set(b, t, "TableClass", json_string(o->table_class ==
		    DYNTABLE_TABLE_CLASS_STANDARD ? "STANDARD" :
		    "STANDARD_INFREQUENT_ACCESS"));
	if (o->deletion_protection)
		doc_set(b, t, "DeletionProtectionEnabled", json_true());
}

/* "gsis[i]", or the model's "indexes[j]", into buf. */
static void
index_label(char *buf, size_t size, const char *arr, const size_t *pos,
    size_t i)
{
	snprintf(buf, size, "%s[%zu]", arr, pos ? pos[i] : i);
}

dyntable_status
dtc_def_doc(const dyntable_table_def *d, const dtc_index_names *names,
    json_t **doc, char *err, size_t errlen)
{
	static const dtc_index_names own = { .gsi = "gsis", .lsi = "lsis" };
	doc_build b = { .err = err, .errlen = errlen };
	char idx[INDEX_LEN];
	json_t *t, *ks, *gsis = NULL, *lsis = NULL;

	*doc = NULL;
	if (!d) {
		snprintf(err, errlen, "table definition is NULL");
		return DYNTABLE_ERR_INVALID;
	}
	if (!names)
		names = &own;
	const dyntable_table_options *o = &d->options;
	bool prov = o->billing_mode == DYNTABLE_PROVISIONED;
	long long rcu = o->read_capacity ? o->read_capacity : 5;
	long long wcu = o->write_capacity ? o->write_capacity : 5;

	doc_options_check(&b, o);
	if (d->n_gsis && !d->gsis)
		doc_fail(&b, DYNTABLE_ERR_INVALID, "gsis: NULL with n_gsis %zu",
		    d->n_gsis);
	if (d->n_lsis && !d->lsis)
		doc_fail(&b, DYNTABLE_ERR_INVALID, "lsis: NULL with n_lsis %zu",
		    d->n_lsis);
	if (b.st != DYNTABLE_OK)
		return b.st;

	/* AttributeDefinitions comes first but fills up as keys are seen:
	 * table, GSIs, then LSIs, the first use of each attribute. */
	t = json_object();
	b.defs = json_array();
	if (!b.defs || json_object_set(t, "AttributeDefinitions", b.defs))
		doc_nomem(&b);
	doc_set(&b, t, "TableName", doc_str(&b, d->name, "name"));
	ks = json_array();
	doc_push(&b, ks, doc_key(&b, &d->partition_key, "HASH",
	    "partition_key"));
	if (d->sort_key.name)
		doc_push(&b, ks, doc_key(&b, &d->sort_key, "RANGE",
		    "sort_key"));
	doc_set(&b, t, "KeySchema", ks);
	if (d->n_gsis) {
		gsis = json_array();
		for (size_t i = 0; i < d->n_gsis; i++) {
			index_label(idx, sizeof idx, names->gsi,
			    names->gsi_pos, i);
			doc_push(&b, gsis, doc_gsi(&b, &d->gsis[i], idx, prov,
			    rcu, wcu));
		}
	}
	if (d->n_lsis) {
		lsis = json_array();
		for (size_t i = 0; i < d->n_lsis; i++) {
			index_label(idx, sizeof idx, names->lsi,
			    names->lsi_pos, i);
			doc_push(&b, lsis, doc_lsi(&b, &d->lsis[i],
			    &d->partition_key, idx));
		}
		doc_set(&b, t, "LocalSecondaryIndexes", lsis);
	}
	if (gsis)
		doc_set(&b, t, "GlobalSecondaryIndexes", gsis);
	doc_options(&b, t, o, rcu, wcu);

	json_decref(b.defs);
	free(b.uses);
	if (b.st != DYNTABLE_OK) {
		json_decref(t);
		return b.st;
	}
	*doc = t;
	return DYNTABLE_OK;
}

/* ---- CreateTableInput JSON text ----------------------------------------- */

/* The protocol counts containers over the whole request: the message and
 * its args hold the table. */
#define INPUT_DEPTH_MAX (DTP_DEPTH_MAX - 2)

/* Containers nested in j, j included; 0 for a scalar. The recursion is
 * bounded by the depth jansson's parser accepts. */
static unsigned
json_depth(const json_t *j)
{
	json_t *mj = (json_t *)j; /* the iterators are not const */
	unsigned d = 0, sub;
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(mj, key, v)
			if ((sub = json_depth(v)) > d)
				d = sub;
	} else if (json_is_array(j)) {
		json_array_foreach(mj, i, v)
			if ((sub = json_depth(v)) > d)
				d = sub;
	} else {
		return 0;
	}
	return d + 1;
}

/* Parses a CreateTableInput (or, what naming it, UpdateTableInput)
 * document; the daemon checks its members. */
static dyntable_status
input_doc(const char *text, const char *what, json_t **doc, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (!text) {
		snprintf(err, errlen, "%s is NULL", what);
		return DYNTABLE_ERR_INVALID;
	}
	if (!(j = json_loads(text, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(err, errlen, "%s: line %d, column %d: %s", what,
		    je.line, je.column, je.text);
		return DYNTABLE_ERR_INVALID;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "%s: must be a JSON object", what);
		return DYNTABLE_ERR_INVALID;
	}
	if (json_depth(j) > INPUT_DEPTH_MAX) {
		json_decref(j);
		snprintf(err, errlen, "%s: nested deeper than %d levels", what,
		    INPUT_DEPTH_MAX);
		return DYNTABLE_ERR_INVALID;
	}
	*doc = j;
	return DYNTABLE_OK;
}

/* A CreateTableInput document: without BillingMode it means PROVISIONED,
 * as to DynamoDB and the AWS CLI, so the mode is made explicit (the
 * protocol's own default is on-demand, for the library's definitions). */
static dyntable_status
create_input_doc(const char *text, json_t **doc, char *err, size_t errlen)
{
	dyntable_status st = input_doc(text, "CreateTableInput", doc, err,
	    errlen);

	if (st == DYNTABLE_OK && !json_object_get(*doc, "BillingMode") &&
	    json_object_set_new(*doc, "BillingMode",
	    json_string("PROVISIONED")) != 0) {
		json_decref(*doc);
		*doc = NULL;
		snprintf(err, errlen, "out of memory");
		return DYNTABLE_ERR_NOMEM;
	}
	return st;
}

/* update_table: the UpdateTableInput without its TableName, which must
 * be the table's name when given (the protocol names the table once). */
static dyntable_status
update_doc(const dtc_args *a, json_t **doc, char *err, size_t errlen)
{
	dyntable_status st = input_doc(a->input, "UpdateTableInput", doc, err,
	    errlen);
	const json_t *tn;

	if (st != DYNTABLE_OK)
		return st;
	tn = json_object_get(*doc, "TableName");
	if (tn != NULL && (!json_is_string(tn) ||
	    strcmp(json_string_value(tn), a->name) != 0)) {
		snprintf(err, errlen, "UpdateTableInput.TableName: not the "
		    "table updated (%.200s)", a->name);
		json_decref(*doc);
		*doc = NULL;
		return DYNTABLE_ERR_INVALID;
	}
	json_object_del(*doc, "TableName");
	return DYNTABLE_OK;
}

/* The document argument of the TTL, tags and backups operations, in
 * DynamoDB's shapes (the daemon checks them). */
static dyntable_status
small_doc(dyntable_op op, const dtc_args *a, json_t **doc, char *err,
    size_t errlen)
{
	json_t *j = NULL;

	if ((op == DYNTABLE_OP_TAG_RESOURCE && a->n && !a->tags) ||
	    (op == DYNTABLE_OP_UNTAG_RESOURCE && a->n && !a->keys) ||
	    (op == DYNTABLE_OP_UPDATE_TIME_TO_LIVE && !a->attribute)) {
		snprintf(err, errlen, "%s is NULL", op ==
		    DYNTABLE_OP_TAG_RESOURCE ? "tags" : op ==
		    DYNTABLE_OP_UNTAG_RESOURCE ? "keys" : "attribute");
		return DYNTABLE_ERR_INVALID;
	}
	switch (op) {
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE:
		j = json_pack("{s:b,s:s}", "Enabled", a->enabled,
		    "AttributeName", a->attribute);
		break;
	case DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS:
		j = json_pack("{s:b}", "PointInTimeRecoveryEnabled", a->enabled);
		if (j && a->days && json_object_set_new(j,
		    "RecoveryPeriodInDays", json_integer(a->days)) != 0) {
			json_decref(j);
			j = NULL;
		}
		break;
	case DYNTABLE_OP_TAG_RESOURCE:
		j = json_array();
		for (size_t i = 0; j && i < a->n; i++)
			if (!a->tags[i].key || json_array_append_new(j,
			    json_pack("{s:s,s:s}", "Key", a->tags[i].key,
			    "Value", a->tags[i].value ? a->tags[i].value :
			    "")) != 0) {
				json_decref(j);
				snprintf(err, errlen, "tags[%zu]: a key NULL, or "
				    "not valid UTF-8", i);
				return DYNTABLE_ERR_INVALID;
			}
		break;
	default: /* UNTAG_RESOURCE */
		j = json_array();
		for (size_t i = 0; j && i < a->n; i++)
			if (!a->keys[i] || json_array_append_new(j,
			    json_string(a->keys[i])) != 0) {
				json_decref(j);
				snprintf(err, errlen, "keys[%zu]: NULL, or not "
				    "valid UTF-8", i);
				return DYNTABLE_ERR_INVALID;
			}
		break;
	}
	if (!j) {
		snprintf(err, errlen, "out of memory, or attribute not valid "
		    "UTF-8");
		return DYNTABLE_ERR_INVALID;
	}
	*doc = j;
	return DYNTABLE_OK;
}

/* dtc_def_doc() for the definition model m stands for. */
static dyntable_status
model_doc(const dyntable_model *m, const dyntable_table_options *opts,
    json_t **doc, char *err, size_t errlen)
{
	dtc_model_def md;
	dyntable_status st;

	st = dtc_model_def_make(m, opts, &md, err, errlen);
	if (st == DYNTABLE_OK)
		st = dtc_def_doc(&md.def, &md.names, doc, err, errlen);
	dtc_model_def_free(&md);
	return st;
}

/* ---- requests ----------------------------------------------------------- */

dyntable_status
dtc_request_prepare(dyntable_op op, const dtc_args *a, json_t **doc,
    char *err, size_t errlen)
{
	*doc = NULL;
	if (a->src == DTC_SRC_MODEL && !a->model) {
		snprintf(err, errlen, "model is NULL");
		return DYNTABLE_ERR_INVALID;
	}
	switch (op) {
	case DYNTABLE_OP_LIST_TABLES:
	case DYNTABLE_OP_REAP:
	case DYNTABLE_OP_STATUS:
	case DYNTABLE_OP_METRICS:
	case DYNTABLE_OP_POOLS:
		return DYNTABLE_OK;
	case DYNTABLE_OP_LEASE_TABLE: {
		/* The pool names its tables: a definition needs no name. */
		dyntable_table_def d;
		dyntable_status st;

		if (a->name != NULL && (st = name_check(a->name,
		    "logical name", err, errlen)) != DYNTABLE_OK)
			return st;
		if (a->src == DTC_SRC_MODEL)
			return model_doc(a->model, a->opts, doc, err, errlen);
		if (a->src == DTC_SRC_INPUT)
			return create_input_doc(a->input, doc, err, errlen);
		if (a->def == NULL)
			return dtc_def_doc(NULL, NULL, doc, err, errlen);
		d = *a->def;
		if (d.name == NULL)
			d.name = "leased-table";
		return dtc_def_doc(&d, NULL, doc, err, errlen);
	}
	case DYNTABLE_OP_CREATE_TABLE:
		if (a->src == DTC_SRC_MODEL)
			return model_doc(a->model, a->opts, doc, err, errlen);
		if (a->src == DTC_SRC_INPUT)
			return create_input_doc(a->input, doc, err, errlen);
		return dtc_def_doc(a->def, NULL, doc, err, errlen);
	case DYNTABLE_OP_UPDATE_TABLE:
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE:
	case DYNTABLE_OP_TAG_RESOURCE:
	case DYNTABLE_OP_UNTAG_RESOURCE:
	case DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS: {
		dyntable_status st = name_check(a->name, "table name", err,
		    errlen);

		if (st != DYNTABLE_OK)
			return st;
		return op == DYNTABLE_OP_UPDATE_TABLE ? update_doc(a, doc, err,
		    errlen) : small_doc(op, a, doc, err, errlen);
	}
	default:
		return name_check(a->name, a->src == DTC_SRC_MODEL ?
		    "table_name" : "table name", err, errlen);
	}
}

/*
 * The CreateTableInput of create_table arguments a as compact JSON, in
 * member order, into *json (malloc'd, the caller frees it; NULL on error).
 * err may be NULL. Same errors as dtc_request_prepare().
 */
static dyntable_status
create_json(const dtc_args *a, char **json, char *err, size_t errlen)
{
	char dummy[8];
	json_t *doc;
	dyntable_status st;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (!json) {
		snprintf(err, errlen, "json is NULL");
		return DYNTABLE_ERR_INVALID;
	}
	*json = NULL;
	st = dtc_request_prepare(DYNTABLE_OP_CREATE_TABLE, a, &doc, err,
	    errlen);
	if (st != DYNTABLE_OK)
		return st;
	*json = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!*json) {
		snprintf(err, errlen, "out of memory");
		return DYNTABLE_ERR_NOMEM;
	}
	return DYNTABLE_OK;
}

dyntable_status
dyntable_table_def_json(const dyntable_table_def *def, char **json, char *err,
    size_t errlen)
{
	dtc_args a = { .src = DTC_SRC_DEF, .def = def };

	return create_json(&a, json, err, errlen);
}

dyntable_status
dyntable_model_json(const dyntable_model *m, const dyntable_table_options *opts,
    char **json, char *err, size_t errlen)
{
	dtc_args a = { .src = DTC_SRC_MODEL, .model = m, .opts = opts };

	return create_json(&a, json, err, errlen);
}

int
dtc_request_encode(uint32_t id, dyntable_op op, const dtc_args *a,
    const json_t *doc, char **frame, size_t *len)
{
	uint32_t tmo = a->timeout_ms ? 1 : 0;
	/* Ephemeral is a table option, of a definition or of a model's. */
	bool eph = (a->src == DTC_SRC_DEF && a->def != NULL &&
	    a->def->options.ephemeral) || (a->src == DTC_SRC_MODEL &&
	    a->opts != NULL && a->opts->ephemeral);
	bool only = a->wait && a->table_only;
	dtp_enc e;
	int rc;

	dtp_enc_init(&e);
	switch (op) {
	case DYNTABLE_OP_CREATE_TABLE:
		dtp_enc_request(&e, id, DTP_OP_CREATE_TABLE,
		    1 + (a->wait ? 1 : 0) + tmo + (eph ? 1 : 0) +
		    (only ? 1 : 0));
		dtp_pack_cstr(&e, "table");
		dtp_pack_json(&e, doc);
		if (a->wait)
			dtp_pack_kv_bool(&e, "wait", true);
		if (eph)
			dtp_pack_kv_bool(&e, "ephemeral", true);
		if (only)
			dtp_pack_kv_bool(&e, "table_only", true);
		break;
	case DYNTABLE_OP_DELETE_TABLE:
		dtp_enc_request(&e, id, DTP_OP_DELETE_TABLE,
		    1 + (a->wait ? 1 : 0) + tmo);
		dtp_pack_kv_str(&e, "name", a->name);
		if (a->wait)
			dtp_pack_kv_bool(&e, "wait", true);
		break;
	case DYNTABLE_OP_UPDATE_TABLE:
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE:
	case DYNTABLE_OP_TAG_RESOURCE:
	case DYNTABLE_OP_UNTAG_RESOURCE:
	case DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS: {
		static const char *const keys[] = {
			[DYNTABLE_OP_UPDATE_TABLE] = "update",
			[DYNTABLE_OP_UPDATE_TIME_TO_LIVE] = "time_to_live",
			[DYNTABLE_OP_TAG_RESOURCE] = "tags",
			[DYNTABLE_OP_UNTAG_RESOURCE] = "tag_keys",
			[DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS] =
			    "point_in_time_recovery",
		};
		bool w = op == DYNTABLE_OP_UPDATE_TABLE && a->wait;

		if (!w)
			tmo = 0;
		dtp_enc_request(&e, id, wire_op(op), 2 + (w ? 1 : 0) + tmo);
		dtp_pack_kv_str(&e, "name", a->name);
		dtp_pack_cstr(&e, keys[op]);
		dtp_pack_json(&e, doc);
		if (w)
			dtp_pack_kv_bool(&e, "wait", true);
		break;
	}
	case DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE:
	case DYNTABLE_OP_LIST_TAGS_OF_RESOURCE:
	case DYNTABLE_OP_DESCRIBE_CONTINUOUS_BACKUPS:
	case DYNTABLE_OP_DESCRIBE_TABLE:
	case DYNTABLE_OP_TABLE_EXISTS:
		dtp_enc_request(&e, id, wire_op(op), 1);
		dtp_pack_kv_str(&e, "name", a->name);
		tmo = 0;
		break;
	case DYNTABLE_OP_WAIT_TABLE_ACTIVE:
		dtp_enc_request(&e, id, wire_op(op), 1 + tmo +
		    (a->table_only ? 1 : 0));
		dtp_pack_kv_str(&e, "name", a->name);
		if (a->table_only)
			dtp_pack_kv_bool(&e, "table_only", true);
		break;
	case DYNTABLE_OP_WAIT_TABLE_DELETED:
		dtp_enc_request(&e, id, wire_op(op), 1 + tmo);
		dtp_pack_kv_str(&e, "name", a->name);
		break;
	case DYNTABLE_OP_LIST_TABLES:
		dtp_enc_request(&e, id, DTP_OP_LIST_TABLES, a->all ? 1 : 0);
		if (a->all)
			dtp_pack_kv_bool(&e, "all", true);
		tmo = 0;
		break;
	case DYNTABLE_OP_LEASE_TABLE:
		dtp_enc_request(&e, id, DTP_OP_LEASE_TABLE, 1 + tmo +
		    (a->name ? 1 : 0));
		dtp_pack_cstr(&e, "table");
		dtp_pack_json(&e, doc);
		if (a->name)
			dtp_pack_kv_str(&e, "name", a->name);
		break;
	case DYNTABLE_OP_RELEASE_TABLE:
		dtp_enc_request(&e, id, wire_op(op), 1);
		dtp_pack_kv_str(&e, "name", a->name);
		tmo = 0;
		break;
	case DYNTABLE_OP_TRUNCATE_TABLE:
		dtp_enc_request(&e, id, wire_op(op), a->force ? 2 : 1);
		dtp_pack_kv_str(&e, "name", a->name);
		if (a->force)
			dtp_pack_kv_bool(&e, "force", true);
		tmo = 0;
		break;
	case DYNTABLE_OP_REAP:
	case DYNTABLE_OP_STATUS:
	case DYNTABLE_OP_METRICS:
	case DYNTABLE_OP_POOLS:
		dtp_enc_request(&e, id, wire_op(op), 0);
		tmo = 0;
		break;
	default: /* DTC_OP_HELLO */
		dtp_enc_request(&e, id, DTP_OP_HELLO, 3 + (a->ns ? 1 : 0) +
		    (a->session ? 1 : 0));
		dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR);
		dtp_pack_kv_uint(&e, "minor", DTP_VERSION_MINOR);
		dtp_pack_kv_str(&e, "client",
		    "libdyntable " DYNTABLE_VERSION_STRING);
		if (a->ns)
			dtp_pack_kv_str(&e, "namespace", a->ns);
		if (a->session)
			dtp_pack_kv_str(&e, "session", a->session);
		tmo = 0;
		break;
	}
	if (tmo)
		dtp_pack_kv_uint(&e, "timeout_ms", a->timeout_ms);
	rc = dtp_enc_finish(&e, frame, len);
	dtp_enc_free(&e);
	return rc;
}
