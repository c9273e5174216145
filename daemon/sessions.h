/* SPDX-License-Identifier: MIT */
/*
 * sessions.h: sessions (sessions.c).
 *
 * Every connection belongs to one session: hello starts one (a random
 * 128-bit token, returned to the client, a capability) or joins a live one
 * whose token the client presents. What a session holds (its ephemeral
 * tables: ephemeral.c) outlives its last connection by cfg.ephemeral_grace_ms;
 * a hello that joins the session within that grace keeps it; otherwise the
 * session ends and its owner is told (session_end_fn) to let go of what it
 * holds.
 */
#ifndef DYNTABLED_SESSIONS_H
#define DYNTABLED_SESSIONS_H

#include <stdbool.h>

#define SESSION_TOKEN_LEN 32 /* hex characters: 128 random bits */

struct event_base;
struct config;
struct sessions;
struct session;

/* s ends (its grace passed): release what it holds. s is freed after. */
typedef void session_end_fn(void *arg, struct session *s);

/* cfg must outlive it. NULL when out of memory. */
struct sessions *sessions_new(struct event_base *base,
    const struct config *cfg);
/* Who is told when a session ends (ephemeral.c, pools.c), in the order
 * they asked; at most SESSIONS_MAX_ENDS. */
#define SESSIONS_MAX_ENDS 4
void sessions_on_end(struct sessions *ss, session_end_fn *end, void *arg);
/* Frees every session (exit); no end is called. NULL is a no-op. */
void sessions_free(struct sessions *ss);

/* Joins the live session whose token is token (*resumed = true), else
 * starts a new one. NULL when out of memory. */
struct session *session_join(struct sessions *ss, const char *token,
    bool *resumed);
/* A connection of s closed. */
void session_leave(struct session *s);
/* Something belongs to s: s outlives its last connection by the grace.
 * Each hold is released once. */
void session_hold(struct session *s);
void session_release(struct session *s);
const char *session_token(const struct session *s);
/* The public id of s: a hash of its token, for tags and logs. */
const char *session_sid(const struct session *s);
/* True while a connection is in s. */
bool session_connected(const struct session *s);
/* True for SESSION_TOKEN_LEN lower-case hex characters. */
bool session_token_valid(const char *token);
unsigned sessions_count(const struct sessions *ss);

#endif /* DYNTABLED_SESSIONS_H */
