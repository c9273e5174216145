/* SPDX-License-Identifier: MIT */
/*
 * dynamo.c: DynamoDB's table operations, typed (see dynamo.h).
 *
 * Each call is one struct dynamo_call: it sends its operation through
 * the upstream pool (which signs and retries), checks the answer, asks
 * for the next page when there is one, and hands one dynamo_result to
 * its callback. The error mapping here is the only one: DynamoDB's error
 * type to a protocol code, and a message that says what happened (an
 * emulator's error without a message gets one naming the table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddb.h"
#include "dynamo.h"
#include "retry.h"
#include "upstream.h"

#define DYNAMO_TAG_PAGES_MAX 16 /* a table has at most 50 tags */

enum dynamo_kind {
	DYNAMO_DESCRIBE,
	DYNAMO_CREATE,
	DYNAMO_DELETE,
	DYNAMO_LIST,
	DYNAMO_LIST_TAGS,
	DYNAMO_TAG,
	DYNAMO_DESCRIBE_TTL,
	DYNAMO_SCAN,
	DYNAMO_BATCH_WRITE,
	DYNAMO_UPDATE,
	DYNAMO_UPDATE_TTL,
	DYNAMO_UNTAG,
	DYNAMO_DESCRIBE_BACKUPS,
	DYNAMO_UPDATE_BACKUPS,
};

/* DynamoDB's operations, and the member of their reply the result
 * carries: a TableDescription (checked: ddb_check_table) in .table, any
 * other object in .doc; the pagers (list, list_tags) have code of their
 * own in dynamo_answered(). */
enum dynamo_member { DYNAMO_NONE, DYNAMO_TABLE, DYNAMO_DOC, DYNAMO_BODY };

static const struct {
	const char *op;		 /* DynamoDB's operation */
	const char *member;	 /* the reply's member the result carries */
	enum dynamo_member kind;
} dynamo_ops[] = {
	[DYNAMO_DESCRIBE] = { "DescribeTable", "Table", DYNAMO_TABLE },
	[DYNAMO_CREATE] = { "CreateTable", "TableDescription", DYNAMO_TABLE },
	[DYNAMO_DELETE] = { "DeleteTable", "TableDescription", DYNAMO_TABLE },
	[DYNAMO_LIST] = { "ListTables", NULL, DYNAMO_NONE },
	[DYNAMO_LIST_TAGS] = { "ListTagsOfResource", NULL, DYNAMO_NONE },
	[DYNAMO_TAG] = { "TagResource", NULL, DYNAMO_NONE },
	[DYNAMO_DESCRIBE_TTL] = { "DescribeTimeToLive",
	    "TimeToLiveDescription", DYNAMO_DOC },
	/* The data calls of truncate: the whole reply, checked by
	 * dynamo_check_body(). */
	[DYNAMO_SCAN] = { "Scan", NULL, DYNAMO_BODY },
	[DYNAMO_BATCH_WRITE] = { "BatchWriteItem", NULL, DYNAMO_BODY },
	[DYNAMO_UPDATE] = { "UpdateTable", "TableDescription", DYNAMO_TABLE },
	[DYNAMO_UPDATE_TTL] = { "UpdateTimeToLive", "TimeToLiveSpecification",
	    DYNAMO_DOC },
	[DYNAMO_UNTAG] = { "UntagResource", NULL, DYNAMO_NONE },
	[DYNAMO_DESCRIBE_BACKUPS] = { "DescribeContinuousBackups",
	    "ContinuousBackupsDescription", DYNAMO_DOC },
	[DYNAMO_UPDATE_BACKUPS] = { "UpdateContinuousBackups",
	    "ContinuousBackupsDescription", DYNAMO_DOC },
};

struct dynamo_call {
	struct upstream *u;
	enum dynamo_kind kind;
	char table[256];	/* DynamoDB's name, for messages; or "" */
	char *arn;		/* list_tags: the resource */
	dynamo_cb *cb;
	void *arg;
	struct upcall *uc;	/* the page in flight */
	json_t *acc;		/* list, list_tags: what the pages gave */
	struct ddb_pager pager;	/* list */
	char *next_token;	/* list_tags: the NextToken sent last */
	unsigned pages;		/* list_tags: pages read */
	char msg[512];		/* the result's message */
};

static void dynamo_answered(void *arg, const upstream_reply *ur);

static void
dynamo_free(struct dynamo_call *c)
{
	if (c->uc != NULL)
		upstream_cancel(c->uc);
	json_decref(c->acc);
	free(c->arn);
	free(c->next_token);
	free(c);
}

void
dynamo_cancel(struct dynamo_call *c)
{
	dynamo_free(c);
}

/* Sends c's operation with body (consumed); false when out of memory. */
static bool
dynamo_send(struct dynamo_call *c, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	c->uc = text != NULL ? upstream_call(c->u, dynamo_ops[c->kind].op,
	    text, dynamo_answered, c) : NULL;
	free(text);
	return c->uc != NULL;
}

/* A new call of kind for cb, sending body (consumed); NULL when out of
 * memory. */
static struct dynamo_call *
dynamo_start(struct upstream *u, enum dynamo_kind kind, const char *table,
    json_t *body, dynamo_cb *cb, void *arg)
{
	struct dynamo_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		json_decref(body);
		return NULL;
	}
	c->u = u;
	c->kind = kind;
	c->cb = cb;
	c->arg = arg;
	snprintf(c->table, sizeof(c->table), "%s", table != NULL ? table : "");
	if (kind == DYNAMO_LIST || kind == DYNAMO_LIST_TAGS) {
		ddb_pager_init(&c->pager, time(NULL));
		if ((c->acc = json_array()) == NULL) {
			json_decref(body);
			free(c);
			return NULL;
		}
	}
	if (body == NULL || !dynamo_send(c, body)) {
		dynamo_free(c);
		return NULL;
	}
	return c;
}

/* Hands res to the callback and frees c. */
static void
dynamo_deliver(struct dynamo_call *c, dynamo_result *res)
{
	c->uc = NULL;
	c->cb(c->arg, res);
	dynamo_free(c);
}

/* A failed call: the upstream reply's error, mapped. */
static void
dynamo_fail_reply(struct dynamo_call *c, const upstream_reply *ur)
{
	const char *msg = ur->message != NULL ? ur->message : "no message";
	dynamo_result res = { .aws_type = ur->aws_type, .message = c->msg };

	if (ur->transport_error) {
		res.err = DTP_E_UPSTREAM;
		res.transient = true;
		snprintf(c->msg, sizeof(c->msg), "DynamoDB endpoint: %s (after "
		    "%u attempts)", msg, ur->attempts);
	} else if (ur->no_credentials) {
		res.err = DTP_E_CREDENTIALS;
		snprintf(c->msg, sizeof(c->msg), "%s", msg);
	} else if (ur->aws_type == NULL) {
		res.err = DTP_E_UPSTREAM;
		res.transient = true;
		snprintf(c->msg, sizeof(c->msg), "DynamoDB answered HTTP %ld: "
		    "%s", ur->http_status, msg);
	} else {
		res.err = ddb_error_code(ur->aws_type);
		res.transient = retry_classify(false, ur->http_status,
		    ur->aws_type) != RETRY_NO;
		/* Emulators send types without messages: say which table. */
		if (strncmp(msg, UPSTREAM_NO_MESSAGE,
		    strlen(UPSTREAM_NO_MESSAGE)) == 0 && c->table[0] != '\0' &&
		    res.err != DTP_E_AWS)
			snprintf(c->msg, sizeof(c->msg), res.err ==
			    DTP_E_IN_USE ? "table %s is in use: it exists "
			    "already, or is being created or deleted" :
			    "table %s not found", c->table);
		else
			snprintf(c->msg, sizeof(c->msg), "%s", msg);
	}
	dynamo_deliver(c, &res);
}

/* A reply that came back but cannot be used: an upstream error that may
 * pass (the endpoint may recover). */
static void
dynamo_fail_malformed(struct dynamo_call *c, const char *why)
{
	dynamo_result res = { .err = DTP_E_UPSTREAM, .message = c->msg,
		.transient = true };

	snprintf(c->msg, sizeof(c->msg), "malformed %s reply: %s",
	    dynamo_ops[c->kind].op, why);
	dynamo_deliver(c, &res);
}

/* list_tags: keeps a page's tags; true when another page was asked for. */
static bool
dynamo_tags_page(struct dynamo_call *c, const json_t *body, char *err,
    size_t errlen)
{
	const json_t *tags = json_object_get(body, "Tags");
	const char *next = json_string_value(json_object_get(body,
	    "NextToken"));

	if (tags != NULL && (!json_is_array(tags) ||
	    json_array_extend(c->acc, (json_t *)tags) != 0)) {
		snprintf(err, errlen, "Tags is not a list");
		return false;
	}
	if (next == NULL)
		return false;
	/* Bounded like every pager: a token that repeats, or too many
	 * pages, is an error. */
	if (++c->pages >= DYNAMO_TAG_PAGES_MAX ||
	    (c->next_token != NULL && strcmp(c->next_token, next) == 0)) {
		snprintf(err, errlen, "its pages do not end");
		return false;
	}
	free(c->next_token);
	if ((c->next_token = strdup(next)) == NULL ||
	    !dynamo_send(c, json_pack("{s:s,s:s}", "ResourceArn", c->arn,
	    "NextToken", next))) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	return true;
}

/* Scan, BatchWriteItem: the members their callers read have the types
 * DynamoDB gives them; err set otherwise. */
static void
dynamo_check_body(enum dynamo_kind kind, const json_t *body, char *err,
    size_t errlen)
{
	const json_t *items = json_object_get(body, "Items");
	const json_t *last = json_object_get(body, "LastEvaluatedKey");
	const json_t *unp = json_object_get(body, "UnprocessedItems");
	const json_t *v;
	size_t i;

	if (kind == DYNAMO_BATCH_WRITE) {
		if (unp != NULL && !json_is_object(unp))
			snprintf(err, errlen, "UnprocessedItems is not a map");
		return;
	}
	if (!json_is_array(items)) {
		snprintf(err, errlen, "no Items list");
		return;
	}
	json_array_foreach(items, i, v) {
		if (!json_is_object(v)) {
			snprintf(err, errlen, "Items[%zu] is not a map", i);
			return;
		}
	}
	if (last != NULL && !json_is_object(last))
		snprintf(err, errlen, "LastEvaluatedKey is not a map");
}

static void
dynamo_answered(void *arg, const upstream_reply *ur)
{
	struct dynamo_call *c = arg;
	const char *member = dynamo_ops[c->kind].member;
	dynamo_result res = { .err = DTP_OK };
	char err[192] = "";
	int more;

	c->uc = NULL;
	if (ur->transport_error || ur->http_status != 200 ||
	    ur->aws_type != NULL || ur->body == NULL) {
		dynamo_fail_reply(c, ur);
		return;
	}
	switch (c->kind) {
	case DYNAMO_LIST:
		more = ddb_pager_next(&c->pager, ur->body, c->acc, time(NULL),
		    err, sizeof(err));
		if (more > 0) {
			if (!dynamo_send(c, json_pack("{s:s}",
			    "ExclusiveStartTableName", c->pager.last)))
				snprintf(err, sizeof(err), "out of memory");
			else
				return;
		}
		res.names = c->acc;
		break;
	case DYNAMO_LIST_TAGS:
		if (dynamo_tags_page(c, ur->body, err, sizeof(err)))
			return;
		res.tags = c->acc;
		break;
	default:
		if (dynamo_ops[c->kind].kind == DYNAMO_NONE)
			break;
		if (dynamo_ops[c->kind].kind == DYNAMO_BODY) {
			res.doc = ur->body;
			dynamo_check_body(c->kind, ur->body, err, sizeof(err));
			break;
		}
		if (!json_is_object(json_object_get(ur->body, member))) {
			snprintf(err, sizeof(err), "no %s object", member);
			break;
		}
		if (dynamo_ops[c->kind].kind == DYNAMO_DOC) {
			res.doc = json_object_get(ur->body, member);
			break;
		}
		res.table = json_object_get(ur->body, member);
		ddb_check_table(res.table, err, sizeof(err));
		break;
	}
	if (err[0] != '\0') {
		dynamo_fail_malformed(c, err);
		return;
	}
	dynamo_deliver(c, &res);
}

/* ---- the operations ------------------------------------------------------ */

struct dynamo_call *
dynamo_describe(struct upstream *u, const char *table, dynamo_cb *cb,
    void *arg)
{
	return dynamo_start(u, DYNAMO_DESCRIBE, table,
	    json_pack("{s:s}", "TableName", table), cb, arg);
}

struct dynamo_call *
dynamo_create(struct upstream *u, json_t *input, dynamo_cb *cb, void *arg)
{
	return dynamo_start(u, DYNAMO_CREATE,
	    json_string_value(json_object_get(input, "TableName")), input, cb,
	    arg);
}

struct dynamo_call *
dynamo_delete(struct upstream *u, const char *table, dynamo_cb *cb,
    void *arg)
{
	return dynamo_start(u, DYNAMO_DELETE, table,
	    json_pack("{s:s}", "TableName", table), cb, arg);
}

struct dynamo_call *
dynamo_describe_ttl(struct upstream *u, const char *table, dynamo_cb *cb,
    void *arg)
{
	return dynamo_start(u, DYNAMO_DESCRIBE_TTL, table,
	    json_pack("{s:s}", "TableName", table), cb, arg);
}

struct dynamo_call *
dynamo_list(struct upstream *u, dynamo_cb *cb, void *arg)
{
	return dynamo_start(u, DYNAMO_LIST, NULL, json_object(), cb, arg);
}

struct dynamo_call *
dynamo_list_tags(struct upstream *u, const char *arn, dynamo_cb *cb,
    void *arg)
{
	struct dynamo_call *c = dynamo_start(u, DYNAMO_LIST_TAGS, NULL,
	    json_pack("{s:s}", "ResourceArn", arn), cb, arg);

	if (c != NULL && (c->arn = strdup(arn)) == NULL) {
		dynamo_free(c);
		return NULL;
	}
	return c;
}

struct dynamo_call *
dynamo_tag(struct upstream *u, const char *arn, json_t *tags, dynamo_cb *cb,
    void *arg)
{
	return dynamo_start(u, DYNAMO_TAG, NULL, tags != NULL ?
	    json_pack("{s:s,s:o}", "ResourceArn", arn, "Tags", tags) : NULL,
	    cb, arg);
}

struct dynamo_call *
dynamo_scan_keys(struct upstream *u, const struct dynamo_scan *sc,
    dynamo_cb *cb, void *arg)
{
	json_t *body = json_pack("{s:s,s:i,s:i,s:o,s:s}", "TableName", sc->table,
	    "Segment", (json_int_t)sc->segment, "TotalSegments",
	    (json_int_t)sc->total, "ExpressionAttributeNames", json_object(),
	    "ProjectionExpression", sc->n_keys > 1 ? "#k0, #k1" : "#k0");
	json_t *names = json_object_get(body, "ExpressionAttributeNames");

	/* Key names may be reserved words ("name", "size"): always
	 * placeholders. */
	for (size_t i = 0; body != NULL && i < sc->n_keys && i < 2; i++)
		if (json_object_set_new(names, i == 0 ? "#k0" : "#k1",
		    json_string(sc->keys[i])) != 0) {
			json_decref(body);
			body = NULL;
		}
	if (body != NULL && sc->limit != 0 && json_object_set_new(body,
	    "Limit", json_integer((json_int_t)sc->limit)) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body != NULL && sc->start != NULL && json_object_set_new(body,
	    "ExclusiveStartKey", json_deep_copy(sc->start)) != 0) {
		json_decref(body);
		body = NULL;
	}
	return dynamo_start(u, DYNAMO_SCAN, sc->table, body, cb, arg);
}

struct dynamo_call *
dynamo_batch_delete(struct upstream *u, const char *table, json_t *keys,
    dynamo_cb *cb, void *arg)
{
	json_t *reqs = json_array(), *body = NULL, *k;
	size_t i;

	if (reqs == NULL || keys == NULL)
		goto out;
	json_array_foreach(keys, i, k) {
		if (json_array_append_new(reqs, json_pack("{s:{s:O}}",
		    "DeleteRequest", "Key", k)) != 0)
			goto out;
	}
	body = json_pack("{s:{s:O}}", "RequestItems", table, reqs);
out:
	json_decref(reqs);
	json_decref(keys);
	return dynamo_start(u, DYNAMO_BATCH_WRITE, table, body, cb, arg);
}

struct dynamo_call *
dynamo_update(struct upstream *u, json_t *input, dynamo_cb *cb, void *arg)
{
	return dynamo_start(u, DYNAMO_UPDATE,
	    json_string_value(json_object_get(input, "TableName")), input, cb,
	    arg);
}

struct dynamo_call *
dynamo_update_ttl(struct upstream *u, const char *table, json_t *spec,
    dynamo_cb *cb, void *arg)
{
	return dynamo_start(u, DYNAMO_UPDATE_TTL, table, spec != NULL ?
	    json_pack("{s:s,s:o}", "TableName", table,
	    "TimeToLiveSpecification", spec) : NULL, cb, arg);
}

struct dynamo_call *
dynamo_untag(struct upstream *u, const char *arn, json_t *keys,
    dynamo_cb *cb, void *arg)
{
	return dynamo_start(u, DYNAMO_UNTAG, NULL, keys != NULL ?
	    json_pack("{s:s,s:o}", "ResourceArn", arn, "TagKeys", keys) : NULL,
	    cb, arg);
}

struct dynamo_call *
dynamo_describe_backups(struct upstream *u, const char *table,
    dynamo_cb *cb, void *arg)
{
	return dynamo_start(u, DYNAMO_DESCRIBE_BACKUPS, table,
	    json_pack("{s:s}", "TableName", table), cb, arg);
}

struct dynamo_call *
dynamo_update_backups(struct upstream *u, const char *table, json_t *spec,
    dynamo_cb *cb, void *arg)
{
	return dynamo_start(u, DYNAMO_UPDATE_BACKUPS, table, spec != NULL ?
	    json_pack("{s:s,s:o}", "TableName", table,
	    "PointInTimeRecoverySpecification", spec) : NULL, cb, arg);
}
