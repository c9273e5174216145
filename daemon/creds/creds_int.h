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
/* Keys from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 * (or AWS_SECURITY_TOKEN), AWS_CREDENTIAL_EXPIRATION: 0 with k filled, 1
 * when neither key variable is set, -1 with err when half set or
 * malformed. */
int creds_keys_from_env(struct creds_keys *k, char *err, size_t errlen);
/* A copy of from in to (emptied first); false when out of memory. */
bool creds_keys_dup(const struct creds_keys *from, struct creds_keys *to);

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
	char *source_profile;	       /* assume-role: the source's name */
	char *credential_source;       /* ... or Environment,
					* Ec2InstanceMetadata, EcsContainer */
	char *external_id;
	char *duration_seconds;
	char *mfa_serial;	       /* refused: a daemon cannot prompt */
	char *sts_regional_endpoints;  /* "legacy" or "regional" */
	char *sso_session;	       /* IAM Identity Center: the section */
	char *sso_start_url;	       /* legacy profiles: in the profile */
	char *sso_region;
	char *sso_account_id;
	char *sso_role_name;
	char *sso_session_start_url;   /* [sso-session NAME] sso_start_url */
	char *sso_session_region;      /* [sso-session NAME] sso_region */
	bool sso_session_missing;      /* sso_session names no section */
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
/* The profile the environment names: AWS_PROFILE, AWS_DEFAULT_PROFILE,
 * else "default". */
const char *creds_profile_name(void);

/* The two files' texts, read once for a walk over several profiles
 * (source_profile chains). Texts are wiped when freed. */
struct creds_files {
	char *texts[2];		/* config, credentials; NULL: no file */
	char *paths[2];
};
/* Reads both files; 0, or -1 when out of memory. */
int creds_files_load(struct creds_files *f);
void creds_files_free(struct creds_files *f);
/* One profile of loaded files; 0, or -1 when out of memory. */
int creds_profile_from(struct creds_profile *p, const struct creds_files *f,
    const char *name);
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

enum creds_http_kind {
	CREDS_HTTP_WEB_IDENTITY,	 /* AWS_WEB_IDENTITY_TOKEN_FILE */
	CREDS_HTTP_WEB_IDENTITY_PROFILE, /* the profile's token file */
	CREDS_HTTP_CONTAINER,
	CREDS_HTTP_IMDS,
};

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

/* One STS AssumeRole call of an assume-role profile (creds_role.c). */
struct creds_assume {
	const char *role_arn;
	const char *session_name;	 /* NULL: dyntabled-<time> */
	const char *external_id;	 /* NULL: none */
	long duration_s;		 /* 0: STS's default (1 h) */
	const char *region;		 /* NULL: the daemon's region */
	const struct creds_keys *source; /* signs the call (SigV4) */
};
/* Starts it: the endpoint from the environment and profile p (its
 * services section, sts_regional_endpoints), the reply through cb as for
 * creds_http_start(). 0 with *out set, -1 with err. */
int creds_http_assume_role(struct fetch *f, const struct config *cfg,
    const struct creds_profile *p, const struct creds_assume *a,
    creds_http_cb *cb, void *arg, struct creds_http **out, char *err,
    size_t errlen);

struct creds_sso;
/*
 * IAM Identity Center (creds_sso.c): role keys for profile p's
 * sso_account_id and sso_role_name with the token `aws sso login` cached,
 * refreshed first when about to expire. 1 when p is no SSO profile; 0
 * with *out set (cb fires once from the loop unless cancelled); -1 with
 * err (an expired login says to run aws sso login).
 */
int creds_sso_start(struct fetch *f, const struct config *cfg,
    const struct creds_profile *p, creds_http_cb *cb, void *arg,
    struct creds_sso **out, char *err, size_t errlen);
void creds_sso_cancel(struct creds_sso *s);

struct creds_role;
/* Keys, or NULL and why; chain names the providers that produced them,
 * e.g. "sso(profile dev) -> assume-role(arn:...)" (never a secret). */
typedef void creds_role_cb(void *arg, struct creds_keys *k,
    const char *chain, const char *err);
enum creds_role_kind {
	CREDS_ROLE_ASSUME, /* role_arn + source_profile / credential_source */
	CREDS_ROLE_SSO,	   /* sso_session / sso_start_url */
};
/*
 * Resolves the profile the environment names if it is of kind (creds_role.c):
 * walks source_profile chains (cycles refused, naming the chain), then
 * gets the source keys and assumes each role in turn. 1 when the profile
 * is not of kind; 0 with *out set (cb fires once from the loop unless
 * cancelled); -1 with err.
 */
int creds_role_start(enum creds_role_kind kind, struct event_base *base,
    struct fetch *f, const struct config *cfg, creds_role_cb *cb, void *arg,
    struct creds_role **out, char *err, size_t errlen);
void creds_role_cancel(struct creds_role *r);

#endif /* DYNTABLED_CREDS_INT_H */
