/* SPDX-License-Identifier: MIT */
/*
 * creds_parse.c: what credential providers hand back, parsed without I/O.
 *
 * JSON goes through jansson and XML through expat, each with allocation
 * functions that wipe every block they free: the secret access key and
 * the session token pass through the parsers' own buffers. Error messages
 * name fields, never values.
 */
#include <ctype.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <expat.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "creds_int.h"
#include "log.h"

/* ---- wiping memory --------------------------------------------------------- */

void
creds_secure_free(void *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, malloc_usable_size(p));
		free(p);
	}
}

/* realloc that never leaves the old block behind unwiped. */
void *
creds_secure_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	if ((q = malloc(n != 0 ? n : 1)) == NULL)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	creds_secure_free(p);
	return q;
}

void
creds_wipe_str(char **s)
{
	if (*s != NULL) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void
creds_keys_clear(struct creds_keys *k)
{
	creds_wipe_str(&k->access_key_id);
	creds_wipe_str(&k->secret_access_key);
	creds_wipe_str(&k->session_token);
	k->expires = 0;
}

bool
creds_keys_dup(const struct creds_keys *from, struct creds_keys *to)
{
	memset(to, 0, sizeof(*to));
	to->expires = from->expires;
	if ((to->access_key_id = strdup(from->access_key_id)) == NULL ||
	    (to->secret_access_key = strdup(from->secret_access_key)) ==
		NULL ||
	    (from->session_token != NULL &&
		(to->session_token = strdup(from->session_token)) == NULL)) {
		creds_keys_clear(to);
		return false;
	}
	return true;
}

int
creds_keys_from_env(struct creds_keys *k, char *err, size_t errlen)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *exp = getenv("AWS_CREDENTIAL_EXPIRATION");
	bool have_id = id != NULL && *id != '\0';
	bool have_secret = secret != NULL && *secret != '\0';

	if (!have_id && !have_secret)
		return 1;
	if (!have_id || !have_secret) {
		snprintf(err, errlen, "%s is set but %s is not",
		    have_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    have_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	if (token == NULL || *token == '\0')
		token = getenv("AWS_SECURITY_TOKEN");
	if (exp != NULL && *exp != '\0' &&
	    creds_parse_time(exp, &k->expires) != 0) {
		snprintf(err, errlen, "AWS_CREDENTIAL_EXPIRATION is not an "
		    "ISO 8601 date-time");
		return -1;
	}
	if ((k->access_key_id = strdup(id)) == NULL ||
	    (k->secret_access_key = strdup(secret)) == NULL ||
	    (token != NULL && *token != '\0' &&
		(k->session_token = strdup(token)) == NULL)) {
		creds_keys_clear(k);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- dates ----------------------------------------------------------------- */

int
creds_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	long off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    (*p != 'T' && *p != 't' && *p != ' ') ||
	    (p = strptime(p + 1, "%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.' || *p == ',') { /* fractions of a second: dropped */
		if (!isdigit((unsigned char)p[1]))
			return -1;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2])) {
		int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = 0;
		const char *q = p + 3;

		if (*q == ':')
			q++;
		if (isdigit((unsigned char)q[0]) && isdigit((unsigned char)q[1])) {
			mm = (q[0] - '0') * 10 + (q[1] - '0');
			q += 2;
		}
		if (*q != '\0' || hh > 23 || mm > 59)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	} else {
		return -1;
	}
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = t - off;
	return 0;
}

/* ---- JSON -------------------------------------------------------------------- */

/* A required or optional string member, copied into *dst. */
static int
creds_json_str(json_t *obj, const char *key, bool required, char **dst,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v)) {
		if (required) {
			snprintf(err, errlen, "no %s in the reply", key);
			return -1;
		}
		return 0;
	}
	if (!json_is_string(v) || (required && json_string_length(v) == 0)) {
		snprintf(err, errlen, "%s is not a non-empty string", key);
		return -1;
	}
	if (json_string_length(v) == 0)
		return 0;
	if ((*dst = strdup(json_string_value(v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
creds_json_fill(enum creds_json_kind kind, json_t *j, struct creds_keys *k,
    char *err, size_t errlen)
{
	char *expiration = NULL;
	json_t *v;
	int rc = -1;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "the reply is not a JSON object");
		return -1;
	}
	if (kind == CREDS_JSON_PROCESS) {
		v = json_object_get(j, "Version");
		if (!json_is_integer(v) || json_integer_value(v) != 1) {
			snprintf(err, errlen, "unsupported Version (must be "
			    "the integer 1)");
			return -1;
		}
	}
	if (kind == CREDS_JSON_IMDS && (v = json_object_get(j, "Code")) !=
	    NULL && (!json_is_string(v) ||
		strcmp(json_string_value(v), "Success") != 0)) {
		snprintf(err, errlen, "Code is not \"Success\"");
		return -1;
	}
	if (creds_json_str(j, "AccessKeyId", true, &k->access_key_id, err,
		errlen) != 0 ||
	    creds_json_str(j, "SecretAccessKey", true, &k->secret_access_key,
		err, errlen) != 0 ||
	    creds_json_str(j, kind == CREDS_JSON_PROCESS ? "SessionToken" :
		"Token", false, &k->session_token, err, errlen) != 0 ||
	    creds_json_str(j, "Expiration", false, &expiration, err,
		errlen) != 0)
		goto out;
	if (expiration != NULL &&
	    creds_parse_time(expiration, &k->expires) != 0) {
		snprintf(err, errlen, "Expiration is not an ISO 8601 date-time");
		goto out;
	}
	rc = 0;
out:
	free(expiration);
	return rc;
}

/* jansson has one global allocator; a credential reply is parsed with the
 * wiping one and the previous one is put back before returning. The loop
 * is single-threaded, and both are malloc underneath. */
static void *
creds_json_malloc(size_t n)
{
	return malloc(n);
}

int
creds_parse_json(enum creds_json_kind kind, const char *buf, size_t len,
    struct creds_keys *k, char *err, size_t errlen)
{
	json_malloc_t saved_malloc;
	json_free_t saved_free;
	json_error_t jerr;
	json_t *j;
	int rc;

	creds_keys_clear(k);
	json_get_alloc_funcs(&saved_malloc, &saved_free);
	json_set_alloc_funcs(creds_json_malloc, creds_secure_free);
	j = json_loadb(buf, len, 0, &jerr);
	if (j == NULL) {
		/* jerr.text may quote the input: say where, not what. */
		snprintf(err, errlen, "not JSON (error at line %d, column %d)",
		    jerr.line, jerr.column);
		rc = -1;
	} else {
		rc = creds_json_fill(kind, j, k, err, errlen);
		json_decref(j);
	}
	json_set_alloc_funcs(saved_malloc, saved_free);
	OPENSSL_cleanse(&jerr, sizeof(jerr));
	if (rc != 0)
		creds_keys_clear(k);
	return rc;
}

/* ---- STS XML --------------------------------------------------------------- */

enum creds_sts_field {
	STS_NONE = 0,
	STS_ACCESS_KEY_ID,
	STS_SECRET_ACCESS_KEY,
	STS_SESSION_TOKEN,
	STS_EXPIRATION,
	STS_ERROR_CODE,
	STS_ERROR_MESSAGE,
	STS_FIELD_COUNT
};

struct creds_sts {
	XML_Parser parser;
	unsigned depth;
	unsigned in_credentials; /* depth of <Credentials>, 0 outside */
	unsigned in_error;	 /* depth of <Error>, 0 outside */
	enum creds_sts_field field; /* the leaf being read */
	char *text;		 /* its characters so far (wiped) */
	size_t text_len;
	bool oom;
	char *values[STS_FIELD_COUNT]; /* wiped */
};

#define CREDS_STS_MAX_TEXT (32u << 10)

static void XMLCALL
creds_sts_start(void *user, const XML_Char *name, const XML_Char **attrs)
{
	struct creds_sts *st = user;
	static const struct {
		const char *name;
		enum creds_sts_field field;
		bool in_error;
	} leaves[] = {
		{ "AccessKeyId", STS_ACCESS_KEY_ID, false },
		{ "SecretAccessKey", STS_SECRET_ACCESS_KEY, false },
		{ "SessionToken", STS_SESSION_TOKEN, false },
		{ "Expiration", STS_EXPIRATION, false },
		{ "Code", STS_ERROR_CODE, true },
		{ "Message", STS_ERROR_MESSAGE, true },
	};

	st->depth++;
	st->field = STS_NONE;
	if (strcmp(name, "Credentials") == 0 && st->in_credentials == 0) {
		st->in_credentials = st->depth;
		return;
	}
	if (strcmp(name, "Error") == 0 && st->in_error == 0) {
		st->in_error = st->depth;
		return;
	}
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		unsigned parent = leaves[i].in_error ? st->in_error :
						       st->in_credentials;

		if (parent != 0 && parent + 1 == st->depth &&
		    strcmp(name, leaves[i].name) == 0) {
			st->field = leaves[i].field;
			st->text_len = 0;
			return;
		}
	}
}

static void XMLCALL
creds_sts_end(void *user, const XML_Char *name)
{
	struct creds_sts *st = user;

	if (st->field != STS_NONE && !st->oom) {
		char *v = malloc(st->text_len + 1);

		if (v == NULL) {
			st->oom = true;
		} else {
			if (st->text_len != 0)
				memcpy(v, st->text, st->text_len);
			v[st->text_len] = '\0';
			creds_wipe_str(&st->values[st->field]);
			st->values[st->field] = v;
		}
	}
	st->field = STS_NONE;
	st->text_len = 0;
	if (st->in_credentials == st->depth)
		st->in_credentials = 0;
	if (st->in_error == st->depth)
		st->in_error = 0;
	st->depth--;
}

static void XMLCALL
creds_sts_chars(void *user, const XML_Char *s, int len)
{
	struct creds_sts *st = user;
	char *p;

	if (st->field == STS_NONE || st->oom || len <= 0)
		return;
	if (st->text_len + (size_t)len > CREDS_STS_MAX_TEXT) {
		st->oom = true;
		XML_StopParser(st->parser, XML_FALSE);
		return;
	}
	if ((p = creds_secure_realloc(st->text, st->text_len + (size_t)len +
		 1)) == NULL) {
		st->oom = true;
		XML_StopParser(st->parser, XML_FALSE);
		return;
	}
	st->text = p;
	memcpy(st->text + st->text_len, s, (size_t)len);
	st->text_len += (size_t)len;
}

/* STS never sends a DTD: refuse one rather than expand entities. */
static void XMLCALL
creds_sts_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct creds_sts *st = user;

	XML_StopParser(st->parser, XML_FALSE);
}

/* Trims blanks around an STS value in place (pretty-printed replies). */
static char *
creds_sts_trim(char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Copies the trimmed value of field into *dst. */
static int
creds_sts_take(struct creds_sts *st, enum creds_sts_field f, char **dst)
{
	char *v = creds_sts_trim(st->values[f]);

	if (v == NULL || *v == '\0')
		return 0;
	return (*dst = strdup(v)) != NULL ? 0 : -1;
}

int
creds_parse_sts(const char *buf, size_t len, struct creds_keys *k,
    char *err, size_t errlen)
{
	static const XML_Memory_Handling_Suite mem = {
		malloc, creds_secure_realloc, creds_secure_free
	};
	struct creds_sts st;
	char *expiration = NULL;
	int rc = -1;

	creds_keys_clear(k);
	memset(&st, 0, sizeof(st));
	if ((st.parser = XML_ParserCreate_MM(NULL, &mem, NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	XML_SetUserData(st.parser, &st);
	XML_SetElementHandler(st.parser, creds_sts_start, creds_sts_end);
	XML_SetCharacterDataHandler(st.parser, creds_sts_chars);
	XML_SetStartDoctypeDeclHandler(st.parser, creds_sts_doctype);
	if (len > (size_t)INT32_MAX ||
	    XML_Parse(st.parser, buf, (int)len, XML_TRUE) != XML_STATUS_OK) {
		snprintf(err, errlen, st.oom ? "STS reply too large or out of "
		    "memory" : "STS reply is not well-formed XML (line %lu)",
		    (unsigned long)XML_GetCurrentLineNumber(st.parser));
		goto out;
	}
	if (st.oom) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (st.values[STS_ERROR_CODE] != NULL) {
		const char *msg = creds_sts_trim(st.values[STS_ERROR_MESSAGE]);

		snprintf(err, errlen, "STS error %.64s%s%.120s",
		    creds_sts_trim(st.values[STS_ERROR_CODE]),
		    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		goto out;
	}
	if (creds_sts_take(&st, STS_ACCESS_KEY_ID, &k->access_key_id) != 0 ||
	    creds_sts_take(&st, STS_SECRET_ACCESS_KEY,
		&k->secret_access_key) != 0 ||
	    creds_sts_take(&st, STS_SESSION_TOKEN, &k->session_token) != 0 ||
	    creds_sts_take(&st, STS_EXPIRATION, &expiration) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (k->access_key_id == NULL || k->secret_access_key == NULL ||
	    k->session_token == NULL || expiration == NULL) {
		snprintf(err, errlen, "STS reply lacks AccessKeyId, "
		    "SecretAccessKey, SessionToken or Expiration");
		goto out;
	}
	if (creds_parse_time(expiration, &k->expires) != 0) {
		snprintf(err, errlen, "STS Expiration is not an ISO 8601 "
		    "date-time");
		goto out;
	}
	rc = 0;
out:
	free(expiration);
	for (size_t i = 0; i < STS_FIELD_COUNT; i++)
		creds_wipe_str(&st.values[i]);
	creds_secure_free(st.text);
	XML_ParserFree(st.parser);
	if (rc != 0)
		creds_keys_clear(k);
	return rc;
}

/* ---- credential_process command lines --------------------------------------- */

void
creds_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

/*
 * POSIX shell word splitting without expansion: blanks separate words;
 * '...' is literal; in "..." a backslash escapes only $ ` " \ and newline;
 * outside quotes a backslash escapes any character (and drops a newline).
 */
int
creds_split_command(const char *cmd, char ***argv_out, char *err,
    size_t errlen)
{
	size_t n = strlen(cmd), argc = 0;
	char **argv = calloc(n / 2 + 2, sizeof(*argv)); /* words <= n/2 + 1 */
	char *word = malloc(n + 1);
	size_t wl = 0;
	bool in_word = false;
	const char *p = cmd;

	if (argv == NULL || word == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		char c = *p;

		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				word[wl] = '\0';
				if ((argv[argc++] = strdup(word)) == NULL) {
					snprintf(err, errlen, "out of memory");
					goto fail;
				}
				wl = 0;
				in_word = false;
			}
			if (c == '\0')
				break;
			p++;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (end == NULL) {
				snprintf(err, errlen, "unbalanced ' quote");
				goto fail;
			}
			memcpy(word + wl, p + 1, (size_t)(end - p - 1));
			wl += (size_t)(end - p - 1);
			p = end + 1;
		} else if (c == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					snprintf(err, errlen,
					    "unbalanced \" quote");
					goto fail;
				}
				if (*p == '\\' && p[1] != '\0' &&
				    strchr("$`\"\\\n", p[1]) != NULL) {
					if (p[1] != '\n')
						word[wl++] = p[1];
					p++;
					continue;
				}
				word[wl++] = *p;
			}
			p++;
		} else if (c == '\\') {
			if (p[1] == '\0') {
				snprintf(err, errlen, "trailing backslash");
				goto fail;
			}
			if (p[1] != '\n')
				word[wl++] = p[1];
			p += 2;
		} else {
			word[wl++] = c;
			p++;
		}
	}
	if (argc == 0) {
		snprintf(err, errlen, "empty command");
		goto fail;
	}
	free(word);
	*argv_out = argv;
	return 0;
fail:
	free(word);
	creds_argv_free(argv);
	return -1;
}
