/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of libdyntable's replies to results (client/lib/result.c): a
 * table's fields read straight from the TableDescription map, the whole
 * description from dyntable_table_json(), and the malformed replies that
 * become DYNTABLE_ERR_PROTOCOL. Each reply is packed as the daemon packs
 * it (dtp_enc_reply_ok, dtp_pack_json), decoded as client.c decodes it,
 * and the message is freed before the result is read.
 *
 *   test_result DIR    (DIR: tests/fuzz/corpus/fuzz_json, real answers)
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

#include "client_internal.h"
#include "dtp.h"
#include "dtp_json.h"

static const char *data_dir;

/* ---- helpers ------------------------------------------------------------- */

/* The result of op for the reply payload of frame e (finished here). */
static dyntable_result *
reply_of(dtp_enc *e, dyntable_op op)
{
	char err[160], *frame;
	size_t len;
	dyntable_result *r;
	dtp_msg m;

	assert_int_equal(dtp_enc_finish(e, &frame, &len), 0);
	dtp_enc_free(e);
	assert_int_equal(dtp_decode_reply(frame + DTP_HEADER_LEN,
	    len - DTP_HEADER_LEN, &m, err, sizeof(err)), DTP_DECODE_OK);
	free(frame);
	r = dtc_result_reply(op, &m);
	dtp_msg_free(&m); /* the result must not need it */
	assert_non_null(r);
	assert_int_equal(r->op, op);
	return r;
}

/* describe_table's result for the reply {"table": desc}. */
static dyntable_result *
describe(const json_t *desc)
{
	dtp_enc e;

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 7, 1);
	dtp_pack_cstr(&e, "table");
	assert_int_equal(dtp_pack_json(&e, desc), 0);
	return reply_of(&e, DYNTABLE_OP_DESCRIBE_TABLE);
}

/* describe() of a JSON text (single quotes for double ones). */
static dyntable_result *
describe_text(const char *text)
{
	char *t = strdup(text);
	json_error_t jerr;
	json_t *j;
	dyntable_result *r;

	assert_non_null(t);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(t, 0, &jerr);
	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", jerr.text, t);
	free(t);
	r = describe(j);
	json_decref(j);
	assert_int_equal(r->status, DYNTABLE_OK);
	assert_non_null(r->table);
	return r;
}

/* ---- a real DescribeTable answer ----------------------------------------- */

static void
test_aws_describe(void **state)
{
	char path[4096];
	json_error_t jerr;
	json_t *file, *desc, *back;
	dyntable_result *r;
	const dyntable_table *t;
	const char *text;
	char *want;

	snprintf(path, sizeof(path), "%s/aws-describe-table.json", data_dir);
	file = json_load_file(path, 0, &jerr);
	if (file == NULL)
		fail_msg("%s: %s", path, jerr.text);
	desc = json_object_get(file, "Table");
	r = describe(desc);
	assert_int_equal(r->status, DYNTABLE_OK);
	assert_null(r->message);
	t = r->table;
	assert_non_null(t);

	assert_string_equal(t->name, "Music");
	assert_string_equal(t->status, "ACTIVE");
	assert_string_equal(t->arn,
	    "arn:aws:dynamodb:us-west-2:123456789012:table/Music");
	assert_string_equal(t->billing_mode, "PAY_PER_REQUEST");
	assert_string_equal(t->table_class, "STANDARD");
	assert_string_equal(t->partition_key.name, "Artist");
	assert_int_equal(t->partition_key.type, DYNTABLE_S);
	assert_string_equal(t->sort_key.name, "SongTitle");
	assert_int_equal(t->sort_key.type, DYNTABLE_S);
	assert_int_equal(t->read_capacity, 0);
	assert_int_equal(t->write_capacity, 0);
	assert_int_equal(t->item_count, 12);
	assert_int_equal(t->size_bytes, 1024);
	assert_true(t->creation_time == 1.701716394957E9);
	assert_false(t->deletion_protection);
	assert_string_equal(t->stream_view_type, "NEW_IMAGE");
	assert_string_equal(t->sse_status, "ENABLED");
	assert_string_equal(t->sse_type, "KMS");
	assert_string_equal(t->kms_key_arn, "arn:aws:kms:us-west-2:"
	    "123456789012:key/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222");
	assert_int_equal(t->n_gsi, 1);
	assert_int_equal(t->n_lsi, 0);
	assert_null(t->lsi);
	assert_string_equal(t->gsi[0].name, "AlbumTitle-index");
	assert_string_equal(t->gsi[0].status, "ACTIVE");
	assert_string_equal(t->gsi[0].projection, "INCLUDE");
	assert_string_equal(t->gsi[0].partition_key.name, "AlbumTitle");
	assert_int_equal(t->gsi[0].partition_key.type, DYNTABLE_S);
	assert_null(t->gsi[0].sort_key.name);

	/* Built once; exactly the description, members in its order. */
	text = dyntable_table_json(t);
	assert_non_null(text);
	assert_ptr_equal(dyntable_table_json(t), text);
	want = json_dumps(desc, JSON_COMPACT);
	assert_string_equal(text, want);
	back = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	assert_true(json_equal(back, desc));
	json_decref(back);
	free(want);
	json_decref(file);
	dyntable_result_free(r);

	assert_null(dyntable_table_json(NULL));
}

/* ---- the fields as jansson's getters read them ---------------------------- */

static void
test_billing_inferred(void **state)
{
	dyntable_result *r;

	/* No summary: always provisioned, or on demand with 0 capacity. */
	r = describe_text("{'ProvisionedThroughput':{'ReadCapacityUnits':5,"
	    "'WriteCapacityUnits':3}}");
	assert_string_equal(r->table->billing_mode, "PROVISIONED");
	assert_int_equal(r->table->read_capacity, 5);
	assert_int_equal(r->table->write_capacity, 3);
	dyntable_result_free(r);
	r = describe_text("{'ProvisionedThroughput':{'ReadCapacityUnits':0}}");
	assert_string_equal(r->table->billing_mode, "PAY_PER_REQUEST");
	dyntable_result_free(r);
	/* No throughput either (or not an object): nothing to infer from. */
	r = describe_text("{'TableName':'t'}");
	assert_null(r->table->billing_mode);
	dyntable_result_free(r);
	r = describe_text("{'ProvisionedThroughput':[]}");
	assert_null(r->table->billing_mode);
	dyntable_result_free(r);
	/* The summary wins. */
	r = describe_text("{'BillingModeSummary':{'BillingMode':'PROVISIONED'},"
	    "'ProvisionedThroughput':{'ReadCapacityUnits':0}}");
	assert_string_equal(r->table->billing_mode, "PROVISIONED");
	dyntable_result_free(r);
}

static void
test_numbers(void **state)
{
	dyntable_result *r;

	/* Integers given as floats are taken (truncated); out of range or
	 * of another type, 0. */
	r = describe_text("{'ItemCount':12.0,'TableSizeBytes':2.9e3,"
	    "'CreationDateTime':1700000000,'ProvisionedThroughput':"
	    "{'ReadCapacityUnits':1e19,'WriteCapacityUnits':'7'}}");
	assert_int_equal(r->table->item_count, 12);
	assert_int_equal(r->table->size_bytes, 2900);
	assert_true(r->table->creation_time == 1700000000.0);
	assert_int_equal(r->table->read_capacity, 0);
	assert_int_equal(r->table->write_capacity, 0);
	dyntable_result_free(r);
	r = describe_text("{'ItemCount':-3,'CreationDateTime':true,"
	    "'DeletionProtectionEnabled':1}");
	assert_int_equal(r->table->item_count, -3);
	assert_true(r->table->creation_time == 0);
	assert_false(r->table->deletion_protection);
	dyntable_result_free(r);
	r = describe_text("{'DeletionProtectionEnabled':true}");
	assert_true(r->table->deletion_protection);
	dyntable_result_free(r);
}

static void
test_stream_and_strings(void **state)
{
	dyntable_result *r;

	/* The view type only when the stream is enabled. */
	r = describe_text("{'StreamSpecification':{'StreamEnabled':false,"
	    "'StreamViewType':'NEW_IMAGE'}}");
	assert_null(r->table->stream_view_type);
	dyntable_result_free(r);
	r = describe_text("{'StreamSpecification':{'StreamEnabled':true,"
	    "'StreamViewType':'KEYS_ONLY'}}");
	assert_string_equal(r->table->stream_view_type, "KEYS_ONLY");
	dyntable_result_free(r);

	/* A string of another type reads as absent; "" is a string. */
	r = describe_text("{'TableName':5,'TableStatus':'','TableArn':null,"
	    "'TableClassSummary':'STANDARD','SSEDescription':{'Status':"
	    "['ENABLED'],'SSEType':'KMS'}}");
	assert_null(r->table->name);
	assert_string_equal(r->table->status, "");
	assert_null(r->table->arn);
	assert_null(r->table->table_class);
	assert_null(r->table->sse_status);
	assert_string_equal(r->table->sse_type, "KMS");
	assert_null(r->table->kms_key_arn);
	assert_int_equal(r->table->n_gsi, 0);
	assert_null(r->table->gsi);
	dyntable_result_free(r);
}

static void
test_keys(void **state)
{
	dyntable_result *r;
	const dyntable_table *t;

	/* The first HASH and RANGE; a type from the first definition of the
	 * name that has a string type: unknown types give 0. */
	r = describe_text("{'KeySchema':[{'AttributeName':'x'},"
	    "{'AttributeName':'a','KeyType':'HASH'},{'AttributeName':'b',"
	    "'KeyType':'HASH'},{'AttributeName':'c','KeyType':'RANGE'}],"
	    "'AttributeDefinitions':[7,{'AttributeName':'a'},"
	    "{'AttributeName':'a','AttributeType':'N'},{'AttributeName':'c',"
	    "'AttributeType':'X'},{'AttributeName':'c','AttributeType':'B'}],"
	    "'LocalSecondaryIndexes':[{'IndexName':'l','IndexStatus':'ACTIVE',"
	    "'KeySchema':[{'AttributeName':'a','KeyType':'HASH'},"
	    "{'AttributeName':'d','KeyType':'RANGE'}],'Projection':"
	    "{'ProjectionType':'ALL'}},'junk'],"
	    "'GlobalSecondaryIndexes':{'not':'an array'}}");
	t = r->table;
	assert_string_equal(t->partition_key.name, "a");
	assert_int_equal(t->partition_key.type, DYNTABLE_N);
	assert_string_equal(t->sort_key.name, "c");
	assert_int_equal(t->sort_key.type, 0);
	assert_int_equal(t->n_gsi, 0);
	assert_null(t->gsi);
	assert_int_equal(t->n_lsi, 2);
	assert_string_equal(t->lsi[0].name, "l");
	assert_null(t->lsi[0].status); /* IndexStatus is a GSI's */
	assert_string_equal(t->lsi[0].projection, "ALL");
	assert_string_equal(t->lsi[0].partition_key.name, "a");
	assert_int_equal(t->lsi[0].partition_key.type, DYNTABLE_N);
	assert_string_equal(t->lsi[0].sort_key.name, "d");
	assert_int_equal(t->lsi[0].sort_key.type, 0);
	assert_null(t->lsi[1].name); /* not an object: all absent */
	assert_null(t->lsi[1].partition_key.name);
	dyntable_result_free(r);
}

/* ---- malformed table descriptions ------------------------------------------ */

/* describe_table's result for {"table": <raw value from pack>}. */
static dyntable_result *
describe_raw(void (*pack)(msgpack_packer *pk))
{
	dtp_enc e;

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 7, 1);
	dtp_pack_cstr(&e, "table");
	pack(&e.pk);
	return reply_of(&e, DYNTABLE_OP_DESCRIBE_TABLE);
}

static void
pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void
pack_array(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 0);
}

static void
pack_bad_utf8(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	pack_str(pk, "TableStatus", 11);
	pack_str(pk, "ACTIVE", 6);
	pack_str(pk, "TableName", 9);
	pack_str(pk, "\xc3\x28", 2);
}

static void
pack_dup_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	pack_str(pk, "TableName", 9);
	pack_str(pk, "a", 1);
	pack_str(pk, "TableName", 9);
	pack_str(pk, "b", 1);
}

static void
pack_nul(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "KeySchema", 9);
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "AttributeName", 13);
	pack_str(pk, "a\0b", 3);
}

static void
expect_protocol(void (*pack)(msgpack_packer *pk), const char *message)
{
	dyntable_result *r = describe_raw(pack);

	assert_int_equal(r->status, DYNTABLE_ERR_PROTOCOL);
	assert_null(r->table);
	assert_string_equal(r->message, message);
	dyntable_result_free(r);
}

static void
test_malformed(void **state)
{
	dyntable_result *r;
	dtp_enc e;

	expect_protocol(pack_array, "reply without a table description");
	expect_protocol(pack_bad_utf8,
	    "bad table description: TableName: not valid UTF-8");
	expect_protocol(pack_dup_key,
	    "bad table description: TableName: duplicate key");
	expect_protocol(pack_nul, "bad table description: "
	    "KeySchema[0].AttributeName: holds a NUL byte");

	/* No "table" at all. */
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 7, 0);
	r = reply_of(&e, DYNTABLE_OP_CREATE_TABLE);
	assert_int_equal(r->status, DYNTABLE_ERR_PROTOCOL);
	assert_string_equal(r->message, "reply without a table description");
	dyntable_result_free(r);

	/* An error reply carries no table. */
	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 7, DTP_E_NOT_FOUND, "ResourceNotFoundException",
	    "no such table");
	r = reply_of(&e, DYNTABLE_OP_DESCRIBE_TABLE);
	assert_int_equal(r->status, DYNTABLE_ERR_NOT_FOUND);
	assert_string_equal(r->message, "no such table");
	assert_string_equal(r->aws_type, "ResourceNotFoundException");
	assert_null(r->table);
	dyntable_result_free(r);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_describe),
		cmocka_unit_test(test_billing_inferred),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_stream_and_strings),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_malformed),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_result DIR\n");
		return 2;
	}
	data_dir = argv[1];
	return cmocka_run_group_tests_name("unit.result", tests, NULL, NULL);
}
