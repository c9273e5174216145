/* SPDX-License-Identifier: MIT */
/*
 * curl_loop.h: one libcurl multi driven from libevent the way curl's
 * docs/examples/hiperfifo.c does it (curl_loop.c). Each loop has one
 * owner (the DynamoDB pool, upstream.c; the credential providers' HTTP
 * client, fetch.c), which owns the easy handles and adds and removes them;
 * the loop owns the multi, its timer and the events of its sockets, and
 * tells the owner when a transfer ends.
 */
#ifndef DYNTABLED_CURL_LOOP_H
#define DYNTABLED_CURL_LOOP_H

#include <stdbool.h>

#include <curl/curl.h>

struct event_base;
struct curl_loop;

/* A transfer ended with rc; priv is its handle's CURLOPT_PRIVATE (set by
 * the owner, never NULL). Called from the loop's libevent callbacks only:
 * never from a curl callback, never from curl_loop_add(). The handle is
 * still in the multi: the callback takes it out (curl_loop_remove). It
 * may add and remove other handles, and may call curl_loop_free(). */
typedef void curl_loop_done_cb(void *priv, CURLcode rc);

/* A multi on base whose finished transfers go to done. max_conns > 0
 * caps connections per host and the connection cache; 0 leaves curl's
 * defaults. NULL when out of memory or when libcurl refuses. */
struct curl_loop *curl_loop_new(struct event_base *base, long max_conns,
    curl_loop_done_cb *done);
/* Closes the connections and frees. Every handle must be out of the multi
 * (the owner frees its handles). From inside done, the loop goes when its
 * libevent callback returns and no done callback runs meanwhile. */
void curl_loop_free(struct curl_loop *cl);

/* A new easy handle for this loop: http and https only, HTTP/1.1 (what
 * DynamoDB, STS and the metadata services speak; it also keeps Host a real
 * header, signed by SigV4), dyntabled's User-Agent, no signals, and its
 * connections' sockets opened and closed through the loop so that a
 * kept-alive connection stays watched between transfers. The owner may
 * keep it for many transfers and frees it with curl_easy_cleanup(), out of
 * the multi, before curl_loop_free(). NULL when out of memory. */
CURL *curl_loop_easy(struct curl_loop *cl);
/* Starts e's transfer (its CURLOPT_PRIVATE set); false when curl refused. */
bool curl_loop_add(struct curl_loop *cl, CURL *e);
/* Takes e out of the multi, ending its transfer; never from a curl
 * callback. e may go into the multi again. */
void curl_loop_remove(struct curl_loop *cl, CURL *e);

#endif /* DYNTABLED_CURL_LOOP_H */
