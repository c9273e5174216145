/* SPDX-License-Identifier: MIT */
/*
 * truncate.c: deleting every item of a table (see truncate.h).
 *
 * One struct truncation per table being truncated, all in the daemon's
 * struct truncates, which owns the bound: at most `limit` DynamoDB calls
 * of all truncations in flight at once. Whenever a slot frees, the
 * truncations take turns (round robin) to start their next call:
 *   - a BatchWriteItem of 25 keys when 25 are pending (or the rest, once
 *     every segment is scanned), unless a backoff for unprocessed items
 *     is running;
 *   - else the next page of an idle Scan segment, unless enough keys
 *     are pending already (memory stays bounded: TR_PENDING_MAX keys).
 * Throttling and 5xx of each call are retried by the upstream pool under
 * the standard retry rules; UnprocessedItems go back to the pending keys
 * and wait a full-jitter backoff, and a truncation that makes no progress
 * for TR_STUCK_ROUNDS rounds fails.
 *
 * Callbacks are never called from inside truncate_start() or the pump:
 * the end of a truncation is delivered from its own event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "dynamo.h"
#include "log.h"
#include "retry.h"
#include "truncate.h"

#define TR_BATCH	     25	  /* BatchWriteItem's limit */
#define TR_SCAN_LIMIT	     1000 /* keys a Scan page returns at most */
#define TR_PENDING_MAX	     ((size_t)2 * TR_SCAN_LIMIT) /* no Scan beyond */
#define TR_SEGMENTS_MAX	     16
#define TR_STUCK_ROUNDS	     10	  /* rounds with everything unprocessed */
#define TR_BACKOFF_BASE_MS   50u
#define TR_BACKOFF_CAP_MS    5000u

struct truncation;

/* One call in flight: a slot of the truncation's calls[]. */
struct tr_call {
	struct truncation *t;
	struct dynamo_call *dc;	/* NULL: the slot is free */
	int segment;		/* a Scan's segment; -1 otherwise */
	size_t sent;		/* a BatchWriteItem's keys */
};

struct tr_segment {
	json_t *start;		/* ExclusiveStartKey of the next page */
	bool busy, done;
};

struct truncation {
	struct truncates *ts;
	TAILQ_ENTRY(truncation) entry;
	truncate_cb *cb;
	void *arg;
	struct timespec started;
	json_t *pending;	/* keys found and not yet deleted */
	struct tr_call *calls;	/* ts->limit slots */
	struct event *ev;	/* the backoff, then the delivery */
	size_t n_keys;
	unsigned long deleted;
	struct tr_segment seg[TR_SEGMENTS_MAX];
	unsigned n_segments;
	unsigned in_flight;
	unsigned stuck;		/* rounds in a row with nothing processed */
	unsigned retries;	/* rounds with something unprocessed */
	dtp_err err;
	bool force;
	bool described;		/* the key schema is known */
	bool finished;		/* the result waits for its event */
	bool backing_off;
	char table[256];
	char keys[2][256];	/* hash, range */
	char aws_type[64];
	char msg[512];
};

TAILQ_HEAD(tr_list, truncation);

struct truncates {
	struct event_base *base;
	struct upstream *up;
	unsigned limit;		/* calls in flight, all truncations */
	unsigned in_flight;
	struct tr_list jobs;
	struct event *kick;	/* runs the pump from the loop */
	unsigned long deleted;
};

static void tr_pump(struct truncates *ts);

unsigned
truncate_concurrency(const struct config *cfg)
{
	unsigned n = cfg->truncate_concurrency;

	/* A quarter of the connections: the rest stay for other clients. */
	if (n == 0)
		n = cfg->max_connections / 4;
	return n != 0 ? n : 1;
}

static void
tr_kicked(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tr_pump(arg);
}

struct truncates *
truncates_new(struct event_base *base, const struct config *cfg,
    struct upstream *up)
{
	struct truncates *ts = calloc(1, sizeof(*ts));

	if (ts == NULL)
		return NULL;
	ts->base = base;
	ts->up = up;
	ts->limit = truncate_concurrency(cfg);
	TAILQ_INIT(&ts->jobs);
	if ((ts->kick = event_new(base, -1, 0, tr_kicked, ts)) == NULL) {
		free(ts);
		return NULL;
	}
	return ts;
}

/* Abandons t's calls in flight. */
static void
tr_stop_calls(struct truncation *t)
{
	for (unsigned i = 0; i < t->ts->limit; i++) {
		if (t->calls[i].dc == NULL)
			continue;
		dynamo_cancel(t->calls[i].dc);
		t->calls[i].dc = NULL;
		t->ts->in_flight--;
	}
	t->in_flight = 0;
}

static void
tr_free(struct truncation *t)
{
	tr_stop_calls(t);
	TAILQ_REMOVE(&t->ts->jobs, t, entry);
	for (unsigned i = 0; i < TR_SEGMENTS_MAX; i++)
		json_decref(t->seg[i].start);
	json_decref(t->pending);
	if (t->ev != NULL)
		event_free(t->ev);
	free(t->calls);
	free(t);
}

void
truncates_free(struct truncates *ts)
{
	struct truncation *t;

	if (ts == NULL)
		return;
	while ((t = TAILQ_FIRST(&ts->jobs)) != NULL)
		tr_free(t);
	event_free(ts->kick);
	free(ts);
}

static unsigned long
tr_elapsed_ms(const struct truncation *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long)((now.tv_sec - t->started.tv_sec) * 1000 +
	    (now.tv_nsec - t->started.tv_nsec) / 1000000);
}

/* t is over (err, or DTP_OK): its calls stop now, its callback fires from
 * its event. */
static void
tr_finish(struct truncation *t, dtp_err err, const char *aws_type,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
tr_finish(struct truncation *t, dtp_err err, const char *aws_type,
    const char *fmt, ...)
{
	va_list ap;

	if (t->finished)
		return;
	t->finished = true;
	t->err = err;
	snprintf(t->aws_type, sizeof(t->aws_type), "%s",
	    aws_type != NULL ? aws_type : "");
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	tr_stop_calls(t);
	event_del(t->ev);
	event_active(t->ev, 0, 0);
	event_active(t->ts->kick, 0, 0); /* its slots are free */
}

/* The event of t: a backoff ended, or t is over. */
static void
tr_event(evutil_socket_t fd, short what, void *arg)
{
	struct truncation *t = arg;
	truncate_result res;

	(void)fd;
	(void)what;
	if (!t->finished) {
		t->backing_off = false;
		tr_pump(t->ts);
		return;
	}
	res = (truncate_result){ .err = t->err, .message = t->msg,
		.aws_type = t->aws_type[0] != '\0' ? t->aws_type : NULL,
		.deleted = t->deleted, .elapsed_ms = tr_elapsed_ms(t) };
	if (t->err == DTP_OK)
		log_info("truncated table %s: %lu items in %lu ms", t->table,
		    res.deleted, res.elapsed_ms);
	else
		log_info("truncate of table %s failed after %lu items: %s",
		    t->table, res.deleted, t->msg);
	t->cb(t->arg, &res);
	tr_free(t);
}

/* A call of t answered: frees its slot; false (t finished) when it
 * failed. */
static bool
tr_call_done(struct tr_call *c, const dynamo_result *res)
{
	struct truncation *t = c->t;

	c->dc = NULL;
	t->in_flight--;
	t->ts->in_flight--;
	event_active(t->ts->kick, 0, 0);
	if (res->err == DTP_OK)
		return true;
	tr_finish(t, res->err, res->aws_type, "%s", res->message);
	return false;
}

/* Nothing left to scan, delete or wait for: done. */
static void
tr_check_done(struct truncation *t)
{
	if (t->in_flight != 0 || json_array_size(t->pending) != 0)
		return;
	for (unsigned i = 0; i < t->n_segments; i++)
		if (!t->seg[i].done)
			return;
	tr_finish(t, DTP_OK, NULL, "truncated");
}

static void
tr_described(void *arg, const dynamo_result *res)
{
	struct tr_call *c = arg;
	struct truncation *t = c->t;
	const json_t *ks, *k;
	size_t i;

	if (!tr_call_done(c, res))
		return;
	if (json_is_true(json_object_get(res->table,
	    "DeletionProtectionEnabled")) && !t->force) {
		tr_finish(t, DTP_E_INVALID, NULL, "table %s has deletion "
		    "protection: truncate it with force", t->table);
		return;
	}
	ks = json_object_get(res->table, "KeySchema");
	json_array_foreach(ks, i, k) {
		const char *name = json_string_value(json_object_get(k,
		    "AttributeName"));
		const char *type = json_string_value(json_object_get(k,
		    "KeyType"));
		size_t at = type != NULL && strcmp(type, "RANGE") == 0 ? 1 : 0;

		if (name == NULL || i >= 2 || strlen(name) >= sizeof(t->keys[0]))
			break;
		snprintf(t->keys[at], sizeof(t->keys[at]), "%s", name);
		t->n_keys++;
	}
	if (t->n_keys == 0 || t->keys[0][0] == '\0' || (t->n_keys == 2 &&
	    t->keys[1][0] == '\0')) {
		tr_finish(t, DTP_E_UPSTREAM, NULL, "malformed DescribeTable "
		    "reply: table %s has no usable KeySchema", t->table);
		return;
	}
	t->described = true;
}

static void
tr_scanned(void *arg, const dynamo_result *res)
{
	struct tr_call *c = arg;
	struct truncation *t = c->t;
	struct tr_segment *s = &t->seg[c->segment];
	const json_t *last;

	s->busy = false;
	if (!tr_call_done(c, res))
		return;
	if (json_array_extend(t->pending, json_object_get(res->doc,
	    "Items")) != 0) {
		tr_finish(t, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	json_decref(s->start);
	s->start = NULL;
	last = json_object_get(res->doc, "LastEvaluatedKey");
	if (last != NULL && json_object_size(last) != 0)
		s->start = json_deep_copy(last);
	else
		s->done = true;
	if (!s->done && s->start == NULL) {
		tr_finish(t, DTP_E_INTERNAL, NULL, "out of memory");
		return;
	}
	tr_check_done(t);
}

/* Puts the keys of UnprocessedItems back; returns how many. */
static size_t
tr_requeue(struct truncation *t, const json_t *reply)
{
	const json_t *list = json_object_get(json_object_get(reply,
	    "UnprocessedItems"), t->table);
	const json_t *w;
	size_t i, n = 0;

	json_array_foreach(list, i, w) {
		json_t *key = json_object_get(json_object_get(w,
		    "DeleteRequest"), "Key");

		if (json_is_object(key) && json_array_append(t->pending,
		    key) == 0)
			n++;
	}
	return n;
}

static void
tr_deleted(void *arg, const dynamo_result *res)
{
	struct tr_call *c = arg;
	struct truncation *t = c->t;
	size_t sent = c->sent, left;

	if (!tr_call_done(c, res))
		return;
	left = tr_requeue(t, res->doc);
	if (left > sent)
		left = sent;
	t->deleted += sent - left;
	t->ts->deleted += sent - left;
	if (left == 0) {
		t->stuck = 0;
		tr_check_done(t);
		return;
	}
	t->stuck = left == sent ? t->stuck + 1 : 0;
	if (t->stuck >= TR_STUCK_ROUNDS) {
		tr_finish(t, DTP_E_UPSTREAM, NULL, "table %s: DynamoDB left "
		    "every item of %u BatchWriteItem calls in a row "
		    "unprocessed", t->table, TR_STUCK_ROUNDS);
		return;
	}
	/* Full jitter, like the upstream retries; deletes pause, scans go
	 * on. */
	if (!t->backing_off) {
		unsigned ms = retry_backoff_ms(t->retries++, TR_BACKOFF_BASE_MS,
		    TR_BACKOFF_CAP_MS, (double)arc4random() / 4294967296.0);
		struct timeval tv = { ms / 1000,
			(suseconds_t)(ms % 1000) * 1000 };

		t->backing_off = true;
		event_add(t->ev, &tv);
	}
}

/* A free call slot of t (there is one: t's calls never exceed the
 * daemon's bound). */
static struct tr_call *
tr_slot(struct truncation *t)
{
	for (unsigned i = 0; i < t->ts->limit; i++)
		if (t->calls[i].dc == NULL)
			return &t->calls[i];
	return NULL;
}

/* Starts the call c describes with dc; false when out of memory (t is
 * finished then). */
static bool
tr_started(struct truncation *t, struct tr_call *c, struct dynamo_call *dc)
{
	if (dc == NULL) {
		tr_finish(t, DTP_E_INTERNAL, NULL, "out of memory");
		return false;
	}
	c->dc = dc;
	t->in_flight++;
	t->ts->in_flight++;
	return true;
}

/* Up to k pending keys, moved into a new array; NULL when out of memory.
 * The pending keys are few (TR_PENDING_MAX): shifting them down is
 * cheaper than a queue of its own. */
static json_t *
tr_take(struct truncation *t, size_t k)
{
	json_t *batch = json_array();

	while (batch != NULL && json_array_size(batch) < k &&
	    json_array_size(t->pending) > 0) {
		if (json_array_append(batch, json_array_get(t->pending, 0)) !=
		    0) {
			json_decref(batch);
			return NULL;
		}
		json_array_remove(t->pending, 0);
	}
	return batch;
}

/* Starts t's next call if it has one; true when it did. */
static bool
tr_next(struct truncation *t)
{
	struct tr_call *c;
	size_t n = json_array_size(t->pending);
	bool scanned = true;
	int idle = -1;

	if (t->finished || (c = tr_slot(t)) == NULL)
		return false;
	c->t = t;
	c->segment = -1;
	if (!t->described) {
		if (t->in_flight != 0)
			return false;
		return tr_started(t, c, dynamo_describe(t->ts->up, t->table,
		    tr_described, c));
	}
	for (unsigned i = 0; i < t->n_segments; i++) {
		if (!t->seg[i].done)
			scanned = false;
		if (!t->seg[i].done && !t->seg[i].busy && idle < 0)
			idle = (int)i;
	}
	if (!t->backing_off && (n >= TR_BATCH || (n > 0 && scanned))) {
		json_t *batch = tr_take(t, TR_BATCH);

		if (batch == NULL) {
			tr_finish(t, DTP_E_INTERNAL, NULL, "out of memory");
			return false;
		}
		c->sent = json_array_size(batch);
		return tr_started(t, c, dynamo_batch_delete(t->ts->up,
		    t->table, batch, tr_deleted, c));
	}
	if (idle >= 0 && n < TR_PENDING_MAX) {
		struct dynamo_scan sc = { .table = t->table,
			.keys = { t->keys[0], t->keys[1] },
			.n_keys = t->n_keys, .segment = (unsigned)idle,
			.total = t->n_segments, .limit = TR_SCAN_LIMIT,
			.start = t->seg[idle].start };

		c->segment = idle;
		if (!tr_started(t, c, dynamo_scan_keys(t->ts->up, &sc,
		    tr_scanned, c)))
			return false;
		t->seg[idle].busy = true;
		return true;
	}
	return false;
}

/* True when every call slot of the daemon's truncations is taken. */
static bool
tr_full(const struct truncates *ts)
{
	return ts->in_flight >= ts->limit;
}

/* Gives free slots to the truncations in turn. */
static void
tr_pump(struct truncates *ts)
{
	for (;;) {
		struct truncation *t, *next, *first = TAILQ_FIRST(&ts->jobs);
		bool progress = false;

		/* tr_next() raises ts->in_flight when it starts a call. */
		for (t = first; t != NULL && !tr_full(ts); t = next) {
			next = TAILQ_NEXT(t, entry);
			if (tr_next(t))
				progress = true;
		}
		/* The next pass, and the next pump, start one further. */
		if (first != NULL && TAILQ_NEXT(first, entry) != NULL) {
			TAILQ_REMOVE(&ts->jobs, first, entry);
			TAILQ_INSERT_TAIL(&ts->jobs, first, entry);
		}
		if (!progress || tr_full(ts))
			return;
	}
}

struct truncation *
truncate_start(struct truncates *ts, const char *table, bool force,
    truncate_cb *cb, void *arg)
{
	struct truncation *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ts = ts;
	t->force = force;
	t->cb = cb;
	t->arg = arg;
	snprintf(t->table, sizeof(t->table), "%s", table);
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	t->n_segments = ts->limit < TR_SEGMENTS_MAX ? ts->limit :
	    TR_SEGMENTS_MAX;
	t->pending = json_array();
	t->calls = calloc(ts->limit, sizeof(*t->calls));
	t->ev = event_new(ts->base, -1, 0, tr_event, t);
	TAILQ_INSERT_TAIL(&ts->jobs, t, entry);
	if (t->pending == NULL || t->calls == NULL || t->ev == NULL) {
		tr_free(t);
		return NULL;
	}
	event_active(ts->kick, 0, 0);
	return t;
}

void
truncate_cancel(struct truncation *t)
{
	struct truncates *ts = t->ts;

	log_info("truncate of table %s stopped after %lu items: abandoned",
	    t->table, t->deleted);
	tr_free(t);
	event_active(ts->kick, 0, 0);
}

void
truncates_get_stats(const struct truncates *ts, struct truncate_stats *st)
{
	const struct truncation *t;

	memset(st, 0, sizeof(*st));
	TAILQ_FOREACH(t, &ts->jobs, entry)
		st->running++;
	st->calls = ts->in_flight;
	st->deleted = ts->deleted;
}
