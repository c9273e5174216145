/* SPDX-License-Identifier: MIT */
/*
 * mutations.c: the mutation limiter (see mutations.h).
 *
 * Jobs wait in one FIFO per owner; the owners with queued jobs form a
 * ring, and each start takes the first job of the first owner, which then
 * goes to the back of the ring: round-robin between owners, FIFO within
 * one. Jobs start from the pump event, in the loop, never inside
 * mutation_queue() or mutation_end().
 */
#include <stdlib.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "mutations.h"

TAILQ_HEAD(mutation_list, mutation);

struct mutation {
	struct mutations *ms;
	struct mut_owner *o;	    /* its queue while queued, else NULL */
	mutation_start_fn *start;
	mutation_start_fn *refuse; /* SIGTERM while queued, or NULL */
	void *arg;
	TAILQ_ENTRY(mutation) entry; /* in o->jobs while queued */
};

/* The queue of one owner; exists while it holds queued jobs. */
struct mut_owner {
	const void *key;
	struct mutation_list jobs;
	TAILQ_ENTRY(mut_owner) entry; /* in ms->ring */
};

struct mutations {
	const struct config *cfg;   /* max_mutations, read at each start */
	TAILQ_HEAD(, mut_owner) ring; /* owners with queued jobs, next first */
	struct event *pump;	    /* starts jobs, from the loop */
	bool stopping;		    /* SIGTERM: start nothing more */
	struct mutation_stats st;
};

static unsigned
mutations_max(const struct mutations *ms)
{
	return ms->cfg->max_mutations != 0 ? ms->cfg->max_mutations :
	    1;
}

static void
mutations_pump(evutil_socket_t fd, short what, void *arg)
{
	struct mutations *ms = arg;
	unsigned max = mutations_max(ms);
	struct mut_owner *o;

	/* start() may end or queue jobs: re-read the ring every time. */
	while (!ms->stopping && ms->st.running < max && (o = TAILQ_FIRST(&ms->ring)) != NULL) {
		struct mutation *m = TAILQ_FIRST(&o->jobs);

		TAILQ_REMOVE(&o->jobs, m, entry);
		TAILQ_REMOVE(&ms->ring, o, entry);
		if (TAILQ_EMPTY(&o->jobs))
			free(o);
		else
			TAILQ_INSERT_TAIL(&ms->ring, o, entry); /* its turn is over */
		m->o = NULL;
		ms->st.queued--;
		ms->st.running++;
		ms->st.started++;
		if (ms->st.running > ms->st.peak)
			ms->st.peak = ms->st.running;
		m->start(m->arg);
	}
}

struct mutations *
mutations_new(struct event_base *base, const struct config *cfg)
{
	struct mutations *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		return NULL;
	ms->cfg = cfg;
	TAILQ_INIT(&ms->ring);
	if ((ms->pump = event_new(base, -1, 0, mutations_pump, ms)) ==
	    NULL) {
		free(ms);
		return NULL;
	}
	return ms;
}

void
mutations_free(struct mutations *ms)
{
	struct mut_owner *o;
	struct mutation *m;

	if (ms == NULL)
		return;
	while ((o = TAILQ_FIRST(&ms->ring)) != NULL) {
		while ((m = TAILQ_FIRST(&o->jobs)) != NULL) {
			TAILQ_REMOVE(&o->jobs, m, entry);
			free(m);
		}
		TAILQ_REMOVE(&ms->ring, o, entry);
		free(o);
	}
	event_free(ms->pump);
	free(ms);
}

struct mutation *
mutation_queue(struct mutations *ms, const void *owner,
    mutation_start_fn *start, mutation_start_fn *refuse, void *arg)
{
	struct mutation *m = calloc(1, sizeof(*m));
	struct mut_owner *o;

	if (m == NULL)
		return NULL;
	TAILQ_FOREACH(o, &ms->ring, entry)
		if (o->key == owner)
			break;
	if (o == NULL) {
		if ((o = calloc(1, sizeof(*o))) == NULL) {
			free(m);
			return NULL;
		}
		o->key = owner;
		TAILQ_INIT(&o->jobs);
		TAILQ_INSERT_TAIL(&ms->ring, o, entry);
	}
	m->ms = ms;
	m->o = o;
	m->start = start;
	m->refuse = refuse;
	m->arg = arg;
	TAILQ_INSERT_TAIL(&o->jobs, m, entry);
	ms->st.queued++;
	if (ms->st.running < mutations_max(ms))
		event_active(ms->pump, 0, 0);
	else
		log_debug("mutations: %u running, %u queued", ms->st.running,
		    ms->st.queued);
	return m;
}

void
mutation_end(struct mutation *m)
{
	struct mutations *ms = m->ms;
	struct mut_owner *o = m->o;

	if (o != NULL) { /* still queued: drop it */
		TAILQ_REMOVE(&o->jobs, m, entry);
		ms->st.queued--;
		if (TAILQ_EMPTY(&o->jobs)) {
			TAILQ_REMOVE(&ms->ring, o, entry);
			free(o);
		}
	} else {
		ms->st.running--;
		if (ms->st.queued != 0)
			event_active(ms->pump, 0, 0);
	}
	free(m);
}

void
mutations_shutdown(struct mutations *ms)
{
	struct mut_owner *o, *onext;
	struct mutation *m, *mnext;

	ms->stopping = true;
	/* refuse() answers a request, which never queues or ends another
	 * job: the ring changes only through mutation_end() of the job in
	 * hand, which frees o after its last job (mnext is NULL then). */
	for (o = TAILQ_FIRST(&ms->ring); o != NULL; o = onext) {
		onext = TAILQ_NEXT(o, entry);
		for (m = TAILQ_FIRST(&o->jobs); m != NULL; m = mnext) {
			mutation_start_fn *refuse = m->refuse;
			void *arg = m->arg;

			mnext = TAILQ_NEXT(m, entry);
			if (refuse == NULL)
				continue;
			mutation_end(m);
			refuse(arg);
		}
	}
}

void
mutations_get_stats(const struct mutations *ms, struct mutation_stats *st)
{
	*st = ms->st;
}
