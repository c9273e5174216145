/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json: the daemon's DynamoDB JSON handling.
 *
 * The input is JSON text: a DynamoDB answer (upstream.c parses those with
 * json_loadb) or a CreateTableInput (which a client sends as a msgpack
 * map). Whatever parses goes through
 *   - dtp_pack_json -> dtp_decode_request/reply -> dtp_to_json, packed the
 *     way a client packs "table" and the way conn.c packs a result: the
 *     JSON that comes back must equal the JSON that went in, and the only
 *     refusals allowed are the depth limits (DTP_DEPTH_MAX);
 *   - ddb_check_create (daemon/ddb.c): never crashes, explains every
 *     refusal, and a definition it accepts (and completes) is accepted
 *     again unchanged;
 *   - ddb_table_status / ddb_table_active on the document, its "Table"
 *     (DescribeTable) and its "TableDescription" (CreateTable,
 *     DeleteTable): "active" implies TableStatus ACTIVE.
 */
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "dtp.h"
#include "dtp_json.h"
#include "ddb.h"
#include "fuzz.h"

/* Inputs up to this size always fit in a frame once packed: msgpack is
 * at most 2.25 times the JSON text ("1e1," becomes a 9-byte float64). */
#define FUZZ_FIT_MAX (1u << 20)

/* Containers nested in j: 0 for a scalar, 1 for [] or {"a": 1}. */
static unsigned
jdepth(const json_t *j)
{
	unsigned d = 0, sub;
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v)
			if ((sub = jdepth(v)) > d)
				d = sub;
		return d + 1;
	}
	if (json_is_array(j)) {
		json_array_foreach((json_t *)j, i, v)
			if ((sub = jdepth(v)) > d)
				d = sub;
		return d + 1;
	}
	return 0;
}

/* Finishes e and decodes the frame as a request (or a reply). Returns
 * the decoder's verdict; m must be freed. */
static dtp_decode_rc
finish_decode(dtp_enc *e, bool reply, dtp_msg *m, char **frame)
{
	char err[160];
	size_t len = 0;
	uint32_t plen = 0;

	FUZZ_CHECK(dtp_enc_finish(e, frame, &len) == 0);
	FUZZ_CHECK(dtp_frame_check(*frame, len, 0, &plen) == DTP_FRAME_OK);
	FUZZ_CHECK((size_t)plen + DTP_HEADER_LEN == len);
	return reply ? dtp_decode_reply(*frame + DTP_HEADER_LEN, plen, m, err,
	    sizeof(err)) : dtp_decode_request(*frame + DTP_HEADER_LEN, plen, m,
	    err, sizeof(err));
}

/* o must convert back to exactly j. */
static void
check_same(const json_t *j, const msgpack_object *o)
{
	char err[160];
	json_t *back = dtp_to_json(o, err, sizeof(err));

	FUZZ_CHECK(back != NULL);
	FUZZ_CHECK(json_equal(j, back));
	json_decref(back);
}

/* As a client sends it: {"id": 1, "op": "create_table",
 * "args": {"table": j}}: two containers above j. */
static void
roundtrip_request(const json_t *j, unsigned depth, bool fits)
{
	dtp_enc e;
	dtp_msg m;
	char *frame = NULL;
	int rc;

	if (!fits)
		return;
	dtp_enc_init(&e);
	dtp_enc_request(&e, 1, DTP_OP_CREATE_TABLE, 1);
	dtp_pack_cstr(&e, "table");
	rc = dtp_pack_json(&e, j);
	/* dtp_pack_json takes up to DTP_DEPTH_MAX levels of its own */
	FUZZ_CHECK((rc == 0) == (depth <= DTP_DEPTH_MAX));
	if (rc != 0) {
		FUZZ_CHECK(e.failed);
		dtp_enc_free(&e);
		return;
	}
	/* the decoder refuses only what is nested too deep */
	if (finish_decode(&e, false, &m, &frame) == DTP_DECODE_OK) {
		FUZZ_CHECK(depth + 2 <= DTP_DEPTH_MAX);
		FUZZ_CHECK(m.op == DTP_OP_CREATE_TABLE);
		check_same(j, dtp_map_get(m.args, "table"));
	} else {
		FUZZ_CHECK(depth + 2 > DTP_DEPTH_MAX);
	}
	dtp_msg_free(&m);
	dtp_enc_free(&e);
	free(frame);
}

/* As conn.c answers a result object: each member packed under the
 * result map, one container above j's members. */
static void
roundtrip_reply(const json_t *j, unsigned depth, bool fits)
{
	const char *key;
	json_t *v;
	dtp_enc e;
	dtp_msg m;
	char *frame = NULL;
	int rc = 0;

	if (!json_is_object(j) || !fits)
		return;
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 7, (uint32_t)json_object_size(j));
	json_object_foreach((json_t *)j, key, v) {
		dtp_pack_cstr(&e, key);
		if ((rc = dtp_pack_json(&e, v)) != 0)
			break;
	}
	FUZZ_CHECK((rc == 0) == (depth <= DTP_DEPTH_MAX + 1));
	if (rc != 0) {
		dtp_enc_free(&e);
		return;
	}
	if (finish_decode(&e, true, &m, &frame) == DTP_DECODE_OK) {
		FUZZ_CHECK(depth + 1 <= DTP_DEPTH_MAX);
		FUZZ_CHECK(m.id == 7 && m.ok);
		check_same(j, m.result);
	} else {
		FUZZ_CHECK(depth + 1 > DTP_DEPTH_MAX);
	}
	dtp_msg_free(&m);
	dtp_enc_free(&e);
	free(frame);
}

/* ddb_check_create on a copy (it completes its input in place). */
static void
check_create(const json_t *j)
{
	json_t *in = json_deep_copy(j), *again;
	const char *billing, *name;
	char err[256];
	int rc;

	if (in == NULL)
		return; /* out of memory */
	memset(err, 'X', sizeof(err)); /* no NUL: an unwritten err shows */
	rc = ddb_check_create(in, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(err[0] != '\0');
		json_decref(in);
		return;
	}
	FUZZ_CHECK(json_is_object(in));
	name = json_string_value(json_object_get(in, "TableName"));
	FUZZ_CHECK(name != NULL && ddb_valid_name(name, strlen(name)));
	billing = json_string_value(json_object_get(in, "BillingMode"));
	FUZZ_CHECK(billing != NULL && (strcmp(billing, "PAY_PER_REQUEST") == 0 ||
	    strcmp(billing, "PROVISIONED") == 0));
	/* what was accepted and completed is accepted again, as it is */
	again = json_deep_copy(in);
	if (again != NULL) {
		FUZZ_CHECK(ddb_check_create(again, err, sizeof(err)) == 0);
		FUZZ_CHECK(json_equal(again, in));
		json_decref(again);
	}
	json_decref(in);
}

static void
check_status(const json_t *desc)
{
	const char *st = ddb_table_status(desc);

	if (ddb_table_active(desc))
		FUZZ_CHECK(st != NULL && strcmp(st, "ACTIVE") == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *j;
	unsigned depth;
	bool fits = size <= FUZZ_FIT_MAX;
	const char *type;

	j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		return 0;
	depth = jdepth(j);
	roundtrip_request(j, depth, fits);
	roundtrip_reply(j, depth, fits);
	check_create(j);
	check_status(j);
	check_status(json_object_get(j, "Table"));
	check_status(json_object_get(j, "TableDescription"));
	type = json_string_value(json_object_get(j, "__type"));
	FUZZ_CHECK(ddb_error_code(type) != DTP_OK);
	json_decref(j);
	return 0;
}
