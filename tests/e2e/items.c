/* SPDX-License-Identifier: MIT */
/* items.c: see items.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "items.h"
#include "proxyctl.h"

/* A key value of type t for number i. */
static json_t *
items_value(const char *t, long i)
{
	char buf[32], b64[64];

	if (strcmp(t, "N") == 0) {
		snprintf(buf, sizeof(buf), "%ld", i);
		return json_pack("{s:s}", "N", buf);
	}
	if (strcmp(t, "B") == 0) {
		/* 3 bytes, base64: "iii" of the number, distinct per i. */
		static const char a[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		unsigned v = (unsigned)i & 0xffffff;

		snprintf(b64, sizeof(b64), "%c%c%c%c", a[v >> 18],
		    a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]);
		return json_pack("{s:s}", "B", b64);
	}
	snprintf(buf, sizeof(buf), "k%ld", i);
	return json_pack("{s:s}", "S", buf);
}

int
items_fill(const char *table, const struct items_keys *k, long n)
{
	for (long i = 0; i < n; i += 25) {
		json_t *reqs = json_array(), *body, *rep;
		long status = 0;

		for (long j = i; j < n && j < i + 25; j++) {
			json_t *item = json_pack("{s:o,s:{s:s}}", k->hash,
			    items_value(k->htype, k->range != NULL ? j / 50 : j),
			    "data", "S", "some data to carry along");

			if (k->range != NULL)
				json_object_set_new(item, k->range,
				    items_value(k->rtype, j));
			json_array_append_new(reqs, json_pack("{s:{s:o}}",
			    "PutRequest", "Item", item));
		}
		body = json_pack("{s:{s:o}}", "RequestItems", table, reqs);
		rep = pc_dynalite("BatchWriteItem", body, &status);
		json_decref(body);
		if (rep == NULL || status != 200 ||
		    json_object_size(json_object_get(rep,
		    "UnprocessedItems")) != 0) {
			fprintf(stderr, "items: filling %s: HTTP %ld\n", table,
			    status);
			json_decref(rep);
			return -1;
		}
		json_decref(rep);
	}
	return 0;
}

long
items_count(const char *table)
{
	json_t *start = NULL;
	long n = 0;

	do {
		json_t *body = json_pack("{s:s,s:s}", "TableName", table,
		    "Select", "COUNT"), *rep;
		long status = 0;

		if (start != NULL)
			json_object_set_new(body, "ExclusiveStartKey", start);
		rep = pc_dynalite("Scan", body, &status);
		json_decref(body);
		if (rep == NULL || status != 200) {
			fprintf(stderr, "items: counting %s: HTTP %ld\n", table,
			    status);
			json_decref(rep);
			json_decref(start);
			return -1;
		}
		n += (long)json_integer_value(json_object_get(rep, "Count"));
		start = json_incref(json_object_get(rep, "LastEvaluatedKey"));
		json_decref(rep);
	} while (start != NULL);
	return n;
}
