/* SPDX-License-Identifier: MIT */
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
 * dyntable_table_def), from a CreateTableInput file with the members the
 * flags stand for taken from libdyntable's document of the flags
 * (--input-json, options.c), or from a model file (--model, docs/MODEL.md,
 * read by libdyntable's dyntable_model_from_json).
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


#include "dyntablectl.h"

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

const struct verb verbs[] = {
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

/* The options before the verb; complete.c reads the values 's' and 'n'. */
static const struct option gopts[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "session", required_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct ctl ctl = { .verb = NULL };
	dyntable_connect_options conn = { NULL };
	const char *sock = NULL;
	char buf[8];
	int ch, rc;

	/* hidden: the shells' completion scripts call it (complete.c) */
	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return complete_main(argc - 2, argv + 2, gopts);
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
			print_help(verbs);
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

