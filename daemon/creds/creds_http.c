/* SPDX-License-Identifier: MIT */
/*
 * creds_http.c: keys over HTTP, through fetch_start() (aws/fetch.c) on
 * the loop.
 *
 * - Web identity: STS AssumeRoleWithWebIdentity, an unsigned form POST
 *   carrying the token file's contents (re-read every time), XML reply;
 *   from the environment or from the profile (two places in the chain).
 * - Assume-role profiles: STS AssumeRole, the same form POST signed with
 *   SigV4 (sigv4.c) with the source keys creds_role.c hands in.
 * - Container (ECS, EKS Pod Identity): GET of the relative or full URI,
 *   with the authorization token from its file (re-read every time) or
 *   the environment; JSON reply with Token.
 * - EC2 instance metadata: IMDSv2 token PUT, role name GET, keys GET;
 *   falls back to IMDSv1 when the token PUT gets 403, 404 or 405, unless
 *   v1 is disabled.
 *
 * Rules from shared/reference/dynamodb-and-aws.md §5. Tokens, request
 * bodies and replies are wiped when freed (fetch.c wipes its copies);
 * URLs and status codes may be logged, nothing else.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "creds_int.h"
#include "fetch.h"
#include "log.h"
#include "redact.h"
#include "sigv4.h"

#define CREDS_ECS_HOST		"http://169.254.170.2"
#define CREDS_IMDS_V4		"http://169.254.169.254"
#define CREDS_IMDS_V6		"http://[fd00:ec2::254]"
#define CREDS_IMDS_TOKEN_PATH	"/latest/api/token"
#define CREDS_IMDS_ROLE_PATH	"/latest/meta-data/iam/security-credentials/"
#define CREDS_IMDS_TOKEN_TTL	"21600"
#define CREDS_LINK_CONNECT_MS	1000u /* link-local services answer fast */

enum creds_http_step {
	STEP_STS,
	STEP_CONTAINER,
	STEP_IMDS_TOKEN,
	STEP_IMDS_ROLE,
	STEP_IMDS_KEYS,
};

struct creds_http {
	enum creds_http_kind kind;
	enum creds_http_step step;
	const char *action;	/* STS: the Action, for messages */
	struct fetch *client;	/* the store's, not ours */
	const struct config *cfg;
	struct fetch_xfer *fetch; /* the exchange in flight */
	char *url;		/* STS or container URL; IMDS base */
	char *imds_token;	/* IMDSv2 session token, wiped; NULL: v1 */
	bool imds_v1_ok;	/* may fall back to IMDSv1 */
	creds_http_cb *cb;
	void *arg;
};

/* The first of these environment variables that is set and not empty. */
static const char *
creds_http_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Reads a token file (re-read on every fetch). NULL with err. */
static char *
creds_http_read_token(const char *path, const char *what, char *err,
    size_t errlen)
{
	char why[256], *t;
	bool missing;

	if ((t = creds_file_read_secret(path, &missing, why, sizeof(why))) ==
	    NULL)
		snprintf(err, errlen, "%s: %s", what, why);
	redact_add_secret(t); /* STS or the agent may quote it back */
	return t;
}

static void
creds_http_free(struct creds_http *h)
{
	fetch_cancel(h->fetch);
	free(h->url);
	creds_wipe_str(&h->imds_token);
	free(h);
}

void
creds_http_cancel(struct creds_http *h)
{
	if (h != NULL)
		creds_http_free(h);
}

/* Reports and frees h. */
static void
creds_http_done(struct creds_http *h, struct creds_keys *k, const char *err)
{
	creds_http_cb *cb = h->cb;
	void *arg = h->arg;

	h->fetch = NULL; /* delivered: fetch.c frees it */
	creds_http_free(h);
	cb(arg, k, err);
}

static void creds_http_reply(void *arg, const fetch_reply *r);

/* Starts one exchange of h; false with err. */
static bool
creds_http_send(struct creds_http *h, const char *method, const char *url,
    const char *const *headers, const char *body, size_t body_len,
    char *err, size_t errlen)
{
	fetch_req req = {
		.method = method,
		.url = url,
		.headers = headers,
		.body = body,
		.body_len = body_len,
		.timeout_ms = h->cfg->creds_timeout_ms,
		.connect_timeout_ms = h->step == STEP_STS ? 0 :
		    CREDS_LINK_CONNECT_MS,
		.no_proxy = h->step != STEP_STS,
	};

	if (req.connect_timeout_ms > req.timeout_ms)
		req.connect_timeout_ms = req.timeout_ms;
	log_debug("credentials: %s %s", method, url);
	if ((h->fetch = fetch_start(h->client, &req, creds_http_reply, h)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	return true;
}

/* ---- web identity ------------------------------------------------------------ */

/* The regions sts_regional_endpoints = legacy sends to the global
 * endpoint (the SDKs' legacy global STS regions). */
static bool
creds_http_sts_legacy_region(const char *region)
{
	static const char *const legacy[] = { "ap-northeast-1", "ap-south-1",
		"ap-southeast-1", "ap-southeast-2", "aws-global",
		"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1",
		"eu-west-2", "eu-west-3", "sa-east-1", "us-east-1",
		"us-east-2", "us-west-1", "us-west-2" };

	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
		if (strcmp(region, legacy[i]) == 0)
			return true;
	return false;
}

/* The STS endpoint: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's
 * services section, else the default for region (the global endpoint
 * when sts_regional_endpoints is legacy and region is one of the legacy
 * ones: *global is then set, and the call is signed for us-east-1).
 * malloc'd. */
static char *
creds_http_sts_url(const struct config *cfg, const struct creds_profile *p,
    const char *region, bool *global, char *err, size_t errlen)
{
	const char *v = creds_http_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	bool ignore = v != NULL ? config_bool(v, false) :
	    p->ignore_configured_endpoint_urls == 1;
	const char *mode = creds_http_env("AWS_STS_REGIONAL_ENDPOINTS");
	char buf[256];

	*global = false;
	if (!ignore) {
		if ((v = creds_http_env("AWS_ENDPOINT_URL_STS")) != NULL ||
		    (v = creds_http_env("AWS_ENDPOINT_URL")) != NULL ||
		    (v = p->services_sts_url) != NULL ||
		    (v = p->endpoint_url) != NULL)
			return strdup(v);
	}
	if (mode == NULL)
		mode = p->sts_regional_endpoints;
	if (region == NULL)
		region = cfg->region;
	if (region == NULL) {
		snprintf(err, errlen, "no region for the STS endpoint");
		return NULL;
	}
	if (mode != NULL && strcasecmp(mode, "legacy") == 0 &&
	    creds_http_sts_legacy_region(region)) {
		*global = true;
		return strdup("https://sts.amazonaws.com");
	}
	if (config_default_endpoint("sts", region, false, false, buf,
		sizeof(buf), err, errlen) != 0)
		return NULL;
	return strdup(buf);
}

/* Appends "&name=escaped(value)" to the form body being built. */
static bool
creds_http_form_add(char **body, size_t *len, const char *name,
    const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	size_t n, add;
	char *p;

	if (esc == NULL)
		return false;
	n = strlen(esc);
	add = 1 + strlen(name) + 1 + n;
	if ((p = creds_secure_realloc(*body, *len + add + 1)) == NULL) {
		OPENSSL_cleanse(esc, n);
		curl_free(esc);
		return false;
	}
	*body = p;
	snprintf(*body + *len, add + 1, "&%s=%s", name, esc);
	*len += add;
	OPENSSL_cleanse(esc, n);
	curl_free(esc);
	return true;
}

static int
creds_http_start_sts(struct creds_http *h, const struct creds_profile *p,
    char *err, size_t errlen)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: text/xml",
		NULL,
	};
	static const char *const no_http_hosts[] = { NULL };
	const char *token_file, *role, *session;
	char session_buf[64], *token, *body;
	size_t len;
	bool ok;

	bool global;

	h->action = "AssumeRoleWithWebIdentity";
	if (h->kind == CREDS_HTTP_WEB_IDENTITY &&
	    (token_file = creds_http_env("AWS_WEB_IDENTITY_TOKEN_FILE")) !=
	    NULL) {
		role = creds_http_env("AWS_ROLE_ARN");
		session = creds_http_env("AWS_ROLE_SESSION_NAME");
		if (role == NULL) {
			snprintf(err, errlen, "AWS_WEB_IDENTITY_TOKEN_FILE is "
			    "set but AWS_ROLE_ARN is not");
			return -1;
		}
	} else if (h->kind == CREDS_HTTP_WEB_IDENTITY_PROFILE &&
	    (token_file = p->web_identity_token_file) != NULL) {
		role = p->role_arn;
		session = p->role_session_name;
		if (role == NULL) {
			snprintf(err, errlen, "profile %s has "
			    "web_identity_token_file but no role_arn", p->name);
			return -1;
		}
	} else {
		return 1;
	}
	if (session == NULL) { /* botocore's default, with our name */
		snprintf(session_buf, sizeof(session_buf), "dyntabled-%lld",
		    (long long)time(NULL));
		session = session_buf;
	}
	if ((h->url = creds_http_sts_url(h->cfg, p, p->region, &global, err,
		 errlen)) == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!config_url_allowed(h->cfg, h->url, no_http_hosts, err, errlen))
		return -1;
	if ((token = creds_http_read_token(token_file, "web identity token "
		 "file", err, errlen)) == NULL)
		return -1;
	body = strdup("Action=AssumeRoleWithWebIdentity&Version=2011-06-15");
	len = body != NULL ? strlen(body) : 0;
	ok = body != NULL && creds_http_form_add(&body, &len, "RoleArn", role) &&
	    creds_http_form_add(&body, &len, "RoleSessionName", session) &&
	    creds_http_form_add(&body, &len, "WebIdentityToken", token);
	creds_wipe_str(&token);
	if (!ok) {
		creds_secure_free(body);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->step = STEP_STS;
	ok = creds_http_send(h, "POST", h->url, headers, body, len, err,
	    errlen);
	creds_secure_free(body);
	return ok ? 0 : -1;
}

/* ---- container --------------------------------------------------------------- */

static int
creds_http_start_container(struct creds_http *h, char *err, size_t errlen)
{
	/* FULL_URI over plain http: loopback (checked by config_url_allowed),
	 * the ECS agent, EKS Pod Identity [CR; REF-container]. */
	static const char *const http_hosts[] = { "169.254.170.2",
		"169.254.170.23", "[fd00:ec2::23]", NULL };
	const char *rel = creds_http_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = creds_http_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *token_file =
	    creds_http_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok_env;
	const char *headers[3] = { "Accept: application/json", NULL, NULL };
	char *token = NULL, *auth = NULL;
	bool ok;

	if (rel != NULL) {
		if (asprintf(&h->url, "%s%s%s", CREDS_ECS_HOST,
			rel[0] == '/' ? "" : "/", rel) < 0) {
			h->url = NULL;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	} else if (full != NULL) {
		if ((h->url = strdup(full)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!config_url_allowed(h->cfg, h->url, http_hosts, err,
			errlen))
			return -1;
	} else {
		return 1;
	}
	if (token_file != NULL) {
		if ((token = creds_http_read_token(token_file, "container "
			 "authorization token file", err, errlen)) == NULL)
			return -1;
	} else if ((tok_env = creds_http_env(
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN")) != NULL) {
		token = strdup(tok_env);
		redact_add_secret(token);
		if (token == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (token != NULL) {
		if (strpbrk(token, "\r\n") != NULL) {
			snprintf(err, errlen, "the container authorization "
			    "token contains a line break");
			creds_wipe_str(&token);
			return -1;
		}
		if (asprintf(&auth, "Authorization: %s", token) < 0) {
			creds_wipe_str(&token);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		creds_wipe_str(&token);
		headers[1] = auth;
	}
	h->step = STEP_CONTAINER;
	ok = creds_http_send(h, "GET", h->url, headers, NULL, 0, err, errlen);
	creds_wipe_str(&auth);
	return ok ? 0 : -1;
}

/* ---- EC2 instance metadata ----------------------------------------------------- */

/* GET base+path with the IMDSv2 token, if any. */
static bool
creds_http_imds_get(struct creds_http *h, const char *path, char *err,
    size_t errlen)
{
	const char *headers[2] = { NULL, NULL };
	char *hdr = NULL, *url = NULL;
	bool ok;

	if (h->imds_token != NULL &&
	    asprintf(&hdr, "x-aws-ec2-metadata-token: %s", h->imds_token) < 0)
		hdr = NULL;
	if ((h->imds_token != NULL && hdr == NULL) ||
	    asprintf(&url, "%s%s", h->url, path) < 0) {
		creds_wipe_str(&hdr);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	headers[0] = hdr;
	ok = creds_http_send(h, "GET", url, headers, NULL, 0, err, errlen);
	creds_wipe_str(&hdr);
	free(url);
	return ok;
}

static int
creds_http_start_imds(struct creds_http *h, const struct creds_profile *p,
    char *err, size_t errlen)
{
	static const char *const http_hosts[] = { "169.254.169.254",
		"[fd00:ec2::254]", NULL };
	static const char *const token_headers[] = {
		"x-aws-ec2-metadata-token-ttl-seconds: " CREDS_IMDS_TOKEN_TTL,
		NULL,
	};
	const char *ep = creds_http_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode =
	    creds_http_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	const char *v1 = creds_http_env("AWS_EC2_METADATA_V1_DISABLED");
	size_t n;
	char *url;

	if (config_bool(creds_http_env("AWS_EC2_METADATA_DISABLED"), false))
		return 1;
	if (ep == NULL)
		ep = p->ec2_metadata_service_endpoint;
	if (mode == NULL)
		mode = p->ec2_metadata_service_endpoint_mode;
	if (ep == NULL)
		ep = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
		    CREDS_IMDS_V6 : CREDS_IMDS_V4;
	if ((h->url = strdup(ep)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = strlen(h->url);
	while (n > 0 && h->url[n - 1] == '/')
		h->url[--n] = '\0';
	if (!config_url_allowed(h->cfg, h->url, http_hosts, err, errlen))
		return -1;
	h->imds_v1_ok = !(v1 != NULL ? config_bool(v1, false) :
	    p->ec2_metadata_v1_disabled == 1);
	if (asprintf(&url, "%s%s", h->url, CREDS_IMDS_TOKEN_PATH) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->step = STEP_IMDS_TOKEN;
	if (!creds_http_send(h, "PUT", url, token_headers, NULL, 0, err,
		errlen)) {
		free(url);
		return -1;
	}
	free(url);
	return 0;
}

/* The role name: the first line of the listing, of IAM name characters. */
static bool
creds_http_role(const char *body, char *role, size_t len)
{
	size_t n = 0;

	while (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')
		body++;
	for (; body[n] != '\0' && body[n] != '\n' && body[n] != '\r'; n++)
		if (!(isalnum((unsigned char)body[n]) ||
			strchr("+=,.@_-", body[n]) != NULL) || n + 1 >= len)
			return false;
	memcpy(role, body, n);
	role[n] = '\0';
	return n != 0;
}

/* ---- replies --------------------------------------------------------------- */

/* fetch_start callback: parses, or moves to the next IMDS step. */
static void
creds_http_reply(void *arg, const fetch_reply *r)
{
	struct creds_http *h = arg;
	struct creds_keys keys;
	char err[192], why[160], role[128], *path = NULL;
	int rc = -1;

	h->fetch = NULL;
	memset(&keys, 0, sizeof(keys));
	err[0] = '\0';
	log_debug("credentials: HTTP %ld%s%s", r->http_status,
	    r->error != NULL ? ", " : "", r->error != NULL ? r->error : "");
	if (r->error != NULL) {
		snprintf(err, sizeof(err), "%s: %s", h->url, r->error);
		goto fail;
	}
	switch (h->step) {
	case STEP_STS:
		rc = creds_parse_sts(r->body, r->body_len, &keys, why,
		    sizeof(why));
		if (rc != 0 || r->http_status != 200) {
			if (rc == 0)
				snprintf(why, sizeof(why), "unexpected reply");
			creds_keys_clear(&keys);
			snprintf(err, sizeof(err), "STS %s: HTTP %ld: %.130s",
			    h->action, r->http_status, why);
			goto fail;
		}
		break;
	case STEP_CONTAINER:
	case STEP_IMDS_KEYS:
		if (r->http_status != 200) {
			snprintf(err, sizeof(err), "%s: HTTP %ld",
			    h->step == STEP_CONTAINER ? "container "
			    "credentials endpoint" : "instance metadata",
			    r->http_status);
			goto fail;
		}
		if (creds_parse_json(h->step == STEP_CONTAINER ?
			CREDS_JSON_CONTAINER : CREDS_JSON_IMDS, r->body,
			r->body_len, &keys, why, sizeof(why)) != 0) {
			snprintf(err, sizeof(err), "%s: %s",
			    h->step == STEP_CONTAINER ? "container "
			    "credentials endpoint" : "instance metadata", why);
			goto fail;
		}
		break;
	case STEP_IMDS_TOKEN:
		if (r->http_status == 200 && r->body_len != 0 &&
		    strpbrk(r->body, "\r\n") == NULL) {
			if ((h->imds_token = strdup(r->body)) == NULL) {
				snprintf(err, sizeof(err), "out of memory");
				goto fail;
			}
		} else if ((r->http_status == 403 || r->http_status == 404 ||
			       r->http_status == 405) && h->imds_v1_ok) {
			log_debug("credentials: IMDS token PUT got HTTP %ld: "
			    "falling back to IMDSv1", r->http_status);
		} else {
			snprintf(err, sizeof(err), "instance metadata token: "
			    "HTTP %ld%s", r->http_status,
			    h->imds_v1_ok ? "" : " (IMDSv1 is disabled)");
			goto fail;
		}
		h->step = STEP_IMDS_ROLE;
		if (!creds_http_imds_get(h, CREDS_IMDS_ROLE_PATH, err,
			sizeof(err)))
			goto fail;
		return;
	case STEP_IMDS_ROLE:
		if (r->http_status != 200 ||
		    !creds_http_role(r->body, role, sizeof(role))) {
			snprintf(err, sizeof(err), "instance metadata: %s",
			    r->http_status == 200 ? "bad role name" :
			    r->http_status == 404 ? "no IAM role attached "
			    "(HTTP 404)" : "role name: unexpected reply");
			if (r->http_status != 200 && r->http_status != 404)
				snprintf(err, sizeof(err), "instance "
				    "metadata: role name: HTTP %ld",
				    r->http_status);
			goto fail;
		}
		if (asprintf(&path, "%s%s", CREDS_IMDS_ROLE_PATH, role) < 0) {
			snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
		h->step = STEP_IMDS_KEYS;
		rc = creds_http_imds_get(h, path, err, sizeof(err)) ? 0 : -1;
		free(path);
		if (rc != 0)
			goto fail;
		return;
	}
	creds_http_done(h, &keys, NULL);
	creds_keys_clear(&keys);
	return;
fail:
	creds_keys_clear(&keys);
	creds_http_done(h, NULL, err);
}

int
creds_http_start(enum creds_http_kind kind, struct fetch *f,
    const struct config *cfg, const struct creds_profile *p,
    creds_http_cb *cb, void *arg, struct creds_http **out, char *err,
    size_t errlen)
{
	struct creds_http *h;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->kind = kind;
	h->client = f;
	h->cfg = cfg;
	h->cb = cb;
	h->arg = arg;
	switch (kind) {
	case CREDS_HTTP_WEB_IDENTITY:
	case CREDS_HTTP_WEB_IDENTITY_PROFILE:
		rc = creds_http_start_sts(h, p, err, errlen);
		break;
	case CREDS_HTTP_CONTAINER:
		rc = creds_http_start_container(h, err, errlen);
		break;
	case CREDS_HTTP_IMDS:
	default:
		rc = creds_http_start_imds(h, p, err, errlen);
		break;
	}
	if (rc != 0) {
		creds_http_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

/* ---- assume-role ------------------------------------------------------------- */

/* Host header (host, ":port" when the URL names one) and path of url, as
 * curl sends them, for the signature. false when url does not parse. */
static bool
creds_http_host_path(const char *url, char **host, char **path)
{
	CURLU *u = curl_url();
	char *h = NULL, *port = NULL, *pth = NULL;
	CURLUcode rc;
	bool ok = false;

	*host = *path = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &pth, 0) != CURLUE_OK)
		goto out;
	rc = curl_url_get(u, CURLUPART_PORT, &port, 0);
	if (rc != CURLUE_OK && rc != CURLUE_NO_PORT)
		goto out;
	if (port != NULL ? asprintf(host, "%s:%s", h, port) < 0 :
	    (*host = strdup(h)) == NULL) {
		*host = NULL;
		goto out;
	}
	if ((*path = strdup(pth[0] != '\0' ? pth : "/")) == NULL)
		goto out;
	ok = true;
out:
	if (!ok) {
		free(*host);
		*host = NULL;
	}
	curl_free(h);
	curl_free(port);
	curl_free(pth);
	curl_url_cleanup(u);
	return ok;
}

/* Signs the AssumeRole form body with the source keys and sends it. */
static bool
creds_http_send_signed(struct creds_http *h, const struct creds_assume *a,
    const char *region, const char *body, size_t len, char *err,
    size_t errlen)
{
	static const char ctype[] = "application/x-www-form-urlencoded; "
	    "charset=utf-8";
	char *host = NULL, *path = NULL, *hdr_date = NULL, *hdr_auth = NULL;
	char *hdr_token = NULL;
	const char *headers[6];
	sigv4_header sh[2];
	sigv4_request req;
	sigv4_result res;
	sigv4_key key = { a->source->access_key_id,
		a->source->secret_access_key, a->source->session_token };
	bool ok = false;

	memset(&res, 0, sizeof(res));
	if (!creds_http_host_path(h->url, &host, &path)) {
		snprintf(err, errlen, "STS endpoint %.150s does not parse",
		    h->url);
		return false;
	}
	sh[0] = (sigv4_header){ "Host", host };
	sh[1] = (sigv4_header){ "Content-Type", ctype };
	req = (sigv4_request){ .method = "POST", .path = path,
		.headers = sh, .n_headers = 2, .body = body,
		.body_len = len, .region = region, .service = "sts",
		.now = time(NULL), .flags = SIGV4_NORMALIZE_PATH };
	if (sigv4_sign(&req, &key, &res) != 0 ||
	    asprintf(&hdr_date, "X-Amz-Date: %s", res.amz_date) < 0 ||
	    asprintf(&hdr_auth, "Authorization: %s", res.authorization) < 0 ||
	    (key.session_token != NULL && asprintf(&hdr_token,
		"X-Amz-Security-Token: %s", key.session_token) < 0)) {
		snprintf(err, errlen, "could not sign the AssumeRole call");
		goto out;
	}
	headers[0] = "Content-Type: application/x-www-form-urlencoded; "
	    "charset=utf-8";
	headers[1] = "Accept: text/xml";
	headers[2] = hdr_date;
	headers[3] = hdr_auth;
	headers[4] = hdr_token;
	headers[5] = NULL;
	h->step = STEP_STS;
	ok = creds_http_send(h, "POST", h->url, headers, body, len, err,
	    errlen);
out:
	sigv4_result_free(&res);
	free(hdr_date);
	creds_wipe_str(&hdr_auth);
	creds_wipe_str(&hdr_token);
	free(host);
	free(path);
	return ok;
}

int
creds_http_assume_role(struct fetch *f, const struct config *cfg,
    const struct creds_profile *p, const struct creds_assume *a,
    creds_http_cb *cb, void *arg, struct creds_http **out, char *err,
    size_t errlen)
{
	static const char *const no_http_hosts[] = { NULL };
	const char *region = a->region != NULL ? a->region : cfg->region;
	char session_buf[64], dur[24], *body;
	const char *session = a->session_name;
	struct creds_http *h;
	size_t len;
	bool global, ok;

	*out = NULL;
	err[0] = '\0';
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->kind = CREDS_HTTP_WEB_IDENTITY_PROFILE; /* an STS call */
	h->action = "AssumeRole";
	h->client = f;
	h->cfg = cfg;
	h->cb = cb;
	h->arg = arg;
	if ((h->url = creds_http_sts_url(cfg, p, region, &global, err,
		 errlen)) == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!config_url_allowed(cfg, h->url, no_http_hosts, err, errlen))
		goto fail;
	if (session == NULL) { /* botocore's default, with our name */
		snprintf(session_buf, sizeof(session_buf), "dyntabled-%lld",
		    (long long)time(NULL));
		session = session_buf;
	}
	snprintf(dur, sizeof(dur), "%ld", a->duration_s);
	body = strdup("Action=AssumeRole&Version=2011-06-15");
	len = body != NULL ? strlen(body) : 0;
	ok = body != NULL &&
	    creds_http_form_add(&body, &len, "RoleArn", a->role_arn) &&
	    creds_http_form_add(&body, &len, "RoleSessionName", session) &&
	    (a->external_id == NULL ||
		creds_http_form_add(&body, &len, "ExternalId",
		    a->external_id)) &&
	    (a->duration_s == 0 ||
		creds_http_form_add(&body, &len, "DurationSeconds", dur));
	if (!ok) {
		creds_secure_free(body);
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ok = creds_http_send_signed(h, a, global ? "us-east-1" : region, body,
	    len, err, errlen);
	creds_secure_free(body);
	if (!ok)
		goto fail;
	*out = h;
	return 0;
fail:
	creds_http_free(h);
	return -1;
}
