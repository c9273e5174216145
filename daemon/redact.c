/* SPDX-License-Identifier: MIT */
/*
 * redact.c: removes secrets from external text (see redact.h).
 *
 * One pass over the text, in place: at each position, a remembered secret
 * is looked for first, then the shapes of secrets. Every replacement is
 * no longer than what it replaces, so the write position never passes
 * the read position. The shapes are checked only where a word starts, so
 * that "TABLEAKIA..." is not half a key id, while remembered secrets are
 * found anywhere.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

struct known {
	char *s;	/* owned, wiped when forgotten */
	size_t len;
	bool key_id;	/* show the last four characters */
};

static struct known known[REDACT_KNOWN_MAX];
static size_t n_known, next_known; /* a ring: the oldest is replaced */

static void
known_forget(struct known *k)
{
	if (k->s != NULL) {
		explicit_bzero(k->s, k->len);
		free(k->s);
	}
	k->s = NULL;
	k->len = 0;
}

static void
known_add(const char *s, bool key_id)
{
	size_t len = s != NULL ? strlen(s) : 0;
	struct known *k;

	if (len < 4)
		return;
	for (size_t i = 0; i < n_known; i++)
		if (known[i].len == len && memcmp(known[i].s, s, len) == 0)
			return;
	k = &known[next_known];
	known_forget(k);
	if ((k->s = malloc(len + 1)) == NULL)
		return; /* the shapes below still apply */
	memcpy(k->s, s, len + 1);
	k->len = len;
	k->key_id = key_id;
	next_known = (next_known + 1) % REDACT_KNOWN_MAX;
	if (n_known < REDACT_KNOWN_MAX)
		n_known++;
}

void
redact_add_secret(const char *s)
{
	known_add(s, false);
}

void
redact_add_key_id(const char *s)
{
	known_add(s, true);
}

void
redact_forget_all(void)
{
	for (size_t i = 0; i < REDACT_KNOWN_MAX; i++)
		known_forget(&known[i]);
	n_known = next_known = 0;
}

/* ---- shapes ------------------------------------------------------------- */

static bool
is_upper_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_alnum(char c)
{
	return is_upper_alnum(c) || (c >= 'a' && c <= 'z');
}

/* Characters of base64 text: keys and tokens are made of these. */
static bool
is_b64(char c)
{
	return is_alnum(c) || c == '/' || c == '+' || c == '=';
}

/* The prefixes of AWS's unique ids for keys and principals (IAM guide). */
static const char *const key_id_prefixes[] = {
	"AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "ANVA", "APKA",
	"ABIA", "ACCA", "AIPA",
};

/* Length of the access key id at s, or 0: a prefix above, then upper-case
 * letters and digits, 16 to 128 in all, not followed by another. */
static size_t
key_id_len(const char *s)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(key_id_prefixes) /
	    sizeof(key_id_prefixes[0]); i++) {
		if (strncmp(s, key_id_prefixes[i], 4) == 0) {
			while (is_upper_alnum(s[n]))
				n++;
			break;
		}
	}
	return n >= 16 && n <= 128 && !is_alnum(s[n]) ? n : 0;
}

/* Length of a secret-looking word at s (a 40-character secret access key
 * mixing cases and digits, or 100 and more base64 characters: a session
 * or web identity token), or 0. */
static size_t
secret_len(const char *s)
{
	bool upper = false, lower = false, digit = false, eq = false;
	size_t n = 0;

	for (; is_b64(s[n]); n++) {
		upper |= s[n] >= 'A' && s[n] <= 'Z';
		lower |= s[n] >= 'a' && s[n] <= 'z';
		digit |= s[n] >= '0' && s[n] <= '9';
		eq |= s[n] == '=';
	}
	if (n >= 100)
		return n;
	return n == 40 && !eq && upper && lower && digit ? n : 0;
}

/* Writes a key id of len characters (at src) as "****" and its last four
 * (or only stars when it is too short to keep any); returns what it wrote,
 * at most len. */
static size_t
put_key_id(char *dst, const char *src, size_t len)
{
	char tail[4];

	if (len < 8) {
		memset(dst, '*', len);
		return len;
	}
	memcpy(tail, src + len - 4, 4); /* dst may overlap src */
	memset(dst, '*', 4);
	memcpy(dst + 4, tail, 4);
	return 8;
}

/* Writes "***" for len characters (fewer stars when len is smaller). */
static size_t
put_stars(char *dst, size_t len)
{
	size_t n = len < 3 ? len : 3;

	memset(dst, '*', n);
	return n;
}

/* A remembered secret at s: its index, or -1. */
static int
known_at(const char *s)
{
	for (size_t i = 0; i < n_known; i++)
		if (known[i].s[0] == s[0] &&
		    strncmp(s, known[i].s, known[i].len) == 0)
			return (int)i;
	return -1;
}

/* The value after a header or parameter name: spaces, ':' or '=', spaces,
 * then characters up to a blank or a separator. Returns the offset of
 * the value in *vstart and its length, 0 when there is none. */
static size_t
value_after(const char *s, size_t *vstart)
{
	size_t i = 0, n = 0;

	while (s[i] == ' ')
		i++;
	if (s[i] != ':' && s[i] != '=')
		return 0;
	i++;
	while (s[i] == ' ')
		i++;
	while (s[i + n] != '\0' && strchr(" \t\r\n&,;\"'", s[i + n]) == NULL)
		n++;
	*vstart = i;
	return n;
}

size_t
redact(char *buf)
{
	size_t r = 0, w = 0;
	char prev = ' '; /* the original character before r */

	while (buf[r] != '\0') {
		char *s = buf + r;
		size_t len, v, skip;
		int k;

		if ((k = known_at(s)) >= 0) {
			len = known[k].len;
			prev = s[len - 1];
			w += known[k].key_id ? put_key_id(buf + w, s, len) :
			    put_stars(buf + w, len);
			r += len;
			continue;
		}
		if (strncmp(s, "://", 3) == 0) {
			/* scheme://user:password@host: the userinfo goes */
			len = strcspn(s + 3, "/@ \t\"'<>?#");
			if (len != 0 && s[3 + len] == '@') {
				memmove(buf + w, "://", 3);
				w += 3;
				w += put_stars(buf + w, len);
				buf[w++] = '@';
				r += 3 + len + 1;
				prev = '@';
				continue;
			}
		}
		if (strncmp(s, "Credential=", 11) == 0) {
			len = strcspn(s + 11, "/, \t");
			if (len != 0) {
				prev = s[11 + len - 1];
				memmove(buf + w, s, 11);
				w += 11;
				w += put_key_id(buf + w, s + 11, len);
				r += 11 + len;
				continue;
			}
		}
		if (strncmp(s, "Signature=", 10) == 0 &&
		    (len = strspn(s + 10, "0123456789abcdef")) >= 8) {
			memmove(buf + w, s, 10);
			w += 10;
			w += put_stars(buf + w, len);
			r += 10 + len;
			prev = 'x';
			continue;
		}
		if (strncasecmp(s, "X-Amz-Security-Token", 20) == 0 &&
		    (len = value_after(s + 20, &v)) != 0) {
			skip = 20 + v;
			memmove(buf + w, s, skip);
			w += skip;
			w += put_stars(buf + w, len);
			r += skip + len;
			prev = 'x';
			continue;
		}
		if (!is_b64(prev)) {
			if ((len = key_id_len(s)) != 0) {
				prev = s[len - 1];
				w += put_key_id(buf + w, s, len);
				r += len;
				continue;
			}
			if ((len = secret_len(s)) != 0) {
				prev = s[len - 1];
				w += put_stars(buf + w, len);
				r += len;
				continue;
			}
		}
		prev = *s;
		buf[w++] = (char)((unsigned char)*s < 0x20 || *s == 0x7f ?
		    ' ' : *s);
		r++;
	}
	buf[w] = '\0';
	return w;
}

/*
 * Redacts before cutting: a secret cut in two might no longer look like
 * one. The window is four times what is kept, so a secret that straddles
 * the cut lies inside it (or is long enough to look like a token still).
 */
char *
redact_quote(char *dst, size_t dstlen, const char *src, size_t len)
{
	char win[4 * REDACT_QUOTE_MAX + 1] = { 0 }; /* defined past n too */
	size_t n = len < sizeof(win) - 1 ? len : sizeof(win) - 1;
	size_t max = REDACT_QUOTE_MAX;

	if (dstlen == 0)
		return dst;
	if (max > dstlen - 1)
		max = dstlen - 1;
	/* A NUL inside external text would end it early: make it a blank. */
	/* cppcheck-suppress knownConditionTrueFalse ; n is len capped to the
	 * window, not always 0 (cppcheck 2.10 misreads the ternary) */
	for (size_t i = 0; i < n; i++)
		win[i] = (char)(src[i] == '\0' ? ' ' : src[i]);
	win[n] = '\0';
	n = redact(win);
	if (n > max || (len >= sizeof(win) && n + 3 > max)) {
		n = max >= 3 ? max - 3 : 0; /* cut, and say so */
		memcpy(dst, win, n);
		dst[n] = '\0';
		strncat(dst, "...", max - n);
	} else {
		memcpy(dst, win, n + 1);
		if (len >= sizeof(win))
			strncat(dst, "...", max - n);
	}
	explicit_bzero(win, sizeof(win));
	return dst;
}
