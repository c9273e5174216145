/* SPDX-License-Identifier: MIT */
/*
 * pooldef.h: table definitions of pools, compared (pooldef.c). Pure.
 *
 * A pool serves one definition: a CreateTableInput without TableName.
 * Two definitions that create the same table are the same pool's: the
 * canonical form drops TableName and Tags, makes BillingMode explicit (the
 * daemon's default when absent: ddb_check_create),
 * and orders what DynamoDB treats as sets (AttributeDefinitions by name,
 * indexes by name, NonKeyAttributes); its hash names the pool's tables.
 * Released tables are compared with the definition through their
 * TableDescription (pooldef_matches) before they are used again.
 */
#ifndef DYNTABLED_POOLDEF_H
#define DYNTABLED_POOLDEF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define POOLDEF_HASH_LEN 16 /* hex characters */

/* The canonical form of in (not changed), checked like create_table's
 * definition; NULL with the reason in err. */
json_t *pooldef_canonical(const json_t *in, char *err, size_t errlen);
/* The hash of a canonical form: POOLDEF_HASH_LEN hex characters and a
 * NUL into out. */
void pooldef_hash(const json_t *canon, char out[POOLDEF_HASH_LEN + 1]);
/* True when the definition is billed per request (costs nothing idle but
 * storage). */
bool pooldef_on_demand(const json_t *canon);
/* True when desc (a TableDescription) is an ACTIVE table of the canonical
 * definition: same keys, billing mode and indexes (names, keys,
 * projections), every index ACTIVE. Otherwise false, with what differs
 * in why. */
bool pooldef_matches(const json_t *canon, const json_t *desc, char *why,
    size_t whylen);

#endif /* DYNTABLED_POOLDEF_H */
