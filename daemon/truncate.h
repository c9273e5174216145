/* SPDX-License-Identifier: MIT */
/*
 * truncate.h: deleting every item of a table and keeping the table
 * (truncate.c).
 *
 * A truncation reads the key schema (DescribeTable), scans the table in
 * parallel segments projecting only the key attributes, and deletes what
 * it finds with BatchWriteItem, 25 keys a call, resending what DynamoDB
 * leaves unprocessed after a backoff. Items written while it runs may
 * survive it. Every truncation of the daemon shares one bound on the
 * DynamoDB calls in flight (cfg.truncate_concurrency), so that the rest
 * of --max-connections stays free for other clients.
 *
 * Nothing here knows requests: callers (ops.c, pools.c) get a callback,
 * which fires exactly once unless truncate_cancel() comes first.
 */
#ifndef DYNTABLED_TRUNCATE_H
#define DYNTABLED_TRUNCATE_H

#include <stdbool.h>

#include "dtp.h"

struct event_base;
struct config;
struct upstream;
struct truncates;
struct truncation;

typedef struct truncate_result {
	dtp_err err;		  /* DTP_OK, or what stopped it */
	const char *aws_type;	  /* DynamoDB's error type, or NULL */
	const char *message;	  /* the failure, for people */
	unsigned long deleted;	  /* items deleted (also on failure) */
	unsigned long elapsed_ms; /* from the start to the end */
} truncate_result;

typedef void truncate_cb(void *arg, const truncate_result *res);

/* cfg and up must outlive it. NULL when out of memory. */
struct truncates *truncates_new(struct event_base *base,
    const struct config *cfg, struct upstream *up);
/* Cancels every truncation (callbacks do not fire) and frees. NULL is a
 * no-op. */
void truncates_free(struct truncates *ts);

/* Truncates table (DynamoDB's name; copied). A table with deletion
 * protection is refused (INVALID) unless force. NULL when out of memory
 * (cb will not fire). */
struct truncation *truncate_start(struct truncates *ts, const char *table,
    bool force, truncate_cb *cb, void *arg);
/* Stops t at once: calls in flight are abandoned, no further call is
 * made, cb will not fire. */
void truncate_cancel(struct truncation *t);

struct truncate_stats {
	unsigned running;	 /* truncations in progress */
	unsigned calls;		 /* their DynamoDB calls in flight */
	unsigned long deleted;	 /* items deleted since start */
};
void truncates_get_stats(const struct truncates *ts,
    struct truncate_stats *st);
/* The bound on calls in flight, resolved (the default when 0). */
unsigned truncate_concurrency(const struct config *cfg);

#endif /* DYNTABLED_TRUNCATE_H */
