/* SPDX-License-Identifier: MIT */
/*
 * metrics.c: the daemon's counters (see metrics.h) and their OpenMetrics
 * text.
 *
 * Names follow Prometheus' conventions: the dyntabled_ prefix, base units
 * (seconds), counters' samples ending _total. A request's outcome is
 * "OK" or the protocol's error name (PROTOCOL.md §4), as clients see it,
 * or "ABANDONED" when its client went away first.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

static const uint64_t metrics_bounds_us[METRICS_N_BOUNDS] = {
	METRICS_BOUNDS_US
};

static const char *const metrics_retry_names[METRICS_N_RETRY] = {
	[METRICS_RETRY_THROTTLING] = "throttling",
	[METRICS_RETRY_TRANSIENT] = "transient",
	[METRICS_RETRY_TRANSPORT] = "transport",
};

/* The process's counters: one thread, so no locks. */
static struct metrics metrics_now;

/* Counts one observation; the bounds are few and a request's latency is
 * usually in the first buckets, so a linear search is the cheapest. */
static void
metrics_observe(struct metrics_hist *h, uint64_t us)
{
	size_t i = 0;

	while (i < METRICS_N_BOUNDS && us > metrics_bounds_us[i])
		i++;
	h->counts[i]++;
	h->sum_us += us;
}

uint64_t
metrics_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
metrics_request(dtp_op op, unsigned outcome, uint64_t latency_us)
{
	if ((unsigned)op >= DTP_OP_COUNT || outcome >= METRICS_N_OUTCOMES)
		return;
	metrics_now.requests[op][outcome]++;
	metrics_observe(&metrics_now.request_latency[op], latency_us);
}

void
metrics_upstream(uint64_t latency_us)
{
	metrics_observe(&metrics_now.upstream_latency, latency_us);
}

void
metrics_retry(enum metrics_retry why)
{
	if ((unsigned)why < METRICS_N_RETRY)
		metrics_now.retries[why]++;
}

const struct metrics *
metrics_get(void)
{
	return &metrics_now;
}

/* ---- the exposition ------------------------------------------------------ */

static const char *
metrics_outcome_name(unsigned o)
{
	return o == METRICS_ABANDONED ? "ABANDONED" : dtp_err_name((dtp_err)o);
}

/* The format being written: the writer's one piece of state, set by
 * metrics_text() for the helpers below. */
struct metrics_out {
	FILE *f;
	bool om; /* OpenMetrics, else Prometheus 0.0.4 */
};

/* "# TYPE", "# UNIT" (when unit) and "# HELP" of a family. A counter's
 * family is named without _total in OpenMetrics, with it in 0.0.4. */
static void
metrics_family(const struct metrics_out *o, const char *name,
    const char *type, const char *unit, const char *help)
{
	const char *suffix = !o->om && strcmp(type, "counter") == 0 ?
	    "_total" : "";

	fprintf(o->f, "# TYPE %s%s %s\n", name, suffix, type);
	if (unit != NULL && o->om)
		fprintf(o->f, "# UNIT %s %s\n", name, unit);
	fprintf(o->f, "# HELP %s%s %s\n", name, suffix, help);
}

/* One histogram's samples; labels is "" or `name="value"`. */
static void
metrics_hist_write(FILE *f, const char *name, const char *labels,
    const struct metrics_hist *h)
{
	bool any = labels[0] != '\0';
	const char *sep = any ? "," : "", *lb = any ? "{" : "", *rb = any ?
	    "}" : "";
	uint64_t cum = 0;

	for (size_t i = 0; i < METRICS_N_BOUNDS; i++) {
		cum += h->counts[i];
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
		    (double)metrics_bounds_us[i] / 1e6,
		    (unsigned long long)cum);
	}
	cum += h->counts[METRICS_N_BOUNDS];
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
	    (unsigned long long)cum);
	fprintf(f, "%s_count%s%s%s %llu\n", name, lb, labels, rb,
	    (unsigned long long)cum);
	fprintf(f, "%s_sum%s%s%s %llu.%06llu\n", name, lb, labels, rb,
	    (unsigned long long)(h->sum_us / 1000000),
	    (unsigned long long)(h->sum_us % 1000000));
}

/* A gauge or counter family of one unlabelled sample. */
static void
metrics_one(const struct metrics_out *o, const char *name, const char *type,
    const char *unit, const char *help, long long v)
{
	metrics_family(o, name, type, unit, help);
	fprintf(o->f, "%s%s %lld\n", name,
	    strcmp(type, "counter") == 0 ? "_total" : "", v);
}

int
metrics_text(const struct metrics *m, const struct metrics_gauges *g,
    enum metrics_format fmt, char **text, size_t *len)
{
	struct metrics_out out = { .om = fmt == METRICS_OPENMETRICS };
	const struct metrics_out *o = &out;
	char labels[64];
	FILE *f;

	*text = NULL;
	*len = 0;
	if ((f = out.f = open_memstream(text, len)) == NULL)
		return -1;

	metrics_family(o, "dyntabled_requests", "counter", NULL,
	    "Requests answered, by operation and outcome (OK, the protocol's "
	    "error name, or ABANDONED when the client left first).");
	for (unsigned op = 0; op < DTP_OP_COUNT; op++) {
		if (op == DTP_OP_HELLO)
			continue; /* the handshake, never dispatched */
		for (unsigned oc = 0; oc < METRICS_N_OUTCOMES; oc++)
			if (oc == DTP_OK || m->requests[op][oc] != 0)
				fprintf(f, "dyntabled_requests_total{op=\"%s\","
				    "outcome=\"%s\"} %llu\n",
				    dtp_op_name((dtp_op)op),
				    metrics_outcome_name(oc),
				    (unsigned long long)m->requests[op][oc]);
	}
	metrics_family(o, "dyntabled_request_duration_seconds", "histogram",
	    "seconds", "Time from a request's arrival to its answer, by "
	    "operation (waits included).");
	for (unsigned op = 0; op < DTP_OP_COUNT; op++) {
		if (op == DTP_OP_HELLO)
			continue;
		snprintf(labels, sizeof(labels), "op=\"%s\"",
		    dtp_op_name((dtp_op)op));
		metrics_hist_write(f, "dyntabled_request_duration_seconds",
		    labels, &m->request_latency[op]);
	}
	metrics_family(o, "dyntabled_upstream_duration_seconds", "histogram",
	    "seconds", "Time of one HTTP attempt to DynamoDB, connect "
	    "included.");
	metrics_hist_write(f, "dyntabled_upstream_duration_seconds", "",
	    &m->upstream_latency);
	metrics_family(o, "dyntabled_upstream_retries", "counter", NULL,
	    "HTTP attempts to DynamoDB retried, by reason.");
	for (unsigned i = 0; i < METRICS_N_RETRY; i++)
		fprintf(f, "dyntabled_upstream_retries_total{reason=\"%s\"} "
		    "%llu\n", metrics_retry_names[i],
		    (unsigned long long)m->retries[i]);
	metrics_one(o, "dyntabled_upstream_attempts", "counter", NULL,
	    "HTTP attempts to DynamoDB started.",
	    (long long)g->upstream_attempts);
	metrics_one(o, "dyntabled_upstream_failures", "counter", NULL,
	    "DynamoDB calls that ended in an error, after retries.",
	    (long long)g->upstream_failures);
	metrics_one(o, "dyntabled_upstream_in_flight", "gauge", NULL,
	    "DynamoDB calls not yet answered (queued, sending or backing "
	    "off).", g->upstream_in_flight);
	metrics_one(o, "dyntabled_clients", "gauge", NULL,
	    "Client connections open.", g->clients);
	metrics_one(o, "dyntabled_requests_in_flight", "gauge", NULL,
	    "Requests received and not yet answered.",
	    (long long)g->requests_in_flight);
	metrics_one(o, "dyntabled_waiters", "gauge", NULL,
	    "Requests waiting for a table to become ACTIVE or deleted.",
	    g->waiters);
	metrics_one(o, "dyntabled_pollers", "gauge", NULL,
	    "Tables polled with DescribeTable for the waiters.", g->pollers);
	metrics_one(o, "dyntabled_polls", "counter", NULL,
	    "DescribeTable calls made by the pollers.", (long long)g->polls);
	metrics_one(o, "dyntabled_mutations_running", "gauge", NULL,
	    "CreateTable and DeleteTable calls in flight.",
	    g->mutations_running);
	metrics_one(o, "dyntabled_mutations_queued", "gauge", NULL,
	    "CreateTable and DeleteTable calls waiting for a slot.",
	    g->mutations_queued);
	metrics_one(o, "dyntabled_credentials_valid", "gauge", NULL,
	    "1 when the daemon holds keys to sign with.", g->creds_valid);
	if (g->creds_expire)
		metrics_one(o, "dyntabled_credentials_expiry_seconds", "gauge",
		    "seconds", "Seconds until the current temporary "
		    "credentials expire (absent for long-term keys).",
		    g->creds_expiry_s);
	metrics_one(o, "dyntabled_start_time_seconds", "gauge", "seconds",
	    "When the daemon started, in Unix time.", g->start_time);
	if (o->om)
		fputs("# EOF\n", f);
	if (ferror(f) != 0) {
		fclose(f);
		free(*text);
		*text = NULL;
		return -1;
	}
	if (fclose(f) != 0) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}
