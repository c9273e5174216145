/*
 * dyntabled: internal API, one heading per source file.
 *
 * Ownership in one paragraph: the server (struct server, main.c) owns the
 * event base, the listener, every connection, the upstream pool, the
 * credentials and the wait registry. A connection owns its client
 * requests (struct req) until each is answered or the connection closes.
 * An upstream call (struct upcall) is owned by the upstream pool from
 * upstream_call() until its callback returns or upstream_cancel().
 */
#ifndef DYNTABLED_H
#define DYNTABLED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <jansson.h>

#include "dtp.h"

#define DYNTABLED_VERSION "0.1.0"

struct event_base;
struct server;
struct conn;
struct req;

/* ---- log.c ---------------------------------------------------------------- */

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(enum log_level level);
bool log_level_parse(const char *s, enum log_level *out);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- config.c ------------------------------------------------------------- */

/* Everything the command line and the environment decide. */
struct config {
	char *socket_path;	 /* where to listen */
	unsigned socket_mode;	 /* permission bits of the socket, 0660 */
	char *endpoint;		 /* DynamoDB endpoint URL, resolved */
	char *region;		 /* signing region, resolved */
	enum log_level log_level;
	uint32_t max_frame;	 /* largest request frame accepted */
	unsigned max_inflight;	 /* requests in flight per connection */
	unsigned max_clients;	 /* connections at once */
	unsigned wait_default_ms; /* wait timeout when the client gives none */
	unsigned wait_max_ms;	 /* cap on a client's wait timeout */
	unsigned poll_min_ms;	 /* first DescribeTable delay of a poller */
	unsigned poll_max_ms;	 /* cap of a poller's backoff */
	unsigned http_timeout_ms; /* one HTTP attempt, connect included */
	unsigned max_attempts;	 /* HTTP attempts per DynamoDB call */
	unsigned max_connections; /* keep-alive connections to the endpoint */
};

/*
 * Parses argv and the environment into cfg (zeroed first). Returns 0, 1
 * when --help or --version was printed, or -1 after printing a usage
 * error to stderr.
 */
int config_load(struct config *cfg, int argc, char **argv);
void config_free(struct config *cfg);
/* True if the URL's host is a loopback address or "localhost". */
bool config_is_loopback_url(const char *url);

/* ---- sigv4.c: AWS Signature Version 4, pure ------------------------------- */

typedef struct sigv4_header {
	const char *name;
	const char *value;
} sigv4_header;

#define SIGV4_NORMALIZE_PATH 0x1 /* drop . and .. segments, merge slashes */
#define SIGV4_SIGN_BODY	     0x2 /* add and sign x-amz-content-sha256 */
#define SIGV4_OMIT_TOKEN     0x4 /* session token sent, but not signed */

typedef struct sigv4_request {
	const char *method;	      /* "POST" */
	const char *path;	      /* raw path, e.g. "/" */
	const char *query;	      /* raw query without '?', or NULL */
	const sigv4_header *headers;  /* as sent; must include Host; must not
				       * include X-Amz-Date (the signer adds it) */
	size_t n_headers;
	const void *body;
	size_t body_len;
	const char *region;	      /* "us-east-1" */
	const char *service;	      /* "dynamodb" */
	time_t now;		      /* signing time, UTC */
	unsigned flags;		      /* SIGV4_* */
} sigv4_request;

typedef struct sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL for long-term keys */
} sigv4_key;

typedef struct sigv4_result {
	char amz_date[17];	   /* X-Amz-Date value, "YYYYMMDDTHHMMSSZ" */
	char signature[65];	   /* lower-case hex */
	char content_sha256[65];   /* hex SHA-256 of the body */
	char *authorization;	   /* Authorization header value (malloc'd) */
	char *canonical_request;   /* malloc'd; for tests and debug logs */
	char *string_to_sign;	   /* malloc'd */
} sigv4_result;

/*
 * Signs req with key. The caller then sends X-Amz-Date: amz_date,
 * Authorization: authorization, X-Amz-Security-Token when the key has a
 * token, and x-amz-content-sha256 with SIGV4_SIGN_BODY. Returns 0, or -1
 * on a malformed request or out of memory (res is then empty). Free res
 * with sigv4_result_free() in both cases.
 */
int sigv4_sign(const sigv4_request *req, const sigv4_key *key,
    sigv4_result *res);
void sigv4_result_free(sigv4_result *res);

/* ---- creds.c: credentials, kept behind a signing API ---------------------- */

struct creds;

/* Resolves credentials from the environment and the shared credentials
 * file. Never NULL (out of memory aborts start-up in main). */
struct creds *creds_new(void);
void creds_free(struct creds *cr); /* wipes the secrets */
/* Resolves again (SIGHUP); keeps the current keys when nothing is found.
 * Calls in flight keep their signatures; new attempts use the new keys. */
int creds_reload(struct creds *cr);
/* True when usable credentials are loaded and not expired. */
bool creds_valid(const struct creds *cr);
/* Where they came from, e.g. "environment" (no secret in it). */
const char *creds_source(const struct creds *cr);
/* Signs with the current keys; -1 when there are none (see creds_valid). */
int creds_sign(const struct creds *cr, const sigv4_request *req,
    sigv4_result *res);
/* The session token to send with a signed request, or NULL. */
const char *creds_session_token(const struct creds *cr);

/* ---- retry.c: the AWS standard retry policy, pure ------------------------- */

enum retry_class {
	RETRY_NO = 0,	  /* success, or an error not worth retrying */
	RETRY_TRANSIENT,  /* 5xx, timeouts, connection errors */
	RETRY_THROTTLING, /* ThrottlingException, LimitExceededException, ... */
};

/* Classifies one attempt: transport failed (curl error), else HTTP status
 * and DynamoDB error type (may be NULL). */
enum retry_class retry_classify(bool transport_failed, long http_status,
    const char *aws_type);
/* Full-jitter backoff before retry number `retry` (0-based), in ms:
 * rand01 * min(base_ms * 2^retry, cap_ms). rand01 in [0,1). */
unsigned retry_backoff_ms(unsigned retry, unsigned base_ms, unsigned cap_ms,
    double rand01);

/* The retry quota (token bucket) of the standard mode. */
struct retry_bucket {
	unsigned capacity; /* 500 when full */
	unsigned max;
};
void retry_bucket_init(struct retry_bucket *b);
/* Takes the cost of a retry (5, or 10 for a transient error); false when
 * the bucket is too low and the error must be returned instead. */
bool retry_bucket_take(struct retry_bucket *b, enum retry_class cls,
    unsigned *taken);
/* After a success: refund `taken` (the last retry's cost), or 1 if none. */
void retry_bucket_refund(struct retry_bucket *b, unsigned taken);

/* ---- upstream.c: the HTTPS pool to DynamoDB (libcurl multi on libevent) --- */

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

/*
 * Sends "DynamoDB_20120810.<operation>" with body (JSON text, copied),
 * signing every attempt afresh and retrying by the standard policy. cb
 * fires exactly once, from the event loop, never from inside this call,
 * unless upstream_cancel() is called first. Returns NULL when out of
 * memory (cb will not fire).
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

/* ---- ddb.c: DynamoDB documents, pure -------------------------------------- */

/*
 * Validates a CreateTableInput (PROTOCOL.md §6) and completes it in place
 * (explicit BillingMode). Returns 0, or -1 with a message naming the
 * field in err.
 */
int ddb_check_create(json_t *input, char *err, size_t errlen);
/* True when TableStatus and every GSI IndexStatus are ACTIVE. */
bool ddb_table_active(const json_t *desc);
/* desc's TableStatus, or NULL. */
const char *ddb_table_status(const json_t *desc);
/* Maps a DynamoDB error type to a protocol error code. */
dtp_err ddb_error_code(const char *aws_type);
/* Checks a table name: 3-255 characters of [a-zA-Z0-9_.-]. */
bool ddb_valid_name(const char *name, size_t len);

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

/* Takes an accepted, non-blocking fd. Returns NULL (fd closed) on error. */
struct conn *conn_new(struct server *srv, int fd);
/* Closes the connection: drops its requests (waits stop, upstream calls
 * cancelled), frees it. */
void conn_close(struct conn *c, const char *why);
/* Daemon stopping: answers every request of every connection with
 * SHUTDOWN, stops reading, and closes each once its replies are written. */
void conn_shutdown_all(struct server *srv);
/* Closes every connection at once (exit). */
void conn_close_all(struct server *srv);

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
	json_t *acc;		/* op state: list pages so far, the
				 * DeleteTable description; owned */
	TAILQ_ENTRY(req) entry; /* in conn's list */
};

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

/* ---- wait.c: waits on daemon timers, one poller per table and goal -------- */

enum wait_goal { WAIT_ACTIVE, WAIT_DELETED };

struct waits;
struct waiter;

struct waits *waits_new(struct server *srv);
/* Answers every waiter with SHUTDOWN, stops every poller, frees. */
void waits_free(struct waits *w);
/* Starts waiting on r->table for goal, deadline r->timeout_ms from now.
 * Answers r when the goal holds, the deadline passes or an error ends it. */
void wait_start(struct waits *w, struct req *r, enum wait_goal goal);
/* Removes r's waiter without answering (client gone). */
void wait_cancel(struct waiter *wt);

struct wait_stats {
	unsigned waiters;
	unsigned pollers;
	unsigned long polls; /* DescribeTable calls made by pollers */
};
void waits_get_stats(const struct waits *w, struct wait_stats *st);

/* ---- main.c: the server --------------------------------------------------- */

TAILQ_HEAD(conn_list, conn);

struct server {
	struct event_base *base;
	struct config cfg;
	struct creds *creds;
	struct upstream *up;
	struct listener *listener;
	struct waits *waits;
	struct conn_list conns;	 /* every open connection */
	unsigned n_conns;
	time_t started;
	unsigned long next_conn_id;
	bool stopping;		 /* SIGTERM seen: draining */
};

/* conn.c calls this when a connection is gone (n_conns already lower). */
void server_conn_gone(struct server *srv);

#endif /* DYNTABLED_H */
