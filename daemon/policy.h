/* SPDX-License-Identifier: MIT */
/*
 * policy.h: access control on peer credentials (policy.c). Pure.
 */
#ifndef DYNTABLED_POLICY_H
#define DYNTABLED_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct policy;

/* Who is on the other end of a connection (SO_PEERCRED, SO_PEERGROUPS). */
struct policy_peer {
	pid_t pid;	     /* for logs only */
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* supplementary groups */
	size_t n_groups;
};

/* An empty policy: anyone who can open the socket, any table; admin verbs
 * for root and self (the daemon's uid). NULL when out of memory. */
struct policy *policy_new(uid_t self);
void policy_free(struct policy *p);
/* Applies one key of the configuration file's [access], [user NAME] or
 * [group NAME] sections; -1 with a reason in err. */
int policy_set(struct policy *p, const char *section, const char *key,
    const char *value, char *err, size_t errlen);
bool policy_may_connect(const struct policy *p,
    const struct policy_peer *peer);
bool policy_is_admin(const struct policy *p, const struct policy_peer *peer);
bool policy_may_use_table(const struct policy *p,
    const struct policy_peer *peer, const char *table);
/* The table prefixes peer may use, quoted, for a denial message. */
void policy_describe(const struct policy *p, const struct policy_peer *peer,
    char *buf, size_t size);

#endif /* DYNTABLED_POLICY_H */
