/*
 * items: items written and counted straight in dynalite
 * ($DYNTABLE_TEST_DYNALITE_URL, proxyctl.h's pc_dynalite), so that the
 * proxy's request log holds only the daemon's calls. For the truncate
 * and pool tests. Include after <cmocka.h>: failures fail the test.
 */
#ifndef ITEMS_H
#define ITEMS_H

/* A table's key: hash (and range, NULL: none) attribute names and their
 * types ("S", "N", "B"). */
struct items_keys {
	const char *hash, *htype, *range, *rtype;
};

/* Puts n items into table, 25 a BatchWriteItem. With a range key, 50
 * items share each hash key. */
void items_fill(const char *table, const struct items_keys *k, long n);
/* The items of table, counted by dynalite (every page). */
long items_count(const char *table);

#endif /* ITEMS_H */
