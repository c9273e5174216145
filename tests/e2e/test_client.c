/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of libdyntable against a running dyntabled (the socket
 * in $DYNTABLE_SOCKET), which talks to dynalite. Run through harness.sh,
 * which starts both; a test that reads the proxy's request log
 * ($DYNTABLE_TEST_REQUESTS) fails without it, or is skipped against a
 * daemon already running ($DYNTABLE_TEST_SOCKET): see e2e_need_env().
 *
 * Every table name starts with "e2e-PID-", so runs against a shared daemon
 * do not collide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poll.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "dyntable.h"
#include "dyntable_libevent.h"
#include "dyntable_poll.h"
#include "e2e_util.h"

#define LOOP_LIMIT_S 60 /* an event loop that runs this long has hung */

/* ---- blocking API ---------------------------------------------------------- */

static dyntable_ctx *sc; /* the sync tests' shared context */

static int
sync_setup(void **state)
{
	return e2e_group_connect(&sc);
}

static int
sync_teardown(void **state)
{
	dyntable_free(sc);
	sc = NULL;
	return 0;
}

static void
test_handshake(void **state)
{
	const char *server = dyntable_server(sc);

	assert_non_null(server);
	assert_non_null(strstr(server, "dyntabled"));
	assert_non_null(dyntable_version());
}

/* metrics (protocol 1.2): OpenMetrics text that counts this very
 * connection's earlier describe (NOT_FOUND) and ends with # EOF. */
static void
test_metrics(void **state)
{
	dyntable_result *r;
	const char *t;
	size_t n;

	r = dyntable_sync_describe_table(sc, tname("metrics-missing"));
	assert_status(r, DYNTABLE_ERR_NOT_FOUND);
	dyntable_result_free(r);
	r = dyntable_sync_daemon_metrics(sc);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_METRICS);
	assert_non_null(t = r->metrics_text);
	n = strlen(t);
	assert_true(n > 6 && strcmp(t + n - 6, "# EOF\n") == 0);
	assert_non_null(strstr(t, "\ndyntabled_requests_total{op=\"describe_"
	    "table\",outcome=\"NOT_FOUND\"} "));
	assert_non_null(strstr(t, "\n# TYPE dyntabled_upstream_duration_"
	    "seconds histogram\n"));
	dyntable_result_free(r);
}

/* Create (default billing), exists, wait active, describe, list. */
static void
test_create_default_lifecycle(void **state)
{
	const char *name = tname("default");
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;
	json_t *j, *reqs;
	json_error_t err;
	const char *text;

	r = dyntable_sync_create_table(sc, &d, NULL);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_CREATE_TABLE);
	assert_non_null(r->table);
	assert_str(r->table->name, name);
	assert_str(r->table->status, "CREATING");
	dyntable_result_free(r);

	r = dyntable_sync_table_exists(sc, name);
	assert_status(r, DYNTABLE_OK);
	assert_true(r->exists);
	assert_non_null(r->table_status);
	if (strcmp(r->table_status, "CREATING") != 0 &&
	    strcmp(r->table_status, "ACTIVE") != 0)
		fail_msg("table_exists status %s", r->table_status);
	dyntable_result_free(r);

	r = dyntable_sync_wait_for_table_active(sc, name, WAIT_MS);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_WAIT_TABLE_ACTIVE);
	assert_non_null(r->table);
	assert_str(r->table->status, "ACTIVE");
	dyntable_result_free(r);

	r = dyntable_sync_describe_table(sc, name);
	assert_status(r, DYNTABLE_OK);
	assert_non_null(r->table);
	assert_str(r->table->name, name);
	assert_str(r->table->status, "ACTIVE");
	assert_str(r->table->partition_key.name, "pk");
	assert_int_equal(r->table->partition_key.type, DYNTABLE_S);
	assert_null(r->table->sort_key.name);
	assert_str(r->table->billing_mode, "PAY_PER_REQUEST");
	assert_non_null(r->table->arn);
	assert_non_null(strstr(r->table->arn, name));
	assert_true(r->table->creation_time > 1e9);
	assert_int_equal(r->table->n_gsi, 0);
	assert_int_equal(r->table->n_lsi, 0);
	/* The whole description, built on the first call, then the same
	 * string; it says what the parsed fields say. */
	text = dyntable_table_json(r->table);
	assert_non_null(text);
	assert_ptr_equal(dyntable_table_json(r->table), text);
	j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		fail_msg("table json does not parse: %s", err.text);
	assert_str(json_string_value(json_object_get(j, "TableName")), name);
	assert_str(json_string_value(json_object_get(j, "TableStatus")),
	    "ACTIVE");
	assert_str(json_string_value(json_object_get(j, "TableArn")),
	    r->table->arn);
	assert_true(json_number_value(json_object_get(j, "CreationDateTime")) ==
	    r->table->creation_time);
	assert_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "KeySchema"), 0), "AttributeName")), "pk");
	assert_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "AttributeDefinitions"), 0), "AttributeType")),
	    "S");
	json_decref(j);
	dyntable_result_free(r);

	assert_true(list_has(sc, name));

	/* The daemon says PAY_PER_REQUEST explicitly (PROTOCOL.md §6). */
	reqs = recorded("CreateTable", name);
	assert_int_equal(json_array_size(reqs), 1);
	assert_str(json_string_value(json_object_get(
	    json_array_get(reqs, 0), "BillingMode")), "PAY_PER_REQUEST");
	assert_null(json_object_get(json_array_get(reqs, 0),
	    "ProvisionedThroughput"));
	json_decref(reqs);
}

static void
test_create_provisioned(void **state)
{
	const char *name = tname("prov");
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;
	json_t *reqs, *pt;

	d.options.billing_mode = DYNTABLE_PROVISIONED;
	d.options.read_capacity = 7;
	d.options.write_capacity = 3;
	create_ok(sc, &d, true);

	r = dyntable_sync_describe_table(sc, name);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->table->read_capacity, 7);
	assert_int_equal(r->table->write_capacity, 3);
	if (r->table->billing_mode != NULL)
		assert_str(r->table->billing_mode, "PROVISIONED");
	dyntable_result_free(r);
	/* Deleted first: a skip below (no request log) leaves nothing. */
	delete_ok(sc, name);

	reqs = recorded("CreateTable", name);
	assert_int_equal(json_array_size(reqs), 1);
	assert_str(json_string_value(json_object_get(
	    json_array_get(reqs, 0), "BillingMode")), "PROVISIONED");
	pt = json_object_get(json_array_get(reqs, 0),
	    "ProvisionedThroughput");
	assert_int_equal(json_integer_value(json_object_get(pt,
	    "ReadCapacityUnits")), 7);
	assert_int_equal(json_integer_value(json_object_get(pt,
	    "WriteCapacityUnits")), 3);
	json_decref(reqs);
}

static void
test_create_sort_key(void **state)
{
	const char *name = tname("sorted");
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;

	d.partition_key.name = "id";
	d.partition_key.type = DYNTABLE_N;
	d.sort_key.name = "ts";
	d.sort_key.type = DYNTABLE_B;
	create_ok(sc, &d, false);

	r = dyntable_sync_describe_table(sc, name);
	assert_status(r, DYNTABLE_OK);
	assert_str(r->table->partition_key.name, "id");
	assert_int_equal(r->table->partition_key.type, DYNTABLE_N);
	assert_str(r->table->sort_key.name, "ts");
	assert_int_equal(r->table->sort_key.type, DYNTABLE_B);
	dyntable_result_free(r);
	delete_ok(sc, name);
}

/* create with wait answers ACTIVE; a second create is IN_USE. */
static void
test_create_wait_and_in_use(void **state)
{
	const char *name = tname("waited");
	dyntable_table_def d = simple_def(name);
	dyntable_result *r;

	create_ok(sc, &d, true);

	r = dyntable_sync_create_table(sc, &d, NULL);
	assert_status(r, DYNTABLE_ERR_IN_USE);
	assert_str(r->aws_type, "ResourceInUseException");
	assert_non_null(r->message);
	assert_null(r->table);
	dyntable_result_free(r);

	/* The failure did not spoil the context. */
	assert_int_equal(dyntable_errcode(sc), DYNTABLE_OK);
	assert_true(list_has(sc, name));
	delete_ok(sc, name);
}

static void
test_missing_table(void **state)
{
	const char *name = tname("missing");
	dyntable_result *r;
	long long t0;

	r = dyntable_sync_describe_table(sc, name);
	assert_status(r, DYNTABLE_ERR_NOT_FOUND);
	assert_str(r->aws_type, "ResourceNotFoundException");
	assert_null(r->table);
	dyntable_result_free(r);

	r = dyntable_sync_delete_table(sc, name, NULL);
	assert_status(r, DYNTABLE_ERR_NOT_FOUND);
	assert_str(r->aws_type, "ResourceNotFoundException");
	dyntable_result_free(r);

	r = dyntable_sync_table_exists(sc, name);
	assert_status(r, DYNTABLE_OK);
	assert_false(r->exists);
	assert_null(r->table_status);
	dyntable_result_free(r);

	/* Gone already: answered at once. */
	t0 = now_ms();
	r = dyntable_sync_wait_for_table_deleted(sc, name, WAIT_MS);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_WAIT_TABLE_DELETED);
	dyntable_result_free(r);
	assert_true(now_ms() - t0 < 1000);

	/* Never appears: TIMEOUT after the deadline, not long after. */
	t0 = now_ms();
	r = dyntable_sync_wait_for_table_active(sc, name, 700);
	assert_status(r, DYNTABLE_ERR_TIMEOUT);
	dyntable_result_free(r);
	if (now_ms() - t0 < 600 || now_ms() - t0 > 2000)
		fail_msg("700 ms wait took %lld ms", now_ms() - t0);

	assert_false(list_has(sc, name));
}

static void
test_delete_with_wait(void **state)
{
	const char *name = tname("deleted");
	dyntable_table_def d = simple_def(name);
	dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	dyntable_result *r;

	create_ok(sc, &d, true);

	r = dyntable_sync_delete_table(sc, name, &w);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_DELETE_TABLE);
	assert_non_null(r->table);
	assert_str(r->table->name, name);
	dyntable_result_free(r);

	r = dyntable_sync_table_exists(sc, name);
	assert_status(r, DYNTABLE_OK);
	assert_false(r->exists);
	dyntable_result_free(r);
	assert_false(list_has(sc, name));
}

static void
expect_invalid(const dyntable_table_def *d, const char *what)
{
	dyntable_result *r = dyntable_sync_create_table(sc, d, NULL);

	if (r == NULL || r->status != DYNTABLE_ERR_INVALID)
		fail_msg("%s: status %s (%s), expected INVALID", what,
		    r != NULL ? dyntable_status_name(r->status) : "no result",
		    r != NULL ? str_or(r->message, "") : "");
	assert_non_null(r->message);
	dyntable_result_free(r);
	/* A refused request leaves the context usable. */
	assert_int_equal(dyntable_errcode(sc), DYNTABLE_OK);
}

/* More tables than one ListTables page (DynamoDB's and dynalite's limit is
 * 100): list_tables follows LastEvaluatedTableName through every page. */
#define PAGE_TABLES 105

static void
test_list_all_pages(void **state)
{
	dyntable_ctx *c = connect_ok();
	char names[PAGE_TABLES][64];
	dyntable_result *r;
	json_t *lists, *body;
	size_t found = 0, k;
	bool paged = false;

	for (int i = 0; i < PAGE_TABLES; i++) {
		dyntable_table_def d;

		snprintf(names[i], sizeof(names[i]), "%s", tname("page"));
		snprintf(names[i] + strlen(names[i]),
		    sizeof(names[i]) - strlen(names[i]), "-%03d", i);
		d = simple_def(names[i]);
		create_ok(c, &d, false);
	}
	r = dyntable_sync_list_tables(c);
	assert_status(r, DYNTABLE_OK);
	assert_true(r->n_tables >= PAGE_TABLES);
	for (int i = 0; i < PAGE_TABLES; i++)
		for (size_t j = 0; j < r->n_tables; j++)
			if (strcmp(r->tables[j], names[i]) == 0) {
				found++;
				break;
			}
	assert_int_equal(found, PAGE_TABLES);
	dyntable_result_free(r);
	/* All were created together; once the last is ACTIVE, so are they. */
	r = dyntable_sync_wait_for_table_active(c, names[PAGE_TABLES - 1],
	    WAIT_MS);
	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
	for (int i = 0; i < PAGE_TABLES; i++) {
		r = dyntable_sync_wait_for_table_active(c, names[i], WAIT_MS);
		assert_status(r, DYNTABLE_OK);
		dyntable_result_free(r);
		r = dyntable_sync_delete_table(c, names[i], NULL);
		assert_status(r, DYNTABLE_OK);
		dyntable_result_free(r);
	}
	dyntable_free(c);

	/* The daemon really went past the first page (checked after the
	 * clean-up, which a skip for want of a request log would miss). */
	lists = recorded("ListTables", NULL);
	json_array_foreach(lists, k, body)
		paged |= json_object_get(body, "ExclusiveStartTableName") != NULL;
	assert_true(paged);
	json_decref(lists);
}

static void
test_invalid_definitions(void **state)
{
	dyntable_table_def d;
	size_t before;
	json_t *reqs;

	reqs = recorded("CreateTable", NULL);
	before = json_array_size(reqs);
	json_decref(reqs);

	d = simple_def("");
	expect_invalid(&d, "empty name");
	d = simple_def("ab");
	expect_invalid(&d, "name of 2 characters");
	d = simple_def(tname("bad name!"));
	expect_invalid(&d, "name with a space and a '!'");
	d = simple_def(tname("nopk"));
	d.partition_key.name = NULL;
	expect_invalid(&d, "no partition key");
	d = simple_def(tname("badtype"));
	d.partition_key.type = (dyntable_type)'X';
	expect_invalid(&d, "partition key type X");
	d = simple_def(tname("badsorttype"));
	d.sort_key.name = "sk";
	d.sort_key.type = (dyntable_type)'Q';
	expect_invalid(&d, "sort key type Q");
	d = simple_def(tname("negcap"));
	d.options.billing_mode = DYNTABLE_PROVISIONED;
	d.options.read_capacity = -1;
	expect_invalid(&d, "negative read capacity");
	d = simple_def(tname("badbilling"));
	d.options.billing_mode = (dyntable_billing)9;
	expect_invalid(&d, "billing mode 9");

	/* Nothing of this reached DynamoDB. */
	reqs = recorded("CreateTable", NULL);
	assert_int_equal(json_array_size(reqs), before);
	json_decref(reqs);
}

/* ---- libevent adapter ------------------------------------------------------ */

/* One expected answer. */
struct expect {
	const char *label;
	dyntable_op op;
	dyntable_status want;
	int calls;		 /* callbacks seen */
	int order;		 /* 1 + how many answers came before it */
	dyntable_status got;
	dyntable_op got_op;
	char table_status[32];	 /* r->table->status, if any */
	struct loop_state *ls;
};

struct loop_state {
	struct event_base *base; /* NULL for the poll adapter */
	int outstanding;	 /* callbacks still expected */
	int answered;		 /* callbacks seen, all requests */
};

static void
on_expect(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	struct expect *e = privdata;
	struct loop_state *ls = e->ls;

	e->calls++;
	e->order = ++ls->answered;
	e->got = r->status;
	e->got_op = r->op;
	if (r->table != NULL && r->table->status != NULL)
		snprintf(e->table_status, sizeof(e->table_status), "%s",
		    r->table->status);
	if (--ls->outstanding == 0 && ls->base != NULL)
		event_base_loopbreak(ls->base);
}

static void
on_loop_limit(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Runs base until ls has nothing outstanding, failing after LOOP_LIMIT_S. */
static void
run_until_done(struct loop_state *ls)
{
	struct timeval tv = { LOOP_LIMIT_S, 0 };
	struct event *limit = evtimer_new(ls->base, on_loop_limit, ls->base);
	long long deadline = now_ms() + LOOP_LIMIT_S * 1000LL;
	int rc = 0;

	assert_non_null(limit);
	evtimer_add(limit, &tv);
	while (ls->outstanding > 0 && now_ms() < deadline && rc == 0)
		rc = event_base_dispatch(ls->base);
	event_free(limit);
	if (rc != 0)
		fail_msg("event_base_dispatch returned %d with %d callbacks "
		    "outstanding (no events registered?)", rc, ls->outstanding);
	if (ls->outstanding > 0)
		fail_msg("%d callbacks still outstanding after %d s",
		    ls->outstanding, LOOP_LIMIT_S);
}

static void
check_expect(const struct expect *e)
{
	if (e->calls != 1)
		fail_msg("%s: callback fired %d times", e->label, e->calls);
	if (e->got != e->want)
		fail_msg("%s: status %s, expected %s", e->label,
		    dyntable_status_name(e->got), dyntable_status_name(e->want));
	if (e->got_op != e->op)
		fail_msg("%s: result for op %d, expected %d", e->label,
		    (int)e->got_op, (int)e->op);
}

struct pipeline {
	struct loop_state ls;
	const char *name;
	int submit_failures;
	struct expect create, wait, describe[3], missing, list;
};

static void
pipeline_after_create(dyntable_ctx *c, const dyntable_result *r,
    void *privdata)
{
	struct pipeline *p = privdata;

	on_expect(c, r, &p->create);
	if (r->status != DYNTABLE_OK)
		return;
	/* All in flight at once on the one connection. (No cmocka asserts
	 * in callbacks: they would longjmp out of the event loop.) */
	p->ls.outstanding += 6;
	p->submit_failures +=
	    dyntable_wait_for_table_active(c, p->name, WAIT_MS, on_expect,
		&p->wait) != DYNTABLE_OK;
	for (int i = 0; i < 3; i++)
		p->submit_failures += dyntable_describe_table(c, p->name,
		    on_expect, &p->describe[i]) != DYNTABLE_OK;
	p->submit_failures += dyntable_describe_table(c,
	    tname("pipe-missing"), on_expect, &p->missing) != DYNTABLE_OK;
	p->submit_failures += dyntable_list_tables(c, on_expect, &p->list) !=
	    DYNTABLE_OK;
	if (p->submit_failures > 0)
		event_base_loopbreak(p->ls.base);
}

static void
expect_init(struct expect *e, struct loop_state *ls, const char *label,
    dyntable_op op, dyntable_status want)
{
	memset(e, 0, sizeof(*e));
	e->label = label;
	e->op = op;
	e->want = want;
	e->got = (dyntable_status)-1;
	e->ls = ls;
}

/*
 * A long wait on a CREATING table, then describes, a failing describe and
 * a list pipelined behind it: they come back first, and the wait last.
 */
static void
test_libevent_pipelined_out_of_order(void **state)
{
	struct event_base *base = event_base_new();
	struct pipeline p;
	dyntable_table_def d;
	dyntable_ctx *c;

	assert_non_null(base);
	memset(&p, 0, sizeof(p));
	p.ls.base = base;
	p.name = tname("pipelined");
	expect_init(&p.create, &p.ls, "create", DYNTABLE_OP_CREATE_TABLE,
	    DYNTABLE_OK);
	expect_init(&p.wait, &p.ls, "wait active", DYNTABLE_OP_WAIT_TABLE_ACTIVE,
	    DYNTABLE_OK);
	for (int i = 0; i < 3; i++)
		expect_init(&p.describe[i], &p.ls, "describe",
		    DYNTABLE_OP_DESCRIBE_TABLE, DYNTABLE_OK);
	expect_init(&p.missing, &p.ls, "describe missing",
	    DYNTABLE_OP_DESCRIBE_TABLE, DYNTABLE_ERR_NOT_FOUND);
	expect_init(&p.list, &p.ls, "list", DYNTABLE_OP_LIST_TABLES,
	    DYNTABLE_OK);

	c = connect_ok();
	assert_int_equal(dyntable_libevent_attach(c, base), DYNTABLE_OK);
	d = simple_def(p.name);
	assert_int_equal(dyntable_create_table(c, &d, NULL,
	    pipeline_after_create, &p), DYNTABLE_OK);
	p.ls.outstanding = 1;
	run_until_done(&p.ls);

	assert_int_equal(p.submit_failures, 0);
	check_expect(&p.create);
	check_expect(&p.wait);
	check_expect(&p.missing);
	check_expect(&p.list);
	assert_string_equal(p.create.table_status, "CREATING");
	assert_string_equal(p.wait.table_status, "ACTIVE");
	for (int i = 0; i < 3; i++) {
		check_expect(&p.describe[i]);
		/* Answered while the table was still being created... */
		assert_string_equal(p.describe[i].table_status, "CREATING");
		/* ...so before the wait that was sent ahead of them. */
		assert_true(p.describe[i].order < p.wait.order);
	}
	assert_true(p.missing.order < p.wait.order);
	assert_true(p.list.order < p.wait.order);
	assert_int_equal(p.wait.order, 7);

	/* No callback fires twice, even after more loop turns. */
	assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
	assert_int_equal(p.ls.answered, 7);

	/* Sync calls are refused on a context attached to a loop. */
	{
		dyntable_result *r = dyntable_sync_list_tables(c);

		assert_status(r, DYNTABLE_ERR_USAGE);
		dyntable_result_free(r);
	}
	dyntable_free(c);
	event_base_free(base);

	c = connect_ok();
	delete_ok(c, p.name);
	dyntable_free(c);
}

/* Many clients at once, each on its own connection, one loop. */
#define N_CLIENTS 20

struct client_job {
	struct loop_state *ls;
	dyntable_ctx *c;
	char name[128];
	int step;	   /* 0 create+wait, 1 describe, 2 delete+wait, 3 done */
	int calls[4];	   /* callbacks per step; [3]: after the end */
	dyntable_status failed_status;
	const char *failed_what;
};

static void
job_next(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	static const dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	struct client_job *j = privdata;
	dyntable_status st = DYNTABLE_OK;

	j->calls[j->step]++;
	if (r->status != DYNTABLE_OK) {
		j->failed_status = r->status;
		j->failed_what = j->step == 0 ? "create" :
				 j->step == 1 ? "describe" : "delete";
		j->step = 3;
	} else if (j->step == 0) {
		j->step = 1;
		st = dyntable_describe_table(c, j->name, job_next, j);
	} else if (j->step == 1) {
		if (r->table == NULL || r->table->status == NULL ||
		    strcmp(r->table->status, "ACTIVE") != 0) {
			j->failed_status = DYNTABLE_ERR_PROTOCOL;
			j->failed_what = "describe (not ACTIVE)";
			j->step = 3;
		} else {
			j->step = 2;
			st = dyntable_delete_table(c, j->name, &w, job_next, j);
		}
	} else {
		j->step = 3;
	}
	if (st != DYNTABLE_OK) {
		j->failed_status = st;
		j->failed_what = "submit";
		j->step = 3;
	}
	if (j->step == 3 && --j->ls->outstanding == 0)
		event_base_loopbreak(j->ls->base);
}

static void
test_libevent_many_clients(void **state)
{
	static const dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	struct event_base *base = event_base_new();
	struct client_job jobs[N_CLIENTS];
	struct loop_state ls = { base, 0, 0 };
	dyntable_ctx *check;

	assert_non_null(base);
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < N_CLIENTS; i++) {
		char what[32];
		dyntable_table_def d;

		snprintf(what, sizeof(what), "many-%02d", i);
		snprintf(jobs[i].name, sizeof(jobs[i].name), "%s", tname(what));
		jobs[i].ls = &ls;
		jobs[i].c = connect_ok();
		assert_int_equal(dyntable_libevent_attach(jobs[i].c, base),
		    DYNTABLE_OK);
		d = simple_def(jobs[i].name);
		assert_int_equal(dyntable_create_table(jobs[i].c, &d, &w,
		    job_next, &jobs[i]), DYNTABLE_OK);
		ls.outstanding++;
	}
	run_until_done(&ls);
	for (int i = 0; i < N_CLIENTS; i++) {
		if (jobs[i].failed_what != NULL)
			fail_msg("client %d: %s failed: %s", i,
			    jobs[i].failed_what,
			    dyntable_status_name(jobs[i].failed_status));
		for (int s = 0; s < 3; s++)
			assert_int_equal(jobs[i].calls[s], 1);
		assert_int_equal(jobs[i].calls[3], 0);
		dyntable_free(jobs[i].c);
	}
	event_base_free(base);

	check = connect_ok();
	for (int i = 0; i < N_CLIENTS; i++)
		assert_false(list_has(check, jobs[i].name));
	dyntable_free(check);
}

/*
 * A client that goes away while waiting: its callback fires once with
 * DISCONNECTED, and the daemon goes on serving others.
 */
static void
test_disconnect_while_waiting(void **state)
{
	struct event_base *base = event_base_new();
	struct loop_state ls = { base, 0, 0 };
	struct expect wait, probe;
	const char *name = tname("never");
	dyntable_ctx *c;
	dyntable_result *r;
	json_t *reqs;
	size_t before, after;
	long long t0;

	assert_non_null(base);
	expect_init(&wait, &ls, "wait", DYNTABLE_OP_WAIT_TABLE_ACTIVE,
	    DYNTABLE_ERR_DISCONNECTED);
	expect_init(&probe, &ls, "probe", DYNTABLE_OP_DESCRIBE_TABLE,
	    DYNTABLE_ERR_NOT_FOUND);

	c = connect_ok();
	assert_int_equal(dyntable_libevent_attach(c, base), DYNTABLE_OK);
	assert_int_equal(dyntable_wait_for_table_active(c, name, 600000,
	    on_expect, &wait), DYNTABLE_OK);
	/* Sent behind the wait: once it is answered, the daemon has the wait. */
	assert_int_equal(dyntable_describe_table(c, name, on_expect, &probe),
	    DYNTABLE_OK);
	ls.outstanding = 1; /* the probe; the wait must still be pending */
	run_until_done(&ls);
	check_expect(&probe);
	assert_int_equal(wait.calls, 0);
	/* The daemon has the wait, but its first poll may still be on its
	 * way to DynamoDB (a slow daemon: valgrind): let it arrive, so the
	 * check below starts from a poller seen running. */
	for (int i = 0; i < 100; i++) {
		size_t n;

		reqs = recorded("DescribeTable", name);
		n = json_array_size(reqs);
		json_decref(reqs);
		if (n >= 2)
			break;
		e2e_sleep_ms(50);
	}

	t0 = now_ms();
	dyntable_free(c);
	check_expect(&wait);
	assert_true(now_ms() - t0 < 1000);
	event_base_free(base);

	/* The daemon serves a new client normally. */
	c = connect_ok();
	r = dyntable_sync_list_tables(c);
	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);

	/*
	 * And it dropped the wait (PROTOCOL.md §5): while a 1 s wait of ours
	 * on another table runs out, the dropped one's table is not polled
	 * again. (On loopback the daemon polls every 100 ms at most; one
	 * poll may have been in flight at the disconnect.)
	 */
	reqs = recorded("DescribeTable", name);
	before = json_array_size(reqs);
	json_decref(reqs);
	assert_true(before >= 2); /* the wait's polls and the probe */
	r = dyntable_sync_wait_for_table_active(c, tname("never-either"),
	    1000);
	assert_status(r, DYNTABLE_ERR_TIMEOUT);
	dyntable_result_free(r);
	reqs = recorded("DescribeTable", name);
	after = json_array_size(reqs);
	json_decref(reqs);
	if (after > before + 1)
		fail_msg("%zu more DescribeTable %s after the client left",
		    after - before, name);
	dyntable_free(c);
}

/* ---- requests written at once ---------------------------------------------- */

/* Hooks that only count what the library asks of a loop. */
struct hook_counts {
	int add_read, del_read, add_write, del_write, cleanup;
};

static void
hc_add_read(void *data)
{
	((struct hook_counts *)data)->add_read++;
}

static void
hc_del_read(void *data)
{
	((struct hook_counts *)data)->del_read++;
}

static void
hc_add_write(void *data)
{
	((struct hook_counts *)data)->add_write++;
}

static void
hc_del_write(void *data)
{
	((struct hook_counts *)data)->del_write++;
}

static void
hc_cleanup(void *data)
{
	((struct hook_counts *)data)->cleanup++;
}

/* True when c's socket has bytes to read within 5 s: the daemon has
 * answered, so the request left without a loop's help. */
static bool
answer_arrives(dyntable_ctx *c)
{
	struct pollfd p = { .fd = dyntable_fd(c), .events = POLLIN };

	return poll(&p, 1, 5000) == 1 && (p.revents & POLLIN);
}

/*
 * A request is sent from the call that makes it: on a context without a
 * loop (a sync context: no poll until the next sync call), and on one
 * attached to hooks that are never asked for write readiness. Its
 * callback still fires only later, from the library's read path.
 */
static void
test_written_at_once(void **state)
{
	struct loop_state ls = { NULL, 0, 0 };
	struct hook_counts hc = { 0 };
	const dyntable_hooks hooks = { &hc, hc_add_read, hc_del_read,
		hc_add_write, hc_del_write, hc_cleanup };
	struct expect sync_ctx, attached;
	dyntable_ctx *c;
	dyntable_result *r;

	expect_init(&sync_ctx, &ls, "describe on a sync context",
	    DYNTABLE_OP_DESCRIBE_TABLE, DYNTABLE_ERR_NOT_FOUND);
	expect_init(&attached, &ls, "describe on hooks",
	    DYNTABLE_OP_DESCRIBE_TABLE, DYNTABLE_ERR_NOT_FOUND);

	c = connect_ok();
	assert_int_equal(dyntable_describe_table(c, tname("at-once"),
	    on_expect, &sync_ctx), DYNTABLE_OK);
	ls.outstanding = 1;
	assert_true(answer_arrives(c));
	assert_int_equal(sync_ctx.calls, 0);
	/* The next sync call reads that answer and fires the callback. */
	r = dyntable_sync_list_tables(c);
	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
	check_expect(&sync_ctx);
	assert_int_equal(ls.outstanding, 0);
	dyntable_free(c);

	c = connect_ok();
	assert_int_equal(dyntable_attach(c, &hooks), DYNTABLE_OK);
	assert_int_equal(hc.add_read, 1);
	assert_int_equal(dyntable_describe_table(c, tname("at-once"),
	    on_expect, &attached), DYNTABLE_OK);
	ls.outstanding = 1;
	assert_int_equal(hc.add_write, 0);
	assert_true(answer_arrives(c));
	assert_int_equal(attached.calls, 0);
	dyntable_handle_read(c);
	check_expect(&attached);
	assert_int_equal(hc.add_write, 0);
	assert_int_equal(hc.del_write, 0);
	dyntable_free(c);
	assert_int_equal(hc.cleanup, 1);
}

/* ---- poll adapter ------------------------------------------------------------ */

static void
test_poll_adapter(void **state)
{
	struct loop_state ls = { NULL, 0, 0 };
	struct expect exists, list, missing, wait, metrics;
	const char *name = tname("polled");
	dyntable_table_def d = simple_def(name);
	dyntable_ctx *c;
	dyntable_result *r;
	long long t0;

	c = connect_ok();
	create_ok(c, &d, false);
	dyntable_free(c);

	expect_init(&wait, &ls, "wait active", DYNTABLE_OP_WAIT_TABLE_ACTIVE,
	    DYNTABLE_OK);
	expect_init(&exists, &ls, "exists", DYNTABLE_OP_TABLE_EXISTS,
	    DYNTABLE_OK);
	expect_init(&list, &ls, "list", DYNTABLE_OP_LIST_TABLES, DYNTABLE_OK);
	expect_init(&missing, &ls, "describe missing",
	    DYNTABLE_OP_DESCRIBE_TABLE, DYNTABLE_ERR_NOT_FOUND);
	expect_init(&metrics, &ls, "metrics", DYNTABLE_OP_METRICS, DYNTABLE_OK);

	c = connect_ok();
	assert_int_equal(dyntable_poll_attach(c), DYNTABLE_OK);
	assert_int_equal(dyntable_wait_for_table_active(c, name, WAIT_MS,
	    on_expect, &wait), DYNTABLE_OK);
	assert_int_equal(dyntable_table_exists(c, name, on_expect, &exists),
	    DYNTABLE_OK);
	assert_int_equal(dyntable_list_tables(c, on_expect, &list),
	    DYNTABLE_OK);
	assert_int_equal(dyntable_describe_table(c, tname("poll-missing"),
	    on_expect, &missing), DYNTABLE_OK);
	assert_int_equal(dyntable_daemon_metrics(c, on_expect, &metrics),
	    DYNTABLE_OK);
	ls.outstanding = 5;

	t0 = now_ms();
	while (ls.outstanding > 0) {
		if (dyntable_poll_tick(c, 100) < 0)
			fail_msg("dyntable_poll_tick failed: %s",
			    dyntable_errstr(c));
		if (now_ms() - t0 > LOOP_LIMIT_S * 1000LL)
			fail_msg("%d callbacks outstanding after %d s",
			    ls.outstanding, LOOP_LIMIT_S);
	}
	check_expect(&wait);
	check_expect(&exists);
	check_expect(&list);
	check_expect(&missing);
	check_expect(&metrics);
	assert_string_equal(wait.table_status, "ACTIVE");
	assert_true(exists.order < wait.order);

	/* More ticks fire nothing twice. */
	assert_true(dyntable_poll_tick(c, 0) >= 0);
	assert_int_equal(ls.answered, 5);

	r = dyntable_sync_describe_table(c, name);
	assert_status(r, DYNTABLE_ERR_USAGE);
	dyntable_result_free(r);
	dyntable_free(c);

	c = connect_ok();
	delete_ok(c, name);
	dyntable_free(c);
}

/* truncate_table, blocking and through libevent: an empty table (the
 * item counts are e2e.truncate's), a missing one, and the calls the
 * daemon made for it. */
static void
on_truncated(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	struct expect *e = privdata;

	(void)c;
	if (r->status == DYNTABLE_OK && r->deleted == 0)
		snprintf(e->table_status, sizeof(e->table_status), "0 deleted");
	on_expect(c, r, e);
}

static void
test_truncate(void **state)
{
	const char *name = tname("truncated");
	dyntable_table_def d = simple_def(name);
	struct event_base *base = event_base_new();
	struct expect ok, missing;
	dyntable_ctx *c;
	dyntable_result *r;
	json_t *scans;

	(void)state;
	assert_non_null(base);
	c = connect_ok();
	create_ok(c, &d, true);
	r = dyntable_sync_truncate_table(c, name, false);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_TRUNCATE_TABLE);
	assert_int_equal(r->deleted, 0);
	dyntable_result_free(r);
	r = dyntable_sync_truncate_table(c, tname("truncate-missing"), true);
	assert_status(r, DYNTABLE_ERR_NOT_FOUND);
	dyntable_result_free(r);
	scans = recorded("Scan", name);
	assert_true(json_array_size(scans) >= 1);
	json_decref(scans);

	assert_int_equal(dyntable_libevent_attach(c, base), DYNTABLE_OK);
	{
		struct loop_state ls = { .base = base, .outstanding = 2 };

		expect_init(&ok, &ls, "truncate", DYNTABLE_OP_TRUNCATE_TABLE,
		    DYNTABLE_OK);
		expect_init(&missing, &ls, "truncate missing",
		    DYNTABLE_OP_TRUNCATE_TABLE, DYNTABLE_ERR_NOT_FOUND);
		assert_int_equal(dyntable_truncate_table(c, name, false,
		    on_truncated, &ok), DYNTABLE_OK);
		assert_int_equal(dyntable_truncate_table(c,
		    tname("truncate-missing"), false, on_truncated, &missing),
		    DYNTABLE_OK);
		run_until_done(&ls);
	}
	check_expect(&ok);
	check_expect(&missing);
	assert_string_equal(ok.table_status, "0 deleted");
	assert_int_equal(dyntable_truncate_table(c, NULL, false, on_truncated,
	    &ok), DYNTABLE_ERR_INVALID);
	dyntable_free(c);
	event_base_free(base);
	c = connect_ok();
	delete_ok(c, name);
	dyntable_free(c);
}

/* lease_table, release_table, pools: blocking and through libevent. */
static void
test_lease(void **state)
{
	dyntable_table_def d = simple_def(NULL);
	struct event_base *base = event_base_new();
	const char *logical = tname("leased");
	struct expect lease_x, release_x;
	char leased[256];
	dyntable_ctx *c;
	dyntable_result *r;

	(void)state;
	assert_non_null(base);
	c = connect_ok();
	r = dyntable_sync_lease_table(c, &d, logical, WAIT_MS);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_LEASE_TABLE);
	assert_non_null(r->leased);
	assert_true(strncmp(r->leased, "dyntable-pool-", 14) == 0);
	assert_non_null(r->pool);
	assert_non_null(r->table);
	assert_str(r->table->name, r->leased);
	snprintf(leased, sizeof(leased), "%s", r->leased);
	dyntable_result_free(r);
	/* The logical name stands for it. */
	r = dyntable_sync_describe_table(c, logical);
	assert_status(r, DYNTABLE_OK);
	assert_str(r->table->name, leased);
	dyntable_result_free(r);
	r = dyntable_sync_pools(c);
	assert_status(r, DYNTABLE_OK);
	assert_non_null(r->pools_json);
	assert_non_null(strstr(r->pools_json, "\"leased\":1"));
	dyntable_result_free(r);
	r = dyntable_sync_release_table(c, logical);
	assert_status(r, DYNTABLE_OK);
	assert_str(r->leased, leased);
	dyntable_result_free(r);
	r = dyntable_sync_release_table(c, logical);
	assert_status(r, DYNTABLE_ERR_NOT_FOUND);
	dyntable_result_free(r);

	assert_int_equal(dyntable_libevent_attach(c, base), DYNTABLE_OK);
	{
		struct loop_state ls = { .base = base, .outstanding = 2 };

		expect_init(&lease_x, &ls, "lease", DYNTABLE_OP_LEASE_TABLE,
		    DYNTABLE_OK);
		expect_init(&release_x, &ls, "release missing",
		    DYNTABLE_OP_RELEASE_TABLE, DYNTABLE_ERR_NOT_FOUND);
		assert_int_equal(dyntable_lease_table_json(c, "{\"Attribute"
		    "Definitions\":[{\"AttributeName\":\"pk\",\"Attribute"
		    "Type\":\"S\"}],\"KeySchema\":[{\"AttributeName\":"
		    "\"pk\",\"KeyType\":\"HASH\"}],\"BillingMode\":"
		    "\"PAY_PER_REQUEST\"}", NULL, 0, on_expect, &lease_x),
		    DYNTABLE_OK);
		assert_int_equal(dyntable_release_table(c, tname("not-leased"),
		    on_expect, &release_x), DYNTABLE_OK);
		run_until_done(&ls);
	}
	check_expect(&lease_x);
	check_expect(&release_x);
	assert_int_equal(dyntable_release_table(c, NULL, on_expect,
	    &release_x), DYNTABLE_ERR_INVALID);
	dyntable_free(c); /* the session's lease goes back after the grace */
	event_base_free(base);
}

/* ---- after CreateTable (issue 16): update, TTL, tags, backups ---------- */

/* The blocking calls, then the same operations through the poll adapter,
 * against dynalite (it lacks UpdateContinuousBackups: answered AWS). */
static void
test_update_ttl_tags(void **state)
{
	const char *name = tname("upd");
	dyntable_table_def d = simple_def(name);
	dyntable_wait_opts w = { .timeout_ms = WAIT_MS };
	static const dyntable_tag tags[] = { { "team", "c" }, { "env", NULL } };
	static const char *const keys[] = { "env" };
	struct loop_state ls = { NULL, 0, 0 };
	struct expect upd, lst, bak;
	char doc[256];
	dyntable_result *r;
	dyntable_ctx *c;
	json_t *reqs, *j;
	long before;
	long long t0;

	d.options.billing_mode = DYNTABLE_PROVISIONED;
	create_ok(sc, &d, true);
	snprintf(doc, sizeof doc, "{\"TableName\":\"%s\",\"ProvisionedThroughput\":"
	    "{\"ReadCapacityUnits\":9,\"WriteCapacityUnits\":8}}", name);
	r = dyntable_sync_update_table_json(sc, name, doc, &w);
	assert_status(r, DYNTABLE_OK);
	assert_int_equal(r->op, DYNTABLE_OP_UPDATE_TABLE);
	assert_str(r->table->status, "ACTIVE");
	assert_int_equal(r->table->read_capacity, 9);
	dyntable_result_free(r);

	/* A TableName that is not the table: refused before sending. */
	before = reqlog_count();
	r = dyntable_sync_update_table_json(sc, name,
	    "{\"TableName\":\"other\",\"TableClass\":\"STANDARD\"}", NULL);
	assert_status(r, DYNTABLE_ERR_INVALID);
	dyntable_result_free(r);
	assert_int_equal(reqlog_count(), before);

	r = dyntable_sync_tag_resource(sc, name, tags, 2);
	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
	r = dyntable_sync_untag_resource(sc, name, keys, 1);
	assert_status(r, DYNTABLE_OK);
	dyntable_result_free(r);
	r = dyntable_sync_list_tags_of_resource(sc, name);
	assert_status(r, DYNTABLE_OK);
	assert_str(r->json, "[{\"Key\":\"team\",\"Value\":\"c\"}]");
	dyntable_result_free(r);
	r = dyntable_sync_describe_time_to_live(sc, name);
	assert_status(r, DYNTABLE_OK);
	j = json_loads(r->json, 0, NULL);
	assert_str(json_string_value(json_object_get(j, "TimeToLiveStatus")),
	    "DISABLED");
	json_decref(j);
	dyntable_result_free(r);

	c = connect_ok();
	expect_init(&upd, &ls, "update_table", DYNTABLE_OP_UPDATE_TABLE,
	    DYNTABLE_OK);
	expect_init(&lst, &ls, "list_tags", DYNTABLE_OP_LIST_TAGS_OF_RESOURCE,
	    DYNTABLE_OK);
	expect_init(&bak, &ls, "describe_continuous_backups",
	    DYNTABLE_OP_DESCRIBE_CONTINUOUS_BACKUPS, DYNTABLE_ERR_AWS);
	assert_int_equal(dyntable_poll_attach(c), DYNTABLE_OK);
	assert_int_equal(dyntable_update_table_json(c, name,
	    "{\"ProvisionedThroughput\":{\"ReadCapacityUnits\":4,"
	    "\"WriteCapacityUnits\":4}}", &w, on_expect, &upd), DYNTABLE_OK);
	assert_int_equal(dyntable_list_tags_of_resource(c, name, on_expect,
	    &lst), DYNTABLE_OK);
	assert_int_equal(dyntable_describe_continuous_backups(c, name,
	    on_expect, &bak), DYNTABLE_OK);
	ls.outstanding = 3;
	t0 = now_ms();
	while (ls.outstanding > 0) {
		if (dyntable_poll_tick(c, 100) < 0)
			fail_msg("dyntable_poll_tick failed");
		if (now_ms() - t0 > LOOP_LIMIT_S * 1000LL)
			fail_msg("%d callbacks outstanding after %d s",
			    ls.outstanding, LOOP_LIMIT_S);
	}
	check_expect(&upd);
	check_expect(&lst);
	check_expect(&bak);
	assert_string_equal(upd.table_status, "ACTIVE");
	dyntable_free(c);
	delete_ok(sc, name);

	reqs = recorded("UpdateTable", name);
	assert_int_equal(json_array_size(reqs), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_array_get(reqs, 1), "ProvisionedThroughput"),
	    "ReadCapacityUnits")), 4);
	json_decref(reqs);
}

int
main(void)
{
	const struct CMUnitTest sync_tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_create_default_lifecycle),
		cmocka_unit_test(test_create_provisioned),
		cmocka_unit_test(test_create_sort_key),
		cmocka_unit_test(test_create_wait_and_in_use),
		cmocka_unit_test(test_missing_table),
		cmocka_unit_test(test_delete_with_wait),
		cmocka_unit_test(test_list_all_pages),
		cmocka_unit_test(test_invalid_definitions),
		cmocka_unit_test(test_update_ttl_tags),
	};
	const struct CMUnitTest async_tests[] = {
		cmocka_unit_test(test_libevent_pipelined_out_of_order),
		cmocka_unit_test(test_poll_adapter),
		cmocka_unit_test(test_written_at_once),
		cmocka_unit_test(test_disconnect_while_waiting),
		cmocka_unit_test(test_libevent_many_clients),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_lease),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("e2e.client.sync", sync_tests,
	    sync_setup, sync_teardown);
	failed += cmocka_run_group_tests_name("e2e.client.async", async_tests,
	    NULL, NULL);
	return failed == 0 ? 0 : 1;
}
