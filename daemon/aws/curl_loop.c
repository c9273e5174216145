/* SPDX-License-Identifier: MIT */
/*
 * curl_loop.c: libcurl's multi-socket API driven from libevent, the way
 * curl's docs/examples/hiperfifo.c does it: one persistent timer event
 * that curl's timer callback only adds or deletes, one event per socket
 * kept with curl_multi_assign(), and finished transfers drained with
 * curl_multi_info_read() after every curl_multi_socket_action().
 *
 * Re-entrancy: the owner's done callback runs only from our libevent
 * callbacks, after curl_multi_socket_action() returned. It may free the
 * loop: the loop then frees itself when the outermost of its callbacks
 * returns (cl->depth, cl->dying), and drains nothing more meanwhile.
 */
#include <stdlib.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h" /* DYNTABLED_VERSION */
#include "curl_loop.h"

/*
 * One socket curl asked us to watch; curl_multi_assign() maps fd to it.
 * A connection socket curl opened through curl_loop_open_cb is "ours":
 * curl closes it through curl_loop_close_cb, so when a transfer ends and
 * curl stops watching it (CURL_POLL_REMOVE) it is only parked, its read
 * watch left in epoll, and the next transfer on the connection re-arms
 * nothing: two epoll_ctl calls and an allocation less per request on a
 * kept-alive connection. A parked socket that turns readable (the server
 * closed the connection) stops being watched; curl finds it dead when it
 * next tries to reuse it, and closes it. Sockets curl opens otherwise
 * (the resolver's) are freed on CURL_POLL_REMOVE.
 */
struct curl_loop_sock {
	struct curl_loop *cl;
	struct event *ev;		    /* persistent, re-armed in place */
	curl_socket_t fd;		    /* what ev watches, and how */
	short kind;			    /* EV_READ|EV_WRITE, 0: nothing */
	bool ours;			    /* closed by curl_loop_close_cb */
	bool parked;			    /* ours, no transfer on it now */
	LIST_ENTRY(curl_loop_sock) entry; /* in cl->socks */
};

struct curl_loop {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;		/* THE curl timer (hiperfifo) */
	curl_loop_done_cb *done;	/* the owner's */
	LIST_HEAD(, curl_loop_sock) socks;
	unsigned depth;			/* our event callbacks on the stack */
	bool dying;			/* curl_loop_free() ran inside one */
};

static void
curl_loop_sock_free(struct curl_loop_sock *s)
{
	LIST_REMOVE(s, entry);
	event_free(s->ev);
	free(s);
}

static struct curl_loop_sock *
curl_loop_sock_new(struct curl_loop *cl, curl_socket_t fd)
{
	struct curl_loop_sock *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	if ((s->ev = event_new(cl->base, -1, 0, NULL, NULL)) == NULL) {
		free(s);
		return NULL;
	}
	s->cl = cl;
	s->fd = fd;
	LIST_INSERT_HEAD(&cl->socks, s, entry);
	return s;
}

static struct curl_loop_sock *
curl_loop_sock_find(struct curl_loop *cl, curl_socket_t fd)
{
	struct curl_loop_sock *s;

	LIST_FOREACH(s, &cl->socks, entry)
		if (s->fd == fd)
			return s;
	return NULL;
}

static void
curl_loop_destroy(struct curl_loop *cl)
{
	struct curl_loop_sock *s;

	/* curl may report sockets removed while it closes its
	 * connections; whatever it leaves is freed after. */
	if (cl->multi != NULL)
		curl_multi_cleanup(cl->multi);
	/* Each pass unlinks the first entry (TAILQ/LIST_REMOVE writes
	 * through its prev pointer, which the analyzer does not tie
	 * to the head): not a use after free. */
	while ((s = LIST_FIRST(&cl->socks)) != NULL)
		curl_loop_sock_free(s); /* NOLINT(clang-analyzer-unix.Malloc) */
	if (cl->timer != NULL)
		event_free(cl->timer);
	free(cl);
}

/* Delivers every finished transfer, re-reading the queue after each: the
 * owner may remove handles (curl then drops their messages) or free us. */
static void
curl_loop_drain(struct curl_loop *cl)
{
	CURLMsg *msg;
	int left;

	while (!cl->dying &&
	    (msg = curl_multi_info_read(cl->multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;
		void *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg is not read past here: removing easy frees it. */
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv == NULL) { /* not the owner's: cannot happen */
			curl_multi_remove_handle(cl->multi, easy);
			curl_easy_cleanup(easy);
			continue;
		}
		cl->done(priv, rc);
	}
}

/* Runs curl on fd (or its timeouts), then drains; a deferred
 * curl_loop_free() completes here. */
static void
curl_loop_action(struct curl_loop *cl, curl_socket_t fd, int action)
{
	int running;

	cl->depth++;
	curl_multi_socket_action(cl->multi, fd, action, &running);
	curl_loop_drain(cl);
	if (--cl->depth == 0 && cl->dying)
		curl_loop_destroy(cl);
}

/* libevent: activity on a socket curl watches. curl may free s from
 * inside socket_action: it is not touched after. */
static void
curl_loop_sock_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_loop_sock *s = arg;
	int action = 0;

	if (s->parked) { /* EOF or junk on an idle connection */
		event_del(s->ev);
		s->kind = 0;
		return;
	}
	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_loop_action(s->cl, fd, action);
}

/* libevent: curl's timeout expired. */
static void
curl_loop_timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	curl_loop_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: only (re)arms or stops the one timer; never
 * calls curl. 0 ms (curl asks for it after every new transfer) makes the
 * timer active at once: libevent runs it in this loop iteration, without
 * the epoll_wait(..., 0) a zero timeout would cost. evtimer_del first
 * drops a pending timeout, or the event from the active queue. */
static int
curl_loop_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curl_loop *cl = userp;
	struct timeval tv;

	if (timeout_ms <= 0) {
		evtimer_del(cl->timer);
		if (timeout_ms == 0)
			event_active(cl->timer, EV_TIMEOUT, 1);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	return evtimer_add(cl->timer, &tv) == 0 ? 0 : -1;
}

/* CURLOPT_OPENSOCKETFUNCTION: a connection's socket, known as ours. */
static curl_socket_t
curl_loop_open_cb(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *a)
{
	struct curl_loop *cl = clientp;
	struct curl_loop_sock *s;
	curl_socket_t fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	/* A record left for this number by a socket closed behind our
	 * back (cannot happen: curl closes ours through close_cb). */
	if ((s = curl_loop_sock_find(cl, fd)) != NULL)
		curl_loop_sock_free(s);
	if ((s = curl_loop_sock_new(cl, fd)) == NULL) {
		close(fd);
		return CURL_SOCKET_BAD;
	}
	s->ours = true;
	s->parked = true; /* until curl asks to watch it */
	return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: forgets the socket, then closes it. */
static int
curl_loop_close_cb(void *clientp, curl_socket_t fd)
{
	struct curl_loop_sock *s = curl_loop_sock_find(clientp, fd);

	if (s != NULL)
		curl_loop_sock_free(s);
	return close(fd);
}

/* CURLMOPT_SOCKETFUNCTION: creates, re-arms or frees the socket's event. */
static int
curl_loop_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct curl_loop *cl = userp;
	struct curl_loop_sock *s = socketp;
	short kind = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s == NULL)
			return 0;
		if (!s->ours) {
			curl_loop_sock_free(s);
			return 0;
		}
		s->parked = true;
		if (s->kind != EV_READ) { /* only a read watch is kept */
			event_del(s->ev);
			s->kind = 0;
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = curl_loop_sock_find(cl, fd)) == NULL &&
		    (s = curl_loop_sock_new(cl, fd)) == NULL)
			return -1;
		curl_multi_assign(cl->multi, fd, s);
	}
	s->parked = false;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	/* curl repeats itself often (POLL_IN after every read): re-arming
	 * an unchanged watch would cost two epoll_ctl calls for nothing. */
	if (kind != 0 && kind == s->kind && fd == s->fd &&
	    event_pending(s->ev, EV_READ | EV_WRITE, NULL))
		return 0;
	s->kind = kind;
	s->fd = fd;
	event_del(s->ev);
	if (kind == 0) /* CURL_POLL_NONE: keep the state, watch nothing */
		return 0;
	event_assign(s->ev, cl->base, fd, (short)(kind | EV_PERSIST),
	    curl_loop_sock_event_cb, s);
	return event_add(s->ev, NULL) == 0 ? 0 : -1;
}

struct curl_loop *
curl_loop_new(struct event_base *base, long max_conns,
    curl_loop_done_cb *done)
{
	struct curl_loop *cl;

	if ((cl = calloc(1, sizeof *cl)) == NULL)
		return NULL;
	cl->base = base;
	cl->done = done;
	LIST_INIT(&cl->socks);
	if ((cl->timer = evtimer_new(base, curl_loop_timer_event_cb, cl)) ==
		NULL ||
	    (cl->multi = curl_multi_init()) == NULL ||
	    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION,
		curl_loop_sock_cb) != CURLM_OK ||
	    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl) !=
		CURLM_OK ||
	    curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION,
		curl_loop_timer_cb) != CURLM_OK ||
	    curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl) != CURLM_OK ||
	    (max_conns > 0 &&
		(curl_multi_setopt(cl->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
		     max_conns) != CURLM_OK ||
		    curl_multi_setopt(cl->multi, CURLMOPT_MAXCONNECTS,
			max_conns) != CURLM_OK))) {
		curl_loop_destroy(cl);
		return NULL;
	}
	return cl;
}

void
curl_loop_free(struct curl_loop *cl)
{
	if (cl == NULL || cl->dying)
		return;
	if (cl->depth != 0)
		cl->dying = true;
	else
		curl_loop_destroy(cl);
}

CURL *
curl_loop_easy(struct curl_loop *cl)
{
	CURL *e;

	if ((e = curl_easy_init()) != NULL &&
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") ==
		CURLE_OK &&
#else
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS,
		(long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK &&
#endif
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
		(long)CURL_HTTP_VERSION_1_1) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_USERAGENT,
		"dyntabled/" DYNTABLED_VERSION) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, curl_loop_open_cb) ==
		CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, cl) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION,
		curl_loop_close_cb) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, cl) == CURLE_OK)
		return e;
	curl_easy_cleanup(e);
	return NULL;
}

bool
curl_loop_add(struct curl_loop *cl, CURL *e)
{
	return curl_multi_add_handle(cl->multi, e) == CURLM_OK;
}

void
curl_loop_remove(struct curl_loop *cl, CURL *e)
{
	curl_multi_remove_handle(cl->multi, e);
}
