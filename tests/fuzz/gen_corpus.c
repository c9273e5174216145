/* SPDX-License-Identifier: MIT */
/*
 * gen_corpus: writes the generated seeds of the fuzz corpora.
 *
 *   gen_corpus DIR     (DIR is tests/fuzz/corpus)
 *
 * Reads the JSON seeds in DIR/fuzz_json (real DynamoDB and dynalite
 * answers, CreateTableInput documents) and writes, with the real encoder:
 *   DIR/fuzz_request/  byte streams of frames as a client sends them (and
 *                      reply frames, which fuzz_request decodes too), plus
 *                      hand-made payloads just inside and outside the
 *                      limits (nesting, types);
 *   DIR/fuzz_result/   reply payloads (no header) as the daemon answers
 *                      each operation.
 * Existing files of the same name are replaced; nothing else is touched.
 * Output is deterministic, so a rerun changes nothing unless the encoder
 * or the JSON seeds did.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dtp.h"
#include "dtp_json.h"

static const char *top;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen_corpus: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
write_file(const char *sub, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", top, sub, name);
	if ((f = fopen(path, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die("%s: write failed", path);
}

static json_t *
load(const char *name)
{
	char path[4096];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/fuzz_json/%s", top, name);
	if ((j = json_load_file(path, 0, &jerr)) == NULL)
		die("%s: %s", path, jerr.text);
	return j;
}

/* A growing byte string: a stream of frames. */
struct buf {
	char *data;
	size_t len;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	char *nd = realloc(b->data, b->len + n);

	if (nd == NULL)
		die("out of memory");
	memcpy(nd + b->len, p, n);
	b->data = nd;
	b->len += n;
}

/* Finishes e and appends the frame to b (when b is not NULL). Writes the
 * frame to fuzz_request/req_name and its payload to fuzz_result/res_name
 * (each when not NULL). */
static void
emit(dtp_enc *e, struct buf *b, const char *req_name, const char *res_name)
{
	char *frame;
	size_t len;

	if (dtp_enc_finish(e, &frame, &len) != 0)
		die("the encoder refused %s", req_name ? req_name : res_name);
	dtp_enc_free(e);
	if (b != NULL)
		buf_add(b, frame, len);
	if (req_name != NULL)
		write_file("fuzz_request", req_name, frame, len);
	if (res_name != NULL)
		write_file("fuzz_result", res_name, frame + DTP_HEADER_LEN,
		    len - DTP_HEADER_LEN);
	free(frame);
}

/* A payload packed by hand, written as one frame to fuzz_request. */
static void
emit_raw(const char *name, const msgpack_sbuffer *sb)
{
	unsigned char hdr[DTP_HEADER_LEN];
	struct buf b = { NULL, 0 };

	hdr[0] = (unsigned char)(sb->size >> 24);
	hdr[1] = (unsigned char)(sb->size >> 16);
	hdr[2] = (unsigned char)(sb->size >> 8);
	hdr[3] = (unsigned char)sb->size;
	buf_add(&b, hdr, sizeof(hdr));
	buf_add(&b, sb->data, sb->size);
	write_file("fuzz_request", name, b.data, b.len);
	free(b.data);
}

static void
pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* ---- requests ------------------------------------------------------------ */

static void
hello(dtp_enc *e, uint32_t id)
{
	dtp_enc_init(e);
	dtp_enc_request(e, id, DTP_OP_HELLO, 3);
	dtp_pack_kv_uint(e, "major", DTP_VERSION_MAJOR);
	dtp_pack_kv_uint(e, "minor", DTP_VERSION_MINOR);
	dtp_pack_kv_str(e, "client", "gen_corpus");
}

static void
gen_requests(void)
{
	static const char *const creates[] = { "create-input-simple.json",
		"create-input-full.json", "create-input-ondemand-gsi.json",
		"create-input-invalid.json" };
	struct buf session = { NULL, 0 };
	dtp_enc e;
	char name[128];

	hello(&e, 1);
	emit(&e, &session, "req-hello", NULL);

	/* every operation without arguments (most refuse that) */
	for (unsigned op = 0; op < DTP_OP_COUNT; op++) {
		dtp_enc_init(&e);
		dtp_enc_request(&e, 100 + op, (dtp_op)op, 0);
		snprintf(name, sizeof(name), "req-op-%s", dtp_op_name(op));
		emit(&e, NULL, name, NULL);
	}
	dtp_enc_init(&e);
	dtp_enc_request(&e, 2, DTP_OP_DESCRIBE_TABLE, 1);
	dtp_pack_kv_str(&e, "name", "users");
	emit(&e, &session, "req-describe", NULL);

	dtp_enc_init(&e);
	dtp_enc_request(&e, 3, DTP_OP_TABLE_EXISTS, 1);
	dtp_pack_kv_str(&e, "name", "users");
	emit(&e, &session, "req-exists", NULL);

	dtp_enc_init(&e);
	dtp_enc_request(&e, 4, DTP_OP_DELETE_TABLE, 3);
	dtp_pack_kv_str(&e, "name", "orders.v2");
	dtp_pack_kv_bool(&e, "wait", true);
	dtp_pack_kv_uint(&e, "timeout_ms", 30000);
	emit(&e, &session, "req-delete-wait", NULL);

	dtp_enc_init(&e);
	dtp_enc_request(&e, 5, DTP_OP_WAIT_TABLE_ACTIVE, 2);
	dtp_pack_kv_str(&e, "name", "users");
	dtp_pack_kv_uint(&e, "timeout_ms", 4294967295u);
	emit(&e, &session, "req-wait-active", NULL);

	dtp_enc_init(&e);
	dtp_enc_request(&e, 4294967295u, DTP_OP_WAIT_TABLE_DELETED, 1);
	dtp_pack_kv_str(&e, "name", "users");
	emit(&e, &session, "req-wait-deleted", NULL);

	for (size_t i = 0; i < sizeof(creates) / sizeof(creates[0]); i++) {
		json_t *j = load(creates[i]);

		dtp_enc_init(&e);
		dtp_enc_request(&e, (uint32_t)(10 + i), DTP_OP_CREATE_TABLE, 2);
		dtp_pack_cstr(&e, "table");
		if (dtp_pack_json(&e, j) != 0)
			die("cannot pack %s", creates[i]);
		dtp_pack_kv_bool(&e, "wait", i % 2 == 0);
		snprintf(name, sizeof(name), "req-create-%.*s",
		    (int)(strlen(creates[i]) - strlen("create-input-.json")),
		    creates[i] + strlen("create-input-"));
		emit(&e, &session, name, NULL);
		json_decref(j);
	}

	dtp_enc_init(&e);
	dtp_enc_request(&e, 6, DTP_OP_LIST_TABLES, 0);
	emit(&e, &session, "req-list", NULL);

	/* a whole session in one stream, as conn.c reads it */
	write_file("fuzz_request", "stream-session", session.data,
	    session.len);
	free(session.data);
}

/* Payloads the encoder would not make: limits and wrong types. */
static void
gen_raw(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	/* nesting: 32 containers pass, 33 do not (PROTOCOL.md §1) */
	for (int levels = 32; levels <= 33; levels++) {
		char name[32];

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 3);
		pk_str(&pk, "id");
		msgpack_pack_uint32(&pk, 9);
		pk_str(&pk, "op");
		pk_str(&pk, "list_tables");
		pk_str(&pk, "args");
		for (int i = 2; i < levels; i++) {
			msgpack_pack_map(&pk, 1);
			pk_str(&pk, "a");
		}
		msgpack_pack_map(&pk, 0);
		snprintf(name, sizeof(name), "raw-depth-%d", levels);
		emit_raw(name, &sb);
		msgpack_sbuffer_destroy(&sb);
	}

	/* every msgpack type in args, long forms included */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "id");
	msgpack_pack_uint64(&pk, 77);
	pk_str(&pk, "op");
	pk_str(&pk, "create_table");
	pk_str(&pk, "args");
	msgpack_pack_map(&pk, 1);
	pk_str(&pk, "table");
	msgpack_pack_map(&pk, 10);
	pk_str(&pk, "nil");
	msgpack_pack_nil(&pk);
	pk_str(&pk, "true");
	msgpack_pack_true(&pk);
	pk_str(&pk, "neg");
	msgpack_pack_int64(&pk, -9223372036854775807LL - 1);
	pk_str(&pk, "big");
	msgpack_pack_uint64(&pk, 18446744073709551615ULL);
	pk_str(&pk, "f32");
	msgpack_pack_float(&pk, 1.5f);
	pk_str(&pk, "f64");
	msgpack_pack_double(&pk, -0.0);
	pk_str(&pk, "utf8");
	pk_str(&pk, "caf\xc3\xa9 \xf0\x9f\x8d\xb0");
	pk_str(&pk, "arr16");
	msgpack_pack_array(&pk, 16);
	for (int i = 0; i < 16; i++)
		msgpack_pack_int(&pk, i - 8);
	pk_str(&pk, "map16");
	msgpack_pack_map(&pk, 16);
	for (int i = 0; i < 16; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i);
		pk_str(&pk, k);
		msgpack_pack_int(&pk, i * 1000);
	}
	pk_str(&pk, "str8");
	msgpack_pack_str(&pk, 40);
	msgpack_pack_str_body(&pk, "0123456789012345678901234567890123456789",
	    40);
	emit_raw("raw-types", &sb);
	msgpack_sbuffer_destroy(&sb);

	/* wrong types: top-level array, id as str, args as array, op as int */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint32(&pk, 1);
	pk_str(&pk, "hello");
	emit_raw("raw-top-array", &sb);
	msgpack_sbuffer_destroy(&sb);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "id");
	pk_str(&pk, "1");
	pk_str(&pk, "op");
	msgpack_pack_uint32(&pk, 4);
	pk_str(&pk, "args");
	msgpack_pack_array(&pk, 0);
	emit_raw("raw-wrong-types", &sb);
	msgpack_sbuffer_destroy(&sb);

	/* unknown op and unknown key, with a valid id */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "id");
	msgpack_pack_uint32(&pk, 12);
	pk_str(&pk, "op");
	pk_str(&pk, "drop_everything");
	pk_str(&pk, "extra");
	msgpack_pack_nil(&pk);
	emit_raw("raw-unknown-op", &sb);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- replies ------------------------------------------------------------- */

/* {"table": desc} under id, to both corpora. */
static void
reply_table(uint32_t id, const char *file, const char *member)
{
	json_t *j = load(file), *desc = json_object_get(j, member);
	char name[128];
	dtp_enc e;

	if (desc == NULL)
		die("%s has no %s", file, member);
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, id, 1);
	dtp_pack_cstr(&e, "table");
	if (dtp_pack_json(&e, desc) != 0)
		die("cannot pack %s", file);
	snprintf(name, sizeof(name), "reply-table-%.*s",
	    (int)(strlen(file) - strlen(".json")), file);
	emit(&e, NULL, name, name);
	json_decref(j);
}

static void
gen_replies(void)
{
	json_t *list = load("aws-list-tables-page.json");
	json_t *names = json_object_get(list, "TableNames");
	dtp_enc e;

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 1, 6);
	dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR);
	dtp_pack_kv_uint(&e, "minor", DTP_VERSION_MINOR);
	dtp_pack_kv_str(&e, "server", "dyntabled 0.1.0");
	dtp_pack_kv_uint(&e, "max_frame", 1u << 20);
	dtp_pack_kv_uint(&e, "max_inflight", 256);
	dtp_pack_kv_uint(&e, "protocol_frame_max", DTP_FRAME_MAX);
	emit(&e, NULL, "reply-hello", "reply-hello");

	reply_table(2, "aws-describe-table.json", "Table");
	reply_table(3, "dynalite-describe-reply.json", "Table");
	reply_table(4, "aws-create-table-reply.json", "TableDescription");
	reply_table(5, "dynalite-create-reply.json", "TableDescription");
	reply_table(6, "dynalite-delete-reply.json", "TableDescription");

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 7, 1);
	dtp_pack_cstr(&e, "tables");
	if (dtp_pack_json(&e, names) != 0)
		die("cannot pack the table names");
	emit(&e, NULL, "reply-list", "reply-list");
	json_decref(list);

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 8, 2);
	dtp_pack_kv_bool(&e, "exists", true);
	dtp_pack_kv_str(&e, "status", "ACTIVE");
	emit(&e, NULL, "reply-exists", "reply-exists");

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 9, 1);
	dtp_pack_kv_bool(&e, "exists", false);
	emit(&e, NULL, NULL, "reply-exists-not");

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, 10, 0);
	emit(&e, NULL, NULL, "reply-empty");

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 11, DTP_E_NOT_FOUND,
	    "ResourceNotFoundException",
	    "Requested resource not found: Table: nope not found");
	emit(&e, NULL, "reply-error-aws", "reply-error-aws");

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 12, DTP_E_TIMEOUT, NULL,
	    "table users is not ACTIVE after 60000 ms");
	emit(&e, NULL, NULL, "reply-error-timeout");

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 0, DTP_E_PROTOCOL, NULL,
	    "bad frame length (limit 1048576 bytes)");
	emit(&e, NULL, "reply-error-protocol", "reply-error-protocol");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR (tests/fuzz/corpus)\n");
		return 2;
	}
	top = argv[1];
	gen_requests();
	gen_raw();
	gen_replies();
	return 0;
}
