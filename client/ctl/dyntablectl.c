/*
 * dyntablectl: the admin CLI for dyntabled.
 *
 * Table-driven like smtpctl: each verb is a row of verbs[] naming the
 * options it takes and a handler that sends one request through the
 * blocking API of libdyntable. Every handler hands its result to
 * print_result(), the one place that prints answers and errors and picks
 * the exit code (CTL_*, documented in --help).
 *
 * create builds its request before connecting (so that --dry-run needs no
 * daemon) in one of three ways: from the flags alone (a
 * dyntable_table_def), from a CreateTableInput file with the flags merged
 * in (--input-json, edited here with jansson), or from a model file
 * (--model, docs/MODEL.md, read by libdyntable's dyntable_model_from_json).
 * The daemon checks the definition; this file only parses what the user
 * typed.
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

#define PROG "dyntablectl"

/* Exit codes, for shell scripts. */
enum {
	CTL_OK = 0,
	CTL_ABSENT = 1,	     /* exists: the table does not exist */
	CTL_USAGE = 2,	     /* bad command line */
	CTL_UNREACHABLE = 3, /* cannot reach or talk to the daemon */
	CTL_FAILED = 4,	     /* the daemon or DynamoDB refused or failed */
	CTL_TIMEOUT = 5,     /* a wait's deadline passed */
	CTL_CONTINUE = -1,   /* internal: parsing done, go on */
};

/* Verb options, one bit each; a verb's row lists those it accepts. */
enum {
	O_PK = 1u << 0,
	O_SK = 1u << 1,
	O_BILLING = 1u << 2,
	O_RCU = 1u << 3,
	O_WCU = 1u << 4,
	O_WAIT = 1u << 5,
	O_TIMEOUT = 1u << 6,
	O_JSON = 1u << 7,
	O_DELETED = 1u << 8,
	O_CLASS = 1u << 9,
	O_ENCRYPTION = 1u << 10,
	O_KMS_KEY = 1u << 11,
	O_TAG = 1u << 12,
	O_STREAM = 1u << 13,
	O_PROTECT = 1u << 14,
	O_GSI = 1u << 15,
	O_LSI = 1u << 16,
	O_INPUT = 1u << 17,
	O_MODEL = 1u << 18,
	O_DRY_RUN = 1u << 19,
	O_EPHEMERAL = 1u << 20,
	O_TABLE_ONLY = 1u << 21,
	O_ALL = 1u << 22,
};
#define O_SCHEMA (O_PK | O_SK | O_GSI | O_LSI) /* what a model defines */

static const struct verb_opt {
	const char *name;
	const char *arg; /* the argument's name, NULL for a flag */
	unsigned bit;
	const char *help;
} verb_opts[] = {
	{ "pk", "NAME:TYPE", O_PK,
	    "partition key; TYPE is S, N or B (or STRING, NUMBER, BINARY)" },
	{ "sk", "NAME:TYPE", O_SK, "sort key, typed like --pk" },
	{ "gsi", "SPEC", O_GSI,
	    "add a global secondary index (repeatable; SPEC below)" },
	{ "lsi", "SPEC", O_LSI,
	    "add a local secondary index (repeatable; SPEC below)" },
	{ "billing-mode", "MODE", O_BILLING,
	    "PAY_PER_REQUEST (the default) or PROVISIONED" },
	{ "rcu", "N", O_RCU, "read capacity units, PROVISIONED only (default 5)" },
	{ "wcu", "N", O_WCU, "write capacity units, PROVISIONED only (default 5)" },
	{ "table-class", "CLASS", O_CLASS,
	    "STANDARD or STANDARD_INFREQUENT_ACCESS" },
	{ "encryption", "KEY_TYPE", O_ENCRYPTION,
	    "the key that encrypts the table at rest: AWS_OWNED (the "
	    "default), AWS_MANAGED or CUSTOMER_MANAGED" },
	{ "kms-key-id", "KEY", O_KMS_KEY,
	    "the KMS key (id, ARN, alias or alias ARN); required with, and "
	    "only with, --encryption CUSTOMER_MANAGED" },
	{ "tag", "KEY=VALUE", O_TAG, "tag the table (repeatable)" },
	{ "stream", "VIEW_TYPE", O_STREAM,
	    "enable a stream: NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES or "
	    "KEYS_ONLY" },
	{ "deletion-protection", NULL, O_PROTECT,
	    "enable deletion protection" },
	{ "input-json", "FILE", O_INPUT,
	    "start from a CreateTableInput JSON document, as `aws dynamodb "
	    "create-table --cli-input-json` takes it ('-': standard input); "
	    "flags given too replace its members" },
	{ "model", "FILE", O_MODEL,
	    "create the table that a model file describes (docs/MODEL.md)" },
	{ "dry-run", NULL, O_DRY_RUN,
	    "print the CreateTableInput JSON instead of sending it (no "
	    "daemon needed)" },
	{ "wait", NULL, O_WAIT, "answer only once the operation is complete" },
	{ "timeout", "SECONDS", O_TIMEOUT,
	    "give up waiting after SECONDS (decimals allowed; default 60)" },
	{ "deleted", NULL, O_DELETED,
	    "wait until the table is gone instead of ACTIVE" },
	{ "table-only", NULL, O_TABLE_ONLY,
	    "wait until the table is ACTIVE, whatever its global secondary "
	    "indexes' status" },
	{ "ephemeral", NULL, O_EPHEMERAL,
	    "the table belongs to this connection's session: the daemon "
	    "deletes it once no connection of the session is left (after "
	    "its grace period, 10 s by default); see `" PROG " hold` and "
	    "DYNTABLE_SESSION" },
	{ "all", NULL, O_ALL,
	    "every table of the account, with its full name, not only the "
	    "namespace's" },
	{ "json", NULL, O_JSON, "print what `aws dynamodb` prints, as JSON" },
};
#define N_VERB_OPTS (sizeof verb_opts / sizeof verb_opts[0])
#define OPT_VAL_BASE 256 /* getopt value of verb_opts[i]: base + i */

struct ctl;

/* A row of verbs[], below the handlers. */
struct verb {
	const char *name;
	/* c is NULL under --dry-run (only for verbs that take it) */
	int (*run)(dyntable_ctx *c, const struct ctl *ctl);
	const char *usage; /* arguments after the verb */
	const char *about;
	unsigned opts;	  /* O_* accepted */
	bool takes_table; /* one TABLE argument, else none */
	const char *details; /* more help after the options, or NULL */
	/* reads what the request needs before connecting: CTL_CONTINUE or
	 * the exit code; NULL for none */
	int (*prepare)(struct ctl *ctl);
};

/* The command line, parsed and checked. */
struct ctl {
	const struct verb *verb;
	const char *table;	/* TABLE; NULL for list */
	unsigned seen;		/* O_* options given */
	unsigned timeout_ms;	/* --timeout; 0: the daemon's default */

	/* create */
	dyntable_table_def def;	/* the flags; def.options serve all paths */
	dyntable_gsi_def *gsis;	/* --gsi, in order; def.gsis once checked */
	dyntable_lsi_def *lsis;	/* --lsi */
	dyntable_tag *tags;	/* --tag */
	const char *input_path; /* --input-json */
	const char *model_path; /* --model */
	json_t *input;		/* --input-json: the CreateTableInput to send */
	dyntable_model *model;	/* --model, from libdyntable */
	void **owned;		/* memory freed by ctl_free() */
	size_t n_owned;
};

/* ---- memory ------------------------------------------------------------ */

static void __attribute__((noreturn))
oom(void)
{
	fprintf(stderr, PROG ": out of memory\n");
	exit(CTL_FAILED);
}

static void *
xrealloc(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		oom();
	if ((p = realloc(p, n * size > 0 ? n * size : 1)) == NULL)
		oom();
	return p;
}

/* p, kept until ctl_free(). */
static void *
keep(struct ctl *ctl, void *p)
{
	if (p == NULL)
		oom();
	ctl->owned = xrealloc(ctl->owned, ctl->n_owned + 1, sizeof(void *));
	ctl->owned[ctl->n_owned++] = p;
	return p;
}

static void *
keep_calloc(struct ctl *ctl, size_t n, size_t size)
{
	return keep(ctl, calloc(n > 0 ? n : 1, size));
}

static void
ctl_free(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->n_owned; i++)
		free(ctl->owned[i]);
	free(ctl->owned);
	free(ctl->gsis);
	free(ctl->lsis);
	free(ctl->tags);
	json_decref(ctl->input);
	dyntable_model_free(ctl->model);
}

/* j, or exit when jansson could not allocate it. */
static json_t *
must(json_t *j)
{
	if (j == NULL)
		oom();
	return j;
}

/* obj[key] = val, taking val's reference. */
static void
put(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) != 0)
		oom();
}

/* Appends val to arr, taking val's reference. */
static void
push(json_t *arr, json_t *val)
{
	if (val == NULL || json_array_append_new(arr, val) != 0)
		oom();
}

/* Whether jansson takes s: JSON strings must be UTF-8. */
static bool
utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/* ---- output ------------------------------------------------------------ */

static void
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
static void
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

static int
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
static char *
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
	return t == DYNTABLE_S || t == DYNTABLE_N || t == DYNTABLE_B ?
	    (char)t : '?';
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
			return t != NULL && strlen(t) == 1 ? *t : '?';
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

/* A successful answer. */
static int
print_ok(const struct ctl *ctl, const dyntable_result *r)
{
	const dyntable_table *t = r->table;
	bool json = ctl->seen & O_JSON;

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
	case DYNTABLE_OP_DELETE_TABLE:
		if (json)
			break;
		if (ctl->seen & O_WAIT)
			printf("%s deleted\n", ctl->table);
		else
			printf("%s %s\n", ctl->table,
			    t && t->status ? t->status : "DELETING");
		return CTL_OK;
	case DYNTABLE_OP_CREATE_TABLE:
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
static int
print_result(dyntable_ctx *c, const struct ctl *ctl, dyntable_result *r)
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
	dyntable_result_free(r);
	return rc;
}

/* ---- usage errors ------------------------------------------------------ */

static int usage_error(const struct verb *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints why the command line is wrong, and how to ask for help. */
static int
usage_error(const struct verb *v, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s%s", v ? v->name : "", v ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (v != NULL)
		fprintf(stderr, "\nusage: " PROG " [--socket PATH] %s\n",
		    v->usage);
	else
		fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return CTL_USAGE;
}

/* ---- create: the request as JSON (--input-json, --dry-run) ------------- */

static const char *
type_name(dyntable_type t)
{
	return t == DYNTABLE_N ? "N" : t == DYNTABLE_B ? "B" : "S";
}

static json_t *
key_elem(const char *name, const char *key_type)
{
	return must(json_pack("{s:s, s:s}", "AttributeName", name, "KeyType",
	    key_type));
}

static json_t *
throughput_json(long long read, long long write)
{
	return must(json_pack("{s:I, s:I}", "ReadCapacityUnits",
	    (json_int_t)read, "WriteCapacityUnits", (json_int_t)write));
}

static json_t *
projection_json(dyntable_projection p, const char *const *nka, size_t n)
{
	json_t *pj = must(json_object()), *a;

	put(pj, "ProjectionType", json_string(p == DYNTABLE_PROJECTION_INCLUDE ?
	    "INCLUDE" : p == DYNTABLE_PROJECTION_KEYS_ONLY ? "KEYS_ONLY" :
	    "ALL"));
	if (p == DYNTABLE_PROJECTION_INCLUDE) {
		a = must(json_array());
		for (size_t i = 0; i < n; i++)
			push(a, json_string(nka[i]));
		put(pj, "NonKeyAttributes", a);
	}
	return pj;
}

/* Whether KeySchema element e has KeyType key_type. */
static bool
is_key_type(const json_t *e, const char *key_type)
{
	const char *t = json_string_value(json_object_get(e, "KeyType"));

	return t != NULL && strcmp(t, key_type) == 0;
}

/* The first HASH (or RANGE) element's name in KeySchema ks, or NULL. */
static const char *
key_of(const json_t *ks, const char *key_type)
{
	const json_t *e;
	size_t i;

	json_array_foreach(ks, i, e)
		if (is_key_type(e, key_type) &&
		    json_is_string(json_object_get(e, "AttributeName")))
			return json_string_value(json_object_get(e,
			    "AttributeName"));
	return NULL;
}

/* The file's KeySchema with --pk and/or --sk replacing its HASH and RANGE
 * elements (anything else in it stays with the HASH ones, for the daemon
 * to judge). */
static json_t *
merged_key_schema(const struct ctl *ctl, const json_t *file_ks)
{
	json_t *ks = must(json_array()), *e;
	size_t i;

	if (ctl->seen & O_PK)
		push(ks, key_elem(ctl->def.partition_key.name, "HASH"));
	else
		json_array_foreach(file_ks, i, e)
			if (!is_key_type(e, "RANGE"))
				push(ks, json_incref(e));
	if (ctl->seen & O_SK)
		push(ks, key_elem(ctl->def.sort_key.name, "RANGE"));
	else
		json_array_foreach(file_ks, i, e)
			if (is_key_type(e, "RANGE"))
				push(ks, json_incref(e));
	return ks;
}

/* Collects the AttributeNames of KeySchema ks into *names, once each. */
static void
collect_keys(const json_t *ks, const char ***names, size_t *n)
{
	const json_t *e;
	const char *name;
	size_t i, j;

	json_array_foreach(ks, i, e) {
		if ((name = json_string_value(json_object_get(e,
		    "AttributeName"))) == NULL)
			continue;
		for (j = 0; j < *n && strcmp((*names)[j], name) != 0; j++)
			;
		if (j == *n) {
			*names = xrealloc(*names, *n + 1, sizeof **names);
			(*names)[(*n)++] = name;
		}
	}
}

/*
 * AttributeDefinitions for the merged document: exactly the attributes
 * its key schemas use, typed by the flags where they name them, else as
 * the file defines them. An attribute the flags type twice differently
 * is defined twice, which the daemon refuses with a message.
 */
static json_t *
merged_attr_defs(const struct ctl *ctl, const json_t *in)
{
	const json_t *file_defs = json_object_get(in, "AttributeDefinitions");
	const json_t *ix, *e;
	const dyntable_table_def *d = &ctl->def;
	json_t *out = must(json_array());
	const char **used = NULL;
	dyntable_attr *flag;
	size_t n_used = 0, n_flag = 0, i, j, k;
	bool typed;

	flag = xrealloc(NULL, 2 + d->n_gsis * 2 * DYNTABLE_INDEX_KEYS_MAX +
	    d->n_lsis, sizeof *flag);
	if (ctl->seen & O_PK)
		flag[n_flag++] = d->partition_key;
	if (ctl->seen & O_SK)
		flag[n_flag++] = d->sort_key;
	for (i = 0; i < d->n_gsis; i++)
		for (k = 0; k < DYNTABLE_INDEX_KEYS_MAX; k++) {
			if (d->gsis[i].partition_keys[k].name != NULL)
				flag[n_flag++] = d->gsis[i].partition_keys[k];
			if (d->gsis[i].sort_keys[k].name != NULL)
				flag[n_flag++] = d->gsis[i].sort_keys[k];
		}
	for (i = 0; i < d->n_lsis; i++)
		flag[n_flag++] = d->lsis[i].sort_key;

	collect_keys(json_object_get(in, "KeySchema"), &used, &n_used);
	json_array_foreach(json_object_get(in, "GlobalSecondaryIndexes"), i,
	    ix)
		collect_keys(json_object_get(ix, "KeySchema"), &used, &n_used);
	json_array_foreach(json_object_get(in, "LocalSecondaryIndexes"), i,
	    ix)
		collect_keys(json_object_get(ix, "KeySchema"), &used, &n_used);

	for (i = 0; i < n_used; i++) {
		typed = false;
		for (j = 0; j < n_flag; j++) {
			if (strcmp(flag[j].name, used[i]) != 0)
				continue;
			for (k = 0; k < j; k++) /* this type already sent? */
				if (strcmp(flag[k].name, used[i]) == 0 &&
				    flag[k].type == flag[j].type)
					break;
			if (k == j)
				push(out, must(json_pack("{s:s, s:s}",
				    "AttributeName", used[i], "AttributeType",
				    type_name(flag[j].type))));
			typed = true;
		}
		if (typed)
			continue;
		json_array_foreach(file_defs, j, e)
			if (json_is_string(json_object_get(e, "AttributeName")) &&
			    strcmp(json_string_value(json_object_get(e,
			    "AttributeName")), used[i]) == 0)
				push(out, json_deep_copy(e));
	}
	free(used);
	free(flag);
	return out;
}

/* The --gsi indexes as GlobalSecondaryIndexes. Under PROVISIONED, a
 * capacity not given is the table's. */
static json_t *
gsis_json(const struct ctl *ctl, bool provisioned, long long t_read,
    long long t_write)
{
	json_t *list = must(json_array()), *g, *ks;
	const dyntable_gsi_def *d;

	for (size_t i = 0; i < ctl->def.n_gsis; i++) {
		d = &ctl->def.gsis[i];
		g = must(json_object());
		put(g, "IndexName", json_string(d->name));
		ks = must(json_array());
		for (size_t k = 0; k < DYNTABLE_INDEX_KEYS_MAX &&
		    d->partition_keys[k].name != NULL; k++)
			push(ks, key_elem(d->partition_keys[k].name, "HASH"));
		for (size_t k = 0; k < DYNTABLE_INDEX_KEYS_MAX &&
		    d->sort_keys[k].name != NULL; k++)
			push(ks, key_elem(d->sort_keys[k].name, "RANGE"));
		put(g, "KeySchema", ks);
		put(g, "Projection", projection_json(d->projection,
		    d->non_key_attributes, d->n_non_key_attributes));
		if (provisioned || d->read_capacity > 0 || d->write_capacity > 0)
			put(g, "ProvisionedThroughput", throughput_json(
			    d->read_capacity > 0 ? d->read_capacity : t_read,
			    d->write_capacity > 0 ? d->write_capacity : t_write));
		push(list, g);
	}
	return list;
}

/* The --lsi indexes as LocalSecondaryIndexes on the table's HASH key. */
static json_t *
lsis_json(const struct ctl *ctl, const char *hash)
{
	json_t *list = must(json_array()), *l, *ks;
	const dyntable_lsi_def *d;

	for (size_t i = 0; i < ctl->def.n_lsis; i++) {
		d = &ctl->def.lsis[i];
		l = must(json_object());
		put(l, "IndexName", json_string(d->name));
		ks = must(json_array());
		if (hash != NULL)
			push(ks, key_elem(hash, "HASH"));
		push(ks, key_elem(d->sort_key.name, "RANGE"));
		put(l, "KeySchema", ks);
		put(l, "Projection", projection_json(d->projection,
		    d->non_key_attributes, d->n_non_key_attributes));
		push(list, l);
	}
	return list;
}

/* A capacity of the table's ProvisionedThroughput, 5 when unset. */
static long long
table_units(const json_t *in, const char *member)
{
	const json_t *v = json_object_get(json_object_get(in,
	    "ProvisionedThroughput"), member);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 5;
}

/*
 * Applies the flags to the CreateTableInput in ctl->input, AWS CLI style:
 * the member a flag stands for replaces the file's. See `create --help`
 * and README.md for the list. Returns CTL_CONTINUE or the exit code.
 */
static int
merge_flags(struct ctl *ctl)
{
	static const char *const classes[] = { NULL, "STANDARD",
		"STANDARD_INFREQUENT_ACCESS" };
	static const char *const views[] = { NULL, "NEW_IMAGE", "OLD_IMAGE",
		"NEW_AND_OLD_IMAGES", "KEYS_ONLY" };
	const dyntable_table_options *o = &ctl->def.options;
	json_t *in = ctl->input, *pt, *g, *tags, *sse;
	unsigned s = ctl->seen;
	const char *billing;
	bool provisioned;
	size_t i;

	if (ctl->table != NULL)
		put(in, "TableName", json_string(ctl->table));
	else if (json_is_string(json_object_get(in, "TableName")))
		ctl->table = json_string_value(json_object_get(in,
		    "TableName"));
	else
		return usage_error(ctl->verb, "TABLE missing, and %s has no "
		    "TableName", ctl->input_path);

	if (s & (O_PK | O_SK))
		put(in, "KeySchema", merged_key_schema(ctl,
		    json_object_get(in, "KeySchema")));

	/* Billing: a mode from the flags drops or fills in the capacities
	 * (the table's and its GSIs') that the file had for another mode. */
	if (s & O_BILLING)
		put(in, "BillingMode", json_string(o->billing_mode ==
		    DYNTABLE_PROVISIONED ? "PROVISIONED" : "PAY_PER_REQUEST"));
	billing = json_string_value(json_object_get(in, "BillingMode"));
	provisioned = billing != NULL && strcmp(billing, "PROVISIONED") == 0;
	if ((s & (O_RCU | O_WCU)) && !provisioned)
		return usage_error(ctl->verb, "--rcu and --wcu need "
		    "BillingMode PROVISIONED (from --billing-mode or %s): a "
		    "PAY_PER_REQUEST table has no provisioned capacity",
		    ctl->input_path);
	if (provisioned && (s & (O_BILLING | O_RCU | O_WCU))) {
		pt = json_object_get(in, "ProvisionedThroughput");
		if (!json_is_object(pt)) {
			pt = must(json_object());
			put(in, "ProvisionedThroughput", pt);
		}
		if ((s & O_RCU) || !json_object_get(pt, "ReadCapacityUnits"))
			put(pt, "ReadCapacityUnits", json_integer(
			    o->read_capacity > 0 ? o->read_capacity : 5));
		if ((s & O_WCU) || !json_object_get(pt, "WriteCapacityUnits"))
			put(pt, "WriteCapacityUnits", json_integer(
			    o->write_capacity > 0 ? o->write_capacity : 5));
	}
	if ((s & O_BILLING) && !(s & O_GSI))
		json_array_foreach(json_object_get(in,
		    "GlobalSecondaryIndexes"), i, g) {
			if (!json_is_object(g))
				continue;
			if (!provisioned)
				json_object_del(g, "ProvisionedThroughput");
			else if (!json_object_get(g, "ProvisionedThroughput"))
				put(g, "ProvisionedThroughput", throughput_json(
				    table_units(in, "ReadCapacityUnits"),
				    table_units(in, "WriteCapacityUnits")));
		}
	if ((s & O_BILLING) && !provisioned)
		json_object_del(in, "ProvisionedThroughput");

	if (s & O_GSI)
		put(in, "GlobalSecondaryIndexes", gsis_json(ctl, provisioned,
		    table_units(in, "ReadCapacityUnits"),
		    table_units(in, "WriteCapacityUnits")));
	if (s & O_LSI)
		put(in, "LocalSecondaryIndexes", lsis_json(ctl,
		    key_of(json_object_get(in, "KeySchema"), "HASH")));
	if (s & O_SCHEMA)
		put(in, "AttributeDefinitions", merged_attr_defs(ctl, in));

	if (s & O_CLASS)
		put(in, "TableClass", json_string(classes[o->table_class]));
	if (s & O_ENCRYPTION) {
		if (o->encryption == DYNTABLE_ENCRYPTION_AWS_OWNED)
			json_object_del(in, "SSESpecification");
		else {
			sse = must(json_pack("{s:b, s:s}", "Enabled", 1,
			    "SSEType", "KMS"));
			if (o->kms_key_id != NULL)
				put(sse, "KMSMasterKeyId",
				    json_string(o->kms_key_id));
			put(in, "SSESpecification", sse);
		}
	}
	if (s & O_TAG) {
		tags = must(json_array());
		for (i = 0; i < o->n_tags; i++)
			push(tags, json_pack("{s:s, s:s}", "Key",
			    o->tags[i].key, "Value", o->tags[i].value));
		put(in, "Tags", tags);
	}
	if (s & O_STREAM)
		put(in, "StreamSpecification", json_pack("{s:b, s:s}",
		    "StreamEnabled", 1, "StreamViewType", views[o->stream]));
	if (s & O_PROTECT)
		put(in, "DeletionProtectionEnabled", json_true());
	return CTL_CONTINUE;
}

/* Reads FILE ('-': standard input) as JSON; NULL after a usage error. */
static json_t *
load_json(const struct ctl *ctl, const char *opt, const char *path,
    int *rc)
{
	json_error_t jerr;
	json_t *j;

	if (strcmp(path, "-") == 0)
		j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (j != NULL)
		return j;
	if (jerr.line > 0)
		*rc = usage_error(ctl->verb, "bad --%s %s: line %d, column %d: "
		    "%s", opt, path, jerr.line, jerr.column, jerr.text);
	else
		*rc = usage_error(ctl->verb, "bad --%s %s: %s", opt, path,
		    jerr.text);
	return NULL;
}

static int
load_input(struct ctl *ctl)
{
	int rc = CTL_USAGE;

	if ((ctl->input = load_json(ctl, "input-json", ctl->input_path,
	    &rc)) == NULL)
		return rc;
	if (!json_is_object(ctl->input))
		return usage_error(ctl->verb, "bad --input-json %s: want a JSON "
		    "object (a CreateTableInput)", ctl->input_path);
	return merge_flags(ctl);
}

/* ---- create: model files (docs/MODEL.md) ------------------------------- */

/* Reads --model FILE into ctl->model with libdyntable's parser; TABLE,
 * when given, replaces the file's table name. */
static int
load_model(struct ctl *ctl)
{
	char err[512], *text;
	json_t *doc;
	dyntable_status st;
	int rc = CTL_USAGE;

	/* Read here, like --input-json, for the same messages (stdin, I/O). */
	if ((doc = load_json(ctl, "model", ctl->model_path, &rc)) == NULL)
		return rc;
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	json_decref(doc);
	if (text == NULL)
		oom();
	st = dyntable_model_from_json(text, ctl->table, &ctl->model, err,
	    sizeof err);
	free(text);
	if (st == DYNTABLE_ERR_NOMEM)
		oom();
	if (st != DYNTABLE_OK && strcmp(err, "table: required") == 0)
		return usage_error(ctl->verb, "TABLE missing, and %s names no "
		    "table", ctl->model_path);
	if (st != DYNTABLE_OK)
		return usage_error(ctl->verb, "bad --model %s: %s",
		    ctl->model_path, err);
	ctl->table = ctl->model->table_name;
	return CTL_CONTINUE;
}

static int
prepare_create(struct ctl *ctl)
{
	if (ctl->seen & O_INPUT)
		return load_input(ctl);
	if (ctl->seen & O_MODEL)
		return load_model(ctl);
	return CTL_CONTINUE;
}

/* ---- verbs ------------------------------------------------------------- */

static const dyntable_wait_opts *
wait_opts(const struct ctl *ctl, dyntable_wait_opts *w)
{
	w->timeout_ms = ctl->timeout_ms;
	w->table_only = (ctl->seen & O_TABLE_ONLY) != 0;
	return (ctl->seen & O_WAIT) ? w : NULL;
}

/* create --dry-run: the CreateTableInput, indented, on stdout. */
static int
create_dry_run(const struct ctl *ctl)
{
	char err[512] = "", *doc = NULL, *s = NULL;
	dyntable_status st = DYNTABLE_OK;
	json_t *j = NULL;

	if (ctl->input != NULL)
		j = json_incref(ctl->input);
	else if (ctl->seen & O_MODEL)
		st = dyntable_model_json(ctl->model, &ctl->def.options, &doc,
		    err, sizeof err);
	else
		st = dyntable_table_def_json(&ctl->def, &doc, err, sizeof err);
	if (st != DYNTABLE_OK) {
		print_error(ctl, dyntable_status_name(st), err);
		return status_exit(st);
	}
	if (j == NULL && (doc == NULL || (j = json_loads(doc, 0, NULL)) ==
	    NULL)) {
		free(doc);
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_INTERNAL),
		    "libdyntable gave no CreateTableInput JSON");
		return CTL_FAILED;
	}
	free(doc);
	s = pretty(j);
	json_decref(j);
	if (s == NULL)
		oom();
	printf("%s\n", s);
	free(s);
	return CTL_OK;
}

static int
cmd_create(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_wait_opts w;
	const dyntable_wait_opts *wo = wait_opts(ctl, &w);
	dyntable_result *r;
	char *doc;

	if (c == NULL)
		return create_dry_run(ctl);
	if (ctl->input != NULL) {
		if ((doc = json_dumps(ctl->input, JSON_COMPACT |
		    JSON_PRESERVE_ORDER)) == NULL)
			oom();
		r = dyntable_sync_create_table_json(c, doc, wo);
		free(doc);
	} else if (ctl->seen & O_MODEL)
		r = dyntable_sync_model_create_table(c, ctl->model,
		    &ctl->def.options, wo);
	else
		r = dyntable_sync_create_table(c, &ctl->def, wo);
	/* The session ends with this process unless someone holds it. */
	if (r != NULL && r->status == DYNTABLE_OK && (ctl->seen & O_EPHEMERAL)
	    && !dyntable_session_resumed(c))
		fprintf(stderr, PROG ": note: the table is ephemeral: it is "
		    "deleted soon after this command exits, unless "
		    "DYNTABLE_SESSION=%s is in use elsewhere (see `" PROG
		    " hold`)\n", dyntable_session(c) ? dyntable_session(c) :
		    "?");
	return print_result(c, ctl, r);
}

static int
cmd_exists(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_table_exists(c, ctl->table));
}

static int
cmd_describe(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_describe_table(c,
	    ctl->table));
}

static int
cmd_list(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, (ctl->seen & O_ALL) ?
	    dyntable_sync_list_all_tables(c) : dyntable_sync_list_tables(c));
}

static int
cmd_delete(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_wait_opts w;

	return print_result(c, ctl, dyntable_sync_delete_table(c, ctl->table,
	    wait_opts(ctl, &w)));
}

static int
cmd_wait(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_wait_opts w = {
		.timeout_ms = ctl->timeout_ms,
		.table_only = (ctl->seen & O_TABLE_ONLY) != 0,
	};

	return print_result(c, ctl, (ctl->seen & O_DELETED) ?
	    dyntable_sync_wait_for_table_deleted(c, ctl->table, ctl->timeout_ms) :
	    dyntable_sync_wait_for_table_active_opts(c, ctl->table, &w));
}

static int
cmd_status(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_daemon_status(c));
}

static int
cmd_reap(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_reap(c));
}

/* True while fd has nothing to read (the daemon keeps quiet). */
static bool
hold_quiet(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, ms);

	return n == 0 || (n < 0 && errno == EINTR);
}

/*
 * Prints the session token, then keeps the connection (and so the
 * session) open until the parent process exits, a signal ends us, or the
 * daemon goes away.
 */
static int
cmd_hold(dyntable_ctx *c, const struct ctl *ctl)
{
	pid_t parent = getppid();
	const char *tok = dyntable_session(c);

	if (tok == NULL) {
		print_error(ctl, "PROTOCOL", "the daemon gave no session");
		return CTL_FAILED;
	}
	printf("%s\n", tok);
	if (fflush(stdout) != 0)
		return CTL_FAILED;
	while (getppid() == parent)
		if (!hold_quiet(dyntable_fd(c), 1000)) {
			fprintf(stderr, PROG ": hold: the daemon closed the "
			    "connection\n");
			return CTL_UNREACHABLE;
		}
	return CTL_OK;
}

static const char create_details[] =
    "Index SPECs (TYPE is S, N or B; names cannot hold ',', '+' or '='):\n"
    "  --gsi name=NAME,pk=ATTR:TYPE[+ATTR:TYPE...][,sk=ATTR:TYPE[+ATTR:TYPE"
    "...]]\n"
    "        [,projection=ALL|KEYS_ONLY|INCLUDE:ATTR[+ATTR...]][,rcu=N]"
    "[,wcu=N]\n"
    "      pk and sk take up to 4 attributes each (multi-attribute keys);\n"
    "      projection defaults to ALL; under PROVISIONED, rcu and wcu\n"
    "      default to the table's.\n"
    "  --lsi name=NAME,sk=ATTR:TYPE[,projection=ALL|KEYS_ONLY|INCLUDE:...]\n"
    "      the table's partition key with its own sort key (the table\n"
    "      needs --sk).\n"
    "  e.g. --gsi name=by-email,pk=email:S,sk=created:N,projection=KEYS_ONLY"
    "\n"
    "       --lsi name=by-score,sk=score:N,projection=INCLUDE:email+name\n"
    "\n"
    "--input-json FILE: TABLE and --pk become optional (the file's TableName\n"
    "and KeySchema). Each flag given replaces what it stands for: TABLE the\n"
    "TableName; --pk, --sk the HASH, RANGE element of KeySchema;\n"
    "--billing-mode BillingMode (PAY_PER_REQUEST drops the file's\n"
    "capacities, PROVISIONED fills in missing ones, 5 or the table's);\n"
    "--rcu, --wcu ProvisionedThroughput's units; --gsi, --lsi the whole\n"
    "GlobalSecondaryIndexes, LocalSecondaryIndexes; --table-class\n"
    "TableClass; --encryption, --kms-key-id SSESpecification (AWS_OWNED\n"
    "removes it); --tag the whole Tags; --stream StreamSpecification;\n"
    "--deletion-protection DeletionProtectionEnabled. With any of --pk,\n"
    "--sk, --gsi, --lsi, AttributeDefinitions is rebuilt to the key\n"
    "attributes, typed by the flags, else by the file.\n"
    "\n"
    "--model FILE: TABLE is optional; when given it replaces the model's\n"
    "table name. The model defines the schema: --pk, --sk, --gsi and --lsi\n"
    "are refused; the other flags apply. --input-json and --model exclude\n"
    "each other.\n"
    "\n"
    "libdyntable and the daemon check the whole definition before anything\n"
    "is sent, and name the offending field of an invalid one (exit 4).\n";

static const struct verb verbs[] = {
	{ "create", cmd_create,
	    "create TABLE --pk NAME:TYPE [--sk NAME:TYPE] [--gsi SPEC]..."
	    " [--lsi SPEC]... [--input-json FILE | --model FILE] [OPTIONS]",
	    "Create a table; print its description. With --input-json or "
	    "--model, TABLE and --pk are optional.",
	    O_PK | O_SK | O_BILLING | O_RCU | O_WCU | O_WAIT | O_TIMEOUT |
	    O_JSON | O_CLASS | O_ENCRYPTION | O_KMS_KEY | O_TAG | O_STREAM |
	    O_PROTECT | O_GSI | O_LSI | O_INPUT | O_MODEL | O_DRY_RUN |
	    O_EPHEMERAL | O_TABLE_ONLY, true,
	    create_details, prepare_create },
	{ "exists", cmd_exists, "exists TABLE",
	    "Exit 0 if the table exists (printing its status), 1 if not.",
	    0, true, NULL, NULL },
	{ "describe", cmd_describe, "describe TABLE [--json]",
	    "Print a table's description.", O_JSON, true, NULL, NULL },
	{ "list", cmd_list, "list [--all] [--json]",
	    "Print the name of every table (of the namespace, if any), one "
	    "a line.", O_JSON | O_ALL, false, NULL, NULL },
	{ "delete", cmd_delete,
	    "delete TABLE [--wait] [--timeout SECONDS] [--json]",
	    "Delete a table.", O_WAIT | O_TIMEOUT | O_JSON, true, NULL, NULL },
	{ "wait", cmd_wait,
	    "wait TABLE [--deleted | --table-only] [--timeout SECONDS]",
	    "Wait until a table (and its indexes) is ACTIVE, or is gone.",
	    O_DELETED | O_TIMEOUT | O_TABLE_ONLY, true, NULL, NULL },
	{ "status", cmd_status, "status [--json]",
	    "Print the daemon's state: version, uptime, clients, requests in "
	    "flight, waits and pollers, upstream requests, retries and "
	    "errors, and where its credentials come from (the access key "
	    "id's last four characters, when they expire). An "
	    "administrator's verb.", O_JSON, false, NULL, NULL },
	{ "reap", cmd_reap, "reap [--json]",
	    "Delete every table whose dyntable:expires tag has passed (left "
	    "behind by ephemeral owners whose daemon died), in the whole "
	    "account; print those deleted. An administrator's verb.",
	    O_JSON, false, NULL, NULL },
	{ "hold", cmd_hold, "hold",
	    "Print the session token (joining $DYNTABLE_SESSION's session if "
	    "it is live), then keep the session open until the parent "
	    "process exits or a signal ends this one. Ephemeral tables "
	    "created with DYNTABLE_SESSION set to the token live as long.",
	    0, false, NULL, NULL },
	{ NULL, NULL, NULL, NULL, 0, false, NULL, NULL },
};

/* ---- command line ------------------------------------------------------ */

static const char exit_text[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  exists: the table does not exist (no other verb exits 1)\n"
    "  2  usage error\n"
    "  3  cannot reach the daemon (connection refused or lost,\n"
    "     incompatible protocol version)\n"
    "  4  the operation failed: DynamoDB or the daemon refused it or\n"
    "     failed (not found, in use, invalid, AWS or upstream error...)\n"
    "  5  a wait's deadline passed\n";

static void
print_help(void)
{
	printf("usage: " PROG " [--socket PATH] [--namespace NS] [--session "
	    "TOKEN] VERB [ARGS]\n"
	    "       " PROG " --help | --version\n"
	    "       " PROG " VERB --help\n\n"
	    "Table operations through dyntabled.\n\nVerbs:\n");
	for (const struct verb *v = verbs; v->name != NULL; v++)
		printf("  %s\n      %s\n", v->usage, v->about);
	printf("\nOptions:\n"
	    "  --socket PATH  the daemon's socket (default: $DYNTABLE_SOCKET,\n"
	    "                 else " DYNTABLE_DEFAULT_SOCKET ")\n"
	    "  --namespace NS prefix every table name with NS. (e.g. a CI job\n"
	    "                 id: 1-64 of a-z A-Z 0-9 _ -; default:\n"
	    "                 $DYNTABLE_NAMESPACE)\n"
	    "  --session TOKEN  join that session, keeping its ephemeral\n"
	    "                 tables (default: $DYNTABLE_SESSION; see hold)\n"
	    "  -h, --help     print this help\n"
	    "  --version      print the versions of " PROG " and libdyntable\n"
	    "\nA CI job that wants its tables gone when it ends, whatever "
	    "happens:\n"
	    "  exec 3< <(" PROG " hold); read -r DYNTABLE_SESSION <&3\n"
	    "  export DYNTABLE_SESSION DYNTABLE_NAMESPACE=job-$CI_JOB_ID\n"
	    "  " PROG " create users --pk id:S --ephemeral --wait\n"
	    "\n%s", exit_text);
}

/* Prints an option and its help text, the text from column 26 and
 * wrapped before column 79. */
static void
print_wrapped(const char *opt, const char *text)
{
	enum { COL = 25, WIDTH = 78 };
	int col = printf("  %-22s", opt);
	const char *w = text, *end;

	while (*w != '\0') {
		end = w + strcspn(w, " ");
		if (col >= COL && col + 1 + (end - w) > WIDTH)
			col = printf("\n%*s", COL - 1, "") - 1;
		col += printf(" %.*s", (int)(end - w), w);
		w = end + strspn(end, " ");
	}
	putchar('\n');
}

static void
print_verb_help(const struct verb *v)
{
	char opt[64];

	printf("usage: " PROG " [--socket PATH] %s\n\n%s\n\nOptions:\n",
	    v->usage, v->about);
	for (size_t i = 0; i < N_VERB_OPTS; i++) {
		if (!(v->opts & verb_opts[i].bit))
			continue;
		snprintf(opt, sizeof opt, "--%s%s%s", verb_opts[i].name,
		    verb_opts[i].arg ? " " : "",
		    verb_opts[i].arg ? verb_opts[i].arg : "");
		print_wrapped(opt, verb_opts[i].help);
	}
	print_wrapped("-h, --help", "print this help");
	printf("\n%s%s%s", v->details ? v->details : "",
	    v->details ? "\n" : "", exit_text);
}

/* The option getopt just refused, as the user wrote it. */
static const char *
bad_option(char **argv, char *buf, size_t len)
{
	if (optopt != 0 && optopt < OPT_VAL_BASE) {
		snprintf(buf, len, "-%c", optopt);
		return buf;
	}
	return argv[optind - 1];
}

/* S, N, B or their long names, in any case (as model files take them). */
static bool
parse_type(const char *word, dyntable_type *t)
{
	static const struct {
		const char *word;
		dyntable_type type;
	} types[] = {
		{ "S", DYNTABLE_S }, { "STRING", DYNTABLE_S },
		{ "N", DYNTABLE_N }, { "NUMBER", DYNTABLE_N },
		{ "B", DYNTABLE_B }, { "BINARY", DYNTABLE_B },
	};

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(word, types[i].word) == 0) {
			*t = types[i].type;
			return true;
		}
	return false;
}

/* "NAME:TYPE" into a; splits at the last ':' (names may hold one). */
static bool
parse_attr(char *arg, dyntable_attr *a)
{
	char *colon = strrchr(arg, ':');

	if (colon == NULL || colon == arg || !parse_type(colon + 1, &a->type))
		return false;
	*colon = '\0'; /* argv strings are ours to modify */
	a->name = arg;
	return true;
}

static bool
parse_units(const char *arg, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(arg, &end, 10);
	return errno == 0 && end != arg && *end == '\0' && *out >= 1;
}

/* Seconds, decimals allowed, into milliseconds (at least 1). */
static bool
parse_seconds(const char *arg, unsigned *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(s) ||
	    s <= 0 || s > 4294967.0)
		return false;
	*ms = (unsigned)(s * 1000.0 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return true;
}

/* A word of a list (NULL-terminated, case-insensitive): its index, or
 * -1. Index 0 may be a NULL placeholder for "unset". */
static int
parse_word(const char *arg, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (words[i] != NULL && strcasecmp(arg, words[i]) == 0)
			return (int)i;
	return -1;
}

/* A parsed --gsi or --lsi SPEC. */
struct index_spec {
	const char *name;
	dyntable_attr pk[DYNTABLE_INDEX_KEYS_MAX];
	dyntable_attr sk[DYNTABLE_INDEX_KEYS_MAX];
	dyntable_projection projection;
	const char **nka;
	size_t n_nka;
	long long rcu, wcu;
};

/* "ATTR:TYPE[+ATTR:TYPE...]" into out[0..max); NULL or what is wrong. */
static const char *
parse_attr_list(char *val, dyntable_attr *out, size_t max)
{
	char *a;
	size_t n = 0;

	if (*val == '\0')
		return "want ATTR:TYPE";
	while ((a = strsep(&val, "+")) != NULL) {
		if (n == max)
			return max == 1 ? "takes one attribute" :
			    "takes up to 4 attributes";
		if (!parse_attr(a, &out[n++]))
			return "want ATTR:TYPE, TYPE being S, N or B";
	}
	return NULL;
}

/* "ALL", "KEYS_ONLY" or "INCLUDE:ATTR[+ATTR...]"; NULL or what is wrong. */
static const char *
parse_projection(struct ctl *ctl, char *val, struct index_spec *sp)
{
	static const char include[] = "INCLUDE:";
	char *a;

	if (strcasecmp(val, "ALL") == 0)
		sp->projection = DYNTABLE_PROJECTION_ALL;
	else if (strcasecmp(val, "KEYS_ONLY") == 0)
		sp->projection = DYNTABLE_PROJECTION_KEYS_ONLY;
	else if (strncasecmp(val, include, sizeof include - 1) == 0 &&
	    val[sizeof include - 1] != '\0') {
		sp->projection = DYNTABLE_PROJECTION_INCLUDE;
		val += sizeof include - 1;
		sp->nka = keep_calloc(ctl, strlen(val) / 2 + 1,
		    sizeof *sp->nka);
		while ((a = strsep(&val, "+")) != NULL) {
			if (*a == '\0')
				return "an empty attribute name in INCLUDE:";
			sp->nka[sp->n_nka++] = a;
		}
	} else
		return "want ALL, KEYS_ONLY or INCLUDE:ATTR[+ATTR...]";
	return NULL;
}

/*
 * Parses a --gsi (global) or --lsi SPEC: comma-separated KEY=VALUE
 * parts, see create_details. A usage error quotes the bad part.
 */
static int
parse_index_spec(struct ctl *ctl, const char *opt, const char *arg,
    bool global, struct index_spec *sp)
{
	static const char *const gsi_keys[] = { "name", "pk", "sk",
		"projection", "rcu", "wcu" };
	size_t n_keys = global ? 6 : 4; /* an LSI: name, (no pk), sk, proj */
	char *work = keep(ctl, strdup(arg)), *p = work, *part, *val;
	const char *why, *orig = arg;
	unsigned seen = 0;
	char msg[160];
	int k, len = 0;

	memset(sp, 0, sizeof *sp);
	while ((part = strsep(&p, ",")) != NULL) {
		orig = arg + (part - work); /* the part as the user wrote it */
		len = (int)strlen(part);
		why = NULL;
		if ((val = strchr(part, '=')) == NULL) {
			why = *part == '\0' ? "empty part" : "want KEY=VALUE";
			goto bad;
		}
		*val++ = '\0';
		k = parse_word(part, gsi_keys, n_keys);
		if (k < 0 || (!global && k == 1)) {
			snprintf(msg, sizeof msg, "unknown key '%s' (%s)", part,
			    global ? "want name, pk, sk, projection, rcu or "
			    "wcu" : "want name, sk or projection; an LSI has "
			    "the table's partition key");
			why = msg;
			goto bad;
		}
		if (seen & (1u << k)) {
			snprintf(msg, sizeof msg, "'%s' given twice", part);
			why = msg;
			goto bad;
		}
		seen |= 1u << k;
		switch (k) {
		case 0:
			if (*val == '\0')
				why = "empty name";
			sp->name = val;
			break;
		case 1:
			why = parse_attr_list(val, sp->pk,
			    DYNTABLE_INDEX_KEYS_MAX);
			break;
		case 2:
			why = parse_attr_list(val, sp->sk, global ?
			    DYNTABLE_INDEX_KEYS_MAX : 1);
			break;
		case 3:
			why = parse_projection(ctl, val, sp);
			break;
		default:
			if (!parse_units(val, k == 4 ? &sp->rcu : &sp->wcu))
				why = "want a whole number of at least 1";
			break;
		}
		if (why != NULL)
			goto bad;
	}
	if (!(seen & 1u))
		return usage_error(ctl->verb, "bad --%s '%s': name=NAME is "
		    "required", opt, arg);
	if (global && !(seen & 2u))
		return usage_error(ctl->verb, "bad --gsi '%s': pk=ATTR:TYPE is "
		    "required", arg);
	if (!global && !(seen & 4u))
		return usage_error(ctl->verb, "bad --lsi '%s': sk=ATTR:TYPE is "
		    "required", arg);
	return CTL_CONTINUE;
bad:
	return usage_error(ctl->verb, "bad --%s '%s': at '%.*s': %s", opt, arg,
	    len, orig, why);
}

/* --gsi SPEC / --lsi SPEC: appends the index to ctl's list. */
static int
add_index(struct ctl *ctl, const char *opt, const char *arg, bool global)
{
	struct index_spec sp;
	dyntable_gsi_def *g;
	dyntable_lsi_def *l;
	int rc;

	if ((rc = parse_index_spec(ctl, opt, arg, global, &sp)) !=
	    CTL_CONTINUE)
		return rc;
	if (global) {
		ctl->gsis = xrealloc(ctl->gsis, ctl->def.n_gsis + 1,
		    sizeof *ctl->gsis);
		g = &ctl->gsis[ctl->def.n_gsis++];
		*g = (dyntable_gsi_def){ .name = sp.name,
			.projection = sp.projection,
			.non_key_attributes = sp.nka,
			.n_non_key_attributes = sp.n_nka,
			.read_capacity = sp.rcu, .write_capacity = sp.wcu };
		memcpy(g->partition_keys, sp.pk, sizeof sp.pk);
		memcpy(g->sort_keys, sp.sk, sizeof sp.sk);
	} else {
		ctl->lsis = xrealloc(ctl->lsis, ctl->def.n_lsis + 1,
		    sizeof *ctl->lsis);
		l = &ctl->lsis[ctl->def.n_lsis++];
		*l = (dyntable_lsi_def){ .name = sp.name, .sort_key = sp.sk[0],
			.projection = sp.projection,
			.non_key_attributes = sp.nka,
			.n_non_key_attributes = sp.n_nka };
	}
	return CTL_CONTINUE;
}

/* Takes the value of verb_opts[i]. Returns CTL_CONTINUE or CTL_USAGE. */
static int
parse_value(struct ctl *ctl, size_t i, char *arg)
{
	static const char *const classes[] = { NULL, "STANDARD",
		"STANDARD_INFREQUENT_ACCESS" };
	static const char *const keys[] = { "AWS_OWNED", "AWS_MANAGED",
		"CUSTOMER_MANAGED" };
	static const char *const views[] = { NULL, "NEW_IMAGE", "OLD_IMAGE",
		"NEW_AND_OLD_IMAGES", "KEYS_ONLY" };
	const struct verb *v = ctl->verb;
	const char *name = verb_opts[i].name;
	dyntable_table_options *o = &ctl->def.options;
	char *eq;
	int w;

	ctl->seen |= verb_opts[i].bit;
	if (arg != NULL && !utf8_ok(arg))
		return usage_error(v, "bad --%s: not valid UTF-8", name);
	switch (verb_opts[i].bit) {
	case O_PK:
	case O_SK:
		if (!parse_attr(arg, verb_opts[i].bit == O_PK ?
		    &ctl->def.partition_key : &ctl->def.sort_key))
			return usage_error(v, "bad --%s '%s': want NAME:TYPE, "
			    "TYPE being S, N or B", name, arg);
		break;
	case O_BILLING:
		if (strcasecmp(arg, "PAY_PER_REQUEST") == 0)
			o->billing_mode = DYNTABLE_PAY_PER_REQUEST;
		else if (strcasecmp(arg, "PROVISIONED") == 0)
			o->billing_mode = DYNTABLE_PROVISIONED;
		else
			return usage_error(v, "bad --billing-mode '%s': want "
			    "PAY_PER_REQUEST or PROVISIONED", arg);
		break;
	case O_RCU:
	case O_WCU:
		if (!parse_units(arg, verb_opts[i].bit == O_RCU ?
		    &o->read_capacity : &o->write_capacity))
			return usage_error(v, "bad --%s '%s': want a whole "
			    "number of at least 1", name, arg);
		break;
	case O_TIMEOUT:
		if (!parse_seconds(arg, &ctl->timeout_ms))
			return usage_error(v, "bad --timeout '%s': want "
			    "seconds above 0, e.g. 30 or 0.5", arg);
		break;
	case O_CLASS:
		if ((w = parse_word(arg, classes, 3)) < 0)
			return usage_error(v, "bad --table-class '%s': want "
			    "STANDARD or STANDARD_INFREQUENT_ACCESS", arg);
		o->table_class = (dyntable_table_class)w;
		break;
	case O_ENCRYPTION:
		if ((w = parse_word(arg, keys, 3)) < 0)
			return usage_error(v, "bad --encryption '%s': want "
			    "AWS_OWNED, AWS_MANAGED or CUSTOMER_MANAGED", arg);
		o->encryption = (dyntable_encryption)w;
		break;
	case O_KMS_KEY:
		o->kms_key_id = arg;
		break;
	case O_STREAM:
		if ((w = parse_word(arg, views, 5)) < 0)
			return usage_error(v, "bad --stream '%s': want NEW_IMAGE, "
			    "OLD_IMAGE, NEW_AND_OLD_IMAGES or KEYS_ONLY", arg);
		o->stream = (dyntable_stream)w;
		break;
	case O_PROTECT:
		o->deletion_protection = true;
		break;
	case O_EPHEMERAL:
		o->ephemeral = true;
		break;
	case O_TAG:
		if ((eq = strchr(arg, '=')) == NULL)
			return usage_error(v, "bad --tag '%s': want KEY=VALUE",
			    arg);
		*eq = '\0';
		ctl->tags = xrealloc(ctl->tags, o->n_tags + 1,
		    sizeof *ctl->tags);
		ctl->tags[o->n_tags++] = (dyntable_tag){ arg, eq + 1 };
		break;
	case O_GSI:
	case O_LSI:
		return add_index(ctl, name, arg, verb_opts[i].bit == O_GSI);
	case O_INPUT:
		ctl->input_path = arg;
		break;
	case O_MODEL:
		ctl->model_path = arg;
		break;
	default:
		break;
	}
	return CTL_CONTINUE;
}

static int
take_table(struct ctl *ctl, const char *arg)
{
	if (!ctl->verb->takes_table || ctl->table != NULL)
		return usage_error(ctl->verb, "unexpected argument '%s'", arg);
	if (*arg == '\0')
		return usage_error(ctl->verb, "TABLE is empty");
	if ((ctl->verb->opts & O_INPUT) && !utf8_ok(arg))
		return usage_error(ctl->verb, "TABLE is not valid UTF-8");
	ctl->table = arg;
	return CTL_CONTINUE;
}

/* create's rules between options. */
static int
check_create(struct ctl *ctl)
{
	const struct verb *v = ctl->verb;
	dyntable_table_options *o = &ctl->def.options;
	unsigned s = ctl->seen;

	if ((s & O_INPUT) && (s & O_MODEL))
		return usage_error(v, "--input-json and --model exclude each "
		    "other");
	if ((s & O_MODEL) && (s & O_SCHEMA))
		return usage_error(v, "--pk, --sk, --gsi and --lsi cannot be "
		    "used with --model: the model defines the schema");
	if (!(s & (O_INPUT | O_MODEL))) {
		if (ctl->table == NULL)
			return usage_error(v, "TABLE missing");
		if (!(s & O_PK))
			return usage_error(v, "--pk is required");
	}
	/* With --input-json the file may say PROVISIONED: see merge_flags. */
	if ((s & O_EPHEMERAL) && (s & O_INPUT))
		return usage_error(v, "--ephemeral cannot be used with "
		    "--input-json (use flags or --model)");
	if ((s & (O_RCU | O_WCU)) && !(s & O_INPUT) &&
	    o->billing_mode != DYNTABLE_PROVISIONED)
		return usage_error(v, "--rcu and --wcu need --billing-mode "
		    "PROVISIONED: a PAY_PER_REQUEST table has no provisioned "
		    "capacity");
	if ((s & O_KMS_KEY) &&
	    o->encryption != DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED)
		return usage_error(v, "--kms-key-id needs --encryption "
		    "CUSTOMER_MANAGED: the other key types take no key id");
	if (o->encryption == DYNTABLE_ENCRYPTION_CUSTOMER_MANAGED &&
	    !(s & O_KMS_KEY))
		return usage_error(v, "--encryption CUSTOMER_MANAGED needs "
		    "--kms-key-id KEY");
	ctl->def.name = ctl->table;
	ctl->def.gsis = ctl->gsis;
	ctl->def.lsis = ctl->lsis;
	o->tags = ctl->tags;
	return CTL_CONTINUE;
}

/* The rules between options, once all are read. */
static int
check_verb(struct ctl *ctl)
{
	const struct verb *v = ctl->verb;

	if ((v->opts & O_WAIT) && (ctl->seen & O_TIMEOUT) &&
	    !(ctl->seen & O_WAIT))
		return usage_error(v, "--timeout needs --wait");
	if ((v->opts & O_WAIT) && (ctl->seen & O_TABLE_ONLY) &&
	    !(ctl->seen & O_WAIT))
		return usage_error(v, "--table-only needs --wait");
	if ((ctl->seen & O_TABLE_ONLY) && (ctl->seen & O_DELETED))
		return usage_error(v, "--table-only and --deleted exclude "
		    "each other");
	if (v->opts & O_PK)
		return check_create(ctl);
	if (v->takes_table && ctl->table == NULL)
		return usage_error(v, "TABLE missing");
	return CTL_CONTINUE;
}

/*
 * Parses the verb's own arguments; argv[0] is the verb. Options and TABLE
 * may come in any order (getopt's "-": non-options come back as 1, even
 * under POSIXLY_CORRECT). Returns CTL_CONTINUE, or the exit code.
 */
static int
parse_verb(struct ctl *ctl, int argc, char **argv)
{
	const struct verb *v = ctl->verb;
	struct option lo[N_VERB_OPTS + 2];
	size_t n = 0;
	char buf[8];
	int ch, rc;

	for (size_t i = 0; i < N_VERB_OPTS; i++)
		if (v->opts & verb_opts[i].bit)
			lo[n++] = (struct option){ verb_opts[i].name,
				verb_opts[i].arg ? required_argument :
				no_argument, NULL, OPT_VAL_BASE + (int)i };
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };

	optind = 0; /* glibc: start afresh on a new argv */
	while ((ch = getopt_long(argc, argv, "-:h", lo, NULL)) != -1) {
		switch (ch) {
		case 1:
			rc = take_table(ctl, optarg);
			break;
		case 'h':
			print_verb_help(v);
			return CTL_OK;
		case ':':
			return usage_error(v, "option '%s' needs an argument",
			    argv[optind - 1]);
		case '?':
			return usage_error(v, "unknown or malformed option '%s'",
			    bad_option(argv, buf, sizeof buf));
		default:
			rc = parse_value(ctl, (size_t)(ch - OPT_VAL_BASE),
			    optarg);
			break;
		}
		if (rc != CTL_CONTINUE)
			return rc;
	}
	for (; optind < argc; optind++) /* after "--" */
		if ((rc = take_table(ctl, argv[optind])) != CTL_CONTINUE)
			return rc;
	return check_verb(ctl);
}

/* What dyntable_connect(NULL) connects to, for messages. */
static const char *
socket_path(const char *arg)
{
	const char *env = getenv("DYNTABLE_SOCKET");

	if (arg != NULL)
		return arg;
	return env != NULL && *env != '\0' ? env : DYNTABLE_DEFAULT_SOCKET;
}

/* The reason a connect failed; the library's text may already begin with
 * "connect to PATH: ", which our message says once. */
static const char *
connect_reason(const dyntable_ctx *c, const char *path)
{
	static const char pre[] = "connect to ";
	const char *msg = dyntable_errstr(c);
	size_t n = strlen(path);

	if (msg == NULL || *msg == '\0')
		return dyntable_status_name(dyntable_errcode(c));
	if (strncmp(msg, pre, sizeof pre - 1) == 0 &&
	    strncmp(msg + sizeof pre - 1, path, n) == 0 &&
	    strncmp(msg + sizeof pre - 1 + n, ": ", 2) == 0)
		return msg + sizeof pre - 1 + n + 2;
	return msg;
}

/* Runs the parsed verb: prepares, connects (unless --dry-run), runs. */
static int
run_verb(struct ctl *ctl, const char *sock, dyntable_connect_options *conn)
{
	const char *path;
	dyntable_ctx *c;
	int rc;

	if (ctl->verb->prepare != NULL &&
	    (rc = ctl->verb->prepare(ctl)) != CTL_CONTINUE)
		return rc;
	if (ctl->seen & O_DRY_RUN)
		rc = ctl->verb->run(NULL, ctl);
	else {
		conn->path = sock;
		if ((c = dyntable_connect_opts(conn)) == NULL)
			oom();
		if (dyntable_errcode(c) != DYNTABLE_OK) {
			path = socket_path(sock);
			fprintf(stderr, PROG ": cannot connect to %s: ", path);
			put_oneline(stderr, connect_reason(c, path));
			fputc('\n', stderr);
			dyntable_free(c);
			return CTL_UNREACHABLE;
		}
		rc = ctl->verb->run(c, ctl);
		dyntable_free(c);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": cannot write the output: %s\n",
		    strerror(errno));
		if (rc == CTL_OK || rc == CTL_ABSENT)
			rc = CTL_FAILED;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option gopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "session", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .verb = NULL };
	dyntable_connect_options conn = { NULL };
	const char *sock = NULL;
	char buf[8];
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", gopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'n':
			conn.ns = optarg;
			break;
		case 'S':
			conn.session = optarg;
			break;
		case 'h':
			print_help();
			return CTL_OK;
		case 'V':
			printf(PROG " %s (libdyntable %s)\n",
			    DYNTABLE_VERSION_STRING, dyntable_version());
			return CTL_OK;
		case ':':
			return usage_error(NULL, "option '%s' needs an "
			    "argument", argv[optind - 1]);
		default:
			return usage_error(NULL, "unknown option '%s'",
			    bad_option(argv, buf, sizeof buf));
		}
	}
	if (optind >= argc)
		return usage_error(NULL, "no verb given");
	for (ctl.verb = verbs; ctl.verb->name != NULL; ctl.verb++)
		if (strcmp(ctl.verb->name, argv[optind]) == 0)
			break;
	if (ctl.verb->name == NULL)
		return usage_error(NULL, "unknown verb '%s'", argv[optind]);
	rc = parse_verb(&ctl, argc - optind, argv + optind);
	if (rc == CTL_CONTINUE)
		rc = run_verb(&ctl, sock, &conn);
	ctl_free(&ctl);
	return rc;
}
