/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ddb.c: the CreateTableInput checks that run before any
 * request leaves the daemon, and the TableDescription readers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ddb.h"

/* Parses JSON text or fails the test. */
static json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

/* Expects ddb_check_create to refuse text with a message containing
 * want. */
static void
refused(const char *text, const char *want)
{
	json_t *j = parse(text);
	char err[256] = "";

	if (ddb_check_create(j, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (strstr(err, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" for %s", err, want, text);
	json_decref(j);
}

#define PK "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]," \
	"\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]"

static void
test_minimal_gets_explicit_billing(void **state)
{
	json_t *j = parse("{\"TableName\":\"users\"," PK "}");
	char err[256];

	assert_int_equal(ddb_check_create(j, err, sizeof(err)), 0);
	/* An absent BillingMode means PROVISIONED to DynamoDB: we send ours. */
	assert_string_equal(json_string_value(json_object_get(j,
	    "BillingMode")), "PAY_PER_REQUEST");
	json_decref(j);
}

static void
test_provisioned_with_sort_key(void **state)
{
	json_t *j = parse("{\"TableName\":\"a.b-c_d\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
	    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
	    "\"BillingMode\":\"PROVISIONED\","
	    "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":1}}");
	char err[256];

	assert_int_equal(ddb_check_create(j, err, sizeof(err)), 0);
	json_decref(j);
}

static void
test_names(void **state)
{
	refused("{" PK "}", "TableName: missing");
	refused("{\"TableName\":\"ab\"," PK "}", "TableName");
	refused("{\"TableName\":\"a b c\"," PK "}", "TableName");
	refused("{\"TableName\":7," PK "}", "TableName: must be a string");
	assert_true(ddb_valid_name("abc", 3));
	assert_false(ddb_valid_name("ab", 2));
	assert_false(ddb_valid_name("tab/le", 6));
	{
		char big[257];

		memset(big, 'x', sizeof(big));
		assert_true(ddb_valid_name(big, 255));
		assert_false(ddb_valid_name(big, 256));
	}
}

static void
test_unknown_member(void **state)
{
	refused("{\"TableName\":\"users\"," PK ",\"Bogus\":1}", "Bogus: unknown member");
	refused("{\"TableName\":\"users\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\",\"X\":1}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
	    "AttributeDefinitions[0].X: unknown member");
}

static void
test_key_schema(void **state)
{
	refused("{\"TableName\":\"users\",\"AttributeDefinitions\":[]}", "KeySchema: missing");
	refused("{\"TableName\":\"users\",\"AttributeDefinitions\":[],\"KeySchema\":[]}",
	    "KeySchema: must have 1 to 1 HASH");
	refused("{\"TableName\":\"users\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"RANGE\"}]}",
	    "KeySchema[0].KeyType: the first element must be HASH");
	refused("{\"TableName\":\"users\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"pk\",\"KeyType\":\"RANGE\"}]}",
	    "attribute \"pk\" is used twice");
}

static void
test_attribute_definitions(void **state)
{
	refused("{\"TableName\":\"users\","
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
	    "AttributeDefinitions: missing");
	refused("{\"TableName\":\"users\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"X\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
	    "AttributeType: must be S, N or B");
	refused("{\"TableName\":\"users\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
	    "{\"AttributeName\":\"other\",\"AttributeType\":\"S\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
	    "\"other\" is not a key attribute");
	refused("{\"TableName\":\"users\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"x\",\"AttributeType\":\"S\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
	    "\"x\" is not a key attribute");
	refused("{\"TableName\":\"users\",\"AttributeDefinitions\":[],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
	    "key attribute \"pk\" is not defined");
	refused("{\"TableName\":\"users\","
	    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
	    "{\"AttributeName\":\"pk\",\"AttributeType\":\"N\"}],"
	    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
	    "defined twice");
}

static void
test_billing(void **state)
{
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"FREE\"}",
	    "BillingMode: must be");
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PROVISIONED\"}",
	    "ProvisionedThroughput: required");
	refused("{\"TableName\":\"users\"," PK ",\"ProvisionedThroughput\":"
	    "{\"ReadCapacityUnits\":1,\"WriteCapacityUnits\":1}}",
	    "not allowed when BillingMode is PAY_PER_REQUEST");
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PROVISIONED\","
	    "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":1}}",
	    "ReadCapacityUnits: must be an integer >= 1");
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PROVISIONED\","
	    "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1}}",
	    "WriteCapacityUnits: missing");
}

/* A table with a sort key, for index tests: PK2 plus what follows. */
#define T2(billing, defs, rest) "{\"TableName\":\"users\"," billing \
	"\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}," \
	"{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}" defs "]," \
	"\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}," \
	"{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]" rest "}"
#define GA ",{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}"
#define GSI(name, proj, extra) "{\"IndexName\":\"" name "\",\"KeySchema\":" \
	"[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],\"Projection\":" proj extra "}"
#define ALL "{\"ProjectionType\":\"ALL\"}"
#define PT ",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,\"WriteCapacityUnits\":1}"
#define PROV "\"BillingMode\":\"PROVISIONED\"" PT ","

static void
accepted(const char *text)
{
	json_t *j = parse(text);
	char err[256] = "";

	if (ddb_check_create(j, err, sizeof(err)) != 0)
		fail_msg("refused (%s): %s", err, text);
	json_decref(j);
}

static void
test_gsi(void **state)
{
	accepted(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"));
	accepted(T2(PROV, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, PT) "]"));
	/* Under PROVISIONED each GSI needs its own throughput. */
	refused(T2(PROV, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"),
	    "GlobalSecondaryIndexes[0].ProvisionedThroughput: required");
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, PT) "]"),
	    "not allowed for index \"byg\" when BillingMode is PAY_PER_REQUEST");
	/* The GSI key attribute must be defined, and nothing more. */
	refused(T2("", "", ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"),
	    "key attribute \"g\" is not defined");
	refused(T2("", GA, ""), "\"g\" is not a key attribute");
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") ","
	    GSI("byg", ALL, "") "]"), "duplicate index name \"byg\"");
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("x", ALL, "") "]"),
	    "GlobalSecondaryIndexes[0].IndexName: must be 3 to 255");
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[]"), "non-empty list");
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", "{}", "") "]"),
	    "Projection.ProjectionType: missing");
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg",
	    "{\"ProjectionType\":\"KEYS_ONLY\",\"NonKeyAttributes\":[\"a\"]}", "") "]"),
	    "NonKeyAttributes: only allowed with ProjectionType INCLUDE");
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg",
	    "{\"ProjectionType\":\"INCLUDE\"}", "") "]"),
	    "NonKeyAttributes: required with ProjectionType INCLUDE");
	accepted(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg",
	    "{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"a\",\"b\"]}", "") "]"));
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL,
	    ",\"OnDemandThroughput\":{}") "]"),
	    "GlobalSecondaryIndexes[0].OnDemandThroughput: unknown member");
	/* Multi-attribute GSI keys: up to 4 HASH then up to 4 RANGE. */
	accepted(T2("", GA ",{\"AttributeName\":\"h\",\"AttributeType\":\"S\"}",
	    ",\"GlobalSecondaryIndexes\":[{\"IndexName\":\"multi\",\"KeySchema\":["
	    "{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"h\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"Projection\":" ALL "}]"));
	refused(T2("", GA, ",\"GlobalSecondaryIndexes\":[{\"IndexName\":\"multi\",\"KeySchema\":["
	    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"},"
	    "{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],\"Projection\":" ALL "}]"),
	    "the first element must be HASH");
}

/* 21 GSIs, each on g: over the limit of 20. */
static void
test_gsi_limit(void **state)
{
	char buf[8192];
	size_t n = 0;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
	    "{\"TableName\":\"users\"," PK ",\"GlobalSecondaryIndexes\":[");
	for (int i = 0; i < 21; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "%s{\"IndexName\":\"idx%02d\",\"KeySchema\":[{\"AttributeName\":"
		    "\"pk\",\"KeyType\":\"HASH\"}],\"Projection\":" ALL "}",
		    i ? "," : "", i);
	snprintf(buf + n, sizeof(buf) - n, "]}");
	refused(buf, "21 indexes, the limit is 20");
}

/* 6 INCLUDE GSIs of 20 attributes each: 120 > 100 in total. */
static void
test_nonkey_total(void **state)
{
	char buf[16384];
	size_t n = 0;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
	    "{\"TableName\":\"users\"," PK ",\"GlobalSecondaryIndexes\":[");
	for (int i = 0; i < 6; i++) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "%s{\"IndexName\":\"idx%02d\",\"KeySchema\":[{\"AttributeName\":"
		    "\"pk\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":"
		    "\"INCLUDE\",\"NonKeyAttributes\":[", i ? "," : "", i);
		for (int a = 0; a < 20; a++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "%s\"a%d\"", a ? "," : "", a);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]}}");
	}
	snprintf(buf + n, sizeof(buf) - n, "]}");
	refused(buf, "120 projected across all indexes, the limit is 100");
}

#define LSI(name, hash, range) "{\"IndexName\":\"" name "\",\"KeySchema\":" \
	"[{\"AttributeName\":\"" hash "\",\"KeyType\":\"HASH\"}" range "],\"Projection\":" ALL "}"
#define LR ",{\"AttributeName\":\"g\",\"KeyType\":\"RANGE\"}"

static void
test_lsi(void **state)
{
	accepted(T2("", GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", LR) "]"));
	refused(T2("", GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "sk", LR) "]"),
	    "the HASH key must be the table's partition key \"pk\"");
	refused(T2("", "", ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", "") "]"),
	    "a local secondary index needs a RANGE key");
	refused("{\"TableName\":\"users\"," PK ",\"LocalSecondaryIndexes\":["
	    LSI("byg", "pk", LR) "]}", "the table needs a sort (RANGE) key");
	refused(T2("", GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", LR) ","
	    LSI("byg", "pk", LR) "]"), "duplicate index name");
	refused(T2("", GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", LR) "]"
	    ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"),
	    "duplicate index name \"byg\"");
	refused(T2("", GA, ",\"LocalSecondaryIndexes\":[" LSI("ix1", "pk", LR) ","
	    LSI("ix2", "pk", LR) "," LSI("ix3", "pk", LR) "," LSI("ix4", "pk", LR) ","
	    LSI("ix5", "pk", LR) "," LSI("ix6", "pk", LR) "]"), "6 indexes, the limit is 5");
}

static void
test_sse_stream_tags_class(void **state)
{
	accepted("{\"TableName\":\"users\"," PK ",\"SSESpecification\":{\"Enabled\":false}}");
	accepted("{\"TableName\":\"users\"," PK ",\"SSESpecification\":"
	    "{\"Enabled\":true,\"SSEType\":\"KMS\"}}");
	accepted("{\"TableName\":\"users\"," PK ",\"SSESpecification\":"
	    "{\"Enabled\":true,\"SSEType\":\"KMS\",\"KMSMasterKeyId\":\"alias/k\"}}");
	refused("{\"TableName\":\"users\"," PK ",\"SSESpecification\":"
	    "{\"Enabled\":false,\"KMSMasterKeyId\":\"alias/k\"}}", "need Enabled true");
	refused("{\"TableName\":\"users\"," PK ",\"SSESpecification\":"
	    "{\"Enabled\":true,\"SSEType\":\"AES256\"}}", "SSEType: must be KMS");
	accepted("{\"TableName\":\"users\"," PK ",\"StreamSpecification\":"
	    "{\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"}}");
	refused("{\"TableName\":\"users\"," PK ",\"StreamSpecification\":"
	    "{\"StreamEnabled\":true}}", "StreamViewType: required");
	refused("{\"TableName\":\"users\"," PK ",\"StreamSpecification\":"
	    "{\"StreamEnabled\":true,\"StreamViewType\":\"ALL\"}}", "StreamViewType");
	accepted("{\"TableName\":\"users\"," PK ",\"Tags\":[{\"Key\":\"team\",\"Value\":\"\"}]}");
	refused("{\"TableName\":\"users\"," PK ",\"Tags\":[{\"Key\":\"a\",\"Value\":\"1\"},"
	    "{\"Key\":\"a\",\"Value\":\"2\"}]}", "Tags[1].Key: \"a\" is given twice");
	refused("{\"TableName\":\"users\"," PK ",\"Tags\":[{\"Key\":\"a\"}]}", "Tags[0].Value");
	accepted("{\"TableName\":\"users\"," PK ",\"TableClass\":\"STANDARD_INFREQUENT_ACCESS\"}");
	refused("{\"TableName\":\"users\"," PK ",\"TableClass\":\"COLD\"}", "TableClass: must be");
	accepted("{\"TableName\":\"users\"," PK ",\"DeletionProtectionEnabled\":true}");
	refused("{\"TableName\":\"users\"," PK ",\"DeletionProtectionEnabled\":1}",
	    "DeletionProtectionEnabled: must be true or false");
	refused("{\"TableName\":\"users\"," PK ",\"ResourcePolicy\":\"{}\"}",
	    "ResourcePolicy: unknown member");
}

static void
test_table_active(void **state)
{
	json_t *a = parse("{\"TableStatus\":\"ACTIVE\"}");
	json_t *c = parse("{\"TableStatus\":\"CREATING\"}");
	json_t *g = parse("{\"TableStatus\":\"ACTIVE\",\"GlobalSecondaryIndexes\":"
	    "[{\"IndexName\":\"a\",\"IndexStatus\":\"ACTIVE\"},"
	    "{\"IndexName\":\"b\",\"IndexStatus\":\"CREATING\"}]}");
	json_t *ga = parse("{\"TableStatus\":\"ACTIVE\",\"GlobalSecondaryIndexes\":"
	    "[{\"IndexName\":\"a\",\"IndexStatus\":\"ACTIVE\"}]}");

	assert_true(ddb_table_active(a));
	assert_false(ddb_table_active(c));
	assert_false(ddb_table_active(g)); /* an index still creating */
	assert_true(ddb_table_active(ga));
	assert_string_equal(ddb_table_status(c), "CREATING");
	json_decref(a);
	json_decref(c);
	json_decref(g);
	json_decref(ga);
}

static void
test_error_codes(void **state)
{
	assert_int_equal(ddb_error_code("ResourceNotFoundException"),
	    DTP_E_NOT_FOUND);
	assert_int_equal(ddb_error_code("ResourceInUseException"),
	    DTP_E_IN_USE);
	assert_int_equal(ddb_error_code("ValidationException"), DTP_E_AWS);
	assert_int_equal(ddb_error_code(NULL), DTP_E_UPSTREAM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_gets_explicit_billing),
		cmocka_unit_test(test_provisioned_with_sort_key),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_unknown_member),
		cmocka_unit_test(test_key_schema),
		cmocka_unit_test(test_attribute_definitions),
		cmocka_unit_test(test_billing),
		cmocka_unit_test(test_gsi),
		cmocka_unit_test(test_gsi_limit),
		cmocka_unit_test(test_nonkey_total),
		cmocka_unit_test(test_lsi),
		cmocka_unit_test(test_sse_stream_tags_class),
		cmocka_unit_test(test_table_active),
		cmocka_unit_test(test_error_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
