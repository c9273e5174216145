/* SPDX-License-Identifier: MIT */
/*
 * ephemeral.c: ephemeral tables and the reaper (see ephemeral.h).
 *
 * A table created with `ephemeral: true` is held by its session
 * (sessions.c); when the session ends, every table it held is deleted:
 * DeleteTable through the mutation limiter, retried with backoff while
 * DynamoDB says the table is in use (still CREATING) or the call fails for
 * a passing reason, done on ResourceNotFound.
 *
 * Tags: each ephemeral table carries dyntable:owner ("host=H pid=P
 * session=S": S is the session's public id, a hash of its token, never the
 * token, which is a capability) and dyntable:expires (epoch seconds, now +
 * cfg.ephemeral_ttl_s). CreateTable sends them; ListTagsOfResource then
 * checks that they stuck (dynalite drops CreateTable's Tags) and
 * TagResource adds them if not. While a connection of the session is
 * open, the daemon renews dyntable:expires once half the TTL is gone. A
 * daemon that dies, or stops with tables in grace, cannot delete them:
 * the tags let any daemon's `reap` (and every daemon at start-up) delete
 * them once expired.
 *
 * A reap lists every table (all pages), reads each one's ARN
 * (DescribeTable) and tags (ListTagsOfResource), and deletes those whose
 * dyntable:expires has passed and that are not one of this daemon's
 * ephemeral tables, and the pool tables (dyntable:pool, pools.c) of a
 * daemon of this host that is not running any more (dyntable:owner's pid
 * is gone). One table at a time: it is housekeeping.
 *
 * Ownership: struct ephemeral owns every table record (in `live` while its
 * session holds it, in `dying` once the session ended) and the reap runs.
 * A record or run with a call in flight is that call's arg; ephemeral_free
 * cancels the calls first. A creator (ops.c) points at its record through
 * the handle ephemeral_create() returned until its callback fires or it
 * calls ephemeral_abandon(); a reap's caller likewise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "ddb.h"
#include "dynamo.h"
#include "ephemeral.h"
#include "log.h"
#include "mutations.h"
#include "sessions.h"

#define EPH_TAG_OWNER	"dyntable:owner"
#define EPH_TAG_EXPIRES "dyntable:expires"
#define EPH_TAG_POOL	"dyntable:pool"	 /* pools.c's tables */
#define EPH_MAX_TAGS	50	 /* DynamoDB's limit per table */
#define EPH_RETRY_MIN_MS 500u	 /* first delete retry */
#define EPH_RETRY_MAX_MS 10000u	 /* cap of the delete retries' backoff */
#define EPH_GIVE_UP_S	3600	 /* stop retrying a delete after this */

TAILQ_HEAD(eph_list, eph_table);

enum eph_state {
	EPH_CREATING, /* CreateTable queued in the limiter or in flight */
	EPH_LIVE,     /* created; held by its session */
	EPH_DELETING, /* its session ended: DeleteTable until it is gone */
};

struct eph_table {
	struct ephemeral *e;
	struct session *s;	/* holder; NULL once in e->dying */
	char name[256];		/* DynamoDB's name */
	char *arn;		/* TableArn, once created */
	enum eph_state state;
	bool doomed;		/* session ended while CREATING */
	dynamo_cb *cb;		/* the creator still waiting, or NULL */
	void *cb_arg;
	json_t *input;		/* CreateTableInput until it is sent */
	struct mutation *mut;	/* CreateTable/DeleteTable in the limiter */
	struct dynamo_call *call; /* call in flight, or NULL */
	bool tagged;		/* our tags are known to be on it */
	time_t expires;		/* the dyntable:expires sent last */
	time_t renewing;	/* the value a TagResource in flight sets */
	time_t give_up;		/* deleting: last retry time */
	unsigned delay_ms;	/* deleting: next backoff */
	struct event *retry;	/* deleting: backoff timer */
	TAILQ_ENTRY(eph_table) entry; /* in e->live or e->dying */
};

struct reap {
	struct ephemeral *e;
	ephemeral_reap_cb *cb;	/* the reap op, NULL at start-up or if gone */
	void *cb_arg;
	json_t *names;		/* every table (ListTables) */
	size_t i;		/* names[i] is being looked at */
	char *owner;		/* its dyntable:owner tag, or NULL */
	long long expires;	/* its dyntable:expires, -1 if none */
	bool pool;		/* it has a dyntable:pool tag */
	json_t *deleted;	/* names deleted */
	unsigned checked;	/* tables whose tags were read */
	unsigned errors;
	struct dynamo_call *call; /* call in flight, or NULL */
	struct mutation *mut;	/* the DeleteTable, in the limiter */
	TAILQ_ENTRY(reap) entry; /* in e->reaps */
};

struct ephemeral {
	struct event_base *base;
	const struct config *cfg;
	struct upstream *up;
	struct mutations *muts;
	char owner[192];	/* "host=H pid=P", for dyntable:owner */
	struct eph_list live;	/* held by their sessions */
	struct eph_list dying;	/* of ended sessions */
	TAILQ_HEAD(, reap) reaps;
	struct event *renew;	/* periodic dyntable:expires renewal */
	struct event *start_reap; /* the start-up reap, once */
	unsigned n_tables;
	unsigned long deleted, reaped;
};

static void eph_delete(struct eph_table *et);
static void eph_check_tags(struct eph_table *et);
static void reap_next(struct reap *rp);

/* What went wrong, in a word or a sentence, for logs. */
static const char *
eph_why(const dynamo_result *res)
{
	return res->aws_type != NULL ? res->aws_type : res->message;
}

/* [{"Key": EPH_TAG_OWNER, ...}, {"Key": EPH_TAG_EXPIRES, ...}] */
static json_t *
eph_tags(const struct eph_table *et, time_t expires)
{
	char owner[256], exp[32];

	snprintf(owner, sizeof(owner), "%s session=%s", et->e->owner,
	    session_sid(et->s));
	snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	return json_pack("[{s:s,s:s},{s:s,s:s}]", "Key", EPH_TAG_OWNER,
	    "Value", owner, "Key", EPH_TAG_EXPIRES, "Value", exp);
}

/* ---- table records ------------------------------------------------------ */

static void
eph_table_free(struct eph_table *et)
{
	struct ephemeral *e = et->e;

	if (et->call != NULL)
		dynamo_cancel(et->call);
	if (et->mut != NULL)
		mutation_end(et->mut);
	if (et->retry != NULL)
		event_free(et->retry);
	if (et->s != NULL) {
		TAILQ_REMOVE(&e->live, et, entry);
		session_release(et->s);
	} else {
		TAILQ_REMOVE(&e->dying, et, entry);
	}
	e->n_tables--;
	json_decref(et->input);
	free(et->arn);
	free(et);
}

/* ---- tags ------------------------------------------------------------- */

static void
eph_tagged(void *arg, const dynamo_result *res)
{
	struct eph_table *et = arg;

	et->call = NULL;
	if (res->err != DTP_OK) {
		log_warn("ephemeral: %s: TagResource failed: %s", et->name,
		    res->message);
		return; /* the renewal timer tries again */
	}
	et->expires = et->renewing;
	et->tagged = true;
	log_debug("ephemeral: %s tagged, expires %lld", et->name,
	    (long long)et->expires);
}

/* TagResource with owner and expires = until. */
static void
eph_tag(struct eph_table *et, time_t until)
{
	et->renewing = until;
	if ((et->call = dynamo_tag(et->e->up, et->arn, eph_tags(et, until),
	    eph_tagged, et)) == NULL)
		log_warn("ephemeral: %s: out of memory tagging", et->name);
}

static void
eph_tags_listed(void *arg, const dynamo_result *res)
{
	struct eph_table *et = arg;
	const json_t *t;
	size_t i;

	et->call = NULL;
	if (res->err != DTP_OK) {
		log_warn("ephemeral: %s: ListTagsOfResource failed (%s); "
		    "tagging it anyway", et->name, eph_why(res));
		eph_tag(et, et->expires);
		return;
	}
	json_array_foreach(res->tags, i, t) {
		const char *k = json_string_value(json_object_get(t, "Key"));

		if (k != NULL && strcmp(k, EPH_TAG_EXPIRES) == 0) {
			log_debug("ephemeral: %s: CreateTable's tags stuck",
			    et->name);
			et->tagged = true;
			return;
		}
	}
	/* Emulators (dynalite) drop CreateTable's Tags. */
	log_debug("ephemeral: %s: no %s tag after CreateTable; adding it",
	    et->name, EPH_TAG_EXPIRES);
	eph_tag(et, et->expires);
}

static void
eph_check_tags(struct eph_table *et)
{
	if ((et->call = dynamo_list_tags(et->e->up, et->arn, eph_tags_listed,
	    et)) == NULL)
		log_warn("ephemeral: %s: out of memory checking tags",
		    et->name);
}

/* Timer: renews dyntable:expires of the tables of connected sessions
 * once half the TTL is gone (and tags those whose tagging failed). */
static void
eph_renew(evutil_socket_t fd, short what, void *arg)
{
	struct ephemeral *e = arg;
	time_t now = time(NULL), ttl = (time_t)e->cfg->ephemeral_ttl_s;
	struct eph_table *et;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(et, &e->live, entry)
		if (session_connected(et->s) && et->state == EPH_LIVE &&
		    et->call == NULL && et->arn != NULL &&
		    (!et->tagged || et->expires - now <= ttl / 2))
			eph_tag(et, now + ttl);
}

/* ---- create ------------------------------------------------------------ */

/* Tells the creator, if it is still there, and forgets it. */
static void
eph_tell(struct eph_table *et, const dynamo_result *res)
{
	dynamo_cb *cb = et->cb;

	et->cb = NULL;
	if (cb != NULL)
		cb(et->cb_arg, res);
}

static void
eph_created(void *arg, const dynamo_result *res)
{
	struct eph_table *et = arg;
	const char *arn = json_string_value(json_object_get(res->table,
	    "TableArn"));

	et->call = NULL;
	mutation_end(et->mut);
	et->mut = NULL;
	if (res->err != DTP_OK) {
		/* Not created (it may exist already: then it is not ours). */
		eph_tell(et, res);
		eph_table_free(et);
		return;
	}
	et->state = EPH_LIVE;
	et->arn = arn != NULL ? strdup(arn) : NULL;
	eph_tell(et, res);
	if (et->doomed) {
		eph_delete(et);
		return;
	}
	if (et->arn == NULL)
		log_warn("ephemeral: %s: CreateTable gave no TableArn; it is "
		    "not tagged", et->name);
	else
		eph_check_tags(et);
}

/* The limiter's turn for a CreateTable. */
static void
eph_create_start(void *arg)
{
	struct eph_table *et = arg;
	json_t *in = et->input;
	dynamo_result oom = { .err = DTP_E_INTERNAL, .message =
		"out of memory" };

	et->input = NULL;
	if ((et->call = dynamo_create(et->e->up, in, eph_created, et)) != NULL)
		return;
	eph_tell(et, &oom);
	eph_table_free(et); /* ends et->mut */
}

/* SIGTERM while the CreateTable waited for its turn: nothing was sent. */
static void
eph_create_refused(void *arg)
{
	struct eph_table *et = arg;
	dynamo_result res = { .err = DTP_E_SHUTDOWN, .message = "the daemon "
		"is shutting down; this CreateTable was not sent to DynamoDB "
		"(nothing changed)" };

	et->mut = NULL; /* already ended by the limiter */
	eph_tell(et, &res);
	eph_table_free(et);
}

/* Replaces any dyntable:* tag of in's Tags by this table's. */
static int
eph_add_tags(struct eph_table *et, json_t *in, char *err, size_t errlen)
{
	json_t *tags = json_object_get(in, "Tags"), *mine, *t;
	size_t i;

	if (tags == NULL) {
		if ((tags = json_array()) == NULL ||
		    json_object_set_new(in, "Tags", tags) != 0)
			goto nomem;
	}
	for (i = 0; i < json_array_size(tags);) {
		const char *k = json_string_value(json_object_get(
		    json_array_get(tags, i), "Key"));

		if (k != NULL && strncmp(k, "dyntable:", 9) == 0)
			json_array_remove(tags, i);
		else
			i++;
	}
	if ((mine = eph_tags(et, et->expires)) == NULL)
		goto nomem;
	json_array_foreach(mine, i, t)
		json_array_append(tags, t);
	json_decref(mine);
	if (json_array_size(tags) > EPH_MAX_TAGS) {
		snprintf(err, errlen, "Tags: an ephemeral table has at most %d "
		    "tags of its own (%s and %s are added)", EPH_MAX_TAGS - 2,
		    EPH_TAG_OWNER, EPH_TAG_EXPIRES);
		return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct eph_table *
ephemeral_create(struct ephemeral *e, struct session *s, const void *owner,
    json_t *input, dynamo_cb *cb, void *arg, dtp_err *code, char *err,
    size_t errlen)
{
	struct eph_table *et;

	*code = DTP_E_INTERNAL;
	if ((et = calloc(1, sizeof(*et))) == NULL) {
		json_decref(input);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	et->e = e;
	et->s = s;
	session_hold(s);
	snprintf(et->name, sizeof(et->name), "%s",
	    json_string_value(json_object_get(input, "TableName")));
	et->state = EPH_CREATING;
	et->expires = time(NULL) + (time_t)e->cfg->ephemeral_ttl_s;
	et->input = input;
	TAILQ_INSERT_TAIL(&e->live, et, entry);
	e->n_tables++;
	if (eph_add_tags(et, input, err, errlen) != 0) {
		if (strcmp(err, "out of memory") != 0)
			*code = DTP_E_INVALID;
		eph_table_free(et);
		return NULL;
	}
	if ((et->mut = mutation_queue(e->muts, owner, eph_create_start,
	    eph_create_refused, et)) == NULL) {
		snprintf(err, errlen, "out of memory");
		eph_table_free(et);
		return NULL;
	}
	et->cb = cb;
	et->cb_arg = arg;
	return et;
}

void
ephemeral_abandon(struct eph_table *et)
{
	et->cb = NULL;
	/* Not sent yet: nothing to clean up. Sent: it completes, held by
	 * the session. */
	if (et->call == NULL && et->state == EPH_CREATING)
		eph_table_free(et);
}

/* ---- delete ---------------------------------------------------------- */

static void eph_delete_start(void *arg);

static void
eph_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct eph_table *et = arg;

	(void)fd;
	(void)what;
	if ((et->mut = mutation_queue(et->e->muts, et->e, eph_delete_start,
	    NULL, et)) == NULL)
		log_warn("ephemeral: %s: out of memory; table left to its "
		    "tags", et->name);
}

/* Tries again later, or gives up (left to the tags). */
static void
eph_delete_later(struct eph_table *et, const char *why)
{
	struct timeval tv = { et->delay_ms / 1000,
		(suseconds_t)(et->delay_ms % 1000) * 1000 };

	if (time(NULL) >= et->give_up) {
		log_err("ephemeral: giving up deleting %s (%s); its %s tag "
		    "lets a reap delete it", et->name, why, EPH_TAG_EXPIRES);
		eph_table_free(et);
		return;
	}
	log_debug("ephemeral: %s: %s; deleting again in %u ms", et->name, why,
	    et->delay_ms);
	if (et->retry == NULL && (et->retry = evtimer_new(et->e->base,
	    eph_retry_cb, et)) == NULL) {
		eph_table_free(et);
		return;
	}
	evtimer_add(et->retry, &tv);
	et->delay_ms = et->delay_ms * 2 > EPH_RETRY_MAX_MS ? EPH_RETRY_MAX_MS :
	    et->delay_ms * 2;
}

static void
eph_deleted(void *arg, const dynamo_result *res)
{
	struct eph_table *et = arg;

	et->call = NULL;
	mutation_end(et->mut);
	et->mut = NULL;
	if (res->err == DTP_OK || res->err == DTP_E_NOT_FOUND) {
		log_info("ephemeral: table %s %s (its session ended)", et->name,
		    res->err == DTP_OK ? "deleted" : "was gone already");
		et->e->deleted++;
		eph_table_free(et);
	} else if (res->err == DTP_E_IN_USE || res->transient) {
		/* Still CREATING (or being updated), or a passing failure. */
		eph_delete_later(et, eph_why(res));
	} else {
		log_err("ephemeral: cannot delete %s: %s; its %s tag lets a "
		    "reap delete it", et->name, res->message, EPH_TAG_EXPIRES);
		eph_table_free(et);
	}
}

static void
eph_delete_start(void *arg)
{
	struct eph_table *et = arg;

	if ((et->call = dynamo_delete(et->e->up, et->name, eph_deleted,
	    et)) != NULL)
		return;
	mutation_end(et->mut);
	et->mut = NULL;
	eph_delete_later(et, "out of memory");
}

/* Starts deleting et, which is in e->dying. */
static void
eph_delete(struct eph_table *et)
{
	if (et->call != NULL) { /* a tag call: pointless now */
		dynamo_cancel(et->call);
		et->call = NULL;
	}
	et->state = EPH_DELETING;
	et->delay_ms = EPH_RETRY_MIN_MS;
	et->give_up = time(NULL) + EPH_GIVE_UP_S;
	if ((et->mut = mutation_queue(et->e->muts, et->e, eph_delete_start,
	    NULL, et)) == NULL) {
		log_warn("ephemeral: %s: out of memory; table left to its "
		    "tags", et->name);
		eph_table_free(et);
	}
}

/* sessions.c: session s ended; its tables go. */
static void
eph_session_end(void *arg, struct session *s)
{
	struct ephemeral *e = arg;
	struct eph_table *et, *next;
	unsigned n = 0;

	for (et = TAILQ_FIRST(&e->live); et != NULL; et = next) {
		next = TAILQ_NEXT(et, entry);
		if (et->s != s)
			continue;
		TAILQ_REMOVE(&e->live, et, entry);
		TAILQ_INSERT_TAIL(&e->dying, et, entry);
		et->s = NULL;
		session_release(s); /* s is ending: not freed by this */
		n++;
		if (et->state == EPH_CREATING)
			et->doomed = true; /* deleted once created */
		else
			eph_delete(et);
	}
	log_info("ephemeral: session %s ended; deleting its %u tables",
	    session_sid(s), n);
}

void
ephemeral_forget(struct ephemeral *e, const char *table)
{
	struct eph_table *et, *next;

	for (et = TAILQ_FIRST(&e->live); et != NULL; et = next) {
		next = TAILQ_NEXT(et, entry);
		if (et->state == EPH_LIVE && strcmp(et->name, table) == 0) {
			log_debug("ephemeral: %s is no longer session %s's",
			    table, session_sid(et->s));
			eph_table_free(et);
		}
	}
}

/* True when table is one of this daemon's ephemeral tables. */
static bool
ephemeral_owns(const struct ephemeral *e, const char *table)
{
	const struct eph_table *et;

	TAILQ_FOREACH(et, &e->live, entry)
		if (strcmp(et->name, table) == 0)
			return true;
	TAILQ_FOREACH(et, &e->dying, entry)
		if (strcmp(et->name, table) == 0)
			return true;
	return false;
}

/* ---- reap ----------------------------------------------------------- */

static void
reap_free(struct reap *rp)
{
	if (rp->call != NULL)
		dynamo_cancel(rp->call);
	if (rp->mut != NULL)
		mutation_end(rp->mut);
	TAILQ_REMOVE(&rp->e->reaps, rp, entry);
	json_decref(rp->names);
	json_decref(rp->deleted);
	free(rp->owner);
	free(rp);
}

static void
reap_finish(struct reap *rp)
{
	json_t *res;

	log_info("reap%s: %u tables checked, %zu expired deleted, %u errors",
	    rp->cb == NULL ? " (start-up or client gone)" : "", rp->checked,
	    json_array_size(rp->deleted), rp->errors);
	if (rp->cb != NULL) {
		res = json_pack("{s:O,s:I,s:I}", "deleted", rp->deleted,
		    "checked", (json_int_t)rp->checked, "errors",
		    (json_int_t)rp->errors);
		rp->cb(rp->cb_arg, res, res != NULL ? DTP_OK : DTP_E_INTERNAL,
		    "out of memory");
		json_decref(res);
	}
	reap_free(rp);
}

/* The run cannot go on: tells its caller code and msg. */
static void
reap_fail(struct reap *rp, dtp_err code, const char *msg)
{
	log_warn("reap: %s", msg);
	if (rp->cb != NULL)
		rp->cb(rp->cb_arg, NULL, code, msg);
	reap_free(rp);
}

static const char *
reap_name(const struct reap *rp)
{
	return json_string_value(json_array_get(rp->names, rp->i));
}

/* The run started call; NULL (out of memory) ends it. */
static void
reap_called(struct reap *rp, struct dynamo_call *call)
{
	if ((rp->call = call) == NULL)
		reap_fail(rp, DTP_E_INTERNAL, "out of memory");
}

/* On to the next table. */
static void
reap_skip(struct reap *rp)
{
	rp->i++;
	reap_next(rp);
}

static void
reap_deleted(void *arg, const dynamo_result *res)
{
	struct reap *rp = arg;
	const char *name = reap_name(rp);

	rp->call = NULL;
	mutation_end(rp->mut);
	rp->mut = NULL;
	if (res->err == DTP_OK) {
		log_info("reap: deleted %s (%s %lld passed; %s %s)", name,
		    EPH_TAG_EXPIRES, rp->expires, EPH_TAG_OWNER,
		    rp->owner != NULL ? rp->owner : "unknown");
		json_array_append_new(rp->deleted, json_string(name));
		rp->e->reaped++;
	} else if (res->err != DTP_E_NOT_FOUND) {
		log_warn("reap: cannot delete %s: %s", name, eph_why(res));
		rp->errors++;
	}
	reap_skip(rp);
}

static void
reap_delete_start(void *arg)
{
	struct reap *rp = arg;

	reap_called(rp, dynamo_delete(rp->e->up, reap_name(rp), reap_deleted,
	    rp));
}

/*
 * True when owner ("host=H pid=P", a dyntable:owner tag) is a daemon of
 * this host other than this one that is not running any more: its pool
 * tables (pools.c) need not wait for their dyntable:expires.
 */
static bool
reap_owner_dead(const struct ephemeral *e, const char *owner)
{
	char host[128];
	const char *sp, *mine = strchr(e->owner, ' ');
	long pid;
	char *end;

	if (owner == NULL || strncmp(owner, "host=", 5) != 0 ||
	    (sp = strchr(owner, ' ')) == NULL || strncmp(sp, " pid=", 5) != 0 ||
	    (size_t)(sp - owner) >= sizeof(host) || mine == NULL)
		return false;
	snprintf(host, sizeof(host), "%.*s", (int)(sp - owner), owner);
	pid = strtol(sp + 5, &end, 10);
	if (pid <= 0 || (*end != '\0' && *end != ' ') ||
	    (size_t)(mine - e->owner) != strlen(host) ||
	    strncmp(e->owner, host, strlen(host)) != 0 || pid == (long)getpid())
		return false;
	/* EPERM: alive, another user's. */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void
reap_tags(void *arg, const dynamo_result *res)
{
	struct reap *rp = arg;
	const json_t *t;
	size_t i;

	rp->call = NULL;
	if (res->err != DTP_OK) {
		if (res->err != DTP_E_NOT_FOUND) {
			log_warn("reap: %s: ListTagsOfResource: %s",
			    reap_name(rp), eph_why(res));
			rp->errors++;
		}
		reap_skip(rp);
		return;
	}
	json_array_foreach(res->tags, i, t) {
		const char *k = json_string_value(json_object_get(t, "Key"));
		const char *v = json_string_value(json_object_get(t, "Value"));
		char *end;

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, EPH_TAG_POOL) == 0) {
			rp->pool = true;
		} else if (strcmp(k, EPH_TAG_OWNER) == 0) {
			free(rp->owner);
			rp->owner = strdup(v);
		} else if (strcmp(k, EPH_TAG_EXPIRES) == 0) {
			long long x = strtoll(v, &end, 10);

			if (v[0] >= '0' && v[0] <= '9' && *end == '\0')
				rp->expires = x;
			else
				log_warn("reap: %s: ignoring bad %s \"%.32s\"",
				    reap_name(rp), EPH_TAG_EXPIRES, v);
		}
	}
	rp->checked++;
	if (((rp->expires >= 0 && rp->expires < (long long)time(NULL)) ||
	    (rp->pool && reap_owner_dead(rp->e, rp->owner))) &&
	    !ephemeral_owns(rp->e, reap_name(rp))) {
		if ((rp->mut = mutation_queue(rp->e->muts, rp,
		    reap_delete_start, NULL, rp)) == NULL)
			reap_fail(rp, DTP_E_INTERNAL, "out of memory");
		return;
	}
	reap_skip(rp);
}

static void
reap_described(void *arg, const dynamo_result *res)
{
	struct reap *rp = arg;
	const char *arn = json_string_value(json_object_get(res->table,
	    "TableArn"));
	const char *status = ddb_table_status(res->table);

	rp->call = NULL;
	if (arn == NULL || (status != NULL && strcmp(status, "DELETING") ==
	    0)) {
		if (res->err != DTP_OK && res->err != DTP_E_NOT_FOUND) {
			log_warn("reap: %s: DescribeTable: %s", reap_name(rp),
			    eph_why(res));
			rp->errors++;
		}
		reap_skip(rp);
		return;
	}
	reap_called(rp, dynamo_list_tags(rp->e->up, arn, reap_tags, rp));
}

/* Looks at the next table that is not ours, or finishes. */
static void
reap_next(struct reap *rp)
{
	const char *name;

	while ((name = reap_name(rp)) != NULL && ephemeral_owns(rp->e, name))
		rp->i++;
	if (name == NULL) {
		reap_finish(rp);
		return;
	}
	free(rp->owner);
	rp->owner = NULL;
	rp->expires = -1;
	rp->pool = false;
	reap_called(rp, dynamo_describe(rp->e->up, name, reap_described, rp));
}

static void
reap_listed(void *arg, const dynamo_result *res)
{
	struct reap *rp = arg;

	rp->call = NULL;
	if (res->err != DTP_OK) {
		reap_fail(rp, res->err, res->message);
		return;
	}
	json_decref(rp->names);
	rp->names = json_copy((json_t *)res->names);
	rp->i = 0;
	if (rp->names == NULL) {
		reap_fail(rp, DTP_E_INTERNAL, "out of memory");
		return;
	}
	reap_next(rp);
}

struct reap *
ephemeral_reap(struct ephemeral *e, ephemeral_reap_cb *cb, void *arg)
{
	struct reap *rp = calloc(1, sizeof(*rp));

	if (rp == NULL || (rp->deleted = json_array()) == NULL) {
		free(rp);
		return NULL;
	}
	rp->e = e;
	rp->cb = cb;
	rp->cb_arg = arg;
	rp->expires = -1;
	TAILQ_INSERT_TAIL(&e->reaps, rp, entry);
	if ((rp->call = dynamo_list(e->up, reap_listed, rp)) == NULL) {
		reap_free(rp);
		return NULL;
	}
	return rp;
}

void
ephemeral_reap_abandon(struct reap *rp)
{
	rp->cb = NULL; /* the run goes on; it logs what it did */
}

/* ---- the module -------------------------------------------------------- */

static void
ephemeral_start_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_info("reap: looking for expired ephemeral tables (start-up)");
	if (ephemeral_reap(arg, NULL, NULL) == NULL)
		log_warn("reap: out of memory");
}

struct ephemeral *
ephemeral_new(struct event_base *base, const struct config *cfg,
    struct upstream *up, struct mutations *muts, struct sessions *ss)
{
	struct ephemeral *e = calloc(1, sizeof(*e));
	unsigned period = cfg->ephemeral_ttl_s / 4;
	struct timeval tv = { period != 0 ? period : 1, 0 };
	struct timeval now = { 0, 0 };
	char host[128] = "unknown";

	if (e == NULL)
		return NULL;
	e->base = base;
	e->cfg = cfg;
	e->up = up;
	e->muts = muts;
	TAILQ_INIT(&e->live);
	TAILQ_INIT(&e->dying);
	TAILQ_INIT(&e->reaps);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(e->owner, sizeof(e->owner), "host=%s pid=%ld", host,
	    (long)getpid());
	e->renew = event_new(base, -1, EV_PERSIST, eph_renew, e);
	e->start_reap = evtimer_new(base, ephemeral_start_reap, e);
	if (e->renew == NULL || e->start_reap == NULL) {
		ephemeral_free(e);
		return NULL;
	}
	event_add(e->renew, &tv);
	evtimer_add(e->start_reap, &now);
	sessions_on_end(ss, eph_session_end, e);
	return e;
}

void
ephemeral_free(struct ephemeral *e)
{
	unsigned left;

	if (e == NULL)
		return;
	left = e->n_tables;
	/* Each pass of these loops unlinks the first entry (TAILQ/LIST_REMOVE writes
	 * through its prev pointer, which the analyzer does not tie
	 * to the head): not a use after free. */
	while (!TAILQ_EMPTY(&e->reaps))
		reap_free(TAILQ_FIRST(&e->reaps)); /* NOLINT(clang-analyzer-unix.Malloc) */
	while (!TAILQ_EMPTY(&e->live))
		eph_table_free(TAILQ_FIRST(&e->live)); /* NOLINT(clang-analyzer-unix.Malloc) */
	while (!TAILQ_EMPTY(&e->dying))
		eph_table_free(TAILQ_FIRST(&e->dying)); /* NOLINT(clang-analyzer-unix.Malloc) */
	if (left != 0)
		log_warn("ephemeral: %u tables not deleted; their %s tags let "
		    "a reap delete them", left, EPH_TAG_EXPIRES);
	if (e->renew != NULL)
		event_free(e->renew);
	if (e->start_reap != NULL)
		event_free(e->start_reap);
	free(e);
}

void
ephemeral_get_stats(const struct ephemeral *e, struct ephemeral_stats *st)
{
	st->tables = e->n_tables;
	st->deleted = e->deleted;
	st->reaped = e->reaped;
}
