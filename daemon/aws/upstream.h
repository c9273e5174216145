/* SPDX-License-Identifier: MIT */
/*
 * upstream.h: the HTTPS pool to DynamoDB, libcurl multi on libevent
 * (upstream.c). An upstream call (struct upcall) is owned by the pool from
 * upstream_call() until its callback returns or upstream_cancel().
 */
#ifndef DYNTABLED_UPSTREAM_H
#define DYNTABLED_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"

struct event_base;
struct creds;

struct upstream;
struct upcall;

/* The outcome of one DynamoDB call, after retries. Valid during the
 * callback only. */
typedef struct upstream_reply {
	long http_status;     /* last HTTP status, 0 when none arrived */
	bool transport_error; /* no usable answer: connect/TLS/timeout/bad JSON */
	bool no_credentials;  /* nothing to sign with: no request was sent */
	json_t *body;	      /* parsed JSON body (200 or error), or NULL */
	const char *aws_type; /* error type after '#', e.g. "ValidationException" */
	const char *message;  /* error text: DynamoDB's, or curl's */
	unsigned attempts;    /* HTTP attempts made */
} upstream_reply;

typedef void upstream_cb(void *arg, const upstream_reply *r);

/* How upstream_reply.message starts when DynamoDB sent an error type but
 * no message (emulators do): callers may say something better. */
#define UPSTREAM_NO_MESSAGE "DynamoDB gave no message"

/* Creates the pool for cfg->endpoint and cfg->region, signing with cr.
 * Returns NULL with a logged reason on failure. */
struct upstream *upstream_new(struct event_base *base,
    const struct config *cfg, const struct creds *cr);
/* Cancels every call in flight (their callbacks do not fire) and frees. */
void upstream_free(struct upstream *u);
/* SIGHUP: calls made from now on go to cfg->endpoint, signed for
 * cfg->region; calls in flight finish against what they started with.
 * Returns 0, or -1 (logged) with nothing changed. */
int upstream_reconfigure(struct upstream *u, const struct config *cfg);
/* The credential store's on-change callback (a creds_changed_cb; arg is
 * the pool): keys arrived, or a resolution ended. Calls waiting for keys
 * (they wait while creds_pending(), at most http_timeout_ms) go on, or
 * fail with no_credentials. Never calls back from inside. */
void upstream_creds_changed(void *arg);

/*
 * Sends "DynamoDB_20120810.<operation>" with body (JSON text, copied),
 * signing every attempt afresh and retrying by the standard policy. With
 * max_connections calls sending already, it waits its turn in the pool's
 * queue (no HTTP timeout runs there). cb fires exactly once, from the
 * event loop, never from inside this call, unless upstream_cancel() is
 * called first. Returns NULL when out of memory (cb will not fire).
 */
struct upcall *upstream_call(struct upstream *u, const char *operation,
    const char *body, upstream_cb *cb, void *arg);
/* Abandons a call: its callback will not fire. */
void upstream_cancel(struct upcall *uc);

/* Counters for status and tests. */
struct upstream_stats {
	unsigned long requests;	 /* HTTP attempts started */
	unsigned long retries;
	unsigned long failures;	 /* calls that ended in an error */
	unsigned in_flight;	 /* calls not yet answered */
};
void upstream_get_stats(const struct upstream *u, struct upstream_stats *st);

#endif /* DYNTABLED_UPSTREAM_H */
