/*
 * ephemeral.c: sessions, the tables they own, and the reaper.
 *
 * Every connection belongs to one session: hello starts one (a random
 * 128-bit token, returned to the client) or joins a live one whose token
 * the client presents. A table created with `ephemeral: true` belongs to
 * the session. When the last connection of a session closes (the client
 * exited or died: the same to us), a grace timer starts
 * (cfg.ephemeral_grace_ms); a hello that joins the session stops it, and
 * otherwise every table of the session is deleted: DeleteTable through the
 * mutation limiter, retried with backoff while DynamoDB says the table is
 * in use (still CREATING) or the call fails for a passing reason, done on
 * ResourceNotFound.
 *
 * Tags: each ephemeral table carries dyntable:owner ("host=H pid=P
 * session=S": S is a hash of the token, never the token, which is a
 * capability) and dyntable:expires (epoch seconds, now + cfg.ephemeral_ttl_s).
 * CreateTable sends them; ListTagsOfResource then checks that they stuck
 * (dynalite drops CreateTable's Tags) and TagResource adds them if not.
 * While a connection of the session is open, the daemon renews
 * dyntable:expires once half the TTL is gone. A daemon that dies, or stops
 * with tables in grace, cannot delete them: the tags let any daemon's
 * `reap` (and every daemon at start-up) delete them once expired.
 *
 * A reap lists every table (all pages), reads each one's ARN
 * (DescribeTable) and tags (ListTagsOfResource), and deletes those whose
 * dyntable:expires has passed and that are not one of this daemon's
 * ephemeral tables. One table at a time: it is housekeeping.
 *
 * Ownership: struct ephemeral owns the sessions, every table record (in its
 * session's list, or in `dying` once its session ended) and the reap runs.
 * A record or run with a call in flight is that call's arg; ephemeral_free
 * cancels the calls first. A request (struct req) points at its record or
 * run through r->ext while it waits for it; ephemeral_abandon() cuts that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "dyntabled.h"
#include "retry.h"

#define EPH_TAG_OWNER	"dyntable:owner"
#define EPH_TAG_EXPIRES "dyntable:expires"
#define EPH_MAX_TAGS	50	 /* DynamoDB's limit per table */
#define EPH_RETRY_MIN_MS 500u	 /* first delete retry */
#define EPH_RETRY_MAX_MS 10000u	 /* cap of the delete retries' backoff */
#define EPH_GIVE_UP_S	3600	 /* stop retrying a delete after this */

TAILQ_HEAD(eph_list, eph_table);

enum eph_state {
	EPH_CREATING, /* CreateTable queued in the limiter or in flight */
	EPH_LIVE,     /* created; owned by its session */
	EPH_DELETING, /* its session ended: DeleteTable until it is gone */
};

struct eph_table {
	struct ephemeral *e;
	struct session *s;	/* owner; NULL once in e->dying */
	char name[256];		/* DynamoDB's name */
	char *arn;		/* TableArn, once created */
	enum eph_state state;
	bool doomed;		/* session ended while CREATING */
	struct req *r;		/* the create_table still waiting, or NULL */
	json_t *input;		/* CreateTableInput until it is sent */
	struct mutation *mut;	/* CreateTable/DeleteTable in the limiter */
	struct upcall *uc;	/* call in flight, or NULL */
	bool tagged;		/* our tags are known to be on it */
	time_t expires;		/* the dyntable:expires sent last */
	time_t renewing;	/* the value a TagResource in flight sets */
	time_t give_up;		/* deleting: last retry time */
	unsigned delay_ms;	/* deleting: next backoff */
	struct event *retry;	/* deleting: backoff timer */
	TAILQ_ENTRY(eph_table) entry; /* in s->tables or e->dying */
};

struct session {
	struct ephemeral *e;
	char token[SESSION_TOKEN_LEN + 1];
	char sid[17];		/* public id: a hash of the token */
	unsigned n_conns;	/* connections in it */
	struct eph_list tables;
	struct event *grace;	/* armed while no connection is in it */
	TAILQ_ENTRY(session) entry; /* in e->sessions */
};

enum reap_step { REAP_LIST, REAP_DESCRIBE, REAP_TAGS, REAP_DELETE };

struct reap {
	struct ephemeral *e;
	struct req *r;		/* the reap op, NULL at start-up or if gone */
	enum reap_step step;
	json_t *names;		/* every table (ListTables) */
	struct ddb_pager pager;	/* the listing's paging, bounded */
	size_t i;		/* names[i] is being looked at */
	char *tag_token;	/* its tags: the NextToken last sent */
	unsigned tag_pages;	/* its tags: pages read */
	char *arn;		/* its ARN */
	char *owner;		/* its dyntable:owner tag, or NULL */
	long long expires;	/* its dyntable:expires, -1 if none */
	json_t *deleted;	/* names deleted */
	unsigned checked;	/* tables whose tags were read */
	unsigned errors;
	struct upcall *uc;	/* call in flight, or NULL */
	struct mutation *mut;	/* the DeleteTable, in the limiter */
	TAILQ_ENTRY(reap) entry; /* in e->reaps */
};

struct ephemeral {
	struct server *srv;
	char owner[192];	/* "host=H pid=P", for dyntable:owner */
	TAILQ_HEAD(, session) sessions;
	struct eph_list dying;	/* tables of ended sessions */
	TAILQ_HEAD(, reap) reaps;
	struct event *renew;	/* periodic dyntable:expires renewal */
	struct event *start_reap; /* the start-up reap, once */
	unsigned n_sessions, n_tables;
	unsigned long deleted, reaped;
};

static void eph_delete(struct eph_table *et);
static void eph_check_tags(struct eph_table *et);
static void reap_next(struct reap *rp);

/* ---- helpers ---------------------------------------------------------- */

static bool
eph_ok(const upstream_reply *ur)
{
	return !ur->transport_error && ur->http_status == 200 &&
	    ur->aws_type == NULL && ur->body != NULL;
}

/* DynamoDB's error in ur is dtp code. */
static bool
eph_is(const upstream_reply *ur, dtp_err code)
{
	return !ur->transport_error && ur->aws_type != NULL &&
	    ddb_error_code(ur->aws_type) == code;
}

static const char *
eph_why(const upstream_reply *ur)
{
	return ur->aws_type != NULL ? ur->aws_type :
	    ur->message != NULL ? ur->message : "no answer";
}

/* Sends operation with body (consumed) for arg; NULL when out of memory. */
static struct upcall *
eph_call(struct ephemeral *e, const char *operation, json_t *body,
    upstream_cb *cb, void *arg)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	struct upcall *uc = NULL;

	json_decref(body);
	if (text != NULL)
		uc = upstream_call(e->srv->up, operation, text, cb, arg);
	free(text);
	return uc;
}

/* [{"Key": EPH_TAG_OWNER, ...}, {"Key": EPH_TAG_EXPIRES, ...}] */
static json_t *
eph_tags(const struct eph_table *et, const char *sid, time_t expires)
{
	char owner[256], exp[32];

	snprintf(owner, sizeof(owner), "%s session=%s", et->e->owner, sid);
	snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	return json_pack("[{s:s,s:s},{s:s,s:s}]", "Key", EPH_TAG_OWNER,
	    "Value", owner, "Key", EPH_TAG_EXPIRES, "Value", exp);
}

/* ---- table records ------------------------------------------------------ */

static void
eph_table_free(struct eph_table *et)
{
	struct ephemeral *e = et->e;

	if (et->r != NULL)
		et->r->ext = NULL;
	if (et->uc != NULL)
		upstream_cancel(et->uc);
	if (et->mut != NULL)
		mutation_end(et->mut);
	if (et->retry != NULL)
		event_free(et->retry);
	if (et->s != NULL)
		TAILQ_REMOVE(&et->s->tables, et, entry);
	else
		TAILQ_REMOVE(&e->dying, et, entry);
	e->n_tables--;
	json_decref(et->input);
	free(et->arn);
	free(et);
}

/* ---- tags ------------------------------------------------------------- */

static void
eph_tagged(void *arg, const upstream_reply *ur)
{
	struct eph_table *et = arg;

	et->uc = NULL;
	if (!eph_ok(ur)) {
		log_warn("ephemeral: %s: TagResource failed (%s): %s", et->name,
		    eph_why(ur), ur->message != NULL ? ur->message : "");
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
	json_t *tags = eph_tags(et, et->s->sid, until);
	json_t *body = tags != NULL ? json_pack("{s:s,s:o}", "ResourceArn",
	    et->arn, "Tags", tags) : NULL;

	et->renewing = until;
	if ((et->uc = eph_call(et->e, "TagResource", body, eph_tagged, et)) ==
	    NULL)
		log_warn("ephemeral: %s: out of memory tagging", et->name);
}

static void
eph_tags_listed(void *arg, const upstream_reply *ur)
{
	struct eph_table *et = arg;
	const json_t *tags, *t;
	size_t i;

	et->uc = NULL;
	if (!eph_ok(ur)) {
		log_warn("ephemeral: %s: ListTagsOfResource failed (%s); "
		    "tagging it anyway", et->name, eph_why(ur));
		eph_tag(et, et->expires);
		return;
	}
	tags = json_object_get(ur->body, "Tags");
	json_array_foreach(tags, i, t) {
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
	json_t *body = json_pack("{s:s}", "ResourceArn", et->arn);

	if ((et->uc = eph_call(et->e, "ListTagsOfResource", body,
	    eph_tags_listed, et)) == NULL)
		log_warn("ephemeral: %s: out of memory checking tags",
		    et->name);
}

/* Timer: renews dyntable:expires of the tables of connected sessions
 * once half the TTL is gone (and tags those whose tagging failed). */
static void
eph_renew(evutil_socket_t fd, short what, void *arg)
{
	struct ephemeral *e = arg;
	time_t now = time(NULL), ttl = (time_t)e->srv->cfg.ephemeral_ttl_s;
	struct session *s;
	struct eph_table *et;

	TAILQ_FOREACH(s, &e->sessions, entry) {
		if (s->n_conns == 0)
			continue; /* in grace: deleted soon */
		TAILQ_FOREACH(et, &s->tables, entry)
			if (et->state == EPH_LIVE && et->uc == NULL &&
			    et->arn != NULL &&
			    (!et->tagged || et->expires - now <= ttl / 2))
				eph_tag(et, now + ttl);
	}
}

/* ---- create ------------------------------------------------------------ */

static void
eph_created(void *arg, const upstream_reply *ur)
{
	struct eph_table *et = arg;
	struct req *r = et->r;
	const json_t *desc = eph_ok(ur) ?
	    json_object_get(ur->body, "TableDescription") : NULL;
	const char *arn = json_string_value(json_object_get(desc, "TableArn"));

	et->uc = NULL;
	mutation_end(et->mut);
	et->mut = NULL;
	et->r = NULL;
	if (r != NULL)
		r->ext = NULL;
	if (!json_is_object(desc)) {
		/* Not created (it may exist already: then it is not ours). */
		eph_table_free(et);
		if (r != NULL)
			ops_created(r, ur);
		return;
	}
	et->state = EPH_LIVE;
	et->arn = arn != NULL ? strdup(arn) : NULL;
	if (r != NULL)
		ops_created(r, ur);
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

	et->input = NULL;
	if ((et->uc = eph_call(et->e, "CreateTable", in, eph_created, et)) !=
	    NULL)
		return;
	if (et->r != NULL)
		req_reply_error(et->r, DTP_E_INTERNAL, NULL, "out of memory");
	et->r = NULL;
	eph_table_free(et); /* ends et->mut */
}

/* SIGTERM while the CreateTable waited for its turn: nothing was sent. */
static void
eph_create_refused(void *arg)
{
	struct eph_table *et = arg;
	struct req *r = et->r;

	et->mut = NULL; /* already ended by the limiter */
	eph_table_free(et);
	if (r != NULL)
		req_reply_error(r, DTP_E_SHUTDOWN, NULL, "the daemon is "
		    "shutting down; this CreateTable was not sent to DynamoDB "
		    "(nothing changed)");
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

		if (k != NULL && (strcmp(k, EPH_TAG_OWNER) == 0 ||
		    strcmp(k, EPH_TAG_EXPIRES) == 0))
			json_array_remove(tags, i);
		else
			i++;
	}
	if ((mine = eph_tags(et, et->s->sid, et->expires)) == NULL)
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

void
ephemeral_create(struct server *srv, struct req *r, json_t *input)
{
	struct ephemeral *e = srv->eph;
	struct session *s = conn_ident(r->conn)->session;
	struct eph_table *et;
	char err[160];

	if (s == NULL || (et = calloc(1, sizeof(*et))) == NULL) {
		json_decref(input);
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	et->e = e;
	et->s = s;
	snprintf(et->name, sizeof(et->name), "%s", r->table);
	et->state = EPH_CREATING;
	et->expires = time(NULL) + (time_t)srv->cfg.ephemeral_ttl_s;
	et->input = input;
	TAILQ_INSERT_TAIL(&s->tables, et, entry);
	e->n_tables++;
	if (eph_add_tags(et, input, err, sizeof(err)) != 0) {
		eph_table_free(et);
		req_reply_error(r, strcmp(err, "out of memory") == 0 ?
		    DTP_E_INTERNAL : DTP_E_INVALID, NULL, "%s", err);
		return;
	}
	if ((et->mut = mutation_queue(srv->muts, r->conn, eph_create_start,
	    eph_create_refused, et)) == NULL) {
		eph_table_free(et);
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	et->r = r;
	r->ext = et;
}

/* ---- delete ---------------------------------------------------------- */

static void eph_delete_start(void *arg);

static void
eph_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct eph_table *et = arg;

	if ((et->mut = mutation_queue(et->e->srv->muts, et->e,
	    eph_delete_start, NULL, et)) == NULL)
		log_warn("ephemeral: %s: out of memory; table left to its "
		    "tags", et->name);
}

/* Tries again later, or gives up (left to the tags). */
static void
eph_delete_later(struct eph_table *et, const char *why)
{
	struct timeval tv = { et->delay_ms / 1000,
		(et->delay_ms % 1000) * 1000 };

	if (time(NULL) >= et->give_up) {
		log_err("ephemeral: giving up deleting %s (%s); its %s tag "
		    "lets a reap delete it", et->name, why, EPH_TAG_EXPIRES);
		eph_table_free(et);
		return;
	}
	log_debug("ephemeral: %s: %s; deleting again in %u ms", et->name, why,
	    et->delay_ms);
	if (et->retry == NULL && (et->retry = evtimer_new(et->e->srv->base,
	    eph_retry_cb, et)) == NULL) {
		eph_table_free(et);
		return;
	}
	evtimer_add(et->retry, &tv);
	et->delay_ms = et->delay_ms * 2 > EPH_RETRY_MAX_MS ? EPH_RETRY_MAX_MS :
	    et->delay_ms * 2;
}

static void
eph_deleted(void *arg, const upstream_reply *ur)
{
	struct eph_table *et = arg;

	et->uc = NULL;
	mutation_end(et->mut);
	et->mut = NULL;
	if (eph_ok(ur) || eph_is(ur, DTP_E_NOT_FOUND)) {
		log_info("ephemeral: table %s %s (its session ended)", et->name,
		    eph_ok(ur) ? "deleted" : "was gone already");
		et->e->deleted++;
		eph_table_free(et);
	} else if (eph_is(ur, DTP_E_IN_USE) || ur->transport_error ||
	    ur->aws_type == NULL ||
	    retry_classify(false, ur->http_status, ur->aws_type) != RETRY_NO) {
		/* Still CREATING (or being updated), or a passing failure. */
		eph_delete_later(et, eph_why(ur));
	} else {
		log_err("ephemeral: cannot delete %s: %s: %s; its %s tag lets "
		    "a reap delete it", et->name, eph_why(ur),
		    ur->message != NULL ? ur->message : "", EPH_TAG_EXPIRES);
		eph_table_free(et);
	}
}

static void
eph_delete_start(void *arg)
{
	struct eph_table *et = arg;
	json_t *body = json_pack("{s:s}", "TableName", et->name);

	if ((et->uc = eph_call(et->e, "DeleteTable", body, eph_deleted,
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
	if (et->uc != NULL) { /* a tag call: pointless now */
		upstream_cancel(et->uc);
		et->uc = NULL;
	}
	et->state = EPH_DELETING;
	et->delay_ms = EPH_RETRY_MIN_MS;
	et->give_up = time(NULL) + EPH_GIVE_UP_S;
	if ((et->mut = mutation_queue(et->e->srv->muts, et->e,
	    eph_delete_start, NULL, et)) == NULL) {
		log_warn("ephemeral: %s: out of memory; table left to its "
		    "tags", et->name);
		eph_table_free(et);
	}
}

/* ---- sessions -------------------------------------------------------- */

bool
session_token_valid(const char *token)
{
	size_t i;

	for (i = 0; token[i] != '\0'; i++)
		if (!((token[i] >= '0' && token[i] <= '9') ||
		    (token[i] >= 'a' && token[i] <= 'f')))
			return false;
	return i == SESSION_TOKEN_LEN;
}

const char *
session_token(const struct session *s)
{
	return s->token;
}

static void
session_free(struct session *s)
{
	struct ephemeral *e = s->e;

	while (!TAILQ_EMPTY(&s->tables))
		eph_table_free(TAILQ_FIRST(&s->tables));
	event_free(s->grace);
	TAILQ_REMOVE(&e->sessions, s, entry);
	e->n_sessions--;
	OPENSSL_cleanse(s->token, sizeof(s->token));
	free(s);
}

/* Grace is over: the session ends and its tables go. */
static void
session_expire(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct ephemeral *e = s->e;
	struct eph_table *et;
	unsigned n = 0;

	while ((et = TAILQ_FIRST(&s->tables)) != NULL) {
		TAILQ_REMOVE(&s->tables, et, entry);
		TAILQ_INSERT_TAIL(&e->dying, et, entry);
		et->s = NULL;
		n++;
		if (et->state == EPH_CREATING)
			et->doomed = true; /* deleted once created */
		else
			eph_delete(et);
	}
	log_info("ephemeral: session %s ended; deleting its %u tables",
	    s->sid, n);
	session_free(s);
}

struct session *
session_join(struct ephemeral *e, const char *token, bool *resumed)
{
	unsigned char raw[SESSION_TOKEN_LEN / 2], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	struct session *s;

	*resumed = false;
	if (token != NULL && strlen(token) == SESSION_TOKEN_LEN) {
		TAILQ_FOREACH(s, &e->sessions, entry) {
			if (CRYPTO_memcmp(s->token, token,
			    SESSION_TOKEN_LEN) != 0)
				continue;
			if (s->n_conns++ == 0)
				evtimer_del(s->grace);
			*resumed = true;
			log_info("ephemeral: session %s resumed (%u "
			    "connections)", s->sid, s->n_conns);
			return s;
		}
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    (s->grace = evtimer_new(e->srv->base, session_expire, s)) ==
	    NULL) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(s->token + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (EVP_Digest(s->token, SESSION_TOKEN_LEN, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen < 8) {
		event_free(s->grace);
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < 8; i++)
		snprintf(s->sid + 2 * i, 3, "%02x", md[i]);
	s->e = e;
	s->n_conns = 1;
	TAILQ_INIT(&s->tables);
	TAILQ_INSERT_TAIL(&e->sessions, s, entry);
	e->n_sessions++;
	return s;
}

void
session_leave(struct session *s)
{
	unsigned ms = s->e->srv->cfg.ephemeral_grace_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	unsigned n = 0;
	struct eph_table *et;

	if (--s->n_conns != 0)
		return;
	if (TAILQ_EMPTY(&s->tables)) {
		session_free(s);
		return;
	}
	TAILQ_FOREACH(et, &s->tables, entry)
		n++;
	log_info("ephemeral: session %s: last connection gone; its %u "
	    "tables go in %u ms unless it is resumed", s->sid, n, ms);
	evtimer_add(s->grace, &tv);
}

void
ephemeral_forget(struct ephemeral *e, const char *table)
{
	struct session *s;
	struct eph_table *et, *next;

	TAILQ_FOREACH(s, &e->sessions, entry) {
		for (et = TAILQ_FIRST(&s->tables); et != NULL; et = next) {
			next = TAILQ_NEXT(et, entry);
			if (et->state == EPH_LIVE &&
			    strcmp(et->name, table) == 0) {
				log_debug("ephemeral: %s is no longer "
				    "session %s's", table, s->sid);
				eph_table_free(et);
			}
		}
	}
}

/* True when table is one of this daemon's ephemeral tables. */
static bool
ephemeral_owns(const struct ephemeral *e, const char *table)
{
	const struct session *s;
	const struct eph_table *et;

	TAILQ_FOREACH(s, &e->sessions, entry)
		TAILQ_FOREACH(et, &s->tables, entry)
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
	if (rp->r != NULL)
		rp->r->ext = NULL;
	if (rp->uc != NULL)
		upstream_cancel(rp->uc);
	if (rp->mut != NULL)
		mutation_end(rp->mut);
	TAILQ_REMOVE(&rp->e->reaps, rp, entry);
	json_decref(rp->names);
	json_decref(rp->deleted);
	free(rp->arn);
	free(rp->owner);
	free(rp->tag_token);
	free(rp);
}

static void
reap_finish(struct reap *rp)
{
	struct req *r = rp->r;
	json_t *res;

	log_info("reap%s: %u tables checked, %zu expired deleted, %u errors",
	    r == NULL ? " (start-up or client gone)" : "", rp->checked,
	    json_array_size(rp->deleted), rp->errors);
	if (r != NULL) {
		rp->r = NULL;
		r->ext = NULL;
		res = json_pack("{s:O,s:I,s:I}", "deleted", rp->deleted,
		    "checked", (json_int_t)rp->checked, "errors",
		    (json_int_t)rp->errors);
		if (res == NULL) {
			req_reply_error(r, DTP_E_INTERNAL, NULL,
			    "out of memory");
		} else {
			req_reply_ok(r, res);
			json_decref(res);
		}
	}
	reap_free(rp);
}

/* The run cannot go on: answers its request with ur's error, or with
 * code and msg. */
static void
reap_fail(struct reap *rp, const upstream_reply *ur, dtp_err code,
    const char *msg)
{
	struct req *r = rp->r;

	log_warn("reap: %s", ur != NULL ? eph_why(ur) : msg);
	if (r != NULL) {
		rp->r = NULL;
		r->ext = NULL;
		if (ur != NULL)
			req_reply_upstream_error(r, ur);
		else
			req_reply_error(r, code, NULL, "%s", msg);
	}
	reap_free(rp);
}

static const char *
reap_name(const struct reap *rp)
{
	return json_string_value(json_array_get(rp->names, rp->i));
}

/* Sends the run's next call; a failure to start ends the run. */
static void
reap_call(struct reap *rp, enum reap_step step, const char *operation,
    json_t *body, upstream_cb *cb)
{
	rp->step = step;
	if ((rp->uc = eph_call(rp->e, operation, body, cb, rp)) == NULL)
		reap_fail(rp, NULL, DTP_E_INTERNAL, "out of memory");
}

static void
reap_deleted(void *arg, const upstream_reply *ur)
{
	struct reap *rp = arg;
	const char *name = reap_name(rp);

	rp->uc = NULL;
	mutation_end(rp->mut);
	rp->mut = NULL;
	if (eph_ok(ur)) {
		log_info("reap: deleted %s (%s %lld passed; %s %s)", name,
		    EPH_TAG_EXPIRES, rp->expires, EPH_TAG_OWNER,
		    rp->owner != NULL ? rp->owner : "unknown");
		json_array_append_new(rp->deleted, json_string(name));
		rp->e->reaped++;
	} else if (!eph_is(ur, DTP_E_NOT_FOUND)) {
		log_warn("reap: cannot delete %s: %s", name, eph_why(ur));
		rp->errors++;
	}
	rp->i++;
	reap_next(rp);
}

static void
reap_delete_start(void *arg)
{
	struct reap *rp = arg;

	reap_call(rp, REAP_DELETE, "DeleteTable", json_pack("{s:s}",
	    "TableName", reap_name(rp)), reap_deleted);
}

static void reap_tags(void *arg, const upstream_reply *ur);

#define REAP_TAG_PAGES_MAX 16 /* a table has at most 50 tags */

/* Asks for a page of the table's tags; next_token NULL: the first. A
 * token that repeats, or more than REAP_TAG_PAGES_MAX pages, ends the
 * table's check as an error: no pager loops (issue 11). */
static void
reap_list_tags(struct reap *rp, const char *next_token)
{
	if (next_token == NULL) {
		rp->tag_pages = 0;
	} else if (++rp->tag_pages >= REAP_TAG_PAGES_MAX ||
	    (rp->tag_token != NULL && strcmp(rp->tag_token, next_token) ==
	    0)) {
		log_warn("reap: %s: ListTagsOfResource paging does not end; "
		    "skipping the table", reap_name(rp));
		rp->errors++;
		rp->i++;
		reap_next(rp);
		return;
	}
	free(rp->tag_token);
	rp->tag_token = next_token != NULL ? strdup(next_token) : NULL;
	reap_call(rp, REAP_TAGS, "ListTagsOfResource", json_pack("{s:s,s:s*}",
	    "ResourceArn", rp->arn, "NextToken", next_token), reap_tags);
}

static void
reap_tags(void *arg, const upstream_reply *ur)
{
	struct reap *rp = arg;
	const json_t *t;
	const char *next;
	size_t i;

	rp->uc = NULL;
	if (!eph_ok(ur)) {
		if (!eph_is(ur, DTP_E_NOT_FOUND)) {
			log_warn("reap: %s: ListTagsOfResource: %s",
			    reap_name(rp), eph_why(ur));
			rp->errors++;
		}
		rp->i++;
		reap_next(rp);
		return;
	}
	json_array_foreach(json_object_get(ur->body, "Tags"), i, t) {
		const char *k = json_string_value(json_object_get(t, "Key"));
		const char *v = json_string_value(json_object_get(t, "Value"));
		char *end;

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, EPH_TAG_OWNER) == 0) {
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
	next = json_string_value(json_object_get(ur->body, "NextToken"));
	if (next != NULL && rp->expires < 0) {
		reap_list_tags(rp, next);
		return;
	}
	rp->checked++;
	if (rp->expires >= 0 && rp->expires < (long long)time(NULL) &&
	    !ephemeral_owns(rp->e, reap_name(rp))) {
		rp->step = REAP_DELETE;
		if ((rp->mut = mutation_queue(rp->e->srv->muts, rp,
		    reap_delete_start, NULL, rp)) == NULL)
			reap_fail(rp, NULL, DTP_E_INTERNAL, "out of memory");
		return;
	}
	rp->i++;
	reap_next(rp);
}

static void
reap_described(void *arg, const upstream_reply *ur)
{
	struct reap *rp = arg;
	const json_t *desc = eph_ok(ur) ? json_object_get(ur->body, "Table") :
	    NULL;
	const char *arn = json_string_value(json_object_get(desc, "TableArn"));
	const char *status = ddb_table_status(desc);

	rp->uc = NULL;
	if (arn == NULL || (status != NULL && strcmp(status, "DELETING") ==
	    0)) {
		if (!eph_ok(ur) && !eph_is(ur, DTP_E_NOT_FOUND)) {
			log_warn("reap: %s: DescribeTable: %s", reap_name(rp),
			    eph_why(ur));
			rp->errors++;
		}
		rp->i++;
		reap_next(rp);
		return;
	}
	free(rp->arn);
	if ((rp->arn = strdup(arn)) == NULL) {
		reap_fail(rp, NULL, DTP_E_INTERNAL, "out of memory");
		return;
	}
	reap_list_tags(rp, NULL);
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
	reap_call(rp, REAP_DESCRIBE, "DescribeTable", json_pack("{s:s}",
	    "TableName", name), reap_described);
}

static void reap_list(struct reap *rp, const char *start);

static void
reap_listed(void *arg, const upstream_reply *ur)
{
	struct reap *rp = arg;
	char err[192];
	int rc;

	rp->uc = NULL;
	if (!eph_ok(ur)) {
		reap_fail(rp, ur, DTP_E_UPSTREAM, NULL);
		return;
	}
	rc = ddb_pager_next(&rp->pager, ur->body, rp->names, time(NULL), err,
	    sizeof(err));
	if (rc < 0) {
		reap_fail(rp, NULL, DTP_E_UPSTREAM, err);
	} else if (rc > 0) {
		reap_list(rp, rp->pager.last);
	} else {
		rp->i = 0;
		reap_next(rp);
	}
}

static void
reap_list(struct reap *rp, const char *start)
{
	reap_call(rp, REAP_LIST, "ListTables", start != NULL ?
	    json_pack("{s:s}", "ExclusiveStartTableName", start) :
	    json_object(), reap_listed);
}

void
ephemeral_reap(struct server *srv, struct req *r)
{
	struct ephemeral *e = srv->eph;
	struct reap *rp = calloc(1, sizeof(*rp));

	if (rp == NULL || (rp->names = json_array()) == NULL ||
	    (rp->deleted = json_array()) == NULL) {
		if (rp != NULL) {
			json_decref(rp->names);
			free(rp);
		}
		if (r != NULL)
			req_reply_error(r, DTP_E_INTERNAL, NULL,
			    "out of memory");
		else
			log_warn("reap: out of memory");
		return;
	}
	rp->e = e;
	rp->r = r;
	rp->expires = -1;
	ddb_pager_init(&rp->pager, time(NULL));
	TAILQ_INSERT_TAIL(&e->reaps, rp, entry);
	if (r != NULL)
		r->ext = rp;
	reap_list(rp, NULL);
}

/* ---- the module -------------------------------------------------------- */

void
ephemeral_abandon(struct req *r)
{
	if (r->op == DTP_OP_REAP) {
		struct reap *rp = r->ext;

		rp->r = NULL; /* the run goes on; it logs what it did */
	} else {
		struct eph_table *et = r->ext;

		et->r = NULL;
		/* Not sent yet: nothing to clean up. Sent: it completes,
		 * owned by the session. */
		if (et->uc == NULL && et->state == EPH_CREATING)
			eph_table_free(et);
	}
	r->ext = NULL;
}

static void
ephemeral_start_reap(evutil_socket_t fd, short what, void *arg)
{
	struct ephemeral *e = arg;

	log_info("reap: looking for expired ephemeral tables (start-up)");
	ephemeral_reap(e->srv, NULL);
}

struct ephemeral *
ephemeral_new(struct server *srv)
{
	struct ephemeral *e = calloc(1, sizeof(*e));
	unsigned period = srv->cfg.ephemeral_ttl_s / 4;
	struct timeval tv = { period != 0 ? period : 1, 0 };
	struct timeval now = { 0, 0 };
	char host[128] = "unknown";

	if (e == NULL)
		return NULL;
	e->srv = srv;
	TAILQ_INIT(&e->sessions);
	TAILQ_INIT(&e->dying);
	TAILQ_INIT(&e->reaps);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(e->owner, sizeof(e->owner), "host=%s pid=%ld", host,
	    (long)getpid());
	e->renew = event_new(srv->base, -1, EV_PERSIST, eph_renew, e);
	e->start_reap = evtimer_new(srv->base, ephemeral_start_reap, e);
	if (e->renew == NULL || e->start_reap == NULL) {
		ephemeral_free(e);
		return NULL;
	}
	event_add(e->renew, &tv);
	evtimer_add(e->start_reap, &now);
	return e;
}

void
ephemeral_free(struct ephemeral *e)
{
	struct session *s;
	unsigned left;

	if (e == NULL)
		return;
	left = e->n_tables;
	while (!TAILQ_EMPTY(&e->reaps))
		reap_free(TAILQ_FIRST(&e->reaps));
	while ((s = TAILQ_FIRST(&e->sessions)) != NULL)
		session_free(s);
	while (!TAILQ_EMPTY(&e->dying))
		eph_table_free(TAILQ_FIRST(&e->dying));
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
	st->sessions = e->n_sessions;
	st->tables = e->n_tables;
	st->deleted = e->deleted;
	st->reaped = e->reaped;
}
