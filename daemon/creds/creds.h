/* SPDX-License-Identifier: MIT */
/*
 * creds.h: AWS credentials, kept behind a signing API (creds/creds.c):
 * the provider chain, refreshed on timers.
 */
#ifndef DYNTABLED_CREDS_H
#define DYNTABLED_CREDS_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "sigv4.h"

struct event_base;

/*
 * The provider chain, first that yields wins: environment, systemd
 * credentials, web identity from the environment, then the profile
 * (assume-role, web identity, IAM Identity Center, static keys,
 * credential_process), container, EC2 instance metadata (creds.c has the
 * order and why). Temporary keys are refreshed on a timer before they
 * expire; every fetch runs on the loop.
 */
struct creds;

/* Keys arrived, or a resolution ended (creds_pending() turned false).
 * Called from the loop, or from inside creds_start() and creds_reload();
 * it must not free the store. */
typedef void creds_changed_cb(void *arg);

/* Allocates the credential store; nothing is resolved yet. NULL when out of
 * memory. cfg (region, timeouts, --allow-insecure-http) must outlive it. */
struct creds *creds_new(struct event_base *base, const struct config *cfg);
/* Resolves with the chain, then calls changed(arg) on every change (the
 * pool's upstream_creds_changed: calls waiting for keys go on). Keys from
 * the environment, systemd or the files are in place when it returns; the
 * others arrive from the loop (callers wait: creds_pending), those over
 * HTTP through the store's own client (fetch.h). */
void creds_start(struct creds *cr, creds_changed_cb *changed, void *arg);
/* Cancels fetches and kills a credential_process, wipes the secrets, frees.
 * Whoever signs with the store (the pool) must be done with it. */
void creds_free(struct creds *cr);
/* SIGHUP: resolves again from the top of the chain. The current keys stay
 * in use until new ones arrive, and stay if none do. Calls in flight keep
 * their signatures; new attempts use the new keys. */
int creds_reload(struct creds *cr);
/* True when keys are loaded and more than CREDS_EXPIRY_MARGIN_S from
 * expiring: nothing is ever signed with keys past that point. */
bool creds_valid(const struct creds *cr);
/* True while no valid keys are loaded but a resolution or refresh is
 * running: a request may wait for it (the changed callback is called
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

#define CREDS_ERROR_MAX 1280	   /* an error: every provider and why */

/* What `status` may show about the credentials: never a secret. */
struct creds_info {
	char source[256];     /* provider of the current keys, or the chain
			       * of them, or "none" */
	char key_id_tail[5];  /* last four characters of the access key id */
	time_t expires;	      /* 0: long-term keys that never expire */
	time_t obtained;      /* when the current keys were obtained */
	char last_error[CREDS_ERROR_MAX]; /* the last failure, "" if none */
};
void creds_get_info(const struct creds *cr, struct creds_info *out);

#endif /* DYNTABLED_CREDS_H */
