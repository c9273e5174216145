/*
 * dyntabled.h: the daemon's core, one heading per source file (the
 * periphery has headers of its own: log.h, config.h, policy.h, redact.h,
 * aws/ and creds/).
 *
 * Ownership in one paragraph: the server (struct server, main.c) owns the
 * event base, the listener, every connection, the upstream pool, the
 * credentials and the wait registry. A connection owns its client
 * requests (struct req) until each is answered or the connection closes.
 */
#ifndef DYNTABLED_H
#define DYNTABLED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "ddb.h"
#include "dtp.h"
#include "log.h"
#include "policy.h"
#include "upstream.h"

struct event_base;
struct server;
struct conn;
struct req;

/* ---- listener.c ----------------------------------------------------------- */

struct listener;

/* Binds cfg->socket_path safely (refuses a live instance, replaces a stale
 * socket, mode cfg->socket_mode) and accepts connections into srv.
 * Returns NULL with a logged reason. */
struct listener *listener_new(struct server *srv, const struct config *cfg);
/* Stops accepting, closes and unlinks the socket. */
void listener_free(struct listener *l);
/* Called by conn.c when a connection closes: resumes accepting if it was
 * paused on EMFILE or max_clients. */
void listener_resume(struct listener *l);

/* ---- conn.c: one client connection ---------------------------------------- */

/* Admission: a peer that is root, the daemon's user or an [access] admin
 * may connect beyond --max-clients by this many, and is not held to
 * --max-clients-per-uid, so that `status` always gets through. */
#define CONN_ADMIN_RESERVE 16

struct uid_conns {
	uid_t uid;
	unsigned n;
};

/* Takes an accepted, non-blocking fd. Returns NULL (fd closed) on error. */
struct conn *conn_new(struct server *srv, int fd);
/* Closes the connection: drops its requests (waits stop, upstream calls
 * cancelled), frees it. */
void conn_close(struct conn *c, const char *why);
/* Daemon stopping: stops reading from every connection; each closes once
 * its requests in flight are answered and the replies written. */
void conn_shutdown_all(struct server *srv);
/* The drain deadline passed: answers what is left with SHUTDOWN. */
void conn_abort_all(struct server *srv);
/* Closes every connection at once (exit). */
void conn_close_all(struct server *srv);
/* SIGHUP re-read the access policy: closes, with DENIED, the connections
 * of peers it no longer admits (logged). */
void conn_recheck_all(struct server *srv);

/* A client request being served. Owned by its connection. */
struct req {
	struct conn *conn;	/* owner; never NULL while the req lives */
	struct server *srv;
	uint32_t id;		/* the client's request id */
	dtp_op op;
	char table[256];	/* table name, when the op has one */
	bool wait;		/* create/delete: wait afterwards */
	unsigned timeout_ms;	/* the wait's timeout, resolved */
	struct upcall *upcall;	/* the DynamoDB call in flight, or NULL */
	struct waiter *waiter;	/* the wait in progress, or NULL */
	unsigned flags;		/* REQ_* options of the op */
	struct mutation *mut;	/* create/delete: its place in the mutation
				 * limiter (queued or running), or NULL */
	void *ext;		/* ephemeral.c's state for an ephemeral
				 * create or a reap, or NULL */
	json_t *acc;		/* op state: list pages so far, the
				 * DeleteTable description; owned */
	struct ddb_pager pager; /* list_tables: where the paging is */
	TAILQ_ENTRY(req) entry; /* in conn's list */
};

#define REQ_TABLE_ONLY 0x1 /* wait for the table, not its GSIs */
#define REQ_LIST_ALL   0x2 /* list_tables: every namespace */
#define REQ_EPHEMERAL  0x4 /* create_table: owned by the session */

/* The connection's hello state (namespace, session; see ops_hello). */
const struct conn_ident *conn_ident(const struct conn *c);
/* The peer's credentials, taken when it connected. */
const struct policy_peer *conn_peer(const struct conn *c);

/*
 * Answers a request and frees it. reply_ok takes the result map as a JSON
 * object (its members become the result's keys; NULL: empty result);
 * reply_error formats the message. Each req is answered exactly once.
 */
void req_reply_ok(struct req *r, const json_t *result);
void req_reply_error(struct req *r, dtp_err code, const char *aws_type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answers from a failed upstream call: maps type and status to a code. */
void req_reply_upstream_error(struct req *r, const upstream_reply *ur);

/* ---- ops.c: the operations ------------------------------------------------ */

/* Starts serving r with its decoded args (a map or NULL). Answers r
 * itself, now or later. */
void ops_dispatch(struct server *srv, struct req *r,
    const msgpack_object *args);
/* The connection is going away: stops whatever r is doing, without
 * answering. conn.c frees r afterwards. */
void ops_abandon(struct req *r);
/* wait.c reports a wait that reached its goal; desc is the last
 * TableDescription seen (NULL for a deleted table). Answers r. */
void ops_wait_done(struct req *r, const json_t *desc);
/* CreateTable answered for r (ephemeral.c's creates too): answers r, or
 * starts its wait when it asked for one. */
void ops_created(struct req *r, const upstream_reply *ur);

/*
 * Namespaces. A connection whose hello names namespace N sees DynamoDB's
 * table "N.x" as "x": names are prefixed on the way to DynamoDB and
 * stripped on the way back. '.' is the separator, so a namespace is 1 to
 * OPS_NS_MAX characters of [a-zA-Z0-9_-] (with '.' allowed, "a" + "b.c"
 * and "a.b" + "c" would be the same table).
 */
#define OPS_NS_MAX 64
#define OPS_NS_SEP '.'
bool ops_namespace_valid(const char *ns, size_t len);

/* What hello settles for a connection; conn.c keeps it in the conn. */
struct conn_ident {
	char ns[OPS_NS_MAX + 1];  /* "" when none */
	struct session *session;  /* the connection's session (ephemeral.c) */
	bool resumed;		  /* hello joined an existing session */
};
/* Reads hello's namespace and session arguments into id and joins (or
 * starts) the session. Returns 0, or -1 with a message in err: hello
 * fails and id holds nothing to release. */
int ops_hello(struct server *srv, const msgpack_object *args,
    struct conn_ident *id, char *err, size_t errlen);
/* The connection closed: leaves its session. */
void ops_goodbye(struct conn_ident *id);

/*
 * The mutation limiter: at most cfg.max_mutations CreateTable/DeleteTable
 * calls in flight per daemon (a call holds its slot through its retries
 * and backoffs). The rest wait in one queue per owner (a connection, or
 * the daemon's own work), served round-robin, so one client with a
 * hundred creates delays another's single create by one call at most.
 */
struct mutations;
struct mutation;
typedef void mutation_start_fn(void *arg);

struct mutations *mutations_new(struct server *srv);
/* Drops every job without calling back (exit). NULL is a no-op. */
void mutations_free(struct mutations *ms);
/* Queues start(arg) behind owner's other jobs. start runs from the event
 * loop, never inside this call; it must make the call, and call
 * mutation_end() once the call is over. refuse (NULL: the job stays
 * queued until exit) is called instead of start when the daemon stops
 * before the job's turn: the job is over then, nothing was sent. NULL
 * when out of memory. */
struct mutation *mutation_queue(struct mutations *ms, const void *owner,
    mutation_start_fn *start, mutation_start_fn *refuse, void *arg);
/* The job is over: a running one frees its slot, a queued one is dropped
 * (start will not run). m is freed. */
void mutation_end(struct mutation *m);
/* SIGTERM: no job starts any more; queued jobs with a refuse function are
 * dropped and refused at once (their clients learn that nothing was
 * sent); running ones go on. */
void mutations_shutdown(struct mutations *ms);

struct mutation_stats {
	unsigned running, queued;
	unsigned peak;		 /* most running at once since start */
	unsigned long started;	 /* jobs started since start */
};
void mutations_get_stats(const struct mutations *ms,
    struct mutation_stats *st);

/* ---- wait.c: waits on daemon timers, one poller per table and goal -------- */

enum wait_goal { WAIT_ACTIVE, WAIT_DELETED };

struct waits;
struct waiter;

struct waits *waits_new(struct server *srv);
/* Answers every waiter with SHUTDOWN and stops every poller; waits
 * started afterwards are answered SHUTDOWN at once. */
void waits_shutdown(struct waits *w);
/* waits_shutdown(), then frees. */
void waits_free(struct waits *w);
/* Starts waiting on r->table for goal, deadline r->timeout_ms from now.
 * Answers r when the goal holds, the deadline passes or an error ends it.
 * WAIT_ACTIVE with REQ_TABLE_ONLY in r->flags needs only the table's
 * TableStatus ACTIVE, not its GSIs'; it shares the table's poller. */
void wait_start(struct waits *w, struct req *r, enum wait_goal goal);
/* Removes r's waiter without answering (client gone). */
void wait_cancel(struct waiter *wt);

struct wait_stats {
	unsigned waiters;
	unsigned pollers;
	unsigned long polls; /* DescribeTable calls made by pollers */
};
void waits_get_stats(const struct waits *w, struct wait_stats *st);

/* ---- ephemeral.c: sessions, ephemeral tables, the reaper ------------------ */

/*
 * A session is what hello hands out: a random token. Tables created with
 * `ephemeral` belong to the session of the connection; when the last
 * connection of the session closes and none joins it within
 * cfg.ephemeral_grace_ms, they are deleted. Each is tagged dyntable:owner
 * and dyntable:expires so that a reap (any daemon) can delete it once
 * expired if its daemon could not.
 */
#define SESSION_TOKEN_LEN 32 /* hex characters: 128 random bits */

struct ephemeral;
struct session;

/* Also schedules the start-up reap. NULL when out of memory. */
struct ephemeral *ephemeral_new(struct server *srv);
/* Stops everything (tables not yet deleted are left to their tags).
 * NULL is a no-op. */
void ephemeral_free(struct ephemeral *e);
/* Joins the live session whose token is token (*resumed = true), else
 * starts a new one. NULL when out of memory. */
struct session *session_join(struct ephemeral *e, const char *token,
    bool *resumed);
/* A connection of s closed. */
void session_leave(struct session *s);
const char *session_token(const struct session *s);
/* True for SESSION_TOKEN_LEN lower-case hex characters. */
bool session_token_valid(const char *token);

/* create_table with `ephemeral`: takes input (a checked CreateTableInput
 * with DynamoDB's name), adds the tags, creates the table for r's
 * session and answers r through ops_created(). */
void ephemeral_create(struct server *srv, struct req *r, json_t *input);
/* The `reap` op (r), or the start-up reap (r NULL): deletes every table
 * whose dyntable:expires has passed and that this daemon does not own. */
void ephemeral_reap(struct server *srv, struct req *r);
/* r (an ephemeral create or a reap, r->ext set) goes away unanswered: a
 * CreateTable already sent still completes, owned by the session. */
void ephemeral_abandon(struct req *r);
/* DynamoDB's table name was deleted or created by a client: it is no
 * longer (or not any more) a session's ephemeral table. */
void ephemeral_forget(struct ephemeral *e, const char *table);

struct ephemeral_stats {
	unsigned sessions, tables; /* live sessions; their tables */
	unsigned long deleted;	 /* ephemeral tables deleted since start */
	unsigned long reaped;	 /* expired tables deleted by reaps */
};
void ephemeral_get_stats(const struct ephemeral *e,
    struct ephemeral_stats *st);

/* ---- main.c: the server --------------------------------------------------- */

TAILQ_HEAD(conn_list, conn);

struct server {
	struct event_base *base;
	struct config cfg;
	struct creds *creds;
	struct upstream *up;
	struct listener *listener;
	struct waits *waits;
	struct mutations *muts;	 /* the mutation limiter (ops.c) */
	struct ephemeral *eph;	 /* sessions and ephemeral tables */
	struct conn_list conns;	 /* every open connection */
	unsigned n_conns;
	struct uid_conns *uid_conns; /* conn.c: open connections per uid */
	size_t n_uid_conns;	 /* entries in use (uids with connections) */
	time_t started;
	unsigned long next_conn_id;
	unsigned long reqs_in_flight; /* struct req alive, all connections */
	unsigned long reqs_served;    /* requests answered since start */
	bool stopping;		 /* SIGTERM seen: draining */
};

/* conn.c calls this when a connection is gone (n_conns already lower). */
void server_conn_gone(struct server *srv);

#endif /* DYNTABLED_H */
