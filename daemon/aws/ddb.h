/* SPDX-License-Identifier: MIT */
/*
 * ddb.h: DynamoDB's documents, checked (ddb.c). Pure: CreateTableInput
 * validation, TableDescription checks, error types, ListTables paging.
 */
#ifndef DYNTABLED_DDB_H
#define DYNTABLED_DDB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "dtp.h"

/*
 * Validates a CreateTableInput (PROTOCOL.md §6) and completes it in place
 * (explicit BillingMode). Returns 0, or -1 with a message naming the
 * field in err.
 */
int ddb_check_create(json_t *input, char *err, size_t errlen);
/*
 * Validates an UpdateTableInput without its TableName (the request's
 * name is the table): DynamoDB's rules, one index created or deleted per
 * call, what each billing mode requires, something to update. 0, or -1
 * with a message naming the field.
 */
int ddb_check_update(const json_t *input, char *err, size_t errlen);
/* The index a checked UpdateTableInput creates and the one it deletes
 * (NULL: none), borrowed from in. */
void ddb_update_indexes(const json_t *in, const char **created,
    const char **deleted);
/* TimeToLiveSpecification {Enabled, AttributeName}. */
int ddb_check_ttl_spec(const json_t *spec, char *err, size_t errlen);
/* TagResource's Tags: 1-50 of {Key, Value}. */
int ddb_check_tag_list(const json_t *tags, char *err, size_t errlen);
/* UntagResource's TagKeys: 1-50 keys of 1-128 characters. */
int ddb_check_tag_keys(const json_t *keys, char *err, size_t errlen);
/* PointInTimeRecoverySpecification {PointInTimeRecoveryEnabled,
 * RecoveryPeriodInDays 1-35}. */
int ddb_check_pitr_spec(const json_t *spec, char *err, size_t errlen);
/* Checks the members of a TableDescription that the daemon reads
 * (TableName, TableStatus, the indexes' names and statuses): 0, or -1
 * with what is wrong in err. A reply that fails it is an upstream error,
 * never a table with status "?". */
int ddb_check_table(const json_t *desc, char *err, size_t errlen);
/* True when TableStatus and every GSI IndexStatus are ACTIVE, and no GSI
 * is still backfilling. */
bool ddb_table_active(const json_t *desc);
/* True when desc lists a secondary index of that name. */
bool ddb_table_has_index(const json_t *desc, const char *index);
/* desc's TableStatus, or NULL. */
const char *ddb_table_status(const json_t *desc);
/* Maps a DynamoDB error type to a protocol error code. */
dtp_err ddb_error_code(const char *aws_type);
/* Checks a table name: 3-255 characters of [a-zA-Z0-9_.-]. */
bool ddb_valid_name(const char *name, size_t len);
/* Checks that s (NUL-terminated) can start a table name. */
bool ddb_valid_name_prefix(const char *s);

/*
 * ListTables paging, bounded (issue 11): every pager in the daemon (list,
 * reap) goes through ddb_pager_next, so none can loop on an endpoint that
 * always answers "there is more".
 */
#define DDB_PAGES_MAX 1000     /* 100,000 tables at 100 a page */
#define DDB_PAGING_MAX_S 300   /* one listing, all its pages */

struct ddb_pager {
	unsigned pages;	       /* pages received */
	time_t started;	       /* the first page's request */
	char last[256];	       /* ExclusiveStartTableName of the next page */
};

void ddb_pager_init(struct ddb_pager *pg, time_t now);
/* Checks one ListTables reply and appends its names to acc (an array).
 * Returns 1 when another page follows (ask for it from pg->last), 0 when
 * this was the last, -1 with err when the reply is malformed, the paging
 * does not move forward, or it exceeds DDB_PAGES_MAX or DDB_PAGING_MAX_S:
 * an upstream error. */
int ddb_pager_next(struct ddb_pager *pg, const json_t *reply, json_t *acc,
    time_t now, char *err, size_t errlen);

#endif /* DYNTABLED_DDB_H */
