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

/*
 * Capacities. ProvisionedThroughput's units and OnDemandThroughput's
 * ceilings are at least 1 and at most DynamoDB's per-table quota (40,000
 * read and write units by default, DG-Limits; a raised quota is not seen
 * here: such an account would be refused above 40,000). -1 removes an
 * OnDemandThroughput ceiling, on UpdateTable only. WarmThroughput has no
 * documented ceiling: at least 1.
 */
#define DDB_UNITS_MAX 40000LL
#define DDB_POLICY_MAX 20480 /* ResourcePolicy, 20 KB with whitespace */

static const char *const ddb_pt_members[] = { "ReadCapacityUnits",
	"WriteCapacityUnits", NULL };
static const char *const ddb_odt_members[] = { "MaxReadRequestUnits",
	"MaxWriteRequestUnits", NULL };
static const char *const ddb_warm_members[] = { "ReadUnitsPerSecond",
	"WriteUnitsPerSecond", NULL };

/*
 * An object of two integer members (members): both required (all), or
 * any of them; each in [1, max] (max 0: no ceiling), or -1 when minus_one.
 * *n counts the members present.
 */
static int
ddb_check_units(const json_t *o, const char *where,
    const char *const *members, bool all, long long max, bool minus_one,
    size_t *n, char *err, size_t errlen)
{
	*n = 0;
	if (!json_is_object(o))
		return ddb_fail(err, errlen, "%s: must be an object", where);
	if (ddb_only(o, where, members, err, errlen) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const json_t *v = json_object_get(o, members[i]);
		json_int_t u;

		if (v == NULL) {
			if (all)
				return ddb_fail(err, errlen, "%s.%s: missing "
				    "(both units are required)", where,
				    members[i]);
			continue;
		}
		(*n)++;
		u = json_is_integer(v) ? json_integer_value(v) : 0;
		if (minus_one && u == -1)
			continue;
		if (!json_is_integer(v) || u < 1)
			return ddb_fail(err, errlen, "%s.%s: must be an integer "
			    ">= 1%s", where, members[i], minus_one ?
			    " (or -1: no ceiling)" : "");
		if (max > 0 && u > max)
			return ddb_fail(err, errlen, "%s.%s: %lld is above "
			    "DynamoDB's per-table limit of %lld", where,
			    members[i], (long long)u, max);
	}
	return 0;
}

/* Checks a ProvisionedThroughput object: both units, 1 to 40,000. */
static int
ddb_check_throughput(const json_t *pt, const char *where, char *err,
    size_t errlen)
{
	size_t n;

	return ddb_check_units(pt, where, ddb_pt_members, true, DDB_UNITS_MAX,
	    false, &n, err, errlen);
}

/*
 * The members a table and its GSIs share besides ProvisionedThroughput:
 * OnDemandThroughput (ceilings; refused under PROVISIONED, where DynamoDB
 * refuses them too; an empty object means none) and WarmThroughput.
 * billing is the mode in force ("" when the request does not say:
 * UpdateTable without BillingMode). update: -1 allowed, and an empty
 * object refused (DynamoDB answers it with an internal failure).
 */
static int
ddb_check_ondemand_warm(const json_t *obj, const char *where,
    const char *billing, bool update, char *err, size_t errlen)
{
	const json_t *odt = json_object_get(obj, "OnDemandThroughput");
	const json_t *warm = json_object_get(obj, "WarmThroughput");
	char at[160];
	size_t n;

	snprintf(at, sizeof(at), "%s%sOnDemandThroughput", where,
	    *where != '\0' ? "." : "");
	if (odt != NULL) {
		if (ddb_check_units(odt, at, ddb_odt_members, false,
		    DDB_UNITS_MAX, update, &n, err, errlen) != 0)
			return -1;
		if (n > 0 && strcmp(billing, "PROVISIONED") == 0)
			return ddb_fail(err, errlen, "%s: only with BillingMode "
			    "PAY_PER_REQUEST", at);
		if (n == 0 && update)
			return ddb_fail(err, errlen, "%s: give "
			    "MaxReadRequestUnits or MaxWriteRequestUnits", at);
	}
	snprintf(at, sizeof(at), "%s%sWarmThroughput", where,
	    *where != '\0' ? "." : "");
	if (warm != NULL) {
		if (ddb_check_units(warm, at, ddb_warm_members, false, 0, false,
		    &n, err, errlen) != 0)
			return -1;
		if (n == 0)
			return ddb_fail(err, errlen, "%s: give ReadUnitsPerSecond "
			    "or WriteUnitsPerSecond", at);
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
		"Projection", "ProvisionedThroughput", "OnDemandThroughput",
		"WarmThroughput", NULL };

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
		if (ddb_check_ondemand_warm(g, at, cx->provisioned ?
		    "PROVISIONED" : "PAY_PER_REQUEST", false, err, errlen) != 0)
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

/* The members CreateTable and UpdateTable share as they are:
 * StreamSpecification, SSESpecification, TableClass,
 * DeletionProtectionEnabled. */
static int
ddb_check_settings(const json_t *in, char *err, size_t errlen)
{
	const json_t *v;

	if ((v = json_object_get(in, "StreamSpecification")) != NULL &&
	    ddb_check_stream(v, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "SSESpecification")) != NULL &&
	    ddb_check_sse(v, err, errlen) != 0)
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

int
ddb_check_create(json_t *in, char *err, size_t errlen)
{
	static const char *const members[] = { "TableName", "KeySchema",
		"AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
		"LocalSecondaryIndexes", "GlobalSecondaryIndexes",
		"StreamSpecification", "SSESpecification", "Tags", "TableClass",
		"DeletionProtectionEnabled", "WarmThroughput", "ResourcePolicy",
		"OnDemandThroughput", NULL };
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

	/* The protocol's default is on-demand (PROTOCOL.md §6), sent
	 * explicitly: DynamoDB takes an absent mode as PROVISIONED. The
	 * clients' JSON-document paths (libdyntable's
	 * dyntable_create_table_json, dyntablectl --input-json) give an
	 * absent mode DynamoDB's meaning before it gets here. */
	v = json_object_get(in, "BillingMode");
	if (v == NULL) {
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
	if (ddb_check_settings(in, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "Tags")) != NULL &&
	    ddb_check_tags(v, err, errlen) != 0)
		return -1;
	if (ddb_check_ondemand_warm(in, "", billing, false, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(in, "ResourcePolicy")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) < 1 ||
	    json_string_length(v) > DDB_POLICY_MAX))
		return ddb_fail(err, errlen, "ResourcePolicy: must be a JSON "
		    "policy document as a string of 1 to %d bytes",
		    DDB_POLICY_MAX);
	return 0;
}

/* ---- UpdateTable ---------------------------------------------------------- */

/*
 * One element of GlobalSecondaryIndexUpdates, at: exactly one of Create,
 * Update, Delete. A Create's key attributes go into keys (AttributeDefinitions
 * must define them); *changes counts Creates and Deletes.
 */
static int
ddb_check_gsi_update(const json_t *e, const char *at, const char *billing,
    struct ddb_keys *keys, const char **names, size_t *n_names,
    unsigned *changes, char *err, size_t errlen)
{
	static const char *const actions[] = { "Create", "Update", "Delete",
		NULL };
	static const char *const create[] = { "IndexName", "KeySchema",
		"Projection", "ProvisionedThroughput", "OnDemandThroughput",
		"WarmThroughput", NULL };
	static const char *const update[] = { "IndexName",
		"ProvisionedThroughput", "OnDemandThroughput", "WarmThroughput",
		NULL };
	static const char *const del[] = { "IndexName", NULL };
	static const char *const *const members[] = { create, update, del };
	const json_t *act = NULL, *pt;
	const char *name, *hash, *range;
	char where[128], ks[160];
	size_t total = 0;
	int kind = -1;

	if (!json_is_object(e))
		return ddb_fail(err, errlen, "%s: must be an object", at);
	if (ddb_only(e, at, actions, err, errlen) != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (json_object_get(e, actions[i]) != NULL) {
			if (kind >= 0)
				return ddb_fail(err, errlen, "%s: one of Create, "
				    "Update or Delete per element", at);
			kind = i;
			act = json_object_get(e, actions[i]);
		}
	if (kind < 0)
		return ddb_fail(err, errlen, "%s: needs Create, Update or Delete",
		    at);
	snprintf(where, sizeof(where), "%s.%s", at, actions[kind]);
	if (!json_is_object(act))
		return ddb_fail(err, errlen, "%s: must be an object", where);
	if (ddb_only(act, where, members[kind], err, errlen) != 0 ||
	    ddb_check_index_name(act, where, names, *n_names, &name, err,
	    errlen) != 0)
		return -1;
	names[(*n_names)++] = name;
	pt = json_object_get(act, "ProvisionedThroughput");
	snprintf(ks, sizeof(ks), "%s.ProvisionedThroughput", where);
	if (pt != NULL && strcmp(billing, "PAY_PER_REQUEST") == 0)
		return ddb_fail(err, errlen, "%s: not allowed when BillingMode "
		    "is PAY_PER_REQUEST", ks);
	if (pt != NULL && ddb_check_throughput(pt, ks, err, errlen) != 0)
		return -1;
	if (kind != 2 && ddb_check_ondemand_warm(act, where, billing,
	    kind == 1, err, errlen) != 0)
		return -1;
	switch (kind) {
	case 0:
		(*changes)++;
		snprintf(ks, sizeof(ks), "%s.KeySchema", where);
		if (ddb_check_key_schema(json_object_get(act, "KeySchema"), ks,
		    4, 4, &hash, &range, keys, err, errlen) != 0 ||
		    ddb_check_projection(json_object_get(act, "Projection"),
		    where, &total, err, errlen) != 0)
			return -1;
		if (pt == NULL && strcmp(billing, "PROVISIONED") == 0)
			return ddb_fail(err, errlen, "%s: required for index "
			    "\"%s\" when BillingMode is PROVISIONED", ks, name);
		break;
	case 1:
		if (json_object_size(act) < 2)
			return ddb_fail(err, errlen, "%s: give "
			    "ProvisionedThroughput, OnDemandThroughput or "
			    "WarmThroughput for index \"%s\"", where, name);
		break;
	default:
		(*changes)++;
		break;
	}
	return 0;
}

/* AttributeDefinitions of an UpdateTable: well-formed, each name once,
 * and defining every key attribute of the index it creates (others, the
 * table's keys for instance, may be listed too). */
static int
ddb_check_update_defs(const json_t *defs, const struct ddb_keys *keys,
    char *err, size_t errlen)
{
	static const char *const members[] = { "AttributeName",
		"AttributeType", NULL };

	if (!json_is_array(defs))
		return ddb_fail(err, errlen,
		    "AttributeDefinitions: must be a list");
	for (size_t i = 0; i < json_array_size(defs); i++) {
		const json_t *e = json_array_get(defs, i);
		const char *name, *type;
		char at[64];

		snprintf(at, sizeof(at), "AttributeDefinitions[%zu]", i);
		if (!json_is_object(e))
			return ddb_fail(err, errlen, "%s: must be an object", at);
		if (ddb_only(e, at, members, err, errlen) != 0 ||
		    (name = ddb_string(e, at, "AttributeName",
		    DDB_ATTR_NAME_MAX, err, errlen)) == NULL ||
		    (type = ddb_string(e, at, "AttributeType", 1, err,
		    errlen)) == NULL)
			return -1;
		if (strchr("SNB", type[0]) == NULL)
			return ddb_fail(err, errlen, "%s.AttributeType: must be "
			    "S, N or B, got \"%s\"", at, type);
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(defs, j), "AttributeName")), name) == 0)
				return ddb_fail(err, errlen, "%s: \"%s\" is "
				    "defined twice", at, name);
	}
	for (size_t k = 0; k < keys->n; k++) {
		bool found = false;

		for (size_t i = 0; i < json_array_size(defs) && !found; i++)
			found = strcmp(json_string_value(json_object_get(
			    json_array_get(defs, i), "AttributeName")),
			    keys->names[k]) == 0;
		if (!found)
			return ddb_fail(err, errlen, "AttributeDefinitions: the "
			    "new index's key attribute \"%s\" is not defined",
			    keys->names[k]);
	}
	return 0;
}

int
ddb_check_update(const json_t *in, char *err, size_t errlen)
{
	static const char *const members[] = { "TableName",
		"AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
		"OnDemandThroughput", "WarmThroughput",
		"GlobalSecondaryIndexUpdates", "StreamSpecification",
		"SSESpecification", "TableClass", "DeletionProtectionEnabled",
		NULL };
	const char *names[DDB_GSI_MAX + 1];
	const json_t *v, *updates;
	const char *billing = "";
	struct ddb_keys keys;
	unsigned changes = 0;
	size_t n_names = 0;

	memset(&keys, 0, sizeof(keys));
	if (!json_is_object(in))
		return ddb_fail(err, errlen, "update: must be a map");
	if (ddb_only(in, "", members, err, errlen) != 0)
		return -1;
	if (json_object_get(in, "TableName") != NULL)
		return ddb_fail(err, errlen, "TableName: give the table as the "
		    "request's name, not in the update");
	if (json_object_size(in) == 0 || (json_object_size(in) == 1 &&
	    json_object_get(in, "AttributeDefinitions") != NULL))
		return ddb_fail(err, errlen, "nothing to update: give at least "
		    "one of BillingMode, ProvisionedThroughput, "
		    "OnDemandThroughput, WarmThroughput, "
		    "GlobalSecondaryIndexUpdates, StreamSpecification, "
		    "SSESpecification, TableClass, DeletionProtectionEnabled");
	if ((v = json_object_get(in, "BillingMode")) != NULL) {
		billing = json_string_value(v);
		if (billing == NULL || (strcmp(billing, "PAY_PER_REQUEST") != 0 &&
		    strcmp(billing, "PROVISIONED") != 0))
			return ddb_fail(err, errlen, "BillingMode: must be "
			    "PAY_PER_REQUEST or PROVISIONED");
	}
	v = json_object_get(in, "ProvisionedThroughput");
	if (v == NULL && strcmp(billing, "PROVISIONED") == 0)
		return ddb_fail(err, errlen, "ProvisionedThroughput: required "
		    "when switching BillingMode to PROVISIONED");
	if (v != NULL && strcmp(billing, "PAY_PER_REQUEST") == 0)
		return ddb_fail(err, errlen, "ProvisionedThroughput: not "
		    "allowed when BillingMode is PAY_PER_REQUEST");
	if (v != NULL && ddb_check_throughput(v, "ProvisionedThroughput", err,
	    errlen) != 0)
		return -1;
	if (ddb_check_ondemand_warm(in, "", billing, true, err, errlen) != 0)
		return -1;
	updates = json_object_get(in, "GlobalSecondaryIndexUpdates");
	if (updates != NULL && (!json_is_array(updates) ||
	    json_array_size(updates) < 1 ||
	    json_array_size(updates) > DDB_GSI_MAX))
		return ddb_fail(err, errlen, "GlobalSecondaryIndexUpdates: must "
		    "be a list of 1 to %d updates (omit it for none)",
		    DDB_GSI_MAX);
	for (size_t i = 0; i < json_array_size(updates); i++) {
		char at[64];

		snprintf(at, sizeof(at), "GlobalSecondaryIndexUpdates[%zu]", i);
		if (ddb_check_gsi_update(json_array_get(updates, i), at,
		    billing, &keys, names, &n_names, &changes, err,
		    errlen) != 0)
			return -1;
		if (changes > 1)
			return ddb_fail(err, errlen, "%s: DynamoDB creates or "
			    "deletes one global secondary index per "
			    "UpdateTable; send this one in another", at);
	}
	v = json_object_get(in, "AttributeDefinitions");
	if (v != NULL && ddb_check_update_defs(v, &keys, err, errlen) != 0)
		return -1;
	if (v == NULL && keys.n > 0)
		return ddb_fail(err, errlen, "AttributeDefinitions: required to "
		    "define the new index's key attributes (\"%s\"...)",
		    keys.names[0]);
	if (ddb_check_settings(in, err, errlen) != 0)
		return -1;
	return 0;
}

void
ddb_update_indexes(const json_t *in, const char **created,
    const char **deleted)
{
	const json_t *e;
	size_t i;

	*created = *deleted = NULL;
	json_array_foreach(json_object_get(in, "GlobalSecondaryIndexUpdates"),
	    i, e) {
		const char *c = json_string_value(json_object_get(
		    json_object_get(e, "Create"), "IndexName"));
		const char *d = json_string_value(json_object_get(
		    json_object_get(e, "Delete"), "IndexName"));

		if (c != NULL)
			*created = c;
		if (d != NULL)
			*deleted = d;
	}
}

/* ---- TTL, tags, point-in-time recovery ------------------------------------- */

int
ddb_check_ttl_spec(const json_t *spec, char *err, size_t errlen)
{
	static const char *const members[] = { "Enabled", "AttributeName",
		NULL };
	const char *w = "time_to_live";

	if (!json_is_object(spec))
		return ddb_fail(err, errlen, "%s: must be a map", w);
	if (ddb_only(spec, w, members, err, errlen) != 0)
		return -1;
	if (!json_is_boolean(json_object_get(spec, "Enabled")))
		return ddb_fail(err, errlen, "%s.Enabled: required, true or "
		    "false", w);
	if (ddb_string(spec, w, "AttributeName", DDB_ATTR_NAME_MAX, err,
	    errlen) == NULL)
		return -1;
	return 0;
}

int
ddb_check_tag_list(const json_t *tags, char *err, size_t errlen)
{
	return ddb_check_tags(tags, err, errlen);
}

int
ddb_check_tag_keys(const json_t *keys, char *err, size_t errlen)
{
	if (!json_is_array(keys) || json_array_size(keys) < 1 ||
	    json_array_size(keys) > DDB_TAGS_MAX)
		return ddb_fail(err, errlen, "tag_keys: must be a list of 1 to "
		    "%d keys", DDB_TAGS_MAX);
	for (size_t i = 0; i < json_array_size(keys); i++) {
		const json_t *k = json_array_get(keys, i);

		if (!json_is_string(k) || json_string_length(k) < 1 ||
		    json_string_length(k) > 128)
			return ddb_fail(err, errlen, "tag_keys[%zu]: must be a "
			    "key of 1 to 128 characters", i);
	}
	return 0;
}

int
ddb_check_pitr_spec(const json_t *spec, char *err, size_t errlen)
{
	static const char *const members[] = { "PointInTimeRecoveryEnabled",
		"RecoveryPeriodInDays", NULL };
	const char *w = "point_in_time_recovery";
	const json_t *en, *days;

	if (!json_is_object(spec))
		return ddb_fail(err, errlen, "%s: must be a map", w);
	if (ddb_only(spec, w, members, err, errlen) != 0)
		return -1;
	en = json_object_get(spec, "PointInTimeRecoveryEnabled");
	days = json_object_get(spec, "RecoveryPeriodInDays");
	if (!json_is_boolean(en))
		return ddb_fail(err, errlen, "%s.PointInTimeRecoveryEnabled: "
		    "required, true or false", w);
	if (days != NULL && (!json_is_integer(days) ||
	    json_integer_value(days) < 1 || json_integer_value(days) > 35))
		return ddb_fail(err, errlen, "%s.RecoveryPeriodInDays: an "
		    "integer from 1 to 35", w);
	if (days != NULL && !json_is_true(en))
		return ddb_fail(err, errlen, "%s.RecoveryPeriodInDays: only with "
		    "PointInTimeRecoveryEnabled true", w);
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

		if (is == NULL || strcmp(is, "ACTIVE") != 0 ||
		    json_is_true(json_object_get(g, "Backfilling")))
			return false;
	}
	return true;
}

bool
ddb_table_has_index(const json_t *desc, const char *index)
{
	static const char *const lists[] = { "GlobalSecondaryIndexes",
		"LocalSecondaryIndexes" };
	const json_t *x;
	size_t i;

	for (int l = 0; l < 2; l++)
		json_array_foreach(json_object_get(desc, lists[l]), i, x) {
			const char *n = json_string_value(json_object_get(x,
			    "IndexName"));

			if (n != NULL && strcmp(n, index) == 0)
				return true;
		}
	return false;
}

dtp_err
ddb_error_code(const char *aws_type)
{
	if (aws_type == NULL)
		return DTP_E_UPSTREAM;
	/* The backup operations say TableNotFoundException. */
	if (strcmp(aws_type, "ResourceNotFoundException") == 0 ||
	    strcmp(aws_type, "TableNotFoundException") == 0)
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
