/* SPDX-License-Identifier: MIT */
/*
 * rawc: a minimal blocking client of the wire protocol (PROTOCOL.md),
 * straight on the codec in proto/, for tests and benches that must see
 * exactly what the daemon says (hello's session, namespaces, reap) without
 * libdyntable. Arguments and results are jansson objects.
 *
 * Not thread-safe; one struct rawc per connection. Errors print a reason
 * to stderr and return NULL / -1.
 */
#ifndef RAWC_H
#define RAWC_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

typedef struct rawc rawc;

/*
 * Connects to path ($DYNTABLE_SOCKET when NULL) and says hello with the
 * given namespace and session (each NULL: not sent). NULL on failure,
 * including a failed hello (its error message is printed).
 */
rawc *rawc_connect(const char *path, const char *ns, const char *session);
/* Same, but returns the hello reply instead of failing on an error reply
 * (*out: {"ok":..., "result"|"error":...}, caller frees). */
rawc *rawc_connect_hello(const char *path, const char *ns,
    const char *session, json_t **out);
void rawc_close(rawc *c);
int rawc_fd(const rawc *c);
const char *rawc_session(const rawc *c); /* hello's session token */
bool rawc_resumed(const rawc *c);

/* Sends op with args (an object, or NULL; not consumed). Returns the
 * request id, 0 on failure. */
uint32_t rawc_send(rawc *c, const char *op, const json_t *args);
/* Reads the next reply, waiting up to timeout_ms (-1: forever):
 * {"id": n, "ok": bool, "result": {...}} or {..., "error": {"code",
 * "name", "message", "aws_type"?}}. NULL on timeout, EOF or error. */
json_t *rawc_recv(rawc *c, int timeout_ms);
/* rawc_send, then rawc_recv until the reply with that id, or a
 * connection error (id 0); other replies are dropped. */
json_t *rawc_call(rawc *c, const char *op, const json_t *args,
    int timeout_ms);

/* Reply helpers: true for ok; the result (borrowed); the error's name
 * ("NOT_FOUND") or aws_type, NULL when absent. */
bool rawc_ok(const json_t *reply);
json_t *rawc_result(const json_t *reply);
const char *rawc_err_name(const json_t *reply);
const char *rawc_err_aws_type(const json_t *reply);

/* A CreateTableInput with partition key pk:S, pay per request; NULL
 * gsi: none, else one GSI of that name on key g:S. New reference. */
json_t *rawc_table_def(const char *name, const char *gsi);

/* Milliseconds on the monotonic clock. */
long long rawc_now_ms(void);

#endif /* RAWC_H */
