/* SPDX-License-Identifier: MIT */
/*
 * test_metrics.c: unit tests of metrics.c, the counters and their
 * OpenMetrics text (promtool checks the daemon's real output in
 * e2e.metrics).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

/* Whether text holds line as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static char *
render(const struct metrics *m, const struct metrics_gauges *g)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(metrics_text(m, g, METRICS_OPENMETRICS, &text, &len),
	    0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* Requests by op and outcome: OK always shown, other outcomes once seen;
 * hello never. */
static void
test_requests(void **state)
{
	struct metrics m = { 0 };
	struct metrics_gauges g = { 0 };
	char *t;

	(void)state;
	m.requests[DTP_OP_DESCRIBE_TABLE][DTP_OK] = 7;
	m.requests[DTP_OP_DESCRIBE_TABLE][DTP_E_NOT_FOUND] = 2;
	m.requests[DTP_OP_WAIT_TABLE_ACTIVE][METRICS_ABANDONED] = 1;
	t = render(&m, &g);
	assert_true(has_line(t, "# TYPE dyntabled_requests counter"));
	assert_true(has_line(t, "dyntabled_requests_total{op=\"describe_table\","
	    "outcome=\"OK\"} 7"));
	assert_true(has_line(t, "dyntabled_requests_total{op=\"describe_table\","
	    "outcome=\"NOT_FOUND\"} 2"));
	assert_true(has_line(t, "dyntabled_requests_total{op=\"wait_table_"
	    "active\",outcome=\"ABANDONED\"} 1"));
	assert_true(has_line(t, "dyntabled_requests_total{op=\"list_tables\","
	    "outcome=\"OK\"} 0"));
	assert_null(strstr(t, "outcome=\"TIMEOUT\""));
	assert_null(strstr(t, "op=\"hello\""));
	free(t);
}

/* Buckets are cumulative, bounds inclusive, +Inf and _count the total,
 * _sum in seconds. */
static void
test_histogram(void **state)
{
	struct metrics m = { 0 };
	struct metrics_gauges g = { 0 };
	char *t;

	(void)state;
	m.upstream_latency.counts[0] = 1;  /* <= 0.5 ms */
	m.upstream_latency.counts[1] = 2;  /* <= 1 ms */
	m.upstream_latency.counts[METRICS_N_BOUNDS] = 1; /* > 300 s */
	m.upstream_latency.sum_us = 400000001ull;
	t = render(&m, &g);
	assert_true(has_line(t, "# TYPE dyntabled_upstream_duration_seconds "
	    "histogram"));
	assert_true(has_line(t, "# UNIT dyntabled_upstream_duration_seconds "
	    "seconds"));
	assert_true(has_line(t, "dyntabled_upstream_duration_seconds_bucket"
	    "{le=\"0.0005\"} 1"));
	assert_true(has_line(t, "dyntabled_upstream_duration_seconds_bucket"
	    "{le=\"0.001\"} 3"));
	assert_true(has_line(t, "dyntabled_upstream_duration_seconds_bucket"
	    "{le=\"300\"} 3"));
	assert_true(has_line(t, "dyntabled_upstream_duration_seconds_bucket"
	    "{le=\"+Inf\"} 4"));
	assert_true(has_line(t, "dyntabled_upstream_duration_seconds_count 4"));
	assert_true(has_line(t, "dyntabled_upstream_duration_seconds_sum "
	    "400.000001"));
	assert_true(has_line(t, "dyntabled_request_duration_seconds_bucket"
	    "{op=\"status\",le=\"+Inf\"} 0"));
	assert_true(has_line(t, "dyntabled_request_duration_seconds_count"
	    "{op=\"status\"} 0"));
	free(t);
}

/* Gauges as given; the expiry only for temporary keys; # EOF last. */
static void
test_gauges(void **state)
{
	struct metrics m = { 0 };
	struct metrics_gauges g = { .clients = 3, .waiters = 5, .pollers = 2,
		.upstream_in_flight = 4, .creds_valid = true,
		.start_time = 1700000000 };
	char *t;
	size_t n;

	(void)state;
	m.retries[METRICS_RETRY_THROTTLING] = 6;
	t = render(&m, &g);
	assert_true(has_line(t, "dyntabled_clients 3"));
	assert_true(has_line(t, "dyntabled_waiters 5"));
	assert_true(has_line(t, "dyntabled_pollers 2"));
	assert_true(has_line(t, "dyntabled_upstream_in_flight 4"));
	assert_true(has_line(t, "dyntabled_credentials_valid 1"));
	assert_true(has_line(t, "dyntabled_upstream_retries_total"
	    "{reason=\"throttling\"} 6"));
	assert_true(has_line(t, "dyntabled_upstream_retries_total"
	    "{reason=\"transport\"} 0"));
	assert_true(has_line(t, "dyntabled_start_time_seconds 1700000000"));
	assert_null(strstr(t, "credentials_expiry"));
	n = strlen(t);
	assert_true(n > 6 && strcmp(t + n - 6, "# EOF\n") == 0);
	assert_non_null(strstr(t, "# EOF\n"));
	assert_ptr_equal(strstr(t, "# EOF\n"), t + n - 6);
	free(t);

	g.creds_expire = true;
	g.creds_expiry_s = -12;
	t = render(&m, &g);
	assert_true(has_line(t, "dyntabled_credentials_expiry_seconds -12"));
	free(t);
}

/* The recording functions: the right bucket (bounds inclusive), the
 * right cell, nothing for out-of-range input. */
static void
test_recording(void **state)
{
	const struct metrics *m = metrics_get();
	struct metrics before = *m;

	(void)state;
	metrics_request(DTP_OP_LIST_TABLES, DTP_OK, 500);
	metrics_request(DTP_OP_LIST_TABLES, DTP_OK, 501);
	metrics_request(DTP_OP_LIST_TABLES, DTP_E_DENIED, 999999999);
	metrics_request(DTP_OP_COUNT, DTP_OK, 1);	  /* ignored */
	metrics_request(DTP_OP_LIST_TABLES, METRICS_N_OUTCOMES, 1); /* too */
	metrics_upstream(2500);
	metrics_retry(METRICS_RETRY_TRANSPORT);
	metrics_retry(METRICS_N_RETRY);			  /* ignored */
	assert_int_equal(m->requests[DTP_OP_LIST_TABLES][DTP_OK] -
	    before.requests[DTP_OP_LIST_TABLES][DTP_OK], 2);
	assert_int_equal(m->requests[DTP_OP_LIST_TABLES][DTP_E_DENIED] -
	    before.requests[DTP_OP_LIST_TABLES][DTP_E_DENIED], 1);
	assert_int_equal(m->request_latency[DTP_OP_LIST_TABLES].counts[0], 1);
	assert_int_equal(m->request_latency[DTP_OP_LIST_TABLES].counts[1], 1);
	assert_int_equal(m->request_latency[DTP_OP_LIST_TABLES]
	    .counts[METRICS_N_BOUNDS], 1);
	assert_int_equal(m->request_latency[DTP_OP_LIST_TABLES].sum_us,
	    500 + 501 + 999999999ull);
	assert_int_equal(m->upstream_latency.counts[2], 1);
	assert_int_equal(m->retries[METRICS_RETRY_TRANSPORT], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_gauges),
		cmocka_unit_test(test_recording),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
