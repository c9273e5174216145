/* SPDX-License-Identifier: MIT */
/*
 * e2e_env: the variables harness.sh exports, as evidence a test needs.
 * Shared by the C end-to-end tests (e2e_util and e2e_raw both compile it).
 * Include after <cmocka.h>.
 */
#ifndef E2E_ENV_H
#define E2E_ENV_H

#include <errno.h>
#include <time.h>

/*
 * The value of var, which harness.sh exports (request log, proxy control,
 * dynalite's URL...). Under the harness it is always set, so a missing one
 * means the check that reads it has lost its evidence: the test fails
 * rather than pass without checking. Against a daemon already running
 * ($DYNTABLE_TEST_SOCKET, where the harness exports nothing else) there is
 * no proxy to read: the test is skipped, with the reason on stdout.
 */
const char *e2e_need_env(const char *var);

/* Sleeps ms milliseconds, through signals. usleep is obsolescent (POSIX
 * 2008) and may refuse a second or more. */
static inline void
e2e_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	int rc;

	do /* on EINTR, ts holds the time left */
		rc = nanosleep(&ts, &ts);
	while (rc != 0 && errno == EINTR);
}

#endif /* E2E_ENV_H */
