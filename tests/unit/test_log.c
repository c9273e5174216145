/* SPDX-License-Identifier: MIT */
/*
 * test_log.c: unit tests of log.c: the JSON format, redaction in both
 * formats, and repeated warnings held back with a count. The log goes to
 * stderr, which each test points at a temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "log.h"

static char path[64];
static int saved_stderr = -1; /* the real stderr, for cmocka's messages */

/* Sends stderr to a new temporary file. */
static int
setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_log.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	fflush(stderr);
	if ((saved_stderr = dup(STDERR_FILENO)) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_LVL_INFO);
	log_set_json(false);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	log_flush_repeats(true);
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(path);
	return 0;
}

/* What was logged so far, NUL-terminated (the caller frees). */
static char *
logged(void)
{
	FILE *f;
	char *buf;
	long n;

	fflush(stderr);
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_non_null(buf = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Messages that differ only in their digits are one message. */
static void
test_key(void **state)
{
	(void)state;
	assert_true(log_key("failed after 3 attempt(s), 0 ms") ==
	    log_key("failed after 2 attempt(s), 17 ms"));
	assert_true(log_key("wait: a: DynamoDB endpoint down") !=
	    log_key("wait: b: DynamoDB endpoint down"));
	assert_true(log_key("") != 0);
}

/* JSON: one object a line, with time, level, event (the template) and
 * fields.message (rendered, redacted). */
static void
test_json(void **state)
{
	char *text, *line, *save = NULL;
	size_t lines = 0;

	(void)state;
	log_set_json(true);
	log_info("table %s is %s", "users", "ACTIVE");
	log_warn("key %s \"quoted\"\ttab", "AKIAIOSFODNN7EXAMPLE");
	log_debug("not shown at info");
	text = logged();
	assert_null(strstr(text, "AKIAIOSFODNN7EXAMPLE"));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		const char *ev, *msg;

		assert_non_null(j);
		assert_non_null(json_string_value(json_object_get(j, "time")));
		ev = json_string_value(json_object_get(j, "event"));
		msg = json_string_value(json_object_get(json_object_get(j,
		    "fields"), "message"));
		assert_non_null(ev);
		assert_non_null(msg);
		if (lines == 0) {
			assert_string_equal(json_string_value(json_object_get(j,
			    "level")), "info");
			assert_string_equal(ev, "table %s is %s");
			assert_string_equal(msg, "table users is ACTIVE");
		} else {
			assert_string_equal(json_string_value(json_object_get(j,
			    "level")), "warn");
			assert_string_equal(ev, "key %s \"quoted\"\ttab");
			assert_string_equal(msg, "key ****MPLE \"quoted\" tab");
		}
		json_decref(j);
		lines++;
	}
	assert_int_equal(lines, 2);
	free(text);
}

/* Text: the default, redacted too. */
static void
test_text(void **state)
{
	char *text;

	(void)state;
	log_warn("key %s", "AKIAIOSFODNN7EXAMPLE");
	text = logged();
	assert_non_null(strstr(text, " dyntabled warn: key ****MPLE\n"));
	assert_null(strstr(text, "AKIAIOSFODNN7EXAMPLE"));
	free(text);
}

/* The same warning five times: written once, then one summary with the
 * count; another warning and info lines are not held back. */
static void
test_repeats(void **state)
{
	char *text;

	(void)state;
	for (int i = 0; i < 5; i++) {
		log_warn("upstream: DescribeTable failed after %d ms", i);
		log_warn("wait: t: endpoint down");
		log_info("polled %d", i);
	}
	log_warn("something else");
	text = logged();
	assert_int_equal(count(text, "failed after"), 1);
	assert_int_equal(count(text, "endpoint down"), 1);
	assert_int_equal(count(text, "polled"), 5);
	assert_int_equal(count(text, "something else"), 1);
	free(text);
	log_flush_repeats(true);
	text = logged();
	assert_int_equal(count(text, "failed after"), 2);
	assert_non_null(strstr(text, "(repeated 4 times in the last"));
	assert_int_equal(count(text, "(repeated 4 times"), 2);
	free(text);
	/* Flushed: nothing more to say. */
	log_flush_repeats(true);
	text = logged();
	assert_int_equal(count(text, "repeated"), 2);
	free(text);
}

/* In JSON the count is fields.repeated. */
static void
test_repeats_json(void **state)
{
	char *text;

	(void)state;
	log_set_json(true);
	for (int i = 0; i < 3; i++)
		log_err("cannot reach %d.0.0.1", i + 120);
	log_flush_repeats(true);
	text = logged();
	assert_int_equal(count(text, "\"event\":\"cannot reach %d.0.0.1\""),
	    2);
	assert_non_null(strstr(text, "\"repeated\":2}"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeats_json, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
