/* SPDX-License-Identifier: MIT */
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

/*
 * The path of the value being converted, for error messages: a stack of
 * steps, each a map key (pointing into the msgpack object) or an array
 * index. Only errors spell it out (path_text), so a value that converts
 * costs no formatting.
 */
struct jstep {
	const char *key; /* a map key; NULL: an array index */
	uint32_t n;	 /* the key's length, or the index */
};

struct jpath {
	struct jstep step[DTP_DEPTH_MAX]; /* one per enclosing container */
	unsigned depth;			  /* steps taken */
};

/* The path spelt out: "KeySchema[0].AttributeName", at most 199 bytes. */
struct jtext {
	char buf[200];
	size_t len; /* strlen(buf) */
};

/* Appends printf output to the text, truncating silently when full. */
static void text_add(struct jtext *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_add(struct jtext *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= sizeof(t->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->buf) - t->len ?
		    (size_t)n : sizeof(t->buf) - t->len - 1;
}

/* Appends ".key" (or "key" at the top), non-printable bytes as '?'. */
static void
text_key(struct jtext *t, const char *key, size_t len)
{
	if (t->len > 0)
		text_add(t, ".");
	for (size_t i = 0; i < len && t->len + 1 < sizeof(t->buf); i++) {
		unsigned char c = (unsigned char)key[i];

		t->buf[t->len++] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
	}
	t->buf[t->len] = '\0';
}

static void
path_text(const struct jpath *p, struct jtext *t)
{
	t->len = 0;
	t->buf[0] = '\0';
	for (unsigned i = 0; i < p->depth && i < DTP_DEPTH_MAX; i++) {
		if (p->step[i].key != NULL)
			text_key(t, p->step[i].key, p->step[i].n);
		else
			text_add(t, "[%" PRIu32 "]", p->step[i].n);
	}
}

/* Enters a map's member (key, n bytes) or, key NULL, array element n. */
static void
path_push(struct jpath *p, const char *key, uint32_t n)
{
	/* the walk refuses deeper nesting before it gets here */
	if (p->depth < DTP_DEPTH_MAX)
		p->step[p->depth] = (struct jstep){ key, n };
	p->depth++;
}

static void
path_pop(struct jpath *p)
{
	p->depth--;
}

/* "<path>: <reason>" into err; the top level is called "top level". */
static void jerr(char *err, size_t errlen, const struct jpath *p,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
jerr(char *err, size_t errlen, const struct jpath *p, const char *fmt, ...)
{
	struct jtext t;
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return;
	path_text(p, &t);
	n = snprintf(err, errlen, "%s: ", t.len > 0 ? t.buf : "top level");
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
		if (c < 0xc2 || c >= 0xf5)
			return "not valid UTF-8";
		if (c < 0xe0)
			need = 1, cp = c & 0x1f;
		else if (c < 0xf0)
			need = 2, cp = c & 0x0f;
		else
			need = 3, cp = c & 0x07;
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

/*
 * The walk behind dtp_to_json() and dtp_json_check(): with build false it
 * only checks, allocates nothing (but for the key set of a large map) and
 * returns json_null(), jansson's static null, for a value that would
 * convert. So the two cannot disagree on what converts.
 */
static json_t *to_json(const msgpack_object *o, bool build, unsigned depth,
    struct jpath *p, char *err, size_t errlen);

/* An array at nesting level depth (1 = outermost container). */
static json_t *
array_to_json(const msgpack_object_array *a, bool build, unsigned depth,
    struct jpath *p, char *err, size_t errlen)
{
	json_t *arr = build ? json_array() : json_null();

	if (arr == NULL) {
		jerr(err, errlen, p, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < a->size; i++) {
		json_t *v;

		path_push(p, NULL, i);
		v = to_json(&a->ptr[i], build, depth, p, err, errlen);
		if (v == NULL)
			goto fail;
		path_pop(p);
		if (build && json_array_append_new(arr, v) != 0) {
			jerr(err, errlen, p, "out of memory");
			goto fail;
		}
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* Maps up to this size are checked for duplicate keys pair by pair (a
 * TableDescription's largest has about 20 keys); larger ones through a
 * jansson object used as a set. */
#define DUP_PAIRWISE_MAX 32

/* True if key i of m equals one before it. */
static bool
key_seen_before(const msgpack_object_map *m, uint32_t i)
{
	const msgpack_object *k = &m->ptr[i].key;

	for (uint32_t j = 0; j < i; j++) {
		const msgpack_object *e = &m->ptr[j].key;

		if (e->via.str.size == k->via.str.size &&
		    (k->via.str.size == 0 || memcmp(e->via.str.ptr,
		    k->via.str.ptr, k->via.str.size) == 0))
			return true;
	}
	return false;
}

/* A map with str keys, valid UTF-8 without NUL, each key once. */
static json_t *
map_to_json(const msgpack_object_map *m, bool build, unsigned depth,
    struct jpath *p, char *err, size_t errlen)
{
	/* obj: the object being built, or when only checking, the set of
	 * keys of a large map (a small one is checked pairwise) */
	bool keyed = build || m->size > DUP_PAIRWISE_MAX;
	json_t *obj = keyed ? json_object() : json_null();

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
		path_push(p, k->via.str.ptr, k->via.str.size);
		if (keyed ? json_object_getn(obj, k->via.str.ptr,
		    k->via.str.size) != NULL : key_seen_before(m, i)) {
			jerr(err, errlen, p, "duplicate key");
			goto fail;
		}
		v = to_json(&m->ptr[i].val, build, depth, p, err, errlen);
		if (v == NULL)
			goto fail;
		if (keyed && json_object_setn_new_nocheck(obj,
		    k->via.str.ptr, k->via.str.size, v) != 0) {
			jerr(err, errlen, p, "out of memory");
			goto fail;
		}
		path_pop(p);
	}
	if (!build)
		json_decref(obj);
	return build ? obj : json_null();
fail:
	json_decref(obj);
	return NULL;
}

/*
 * Converts (or, build false, checks) o, found at path p, nested in depth
 * containers. Returns a new reference (json_null() when checking) or NULL
 * with err set.
 */
static json_t *
to_json(const msgpack_object *o, bool build, unsigned depth, struct jpath *p,
    char *err, size_t errlen)
{
	json_t *j = NULL;
	const char *why;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX) {
			jerr(err, errlen, p, "integer above %" PRId64,
			    INT64_MAX);
			return NULL;
		}
		j = build ? json_integer((json_int_t)o->via.u64) : json_null();
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		j = build ? json_integer((json_int_t)o->via.i64) : json_null();
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64)) {
			jerr(err, errlen, p, "not a finite number");
			return NULL;
		}
		j = build ? json_real(o->via.f64) : json_null();
		break;
	case MSGPACK_OBJECT_STR:
		why = utf8_problem(o->via.str.ptr, o->via.str.size);
		if (why != NULL) {
			jerr(err, errlen, p, "%s", why);
			return NULL;
		}
		j = !build ? json_null() : json_stringn_nocheck(
		    o->via.str.size > 0 ? o->via.str.ptr : "",
		    o->via.str.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
	case MSGPACK_OBJECT_MAP:
		if (depth >= DTP_DEPTH_MAX) {
			jerr(err, errlen, p, "nesting deeper than %d",
			    DTP_DEPTH_MAX);
			return NULL;
		}
		if (o->type == MSGPACK_OBJECT_ARRAY)
			return array_to_json(&o->via.array, build, depth + 1,
			    p, err, errlen);
		return map_to_json(&o->via.map, build, depth + 1, p, err,
		    errlen);
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

/* err cleared, or "top level: no value" for a NULL o. */
static bool
walk_start(const msgpack_object *o, struct jpath *p, char *err,
    size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (o == NULL)
		jerr(err, errlen, p, "no value");
	return o != NULL;
}

json_t *
dtp_to_json(const msgpack_object *o, char *err, size_t errlen)
{
	struct jpath p = { .depth = 0 };

	if (!walk_start(o, &p, err, errlen))
		return NULL;
	return to_json(o, true, 0, &p, err, errlen);
}

bool
dtp_json_check(const msgpack_object *o, char *err, size_t errlen)
{
	struct jpath p = { .depth = 0 };

	if (!walk_start(o, &p, err, errlen))
		return false;
	return to_json(o, false, 0, &p, err, errlen) != NULL;
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
