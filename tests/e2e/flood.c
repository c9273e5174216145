/* SPDX-License-Identifier: MIT */
/*
 * flood: holds many connections to dyntabled, for the admission tests
 * (issue 11).
 *
 *   flood SOCKET N
 *
 * Opens N connections one after the other, each saying hello, and prints
 * one JSON line: {"accepted": A, "refused": R, "failed": F, "refusal":
 * the first refusal's message or null}. Then keeps the accepted ones open
 * until its standard input ends (EOF), so that a test decides how long
 * the daemon must carry them. Exits 0 once it printed, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "rawc.h"

int
main(int argc, char **argv)
{
	rawc **conns;
	unsigned long n, accepted = 0, refused = 0, failed = 0;
	char *end, buf[64];
	json_t *refusal = NULL, *out;

	if (argc != 3 || (n = strtoul(argv[2], &end, 10)) == 0 || *end != '\0') {
		fprintf(stderr, "usage: flood SOCKET N\n");
		return 2;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	if ((conns = calloc(n, sizeof(*conns))) == NULL)
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		json_t *rep = NULL;
		rawc *c = rawc_connect_hello(argv[1], NULL, NULL, &rep);

		if (c != NULL && rawc_ok(rep)) {
			conns[accepted++] = c;
		} else if (c != NULL && rep != NULL) {
			refused++;
			if (refusal == NULL)
				refusal = json_incref(json_object_get(
				    json_object_get(rep, "error"), "message"));
			rawc_close(c);
		} else {
			failed++;
			if (c != NULL)
				rawc_close(c);
		}
		json_decref(rep);
	}
	out = json_pack("{s:I,s:I,s:I,s:o}", "accepted", (json_int_t)accepted,
	    "refused", (json_int_t)refused, "failed", (json_int_t)failed,
	    "refusal", refusal != NULL ? refusal : json_null());
	json_dumpf(out, stdout, JSON_COMPACT);
	printf("\n");
	fflush(stdout);
	json_decref(out);
	while (fgets(buf, sizeof(buf), stdin) != NULL)
		;
	for (unsigned long i = 0; i < accepted; i++)
		rawc_close(conns[i]);
	free(conns);
	return 0;
}
