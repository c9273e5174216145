/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: model files (docs/MODEL.md), JSON text into a dyntable_model.
 * Only the file's shape is checked here ("want a string", unknown keys);
 * what a model can get wrong as a model is model.c's, and DynamoDB's own
 * rules the daemon's.
 *
 * Ownership: the model and everything it points to live in one
 * model_file: the parsed document holds the strings, `owned` the arrays.
 * dyntable_model_free() frees the lot, never the caller's table_name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_internal.h"

typedef struct model_file {
	dyntable_model m;	/* first: dyntable_model_free() casts back */
	json_t *doc;		/* the file; the model's strings live in it */
	void **owned;		/* arrays the model points to */
	size_t n_owned;
	char *err;		/* the first failure's reason */
	size_t errlen;
} model_file;

static dyntable_status mf_fail(model_file *f, const char *at,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "AT: reason" into f->err. */
static dyntable_status
mf_fail(model_file *f, const char *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(f->err, f->errlen, "%s: %s", at, msg);
	return DYNTABLE_ERR_INVALID;
}

/* n zeroed elements of size, freed with f; NULL when out of memory. */
static void *
mf_calloc(model_file *f, size_t n, size_t size)
{
	void **o = realloc(f->owned, (f->n_owned + 1) * sizeof *o);
	void *p;

	if (o == NULL)
		return NULL;
	f->owned = o;
	if ((p = calloc(n > 0 ? n : 1, size)) != NULL)
		f->owned[f->n_owned++] = p;
	return p;
}

/* The first member of obj not in allowed (NULL-terminated), or NULL. */
static const char *
unknown_key(const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return key;
	}
	return NULL;
}

/* S, N, B or their long names, in any case. */
static bool
parse_type(const char *word, dyntable_type *t)
{
	static const struct {
		const char *word;
		dyntable_type type;
	} types[] = {
		{ "S", DYNTABLE_S }, { "STRING", DYNTABLE_S },
		{ "N", DYNTABLE_N }, { "NUMBER", DYNTABLE_N },
		{ "B", DYNTABLE_B }, { "BINARY", DYNTABLE_B },
	};

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(word, types[i].word) == 0) {
			*t = types[i].type;
			return true;
		}
	return false;
}

/* A model key: one name, or a list of 1 to max names. */
static dyntable_status
mf_names(model_file *f, const char *at, const json_t *v, const char **out,
    size_t max)
{
	const json_t *e;
	size_t i;

	if (json_is_string(v)) {
		out[0] = json_string_value(v);
		return DYNTABLE_OK;
	}
	if (!json_is_array(v) || json_array_size(v) < 1 ||
	    json_array_size(v) > max)
		return max == 1 ? mf_fail(f, at, "want an attribute name") :
		    mf_fail(f, at, "want an attribute name or a list of 1 to "
		    "%zu", max);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return mf_fail(f, at, "element %zu is not a name", i);
		out[i] = json_string_value(e);
	}
	return DYNTABLE_OK;
}

/* A capacity: a whole number >= 1; absent leaves *out alone. */
static dyntable_status
mf_units(model_file *f, const char *at, const json_t *v, long long *out)
{
	if (v == NULL)
		return DYNTABLE_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return mf_fail(f, at, "want a whole number of at least 1");
	*out = json_integer_value(v);
	return DYNTABLE_OK;
}

/* indexes[n], object j, into ix. */
static dyntable_status
mf_index(model_file *f, size_t n, const json_t *j, dyntable_model_index *ix)
{
	static const char *const allowed[] = { "name", "type", "partition_key",
		"sort_key", "projection", "read_capacity", "write_capacity",
		NULL };
	const json_t *v, *e;
	const char *type, *bad, **nka;
	char at[64];
	size_t i;
	dyntable_status st;

#define AT(member) (snprintf(at, sizeof at, "indexes[%zu]%s%s", n, \
	*(member) ? "." : "", (member)), at)
	if (!json_is_object(j))
		return mf_fail(f, AT(""), "want an object");
	if ((bad = unknown_key(j, allowed)) != NULL)
		return mf_fail(f, AT(bad), "unknown key (an index has name, "
		    "type, partition_key, sort_key, projection, read_capacity, "
		    "write_capacity)");
	if (!json_is_string(v = json_object_get(j, "name")))
		return mf_fail(f, AT("name"), "required, a string");
	ix->name = json_string_value(v);
	type = json_string_value(json_object_get(j, "type"));
	if (type == NULL || (strcmp(type, "global") != 0 &&
	    strcmp(type, "local") != 0))
		return mf_fail(f, AT("type"), "required, \"global\" or "
		    "\"local\"");
	ix->local = strcmp(type, "local") == 0;

	v = json_object_get(j, "partition_key");
	if (ix->local && v != NULL)
		return mf_fail(f, AT("partition_key"), "a local index has the "
		    "table's partition key; leave it out");
	if (!ix->local && v == NULL)
		return mf_fail(f, AT("partition_key"), "required for a global "
		    "index");
	if (v != NULL && (st = mf_names(f, AT("partition_key"), v,
	    ix->partition_keys, DYNTABLE_INDEX_KEYS_MAX)) != DYNTABLE_OK)
		return st;
	v = json_object_get(j, "sort_key");
	if (ix->local && v == NULL)
		return mf_fail(f, AT("sort_key"), "required for a local index");
	if (v != NULL && (st = mf_names(f, AT("sort_key"), v, ix->sort_keys,
	    ix->local ? 1 : DYNTABLE_INDEX_KEYS_MAX)) != DYNTABLE_OK)
		return st;

	v = json_object_get(j, "projection");
	if (v == NULL || (json_is_string(v) &&
	    strcmp(json_string_value(v), "ALL") == 0))
		ix->projection = DYNTABLE_PROJECTION_ALL;
	else if (json_is_string(v) &&
	    strcmp(json_string_value(v), "KEYS_ONLY") == 0)
		ix->projection = DYNTABLE_PROJECTION_KEYS_ONLY;
	else if (json_is_array(v)) {
		ix->projection = DYNTABLE_PROJECTION_INCLUDE;
		if ((nka = mf_calloc(f, json_array_size(v), sizeof *nka)) ==
		    NULL)
			return DYNTABLE_ERR_NOMEM;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return mf_fail(f, AT("projection"), "element "
				    "%zu is not an attribute name", i);
			nka[i] = json_string_value(e);
		}
		ix->non_key_attributes = nka;
		ix->n_non_key_attributes = json_array_size(v);
	} else
		return mf_fail(f, AT("projection"), "want \"ALL\", "
		    "\"KEYS_ONLY\" or a list of attribute names (INCLUDE)");

	if (ix->local && (json_object_get(j, "read_capacity") != NULL ||
	    json_object_get(j, "write_capacity") != NULL))
		return mf_fail(f, AT(json_object_get(j, "read_capacity") ?
		    "read_capacity" : "write_capacity"), "a local index uses "
		    "the table's capacity; leave it out");
	if ((st = mf_units(f, AT("read_capacity"), json_object_get(j,
	    "read_capacity"), &ix->read_capacity)) != DYNTABLE_OK)
		return st;
	return mf_units(f, AT("write_capacity"), json_object_get(j,
	    "write_capacity"), &ix->write_capacity);
#undef AT
}

/* The whole file, f->doc, into f->m; table_name, when set, replaces the
 * file's table. */
static dyntable_status
mf_model(model_file *f, const char *table_name)
{
	static const char *const allowed[] = { "table", "attributes",
		"partition_key", "sort_key", "indexes", NULL };
	static const struct {
		const char *member;
		unsigned flag;
	} keys[] = {
		{ "partition_key", DYNTABLE_MODEL_PARTITION_KEY },
		{ "sort_key", DYNTABLE_MODEL_SORT_KEY },
	};
	dyntable_model_attr *attrs;
	dyntable_model_index *ixs;
	const json_t *m = f->doc, *v, *a;
	const char *bad, *key, *name;
	char at[300];
	size_t i, n;
	dyntable_status st;

	if (!json_is_object(m))
		return mf_fail(f, "top level", "want a JSON object");
	if ((bad = unknown_key(m, allowed)) != NULL)
		return mf_fail(f, bad, "unknown key (a model has table, "
		    "attributes, partition_key, sort_key, indexes)");

	v = json_object_get(m, "table");
	if (v != NULL && !json_is_string(v))
		return mf_fail(f, "table", "want a string");
	if (table_name == NULL && v == NULL)
		return mf_fail(f, "table", "required");
	f->m.table_name = table_name ? table_name : json_string_value(v);

	v = json_object_get(m, "attributes");
	if (!json_is_object(v) || json_object_size(v) == 0)
		return mf_fail(f, "attributes", "required, an object of "
		    "\"NAME\": \"TYPE\" (S, N or B)");
	if ((attrs = mf_calloc(f, json_object_size(v), sizeof *attrs)) ==
	    NULL)
		return DYNTABLE_ERR_NOMEM;
	n = 0;
	json_object_foreach((json_t *)v, key, a) {
		snprintf(at, sizeof at, "attributes.%s", key);
		if (!json_is_string(a) ||
		    !parse_type(json_string_value(a), &attrs[n].type))
			return mf_fail(f, at, "want \"S\", \"N\" or \"B\"");
		attrs[n++].name = key;
	}
	f->m.attrs = attrs;
	f->m.n_attrs = n;

	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		v = json_object_get(m, keys[k].member);
		if (v == NULL && k == 0)
			return mf_fail(f, keys[k].member, "required");
		if (v == NULL)
			continue;
		if ((name = json_string_value(v)) == NULL)
			return mf_fail(f, keys[k].member, "want the name of one "
			    "of the attributes");
		for (i = 0; i < n && strcmp(attrs[i].name, name) != 0; i++)
			;
		if (i == n)
			return mf_fail(f, keys[k].member, "\"%s\" is not in "
			    "attributes", name);
		attrs[i].flags |= keys[k].flag;
	}

	v = json_object_get(m, "indexes");
	if (v == NULL)
		return DYNTABLE_OK;
	if (!json_is_array(v))
		return mf_fail(f, "indexes", "want a list of indexes");
	if ((ixs = mf_calloc(f, json_array_size(v), sizeof *ixs)) == NULL)
		return DYNTABLE_ERR_NOMEM;
	json_array_foreach(v, i, a)
		if ((st = mf_index(f, i, a, &ixs[i])) != DYNTABLE_OK)
			return st;
	f->m.indexes = ixs;
	f->m.n_indexes = json_array_size(v);
	return DYNTABLE_OK;
}

dyntable_status
dyntable_model_from_json(const char *json, const char *table_name,
    dyntable_model **m, char *err, size_t errlen)
{
	char dummy[8];
	json_error_t je;
	model_file *f;
	dyntable_status st;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (!m || !json) {
		snprintf(err, errlen, "%s is NULL", m ? "json" : "m");
		return DYNTABLE_ERR_INVALID;
	}
	*m = NULL;
	if ((f = calloc(1, sizeof *f)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DYNTABLE_ERR_NOMEM;
	}
	f->err = err;
	f->errlen = errlen;
	if ((f->doc = json_loads(json, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "line %d, column %d: %s", je.line,
		    je.column, je.text);
		st = DYNTABLE_ERR_INVALID;
	} else {
		st = mf_model(f, table_name);
	}
	if (st == DYNTABLE_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
	if (st != DYNTABLE_OK) {
		dyntable_model_free(&f->m);
		return st;
	}
	*m = &f->m;
	return DYNTABLE_OK;
}

void
dyntable_model_free(dyntable_model *m)
{
	model_file *f = (model_file *)m;

	if (!f)
		return;
	for (size_t i = 0; i < f->n_owned; i++)
		free(f->owned[i]);
	free(f->owned);
	json_decref(f->doc);
	free(f);
}
