/* SPDX-License-Identifier: MIT */
/*
 * sigv4.c: AWS Signature Version 4 (AWS4-HMAC-SHA256), Authorization
 * header form. Pure: no I/O, nothing logged.
 *
 * The canonical request and the string to sign follow the AWS SigV4
 * documentation and the aws-c-auth signing test suite kept in
 * tests/data/sigv4 (every service but S3: the path is URI-encoded once
 * more, query keys and values are decoded and encoded again). Hashing
 * and HMAC are OpenSSL 3 (EVP_Digest, EVP_MAC "HMAC"); key material
 * derived here is wiped with OPENSSL_cleanse() before it is released.
 *
 * The one state kept between calls: the SHA-256 digest and an unkeyed
 * HMAC-SHA256 context, fetched on first use (a fetch looks the algorithm
 * up by name, which costs as much as the hashing of a signature) and
 * freed by sigv4_cleanup(). Not thread-safe, like the daemon's one loop.
 *
 * Every string is built in a growable buffer (struct sigv4_buf): no
 * fixed-size buffer holds anything whose length comes from the caller.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "sigv4.h"

#define SIGV4_ALGORITHM	 "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SIGV4_HASH_LEN	 32 /* SHA-256 */
#define SIGV4_FLAGS_ALL	 (SIGV4_NORMALIZE_PATH | SIGV4_SIGN_BODY | SIGV4_OMIT_TOKEN)

/* ---- growable string ------------------------------------------------------ */

/*
 * A NUL-terminated string that grows on demand. The first failed
 * allocation sets `failed`; later appends do nothing, so a sequence of
 * appends is checked once at its end.
 */
struct sigv4_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

/* Makes room for `extra` more bytes plus the NUL; false on failure. */
static bool sigv4_buf_reserve(struct sigv4_buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (b->failed)
		return false;
	if (extra > SIZE_MAX - 1 - b->len) {
		b->failed = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	ncap = b->cap != 0 ? b->cap : 128;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	p = realloc(b->data, ncap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = ncap;
	return true;
}

static void sigv4_buf_add(struct sigv4_buf *b, const void *p, size_t n)
{
	if (!sigv4_buf_reserve(b, n))
		return;
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void sigv4_buf_puts(struct sigv4_buf *b, const char *s)
{
	sigv4_buf_add(b, s, strlen(s));
}

static void sigv4_buf_putc(struct sigv4_buf *b, char c)
{
	sigv4_buf_add(b, &c, 1);
}

/* Frees the buffer's memory and empties it. */
static void sigv4_buf_free(struct sigv4_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/*
 * Hands the string over to the caller (who frees it), or returns NULL
 * after freeing it when an append failed. The buffer is left empty.
 */
static char *sigv4_buf_take(struct sigv4_buf *b)
{
	char *s;

	if (b->failed || !sigv4_buf_reserve(b, 0)) {
		sigv4_buf_free(b);
		return NULL;
	}
	b->data[b->len] = '\0'; /* when nothing was ever appended */
	s = b->data;
	memset(b, 0, sizeof(*b));
	return s;
}

/* ---- characters ----------------------------------------------------------- */

/* ASCII only, whatever the locale. */
static char sigv4_lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

static bool sigv4_is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~ */
static bool sigv4_is_unreserved(unsigned char c)
{
	return sigv4_is_alnum(c) || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* RFC 7230 tchar, the characters of a header name or a method. */
static bool sigv4_is_tchar(unsigned char c)
{
	return sigv4_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static bool sigv4_is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!sigv4_is_tchar((unsigned char)*s))
			return false;
	return true;
}

/* A header value: no control character but HTAB (no CR, no LF). */
static bool sigv4_is_field_value(const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

/*
 * A part of the credential (access key id, region, service): visible
 * ASCII, not empty, without '/' (the scope separator) or ',' (the
 * Authorization field separator).
 */
static bool sigv4_is_scope_part(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '/' || *s == ',')
			return false;
	return true;
}

/* Header name equality, ignoring ASCII case. */
static bool sigv4_same_name(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (sigv4_lower(*a) != sigv4_lower(*b))
			return false;
	return *a == *b;
}

static int sigv4_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Writes n bytes as 2n lower-case hex digits and a NUL into out. */
static void sigv4_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Appends one byte, percent-encoded unless unreserved (or a kept '/'). */
static void sigv4_buf_encode_byte(struct sigv4_buf *b, unsigned char c,
    bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	char esc[3];

	if (sigv4_is_unreserved(c) || (keep_slash && c == '/')) {
		sigv4_buf_putc(b, (char)c);
		return;
	}
	esc[0] = '%';
	esc[1] = digits[c >> 4];
	esc[2] = digits[c & 0xf];
	sigv4_buf_add(b, esc, sizeof(esc));
}

/* ---- hashing -------------------------------------------------------------- */

static EVP_MD *sigv4_md;	       /* SHA-256 */
static EVP_MAC_CTX *sigv4_hmac_ctx; /* HMAC-SHA256 without a key: dup it */

/* Fetches the digest and sets up the HMAC context once; false if
 * OpenSSL cannot (no default provider, out of memory). */
static bool sigv4_init(void)
{
	static char digest_name[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	if (sigv4_hmac_ctx != NULL)
		return true;
	if (sigv4_md == NULL &&
	    (sigv4_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return false;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return false;
	sigv4_hmac_ctx = EVP_MAC_CTX_new(mac); /* holds its own reference */
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (sigv4_hmac_ctx != NULL &&
	    EVP_MAC_CTX_set_params(sigv4_hmac_ctx, params) != 1) {
		EVP_MAC_CTX_free(sigv4_hmac_ctx);
		sigv4_hmac_ctx = NULL;
	}
	return sigv4_hmac_ctx != NULL;
}

/* See sigv4.h. */
void sigv4_cleanup(void)
{
	EVP_MAC_CTX_free(sigv4_hmac_ctx);
	EVP_MD_free(sigv4_md);
	sigv4_hmac_ctx = NULL;
	sigv4_md = NULL;
}

/* SHA-256 of n bytes at p as 64 hex digits and a NUL; -1 on failure. */
static int sigv4_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, sigv4_md, NULL) != 1 ||
	    mdlen != SIGV4_HASH_LEN)
		return -1;
	sigv4_hex(md, SIGV4_HASH_LEN, out);
	return 0;
}

/*
 * out = HMAC-SHA256(key, msg) with ctx, an HMAC context whose digest is
 * already set; ctx is re-keyed on every call. out may not overlap key.
 */
static int sigv4_hmac(EVP_MAC_CTX *ctx, const unsigned char *key,
    size_t keylen, const void *msg, size_t msglen,
    unsigned char out[SIGV4_HASH_LEN])
{
	size_t outlen = 0;

	if (EVP_MAC_init(ctx, key, keylen, NULL) != 1 ||
	    EVP_MAC_update(ctx, msg, msglen) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, SIGV4_HASH_LEN) != 1 ||
	    outlen != SIGV4_HASH_LEN)
		return -1;
	return 0;
}

/*
 * Derives the signing key ("AWS4" + secret, then date, region, service,
 * "aws4_request") and writes HMAC(signing key, string_to_sign) as hex to
 * sig_hex. Every intermediate key is wiped before return; the keyed
 * context is a copy of sigv4_hmac_ctx, freed (and so wiped) here.
 */
static int sigv4_signature(const char *secret, const char *date8,
    const char *region, const char *service, const char *string_to_sign,
    char sig_hex[65])
{
	EVP_MAC_CTX *ctx = NULL;
	unsigned char ka[SIGV4_HASH_LEN], kb[SIGV4_HASH_LEN];
	unsigned char *ksecret = NULL;
	size_t slen;
	int rc = -1;

	slen = strlen(secret);
	if (slen > SIZE_MAX - 4)
		return -1;
	if ((ksecret = malloc(slen + 4)) == NULL)
		return -1;
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, secret, slen);

	if ((ctx = EVP_MAC_CTX_dup(sigv4_hmac_ctx)) == NULL)
		goto out;

	if (sigv4_hmac(ctx, ksecret, slen + 4, date8, strlen(date8), ka) ||
	    sigv4_hmac(ctx, ka, sizeof(ka), region, strlen(region), kb) ||
	    sigv4_hmac(ctx, kb, sizeof(kb), service, strlen(service), ka) ||
	    sigv4_hmac(ctx, ka, sizeof(ka), SIGV4_TERMINATOR,
	    strlen(SIGV4_TERMINATOR), kb) ||
	    sigv4_hmac(ctx, kb, sizeof(kb), string_to_sign,
	    strlen(string_to_sign), ka))
		goto out;
	sigv4_hex(ka, sizeof(ka), sig_hex);
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	OPENSSL_cleanse(ksecret, slen + 4);
	free(ksecret);
	OPENSSL_cleanse(ka, sizeof(ka));
	OPENSSL_cleanse(kb, sizeof(kb));
	return rc;
}

/* ---- canonical URI -------------------------------------------------------- */

/*
 * Appends the canonical URI of path. With normalize, "." and empty
 * segments are dropped and ".." removes the segment before it (never
 * going above the root); the result starts with '/' and keeps a final
 * '/' if path had one. The (normalised) path is then URI-encoded, '/'
 * kept: a raw "%20" becomes "%2520" (the non-S3 "double encoding").
 */
static void sigv4_canonical_uri(struct sigv4_buf *out, const char *path,
    bool normalize)
{
	struct sigv4_buf norm = { 0 };
	const char *src = path, *seg, *end;
	size_t srclen, seglen, i;

	if (normalize) {
		end = path + strlen(path);
		for (seg = path; seg < end; seg += seglen + 1) {
			const char *slash = memchr(seg, '/', (size_t)(end - seg));

			seglen = slash != NULL ? (size_t)(slash - seg) :
			    (size_t)(end - seg);
			if (seglen == 0 || (seglen == 1 && seg[0] == '.'))
				continue;
			if (seglen == 2 && seg[0] == '.' && seg[1] == '.') {
				/* norm is "/s1/s2...": drop the last "/sN" */
				while (norm.len > 0 && norm.data[--norm.len] != '/')
					;
				if (norm.data != NULL)
					norm.data[norm.len] = '\0';
				continue;
			}
			sigv4_buf_putc(&norm, '/');
			sigv4_buf_add(&norm, seg, seglen);
		}
		if (norm.len == 0 || (end > path && end[-1] == '/'))
			sigv4_buf_putc(&norm, '/');
		if (norm.failed) {
			out->failed = true;
			sigv4_buf_free(&norm);
			return;
		}
		src = norm.data;
	}
	srclen = strlen(src);
	if (srclen == 0)
		sigv4_buf_putc(out, '/');
	for (i = 0; i < srclen; i++)
		sigv4_buf_encode_byte(out, (unsigned char)src[i], true);
	sigv4_buf_free(&norm);
}

/* ---- canonical query string ----------------------------------------------- */

struct sigv4_param {
	char *key;   /* encoded */
	char *value; /* encoded */
};

/*
 * Appends n bytes of a raw query key or value in canonical form: valid
 * "%XX" escapes are decoded first, then every byte but the unreserved
 * ones is encoded (so "%E1%88%B4" and the raw UTF-8 bytes both give
 * "%E1%88%B4"). '+' is a literal plus, encoded "%2B".
 */
static void sigv4_buf_requote(struct sigv4_buf *b, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%' && i + 2 < n &&
		    (hi = sigv4_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = sigv4_hexval((unsigned char)s[i + 2])) >= 0) {
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		sigv4_buf_encode_byte(b, c, false);
	}
}

/* Orders parameters by encoded key, then encoded value, bytewise. */
static int sigv4_param_cmp(const void *a, const void *b)
{
	const struct sigv4_param *pa = a, *pb = b;
	int c = strcmp(pa->key, pb->key);

	return c != 0 ? c : strcmp(pa->value, pb->value);
}

/*
 * Appends the canonical query string of query (raw, without '?'; NULL
 * or "" for none): "&"-separated pairs, empty pairs skipped, a pair
 * without '=' has an empty value, sorted, joined as "k=v&k=v".
 */
static void sigv4_canonical_query(struct sigv4_buf *out, const char *query)
{
	struct sigv4_param *params = NULL;
	struct sigv4_buf kb = { 0 }, vb = { 0 };
	const char *p, *end, *amp, *eq;
	size_t n = 1, i, count = 0;

	if (query == NULL || *query == '\0')
		return;
	for (p = query; *p != '\0'; p++)
		if (*p == '&')
			n++;
	if ((params = calloc(n, sizeof(*params))) == NULL) {
		out->failed = true;
		return;
	}
	end = query + strlen(query);
	for (p = query; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		sigv4_buf_requote(&kb, p, (size_t)(eq - p));
		if (eq < amp)
			sigv4_buf_requote(&vb, eq + 1, (size_t)(amp - eq - 1));
		params[count].key = sigv4_buf_take(&kb);
		params[count].value = sigv4_buf_take(&vb);
		if (params[count].key == NULL || params[count].value == NULL) {
			out->failed = true;
			count++;
			goto out;
		}
		count++;
	}
	qsort(params, count, sizeof(*params), sigv4_param_cmp);
	for (i = 0; i < count; i++) {
		if (i > 0)
			sigv4_buf_putc(out, '&');
		sigv4_buf_puts(out, params[i].key);
		sigv4_buf_putc(out, '=');
		sigv4_buf_puts(out, params[i].value);
	}
out:
	for (i = 0; i < count; i++) {
		free(params[i].key);
		free(params[i].value);
	}
	free(params);
}

/* ---- canonical headers ---------------------------------------------------- */

struct sigv4_hdr {
	const char *name;  /* any case; borrowed */
	const char *value; /* as sent; borrowed */
	size_t index;	   /* position in the request, for a stable sort */
};

/* Orders headers by lower-cased name, then by position. */
static int sigv4_hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_hdr *ha = a, *hb = b;
	const char *x = ha->name, *y = hb->name;
	unsigned char cx, cy;

	for (;; x++, y++) {
		cx = (unsigned char)sigv4_lower(*x);
		cy = (unsigned char)sigv4_lower(*y);
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx == '\0')
			break;
	}
	return ha->index < hb->index ? -1 : ha->index > hb->index;
}

static void sigv4_buf_put_lower(struct sigv4_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		sigv4_buf_putc(b, sigv4_lower(*s));
}

/*
 * Finds the value v without its leading and trailing blanks (SP, HTAB):
 * [*start, *end). False when nothing is left.
 */
static bool sigv4_trim(const char *v, const char **start, const char **end)
{
	const char *e = v + strlen(v);

	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*start = v;
	*end = e;
	return v < e;
}

/* Appends [v, end) with each run of spaces squeezed to one space. */
static void sigv4_buf_put_squeezed(struct sigv4_buf *b, const char *v,
    const char *end)
{
	bool in_space = false;

	for (; v < end; v++) {
		if (*v != ' ' || !in_space)
			sigv4_buf_putc(b, *v);
		in_space = *v == ' ';
	}
}

/*
 * Appends the canonical header block ("name:value\n" per distinct name,
 * repeated names joined with ',' in request order, empty values dropped
 * from the join) to out, and the signed header list ("a;b;c") to
 * signed_list. hdrs (n entries) is sorted in place.
 */
static void sigv4_canonical_headers(struct sigv4_buf *out,
    struct sigv4_buf *signed_list, struct sigv4_hdr *hdrs, size_t n)
{
	size_t i, j;
	bool wrote;

	qsort(hdrs, n, sizeof(*hdrs), sigv4_hdr_cmp);
	for (i = 0; i < n; i = j) {
		if (i > 0)
			sigv4_buf_putc(signed_list, ';');
		sigv4_buf_put_lower(signed_list, hdrs[i].name);
		sigv4_buf_put_lower(out, hdrs[i].name);
		sigv4_buf_putc(out, ':');
		wrote = false;
		for (j = i; j < n && sigv4_same_name(hdrs[i].name,
		    hdrs[j].name); j++) {
			const char *vs, *ve;

			if (!sigv4_trim(hdrs[j].value, &vs, &ve))
				continue;
			if (wrote)
				sigv4_buf_putc(out, ',');
			sigv4_buf_put_squeezed(out, vs, ve);
			wrote = true;
		}
		sigv4_buf_putc(out, '\n');
	}
}

/* ---- signing -------------------------------------------------------------- */

/*
 * Checks what sigv4_sign() cannot sign: NULL fields, bad names, values
 * with CR or LF, headers the signer adds itself, no Host header.
 */
static int sigv4_check(const sigv4_request *req, const sigv4_key *key,
    bool with_token)
{
	bool host = false;
	size_t i;

	if (req == NULL || key == NULL)
		return -1;
	if ((req->flags & ~(unsigned)SIGV4_FLAGS_ALL) != 0 ||
	    !sigv4_is_token(req->method) || req->path == NULL ||
	    (req->n_headers != 0 && req->headers == NULL) ||
	    (req->body == NULL && req->body_len != 0) ||
	    !sigv4_is_scope_part(req->region) ||
	    !sigv4_is_scope_part(req->service) ||
	    !sigv4_is_scope_part(key->access_key_id) ||
	    key->secret_access_key == NULL ||
	    key->secret_access_key[0] == '\0' ||
	    (key->session_token != NULL &&
	    !sigv4_is_field_value(key->session_token)))
		return -1;
	for (i = 0; i < req->n_headers; i++) {
		const char *name = req->headers[i].name;

		if (!sigv4_is_token(name) ||
		    !sigv4_is_field_value(req->headers[i].value))
			return -1;
		if (sigv4_same_name(name, "x-amz-date") ||
		    sigv4_same_name(name, "authorization"))
			return -1;
		if (with_token && sigv4_same_name(name, "x-amz-security-token"))
			return -1;
		if ((req->flags & SIGV4_SIGN_BODY) != 0 &&
		    sigv4_same_name(name, "x-amz-content-sha256"))
			return -1;
		if (sigv4_same_name(name, "host"))
			host = true;
	}
	return host ? 0 : -1;
}

/* Formats X-Amz-Date and the scope date from t; -1 if out of range. */
static int sigv4_dates(time_t t, char amz_date[17], char date8[9])
{
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	n = snprintf(amz_date, 17, "%04d%02d%02dT%02d%02d%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (n != 16)
		return -1;
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	return 0;
}

/*
 * See sigv4.h. res is zeroed first (a previous result must have been
 * freed). Besides X-Amz-Date, req->headers may not hold Authorization,
 * X-Amz-Security-Token when the key has a token (signed or not), nor
 * x-amz-content-sha256 with SIGV4_SIGN_BODY: the signer owns them.
 * The payload hash is always the SHA-256 of the body. An empty session
 * token counts as none.
 */
int sigv4_sign(const sigv4_request *req, const sigv4_key *key,
    sigv4_result *res)
{
	struct sigv4_buf creq = { 0 }, hdrblk = { 0 }, signed_list = { 0 };
	struct sigv4_buf sts = { 0 }, scope = { 0 }, auth = { 0 };
	struct sigv4_hdr *hdrs = NULL;
	char date8[9], creq_hash[65];
	size_t n = 0, i;
	bool with_token, sign_token;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	with_token = key != NULL && key->session_token != NULL &&
	    key->session_token[0] != '\0';
	sign_token = with_token && req != NULL &&
	    (req->flags & SIGV4_OMIT_TOKEN) == 0;
	if (sigv4_check(req, key, with_token) == -1 || !sigv4_init())
		return -1;
	if (sigv4_dates(req->now, res->amz_date, date8) == -1)
		goto fail;
	if (sigv4_sha256_hex(req->body != NULL ? req->body : "",
	    req->body_len, res->content_sha256) == -1)
		goto fail;

	/* the request's headers, then the ones the signer adds */
	if (req->n_headers > SIZE_MAX / sizeof(*hdrs) - 3)
		goto fail;
	if ((hdrs = calloc(req->n_headers + 3, sizeof(*hdrs))) == NULL)
		goto fail;
	for (i = 0; i < req->n_headers; i++, n++) {
		hdrs[n].name = req->headers[i].name;
		hdrs[n].value = req->headers[i].value;
		hdrs[n].index = n;
	}
	hdrs[n].name = "x-amz-date";
	hdrs[n].value = res->amz_date;
	hdrs[n].index = n;
	n++;
	if (sign_token) {
		hdrs[n].name = "x-amz-security-token";
		hdrs[n].value = key->session_token;
		hdrs[n].index = n;
		n++;
	}
	if ((req->flags & SIGV4_SIGN_BODY) != 0) {
		hdrs[n].name = "x-amz-content-sha256";
		hdrs[n].value = res->content_sha256;
		hdrs[n].index = n;
		n++;
	}
	sigv4_canonical_headers(&hdrblk, &signed_list, hdrs, n);

	/* canonical request */
	sigv4_buf_puts(&creq, req->method);
	sigv4_buf_putc(&creq, '\n');
	sigv4_canonical_uri(&creq, req->path,
	    (req->flags & SIGV4_NORMALIZE_PATH) != 0);
	sigv4_buf_putc(&creq, '\n');
	sigv4_canonical_query(&creq, req->query);
	sigv4_buf_putc(&creq, '\n');
	if (hdrblk.failed)
		goto fail;
	sigv4_buf_add(&creq, hdrblk.data, hdrblk.len);
	sigv4_buf_putc(&creq, '\n');
	if (signed_list.failed)
		goto fail;
	sigv4_buf_add(&creq, signed_list.data, signed_list.len);
	sigv4_buf_putc(&creq, '\n');
	sigv4_buf_puts(&creq, res->content_sha256);
	if (creq.failed)
		goto fail;

	/* string to sign */
	sigv4_buf_puts(&scope, date8);
	sigv4_buf_putc(&scope, '/');
	sigv4_buf_puts(&scope, req->region);
	sigv4_buf_putc(&scope, '/');
	sigv4_buf_puts(&scope, req->service);
	sigv4_buf_puts(&scope, "/" SIGV4_TERMINATOR);
	if (scope.failed ||
	    sigv4_sha256_hex(creq.data, creq.len, creq_hash) == -1)
		goto fail;
	sigv4_buf_puts(&sts, SIGV4_ALGORITHM "\n");
	sigv4_buf_puts(&sts, res->amz_date);
	sigv4_buf_putc(&sts, '\n');
	sigv4_buf_add(&sts, scope.data, scope.len);
	sigv4_buf_putc(&sts, '\n');
	sigv4_buf_puts(&sts, creq_hash);
	if (sts.failed)
		goto fail;

	if (sigv4_signature(key->secret_access_key, date8, req->region,
	    req->service, sts.data, res->signature) == -1)
		goto fail;

	sigv4_buf_puts(&auth, SIGV4_ALGORITHM " Credential=");
	sigv4_buf_puts(&auth, key->access_key_id);
	sigv4_buf_putc(&auth, '/');
	sigv4_buf_add(&auth, scope.data, scope.len);
	sigv4_buf_puts(&auth, ", SignedHeaders=");
	sigv4_buf_add(&auth, signed_list.data, signed_list.len);
	sigv4_buf_puts(&auth, ", Signature=");
	sigv4_buf_puts(&auth, res->signature);

	res->authorization = sigv4_buf_take(&auth);
	res->canonical_request = sigv4_buf_take(&creq);
	res->string_to_sign = sigv4_buf_take(&sts);
	if (res->authorization == NULL || res->canonical_request == NULL ||
	    res->string_to_sign == NULL)
		goto fail;
	free(hdrs);
	sigv4_buf_free(&hdrblk);
	sigv4_buf_free(&signed_list);
	sigv4_buf_free(&scope);
	return 0;
fail:
	free(hdrs);
	sigv4_buf_free(&creq);
	sigv4_buf_free(&hdrblk);
	sigv4_buf_free(&signed_list);
	sigv4_buf_free(&sts);
	sigv4_buf_free(&scope);
	sigv4_buf_free(&auth);
	sigv4_result_free(res);
	return -1;
}

/* Frees what sigv4_sign() allocated and zeroes res; NULL is fine. */
void sigv4_result_free(sigv4_result *res)
{
	if (res == NULL)
		return;
	free(res->authorization);
	free(res->canonical_request);
	free(res->string_to_sign);
	memset(res, 0, sizeof(*res));
}
