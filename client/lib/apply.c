/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: dyntable_apply(), many tables brought to what a file says.
 *
 * Runs on the library's own protocol calls, asynchronously on the
 * context's private poll loop (as the blocking API does): every table is
 * described at once (DescribeTable, and its TTL, tags and point-in-time
 * recovery when the file manages them), apply_diff.c turns what the file
 * says and what DynamoDB describes into a plan per table, and each
 * table's steps then run one after the other (creates and updates with a
 * wait, so one index change at a time) while the tables run in parallel:
 * the daemon's mutation limit bounds the CreateTable and UpdateTable
 * calls in flight, and its shared pollers the waits. --plan stops after
 * the describes. Why this is the library's and not a daemon operation:
 * docs/DEVELOPING.md, "apply".
 *
 * Ownership: the run owns the file's document, each table's JSON and the
 * report; requests in flight point at their table, and the loop does not
 * return before every one has answered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

#define APPLY_TABLES_MAX 256 /* tables in one file */

struct apply_run;

typedef struct apply_tbl {
	struct apply_run *run;
	const char *name;	   /* the input's TableName */
	json_t *input;		   /* the CreateTableInput the file means */
	const json_t *ttl, *tags, *pitr; /* the file's, or NULL */
	json_t *have_table, *have_ttl, *have_tags, *have_pitr;
	json_t *plan;		   /* dtc_apply_diff()'s */
	size_t step;		   /* the next step of the plan */
	bool failed;
	json_t *error;		   /* why it failed, or NULL */
	json_t *extra_error;	   /* a TTL, tags or PITR describe's failure:
				      the table's only if it exists */
	dyntable_status extra_st;
	json_t *report;		   /* its entry in the report (borrowed) */
} apply_tbl;

typedef struct apply_run {
	dyntable_ctx *c;
	const dyntable_apply_opts *o;
	json_t *file;		   /* the parsed file */
	apply_tbl *t;
	size_t n;
	unsigned pending;	   /* requests in flight */
	const char *prefix;	   /* the file's, or NULL */
	json_t *listed;		   /* list_tables (prune) */
	json_t *prune_desc;	   /* name -> TableDescription (prune) */
	json_t *report;
	dyntable_status first_error;
	unsigned errors;
} apply_run;

/* A failure as the report says it. */
static json_t *
error_doc(dyntable_status st, const char *aws_type, const char *msg)
{
	json_t *e = json_pack("{s:s,s:s}", "status", dyntable_status_name(st),
	    "message", msg ? msg : "");

	if (e && aws_type)
		json_object_set_new(e, "aws_type", json_string(aws_type));
	return e;
}

/* Records a failure of t (or of the run, t NULL): its first, in the
 * report (now, or once t has its entry); the run's, in "run_errors". */
static void
apply_fail_doc(apply_run *run, apply_tbl *t, dyntable_status st, json_t *e)
{
	if (run->first_error == DYNTABLE_OK)
		run->first_error = st;
	run->errors++;
	if (!t) {
		if (e)
			json_array_append(json_object_get(run->report,
			    "run_errors"), e);
	} else if (!t->failed) {
		t->failed = true;
		t->error = json_incref(e);
		if (t->report && e)
			json_object_set(t->report, "error", e);
	}
	json_decref(e);
}

static void
apply_fail(apply_run *run, apply_tbl *t, dyntable_status st,
    const char *aws_type, const char *msg)
{
	apply_fail_doc(run, t, st, error_doc(st, aws_type, msg));
}

/* ---- the file ------------------------------------------------------------ */

static dyntable_status file_fail(char *err, size_t errlen, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static dyntable_status
file_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return DYNTABLE_ERR_INVALID;
}

/* The CreateTableInput of tables[i]: its create_table_input (an absent
 * BillingMode made PROVISIONED, as DynamoDB means it), or its model's. */
static json_t *
entry_input(const json_t *e, const char *at, char *err, size_t errlen)
{
	const json_t *cti = json_object_get(e, "create_table_input");
	const json_t *model = json_object_get(e, "model");
	dyntable_model *m = NULL;
	char *text, *doc = NULL, merr[256];
	json_t *in;

	if ((cti != NULL) == (model != NULL)) {
		snprintf(err, errlen, "%s: give create_table_input or model "
		    "(one of them)", at);
		return NULL;
	}
	if (cti) {
		if (!json_is_object(cti)) {
			snprintf(err, errlen, "%s.create_table_input: must be "
			    "an object", at);
			return NULL;
		}
		in = json_deep_copy(cti);
		if (in && !json_object_get(in, "BillingMode"))
			json_object_set_new(in, "BillingMode",
			    json_string("PROVISIONED"));
		return in;
	}
	if (!(text = json_dumps(model, JSON_COMPACT | JSON_ENCODE_ANY)))
		return NULL;
	if (dyntable_model_from_json(text, NULL, &m, merr, sizeof merr) !=
	    DYNTABLE_OK || dyntable_model_json(m, NULL, &doc, merr,
	    sizeof merr) != DYNTABLE_OK) {
		snprintf(err, errlen, "%s.model: %s", at, merr);
		in = NULL;
	} else {
		in = json_loads(doc, 0, NULL);
	}
	free(text);
	free(doc);
	dyntable_model_free(m);
	return in;
}

/* Checks the members of tables[i] besides its table. */
static dyntable_status
entry_extra(const json_t *e, const char *at, char *err, size_t errlen)
{
	static const char *const members[] = { "create_table_input", "model",
		"time_to_live", "tags", "point_in_time_recovery", NULL };
	const json_t *v;
	const char *key;

	json_object_foreach((json_t *)e, key, v) {
		size_t i;

		for (i = 0; members[i] && strcmp(members[i], key) != 0; i++)
			;
		if (!members[i])
			return file_fail(err, errlen, "%s.%s: unknown member",
			    at, key);
	}
	v = json_object_get(e, "time_to_live");
	if (v && !json_is_false(v) && (!json_is_string(v) ||
	    json_string_length(v) < 1))
		return file_fail(err, errlen, "%s.time_to_live: an attribute "
		    "name, or false (disabled)", at);
	v = json_object_get(e, "tags");
	if (v) {
		const json_t *tv;

		if (!json_is_object(v))
			return file_fail(err, errlen, "%s.tags: an object of "
			    "key: value", at);
		json_object_foreach((json_t *)v, key, tv)
			if (!json_is_string(tv))
				return file_fail(err, errlen, "%s.tags: every "
				    "value a string", at);
	}
	v = json_object_get(e, "point_in_time_recovery");
	if (v && !json_is_boolean(v))
		return file_fail(err, errlen, "%s.point_in_time_recovery: true "
		    "or false", at);
	return DYNTABLE_OK;
}

static dyntable_status
apply_parse(apply_run *run, const char *text, char *err, size_t errlen)
{
	static const char *const top[] = { "tables", "prefix", NULL };
	json_error_t je;
	const json_t *tables, *e, *v;
	const char *key;
	size_t i;

	if (!text)
		return file_fail(err, errlen, "%s", "apply file is NULL");
	if (!(run->file = json_loads(text, JSON_REJECT_DUPLICATES, &je))) {
		snprintf(err, errlen, "line %d, column %d: %s", je.line,
		    je.column, je.text);
		return DYNTABLE_ERR_INVALID;
	}
	if (!json_is_object(run->file))
		return file_fail(err, errlen, "%s", "the file must be a JSON "
		    "object with \"tables\"");
	json_object_foreach(run->file, key, v) {
		for (i = 0; top[i] && strcmp(top[i], key) != 0; i++)
			;
		if (!top[i])
			return file_fail(err, errlen, "%s: unknown member", key);
	}
	v = json_object_get(run->file, "prefix");
	if (v && (!json_is_string(v) || json_string_length(v) < 1))
		return file_fail(err, errlen, "%s", "prefix: a table name "
		    "prefix");
	run->prefix = json_string_value(v);
	tables = json_object_get(run->file, "tables");
	if (!json_is_array(tables) || json_array_size(tables) > APPLY_TABLES_MAX)
		return file_fail(err, errlen, "tables: a list of at most %d "
		    "tables", APPLY_TABLES_MAX);
	if ((run->n = json_array_size(tables)) == 0)
		return DYNTABLE_OK;
	if (!(run->t = calloc(run->n, sizeof *run->t)))
		return DYNTABLE_ERR_NOMEM;
	json_array_foreach(tables, i, e) {
		apply_tbl *t = &run->t[i];
		char at[32];
		dyntable_status st;

		snprintf(at, sizeof at, "tables[%zu]", i);
		t->run = run;
		if (!json_is_object(e))
			return file_fail(err, errlen, "%s: must be an object",
			    at);
		if ((st = entry_extra(e, at, err, errlen)) != DYNTABLE_OK)
			return st;
		if (!(t->input = entry_input(e, at, err, errlen)))
			return err[0] ? DYNTABLE_ERR_INVALID : DYNTABLE_ERR_NOMEM;
		if (!(t->name = json_string_value(json_object_get(t->input,
		    "TableName"))))
			return file_fail(err, errlen, "%s: no TableName", at);
		for (size_t j = 0; j < i; j++)
			if (strcmp(run->t[j].name, t->name) == 0)
				return file_fail(err, errlen, "table %s is "
				    "listed twice", t->name);
		t->ttl = json_object_get(e, "time_to_live");
		t->tags = json_object_get(e, "tags");
		t->pitr = json_object_get(e, "point_in_time_recovery");
	}
	return DYNTABLE_OK;
}

/* ---- the describes ------------------------------------------------------- */

/* A describe's answer: its document, kept in *slot; NOT_FOUND leaves
 * it NULL (the table is missing); another failure fails the table (a
 * TTL, tags or PITR describe's only if the table exists: emulators
 * answer those for a missing table with errors of their own). */
static void
keep_doc(apply_tbl *t, const dyntable_result *r, json_t **slot)
{
	const char *text;

	t->run->pending--;
	if (r->status == DYNTABLE_ERR_NOT_FOUND)
		return;
	if (r->status != DYNTABLE_OK && slot != &t->have_table) {
		if (!t->extra_error) {
			t->extra_error = error_doc(r->status, r->aws_type,
			    r->message);
			t->extra_st = r->status;
		}
		return;
	}
	if (r->status != DYNTABLE_OK) {
		apply_fail(t->run, t, r->status, r->aws_type, r->message);
		return;
	}
	text = r->table ? dyntable_table_json(r->table) : r->json;
	if (!text || !(*slot = json_loads(text, JSON_DECODE_ANY, NULL)))
		apply_fail(t->run, t, DYNTABLE_ERR_NOMEM, NULL,
		    "out of memory");
}

static void
on_table(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_tbl *t = p;

	(void)c;
	keep_doc(t, r, &t->have_table);
}

static void
on_ttl(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_tbl *t = p;

	(void)c;
	keep_doc(t, r, &t->have_ttl);
}

static void
on_tags(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_tbl *t = p;

	(void)c;
	keep_doc(t, r, &t->have_tags);
}

static void
on_pitr(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_tbl *t = p;

	(void)c;
	keep_doc(t, r, &t->have_pitr);
}

static void
on_listed(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_run *run = p;

	(void)c;
	run->pending--;
	if (r->status != DYNTABLE_OK) {
		apply_fail(run, NULL, r->status, r->aws_type, r->message);
		return;
	}
	for (size_t i = 0; i < r->n_tables; i++)
		json_array_append_new(run->listed, json_string(r->tables[i]));
}

static void
on_prune_desc(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_run *run = p;
	const char *text;

	(void)c;
	run->pending--;
	if (r->status == DYNTABLE_ERR_NOT_FOUND)
		return;
	if (r->status != DYNTABLE_OK) {
		apply_fail(run, NULL, r->status, r->aws_type, r->message);
		return;
	}
	text = dyntable_table_json(r->table);
	if (text)
		json_object_set_new(run->prune_desc, r->table->name ?
		    r->table->name : "?", json_loads(text, 0, NULL));
}

/* Counts a request submitted, or fails t (or the run) when it was not. */
static void
submitted(apply_run *run, apply_tbl *t, dyntable_status st)
{
	if (st == DYNTABLE_OK)
		run->pending++;
	else
		apply_fail(run, t, st, NULL, dyntable_last_error(run->c));
}

/* Runs the private loop until every request has answered; false when
 * the connection died (every callback has fired by then). */
static bool
apply_drain(apply_run *run)
{
	while (run->pending > 0)
		if (dtc_poll_once(run->c, -1) < 0 && run->pending > 0)
			return false;
	return true;
}

/* Whether name is the file's to prune: under its prefix, or, without
 * one, any table of the connection's namespace (list_tables shows only
 * those). */
static bool
prunable(const apply_run *run, const char *name)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->t[i].name, name) == 0)
			return false;
	return run->prefix ? strncmp(name, run->prefix,
	    strlen(run->prefix)) == 0 : true;
}

static void
apply_describe(apply_run *run)
{
	dyntable_ctx *c = run->c;

	for (size_t i = 0; i < run->n; i++) {
		apply_tbl *t = &run->t[i];

		submitted(run, t, dyntable_describe_table(c, t->name, on_table,
		    t));
		if (t->ttl)
			submitted(run, t, dyntable_describe_time_to_live(c,
			    t->name, on_ttl, t));
		if (t->tags)
			submitted(run, t, dyntable_list_tags_of_resource(c,
			    t->name, on_tags, t));
		if (t->pitr)
			submitted(run, t, dyntable_describe_continuous_backups(
			    c, t->name, on_pitr, t));
	}
	if (run->o->prune)
		submitted(run, NULL, dyntable_list_tables(c, on_listed, run));
}

/* ---- the steps ------------------------------------------------------------- */

static void run_step(apply_tbl *t);

static void
on_step(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_tbl *t = p;

	(void)c;
	t->run->pending--;
	if (r->status != DYNTABLE_OK) {
		apply_fail(t->run, t, r->status, r->aws_type, r->message);
		return;
	}
	t->step++;
	json_object_set_new(t->report, "done", json_integer(
	    (json_int_t)t->step));
	run_step(t);
}

/* Sends t's next step; its answer sends the one after. */
static void
run_step(apply_tbl *t)
{
	apply_run *run = t->run;
	const json_t *steps = json_object_get(t->plan, "steps");
	const json_t *s = json_array_get(steps, t->step);
	const char *op = json_string_value(json_object_get(s, "op"));
	dyntable_wait_opts w = { .timeout_ms = run->o->timeout_ms };
	dyntable_status st = DYNTABLE_ERR_NOMEM;
	const json_t *v;
	char *text = NULL;
	size_t i, n;

	if (!s || !op)
		return;
	if (strcmp(op, "create_table") == 0) {
		/* Waited for when more follows (TTL, PITR need it ACTIVE). */
		bool wait = run->o->wait || t->step + 1 < json_array_size(steps);

		if ((text = json_dumps(json_object_get(s, "input"),
		    JSON_COMPACT)))
			st = dyntable_create_table_json(run->c, text, wait ? &w :
			    NULL, on_step, t);
	} else if (strcmp(op, "update_table") == 0) {
		/* Always waited for: one index change at a time. */
		if ((text = json_dumps(json_object_get(s, "update"),
		    JSON_COMPACT)))
			st = dyntable_update_table_json(run->c, t->name, text,
			    &w, on_step, t);
	} else if (strcmp(op, "update_time_to_live") == 0) {
		st = dyntable_update_time_to_live(run->c, t->name, json_is_true(
		    json_object_get(s, "enabled")), json_string_value(
		    json_object_get(s, "attribute")), on_step, t);
	} else if (strcmp(op, "update_continuous_backups") == 0) {
		st = dyntable_update_continuous_backups(run->c, t->name,
		    json_is_true(json_object_get(s, "enabled")), 0, on_step, t);
	} else if (strcmp(op, "tag_resource") == 0) {
		const json_t *tags = json_object_get(s, "tags");
		dyntable_tag *tv = calloc(json_array_size(tags) + 1,
		    sizeof *tv);

		n = 0;
		json_array_foreach(tags, i, v)
			if (tv)
				tv[n++] = (dyntable_tag){ json_string_value(
				    json_object_get(v, "Key")), json_string_value(
				    json_object_get(v, "Value")) };
		if (tv)
			st = dyntable_tag_resource(run->c, t->name, tv, n,
			    on_step, t);
		free(tv);
	} else if (strcmp(op, "untag_resource") == 0) {
		const json_t *keys = json_object_get(s, "keys");
		const char **kv = calloc(json_array_size(keys) + 1, sizeof *kv);

		n = 0;
		json_array_foreach(keys, i, v)
			if (kv)
				kv[n++] = json_string_value(v);
		if (kv)
			st = dyntable_untag_resource(run->c, t->name, kv, n,
			    on_step, t);
		free(kv);
	}
	free(text);
	submitted(run, t, st);
}

static void
on_deleted(dyntable_ctx *c, const dyntable_result *r, void *p)
{
	apply_run *run = p;

	(void)c;
	run->pending--;
	if (r->status != DYNTABLE_OK)
		apply_fail(run, NULL, r->status, r->aws_type, r->message);
}

/* ---- the run ---------------------------------------------------------------- */

/* Plans every table that could be described; the prune candidates. */
static dyntable_status
apply_plan(apply_run *run)
{
	json_t *tables = json_object_get(run->report, "tables");
	json_t *pruned = json_object_get(run->report, "pruned");
	json_t *kept = json_object_get(run->report, "kept");
	json_t *d;
	const char *name;
	unsigned drift = 0;

	for (size_t i = 0; i < run->n; i++) {
		apply_tbl *t = &run->t[i];
		dtc_apply_want w = { t->input, t->ttl, t->tags, t->pitr };
		dtc_apply_have h = { t->have_table, t->have_ttl, t->have_tags,
			t->have_pitr };

		t->report = json_pack("{s:s}", "table", t->name);
		if (!t->report || json_array_append_new(tables, t->report))
			return DYNTABLE_ERR_NOMEM;
		if (t->extra_error && t->have_table) {
			apply_fail_doc(run, t, t->extra_st, t->extra_error);
			t->extra_error = NULL;
		}
		if (t->failed) {
			if (t->error)
				json_object_set(t->report, "error", t->error);
			continue;
		}
		if (!(t->plan = dtc_apply_diff(&w, &h)) ||
		    json_object_update(t->report, t->plan) != 0)
			return DYNTABLE_ERR_NOMEM;
		json_object_set_new(t->report, "done", json_integer(0));
		drift += json_array_size(json_object_get(t->plan, "drift")) > 0;
	}
	json_object_set_new(run->report, "drift", json_integer(drift));
	json_object_foreach(run->prune_desc, name, d) {
		if (json_is_true(json_object_get(d, "DeletionProtectionEnabled")))
			json_array_append_new(kept, json_pack("{s:s,s:s}",
			    "table", name, "why", "deletion protection"));
		else
			json_array_append_new(pruned, json_string(name));
	}
	return DYNTABLE_OK;
}

static void
apply_free(apply_run *run)
{
	for (size_t i = 0; i < run->n; i++) {
		apply_tbl *t = &run->t[i];

		json_decref(t->input);
		json_decref(t->have_table);
		json_decref(t->have_ttl);
		json_decref(t->have_tags);
		json_decref(t->have_pitr);
		json_decref(t->plan);
		json_decref(t->error);
		json_decref(t->extra_error);
	}
	free(run->t);
	json_decref(run->file);
	json_decref(run->listed);
	json_decref(run->prune_desc);
	json_decref(run->report);
}

dyntable_status
dyntable_apply(dyntable_ctx *c, const char *file_json,
    const dyntable_apply_opts *o, char **report, char *err, size_t errlen)
{
	static const dyntable_apply_opts dflt = { .plan = false };
	apply_run run = { .c = c, .o = o ? o : &dflt };
	dyntable_wait_opts w = { .timeout_ms = run.o->timeout_ms };
	dyntable_status st;
	const json_t *v;
	char dummy[8];
	size_t i;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (report)
		*report = NULL;
	if (!c)
		return file_fail(err, errlen, "%s", "context is NULL");
	if (c->attached) {
		snprintf(err, errlen, "dyntable_apply on a context attached to "
		    "an event loop");
		return DYNTABLE_ERR_USAGE;
	}
	if (c->err != DYNTABLE_OK) {
		snprintf(err, errlen, "%s", c->errstr);
		return c->err;
	}
	run.listed = json_array();
	run.prune_desc = json_object();
	run.report = json_pack("{s:[],s:[],s:[],s:[],s:b}", "tables",
	    "pruned", "kept", "run_errors", "plan", run.o->plan);
	if (!run.listed || !run.prune_desc || !run.report) {
		st = DYNTABLE_ERR_NOMEM;
		goto out;
	}
	if ((st = apply_parse(&run, file_json, err, errlen)) != DYNTABLE_OK)
		goto out;
	if (run.o->prune && !run.prefix && *dyntable_namespace(c) == '\0') {
		st = file_fail(err, errlen, "%s", "prune: the file names no "
		    "prefix and the connection has no namespace: nothing "
		    "says which tables are the file's to delete");
		goto out;
	}

	dtc_enter(c);
	apply_describe(&run);
	if (!apply_drain(&run))
		goto dead;
	json_array_foreach(run.listed, i, v)
		if (prunable(&run, json_string_value(v)))
			submitted(&run, NULL, dyntable_describe_table(c,
			    json_string_value(v), on_prune_desc, &run));
	if (!apply_drain(&run))
		goto dead;
	if ((st = apply_plan(&run)) != DYNTABLE_OK) {
		dtc_leave(c);
		goto out;
	}
	if (!run.o->plan) {
		for (i = 0; i < run.n; i++)
			if (!run.t[i].failed)
				run_step(&run.t[i]);
		json_array_foreach(json_object_get(run.report, "pruned"), i, v)
			submitted(&run, NULL, dyntable_delete_table(c,
			    json_string_value(v), run.o->wait ? &w : NULL,
			    on_deleted, &run));
		if (!apply_drain(&run))
			goto dead;
	}
	(void)dtc_leave(c);
	json_object_set_new(run.report, "errors", json_integer(run.errors));
	st = run.errors ? run.first_error : DYNTABLE_OK;
	if (st != DYNTABLE_OK)
		snprintf(err, errlen, "%u table(s) failed; see the report",
		    run.errors);
	goto report;
dead:
	snprintf(err, errlen, "%s", c->errstr);
	st = c->err != DYNTABLE_OK ? c->err : DYNTABLE_ERR_DISCONNECTED;
	dtc_leave(c);
	goto out;
report:
	if (report && !(*report = json_dumps(run.report, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)))
		st = DYNTABLE_ERR_NOMEM;
out:
	apply_free(&run);
	return st;
}
