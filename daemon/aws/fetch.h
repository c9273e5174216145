/* SPDX-License-Identifier: MIT */
/*
 * fetch.h: single unsigned HTTP exchanges on the event loop (fetch.c),
 * for the credential providers: STS, container endpoints, EC2 instance
 * metadata. A client (struct fetch) has a curl multi of its own, apart
 * from the DynamoDB pool's. Everything in an exchange may be secret:
 * headers, body and reply are wiped when freed and never logged.
 */
#ifndef DYNTABLED_FETCH_H
#define DYNTABLED_FETCH_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct fetch;
struct fetch_xfer;

typedef struct fetch_req {
	const char *method;	      /* "GET", "PUT" or "POST" */
	const char *url;	      /* checked by the caller (config_url_allowed) */
	const char *const *headers;   /* "Name: value" lines, NULL-terminated,
				       * or NULL; copied */
	const char *body;	      /* copied, or NULL for none */
	size_t body_len;
	unsigned timeout_ms;	      /* the whole exchange */
	unsigned connect_timeout_ms;  /* 0: timeout_ms */
	bool no_proxy;		      /* never through an http_proxy */
} fetch_req;

typedef struct fetch_reply {
	long http_status;	      /* 0 when no answer arrived */
	const char *body;	      /* NUL-terminated; wiped after the callback */
	size_t body_len;
	const char *error;	      /* why no answer arrived, else NULL */
} fetch_reply;

typedef void fetch_cb(void *arg, const fetch_reply *r);

#define FETCH_MAX_REPLY (64u << 10) /* larger replies are an error */

/* A client on base; NULL when out of memory. */
struct fetch *fetch_new(struct event_base *base);
/* Cancels every exchange (no callback fires) and frees; also from inside
 * a callback. */
void fetch_free(struct fetch *f);

/* Starts one exchange (no retries: the caller decides). cb fires exactly
 * once, from the loop, never from inside this call, unless fetch_cancel()
 * or fetch_free() comes first. The exchange is freed when cb returns.
 * NULL when out of memory. */
struct fetch_xfer *fetch_start(struct fetch *f, const fetch_req *req,
    fetch_cb *cb, void *arg);
/* Abandons an exchange: cb will not fire. A no-op from inside its cb. */
void fetch_cancel(struct fetch_xfer *x);

#endif /* DYNTABLED_FETCH_H */
