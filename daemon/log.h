/* SPDX-License-Identifier: MIT */
/*
 * log.h: the daemon's log (log.c), on stderr, every line redacted.
 */
#ifndef DYNTABLED_LOG_H
#define DYNTABLED_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(enum log_level level);
/* --log-format json: one JSON object per line (log.c says which keys). */
void log_set_json(bool json);
bool log_level_parse(const char *s, enum log_level *out);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For warnings that a flood can repeat (refused clients, EMFILE): log
 * when log_rate_ok() says so, at most once per interval; it then puts in
 * shown_suppressed how many were left out since the last one shown. */
struct log_rate {
	bool started;
	time_t last;			/* when the last one was shown */
	unsigned long suppressed;	/* left out since */
	unsigned long shown_suppressed; /* left out before this one */
};
bool log_rate_ok(struct log_rate *rl, unsigned interval_s);

/* Identical warnings and errors less than this apart are counted, not
 * written; log_flush_repeats() writes their summary. */
#define LOG_REPEAT_S 10
/* Writes a summary of each warning held back for LOG_REPEAT_S (all: of
 * every one, at exit). main.c calls it every LOG_REPEAT_S. */
void log_flush_repeats(bool all);
/* What makes two messages "identical" for that: a hash of the text
 * without its digits. Pure; never 0. */
uint64_t log_key(const char *msg);

#endif /* DYNTABLED_LOG_H */
