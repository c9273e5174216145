/* SPDX-License-Identifier: MIT */
/*
 * items: items written and counted straight in dynalite
 * ($DYNTABLE_TEST_DYNALITE_URL, proxyctl.h's pc_dynalite), so that the
 * proxy's request log holds only the daemon's calls. For the truncate
 * and pool tests and bench/pool_bench. Failures say why on stderr.
 */
#ifndef ITEMS_H
#define ITEMS_H

/* A table's key: hash (and range, NULL: none) attribute names and their
 * types ("S", "N", "B"). */
struct items_keys {
	const char *hash, *htype, *range, *rtype;
};

/* Puts n items into table, 25 a BatchWriteItem. With a range key, 50
 * items share each hash key. 0, or -1. */
int items_fill(const char *table, const struct items_keys *k, long n);
/* The items of table, counted by dynalite (every page); -1 on failure. */
long items_count(const char *table);

#endif /* ITEMS_H */
