/* SPDX-License-Identifier: MIT */
/*
 * creds_sso.c: IAM Identity Center (SSO) profiles, logged in with
 * `aws sso login`.
 *
 * The AWS CLI v2 keeps the login in ~/.aws/sso/cache/HEX.json, HEX the
 * SHA-1 of the sso_session name, or of sso_start_url for legacy profiles
 * without one (botocore's SSOTokenLoader._generate_cache_key). It holds
 * accessToken and expiresAt and, for sso_session logins, refreshToken,
 * clientId, clientSecret and registrationExpiresAt.
 *
 * A run: read the cache; when the token expires within
 * CREDS_SSO_REFRESH_WINDOW_S (botocore's 15 minutes) and the cache holds
 * a refresh token and an unexpired client registration, ask SSO OIDC
 * CreateToken (refresh_token grant) for a new one and write the cache back
 * (a new file in the same directory, mode 0600, renamed over the old); then
 * call the portal's GetRoleCredentials with the token as bearer for
 * sso_account_id and sso_role_name. A failed refresh still uses a token
 * that is valid; an expired login says to run `aws sso login`.
 *
 * Endpoints: AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO (the SDKs'
 * names for the two services, used by the tests), else AWS_ENDPOINT_URL,
 * else https://oidc.REGION.amazonaws.com and
 * https://portal.sso.REGION.amazonaws.com (REGION: sso_region).
 *
 * Every token, secret and reply is wiped when freed (JSON through
 * jansson with a wiping allocator) and added to redact.c's list; messages
 * name fields and files, never values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "creds_int.h"
#include "fetch.h"
#include "log.h"
#include "redact.h"

#define CREDS_SSO_REFRESH_WINDOW_S ((time_t)15 * 60)

enum creds_sso_step { SSO_STEP_OIDC, SSO_STEP_PORTAL };

struct creds_sso {
	struct fetch *client;	/* the store's */
	const struct config *cfg;
	struct fetch_xfer *fetch;
	enum creds_sso_step step;
	char *profile;		/* for messages */
	char *cache_path;
	char *oidc_url;		/* .../token */
	char *portal_url;	/* .../federation/credentials?... */
	char *token;		/* the access token: wiped */
	time_t token_expires;
	creds_http_cb *cb;
	void *arg;
};

/* ---- JSON with a wiping allocator --------------------------------------------- */

/* jansson's allocator is global: swapped for the wiping one around each
 * use, as creds_parse.c does (single-threaded loop). */
struct creds_sso_alloc {
	json_malloc_t m;
	json_free_t f;
};

static void *
creds_sso_malloc(size_t n)
{
	return malloc(n);
}

static void
creds_sso_alloc_on(struct creds_sso_alloc *saved)
{
	json_get_alloc_funcs(&saved->m, &saved->f);
	json_set_alloc_funcs(creds_sso_malloc, creds_secure_free);
}

static void
creds_sso_alloc_off(const struct creds_sso_alloc *saved)
{
	json_set_alloc_funcs(saved->m, saved->f);
}

/* A string member of obj, or NULL. */
static const char *
creds_sso_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) && json_string_length(v) != 0 ?
	    json_string_value(v) : NULL;
}

/* ---- the token cache ------------------------------------------------------------ */

/* ~/.aws/sso/cache/SHA1HEX(key).json, malloc'd; NULL without a home. */
static char *
creds_sso_cache_path(const char *key)
{
	const char *home = getenv("HOME");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], *path;

	if (home == NULL || *home == '\0' ||
	    EVP_Digest(key, strlen(key), md, &n, EVP_sha1(), NULL) != 1)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * (size_t)i, 3, "%02x", md[i]);
	if (asprintf(&path, "%s/.aws/sso/cache/%s.json", home, hex) < 0)
		return NULL;
	return path;
}

/* What a run needs of the cache. Strings malloc'd and wiped. */
struct creds_sso_cache {
	char *access_token, *refresh_token, *client_id, *client_secret;
	time_t expires, registration_expires; /* 0: absent */
};

static void
creds_sso_cache_clear(struct creds_sso_cache *c)
{
	creds_wipe_str(&c->access_token);
	creds_wipe_str(&c->refresh_token);
	creds_wipe_str(&c->client_id);
	creds_wipe_str(&c->client_secret);
	memset(c, 0, sizeof(*c));
}

/* Loads the cache file. 0; 1 when there is none; -1 with err. */
static int
creds_sso_cache_read(const char *path, struct creds_sso_cache *c, char *err,
    size_t errlen)
{
	struct creds_sso_alloc saved;
	char why[256], *text;
	json_error_t jerr;
	const char *v;
	bool missing;
	json_t *j;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if ((text = creds_file_read_secret(path, &missing, why,
		 sizeof(why))) == NULL) {
		if (missing)
			return 1;
		snprintf(err, errlen, "%.250s", why);
		return -1;
	}
	creds_sso_alloc_on(&saved);
	j = json_loads(text, 0, &jerr);
	creds_wipe_str(&text);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "%.200s is not a JSON object (line %d)",
		    path, jerr.line);
		goto out;
	}
	if ((v = creds_sso_str(j, "accessToken")) == NULL ||
	    (c->access_token = strdup(v)) == NULL ||
	    (v = creds_sso_str(j, "expiresAt")) == NULL ||
	    creds_parse_time(v, &c->expires) != 0) {
		snprintf(err, errlen, "%.200s lacks accessToken or a valid "
		    "expiresAt", path);
		goto out;
	}
	if ((v = creds_sso_str(j, "registrationExpiresAt")) != NULL &&
	    creds_parse_time(v, &c->registration_expires) != 0)
		c->registration_expires = 0;
	if (((v = creds_sso_str(j, "refreshToken")) != NULL &&
		(c->refresh_token = strdup(v)) == NULL) ||
	    ((v = creds_sso_str(j, "clientId")) != NULL &&
		(c->client_id = strdup(v)) == NULL) ||
	    ((v = creds_sso_str(j, "clientSecret")) != NULL &&
		(c->client_secret = strdup(v)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	redact_add_secret(c->access_token);
	redact_add_secret(c->refresh_token);
	redact_add_secret(c->client_secret);
	rc = 0;
out:
	json_decref(j);
	creds_sso_alloc_off(&saved);
	OPENSSL_cleanse(&jerr, sizeof(jerr));
	if (rc != 0)
		creds_sso_cache_clear(c);
	return rc;
}

/* Writes bytes to a new file next to path (mode 0600) and renames it over
 * path, as the CLI's own cache writes do. false with err. */
static bool
creds_sso_write_atomic(const char *path, const char *bytes, size_t len,
    char *err, size_t errlen)
{
	char *tmp;
	size_t off = 0;
	int fd;
	bool ok;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%.200s: %s", tmp, strerror(errno));
		free(tmp);
		return false;
	}
	(void)fchmod(fd, 0600); /* mkostemp's mode, said once more */
	while (off < len) {
		ssize_t n = write(fd, bytes + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	ok = off == len && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "writing %.200s: %s", path,
		    strerror(errno));
		unlink(tmp);
		free(tmp);
		return false;
	}
	free(tmp);
	return true;
}

/* Puts the refreshed token into the cache file, keeping its other
 * members. Failure is logged: the token still serves this run. */
static void
creds_sso_cache_update(const char *path, const char *token, time_t expires,
    const char *refresh_token)
{
	struct creds_sso_alloc saved;
	char why[256], when[32], *text, *out = NULL;
	json_error_t jerr;
	struct tm tm;
	bool missing;
	json_t *j = NULL;

	gmtime_r(&expires, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((text = creds_file_read_secret(path, &missing, why,
		 sizeof(why))) == NULL) {
		log_warn("credentials: cannot update the IAM Identity Center "
		    "token cache: %s", why);
		return;
	}
	creds_sso_alloc_on(&saved);
	j = json_loads(text, 0, &jerr);
	creds_wipe_str(&text);
	if (!json_is_object(j) ||
	    json_object_set_new(j, "accessToken", json_string(token)) != 0 ||
	    json_object_set_new(j, "expiresAt", json_string(when)) != 0 ||
	    (refresh_token != NULL && json_object_set_new(j, "refreshToken",
		json_string(refresh_token)) != 0) ||
	    (out = json_dumps(j, JSON_INDENT(2))) == NULL) {
		log_warn("credentials: cannot update the IAM Identity Center "
		    "token cache %s (not a JSON object, or out of memory)",
		    path);
	} else if (!creds_sso_write_atomic(path, out, strlen(out), why,
	    sizeof(why))) {
		log_warn("credentials: cannot update the IAM Identity Center "
		    "token cache: %s", why);
	} else {
		log_info("credentials: refreshed the IAM Identity Center "
		    "token in %s (expires %s)", path, when);
	}
	if (out != NULL)
		creds_secure_free(out);
	json_decref(j);
	creds_sso_alloc_off(&saved);
	OPENSSL_cleanse(&jerr, sizeof(jerr));
}

/* ---- the run -------------------------------------------------------------------- */

static void
creds_sso_free(struct creds_sso *s)
{
	fetch_cancel(s->fetch);
	free(s->profile);
	free(s->cache_path);
	free(s->oidc_url);
	free(s->portal_url);
	creds_wipe_str(&s->token);
	free(s);
}

void
creds_sso_cancel(struct creds_sso *s)
{
	if (s != NULL)
		creds_sso_free(s);
}

static void
creds_sso_done(struct creds_sso *s, struct creds_keys *k, const char *err)
{
	creds_http_cb *cb = s->cb;
	void *arg = s->arg;

	s->fetch = NULL;
	creds_sso_free(s);
	cb(arg, k, err);
}

static void creds_sso_reply(void *arg, const fetch_reply *r);

static bool
creds_sso_send(struct creds_sso *s, const char *method, const char *url,
    const char *const *headers, const char *body, char *err, size_t errlen)
{
	fetch_req req = {
		.method = method,
		.url = url,
		.headers = headers,
		.body = body,
		.body_len = body != NULL ? strlen(body) : 0,
		.timeout_ms = s->cfg->creds_timeout_ms,
	};

	log_debug("credentials: %s %s", method, url);
	if ((s->fetch = fetch_start(s->client, &req, creds_sso_reply, s)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	return true;
}

/* GetRoleCredentials with the current token. */
static bool
creds_sso_portal(struct creds_sso *s, char *err, size_t errlen)
{
	const char *headers[3] = { "Accept: application/json", NULL, NULL };
	char *auth = NULL;
	bool ok;

	if (asprintf(&auth, "x-amz-sso_bearer_token: %s", s->token) < 0) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	headers[1] = auth;
	s->step = SSO_STEP_PORTAL;
	ok = creds_sso_send(s, "GET", s->portal_url, headers, NULL, err,
	    errlen);
	creds_wipe_str(&auth);
	return ok;
}

/* CreateToken with the refresh-token grant. */
static bool
creds_sso_refresh(struct creds_sso *s, const struct creds_sso_cache *c,
    char *err, size_t errlen)
{
	static const char *const headers[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		NULL,
	};
	struct creds_sso_alloc saved;
	json_t *j;
	char *body;
	bool ok = false;

	creds_sso_alloc_on(&saved);
	j = json_pack("{s:s,s:s,s:s,s:s}", "clientId", c->client_id,
	    "clientSecret", c->client_secret, "grantType", "refresh_token",
	    "refreshToken", c->refresh_token);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	creds_sso_alloc_off(&saved);
	if (body == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	s->step = SSO_STEP_OIDC;
	ok = creds_sso_send(s, "POST", s->oidc_url, headers, body, err,
	    errlen);
	creds_secure_free(body);
	return ok;
}

/* "... run aws sso login --profile NAME" for an unusable login. */
static void
creds_sso_login_hint(const struct creds_sso *s, char *err, size_t errlen,
    const char *what)
{
	/* Cut when it does not fit (a long profile name): still readable. */
	if (snprintf(err, errlen, "IAM Identity Center: %s: run `aws sso "
	    "login --profile %.64s`", what, s->profile) < 0)
		err[0] = '\0';
}

/* The OIDC answer: a new token (used, and written to the cache), or a
 * failure (the old token serves if still valid). */
static bool
creds_sso_take_token(struct creds_sso *s, const fetch_reply *r, char *err,
    size_t errlen)
{
	struct creds_sso_alloc saved;
	const char *token = NULL, *refresh = NULL;
	json_error_t jerr;
	json_t *j = NULL, *exp;
	time_t expires;
	bool ok = false;

	creds_sso_alloc_on(&saved);
	if (r->error == NULL && r->http_status == 200 &&
	    (j = json_loadb(r->body, r->body_len, 0, &jerr)) != NULL &&
	    (token = creds_sso_str(j, "accessToken")) != NULL &&
	    json_is_integer(exp = json_object_get(j, "expiresIn")) &&
	    json_integer_value(exp) > 0) {
		expires = time(NULL) + (time_t)json_integer_value(exp);
		refresh = creds_sso_str(j, "refreshToken");
		redact_add_secret(token);
		redact_add_secret(refresh);
		creds_wipe_str(&s->token);
		if ((s->token = strdup(token)) != NULL) {
			s->token_expires = expires;
			creds_sso_cache_update(s->cache_path, token, expires,
			    refresh);
			ok = true;
		}
	}
	json_decref(j);
	creds_sso_alloc_off(&saved);
	OPENSSL_cleanse(&jerr, sizeof(jerr));
	if (ok)
		return true;
	if (r->error != NULL)
		snprintf(err, errlen, "SSO OIDC CreateToken: %.150s",
		    r->error);
	else
		snprintf(err, errlen, "SSO OIDC CreateToken: HTTP %ld%s",
		    r->http_status, r->http_status == 200 ?
		    " without accessToken and expiresIn" : "");
	return false;
}

/* The portal's answer: {"roleCredentials": {...}}, expiration in ms. */
static int
creds_sso_parse_role(const fetch_reply *r, struct creds_keys *k, char *err,
    size_t errlen)
{
	struct creds_sso_alloc saved;
	json_error_t jerr;
	json_t *j, *rc_obj, *exp;
	const char *id, *secret, *token;
	int rc = -1;

	creds_sso_alloc_on(&saved);
	j = json_loadb(r->body, r->body_len, 0, &jerr);
	rc_obj = json_object_get(j, "roleCredentials");
	id = creds_sso_str(rc_obj, "accessKeyId");
	secret = creds_sso_str(rc_obj, "secretAccessKey");
	token = creds_sso_str(rc_obj, "sessionToken");
	exp = json_object_get(rc_obj, "expiration");
	if (id == NULL || secret == NULL || token == NULL ||
	    !json_is_integer(exp) || json_integer_value(exp) <= 0) {
		snprintf(err, errlen, "GetRoleCredentials: the reply lacks "
		    "roleCredentials accessKeyId, secretAccessKey, "
		    "sessionToken or expiration");
	} else if ((k->access_key_id = strdup(id)) == NULL ||
	    (k->secret_access_key = strdup(secret)) == NULL ||
	    (k->session_token = strdup(token)) == NULL) {
		snprintf(err, errlen, "out of memory");
	} else {
		k->expires = (time_t)(json_integer_value(exp) / 1000);
		rc = 0;
	}
	json_decref(j);
	creds_sso_alloc_off(&saved);
	OPENSSL_cleanse(&jerr, sizeof(jerr));
	if (rc != 0)
		creds_keys_clear(k);
	return rc;
}

static void
creds_sso_reply(void *arg, const fetch_reply *r)
{
	struct creds_sso *s = arg;
	struct creds_keys keys;
	char err[320] = "", why[200] = "";

	s->fetch = NULL;
	memset(&keys, 0, sizeof(keys));
	log_debug("credentials: HTTP %ld%s%s", r->http_status,
	    r->error != NULL ? ", " : "", r->error != NULL ? r->error : "");
	if (s->step == SSO_STEP_OIDC) {
		if (!creds_sso_take_token(s, r, why, sizeof(why))) {
			if (s->token_expires <= time(NULL) +
			    CREDS_EXPIRY_MARGIN_S) {
				char what[256];

				snprintf(what, sizeof(what), "the login "
				    "expired and refreshing it failed (%s)",
				    why);
				creds_sso_login_hint(s, err, sizeof(err),
				    what);
				goto fail;
			}
			log_warn("credentials: %s; the cached token is valid "
			    "%lld s more", why,
			    (long long)(s->token_expires - time(NULL)));
		}
		if (!creds_sso_portal(s, err, sizeof(err)))
			goto fail;
		return;
	}
	if (r->error != NULL) {
		snprintf(err, sizeof(err), "IAM Identity Center "
		    "GetRoleCredentials: %.200s", r->error);
		goto fail;
	}
	if (r->http_status == 401) {
		creds_sso_login_hint(s, err, sizeof(err), "the portal "
		    "rejected the cached token (HTTP 401)");
		goto fail;
	}
	if (r->http_status == 403) {
		snprintf(err, sizeof(err), "IAM Identity Center "
		    "GetRoleCredentials: HTTP 403: profile %.64s may not use "
		    "sso_role_name in sso_account_id (ForbiddenException)",
		    s->profile);
		goto fail;
	}
	if (r->http_status != 200) {
		snprintf(err, sizeof(err), "IAM Identity Center "
		    "GetRoleCredentials: HTTP %ld", r->http_status);
		goto fail;
	}
	if (creds_sso_parse_role(r, &keys, why, sizeof(why)) != 0) {
		snprintf(err, sizeof(err), "IAM Identity Center: %s", why);
		goto fail;
	}
	creds_sso_done(s, &keys, NULL);
	creds_keys_clear(&keys);
	return;
fail:
	creds_sso_done(s, NULL, err);
}

/* The endpoint for service (env_name), else https://HOST.REGION.amazonaws.com. */
static char *
creds_sso_endpoint(const struct creds_profile *p, const char *env_name,
    const char *host, const char *region)
{
	const char *v = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	bool ignore = v != NULL && *v != '\0' ? config_bool(v, false) :
	    p->ignore_configured_endpoint_urls == 1;
	char *url = NULL;
	size_t n;

	if (!ignore && (((v = getenv(env_name)) != NULL && *v != '\0') ||
	    ((v = getenv("AWS_ENDPOINT_URL")) != NULL && *v != '\0')))
		url = strdup(v);
	else if (asprintf(&url, "https://%s.%s.amazonaws.com", host,
	    region) < 0)
		url = NULL;
	if (url != NULL) /* a trailing slash would double in the path */
		for (n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
			url[n - 1] = '\0';
	return url;
}

int
creds_sso_start(struct fetch *f, const struct config *cfg,
    const struct creds_profile *p, creds_http_cb *cb, void *arg,
    struct creds_sso **out, char *err, size_t errlen)
{
	static const char *const no_http_hosts[] = { NULL };
	const char *start_url, *region, *key;
	struct creds_sso_cache c;
	struct creds_sso *s;
	char *acct = NULL, *role = NULL, *base = NULL;
	int rc;
	bool refreshable;
	time_t now = time(NULL);

	*out = NULL;
	if (p->sso_session == NULL && p->sso_start_url == NULL)
		return 1;
	if (p->sso_session != NULL && p->sso_session_missing) {
		snprintf(err, errlen, "profile %.64s: sso_session %.64s names "
		    "no [sso-session %.64s] section", p->name, p->sso_session,
		    p->sso_session);
		return -1;
	}
	start_url = p->sso_session != NULL ? p->sso_session_start_url :
	    p->sso_start_url;
	region = p->sso_session != NULL ? p->sso_session_region :
	    p->sso_region;
	key = p->sso_session != NULL ? p->sso_session : p->sso_start_url;
	if (start_url == NULL || region == NULL || p->sso_account_id == NULL ||
	    p->sso_role_name == NULL) {
		snprintf(err, errlen, "profile %.64s: IAM Identity Center "
		    "needs sso_start_url, sso_region, sso_account_id and "
		    "sso_role_name", p->name);
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->client = f;
	s->cfg = cfg;
	s->cb = cb;
	s->arg = arg;
	acct = curl_easy_escape(NULL, p->sso_account_id, 0);
	role = curl_easy_escape(NULL, p->sso_role_name, 0);
	if ((s->profile = strdup(p->name)) == NULL ||
	    (s->cache_path = creds_sso_cache_path(key)) == NULL ||
	    (base = creds_sso_endpoint(p, "AWS_ENDPOINT_URL_SSO_OIDC",
		"oidc", region)) == NULL ||
	    asprintf(&s->oidc_url, "%s/token", base) < 0) {
		s->oidc_url = NULL;
		snprintf(err, errlen, "out of memory or no home directory");
		goto fail;
	}
	free(base);
	if ((base = creds_sso_endpoint(p, "AWS_ENDPOINT_URL_SSO",
		"portal.sso", region)) == NULL ||
	    acct == NULL || role == NULL ||
	    asprintf(&s->portal_url, "%s/federation/credentials?account_id=%s"
		"&role_name=%s", base, acct, role) < 0) {
		s->portal_url = NULL;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!config_url_allowed(cfg, s->oidc_url, no_http_hosts, err,
		errlen) ||
	    !config_url_allowed(cfg, s->portal_url, no_http_hosts, err,
		errlen))
		goto fail;
	if ((rc = creds_sso_cache_read(s->cache_path, &c, err, errlen)) != 0) {
		if (rc == 1) {
			char what[300];

			snprintf(what, sizeof(what), "no cached login (%.200s)",
			    s->cache_path);
			creds_sso_login_hint(s, err, errlen, what);
		}
		goto fail;
	}
	s->token = c.access_token;
	s->token_expires = c.expires;
	c.access_token = NULL;
	refreshable = c.refresh_token != NULL && c.client_id != NULL &&
	    c.client_secret != NULL && (c.registration_expires == 0 ||
		c.registration_expires > now);
	if (c.expires > now + CREDS_SSO_REFRESH_WINDOW_S || !refreshable) {
		if (c.expires <= now + CREDS_EXPIRY_MARGIN_S) {
			creds_sso_login_hint(s, err, errlen, "the cached login "
			    "expired and holds no usable refresh token");
			creds_sso_cache_clear(&c);
			goto fail;
		}
		rc = creds_sso_portal(s, err, errlen) ? 0 : -1;
	} else {
		rc = creds_sso_refresh(s, &c, err, errlen) ? 0 : -1;
	}
	creds_sso_cache_clear(&c);
	if (rc != 0)
		goto fail;
	free(base);
	curl_free(acct);
	curl_free(role);
	*out = s;
	return 0;
fail:
	free(base);
	curl_free(acct);
	curl_free(role);
	creds_sso_free(s);
	return -1;
}
