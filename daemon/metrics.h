/* SPDX-License-Identifier: MIT */
/*
 * metrics.h: the daemon's counters and histograms, and their OpenMetrics
 * text (metrics.c).
 *
 * The counters are the process's, in metrics.c: recording one is a few
 * additions into static arrays (no allocation, no lock: one thread), so
 * the request path can afford it. The gauges (clients, waiters, calls in
 * flight, ...) are not kept here: whoever renders reads them from their
 * owners at that moment and passes them in (ops_metrics_text, ops.c).
 * metrics_text() is pure: the same struct metrics and gauges give the
 * same text (unit-tested in tests/unit/test_metrics.c).
 */
#ifndef DYNTABLED_METRICS_H
#define DYNTABLED_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtp.h"

/* Upper bounds of the latency buckets, in microseconds (+Inf beyond):
 * 0.5 ms to 5 minutes, a wait may last that long. */
#define METRICS_BOUNDS_US                                                  \
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,  \
	    1000000, 2500000, 5000000, 10000000, 30000000, 60000000, 300000000
#define METRICS_N_BOUNDS 17

/* A latency histogram: counts[i] the observations in bucket i alone
 * (not cumulative; counts[METRICS_N_BOUNDS] is +Inf's), sum_us their sum. */
struct metrics_hist {
	uint64_t counts[METRICS_N_BOUNDS + 1];
	uint64_t sum_us;
};

/* A request's outcome: a dtp_err (DTP_OK included), or this one when the
 * client went away before the answer. */
#define METRICS_ABANDONED DTP_E_COUNT
#define METRICS_N_OUTCOMES (DTP_E_COUNT + 1)

/* Why an upstream attempt was retried. */
enum metrics_retry {
	METRICS_RETRY_THROTTLING, /* a throttling error type */
	METRICS_RETRY_TRANSIENT,  /* HTTP 5xx or a transient error type */
	METRICS_RETRY_TRANSPORT,  /* connect, TLS, timeout, bad reply */
	METRICS_N_RETRY
};

/* Everything counted since the start; only ever grows. */
struct metrics {
	uint64_t requests[DTP_OP_COUNT][METRICS_N_OUTCOMES];
	struct metrics_hist request_latency[DTP_OP_COUNT];
	struct metrics_hist upstream_latency; /* one per HTTP attempt */
	uint64_t retries[METRICS_N_RETRY];
};

/* What the owners report at render time. */
struct metrics_gauges {
	long long start_time;	     /* the daemon's start, Unix seconds */
	unsigned clients;	     /* connections open */
	unsigned long requests_in_flight;
	unsigned waiters;	     /* requests waiting for a table state */
	unsigned pollers;	     /* tables being polled for them */
	unsigned long polls;	     /* DescribeTable calls of the pollers */
	unsigned upstream_in_flight; /* DynamoDB calls not yet answered */
	unsigned long upstream_attempts; /* HTTP attempts started */
	unsigned long upstream_failures; /* calls that ended in an error */
	bool creds_valid;	     /* keys to sign with right now */
	bool creds_expire;	     /* they are temporary */
	long long creds_expiry_s;    /* seconds until they expire (may be
				      * negative), when creds_expire */
	unsigned mutations_running, mutations_queued;
};

/* Now, in microseconds of CLOCK_MONOTONIC: when a request arrived. */
uint64_t metrics_clock_us(void);
/* A request ended: op, its outcome (a dtp_err or METRICS_ABANDONED) and
 * how long since it arrived. */
void metrics_request(dtp_op op, unsigned outcome, uint64_t latency_us);
/* An HTTP attempt to DynamoDB took latency_us. */
void metrics_upstream(uint64_t latency_us);
void metrics_retry(enum metrics_retry why);
/* The counters so far (the process's). */
const struct metrics *metrics_get(void);

/* The two text formats: OpenMetrics 1.0, and Prometheus' older text
 * format 0.0.4 for scrapers that do not ask for OpenMetrics (and for
 * `promtool check metrics`, which reads only that one). They differ in
 * counters' family names (OpenMetrics drops _total), # UNIT and # EOF. */
enum metrics_format { METRICS_OPENMETRICS, METRICS_PROMETHEUS };

/* The exposition of m and g in fmt (OpenMetrics ends "# EOF\n"),
 * malloc'd into *text (length *len). Pure. -1 when out of memory. */
int metrics_text(const struct metrics *m, const struct metrics_gauges *g,
    enum metrics_format fmt, char **text, size_t *len);

/* The Content-Type of each format. */
#define METRICS_CONTENT_TYPE \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define METRICS_CONTENT_TYPE_PROMETHEUS \
	"text/plain; version=0.0.4; charset=utf-8"

#endif /* DYNTABLED_METRICS_H */
