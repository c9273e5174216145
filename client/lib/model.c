/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: models. A model names each attribute once, with its type
 * and key role; its indexes refer to attributes by name. This file turns
 * a model into the hand-written definition it stands for, which request.c
 * then takes along the one path to a CreateTableInput (dtc_def_doc). The
 * spec's Model methods are rows of DTC_REQUESTS (client_internal.h) on top
 * of this. A leaf: nothing here calls into another file of the library.
 *
 * Checked here: what only a model can get wrong (keys flagged twice or
 * not at all, an index naming an undeclared attribute, a key attribute
 * that is not S, N or B, LSI and GSI shapes). DynamoDB's own rules are
 * the daemon's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

#define KEY_FLAGS (DYNTABLE_MODEL_PARTITION_KEY | DYNTABLE_MODEL_SORT_KEY)

static dyntable_status model_fail(char *err, size_t errlen, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static dyntable_status
model_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return DYNTABLE_ERR_INVALID;
}

/* The attribute of m called name; NULL when m declares none. */
static const dyntable_model_attr *
model_attr(const dyntable_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_attrs; i++)
		if (m->attrs[i].name && strcmp(m->attrs[i].name, name) == 0)
			return &m->attrs[i];
	return NULL;
}

/* a as a key attribute: its type must be S, N or B. */
static dyntable_status
model_key(const dyntable_model *m, const dyntable_model_attr *a,
    dyntable_attr *out, char *err, size_t errlen)
{
	if (a->type != DYNTABLE_S && a->type != DYNTABLE_N &&
	    a->type != DYNTABLE_B)
		return model_fail(err, errlen, "attrs[%zu].type: '%s' is a "
		    "key attribute, its type must be S, N or B",
		    (size_t)(a - m->attrs), a->name);
	out->name = a->name;
	out->type = a->type;
	return DYNTABLE_OK;
}

/* The attributes: named, each once, known flags; the table's keys. */
static dyntable_status
model_attrs(const dyntable_model *m, dyntable_table_def *d, char *err,
    size_t errlen)
{
	const dyntable_model_attr *pk = NULL, *sk = NULL;
	dyntable_status st;

	if (m->n_attrs && !m->attrs)
		return model_fail(err, errlen, "attrs: NULL with n_attrs %zu",
		    m->n_attrs);
	for (size_t i = 0; i < m->n_attrs; i++) {
		const dyntable_model_attr *a = &m->attrs[i];

		if (!a->name)
			return model_fail(err, errlen, "attrs[%zu].name: "
			    "required", i);
		if (model_attr(m, a->name) != a)
			return model_fail(err, errlen, "attrs[%zu]: '%s' is "
			    "declared twice", i, a->name);
		if (a->flags & ~(unsigned)KEY_FLAGS)
			return model_fail(err, errlen, "attrs[%zu].flags: "
			    "unknown bits 0x%x", i,
			    a->flags & ~(unsigned)KEY_FLAGS);
		if (a->flags & DYNTABLE_MODEL_PARTITION_KEY) {
			if (pk)
				return model_fail(err, errlen, "attrs[%zu]: "
				    "a second partition key ('%s' is one)", i,
				    pk->name);
			pk = a;
		}
		if (a->flags & DYNTABLE_MODEL_SORT_KEY) {
			if (sk)
				return model_fail(err, errlen, "attrs[%zu]: "
				    "a second sort key ('%s' is one)", i,
				    sk->name);
			sk = a;
		}
	}
	if (!pk)
		return model_fail(err, errlen, "attrs: no partition key "
		    "(DYNTABLE_MODEL_PARTITION_KEY)");
	if ((st = model_key(m, pk, &d->partition_key, err, errlen)) ||
	    (sk && (st = model_key(m, sk, &d->sort_key, err, errlen))))
		return st;
	return DYNTABLE_OK;
}

/*
 * Resolves the key list names[] (a NULL ends it early) of indexes[j] into
 * out[], which holds as many. *n receives the count.
 */
static dyntable_status
model_index_keys(const dyntable_model *m, size_t j, const char *list,
    const char *const *names, dyntable_attr *out, size_t *n, char *err,
    size_t errlen)
{
	dyntable_status st;

	for (*n = 0; *n < DYNTABLE_INDEX_KEYS_MAX && names[*n]; ++*n) {
		const dyntable_model_attr *a = model_attr(m, names[*n]);

		if (!a)
			return model_fail(err, errlen, "indexes[%zu].%s[%zu]: "
			    "'%s' is not an attribute of the model", j, list,
			    *n, names[*n]);
		if ((st = model_key(m, a, &out[*n], err, errlen)))
			return st;
	}
	return DYNTABLE_OK;
}

/* Index j of m into the next GSI or LSI of md. */
static dyntable_status
model_index(const dyntable_model *m, size_t j, dtc_model_def *md, char *err,
    size_t errlen)
{
	const dyntable_model_index *x = &m->indexes[j];
	dyntable_attr pks[DYNTABLE_INDEX_KEYS_MAX] = { 0 };
	dyntable_attr sks[DYNTABLE_INDEX_KEYS_MAX] = { 0 };
	dyntable_table_def *d = &md->def;
	size_t npk, nsk;
	dyntable_status st;

	if (!x->name)
		return model_fail(err, errlen, "indexes[%zu].name: required",
		    j);
	if ((st = model_index_keys(m, j, "partition_keys", x->partition_keys,
	    pks, &npk, err, errlen)) ||
	    (st = model_index_keys(m, j, "sort_keys", x->sort_keys, sks, &nsk,
	    err, errlen)))
		return st;
	if (x->local) {
		if (npk)
			return model_fail(err, errlen, "indexes[%zu]."
			    "partition_keys: must be empty for an LSI (it "
			    "uses the table's partition key)", j);
		if (nsk != 1)
			return model_fail(err, errlen, "indexes[%zu]."
			    "sort_keys: an LSI needs exactly one", j);
		if (x->read_capacity || x->write_capacity)
			return model_fail(err, errlen, "indexes[%zu]."
			    "read_capacity/write_capacity: not for an LSI", j);
		md->pos[m->n_indexes + d->n_lsis] = j;
		md->lsis[d->n_lsis++] = (dyntable_lsi_def){
			.name = x->name,
			.sort_key = sks[0],
			.projection = x->projection,
			.non_key_attributes = x->non_key_attributes,
			.n_non_key_attributes = x->n_non_key_attributes,
		};
		return DYNTABLE_OK;
	}
	if (!npk)
		return model_fail(err, errlen, "indexes[%zu].partition_keys: "
		    "a GSI needs at least one", j);
	dyntable_gsi_def *g = &md->gsis[d->n_gsis];
	md->pos[d->n_gsis++] = j;
	*g = (dyntable_gsi_def){
		.name = x->name,
		.projection = x->projection,
		.non_key_attributes = x->non_key_attributes,
		.n_non_key_attributes = x->n_non_key_attributes,
		.read_capacity = x->read_capacity,
		.write_capacity = x->write_capacity,
	};
	memcpy(g->partition_keys, pks, sizeof pks);
	memcpy(g->sort_keys, sks, sizeof sks);
	return DYNTABLE_OK;
}

dyntable_status
dtc_model_def_make(const dyntable_model *m, const dyntable_table_options *opts,
    dtc_model_def *md, char *err, size_t errlen)
{
	dyntable_table_def *d = &md->def;
	dyntable_status st;

	*md = (dtc_model_def){
		.names = { .gsi = "indexes", .lsi = "indexes" },
	};
	if (!m)
		return model_fail(err, errlen, "model is NULL");
	if (!m->table_name)
		return model_fail(err, errlen, "table_name: required");
	d->name = m->table_name;
	if (opts)
		d->options = *opts;
	if ((st = model_attrs(m, d, err, errlen)))
		return st;
	if (m->n_indexes == 0)
		return DYNTABLE_OK;
	if (!m->indexes)
		return model_fail(err, errlen, "indexes: NULL with n_indexes "
		    "%zu", m->n_indexes);
	md->gsis = calloc(m->n_indexes, sizeof *md->gsis);
	md->lsis = calloc(m->n_indexes, sizeof *md->lsis);
	md->pos = calloc(m->n_indexes, 2 * sizeof *md->pos);
	if (!md->gsis || !md->lsis || !md->pos) {
		snprintf(err, errlen, "out of memory");
		return DYNTABLE_ERR_NOMEM;
	}
	d->gsis = md->gsis;
	d->lsis = md->lsis;
	md->names.gsi_pos = md->pos;
	md->names.lsi_pos = md->pos + m->n_indexes;
	for (size_t j = 0; j < m->n_indexes; j++)
		if ((st = model_index(m, j, md, err, errlen)))
			return st;
	return DYNTABLE_OK;
}

void
dtc_model_def_free(dtc_model_def *md)
{
	free(md->gsis);
	free(md->lsis);
	free(md->pos);
}
