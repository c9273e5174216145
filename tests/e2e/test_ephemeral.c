/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of sessions, ephemeral tables, reap and namespaces,
 * over the raw protocol (rawc.h), against dynalite behind the proxy.
 * harness.sh starts the daemon with `--ephemeral-grace 2 --ephemeral-ttl
 * 10` (see CMakeLists.txt). argv[1], when given, is the dyntabled binary:
 * the start-up reap test runs a second daemon with it.
 *
 * Table names start with "x-PID-" (namespaces: "nsa-PID", "nsb-PID").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "e2e_env.h"
#include "proxyctl.h"
#include "raw_check.h"
#include "rawc.h"

#define LONG_MS 20000
#define GRACE_MS 2000 /* the daemon's --ephemeral-grace here */
#define TTL_S 10      /* its --ephemeral-ttl */

static const char *daemon_bin; /* argv[1] */

static const char *
tname(const char *what)
{
	return raw_tname("x", what);
}

static void
check_err(json_t *rep, const char *name, const char *what)
{
	if (rep == NULL)
		fail_msg("%s: no reply", what);
	if (rawc_ok(rep) || rawc_err_name(rep) == NULL ||
	    strcmp(rawc_err_name(rep), name) != 0) {
		char *s = json_dumps(rep, JSON_COMPACT);

		fail_msg("%s: expected %s, got %s", what, name,
		    s != NULL ? s : "?");
	}
}

static rawc *
conn_ns(const char *ns, const char *session)
{
	rawc *c = rawc_connect(NULL, ns, session);

	if (c == NULL)
		fail_msg("cannot connect (namespace %s)", ns != NULL ? ns : "-");
	return c;
}

static json_t *
call_name(rawc *c, const char *op, const char *name)
{
	json_t *a = json_pack("{s:s}", "name", name);
	json_t *rep = rawc_call(c, op, a, LONG_MS);

	json_decref(a);
	return rep;
}

/* create_table (with wait); returns the reply's TableDescription's
 * TableName, checked ok. */
static void
create(rawc *c, const char *name, bool ephemeral, const char *want_name)
{
	json_t *a = json_pack("{s:o,s:b,s:b}", "table",
	    rawc_table_def(name, NULL), "wait", 1, "ephemeral", ephemeral);
	json_t *rep = rawc_call(c, "create_table", a, LONG_MS);

	raw_check_ok(rep, name);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableName")), want_name);
	json_decref(rep);
	json_decref(a);
}

/* table_exists through a fresh connection without namespace. */
static bool
exists(const char *name)
{
	rawc *c = conn_ns(NULL, NULL);
	json_t *rep = call_name(c, "table_exists", name);
	bool e;

	raw_check_ok(rep, "table_exists");
	e = json_is_true(json_object_get(rawc_result(rep), "exists"));
	json_decref(rep);
	rawc_close(c);
	return e;
}

/* Waits up to ms for name to be gone; returns how long it took, -1 if it
 * stayed. */
static long long
wait_gone(const char *name, long long ms)
{
	long long t0 = rawc_now_ms();

	while (rawc_now_ms() - t0 < ms) {
		if (!exists(name))
			return rawc_now_ms() - t0;
		e2e_sleep_ms(100);
	}
	return -1;
}

static bool
list_has(json_t *rep, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(rawc_result(rep), "tables"), i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

/* ---- namespaces --------------------------------------------------------- */

static void
test_namespaces(void **state)
{
	char nsa[32], nsb[32], phys_a[96], phys_b[96], longns[80];
	char longname[256];
	rawc *a, *b, *plain;
	json_t *rep, *args;

	snprintf(nsa, sizeof(nsa), "nsa-%ld", (long)getpid());
	snprintf(nsb, sizeof(nsb), "nsb-%ld", (long)getpid());
	snprintf(phys_a, sizeof(phys_a), "%s.users", nsa);
	snprintf(phys_b, sizeof(phys_b), "%s.users", nsb);
	a = conn_ns(nsa, NULL);
	b = conn_ns(nsb, NULL);
	plain = conn_ns(NULL, NULL);
	/* One logical name, two tables. */
	create(a, "users", false, "users");
	create(b, "users", false, "users");
	rep = call_name(a, "describe_table", "users");
	raw_check_ok(rep, "describe in a");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableName")), "users");
	{
		const char *arn = json_string_value(json_object_get(
		    json_object_get(rawc_result(rep), "table"), "TableArn"));

		assert_non_null(arn);
		assert_non_null(strstr(arn, phys_a)); /* ARNs are DynamoDB's */
	}
	json_decref(rep);
	/* list: the namespace's own, unprefixed; all: everything. */
	rep = rawc_call(a, "list_tables", NULL, LONG_MS);
	raw_check_ok(rep, "list in a");
	assert_true(list_has(rep, "users"));
	assert_false(list_has(rep, phys_a));
	assert_false(list_has(rep, phys_b));
	json_decref(rep);
	args = json_pack("{s:b}", "all", 1);
	rep = rawc_call(a, "list_tables", args, LONG_MS);
	raw_check_ok(rep, "list all in a");
	assert_true(list_has(rep, phys_a));
	assert_true(list_has(rep, phys_b));
	assert_false(list_has(rep, "users"));
	json_decref(rep);
	json_decref(args);
	rep = rawc_call(plain, "list_tables", NULL, LONG_MS);
	raw_check_ok(rep, "list without namespace");
	assert_true(list_has(rep, phys_a));
	assert_true(list_has(rep, phys_b));
	json_decref(rep);
	rep = call_name(plain, "describe_table", phys_b);
	raw_check_ok(rep, "the full name without namespace");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableName")), phys_b);
	json_decref(rep);
	/* Deleting a's leaves b's. */
	args = json_pack("{s:s,s:b}", "name", "users", "wait", 1);
	rep = rawc_call(a, "delete_table", args, LONG_MS);
	raw_check_ok(rep, "delete in a");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableName")), "users");
	json_decref(rep);
	json_decref(args);
	rep = call_name(b, "table_exists", "users");
	raw_check_ok(rep, "exists in b");
	assert_true(json_is_true(json_object_get(rawc_result(rep), "exists")));
	json_decref(rep);
	rep = call_name(a, "table_exists", "users");
	assert_false(json_is_true(json_object_get(rawc_result(rep), "exists")));
	json_decref(rep);
	/* Too long once prefixed. */
	memset(longns, 'n', 64);
	longns[64] = '\0';
	memset(longname, 't', 200);
	longname[200] = '\0';
	rawc_close(a);
	a = conn_ns(longns, NULL);
	rep = call_name(a, "describe_table", longname);
	check_err(rep, "INVALID", "a name too long with the prefix");
	json_decref(rep);
	rawc_close(a);
	rawc_close(b);
	rawc_close(plain);
}

static void
test_namespace_invalid(void **state)
{
	const char *bad[] = { "a.b", "", "sp ace", "x/y",
		"0123456789012345678901234567890123456789012345678901234567890123456789" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *rep = NULL;
		rawc *c = rawc_connect_hello(NULL, bad[i], NULL, &rep);

		assert_non_null(c);
		check_err(rep, "INVALID", bad[i]);
		json_decref(rep);
		rawc_close(c);
	}
}

/* ---- sessions ------------------------------------------------------------ */

static void
test_session_tokens(void **state)
{
	rawc *a = conn_ns(NULL, NULL), *b = conn_ns(NULL, NULL), *c;
	json_t *rep = NULL;
	const char *unknown = "0123456789abcdef0123456789abcdef";

	assert_int_equal(strlen(rawc_session(a)), 32);
	assert_string_not_equal(rawc_session(a), rawc_session(b));
	assert_false(rawc_resumed(a));
	/* A live session can be joined. */
	c = conn_ns(NULL, rawc_session(a));
	assert_true(rawc_resumed(c));
	assert_string_equal(rawc_session(c), rawc_session(a));
	rawc_close(c);
	/* An unknown one gives a new session. */
	c = conn_ns(NULL, unknown);
	assert_false(rawc_resumed(c));
	assert_string_not_equal(rawc_session(c), unknown);
	rawc_close(c);
	/* A malformed one fails the hello. */
	c = rawc_connect_hello(NULL, NULL, "XYZ", &rep);
	assert_non_null(c);
	check_err(rep, "INVALID", "bad session token");
	json_decref(rep);
	rawc_close(c);
	rawc_close(a);
	rawc_close(b);
}

/* Forks a client that creates ephemeral table name, hands its session
 * token over a pipe and waits to be killed. Returns its pid. */
static pid_t
ephemeral_child(const char *name, char *token, size_t len)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		rawc *c = rawc_connect(NULL, NULL, NULL);
		json_t *a = json_pack("{s:o,s:b,s:b}", "table",
		    rawc_table_def(name, NULL), "wait", 1, "ephemeral", 1);
		json_t *rep = c != NULL ? rawc_call(c, "create_table", a,
		    LONG_MS) : NULL;

		close(fds[0]);
		if (rep != NULL && rawc_ok(rep))
			n = write(fds[1], rawc_session(c),
			    strlen(rawc_session(c)));
		else
			n = write(fds[1], "fail", 4);
		(void)n;
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	close(fds[1]);
	n = read(fds[0], token, len - 1);
	close(fds[0]);
	assert_true(n > 0);
	token[n] = '\0';
	if (strcmp(token, "fail") == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the child could not create ephemeral table %s", name);
	}
	return pid;
}

static void
test_ephemeral_sigkill(void **state)
{
	const char *name = tname("killed");
	char token[64];
	pid_t pid = ephemeral_child(name, token, sizeof(token));
	long long t0, gone;

	assert_true(exists(name));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	t0 = rawc_now_ms();
	e2e_sleep_ms(GRACE_MS / 2);
	assert_true(exists(name)); /* within grace */
	if (wait_gone(name, GRACE_MS + 10000) < 0)
		fail_msg("ephemeral table %s still there %d ms after its "
		    "owner was killed", name, GRACE_MS + 10000 + GRACE_MS / 2);
	gone = rawc_now_ms() - t0; /* since the kill */
	printf("ephemeral: owner killed; table gone after %lld ms (grace "
	    "%d ms)\n", gone, GRACE_MS);
	assert_true(gone >= GRACE_MS - 200);
}

static void
test_ephemeral_reattach(void **state)
{
	const char *name = tname("kept");
	char token[64];
	pid_t pid = ephemeral_child(name, token, sizeof(token));
	rawc *c;
	json_t *rep;

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	e2e_sleep_ms(300);
	c = conn_ns(NULL, token);
	assert_true(rawc_resumed(c));
	assert_string_equal(rawc_session(c), token);
	e2e_sleep_ms(GRACE_MS + 1500);
	assert_true(exists(name)); /* kept past the grace period */
	rep = call_name(c, "describe_table", name);
	raw_check_ok(rep, "describe the kept table");
	json_decref(rep);
	/* Now this connection is the session's last: closing it lets the
	 * table go. */
	rawc_close(c);
	if (wait_gone(name, GRACE_MS + 10000) < 0)
		fail_msg("%s stayed after its resumed session ended", name);
}

/* An ephemeral table carries its tags (dynalite drops CreateTable's: the
 * daemon adds them), and the owner renews dyntable:expires. */
static void
test_ephemeral_tags(void **state)
{
	const char *name = tname("tagged");
	rawc *c = conn_ns(NULL, NULL);
	json_t *rep, *arg, *t;
	const char *owner = NULL;
	long long first = -1, later = -1;
	long long t0 = rawc_now_ms();
	char arn[256];
	size_t i;
	long status;

	e2e_need_env("DYNTABLE_TEST_DYNALITE_URL");
	create(c, name, true, name);
	rep = call_name(c, "describe_table", name);
	raw_check_ok(rep, "describe");
	snprintf(arn, sizeof(arn), "%s", json_string_value(json_object_get(
	    json_object_get(rawc_result(rep), "table"), "TableArn")));
	json_decref(rep);
	arg = json_pack("{s:s}", "ResourceArn", arn);
	/* Tagged soon after creation, then renewed within TTL/2 + period. */
	while (rawc_now_ms() - t0 < (TTL_S + 5) * 1000LL &&
	    (first < 0 || later <= first)) {
		json_t *tags = pc_dynalite("ListTagsOfResource", arg, &status);
		long long exp = -1;

		assert_non_null(tags);
		json_array_foreach(json_object_get(tags, "Tags"), i, t) {
			const char *k = json_string_value(json_object_get(t,
			    "Key"));
			const char *v = json_string_value(json_object_get(t,
			    "Value"));

			if (strcmp(k, "dyntable:expires") == 0)
				exp = strtoll(v, NULL, 10);
			if (strcmp(k, "dyntable:owner") == 0 && owner == NULL) {
				owner = strdup(v);
			}
		}
		json_decref(tags);
		if (exp >= 0 && first < 0) {
			first = exp;
			assert_true(llabs(exp - (long long)time(NULL) -
			    TTL_S) <= 2);
		} else if (exp > first) {
			later = exp;
		}
		e2e_sleep_ms(250);
	}
	json_decref(arg);
	assert_true(first > 0);
	assert_non_null(owner);
	printf("ephemeral: tags: owner \"%s\", expires %lld, renewed to "
	    "%lld\n", owner, first, later);
	assert_non_null(strstr(owner, "pid="));
	assert_non_null(strstr(owner, "session="));
	assert_null(strstr(owner, rawc_session(c))); /* never the token */
	if (later <= first)
		fail_msg("dyntable:expires was not renewed in %d s", TTL_S + 5);
	free((char *)owner);
	rawc_close(c);
	assert_true(wait_gone(name, GRACE_MS + 10000) >= 0);
}

/* ---- reap ---------------------------------------------------------------- */

/* Creates name straight in dynalite, tagged dyntable:expires = expires
 * (none when < 0), and waits until it is ACTIVE. */
static void
direct_table(const char *name, long long expires)
{
	json_t *def = rawc_table_def(name, NULL), *rep, *arg;
	char exp[32];
	long status = 0;
	rawc *c;

	json_object_set_new(def, "BillingMode", json_string("PAY_PER_REQUEST"));
	rep = pc_dynalite("CreateTable", def, &status);
	json_decref(def);
	if (rep == NULL || status != 200)
		fail_msg("dynalite CreateTable %s: HTTP %ld", name, status);
	if (expires >= 0) {
		snprintf(exp, sizeof(exp), "%lld", expires);
		arg = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "ResourceArn",
		    json_string_value(json_object_get(json_object_get(rep,
		    "TableDescription"), "TableArn")), "Tags", "Key",
		    "dyntable:expires", "Value", exp, "Key", "dyntable:owner",
		    "Value", "host=elsewhere pid=1 session=0");
		json_decref(rep);
		rep = pc_dynalite("TagResource", arg, &status);
		json_decref(arg);
		if (status != 200)
			fail_msg("dynalite TagResource %s: HTTP %ld", name,
			    status);
	}
	json_decref(rep);
	c = conn_ns(NULL, NULL);
	rep = call_name(c, "wait_table_active", name);
	raw_check_ok(rep, "wait for the direct table");
	json_decref(rep);
	rawc_close(c);
}

static void
test_reap(void **state)
{
	const char *old = tname("old"), *future = tname("future"),
	    *untagged = tname("untagged"), *mine = tname("mine");
	char old_s[96];
	long long now = (long long)time(NULL);
	rawc *c, *owner;
	json_t *rep, *arg;
	long status;
	size_t i;
	json_t *v;
	bool found = false;

	e2e_need_env("DYNTABLE_TEST_DYNALITE_URL");
	snprintf(old_s, sizeof(old_s), "%s", old);
	direct_table(old, now - 100);
	direct_table(future, now + 3600);
	direct_table(untagged, -1);
	/* One of our own ephemeral tables, with its expiry forced into the
	 * past: still not reaped while its session lives. */
	owner = conn_ns(NULL, NULL);
	create(owner, mine, true, mine);
	rep = call_name(owner, "describe_table", mine);
	arg = json_pack("{s:s,s:[{s:s,s:s}]}", "ResourceArn",
	    json_string_value(json_object_get(json_object_get(rawc_result(rep),
	    "table"), "TableArn")), "Tags", "Key", "dyntable:expires", "Value",
	    "1");
	json_decref(rep);
	json_decref(pc_dynalite("TagResource", arg, &status));
	json_decref(arg);
	assert_int_equal(status, 200);

	c = conn_ns("somens", NULL); /* reap ignores namespaces */
	rep = rawc_call(c, "reap", NULL, LONG_MS);
	raw_check_ok(rep, "reap");
	{
		char *s = json_dumps(rawc_result(rep), JSON_COMPACT);

		printf("reap: %s\n", s);
		free(s);
	}
	json_array_foreach(json_object_get(rawc_result(rep), "deleted"), i, v) {
		const char *n = json_string_value(v);

		if (strcmp(n, old_s) == 0)
			found = true;
		assert_string_not_equal(n, future);
		assert_string_not_equal(n, untagged);
		assert_string_not_equal(n, mine);
	}
	assert_true(found);
	assert_true(json_integer_value(json_object_get(rawc_result(rep),
	    "checked")) >= 4);
	json_decref(rep);
	assert_true(wait_gone(old, 5000) >= 0);
	assert_true(exists(future));
	assert_true(exists(untagged));
	assert_true(exists(mine));
	rep = rawc_call(c, "status", NULL, LONG_MS);
	raw_check_ok(rep, "status");
	assert_true(json_integer_value(json_object_get(json_object_get(
	    rawc_result(rep), "ephemeral"), "reaped")) >= 1);
	json_decref(rep);
	/* Unknown arguments are refused. */
	arg = json_pack("{s:b}", "dry_run", 1);
	rep = rawc_call(c, "reap", arg, LONG_MS);
	check_err(rep, "INVALID", "reap with an unknown argument");
	json_decref(rep);
	json_decref(arg);
	rawc_close(c);
	rawc_close(owner);
}

/* A second daemon, pointed straight at dynalite, reaps at start-up. */
static void
test_startup_reap(void **state)
{
	const char *dir = e2e_need_env("DYNTABLE_TEST_DIR");
	const char *url = e2e_need_env("DYNTABLE_TEST_DYNALITE_URL");
	const char *name = tname("boot");
	char sock[512], logpath[512], line[512], want[160];
	bool logged = false;
	int status = -1;
	pid_t pid;
	FILE *f;

	if (daemon_bin == NULL)
		fail_msg("usage: test_ephemeral DYNTABLED (the daemon to start)");
	direct_table(name, (long long)time(NULL) - 10);
	snprintf(sock, sizeof(sock), "%s/second.sock", dir);
	snprintf(logpath, sizeof(logpath), "%s/second.log", dir);
	if ((pid = fork()) == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		setenv("AWS_ACCESS_KEY_ID", "AKIDSECOND", 1);
		setenv("AWS_SECRET_ACCESS_KEY", "second-secret", 1);
		unsetenv("AWS_SESSION_TOKEN");
		execl(daemon_bin, daemon_bin, "--socket", sock, "--endpoint",
		    url, "--region", "us-east-1", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	if (wait_gone(name, 10000) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the second daemon's start-up reap left %s", name);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(want, sizeof(want), "reap: deleted %s ", name);
	if ((f = fopen(logpath, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, want) != NULL)
				logged = true;
		fclose(f);
	}
	assert_true(logged);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_namespace_invalid),
		cmocka_unit_test(test_session_tokens),
		cmocka_unit_test(test_ephemeral_sigkill),
		cmocka_unit_test(test_ephemeral_reattach),
		cmocka_unit_test(test_ephemeral_tags),
		cmocka_unit_test(test_reap),
		cmocka_unit_test(test_startup_reap),
	};

	daemon_bin = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
