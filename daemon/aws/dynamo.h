/* SPDX-License-Identifier: MIT */
/*
 * dynamo.h: DynamoDB's table operations, typed (dynamo.c).
 *
 * The one place that knows DynamoDB's operation names, builds their
 * request bodies, follows their pages (bounded: ddb_pager), checks their
 * replies (ddb_check_table) and maps their errors to protocol codes and
 * messages for people. The operations, waits, sessions and reap call
 * these, never upstream_call() with a name and a body of their own.
 *
 * A call is owned by this layer from its start until its callback returns
 * or dynamo_cancel(); the callback fires exactly once, from the event
 * loop, never from inside the call that started it. A result is valid
 * during the callback only.
 */
#ifndef DYNTABLED_DYNAMO_H
#define DYNTABLED_DYNAMO_H

#include <stdbool.h>

#include <jansson.h>

#include "dtp.h"

struct upstream;
struct dynamo_call;

typedef struct dynamo_result {
	dtp_err err;	       /* DTP_OK, or the protocol code of the failure */
	const char *aws_type;  /* DynamoDB's error type, or NULL */
	const char *message;   /* the failure, for people (replies redact it) */
	bool transient;	       /* a failure that may pass: throttling, 5xx,
				* no usable answer, a malformed reply */
	const json_t *table;   /* describe, create, delete: TableDescription,
				* checked */
	const json_t *names;   /* list: every table name, all pages */
	const json_t *tags;    /* list_tags: every tag, all pages */
	const json_t *doc;     /* describe_ttl: TimeToLiveDescription;
				* update_ttl: TimeToLiveSpecification;
				* the backups': ContinuousBackupsDescription;
				* scan_keys, batch_delete: the reply */
} dynamo_result;

typedef void dynamo_cb(void *arg, const dynamo_result *res);

/* Each returns the call, or NULL when out of memory (cb will not fire).
 * table is DynamoDB's name (namespaced); it is copied. */
struct dynamo_call *dynamo_describe(struct upstream *u, const char *table,
    dynamo_cb *cb, void *arg);
/* input: a checked CreateTableInput, consumed. */
struct dynamo_call *dynamo_create(struct upstream *u, json_t *input,
    dynamo_cb *cb, void *arg);
struct dynamo_call *dynamo_delete(struct upstream *u, const char *table,
    dynamo_cb *cb, void *arg);
/* DescribeTimeToLive. */
struct dynamo_call *dynamo_describe_ttl(struct upstream *u,
    const char *table, dynamo_cb *cb, void *arg);
/* ListTables, every page. */
struct dynamo_call *dynamo_list(struct upstream *u, dynamo_cb *cb,
    void *arg);
/* ListTagsOfResource, every page. */
struct dynamo_call *dynamo_list_tags(struct upstream *u, const char *arn,
    dynamo_cb *cb, void *arg);
/* TagResource; tags (an array of {Key, Value}) consumed. */
struct dynamo_call *dynamo_tag(struct upstream *u, const char *arn,
    json_t *tags, dynamo_cb *cb, void *arg);
/* Scan of one segment projecting only the key attributes (escaped
 * through ExpressionAttributeNames: key names may be reserved words).
 * res.doc is the page: Items (a list of maps, checked) and
 * LastEvaluatedKey (a map, checked) when there is more. */
struct dynamo_scan {
	const char *table;	/* DynamoDB's name */
	const char *keys[2];	/* the key attributes: hash, then range */
	size_t n_keys;		/* 1 or 2 */
	unsigned segment, total; /* Segment, TotalSegments */
	unsigned limit;		/* Limit, 0: none */
	const json_t *start;	/* ExclusiveStartKey, or NULL; copied */
};
struct dynamo_call *dynamo_scan_keys(struct upstream *u,
    const struct dynamo_scan *sc, dynamo_cb *cb, void *arg);
/* BatchWriteItem of one DeleteRequest per key of keys (an array of at
 * most 25 key maps, consumed). res.doc is the reply: UnprocessedItems
 * (a map, checked) holds what DynamoDB did not do; the caller resends
 * it after a backoff. */
struct dynamo_call *dynamo_batch_delete(struct upstream *u,
    const char *table, json_t *keys, dynamo_cb *cb, void *arg);
/* UpdateTable; input: a checked UpdateTableInput with its TableName,
 * consumed. */
struct dynamo_call *dynamo_update(struct upstream *u, json_t *input,
    dynamo_cb *cb, void *arg);
/* UpdateTimeToLive; spec (TimeToLiveSpecification) consumed. */
struct dynamo_call *dynamo_update_ttl(struct upstream *u, const char *table,
    json_t *spec, dynamo_cb *cb, void *arg);
/* UntagResource; keys (an array of strings) consumed. */
struct dynamo_call *dynamo_untag(struct upstream *u, const char *arn,
    json_t *keys, dynamo_cb *cb, void *arg);
/* DescribeContinuousBackups. */
struct dynamo_call *dynamo_describe_backups(struct upstream *u,
    const char *table, dynamo_cb *cb, void *arg);
/* UpdateContinuousBackups; spec (PointInTimeRecoverySpecification)
 * consumed. */
struct dynamo_call *dynamo_update_backups(struct upstream *u,
    const char *table, json_t *spec, dynamo_cb *cb, void *arg);
/* Abandons a call: its callback will not fire. */
void dynamo_cancel(struct dynamo_call *c);

#endif /* DYNTABLED_DYNAMO_H */
