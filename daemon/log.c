/* SPDX-License-Identifier: MIT */
/*
 * log.c: the daemon's log, on stderr.
 *
 * Two formats (--log-format): text, the default, one line per record
 * with a timestamp and a level word; json, one object per line:
 *   {"time": "2026-12-03T12:00:00.123Z", "level": "warn",
 *    "event": "upstream: %s failed after %u attempt(s): %s",
 *    "fields": {"message": "upstream: DescribeTable failed ...",
 *               "repeated": 12}}
 * where event is the record's message template (the printf format: the
 * same for every record of its kind, whatever the values, so that a log
 * pipeline can group and alert on it) and fields hold the rendered
 * message and, on a summary of repeats, their count. Under systemd
 * (JOURNAL_STREAM set) each line starts with a syslog priority prefix
 * such as "<4>", which journald turns into the entry's priority and
 * strips; the text format then leaves out the timestamp.
 *
 * Every message passes through redact() (redact.h) before it is written,
 * in either format: callers never pass a secret on purpose, but external
 * text they quote (an endpoint's error, a credential_process's stderr, a
 * URL) may hold one.
 *
 * Repeats: a warning or error identical to one shown less than
 * LOG_REPEAT_S ago (identical once digits are ignored: attempt counts,
 * milliseconds and ports vary between copies of the same failure) is
 * counted, not written. log_flush_repeats() (main.c's timer, and at exit)
 * writes one summary per message that was held back: "... (repeated N
 * times in the last S s)". A poller against an unreachable endpoint thus
 * logs its two warnings once, then a summary every LOG_REPEAT_S, instead
 * of twice every 150 ms.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "log.h"
#include "redact.h"

#define LOG_LINE_MAX 2048
#define LOG_REPEAT_SLOTS 32	/* distinct repeating messages tracked */
#define LOG_REPEAT_TEXT 240	/* of each, what its summary quotes */

static enum log_level log_max = LOG_LVL_INFO;
static bool log_journal; /* stderr is connected to journald */
static bool log_json;	 /* --log-format json */

static const struct {
	const char *name;
	int syslog_prio;
} log_levels[] = {
	[LOG_LVL_ERR] = { "error", 3 },
	[LOG_LVL_WARN] = { "warn", 4 },
	[LOG_LVL_INFO] = { "info", 6 },
	[LOG_LVL_DEBUG] = { "debug", 7 },
};

/* A warning or error being held back (see the top). */
struct log_repeat {
	uint64_t key;		    /* log_key() of its message; 0: free */
	const char *event;	    /* its template (a string literal) */
	enum log_level level;
	time_t shown;		    /* when last written (or summarised) */
	time_t seen;		    /* when last logged */
	unsigned long held;	    /* logged since then, not written */
	char text[LOG_REPEAT_TEXT]; /* its message, redacted */
};
static struct log_repeat log_repeats[LOG_REPEAT_SLOTS];

void
log_init(enum log_level level)
{
	log_max = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_json(bool json)
{
	log_json = json;
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_max;
}

bool
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcmp(s, log_levels[i].name) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return true;
	}
	return false;
}

static time_t
log_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

uint64_t
log_key(const char *msg)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0';
	    p++) {
		if (*p >= '0' && *p <= '9')
			continue;
		h = (h ^ *p) * 0x100000001b3ull;
	}
	return h != 0 ? h : 1;
}

/* The JSON form of a record into line (size len). false when jansson
 * fails (out of memory): the caller writes the text form instead. */
static bool
log_json_line(char *line, size_t len, const char *when, enum log_level level,
    const char *event, const char *msg, unsigned long repeated)
{
	json_t *fields, *rec;
	char *s;
	size_t n;

	fields = json_object();
	if (fields != NULL) {
		json_t *m = json_string(msg);

		/* Not UTF-8 (a peer's bytes quoted): as Latin-1's ASCII. */
		if (m == NULL) {
			char ascii[LOG_LINE_MAX];

			snprintf(ascii, sizeof(ascii), "%s", msg);
			for (char *p = ascii; *p != '\0'; p++)
				if ((unsigned char)*p >= 0x80)
					*p = '?';
			m = json_string(ascii);
		}
		json_object_set_new(fields, "message", m);
		if (repeated != 0)
			json_object_set_new(fields, "repeated",
			    json_integer((json_int_t)repeated));
	}
	rec = json_pack("{s:s,s:s,s:s,s:o}", "time", when, "level",
	    log_levels[level].name, "event", event, "fields", fields);
	if (rec == NULL)
		return false;
	s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	if (s == NULL)
		return false;
	n = strlen(s);
	if (n >= len) { /* too long for one write: cut the message */
		free(s);
		return false;
	}
	memcpy(line, s, n + 1);
	free(s);
	return true;
}

/* Writes one record, already redacted, in the chosen format; repeated
 * (when not 0) says it summarises that many held-back copies over the
 * last `over` seconds. One fprintf per line, so that concurrent writers
 * (children and libraries share stderr) never interleave it. */
static void
log_write(enum log_level level, const char *event, const char *msg,
    unsigned long repeated, long over)
{
	char line[LOG_LINE_MAX], when[64], prio[16] = "";
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
	if (log_journal)
		snprintf(prio, sizeof(prio), "<%d>",
		    log_levels[level].syslog_prio);
	if (log_json && log_json_line(line, sizeof(line), when, level, event,
	    msg, repeated)) {
		fprintf(stderr, "%s%s\n", prio, line);
		return;
	}
	if (repeated != 0)
		snprintf(line, sizeof(line), "%s (repeated %lu times in the "
		    "last %ld s)", msg, repeated, over);
	else
		snprintf(line, sizeof(line), "%s", msg);
	if (log_journal)
		fprintf(stderr, "%s%s\n", prio, line);
	else
		fprintf(stderr, "%s dyntabled %s: %s\n", when,
		    log_levels[level].name, line);
}

/* Writes the summary of r's held-back copies, and restarts its window. */
static void
log_repeat_flush(struct log_repeat *r, time_t now)
{
	if (r->held != 0)
		log_write(r->level, r->event, r->text, r->held,
		    (long)(now - r->shown));
	r->held = 0;
	r->shown = now;
}

/* Whether msg (a warning or an error) is to be written now, or is a
 * repeat to hold back (see the top). */
static bool
log_repeat_check(enum log_level level, const char *event, const char *msg)
{
	uint64_t key = log_key(msg);
	time_t now = log_now_s();
	struct log_repeat *r, *victim = &log_repeats[0];
	size_t n;

	for (size_t i = 0; i < LOG_REPEAT_SLOTS; i++) {
		r = &log_repeats[i];
		if (r->key == key) {
			r->seen = now;
			if (now - r->shown < LOG_REPEAT_S) {
				r->held++;
				return false;
			}
			log_repeat_flush(r, now);
			return true;
		}
		if (r->key == 0 || (victim->key != 0 && r->seen < victim->seen))
			victim = r;
	}
	if (victim->key != 0)
		log_repeat_flush(victim, now);
	victim->key = key;
	victim->event = event;
	victim->level = level;
	victim->shown = victim->seen = now;
	victim->held = 0;
	/* Cut to the slot: the summary only needs to recognise the line. */
	n = strnlen(msg, sizeof(victim->text) - 1);
	memcpy(victim->text, msg, n);
	victim->text[n] = '\0';
	return true;
}

void
log_flush_repeats(bool all)
{
	time_t now = log_now_s();

	for (size_t i = 0; i < LOG_REPEAT_SLOTS; i++) {
		struct log_repeat *r = &log_repeats[i];

		if (r->key != 0 && r->held != 0 &&
		    (all || now - r->shown >= LOG_REPEAT_S))
			log_repeat_flush(r, now);
	}
}

static void
log_vemit(enum log_level level, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX - 128];

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One line per record: redact() also folds embedded newlines. */
	redact(msg);
	if (level <= LOG_LVL_WARN && !log_repeat_check(level, fmt, msg))
		return;
	log_write(level, fmt, msg, 0, 0);
}

#define LOG_FN(fn, lvl)                      \
	void fn(const char *fmt, ...)        \
	{                                    \
		va_list ap;                  \
		va_start(ap, fmt);           \
		log_vemit(lvl, fmt, ap);     \
		va_end(ap);                  \
	}

LOG_FN(log_err, LOG_LVL_ERR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

bool
log_rate_ok(struct log_rate *rl, unsigned interval_s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rl->started && now.tv_sec - rl->last < (time_t)interval_s) {
		rl->suppressed++;
		return false;
	}
	rl->started = true;
	rl->last = now.tv_sec;
	rl->shown_suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
