/* SPDX-License-Identifier: MIT */
/*
 * creds.c: AWS credentials, kept behind a signing API.
 *
 * The provider chain, first that yields wins. The order is the one
 * botocore, the AWS SDK for Java v2 and aws-sdk-go-v2 agree on, or where
 * they differ the majority's (docs/CREDENTIALS.md has the table, with the
 * sources; tests/e2e/test_creds_profiles.sh checks it row by row):
 *
 *   1. environment       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *                        AWS_SESSION_TOKEN (or AWS_SECURITY_TOKEN),
 *                        AWS_CREDENTIAL_EXPIRATION. First in all three,
 *                        even when AWS_PROFILE is set: only a profile
 *                        chosen in code (botocore's Session(profile=),
 *                        Go's WithSharedConfigProfile) goes before them,
 *                        and a daemon has no such choice.
 *   2. systemd           $CREDENTIALS_DIRECTORY/aws_access_key_id,
 *                        aws_secret_access_key, aws_session_token: keys the
 *                        service manager hands this service, as explicit
 *                        as the environment's.
 *   3. web identity      AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, STS
 *                        AssumeRoleWithWebIdentity (creds_http.c): before
 *                        every profile in Java v2 and Go v2 (botocore puts
 *                        assume-role profiles first).
 *   4-9. the profile     AWS_PROFILE, AWS_DEFAULT_PROFILE or default, in
 *                        botocore's order for one profile: assume-role
 *                        (role_arn + source_profile / credential_source,
 *                        creds_role.c), its web_identity_token_file, IAM
 *                        Identity Center (creds_sso.c), its static keys
 *                        (credentials file, then config file), its
 *                        credential_process (creds_process.c).
 *  10. container         ECS / EKS credentials endpoint (creds_http.c)
 *  11. imds              EC2 instance metadata, IMDSv2 (creds_http.c)
 *
 * A provider that is configured but fails passes to the next one. When
 * none yields keys, the error lists every provider and why it gave none.
 *
 * Refresh: keys with an expiry from providers 3-11 are fetched again by a
 * timer CREDS_REFRESH_EARLY_S before they expire, or at half their
 * remaining life when that is shorter; the old keys serve until the new
 * ones arrive. A failed refresh keeps them while they are valid and
 * retries with exponential backoff (1 s doubling to 60 s, never later than
 * half the time left); once they are gone the whole chain is tried again.
 * Keys within CREDS_EXPIRY_MARGIN_S of expiry are never used to sign.
 *
 * The secrets leave this file only as arguments to sigv4_sign() and as
 * the session token header; they are wiped when replaced or freed, and
 * only the last four characters of the key id are ever logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "creds_int.h"
#include "fetch.h"
#include "log.h"
#include "redact.h"

#define CREDS_BACKOFF_MAX_S 60

enum creds_provider {
	CREDS_P_ENV = 0,
	CREDS_P_SYSTEMD,
	CREDS_P_WEB_IDENTITY,
	CREDS_P_ASSUME_ROLE,
	CREDS_P_WEB_IDENTITY_PROFILE,
	CREDS_P_SSO,
	CREDS_P_FILES,
	CREDS_P_PROCESS,
	CREDS_P_CONTAINER,
	CREDS_P_IMDS,
	CREDS_P_COUNT
};

/* The providers as status and the logs name them, and why each gives
 * nothing when it is not configured (for the "none found" error). */
static const struct {
	const char *name;
	const char *label;	/* in the list of providers tried */
	const char *unset;
} creds_providers[CREDS_P_COUNT] = {
	[CREDS_P_ENV] = { "environment", "environment",
		"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set" },
	[CREDS_P_SYSTEMD] = { "systemd-credentials", "systemd-credentials",
		"no $CREDENTIALS_DIRECTORY/aws_access_key_id" },
	[CREDS_P_WEB_IDENTITY] = { "web-identity", "web-identity",
		"AWS_WEB_IDENTITY_TOKEN_FILE is not set" },
	[CREDS_P_ASSUME_ROLE] = { "assume-role", "assume-role",
		"no role_arn with source_profile or credential_source" },
	[CREDS_P_WEB_IDENTITY_PROFILE] = { "web-identity",
		"profile web-identity", "no web_identity_token_file" },
	[CREDS_P_SSO] = { "sso", "sso", "no sso_session or sso_start_url" },
	[CREDS_P_FILES] = { "shared-credentials-file", "profile keys",
		"no aws_access_key_id and aws_secret_access_key in either "
		"file" },
	[CREDS_P_PROCESS] = { "credential-process", "credential-process",
		"no credential_process" },
	[CREDS_P_CONTAINER] = { "container", "container",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not "
		"set" },
	[CREDS_P_IMDS] = { "imds", "imds",
		"disabled (AWS_EC2_METADATA_DISABLED)" },
};
#define creds_provider_name(p) (creds_providers[p].name)

enum creds_try {
	CREDS_TRY_OK,	   /* keys are in hand */
	CREDS_TRY_PENDING, /* a fetch or a process runs; a callback follows */
	CREDS_TRY_SKIP,	   /* not configured */
	CREDS_TRY_FAIL,	   /* configured, but failed (err says why) */
};

struct creds {
	struct event_base *base;
	const struct config *cfg;
	struct fetch *fetch;		/* the HTTP providers' client, owned */
	creds_changed_cb *changed;	/* NULL before creds_start() */
	void *changed_arg;
	struct creds_keys keys;		/* the current keys, or none */
	enum creds_provider provider;	/* where they came from */
	char source[256];		/* its name, or the chain of them (an
					 * assume-role profile); "none" */
	time_t obtained;
	bool resolving;			/* a chain run or refresh is going */
	bool chain;			/* ... the whole chain, else a refresh
					 * of `provider` */
	bool attempted;			/* a configured provider failed in
					 * this run */
	enum creds_provider trying;	/* the provider being asked */
	struct creds_proc *proc;	/* its credential_process, or NULL */
	struct creds_http *http;	/* its HTTP fetch, or NULL */
	struct creds_role *role;	/* its assume-role or SSO run, or NULL */
	char tried[1024];		/* this run: "provider: why none; ..." */
	struct event *timer;		/* the next refresh or retry */
	unsigned failures;		/* runs failed in a row, for backoff */
	char last_error[CREDS_ERROR_MAX]; /* never a secret */
	char why[CREDS_ERROR_MAX + 320]; /* creds_error()'s buffer */
};

static void creds_continue(struct creds *cr);

/* ---- small helpers ------------------------------------------------------- */

static bool
creds_refreshable(enum creds_provider p)
{
	return p != CREDS_P_ENV && p != CREDS_P_SYSTEMD && p != CREDS_P_FILES;
}

/* The last four characters of the key id, for logs and status. */
static const char *
creds_tail(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	return id == NULL ? "" : id + (n > 4 ? n - 4 : 0);
}

/* Arms the refresh/retry timer for secs seconds from now. */
static void
creds_arm(struct creds *cr, long secs)
{
	struct timeval tv = { secs > 0 ? secs : 1, 0 };

	if (evtimer_add(cr->timer, &tv) != 0)
		log_err("credentials: cannot arm the refresh timer");
}

/* Stops whatever fetch, process or timer is going. */
static void
creds_stop(struct creds *cr)
{
	creds_proc_cancel(cr->proc);
	cr->proc = NULL;
	creds_http_cancel(cr->http);
	cr->http = NULL;
	creds_role_cancel(cr->role);
	cr->role = NULL;
	evtimer_del(cr->timer);
	cr->resolving = false;
}

static void
creds_notify(struct creds *cr)
{
	if (cr->changed != NULL)
		cr->changed(cr->changed_arg);
}

/* ---- the static providers -------------------------------------------------- */

/* systemd's LoadCredential=/SetCredential= files (systemd.exec(5)). */
static enum creds_try
creds_from_systemd(struct creds_keys *k, char *err, size_t errlen)
{
	static const char *const names[] = { "aws_access_key_id",
		"aws_secret_access_key", "aws_session_token" };
	char **dst[] = { &k->access_key_id, &k->secret_access_key,
		&k->session_token };
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (dir == NULL || *dir == '\0')
		return CREDS_TRY_SKIP;
	for (int i = 0; i < 3; i++) {
		char path[4096], why[256];
		bool missing;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		*dst[i] = creds_file_read_secret(path, &missing, why,
		    sizeof(why));
		if (*dst[i] != NULL || (missing && i == 2))
			continue;
		if (missing && i == 0)
			return CREDS_TRY_SKIP;
		if (missing)
			snprintf(err, errlen, "%.100s has aws_access_key_id "
			    "but no aws_secret_access_key", dir);
		else
			snprintf(err, errlen, "%.180s", why);
		return CREDS_TRY_FAIL;
	}
	return CREDS_TRY_OK;
}

/* The profile's static keys. */
static enum creds_try
creds_from_files(struct creds *cr, const struct creds_profile *p,
    struct creds_keys *k, char *source, size_t srclen, char *err,
    size_t errlen)
{
	const char *env = getenv("AWS_PROFILE");

	if (!p->found && env != NULL && *env != '\0')
		log_warn("credentials: profile %s is in neither the config "
		    "nor the credentials file", p->name);
	if (p->keys_from == CREDS_KEYS_NONE)
		return CREDS_TRY_SKIP;
	if (!creds_keys_dup(&p->keys, k)) {
		snprintf(err, errlen, "out of memory");
		return CREDS_TRY_FAIL;
	}
	snprintf(source, srclen, "%s", p->keys_from ==
	    CREDS_KEYS_CREDENTIALS_FILE ? "shared-credentials-file" :
	    "config-file");
	return CREDS_TRY_OK;
}

/* ---- the asynchronous providers --------------------------------------------- */

static void creds_async_result(struct creds *cr, struct creds_keys *k,
    const char *source, const char *err);

static void
creds_proc_done(void *arg, struct creds_keys *k, const char *err)
{
	struct creds *cr = arg;

	cr->proc = NULL;
	creds_async_result(cr, k, NULL, err);
}

static void
creds_http_done(void *arg, struct creds_keys *k, const char *err)
{
	struct creds *cr = arg;

	cr->http = NULL;
	creds_async_result(cr, k, NULL, err);
}

static void
creds_role_done(void *arg, struct creds_keys *k, const char *chain,
    const char *err)
{
	struct creds *cr = arg;

	cr->role = NULL;
	creds_async_result(cr, k, chain, err);
}

/* Asks one provider. */
static enum creds_try
creds_try(struct creds *cr, enum creds_provider pv,
    const struct creds_profile *p, struct creds_keys *k, char *source,
    size_t srclen, char *err, size_t errlen)
{
	static const enum creds_http_kind kinds[] = {
		[CREDS_P_WEB_IDENTITY] = CREDS_HTTP_WEB_IDENTITY,
		[CREDS_P_WEB_IDENTITY_PROFILE] = CREDS_HTTP_WEB_IDENTITY_PROFILE,
		[CREDS_P_CONTAINER] = CREDS_HTTP_CONTAINER,
		[CREDS_P_IMDS] = CREDS_HTTP_IMDS,
	};
	int rc;

	snprintf(source, srclen, "%s", creds_provider_name(pv));
	switch (pv) {
	case CREDS_P_ENV:
		rc = creds_keys_from_env(k, err, errlen);
		return rc == 0 ? CREDS_TRY_OK : rc == 1 ? CREDS_TRY_SKIP :
		    CREDS_TRY_FAIL;
	case CREDS_P_SYSTEMD:
		return creds_from_systemd(k, err, errlen);
	case CREDS_P_FILES:
		return creds_from_files(cr, p, k, source, srclen, err, errlen);
	case CREDS_P_PROCESS:
		if (p->credential_process == NULL)
			return CREDS_TRY_SKIP;
		cr->proc = creds_proc_start(cr->base, p->credential_process,
		    cr->cfg->creds_timeout_ms, creds_proc_done, cr, err,
		    errlen);
		return cr->proc != NULL ? CREDS_TRY_PENDING : CREDS_TRY_FAIL;
	case CREDS_P_ASSUME_ROLE:
	case CREDS_P_SSO:
		rc = creds_role_start(pv == CREDS_P_SSO ? CREDS_ROLE_SSO :
		    CREDS_ROLE_ASSUME, cr->base, cr->fetch, cr->cfg,
		    creds_role_done, cr, &cr->role, err, errlen);
		return rc == 0 ? CREDS_TRY_PENDING : rc == 1 ? CREDS_TRY_SKIP :
		    CREDS_TRY_FAIL;
	case CREDS_P_WEB_IDENTITY:
	case CREDS_P_WEB_IDENTITY_PROFILE:
	case CREDS_P_CONTAINER:
	case CREDS_P_IMDS:
		switch (creds_http_start(kinds[pv], cr->fetch, cr->cfg, p,
		    creds_http_done, cr, &cr->http, err, errlen)) {
		case 0:
			return CREDS_TRY_PENDING;
		case 1:
			return CREDS_TRY_SKIP;
		default:
			return CREDS_TRY_FAIL;
		}
	case CREDS_P_COUNT:
	default:
		break;
	}
	return CREDS_TRY_SKIP;
}

/* ---- outcomes ---------------------------------------------------------------- */

/* Schedules the refresh of fresh keys (none for static sources). */
static void
creds_schedule_refresh(struct creds *cr)
{
	long left, early;

	if (cr->keys.expires == 0 || !creds_refreshable(cr->provider))
		return;
	left = (long)(cr->keys.expires - time(NULL));
	early = left / 2 < CREDS_REFRESH_EARLY_S ? left / 2 :
	    CREDS_REFRESH_EARLY_S;
	/* Short-lived keys: still before they become unusable. */
	if (left - early > left - CREDS_EXPIRY_MARGIN_S - 1)
		early = CREDS_EXPIRY_MARGIN_S + 1;
	creds_arm(cr, left - early);
	log_debug("credentials: refresh from %s in %ld s", cr->source,
	    left - early > 0 ? left - early : 1);
}

/* Takes the keys in k (emptied) as the current ones. false when they are
 * expired already: nothing changes. */
static bool
creds_install(struct creds *cr, enum creds_provider pv, const char *source,
    struct creds_keys *k, char *err, size_t errlen)
{
	time_t now = time(NULL);
	char when[32] = "";

	/* From now on no log line, reply or status shows them, even quoted
	 * by a process or an endpoint (redact.c), expired or not. */
	redact_add_key_id(k->access_key_id);
	redact_add_secret(k->secret_access_key);
	redact_add_secret(k->session_token);
	if (k->expires != 0 && k->expires <= now + CREDS_EXPIRY_MARGIN_S) {
		snprintf(err, errlen, "%s: the keys it gave expire%s in %lld "
		    "s", source, k->expires < now ? "d" : "",
		    (long long)(k->expires - now));
		creds_keys_clear(k);
		return false;
	}
	creds_keys_clear(&cr->keys);
	cr->keys = *k;
	memset(k, 0, sizeof(*k));
	cr->provider = pv;
	snprintf(cr->source, sizeof(cr->source), "%s", source);
	cr->obtained = now;
	cr->failures = 0;
	cr->last_error[0] = '\0';
	cr->resolving = false;
	if (cr->keys.expires != 0) {
		struct tm tm;

		gmtime_r(&cr->keys.expires, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	log_info("credentials: from %s, access key id ending %s, %s%s%s",
	    cr->source, creds_tail(cr->keys.access_key_id),
	    cr->keys.expires != 0 ? "expire " : "no expiry", when,
	    cr->keys.session_token != NULL ? ", with a session token" : "");
	creds_schedule_refresh(cr);
	creds_notify(cr);
	return true;
}

static void
creds_note_failure(struct creds *cr, const char *err)
{
	redact_quote(cr->last_error, sizeof(cr->last_error), err, strlen(err));
	log_warn("credentials: %s", cr->last_error);
}

/* Backoff before retry number failures (>= 1): 1, 2, 4... 60 s, and
 * never later than half the time the current keys have left. */
static long
creds_backoff(const struct creds *cr)
{
	long delay = 1;

	for (unsigned i = 1; i < cr->failures && delay < CREDS_BACKOFF_MAX_S;
	    i++)
		delay *= 2;
	if (delay > CREDS_BACKOFF_MAX_S)
		delay = CREDS_BACKOFF_MAX_S;
	if (creds_valid(cr)) {
		long left = (long)(cr->keys.expires - time(NULL)) -
		    CREDS_EXPIRY_MARGIN_S;

		if (left / 2 < delay)
			delay = left / 2 > 1 ? left / 2 : 1;
	}
	return delay;
}

/* A refresh of the current provider failed. */
static void
creds_refresh_failed(struct creds *cr)
{
	long delay;

	cr->resolving = false;
	cr->failures++;
	delay = creds_backoff(cr);
	if (creds_valid(cr))
		log_warn("credentials: keeping the current keys from %s "
		    "(usable %lld s more); retry in %ld s", cr->source,
		    (long long)(cr->keys.expires - CREDS_EXPIRY_MARGIN_S -
			time(NULL)), delay);
	else
		log_warn("credentials: no valid keys; retry in %ld s", delay);
	creds_arm(cr, delay);
	creds_notify(cr);
}

/* Notes in this run's list why provider pv gave no keys. */
static void
creds_tried(struct creds *cr, enum creds_provider pv, const char *why)
{
	size_t n = strlen(cr->tried);
	char q[400];

	redact_quote(q, sizeof(q), why, strlen(why));
	if (n + 1 < sizeof(cr->tried))
		snprintf(cr->tried + n, sizeof(cr->tried) - n, "%s%s: %s",
		    n != 0 ? "; " : "", creds_providers[pv].label, q);
}

/* The error of a chain run without keys: every provider and why. */
static void
creds_chain_summary(struct creds *cr)
{
	snprintf(cr->last_error, sizeof(cr->last_error), "no credentials "
	    "found (profile %.64s); tried %s", creds_profile_name(),
	    cr->tried);
}

/* The whole chain ran without keys. */
static void
creds_chain_failed(struct creds *cr)
{
	cr->resolving = false;
	if (creds_valid(cr)) {
		log_warn("credentials: no provider yielded keys; keeping the "
		    "current ones from %s", cr->source);
		creds_schedule_refresh(cr);
	} else if (cr->attempted) {
		long delay;

		creds_chain_summary(cr);
		cr->failures++;
		delay = creds_backoff(cr);
		log_warn("credentials: %s; retry in %ld s", cr->last_error,
		    delay);
		creds_arm(cr, delay);
	} else {
		creds_chain_summary(cr);
		log_warn("credentials: %s; requests fail until SIGHUP finds "
		    "some", cr->last_error);
	}
	creds_notify(cr);
}

/* A provider that was pending answered (source: the chain of an
 * assume-role or SSO profile, else NULL). */
static void
creds_async_result(struct creds *cr, struct creds_keys *k,
    const char *source, const char *err)
{
	char why[CREDS_ERROR_MAX];

	if (k != NULL && creds_install(cr, cr->trying, source != NULL ?
	    source : creds_provider_name(cr->trying), k, why, sizeof(why)))
		return;
	creds_note_failure(cr, k != NULL ? why : err);
	cr->attempted = true;
	if (!cr->chain) {
		creds_refresh_failed(cr);
		return;
	}
	creds_tried(cr, cr->trying, k != NULL ? why : err);
	cr->trying++;
	creds_continue(cr);
}

/* Goes on from cr->trying: through the chain, or one refresh. */
static void
creds_continue(struct creds *cr)
{
	struct creds_profile prof;

	if (creds_profile_load(&prof) != 0) {
		creds_note_failure(cr, "out of memory reading the profile");
		if (cr->chain)
			creds_chain_failed(cr);
		else
			creds_refresh_failed(cr);
		return;
	}
	while (cr->trying < CREDS_P_COUNT) {
		struct creds_keys k;
		char err[CREDS_ERROR_MAX] = "", source[64];
		enum creds_try rc;

		memset(&k, 0, sizeof(k));
		rc = creds_try(cr, cr->trying, &prof, &k, source,
		    sizeof(source), err, sizeof(err));
		if (rc == CREDS_TRY_OK &&
		    creds_install(cr, cr->trying, source, &k, err,
			sizeof(err))) {
			creds_profile_free(&prof);
			return;
		}
		creds_keys_clear(&k);
		if (rc == CREDS_TRY_PENDING) {
			log_debug("credentials: asking %s",
			    creds_provider_name(cr->trying));
			creds_profile_free(&prof);
			return;
		}
		if (rc == CREDS_TRY_SKIP && !cr->chain)
			snprintf(err, sizeof(err), "%s is no longer "
			    "configured", creds_provider_name(cr->trying));
		if (rc != CREDS_TRY_SKIP || !cr->chain) {
			creds_note_failure(cr, err);
			cr->attempted = true;
		}
		if (cr->chain)
			creds_tried(cr, cr->trying, rc == CREDS_TRY_SKIP ?
			    creds_providers[cr->trying].unset : err);
		if (!cr->chain) {
			creds_profile_free(&prof);
			creds_refresh_failed(cr);
			return;
		}
		cr->trying++;
	}
	creds_profile_free(&prof);
	creds_chain_failed(cr);
}

/* Starts a run: the whole chain, or a refresh of the current provider. */
static void
creds_run(struct creds *cr, bool chain)
{
	creds_stop(cr);
	cr->resolving = true;
	cr->chain = chain;
	cr->attempted = false;
	cr->tried[0] = '\0';
	cr->trying = chain ? CREDS_P_ENV : cr->provider;
	if (!chain)
		log_debug("credentials: refreshing from %s", cr->source);
	creds_continue(cr);
}

/* libevent: time to refresh, or to retry. */
static void
creds_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct creds *cr = arg;

	if (cr->resolving)
		return;
	creds_run(cr, !(creds_valid(cr) && creds_refreshable(cr->provider)));
}

/* ---- the API ------------------------------------------------------------------- */

struct creds *
creds_new(struct event_base *base, const struct config *cfg)
{
	struct creds *cr = calloc(1, sizeof(*cr));

	if (cr == NULL)
		return NULL;
	cr->base = base;
	cr->cfg = cfg;
	snprintf(cr->source, sizeof(cr->source), "none");
	if ((cr->timer = evtimer_new(base, creds_timer_cb, cr)) == NULL ||
	    (cr->fetch = fetch_new(base)) == NULL) {
		if (cr->timer != NULL)
			event_free(cr->timer);
		free(cr);
		return NULL;
	}
	return cr;
}

void
creds_start(struct creds *cr, creds_changed_cb *changed, void *arg)
{
	cr->changed = changed;
	cr->changed_arg = arg;
	creds_run(cr, true);
}

int
creds_reload(struct creds *cr)
{
	log_info("credentials: resolving again from the top of the chain");
	creds_run(cr, true);
	return creds_valid(cr) || cr->resolving ? 0 : -1;
}

void
creds_free(struct creds *cr)
{
	if (cr == NULL)
		return;
	creds_stop(cr);
	fetch_free(cr->fetch);
	creds_keys_clear(&cr->keys);
	event_free(cr->timer);
	free(cr);
}

bool
creds_valid(const struct creds *cr)
{
	return cr->keys.access_key_id != NULL &&
	    cr->keys.secret_access_key != NULL &&
	    (cr->keys.expires == 0 ||
		time(NULL) < cr->keys.expires - CREDS_EXPIRY_MARGIN_S);
}

bool
creds_pending(const struct creds *cr)
{
	return cr->resolving && !creds_valid(cr);
}

const char *
creds_error(const struct creds *cr)
{
	/* why is a cache for the caller; the store itself is unchanged. */
	char *why = ((struct creds *)cr)->why;
	size_t len = sizeof(cr->why);

	if (creds_valid(cr))
		snprintf(why, len, "none");
	else if (cr->resolving)
		snprintf(why, len, "still being fetched from %s%s%s",
		    creds_provider_name(cr->trying),
		    cr->last_error[0] != '\0' ? "; last error: " : "",
		    cr->last_error);
	else if (cr->keys.access_key_id != NULL)
		snprintf(why, len, "the keys from %s expired%s%s", cr->source,
		    cr->last_error[0] != '\0' ? "; last error: " : "",
		    cr->last_error);
	else
		snprintf(why, len, "%s", cr->last_error[0] != '\0' ?
		    cr->last_error : "none loaded yet");
	return why;
}

const char *
creds_source(const struct creds *cr)
{
	return cr->source;
}

const char *
creds_session_token(const struct creds *cr)
{
	return cr->keys.session_token;
}

void
creds_get_info(const struct creds *cr, struct creds_info *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->source, sizeof(out->source), "%s", cr->source);
	snprintf(out->key_id_tail, sizeof(out->key_id_tail), "%s",
	    creds_tail(cr->keys.access_key_id));
	out->expires = cr->keys.expires;
	out->obtained = cr->keys.access_key_id != NULL ? cr->obtained : 0;
	snprintf(out->last_error, sizeof(out->last_error), "%s",
	    cr->last_error);
}

int
creds_sign(const struct creds *cr, const sigv4_request *req,
    sigv4_result *res)
{
	sigv4_key key;

	memset(res, 0, sizeof(*res));
	if (!creds_valid(cr))
		return -1;
	key.access_key_id = cr->keys.access_key_id;
	key.secret_access_key = cr->keys.secret_access_key;
	key.session_token = cr->keys.session_token;
	return sigv4_sign(req, &key, res);
}
