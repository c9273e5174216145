/*
 * raw_check: what the raw-protocol tests (test_waits.c, test_ephemeral.c)
 * share on top of rawc.h: unique table names and the success check.
 * Include after <cmocka.h>.
 */
#ifndef RAW_CHECK_H
#define RAW_CHECK_H

#include <jansson.h>

/* "PREFIX-PID-what", in one of 8 rotating static buffers. */
const char *raw_tname(const char *prefix, const char *what);

/* Fails the test unless rep is a success reply; what names the call. */
void raw_check_ok(json_t *rep, const char *what);

#endif /* RAW_CHECK_H */
