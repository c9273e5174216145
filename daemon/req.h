/* SPDX-License-Identifier: MIT */
/*
 * req.h: a client's request, as the operations see it (req.c).
 *
 * A connection (conn.c) owns its requests: it makes one for every
 * request frame, hands it to ops_dispatch(), and frees it when it is
 * answered or when the connection goes. Whoever serves a request answers
 * it exactly once through req_reply_*(), which encode the reply and pass
 * the frame to the connection's send function: operations, waits and
 * sessions finish a request without knowing conn.c.
 */
#ifndef DYNTABLED_REQ_H
#define DYNTABLED_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <jansson.h>

#include "dtp.h"
#include "namespace.h"

struct policy_peer;
struct server;
struct session;
struct req;

/* What hello settles for a connection (ops_hello); the connection keeps
 * it, its requests point at it. */
struct req_ident {
	char ns[NS_MAX + 1];	  /* the namespace, "" when none */
	struct session *session;  /* the connection's session */
	bool resumed;		  /* hello joined an existing session */
};

/* conn.c: queues frame (len bytes, malloc'd; the callee takes it) as r's
 * answer, then frees r. */
typedef void req_send_fn(struct req *r, char *frame, size_t len);

struct req {
	uint32_t id;			/* the client's request id */
	dtp_op op;
	uint64_t arrived_us;		/* metrics_clock_us() at its arrival */
	const struct policy_peer *peer; /* who asked (the connection's) */
	const struct req_ident *ident;	/* its hello (the connection's) */
	const void *owner;		/* the connection: a queue of the
					 * mutation limiter */
	req_send_fn *send;
	void *conn;			/* conn.c's, for send */

	/* The operation's state: ops.c's. */
	struct server *srv;	/* the server it runs in, for callbacks */
	char table[256];	/* DynamoDB's name, when the op has one */
	bool wait;		/* create/delete: wait afterwards */
	bool table_only;	/* waits: the table, not its GSIs */
	bool all;		/* list_tables: every namespace */
	bool ephemeral;		/* create_table: owned by the session */
	unsigned timeout_ms;	/* the wait's timeout, resolved */
	struct dynamo_call *call; /* the DynamoDB call in flight, or NULL */
	struct waiter *waiter;	/* the wait in progress, or NULL */
	struct mutation *mut;	/* create/delete: its place in the mutation
				 * limiter (queued or running), or NULL */
	struct eph_table *eph;	/* an ephemeral create in progress, or NULL */
	struct reap *reap;	/* a reap in progress, or NULL */
	struct truncation *trunc; /* a truncate in progress, or NULL */
	struct pool_lease *lease; /* a lease waiting for a table, or NULL */
	json_t *acc;		/* the CreateTableInput until sent; the
				 * DeleteTable description; owned */
	TAILQ_ENTRY(req) entry; /* in its connection's list */
};

/* Answers r and frees it: result's members become the reply's result
 * (NULL: an empty one). */
void req_reply_ok(struct req *r, const json_t *result);
/* Answers r with an error and frees it. The message passes through
 * redact(); aws_type is DynamoDB's error type, or NULL. */
void req_reply_error(struct req *r, dtp_err code, const char *aws_type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Frees r's state and r, unanswered (its connection is gone; the work
 * was stopped by ops_abandon). */
void req_free(struct req *r);

#endif /* DYNTABLED_REQ_H */
