/* SPDX-License-Identifier: MIT */
/*
 * log.c: the daemon's log, on stderr.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with a syslog
 * priority prefix such as "<4>", which journald turns into the entry's
 * priority; elsewhere lines carry a timestamp and a level word.
 *
 * Every line passes through redact() (redact.h): callers never pass a
 * secret on purpose, but external text they quote (an endpoint's error, a
 * credential_process's stderr, a URL) may hold one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "redact.h"

static enum log_level log_max = LOG_LVL_INFO;
static bool log_journal; /* stderr is connected to journald */

static const struct {
	const char *name;
	int syslog_prio;
} log_levels[] = {
	[LOG_LVL_ERR] = { "error", 3 },
	[LOG_LVL_WARN] = { "warn", 4 },
	[LOG_LVL_INFO] = { "info", 6 },
	[LOG_LVL_DEBUG] = { "debug", 7 },
};

void
log_init(enum log_level level)
{
	log_max = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
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

/* Formats one line into a buffer first so that concurrent writers (none
 * today, but children and libraries share stderr) never interleave it. */
static void
log_vemit(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (!log_enabled(level))
		return;
	if (log_journal) {
		n = snprintf(line, sizeof(line), "<%d>",
		    log_levels[level].syslog_prio);
	} else {
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		n = snprintf(line, sizeof(line),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ dyntabled %s: ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
		    log_levels[level].name);
	}
	if (n < 0)
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One line per record: redact() also folds embedded newlines. */
	redact(line + n);
	fprintf(stderr, "%s\n", line);
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
