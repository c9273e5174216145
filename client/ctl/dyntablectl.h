/* SPDX-License-Identifier: MIT */
/*
 * dyntablectl's internal API, one heading per file:
 *
 *   dyntablectl.c  the verbs: the command table (verbs[]), one small
 *                  handler per verb, main()
 *   options.c      the command line: options, SPECs, --input-json and
 *                  --model files, into a checked struct ctl; --help
 *   output.c       the one result printer and the error lines; the exit
 *                  codes (CTL_*)
 *   progress.c     a request that waits, on the async API, and its
 *                  status line on a terminal
 *   mem.c          allocation failures and JSON building that exit
 *   complete.c     `dyntablectl __complete`, for the shells' completion
 *                  scripts (completions/)
 *
 * Who calls whom: dyntablectl.c -> options.c, output.c, progress.c,
 * complete.c; options.c -> output.c; all -> mem.c; progress.c calls the
 * answer printer it is handed (print_answer() or a verb's own);
 * complete.c -> options.c (verb_opt_values()) and reads verbs[];
 * main hands it the global options. No call goes back up.
 */
#ifndef DYNTABLECTL_H
#define DYNTABLECTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
	CTL_DRIFT = 6,	     /* apply: a table differs from its file in what
				cannot change in place (nothing else failed) */
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
	O_FORCE = 1u << 23,
	O_NAME = 1u << 24,
	O_ON = 1u << 23,	/* ttl, pitr: enable */
	O_OFF = 1u << 24,	/* ttl, pitr: disable */
	O_ATTRIBUTE = 1u << 25, /* ttl: the attribute */
	O_DAYS = 1u << 26,	/* pitr: recovery period */
	O_KEY = 1u << 27,	/* untag: a tag key (repeatable) */
	O_PLAN = 1u << 28,	/* apply: describe only */
	O_PRUNE = 1u << 29,	/* apply: delete what the file dropped */
};
/* Options every verb takes, whatever its row says: a verb added later
 * gets --json for free (output.c prints any answer as JSON). */
#define O_EVERY_VERB O_JSON
#define O_SCHEMA (O_PK | O_SK | O_GSI | O_LSI) /* what a model defines */
/* the flags that stand for members of a CreateTableInput */
#define O_MEMBERS (O_SCHEMA | O_BILLING | O_RCU | O_WCU | O_CLASS |          \
	O_ENCRYPTION | O_KMS_KEY | O_TAG | O_STREAM | O_PROTECT)


struct ctl;

/* A verb option: a row of verb_opts[] (options.c). */
struct verb_opt {
	const char *name;
	const char *arg; /* the argument's name, NULL for a flag */
	unsigned bit;
	const char *help;
};

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
	const char *logical;	/* lease --name */

	/* create */
	dyntable_table_def def;	/* the flags; def.options serve all paths */
	dyntable_gsi_def *gsis;	/* --gsi, in order; def.gsis once checked */
	dyntable_lsi_def *lsis;	/* --lsi */
	dyntable_tag *tags;	/* --tag */
	const char *input_path; /* --input-json */
	const char *model_path; /* --model */
	json_t *input;		/* --input-json: the CreateTableInput to send;
				   update: the UpdateTableInput */
	const char *attribute;	/* ttl --attribute */
	unsigned days;		/* pitr --days */
	const char **keys;	/* untag --key, in order */
	size_t n_keys;
	dyntable_model *model;	/* --model, from libdyntable */
	void **owned;		/* memory freed by ctl_free() */
	size_t n_owned;
};

/* ---- dyntablectl.c ------------------------------------------------------ */

/* The command table, NULL-terminated. */
extern const struct verb verbs[];

/* ---- options.c ---------------------------------------------------------- */

/* Every verb option, n_verb_opts rows; a verb takes those whose bit is in
 * its opts. */
extern const struct verb_opt verb_opts[];
extern const size_t n_verb_opts;
/* The words the option with that bit takes (NULL-terminated): a list of
 * values, or for --pk and --sk the TYPE after the colon. NULL for an
 * option whose value is free-form. */
const char *const *verb_opt_values(unsigned bit);

/* keep() hands p to ctl (freed by ctl_free()), or exits when p is NULL. */
void *keep(struct ctl *ctl, void *p);
void ctl_free(struct ctl *ctl);
/* create's row: reads --input-json (flags applied over it) or --model. */
int prepare_create(struct ctl *ctl);
/* update's row: reads --input-json. */
int prepare_update(struct ctl *ctl);
/* apply's row: reads FILE (TABLE's place) into ctl->input. */
int prepare_apply(struct ctl *ctl);
/* The general --help, listing the verbs of table (verbs[]). */
void print_help(const struct verb *table);
const char *bad_option(char **argv, char *buf, size_t len);
/* The verb's arguments (argv[0] is the verb) into ctl, checked:
 * CTL_CONTINUE or the exit code. */
int parse_verb(struct ctl *ctl, int argc, char **argv);

/* ---- output.c ----------------------------------------------------------- */

void put_oneline(FILE *f, const char *s);
void print_error(const struct ctl *ctl, const char *type, const char *msg);
int status_exit(dyntable_status st);
char *pretty(json_t *j);
int print_result(dyntable_ctx *c, const struct ctl *ctl, dyntable_result *r);
/* print_result() for a result it does not own (an async callback's). */
int print_answer(dyntable_ctx *c, const struct ctl *ctl,
    const dyntable_result *r);
/* describe --all: the table, its TTL, tags and PITR (rs in that order;
 * not freed here), as text or {"Table", "TimeToLiveDescription", "Tags",
 * "ContinuousBackupsDescription"}. Returns the exit code. */
int print_describe_all(const struct ctl *ctl, dyntable_result *const rs[4]);
/* apply's report (dyntable_apply's JSON), as text or JSON; the exit code
 * from st and the report: failures 4, drift alone CTL_DRIFT. */
int print_apply(const struct ctl *ctl, dyntable_status st,
    const char *report, const char *err);
int usage_error(const struct verb *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- progress.c --------------------------------------------------------- */

/* Sends a request that waits, on the async API, with cb and arg. */
typedef dyntable_status progress_send(dyntable_ctx *c, const struct ctl *ctl,
    dyntable_cb *cb, void *arg);
/* Prints the request's answer r; returns the exit code. */
typedef int progress_answer(dyntable_ctx *c, const struct ctl *ctl,
    const dyntable_result *r);
/* Runs send's request on c (attaching c to the poll adapter: no sync call
 * on c after this) until answer has printed its answer; returns answer's
 * exit code. With show, when stderr is a terminal and ctl names a table,
 * a status line from the first second of the wait on, erased before the
 * answer; deleted: the wait is for the table to go. */
int progress_wait(dyntable_ctx *c, const struct ctl *ctl, bool show,
    bool deleted, progress_send *send, progress_answer *answer);

/* ---- complete.c --------------------------------------------------------- */

struct option;
/* `dyntablectl __complete WORD... CURRENT` (argv: the WORDs and CURRENT):
 * prints the candidates for CURRENT; always CTL_OK. */
int complete_main(int argc, char **argv, const struct option *gopts);

/* ---- mem.c -------------------------------------------------------------- */

/* oom() says so and exits CTL_FAILED; must/put/push build JSON or exit. */
void oom(void) __attribute__((noreturn));
json_t *must(json_t *j);
void put(json_t *obj, const char *key, json_t *val);
void push(json_t *arr, json_t *val);

#endif /* DYNTABLECTL_H */
