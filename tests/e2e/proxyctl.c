/* SPDX-License-Identifier: MIT */
/*
 * proxyctl: see proxyctl.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "proxyctl.h"

struct pc_buf {
	char *data;
	size_t len;
};

static size_t
pc_write(char *p, size_t size, size_t n, void *arg)
{
	struct pc_buf *b = arg;
	char *d = realloc(b->data, b->len + size * n + 1);

	if (d == NULL)
		return 0;
	memcpy(d + b->len, p, size * n);
	b->len += size * n;
	d[b->len] = '\0';
	b->data = d;
	return size * n;
}

/* One HTTP request; returns the body (malloc'd) or NULL. */
static char *
pc_http(const char *url, const char *method, const char *body,
    struct curl_slist *headers, long *status)
{
	CURL *h = curl_easy_init();
	struct pc_buf b = { NULL, 0 };
	CURLcode rc;

	if (h == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, pc_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (headers != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	if (body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(h);
	if (status != NULL)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "proxyctl: %s %s: %s\n", method, url,
		    curl_easy_strerror(rc));
		free(b.data);
		return NULL;
	}
	if (b.data == NULL)
		b.data = strdup("");
	return b.data;
}

static char *
pc_control(const char *method, const char *path, const char *body)
{
	const char *base = getenv("DYNTABLE_TEST_CONTROL");
	char url[512];
	long status = 0;
	char *out;

	if (base == NULL || *base == '\0')
		return NULL;
	snprintf(url, sizeof(url), "%s%s", base, path);
	out = pc_http(url, method, body, NULL, &status);
	if (out != NULL && status != 200) {
		fprintf(stderr, "proxyctl: %s %s: HTTP %ld: %s\n", method,
		    path, status, out);
		free(out);
		return NULL;
	}
	return out;
}

bool
pc_available(void)
{
	const char *base = getenv("DYNTABLE_TEST_CONTROL");

	return base != NULL && *base != '\0';
}

int
pc_faults(const char *rules)
{
	char *out = pc_control("POST", "/faults", rules);

	free(out);
	return out != NULL ? 0 : -1;
}

int
pc_reset(void)
{
	char *out = pc_control("POST", "/reset", "");

	free(out);
	return out != NULL ? 0 : -1;
}

json_t *
pc_stats(void)
{
	char *out = pc_control("GET", "/stats", NULL);
	json_t *j = out != NULL ? json_loads(out, 0, NULL) : NULL;

	free(out);
	return j;
}

long
pc_count(const char *op)
{
	json_t *st = pc_stats();
	long n = -1;

	if (st != NULL)
		n = (long)json_integer_value(json_object_get(
		    json_object_get(st, "targets"), op));
	json_decref(st);
	return n;
}

json_t *
pc_log(const char *op)
{
	const char *path = getenv("DYNTABLE_TEST_REQUESTS");
	char suffix[128], *line = NULL;
	size_t cap = 0;
	json_t *out;
	FILE *f;

	if (path == NULL || *path == '\0' || (f = fopen(path, "r")) == NULL)
		return NULL;
	snprintf(suffix, sizeof(suffix), ".%s", op);
	out = json_array();
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const char *t = json_string_value(json_object_get(j, "target"));

		if (t != NULL && strlen(t) > strlen(suffix) &&
		    strcmp(t + strlen(t) - strlen(suffix), suffix) == 0)
			json_array_append(out, j);
		json_decref(j);
	}
	free(line);
	fclose(f);
	return out;
}

json_t *
pc_dynalite(const char *op, const json_t *body, long *status)
{
	const char *base = getenv("DYNTABLE_TEST_DYNALITE_URL");
	struct curl_slist *h = NULL;
	char target[128], *text, *out;
	json_t *j;

	if (base == NULL || *base == '\0')
		return NULL;
	snprintf(target, sizeof(target), "X-Amz-Target: DynamoDB_20120810.%s",
	    op);
	h = curl_slist_append(h, target);
	h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.0");
	h = curl_slist_append(h, "X-Amz-Date: 20250101T000000Z");
	h = curl_slist_append(h, "Authorization: AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, "
	    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00");
	text = json_dumps(body, JSON_COMPACT);
	out = text != NULL ? pc_http(base, "POST", text, h, status) : NULL;
	free(text);
	curl_slist_free_all(h);
	j = out != NULL ? json_loads(out, 0, NULL) : NULL;
	free(out);
	return j;
}
