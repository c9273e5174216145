/*
 * dtp_json: msgpack objects <-> jansson trees. See dtp_json.h.
 *
 * Pure functions only: no I/O, no mutable globals, no printing. Recursion
 * is bounded by DTP_DEPTH_MAX.
 */
#include "dtp_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The path of the value being converted, for error messages. */
struct jpath {
	char buf[200];
	size_t len; /* strlen(buf) */
};

/* Appends printf output to the path, truncating silently when full. */
static void path_add(struct jpath *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
path_add(struct jpath *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->len + 1 >= sizeof(p->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len += (size_t)n < sizeof(p->buf) - p->len ?
		    (size_t)n : sizeof(p->buf) - p->len - 1;
}

/* Appends ".key" (or "key" at the top), non-printable bytes as '?'. */
static void
path_key(struct jpath *p, const char *key, size_t len)
{
	if (p->len > 0)
		path_add(p, ".");
	for (size_t i = 0; i < len && p->len + 1 < sizeof(p->buf); i++) {
		unsigned char c = (unsigned char)key[i];

		p->buf[p->len++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	p->buf[p->len] = '\0';
}

static void
path_cut(struct jpath *p, size_t len)
{
	p->len = len;
	p->buf[len] = '\0';
}

/* "<path>: <reason>" into err; the top level is called "top level". */
static void jerr(char *err, size_t errlen, const struct jpath *p,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
jerr(char *err, size_t errlen, const struct jpath *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return;
	n = snprintf(err, errlen, "%s: ", p->len > 0 ? p->buf : "top level");
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF),
 * as jansson requires. Returns NULL if s is fine, else the reason.
 */
static const char *
utf8_problem(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need;
		uint32_t cp;

		if (c == 0)
			return "holds a NUL byte";
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2)
			return "not valid UTF-8";
		else if (c < 0xe0)
			need = 1, cp = c & 0x1f;
		else if (c < 0xf0)
			need = 2, cp = c & 0x0f;
		else if (c < 0xf5)
			need = 3, cp = c & 0x07;
		else
			return "not valid UTF-8";
		if (need > n - i - 1)
			return "not valid UTF-8";
		for (unsigned j = 1; j <= need; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return "not valid UTF-8";
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((need == 2 &&
			(cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return "not valid UTF-8";
		i += need + 1;
	}
	return NULL;
}

static json_t *to_json(const msgpack_object *o, unsigned depth,
    struct jpath *p, char *err, size_t errlen);

/* An array at nesting level depth (1 = outermost container). */
static json_t *
array_to_json(const msgpack_object_array *a, unsigned depth, struct jpath *p,
    char *err, size_t errlen)
{
	json_t *arr = json_array();
	size_t at = p->len;

	if (arr == NULL) {
		jerr(err, errlen, p, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < a->size; i++) {
		json_t *v;

		path_add(p, "[%" PRIu32 "]", i);
		v = to_json(&a->ptr[i], depth, p, err, errlen);
		if (v == NULL)
			goto fail;
		path_cut(p, at);
		if (json_array_append_new(arr, v) != 0) {
			jerr(err, errlen, p, "out of memory");
			goto fail;
		}
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* A map with str keys, valid UTF-8 without NUL, each key once. */
static json_t *
map_to_json(const msgpack_object_map *m, unsigned depth, struct jpath *p,
    char *err, size_t errlen)
{
	json_t *obj = json_object();
	size_t at = p->len;

	if (obj == NULL) {
		jerr(err, errlen, p, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key;
		const char *why;
		json_t *v;

		if (k->type != MSGPACK_OBJECT_STR) {
			jerr(err, errlen, p, "map key is not a str");
			goto fail;
		}
		why = utf8_problem(k->via.str.ptr, k->via.str.size);
		if (why != NULL) {
			jerr(err, errlen, p, "map key %s", why);
			goto fail;
		}
		path_key(p, k->via.str.ptr, k->via.str.size);
		if (json_object_getn(obj, k->via.str.ptr, k->via.str.size)) {
			jerr(err, errlen, p, "duplicate key");
			goto fail;
		}
		v = to_json(&m->ptr[i].val, depth, p, err, errlen);
		if (v == NULL)
			goto fail;
		if (json_object_setn_new_nocheck(obj, k->via.str.ptr,
		    k->via.str.size, v) != 0) {
			jerr(err, errlen, p, "out of memory");
			goto fail;
		}
		path_cut(p, at);
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

/*
 * Converts o, found at path p, nested in depth containers. Returns a new
 * reference or NULL with err set.
 */
static json_t *
to_json(const msgpack_object *o, unsigned depth, struct jpath *p, char *err,
    size_t errlen)
{
	json_t *j = NULL;
	const char *why;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		j = json_null();
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		j = json_boolean(o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX) {
			jerr(err, errlen, p, "integer above %" PRId64,
			    INT64_MAX);
			return NULL;
		}
		j = json_integer((json_int_t)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		j = json_integer((json_int_t)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64)) {
			jerr(err, errlen, p, "not a finite number");
			return NULL;
		}
		j = json_real(o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		why = utf8_problem(o->via.str.ptr, o->via.str.size);
		if (why != NULL) {
			jerr(err, errlen, p, "%s", why);
			return NULL;
		}
		j = json_stringn_nocheck(o->via.str.size > 0 ?
		    o->via.str.ptr : "", o->via.str.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
	case MSGPACK_OBJECT_MAP:
		if (depth >= DTP_DEPTH_MAX) {
			jerr(err, errlen, p, "nesting deeper than %d",
			    DTP_DEPTH_MAX);
			return NULL;
		}
		if (o->type == MSGPACK_OBJECT_ARRAY)
			return array_to_json(&o->via.array, depth + 1, p, err,
			    errlen);
		return map_to_json(&o->via.map, depth + 1, p, err, errlen);
	case MSGPACK_OBJECT_BIN:
	case MSGPACK_OBJECT_EXT:
		jerr(err, errlen, p, "bin and ext values are not allowed");
		return NULL;
	default:
		jerr(err, errlen, p, "unknown msgpack type %d", (int)o->type);
		return NULL;
	}
	if (j == NULL)
		jerr(err, errlen, p, "out of memory");
	return j;
}

json_t *
dtp_to_json(const msgpack_object *o, char *err, size_t errlen)
{
	struct jpath p = { .len = 0 };

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (o == NULL) {
		jerr(err, errlen, &p, "no value");
		return NULL;
	}
	return to_json(o, 0, &p, err, errlen);
}

/* ---- JSON -> msgpack ----------------------------------------------------- */

static int
pack_strn(dtp_enc *e, const char *s, size_t len)
{
	if (len > UINT32_MAX)
		return -1;
	msgpack_pack_str(&e->pk, len);
	msgpack_pack_str_body(&e->pk, s, len);
	return 0;
}

/* Packs j nested in depth containers; -1 on a value it cannot carry. */
static int
pack_json(dtp_enc *e, const json_t *j, unsigned depth)
{
	/* jansson's iterators take a non-const object; nothing is modified */
	json_t *mj = (json_t *)j;
	const char *key;
	size_t klen, i;
	json_t *v;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		if (depth >= DTP_DEPTH_MAX ||
		    json_object_size(j) > UINT32_MAX)
			return -1;
		msgpack_pack_map(&e->pk, json_object_size(j));
		json_object_keylen_foreach(mj, key, klen, v) {
			if (memchr(key, '\0', klen) != NULL ||
			    pack_strn(e, key, klen) != 0 ||
			    pack_json(e, v, depth + 1) != 0)
				return -1;
		}
		return 0;
	case JSON_ARRAY:
		if (depth >= DTP_DEPTH_MAX || json_array_size(j) > UINT32_MAX)
			return -1;
		msgpack_pack_array(&e->pk, json_array_size(j));
		json_array_foreach(mj, i, v) {
			if (pack_json(e, v, depth + 1) != 0)
				return -1;
		}
		return 0;
	case JSON_STRING:
		return pack_strn(e, json_string_value(j),
		    json_string_length(j));
	case JSON_INTEGER:
		if (json_integer_value(j) < 0)
			msgpack_pack_int64(&e->pk,
			    (int64_t)json_integer_value(j));
		else
			msgpack_pack_uint64(&e->pk,
			    (uint64_t)json_integer_value(j));
		return 0;
	case JSON_REAL:
		msgpack_pack_double(&e->pk, json_real_value(j));
		return 0;
	case JSON_TRUE:
		msgpack_pack_true(&e->pk);
		return 0;
	case JSON_FALSE:
		msgpack_pack_false(&e->pk);
		return 0;
	case JSON_NULL:
		msgpack_pack_nil(&e->pk);
		return 0;
	}
	return -1;
}

/*
 * On failure the encoder is marked failed too: what was packed so far is
 * a partial value, so the frame must not be sent.
 */
int
dtp_pack_json(dtp_enc *e, const json_t *j)
{
	if (j == NULL || pack_json(e, j, 0) != 0)
		e->failed = true;
	return e->failed ? -1 : 0;
}
