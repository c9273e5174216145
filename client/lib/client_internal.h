/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: internal API, one heading per source file. Not installed.
 *
 * Ownership in one paragraph: a context owns its socket, its write and
 * read buffers and every pending request (struct dtc_req) from the
 * moment dtc_submit() accepts it until its callback has returned. A
 * result is owned by the library during an async callback and freed right
 * after it; an internal "take" function (the sync API) receives a result
 * it then owns.
 *
 * Internal names carry the dtc_ prefix so that the static library does
 * not clash with its users' symbols; none of them is exported from the
 * shared library (hidden visibility).
 */
#ifndef DYNTABLE_CLIENT_INTERNAL_H
#define DYNTABLE_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dtp.h"
#include "dyntable.h"

/* The handshake, an op the public enum does not name. */
#define DTC_OP_HELLO ((dyntable_op)0)

#define DTC_HANDSHAKE_MS 5000 /* connect + hello, in total */
#define DTC_NAME_MAX	 255  /* table and attribute names, in bytes */
#define DTC_ERRSTR_LEN	 256
#define DTC_LASTERR_LEN	 512  /* dyntable_last_error(): names two fields */

/* Where a request's table comes from. */
typedef enum dtc_src {
	DTC_SRC_DEF = 0, /* create_table: a dyntable_table_def */
	DTC_SRC_MODEL,	 /* create, exists, delete: a dyntable_model */
	DTC_SRC_INPUT,	 /* create_table: CreateTableInput JSON text */
} dtc_src;

/* The arguments of one request, as a public call gave them. */
typedef struct dtc_args {
	const char *name;	       /* table name (all but create, list,
					  hello); a model's table_name */
	dtc_src src;		       /* which of the next four is set */
	const dyntable_table_def *def; /* DTC_SRC_DEF */
	const dyntable_model *model;   /* DTC_SRC_MODEL */
	const dyntable_table_options *opts; /* with model; NULL: defaults */
	const char *input;	       /* DTC_SRC_INPUT; update_table's
					  UpdateTableInput */
	bool enabled;		       /* update_time_to_live, _backups */
	const char *attribute;	       /* update_time_to_live */
	unsigned days;		       /* update_continuous_backups */
	const dyntable_tag *tags;      /* tag_resource */
	const char *const *keys;       /* untag_resource */
	size_t n;		       /* tags or keys */
	bool wait;		       /* create/delete: answer when done */
	unsigned timeout_ms;	       /* 0: the daemon's default */
	bool table_only;	       /* wait for ACTIVE: the table alone */
	bool all;		       /* list_tables: every namespace */
	bool force;		       /* truncate_table: despite deletion
					  protection */
	const char *ns, *session;      /* hello: sent when not NULL */
} dtc_args;

/*
 * Receives the result of a request and takes ownership of it (free with
 * dyntable_result_free). r is NULL when the library ran out of memory.
 */
typedef void dtc_take_fn(dyntable_ctx *c, dyntable_result *r, void *privdata);

typedef struct dtc_req dtc_req;

/* A request in flight, or held back until the daemon's window opens. */
struct dtc_req {
	uint32_t id;	       /* unique among the pending requests */
	dyntable_op op;	       /* what it asks; DTC_OP_HELLO: handshake */
	dyntable_cb *cb;       /* user callback (async), or NULL */
	dtc_take_fn *take;     /* internal owner of the result, or NULL */
	void *privdata;	       /* passed to cb or take */
	char *frame;	       /* encoded frame while held; NULL once queued */
	size_t frame_len;      /* bytes in frame */
	dtc_req *hnext;	       /* next in the same hash bucket */
	dtc_req *prev, *next;  /* all pending requests, in issue order */
};

struct dyntable_ctx {
	int fd;			      /* the socket; -1 when not connected */
	dyntable_status err;	      /* DYNTABLE_OK while usable */
	char errstr[DTC_ERRSTR_LEN];  /* why err is set */
	char *path;		      /* the socket's path, for messages */
	char *server;		      /* daemon version from the handshake */
	uint32_t max_frame;	      /* daemon's frame limit; 0: unknown */
	uint32_t max_inflight;	      /* daemon's window; 0: unlimited */
	bool hello_done;	      /* the handshake succeeded */
	char *ns;		      /* namespace asked for, NULL: none */
	char *session_req;	      /* session token asked for, or NULL */
	char *session;		      /* the handshake's session token */
	bool resumed;		      /* ... is the one asked for */

	uint32_t next_id;	      /* next request id to try; never 0 */
	dtc_req **buckets;	      /* pending requests by id, chained */
	size_t nbuckets;	      /* a power of two, or 0 */
	size_t npending;	      /* requests in the table */
	dtc_req *head, *tail;	      /* pending requests in issue order */
	dtc_req *first_held;	      /* oldest unsent request; all after
					 it are held back too */
	uint32_t nsent;		      /* sent and not yet answered */

	char *wbuf;		      /* frames to send */
	size_t wcap, wlen, woff;      /* capacity, bytes, bytes sent */
	char *rbuf;		      /* bytes received, not yet decoded */
	size_t rcap, rlen, rpos;      /* capacity, bytes, parse position */

	dyntable_hooks hooks;	      /* the event loop's, when attached */
	bool attached;		      /* hooks are set */
	bool reading;		      /* add_read called, del_read not yet */
	bool writing;		      /* add_write called, del_write not yet */

	unsigned depth;		      /* library frames that may call back */
	bool freeing;		      /* dyntable_free() was called */
	char last_error[DTC_LASTERR_LEN]; /* why the last request call
					     failed before queuing; "" */
};

/* ---- the request entry points ------------------------------------------ */

/*
 * Every public request, one row each; async.c expands the rows into the
 * asynchronous entry points, sync.c into their dyntable_sync_ twins:
 *
 *   X(name, OP, PARAMS, ARGS)
 *
 *   name    dyntable_<name>(PARAMS..., cb, privdata) and
 *           dyntable_sync_<name>(PARAMS...), as dyntable.h declares them
 *   OP      the dyntable_op sent (DYNTABLE_OP_<OP>)
 *   PARAMS  the public parameters, the context first, in parentheses
 *   ARGS    the dtc_args they stand for: designated initialisers, or 0
 *
 * Adding a request is a row here, its prototypes in dyntable.h, and (for
 * a new op) its packing in dtc_request_encode() and its result in
 * result.c. The compiler checks each row against dyntable.h.
 */
#define DTC_WAIT(w)                                                        \
	.wait = (w) != NULL, .timeout_ms = (w) ? (w)->timeout_ms : 0,      \
	.table_only = (w) ? (w)->table_only : false
#define DTC_MODEL(m)                                                       \
	.src = DTC_SRC_MODEL, .model = (m), .name = (m) ? (m)->table_name : NULL

#define DTC_REQUESTS(X)                                                    \
	X(create_table, CREATE_TABLE,                                      \
	    (dyntable_ctx *c, const dyntable_table_def *def,                \
	    const dyntable_wait_opts *wait),                                \
	    (.def = def, DTC_WAIT(wait)))                                   \
	X(create_table_json, CREATE_TABLE,                                 \
	    (dyntable_ctx *c, const char *create_table_input,               \
	    const dyntable_wait_opts *wait),                                \
	    (.src = DTC_SRC_INPUT, .input = create_table_input,             \
	    DTC_WAIT(wait)))                                                \
	X(describe_table, DESCRIBE_TABLE, (dyntable_ctx *c, const char *name), \
	    (.name = name))                                                 \
	X(table_exists, TABLE_EXISTS, (dyntable_ctx *c, const char *name),  \
	    (.name = name))                                                 \
	X(list_tables, LIST_TABLES, (dyntable_ctx *c), (0))                 \
	X(list_all_tables, LIST_TABLES, (dyntable_ctx *c), (.all = true))   \
	X(delete_table, DELETE_TABLE,                                      \
	    (dyntable_ctx *c, const char *name,                             \
	    const dyntable_wait_opts *wait),                                \
	    (.name = name, DTC_WAIT(wait)))                                 \
	X(wait_for_table_active, WAIT_TABLE_ACTIVE,                        \
	    (dyntable_ctx *c, const char *name, unsigned timeout_ms),       \
	    (.name = name, .timeout_ms = timeout_ms))                       \
	X(wait_for_table_active_opts, WAIT_TABLE_ACTIVE,                   \
	    (dyntable_ctx *c, const char *name, const dyntable_wait_opts *w), \
	    (.name = name, DTC_WAIT(w))) /* .wait: unused by waits */       \
	X(wait_for_table_deleted, WAIT_TABLE_DELETED,                      \
	    (dyntable_ctx *c, const char *name, unsigned timeout_ms),       \
	    (.name = name, .timeout_ms = timeout_ms))                       \
	X(daemon_status, STATUS, (dyntable_ctx *c), (0))                    \
	X(reap, REAP, (dyntable_ctx *c), (0))                               \
	X(model_create_table, CREATE_TABLE,                                \
	    (dyntable_ctx *c, const dyntable_model *m,                      \
	    const dyntable_table_options *opts,                             \
	    const dyntable_wait_opts *wait),                                \
	    (DTC_MODEL(m), .opts = opts, DTC_WAIT(wait)))                   \
	X(model_table_exists, TABLE_EXISTS,                                \
	    (dyntable_ctx *c, const dyntable_model *m), (DTC_MODEL(m)))     \
	X(model_delete_table, DELETE_TABLE,                                \
	    (dyntable_ctx *c, const dyntable_model *m,                      \
	    const dyntable_wait_opts *wait),                                \
	    (DTC_MODEL(m), DTC_WAIT(wait)))                                 \
	X(daemon_metrics, METRICS, (dyntable_ctx *c), (0))                  \
	X(truncate_table, TRUNCATE_TABLE,                                  \
	    (dyntable_ctx *c, const char *name, bool force),                \
	    (.name = name, .force = force))                                 \
	X(lease_table, LEASE_TABLE,                                        \
	    (dyntable_ctx *c, const dyntable_table_def *def,                \
	    const char *logical, unsigned timeout_ms),                      \
	    (.def = def, .name = logical, .timeout_ms = timeout_ms))        \
	X(lease_table_json, LEASE_TABLE,                                   \
	    (dyntable_ctx *c, const char *create_table_input,               \
	    const char *logical, unsigned timeout_ms),                      \
	    (.src = DTC_SRC_INPUT, .input = create_table_input,             \
	    .name = logical, .timeout_ms = timeout_ms))                     \
	X(model_lease_table, LEASE_TABLE,                                  \
	    (dyntable_ctx *c, const dyntable_model *m,                      \
	    const dyntable_table_options *opts, const char *logical,        \
	    unsigned timeout_ms),                                           \
	    (.src = DTC_SRC_MODEL, .model = m, .opts = opts,                \
	    .name = logical, .timeout_ms = timeout_ms))                     \
	X(release_table, RELEASE_TABLE, (dyntable_ctx *c, const char *name), \
	    (.name = name))                                                 \
	X(pools, POOLS, (dyntable_ctx *c), (0))                             \
	X(update_table_json, UPDATE_TABLE,                                 \
	    (dyntable_ctx *c, const char *name, const char *update_table_input, \
	    const dyntable_wait_opts *wait),                                \
	    (.name = name, .input = update_table_input, DTC_WAIT(wait)))    \
	X(update_time_to_live, UPDATE_TIME_TO_LIVE,                        \
	    (dyntable_ctx *c, const char *name, bool enabled,               \
	    const char *attribute),                                         \
	    (.name = name, .enabled = enabled, .attribute = attribute))     \
	X(describe_time_to_live, DESCRIBE_TIME_TO_LIVE,                    \
	    (dyntable_ctx *c, const char *name), (.name = name))            \
	X(tag_resource, TAG_RESOURCE,                                      \
	    (dyntable_ctx *c, const char *name, const dyntable_tag *tags,   \
	    size_t n_tags), (.name = name, .tags = tags, .n = n_tags))      \
	X(untag_resource, UNTAG_RESOURCE,                                  \
	    (dyntable_ctx *c, const char *name, const char *const *keys,    \
	    size_t n_keys), (.name = name, .keys = keys, .n = n_keys))      \
	X(list_tags_of_resource, LIST_TAGS_OF_RESOURCE,                    \
	    (dyntable_ctx *c, const char *name), (.name = name))            \
	X(update_continuous_backups, UPDATE_CONTINUOUS_BACKUPS,            \
	    (dyntable_ctx *c, const char *name, bool enabled,               \
	    unsigned recovery_period_days),                                 \
	    (.name = name, .enabled = enabled, .days = recovery_period_days)) \
	X(describe_continuous_backups, DESCRIBE_CONTINUOUS_BACKUPS,        \
	    (dyntable_ctx *c, const char *name), (.name = name))

/* DTC_UNPAREN((a, b)) is a, b: a row's parameter or argument list without
 * its parentheses. The detour through DTC_ID_ is for cppcheck, whose
 * preprocessor does not rescan "DTC_UNPAREN_ (a, b)" when the parenthesised
 * list comes from a macro argument; C compilers need no detour. */
#define DTC_ID_(...) __VA_ARGS__
#define DTC_UNPAREN_(...) __VA_ARGS__
#define DTC_UNPAREN(list) DTC_ID_(DTC_UNPAREN_ list)

/* ---- client.c ------------------------------------------------------------ */

/*
 * Every entry point that may run callbacks brackets its work with these.
 * dtc_leave() performs a free requested meanwhile once the outermost frame
 * leaves; it returns false when it did (c is gone).
 */
void dtc_enter(dyntable_ctx *c);
bool dtc_leave(dyntable_ctx *c);

/*
 * Validates a, encodes and queues a request. Exactly one of cb and take is
 * set (neither for the handshake). Returns DYNTABLE_OK (then exactly one
 * of them will be called, and *idp holds the id when idp is not NULL), or
 * the error, with a reason in err (errlen bytes; may be NULL), and no
 * call. Either way the reason ("" on success) is also left in
 * c->last_error.
 */
dyntable_status dtc_submit(dyntable_ctx *c, dyntable_op op, const dtc_args *a,
    dyntable_cb *cb, dtc_take_fn *take, void *privdata, uint32_t *idp,
    char *err, size_t errlen);

/*
 * Answers the pending request id with st and msg right now, as if the
 * daemon had. Returns false if no such request is pending.
 */
bool dtc_cancel(dyntable_ctx *c, uint32_t id, dyntable_status st,
    const char *msg);

/*
 * One round of the private poll() loop: waits up to timeout_ms (-1:
 * forever) for the socket, then reads and writes. Returns 1 after I/O, 0
 * on timeout or EINTR, -1 when the context is dead (or has just died).
 */
int dtc_poll_once(dyntable_ctx *c, int timeout_ms);

/* ---- request.c ----------------------------------------------------------- */

/*
 * The client-side checks of a request's arguments (deep validation is the
 * daemon's). For create_table also builds the CreateTableInput into *doc
 * (a new reference for the caller; NULL for the other ops). Returns
 * DYNTABLE_OK, or DYNTABLE_ERR_INVALID (or NOMEM) with a reason in err
 * and *doc NULL.
 */
dyntable_status dtc_request_prepare(dyntable_op op, const dtc_args *a,
    json_t **doc, char *err, size_t errlen);

/* Encodes request id, with doc from dtc_request_prepare(), into a frame.
 * Returns 0, or -1 when out of memory. */
int dtc_request_encode(uint32_t id, dyntable_op op, const dtc_args *a,
    const json_t *doc, char **frame, size_t *len);

/*
 * How messages name the indexes of a definition: "gsis[i]" and "lsis[i]"
 * for a hand-written one; for one derived from a model, "indexes[j]" with
 * j = gsi_pos[i] or lsi_pos[i].
 */
typedef struct dtc_index_names {
	const char *gsi, *lsi;		 /* the arrays' names */
	const size_t *gsi_pos, *lsi_pos; /* NULL: i itself */
} dtc_index_names;

/*
 * The CreateTableInput a definition stands for, members in the AWS
 * model's order, AttributeDefinitions derived. names NULL: the
 * definition's own. Checks only what a document needs and the daemon
 * cannot see. Returns DYNTABLE_OK with *doc a new reference, or INVALID
 * (or NOMEM) with a reason in err naming the field.
 */
dyntable_status dtc_def_doc(const dyntable_table_def *d,
    const dtc_index_names *names, json_t **doc, char *err, size_t errlen);

/* ---- model.c ------------------------------------------------------------- */

/* The definition a model stands for, and the arrays it points to. */
typedef struct dtc_model_def {
	dyntable_table_def def;	 /* points into the model and options */
	dtc_index_names names;	 /* messages name the model's indexes[j] */
	dyntable_gsi_def *gsis;	 /* def.gsis, owned */
	dyntable_lsi_def *lsis;	 /* def.lsis, owned */
	size_t *pos;		 /* gsi i came from indexes[pos[i]], lsi i
				    from indexes[pos[n_indexes + i]] */
} dtc_model_def;

/*
 * Fills md with the definition model m stands for (opts NULL: every
 * default), checking what only a model can get wrong; its errors name the
 * model's fields. The definition points into m and opts (not copied) and
 * into arrays that dtc_model_def_free() frees, also after a failure.
 */
dyntable_status dtc_model_def_make(const dyntable_model *m,
    const dyntable_table_options *opts, dtc_model_def *md, char *err,
    size_t errlen);
void dtc_model_def_free(dtc_model_def *md);

/* ---- apply_diff.c (pure) ------------------------------------------------ */

/* What the file says a table should be (borrowed): its CreateTableInput,
 * and what it manages besides, NULL when it does not: ttl (an attribute
 * name, or false: disabled), tags (an object of key -> value), pitr
 * (true or false). */
typedef struct dtc_apply_want {
	const json_t *input;
	const json_t *ttl, *tags, *pitr;
} dtc_apply_want;

/* What DynamoDB describes (borrowed): table NULL when it does not exist;
 * ttl the TimeToLiveDescription, tags the Tags list, pitr the
 * ContinuousBackupsDescription (each NULL when not asked). */
typedef struct dtc_apply_have {
	const json_t *table;
	const json_t *ttl, *tags, *pitr;
} dtc_apply_have;

/*
 * The plan for one table: {"action": "create" | "update" | "none" |
 * "drift", "changes": [{field, have, want}], "drift": [{field, have,
 * want}] (what cannot change in place: key schema, attribute types,
 * local indexes, a global index's keys or projection), "steps": [{"op":
 * "create_table", "input"} | {"op": "update_table", "update"} | {"op":
 * "update_time_to_live", "enabled", "attribute"} | {"op": "tag_resource",
 * "tags"} | {"op": "untag_resource", "keys"} | {"op":
 * "update_continuous_backups", "enabled"}]}, in the order to run them:
 * one index created or deleted per update_table. A new reference; NULL
 * when out of memory.
 */
json_t *dtc_apply_diff(const dtc_apply_want *x, const dtc_apply_have *h);

/* ---- result.c ------------------------------------------------------------ */

/* A result carrying only a status and a message (copied; may be NULL).
 * NULL when out of memory. */
dyntable_result *dtc_result_error(dyntable_op op, dyntable_status st,
    const char *msg);

/*
 * Builds the result of op from a decoded reply. The result copies what it
 * needs, except a table's, which takes m's objects over (m->up's zone):
 * either way m's objects are not to be used afterwards, only freed
 * (dtp_msg_free). A reply whose content does not fit the op becomes a
 * result with DYNTABLE_ERR_PROTOCOL. NULL when out of memory.
 */
dyntable_result *dtc_result_reply(dyntable_op op, dtp_msg *m);

/* Maps a wire error code to a status: 1-13 keep their number. */
dyntable_status dtc_status_from_wire(uint64_t code);

#endif /* DYNTABLE_CLIENT_INTERNAL_H */
