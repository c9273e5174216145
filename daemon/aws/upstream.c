/* SPDX-License-Identifier: MIT */
/*
 * upstream.c: the HTTP(S) pool to DynamoDB, on a curl multi of its own
 * driven from libevent by curl_loop.c.
 *
 * Each upstream call (struct upcall) makes one HTTP attempt at a time,
 * signs every attempt afresh and retries by the standard policy of
 * retry.c on its own libevent timer.
 *
 * Easy handles: at most max_connections calls hold one (are in the
 * multi) at once, so curl never queues transfers itself; the other calls
 * wait in the pool's FIFO (UPCALL_QUEUED), costing their struct upcall
 * rather than a handle and its receive buffer, and take a handle as one
 * comes back, oldest first. A handle comes back when its attempt ends
 * (out of the multi, never from a curl callback) and is kept for the
 * next attempt with its constant options set (upstream_easy_get); each
 * attempt sets only what is its own (upcall_setopts). http_timeout_ms
 * bounds each attempt from when it has a handle: the wait in the queue
 * has no CURLOPT_TIMEOUT running (the client's own timeout covers it).
 *
 * Re-entrancy: user callbacks run only from libevent callbacks (ours and
 * curl_loop's done callback), never from a curl callback and never from
 * upstream_call(). A callback may start or cancel calls, and may even call
 * upstream_free(): the pool then cancels everything at once and frees
 * itself when the outermost of those callbacks returns (u->depth,
 * u->dying).
 *
 * Secrets: request headers (Authorization, X-Amz-Security-Token) are never
 * logged and are wiped when freed; bodies are never logged.
 *
 * Credentials: a call made while creds.c is still fetching keys (start-up,
 * or a refresh after the old keys expired) waits for them, at most
 * timeout_ms, then fails with no_credentials; upstream_creds_changed(),
 * the store's on-change callback (main.c wires it), wakes them.
 *
 * Endpoint: each call holds a reference to the endpoint (URL, Host, path,
 * region) current when it was made; upstream_reconfigure() (SIGHUP) swaps
 * the current one for new calls, and the old one goes with its last call.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <zlib.h>

#include "creds.h"
#include "curl_loop.h"
#include "log.h"
#include "metrics.h"
#include "retry.h"
#include "upstream.h"
#include "redact.h"

#define UPSTREAM_TARGET_PREFIX "DynamoDB_20120810."
#define UPSTREAM_CONTENT_TYPE  "application/x-amz-json-1.0"
#define UPSTREAM_SERVICE       "dynamodb"
#define UPSTREAM_MAX_REPLY     (8u << 20) /* larger replies are an error */
#define UPSTREAM_MAX_OP	       64u	  /* longest operation name */
#define UPSTREAM_CONNECT_MS    3000u	  /* connect timeout ceiling */
#define UPSTREAM_IDLE_UNLIMITED 16u	  /* idle handles kept, no max */

/*
 * Backoff bases (shared/reference/dynamodb-and-aws.md §4): throttling
 * errors wait rand * min(1 s * 2^i, 20 s) as in botocore's standard mode
 * [STD ExponentialBackoff], kept at 1 s for throttling by its 2026 mode;
 * other errors use DynamoDB's 25 ms base from aws-sdk-java-v2
 * DynamoDbRetryPolicy [JV2], the same number botocore's 2026 mode uses
 * for DynamoDB. The 20 s cap is common to [STD], [GO], [JV2] and [CIO].
 */
#define UPSTREAM_BASE_THROTTLING_MS 1000u
#define UPSTREAM_BASE_TRANSIENT_MS  25u
#define UPSTREAM_BACKOFF_CAP_MS	    20000u

/* Where DynamoDB calls go; shared by the calls made while it was current. */
struct upstream_target {
	unsigned refs;			/* the pool's and each call's */
	char *url;			/* endpoint URL, as sent (curl_free) */
	char *host;			/* Host header value, signed */
	char *path;			/* request path, signed */
	char *region;
};

struct upstream {
	struct event_base *base;
	const struct creds *creds;	/* owned by the server */
	struct curl_loop *loop;		/* the multi; CURLOPT_PRIVATE: upcall */
	struct upstream_target *target;	/* for new calls; a reference */
	unsigned timeout_ms;		/* CURLOPT_TIMEOUT_MS, 0: none */
	unsigned max_attempts;		/* >= 1 */
	struct retry_bucket bucket;
	uint64_t rng;			/* xorshift64* state, never 0 */
	TAILQ_HEAD(, upcall) calls;	/* every call not yet delivered */
	TAILQ_HEAD(, upcall) queue;	/* UPCALL_QUEUED calls, oldest first */
	struct event *pump;		/* starts them as handles come back */
	unsigned max_busy;		/* calls with a handle at once, 0: any */
	unsigned busy;			/* calls with a handle (UPCALL_SENDING) */
	CURL **idle;			/* handles out of the multi, for reuse */
	unsigned n_idle, max_idle;
	struct upstream_stats stats;
	unsigned depth;			/* our event callbacks on the stack */
	bool dying;			/* upstream_free() ran inside one */
};

enum upcall_state {
	UPCALL_QUEUED,	   /* in u->queue, waiting for an easy handle */
	UPCALL_SENDING,	   /* an attempt's easy handle is in the multi */
	UPCALL_BACKOFF,	   /* waiting on uc->timer for the next attempt */
	UPCALL_WAIT_CREDS, /* waiting for keys, until uc->creds_deadline */
	UPCALL_DEFERRED,   /* outcome final, delivery on uc->timer */
	UPCALL_DELIVERING, /* the callback is running */
};

/* The outcome of the last attempt; final once delivered. */
struct upcall_outcome {
	bool ok;		/* 200 with a JSON object */
	bool transport_error;
	bool no_creds;		/* nothing to sign with */
	enum retry_class cls;	/* how the failure classified */
	long http_status;
	json_t *body;		/* owned */
	char *aws_type;		/* owned */
	char *message;		/* owned */
};

/* Request headers of an attempt: Host, Content-Type, X-Amz-Target,
 * X-Amz-Date, Authorization, Expect and X-Amz-Security-Token. */
#define UPCALL_MAX_HEADERS 7

/* The reply of one attempt, as it arrives. */
struct upcall_buf {
	char *data;
	size_t len, cap;
	bool too_big;		/* passed UPSTREAM_MAX_REPLY */
	bool oom;
	bool crc_seen;		/* an x-amz-crc32 header came */
	uint32_t crc;		/* its value */
};

struct upcall {
	struct upstream *u;
	struct upstream_target *target;	/* a reference */
	TAILQ_ENTRY(upcall) entry;	/* in u->calls until delivery */
	TAILQ_ENTRY(upcall) qentry;	/* in u->queue while UPCALL_QUEUED */
	enum upcall_state state;
	char op[UPSTREAM_MAX_OP + 1];	/* e.g. "DescribeTable" */
	char *body;			/* request JSON, owned */
	size_t body_len;
	upstream_cb *cb;
	void *arg;
	struct event *timer;		/* backoff and deferred delivery */
	CURL *easy;			/* the attempt in flight, or NULL */
	struct curl_slist hdr[UPCALL_MAX_HEADERS]; /* its headers: lines */
	char *hdr_buf;			/* in here, secrets inside, wiped */
	size_t hdr_len;
	char errbuf[CURL_ERROR_SIZE];	/* CURLOPT_ERRORBUFFER */
	struct upcall_buf reply;
	unsigned attempts;		/* HTTP attempts started */
	unsigned last_taken;		/* quota taken for the last retry */
	struct timespec creds_deadline;	/* UPCALL_WAIT_CREDS: give up then */
	bool creds_waited;		/* creds_deadline is set */
	struct upcall_outcome out;
};

static void upstream_destroy(struct upstream *u);

/* ---- small helpers ------------------------------------------------------- */

/* A malloc'd formatted string, or NULL when out of memory. */
static char *upstream_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
upstream_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* xorshift64*: uniform in [0,1) with 53 bits, for backoff jitter. */
static double
upstream_rand01(struct upstream *u)
{
	uint64_t x = u->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	u->rng = x;
	return (double)((x * UINT64_C(0x2545F4914F6CDD1D)) >> 11) *
	    0x1.0p-53;
}

static void
upstream_seed(struct upstream *u)
{
	uint64_t seed = 0;
	struct timespec ts;

	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		    ((uint64_t)getpid() << 40);
	}
	u->rng = seed != 0 ? seed : UINT64_C(0x9E3779B97F4A7C15);
}

static void
upstream_target_unref(struct upstream_target *t)
{
	if (t == NULL || --t->refs != 0)
		return;
	curl_free(t->url);
	free(t->host);
	free(t->path);
	free(t->region);
	free(t);
}

/* Monotonic now, for deadlines that must not move with the wall clock. */
static struct timespec
upstream_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* Milliseconds from now until ts, <= 0 when past. */
static long
upstream_ms_until(const struct timespec *ts)
{
	struct timespec now = upstream_now();

	return (long)(ts->tv_sec - now.tv_sec) * 1000 +
	    (ts->tv_nsec - now.tv_nsec) / 1000000;
}

/* Entered from libevent: one more of our callbacks on the stack. */
static void
upstream_enter(struct upstream *u)
{
	u->depth++;
}

/* Leaving it: a deferred upstream_free() completes here. */
static void
upstream_leave(struct upstream *u)
{
	if (--u->depth == 0 && u->dying)
		upstream_destroy(u);
}

/* ---- one call ------------------------------------------------------------ */

static void
upcall_outcome_clear(struct upcall_outcome *o)
{
	json_decref(o->body);
	free(o->aws_type);
	free(o->message);
	*o = (struct upcall_outcome){ 0 };
}

/* Records a failure without an HTTP answer (message is copied). */
static void
upcall_fail(struct upcall *uc, bool transport, enum retry_class cls,
    const char *message)
{
	upcall_outcome_clear(&uc->out);
	uc->out.transport_error = transport;
	uc->out.cls = cls;
	uc->out.message = strdup(message);
}

/* Wipes and frees the attempt's headers. */
static void
upcall_wipe_headers(struct upcall *uc)
{
	if (uc->hdr_buf != NULL) {
		explicit_bzero(uc->hdr_buf, uc->hdr_len);
		free(uc->hdr_buf);
		uc->hdr_buf = NULL;
	}
}

/*
 * Ends the attempt: its easy handle leaves the multi and goes back to the
 * idle ones (freed when enough are idle), its headers are wiped. Never
 * called from a curl callback. The handle's turn passes to the oldest
 * queued call from u->pump, in this loop iteration: not from in here,
 * where the caller may be about to cancel that call too (a client
 * leaving), and before any call made from a callback meanwhile, which
 * queues behind it. The idle handle keeps pointers into this call
 * (PRIVATE, buffers, headers): curl does not use them out of the multi,
 * and the next attempt sets them all.
 */
static void
upcall_release_easy(struct upcall *uc)
{
	struct upstream *u = uc->u;

	if (uc->easy != NULL) {
		curl_loop_remove(u->loop, uc->easy);
		if (u->n_idle < u->max_idle)
			u->idle[u->n_idle++] = uc->easy;
		else
			curl_easy_cleanup(uc->easy);
		uc->easy = NULL;
		u->busy--;
		if (!TAILQ_EMPTY(&u->queue))
			event_active(u->pump, EV_TIMEOUT, 1);
	}
	upcall_wipe_headers(uc);
}

/* Frees the call, out of the queue and with its handle back; the caller
 * has taken it out of u->calls. */
static void
upcall_free(struct upcall *uc)
{
	if (uc->state == UPCALL_QUEUED)
		TAILQ_REMOVE(&uc->u->queue, uc, qentry);
	upcall_release_easy(uc);
	upstream_target_unref(uc->target);
	if (uc->timer != NULL)
		event_free(uc->timer);
	upcall_outcome_clear(&uc->out);
	free(uc->reply.data);
	free(uc->body);
	free(uc);
}

/* CURLOPT_WRITEFUNCTION: appends to the reply, up to UPSTREAM_MAX_REPLY. */
static size_t
upcall_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct upcall *uc = userp;
	struct upcall_buf *b = &uc->reply;
	size_t n = size * nmemb;

	if (n > UPSTREAM_MAX_REPLY - b->len) {
		b->too_big = true;
		return 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		if (cap > UPSTREAM_MAX_REPLY)
			cap = UPSTREAM_MAX_REPLY;
		if ((p = realloc(b->data, cap)) == NULL) {
			b->oom = true;
			return 0;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return n;
}

/* CURLOPT_HEADERFUNCTION: picks up x-amz-crc32 (decimal) of the final
 * response; a status line starts a new response. */
static size_t
upcall_header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	static const char name[] = "x-amz-crc32:";
	struct upcall *uc = userp;
	size_t n = size * nmemb, i = sizeof name - 1;
	uint64_t v = 0;
	bool digits = false;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		uc->reply.crc_seen = false;
		return n;
	}
	if (n <= i || strncasecmp(data, name, i) != 0)
		return n;
	while (i < n && (data[i] == ' ' || data[i] == '\t'))
		i++;
	for (; i < n && data[i] >= '0' && data[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(data[i] - '0');
		if (v > UINT32_MAX)
			return n; /* nonsense: ignore the header */
		digits = true;
	}
	while (i < n && (data[i] == ' ' || data[i] == '\t' ||
	    data[i] == '\r' || data[i] == '\n'))
		i++;
	if (digits && i == n) {
		uc->reply.crc_seen = true;
		uc->reply.crc = (uint32_t)v;
	}
	return n;
}

/*
 * Sets the attempt's headers: "name: value" lines ("name:" for a NULL
 * value: curl then sends no such header) in one buffer, linked through
 * uc->hdr (curl only reads the list). false when out of memory.
 */
static bool
upcall_set_headers(struct upcall *uc, const sigv4_header *h, size_t n)
{
	size_t len = 0, off = 0;

	for (size_t i = 0; i < n; i++)
		len += strlen(h[i].name) + 3 +
		    (h[i].value != NULL ? strlen(h[i].value) : 0);
	if ((uc->hdr_buf = malloc(len)) == NULL)
		return false;
	uc->hdr_len = len;
	for (size_t i = 0; i < n; i++) {
		uc->hdr[i].data = uc->hdr_buf + off;
		uc->hdr[i].next = i + 1 < n ? &uc->hdr[i + 1] : NULL;
		off += (size_t)snprintf(uc->hdr_buf + off, len - off,
			   "%s:%s%s", h[i].name, h[i].value != NULL ? " " : "",
			   h[i].value != NULL ? h[i].value : "") + 1;
	}
	return true;
}

/*
 * An easy handle for an attempt: an idle one, or a new one with the
 * options every attempt shares; NULL when out of memory.
 * upcall_setopts() adds the attempt's own.
 */
static CURL *
upstream_easy_get(struct upstream *u)
{
	CURL *e;
	long connect_ms = UPSTREAM_CONNECT_MS;

	if (u->n_idle != 0)
		return u->idle[--u->n_idle];
	if (u->timeout_ms != 0 && u->timeout_ms < connect_ms)
		connect_ms = (long)u->timeout_ms;
	if ((e = curl_loop_easy(u->loop)) != NULL &&
	    curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)u->timeout_ms) ==
		CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) ==
		CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 15L) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, upcall_write_cb) ==
		CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, upcall_header_cb) ==
		CURLE_OK)
		return e;
	curl_easy_cleanup(e);
	return NULL;
}

/* Sets the attempt's own options on e; false on failure. */
static bool
upcall_setopts(struct upcall *uc, CURL *e)
{
	return curl_easy_setopt(e, CURLOPT_URL, uc->target->url) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		(curl_off_t)uc->body_len) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_POSTFIELDS, uc->body) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, uc->hdr) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, uc->errbuf) ==
		CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_PRIVATE, uc) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, uc) == CURLE_OK &&
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, uc) == CURLE_OK;
}

static bool upcall_arm(struct upcall *uc, unsigned ms);
static void upcall_soon(struct upcall *uc);

/* Records "no credentials" with creds.c's reason. */
static void
upcall_fail_no_creds(struct upcall *uc)
{
	char *msg = upstream_fmt("no valid AWS credentials: %s",
	    creds_error(uc->u->creds));

	upcall_fail(uc, false, RETRY_NO, msg != NULL ? msg :
	    "no valid AWS credentials");
	free(msg);
	uc->out.no_creds = true;
}

/* Keys are being fetched: waits for them (UPCALL_WAIT_CREDS) until the
 * call's deadline, set on its first wait. false when it is past. */
static bool
upcall_wait_creds(struct upcall *uc)
{
	struct upstream *u = uc->u;
	long ms;

	if (!uc->creds_waited) {
		unsigned wait_ms = u->timeout_ms != 0 ? u->timeout_ms : 10000;

		uc->creds_deadline = upstream_now();
		uc->creds_deadline.tv_sec += wait_ms / 1000;
		uc->creds_deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000;
		if (uc->creds_deadline.tv_nsec >= 1000000000) {
			uc->creds_deadline.tv_sec++;
			uc->creds_deadline.tv_nsec -= 1000000000;
		}
		uc->creds_waited = true;
		log_debug("upstream: %s waits for credentials", uc->op);
	}
	if ((ms = upstream_ms_until(&uc->creds_deadline)) <= 0 ||
	    !upcall_arm(uc, (unsigned)ms))
		return false;
	uc->state = UPCALL_WAIT_CREDS;
	return true;
}

/* May a call take an easy handle now (the queue aside)? */
static bool
upstream_room(const struct upstream *u)
{
	return u->max_busy == 0 || u->busy < u->max_busy;
}

/*
 * Starts one attempt: signs, takes an easy handle, adds it to the multi.
 * Returns true when started, when queued for a handle (state
 * UPCALL_QUEUED: other calls were first, or every handle is busy; not
 * when dequeued: upstream_pump_cb() gives it its turn), or when
 * waiting for keys still being fetched (UPCALL_WAIT_CREDS); false with
 * uc->out set (final, not retryable) when it could not; the caller
 * delivers.
 */
static bool
upcall_start(struct upcall *uc, bool dequeued)
{
	struct upstream *u = uc->u;
	const struct upstream_target *t = uc->target;
	char target[sizeof UPSTREAM_TARGET_PREFIX + UPSTREAM_MAX_OP];
	sigv4_header hdrs[UPCALL_MAX_HEADERS];
	sigv4_request req;
	sigv4_result res;
	const char *token;
	size_t n;
	CURL *e = NULL;
	bool ok;

	upcall_outcome_clear(&uc->out);
	free(uc->reply.data);
	memset(&uc->reply, 0, sizeof uc->reply);
	uc->errbuf[0] = '\0';

	if (!creds_valid(u->creds)) {
		if (creds_pending(u->creds) && upcall_wait_creds(uc))
			return true;
		upcall_fail_no_creds(uc);
		return false;
	}
	if (!dequeued && (!TAILQ_EMPTY(&u->queue) || !upstream_room(u))) {
		uc->state = UPCALL_QUEUED;
		TAILQ_INSERT_TAIL(&u->queue, uc, qentry);
		return true;
	}

	snprintf(target, sizeof target, UPSTREAM_TARGET_PREFIX "%s", uc->op);
	hdrs[0] = (sigv4_header){ "Host", t->host };
	hdrs[1] = (sigv4_header){ "Content-Type", UPSTREAM_CONTENT_TYPE };
	hdrs[2] = (sigv4_header){ "X-Amz-Target", target };
	req = (sigv4_request){
		.method = "POST",
		.path = t->path,
		.query = NULL,
		.headers = hdrs,
		.n_headers = 3,
		.body = uc->body,
		.body_len = uc->body_len,
		.region = t->region,
		.service = UPSTREAM_SERVICE,
		.now = time(NULL),
		.flags = SIGV4_NORMALIZE_PATH,
	};
	memset(&res, 0, sizeof res);
	if (creds_sign(u->creds, &req, &res) != 0) {
		sigv4_result_free(&res);
		/* creds_valid() held a moment ago: the keys went away or
		 * signing itself failed (out of memory). */
		if (!creds_valid(u->creds)) {
			upcall_fail_no_creds(uc);
		} else {
			upcall_fail(uc, true, RETRY_NO,
			    "could not sign the request");
		}
		return false;
	}
	uc->creds_waited = false;
	token = creds_session_token(u->creds);
	hdrs[3] = (sigv4_header){ "X-Amz-Date", res.amz_date };
	hdrs[4] = (sigv4_header){ "Authorization", res.authorization };
	/* No 100-continue round trip; curl would add "Expect" for big
	 * bodies otherwise. */
	hdrs[5] = (sigv4_header){ "Expect", NULL };
	hdrs[6] = (sigv4_header){ "X-Amz-Security-Token", token };
	n = token != NULL ? 7 : 6;
	ok = res.authorization != NULL && upcall_set_headers(uc, hdrs, n);
	sigv4_result_free(&res);
	if (!ok || (e = upstream_easy_get(u)) == NULL ||
	    !upcall_setopts(uc, e) ||
	    !curl_loop_add(u->loop, e)) {
		curl_easy_cleanup(e); /* its options may be half set */
		upcall_wipe_headers(uc);
		upcall_fail(uc, true, RETRY_NO,
		    "could not start the HTTP request (out of memory)");
		return false;
	}
	uc->easy = e;
	u->busy++;
	uc->attempts++;
	u->stats.requests++;
	uc->state = UPCALL_SENDING;
	return true;
}

/*
 * libevent: u->pump, made active when a handle came back while calls
 * were queued. Gives the free handles to the queued calls, oldest first.
 * Calls nothing back (a call that cannot start is delivered from its
 * timer), so the pool cannot go away under it.
 */
static void
upstream_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *u = arg;
	struct upcall *uc;

	while (upstream_room(u) && (uc = TAILQ_FIRST(&u->queue)) != NULL) {
		TAILQ_REMOVE(&u->queue, uc, qentry);
		if (!upcall_start(uc, true)) {
			uc->state = UPCALL_DEFERRED;
			upcall_soon(uc);
		}
	}
}

/* Fills uc->out from a complete HTTP answer: status and reply body. */
static void
upcall_parse(struct upcall *uc, long status)
{
	struct upcall_outcome *o = &uc->out;
	json_error_t jerr;
	json_t *j = NULL, *v;
	const char *type;

	upcall_outcome_clear(o);
	o->http_status = status;
	if (uc->reply.len != 0)
		j = json_loadb(uc->reply.data, uc->reply.len, JSON_DECODE_ANY,
		    &jerr);
	else if (status == 200)
		j = json_object(); /* TagResource & co. answer 200 with no body */
	if (j != NULL && !json_is_object(j)) {
		/* Operations without output: DynamoDB sends nothing or {},
		 * dynalite "". A success without members; whoever needs a
		 * member (dynamo.c) finds none and says so. */
		bool empty = status == 200 && (json_is_null(j) ||
		    (json_is_string(j) && json_string_length(j) == 0));

		json_decref(j);
		j = empty ? json_object() : NULL;
	}
	if (status == 200) {
		if (j == NULL) {
			o->transport_error = true;
			o->message = strdup("malformed reply from DynamoDB");
			return;
		}
		o->ok = true;
		o->body = j;
		return;
	}
	o->body = j;
	/* botocore's JSON error parse: the type drops anything from the
	 * first ':' and keeps what follows the last '#'. */
	if (j != NULL && (type = json_string_value(json_object_get(j,
			      "__type"))) != NULL) {
		size_t len = strcspn(type, ":");
		const char *hash = NULL;

		for (size_t i = 0; i < len; i++)
			if (type[i] == '#')
				hash = type + i;
		if (hash != NULL) {
			len -= (size_t)(hash + 1 - type);
			type = hash + 1;
		}
		if (len != 0) /* DynamoDB's types are short; lies are cut */
			o->aws_type = strndup(type, len < 64 ? len : 64);
	}
	if (j != NULL &&
	    ((v = json_object_get(j, "message")) != NULL ||
		(v = json_object_get(j, "Message")) != NULL) &&
	    json_is_string(v) && json_string_length(v) != 0) {
		char quoted[REDACT_QUOTE_MAX + 1];

		/* Bounded and redacted here, once, for every caller. */
		o->message = strdup(redact_quote(quoted, sizeof(quoted),
		    json_string_value(v), json_string_length(v)));
	}
	if (o->message == NULL)
		o->message = o->aws_type != NULL ?
		    upstream_fmt(UPSTREAM_NO_MESSAGE " (HTTP %ld)", status) :
		    upstream_fmt("HTTP %ld from DynamoDB", status);
}

/* Hands the outcome to the callback, then frees the call. The call has
 * already left u->calls when the callback runs. */
static void
upcall_deliver(struct upcall *uc)
{
	struct upstream *u = uc->u;
	const struct upcall_outcome *o = &uc->out;
	upstream_reply r = {
		.http_status = o->http_status,
		.transport_error = o->transport_error,
		.body = o->body,
		.aws_type = o->aws_type,
		.no_credentials = o->no_creds,
		.message = o->ok ? NULL :
		    o->message != NULL ? o->message : "out of memory",
		.attempts = uc->attempts,
	};

	TAILQ_REMOVE(&u->calls, uc, entry);
	u->stats.in_flight--;
	if (!o->ok) {
		u->stats.failures++;
		if (o->no_creds) {
			log_warn("upstream: %s: no valid AWS credentials",
			    uc->op);
		} else if (o->transport_error) {
			log_warn("upstream: %s failed after %u attempt(s): %s",
			    uc->op, uc->attempts, r.message);
		} else if (o->cls != RETRY_NO || o->http_status >= 500) {
			log_warn("upstream: %s failed after %u attempt(s): "
				 "HTTP %ld %s: %s",
			    uc->op, uc->attempts, o->http_status,
			    o->aws_type != NULL ? o->aws_type : "error",
			    r.message);
		} else {
			/* The caller's business (no such table, ...). */
			log_debug("upstream: %s: HTTP %ld %s", uc->op,
			    o->http_status,
			    o->aws_type != NULL ? o->aws_type : "error");
		}
	}
	uc->state = UPCALL_DELIVERING;
	uc->cb(uc->arg, &r);
	upcall_free(uc);
}

/* Runs uc->timer's callback from the loop, in this iteration (event_active
 * cannot fail, unlike evtimer_add); a pending timeout is dropped. */
static void
upcall_soon(struct upcall *uc)
{
	evtimer_del(uc->timer);
	event_active(uc->timer, EV_TIMEOUT, 1);
}

/* Arms uc->timer for ms milliseconds; false if libevent refused. */
static bool
upcall_arm(struct upcall *uc, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
		.tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return evtimer_add(uc->timer, &tv) == 0;
}

/*
 * One attempt finished with curl result rc (its CURLMsg is no longer
 * read). Decides: deliver, or retry after a backoff.
 */
static void
upcall_attempt_done(struct upcall *uc, CURLcode rc)
{
	struct upstream *u = uc->u;
	long status = 0, connects = 0;
	curl_off_t total_us = 0;
	unsigned taken, delay;

	curl_easy_getinfo(uc->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(uc->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	curl_easy_getinfo(uc->easy, CURLINFO_NUM_CONNECTS, &connects);
	upcall_release_easy(uc);
	metrics_upstream(total_us > 0 ? (uint64_t)total_us : 0);

	if (uc->reply.too_big) {
		upcall_fail(uc, true, RETRY_NO,
		    "reply from DynamoDB too large");
	} else if (uc->reply.oom) {
		upcall_fail(uc, true, RETRY_NO,
		    "out of memory reading the reply");
	} else if (rc != CURLE_OK) {
		upcall_fail(uc, true, retry_classify(true, status, NULL),
		    uc->errbuf[0] != '\0' ? uc->errbuf :
					    curl_easy_strerror(rc));
	} else if (uc->reply.crc_seen &&
	    (uint32_t)crc32(crc32(0L, Z_NULL, 0),
		(const Bytef *)uc->reply.data, (uInt)uc->reply.len) !=
		uc->reply.crc) {
		/* botocore retries a DynamoDB CRC32 mismatch [STD]. */
		upcall_fail(uc, true, retry_classify(true, status, NULL),
		    "CRC32 mismatch in reply from DynamoDB");
	} else {
		upcall_parse(uc, status);
	}
	/* Transport failures were classified above. */
	uc->out.http_status = status;
	if (!uc->out.ok && !uc->out.transport_error)
		uc->out.cls = retry_classify(false, status, uc->out.aws_type);

	log_debug("upstream: %s attempt %u: HTTP %ld %s, %zu+%zu bytes, "
		  "%ld ms%s",
	    uc->op, uc->attempts, status,
	    uc->out.ok ? "OK" :
	    uc->out.transport_error ? uc->out.message :
	    uc->out.aws_type != NULL ? uc->out.aws_type : "error",
	    uc->body_len, uc->reply.len, (long)(total_us / 1000),
	    connects != 0 ? ", new connection" : "");

	if (uc->out.ok) {
		retry_bucket_refund(&u->bucket, uc->last_taken);
		upcall_deliver(uc);
		return;
	}
	if (uc->out.cls != RETRY_NO && uc->attempts < u->max_attempts) {
		if (!retry_bucket_take(&u->bucket, uc->out.cls, &taken)) {
			log_debug("upstream: %s: retry quota exhausted",
			    uc->op);
		} else {
			uc->last_taken = taken;
			delay = retry_backoff_ms(uc->attempts - 1,
			    uc->out.cls == RETRY_THROTTLING ?
				UPSTREAM_BASE_THROTTLING_MS :
				UPSTREAM_BASE_TRANSIENT_MS,
			    UPSTREAM_BACKOFF_CAP_MS, upstream_rand01(u));
			if (upcall_arm(uc, delay)) {
				uc->state = UPCALL_BACKOFF;
				u->stats.retries++;
				metrics_retry(uc->out.cls == RETRY_THROTTLING ?
				    METRICS_RETRY_THROTTLING :
				    uc->out.transport_error ?
				    METRICS_RETRY_TRANSPORT :
				    METRICS_RETRY_TRANSIENT);
				log_debug("upstream: %s: retry %u in %u ms",
				    uc->op, uc->attempts, delay);
				return;
			}
			retry_bucket_refund(&u->bucket, taken);
		}
	}
	upcall_deliver(uc);
}

/* libevent: uc->timer, for a backoff or a deferred delivery. */
static void
upcall_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upcall *uc = arg;
	struct upstream *u = uc->u;

	upstream_enter(u);
	if (uc->state == UPCALL_BACKOFF || uc->state == UPCALL_WAIT_CREDS) {
		if (!upcall_start(uc, false))
			upcall_deliver(uc);
	} else if (uc->state == UPCALL_DEFERRED) {
		upcall_deliver(uc);
	}
	upstream_leave(u);
}

/* curl_loop: an attempt's transfer ended. */
static void
upstream_done_cb(void *priv, CURLcode rc)
{
	struct upcall *uc = priv;
	struct upstream *u = uc->u;

	upstream_enter(u);
	upcall_attempt_done(uc, rc);
	upstream_leave(u);
}

/* ---- the pool ------------------------------------------------------------ */

/* Splits endpoint into the URL to send, the Host header and the path,
 * with the signing region. Returns a target with one reference, or NULL
 * with a logged reason. */
static struct upstream_target *
upstream_target_new(const char *endpoint, const char *region)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *query = NULL, *user = NULL;
	struct upstream_target *t = calloc(1, sizeof(*t));
	CURLUcode rc;
	bool ok = false;

	if (h == NULL || t == NULL) {
		log_err("upstream: out of memory");
		curl_url_cleanup(h);
		free(t);
		return NULL;
	}
	t->refs = 1;
	if ((rc = curl_url_set(h, CURLUPART_URL, endpoint, 0)) != CURLUE_OK) {
#if LIBCURL_VERSION_NUM >= 0x075000 /* 7.80.0 */
		log_err("upstream: bad endpoint URL \"%s\": %s", endpoint,
		    curl_url_strerror(rc));
#else
		log_err("upstream: bad endpoint URL \"%s\" (CURLUcode %d)",
		    endpoint, (int)rc);
#endif
		goto out;
	}
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		log_err("upstream: endpoint \"%s\" is not http or https",
		    endpoint);
		goto out;
	}
	if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(h, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		log_err("upstream: endpoint \"%s\" must not have a user or "
			"a query", endpoint);
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		log_err("upstream: endpoint \"%s\" has no host", endpoint);
		goto out;
	}
	/* Only an explicit port goes into Host (no CURLU_DEFAULT_PORT). */
	rc = curl_url_get(h, CURLUPART_PORT, &port, 0);
	if (rc != CURLUE_OK && rc != CURLUE_NO_PORT)
		goto oom;
	if (curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto oom;
	if (curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_URL, &t->url, 0) != CURLUE_OK)
		goto oom;
	t->host = port != NULL ? upstream_fmt("%s:%s", host, port) :
				 strdup(host);
	t->path = strdup(path[0] != '\0' ? path : "/");
	t->region = strdup(region);
	if (t->host == NULL || t->path == NULL || t->region == NULL)
		goto oom;
	ok = true;
	goto out;
oom:
	log_err("upstream: out of memory parsing the endpoint");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_url_cleanup(h);
	if (!ok) {
		upstream_target_unref(t);
		return NULL;
	}
	return t;
}

struct upstream *
upstream_new(struct event_base *base, const struct config *cfg,
    const struct creds *cr)
{
	struct upstream *u;
	long conns = cfg->max_connections;

	if ((u = calloc(1, sizeof *u)) == NULL) {
		log_err("upstream: out of memory");
		return NULL;
	}
	u->base = base;
	u->creds = cr;
	u->timeout_ms = cfg->http_timeout_ms;
	u->max_attempts = cfg->max_attempts != 0 ? cfg->max_attempts : 1;
	TAILQ_INIT(&u->calls);
	TAILQ_INIT(&u->queue);
	retry_bucket_init(&u->bucket);
	upstream_seed(u);

	if (cfg->endpoint == NULL || cfg->region == NULL) {
		log_err("upstream: no endpoint or region");
		goto fail;
	}
	if ((u->target = upstream_target_new(cfg->endpoint, cfg->region)) ==
	    NULL)
		goto fail;
	/* As many idle handles as may be busy, or a few when any number
	 * may: a burst beyond that frees what it made. */
	u->max_busy = cfg->max_connections;
	u->max_idle = conns > 0 ? (unsigned)conns : UPSTREAM_IDLE_UNLIMITED;
	if ((u->idle = calloc(u->max_idle, sizeof *u->idle)) == NULL ||
	    (u->pump = event_new(base, -1, 0, upstream_pump_cb, u)) == NULL) {
		log_err("upstream: out of memory");
		goto fail;
	}
	if ((u->loop = curl_loop_new(base, conns, upstream_done_cb)) == NULL) {
		log_err("upstream: cannot set up libcurl (out of memory?)");
		goto fail;
	}
	log_info("upstream: %s (region %s), up to %ld connections, "
		 "%u attempts per call",
	    u->target->url, u->target->region, conns, u->max_attempts);
	return u;
fail:
	upstream_destroy(u);
	return NULL;
}

/* Frees everything; no call is left but the one delivering, if any.
 * Inside curl_loop's done callback the loop itself goes when that
 * returns. */
static void
upstream_destroy(struct upstream *u)
{
	struct upcall *uc;

	while ((uc = TAILQ_FIRST(&u->calls)) != NULL) {
		TAILQ_REMOVE(&u->calls, uc, entry);
		upcall_free(uc);
	}
	while (u->n_idle != 0)
		curl_easy_cleanup(u->idle[--u->n_idle]);
	free(u->idle);
	curl_loop_free(u->loop);
	if (u->pump != NULL)
		event_free(u->pump);
	upstream_target_unref(u->target);
	free(u);
}

void
upstream_free(struct upstream *u)
{
	struct upcall *uc;

	if (u == NULL || u->dying)
		return;
	if (u->depth == 0) {
		upstream_destroy(u);
		return;
	}
	/* Inside one of our callbacks: cancel now, free on the way out. */
	while ((uc = TAILQ_FIRST(&u->calls)) != NULL) {
		TAILQ_REMOVE(&u->calls, uc, entry);
		upcall_free(uc);
	}
	u->stats.in_flight = 0;
	u->dying = true;
}

/* Operation names go into a header: letters and digits only. */
static bool
upstream_valid_op(const char *op)
{
	size_t n = strlen(op);

	if (n == 0 || n > UPSTREAM_MAX_OP)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((op[i] >= 'A' && op[i] <= 'Z') ||
			(op[i] >= 'a' && op[i] <= 'z') ||
			(op[i] >= '0' && op[i] <= '9')))
			return false;
	return true;
}

struct upcall *
upstream_call(struct upstream *u, const char *operation, const char *body,
    upstream_cb *cb, void *arg)
{
	struct upcall *uc;
	bool valid = upstream_valid_op(operation);

	if (u->dying)
		return NULL;
	if ((uc = calloc(1, sizeof *uc)) == NULL)
		return NULL;
	uc->u = u;
	uc->target = u->target;
	uc->target->refs++;
	uc->cb = cb;
	uc->arg = arg;
	uc->body_len = strlen(body);
	if ((uc->body = malloc(uc->body_len + 1)) == NULL ||
	    (uc->timer = evtimer_new(u->base, upcall_timer_cb, uc)) == NULL) {
		upcall_free(uc);
		return NULL;
	}
	memcpy(uc->body, body, uc->body_len + 1);
	if (valid)
		memcpy(uc->op, operation, strlen(operation) + 1);
	else
		strcpy(uc->op, "(invalid)");
	TAILQ_INSERT_TAIL(&u->calls, uc, entry);
	u->stats.in_flight++;

	if (!valid)
		upcall_fail(uc, true, RETRY_NO, "invalid operation name");
	if (!valid || !upcall_start(uc, false)) {
		/* Never call back from in here: deliver from the loop. */
		uc->state = UPCALL_DEFERRED;
		upcall_soon(uc);
	}
	return uc;
}

void
upstream_cancel(struct upcall *uc)
{
	struct upstream *u;

	if (uc == NULL)
		return;
	/* Its own callback is running: it is freed when that returns. */
	if (uc->state == UPCALL_DELIVERING)
		return;
	u = uc->u;
	TAILQ_REMOVE(&u->calls, uc, entry);
	u->stats.in_flight--;
	upcall_free(uc);
}

void
upstream_get_stats(const struct upstream *u, struct upstream_stats *st)
{
	*st = u->stats;
}

int
upstream_reconfigure(struct upstream *u, const struct config *cfg)
{
	struct upstream_target *t;

	if (strcmp(cfg->endpoint, u->target->url) == 0 &&
	    strcmp(cfg->region, u->target->region) == 0)
		return 0;
	if ((t = upstream_target_new(cfg->endpoint, cfg->region)) == NULL)
		return -1;
	upstream_target_unref(u->target);
	u->target = t;
	log_info("upstream: new calls go to %s (region %s); calls in flight "
		 "finish where they started", t->url, t->region);
	return 0;
}

void
upstream_creds_changed(void *arg)
{
	struct upstream *u = arg;
	struct upcall *uc;

	/* Each waiting call re-checks from its own timer: no callback runs
	 * from in here. */
	TAILQ_FOREACH(uc, &u->calls, entry)
		if (uc->state == UPCALL_WAIT_CREDS)
			upcall_soon(uc);
}
