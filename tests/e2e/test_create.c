/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of CreateTable's whole surface (issue 3) against a
 * running dyntabled that talks to dynalite, run through harness.sh:
 *
 *  1. every option: the exact CreateTable body that reached the endpoint
 *     (the proxy's request log, $DYNTABLE_TEST_REQUESTS) and, where
 *     dynalite reports it, what DescribeTable says;
 *  2. every validation rule: a bad definition is refused with INVALID, a
 *     message naming the field, and no request at all to the endpoint;
 *  3. a model with a GSI and an LSI creates the same table as the
 *     equivalent hand-written definition and CreateTableInput JSON;
 *  4. create with wait returns only once the table's GSIs are ACTIVE too.
 *
 * dynalite accepts but does not report StreamSpecification,
 * SSESpecification, Tags, TableClass and DeletionProtectionEnabled: for
 * those the request body is the evidence. Tests that need the request
 * log skip without it (a daemon not started by harness.sh).
 *
 * JSON in this file is written with ' for " (see jq()); in the bad
 * definitions, @ stands for a table name unique to the case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dyntable.h"
#include "dyntable_poll.h"
#include "e2e_util.h"

/* Fragments of expected JSON. */
#define Q_HASH(a)   "{'AttributeName':'" a "','KeyType':'HASH'}"
#define Q_RANGE(a)  "{'AttributeName':'" a "','KeyType':'RANGE'}"
#define Q_DEF(a, t) "{'AttributeName':'" a "','AttributeType':'" t "'}"
#define Q_PT(r, w)  "{'ReadCapacityUnits':" #r ",'WriteCapacityUnits':" #w "}"
#define Q_KS_PK	    "'KeySchema':[" Q_HASH("pk") "]"
#define Q_AD_PK	    "'AttributeDefinitions':[" Q_DEF("pk", "S") "]"
#define Q_PPR	    "'BillingMode':'PAY_PER_REQUEST'"
#define Q_PROV(r, w) "'BillingMode':'PROVISIONED','ProvisionedThroughput':" \
	Q_PT(r, w)
/* pk:S only, on demand: what a zero definition sends. */
#define Q_MIN Q_KS_PK "," Q_AD_PK "," Q_PPR

static dyntable_ctx *sc; /* the shared context of the sync tests */

/* ---- helpers ---------------------------------------------------------- */

/* Fails the current test when there is no request log to check (skips
 * it against a daemon already running): see e2e_need_env(). */
static void
need_log(void)
{
	e2e_need_env("DYNTABLE_TEST_REQUESTS");
}

/* A copy of text with ' turned into " and each @ into name (if set). */
static char *
fill(const char *text, const char *name)
{
	size_t nl = name != NULL ? strlen(name) : 0, n = 0;
	char *out, *o;

	for (const char *p = text; *p != '\0'; p++)
		n += *p == '@' ? nl : 1;
	out = o = malloc(n + 1);
	assert_non_null(out);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '@' && name != NULL) {
			memcpy(o, name, nl);
			o += nl;
		} else {
			if (*p == '\'')
				*o++ = '"';
			else
				*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static json_t *
jq_at(const char *text, int line)
{
	char *s = fill(text, NULL);
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);

	if (j == NULL)
		fail_msg("line %d: bad test JSON (%s, column %d): %s", line,
		    err.text, err.column, s);
	free(s);
	return j;
}
#define jq(text) jq_at((text), __LINE__)

/* Compact, sorted JSON text for messages (leaked: only on failure). */
static char *
jdump(const json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT |
	    JSON_ENCODE_ANY) : NULL;

	return s != NULL ? s : (char *)"(none)";
}

static int
cmp_attr_def(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(
	    *(json_t *const *)a, "AttributeName"));
	const char *y = json_string_value(json_object_get(
	    *(json_t *const *)b, "AttributeName"));

	return strcmp(str_or(x, ""), str_or(y, ""));
}

/* Sorts j's AttributeDefinitions by name: their order means nothing. */
static void
sort_attr_defs(json_t *j)
{
	json_t *defs = json_object_get(j, "AttributeDefinitions");
	size_t n = json_array_size(defs);
	json_t **v;

	if (n < 2)
		return;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	v = calloc(n, sizeof(*v));
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(defs, i));
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	qsort(v, n, sizeof(*v), cmp_attr_def);
	json_array_clear(defs);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(defs, v[i]);
	free(v);
}

/* The one CreateTable body recorded for table, as a copy. */
static json_t *
created_body_at(const char *table, int line)
{
	json_t *reqs = recorded("CreateTable", table), *b;

	if (json_array_size(reqs) != 1)
		fail_msg("line %d: %zu CreateTable requests for %s, expected 1",
		    line, json_array_size(reqs), table);
	b = json_deep_copy(json_array_get(reqs, 0));
	json_decref(reqs);
	return b;
}
#define created_body(table) created_body_at((table), __LINE__)

/*
 * got matches want: every member of want is in got with the same value,
 * recursively, arrays element by element; with exact, got has no other
 * member either. Fails naming the first path that differs.
 */
static void
match_at(const json_t *got, const json_t *want, const char *path,
    bool exact, int line)
{
	char sub[256];
	const char *k;
	json_t *v;

	if (json_is_object(want)) {
		if (!json_is_object(got))
			fail_msg("line %d: %s is %s, expected an object "
			    "like %s", line, path, jdump(got), jdump(want));
		json_object_foreach((json_t *)want, k, v) {
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			if (json_object_get(got, k) == NULL)
				fail_msg("line %d: %s is missing; expected %s",
				    line, sub, jdump(v));
			match_at(json_object_get(got, k), v, sub, exact, line);
		}
		json_object_foreach((json_t *)got, k, v)
			if (exact && json_object_get(want, k) == NULL)
				fail_msg("line %d: %s.%s is %s, expected "
				    "absent", line, path, k, jdump(v));
	} else if (json_is_array(want)) {
		if (!json_is_array(got) ||
		    json_array_size(got) != json_array_size(want))
			fail_msg("line %d: %s is %s, expected %s", line, path,
			    jdump(got), jdump(want));
		for (size_t i = 0; i < json_array_size(want); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			match_at(json_array_get(got, i), json_array_get(want,
			    i), sub, exact, line);
		}
	} else if (!json_equal(got, want)) {
		fail_msg("line %d: %s is %s, expected %s", line, path,
		    jdump(got), jdump(want));
	}
}

/* a and b are equal; if not, prints both whole (cmocka truncates long
 * messages) and fails naming the first difference. */
static void
same_at(const json_t *a, const json_t *b, const char *what, int line)
{
	if (json_equal(a, b))
		return;
	fprintf(stderr, "line %d: %s differ:\n  got:      %s\n"
	    "  expected: %s\n", line, what, jdump(a), jdump(b));
	match_at(a, b, what, true, line);
	fail_msg("line %d: %s differ", line, what); /* not reached */
}
#define check_same(a, b, what) same_at((a), (b), (what), __LINE__)

/*
 * The CreateTable body sent for table is exactly want (plus its
 * TableName), AttributeDefinitions in any order.
 */
static void
check_body_at(const char *table, const char *want_text, int line)
{
	json_t *got = created_body_at(table, line), *want = jq_at(want_text,
	    line);

	json_object_set_new(want, "TableName", json_string(table));
	sort_attr_defs(got);
	sort_attr_defs(want);
	same_at(got, want, "body", line);
	json_decref(got);
	json_decref(want);
}
#define check_body(table, want) check_body_at((table), (want), __LINE__)

/* The TableDescription dyntable_table_json(t) as a json_t,
 * AttributeDefinitions sorted. */
static json_t *
desc_json(const dyntable_table *t)
{
	json_error_t err;
	const char *text;
	json_t *j;

	assert_non_null(t);
	text = dyntable_table_json(t);
	assert_non_null(text);
	assert_ptr_equal(dyntable_table_json(t), text); /* built once */
	if ((j = json_loads(text, 0, &err)) == NULL)
		fail_msg("table json does not parse: %s", err.text);
	sort_attr_defs(j);
	return j;
}

/* DescribeTable(table) has (at least) what want_text says. */
static void
check_desc_at(const char *table, const char *want_text, int line)
{
	dyntable_result *r = dyntable_sync_describe_table(sc, table);
	json_t *got, *want;

	e2e_check_status(r, DYNTABLE_OK, "describe", line);
	got = desc_json(r->table);
	want = jq_at(want_text, line);
	sort_attr_defs(want);
	match_at(got, want, "Table", false, line);
	json_decref(got);
	json_decref(want);
	dyntable_result_free(r);
}
#define check_desc(table, want) check_desc_at((table), (want), __LINE__)

static dyntable_result *
describe_ok(const char *table)
{
	dyntable_result *r = dyntable_sync_describe_table(sc, table);

	assert_status(r, DYNTABLE_OK);
	assert_non_null(r->table);
	return r;
}

/* Deletes a table without waiting for it to go (dynalite is private to
 * this run): once ACTIVE, since a CREATING table is IN_USE. */
static void
drop(const char *table)
{
	dyntable_result *r = dyntable_sync_wait_for_table_active(sc, table,
	    WAIT_MS);

	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
	r = dyntable_sync_delete_table(sc, table, NULL);
	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
}

/* Creates d, waiting for ACTIVE when wait; d->name is kept. */
static void
create_def(const dyntable_table_def *d, bool wait)
{
	create_ok(sc, d, wait);
}

static void
check_attr(dyntable_attr a, const char *name, dyntable_type type, int line)
{
	e2e_check_str(a.name, name, "attribute name", line);
	if (a.type != type)
		fail_msg("line %d: %s has type %c, expected %c", line, name,
		    (char)a.type, (char)type);
}
#define assert_attr(a, name, type) check_attr((a), (name), (type), __LINE__)

/* ---- 1. every option: the body sent, and DescribeTable ------------------ */

static void
test_default_on_demand(void **state)
{
	const char *name = tname("opt-default");
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;

	need_log();
	create_def(&d, true);
	/* Explicit PAY_PER_REQUEST (absent would mean PROVISIONED), and
	 * nothing else: no class, SSE, stream, tags or protection. */
	check_body(name, "{" Q_MIN "}");
	check_desc(name, "{" Q_KS_PK "," Q_AD_PK ",'BillingModeSummary':"
	    "{'BillingMode':'PAY_PER_REQUEST'},'TableStatus':'ACTIVE'}");
	r = describe_ok(name);
	assert_str(r->table->billing_mode, "PAY_PER_REQUEST");
	assert_int_equal(r->table->read_capacity, 0);
	assert_int_equal(r->table->write_capacity, 0);
	assert_int_equal(r->table->n_gsi, 0);
	assert_int_equal(r->table->n_lsi, 0);
	dyntable_result_free(r);
	drop(name);
}

static void
test_provisioned(void **state)
{
	const char *dflt = tname("opt-prov-default");
	const char *expl = tname("opt-prov-12-7");
	const char *half = tname("opt-prov-12-x");
	dyntable_table_def d;
	dyntable_result *r;

	need_log();
	/* No capacities: 5 and 5, as in the spec. */
	d = simple_def(dflt);
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	create_def(&d, false);
	check_body(dflt, "{" Q_KS_PK "," Q_AD_PK "," Q_PROV(5, 5) "}");
	check_desc(dflt, "{'ProvisionedThroughput':" Q_PT(5, 5) "}");

	/* Both given, with a sort key. */
	d = simple_def(expl);
	d.sort_key.name = "sk";
	d.sort_key.type = DYNTABLE_N;
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	d.options.read_capacity = 12;
	d.options.write_capacity = 7;
	create_def(&d, false);
	check_body(expl, "{'KeySchema':[" Q_HASH("pk") "," Q_RANGE("sk") "],"
	    "'AttributeDefinitions':[" Q_DEF("pk", "S") "," Q_DEF("sk", "N")
	    "]," Q_PROV(12, 7) "}");
	check_desc(expl, "{'ProvisionedThroughput':" Q_PT(12, 7) "}");
	r = describe_ok(expl);
	assert_int_equal(r->table->read_capacity, 12);
	assert_int_equal(r->table->write_capacity, 7);
	assert_attr(r->table->sort_key, "sk", DYNTABLE_N);
	if (r->table->billing_mode != NULL)
		assert_str(r->table->billing_mode, "PROVISIONED");
	dyntable_result_free(r);

	/* One given: the other is 5. */
	d = simple_def(half);
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	d.options.read_capacity = 12;
	create_def(&d, false);
	check_body(half, "{" Q_KS_PK "," Q_AD_PK "," Q_PROV(12, 5) "}");

	drop(dflt);
	drop(expl);
	drop(half);
}

static const char *const abc[] = { "a", "b", "c" };

static void
test_gsi_projections(void **state)
{
	const char *name = tname("opt-gsi-proj");
	const dyntable_gsi_def gsis[] = {
		{ .name = "by-all", .partition_keys = { { "g1", DYNTABLE_S } },
		  .projection = DYNTABLE_PROJECTION_ALL },
		{ .name = "by-keys", .partition_keys = { { "g2", DYNTABLE_N } },
		  .sort_keys = { { "g3", DYNTABLE_B } },
		  .projection = DYNTABLE_PROJECTION_KEYS_ONLY },
		{ .name = "by-include",
		  .partition_keys = { { "g1", DYNTABLE_S } },
		  .sort_keys = { { "g2", DYNTABLE_N } },
		  .projection = DYNTABLE_PROJECTION_INCLUDE,
		  .non_key_attributes = abc, .n_non_key_attributes = 3 },
	};
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;
	const dyntable_table *t;

	need_log();
	d.sort_key.name = "sk";
	d.sort_key.type = DYNTABLE_N;
	d.gsis = gsis;
	d.n_gsis = 3;
	create_def(&d, true);
	/* g1 and g2 are used twice but defined once; no throughput on
	 * demand. */
#define GSI_PROJ_INDEXES "'GlobalSecondaryIndexes':[" \
	"{'IndexName':'by-all','KeySchema':[" Q_HASH("g1") "]," \
	"'Projection':{'ProjectionType':'ALL'}}," \
	"{'IndexName':'by-keys','KeySchema':[" Q_HASH("g2") "," Q_RANGE("g3") \
	"],'Projection':{'ProjectionType':'KEYS_ONLY'}}," \
	"{'IndexName':'by-include','KeySchema':[" Q_HASH("g1") "," \
	Q_RANGE("g2") "],'Projection':{'ProjectionType':'INCLUDE'," \
	"'NonKeyAttributes':['a','b','c']}}]"
	check_body(name, "{'KeySchema':[" Q_HASH("pk") "," Q_RANGE("sk") "],"
	    "'AttributeDefinitions':[" Q_DEF("pk", "S") "," Q_DEF("sk", "N")
	    "," Q_DEF("g1", "S") "," Q_DEF("g2", "N") "," Q_DEF("g3", "B")
	    "]," Q_PPR "," GSI_PROJ_INDEXES "}");
	check_desc(name, "{" GSI_PROJ_INDEXES "}");
	check_desc(name, "{'GlobalSecondaryIndexes':[{'IndexStatus':'ACTIVE'},"
	    "{'IndexStatus':'ACTIVE'},{'IndexStatus':'ACTIVE'}]}");
#undef GSI_PROJ_INDEXES

	/* What libdyntable parses of it. */
	r = describe_ok(name);
	t = r->table;
	assert_int_equal(t->n_gsi, 3);
	assert_int_equal(t->n_lsi, 0);
	assert_str(t->gsi[0].name, "by-all");
	assert_str(t->gsi[0].projection, "ALL");
	assert_str(t->gsi[0].status, "ACTIVE");
	assert_attr(t->gsi[0].partition_key, "g1", DYNTABLE_S);
	assert_null(t->gsi[0].sort_key.name);
	assert_str(t->gsi[1].projection, "KEYS_ONLY");
	assert_attr(t->gsi[1].partition_key, "g2", DYNTABLE_N);
	assert_attr(t->gsi[1].sort_key, "g3", DYNTABLE_B);
	assert_str(t->gsi[2].name, "by-include");
	assert_str(t->gsi[2].projection, "INCLUDE");
	assert_attr(t->gsi[2].sort_key, "g2", DYNTABLE_N);
	dyntable_result_free(r);
	drop(name);
}

/* Multi-attribute GSI keys: 2 partition + 2 sort attributes. */
static void
test_gsi_multi_attribute_keys(void **state)
{
	const char *name = tname("opt-gsi-multi");
	const dyntable_gsi_def gsi = {
		.name = "by-tenant-day",
		.partition_keys = { { "tenant", DYNTABLE_S },
				    { "region", DYNTABLE_S } },
		.sort_keys = { { "day", DYNTABLE_N }, { "seq", DYNTABLE_B } },
		.projection = DYNTABLE_PROJECTION_KEYS_ONLY,
	};
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;

	need_log();
	d.gsis = &gsi;
	d.n_gsis = 1;
	r = dyntable_sync_create_table(sc, &d, NULL);
	assert_non_null(r);
#define GSI_MULTI "'GlobalSecondaryIndexes':[{'IndexName':'by-tenant-day'," \
	"'KeySchema':[" Q_HASH("tenant") "," Q_HASH("region") "," \
	Q_RANGE("day") "," Q_RANGE("seq") "]," \
	"'Projection':{'ProjectionType':'KEYS_ONLY'}}]"
	/* Sent either way: the daemon accepts it (DynamoDB does). */
	check_body(name, "{" Q_KS_PK ",'AttributeDefinitions':["
	    Q_DEF("pk", "S") "," Q_DEF("tenant", "S") "," Q_DEF("region", "S")
	    "," Q_DEF("day", "N") "," Q_DEF("seq", "B") "]," Q_PPR ","
	    GSI_MULTI "}");
	if (r->status == DYNTABLE_OK) {
		dyntable_result_free(r);
		check_desc(name, "{" GSI_MULTI "}");
		drop(name);
		return;
	}
#undef GSI_MULTI
	/* dynalite 4.0.0 predates multi-attribute keys and refuses more
	 * than 2 key elements per index: DynamoDB's own ValidationException,
	 * passed on as AWS. */
	print_message("dynalite refused the 4-attribute GSI key: %s: %s\n",
	    str_or(r->aws_type, "-"), str_or(r->message, "-"));
	assert_status(r, DYNTABLE_ERR_AWS);
	assert_str(r->aws_type, "ValidationException");
	assert_non_null(r->message);
	assert_non_null(strstr(r->message, "keySchema"));
	dyntable_result_free(r);
}

static void
test_gsi_throughput(void **state)
{
	const char *name = tname("opt-gsi-prov");
	const char *dflt = tname("opt-gsi-prov-default");
	const dyntable_gsi_def gsis[] = {
		/* Nothing given: the table's 8/4. */
		{ .name = "inherit",
		  .partition_keys = { { "g1", DYNTABLE_S } } },
		/* Its own. */
		{ .name = "own", .partition_keys = { { "g2", DYNTABLE_N } },
		  .projection = DYNTABLE_PROJECTION_KEYS_ONLY,
		  .read_capacity = 3, .write_capacity = 2 },
		/* Read given, write the table's. */
		{ .name = "half", .partition_keys = { { "g1", DYNTABLE_S } },
		  .sort_keys = { { "g2", DYNTABLE_N } }, .read_capacity = 9 },
	};
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;

	need_log();
	d.gsis = gsis;
	d.n_gsis = 3;
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	d.options.read_capacity = 8;
	d.options.write_capacity = 4;
	create_def(&d, true);
#define GSI_PROV "'GlobalSecondaryIndexes':[" \
	"{'IndexName':'inherit','KeySchema':[" Q_HASH("g1") "]," \
	"'Projection':{'ProjectionType':'ALL'}," \
	"'ProvisionedThroughput':" Q_PT(8, 4) "}," \
	"{'IndexName':'own','KeySchema':[" Q_HASH("g2") "]," \
	"'Projection':{'ProjectionType':'KEYS_ONLY'}," \
	"'ProvisionedThroughput':" Q_PT(3, 2) "}," \
	"{'IndexName':'half','KeySchema':[" Q_HASH("g1") "," Q_RANGE("g2") \
	"],'Projection':{'ProjectionType':'ALL'}," \
	"'ProvisionedThroughput':" Q_PT(9, 4) "}]"
	check_body(name, "{" Q_KS_PK ",'AttributeDefinitions':["
	    Q_DEF("pk", "S") "," Q_DEF("g1", "S") "," Q_DEF("g2", "N") "],"
	    Q_PROV(8, 4) "," GSI_PROV "}");
	check_desc(name, "{'ProvisionedThroughput':" Q_PT(8, 4) "," GSI_PROV
	    "}");
#undef GSI_PROV
	r = describe_ok(name);
	assert_int_equal(r->table->n_gsi, 3);
	assert_str(r->table->gsi[1].name, "own");
	assert_str(r->table->gsi[1].status, "ACTIVE");
	dyntable_result_free(r);

	/* The table's default 5/5 reaches its GSI too. */
	d = simple_def(dflt);
	d.gsis = gsis;
	d.n_gsis = 1;
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	create_def(&d, false);
	check_body(dflt, "{" Q_KS_PK ",'AttributeDefinitions':["
	    Q_DEF("pk", "S") "," Q_DEF("g1", "S") "]," Q_PROV(5, 5) ","
	    "'GlobalSecondaryIndexes':[{'IndexName':'inherit','KeySchema':["
	    Q_HASH("g1") "],'Projection':{'ProjectionType':'ALL'},"
	    "'ProvisionedThroughput':" Q_PT(5, 5) "}]}");
	check_desc(dflt, "{'GlobalSecondaryIndexes':[{'ProvisionedThroughput':"
	    Q_PT(5, 5) "}]}");
	drop(name);
	drop(dflt);
}

static const char *const xy[] = { "x", "y" };

static void
test_lsi(void **state)
{
	const char *name = tname("opt-lsi");
	const dyntable_lsi_def lsis[] = {
		{ .name = "by-lsk", .sort_key = { "lsk", DYNTABLE_S },
		  .projection = DYNTABLE_PROJECTION_INCLUDE,
		  .non_key_attributes = xy, .n_non_key_attributes = 2 },
		{ .name = "by-num", .sort_key = { "num", DYNTABLE_N },
		  .projection = DYNTABLE_PROJECTION_KEYS_ONLY },
		{ .name = "by-bin", .sort_key = { "bin", DYNTABLE_B } },
	};
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;
	const dyntable_table *t;

	need_log();
	d.sort_key.name = "sk";
	d.sort_key.type = DYNTABLE_N;
	d.lsis = lsis;
	d.n_lsis = 3;
	create_def(&d, true);
	/* The table's partition key plus each index's own sort key. */
#define LSIS "'LocalSecondaryIndexes':[" \
	"{'IndexName':'by-lsk','KeySchema':[" Q_HASH("pk") "," Q_RANGE("lsk") \
	"],'Projection':{'ProjectionType':'INCLUDE','NonKeyAttributes':" \
	"['x','y']}}," \
	"{'IndexName':'by-num','KeySchema':[" Q_HASH("pk") "," Q_RANGE("num") \
	"],'Projection':{'ProjectionType':'KEYS_ONLY'}}," \
	"{'IndexName':'by-bin','KeySchema':[" Q_HASH("pk") "," Q_RANGE("bin") \
	"],'Projection':{'ProjectionType':'ALL'}}]"
	check_body(name, "{'KeySchema':[" Q_HASH("pk") "," Q_RANGE("sk") "],"
	    "'AttributeDefinitions':[" Q_DEF("pk", "S") "," Q_DEF("sk", "N")
	    "," Q_DEF("lsk", "S") "," Q_DEF("num", "N") "," Q_DEF("bin", "B")
	    "]," Q_PPR "," LSIS "}");
	check_desc(name, "{" LSIS "}");
#undef LSIS
	r = describe_ok(name);
	t = r->table;
	assert_int_equal(t->n_lsi, 3);
	assert_int_equal(t->n_gsi, 0);
	assert_str(t->lsi[0].name, "by-lsk");
	assert_null(t->lsi[0].status);
	assert_str(t->lsi[0].projection, "INCLUDE");
	assert_attr(t->lsi[0].partition_key, "pk", DYNTABLE_S);
	assert_attr(t->lsi[0].sort_key, "lsk", DYNTABLE_S);
	assert_attr(t->lsi[2].sort_key, "bin", DYNTABLE_B);
	dyntable_result_free(r);
	drop(name);
}

static void
test_table_class(void **state)
{
	const char *ia = tname("opt-class-ia");
	const char *std = tname("opt-class-std");
	dyntable_table_def d;

	need_log();
	d = simple_def(ia);
	d.options.table_class = DYNTABLE_TABLE_CLASS_STANDARD_INFREQUENT_ACCESS;
	create_def(&d, false);
	check_body(ia, "{" Q_MIN ",'TableClass':'STANDARD_INFREQUENT_ACCESS'}");
	/* Asked for, STANDARD is sent; by default nothing is (see
	 * test_default_on_demand). */
	d = simple_def(std);
	d.options.table_class = DYNTABLE_TABLE_CLASS_STANDARD;
	create_def(&d, false);
	check_body(std, "{" Q_MIN ",'TableClass':'STANDARD'}");
	drop(ia);
	drop(std);
}

static void
test_encryption(void **state)
{
	static const char key[] = "arn:aws:kms:us-east-1:111122223333:key/"
	    "1234abcd-12ab-34cd-56ef-1234567890ab";
	const char *owned = tname("opt-sse-owned");
	const char *managed = tname("opt-sse-managed");
	const char *customer = tname("opt-sse-customer");
	dyntable_table_def d;

	need_log();
	/* AWS owned key: no SSESpecification at all (Enabled true would
	 * pick the AWS managed key). */
	d = simple_def(owned);
	d.options.encryption = DYNTABLE_ENCRYPTION_AWS_OWNED;
	create_def(&d, false);
	check_body(owned, "{" Q_MIN "}");

	d = simple_def(managed);
	d.options.encryption = DYNTABLE_ENCRYPTION_AWS_MANAGED;
	create_def(&d, false);
	check_body(managed, "{" Q_MIN ",'SSESpecification':{'Enabled':true,"
	    "'SSEType':'KMS'}}");

	d = simple_def(customer);
	d.options.encryption = DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED;
	d.options.kms_key_id = key;
	create_def(&d, false);
	check_body(customer, "{" Q_MIN ",'SSESpecification':{'Enabled':true,"
	    "'SSEType':'KMS','KMSMasterKeyId':'arn:aws:kms:us-east-1:"
	    "111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'}}");
	drop(owned);
	drop(managed);
	drop(customer);
}

static void
test_tags(void **state)
{
	const char *name = tname("opt-tags");
	const dyntable_tag tags[] = {
		{ "env", "test" },
		{ "empty", NULL },
		{ "team", "data platform" },
	};
	dyntable_table_def d = simple_def(name);

	need_log();
	d.options.tags = tags;
	d.options.n_tags = 3;
	create_def(&d, false);
	check_body(name, "{" Q_MIN ",'Tags':[{'Key':'env','Value':'test'},"
	    "{'Key':'empty','Value':''},"
	    "{'Key':'team','Value':'data platform'}]}");
	drop(name);
}

static void
test_streams(void **state)
{
	static const struct {
		dyntable_stream stream;
		const char *what, *view;
	} views[] = {
		{ DYNTABLE_STREAM_NEW_IMAGE, "opt-stream-new", "NEW_IMAGE" },
		{ DYNTABLE_STREAM_OLD_IMAGE, "opt-stream-old", "OLD_IMAGE" },
		{ DYNTABLE_STREAM_NEW_AND_OLD_IMAGES, "opt-stream-both",
		  "NEW_AND_OLD_IMAGES" },
		{ DYNTABLE_STREAM_KEYS_ONLY, "opt-stream-keys", "KEYS_ONLY" },
	};

	need_log();
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		char name[128], want[512];
		dyntable_table_def d;

		snprintf(name, sizeof(name), "%s", tname(views[i].what));
		d = simple_def(name);
		d.options.stream = views[i].stream;
		create_def(&d, false);
		snprintf(want, sizeof(want), "{" Q_MIN ",'StreamSpecification':"
		    "{'StreamEnabled':true,'StreamViewType':'%s'}}",
		    views[i].view);
		check_body(name, want);
		drop(name);
	}
}

static void
test_deletion_protection(void **state)
{
	const char *name = tname("opt-protected");
	dyntable_table_def d = simple_def(name);

	need_log();
	d.options.deletion_protection = true;
	create_def(&d, false);
	check_body(name, "{" Q_MIN ",'DeletionProtectionEnabled':true}");
	/* dynalite ignores the flag, so the table can still go. */
	drop(name);
}

/* Everything at once. */
static void
test_all_options(void **state)
{
	static const char *const note[] = { "note" };
	const char *name = tname("opt-all");
	const dyntable_gsi_def gsi = {
		.name = "by-status",
		.partition_keys = { { "status", DYNTABLE_S } },
		.sort_keys = { { "sk", DYNTABLE_N } },
		.projection = DYNTABLE_PROJECTION_INCLUDE,
		.non_key_attributes = note, .n_non_key_attributes = 1,
	};
	const dyntable_lsi_def lsi = {
		.name = "by-total", .sort_key = { "total", DYNTABLE_N },
		.projection = DYNTABLE_PROJECTION_KEYS_ONLY,
	};
	const dyntable_tag tag = { "app", "dyntable" };
	dyntable_table_def d = simple_def(name);

	need_log();
	d.sort_key.name = "sk";
	d.sort_key.type = DYNTABLE_N;
	d.gsis = &gsi;
	d.n_gsis = 1;
	d.lsis = &lsi;
	d.n_lsis = 1;
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	d.options.read_capacity = 10;
	d.options.write_capacity = 2;
	d.options.table_class = DYNTABLE_TABLE_CLASS_STANDARD_INFREQUENT_ACCESS;
	d.options.encryption = DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED;
	d.options.kms_key_id = "alias/dyntable-test";
	d.options.stream = DYNTABLE_STREAM_NEW_AND_OLD_IMAGES;
	d.options.deletion_protection = true;
	d.options.tags = &tag;
	d.options.n_tags = 1;
	create_def(&d, true);
	check_body(name, "{'KeySchema':[" Q_HASH("pk") "," Q_RANGE("sk") "],"
	    "'AttributeDefinitions':[" Q_DEF("pk", "S") "," Q_DEF("sk", "N")
	    "," Q_DEF("status", "S") "," Q_DEF("total", "N") "],"
	    Q_PROV(10, 2) ","
	    "'GlobalSecondaryIndexes':[{'IndexName':'by-status','KeySchema':["
	    Q_HASH("status") "," Q_RANGE("sk") "],'Projection':{"
	    "'ProjectionType':'INCLUDE','NonKeyAttributes':['note']},"
	    "'ProvisionedThroughput':" Q_PT(10, 2) "}],"
	    "'LocalSecondaryIndexes':[{'IndexName':'by-total','KeySchema':["
	    Q_HASH("pk") "," Q_RANGE("total") "],'Projection':{"
	    "'ProjectionType':'KEYS_ONLY'}}],"
	    "'TableClass':'STANDARD_INFREQUENT_ACCESS',"
	    "'SSESpecification':{'Enabled':true,'SSEType':'KMS',"
	    "'KMSMasterKeyId':'alias/dyntable-test'},"
	    "'StreamSpecification':{'StreamEnabled':true,"
	    "'StreamViewType':'NEW_AND_OLD_IMAGES'},"
	    "'DeletionProtectionEnabled':true,"
	    "'Tags':[{'Key':'app','Value':'dyntable'}]}");
	drop(name);
}

/*
 * Every limit reached but not passed, through the C API: a 255-character
 * table name, 20 GSIs and 5 LSIs (one named with 3 characters), 100
 * NonKeyAttributes in all, 50 tags with a 128-character key and a
 * 256-character value.
 */
static void
test_limits_accepted(void **state)
{
	static const char *const nka[20][4] = {
#define N4(i) { "n" #i "a", "n" #i "b", "n" #i "c", "n" #i "d" }
		N4(0), N4(1), N4(2), N4(3), N4(4), N4(5), N4(6), N4(7), N4(8),
		N4(9), N4(10), N4(11), N4(12), N4(13), N4(14), N4(15), N4(16),
		N4(17), N4(18), N4(19),
#undef N4
	};
	static const char *const lnka[5][4] = {
		{ "m0a", "m0b", "m0c", "m0d" }, { "m1a", "m1b", "m1c", "m1d" },
		{ "m2a", "m2b", "m2c", "m2d" }, { "m3a", "m3b", "m3c", "m3d" },
		{ "m4a", "m4b", "m4c", "m4d" },
	};
	static const char *const lsk[5] = { "l0", "l1", "l2", "l3", "l4" };
	char name[256], gnames[20][16], lnames[5][16], keys[50][130];
	char big_value[257];
	dyntable_gsi_def gsis[20];
	dyntable_lsi_def lsis[5];
	dyntable_tag tags[50];
	dyntable_table_def d;
	dyntable_result *r;
	json_t *body, *v;
	size_t i, total = 0;

	need_log();
	snprintf(name, sizeof(name), "%s", tname("limits-"));
	memset(name + strlen(name), 'x', 255 - strlen(name));
	name[255] = '\0';
	memset(gsis, 0, sizeof(gsis));
	memset(lsis, 0, sizeof(lsis));
	for (i = 0; i < 20; i++) {
		snprintf(gnames[i], sizeof(gnames[i]), "gsi-%02zu", i);
		gsis[i].name = gnames[i];
		gsis[i].partition_keys[0].name = "pk";
		gsis[i].partition_keys[0].type = DYNTABLE_S;
		gsis[i].projection = DYNTABLE_PROJECTION_INCLUDE;
		gsis[i].non_key_attributes = nka[i];
		gsis[i].n_non_key_attributes = 4;
	}
	for (i = 0; i < 5; i++) {
		if (i == 0) /* the shortest name allowed */
			snprintf(lnames[i], sizeof(lnames[i]), "l.0");
		else
			snprintf(lnames[i], sizeof(lnames[i]), "lsi-%zu", i);
		lsis[i].name = lnames[i];
		lsis[i].sort_key.name = lsk[i];
		lsis[i].sort_key.type = DYNTABLE_N;
		lsis[i].projection = DYNTABLE_PROJECTION_INCLUDE;
		lsis[i].non_key_attributes = lnka[i];
		lsis[i].n_non_key_attributes = 4;
	}
	for (i = 0; i < 50; i++) {
		snprintf(keys[i], sizeof(keys[i]), "tag-%02zu", i);
		tags[i].key = keys[i];
		tags[i].value = "v";
	}
	memset(keys[49], 'k', 128);
	/* cppcheck-suppress unreadVariable ; read through tags[49].key */
	keys[49][128] = '\0';
	memset(big_value, 'v', 256);
	big_value[256] = '\0';
	tags[49].value = big_value;

	d = simple_def(name);
	d.sort_key.name = "sk";
	d.sort_key.type = DYNTABLE_N;
	d.gsis = gsis;
	d.n_gsis = 20;
	d.lsis = lsis;
	d.n_lsis = 5;
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	d.options.tags = tags;
	d.options.n_tags = 50;
	create_def(&d, true);

	body = created_body(name);
	assert_int_equal(json_array_size(json_object_get(body,
	    "GlobalSecondaryIndexes")), 20);
	assert_int_equal(json_array_size(json_object_get(body,
	    "LocalSecondaryIndexes")), 5);
	assert_int_equal(json_array_size(json_object_get(body, "Tags")), 50);
	json_array_foreach(json_object_get(body, "GlobalSecondaryIndexes"), i,
	    v) {
		json_t *want = jq("{'ReadCapacityUnits':5,"
		    "'WriteCapacityUnits':5}");

		assert_true(json_equal(json_object_get(v,
		    "ProvisionedThroughput"), want));
		json_decref(want);
		total += json_array_size(json_object_get(json_object_get(v,
		    "Projection"), "NonKeyAttributes"));
	}
	json_array_foreach(json_object_get(body, "LocalSecondaryIndexes"), i, v)
		total += json_array_size(json_object_get(json_object_get(v,
		    "Projection"), "NonKeyAttributes"));
	assert_int_equal(total, 100);
	/* pk (table and all 20 GSIs), sk, l0..l4: each once. */
	sort_attr_defs(body);
	v = jq("[" Q_DEF("l0", "N") "," Q_DEF("l1", "N") "," Q_DEF("l2", "N")
	    "," Q_DEF("l3", "N") "," Q_DEF("l4", "N") "," Q_DEF("pk", "S") ","
	    Q_DEF("sk", "N") "]");
	if (!json_equal(json_object_get(body, "AttributeDefinitions"), v))
		fail_msg("AttributeDefinitions %s, expected %s", jdump(
		    json_object_get(body, "AttributeDefinitions")), jdump(v));
	json_decref(v);
	json_decref(body);

	r = describe_ok(name);
	assert_int_equal(r->table->n_gsi, 20);
	assert_int_equal(r->table->n_lsi, 5);
	for (i = 0; i < 20; i++)
		assert_str(r->table->gsi[i].status, "ACTIVE");
	assert_str(r->table->lsi[0].name, "l.0");
	dyntable_result_free(r);
	drop(name);
}

/* ---- 2. validation: refused before anything is sent --------------------- */

/* Fragments of bad definitions. */
#define B_T	     "'TableName':'@'"
#define B_KS1	     "'KeySchema':[" Q_HASH("pk") "]"
#define B_AD1	     "'AttributeDefinitions':[" Q_DEF("pk", "S") "]"
#define B_BASE	     B_T "," B_KS1 "," B_AD1
#define B_KS2	     "'KeySchema':[" Q_HASH("pk") "," Q_RANGE("sk") "]"
#define B_AD2(more)  "'AttributeDefinitions':[" Q_DEF("pk", "S") "," \
	Q_DEF("sk", "N") more "]"
#define B_BASE2(more) B_T "," B_KS2 "," B_AD2(more)
#define B_G	     "," Q_DEF("g", "S")
#define B_GKS	     "[" Q_HASH("g") "]"
#define B_ALL	     "{'ProjectionType':'ALL'}"
#define B_PT	     ",'ProvisionedThroughput':" Q_PT(1, 1)
#define B_PROV	     ",'BillingMode':'PROVISIONED'" B_PT
#define B_GSI(name, ks, proj, extra) "{'IndexName':'" name "','KeySchema':" \
	ks ",'Projection':" proj extra "}"
#define B_GSIS(list) ",'GlobalSecondaryIndexes':[" list "]"
#define B_LSI(name, ks, proj) "{'IndexName':'" name "','KeySchema':" ks \
	",'Projection':" proj "}"
#define B_LKS(r)     "[" Q_HASH("pk") "," Q_RANGE(r) "]"
#define B_LSIS(list) ",'LocalSecondaryIndexes':[" list "]"
/* A table with a GSI on g, on demand: the base of the GSI cases. */
#define B_WITH_GSI(name, ks, proj, extra) "{" B_BASE2(B_G) \
	B_GSIS(B_GSI(name, ks, proj, extra)) "}"
#define B_INC(list)  "{'ProjectionType':'INCLUDE','NonKeyAttributes':[" \
	list "]}"
#define B_KEY	     "'alias/k'"

struct bad_case {
	const char *json; /* ' for ", @ for the table name */
	const char *want; /* a substring of the message */
};

static const struct bad_case bad_cases[] = {
	/* TableName */
	{ "{" B_KS1 "," B_AD1 "}", "TableName: missing" },
	{ "{'TableName':'ab'," B_KS1 "," B_AD1 "}",
	  "TableName: \"ab\" must be 3 to 255 characters" },
	{ "{'TableName':'e2e bad!'," B_KS1 "," B_AD1 "}",
	  "TableName: \"e2e bad!\" must be 3 to 255" },
	{ "{'TableName':'tab/le'," B_KS1 "," B_AD1 "}",
	  "TableName: \"tab/le\" must be" },
	{ "{'TableName':12345," B_KS1 "," B_AD1 "}",
	  "TableName: must be a string" },

	/* Unknown members, at the top and nested */
	{ "{" B_BASE B_PROV ",'OnDemandThroughput':{'MaxReadRequestUnits':5}}",
	  "OnDemandThroughput: only with BillingMode PAY_PER_REQUEST" },
	{ "{" B_BASE ",'WarmThroughput':{'ReadUnitsPerSecond':0}}",
	  "WarmThroughput.ReadUnitsPerSecond: must be an integer >= 1" },
	{ "{" B_BASE ",'ResourcePolicy':''}",
	  "ResourcePolicy: must be a JSON policy document" },
	{ "{" B_BASE ",'VectorIndexes':[]}", "VectorIndexes: unknown member" },
	{ "{" B_BASE ",'tableName':'other'}", "tableName: unknown member" },
	{ "{" B_T ",'KeySchema':[{'AttributeName':'pk','KeyType':'HASH',"
	  "'Extra':1}]," B_AD1 "}", "KeySchema[0].Extra: unknown member" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[{'AttributeName':'pk',"
	  "'AttributeType':'S','X':1}]}",
	  "AttributeDefinitions[0].X: unknown member" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED','ProvisionedThroughput':"
	  "{'ReadCapacityUnits':1,'WriteCapacityUnits':1,'MaxUnits':3}}",
	  "ProvisionedThroughput.MaxUnits: unknown member" },
	{ B_WITH_GSI("byg", B_GKS, B_ALL,
	    ",'OnDemandThroughput':{'MaxReadRequestUnits':0}"),
	  "GlobalSecondaryIndexes[0].OnDemandThroughput.MaxReadRequestUnits: "
	  "must be an integer >= 1" },
	{ B_WITH_GSI("byg", B_GKS, "{'ProjectionType':'ALL','Extra':1}", ""),
	  "GlobalSecondaryIndexes[0].Projection.Extra: unknown member" },
	{ B_WITH_GSI("byg", "[{'AttributeName':'g','KeyType':'HASH',"
	  "'Extra':1}]", B_ALL, ""),
	  "GlobalSecondaryIndexes[0].KeySchema[0].Extra: unknown member" },
	{ "{" B_BASE2(B_G) B_PROV B_GSIS(B_GSI("byg", B_GKS, B_ALL,
	  ",'ProvisionedThroughput':{'ReadCapacityUnits':1,"
	  "'WriteCapacityUnits':1,'Extra':1}")) "}",
	  "GlobalSecondaryIndexes[0].ProvisionedThroughput.Extra: unknown "
	  "member" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS("{'IndexName':'byl','KeySchema':" B_LKS("l") ",'Projection':"
	  B_ALL ",'ProvisionedThroughput':" Q_PT(1, 1) "}") "}",
	  "LocalSecondaryIndexes[0].ProvisionedThroughput: unknown member" },
	{ "{" B_BASE ",'StreamSpecification':{'StreamEnabled':true,"
	  "'StreamViewType':'NEW_IMAGE','Extra':1}}",
	  "StreamSpecification.Extra: unknown member" },
	{ "{" B_BASE ",'SSESpecification':{'Enabled':true,'Extra':1}}",
	  "SSESpecification.Extra: unknown member" },
	{ "{" B_BASE ",'Tags':[{'Key':'k','Value':'v','Extra':1}]}",
	  "Tags[0].Extra: unknown member" },

	/* KeySchema */
	{ "{" B_T "," B_AD1 "}", "KeySchema: missing" },
	{ "{" B_T ",'KeySchema':{}," B_AD1 "}", "KeySchema: must be a list" },
	{ "{" B_T ",'KeySchema':[]," B_AD1 "}",
	  "KeySchema: must have 1 to 1 HASH elements then at most 1 RANGE, "
	  "got 0 elements" },
	{ "{" B_T ",'KeySchema':[" Q_HASH("pk") "," Q_RANGE("sk") ","
	  Q_RANGE("x") "]," B_AD1 "}", "KeySchema: must have 1 to 1 HASH "
	  "elements then at most 1 RANGE, got 3 elements" },
	{ "{" B_T ",'KeySchema':[" Q_RANGE("pk") "]," B_AD1 "}",
	  "KeySchema[0].KeyType: the first element must be HASH" },
	{ "{" B_T ",'KeySchema':[" Q_HASH("pk") "," Q_HASH("sk") "]," B_AD1
	  "}", "KeySchema: at most 1 HASH element" },
	{ "{" B_T ",'KeySchema':[{'AttributeName':'pk','KeyType':'PRIMARY'}],"
	  B_AD1 "}", "KeySchema[0].KeyType: must be HASH or RANGE, got "
	  "\"PRIMARY\"" },
	{ "{" B_T ",'KeySchema':[" Q_HASH("pk") "," Q_RANGE("pk") "]," B_AD1
	  "}", "KeySchema: attribute \"pk\" is used twice" },
	{ "{" B_T ",'KeySchema':[{'KeyType':'HASH'}]," B_AD1 "}",
	  "KeySchema[0].AttributeName: missing" },
	{ "{" B_T ",'KeySchema':[{'AttributeName':'','KeyType':'HASH'}],"
	  B_AD1 "}", "KeySchema[0].AttributeName: must be 1 to 255" },
	{ "{" B_T ",'KeySchema':[{'AttributeName':'pk'}]," B_AD1 "}",
	  "KeySchema[0].KeyType: missing" },
	{ "{" B_T ",'KeySchema':['pk']," B_AD1 "}",
	  "KeySchema[0]: must be an object" },

	/* AttributeDefinitions: exactly the key attributes, each once */
	{ "{" B_T "," B_KS1 "}", "AttributeDefinitions: missing" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':{}}",
	  "AttributeDefinitions: must be a list" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[" Q_DEF("pk", "X") "]}",
	  "AttributeDefinitions[0].AttributeType: must be S, N or B, got "
	  "\"X\"" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[" Q_DEF("pk", "BOOL")
	  "]}", "AttributeDefinitions[0].AttributeType" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[{'AttributeName':'pk'}]}",
	  "AttributeDefinitions[0].AttributeType: missing" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[" Q_DEF("pk", "S") ","
	  Q_DEF("other", "S") "]}",
	  "AttributeDefinitions[1]: \"other\" is not a key attribute" },
	{ "{" B_T "," B_KS2 "," B_AD1 "}",
	  "AttributeDefinitions: key attribute \"sk\" is not defined" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[]}",
	  "AttributeDefinitions: key attribute \"pk\" is not defined" },
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[" Q_DEF("pk", "S") ","
	  Q_DEF("pk", "N") "]}",
	  "AttributeDefinitions[1]: \"pk\" is defined twice" },
	{ "{" B_BASE2("") B_GSIS(B_GSI("byg", B_GKS, B_ALL, "")) "}",
	  "AttributeDefinitions: key attribute \"g\" is not defined" },
	{ "{" B_BASE2("") B_LSIS(B_LSI("byl", B_LKS("lsk"), B_ALL)) "}",
	  "AttributeDefinitions: key attribute \"lsk\" is not defined" },

	/* BillingMode and the table's ProvisionedThroughput */
	{ "{" B_BASE ",'BillingMode':'FREE'}",
	  "BillingMode: must be PAY_PER_REQUEST or PROVISIONED" },
	{ "{" B_BASE ",'BillingMode':'provisioned'}",
	  "BillingMode: must be PAY_PER_REQUEST or PROVISIONED" },
	{ "{" B_BASE ",'BillingMode':1}",
	  "BillingMode: must be PAY_PER_REQUEST or PROVISIONED" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED'}",
	  "ProvisionedThroughput: required when BillingMode is PROVISIONED" },
	{ "{" B_BASE ",'BillingMode':'PAY_PER_REQUEST'" B_PT "}",
	  "ProvisionedThroughput: not allowed when BillingMode is "
	  "PAY_PER_REQUEST" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED','ProvisionedThroughput':"
	  Q_PT(0, 1) "}",
	  "ProvisionedThroughput.ReadCapacityUnits: must be an integer >= 1" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED','ProvisionedThroughput':"
	  Q_PT(1, -3) "}",
	  "ProvisionedThroughput.WriteCapacityUnits: must be an integer >= 1" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED','ProvisionedThroughput':"
	  Q_PT(1.5, 1) "}",
	  "ProvisionedThroughput.ReadCapacityUnits: must be an integer >= 1" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED','ProvisionedThroughput':"
	  "{'ReadCapacityUnits':'5','WriteCapacityUnits':5}}",
	  "ProvisionedThroughput.ReadCapacityUnits: must be an integer >= 1" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED','ProvisionedThroughput':"
	  "{'ReadCapacityUnits':5}}",
	  "ProvisionedThroughput.WriteCapacityUnits: missing" },
	{ "{" B_BASE ",'BillingMode':'PROVISIONED','ProvisionedThroughput':5}",
	  "ProvisionedThroughput: must be an object" },

	/* Each GSI's ProvisionedThroughput */
	{ "{" B_BASE2(B_G) B_PROV B_GSIS(B_GSI("byg", B_GKS, B_ALL, "")) "}",
	  "GlobalSecondaryIndexes[0].ProvisionedThroughput: required for "
	  "index \"byg\" when BillingMode is PROVISIONED" },
	{ "{" B_BASE2(B_G) B_PROV B_GSIS(B_GSI("byg", B_GKS, B_ALL, B_PT) ","
	  B_GSI("byh", B_GKS, B_ALL, "")) "}",
	  "GlobalSecondaryIndexes[1].ProvisionedThroughput: required for "
	  "index \"byh\"" },
	{ B_WITH_GSI("byg", B_GKS, B_ALL, B_PT),
	  "GlobalSecondaryIndexes[0].ProvisionedThroughput: not allowed for "
	  "index \"byg\" when BillingMode is PAY_PER_REQUEST" },
	{ "{" B_BASE2(B_G) B_PROV B_GSIS(B_GSI("byg", B_GKS, B_ALL,
	  ",'ProvisionedThroughput':" Q_PT(0, 1))) "}",
	  "GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits: "
	  "must be an integer >= 1" },
	{ "{" B_BASE2(B_G) B_PROV B_GSIS(B_GSI("byg", B_GKS, B_ALL,
	  ",'ProvisionedThroughput':{'ReadCapacityUnits':1}")) "}",
	  "GlobalSecondaryIndexes[0].ProvisionedThroughput."
	  "WriteCapacityUnits: missing" },

	/* GlobalSecondaryIndexes */
	{ "{" B_BASE2(B_G) B_GSIS("") "}",
	  "GlobalSecondaryIndexes: must be a non-empty list" },
	{ "{" B_BASE2(B_G) ",'GlobalSecondaryIndexes':{}}",
	  "GlobalSecondaryIndexes: must be a non-empty list" },
	{ "{" B_BASE2(B_G) B_GSIS("'byg'") "}",
	  "GlobalSecondaryIndexes[0]: must be an object" },
	{ "{" B_BASE2(B_G) B_GSIS("{'KeySchema':" B_GKS ",'Projection':" B_ALL
	  "}") "}", "GlobalSecondaryIndexes[0].IndexName: missing" },
	{ B_WITH_GSI("ix", B_GKS, B_ALL, ""),
	  "GlobalSecondaryIndexes[0].IndexName: must be 3 to 255 characters" },
	{ B_WITH_GSI("by g", B_GKS, B_ALL, ""),
	  "GlobalSecondaryIndexes[0].IndexName: must be 3 to 255 characters" },
	{ "{" B_BASE2(B_G) B_GSIS(B_GSI("byg", B_GKS, B_ALL, "") ","
	  B_GSI("byg", B_GKS, B_ALL, "")) "}",
	  "GlobalSecondaryIndexes[1].IndexName: duplicate index name \"byg\"" },
	{ "{" B_BASE2(B_G ",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("same", B_LKS("l"), B_ALL))
	  B_GSIS(B_GSI("same", B_GKS, B_ALL, "")) "}",
	  "GlobalSecondaryIndexes[0].IndexName: duplicate index name "
	  "\"same\"" },
	{ "{" B_BASE2(B_G) B_GSIS("{'IndexName':'byg','Projection':" B_ALL
	  "}") "}", "GlobalSecondaryIndexes[0].KeySchema: missing" },
	{ B_WITH_GSI("byg", "[" Q_HASH("g") "," Q_HASH("h1") "," Q_HASH("h2")
	  "," Q_HASH("h3") "," Q_HASH("h4") "]", B_ALL, ""),
	  "GlobalSecondaryIndexes[0].KeySchema: at most 4 HASH elements" },
	{ B_WITH_GSI("byg", "[" Q_HASH("g") "," Q_RANGE("r1") "," Q_RANGE("r2")
	  "," Q_RANGE("r3") "," Q_RANGE("r4") "," Q_RANGE("r5") "]", B_ALL,
	  ""), "GlobalSecondaryIndexes[0].KeySchema: at most 4 RANGE "
	  "elements" },
	{ B_WITH_GSI("byg", "[" Q_HASH("g") "," Q_HASH("h1") "," Q_HASH("h2")
	  "," Q_HASH("h3") "," Q_RANGE("r1") "," Q_RANGE("r2") "," Q_RANGE("r3")
	  "," Q_RANGE("r4") "," Q_RANGE("r5") "]", B_ALL, ""),
	  "GlobalSecondaryIndexes[0].KeySchema: must have 1 to 4 HASH elements "
	  "then at most 4 RANGE, got 9 elements" },
	{ B_WITH_GSI("byg", "[" Q_RANGE("g") "]", B_ALL, ""),
	  "GlobalSecondaryIndexes[0].KeySchema[0].KeyType: the first element "
	  "must be HASH" },
	{ B_WITH_GSI("byg", "[" Q_HASH("g") "," Q_RANGE("sk") "," Q_HASH("h")
	  "]", B_ALL, ""), "GlobalSecondaryIndexes[0].KeySchema[2].KeyType: "
	  "HASH elements must come before RANGE ones" },
	{ B_WITH_GSI("byg", "[" Q_HASH("g") "," Q_RANGE("g") "]", B_ALL, ""),
	  "GlobalSecondaryIndexes[0].KeySchema: attribute \"g\" is used "
	  "twice" },

	/* Projections */
	{ "{" B_BASE2(B_G) B_GSIS("{'IndexName':'byg','KeySchema':" B_GKS "}")
	  "}", "GlobalSecondaryIndexes[0].Projection: missing" },
	{ B_WITH_GSI("byg", B_GKS, "'ALL'", ""),
	  "GlobalSecondaryIndexes[0].Projection: must be an object" },
	{ B_WITH_GSI("byg", B_GKS, "{}", ""),
	  "GlobalSecondaryIndexes[0].Projection.ProjectionType: missing" },
	{ B_WITH_GSI("byg", B_GKS, "{'ProjectionType':'SOME'}", ""),
	  "GlobalSecondaryIndexes[0].Projection.ProjectionType: must be ALL, "
	  "KEYS_ONLY or INCLUDE, got \"SOME\"" },
	{ B_WITH_GSI("byg", B_GKS, "{'ProjectionType':'KEYS_ONLY',"
	  "'NonKeyAttributes':['a']}", ""),
	  "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: only "
	  "allowed with ProjectionType INCLUDE, not KEYS_ONLY" },
	{ B_WITH_GSI("byg", B_GKS, "{'ProjectionType':'ALL',"
	  "'NonKeyAttributes':['a']}", ""),
	  "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: only "
	  "allowed with ProjectionType INCLUDE, not ALL" },
	{ B_WITH_GSI("byg", B_GKS, "{'ProjectionType':'INCLUDE'}", ""),
	  "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: required "
	  "with ProjectionType INCLUDE" },
	{ B_WITH_GSI("byg", B_GKS, B_INC(""), ""),
	  "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: must be a "
	  "list of 1 to 20 names" },
	{ B_WITH_GSI("byg", B_GKS, B_INC("'a','b','a'"), ""),
	  "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: \"a\" is "
	  "listed twice" },
	{ B_WITH_GSI("byg", B_GKS, B_INC("''"), ""),
	  "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes[0]: must be "
	  "a name" },
	{ B_WITH_GSI("byg", B_GKS, B_INC("7"), ""),
	  "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes[0]: must be "
	  "a name" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("byl", B_LKS("l"), "{'ProjectionType':'INCLUDE'}")) "}",
	  "LocalSecondaryIndexes[0].Projection.NonKeyAttributes: required "
	  "with ProjectionType INCLUDE" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("byl", B_LKS("l"), "{'ProjectionType':'KEYS_ONLY',"
	  "'NonKeyAttributes':['a']}")) "}",
	  "LocalSecondaryIndexes[0].Projection.NonKeyAttributes: only allowed "
	  "with ProjectionType INCLUDE" },

	/* LocalSecondaryIndexes */
	{ "{" B_T "," B_KS1 ",'AttributeDefinitions':[" Q_DEF("pk", "S") ","
	  Q_DEF("l", "S") "]" B_LSIS(B_LSI("byl", B_LKS("l"), B_ALL)) "}",
	  "LocalSecondaryIndexes: the table needs a sort (RANGE) key" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("byl", "[" Q_HASH("sk") "," Q_RANGE("l") "]", B_ALL))
	  "}", "LocalSecondaryIndexes[0].KeySchema: the HASH key must be the "
	  "table's partition key \"pk\", not \"sk\"" },
	{ "{" B_BASE2("") B_LSIS(B_LSI("byl", "[" Q_HASH("pk") "]", B_ALL))
	  "}", "LocalSecondaryIndexes[0].KeySchema: a local secondary index "
	  "needs a RANGE key" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("byl", "[" Q_HASH("pk") "," Q_RANGE("l") ","
	  Q_RANGE("sk") "]", B_ALL)) "}",
	  "LocalSecondaryIndexes[0].KeySchema: must have 1 to 1 HASH elements "
	  "then at most 1 RANGE, got 3 elements" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("byl", "[" Q_HASH("pk") "," Q_HASH("l") "]", B_ALL))
	  "}", "LocalSecondaryIndexes[0].KeySchema: at most 1 HASH element" },
	{ "{" B_BASE2("") B_LSIS("") "}",
	  "LocalSecondaryIndexes: must be a non-empty list" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("byl", B_LKS("l"), B_ALL) ","
	  B_LSI("byl", B_LKS("l"), B_ALL)) "}",
	  "LocalSecondaryIndexes[1].IndexName: duplicate index name \"byl\"" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS(B_LSI("x", B_LKS("l"), B_ALL)) "}",
	  "LocalSecondaryIndexes[0].IndexName: must be 3 to 255 characters" },
	{ "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	  B_LSIS("{'IndexName':'byl','KeySchema':" B_LKS("l") "}") "}",
	  "LocalSecondaryIndexes[0].Projection: missing" },
	{ "{" B_BASE2("") B_LSIS("{'IndexName':'byl','Projection':" B_ALL "}")
	  "}", "LocalSecondaryIndexes[0].KeySchema: missing" },

	/* StreamSpecification */
	{ "{" B_BASE ",'StreamSpecification':{'StreamEnabled':true}}",
	  "StreamSpecification.StreamViewType: required with StreamEnabled" },
	{ "{" B_BASE ",'StreamSpecification':{'StreamEnabled':true,"
	  "'StreamViewType':'ALL'}}",
	  "StreamSpecification.StreamViewType: required with StreamEnabled" },
	{ "{" B_BASE ",'StreamSpecification':{'StreamEnabled':false,"
	  "'StreamViewType':'NEW_IMAGE'}}",
	  "StreamSpecification.StreamViewType: only with StreamEnabled true" },
	{ "{" B_BASE ",'StreamSpecification':{'StreamViewType':'NEW_IMAGE'}}",
	  "StreamSpecification.StreamEnabled: required" },
	{ "{" B_BASE ",'StreamSpecification':{'StreamEnabled':'yes',"
	  "'StreamViewType':'NEW_IMAGE'}}",
	  "StreamSpecification.StreamEnabled: required, true or false" },
	{ "{" B_BASE ",'StreamSpecification':true}",
	  "StreamSpecification: must be an object" },

	/* SSESpecification: a key only with Enabled and KMS */
	{ "{" B_BASE ",'SSESpecification':{'Enabled':false,'KMSMasterKeyId':"
	  B_KEY "}}", "SSESpecification: SSEType and KMSMasterKeyId need "
	  "Enabled true" },
	{ "{" B_BASE ",'SSESpecification':{'KMSMasterKeyId':" B_KEY "}}",
	  "SSESpecification: SSEType and KMSMasterKeyId need Enabled true" },
	{ "{" B_BASE ",'SSESpecification':{'SSEType':'KMS'}}",
	  "SSESpecification: SSEType and KMSMasterKeyId need Enabled true" },
	{ "{" B_BASE ",'SSESpecification':{'Enabled':true,'SSEType':'AES256'}}",
	  "SSESpecification.SSEType: must be KMS" },
	{ "{" B_BASE ",'SSESpecification':{'Enabled':true,'KMSMasterKeyId':"
	  B_KEY "}}", "SSESpecification: KMSMasterKeyId needs SSEType KMS" },
	{ "{" B_BASE ",'SSESpecification':{'Enabled':true,'SSEType':'KMS',"
	  "'KMSMasterKeyId':''}}", "SSESpecification.KMSMasterKeyId: must be a "
	  "key id" },
	{ "{" B_BASE ",'SSESpecification':{'Enabled':'true'}}",
	  "SSESpecification.Enabled: must be true or false" },
	{ "{" B_BASE ",'SSESpecification':'KMS'}",
	  "SSESpecification: must be an object" },

	/* Tags */
	{ "{" B_BASE ",'Tags':[]}", "Tags: must be a list of 1 to 50 tags" },
	{ "{" B_BASE ",'Tags':{'env':'test'}}",
	  "Tags: must be a list of 1 to 50 tags" },
	{ "{" B_BASE ",'Tags':['env']}", "Tags[0]: must be an object" },
	{ "{" B_BASE ",'Tags':[{'Key':'','Value':'v'}]}",
	  "Tags[0].Key: must be 1 to 128 characters" },
	{ "{" B_BASE ",'Tags':[{'Value':'v'}]}", "Tags[0].Key: missing" },
	{ "{" B_BASE ",'Tags':[{'Key':'env'}]}",
	  "Tags[0].Value: must be a string of at most 256 characters" },
	{ "{" B_BASE ",'Tags':[{'Key':'env','Value':5}]}",
	  "Tags[0].Value: must be a string of at most 256 characters" },
	{ "{" B_BASE ",'Tags':[{'Key':'env','Value':'a'},{'Key':'team',"
	  "'Value':'b'},{'Key':'env','Value':'c'}]}",
	  "Tags[2].Key: \"env\" is given twice" },

	/* TableClass, DeletionProtectionEnabled */
	{ "{" B_BASE ",'TableClass':'GLACIER'}",
	  "TableClass: must be STANDARD or STANDARD_INFREQUENT_ACCESS" },
	{ "{" B_BASE ",'TableClass':'standard'}",
	  "TableClass: must be STANDARD or STANDARD_INFREQUENT_ACCESS" },
	{ "{" B_BASE ",'TableClass':1}",
	  "TableClass: must be STANDARD or STANDARD_INFREQUENT_ACCESS" },
	{ "{" B_BASE ",'DeletionProtectionEnabled':'yes'}",
	  "DeletionProtectionEnabled: must be true or false" },
	{ "{" B_BASE ",'DeletionProtectionEnabled':1}",
	  "DeletionProtectionEnabled: must be true or false" },
};

/* Builds the bad definitions too long to write out. */
static char *
gen_long_name(const char *before, size_t len, char c, const char *after)
{
	char *out, *pad = malloc(len + 1);

	assert_non_null(pad);
	memset(pad, c, len);
	pad[len] = '\0';
	assert_true(asprintf(&out, "%s%s%s", before, pad, after) > 0);
	free(pad);
	return out;
}

/* head, then n copies of item (# standing for 00, 01...) separated by
 * commas, then tail. */
static char *
gen_list(const char *head, size_t n, const char *item, const char *tail)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fputs(head, f);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', f);
		for (const char *p = item; *p != '\0'; p++) {
			if (*p == '#')
				fprintf(f, "%02zu", i);
			else
				fputc(*p, f);
		}
	}
	fputs(tail, f);
	fclose(f);
	return buf;
}

static char *
gen_nka(size_t n, const char *prefix)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s'%s%zu'", i > 0 ? "," : "", prefix, i);
	fclose(f);
	return buf;
}

struct gen_case {
	char *json;
	const char *want;
};

#define N_GEN 11

static void
gen_cases(struct gen_case *g)
{
	char *nka, *nka2, *buf = NULL;
	size_t len = 0, k = 0;
	FILE *f;

	g[k].json = gen_long_name("{'TableName':'", 256, 'a', "',"
	    B_KS1 "," B_AD1 "}");
	g[k++].want = "TableName: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	g[k].json = gen_long_name("{" B_BASE2(B_G) B_GSIS("{'IndexName':'"),
	    256, 'i', "','KeySchema':" B_GKS ",'Projection':" B_ALL "}]}");
	g[k++].want = "GlobalSecondaryIndexes[0].IndexName: must be 3 to 255";
	g[k].json = gen_long_name("{" B_T ",'KeySchema':[{'AttributeName':'",
	    256, 'k', "','KeyType':'HASH'}]," B_AD1 "}");
	g[k++].want = "KeySchema[0].AttributeName: must be 1 to 255";
	g[k].json = gen_list("{" B_BASE ",'GlobalSecondaryIndexes':[", 21,
	    "{'IndexName':'idx#','KeySchema':[" Q_HASH("pk") "],"
	    "'Projection':" B_ALL "}", "]}");
	g[k++].want = "GlobalSecondaryIndexes: 21 indexes, the limit is 20";
	g[k].json = gen_list("{" B_BASE2("") ",'LocalSecondaryIndexes':[", 6,
	    "{'IndexName':'idx#','KeySchema':" B_LKS("sk") ",'Projection':"
	    B_ALL "}", "]}");
	g[k++].want = "LocalSecondaryIndexes: 6 indexes, the limit is 5";

	nka = gen_nka(21, "a");
	assert_true(asprintf(&g[k].json, B_WITH_GSI("byg", B_GKS, B_INC("%s"),
	    ""), nka) > 0);
	g[k++].want = "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: "
	    "must be a list of 1 to 20 names";
	free(nka);

	/* 101 NonKeyAttributes: 5 GSIs of 20 and an LSI of 1, all counted
	 * together (an attribute in two indexes counts twice). */
	nka = gen_nka(20, "a");
	nka2 = gen_nka(1, "a");
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	fprintf(f, "{" B_BASE2(",{'AttributeName':'l','AttributeType':'S'}")
	    B_LSIS(B_LSI("byl", B_LKS("l"), B_INC("%s")))
	    ",'GlobalSecondaryIndexes':[", nka2);
	for (int i = 0; i < 5; i++)
		fprintf(f, "%s{'IndexName':'idx%d','KeySchema':["
		    Q_HASH("pk") "],'Projection':" B_INC("%s") "}",
		    i > 0 ? "," : "", i, nka);
	fputs("]}", f);
	fclose(f);
	g[k].json = buf;
	g[k++].want = "NonKeyAttributes: 101 projected across all indexes, the "
	    "limit is 100";
	free(nka);
	free(nka2);

	g[k].json = gen_list("{" B_BASE ",'Tags':[", 51,
	    "{'Key':'k#','Value':'v'}", "]}");
	g[k++].want = "Tags: must be a list of 1 to 50 tags";
	g[k].json = gen_long_name("{" B_BASE ",'Tags':[{'Key':'", 129, 'k',
	    "','Value':'v'}]}");
	g[k++].want = "Tags[0].Key: must be 1 to 128 characters";
	g[k].json = gen_long_name("{" B_BASE ",'Tags':[{'Key':'k','Value':'",
	    257, 'v', "'}]}");
	g[k++].want = "Tags[0].Value: must be a string of at most 256 "
	    "characters";
	nka = gen_nka(20, "a");
	assert_true(asprintf(&g[k].json, B_WITH_GSI("byg", B_GKS, B_INC("%s"),
	    ""), nka) > 0);
	g[k++].want = NULL; /* exactly 20: the control, accepted */
	free(nka);
	assert_int_equal(k, N_GEN);
}

/*
 * text (malloc'd, taken) with BillingMode PAY_PER_REQUEST when it has
 * neither a mode nor ProvisionedThroughput: the cases test other members,
 * and a document without a mode means PROVISIONED to libdyntable since
 * issue 16 (as to DynamoDB), which would refuse them for the missing
 * capacity first.
 */
static char *
ondemand(char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	char *t;

	if (json_is_object(j) && !json_object_get(j, "BillingMode") &&
	    !json_object_get(j, "ProvisionedThroughput") &&
	    json_object_set_new(j, "BillingMode",
	    json_string("PAY_PER_REQUEST")) == 0 &&
	    (t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL) {
		free(text);
		text = t;
	}
	json_decref(j);
	return text;
}

/* Sends one bad definition; 0 when it was refused as it must be. */
static int
try_bad(const char *tmpl, const char *want, const char *label)
{
	char *text = ondemand(fill(tmpl, tname(label)));
	dyntable_result *r;
	long before, after;
	int bad = 0;

	before = reqlog_count();
	r = dyntable_sync_create_table_json(sc, text, NULL);
	after = reqlog_count();
	if (r == NULL) {
		print_error("%s: no result\n", label);
		bad = 1;
	} else if (r->status != DYNTABLE_ERR_INVALID) {
		print_error("%s: status %s (%s), expected INVALID \"%s\"\n",
		    label, dyntable_status_name(r->status),
		    str_or(r->message, "no message"), want);
		bad = 1;
	} else if (r->message == NULL || *r->message == '\0' ||
	    strstr(r->message, want) == NULL) {
		print_error("%s: message \"%s\" lacks \"%s\"\n", label,
		    str_or(r->message, "(null)"), want);
		bad = 1;
	}
	if (before >= 0 && after != before) {
		print_error("%s: %ld request(s) reached the endpoint\n", label,
		    after - before);
		bad = 1;
	}
	if (dyntable_errcode(sc) != DYNTABLE_OK) {
		print_error("%s: the context broke: %s\n", label,
		    dyntable_errstr(sc));
		bad = 1;
	}
	if (bad)
		print_error("  the definition: %.300s%s\n", text,
		    strlen(text) > 300 ? "..." : "");
	dyntable_result_free(r);
	free(text);
	return bad;
}

/* Every rule of PROTOCOL.md §6, through the raw JSON entry point. */
static void
test_invalid_json(void **state)
{
	struct gen_case gen[N_GEN];
	size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);
	int failed = 0;
	char label[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "bad-%03zu", i);
		failed += try_bad(bad_cases[i].json, bad_cases[i].want, label);
	}
	gen_cases(gen);
	for (size_t i = 0; i < N_GEN; i++) {
		if (gen[i].want != NULL) {
			snprintf(label, sizeof(label), "gen-%02zu", i);
			failed += try_bad(gen[i].json, gen[i].want, label);
		}
	}
	print_message("%zu bad definitions tried, %d not refused as they "
	    "must be\n", n + N_GEN - 1, failed);
	if (failed > 0)
		fail_msg("%d bad definitions were not refused correctly",
		    failed);

	/* The last generated one is at the limit and must be accepted. */
	{
		const char *name = tname("gen-limit-20");
		char *text = ondemand(fill(gen[N_GEN - 1].json, name));
		dyntable_result *r = dyntable_sync_create_table_json(sc, text,
		    NULL);

		assert_status(r, DYNTABLE_OK);
		dyntable_result_free(r);
		free(text);
		drop(name);
	}
	for (size_t i = 0; i < N_GEN; i++)
		free(gen[i].json);
}

/* Not a CreateTableInput at all: refused, nothing sent. */
static void
test_invalid_documents(void **state)
{
	static const char *const docs[] = { "", "{", "[]", "'users'", "null",
		"42", "{'TableName':'abc',}" };
	dyntable_result *r;
	int failed = 0;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char label[32];

		snprintf(label, sizeof(label), "doc-%zu", i);
		/* The library refuses these itself. */
		failed += try_bad(docs[i], "CreateTableInput", label);
	}
	if (failed > 0)
		fail_msg("%d documents were not refused correctly", failed);
	r = dyntable_sync_create_table_json(sc, NULL, NULL);
	assert_status(r, DYNTABLE_ERR_INVALID);
	assert_non_null(r->message);
	dyntable_result_free(r);
}

/* ---- client-side refusals, through the definition and model APIs ------- */

static int stray_callbacks;

static void
on_stray(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	stray_callbacks++;
}

/* Case-insensitive strstr, for messages written by the library. */
static bool
has(const char *msg, const char *want)
{
	return msg != NULL && strcasestr(msg, want) != NULL;
}

/* d is refused by every entry point, naming want, with nothing sent. */
static void
refused_def_at(const dyntable_table_def *d, const char *want, int line)
{
	long before = reqlog_count();
	dyntable_result *r;
	dyntable_status st;
	char err[256] = "", *json = NULL;

	st = dyntable_table_def_json(d, &json, err, sizeof(err));
	if (st != DYNTABLE_ERR_INVALID || !has(err, want))
		fail_msg("line %d: dyntable_table_def_json: %s \"%s\", "
		    "expected INVALID naming \"%s\"", line,
		    dyntable_status_name(st), err, want);
	assert_null(json);

	r = dyntable_sync_create_table(sc, d, NULL);
	e2e_check_status(r, DYNTABLE_ERR_INVALID, "sync create", line);
	if (!has(r->message, want))
		fail_msg("line %d: message \"%s\" lacks \"%s\"", line,
		    str_or(r->message, "(null)"), want);
	dyntable_result_free(r);

	st = dyntable_create_table(sc, d, NULL, on_stray, NULL);
	if (st != DYNTABLE_ERR_INVALID || !has(dyntable_last_error(sc), want))
		fail_msg("line %d: dyntable_create_table: %s, last error "
		    "\"%s\", expected INVALID naming \"%s\"", line,
		    dyntable_status_name(st), str_or(dyntable_last_error(sc),
		    "(null)"), want);
	assert_int_equal(dyntable_errcode(sc), DYNTABLE_OK);
	if (reqlog_count() != before)
		fail_msg("line %d: a request reached the endpoint", line);
}
#define refused_def(d, want) refused_def_at((d), (want), __LINE__)

static void
refused_model_at(const dyntable_model *m, const char *want, int line)
{
	long before = reqlog_count();
	dyntable_result *r;
	dyntable_status st;
	char err[256] = "", *json = NULL;

	st = dyntable_model_json(m, NULL, &json, err, sizeof(err));
	if (st != DYNTABLE_ERR_INVALID || !has(err, want))
		fail_msg("line %d: dyntable_model_json: %s \"%s\", "
		    "expected INVALID naming \"%s\"", line,
		    dyntable_status_name(st), err, want);
	assert_null(json);

	r = dyntable_sync_model_create_table(sc, m, NULL, NULL);
	e2e_check_status(r, DYNTABLE_ERR_INVALID, "sync model create", line);
	if (!has(r->message, want))
		fail_msg("line %d: message \"%s\" lacks \"%s\"", line,
		    str_or(r->message, "(null)"), want);
	dyntable_result_free(r);

	st = dyntable_model_create_table(sc, m, NULL, NULL, on_stray, NULL);
	if (st != DYNTABLE_ERR_INVALID || !has(dyntable_last_error(sc), want))
		fail_msg("line %d: dyntable_model_create_table: %s, last error "
		    "\"%s\", expected INVALID naming \"%s\"", line,
		    dyntable_status_name(st), str_or(dyntable_last_error(sc),
		    "(null)"), want);
	assert_int_equal(dyntable_errcode(sc), DYNTABLE_OK);
	if (reqlog_count() != before)
		fail_msg("line %d: a request reached the endpoint", line);
}
#define refused_model(m, want) refused_model_at((m), (want), __LINE__)

static void
test_invalid_client_side(void **state)
{
	const dyntable_gsi_def dual_gsi = {
		.name = "by-dual", .partition_keys = { { "dual", DYNTABLE_S } },
	};
	const dyntable_model_attr two_pk[] = {
		{ "pk_one", DYNTABLE_S, DYNTABLE_MODEL_PARTITION_KEY },
		{ "pk_two", DYNTABLE_S, DYNTABLE_MODEL_PARTITION_KEY },
	};
	const dyntable_model_attr two_sk[] = {
		{ "pk", DYNTABLE_S, DYNTABLE_MODEL_PARTITION_KEY },
		{ "sk_one", DYNTABLE_S, DYNTABLE_MODEL_SORT_KEY },
		{ "sk_two", DYNTABLE_N, DYNTABLE_MODEL_SORT_KEY },
	};
	const dyntable_model_attr no_pk[] = {
		{ "sk", DYNTABLE_S, DYNTABLE_MODEL_SORT_KEY },
	};
	const dyntable_model_attr one_pk[] = {
		{ "pk", DYNTABLE_S, DYNTABLE_MODEL_PARTITION_KEY },
	};
	const dyntable_model_index unknown_gsi = {
		.name = "by-ghost", .partition_keys = { "nosuch_attr" },
	};
	const dyntable_model_index unknown_sort = {
		.name = "by-ghost", .partition_keys = { "pk" },
		.sort_keys = { "ghost_sort" },
	};
	dyntable_table_def d;
	dyntable_model m;

	/* CUSTOMER_MANAGED needs a key; a key needs CUSTOMER_MANAGED. */
	d = simple_def(tname("cli-cmk-nokey"));
	d.options.encryption = DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED;
	refused_def(&d, "kms_key_id: required");
	d = simple_def(tname("cli-managed-key"));
	d.options.encryption = DYNTABLE_ENCRYPTION_AWS_MANAGED;
	d.options.kms_key_id = "alias/k";
	refused_def(&d, "kms_key_id: only with CUSTOMER_MANAGED");
	d = simple_def(tname("cli-owned-key"));
	d.options.kms_key_id = "alias/k";
	refused_def(&d, "kms_key_id: only with CUSTOMER_MANAGED");

	/* One attribute, two types: the table's sort key N, a GSI's S. */
	d = simple_def(tname("cli-dual"));
	d.sort_key.name = "dual";
	d.sort_key.type = DYNTABLE_N;
	d.gsis = &dual_gsi;
	d.n_gsis = 1;
	refused_def(&d, "gsis[0].partition_keys[0].type: 'dual'");

	/* Models: an index on an undeclared attribute, key flags wrong. */
	memset(&m, 0, sizeof(m));
	m.table_name = tname("cli-model-ghost");
	m.attrs = one_pk;
	m.n_attrs = 1;
	m.indexes = &unknown_gsi;
	m.n_indexes = 1;
	refused_model(&m, "indexes[0].partition_keys[0]: 'nosuch_attr'");
	m.indexes = &unknown_sort;
	refused_model(&m, "indexes[0].sort_keys[0]: 'ghost_sort'");

	memset(&m, 0, sizeof(m));
	m.table_name = tname("cli-model-2pk");
	m.attrs = two_pk;
	m.n_attrs = 2;
	refused_model(&m, "attrs[1]: a second partition key");
	m.attrs = two_sk;
	m.n_attrs = 3;
	refused_model(&m, "attrs[2]: a second sort key");
	m.attrs = no_pk;
	m.n_attrs = 1;
	refused_model(&m, "attrs: no partition key");

	assert_int_equal(stray_callbacks, 0);
}

/* ---- 3. a model, a definition and a JSON document: one table ------------ */

static const dyntable_model_attr order_attrs[] = {
	{ "customer", DYNTABLE_S, DYNTABLE_MODEL_PARTITION_KEY },
	{ "placed_at", DYNTABLE_N, DYNTABLE_MODEL_SORT_KEY },
	{ "status", DYNTABLE_S, 0 },
	{ "total", DYNTABLE_N, 0 },
	{ "note", DYNTABLE_S, 0 }, /* not a key: never sent */
};
static const char *const order_nka[] = { "note" };
static const dyntable_model_index order_indexes[] = {
	{ .name = "by-status", .partition_keys = { "status" },
	  .sort_keys = { "placed_at" },
	  .projection = DYNTABLE_PROJECTION_INCLUDE,
	  .non_key_attributes = order_nka, .n_non_key_attributes = 1 },
	{ .name = "by-total", .local = true, .sort_keys = { "total" },
	  .projection = DYNTABLE_PROJECTION_KEYS_ONLY },
};
static const dyntable_tag order_tag = { "app", "orders" };
static const dyntable_table_options order_opts = {
	.billing_mode = DYNTABLE_PROVISIONED,
	.read_capacity = 6,
	.write_capacity = 4,
	.table_class = DYNTABLE_TABLE_CLASS_STANDARD_INFREQUENT_ACCESS,
	.stream = DYNTABLE_STREAM_NEW_IMAGE,
	.tags = &order_tag,
	.n_tags = 1,
};

/* The same table written out: the CreateTableInput, @ for its name. */
#define ORDERS_JSON "{'TableName':'@'," \
	"'AttributeDefinitions':[" Q_DEF("customer", "S") "," \
	Q_DEF("placed_at", "N") "," Q_DEF("status", "S") "," \
	Q_DEF("total", "N") "]," \
	"'KeySchema':[" Q_HASH("customer") "," Q_RANGE("placed_at") "]," \
	"'GlobalSecondaryIndexes':[{'IndexName':'by-status','KeySchema':[" \
	Q_HASH("status") "," Q_RANGE("placed_at") "],'Projection':{" \
	"'ProjectionType':'INCLUDE','NonKeyAttributes':['note']}," \
	"'ProvisionedThroughput':" Q_PT(6, 4) "}]," \
	"'LocalSecondaryIndexes':[{'IndexName':'by-total','KeySchema':[" \
	Q_HASH("customer") "," Q_RANGE("total") "],'Projection':{" \
	"'ProjectionType':'KEYS_ONLY'}}]," \
	Q_PROV(6, 4) ",'TableClass':'STANDARD_INFREQUENT_ACCESS'," \
	"'StreamSpecification':{'StreamEnabled':true," \
	"'StreamViewType':'NEW_IMAGE'},'Tags':[{'Key':'app','Value':'orders'}]}"

static dyntable_model
orders_model(const char *table)
{
	dyntable_model m = {
		.table_name = table,
		.attrs = order_attrs,
		.n_attrs = sizeof(order_attrs) / sizeof(order_attrs[0]),
		.indexes = order_indexes,
		.n_indexes = 2,
	};

	return m;
}

/* The hand-written equivalent; gsi and lsi are the caller's storage. */
static dyntable_table_def
orders_def(const char *table, dyntable_gsi_def *gsi, dyntable_lsi_def *lsi)
{
	dyntable_table_def d;

	memset(gsi, 0, sizeof(*gsi));
	gsi->name = "by-status";
	gsi->partition_keys[0] = (dyntable_attr){ "status", DYNTABLE_S };
	gsi->sort_keys[0] = (dyntable_attr){ "placed_at", DYNTABLE_N };
	gsi->projection = DYNTABLE_PROJECTION_INCLUDE;
	gsi->non_key_attributes = order_nka;
	gsi->n_non_key_attributes = 1;
	memset(lsi, 0, sizeof(*lsi));
	lsi->name = "by-total";
	lsi->sort_key = (dyntable_attr){ "total", DYNTABLE_N };
	lsi->projection = DYNTABLE_PROJECTION_KEYS_ONLY;
	memset(&d, 0, sizeof(d));
	d.name = table;
	d.partition_key = (dyntable_attr){ "customer", DYNTABLE_S };
	d.sort_key = (dyntable_attr){ "placed_at", DYNTABLE_N };
	d.gsis = gsi;
	d.n_gsis = 1;
	d.lsis = lsi;
	d.n_lsis = 1;
	d.options = order_opts;
	return d;
}

/* Parses a library-made CreateTableInput, AttributeDefinitions sorted. */
static json_t *
parse_input(const char *text, const char *what)
{
	json_error_t err;
	json_t *j;

	assert_non_null(text);
	if ((j = json_loads(text, 0, &err)) == NULL)
		fail_msg("%s is not JSON (%s): %s", what, err.text, text);
	sort_attr_defs(j);
	return j;
}

static const char *const pt_keys[] = { "ReadCapacityUnits",
	"WriteCapacityUnits", NULL };

/* A new object with the members of obj named in keys (NULL-ended). */
static json_t *
pick(const json_t *obj, const char *const *keys)
{
	json_t *out = json_object();

	for (size_t i = 0; keys[i] != NULL; i++) {
		json_t *v = json_object_get(obj, keys[i]);

		if (v != NULL)
			json_object_set_new(out, keys[i], json_deep_copy(v));
	}
	return out;
}

/* A list of index descriptions without ARNs, sizes and counts. */
static json_t *
indexes_shape(const json_t *list)
{
	static const char *const keys[] = { "IndexName", "KeySchema",
		"Projection", "IndexStatus", NULL };
	json_t *out = json_array(), *e, *pt;
	size_t i;

	json_array_foreach(list, i, e) {
		json_t *o = pick(e, keys);

		if ((pt = json_object_get(e, "ProvisionedThroughput")) != NULL)
			json_object_set_new(o, "ProvisionedThroughput",
			    pick(pt, pt_keys));
		json_array_append_new(out, o);
	}
	return out;
}

/* What DescribeTable says of a table's schema, for comparisons. */
static json_t *
schema_of(const char *table)
{
	static const char *const keys[] = { "KeySchema",
		"AttributeDefinitions", NULL };
	dyntable_result *r = describe_ok(table);
	json_t *desc = desc_json(r->table), *out, *v;

	dyntable_result_free(r);
	out = pick(desc, keys);
	if ((v = json_object_get(desc, "ProvisionedThroughput")) != NULL)
		json_object_set_new(out, "ProvisionedThroughput",
		    pick(v, pt_keys));
	if ((v = json_object_get(desc, "GlobalSecondaryIndexes")) != NULL)
		json_object_set_new(out, "GlobalSecondaryIndexes",
		    indexes_shape(v));
	if ((v = json_object_get(desc, "LocalSecondaryIndexes")) != NULL)
		json_object_set_new(out, "LocalSecondaryIndexes",
		    indexes_shape(v));
	json_decref(desc);
	return out;
}

static void
test_model_equivalence(void **state)
{
	char n_model[128], n_def[128], n_json[128];
	dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	dyntable_gsi_def gsi;
	dyntable_lsi_def lsi;
	dyntable_model m;
	dyntable_table_def d;
	dyntable_result *r;
	json_t *jm, *jd, *want, *b[3], *s[3];
	char err[256] = "", *text, *mj = NULL, *dj = NULL;
	const char *names[3];

	need_log();
	snprintf(n_model, sizeof(n_model), "%s", tname("orders-model"));
	snprintf(n_def, sizeof(n_def), "%s", tname("orders-def"));
	snprintf(n_json, sizeof(n_json), "%s", tname("orders-json"));
	names[0] = n_model;
	names[1] = n_def;
	names[2] = n_json;

	/* The model derives exactly the hand-written definition. */
	m = orders_model(n_model);
	d = orders_def(n_model, &gsi, &lsi);
	if (dyntable_model_json(&m, &order_opts, &mj, err, sizeof(err)) !=
	    DYNTABLE_OK)
		fail_msg("dyntable_model_json: %s", err);
	if (dyntable_table_def_json(&d, &dj, err, sizeof(err)) != DYNTABLE_OK)
		fail_msg("dyntable_table_def_json: %s", err);
	jm = parse_input(mj, "dyntable_model_json");
	jd = parse_input(dj, "dyntable_table_def_json");
	text = fill(ORDERS_JSON, n_model);
	want = parse_input(text, "the written-out JSON");
	free(text);
	check_same(jm, jd, "dyntable_model_json and dyntable_table_def_json");
	check_same(jm, want, "dyntable_model_json and the written-out JSON");
	json_decref(jm);
	json_decref(jd);
	json_decref(want);
	free(mj);
	free(dj);

	/* The same table three ways. */
	r = dyntable_sync_model_create_table(sc, &m, &order_opts, &w);
	assert_status(r, DYNTABLE_OK);
	assert_str(r->table->name, n_model);
	assert_str(r->table->status, "ACTIVE");
	dyntable_result_free(r);
	d = orders_def(n_def, &gsi, &lsi);
	create_def(&d, true);
	text = fill(ORDERS_JSON, n_json);
	r = dyntable_sync_create_table_json(sc, text, &w);
	free(text);
	assert_status(r, DYNTABLE_OK);
	assert_str(r->table->name, n_json);
	assert_str(r->table->status, "ACTIVE");
	dyntable_result_free(r);

	/* One request body, one DescribeTable, but for the names. */
	for (int i = 0; i < 3; i++) {
		b[i] = created_body(names[i]);
		assert_non_null(json_object_get(b[i], "TableName"));
		json_object_del(b[i], "TableName");
		sort_attr_defs(b[i]);
		s[i] = schema_of(names[i]);
	}
	check_same(b[0], b[1], "CreateTable bodies of the model and the def");
	check_same(b[0], b[2], "CreateTable bodies of the model and the JSON");
	check_same(s[0], s[1], "DescribeTable of the model's and the def's");
	check_same(s[0], s[2], "DescribeTable of the model's and the JSON's");
	assert_int_equal(json_array_size(json_object_get(s[0],
	    "GlobalSecondaryIndexes")), 1);
	assert_int_equal(json_array_size(json_object_get(s[0],
	    "LocalSecondaryIndexes")), 1);
	assert_int_equal(json_array_size(json_object_get(s[0],
	    "AttributeDefinitions")), 4);
	for (int i = 0; i < 3; i++) {
		json_decref(b[i]);
		json_decref(s[i]);
	}

	/* The model's exists and delete. */
	r = dyntable_sync_model_table_exists(sc, &m);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_TABLE_EXISTS);
	assert_true(r->exists);
	assert_str(r->table_status, "ACTIVE");
	dyntable_result_free(r);
	r = dyntable_sync_model_delete_table(sc, &m, &w);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_DELETE_TABLE);
	dyntable_result_free(r);
	r = dyntable_sync_model_table_exists(sc, &m);
	assert_status(r, DYNTABLE_OK);
	assert_false(r->exists);
	dyntable_result_free(r);
	{
		json_t *dels = recorded("DeleteTable", n_model);

		assert_int_equal(json_array_size(dels), 1);
		json_decref(dels);
	}
	drop(n_def);
	drop(n_json);
}

/* The model's async methods, on the poll adapter. */
struct model_step {
	int calls;
	dyntable_status status;
	dyntable_op op;
	bool exists;
	char table_status[32];
	char gsi_status[32];
};

static void
on_model_step(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	struct model_step *s = privdata;

	s->calls++;
	s->status = r->status;
	s->op = r->op;
	s->exists = r->exists;
	if (r->table != NULL && r->table->status != NULL)
		snprintf(s->table_status, sizeof(s->table_status), "%s",
		    r->table->status);
	else if (r->table_status != NULL)
		snprintf(s->table_status, sizeof(s->table_status), "%s",
		    r->table_status);
	if (r->table != NULL && r->table->n_gsi > 0 &&
	    r->table->gsi[0].status != NULL)
		snprintf(s->gsi_status, sizeof(s->gsi_status), "%s",
		    r->table->gsi[0].status);
}

static void
run_step(dyntable_ctx *c, struct model_step *s, dyntable_status queued,
    dyntable_op op)
{
	long long t0 = now_ms();

	assert_int_equal(queued, DYNTABLE_OK);
	while (s->calls == 0) {
		if (dyntable_poll_tick(c, 100) < 0)
			fail_msg("dyntable_poll_tick: %s", dyntable_errstr(c));
		if (now_ms() - t0 > 60000)
			fail_msg("no answer after 60 s");
	}
	assert_int_equal(s->calls, 1);
	assert_int_equal(s->op, op);
	if (s->status != DYNTABLE_OK)
		fail_msg("op %d: status %s", (int)op,
		    dyntable_status_name(s->status));
}

static void
test_model_async(void **state)
{
	const char *name = tname("orders-async");
	dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	dyntable_model m = orders_model(name);
	struct model_step create, exists, del, gone;
	dyntable_ctx *c = connect_ok();

	memset(&create, 0, sizeof(create));
	memset(&exists, 0, sizeof(exists));
	memset(&del, 0, sizeof(del));
	memset(&gone, 0, sizeof(gone));
	assert_int_equal(dyntable_poll_attach(c), DYNTABLE_OK);

	run_step(c, &create, dyntable_model_create_table(c, &m, NULL, &w,
	    on_model_step, &create), DYNTABLE_OP_CREATE_TABLE);
	assert_string_equal(create.table_status, "ACTIVE");
	assert_string_equal(create.gsi_status, "ACTIVE");
	run_step(c, &exists, dyntable_model_table_exists(c, &m, on_model_step,
	    &exists), DYNTABLE_OP_TABLE_EXISTS);
	assert_true(exists.exists);
	run_step(c, &del, dyntable_model_delete_table(c, &m, &w, on_model_step,
	    &del), DYNTABLE_OP_DELETE_TABLE);
	run_step(c, &gone, dyntable_model_table_exists(c, &m, on_model_step,
	    &gone), DYNTABLE_OP_TABLE_EXISTS);
	assert_false(gone.exists);
	dyntable_free(c);

	/* opts NULL: every default, so on demand. */
	{
		json_t *body = created_body(name);

		assert_str(json_string_value(json_object_get(body,
		    "BillingMode")), "PAY_PER_REQUEST");
		assert_null(json_object_get(json_array_get(json_object_get(body,
		    "GlobalSecondaryIndexes"), 0), "ProvisionedThroughput"));
		json_decref(body);
	}
}

/* ---- 4. create with wait covers the GSIs ------------------------------- */

static void
test_wait_includes_gsi(void **state)
{
	const char *name = tname("wait-gsi");
	const dyntable_gsi_def gsi = {
		.name = "by-g", .partition_keys = { { "g", DYNTABLE_S } },
	};
	dyntable_table_def d = simple_def(name);
	dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	dyntable_result *r;
	json_t *desc, *polls;

	d.gsis = &gsi;
	d.n_gsis = 1;
	r = dyntable_sync_create_table(sc, &d, &w);
	assert_status(r, DYNTABLE_OK);
	assert_str(r->table->status, "ACTIVE");
	assert_int_equal(r->table->n_gsi, 1);
	assert_str(r->table->gsi[0].name, "by-g");
	assert_str(r->table->gsi[0].status, "ACTIVE");
	desc = desc_json(r->table);
	assert_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(desc, "GlobalSecondaryIndexes"), 0),
	    "IndexStatus")), "ACTIVE");
	json_decref(desc);
	dyntable_result_free(r);

	/* CreateTable answered CREATING, so the daemon had to poll. (Before
	 * the drop, whose own wait would add polls.) */
	polls = recorded("DescribeTable", name);
	assert_true(json_array_size(polls) >= 1);
	json_decref(polls);
	drop(name);
}

static int
setup(void **state)
{
	return e2e_group_connect(&sc);
}

static int
teardown(void **state)
{
	dyntable_free(sc);
	sc = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_on_demand),
		cmocka_unit_test(test_provisioned),
		cmocka_unit_test(test_gsi_projections),
		cmocka_unit_test(test_gsi_multi_attribute_keys),
		cmocka_unit_test(test_gsi_throughput),
		cmocka_unit_test(test_lsi),
		cmocka_unit_test(test_table_class),
		cmocka_unit_test(test_encryption),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_deletion_protection),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_invalid_documents),
		cmocka_unit_test(test_invalid_client_side),
		cmocka_unit_test(test_model_equivalence),
		cmocka_unit_test(test_model_async),
		cmocka_unit_test(test_wait_includes_gsi),
	};

	return cmocka_run_group_tests_name("e2e.create", tests, setup,
	    teardown) == 0 ? 0 : 1;
}
