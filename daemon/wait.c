/* SPDX-License-Identifier: MIT */
/*
 * wait.c: waits on daemon timers. Clients send one request and get one
 * answer; the daemon polls DescribeTable for them.
 *
 * All waiters on the same table and goal share one poller, so a thousand
 * clients waiting for one table cost the DescribeTable calls of one. A
 * poller polls at once, then backs off (x1.5 with jitter) from
 * poll_min_ms towards poll_max_ms. It stops when the goal holds (every
 * waiter answered), when DynamoDB returns a real error (every waiter gets
 * it), or when its last waiter leaves (deadline, or client gone).
 * Waiters for ACTIVE that asked for the table alone (table_only) share
 * the table's ACTIVE poller and are answered as soon as TableStatus is
 * ACTIVE; the others when every GSI is ACTIVE too; those of an update
 * that created or deleted an index (struct wait_index) share it as well,
 * and also want that index listed, or gone. Each poll answers every
 * waiter whose condition holds.
 *
 * Ownership: the registry owns its pollers; a poller owns its waiters. A
 * waiter's callback fires once (the waiter is freed just before it), or
 * never once its starter calls wait_cancel(). Nothing here knows requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "config.h"
#include "ddb.h"
#include "dynamo.h"
#include "log.h"
#include "wait.h"

TAILQ_HEAD(waiter_list, waiter);
TAILQ_HEAD(poller_list, poller);

struct waiter {
	struct poller *p;	    /* the poller this waiter is on */
	wait_cb *cb;		    /* its starter's */
	void *arg;
	unsigned timeout_ms;	    /* for the deadline's message */
	struct event *deadline;	    /* fires when the waiter's time is up */
	bool table_only;	    /* ACTIVE: TableStatus alone suffices */
	char created[256];	    /* ACTIVE: this index listed, or "" */
	char deleted[256];	    /* ACTIVE: this index gone, or "" */
	TAILQ_ENTRY(waiter) entry;  /* in p->waiters */
};

struct poller {
	struct waits *w;
	char table[256];
	enum wait_goal goal;
	struct waiter_list waiters;
	unsigned n_waiters;
	struct event *timer;	    /* next DescribeTable */
	struct dynamo_call *call;   /* DescribeTable in flight, or NULL */
	unsigned delay_ms;	    /* the next delay before jitter */
	char last_status[160];	    /* what the last poll saw, for messages */
	TAILQ_ENTRY(poller) entry;  /* in w->pollers */
};

struct waits {
	struct event_base *base;
	const struct config *cfg;   /* poll_min_ms, poll_max_ms */
	struct upstream *up;
	bool stopping;		    /* waits_shutdown() was called */
	struct poller_list pollers;
	unsigned n_pollers;
	unsigned n_waiters;
	unsigned long polls;
};

static const char *const wait_goal_names[] = {
	[WAIT_ACTIVE] = "ACTIVE",
	[WAIT_DELETED] = "deleted",
};

static void wait_poll(evutil_socket_t fd, short what, void *arg);

struct waits *
waits_new(struct event_base *base, const struct config *cfg,
    struct upstream *up)
{
	struct waits *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->base = base;
	w->cfg = cfg;
	w->up = up;
	TAILQ_INIT(&w->pollers);
	return w;
}

/* A uniform double in [0, 1) for jitter; not secret, but RAND_bytes is
 * at hand and never needs seeding. */
static double
wait_rand01(void)
{
	uint32_t v = 0;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		return 0.5;
	return v / 4294967296.0;
}

static void
wait_arm(struct poller *p, unsigned ms)
{
	struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(p->timer, &tv);
}

/* Stops and frees a poller that has no waiters left. */
static void
poller_free(struct poller *p)
{
	if (p->call != NULL)
		dynamo_cancel(p->call);
	if (p->timer != NULL)
		event_free(p->timer);
	TAILQ_REMOVE(&p->w->pollers, p, entry);
	p->w->n_pollers--;
	log_debug("wait: poller for %s (%s) stopped", p->table,
	    wait_goal_names[p->goal]);
	free(p);
}

/* Detaches wt from its poller and frees it. */
static void
waiter_free(struct waiter *wt)
{
	struct poller *p = wt->p;

	TAILQ_REMOVE(&p->waiters, wt, entry);
	p->n_waiters--;
	p->w->n_waiters--;
	event_free(wt->deadline);
	free(wt);
}

/* Frees wt, then tells its starter res. */
static void
waiter_answer(struct waiter *wt, const wait_result *res)
{
	wait_cb *cb = wt->cb;
	void *arg = wt->arg;

	waiter_free(wt);
	cb(arg, res);
}

void
wait_cancel(struct waiter *wt)
{
	struct poller *p = wt->p;

	waiter_free(wt);
	if (p->n_waiters == 0)
		poller_free(p);
}

static void
wait_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *wt = arg;
	struct poller *p = wt->p;
	wait_cb *cb = wt->cb;
	void *cb_arg = wt->arg;
	char msg[512];
	wait_result res = { .err = DTP_E_TIMEOUT, .message = msg };

	(void)fd;
	(void)what;
	snprintf(msg, sizeof(msg), "table %s not %s after %u ms (last seen: "
	    "%s)", p->table, wait_goal_names[p->goal], wt->timeout_ms,
	    p->last_status[0] != '\0' ? p->last_status : "nothing yet");
	wait_cancel(wt); /* p may go with it */
	cb(cb_arg, &res);
}

/* Answers every waiter of p with success and frees p. */
static void
poller_succeed(struct poller *p, const json_t *desc)
{
	struct waiter *wt;

	log_debug("wait: %s is %s; answering %u waiters", p->table,
	    wait_goal_names[p->goal], p->n_waiters);
	wait_result res = { .err = DTP_OK, .table = desc };

	/* waiter_answer unlinks wt before its callback, which never
	 * frees p (replies are queued; conns close from their own
	 * events); the analyzer does not tie tqe_prev to the head. */
	while ((wt = TAILQ_FIRST(&p->waiters)) != NULL)
		waiter_answer(wt, &res); /* NOLINT(clang-analyzer-unix.Malloc) */
	poller_free(p);
}

/* Whether desc satisfies wt, a waiter for ACTIVE. */
static bool
waiter_done(const struct waiter *wt, const json_t *desc)
{
	const char *st = ddb_table_status(desc);

	if (wt->table_only)
		return st != NULL && strcmp(st, "ACTIVE") == 0;
	return ddb_table_active(desc) && (wt->created[0] == '\0' ||
	    ddb_table_has_index(desc, wt->created)) &&
	    (wt->deleted[0] == '\0' || !ddb_table_has_index(desc,
	    wt->deleted));
}

/* A poll for ACTIVE answered desc: answers the waiters it satisfies.
 * Frees p and returns false when none is left. */
static bool
poller_active(struct poller *p, const json_t *desc)
{
	struct waiter *wt, *next;
	wait_result res = { .err = DTP_OK, .table = desc };
	unsigned answered = 0;

	for (wt = TAILQ_FIRST(&p->waiters); wt != NULL; wt = next) {
		next = TAILQ_NEXT(wt, entry);
		if (waiter_done(wt, desc)) {
			waiter_answer(wt, &res);
			answered++;
		}
	}
	if (answered > 0)
		log_debug("wait: %s: answered %u waiters, %u left", p->table,
		    answered, p->n_waiters);
	if (p->n_waiters != 0)
		return true;
	poller_free(p);
	return false;
}

/* Answers every waiter of p with the error of res and frees p. */
static void
poller_fail(struct poller *p, const dynamo_result *dr)
{
	struct waiter *wt;
	wait_result res = { .err = dr->err, .aws_type = dr->aws_type,
		.message = dr->message };

	log_info("wait: %s: DescribeTable failed (%s); ending %u waits",
	    p->table, dr->aws_type != NULL ? dr->aws_type : dr->message,
	    p->n_waiters);
	/* waiter_answer unlinks wt before its callback, which never
	 * frees p (replies are queued; conns close from their own
	 * events); the analyzer does not tie tqe_prev to the head. */
	while ((wt = TAILQ_FIRST(&p->waiters)) != NULL)
		waiter_answer(wt, &res); /* NOLINT(clang-analyzer-unix.Malloc) */
	poller_free(p);
}

/* Schedules the next poll with backoff and jitter in [0.75, 1.25). */
static void
poller_next(struct poller *p)
{
	const struct config *cfg = p->w->cfg;
	unsigned ms = (unsigned)(p->delay_ms * (0.75 + 0.5 * wait_rand01()));

	wait_arm(p, ms);
	p->delay_ms = p->delay_ms + p->delay_ms / 2;
	if (p->delay_ms > cfg->poll_max_ms)
		p->delay_ms = cfg->poll_max_ms;
	if (p->delay_ms < cfg->poll_min_ms)
		p->delay_ms = cfg->poll_min_ms;
}

/*
 * A poll's answer. ACTIVE (with its GSIs, unless a waiter wants the table
 * alone) or gone ends the waits; not found yet, throttling, an endpoint
 * that cannot be reached or that answers nonsense keep them going until
 * their deadlines, with what was seen kept for the timeout's message;
 * any other error ends them with that error.
 */
static void
wait_polled(void *arg, const dynamo_result *res)
{
	struct poller *p = arg;

	p->call = NULL;
	if (res->err == DTP_OK) {
		snprintf(p->last_status, sizeof(p->last_status), "%s",
		    ddb_table_status(res->table));
		if (p->goal == WAIT_ACTIVE && !poller_active(p, res->table))
			return;
	} else if (res->err == DTP_E_NOT_FOUND) {
		snprintf(p->last_status, sizeof(p->last_status), "not found");
		if (p->goal == WAIT_DELETED) {
			poller_succeed(p, NULL);
			return;
		}
		/* Waiting for ACTIVE: DescribeTable is eventually consistent
		 * right after CreateTable, so keep polling. */
	} else if (res->transient) {
		/* Throttled, unreachable, or a garbled, truncated or
		 * oversized reply even after retries: say which, and keep
		 * waiting until the deadline; it may recover. */
		snprintf(p->last_status, sizeof(p->last_status), "%s",
		    res->aws_type != NULL ? res->aws_type : res->message);
		if (res->aws_type == NULL)
			log_warn("wait: %s: %s; still waiting", p->table,
			    res->message);
	} else {
		poller_fail(p, res);
		return;
	}
	poller_next(p);
}

/* Timer: sends the next DescribeTable. */
static void
wait_poll(evutil_socket_t fd, short what, void *arg)
{
	struct poller *p = arg;

	(void)fd;
	(void)what;
	if ((p->call = dynamo_describe(p->w->up, p->table, wait_polled, p)) ==
	    NULL) {
		log_warn("wait: %s: out of memory; retrying", p->table);
		poller_next(p);
		return;
	}
	p->w->polls++;
}

static struct poller *
poller_find(struct waits *w, const char *table, enum wait_goal goal)
{
	struct poller *p;

	TAILQ_FOREACH(p, &w->pollers, entry)
		if (p->goal == goal && strcmp(p->table, table) == 0)
			return p;
	return NULL;
}

static struct poller *
poller_new(struct waits *w, const char *table, enum wait_goal goal)
{
	struct poller *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->w = w;
	p->goal = goal;
	snprintf(p->table, sizeof(p->table), "%s", table);
	TAILQ_INIT(&p->waiters);
	p->delay_ms = w->cfg->poll_min_ms;
	if ((p->timer = evtimer_new(w->base, wait_poll, p)) == NULL) {
		free(p);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&w->pollers, p, entry);
	w->n_pollers++;
	wait_arm(p, 0); /* the table may already be there */
	log_debug("wait: poller for %s (%s) started", table,
	    wait_goal_names[goal]);
	return p;
}

struct waiter *
wait_start(struct waits *w, const char *table, enum wait_goal goal,
    unsigned timeout_ms, bool table_only, const struct wait_index *ix,
    wait_cb *cb, void *arg, dtp_err *err)
{
	struct poller *p = poller_find(w, table, goal);
	bool fresh = p == NULL;
	struct waiter *wt;
	struct timeval tv = { timeout_ms / 1000,
	    (suseconds_t)(timeout_ms % 1000) * 1000 };

	*err = DTP_E_SHUTDOWN; /* e.g. a create's wait, after SIGTERM */
	if (w->stopping)
		return NULL;
	*err = DTP_E_INTERNAL;
	if (fresh && (p = poller_new(w, table, goal)) == NULL)
		return NULL;
	if ((wt = calloc(1, sizeof(*wt))) == NULL)
		goto nomem;
	wt->p = p;
	wt->cb = cb;
	wt->arg = arg;
	wt->timeout_ms = timeout_ms;
	wt->table_only = goal == WAIT_ACTIVE && table_only;
	if (goal == WAIT_ACTIVE && ix != NULL) {
		snprintf(wt->created, sizeof(wt->created), "%s",
		    ix->created != NULL ? ix->created : "");
		snprintf(wt->deleted, sizeof(wt->deleted), "%s",
		    ix->deleted != NULL ? ix->deleted : "");
	}
	if ((wt->deadline = evtimer_new(w->base, wait_on_deadline, wt)) ==
	    NULL) {
		free(wt);
		goto nomem;
	}
	evtimer_add(wt->deadline, &tv);
	TAILQ_INSERT_TAIL(&p->waiters, wt, entry);
	p->n_waiters++;
	w->n_waiters++;
	return wt;
nomem:
	if (fresh)
		poller_free(p);
	return NULL;
}

void
waits_shutdown(struct waits *w)
{
	struct poller *p;
	wait_result res = { .err = DTP_E_SHUTDOWN, .message = "the daemon is "
		"shutting down" };

	w->stopping = true;
	while ((p = TAILQ_FIRST(&w->pollers)) != NULL) {
		struct waiter *wt;

		/* waiter_answer unlinks wt before its callback, which never
		 * frees p (replies are queued; conns close from their own
		 * events); the analyzer does not tie tqe_prev to the head. */
		while ((wt = TAILQ_FIRST(&p->waiters)) != NULL)
			waiter_answer(wt, &res); /* NOLINT(clang-analyzer-unix.Malloc) */
		poller_free(p);
	}
}

void
waits_free(struct waits *w)
{
	if (w == NULL)
		return;
	waits_shutdown(w);
	free(w);
}

void
waits_get_stats(const struct waits *w, struct wait_stats *st)
{
	st->waiters = w->n_waiters;
	st->pollers = w->n_pollers;
	st->polls = w->polls;
}
