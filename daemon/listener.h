/* SPDX-License-Identifier: MIT */
/*
 * listener.h: the Unix socket the daemon listens on (listener.c).
 */
#ifndef DYNTABLED_LISTENER_H
#define DYNTABLED_LISTENER_H

struct event_base;
struct config;
struct listener;

/* An accepted connection: fd is non-blocking and CLOEXEC; the callee
 * owns it. */
typedef void listener_accept_fn(void *arg, int fd);

/* Takes the socket systemd passed, or binds cfg->socket_path safely
 * (refuses a live instance, replaces a stale socket, mode
 * cfg->socket_mode), and hands every accepted connection to accept.
 * Returns NULL with a logged reason. */
struct listener *listener_new(struct event_base *base,
    const struct config *cfg, listener_accept_fn *accept, void *arg);
/* Stops accepting, closes and unlinks the socket. NULL is a no-op. */
void listener_free(struct listener *l);
/* A connection closed: resumes accepting if it was paused on EMFILE.
 * NULL (stopping) is a no-op. */
void listener_resume(struct listener *l);

#endif /* DYNTABLED_LISTENER_H */
