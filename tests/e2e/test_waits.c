/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of the daemon's shared waits, retries and mutation
 * limit, over the raw protocol (rawc.h) against dynalite through the
 * fault-injecting proxy (proxyctl.h). Run by harness.sh with the daemon
 * started as `dyntabled ... --max-mutations 4` (see CMakeLists.txt); the
 * tests that need the proxy skip without it.
 *
 * Table names start with "w-PID-".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "e2e_env.h"
#include "proxyctl.h"
#include "raw_check.h"
#include "rawc.h"

#define LONG_MS 20000	     /* a generous bound for anything to settle */
#define LIMIT 4		     /* the daemon's --max-mutations here */
#define CREATE_DELAY_MS 400  /* injected into every CreateTable */

static const char *
tname(const char *what)
{
	return raw_tname("w", what);
}

static void
check_err(json_t *rep, const char *name, const char *aws_type,
    const char *what)
{
	if (rep == NULL)
		fail_msg("%s: no reply", what);
	if (rawc_ok(rep) || rawc_err_name(rep) == NULL ||
	    strcmp(rawc_err_name(rep), name) != 0 ||
	    (aws_type != NULL && (rawc_err_aws_type(rep) == NULL ||
	    strcmp(rawc_err_aws_type(rep), aws_type) != 0))) {
		char *s = json_dumps(rep, JSON_COMPACT);

		fail_msg("%s: expected %s (%s), got %s", what, name,
		    aws_type != NULL ? aws_type : "-", s != NULL ? s : "?");
	}
}


static json_t *
name_args(const char *name, int timeout_ms)
{
	return timeout_ms > 0 ? json_pack("{s:s,s:i}", "name", name,
	    "timeout_ms", timeout_ms) : json_pack("{s:s}", "name", name);
}

static json_t *
call_name(rawc *c, const char *op, const char *name, int timeout_ms)
{
	json_t *a = name_args(name, timeout_ms), *rep;

	rep = rawc_call(c, op, a, LONG_MS + 5000);
	json_decref(a);
	return rep;
}

/* create_table without a wait; answers ok. */
static void
create(rawc *c, const char *name, bool wait)
{
	json_t *a = json_pack("{s:o,s:b}", "table", rawc_table_def(name, NULL),
	    "wait", wait);
	json_t *rep = rawc_call(c, "create_table", a, LONG_MS);

	raw_check_ok(rep, name);
	json_decref(rep);
	json_decref(a);
}

static void
faults(const char *rules)
{
	if (pc_faults(rules) != 0)
		fail_msg("cannot set faults %s", rules);
}

/* The proxy's control API: see e2e_need_env(). */
#define NEED_PROXY() e2e_need_env("DYNTABLE_TEST_CONTROL")

/* ---- coalescing --------------------------------------------------------- */

/* DescribeTable calls made while n waiters (on conns connections) wait
 * for a table created just before. */
static long
describes_for_waiters(const char *name, unsigned n, unsigned conns)
{
	rawc *cs[32];
	json_t *a = name_args(name, LONG_MS), *rep;
	long before, after;
	unsigned got = 0;

	assert_true(conns <= 32);
	for (unsigned i = 0; i < conns; i++)
		cs[i] = raw_connect_ok();
	create(cs[0], name, false);
	before = pc_count("DescribeTable");
	for (unsigned i = 0; i < n; i++)
		assert_int_not_equal(rawc_send(cs[i % conns],
		    "wait_table_active", a), 0);
	for (unsigned i = 0; i < conns; i++) {
		for (unsigned j = i; j < n; j += conns) {
			rep = rawc_recv(cs[i], LONG_MS);
			raw_check_ok(rep, "a waiter");
			assert_string_equal(json_string_value(json_object_get(
			    json_object_get(rawc_result(rep), "table"),
			    "TableStatus")), "ACTIVE");
			json_decref(rep);
			got++;
		}
	}
	after = pc_count("DescribeTable");
	assert_int_equal(got, n);
	for (unsigned i = 0; i < conns; i++)
		rawc_close(cs[i]);
	json_decref(a);
	return after - before;
}

static void
test_coalescing(void **state)
{
	long one, many;

	NEED_PROXY();
	one = describes_for_waiters(tname("coal1"), 1, 1);
	many = describes_for_waiters(tname("coal200"), 200, 20);
	printf("coalescing: DescribeTable calls: 1 waiter %ld, 200 waiters "
	    "%ld\n", one, many);
	assert_true(one >= 1);
	/* One poller either way; jitter may cost a call or two. */
	if (many > one + 4)
		fail_msg("200 waiters made %ld DescribeTable calls, 1 waiter "
		    "%ld: not coalesced", many, one);
}

/* ---- deadlines and disconnects ------------------------------------------ */

static void
test_deadline(void **state)
{
	rawc *c = raw_connect_ok();
	long long t0 = rawc_now_ms();
	json_t *rep = call_name(c, "wait_table_active", tname("never"), 400);
	long long ms = rawc_now_ms() - t0;

	check_err(rep, "TIMEOUT", NULL, "wait on a missing table");
	if (ms < 380 || ms > 1500)
		fail_msg("a 400 ms wait answered after %lld ms", ms);
	json_decref(rep);
	/* The same for the deleted goal, on an existing table. */
	create(c, tname("stays"), true);
	t0 = rawc_now_ms();
	rep = call_name(c, "wait_table_deleted", tname("stays"), 300);
	ms = rawc_now_ms() - t0;
	check_err(rep, "TIMEOUT", NULL, "wait for an undeleted table");
	assert_true(ms >= 280 && ms <= 1500);
	json_decref(rep);
	rawc_close(c);
}

static void
test_disconnect_stops_poller(void **state)
{
	rawc *c = raw_connect_ok(), *other;
	json_t *a = name_args(tname("gone"), LONG_MS), *rep;
	long c1, c2, c3;

	NEED_PROXY();
	assert_int_not_equal(rawc_send(c, "wait_table_active", a), 0);
	e2e_sleep_ms(400);
	c1 = pc_count("DescribeTable");
	rawc_close(c); /* mid-wait */
	e2e_sleep_ms(300); /* a poll in flight may still land */
	c2 = pc_count("DescribeTable");
	e2e_sleep_ms(700);
	c3 = pc_count("DescribeTable");
	printf("disconnect: DescribeTable calls %ld, %ld after closing, %ld "
	    "0.7 s later\n", c1, c2, c3);
	assert_true(c1 > 0);
	if (c3 != c2)
		fail_msg("the poller went on after its only waiter left "
		    "(%ld then %ld calls)", c2, c3);
	/* The daemon still serves, and its counters agree. */
	other = raw_connect_ok();
	rep = rawc_call(other, "status", NULL, LONG_MS);
	raw_check_ok(rep, "status");
	assert_int_equal(json_integer_value(json_object_get(rawc_result(rep),
	    "pollers")), 0);
	json_decref(rep);
	rawc_close(other);
	json_decref(a);
}

/* ---- table_only ------------------------------------------------------- */

static void
test_table_only(void **state)
{
	rawc *c = raw_connect_ok();
	const char *name = tname("only");
	json_t *a = json_pack("{s:o,s:b,s:b}", "table",
	    rawc_table_def(name, "byg"), "wait", 1, "table_only", 1);
	json_t *rep = rawc_call(c, "create_table", a, LONG_MS);

	raw_check_ok(rep, "create with wait and table_only");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableStatus")), "ACTIVE");
	json_decref(rep);
	json_decref(a);
	a = json_pack("{s:s,s:b}", "name", name, "table_only", 1);
	rep = rawc_call(c, "wait_table_active", a, LONG_MS);
	raw_check_ok(rep, "wait_table_active table_only");
	json_decref(rep);
	/* Meaningless for the deleted goal: refused by name. */
	rep = rawc_call(c, "wait_table_deleted", a, LONG_MS);
	check_err(rep, "INVALID", NULL, "wait_table_deleted table_only");
	json_decref(rep);
	json_decref(a);
	a = json_pack("{s:s,s:s}", "name", name, "table_only", "yes");
	rep = rawc_call(c, "wait_table_active", a, LONG_MS);
	check_err(rep, "INVALID", NULL, "table_only not a bool");
	json_decref(rep);
	json_decref(a);
	rawc_close(c);
}

/* ---- retries ----------------------------------------------------------- */

/* Runs op on name with rules injected; checks it succeeds, that the
 * faults were hit `hits` times and DynamoDB saw hits + 1 calls. */
static void
survives(rawc *c, const char *rules, const char *op, const char *target,
    json_t *args, long hits)
{
	json_t *rep, *st;
	long long t0;

	assert_int_equal(pc_reset(), 0);
	faults(rules);
	t0 = rawc_now_ms();
	rep = rawc_call(c, op, args, LONG_MS);
	raw_check_ok(rep, rules);
	json_decref(rep);
	st = pc_stats();
	printf("retries: %s with %s: answered in %lld ms, %lld faults, %lld "
	    "calls\n", op, rules, rawc_now_ms() - t0,
	    json_integer_value(json_object_get(json_object_get(st, "faults"),
	    target)), json_integer_value(json_object_get(json_object_get(st,
	    "targets"), target)));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st,
	    "faults"), target)), hits);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st,
	    "targets"), target)), hits + 1);
	json_decref(st);
	faults("[]");
}

static void
test_retries_survive(void **state)
{
	rawc *c = raw_connect_ok();
	const char *name = tname("retry");
	json_t *a;

	NEED_PROXY();
	create(c, name, true);
	a = name_args(name, 0);
	survives(c, "[{\"target\":\"DescribeTable\",\"action\":\"throttle\","
	    "\"count\":2}]", "describe_table", "DescribeTable", a, 2);
	survives(c, "[{\"target\":\"DescribeTable\",\"action\":\"status500\","
	    "\"count\":2}]", "describe_table", "DescribeTable", a, 2);
	survives(c, "[{\"target\":\"DescribeTable\",\"action\":\"reset\","
	    "\"count\":2}]", "table_exists", "DescribeTable", a, 2);
	json_decref(a);
	a = json_pack("{s:o}", "table", rawc_table_def(tname("limited"),
	    NULL));
	survives(c, "[{\"target\":\"CreateTable\",\"action\":"
	    "\"limit_exceeded\",\"count\":2}]", "create_table", "CreateTable",
	    a, 2);
	json_decref(a);
	/* A wait rides out faults on its polls. */
	a = json_pack("{s:o,s:b}", "table", rawc_table_def(tname("waitfault"),
	    NULL), "wait", 1);
	faults("[{\"target\":\"DescribeTable\",\"action\":\"status500\","
	    "\"count\":4},{\"target\":\"DescribeTable\",\"action\":"
	    "\"throttle\",\"count\":2}]");
	json_t *rep = rawc_call(c, "create_table", a, LONG_MS);
	raw_check_ok(rep, "create and wait through faults");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableStatus")), "ACTIVE");
	json_decref(rep);
	json_decref(a);
	faults("[]");
	rawc_close(c);
}

static void
test_not_retried(void **state)
{
	rawc *c = raw_connect_ok();
	const char *name = tname("nr");
	json_t *rep, *a;
	long long t0;

	NEED_PROXY();
	create(c, name, true);
	/* Not retryable: answered at once, with DynamoDB's type. */
	assert_int_equal(pc_reset(), 0);
	t0 = rawc_now_ms();
	rep = call_name(c, "describe_table", tname("missing"), 0);
	check_err(rep, "NOT_FOUND", "ResourceNotFoundException", "describe");
	json_decref(rep);
	assert_true(rawc_now_ms() - t0 < 1000);
	assert_int_equal(pc_count("DescribeTable"), 1);
	t0 = rawc_now_ms();
	a = json_pack("{s:o}", "table", rawc_table_def(name, NULL));
	rep = rawc_call(c, "create_table", a, LONG_MS);
	check_err(rep, "IN_USE", "ResourceInUseException", "create twice");
	json_decref(rep);
	json_decref(a);
	assert_true(rawc_now_ms() - t0 < 1000);
	assert_int_equal(pc_count("CreateTable"), 1);
	/* Throttled for good: retried (3 attempts), then the error. */
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"DescribeTable\",\"action\":\"throttle\"}]");
	t0 = rawc_now_ms();
	rep = call_name(c, "describe_table", name, 0);
	check_err(rep, "AWS", "ThrottlingException", "always throttled");
	json_decref(rep);
	printf("retries: always throttled: error after %lld ms, %ld calls\n",
	    rawc_now_ms() - t0, pc_count("DescribeTable"));
	assert_int_equal(pc_count("DescribeTable"), 3);
	faults("[]");
	rawc_close(c);
}

/* ---- the mutation limiter ------------------------------------------------ */

/* Most CreateTable calls in flight at once at the proxy. Each log line is
 * written when the answer goes back, CREATE_DELAY_MS after the call came
 * in (plus dynalite's own few ms): [t - delay, t) is inside the real
 * interval, so this never overestimates. */
static int
max_concurrent_creates(void)
{
	json_t *log = pc_log("CreateTable"), *e;
	size_t i, j;
	int best = 0;

	assert_non_null(log);
	json_array_foreach(log, i, e) {
		json_int_t s = json_integer_value(json_object_get(e, "t")) -
		    CREATE_DELAY_MS;
		int n = 0;

		if (json_object_get(e, "fault") == NULL)
			continue;
		for (j = 0; j < json_array_size(log); j++) {
			json_t *o = json_array_get(log, j);
			json_int_t t = json_integer_value(json_object_get(o, "t"));

			if (json_object_get(o, "fault") != NULL &&
			    t - CREATE_DELAY_MS <= s && s < t)
				n++;
		}
		if (n > best)
			best = n;
	}
	json_decref(log);
	return best;
}

static void
test_mutation_limit(void **state)
{
	enum { N = 16 };
	rawc *a = raw_connect_ok(), *b = raw_connect_ok();
	json_t *args, *rep;
	long long t0, tb = 0, ta_last = 0;
	char name[64];
	int peak;

	NEED_PROXY();
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"CreateTable\",\"action\":\"delay\",\"ms\":400}]");
	t0 = rawc_now_ms();
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%s%d", tname("flood"), i);
		args = json_pack("{s:o}", "table", rawc_table_def(name, NULL));
		assert_int_not_equal(rawc_send(a, "create_table", args), 0);
		json_decref(args);
	}
	e2e_sleep_ms(100); /* a's creates are queued by now */
	args = json_pack("{s:o}", "table", rawc_table_def(tname("single"),
	    NULL));
	rep = rawc_call(b, "create_table", args, LONG_MS);
	tb = rawc_now_ms() - t0;
	raw_check_ok(rep, "the other client's create");
	json_decref(rep);
	json_decref(args);
	for (int i = 0; i < N; i++) {
		rep = rawc_recv(a, LONG_MS);
		raw_check_ok(rep, "a flooding create");
		json_decref(rep);
	}
	ta_last = rawc_now_ms() - t0;
	faults("[]");
	peak = max_concurrent_creates();
	printf("limiter: %d creates from one client, 1 from another, limit "
	    "%d, %d ms each: the other's answered after %lld ms, the last "
	    "of the %d after %lld ms; at most %d CreateTable at once\n", N,
	    LIMIT, CREATE_DELAY_MS, tb, N, ta_last, peak);
	/* Round-robin: b waits for the first batch, then goes. */
	if (tb > 3 * CREATE_DELAY_MS + 300 || tb >= ta_last)
		fail_msg("the single create waited %lld ms behind the flood "
		    "(the flood took %lld ms)", tb, ta_last);
	assert_true(peak <= LIMIT);
	assert_true(peak >= LIMIT - 1); /* the limit is used, not serial */
	assert_true(ta_last >= (N / LIMIT) * (long long)CREATE_DELAY_MS);
	/* The daemon's own count agrees. */
	rep = rawc_call(b, "status", NULL, LONG_MS);
	raw_check_ok(rep, "status");
	{
		json_t *m = json_object_get(rawc_result(rep), "mutations");

		assert_int_equal(json_integer_value(json_object_get(m,
		    "peak")), LIMIT);
		assert_int_equal(json_integer_value(json_object_get(m,
		    "running")), 0);
		assert_int_equal(json_integer_value(json_object_get(m,
		    "queued")), 0);
	}
	json_decref(rep);
	rawc_close(a);
	rawc_close(b);
}

/* A queued create whose client leaves is never sent. */
static void
test_mutation_dropped(void **state)
{
	rawc *a = raw_connect_ok();
	json_t *args;
	char name[64];

	NEED_PROXY();
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"CreateTable\",\"action\":\"delay\",\"ms\":400}]");
	for (int k = 0; k < 2 * LIMIT; k++) {
		snprintf(name, sizeof(name), "%s%d", tname("drop"), k);
		args = json_pack("{s:o}", "table", rawc_table_def(name, NULL));
		assert_int_not_equal(rawc_send(a, "create_table", args), 0);
		json_decref(args);
	}
	e2e_sleep_ms(150);
	rawc_close(a); /* LIMIT sent, LIMIT queued */
	e2e_sleep_ms(1200);
	faults("[]");
	assert_int_equal(pc_count("CreateTable"), LIMIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalescing),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_disconnect_stops_poller),
		cmocka_unit_test(test_table_only),
		cmocka_unit_test(test_retries_survive),
		cmocka_unit_test(test_not_retried),
		cmocka_unit_test(test_mutation_limit),
		cmocka_unit_test(test_mutation_dropped),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
