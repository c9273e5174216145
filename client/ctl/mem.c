/* SPDX-License-Identifier: MIT */
/*
 * dyntablectl: memory. Allocation failures end the process with
 * CTL_FAILED; these helpers build JSON or exit. A leaf: used by options.c,
 * output.c and dyntablectl.c, calling none of them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "dyntablectl.h"

void __attribute__((noreturn))
oom(void)
{
	fprintf(stderr, PROG ": out of memory\n");
	exit(CTL_FAILED);
}

/* j, or exit when jansson could not allocate it. */
json_t *
must(json_t *j)
{
	if (j == NULL)
		oom();
	return j;
}

/* obj[key] = val, taking val's reference. */
void
put(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) != 0)
		oom();
}

/* Appends val to arr, taking val's reference. */
void
push(json_t *arr, json_t *val)
{
	if (val == NULL || json_array_append_new(arr, val) != 0)
		oom();
}
