/* SPDX-License-Identifier: MIT */
/*
 * ops.h: the operations of PROTOCOL.md §3 (ops.c), as the connection
 * sees them: hello, one dispatch for every other request, and the two
 * ways a request can be stopped. The operations themselves are rows of
 * DTP_OPS (proto/dtp_ops.h) with handlers in ops.c.
 */
#ifndef DYNTABLED_OPS_H
#define DYNTABLED_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>

struct server;
struct req;
struct req_ident;

/* Reads hello's namespace and session arguments into id and joins (or
 * starts) the session. Returns 0, or -1 with a message in err: hello
 * fails and id holds nothing to release. */
int ops_hello(struct server *srv, const msgpack_object *args,
    struct req_ident *id, char *err, size_t errlen);
/* The connection closed: leaves its session. */
void ops_goodbye(struct req_ident *id);
/* Serves r (not hello) with its args (a map, or NULL): decodes them in one
 * pass against the op's row, checks the access policy, runs the handler.
 * r is answered through req_reply_*(), now or later. */
void ops_dispatch(struct server *srv, struct req *r,
    const msgpack_object *args);
/* The connection is going away: stops whatever r is doing, without
 * answering; the connection frees r afterwards (req_free). */
void ops_abandon(struct req *r);
/* The daemon's counters and gauges as OpenMetrics text (metrics.h),
 * malloc'd into *text; -1 when out of memory. For the `metrics` op and
 * the --metrics-listen HTTP endpoint (scrape.c, through main.c). */
int ops_metrics_text(struct server *srv, bool openmetrics, char **text,
    size_t *len);
/* The drain deadline passed: stops r and answers it SHUTDOWN, saying
 * whether a create or delete was sent to DynamoDB (outcome unknown). */
void ops_abort(struct req *r);

#endif /* DYNTABLED_OPS_H */
