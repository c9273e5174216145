/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the C end-to-end tests; see e2e_util.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e_util.h"

const char *
tname(const char *what)
{
	static char bufs[8][128];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "e2e-%ld-%s", (long)getpid(), what);
	return b;
}

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
str_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

void
e2e_check_status(const dyntable_result *r, dyntable_status want,
    const char *what, int line)
{
	if (r == NULL) {
		fail_msg("line %d: %s: no result (out of memory?)", line, what);
		return; /* not reached: fail_msg() longjmps */
	}
	if (r->status != want)
		fail_msg("line %d: %s: status %s (%s; aws_type %s), expected %s",
		    line, what, dyntable_status_name(r->status),
		    str_or(r->message, "no message"), str_or(r->aws_type, "-"),
		    dyntable_status_name(want));
}

void
e2e_check_str(const char *got, const char *want, const char *what, int line)
{
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("line %d: %s is \"%s\", expected \"%s\"", line, what,
		    str_or(got, "(null)"), want);
}

dyntable_ctx *
connect_ok(void)
{
	dyntable_ctx *c = dyntable_connect(NULL);

	assert_non_null(c);
	if (dyntable_errcode(c) != DYNTABLE_OK)
		fail_msg("dyntable_connect(%s): %s: %s",
		    str_or(getenv("DYNTABLE_SOCKET"), "default socket"),
		    dyntable_status_name(dyntable_errcode(c)), dyntable_errstr(c));
	assert_true(dyntable_fd(c) >= 0);
	return c;
}

int
e2e_group_connect(dyntable_ctx **c)
{
	*c = dyntable_connect(NULL);
	if (*c == NULL || dyntable_errcode(*c) != DYNTABLE_OK) {
		fprintf(stderr, "cannot connect to %s: %s\n",
		    str_or(getenv("DYNTABLE_SOCKET"), "the default socket"),
		    *c != NULL ? dyntable_errstr(*c) : "out of memory");
		dyntable_free(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

dyntable_table_def
simple_def(const char *name)
{
	dyntable_table_def d;

	memset(&d, 0, sizeof(d));
	d.name = name;
	d.partition_key.name = "pk";
	d.partition_key.type = DYNTABLE_S;
	return d;
}

void
create_ok(dyntable_ctx *c, const dyntable_table_def *d, bool wait)
{
	dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	dyntable_result *r = dyntable_sync_create_table(c, d, wait ? &w : NULL);

	assert_status(r, DYNTABLE_OK);
	assert_non_null(r->table);
	assert_str(r->table->name, d->name);
	if (wait)
		assert_str(r->table->status, "ACTIVE");
	dyntable_result_free(r);
}

void
delete_ok(dyntable_ctx *c, const char *name)
{
	dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	dyntable_result *r = dyntable_sync_wait_for_table_active(c, name,
	    WAIT_MS);

	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
	r = dyntable_sync_delete_table(c, name, &w);
	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
}

bool
list_has(dyntable_ctx *c, const char *name)
{
	dyntable_result *r = dyntable_sync_list_tables(c);
	bool found = false;

	assert_status(r, DYNTABLE_OK);
	for (size_t i = 0; i < r->n_tables; i++) {
		assert_non_null(r->tables[i]);
		if (strcmp(r->tables[i], name) == 0)
			found = true;
	}
	dyntable_result_free(r);
	return found;
}

/* The request log. Fails the test (or skips it against a daemon already
 * running) when there is none: see e2e_need_env(). */
static FILE *
reqlog_open(void)
{
	const char *path = e2e_need_env("DYNTABLE_TEST_REQUESTS");
	FILE *f;

	/* The proxy creates it when it starts; before the first request it
	 * may be empty but it exists. */
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	return f;
}

json_t *
recorded(const char *op, const char *table)
{
	FILE *f = reqlog_open();
	json_t *out;
	char *line = NULL;
	size_t cap = 0;

	out = json_array();
	while (getline(&line, &cap, f) > 0) {
		json_error_t err;
		json_t *e = json_loads(line, 0, &err);
		const char *target, *dot, *tn;
		json_t *body;

		if (e == NULL)
			fail_msg("bad line in the request log: %s", err.text);
		target = json_string_value(json_object_get(e, "target"));
		body = json_object_get(e, "body");
		tn = json_string_value(json_object_get(body, "TableName"));
		dot = target != NULL ? strrchr(target, '.') : NULL;
		if (dot != NULL && strcmp(dot + 1, op) == 0 &&
		    (table == NULL || (tn != NULL && strcmp(tn, table) == 0)))
			json_array_append(out, body);
		json_decref(e);
	}
	free(line);
	fclose(f);
	return out;
}

long
reqlog_count(void)
{
	FILE *f = reqlog_open();
	long n = 0;
	int ch;

	while ((ch = getc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}
