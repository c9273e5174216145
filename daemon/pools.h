/* SPDX-License-Identifier: MIT */
/*
 * pools.h: pools of tables kept ready to lease (pools.c).
 *
 * A lease asks for a table of a definition (a CreateTableInput without
 * TableName). The pool of that definition (declared in a [pool NAME]
 * section, or learnt from the leases) hands out one of its ACTIVE, empty,
 * unleased tables at once, or creates one and hands it out once ACTIVE.
 * The lessee's session holds the table until it is released: explicitly,
 * by deleting it, or when the session ends. A released table is checked
 * (DescribeTable against the definition), truncated (truncate.h) and
 * ready again; a changed table, or one that cannot be truncated, is
 * deleted and replaced. Pools refill in the background, through the
 * mutation limiter, up to cfg.pool_max_tables tables in all.
 *
 * Pool tables are tagged dyntable:pool, dyntable:def (the definition's
 * hash), dyntable:owner ("host=H pid=P") and dyntable:expires (renewed
 * while the daemon lives): a reap deletes those of a dead daemon.
 *
 * Nothing here knows requests: a lease's caller gets a callback, which
 * fires exactly once, from the loop, unless pools_lease_abandon() comes
 * first.
 */
#ifndef DYNTABLED_POOLS_H
#define DYNTABLED_POOLS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dtp.h"

struct event_base;
struct config;
struct upstream;
struct mutations;
struct waits;
struct truncates;
struct sessions;
struct session;
struct pools;
struct pool_lease;

typedef struct pool_lease_result {
	dtp_err err;		/* DTP_OK, or why there is no table */
	const char *aws_type;	/* DynamoDB's error type, or NULL */
	const char *message;	/* a failure, for people */
	const char *table;	/* the table leased: DynamoDB's name */
	const char *pool;	/* its pool */
	const char *hash;	/* its definition's hash */
	const json_t *desc;	/* its TableDescription when it became
				 * ACTIVE */
	bool fresh;		/* created for this lease (not from the
				 * pool's ready tables) */
} pool_lease_result;

typedef void pool_lease_cb(void *arg, const pool_lease_result *res);

/* Reads the [pool] sections' definition files: NULL with the reason
 * logged when one is bad, or out of memory. The others must outlive it. */
struct pools *pools_new(struct event_base *base, const struct config *cfg,
    struct upstream *up, struct mutations *muts, struct waits *waits,
    struct truncates *truncs, struct sessions *ss);
/* Stops everything; the tables stay, to their tags. NULL is a no-op. */
void pools_free(struct pools *ps);

/*
 * Leases a table of definition def (a CreateTableInput without
 * TableName; not consumed) for session s, waiting at most timeout_ms for
 * one. logical (DynamoDB's form of the caller's name for it, or NULL) then
 * names the table for every operation until it is released (see
 * pools_resolve). With pooled_only, only a pool the daemon has already
 * (declared, or learnt from an earlier lease) serves it. Returns the
 * lease, or NULL with *code and err: INVALID (the definition; a
 * provisioned one without a [pool] section that allows it), NOT_FOUND
 * (pooled_only, and no pool of the definition), IN_USE (logical names a
 * table already), INTERNAL.
 */
struct pool_lease *pools_lease(struct pools *ps, struct session *s,
    const json_t *def, const char *logical, bool pooled_only,
    unsigned timeout_ms,
    pool_lease_cb *cb, void *arg, dtp_err *code, char *err, size_t errlen);
/* The lease's caller is gone: cb will not fire; a table being created
 * for it goes to its pool. */
void pools_lease_abandon(struct pool_lease *l);

/* The table name stands for: the table leased under the logical name
 * name, or NULL when none is. */
const char *pools_resolve(const struct pools *ps, const char *name);
/*
 * Releases table (DynamoDB's name), leased: it goes back to its pool in
 * the background. 0, or -1 with *code and err: NOT_FOUND (not a pool
 * table of this daemon), IN_USE (a pool table, not leased). With desc,
 * *desc is its TableDescription (borrowed, valid until the next call
 * into the pools).
 */
int pools_release(struct pools *ps, const char *table, const json_t **desc,
    dtp_err *code, char *err, size_t errlen);
/* True when table is one of this daemon's pool tables (any state). */
bool pools_owns(const struct pools *ps, const char *table);

/* Every pool: [{"pool", "hash", "declared", "size", "definition",
 * "ready", "leased", "creating", "recycling", "leases", "recycled",
 * "replaced", "failures"}], and the totals, for `pools` and `status`.
 * NULL when out of memory. */
json_t *pools_describe(const struct pools *ps);

#endif /* DYNTABLED_POOLS_H */
