/* SPDX-License-Identifier: MIT */
/*
 * direct: the benchmarks' baseline. Sends DescribeTable straight to the
 * endpoint with libcurl keep-alive, doing what dyntabled does for each
 * request minus the daemon: a fresh SigV4 signature per request with
 * daemon/sigv4.c over the same headers (Host, Content-Type, X-Amz-Date,
 * X-Amz-Target, and the session token when there is one), the CRC32 check
 * of the reply, and a JSON parse of it (as any SDK would).
 *
 *	direct --endpoint http://127.0.0.1:PORT [--region R] [--table T]
 *	       [--concurrency N] [--max-connections M]
 *	       (--count N | --seconds S) [--warmup N] [--endpoint-pid PID]
 *
 * N transfers are in flight at once on one curl multi handle, each
 * restarted as soon as it completes (its easy handle is reused), over at
 * most M connections (CURLMOPT_MAX_HOST_CONNECTIONS and MAXCONNECTS, as
 * the daemon sets them from --max-connections; default 16). The first
 * --warmup completions are not measured. Credentials come from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
 *
 * Prints one line of key=value: n (requests measured), secs, rps,
 * p50_us, p90_us, p99_us, mean_us (latency of each request, from
 * signing to the reply checked and parsed), errors; then an "extra" line: CPU time per answer over the
 * whole run (warm-up included) of this process (self_cpu_us) and of
 * --endpoint-pid (endpoint_cpu_us). Exits 1 if any request failed.
 */
#include <getopt.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include "bench_util.h"
#include "sigv4.h"

#define DIRECT_MAX_SLOTS 4096
#define DIRECT_MAX_REPLY (1u << 20)

struct slot {
	CURL *easy;
	struct curl_slist *headers;
	char *reply;		/* the reply body as it arrives */
	size_t len, cap;
	bool crc_seen;
	uint32_t crc;
	double started;		/* bench_now() when the request was signed */
	bool busy;
};

struct direct {
	CURLM *multi;
	char url[512];
	char host[256];
	char body[320];
	size_t body_len;
	const char *region;
	sigv4_key key;
	struct slot *slots;
	unsigned n_slots;
};

static size_t
direct_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct slot *s = userp;
	size_t n = size * nmemb;

	if (s->len + n > DIRECT_MAX_REPLY)
		return 0;
	if (s->len + n > s->cap) {
		size_t cap = s->cap != 0 ? s->cap : 4096;
		char *p;

		while (cap < s->len + n)
			cap *= 2;
		if ((p = realloc(s->reply, cap)) == NULL)
			return 0;
		s->reply = p;
		s->cap = cap;
	}
	memcpy(s->reply + s->len, data, n);
	s->len += n;
	return n;
}

/* Picks up x-amz-crc32, as the daemon does. */
static size_t
direct_header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	static const char name[] = "x-amz-crc32:";
	struct slot *s = userp;
	size_t n = size * nmemb;

	if (n > sizeof name - 1 &&
	    strncasecmp(data, name, sizeof name - 1) == 0) {
		char tmp[32];
		size_t l = n - (sizeof name - 1);

		if (l >= sizeof tmp)
			l = sizeof tmp - 1;
		memcpy(tmp, data + sizeof name - 1, l);
		tmp[l] = '\0';
		s->crc = (uint32_t)strtoul(tmp, NULL, 10);
		s->crc_seen = true;
	}
	return n;
}

static bool
direct_add_header(struct slot *s, const char *name, const char *value)
{
	char line[2048];
	struct curl_slist *l;

	if (snprintf(line, sizeof line, "%s: %s", name, value) >=
	    (int)sizeof line)
		return false;
	if ((l = curl_slist_append(s->headers, line)) == NULL)
		return false;
	s->headers = l;
	return true;
}

/* Signs afresh and starts the slot's transfer. */
static bool
direct_start(struct direct *d, struct slot *s)
{
	static const char target[] = "DynamoDB_20120810.DescribeTable";
	static const char ctype[] = "application/x-amz-json-1.0";
	sigv4_header hdrs[3] = {
		{ "Host", d->host },
		{ "Content-Type", ctype },
		{ "X-Amz-Target", target },
	};
	sigv4_request req = {
		.method = "POST",
		.path = "/",
		.headers = hdrs,
		.n_headers = 3,
		.body = d->body,
		.body_len = d->body_len,
		.region = d->region,
		.service = "dynamodb",
		.flags = SIGV4_NORMALIZE_PATH,
	};
	sigv4_result res;
	bool ok;

	s->started = bench_now();
	req.now = time(NULL);
	memset(&res, 0, sizeof res);
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	s->len = 0;
	s->crc_seen = false;
	if (sigv4_sign(&req, &d->key, &res) != 0) {
		sigv4_result_free(&res);
		return false;
	}
	ok = direct_add_header(s, "Host", d->host) &&
	    direct_add_header(s, "Content-Type", ctype) &&
	    direct_add_header(s, "X-Amz-Target", target) &&
	    direct_add_header(s, "X-Amz-Date", res.amz_date) &&
	    direct_add_header(s, "Authorization", res.authorization) &&
	    (d->key.session_token == NULL ||
		direct_add_header(s, "X-Amz-Security-Token",
		    d->key.session_token));
	sigv4_result_free(&res);
	if (ok) {
		struct curl_slist *l = curl_slist_append(s->headers, "Expect:");

		ok = l != NULL;
		if (ok)
			s->headers = l;
	}
	if (!ok ||
	    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers) !=
		CURLE_OK ||
	    curl_multi_add_handle(d->multi, s->easy) != CURLM_OK)
		return false;
	s->busy = true;
	return true;
}

/* True when the finished transfer is a good DescribeTable reply. */
static bool
direct_check(struct slot *s, CURLcode rc)
{
	long status = 0;
	json_error_t jerr;
	json_t *j;
	bool ok;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200)
		return false;
	if (s->crc_seen && (uint32_t)crc32(crc32(0L, Z_NULL, 0),
	    (const Bytef *)s->reply, (uInt)s->len) != s->crc)
		return false;
	if ((j = json_loadb(s->reply, s->len, 0, &jerr)) == NULL)
		return false;
	ok = json_is_string(json_object_get(json_object_get(j, "Table"),
	    "TableStatus"));
	json_decref(j);
	return ok;
}

static bool
direct_setup_slot(struct direct *d, struct slot *s)
{
	if ((s->easy = curl_easy_init()) == NULL)
		return false;
	return curl_easy_setopt(s->easy, CURLOPT_URL, d->url) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION,
		(long)CURL_HTTP_VERSION_1_1) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_POST, 1L) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, d->body) ==
		CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		(curl_off_t)d->body_len) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "dyntable-bench/0.1") ==
		CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, 10000L) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, direct_write_cb) ==
		CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION,
		direct_header_cb) == CURLE_OK &&
	    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s) == CURLE_OK;
}

static void
direct_usage(FILE *f)
{
	fputs("usage: direct --endpoint http://127.0.0.1:PORT [--region R] "
	      "[--table T]\n"
	      "              [--concurrency N] [--max-connections M]\n"
	      "              (--count N | --seconds S) [--warmup N] "
	      "[--endpoint-pid PID]\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "region", required_argument, NULL, 'r' },
		{ "table", required_argument, NULL, 't' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "endpoint-pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct direct d = { .region = "us-east-1" };
	const char *endpoint = NULL, *table = "bench-table", *p;
	unsigned long count = 0, warmup = 0, done = 0, measured = 0,
		      errors = 0;
	long max_conns = 16;
	double seconds = 0, t0 = 0, t_end = 0, self0, ep0 = 0;
	pid_t epid = 0;
	struct bench_samples lat;
	unsigned in_flight = 0;
	bool measuring, stopping = false;
	int o, rc;

	d.n_slots = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'e': endpoint = optarg; break;
		case 'r': d.region = optarg; break;
		case 't': table = optarg; break;
		case 'c': d.n_slots = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': max_conns = strtol(optarg, NULL, 10); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 'p': epid = (pid_t)strtol(optarg, NULL, 10); break;
		case 'h': direct_usage(stdout); return 0;
		default: direct_usage(stderr); return 2;
		}
	}
	if (optind != argc || endpoint == NULL || d.n_slots == 0 ||
	    d.n_slots > DIRECT_MAX_SLOTS || max_conns < 1 ||
	    (count == 0) == (seconds <= 0) || seconds > 600 ||
	    strlen(table) > 255) {
		direct_usage(stderr);
		return 2;
	}
	/* host[:port] as the daemon signs it: exactly what follows "://". */
	if (strncmp(endpoint, "http://", 7) != 0 ||
	    !bench_is_loopback_url(endpoint) ||
	    strlen(endpoint) >= sizeof d.host) {
		fputs("direct: --endpoint must be http:// on loopback\n", stderr);
		return 2;
	}
	snprintf(d.host, sizeof d.host, "%s", endpoint + 7);
	if ((p = strchr(d.host, '/')) != NULL)
		d.host[p - d.host] = '\0';
	snprintf(d.url, sizeof d.url, "http://%s/", d.host);
	d.body_len = (size_t)snprintf(d.body, sizeof d.body,
	    "{\"TableName\":\"%s\"}", table);
	d.key.access_key_id = getenv("AWS_ACCESS_KEY_ID");
	d.key.secret_access_key = getenv("AWS_SECRET_ACCESS_KEY");
	d.key.session_token = getenv("AWS_SESSION_TOKEN");
	if (d.key.session_token != NULL && *d.key.session_token == '\0')
		d.key.session_token = NULL;
	if (d.key.access_key_id == NULL || d.key.secret_access_key == NULL) {
		fputs("direct: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
		      "must be set\n", stderr);
		return 2;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (d.multi = curl_multi_init()) == NULL ||
	    curl_multi_setopt(d.multi, CURLMOPT_MAX_HOST_CONNECTIONS,
		max_conns) != CURLM_OK ||
	    curl_multi_setopt(d.multi, CURLMOPT_MAXCONNECTS, max_conns) !=
		CURLM_OK ||
	    (d.slots = calloc(d.n_slots, sizeof *d.slots)) == NULL ||
	    bench_samples_init(&lat, count != 0 ? count : 1u << 22) != 0) {
		fputs("direct: cannot set up libcurl\n", stderr);
		free(d.slots);
		if (d.multi != NULL)
			curl_multi_cleanup(d.multi);
		return 1;
	}
	self0 = bench_self_cpu_secs();
	if (epid > 0)
		ep0 = bench_cpu_secs(epid);
	for (unsigned i = 0; i < d.n_slots; i++) {
		if (!direct_setup_slot(&d, &d.slots[i]) ||
		    !direct_start(&d, &d.slots[i])) {
			fputs("direct: cannot start a request\n", stderr);
			rc = 1;
			goto out;
		}
		in_flight++;
	}
	measuring = warmup == 0;
	if (measuring)
		t0 = bench_now();

	/* Bounded: the deadline, or the count plus a 60 s ceiling. */
	for (double hard = bench_now() + (seconds > 0 ? seconds : 0) + 60;
	    in_flight > 0 && bench_now() < hard;) {
		CURLMsg *msg;
		int running, left;

		curl_multi_perform(d.multi, &running);
		while ((msg = curl_multi_info_read(d.multi, &left)) != NULL) {
			struct slot *s;
			void *priv = NULL;
			double now;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    &priv);
			if ((s = priv) == NULL)
				continue;
			if (!direct_check(s, msg->data.result))
				errors++;
			/* The answer is usable once checked and parsed, as a
			 * daemon's reply is once the daemon did the same. */
			now = bench_now();
			curl_multi_remove_handle(d.multi, s->easy);
			s->busy = false;
			in_flight--;
			done++;
			if (measuring && !stopping) {
				bench_samples_add(&lat, now - s->started);
				measured++;
			}
			if (!measuring && done >= warmup) {
				measuring = true;
				t0 = now;
			}
			if (measuring && !stopping &&
			    ((count != 0 && measured >= count) ||
				(seconds > 0 && now - t0 >= seconds))) {
				stopping = true;
				t_end = now;
			}
			if (!stopping) {
				if (!direct_start(&d, s)) {
					errors++;
					continue;
				}
				in_flight++;
			}
		}
		if (in_flight > 0)
			curl_multi_poll(d.multi, NULL, 0, 100, NULL);
	}
	if (!stopping)
		t_end = bench_now();
	bench_print_result(&lat, measured, t_end - t0, errors);
	printf("extra self_cpu_us=%.1f endpoint_cpu_us=%.1f\n",
	    bench_per_op_us(bench_self_cpu_secs() - self0, done),
	    epid > 0 ? bench_per_op_us(bench_cpu_secs(epid) - ep0, done) : 0.0);
	rc = errors == 0 && in_flight == 0 ? 0 : 1;
out:
	for (unsigned i = 0; i < d.n_slots; i++) {
		if (d.slots[i].busy)
			curl_multi_remove_handle(d.multi, d.slots[i].easy);
		curl_easy_cleanup(d.slots[i].easy);
		curl_slist_free_all(d.slots[i].headers);
		free(d.slots[i].reply);
	}
	free(d.slots);
	bench_samples_free(&lat);
	curl_multi_cleanup(d.multi);
	curl_global_cleanup();
	return rc;
}
