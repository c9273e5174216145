/* SPDX-License-Identifier: MIT */
/*
 * namespace.c: table namespaces (see namespace.h).
 */
#include <stdio.h>
#include <string.h>

#include "namespace.h"

bool
ns_valid(const char *ns, size_t len)
{
	if (len == 0 || len > NS_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = ns[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

bool
ns_table(const char *ns, const char *name, char *out, size_t outlen)
{
	int n = ns[0] == '\0' ? snprintf(out, outlen, "%s", name) :
	    snprintf(out, outlen, "%s%c%s", ns, NS_SEP, name);

	return n >= 0 && (size_t)n < outlen;
}

const char *
ns_client_name(const char *ns, const char *name)
{
	size_t n = strlen(ns);

	if (n == 0)
		return name;
	if (strncmp(name, ns, n) == 0 && name[n] == NS_SEP)
		return name + n + 1;
	return NULL;
}
