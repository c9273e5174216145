/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of the upstream queue (daemon/upstream.c): with more
 * calls than --max-connections, the daemon sends at most that many at
 * once, the rest wait in its own queue in order, every call is answered
 * exactly once, retries queue again, and a queued call whose client
 * leaves is never sent. Raw protocol (rawc.h) against dynalite through
 * the fault-injecting proxy (proxyctl.h), which holds each DescribeTable
 * for DELAY_MS; the daemon runs with `--max-connections 2` (see
 * CMakeLists.txt). Skips without the proxy.
 *
 * Table names start with "q-PID-".
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

#define LONG_MS 20000 /* a generous bound for anything to settle */
#define CONNS 2	      /* the daemon's --max-connections here */
#define DELAY_MS 300  /* injected into every DescribeTable */
#define STR(x) XSTR(x)
#define XSTR(x) #x

/* The proxy's control API: see e2e_need_env(). */
#define NEED_PROXY() e2e_need_env("DYNTABLE_TEST_CONTROL")


static void
faults(const char *rules)
{
	if (pc_faults(rules) != 0)
		fail_msg("cannot set faults %s", rules);
}

/* Sends describe_table for "q-PID-<prefix><i>"; returns the request id. */
static uint32_t
send_describe(rawc *c, const char *prefix, int i)
{
	char what[32];
	json_t *a;
	uint32_t id;

	snprintf(what, sizeof(what), "%s%d", prefix, i);
	a = json_pack("{s:s}", "name", raw_tname("q", what));
	id = rawc_send(c, "describe_table", a);
	json_decref(a);
	assert_int_not_equal(id, 0);
	return id;
}

/* Reads n replies on c: each of ids[] answered exactly once, each the
 * NOT_FOUND of a missing table (retries, if any, stay inside). */
static void
recv_all(rawc *c, const uint32_t *ids, int n)
{
	bool seen[64] = { false };

	assert_true(n <= 64);
	for (int k = 0; k < n; k++) {
		json_t *rep = rawc_recv(c, LONG_MS);
		json_int_t id;
		int i;

		if (rep == NULL)
			fail_msg("reply %d of %d: none", k + 1, n);
		id = json_integer_value(json_object_get(rep, "id"));
		for (i = 0; i < n && ids[i] != (uint32_t)id; i++)
			;
		if (i == n || seen[i])
			fail_msg("reply for id %lld: unknown or repeated",
			    (long long)id);
		seen[i] = true;
		if (rawc_ok(rep) || rawc_err_name(rep) == NULL ||
		    strcmp(rawc_err_name(rep), "NOT_FOUND") != 0)
			fail_msg("id %lld: not NOT_FOUND", (long long)id);
		json_decref(rep);
	}
}

/* The index i of "q-PID-<prefix><i>" in a logged DescribeTable, or -1. */
static int
logged_index(json_t *e, const char *prefix)
{
	const char *name = json_string_value(json_object_get(json_object_get(
	    e, "body"), "TableName"));
	const char *want = raw_tname("q", prefix);
	size_t n = strlen(want);

	if (name == NULL || strncmp(name, want, n) != 0)
		return -1;
	return (int)strtol(name + n, NULL, 10);
}

/* ---- at most CONNS at once, in order ------------------------------------ */

static void
test_limit_and_order(void **state)
{
	enum { N = 12 };
	rawc *c = raw_connect_ok();
	uint32_t ids[N];
	json_t *log, *e, *rep;
	json_int_t start[N] = { 0 }, end[N] = { 0 };
	long long t0, ms;
	int peak = 0, last = 0, got = 0;
	size_t k;

	NEED_PROXY();
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"DescribeTable\",\"action\":\"delay\","
	    "\"ms\":" STR(DELAY_MS) "}]");
	t0 = rawc_now_ms();
	for (int i = 0; i < N; i++)
		ids[i] = send_describe(c, "order", i);
	recv_all(c, ids, N);
	ms = rawc_now_ms() - t0;
	faults("[]");

	/* The log line is written when the answer goes back, DELAY_MS after
	 * the call came in: [t - DELAY_MS, t) is the call at the proxy. */
	log = pc_log("DescribeTable");
	assert_non_null(log);
	json_array_foreach(log, k, e) {
		int i = logged_index(e, "order");

		if (i < 0)
			continue;
		assert_true(i < N);
		end[got] = json_integer_value(json_object_get(e, "t"));
		start[got] = end[got] - DELAY_MS;
		got++;
		/* Oldest first: call i goes once a call two before it is
		 * answered, so the pairs (0,1), (2,3)... come in order. */
		if (i / CONNS < last / CONNS)
			fail_msg("call %d answered after call %d", i, last);
		last = i;
	}
	json_decref(log);
	assert_int_equal(got, N);
	for (int a = 0; a < N; a++) {
		int n = 0;

		for (int b = 0; b < N; b++)
			if (start[b] <= start[a] && start[a] < end[b])
				n++;
		if (n > peak)
			peak = n;
	}
	printf("queue: %d calls, --max-connections %d, %d ms each: answered "
	    "in %lld ms, at most %d at once at the proxy\n", N, CONNS,
	    DELAY_MS, ms, peak);
	assert_true(peak == CONNS);
	assert_true(ms >= (N / CONNS) * DELAY_MS - 50);
	/* Nothing is left behind. */
	rep = rawc_call(c, "status", NULL, LONG_MS);
	raw_check_ok(rep, "status");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    rawc_result(rep), "upstream"), "in_flight")), 0);
	json_decref(rep);
	rawc_close(c);
}

/* Retries (throttled, then 500s) leave their handle while they back off
 * and queue again; calls from many clients are all answered once. The
 * first two calls are held until every call is queued, so the faults
 * fall on six different calls' first attempts (a retry queues behind). */
static void
test_many_clients_with_retries(void **state)
{
	enum { NC = 6, PER = 3 };
	rawc *cs[NC];
	uint32_t ids[NC][PER];
	char prefix[16];

	NEED_PROXY();
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"DescribeTable\",\"action\":\"delay\","
	    "\"ms\":200,\"count\":2},"
	    "{\"target\":\"DescribeTable\",\"action\":\"throttle\","
	    "\"count\":3},{\"target\":\"DescribeTable\",\"action\":"
	    "\"status500\",\"count\":3},{\"target\":\"DescribeTable\","
	    "\"action\":\"delay\",\"ms\":100}]");
	for (int c = 0; c < NC; c++)
		cs[c] = raw_connect_ok();
	for (int i = 0; i < PER; i++)
		for (int c = 0; c < NC; c++) {
			snprintf(prefix, sizeof(prefix), "many%d-", c);
			ids[c][i] = send_describe(cs[c], prefix, i);
		}
	for (int c = 0; c < NC; c++) {
		recv_all(cs[c], ids[c], PER);
		rawc_close(cs[c]);
	}
	faults("[]");
	/* Each call reached DynamoDB once, plus the 6 failed attempts. */
	assert_int_equal(pc_count("DescribeTable"), NC * PER + 6);
}

/* ---- a queued call whose client leaves ------------------------------------ */

static void
test_queued_cancel(void **state)
{
	rawc *a = raw_connect_ok(), *b = raw_connect_ok();
	uint32_t ids[2];
	long long t0, ms;

	NEED_PROXY();
	assert_int_equal(pc_reset(), 0);
	faults("[{\"target\":\"DescribeTable\",\"action\":\"delay\","
	    "\"ms\":400}]");
	t0 = rawc_now_ms();
	for (int i = 0; i < 4; i++) /* 2 sent, 2 queued */
		send_describe(a, "gone", i);
	e2e_sleep_ms(50);
	for (int i = 0; i < 2; i++) /* queued behind a's */
		ids[i] = send_describe(b, "stays", i);
	e2e_sleep_ms(100);
	rawc_close(a); /* its 2 in flight are cancelled, its 2 queued dropped */
	recv_all(b, ids, 2);
	ms = rawc_now_ms() - t0;
	printf("queue: the other client's 2 calls answered after %lld ms\n",
	    ms);
	/* a's handles went to b at once: b did not wait for a's queued
	 * calls (that would be 3 x 400 ms). */
	if (ms >= 1100)
		fail_msg("b answered after %lld ms: a's queued calls ran", ms);
	e2e_sleep_ms(500); /* whatever a's queue could have sent is in */
	faults("[]");
	assert_int_equal(pc_count("DescribeTable"), 4);
	rawc_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_order),
		cmocka_unit_test(test_many_clients_with_retries),
		cmocka_unit_test(test_queued_cancel),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
