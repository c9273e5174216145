/* SPDX-License-Identifier: MIT */
/*
 * sessions.c: sessions (see sessions.h).
 *
 * Ownership: struct sessions owns every session. A session lives while a
 * connection is in it or something is held in it; with holds and no
 * connection, its grace timer runs, and when it fires the owner of the
 * holds is told (end) and the session is freed. The token is wiped when
 * freed; only its hash (sid) ever appears in tags and logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "config.h"
#include "log.h"
#include "sessions.h"

struct session {
	struct sessions *ss;
	char token[SESSION_TOKEN_LEN + 1];
	char sid[17];		/* public id: a hash of the token */
	unsigned n_conns;	/* connections in it */
	unsigned held;		/* holds (ephemeral tables) */
	bool ending;		/* its end is being told */
	struct event *grace;	/* armed while held with no connection */
	TAILQ_ENTRY(session) entry; /* in ss->list */
};

struct sessions {
	struct event_base *base;
	const struct config *cfg;
	struct {
		session_end_fn *fn;
		void *arg;
	} ends[SESSIONS_MAX_ENDS]; /* told in order when a session ends */
	unsigned n_ends;
	TAILQ_HEAD(, session) list;
	unsigned n;
};

struct sessions *
sessions_new(struct event_base *base, const struct config *cfg)
{
	struct sessions *ss = calloc(1, sizeof(*ss));

	if (ss == NULL)
		return NULL;
	ss->base = base;
	ss->cfg = cfg;
	TAILQ_INIT(&ss->list);
	return ss;
}

void
sessions_on_end(struct sessions *ss, session_end_fn *end, void *arg)
{
	if (ss->n_ends == SESSIONS_MAX_ENDS)
		abort(); /* a programming error: raise SESSIONS_MAX_ENDS */
	ss->ends[ss->n_ends].fn = end;
	ss->ends[ss->n_ends++].arg = arg;
}

static void
session_free(struct session *s)
{
	struct sessions *ss = s->ss;

	event_free(s->grace);
	TAILQ_REMOVE(&ss->list, s, entry);
	ss->n--;
	OPENSSL_cleanse(s->token, sizeof(s->token));
	free(s);
}

void
sessions_free(struct sessions *ss)
{
	if (ss == NULL)
		return;
	/* Each pass unlinks the first entry (TAILQ/LIST_REMOVE writes
	 * through its prev pointer, which the analyzer does not tie
	 * to the head): not a use after free. */
	while (!TAILQ_EMPTY(&ss->list))
		session_free(TAILQ_FIRST(&ss->list)); /* NOLINT(clang-analyzer-unix.Malloc) */
	free(ss);
}

bool
session_token_valid(const char *token)
{
	size_t i;

	for (i = 0; token[i] != '\0'; i++)
		if (!((token[i] >= '0' && token[i] <= '9') ||
		    (token[i] >= 'a' && token[i] <= 'f')))
			return false;
	return i == SESSION_TOKEN_LEN;
}

const char *
session_token(const struct session *s)
{
	return s->token;
}

const char *
session_sid(const struct session *s)
{
	return s->sid;
}

bool
session_connected(const struct session *s)
{
	return s->n_conns != 0;
}

unsigned
sessions_count(const struct sessions *ss)
{
	return ss->n;
}

/* Grace is over: the session ends, and what it holds goes. */
static void
session_expire(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	log_info("sessions: session %s ended", s->sid);
	s->ending = true;
	for (unsigned i = 0; i < s->ss->n_ends; i++)
		s->ss->ends[i].fn(s->ss->ends[i].arg, s);
	session_free(s);
}

struct session *
session_join(struct sessions *ss, const char *token, bool *resumed)
{
	unsigned char raw[SESSION_TOKEN_LEN / 2], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	struct session *s;

	*resumed = false;
	if (token != NULL && strlen(token) == SESSION_TOKEN_LEN) {
		TAILQ_FOREACH(s, &ss->list, entry) {
			if (CRYPTO_memcmp(s->token, token,
			    SESSION_TOKEN_LEN) != 0)
				continue;
			if (s->n_conns++ == 0)
				evtimer_del(s->grace);
			*resumed = true;
			log_info("sessions: session %s resumed (%u "
			    "connections)", s->sid, s->n_conns);
			return s;
		}
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    (s->grace = evtimer_new(ss->base, session_expire, s)) == NULL) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(s->token + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (EVP_Digest(s->token, SESSION_TOKEN_LEN, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen < 8) {
		event_free(s->grace);
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < 8; i++)
		snprintf(s->sid + 2 * i, 3, "%02x", md[i]);
	s->ss = ss;
	s->n_conns = 1;
	TAILQ_INSERT_TAIL(&ss->list, s, entry);
	ss->n++;
	return s;
}

void
session_leave(struct session *s)
{
	unsigned ms = s->ss->cfg->ephemeral_grace_ms;
	struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };

	if (--s->n_conns != 0)
		return;
	if (s->held == 0) {
		session_free(s);
		return;
	}
	log_info("sessions: session %s: last connection gone; its %u tables "
	    "go in %u ms unless it is resumed", s->sid, s->held, ms);
	evtimer_add(s->grace, &tv);
}

void
session_hold(struct session *s)
{
	s->held++;
}

void
session_release(struct session *s)
{
	if (--s->held != 0 || s->n_conns != 0 || s->ending)
		return;
	session_free(s); /* in grace, and nothing left to delete */
}
