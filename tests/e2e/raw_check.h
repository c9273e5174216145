/* SPDX-License-Identifier: MIT */
/*
 * raw_check: what the raw-protocol tests (test_waits.c, test_queue.c,
 * test_ephemeral.c) share on top of rawc.h: unique table names, a
 * connection that must succeed, and the success check.
 * Include after <cmocka.h>.
 */
#ifndef RAW_CHECK_H
#define RAW_CHECK_H

#include <jansson.h>

#include "rawc.h"

/* "PREFIX-PID-what", in one of 8 rotating static buffers. */
const char *raw_tname(const char *prefix, const char *what);

/* A handshaken connection to $DYNTABLE_SOCKET; fails the test if none. */
rawc *raw_connect_ok(void);

/* Fails the test unless rep is a success reply; what names the call. */
void raw_check_ok(json_t *rep, const char *what);

#endif /* RAW_CHECK_H */
