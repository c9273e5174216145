/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of client/lib/apply_diff.c: the plan apply makes from what a
 * file says and what DynamoDB describes (pure, no daemon).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client_internal.h"

static json_t *
j(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (v == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return v;
}

#define WANT "{\"TableName\":\"t\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]," \
	"\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\""
#define HAVE "{\"TableName\":\"t\",\"TableStatus\":\"ACTIVE\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]," \
	"\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\"}," \
	"\"ProvisionedThroughput\":{\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":0}"

/* The plan of want against have (NULL: missing), with extras. */
static json_t *
plan(const char *want, const char *have, const char *ttl, const char *tags,
    const char *pitr, const char *have_ttl, const char *have_tags,
    const char *have_pitr)
{
	json_t *w = j(want), *h = have ? j(have) : NULL;
	json_t *x[6] = { ttl ? j(ttl) : NULL, tags ? j(tags) : NULL,
		pitr ? j(pitr) : NULL, have_ttl ? j(have_ttl) : NULL,
		have_tags ? j(have_tags) : NULL, have_pitr ? j(have_pitr) : NULL };
	dtc_apply_want wa = { w, x[0], x[1], x[2] };
	dtc_apply_have ha = { h, x[3], x[4], x[5] };
	json_t *p = dtc_apply_diff(&wa, &ha);

	assert_non_null(p);
	json_decref(w);
	json_decref(h);
	for (int i = 0; i < 6; i++)
		json_decref(x[i]);
	return p;
}

static const char *
action(const json_t *p)
{
	return json_string_value(json_object_get(p, "action"));
}

static const char *
field(const json_t *p, const char *list, size_t i)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(p, list), i), "field"));
}

static const char *
step_op(const json_t *p, size_t i)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "steps"), i), "op"));
}

static void
test_missing_is_created_with_tags_then_ttl_pitr(void **state)
{
	json_t *p = plan(WANT "}", NULL, "\"exp\"", "{\"team\":\"a\"}", "true",
	    NULL, NULL, NULL);
	const json_t *in;

	assert_string_equal(action(p), "create");
	assert_int_equal(json_array_size(json_object_get(p, "steps")), 3);
	assert_string_equal(step_op(p, 0), "create_table");
	in = json_object_get(json_array_get(json_object_get(p, "steps"), 0),
	    "input");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(in, "Tags"), 0), "Key")), "team");
	assert_string_equal(step_op(p, 1), "update_time_to_live");
	assert_string_equal(step_op(p, 2), "update_continuous_backups");
	json_decref(p);
}

static void
test_same_is_none(void **state)
{
	json_t *p = plan(WANT "}", HAVE "}", "\"exp\"", "{\"team\":\"a\"}",
	    "false", "{\"TimeToLiveStatus\":\"ENABLED\",\"AttributeName\":\"exp\"}",
	    "[{\"Key\":\"team\",\"Value\":\"a\"},{\"Key\":\"dyntable:owner\",\"Value\":\"x\"}]",
	    "{\"PointInTimeRecoveryDescription\":{\"PointInTimeRecoveryStatus\":\"DISABLED\"}}");

	assert_string_equal(action(p), "none");
	assert_int_equal(json_array_size(json_object_get(p, "steps")), 0);
	assert_int_equal(json_array_size(json_object_get(p, "changes")), 0);
	json_decref(p);
}

static void
test_drift_key_type_lsi(void **state)
{
	json_t *p = plan("{\"TableName\":\"t\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"N\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
	    "\"BillingMode\":\"PAY_PER_REQUEST\"}", HAVE ",\"LocalSecondaryIndexes\":[{\"IndexName\":\"l\","
	    "\"KeySchema\":[],\"Projection\":{\"ProjectionType\":\"ALL\"}}]}",
	    NULL, NULL, NULL, NULL, NULL, NULL);

	assert_string_equal(action(p), "drift");
	assert_string_equal(field(p, "drift", 0), "KeySchema");
	assert_string_equal(field(p, "drift", 1),
	    "AttributeDefinitions.pk.AttributeType");
	assert_string_equal(field(p, "drift", 2), "LocalSecondaryIndexes.l");
	/* Drift is never "fixed": no step deletes or recreates. */
	assert_int_equal(json_array_size(json_object_get(p, "steps")), 0);
	json_decref(p);
}

static void
test_billing_and_gsis_one_change_per_step(void **state)
{
	json_t *p = plan("{\"TableName\":\"t\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
	    "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
	    "\"BillingMode\":\"PROVISIONED\",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":2,\"WriteCapacityUnits\":3},"
	    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"new\",\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
	    "\"Projection\":{\"ProjectionType\":\"ALL\"},\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,\"WriteCapacityUnits\":1}}],"
	    "\"DeletionProtectionEnabled\":true}",
	    HAVE ",\"GlobalSecondaryIndexes\":[{\"IndexName\":\"old\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
	    "\"Projection\":{\"ProjectionType\":\"ALL\"},\"IndexStatus\":\"ACTIVE\"}]}",
	    NULL, NULL, NULL, NULL, NULL, NULL);
	const json_t *steps = json_object_get(p, "steps");
	const json_t *u;

	assert_string_equal(action(p), "update");
	assert_int_equal(json_array_size(steps), 4);
	u = json_object_get(json_array_get(steps, 0), "update");
	assert_string_equal(json_string_value(json_object_get(u, "BillingMode")),
	    "PROVISIONED");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u,
	    "ProvisionedThroughput"), "WriteCapacityUnits")), 3);
	u = json_object_get(json_array_get(steps, 1), "update");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(u, "GlobalSecondaryIndexUpdates"), 0),
	    "Delete"), "IndexName")), "old");
	u = json_object_get(json_array_get(steps, 2), "update");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(u, "GlobalSecondaryIndexUpdates"), 0),
	    "Create"), "IndexName")), "new");
	/* The new index's attribute, defined in the same call. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(u, "AttributeDefinitions"), 0), "AttributeName")), "g");
	u = json_object_get(json_array_get(steps, 3), "update");
	assert_true(json_is_true(json_object_get(u, "DeletionProtectionEnabled")));
	json_decref(p);
}

static void
test_tags_ttl_pitr_changes(void **state)
{
	json_t *p = plan(WANT "}", HAVE "}", "false", "{\"a\":\"2\",\"b\":\"1\"}",
	    "true", "{\"TimeToLiveStatus\":\"ENABLED\",\"AttributeName\":\"exp\"}",
	    "[{\"Key\":\"a\",\"Value\":\"1\"},{\"Key\":\"gone\",\"Value\":\"x\"},{\"Key\":\"aws:cf\",\"Value\":\"y\"}]",
	    "{\"PointInTimeRecoveryDescription\":{\"PointInTimeRecoveryStatus\":\"DISABLED\"}}");
	const json_t *keys;

	assert_string_equal(action(p), "update");
	assert_string_equal(step_op(p, 0), "update_time_to_live");
	assert_string_equal(step_op(p, 1), "untag_resource");
	keys = json_object_get(json_array_get(json_object_get(p, "steps"), 1),
	    "keys");
	/* a changed (untagged first), gone removed, aws:cf left alone */
	assert_int_equal(json_array_size(keys), 2);
	assert_string_equal(step_op(p, 2), "tag_resource");
	assert_string_equal(step_op(p, 3), "update_continuous_backups");
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_is_created_with_tags_then_ttl_pitr),
		cmocka_unit_test(test_same_is_none),
		cmocka_unit_test(test_drift_key_type_lsi),
		cmocka_unit_test(test_billing_and_gsis_one_change_per_step),
		cmocka_unit_test(test_tags_ttl_pitr_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
