/* SPDX-License-Identifier: MIT */
/*
 * conn.h: client connections (conn.c), each an explicit state machine:
 * handshake, ready, draining, closing.
 */
#ifndef DYNTABLED_CONN_H
#define DYNTABLED_CONN_H

#include <sys/types.h>

struct server;
struct conn;

/* Admission: a peer that is root, the daemon's user or an [access] admin
 * may connect beyond --max-clients by this many, and is not held to
 * --max-clients-per-uid, so that `status` always gets through. */
#define CONN_ADMIN_RESERVE 16

/* Open connections of one uid, for --max-clients-per-uid. */
struct uid_conns {
	uid_t uid;
	unsigned n;
};

/* Takes an accepted, non-blocking fd (listener_accept_fn's arguments,
 * arg being the server). The fd is closed when the peer is refused. */
void conn_accept(void *srv, int fd);
/* Daemon stopping: stops reading from every connection; each closes once
 * its requests in flight are answered and the replies written. */
void conn_shutdown_all(struct server *srv);
/* The drain deadline passed: answers what is left with SHUTDOWN. */
void conn_abort_all(struct server *srv);
/* Closes every connection at once (exit). */
void conn_close_all(struct server *srv);
/* SIGHUP re-read the access policy: closes, with DENIED, the connections
 * of peers it no longer admits (logged). */
void conn_recheck_all(struct server *srv);

#endif /* DYNTABLED_CONN_H */
