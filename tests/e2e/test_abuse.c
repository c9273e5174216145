/* SPDX-License-Identifier: MIT */
/*
 * Abuse tests (issue 7): a real dyntabled ($DYNTABLE_SOCKET, started by
 * harness.sh) fed what a broken or hostile client sends: random bytes,
 * bad lengths, truncated frames, wrong msgpack types, deep nesting,
 * unknown operations, requests before hello, duplicate ids, 1,000
 * connections at once, a client that never reads its replies, and
 * clients that stall in the middle of a frame.
 *
 * It speaks the wire protocol itself, with raw sockets and the codec in
 * proto/ (not libdyntable), so that it can send anything. After every
 * case a fresh, well-behaved client must still get correct answers
 * (client_ok); harness.sh then checks that the daemon exits 0 on SIGTERM
 * and that no sanitizer or valgrind reported anything.
 *
 * Expectations come from proto/PROTOCOL.md and daemon/conn.c: a frame the
 * daemon cannot trust gets one id-0 PROTOCOL error and the connection is
 * closed; a well-formed request with a bad op or bad args gets an error
 * under its own id and the connection stays usable; no hello within 10 s,
 * or an incomplete frame held for 30 s, is a PROTOCOL error and a close;
 * a client that takes none of its replies for 30 s is closed.
 *
 * Memory figures (the daemon's VmRSS, from /proc/$DYNTABLE_TEST_DAEMON_PID)
 * are printed; the bound is asserted only for a plain build without a
 * wrapper, since ASan's quarantine and valgrind's shadow memory change
 * what RSS means. DYNTABLE_ABUSE_SEED changes the random bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dtp.h"
#include "e2e_env.h"

#define N_CONNS 1000		/* simultaneous connections */
#define HELLO_TIMEOUT_S 10	/* conn.c CONN_HELLO_TIMEOUT_S */
#define FRAME_TIMEOUT_S 30	/* conn.c CONN_FRAME_TIMEOUT_S */
#define WRITE_TIMEOUT_S 30	/* conn.c CONN_WRITE_TIMEOUT_S */
#define OUT_HIGH (8u << 20)	/* conn.c CONN_OUT_HIGH */
#define FLOOD_CAP (64u << 20)	/* bytes a never-reading client may try */
/* What one never-reading client may cost: its output queue, one input
 * frame, and as much again for malloc and libevent. */
#define RSS_GROWTH_MAX_KIB (5L * (OUT_HIGH >> 10))

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

static const char *sock_path;
static bool wrapped;	  /* the daemon runs under DYNTABLE_TEST_WRAPPER */
static int io_ms;	  /* how long a reply may take */
static char table[64];	  /* created at setup; list_tables must show it */
static uint64_t rng_state;

/* ---- helpers ------------------------------------------------------------- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: reproducible random bytes. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int
sock_connect(void)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail_msg("socket: %s", strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		fail_msg("connect %s: %s", sock_path, strerror(errno));
	return fd;
}

/* Sends everything; false if the daemon closed the connection. */
static bool
send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return false;
		if (n < 0)
			fail_msg("send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Frames a payload packed by hand and sends it. */
static void
send_payload(int fd, const void *payload, size_t len)
{
	unsigned char hdr[DTP_HEADER_LEN];

	put_be32(hdr, (uint32_t)len);
	assert_true(send_all(fd, hdr, sizeof(hdr)));
	assert_true(send_all(fd, payload, len));
}

static void
send_len(int fd, uint32_t len)
{
	unsigned char hdr[DTP_HEADER_LEN];

	put_be32(hdr, len);
	assert_true(send_all(fd, hdr, sizeof(hdr)));
}

/* Finishes e and sends the frame. */
static void
send_enc(int fd, dtp_enc *e)
{
	char *frame;
	size_t len;

	assert_int_equal(dtp_enc_finish(e, &frame, &len), 0);
	dtp_enc_free(e);
	assert_true(send_all(fd, frame, len));
	free(frame);
}

/* A request whose only argument, when name is not NULL, is "name". */
static void
send_req(int fd, uint32_t id, dtp_op op, const char *name)
{
	dtp_enc e;

	dtp_enc_init(&e);
	dtp_enc_request(&e, id, op, name != NULL ? 1 : 0);
	if (name != NULL)
		dtp_pack_kv_str(&e, "name", name);
	send_enc(fd, &e);
}

/* Reads exactly len bytes before deadline. 1: done; 0: the connection
 * ended (EOF or reset); -1: deadline passed. */
static int
recv_exact(int fd, void *buf, size_t len, long long deadline)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			fail_msg("poll: %s", strerror(errno));
		}
		if (pfd.revents == 0)
			continue;
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return 0;
		if (n < 0)
			fail_msg("recv: %s", strerror(errno));
		if (n == 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

/* One frame within ms. 1: *payload (malloc'd) and *len set; 0: the
 * connection ended first; -1: nothing complete in time. */
static int
recv_frame(int fd, int ms, char **payload, uint32_t *len)
{
	long long deadline = now_ms() + ms;
	unsigned char hdr[DTP_HEADER_LEN];
	int rc = recv_exact(fd, hdr, sizeof(hdr), deadline);

	*payload = NULL;
	*len = 0;
	if (rc != 1)
		return rc;
	/* what the daemon sends must pass the protocol's own check */
	assert_int_equal(dtp_frame_check(hdr, sizeof(hdr), 0, len),
	    DTP_FRAME_OK);
	*payload = malloc(*len);
	assert_non_null(*payload);
	rc = recv_exact(fd, *payload, *len, deadline);
	if (rc != 1) {
		free(*payload);
		*payload = NULL;
		fail_msg("a reply frame was cut short (%s)",
		    rc == 0 ? "connection closed" : "timeout");
		return rc; /* not reached: fail_msg() longjmps */
	}
	return 1;
}

/* The next reply, decoded (m must be freed); fails the test if none
 * comes within io_ms or it is not a valid reply. */
static void
recv_reply(int fd, dtp_msg *m, const char *what)
{
	char *payload, err[160];
	uint32_t len;
	int rc = recv_frame(fd, io_ms, &payload, &len);

	memset(m, 0, sizeof(*m));
	if (rc != 1) {
		fail_msg("%s: no reply (%s)", what, rc == 0 ?
		    "the daemon closed the connection" : "timeout");
		return; /* not reached: fail_msg() longjmps */
	}
	if (dtp_decode_reply(payload, len, m, err, sizeof(err)) !=
	    DTP_DECODE_OK)
		fail_msg("%s: the daemon sent an invalid reply: %s", what, err);
	free(payload);
}

/* The error message of a reply, for failure messages. */
static const char *
reply_msg(const dtp_msg *m, char *buf, size_t size)
{
	if (!dtp_strcpy(dtp_map_get(m->error, "message"), buf, size))
		snprintf(buf, size, "%s", m->ok ? "ok" : "?");
	return buf;
}

/* The next reply must be an error with this id and code. */
static void
expect_error(int fd, uint32_t id, dtp_err code, const char *what)
{
	char msg[256];
	dtp_msg m;

	recv_reply(fd, &m, what);
	if (m.id != id || m.ok || m.err_code != code)
		fail_msg("%s: got id %u %s %s (%s), expected id %u %s", what,
		    m.id, m.ok ? "ok" : "error", m.ok ? "" :
		    dtp_err_name(m.err_code), reply_msg(&m, msg, sizeof(msg)),
		    id, dtp_err_name(code));
	dtp_msg_free(&m);
}

/* The daemon must close the connection, with nothing more before. */
static void
expect_eof(int fd, const char *what)
{
	char *payload;
	uint32_t len;
	int rc = recv_frame(fd, io_ms, &payload, &len);

	if (rc == 1) {
		free(payload);
		fail_msg("%s: a frame after the error, expected a close", what);
	}
	if (rc != 0)
		fail_msg("%s: the daemon did not close the connection", what);
}

/* An id-0 PROTOCOL error, then the close (PROTOCOL.md §5). */
static void
expect_conn_error(int fd, const char *what)
{
	expect_error(fd, 0, DTP_E_PROTOCOL, what);
	expect_eof(fd, what);
}

/* hello; returns the daemon's max_frame. */
static uint32_t
do_hello(int fd)
{
	dtp_enc e;
	dtp_msg m;
	uint64_t max = 0;

	dtp_enc_init(&e);
	dtp_enc_request(&e, 1, DTP_OP_HELLO, 3);
	dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR);
	dtp_pack_kv_uint(&e, "minor", DTP_VERSION_MINOR);
	dtp_pack_kv_str(&e, "client", "test_abuse");
	send_enc(fd, &e);
	recv_reply(fd, &m, "hello");
	if (m.id != 1 || !m.ok)
		fail_msg("hello refused");
	assert_true(dtp_get_uint(dtp_map_get(m.result, "max_frame"), &max));
	assert_true(max > 0 && max <= DTP_FRAME_MAX);
	dtp_msg_free(&m);
	return (uint32_t)max;
}

static int
hello_conn(void)
{
	int fd = sock_connect();

	do_hello(fd);
	return fd;
}

/* list_tables under id on fd must answer ok, with the setup's table. */
static void
list_ok(int fd, uint32_t id, const char *what)
{
	const msgpack_object *tables;
	bool found = false;
	char msg[256];
	dtp_msg m;

	send_req(fd, id, DTP_OP_LIST_TABLES, NULL);
	recv_reply(fd, &m, what);
	if (m.id != id || !m.ok)
		fail_msg("%s: list_tables: id %u, %s", what, m.id,
		    reply_msg(&m, msg, sizeof(msg)));
	tables = dtp_map_get(m.result, "tables");
	assert_non_null(tables);
	assert_int_equal(tables->type, MSGPACK_OBJECT_ARRAY);
	for (uint32_t i = 0; i < tables->via.array.size; i++)
		found = found || dtp_str_eq(&tables->via.array.ptr[i], table);
	if (!found)
		fail_msg("%s: list_tables does not show %s", what, table);
	dtp_msg_free(&m);
}

/* A fresh, well-behaved client is served correctly. */
static void
client_ok(const char *after)
{
	int fd = hello_conn();

	list_ok(fd, 2, after);
	close(fd);
}

/* The daemon's resident memory in KiB; -1 when it cannot be read. */
static long
daemon_rss_kib(void)
{
	const char *pid = getenv("DYNTABLE_TEST_DAEMON_PID");
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	if (pid == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		/* NOLINTNEXTLINE(cert-err34-c): the kernel's number fits */
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The daemon's open file limits (soft, hard) from /proc; false when they
 * cannot be read. "unlimited" reads as ULLONG_MAX. */
static bool
daemon_nofile(unsigned long long *soft, unsigned long long *hard)
{
	const char *pid = getenv("DYNTABLE_TEST_DAEMON_PID");
	char path[64], line[256], s[32], h[32];
	bool found = false;
	FILE *f;

	if (pid == NULL)
		return false;
	snprintf(path, sizeof(path), "/proc/%s/limits", pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = sscanf(line, "Max open files %31s %31s", s, h) == 2;
	fclose(f);
	if (!found)
		return false;
	*soft = strcmp(s, "unlimited") == 0 ? ULLONG_MAX : strtoull(s, NULL, 10);
	*hard = strcmp(h, "unlimited") == 0 ? ULLONG_MAX : strtoull(h, NULL, 10);
	return true;
}

/* A msgpack buffer for payloads the encoder would not produce. */
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
pk_str(struct pk *p, const char *s)
{
	msgpack_pack_str(&p->pk, strlen(s));
	msgpack_pack_str_body(&p->pk, s, strlen(s));
}

/* Sends p's bytes as one frame, and frees p. */
static void
pk_send(int fd, struct pk *p)
{
	send_payload(fd, p->sb.data, p->sb.size);
	msgpack_sbuffer_destroy(&p->sb);
}

/* ---- stalled clients: opened first, checked last -------------------------- */

/*
 * Three connections that stall mid-frame while every other test runs:
 * a half hello (the hello deadline closes it), a half request after
 * hello (the frame deadline), and one that adds a byte of its frame
 * halfway through (the deadline must not restart).
 */
static struct stall {
	const char *what;
	int fd;
	long long t0;	  /* when its incomplete frame started */
	int expect_s;	  /* the deadline that must close it */
	bool trickle;	  /* sends one more byte at expect_s / 2 */
	bool closed;
} stalls[3] = {
	{ "half a hello", -1, 0, HELLO_TIMEOUT_S, false, false },
	{ "half a request", -1, 0, FRAME_TIMEOUT_S, false, false },
	{ "a trickled request", -1, 0, FRAME_TIMEOUT_S, true, false },
};

static void
test_stall_begin(void **state)
{
	unsigned char frame[64];
	dtp_enc e;
	char *data;
	size_t len;

	/* a complete list_tables frame, of which only a part is sent */
	dtp_enc_init(&e);
	dtp_enc_request(&e, 5, DTP_OP_LIST_TABLES, 0);
	assert_int_equal(dtp_enc_finish(&e, &data, &len), 0);
	dtp_enc_free(&e);
	assert_true(len <= sizeof(frame));
	memcpy(frame, data, len);
	free(data);

	stalls[0].fd = sock_connect();
	stalls[0].t0 = now_ms();
	/* the hello deadline counts from the connection */
	assert_true(send_all(stalls[0].fd, frame, len / 2));

	for (int i = 1; i < 3; i++) {
		stalls[i].fd = hello_conn();
		stalls[i].t0 = now_ms();
		assert_true(send_all(stalls[i].fd, frame,
		    stalls[i].trickle ? 1 : len / 2));
	}
	client_ok("stalled clients");
}

/* The never-reading client of test_never_reads, left connected. */
static struct flood {
	int fd;
	long long t0;	     /* its first request of the flood */
	long long t_blocked; /* when the daemon was seen to stop reading */
} flood = { -1, 0, 0 };

/* Closed by the daemon? Looks without reading (reading would let the
 * daemon write again); then drains what is left, up to the end. */
static bool
flood_closed(void)
{
	struct pollfd pfd = { .fd = flood.fd, .events = POLLRDHUP };
	char buf[65536];
	long long deadline;

	if (poll(&pfd, 1, 100) <= 0 ||
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0)
		return false;
	deadline = now_ms() + io_ms;
	for (;;) {
		ssize_t n = recv(flood.fd, buf, sizeof(buf), 0);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail_msg("recv: %s", strerror(errno));
		if (now_ms() > deadline)
			fail_msg("never-reading client: no end of stream after "
			    "the daemon closed it");
		if (n < 0) {
			pfd.events = POLLIN;
			poll(&pfd, 1, 100);
		}
	}
}

/* Checks the never-reading client once (when still open): the write
 * deadline must close it; it runs from the daemon's last successful
 * write, which came after flood.t0. */
static void
flood_check(long long slack)
{
	long long now = now_ms();

	if (flood.fd < 0)
		return;
	if (flood_closed()) {
		if (now - flood.t0 < WRITE_TIMEOUT_S * 1000LL - 1000)
			fail_msg("never-reading client: closed after %lld ms, "
			    "before the %d s write deadline", now - flood.t0,
			    WRITE_TIMEOUT_S);
		print_message("never-reading client: closed %.1f s after its "
		    "flood began; daemon RSS %ld KiB\n",
		    (double)(now - flood.t0) / 1000, daemon_rss_kib());
		close(flood.fd);
		flood.fd = -1;
	} else if (now - flood.t_blocked > WRITE_TIMEOUT_S * 1000LL + slack) {
		fail_msg("never-reading client: still connected %lld ms after "
		    "the daemon stopped reading it (write deadline %d s)",
		    now - flood.t_blocked, WRITE_TIMEOUT_S);
	}
}

static void
test_stall_end(void **state)
{
	long long slack = wrapped ? 15000 : 5000;
	unsigned open = 3;

	while (open > 0 || flood.fd >= 0) {
		flood_check(slack);
		if (open == 0)
			continue;
		for (int i = 0; i < 3; i++) {
			long long now = now_ms();
			struct stall *s = &stalls[i];
			long long age = now - s->t0, limit = s->expect_s * 1000LL;
			char *payload;
			uint32_t len;
			dtp_msg m;
			char err[160];
			int rc;

			if (s->closed)
				continue;
			if (s->trickle && age >= limit / 2) {
				/* one more byte: progress, but the frame is
				 * still incomplete */
				s->trickle = false;
				send_all(s->fd, "\0", 1);
			}
			rc = recv_frame(s->fd, 100, &payload, &len);
			if (rc < 0) {
				if (age > limit + slack)
					fail_msg("%s: still open after %lld ms "
					    "(deadline %d s)", s->what, age,
					    s->expect_s);
				continue;
			}
			if (rc == 0)
				fail_msg("%s: closed without an error reply",
				    s->what);
			if (dtp_decode_reply(payload, len, &m, err,
			    sizeof(err)) != DTP_DECODE_OK || m.id != 0 ||
			    m.ok || m.err_code != DTP_E_PROTOCOL)
				fail_msg("%s: expected an id-0 PROTOCOL error",
				    s->what);
			dtp_msg_free(&m);
			free(payload);
			age = now_ms() - s->t0;
			if (age < limit - 1000)
				fail_msg("%s: closed after %lld ms, before its "
				    "%d s deadline", s->what, age, s->expect_s);
			expect_eof(s->fd, s->what);
			print_message("%s: closed after %.1f s\n", s->what,
			    (double)age / 1000);
			close(s->fd);
			s->fd = -1;
			s->closed = true;
			open--;
		}
	}
	client_ok("stalled clients closed");
}

/* ---- the cases ------------------------------------------------------------- */

static void
test_random_bytes(void **state)
{
	for (int round = 0; round < 40; round++) {
		size_t len = 1 + (size_t)(rng() % 4096);
		unsigned char *buf = malloc(len + DTP_HEADER_LEN);
		int fd = round % 2 == 0 ? sock_connect() : hello_conn();
		char *payload;
		uint32_t plen;
		int rc;

		assert_non_null(buf);
		for (size_t i = 0; i < len + DTP_HEADER_LEN; i++)
			buf[i] = (unsigned char)rng();
		if (round % 4 < 2) {
			/* a plausible header: the payload is random, but
			 * not a map, so that it cannot by chance be a
			 * request with an id, answered without a close */
			put_be32(buf, (uint32_t)len);
			if ((buf[4] & 0xf0) == 0x80 || buf[4] == 0xde ||
			    buf[4] == 0xdf)
				buf[4] = 0xc1;
		}
		send_all(fd, buf, len + DTP_HEADER_LEN);
		free(buf);
		if (round % 8 == 7)
			shutdown(fd, SHUT_WR); /* and nothing more */
		/* Whatever comes back must be valid replies, then the
		 * connection ends: a random length is refused at once, a
		 * random payload as soon as it is complete, and a random
		 * length the daemon accepts waits for a frame that cannot
		 * come; for that one the test closes first. */
		while ((rc = recv_frame(fd, round % 4 < 2 || round % 8 == 7 ?
		    io_ms : 1000, &payload, &plen)) == 1) {
			dtp_msg m;
			char err[160];

			if (dtp_decode_reply(payload, plen, &m, err,
			    sizeof(err)) != DTP_DECODE_OK)
				fail_msg("round %d: invalid reply: %s", round,
				    err);
			if (m.id == 0 && m.err_code != DTP_E_PROTOCOL)
				fail_msg("round %d: id-0 reply is not "
				    "PROTOCOL", round);
			dtp_msg_free(&m);
			free(payload);
		}
		if (rc < 0 && (round % 4 < 2 || round % 8 == 7))
			fail_msg("round %d: the daemon kept a connection that "
			    "sent %zu random bytes", round, len);
		close(fd);
	}
	client_ok("random bytes");
}

/* describe_table under id whose name makes the payload exactly size
 * bytes (the name is far too long to be valid). */
static void
enc_describe_sized(dtp_enc *e, uint32_t id, size_t size)
{
	size_t name_len = size - 64;

	for (int attempt = 0; attempt < 3; attempt++) {
		char *name = malloc(name_len + 1);
		size_t have;

		assert_non_null(name);
		memset(name, 'n', name_len);
		name[name_len] = '\0';
		dtp_enc_init(e);
		dtp_enc_request(e, id, DTP_OP_DESCRIBE_TABLE, 1);
		dtp_pack_kv_str(e, "name", name);
		free(name);
		have = e->sb.size - DTP_HEADER_LEN;
		if (have == size)
			return;
		dtp_enc_free(e);
		name_len = name_len + size - have;
	}
	fail_msg("cannot build a payload of %zu bytes", size);
}

static void
test_bad_lengths(void **state)
{
	int fd = sock_connect();
	uint32_t max;
	long before, after;
	dtp_enc e;

	/* before hello, the largest possible length */
	before = daemon_rss_kib();
	send_len(fd, 0xffffffffu);
	expect_conn_error(fd, "length 2^32-1");
	close(fd);

	/* just above the announced limit: refused on the header alone,
	 * without a byte of payload sent, so nothing was allocated */
	fd = sock_connect();
	max = do_hello(fd);
	send_len(fd, max + 1);
	expect_conn_error(fd, "length max_frame + 1");
	close(fd);
	fd = hello_conn();
	send_len(fd, DTP_FRAME_MAX + 1);
	expect_conn_error(fd, "length DTP_FRAME_MAX + 1");
	close(fd);
	after = daemon_rss_kib();
	if (before > 0 && after > 0)
		print_message("oversize lengths: daemon RSS %ld -> %ld KiB\n",
		    before, after);

	/* length 0, before and after hello */
	fd = sock_connect();
	send_len(fd, 0);
	expect_conn_error(fd, "length 0 before hello");
	close(fd);
	fd = hello_conn();
	send_len(fd, 0);
	expect_conn_error(fd, "length 0");
	close(fd);

	/* exactly max_frame is accepted: a describe_table whose name fills
	 * the frame is refused under its id, and the connection goes on */
	fd = hello_conn();
	enc_describe_sized(&e, 9, max);
	send_enc(fd, &e);
	expect_error(fd, 9, DTP_E_INVALID, "a frame of exactly max_frame");
	list_ok(fd, 10, "after a maximal frame");
	close(fd);
	client_ok("bad lengths");
}

static void
test_truncated(void **state)
{
	static const size_t cuts[] = { 1, 2, 3, 4, 5, 10 };
	dtp_enc e;
	char *frame;
	size_t len;

	dtp_enc_init(&e);
	dtp_enc_request(&e, 3, DTP_OP_DESCRIBE_TABLE, 1);
	dtp_pack_kv_str(&e, "name", table);
	assert_int_equal(dtp_enc_finish(&e, &frame, &len), 0);
	dtp_enc_free(&e);

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		/* a cut frame, then close, before and after hello */
		for (int hello = 0; hello < 2; hello++) {
			int fd = hello ? hello_conn() : sock_connect();

			assert_true(send_all(fd, frame, cuts[i]));
			close(fd);
		}
	}
	{
		/* all but the last byte, then close */
		int fd = hello_conn();

		assert_true(send_all(fd, frame, len - 1));
		close(fd);
	}
	{
		/* a header announcing more than is ever sent, with a few
		 * bytes, a pause, then close */
		int fd = hello_conn();

		send_len(fd, 1000);
		assert_true(send_all(fd, frame + DTP_HEADER_LEN, 20));
		e2e_sleep_ms(200);
		close(fd);
	}
	free(frame);
	client_ok("truncated frames");
}

static void
test_wrong_types(void **state)
{
	struct pk p;
	int fd;

	/* top level: an array, a str, an int, a nil */
	fd = hello_conn();
	pk_init(&p);
	msgpack_pack_array(&p.pk, 3);
	msgpack_pack_uint32(&p.pk, 2);
	pk_str(&p, "list_tables");
	msgpack_pack_map(&p.pk, 0);
	pk_send(fd, &p);
	expect_conn_error(fd, "top-level array");
	close(fd);

	fd = hello_conn();
	pk_init(&p);
	pk_str(&p, "list_tables");
	pk_send(fd, &p);
	expect_conn_error(fd, "top-level str");
	close(fd);

	fd = sock_connect(); /* before hello: still a PROTOCOL error */
	pk_init(&p);
	msgpack_pack_nil(&p.pk);
	pk_send(fd, &p);
	expect_conn_error(fd, "top-level nil");
	close(fd);

	/* id as a str, a negative int, 0, above 2^32-1: no trustworthy id */
	for (int v = 0; v < 4; v++) {
		fd = hello_conn();
		pk_init(&p);
		msgpack_pack_map(&p.pk, 2);
		pk_str(&p, "id");
		if (v == 0)
			pk_str(&p, "2");
		else if (v == 1)
			msgpack_pack_int64(&p.pk, -2);
		else
			msgpack_pack_uint64(&p.pk, v == 2 ? 0 : 1ULL << 32);
		pk_str(&p, "op");
		pk_str(&p, "list_tables");
		pk_send(fd, &p);
		expect_conn_error(fd, "bad id");
		close(fd);
	}

	/* args as an array, op as an int: answered under the id; the
	 * connection stays usable */
	fd = hello_conn();
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 2);
	pk_str(&p, "op");
	pk_str(&p, "list_tables");
	pk_str(&p, "args");
	msgpack_pack_array(&p.pk, 1);
	msgpack_pack_uint32(&p.pk, 1);
	pk_send(fd, &p);
	expect_error(fd, 2, DTP_E_INVALID, "args as an array");
	pk_init(&p);
	msgpack_pack_map(&p.pk, 2);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 3);
	pk_str(&p, "op");
	msgpack_pack_uint32(&p.pk, DTP_OP_LIST_TABLES);
	pk_send(fd, &p);
	expect_error(fd, 3, DTP_E_INVALID, "op as an int");
	/* an argument of the wrong type: name as an int */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 4);
	pk_str(&p, "op");
	pk_str(&p, "describe_table");
	pk_str(&p, "args");
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "name");
	msgpack_pack_uint32(&p.pk, 42);
	pk_send(fd, &p);
	expect_error(fd, 4, DTP_E_INVALID, "name as an int");
	list_ok(fd, 5, "after wrong types");
	close(fd);

	/* bin, an int map key, an array claiming 2^32-1 elements: refused
	 * before msgpack-c allocates anything */
	for (int v = 0; v < 3; v++) {
		fd = hello_conn();
		pk_init(&p);
		msgpack_pack_map(&p.pk, 3);
		pk_str(&p, "id");
		msgpack_pack_uint32(&p.pk, 2);
		pk_str(&p, "op");
		pk_str(&p, "list_tables");
		pk_str(&p, "args");
		if (v == 0) {
			msgpack_pack_map(&p.pk, 1);
			pk_str(&p, "x");
			msgpack_pack_bin(&p.pk, 3);
			msgpack_pack_bin_body(&p.pk, "abc", 3);
		} else if (v == 1) {
			msgpack_pack_map(&p.pk, 1);
			msgpack_pack_uint32(&p.pk, 7);
			msgpack_pack_nil(&p.pk);
		} else {
			static const unsigned char huge[] = { 0xdd, 0xff, 0xff,
				0xff, 0xff, 0xc0, 0xc0 };

			msgpack_sbuffer_write(&p.sb, (const char *)huge,
			    sizeof(huge));
		}
		pk_send(fd, &p);
		expect_conn_error(fd, v == 0 ? "bin value" : v == 1 ?
		    "int map key" : "array of 2^32-1 elements");
		close(fd);
	}
	client_ok("wrong types");
}

/* {"id": 2, "op": "list_tables", "args": {"a": {"a": ... {}}}} with
 * levels containers in all, the top-level map included. */
static void
send_nested(int fd, int levels)
{
	struct pk p;

	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 2);
	pk_str(&p, "op");
	pk_str(&p, "list_tables");
	pk_str(&p, "args");
	for (int i = 2; i < levels; i++) {
		msgpack_pack_map(&p.pk, 1);
		pk_str(&p, "a");
	}
	msgpack_pack_map(&p.pk, 0);
	pk_send(fd, &p);
}

static void
test_deep_nesting(void **state)
{
	int fd = hello_conn();

	/* 32 levels pass the decoder; list_tables then refuses "a" */
	send_nested(fd, DTP_DEPTH_MAX);
	expect_error(fd, 2, DTP_E_INVALID, "32 levels");
	list_ok(fd, 3, "after 32 levels");
	/* 33 do not */
	send_nested(fd, DTP_DEPTH_MAX + 1);
	expect_conn_error(fd, "33 levels");
	close(fd);

	/* far deeper: 10,000 nested arrays */
	fd = hello_conn();
	{
		struct pk p;

		pk_init(&p);
		msgpack_pack_map(&p.pk, 3);
		pk_str(&p, "id");
		msgpack_pack_uint32(&p.pk, 2);
		pk_str(&p, "op");
		pk_str(&p, "list_tables");
		pk_str(&p, "args");
		for (int i = 0; i < 10000; i++)
			msgpack_pack_array(&p.pk, 1);
		msgpack_pack_nil(&p.pk);
		pk_send(fd, &p);
	}
	expect_conn_error(fd, "10,000 levels");
	close(fd);
	client_ok("deep nesting");
}

static void
test_unknown_ops(void **state)
{
	char longop[300];
	struct pk p;
	int fd = hello_conn();

	memset(longop, 'z', sizeof(longop) - 1);
	longop[sizeof(longop) - 1] = '\0';
	const char *ops[] = { "drop_table", "", "LIST_TABLES", "hello2",
		"list_tables\x01", longop };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		pk_init(&p);
		msgpack_pack_map(&p.pk, 2);
		pk_str(&p, "id");
		msgpack_pack_uint32(&p.pk, (uint32_t)(10 + i));
		pk_str(&p, "op");
		pk_str(&p, ops[i]);
		pk_send(fd, &p);
		expect_error(fd, (uint32_t)(10 + i), DTP_E_INVALID,
		    "unknown op");
	}
	/* an unknown top-level key, a missing op */
	pk_init(&p);
	msgpack_pack_map(&p.pk, 3);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 20);
	pk_str(&p, "op");
	pk_str(&p, "list_tables");
	pk_str(&p, "extra");
	msgpack_pack_true(&p.pk);
	pk_send(fd, &p);
	expect_error(fd, 20, DTP_E_INVALID, "unknown key");
	pk_init(&p);
	msgpack_pack_map(&p.pk, 1);
	pk_str(&p, "id");
	msgpack_pack_uint32(&p.pk, 21);
	pk_send(fd, &p);
	expect_error(fd, 21, DTP_E_INVALID, "missing op");
	/* a second hello is refused under its id; the connection stays */
	send_req(fd, 22, DTP_OP_HELLO, NULL);
	expect_error(fd, 22, DTP_E_PROTOCOL, "hello twice");
	list_ok(fd, 23, "after unknown ops");
	close(fd);
	client_ok("unknown ops");
}

static void
test_before_hello(void **state)
{
	dtp_enc e;
	int fd = sock_connect();

	send_req(fd, 4, DTP_OP_LIST_TABLES, NULL);
	expect_error(fd, 4, DTP_E_VERSION, "request before hello");
	expect_eof(fd, "request before hello");
	close(fd);

	/* wrong major, and no major at all */
	for (int v = 0; v < 2; v++) {
		fd = sock_connect();
		dtp_enc_init(&e);
		dtp_enc_request(&e, 1, DTP_OP_HELLO, v == 0 ? 2 : 1);
		if (v == 0)
			dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR + 1);
		dtp_pack_kv_uint(&e, "minor", 0);
		send_enc(fd, &e);
		expect_error(fd, 1, DTP_E_VERSION, v == 0 ? "wrong major" :
		    "no major");
		expect_eof(fd, "wrong major");
		close(fd);
	}
	client_ok("requests before hello");
}

static void
test_duplicate_ids(void **state)
{
	char missing[80];
	bool seen_dup = false, seen_list = false;
	dtp_enc e;
	int fd = hello_conn();

	/* a wait on a table that never appears stays in flight */
	snprintf(missing, sizeof(missing), "%s-missing", table);
	dtp_enc_init(&e);
	dtp_enc_request(&e, 7, DTP_OP_WAIT_TABLE_ACTIVE, 2);
	dtp_pack_kv_str(&e, "name", missing);
	dtp_pack_kv_uint(&e, "timeout_ms", 600000);
	send_enc(fd, &e);
	send_req(fd, 7, DTP_OP_LIST_TABLES, NULL);
	send_req(fd, 8, DTP_OP_LIST_TABLES, NULL);
	while (!seen_dup || !seen_list) {
		char msg[256];
		dtp_msg m;

		recv_reply(fd, &m, "duplicate id");
		if (m.id == 7) {
			/* the wait cannot have ended: this is the copy */
			if (m.ok || m.err_code != DTP_E_INVALID)
				fail_msg("duplicate id: got %s (%s)",
				    m.ok ? "ok" : dtp_err_name(m.err_code),
				    reply_msg(&m, msg, sizeof(msg)));
			seen_dup = true;
		} else if (m.id == 8) {
			if (!m.ok)
				fail_msg("list after a duplicate id: %s",
				    reply_msg(&m, msg, sizeof(msg)));
			seen_list = true;
		} else {
			fail_msg("duplicate id: reply with id %u", m.id);
		}
		dtp_msg_free(&m);
	}
	close(fd); /* drops the wait */
	client_ok("duplicate ids");
}

static void
test_many_connections(void **state)
{
	static int fds[N_CONNS];
	struct rlimit rl;
	long before, during;
	long long t0;
	unsigned served = 0;
	unsigned long long soft, hard;

	/* each connection is a descriptor here too */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < N_CONNS + 64)
		fail_msg("RLIMIT_NOFILE hard limit %llu is too low for %d "
		    "connections", (unsigned long long)rl.rlim_cur, N_CONNS);
	/* and in the daemon: listener.c raises its soft limit to the hard
	 * one, so that 1,000 clients fit with room to spare whatever soft
	 * limit it was started with */
	if (daemon_nofile(&soft, &hard) && !wrapped) {
		print_message("daemon open file limit: soft %llu, hard %llu\n",
		    soft, hard);
		if (soft != hard && soft < N_CONNS + 64)
			fail_msg("the daemon's open file limit is %llu (hard "
			    "%llu): no room for %d clients", soft, hard,
			    N_CONNS);
	}

	before = daemon_rss_kib();
	t0 = now_ms();
	for (int i = 0; i < N_CONNS; i++)
		fds[i] = sock_connect();
	/* every hello first, then every reply: all in flight at once */
	for (int i = 0; i < N_CONNS; i++) {
		dtp_enc e;

		dtp_enc_init(&e);
		dtp_enc_request(&e, 1, DTP_OP_HELLO, 2);
		dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR);
		dtp_pack_kv_uint(&e, "minor", DTP_VERSION_MINOR);
		send_enc(fds[i], &e);
	}
	for (int i = 0; i < N_CONNS; i++) {
		dtp_msg m;

		recv_reply(fds[i], &m, "hello on one of 1,000 connections");
		if (m.id != 1 || !m.ok) {
			char msg[256];

			fail_msg("connection %d: hello refused: %s", i,
			    reply_msg(&m, msg, sizeof(msg)));
		}
		dtp_msg_free(&m);
		served++;
	}
	during = daemon_rss_kib();
	print_message("%u connections served hello in %lld ms; daemon RSS "
	    "%ld -> %ld KiB\n", served, now_ms() - t0, before, during);
	/* and they still work: a request on a few of them */
	for (int i = 0; i < N_CONNS; i += N_CONNS / 4)
		list_ok(fds[i], 2, "one of 1,000 connections");
	for (int i = 0; i < N_CONNS; i++)
		close(fds[i]);
	client_ok("1,000 connections");
}

/* A log line the daemon writes at debug level (harness.sh runs it so). */
static bool
daemon_logged(const char *needle)
{
	const char *path = getenv("DYNTABLE_TEST_DAEMON_LOG");
	char line[1024];
	bool found = false;
	FILE *f;

	if (path == NULL)
		return true; /* a daemon we did not start: cannot tell */
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* Writes {"id": id, "op": "x"} as an 18-byte frame at p. The daemon
 * answers it at once, without calling DynamoDB, with an INVALID reply
 * about four times its size. */
#define FLOOD_FRAME_LEN 18
static void
flood_frame(unsigned char *p, uint32_t id)
{
	static const unsigned char head[] = { 0x82, 0xa2, 'i', 'd', 0xce };
	static const unsigned char tail[] = { 0xa2, 'o', 'p', 0xa1, 'x' };

	put_be32(p, FLOOD_FRAME_LEN - DTP_HEADER_LEN);
	memcpy(p + 4, head, sizeof(head));
	put_be32(p + 9, id);
	memcpy(p + 13, tail, sizeof(tail));
}

static void
test_never_reads(void **state)
{
	static unsigned char batch[FLOOD_FRAME_LEN * 4096];
	size_t blen = 0, sent = 0;
	long before, peak;
	uint32_t id = 100;
	int stall_ms = wrapped ? 30000 : 3000, waited = 0;
	bool blocked = false;
	int fd = hello_conn();

	before = daemon_rss_kib();
	flood.t0 = now_ms();
	/* some calls to DynamoDB first, answered while it is not read */
	for (uint32_t i = 0; i < 50; i++)
		send_req(fd, id++, DTP_OP_LIST_TABLES, NULL);
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	    0);
	/* Send until the socket stays full: the daemon has stopped reading
	 * (its log says so, and nothing drains for a second; or, without a
	 * log, nothing drains for stall_ms). A daemon that never stops
	 * gives up at FLOOD_CAP bytes, some 250 MiB of replies queued. */
	while (!blocked) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		while (blen + FLOOD_FRAME_LEN <= sizeof(batch)) {
			flood_frame(batch + blen, id++);
			blen += FLOOD_FRAME_LEN;
		}
		n = send(fd, batch, blen, MSG_NOSIGNAL);
		if (n > 0) {
			waited = 0;
			memmove(batch, batch + n, blen - (size_t)n);
			blen -= (size_t)n;
			sent += (size_t)n;
			if (sent > FLOOD_CAP)
				fail_msg("the daemon kept reading a client that "
				    "never reads: %zu bytes of requests "
				    "taken, RSS %ld -> %ld KiB", sent, before,
				    daemon_rss_kib());
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			fail_msg("send: %s", strerror(errno));
		if (poll(&pfd, 1, 1000) == 0) {
			waited += 1000;
			blocked = waited >= stall_ms || (getenv(
			    "DYNTABLE_TEST_DAEMON_LOG") != NULL &&
			    daemon_logged("output queue full, reading paused"));
		}
	}
	flood.t_blocked = now_ms();
	peak = daemon_rss_kib();
	print_message("never-reading client: the daemon stopped reading after "
	    "%zu bytes (~%zu requests); RSS %ld -> %ld KiB\n", sent,
	    sent / FLOOD_FRAME_LEN, before, peak);
	assert_true(daemon_logged("output queue full, reading paused"));
	/* everyone else is still served */
	client_ok("a client that never reads (still connected)");
	if (before > 0 && peak > 0 && !ASAN_BUILD && !wrapped &&
	    peak - before > RSS_GROWTH_MAX_KIB)
		fail_msg("daemon RSS grew by %ld KiB for one client that never "
		    "reads (bound %ld KiB)", peak - before, RSS_GROWTH_MAX_KIB);
	/* test_stall_end checks that the daemon closes it */
	flood.fd = fd;
}

/* ---- main ------------------------------------------------------------------ */

/* Creates the table list_tables must show, with the raw protocol too. */
static int
setup(void **state)
{
	char msg[256];
	dtp_enc e;
	dtp_msg m;
	int fd = hello_conn();

	dtp_enc_init(&e);
	dtp_enc_request(&e, 2, DTP_OP_CREATE_TABLE, 1);
	dtp_pack_cstr(&e, "table");
	msgpack_pack_map(&e.pk, 3);
	dtp_pack_kv_str(&e, "TableName", table);
	dtp_pack_cstr(&e, "KeySchema");
	msgpack_pack_array(&e.pk, 1);
	msgpack_pack_map(&e.pk, 2);
	dtp_pack_kv_str(&e, "AttributeName", "pk");
	dtp_pack_kv_str(&e, "KeyType", "HASH");
	dtp_pack_cstr(&e, "AttributeDefinitions");
	msgpack_pack_array(&e.pk, 1);
	msgpack_pack_map(&e.pk, 2);
	dtp_pack_kv_str(&e, "AttributeName", "pk");
	dtp_pack_kv_str(&e, "AttributeType", "S");
	send_enc(fd, &e);
	recv_reply(fd, &m, "create_table");
	if (m.id != 2 || !m.ok)
		fail_msg("create_table %s: %s", table,
		    reply_msg(&m, msg, sizeof(msg)));
	dtp_msg_free(&m);
	close(fd);
	return 0;
}

int
main(void)
{
	const char *seed = getenv("DYNTABLE_ABUSE_SEED");
	const char *wrapper;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stall_begin),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_unknown_ops),
		cmocka_unit_test(test_before_hello),
		cmocka_unit_test(test_duplicate_ids),
		cmocka_unit_test(test_many_connections),
		cmocka_unit_test(test_never_reads),
		cmocka_unit_test(test_stall_end),
	};

	signal(SIGPIPE, SIG_IGN);
	sock_path = getenv("DYNTABLE_SOCKET");
	if (sock_path == NULL || sock_path[0] == '\0') {
		fprintf(stderr, "test_abuse: DYNTABLE_SOCKET is not set; run "
		    "it through tests/e2e/harness.sh\n");
		return 1;
	}
	wrapper = getenv("DYNTABLE_TEST_WRAPPER");
	wrapped = wrapper != NULL && wrapper[0] != '\0';
	io_ms = wrapped ? 60000 : 15000;
	rng_state = seed != NULL ? strtoull(seed, NULL, 0) : 0x5eed1dea;
	if (rng_state == 0)
		rng_state = 1;
	snprintf(table, sizeof(table), "abuse-%ld", (long)getpid());
	return cmocka_run_group_tests(tests, setup, NULL);
}
