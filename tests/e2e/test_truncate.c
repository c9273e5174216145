/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of truncate_table (issue 15, daemon/truncate.c): every
 * item goes, the table stays; 0, 1, 25, 26 and 10,000 items; with and
 * without a sort key; binary and reserved-word key names; throttling and
 * UnprocessedItems injected by the proxy; deletion protection; a client
 * that leaves mid-truncate stops its calls. Raw protocol (rawc.h); the
 * items are written and counted straight in dynalite (pc_dynalite), so
 * that the request log holds only the daemon's calls. The daemon runs
 * with --truncate-concurrency 4 (see CMakeLists.txt).
 *
 * Table names start with "tr-PID-".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "e2e_env.h"
#include "items.h"
#include "proxyctl.h"
#include "raw_check.h"
#include "rawc.h"

#define LONG_MS 120000 /* a generous bound for a truncate to end */
#define CONCURRENCY 4  /* the daemon's --truncate-concurrency here */

#define NEED_PROXY() e2e_need_env("DYNTABLE_TEST_CONTROL")

static void
faults(const char *rules)
{
	if (pc_faults(rules) != 0)
		fail_msg("cannot set faults %s", rules);
}

static void
create(rawc *c, const char *name, const struct items_keys *k)
{
	json_t *def = json_pack("{s:s,s:s,s:[{s:s,s:s}],s:[{s:s,s:s}]}",
	    "TableName", name, "BillingMode", "PAY_PER_REQUEST",
	    "KeySchema", "AttributeName", k->hash, "KeyType", "HASH",
	    "AttributeDefinitions", "AttributeName", k->hash, "AttributeType",
	    k->htype);
	json_t *args, *rep;

	if (k->range != NULL) {
		json_array_append_new(json_object_get(def, "KeySchema"),
		    json_pack("{s:s,s:s}", "AttributeName", k->range, "KeyType",
		    "RANGE"));
		json_array_append_new(json_object_get(def,
		    "AttributeDefinitions"), json_pack("{s:s,s:s}",
		    "AttributeName", k->range, "AttributeType", k->rtype));
	}
	args = json_pack("{s:o,s:b}", "table", def, "wait", 1);
	rep = rawc_call(c, "create_table", args, LONG_MS);
	raw_check_ok(rep, "create_table");
	json_decref(rep);
	json_decref(args);
}

/* truncate_table name (force), the reply (new reference). */
static json_t *
truncate_table(rawc *c, const char *name, bool force)
{
	json_t *args = force ? json_pack("{s:s,s:b}", "name", name, "force",
	    1) : json_pack("{s:s}", "name", name);
	json_t *rep = rawc_call(c, "truncate_table", args, LONG_MS);

	json_decref(args);
	if (rep == NULL)
		fail_msg("truncate_table %s: no reply", name);
	return rep;
}

/* Truncates a table of n items with keys k and checks: the answer counts
 * n, nothing is left, the table is still there and ACTIVE. */
static void
check_truncate(rawc *c, const char *name, const struct items_keys *k, long n)
{
	json_t *rep, *res, *args;
	char *text;

	create(c, name, k);
	assert_int_equal(items_fill(name, k, n), 0);
	assert_int_equal(items_count(name), n);
	rep = truncate_table(c, name, false);
	raw_check_ok(rep, "truncate_table");
	res = rawc_result(rep);
	text = json_dumps(res, JSON_COMPACT);
	printf("truncate %s: %ld items: %s\n", name, n, text);
	free(text);
	assert_int_equal(json_integer_value(json_object_get(res, "deleted")),
	    n);
	assert_true(json_is_integer(json_object_get(res, "elapsed_ms")));
	json_decref(rep);
	assert_int_equal(items_count(name), 0);
	args = json_pack("{s:s}", "name", name);
	rep = rawc_call(c, "describe_table", args, LONG_MS);
	json_decref(args);
	raw_check_ok(rep, "describe_table after truncate");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableStatus")), "ACTIVE");
	json_decref(rep);
}

/* Every BatchWriteItem the daemon sent for table holds 1 to 25 deletes
 * and nothing else; returns how many keys they carried. */
static long
check_batches(const char *table)
{
	json_t *log = pc_log("BatchWriteItem"), *e;
	long keys = 0;
	size_t i;

	assert_non_null(log);
	json_array_foreach(log, i, e) {
		json_t *items = json_object_get(json_object_get(json_object_get(
		    e, "body"), "RequestItems"), table), *w;
		size_t j;

		if (items == NULL)
			continue;
		assert_true(json_array_size(items) >= 1 &&
		    json_array_size(items) <= 25);
		json_array_foreach(items, j, w)
			assert_non_null(json_object_get(json_object_get(w,
			    "DeleteRequest"), "Key"));
		keys += (long)json_array_size(items);
	}
	json_decref(log);
	return keys;
}

static void
test_counts(void **state)
{
	static const long ns[] = { 0, 1, 25, 26 };
	const struct items_keys k = { "pk", "S", NULL, NULL };
	rawc *c = raw_connect_ok();

	(void)state;
	NEED_PROXY();
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char what[32];
		const char *name;

		snprintf(what, sizeof(what), "n%ld", ns[i]);
		name = raw_tname("tr", what);
		check_truncate(c, name, &k, ns[i]);
		/* 26 items are two calls: 25 and 1. */
		assert_int_equal(check_batches(name), ns[i]);
	}
	rawc_close(c);
}

static void
test_ten_thousand_sort_key(void **state)
{
	const struct items_keys k = { "pk", "S", "sk", "N" };
	const char *name = raw_tname("tr", "big");
	rawc *c = raw_connect_ok();
	json_t *log, *e;
	size_t i;
	long scans = 0;

	(void)state;
	NEED_PROXY();
	check_truncate(c, name, &k, 10000);
	assert_int_equal(check_batches(name), 10000);
	/* Parallel segments, projecting the two keys only. */
	log = pc_log("Scan");
	json_array_foreach(log, i, e) {
		json_t *b = json_object_get(e, "body");

		if (strcmp(json_string_value(json_object_get(b, "TableName")),
		    name) != 0)
			continue;
		scans++;
		assert_int_equal(json_integer_value(json_object_get(b,
		    "TotalSegments")), CONCURRENCY);
		assert_string_equal(json_string_value(json_object_get(b,
		    "ProjectionExpression")), "#k0, #k1");
		assert_string_equal(json_string_value(json_object_get(
		    json_object_get(b, "ExpressionAttributeNames"), "#k1")),
		    "sk");
	}
	json_decref(log);
	assert_true(scans >= CONCURRENCY);
	rawc_close(c);
}

/* Binary and reserved-word keys: "name" (B) and "size" (N) are DynamoDB
 * reserved words; only placeholders may name them. */
static void
test_reserved_binary(void **state)
{
	const struct items_keys k = { "name", "B", "size", "N" };
	const struct items_keys h = { "size", "B", NULL, NULL };
	const char *name = raw_tname("tr", "reserved");
	rawc *c = raw_connect_ok();
	json_t *log, *e;
	size_t i;

	(void)state;
	NEED_PROXY();
	check_truncate(c, name, &k, 120);
	check_truncate(c, raw_tname("tr", "binhash"), &h, 60);
	log = pc_log("Scan");
	json_array_foreach(log, i, e) {
		json_t *b = json_object_get(e, "body");
		const char *pe = json_string_value(json_object_get(b,
		    "ProjectionExpression"));

		assert_non_null(pe);
		assert_null(strstr(pe, "name"));
		assert_null(strstr(pe, "size"));
	}
	json_decref(log);
	rawc_close(c);
}

/* Throttling (retried by the upstream pool) and UnprocessedItems
 * (resent by the truncate after a backoff): all items still go. */
static void
test_throttled(void **state)
{
	const struct items_keys k = { "pk", "S", NULL, NULL };
	const char *name = raw_tname("tr", "throttled");
	rawc *c = raw_connect_ok();
	json_t *st;

	(void)state;
	NEED_PROXY();
	create(c, name, &k);
	assert_int_equal(items_fill(name, &k, 300), 0);
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"BatchWriteItem\",\"action\":\"throttle\","
	    "\"count\":2},{\"target\":\"BatchWriteItem\",\"action\":"
	    "\"unprocessed\",\"count\":6}]");
	{
		json_t *rep = truncate_table(c, name, false);

		raw_check_ok(rep, "truncate_table under throttling");
		assert_int_equal(json_integer_value(json_object_get(
		    rawc_result(rep), "deleted")), 300);
		json_decref(rep);
	}
	st = pc_stats();
	assert_non_null(st);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st,
	    "faults"), "BatchWriteItem")), 8);
	json_decref(st);
	faults("[]");
	assert_int_equal(items_count(name), 0);
	rawc_close(c);
}

/* Deletion protection (the proxy says the table has it): refused
 * without force, done with it. */
static void
test_protected(void **state)
{
	const struct items_keys k = { "pk", "S", NULL, NULL };
	const char *name = raw_tname("tr", "protected");
	rawc *c = raw_connect_ok();
	json_t *rep;

	(void)state;
	NEED_PROXY();
	create(c, name, &k);
	assert_int_equal(items_fill(name, &k, 10), 0);
	faults("[{\"target\":\"DescribeTable\",\"action\":\"protected\"}]");
	rep = truncate_table(c, name, false);
	assert_false(rawc_ok(rep));
	assert_string_equal(rawc_err_name(rep), "INVALID");
	json_decref(rep);
	assert_int_equal(items_count(name), 10);
	rep = truncate_table(c, name, true);
	raw_check_ok(rep, "truncate_table with force");
	json_decref(rep);
	faults("[]");
	assert_int_equal(items_count(name), 0);
	rawc_close(c);
}

/* A client that leaves mid-truncate: no call is made after. */
static void
test_client_leaves(void **state)
{
	const struct items_keys k = { "pk", "S", NULL, NULL };
	const char *name = raw_tname("tr", "leaves");
	rawc *c = raw_connect_ok(), *adm;
	json_t *args, *st;
	long before, after;

	(void)state;
	NEED_PROXY();
	create(c, name, &k);
	assert_int_equal(items_fill(name, &k, 2000), 0);
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"BatchWriteItem\",\"action\":\"delay\","
	    "\"ms\":300}]");
	args = json_pack("{s:s}", "name", name);
	assert_int_not_equal(rawc_send(c, "truncate_table", args), 0);
	json_decref(args);
	for (int i = 0; i < 100 && pc_count("BatchWriteItem") < 1; i++)
		e2e_sleep_ms(50);
	assert_true(pc_count("BatchWriteItem") >= 1);
	rawc_close(c);
	e2e_sleep_ms(200);
	before = pc_count("BatchWriteItem") + pc_count("Scan");
	e2e_sleep_ms(1500);
	after = pc_count("BatchWriteItem") + pc_count("Scan");
	printf("client left: %ld calls before, %ld after 1.5 s\n", before,
	    after);
	assert_int_equal(after, before);
	faults("[]");
	/* Some went, not all: it stopped. */
	assert_true(items_count(name) > 0);
	adm = raw_connect_ok();
	st = rawc_call(adm, "status", NULL, LONG_MS);
	raw_check_ok(st, "status");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    rawc_result(st), "truncate"), "running")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    rawc_result(st), "truncate"), "calls")), 0);
	json_decref(st);
	rawc_close(adm);
}

/* Errors: a missing table, bad arguments. */
static void
test_errors(void **state)
{
	rawc *c = raw_connect_ok();
	json_t *rep, *args;

	(void)state;
	rep = truncate_table(c, raw_tname("tr", "missing"), false);
	assert_string_equal(rawc_err_name(rep), "NOT_FOUND");
	json_decref(rep);
	args = json_pack("{s:s,s:i}", "name", "abc", "force", 1);
	rep = rawc_call(c, "truncate_table", args, LONG_MS);
	json_decref(args);
	assert_string_equal(rawc_err_name(rep), "INVALID");
	json_decref(rep);
	rawc_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_reserved_binary),
		cmocka_unit_test(test_throttled),
		cmocka_unit_test(test_protected),
		cmocka_unit_test(test_client_leaves),
		cmocka_unit_test(test_ten_thousand_sort_key),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
