/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of policy.c: access decisions on peer credentials.
 * Uses numeric ids so the tests do not depend on the machine's users,
 * except one lookup of "root", which every system has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define SELF 990 /* the daemon's own uid in these tests */

static struct policy *
load(const char *const *lines)
{
	struct policy *p = policy_new(SELF);
	char err[256];

	assert_non_null(p);
	for (size_t i = 0; lines[i] != NULL; i += 3)
		if (policy_set(p, lines[i], lines[i + 1], lines[i + 2], err,
		    sizeof(err)) != 0)
			fail_msg("[%s] %s = %s: %s", lines[i], lines[i + 1],
			    lines[i + 2], err);
	return p;
}

static struct policy_peer
peer(uid_t uid, gid_t gid)
{
	struct policy_peer pp = { .pid = 1, .uid = uid, .gid = gid };

	return pp;
}

static void
test_empty_policy_allows_everyone(void **state)
{
	static const char *const none[] = { NULL };
	struct policy *p = load(none);
	struct policy_peer anyone = peer(1234, 1234);

	assert_true(policy_may_connect(p, &anyone));
	assert_true(policy_may_use_table(p, &anyone, "whatever"));
	assert_false(policy_is_admin(p, &anyone));
	policy_free(p);
}

static void
test_root_and_self_are_trusted(void **state)
{
	static const char *const cfg[] = {
		"access", "allow-users", "1000",
		"access", "table-prefixes", "ci-",
		NULL };
	struct policy *p = load(cfg);
	struct policy_peer root = peer(0, 0), self = peer(SELF, SELF);

	assert_true(policy_may_connect(p, &root));
	assert_true(policy_is_admin(p, &root));
	assert_true(policy_may_use_table(p, &root, "prod-users"));
	assert_true(policy_may_connect(p, &self));
	assert_true(policy_is_admin(p, &self));
	policy_free(p);
}

static void
test_allow_lists(void **state)
{
	static const char *const cfg[] = {
		"access", "allow-users", "1000, 1001",
		"access", "allow-groups", "500",
		"access", "admin-groups", "10",
		NULL };
	struct policy *p = load(cfg);
	struct policy_peer u1000 = peer(1000, 1000), u2000 = peer(2000, 2000);
	struct policy_peer g500 = peer(2001, 500);
	gid_t wheel[] = { 77, 10 };
	struct policy_peer sup = { .uid = 2002, .gid = 2002, .groups = wheel,
		.n_groups = 2 };

	assert_true(policy_may_connect(p, &u1000));
	assert_false(policy_may_connect(p, &u2000));
	assert_true(policy_may_connect(p, &g500));
	assert_false(policy_may_connect(p, &sup));
	assert_true(policy_is_admin(p, &sup)); /* through a supplementary group */
	assert_false(policy_is_admin(p, &u1000));
	policy_free(p);
}

static void
test_table_prefixes(void **state)
{
	static const char *const cfg[] = {
		"user 1000", "table-prefixes", "ci-",
		"group 500", "table-prefixes", "dev-, tmp.",
		"access", "table-prefixes", "shared-",
		NULL };
	struct policy *p = load(cfg);
	struct policy_peer ci = peer(1000, 1000), dev = peer(1001, 500);
	gid_t groups[] = { 500 };
	struct policy_peer both = { .uid = 1000, .gid = 1000, .groups = groups,
		.n_groups = 1 };
	struct policy_peer other = peer(3000, 3000);
	char buf[128];

	assert_true(policy_may_use_table(p, &ci, "ci-123-users"));
	assert_false(policy_may_use_table(p, &ci, "prod-users"));
	assert_false(policy_may_use_table(p, &ci, "shared-x"));
	assert_true(policy_may_use_table(p, &dev, "tmp.x"));
	assert_false(policy_may_use_table(p, &dev, "ci-1"));
	assert_true(policy_may_use_table(p, &both, "dev-1")); /* union */
	assert_true(policy_may_use_table(p, &both, "ci-1"));
	assert_true(policy_may_use_table(p, &other, "shared-x")); /* default */
	assert_false(policy_may_use_table(p, &other, "ci-1"));
	policy_describe(p, &ci, buf, sizeof(buf));
	assert_string_equal(buf, "\"ci-*\"");
	policy_describe(p, &other, buf, sizeof(buf));
	assert_string_equal(buf, "\"shared-*\"");
	policy_free(p);
}

static void
test_bad_configuration(void **state)
{
	struct policy *p = policy_new(SELF);
	char err[256];

	assert_int_equal(policy_set(p, "access", "allow-users",
	    "no-such-user-dyntable-xyz", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no such user"));
	assert_int_equal(policy_set(p, "access", "bogus", "1", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown key \"bogus\""));
	assert_int_equal(policy_set(p, "tables", "x", "1", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "unknown section"));
	assert_int_equal(policy_set(p, "user 1000", "table-prefixes",
	    "bad/prefix", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot start a table name"));
	assert_int_equal(policy_set(p, "access", "admin-users", "root", err,
	    sizeof(err)), 0); /* names resolve */
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_policy_allows_everyone),
		cmocka_unit_test(test_root_and_self_are_trusted),
		cmocka_unit_test(test_allow_lists),
		cmocka_unit_test(test_table_prefixes),
		cmocka_unit_test(test_bad_configuration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
