/*
 * creds.c: AWS credentials, kept behind a signing API.
 *
 * Sources, first that yields wins: the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or the legacy
 * AWS_SECURITY_TOKEN), then the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), section
 * AWS_PROFILE or "default". The secret never leaves this file except as
 * an argument to sigv4_sign(); it is wiped when freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "dyntabled.h"

struct creds {
	char *access_key_id;
	char *secret_access_key; /* wiped on free */
	char *session_token;	 /* wiped on free; NULL for long-term keys */
	char source[64];	 /* "environment", "shared credentials file" */
};

/* Frees a secret string after overwriting it. */
static void
creds_wipe(char **s)
{
	if (*s != NULL) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static void
creds_clear(struct creds *cr)
{
	creds_wipe(&cr->access_key_id);
	creds_wipe(&cr->secret_access_key);
	creds_wipe(&cr->session_token);
	snprintf(cr->source, sizeof(cr->source), "none");
}

static bool
creds_from_env(struct creds *cr)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	if (id == NULL || secret == NULL || *id == '\0' || *secret == '\0')
		return false;
	if (token == NULL || *token == '\0')
		token = getenv("AWS_SECURITY_TOKEN");
	cr->access_key_id = strdup(id);
	cr->secret_access_key = strdup(secret);
	if (token != NULL && *token != '\0')
		cr->session_token = strdup(token);
	snprintf(cr->source, sizeof(cr->source), "environment");
	return true;
}

struct creds_ini {
	const char *profile;
	struct creds *cr;
};

/* inih callback: keeps the three keys of the wanted section. */
static int
creds_ini_line(void *user, const char *section, const char *name,
    const char *value)
{
	struct creds_ini *ci = user;
	char **dst = NULL;

	if (strcmp(section, ci->profile) != 0)
		return 1;
	if (strcmp(name, "aws_access_key_id") == 0)
		dst = &ci->cr->access_key_id;
	else if (strcmp(name, "aws_secret_access_key") == 0)
		dst = &ci->cr->secret_access_key;
	else if (strcmp(name, "aws_session_token") == 0 ||
	    strcmp(name, "aws_security_token") == 0)
		dst = &ci->cr->session_token;
	if (dst != NULL && *value != '\0') {
		creds_wipe(dst);
		*dst = strdup(value);
	}
	return 1;
}

static bool
creds_from_file(struct creds *cr)
{
	const char *path = getenv("AWS_SHARED_CREDENTIALS_FILE");
	const char *profile = getenv("AWS_PROFILE");
	char buf[4096];
	struct creds_ini ci;
	int rc;

	if (path == NULL || *path == '\0') {
		const char *home = getenv("HOME");

		if (home == NULL)
			return false;
		snprintf(buf, sizeof(buf), "%s/.aws/credentials", home);
		path = buf;
	}
	ci.profile = profile != NULL && *profile != '\0' ? profile : "default";
	ci.cr = cr;
	rc = ini_parse(path, creds_ini_line, &ci);
	if (rc == -1)
		return false; /* no such file: not an error */
	if (rc != 0)
		log_warn("%s: syntax error on line %d", path, rc);
	if (cr->access_key_id == NULL || cr->secret_access_key == NULL) {
		if (cr->access_key_id != NULL || cr->secret_access_key != NULL)
			log_warn("%s: profile [%s] lacks aws_access_key_id or "
			    "aws_secret_access_key", path, ci.profile);
		creds_clear(cr);
		return false;
	}
	snprintf(cr->source, sizeof(cr->source), "shared credentials file");
	return true;
}

/* Fills an empty cr from the first source that has credentials. */
static bool
creds_resolve(struct creds *cr)
{
	if (!creds_from_env(cr) && !creds_from_file(cr))
		return false;
	if (cr->access_key_id == NULL || cr->secret_access_key == NULL) {
		creds_clear(cr);
		log_err("out of memory loading credentials");
		return false;
	}
	log_info("credentials from %s, access key id ending %s",
	    cr->source, cr->access_key_id + (strlen(cr->access_key_id) > 4 ?
	    strlen(cr->access_key_id) - 4 : 0));
	return true;
}

struct creds *
creds_new(void)
{
	struct creds *cr = calloc(1, sizeof(*cr));

	if (cr == NULL)
		return NULL;
	creds_clear(cr);
	if (!creds_resolve(cr))
		log_warn("no AWS credentials found (environment, shared "
		    "credentials file): requests will fail until SIGHUP finds "
		    "some");
	return cr;
}

int
creds_reload(struct creds *cr)
{
	struct creds fresh;

	memset(&fresh, 0, sizeof(fresh));
	creds_clear(&fresh);
	if (!creds_resolve(&fresh)) {
		log_warn("reload: no credentials found; keeping the current "
		    "ones (%s)", cr->source);
		return -1;
	}
	creds_clear(cr);
	*cr = fresh; /* the old secrets were wiped by creds_clear */
	return 0;
}

void
creds_free(struct creds *cr)
{
	if (cr == NULL)
		return;
	creds_clear(cr);
	free(cr);
}

bool
creds_valid(const struct creds *cr)
{
	return cr->access_key_id != NULL && cr->secret_access_key != NULL;
}

const char *
creds_source(const struct creds *cr)
{
	return cr->source;
}

const char *
creds_session_token(const struct creds *cr)
{
	return cr->session_token;
}

int
creds_sign(const struct creds *cr, const sigv4_request *req,
    sigv4_result *res)
{
	sigv4_key key;

	memset(res, 0, sizeof(*res));
	if (!creds_valid(cr))
		return -1;
	key.access_key_id = cr->access_key_id;
	key.secret_access_key = cr->secret_access_key;
	key.session_token = cr->session_token;
	return sigv4_sign(req, &key, res);
}
