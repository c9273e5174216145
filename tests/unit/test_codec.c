/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the wire-protocol codec (proto/dtp.c, proto/dtp_json.c)
 * against proto/PROTOCOL.md. Run them under ASan as well: the huge array
 * header test relies on the shape check refusing before msgpack-c
 * allocates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtp.h"
#include "dtp_json.h"

/* ---- helpers ------------------------------------------------------------- */

/* A plain msgpack buffer, for payloads the encoder would never produce. */
struct pk {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void
pk_init(struct pk *p)
{
	msgpack_sbuffer_init(&p->sb);
	msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
}

static void
pk_free(struct pk *p)
{
	msgpack_sbuffer_destroy(&p->sb);
}

static void
pk_str(struct pk *p, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(&p->pk, n);
	msgpack_pack_str_body(&p->pk, s, n);
}

static void
pk_raw(struct pk *p, const void *b, size_t n)
{
	msgpack_sbuffer_write(&p->sb, b, n);
}

/* Finishes e into a frame; fails the test if the encoder refuses. */
static void
finish_ok(dtp_enc *e, char **data, size_t *len)
{
	assert_int_equal(dtp_enc_finish(e, data, len), 0);
	assert_non_null(*data);
	assert_true(*len > DTP_HEADER_LEN);
	dtp_enc_free(e);
}

/* Checks a frame's header and returns its payload length. */
static size_t
frame_payload(const char *frame, size_t len)
{
	uint32_t n = 0;

	assert_int_equal(dtp_frame_check(frame, len, DTP_FRAME_MAX, &n),
	    DTP_FRAME_OK);
	assert_int_equal((size_t)n + DTP_HEADER_LEN, len);
	return n;
}

/* Decodes a whole request frame; returns rc, err holds the reason. */
static dtp_decode_rc
decode_req_frame(const char *frame, size_t len, dtp_msg *m, char *err,
    size_t errlen)
{
	size_t n = frame_payload(frame, len);

	return dtp_decode_request(frame + DTP_HEADER_LEN, n, m, err, errlen);
}

static dtp_decode_rc
decode_rep_frame(const char *frame, size_t len, dtp_msg *m, char *err,
    size_t errlen)
{
	size_t n = frame_payload(frame, len);

	return dtp_decode_reply(frame + DTP_HEADER_LEN, n, m, err, errlen);
}

/* Asserts that err contains part. */
static void
assert_has(const char *err, const char *part)
{
	if (strstr(err, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", err, part);
}

/* Decodes payload as a request, expecting rc and an error containing why. */
static void
expect_req(const void *payload, size_t len, dtp_decode_rc want,
    const char *why)
{
	dtp_msg m;
	char err[128];
	dtp_decode_rc rc = dtp_decode_request(payload, len, &m, err,
	    sizeof(err));

	if (rc != want)
		fail_msg("rc %d, want %d (%s)", (int)rc, (int)want, err);
	if (why != NULL)
		assert_has(err, why);
	if (want == DTP_DECODE_BAD_FRAME)
		assert_int_equal(m.id, 0);
	dtp_msg_free(&m);
}

static void
expect_rep(const void *payload, size_t len, dtp_decode_rc want,
    const char *why)
{
	dtp_msg m;
	char err[128];
	dtp_decode_rc rc = dtp_decode_reply(payload, len, &m, err,
	    sizeof(err));

	if (rc != want)
		fail_msg("rc %d, want %d (%s)", (int)rc, (int)want, err);
	if (why != NULL)
		assert_has(err, why);
	dtp_msg_free(&m);
}

/*
 * to_json(), checking on the way that dtp_json_check() agrees: the
 * same verdict, the same reason. Every conversion below goes through it.
 */
static json_t *
to_json(const msgpack_object *o, char *err, size_t errlen)
{
	char why[256];
	bool ok;
	json_t *j;

	assert_true(errlen <= sizeof(why));
	ok = dtp_json_check(o, why, errlen);
	j = dtp_to_json(o, err, errlen);
	assert_int_equal(ok, j != NULL);
	if (!ok && errlen > 0)
		assert_string_equal(why, err);
	return j;
}

/* Deterministic PRNG (xorshift64*), so fuzz failures reproduce. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* ---- names --------------------------------------------------------------- */

static void
test_names(void **state)
{
	/* Wire names clients depend on (the whole list is PROTOCOL.md's,
	 * checked by unit.protocol_doc); they must never change. */
	static const char *const ops[] = { "hello", "create_table",
		"describe_table", "table_exists", "list_tables", "delete_table",
		"wait_table_active", "wait_table_deleted", "status", "reap" };
	static const char *const errs[] = { "PROTOCOL", "VERSION", "INVALID",
		"NOT_FOUND", "IN_USE", "TIMEOUT", "AWS", "UPSTREAM",
		"CREDENTIALS", "LIMIT", "SHUTDOWN", "DENIED", "INTERNAL" };
	dtp_op op;

	assert_true(sizeof(ops) / sizeof(ops[0]) <= DTP_OP_COUNT);
	for (unsigned i = 0; i < DTP_OP_COUNT; i++) {
		const char *name = dtp_op_name((dtp_op)i);

		if (i < sizeof(ops) / sizeof(ops[0]))
			assert_string_equal(name, ops[i]);
		op = DTP_OP_COUNT;
		assert_true(dtp_op_lookup(name, strlen(name), &op));
		assert_int_equal(op, i);
	}
	assert_string_equal(dtp_op_name(DTP_OP_COUNT), "?");
	assert_string_equal(dtp_op_name((dtp_op)-1), "?");
	assert_false(dtp_op_lookup("hell", 4, &op));
	assert_false(dtp_op_lookup("hello2", 6, &op));
	assert_false(dtp_op_lookup("hello", 4, &op));
	assert_false(dtp_op_lookup("HELLO", 5, &op));
	assert_false(dtp_op_lookup("", 0, &op));
	assert_false(dtp_op_lookup(NULL, 0, &op));
	/* not NUL-terminated input */
	assert_true(dtp_op_lookup("list_tablesXYZ", 11, &op));
	assert_int_equal(op, DTP_OP_LIST_TABLES);

	for (unsigned i = 1; i < DTP_E_COUNT; i++)
		assert_string_equal(dtp_err_name((dtp_err)i), errs[i - 1]);
	assert_int_equal(DTP_E_INTERNAL, 13);
	assert_string_equal(dtp_err_name(DTP_E_COUNT), "?");
	assert_string_equal(dtp_err_name((dtp_err)99), "?");
}

/* ---- framing ------------------------------------------------------------- */

static void
test_frame_check(void **state)
{
	unsigned char h[8] = { 0, 0, 0, 5, 1, 2, 3, 4 };
	uint32_t n = 77;

	assert_int_equal(dtp_frame_check(h, 0, 1024, &n), DTP_FRAME_MORE);
	assert_int_equal(dtp_frame_check(h, 3, 1024, &n), DTP_FRAME_MORE);
	assert_int_equal(n, 77);
	assert_int_equal(dtp_frame_check(h, 4, 1024, &n), DTP_FRAME_OK);
	assert_int_equal(n, 5);
	assert_int_equal(dtp_frame_check(h, 8, 5, &n), DTP_FRAME_OK);
	assert_int_equal(dtp_frame_check(h, 8, 4, &n), DTP_FRAME_BADLEN);

	/* big-endian: 0x00010203 */
	h[0] = 0; h[1] = 1; h[2] = 2; h[3] = 3;
	assert_int_equal(dtp_frame_check(h, 4, DTP_FRAME_MAX, &n),
	    DTP_FRAME_OK);
	assert_int_equal(n, 0x00010203);

	/* length 0 */
	memset(h, 0, 4);
	assert_int_equal(dtp_frame_check(h, 4, 1024, &n), DTP_FRAME_BADLEN);

	/* above the receiver's limit, and above the protocol limit whatever
	 * the receiver says */
	h[0] = 0; h[1] = 0x10; h[2] = 0; h[3] = 1; /* 1 MiB + 1 */
	assert_int_equal(dtp_frame_check(h, 4, 1u << 20, &n),
	    DTP_FRAME_BADLEN);
	assert_int_equal(dtp_frame_check(h, 4, (1u << 20) + 1, &n),
	    DTP_FRAME_OK);
	h[0] = 0; h[1] = 0x40; h[2] = 0; h[3] = 0; /* exactly 4 MiB */
	assert_int_equal(dtp_frame_check(h, 4, UINT32_MAX, &n), DTP_FRAME_OK);
	assert_int_equal(n, DTP_FRAME_MAX);
	h[3] = 1; /* 4 MiB + 1 */
	assert_int_equal(dtp_frame_check(h, 4, UINT32_MAX, &n),
	    DTP_FRAME_BADLEN);
	memset(h, 0xff, 4);
	assert_int_equal(dtp_frame_check(h, 4, UINT32_MAX, &n),
	    DTP_FRAME_BADLEN);
	assert_int_equal(dtp_frame_check(h, 4, 0, &n), DTP_FRAME_BADLEN);
}

/* ---- encoding: exact bytes ----------------------------------------------- */

static void
test_wire_bytes(void **state)
{
	static const unsigned char want_req[] = {
		0, 0, 0, 23,
		0x83,
		0xa2, 'i', 'd', 0x07,
		0xa2, 'o', 'p', 0xa5, 'h', 'e', 'l', 'l', 'o',
		0xa4, 'a', 'r', 'g', 's', 0x81,
		0xa1, 'x', 0xc3,
	};
	static const unsigned char want_err[] = {
		0, 0, 0, 47,
		0x83,
		0xa2, 'i', 'd', 0x00,
		0xa2, 'o', 'k', 0xc2,
		0xa5, 'e', 'r', 'r', 'o', 'r', 0x83,
		0xa4, 'c', 'o', 'd', 'e', 0x01,
		0xa4, 'n', 'a', 'm', 'e',
		0xa8, 'P', 'R', 'O', 'T', 'O', 'C', 'O', 'L',
		0xa7, 'm', 'e', 's', 's', 'a', 'g', 'e', 0xa2, 'n', 'o',
	};
	dtp_enc e;
	char *data;
	size_t len;

	dtp_enc_init(&e);
	dtp_enc_request(&e, 7, DTP_OP_HELLO, 1);
	dtp_pack_kv_bool(&e, "x", true);
	finish_ok(&e, &data, &len);
	assert_int_equal(len, sizeof(want_req));
	assert_memory_equal(data, want_req, len);
	free(data);

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 0, DTP_E_PROTOCOL, NULL, "no");
	finish_ok(&e, &data, &len);
	assert_int_equal(len, sizeof(want_err));
	assert_memory_equal(data, want_err, len);
	free(data);
}

/* ---- round trips --------------------------------------------------------- */

static void
test_request_roundtrip(void **state)
{
	for (unsigned op = 0; op < DTP_OP_COUNT; op++) {
		dtp_enc e;
		dtp_msg m;
		char *data, err[128];
		size_t len;
		uint32_t id = op == 0 ? UINT32_MAX : 1000 + op;
		uint64_t u;
		bool b;

		dtp_enc_init(&e);
		dtp_enc_request(&e, id, (dtp_op)op, 4);
		dtp_pack_kv_str(&e, "name", "orders");
		dtp_pack_kv_uint(&e, "timeout_ms", 60000);
		dtp_pack_kv_bool(&e, "wait", op % 2 == 0);
		dtp_pack_cstr(&e, "table");
		msgpack_pack_map(&e.pk, 1);
		dtp_pack_kv_str(&e, "TableName", "orders");
		finish_ok(&e, &data, &len);

		assert_int_equal(decode_req_frame(data, len, &m, err,
		    sizeof(err)), DTP_DECODE_OK);
		assert_int_equal(m.id, id);
		assert_int_equal(m.op, op);
		assert_non_null(m.args);
		assert_int_equal(m.args->type, MSGPACK_OBJECT_MAP);
		assert_true(dtp_str_eq(dtp_map_get(m.args, "name"), "orders"));
		assert_true(dtp_get_uint(dtp_map_get(m.args, "timeout_ms"),
		    &u));
		assert_int_equal(u, 60000);
		assert_true(dtp_get_bool(dtp_map_get(m.args, "wait"), &b));
		assert_int_equal(b, op % 2 == 0);
		assert_true(dtp_str_eq(dtp_map_get(dtp_map_get(m.args,
		    "table"), "TableName"), "orders"));
		assert_null(m.result);
		assert_null(m.error);
		dtp_msg_free(&m);
		free(data);
	}
}

/* A request whose args are omitted (allowed when empty). */
static void
test_request_no_args(void **state)
{
	struct pk p;
	dtp_msg m;
	char err[128];

	pk_init(&p);
	msgpack_pack_map(&p.pk, 2);
	pk_str(&p, "op");
	pk_str(&p, "list_tables");
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 3);
	assert_int_equal(dtp_decode_request(p.sb.data, p.sb.size, &m, err,
	    sizeof(err)), DTP_DECODE_OK);
	assert_int_equal(m.id, 3);
	assert_int_equal(m.op, DTP_OP_LIST_TABLES);
	assert_null(m.args);
	dtp_msg_free(&m);
	pk_free(&p);
}

static void
test_reply_ok_roundtrip(void **state)
{
	dtp_enc e;
	dtp_msg m;
	char *data, err[128];
	size_t len;
	const msgpack_object *t;

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 42, 2);
	dtp_pack_cstr(&e, "tables");
	msgpack_pack_array(&e.pk, 3);
	dtp_pack_cstr(&e, "a");
	dtp_pack_cstr(&e, "b");
	dtp_pack_cstr(&e, "");
	dtp_pack_kv_bool(&e, "exists", false);
	finish_ok(&e, &data, &len);

	assert_int_equal(decode_rep_frame(data, len, &m, err, sizeof(err)),
	    DTP_DECODE_OK);
	assert_int_equal(m.id, 42);
	assert_true(m.ok);
	assert_non_null(m.result);
	assert_null(m.error);
	t = dtp_map_get(m.result, "tables");
	assert_non_null(t);
	assert_int_equal(t->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(t->via.array.size, 3);
	assert_true(dtp_str_eq(&t->via.array.ptr[1], "b"));
	assert_true(dtp_str_eq(&t->via.array.ptr[2], ""));
	dtp_msg_free(&m);
	free(data);

	/* empty result (wait_table_deleted) */
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 9, 0);
	finish_ok(&e, &data, &len);
	assert_int_equal(decode_rep_frame(data, len, &m, err, sizeof(err)),
	    DTP_DECODE_OK);
	assert_true(m.ok);
	assert_int_equal(m.result->via.map.size, 0);
	dtp_msg_free(&m);
	free(data);
}

static void
test_reply_error_roundtrip(void **state)
{
	for (unsigned code = 1; code < DTP_E_COUNT; code++) {
		for (int aws = 0; aws < 2; aws++) {
			dtp_enc e;
			dtp_msg m;
			char *data, err[128], buf[64];
			size_t len;
			uint64_t u;

			dtp_enc_init(&e);
			dtp_enc_reply_error(&e, code * 10, (dtp_err)code,
			    aws ? "ResourceNotFoundException" : NULL,
			    "table orders: not found");
			finish_ok(&e, &data, &len);
			assert_int_equal(decode_rep_frame(data, len, &m, err,
			    sizeof(err)), DTP_DECODE_OK);
			assert_int_equal(m.id, code * 10);
			assert_false(m.ok);
			assert_null(m.result);
			assert_non_null(m.error);
			assert_int_equal(m.err_code, code);
			assert_true(dtp_get_uint(dtp_map_get(m.error, "code"),
			    &u));
			assert_int_equal(u, code);
			assert_true(dtp_strcpy(dtp_map_get(m.error, "name"),
			    buf, sizeof(buf)));
			assert_string_equal(buf, dtp_err_name((dtp_err)code));
			assert_true(dtp_str_eq(dtp_map_get(m.error, "message"),
			    "table orders: not found"));
			if (aws)
				assert_true(dtp_str_eq(dtp_map_get(m.error,
				    "aws_type"), "ResourceNotFoundException"));
			else
				assert_null(dtp_map_get(m.error, "aws_type"));
			assert_int_equal(m.error->via.map.size, aws ? 4 : 3);
			dtp_msg_free(&m);
			free(data);
		}
	}
}

/* Replies: unknown keys ignored, unknown codes kept, defects refused. */
static void
test_reply_variants(void **state)
{
	struct pk p;
	dtp_msg m;
	char err[128];

	/* unknown error code and unknown keys (a later minor version) */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 4);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 5);
	pk_str(&p, "ok");
	msgpack_pack_false(&p.pk);
	pk_str(&p, "trace");
	pk_str(&p, "abc");
	pk_str(&p, "error");
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "code");
	msgpack_pack_uint32(&p.pk, 77);
	pk_str(&p, "message");
	pk_str(&p, "new");
	pk_str(&p, "retry_after");
	msgpack_pack_uint32(&p.pk, 3);
	assert_int_equal(dtp_decode_reply(p.sb.data, p.sb.size, &m, err,
	    sizeof(err)), DTP_DECODE_OK);
	assert_int_equal(m.err_code, 77);
	assert_false(m.ok);
	dtp_msg_free(&m);
	pk_free(&p);

	/* ok without result */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 2);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 5);
	pk_str(&p, "ok");
	msgpack_pack_true(&p.pk);
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "result");
	pk_free(&p);

	/* ok not a bool */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 5);
	pk_str(&p, "ok");
	msgpack_pack_uint32(&p.pk, 1);
	pk_str(&p, "result");
	msgpack_pack_map(&p.pk, 0);
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "ok");
	pk_free(&p);

	/* error without message */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 5);
	pk_str(&p, "ok");
	msgpack_pack_false(&p.pk);
	pk_str(&p, "error");
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "code");
	msgpack_pack_uint32(&p.pk, 3);
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "message");
	pk_free(&p);

	/* error code negative */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 5);
	pk_str(&p, "ok");
	msgpack_pack_false(&p.pk);
	pk_str(&p, "error");
	msgpack_pack_map(&p.pk, 2);
	pk_str(&p, "code");
	msgpack_pack_int32(&p.pk, -3);
	pk_str(&p, "message");
	pk_str(&p, "x");
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "code");
	pk_free(&p);

	/* id too big for a reply too */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint64(&p.pk, 1ull << 32);
	pk_str(&p, "ok");
	msgpack_pack_true(&p.pk);
	pk_str(&p, "result");
	msgpack_pack_map(&p.pk, 0);
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "id");
	pk_free(&p);

	/* a request is not a reply */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 2);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 5);
	pk_str(&p, "op");
	pk_str(&p, "hello");
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "ok");
	pk_free(&p);
}

/* ---- framing a byte at a time -------------------------------------------- */

struct expect {
	bool reply;
	uint32_t id;
	dtp_op op;	   /* requests */
	bool ok;	   /* replies */
	size_t name_len;   /* length of args.name (requests) */
};

static void
test_stream_byte_by_byte(void **state)
{
	struct expect want[6];
	char *frames[6];
	size_t lens[6], total = 0, nmsg = 0, got = 0, have = 0, off = 0;
	unsigned char *stream, *acc;
	char *big;
	dtp_enc e;

	/* a big name (70000 bytes) makes all the header bytes matter */
	big = malloc(70001);
	assert_non_null(big);
	memset(big, 'n', 70000);
	big[70000] = '\0';

	dtp_enc_init(&e);
	dtp_enc_request(&e, 1, DTP_OP_HELLO, 3);
	dtp_pack_kv_uint(&e, "major", 1);
	dtp_pack_kv_uint(&e, "minor", 0);
	dtp_pack_kv_str(&e, "client", "test");
	finish_ok(&e, &frames[nmsg], &lens[nmsg]);
	want[nmsg++] = (struct expect){ false, 1, DTP_OP_HELLO, false, 0 };

	dtp_enc_init(&e);
	dtp_enc_request(&e, 2, DTP_OP_DESCRIBE_TABLE, 1);
	dtp_pack_kv_str(&e, "name", big);
	finish_ok(&e, &frames[nmsg], &lens[nmsg]);
	want[nmsg++] = (struct expect){ false, 2, DTP_OP_DESCRIBE_TABLE, false,
		70000 };

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 2, 1);
	dtp_pack_kv_str(&e, "status", "ACTIVE");
	finish_ok(&e, &frames[nmsg], &lens[nmsg]);
	want[nmsg++] = (struct expect){ true, 2, DTP_OP_COUNT, true, 0 };

	dtp_enc_init(&e);
	dtp_enc_request(&e, 3, DTP_OP_WAIT_TABLE_DELETED, 2);
	dtp_pack_kv_str(&e, "name", "abc");
	dtp_pack_kv_uint(&e, "timeout_ms", 0);
	finish_ok(&e, &frames[nmsg], &lens[nmsg]);
	want[nmsg++] = (struct expect){ false, 3, DTP_OP_WAIT_TABLE_DELETED,
		false, 3 };

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 3, DTP_E_TIMEOUT, NULL, "deadline passed");
	finish_ok(&e, &frames[nmsg], &lens[nmsg]);
	want[nmsg++] = (struct expect){ true, 3, DTP_OP_COUNT, false, 0 };

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 0, DTP_E_PROTOCOL, NULL, "bad frame");
	finish_ok(&e, &frames[nmsg], &lens[nmsg]);
	want[nmsg++] = (struct expect){ true, 0, DTP_OP_COUNT, false, 0 };

	for (size_t i = 0; i < nmsg; i++)
		total += lens[i];
	stream = malloc(total);
	acc = malloc(total);
	assert_non_null(stream);
	assert_non_null(acc);
	for (size_t i = 0; i < nmsg; i++) {
		memcpy(stream + off, frames[i], lens[i]);
		off += lens[i];
		free(frames[i]);
	}
	free(big);

	/* what a reader does: append what arrived, then take every complete
	 * frame off the front */
	for (size_t i = 0; i < total; i++) {
		acc[have++] = stream[i];
		for (;;) {
			uint32_t plen = 0;
			dtp_frame_rc frc = dtp_frame_check(acc, have,
			    DTP_FRAME_MAX, &plen);
			dtp_msg m;
			char err[128];
			dtp_decode_rc rc;

			if (frc == DTP_FRAME_MORE) {
				assert_true(have < DTP_HEADER_LEN);
				break;
			}
			assert_int_equal(frc, DTP_FRAME_OK);
			if (have < DTP_HEADER_LEN + (size_t)plen)
				break;
			assert_true(got < nmsg);
			/* complete exactly when the last byte arrived */
			assert_int_equal(have, DTP_HEADER_LEN + (size_t)plen);
			if (want[got].reply)
				rc = dtp_decode_reply(acc + DTP_HEADER_LEN,
				    plen, &m, err, sizeof(err));
			else
				rc = dtp_decode_request(acc + DTP_HEADER_LEN,
				    plen, &m, err, sizeof(err));
			assert_int_equal(rc, DTP_DECODE_OK);
			assert_int_equal(m.id, want[got].id);
			if (want[got].reply) {
				assert_int_equal(m.ok, want[got].ok);
			} else {
				assert_int_equal(m.op, want[got].op);
				if (want[got].name_len > 0) {
					const msgpack_object *n = dtp_map_get(
					    m.args, "name");
					assert_non_null(n);
					assert_int_equal(n->via.str.size,
					    want[got].name_len);
				}
			}
			dtp_msg_free(&m);
			memmove(acc, acc + DTP_HEADER_LEN + plen,
			    have - DTP_HEADER_LEN - plen);
			have -= DTP_HEADER_LEN + plen;
			got++;
		}
	}
	assert_int_equal(got, nmsg);
	assert_int_equal(have, 0);
	free(stream);
	free(acc);
}

/* ---- malformed payloads -------------------------------------------------- */

/* A valid request payload (no header) in a pk. */
static void
valid_request(struct pk *p)
{
	pk_init(p);
	msgpack_pack_map(&p->pk, 3);
	pk_str(p, "id");
	msgpack_pack_uint32(&p->pk, 9);
	pk_str(p, "op");
	pk_str(p, "create_table");
	pk_str(p, "args");
	msgpack_pack_map(&p->pk, 2);
	pk_str(p, "wait");
	msgpack_pack_true(&p->pk);
	pk_str(p, "table");
	msgpack_pack_map(&p->pk, 2);
	pk_str(p, "TableName");
	pk_str(p, "orders");
	pk_str(p, "KeySchema");
	msgpack_pack_array(&p->pk, 1);
	msgpack_pack_map(&p->pk, 2);
	pk_str(p, "AttributeName");
	pk_str(p, "pk");
	pk_str(p, "KeyType");
	pk_str(p, "HASH");
}

static void
test_truncated(void **state)
{
	struct pk p;
	char err[128];

	valid_request(&p);
	expect_req(p.sb.data, p.sb.size, DTP_DECODE_OK, NULL);
	for (size_t n = 0; n < p.sb.size; n++) {
		assert_false(dtp_check_shape(p.sb.data, n, err, sizeof(err)));
		/* "truncated msgpack", or a count the bytes left cannot
		 * hold: either way refused */
		expect_req(p.sb.data, n, DTP_DECODE_BAD_FRAME,
		    n == 0 ? "empty" : NULL);
		expect_rep(p.sb.data, n, DTP_DECODE_BAD_FRAME, NULL);
	}
	pk_free(&p);
}

static void
test_trailing(void **state)
{
	struct pk p;
	size_t n;
	char err[128];

	valid_request(&p);
	n = p.sb.size;
	pk_raw(&p, "\xc0", 1);
	assert_false(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	assert_has(err, "1 trailing byte");
	expect_req(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "trailing");
	/* two whole messages in one payload */
	p.sb.size = n;
	{
		char *dup = malloc(n);

		assert_non_null(dup);
		memcpy(dup, p.sb.data, n);
		pk_raw(&p, dup, n);
		free(dup);
	}
	expect_req(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "trailing");
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "trailing");
	pk_free(&p);
}

static void
test_wrong_top_type(void **state)
{
	static const unsigned char arr[] = { 0x92, 0x01, 0x02 };
	static const unsigned char str[] = { 0xa2, 'i', 'd' };
	static const unsigned char num[] = { 0x07 };
	static const unsigned char nil[] = { 0xc0 };
	static const unsigned char dbl[] = { 0xcb, 0, 0, 0, 0, 0, 0, 0, 0 };

	expect_req(arr, sizeof(arr), DTP_DECODE_BAD_FRAME,
	    "frame is not a msgpack map");
	expect_req(str, sizeof(str), DTP_DECODE_BAD_FRAME, "not a msgpack map");
	expect_req(num, sizeof(num), DTP_DECODE_BAD_FRAME, "not a msgpack map");
	expect_req(nil, sizeof(nil), DTP_DECODE_BAD_FRAME, "not a msgpack map");
	expect_req(dbl, sizeof(dbl), DTP_DECODE_BAD_FRAME, "not a msgpack map");
	expect_rep(arr, sizeof(arr), DTP_DECODE_BAD_FRAME, "not a msgpack map");
	expect_req(NULL, 0, DTP_DECODE_BAD_FRAME, "empty");
}

/* Packs {"id": <id packed by kind>, "op": "hello", "args": {}}. */
static void
req_with_id(struct pk *p, int kind)
{
	pk_init(p);
	msgpack_pack_map(&p->pk, kind == 0 ? 2 : 3);
	if (kind != 0)
		pk_str(p, "id");
	switch (kind) {
	case 0: break; /* missing */
	case 1: msgpack_pack_uint32(&p->pk, 0); break;
	case 2: msgpack_pack_uint64(&p->pk, 1ull << 32); break;
	case 3: msgpack_pack_int32(&p->pk, -1); break;
	case 4: pk_str(p, "1"); break;
	case 5: msgpack_pack_double(&p->pk, 1.0); break;
	case 6: msgpack_pack_true(&p->pk); break;
	case 7: msgpack_pack_nil(&p->pk); break;
	case 8: msgpack_pack_uint64(&p->pk, UINT64_MAX); break;
	case 9: msgpack_pack_int64(&p->pk, INT64_MIN); break;
	/* valid from here on */
	case 10: msgpack_pack_uint32(&p->pk, UINT32_MAX); break;
	case 11: msgpack_pack_int8(&p->pk, 5); break; /* signed, >= 0 */
	case 12: msgpack_pack_uint64(&p->pk, 1); break;
	default: fail();
	}
	pk_str(p, "op");
	pk_str(p, "hello");
	pk_str(p, "args");
	msgpack_pack_map(&p->pk, 0);
}

static void
test_request_ids(void **state)
{
	static const uint32_t ok_ids[] = { UINT32_MAX, 5, 1 };
	struct pk p;
	dtp_msg m;
	char err[128];

	for (int kind = 0; kind < 10; kind++) {
		req_with_id(&p, kind);
		expect_req(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME,
		    kind == 0 ? "missing id" : "id is not a uint");
		pk_free(&p);
	}
	for (int kind = 10; kind < 13; kind++) {
		req_with_id(&p, kind);
		assert_int_equal(dtp_decode_request(p.sb.data, p.sb.size, &m,
		    err, sizeof(err)), DTP_DECODE_OK);
		assert_int_equal(m.id, ok_ids[kind - 10]);
		dtp_msg_free(&m);
		pk_free(&p);
	}
	/* id 0 is fine in a reply (connection error) */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 0);
	pk_str(&p, "ok");
	msgpack_pack_true(&p.pk);
	pk_str(&p, "result");
	msgpack_pack_map(&p.pk, 0);
	expect_rep(p.sb.data, p.sb.size, DTP_DECODE_OK, NULL);
	pk_free(&p);
}

/* Packs {"id": 11, "op": op, "args": <kind>, extra?}. */
static void
req_with(struct pk *p, const char *op, int args_kind, const char *extra)
{
	pk_init(p);
	msgpack_pack_map(&p->pk, 2 + (args_kind != 0) + (extra != NULL));
	pk_str(p, "id");
	msgpack_pack_uint32(&p->pk, 11);
	pk_str(p, "op");
	if (op != NULL)
		pk_str(p, op);
	else
		msgpack_pack_uint32(&p->pk, 1);
	switch (args_kind) {
	case 0: break;
	case 1: pk_str(p, "args"); msgpack_pack_map(&p->pk, 0); break;
	case 2: pk_str(p, "args"); msgpack_pack_array(&p->pk, 0); break;
	case 3: pk_str(p, "args"); pk_str(p, "x"); break;
	case 4: pk_str(p, "args"); msgpack_pack_nil(&p->pk); break;
	default: fail();
	}
	if (extra != NULL) {
		pk_str(p, extra);
		msgpack_pack_true(&p->pk);
	}
}

/* Expects BAD_MSG with the id known, so the daemon can answer under it. */
static void
expect_bad_msg(struct pk *p, const char *why)
{
	dtp_msg m;
	char err[128];

	assert_int_equal(dtp_decode_request(p->sb.data, p->sb.size, &m, err,
	    sizeof(err)), DTP_DECODE_BAD_MSG);
	assert_int_equal(m.id, 11);
	assert_has(err, why);
	dtp_msg_free(&m);
	pk_free(p);
}

static void
test_bad_msg(void **state)
{
	struct pk p;
	dtp_msg m;
	char err[128];

	req_with(&p, "foo", 1, NULL);
	assert_int_equal(dtp_decode_request(p.sb.data, p.sb.size, &m, err,
	    sizeof(err)), DTP_DECODE_BAD_MSG);
	assert_string_equal(err, "unknown op \"foo\"");
	assert_int_equal(m.id, 11);
	assert_int_equal(m.op, DTP_OP_COUNT);
	dtp_msg_free(&m);
	pk_free(&p);

	req_with(&p, "hello\x01\"x", 1, NULL);
	expect_bad_msg(&p, "unknown op \"hello??x\"");
	req_with(&p, "Hello", 1, NULL);
	expect_bad_msg(&p, "unknown op");
	req_with(&p, NULL, 1, NULL);
	expect_bad_msg(&p, "op is not a str");
	req_with(&p, "hello", 2, NULL);
	expect_bad_msg(&p, "args is not a map");
	req_with(&p, "hello", 3, NULL);
	expect_bad_msg(&p, "args is not a map");
	req_with(&p, "hello", 4, NULL);
	expect_bad_msg(&p, "args is not a map");
	req_with(&p, "hello", 1, "timeout_ms");
	expect_bad_msg(&p, "unknown key \"timeout_ms\"");
	req_with(&p, "hello", 0, "op");
	expect_bad_msg(&p, "duplicate key \"op\"");
	req_with(&p, "hello", 1, "args");
	expect_bad_msg(&p, "duplicate key \"args\"");

	/* op missing */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 11);
	expect_bad_msg(&p, "missing op");

	/* a duplicate id cannot be trusted */
	req_with(&p, "hello", 1, "id");
	expect_req(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "duplicate");
	pk_free(&p);
}

/* Nested arrays: levels containers in all, the innermost empty. */
static void
pack_nested(struct pk *p, unsigned levels)
{
	for (unsigned i = 0; i + 1 < levels; i++)
		msgpack_pack_array(&p->pk, 1);
	msgpack_pack_array(&p->pk, 0);
}

static void
test_depth(void **state)
{
	struct pk p;
	char err[128];

	/* a bare value: 32 levels accepted, 33 refused */
	pk_init(&p);
	pack_nested(&p, 32);
	assert_true(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	pk_free(&p);
	pk_init(&p);
	pack_nested(&p, 33);
	assert_false(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	assert_string_equal(err, "nesting deeper than 32");
	pk_free(&p);

	/* in a request: top map (1) + args map (2) + 30 or 31 arrays; the
	 * innermost array is not empty, so msgpack-c's own stack is used to
	 * the full depth */
	for (unsigned extra = 30; extra <= 31; extra++) {
		pk_init(&p);
		msgpack_pack_map(&p.pk, 3);
		pk_str(&p, "id");
		msgpack_pack_uint32(&p.pk, 1);
		pk_str(&p, "op");
		pk_str(&p, "hello");
		pk_str(&p, "args");
		msgpack_pack_map(&p.pk, 1);
		pk_str(&p, "x");
		for (unsigned i = 0; i < extra; i++)
			msgpack_pack_array(&p.pk, 1);
		msgpack_pack_true(&p.pk);
		if (extra == 30)
			expect_req(p.sb.data, p.sb.size, DTP_DECODE_OK, NULL);
		else
			expect_req(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME,
			    "nesting deeper than 32");
		pk_free(&p);
	}

	/* deep maps too */
	pk_init(&p);
	for (unsigned i = 0; i < 33; i++) {
		msgpack_pack_map(&p.pk, 1);
		pk_str(&p, "k");
	}
	msgpack_pack_nil(&p.pk);
	assert_false(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	assert_has(err, "nesting");
	pk_free(&p);
}

/*
 * msgpack-c issue #1013: a header claiming 2^32-1 elements must be refused
 * by the shape check, before msgpack-c allocates 2^32 objects. Under ASan
 * a miss aborts with allocation-size-too-big; without it, the decode
 * would come back NOMEM, not BAD_FRAME.
 */
static void
test_huge_counts(void **state)
{
	static const unsigned char bare_arr[] = { 0xdd, 0xff, 0xff, 0xff, 0xff,
		0x01, 0x02 };
	static const unsigned char bare_map[] = { 0xdf, 0xff, 0xff, 0xff, 0xff,
		0xa1, 'a', 0x01 };
	static const unsigned char arr16[] = { 0xdc, 0xff, 0xff, 0xc0 };
	/* {"a": [<2^32-1 items>]} */
	static const unsigned char in_map[] = { 0x81, 0xa1, 'a', 0xdd, 0xff,
		0xff, 0xff, 0xff, 0xc0 };
	/* str32 of 2^32-1 bytes */
	static const unsigned char str32[] = { 0x81, 0xa1, 'a', 0xdb, 0xff,
		0xff, 0xff, 0xff, 'x' };
	/* [[],[],[]] is fine, but an array of 3 with 2 bytes left is not,
	 * nor an inner array whose items plus the outer's owed ones exceed
	 * the bytes left */
	static const unsigned char fits[] = { 0x93, 0x90, 0x90, 0x90 };
	static const unsigned char owed[] = { 0x93, 0x92, 0xc0, 0xc0, 0xc0,
		0xc0 };
	/* {"id": 1, "op": "hello", "args": {"x": [<2^32-1 items>]}} */
	static const unsigned char req[] = { 0x83, 0xa2, 'i', 'd', 0x01,
		0xa2, 'o', 'p', 0xa5, 'h', 'e', 'l', 'l', 'o',
		0xa4, 'a', 'r', 'g', 's', 0x81, 0xa1, 'x',
		0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0 };
	char err[128];

	assert_false(dtp_check_shape(bare_arr, sizeof(bare_arr), err,
	    sizeof(err)));
	assert_has(err, "array of 4294967295 elements");
	expect_req(bare_arr, sizeof(bare_arr), DTP_DECODE_BAD_FRAME,
	    "elements");
	expect_rep(bare_arr, sizeof(bare_arr), DTP_DECODE_BAD_FRAME,
	    "elements");
	expect_req(bare_map, sizeof(bare_map), DTP_DECODE_BAD_FRAME,
	    "map of 4294967295 elements");
	expect_req(arr16, sizeof(arr16), DTP_DECODE_BAD_FRAME, "elements");
	expect_req(in_map, sizeof(in_map), DTP_DECODE_BAD_FRAME, "elements");
	expect_req(str32, sizeof(str32), DTP_DECODE_BAD_FRAME, "truncated");
	assert_true(dtp_check_shape(fits, sizeof(fits), err, sizeof(err)));
	assert_false(dtp_check_shape(fits, 3, err, sizeof(err)));
	assert_has(err, "elements");
	assert_true(dtp_check_shape(owed, sizeof(owed), err, sizeof(err)));
	assert_false(dtp_check_shape(owed, 5, err, sizeof(err)));
	assert_has(err, "array of 2 elements in 3 bytes");

	/* a whole request whose args hide the huge array */
	expect_req(req, sizeof(req), DTP_DECODE_BAD_FRAME, "elements");
}

static void
test_bin_ext(void **state)
{
	static const unsigned char vals[][6] = {
		{ 0xc4, 0x01, 0x00 },		    /* bin8 */
		{ 0xc5, 0x00, 0x01, 0x00 },	    /* bin16 */
		{ 0xc6, 0x00, 0x00, 0x00, 0x01, 0x00 }, /* bin32 */
		{ 0xc7, 0x01, 0x05, 0x00 },	    /* ext8 */
		{ 0xc8, 0x00, 0x01, 0x05, 0x00 },   /* ext16 */
		{ 0xc9, 0x00, 0x00, 0x00, 0x01, 0x05 },
		{ 0xd4, 0x05, 0x00 },		    /* fixext1 */
		{ 0xd5, 0x05, 0x00, 0x00 },
		{ 0xd6, 0x05, 0x00, 0x00, 0x00, 0x00 },
		{ 0xd7, 0x05 },
		{ 0xd8, 0x05 },
	};
	static const size_t lens[] = { 3, 4, 6, 4, 5, 6, 3, 4, 6, 2, 2 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct pk p;
		char err[128];

		pk_init(&p);
		msgpack_pack_map(&p.pk, 3);
		pk_str(&p, "id");
		msgpack_pack_uint32(&p.pk, 1);
		pk_str(&p, "op");
		pk_str(&p, "hello");
		pk_str(&p, "args");
		msgpack_pack_map(&p.pk, 1);
		pk_str(&p, "b");
		pk_raw(&p, vals[i], lens[i]);
		assert_false(dtp_check_shape(p.sb.data, p.sb.size, err,
		    sizeof(err)));
		assert_string_equal(err, "bin and ext values are not allowed");
		expect_req(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME,
		    "bin and ext");
		pk_free(&p);
	}
}

static void
test_map_keys(void **state)
{
	struct pk p;
	char err[128];
	static const unsigned char c1[] = { 0x81, 0xa1, 'a', 0xc1 };

	/* an int key deep in args */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 1);
	pk_str(&p, "op");
	pk_str(&p, "hello");
	pk_str(&p, "args");
	msgpack_pack_map(&p.pk, 1);
	msgpack_pack_uint32(&p.pk, 1);
	msgpack_pack_true(&p.pk);
	assert_false(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	assert_string_equal(err, "map key is not a str");
	expect_req(p.sb.data, p.sb.size, DTP_DECODE_BAD_FRAME, "key");
	pk_free(&p);

	/* a map key that is a map */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	msgpack_pack_map(&p.pk, 0);
	msgpack_pack_true(&p.pk);
	assert_false(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	assert_string_equal(err, "map key is not a str");
	pk_free(&p);

	/* str values are fine where keys are expected to be str only */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "k");
	msgpack_pack_uint32(&p.pk, 1);
	assert_true(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	pk_free(&p);

	assert_false(dtp_check_shape(c1, sizeof(c1), err, sizeof(err)));
	assert_has(err, "0xc1");
}

/*
 * Every msgpack type the protocol allows, in every width: the shape check
 * accepts it and msgpack-c reads the same value to the last byte.
 */
static void
test_shape_all_types(void **state)
{
	struct pk p;
	char err[128], *s;
	msgpack_unpacked up;
	size_t off = 0;

	s = malloc(70000);
	assert_non_null(s);
	memset(s, 'a', 70000);
	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "all");
	msgpack_pack_array(&p.pk, 24);
	msgpack_pack_nil(&p.pk);
	msgpack_pack_true(&p.pk);
	msgpack_pack_false(&p.pk);
	pk_raw(&p, "\x05", 1);
	pk_raw(&p, "\xcc\xff", 2);
	pk_raw(&p, "\xcd\xff\xff", 3);
	pk_raw(&p, "\xce\xff\xff\xff\xff", 5);
	pk_raw(&p, "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9);
	pk_raw(&p, "\xd0\x80", 2);
	pk_raw(&p, "\xd1\x80\x00", 3);
	pk_raw(&p, "\xd2\x80\x00\x00\x00", 5);
	pk_raw(&p, "\xd3\x80\x00\x00\x00\x00\x00\x00\x00", 9);
	pk_raw(&p, "\xe0", 1);
	msgpack_pack_float(&p.pk, 1.5f);
	msgpack_pack_double(&p.pk, 2.25);
	pk_raw(&p, "\xd9\x03xyz", 5);
	pk_raw(&p, "\xda\x00\x01z", 4);
	msgpack_pack_str(&p.pk, 70000); /* str32 */
	msgpack_pack_str_body(&p.pk, s, 70000);
	pk_raw(&p, "\xdc\x00\x01\xc0", 4);
	pk_raw(&p, "\xdd\x00\x00\x00\x01\xc0", 6);
	pk_raw(&p, "\xde\x00\x01\xa1k\xc0", 6);
	pk_raw(&p, "\xdf\x00\x00\x00\x01\xa1k\xc0", 8);
	pk_raw(&p, "\x80", 1);
	pk_raw(&p, "\x90", 1);
	free(s);

	assert_true(dtp_check_shape(p.sb.data, p.sb.size, err, sizeof(err)));
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, p.sb.data, p.sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, p.sb.size);
	assert_int_equal(up.data.via.map.ptr[0].val.via.array.size, 24);
	assert_int_equal(up.data.via.map.ptr[0].val.via.array.ptr[17]
	    .via.str.size, 70000);
	msgpack_unpacked_destroy(&up);
	pk_free(&p);
}

/* ---- fuzz ---------------------------------------------------------------- */

/* One decode of untrusted bytes, with the invariants that must hold. */
static void
fuzz_one(const unsigned char *b, size_t n, unsigned *passed)
{
	char err[128];
	bool shape = dtp_check_shape(b, n, err, sizeof(err));
	dtp_msg m;
	dtp_decode_rc rc;

	if (shape) {
		/* the scanner agrees with msgpack-c: one value, all bytes */
		msgpack_unpacked up;
		size_t off = 0;

		msgpack_unpacked_init(&up);
		assert_int_equal(msgpack_unpack_next(&up, (const char *)b, n,
		    &off), MSGPACK_UNPACK_SUCCESS);
		assert_int_equal(off, n);
		msgpack_unpacked_destroy(&up);
		(*passed)++;
	}
	rc = dtp_decode_request(b, n, &m, err, sizeof(err));
	assert_true(rc == DTP_DECODE_OK || rc == DTP_DECODE_BAD_FRAME ||
	    rc == DTP_DECODE_BAD_MSG);
	if (!shape)
		assert_int_equal(rc, DTP_DECODE_BAD_FRAME);
	if (rc == DTP_DECODE_BAD_FRAME)
		assert_int_equal(m.id, 0);
	else
		assert_int_not_equal(m.id, 0);
	if (rc == DTP_DECODE_OK) {
		assert_true(m.op < DTP_OP_COUNT);
		if (m.args != NULL) {
			json_t *j = to_json(m.args, err, sizeof(err));

			json_decref(j);
		}
	}
	assert_true(strlen(err) < sizeof(err));
	dtp_msg_free(&m);
	rc = dtp_decode_reply(b, n, &m, err, sizeof(err));
	if (!shape)
		assert_int_equal(rc, DTP_DECODE_BAD_FRAME);
	assert_true(rc == DTP_DECODE_OK || rc == DTP_DECODE_BAD_FRAME);
	dtp_msg_free(&m);
}

static void
test_fuzz(void **state)
{
	/* bytes that start msgpack values, to reach deeper than pure noise */
	static const unsigned char interesting[] = { 0x80, 0x81, 0x83, 0x8f,
		0x90, 0x91, 0x9f, 0xa0, 0xa2, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3,
		0xc4, 0xc7, 0xca, 0xcb, 0xcc, 0xcf, 0xd0, 0xd3, 0xd4, 0xd9,
		0xda, 0xdb,
		0xdc, 0xdd, 0xde, 0xdf, 0xff, 0x00, 0x01, 0x7f, 0xe0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned char b[256];
	unsigned passed = 0, decoded = 0;
	struct pk base[3];

	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rnd(&seed) % 64);

		for (size_t k = 0; k < n; k++) {
			uint64_t r = rnd(&seed);

			b[k] = (r & 1) ? interesting[(r >> 8) %
			    sizeof(interesting)] : (unsigned char)(r >> 16);
		}
		fuzz_one(b, n, &passed);
	}
	assert_true(passed > 100); /* the invariants were exercised */

	/* mutations of valid messages */
	valid_request(&base[0]);
	req_with(&base[1], "hello", 1, NULL);
	pk_init(&base[2]);
	msgpack_pack_map(&base[2].pk, 3);
	pk_str(&base[2], "id");
	msgpack_pack_uint32(&base[2].pk, 300);
	pk_str(&base[2], "ok");
	msgpack_pack_false(&base[2].pk);
	pk_str(&base[2], "error");
	msgpack_pack_map(&base[2].pk, 2);
	pk_str(&base[2], "code");
	msgpack_pack_uint32(&base[2].pk, 4);
	pk_str(&base[2], "message");
	pk_str(&base[2], "gone");
	for (int i = 0; i < 30000; i++) {
		struct pk *src = &base[rnd(&seed) % 3];
		size_t n = src->sb.size;
		unsigned muts = 1 + (unsigned)(rnd(&seed) % 3);
		dtp_msg m;
		char err[128];

		assert_true(n <= sizeof(b));
		memcpy(b, src->sb.data, n);
		for (unsigned k = 0; k < muts; k++) {
			uint64_t r = rnd(&seed);
			size_t at = (size_t)((r >> 8) % n);

			switch (r % 4) {
			case 0: b[at] = (unsigned char)(r >> 40); break;
			case 1: b[at] = interesting[(r >> 40) %
				    sizeof(interesting)]; break;
			case 2: b[at] ^= (unsigned char)(1u << ((r >> 40) % 8));
				break;
			case 3: n = at + 1; break; /* truncate */
			}
		}
		fuzz_one(b, n, &passed);
		if (dtp_decode_request(b, n, &m, err, sizeof(err)) ==
		    DTP_DECODE_OK || m.up.zone != NULL)
			decoded++;
		dtp_msg_free(&m);
	}
	assert_true(decoded > 100);
	for (int i = 0; i < 3; i++)
		pk_free(&base[i]);
}

/* ---- getters and ownership ----------------------------------------------- */

static void
test_getters(void **state)
{
	struct pk p;
	msgpack_unpacked up;
	size_t off = 0;
	const msgpack_object *o;
	char buf[6], *s;
	uint64_t u = 0;
	bool b = false;

	pk_init(&p);
	msgpack_pack_map(&p.pk, 8);
	pk_str(&p, "s");
	pk_str(&p, "hello");
	pk_str(&p, "nul");
	msgpack_pack_str(&p.pk, 3);
	msgpack_pack_str_body(&p.pk, "a\0b", 3);
	pk_str(&p, "u");
	msgpack_pack_uint64(&p.pk, UINT64_MAX);
	pk_str(&p, "neg");
	msgpack_pack_int32(&p.pk, -1);
	pk_str(&p, "t");
	msgpack_pack_true(&p.pk);
	pk_str(&p, "");
	pk_str(&p, "empty-key");
	pk_str(&p, "s2");
	pk_str(&p, "");
	pk_str(&p, "s");
	pk_str(&p, "second");
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, p.sb.data, p.sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);

	/* map_get: exact length match, first key wins, NULL-safe */
	assert_true(dtp_str_eq(dtp_map_get(&up.data, "s"), "hello"));
	assert_null(dtp_map_get(&up.data, "s3"));
	assert_null(dtp_map_get(&up.data, "ss"));
	assert_null(dtp_map_get(NULL, "s"));
	assert_null(dtp_map_get(dtp_map_get(&up.data, "s"), "s"));
	assert_true(dtp_str_eq(dtp_map_get(&up.data, ""), "empty-key"));

	/* str_eq */
	o = dtp_map_get(&up.data, "s");
	assert_false(dtp_str_eq(o, "hell"));
	assert_false(dtp_str_eq(o, "hello!"));
	assert_false(dtp_str_eq(dtp_map_get(&up.data, "u"), "1"));
	assert_false(dtp_str_eq(NULL, "x"));
	assert_true(dtp_str_eq(dtp_map_get(&up.data, "s2"), ""));

	/* strdup / strcpy */
	s = dtp_strdup(o);
	assert_non_null(s);
	assert_string_equal(s, "hello");
	free(s);
	s = dtp_strdup(dtp_map_get(&up.data, "s2"));
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_null(dtp_strdup(dtp_map_get(&up.data, "nul")));
	assert_null(dtp_strdup(dtp_map_get(&up.data, "u")));
	assert_null(dtp_strdup(NULL));
	assert_true(dtp_strcpy(o, buf, 6));
	assert_string_equal(buf, "hello");
	assert_false(dtp_strcpy(o, buf, 5)); /* no room for the NUL */
	assert_string_equal(buf, "");
	assert_false(dtp_strcpy(dtp_map_get(&up.data, "nul"), buf, 6));
	assert_false(dtp_strcpy(dtp_map_get(&up.data, "t"), buf, 6));

	/* uint / bool */
	assert_true(dtp_get_uint(dtp_map_get(&up.data, "u"), &u));
	assert_true(u == UINT64_MAX);
	assert_false(dtp_get_uint(dtp_map_get(&up.data, "neg"), &u));
	assert_false(dtp_get_uint(dtp_map_get(&up.data, "t"), &u));
	assert_false(dtp_get_uint(NULL, &u));
	assert_true(dtp_get_bool(dtp_map_get(&up.data, "t"), &b));
	assert_true(b);
	assert_false(dtp_get_bool(dtp_map_get(&up.data, "u"), &b));
	assert_false(dtp_get_bool(NULL, &b));

	msgpack_unpacked_destroy(&up);
	pk_free(&p);
}

/* The decoded objects must not point into the caller's buffer. */
static void
test_strings_outlive_payload(void **state)
{
	struct pk p;
	dtp_msg m;
	char err[128], *copy;
	size_t n;

	valid_request(&p);
	n = p.sb.size;
	copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, p.sb.data, n);
	pk_free(&p);
	assert_int_equal(dtp_decode_request(copy, n, &m, err, sizeof(err)),
	    DTP_DECODE_OK);
	memset(copy, 'Z', n);
	free(copy);
	assert_true(dtp_str_eq(dtp_map_get(dtp_map_get(m.args, "table"),
	    "TableName"), "orders"));
	dtp_msg_free(&m);
}

static void
test_msg_free_safe(void **state)
{
	static const unsigned char junk[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	struct pk p;
	dtp_msg m;
	char err[1];

	/* errlen 1 and 0 must not overflow */
	assert_int_equal(dtp_decode_request(junk, sizeof(junk), &m, err,
	    sizeof(err)), DTP_DECODE_BAD_FRAME);
	assert_int_equal(err[0], '\0');
	dtp_msg_free(&m);
	dtp_msg_free(&m);
	assert_int_equal(dtp_decode_reply(junk, sizeof(junk), &m, NULL, 0),
	    DTP_DECODE_BAD_FRAME);
	dtp_msg_free(&m);

	req_with(&p, "nope", 1, NULL);
	assert_int_equal(dtp_decode_request(p.sb.data, p.sb.size, &m, NULL,
	    0), DTP_DECODE_BAD_MSG);
	dtp_msg_free(&m);
	dtp_msg_free(&m);
	assert_null(m.up.zone);
	assert_int_equal(m.id, 0);
	dtp_msg_free(NULL);
	pk_free(&p);
}

/* ---- encoder limits ------------------------------------------------------ */

static void
test_enc_failures(void **state)
{
	dtp_enc e;
	char *data = NULL, *big;
	size_t len = 0;

	/* payload above DTP_FRAME_MAX */
	big = malloc(DTP_FRAME_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', DTP_FRAME_MAX);
	big[DTP_FRAME_MAX] = '\0';
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 1, 1);
	dtp_pack_kv_str(&e, "s", big);
	assert_true(e.failed);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), -1);
	assert_null(data);
	dtp_enc_free(&e);

	/* a payload of exactly DTP_FRAME_MAX is fine */
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 1, 1);
	dtp_pack_cstr(&e, "s");
	{
		/* current payload + str32 header (5) + body = FRAME_MAX */
		size_t used = e.sb.size - DTP_HEADER_LEN;
		size_t body = DTP_FRAME_MAX - used - 5;

		msgpack_pack_str(&e.pk, body);
		msgpack_pack_str_body(&e.pk, big, body);
	}
	assert_int_equal(dtp_enc_finish(&e, &data, &len), 0);
	assert_int_equal(len, DTP_HEADER_LEN + DTP_FRAME_MAX);
	assert_int_equal(frame_payload(data, len), DTP_FRAME_MAX);
	free(data);
	dtp_enc_free(&e);
	free(big);

	/* invalid requests and replies are not encoded */
	dtp_enc_init(&e);
	dtp_enc_request(&e, 0, DTP_OP_HELLO, 0);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), -1);
	dtp_enc_free(&e);
	dtp_enc_init(&e);
	dtp_enc_request(&e, 1, DTP_OP_COUNT, 0);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), -1);
	dtp_enc_free(&e);
	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 1, DTP_OK, NULL, "x");
	assert_int_equal(dtp_enc_finish(&e, &data, &len), -1);
	dtp_enc_free(&e);
	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 1, DTP_E_AWS, NULL, NULL);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), -1);
	dtp_enc_free(&e);
	dtp_enc_init(&e);
	dtp_pack_cstr(&e, NULL);
	assert_true(e.failed);
	dtp_enc_free(&e);
	/* an empty encoder has no frame */
	dtp_enc_init(&e);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), -1);
	dtp_enc_free(&e);

	/* after finish the encoder is empty, and free is harmless */
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 1, 0);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), 0);
	assert_null(e.sb.data);
	assert_int_equal(e.sb.size, 0);
	dtp_enc_free(&e);
	dtp_enc_free(&e);
	free(data);
}

/* ---- JSON ---------------------------------------------------------------- */

static const char table_description[] =
    "{"
    "\"AttributeDefinitions\": ["
    "  {\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},"
    "  {\"AttributeName\": \"sk\", \"AttributeType\": \"N\"},"
    "  {\"AttributeName\": \"customer\", \"AttributeType\": \"S\"}],"
    "\"TableName\": \"orders\","
    "\"KeySchema\": ["
    "  {\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
    "  {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}],"
    "\"TableStatus\": \"ACTIVE\","
    "\"CreationDateTime\": 1732492800.123,"
    "\"ProvisionedThroughput\": {"
    "  \"LastIncreaseDateTime\": 1732492900.5,"
    "  \"NumberOfDecreasesToday\": 0,"
    "  \"ReadCapacityUnits\": 5, \"WriteCapacityUnits\": 10},"
    "\"TableSizeBytes\": 9007199254740993,"
    "\"ItemCount\": 0,"
    "\"TableArn\": \"arn:aws:dynamodb:eu-west-1:123456789012:table/orders\","
    "\"TableId\": \"8c3b9a1e-2f4d-4b7a-9c6e-0d1f2a3b4c5d\","
    "\"BillingModeSummary\": {\"BillingMode\": \"PROVISIONED\","
    "  \"LastUpdateToPayPerRequestDateTime\": 1732400000.0},"
    "\"GlobalSecondaryIndexes\": [{"
    "  \"IndexName\": \"by_customer\","
    "  \"KeySchema\": [{\"AttributeName\": \"customer\","
    "    \"KeyType\": \"HASH\"}],"
    "  \"Projection\": {\"ProjectionType\": \"INCLUDE\","
    "    \"NonKeyAttributes\": [\"total\", \"prix_\xe2\x82\xac\","
    "      \"\xf0\x9f\x93\xa6\"]},"
    "  \"IndexStatus\": \"ACTIVE\", \"Backfilling\": false,"
    "  \"ProvisionedThroughput\": {\"NumberOfDecreasesToday\": 0,"
    "    \"ReadCapacityUnits\": 1, \"WriteCapacityUnits\": 1},"
    "  \"IndexSizeBytes\": 0, \"ItemCount\": 0,"
    "  \"IndexArn\": \"arn:aws:dynamodb:eu-west-1:123456789012:"
    "table/orders/index/by_customer\"}],"
    "\"OnDemandThroughput\": {\"MaxReadRequestUnits\": -1,"
    "  \"MaxWriteRequestUnits\": -1},"
    "\"StreamSpecification\": {\"StreamEnabled\": true,"
    "  \"StreamViewType\": \"NEW_AND_OLD_IMAGES\"},"
    "\"LatestStreamLabel\": \"2024-11-25T00:00:00.123\","
    "\"DeletionProtectionEnabled\": false,"
    "\"TableClassSummary\": {\"TableClass\": \"STANDARD\"},"
    "\"Replicas\": [],"
    "\"RestoreSummary\": null"
    "}";

static void
test_json_roundtrip(void **state)
{
	json_error_t jerr;
	json_t *in, *out;
	dtp_enc e;
	dtp_msg m;
	char *data, err[128];
	size_t len;
	const msgpack_object *t, *v;

	in = json_loads(table_description, JSON_REJECT_DUPLICATES, &jerr);
	if (in == NULL)
		fail_msg("bad test JSON: %s", jerr.text);

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 4, 1);
	dtp_pack_cstr(&e, "table");
	assert_int_equal(dtp_pack_json(&e, in), 0);
	finish_ok(&e, &data, &len);
	assert_int_equal(decode_rep_frame(data, len, &m, err, sizeof(err)),
	    DTP_DECODE_OK);
	t = dtp_map_get(m.result, "table");
	assert_non_null(t);

	/* the msgpack types are the natural ones */
	v = dtp_map_get(t, "CreationDateTime");
	assert_int_equal(v->type, MSGPACK_OBJECT_FLOAT64);
	assert_true(v->via.f64 == 1732492800.123);
	v = dtp_map_get(dtp_map_get(t, "ProvisionedThroughput"),
	    "WriteCapacityUnits");
	assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(v->via.u64, 10);
	v = dtp_map_get(dtp_map_get(t, "OnDemandThroughput"),
	    "MaxReadRequestUnits");
	assert_int_equal(v->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(v->via.i64, -1);
	assert_true(dtp_map_get(t, "TableSizeBytes")->via.u64 ==
	    9007199254740993ull);
	assert_int_equal(dtp_map_get(t, "RestoreSummary")->type,
	    MSGPACK_OBJECT_NIL);

	out = to_json(t, err, sizeof(err));
	if (out == NULL)
		fail_msg("dtp_to_json: %s", err);
	assert_true(json_equal(in, out));
	assert_true(json_is_real(json_object_get(out, "CreationDateTime")));
	assert_true(json_real_value(json_object_get(out,
	    "CreationDateTime")) == 1732492800.123);
	assert_true(json_is_real(json_object_get(json_object_get(out,
	    "BillingModeSummary"), "LastUpdateToPayPerRequestDateTime")));
	assert_true(json_is_integer(json_object_get(out, "ItemCount")));
	assert_true(json_is_false(json_object_get(out,
	    "DeletionProtectionEnabled")));
	/* keys keep jansson's (insertion) order */
	assert_string_equal(json_object_iter_key(json_object_iter(out)),
	    "AttributeDefinitions");

	json_decref(out);
	json_decref(in);
	dtp_msg_free(&m);
	free(data);
}

/* Unpacks p into up without the shape check (to reach dtp_to_json). */
static void
unpack_raw(struct pk *p, msgpack_unpacked *up)
{
	size_t off = 0;

	msgpack_unpacked_init(up);
	assert_int_equal(msgpack_unpack_next(up, p->sb.data, p->sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, p->sb.size);
}

/* {"KeySchema": [{"KeyType": "HASH", "AttributeName": <raw bytes>}]} */
static void
expect_bad_name(const char *bytes, size_t n, const char *want)
{
	struct pk p;
	msgpack_unpacked up;
	char err[128];

	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "KeySchema");
	msgpack_pack_array(&p.pk, 1);
	msgpack_pack_map(&p.pk, 2);
	pk_str(&p, "KeyType");
	pk_str(&p, "HASH");
	pk_str(&p, "AttributeName");
	msgpack_pack_str(&p.pk, n);
	msgpack_pack_str_body(&p.pk, bytes, n);
	unpack_raw(&p, &up);
	if (want == NULL) {
		json_t *j = to_json(&up.data, err, sizeof(err));

		if (j == NULL)
			fail_msg("refused: %s", err);
		json_decref(j);
	} else {
		assert_null(to_json(&up.data, err, sizeof(err)));
		assert_string_equal(err, want);
	}
	msgpack_unpacked_destroy(&up);
	pk_free(&p);
}

static void
test_json_utf8(void **state)
{
	static const char bad[] = "KeySchema[0].AttributeName: not valid UTF-8";

	expect_bad_name("\xc3\x28", 2, bad);	    /* bad continuation */
	expect_bad_name("\xc0\x80", 2, bad);	    /* overlong NUL */
	expect_bad_name("\xe0\x80\xaf", 3, bad);   /* overlong '/' */
	expect_bad_name("\xed\xa0\x80", 3, bad);   /* surrogate */
	expect_bad_name("\xf4\x90\x80\x80", 4, bad); /* > U+10FFFF */
	expect_bad_name("\xe2\x82", 2, bad);	    /* cut short */
	expect_bad_name("ok\xff", 3, bad);
	expect_bad_name("\x80", 1, bad);
	expect_bad_name("a\0b", 3,
	    "KeySchema[0].AttributeName: holds a NUL byte");
	expect_bad_name("\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9", 9, NULL);
	expect_bad_name("\xf4\x8f\xbf\xbf", 4, NULL); /* U+10FFFF */
	expect_bad_name("", 0, NULL);
}

static void
test_json_refusals(void **state)
{
	struct pk p;
	msgpack_unpacked up;
	char err[128];

	/* a non-str key, with its path */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "AttributeDefinitions");
	msgpack_pack_array(&p.pk, 2);
	msgpack_pack_map(&p.pk, 0);
	msgpack_pack_map(&p.pk, 1);
	msgpack_pack_uint32(&p.pk, 7);
	pk_str(&p, "x");
	unpack_raw(&p, &up);
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err,
	    "AttributeDefinitions[1]: map key is not a str");
	msgpack_unpacked_destroy(&up);
	pk_free(&p);

	/* a key that is not UTF-8 */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	msgpack_pack_str(&p.pk, 1);
	msgpack_pack_str_body(&p.pk, "\xff", 1);
	msgpack_pack_nil(&p.pk);
	unpack_raw(&p, &up);
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err, "top level: map key not valid UTF-8");
	msgpack_unpacked_destroy(&up);
	pk_free(&p);

	/* duplicate keys would lose data */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 2);
	pk_str(&p, "a");
	msgpack_pack_nil(&p.pk);
	pk_str(&p, "a");
	msgpack_pack_nil(&p.pk);
	unpack_raw(&p, &up);
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err, "a: duplicate key");
	msgpack_unpacked_destroy(&up);
	pk_free(&p);

	/* in a map too large to check pair by pair: the last key repeats
	 * the first; without it the map is fine */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 41);
	for (int i = 0; i < 41; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i % 40);
		pk_str(&p, k);
		msgpack_pack_int(&p.pk, i);
	}
	unpack_raw(&p, &up);
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err, "k0: duplicate key");
	up.data.via.map.size = 40;
	{
		json_t *j = to_json(&up.data, err, sizeof(err));

		assert_non_null(j);
		json_decref(j);
	}
	msgpack_unpacked_destroy(&up);
	pk_free(&p);

	/* integers: INT64_MAX and INT64_MIN fit, INT64_MAX + 1 does not */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "max");
	msgpack_pack_uint64(&p.pk, INT64_MAX);
	pk_str(&p, "min");
	msgpack_pack_int64(&p.pk, INT64_MIN);
	pk_str(&p, "big");
	msgpack_pack_uint64(&p.pk, (uint64_t)INT64_MAX + 1);
	unpack_raw(&p, &up);
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err, "big: integer above 9223372036854775807");
	up.data.via.map.size = 2; /* without "big" */
	{
		json_t *j = to_json(&up.data, err, sizeof(err));

		assert_non_null(j);
		assert_true(json_integer_value(json_object_get(j, "max")) ==
		    INT64_MAX);
		assert_true(json_integer_value(json_object_get(j, "min")) ==
		    INT64_MIN);
		json_decref(j);
	}
	msgpack_unpacked_destroy(&up);
	pk_free(&p);

	/* bin, ext, NaN; float32 is fine */
	pk_init(&p);
	msgpack_pack_array(&p.pk, 4);
	msgpack_pack_float(&p.pk, 0.5f);
	msgpack_pack_bin(&p.pk, 1);
	msgpack_pack_bin_body(&p.pk, "x", 1);
	msgpack_pack_ext(&p.pk, 1, 3);
	msgpack_pack_ext_body(&p.pk, "x", 1);
	msgpack_pack_double(&p.pk, NAN);
	unpack_raw(&p, &up);
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err, "[1]: bin and ext values are not allowed");
	up.data.via.array.ptr[1] = up.data.via.array.ptr[0];
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err, "[2]: bin and ext values are not allowed");
	up.data.via.array.ptr[2] = up.data.via.array.ptr[0];
	assert_null(to_json(&up.data, err, sizeof(err)));
	assert_string_equal(err, "[3]: not a finite number");
	up.data.via.array.size = 3;
	{
		json_t *j = to_json(&up.data, err, sizeof(err));

		assert_non_null(j);
		assert_true(json_real_value(json_array_get(j, 0)) == 0.5);
		json_decref(j);
	}
	assert_null(to_json(NULL, err, sizeof(err)));
	msgpack_unpacked_destroy(&up);
	pk_free(&p);
}

/* Nested JSON arrays, levels deep. */
static json_t *
json_nested(unsigned levels)
{
	json_t *j = json_array();

	for (unsigned i = 1; i < levels; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, j);
		j = outer;
	}
	return j;
}

static void
test_json_depth(void **state)
{
	msgpack_object objs[33];
	struct pk p;
	msgpack_unpacked up;
	size_t off = 0;
	char err[256];
	json_t *j;
	dtp_enc e;

	/* dtp_to_json: 33 levels refused, 32 accepted. msgpack-c refuses 33
	 * levels itself, so the objects are built by hand */
	for (unsigned i = 0; i < 33; i++) {
		objs[i].type = MSGPACK_OBJECT_ARRAY;
		objs[i].via.array.size = i < 32 ? 1 : 0;
		objs[i].via.array.ptr = i < 32 ? &objs[i + 1] : NULL;
	}
	assert_null(to_json(&objs[0], err, sizeof(err)));
	assert_has(err, "nesting deeper than 32");
	assert_has(err, "[0][0][0]");
	j = to_json(&objs[1], err, sizeof(err));
	assert_non_null(j);
	json_decref(j);

	/* the same limit as msgpack-c's: 32 levels unpacked, 33 not */
	pk_init(&p);
	pack_nested(&p, 32);
	unpack_raw(&p, &up);
	j = to_json(&up.data, err, sizeof(err));
	assert_non_null(j);
	json_decref(j);
	msgpack_unpacked_destroy(&up);
	pk_free(&p);
	pk_init(&p);
	pack_nested(&p, 33);
	msgpack_unpacked_init(&up);
	assert_true(msgpack_unpack_next(&up, p.sb.data, p.sb.size, &off) < 0);
	msgpack_unpacked_destroy(&up);
	pk_free(&p);

	/* dtp_pack_json: 32 levels packed, 33 refused */
	for (unsigned levels = 32; levels <= 33; levels++) {
		j = json_nested(levels);
		dtp_enc_init(&e);
		assert_int_equal(dtp_pack_json(&e, j), levels == 32 ? 0 : -1);
		assert_int_equal(e.failed, levels != 32);
		dtp_enc_free(&e);
		json_decref(j);
	}
}

static void
test_pack_json_types(void **state)
{
	static const unsigned char want[] = {
		0x87,
		0xa1, 'i', 0x05,
		0xa1, 'n', 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0, /* INT64_MIN */
		0xa1, 'r', 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, /* 1.5 */
		0xa1, 's', 0xa3, 'a', 0x00, 'b', /* embedded NUL carried */
		0xa1, 't', 0xc3,
		0xa1, 'f', 0xc2,
		0xa1, 'z', 0xc0,
	};
	json_t *j = json_object();
	dtp_enc e;
	char *data;
	size_t len;

	json_object_set_new(j, "i", json_integer(5));
	json_object_set_new(j, "n", json_integer(INT64_MIN));
	json_object_set_new(j, "r", json_real(1.5));
	json_object_set_new(j, "s", json_stringn("a\0b", 3));
	json_object_set_new(j, "t", json_true());
	json_object_set_new(j, "f", json_false());
	json_object_set_new(j, "z", json_null());
	dtp_enc_init(&e);
	assert_int_equal(dtp_pack_json(&e, j), 0);
	finish_ok(&e, &data, &len);
	assert_int_equal(len - DTP_HEADER_LEN, sizeof(want));
	assert_memory_equal(data + DTP_HEADER_LEN, want, sizeof(want));
	free(data);

	/* a key with NUL cannot be carried */
	json_object_setn_new(j, "k\0ey", 4, json_true());
	dtp_enc_init(&e);
	assert_int_equal(dtp_pack_json(&e, j), -1);
	assert_true(e.failed);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), -1);
	dtp_enc_free(&e);
	json_decref(j);

	dtp_enc_init(&e);
	assert_int_equal(dtp_pack_json(&e, NULL), -1);
	dtp_enc_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_frame_check),
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_no_args),
		cmocka_unit_test(test_reply_ok_roundtrip),
		cmocka_unit_test(test_reply_error_roundtrip),
		cmocka_unit_test(test_reply_variants),
		cmocka_unit_test(test_stream_byte_by_byte),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_wrong_top_type),
		cmocka_unit_test(test_request_ids),
		cmocka_unit_test(test_bad_msg),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_huge_counts),
		cmocka_unit_test(test_bin_ext),
		cmocka_unit_test(test_map_keys),
		cmocka_unit_test(test_shape_all_types),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_strings_outlive_payload),
		cmocka_unit_test(test_msg_free_safe),
		cmocka_unit_test(test_enc_failures),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_refusals),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_pack_json_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
