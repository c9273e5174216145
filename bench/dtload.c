/* SPDX-License-Identifier: MIT */
/*
 * dtload: load and memory probes against a running dyntabled, through
 * libdyntable on libevent (dyntable_libevent.h).
 *
 *	dtload --socket PATH [--daemon-pid PID] [--endpoint-pid PID]
 *	       [--settle-ms MS]
 *	       [--idle-clients K]
 *	       [--waiters W --tables T [--waits-per-conn P] [--wait-ms MS]]
 *	       [--clients N (--count C | --seconds S) [--warmup W]
 *	        [--table NAME]]
 *
 * In that order, each part optional:
 *
 *  1. connects K clients (dyntable_connect: the hello handshake) that then
 *     stay idle;
 *  2. starts W wait_table_active requests on T tables named
 *     bench-missing-NNNNN that never exist (the endpoint answers
 *     ResourceNotFoundException, so the waits never end), at most P per
 *     connection (default 100, under the daemon's --max-inflight), each
 *     with a timeout of MS (default 600000). Then sends one describe_table
 *     on each of those connections: the daemon handles a connection's
 *     frames in order, so its answer proves every wait before it was
 *     taken. A wait that ends early counts as an error;
 *  3. after --settle-ms (default 300), prints a "setup" line with the
 *     daemon's VmRSS;
 *  4. with --clients N: N more connections, each with exactly one
 *     describe_table in flight, restarted from its callback as soon as it
 *     is answered (N clients, one request each: what N processes that
 *     share the daemon look like). The first --warmup answers are not
 *     measured. Prints a "load" line: the result line of bench_util.h;
 *     then a "load_extra" line: the daemon's VmRSS and RssAnon, and CPU
 *     time per answer over the whole phase (warm-up included) of the
 *     daemon (daemon_cpu_us), of this process (self_cpu_us: the client
 *     library's work) and of --endpoint-pid (endpoint_cpu_us).
 *
 * Exits 1 if any request failed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_util.h"
#include "dyntable.h"
#include "dyntable_libevent.h"

#define DTLOAD_MAX_CONNS 20000u

struct load;

/* One load client: one request in flight at a time. */
struct client {
	struct load *l;
	dyntable_ctx *ctx;
	double started;
	bool busy;
};

struct load {
	struct event_base *base;
	struct event *tick;
	const char *table;
	/* load phase */
	struct client *clients;
	unsigned n_clients;
	unsigned long count, warmup, done, measured, errors;
	double seconds, t0, t_end, hard;
	unsigned in_flight;
	bool measuring, stopping;
	bool tearing_down;	     /* freeing: callbacks are not results */
	struct bench_samples lat;
	/* wait phase */
	unsigned long waits_ended;   /* waits answered: each is an error */
	unsigned barriers_left;	     /* describe_table barriers unanswered */
	unsigned long barrier_errors;
};

static void load_start(struct client *cl);

static bool
load_result_ok(const dyntable_result *r)
{
	return r->status == DYNTABLE_OK && r->table != NULL &&
	    r->table->status != NULL;
}

static void
load_cb(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	struct client *cl = privdata;
	struct load *l = cl->l;
	double now = bench_now();

	if (l->tearing_down)
		return;
	cl->busy = false;
	l->in_flight--;
	l->done++;
	if (!load_result_ok(r)) {
		if (l->errors++ < 3)
			fprintf(stderr, "dtload: describe_table: %s\n",
			    r->message != NULL ? r->message : "no table");
	}
	if (l->measuring && !l->stopping) {
		bench_samples_add(&l->lat, now - cl->started);
		l->measured++;
	}
	if (!l->measuring && l->done >= l->warmup) {
		l->measuring = true;
		l->t0 = now;
	}
	if (l->measuring && !l->stopping &&
	    ((l->count != 0 && l->measured >= l->count) ||
		(l->seconds > 0 && now - l->t0 >= l->seconds))) {
		l->stopping = true;
		l->t_end = now;
	}
	if (!l->stopping)
		load_start(cl);
	else if (l->in_flight == 0)
		event_base_loopbreak(l->base);
}

static void
load_start(struct client *cl)
{
	struct load *l = cl->l;

	cl->started = bench_now();
	if (dyntable_describe_table(cl->ctx, l->table, load_cb, cl) !=
	    DYNTABLE_OK) {
		l->errors++;
		return;
	}
	cl->busy = true;
	l->in_flight++;
}

/* Every 50 ms: the time-based end of the load phase, and the hard limit
 * of whatever phase runs. */
static void
load_tick(evutil_socket_t fd, short what, void *arg)
{
	struct load *l = arg;
	double now = bench_now();

	if (l->measuring && !l->stopping && l->seconds > 0 &&
	    now - l->t0 >= l->seconds) {
		l->stopping = true;
		l->t_end = now;
	}
	if ((l->stopping && l->in_flight == 0) || now > l->hard)
		event_base_loopbreak(l->base);
}

static void
wait_cb(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	struct load *l = privdata;

	if (l->tearing_down)
		return;
	if (l->waits_ended++ < 3)
		fprintf(stderr, "dtload: a wait ended early: %s\n",
		    r->message != NULL ? r->message : "status OK");
}

static void
barrier_cb(dyntable_ctx *c, const dyntable_result *r, void *privdata)
{
	struct load *l = privdata;

	if (l->tearing_down)
		return;
	if (!load_result_ok(r))
		l->barrier_errors++;
	if (--l->barriers_left == 0)
		event_base_loopbreak(l->base);
}

/* Connects and attaches one context; NULL with a message on failure. */
static dyntable_ctx *
load_connect(const char *socket, struct event_base *base)
{
	dyntable_ctx *c = dyntable_connect(socket);

	if (c == NULL || dyntable_errcode(c) != DYNTABLE_OK) {
		fprintf(stderr, "dtload: connect: %s\n",
		    c != NULL ? dyntable_errstr(c) : "out of memory");
		dyntable_free(c);
		return NULL;
	}
	if (base != NULL && dyntable_libevent_attach(c, base) != 0) {
		fprintf(stderr, "dtload: cannot attach a context\n");
		dyntable_free(c);
		return NULL;
	}
	return c;
}

static void
load_usage(FILE *f)
{
	fputs("usage: dtload --socket PATH [--daemon-pid PID] "
	      "[--endpoint-pid PID] [--settle-ms MS]\n"
	      "              [--idle-clients K]\n"
	      "              [--waiters W --tables T [--waits-per-conn P] "
	      "[--wait-ms MS]]\n"
	      "              [--clients N (--count C | --seconds S) "
	      "[--warmup W] [--table NAME]]\n", f);
}

static void
load_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "daemon-pid", required_argument, NULL, 'p' },
		{ "endpoint-pid", required_argument, NULL, 'e' },
		{ "settle-ms", required_argument, NULL, 'z' },
		{ "idle-clients", required_argument, NULL, 'i' },
		{ "waiters", required_argument, NULL, 'W' },
		{ "tables", required_argument, NULL, 'T' },
		{ "waits-per-conn", required_argument, NULL, 'P' },
		{ "wait-ms", required_argument, NULL, 'M' },
		{ "clients", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "table", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct load l = { .table = "bench-table" };
	const char *socket = NULL;
	pid_t dpid = 0, epid = 0;
	unsigned settle_ms = 300, n_idle = 0, n_waiters = 0, n_tables = 0,
		 per_conn = 100, wait_ms = 600000, n_wconns = 0;
	dyntable_ctx **idle = NULL, **wconns = NULL;
	double setup_t0, cpu0 = 0, cpu1 = 0, self0, self1, ep0 = 0, ep1 = 0;
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'S': socket = optarg; break;
		case 'p': dpid = (pid_t)strtol(optarg, NULL, 10); break;
		case 'e': epid = (pid_t)strtol(optarg, NULL, 10); break;
		case 'z': settle_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': n_idle = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'W': n_waiters = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': n_tables = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'P': per_conn = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'M': wait_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': l.n_clients = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': l.count = strtoul(optarg, NULL, 10); break;
		case 's': l.seconds = strtod(optarg, NULL); break;
		case 'w': l.warmup = strtoul(optarg, NULL, 10); break;
		case 't': l.table = optarg; break;
		case 'h': load_usage(stdout); return 0;
		default: load_usage(stderr); return 2;
		}
	}
	if (n_waiters != 0 && per_conn != 0)
		n_wconns = (n_waiters + per_conn - 1) / per_conn;
	if (optind != argc || socket == NULL || settle_ms > 60000 ||
	    (n_waiters != 0 && (n_tables == 0 || per_conn == 0)) ||
	    n_idle > DTLOAD_MAX_CONNS || n_wconns > DTLOAD_MAX_CONNS ||
	    l.n_clients > DTLOAD_MAX_CONNS ||
	    (l.n_clients != 0 && (l.count == 0) == (l.seconds <= 0)) ||
	    l.seconds > 600) {
		load_usage(stderr);
		return 2;
	}
	bench_raise_nofile(n_idle + n_wconns + l.n_clients + 64);
	if ((l.base = event_base_new()) == NULL ||
	    (l.tick = event_new(l.base, -1, EV_PERSIST, load_tick, &l)) ==
		NULL ||
	    /* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	    (idle = calloc(n_idle + 1, sizeof *idle)) == NULL ||
	    /* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	    (wconns = calloc(n_wconns + 1, sizeof *wconns)) == NULL ||
	    (l.clients = calloc(l.n_clients + 1, sizeof *l.clients)) == NULL ||
	    bench_samples_init(&l.lat, l.count != 0 ? l.count : 1u << 22) !=
		0) {
		fputs("dtload: out of memory\n", stderr);
		free(idle);
		free(wconns);
		free(l.clients);
		if (l.tick != NULL)
			event_free(l.tick);
		if (l.base != NULL)
			event_base_free(l.base);
		return 1;
	}
	{
		struct timeval tv = { 0, 50000 };

		event_add(l.tick, &tv);
	}

	/* 1. idle clients */
	setup_t0 = bench_now();
	for (unsigned i = 0; i < n_idle; i++)
		if ((idle[i] = load_connect(socket, NULL)) == NULL) {
			rc = 1;
			goto out;
		}

	/* 2. waiters, then the barrier */
	for (unsigned i = 0; i < n_wconns; i++)
		if ((wconns[i] = load_connect(socket, l.base)) == NULL) {
			rc = 1;
			goto out;
		}
	for (unsigned i = 0; i < n_waiters; i++) {
		char name[64];

		snprintf(name, sizeof name, "bench-missing-%05u",
		    i % n_tables);
		if (dyntable_wait_for_table_active(wconns[i / per_conn], name,
		    wait_ms, wait_cb, &l) != DYNTABLE_OK) {
			fprintf(stderr, "dtload: cannot queue wait %u\n", i);
			rc = 1;
			goto out;
		}
	}
	for (unsigned i = 0; i < n_wconns; i++) {
		if (dyntable_describe_table(wconns[i], l.table, barrier_cb,
		    &l) != DYNTABLE_OK) {
			rc = 1;
			goto out;
		}
		l.barriers_left++;
	}
	if (l.barriers_left != 0) {
		l.hard = bench_now() + 60;
		event_base_dispatch(l.base);
		if (l.barriers_left != 0 || l.barrier_errors != 0) {
			fprintf(stderr, "dtload: %u of %u connections did not "
					"confirm their waits\n",
			    l.barriers_left + (unsigned)l.barrier_errors,
			    n_wconns);
			rc = 1;
			goto out;
		}
	}

	/* 3. settle, then measure */
	if (settle_ms != 0)
		load_sleep_ms(settle_ms);
	printf("setup idle_clients=%u waiters=%u tables=%u wait_conns=%u "
	       "secs=%.3f rss_kib=%ld rss_anon_kib=%ld\n",
	    n_idle, n_waiters, n_tables, n_wconns, bench_now() - setup_t0,
	    dpid > 0 ? bench_rss_kib(dpid) : -1L,
	    dpid > 0 ? bench_rss_anon_kib(dpid) : -1L);
	fflush(stdout);

	/* 4. load */
	if (l.n_clients != 0) {
		for (unsigned i = 0; i < l.n_clients; i++) {
			l.clients[i].l = &l;
			if ((l.clients[i].ctx = load_connect(socket,
			    l.base)) == NULL) {
				rc = 1;
				goto out;
			}
		}
		l.measuring = l.warmup == 0;
		l.hard = bench_now() + l.seconds + 120;
		if (dpid > 0)
			cpu0 = bench_cpu_secs(dpid);
		if (epid > 0)
			ep0 = bench_cpu_secs(epid);
		self0 = bench_self_cpu_secs();
		if (l.measuring)
			l.t0 = bench_now();
		for (unsigned i = 0; i < l.n_clients; i++)
			load_start(&l.clients[i]);
		event_base_dispatch(l.base);
		if (!l.stopping)
			l.t_end = bench_now();
		if (dpid > 0)
			cpu1 = bench_cpu_secs(dpid);
		if (epid > 0)
			ep1 = bench_cpu_secs(epid);
		self1 = bench_self_cpu_secs();
		printf("load clients=%u ", l.n_clients);
		bench_print_result(&l.lat, l.measured, l.t_end - l.t0,
		    l.errors + (l.in_flight != 0));
		/* CPU over the whole phase, warm-up included: per answer. */
		printf("load_extra rss_kib=%ld rss_anon_kib=%ld "
		       "daemon_cpu_us=%.1f self_cpu_us=%.1f "
		       "endpoint_cpu_us=%.1f\n",
		    dpid > 0 ? bench_rss_kib(dpid) : -1L,
		    dpid > 0 ? bench_rss_anon_kib(dpid) : -1L,
		    bench_per_op_us(cpu1 - cpu0, l.done),
		    bench_per_op_us(self1 - self0, l.done),
		    bench_per_op_us(ep1 - ep0, l.done));
		fflush(stdout);
		if (l.errors != 0 || l.in_flight != 0)
			rc = 1;
	}
	if (l.waits_ended != 0) {
		fprintf(stderr, "dtload: %lu waits ended early\n",
		    l.waits_ended);
		rc = 1;
	}
out:
	/* Freeing a context fires its pending callbacks (DISCONNECTED). */
	l.tearing_down = true;
	for (unsigned i = 0; i < l.n_clients; i++)
		dyntable_free(l.clients[i].ctx);
	for (unsigned i = 0; i < n_wconns; i++)
		dyntable_free(wconns[i]);
	for (unsigned i = 0; i < n_idle; i++)
		dyntable_free(idle[i]);
	free(l.clients);
	free(wconns);
	free(idle);
	bench_samples_free(&l.lat);
	event_free(l.tick);
	event_base_free(l.base);
	return rc;
}
