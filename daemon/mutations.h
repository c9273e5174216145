/* SPDX-License-Identifier: MIT */
/*
 * mutations.h: the mutation limiter (mutations.c).
 *
 * At most cfg.max_mutations CreateTable/DeleteTable calls are in flight
 * per daemon (a call holds its slot through its retries and backoffs), so
 * that CI hosts sharing an account stay under DynamoDB's limit of table
 * operations at once. The rest wait in one queue per owner (a connection,
 * or the daemon's own work), served round-robin, so one client with a
 * hundred creates delays another's single create by one call at most.
 */
#ifndef DYNTABLED_MUTATIONS_H
#define DYNTABLED_MUTATIONS_H

struct event_base;
struct config;
struct mutations;
struct mutation;
typedef void mutation_start_fn(void *arg);

/* cfg must outlive the limiter. NULL when out of memory. */
struct mutations *mutations_new(struct event_base *base,
    const struct config *cfg);
/* Drops every job without calling back (exit). NULL is a no-op. */
void mutations_free(struct mutations *ms);
/* Queues start(arg) behind owner's other jobs. start runs from the event
 * loop, never inside this call; it must make the call, and call
 * mutation_end() once the call is over. refuse (NULL: the job stays
 * queued until exit) is called instead of start when the daemon stops
 * before the job's turn: the job is over then, nothing was sent. NULL
 * when out of memory. */
struct mutation *mutation_queue(struct mutations *ms, const void *owner,
    mutation_start_fn *start, mutation_start_fn *refuse, void *arg);
/* The job is over: a running one frees its slot, a queued one is dropped
 * (start will not run). m is freed. */
void mutation_end(struct mutation *m);
/* SIGTERM: no job starts any more; queued jobs with a refuse function are
 * dropped and refused at once (their clients learn that nothing was
 * sent); running ones go on. */
void mutations_shutdown(struct mutations *ms);

struct mutation_stats {
	unsigned running, queued;
	unsigned peak;		 /* most running at once since start */
	unsigned long started;	 /* jobs started since start */
};
void mutations_get_stats(const struct mutations *ms,
    struct mutation_stats *st);

#endif /* DYNTABLED_MUTATIONS_H */
