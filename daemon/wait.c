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
 * Waiters for ACTIVE that asked for the table alone (REQ_TABLE_ONLY) share
 * the table's ACTIVE poller and are answered as soon as TableStatus is
 * ACTIVE; the others when every GSI is ACTIVE too.
 *
 * Ownership: the registry owns its pollers; a poller owns its waiters;
 * a waiter points at its request (owned by the connection) and the
 * request points back at the waiter, so either side can end it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "dyntabled.h"
#include "retry.h"

TAILQ_HEAD(waiter_list, waiter);
TAILQ_HEAD(poller_list, poller);

struct waiter {
	struct poller *p;	    /* the poller this waiter is on */
	struct req *r;		    /* the request to answer */
	struct event *deadline;	    /* fires when the request's time is up */
	bool table_only;	    /* ACTIVE: TableStatus alone suffices */
	TAILQ_ENTRY(waiter) entry;  /* in p->waiters */
};

struct poller {
	struct waits *w;
	char table[256];
	enum wait_goal goal;
	struct waiter_list waiters;
	unsigned n_waiters;
	struct event *timer;	    /* next DescribeTable */
	struct upcall *upcall;	    /* DescribeTable in flight, or NULL */
	unsigned delay_ms;	    /* the next delay before jitter */
	char last_status[160];	    /* what the last poll saw, for messages */
	TAILQ_ENTRY(poller) entry;  /* in w->pollers */
};

struct waits {
	struct server *srv;
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
waits_new(struct server *srv)
{
	struct waits *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->srv = srv;
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
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(p->timer, &tv);
}

/* Stops and frees a poller that has no waiters left. */
static void
poller_free(struct poller *p)
{
	if (p->upcall != NULL)
		upstream_cancel(p->upcall);
	if (p->timer != NULL)
		event_free(p->timer);
	TAILQ_REMOVE(&p->w->pollers, p, entry);
	p->w->n_pollers--;
	log_debug("wait: poller for %s (%s) stopped", p->table,
	    wait_goal_names[p->goal]);
	free(p);
}

/* Detaches wt from its poller and request, and frees it. Returns the
 * request it was serving. */
static struct req *
waiter_detach(struct waiter *wt)
{
	struct poller *p = wt->p;
	struct req *r = wt->r;

	TAILQ_REMOVE(&p->waiters, wt, entry);
	p->n_waiters--;
	p->w->n_waiters--;
	event_free(wt->deadline);
	r->waiter = NULL;
	free(wt);
	return r;
}

void
wait_cancel(struct waiter *wt)
{
	struct poller *p = wt->p;

	waiter_detach(wt);
	if (p->n_waiters == 0)
		poller_free(p);
}

static void
wait_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *wt = arg;
	struct poller *p = wt->p;
	char table[256], last[160];
	enum wait_goal goal = p->goal;
	struct req *r;
	unsigned ms;

	snprintf(table, sizeof(table), "%s", p->table);
	snprintf(last, sizeof(last), "%s", p->last_status);
	r = wt->r;
	ms = r->timeout_ms;
	wait_cancel(wt);
	req_reply_error(r, DTP_E_TIMEOUT, NULL, "table %s not %s after %u ms "
	    "(last seen: %s)", table, wait_goal_names[goal], ms,
	    last[0] != '\0' ? last : "nothing yet");
}

/* Answers every waiter of p with success and frees p. */
static void
poller_succeed(struct poller *p, const json_t *desc)
{
	struct waiter *wt;

	log_debug("wait: %s is %s; answering %u waiters", p->table,
	    wait_goal_names[p->goal], p->n_waiters);
	while ((wt = TAILQ_FIRST(&p->waiters)) != NULL)
		ops_wait_done(waiter_detach(wt), desc);
	poller_free(p);
}

/* The table is ACTIVE but some GSI is not: answers the waiters that
 * wanted the table alone. Frees p and returns false when none is left. */
static bool
poller_table_active(struct poller *p, const json_t *desc)
{
	struct waiter *wt, *next;

	for (wt = TAILQ_FIRST(&p->waiters); wt != NULL; wt = next) {
		next = TAILQ_NEXT(wt, entry);
		if (wt->table_only)
			ops_wait_done(waiter_detach(wt), desc);
	}
	if (p->n_waiters != 0)
		return true;
	poller_free(p);
	return false;
}

/* Answers every waiter of p with the error of ur and frees p. */
static void
poller_fail(struct poller *p, const upstream_reply *ur)
{
	struct waiter *wt;

	log_info("wait: %s: DescribeTable failed (%s); ending %u waits",
	    p->table, ur->aws_type != NULL ? ur->aws_type : "no answer",
	    p->n_waiters);
	while ((wt = TAILQ_FIRST(&p->waiters)) != NULL)
		req_reply_upstream_error(waiter_detach(wt), ur);
	poller_free(p);
}

/* Schedules the next poll with backoff and jitter in [0.75, 1.25). */
static void
poller_next(struct poller *p)
{
	const struct config *cfg = &p->w->srv->cfg;
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
wait_polled(void *arg, const upstream_reply *ur)
{
	struct poller *p = arg;
	bool ok = !ur->transport_error && ur->http_status == 200 &&
	    ur->aws_type == NULL && ur->body != NULL;
	const json_t *desc = ok ? json_object_get(ur->body, "Table") : NULL;
	bool missing = !ok && ur->aws_type != NULL &&
	    ddb_error_code(ur->aws_type) == DTP_E_NOT_FOUND;
	char why[128];

	p->upcall = NULL;
	if (ok && ddb_check_table(desc, why, sizeof(why)) != 0) {
		snprintf(p->last_status, sizeof(p->last_status),
		    "malformed DescribeTable reply: %s", why);
		log_warn("wait: %s: %s; still waiting", p->table,
		    p->last_status);
	} else if (ok) {
		snprintf(p->last_status, sizeof(p->last_status), "%s",
		    ddb_table_status(desc));
		if (p->goal == WAIT_ACTIVE && ddb_table_active(desc)) {
			poller_succeed(p, desc);
			return;
		}
		if (p->goal == WAIT_ACTIVE &&
		    strcmp(p->last_status, "ACTIVE") == 0 &&
		    !poller_table_active(p, desc))
			return;
	} else if (missing) {
		snprintf(p->last_status, sizeof(p->last_status), "not found");
		if (p->goal == WAIT_DELETED) {
			poller_succeed(p, NULL);
			return;
		}
		/* Waiting for ACTIVE: DescribeTable is eventually consistent
		 * right after CreateTable, so keep polling. */
	} else if (ur->no_credentials) {
		poller_fail(p, ur);
		return;
	} else if (ur->transport_error || ur->aws_type == NULL) {
		/* No usable answer even after retries: unreachable, or a
		 * garbled, truncated or oversized reply, or an HTTP error
		 * without a type. Say which; it may recover. */
		if (ur->transport_error)
			snprintf(p->last_status, sizeof(p->last_status),
			    "no usable answer: %s", ur->message != NULL ?
			    ur->message : "none");
		else
			snprintf(p->last_status, sizeof(p->last_status),
			    "HTTP %ld without an error type", ur->http_status);
		log_warn("wait: %s: %s; still waiting", p->table,
		    p->last_status);
	} else if (retry_classify(false, ur->http_status, ur->aws_type) !=
	    RETRY_NO) {
		snprintf(p->last_status, sizeof(p->last_status), "%s",
		    ur->aws_type);
	} else {
		poller_fail(p, ur);
		return;
	}
	poller_next(p);
}

/* Timer: sends the next DescribeTable. */
static void
wait_poll(evutil_socket_t fd, short what, void *arg)
{
	struct poller *p = arg;
	char *body;
	json_t *j = json_pack("{s:s}", "TableName", p->table);

	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body != NULL)
		p->upcall = upstream_call(p->w->srv->up, "DescribeTable", body,
		    wait_polled, p);
	free(body);
	if (p->upcall == NULL) {
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
	p->delay_ms = w->srv->cfg.poll_min_ms;
	if ((p->timer = evtimer_new(w->srv->base, wait_poll, p)) == NULL) {
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

void
wait_start(struct waits *w, struct req *r, enum wait_goal goal)
{
	struct poller *p = poller_find(w, r->table, goal);
	bool fresh = p == NULL;
	struct waiter *wt;
	struct timeval tv = { r->timeout_ms / 1000,
		(r->timeout_ms % 1000) * 1000 };

	if (w->srv->stopping) { /* e.g. a create's wait, after SIGTERM */
		req_reply_error(r, DTP_E_SHUTDOWN, NULL, "the daemon is "
		    "shutting down: not waiting for %s", r->table);
		return;
	}
	if (fresh && (p = poller_new(w, r->table, goal)) == NULL)
		goto nomem;
	if ((wt = calloc(1, sizeof(*wt))) == NULL)
		goto nomem;
	wt->p = p;
	wt->r = r;
	wt->table_only = goal == WAIT_ACTIVE && (r->flags & REQ_TABLE_ONLY);
	if ((wt->deadline = evtimer_new(w->srv->base, wait_on_deadline, wt)) ==
	    NULL) {
		free(wt);
		goto nomem;
	}
	evtimer_add(wt->deadline, &tv);
	TAILQ_INSERT_TAIL(&p->waiters, wt, entry);
	p->n_waiters++;
	w->n_waiters++;
	r->waiter = wt;
	return;
nomem:
	if (fresh && p != NULL)
		poller_free(p);
	req_reply_error(r, DTP_E_INTERNAL, NULL, "out of memory");
}

void
waits_shutdown(struct waits *w)
{
	struct poller *p;

	while ((p = TAILQ_FIRST(&w->pollers)) != NULL) {
		struct waiter *wt;

		while ((wt = TAILQ_FIRST(&p->waiters)) != NULL)
			req_reply_error(waiter_detach(wt), DTP_E_SHUTDOWN,
			    NULL, "the daemon is shutting down");
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
