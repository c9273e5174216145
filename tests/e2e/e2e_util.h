/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the C end-to-end tests (test_client.c, test_create.c):
 * table names, assertions with messages, connecting, and reading the
 * proxy's request log ($DYNTABLE_TEST_REQUESTS, see harness.sh).
 *
 * Include after <cmocka.h>: the assertions fail the current cmocka test.
 */
#ifndef E2E_UTIL_H
#define E2E_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dyntable.h"
#include "e2e_env.h"

#define WAIT_MS 20000u /* generous bound for any table to settle */

/* "e2e-PID-what", in one of 8 rotating static buffers. */
const char *tname(const char *what);

long long now_ms(void);
const char *str_or(const char *s, const char *dflt);

void e2e_check_status(const dyntable_result *r, dyntable_status want,
    const char *what, int line);
#define assert_status(r, want) e2e_check_status((r), (want), #r, __LINE__)

void e2e_check_str(const char *got, const char *want, const char *what,
    int line);
#define assert_str(got, want) e2e_check_str((got), (want), #got, __LINE__)

/* A group setup's connection for *c: 0, or -1 (saying why on stderr)
 * so that cmocka skips the group. */
int e2e_group_connect(dyntable_ctx **c);

/* Connects to $DYNTABLE_SOCKET; fails the test unless that works. */
dyntable_ctx *connect_ok(void);

/* A zeroed definition with partition key pk:S. */
dyntable_table_def simple_def(const char *name);

/* Creates d (waiting for ACTIVE when wait) and checks the answer. */
void create_ok(dyntable_ctx *c, const dyntable_table_def *d, bool wait);

/* Deletes a table, once it is ACTIVE (a CREATING one is IN_USE). */
void delete_ok(dyntable_ctx *c, const char *name);

bool list_has(dyntable_ctx *c, const char *name);

/*
 * The requests the proxy saw with X-Amz-Target ending in ".op" whose body
 * has TableName == table (any table when NULL): their bodies, as a JSON
 * array the caller frees. Never NULL: without a request log the test
 * fails, or is skipped against a daemon already running (e2e_need_env).
 */
json_t *recorded(const char *op, const char *table);

/* How many requests the proxy has logged so far, of any kind; without a
 * request log, as recorded(). */
long reqlog_count(void);

#endif /* E2E_UTIL_H */
