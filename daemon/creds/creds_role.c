/* SPDX-License-Identifier: MIT */
/*
 * creds_role.c: profiles whose keys come from somewhere else: a role
 * assumed with role_arn + source_profile or credential_source, and IAM
 * Identity Center (sso_session / sso_start_url) profiles.
 *
 * A run first walks the profiles, as botocore's AssumeRoleProvider does
 * (_resolve_source_credentials, _validate_source_profile): from the
 * profile the environment names along source_profile until a profile that
 * gives keys of its own. Each profile with role_arn on the way is one hop
 * (an STS AssumeRole call). The walk stops at a source profile with static
 * keys (they win over its own role_arn, and a profile may name itself as
 * source when it has keys), a web_identity_token_file profile, an SSO
 * profile or a credential_process profile; credential_source (Environment,
 * Ec2InstanceMetadata, EcsContainer) ends it too. A profile seen twice is a
 * cycle, refused with the chain named; mfa_serial is refused (a daemon
 * cannot prompt for a code).
 *
 * Then, on the loop: the source keys (creds_http.c, creds_process.c,
 * creds_sso.c, or at once for static and environment keys), and one
 * AssumeRole per hop from the innermost out, each signed with the keys
 * the previous step gave. Every key set of the way is added to redact.c's
 * list and wiped when replaced. The caller (creds.c) runs the whole walk
 * again to refresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "creds_int.h"
#include "log.h"
#include "redact.h"

#define CREDS_ROLE_MAX_HOPS 8

enum creds_role_base {
	BASE_STATIC,	   /* a source profile's own keys */
	BASE_ENV,	   /* credential_source = Environment */
	BASE_IMDS,	   /* ... Ec2InstanceMetadata */
	BASE_CONTAINER,	   /* ... EcsContainer */
	BASE_WEB_IDENTITY, /* a source profile's web_identity_token_file */
	BASE_PROCESS,	   /* ... its credential_process */
	BASE_SSO,	   /* ... its IAM Identity Center login */
};

/* One AssumeRole call: what its profile says. */
struct creds_role_hop {
	char *profile;
	char *role_arn;
	char *session_name;
	char *external_id;
	char *region;
	long duration_s;
};

struct creds_role {
	struct event_base *base;
	struct fetch *client;		/* the store's */
	const struct config *cfg;
	struct creds_profile top;	/* the named profile: STS endpoint */
	struct creds_profile src;	/* the profile with the source keys */
	enum creds_role_base base_kind;
	struct creds_keys keys;		/* the last step's keys (wiped) */
	struct creds_role_hop hops[CREDS_ROLE_MAX_HOPS]; /* [0]: top */
	int n_hops;
	int next;			/* the hop to call next, -1: done */
	bool base_done;			/* the source keys are in hand */
	struct creds_http *http;	/* the step in flight, one of these */
	struct creds_proc *proc;
	struct creds_sso *sso;
	char chain[256];		/* "sso(profile x) -> assume-role(..)" */
	creds_role_cb *cb;
	void *arg;
};

static void
creds_role_free(struct creds_role *r)
{
	creds_http_cancel(r->http);
	creds_proc_cancel(r->proc);
	creds_sso_cancel(r->sso);
	creds_profile_free(&r->top);
	creds_profile_free(&r->src);
	creds_keys_clear(&r->keys);
	for (int i = 0; i < r->n_hops; i++) {
		free(r->hops[i].profile);
		free(r->hops[i].role_arn);
		free(r->hops[i].session_name);
		free(r->hops[i].external_id);
		free(r->hops[i].region);
	}
	free(r);
}

void
creds_role_cancel(struct creds_role *r)
{
	if (r != NULL)
		creds_role_free(r);
}

/* Appends "name(detail)" (detail NULL: "name") to the chain's
 * description, after " -> " unless first; truncated when very long. */
static void
creds_role_describe(struct creds_role *r, const char *name,
    const char *detail)
{
	size_t n = strlen(r->chain);

	if (n + 1 < sizeof(r->chain))
		snprintf(r->chain + n, sizeof(r->chain) - n, "%s%s%s%s%s",
		    n != 0 ? " -> " : "", name, detail != NULL ? "(" : "",
		    detail != NULL ? detail : "", detail != NULL ? ")" : "");
}

/* The same with "name(profile PROFILE)". */
static void
creds_role_describe_profile(struct creds_role *r, const char *name,
    const char *profile)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "profile %.80s", profile);
	creds_role_describe(r, name, detail);
}

/* ---- the walk -------------------------------------------------------------------- */

static bool
creds_role_has_role(const struct creds_profile *p)
{
	return p->role_arn != NULL &&
	    (p->source_profile != NULL || p->credential_source != NULL);
}

/* Records profile p's role as the next hop; -1 with err. */
static int
creds_role_add_hop(struct creds_role *r, const struct creds_profile *p,
    char *err, size_t errlen)
{
	struct creds_role_hop *h;
	char *end;

	if (r->n_hops == CREDS_ROLE_MAX_HOPS) {
		snprintf(err, errlen, "profile %.64s: more than %d roles in "
		    "a source_profile chain", r->top.name,
		    CREDS_ROLE_MAX_HOPS);
		return -1;
	}
	if (p->mfa_serial != NULL) {
		snprintf(err, errlen, "profile %.64s: mfa_serial is set, but "
		    "dyntabled cannot prompt for an MFA code; use a profile "
		    "without mfa_serial (or a credential_process that gets "
		    "the keys)", p->name);
		return -1;
	}
	if (p->source_profile != NULL && p->credential_source != NULL) {
		snprintf(err, errlen, "profile %.64s has both source_profile "
		    "and credential_source", p->name);
		return -1;
	}
	h = &r->hops[r->n_hops++];
	if (p->duration_seconds != NULL) {
		errno = 0;
		h->duration_s = strtol(p->duration_seconds, &end, 10);
		if (errno != 0 || *end != '\0' || h->duration_s < 900 ||
		    h->duration_s > 43200) {
			snprintf(err, errlen, "profile %.64s: duration_seconds "
			    "must be a number of seconds from 900 to 43200",
			    p->name);
			return -1;
		}
	}
	if ((h->profile = strdup(p->name)) == NULL ||
	    (h->role_arn = strdup(p->role_arn)) == NULL ||
	    (p->role_session_name != NULL &&
		(h->session_name = strdup(p->role_session_name)) == NULL) ||
	    (p->external_id != NULL &&
		(h->external_id = strdup(p->external_id)) == NULL) ||
	    (p->region != NULL && (h->region = strdup(p->region)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* credential_source's value as a base; -1 with err when unknown. */
static int
creds_role_source_base(const struct creds_profile *p,
    enum creds_role_base *out, char *err, size_t errlen)
{
	if (strcmp(p->credential_source, "Environment") == 0)
		*out = BASE_ENV;
	else if (strcmp(p->credential_source, "Ec2InstanceMetadata") == 0)
		*out = BASE_IMDS;
	else if (strcmp(p->credential_source, "EcsContainer") == 0)
		*out = BASE_CONTAINER;
	else {
		snprintf(err, errlen, "profile %.64s: credential_source must "
		    "be Environment, Ec2InstanceMetadata or EcsContainer",
		    p->name);
		return -1;
	}
	return 0;
}

/* "a -> b -> c" of the names seen, then name, into buf. */
static void
creds_role_cycle(char *buf, size_t len, char (*seen)[65], int n,
    const char *name)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off + 1 < len; i++) {
		snprintf(buf + off, len - off, "%.48s -> ", seen[i]);
		off += strlen(buf + off);
	}
	if (off + 1 < len)
		snprintf(buf + off, len - off, "%.48s", name);
}

/*
 * Walks from r->top along source_profile, filling hops, base_kind and
 * src (and keys for static ones). 0, or -1 with err.
 */
static int
creds_role_walk(struct creds_role *r, const struct creds_files *files,
    char *err, size_t errlen)
{
	char seen[CREDS_ROLE_MAX_HOPS + 1][65]; /* the names walked */
	const struct creds_profile *cur = &r->top;
	struct creds_profile next;
	int n_seen = 0, rc = -1;

	memset(&next, 0, sizeof(next));
	snprintf(seen[n_seen++], sizeof(seen[0]), "%s", r->top.name);
	for (;;) {
		const char *sname;
		bool keys, again = false;

		if (creds_role_add_hop(r, cur, err, errlen) != 0)
			goto out;
		if (cur->credential_source != NULL) {
			if (creds_role_source_base(cur, &r->base_kind, err,
				errlen) != 0)
				goto out;
			break;
		}
		sname = cur->source_profile;
		creds_profile_free(&r->src);
		if (creds_profile_from(&r->src, files, sname) != 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (!r->src.found) {
			snprintf(err, errlen, "profile %.64s: its "
			    "source_profile %.64s is in neither the config nor "
			    "the credentials file", cur->name, sname);
			goto out;
		}
		keys = r->src.keys_from != CREDS_KEYS_NONE;
		for (int i = 0; i < n_seen; i++)
			if (strcmp(seen[i], sname) == 0)
				again = true;
		/* A profile may be its own source when it has keys. */
		if (again && !(keys && strcmp(sname, cur->name) == 0)) {
			char chain[200];

			creds_role_cycle(chain, sizeof(chain), seen, n_seen,
			    sname);
			snprintf(err, errlen, "profile %.64s: source_profile "
			    "cycle %s", r->top.name, chain);
			goto out;
		}
		if (keys) {
			r->base_kind = BASE_STATIC;
			if (!creds_keys_dup(&r->src.keys, &r->keys)) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			break;
		}
		if (creds_role_has_role(&r->src)) {
			/* The source assumes a role too: one more hop. */
			creds_profile_free(&next);
			next = r->src;
			memset(&r->src, 0, sizeof(r->src));
			cur = &next;
			if (n_seen <= CREDS_ROLE_MAX_HOPS)
				snprintf(seen[n_seen++], sizeof(seen[0]), "%s",
				    next.name);
			continue;
		}
		if (r->src.web_identity_token_file != NULL &&
		    r->src.role_arn != NULL)
			r->base_kind = BASE_WEB_IDENTITY;
		else if (r->src.sso_session != NULL ||
		    r->src.sso_start_url != NULL)
			r->base_kind = BASE_SSO;
		else if (r->src.credential_process != NULL)
			r->base_kind = BASE_PROCESS;
		else {
			snprintf(err, errlen, "profile %.64s (source_profile "
			    "of %.64s) has no credentials: no keys, role_arn, "
			    "web_identity_token_file, sso_session or "
			    "credential_process", sname, cur->name);
			goto out;
		}
		break;
	}
	rc = 0;
out:
	creds_profile_free(&next);
	return rc;
}

/* ---- the run ---------------------------------------------------------------------- */

static void creds_role_step_done(void *arg, struct creds_keys *k,
    const char *err);

/* Delivers and frees r. */
static void
creds_role_finish(struct creds_role *r, const char *err)
{
	creds_role_cb *cb = r->cb;
	void *arg = r->arg;
	struct creds_keys k = r->keys;
	char chain[sizeof(r->chain)];

	memset(&r->keys, 0, sizeof(r->keys));
	snprintf(chain, sizeof(chain), "%s", r->chain);
	r->http = NULL; /* delivered: their owners freed them */
	r->proc = NULL;
	r->sso = NULL;
	creds_role_free(r);
	cb(arg, err == NULL ? &k : NULL, chain, err);
	creds_keys_clear(&k);
}

/* Calls the next hop's AssumeRole with the keys in hand. false with err. */
static bool
creds_role_next_hop(struct creds_role *r, char *err, size_t errlen)
{
	const struct creds_role_hop *h = &r->hops[r->next];
	struct creds_assume a = {
		.role_arn = h->role_arn,
		.session_name = h->session_name,
		.external_id = h->external_id,
		.duration_s = h->duration_s,
		.region = h->region,
		.source = &r->keys,
	};
	char why[256];

	log_debug("credentials: profile %s: assuming %s", h->profile,
	    h->role_arn);
	if (creds_http_assume_role(r->client, r->cfg, &r->top, &a,
		creds_role_step_done, r, &r->http, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "profile %.64s: %s", h->profile, why);
		return false;
	}
	return true;
}

/* A step ended: the source keys, or a hop's. */
static void
creds_role_step_done(void *arg, struct creds_keys *k, const char *err)
{
	struct creds_role *r = arg;
	char why[400];

	r->http = NULL;
	r->proc = NULL;
	r->sso = NULL;
	if (k == NULL) {
		if (r->base_done) /* the hop that just ran */
			snprintf(why, sizeof(why), "profile %.64s: %s",
			    r->hops[r->next + 1].profile, err);
		else
			snprintf(why, sizeof(why), "profile %.64s: %s: %s",
			    r->top.name, r->chain, err);
		creds_role_finish(r, why);
		return;
	}
	r->base_done = true;
	/* Intermediate keys never pass creds_install(): redact them here. */
	redact_add_key_id(k->access_key_id);
	redact_add_secret(k->secret_access_key);
	redact_add_secret(k->session_token);
	creds_keys_clear(&r->keys);
	r->keys = *k;
	memset(k, 0, sizeof(*k));
	if (r->next < 0) {
		creds_role_finish(r, NULL);
		return;
	}
	creds_role_describe(r, "assume-role",
	    r->hops[r->next].role_arn);
	if (!creds_role_next_hop(r, why, sizeof(why))) {
		creds_role_finish(r, why);
		return;
	}
	r->next--;
}

/* Starts getting the source keys. 0 started, -1 with err. */
static int
creds_role_start_base(struct creds_role *r, char *err, size_t errlen)
{
	char why[320] = "";
	int rc;

	switch (r->base_kind) {
	case BASE_STATIC:
		creds_role_describe_profile(r, "static-keys", r->src.name);
		return 0;
	case BASE_ENV:
		creds_role_describe(r, "environment", NULL);
		if ((rc = creds_keys_from_env(&r->keys, why, sizeof(why))) ==
		    1)
			snprintf(why, sizeof(why), "AWS_ACCESS_KEY_ID and "
			    "AWS_SECRET_ACCESS_KEY are not set");
		break;
	case BASE_IMDS:
	case BASE_CONTAINER:
		creds_role_describe(r, r->base_kind == BASE_IMDS ? "imds" :
		    "container", NULL);
		rc = creds_http_start(r->base_kind == BASE_IMDS ?
		    CREDS_HTTP_IMDS : CREDS_HTTP_CONTAINER, r->client, r->cfg,
		    &r->top, creds_role_step_done, r, &r->http, why,
		    sizeof(why));
		if (rc == 1)
			snprintf(why, sizeof(why), "%s", r->base_kind ==
			    BASE_IMDS ? "instance metadata is disabled "
			    "(AWS_EC2_METADATA_DISABLED)" : "neither "
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
		break;
	case BASE_WEB_IDENTITY:
		creds_role_describe_profile(r, "web-identity", r->src.name);
		rc = creds_http_start(CREDS_HTTP_WEB_IDENTITY_PROFILE,
		    r->client, r->cfg, &r->src, creds_role_step_done, r,
		    &r->http, why, sizeof(why));
		break;
	case BASE_PROCESS:
		creds_role_describe_profile(r, "credential-process", r->src.name);
		r->proc = creds_proc_start(r->base, r->src.credential_process,
		    r->cfg->creds_timeout_ms, creds_role_step_done, r, why,
		    sizeof(why));
		rc = r->proc != NULL ? 0 : -1;
		break;
	case BASE_SSO:
	default:
		creds_role_describe_profile(r, "sso", r->src.name);
		rc = creds_sso_start(r->client, r->cfg, &r->src,
		    creds_role_step_done, r, &r->sso, why, sizeof(why));
		break;
	}
	if (rc != 0) {
		snprintf(err, errlen, "profile %.64s: %s: %s", r->top.name,
		    r->chain, why);
		return -1;
	}
	return 0;
}

int
creds_role_start(enum creds_role_kind kind, struct event_base *base,
    struct fetch *f, const struct config *cfg, creds_role_cb *cb, void *arg,
    struct creds_role **out, char *err, size_t errlen)
{
	struct creds_files files;
	struct creds_role *r;
	int rc = -1;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->base = base;
	r->client = f;
	r->cfg = cfg;
	r->cb = cb;
	r->arg = arg;
	creds_files_load(&files);
	if (creds_profile_from(&r->top, &files, creds_profile_name()) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (kind == CREDS_ROLE_ASSUME) {
		if (!creds_role_has_role(&r->top)) {
			rc = 1;
			goto out;
		}
		if (creds_role_walk(r, &files, err, errlen) != 0)
			goto out;
	} else {
		if ((r->top.sso_session == NULL &&
			r->top.sso_start_url == NULL) ||
		    creds_role_has_role(&r->top)) {
			rc = 1;
			goto out;
		}
		r->base_kind = BASE_SSO;
		creds_profile_free(&r->src);
		if (creds_profile_from(&r->src, &files, r->top.name) != 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	r->next = r->n_hops - 1;
	if (creds_role_start_base(r, err, errlen) != 0)
		goto out;
	/* Static and environment keys are in hand: the first hop now. */
	if (r->base_kind == BASE_STATIC || r->base_kind == BASE_ENV) {
		r->base_done = true;
		redact_add_key_id(r->keys.access_key_id);
		redact_add_secret(r->keys.secret_access_key);
		redact_add_secret(r->keys.session_token);
		creds_role_describe(r, "assume-role",
		    r->hops[r->next].role_arn);
		if (!creds_role_next_hop(r, err, errlen))
			goto out;
		r->next--;
	}
	rc = 0;
out:
	creds_files_free(&files);
	if (rc != 0) {
		creds_role_free(r);
		return rc;
	}
	*out = r;
	return 0;
}
