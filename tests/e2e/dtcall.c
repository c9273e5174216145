/* SPDX-License-Identifier: MIT */
/*
 * dtcall: one protocol request (or a series) to dyntabled, replies as JSON
 * lines. A test tool built on the codec alone (proto/), so that shell
 * tests need neither libdyntable nor dyntablectl.
 *
 *   dtcall [--repeat N] [--interval-ms MS] [--pipeline 1] SOCKET OP [ARGS-JSON]
 *
 * Says hello, then sends OP with ARGS (a JSON object, default {}) N times,
 * one after the other on the same connection, MS milliseconds apart, and
 * prints each reply on its own line:
 *   {"ok": true, "result": {...}}  or  {"ok": false, "error": {...}}
 * With --pipeline 1, sends all N requests before reading any reply (the
 * replies, in the order they come, are printed the same way): N requests
 * in flight at once on one connection.
 * Exits 0 once every reply came (errors included), 1 when the daemon
 * could not be reached or closed the connection, 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dtp.h"
#include "dtp_json.h"

static int
dtcall_usage(void)
{
	fprintf(stderr, "usage: dtcall [--repeat N] [--interval-ms MS] "
	    "[--pipeline 1] SOCKET OP [ARGS-JSON]\n");
	return 2;
}

static int
dtcall_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
dtcall_read_all(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Sends op with args (an object, or NULL) under id. */
static int
dtcall_send(int fd, uint32_t id, dtp_op op, json_t *args)
{
	dtp_enc e;
	const char *key;
	json_t *v;
	char *data;
	size_t len;
	int rc;

	dtp_enc_init(&e);
	dtp_enc_request(&e, id, op, args != NULL ? (uint32_t)json_object_size(
	    args) : 0);
	if (args != NULL)
		json_object_foreach(args, key, v) {
			dtp_pack_cstr(&e, key);
			dtp_pack_json(&e, v);
		}
	if (dtp_enc_finish(&e, &data, &len) != 0) {
		dtp_enc_free(&e);
		return -1;
	}
	rc = dtcall_write_all(fd, data, len);
	free(data);
	dtp_enc_free(&e);
	return rc;
}

/* Reads one reply; prints it as a JSON line unless quiet. */
static int
dtcall_recv(int fd, bool quiet)
{
	char hdr[DTP_HEADER_LEN], err[256], *payload;
	uint32_t n;
	dtp_msg m;
	json_t *out = NULL, *body;
	int rc = -1;

	if (dtcall_read_all(fd, hdr, sizeof(hdr)) != 0 ||
	    dtp_frame_check(hdr, sizeof(hdr), DTP_FRAME_MAX, &n) !=
		DTP_FRAME_OK ||
	    (payload = malloc(n)) == NULL)
		return -1;
	if (dtcall_read_all(fd, payload, n) != 0 ||
	    dtp_decode_reply(payload, n, &m, err, sizeof(err)) !=
		DTP_DECODE_OK) {
		free(payload);
		return -1;
	}
	body = dtp_to_json(m.ok ? m.result : m.error, err, sizeof(err));
	if (body != NULL)
		out = json_pack("{s:b,s:o}", "ok", m.ok, m.ok ? "result" :
		    "error", body);
	if (out != NULL) {
		if (!quiet) {
			char *text = json_dumps(out, JSON_COMPACT);

			if (text != NULL)
				printf("%s\n", text);
			free(text);
			fflush(stdout);
		}
		rc = 0;
	}
	json_decref(out);
	dtp_msg_free(&m);
	free(payload);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned long repeat = 1, interval_ms = 0, pipeline = 0;
	struct sockaddr_un sa;
	json_t *args = NULL, *hello;
	json_error_t jerr;
	dtp_op op;
	int i = 1, fd, rc = 1;

	while (i + 1 < argc && strncmp(argv[i], "--", 2) == 0) {
		if (strcmp(argv[i], "--repeat") == 0)
			repeat = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--interval-ms") == 0)
			interval_ms = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--pipeline") == 0)
			pipeline = strtoul(argv[i + 1], NULL, 10);
		else
			return dtcall_usage();
		i += 2;
	}
	/* cppcheck-suppress knownConditionTrueFalse ; false positive: the
	 * loop above leaves i anywhere from 1 to argc */
	if (argc - i < 2 || argc - i > 3 || repeat == 0)
		return dtcall_usage();
	if (!dtp_op_lookup(argv[i + 1], strlen(argv[i + 1]), &op)) {
		fprintf(stderr, "dtcall: unknown operation %s\n", argv[i + 1]);
		return 2;
	}
	if (argc - i == 3 &&
	    ((args = json_loads(argv[i + 2], 0, &jerr)) == NULL ||
		!json_is_object(args))) {
		fprintf(stderr, "dtcall: ARGS must be a JSON object\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(argv[i]) >= sizeof(sa.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		json_decref(args);
		return 1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[i]);
	hello = json_pack("{s:i,s:i,s:s}", "major", DTP_VERSION_MAJOR,
	    "minor", DTP_VERSION_MINOR, "client", "dtcall");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "dtcall: %s: %s\n", argv[i], strerror(errno));
		goto out;
	}
	if (dtcall_send(fd, 1, DTP_OP_HELLO, hello) != 0 ||
	    dtcall_recv(fd, true) != 0) {
		fprintf(stderr, "dtcall: handshake failed\n");
		goto out;
	}
	for (unsigned long k = 0; k < repeat; k++) {
		if (k != 0 && interval_ms != 0) {
			struct timespec ts = { (time_t)(interval_ms / 1000),
				(long)(interval_ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
		if (dtcall_send(fd, (uint32_t)(k + 2), op, args) != 0) {
			/* Closed by the daemon: its reason may be waiting. */
			dtcall_recv(fd, false);
			fprintf(stderr, "dtcall: connection lost\n");
			goto out;
		}
		if (pipeline == 0 && dtcall_recv(fd, false) != 0) {
			fprintf(stderr, "dtcall: connection lost\n");
			goto out;
		}
	}
	for (unsigned long k = 0; pipeline != 0 && k < repeat; k++)
		if (dtcall_recv(fd, false) != 0) {
			fprintf(stderr, "dtcall: connection lost\n");
			goto out;
		}
	rc = 0;
out:
	close(fd);
	json_decref(hello);
	json_decref(args);
	return rc;
}
