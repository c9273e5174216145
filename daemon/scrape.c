/* SPDX-License-Identifier: MIT */
/*
 * scrape.c: the metrics over HTTP (see scrape.h).
 *
 * evhttp does the HTTP: parsing, keep-alive, HEAD, the 404 for other
 * paths and the 405 for methods other than GET and HEAD. The limits below
 * keep a scraper from costing more than a request or two's worth of
 * memory, and a stuck one from holding a connection: the address is on
 * loopback unless the operator said otherwise (config.c), so these
 * guard against mistakes more than attacks.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "log.h"
#include "metrics.h"
#include "scrape.h"

#define SCRAPE_MAX_HEADERS 8192 /* bytes of request headers */
#define SCRAPE_TIMEOUT_S   10	/* a connection idle (or slow) this long */

struct scrape {
	struct evhttp *http;
	scrape_render_fn *render;
	void *arg;
};

/* GET /metrics (and HEAD, which evhttp answers without the body). */
static void
scrape_on_metrics(struct evhttp_request *req, void *arg)
{
	struct scrape *s = arg;
	const char *accept = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Accept");
	bool om = accept != NULL &&
	    strstr(accept, "application/openmetrics-text") != NULL;
	struct evbuffer *body;
	char *text = NULL;
	size_t len = 0;

	if (s->render(s->arg, om, &text, &len) != 0 ||
	    (body = evbuffer_new()) == NULL) {
		free(text);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	if (evbuffer_add(body, text, len) != 0) {
		free(text);
		evbuffer_free(body);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", om ? METRICS_CONTENT_TYPE :
	    METRICS_CONTENT_TYPE_PROMETHEUS);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* The port actually bound (port 0 asks the kernel for one), or 0. */
static unsigned
scrape_bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(bs);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

struct scrape *
scrape_new(struct event_base *base, const char *host, unsigned port,
    scrape_render_fn *render, void *arg)
{
	struct scrape *s = calloc(1, sizeof(*s));
	struct evhttp_bound_socket *bs;

	if (s == NULL || (s->http = evhttp_new(base)) == NULL) {
		log_err("metrics: out of memory");
		free(s);
		return NULL;
	}
	s->render = render;
	s->arg = arg;
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(s->http, SCRAPE_MAX_HEADERS);
	evhttp_set_max_body_size(s->http, 0);
	evhttp_set_timeout(s->http, SCRAPE_TIMEOUT_S);
	if (evhttp_set_cb(s->http, "/metrics", scrape_on_metrics, s) != 0 ||
	    (bs = evhttp_bind_socket_with_handle(s->http, host,
	    (ev_uint16_t)port)) == NULL) {
		log_err("metrics: cannot listen on %s%s%s:%u: %s",
		    strchr(host, ':') ? "[" : "", host,
		    strchr(host, ':') ? "]" : "", port,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		scrape_free(s);
		return NULL;
	}
	log_info("metrics: serving http://%s%s%s:%u/metrics",
	    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	    scrape_bound_port(bs));
	return s;
}

void
scrape_free(struct scrape *s)
{
	if (s == NULL)
		return;
	if (s->http != NULL)
		evhttp_free(s->http);
	free(s);
}
