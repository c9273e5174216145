/* SPDX-License-Identifier: MIT */
/*
 * pools.c: pools of tables kept ready to lease (see pools.h).
 *
 * Ownership: struct pools owns every pool; a pool owns its tables (struct
 * ptable) and the leases waiting for one (struct pool_lease). A table
 * moves through
 *   CREATING  (CreateTable through the mutation limiter, then a wait for
 *             ACTIVE)
 *   READY     (ACTIVE, empty, unleased)
 *   LEASED    (held by its lessee's session)
 *   RECYCLING (released: DescribeTable against the definition, then a
 *             truncate; READY again after)
 *   DELETING  (changed, failed or surplus: DeleteTable, then forgotten)
 * and only READY tables are handed out, each to one lease, which makes it
 * LEASED in the same step: a table is never handed to two leases.
 *
 * One event (kick) runs the pools from the loop: it hands READY tables to
 * waiting leases (oldest first) and starts creates until each pool has
 * its size of ready-or-coming tables plus one per waiting lease, within
 * cfg.pool_max_tables. A one-second tick renews dyntable:expires, retries
 * deletes and kicks. Lease callbacks fire only from the kick, a timer or a
 * call's callback, never from inside pools_lease().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "config.h"
#include "ddb.h"
#include "dynamo.h"
#include "log.h"
#include "mutations.h"
#include "pooldef.h"
#include "pools.h"
#include "sessions.h"
#include "truncate.h"
#include "wait.h"

#define POOL_TAG_POOL	 "dyntable:pool"
#define POOL_TAG_DEF	 "dyntable:def"
#define POOL_TAG_OWNER	 "dyntable:owner"
#define POOL_TAG_EXPIRES "dyntable:expires"
#define POOL_CREATE_WAIT_MS (30u * 60 * 1000) /* indexes take minutes */
#define POOL_DELETE_TRIES 20	/* then the table is left to its tags */
#define POOL_FAIL_PAUSE_S 5	/* no create in a pool after a failure */

enum pt_state { PT_CREATING, PT_READY, PT_LEASED, PT_RECYCLING, PT_DELETING };

static const char *const pt_state_names[] = {
	"creating", "ready", "leased", "recycling", "deleting",
};

struct pool;

struct ptable {
	struct pool *p;
	TAILQ_ENTRY(ptable) entry;	/* in p->tables */
	char name[256];			/* DynamoDB's name */
	char logical[256];		/* leased under this name, or "" */
	char *arn;
	json_t *desc;			/* TableDescription once ACTIVE */
	json_t *input;			/* CreateTableInput until sent */
	enum pt_state state;
	struct session *s;		/* lessee, while LEASED */
	struct mutation *mut;		/* CreateTable/DeleteTable queued */
	struct dynamo_call *call;	/* create, describe, delete */
	struct dynamo_call *tag;	/* TagResource */
	struct waiter *w;		/* the wait for ACTIVE */
	struct truncation *tr;		/* recycling */
	time_t expires;			/* dyntable:expires set last, 0: none */
	unsigned delete_tries;
};

struct pool_lease {
	struct pool *p;
	TAILQ_ENTRY(pool_lease) entry;	/* in p->waiting */
	struct session *s;
	char logical[256];
	pool_lease_cb *cb;
	void *arg;
	struct event *timer;		/* the caller's deadline */
	bool fresh;			/* a table was created for it */
};

struct pool {
	struct pools *ps;
	TAILQ_ENTRY(pool) entry;
	char name[64];
	char hash[POOLDEF_HASH_LEN + 1];
	json_t *def;			/* canonical */
	unsigned size;			/* ready tables to keep */
	bool declared;
	time_t paused_until;		/* after a failure */
	TAILQ_HEAD(, ptable) tables;
	TAILQ_HEAD(, pool_lease) waiting;
	unsigned long leases, recycled, replaced, failures;
};

struct pools {
	struct event_base *base;
	const struct config *cfg;
	struct upstream *up;
	struct mutations *muts;
	struct waits *waits;
	struct truncates *truncs;
	char owner[192];		/* "host=H pid=P" */
	TAILQ_HEAD(pool_list, pool) list;
	unsigned n_tables;		/* all pools' tables */
	struct event *kick, *tick;
};

static void pt_delete(struct ptable *t, const char *why);
static void pt_recycle(struct ptable *t);

static void
pools_kick(struct pools *ps)
{
	event_active(ps->kick, 0, 0);
}

static unsigned
pool_count(const struct pool *p, enum pt_state st)
{
	const struct ptable *t;
	unsigned n = 0;

	TAILQ_FOREACH(t, &p->tables, entry)
		if (t->state == st)
			n++;
	return n;
}

/* ---- tables ----------------------------------------------------------- */

static void
pt_free(struct ptable *t)
{
	struct pools *ps = t->p->ps;

	if (t->mut != NULL)
		mutation_end(t->mut);
	if (t->call != NULL)
		dynamo_cancel(t->call);
	if (t->tag != NULL)
		dynamo_cancel(t->tag);
	if (t->w != NULL)
		wait_cancel(t->w);
	if (t->tr != NULL)
		truncate_cancel(t->tr);
	if (t->s != NULL)
		session_release(t->s);
	TAILQ_REMOVE(&t->p->tables, t, entry);
	ps->n_tables--;
	json_decref(t->desc);
	json_decref(t->input);
	free(t->arn);
	free(t);
}

/* [{Key, Value}...]: the pool's tags, dyntable:expires = until. */
static json_t *
pt_tags(const struct ptable *t, time_t until)
{
	char exp[32];

	snprintf(exp, sizeof(exp), "%lld", (long long)until);
	return json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]",
	    "Key", POOL_TAG_POOL, "Value", t->p->name,
	    "Key", POOL_TAG_DEF, "Value", t->p->hash,
	    "Key", POOL_TAG_OWNER, "Value", t->p->ps->owner,
	    "Key", POOL_TAG_EXPIRES, "Value", exp);
}

static void
pt_tagged(void *arg, const dynamo_result *res)
{
	struct ptable *t = arg;

	t->tag = NULL;
	if (res->err != DTP_OK) {
		log_warn("pools: %s: TagResource failed: %s", t->name,
		    res->message);
		t->expires = 0; /* the tick tries again */
	}
}

/* Tags t (CreateTable's tags do not stick on every emulator), or renews
 * its dyntable:expires. */
static void
pt_tag(struct ptable *t)
{
	time_t until = time(NULL) + (time_t)t->p->ps->cfg->ephemeral_ttl_s;

	if (t->arn == NULL || t->tag != NULL)
		return;
	t->expires = until;
	if ((t->tag = dynamo_tag(t->p->ps->up, t->arn, pt_tags(t, until),
	    pt_tagged, t)) == NULL)
		t->expires = 0;
}

/* ---- leases ------------------------------------------------------------ */

static void
lease_free(struct pool_lease *l)
{
	TAILQ_REMOVE(&l->p->waiting, l, entry);
	if (l->timer != NULL)
		event_free(l->timer);
	free(l);
}

/* Tells the lease's caller that there is no table, and frees it. */
static void
lease_fail(struct pool_lease *l, dtp_err err, const char *aws_type,
    const char *msg)
{
	pool_lease_result res = { .err = err, .aws_type = aws_type,
		.message = msg, .pool = l->p->name, .hash = l->p->hash };
	pool_lease_cb *cb = l->cb;
	void *arg = l->arg;

	lease_free(l);
	cb(arg, &res);
}

/* Hands READY table t to lease l: t is l's session's from now on. */
static void
lease_hand(struct pool_lease *l, struct ptable *t)
{
	struct pool *p = l->p;
	pool_lease_result res = { .err = DTP_OK, .table = t->name,
		.pool = p->name, .hash = p->hash, .desc = t->desc,
		.fresh = l->fresh };
	pool_lease_cb *cb = l->cb;
	void *arg = l->arg;

	t->state = PT_LEASED;
	t->s = l->s;
	session_hold(t->s);
	snprintf(t->logical, sizeof(t->logical), "%s", l->logical);
	p->leases++;
	log_debug("pools: %s: leased %s%s%s", p->name, t->name,
	    t->logical[0] != '\0' ? " as " : "", t->logical);
	lease_free(l);
	cb(arg, &res);
}

static void
lease_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pool_lease *l = arg;

	(void)fd;
	(void)what;
	lease_fail(l, DTP_E_TIMEOUT, NULL, "no table of this definition "
	    "became ready in time");
}

/* ---- create ------------------------------------------------------------ */

/* A create failed: a waiting lease learns why when nothing else is
 * coming for it; the pool pauses its creates. */
static void
pt_create_failed(struct ptable *t, dtp_err err, const char *aws_type,
    const char *msg)
{
	struct pool *p = t->p;
	struct pool_lease *l = TAILQ_FIRST(&p->waiting);
	char why[512];

	snprintf(why, sizeof(why), "creating a table for pool %s: %s",
	    p->name, msg);
	log_warn("pools: %s", why);
	p->failures++;
	p->paused_until = time(NULL) + POOL_FAIL_PAUSE_S;
	if (l != NULL && pool_count(p, PT_CREATING) +
	    pool_count(p, PT_RECYCLING) <= 1)
		lease_fail(l, err, aws_type, why);
}

static void
pt_active(void *arg, const wait_result *res)
{
	struct ptable *t = arg;

	t->w = NULL;
	if (res->err != DTP_OK) {
		pt_create_failed(t, res->err, res->aws_type, res->message);
		pt_delete(t, "it did not become ACTIVE");
		return;
	}
	if ((t->desc = json_deep_copy(res->table)) == NULL) {
		pt_delete(t, "out of memory");
		return;
	}
	t->state = PT_READY;
	log_info("pools: %s: table %s ready", t->p->name, t->name);
	pt_tag(t);
	pools_kick(t->p->ps);
}

static void
pt_created(void *arg, const dynamo_result *res)
{
	struct ptable *t = arg;
	struct pools *ps = t->p->ps;
	const char *arn;
	dtp_err err;

	t->call = NULL;
	mutation_end(t->mut);
	t->mut = NULL;
	if (res->err != DTP_OK) {
		pt_create_failed(t, res->err, res->aws_type, res->message);
		pt_free(t);
		pools_kick(ps);
		return;
	}
	arn = json_string_value(json_object_get(res->table, "TableArn"));
	t->arn = arn != NULL ? strdup(arn) : NULL;
	if ((t->w = wait_start(ps->waits, t->name, WAIT_ACTIVE,
	    POOL_CREATE_WAIT_MS, false, NULL, pt_active, t, &err)) == NULL)
		pt_delete(t, "its wait for ACTIVE could not start");
}

static void
pt_create_start(void *arg)
{
	struct ptable *t = arg;
	json_t *in = t->input;

	t->input = NULL;
	if ((t->call = dynamo_create(t->p->ps->up, in, pt_created, t)) !=
	    NULL)
		return;
	pt_create_failed(t, DTP_E_INTERNAL, NULL, "out of memory");
	pt_free(t);
}

/* SIGTERM before its turn: nothing was sent. */
static void
pt_create_refused(void *arg)
{
	struct ptable *t = arg;

	t->mut = NULL;
	pt_free(t);
}

/* Starts a new table of p. */
static void
pool_create(struct pool *p)
{
	struct pools *ps = p->ps;
	struct ptable *t = calloc(1, sizeof(*t));
	unsigned char rnd[4];

	if (t == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
		free(t);
		log_warn("pools: %s: out of memory", p->name);
		return;
	}
	t->p = p;
	t->state = PT_CREATING;
	snprintf(t->name, sizeof(t->name), "dyntable-pool-%s-%02x%02x%02x%02x",
	    p->hash, rnd[0], rnd[1], rnd[2], rnd[3]);
	TAILQ_INSERT_TAIL(&p->tables, t, entry);
	ps->n_tables++;
	t->input = json_deep_copy(p->def);
	if (t->input == NULL || json_object_set_new(t->input, "TableName",
	    json_string(t->name)) != 0 || json_object_set_new(t->input,
	    "Tags", pt_tags(t, time(NULL) +
	    (time_t)ps->cfg->ephemeral_ttl_s)) != 0 ||
	    (t->mut = mutation_queue(ps->muts, ps, pt_create_start,
	    pt_create_refused, t)) == NULL) {
		log_warn("pools: %s: out of memory", p->name);
		pt_free(t);
		return;
	}
	log_info("pools: %s: creating table %s", p->name, t->name);
}

/* ---- delete ------------------------------------------------------------ */

static void pt_delete_start(void *arg);

static void
pt_deleted(void *arg, const dynamo_result *res)
{
	struct ptable *t = arg;
	struct pools *ps = t->p->ps;

	t->call = NULL;
	mutation_end(t->mut);
	t->mut = NULL;
	if (res->err == DTP_OK || res->err == DTP_E_NOT_FOUND) {
		log_info("pools: %s: table %s deleted", t->p->name, t->name);
		pt_free(t);
		pools_kick(ps);
		return;
	}
	if (++t->delete_tries >= POOL_DELETE_TRIES ||
	    (res->err != DTP_E_IN_USE && !res->transient)) {
		log_err("pools: cannot delete %s: %s; its %s tag lets a reap "
		    "delete it", t->name, res->message, POOL_TAG_EXPIRES);
		pt_free(t);
		pools_kick(ps);
		return;
	}
	/* Still CREATING or being updated: the tick tries again. */
	log_debug("pools: %s: %s; deleting again soon", t->name,
	    res->aws_type != NULL ? res->aws_type : res->message);
}

static void
pt_delete_start(void *arg)
{
	struct ptable *t = arg;

	if ((t->call = dynamo_delete(t->p->ps->up, t->name, pt_deleted, t)) !=
	    NULL)
		return;
	mutation_end(t->mut);
	t->mut = NULL; /* the tick tries again */
}

/* Queues t's DeleteTable (again, from the tick, after a failure). */
static void
pt_delete_queue(struct ptable *t)
{
	if ((t->mut = mutation_queue(t->p->ps->muts, t->p->ps,
	    pt_delete_start, NULL, t)) == NULL)
		log_warn("pools: %s: out of memory deleting it", t->name);
}

/* t goes: DeleteTable, and the pool replaces it. */
static void
pt_delete(struct ptable *t, const char *why)
{
	log_info("pools: %s: deleting table %s: %s", t->p->name, t->name, why);
	if (t->w != NULL) {
		wait_cancel(t->w);
		t->w = NULL;
	}
	if (t->tr != NULL) {
		truncate_cancel(t->tr);
		t->tr = NULL;
	}
	if (t->call != NULL) {
		dynamo_cancel(t->call);
		t->call = NULL;
	}
	if (t->s != NULL) {
		session_release(t->s);
		t->s = NULL;
	}
	t->logical[0] = '\0';
	t->state = PT_DELETING;
	pt_delete_queue(t);
	pools_kick(t->p->ps);
}

/* ---- recycle ----------------------------------------------------------- */

static void
pt_truncated(void *arg, const truncate_result *res)
{
	struct ptable *t = arg;

	t->tr = NULL;
	if (res->err != DTP_OK) {
		t->p->failures++;
		pt_delete(t, res->message);
		return;
	}
	t->state = PT_READY;
	t->p->recycled++;
	log_debug("pools: %s: %s truncated (%lu items in %lu ms), ready",
	    t->p->name, t->name, res->deleted, res->elapsed_ms);
	pools_kick(t->p->ps);
}

static void
pt_recycle_described(void *arg, const dynamo_result *res)
{
	struct ptable *t = arg;
	char why[512];

	t->call = NULL;
	if (res->err != DTP_OK) {
		t->p->failures++;
		pt_delete(t, res->message);
		return;
	}
	if (!pooldef_matches(t->p->def, res->table, why, sizeof(why))) {
		t->p->replaced++;
		pt_delete(t, why);
		return;
	}
	if ((t->tr = truncate_start(t->p->ps->truncs, t->name, false,
	    pt_truncated, t)) == NULL)
		pt_delete(t, "out of memory");
}

/* Released: back to the pool once checked and empty. */
static void
pt_recycle(struct ptable *t)
{
	log_debug("pools: %s: %s released", t->p->name, t->name);
	if (t->s != NULL) {
		session_release(t->s);
		t->s = NULL;
	}
	t->logical[0] = '\0';
	t->state = PT_RECYCLING;
	if ((t->call = dynamo_describe(t->p->ps->up, t->name,
	    pt_recycle_described, t)) == NULL)
		pt_delete(t, "out of memory");
}

/* ---- the pools --------------------------------------------------------- */

/* Hands ready tables to waiting leases, then refills p. */
static void
pool_run(struct pool *p)
{
	struct pools *ps = p->ps;
	struct pool_lease *l;
	struct ptable *t;
	unsigned coming, want, waiting = 0;

	/* Each pass unlinks and frees the first lease (lease_free: TAILQ_REMOVE
	 * writes through its prev pointer, which the analyzer does not tie to
	 * the head): not a use after free. */
	while ((l = TAILQ_FIRST(&p->waiting)) != NULL) {
		TAILQ_FOREACH(t, &p->tables, entry)
			if (t->state == PT_READY)
				break;
		if (t == NULL)
			break;
		lease_hand(l, t); /* NOLINT(clang-analyzer-unix.Malloc) */
	}
	TAILQ_FOREACH(l, &p->waiting, entry)
		waiting++;
	coming = pool_count(p, PT_READY) + pool_count(p, PT_CREATING) +
	    pool_count(p, PT_RECYCLING);
	want = p->size + waiting;
	if (coming >= want || time(NULL) < p->paused_until)
		return;
	for (unsigned i = coming; i < want; i++) {
		if (ps->n_tables >= ps->cfg->pool_max_tables) {
			log_warn("pools: %s: %u tables in pools, the most "
			    "--pool-max-tables allows; not creating more",
			    p->name, ps->n_tables);
			break;
		}
		/* A waiting lease gets the first table coming. */
		TAILQ_FOREACH(l, &p->waiting, entry)
			if (!l->fresh) {
				l->fresh = true;
				break;
			}
		pool_create(p);
	}
	/* At the limit, with nothing coming: the waiting leases fail now
	 * rather than at their deadline. */
	if (coming == 0 && pool_count(p, PT_CREATING) == 0)
		while ((l = TAILQ_FIRST(&p->waiting)) != NULL)
			/* As above: the first is unlinked each pass. */
			lease_fail(l, DTP_E_LIMIT, NULL, "every pool table " /* NOLINT(clang-analyzer-unix.Malloc) */
			    "this daemon may have (--pool-max-tables) is in "
			    "use");
}

static void
pools_kicked(evutil_socket_t fd, short what, void *arg)
{
	struct pools *ps = arg;
	struct pool *p;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(p, &ps->list, entry)
		pool_run(p);
}

/* Every second: tags to renew, deletes to retry, pools to refill. */
static void
pools_ticked(evutil_socket_t fd, short what, void *arg)
{
	struct pools *ps = arg;
	time_t now = time(NULL), ttl = (time_t)ps->cfg->ephemeral_ttl_s;
	struct pool *p;
	struct ptable *t;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(p, &ps->list, entry)
		TAILQ_FOREACH(t, &p->tables, entry) {
			if (t->state == PT_DELETING && t->mut == NULL &&
			    t->call == NULL)
				pt_delete_queue(t);
			else if (t->state != PT_DELETING &&
			    t->state != PT_CREATING &&
			    t->expires - now <= ttl / 2)
				pt_tag(t);
		}
	pools_kick(ps);
}

static struct pool *
pool_find(const struct pools *ps, const char *hash)
{
	struct pool *p;

	TAILQ_FOREACH(p, &ps->list, entry)
		if (strcmp(p->hash, hash) == 0)
			return p;
	return NULL;
}

/* A new pool of canonical definition def (consumed). */
static struct pool *
pool_add(struct pools *ps, const char *name, json_t *def, unsigned size,
    bool declared)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		json_decref(def);
		return NULL;
	}
	p->ps = ps;
	p->def = def;
	p->size = size;
	p->declared = declared;
	pooldef_hash(def, p->hash);
	if (name != NULL)
		snprintf(p->name, sizeof(p->name), "%s", name);
	else
		snprintf(p->name, sizeof(p->name), "learnt-%.8s", p->hash);
	TAILQ_INIT(&p->tables);
	TAILQ_INIT(&p->waiting);
	TAILQ_INSERT_TAIL(&ps->list, p, entry);
	return p;
}

static void
pool_free(struct pool *p)
{
	while (!TAILQ_EMPTY(&p->waiting))
		lease_free(TAILQ_FIRST(&p->waiting)); /* NOLINT(clang-analyzer-unix.Malloc) */
	while (!TAILQ_EMPTY(&p->tables))
		pt_free(TAILQ_FIRST(&p->tables)); /* NOLINT(clang-analyzer-unix.Malloc) */
	TAILQ_REMOVE(&p->ps->list, p, entry);
	json_decref(p->def);
	free(p);
}

/* A lessee's session ended: its tables go back. */
static void
pools_session_end(void *arg, struct session *s)
{
	struct pools *ps = arg;
	struct pool *p;
	struct ptable *t;
	unsigned n = 0;

	TAILQ_FOREACH(p, &ps->list, entry)
		TAILQ_FOREACH(t, &p->tables, entry)
			if (t->state == PT_LEASED && t->s == s) {
				pt_recycle(t);
				n++;
			}
	if (n != 0)
		log_info("pools: session %s ended; %u leased tables go back "
		    "to their pools", session_sid(s), n);
}

/* Reads a [pool] section's definition into a pool. */
static int
pools_declare(struct pools *ps, const struct config_pool *cp)
{
	json_error_t jerr;
	json_t *in, *def;
	char err[256];

	if (cp->definition == NULL) {
		log_err("[pool %s]: no definition = FILE", cp->name);
		return -1;
	}
	if ((in = json_load_file(cp->definition, 0, &jerr)) == NULL) {
		log_err("[pool %s]: %s: %s", cp->name, cp->definition,
		    jerr.text);
		return -1;
	}
	json_object_del(in, "TableName");
	def = pooldef_canonical(in, err, sizeof(err));
	json_decref(in);
	if (def == NULL) {
		log_err("[pool %s]: %s: %s", cp->name, cp->definition, err);
		return -1;
	}
	if (!pooldef_on_demand(def) && !cp->provisioned) {
		log_err("[pool %s]: %s is PROVISIONED: idle tables of it cost "
		    "money; say provisioned = true to pool it anyway",
		    cp->name, cp->definition);
		json_decref(def);
		return -1;
	}
	if (pool_add(ps, cp->name, def, cp->size, true) == NULL) {
		log_err("[pool %s]: out of memory", cp->name);
		return -1;
	}
	if (pool_find(ps, TAILQ_LAST(&ps->list, pool_list)->hash) !=
	    TAILQ_LAST(&ps->list, pool_list)) {
		log_err("[pool %s]: the same definition as another [pool]",
		    cp->name);
		return -1;
	}
	log_info("pools: [pool %s]: %u tables of %s (definition %s)",
	    cp->name, cp->size, cp->definition,
	    TAILQ_LAST(&ps->list, pool_list)->hash);
	return 0;
}

struct pools *
pools_new(struct event_base *base, const struct config *cfg,
    struct upstream *up, struct mutations *muts, struct waits *waits,
    struct truncates *truncs, struct sessions *ss)
{
	struct pools *ps = calloc(1, sizeof(*ps));
	struct timeval sec = { 1, 0 };
	char host[128] = "unknown";

	if (ps == NULL)
		return NULL;
	ps->base = base;
	ps->cfg = cfg;
	ps->up = up;
	ps->muts = muts;
	ps->waits = waits;
	ps->truncs = truncs;
	TAILQ_INIT(&ps->list);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(ps->owner, sizeof(ps->owner), "host=%s pid=%ld", host,
	    (long)getpid());
	ps->kick = event_new(base, -1, 0, pools_kicked, ps);
	ps->tick = event_new(base, -1, EV_PERSIST, pools_ticked, ps);
	if (ps->kick == NULL || ps->tick == NULL) {
		pools_free(ps);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_pools; i++)
		if (pools_declare(ps, &cfg->pools[i]) != 0) {
			pools_free(ps);
			return NULL;
		}
	event_add(ps->tick, &sec);
	sessions_on_end(ss, pools_session_end, ps);
	pools_kick(ps);
	return ps;
}

void
pools_free(struct pools *ps)
{
	if (ps == NULL)
		return;
	if (ps->n_tables != 0)
		log_info("pools: leaving %u pool tables to their tags (the "
		    "next daemon's start-up reap deletes them)", ps->n_tables);
	while (!TAILQ_EMPTY(&ps->list))
		pool_free(TAILQ_FIRST(&ps->list)); /* NOLINT(clang-analyzer-unix.Malloc) */
	if (ps->kick != NULL)
		event_free(ps->kick);
	if (ps->tick != NULL)
		event_free(ps->tick);
	free(ps);
}

/* True when a lease still waiting for a table asked for logical. */
static bool
pools_logical_waiting(const struct pools *ps, const char *logical)
{
	const struct pool *p;
	const struct pool_lease *l;

	TAILQ_FOREACH(p, &ps->list, entry)
		TAILQ_FOREACH(l, &p->waiting, entry)
			if (strcmp(l->logical, logical) == 0)
				return true;
	return false;
}

/* The table leased as logical, or NULL. */
static struct ptable *
pools_find_logical(const struct pools *ps, const char *logical)
{
	struct pool *p;
	struct ptable *t;

	TAILQ_FOREACH(p, &ps->list, entry)
		TAILQ_FOREACH(t, &p->tables, entry)
			if (t->state == PT_LEASED && t->logical[0] != '\0' &&
			    strcmp(t->logical, logical) == 0)
				return t;
	return NULL;
}

static struct ptable *
pools_find_table(const struct pools *ps, const char *table)
{
	struct pool *p;
	struct ptable *t;

	TAILQ_FOREACH(p, &ps->list, entry)
		TAILQ_FOREACH(t, &p->tables, entry)
			if (strcmp(t->name, table) == 0)
				return t;
	return NULL;
}

struct pool_lease *
pools_lease(struct pools *ps, struct session *s, const json_t *def,
    const char *logical, bool pooled_only, unsigned timeout_ms,
    pool_lease_cb *cb, void *arg, dtp_err *code, char *err, size_t errlen)
{
	char hash[POOLDEF_HASH_LEN + 1];
	struct timeval tv = { timeout_ms / 1000,
		(suseconds_t)(timeout_ms % 1000) * 1000 };
	struct pool_lease *l;
	struct pool *p;
	json_t *canon;

	*code = DTP_E_INVALID;
	if ((canon = pooldef_canonical(def, err, errlen)) == NULL)
		return NULL;
	pooldef_hash(canon, hash);
	if ((p = pool_find(ps, hash)) != NULL) {
		json_decref(canon);
	} else if (pooled_only) {
		json_decref(canon);
		*code = DTP_E_NOT_FOUND;
		snprintf(err, errlen, "no pool serves this definition (hash %s)",
		    hash);
		return NULL;
	} else if (!pooldef_on_demand(canon)) {
		json_decref(canon);
		snprintf(err, errlen, "table: only PAY_PER_REQUEST definitions "
		    "are pooled unless a [pool] section declares one (idle "
		    "provisioned tables cost money)");
		return NULL;
	} else if ((p = pool_add(ps, NULL, canon, ps->cfg->pool_spare,
	    false)) == NULL) {
		*code = DTP_E_INTERNAL;
		snprintf(err, errlen, "out of memory");
		return NULL;
	} else {
		log_info("pools: %s: learnt from a lease (definition %s, %u "
		    "spare)", p->name, p->hash, p->size);
	}
	if (logical != NULL && (pools_find_logical(ps, logical) != NULL ||
	    pools_logical_waiting(ps, logical))) {
		*code = DTP_E_IN_USE;
		snprintf(err, errlen, "name: %s is leased already; release it "
		    "first", logical);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		*code = DTP_E_INTERNAL;
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->p = p;
	l->s = s;
	l->cb = cb;
	l->arg = arg;
	snprintf(l->logical, sizeof(l->logical), "%s", logical != NULL ?
	    logical : "");
	TAILQ_INSERT_TAIL(&p->waiting, l, entry);
	if ((l->timer = evtimer_new(ps->base, lease_timeout, l)) == NULL) {
		lease_free(l);
		*code = DTP_E_INTERNAL;
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	evtimer_add(l->timer, &tv);
	pools_kick(ps);
	return l;
}

void
pools_lease_abandon(struct pool_lease *l)
{
	lease_free(l);
}

const char *
pools_resolve(const struct pools *ps, const char *name)
{
	const struct ptable *t = pools_find_logical(ps, name);

	return t != NULL ? t->name : NULL;
}

bool
pools_owns(const struct pools *ps, const char *table)
{
	return pools_find_table(ps, table) != NULL;
}

int
pools_release(struct pools *ps, const char *table, const json_t **desc,
    dtp_err *code, char *err, size_t errlen)
{
	struct ptable *t = pools_find_table(ps, table);

	if (t == NULL) {
		*code = DTP_E_NOT_FOUND;
		snprintf(err, errlen, "table %s is not a leased table of this "
		    "daemon", table);
		return -1;
	}
	if (t->state != PT_LEASED) {
		*code = DTP_E_IN_USE;
		snprintf(err, errlen, "table %s belongs to pool %s and is not "
		    "leased (it is %s)", table, t->p->name,
		    pt_state_names[t->state]);
		return -1;
	}
	if (desc != NULL)
		*desc = t->desc;
	pt_recycle(t);
	return 0;
}

json_t *
pools_describe(const struct pools *ps)
{
	json_t *list = json_array();
	const struct pool *p;
	unsigned leased = 0;

	if (list == NULL)
		return NULL;
	TAILQ_FOREACH(p, &ps->list, entry) {
		unsigned waiting = 0;
		const struct pool_lease *l;

		TAILQ_FOREACH(l, &p->waiting, entry)
			waiting++;
		leased += pool_count(p, PT_LEASED);
		if (json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:I,"
		    "s:O,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		    "pool", p->name, "hash", p->hash, "declared", p->declared,
		    "size", (json_int_t)p->size, "definition", p->def,
		    "ready", (json_int_t)pool_count(p, PT_READY),
		    "leased", (json_int_t)pool_count(p, PT_LEASED),
		    "creating", (json_int_t)pool_count(p, PT_CREATING),
		    "recycling", (json_int_t)pool_count(p, PT_RECYCLING),
		    "deleting", (json_int_t)pool_count(p, PT_DELETING),
		    "waiting", (json_int_t)waiting,
		    "leases", (json_int_t)p->leases,
		    "recycled", (json_int_t)p->recycled,
		    "replaced", (json_int_t)p->replaced,
		    "failures", (json_int_t)p->failures)) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return json_pack("{s:o,s:I,s:I,s:I}", "pools", list, "tables",
	    (json_int_t)ps->n_tables, "leased", (json_int_t)leased,
	    "max_tables", (json_int_t)ps->cfg->pool_max_tables);
}
