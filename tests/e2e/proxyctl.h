/* SPDX-License-Identifier: MIT */
/*
 * proxyctl: the loopback test proxy's control API (fault injection and
 * counters, tests/tools/dynalite-proxy.js), its request log, and dynalite
 * itself behind it, from the variables harness.sh exports. For tests and
 * benches. Blocking (libcurl easy).
 */
#ifndef PROXYCTL_H
#define PROXYCTL_H

#include <stdbool.h>

#include <jansson.h>

/* True when the harness's proxy is there (DYNTABLE_TEST_CONTROL set). */
bool pc_available(void);
/* POST /faults with rules (a JSON array, as text). 0, or -1. */
int pc_faults(const char *rules);
/* POST /reset: no rules, counters at zero. 0, or -1. */
int pc_reset(void);
/* GET /stats (new reference), or NULL. */
json_t *pc_stats(void);
/* stats.targets[op]: requests for op since the last reset; -1 on error. */
long pc_count(const char *op);

/* Every line of the request log ($DYNTABLE_TEST_REQUESTS) whose target is
 * op: a new array of {"t", "body", "status", "fault"?}; NULL without a
 * log. */
json_t *pc_log(const char *op);

/*
 * Sends op with body straight to dynalite ($DYNTABLE_TEST_DYNALITE_URL),
 * bypassing the daemon and the proxy (dynalite checks that a signature
 * is there, not that it is right). Returns the parsed reply (new
 * reference, NULL on transport error); *status gets the HTTP status.
 */
json_t *pc_dynalite(const char *op, const json_t *body, long *status);

#endif /* PROXYCTL_H */
