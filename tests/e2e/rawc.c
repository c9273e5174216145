/* SPDX-License-Identifier: MIT */
/*
 * rawc: see rawc.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dtp.h"
#include "dtp_json.h"
#include "rawc.h"

struct rawc {
	int fd;
	uint32_t next_id;
	char session[64];
	bool resumed;
};

long long
rawc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
rawc_write_all(int fd, const char *p, size_t n)
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

/* Reads exactly n bytes before the deadline (-1: none). 0, or -1. */
static int
rawc_read_all(int fd, char *p, size_t n, long long deadline)
{
	while (n > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int wait = -1;
		ssize_t r;

		if (deadline >= 0) {
			long long left = deadline - rawc_now_ms();

			if (left <= 0)
				return -1;
			wait = (int)left;
		}
		if (poll(&pfd, 1, wait) <= 0)
			return -1;
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

uint32_t
rawc_send(rawc *c, const char *op, const json_t *args)
{
	dtp_op o;
	dtp_enc e;
	const char *k;
	json_t *v;
	char *data;
	size_t len;
	uint32_t id = ++c->next_id;
	int rc;

	if (!dtp_op_lookup(op, strlen(op), &o)) {
		fprintf(stderr, "rawc: unknown op %s\n", op);
		return 0;
	}
	dtp_enc_init(&e);
	dtp_enc_request(&e, id, o,
	    args != NULL ? (uint32_t)json_object_size(args) : 0);
	if (args != NULL) {
		json_object_foreach((json_t *)args, k, v) {
			dtp_pack_cstr(&e, k);
			dtp_pack_json(&e, v);
		}
	}
	rc = dtp_enc_finish(&e, &data, &len);
	dtp_enc_free(&e);
	if (rc != 0)
		return 0;
	rc = rawc_write_all(c->fd, data, len);
	free(data);
	return rc == 0 ? id : 0;
}

json_t *
rawc_recv(rawc *c, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : rawc_now_ms() + timeout_ms;
	unsigned char hdr[DTP_HEADER_LEN];
	uint32_t len;
	char *payload, err[160];
	dtp_msg m;
	json_t *out = NULL, *part;

	if (rawc_read_all(c->fd, (char *)hdr, sizeof(hdr), deadline) != 0)
		return NULL;
	if (dtp_frame_check(hdr, sizeof(hdr), 0, &len) != DTP_FRAME_OK)
		return NULL;
	if ((payload = malloc(len)) == NULL)
		return NULL;
	if (rawc_read_all(c->fd, payload, len, deadline) != 0) {
		free(payload);
		return NULL;
	}
	if (dtp_decode_reply(payload, len, &m, err, sizeof(err)) ==
	    DTP_DECODE_OK) {
		part = dtp_to_json(m.ok ? m.result : m.error, err,
		    sizeof(err));
		out = json_pack("{s:I,s:b,s:o*}", "id", (json_int_t)m.id,
		    "ok", m.ok, m.ok ? "result" : "error", part);
	} else {
		fprintf(stderr, "rawc: bad reply: %s\n", err);
	}
	dtp_msg_free(&m);
	free(payload);
	return out;
}

json_t *
rawc_call(rawc *c, const char *op, const json_t *args, int timeout_ms)
{
	long long deadline = rawc_now_ms() + timeout_ms;
	uint32_t id = rawc_send(c, op, args);
	json_t *rep;

	if (id == 0) {
		/* A daemon that refused the connection at once has closed it:
		 * the send failed, but its reason may be waiting. */
		rep = rawc_recv(c, 1000);
		if (rep != NULL && json_integer_value(json_object_get(rep,
		    "id")) == 0)
			return rep;
		json_decref(rep);
		return NULL;
	}
	for (;;) {
		long long left = deadline - rawc_now_ms();

		if (left <= 0 || (rep = rawc_recv(c, (int)left)) == NULL)
			return NULL;
		/* Id 0: an error of the connection, the answer to all. */
		if (json_integer_value(json_object_get(rep, "id")) == id ||
		    json_integer_value(json_object_get(rep, "id")) == 0)
			return rep;
		json_decref(rep);
	}
}

bool
rawc_ok(const json_t *reply)
{
	return json_is_true(json_object_get(reply, "ok"));
}

json_t *
rawc_result(const json_t *reply)
{
	return json_object_get(reply, "result");
}

const char *
rawc_err_name(const json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply,
	    "error"), "name"));
}

const char *
rawc_err_aws_type(const json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply,
	    "error"), "aws_type"));
}

rawc *
rawc_connect_hello(const char *path, const char *ns, const char *session,
    json_t **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	rawc *c = calloc(1, sizeof(*c));
	json_t *args, *rep, *res;

	*out = NULL;
	if (path == NULL)
		path = getenv("DYNTABLE_SOCKET");
	if (c == NULL || path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
		free(c);
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "rawc: connect %s: %s\n", path,
		    strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	args = json_pack("{s:i,s:i,s:s,s:s*,s:s*}", "major", DTP_VERSION_MAJOR,
	    "minor", DTP_VERSION_MINOR, "client", "rawc", "namespace", ns,
	    "session", session);
	rep = rawc_call(c, "hello", args, 10000);
	json_decref(args);
	if (rep == NULL) {
		rawc_close(c);
		return NULL;
	}
	res = rawc_result(rep);
	snprintf(c->session, sizeof(c->session), "%s",
	    json_string_value(json_object_get(res, "session")) != NULL ?
	    json_string_value(json_object_get(res, "session")) : "");
	c->resumed = json_is_true(json_object_get(res, "resumed"));
	*out = rep;
	return c;
}

rawc *
rawc_connect(const char *path, const char *ns, const char *session)
{
	json_t *rep;
	rawc *c = rawc_connect_hello(path, ns, session, &rep);

	if (c != NULL && !rawc_ok(rep)) {
		char *s = json_dumps(rep, JSON_COMPACT);

		fprintf(stderr, "rawc: hello failed: %s\n", s != NULL ? s : "");
		free(s);
		rawc_close(c);
		c = NULL;
	}
	json_decref(rep);
	return c;
}

void
rawc_close(rawc *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c);
}

int
rawc_fd(const rawc *c)
{
	return c->fd;
}

const char *
rawc_session(const rawc *c)
{
	return c->session;
}

bool
rawc_resumed(const rawc *c)
{
	return c->resumed;
}

json_t *
rawc_table_def(const char *name, const char *gsi)
{
	if (gsi == NULL)
		return json_pack("{s:s,s:[{s:s,s:s}],s:[{s:s,s:s}]}",
		    "TableName", name,
		    "KeySchema", "AttributeName", "pk", "KeyType", "HASH",
		    "AttributeDefinitions", "AttributeName", "pk",
		    "AttributeType", "S");
	return json_pack("{s:s,s:[{s:s,s:s}],s:[{s:s,s:s},{s:s,s:s}],"
	    "s:[{s:s,s:[{s:s,s:s}],s:{s:s}}]}",
	    "TableName", name,
	    "KeySchema", "AttributeName", "pk", "KeyType", "HASH",
	    "AttributeDefinitions", "AttributeName", "pk", "AttributeType", "S",
	    "AttributeName", "g", "AttributeType", "S",
	    "GlobalSecondaryIndexes", "IndexName", gsi, "KeySchema",
	    "AttributeName", "g", "KeyType", "HASH", "Projection",
	    "ProjectionType", "ALL");
}
