/* SPDX-License-Identifier: MIT */
/*
 * server.h: the server, as main.c builds it.
 *
 * Ownership in one paragraph: the server (main.c) owns the event base,
 * the configuration, the listener, every connection, the upstream pool,
 * the credentials, the waits, the mutation limiter, the sessions and the
 * ephemeral tables; it makes them in that order and frees them in the
 * reverse. A connection (conn.c) owns its requests (struct req, req.h)
 * until each is answered or the connection closes. Only the core sees
 * this struct: conn.c (its list, counters and admission) and ops.c (what
 * `status` shows, and the modules an operation uses).
 */
#ifndef DYNTABLED_SERVER_H
#define DYNTABLED_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>

#include "config.h"
#include "policy.h"

struct event_base;
struct creds;
struct upstream;
struct listener;
struct waits;
struct mutations;
struct sessions;
struct ephemeral;
struct truncates;
struct pools;
struct conn;
struct uid_conns;

TAILQ_HEAD(conn_list, conn);

struct server {
	struct event_base *base;
	struct config cfg;
	struct creds *creds;
	struct upstream *up;
	struct listener *listener; /* NULL once stopping */
	struct waits *waits;
	struct mutations *muts;
	struct sessions *sessions;
	struct ephemeral *eph;
	struct truncates *truncs;
	struct pools *pools;
	struct conn_list conns;	 /* every open connection */
	unsigned n_conns;
	struct uid_conns *uid_conns; /* conn.c: open connections per uid */
	size_t n_uid_conns;	 /* entries in use (uids with connections) */
	time_t started;
	unsigned long next_conn_id;
	unsigned long reqs_in_flight; /* struct req alive, all connections */
	unsigned long reqs_served;    /* requests answered since start */
	bool stopping;		 /* SIGTERM seen: draining */
};

#endif /* DYNTABLED_SERVER_H */
