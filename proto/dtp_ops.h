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
	    describe_ttl)                                                    \
	X(METRICS, metrics, 0, OPF_ADMIN, metrics)                           \
	X(TRUNCATE_TABLE, truncate_table, OPA_NAME | OPA_FORCE, OPF_MUTATES,  \
	    truncate)                                                        \
	X(LEASE_TABLE, lease_table,                                          \
	    OPA_DEFINITION | OPA_LOGICAL | OPA_POOLED | OPA_TIMEOUT,          \
	    OPF_MUTATES, lease)                                              \
	X(RELEASE_TABLE, release_table, OPA_NAME, OPF_MUTATES, release)      \
	X(POOLS, pools, 0, 0, pools)                                         \
	X(UPDATE_TABLE, update_table, OPA_NAME | OPA_UPDATE | OPA_WAIT,       \
	    OPF_MUTATES, update)                                             \
	X(UPDATE_TIME_TO_LIVE, update_time_to_live, OPA_NAME | OPA_TTL,       \
	    OPF_MUTATES, update_ttl)                                         \
	X(TAG_RESOURCE, tag_resource, OPA_NAME | OPA_TAGS, 0, tag)           \
	X(UNTAG_RESOURCE, untag_resource, OPA_NAME | OPA_TAG_KEYS, 0, untag) \
	X(LIST_TAGS_OF_RESOURCE, list_tags_of_resource, OPA_NAME, 0,         \
	    list_tags)                                                       \
	X(UPDATE_CONTINUOUS_BACKUPS, update_continuous_backups,              \
	    OPA_NAME | OPA_PITR, 0, update_backups)                          \
	X(DESCRIBE_CONTINUOUS_BACKUPS, describe_continuous_backups, OPA_NAME, \
	    0, describe_backups)

#endif /* DTP_OPS_H */
