/* SPDX-License-Identifier: MIT */
/*
 * creds_int.h: what the credential providers share inside creds/: the
 * providers' replies (creds_parse.c), the shared files (creds_file.c),
 * credential_process (creds_process.c), STS, containers and instance
 * metadata (creds_http.c).
 */
#ifndef DYNTABLED_CREDS_INT_H
#define DYNTABLED_CREDS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "creds.h"

struct event_base;
struct fetch;

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

enum creds_http_kind { CREDS_HTTP_WEB_IDENTITY, CREDS_HTTP_CONTAINER,
	CREDS_HTTP_IMDS };

struct creds_http;
typedef void creds_http_cb(void *arg, struct creds_keys *k, const char *err);
/*
 * Starts fetching keys of kind through the client f, per the environment
 * and profile p (read now; p may go after the call). Returns 1 when the
 * provider is not configured, 0 with *out set when started (cb fires once
 * from the loop unless cancelled), -1 with err when configured but unusable
 * (token file missing, http URL refused...).
 */
int creds_http_start(enum creds_http_kind kind, struct fetch *f,
    const struct config *cfg, const struct creds_profile *p,
    creds_http_cb *cb, void *arg, struct creds_http **out, char *err,
    size_t errlen);
void creds_http_cancel(struct creds_http *h);

#endif /* DYNTABLED_CREDS_INT_H */
