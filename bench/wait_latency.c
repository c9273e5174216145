/* SPDX-License-Identifier: MIT */
/*
 * wait_latency: how fast the daemon's shared waits answer, and what they
 * cost. Runs under tests/e2e/harness.sh (dynalite behind the counting
 * proxy); bench/run_waits.sh sets it up and prints the table.
 *
 *   wait_latency [--rounds N] [--create-ms MS] [--waiters LIST]
 *
 * 1. Latency: N times, creates a table (no wait), then asks
 *    wait_table_active on a second connection. dynalite flips the table to
 *    ACTIVE create-ms after CreateTable (the harness's
 *    DYNTABLE_TEST_CREATE_MS); the latency is the answer's arrival minus
 *    (CreateTable's reply + create-ms). The reply leaves dynalite right
 *    after it stored the table, so this is exact to a millisecond or two.
 * 2. Coalescing: for each count W in LIST (default 1,10,100,1000), creates
 *    a table and has W waiters (on min(W, 50) connections) wait for it;
 *    reports the DescribeTable calls the proxy saw meanwhile, and the
 *    latency of the last waiter answered.
 *
 * Prints markdown tables on stdout. Exits 1 if anything failed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "proxyctl.h"
#include "rawc.h"

#define MAX_CONNS 50
#define LONG_MS	  60000

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static long long
quantile(const long long *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);

	if (i == 0)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

/* Creates name without waiting; returns the reply time, -1 on error. */
static long long
create(rawc *c, const char *name)
{
	json_t *a = json_pack("{s:o}", "table", rawc_table_def(name, NULL));
	json_t *rep = rawc_call(c, "create_table", a, LONG_MS);
	long long t = rawc_now_ms();
	bool ok = rep != NULL && rawc_ok(rep);

	if (!ok) {
		char *s = rep != NULL ? json_dumps(rep, JSON_COMPACT) : NULL;

		fprintf(stderr, "wait_latency: create %s: %s\n", name,
		    s != NULL ? s : "no reply");
		free(s);
	}
	json_decref(rep);
	json_decref(a);
	return ok ? t : -1;
}

/* A decimal int, or -1 when s is not one (every valid value is >= 0). */
static int
parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

static int
bench_latency(int rounds, int create_ms)
{
	rawc *maker = rawc_connect(NULL, NULL, NULL);
	rawc *waiter = rawc_connect(NULL, NULL, NULL);
	long long *lat = calloc((size_t)rounds, sizeof(*lat));
	char name[64];
	int rv = -1;

	if (maker == NULL || waiter == NULL || lat == NULL)
		goto out;
	for (int i = 0; i < rounds; i++) {
		long long t0, t1;
		json_t *a, *rep;

		snprintf(name, sizeof(name), "bench-%ld-lat%d", (long)getpid(),
		    i);
		if ((t0 = create(maker, name)) < 0)
			goto out;
		a = json_pack("{s:s,s:i}", "name", name, "timeout_ms", LONG_MS);
		rep = rawc_call(waiter, "wait_table_active", a, LONG_MS);
		t1 = rawc_now_ms();
		json_decref(a);
		if (rep == NULL || !rawc_ok(rep)) {
			fprintf(stderr, "wait_latency: wait %s failed\n", name);
			json_decref(rep);
			goto out;
		}
		json_decref(rep);
		lat[i] = t1 - (t0 + create_ms);
	}
	qsort(lat, (size_t)rounds, sizeof(*lat), cmp_ll);
	printf("| waits | median | p90 | min | max |\n"
	    "|---|---|---|---|---|\n"
	    "| %d (one at a time) | %lld ms | %lld ms | %lld ms | %lld ms |\n\n",
	    rounds, quantile(lat, (size_t)rounds, 0.5),
	    quantile(lat, (size_t)rounds, 0.9), lat[0], lat[rounds - 1]);
	rv = 0;
out:
	free(lat);
	rawc_close(maker);
	rawc_close(waiter);
	return rv;
}

/* W waiters on one fresh table: DescribeTable calls, and when the last
 * and the median waiter were answered after ACTIVE. */
static int
bench_waiters(int w, int create_ms)
{
	int nc = w < MAX_CONNS ? w : MAX_CONNS;
	rawc *cs[MAX_CONNS] = { NULL };
	long long *ans = calloc((size_t)w, sizeof(*ans)), t0;
	long before, after;
	char name[64];
	json_t *a;
	int got = 0, rv = -1;

	if (ans == NULL)
		goto out;
	for (int i = 0; i < nc; i++)
		if ((cs[i] = rawc_connect(NULL, NULL, NULL)) == NULL)
			goto out;
	snprintf(name, sizeof(name), "bench-%ld-w%d", (long)getpid(), w);
	before = pc_count("DescribeTable");
	if ((t0 = create(cs[0], name)) < 0)
		goto out;
	a = json_pack("{s:s,s:i}", "name", name, "timeout_ms", LONG_MS);
	for (int i = 0; i < w; i++)
		if (rawc_send(cs[i % nc], "wait_table_active", a) == 0) {
			json_decref(a);
			goto out;
		}
	json_decref(a);
	for (int i = 0; i < nc; i++) {
		for (int j = i; j < w; j += nc) {
			json_t *rep = rawc_recv(cs[i], LONG_MS);

			if (rep == NULL || !rawc_ok(rep)) {
				fprintf(stderr, "wait_latency: a waiter "
				    "failed\n");
				json_decref(rep);
				goto out;
			}
			json_decref(rep);
			ans[got++] = rawc_now_ms() - (t0 + create_ms);
		}
	}
	after = pc_count("DescribeTable");
	qsort(ans, (size_t)w, sizeof(*ans), cmp_ll);
	printf("| %d | %d | %ld | %lld ms | %lld ms |\n", w, nc, after - before,
	    quantile(ans, (size_t)w, 0.5), ans[w - 1]);
	rv = 0;
out:
	for (int i = 0; i < nc; i++)
		rawc_close(cs[i]);
	free(ans);
	return rv;
}

int
main(int argc, char **argv)
{
	int rounds = 15, create_ms = 1000;
	const char *list = "1,10,100,1000";
	char *copy, *tok, *save = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = parse_count(argv[++i]);
		else if (strcmp(argv[i], "--create-ms") == 0 && i + 1 < argc)
			create_ms = parse_count(argv[++i]);
		else if (strcmp(argv[i], "--waiters") == 0 && i + 1 < argc)
			list = argv[++i];
		else {
			fprintf(stderr, "usage: wait_latency [--rounds N] "
			    "[--create-ms MS] [--waiters LIST]\n");
			return 2;
		}
	}
	if (rounds < 1 || create_ms < 0 || !pc_available()) {
		fprintf(stderr, "wait_latency: run me under "
		    "tests/e2e/harness.sh (see bench/run_waits.sh)\n");
		return 2;
	}
	printf("### Time from ACTIVE to the waiter's answer (dynalite "
	    "createTableMs=%d)\n\n", create_ms);
	if (bench_latency(rounds, create_ms) != 0)
		return 1;
	printf("### DescribeTable calls against waiters on one table\n\n"
	    "| waiters | connections | DescribeTable calls | median answer "
	    "after ACTIVE | last answer after ACTIVE |\n|---|---|---|---|---|\n");
	if ((copy = strdup(list)) == NULL)
		return 1;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		int w = parse_count(tok);

		if (w < 1 || bench_waiters(w, create_ms) != 0) {
			free(copy);
			return 1;
		}
	}
	free(copy);
	return 0;
}
