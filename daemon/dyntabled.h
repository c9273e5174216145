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
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "dtp.h"

#define DYNTABLED_VERSION "0.2.0"

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

/* For warnings that a flood can repeat (refused clients, EMFILE): log
 * when log_rate_ok() says so, at most once per interval; it then puts in
 * shown_suppressed how many were left out since the last one shown. */
struct log_rate {
	bool started;
	time_t last;			/* when the last one was shown */
	unsigned long suppressed;	/* left out since */
	unsigned long shown_suppressed; /* left out before this one */
};
bool log_rate_ok(struct log_rate *rl, unsigned interval_s);

/* ---- config.c ------------------------------------------------------------- */

/* Everything the command line, the environment and the shared config file
 * decide. endpoint and region are resolved again on SIGHUP. */
struct config {
	char *socket_path;	 /* where to listen */
	unsigned socket_mode;	 /* permission bits of the socket, 0660 */
	char *endpoint;		 /* DynamoDB endpoint URL, resolved */
	char *region;		 /* signing region, resolved */
	enum log_level log_level;
	unsigned max_frame;	 /* largest request frame accepted */
	unsigned max_inflight;	 /* requests in flight per connection */
	unsigned max_clients;	 /* connections at once (+ CONN_ADMIN_RESERVE
				  * for root, self and admins) */
	unsigned max_clients_per_uid; /* connections of one uid at once */
	unsigned wait_default_ms; /* wait timeout when the client gives none */
	unsigned wait_max_ms;	 /* cap on a client's wait timeout */
	unsigned poll_min_ms;	 /* first DescribeTable delay of a poller */
	unsigned poll_max_ms;	 /* cap of a poller's backoff */
	unsigned http_timeout_ms; /* one HTTP attempt, connect included */
	unsigned max_attempts;	 /* HTTP attempts per DynamoDB call */
	unsigned max_connections; /* keep-alive connections to the endpoint */
	unsigned max_mutations;	 /* CreateTable/DeleteTable calls in flight */
	unsigned ephemeral_grace_ms; /* ephemeral tables outlive their owner */
	unsigned ephemeral_ttl_s; /* dyntable:expires is now + this */
	unsigned creds_timeout_ms; /* one credential fetch or process run */
	bool insecure_ok;	 /* --allow-insecure-http */
	char *flag_endpoint;	 /* --endpoint as given, or NULL */
	char *flag_region;	 /* --region as given, or NULL */
	char *config_file;	 /* the configuration file read, or NULL */
	struct policy *policy;	 /* access control ([access] etc.), owned */
};

#define CONFIG_DEFAULT_FILE "/etc/dyntabled.conf"


/*
 * Parses argv and the environment into cfg (zeroed first). Returns 0, 1
 * when --help or --version was printed, or -1 after printing a usage
 * error to stderr.
 */
int config_load(struct config *cfg, int argc, char **argv);
/*
 * SIGHUP: resolves endpoint and region again (same flags, the environment,
 * the shared config file read afresh). Returns 1 when either changed, 0
 * when neither did, -1 when the new settings are invalid: cfg is then
 * unchanged and the reason logged.
 */
int config_reload(struct config *cfg);
/* SIGHUP: reads the access policy of the configuration file again; keeps
 * the current one (and logs why) when the file is invalid. */
void config_reload_policy(struct config *cfg);
void config_free(struct config *cfg);
/* True if the URL's host is a loopback address or "localhost". */
bool config_is_loopback_url(const char *url);
/*
 * May a request go to url? It must be http(s); plain http only to a
 * loopback host, to one of http_hosts (NULL-terminated host names as in
 * the URL, e.g. the link-local metadata addresses), or anywhere with
 * --allow-insecure-http. false with the reason in err.
 */
bool config_url_allowed(const struct config *cfg, const char *url,
    const char *const *http_hosts, char *err, size_t errlen);
/*
 * The default endpoint of an AWS service ("dynamodb", "sts") in region,
 * with the FIPS and dual-stack variants, per the partition (amazonaws.com,
 * .com.cn, us-gov, ISO). Region "local" is http://localhost:8000 for
 * dynamodb. Pure. Returns 0, or -1 with the reason in err when the
 * partition has no such variant.
 */
int config_default_endpoint(const char *service, const char *region,
    bool fips, bool dualstack, char *buf, size_t len, char *err,
    size_t errlen);
/* "true" in any case is true, anything else false, NULL is dflt (the SDKs'
 * rule for boolean settings). */
bool config_bool(const char *s, bool dflt);

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
/* Frees the digest and HMAC objects the first sigv4_sign() fetched; call
 * at exit (before OpenSSL's own cleanup), or never. Signing again after
 * it fetches them again. */
void sigv4_cleanup(void);

/* ---- creds.c: credentials, kept behind a signing API ---------------------- */

/*
 * The provider chain, first that yields wins: environment, systemd
 * credentials, shared credentials file, config file keys, credential_process,
 * web identity (STS), container, EC2 instance metadata. Temporary keys are
 * refreshed on a timer before they expire; every fetch runs on the loop.
 */
struct creds;
struct upstream;

/* Allocates the credential store; nothing is resolved yet. NULL when out of
 * memory. cfg (region, timeouts, --allow-insecure-http) must outlive it. */
struct creds *creds_new(struct event_base *base, const struct config *cfg);
/* Resolves with the chain, fetching through u. Keys from the environment,
 * systemd or the files are in place when it returns; the others arrive
 * from the loop (callers wait: creds_pending). */
void creds_start(struct creds *cr, struct upstream *u);
/* Cancels fetches and kills a credential_process, wipes the secrets, frees.
 * Call before upstream_free(). */
void creds_free(struct creds *cr);
/* SIGHUP: resolves again from the top of the chain. The current keys stay
 * in use until new ones arrive, and stay if none do. Calls in flight keep
 * their signatures; new attempts use the new keys. */
int creds_reload(struct creds *cr);
/* True when keys are loaded and more than CREDS_EXPIRY_MARGIN_S from
 * expiring: nothing is ever signed with keys past that point. */
bool creds_valid(const struct creds *cr);
/* True while no valid keys are loaded but a resolution or refresh is
 * running: a request may wait for it (upstream_creds_changed() is called
 * when it ends). */
bool creds_pending(const struct creds *cr);
/* Why there are no valid keys, for error replies and logs; never a secret. */
const char *creds_error(const struct creds *cr);
/* Where the current keys came from, e.g. "environment", or "none". */
const char *creds_source(const struct creds *cr);
/* Signs with the current keys; -1 when there are none (see creds_valid). */
int creds_sign(const struct creds *cr, const sigv4_request *req,
    sigv4_result *res);
/* The session token to send with a signed request, or NULL. */
const char *creds_session_token(const struct creds *cr);

#define CREDS_EXPIRY_MARGIN_S 2	   /* keys this close to expiry are unusable */
#define CREDS_REFRESH_EARLY_S 300  /* refresh 5 min before expiry, or at
				    * half the remaining life if shorter */

/* What `status` may show about the credentials: never a secret. */
struct creds_info {
	char source[64];      /* provider of the current keys, or "none" */
	char key_id_tail[5];  /* last four characters of the access key id */
	time_t expires;	      /* 0: long-term keys that never expire */
	time_t obtained;      /* when the current keys were obtained */
	char last_error[192]; /* the last failed refresh, "" if none */
};
void creds_get_info(const struct creds *cr, struct creds_info *out);

/* ---- creds_parse.c: what providers hand back, pure ------------------------ */

/* A set of keys. Strings are malloc'd; creds_keys_clear() wipes and frees. */
struct creds_keys {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;	/* NULL for long-term keys */
	time_t expires;		/* 0: never */
};
void creds_keys_clear(struct creds_keys *k);
/* Wipes and frees *s (which may be NULL), then sets it to NULL. */
void creds_wipe_str(char **s);
/* free() and realloc() that first wipe the old block (malloc_usable_size):
 * for every buffer that may hold a secret. */
void creds_secure_free(void *p);
void *creds_secure_realloc(void *p, size_t n);
/* ISO 8601 / RFC 3339 date-time ("2024-01-01T00:00:00Z", fractions and
 * +hh:mm offsets allowed) to seconds since the epoch. -1 when malformed. */
int creds_parse_time(const char *s, time_t *out);

enum creds_json_kind {
	CREDS_JSON_PROCESS,   /* credential_process: Version 1, SessionToken */
	CREDS_JSON_CONTAINER, /* ECS/EKS: Token */
	CREDS_JSON_IMDS,      /* EC2: Token, Code "Success" */
};
/* Parses a provider's JSON into k (emptied first). Every buffer jansson
 * used is wiped. Returns 0, or -1 with a reason (no value in it) in err. */
int creds_parse_json(enum creds_json_kind kind, const char *buf,
    size_t len, struct creds_keys *k, char *err, size_t errlen);
/* Parses an STS AssumeRoleWithWebIdentity reply (expat; buffers wiped).
 * 0 with k filled; -1 with err: STS's error Code and Message if any. */
int creds_parse_sts(const char *buf, size_t len, struct creds_keys *k,
    char *err, size_t errlen);
/* Splits a credential_process command into words as a POSIX shell would
 * (blanks, quotes, backslashes) with no expansion of any kind. *argv is a
 * NULL-terminated malloc'd array; free with creds_argv_free. -1 with err
 * on an unbalanced quote or an empty command. */
int creds_split_command(const char *cmd, char ***argv, char *err,
    size_t errlen);
void creds_argv_free(char **argv);

/* ---- creds_file.c: the shared config and credentials files ---------------- */

enum creds_keys_from { CREDS_KEYS_NONE, CREDS_KEYS_CREDENTIALS_FILE,
	CREDS_KEYS_CONFIG_FILE };

/* One profile as the two files describe it (the credentials file wins a
 * key both set). Strings are malloc'd or NULL; flags are -1 when unset. */
struct creds_profile {
	char *name;		       /* AWS_PROFILE, AWS_DEFAULT_PROFILE,
					* else "default" */
	bool found;		       /* either file has this profile */
	struct creds_keys keys;	       /* static keys, secrets wiped on free */
	enum creds_keys_from keys_from;
	char *credential_process;
	char *role_arn;
	char *web_identity_token_file;
	char *role_session_name;
	char *source_profile;	       /* assume-role chains: unsupported */
	char *credential_source;
	char *region;
	char *endpoint_url;	       /* the profile's own endpoint_url */
	char *services;		       /* its services = NAME */
	char *services_dynamodb_url;   /* [services NAME] dynamodb endpoint_url */
	char *services_sts_url;	       /* [services NAME] sts endpoint_url */
	bool services_missing;	       /* services names no section */
	int use_fips_endpoint;
	int use_dualstack_endpoint;
	int ignore_configured_endpoint_urls;
	char *ec2_metadata_service_endpoint;
	char *ec2_metadata_service_endpoint_mode;
	int ec2_metadata_v1_disabled;
};

/* Reads AWS_CONFIG_FILE (~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE
 * (~/.aws/credentials) for the profile the environment names. Missing
 * files are no error; syntax errors are logged (file and line only).
 * Returns 0, or -1 when out of memory. */
int creds_profile_load(struct creds_profile *p);
/* The same from texts (NULL: no such file). Pure, for tests. */
int creds_profile_parse(struct creds_profile *p, const char *name,
    const char *config_text, const char *credentials_text);
void creds_profile_free(struct creds_profile *p);
/* Reads a small file holding one secret (a key, a token), surrounding
 * blanks dropped: malloc'd, free with creds_wipe_str(). NULL with *missing
 * when there is no such file, else with err (an empty file is an error). */
char *creds_file_read_secret(const char *path, bool *missing, char *err,
    size_t errlen);
#define CREDS_SECRET_FILE_MAX (64u << 10)

/* ---- creds_process.c: credential_process, a child watched by the loop ----- */

struct creds_proc;
/* The outcome: keys (the callee takes them) or NULL and a reason. */
typedef void creds_proc_cb(void *arg, struct creds_keys *k, const char *err);
/*
 * Runs command without a shell (creds_split_command), reads its stdout
 * through a pipe watched by the loop and reaps it without blocking; kills
 * its process group after timeout_ms. cb fires once, from the loop, unless
 * cancelled. NULL with err when it could not start.
 */
struct creds_proc *creds_proc_start(struct event_base *base,
    const char *command, unsigned timeout_ms, creds_proc_cb *cb, void *arg,
    char *err, size_t errlen);
/* Kills and reaps the child, frees; cb will not fire. */
void creds_proc_cancel(struct creds_proc *p);

/* ---- creds_http.c: web identity (STS), container and EC2 metadata --------- */

enum creds_http_kind { CREDS_HTTP_WEB_IDENTITY, CREDS_HTTP_CONTAINER,
	CREDS_HTTP_IMDS };

struct creds_http;
typedef void creds_http_cb(void *arg, struct creds_keys *k, const char *err);
/*
 * Starts fetching keys of kind through u's curl multi, per the environment
 * and profile p (read now; p may go after the call). Returns 1 when the
 * provider is not configured, 0 with *out set when started (cb fires once
 * from the loop unless cancelled), -1 with err when configured but unusable
 * (token file missing, http URL refused...).
 */
int creds_http_start(enum creds_http_kind kind, struct upstream *u,
    const struct config *cfg, const struct creds_profile *p,
    creds_http_cb *cb, void *arg, struct creds_http **out, char *err,
    size_t errlen);
void creds_http_cancel(struct creds_http *h);

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
/* Cancels every call and fetch in flight (their callbacks do not fire)
 * and frees. */
void upstream_free(struct upstream *u);
/* SIGHUP: calls made from now on go to cfg->endpoint, signed for
 * cfg->region; calls in flight finish against what they started with.
 * Returns 0, or -1 (logged) with nothing changed. */
int upstream_reconfigure(struct upstream *u, const struct config *cfg);
/* creds.c: keys arrived, or a resolution ended. Calls waiting for keys
 * (they wait while creds_pending(), at most http_timeout_ms) go on, or
 * fail with no_credentials. Never calls back from inside. */
void upstream_creds_changed(struct upstream *u);

/*
 * Sends "DynamoDB_20120810.<operation>" with body (JSON text, copied),
 * signing every attempt afresh and retrying by the standard policy. With
 * max_connections calls sending already, it waits its turn in the pool's
 * queue (no HTTP timeout runs there). cb fires exactly once, from the
 * event loop, never from inside this call, unless upstream_cancel() is
 * called first. Returns NULL when out of memory (cb will not fire).
 */
struct upcall *upstream_call(struct upstream *u, const char *operation,
    const char *body, upstream_cb *cb, void *arg);
/* Abandons a call: its callback will not fire. */
void upstream_cancel(struct upcall *uc);

/* An unsigned HTTP exchange for the credential providers (STS, container,
 * EC2 metadata) on the same curl multi. Everything in it may be secret:
 * headers, body and reply are wiped when freed and never logged. */
struct upfetch;

typedef struct upstream_fetch_req {
	const char *method;	      /* "GET", "PUT" or "POST" */
	const char *url;	      /* checked by the caller (config_url_allowed) */
	const char *const *headers;   /* "Name: value" lines, NULL-terminated,
				       * or NULL; copied */
	const char *body;	      /* copied, or NULL for none */
	size_t body_len;
	unsigned timeout_ms;	      /* the whole exchange */
	unsigned connect_timeout_ms;  /* 0: timeout_ms */
	bool no_proxy;		      /* never through an http_proxy */
} upstream_fetch_req;

typedef struct upstream_fetch_reply {
	long http_status;	      /* 0 when no answer arrived */
	const char *body;	      /* NUL-terminated; wiped after the callback */
	size_t body_len;
	const char *error;	      /* why no answer arrived, else NULL */
} upstream_fetch_reply;

typedef void upstream_fetch_cb(void *arg, const upstream_fetch_reply *r);

#define UPSTREAM_FETCH_MAX_REPLY (64u << 10) /* larger replies are an error */

/* Starts one attempt (no retries: the caller decides). cb fires exactly
 * once, from the loop, never from inside this call, unless
 * upstream_fetch_cancel() comes first. NULL when out of memory. */
struct upfetch *upstream_fetch(struct upstream *u,
    const upstream_fetch_req *req, upstream_fetch_cb *cb, void *arg);
void upstream_fetch_cancel(struct upfetch *f);

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
/* Checks the members of a TableDescription that the daemon reads
 * (TableName, TableStatus, the indexes' names and statuses): 0, or -1
 * with what is wrong in err. A reply that fails it is an upstream error,
 * never a table with status "?". */
int ddb_check_table(const json_t *desc, char *err, size_t errlen);
/* True when TableStatus and every GSI IndexStatus are ACTIVE. */
bool ddb_table_active(const json_t *desc);
/* desc's TableStatus, or NULL. */
const char *ddb_table_status(const json_t *desc);
/* Maps a DynamoDB error type to a protocol error code. */
dtp_err ddb_error_code(const char *aws_type);
/* Checks a table name: 3-255 characters of [a-zA-Z0-9_.-]. */
bool ddb_valid_name(const char *name, size_t len);
/* Checks that s (NUL-terminated) can start a table name. */
bool ddb_valid_name_prefix(const char *s);

/*
 * ListTables paging, bounded (issue 11): every pager in the daemon (list,
 * reap) goes through ddb_pager_next, so none can loop on an endpoint that
 * always answers "there is more".
 */
#define DDB_PAGES_MAX 1000     /* 100,000 tables at 100 a page */
#define DDB_PAGING_MAX_S 300   /* one listing, all its pages */

struct ddb_pager {
	unsigned pages;	       /* pages received */
	time_t started;	       /* the first page's request */
	char last[256];	       /* ExclusiveStartTableName of the next page */
};

void ddb_pager_init(struct ddb_pager *pg, time_t now);
/* Checks one ListTables reply and appends its names to acc (an array).
 * Returns 1 when another page follows (ask for it from pg->last), 0 when
 * this was the last, -1 with err when the reply is malformed, the paging
 * does not move forward, or it exceeds DDB_PAGES_MAX or DDB_PAGING_MAX_S:
 * an upstream error. */
int ddb_pager_next(struct ddb_pager *pg, const json_t *reply, json_t *acc,
    time_t now, char *err, size_t errlen);

/* ---- policy.c: access control on peer credentials, pure ------------------ */

struct policy;

/* Who is on the other end of a connection (SO_PEERCRED, SO_PEERGROUPS). */
struct policy_peer {
	pid_t pid;	     /* for logs only */
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* supplementary groups */
	size_t n_groups;
};

/* An empty policy: anyone who can open the socket, any table; admin verbs
 * for root and self (the daemon's uid). NULL when out of memory. */
struct policy *policy_new(uid_t self);
void policy_free(struct policy *p);
/* Applies one key of the configuration file's [access], [user NAME] or
 * [group NAME] sections; -1 with a reason in err. */
int policy_set(struct policy *p, const char *section, const char *key,
    const char *value, char *err, size_t errlen);
bool policy_may_connect(const struct policy *p,
    const struct policy_peer *peer);
bool policy_is_admin(const struct policy *p, const struct policy_peer *peer);
bool policy_may_use_table(const struct policy *p,
    const struct policy_peer *peer, const char *table);
/* The table prefixes peer may use, quoted, for a denial message. */
void policy_describe(const struct policy *p, const struct policy_peer *peer,
    char *buf, size_t size);

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
