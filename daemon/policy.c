/* SPDX-License-Identifier: MIT */
/*
 * policy.c: who may do what, decided on the peer's credentials
 * (SO_PEERCRED, SO_PEERGROUPS). Pure: no I/O but user and group name
 * lookups when the policy is loaded, never per request.
 *
 * The socket's file mode and group decide who can connect at all; this
 * adds, from the [access], [user NAME] and [group NAME] sections of the
 * configuration file:
 *
 *   [access]
 *   allow-users = ci, alice       # may connect (names or numeric ids);
 *   allow-groups = dyntable       #   both empty: anyone who can open the socket
 *   admin-users = ops             # may use admin verbs (status, reap),
 *   admin-groups = wheel          #   as root and the daemon's own user always may
 *   table-prefixes = ci-, tmp-    # default for peers without a section below
 *
 *   [user ci]
 *   table-prefixes = ci-          # this user may only touch tables starting so
 *   [group devs]
 *   table-prefixes = dev-
 *
 * A peer matching [user]/[group] sections may use the union of their
 * prefixes; a peer matching none uses [access] table-prefixes, and with
 * none of those it may use any table. Root and the daemon's own user are
 * never restricted.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddb.h"
#include "policy.h"

#define POLICY_MAX_IDS	    64
#define POLICY_MAX_PREFIXES 32
#define POLICY_MAX_RULES    64

struct policy_ids {
	unsigned n;
	unsigned id[POLICY_MAX_IDS];
};

struct policy_prefixes {
	unsigned n;
	char *p[POLICY_MAX_PREFIXES]; /* owned */
};

/* One [user NAME] or [group NAME] section. */
struct policy_rule {
	bool is_group;
	unsigned id;			/* uid or gid */
	struct policy_prefixes prefixes;
};

struct policy {
	uid_t self;			/* the daemon's own uid */
	struct policy_ids allow_users, allow_groups;
	struct policy_ids admin_users, admin_groups;
	struct policy_prefixes default_prefixes;
	unsigned n_rules;
	struct policy_rule rules[POLICY_MAX_RULES];
};

struct policy *
policy_new(uid_t self)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p != NULL)
		p->self = self;
	return p;
}

static void
policy_prefixes_free(struct policy_prefixes *pp)
{
	for (unsigned i = 0; i < pp->n; i++)
		free(pp->p[i]);
	pp->n = 0;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	policy_prefixes_free(&p->default_prefixes);
	for (unsigned i = 0; i < p->n_rules; i++)
		policy_prefixes_free(&p->rules[i].prefixes);
	free(p);
}

/* A user or group by name or number; false if unknown. */
static bool
policy_lookup(const char *name, bool group, unsigned *id)
{
	char *end;
	unsigned long v = strtoul(name, &end, 10);

	if (*name != '\0' && *end == '\0') {
		*id = (unsigned)v;
		return true;
	}
	/* The _r variants: a buffer that grows while they say ERANGE. */
	for (size_t len = 4096; len <= ((size_t)1 << 24); len *= 2) {
		char *buf = malloc(len);
		struct group g, *gp = NULL;
		struct passwd pw, *pwp = NULL;
		int e;

		if (buf == NULL)
			return false;
		if (group) {
			e = getgrnam_r(name, &g, buf, len, &gp);
			if (e == 0 && gp != NULL)
				*id = gp->gr_gid;
		} else {
			e = getpwnam_r(name, &pw, buf, len, &pwp);
			if (e == 0 && pwp != NULL)
				*id = pwp->pw_uid;
		}
		free(buf);
		if (e != ERANGE)
			return e == 0 && (group ? gp != NULL : pwp != NULL);
	}
	return false;
}

/*
 * Calls fn on each item of a comma- or space-separated list. Returns -1
 * (with err set by fn) at the first failure.
 */
static int
policy_each(const char *list, int (*fn)(void *, const char *, char *, size_t),
    void *arg, char *err, size_t errlen)
{
	char item[256];
	const char *s = list;

	while (*s != '\0') {
		size_t n;

		s += strspn(s, ", \t");
		n = strcspn(s, ", \t");
		if (n == 0)
			break;
		if (n >= sizeof(item)) {
			snprintf(err, errlen, "\"%.32s...\": too long", s);
			return -1;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		if (fn(arg, item, err, errlen) != 0)
			return -1;
		s += n;
	}
	return 0;
}

struct policy_ids_arg {
	struct policy_ids *ids;
	bool group;
};

static int
policy_add_id(void *arg, const char *name, char *err, size_t errlen)
{
	struct policy_ids_arg *a = arg;
	unsigned id;

	if (!policy_lookup(name, a->group, &id)) {
		snprintf(err, errlen, "no such %s \"%s\"",
		    a->group ? "group" : "user", name);
		return -1;
	}
	if (a->ids->n >= POLICY_MAX_IDS) {
		snprintf(err, errlen, "more than %d entries", POLICY_MAX_IDS);
		return -1;
	}
	a->ids->id[a->ids->n++] = id;
	return 0;
}

static int
policy_add_prefix(void *arg, const char *prefix, char *err, size_t errlen)
{
	struct policy_prefixes *pp = arg;

	if (!ddb_valid_name_prefix(prefix)) {
		snprintf(err, errlen, "\"%s\" cannot start a table name", prefix);
		return -1;
	}
	if (pp->n >= POLICY_MAX_PREFIXES) {
		snprintf(err, errlen, "more than %d prefixes",
		    POLICY_MAX_PREFIXES);
		return -1;
	}
	if ((pp->p[pp->n] = strdup(prefix)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pp->n++;
	return 0;
}

/* Finds or adds the rule for a [user X] / [group X] section. */
static struct policy_rule *
policy_rule(struct policy *p, bool group, const char *name, char *err,
    size_t errlen)
{
	unsigned id;

	if (!policy_lookup(name, group, &id)) {
		snprintf(err, errlen, "no such %s \"%s\"",
		    group ? "group" : "user", name);
		return NULL;
	}
	for (unsigned i = 0; i < p->n_rules; i++)
		if (p->rules[i].is_group == group && p->rules[i].id == id)
			return &p->rules[i];
	if (p->n_rules >= POLICY_MAX_RULES) {
		snprintf(err, errlen, "more than %d [user]/[group] sections",
		    POLICY_MAX_RULES);
		return NULL;
	}
	p->rules[p->n_rules].is_group = group;
	p->rules[p->n_rules].id = id;
	return &p->rules[p->n_rules++];
}

int
policy_set(struct policy *p, const char *section, const char *key,
    const char *value, char *err, size_t errlen)
{
	struct policy_ids_arg a;

	if (strcmp(section, "access") == 0) {
		if (strcmp(key, "table-prefixes") == 0)
			return policy_each(value, policy_add_prefix,
			    &p->default_prefixes, err, errlen);
		if (strcmp(key, "allow-users") == 0)
			a = (struct policy_ids_arg){ &p->allow_users, false };
		else if (strcmp(key, "allow-groups") == 0)
			a = (struct policy_ids_arg){ &p->allow_groups, true };
		else if (strcmp(key, "admin-users") == 0)
			a = (struct policy_ids_arg){ &p->admin_users, false };
		else if (strcmp(key, "admin-groups") == 0)
			a = (struct policy_ids_arg){ &p->admin_groups, true };
		else {
			snprintf(err, errlen, "unknown key \"%s\" in [access]",
			    key);
			return -1;
		}
		return policy_each(value, policy_add_id, &a, err, errlen);
	}
	if (strncmp(section, "user ", 5) == 0 ||
	    strncmp(section, "group ", 6) == 0) {
		bool group = section[0] == 'g';
		struct policy_rule *r = policy_rule(p, group,
		    section + (group ? 6 : 5), err, errlen);

		if (r == NULL)
			return -1;
		if (strcmp(key, "table-prefixes") != 0) {
			snprintf(err, errlen, "unknown key \"%s\" in [%s]", key,
			    section);
			return -1;
		}
		return policy_each(value, policy_add_prefix, &r->prefixes, err,
		    errlen);
	}
	snprintf(err, errlen, "unknown section [%s]", section);
	return -1;
}

static bool
policy_has(const struct policy_ids *ids, unsigned id)
{
	for (unsigned i = 0; i < ids->n; i++)
		if (ids->id[i] == id)
			return true;
	return false;
}

/* True if the peer's uid is in users, or one of its groups in groups. */
static bool
policy_match(const struct policy_peer *peer, const struct policy_ids *users,
    const struct policy_ids *groups)
{
	if (policy_has(users, peer->uid) || policy_has(groups, peer->gid))
		return true;
	for (size_t i = 0; i < peer->n_groups; i++)
		if (policy_has(groups, peer->groups[i]))
			return true;
	return false;
}

/* Root and the daemon's own user are trusted with everything. */
static bool
policy_trusted(const struct policy *p, const struct policy_peer *peer)
{
	return peer->uid == 0 || peer->uid == p->self;
}

bool
policy_may_connect(const struct policy *p, const struct policy_peer *peer)
{
	if (policy_trusted(p, peer))
		return true;
	if (p->allow_users.n == 0 && p->allow_groups.n == 0)
		return true;
	return policy_match(peer, &p->allow_users, &p->allow_groups);
}

bool
policy_is_admin(const struct policy *p, const struct policy_peer *peer)
{
	return policy_trusted(p, peer) ||
	    policy_match(peer, &p->admin_users, &p->admin_groups);
}

static bool
policy_prefixed(const struct policy_prefixes *pp, const char *table)
{
	for (unsigned i = 0; i < pp->n; i++)
		if (strncmp(table, pp->p[i], strlen(pp->p[i])) == 0)
			return true;
	return false;
}

/* True if a [user]/[group] rule is about this peer. */
static bool
policy_rule_applies(const struct policy_rule *r,
    const struct policy_peer *peer)
{
	if (!r->is_group)
		return r->id == peer->uid;
	if (r->id == peer->gid)
		return true;
	for (size_t g = 0; g < peer->n_groups; g++)
		if (r->id == peer->groups[g])
			return true;
	return false;
}

bool
policy_may_use_table(const struct policy *p, const struct policy_peer *peer,
    const char *table)
{
	bool matched = false;

	if (policy_trusted(p, peer))
		return true;
	for (unsigned i = 0; i < p->n_rules; i++) {
		if (!policy_rule_applies(&p->rules[i], peer))
			continue;
		matched = true;
		if (policy_prefixed(&p->rules[i].prefixes, table))
			return true;
	}
	if (matched)
		return false;
	return p->default_prefixes.n == 0 ||
	    policy_prefixed(&p->default_prefixes, table);
}

/* Describes the prefixes a peer may use, for a denial message. */
void
policy_describe(const struct policy *p, const struct policy_peer *peer,
    char *buf, size_t size)
{
	size_t n = 0;
	bool matched = false;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!policy_rule_applies(r, peer))
			continue;
		matched = true;
		for (unsigned j = 0; j < r->prefixes.n && n < size; j++)
			n += (size_t)snprintf(buf + n, size - n, "%s\"%s*\"",
			    n > 0 ? ", " : "", r->prefixes.p[j]);
	}
	for (unsigned j = 0; !matched && j < p->default_prefixes.n && n < size;
	    j++)
		n += (size_t)snprintf(buf + n, size - n, "%s\"%s*\"",
		    n > 0 ? ", " : "", p->default_prefixes.p[j]);
}
