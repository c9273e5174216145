/* SPDX-License-Identifier: MIT */
/*
 * dyntablectl: the command line. Options are rows of verb_opts[]; a verb's
 * row in verbs[] lists those it takes. Everything the user typed is parsed
 * and checked here, before any connection: SPECs, values, the rules
 * between options, the --input-json document (with the flags applied
 * over it) and the --model file (parsed by libdyntable).
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

/* The words some options take, NULL-terminated: parse_value() reads
 * them, and shell completion offers them (complete.c). A word's index is
 * its enum value (billing, encryption), or one less (table class and
 * stream, whose 0 means "not set"). */
static const char *const type_words[] = { "S", "N", "B", NULL };
static const char *const billing_words[] = { "PAY_PER_REQUEST",
	"PROVISIONED", NULL };
static const char *const class_words[] = { "STANDARD",
	"STANDARD_INFREQUENT_ACCESS", NULL };
static const char *const key_words[] = { "AWS_OWNED", "AWS_MANAGED",
	"CUSTOMER_MANAGED", NULL };
static const char *const view_words[] = { "NEW_IMAGE", "OLD_IMAGE",
	"NEW_AND_OLD_IMAGES", "KEYS_ONLY", NULL };

const struct verb_opt verb_opts[] = {
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
	{ "json", NULL, O_JSON, "print the answer as JSON (create, describe, "
	    "list, delete: what `aws dynamodb` prints)" },
	{ "force", NULL, O_FORCE,
	    "truncate a table even though it has deletion protection" },
	{ "name", "LOGICAL", O_NAME,
	    "also name the leased table LOGICAL (in the namespace) until it "
	    "is released" },
	{ "on", NULL, O_ON, "ttl, pitr: enable" },
	{ "off", NULL, O_OFF, "ttl, pitr: disable" },
	{ "attribute", "NAME", O_ATTRIBUTE,
	    "ttl: the attribute holding each item's expiry time" },
	{ "days", "N", O_DAYS,
	    "pitr --on: the recovery period, 1 to 35 days (default 35)" },
	{ "key", "KEY", O_KEY, "untag: a tag key to remove (repeatable)" },
	{ "plan", NULL, O_PLAN,
	    "apply: print what would be done, per table and field; send no "
	    "change" },
	{ "prune", NULL, O_PRUNE,
	    "apply: delete the tables the file no longer lists (under its "
	    "prefix, or in the namespace; never one with deletion "
	    "protection)" },
};
#define N_VERB_OPTS (sizeof verb_opts / sizeof verb_opts[0])
const size_t n_verb_opts = N_VERB_OPTS;

/* The options that take a word of a list, with the list. */
static const struct {
	unsigned bit;
	const char *const *words;
} verb_opt_words[] = {
	{ O_PK, type_words }, { O_SK, type_words },
	{ O_BILLING, billing_words }, { O_CLASS, class_words },
	{ O_ENCRYPTION, key_words }, { O_STREAM, view_words },
};

const char *const *
verb_opt_values(unsigned bit)
{
	for (size_t i = 0; i < sizeof verb_opt_words /
	    sizeof verb_opt_words[0]; i++)
		if (verb_opt_words[i].bit == bit)
			return verb_opt_words[i].words;
	return NULL;
}
#define OPT_VAL_BASE 256 /* getopt value of verb_opts[i]: base + i */

/* ---- memory ------------------------------------------------------------ */

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
void *
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

void
ctl_free(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->n_owned; i++)
		free(ctl->owned[i]);
	free(ctl->owned);
	free(ctl->gsis);
	free(ctl->lsis);
	free(ctl->tags);
	free(ctl->keys);
	json_decref(ctl->input);
	dyntable_model_free(ctl->model);
}

/* Whether jansson takes s: JSON strings must be UTF-8. */
static bool
utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/* ---- create: --input-json with flags over it --------------------------- */

/*
 * The flags over a CreateTableInput file go through libdyntable's one
 * builder: merge_flags() builds the definition the flags stand for (what
 * they leave out taken from the file) with dyntable_table_def_json(), then
 * copies into the file's document only the members the flags given stand
 * for. See dyntablectl(1) (man/dyntablectl.1.in) and `create --help`.
 */

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

/* Appends to out the RANGE elements of KeySchema ks (range), or the
 * others: anything that is not RANGE stays with the HASH ones, for the
 * daemon to judge. */
static void
take_keys(json_t *out, const json_t *ks, bool range)
{
	json_t *e;
	size_t i;

	json_array_foreach(ks, i, e)
		if (is_key_type(e, "RANGE") == range)
			push(out, json_incref(e));
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

/* Whether the flags (--pk, --sk, --gsi, --lsi) type attribute name; the
 * first type they give it into *t. */
static bool
flag_type(const struct ctl *ctl, const char *name, dyntable_type *t)
{
	const dyntable_table_def *d = &ctl->def;
	const dyntable_attr *a[2 + 2 * DYNTABLE_INDEX_KEYS_MAX];
	size_t n, i, k;

	for (i = 0; i <= d->n_gsis + d->n_lsis; i++) {
		n = 0;
		if (i == 0) {
			if (ctl->seen & O_PK)
				a[n++] = &d->partition_key;
			if (ctl->seen & O_SK)
				a[n++] = &d->sort_key;
		} else if (i <= d->n_gsis) {
			for (k = 0; k < DYNTABLE_INDEX_KEYS_MAX; k++) {
				a[n++] = &d->gsis[i - 1].partition_keys[k];
				a[n++] = &d->gsis[i - 1].sort_keys[k];
			}
		} else
			a[n++] = &d->lsis[i - 1 - d->n_gsis].sort_key;
		for (k = 0; k < n; k++)
			if (a[k]->name != NULL && strcmp(a[k]->name, name) == 0) {
				*t = a[k]->type;
				return true;
			}
	}
	return false;
}

/*
 * The file's key of key_type for the definition: its name from KeySchema,
 * its type from the flags where they name it. A key they do not name keeps
 * the file's AttributeDefinitions (merged_attr_defs), so the S it gets here
 * for the library never reaches the document. Nor does the stand-in name
 * of a HASH key the file lacks, unless --lsi puts it in the indexes: then
 * the library refuses the definition, as the daemon would the file.
 */
static void
file_key(const struct ctl *ctl, const json_t *in, const char *key_type,
    dyntable_attr *a)
{
	a->name = key_of(json_object_get(in, "KeySchema"), key_type);
	if (a->name == NULL && strcmp(key_type, "HASH") == 0 &&
	    !(ctl->seen & O_LSI))
		a->name = "-";
	if (a->name != NULL && !flag_type(ctl, a->name, &a->type))
		a->type = DYNTABLE_S;
}

/* A capacity of the file's ProvisionedThroughput; 0 (the library's 5)
 * when it has none. */
static long long
file_units(const json_t *in, const char *member)
{
	const json_t *v = json_object_get(json_object_get(in,
	    "ProvisionedThroughput"), member);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/*
 * The CreateTableInput the flags stand for, through libdyntable, into
 * *doc: the keys the flags leave out and the capacities come from the
 * file. Returns CTL_CONTINUE, or the exit code after printing the
 * library's refusal.
 */
static int
flags_doc(const struct ctl *ctl, bool provisioned, json_t **doc)
{
	const json_t *in = ctl->input;
	dyntable_table_def d = ctl->def;
	char err[512], *text;
	dyntable_status st;

	d.name = ctl->table;
	if (!(ctl->seen & O_PK))
		file_key(ctl, in, "HASH", &d.partition_key);
	if (!(ctl->seen & O_SK))
		file_key(ctl, in, "RANGE", &d.sort_key);
	d.options.billing_mode = provisioned ? DYNTABLE_PROVISIONED :
	    DYNTABLE_PAY_PER_REQUEST;
	if (provisioned && !(ctl->seen & O_RCU))
		d.options.read_capacity = file_units(in, "ReadCapacityUnits");
	if (provisioned && !(ctl->seen & O_WCU))
		d.options.write_capacity = file_units(in,
		    "WriteCapacityUnits");
	st = dyntable_table_def_json(&d, &text, err, sizeof err);
	if (st == DYNTABLE_ERR_NOMEM)
		oom();
	if (st != DYNTABLE_OK) {
		print_error(ctl, dyntable_status_name(st), err);
		return status_exit(st);
	}
	*doc = must(json_loads(text, 0, NULL));
	free(text);
	return CTL_CONTINUE;
}

/* in[member] = doc[member], or no member when doc has none. */
static void
take_member(json_t *in, const json_t *doc, const char *member)
{
	json_t *v = json_object_get(doc, member);

	if (v != NULL)
		put(in, member, json_incref(v));
	else
		json_object_del(in, member);
}

/*
 * AttributeDefinitions for the merged document: exactly the attributes
 * its key schemas use, as doc (the flags' document) defines them where
 * the flags name them, else as the file does.
 */
static json_t *
merged_attr_defs(const struct ctl *ctl, const json_t *in, const json_t *doc)
{
	const json_t *ix, *e, *src;
	json_t *out = must(json_array());
	const char **used = NULL, *name;
	size_t n_used = 0, i, j;
	dyntable_type t;

	collect_keys(json_object_get(in, "KeySchema"), &used, &n_used);
	json_array_foreach(json_object_get(in, "GlobalSecondaryIndexes"), i,
	    ix)
		collect_keys(json_object_get(ix, "KeySchema"), &used, &n_used);
	json_array_foreach(json_object_get(in, "LocalSecondaryIndexes"), i,
	    ix)
		collect_keys(json_object_get(ix, "KeySchema"), &used, &n_used);
	for (i = 0; i < n_used; i++) {
		src = flag_type(ctl, used[i], &t) ? doc : in;
		json_array_foreach(json_object_get(src,
		    "AttributeDefinitions"), j, e)
			if ((name = json_string_value(json_object_get(e,
			    "AttributeName"))) != NULL &&
			    strcmp(name, used[i]) == 0)
				push(out, json_deep_copy(e));
	}
	free(used);
	return out;
}

/*
 * Applies the flags to the CreateTableInput in ctl->input, AWS CLI style:
 * the member a flag stands for replaces the file's. Returns CTL_CONTINUE
 * or the exit code.
 */
static int
merge_flags(struct ctl *ctl)
{
	json_t *in = ctl->input, *doc = NULL, *pt, *g, *ks;
	unsigned s = ctl->seen;
	const char *billing;
	bool provisioned;
	size_t i;
	int rc;

	if (ctl->table != NULL)
		put(in, "TableName", json_string(ctl->table));
	else if (json_is_string(json_object_get(in, "TableName")))
		ctl->table = json_string_value(json_object_get(in,
		    "TableName"));
	else
		return usage_error(ctl->verb, "TABLE missing, and %s has no "
		    "TableName", ctl->input_path);

	billing = json_string_value(json_object_get(in, "BillingMode"));
	/* A file without BillingMode means PROVISIONED, as to DynamoDB. */
	provisioned = (s & O_BILLING) ? ctl->def.options.billing_mode ==
	    DYNTABLE_PROVISIONED : billing == NULL ||
	    strcmp(billing, "PROVISIONED") == 0;
	if ((s & (O_RCU | O_WCU)) && !provisioned)
		return usage_error(ctl->verb, "--rcu and --wcu need "
		    "BillingMode PROVISIONED (from --billing-mode or %s): a "
		    "PAY_PER_REQUEST table has no provisioned capacity",
		    ctl->input_path);
	if (!(s & O_MEMBERS))
		return CTL_CONTINUE;
	if ((rc = flags_doc(ctl, provisioned, &doc)) != CTL_CONTINUE)
		return rc;

	if (s & (O_PK | O_SK)) {
		ks = must(json_array());
		take_keys(ks, json_object_get((s & O_PK) ? doc : in,
		    "KeySchema"), false);
		take_keys(ks, json_object_get((s & O_SK) ? doc : in,
		    "KeySchema"), true);
		put(in, "KeySchema", ks);
	}

	/* Billing: a mode from the flags drops or fills in the capacities
	 * (the table's and its GSIs') that the file had for another mode. */
	if (s & O_BILLING)
		take_member(in, doc, "BillingMode");
	if (provisioned && (s & (O_BILLING | O_RCU | O_WCU))) {
		pt = json_object_get(in, "ProvisionedThroughput");
		if (!json_is_object(pt)) {
			pt = must(json_object());
			put(in, "ProvisionedThroughput", pt);
		}
		if ((s & O_RCU) || !json_object_get(pt, "ReadCapacityUnits"))
			take_member(pt, json_object_get(doc,
			    "ProvisionedThroughput"), "ReadCapacityUnits");
		if ((s & O_WCU) || !json_object_get(pt, "WriteCapacityUnits"))
			take_member(pt, json_object_get(doc,
			    "ProvisionedThroughput"), "WriteCapacityUnits");
	}
	if ((s & O_BILLING) && !(s & O_GSI))
		json_array_foreach(json_object_get(in,
		    "GlobalSecondaryIndexes"), i, g) {
			if (!json_is_object(g))
				continue;
			if (!provisioned)
				json_object_del(g, "ProvisionedThroughput");
			else if (!json_object_get(g, "ProvisionedThroughput"))
				put(g, "ProvisionedThroughput", json_deep_copy(
				    json_object_get(doc,
				    "ProvisionedThroughput")));
		}
	if ((s & O_BILLING) && !provisioned)
		json_object_del(in, "ProvisionedThroughput");

	if (s & O_GSI)
		take_member(in, doc, "GlobalSecondaryIndexes");
	if (s & O_LSI)
		take_member(in, doc, "LocalSecondaryIndexes");
	if (s & O_SCHEMA)
		put(in, "AttributeDefinitions", merged_attr_defs(ctl, in, doc));
	if (s & O_CLASS)
		take_member(in, doc, "TableClass");
	if (s & O_ENCRYPTION)
		take_member(in, doc, "SSESpecification");
	if (s & O_TAG)
		take_member(in, doc, "Tags");
	if (s & O_STREAM)
		take_member(in, doc, "StreamSpecification");
	if (s & O_PROTECT)
		take_member(in, doc, "DeletionProtectionEnabled");
	json_decref(doc);
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

/* Reads --input-json into ctl->input: a JSON object, what naming it. */
static int
load_input_object(struct ctl *ctl, const char *what)
{
	int rc = CTL_USAGE;

	if ((ctl->input = load_json(ctl, "input-json", ctl->input_path,
	    &rc)) == NULL)
		return rc;
	if (!json_is_object(ctl->input))
		return usage_error(ctl->verb, "bad --input-json %s: want a JSON "
		    "object (%s)", ctl->input_path, what);
	return CTL_CONTINUE;
}

static int
load_input(struct ctl *ctl)
{
	int rc = load_input_object(ctl, "a CreateTableInput");

	return rc != CTL_CONTINUE ? rc : merge_flags(ctl);
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

int
prepare_update(struct ctl *ctl)
{
	return load_input_object(ctl, "an UpdateTableInput");
}

int
prepare_apply(struct ctl *ctl)
{
	int rc = CTL_USAGE;

	if ((ctl->input = load_json(ctl, "FILE", ctl->table, &rc)) == NULL)
		return rc;
	return CTL_CONTINUE;
}

int
prepare_create(struct ctl *ctl)
{
	if (ctl->seen & O_INPUT)
		return load_input(ctl);
	if (ctl->seen & O_MODEL)
		return load_model(ctl);
	return CTL_CONTINUE;
}

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
    "  5  a wait's deadline passed\n"
    "  6  apply: a table differs from the file in what cannot change in\n"
    "     place (key schema, local indexes, an attribute's type, a global\n"
    "     index's keys); the rest was converged, nothing else failed\n";

void
print_help(const struct verb *table)
{
	printf("usage: " PROG " [--socket PATH] [--namespace NS] [--session "
	    "TOKEN] VERB [ARGS]\n"
	    "       " PROG " --help | --version\n"
	    "       " PROG " VERB --help\n\n"
	    "Table operations through dyntabled.\n\nVerbs:\n");
	for (const struct verb *v = table; v->name != NULL; v++)
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

/* The options v takes: its row's, and those every verb takes. */
static unsigned
verb_options(const struct verb *v)
{
	return v->opts | O_EVERY_VERB;
}

static void
print_verb_help(const struct verb *v)
{
	char opt[64];

	printf("usage: " PROG " [--socket PATH] %s\n\n%s\n\nOptions:\n",
	    v->usage, v->about);
	for (size_t i = 0; i < N_VERB_OPTS; i++) {
		if (!(verb_options(v) & verb_opts[i].bit))
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
const char *
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

/* A word of a NULL-terminated list, case-insensitive: its index, or -1. */
static int
parse_word(const char *arg, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strcasecmp(arg, words[i]) == 0)
			return i;
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
	/* an LSI takes name, sk and projection: no pk, rcu or wcu */
	static const char *const gsi_keys[] = { "name", "pk", "sk",
		"projection", "rcu", "wcu", NULL };
	char *work = keep(ctl, strdup(arg)), *p = work, *part, *val;
	const char *why, *orig;
	unsigned seen = 0;
	char msg[160];
	int k, len;

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
		k = parse_word(part, gsi_keys);
		if (k < 0 || (!global && (k == 1 || k > 3))) {
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
	const struct verb *v = ctl->verb;
	const char *name = verb_opts[i].name;
	dyntable_table_options *o = &ctl->def.options;
	char *eq;
	int w;

	ctl->seen |= verb_opts[i].bit;
	if (verb_opts[i].arg == NULL) { /* a flag */
		if (verb_opts[i].bit == O_PROTECT)
			o->deletion_protection = true;
		else if (verb_opts[i].bit == O_EPHEMERAL)
			o->ephemeral = true;
		return CTL_CONTINUE;
	}
	/* getopt_long gives a value to every option that takes one. */
	if (arg == NULL)
		return usage_error(v, "option --%s needs a value", name);
	if (!utf8_ok(arg))
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
		if ((w = parse_word(arg, billing_words)) < 0)
			return usage_error(v, "bad --billing-mode '%s': want "
			    "PAY_PER_REQUEST or PROVISIONED", arg);
		o->billing_mode = (dyntable_billing)w;
		break;
	case O_RCU:
	case O_WCU:
		if (!parse_units(arg, verb_opts[i].bit == O_RCU ?
		    &o->read_capacity : &o->write_capacity))
			return usage_error(v, "bad --%s '%s': want a whole "
			    "number of at least 1", name, arg);
		break;
	case O_NAME:
		if (*arg == '\0')
			return usage_error(v, "--name is empty");
		ctl->logical = arg;
		break;
	case O_TIMEOUT:
		if (!parse_seconds(arg, &ctl->timeout_ms))
			return usage_error(v, "bad --timeout '%s': want "
			    "seconds above 0, e.g. 30 or 0.5", arg);
		break;
	case O_CLASS:
		if ((w = parse_word(arg, class_words)) < 0)
			return usage_error(v, "bad --table-class '%s': want "
			    "STANDARD or STANDARD_INFREQUENT_ACCESS", arg);
		/* 0 is DYNTABLE_TABLE_CLASS_DEFAULT, not sent */
		o->table_class = (dyntable_table_class)(w + 1);
		break;
	case O_ENCRYPTION:
		if ((w = parse_word(arg, key_words)) < 0)
			return usage_error(v, "bad --encryption '%s': want "
			    "AWS_OWNED, AWS_MANAGED or CUSTOMER_MANAGED", arg);
		o->encryption = (dyntable_encryption)w;
		break;
	case O_KMS_KEY:
		o->kms_key_id = arg;
		break;
	case O_STREAM:
		if ((w = parse_word(arg, view_words)) < 0)
			return usage_error(v, "bad --stream '%s': want NEW_IMAGE, "
			    "OLD_IMAGE, NEW_AND_OLD_IMAGES or KEYS_ONLY", arg);
		/* 0 is DYNTABLE_STREAM_NONE */
		o->stream = (dyntable_stream)(w + 1);
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
	case O_ATTRIBUTE:
		ctl->attribute = arg;
		break;
	case O_DAYS: {
		long long d;

		if (!parse_units(arg, &d) || d > 35)
			return usage_error(v, "bad --days '%s': want 1 to 35",
			    arg);
		ctl->days = (unsigned)d;
		break;
	}
	case O_KEY:
		ctl->keys = xrealloc(ctl->keys, ctl->n_keys + 1,
		    sizeof *ctl->keys);
		ctl->keys[ctl->n_keys++] = arg;
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
		if (ctl->table == NULL && v->takes_table)
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
	if ((ctl->seen & O_ON) && (ctl->seen & O_OFF))
		return usage_error(v, "--on and --off exclude each other");
	if ((v->opts & O_ATTRIBUTE) && (ctl->seen & (O_ON | O_OFF)) &&
	    !(ctl->seen & O_ATTRIBUTE))
		return usage_error(v, "--on and --off need --attribute NAME");
	if ((ctl->seen & O_DAYS) && !(ctl->seen & O_ON))
		return usage_error(v, "--days needs --on");
	if ((v->opts & O_INPUT) && !(ctl->seen & O_INPUT))
		return usage_error(v, "--input-json FILE is required");
	if ((v->opts & O_KEY) && ctl->n_keys == 0)
		return usage_error(v, "give at least one --key");
	if ((v->opts & O_TAG) && ctl->def.options.n_tags == 0)
		return usage_error(v, "give at least one --tag KEY=VALUE");
	return CTL_CONTINUE;
}

/*
 * Parses the verb's own arguments; argv[0] is the verb. Options and TABLE
 * may come in any order (getopt's "-": non-options come back as 1, even
 * under POSIXLY_CORRECT). Returns CTL_CONTINUE, or the exit code.
 */
int
parse_verb(struct ctl *ctl, int argc, char **argv)
{
	const struct verb *v = ctl->verb;
	struct option lo[N_VERB_OPTS + 2];
	size_t n = 0;
	char buf[8];
	int ch, rc;

	for (size_t i = 0; i < N_VERB_OPTS; i++)
		if (verb_options(v) & verb_opts[i].bit)
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

