/* SPDX-License-Identifier: MIT */
/* raw_check.c: see raw_check.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "raw_check.h"
#include "rawc.h"

const char *
raw_tname(const char *prefix, const char *what)
{
	static char bufs[8][128];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s-%ld-%s", prefix, (long)getpid(),
	    what);
	return b;
}

rawc *
raw_connect_ok(void)
{
	rawc *c = rawc_connect(NULL, NULL, NULL);

	if (c == NULL)
		fail_msg("cannot connect to the daemon");
	return c;
}

void
raw_check_ok(json_t *rep, const char *what)
{
	char *s;

	if (rep == NULL)
		fail_msg("%s: no reply", what);
	if (rawc_ok(rep))
		return;
	s = json_dumps(rep, JSON_COMPACT);
	fail_msg("%s: %s", what, s != NULL ? s : "?");
}
