/* SPDX-License-Identifier: MIT */
/*
 * scrape.h: the --metrics-listen HTTP endpoint (scrape.c), libevent's own
 * HTTP server (evhttp) on the daemon's loop. GET /metrics answers the
 * text the render function gives: OpenMetrics when the scraper's Accept
 * names it (Prometheus does), else Prometheus' text format 0.0.4, as the
 * official client libraries negotiate; anything else 404 or 405.
 */
#ifndef DYNTABLED_SCRAPE_H
#define DYNTABLED_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct scrape;

/* Fills *text (malloc'd, the caller frees) and *len, in OpenMetrics or
 * else Prometheus' text format 0.0.4; -1 on failure. */
typedef int scrape_render_fn(void *arg, bool openmetrics, char **text,
    size_t *len);

/* Listens on host:port (port 0: a free one; the log says which). NULL
 * after logging why. */
struct scrape *scrape_new(struct event_base *base, const char *host,
    unsigned port, scrape_render_fn *render, void *arg);
/* Stops listening and closes every scrape connection. NULL is fine. */
void scrape_free(struct scrape *s);

#endif /* DYNTABLED_SCRAPE_H */
