/* SPDX-License-Identifier: MIT */
/* e2e_env: see e2e_env.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "e2e_env.h"

const char *
e2e_need_env(const char *var)
{
	const char *v = getenv(var), *ext = getenv("DYNTABLE_TEST_SOCKET");

	if (v != NULL && *v != '\0')
		return v;
	if (ext != NULL && *ext != '\0') {
		print_message("skipped: needs $%s, which a daemon already "
		    "running ($DYNTABLE_TEST_SOCKET) does not provide\n", var);
		skip();
	}
	fail_msg("$%s is not set: run this test through tests/e2e/harness.sh",
	    var);
	return NULL; /* not reached: fail_msg() and skip() jump out */
}
