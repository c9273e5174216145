/* SPDX-License-Identifier: MIT */
/*
 * pool_bench: an empty table per test (issue 15). Runs under
 * tests/e2e/harness.sh with DYNTABLE_TEST_CREATE_MS=3000 (dynalite keeps a
 * new table CREATING 3 s; real DynamoDB takes seconds); bench/run_pools.sh
 * sets it up.
 *
 *   pool_bench DYNTABLED [--rounds N] [--items N]
 *
 * Starts its own daemon (DYNTABLED) pointed straight at dynalite, so that
 * the daemon's calls and the direct ones below take the same path, then
 * measures, in one run:
 *   1. the time to obtain an empty ACTIVE table of one definition:
 *      create_table --wait + delete_table (what a test pays today),
 *      truncate_table of a table holding 100 items (the previous test's),
 *      and lease_table from a warm pool (each lease released right away);
 *   2. truncate_table of ITEMS items (default 10,000) against the same
 *      deletes sent directly: 4 processes (the daemon's default
 *      --truncate-concurrency for 16 connections), each scanning one
 *      segment for keys and sending BatchWriteItem deletes of 25;
 *   3. describe_table latency of another client, idle and while a
 *      truncate of ITEMS items runs.
 * Prints markdown on stdout. Exits 1 if anything failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "e2e_env.h"
#include "items.h"
#include "proxyctl.h"
#include "rawc.h"

#define LONG_MS	    120000
#define SEGMENTS    4
#define MAX_SAMPLES 100000

struct direct_buf {
	char *text;
	size_t len;
};

static int failed;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n values, nearest rank; sorts them. */
static double
quantile(double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	if (i == 0)
		i = 1;
	return v[(i > n ? n : i) - 1];
}

/* rawc_call that must succeed; the reply (new reference) or NULL. */
static json_t *
call_ok(rawc *c, const char *op, json_t *args, const char *what)
{
	json_t *rep = rawc_call(c, op, args, LONG_MS);

	json_decref(args);
	if (rep == NULL || !rawc_ok(rep)) {
		char *s = rep != NULL ? json_dumps(rep, JSON_COMPACT) : NULL;

		fprintf(stderr, "pool_bench: %s: %s\n", what, s != NULL ? s :
		    "no reply");
		free(s);
		json_decref(rep);
		failed = 1;
		return NULL;
	}
	return rep;
}

static json_t *
definition(const char *name)
{
	json_t *d = rawc_table_def(name != NULL ? name : "unused", "by-g");

	if (name == NULL)
		json_object_del(d, "TableName");
	return d;
}

/* Starts a daemon on sock pointed at dynalite; its pid. */
static pid_t
start_daemon(const char *bin, const char *sock, const char *log)
{
	const char *url = getenv("DYNTABLE_TEST_DYNALITE_URL");
	pid_t pid;

	if (url == NULL) {
		fprintf(stderr, "pool_bench: run me through harness.sh\n");
		exit(1);
	}
	if ((pid = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		setenv("AWS_ACCESS_KEY_ID", "AKIDBENCH", 1);
		setenv("AWS_SECRET_ACCESS_KEY", "bench-secret", 1);
		unsetenv("AWS_SESSION_TOKEN");
		execl(bin, bin, "--socket", sock, "--endpoint", url, "--region",
		    "us-east-1", "--log-level", "warn", "--pool-spare", "2",
		    (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
print_row(const char *what, double *v, size_t n, const char *note)
{
	double p50 = quantile(v, n, 0.5), p99 = quantile(v, n, 0.99);

	/* quantile() sorted v: the last is the largest. */
	printf("| %s | %zu | %.2f | %.2f | %.2f | %s |\n", what, n, p50 / 1e3,
	    p99 / 1e3, n > 0 ? v[n - 1] / 1e3 : 0.0, note);
}

/* 1. An empty ACTIVE table, three ways. */
static void
bench_obtain(rawc *c, int rounds)
{
	const struct items_keys k = { "pk", "S", NULL, NULL };
	double *v = calloc((size_t)rounds * 10 + 1, sizeof(double));
	char name[64];
	json_t *rep;
	int n;

	printf("### An empty ACTIVE table (createTableMs 3000)\n\n"
	    "| way | n | p50 ms | p99 ms | max ms | note |\n"
	    "|---|---|---|---|---|---|\n");
	for (n = 0; n < rounds; n++) {
		double t0 = now_us();

		snprintf(name, sizeof(name), "pb-create-%d", n);
		rep = call_ok(c, "create_table", json_pack("{s:o,s:b}",
		    "table", definition(name), "wait", 1), "create --wait");
		json_decref(rep);
		rep = call_ok(c, "delete_table", json_pack("{s:s}", "name",
		    name), "delete");
		json_decref(rep);
		v[n] = now_us() - t0;
	}
	print_row("create_table --wait + delete_table", v, (size_t)n,
	    "what a test pays today");

	snprintf(name, sizeof(name), "pb-truncated");
	json_decref(call_ok(c, "create_table", json_pack("{s:o,s:b}", "table",
	    definition(name), "wait", 1), "create"));
	for (n = 0; n < rounds * 4; n++) {
		double t0;

		if (items_fill(name, &k, 100) != 0)
			failed = 1;
		t0 = now_us();
		json_decref(call_ok(c, "truncate_table", json_pack("{s:s}",
		    "name", name), "truncate"));
		v[n] = now_us() - t0;
	}
	print_row("truncate_table of 100 items", v, (size_t)n,
	    "the previous test's items");

	/* Warm-up: the pool learns the definition and fills. */
	rep = call_ok(c, "lease_table", json_pack("{s:o}", "table",
	    definition(NULL)), "warm-up lease");
	if (rep != NULL)
		json_decref(call_ok(c, "release_table", json_pack("{s:O}",
		    "name", json_object_get(rawc_result(rep), "table_name")),
		    "release"));
	json_decref(rep);
	for (int i = 0; i < 200; i++) {
		json_t *p = rawc_call(c, "pools", NULL, LONG_MS);
		long ready = (long)json_integer_value(json_object_get(
		    json_array_get(json_object_get(rawc_result(p), "pools"), 0),
		    "ready"));

		json_decref(p);
		if (ready >= 3)
			break;
		e2e_sleep_ms(50);
	}
	for (n = 0; n < rounds * 10; n++) {
		double t0 = now_us(), t1;

		rep = call_ok(c, "lease_table", json_pack("{s:o}", "table",
		    definition(NULL)), "lease");
		t1 = now_us();
		v[n] = t1 - t0;
		if (rep == NULL)
			break;
		if (json_is_true(json_object_get(rawc_result(rep), "fresh")))
			fprintf(stderr, "pool_bench: lease %d was created\n",
			    n);
		json_decref(call_ok(c, "release_table", json_pack("{s:O}",
		    "name", json_object_get(rawc_result(rep), "table_name")),
		    "release"));
		json_decref(rep);
		/* A test takes a while: give the recycling its turn. */
		e2e_sleep_ms(20);
	}
	print_row("lease_table from a warm pool", v, (size_t)n,
	    "released after each; pool of 3");
	printf("\n");
	free(v);
}

static size_t
direct_body(char *p, size_t size, size_t n, void *arg)
{
	struct direct_buf *b = arg;
	char *q = realloc(b->text, b->len + size * n + 1);

	if (q == NULL)
		return 0;
	memcpy(q + b->len, p, size * n);
	b->text = q;
	b->len += size * n;
	b->text[b->len] = '\0';
	return size * n;
}

/* op with body straight to dynalite on h, a kept-alive connection, as an
 * SDK would send it (dynalite checks that a signature is there, not that
 * it is right, like pc_dynalite). The reply, or NULL. */
static json_t *
direct_call(CURL *h, const char *op, json_t *body, long *status)
{
	struct curl_slist *hd = NULL;
	struct direct_buf b = { NULL, 0 };
	char target[96], url[256];
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *out = NULL;

	json_decref(body);
	snprintf(url, sizeof(url), "%s/", getenv("DYNTABLE_TEST_DYNALITE_URL"));
	snprintf(target, sizeof(target), "X-Amz-Target: DynamoDB_20120810.%s",
	    op);
	hd = curl_slist_append(hd, target);
	hd = curl_slist_append(hd, "Content-Type: application/x-amz-json-1.0");
	hd = curl_slist_append(hd, "X-Amz-Date: 20250101T000000Z");
	hd = curl_slist_append(hd, "Authorization: AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, "
	    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, direct_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (text != NULL && curl_easy_perform(h) == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		out = b.text != NULL ? json_loads(b.text, 0, NULL) : NULL;
	}
	curl_slist_free_all(hd);
	free(b.text);
	free(text);
	return out;
}

/* The direct deletes of one segment: scan keys, BatchWriteItem 25, on
 * one kept-alive connection. */
static int
direct_segment(const char *table, int seg)
{
	json_t *start = NULL;
	CURL *h = curl_easy_init();
	int rc = 0;

	do {
		json_t *body = json_pack("{s:s,s:i,s:i,s:s,s:{s:s}}",
		    "TableName", table, "Segment", seg, "TotalSegments",
		    SEGMENTS, "ProjectionExpression", "#k0",
		    "ExpressionAttributeNames", "#k0", "pk"), *rep, *items;
		long status = 0;
		size_t n;

		if (start != NULL)
			json_object_set_new(body, "ExclusiveStartKey", start);
		rep = direct_call(h, "Scan", body, &status);
		if (rep == NULL || status != 200) {
			json_decref(rep);
			rc = -1;
			break;
		}
		items = json_object_get(rep, "Items");
		n = json_array_size(items);
		for (size_t i = 0; i < n; i += 25) {
			json_t *reqs = json_array(), *b, *r;

			for (size_t j = i; j < n && j < i + 25; j++)
				json_array_append_new(reqs, json_pack(
				    "{s:{s:O}}", "DeleteRequest", "Key",
				    json_array_get(items, j)));
			b = json_pack("{s:{s:o}}", "RequestItems", table, reqs);
			r = direct_call(h, "BatchWriteItem", b, &status);
			if (r == NULL || status != 200 || json_object_size(
			    json_object_get(r, "UnprocessedItems")) != 0)
				rc = -1;
			json_decref(r);
		}
		start = rc == 0 ? json_incref(json_object_get(rep,
		    "LastEvaluatedKey")) : NULL;
		json_decref(rep);
	} while (start != NULL);
	curl_easy_cleanup(h);
	return rc;
}

/* 2. truncate_table against the same deletes sent directly. */
static void
bench_throughput(rawc *c, long items, int rounds)
{
	const struct items_keys k = { "pk", "S", NULL, NULL };
	const char *name = "pb-big";
	double tr = 0, di = 0;

	json_decref(call_ok(c, "create_table", json_pack("{s:o,s:b}", "table",
	    definition(name), "wait", 1), "create"));
	for (int r = 0; r < rounds; r++) {
		double t0;
		pid_t pids[SEGMENTS];
		int ok = 1;

		if (items_fill(name, &k, items) != 0)
			failed = 1;
		t0 = now_us();
		json_decref(call_ok(c, "truncate_table", json_pack("{s:s}",
		    "name", name), "truncate"));
		tr += now_us() - t0;
		if (items_count(name) != 0)
			failed = 1;
		if (items_fill(name, &k, items) != 0)
			failed = 1;
		t0 = now_us();
		for (int s = 0; s < SEGMENTS; s++)
			if ((pids[s] = fork()) == 0)
				_exit(direct_segment(name, s) == 0 ? 0 : 1);
		for (int s = 0; s < SEGMENTS; s++) {
			int st = 1;

			waitpid(pids[s], &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				ok = 0;
		}
		di += now_us() - t0;
		if (!ok || items_count(name) != 0)
			failed = 1;
	}
	printf("### Truncate throughput (%ld items, %d rounds)\n\n"
	    "| way | items/s | |\n|---|---|---|\n"
	    "| truncate_table (daemon: 4 segments, 4 calls in flight) | %.0f "
	    "| %.0f %% of direct |\n"
	    "| direct Scan + BatchWriteItem, 4 processes, a kept-alive "
	    "connection each | %.0f | |\n\n",
	    items, rounds, (double)items * rounds / (tr / 1e6),
	    100.0 * di / tr, (double)items * rounds / (di / 1e6));
}

/* describe_table latencies into v: on d, or (d NULL, the control)
 * DescribeTable straight to dynalite; for ms (idle), or until t
 * answers. Returns how many. */
static size_t
describes(rawc *d, rawc *t, double ms, double *v)
{
	json_t *args = json_pack("{s:s}", "name", "pb-other");
	json_t *body = json_pack("{s:s}", "TableName", "pb-other");
	double end = now_us() + ms * 1e3;
	size_t n = 0;

	while (n < MAX_SAMPLES) {
		double t0 = now_us();
		long status = 0;
		json_t *rep = d != NULL ? rawc_call(d, "describe_table", args,
		    LONG_MS) : pc_dynalite("DescribeTable", body, &status);

		v[n++] = now_us() - t0;
		json_decref(rep);
		if (t != NULL) {
			struct pollfd pfd = { rawc_fd(t), POLLIN, 0 };
			json_t *done = poll(&pfd, 1, 0) == 1 ?
			    rawc_recv(t, LONG_MS) : NULL;

			if (done != NULL) {
				if (!rawc_ok(done))
					failed = 1;
				json_decref(done);
				break;
			}
		} else if (now_us() >= end) {
			break;
		}
	}
	json_decref(args);
	json_decref(body);
	return n;
}

/* One row: describes idle, then during a truncate of items items. */
static void
others_row(rawc *c, rawc *d, long items, double *v, const char *who)
{
	const struct items_keys k = { "pk", "S", NULL, NULL };
	size_t n = describes(d, NULL, 1000, v), m;
	double idle = quantile(v, n, 0.5), idle99 = quantile(v, n, 0.99);
	double p50, p99;
	json_t *args;

	if (items_fill("pb-big", &k, items) != 0)
		failed = 1;
	args = json_pack("{s:s}", "name", "pb-big");
	if (rawc_send(c, "truncate_table", args) == 0)
		failed = 1;
	json_decref(args);
	m = describes(d, c, 0, v);
	p50 = quantile(v, m, 0.5);
	p99 = quantile(v, m, 0.99);
	printf("| %s | %zu | %.2f | %.2f | %zu | %.2f | %.2f | %.2f |\n", who,
	    n, idle / 1e3, idle99 / 1e3, m, p50 / 1e3, p99 / 1e3, p50 / idle);
}

/* 3. Another client's describes, idle and during a truncate; the same
 * straight to dynalite, to tell the daemon's part from the emulator's. */
static void
bench_others(rawc *c, const char *sock, long items)
{
	double *v = calloc(MAX_SAMPLES, sizeof(double));
	rawc *d = rawc_connect(sock, NULL, NULL);

	if (v == NULL || d == NULL) {
		failed = 1;
		free(v);
		return;
	}
	json_decref(call_ok(c, "create_table", json_pack("{s:o,s:b}", "table",
	    definition("pb-other"), "wait", 1), "create"));
	printf("### Another client's describes while a truncate of %ld items "
	    "runs\n\n| describes | n idle | p50 ms | p99 ms | n during | "
	    "p50 ms | p99 ms | p50 ratio |\n|---|---|---|---|---|---|---|---|"
	    "\n", items);
	others_row(c, d, items, v, "describe_table through the daemon");
	others_row(c, NULL, items, v, "DescribeTable straight to dynalite "
	    "(control)");
	printf("\n");
	rawc_close(d);
	free(v);
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("DYNTABLE_TEST_DIR");
	char sock[512], log[512];
	int rounds = 5;
	long items = 10000;
	rawc *c = NULL;
	pid_t pid;

	if (argc < 2 || dir == NULL) {
		fprintf(stderr, "usage: pool_bench DYNTABLED [--rounds N] "
		    "[--items N] (under tests/e2e/harness.sh)\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		char *end;
		long v = strtol(argv[i + 1], &end, 10);

		if (*end != '\0' || v < 0 || v > 1000000)
			v = -1;
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = (int)v;
		else if (strcmp(argv[i], "--items") == 0)
			items = v;
	}
	if (rounds < 1 || items < 100) {
		fprintf(stderr, "pool_bench: --rounds >= 1, --items >= 100\n");
		return 2;
	}
	snprintf(sock, sizeof(sock), "%s/bench.sock", dir);
	snprintf(log, sizeof(log), "%s/bench-daemon.log", dir);
	pid = start_daemon(argv[1], sock, log);
	for (int i = 0; i < 100 && c == NULL; i++) {
		e2e_sleep_ms(100);
		if (access(sock, F_OK) == 0)
			c = rawc_connect(sock, NULL, NULL);
	}
	if (c == NULL) {
		fprintf(stderr, "pool_bench: the daemon did not start\n");
		kill(pid, SIGKILL);
		return 1;
	}
	bench_obtain(c, rounds);
	bench_throughput(c, items, rounds > 3 ? 3 : rounds);
	bench_others(c, sock, items);
	rawc_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return failed;
}
