/* SPDX-License-Identifier: MIT */
/*
 * conn.c: one client connection, as an explicit state machine.
 *
 *   HANDSHAKE --hello ok--> READY --EOF/error--> (freed)
 *       |                     |  \
 *       |                     |   +--SIGTERM--> DRAINING: no more reads;
 *       |                     |                 its requests finish
 *       +--bad frame/version--+--> CLOSING <----+ (after the last reply):
 *                                  replies written, then freed
 *
 * Frames are checked before anything is buffered beyond one frame: reads
 * stop at one maximal frame of input, and a bad length closes the
 * connection. A client that stops reading its replies stops being read
 * (its output queue is bounded) rather than growing the daemon.
 *
 * I/O is two evbuffers and three events rather than a bufferevent, to
 * spend as few system calls per request as the work allows (issue 7): a
 * read is one recv() (no FIONREAD); replies queued while the loop runs
 * callbacks are written by ev_flush, activated in the same loop pass, in
 * one writev() (no EPOLLOUT round trip); ev_write is armed only when the
 * socket is full.
 *
 * A connection owns its requests (struct req, req.h): it makes one per
 * request frame, with conn_req_send as the way back, and hands it to
 * ops_dispatch(). Each is answered at most once through req_reply_*(),
 * which encode the reply and come back here to queue it and free the
 * request. When the connection goes, ops_abandon() stops whatever each
 * request was doing. Nothing but ops.h is called from here for requests:
 * the operations never call into this file.
 *
 * Deadlines (issue 7, abuse tests), one timer per connection, so that a
 * client cannot hold a connection slot and a partial frame forever:
 *   - no complete hello within CONN_HELLO_TIMEOUT_S of accepting: an id-0
 *     PROTOCOL error, then closed;
 *   - an incomplete frame (even one byte of a header) held for
 *     CONN_FRAME_TIMEOUT_S: the same. The clock starts when the bytes
 *     after the last complete frame arrive, not at each read, so a client
 *     trickling one byte at a time is closed too; it does not run while
 *     the daemon itself has stopped reading (throttled). An idle
 *     connection with nothing pending has no deadline;
 *   - CLOSING (after an error reply) for CONN_CLOSE_TIMEOUT_S without the
 *     client reading that reply: closed without waiting further;
 *   - replies pending and not a byte of them taken for
 *     CONN_WRITE_TIMEOUT_S (ev_write's timeout, which restarts each time
 *     the socket has room again): the client has stopped reading; it is
 *     closed, since no error could reach it. Until then its output queue
 *     is bounded by CONN_OUT_HIGH (reading paused), so one such client
 *     costs bounded memory, and only for a bounded time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"
#include "dtp.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "req.h"
#include "server.h"
#include "sessions.h"

#define CONN_OUT_HIGH (8u << 20) /* stop reading a client above this */
#define CONN_HELLO_TIMEOUT_S 10  /* accept -> hello complete */
#define CONN_FRAME_TIMEOUT_S 30  /* first byte -> last byte of a frame */
#define CONN_CLOSE_TIMEOUT_S 10  /* error reply queued -> read by client */
#define CONN_WRITE_TIMEOUT_S 30  /* replies pending, none taken */
#define CONN_READ_CHUNK (16u << 10) /* most bytes one recv() takes */

enum conn_state { CONN_HANDSHAKE, CONN_READY, CONN_DRAINING, CONN_CLOSING };

static const char *const conn_state_names[] = {
	[CONN_HANDSHAKE] = "handshake",
	[CONN_READY] = "ready",
	[CONN_DRAINING] = "draining",
	[CONN_CLOSING] = "closing",
};

TAILQ_HEAD(req_list, req);

#define CONN_MAX_GROUPS 64 /* supplementary groups kept per peer */

struct conn {
	struct server *srv;
	unsigned long id;	  /* for logs */
	int fd;			  /* owned */
	struct evbuffer *in;	  /* bytes read, not yet a whole frame */
	struct evbuffer *out;	  /* replies not yet written */
	struct event *ev_read;	  /* persistent; added while reading */
	struct event *ev_write;	  /* added while the socket is full */
	struct event *ev_flush;	  /* activated to write out, same pass */
	bool reading;		  /* ev_read is added */
	bool writing;		  /* ev_write is added */
	enum conn_state state;
	pid_t pid;		  /* peer credentials, for logs */
	uid_t uid;
	struct policy_peer peer;  /* peer credentials, for the policy */
	gid_t groups[CONN_MAX_GROUPS]; /* its supplementary groups */
	struct req_list reqs;	  /* requests in flight, owned */
	unsigned n_reqs;
	bool throttled;		  /* reading paused: output queue full */
	bool partial;		  /* the frame deadline runs for the
				   * incomplete frame in the input */
	struct event *ev_timer;	  /* the state's deadline (see top) */
	struct req_ident ident;	  /* hello's namespace and session (ops.c) */
	TAILQ_ENTRY(conn) entry;  /* in srv->conns */
};

static void conn_on_readable(evutil_socket_t fd, short what, void *arg);
static void conn_on_writable(evutil_socket_t fd, short what, void *arg);
static void conn_on_timer(evutil_socket_t fd, short what, void *arg);
static void conn_close(struct conn *c, const char *why);
static void conn_req_send(struct req *r, char *frame, size_t len);

/* (Re)starts the connection's one timer: it fires secs from now. */
static void
conn_arm(struct conn *c, int secs)
{
	struct timeval tv = { secs, 0 };

	if (evtimer_add(c->ev_timer, &tv) != 0)
		log_warn("conn %lu: cannot set a timer", c->id);
}

/* Starts or stops watching the socket for requests. */
static void
conn_set_reading(struct conn *c, bool on)
{
	if (on == c->reading)
		return;
	if (on ? event_add(c->ev_read, NULL) : event_del(c->ev_read)) {
		log_warn("conn %lu: cannot %s reading", c->id,
		    on ? "resume" : "pause");
		return;
	}
	c->reading = on;
}

/* Queues a finished frame; takes ownership of data. It is written once
 * the callbacks running now return (ev_flush), never from in here, so no
 * caller ever sees the connection closed under it. */
static void
conn_send_frame(struct conn *c, char *data, size_t len)
{
	if (evbuffer_add(c->out, data, len) != 0)
		log_warn("conn %lu: cannot queue %zu bytes", c->id, len);
	free(data);
	if (!c->writing)
		event_active(c->ev_flush, EV_WRITE, 0);
	if (!c->throttled && c->state != CONN_CLOSING &&
	    evbuffer_get_length(c->out) > CONN_OUT_HIGH) {
		/* The client does not read its replies: stop reading its
		 * requests until it does, so its queue stays bounded. */
		c->throttled = true;
		conn_set_reading(c, false);
		log_debug("conn %lu: output queue full, reading paused", c->id);
	}
}

/* Encodes and queues an error reply not tied to a struct req. */
static void
conn_send_error(struct conn *c, uint32_t id, dtp_err code, const char *msg)
{
	dtp_enc e;
	char *data;
	size_t len;

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, id, code, NULL, msg);
	if (dtp_enc_finish(&e, &data, &len) == 0)
		conn_send_frame(c, data, len);
	dtp_enc_free(&e);
}

/* Stops every request of c and frees it, unanswered. */
static void
conn_drop_reqs(struct conn *c)
{
	struct req *r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		ops_abandon(r);
		metrics_request(r->op, METRICS_ABANDONED, metrics_clock_us() -
		    r->arrived_us);
		TAILQ_REMOVE(&c->reqs, r, entry);
		req_free(r);
		c->srv->reqs_in_flight--;
	}
	c->n_reqs = 0;
}

/* Drops every request, sends one error reply under id (0 for an error
 * of the connection itself), then closes once it is written. */
static void
conn_fail(struct conn *c, uint32_t id, dtp_err code, const char *msg)
{
	log_info("conn %lu (pid %ld uid %ld): %s: closing", c->id,
	    (long)c->pid, (long)c->uid, msg);
	conn_drop_reqs(c);
	conn_send_error(c, id, code, msg); /* closes c once written */
	c->state = CONN_CLOSING;
	conn_set_reading(c, false);
	conn_arm(c, CONN_CLOSE_TIMEOUT_S); /* a client that never reads */
}

static void
conn_hello(struct conn *c, const dtp_msg *m)
{
	const msgpack_object *v = dtp_map_get(m->args, "major");
	uint64_t major;
	dtp_enc e;
	char *data, msg[128];
	size_t len;

	if (!dtp_get_uint(v, &major) || major != DTP_VERSION_MAJOR) {
		snprintf(msg, sizeof(msg), "protocol major version %s is not "
		    "supported; this daemon speaks %d.%d", v == NULL ? "(none)" :
		    "given", DTP_VERSION_MAJOR, DTP_VERSION_MINOR);
		conn_fail(c, m->id, DTP_E_VERSION, msg);
		return;
	}
	ops_goodbye(&c->ident); /* a hello whose reply failed: start over */
	if (ops_hello(c->srv, m->args, &c->ident, msg, sizeof(msg)) != 0) {
		conn_fail(c, m->id, DTP_E_INVALID, msg);
		return;
	}
	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, m->id, 8);
	dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR);
	dtp_pack_kv_uint(&e, "minor", DTP_VERSION_MINOR);
	dtp_pack_kv_str(&e, "server", "dyntabled " DYNTABLED_VERSION);
	dtp_pack_kv_uint(&e, "max_frame", c->srv->cfg.max_frame);
	dtp_pack_kv_uint(&e, "max_inflight", c->srv->cfg.max_inflight);
	dtp_pack_kv_uint(&e, "protocol_frame_max", DTP_FRAME_MAX);
	dtp_pack_kv_str(&e, "session", session_token(c->ident.session));
	dtp_pack_kv_bool(&e, "resumed", c->ident.resumed);
	if (dtp_enc_finish(&e, &data, &len) == 0) {
		conn_send_frame(c, data, len);
		c->state = CONN_READY;
	}
	dtp_enc_free(&e);
}

/* Answers a request refused before it became a struct req (counted,
 * with no latency to speak of). */
static void
conn_turn_away(struct conn *c, const dtp_msg *m, dtp_err code,
    const char *msg)
{
	metrics_request(m->op, code, 0);
	conn_send_error(c, m->id, code, msg);
}

/* Serves one decoded request. */
static void
conn_request(struct conn *c, dtp_msg *m)
{
	struct req *r;

	if (m->op == DTP_OP_HELLO) {
		if (c->state == CONN_READY)
			conn_send_error(c, m->id, DTP_E_PROTOCOL,
			    "hello sent twice");
		else
			conn_hello(c, m);
		return;
	}
	if (c->state == CONN_HANDSHAKE) {
		conn_fail(c, m->id, DTP_E_VERSION,
		    "the first request must be hello");
		return;
	}
	if (c->srv->stopping) {
		conn_turn_away(c, m, DTP_E_SHUTDOWN,
		    "the daemon is shutting down");
		return;
	}
	if (c->n_reqs >= c->srv->cfg.max_inflight) {
		char msg[96];

		snprintf(msg, sizeof(msg), "too many requests in flight on "
		    "this connection (limit %u)", c->srv->cfg.max_inflight);
		conn_turn_away(c, m, DTP_E_LIMIT, msg);
		return;
	}
	TAILQ_FOREACH(r, &c->reqs, entry) {
		if (r->id == m->id) {
			conn_turn_away(c, m, DTP_E_INVALID,
			    "a request with this id is already in flight");
			return;
		}
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		conn_turn_away(c, m, DTP_E_INTERNAL, "out of memory");
		return;
	}
	r->conn = c;
	r->send = conn_req_send;
	r->peer = &c->peer;
	r->ident = &c->ident;
	r->owner = c;
	r->id = m->id;
	r->op = m->op;
	r->arrived_us = metrics_clock_us();
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->n_reqs++;
	c->srv->reqs_in_flight++;
	log_debug("conn %lu: request %u %s", c->id, r->id, dtp_op_name(r->op));
	ops_dispatch(c->srv, r, m->args);
}

/* Takes every complete frame out of the input buffer. */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = c->in;

	while (c->state == CONN_HANDSHAKE || c->state == CONN_READY) {
		unsigned char hdr[DTP_HEADER_LEN];
		size_t avail = evbuffer_get_length(in);
		uint32_t len;
		dtp_decode_rc rc;
		dtp_msg m;
		char err[160];
		unsigned char *payload;

		if (avail < DTP_HEADER_LEN)
			break;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		if (dtp_frame_check(hdr, sizeof(hdr), c->srv->cfg.max_frame,
		    &len) != DTP_FRAME_OK) {
			snprintf(err, sizeof(err), "bad frame length (limit "
			    "%u bytes)", c->srv->cfg.max_frame);
			conn_fail(c, 0, DTP_E_PROTOCOL, err);
			return;
		}
		if (avail < DTP_HEADER_LEN + (size_t)len)
			break; /* the watermark bounds what may arrive */
		payload = evbuffer_pullup(in, DTP_HEADER_LEN + (ssize_t)len);
		if (payload == NULL) {
			conn_fail(c, 0, DTP_E_INTERNAL, "out of memory");
			return;
		}
		err[0] = '\0';
		rc = dtp_decode_request(payload + DTP_HEADER_LEN, len, &m, err,
		    sizeof(err));
		evbuffer_drain(in, DTP_HEADER_LEN + (size_t)len);
		c->partial = false; /* what follows starts a new frame */
		switch (rc) {
		case DTP_DECODE_OK:
			conn_request(c, &m);
			break;
		case DTP_DECODE_BAD_MSG:
			conn_send_error(c, m.id, DTP_E_INVALID, err);
			break;
		case DTP_DECODE_NOMEM:
			conn_send_error(c, m.id, DTP_E_INTERNAL, "out of memory");
			break;
		case DTP_DECODE_BAD_FRAME:
		default:
			conn_fail(c, 0, DTP_E_PROTOCOL, err[0] != '\0' ? err :
			    "malformed message");
			break;
		}
		dtp_msg_free(&m);
	}
	/* Deadlines (see top). In HANDSHAKE the hello deadline stands. */
	if (c->state != CONN_READY)
		return;
	if (evbuffer_get_length(in) == 0) {
		c->partial = false;
		evtimer_del(c->ev_timer);
	} else if (!c->partial) {
		c->partial = true;
		conn_arm(c, CONN_FRAME_TIMEOUT_S);
	}
}

/* ev_read: one recv(), at most what completes one maximal frame. */
static void
conn_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	unsigned char buf[CONN_READ_CHUNK];
	size_t room = DTP_HEADER_LEN + (size_t)c->srv->cfg.max_frame -
	    evbuffer_get_length(c->in);
	ssize_t n;

	(void)what;
	if (room > sizeof(buf))
		room = sizeof(buf);
	n = recv(fd, buf, room, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c, strerror(errno));
		return;
	}
	if (n == 0) {
		conn_close(c, "client closed the connection");
		return;
	}
	if (evbuffer_add(c->in, buf, (size_t)n) != 0) {
		conn_fail(c, 0, DTP_E_INTERNAL, "out of memory");
		return;
	}
	conn_process(c);
}

/* The output queue is empty. */
static void
conn_on_drained(struct conn *c)
{
	if (c->state == CONN_CLOSING) {
		conn_close(c, NULL);
		return;
	}
	if (c->throttled) {
		c->throttled = false;
		conn_set_reading(c, true);
		log_debug("conn %lu: output drained, reading again", c->id);
	}
}

/*
 * ev_flush (queued replies) and ev_write (the socket has room again, or
 * CONN_WRITE_TIMEOUT_S passed without it: the client stopped reading).
 * One writev() of everything queued; what the socket did not take waits
 * for ev_write (persistent: its timeout restarts each time the socket
 * has room again).
 */
static void
conn_on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { CONN_WRITE_TIMEOUT_S, 0 };
	int n;

	(void)fd;
	if (what & EV_TIMEOUT) {
		log_info("conn %lu (pid %ld uid %ld): no reply read for %d s: "
		    "closing", c->id, (long)c->pid, (long)c->uid,
		    CONN_WRITE_TIMEOUT_S);
		conn_close(c, "client stopped reading its replies");
		return;
	}
	if (evbuffer_get_length(c->out) == 0)
		return; /* flushed by an earlier pass */
	n = evbuffer_write(c->out, c->fd);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		conn_close(c, strerror(errno));
		return;
	}
	if (evbuffer_get_length(c->out) == 0) {
		if (c->writing) {
			event_del(c->ev_write);
			c->writing = false;
		}
		conn_on_drained(c);
		return;
	}
	if (!c->writing) {
		if (event_add(c->ev_write, &tv) != 0) {
			conn_close(c, "cannot watch the socket");
			return;
		}
		c->writing = true;
	}
}

/* The connection's deadline passed (see top). */
static void
conn_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char msg[64];

	switch (c->state) {
	case CONN_HANDSHAKE:
		snprintf(msg, sizeof(msg), "no hello within %d s",
		    CONN_HELLO_TIMEOUT_S);
		conn_fail(c, 0, DTP_E_PROTOCOL, msg);
		return;
	case CONN_READY:
		if (c->throttled) { /* we stopped reading, not the client */
			conn_arm(c, CONN_FRAME_TIMEOUT_S);
			return;
		}
		if (evbuffer_get_length(c->in) == 0) {
			c->partial = false;
			return;
		}
		snprintf(msg, sizeof(msg), "incomplete frame for %d s",
		    CONN_FRAME_TIMEOUT_S);
		conn_fail(c, 0, DTP_E_PROTOCOL, msg);
		return;
	case CONN_DRAINING:
		return; /* requests in flight end it; the daemon's deadline too */
	case CONN_CLOSING:
	default:
		conn_close(c, evbuffer_get_length(c->out) != 0 ?
		    "replies not read in time" : "drained");
		return;
	}
}

/* Tells a client it is refused (a connection error, id 0) rather than
 * leave it hanging, and closes fd. */
static void
conn_refuse(int fd, dtp_err code, const char *msg)
{
	dtp_enc e;
	char *data;
	size_t len;

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, 0, code, NULL, msg);
	if (dtp_enc_finish(&e, &data, &len) == 0) {
		if (send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("refused client: %s", strerror(errno));
		free(data);
	}
	dtp_enc_free(&e);
	close(fd);
}

/* Reads the peer's uid, gid, pid and supplementary groups. An unknown
 * peer gets uid/gid -1, which no policy trusts. */
static void
conn_get_peer(int fd, struct policy_peer *peer, gid_t *groups, size_t max)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	peer->pid = -1;
	peer->uid = (uid_t)-1;
	peer->gid = (gid_t)-1;
	peer->groups = groups;
	peer->n_groups = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
		peer->pid = uc.pid;
		peer->uid = uc.uid;
		peer->gid = uc.gid;
	}
	len = (socklen_t)(max * sizeof(gid_t));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		peer->n_groups = len / sizeof(gid_t);
}

/* Frees the I/O of c (events, buffers) and closes its socket. */
static void
conn_free_io(struct conn *c)
{
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	if (c->ev_flush != NULL)
		event_free(c->ev_flush);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	close(c->fd);
}

/* uid's entry in the per-uid counts; created at 0 when add (NULL when
 * out of memory, or when !add and uid has none). */
static struct uid_conns *
conn_uid_entry(struct server *srv, uid_t uid, bool add)
{
	struct uid_conns *u;

	for (size_t i = 0; i < srv->n_uid_conns; i++)
		if (srv->uid_conns[i].uid == uid)
			return &srv->uid_conns[i];
	if (!add)
		return NULL;
	u = realloc(srv->uid_conns, (srv->n_uid_conns + 1) * sizeof(*u));
	if (u == NULL)
		return NULL;
	srv->uid_conns = u;
	u[srv->n_uid_conns] = (struct uid_conns){ .uid = uid, .n = 0 };
	return &u[srv->n_uid_conns++];
}

/* uid's connection closed: its count goes down, its entry when at 0. */
static void
conn_uid_release(struct server *srv, uid_t uid)
{
	struct uid_conns *u = conn_uid_entry(srv, uid, false);

	if (u == NULL || --u->n != 0)
		return;
	*u = srv->uid_conns[--srv->n_uid_conns]; /* the last takes its place */
	if (srv->n_uid_conns == 0) {
		free(srv->uid_conns);
		srv->uid_conns = NULL;
	}
}

/*
 * Fair admission (issue 11): --max-clients in all, --max-clients-per-uid
 * for one uid, and CONN_ADMIN_RESERVE more for root, the daemon's user
 * and [access] admins, who are held to no per-uid share. NULL when peer
 * may connect, else the refusal, which names the limit.
 */
static const char *
conn_admission(struct server *srv, const struct policy_peer *peer,
    unsigned have, char *buf, size_t len)
{
	const struct config *cfg = &srv->cfg;
	bool admin = policy_is_admin(cfg->policy, peer);

	if (srv->n_conns >= cfg->max_clients + (admin ? CONN_ADMIN_RESERVE :
	    0)) {
		snprintf(buf, len, "too many clients (limit %u: dyntabled "
		    "--max-clients)", cfg->max_clients);
		return buf;
	}
	if (!admin && have >= cfg->max_clients_per_uid) {
		snprintf(buf, len, "too many connections from uid %ld (limit "
		    "%u: dyntabled --max-clients-per-uid)", (long)peer->uid,
		    cfg->max_clients_per_uid);
		return buf;
	}
	return NULL;
}

/* Warns about refused clients at most once a second: a flood of them
 * must not flood the log too. */
static void
conn_log_refusal(const struct policy_peer *peer, const char *why)
{
	static struct log_rate rate;

	if (log_rate_ok(&rate, 1))
		log_warn("refused a client (pid %ld uid %ld): %s (%lu more "
		    "refused since the last such warning)", (long)peer->pid,
		    (long)peer->uid, why, rate.shown_suppressed);
}

/* A new connection on fd, unless its peer is refused (fd closed). */
static struct conn *
conn_new(struct server *srv, int fd)
{
	struct conn *c;
	struct policy_peer peer;
	gid_t groups[CONN_MAX_GROUPS];
	struct uid_conns *uid_n;
	const char *refusal;
	char why[128];

	conn_get_peer(fd, &peer, groups, CONN_MAX_GROUPS);
	if (srv->stopping) {
		conn_refuse(fd, DTP_E_SHUTDOWN, "the daemon is shutting down");
		return NULL;
	}
	uid_n = conn_uid_entry(srv, peer.uid, false);
	if ((refusal = conn_admission(srv, &peer, uid_n != NULL ? uid_n->n : 0,
	    why, sizeof(why))) != NULL) {
		conn_refuse(fd, DTP_E_LIMIT, refusal);
		conn_log_refusal(&peer, refusal);
		return NULL;
	}
	if (!policy_may_connect(srv->cfg.policy, &peer)) {
		conn_refuse(fd, DTP_E_DENIED, "this user may not use dyntabled "
		    "(see [access] in the daemon's configuration)");
		log_warn("denied a client (pid %ld uid %ld gid %ld): not in "
		    "[access] allow-users/allow-groups", (long)peer.pid,
		    (long)peer.uid, (long)peer.gid);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return NULL;
	}
	c->srv = srv;
	c->id = ++srv->next_conn_id;
	c->state = CONN_HANDSHAKE;
	c->peer = peer;
	memcpy(c->groups, groups, sizeof(groups));
	c->peer.groups = c->groups;
	c->pid = peer.pid;
	c->uid = peer.uid;
	TAILQ_INIT(&c->reqs);
	c->fd = fd;
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->ev_read = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    conn_on_readable, c);
	c->ev_write = event_new(srv->base, fd, EV_WRITE | EV_PERSIST,
	    conn_on_writable, c);
	c->ev_flush = event_new(srv->base, -1, 0, conn_on_writable, c);
	c->ev_timer = evtimer_new(srv->base, conn_on_timer, c);
	if (c->in == NULL || c->out == NULL || c->ev_read == NULL ||
	    c->ev_write == NULL || c->ev_flush == NULL || c->ev_timer == NULL) {
		conn_free_io(c);
		free(c);
		return NULL;
	}
	conn_set_reading(c, true);
	if (!c->reading) {
		conn_free_io(c);
		free(c);
		return NULL;
	}
	if ((uid_n = conn_uid_entry(srv, peer.uid, true)) == NULL) {
		conn_free_io(c);
		free(c);
		return NULL;
	}
	uid_n->n++;
	conn_arm(c, CONN_HELLO_TIMEOUT_S);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->n_conns++;
	log_debug("conn %lu: new client pid %ld uid %ld", c->id, (long)c->pid,
	    (long)c->uid);
	return c;
}

static void
conn_close(struct conn *c, const char *why)
{
	struct server *srv = c->srv;

	if (why != NULL)
		log_debug("conn %lu: %s in state %s, %u requests dropped",
		    c->id, why, conn_state_names[c->state], c->n_reqs);
	conn_drop_reqs(c);
	ops_goodbye(&c->ident);
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->n_conns--;
	conn_uid_release(srv, c->uid);
	conn_free_io(c);
	if (srv->stopping && srv->n_conns == 0)
		event_base_loopexit(srv->base, NULL); /* drained */
	else
		listener_resume(srv->listener);
	free(c);
}

/*
 * A draining connection answered its last request: close it once the
 * replies are written. The close itself runs from the connection's timer,
 * so that no caller up the stack (a reply to the last request) ever sees
 * the connection freed under it.
 */
static void
conn_drained(struct conn *c)
{
	c->state = CONN_CLOSING;
	if (evbuffer_get_length(c->out) == 0)
		conn_arm(c, 0);
	else /* the write that empties it closes c */
		conn_arm(c, CONN_CLOSE_TIMEOUT_S);
}

/* Stops reading from c; requests in flight run to their end, and c closes
 * when the last is answered. */
static void
conn_shutdown(struct conn *c)
{
	if (c->state == CONN_CLOSING || c->state == CONN_DRAINING)
		return;
	c->state = CONN_DRAINING;
	conn_set_reading(c, false);
	if (c->n_reqs == 0)
		conn_drained(c);
}

void
conn_abort_all(struct server *srv)
{
	struct conn *c;
	struct req *r;

	/* Replies close a drained connection from its timer only, so the
	 * list stays intact here. */
	TAILQ_FOREACH(c, &srv->conns, entry)
		while ((r = TAILQ_FIRST(&c->reqs)) != NULL)
			ops_abort(r);
}

void
conn_shutdown_all(struct server *srv)
{
	struct conn *c, *next;

	/* conn_shutdown may free c at once: fetch the next first. */
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_shutdown(c);
	}
}

void
conn_close_all(struct server *srv)
{
	/* Each pass unlinks the first entry (TAILQ/LIST_REMOVE writes
	 * through its prev pointer, which the analyzer does not tie
	 * to the head): not a use after free. */
	while (!TAILQ_EMPTY(&srv->conns))
		conn_close(TAILQ_FIRST(&srv->conns), "daemon exiting"); /* NOLINT(clang-analyzer-unix.Malloc) */
}

void
conn_recheck_all(struct server *srv)
{
	struct conn *c;

	/* conn_fail only queues the DENIED reply; c closes once it is
	 * written, from the loop, so the list stays intact here. */
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->state == CONN_CLOSING ||
		    policy_may_connect(srv->cfg.policy, &c->peer))
			continue;
		log_warn("conn %lu (pid %ld uid %ld): no longer allowed by "
		    "[access] after SIGHUP: closing it", c->id, (long)c->pid,
		    (long)c->uid);
		conn_fail(c, 0, DTP_E_DENIED, "access revoked: this user may "
		    "no longer use dyntabled ([access] was re-read)");
	}
}

/* req_send_fn: queues r's answer (frame, len; NULL when it could not
 * be encoded), unlinks r and frees it. */
static void
conn_req_send(struct req *r, char *frame, size_t len)
{
	struct conn *c = r->conn;

	if (frame != NULL)
		conn_send_frame(c, frame, len);
	TAILQ_REMOVE(&c->reqs, r, entry);
	c->n_reqs--;
	c->srv->reqs_in_flight--;
	c->srv->reqs_served++;
	req_free(r);
	if (c->state == CONN_DRAINING && c->n_reqs == 0)
		conn_drained(c);
}

void
conn_accept(void *srv, int fd)
{
	conn_new(srv, fd);
}
