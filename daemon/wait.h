/* SPDX-License-Identifier: MIT */
/*
 * wait.h: waits on daemon timers, one poller per table and goal (wait.c).
 *
 * A client sends one request ("tell me when users is ACTIVE") and gets
 * one answer: the daemon polls DescribeTable for it, and every waiter on
 * the same table and goal shares one poller.
 */
#ifndef DYNTABLED_WAIT_H
#define DYNTABLED_WAIT_H

#include <stdbool.h>

#include <jansson.h>

#include "dtp.h"

struct event_base;
struct config;
struct upstream;
struct waits;
struct waiter;

enum wait_goal { WAIT_ACTIVE, WAIT_DELETED };

typedef struct wait_result {
	dtp_err err;	       /* DTP_OK: the goal holds */
	const json_t *table;   /* ACTIVE: the TableDescription that showed it */
	const char *aws_type;  /* a failure's DynamoDB error type, or NULL */
	const char *message;   /* a failure, for people */
} wait_result;
/* Valid during the call only. */
typedef void wait_cb(void *arg, const wait_result *res);

/* What a wait for ACTIVE after an UpdateTable also needs: the index it
 * created listed (and, like every GSI, ACTIVE and backfilled), the one it
 * deleted gone. NULL names: nothing more. Copied by wait_start(). */
struct wait_index {
	const char *created;
	const char *deleted;
};

/* cfg and up must outlive it. NULL when out of memory. */
struct waits *waits_new(struct event_base *base, const struct config *cfg,
    struct upstream *up);
/* Answers every waiter with SHUTDOWN and stops every poller; waits
 * started afterwards are refused. */
void waits_shutdown(struct waits *w);
/* waits_shutdown(), then frees. NULL is a no-op. */
void waits_free(struct waits *w);
/*
 * Waits until table (DynamoDB's name) reaches goal, at most timeout_ms.
 * WAIT_ACTIVE with table_only needs only the table's TableStatus ACTIVE,
 * not its GSIs'; it shares the table's poller, as does a wait with an
 * index condition ix (NULL: none). cb fires once, from the
 * loop, when the goal holds, the deadline passes (TIMEOUT) or an error
 * ends it, unless wait_cancel() comes first. NULL when it cannot start,
 * with *err: SHUTDOWN (the daemon is stopping) or INTERNAL (out of
 * memory); cb will not fire then.
 */
struct waiter *wait_start(struct waits *w, const char *table,
    enum wait_goal goal, unsigned timeout_ms, bool table_only,
    const struct wait_index *ix, wait_cb *cb, void *arg, dtp_err *err);
/* Ends a wait without calling back (its starter is gone). */
void wait_cancel(struct waiter *wt);

struct wait_stats {
	unsigned waiters;
	unsigned pollers;
	unsigned long polls; /* DescribeTable calls made by pollers */
};
void waits_get_stats(const struct waits *w, struct wait_stats *st);

#endif /* DYNTABLED_WAIT_H */
