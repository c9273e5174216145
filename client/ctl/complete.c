/* SPDX-License-Identifier: MIT */
/*
 * dyntablectl: shell completion, for the bash, zsh and fish scripts in
 * completions/, which hold no list of their own:
 *
 *   dyntablectl __complete WORD... CURRENT
 *
 * WORDs are the words typed after "dyntablectl" before the cursor's
 * word, CURRENT the (possibly empty) word being completed. Prints the
 * candidates that start with CURRENT, one a line, from the tables the
 * parser itself uses: the global options, verbs[] and verb_opts[] with
 * their value lists (options.c), and table names from the daemon (with
 * the --socket and --namespace typed so far). A single line ":files" asks
 * the shell to complete file names instead. Prints nothing when there is
 * nothing to offer, and never fails: a shell has no use for an error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dyntable.h"

#include "dyntablectl.h"

/* Longest a daemon may take to list tables for a completion. */
#define COMPLETE_TABLES_SECONDS 5

/* What the words typed so far say. */
struct seen {
	const struct verb *verb;   /* NULL until a verb is typed */
	const char *socket;	   /* --socket's value, or NULL */
	const char *ns;		   /* --namespace's value, or NULL */
	bool has_table;		   /* the verb's TABLE is typed */
	const struct option *want; /* a global option awaiting its value */
	const struct verb_opt *want_verb; /* a verb option awaiting it */
};

static void
offer(const char *word, const char *prefix, size_t plen)
{
	if (strncmp(word, prefix, plen) == 0)
		puts(word);
}

/* s's global option from "--name", or NULL. */
static const struct option *
find_global(const struct option *opts, const char *s)
{
	if (strncmp(s, "--", 2) != 0)
		return NULL;
	for (const struct option *o = opts; o->name != NULL; o++)
		if (strcmp(o->name, s + 2) == 0)
			return o;
	return NULL;
}

/* The verb's option from "--name", or NULL. */
static const struct verb_opt *
find_verb_opt(const struct verb *v, const char *s)
{
	if (strncmp(s, "--", 2) != 0)
		return NULL;
	for (size_t i = 0; i < n_verb_opts; i++)
		if ((v->opts & verb_opts[i].bit) &&
		    strcmp(verb_opts[i].name, s + 2) == 0)
			return &verb_opts[i];
	return NULL;
}

/* Reads the words before the cursor's, as main() and parse_verb() would. */
static void
read_words(struct seen *s, const struct option *gopts, int n, char **w)
{
	for (int i = 0; i < n; i++) {
		if (s->want != NULL) {
			if (s->want->val == 's')
				s->socket = w[i];
			else if (s->want->val == 'n')
				s->ns = w[i];
			s->want = NULL;
		} else if (s->want_verb != NULL)
			s->want_verb = NULL;
		else if (s->verb == NULL) {
			const struct option *o = find_global(gopts, w[i]);

			if (o != NULL) {
				if (o->has_arg == required_argument)
					s->want = o;
				continue;
			}
			for (const struct verb *v = verbs; v->name != NULL; v++)
				if (strcmp(v->name, w[i]) == 0)
					s->verb = v;
		} else if (w[i][0] == '-') {
			const struct verb_opt *o = find_verb_opt(s->verb, w[i]);

			if (o != NULL && o->arg != NULL)
				s->want_verb = o;
		} else
			s->has_table = true;
	}
}

/* The table names of the daemon the words point at, as list prints them. */
static void
offer_tables(const struct seen *s, const char *cur, size_t len)
{
	dyntable_connect_options o = { .path = s->socket, .ns = s->ns };
	dyntable_result *r;
	dyntable_ctx *c;

	/* A completion must not hang the shell on a slow daemon or
	 * DynamoDB: SIGALRM's default action ends this process. */
	alarm(COMPLETE_TABLES_SECONDS);
	if ((c = dyntable_connect_opts(&o)) == NULL)
		return;
	if (dyntable_errcode(c) == DYNTABLE_OK &&
	    (r = dyntable_sync_list_tables(c)) != NULL) {
		if (r->status == DYNTABLE_OK)
			for (size_t i = 0; i < r->n_tables; i++)
				offer(r->tables[i], cur, len);
		dyntable_result_free(r);
	}
	dyntable_free(c);
	alarm(0);
}

/* A value of the option o: its words, or file names, or nothing. */
static void
offer_values(const struct verb_opt *o, const char *cur)
{
	const char *const *words = verb_opt_values(o->bit);
	const char *colon;

	if (o->bit == O_INPUT || o->bit == O_MODEL) {
		puts(":files");
		return;
	}
	if (words == NULL)
		return;
	if (strchr(o->arg, ':') != NULL) { /* NAME:TYPE: the TYPE */
		if ((colon = strrchr(cur, ':')) == NULL)
			return;
		for (; *words != NULL; words++)
			if (strncasecmp(*words, colon + 1,
			    strlen(colon + 1)) == 0)
				printf("%.*s%s\n", (int)(colon + 1 - cur), cur,
				    *words);
		return;
	}
	for (; *words != NULL; words++) /* any case, as parse_value() */
		if (strncasecmp(*words, cur, strlen(cur)) == 0)
			puts(*words);
}

int
complete_main(int argc, char **argv, const struct option *gopts)
{
	struct seen s = { NULL };
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	size_t len = strlen(cur);
	char opt[64];

	read_words(&s, gopts, argc - 1, argv);
	if (s.want != NULL) {
		if (s.want->val == 's')
			puts(":files");
		return CTL_OK;
	}
	if (s.want_verb != NULL) {
		offer_values(s.want_verb, cur);
		return CTL_OK;
	}
	if (s.verb == NULL) {
		if (cur[0] == '-') {
			for (const struct option *o = gopts; o->name != NULL;
			    o++) {
				snprintf(opt, sizeof opt, "--%s", o->name);
				offer(opt, cur, len);
			}
		} else
			for (const struct verb *v = verbs; v->name != NULL; v++)
				offer(v->name, cur, len);
		return CTL_OK;
	}
	if (cur[0] == '-') {
		for (size_t i = 0; i < n_verb_opts; i++)
			if (s.verb->opts & verb_opts[i].bit) {
				snprintf(opt, sizeof opt, "--%s",
				    verb_opts[i].name);
				offer(opt, cur, len);
			}
		offer("--help", cur, len);
		return CTL_OK;
	}
	/* a verb that takes a key schema (create) names a new table: the
	 * daemon's names are no help there */
	if (s.verb->takes_table && !s.has_table && !(s.verb->opts & O_PK))
		offer_tables(&s, cur, len);
	return CTL_OK;
}
