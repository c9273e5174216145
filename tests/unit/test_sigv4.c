/* SPDX-License-Identifier: MIT */
/*
 * test_sigv4: the SigV4 signer (daemon/sigv4.c) against the aws-c-auth
 * signing vectors in tests/data/sigv4 (argv[1]), one cmocka test per
 * case folder, then direct tests of the DynamoDB request shape and of
 * bad input.
 *
 * Per vector: context.json gives the credentials, region, service, time
 * and flags; request.txt the request; the header-* files the expected
 * canonical request, string to sign, signature and signed request.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf, strndup, timegm */
#endif

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "sigv4.h"

#define N_VECTORS 38 /* case folders in tests/data/sigv4 */

static const char *data_dir;
static size_t n_found; /* case folders found in data_dir */

/* ---- helpers -------------------------------------------------------------- */

/* "a/b" in a new string; fails the test when out of memory. */
static char *path_join(const char *a, const char *b)
{
	char *s = NULL;

	assert_true(asprintf(&s, "%s/%s", a, b) >= 0);
	return s;
}

/*
 * Reads a whole file into a new NUL-terminated buffer; *lenp (if not
 * NULL) gets its length. Fails the test if the file cannot be read.
 */
static char *slurp(const char *dir, const char *name, size_t *lenp)
{
	char *path = path_join(dir, name), *buf;
	FILE *f;
	long n;
	size_t got;

	f = fopen(path, "rb");
	if (f == NULL)
		print_error("cannot open %s\n", path);
	free(path);
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	got = fread(buf, 1, (size_t)n, f);
	fclose(f);
	assert_int_equal(got, (size_t)n);
	buf[n] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)n;
	return buf;
}

/*
 * The value of header `name` in an HTTP/1.1 message text (first match,
 * name without case, blanks after ':' skipped), as a new string, or
 * NULL when absent. Stops at the blank line ending the header block.
 */
static char *find_header(const char *msg, const char *name)
{
	const char *line = strchr(msg, '\n'), *end, *v;
	size_t nlen = strlen(name);

	while (line != NULL && line[1] != '\n' && line[1] != '\0') {
		line++;
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if ((size_t)(end - line) > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			for (v = line + nlen + 1; *v == ' ' || *v == '\t'; v++)
				;
			return strndup(v, (size_t)(end - v));
		}
		line = *end == '\n' ? end : NULL;
	}
	return NULL;
}

/* ---- one vector ----------------------------------------------------------- */

/* Everything a vector test allocates, freed by vector_teardown(). */
struct vcase {
	char *name;
	char *dir;
	json_t *ctx;		/* context.json; owns the key strings */
	char *request;		/* request.txt, parsed in place */
	sigv4_header *headers;
	char **folded;		/* per header: folded value, or NULL */
	size_t n_headers;
	char *expect_creq, *expect_sts, *expect_sig, *signed_req;
	char *hdr_value;	/* a header looked up in signed_req */
	sigv4_result res;
};

/*
 * Parses request.txt (c->request, len bytes) into req and c->headers:
 * "METHOD target HTTP/1.1", header lines, a blank line, the body. The
 * target is split at its first '?'. A line that begins with a blank
 * continues the previous header: it is appended trimmed, after one
 * space (RFC 7230 obs-fold, replaced by SP), which is how the vectors'
 * expected outputs read get-header-value-multiline.
 */
static void parse_request(struct vcase *c, size_t len, sigv4_request *req)
{
	char *p = c->request, *end = c->request + len, *nl, *sp, *colon, *q;
	size_t max_headers = 1;

	for (q = p; q < end; q++)
		if (*q == '\n')
			max_headers++;
	c->headers = calloc(max_headers, sizeof(*c->headers));
	c->folded = calloc(max_headers, sizeof(*c->folded));
	assert_non_null(c->headers);
	assert_non_null(c->folded);

	/* request line */
	nl = memchr(p, '\n', (size_t)(end - p));
	assert_non_null(nl);
	*nl = '\0';
	sp = strchr(p, ' ');
	q = strrchr(p, ' ');
	assert_non_null(sp);
	assert_true(q > sp);
	assert_string_equal(q + 1, "HTTP/1.1");
	*sp = '\0';
	*q = '\0';
	req->method = p;
	req->path = sp + 1;
	if ((q = strchr(sp + 1, '?')) != NULL) {
		*q = '\0';
		req->query = q + 1;
	}
	p = nl + 1;

	/* header lines, up to the blank line or the end */
	while (p < end && *p != '\n') {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		if (*p == ' ' || *p == '\t') {
			size_t k = c->n_headers - 1;
			char *s = NULL, *e = nl;

			assert_true(c->n_headers > 0);
			while (*p == ' ' || *p == '\t')
				p++;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = '\0';
			assert_true(asprintf(&s, "%s %s",
			    c->headers[k].value, p) >= 0);
			free(c->folded[k]);
			c->folded[k] = s;
			c->headers[k].value = s;
		} else {
			colon = strchr(p, ':');
			assert_non_null(colon);
			*colon = '\0';
			c->headers[c->n_headers].name = p;
			c->headers[c->n_headers].value = colon + 1;
			c->n_headers++;
		}
		p = nl < end ? nl + 1 : end;
	}
	if (p < end)
		p++; /* the blank line */
	req->headers = c->headers;
	req->n_headers = c->n_headers;
	req->body = p;
	req->body_len = (size_t)(end - p);
}

/* "2015-08-30T12:36:00Z" to a time_t. */
static time_t parse_timestamp(const char *s)
{
	struct tm tm;
	char z = '\0';

	memset(&tm, 0, sizeof(tm));
	/* NOLINTNEXTLINE(cert-err34-c): our own date strings, count checked */
	assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d:%d%c", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z),
	    7);
	assert_int_equal(z, 'Z');
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* Checks one header of the example signed request against ours. */
static void check_signed_header(struct vcase *c, const char *name,
    const char *want)
{
	free(c->hdr_value);
	c->hdr_value = find_header(c->signed_req, name);
	if (want == NULL) {
		assert_null(c->hdr_value);
		return;
	}
	assert_non_null(c->hdr_value);
	assert_string_equal(c->hdr_value, want);
}

static void test_vector(void **state)
{
	struct vcase *c = *state;
	sigv4_request req;
	sigv4_key key;
	json_error_t jerr;
	const char *ts = NULL, *token = NULL;
	int normalize = 0, sign_body = 0, omit = 0;
	char *path;
	size_t len;

	memset(&req, 0, sizeof(req));
	memset(&key, 0, sizeof(key));

	path = path_join(c->dir, "context.json");
	c->ctx = json_load_file(path, 0, &jerr);
	free(path);
	if (c->ctx == NULL)
		print_error("%s/context.json: %s\n", c->name, jerr.text);
	assert_non_null(c->ctx);
	assert_int_equal(json_unpack_ex(c->ctx, &jerr, 0,
	    "{s:{s:s, s:s, s?:s}, s:s, s:s, s:s, s:b, s:b, s?:b}",
	    "credentials", "access_key_id", &key.access_key_id,
	    "secret_access_key", &key.secret_access_key, "token", &token,
	    "region", &req.region, "service", &req.service,
	    "timestamp", &ts, "normalize", &normalize,
	    "sign_body", &sign_body, "omit_session_token", &omit), 0);
	key.session_token = token;
	req.now = parse_timestamp(ts);
	req.flags = (normalize ? SIGV4_NORMALIZE_PATH : 0) |
	    (sign_body ? SIGV4_SIGN_BODY : 0) | (omit ? SIGV4_OMIT_TOKEN : 0);

	c->request = slurp(c->dir, "request.txt", &len);
	parse_request(c, len, &req);
	c->expect_creq = slurp(c->dir, "header-canonical-request.txt", NULL);
	c->expect_sts = slurp(c->dir, "header-string-to-sign.txt", NULL);
	c->expect_sig = slurp(c->dir, "header-signature.txt", NULL);
	c->signed_req = slurp(c->dir, "header-signed-request.txt", NULL);

	assert_int_equal(sigv4_sign(&req, &key, &c->res), 0);
	assert_string_equal(c->res.canonical_request, c->expect_creq);
	assert_string_equal(c->res.string_to_sign, c->expect_sts);
	assert_string_equal(c->res.signature, c->expect_sig);
	check_signed_header(c, "Authorization", c->res.authorization);
	check_signed_header(c, "X-Amz-Date", c->res.amz_date);
	check_signed_header(c, "X-Amz-Security-Token", token);
	check_signed_header(c, "x-amz-content-sha256",
	    sign_body ? c->res.content_sha256 : NULL);
}

static int vector_teardown(void **state)
{
	struct vcase *c = *state;
	size_t i;

	sigv4_result_free(&c->res);
	json_decref(c->ctx);
	c->ctx = NULL;
	for (i = 0; c->folded != NULL && i < c->n_headers; i++)
		free(c->folded[i]);
	free(c->folded);
	free(c->headers);
	free(c->request);
	free(c->expect_creq);
	free(c->expect_sts);
	free(c->expect_sig);
	free(c->signed_req);
	free(c->hdr_value);
	c->folded = NULL;
	c->headers = NULL;
	c->request = c->expect_creq = c->expect_sts = c->expect_sig = NULL;
	c->signed_req = c->hdr_value = NULL;
	c->n_headers = 0;
	return 0;
}

static void test_vector_count(void **state)
{
	(void)state;
	if (n_found != N_VECTORS)
		print_error("%zu case folders in %s, expected %d\n", n_found,
		    data_dir, N_VECTORS);
	assert_int_equal(n_found, N_VECTORS);
}

static int vcase_cmp(const void *a, const void *b)
{
	const struct vcase *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Every sub-folder of data_dir holding a context.json, sorted by name. */
static struct vcase *find_vectors(size_t *np)
{
	struct vcase *v = NULL, *nv;
	struct dirent *de;
	struct stat st;
	DIR *d;
	size_t n = 0;
	char *dir, *ctx;

	if ((d = opendir(data_dir)) == NULL) {
		fprintf(stderr, "test_sigv4: cannot open %s\n", data_dir);
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&dir, "%s/%s", data_dir, de->d_name) < 0)
			abort();
		if (asprintf(&ctx, "%s/context.json", dir) < 0)
			abort();
		if (stat(ctx, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(dir);
			free(ctx);
			continue;
		}
		free(ctx);
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL)
			abort();
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].dir = dir;
		if ((v[n].name = strdup(de->d_name)) == NULL)
			abort();
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), vcase_cmp);
	*np = n;
	return v;
}

/* ---- direct tests --------------------------------------------------------- */

#define AKID	"AKIDEXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T_2024	((time_t)1709288100) /* 2024-03-01T10:15:00Z */
#define DDB_HOST "dynamodb.eu-west-1.amazonaws.com"
#define HASH_OF_BRACES \
	"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

static const sigv4_header ddb_headers[] = {
	{ "Host", DDB_HOST },
	{ "Content-Type", "application/x-amz-json-1.0" },
	{ "X-Amz-Target", "DynamoDB_20120810.ListTables" },
};

/* A DynamoDB ListTables request, as upstream.c would sign it. */
static sigv4_request ddb_request(void)
{
	sigv4_request req;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/";
	req.headers = ddb_headers;
	req.n_headers = 3;
	req.body = "{}";
	req.body_len = 2;
	req.region = "eu-west-1";
	req.service = "dynamodb";
	req.now = T_2024;
	req.flags = SIGV4_NORMALIZE_PATH;
	return req;
}

/*
 * Expected values computed independently (Python hashlib/hmac, from the
 * SigV4 documentation), not with the code under test.
 */
static void test_dynamodb_list_tables(void **state)
{
	sigv4_request req = ddb_request();
	sigv4_key key = { AKID, SECRET, NULL };
	sigv4_result res;

	(void)state;
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_string_equal(res.amz_date, "20240301T101500Z");
	assert_string_equal(res.content_sha256, HASH_OF_BRACES);
	assert_string_equal(res.canonical_request,
	    "POST\n/\n\n"
	    "content-type:application/x-amz-json-1.0\n"
	    "host:" DDB_HOST "\n"
	    "x-amz-date:20240301T101500Z\n"
	    "x-amz-target:DynamoDB_20120810.ListTables\n"
	    "\n"
	    "content-type;host;x-amz-date;x-amz-target\n"
	    HASH_OF_BRACES);
	assert_string_equal(res.string_to_sign,
	    "AWS4-HMAC-SHA256\n20240301T101500Z\n"
	    "20240301/eu-west-1/dynamodb/aws4_request\n"
	    "cfcac92e2c992bb614f79d8225b702b6c2c5cd50a11e616641e0d88f6410f181");
	assert_string_equal(res.signature,
	    "d3d87cec5d062879e713101e0e14590d1864af845fb6eba5cd4b8ed39d1c7c14");
	assert_string_equal(res.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240301/eu-west-1/"
	    "dynamodb/aws4_request, SignedHeaders=content-type;host;"
	    "x-amz-date;x-amz-target, Signature="
	    "d3d87cec5d062879e713101e0e14590d1864af845fb6eba5cd4b8ed39d1c7c14");
	sigv4_result_free(&res);
	/* freeing twice is harmless: the result was zeroed */
	sigv4_result_free(&res);
	assert_null(res.authorization);
	/* after sigv4_cleanup() the signer fetches its algorithms again */
	sigv4_cleanup();
	sigv4_cleanup();
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_string_equal(res.signature,
	    "d3d87cec5d062879e713101e0e14590d1864af845fb6eba5cd4b8ed39d1c7c14");
	sigv4_result_free(&res);
}

static void test_dynamodb_session_token(void **state)
{
	sigv4_request req = ddb_request();
	sigv4_key key = { AKID, SECRET, "FQoGZXIvYXdzEXAMPLETOKEN==" };
	sigv4_result res;

	(void)state;
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_non_null(strstr(res.canonical_request,
	    "\nx-amz-date:20240301T101500Z\n"
	    "x-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN==\n"
	    "x-amz-target:DynamoDB_20120810.ListTables\n\n"
	    "content-type;host;x-amz-date;x-amz-security-token;"
	    "x-amz-target\n"));
	assert_string_equal(res.signature,
	    "4cf2e3e0b622efb4b63beb45296c5754b9d8e518430e91c00c2df7dd8a28a4de");
	assert_non_null(strstr(res.authorization,
	    "SignedHeaders=content-type;host;x-amz-date;"
	    "x-amz-security-token;x-amz-target, "));
	sigv4_result_free(&res);

	/* SIGV4_OMIT_TOKEN: signed as if there were no token */
	req.flags |= SIGV4_OMIT_TOKEN;
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_null(strstr(res.canonical_request, "x-amz-security-token"));
	assert_string_equal(res.signature,
	    "d3d87cec5d062879e713101e0e14590d1864af845fb6eba5cd4b8ed39d1c7c14");
	sigv4_result_free(&res);

	/* an empty token is no token */
	req.flags &= ~(unsigned)SIGV4_OMIT_TOKEN;
	key.session_token = "";
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_string_equal(res.signature,
	    "d3d87cec5d062879e713101e0e14590d1864af845fb6eba5cd4b8ed39d1c7c14");
	sigv4_result_free(&res);
}

static void test_sign_body_header(void **state)
{
	sigv4_request req = ddb_request();
	sigv4_key key = { AKID, SECRET, NULL };
	sigv4_result res;

	(void)state;
	req.flags |= SIGV4_SIGN_BODY;
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_non_null(strstr(res.canonical_request,
	    "\nx-amz-content-sha256:" HASH_OF_BRACES "\n"
	    "x-amz-date:20240301T101500Z\n"));
	assert_non_null(strstr(res.canonical_request,
	    "\ncontent-type;host;x-amz-content-sha256;x-amz-date;"
	    "x-amz-target\n" HASH_OF_BRACES));
	sigv4_result_free(&res);

	/* no body at all: the hash of the empty string */
	req.body = NULL;
	req.body_len = 0;
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_string_equal(res.content_sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sigv4_result_free(&res);
}

/* Signs req and returns line `n` (0-based) of the canonical request. */
static char *creq_line(const sigv4_request *req, int n)
{
	sigv4_key key = { AKID, SECRET, NULL };
	sigv4_result res;
	const char *p, *e;
	char *line;

	assert_int_equal(sigv4_sign(req, &key, &res), 0);
	p = res.canonical_request;
	for (; n > 0; n--) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	e = strchr(p, '\n');
	assert_non_null(e);
	line = strndup(p, (size_t)(e - p));
	sigv4_result_free(&res);
	assert_non_null(line);
	return line;
}

static void check_path(const char *path, unsigned flags, const char *want)
{
	sigv4_request req = ddb_request();
	char *got;

	req.path = path;
	req.flags = flags;
	got = creq_line(&req, 1);
	if (strcmp(got, want) != 0)
		print_error("path \"%s\" flags %u\n", path, flags);
	assert_string_equal(got, want);
	free(got);
}

static void check_query(const char *query, const char *want)
{
	sigv4_request req = ddb_request();
	char *got;

	req.query = query;
	got = creq_line(&req, 2);
	if (strcmp(got, want) != 0)
		print_error("query \"%s\"\n", query);
	assert_string_equal(got, want);
	free(got);
}

static void test_path_and_query(void **state)
{
	(void)state;
	check_path("/a/./b/../c/", SIGV4_NORMALIZE_PATH, "/a/c/");
	check_path("/a/./b/../c/", 0, "/a/./b/../c/");
	check_path("/../../x", SIGV4_NORMALIZE_PATH, "/x");
	check_path("/a/..", SIGV4_NORMALIZE_PATH, "/");
	check_path("", SIGV4_NORMALIZE_PATH, "/");
	check_path("", 0, "/");
	check_path("/a%20b", SIGV4_NORMALIZE_PATH, "/a%2520b");
	check_path("/~x+y=z", 0, "/~x%2By%3Dz");

	check_query(NULL, "");
	check_query("", "");
	check_query("b=2&a=1&a=0&&c", "a=0&a=1&b=2&c=");
	check_query("x=%zz&y=%4", "x=%25zz&y=%254");
	check_query("k=a+b c", "k=a%2Bb%20c");
	check_query("k=%2f%2F/", "k=%2F%2F%2F");
	check_query("a=b=c", "a=b%3Dc");
}

static void test_header_values(void **state)
{
	static const sigv4_header h[] = {
		{ "X-Foo", "  a   b  " },
		{ "host", "h" },
		{ "x-foo", "\t c\t" },
		{ "X-EMPTY", "" },
		{ "x-foo", "   " },
		{ "x-foo", "d" },
		{ "X-Tab", "a\t\tb" },
	};
	sigv4_request req = ddb_request();
	sigv4_key key = { AKID, SECRET, NULL };
	sigv4_result res;

	(void)state;
	req.headers = h;
	req.n_headers = sizeof(h) / sizeof(h[0]);
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_non_null(strstr(res.canonical_request,
	    "\n\nhost:h\nx-amz-date:20240301T101500Z\nx-empty:\n"
	    "x-foo:a b,c,d\nx-tab:a\t\tb\n\n"
	    "host;x-amz-date;x-empty;x-foo;x-tab\n"));
	sigv4_result_free(&res);
}

static void test_time(void **state)
{
	sigv4_request req = ddb_request();
	sigv4_key key = { AKID, SECRET, NULL };
	sigv4_result res;

	(void)state;
	req.now = 0;
	assert_int_equal(sigv4_sign(&req, &key, &res), 0);
	assert_string_equal(res.amz_date, "19700101T000000Z");
	assert_non_null(strstr(res.authorization,
	    "Credential=AKIDEXAMPLE/19700101/eu-west-1/dynamodb/aws4_request,"));
	sigv4_result_free(&res);

	req.now = (time_t)253402300800; /* 10000-01-01: does not fit */
	assert_int_equal(sigv4_sign(&req, &key, &res), -1);
	assert_null(res.authorization);
	sigv4_result_free(&res);
}

/* sigv4_sign must fail, and leave res empty. */
static void expect_fail(const sigv4_request *req, const sigv4_key *key,
    const char *what)
{
	sigv4_result res;

	memset(&res, 0x5a, sizeof(res));
	if (sigv4_sign(req, key, &res) != -1) {
		print_error("signed: %s\n", what);
		sigv4_result_free(&res);
		fail();
	}
	assert_null(res.authorization);
	assert_null(res.canonical_request);
	assert_null(res.string_to_sign);
	assert_int_equal(res.signature[0], '\0');
	sigv4_result_free(&res);
}

static void expect_header_fail(const char *name, const char *value,
    const sigv4_key *key, unsigned flags)
{
	sigv4_header h[2] = { { "Host", "h" }, { name, value } };
	sigv4_request req = ddb_request();

	req.headers = h;
	req.n_headers = 2;
	req.flags = flags;
	expect_fail(&req, key, name != NULL ? name : "(null name)");
}

static void test_bad_input(void **state)
{
	const sigv4_key good = { AKID, SECRET, NULL };
	const sigv4_key tok = { AKID, SECRET, "TOKEN" };
	const sigv4_header host_only[] = { { "Host", "h" } };
	const sigv4_header no_host[] = { { "X-Amz-Target", "t" } };
	sigv4_request req;
	sigv4_key key;
	sigv4_result res;

	(void)state;
	req = ddb_request();
	expect_fail(NULL, &good, "NULL request");
	expect_fail(&req, NULL, "NULL key");
	assert_int_equal(sigv4_sign(&req, &good, NULL), -1);

#define BAD(field, val) do { \
	req = ddb_request(); \
	req.field = val; \
	expect_fail(&req, &good, #field " = " #val); \
} while (0)
	BAD(method, NULL);
	BAD(method, "");
	BAD(method, "PO ST");
	BAD(path, NULL);
	BAD(region, NULL);
	BAD(region, "");
	BAD(region, "us/east");
	BAD(region, "us east");
	BAD(service, NULL);
	BAD(service, "dyn,amo");
	BAD(body, NULL); /* with body_len 2 */
	BAD(headers, NULL); /* with n_headers 3 */
	BAD(flags, 0x100);
#undef BAD
	req = ddb_request();
	req.headers = no_host;
	req.n_headers = 1;
	expect_fail(&req, &good, "no Host header");
	req.headers = host_only;
	req.n_headers = 0;
	expect_fail(&req, &good, "no header at all");

#define BADKEY(a, s, t, what) do { \
	key.access_key_id = (a); \
	key.secret_access_key = (s); \
	key.session_token = (t); \
	req = ddb_request(); \
	expect_fail(&req, &key, what); \
} while (0)
	BADKEY(NULL, SECRET, NULL, "NULL access key id");
	BADKEY("", SECRET, NULL, "empty access key id");
	BADKEY("AK/ID", SECRET, NULL, "access key id with '/'");
	BADKEY(AKID, NULL, NULL, "NULL secret");
	BADKEY(AKID, "", NULL, "empty secret");
	BADKEY(AKID, SECRET, "tok\nen", "token with LF");
#undef BADKEY

	expect_header_fail(NULL, "v", &good, 0);
	expect_header_fail("X-Foo", NULL, &good, 0);
	expect_header_fail("", "v", &good, 0);
	expect_header_fail("Bad Name", "v", &good, 0);
	expect_header_fail("Bad:Name", "v", &good, 0);
	expect_header_fail("Bad\nName", "v", &good, 0);
	expect_header_fail("X-Foo", "a\r\nInjected: yes", &good, 0);
	expect_header_fail("X-Foo", "a\nb", &good, 0);
	expect_header_fail("X-Amz-Date", "20150830T123600Z", &good, 0);
	expect_header_fail("authorization", "x", &good, 0);
	expect_header_fail("X-Amz-Security-Token", "TOKEN", &tok, 0);
	expect_header_fail("X-Amz-Security-Token", "TOKEN", &tok,
	    SIGV4_OMIT_TOKEN);
	expect_header_fail("X-Amz-Content-Sha256", "x", &good,
	    SIGV4_SIGN_BODY);

	/* a failed result and a zeroed one free safely */
	memset(&res, 0, sizeof(res));
	sigv4_result_free(&res);
	sigv4_result_free(NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest direct[] = {
		cmocka_unit_test(test_dynamodb_list_tables),
		cmocka_unit_test(test_dynamodb_session_token),
		cmocka_unit_test(test_sign_body_header),
		cmocka_unit_test(test_path_and_query),
		cmocka_unit_test(test_header_values),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_bad_input),
	};
	struct CMUnitTest *tests;
	struct vcase *cases;
	size_t i;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: test_sigv4 tests/data/sigv4\n");
		return 2;
	}
	data_dir = argv[1];
	cases = find_vectors(&n_found);
	tests = calloc(n_found + 1, sizeof(*tests));
	if (tests == NULL)
		abort();
	tests[0].name = "vector_count";
	tests[0].test_func = test_vector_count;
	for (i = 0; i < n_found; i++) {
		tests[i + 1].name = cases[i].name;
		tests[i + 1].test_func = test_vector;
		tests[i + 1].teardown_func = vector_teardown;
		tests[i + 1].initial_state = &cases[i];
	}
	/* the array is built at run time, so the macro's sizeof cannot
	 * count it: call the function behind cmocka_run_group_tests() */
	failed = _cmocka_run_group_tests("sigv4_vectors", tests, n_found + 1,
	    NULL, NULL);
	failed += cmocka_run_group_tests_name("sigv4_direct", direct, NULL,
	    NULL);

	sigv4_cleanup();
	for (i = 0; i < n_found; i++) {
		free(cases[i].name);
		free(cases[i].dir);
	}
	free(cases);
	free(tests);
	return failed != 0;
}
