/* SPDX-License-Identifier: MIT */
/*
 * ddb.c: DynamoDB documents: checking a CreateTableInput before it is
 * sent, and reading the few fields of a TableDescription that waits need.
 * Pure: no I/O, no logging. Rules and limits come from the DynamoDB API
 * model (shared reference §1); messages name the offending field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ddb.h"

#define DDB_ATTR_NAME_MAX 255

/* Writes a formatted message to err and returns -1. */
static int __attribute__((format(printf, 3, 4)))
ddb_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

bool
ddb_valid_name(const char *name, size_t len)
{
	if (len < 3 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool
ddb_valid_name_prefix(const char *s)
{
	size_t len = strlen(s);
	char probe[256];

	/* A prefix is valid if it completes to a valid name. */
	if (len < 1 || len > 254)
		return false;
	memset(probe, 'x', sizeof(probe));
	/* no NUL: probe is s padded with x, read by length */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): see above */
	memcpy(probe, s, len);
	return ddb_valid_name(probe, len < 3 ? 3 : len);
}

/* Refuses members of obj not in the NULL-terminated list allowed. */
static int
ddb_only(const json_t *obj, const char *where, const char *const *allowed,
    char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return ddb_fail(err, errlen, "%s%s%s: unknown member",
			    where, *where != '\0' ? "." : "", key);
	}
	return 0;
}

/* A string member of 1..max bytes; returns it or NULL after ddb_fail. */
static const char *
ddb_string(const json_t *obj, const char *where, const char *key,
    size_t max, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	size_t len;

	if (v == NULL) {
		ddb_fail(err, errlen, "%s.%s: missing", where, key);
		return NULL;
	}
	if (!json_is_string(v)) {
		ddb_fail(err, errlen, "%s.%s: must be a string", where, key);
		return NULL;
	}
	len = json_string_length(v);
	if (len < 1 || len > max) {
		ddb_fail(err, errlen, "%s.%s: must be 1 to %zu characters",
		    where, key, max);
		return NULL;
	}
	return json_string_value(v);
}

/* Key attributes seen in every key schema of a definition. */
#define DDB_KEYS_MAX (2 + DDB_GSI_MAX * 8 + DDB_LSI_MAX * 2)
#define DDB_GSI_MAX 20
#define DDB_LSI_MAX 5
#define DDB_NONKEY_TOTAL_MAX 100
#define DDB_NONKEY_INDEX_MAX 20
#define DDB_TAGS_MAX 50

struct ddb_keys {
	const char *names[DDB_KEYS_MAX]; /* borrowed from the document */
	size_t n;
};

static void
ddb_keys_add(struct ddb_keys *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->names[i], name) == 0)
			return;
	if (k->n < DDB_KEYS_MAX)
		k->names[k->n++] = name;
}

/*
 * Checks a KeySchema: 1..max_hash HASH elements, then 0..max_range RANGE
 * elements, each naming a distinct attribute. The table's own key has
 * (1, 1); a GSI's (4, 4) since DynamoDB's multi-attribute keys. Fills
 * hash[0] and range[0] (NULL when absent) and adds every name to keys.
 */
static int
ddb_check_key_schema(const json_t *ks, const char *where, size_t max_hash,
    size_t max_range, const char **hash, const char **range,
    struct ddb_keys *keys, char *err, size_t errlen)
{
	static const char *const members[] = { "AttributeName", "KeyType",
		NULL };
	size_t n, n_hash = 0, n_range = 0;

	*hash = *range = NULL;
	if (ks == NULL)
		return ddb_fail(err, errlen, "%s: missing", where);
	if (!json_is_array(ks))
		return ddb_fail(err, errlen, "%s: must be a list", where);
	n = json_array_size(ks);
	if (n < 1 || n > max_hash + max_range)
		return ddb_fail(err, errlen, "%s: must have 1 to %zu HASH "
		    "elements then at most %zu RANGE, got %zu elements", where,
		    max_hash, max_range, n);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(ks, i);
		const char *name, *type;
		char at[96];

		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (!json_is_object(e))
			return ddb_fail(err, errlen, "%s: must be an object", at);
		if (ddb_only(e, at, members, err, errlen) != 0)
			return -1;
		if ((name = ddb_string(e, at, "AttributeName",
		    DDB_ATTR_NAME_MAX, err, errlen)) == NULL ||
		    (type = ddb_string(e, at, "KeyType", 16, err, errlen)) ==
		    NULL)
			return -1;
		if (strcmp(type, "HASH") == 0) {
			if (n_range > 0)
				return ddb_fail(err, errlen, "%s.KeyType: HASH "
				    "elements must come before RANGE ones", at);
			if (++n_hash > max_hash)
				return ddb_fail(err, errlen, "%s: at most %zu "
				    "HASH element%s", where, max_hash,
				    max_hash == 1 ? "" : "s");
			if (*hash == NULL)
				*hash = name;
		} else if (strcmp(type, "RANGE") == 0) {
			if (n_hash == 0)
				return ddb_fail(err, errlen, "%s.KeyType: the "
				    "first element must be HASH", at);
			if (++n_range > max_range)
				return ddb_fail(err, errlen, "%s: at most %zu "
				    "RANGE element%s", where, max_range,
				    max_range == 1 ? "" : "s");
			if (*range == NULL)
				*range = name;
		} else {
			return ddb_fail(err, errlen, "%s.KeyType: must be HASH "
			    "or RANGE, got \"%s\"", at, type);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(ks, j), "AttributeName")), name) == 0)
				return ddb_fail(err, errlen, "%s: attribute "
				    "\"%s\" is used twice", where, name);
		ddb_keys_add(keys, name);
	}
	return 0;
}

/* Checks AttributeDefinitions: valid types, no duplicates, and exactly
 * the attributes the key schemas use (DynamoDB refuses extra ones). */
static int
ddb_check_attr_defs(const json_t *defs, const struct ddb_keys *keys,
    char *err, size_t errlen)
{
	static const char *const members[] = { "AttributeName",
		"AttributeType", NULL };
	size_t n;

	if (defs == NULL)
		return ddb_fail(err, errlen, "AttributeDefinitions: missing");
	if (!json_is_array(defs))
		return ddb_fail(err, errlen,
		    "AttributeDefinitions: must be a list");
	n = json_array_size(defs);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(defs, i);
		const char *name, *type;
		char at[64];
		bool found = false;

		snprintf(at, sizeof(at), "AttributeDefinitions[%zu]", i);
		if (!json_is_object(e))
			return ddb_fail(err, errlen, "%s: must be an object", at);
		if (ddb_only(e, at, members, err, errlen) != 0)
			return -1;
		if ((name = ddb_string(e, at, "AttributeName",
		    DDB_ATTR_NAME_MAX, err, errlen)) == NULL ||
		    (type = ddb_string(e, at, "AttributeType", 1, err,
		    errlen)) == NULL)
			return -1;
		if (strcmp(type, "S") != 0 && strcmp(type, "N") != 0 &&
		    strcmp(type, "B") != 0)
			return ddb_fail(err, errlen, "%s.AttributeType: must be "
			    "S, N or B, got \"%s\"", at, type);
		for (size_t j = 0; j < i; j++) {
			const json_t *p = json_object_get(
			    json_array_get(defs, j), "AttributeName");

			if (strcmp(json_string_value(p), name) == 0)
				return ddb_fail(err, errlen, "%s: \"%s\" is "
				    "defined twice", at, name);
		}
		for (size_t j = 0; j < keys->n && !found; j++)
			found = strcmp(keys->names[j], name) == 0;
		if (!found)
			return ddb_fail(err, errlen, "%s: \"%s\" is not a key "
			    "attribute of the table or an index; define only "
			    "key attributes", at, name);
	}
	for (size_t j = 0; j < keys->n; j++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(json_string_value(json_object_get(
			    json_array_get(defs, i), "AttributeName")),
			    keys->names[j]) == 0;
		if (!found)
			return ddb_fail(err, errlen, "AttributeDefinitions: "
			    "key attribute \"%s\" is not defined",
			    keys->names[j]);
	}
	return 0;
}

/* Checks a ProvisionedThroughput object: both units, integers >= 1. */
static int
ddb_check_throughput(const json_t *pt, const char *where, char *err,
    size_t errlen)
{
	static const char *const members[] = { "ReadCapacityUnits",
		"WriteCapacityUnits", NULL };

	if (!json_is_object(pt))
		return ddb_fail(err, errlen, "%s: must be an object", where);
	if (ddb_only(pt, where, members, err, errlen) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const json_t *v = json_object_get(pt, members[i]);

		if (v == NULL)
			return ddb_fail(err, errlen, "%s.%s: missing (both "
			    "units are required)", where, members[i]);
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return ddb_fail(err, errlen, "%s.%s: must be an integer "
			    ">= 1", where, members[i]);
	}
	return 0;
}

/* Checks a Projection; adds its NonKeyAttributes to *total. */
static int
ddb_check_projection(const json_t *p, const char *where, size_t *total,
    char *err, size_t errlen)
{
	static const char *const members[] = { "ProjectionType",
		"NonKeyAttributes", NULL };
	const json_t *nka;
	const char *type;
	char at[128];

	snprintf(at, sizeof(at), "%s.Projection", where);
	if (p == NULL)
		return ddb_fail(err, errlen, "%s: missing", at);
	if (!json_is_object(p))
		return ddb_fail(err, errlen, "%s: must be an object", at);
	if (ddb_only(p, at, members, err, errlen) != 0)
		return -1;
	if ((type = ddb_string(p, at, "ProjectionType", 16, err, errlen)) ==
	    NULL)
		return -1;
	if (strcmp(type, "ALL") != 0 && strcmp(type, "KEYS_ONLY") != 0 &&
	    strcmp(type, "INCLUDE") != 0)
		return ddb_fail(err, errlen, "%s.ProjectionType: must be ALL, "
		    "KEYS_ONLY or INCLUDE, got \"%s\"", at, type);
	nka = json_object_get(p, "NonKeyAttributes");
	if (strcmp(type, "INCLUDE") != 0) {
		if (nka != NULL)
			return ddb_fail(err, errlen, "%s.NonKeyAttributes: only "
			    "allowed with ProjectionType INCLUDE, not %s", at,
			    type);
		return 0;
	}
	if (nka == NULL)
		return ddb_fail(err, errlen, "%s.NonKeyAttributes: required "
		    "with ProjectionType INCLUDE", at);
	if (!json_is_array(nka) || json_array_size(nka) < 1 ||
	    json_array_size(nka) > DDB_NONKEY_INDEX_MAX)
		return ddb_fail(err, errlen, "%s.NonKeyAttributes: must be a "
		    "list of 1 to %d names", at, DDB_NONKEY_INDEX_MAX);
	for (size_t i = 0; i < json_array_size(nka); i++) {
		const json_t *a = json_array_get(nka, i);

		if (!json_is_string(a) || json_string_length(a) < 1 ||
		    json_string_length(a) > DDB_ATTR_NAME_MAX)
			return ddb_fail(err, errlen, "%s.NonKeyAttributes[%zu]: "
			    "must be a name of 1 to %d characters", at, i,
			    DDB_ATTR_NAME_MAX);
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(nka, j)),
			    json_string_value(a)) == 0)
				return ddb_fail(err, errlen, "%s.NonKeyAttributes"
				    ": \"%s\" is listed twice", at,
				    json_string_value(a));
	}
	*total += json_array_size(nka);
	return 0;
}

/* Checks an IndexName and that no earlier index has the same. */
static int
ddb_check_index_name(const json_t *idx, const char *where,
    const char **seen, size_t n_seen, const char **name, char *err,
    size_t errlen)
{
	const json_t *v = json_object_get(idx, "IndexName");

	/* -1 spelled out: the analyzer does not follow variadic ddb_fail()
	 * and would go on with *name unset */
	*name = NULL;
	if (v == NULL) {
		ddb_fail(err, errlen, "%s.IndexName: missing", where);
		return -1;
	}
	if (!json_is_string(v) ||
	    !ddb_valid_name(json_string_value(v), json_string_length(v))) {
		ddb_fail(err, errlen, "%s.IndexName: must be 3 to 255 "
		    "characters of a-z, A-Z, 0-9, '_', '-' and '.'", where);
		return -1;
	}
	*name = json_string_value(v);
	for (size_t i = 0; i < n_seen; i++)
		if (strcmp(seen[i], *name) == 0)
			return ddb_fail(err, errlen, "%s.IndexName: duplicate "
			    "index name \"%s\"", where, *name);
	return 0;
}

struct ddb_ctx {
	struct ddb_keys keys;	   /* every key attribute used */
	const char *index_names[DDB_GSI_MAX + DDB_LSI_MAX];
	size_t n_index;
	size_t nonkey_total;	   /* NonKeyAttributes over all indexes */
	const char *table_hash;	   /* the table's key */
	const char *table_range;
	bool provisioned;
};

/*
 * Element i of an index list (kind "GlobalSecondaryIndexes" or
 * "LocalSecondaryIndexes"): an object with only the allowed members and a
 * valid, unique IndexName, which is recorded. Writes the element's path
 * into at; returns the element, or NULL after ddb_fail.
 */
static const json_t *
ddb_index_at(const json_t *list, size_t i, const char *kind,
    const char *const *members, struct ddb_ctx *cx, char *at, size_t atlen,
    const char **name, char *err, size_t errlen)
{
	const json_t *idx = json_array_get(list, i);

	snprintf(at, atlen, "%s[%zu]", kind, i);
	if (!json_is_object(idx)) {
		ddb_fail(err, errlen, "%s: must be an object", at);
		return NULL;
	}
	if (ddb_only(idx, at, members, err, errlen) != 0 ||
	    ddb_check_index_name(idx, at, cx->index_names, cx->n_index, name,
	    err, errlen) != 0)
		return NULL;
	cx->index_names[cx->n_index++] = *name;
	return idx;
}

static int
ddb_check_gsis(const json_t *list, struct ddb_ctx *cx, char *err,
    size_t errlen)
{
	static const char *const members[] = { "IndexName", "KeySchema",
		"Projection", "ProvisionedThroughput", NULL };

	if (!json_is_array(list) || json_array_size(list) < 1)
		return ddb_fail(err, errlen, "GlobalSecondaryIndexes: must be a "
		    "non-empty list (omit it for none)");
	if (json_array_size(list) > DDB_GSI_MAX)
		return ddb_fail(err, errlen, "GlobalSecondaryIndexes: %zu "
		    "indexes, the limit is %d", json_array_size(list),
		    DDB_GSI_MAX);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *hash, *range, *name;
		const json_t *g, *pt;
		char at[64], ks[96];

		if ((g = ddb_index_at(list, i, "GlobalSecondaryIndexes", members,
		    cx, at, sizeof(at), &name, err, errlen)) == NULL)
			return -1;
		snprintf(ks, sizeof(ks), "%s.KeySchema", at);
		if (ddb_check_key_schema(json_object_get(g, "KeySchema"), ks, 4,
		    4, &hash, &range, &cx->keys, err, errlen) != 0 ||
		    ddb_check_projection(json_object_get(g, "Projection"), at,
		    &cx->nonkey_total, err, errlen) != 0)
			return -1;
		pt = json_object_get(g, "ProvisionedThroughput");
		snprintf(ks, sizeof(ks), "%s.ProvisionedThroughput", at);
		if (cx->provisioned && pt == NULL)
			return ddb_fail(err, errlen, "%s: required for index "
			    "\"%s\" when BillingMode is PROVISIONED", ks, name);
		if (!cx->provisioned && pt != NULL)
			return ddb_fail(err, errlen, "%s: not allowed for index "
			    "\"%s\" when BillingMode is PAY_PER_REQUEST", ks,
			    name);
		if (pt != NULL &&
		    ddb_check_throughput(pt, ks, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
ddb_check_lsis(const json_t *list, struct ddb_ctx *cx, char *err,
    size_t errlen)
{
	static const char *const members[] = { "IndexName", "KeySchema",
		"Projection", NULL };

	if (!json_is_array(list) || json_array_size(list) < 1)
		return ddb_fail(err, errlen, "LocalSecondaryIndexes: must be a "
		    "non-empty list (omit it for none)");
	if (json_array_size(list) > DDB_LSI_MAX)
		return ddb_fail(err, errlen, "LocalSecondaryIndexes: %zu "
		    "indexes, the limit is %d", json_array_size(list),
		    DDB_LSI_MAX);
	if (cx->table_range == NULL)
		return ddb_fail(err, errlen, "LocalSecondaryIndexes: the table "
		    "needs a sort (RANGE) key to have local secondary indexes");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *hash, *range, *name;
		const json_t *l;
		char at[64], ks[96];

		if ((l = ddb_index_at(list, i, "LocalSecondaryIndexes", members,
		    cx, at, sizeof(at), &name, err, errlen)) == NULL)
			return -1;
		snprintf(ks, sizeof(ks), "%s.KeySchema", at);
		if (ddb_check_key_schema(json_object_get(l, "KeySchema"), ks, 1,
		    1, &hash, &range, &cx->keys, err, errlen) != 0)
			return -1;
		if (strcmp(hash, cx->table_hash) != 0)
			return ddb_fail(err, errlen, "%s: the HASH key must be "
			    "the table's partition key \"%s\", not \"%s\"", ks,
			    cx->table_hash, hash);
		if (range == NULL)
			return ddb_fail(err, errlen, "%s: a local secondary "
			    "index needs a RANGE key", ks);
		if (ddb_check_projection(json_object_get(l, "Projection"), at,
		    &cx->nonkey_total, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
ddb_check_stream(const json_t *s, char *err, size_t errlen)
{
	static const char *const members[] = { "StreamEnabled",
		"StreamViewType", NULL };
	static const char *const views[] = { "NEW_IMAGE", "OLD_IMAGE",
		"NEW_AND_OLD_IMAGES", "KEYS_ONLY", NULL };
	const json_t *en, *vt;

	if (!json_is_object(s))
		return ddb_fail(err, errlen, "StreamSpecification: must be an "
		    "object");
	if (ddb_only(s, "StreamSpecification", members, err, errlen) != 0)
		return -1;
	en = json_object_get(s, "StreamEnabled");
	vt = json_object_get(s, "StreamViewType");
	if (!json_is_boolean(en))
		return ddb_fail(err, errlen, "StreamSpecification.StreamEnabled:"
		    " required, true or false");
	if (!json_is_true(en)) {
		if (vt != NULL)
			return ddb_fail(err, errlen, "StreamSpecification."
			    "StreamViewType: only with StreamEnabled true");
		return 0;
	}
	for (size_t i = 0; vt != NULL && views[i] != NULL; i++)
		if (json_is_string(vt) &&
		    strcmp(json_string_value(vt), views[i]) == 0)
			return 0;
	return ddb_fail(err, errlen, "StreamSpecification.StreamViewType: "
	    "required with StreamEnabled, one of NEW_IMAGE, OLD_IMAGE, "
	    "NEW_AND_OLD_IMAGES, KEYS_ONLY");
}

/*
 * SSESpecification, the three choices of the spec: AWS owned key (absent,
 * or Enabled false), AWS managed key (Enabled true, SSEType KMS), customer
 * managed key (the same plus KMSMasterKeyId). A key id anywhere else is
 * refused rather than silently ignored.
 */
static int
ddb_check_sse(const json_t *s, char *err, size_t errlen)
{
	static const char *const members[] = { "Enabled", "SSEType",
		"KMSMasterKeyId", NULL };
	const json_t *en, *type, *key;

	if (!json_is_object(s))
		return ddb_fail(err, errlen, "SSESpecification: must be an "
		    "object");
	if (ddb_only(s, "SSESpecification", members, err, errlen) != 0)
		return -1;
	en = json_object_get(s, "Enabled");
	type = json_object_get(s, "SSEType");
	key = json_object_get(s, "KMSMasterKeyId");
	if (en != NULL && !json_is_boolean(en))
		return ddb_fail(err, errlen, "SSESpecification.Enabled: must be "
		    "true or false");
	if (!json_is_true(en)) {
		if (type != NULL || key != NULL)
			return ddb_fail(err, errlen, "SSESpecification: SSEType "
			    "and KMSMasterKeyId need Enabled true (Enabled "
			    "false means the AWS owned key)");
		return 0;
	}
	if (type != NULL && (!json_is_string(type) ||
	    strcmp(json_string_value(type), "KMS") != 0))
		return ddb_fail(err, errlen, "SSESpecification.SSEType: must be "
		    "KMS");
	if (key != NULL) {
		if (!json_is_string(key) || json_string_length(key) < 1 ||
		    json_string_length(key) > 2048)
			return ddb_fail(err, errlen, "SSESpecification."
			    "KMSMasterKeyId: must be a key id, key ARN, alias "
			    "or alias ARN");
		if (type == NULL)
			return ddb_fail(err, errlen, "SSESpecification: "
			    "KMSMasterKeyId needs SSEType KMS");
	}
	return 0;
}

static int
ddb_check_tags(const json_t *tags, char *err, size_t errlen)
{
	static const char *const members[] = { "Key", "Value", NULL };

	if (!json_is_array(tags) || json_array_size(tags) < 1 ||
	    json_array_size(tags) > DDB_TAGS_MAX)
		return ddb_fail(err, errlen, "Tags: must be a list of 1 to %d "
		    "tags", DDB_TAGS_MAX);
	for (size_t i = 0; i < json_array_size(tags); i++) {
		const json_t *t = json_array_get(tags, i), *v;
		const char *key;
		char at[32];

		snprintf(at, sizeof(at), "Tags[%zu]", i);
		if (!json_is_object(t))
			return ddb_fail(err, errlen, "%s: must be an object", at);
		if (ddb_only(t, at, members, err, errlen) != 0 ||
		    (key = ddb_string(t, at, "Key", 128, err, errlen)) == NULL)
			return -1;
		v = json_object_get(t, "Value");
		if (!json_is_string(v) || json_string_length(v) > 256)
			return ddb_fail(err, errlen, "%s.Value: must be a string "
			    "of at most 256 characters", at);
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(tags, j), "Key")), key) == 0)
				return ddb_fail(err, errlen, "%s.Key: \"%s\" is "
				    "given twice", at, key);
	}
	return 0;
}

int
ddb_check_create(json_t *in, char *err, size_t errlen)
{
	static const char *const members[] = { "TableName", "KeySchema",
		"AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
		"LocalSecondaryIndexes", "GlobalSecondaryIndexes",
		"StreamSpecification", "SSESpecification", "Tags", "TableClass",
		"DeletionProtectionEnabled", NULL };
	struct ddb_ctx cx;
	const char *name, *billing;
	const json_t *v, *pt;

	memset(&cx, 0, sizeof(cx));
	if (!json_is_object(in))
		return ddb_fail(err, errlen, "table: must be a map");
	if (ddb_only(in, "", members, err, errlen) != 0)
		return -1;
	v = json_object_get(in, "TableName");
	if (v == NULL)
		return ddb_fail(err, errlen, "TableName: missing");
	if (!json_is_string(v))
		return ddb_fail(err, errlen, "TableName: must be a string");
	name = json_string_value(v);
	if (!ddb_valid_name(name, json_string_length(v)))
		return ddb_fail(err, errlen, "TableName: \"%.64s\" must be 3 to "
		    "255 characters of a-z, A-Z, 0-9, '_', '-' and '.'", name);
	if (ddb_check_key_schema(json_object_get(in, "KeySchema"), "KeySchema",
	    1, 1, &cx.table_hash, &cx.table_range, &cx.keys, err, errlen) != 0)
		return -1;

	v = json_object_get(in, "BillingMode");
	if (v == NULL) {
		/* DynamoDB takes an absent BillingMode as PROVISIONED; ours
		 * defaults to on-demand, so it is always sent. */
		if (json_object_set_new(in, "BillingMode",
		    json_string("PAY_PER_REQUEST")) != 0)
			return ddb_fail(err, errlen, "out of memory");
		v = json_object_get(in, "BillingMode");
	}
	billing = json_string_value(v);
	if (billing == NULL || (strcmp(billing, "PAY_PER_REQUEST") != 0 &&
	    strcmp(billing, "PROVISIONED") != 0))
		return ddb_fail(err, errlen, "BillingMode: must be "
		    "PAY_PER_REQUEST or PROVISIONED");
	cx.provisioned = strcmp(billing, "PROVISIONED") == 0;
	pt = json_object_get(in, "ProvisionedThroughput");
	if (cx.provisioned) {
		if (pt == NULL)
			return ddb_fail(err, errlen, "ProvisionedThroughput: "
			    "required when BillingMode is PROVISIONED");
		if (ddb_check_throughput(pt, "ProvisionedThroughput", err,
		    errlen) != 0)
			return -1;
	} else if (pt != NULL) {
		return ddb_fail(err, errlen, "ProvisionedThroughput: not "
		    "allowed when BillingMode is PAY_PER_REQUEST");
	}

	if ((v = json_object_get(in, "LocalSecondaryIndexes")) != NULL &&
	    ddb_check_lsis(v, &cx, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "GlobalSecondaryIndexes")) != NULL &&
	    ddb_check_gsis(v, &cx, err, errlen) != 0)
		return -1;
	if (cx.nonkey_total > DDB_NONKEY_TOTAL_MAX)
		return ddb_fail(err, errlen, "NonKeyAttributes: %zu projected "
		    "across all indexes, the limit is %d (an attribute in two "
		    "indexes counts twice)", cx.nonkey_total,
		    DDB_NONKEY_TOTAL_MAX);
	if (ddb_check_attr_defs(json_object_get(in, "AttributeDefinitions"),
	    &cx.keys, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "StreamSpecification")) != NULL &&
	    ddb_check_stream(v, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "SSESpecification")) != NULL &&
	    ddb_check_sse(v, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "Tags")) != NULL &&
	    ddb_check_tags(v, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "TableClass")) != NULL &&
	    (!json_is_string(v) ||
	    (strcmp(json_string_value(v), "STANDARD") != 0 &&
	    strcmp(json_string_value(v), "STANDARD_INFREQUENT_ACCESS") != 0)))
		return ddb_fail(err, errlen, "TableClass: must be STANDARD or "
		    "STANDARD_INFREQUENT_ACCESS");
	if ((v = json_object_get(in, "DeletionProtectionEnabled")) != NULL &&
	    !json_is_boolean(v))
		return ddb_fail(err, errlen, "DeletionProtectionEnabled: must be "
		    "true or false");
	return 0;
}

/* member of obj must be absent or of type want; the message names it. */
static int
ddb_desc_member(const json_t *obj, const char *where, const char *key,
    json_type want, bool required, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	static const char *const type_names[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "a list",
		[JSON_STRING] = "a string",
	};

	if (v == NULL && !required)
		return 0;
	if (v != NULL && json_typeof(v) == want)
		return 0;
	snprintf(err, errlen, "%s.%s is %s, not %s", where, key,
	    v == NULL ? "missing" : "of the wrong type", type_names[want]);
	return -1;
}

int
ddb_check_table(const json_t *desc, char *err, size_t errlen)
{
	static const char *const lists[] = { "GlobalSecondaryIndexes",
		"LocalSecondaryIndexes" };
	const json_t *v;
	size_t i;
	char where[48];

	if (!json_is_object(desc)) {
		snprintf(err, errlen, "the table description is not an object");
		return -1;
	}
	if (ddb_desc_member(desc, "Table", "TableName", JSON_STRING, true,
		err, errlen) != 0 ||
	    ddb_desc_member(desc, "Table", "TableStatus", JSON_STRING, true,
		err, errlen) != 0)
		return -1;
	for (size_t l = 0; l < 2; l++) {
		if (ddb_desc_member(desc, "Table", lists[l], JSON_ARRAY, false,
		    err, errlen) != 0)
			return -1;
		json_array_foreach(json_object_get(desc, lists[l]), i, v) {
			snprintf(where, sizeof(where), "Table.%s[%zu]",
			    lists[l], i);
			if (!json_is_object(v)) {
				snprintf(err, errlen, "%s is not an object",
				    where);
				return -1;
			}
			if (ddb_desc_member(v, where, "IndexName",
			    JSON_STRING, true, err, errlen) != 0 ||
			    ddb_desc_member(v, where, "IndexStatus",
			    JSON_STRING, l == 0, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

const char *
ddb_table_status(const json_t *desc)
{
	return json_string_value(json_object_get(desc, "TableStatus"));
}

bool
ddb_table_active(const json_t *desc)
{
	const char *st = ddb_table_status(desc);
	const json_t *gsis, *g;
	size_t i;

	if (st == NULL || strcmp(st, "ACTIVE") != 0)
		return false;
	gsis = json_object_get(desc, "GlobalSecondaryIndexes");
	json_array_foreach(gsis, i, g) {
		const char *is = json_string_value(
		    json_object_get(g, "IndexStatus"));

		if (is == NULL || strcmp(is, "ACTIVE") != 0)
			return false;
	}
	return true;
}

dtp_err
ddb_error_code(const char *aws_type)
{
	if (aws_type == NULL)
		return DTP_E_UPSTREAM;
	if (strcmp(aws_type, "ResourceNotFoundException") == 0)
		return DTP_E_NOT_FOUND;
	if (strcmp(aws_type, "ResourceInUseException") == 0)
		return DTP_E_IN_USE;
	return DTP_E_AWS;
}

/* ---- ListTables paging ---------------------------------------------------- */

void
ddb_pager_init(struct ddb_pager *pg, time_t now)
{
	memset(pg, 0, sizeof(*pg));
	pg->started = now;
}

int
ddb_pager_next(struct ddb_pager *pg, const json_t *reply, json_t *acc,
    time_t now, char *err, size_t errlen)
{
	const json_t *names = json_object_get(reply, "TableNames");
	const json_t *last = json_object_get(reply, "LastEvaluatedTableName");
	const json_t *v;
	const char *next;
	size_t i;

	pg->pages++;
	if (!json_is_array(names)) {
		snprintf(err, errlen, "ListTables reply has no TableNames list");
		return -1;
	}
	json_array_foreach(names, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "ListTables reply: TableNames[%zu] "
			    "is not a string", i);
			return -1;
		}
		if (json_array_append((json_t *)acc, (json_t *)v) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (last == NULL || json_is_null(last))
		return 0;
	next = json_string_value(last);
	if (next == NULL || !ddb_valid_name(next, json_string_length(last))) {
		snprintf(err, errlen, "ListTables reply: LastEvaluatedTableName "
		    "is not a table name");
		return -1;
	}
	/* DynamoDB lists in name order: a token that does not move forward
	 * would page forever. */
	if (pg->last[0] != '\0' && strcmp(next, pg->last) <= 0) {
		snprintf(err, errlen, "ListTables paging does not move forward "
		    "(LastEvaluatedTableName %.64s after %.64s)", next, pg->last);
		return -1;
	}
	if (pg->pages >= DDB_PAGES_MAX) {
		snprintf(err, errlen, "ListTables gave more than %d pages",
		    DDB_PAGES_MAX);
		return -1;
	}
	if (now - pg->started > DDB_PAGING_MAX_S) {
		snprintf(err, errlen, "ListTables paging took more than %d s",
		    DDB_PAGING_MAX_S);
		return -1;
	}
	snprintf(pg->last, sizeof(pg->last), "%s", next);
	return 1;
}
