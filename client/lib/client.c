/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: the context. Connection and handshake, non-blocking I/O
 * with a write queue and a read buffer, the table of pending requests,
 * reply dispatch, event-loop hooks and the deferred free.
 *
 * Re-entrancy: a callback may issue requests, run a sync call (on a
 * context that is not attached) or free the context. So no pointer into
 * the read buffer survives a callback (a reply is decoded and copied into
 * its result before the callback runs), the parse position lives in the
 * context, and the context itself is only freed when the outermost library
 * frame leaves (dtc_enter/dtc_leave).
 *
 * Flow control: the handshake announces max_inflight, the daemon's limit
 * of requests in flight per connection. Requests beyond it stay encoded
 * here (first_held and after, in issue order) and go out as answers come
 * back, so a caller may pipeline any number without LIMIT errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"

#define RBUF_DEFAULT  (16u << 10) /* read buffer for ordinary replies */
#define RBUF_KEEP     (64u << 10) /* shrink back to default above this */
#define WBUF_KEEP     (64u << 10) /* drop an emptied write buffer above */
#define BUCKETS_FIRST 64

static void ctx_fail(dyntable_ctx *c, dyntable_status st, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* ---- small helpers ------------------------------------------------------ */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets the context's error without touching the connection. */
static void ctx_seterr(dyntable_ctx *c, dyntable_status st, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
static void
ctx_seterr(dyntable_ctx *c, dyntable_status st, const char *fmt, va_list ap)
{
	c->err = st;
	vsnprintf(c->errstr, sizeof c->errstr, fmt, ap);
}

static void ctx_seterrf(dyntable_ctx *c, dyntable_status st, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static void
ctx_seterrf(dyntable_ctx *c, dyntable_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctx_seterr(c, st, fmt, ap);
	va_end(ap);
}

/* ---- hooks -------------------------------------------------------------- */

static void
hook_want_write(dyntable_ctx *c)
{
	if (!c->attached || c->writing || c->woff == c->wlen || c->fd < 0)
		return;
	c->writing = true;
	if (c->hooks.add_write)
		c->hooks.add_write(c->hooks.data);
}

static void
hook_done_write(dyntable_ctx *c)
{
	if (!c->attached || !c->writing)
		return;
	c->writing = false;
	if (c->hooks.del_write)
		c->hooks.del_write(c->hooks.data);
}

static void
hook_stop_read(dyntable_ctx *c)
{
	if (!c->attached || !c->reading)
		return;
	c->reading = false;
	if (c->hooks.del_read)
		c->hooks.del_read(c->hooks.data);
}

/* ---- the pending-request table ------------------------------------------ */

static dtc_req *
req_find(const dyntable_ctx *c, uint32_t id)
{
	if (c->nbuckets == 0)
		return NULL;
	for (dtc_req *r = c->buckets[id & (c->nbuckets - 1)]; r; r = r->hnext)
		if (r->id == id)
			return r;
	return NULL;
}

/* Doubles the bucket array. On failure the old one stays (longer chains). */
static void
req_grow(dyntable_ctx *c)
{
	size_t n = c->nbuckets ? c->nbuckets * 2 : BUCKETS_FIRST;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	dtc_req **b = calloc(n, sizeof *b);

	if (!b)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		dtc_req *r = c->buckets[i];

		while (r) {
			dtc_req *next = r->hnext;
			size_t k = r->id & (n - 1);

			r->hnext = b[k];
			b[k] = r;
			r = next;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

/* Adds r at the end of the issue order. Returns -1 when out of memory. */
static int
req_insert(dyntable_ctx *c, dtc_req *r)
{
	if (c->npending >= c->nbuckets)
		req_grow(c);
	if (c->nbuckets == 0)
		return -1;
	size_t k = r->id & (c->nbuckets - 1);
	r->hnext = c->buckets[k];
	c->buckets[k] = r;
	r->prev = c->tail;
	r->next = NULL;
	if (c->tail)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	c->npending++;
	return 0;
}

/* Takes r out of the table and the order; frees a frame it still held. */
static void
req_unlink(dyntable_ctx *c, dtc_req *r)
{
	dtc_req **pp = &c->buckets[r->id & (c->nbuckets - 1)];

	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
	if (c->first_held == r)
		c->first_held = r->next;
	if (r->prev)
		r->prev->next = r->next;
	else
		c->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		c->tail = r->prev;
	c->npending--;
	if (r->frame) { /* held back: the daemon never saw it */
		free(r->frame);
		r->frame = NULL;
	} else if (c->nsent > 0) {
		c->nsent--;
	}
}

/* The next free id: increasing from 1, skipping 0 and ids still pending. */
static uint32_t
req_next_id(dyntable_ctx *c)
{
	uint32_t id;

	do {
		id = c->next_id++;
		if (c->next_id == 0)
			c->next_id = 1;
	} while (id == 0 || req_find(c, id));
	return id;
}

/*
 * Hands r's result to its owner and frees r (already unlinked). r may be
 * NULL-result (out of memory): an async callback then sees a stack result
 * with st and msg. Runs with the depth raised so a free inside is deferred.
 */
static void
req_deliver(dyntable_ctx *c, dtc_req *r, dyntable_result *res,
    dyntable_status st, const char *msg)
{
	c->depth++;
	if (r->take) {
		r->take(c, res, r->privdata);
	} else if (r->cb) {
		if (res) {
			r->cb(c, res, r->privdata);
			dyntable_result_free(res);
		} else {
			dyntable_result fallback = {
				.op = r->op, .status = st, .message = msg,
			};
			r->cb(c, &fallback, r->privdata);
		}
	} else {
		dyntable_result_free(res);
	}
	c->depth--;
	free(r);
}

/* Answers every pending request with st and msg, oldest first. Requests
 * added by those callbacks are answered too (none can be: the context is
 * dead or freeing by then). */
static void
req_fire_all(dyntable_ctx *c, dyntable_status st, const char *msg)
{
	char why[DTC_ERRSTR_LEN];

	snprintf(why, sizeof why, "%s", msg); /* msg may be c->errstr */
	while (c->head) {
		dtc_req *r = c->head;

		/* r is c->head, so r->prev is NULL and req_unlink moves
		 * c->head on; the analyzer does not know that invariant. */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): see above */
		req_unlink(c, r);
		if (r->op == DTC_OP_HELLO) {
			free(r);
			continue;
		}
		req_deliver(c, r, dtc_result_error(r->op, st, why), st, why);
	}
}

/* ---- write queue -------------------------------------------------------- */

/*
 * Appends a frame to the write buffer, taking ownership of frame on
 * success (0). On failure (-1, out of memory) frame stays the caller's.
 */
static int
wbuf_push(dyntable_ctx *c, char *frame, size_t len)
{
	if (c->woff == c->wlen) {
		/* Empty: adopt the frame instead of copying it. */
		free(c->wbuf);
		c->wbuf = frame;
		c->wcap = c->wlen = len;
		c->woff = 0;
		return 0;
	}
	if (c->woff > 0 && c->wcap - c->wlen < len) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	if (c->wcap - c->wlen < len) {
		size_t cap = c->wcap * 2;

		if (cap < c->wlen + len)
			cap = c->wlen + len;
		if (cap < 4096)
			cap = 4096;
		char *b = realloc(c->wbuf, cap);
		if (!b)
			return -1;
		c->wbuf = b;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, frame, len);
	c->wlen += len;
	free(frame);
	return 0;
}

/*
 * Sends the write buffer right away when no write is pending, instead of
 * asking the loop to say when the socket is writable (with libevent that
 * round costs two epoll_ctl and an epoll_wait per request). Only what is
 * left (EAGAIN, a short write) waits for the loop. Called from request
 * calls, so it never fails the context nor calls back: on any other error
 * the bytes stay queued and the loop's write event (or the next poll of a
 * sync call) finds the error through ctx_write() and ctx_read().
 */
static void
wbuf_send_now(dyntable_ctx *c)
{
	if (!c->writing && c->fd >= 0 && c->woff < c->wlen) {
		ssize_t n;

		do
			n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			c->woff += (size_t)n;
		if (c->woff == c->wlen)
			c->woff = c->wlen = 0;
	}
	hook_want_write(c);
}

/* Moves held requests into the write buffer while the daemon's window
 * (max_inflight) has room, then sends them (wbuf_send_now). */
static void
req_pump(dyntable_ctx *c)
{
	while (c->first_held &&
	    (c->max_inflight == 0 || c->nsent < c->max_inflight)) {
		dtc_req *r = c->first_held;

		if (wbuf_push(c, r->frame, r->frame_len) != 0) {
			if (c->nsent == 0) /* nothing would ever retry */
				ctx_fail(c, DYNTABLE_ERR_NOMEM,
				    "out of memory queueing a request");
			return;
		}
		r->frame = NULL;
		c->nsent++;
		c->first_held = r->next;
	}
	wbuf_send_now(c);
}

/* ---- connection state --------------------------------------------------- */

/*
 * Marks the context dead (first reason wins), stops the loop's watchers,
 * closes the socket and answers every pending request with
 * DYNTABLE_ERR_DISCONNECTED and the reason.
 */
static void
ctx_fail(dyntable_ctx *c, dyntable_status st, const char *fmt, ...)
{
	va_list ap;

	if (c->err != DYNTABLE_OK)
		return;
	va_start(ap, fmt);
	ctx_seterr(c, st, fmt, ap);
	va_end(ap);

	hook_stop_read(c);
	hook_done_write(c);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->wbuf);
	c->wbuf = NULL;
	c->wcap = c->wlen = c->woff = 0;
	c->rlen = c->rpos = 0;
	req_fire_all(c, DYNTABLE_ERR_DISCONNECTED, c->errstr);
}

/* Frees everything. Pending callbacks fire first ("context freed"). */
static void
ctx_destroy(dyntable_ctx *c)
{
	c->freeing = true;
	c->depth++; /* a dyntable_free() from these callbacks is a no-op */
	req_fire_all(c, DYNTABLE_ERR_DISCONNECTED, "context freed");
	hook_stop_read(c);
	hook_done_write(c);
	if (c->attached && c->hooks.cleanup)
		c->hooks.cleanup(c->hooks.data);
	c->attached = false;
	if (c->fd >= 0)
		close(c->fd);
	free(c->wbuf);
	free(c->rbuf);
	free(c->buckets);
	free(c->path);
	free(c->server);
	free(c->ns);
	free(c->session_req);
	free(c->session);
	free(c);
}

void
dtc_enter(dyntable_ctx *c)
{
	c->depth++;
}

bool
dtc_leave(dyntable_ctx *c)
{
	if (--c->depth == 0 && c->freeing) {
		ctx_destroy(c);
		return false;
	}
	return true;
}

/* ---- handshake ---------------------------------------------------------- */

/* Handles the hello reply: records the daemon's limits or fails. */
static void
hello_reply(dyntable_ctx *c, const dtp_msg *m)
{
	uint64_t major = 0, minor = 0, v;
	char msg[200];

	if (!m->ok) {
		if (!dtp_strcpy(dtp_map_get(m->error, "message"), msg,
		    sizeof msg))
			snprintf(msg, sizeof msg, "%s",
			    dtp_err_name(m->err_code));
		ctx_fail(c, dtc_status_from_wire(m->err_code),
		    "%s: handshake refused: %s", c->path, msg);
		return;
	}
	if (!dtp_get_uint(dtp_map_get(m->result, "major"), &major) ||
	    !dtp_get_uint(dtp_map_get(m->result, "minor"), &minor)) {
		ctx_fail(c, DYNTABLE_ERR_PROTOCOL,
		    "%s: handshake reply without a version", c->path);
		return;
	}
	if (major != DTP_VERSION_MAJOR) {
		ctx_fail(c, DYNTABLE_ERR_VERSION,
		    "%s: daemon speaks protocol %llu.%llu, this library %d.%d",
		    c->path, (unsigned long long)major,
		    (unsigned long long)minor, DTP_VERSION_MAJOR,
		    DTP_VERSION_MINOR);
		return;
	}
	const msgpack_object *srv = dtp_map_get(m->result, "server");
	if (srv) {
		c->server = dtp_strdup(srv);
		if (!c->server) {
			ctx_fail(c, DYNTABLE_ERR_NOMEM, "out of memory");
			return;
		}
	}
	if (dtp_get_uint(dtp_map_get(m->result, "max_frame"), &v))
		c->max_frame = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	if (dtp_get_uint(dtp_map_get(m->result, "max_inflight"), &v))
		c->max_inflight = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	const msgpack_object *ses = dtp_map_get(m->result, "session");
	if (ses) {
		free(c->session);
		c->session = dtp_strdup(ses);
		if (!c->session) {
			ctx_fail(c, DYNTABLE_ERR_NOMEM, "out of memory");
			return;
		}
	}
	dtp_get_bool(dtp_map_get(m->result, "resumed"), &c->resumed);
	c->hello_done = true;
}

/*
 * Connects the non-blocking socket fd to addr before the deadline. A Unix
 * socket answers EAGAIN when the listener's backlog is full: retry
 * briefly. Returns 0, or an errno value.
 */
static int
connect_until(int fd, const struct sockaddr_un *addr, long long deadline)
{
	int delay = 1;

	for (;;) {
		if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) ==
		    0)
			return 0;
		int e = errno;
		long long left = deadline - now_ms();
		if (e == EINTR)
			continue;
		if (e != EAGAIN && e != EINPROGRESS)
			return e;
		if (left <= 0)
			return ETIMEDOUT;
		if (e == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int n = poll(&p, 1, (int)left);
			socklen_t sl = sizeof e;

			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				return ETIMEDOUT;
			if (n < 0)
				return errno;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
				return errno;
			return e;
		}
		poll(NULL, 0, delay < left ? delay : (int)left);
		if (delay < 64)
			delay *= 2;
	}
}

/* Opens the socket and runs the handshake; failures set c's error. */
static void
ctx_open(dyntable_ctx *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + DTC_HANDSHAKE_MS;
	size_t plen = strlen(c->path);

	if (plen == 0) {
		ctx_seterrf(c, DYNTABLE_ERR_INVALID, "empty socket path");
		return;
	}
	if (plen >= sizeof addr.sun_path) {
		ctx_seterrf(c, DYNTABLE_ERR_INVALID,
		    "socket path too long (%zu bytes, at most %zu): %s", plen,
		    sizeof addr.sun_path - 1, c->path);
		return;
	}
	memcpy(addr.sun_path, c->path, plen + 1);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ctx_seterrf(c, DYNTABLE_ERR_IO, "socket: %s", strerror(errno));
		return;
	}
	int e = connect_until(fd, &addr, deadline);
	if (e != 0) {
		close(fd);
		ctx_seterrf(c, DYNTABLE_ERR_IO, "connect to %s: %s", c->path,
		    strerror(e));
		return;
	}
	c->fd = fd;

	char why[DTC_ERRSTR_LEN];
	dyntable_status st = dtc_submit(c, DTC_OP_HELLO, &(dtc_args){
	    .ns = c->ns, .session = c->session_req }, NULL, NULL, NULL, NULL,
	    why, sizeof why);
	if (st != DYNTABLE_OK) {
		ctx_fail(c, st, "%s: %s", c->path, why);
		return;
	}
	while (!c->hello_done && c->err == DYNTABLE_OK) {
		long long left = deadline - now_ms();

		if (left <= 0) {
			ctx_fail(c, DYNTABLE_ERR_IO,
			    "%s: no handshake reply within %d s", c->path,
			    DTC_HANDSHAKE_MS / 1000);
			return;
		}
		dtc_poll_once(c, (int)left);
	}
}

/* ---- reading ------------------------------------------------------------ */

/*
 * Handles one decoded reply (and frees m): the handshake, a connection
 * error from the daemon (id 0), or the answer to a pending request, whose
 * callback runs after m is freed.
 */
static void
dispatch(dyntable_ctx *c, dtp_msg *m)
{
	char msg[200];

	if (m->id == 0) {
		dyntable_status st = m->ok ? DYNTABLE_ERR_PROTOCOL :
		    dtc_status_from_wire(m->err_code);

		if (m->ok || !dtp_strcpy(dtp_map_get(m->error, "message"), msg,
		    sizeof msg))
			snprintf(msg, sizeof msg, "%s",
			    m->ok ? "reply with id 0" :
			    dtp_err_name(m->err_code));
		dtp_msg_free(m);
		ctx_fail(c, st, "dyntabled closed the connection: %s", msg);
		return;
	}
	dtc_req *r = req_find(c, m->id);
	if (!r || r->frame) {
		uint32_t id = m->id;

		dtp_msg_free(m);
		ctx_fail(c, DYNTABLE_ERR_PROTOCOL,
		    "dyntabled answered unknown request id %" PRIu32, id);
		return;
	}
	req_unlink(c, r);
	req_pump(c);
	if (r->op == DTC_OP_HELLO) {
		hello_reply(c, m);
		dtp_msg_free(m);
		free(r);
		return;
	}
	dyntable_result *res = dtc_result_reply(r->op, m);
	dtp_msg_free(m);
	req_deliver(c, r, res, DYNTABLE_ERR_NOMEM,
	    "out of memory reading the reply");
}

/*
 * Makes room for need bytes from the parse position: moves the unparsed
 * bytes to the front, then grows to exactly what is needed. Returns -1
 * when out of memory.
 */
static int
rbuf_reserve(dyntable_ctx *c, size_t need)
{
	if (c->rbuf != NULL && c->rpos > 0) { /* rpos is 0 without rbuf */
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (need < RBUF_DEFAULT)
		need = RBUF_DEFAULT;
	if (c->rcap >= need)
		return 0;
	char *b = realloc(c->rbuf, need);
	if (!b)
		return -1;
	c->rbuf = b;
	c->rcap = need;
	return 0;
}

/*
 * Decodes and dispatches every complete frame in the read buffer. A frame
 * is consumed (rpos advanced) before its callback runs, so a nested read
 * from that callback carries on where this one stopped.
 */
static void
process_frames(dyntable_ctx *c)
{
	while (c->err == DYNTABLE_OK && !c->freeing) {
		size_t avail = c->rlen - c->rpos;
		uint32_t plen;
		char why[160];
		dtp_msg m;

		if (avail == 0)
			return;
		switch (dtp_frame_check(c->rbuf + c->rpos, avail,
		    DTP_FRAME_MAX, &plen)) {
		case DTP_FRAME_MORE:
			return;
		case DTP_FRAME_BADLEN:
			ctx_fail(c, DYNTABLE_ERR_PROTOCOL,
			    "dyntabled sent a frame with a bad length");
			return;
		case DTP_FRAME_OK:
			break;
		}
		if (avail < DTP_HEADER_LEN + (size_t)plen) {
			if (rbuf_reserve(c, DTP_HEADER_LEN + (size_t)plen) != 0)
				ctx_fail(c, DYNTABLE_ERR_NOMEM,
				    "out of memory for a %" PRIu32
				    "-byte reply", plen);
			return;
		}
		const char *payload = c->rbuf + c->rpos + DTP_HEADER_LEN;
		c->rpos += DTP_HEADER_LEN + (size_t)plen;
		why[0] = '\0';
		switch (dtp_decode_reply(payload, plen, &m, why, sizeof why)) {
		case DTP_DECODE_OK:
			dispatch(c, &m); /* frees m */
			break;
		case DTP_DECODE_NOMEM:
			dtp_msg_free(&m);
			ctx_fail(c, DYNTABLE_ERR_NOMEM,
			    "out of memory decoding a reply");
			return;
		case DTP_DECODE_BAD_FRAME:
		case DTP_DECODE_BAD_MSG:
		default:
			dtp_msg_free(&m);
			ctx_fail(c, DYNTABLE_ERR_PROTOCOL,
			    "bad reply from dyntabled: %s",
			    why[0] ? why : "malformed");
			return;
		}
	}
}

/*
 * Reads what the socket has (one recv) and dispatches complete frames.
 * Returns 1 when bytes arrived, 0 when none were there, -1 when the
 * context is (now) dead or being freed.
 */
static int
ctx_read(dyntable_ctx *c)
{
	if (c->err != DYNTABLE_OK || c->freeing || c->fd < 0)
		return -1;
	if (!c->rbuf || c->rpos > 0 || c->rlen == c->rcap) {
		if (rbuf_reserve(c, c->rlen - c->rpos + 1) != 0) {
			ctx_fail(c, DYNTABLE_ERR_NOMEM,
			    "out of memory for the read buffer");
			return -1;
		}
	}
	ssize_t n;
	do
		n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		ctx_fail(c, errno == ECONNRESET ? DYNTABLE_ERR_DISCONNECTED :
		    DYNTABLE_ERR_IO, "recv from %s: %s", c->path,
		    strerror(errno));
		return -1;
	}
	if (n == 0) {
		ctx_fail(c, DYNTABLE_ERR_DISCONNECTED,
		    "dyntabled closed the connection (%s)", c->path);
		return -1;
	}
	c->rlen += (size_t)n;
	process_frames(c);
	if (c->rpos == c->rlen) {
		c->rpos = c->rlen = 0;
		if (c->rcap > RBUF_KEEP) { /* after a big reply */
			free(c->rbuf);
			c->rbuf = NULL;
			c->rcap = 0;
		}
	}
	return c->err == DYNTABLE_OK && !c->freeing ? 1 : -1;
}

/* ---- writing ------------------------------------------------------------ */

/* Sends as much of the write buffer as the socket takes. */
static void
ctx_write(dyntable_ctx *c)
{
	if (c->err != DYNTABLE_OK || c->freeing || c->fd < 0)
		return;
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
		    MSG_NOSIGNAL);

		if (n >= 0) {
			c->woff += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		int e = errno;
		/* The daemon may have said why before it closed: read that
		 * first, it makes the better error message. */
		while (ctx_read(c) == 1)
			;
		if (c->freeing)
			return;
		ctx_fail(c, e == EPIPE || e == ECONNRESET ?
		    DYNTABLE_ERR_DISCONNECTED : DYNTABLE_ERR_IO,
		    "send to %s: %s", c->path, strerror(e));
		return;
	}
	c->woff = c->wlen = 0;
	if (c->wcap > WBUF_KEEP) {
		free(c->wbuf);
		c->wbuf = NULL;
		c->wcap = 0;
	}
	hook_done_write(c);
}

int
dtc_poll_once(dyntable_ctx *c, int timeout_ms)
{
	if (c->err != DYNTABLE_OK || c->freeing || c->fd < 0)
		return -1;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	if (c->woff < c->wlen)
		p.events |= POLLOUT;
	int n = poll(&p, 1, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		ctx_fail(c, DYNTABLE_ERR_IO, "poll: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	if (p.revents & POLLNVAL) {
		ctx_fail(c, DYNTABLE_ERR_IO, "poll: socket not open");
		return -1;
	}
	if (p.revents & (POLLIN | POLLHUP | POLLERR))
		ctx_read(c);
	if (p.revents & POLLOUT)
		ctx_write(c);
	return c->err == DYNTABLE_OK && !c->freeing ? 1 : -1;
}

/* ---- requests ----------------------------------------------------------- */

/*
 * dtc_submit() once the arguments are checked: refuses a dead context,
 * encodes (doc: the CreateTableInput, or NULL) and queues. Reasons go to
 * err, which is never NULL here.
 */
static dyntable_status
submit(dyntable_ctx *c, dyntable_op op, const dtc_args *a, const json_t *doc,
    dyntable_cb *cb, dtc_take_fn *take, void *privdata, uint32_t *idp,
    char *err, size_t errlen)
{
	if (c->freeing) {
		snprintf(err, errlen, "context freed");
		return DYNTABLE_ERR_DISCONNECTED;
	}
	if (c->err != DYNTABLE_OK) {
		snprintf(err, errlen, "%s", c->errstr);
		return c->err;
	}

	dtc_req *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return DYNTABLE_ERR_NOMEM;
	}
	r->op = op;
	r->cb = cb;
	r->take = take;
	r->privdata = privdata;
	r->id = req_next_id(c);
	if (dtc_request_encode(r->id, op, a, doc, &r->frame, &r->frame_len) !=
	    0) {
		free(r);
		snprintf(err, errlen, "out of memory encoding the request");
		return DYNTABLE_ERR_NOMEM;
	}
	if (c->max_frame &&
	    r->frame_len - DTP_HEADER_LEN > (size_t)c->max_frame) {
		snprintf(err, errlen,
		    "request of %zu bytes is above the daemon's limit (%" PRIu32
		    ")", r->frame_len - DTP_HEADER_LEN, c->max_frame);
		free(r->frame);
		free(r);
		return DYNTABLE_ERR_INVALID;
	}
	if (req_insert(c, r) != 0) {
		free(r->frame);
		free(r);
		snprintf(err, errlen, "out of memory");
		return DYNTABLE_ERR_NOMEM;
	}
	/* Keep issue order: a new request waits behind held ones. */
	if (!c->first_held &&
	    (c->max_inflight == 0 || c->nsent < c->max_inflight)) {
		if (wbuf_push(c, r->frame, r->frame_len) != 0) {
			req_unlink(c, r);
			free(r);
			snprintf(err, errlen, "out of memory");
			return DYNTABLE_ERR_NOMEM;
		}
		r->frame = NULL;
		c->nsent++;
	} else if (!c->first_held) {
		c->first_held = r;
	}
	wbuf_send_now(c);
	if (idp)
		*idp = r->id;
	return DYNTABLE_OK;
}

dyntable_status
dtc_submit(dyntable_ctx *c, dyntable_op op, const dtc_args *a, dyntable_cb *cb,
    dtc_take_fn *take, void *privdata, uint32_t *idp, char *err, size_t errlen)
{
	dyntable_status st = DYNTABLE_OK;
	json_t *doc = NULL;

	if (!c) {
		if (err && errlen)
			snprintf(err, errlen, "context is NULL");
		return DYNTABLE_ERR_INVALID;
	}
	/* Arguments first: a bad definition is INVALID on a dead context
	 * too. The reason is written straight into last_error. */
	c->last_error[0] = '\0';
	if (op != DTC_OP_HELLO && !cb && !take) {
		snprintf(c->last_error, sizeof c->last_error,
		    "callback is NULL");
		st = DYNTABLE_ERR_INVALID;
	} else if (op != DTC_OP_HELLO) {
		st = dtc_request_prepare(op, a, &doc, c->last_error,
		    sizeof c->last_error);
	}
	if (st == DYNTABLE_OK)
		st = submit(c, op, a, doc, cb, take, privdata, idp,
		    c->last_error, sizeof c->last_error);
	json_decref(doc);
	if (err && errlen)
		snprintf(err, errlen, "%s", c->last_error);
	return st;
}

bool
dtc_cancel(dyntable_ctx *c, uint32_t id, dyntable_status st, const char *msg)
{
	dtc_req *r = req_find(c, id);

	if (!r)
		return false;
	req_unlink(c, r);
	req_deliver(c, r, dtc_result_error(r->op, st, msg), st, msg);
	return true;
}

/* ---- public API --------------------------------------------------------- */

const char *
dyntable_version(void)
{
	return DYNTABLE_VERSION_STRING;
}

const char *
dyntable_status_name(dyntable_status st)
{
	switch (st) {
	case DYNTABLE_OK: return "OK";
	case DYNTABLE_ERR_PROTOCOL: return "PROTOCOL";
	case DYNTABLE_ERR_VERSION: return "VERSION";
	case DYNTABLE_ERR_INVALID: return "INVALID";
	case DYNTABLE_ERR_NOT_FOUND: return "NOT_FOUND";
	case DYNTABLE_ERR_IN_USE: return "IN_USE";
	case DYNTABLE_ERR_TIMEOUT: return "TIMEOUT";
	case DYNTABLE_ERR_AWS: return "AWS";
	case DYNTABLE_ERR_UPSTREAM: return "UPSTREAM";
	case DYNTABLE_ERR_CREDENTIALS: return "CREDENTIALS";
	case DYNTABLE_ERR_LIMIT: return "LIMIT";
	case DYNTABLE_ERR_SHUTDOWN: return "SHUTDOWN";
	case DYNTABLE_ERR_DENIED: return "DENIED";
	case DYNTABLE_ERR_INTERNAL: return "INTERNAL";
	case DYNTABLE_ERR_IO: return "IO";
	case DYNTABLE_ERR_DISCONNECTED: return "DISCONNECTED";
	case DYNTABLE_ERR_NOMEM: return "NOMEM";
	case DYNTABLE_ERR_USAGE: return "USAGE";
	}
	return "UNKNOWN";
}

/* An option's value: opt, else the environment's name; NULL for none
 * (unset or ""). */
static const char *
opt_or_env(const char *opt, const char *name)
{
	const char *v = opt ? opt : getenv(name);

	return v && *v ? v : NULL;
}

dyntable_ctx *
dyntable_connect(const char *path)
{
	dyntable_connect_options o = { .path = path };

	return dyntable_connect_opts(&o);
}

dyntable_ctx *
dyntable_connect_opts(const dyntable_connect_options *o)
{
	static const dyntable_connect_options none = { 0 };
	dyntable_ctx *c = calloc(1, sizeof *c);
	const char *path, *ns, *ses;

	if (!c)
		return NULL;
	if (!o)
		o = &none;
	c->fd = -1;
	c->next_id = 1;
	path = opt_or_env(o->path, "DYNTABLE_SOCKET");
	if (!path)
		path = o->path ? o->path : DYNTABLE_DEFAULT_SOCKET;
	ns = opt_or_env(o->ns, "DYNTABLE_NAMESPACE");
	ses = opt_or_env(o->session, "DYNTABLE_SESSION");
	c->path = strdup(path);
	c->ns = ns ? strdup(ns) : NULL;
	c->session_req = ses ? strdup(ses) : NULL;
	if (!c->path || (ns && !c->ns) || (ses && !c->session_req)) {
		free(c->path);
		free(c->ns);
		free(c->session_req);
		free(c);
		return NULL;
	}
	dtc_enter(c);
	ctx_open(c);
	if (!dtc_leave(c)) /* cannot happen: nobody had c yet */
		return NULL;
	return c;
}

void
dyntable_free(dyntable_ctx *c)
{
	if (!c)
		return;
	c->freeing = true;
	if (c->depth > 0)
		return; /* dtc_leave() of the outermost frame does it */
	ctx_destroy(c);
}

dyntable_status
dyntable_errcode(const dyntable_ctx *c)
{
	return c ? c->err : DYNTABLE_ERR_NOMEM;
}

const char *
dyntable_errstr(const dyntable_ctx *c)
{
	if (!c)
		return "out of memory";
	return c->err == DYNTABLE_OK ? "" : c->errstr;
}

const char *
dyntable_last_error(const dyntable_ctx *c)
{
	return c ? c->last_error : "context is NULL";
}

const char *
dyntable_server(const dyntable_ctx *c)
{
	return c ? c->server : NULL;
}

const char *
dyntable_session(const dyntable_ctx *c)
{
	return c && c->hello_done ? c->session : NULL;
}

bool
dyntable_session_resumed(const dyntable_ctx *c)
{
	return c && c->hello_done && c->resumed;
}

const char *
dyntable_namespace(const dyntable_ctx *c)
{
	return c && c->ns ? c->ns : "";
}

int
dyntable_fd(const dyntable_ctx *c)
{
	return c ? c->fd : -1;
}

void *
dyntable_hooks_data(const dyntable_ctx *c)
{
	return c && c->attached ? c->hooks.data : NULL;
}

dyntable_status
dyntable_attach(dyntable_ctx *c, const dyntable_hooks *hooks)
{
	if (!c || !hooks)
		return DYNTABLE_ERR_INVALID;
	if (c->attached)
		return DYNTABLE_ERR_USAGE;
	if (c->freeing)
		return DYNTABLE_ERR_DISCONNECTED;
	if (c->err != DYNTABLE_OK)
		return c->err;
	c->hooks = *hooks;
	c->attached = true;
	c->reading = true;
	if (c->hooks.add_read)
		c->hooks.add_read(c->hooks.data);
	hook_want_write(c);
	return DYNTABLE_OK;
}

void
dyntable_handle_read(dyntable_ctx *c)
{
	if (!c)
		return;
	dtc_enter(c);
	ctx_read(c);
	dtc_leave(c);
}

void
dyntable_handle_write(dyntable_ctx *c)
{
	if (!c)
		return;
	dtc_enter(c);
	ctx_write(c);
	dtc_leave(c);
}
