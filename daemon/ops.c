/*
 * ops.c: the operations of PROTOCOL.md §3, as DynamoDB calls.
 *
 * Each handler checks its arguments (refusing unknown ones), then issues
 * one upstream call whose callback answers the request, or hands it to
 * wait.c. A request's upcall pointer is set while a call is in flight so
 * that ops_abandon() can cancel it when the client goes away.
 *
 * Also here: namespaces (table names prefixed "<namespace>." on the way to
 * DynamoDB, stripped on the way back; see dyntabled.h) and the mutation
 * limiter (CreateTable and DeleteTable wait for one of max_mutations slots,
 * queued per owner and served round-robin). Ephemeral creates and reaps
 * are ephemeral.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dtp_json.h"
#include "creds.h"
#include "dyntabled.h"

/* Arguments each op accepts; anything else is refused. */
static const char *const ops_args_name[] = { "name", NULL };
static const char *const ops_args_wait[] = { "name", "timeout_ms", NULL };
static const char *const ops_args_wait_active[] = { "name", "timeout_ms",
	"table_only", NULL };
static const char *const ops_args_delete[] = { "name", "wait", "timeout_ms",
	NULL };
static const char *const ops_args_create[] = { "table", "wait", "timeout_ms",
	"table_only", "ephemeral", NULL };
static const char *const ops_args_list[] = { "all", NULL };
static const char *const ops_args_none[] = { NULL };

/* ---- the mutation limiter ------------------------------------------------ */

TAILQ_HEAD(mutation_list, mutation);

struct mutation {
	struct mutations *ms;
	struct mut_owner *o;	    /* its queue while queued, else NULL */
	mutation_start_fn *start;
	mutation_start_fn *refuse; /* SIGTERM while queued, or NULL */
	void *arg;
	TAILQ_ENTRY(mutation) entry; /* in o->jobs while queued */
};

/* The queue of one owner; exists while it holds queued jobs. */
struct mut_owner {
	const void *key;
	struct mutation_list jobs;
	TAILQ_ENTRY(mut_owner) entry; /* in ms->ring */
};

struct mutations {
	struct server *srv;
	TAILQ_HEAD(, mut_owner) ring; /* owners with queued jobs, next first */
	struct event *pump;	    /* starts jobs, from the loop */
	bool stopping;		    /* SIGTERM: start nothing more */
	struct mutation_stats st;
};

static unsigned
mutations_max(const struct mutations *ms)
{
	return ms->srv->cfg.max_mutations != 0 ? ms->srv->cfg.max_mutations :
	    1;
}

static void
mutations_pump(evutil_socket_t fd, short what, void *arg)
{
	struct mutations *ms = arg;
	unsigned max = mutations_max(ms);
	struct mut_owner *o;

	/* start() may end or queue jobs: re-read the ring every time. */
	while (!ms->stopping && ms->st.running < max && (o = TAILQ_FIRST(&ms->ring)) != NULL) {
		struct mutation *m = TAILQ_FIRST(&o->jobs);

		TAILQ_REMOVE(&o->jobs, m, entry);
		TAILQ_REMOVE(&ms->ring, o, entry);
		if (TAILQ_EMPTY(&o->jobs))
			free(o);
		else
			TAILQ_INSERT_TAIL(&ms->ring, o, entry); /* its turn is over */
		m->o = NULL;
		ms->st.queued--;
		ms->st.running++;
		ms->st.started++;
		if (ms->st.running > ms->st.peak)
			ms->st.peak = ms->st.running;
		m->start(m->arg);
	}
}

struct mutations *
mutations_new(struct server *srv)
{
	struct mutations *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		return NULL;
	ms->srv = srv;
	TAILQ_INIT(&ms->ring);
	if ((ms->pump = event_new(srv->base, -1, 0, mutations_pump, ms)) ==
	    NULL) {
		free(ms);
		return NULL;
	}
	return ms;
}

void
mutations_free(struct mutations *ms)
{
	struct mut_owner *o;
	struct mutation *m;

	if (ms == NULL)
		return;
	while ((o = TAILQ_FIRST(&ms->ring)) != NULL) {
		while ((m = TAILQ_FIRST(&o->jobs)) != NULL) {
			TAILQ_REMOVE(&o->jobs, m, entry);
			free(m);
		}
		TAILQ_REMOVE(&ms->ring, o, entry);
		free(o);
	}
	event_free(ms->pump);
	free(ms);
}

struct mutation *
mutation_queue(struct mutations *ms, const void *owner,
    mutation_start_fn *start, mutation_start_fn *refuse, void *arg)
{
	struct mutation *m = calloc(1, sizeof(*m));
	struct mut_owner *o;

	if (m == NULL)
		return NULL;
	TAILQ_FOREACH(o, &ms->ring, entry)
		if (o->key == owner)
			break;
	if (o == NULL) {
		if ((o = calloc(1, sizeof(*o))) == NULL) {
			free(m);
			return NULL;
		}
		o->key = owner;
		TAILQ_INIT(&o->jobs);
		TAILQ_INSERT_TAIL(&ms->ring, o, entry);
	}
	m->ms = ms;
	m->o = o;
	m->start = start;
	m->refuse = refuse;
	m->arg = arg;
	TAILQ_INSERT_TAIL(&o->jobs, m, entry);
	ms->st.queued++;
	if (ms->st.running < mutations_max(ms))
		event_active(ms->pump, 0, 0);
	else
		log_debug("mutations: %u running, %u queued", ms->st.running,
		    ms->st.queued);
	return m;
}

void
mutation_end(struct mutation *m)
{
	struct mutations *ms = m->ms;
	struct mut_owner *o = m->o;

	if (o != NULL) { /* still queued: drop it */
		TAILQ_REMOVE(&o->jobs, m, entry);
		ms->st.queued--;
		if (TAILQ_EMPTY(&o->jobs)) {
			TAILQ_REMOVE(&ms->ring, o, entry);
			free(o);
		}
	} else {
		ms->st.running--;
		if (ms->st.queued != 0)
			event_active(ms->pump, 0, 0);
	}
	free(m);
}

void
mutations_shutdown(struct mutations *ms)
{
	struct mut_owner *o, *onext;
	struct mutation *m, *mnext;

	ms->stopping = true;
	/* refuse() answers a request, which never queues or ends another
	 * job: the ring changes only through mutation_end() of the job in
	 * hand, which frees o after its last job (mnext is NULL then). */
	for (o = TAILQ_FIRST(&ms->ring); o != NULL; o = onext) {
		onext = TAILQ_NEXT(o, entry);
		for (m = TAILQ_FIRST(&o->jobs); m != NULL; m = mnext) {
			mutation_start_fn *refuse = m->refuse;
			void *arg = m->arg;

			mnext = TAILQ_NEXT(m, entry);
			if (refuse == NULL)
				continue;
			mutation_end(m);
			refuse(arg);
		}
	}
}

void
mutations_get_stats(const struct mutations *ms, struct mutation_stats *st)
{
	*st = ms->st;
}

/* ---- namespaces and hello ------------------------------------------------ */

bool
ops_namespace_valid(const char *ns, size_t len)
{
	if (len == 0 || len > OPS_NS_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = ns[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

int
ops_hello(struct server *srv, const msgpack_object *args,
    struct conn_ident *id, char *err, size_t errlen)
{
	const msgpack_object *ns = dtp_map_get(args, "namespace");
	const msgpack_object *tok = dtp_map_get(args, "session");
	char token[SESSION_TOKEN_LEN + 1];

	memset(id, 0, sizeof(*id));
	if (ns != NULL && (!dtp_strcpy(ns, id->ns, sizeof(id->ns)) ||
	    !ops_namespace_valid(id->ns, strlen(id->ns)))) {
		id->ns[0] = '\0';
		snprintf(err, errlen, "namespace: 1 to %d characters of a-z, "
		    "A-Z, 0-9, '_' and '-'", OPS_NS_MAX);
		return -1;
	}
	if (tok != NULL && (!dtp_strcpy(tok, token, sizeof(token)) ||
	    !session_token_valid(token))) {
		id->ns[0] = '\0';
		snprintf(err, errlen, "session: must be the %d lower-case hex "
		    "digits a hello returned", SESSION_TOKEN_LEN);
		return -1;
	}
	id->session = session_join(srv->eph, tok != NULL ? token : NULL,
	    &id->resumed);
	if (id->session == NULL) {
		id->ns[0] = '\0';
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
ops_goodbye(struct conn_ident *id)
{
	if (id->session != NULL)
		session_leave(id->session);
	id->session = NULL;
}

/* r's namespace, or NULL. */
/* Answers r with DENIED (and logs who) unless the policy lets its peer
 * use r->table, DynamoDB's name of the table. */
static bool
ops_allowed_table(struct req *r)
{
	const struct policy *p = r->srv->cfg.policy;
	const struct policy_peer *peer = conn_peer(r->conn);
	char prefixes[256];

	if (policy_may_use_table(p, peer, r->table))
		return true;
	policy_describe(p, peer, prefixes, sizeof(prefixes));
	log_warn("denied %s on %s to pid %ld uid %ld: outside its table "
	    "prefixes (%s)", dtp_op_name(r->op), r->table, (long)peer->pid,
	    (long)peer->uid, prefixes);
	req_reply_error(r, DTP_E_DENIED, NULL, "table %s: this user may only "
	    "use tables starting with %s", r->table, prefixes);
	return false;
}

/* Answers r with DENIED unless its peer may use admin verbs. */
static bool
ops_allowed_admin(struct req *r)
{
	const struct policy_peer *peer = conn_peer(r->conn);

	if (policy_is_admin(r->srv->cfg.policy, peer))
		return true;
	log_warn("denied %s to pid %ld uid %ld: not an admin",
	    dtp_op_name(r->op), (long)peer->pid, (long)peer->uid);
	req_reply_error(r, DTP_E_DENIED, NULL, "%s is for root, the daemon's "
	    "user and [access] admin-users/admin-groups", dtp_op_name(r->op));
	return false;
}

static const char *
ops_ns(const struct req *r)
{
	const struct conn_ident *id = conn_ident(r->conn);

	return id->ns[0] != '\0' ? id->ns : NULL;
}

/* Sets r->table to DynamoDB's name for the client's name. Answers r with
 * INVALID and returns false when the prefixed name is too long. */
static bool
ops_set_table(struct req *r, const char *name)
{
	const char *ns = ops_ns(r);
	int n;

	if (ns == NULL) {
		snprintf(r->table, sizeof(r->table), "%s", name);
	} else {
		n = snprintf(r->table, sizeof(r->table), "%s%c%s", ns,
		    OPS_NS_SEP, name);
		if (n < 0 || (size_t)n >= sizeof(r->table)) {
			req_reply_error(r, DTP_E_INVALID, NULL, "name: in "
			    "namespace \"%s\", a table name has at most %zu "
			    "characters", ns, sizeof(r->table) - 2 - strlen(ns));
			return false;
		}
	}
	return ops_allowed_table(r);
}

/* The client's name for DynamoDB's table name: without "<namespace>." on
 * a connection with a namespace; NULL when the table is not in it. */
static const char *
ops_client_name(const struct req *r, const char *name)
{
	const char *ns = ops_ns(r);
	size_t n;

	if (ns == NULL)
		return name;
	n = strlen(ns);
	if (strncmp(name, ns, n) == 0 && name[n] == OPS_NS_SEP)
		return name + n + 1;
	return NULL;
}

/* ---- status -------------------------------------------------------------- */

/* status: the mutation limiter's and the sessions' counters (#5). */
static void
ops_status_more(struct server *srv, json_t *res)
{
	struct mutation_stats ms;
	struct ephemeral_stats es;

	mutations_get_stats(srv->muts, &ms);
	ephemeral_get_stats(srv->eph, &es);
	json_object_set_new(res, "mutations", json_pack("{s:I,s:I,s:I,s:I}",
	    "running", (json_int_t)ms.running, "queued", (json_int_t)ms.queued,
	    "peak", (json_int_t)ms.peak, "started", (json_int_t)ms.started));
	json_object_set_new(res, "ephemeral", json_pack("{s:I,s:I,s:I,s:I}",
	    "sessions", (json_int_t)es.sessions, "tables",
	    (json_int_t)es.tables, "deleted", (json_int_t)es.deleted,
	    "reaped", (json_int_t)es.reaped));
}

/* The daemon's state, for `dyntablectl status`: counters and where the
 * credentials come from; never a secret (creds_get_info holds none). */
static void
ops_status(struct server *srv, struct req *r)
{
	struct upstream_stats us;
	struct wait_stats ws;
	struct creds_info ci;
	json_t *res;

	upstream_get_stats(srv->up, &us);
	waits_get_stats(srv->waits, &ws);
	creds_get_info(srv->creds, &ci);
	res = json_pack("{s:s,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:{s:I,s:I,s:I,s:I},s:{s:s,s:s,s:b,s:I,s:I,s:s}}",
	    "server", "dyntabled " DYNTABLED_VERSION,
	    "pid", (json_int_t)getpid(),
	    "uptime_s", (json_int_t)(time(NULL) - srv->started),
	    "endpoint", srv->cfg.endpoint,
	    "region", srv->cfg.region,
	    "clients", (json_int_t)srv->n_conns,
	    "requests_in_flight", (json_int_t)srv->reqs_in_flight,
	    "requests_served", (json_int_t)srv->reqs_served,
	    "waiters", (json_int_t)ws.waiters,
	    "pollers", (json_int_t)ws.pollers,
	    "polls", (json_int_t)ws.polls,
	    "upstream",
	    "requests", (json_int_t)us.requests,
	    "retries", (json_int_t)us.retries,
	    "failures", (json_int_t)us.failures,
	    "in_flight", (json_int_t)us.in_flight,
	    "credentials",
	    "source", ci.source,
	    "key_id_tail", ci.key_id_tail,
	    "valid", creds_valid(srv->creds),
	    "expires", (json_int_t)ci.expires,
	    "obtained", (json_int_t)ci.obtained,
	    "last_error", ci.last_error);
	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	ops_status_more(srv, res);
	req_reply_ok(r, res);
	json_decref(res);
}

/* Refuses any key of args not in allowed. */
static bool
ops_check_keys(struct req *r, const msgpack_object *args,
    const char *const *allowed)
{
	if (args == NULL)
		return true;
	for (uint32_t i = 0; i < args->via.map.size; i++) {
		const msgpack_object *k = &args->via.map.ptr[i].key;
		size_t j;

		for (j = 0; allowed[j] != NULL; j++)
			if (dtp_str_eq(k, allowed[j]))
				break;
		if (allowed[j] == NULL) {
			char name[64] = "?";

			if (k->type == MSGPACK_OBJECT_STR)
				snprintf(name, sizeof(name), "%.*s",
				    (int)(k->via.str.size < 60 ?
				    k->via.str.size : 60), k->via.str.ptr);
			req_reply_error(r, DTP_E_INVALID, NULL,
			    "unknown argument \"%s\" for %s", name,
			    dtp_op_name(r->op));
			return false;
		}
	}
	return true;
}

/* Reads the optional bool argument key into bit of r->flags. */
static bool
ops_get_flag(struct req *r, const msgpack_object *args, const char *key,
    unsigned bit)
{
	const msgpack_object *v = dtp_map_get(args, key);
	bool b = false;

	if (v == NULL)
		return true;
	if (!dtp_get_bool(v, &b)) {
		req_reply_error(r, DTP_E_INVALID, NULL, "%s: must be a bool",
		    key);
		return false;
	}
	if (b)
		r->flags |= bit;
	return true;
}

/* Reads args.name into r->table (DynamoDB's name) after checking it is a
 * table name. */
static bool
ops_get_name(struct req *r, const msgpack_object *args)
{
	const msgpack_object *v = dtp_map_get(args, "name");
	char name[256];

	if (v == NULL) {
		req_reply_error(r, DTP_E_INVALID, NULL, "name: missing");
		return false;
	}
	if (!dtp_strcpy(v, name, sizeof(name)) ||
	    !ddb_valid_name(name, strlen(name))) {
		req_reply_error(r, DTP_E_INVALID, NULL, "name: a table name is "
		    "3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'");
		return false;
	}
	return ops_set_table(r, name);
}

/* Reads the optional wait and timeout_ms arguments into r. */
static bool
ops_get_wait(struct server *srv, struct req *r, const msgpack_object *args,
    bool wait_default)
{
	const msgpack_object *w = dtp_map_get(args, "wait");
	const msgpack_object *t = dtp_map_get(args, "timeout_ms");
	uint64_t ms = 0;

	r->wait = wait_default;
	if (w != NULL && !dtp_get_bool(w, &r->wait)) {
		req_reply_error(r, DTP_E_INVALID, NULL, "wait: must be a bool");
		return false;
	}
	if (t != NULL && !dtp_get_uint(t, &ms)) {
		req_reply_error(r, DTP_E_INVALID, NULL,
		    "timeout_ms: must be a non-negative integer");
		return false;
	}
	if (ms == 0)
		ms = srv->cfg.wait_default_ms;
	if (ms > srv->cfg.wait_max_ms)
		ms = srv->cfg.wait_max_ms;
	r->timeout_ms = (unsigned)ms;
	return true;
}

/* Sends one DynamoDB call for r (body is consumed); answers r on failure
 * to start, giving back its mutation slot if it holds one. */
static void
ops_call(struct server *srv, struct req *r, const char *operation,
    json_t *body, upstream_cb *cb)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (text != NULL)
		r->upcall = upstream_call(srv->up, operation, text, cb, r);
	free(text);
	if (r->upcall == NULL) {
		if (r->mut != NULL) {
			mutation_end(r->mut);
			r->mut = NULL;
		}
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
	}
}

/* {"TableName": r->table} */
static json_t *
ops_name_body(const struct req *r)
{
	return json_pack("{s:s}", "TableName", r->table);
}

/* Replies {"table": desc}, with the client's table name in it. */
static void
ops_reply_table(struct req *r, const json_t *desc)
{
	const char *name = json_string_value(json_object_get(desc,
	    "TableName"));
	const char *mine = name != NULL ? ops_client_name(r, name) : NULL;
	json_t *copy = NULL, *res;

	if (mine != NULL && mine != name) {
		if ((copy = json_copy((json_t *)desc)) == NULL ||
		    json_object_set_new(copy, "TableName",
		    json_string(mine)) != 0) {
			json_decref(copy);
			req_reply_error(r, DTP_E_INTERNAL, NULL,
			    "out of memory");
			return;
		}
		desc = copy;
	}
	res = json_pack("{s:O}", "table", desc != NULL ? desc : json_null());
	json_decref(copy);
	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	req_reply_ok(r, res);
	json_decref(res);
}

/* Takes the TableDescription member key of a successful reply, checked,
 * or answers r with an upstream error and returns NULL. */
static const json_t *
ops_member(struct req *r, const upstream_reply *ur, const char *key)
{
	const json_t *v = json_object_get(ur->body, key);
	char err[128];

	if (!json_is_object(v)) {
		req_reply_error(r, DTP_E_UPSTREAM, NULL,
		    "DynamoDB's reply has no %s object", key);
		return NULL;
	}
	if (ddb_check_table(v, err, sizeof(err)) != 0) {
		req_reply_error(r, DTP_E_UPSTREAM, NULL,
		    "malformed reply from DynamoDB: %s", err);
		return NULL;
	}
	return v;
}

static bool
ops_ok(const upstream_reply *ur)
{
	return !ur->transport_error && ur->http_status == 200 &&
	    ur->aws_type == NULL && ur->body != NULL;
}

/* ---- describe_table, table_exists ------------------------------------- */

static void
ops_describe_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *desc;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "Table")) != NULL)
		ops_reply_table(r, desc);
}

static void
ops_exists_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *desc;
	json_t *res;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		if (ur->aws_type != NULL &&
		    ddb_error_code(ur->aws_type) == DTP_E_NOT_FOUND) {
			res = json_pack("{s:b}", "exists", 0);
			goto reply;
		}
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "Table")) == NULL)
		return;
	res = json_pack("{s:b,s:s?}", "exists", 1, "status",
	    ddb_table_status(desc));
reply:
	if (res == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	req_reply_ok(r, res);
	json_decref(res);
}

/* ---- list_tables ------------------------------------------------------- */

static void ops_list_page(struct server *srv, struct req *r,
    const char *start);

/* Replies with the names in r->acc the client may see, as it names them:
 * its namespace's without the prefix, or all of them (REQ_LIST_ALL, or no
 * namespace) as DynamoDB names them. */
static void
ops_list_reply(struct req *r)
{
	json_t *names = json_array(), *res, *v;
	size_t i;

	if (names == NULL)
		goto nomem;
	json_array_foreach(r->acc, i, v) {
		const char *name = json_string_value(v);

		if (name == NULL || !policy_may_use_table(r->srv->cfg.policy,
		    conn_peer(r->conn), name))
			continue;
		if (!(r->flags & REQ_LIST_ALL) &&
		    (name = ops_client_name(r, name)) == NULL)
			continue;
		if (json_array_append_new(names, json_string(name)) != 0)
			goto nomem;
	}
	if ((res = json_pack("{s:o}", "tables", names)) == NULL)
		goto nomem_res;
	req_reply_ok(r, res);
	json_decref(res);
	return;
nomem:
	json_decref(names);
nomem_res:
	req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

/* One page arrived: keep its names, fetch the next or answer. */
static void
ops_list_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	char err[192];
	int rc;

	r->upcall = NULL;
	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	rc = ddb_pager_next(&r->pager, ur->body, r->acc, time(NULL), err,
	    sizeof(err));
	if (rc < 0)
		req_reply_error(r, DTP_E_UPSTREAM, NULL, "%s", err);
	else if (rc > 0)
		ops_list_page(r->srv, r, r->pager.last);
	else
		ops_list_reply(r);
}

static void
ops_list_page(struct server *srv, struct req *r, const char *start)
{
	json_t *body = start != NULL ?
	    json_pack("{s:s}", "ExclusiveStartTableName", start) :
	    json_object();

	if (body == NULL) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	ops_call(srv, r, "ListTables", body, ops_list_done);
}

/* ---- create_table, delete_table ------------------------------------------ */

void
ops_created(struct req *r, const upstream_reply *ur)
{
	const json_t *desc;
	bool done;

	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "TableDescription")) == NULL)
		return;
	log_info("created table %s (%s)%s", r->table, ddb_table_status(desc),
	    r->flags & REQ_EPHEMERAL ? ", ephemeral" : "");
	/* An emulator may answer ACTIVE at once: then there is no wait. */
	done = r->flags & REQ_TABLE_ONLY ?
	    ddb_table_status(desc) != NULL &&
	    strcmp(ddb_table_status(desc), "ACTIVE") == 0 :
	    ddb_table_active(desc);
	if (r->wait && !done)
		wait_start(r->srv->waits, r, WAIT_ACTIVE);
	else
		ops_reply_table(r, desc);
}

static void
ops_create_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;

	r->upcall = NULL;
	mutation_end(r->mut);
	r->mut = NULL;
	/* A table this daemon thought ephemeral and gone was not. */
	if (ops_ok(ur))
		ephemeral_forget(r->srv->eph, r->table);
	ops_created(r, ur);
}

/* SIGTERM came while r (create or delete) waited for a slot: nothing was
 * sent, so the client can tell this from an outcome unknown. */
static void
ops_mutation_refused(void *arg)
{
	struct req *r = arg;

	r->mut = NULL;
	req_reply_error(r, DTP_E_SHUTDOWN, NULL, "the daemon is shutting down; "
	    "this %s was not sent to DynamoDB (nothing changed)",
	    r->op == DTP_OP_CREATE_TABLE ? "CreateTable" : "DeleteTable");
}

/* The limiter gave r a slot: r->acc is the CreateTableInput. */
static void
ops_create_start(void *arg)
{
	struct req *r = arg;
	json_t *in = r->acc;

	r->acc = NULL;
	ops_call(r->srv, r, "CreateTable", in, ops_create_done);
}

static void
ops_create(struct server *srv, struct req *r, const msgpack_object *args)
{
	const msgpack_object *t = dtp_map_get(args, "table");
	char err[256];
	json_t *in;

	if (!ops_check_keys(r, args, ops_args_create) ||
	    !ops_get_wait(srv, r, args, false) ||
	    !ops_get_flag(r, args, "table_only", REQ_TABLE_ONLY) ||
	    !ops_get_flag(r, args, "ephemeral", REQ_EPHEMERAL))
		return;
	if (t == NULL || t->type != MSGPACK_OBJECT_MAP) {
		req_reply_error(r, DTP_E_INVALID, NULL,
		    "table: missing, or not a map");
		return;
	}
	if ((in = dtp_to_json(t, err, sizeof(err))) == NULL) {
		req_reply_error(r, DTP_E_INVALID, NULL, "table: %s", err);
		return;
	}
	if (ddb_check_create(in, err, sizeof(err)) != 0) {
		json_decref(in);
		req_reply_error(r, DTP_E_INVALID, NULL, "%s", err);
		return;
	}
	if (!ops_set_table(r, json_string_value(json_object_get(in,
	    "TableName")))) {
		json_decref(in);
		return;
	}
	if (json_object_set_new(in, "TableName", json_string(r->table)) != 0) {
		json_decref(in);
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	if (r->flags & REQ_EPHEMERAL) {
		ephemeral_create(srv, r, in);
		return;
	}
	r->acc = in; /* until the limiter starts it; freed with r */
	if ((r->mut = mutation_queue(srv->muts, r->conn, ops_create_start,
	    ops_mutation_refused, r)) == NULL)
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

static void
ops_delete_done(void *arg, const upstream_reply *ur)
{
	struct req *r = arg;
	const json_t *desc;

	r->upcall = NULL;
	mutation_end(r->mut);
	r->mut = NULL;
	if (!ops_ok(ur)) {
		req_reply_upstream_error(r, ur);
		return;
	}
	if ((desc = ops_member(r, ur, "TableDescription")) == NULL)
		return;
	log_info("deleting table %s", r->table);
	ephemeral_forget(r->srv->eph, r->table);
	if (!r->wait) {
		ops_reply_table(r, desc);
		return;
	}
	r->acc = json_deep_copy(desc); /* the answer once the wait ends */
	wait_start(r->srv->waits, r, WAIT_DELETED);
}

static void
ops_delete_start(void *arg)
{
	struct req *r = arg;
	json_t *body = ops_name_body(r);

	if (body == NULL) {
		mutation_end(r->mut);
		r->mut = NULL;
		req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	ops_call(r->srv, r, "DeleteTable", body, ops_delete_done);
}

/* ---- entry points ------------------------------------------------------ */

void
ops_dispatch(struct server *srv, struct req *r, const msgpack_object *args)
{
	switch (r->op) {
	case DTP_OP_CREATE_TABLE:
		ops_create(srv, r, args);
		return;
	case DTP_OP_DESCRIBE_TABLE:
	case DTP_OP_TABLE_EXISTS:
		if (ops_check_keys(r, args, ops_args_name) &&
		    ops_get_name(r, args))
			ops_call(srv, r, "DescribeTable", ops_name_body(r),
			    r->op == DTP_OP_DESCRIBE_TABLE ? ops_describe_done :
			    ops_exists_done);
		return;
	case DTP_OP_LIST_TABLES:
		if (!ops_check_keys(r, args, ops_args_list) ||
		    !ops_get_flag(r, args, "all", REQ_LIST_ALL))
			return;
		if ((r->acc = json_array()) == NULL) {
			req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
			return;
		}
		ddb_pager_init(&r->pager, time(NULL));
		ops_list_page(srv, r, NULL);
		return;
	case DTP_OP_DELETE_TABLE:
		if (!ops_check_keys(r, args, ops_args_delete) ||
		    !ops_get_name(r, args) || !ops_get_wait(srv, r, args, false))
			return;
		if ((r->mut = mutation_queue(srv->muts, r->conn,
		    ops_delete_start, ops_mutation_refused, r)) == NULL)
			req_reply_error(r, DTP_E_INTERNAL, NULL,
			    "out of memory");
		return;
	case DTP_OP_WAIT_TABLE_ACTIVE:
		if (ops_check_keys(r, args, ops_args_wait_active) &&
		    ops_get_name(r, args) && ops_get_wait(srv, r, args, true) &&
		    ops_get_flag(r, args, "table_only", REQ_TABLE_ONLY))
			wait_start(srv->waits, r, WAIT_ACTIVE);
		return;
	case DTP_OP_WAIT_TABLE_DELETED:
		if (ops_check_keys(r, args, ops_args_wait) &&
		    ops_get_name(r, args) && ops_get_wait(srv, r, args, true))
			wait_start(srv->waits, r, WAIT_DELETED);
		return;
	case DTP_OP_STATUS:
		if (ops_check_keys(r, args, ops_args_none) &&
		    ops_allowed_admin(r))
			ops_status(srv, r);
		return;
	case DTP_OP_REAP:
		if (ops_check_keys(r, args, ops_args_none) &&
		    ops_allowed_admin(r))
			ephemeral_reap(srv, r);
		return;
	case DTP_OP_HELLO:
	case DTP_OP_COUNT:
	default:
		req_reply_error(r, DTP_E_INVALID, NULL, "operation %s is not "
		    "served here", dtp_op_name(r->op));
		return;
	}
}

void
ops_abandon(struct req *r)
{
	if (r->ext != NULL)
		ephemeral_abandon(r);
	if (r->upcall != NULL) {
		upstream_cancel(r->upcall);
		r->upcall = NULL;
	}
	if (r->mut != NULL) {
		mutation_end(r->mut);
		r->mut = NULL;
	}
	if (r->waiter != NULL) {
		wait_cancel(r->waiter);
		r->waiter = NULL;
	}
}

void
ops_wait_done(struct req *r, const json_t *desc)
{
	switch (r->op) {
	case DTP_OP_CREATE_TABLE:
	case DTP_OP_WAIT_TABLE_ACTIVE:
		ops_reply_table(r, desc);
		break;
	case DTP_OP_DELETE_TABLE:
		ops_reply_table(r, r->acc);
		break;
	default:
		req_reply_ok(r, NULL);
		break;
	}
}
