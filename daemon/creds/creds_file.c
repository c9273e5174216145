/* SPDX-License-Identifier: MIT */
/*
 * creds_file.c: the shared config and credentials files, read with inih.
 *
 * Config file (AWS_CONFIG_FILE, ~/.aws/config): [default] or [profile
 * default], [profile NAME], [services NAME] with nested "dynamodb =" /
 * "  endpoint_url = URL" lines, [sso-session NAME] (IAM Identity Center:
 * sso_start_url, sso_region). Credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials): bare [NAME]. A
 * profile inherits nothing from [default]. Keys are matched without
 * regard to case (Python's configparser lowercases them), sections with.
 *
 * Each file is read into a buffer that is wiped afterwards and handed to
 * inih as a string; inih's line buffer is on the stack (Debian's libinih
 * sizes it from ini_max_line at run time), and the stack is scrubbed
 * after parsing. Values are never logged.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "creds_int.h"
#include "log.h"

#define CREDS_FILE_MAX	    (1u << 20) /* larger files are refused */
#define CREDS_FILE_MAX_LINE 16384      /* a session token fits */

enum creds_file_kind { CREDS_FILE_CONFIG, CREDS_FILE_CREDENTIALS };

struct creds_file_ctx {
	struct creds_profile *p;
	enum creds_file_kind kind;
	int pass;		/* config file: 1 profiles, 2 services and
				 * sso-session sections */
	bool oom;
	bool in_dynamodb;	/* services section: under "dynamodb =" */
	bool in_sts;		/* ... under "sts =" */
	struct creds_keys keys;	/* this file's keys for the profile */
};

/* The profile a section header names in this kind of file, or NULL. */
static const char *
creds_file_profile_of(enum creds_file_kind kind, const char *section)
{
	if (kind == CREDS_FILE_CREDENTIALS)
		return section;
	if (strcmp(section, "default") == 0)
		return section;
	if (strncmp(section, "profile", 7) == 0 &&
	    isspace((unsigned char)section[7])) {
		section += 7;
		while (isspace((unsigned char)*section))
			section++;
		return section;
	}
	return NULL; /* a bare [NAME] is no profile in the config file */
}

/* The name of a [KIND NAME] section ("services", "sso-session"), or
 * NULL. */
static const char *
creds_file_section_of(const char *kind, const char *section)
{
	size_t n = strlen(kind);

	if (strncmp(section, kind, n) != 0 ||
	    !isspace((unsigned char)section[n]))
		return NULL;
	section += n;
	while (isspace((unsigned char)*section))
		section++;
	return section;
}

static bool
creds_file_set(struct creds_file_ctx *ctx, char **dst, const char *value)
{
	char *v = strdup(value);

	if (v == NULL) {
		ctx->oom = true;
		return false;
	}
	creds_wipe_str(dst);
	*dst = v;
	return true;
}

/* A profile's boolean: "true" in any case, anything else false (the
 * SDKs' rule, config_bool's too; not called from here because config.c
 * reads the profile through this file). */
static void
creds_file_flag(int *dst, const char *value)
{
	*dst = strcasecmp(value, "true") == 0 ? 1 : 0;
}

/* A nested "key = value" line of a services section. */
static void
creds_file_services_line(struct creds_file_ctx *ctx, const char *name,
    const char *value)
{
	struct creds_profile *p = ctx->p;
	const char *eq;
	char key[64];
	size_t kl;

	if (*value == '\0') { /* "dynamodb =": a sub-section starts */
		ctx->in_dynamodb = strcasecmp(name, "dynamodb") == 0;
		ctx->in_sts = strcasecmp(name, "sts") == 0;
		return;
	}
	if ((eq = strchr(value, '=')) == NULL)
		return;
	kl = (size_t)(eq - value);
	while (kl > 0 && isspace((unsigned char)value[kl - 1]))
		kl--;
	if (kl == 0 || kl >= sizeof(key))
		return;
	memcpy(key, value, kl);
	key[kl] = '\0';
	for (eq++; isspace((unsigned char)*eq); eq++)
		;
	if (strcasecmp(key, "endpoint_url") != 0 || *eq == '\0')
		return;
	if (strcasecmp(name, "dynamodb") == 0 && ctx->in_dynamodb)
		creds_file_set(ctx, &p->services_dynamodb_url, eq);
	else if (strcasecmp(name, "sts") == 0 && ctx->in_sts)
		creds_file_set(ctx, &p->services_sts_url, eq);
}

/* inih callback. Returns 1 to go on (0 would count as an error line). */
static int
creds_file_line(void *user, const char *section, const char *name,
    const char *value)
{
	struct creds_file_ctx *ctx = user;
	struct creds_profile *p = ctx->p;
	const char *prof, *svc;
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
#define CREDS_FILE_STR(k) { #k, offsetof(struct creds_profile, k) }
		CREDS_FILE_STR(credential_process),
		CREDS_FILE_STR(role_arn),
		CREDS_FILE_STR(web_identity_token_file),
		CREDS_FILE_STR(role_session_name),
		CREDS_FILE_STR(source_profile),
		CREDS_FILE_STR(credential_source),
		CREDS_FILE_STR(external_id),
		CREDS_FILE_STR(duration_seconds),
		CREDS_FILE_STR(mfa_serial),
		CREDS_FILE_STR(sts_regional_endpoints),
		CREDS_FILE_STR(sso_session),
		CREDS_FILE_STR(sso_start_url),
		CREDS_FILE_STR(sso_region),
		CREDS_FILE_STR(sso_account_id),
		CREDS_FILE_STR(sso_role_name),
		CREDS_FILE_STR(region),
		CREDS_FILE_STR(endpoint_url),
		CREDS_FILE_STR(services),
		CREDS_FILE_STR(ec2_metadata_service_endpoint),
		CREDS_FILE_STR(ec2_metadata_service_endpoint_mode),
#undef CREDS_FILE_STR
	};
	static const struct {
		const char *key;
		size_t off;
	} flags[] = {
#define CREDS_FILE_FLAG(k) { #k, offsetof(struct creds_profile, k) }
		CREDS_FILE_FLAG(use_fips_endpoint),
		CREDS_FILE_FLAG(use_dualstack_endpoint),
		CREDS_FILE_FLAG(ignore_configured_endpoint_urls),
		CREDS_FILE_FLAG(ec2_metadata_v1_disabled),
#undef CREDS_FILE_FLAG
	};

	if (ctx->oom)
		return 1;
	if (ctx->pass == 2) {
		if ((svc = creds_file_section_of("services", section)) !=
		    NULL && p->services != NULL &&
		    strcmp(svc, p->services) == 0) {
			p->services_missing = false;
			creds_file_services_line(ctx, name, value);
		}
		if ((svc = creds_file_section_of("sso-session", section)) !=
		    NULL && p->sso_session != NULL &&
		    strcmp(svc, p->sso_session) == 0) {
			p->sso_session_missing = false;
			if (strcasecmp(name, "sso_start_url") == 0 &&
			    *value != '\0')
				creds_file_set(ctx, &p->sso_session_start_url,
				    value);
			else if (strcasecmp(name, "sso_region") == 0 &&
			    *value != '\0')
				creds_file_set(ctx, &p->sso_session_region,
				    value);
		}
		return 1;
	}
	if ((prof = creds_file_profile_of(ctx->kind, section)) == NULL ||
	    strcmp(prof, p->name) != 0)
		return 1;
	p->found = true;
	if (strcasecmp(name, "aws_access_key_id") == 0) {
		creds_file_set(ctx, &ctx->keys.access_key_id, value);
		return 1;
	}
	if (strcasecmp(name, "aws_secret_access_key") == 0) {
		creds_file_set(ctx, &ctx->keys.secret_access_key, value);
		return 1;
	}
	if (strcasecmp(name, "aws_session_token") == 0 ||
	    strcasecmp(name, "aws_security_token") == 0) {
		creds_file_set(ctx, &ctx->keys.session_token, value);
		return 1;
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcasecmp(name, strs[i].key) == 0) {
			if (*value != '\0')
				creds_file_set(ctx,
				    (char **)((char *)p + strs[i].off), value);
			return 1;
		}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcasecmp(name, flags[i].key) == 0) {
			creds_file_flag((int *)((char *)p + flags[i].off),
			    value);
			return 1;
		}
	return 1;
}

/* Overwrites the stack below the caller's frame, where inih kept its
 * line buffer. Best effort: the compiler may not move the frame. */
static void __attribute__((noinline))
creds_file_scrub_stack(void)
{
	char junk[CREDS_FILE_MAX_LINE + 1024];

	explicit_bzero(junk, sizeof(junk));
	__asm__ volatile("" : : "r"(junk) : "memory");
}

/* Parses one file's text; keeps its keys when it has both halves.
 * Returns inih's result: 0, or the first bad line. */
static int
creds_file_parse(struct creds_profile *p, enum creds_file_kind kind,
    const char *text)
{
	struct creds_file_ctx ctx;
	int rc;

	/* configparser: no inline comments; long lines (tokens) allowed. */
	ini_allow_inline_comments = false;
	ini_allow_multiline = true;
	ini_max_line = CREDS_FILE_MAX_LINE;
	memset(&ctx, 0, sizeof(ctx));
	ctx.p = p;
	ctx.kind = kind;
	ctx.pass = 1;
	rc = ini_parse_string(text, creds_file_line, &ctx);
	if (kind == CREDS_FILE_CONFIG &&
	    (p->services != NULL || p->sso_session != NULL)) {
		ctx.pass = 2;
		p->services_missing = p->services != NULL;
		p->sso_session_missing = p->sso_session != NULL;
		ini_parse_string(text, creds_file_line, &ctx);
	}
	creds_file_scrub_stack();
	if (ctx.oom) {
		creds_keys_clear(&ctx.keys);
		return -2;
	}
	/* Keys come as a set from one file, the credentials file first. */
	if (ctx.keys.access_key_id != NULL &&
	    ctx.keys.secret_access_key != NULL &&
	    (p->keys_from == CREDS_KEYS_NONE ||
		kind == CREDS_FILE_CREDENTIALS)) {
		creds_keys_clear(&p->keys);
		p->keys = ctx.keys;
		p->keys_from = kind == CREDS_FILE_CREDENTIALS ?
		    CREDS_KEYS_CREDENTIALS_FILE : CREDS_KEYS_CONFIG_FILE;
	} else {
		if ((ctx.keys.access_key_id == NULL) !=
		    (ctx.keys.secret_access_key == NULL))
			log_warn("%s file: profile %s has only one of "
			    "aws_access_key_id and aws_secret_access_key",
			    kind == CREDS_FILE_CONFIG ? "config" :
			    "credentials", p->name);
		creds_keys_clear(&ctx.keys);
	}
	return rc;
}

static void
creds_profile_init(struct creds_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->use_fips_endpoint = -1;
	p->use_dualstack_endpoint = -1;
	p->ignore_configured_endpoint_urls = -1;
	p->ec2_metadata_v1_disabled = -1;
}

/* Parses both texts (the credentials file last: it wins); paths are for
 * messages only. */
static int
creds_profile_parse_paths(struct creds_profile *p, const char *name,
    const char *config_text, const char *config_path,
    const char *credentials_text, const char *credentials_path)
{
	const char *texts[2] = { config_text, credentials_text };
	const char *paths[2] = { config_path, credentials_path };
	const enum creds_file_kind kinds[2] = { CREDS_FILE_CONFIG,
		CREDS_FILE_CREDENTIALS };

	creds_profile_init(p);
	if ((p->name = strdup(name)) == NULL)
		return -1;
	for (int i = 0; i < 2; i++) {
		int rc;

		if (texts[i] == NULL)
			continue;
		if ((rc = creds_file_parse(p, kinds[i], texts[i])) == -2) {
			creds_profile_free(p);
			return -1;
		}
		if (rc != 0)
			log_warn("%s: syntax error on line %d (ignored)",
			    paths[i] != NULL ? paths[i] : i == 0 ?
			    "config file" : "credentials file", rc);
	}
	return 0;
}

int
creds_profile_parse(struct creds_profile *p, const char *name,
    const char *config_text, const char *credentials_text)
{
	return creds_profile_parse_paths(p, name, config_text, NULL,
	    credentials_text, NULL);
}

void
creds_profile_free(struct creds_profile *p)
{
	char **strs[] = { &p->name, &p->credential_process, &p->role_arn,
		&p->web_identity_token_file, &p->role_session_name,
		&p->source_profile, &p->credential_source, &p->external_id,
		&p->duration_seconds, &p->mfa_serial,
		&p->sts_regional_endpoints, &p->sso_session,
		&p->sso_start_url, &p->sso_region, &p->sso_account_id,
		&p->sso_role_name, &p->sso_session_start_url,
		&p->sso_session_region, &p->region,
		&p->endpoint_url, &p->services, &p->services_dynamodb_url,
		&p->services_sts_url, &p->ec2_metadata_service_endpoint,
		&p->ec2_metadata_service_endpoint_mode };

	creds_keys_clear(&p->keys);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		creds_wipe_str(strs[i]);
	creds_profile_init(p);
}

/*
 * Reads a whole file of at most max bytes into a malloc'd NUL-terminated
 * buffer (free it with creds_secure_free). NULL with *missing true when
 * there is no such file; NULL with err otherwise.
 */
static char *
creds_file_read(const char *path, size_t max, bool *missing, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	*missing = false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			*missing = true;
		snprintf(err, errlen, "%.200s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)max) {
		snprintf(err, errlen, "%.200s: not a regular file of at most "
		    "%zu bytes", path, max);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%.200s: out of memory", path);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%.200s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	creds_secure_free(buf);
	close(fd);
	return NULL;
}

char *
creds_file_read_secret(const char *path, bool *missing, char *err,
    size_t errlen)
{
	char *buf = creds_file_read(path, CREDS_SECRET_FILE_MAX, missing, err,
	    errlen);
	size_t len, start = 0;
	char *s;

	if (buf == NULL)
		return NULL;
	len = strlen(buf);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	while (start < len && isspace((unsigned char)buf[start]))
		start++;
	if (len == start) {
		snprintf(err, errlen, "%.200s is empty", path);
		creds_secure_free(buf);
		return NULL;
	}
	if ((s = strndup(buf + start, len - start)) == NULL)
		snprintf(err, errlen, "out of memory");
	creds_secure_free(buf);
	return s;
}

/* $VAR, else $HOME/.aws/DEFAULT; a leading "~/" means $HOME. NULL
 * without a home directory. malloc'd. */
static char *
creds_file_path(const char *var, const char *dflt)
{
	const char *v = getenv(var), *home = getenv("HOME");
	char *path = NULL;

	if (v != NULL && *v != '\0') {
		if (v[0] == '~' && v[1] == '/' && home != NULL) {
			if (asprintf(&path, "%s%s", home, v + 1) < 0)
				path = NULL;
			return path;
		}
		return strdup(v);
	}
	if (home == NULL || *home == '\0')
		return NULL;
	if (asprintf(&path, "%s/.aws/%s", home, dflt) < 0)
		path = NULL;
	return path;
}

const char *
creds_profile_name(void)
{
	const char *name = getenv("AWS_PROFILE");

	if (name == NULL || *name == '\0')
		name = getenv("AWS_DEFAULT_PROFILE");
	if (name == NULL || *name == '\0')
		name = "default";
	return name;
}

int
creds_files_load(struct creds_files *f)
{
	memset(f, 0, sizeof(*f));
	f->paths[0] = creds_file_path("AWS_CONFIG_FILE", "config");
	f->paths[1] = creds_file_path("AWS_SHARED_CREDENTIALS_FILE",
	    "credentials");
	for (int i = 0; i < 2; i++) {
		char err[256];
		bool missing;

		if (f->paths[i] != NULL && (f->texts[i] = creds_file_read(
			f->paths[i], CREDS_FILE_MAX, &missing, err,
			sizeof(err))) == NULL && !missing)
			log_warn("%s", err);
	}
	return 0;
}

void
creds_files_free(struct creds_files *f)
{
	for (int i = 0; i < 2; i++) {
		creds_secure_free(f->texts[i]);
		free(f->paths[i]);
	}
	memset(f, 0, sizeof(*f));
}

int
creds_profile_from(struct creds_profile *p, const struct creds_files *f,
    const char *name)
{
	if (creds_profile_parse_paths(p, name, f->texts[0], f->paths[0],
		f->texts[1], f->paths[1]) != 0) {
		log_err("out of memory reading the AWS config files");
		return -1;
	}
	return 0;
}

int
creds_profile_load(struct creds_profile *p)
{
	struct creds_files f;
	int rc;

	creds_files_load(&f);
	rc = creds_profile_from(p, &f, creds_profile_name());
	creds_files_free(&f);
	return rc;
}
