/* SPDX-License-Identifier: MIT */
/*
 * main.c: dyntabled's start-up, signal handling and shutdown.
 *
 * One libevent loop serves everything. SIGINT/SIGTERM drain: stop
 * accepting and reading, answer waiters with SHUTDOWN at once (a wait may
 * last an hour), let every other request in flight finish for at most
 * MAIN_DRAIN_MS, answer what is left with SHUTDOWN, write the replies,
 * then free everything and exit 0. A second signal exits at once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "conn.h"
#include "creds.h"
#include "ephemeral.h"
#include "listener.h"
#include "log.h"
#include "mutations.h"
#include "ops.h"
#include "scrape.h"
#include "pools.h"
#include "server.h"
#include "sessions.h"
#include "sigv4.h"
#include "truncate.h"
#include "upstream.h"
#include "wait.h"

/* Below systemd's TimeoutStopSec=10s, with room for the last replies. */
#define MAIN_DRAIN_MS 8000
#define MAIN_FLUSH_MS 1000

/* The drain deadline: whatever still runs is answered SHUTDOWN; the loop
 * ends once the replies are written, or after MAIN_FLUSH_MS. */
static void
main_on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { MAIN_FLUSH_MS / 1000, 0 };

	log_warn("drain deadline: %lu requests still in flight, answering "
	    "SHUTDOWN", srv->reqs_in_flight);
	conn_abort_all(srv);
	event_base_loopexit(srv->base, &tv);
}

static void
main_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { MAIN_DRAIN_MS / 1000, 0 };

	if (srv->stopping) {
		log_info("second signal: exiting now");
		event_base_loopbreak(srv->base);
		return;
	}
	log_info("signal %d: shutting down (%u clients)", (int)sig,
	    srv->n_conns);
	sd_notify(0, "STOPPING=1");
	srv->stopping = true;
	listener_free(srv->listener);
	srv->listener = NULL;
	waits_shutdown(srv->waits);
	mutations_shutdown(srv->muts);
	conn_shutdown_all(srv);
	if (srv->n_conns == 0)
		event_base_loopexit(srv->base, NULL);
	else if (event_base_once(srv->base, -1, EV_TIMEOUT,
	    main_on_drain_deadline, srv, &tv) != 0)
		event_base_loopexit(srv->base, &tv);
}

/* SIGHUP: re-read the region, the endpoint and the credentials without
 * touching clients: new calls use the new settings, calls in flight
 * finish with what they started with. */
static void
main_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	log_info("SIGHUP: reloading configuration and credentials");
	sd_notify(0, "RELOADING=1");
	if (config_reload(&srv->cfg) > 0)
		upstream_reconfigure(srv->up, &srv->cfg);
	config_reload_policy(&srv->cfg);
	conn_recheck_all(srv);
	creds_reload(srv->creds);
	sd_notify(0, "READY=1");
}

/* Every LOG_REPEAT_S: summaries of the warnings held back (log.c). */
static void
main_on_log_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush_repeats(false);
}

/* scrape_render_fn: the metrics, as the `metrics` op gives them. */
static int
main_render_metrics(void *arg, bool openmetrics, char **text, size_t *len)
{
	return ops_metrics_text(arg, openmetrics, text, len);
}

int
main(int argc, char **argv)
{
	struct server srv;
	struct scrape *scrape = NULL;
	struct event *ev_int = NULL, *ev_term = NULL, *ev_hup = NULL;
	struct event *ev_log = NULL;
	struct timeval log_tick = { LOG_REPEAT_S, 0 };
	int rc = 1;

	memset(&srv, 0, sizeof(srv));
	TAILQ_INIT(&srv.conns);
	switch (config_load(&srv.cfg, argc, argv)) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return 2;
	}
	log_init(srv.cfg.log_level);
	log_set_json(srv.cfg.log_json);
	/* A client that goes away mid-reply must cost an error, not us. */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("curl_global_init failed");
		goto out_config;
	}
	srv.started = time(NULL);
	if ((srv.base = event_base_new()) == NULL) {
		log_err("event_base_new failed");
		goto out_curl;
	}
	if ((srv.creds = creds_new(srv.base, &srv.cfg)) == NULL ||
	    (srv.up = upstream_new(srv.base, &srv.cfg, srv.creds)) == NULL ||
	    (srv.waits = waits_new(srv.base, &srv.cfg, srv.up)) == NULL ||
	    (srv.muts = mutations_new(srv.base, &srv.cfg)) == NULL ||
	    (srv.sessions = sessions_new(srv.base, &srv.cfg)) == NULL ||
	    (srv.eph = ephemeral_new(srv.base, &srv.cfg, srv.up, srv.muts,
	    srv.sessions)) == NULL ||
	    (srv.truncs = truncates_new(srv.base, &srv.cfg, srv.up)) == NULL ||
	    (srv.pools = pools_new(srv.base, &srv.cfg, srv.up, srv.muts,
	    srv.waits, srv.truncs, srv.sessions)) == NULL ||
	    (srv.listener = listener_new(srv.base, &srv.cfg, conn_accept,
	    &srv)) == NULL)
		goto out;
	if (srv.cfg.metrics_host != NULL && (scrape = scrape_new(srv.base,
	    srv.cfg.metrics_host, srv.cfg.metrics_port, main_render_metrics,
	    &srv)) == NULL)
		goto out;
	ev_int = evsignal_new(srv.base, SIGINT, main_on_signal, &srv);
	ev_term = evsignal_new(srv.base, SIGTERM, main_on_signal, &srv);
	ev_hup = evsignal_new(srv.base, SIGHUP, main_on_hup, &srv);
	ev_log = event_new(srv.base, -1, EV_PERSIST, main_on_log_tick, NULL);
	if (ev_int == NULL || ev_term == NULL || ev_hup == NULL ||
	    ev_log == NULL || evsignal_add(ev_int, NULL) ||
	    evsignal_add(ev_term, NULL) || evsignal_add(ev_hup, NULL) ||
	    event_add(ev_log, &log_tick)) {
		log_err("cannot install signal handlers");
		goto out;
	}
	/* The first keys may arrive after the loop starts: calls wait. */
	creds_start(srv.creds, upstream_creds_changed, srv.up);
	log_info("dyntabled %s ready: endpoint %s, region %s, credentials "
	    "from %s", DYNTABLED_VERSION, srv.cfg.endpoint, srv.cfg.region,
	    creds_source(srv.creds));
	sd_notifyf(0, "READY=1\nSTATUS=serving, endpoint %s", srv.cfg.endpoint);
	if (event_base_dispatch(srv.base) < 0) {
		log_err("event loop failed");
		goto out;
	}
	rc = 0;
out:
	/* Waits answer SHUTDOWN to connections still open; then the
	 * connections close, dropping whatever is left. */
	scrape_free(scrape);
	waits_free(srv.waits);
	conn_close_all(&srv);
	pools_free(srv.pools); /* after the connections; before what it uses */
	truncates_free(srv.truncs); /* after the connections: they use it */
	ephemeral_free(srv.eph); /* after the connections: they use it */
	sessions_free(srv.sessions); /* after the tables they hold */
	mutations_free(srv.muts);
	listener_free(srv.listener);
	upstream_free(srv.up);
	creds_free(srv.creds); /* after the pool, which signs with it */
	sigv4_cleanup();
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_hup != NULL)
		event_free(ev_hup);
	if (ev_log != NULL)
		event_free(ev_log);
	event_base_free(srv.base);
out_curl:
	curl_global_cleanup();
out_config:
	log_flush_repeats(true);
	log_info("exiting");
	config_free(&srv.cfg);
	return rc;
}
