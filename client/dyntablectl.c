/*
 * dyntablectl: the admin CLI for dyntabled.
 *
 * Table-driven like smtpctl: each verb is a row of verbs[] naming the
 * options it takes and a handler that sends one request through the
 * blocking API of libdyntable. Every handler hands its result to
 * print_result(), the one place that prints answers and errors and picks
 * the exit code (CTL_*, documented in --help).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
};

static const struct verb_opt {
	const char *name;
	const char *arg; /* the argument's name, NULL for a flag */
	unsigned bit;
	const char *help;
} verb_opts[] = {
	{ "pk", "NAME:TYPE", O_PK,
	    "partition key; TYPE is S, N or B (or STRING, NUMBER, BINARY)" },
	{ "sk", "NAME:TYPE", O_SK, "sort key, typed like --pk" },
	{ "billing-mode", "MODE", O_BILLING,
	    "PAY_PER_REQUEST (the default) or PROVISIONED" },
	{ "rcu", "N", O_RCU, "read capacity units, PROVISIONED only (default 5)" },
	{ "wcu", "N", O_WCU, "write capacity units, PROVISIONED only (default 5)" },
	{ "wait", NULL, O_WAIT, "answer only once the operation is complete" },
	{ "timeout", "SECONDS", O_TIMEOUT,
	    "give up waiting after SECONDS (decimals allowed; default 60)" },
	{ "deleted", NULL, O_DELETED,
	    "wait until the table is gone instead of ACTIVE" },
	{ "json", NULL, O_JSON, "print what `aws dynamodb` prints, as JSON" },
};
#define N_VERB_OPTS (sizeof verb_opts / sizeof verb_opts[0])
#define OPT_VAL_BASE 256 /* getopt value of verb_opts[i]: base + i */

struct ctl;

/* A row of verbs[], below the handlers. */
struct verb {
	const char *name;
	int (*run)(dyntable_ctx *c, const struct ctl *ctl);
	const char *usage; /* arguments after the verb */
	const char *about;
	unsigned opts;	  /* O_* accepted */
	bool takes_table; /* one TABLE argument, else none */
};

/* The command line, parsed and checked. */
struct ctl {
	const struct verb *verb;
	const char *table;	/* TABLE; NULL for list */
	unsigned seen;		/* O_* options given */
	unsigned timeout_ms;	/* --timeout; 0: the daemon's default */
	dyntable_table_def def; /* create */
};

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
		s = json_dumps(top, JSON_INDENT(4) | JSON_PRESERVE_ORDER |
		    JSON_REAL_PRECISION(json_digits(top)));
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

/* A TableDescription (compact JSON from the library) under key. */
static int
print_table_json(const struct ctl *ctl, const char *key, const char *doc)
{
	json_error_t jerr;
	json_t *desc = json_loads(doc, JSON_REJECT_DUPLICATES, &jerr);
	char msg[sizeof jerr.text + 64];

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

/* The human summary of a table (create, describe). */
static void
print_table(const dyntable_table *t)
{
	/* DynamoDB omits BillingModeSummary for provisioned tables. */
	const char *billing = t->billing_mode ? t->billing_mode : "PROVISIONED";
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
	if (t->deletion_protection)
		print_field("Protection:", "deletion protection enabled");
	if (t->n_gsi == 0 && t->n_lsi == 0)
		print_field("Indexes:", "none");
	for (size_t i = 0; i < t->n_gsi; i++)
		print_index("Global index:", &t->gsi[i]);
	for (size_t i = 0; i < t->n_lsi; i++)
		print_index("Local index:", &t->lsi[i]);
	print_field("Items:", "%lld (%lld bytes)", t->item_count,
	    t->size_bytes);
	if (t->creation_time > 0 && gmtime_r(&when, &tm) != NULL &&
	    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		print_field("Created:", "%s", created);
	print_field("ARN:", "%s", t->arn ? t->arn : "?");
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
	if (t == NULL || (json && t->json == NULL)) {
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_PROTOCOL),
		    "the answer carries no table description");
		return CTL_FAILED;
	}
	if (json)
		return print_table_json(ctl, r->op == DYNTABLE_OP_DESCRIBE_TABLE ?
		    "Table" : "TableDescription", t->json);
	print_table(t);
	return CTL_OK;
}

/* Prints r (or its error), frees it and returns the exit code. */
static int
print_result(const struct ctl *ctl, dyntable_result *r)
{
	int rc;

	if (r == NULL) {
		print_error(ctl, dyntable_status_name(DYNTABLE_ERR_NOMEM),
		    "out of memory");
		return CTL_FAILED;
	}
	if (r->status == DYNTABLE_OK)
		rc = print_ok(ctl, r);
	else {
		print_error(ctl, r->aws_type ? r->aws_type :
		    dyntable_status_name(r->status), r->message);
		rc = status_exit(r->status);
	}
	dyntable_result_free(r);
	return rc;
}

/* ---- verbs ------------------------------------------------------------- */

static const dyntable_wait_opts *
wait_opts(const struct ctl *ctl, dyntable_wait_opts *w)
{
	w->timeout_ms = ctl->timeout_ms;
	return (ctl->seen & O_WAIT) ? w : NULL;
}

static int
cmd_create(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_wait_opts w;

	return print_result(ctl, dyntable_sync_create_table(c, &ctl->def,
	    wait_opts(ctl, &w)));
}

static int
cmd_exists(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(ctl, dyntable_sync_table_exists(c, ctl->table));
}

static int
cmd_describe(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(ctl, dyntable_sync_describe_table(c, ctl->table));
}

static int
cmd_list(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(ctl, dyntable_sync_list_tables(c));
}

static int
cmd_delete(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_wait_opts w;

	return print_result(ctl, dyntable_sync_delete_table(c, ctl->table,
	    wait_opts(ctl, &w)));
}

static int
cmd_wait(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(ctl, (ctl->seen & O_DELETED) ?
	    dyntable_sync_wait_for_table_deleted(c, ctl->table, ctl->timeout_ms) :
	    dyntable_sync_wait_for_table_active(c, ctl->table, ctl->timeout_ms));
}

static const struct verb verbs[] = {
	{ "create", cmd_create,
	    "create TABLE --pk NAME:TYPE [--sk NAME:TYPE]"
	    " [--billing-mode PAY_PER_REQUEST|PROVISIONED] [--rcu N --wcu N]"
	    " [--wait] [--timeout SECONDS] [--json]",
	    "Create a table; print its description.",
	    O_PK | O_SK | O_BILLING | O_RCU | O_WCU | O_WAIT | O_TIMEOUT |
	    O_JSON, true },
	{ "exists", cmd_exists, "exists TABLE",
	    "Exit 0 if the table exists (printing its status), 1 if not.",
	    0, true },
	{ "describe", cmd_describe, "describe TABLE [--json]",
	    "Print a table's description.", O_JSON, true },
	{ "list", cmd_list, "list [--json]",
	    "Print the name of every table, one a line.", O_JSON, false },
	{ "delete", cmd_delete,
	    "delete TABLE [--wait] [--timeout SECONDS] [--json]",
	    "Delete a table.", O_WAIT | O_TIMEOUT | O_JSON, true },
	{ "wait", cmd_wait, "wait TABLE [--deleted] [--timeout SECONDS]",
	    "Wait until a table (and its indexes) is ACTIVE, or is gone.",
	    O_DELETED | O_TIMEOUT, true },
	{ NULL, NULL, NULL, NULL, 0, false },
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
	printf("usage: " PROG " [--socket PATH] VERB [ARGS]\n"
	    "       " PROG " --help | --version\n"
	    "       " PROG " VERB --help\n\n"
	    "Table operations through dyntabled.\n\nVerbs:\n");
	for (const struct verb *v = verbs; v->name != NULL; v++)
		printf("  %s\n      %s\n", v->usage, v->about);
	printf("\nOptions:\n"
	    "  --socket PATH  the daemon's socket (default: $DYNTABLE_SOCKET,\n"
	    "                 else " DYNTABLE_DEFAULT_SOCKET ")\n"
	    "  -h, --help     print this help\n"
	    "  --version      print the versions of " PROG " and libdyntable\n"
	    "\n%s", exit_text);
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
		printf("  %-22s %s\n", opt, verb_opts[i].help);
	}
	printf("  %-22s %s\n\n%s", "-h, --help", "print this help", exit_text);
}

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

/* "NAME:TYPE" into a; splits at the last ':' (names may hold one). */
static bool
parse_attr(char *arg, dyntable_attr *a)
{
	static const struct {
		const char *word;
		dyntable_type type;
	} types[] = {
		{ "S", DYNTABLE_S }, { "STRING", DYNTABLE_S },
		{ "N", DYNTABLE_N }, { "NUMBER", DYNTABLE_N },
		{ "B", DYNTABLE_B }, { "BINARY", DYNTABLE_B },
	};
	char *colon = strrchr(arg, ':');

	if (colon == NULL || colon == arg)
		return false;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(colon + 1, types[i].word) == 0) {
			*colon = '\0'; /* argv strings are ours to modify */
			a->name = arg;
			a->type = types[i].type;
			return true;
		}
	return false;
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

/* Takes the value of verb_opts[i]. Returns CTL_CONTINUE or CTL_USAGE. */
static int
parse_value(struct ctl *ctl, size_t i, char *arg)
{
	const struct verb *v = ctl->verb;
	const char *name = verb_opts[i].name;

	ctl->seen |= verb_opts[i].bit;
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
			ctl->def.billing_mode = DYNTABLE_PAY_PER_REQUEST;
		else if (strcasecmp(arg, "PROVISIONED") == 0)
			ctl->def.billing_mode = DYNTABLE_PROVISIONED;
		else
			return usage_error(v, "bad --billing-mode '%s': want "
			    "PAY_PER_REQUEST or PROVISIONED", arg);
		break;
	case O_RCU:
	case O_WCU:
		if (!parse_units(arg, verb_opts[i].bit == O_RCU ?
		    &ctl->def.read_capacity : &ctl->def.write_capacity))
			return usage_error(v, "bad --%s '%s': want a whole "
			    "number of at least 1", name, arg);
		break;
	case O_TIMEOUT:
		if (!parse_seconds(arg, &ctl->timeout_ms))
			return usage_error(v, "bad --timeout '%s': want "
			    "seconds above 0, e.g. 30 or 0.5", arg);
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
	ctl->table = arg;
	return CTL_CONTINUE;
}

/* The rules between options, once all are read. */
static int
check_verb(struct ctl *ctl)
{
	const struct verb *v = ctl->verb;

	if (v->takes_table && ctl->table == NULL)
		return usage_error(v, "TABLE missing");
	if ((v->opts & O_PK) && !(ctl->seen & O_PK))
		return usage_error(v, "--pk is required");
	if ((ctl->seen & (O_RCU | O_WCU)) &&
	    ctl->def.billing_mode != DYNTABLE_PROVISIONED)
		return usage_error(v, "--rcu and --wcu need --billing-mode "
		    "PROVISIONED: a PAY_PER_REQUEST table has no provisioned "
		    "capacity");
	if ((v->opts & O_WAIT) && (ctl->seen & O_TIMEOUT) &&
	    !(ctl->seen & O_WAIT))
		return usage_error(v, "--timeout needs --wait");
	ctl->def.name = ctl->table;
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

int
main(int argc, char **argv)
{
	static const struct option gopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .verb = NULL };
	const char *sock = NULL, *path;
	dyntable_ctx *c;
	char buf[8];
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", gopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
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
	if ((rc = parse_verb(&ctl, argc - optind, argv + optind)) !=
	    CTL_CONTINUE)
		return rc;

	if ((c = dyntable_connect(sock)) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return CTL_FAILED;
	}
	if (dyntable_errcode(c) != DYNTABLE_OK) {
		path = socket_path(sock);
		fprintf(stderr, PROG ": cannot connect to %s: ", path);
		put_oneline(stderr, connect_reason(c, path));
		fputc('\n', stderr);
		dyntable_free(c);
		return CTL_UNREACHABLE;
	}
	rc = ctl.verb->run(c, &ctl);
	dyntable_free(c);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": cannot write the output: %s\n",
		    strerror(errno));
		if (rc == CTL_OK || rc == CTL_ABSENT)
			rc = CTL_FAILED;
	}
	return rc;
}
