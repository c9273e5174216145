/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dyntable_model_from_json(): a model file (docs/MODEL.md)
 * into a dyntable_model, and its errors naming the member. The model's own
 * rules are tested end to end (test_create.c); here, the file's shape and
 * that the result feeds dyntable_model_json().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dyntable.h"

/* docs/MODEL.md's example. */
static const char users[] =
    "{\"table\": \"users\",\n"
    " \"attributes\": {\"pk\": \"S\", \"sk\": \"number\", \"email\": \"S\","
    " \"created\": \"N\", \"name\": \"S\"},\n"
    " \"partition_key\": \"pk\", \"sort_key\": \"sk\",\n"
    " \"indexes\": [\n"
    "  {\"name\": \"by-email\", \"type\": \"global\", \"partition_key\":"
    " \"email\", \"sort_key\": \"created\", \"projection\": \"ALL\","
    " \"read_capacity\": 2},\n"
    "  {\"name\": \"by-created\", \"type\": \"local\", \"sort_key\":"
    " \"created\", \"projection\": [\"email\", \"name\"]}]}";

static void
test_example(void **state)
{
	const dyntable_table_options prov = {
		.billing_mode = DYNTABLE_PROVISIONED,
	};
	dyntable_model *m = NULL;
	char err[256] = "x", *json = NULL;

	(void)state;
	assert_int_equal(dyntable_model_from_json(users, NULL, &m, err,
	    sizeof err), DYNTABLE_OK);
	assert_string_equal(err, "");
	assert_non_null(m);
	assert_string_equal(m->table_name, "users");
	assert_int_equal(m->n_attrs, 5);
	assert_string_equal(m->attrs[0].name, "pk");
	assert_int_equal(m->attrs[0].flags, DYNTABLE_MODEL_PARTITION_KEY);
	assert_int_equal(m->attrs[1].type, DYNTABLE_N);
	assert_int_equal(m->attrs[1].flags, DYNTABLE_MODEL_SORT_KEY);
	assert_int_equal(m->n_indexes, 2);
	assert_false(m->indexes[0].local);
	assert_string_equal(m->indexes[0].partition_keys[0], "email");
	assert_string_equal(m->indexes[0].sort_keys[0], "created");
	assert_null(m->indexes[0].partition_keys[1]);
	assert_int_equal(m->indexes[0].read_capacity, 2);
	assert_true(m->indexes[1].local);
	assert_int_equal(m->indexes[1].projection,
	    DYNTABLE_PROJECTION_INCLUDE);
	assert_int_equal(m->indexes[1].n_non_key_attributes, 2);
	assert_string_equal(m->indexes[1].non_key_attributes[1], "name");

	/* It is a model like any other (its GSI capacity: PROVISIONED). */
	assert_int_equal(dyntable_model_json(m, &prov, &json, err, sizeof err),
	    DYNTABLE_OK);
	assert_non_null(strstr(json, "\"TableName\":\"users\""));
	assert_non_null(strstr(json, "\"IndexName\":\"by-created\""));
	free(json);
	dyntable_model_free(m);
}

static void
test_table_name(void **state)
{
	static const char nameless[] =
	    "{\"attributes\": {\"a\": \"B\"}, \"partition_key\": \"a\"}";
	dyntable_model *m = NULL;
	char err[256];

	(void)state;
	/* The caller's name replaces the file's, or stands for a missing one. */
	assert_int_equal(dyntable_model_from_json(users, "users-ci", &m, err,
	    sizeof err), DYNTABLE_OK);
	assert_string_equal(m->table_name, "users-ci");
	dyntable_model_free(m);
	assert_int_equal(dyntable_model_from_json(nameless, "t1", &m, err,
	    sizeof err), DYNTABLE_OK);
	assert_string_equal(m->table_name, "t1");
	assert_int_equal(m->attrs[0].type, DYNTABLE_B);
	assert_null(m->indexes);
	dyntable_model_free(m);

	m = (dyntable_model *)1;
	assert_int_equal(dyntable_model_from_json(nameless, NULL, &m, err,
	    sizeof err), DYNTABLE_ERR_INVALID);
	assert_null(m);
	assert_string_equal(err, "table: required");
	dyntable_model_free(NULL);
}

/* text is refused with a message that starts with want. */
static void
refused(const char *text, const char *want)
{
	dyntable_model *m = NULL;
	char err[256] = "";

	assert_int_equal(dyntable_model_from_json(text, "t", &m, err,
	    sizeof err), DYNTABLE_ERR_INVALID);
	assert_null(m);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", err, want);
}

static void
test_errors(void **state)
{
	(void)state;
	refused("{\"attributes\": ", "line 1, column 15: ");
	refused("{\"a\": 1, \"a\": 2}", "line 1, column ");
	refused("[]", "top level: want a JSON object");
	refused("{\"attributes\": {\"pk\": \"S\"}, \"partition_key\": \"pk\", "
	    "\"sortkey\": \"sk\"}", "sortkey: unknown key");
	refused("{\"table\": 1}", "table: want a string");
	refused("{\"partition_key\": \"a\"}", "attributes: required");
	refused("{\"attributes\": {\"a\": \"BOOL\"}, \"partition_key\": \"a\"}",
	    "attributes.a: want");
	refused("{\"attributes\": {\"a\": \"S\"}}", "partition_key: required");
	refused("{\"attributes\": {\"a\": \"S\"}, \"partition_key\": \"z\"}",
	    "partition_key: \"z\" is not in attributes");
	refused("{\"attributes\": {\"a\": \"S\"}, \"partition_key\": \"a\", "
	    "\"indexes\": {}}", "indexes: want a list");
	refused("{\"attributes\": {\"a\": \"S\"}, \"partition_key\": \"a\", "
	    "\"indexes\": [{\"name\": \"i\", \"type\": \"globl\", "
	    "\"partition_key\": \"a\"}]}", "indexes[0].type: required");
	refused("{\"attributes\": {\"a\": \"S\"}, \"partition_key\": \"a\", "
	    "\"indexes\": [{\"name\": \"i\", \"type\": \"global\", "
	    "\"partition_key\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}]}",
	    "indexes[0].partition_key: want an attribute name or a list");
	refused("{\"attributes\": {\"a\": \"S\"}, \"partition_key\": \"a\", "
	    "\"indexes\": [{\"name\": \"i\", \"type\": \"local\", "
	    "\"sort_key\": [\"a\", \"a\"]}]}",
	    "indexes[0].sort_key: want an attribute name");
	refused("{\"attributes\": {\"a\": \"S\"}, \"partition_key\": \"a\", "
	    "\"indexes\": [{\"name\": \"i\", \"type\": \"global\", "
	    "\"partition_key\": \"a\", \"projection\": \"SOME\"}]}",
	    "indexes[0].projection: want");
	refused("{\"attributes\": {\"a\": \"S\"}, \"partition_key\": \"a\", "
	    "\"indexes\": [{\"name\": \"i\", \"type\": \"global\", "
	    "\"partition_key\": \"a\", \"read_capacity\": 0}]}",
	    "indexes[0].read_capacity: want a whole number");
}

static void
test_null_arguments(void **state)
{
	dyntable_model *m = NULL;
	char err[64];

	(void)state;
	assert_int_equal(dyntable_model_from_json(NULL, NULL, &m, err,
	    sizeof err), DYNTABLE_ERR_INVALID);
	assert_string_equal(err, "json is NULL");
	assert_int_equal(dyntable_model_from_json(users, NULL, NULL, NULL, 0),
	    DYNTABLE_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_table_name),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_null_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
