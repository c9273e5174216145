/* SPDX-License-Identifier: MIT */
/*
 * test_pooldef.c: unit tests of pooldef.c: canonical definitions (so that
 * equivalent definitions share a pool), their hash, and the check of a
 * released table's description against its definition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "pooldef.h"

static const char def_a[] =
    "{\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"h\",\"AttributeType\":\"N\"}],"
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
    "\"BillingMode\":\"PAY_PER_REQUEST\",\"GlobalSecondaryIndexes\":["
    "{\"IndexName\":\"by-g\",\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
    "\"Projection\":{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"x\",\"a\"]}},"
    "{\"IndexName\":\"by-h\",\"KeySchema\":[{\"AttributeName\":\"h\",\"KeyType\":\"HASH\"}],"
    "\"Projection\":{\"ProjectionType\":\"ALL\"}}]}";

/* The same table: other member and set orders, a name, tags. */
static const char def_a2[] =
    "{\"TableName\":\"whatever\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}],"
    "\"GlobalSecondaryIndexes\":["
    "{\"Projection\":{\"ProjectionType\":\"ALL\"},\"IndexName\":\"by-h\","
    "\"KeySchema\":[{\"KeyType\":\"HASH\",\"AttributeName\":\"h\"}]},"
    "{\"IndexName\":\"by-g\",\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
    "\"Projection\":{\"NonKeyAttributes\":[\"a\",\"x\"],\"ProjectionType\":\"INCLUDE\"}}],"
    "\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"h\",\"AttributeType\":\"N\"},"
    "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}]}";

static json_t *
canon(const char *text)
{
	json_t *in = json_loads(text, 0, NULL), *c;
	char err[256] = "";

	assert_non_null(in);
	c = pooldef_canonical(in, err, sizeof(err));
	if (c == NULL)
		fail_msg("pooldef_canonical: %s", err);
	json_decref(in);
	return c;
}

static void
test_equivalent_definitions(void **state)
{
	json_t *a = canon(def_a), *b = canon(def_a2);
	char ha[POOLDEF_HASH_LEN + 1], hb[POOLDEF_HASH_LEN + 1];

	(void)state;
	assert_true(json_equal(a, b));
	pooldef_hash(a, ha);
	pooldef_hash(b, hb);
	assert_string_equal(ha, hb);
	assert_int_equal(strlen(ha), POOLDEF_HASH_LEN);
	assert_null(json_object_get(b, "TableName"));
	assert_null(json_object_get(b, "Tags"));
	assert_true(pooldef_on_demand(a));
	json_decref(a);
	json_decref(b);
}

static void
test_different_definitions(void **state)
{
	json_t *in = json_loads(def_a, 0, NULL), *a = canon(def_a), *b;
	char ha[POOLDEF_HASH_LEN + 1], hb[POOLDEF_HASH_LEN + 1], err[256];

	(void)state;
	json_object_set_new(json_object_get(json_array_get(json_object_get(in,
	    "GlobalSecondaryIndexes"), 1), "Projection"), "ProjectionType",
	    json_string("KEYS_ONLY"));
	b = pooldef_canonical(in, err, sizeof(err));
	assert_non_null(b);
	pooldef_hash(a, ha);
	pooldef_hash(b, hb);
	assert_string_not_equal(ha, hb);
	json_decref(b);
	json_decref(in);
	/* PROVISIONED is not on demand (no BillingMode would be
	 * PAY_PER_REQUEST: the daemon's default, made explicit). */
	in = json_loads("{\"AttributeDefinitions\":[{\"AttributeName\":"
	    "\"pk\",\"AttributeType\":\"S\"}],\"KeySchema\":[{"
	    "\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
	    "\"BillingMode\":\"PROVISIONED\",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,"
	    "\"WriteCapacityUnits\":1}}", 0, NULL);
	b = pooldef_canonical(in, err, sizeof(err));
	if (b == NULL)
		fail_msg("pooldef_canonical: %s", err);
	assert_string_equal(json_string_value(json_object_get(b,
	    "BillingMode")), "PROVISIONED");
	assert_false(pooldef_on_demand(b));
	json_decref(b);
	json_decref(in);
	json_decref(a);
}

static void
test_invalid_definition(void **state)
{
	json_t *in = json_loads("{\"KeySchema\":[]}", 0, NULL);
	char err[256] = "";

	(void)state;
	assert_null(pooldef_canonical(in, err, sizeof(err)));
	assert_true(err[0] != '\0');
	json_decref(in);
}

/* A TableDescription of def_a, ACTIVE. */
static json_t *
desc_a(void)
{
	return json_loads(
	    "{\"TableName\":\"dyntable-pool-x\",\"TableStatus\":\"ACTIVE\","
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
	    "\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\"},"
	    "\"ItemCount\":0,\"GlobalSecondaryIndexes\":["
	    "{\"IndexName\":\"by-h\",\"IndexStatus\":\"ACTIVE\",\"KeySchema\":"
	    "[{\"AttributeName\":\"h\",\"KeyType\":\"HASH\"}],\"Projection\":"
	    "{\"ProjectionType\":\"ALL\"},\"IndexSizeBytes\":0},"
	    "{\"IndexName\":\"by-g\",\"IndexStatus\":\"ACTIVE\",\"KeySchema\":"
	    "[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],\"Projection\":"
	    "{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"x\","
	    "\"a\"]}}]}", 0, NULL);
}

static void
test_matches(void **state)
{
	json_t *a = canon(def_a), *d = desc_a(), *gsis;
	char why[512];

	(void)state;
	assert_non_null(d);
	assert_true(pooldef_matches(a, d, why, sizeof(why)));
	/* Billing mode changed. */
	json_object_set_new(json_object_get(d, "BillingModeSummary"),
	    "BillingMode", json_string("PROVISIONED"));
	assert_false(pooldef_matches(a, d, why, sizeof(why)));
	assert_non_null(strstr(why, "changed"));
	json_decref(d);
	/* An index more. */
	d = desc_a();
	gsis = json_object_get(d, "GlobalSecondaryIndexes");
	json_array_append_new(gsis, json_pack("{s:s,s:s,s:[{s:s,s:s}],s:{s:s}}",
	    "IndexName", "extra", "IndexStatus", "ACTIVE", "KeySchema",
	    "AttributeName", "pk", "KeyType", "HASH", "Projection",
	    "ProjectionType", "ALL"));
	assert_false(pooldef_matches(a, d, why, sizeof(why)));
	json_decref(d);
	/* An index not ACTIVE. */
	d = desc_a();
	json_object_set_new(json_array_get(json_object_get(d,
	    "GlobalSecondaryIndexes"), 0), "IndexStatus",
	    json_string("UPDATING"));
	assert_false(pooldef_matches(a, d, why, sizeof(why)));
	assert_non_null(strstr(why, "ACTIVE"));
	json_decref(d);
	json_decref(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equivalent_definitions),
		cmocka_unit_test(test_different_definitions),
		cmocka_unit_test(test_invalid_definition),
		cmocka_unit_test(test_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
