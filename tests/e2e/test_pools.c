/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of pools (issue 15, daemon/pools.c): leases of a
 * one-GSI definition from a warm pool (50 in a row, each table empty when
 * handed out although the previous lessee left 100 items), concurrent
 * lessees never share a table, a table a lessee altered is replaced,
 * logical names, a killed lessee's tables go back, a killed daemon's
 * tables are reaped. dynalite keeps tables CREATING for 3 s
 * (DYNTABLE_TEST_CREATE_MS=3000: real DynamoDB takes seconds); the daemon
 * runs with --ephemeral-grace 2 --pool-spare 1 (see CMakeLists.txt).
 * argv[1] is the dyntabled binary, for the killed-daemon test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "e2e_env.h"
#include "items.h"
#include "proxyctl.h"
#include "raw_check.h"
#include "rawc.h"

#define LONG_MS	 60000
#define GRACE_MS 2000	/* the daemon's --ephemeral-grace */
#define LEASES	 50

static const char *daemon_bin; /* argv[1] */

/* The one-GSI definition of these tests (no TableName: a lease's). */
static json_t *
gsi_def(void)
{
	return json_pack("{s:[{s:s,s:s},{s:s,s:s}],s:[{s:s,s:s}],s:s,"
	    "s:[{s:s,s:[{s:s,s:s}],s:{s:s}}]}",
	    "AttributeDefinitions", "AttributeName", "pk", "AttributeType", "S",
	    "AttributeName", "g", "AttributeType", "S",
	    "KeySchema", "AttributeName", "pk", "KeyType", "HASH",
	    "BillingMode", "PAY_PER_REQUEST",
	    "GlobalSecondaryIndexes", "IndexName", "by-g", "KeySchema",
	    "AttributeName", "g", "KeyType", "HASH", "Projection",
	    "ProjectionType", "ALL");
}

/* The same definition written otherwise: members and sets in another
 * order, BillingMode as DynamoDB's default would not be. */
static json_t *
gsi_def_reordered(void)
{
	return json_pack("{s:[{s:{s:s},s:[{s:s,s:s}],s:s}],s:s,"
	    "s:[{s:s,s:s}],s:[{s:s,s:s},{s:s,s:s}]}",
	    "GlobalSecondaryIndexes", "Projection", "ProjectionType", "ALL",
	    "KeySchema", "KeyType", "HASH", "AttributeName", "g",
	    "IndexName", "by-g",
	    "BillingMode", "PAY_PER_REQUEST",
	    "KeySchema", "KeyType", "HASH", "AttributeName", "pk",
	    "AttributeDefinitions", "AttributeType", "S", "AttributeName", "g",
	    "AttributeType", "S", "AttributeName", "pk");
}

/* lease_table: the reply (new reference), never NULL. */
static json_t *
lease(rawc *c, json_t *def, const char *logical)
{
	json_t *args = json_pack("{s:o}", "table", def), *rep;

	if (logical != NULL)
		json_object_set_new(args, "name", json_string(logical));
	rep = rawc_call(c, "lease_table", args, LONG_MS);
	json_decref(args);
	if (rep == NULL)
		fail_msg("lease_table: no reply");
	return rep;
}

/* Leases; fails unless it worked. The physical name into out. */
static void
lease_ok(rawc *c, json_t *def, const char *logical, char *out, size_t len,
    bool *fresh)
{
	json_t *rep = lease(c, def, logical), *res;

	raw_check_ok(rep, "lease_table");
	res = rawc_result(rep);
	snprintf(out, len, "%s", json_string_value(json_object_get(res,
	    "table_name")));
	if (fresh != NULL)
		*fresh = json_is_true(json_object_get(res, "fresh"));
	json_decref(rep);
}

static void
release_ok(rawc *c, const char *name)
{
	json_t *args = json_pack("{s:s}", "name", name);
	json_t *rep = rawc_call(c, "release_table", args, LONG_MS);

	json_decref(args);
	raw_check_ok(rep, "release_table");
	json_decref(rep);
}

/* The pool of the test definition in `pools` (new reference), or NULL. */
static json_t *
the_pool(rawc *c)
{
	json_t *rep = rawc_call(c, "pools", NULL, LONG_MS), *p, *out = NULL;
	size_t i;

	raw_check_ok(rep, "pools");
	json_array_foreach(json_object_get(rawc_result(rep), "pools"), i, p) {
		json_t *def = json_object_get(p, "definition");

		if (json_object_get(def, "GlobalSecondaryIndexes") != NULL)
			out = json_incref(p);
	}
	json_decref(rep);
	return out;
}

static long
pool_num(rawc *c, const char *key)
{
	json_t *p = the_pool(c);
	long n = p != NULL ? (long)json_integer_value(json_object_get(p, key)) :
	    -1;

	json_decref(p);
	return n;
}

/* Waits until the pool has at least n ready tables. */
static void
wait_ready(rawc *c, long n)
{
	long long t0 = rawc_now_ms();

	while (pool_num(c, "ready") < n) {
		if (rawc_now_ms() - t0 > LONG_MS)
			fail_msg("the pool has not %ld ready tables after %d ms",
			    n, LONG_MS);
		e2e_sleep_ms(50);
	}
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Warm-up, then 50 leases in a row, each followed by 100 items and a
 * release: every table handed out is empty, from the pool, ACTIVE. */
static void
test_sequential_leases(void **state)
{
	const struct items_keys k = { "pk", "S", NULL, NULL };
	rawc *c = raw_connect_ok();
	long long ms[LEASES];
	char name[256];
	bool fresh;

	(void)state;
	e2e_need_env("DYNTABLE_TEST_DYNALITE_URL");
	/* Warm-up: the first lease creates (3 s), the pool learns the
	 * definition and keeps a spare. */
	lease_ok(c, gsi_def(), NULL, name, sizeof(name), &fresh);
	assert_true(fresh);
	release_ok(c, name);
	wait_ready(c, 2);
	for (int i = 0; i < LEASES; i++) {
		long long t0 = rawc_now_ms();

		lease_ok(c, i % 2 ? gsi_def() : gsi_def_reordered(), NULL,
		    name, sizeof(name), &fresh);
		ms[i] = rawc_now_ms() - t0;
		if (fresh)
			fail_msg("lease %d was created, not from the pool", i);
		if (items_count(name) != 0)
			fail_msg("lease %d: %s handed out with items", i, name);
		assert_int_equal(items_fill(name, &k, 100), 0);
		release_ok(c, name);
	}
	qsort(ms, LEASES, sizeof(ms[0]), cmp_ll);
	printf("pools: %d leases from a warm pool: p50 %lld ms, p99 %lld ms, "
	    "max %lld ms (client-side, rawc, loaded machine)\n", LEASES,
	    ms[LEASES / 2], ms[LEASES * 99 / 100], ms[LEASES - 1]);
	/* A ready table is handed out without a DynamoDB call: far below
	 * the 3 s of a create even on a loaded machine. */
	assert_true(ms[LEASES / 2] < 500);
	/* Every release recycled the table (the last one may still run). */
	for (long long t0 = rawc_now_ms(); pool_num(c, "recycled") < LEASES + 1;
	    e2e_sleep_ms(50))
		if (rawc_now_ms() - t0 > LONG_MS)
			fail_msg("%ld of %d released tables recycled", pool_num(c,
			    "recycled"), LEASES + 1);
	assert_int_equal(pool_num(c, "creating"), 0);
	rawc_close(c);
}

/* Concurrent lessees on their own connections: six distinct tables. */
#define LESSEES 6
static void
test_concurrent_lessees(void **state)
{
	rawc *c[LESSEES];
	uint32_t ids[LESSEES];
	char names[LESSEES][256];

	(void)state;
	for (int i = 0; i < LESSEES; i++) {
		json_t *args = json_pack("{s:o}", "table", gsi_def());

		c[i] = raw_connect_ok();
		ids[i] = rawc_send(c[i], "lease_table", args);
		assert_int_not_equal(ids[i], 0);
		json_decref(args);
	}
	for (int i = 0; i < LESSEES; i++) {
		json_t *rep = rawc_recv(c[i], LONG_MS);

		raw_check_ok(rep, "concurrent lease");
		snprintf(names[i], sizeof(names[i]), "%s", json_string_value(
		    json_object_get(rawc_result(rep), "table_name")));
		json_decref(rep);
		for (int j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				fail_msg("%s handed to lessees %d and %d",
				    names[i], j, i);
	}
	assert_true(pool_num(c[0], "leased") >= LESSEES);
	for (int i = 0; i < LESSEES; i++) {
		release_ok(c[i], names[i]);
		rawc_close(c[i]);
	}
}

/* A lessee changes its table (billing mode): the table is deleted on
 * release, never handed out again. */
static void
test_altered_replaced(void **state)
{
	rawc *c = raw_connect_ok();
	char name[256], other[256];
	long replaced = pool_num(c, "replaced");
	json_t *body, *rep, *dels;
	long status = 0;
	long long t0;

	(void)state;
	e2e_need_env("DYNTABLE_TEST_DYNALITE_URL");
	lease_ok(c, gsi_def(), NULL, name, sizeof(name), NULL);
	body = json_pack("{s:s,s:s,s:{s:i,s:i},s:[{s:{s:s,s:{s:i,s:i}}}]}",
	    "TableName", name, "BillingMode", "PROVISIONED",
	    "ProvisionedThroughput", "ReadCapacityUnits", 1,
	    "WriteCapacityUnits", 1, "GlobalSecondaryIndexUpdates", "Update",
	    "IndexName", "by-g", "ProvisionedThroughput", "ReadCapacityUnits",
	    1, "WriteCapacityUnits", 1);
	rep = pc_dynalite("UpdateTable", body, &status);
	json_decref(body);
	if (rep == NULL || status != 200) {
		char *s = rep != NULL ? json_dumps(rep, 0) : NULL;

		fail_msg("UpdateTable: HTTP %ld %s", status, s != NULL ? s : "");
	}
	json_decref(rep);
	e2e_sleep_ms(1000); /* UPDATING, then ACTIVE again */
	release_ok(c, name);
	t0 = rawc_now_ms();
	while (pool_num(c, "replaced") <= replaced) {
		if (rawc_now_ms() - t0 > LONG_MS)
			fail_msg("the altered table %s was not replaced", name);
		e2e_sleep_ms(50);
	}
	/* It is deleted, and the next leases get others. */
	t0 = rawc_now_ms();
	for (;;) {
		dels = pc_log("DeleteTable");
		bool seen = false;
		json_t *e;
		size_t i;

		json_array_foreach(dels, i, e)
			if (strcmp(json_string_value(json_object_get(
			    json_object_get(e, "body"), "TableName")), name) ==
			    0 && json_integer_value(json_object_get(e,
			    "status")) == 200)
				seen = true;
		json_decref(dels);
		if (seen)
			break;
		if (rawc_now_ms() - t0 > LONG_MS)
			fail_msg("the altered table %s was not deleted", name);
		e2e_sleep_ms(100);
	}
	for (int i = 0; i < 3; i++) {
		lease_ok(c, gsi_def(), NULL, other, sizeof(other), NULL);
		assert_string_not_equal(other, name);
		release_ok(c, other);
	}
	rawc_close(c);
}

/* A logical name stands for the leased table in every operation; delete
 * of it releases. */
static void
test_logical_names(void **state)
{
	rawc *c = raw_connect_ok(), *ns = rawc_connect(NULL, "lg", NULL);
	char name[256], nsname[256];
	json_t *rep, *args;

	(void)state;
	assert_non_null(ns);
	lease_ok(c, gsi_def(), "logi-tab", name, sizeof(name), NULL);
	/* Taken: IN_USE. */
	rep = lease(c, gsi_def(), "logi-tab");
	assert_string_equal(rawc_err_name(rep), "IN_USE");
	json_decref(rep);
	args = json_pack("{s:s}", "name", "logi-tab");
	rep = rawc_call(c, "describe_table", args, LONG_MS);
	raw_check_ok(rep, "describe_table of the logical name");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    rawc_result(rep), "table"), "TableName")), name);
	json_decref(rep);
	rep = rawc_call(c, "truncate_table", args, LONG_MS);
	raw_check_ok(rep, "truncate_table of the logical name");
	json_decref(rep);
	/* Another namespace's "logi-tab" is another name. */
	lease_ok(ns, gsi_def(), "logi-tab", nsname, sizeof(nsname), NULL);
	assert_string_not_equal(nsname, name);
	/* delete_table releases: the name stands for nothing after. */
	rep = rawc_call(c, "delete_table", args, LONG_MS);
	raw_check_ok(rep, "delete_table of the logical name");
	json_decref(rep);
	rep = rawc_call(c, "describe_table", args, LONG_MS);
	assert_string_equal(rawc_err_name(rep), "NOT_FOUND");
	json_decref(rep);
	/* The pool table itself was not deleted. */
	json_decref(args);
	args = json_pack("{s:s}", "name", name);
	rep = rawc_call(c, "describe_table", args, LONG_MS);
	raw_check_ok(rep, "the released table is still there");
	json_decref(rep);
	/* Not leased now: release and delete are refused. */
	rep = rawc_call(c, "release_table", args, LONG_MS);
	assert_false(rawc_ok(rep));
	json_decref(rep);
	rep = rawc_call(c, "delete_table", args, LONG_MS);
	assert_string_equal(rawc_err_name(rep), "IN_USE");
	json_decref(rep);
	json_decref(args);
	release_ok(ns, "logi-tab");
	rawc_close(ns);
	rawc_close(c);
}

static void
test_refused(void **state)
{
	rawc *c = raw_connect_ok();
	json_t *def = gsi_def(), *rep;

	(void)state;
	/* Provisioned definitions need a [pool] section. */
	json_object_set_new(def, "BillingMode", json_string("PROVISIONED"));
	rep = lease(c, def, NULL);
	assert_string_equal(rawc_err_name(rep), "INVALID");
	json_decref(rep);
	rep = lease(c, json_pack("{s:s}", "BillingMode", "PAY_PER_REQUEST"),
	    NULL);
	assert_string_equal(rawc_err_name(rep), "INVALID");
	json_decref(rep);
	rawc_close(c);
}

/* Forks a lessee that leases a table, hands its name over a pipe and
 * waits to be killed. */
static pid_t
lessee_child(char *name, size_t len)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		rawc *c = rawc_connect(NULL, NULL, NULL);
		json_t *a = json_pack("{s:o}", "table", gsi_def());
		json_t *rep = c != NULL ? rawc_call(c, "lease_table", a,
		    LONG_MS) : NULL;
		const char *t = rep != NULL && rawc_ok(rep) ?
		    json_string_value(json_object_get(rawc_result(rep),
		    "table_name")) : "fail";

		close(fds[0]);
		n = write(fds[1], t, strlen(t));
		(void)n;
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	close(fds[1]);
	n = read(fds[0], name, len - 1);
	close(fds[0]);
	assert_true(n > 0);
	name[n] = '\0';
	if (strcmp(name, "fail") == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the child could not lease a table");
	}
	return pid;
}

static void
test_lessee_killed(void **state)
{
	rawc *c = raw_connect_ok();
	char name[256];
	long leased;
	long long t0, back;
	pid_t pid;

	(void)state;
	leased = pool_num(c, "leased");
	pid = lessee_child(name, sizeof(name));
	assert_int_equal(pool_num(c, "leased"), leased + 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	t0 = rawc_now_ms();
	while (pool_num(c, "leased") > leased) {
		if (rawc_now_ms() - t0 > GRACE_MS + 10000)
			fail_msg("%s still leased %d ms after its lessee was "
			    "killed", name, GRACE_MS + 10000);
		e2e_sleep_ms(50);
	}
	back = rawc_now_ms() - t0;
	printf("pools: lessee killed; its table released after %lld ms "
	    "(grace %d ms)\n", back, GRACE_MS);
	assert_true(back >= GRACE_MS - 300);
	rawc_close(c);
}

/* Starts another daemon on DIR/NAME.sock, straight at dynalite, with
 * extra (a NULL-terminated list of up to 4 arguments); its pid. */
static pid_t
spawn_daemon(const char *name, char *sock, size_t len, const char *const *extra)
{
	const char *dir = e2e_need_env("DYNTABLE_TEST_DIR");
	const char *url = e2e_need_env("DYNTABLE_TEST_DYNALITE_URL");
	char logpath[512];
	pid_t pid;

	if (daemon_bin == NULL)
		fail_msg("usage: test_pools DYNTABLED (the daemon to start)");
	snprintf(sock, len, "%s/%s.sock", dir, name);
	snprintf(logpath, sizeof(logpath), "%s/%s.log", dir, name);
	if ((pid = fork()) == 0) {
		const char *argv[16] = { daemon_bin, "--socket", sock,
			"--endpoint", url, "--region", "us-east-1" };
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		size_t n = 7;

		for (size_t i = 0; i < 4 && extra[i] != NULL; i++)
			argv[n++] = extra[i];
		dup2(fd, 2);
		setenv("AWS_ACCESS_KEY_ID", "AKIDSECOND", 1);
		setenv("AWS_SECRET_ACCESS_KEY", "second-secret", 1);
		unsetenv("AWS_SESSION_TOKEN");
		/* Checked above; clang's analyzer does not know fail_msg()
		 * does not return, cppcheck does. */
		/* cppcheck-suppress knownConditionTrueFalse */
		if (daemon_bin != NULL)
			execv(daemon_bin, (char *const *)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	return pid;
}

/* A connection to the daemon pid on sock, once it listens; NULL if it
 * did not start within 10 s. */
static rawc *
connect_spawned(const char *sock, pid_t pid)
{
	rawc *c = NULL;

	for (long long t0 = rawc_now_ms(); c == NULL &&
	    rawc_now_ms() - t0 < 10000;) {
		e2e_sleep_ms(100);
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return NULL;
		if (access(sock, F_OK) == 0)
			c = rawc_connect(sock, NULL, NULL);
	}
	return c;
}

/* [pool NAME] sections: a declared pool fills to its size and serves
 * equivalent definitions; a provisioned one needs provisioned = true. */
static void
test_declared_pool(void **state)
{
	const char *dir = e2e_need_env("DYNTABLE_TEST_DIR");
	char conf[512], defpath[512], sock[600], name[256];
	const char *extra[] = { "--config", conf, NULL };
	json_t *def = gsi_def(), *rep;
	bool fresh = true;
	int status = 0;
	rawc *c;
	FILE *f;
	pid_t pid;

	(void)state;
	snprintf(defpath, sizeof(defpath), "%s/pool-def.json", dir);
	snprintf(conf, sizeof(conf), "%s/pools.conf", dir);
	json_object_set_new(def, "TableName", json_string("ignored"));
	assert_int_equal(json_dump_file(def, defpath, 0), 0);
	json_decref(def);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "[pool users]\ndefinition = %s\nsize = 2\n", defpath);
	fclose(f);
	pid = spawn_daemon("declared", sock, sizeof(sock), extra);
	if ((c = connect_spawned(sock, pid)) == NULL) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the daemon with [pool users] did not start");
	}
	wait_ready(c, 2);
	rep = rawc_call(c, "pools", NULL, LONG_MS);
	raw_check_ok(rep, "pools");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(rawc_result(rep), "pools"), 0), "pool")), "users");
	assert_true(json_is_true(json_object_get(json_array_get(
	    json_object_get(rawc_result(rep), "pools"), 0), "declared")));
	json_decref(rep);
	lease_ok(c, gsi_def_reordered(), NULL, name, sizeof(name), &fresh);
	assert_false(fresh);
	rawc_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* PROVISIONED without provisioned = true: the daemon refuses to
	 * start, and says why. */
	def = gsi_def();
	json_object_set_new(def, "BillingMode", json_string("PROVISIONED"));
	json_object_set_new(def, "ProvisionedThroughput", json_pack("{s:i,s:i}",
	    "ReadCapacityUnits", 1, "WriteCapacityUnits", 1));
	json_object_set_new(json_array_get(json_object_get(def,
	    "GlobalSecondaryIndexes"), 0), "ProvisionedThroughput",
	    json_pack("{s:i,s:i}", "ReadCapacityUnits", 1,
	    "WriteCapacityUnits", 1));
	assert_int_equal(json_dump_file(def, defpath, 0), 0);
	json_decref(def);
	pid = spawn_daemon("provisioned", sock, sizeof(sock), extra);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

/* A second daemon (straight at dynalite) leases, and is killed: a reap
 * deletes its pool tables (its pid is gone). */
static void
test_daemon_killed(void **state)
{
	const char *extra[] = { "--pool-spare", "1", NULL };
	char sock[600], name[256];
	rawc *c, *adm;
	json_t *rep, *res, *p, *deleted;
	bool found = false;
	pid_t pid;
	size_t i;

	(void)state;
	pid = spawn_daemon("pools2", sock, sizeof(sock), extra);
	if ((c = connect_spawned(sock, pid)) == NULL) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the second daemon did not start");
	}
	lease_ok(c, gsi_def(), NULL, name, sizeof(name), NULL);
	wait_ready(c, 1); /* its spare too */
	e2e_sleep_ms(300); /* tagged */
	rawc_close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	adm = raw_connect_ok();
	rep = rawc_call(adm, "reap", NULL, LONG_MS);
	raw_check_ok(rep, "reap");
	res = rawc_result(rep);
	deleted = json_object_get(res, "deleted");
	json_array_foreach(deleted, i, p)
		if (strcmp(json_string_value(p), name) == 0)
			found = true;
	if (!found) {
		char *s = json_dumps(res, JSON_COMPACT);

		fail_msg("reap did not delete the killed daemon's leased "
		    "table %s: %s", name, s != NULL ? s : "?");
	}
	/* Its spare too, and none of this daemon's own. */
	assert_int_equal(json_array_size(deleted), 2);
	assert_true(pool_num(adm, "ready") >= 1);
	json_decref(rep);
	rawc_close(adm);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_sequential_leases),
		cmocka_unit_test(test_concurrent_lessees),
		cmocka_unit_test(test_logical_names),
		cmocka_unit_test(test_altered_replaced),
		cmocka_unit_test(test_lessee_killed),
		cmocka_unit_test(test_daemon_killed),
		cmocka_unit_test(test_declared_pool),
	};

	daemon_bin = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
