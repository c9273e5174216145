/* SPDX-License-Identifier: MIT */
/*
 * pooldef.c: table definitions of pools (see pooldef.h). Pure.
 *
 * Both sides of a comparison are reduced to one shape:
 *   {"keys": KeySchema, "billing": mode,
 *    "gsi": [{"name", "keys", "projection", "non_key"}...] by name,
 *    "lsi": the same}
 * from a CreateTableInput or from a TableDescription (whose billing mode
 * is BillingModeSummary's, PROVISIONED when absent, as DynamoDB says).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ddb.h"
#include "pooldef.h"

/* Sorts the array a (of objects) by the string member key, in place. */
static int
pooldef_cmp_member(const void *x, const void *y, const char *key)
{
	const char *a = json_string_value(json_object_get(*(json_t *const *)x,
	    key));
	const char *b = json_string_value(json_object_get(*(json_t *const *)y,
	    key));

	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int
pooldef_cmp_attr(const void *x, const void *y)
{
	return pooldef_cmp_member(x, y, "AttributeName");
}

static int
pooldef_cmp_index(const void *x, const void *y)
{
	return pooldef_cmp_member(x, y, "IndexName");
}

static int
pooldef_cmp_member_name(const void *x, const void *y)
{
	return pooldef_cmp_member(x, y, "name");
}

static int
pooldef_cmp_str(const void *x, const void *y)
{
	const char *a = json_string_value(*(json_t *const *)x);
	const char *b = json_string_value(*(json_t *const *)y);

	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* Replaces the array at obj[key] by a sorted copy (cmp); 0, -1 when out
 * of memory. Absent or not an array: left alone. */
static int
pooldef_sort(json_t *obj, const char *key, int (*cmp)(const void *,
    const void *))
{
	json_t *a = json_object_get(obj, key), *sorted;
	size_t n = json_array_size(a);
	json_t **v;

	if (!json_is_array(a) || n < 2)
		return 0;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(a, i);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	qsort(v, n, sizeof(*v), cmp);
	if ((sorted = json_array()) == NULL) {
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	return json_object_set_new(obj, key, sorted);
}

/* Sorts an index list by name, and each index's NonKeyAttributes. */
static int
pooldef_sort_indexes(json_t *obj, const char *key)
{
	json_t *ix;
	size_t i;

	if (pooldef_sort(obj, key, pooldef_cmp_index) != 0)
		return -1;
	json_array_foreach(json_object_get(obj, key), i, ix)
		if (pooldef_sort(json_object_get(ix, "Projection"),
		    "NonKeyAttributes", pooldef_cmp_str) != 0)
			return -1;
	return 0;
}

json_t *
pooldef_canonical(const json_t *in, char *err, size_t errlen)
{
	json_t *c = json_deep_copy(in);

	if (c == NULL || !json_is_object(c)) {
		json_decref(c);
		snprintf(err, errlen, "table: must be a CreateTableInput map");
		return NULL;
	}
	json_object_del(c, "Tags");
	/* Checked with a name of its own: a pool names its tables. */
	if (json_object_set_new(c, "TableName",
	    json_string("dyntable-pool-definition")) != 0) {
		json_decref(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ddb_check_create(c, err, errlen) != 0) {
		json_decref(c);
		return NULL;
	}
	json_object_del(c, "TableName");
	if (pooldef_sort(c, "AttributeDefinitions", pooldef_cmp_attr) != 0 ||
	    pooldef_sort_indexes(c, "GlobalSecondaryIndexes") != 0 ||
	    pooldef_sort_indexes(c, "LocalSecondaryIndexes") != 0) {
		json_decref(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return c;
}

void
pooldef_hash(const json_t *canon, char out[POOLDEF_HASH_LEN + 1])
{
	char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	memset(out, '0', POOLDEF_HASH_LEN);
	out[POOLDEF_HASH_LEN] = '\0';
	if (text != NULL && EVP_Digest(text, strlen(text), md, &mdlen,
	    EVP_sha256(), NULL) == 1 && mdlen >= POOLDEF_HASH_LEN / 2)
		for (size_t i = 0; i < POOLDEF_HASH_LEN / 2; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	free(text);
}

bool
pooldef_on_demand(const json_t *canon)
{
	const char *m = json_string_value(json_object_get(canon,
	    "BillingMode"));

	return m != NULL && strcmp(m, "PAY_PER_REQUEST") == 0;
}

/* An index's shape: name, keys, projection type, sorted NonKeyAttributes. */
static json_t *
pooldef_index_shape(const json_t *ix)
{
	const json_t *proj = json_object_get(ix, "Projection");
	json_t *s = json_pack("{s:O?,s:O?,s:O?,s:O?}",
	    "name", json_object_get(ix, "IndexName"),
	    "keys", json_object_get(ix, "KeySchema"),
	    "projection", json_object_get(proj, "ProjectionType"),
	    "non_key", json_object_get(proj, "NonKeyAttributes"));

	if (s != NULL && pooldef_sort(s, "non_key", pooldef_cmp_str) != 0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

static json_t *
pooldef_indexes_shape(const json_t *list)
{
	json_t *out = json_array(), *ix, *wrap;
	size_t i;

	json_array_foreach(list, i, ix)
		json_array_append_new(out, pooldef_index_shape(ix));
	/* Sorted by name: wrap to reuse pooldef_sort. */
	wrap = json_pack("{s:o}", "l", out);
	if (wrap == NULL || pooldef_sort(wrap, "l", pooldef_cmp_member_name)
	    != 0) {
		json_decref(wrap);
		return NULL;
	}
	out = json_incref(json_object_get(wrap, "l"));
	json_decref(wrap);
	return out;
}

static json_t *
pooldef_shape(const json_t *keys, const char *billing, const json_t *gsi,
    const json_t *lsi)
{
	return json_pack("{s:O?,s:s,s:o?,s:o?}", "keys", keys, "billing",
	    billing, "gsi", pooldef_indexes_shape(gsi), "lsi",
	    pooldef_indexes_shape(lsi));
}

bool
pooldef_matches(const json_t *canon, const json_t *desc, char *why,
    size_t whylen)
{
	const char *billing = json_string_value(json_object_get(
	    json_object_get(desc, "BillingModeSummary"), "BillingMode"));
	const char *dbill = json_string_value(json_object_get(canon,
	    "BillingMode"));
	json_t *want, *have;
	bool same;

	if (!ddb_table_active(desc)) {
		snprintf(why, whylen, "the table or an index is not ACTIVE");
		return false;
	}
	want = pooldef_shape(json_object_get(canon, "KeySchema"),
	    dbill != NULL ? dbill : "PROVISIONED",
	    json_object_get(canon, "GlobalSecondaryIndexes"),
	    json_object_get(canon, "LocalSecondaryIndexes"));
	have = pooldef_shape(json_object_get(desc, "KeySchema"),
	    billing != NULL ? billing : "PROVISIONED",
	    json_object_get(desc, "GlobalSecondaryIndexes"),
	    json_object_get(desc, "LocalSecondaryIndexes"));
	same = want != NULL && have != NULL && json_equal(want, have);
	if (!same) {
		char *w = want != NULL ? json_dumps(want, JSON_COMPACT |
		    JSON_SORT_KEYS) : NULL;
		char *h = have != NULL ? json_dumps(have, JSON_COMPACT |
		    JSON_SORT_KEYS) : NULL;

		snprintf(why, whylen, "its keys, billing mode or indexes "
		    "changed: %.200s, defined %.200s", h != NULL ? h : "?",
		    w != NULL ? w : "?");
		free(w);
		free(h);
	}
	json_decref(want);
	json_decref(have);
	return same;
}
