/* SPDX-License-Identifier: MIT */
/*
 * test_protocol_doc.c: the protocol document and the op table agree.
 *
 *   test_protocol_doc PROTOCOL.md
 *
 * Every row of DTP_OPS (proto/dtp_ops.h) has its section "### `name`" in
 * PROTOCOL.md, and every such section names an operation of the table:
 * adding an operation without documenting it, or documenting one that
 * does not exist, fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtp.h"

static char *doc;

static void
test_every_op_documented(void **state)
{
	char heading[96];

	(void)state;
	for (unsigned op = 0; op < DTP_OP_COUNT; op++) {
		snprintf(heading, sizeof(heading), "\n### `%s`",
		    dtp_op_name((dtp_op)op));
		if (strstr(doc, heading) == NULL)
			fail_msg("PROTOCOL.md has no section for %s",
			    dtp_op_name((dtp_op)op));
	}
}

static void
test_every_section_an_op(void **state)
{
	unsigned sections = 0;

	(void)state;
	for (const char *p = strstr(doc, "\n### `"); p != NULL;
	    p = strstr(p + 1, "\n### `")) {
		const char *name = p + 6, *end = strchr(name, '`');

		assert_non_null(end);
		if (!dtp_op_lookup(name, (size_t)(end - name), NULL))
			fail_msg("PROTOCOL.md documents %.*s, which is no "
			    "operation of DTP_OPS", (int)(end - name), name);
		sections++;
	}
	assert_int_equal(sections, DTP_OP_COUNT);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op_documented),
		cmocka_unit_test(test_every_section_an_op),
	};
	FILE *f;
	long n;
	int rc;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: test_protocol_doc PROTOCOL.md\n");
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n <= 0 || (doc = calloc(1, (size_t)n + 1)) == NULL ||
	    fread(doc, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return 1;
	}
	fclose(f);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(doc);
	return rc;
}
