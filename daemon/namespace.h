/* SPDX-License-Identifier: MIT */
/*
 * namespace.h: table namespaces (namespace.c). Pure.
 *
 * A connection whose hello names namespace N sees DynamoDB's table "N.x"
 * as "x": names are prefixed on the way to DynamoDB and stripped on the
 * way back. '.' is the separator, so a namespace is 1 to NS_MAX
 * characters of [a-zA-Z0-9_-] (with '.' allowed, "a" + "b.c" and "a.b" +
 * "c" would be the same table).
 */
#ifndef DYNTABLED_NAMESPACE_H
#define DYNTABLED_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>

#define NS_MAX 64
#define NS_SEP '.'

bool ns_valid(const char *ns, size_t len);
/* DynamoDB's name of the client's table name in ns ("": none) into out;
 * false when it does not fit. */
bool ns_table(const char *ns, const char *name, char *out, size_t outlen);
/* The client's name of DynamoDB's table name: name without "ns."; name
 * itself when ns is ""; NULL when the table is not in ns. */
const char *ns_client_name(const char *ns, const char *name);

#endif /* DYNTABLED_NAMESPACE_H */
