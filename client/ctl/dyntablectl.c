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
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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

/* create: the definition from --input-json, --model or the SPECs. */
static dyntable_status
send_create(dyntable_ctx *c, const struct ctl *ctl, dyntable_cb *cb,
    void *arg)
{
	dyntable_wait_opts w;
	const dyntable_wait_opts *wo = wait_opts(ctl, &w);
	dyntable_status st;
	char *doc;

	if (ctl->input != NULL) {
		if ((doc = json_dumps(ctl->input, JSON_COMPACT |
		    JSON_PRESERVE_ORDER)) == NULL)
			oom();
		st = dyntable_create_table_json(c, doc, wo, cb, arg);
		free(doc);
		return st;
	}
	if (ctl->seen & O_MODEL)
		return dyntable_model_create_table(c, ctl->model,
		    &ctl->def.options, wo, cb, arg);
	return dyntable_create_table(c, &ctl->def, wo, cb, arg);
}

static int
answer_create(dyntable_ctx *c, const struct ctl *ctl,
    const dyntable_result *r)
{
	/* The session ends with this process unless someone holds it. */
	if (r->status == DYNTABLE_OK && (ctl->seen & O_EPHEMERAL)
	    && !dyntable_session_resumed(c))
		fprintf(stderr, PROG ": note: the table is ephemeral: it is "
		    "deleted soon after this command exits, unless "
		    "DYNTABLE_SESSION=%s is in use elsewhere (see `" PROG
		    " hold`)\n", dyntable_session(c) ? dyntable_session(c) :
		    "?");
	return print_answer(c, ctl, r);
}

static int
cmd_create(dyntable_ctx *c, const struct ctl *ctl)
{
	if (c == NULL)
		return create_dry_run(ctl);
	return progress_wait(c, ctl, (ctl->seen & O_WAIT) != 0, false,
	    send_create, answer_create);
}

static int
cmd_exists(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_table_exists(c, ctl->table));
}

/* describe, and with --all the TTL, tags and PITR too (four requests,
 * pipelined by nothing: the blocking API, one after the other). */
static int
cmd_describe(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_result *rs[4];
	int rc;

	if (!(ctl->seen & O_ALL))
		return print_result(c, ctl, dyntable_sync_describe_table(c,
		    ctl->table));
	rs[0] = dyntable_sync_describe_table(c, ctl->table);
	rs[1] = dyntable_sync_describe_time_to_live(c, ctl->table);
	rs[2] = dyntable_sync_list_tags_of_resource(c, ctl->table);
	rs[3] = dyntable_sync_describe_continuous_backups(c, ctl->table);
	for (int i = 0; i < 4; i++)
		if (rs[i] == NULL)
			oom();
	rc = print_describe_all(ctl, rs);
	for (int i = 0; i < 4; i++)
		dyntable_result_free(rs[i]);
	return rc;
}

static int
cmd_update(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_wait_opts w;
	dyntable_result *r;
	char *doc;

	if ((doc = json_dumps(ctl->input, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL)
		oom();
	r = dyntable_sync_update_table_json(c, ctl->table, doc,
	    wait_opts(ctl, &w));
	free(doc);
	return print_result(c, ctl, r);
}

static int
cmd_ttl(dyntable_ctx *c, const struct ctl *ctl)
{
	if (!(ctl->seen & (O_ON | O_OFF)))
		return print_result(c, ctl, dyntable_sync_describe_time_to_live(
		    c, ctl->table));
	return print_result(c, ctl, dyntable_sync_update_time_to_live(c,
	    ctl->table, (ctl->seen & O_ON) != 0, ctl->attribute));
}

static int
cmd_tag(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_tag_resource(c, ctl->table,
	    ctl->tags, ctl->def.options.n_tags));
}

static int
cmd_untag(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_untag_resource(c,
	    ctl->table, ctl->keys, ctl->n_keys));
}

static int
cmd_tags(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_list_tags_of_resource(c,
	    ctl->table));
}

static int
cmd_apply(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_apply_opts o = {
		.plan = (ctl->seen & O_PLAN) != 0,
		.prune = (ctl->seen & O_PRUNE) != 0,
		.wait = (ctl->seen & O_WAIT) != 0,
		.timeout_ms = ctl->timeout_ms,
	};
	char err[512] = "", *report = NULL, *doc;
	dyntable_status st;
	int rc;

	if ((doc = json_dumps(ctl->input, JSON_COMPACT |
	    JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)) == NULL)
		oom();
	st = dyntable_apply(c, doc, &o, &report, err, sizeof err);
	free(doc);
	rc = print_apply(ctl, st, report, err);
	free(report);
	return rc;
}

static int
cmd_pitr(dyntable_ctx *c, const struct ctl *ctl)
{
	if (!(ctl->seen & (O_ON | O_OFF)))
		return print_result(c, ctl,
		    dyntable_sync_describe_continuous_backups(c, ctl->table));
	return print_result(c, ctl, dyntable_sync_update_continuous_backups(c,
	    ctl->table, (ctl->seen & O_ON) != 0, ctl->days));
}

static int
cmd_list(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, (ctl->seen & O_ALL) ?
	    dyntable_sync_list_all_tables(c) : dyntable_sync_list_tables(c));
}

static dyntable_status
send_delete(dyntable_ctx *c, const struct ctl *ctl, dyntable_cb *cb,
    void *arg)
{
	dyntable_wait_opts w;

	return dyntable_delete_table(c, ctl->table, wait_opts(ctl, &w), cb,
	    arg);
}

static int
cmd_delete(dyntable_ctx *c, const struct ctl *ctl)
{
	return progress_wait(c, ctl, (ctl->seen & O_WAIT) != 0, true,
	    send_delete, print_answer);
}

static dyntable_status
send_wait(dyntable_ctx *c, const struct ctl *ctl, dyntable_cb *cb,
    void *arg)
{
	dyntable_wait_opts w = {
		.timeout_ms = ctl->timeout_ms,
		.table_only = (ctl->seen & O_TABLE_ONLY) != 0,
	};

	return (ctl->seen & O_DELETED) ?
	    dyntable_wait_for_table_deleted(c, ctl->table, ctl->timeout_ms,
	    cb, arg) :
	    dyntable_wait_for_table_active_opts(c, ctl->table, &w, cb, arg);
}

static int
cmd_wait(dyntable_ctx *c, const struct ctl *ctl)
{
	return progress_wait(c, ctl, true, (ctl->seen & O_DELETED) != 0,
	    send_wait, print_answer);
}

static int
cmd_status(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_daemon_status(c));
}

static int
cmd_metrics(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_daemon_metrics(c));
}

static int
cmd_truncate(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_truncate_table(c,
	    ctl->table, (ctl->seen & O_FORCE) != 0));
}

static int
cmd_lease(dyntable_ctx *c, const struct ctl *ctl)
{
	dyntable_result *r;
	char *doc;

	if (ctl->input != NULL) {
		if ((doc = json_dumps(ctl->input, JSON_COMPACT |
		    JSON_PRESERVE_ORDER)) == NULL)
			oom();
		r = dyntable_sync_lease_table_json(c, doc, ctl->logical,
		    ctl->timeout_ms);
		free(doc);
	} else if (ctl->seen & O_MODEL)
		r = dyntable_sync_model_lease_table(c, ctl->model,
		    &ctl->def.options, ctl->logical, ctl->timeout_ms);
	else
		r = dyntable_sync_lease_table(c, &ctl->def, ctl->logical,
		    ctl->timeout_ms);
	/* Like an ephemeral table: the lease ends with the session. */
	if (r != NULL && r->status == DYNTABLE_OK &&
	    !dyntable_session_resumed(c))
		fprintf(stderr, PROG ": note: the lease ends soon after this "
		    "command exits, unless DYNTABLE_SESSION=%s is in use "
		    "elsewhere (see `" PROG " hold`)\n", dyntable_session(c) ?
		    dyntable_session(c) : "?");
	return print_result(c, ctl, r);
}

static int
cmd_release(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_release_table(c,
	    ctl->table));
}

static int
cmd_pools(dyntable_ctx *c, const struct ctl *ctl)
{
	return print_result(c, ctl, dyntable_sync_pools(c));
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
	if (ctl->seen & O_JSON) {
		json_t *j = must(json_object());
		char *s;

		put(j, "Session", json_string(tok));
		s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (s == NULL)
			oom();
		printf("%s\n", s);
		free(s);
	} else
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
	{ "exists", cmd_exists, "exists TABLE [--json]",
	    "Exit 0 if the table exists (printing its status), 1 if not.",
	    0, true, NULL, NULL },
	{ "describe", cmd_describe, "describe TABLE [--all] [--json]",
	    "Print a table's description; with --all its TTL, tags and "
	    "point-in-time recovery too.", O_JSON | O_ALL, true, NULL, NULL },
	{ "list", cmd_list, "list [--all] [--json]",
	    "Print the name of every table (of the namespace, if any), one "
	    "a line.", O_JSON | O_ALL, false, NULL, NULL },
	{ "delete", cmd_delete,
	    "delete TABLE [--wait] [--timeout SECONDS] [--json]",
	    "Delete a table.", O_WAIT | O_TIMEOUT | O_JSON, true, NULL, NULL },
	{ "wait", cmd_wait,
	    "wait TABLE [--deleted | --table-only] [--timeout SECONDS] [--json]",
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
	{ "hold", cmd_hold, "hold [--json]",
	    "Print the session token (joining $DYNTABLE_SESSION's session if "
	    "it is live), then keep the session open until the parent "
	    "process exits or a signal ends this one. Ephemeral tables "
	    "created with DYNTABLE_SESSION set to the token live as long.",
	    0, false, NULL, NULL },
	{ "metrics", cmd_metrics, "metrics [--json]",
	    "Print the daemon's metrics in the OpenMetrics text format (what "
	    "dyntabled --metrics-listen serves): requests by operation and "
	    "outcome, latency histograms, retries, clients, waiters, "
	    "pollers, credential expiry. An administrator's verb.",
	    O_JSON, false, NULL, NULL },
	{ "truncate", cmd_truncate, "truncate TABLE [--force] [--json]",
	    "Delete every item of a table and keep the table (its keys, "
	    "indexes, settings and ARN); print how many items went. Items "
	    "written meanwhile may survive. Refused on a table with "
	    "deletion protection unless --force.",
	    O_FORCE | O_JSON, true, NULL, NULL },
	{ "lease", cmd_lease,
	    "lease --pk NAME:TYPE [--sk NAME:TYPE] [--gsi SPEC]... "
	    "[--lsi SPEC]... | --input-json FILE | --model FILE "
	    "[--name LOGICAL] [--timeout SECONDS] [--json]",
	    "Lease an empty ACTIVE table of a definition from the daemon's "
	    "pool of it (at once when one is ready); print its name. It is "
	    "released with `release`, or when the session ends (see `hold`).",
	    O_SCHEMA | O_BILLING | O_RCU | O_WCU | O_CLASS | O_ENCRYPTION |
	    O_KMS_KEY | O_STREAM | O_INPUT | O_MODEL | O_NAME | O_TIMEOUT |
	    O_JSON, false, create_details, prepare_create },
	{ "release", cmd_release, "release TABLE [--json]",
	    "Release a leased table (its name or its logical name): the "
	    "daemon empties it and returns it to its pool.", O_JSON, true,
	    NULL, NULL },
	{ "pools", cmd_pools, "pools [--json]",
	    "Print the daemon's pools: each one's definition hash and "
	    "tables ready, leased, being created or recycled; leases, "
	    "recycled, replaced and failures since start.", O_JSON, false,
	    NULL, NULL },
	{ "update", cmd_update,
	    "update TABLE --input-json FILE [--wait [--timeout SECONDS]] "
	    "[--json]",
	    "Update a table from an UpdateTableInput document (as `aws "
	    "dynamodb update-table --cli-input-json` takes it; its TableName, "
	    "if any, must be TABLE). With --wait, answer once the table and "
	    "its indexes are ACTIVE, a new index backfilled, a deleted one "
	    "gone.", O_INPUT | O_WAIT | O_TIMEOUT | O_JSON, true, NULL,
	    prepare_update },
	{ "ttl", cmd_ttl, "ttl TABLE [--on | --off] [--attribute NAME] [--json]",
	    "Print a table's time to live; with --on or --off and --attribute, "
	    "change it.", O_ON | O_OFF | O_ATTRIBUTE | O_JSON, true, NULL,
	    NULL },
	{ "tag", cmd_tag, "tag TABLE --tag KEY=VALUE... ",
	    "Tag a table.", O_TAG, true, NULL, NULL },
	{ "untag", cmd_untag, "untag TABLE --key KEY...",
	    "Remove tags from a table.", O_KEY, true, NULL, NULL },
	{ "tags", cmd_tags, "tags TABLE [--json]",
	    "Print a table's tags (every page).", O_JSON, true, NULL, NULL },
	{ "pitr", cmd_pitr, "pitr TABLE [--on [--days N] | --off] [--json]",
	    "Print a table's point-in-time recovery; with --on or --off, "
	    "change it.", O_ON | O_OFF | O_DAYS | O_JSON, true, NULL, NULL },
	{ "apply", cmd_apply,
	    "apply FILE [--plan] [--prune] [--wait [--timeout SECONDS]] "
	    "[--json]",
	    "Bring the tables of FILE (docs/APPLY.md) to what it says: create "
	    "the missing ones in parallel, converge the others in place, one "
	    "index change at a time; report drift (exit 6) that only a new "
	    "table could fix. A second run sends only describes.",
	    O_PLAN | O_PRUNE | O_WAIT | O_TIMEOUT | O_JSON, true, NULL,
	    prepare_apply },
	{ NULL, NULL, NULL, NULL, 0, false, NULL, NULL },
};

/* "permission denied" with who may: the owner and group of what
 * (st), and how to become one of them. */
static const char *
perm_hint(const char *what, const struct stat *st, const char *which,
    char *buf, size_t len)
{
	struct passwd pwd, *pw = NULL;
	struct group grp, *gr = NULL;
	char pwbuf[4096], grbuf[4096], user[32], group[32];

	if (getpwuid_r(st->st_uid, &pwd, pwbuf, sizeof pwbuf, &pw) != 0)
		pw = NULL;
	if (getgrgid_r(st->st_gid, &grp, grbuf, sizeof grbuf, &gr) != 0)
		gr = NULL;
	if (pw != NULL)
		snprintf(user, sizeof user, "%s", pw->pw_name);
	else
		snprintf(user, sizeof user, "uid %ld", (long)st->st_uid);
	if (gr != NULL)
		snprintf(group, sizeof group, "%s", gr->gr_name);
	else
		snprintf(group, sizeof group, "gid %ld", (long)st->st_gid);
	snprintf(buf, len, "%s%s belongs to user %s, group %s (mode %04o): "
	    "ask an administrator to add you to group %s (then log in "
	    "again), or run as %s%s", which, what, user, group,
	    (unsigned)(st->st_mode & 07777), group, user,
	    st->st_uid != 0 ? " or root" : "");
	return buf;
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

/*
 * What to do about a connection that failed: why, from the socket's path
 * as this user sees it (missing, not a socket, not writable, nobody
 * listening), and what to do next. from says where the path came from
 * ("--socket", "DYNTABLE_SOCKET", or NULL for the default). Returns
 * buf, or NULL when the path looks fine (the library's reason is then
 * the whole story: a handshake that failed, ...).
 */
static const char *
connect_hint(const char *path, const char *from, char *buf, size_t len)
{
	char where[96] = "", dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (from != NULL)
		snprintf(where, sizeof where, " (from %s)", from);
	if (stat(path, &st) != 0 && errno == ENOENT) {
		if (from == NULL)
			snprintf(buf, len, "is dyntabled running? Start it "
			    "(systemctl start dyntabled, or run dyntabled), or "
			    "set DYNTABLE_SOCKET (or --socket) to the socket it "
			    "listens on");
		else
			snprintf(buf, len, "nothing at that path%s: is "
			    "dyntabled running, and listening there "
			    "(dyntabled --socket PATH)? Its default socket is "
			    DYNTABLE_DEFAULT_SOCKET, where);
		return buf;
	}
	if (stat(path, &st) != 0) {
		/* A directory on the way that this user may not enter. */
		snprintf(dir, sizeof dir, "%s", path);
		while ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (stat(dir, &st) == 0 && access(dir, X_OK) != 0)
				return perm_hint(dir, &st, "its directory ", buf,
				    len);
		}
		return NULL;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(buf, len, "that is not a socket%s: set "
		    "DYNTABLE_SOCKET (or --socket) to dyntabled's socket "
		    "(default " DYNTABLE_DEFAULT_SOCKET ")", where);
		return buf;
	}
	if (access(path, R_OK | W_OK) != 0 && errno == EACCES)
		return perm_hint(path, &st, "", buf, len);
	snprintf(buf, len, "the socket is there but no dyntabled answers: "
	    "start dyntabled (or restart it; a stale socket is replaced)");
	return buf;
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
			char hint[512];
			const char *h, *env = getenv("DYNTABLE_SOCKET");

			path = socket_path(sock);
			h = dyntable_errcode(c) == DYNTABLE_ERR_IO ?
			    connect_hint(path, sock != NULL ? "--socket" :
			    env != NULL && *env != '\0' ? "DYNTABLE_SOCKET" :
			    NULL, hint, sizeof hint) : NULL;
			fprintf(stderr, PROG ": cannot connect to %s: ", path);
			put_oneline(stderr, connect_reason(c, path));
			if (h != NULL) {
				fputs("; ", stderr);
				put_oneline(stderr, h);
			}
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

