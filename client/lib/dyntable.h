/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: a thin client for dyntabled, the DynamoDB table-operations
 * daemon. See libdyntable(3) (man/libdyntable.3.in) and proto/PROTOCOL.md.
 *
 * Two ways to use one context:
 *
 *  - asynchronous: attach the context to your event loop with an adapter
 *    (dyntable_libevent.h, dyntable_poll.h, or your own hooks), then call
 *    dyntable_create_table() & co. with a callback. Each callback fires
 *    exactly once: with the answer, or with an error when the connection
 *    is lost or the context is freed; never from inside the call that
 *    made the request (which sends it at once when the socket takes it).
 *    The result, and everything it points to (dyntable_table_json()'s
 *    string too), is valid only during the callback.
 *
 *  - blocking: call dyntable_sync_create_table() & co. on a context that is
 *    not attached to a loop. Each returns a result you own and free with
 *    dyntable_result_free(). The sync calls run the same code as the async
 *    ones on a private poll() loop.
 *
 * This header uses no libevent, msgpack, curl or OpenSSL types. A context
 * is not thread-safe; use one per thread.
 */
#ifndef DYNTABLE_H
#define DYNTABLE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DYNTABLE_BUILDING) && defined(__GNUC__)
#define DYNTABLE_API __attribute__((visibility("default")))
#else
#define DYNTABLE_API
#endif

#define DYNTABLE_VERSION_MAJOR 0
#define DYNTABLE_VERSION_MINOR 2
#define DYNTABLE_VERSION_PATCH 0
#define DYNTABLE_VERSION_STRING "0.2.0"

/* Where dyntabled listens unless DYNTABLE_SOCKET or an argument says. */
#define DYNTABLE_DEFAULT_SOCKET "/run/dyntabled/dyntabled.sock"

/* The library's version, e.g. "0.2.0" (may differ from the header's). */
DYNTABLE_API const char *dyntable_version(void);

/*
 * Error classes. 1-13 are the daemon's codes (PROTOCOL.md §4) and keep
 * their numbers; 100 and up arise in the client.
 */
typedef enum dyntable_status {
	DYNTABLE_OK = 0,
	DYNTABLE_ERR_PROTOCOL = 1,     /* malformed frame or message */
	DYNTABLE_ERR_VERSION = 2,      /* incompatible protocol version */
	DYNTABLE_ERR_INVALID = 3,      /* bad arguments or table definition */
	DYNTABLE_ERR_NOT_FOUND = 4,    /* ResourceNotFoundException */
	DYNTABLE_ERR_IN_USE = 5,       /* ResourceInUseException */
	DYNTABLE_ERR_TIMEOUT = 6,      /* a wait's deadline passed */
	DYNTABLE_ERR_AWS = 7,	       /* other DynamoDB error, see aws_type */
	DYNTABLE_ERR_UPSTREAM = 8,     /* DynamoDB unreachable */
	DYNTABLE_ERR_CREDENTIALS = 9,  /* the daemon has no valid credentials */
	DYNTABLE_ERR_LIMIT = 10,       /* a daemon limit was hit */
	DYNTABLE_ERR_SHUTDOWN = 11,    /* the daemon is stopping */
	DYNTABLE_ERR_DENIED = 12,      /* not allowed for this peer */
	DYNTABLE_ERR_INTERNAL = 13,    /* the daemon failed */
	DYNTABLE_ERR_IO = 100,	       /* socket error; see the message */
	DYNTABLE_ERR_DISCONNECTED = 101, /* connection closed, or ctx freed */
	DYNTABLE_ERR_NOMEM = 102,      /* out of memory in the client */
	DYNTABLE_ERR_USAGE = 103,      /* API misuse, e.g. sync on a loop */
} dyntable_status;

/* Stable upper-case name of a status, e.g. "NOT_FOUND". */
DYNTABLE_API const char *dyntable_status_name(dyntable_status st);

/* Key attribute types. */
typedef enum dyntable_type {
	DYNTABLE_S = 'S', /* string */
	DYNTABLE_N = 'N', /* number */
	DYNTABLE_B = 'B', /* binary */
} dyntable_type;

/* A key attribute: name and type. A NULL name means "none". */
typedef struct dyntable_attr {
	const char *name;
	dyntable_type type;
} dyntable_attr;

typedef enum dyntable_billing {
	DYNTABLE_PAY_PER_REQUEST = 0, /* on demand; the default */
	DYNTABLE_PROVISIONED = 1,
} dyntable_billing;

typedef enum dyntable_projection {
	DYNTABLE_PROJECTION_ALL = 0,	/* every attribute; the default */
	DYNTABLE_PROJECTION_KEYS_ONLY,
	DYNTABLE_PROJECTION_INCLUDE,	/* keys plus non_key_attributes */
} dyntable_projection;

typedef enum dyntable_table_class {
	DYNTABLE_TABLE_CLASS_DEFAULT = 0, /* not sent: DynamoDB's STANDARD */
	DYNTABLE_TABLE_CLASS_STANDARD,
	DYNTABLE_TABLE_CLASS_STANDARD_INFREQUENT_ACCESS,
} dyntable_table_class;

/* Who manages the key that encrypts the table at rest. */
typedef enum dyntable_encryption {
	DYNTABLE_ENCRYPTION_AWS_OWNED = 0, /* the default, free */
	DYNTABLE_ENCRYPTION_AWS_MANAGED,   /* alias/aws/dynamodb in KMS */
	DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED, /* needs kms_key_id */
} dyntable_encryption;

typedef enum dyntable_stream {
	DYNTABLE_STREAM_NONE = 0,
	DYNTABLE_STREAM_NEW_IMAGE,
	DYNTABLE_STREAM_OLD_IMAGE,
	DYNTABLE_STREAM_NEW_AND_OLD_IMAGES,
	DYNTABLE_STREAM_KEYS_ONLY,
} dyntable_stream;

typedef struct dyntable_tag {
	const char *key;   /* 1-128 characters */
	const char *value; /* 0-256 characters; NULL means "" */
} dyntable_tag;

/*
 * The create-time settings of the spec's create_table other than the
 * schema, shared by hand-written definitions and models. Zero means the
 * spec's default everywhere.
 */
typedef struct dyntable_table_options {
	dyntable_billing billing_mode;	 /* default PAY_PER_REQUEST */
	long long read_capacity;	 /* PROVISIONED only; 0 means 5 */
	long long write_capacity;	 /* PROVISIONED only; 0 means 5 */
	dyntable_table_class table_class;
	dyntable_encryption encryption;
	const char *kms_key_id;		 /* CUSTOMER_MANAGED only: key id,
					    key ARN, alias or alias ARN */
	dyntable_stream stream;
	bool deletion_protection;
	const dyntable_tag *tags;
	size_t n_tags;
	/* The table belongs to the connection's session: the daemon deletes
	 * it once the session has had no connection for its grace period
	 * (dyntabled --ephemeral-grace, 10 s by default). See
	 * dyntable_connect_opts() and PROTOCOL.md, hello. */
	bool ephemeral;
} dyntable_table_options;

#define DYNTABLE_INDEX_KEYS_MAX 4 /* attributes per GSI partition/sort key */

/* A global secondary index of a hand-written definition. */
typedef struct dyntable_gsi_def {
	const char *name;
	/* 1-4 attributes, then 0-4; a NULL name ends each list early. */
	dyntable_attr partition_keys[DYNTABLE_INDEX_KEYS_MAX];
	dyntable_attr sort_keys[DYNTABLE_INDEX_KEYS_MAX];
	dyntable_projection projection;
	const char *const *non_key_attributes; /* INCLUDE only */
	size_t n_non_key_attributes;
	long long read_capacity;  /* PROVISIONED only; 0: the table's */
	long long write_capacity; /* PROVISIONED only; 0: the table's */
} dyntable_gsi_def;

/* A local secondary index: the table's partition key, its own sort key. */
typedef struct dyntable_lsi_def {
	const char *name;
	dyntable_attr sort_key;
	dyntable_projection projection;
	const char *const *non_key_attributes; /* INCLUDE only */
	size_t n_non_key_attributes;
} dyntable_lsi_def;

/*
 * What create_table makes. Zero-initialise, then fill in: unset fields
 * take the spec's defaults. AttributeDefinitions are derived from the
 * keys of the table and its indexes. Everything is copied before the call
 * returns.
 */
typedef struct dyntable_table_def {
	const char *name;	       /* required */
	dyntable_attr partition_key;   /* required */
	dyntable_attr sort_key;	       /* optional: name NULL for none */
	const dyntable_gsi_def *gsis;  /* up to 20 */
	size_t n_gsis;
	const dyntable_lsi_def *lsis;  /* up to 5; need a sort key */
	size_t n_lsis;
	dyntable_table_options options;
} dyntable_table_def;

/* ---- models: name each key once, derive the definition ----------------- */

#define DYNTABLE_MODEL_PARTITION_KEY 0x1 /* dyntable_model_attr.flags */
#define DYNTABLE_MODEL_SORT_KEY	     0x2

/* An attribute of a model. Only key attributes need a type of S, N or B;
 * others may be listed for documentation and are never sent. */
typedef struct dyntable_model_attr {
	const char *name;    /* the attribute's name in DynamoDB */
	dyntable_type type;
	unsigned flags;	     /* DYNTABLE_MODEL_PARTITION_KEY / _SORT_KEY */
} dyntable_model_attr;

/* An index of a model; keys are attribute names declared in the model. */
typedef struct dyntable_model_index {
	const char *name;
	bool local;	     /* LSI: the table's partition key + sort_keys[0] */
	const char *partition_keys[DYNTABLE_INDEX_KEYS_MAX]; /* GSI: 1-4 */
	const char *sort_keys[DYNTABLE_INDEX_KEYS_MAX]; /* GSI 0-4, LSI 1 */
	dyntable_projection projection;
	const char *const *non_key_attributes; /* INCLUDE only */
	size_t n_non_key_attributes;
	long long read_capacity;  /* GSI under PROVISIONED; 0: the table's */
	long long write_capacity;
} dyntable_model_index;

/* A table described once: its attributes, keys and indexes. */
typedef struct dyntable_model {
	const char *table_name;
	const dyntable_model_attr *attrs;
	size_t n_attrs;
	const dyntable_model_index *indexes;
	size_t n_indexes;
} dyntable_model;

/*
 * The CreateTableInput JSON (as `aws dynamodb create-table
 * --cli-input-json` takes it) that a definition or a model stands for.
 * On success *json is a malloc'd string the caller frees with free().
 * On failure returns DYNTABLE_ERR_INVALID (or NOMEM) with a message
 * naming the field in err (errlen bytes).
 */
DYNTABLE_API dyntable_status dyntable_table_def_json(
    const dyntable_table_def *def, char **json, char *err, size_t errlen);
DYNTABLE_API dyntable_status dyntable_model_json(const dyntable_model *m,
    const dyntable_table_options *opts, char **json, char *err,
    size_t errlen);

/*
 * A model from the JSON text of a model file (docs/MODEL.md), as
 * `dyntablectl create --model` reads it. table_name, when not NULL,
 * replaces the file's "table" (it is not copied: it must outlive the
 * model); a file without one then needs it. On success *m is a new model
 * the caller frees with dyntable_model_free(); everything else it points
 * to belongs to it. Only the file's shape is checked here; the model's
 * own rules where it is used (dyntable_model_json() & co.). On failure
 * returns DYNTABLE_ERR_INVALID (or NOMEM) with *m NULL and, in err
 * (errlen bytes; may be NULL), "line L, column C: ..." for text that is
 * not JSON, exactly "table: required" for a model that names no table,
 * else the member and what is wrong, e.g. "indexes[0].type: required,
 * \"global\" or \"local\"".
 */
DYNTABLE_API dyntable_status dyntable_model_from_json(const char *json,
    const char *table_name, dyntable_model **m, char *err, size_t errlen);
/* Frees a model from dyntable_model_from_json(). NULL is fine. */
DYNTABLE_API void dyntable_model_free(dyntable_model *m);

/* How to wait. NULL where a dyntable_wait_opts pointer is taken: no wait. */
typedef struct dyntable_wait_opts {
	unsigned timeout_ms; /* 0: the daemon's default, 60 s */
	bool table_only;     /* ACTIVE: the table's status alone, not its
				global secondary indexes' too */
} dyntable_wait_opts;

/* A secondary index as DescribeTable reports it. */
typedef struct dyntable_index {
	const char *name;
	const char *status;	 /* GSI IndexStatus; NULL for an LSI */
	const char *projection;	 /* ALL, KEYS_ONLY or INCLUDE */
	dyntable_attr partition_key; /* the first partition key attribute */
	dyntable_attr sort_key;	     /* the first sort key attribute, or none */
} dyntable_index;

/*
 * A table as DescribeTable reports it: the common fields, parsed; the
 * whole TableDescription, for everything else, from dyntable_table_json().
 * Strings are NULL where DynamoDB reported nothing.
 */
typedef struct dyntable_table {
	const char *name;
	const char *status;	    /* TableStatus, e.g. "ACTIVE" */
	const char *arn;
	const char *billing_mode;   /* "PAY_PER_REQUEST" or "PROVISIONED" */
	const char *table_class;    /* NULL when not reported (STANDARD) */
	dyntable_attr partition_key;
	dyntable_attr sort_key;	    /* name NULL when the table has none */
	long long read_capacity;    /* 0 when not provisioned */
	long long write_capacity;
	long long item_count;
	long long size_bytes;
	double creation_time;	    /* seconds since the epoch */
	bool deletion_protection;
	const char *stream_view_type; /* NULL when the table has no stream */
	const char *sse_status;	    /* SSEDescription; NULL: AWS owned key */
	const char *sse_type;
	const char *kms_key_arn;
	size_t n_gsi;
	const dyntable_index *gsi;
	size_t n_lsi;
	const dyntable_index *lsi;
} dyntable_table;

/*
 * The complete TableDescription of t (a result's table, not a copy of
 * it) as compact JSON. Built on the first call, which returns the same
 * string as every later one; it belongs to the result and goes with it.
 * NULL when out of memory. Not safe to call from two threads at once on
 * the same result (the first call stores the string in it).
 */
DYNTABLE_API const char *dyntable_table_json(const dyntable_table *t);

/* Which request a result answers. */
typedef enum dyntable_op {
	DYNTABLE_OP_CREATE_TABLE = 1,
	DYNTABLE_OP_DESCRIBE_TABLE,
	DYNTABLE_OP_TABLE_EXISTS,
	DYNTABLE_OP_LIST_TABLES,
	DYNTABLE_OP_DELETE_TABLE,
	DYNTABLE_OP_WAIT_TABLE_ACTIVE,
	DYNTABLE_OP_WAIT_TABLE_DELETED,
	DYNTABLE_OP_REAP,
	DYNTABLE_OP_STATUS,
	DYNTABLE_OP_METRICS,
	DYNTABLE_OP_TRUNCATE_TABLE,
	DYNTABLE_OP_LEASE_TABLE,
	DYNTABLE_OP_RELEASE_TABLE,
	DYNTABLE_OP_POOLS,
	DYNTABLE_OP_UPDATE_TABLE,
	DYNTABLE_OP_UPDATE_TIME_TO_LIVE,
	DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE,
	DYNTABLE_OP_TAG_RESOURCE,
	DYNTABLE_OP_UNTAG_RESOURCE,
	DYNTABLE_OP_LIST_TAGS_OF_RESOURCE,
	DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS,
	DYNTABLE_OP_DESCRIBE_CONTINUOUS_BACKUPS,
} dyntable_op;

/* The answer to one request. */
typedef struct dyntable_result {
	dyntable_op op;
	dyntable_status status;	 /* DYNTABLE_OK, or the error class */
	const char *message;	 /* error text; NULL on success */
	const char *aws_type;	 /* DynamoDB error type, or NULL */
	const dyntable_table *table; /* create, describe, delete, wait active */
	bool exists;		 /* table_exists */
	const char *table_status; /* table_exists: TableStatus when it exists */
	size_t n_tables;	 /* list_tables; reap: the tables deleted */
	const char *const *tables;
	unsigned reap_checked;	 /* reap: tables whose tags were read */
	unsigned reap_errors;	 /* reap: tables it could not check or
				    delete (the daemon's log says why) */
	const char *status_json; /* status: the daemon's state, a compact
				    JSON object (PROTOCOL.md, status) */
	const char *metrics_text; /* metrics: OpenMetrics text, ending
				     "# EOF\n" (PROTOCOL.md, metrics) */
	unsigned long long deleted;    /* truncate_table: items deleted */
	unsigned long long elapsed_ms; /* truncate_table: its time, in the
					  daemon */
	const char *leased;	 /* lease_table: DynamoDB's name of the table
				    leased (the one its items go to), also
				    in table; release_table: the table
				    released */
	const char *pool;	 /* lease_table: its pool */
	bool fresh;		 /* lease_table: created for this lease, not
				    taken ready from the pool */
	const char *pools_json;	 /* pools: the daemon's pools, a compact
				    JSON object (PROTOCOL.md, pools) */
	const char *json;	 /* compact JSON in DynamoDB's shapes:
				    describe_time_to_live the
				    TimeToLiveDescription, update_time_to_live
				    the TimeToLiveSpecification,
				    list_tags_of_resource the Tags list, the
				    continuous backups' the
				    ContinuousBackupsDescription; else NULL */
} dyntable_result;

/* Frees a result returned by a dyntable_sync_* call. NULL is fine. */
DYNTABLE_API void dyntable_result_free(dyntable_result *r);

/* ---- contexts ---------------------------------------------------------- */

typedef struct dyntable_ctx dyntable_ctx;

/*
 * Connects to the daemon and performs the version handshake, blocking for
 * at most 5 seconds. path: the socket; NULL means $DYNTABLE_SOCKET, else
 * DYNTABLE_DEFAULT_SOCKET. Returns a context even on failure (check
 * dyntable_errcode()); NULL only when out of memory.
 */
DYNTABLE_API dyntable_ctx *dyntable_connect(const char *path);

/*
 * What dyntable_connect_opts() connects with. Zero-initialise; a NULL
 * field takes the environment's value, "" means none.
 */
typedef struct dyntable_connect_options {
	const char *path;    /* NULL: $DYNTABLE_SOCKET, else the default */
	/* Namespace (e.g. a CI job id; 1-64 of [a-zA-Z0-9_-]): the
	 * connection's table "x" is DynamoDB's "<ns>.x", and list_tables
	 * shows the namespace's tables. NULL: $DYNTABLE_NAMESPACE. */
	const char *ns;
	/* A session token from dyntable_session() to join that session and
	 * keep its ephemeral tables. NULL: $DYNTABLE_SESSION. */
	const char *session;
} dyntable_connect_options;

/* dyntable_connect() with options; dyntable_connect(path) is this with
 * only path set (so it also reads DYNTABLE_NAMESPACE and
 * DYNTABLE_SESSION). NULL o: every default. */
DYNTABLE_API dyntable_ctx *dyntable_connect_opts(
    const dyntable_connect_options *o);
/* The connection's session token (32 hex digits), NULL before a
 * successful handshake. A capability: whoever has it keeps the session's
 * ephemeral tables alive. */
DYNTABLE_API const char *dyntable_session(const dyntable_ctx *c);
/* True when the handshake joined the session asked for (options or
 * $DYNTABLE_SESSION); false when it started a new one. */
DYNTABLE_API bool dyntable_session_resumed(const dyntable_ctx *c);
/* The connection's namespace, "" when none. */
DYNTABLE_API const char *dyntable_namespace(const dyntable_ctx *c);

/*
 * Closes the connection. Callbacks still pending fire with
 * DYNTABLE_ERR_DISCONNECTED before this returns. Called from inside a
 * callback, the free is deferred until the callback returns.
 */
DYNTABLE_API void dyntable_free(dyntable_ctx *c);

/* The context's error: DYNTABLE_OK while the connection is usable. */
DYNTABLE_API dyntable_status dyntable_errcode(const dyntable_ctx *c);
DYNTABLE_API const char *dyntable_errstr(const dyntable_ctx *c);
/* The daemon's version string from the handshake, e.g. "dyntabled 0.2.0". */
DYNTABLE_API const char *dyntable_server(const dyntable_ctx *c);
/* The socket's file descriptor, for adapters; -1 when not connected. */
DYNTABLE_API int dyntable_fd(const dyntable_ctx *c);

/* ---- event-loop hooks (hiredis style) ---------------------------------- */

/*
 * An adapter tells the library how to watch its fd. The library calls
 * add_read once attached; add_write when it has bytes to send that the
 * socket did not take at once (a request is sent from the call that makes
 * it when it can be) and del_write when it has sent them; cleanup when
 * the context goes away.
 * The loop calls dyntable_handle_read/write when the fd is ready.
 */
typedef struct dyntable_hooks {
	void *data; /* passed to every hook */
	void (*add_read)(void *data);
	void (*del_read)(void *data);
	void (*add_write)(void *data);
	void (*del_write)(void *data);
	void (*cleanup)(void *data);
} dyntable_hooks;

/* Attaches hooks; fails (DYNTABLE_ERR_USAGE) if already attached. */
DYNTABLE_API dyntable_status dyntable_attach(dyntable_ctx *c,
    const dyntable_hooks *hooks);
DYNTABLE_API void dyntable_handle_read(dyntable_ctx *c);
DYNTABLE_API void dyntable_handle_write(dyntable_ctx *c);
/* The attached hooks' data pointer, NULL when none: for adapters. */
DYNTABLE_API void *dyntable_hooks_data(const dyntable_ctx *c);

/* ---- asynchronous API -------------------------------------------------- */

/* Fires exactly once per request. r is valid only during the call. */
typedef void dyntable_cb(dyntable_ctx *c, const dyntable_result *r,
    void *privdata);

/*
 * Each returns DYNTABLE_OK once the request is queued; otherwise the error
 * (a bad argument is DYNTABLE_ERR_INVALID, a dead context its error) and
 * the callback will not fire.
 */
DYNTABLE_API dyntable_status dyntable_create_table(dyntable_ctx *c,
    const dyntable_table_def *def, const dyntable_wait_opts *wait,
    dyntable_cb *cb, void *privdata);
/* Creates from a CreateTableInput JSON document (the --cli-input-json
 * shape), checked by the daemon like any other definition. */
DYNTABLE_API dyntable_status dyntable_create_table_json(dyntable_ctx *c,
    const char *create_table_input, const dyntable_wait_opts *wait,
    dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_describe_table(dyntable_ctx *c,
    const char *name, dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_table_exists(dyntable_ctx *c,
    const char *name, dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_list_tables(dyntable_ctx *c,
    dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_delete_table(dyntable_ctx *c,
    const char *name, const dyntable_wait_opts *wait, dyntable_cb *cb,
    void *privdata);
DYNTABLE_API dyntable_status dyntable_wait_for_table_active(dyntable_ctx *c,
    const char *name, unsigned timeout_ms, dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_wait_for_table_deleted(dyntable_ctx *c,
    const char *name, unsigned timeout_ms, dyntable_cb *cb, void *privdata);
/* wait_for_table_active with options (table_only); NULL w: defaults. */
DYNTABLE_API dyntable_status dyntable_wait_for_table_active_opts(
    dyntable_ctx *c, const char *name, const dyntable_wait_opts *w,
    dyntable_cb *cb, void *privdata);
/* list_tables across every namespace, with DynamoDB's names. */
DYNTABLE_API dyntable_status dyntable_list_all_tables(dyntable_ctx *c,
    dyntable_cb *cb, void *privdata);
/* Deletes every table whose dyntable:expires tag has passed, except the
 * daemon's own ephemeral tables (an administrator's verb: it acts on the
 * whole account). The result's tables are those deleted. */
/* The daemon's state: counters, credentials' source and expiry (no
 * secret). An admin verb: root, the daemon's user, [access] admins. */
DYNTABLE_API dyntable_status dyntable_daemon_status(dyntable_ctx *c,
    dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_reap(dyntable_ctx *c, dyntable_cb *cb,
    void *privdata);
/* The daemon's metrics as OpenMetrics text (result's metrics_text), as
 * --metrics-listen serves them. An admin verb, like status. */
DYNTABLE_API dyntable_status dyntable_daemon_metrics(dyntable_ctx *c,
    dyntable_cb *cb, void *privdata);

/* The spec's Model methods: the table a model describes. opts NULL means
 * every default. */
DYNTABLE_API dyntable_status dyntable_model_create_table(dyntable_ctx *c,
    const dyntable_model *m, const dyntable_table_options *opts,
    const dyntable_wait_opts *wait, dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_model_table_exists(dyntable_ctx *c,
    const dyntable_model *m, dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_model_delete_table(dyntable_ctx *c,
    const dyntable_model *m, const dyntable_wait_opts *wait,
    dyntable_cb *cb, void *privdata);
/* Deletes every item of a table and keeps the table (protocol 1.2); the
 * result's deleted and elapsed_ms say how many and how long. Items
 * written meanwhile may survive. A table with deletion protection is
 * refused (DYNTABLE_ERR_INVALID) unless force. */
DYNTABLE_API dyntable_status dyntable_truncate_table(dyntable_ctx *c,
    const char *name, bool force, dyntable_cb *cb, void *privdata);
/*
 * Leases an ACTIVE, empty table of a definition from the daemon's pool
 * of it (protocol 1.2): at once when one is ready, else once one is
 * created (timeout_ms: how long to wait, 0 the daemon's default). The
 * definition's table name is ignored (NULL is fine): the result's leased
 * is the table's name, to use for its items. logical (NULL: none) names
 * it too, in the connection's namespace, for every request until it is
 * released: dyntable_release_table(), deleting it, or the end of the
 * connection's session.
 */
DYNTABLE_API dyntable_status dyntable_lease_table(dyntable_ctx *c,
    const dyntable_table_def *def, const char *logical,
    unsigned timeout_ms, dyntable_cb *cb, void *privdata);
/* Leases from a CreateTableInput JSON document (TableName ignored). */
DYNTABLE_API dyntable_status dyntable_lease_table_json(dyntable_ctx *c,
    const char *create_table_input, const char *logical,
    unsigned timeout_ms, dyntable_cb *cb, void *privdata);
/* Leases the table a model describes. */
DYNTABLE_API dyntable_status dyntable_model_lease_table(dyntable_ctx *c,
    const dyntable_model *m, const dyntable_table_options *opts,
    const char *logical, unsigned timeout_ms, dyntable_cb *cb,
    void *privdata);
/* Releases a leased table (its logical name or its own): the daemon
 * empties it and returns it to its pool. */
DYNTABLE_API dyntable_status dyntable_release_table(dyntable_ctx *c,
    const char *name, dyntable_cb *cb, void *privdata);
/* The daemon's pools: the result's pools_json. */
DYNTABLE_API dyntable_status dyntable_pools(dyntable_ctx *c,
    dyntable_cb *cb, void *privdata);

/* ---- after CreateTable (protocol 1.2; a 1.1 daemon answers INVALID) ---- */

/* Updates a table: update_table_input is an UpdateTableInput JSON
 * document (the --cli-input-json shape; its TableName, if any, must be
 * name), checked by the daemon. wait: answer once the table and its
 * GSIs are ACTIVE, the GSI created listed, the one deleted gone. The
 * result's table is the TableDescription. */
DYNTABLE_API dyntable_status dyntable_update_table_json(dyntable_ctx *c,
    const char *name, const char *update_table_input,
    const dyntable_wait_opts *wait, dyntable_cb *cb, void *privdata);
/* Enables (or disables) TTL on attribute. */
DYNTABLE_API dyntable_status dyntable_update_time_to_live(dyntable_ctx *c,
    const char *name, bool enabled, const char *attribute, dyntable_cb *cb,
    void *privdata);
DYNTABLE_API dyntable_status dyntable_describe_time_to_live(dyntable_ctx *c,
    const char *name, dyntable_cb *cb, void *privdata);
/* Tags the table (the daemon finds its ARN). */
DYNTABLE_API dyntable_status dyntable_tag_resource(dyntable_ctx *c,
    const char *name, const dyntable_tag *tags, size_t n_tags,
    dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_untag_resource(dyntable_ctx *c,
    const char *name, const char *const *keys, size_t n_keys,
    dyntable_cb *cb, void *privdata);
/* Every tag of the table, every page: the result's json. */
DYNTABLE_API dyntable_status dyntable_list_tags_of_resource(dyntable_ctx *c,
    const char *name, dyntable_cb *cb, void *privdata);
/* Point-in-time recovery on or off; recovery_period_days 1-35, 0 for
 * DynamoDB's default (35), only when enabling. */
DYNTABLE_API dyntable_status dyntable_update_continuous_backups(
    dyntable_ctx *c, const char *name, bool enabled,
    unsigned recovery_period_days, dyntable_cb *cb, void *privdata);
DYNTABLE_API dyntable_status dyntable_describe_continuous_backups(
    dyntable_ctx *c, const char *name, dyntable_cb *cb, void *privdata);

/* ---- apply: many tables, idempotent ------------------------------------ */

typedef struct dyntable_apply_opts {
	bool plan;	     /* describe only; send no mutation */
	bool prune;	     /* delete tables the file no longer lists: only
				those starting with the file's "prefix", or,
				without one, the connection's namespace's;
				never one with deletion protection on */
	bool wait;	     /* wait for created tables to be ACTIVE even when
				nothing follows their creation */
	unsigned timeout_ms; /* each wait; 0: the daemon's default */
} dyntable_apply_opts;

/*
 * Brings the tables of an apply file (JSON, docs/APPLY.md: each table a
 * CreateTableInput or a model, with its TTL, tags and point-in-time
 * recovery) to what it says: describes every table, creates the missing
 * ones in parallel (the daemon's mutation limit applies), converges the
 * others in place, one index change at a time, waiting between; what
 * cannot change in place (key schema, local indexes, an attribute's type,
 * a global index's keys) is drift: reported, never fixed by deleting.
 * Blocking, on a context not attached to a loop. On return *report (when
 * not NULL) is a malloc'd JSON document the caller frees: {"tables":
 * [{"table", "action", "changes", "drift", "steps", "done", "error"}],
 * "pruned", "kept", "drift": N, "errors": N, "plan": bool}. Returns
 * DYNTABLE_OK when every table could be described (and, unless plan,
 * converged); a bad file is DYNTABLE_ERR_INVALID with err; a table that
 * failed is counted in "errors" and the call returns DYNTABLE_ERR_AWS
 * (or that table's status); drift alone returns DYNTABLE_OK, with
 * "drift" > 0.
 */
DYNTABLE_API dyntable_status dyntable_apply(dyntable_ctx *c,
    const char *file_json, const dyntable_apply_opts *o, char **report,
    char *err, size_t errlen);

/*
 * Why the last call on c that returned an error without queuing a
 * request (a bad definition, a model that names an unknown attribute...)
 * failed; "" when none. Valid until the next call on c.
 */
DYNTABLE_API const char *dyntable_last_error(const dyntable_ctx *c);

/* ---- blocking API ------------------------------------------------------ */

/*
 * Each sends one request and blocks until its answer. Returns a result the
 * caller frees with dyntable_result_free(); NULL only when out of memory.
 * On a context attached to an event loop they return DYNTABLE_ERR_USAGE.
 */
DYNTABLE_API dyntable_result *dyntable_sync_create_table(dyntable_ctx *c,
    const dyntable_table_def *def, const dyntable_wait_opts *wait);
DYNTABLE_API dyntable_result *dyntable_sync_create_table_json(
    dyntable_ctx *c, const char *create_table_input,
    const dyntable_wait_opts *wait);
DYNTABLE_API dyntable_result *dyntable_sync_describe_table(dyntable_ctx *c,
    const char *name);
DYNTABLE_API dyntable_result *dyntable_sync_table_exists(dyntable_ctx *c,
    const char *name);
DYNTABLE_API dyntable_result *dyntable_sync_list_tables(dyntable_ctx *c);
DYNTABLE_API dyntable_result *dyntable_sync_delete_table(dyntable_ctx *c,
    const char *name, const dyntable_wait_opts *wait);
DYNTABLE_API dyntable_result *dyntable_sync_wait_for_table_active(
    dyntable_ctx *c, const char *name, unsigned timeout_ms);
DYNTABLE_API dyntable_result *dyntable_sync_wait_for_table_deleted(
    dyntable_ctx *c, const char *name, unsigned timeout_ms);
DYNTABLE_API dyntable_result *dyntable_sync_wait_for_table_active_opts(
    dyntable_ctx *c, const char *name, const dyntable_wait_opts *w);
DYNTABLE_API dyntable_result *dyntable_sync_list_all_tables(dyntable_ctx *c);
DYNTABLE_API dyntable_result *dyntable_sync_reap(dyntable_ctx *c);
DYNTABLE_API dyntable_result *dyntable_sync_daemon_status(dyntable_ctx *c);
DYNTABLE_API dyntable_result *dyntable_sync_daemon_metrics(dyntable_ctx *c);
DYNTABLE_API dyntable_result *dyntable_sync_model_create_table(
    dyntable_ctx *c, const dyntable_model *m,
    const dyntable_table_options *opts, const dyntable_wait_opts *wait);
DYNTABLE_API dyntable_result *dyntable_sync_model_table_exists(
    dyntable_ctx *c, const dyntable_model *m);
DYNTABLE_API dyntable_result *dyntable_sync_model_delete_table(
    dyntable_ctx *c, const dyntable_model *m,
    const dyntable_wait_opts *wait);
DYNTABLE_API dyntable_result *dyntable_sync_truncate_table(dyntable_ctx *c,
    const char *name, bool force);
DYNTABLE_API dyntable_result *dyntable_sync_lease_table(dyntable_ctx *c,
    const dyntable_table_def *def, const char *logical,
    unsigned timeout_ms);
DYNTABLE_API dyntable_result *dyntable_sync_lease_table_json(
    dyntable_ctx *c, const char *create_table_input, const char *logical,
    unsigned timeout_ms);
DYNTABLE_API dyntable_result *dyntable_sync_model_lease_table(
    dyntable_ctx *c, const dyntable_model *m,
    const dyntable_table_options *opts, const char *logical,
    unsigned timeout_ms);
DYNTABLE_API dyntable_result *dyntable_sync_release_table(dyntable_ctx *c,
    const char *name);
DYNTABLE_API dyntable_result *dyntable_sync_pools(dyntable_ctx *c);

DYNTABLE_API dyntable_result *dyntable_sync_update_table_json(
    dyntable_ctx *c, const char *name, const char *update_table_input,
    const dyntable_wait_opts *wait);
DYNTABLE_API dyntable_result *dyntable_sync_update_time_to_live(
    dyntable_ctx *c, const char *name, bool enabled, const char *attribute);
DYNTABLE_API dyntable_result *dyntable_sync_describe_time_to_live(
    dyntable_ctx *c, const char *name);
DYNTABLE_API dyntable_result *dyntable_sync_tag_resource(dyntable_ctx *c,
    const char *name, const dyntable_tag *tags, size_t n_tags);
DYNTABLE_API dyntable_result *dyntable_sync_untag_resource(dyntable_ctx *c,
    const char *name, const char *const *keys, size_t n_keys);
DYNTABLE_API dyntable_result *dyntable_sync_list_tags_of_resource(
    dyntable_ctx *c, const char *name);
DYNTABLE_API dyntable_result *dyntable_sync_update_continuous_backups(
    dyntable_ctx *c, const char *name, bool enabled,
    unsigned recovery_period_days);
DYNTABLE_API dyntable_result *dyntable_sync_describe_continuous_backups(
    dyntable_ctx *c, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* DYNTABLE_H */
