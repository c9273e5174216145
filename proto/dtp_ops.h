/* SPDX-License-Identifier: MIT */
/*
 * dtp_ops.h: every operation of the wire protocol, once (PROTOCOL.md §3).
 *
 * One row per operation:
 *   X(ENUM, wire_name, ARGS, FLAGS, handler)
 * The codec and the client use the first two columns (dtp_op, the names
 * on the wire); the daemon the other three: the arguments it accepts
 * (OPA_* bits, daemon/ops.c decodes them in one pass), OPF_* flags (admin
 * only, mutates a table) and the name of its handler in daemon/ops.c.
 * Adding an operation is a row here, its handler, its test and its
 * section in PROTOCOL.md (docs/DEVELOPING.md, "How to add an operation").
 */
#ifndef DTP_OPS_H
#define DTP_OPS_H

#define DTP_OPS(X)                                                           \
	X(HELLO, hello, 0, 0, hello_row)                                       \
	X(CREATE_TABLE, create_table,                                        \
	    OPA_DEFINITION | OPA_WAIT | OPA_TABLE_ONLY | OPA_EPHEMERAL,          \
	    OPF_MUTATES, create)                                             \
	X(DESCRIBE_TABLE, describe_table, OPA_NAME, 0, describe)             \
	X(TABLE_EXISTS, table_exists, OPA_NAME, 0, exists)                   \
	X(LIST_TABLES, list_tables, OPA_ALL, 0, list)                        \
	X(DELETE_TABLE, delete_table, OPA_NAME | OPA_WAIT, OPF_MUTATES,       \
	    delete)                                                          \
	X(WAIT_TABLE_ACTIVE, wait_table_active,                              \
	    OPA_NAME | OPA_TIMEOUT | OPA_TABLE_ONLY, 0, wait_active)            \
	X(WAIT_TABLE_DELETED, wait_table_deleted, OPA_NAME | OPA_TIMEOUT, 0,  \
	    wait_deleted)                                                    \
	X(STATUS, status, 0, OPF_ADMIN, status)                              \
	X(REAP, reap, 0, OPF_ADMIN, reap)                                    \
	X(DESCRIBE_TIME_TO_LIVE, describe_time_to_live, OPA_NAME, 0,         \
	    describe_ttl)

#endif /* DTP_OPS_H */
