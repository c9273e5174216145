/* SPDX-License-Identifier: MIT */
/*
 * fetch.c: single unsigned HTTP exchanges for the credential providers.
 *
 * Each exchange (struct fetch_xfer) has an easy handle of its own, made
 * when it starts and freed when it ends: exchanges are rare (start-up and
 * key refreshes), the connections they leave are kept by the client's
 * multi. The client has its own curl_loop rather than the DynamoDB pool's
 * so that neither owns the other: creds/ needs nothing of upstream.c, the
 * pool's connection limits and cache hold DynamoDB connections only, and
 * the two are freed in either order.
 *
 * Secrets: the request's headers and body and the reply are wiped before
 * their memory is freed or given up when a buffer grows; none is logged.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <event2/event.h>

#include "curl_loop.h"
#include "fetch.h"

struct fetch {
	struct event_base *base;
	struct curl_loop *loop;		/* created with the first exchange */
	TAILQ_HEAD(, fetch_xfer) xfers;	/* every exchange not yet delivered */
};

struct fetch_xfer {
	struct fetch *f;
	TAILQ_ENTRY(fetch_xfer) entry;	/* in f->xfers until delivery */
	fetch_cb *cb;
	void *arg;
	CURL *easy;			/* in the multi until it ends */
	struct curl_slist *headers;	/* secrets inside: wiped */
	char *body;			/* secrets inside: wiped */
	size_t body_len;
	char *reply;			/* secrets inside: wiped */
	size_t reply_len, reply_cap;
	bool too_big;
	bool oom;
	bool delivering;		/* cb running: cancel is a no-op */
	const char *fail;		/* a failure to deliver on timer */
	struct event *timer;		/* deferred delivery of fail */
	char errbuf[CURL_ERROR_SIZE];
};

/* Wipes n bytes of p, then frees it. */
static void
fetch_wipe_free(void *p, size_t n)
{
	if (p != NULL) {
		explicit_bzero(p, n);
		free(p);
	}
}

/* Frees x, taking its handle out of the multi; the caller has taken x out
 * of f->xfers. Touches nothing of x->f once x->easy is gone. */
static void
fetch_xfer_free(struct fetch_xfer *x)
{
	struct curl_slist *l;

	if (x->easy != NULL) {
		curl_loop_remove(x->f->loop, x->easy);
		curl_easy_cleanup(x->easy);
	}
	for (l = x->headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(x->headers);
	fetch_wipe_free(x->body, x->body_len);
	fetch_wipe_free(x->reply, x->reply_cap);
	if (x->timer != NULL)
		event_free(x->timer);
	free(x);
}

/* Hands the reply to the callback, then frees the exchange (wiping it). */
static void
fetch_deliver(struct fetch_xfer *x, long status, const char *error)
{
	fetch_reply r = {
		.http_status = status,
		.body = x->reply != NULL ? x->reply : "",
		.body_len = x->reply_len,
		.error = error,
	};

	TAILQ_REMOVE(&x->f->xfers, x, entry);
	x->delivering = true;
	x->cb(x->arg, &r);
	fetch_xfer_free(x);
}

/* CURLOPT_WRITEFUNCTION: appends to the reply; a buffer outgrown is wiped
 * (realloc() would leave its copy behind). */
static size_t
fetch_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct fetch_xfer *x = userp;
	size_t n = size * nmemb;

	if (n > FETCH_MAX_REPLY - x->reply_len) {
		x->too_big = true;
		return 0;
	}
	if (x->reply_len + n + 1 > x->reply_cap) {
		size_t cap = x->reply_cap != 0 ? x->reply_cap : 1024;
		char *p;

		while (cap < x->reply_len + n + 1)
			cap *= 2;
		if ((p = malloc(cap)) == NULL) {
			x->oom = true;
			return 0;
		}
		if (x->reply_len != 0)
			memcpy(p, x->reply, x->reply_len);
		fetch_wipe_free(x->reply, x->reply_cap);
		x->reply = p;
		x->reply_cap = cap;
	}
	memcpy(x->reply + x->reply_len, data, n);
	x->reply_len += n;
	x->reply[x->reply_len] = '\0';
	return n;
}

/* curl_loop: the exchange finished with curl result rc: delivers. */
static void
fetch_done_cb(void *priv, CURLcode rc)
{
	struct fetch_xfer *x = priv;
	long status = 0;
	const char *error = NULL;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_loop_remove(x->f->loop, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	if (x->too_big)
		error = "reply too large";
	else if (x->oom)
		error = "out of memory reading the reply";
	else if (rc != CURLE_OK)
		error = x->errbuf[0] != '\0' ? x->errbuf :
		    curl_easy_strerror(rc);
	if (error != NULL)
		status = 0;
	fetch_deliver(x, status, error);
}

/* libevent: an exchange that could not start reports it from the loop. */
static void
fetch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_xfer *x = arg;

	fetch_deliver(x, 0, x->fail);
}

/* Builds the easy handle and adds it; false on failure. */
static bool
fetch_setup(struct fetch_xfer *x, const fetch_req *req)
{
	struct fetch *f = x->f;
	CURL *e;
	bool post = strcmp(req->method, "GET") != 0;
	long connect_ms = req->connect_timeout_ms != 0 ?
	    (long)req->connect_timeout_ms : (long)req->timeout_ms;
	struct curl_slist *l;

	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL;
	    i++) {
		if ((l = curl_slist_append(x->headers, req->headers[i])) ==
		    NULL)
			return false;
		x->headers = l;
	}
	if ((l = curl_slist_append(x->headers, "Expect:")) == NULL)
		return false;
	x->headers = l;
	if (req->body != NULL) {
		if ((x->body = malloc(req->body_len + 1)) == NULL)
			return false;
		memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		x->body_len = req->body_len;
	}
	if (f->loop == NULL &&
	    (f->loop = curl_loop_new(f->base, 0, fetch_done_cb)) == NULL)
		return false;
	if ((e = curl_loop_easy(f->loop)) == NULL)
		return false;
	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms) !=
		CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) !=
		CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write_cb) !=
		CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    (req->no_proxy &&
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK) ||
	    (post && (curl_easy_setopt(e, CURLOPT_POSTFIELDS,
			  x->body != NULL ? x->body : "") != CURLE_OK ||
			 curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			     (curl_off_t)x->body_len) != CURLE_OK)) ||
	    (post && strcmp(req->method, "POST") != 0 &&
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method) !=
		    CURLE_OK) ||
	    !curl_loop_add(f->loop, e)) {
		curl_easy_cleanup(e);
		return false;
	}
	x->easy = e;
	return true;
}

struct fetch *
fetch_new(struct event_base *base)
{
	struct fetch *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->base = base;
	TAILQ_INIT(&f->xfers);
	return f;
}

void
fetch_free(struct fetch *f)
{
	struct fetch_xfer *x;

	if (f == NULL)
		return;
	while ((x = TAILQ_FIRST(&f->xfers)) != NULL) {
		TAILQ_REMOVE(&f->xfers, x, entry);
		fetch_xfer_free(x);
	}
	curl_loop_free(f->loop);
	free(f);
}

struct fetch_xfer *
fetch_start(struct fetch *f, const fetch_req *req, fetch_cb *cb, void *arg)
{
	struct fetch_xfer *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->f = f;
	x->cb = cb;
	x->arg = arg;
	if ((x->timer = evtimer_new(f->base, fetch_timer_cb, x)) == NULL) {
		fetch_xfer_free(x);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&f->xfers, x, entry);
	if (!fetch_setup(x, req)) {
		struct timeval now = { 0, 0 };

		/* Never call back from in here. */
		x->fail = "could not start the HTTP request (out of memory)";
		if (evtimer_add(x->timer, &now) != 0) {
			TAILQ_REMOVE(&f->xfers, x, entry);
			fetch_xfer_free(x);
			return NULL;
		}
	}
	return x;
}

void
fetch_cancel(struct fetch_xfer *x)
{
	if (x == NULL || x->delivering)
		return;
	TAILQ_REMOVE(&x->f->xfers, x, entry);
	fetch_xfer_free(x);
}
