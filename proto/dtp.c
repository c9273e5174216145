/* SPDX-License-Identifier: MIT */
/*
 * dtp: the dyntable wire protocol codec. See dtp.h and PROTOCOL.md.
 *
 * Pure functions only: no I/O, no mutable globals, no printing.
 */
#include "dtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names --------------------------------------------------------------- */

static const char *const op_names[DTP_OP_COUNT] = {
#define DTP_OP_NAME(e, name, args, flags, handler) [DTP_OP_##e] = #name,
	DTP_OPS(DTP_OP_NAME)
#undef DTP_OP_NAME
};

static const char *const err_names[DTP_E_COUNT] = {
	[DTP_OK] = "OK",
	[DTP_E_PROTOCOL] = "PROTOCOL",
	[DTP_E_VERSION] = "VERSION",
	[DTP_E_INVALID] = "INVALID",
	[DTP_E_NOT_FOUND] = "NOT_FOUND",
	[DTP_E_IN_USE] = "IN_USE",
	[DTP_E_TIMEOUT] = "TIMEOUT",
	[DTP_E_AWS] = "AWS",
	[DTP_E_UPSTREAM] = "UPSTREAM",
	[DTP_E_CREDENTIALS] = "CREDENTIALS",
	[DTP_E_LIMIT] = "LIMIT",
	[DTP_E_SHUTDOWN] = "SHUTDOWN",
	[DTP_E_DENIED] = "DENIED",
	[DTP_E_INTERNAL] = "INTERNAL",
};

const char *
dtp_op_name(dtp_op op)
{
	if ((unsigned)op >= DTP_OP_COUNT)
		return "?";
	return op_names[op];
}

/* Exact match of len bytes against the wire names; no prefix matches. */
bool
dtp_op_lookup(const char *name, size_t len, dtp_op *out)
{
	if (name == NULL)
		return false;
	for (unsigned i = 0; i < DTP_OP_COUNT; i++) {
		if (strlen(op_names[i]) == len &&
		    memcmp(op_names[i], name, len) == 0) {
			if (out != NULL)
				*out = (dtp_op)i;
			return true;
		}
	}
	return false;
}

const char *
dtp_err_name(dtp_err code)
{
	if ((unsigned)code >= DTP_E_COUNT)
		return "?";
	return err_names[code];
}

/* ---- small helpers ------------------------------------------------------- */

/* snprintf into err when there is room; err may be NULL or errlen 0. */
static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Copies untrusted bytes into dst (size bytes, NUL-terminated) for an error
 * message: printable ASCII only (others become '?'), at most 32 bytes, "..."
 * when cut.
 */
static void
clean_copy(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = 0, max = len > 32 ? 32 : len;

	if (size == 0)
		return;
	/* cppcheck-suppress knownConditionTrueFalse ; false positive, len
	 * comes from the frame (cppcheck 2.10 assumes 0) */
	for (size_t i = 0; i < max && n + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[n++] = (char)((c >= 0x20 && c < 0x7f && c != '"') ? c : '?');
	}
	/* cppcheck-suppress knownConditionTrueFalse ; as above */
	if (max < len) {
		for (int i = 0; i < 3 && n + 1 < size; i++)
			dst[n++] = '.';
	}
	dst[n] = '\0';
}

static uint32_t
rd_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint16_t
rd_be16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/* ---- framing ------------------------------------------------------------- */

/*
 * max 0 or above DTP_FRAME_MAX means DTP_FRAME_MAX. Reads only the first
 * DTP_HEADER_LEN bytes; *payload_len is set only on DTP_FRAME_OK.
 */
dtp_frame_rc
dtp_frame_check(const void *buf, size_t avail, uint32_t max,
    uint32_t *payload_len)
{
	uint32_t n;

	if (buf == NULL || avail < DTP_HEADER_LEN)
		return DTP_FRAME_MORE;
	if (max == 0 || max > DTP_FRAME_MAX)
		max = DTP_FRAME_MAX;
	n = rd_be32(buf);
	if (n == 0 || n > max)
		return DTP_FRAME_BADLEN;
	if (payload_len != NULL)
		*payload_len = n;
	return DTP_FRAME_OK;
}

/* ---- encoding ------------------------------------------------------------ */

/*
 * The packer's write callback: appends to e->sb, remembers the first
 * failure in e->failed and refuses anything once failed or once the frame
 * would exceed the protocol limit (so a runaway encoder cannot grow
 * without bound). The packer keeps a pointer to e: do not move an encoder
 * after dtp_enc_init().
 */
static int
enc_write(void *data, const char *buf, size_t len)
{
	dtp_enc *e = data;

	if (e->failed)
		return -1;
	if (len == 0)
		return 0;
	if (len > (size_t)DTP_HEADER_LEN + DTP_FRAME_MAX - e->sb.size ||
	    msgpack_sbuffer_write(&e->sb, buf, len) != 0) {
		e->failed = true;
		return -1;
	}
	return 0;
}

/* The sbuffer starts with DTP_HEADER_LEN zero bytes, filled by finish. */
void
dtp_enc_init(dtp_enc *e)
{
	static const char hdr[DTP_HEADER_LEN];

	msgpack_sbuffer_init(&e->sb);
	e->failed = false;
	msgpack_packer_init(&e->pk, e, enc_write);
	if (msgpack_sbuffer_write(&e->sb, hdr, sizeof(hdr)) != 0)
		e->failed = true;
}

void
dtp_enc_free(dtp_enc *e)
{
	if (e == NULL)
		return;
	msgpack_sbuffer_destroy(&e->sb);
	msgpack_sbuffer_init(&e->sb);
}

/* Packs len bytes as a msgpack str. */
static void
pack_strn(dtp_enc *e, const char *s, size_t len)
{
	if (len > UINT32_MAX) {
		e->failed = true;
		return;
	}
	msgpack_pack_str(&e->pk, len);
	msgpack_pack_str_body(&e->pk, s, len);
}

/* A NULL string cannot be carried: it marks the encoder failed. */
void
dtp_pack_cstr(dtp_enc *e, const char *s)
{
	if (s == NULL) {
		e->failed = true;
		return;
	}
	pack_strn(e, s, strlen(s));
}

void
dtp_pack_kv_str(dtp_enc *e, const char *key, const char *val)
{
	dtp_pack_cstr(e, key);
	dtp_pack_cstr(e, val);
}

void
dtp_pack_kv_uint(dtp_enc *e, const char *key, uint64_t val)
{
	dtp_pack_cstr(e, key);
	msgpack_pack_uint64(&e->pk, val);
}

void
dtp_pack_kv_bool(dtp_enc *e, const char *key, bool val)
{
	dtp_pack_cstr(e, key);
	if (val)
		msgpack_pack_true(&e->pk);
	else
		msgpack_pack_false(&e->pk);
}

/* id 0 and unknown ops are not valid requests: they mark the encoder failed. */
void
dtp_enc_request(dtp_enc *e, uint32_t id, dtp_op op, uint32_t nargs)
{
	if (id == 0 || (unsigned)op >= DTP_OP_COUNT)
		e->failed = true;
	msgpack_pack_map(&e->pk, 3);
	dtp_pack_kv_uint(e, "id", id);
	dtp_pack_kv_str(e, "op", dtp_op_name(op));
	dtp_pack_cstr(e, "args");
	msgpack_pack_map(&e->pk, nargs);
}

void
dtp_enc_reply_ok(dtp_enc *e, uint32_t id, uint32_t nresult)
{
	msgpack_pack_map(&e->pk, 3);
	dtp_pack_kv_uint(e, "id", id);
	dtp_pack_kv_bool(e, "ok", true);
	dtp_pack_cstr(e, "result");
	msgpack_pack_map(&e->pk, nresult);
}

/*
 * {"id", "ok": false, "error": {"code", "name", "message", "aws_type"?}}.
 * code must be a known error (not DTP_OK) and message non-NULL, otherwise
 * the encoder is marked failed.
 */
void
dtp_enc_reply_error(dtp_enc *e, uint32_t id, dtp_err code,
    const char *aws_type, const char *message)
{
	if (code == DTP_OK || (unsigned)code >= DTP_E_COUNT || message == NULL)
		e->failed = true;
	msgpack_pack_map(&e->pk, 3);
	dtp_pack_kv_uint(e, "id", id);
	dtp_pack_kv_bool(e, "ok", false);
	dtp_pack_cstr(e, "error");
	msgpack_pack_map(&e->pk, aws_type != NULL ? 4 : 3);
	dtp_pack_kv_uint(e, "code", (uint64_t)code);
	dtp_pack_kv_str(e, "name", dtp_err_name(code));
	dtp_pack_kv_str(e, "message", message);
	if (aws_type != NULL)
		dtp_pack_kv_str(e, "aws_type", aws_type);
}

/*
 * Fills in the header and hands the buffer over (msgpack_sbuffer_release
 * leaves the encoder empty). Refuses a failed encoder, an empty payload and
 * a payload above DTP_FRAME_MAX; the encoder keeps its buffer then.
 */
int
dtp_enc_finish(dtp_enc *e, char **data, size_t *len)
{
	size_t n;
	unsigned char *p;

	if (e->failed || e->sb.data == NULL || e->sb.size <= DTP_HEADER_LEN)
		return -1;
	n = e->sb.size - DTP_HEADER_LEN;
	if (n > DTP_FRAME_MAX)
		return -1;
	p = (unsigned char *)e->sb.data;
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	*len = e->sb.size;
	*data = msgpack_sbuffer_release(&e->sb);
	return 0;
}

/* ---- shape check --------------------------------------------------------- */

/* One open container in the shape scanner. */
struct shape_level {
	uint64_t left; /* items still expected (a map counts keys and values) */
	bool map;
};

/*
 * Walks the type headers of one msgpack value without building anything.
 * Refuses: truncation, trailing bytes, nesting deeper than DTP_DEPTH_MAX
 * containers (an empty container counts as a level too), a container whose
 * announced items cannot fit in the bytes left (each item needs >= 1 byte),
 * bin and ext, the unused byte 0xc1, and map keys other than str.
 */
bool
dtp_check_shape(const void *payload, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = payload;
	struct shape_level st[DTP_DEPTH_MAX];
	unsigned depth = 0;
	uint64_t pending = 0; /* sum of st[].left */
	size_t pos = 0;

	if (payload == NULL || len == 0) {
		seterr(err, errlen, "empty payload");
		return false;
	}
	for (;;) {
		unsigned char b;
		size_t hdr = 1;	   /* header bytes, type byte included */
		uint64_t body = 0; /* bytes after the header (str, scalars) */
		uint64_t count = 0;
		bool container = false, map = false, str = false;

		if (pos >= len) {
			seterr(err, errlen, "truncated msgpack");
			return false;
		}
		b = p[pos];
		if (b <= 0x7f || b >= 0xe0) {
			/* fixint */
		} else if (b <= 0x8f) {
			container = map = true;
			count = b & 0x0f;
		} else if (b <= 0x9f) {
			container = true;
			count = b & 0x0f;
		} else if (b <= 0xbf) {
			str = true;
			body = b & 0x1f;
		} else {
			switch (b) {
			case 0xc0: case 0xc2: case 0xc3:
				break;
			case 0xc1:
				seterr(err, errlen,
				    "invalid msgpack byte 0xc1");
				return false;
			case 0xc4: case 0xc5: case 0xc6: case 0xc7: case 0xc8:
			case 0xc9: case 0xd4: case 0xd5: case 0xd6: case 0xd7:
			case 0xd8:
				seterr(err, errlen,
				    "bin and ext values are not allowed");
				return false;
			case 0xca: body = 4; break;
			case 0xcb: body = 8; break;
			case 0xcc: case 0xd0: body = 1; break;
			case 0xcd: case 0xd1: body = 2; break;
			case 0xce: case 0xd2: body = 4; break;
			case 0xcf: case 0xd3: body = 8; break;
			case 0xd9: str = true; hdr = 2; break;
			case 0xda: str = true; hdr = 3; break;
			case 0xdb: str = true; hdr = 5; break;
			case 0xdc: container = true; hdr = 3; break;
			case 0xdd: container = true; hdr = 5; break;
			case 0xde: container = map = true; hdr = 3; break;
			case 0xdf: container = map = true; hdr = 5; break;
			default: /* unreachable: every byte is covered above */
				seterr(err, errlen, "invalid msgpack byte");
				return false;
			}
		}
		if (depth > 0 && st[depth - 1].map &&
		    st[depth - 1].left % 2 == 0 && !str) {
			seterr(err, errlen, "map key is not a str");
			return false;
		}
		if (hdr > len - pos) {
			seterr(err, errlen, "truncated msgpack");
			return false;
		}
		/* length fields of str/array/map with an explicit length */
		if (hdr == 2) {
			body = p[pos + 1];
		} else if (hdr == 3) {
			if (container)
				count = rd_be16(p + pos + 1);
			else
				body = rd_be16(p + pos + 1);
		} else if (hdr == 5) {
			if (container)
				count = rd_be32(p + pos + 1);
			else
				body = rd_be32(p + pos + 1);
		}
		pos += hdr;
		if (body > len - pos) {
			seterr(err, errlen, "truncated msgpack");
			return false;
		}
		pos += (size_t)body;

		if (container) {
			uint64_t items = map ? count * 2 : count;

			if (depth >= DTP_DEPTH_MAX) {
				seterr(err, errlen, "nesting deeper than %d",
				    DTP_DEPTH_MAX);
				return false;
			}
			/* bytes left must cover this container's items and
			 * the items its parents still owe; every open level
			 * has one item in progress (the chain down to this
			 * container), which is not owed */
			if (items > len - pos ||
			    items + (pending - depth) > len - pos) {
				seterr(err, errlen, "%s of %llu elements in "
				    "%zu bytes", map ? "map" : "array",
				    (unsigned long long)count, len - pos);
				return false;
			}
			if (items > 0) {
				st[depth].left = items;
				st[depth].map = map;
				depth++;
				pending += items;
				continue;
			}
		}
		/* a value is complete: close every container it completes */
		while (depth > 0) {
			pending--;
			if (--st[depth - 1].left > 0)
				break;
			depth--;
		}
		if (depth == 0)
			break;
	}
	if (pos != len) {
		seterr(err, errlen, "%zu trailing bytes after the message",
		    len - pos);
		return false;
	}
	return true;
}

/* ---- decoding ------------------------------------------------------------ */

/*
 * Resets m (safe to dtp_msg_free whatever happens next), checks the shape,
 * then unpacks into m->up. The objects must outlive the caller's buffer,
 * but msgpack-c's str objects point into the bytes they were unpacked
 * from; so the payload is unpacked from a private copy that the zone frees
 * (a finalizer) when m->up is destroyed.
 */
static dtp_decode_rc
unpack_payload(const void *payload, size_t len, dtp_msg *m, char *err,
    size_t errlen)
{
	char *copy;
	size_t off = 0;
	msgpack_unpack_return ur;

	if (!dtp_check_shape(payload, len, err, errlen))
		return DTP_DECODE_BAD_FRAME;
	copy = malloc(len);
	if (copy == NULL) {
		seterr(err, errlen, "out of memory");
		return DTP_DECODE_NOMEM;
	}
	memcpy(copy, payload, len);
	ur = msgpack_unpack_next(&m->up, copy, len, &off);
	/* msgpack-c creates the zone lazily: a lone scalar or str needs
	 * none, yet a str still points into copy */
	if (ur == MSGPACK_UNPACK_SUCCESS && m->up.zone == NULL) {
		m->up.zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
		if (m->up.zone == NULL)
			ur = MSGPACK_UNPACK_NOMEM_ERROR;
	}
	if (ur != MSGPACK_UNPACK_SUCCESS) {
		free(copy);
		msgpack_unpacked_destroy(&m->up);
		if (ur == MSGPACK_UNPACK_NOMEM_ERROR) {
			seterr(err, errlen, "out of memory");
			return DTP_DECODE_NOMEM;
		}
		seterr(err, errlen, "malformed msgpack");
		return DTP_DECODE_BAD_FRAME;
	}
	if (!msgpack_zone_push_finalizer(m->up.zone, free, copy)) {
		free(copy);
		msgpack_unpacked_destroy(&m->up);
		seterr(err, errlen, "out of memory");
		return DTP_DECODE_NOMEM;
	}
	if (off != len) { /* the shape check makes this impossible */
		seterr(err, errlen, "trailing bytes after the message");
		return DTP_DECODE_BAD_FRAME;
	}
	if (m->up.data.type != MSGPACK_OBJECT_MAP) {
		seterr(err, errlen, "frame is not a msgpack map");
		return DTP_DECODE_BAD_FRAME;
	}
	return DTP_DECODE_OK;
}

/* Zeroes m; op is DTP_OP_COUNT (no operation) until one is recognised. */
static void
msg_reset(dtp_msg *m)
{
	memset(m, 0, sizeof(*m));
	msgpack_unpacked_init(&m->up);
	m->op = DTP_OP_COUNT;
}

/* Reads an id: a uint in [min, UINT32_MAX]. */
static bool
get_id(const msgpack_object *o, uint64_t min, uint32_t *out)
{
	uint64_t v;

	if (!dtp_get_uint(o, &v) || v < min || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Number of keys in map equal to key. */
static unsigned
count_key(const msgpack_object_map *map, const char *key)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < map->size; i++)
		n += dtp_str_eq(&map->ptr[i].key, key);
	return n;
}

dtp_decode_rc
dtp_decode_request(const void *payload, size_t len, dtp_msg *m, char *err,
    size_t errlen)
{
	const msgpack_object_map *map;
	const msgpack_object *op, *args;
	dtp_decode_rc rc;
	char name[40];

	msg_reset(m);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = unpack_payload(payload, len, m, err, errlen);
	if (rc != DTP_DECODE_OK)
		return rc;
	map = &m->up.data.via.map;

	/* the id first: without a trustworthy one nobody can be answered */
	if (count_key(map, "id") > 1) {
		seterr(err, errlen, "duplicate key \"id\"");
		return DTP_DECODE_BAD_FRAME;
	}
	if (dtp_map_get(&m->up.data, "id") == NULL) {
		seterr(err, errlen, "missing id");
		return DTP_DECODE_BAD_FRAME;
	}
	if (!get_id(dtp_map_get(&m->up.data, "id"), 1, &m->id)) {
		seterr(err, errlen, "id is not a uint in 1..4294967295");
		return DTP_DECODE_BAD_FRAME;
	}

	for (uint32_t i = 0; i < map->size; i++) {
		const msgpack_object *k = &map->ptr[i].key;

		if (k->type != MSGPACK_OBJECT_STR) { /* shape check did */
			seterr(err, errlen, "map key is not a str");
			return DTP_DECODE_BAD_FRAME;
		}
		if (dtp_str_eq(k, "id") || dtp_str_eq(k, "op") ||
		    dtp_str_eq(k, "args"))
			continue;
		clean_copy(name, sizeof(name), k->via.str.ptr, k->via.str.size);
		seterr(err, errlen, "unknown key \"%s\"", name);
		return DTP_DECODE_BAD_MSG;
	}
	if (count_key(map, "op") > 1 || count_key(map, "args") > 1) {
		seterr(err, errlen, "duplicate key \"%s\"",
		    count_key(map, "op") > 1 ? "op" : "args");
		return DTP_DECODE_BAD_MSG;
	}

	op = dtp_map_get(&m->up.data, "op");
	if (op == NULL) {
		seterr(err, errlen, "missing op");
		return DTP_DECODE_BAD_MSG;
	}
	if (op->type != MSGPACK_OBJECT_STR) {
		seterr(err, errlen, "op is not a str");
		return DTP_DECODE_BAD_MSG;
	}
	if (!dtp_op_lookup(op->via.str.ptr, op->via.str.size, &m->op)) {
		clean_copy(name, sizeof(name), op->via.str.ptr,
		    op->via.str.size);
		seterr(err, errlen, "unknown op \"%s\"", name);
		return DTP_DECODE_BAD_MSG;
	}
	args = dtp_map_get(&m->up.data, "args");
	if (args != NULL && args->type != MSGPACK_OBJECT_MAP) {
		seterr(err, errlen, "args is not a map");
		return DTP_DECODE_BAD_MSG;
	}
	m->args = args;
	return DTP_DECODE_OK;
}

/*
 * Any defect is BAD_FRAME. Unknown keys are ignored (PROTOCOL.md §2); the
 * known ones must have their type, and appear once. An error code must be
 * non-zero and fit in an int; unknown codes are kept as they are.
 */
dtp_decode_rc
dtp_decode_reply(const void *payload, size_t len, dtp_msg *m, char *err,
    size_t errlen)
{
	static const char *const top_keys[] = { "id", "ok", "result", "error" };
	static const char *const err_keys[] = { "code", "name", "message",
		"aws_type" };
	const msgpack_object *o;
	dtp_decode_rc rc;
	uint64_t code;

	msg_reset(m);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = unpack_payload(payload, len, m, err, errlen);
	if (rc != DTP_DECODE_OK)
		return rc;
	for (size_t i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++) {
		if (count_key(&m->up.data.via.map, top_keys[i]) > 1) {
			seterr(err, errlen, "duplicate key \"%s\"",
			    top_keys[i]);
			return DTP_DECODE_BAD_FRAME;
		}
	}
	o = dtp_map_get(&m->up.data, "id");
	if (o == NULL || !get_id(o, 0, &m->id)) {
		m->id = 0;
		seterr(err, errlen, "%s", o == NULL ? "missing id" :
		    "id is not a uint in 0..4294967295");
		return DTP_DECODE_BAD_FRAME;
	}
	o = dtp_map_get(&m->up.data, "ok");
	if (o == NULL || !dtp_get_bool(o, &m->ok)) {
		seterr(err, errlen, "%s", o == NULL ? "missing ok" :
		    "ok is not a bool");
		return DTP_DECODE_BAD_FRAME;
	}
	if (m->ok) {
		o = dtp_map_get(&m->up.data, "result");
		if (o == NULL || o->type != MSGPACK_OBJECT_MAP) {
			seterr(err, errlen, "%s", o == NULL ? "missing result" :
			    "result is not a map");
			return DTP_DECODE_BAD_FRAME;
		}
		m->result = o;
		return DTP_DECODE_OK;
	}

	o = dtp_map_get(&m->up.data, "error");
	if (o == NULL || o->type != MSGPACK_OBJECT_MAP) {
		seterr(err, errlen, "%s", o == NULL ? "missing error" :
		    "error is not a map");
		return DTP_DECODE_BAD_FRAME;
	}
	for (size_t i = 0; i < sizeof(err_keys) / sizeof(err_keys[0]); i++) {
		if (count_key(&o->via.map, err_keys[i]) > 1) {
			seterr(err, errlen, "duplicate key \"error.%s\"",
			    err_keys[i]);
			return DTP_DECODE_BAD_FRAME;
		}
	}
	if (!dtp_get_uint(dtp_map_get(o, "code"), &code) || code == 0 ||
	    code > INT32_MAX) {
		seterr(err, errlen, "error.code is not a uint in 1..%d",
		    INT32_MAX);
		return DTP_DECODE_BAD_FRAME;
	}
	if (dtp_map_get(o, "message") == NULL ||
	    dtp_map_get(o, "message")->type != MSGPACK_OBJECT_STR) {
		seterr(err, errlen, "error.message is not a str");
		return DTP_DECODE_BAD_FRAME;
	}
	if (dtp_map_get(o, "name") != NULL &&
	    dtp_map_get(o, "name")->type != MSGPACK_OBJECT_STR) {
		seterr(err, errlen, "error.name is not a str");
		return DTP_DECODE_BAD_FRAME;
	}
	if (dtp_map_get(o, "aws_type") != NULL &&
	    dtp_map_get(o, "aws_type")->type != MSGPACK_OBJECT_STR) {
		seterr(err, errlen, "error.aws_type is not a str");
		return DTP_DECODE_BAD_FRAME;
	}
	m->err_code = (dtp_err)code;
	m->error = o;
	return DTP_DECODE_OK;
}

/* Safe on a message in any state after a dtp_decode_* call (and twice). */
void
dtp_msg_free(dtp_msg *m)
{
	if (m == NULL)
		return;
	msgpack_unpacked_destroy(&m->up);
	msg_reset(m);
}

/* ---- reading objects ----------------------------------------------------- */

/* Linear scan; the first key equal (length and bytes) to key wins. */
const msgpack_object *
dtp_map_get(const msgpack_object *map, const char *key)
{
	size_t klen;

	if (map == NULL || key == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	klen = strlen(key);
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
		    (klen == 0 || memcmp(k->via.str.ptr, key, klen) == 0))
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

bool
dtp_str_eq(const msgpack_object *o, const char *s)
{
	size_t n;

	if (o == NULL || s == NULL || o->type != MSGPACK_OBJECT_STR)
		return false;
	n = strlen(s);
	return o->via.str.size == n &&
	    (n == 0 || memcmp(o->via.str.ptr, s, n) == 0);
}

/* True if o is a str without NUL bytes. */
static bool
str_clean(const msgpack_object *o)
{
	return o != NULL && o->type == MSGPACK_OBJECT_STR &&
	    (o->via.str.size == 0 ||
		memchr(o->via.str.ptr, '\0', o->via.str.size) == NULL);
}

/* malloc'd copy; the caller frees it. */
char *
dtp_strdup(const msgpack_object *o)
{
	char *s;

	if (!str_clean(o))
		return NULL;
	s = malloc((size_t)o->via.str.size + 1);
	if (s == NULL)
		return NULL;
	if (o->via.str.size > 0)
		memcpy(s, o->via.str.ptr, o->via.str.size);
	s[o->via.str.size] = '\0';
	return s;
}

/* buf is left an empty string on failure (when size > 0). */
bool
dtp_strcpy(const msgpack_object *o, char *buf, size_t size)
{
	if (buf == NULL || size == 0)
		return false;
	buf[0] = '\0';
	if (!str_clean(o) || o->via.str.size >= size)
		return false;
	if (o->via.str.size > 0)
		memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	return true;
}

/* msgpack-c decodes every non-negative integer as POSITIVE_INTEGER. */
bool
dtp_get_uint(const msgpack_object *o, uint64_t *out)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	if (out != NULL)
		*out = o->via.u64;
	return true;
}

bool
dtp_get_bool(const msgpack_object *o, bool *out)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
		return false;
	if (out != NULL)
		*out = o->via.boolean;
	return true;
}
