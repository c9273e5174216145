/* SPDX-License-Identifier: MIT */
/*
 * dtp: the dyntable wire protocol codec (proto/PROTOCOL.md).
 *
 * Shared by dyntabled and libdyntable. Pure: no I/O, no event loop, no
 * globals. It frames, encodes and decodes; what the messages mean is the
 * business of the daemon's ops and the client library.
 *
 * Decoding is two steps, as PROTOCOL.md requires: dtp_frame_check() looks
 * at the 4-byte header and refuses a bad length before the caller buffers
 * anything, then dtp_decode() checks the payload's shape against hard
 * limits (depth, element counts that cannot exceed the bytes present)
 * before msgpack-c allocates anything (msgpack-c issue #1013: an array
 * header claiming 2^32 elements would otherwise allocate that many objects).
 */
#ifndef DTP_H
#define DTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "dtp_ops.h"

#define DTP_VERSION_MAJOR 1
#define DTP_VERSION_MINOR 2

#define DTP_HEADER_LEN 4
#define DTP_FRAME_MAX  (4u << 20) /* hard protocol limit on a payload */
#define DTP_DEPTH_MAX  32         /* containers nested in one message */

/* Operations (dtp_ops.h). DTP_OP_COUNT is not an operation. Names in
 * dtp_op_name(). */
typedef enum dtp_op {
#define DTP_OP_ENUM(e, name, args, flags, handler) DTP_OP_##e,
	DTP_OPS(DTP_OP_ENUM)
#undef DTP_OP_ENUM
	DTP_OP_COUNT
} dtp_op;

/* Error codes on the wire (PROTOCOL.md §4). Numbers are stable. */
typedef enum dtp_err {
	DTP_OK = 0,
	DTP_E_PROTOCOL = 1,
	DTP_E_VERSION = 2,
	DTP_E_INVALID = 3,
	DTP_E_NOT_FOUND = 4,
	DTP_E_IN_USE = 5,
	DTP_E_TIMEOUT = 6,
	DTP_E_AWS = 7,
	DTP_E_UPSTREAM = 8,
	DTP_E_CREDENTIALS = 9,
	DTP_E_LIMIT = 10,
	DTP_E_SHUTDOWN = 11,
	DTP_E_DENIED = 12,
	DTP_E_INTERNAL = 13,
	DTP_E_COUNT
} dtp_err;

const char *dtp_op_name(dtp_op op); /* "create_table"; "?" if out of range */
/* Looks an operation up by its wire name (len bytes, not NUL-terminated). */
bool dtp_op_lookup(const char *name, size_t len, dtp_op *out);
const char *dtp_err_name(dtp_err code); /* "NOT_FOUND"; "?" if unknown */

/* ---- framing ---------------------------------------------------------- */

typedef enum dtp_frame_rc {
	DTP_FRAME_OK,	  /* header complete; *payload_len set, within limits */
	DTP_FRAME_MORE,	  /* fewer than DTP_HEADER_LEN bytes available */
	DTP_FRAME_BADLEN, /* length 0, or above max: the stream is broken */
} dtp_frame_rc;

/*
 * Reads the frame header at buf (avail bytes available). max is the
 * receiver's limit, at most DTP_FRAME_MAX; 0 means DTP_FRAME_MAX. Never
 * looks past the header.
 */
dtp_frame_rc dtp_frame_check(const void *buf, size_t avail, uint32_t max,
    uint32_t *payload_len);

/* ---- encoding ---------------------------------------------------------- */

/*
 * An encoder builds one frame: header placeholder, then the msgpack map.
 * Use the packer directly for values (msgpack_pack_*), with the helpers
 * below for the common shapes. Allocation failures are remembered in
 * `failed` and reported by dtp_enc_finish(), so callers need not check
 * every pack call. The packer points at the encoder: do not copy or move
 * a dtp_enc after dtp_enc_init().
 */
typedef struct dtp_enc {
	msgpack_sbuffer sb; /* the frame, header included */
	msgpack_packer pk;  /* writes into sb */
	bool failed;	    /* a write failed (out of memory) */
} dtp_enc;

void dtp_enc_init(dtp_enc *e); /* empty frame with header placeholder */
void dtp_enc_free(dtp_enc *e); /* frees the buffer unless taken */

/* {"id": id, "op": name(op), "args": <map of nargs pairs follows>} */
void dtp_enc_request(dtp_enc *e, uint32_t id, dtp_op op, uint32_t nargs);
/* {"id": id, "ok": true, "result": <map of nresult pairs follows>} */
void dtp_enc_reply_ok(dtp_enc *e, uint32_t id, uint32_t nresult);
/* A whole error reply. aws_type may be NULL; message may not. */
void dtp_enc_reply_error(dtp_enc *e, uint32_t id, dtp_err code,
    const char *aws_type, const char *message);

/* Helpers: a NUL-terminated string, and key/value pairs. */
void dtp_pack_cstr(dtp_enc *e, const char *s);
void dtp_pack_kv_str(dtp_enc *e, const char *key, const char *val);
void dtp_pack_kv_uint(dtp_enc *e, const char *key, uint64_t val);
void dtp_pack_kv_bool(dtp_enc *e, const char *key, bool val);

/*
 * Writes the payload length into the header. On success the frame is
 * *data (malloc'd, ownership passes to the caller, the encoder is left
 * empty) of *len bytes, and 0 is returned. Returns -1 if a write failed or
 * the payload exceeds DTP_FRAME_MAX; the encoder must still be freed.
 */
int dtp_enc_finish(dtp_enc *e, char **data, size_t *len);

/* ---- decoding ---------------------------------------------------------- */

/*
 * A decoded message. The payload is copied, so the caller's buffer may be
 * reused at once; the msgpack objects live in `up` and are valid until
 * dtp_msg_free(). Strings inside are not NUL-terminated: use the getters.
 */
typedef struct dtp_msg {
	msgpack_unpacked up;	      /* owns every object below */
	uint32_t id;		      /* 0 if absent or bad (then rc != OK) */
	/* requests */
	dtp_op op;		      /* valid when the op name was known,
					 else DTP_OP_COUNT */
	const msgpack_object *args;   /* a map, or NULL when absent */
	/* replies */
	bool ok;
	const msgpack_object *result; /* a map when ok, else NULL */
	dtp_err err_code;	      /* when !ok */
	const msgpack_object *error;  /* the error map when !ok */
} dtp_msg;

typedef enum dtp_decode_rc {
	DTP_DECODE_OK,
	DTP_DECODE_BAD_FRAME, /* not trustworthy: reply with id 0 and close */
	DTP_DECODE_BAD_MSG,   /* well-formed, id known, but op or fields bad:
				 answer under msg->id, keep the connection */
	DTP_DECODE_NOMEM,
} dtp_decode_rc;

/*
 * Decodes one request payload (without its header). On any rc other than
 * OK, err (errlen bytes, may be 0) holds a one-line reason for the peer,
 * and the message must still be released with dtp_msg_free().
 */
dtp_decode_rc dtp_decode_request(const void *payload, size_t len, dtp_msg *m,
    char *err, size_t errlen);
/* Same for a reply. BAD_MSG is not used: any defect is BAD_FRAME. */
dtp_decode_rc dtp_decode_reply(const void *payload, size_t len, dtp_msg *m,
    char *err, size_t errlen);
void dtp_msg_free(dtp_msg *m);

/*
 * Checks that payload is a single msgpack value within the limits above.
 * Exposed for tests; dtp_decode_* call it first.
 */
bool dtp_check_shape(const void *payload, size_t len, char *err,
    size_t errlen);

/* ---- reading objects ---------------------------------------------------- */

/* Value for key in map, or NULL when absent or map is not a map. */
const msgpack_object *dtp_map_get(const msgpack_object *map, const char *key);
/* True if o is a str equal to s. */
bool dtp_str_eq(const msgpack_object *o, const char *s);
/* malloc'd NUL-terminated copy of a str object; NULL if not a str, if it
 * holds a NUL byte, or out of memory. */
char *dtp_strdup(const msgpack_object *o);
/* Copies a str object into buf (size bytes, NUL-terminated). Returns false
 * if o is not a str, holds a NUL byte or does not fit. */
bool dtp_strcpy(const msgpack_object *o, char *buf, size_t size);
/* Reads a non-negative integer; false if o is not one. */
bool dtp_get_uint(const msgpack_object *o, uint64_t *out);
bool dtp_get_bool(const msgpack_object *o, bool *out);

#endif /* DTP_H */
