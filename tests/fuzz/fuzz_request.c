/* SPDX-License-Identifier: MIT */
/*
 * fuzz_request: the frame decoder and the codec (proto/dtp.c, dtp_json.c).
 *
 * The input is a byte stream as a client sends it to the daemon. It is cut
 * into frames the way conn.c does (dtp_frame_check with the daemon's
 * default limit, then the payload), and every payload is decoded both as
 * a request and as a reply. Whatever decodes is encoded again with the dtp
 * encoder and decoded a second time, which must succeed and give the same
 * message; its maps also go through dtp_to_json and dtp_pack_json, which
 * must be lossless (dtp_json.h), and dtp_json_check, which must agree with
 * dtp_to_json.
 */
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "dtp.h"
#include "dtp_json.h"
#include "fuzz.h"

#define FUZZ_MAX_FRAME (1u << 20) /* the daemon's default --max-frame */

/* err buffers start filled with this, so that an unterminated message
 * shows. */
#define ERR_FILL 'X'

static void
check_err(const char *err, size_t size)
{
	FUZZ_CHECK(memchr(err, '\0', size) != NULL);
}

/* Packs o canonically (msgpack-c picks the shortest form) into sb. */
static void
repack(msgpack_sbuffer *sb, const msgpack_object *o)
{
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (o != NULL)
		msgpack_pack_object(&pk, *o);
	else
		msgpack_pack_map(&pk, 0);
}

/* True when a and b pack to the same bytes (NULL packs as an empty map). */
static bool
same_object(const msgpack_object *a, const msgpack_object *b)
{
	msgpack_sbuffer sa, sb;
	bool same;

	repack(&sa, a);
	repack(&sb, b);
	same = sa.size == sb.size && memcmp(sa.data, sb.data, sa.size) == 0;
	msgpack_sbuffer_destroy(&sa);
	msgpack_sbuffer_destroy(&sb);
	return same;
}

/* Packs the pairs of map (NULL: none) after a header announcing them. */
static void
pack_pairs(dtp_enc *e, const msgpack_object *map)
{
	if (map == NULL)
		return;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		msgpack_pack_object(&e->pk, map->via.map.ptr[i].key);
		msgpack_pack_object(&e->pk, map->via.map.ptr[i].val);
	}
}

/* Finishes e; the frame must be well-formed. Returns the payload length;
 * *frame is malloc'd. */
static uint32_t
finish(dtp_enc *e, char **frame)
{
	size_t len = 0;
	uint32_t plen = 0;

	FUZZ_CHECK(dtp_enc_finish(e, frame, &len) == 0);
	dtp_enc_free(e);
	FUZZ_CHECK(dtp_frame_check(*frame, len, 0, &plen) == DTP_FRAME_OK);
	FUZZ_CHECK((size_t)plen + DTP_HEADER_LEN == len);
	return plen;
}

/*
 * map -> JSON -> msgpack -> JSON must give the same JSON. map is a
 * decoded message's args or result; it is packed as a reply's result,
 * member by member, exactly as conn.c's req_reply_ok() packs what ops.c
 * answers, so it stays at the same depth.
 */
static void
json_roundtrip(const msgpack_object *map)
{
	char err[160], why[160], *frame;
	const char *key;
	json_t *j, *j2, *v;
	bool ok;
	dtp_enc e;
	dtp_msg m;
	uint32_t plen;

	memset(err, ERR_FILL, sizeof(err));
	ok = dtp_json_check(map, why, sizeof(why));
	j = dtp_to_json(map, err, sizeof(err));
	/* the check says what the conversion does, for the same reason */
	FUZZ_CHECK(ok == (j != NULL));
	if (j == NULL) {
		check_err(err, sizeof(err));
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strcmp(why, err) == 0);
		return;
	}
	FUZZ_CHECK(json_is_object(j));
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 1, (uint32_t)json_object_size(j));
	json_object_foreach(j, key, v) {
		dtp_pack_cstr(&e, key);
		FUZZ_CHECK(dtp_pack_json(&e, v) == 0);
	}
	plen = finish(&e, &frame);
	FUZZ_CHECK(dtp_decode_reply(frame + DTP_HEADER_LEN, plen, &m, err,
	    sizeof(err)) == DTP_DECODE_OK);
	j2 = dtp_to_json(m.result, err, sizeof(err));
	FUZZ_CHECK(j2 != NULL);
	FUZZ_CHECK(json_equal(j, j2));
	json_decref(j2);
	json_decref(j);
	dtp_msg_free(&m);
	free(frame);
}

/* Encodes a decoded request again; the copy must decode the same. */
static void
request_roundtrip(const dtp_msg *m)
{
	char err[160], *frame;
	dtp_enc e;
	dtp_msg m2;
	uint32_t plen;

	FUZZ_CHECK(m->id != 0 && (unsigned)m->op < DTP_OP_COUNT);
	FUZZ_CHECK(m->args == NULL || m->args->type == MSGPACK_OBJECT_MAP);
	dtp_enc_init(&e);
	dtp_enc_request(&e, m->id, m->op,
	    m->args != NULL ? m->args->via.map.size : 0);
	pack_pairs(&e, m->args);
	plen = finish(&e, &frame);
	memset(err, ERR_FILL, sizeof(err));
	FUZZ_CHECK(dtp_decode_request(frame + DTP_HEADER_LEN, plen, &m2, err,
	    sizeof(err)) == DTP_DECODE_OK);
	FUZZ_CHECK(m2.id == m->id && m2.op == m->op);
	FUZZ_CHECK(m2.args != NULL && same_object(m->args, m2.args));
	dtp_msg_free(&m2);
	free(frame);
	if (m->args != NULL)
		json_roundtrip(m->args);
}

/* Encodes a decoded reply again; the copy must decode the same. */
static void
reply_roundtrip(const dtp_msg *m)
{
	const msgpack_object *aws = NULL, *msg;
	char err[160], *frame, *message = NULL, *aws_type = NULL;
	dtp_enc e;
	dtp_msg m2;
	uint32_t plen;

	dtp_enc_init(&e);
	if (m->ok) {
		FUZZ_CHECK(m->result != NULL &&
		    m->result->type == MSGPACK_OBJECT_MAP);
		dtp_enc_reply_ok(&e, m->id, m->result->via.map.size);
		pack_pairs(&e, m->result);
	} else {
		FUZZ_CHECK(m->error != NULL && m->err_code != DTP_OK);
		msg = dtp_map_get(m->error, "message");
		aws = dtp_map_get(m->error, "aws_type");
		FUZZ_CHECK(msg != NULL && msg->type == MSGPACK_OBJECT_STR);
		FUZZ_CHECK(aws == NULL || aws->type == MSGPACK_OBJECT_STR);
		message = dtp_strdup(msg);
		aws_type = aws != NULL ? dtp_strdup(aws) : NULL;
		/* Strings with NUL bytes and codes unknown to this version
		 * can be decoded but not encoded. */
		if (message == NULL || (aws != NULL && aws_type == NULL) ||
		    (unsigned)m->err_code >= DTP_E_COUNT) {
			free(message);
			free(aws_type);
			dtp_enc_free(&e);
			return;
		}
		dtp_enc_reply_error(&e, m->id, m->err_code, aws_type, message);
	}
	plen = finish(&e, &frame);
	memset(err, ERR_FILL, sizeof(err));
	FUZZ_CHECK(dtp_decode_reply(frame + DTP_HEADER_LEN, plen, &m2, err,
	    sizeof(err)) == DTP_DECODE_OK);
	FUZZ_CHECK(m2.id == m->id && m2.ok == m->ok);
	if (m->ok) {
		FUZZ_CHECK(same_object(m->result, m2.result));
		json_roundtrip(m->result);
	} else {
		FUZZ_CHECK(m2.err_code == m->err_code);
		FUZZ_CHECK(dtp_str_eq(dtp_map_get(m2.error, "message"),
		    message));
		FUZZ_CHECK(aws_type == NULL ? dtp_map_get(m2.error,
		    "aws_type") == NULL : dtp_str_eq(dtp_map_get(m2.error,
		    "aws_type"), aws_type));
	}
	dtp_msg_free(&m2);
	free(frame);
	free(message);
	free(aws_type);
}

/* Containers nested in o: 0 for a scalar, 1 for an empty map. */
static unsigned
obj_depth(const msgpack_object *o)
{
	unsigned d = 0, sub;

	if (o->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if ((sub = obj_depth(&o->via.array.ptr[i])) > d)
				d = sub;
		return d + 1;
	}
	if (o->type == MSGPACK_OBJECT_MAP) {
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			/* keys are str: the shape check saw to it */
			FUZZ_CHECK(o->via.map.ptr[i].key.type ==
			    MSGPACK_OBJECT_STR);
			if ((sub = obj_depth(&o->via.map.ptr[i].val)) > d)
				d = sub;
		}
		return d + 1;
	}
	/* bin and ext never get through */
	FUZZ_CHECK(o->type != MSGPACK_OBJECT_BIN &&
	    o->type != MSGPACK_OBJECT_EXT);
	return 0;
}

/* Exercises the getters on every member of a map, as ops.c does. */
static void
read_members(const msgpack_object *map)
{
	char buf[256];
	uint64_t u;
	bool b;

	if (map == NULL)
		return;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *v = &map->via.map.ptr[i].val;
		char *s = dtp_strdup(v);

		if (s != NULL) {
			FUZZ_CHECK(strlen(s) == v->via.str.size);
			free(s);
		}
		if (dtp_strcpy(v, buf, sizeof(buf)))
			FUZZ_CHECK(strlen(buf) == v->via.str.size);
		else
			FUZZ_CHECK(buf[0] == '\0');
		(void)dtp_get_uint(v, &u);
		(void)dtp_get_bool(v, &b);
	}
	(void)dtp_map_get(map, "name");
	(void)dtp_map_get(map, "");
}

/* Decodes one payload both ways; frees everything. */
static void
payload(const uint8_t *p, size_t len)
{
	char err[160];
	dtp_decode_rc rc;
	dtp_msg m;
	bool shape;

	memset(err, ERR_FILL, sizeof(err));
	shape = dtp_check_shape(p, len, err, sizeof(err));
	if (!shape)
		check_err(err, sizeof(err));

	memset(err, ERR_FILL, sizeof(err));
	rc = dtp_decode_request(p, len, &m, err, sizeof(err));
	check_err(err, sizeof(err));
	/* the shape check comes first, and alone decides BAD_FRAME for a
	 * payload that is not one value within the limits */
	FUZZ_CHECK(shape || rc == DTP_DECODE_BAD_FRAME);
	/* whatever decodes is within the protocol's limits (PROTOCOL.md §1) */
	if (rc == DTP_DECODE_OK || rc == DTP_DECODE_BAD_MSG)
		FUZZ_CHECK(obj_depth(&m.up.data) <= DTP_DEPTH_MAX);
	switch (rc) {
	case DTP_DECODE_OK:
		read_members(m.args);
		request_roundtrip(&m);
		break;
	case DTP_DECODE_BAD_MSG:
		/* conn.c answers under m.id: it must be a real id */
		FUZZ_CHECK(m.id != 0 && err[0] != '\0');
		break;
	case DTP_DECODE_BAD_FRAME:
		FUZZ_CHECK(err[0] != '\0');
		break;
	case DTP_DECODE_NOMEM:
		break;
	}
	dtp_msg_free(&m);
	dtp_msg_free(&m); /* documented as safe twice */

	memset(err, ERR_FILL, sizeof(err));
	rc = dtp_decode_reply(p, len, &m, err, sizeof(err));
	check_err(err, sizeof(err));
	FUZZ_CHECK(rc != DTP_DECODE_BAD_MSG);
	FUZZ_CHECK(shape || rc == DTP_DECODE_BAD_FRAME);
	if (rc == DTP_DECODE_OK) {
		read_members(m.ok ? m.result : m.error);
		reply_roundtrip(&m);
	}
	dtp_msg_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	/* conn.c's read loop: one frame after another until the stream is
	 * incomplete or broken */
	while (size - pos >= DTP_HEADER_LEN) {
		uint32_t len = 0, small = 0;
		dtp_frame_rc frc;

		frc = dtp_frame_check(data + pos, size - pos, FUZZ_MAX_FRAME,
		    &len);
		if (frc != DTP_FRAME_OK) {
			FUZZ_CHECK(frc == DTP_FRAME_BADLEN);
			break;
		}
		FUZZ_CHECK(len >= 1 && len <= FUZZ_MAX_FRAME);
		/* a smaller limit refuses exactly the longer frames */
		frc = dtp_frame_check(data + pos, DTP_HEADER_LEN, 64, &small);
		FUZZ_CHECK(len <= 64 ? frc == DTP_FRAME_OK && small == len :
		    frc == DTP_FRAME_BADLEN);
		if (len > size - pos - DTP_HEADER_LEN)
			break; /* the daemon would wait for the rest */
		payload(data + pos + DTP_HEADER_LEN, len);
		pos += DTP_HEADER_LEN + len;
	}
	FUZZ_CHECK(dtp_frame_check(data, size < 3 ? size : 3, 0, NULL) ==
	    DTP_FRAME_MORE);
	/* the whole input as one payload too, so that mutations of the
	 * message itself need not keep a header right */
	if (size > 0)
		payload(data, size);
	return 0;
}
