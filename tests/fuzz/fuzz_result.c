/* SPDX-License-Identifier: MIT */
/*
 * fuzz_result: libdyntable's reply-to-result parsing (client/lib/result.c).
 *
 * dtc_result_reply() needs no socket: it takes a decoded reply. The input
 * is a reply payload (no frame header), decoded with dtp_decode_reply as
 * client.c does, then turned into a result for every operation, as if it
 * answered each. The message is freed before the result is looked at,
 * and every string the result exposes is read to its end, so that the
 * sanitizers see a dangling or unterminated one. Properties
 * (client_internal.h, dyntable.h): the result answers the op it was asked
 * for; an error reply gives an error status with a message; an ok reply
 * gives DYNTABLE_OK or, when its content does not fit the op,
 * DYNTABLE_ERR_PROTOCOL with a message; dyntable_table_json() is the
 * description as a JSON object, the same string on every call, and the
 * parsed name, status, ARN and index counts say what it says.
 */
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "client_internal.h"
#include "dtp.h"
#include "fuzz.h"

/* Reads s to its terminating NUL (NULL is fine); returns its length. */
static size_t
touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void
touch_attr(const dyntable_attr *a)
{
	touch(a->name);
}

static void
touch_index(const dyntable_index *x)
{
	touch(x->name);
	touch(x->status);
	touch(x->projection);
	touch_attr(&x->partition_key);
	touch_attr(&x->sort_key);
}

/* True when s is what the JSON value v says: its string, NULL for none. */
static bool
str_agrees(const char *s, const json_t *v)
{
	if (!json_is_string(v))
		return s == NULL;
	return s != NULL && strlen(s) == json_string_length(v) &&
	    memcmp(s, json_string_value(v), strlen(s)) == 0;
}

static void
touch_table(const dyntable_table *t)
{
	json_error_t jerr;
	const char *text;
	json_t *j;

	touch(t->name);
	touch(t->status);
	touch(t->arn);
	touch(t->billing_mode);
	touch(t->table_class);
	touch_attr(&t->partition_key);
	touch_attr(&t->sort_key);
	for (size_t i = 0; i < t->n_gsi; i++)
		touch_index(&t->gsi[i]);
	for (size_t i = 0; i < t->n_lsi; i++)
		touch_index(&t->lsi[i]);
	text = dyntable_table_json(t);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(dyntable_table_json(t) == text); /* built once */
	j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(json_is_object(j));
	/* The parsed fields agree with the description. */
	FUZZ_CHECK(str_agrees(t->name, json_object_get(j, "TableName")));
	FUZZ_CHECK(str_agrees(t->status, json_object_get(j, "TableStatus")));
	FUZZ_CHECK(str_agrees(t->arn, json_object_get(j, "TableArn")));
	FUZZ_CHECK(t->n_gsi == json_array_size(json_object_get(j,
	    "GlobalSecondaryIndexes")));
	FUZZ_CHECK(t->n_lsi == json_array_size(json_object_get(j,
	    "LocalSecondaryIndexes")));
	json_decref(j);
}

/* r answers op with a reply that was ok (or an error reply). */
static void
check_result(dyntable_op op, bool ok, const dyntable_result *r)
{
	FUZZ_CHECK(r->op == op);
	touch(r->message);
	touch(r->aws_type);
	touch(r->table_status);
	if (r->table != NULL)
		touch_table(r->table);
	for (size_t i = 0; i < r->n_tables; i++)
		touch(r->tables[i]);
	if (!ok) {
		FUZZ_CHECK(r->status != DYNTABLE_OK && r->message != NULL);
		FUZZ_CHECK(r->table == NULL && r->n_tables == 0);
		return;
	}
	FUZZ_CHECK(r->status == DYNTABLE_OK ||
	    r->status == DYNTABLE_ERR_PROTOCOL);
	if (r->status != DYNTABLE_OK) {
		FUZZ_CHECK(r->message != NULL);
		return;
	}
	switch (op) {
	case DYNTABLE_OP_CREATE_TABLE:
	case DYNTABLE_OP_DESCRIBE_TABLE:
	case DYNTABLE_OP_DELETE_TABLE:
	case DYNTABLE_OP_WAIT_TABLE_ACTIVE:
		FUZZ_CHECK(r->table != NULL);
		break;
	case DYNTABLE_OP_LIST_TABLES:
		FUZZ_CHECK(r->n_tables == 0 || r->tables != NULL);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];

	for (int op = DYNTABLE_OP_CREATE_TABLE;
	    op <= DYNTABLE_OP_WAIT_TABLE_DELETED; op++) {
		dyntable_result *r;
		dtp_msg m;
		bool ok;

		/* Decoded afresh for each op: a table's result takes the
		 * message's objects over. */
		if (dtp_decode_reply(data, size, &m, err, sizeof(err)) !=
		    DTP_DECODE_OK) {
			dtp_msg_free(&m);
			break;
		}
		ok = m.ok;
		r = dtc_result_reply((dyntable_op)op, &m);
		/* The result must not need the message any more. */
		dtp_msg_free(&m);
		if (r == NULL)
			continue; /* out of memory */
		check_result((dyntable_op)op, ok, r);
		dyntable_result_free(r);
	}
	return 0;
}
