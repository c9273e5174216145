/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: apply's diff. Pure: what a table should be (a
 * CreateTableInput, and optionally its TTL, tags and point-in-time
 * recovery) against what DynamoDB describes, into a plan: the changes
 * per field, the drift that cannot be changed in place, and the steps
 * (protocol operations) that converge the rest, one index change per
 * step. No I/O; apply.c runs the steps. See docs/DEVELOPING.md, "apply".
 */
#include <stdio.h>
#include <string.h>

#include "client_internal.h"

/* Builds with jansson or gives up: a plan that could not be built is an
 * out-of-memory, reported by the caller (*nomem). */
typedef struct diff {
	json_t *changes, *drift, *steps;
	bool nomem;
} diff;

static void
diff_push(diff *d, json_t *arr, json_t *v)
{
	if (!v || json_array_append_new(arr, v) != 0)
		d->nomem = true;
}

/* A change of field from have to want (both borrowed; NULL: none). */
static void
diff_change(diff *d, json_t *arr, const char *field, const json_t *have,
    const json_t *want)
{
	diff_push(d, arr, json_pack("{s:s,s:O,s:O}", "field", field, "have",
	    have ? have : json_null(), "want", want ? want : json_null()));
}

static const char *
str_or(const json_t *v, const char *dflt)
{
	const char *s = json_string_value(v);

	return s ? s : dflt;
}

/* Element of arr (a list of objects) whose key member is name. */
static json_t *
find_by(const json_t *arr, const char *key, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (strcmp(str_or(json_object_get(e, key), ""), name) == 0)
			return e;
	return NULL;
}

/* The key schema or projection of an index, for comparison: the
 * members a CreateTableInput gives (DescribeTable adds others). */
static bool
same_index_shape(const json_t *want, const json_t *have, const char *member)
{
	const json_t *w = json_object_get(want, member);
	const json_t *h = json_object_get(have, member);

	if (strcmp(member, "Projection") == 0) {
		/* An absent NonKeyAttributes and an empty one are alike. */
		return strcmp(str_or(json_object_get(w, "ProjectionType"), ""),
		    str_or(json_object_get(h, "ProjectionType"), "")) == 0 &&
		    (json_equal(json_object_get(w, "NonKeyAttributes"),
		    json_object_get(h, "NonKeyAttributes")) ||
		    (json_array_size(json_object_get(w, "NonKeyAttributes")) ==
		    0 && json_array_size(json_object_get(h,
		    "NonKeyAttributes")) == 0));
	}
	return json_equal(w, h);
}

/* BillingMode as DescribeTable reports it: absent means PROVISIONED. */
static const char *
have_billing(const json_t *desc)
{
	return str_or(json_object_get(json_object_get(desc,
	    "BillingModeSummary"), "BillingMode"), "PROVISIONED");
}

/* The units of a ProvisionedThroughput-like object equal? */
static bool
same_units(const json_t *want, const json_t *have)
{
	return json_integer_value(json_object_get(want, "ReadCapacityUnits")) ==
	    json_integer_value(json_object_get(have, "ReadCapacityUnits")) &&
	    json_integer_value(json_object_get(want, "WriteCapacityUnits")) ==
	    json_integer_value(json_object_get(have, "WriteCapacityUnits"));
}

/* {"op": "update_table", "update": u} (u taken). */
static void
step_update(diff *d, json_t *u)
{
	diff_push(d, d->steps, u ? json_pack("{s:s,s:o}", "op",
	    "update_table", "update", u) : NULL);
}

/* The AttributeDefinitions of want that index's key schema uses. */
static json_t *
index_defs(const json_t *want, const json_t *index)
{
	json_t *out = json_array(), *k;
	size_t i;

	json_array_foreach(json_object_get(index, "KeySchema"), i, k) {
		json_t *def = find_by(json_object_get(want,
		    "AttributeDefinitions"), "AttributeName",
		    str_or(json_object_get(k, "AttributeName"), ""));

		if (out && def && json_array_append(out, def) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* Drift: key schema, attribute types, local indexes. */
static void
diff_schema(diff *d, const json_t *want, const json_t *have)
{
	const json_t *e, *h;
	char field[320];
	size_t i;

	if (!json_equal(json_object_get(want, "KeySchema"),
	    json_object_get(have, "KeySchema")))
		diff_change(d, d->drift, "KeySchema", json_object_get(have,
		    "KeySchema"), json_object_get(want, "KeySchema"));
	json_array_foreach(json_object_get(want, "AttributeDefinitions"), i, e) {
		const char *n = str_or(json_object_get(e, "AttributeName"), "");

		h = find_by(json_object_get(have, "AttributeDefinitions"),
		    "AttributeName", n);
		if (h && !json_equal(json_object_get(e, "AttributeType"),
		    json_object_get(h, "AttributeType"))) {
			snprintf(field, sizeof field, "AttributeDefinitions.%s."
			    "AttributeType", n);
			diff_change(d, d->drift, field, json_object_get(h,
			    "AttributeType"), json_object_get(e,
			    "AttributeType"));
		}
	}
	json_array_foreach(json_object_get(want, "LocalSecondaryIndexes"), i,
	    e) {
		const char *n = str_or(json_object_get(e, "IndexName"), "");

		h = find_by(json_object_get(have, "LocalSecondaryIndexes"),
		    "IndexName", n);
		snprintf(field, sizeof field, "LocalSecondaryIndexes.%s", n);
		if (!h || !same_index_shape(e, h, "KeySchema") ||
		    !same_index_shape(e, h, "Projection"))
			diff_change(d, d->drift, field, h ? json_object_get(h,
			    "KeySchema") : NULL, json_object_get(e,
			    "KeySchema"));
	}
	json_array_foreach(json_object_get(have, "LocalSecondaryIndexes"), i,
	    h) {
		const char *n = str_or(json_object_get(h, "IndexName"), "");

		snprintf(field, sizeof field, "LocalSecondaryIndexes.%s", n);
		if (!find_by(json_object_get(want, "LocalSecondaryIndexes"),
		    "IndexName", n))
			diff_change(d, d->drift, field, json_object_get(h,
			    "KeySchema"), NULL);
	}
}

/* Billing mode and the table's capacity: one UpdateTable. Switching to
 * PROVISIONED gives every GSI that stays its capacity too. */
static void
diff_billing(diff *d, const json_t *want, const json_t *have)
{
	const char *wb = str_or(json_object_get(want, "BillingMode"),
	    "PROVISIONED"), *hb = have_billing(have);
	const json_t *wpt = json_object_get(want, "ProvisionedThroughput");
	const json_t *hpt = json_object_get(have, "ProvisionedThroughput");
	bool prov = strcmp(wb, "PROVISIONED") == 0;
	json_t *u, *gu, *g;
	size_t i;

	if (strcmp(wb, hb) == 0 && (!prov || same_units(wpt, hpt)))
		return;
	if (strcmp(wb, hb) != 0)
		diff_change(d, d->changes, "BillingMode", json_object_get(
		    json_object_get(have, "BillingModeSummary"), "BillingMode"),
		    json_object_get(want, "BillingMode"));
	if (prov && !same_units(wpt, hpt))
		diff_change(d, d->changes, "ProvisionedThroughput", hpt, wpt);
	u = json_object();
	if (!u)
		d->nomem = true;
	if (u && strcmp(wb, hb) != 0 && json_object_set_new(u, "BillingMode",
	    json_string(wb)) != 0)
		d->nomem = true;
	if (u && prov && wpt && json_object_set(u, "ProvisionedThroughput",
	    (json_t *)wpt) != 0)
		d->nomem = true;
	if (u && prov && strcmp(wb, hb) != 0) {
		gu = json_array();
		json_array_foreach(json_object_get(want,
		    "GlobalSecondaryIndexes"), i, g)
			if (find_by(json_object_get(have,
			    "GlobalSecondaryIndexes"), "IndexName",
			    str_or(json_object_get(g, "IndexName"), "")))
				diff_push(d, gu, json_pack("{s:{s:O,s:O}}",
				    "Update", "IndexName", json_object_get(g,
				    "IndexName"), "ProvisionedThroughput",
				    json_object_get(g,
				    "ProvisionedThroughput")));
		if (json_array_size(gu) > 0)
			json_object_set(u, "GlobalSecondaryIndexUpdates", gu);
		json_decref(gu);
	}
	step_update(d, u);
}

/* Global indexes: deleted, then created, one per step; a changed key or
 * projection is drift; a changed capacity an Update. */
static void
diff_gsis(diff *d, const json_t *want, const json_t *have)
{
	const json_t *wl = json_object_get(want, "GlobalSecondaryIndexes");
	const json_t *hl = json_object_get(have, "GlobalSecondaryIndexes");
	bool prov = strcmp(str_or(json_object_get(want, "BillingMode"),
	    "PROVISIONED"), "PROVISIONED") == 0;
	const json_t *e, *h;
	char field[320];
	size_t i;

	json_array_foreach(hl, i, h) {
		const char *n = str_or(json_object_get(h, "IndexName"), "");

		if (find_by(wl, "IndexName", n))
			continue;
		snprintf(field, sizeof field, "GlobalSecondaryIndexes.%s", n);
		diff_change(d, d->changes, field, json_object_get(h,
		    "KeySchema"), NULL);
		step_update(d, json_pack("{s:[{s:{s:s}}]}",
		    "GlobalSecondaryIndexUpdates", "Delete", "IndexName", n));
	}
	json_array_foreach(wl, i, e) {
		const char *n = str_or(json_object_get(e, "IndexName"), "");
		json_t *create;

		snprintf(field, sizeof field, "GlobalSecondaryIndexes.%s", n);
		if ((h = find_by(hl, "IndexName", n)) == NULL) {
			diff_change(d, d->changes, field, NULL,
			    json_object_get(e, "KeySchema"));
			create = json_deep_copy(e);
			step_update(d, create ? json_pack("{s:o,s:[{s:o}]}",
			    "AttributeDefinitions", index_defs(want, e),
			    "GlobalSecondaryIndexUpdates", "Create", create) :
			    NULL);
			continue;
		}
		if (!same_index_shape(e, h, "KeySchema") ||
		    !same_index_shape(e, h, "Projection")) {
			diff_change(d, d->drift, field, json_object_get(h,
			    "KeySchema"), json_object_get(e, "KeySchema"));
			continue;
		}
		if (prov && strcmp(have_billing(have), "PROVISIONED") == 0 &&
		    json_object_get(e, "ProvisionedThroughput") &&
		    !same_units(json_object_get(e, "ProvisionedThroughput"),
		    json_object_get(h, "ProvisionedThroughput"))) {
			snprintf(field, sizeof field, "GlobalSecondaryIndexes.%s."
			    "ProvisionedThroughput", n);
			diff_change(d, d->changes, field, json_object_get(h,
			    "ProvisionedThroughput"), json_object_get(e,
			    "ProvisionedThroughput"));
			step_update(d, json_pack("{s:[{s:{s:s,s:O}}]}",
			    "GlobalSecondaryIndexUpdates", "Update",
			    "IndexName", n, "ProvisionedThroughput",
			    json_object_get(e, "ProvisionedThroughput")));
		}
	}
}

/* Stream, table class, deletion protection: a step each. */
static void
diff_settings(diff *d, const json_t *want, const json_t *have)
{
	const json_t *ws = json_object_get(want, "StreamSpecification");
	const json_t *hs = json_object_get(have, "StreamSpecification");
	bool won = json_is_true(json_object_get(ws, "StreamEnabled"));
	bool hon = json_is_true(json_object_get(hs, "StreamEnabled"));
	const char *wv = str_or(json_object_get(ws, "StreamViewType"), "");
	const char *hv = str_or(json_object_get(hs, "StreamViewType"), "");
	const char *wc = str_or(json_object_get(want, "TableClass"),
	    "STANDARD");
	const char *hc = str_or(json_object_get(json_object_get(have,
	    "TableClassSummary"), "TableClass"), "STANDARD");
	bool wp = json_is_true(json_object_get(want,
	    "DeletionProtectionEnabled"));
	bool hp = json_is_true(json_object_get(have,
	    "DeletionProtectionEnabled"));

	if (won != hon || (won && strcmp(wv, hv) != 0)) {
		diff_change(d, d->changes, "StreamSpecification", hs, ws);
		/* A new view type needs the stream off first. */
		if (hon)
			step_update(d, json_pack("{s:{s:b}}",
			    "StreamSpecification", "StreamEnabled", 0));
		if (won)
			step_update(d, json_pack("{s:{s:b,s:s}}",
			    "StreamSpecification", "StreamEnabled", 1,
			    "StreamViewType", wv));
	}
	if (strcmp(wc, hc) != 0) {
		diff_change(d, d->changes, "TableClass", json_object_get(
		    json_object_get(have, "TableClassSummary"), "TableClass"),
		    json_object_get(want, "TableClass"));
		step_update(d, json_pack("{s:s}", "TableClass", wc));
	}
	if (wp != hp) {
		diff_change(d, d->changes, "DeletionProtectionEnabled",
		    json_object_get(have, "DeletionProtectionEnabled"),
		    json_object_get(want, "DeletionProtectionEnabled"));
		step_update(d, json_pack("{s:b}", "DeletionProtectionEnabled",
		    wp));
	}
}

/* TTL, tags, point-in-time recovery (what x manages). */
static void
diff_extra(diff *d, const dtc_apply_want *x, const dtc_apply_have *h)
{
	const char *ttl_status = str_or(json_object_get(h->ttl,
	    "TimeToLiveStatus"), "DISABLED");
	const char *ttl_attr = str_or(json_object_get(h->ttl, "AttributeName"),
	    "");
	bool ttl_on = strcmp(ttl_status, "ENABLED") == 0 ||
	    strcmp(ttl_status, "ENABLING") == 0;
	json_t *add, *del, *t;
	const char *key;
	size_t i;

	if (json_is_string(x->ttl) && (!ttl_on ||
	    strcmp(ttl_attr, json_string_value(x->ttl)) != 0)) {
		diff_change(d, d->changes, "TimeToLive", h->ttl, x->ttl);
		diff_push(d, d->steps, json_pack("{s:s,s:b,s:O}", "op",
		    "update_time_to_live", "enabled", 1, "attribute", x->ttl));
	} else if (json_is_false(x->ttl) && ttl_on) {
		diff_change(d, d->changes, "TimeToLive", h->ttl, x->ttl);
		diff_push(d, d->steps, json_pack("{s:s,s:b,s:s}", "op",
		    "update_time_to_live", "enabled", 0, "attribute",
		    ttl_attr));
	}
	if (json_is_object(x->tags)) {
		/* A changed value is untagged, then tagged: DynamoDB's
		 * TagResource would overwrite it, but moto's appends a second
		 * tag of the same key; two calls are right on both. */
		add = json_array();
		del = json_array();
		json_object_foreach((json_t *)x->tags, key, t) {
			const json_t *e = find_by(h->tags, "Key", key);

			if (e && !json_equal(json_object_get(e, "Value"), t))
				diff_push(d, del, json_string(key));
			if (!e || !json_equal(json_object_get(e, "Value"), t))
				diff_push(d, add, json_pack("{s:s,s:O}", "Key",
				    key, "Value", t));
		}
		json_array_foreach(h->tags, i, t) {
			key = str_or(json_object_get(t, "Key"), "");
			/* AWS's own and the daemon's ephemeral tags are not
			 * the file's to remove. */
			if (strncmp(key, "aws:", 4) != 0 &&
			    strncmp(key, "dyntable:", 9) != 0 &&
			    !json_object_get(x->tags, key))
				diff_push(d, del, json_string(key));
		}
		if (json_array_size(add) > 0 || json_array_size(del) > 0)
			diff_change(d, d->changes, "Tags", h->tags, x->tags);
		if (json_array_size(del) > 0)
			diff_push(d, d->steps, json_pack("{s:s,s:O}", "op",
			    "untag_resource", "keys", del));
		if (json_array_size(add) > 0)
			diff_push(d, d->steps, json_pack("{s:s,s:O}", "op",
			    "tag_resource", "tags", add));
		json_decref(add);
		json_decref(del);
	}
	if (json_is_boolean(x->pitr)) {
		const char *st = str_or(json_object_get(json_object_get(h->pitr,
		    "PointInTimeRecoveryDescription"),
		    "PointInTimeRecoveryStatus"), "DISABLED");

		if ((strcmp(st, "ENABLED") == 0) != json_is_true(x->pitr)) {
			diff_change(d, d->changes, "PointInTimeRecovery",
			    json_object_get(h->pitr,
			    "PointInTimeRecoveryDescription"), x->pitr);
			diff_push(d, d->steps, json_pack("{s:s,s:O}", "op",
			    "update_continuous_backups", "enabled", x->pitr));
		}
	}
}

json_t *
dtc_apply_diff(const dtc_apply_want *x, const dtc_apply_have *h)
{
	diff d = { json_array(), json_array(), json_array(), false };
	const char *action;
	json_t *plan = NULL, *input;

	if (!d.changes || !d.drift || !d.steps)
		goto out;
	if (!h->table) {
		/* Missing: created with the file's tags in it; TTL and PITR
		 * once it is ACTIVE. */
		input = json_deep_copy(x->input);
		if (input && json_is_object(x->tags) && json_object_size(
		    x->tags) > 0 && !json_object_get(input, "Tags")) {
			json_t *tags = json_array(), *v;
			const char *key;

			json_object_foreach((json_t *)x->tags, key, v)
				diff_push(&d, tags, json_pack("{s:s,s:O}",
				    "Key", key, "Value", v));
			if (json_object_set_new(input, "Tags", tags) != 0)
				d.nomem = true;
		}
		diff_push(&d, d.steps, input ? json_pack("{s:s,s:o}", "op",
		    "create_table", "input", input) : NULL);
		if (json_is_string(x->ttl))
			diff_push(&d, d.steps, json_pack("{s:s,s:b,s:O}", "op",
			    "update_time_to_live", "enabled", 1, "attribute",
			    x->ttl));
		if (json_is_true(x->pitr))
			diff_push(&d, d.steps, json_pack("{s:s,s:b}", "op",
			    "update_continuous_backups", "enabled", 1));
		action = "create";
	} else {
		diff_schema(&d, x->input, h->table);
		diff_billing(&d, x->input, h->table);
		diff_gsis(&d, x->input, h->table);
		diff_settings(&d, x->input, h->table);
		diff_extra(&d, x, h);
		action = json_array_size(d.drift) > 0 ? "drift" :
		    json_array_size(d.steps) > 0 ? "update" : "none";
	}
	if (!d.nomem)
		plan = json_pack("{s:s,s:O,s:O,s:O}", "action", action,
		    "changes", d.changes, "drift", d.drift, "steps", d.steps);
out:
	json_decref(d.changes);
	json_decref(d.drift);
	json_decref(d.steps);
	return plan;
}
