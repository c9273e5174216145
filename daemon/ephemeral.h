/* SPDX-License-Identifier: MIT */
/*
 * ephemeral.h: ephemeral tables and the reaper (ephemeral.c).
 *
 * A table created with `ephemeral` belongs to the session of its
 * connection (sessions.h); when the session ends, the table is deleted.
 * Each is tagged dyntable:owner and dyntable:expires so that a reap (any
 * daemon's) can delete it once expired if its own daemon could not.
 * Nothing here knows requests or connections: callers get callbacks.
 */
#ifndef DYNTABLED_EPHEMERAL_H
#define DYNTABLED_EPHEMERAL_H

#include <jansson.h>

#include "dynamo.h"

struct event_base;
struct config;
struct upstream;
struct mutations;
struct sessions;
struct session;
struct ephemeral;
struct eph_table;
struct reap;

/* Also schedules the start-up reap and takes the sessions' ends. The
 * others must outlive it. NULL when out of memory. */
struct ephemeral *ephemeral_new(struct event_base *base,
    const struct config *cfg, struct upstream *up, struct mutations *muts,
    struct sessions *ss);
/* Stops everything (tables not yet deleted are left to their tags).
 * NULL is a no-op. */
void ephemeral_free(struct ephemeral *e);

/*
 * create_table with `ephemeral`: input (a checked CreateTableInput with
 * DynamoDB's name; consumed) gets the tags and is created for session s,
 * through the mutation limiter under owner's queue. cb fires once with
 * CreateTable's result (err DTP_E_SHUTDOWN when the daemon stopped before
 * it was sent), unless ephemeral_abandon() comes first. NULL with a
 * message in err when refused (INVALID: its tags) or out of memory
 * (*code says which).
 */
struct eph_table *ephemeral_create(struct ephemeral *e, struct session *s,
    const void *owner, json_t *input, dynamo_cb *cb, void *arg,
    dtp_err *code, char *err, size_t errlen);
/* The create's client went away: cb will not fire. Not sent yet: dropped;
 * sent: it completes, owned by the session. */
void ephemeral_abandon(struct eph_table *et);

/* What a reap did: {"deleted": [names], "checked": n, "errors": n}, or
 * NULL with err and msg. */
typedef void ephemeral_reap_cb(void *arg, const json_t *result, dtp_err err,
    const char *msg);
/* Deletes every table whose dyntable:expires has passed and that this
 * daemon does not own. cb fires once (unless abandoned); NULL when out of
 * memory. */
struct reap *ephemeral_reap(struct ephemeral *e, ephemeral_reap_cb *cb,
    void *arg);
/* The reap's client went away: the run goes on (it logs what it did). */
void ephemeral_reap_abandon(struct reap *rp);

/* DynamoDB's table name was deleted or created by a client: it is no
 * longer (or not any more) a session's ephemeral table. */
void ephemeral_forget(struct ephemeral *e, const char *table);

struct ephemeral_stats {
	unsigned tables;	 /* ephemeral tables alive or being deleted */
	unsigned long deleted;	 /* ephemeral tables deleted since start */
	unsigned long reaped;	 /* expired tables deleted by reaps */
};
void ephemeral_get_stats(const struct ephemeral *e,
    struct ephemeral_stats *st);

#endif /* DYNTABLED_EPHEMERAL_H */
