/* SPDX-License-Identifier: MIT */
/*
 * test_redact.c: unit tests of redact.c, the one point external text
 * passes through before a log line, a reply or status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "redact.h"

/* redact() on a copy of in; the result must equal want. */
static void
check(const char *in, const char *want)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", in);
	redact(buf);
	assert_string_equal(buf, want);
}

static int
teardown(void **state)
{
	(void)state;
	redact_forget_all();
	return 0;
}

static void
test_plain_text_unchanged(void **state)
{
	(void)state;
	check("", "");
	check("Requested resource not found: Table: users not found",
	    "Requested resource not found: Table: users not found");
	check("table job-42.users is ACTIVE", "table job-42.users is ACTIVE");
	/* An ARN, a SHA-1 in hex, a date: not secrets. */
	check("arn:aws:dynamodb:us-east-1:123456789012:table/users",
	    "arn:aws:dynamodb:us-east-1:123456789012:table/users");
	check("da39a3ee5e6b4b0d3255bfef95601890afd80709",
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check("2026-12-03T07:51:27Z", "2026-12-03T07:51:27Z");
	/* Control characters become blanks. */
	check("a\nb\tc\x7f", "a b c ");
}

static void
test_key_id_shapes(void **state)
{
	(void)state;
	check("key AKIAIOSFODNN7EXAMPLE used", "key ****MPLE used");
	check("ASIAXYZ0123456789ABCD", "****ABCD");
	/* Inside a longer word it is not a key id. */
	check("XAKIAIOSFODNN7EXAMPLE", "XAKIAIOSFODNN7EXAMPLE");
	/* Too short to be one. */
	check("AKIA1234", "AKIA1234");
}

/* An IncompleteSignature-style message quoting the Authorization header. */
static void
test_authorization_header(void **state)
{
	(void)state;
	check("Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/"
	    "us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924"
	    "a6f2b5d7",
	    "Authorization=AWS4-HMAC-SHA256 Credential=****MPLE/20261203/"
	    "us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=***");
	check("x-amz-security-token: FQoGZXIvYXdzEXAMPLE rest",
	    "x-amz-security-token: *** rest");
	check("X-Amz-Security-Token=abc%2Fdef&X-Amz-Date=1",
	    "X-Amz-Security-Token=***&X-Amz-Date=1");
}

static void
test_url_userinfo(void **state)
{
	(void)state;
	check("endpoint http://user:pass@127.0.0.1:8000/ refused",
	    "endpoint http://***@127.0.0.1:8000/ refused");
	check("https://a@h/", "https://*@h/");
	/* No userinfo: unchanged, '@' later in the path included. */
	check("http://127.0.0.1:8000/x@y", "http://127.0.0.1:8000/x@y");
}

static void
test_secret_shapes(void **state)
{
	char tok[300];

	(void)state;
	check("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here",
	    "secret *** here");
	memset(tok, 'Q', 150);
	memcpy(tok + 150, "w0rd", 5);
	check(tok, "***");
	/* 40 characters of one case only: a hash or a name, not a key. */
	check("abcdefghijabcdefghijabcdefghijabcdefghij",
	    "abcdefghijabcdefghijabcdefghijabcdefghij");
}

static void
test_known_secrets(void **state)
{
	(void)state;
	redact_add_secret("testsecret0123");
	redact_add_key_id("AKIDEXAMPLE");
	redact_add_secret("abc"); /* too short: ignored */
	check("refresh failed for AKIDEXAMPLE / testsecret0123",
	    "refresh failed for ****MPLE / ***");
	/* Found anywhere, even inside a word. */
	check("xxtestsecret0123yy", "xx***yy");
	check("abc", "abc");
	redact_forget_all();
	check("testsecret0123", "testsecret0123");
}

static void
test_known_ring(void **state)
{
	char s[32];

	(void)state;
	for (int i = 0; i < REDACT_KNOWN_MAX + 5; i++) {
		snprintf(s, sizeof(s), "secret-%d-x", i);
		redact_add_secret(s);
	}
	/* The oldest were forgotten, the newest are still known. */
	check("secret-0-x", "secret-0-x");
	snprintf(s, sizeof(s), "secret-%d-x", REDACT_KNOWN_MAX + 4);
	check(s, "***");
}

static void
test_quote_bounds(void **state)
{
	char big[5000], out[1024];

	(void)state;
	memset(big, 'a', sizeof(big));
	for (size_t i = 0; i < sizeof(big); i += 10)
		big[i] = ' ';
	redact_quote(out, sizeof(out), big, sizeof(big));
	assert_int_equal(strlen(out), REDACT_QUOTE_MAX);
	assert_memory_equal(out + REDACT_QUOTE_MAX - 3, "...", 3);
	/* A small destination bounds it too. */
	redact_quote(out, 16, big, sizeof(big));
	assert_int_equal(strlen(out), 15);
	/* A NUL inside the text does not end it. */
	redact_quote(out, sizeof(out), "a\0b", 3);
	assert_string_equal(out, "a b");
	/* A secret straddling the cut is redacted, not half shown. */
	memset(big, ' ', sizeof(big));
	/* spliced into the middle of big, which redact_quote reads by length */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): see above */
	memcpy(big + REDACT_QUOTE_MAX - 20,
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 40);
	redact_quote(out, sizeof(out), big, REDACT_QUOTE_MAX + 100);
	assert_null(strstr(out, "wJalr"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_plain_text_unchanged, teardown),
		cmocka_unit_test_teardown(test_key_id_shapes, teardown),
		cmocka_unit_test_teardown(test_authorization_header, teardown),
		cmocka_unit_test_teardown(test_url_userinfo, teardown),
		cmocka_unit_test_teardown(test_secret_shapes, teardown),
		cmocka_unit_test_teardown(test_known_secrets, teardown),
		cmocka_unit_test_teardown(test_known_ring, teardown),
		cmocka_unit_test_teardown(test_quote_bounds, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
