/* SPDX-License-Identifier: MIT */
/*
 * dyntablectl: output. print_result() is the one place that prints an
 * answer or its error and picks the exit code; usage_error() says what is
 * wrong with a command line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dyntable.h"


#include "dyntablectl.h"

/* ---- output ------------------------------------------------------------ */

void
put_oneline(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

/*
 * The one error line of a failed request:
 * "dyntablectl: VERB [TABLE]: TYPE: message", TYPE being DynamoDB's error
 * type when it gave one, else the status name.
 */
void
print_error(const struct ctl *ctl, const char *type, const char *msg)
{
	fprintf(stderr, PROG ": %s%s%s: %s", ctl->verb->name,
	    ctl->table ? " " : "", ctl->table ? ctl->table : "", type);
	if (msg != NULL && *msg != '\0') {
		fputs(": ", stderr);
		put_oneline(stderr, msg);
	}
	fputc('\n', stderr);
}

int
status_exit(dyntable_status st)
{
	switch (st) {
	case DYNTABLE_OK:
		return CTL_OK;
	case DYNTABLE_ERR_IO:
	case DYNTABLE_ERR_DISCONNECTED:
	case DYNTABLE_ERR_VERSION:
		return CTL_UNREACHABLE;
	case DYNTABLE_ERR_TIMEOUT:
		return CTL_TIMEOUT;
	default:
		return CTL_FAILED;
	}
}

/*
 * The fewest significant digits (up to 17) that print v back exactly,
 * written without an exponent where Python's repr() writes none: the AWS
 * CLI prints 1700000000.123, where "%.17g" gives 1700000000.1229999.
 */
static int
real_digits(double v)
{
	double a = v < 0 ? -v : v;
	bool fixed = a >= 1e-4 && a < 1e16;
	char buf[40];

	for (int p = 1; p < 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, v);
		if (strtod(buf, NULL) == v && !(fixed && strchr(buf, 'e')))
			return p;
	}
	return 17;
}

/* The precision that prints every real in j exactly (jansson has one). */
static int
json_digits(json_t *j)
{
	json_t *v;
	size_t i;
	int d = 1, dv;

	switch (json_typeof(j)) {
	case JSON_REAL:
		return real_digits(json_real_value(j));
	case JSON_OBJECT:
		for (void *it = json_object_iter(j); it != NULL;
		    it = json_object_iter_next(j, it))
			if ((dv = json_digits(json_object_iter_value(it))) > d)
				d = dv;
		return d;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			if ((dv = json_digits(v)) > d)
				d = dv;
		return d;
	default:
		return d;
	}
}

/* j indented like the AWS CLI prints it, or NULL when out of memory. */
char *
pretty(json_t *j)
{
	return json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(json_digits(j)));
}

/*
 * Prints {key: value} as the AWS CLI does, and takes value's reference. A
 * NULL value (an allocation that failed) is reported as such.
 */
static int
print_json(const struct ctl *ctl, const char *key, json_t *value)
{
	json_t *top = json_object();
	char *s = NULL;

	if (top != NULL && value != NULL && json_object_set_new(top, key,
	    value) == 0) {
		value = NULL;
		s = pretty(top);
	}
	json_decref(value);
	json_decref(top);
	if (s == NULL) {
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_NOMEM),
		    "cannot build the JSON output");
		return CTL_FAILED;
	}
	printf("%s\n", s);
	free(s);
	return CTL_OK;
}

/* A TableDescription (compact JSON from the library; NULL: it ran out of
 * memory) under key. */
static int
print_table_json(const struct ctl *ctl, const char *key, const char *doc)
{
	json_error_t jerr;
	json_t *desc;
	char msg[sizeof jerr.text + 64];

	if (doc == NULL) {
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_NOMEM),
		    "out of memory");
		return CTL_FAILED;
	}
	desc = json_loads(doc, JSON_REJECT_DUPLICATES, &jerr);
	if (desc == NULL) {
		snprintf(msg, sizeof msg, "cannot parse the table description: "
		    "%s", jerr.text);
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_PROTOCOL),
		    msg);
		return CTL_FAILED;
	}
	return print_json(ctl, key, desc);
}

static int
print_list(const struct ctl *ctl, const dyntable_result *r)
{
	json_t *names;

	if (!(ctl->seen & O_JSON)) {
		for (size_t i = 0; i < r->n_tables; i++)
			printf("%s\n", r->tables[i]);
		return CTL_OK;
	}
	if ((names = json_array()) == NULL)
		return print_json(ctl, "TableNames", NULL);
	for (size_t i = 0; i < r->n_tables; i++)
		if (json_array_append_new(names,
		    json_string(r->tables[i])) != 0) {
			json_decref(names);
			return print_json(ctl, "TableNames", NULL);
		}
	return print_json(ctl, "TableNames", names);
}

/* reap: the tables deleted, one a line, and a summary on stderr; or as
 * JSON {"Deleted": [...], "Checked": n, "Errors": n}. */
static int
print_reap(const struct ctl *ctl, const dyntable_result *r)
{
	json_t *names, *top;

	if (!(ctl->seen & O_JSON)) {
		for (size_t i = 0; i < r->n_tables; i++)
			printf("%s\n", r->tables[i]);
		fprintf(stderr, PROG ": reap: %u tables checked, %zu expired "
		    "deleted, %u errors\n", r->reap_checked, r->n_tables,
		    r->reap_errors);
		return r->reap_errors != 0 ? CTL_FAILED : CTL_OK;
	}
	names = must(json_array());
	for (size_t i = 0; i < r->n_tables; i++)
		push(names, json_string(r->tables[i]));
	top = must(json_object());
	put(top, "Deleted", names);
	put(top, "Checked", json_integer(r->reap_checked));
	put(top, "Errors", json_integer(r->reap_errors));
	{
		char *s = pretty(top);

		json_decref(top);
		if (s == NULL)
			oom();
		printf("%s\n", s);
		free(s);
	}
	return r->reap_errors != 0 ? CTL_FAILED : CTL_OK;
}

/* Prints one status member as "path: value"; times (seconds since the
 * epoch, in members named expires/obtained) also in UTC. */
static void
print_status_value(const char *path, const char *key, const json_t *v)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *sub;

		json_object_foreach((json_t *)v, k, sub) {
			char p[128];

			snprintf(p, sizeof(p), "%s.%s", path, k);
			print_status_value(p, k, sub);
		}
		return;
	}
	if (json_is_integer(v) && (strcmp(key, "expires") == 0 ||
	    strcmp(key, "obtained") == 0)) {
		time_t t = (time_t)json_integer_value(v);
		struct tm tm;
		char when[32] = "never";

		if (t != 0 && gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%-28s %s\n", path, when);
	} else if (json_is_string(v)) {
		printf("%-28s %s\n", path, json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		printf("%-28s %s\n", path, s != NULL ? s : "?");
		free(s);
	}
}

/* Prints top (consumed, NULL: out of memory) as indented JSON. */
static int
print_json_top(json_t *top)
{
	char *s;

	if (top == NULL)
		oom();
	s = pretty(top);
	json_decref(top);
	if (s == NULL)
		oom();
	printf("%s\n", s);
	free(s);
	return CTL_OK;
}

/* lease: the table's name (the one for its items), or JSON. */
static int
print_lease(const struct ctl *ctl, const dyntable_result *r)
{
	if (ctl->seen & O_JSON)
		return print_json_top(json_pack("{s:s?,s:s?,s:s?,s:b}",
		    "TableName", r->leased, "Name", ctl->logical, "Pool",
		    r->pool, "Fresh", r->fresh));
	printf("%s\n", r->leased != NULL ? r->leased : "?");
	return CTL_OK;
}

/* pools: one line a pool, or the daemon's JSON. */
static int
print_pools(const struct ctl *ctl, const dyntable_result *r)
{
	json_t *j = r->pools_json != NULL ? json_loads(r->pools_json, 0,
	    NULL) : NULL, *p;
	size_t i;

	if (!json_is_object(j)) {
		json_decref(j);
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_PROTOCOL),
		    "the answer carries no pools");
		return CTL_FAILED;
	}
	if (ctl->seen & O_JSON)
		return print_json_top(j);
	printf("%-24s %-16s %5s %6s %8s %9s %8s %8s %8s\n", "POOL",
	    "DEFINITION", "READY", "LEASED", "CREATING", "RECYCLING",
	    "RECYCLED", "REPLACED", "FAILURES");
	json_array_foreach(json_object_get(j, "pools"), i, p)
		printf("%-24s %-16s %5lld %6lld %8lld %9lld %8lld %8lld "
		    "%8lld\n",
		    json_string_value(json_object_get(p, "pool")),
		    json_string_value(json_object_get(p, "hash")),
		    json_integer_value(json_object_get(p, "ready")),
		    json_integer_value(json_object_get(p, "leased")),
		    json_integer_value(json_object_get(p, "creating")),
		    json_integer_value(json_object_get(p, "recycling")),
		    json_integer_value(json_object_get(p, "recycled")),
		    json_integer_value(json_object_get(p, "replaced")),
		    json_integer_value(json_object_get(p, "failures")));
	printf("%lld pool tables of at most %lld, %lld leased\n",
	    json_integer_value(json_object_get(j, "tables")),
	    json_integer_value(json_object_get(j, "max_tables")),
	    json_integer_value(json_object_get(j, "leased")));
	json_decref(j);
	return CTL_OK;
}

/* truncate: how many items went, and how long it took. */
static int
print_truncate(const struct ctl *ctl, const dyntable_result *r)
{
	if (!(ctl->seen & O_JSON)) {
		printf("%s truncated: %llu items deleted in %llu ms\n",
		    ctl->table, r->deleted, r->elapsed_ms);
		return CTL_OK;
	}
	return print_json_top(json_pack("{s:I,s:I}", "Deleted",
	    (json_int_t)r->deleted, "ElapsedMs", (json_int_t)r->elapsed_ms));
}

/* status: the daemon's state, one "name: value" a line, or its JSON. */
static int
print_status(const struct ctl *ctl, const dyntable_result *r)
{
	json_t *j = r->status_json != NULL ?
	    json_loads(r->status_json, JSON_DECODE_ANY, NULL) : NULL;
	const char *key;
	json_t *v;

	if (!json_is_object(j)) {
		json_decref(j);
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_PROTOCOL),
		    "the answer carries no status");
		return CTL_FAILED;
	}
	if (ctl->seen & O_JSON) {
		char *s = pretty(j);

		json_decref(j);
		if (s == NULL)
			oom();
		printf("%s\n", s);
		free(s);
		return CTL_OK;
	}
	json_object_foreach(j, key, v)
		print_status_value(key, key, v);
	json_decref(j);
	return CTL_OK;
}

static void print_field(const char *label, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
print_field(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-15s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static char
type_char(dyntable_type t)
{
	if (t == DYNTABLE_S || t == DYNTABLE_N || t == DYNTABLE_B)
		return (char)t;
	return '?';
}

/* An index from the parsed fields alone: its first key attributes. */
static void
print_index(const char *label, const dyntable_index *ix)
{
	printf("%-15s %s: %s (%c)", label, ix->name ? ix->name : "?",
	    ix->partition_key.name ? ix->partition_key.name : "?",
	    type_char(ix->partition_key.type));
	if (ix->sort_key.name != NULL)
		printf(", %s (%c)", ix->sort_key.name,
		    type_char(ix->sort_key.type));
	if (ix->projection != NULL)
		printf("; projection %s", ix->projection);
	if (ix->status != NULL)
		printf("; %s", ix->status);
	putchar('\n');
}

/* The type of a key attribute from desc's AttributeDefinitions. */
static char
desc_attr_type(const json_t *desc, const char *name)
{
	const json_t *d;
	const char *t;
	size_t i;

	json_array_foreach(json_object_get(desc, "AttributeDefinitions"), i,
	    d) {
		t = json_string_value(json_object_get(d, "AttributeName"));
		if (t != NULL && strcmp(t, name) == 0) {
			t = json_string_value(json_object_get(d,
			    "AttributeType"));
			if (t != NULL && strlen(t) == 1)
				return *t;
			return '?';
		}
	}
	return '?';
}

/* Prints the elements of KeySchema ks of type kt: "a (S) + b (N)". */
static bool
print_key_elems(const json_t *desc, const json_t *ks, const char *kt,
    const char *before)
{
	const json_t *e;
	const char *name, *type;
	bool any = false;
	size_t i;

	json_array_foreach(ks, i, e) {
		name = json_string_value(json_object_get(e, "AttributeName"));
		type = json_string_value(json_object_get(e, "KeyType"));
		if (name == NULL || type == NULL || strcmp(type, kt) != 0)
			continue;
		printf("%s%s (%c)", any ? " + " : before, name,
		    desc_attr_type(desc, name));
		any = true;
	}
	return any;
}

/* The entry of desc[list] named name, or NULL. */
static const json_t *
desc_index(const json_t *desc, const char *list, const char *name)
{
	const json_t *ix;
	const char *n;
	size_t i;

	if (name == NULL)
		return NULL;
	json_array_foreach(json_object_get(desc, list), i, ix) {
		n = json_string_value(json_object_get(ix, "IndexName"));
		if (n != NULL && strcmp(n, name) == 0)
			return ix;
	}
	return NULL;
}

/*
 * An index with every key attribute, the projection (and its attributes)
 * and any provisioned capacity, from the TableDescription; from the
 * parsed fields when the description lacks it.
 */
static void
print_index_desc(const char *label, const dyntable_index *ix,
    const json_t *desc, const char *list)
{
	const json_t *d = desc_index(desc, list, ix->name), *ks, *p, *a, *pt;
	long long r, w;
	size_t i;

	if (d == NULL || !json_is_array(ks = json_object_get(d, "KeySchema"))) {
		print_index(label, ix);
		return;
	}
	printf("%-15s %s:", label, ix->name);
	print_key_elems(desc, ks, "HASH", " ");
	print_key_elems(desc, ks, "RANGE", ", ");
	p = json_object_get(d, "Projection");
	if (json_is_string(json_object_get(p, "ProjectionType"))) {
		printf("; projection %s", json_string_value(
		    json_object_get(p, "ProjectionType")));
		json_array_foreach(json_object_get(p, "NonKeyAttributes"), i,
		    a)
			printf("%s%s", i == 0 ? " (" : ", ",
			    json_is_string(a) ? json_string_value(a) : "?");
		if (json_array_size(json_object_get(p, "NonKeyAttributes")) > 0)
			putchar(')');
	}
	pt = json_object_get(d, "ProvisionedThroughput");
	r = json_integer_value(json_object_get(pt, "ReadCapacityUnits"));
	w = json_integer_value(json_object_get(pt, "WriteCapacityUnits"));
	if (r > 0 || w > 0)
		printf("; %lld read, %lld write", r, w);
	if (ix->status != NULL)
		printf("; %s", ix->status);
	putchar('\n');
}

/* The human summary of a table (create, describe). */
static void
print_table(const dyntable_table *t)
{
	/* DynamoDB omits BillingModeSummary for provisioned tables. */
	const char *billing = t->billing_mode ? t->billing_mode : "PROVISIONED";
	/* The indexes' details are only in the whole description. */
	const char *text = t->n_gsi + t->n_lsi > 0 ? dyntable_table_json(t) :
	    NULL;
	json_t *desc = text ? json_loads(text, 0, NULL) : NULL;
	time_t when = (time_t)t->creation_time;
	struct tm tm;
	char created[32];

	print_field("Table:", "%s", t->name ? t->name : "?");
	print_field("Status:", "%s", t->status ? t->status : "?");
	print_field("Partition key:", "%s (%c)",
	    t->partition_key.name ? t->partition_key.name : "?",
	    type_char(t->partition_key.type));
	if (t->sort_key.name != NULL)
		print_field("Sort key:", "%s (%c)", t->sort_key.name,
		    type_char(t->sort_key.type));
	print_field("Billing mode:", "%s", billing);
	if (strcmp(billing, "PROVISIONED") == 0 || t->read_capacity > 0 ||
	    t->write_capacity > 0)
		print_field("Capacity:", "%lld read, %lld write",
		    t->read_capacity, t->write_capacity);
	if (t->table_class != NULL)
		print_field("Table class:", "%s", t->table_class);
	if (t->stream_view_type != NULL)
		print_field("Stream:", "%s", t->stream_view_type);
	if (t->sse_status != NULL || t->sse_type != NULL ||
	    t->kms_key_arn != NULL)
		print_field("Encryption:", "%s%s%s%s%s",
		    t->sse_status ? t->sse_status : "?",
		    t->sse_type ? ", " : "", t->sse_type ? t->sse_type : "",
		    t->kms_key_arn ? ", key " : "",
		    t->kms_key_arn ? t->kms_key_arn : "");
	if (t->deletion_protection)
		print_field("Protection:", "deletion protection enabled");
	if (t->n_gsi == 0 && t->n_lsi == 0)
		print_field("Indexes:", "none");
	for (size_t i = 0; i < t->n_gsi; i++)
		print_index_desc("Global index:", &t->gsi[i], desc,
		    "GlobalSecondaryIndexes");
	for (size_t i = 0; i < t->n_lsi; i++)
		print_index_desc("Local index:", &t->lsi[i], desc,
		    "LocalSecondaryIndexes");
	print_field("Items:", "%lld (%lld bytes)", t->item_count,
	    t->size_bytes);
	if (t->creation_time > 0 && gmtime_r(&when, &tm) != NULL &&
	    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		print_field("Created:", "%s", created);
	print_field("ARN:", "%s", t->arn ? t->arn : "?");
	json_decref(desc);
}

/*
 * --json for the answers the AWS CLI has no shape for (every verb takes
 * --json: parse_verb adds it). An op without a case here (a verb added
 * later) still prints valid JSON: its table description if it carries
 * one, else what it was about and that it succeeded. Returns the exit
 * code, or CTL_CONTINUE for the answers print_ok() prints as JSON itself.
 */
static int
print_ok_json(const struct ctl *ctl, const dyntable_result *r)
{
	json_t *top = must(json_object());
	char *s;
	int rc = CTL_OK;

	switch (r->op) {
	case DYNTABLE_OP_TABLE_EXISTS:
		put(top, "TableName", json_string(ctl->table));
		put(top, "Exists", json_boolean(r->exists));
		if (r->exists && r->table_status != NULL)
			put(top, "TableStatus", json_string(r->table_status));
		rc = r->exists ? CTL_OK : CTL_ABSENT;
		break;
	case DYNTABLE_OP_WAIT_TABLE_DELETED:
		put(top, "TableName", json_string(ctl->table));
		put(top, "Deleted", json_true());
		break;
	case DYNTABLE_OP_METRICS:
		put(top, "Metrics", json_string(r->metrics_text ?
		    r->metrics_text : ""));
		break;
	case DYNTABLE_OP_LIST_TABLES:
	case DYNTABLE_OP_REAP:
	case DYNTABLE_OP_STATUS:
	case DYNTABLE_OP_CREATE_TABLE:
	case DYNTABLE_OP_DESCRIBE_TABLE:
	case DYNTABLE_OP_DELETE_TABLE:
	case DYNTABLE_OP_TRUNCATE_TABLE:
	case DYNTABLE_OP_LEASE_TABLE:
	case DYNTABLE_OP_RELEASE_TABLE:
	case DYNTABLE_OP_POOLS:
	case DYNTABLE_OP_UPDATE_TABLE:
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE:
	case DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE:
	case DYNTABLE_OP_LIST_TAGS_OF_RESOURCE:
	case DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS:
	case DYNTABLE_OP_DESCRIBE_CONTINUOUS_BACKUPS:
		/* their own JSON shapes, in print_ok() */
		json_decref(top);
		return CTL_CONTINUE;
	case DYNTABLE_OP_WAIT_TABLE_ACTIVE:
	default:
		json_decref(top);
		if (r->table != NULL)
			return print_table_json(ctl, "Table",
			    dyntable_table_json(r->table));
		top = must(json_object());
		if (ctl->table != NULL)
			put(top, "TableName", json_string(ctl->table));
		put(top, "Ok", json_true());
		break;
	}
	if ((s = pretty(top)) == NULL)
		oom();
	json_decref(top);
	printf("%s\n", s);
	free(s);
	return rc;
}

/* The member of the AWS CLI's output that a TTL, tags or backups
 * answer is (`aws dynamodb describe-time-to-live` prints
 * {"TimeToLiveDescription": ...}, and so on). */
static const char *
doc_key(dyntable_op op)
{
	switch (op) {
	case DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE: return "TimeToLiveDescription";
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE: return "TimeToLiveSpecification";
	case DYNTABLE_OP_LIST_TAGS_OF_RESOURCE: return "Tags";
	default: return "ContinuousBackupsDescription";
	}
}

/* The human lines of a TTL, tags or backups document j (of op). */
static void
print_doc_text(dyntable_op op, const json_t *j)
{
	const json_t *v, *pitr;
	size_t i;

	switch (op) {
	case DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE:
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE:
		v = json_object_get(j, "AttributeName");
		print_field("TTL:", "%s%s%s%s", op ==
		    DYNTABLE_OP_UPDATE_TIME_TO_LIVE ? (json_is_true(
		    json_object_get(j, "Enabled")) ? "ENABLING" : "DISABLING") :
		    json_string_value(json_object_get(j, "TimeToLiveStatus")) ?
		    json_string_value(json_object_get(j, "TimeToLiveStatus")) :
		    "?", v ? " (attribute " : "", v ? json_string_value(v) : "",
		    v ? ")" : "");
		break;
	case DYNTABLE_OP_LIST_TAGS_OF_RESOURCE:
		if (json_array_size(j) == 0)
			print_field("Tags:", "none");
		json_array_foreach(j, i, v)
			print_field(i == 0 ? "Tags:" : "", "%s=%s",
			    json_string_value(json_object_get(v, "Key")),
			    json_string_value(json_object_get(v, "Value")));
		break;
	default:
		pitr = json_object_get(j, "PointInTimeRecoveryDescription");
		v = json_object_get(pitr, "RecoveryPeriodInDays");
		print_field("PITR:", "%s%s", json_string_value(json_object_get(
		    pitr, "PointInTimeRecoveryStatus")) ? json_string_value(
		    json_object_get(pitr, "PointInTimeRecoveryStatus")) : "?",
		    "");
		if (json_is_integer(v))
			print_field("PITR period:", "%lld days",
			    (long long)json_integer_value(v));
		break;
	}
}

/* A TTL, tags or backups answer, as text or as the AWS CLI's JSON. */
static int
print_doc(const struct ctl *ctl, const dyntable_result *r)
{
	json_t *j = r->json ? json_loads(r->json, JSON_DECODE_ANY, NULL) :
	    NULL;

	if (j == NULL) {
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_PROTOCOL),
		    "the answer carries no document");
		return CTL_FAILED;
	}
	if (ctl->seen & O_JSON)
		return print_json(ctl, doc_key(r->op), j);
	print_doc_text(r->op, j);
	json_decref(j);
	return CTL_OK;
}

int
print_describe_all(const struct ctl *ctl, dyntable_result *const rs[4])
{
	json_t *top = NULL, *j;
	char *s;
	int rc = CTL_OK;

	for (int i = 0; i < 4; i++)
		if (rs[i]->status != DYNTABLE_OK) {
			print_error(ctl, rs[i]->aws_type ? rs[i]->aws_type :
			    dyntable_status_name(rs[i]->status),
			    rs[i]->message ? rs[i]->message : "?");
			return status_exit(rs[i]->status);
		}
	if (!(ctl->seen & O_JSON)) {
		print_table(rs[0]->table);
		for (int i = 1; i < 4; i++) {
			j = json_loads(rs[i]->json, JSON_DECODE_ANY, NULL);
			print_doc_text(rs[i]->op, j);
			json_decref(j);
		}
		return CTL_OK;
	}
	/* {"Table", "TimeToLiveDescription", "Tags",
	 * "ContinuousBackupsDescription"}: the AWS CLI's four outputs. */
	top = must(json_object());
	put(top, "Table", must(json_loads(dyntable_table_json(rs[0]->table),
	    0, NULL)));
	for (int i = 1; i < 4; i++)
		put(top, doc_key(rs[i]->op), must(json_loads(rs[i]->json,
		    JSON_DECODE_ANY, NULL)));
	if ((s = pretty(top)) == NULL)
		oom();
	printf("%s\n", s);
	free(s);
	json_decref(top);
	return rc;
}

int
print_apply(const struct ctl *ctl, dyntable_status st, const char *report,
    const char *err)
{
	json_t *r = report ? json_loads(report, 0, NULL) : NULL;
	const json_t *t, *ch, *v;
	size_t i, j;
	char *s;
	int rc;

	if (r == NULL) {
		print_error(ctl, dyntable_status_name(st), err && *err ? err :
		    "no report");
		return status_exit(st);
	}
	rc = st != DYNTABLE_OK ? status_exit(st) :
	    json_integer_value(json_object_get(r, "drift")) > 0 ? CTL_DRIFT :
	    CTL_OK;
	if (ctl->seen & O_JSON) {
		if ((s = pretty(r)) == NULL)
			oom();
		printf("%s\n", s);
		free(s);
		json_decref(r);
		return rc;
	}
	json_array_foreach(json_object_get(r, "tables"), i, t) {
		const char *name = json_string_value(json_object_get(t,
		    "table"));
		const json_t *e = json_object_get(t, "error");

		printf("%s: %s%s\n", name ? name : "?", json_string_value(
		    json_object_get(t, "action")) ? json_string_value(
		    json_object_get(t, "action")) : "failed",
		    json_is_true(json_object_get(r, "plan")) ? " (plan)" : "");
		json_array_foreach(json_object_get(t, "changes"), j, ch) {
			char *have = json_dumps(json_object_get(ch, "have"),
			    JSON_COMPACT | JSON_ENCODE_ANY);
			char *want = json_dumps(json_object_get(ch, "want"),
			    JSON_COMPACT | JSON_ENCODE_ANY);

			printf("  change %s: %s -> %s\n", json_string_value(
			    json_object_get(ch, "field")), have ? have : "?",
			    want ? want : "?");
			free(have);
			free(want);
		}
		json_array_foreach(json_object_get(t, "drift"), j, ch)
			printf("  DRIFT %s: cannot change in place; delete and "
			    "recreate the table yourself if you mean it\n",
			    json_string_value(json_object_get(ch, "field")));
		if (e)
			printf("  FAILED: %s: %s\n", json_string_value(
			    json_object_get(e, "status")), json_string_value(
			    json_object_get(e, "message")));
	}
	json_array_foreach(json_object_get(r, "pruned"), i, v)
		printf("%s: %s\n", json_string_value(v),
		    json_is_true(json_object_get(r, "plan")) ?
		    "delete (plan)" : "deleted");
	json_array_foreach(json_object_get(r, "kept"), i, v)
		printf("%s: kept (%s)\n", json_string_value(json_object_get(v,
		    "table")), json_string_value(json_object_get(v, "why")));
	if (st != DYNTABLE_OK && err && *err)
		print_error(ctl, dyntable_status_name(st), err);
	json_decref(r);
	return rc;
}

/* A successful answer. */
static int
print_ok(const struct ctl *ctl, const dyntable_result *r)
{
	const dyntable_table *t = r->table;
	bool json = ctl->seen & O_JSON;
	int rc;

	if (json && (rc = print_ok_json(ctl, r)) != CTL_CONTINUE)
		return rc;
	switch (r->op) {
	case DYNTABLE_OP_TABLE_EXISTS:
		if (!r->exists) {
			printf("%s does not exist\n", ctl->table);
			return CTL_ABSENT;
		}
		printf("%s exists (%s)\n", ctl->table,
		    r->table_status ? r->table_status : "?");
		return CTL_OK;
	case DYNTABLE_OP_LIST_TABLES:
		return print_list(ctl, r);
	case DYNTABLE_OP_WAIT_TABLE_DELETED:
		printf("%s deleted\n", ctl->table);
		return CTL_OK;
	case DYNTABLE_OP_WAIT_TABLE_ACTIVE:
		printf("%s ACTIVE\n", ctl->table);
		return CTL_OK;
	case DYNTABLE_OP_REAP:
		return print_reap(ctl, r);
	case DYNTABLE_OP_STATUS:
		return print_status(ctl, r);
	case DYNTABLE_OP_METRICS:
		fputs(r->metrics_text != NULL ? r->metrics_text : "", stdout);
		return CTL_OK;
	case DYNTABLE_OP_TRUNCATE_TABLE:
		return print_truncate(ctl, r);
	case DYNTABLE_OP_LEASE_TABLE:
		return print_lease(ctl, r);
	case DYNTABLE_OP_RELEASE_TABLE:
		if (json)
			return print_json_top(json_pack("{s:s}", "Released",
			    r->leased != NULL ? r->leased : "?"));
		printf("%s released\n", r->leased != NULL ? r->leased : "?");
		return CTL_OK;
	case DYNTABLE_OP_POOLS:
		return print_pools(ctl, r);
	case DYNTABLE_OP_DELETE_TABLE:
		if (json)
			break;
		if (ctl->seen & O_WAIT)
			printf("%s deleted\n", ctl->table);
		else
			printf("%s %s\n", ctl->table,
			    t && t->status ? t->status : "DELETING");
		return CTL_OK;
	case DYNTABLE_OP_UPDATE_TIME_TO_LIVE:
	case DYNTABLE_OP_DESCRIBE_TIME_TO_LIVE:
	case DYNTABLE_OP_LIST_TAGS_OF_RESOURCE:
	case DYNTABLE_OP_UPDATE_CONTINUOUS_BACKUPS:
	case DYNTABLE_OP_DESCRIBE_CONTINUOUS_BACKUPS:
		return print_doc(ctl, r);
	case DYNTABLE_OP_TAG_RESOURCE:
	case DYNTABLE_OP_UNTAG_RESOURCE:
		if (!json)
			printf("%s %s\n", ctl->table, r->op ==
			    DYNTABLE_OP_TAG_RESOURCE ? "tagged" : "untagged");
		return CTL_OK;
	case DYNTABLE_OP_CREATE_TABLE:
	case DYNTABLE_OP_UPDATE_TABLE:
	case DYNTABLE_OP_DESCRIBE_TABLE:
		break;
	}
	if (t == NULL) {
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_PROTOCOL),
		    "the answer carries no table description");
		return CTL_FAILED;
	}
	if (json)
		return print_table_json(ctl, r->op == DYNTABLE_OP_DESCRIBE_TABLE ?
		    "Table" : "TableDescription", dyntable_table_json(t));
	print_table(t);
	return CTL_OK;
}

/*
 * Prints r (or its error), frees it and returns the exit code. An error
 * without a message (a request refused before it was queued) takes the
 * context's last error.
 */
int
print_result(dyntable_ctx *c, const struct ctl *ctl, dyntable_result *r)
{
	int rc = print_answer(c, ctl, r);

	dyntable_result_free(r);
	return rc;
}

int
print_answer(dyntable_ctx *c, const struct ctl *ctl, const dyntable_result *r)
{
	const char *msg;
	int rc;

	if (r == NULL) {
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_NOMEM),
		    "out of memory");
		return CTL_FAILED;
	}
	if (r->status == DYNTABLE_OK)
		rc = print_ok(ctl, r);
	else {
		msg = r->message;
		if (msg == NULL || *msg == '\0')
			msg = dyntable_last_error(c);
		print_error(ctl, r->aws_type ? r->aws_type :
		    dyntable_status_name(r->status), msg);
		rc = status_exit(r->status);
	}
	return rc;
}

/* ---- usage errors ------------------------------------------------------ */

/* Prints why the command line is wrong and where the help is, on one
 * line (a script's log shows one line per failure). */
int
usage_error(const struct verb *v, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s%s", v ? v->name : "", v ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '" PROG "%s%s --help')\n", v ? " " : "",
	    v ? v->name : "");
	return CTL_USAGE;
}

