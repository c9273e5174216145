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
parse_raw(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

/* parse_raw(), and a document with neither BillingMode nor
 * ProvisionedThroughput gets BillingMode PAY_PER_REQUEST, the protocol's
 * default, explicitly (as the daemon would). */
static json_t *
parse(const char *text)
{
	json_t *j = parse_raw(text);

	if (json_is_object(j) && json_object_get(j, "BillingMode") == NULL &&
	    json_object_get(j, "ProvisionedThroughput") == NULL)
		json_object_set_new(j, "BillingMode",
		    json_string("PAY_PER_REQUEST"));
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
	json_t *j = parse_raw("{\"TableName\":\"users\"," PK "}");
	char err[256];

	assert_int_equal(ddb_check_create(j, err, sizeof(err)), 0);
	/* The protocol's default, on-demand, is sent explicitly: DynamoDB
	 * would take an absent mode as PROVISIONED. (libdyntable gives a
	 * JSON document without BillingMode DynamoDB's meaning.) */
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
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PAY_PER_REQUEST\","
	    "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,\"WriteCapacityUnits\":1}}",
	    "not allowed when BillingMode is PAY_PER_REQUEST");
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PROVISIONED\","
	    "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":40001,\"WriteCapacityUnits\":1}}",
	    "ProvisionedThroughput.ReadCapacityUnits: 40001 is above DynamoDB's per-table limit of 40000");
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PROVISIONED\","
	    "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":1}}",
	    "ReadCapacityUnits: must be an integer >= 1");
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PROVISIONED\","
	    "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1}}",
	    "WriteCapacityUnits: missing");
}

#define PPR "\"BillingMode\":\"PAY_PER_REQUEST\","
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
	accepted(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"));
	accepted(T2(PROV, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, PT) "]"));
	/* Under PROVISIONED each GSI needs its own throughput. */
	refused(T2(PROV, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"),
	    "GlobalSecondaryIndexes[0].ProvisionedThroughput: required");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, PT) "]"),
	    "not allowed for index \"byg\" when BillingMode is PAY_PER_REQUEST");
	/* The GSI key attribute must be defined, and nothing more. */
	refused(T2(PPR, "", ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"),
	    "key attribute \"g\" is not defined");
	refused(T2(PPR, GA, ""), "\"g\" is not a key attribute");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") ","
	    GSI("byg", ALL, "") "]"), "duplicate index name \"byg\"");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("x", ALL, "") "]"),
	    "GlobalSecondaryIndexes[0].IndexName: must be 3 to 255");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[]"), "non-empty list");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", "{}", "") "]"),
	    "Projection.ProjectionType: missing");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg",
	    "{\"ProjectionType\":\"KEYS_ONLY\",\"NonKeyAttributes\":[\"a\"]}", "") "]"),
	    "NonKeyAttributes: only allowed with ProjectionType INCLUDE");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg",
	    "{\"ProjectionType\":\"INCLUDE\"}", "") "]"),
	    "NonKeyAttributes: required with ProjectionType INCLUDE");
	accepted(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg",
	    "{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"a\",\"b\"]}", "") "]"));
/* OnDemandThroughput and WarmThroughput (issue 16): ceilings only
	 * under PAY_PER_REQUEST, 1 to 40,000; an empty object is none. */
	accepted(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL,
	    ",\"OnDemandThroughput\":{\"MaxReadRequestUnits\":100},"
	    "\"WarmThroughput\":{\"ReadUnitsPerSecond\":12000,\"WriteUnitsPerSecond\":4000}") "]"));
	accepted(T2(PROV, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL,
	    PT ",\"OnDemandThroughput\":{}") "]"));
	refused(T2(PROV, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL,
	    PT ",\"OnDemandThroughput\":{\"MaxWriteRequestUnits\":5}") "]"),
	    "GlobalSecondaryIndexes[0].OnDemandThroughput: only with BillingMode PAY_PER_REQUEST");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL,
	    ",\"OnDemandThroughput\":{\"MaxReadRequestUnits\":-1}") "]"),
	    "GlobalSecondaryIndexes[0].OnDemandThroughput.MaxReadRequestUnits: must be an integer >= 1");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL,
	    ",\"OnDemandThroughput\":{\"MaxReadRequestUnits\":40001}") "]"),
	    "above DynamoDB's per-table limit of 40000");
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL,
	    ",\"WarmThroughput\":{}") "]"),
	    "GlobalSecondaryIndexes[0].WarmThroughput: give ReadUnitsPerSecond or WriteUnitsPerSecond");
	/* Multi-attribute GSI keys: up to 4 HASH then up to 4 RANGE. */
	accepted(T2(PPR, GA ",{\"AttributeName\":\"h\",\"AttributeType\":\"S\"}",
	    ",\"GlobalSecondaryIndexes\":[{\"IndexName\":\"multi\",\"KeySchema\":["
	    "{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"h\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"Projection\":" ALL "}]"));
	refused(T2(PPR, GA, ",\"GlobalSecondaryIndexes\":[{\"IndexName\":\"multi\",\"KeySchema\":["
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
	accepted(T2(PPR, GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", LR) "]"));
	refused(T2(PPR, GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "sk", LR) "]"),
	    "the HASH key must be the table's partition key \"pk\"");
	refused(T2(PPR, "", ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", "") "]"),
	    "a local secondary index needs a RANGE key");
	refused("{\"TableName\":\"users\"," PK ",\"LocalSecondaryIndexes\":["
	    LSI("byg", "pk", LR) "]}", "the table needs a sort (RANGE) key");
	refused(T2(PPR, GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", LR) ","
	    LSI("byg", "pk", LR) "]"), "duplicate index name");
	refused(T2(PPR, GA, ",\"LocalSecondaryIndexes\":[" LSI("byg", "pk", LR) "]"
	    ",\"GlobalSecondaryIndexes\":[" GSI("byg", ALL, "") "]"),
	    "duplicate index name \"byg\"");
	refused(T2(PPR, GA, ",\"LocalSecondaryIndexes\":[" LSI("ix1", "pk", LR) ","
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
}

/* The members CreateTable gained in issue 16, on the table. */
static void
test_create_new_members(void **state)
{
	accepted("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PAY_PER_REQUEST\","
	    "\"OnDemandThroughput\":{\"MaxReadRequestUnits\":10,\"MaxWriteRequestUnits\":20},"
	    "\"WarmThroughput\":{\"ReadUnitsPerSecond\":13000,\"WriteUnitsPerSecond\":5000},"
	    "\"ResourcePolicy\":\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[]}\"}");
	refused("{\"TableName\":\"users\"," PK ",\"BillingMode\":\"PROVISIONED\"" PT
	    ",\"OnDemandThroughput\":{\"MaxReadRequestUnits\":10}}",
	    "OnDemandThroughput: only with BillingMode PAY_PER_REQUEST");
	refused("{\"TableName\":\"users\"," PK ",\"OnDemandThroughput\":{\"Max\":1}}",
	    "OnDemandThroughput.Max: unknown member");
	refused("{\"TableName\":\"users\"," PK ",\"WarmThroughput\":{\"ReadUnitsPerSecond\":0}}",
	    "WarmThroughput.ReadUnitsPerSecond: must be an integer >= 1");
	refused("{\"TableName\":\"users\"," PK ",\"ResourcePolicy\":\"\"}",
	    "ResourcePolicy: must be a JSON policy document as a string of 1 to 20480 bytes");
	refused("{\"TableName\":\"users\"," PK ",\"ResourcePolicy\":{}}",
	    "ResourcePolicy: must be");
	refused("{\"TableName\":\"users\"," PK ",\"VectorIndexes\":[]}",
	    "VectorIndexes: unknown member");
}

/* Expects ddb_check_update to refuse text with a message containing want
 * (NULL: to accept it). */
static void
update_is(const char *text, const char *want)
{
	json_t *j = parse_raw(text);
	char err[256] = "";
	int rc = ddb_check_update(j, err, sizeof(err));

	if (want == NULL && rc != 0)
		fail_msg("refused (%s): %s", err, text);
	if (want != NULL && rc == 0)
		fail_msg("accepted: %s", text);
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" for %s", err, want, text);
	json_decref(j);
}

#define CREATE_G "{\"Create\":{\"IndexName\":\"by-g\",\"KeySchema\":" \
	"[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],\"Projection\":" ALL
#define DEFS_G "\"AttributeDefinitions\":[{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}]"

/* DynamoDB's UpdateTable rules, each refused and accepted (issue 16). */
static void
test_update_rules(void **state)
{
	update_is("{}", "nothing to update");
	update_is("{" DEFS_G "}", "nothing to update");
	update_is("{\"TableName\":\"x\",\"TableClass\":\"STANDARD\"}",
	    "TableName: give the table as the request's name");
	update_is("{\"ReplicaUpdates\":[]}", "ReplicaUpdates: unknown member");
	update_is("{\"TableClass\":\"STANDARD_INFREQUENT_ACCESS\"}", NULL);
	update_is("{\"TableClass\":\"COLD\"}", "TableClass: must be");
	update_is("{\"DeletionProtectionEnabled\":true}", NULL);
	update_is("{\"DeletionProtectionEnabled\":1}", "DeletionProtectionEnabled: must be");
	/* billing: what each mode requires */
	update_is("{\"BillingMode\":\"PROVISIONED\"}",
	    "ProvisionedThroughput: required when switching BillingMode to PROVISIONED");
	update_is("{\"BillingMode\":\"PROVISIONED\"" PT "}", NULL);
	update_is("{\"BillingMode\":\"PAY_PER_REQUEST\"" PT "}",
	    "ProvisionedThroughput: not allowed when BillingMode is PAY_PER_REQUEST");
	update_is("{\"BillingMode\":\"PAY_PER_REQUEST\"}", NULL);
	update_is("{\"BillingMode\":\"FREE\"}", "BillingMode: must be");
	update_is("{\"ProvisionedThroughput\":{\"ReadCapacityUnits\":50000,\"WriteCapacityUnits\":1}}",
	    "ProvisionedThroughput.ReadCapacityUnits: 50000 is above");
	update_is("{\"OnDemandThroughput\":{\"MaxReadRequestUnits\":-1}}", NULL);
	update_is("{\"OnDemandThroughput\":{}}", "OnDemandThroughput: give MaxReadRequestUnits");
	update_is("{\"OnDemandThroughput\":{\"MaxReadRequestUnits\":-2}}",
	    "OnDemandThroughput.MaxReadRequestUnits: must be an integer >= 1 (or -1: no ceiling)");
	update_is("{\"BillingMode\":\"PROVISIONED\"" PT ",\"OnDemandThroughput\":{\"MaxReadRequestUnits\":5}}",
	    "OnDemandThroughput: only with BillingMode PAY_PER_REQUEST");
	update_is("{\"WarmThroughput\":{\"WriteUnitsPerSecond\":5000}}", NULL);
	update_is("{\"WarmThroughput\":{\"WriteUnitsPerSecond\":0}}",
	    "WarmThroughput.WriteUnitsPerSecond: must be an integer >= 1");
	/* GSIs: one create or delete per call, with its attributes */
	update_is("{" DEFS_G ",\"GlobalSecondaryIndexUpdates\":[" CREATE_G "}}]}", NULL);
	update_is("{\"GlobalSecondaryIndexUpdates\":[" CREATE_G "}}]}",
	    "AttributeDefinitions: required to define the new index's key attributes (\"g\"");
	update_is("{\"AttributeDefinitions\":[{\"AttributeName\":\"h\",\"AttributeType\":\"S\"}],"
	    "\"GlobalSecondaryIndexUpdates\":[" CREATE_G "}}]}",
	    "AttributeDefinitions: the new index's key attribute \"g\" is not defined");
	update_is("{\"GlobalSecondaryIndexUpdates\":[{\"Delete\":{\"IndexName\":\"by-g\"}}]}", NULL);
	update_is("{" DEFS_G ",\"GlobalSecondaryIndexUpdates\":[" CREATE_G "}},"
	    "{\"Delete\":{\"IndexName\":\"by-h\"}}]}",
	    "GlobalSecondaryIndexUpdates[1]: DynamoDB creates or deletes one global secondary index per UpdateTable");
	update_is("{\"GlobalSecondaryIndexUpdates\":[{\"Delete\":{\"IndexName\":\"by-g\"},"
	    "\"Update\":{\"IndexName\":\"by-g\"}}]}", "one of Create, Update or Delete per element");
	update_is("{\"GlobalSecondaryIndexUpdates\":[{}]}", "needs Create, Update or Delete");
	update_is("{\"GlobalSecondaryIndexUpdates\":[]}", "GlobalSecondaryIndexUpdates: must be a list of 1 to 20");
	update_is("{\"GlobalSecondaryIndexUpdates\":[{\"Update\":{\"IndexName\":\"by-g\"}}]}",
	    "GlobalSecondaryIndexUpdates[0].Update: give ProvisionedThroughput, OnDemandThroughput or WarmThroughput");
	update_is("{\"GlobalSecondaryIndexUpdates\":[{\"Update\":{\"IndexName\":\"by-g\"" PT "}},"
	    "{\"Update\":{\"IndexName\":\"by-h\"" PT "}}]}", NULL);
	update_is("{\"GlobalSecondaryIndexUpdates\":[{\"Update\":{\"IndexName\":\"by-g\"" PT "}},"
	    "{\"Update\":{\"IndexName\":\"by-g\"" PT "}}]}", "duplicate index name \"by-g\"");
	update_is("{\"BillingMode\":\"PROVISIONED\"" PT "," DEFS_G ",\"GlobalSecondaryIndexUpdates\":[" CREATE_G "}}]}",
	    "GlobalSecondaryIndexUpdates[0].Create.KeySchema: required for index \"by-g\" when BillingMode is PROVISIONED");
	update_is("{\"BillingMode\":\"PAY_PER_REQUEST\",\"GlobalSecondaryIndexUpdates\":[{\"Update\":{\"IndexName\":\"by-g\"" PT "}}]}",
	    "GlobalSecondaryIndexUpdates[0].Update.ProvisionedThroughput: not allowed when BillingMode is PAY_PER_REQUEST");
	update_is("{" DEFS_G ",\"GlobalSecondaryIndexUpdates\":[{\"Create\":{\"IndexName\":\"by-g\","
	    "\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"RANGE\"}],\"Projection\":" ALL "}}]}",
	    "the first element must be HASH");
	/* streams, SSE: CreateTable's rules */
	update_is("{\"StreamSpecification\":{\"StreamEnabled\":true}}", "StreamViewType: required with StreamEnabled");
	update_is("{\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"KEYS_ONLY\"}}", NULL);
	update_is("{\"SSESpecification\":{\"Enabled\":true,\"SSEType\":\"KMS\"}}", NULL);
	update_is("{\"SSESpecification\":{\"KMSMasterKeyId\":\"k\"}}", "need Enabled true");
}

static void
test_ttl_tags_pitr(void **state)
{
	char err[256];
	json_t *j;

#define CHECK(fn, text, ok) do { j = parse_raw(text); \
	assert_int_equal(fn(j, err, sizeof(err)), (ok) ? 0 : -1); json_decref(j); } while (0)
	CHECK(ddb_check_ttl_spec, "{\"Enabled\":true,\"AttributeName\":\"exp\"}", true);
	CHECK(ddb_check_ttl_spec, "{\"Enabled\":true}", false);
	CHECK(ddb_check_ttl_spec, "{\"Enabled\":\"yes\",\"AttributeName\":\"exp\"}", false);
	CHECK(ddb_check_tag_list, "[{\"Key\":\"a\",\"Value\":\"\"}]", true);
	CHECK(ddb_check_tag_list, "[]", false);
	CHECK(ddb_check_tag_keys, "[\"a\",\"b\"]", true);
	CHECK(ddb_check_tag_keys, "[\"\"]", false);
	CHECK(ddb_check_pitr_spec, "{\"PointInTimeRecoveryEnabled\":true,\"RecoveryPeriodInDays\":7}", true);
	CHECK(ddb_check_pitr_spec, "{\"PointInTimeRecoveryEnabled\":true,\"RecoveryPeriodInDays\":36}", false);
	CHECK(ddb_check_pitr_spec, "{\"PointInTimeRecoveryEnabled\":false,\"RecoveryPeriodInDays\":7}", false);
	CHECK(ddb_check_pitr_spec, "{}", false);
#undef CHECK
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
		cmocka_unit_test(test_create_new_members),
		cmocka_unit_test(test_update_rules),
		cmocka_unit_test(test_ttl_tags_pitr),
		cmocka_unit_test(test_table_active),
		cmocka_unit_test(test_error_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
