/* SPDX-License-Identifier: MIT */
/*
 * sigv4.h: AWS Signature Version 4 (sigv4.c). Pure: no I/O, no state but
 * the digest and MAC objects fetched once.
 */
#ifndef DYNTABLED_SIGV4_H
#define DYNTABLED_SIGV4_H

#include <stddef.h>
#include <time.h>

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

#endif /* DYNTABLED_SIGV4_H */
