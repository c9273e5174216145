/* SPDX-License-Identifier: MIT */
/*
 * config.c: the command line, the environment and the shared config file.
 *
 * Region, highest first: --region, AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's region. Endpoint: --endpoint; then, unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
 * ignore_configured_endpoint_urls says true, AWS_ENDPOINT_URL_DYNAMODB,
 * AWS_ENDPOINT_URL, the profile's services section (dynamodb endpoint_url)
 * and the profile's endpoint_url; else the regional default host, with
 * AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT (or the profile's
 * use_fips_endpoint / use_dualstack_endpoint) choosing the variant
 * (shared/reference/dynamodb-and-aws.md §6). The two are resolved at
 * start and again on SIGHUP; everything else only at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <ini.h>
#include <unistd.h>

#include "config.h"
#include "dtp.h"
#include "creds_int.h"
#include "policy.h"
#include "redact.h"

#define CONFIG_DEFAULT_SOCKET "/run/dyntabled/dyntabled.sock"

static void
config_usage(FILE *f)
{
	fprintf(f,
	    "usage: dyntabled [options]\n"
	    "\n"
	    "Performs DynamoDB table operations for local clients on a Unix socket.\n"
	    "Runs in the foreground and logs to stderr. SIGHUP re-reads the region,\n"
	    "the endpoint and the credentials; clients and requests stay.\n"
	    "\n"
	    "  --socket PATH          socket to listen on (default %s)\n"
	    "  --socket-mode MODE     permission bits of the socket, octal (default 0660)\n"
	    "  --endpoint URL         DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB,\n"
	    "                         AWS_ENDPOINT_URL, the profile's services section and\n"
	    "                         endpoint_url, else https://dynamodb.REGION.amazonaws.com;\n"
	    "                         AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT pick\n"
	    "                         the variant of the default)\n"
	    "  --region REGION        signing region (default: AWS_REGION, AWS_DEFAULT_REGION,\n"
	    "                         the profile's region)\n"
	    "  --allow-insecure-http  accept plain http endpoints (DynamoDB, STS, container\n"
	    "                         credentials) that are not on loopback\n"
	    "  --log-level LEVEL      error, warn, info (default) or debug\n"
	    "  --log-format FORMAT    text (default) or json: one object a line with\n"
	    "                         time, level, event and fields\n"
	    "  --max-frame BYTES      largest request frame accepted (default 1048576)\n"
	    "  --max-inflight N       requests in flight per connection (default 256)\n"
	    "  --max-clients N        connections at once (default 1024); root, the daemon's\n"
	    "                         user and [access] admins may use 16 more\n"
	    "  --max-clients-per-uid N\n"
	    "                         connections of one uid at once (default: half of\n"
	    "                         --max-clients), so no one user locks out the rest\n"
	    "  --wait-default SECONDS wait timeout when a client gives none (default 60)\n"
	    "  --wait-max SECONDS     longest wait a client may ask for (default 3600)\n"
	    "  --poll-min-ms MS       first DescribeTable delay of a wait (default 50)\n"
	    "  --poll-max-ms MS       longest delay between DescribeTable calls of a wait\n"
	    "                         (default 100 for a loopback endpoint, else 2000)\n"
	    "  --http-timeout-ms MS   one HTTP attempt to DynamoDB; also how long a request\n"
	    "                         waits for credentials still being fetched (default 10000)\n"
	    "  --max-attempts N       HTTP attempts per DynamoDB call (default 3)\n"
	    "  --max-connections N    keep-alive connections to DynamoDB (default 16)\n"
	    "  --max-mutations N      CreateTable/DeleteTable calls in flight, queued fairly\n"
	    "                         across clients beyond that (default 16)\n"
	    "  --ephemeral-grace SECONDS\n"
	    "                         ephemeral tables are deleted this long after their\n"
	    "                         session's last connection closes (default 10)\n"
	    "  --ephemeral-ttl SECONDS\n"
	    "                         dyntable:expires of ephemeral tables, renewed while\n"
	    "                         connected; reap deletes them after (default 7200)\n"
	    "  --credentials-timeout-ms MS\n"
	    "                         one credential fetch or credential_process run\n"
	    "                         (default 30000)\n",
	    CONFIG_DEFAULT_SOCKET);
	/* Two strings: C99 promises literals of 4095 characters only. */
	fputs("  --metrics-listen HOST:PORT\n"
	    "                         serve OpenMetrics text at http://HOST:PORT/metrics;\n"
	    "                         HOST on loopback (127.0.0.1, [::1]) unless\n"
	    "                         --metrics-allow-remote is given too\n"
	    "  --truncate-concurrency N\n"
	    "                         DynamoDB calls in flight of all truncates at once\n"
	    "                         (default: a quarter of --max-connections)\n"
	    "  --pool-spare N         ready tables kept for each on-demand definition\n"
	    "                         that was leased, beyond [pool] sections (default 1)\n"
	    "  --pool-max-tables N    pool tables of this daemon, all pools (default 64)\n"
	    "  --config FILE          configuration file (default " CONFIG_DEFAULT_FILE
	    " if it exists):\n"
	    "                         [daemon] takes every option above without \"--\";\n"
	    "                         [access], [user NAME], [group NAME] say who may\n"
	    "                         connect, use which tables, and run admin verbs\n"
	    "                         (dyntabled.conf(5)); [pool NAME] with\n"
	    "                         definition = FILE and size = N keeps tables\n"
	    "                         ready to lease; flags override the file\n"
	    "  --version              print the version and exit\n"
	    "  --help                 print this help and exit\n", f);
	fputs("\n"
	    "Credentials, the first source that yields wins (the AWS SDKs' order;\n"
	    "docs/CREDENTIALS.md, dyntabled(8)):\n"
	    "  1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\n"
	    "     [, AWS_SESSION_TOKEN]\n"
	    "  2. systemd credentials: files aws_access_key_id, aws_secret_access_key\n"
	    "     [, aws_session_token] in $CREDENTIALS_DIRECTORY (LoadCredential=)\n"
	    "  3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN\n"
	    "     [+ AWS_ROLE_SESSION_NAME], through STS (AWS_ENDPOINT_URL_STS,\n"
	    "     AWS_ENDPOINT_URL, else https://sts.REGION.amazonaws.com)\n"
	    "  4. the profile AWS_PROFILE (else AWS_DEFAULT_PROFILE, else \"default\")\n"
	    "     of ~/.aws/config (AWS_CONFIG_FILE) and ~/.aws/credentials\n"
	    "     (AWS_SHARED_CREDENTIALS_FILE): assume-role (role_arn with\n"
	    "     source_profile or credential_source), its web_identity_token_file,\n"
	    "     IAM Identity Center (sso_session, sso_start_url), its keys, its\n"
	    "     credential_process (run without a shell), in this order\n"
	    "  5. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with\n"
	    "     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN\n"
	    "  6. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true;\n"
	    "     AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address\n"
	    "Temporary credentials are refreshed before they expire.\n", f);
}

/* Parses an unsigned decimal in [min, max]; false on anything else. */
/* A configuration error, on stderr before the log exists. Settings may
 * quote secrets (an endpoint's user:password): redacted like the log. */
static void __attribute__((format(printf, 1, 2)))
config_complain(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = redact(line); /* also turns the caller's newline into a blank */
	while (n > 0 && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(stderr, "dyntabled: %s\n", line);
}

static bool
config_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
config_is_loopback_url(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool loop = false;

	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		struct in_addr a4;

		if (strcasecmp(host, "localhost") == 0 ||
		    strcmp(host, "[::1]") == 0)
			loop = true;
		else if (inet_pton(AF_INET, host, &a4) == 1)
			loop = (ntohl(a4.s_addr) >> 24) == 127;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return loop;
}

/* Checks that url is an absolute http(s) URL; fills *https. */
static bool
config_check_url(const char *url, bool *https)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	bool ok = false;

	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
		*https = strcmp(scheme, "https") == 0;
		ok = *https || strcmp(scheme, "http") == 0;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

bool
config_bool(const char *s, bool dflt)
{
	if (s == NULL)
		return dflt;
	return strcasecmp(s, "true") == 0;
}

bool
config_url_allowed(const struct config *cfg, const char *url,
    const char *const *http_hosts, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool https = false, ok = false;

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (!config_check_url(url, &https) ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "\"%.200s\" is not an http(s) URL", url);
		goto out;
	}
	ok = https || cfg->insecure_ok || config_is_loopback_url(url);
	for (size_t i = 0; !ok && http_hosts != NULL && http_hosts[i] != NULL;
	    i++)
		ok = strcasecmp(host, http_hosts[i]) == 0;
	if (!ok)
		snprintf(err, errlen, "refusing plain http to %.200s, which is "
		    "not on loopback (use --allow-insecure-http)", host);
out:
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* One AWS partition (botocore partitions.json): the regions it has, its
 * DNS suffixes and which variants it supports. */
struct config_partition {
	const char *prefix;	   /* region prefix; "" matches any */
	const char *dns;
	const char *dualstack_dns; /* NULL: no dual-stack */
	bool fips_keeps_host;	   /* us-gov: the FIPS host has no -fips */
};

static const struct config_partition config_partitions[] = {
	{ "cn-", "amazonaws.com.cn", "api.amazonwebservices.com.cn", false },
	{ "us-gov-", "amazonaws.com", "api.aws", true },
	{ "us-iso-", "c2s.ic.gov", NULL, false },
	{ "us-isob-", "sc2s.sgov.gov", NULL, false },
	{ "eu-isoe-", "cloud.adc-e.uk", NULL, false },
	{ "us-isof-", "csp.hci.ic.gov", NULL, false },
	{ "", "amazonaws.com", "api.aws", false }, /* aws, the default */
};

int
config_default_endpoint(const char *service, const char *region, bool fips,
    bool dualstack, char *buf, size_t len, char *err, size_t errlen)
{
	const struct config_partition *pt = config_partitions;
	bool dynamodb = strcmp(service, "dynamodb") == 0;
	int n;

	if (dynamodb && strcmp(region, "local") == 0) {
		if (fips || dualstack) {
			snprintf(err, errlen, "FIPS and dual-stack are not "
			    "supported for region \"local\"");
			return -1;
		}
		n = snprintf(buf, len, "http://localhost:8000");
		return n > 0 && (size_t)n < len ? 0 : -1;
	}
	while (strncmp(region, pt->prefix, strlen(pt->prefix)) != 0)
		pt++;
	if (dualstack && pt->dualstack_dns == NULL) {
		snprintf(err, errlen, "dual-stack is enabled, but the "
		    "partition of region %s does not support it", region);
		return -1;
	}
	/* GovCloud: the regional host is FIPS already, except dual-stack
	 * [EP rule set]. Only DynamoDB's rules are known here. */
	n = snprintf(buf, len, "https://%s%s.%s.%s", service,
	    fips && !(dynamodb && pt->fips_keeps_host && !dualstack) ?
	    "-fips" : "", region, dualstack ? pt->dualstack_dns : pt->dns);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "region name too long");
		return -1;
	}
	return 0;
}

/* Where an endpoint or region came from, for the logs. */
struct config_resolved {
	char *endpoint;
	char *region;
	const char *endpoint_from;
	const char *region_from;
};

/* An environment variable that is set and not empty, or NULL. */
static const char *
config_getenv(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* A boolean setting: the environment variable when set, else the
 * profile's value (-1: unset), else false. */
static bool
config_flag(const char *env, int profile_value)
{
	const char *v = config_getenv(env);

	if (v != NULL)
		return config_bool(v, false);
	return profile_value == 1;
}

/*
 * Resolves endpoint and region from cfg's flags, the environment and the
 * shared config file into out (malloc'd strings). Returns 0, or -1 with
 * the reason in err.
 */
static int
config_resolve_into(const struct config *cfg, struct config_resolved *out,
    char *err, size_t errlen)
{
	struct creds_profile prof;
	const char *region = NULL, *endpoint = NULL;
	bool ignore, fips, dualstack, https = false;
	char buf[256];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (creds_profile_load(&prof) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((region = cfg->flag_region) != NULL)
		out->region_from = "--region";
	else if ((region = config_getenv("AWS_REGION")) != NULL)
		out->region_from = "AWS_REGION";
	else if ((region = config_getenv("AWS_DEFAULT_REGION")) != NULL)
		out->region_from = "AWS_DEFAULT_REGION";
	else if ((region = prof.region) != NULL)
		out->region_from = "profile";

	ignore = config_flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	    prof.ignore_configured_endpoint_urls);
	fips = config_flag("AWS_USE_FIPS_ENDPOINT", prof.use_fips_endpoint);
	dualstack = config_flag("AWS_USE_DUALSTACK_ENDPOINT",
	    prof.use_dualstack_endpoint);
	if ((endpoint = cfg->flag_endpoint) != NULL) {
		out->endpoint_from = "--endpoint";
	} else if (!ignore) {
		if ((endpoint = config_getenv("AWS_ENDPOINT_URL_DYNAMODB")) !=
		    NULL) {
			out->endpoint_from = "AWS_ENDPOINT_URL_DYNAMODB";
		} else if ((endpoint = config_getenv("AWS_ENDPOINT_URL")) !=
		    NULL) {
			out->endpoint_from = "AWS_ENDPOINT_URL";
		} else if (prof.services != NULL && prof.services_missing) {
			snprintf(err, errlen, "profile %s names services "
			    "section \"%s\", which the config file lacks",
			    prof.name, prof.services);
			goto out;
		} else if ((endpoint = prof.services_dynamodb_url) != NULL) {
			out->endpoint_from = "profile services section";
		} else if ((endpoint = prof.endpoint_url) != NULL) {
			out->endpoint_from = "profile endpoint_url";
		}
	}
	if (endpoint != NULL && (fips || dualstack)) {
		snprintf(err, errlen, "%s and a custom endpoint (%s) are not "
		    "supported together", fips ? "FIPS" : "dual-stack",
		    out->endpoint_from);
		goto out;
	}
	if (endpoint == NULL) {
		if (region == NULL) {
			snprintf(err, errlen, "no region: use --region, "
			    "AWS_REGION, AWS_DEFAULT_REGION or region in the "
			    "profile");
			goto out;
		}
		if (config_default_endpoint("dynamodb", region, fips, dualstack,
			buf, sizeof(buf), err, errlen) != 0)
			goto out;
		endpoint = buf;
		out->endpoint_from = "default for the region";
	}
	/* Region "local" (http://localhost:8000), or a custom endpoint (an
	 * emulator) without a region: signed as us-east-1, like the SDKs. */
	if (region == NULL || strcmp(region, "local") == 0) {
		region = "us-east-1";
		out->region_from = "default";
	}
	for (const char *p = region; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-')) {
			snprintf(err, errlen, "bad region \"%.64s\"", region);
			goto out;
		}
	}
	if (!config_check_url(endpoint, &https)) {
		snprintf(err, errlen, "bad endpoint URL \"%.200s\": must be "
		    "http:// or https://", endpoint);
		goto out;
	}
	/* Plain http sends signed requests in the clear: only where nobody
	 * else can listen, unless the operator says otherwise. */
	if (!https && !cfg->insecure_ok && !config_is_loopback_url(endpoint)) {
		snprintf(err, errlen, "refusing plain http endpoint %.200s "
		    "that is not on loopback (use --allow-insecure-http)",
		    endpoint);
		goto out;
	}
	if ((out->endpoint = strdup(endpoint)) == NULL ||
	    (out->region = strdup(region)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(out->endpoint);
		out->endpoint = NULL;
		goto out;
	}
	rc = 0;
out:
	creds_profile_free(&prof);
	return rc;
}

enum {
	OPT_SOCKET = 256,
	OPT_SOCKET_MODE,
	OPT_ENDPOINT,
	OPT_REGION,
	OPT_INSECURE,
	OPT_LOG_LEVEL,
	OPT_MAX_FRAME,
	OPT_MAX_INFLIGHT,
	OPT_MAX_CLIENTS,
	OPT_MAX_CLIENTS_PER_UID,
	OPT_WAIT_DEFAULT,
	OPT_WAIT_MAX,
	OPT_POLL_MIN,
	OPT_POLL_MAX,
	OPT_HTTP_TIMEOUT,
	OPT_MAX_ATTEMPTS,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_MUTATIONS,
	OPT_EPHEMERAL_GRACE,
	OPT_EPHEMERAL_TTL,
	OPT_CREDS_TIMEOUT,
	OPT_TRUNCATE_CONCURRENCY,
	OPT_POOL_SPARE,
	OPT_POOL_MAX_TABLES,
	OPT_CONFIG,
	OPT_VERSION,
	OPT_HELP,
	OPT_METRICS_LISTEN,
	OPT_METRICS_REMOTE,
	OPT_LOG_FORMAT,
};

static const struct option config_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "allow-insecure-http", no_argument, NULL, OPT_INSECURE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
	{ "max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-clients-per-uid", required_argument, NULL,
	    OPT_MAX_CLIENTS_PER_UID },
	{ "wait-default", required_argument, NULL, OPT_WAIT_DEFAULT },
	{ "wait-max", required_argument, NULL, OPT_WAIT_MAX },
	{ "poll-min-ms", required_argument, NULL, OPT_POLL_MIN },
	{ "poll-max-ms", required_argument, NULL, OPT_POLL_MAX },
	{ "http-timeout-ms", required_argument, NULL, OPT_HTTP_TIMEOUT },
	{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "max-mutations", required_argument, NULL, OPT_MAX_MUTATIONS },
	{ "ephemeral-grace", required_argument, NULL, OPT_EPHEMERAL_GRACE },
	{ "ephemeral-ttl", required_argument, NULL, OPT_EPHEMERAL_TTL },
	{ "credentials-timeout-ms", required_argument, NULL, OPT_CREDS_TIMEOUT },
	{ "truncate-concurrency", required_argument, NULL,
	    OPT_TRUNCATE_CONCURRENCY },
	{ "pool-spare", required_argument, NULL, OPT_POOL_SPARE },
	{ "pool-max-tables", required_argument, NULL, OPT_POOL_MAX_TABLES },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "metrics-allow-remote", no_argument, NULL, OPT_METRICS_REMOTE },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ NULL, 0, NULL, 0 },
};

/* Numeric options: where each lands, its bounds as given and its unit
 * (scale: what one unit is in the field, e.g. 1000 for seconds in ms). */
static const struct config_number {
	size_t field;		/* offsetof(struct config, ...), an unsigned */
	unsigned long min, max;
	const char *unit;
	int opt;
	unsigned scale;
} config_numbers[] = {
#define CFG_NUM(o, f, lo, hi, sc, u) \
	{ .opt = (o), .field = offsetof(struct config, f), .min = (lo), \
	  .max = (hi), .scale = (sc), .unit = (u) }
	CFG_NUM(OPT_MAX_FRAME, max_frame, 1024, DTP_FRAME_MAX, 1, "bytes"),
	CFG_NUM(OPT_MAX_INFLIGHT, max_inflight, 1, 65536, 1, ""),
	CFG_NUM(OPT_MAX_CLIENTS, max_clients, 1, 1000000, 1, ""),
	CFG_NUM(OPT_MAX_CLIENTS_PER_UID, max_clients_per_uid, 1, 1000000, 1,
	    ""),
	CFG_NUM(OPT_WAIT_DEFAULT, wait_default_ms, 1, 86400, 1000, "seconds"),
	CFG_NUM(OPT_WAIT_MAX, wait_max_ms, 1, 86400, 1000, "seconds"),
	CFG_NUM(OPT_POLL_MIN, poll_min_ms, 1, 600000, 1, "ms"),
	CFG_NUM(OPT_POLL_MAX, poll_max_ms, 1, 600000, 1, "ms"),
	CFG_NUM(OPT_HTTP_TIMEOUT, http_timeout_ms, 100, 600000, 1, "ms"),
	CFG_NUM(OPT_MAX_ATTEMPTS, max_attempts, 1, 20, 1, ""),
	CFG_NUM(OPT_MAX_CONNECTIONS, max_connections, 1, 1024, 1, ""),
	/* AWS allows 500 table operations per account at once */
	CFG_NUM(OPT_MAX_MUTATIONS, max_mutations, 1, 500, 1, ""),
	CFG_NUM(OPT_EPHEMERAL_GRACE, ephemeral_grace_ms, 0, 86400, 1000,
	    "seconds"),
	CFG_NUM(OPT_EPHEMERAL_TTL, ephemeral_ttl_s, 10, 30ul * 86400, 1,
	    "seconds"),
	CFG_NUM(OPT_CREDS_TIMEOUT, creds_timeout_ms, 100, 600000, 1, "ms"),
	CFG_NUM(OPT_TRUNCATE_CONCURRENCY, truncate_concurrency, 1, 1024, 1,
	    ""),
	CFG_NUM(OPT_POOL_SPARE, pool_spare, 0, 64, 1, ""),
	/* DynamoDB's default quota is 2,500 tables per account and region */
	CFG_NUM(OPT_POOL_MAX_TABLES, pool_max_tables, 0, 2500, 1, ""),
#undef CFG_NUM
};

/* Sets a numeric option. 1: opt is not one; 0: set; -1: refused, with a
 * message that gives the allowed range. */
static int
config_set_number(struct config *cfg, int opt, const char *arg,
    const char *where)
{
	const struct config_number *n = NULL;
	unsigned long v;

	for (size_t i = 0; i < sizeof(config_numbers) /
	    sizeof(config_numbers[0]); i++)
		if (config_numbers[i].opt == opt)
			n = &config_numbers[i];
	if (n == NULL)
		return 1;
	if (!config_parse_uint(arg, n->min, n->max, &v)) {
		config_complain("bad value \"%s\" for %s: a whole number from "
		    "%lu to %lu%s%s\n", arg, where, n->min, n->max,
		    n->unit[0] != '\0' ? " " : "", n->unit);
		return -1;
	}
	*(unsigned *)(void *)((char *)cfg + n->field) =
	    (unsigned)(v * n->scale);
	return 0;
}

/* Fills in endpoint and region, then the defaults that depend on them. */
static int
config_resolve(struct config *cfg)
{
	struct config_resolved r;
	char err[320];

	if (config_resolve_into(cfg, &r, err, sizeof(err)) != 0) {
		config_complain("%s\n", err);
		return -1;
	}
	cfg->endpoint = r.endpoint;
	cfg->region = r.region;
	if (cfg->poll_max_ms == 0)
		cfg->poll_max_ms =
		    config_is_loopback_url(cfg->endpoint) ? 100 : 2000;
	if (cfg->poll_min_ms > cfg->poll_max_ms)
		cfg->poll_min_ms = cfg->poll_max_ms;
	if (cfg->wait_default_ms > cfg->wait_max_ms)
		cfg->wait_default_ms = cfg->wait_max_ms;
	if (cfg->max_clients_per_uid == 0)
		cfg->max_clients_per_uid = cfg->max_clients > 1 ?
		    cfg->max_clients / 2 : 1;
	if (cfg->max_clients_per_uid > cfg->max_clients)
		cfg->max_clients_per_uid = cfg->max_clients;
	return 0;
}

int
config_reload(struct config *cfg)
{
	struct config_resolved r;
	char err[320];
	bool changed;

	if (config_resolve_into(cfg, &r, err, sizeof(err)) != 0) {
		log_err("reload: %s; keeping endpoint %s, region %s", err,
		    cfg->endpoint, cfg->region);
		return -1;
	}
	changed = strcmp(r.endpoint, cfg->endpoint) != 0 ||
	    strcmp(r.region, cfg->region) != 0;
	if (changed)
		log_info("reload: endpoint %s (from %s), region %s (from %s)",
		    r.endpoint, r.endpoint_from, r.region, r.region_from);
	free(cfg->endpoint);
	free(cfg->region);
	cfg->endpoint = r.endpoint;
	cfg->region = r.region;
	return changed ? 1 : 0;
}

/* --metrics-listen HOST:PORT (HOST an IPv4 address, [IPv6] or
 * localhost; PORT 0 picks a free one) into metrics_host and _port. */
static int
config_set_metrics_listen(struct config *cfg, const char *arg,
    const char *where)
{
	const char *colon = strrchr(arg, ':');
	unsigned long port;
	size_t hlen;

	if (colon == NULL || colon == arg ||
	    !config_parse_uint(colon + 1, 0, 65535, &port)) {
		config_complain("bad %s \"%s\": want HOST:PORT, e.g. "
		    "127.0.0.1:9187\n", where, arg);
		return -1;
	}
	hlen = (size_t)(colon - arg);
	if (arg[0] == '[' && hlen > 2 && arg[hlen - 1] == ']') {
		arg++;	/* evhttp wants an IPv6 address without brackets */
		hlen -= 2;
	}
	free(cfg->metrics_host);
	if ((cfg->metrics_host = strndup(arg, hlen)) == NULL) {
		config_complain("out of memory\n");
		return -1;
	}
	cfg->metrics_port = (unsigned)port;
	return 0;
}

/* The metrics address must be on loopback unless the operator said
 * --metrics-allow-remote: the numbers show every client's activity. */
static int
config_check_metrics(const struct config *cfg)
{
	char url[300];

	if (cfg->metrics_host == NULL || cfg->metrics_remote_ok)
		return 0;
	snprintf(url, sizeof(url), strchr(cfg->metrics_host, ':') != NULL ?
	    "http://[%s]/" : "http://%s/", cfg->metrics_host);
	if (config_is_loopback_url(url))
		return 0;
	config_complain("--metrics-listen %s: not a loopback address; the "
	    "metrics would be open to the network. Add "
	    "--metrics-allow-remote to mean it\n", cfg->metrics_host);
	return -1;
}

/*
 * Applies one option, from the command line or the [daemon] section of
 * the configuration file (where = "--name" or "FILE:[daemon] name").
 * Returns 0, 1 for --help/--version (printed), -1 after printing why.
 */
static int
config_apply(struct config *cfg, int opt, const char *arg, const char *where)
{
	char **dst = NULL;

	switch (opt) {
	case OPT_SOCKET:
		dst = &cfg->socket_path;
		break;
	case OPT_ENDPOINT:
		dst = &cfg->flag_endpoint;
		break;
	case OPT_REGION:
		dst = &cfg->flag_region;
		break;
	case OPT_CONFIG:
		return 0; /* read before anything else */
	case OPT_SOCKET_MODE: {
		char *end;
		unsigned long m = strtoul(arg, &end, 8);

		if (*arg == '\0' || *end != '\0' || m > 0777) {
			config_complain("bad %s \"%s\": octal "
			    "permission bits\n", where, arg);
			return -1;
		}
		cfg->socket_mode = (unsigned)m;
		return 0;
	}
	case OPT_INSECURE:
		cfg->insecure_ok = arg == NULL || config_bool(arg, true);
		return 0;
	case OPT_METRICS_REMOTE:
		cfg->metrics_remote_ok = arg == NULL || config_bool(arg, true);
		return 0;
	case OPT_METRICS_LISTEN:
		return config_set_metrics_listen(cfg, arg, where);
	case OPT_LOG_FORMAT:
		if (strcmp(arg, "text") == 0)
			cfg->log_json = false;
		else if (strcmp(arg, "json") == 0)
			cfg->log_json = true;
		else {
			config_complain("bad %s \"%s\": text or json\n",
			    where, arg);
			return -1;
		}
		return 0;
	case OPT_LOG_LEVEL:
		if (!log_level_parse(arg, &cfg->log_level)) {
			config_complain("bad %s \"%s\": error, warn, "
			    "info or debug\n", where, arg);
			return -1;
		}
		return 0;
	case OPT_VERSION:
		printf("dyntabled %s\n", DYNTABLED_VERSION);
		return 1;
	case OPT_HELP:
		config_usage(stdout);
		return 1;
	default:
		return config_set_number(cfg, opt, arg, where) == 0 ? 0 : -1;
	}
	free(*dst);
	if ((*dst = strdup(arg)) == NULL) {
		config_complain("out of memory\n");
		return -1;
	}
	return 0;
}

struct config_file_ctx {
	struct config *cfg;
	struct policy *policy; /* the access sections go here */
	const char *path;
	bool daemon_keys;      /* apply [daemon] (not on a policy reload) */
	bool failed;
};

/* The [pool NAME] section named name: the last one, or a new one. NULL
 * when out of memory. */
static struct config_pool *
config_pool_get(struct config *cfg, const char *name)
{
	struct config_pool *p;

	if (cfg->n_pools > 0 &&
	    strcmp(cfg->pools[cfg->n_pools - 1].name, name) == 0)
		return &cfg->pools[cfg->n_pools - 1];
	p = realloc(cfg->pools, (cfg->n_pools + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	cfg->pools = p;
	p = &cfg->pools[cfg->n_pools];
	memset(p, 0, sizeof(*p));
	if ((p->name = strdup(name)) == NULL)
		return NULL;
	cfg->n_pools++;
	return p;
}

/* One key of a [pool NAME] section: definition, size, provisioned. */
static int
config_pool_line(struct config *cfg, const char *name, const char *key,
    const char *value, char *err, size_t errlen)
{
	struct config_pool *p;
	unsigned long n;
	size_t len = strlen(name);

	if (len == 0 || len > 32 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len) {
		snprintf(err, errlen, "a pool name is 1 to 32 of a-z, A-Z, "
		    "0-9, '_' and '-'");
		return -1;
	}
	for (size_t i = 0; i + 1 < cfg->n_pools; i++)
		if (strcmp(cfg->pools[i].name, name) == 0) {
			snprintf(err, errlen, "pool %s is declared twice", name);
			return -1;
		}
	if ((p = config_pool_get(cfg, name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strcmp(key, "definition") == 0) {
		free(p->definition);
		if ((p->definition = strdup(value)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	} else if (strcmp(key, "size") == 0) {
		if (!config_parse_uint(value, 0, 2500, &n)) {
			snprintf(err, errlen, "a whole number from 0 to 2500");
			return -1;
		}
		p->size = (unsigned)n;
	} else if (strcmp(key, "provisioned") == 0) {
		p->provisioned = config_bool(value, false);
	} else {
		snprintf(err, errlen, "unknown setting (definition, size, "
		    "provisioned)");
		return -1;
	}
	return 0;
}

/* inih callback: [daemon] keys are the long options without "--"; the
 * access sections go to the policy. Stops at the first error. */
static int
config_file_line(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_file_ctx *fc = user;
	char where[160], err[256];

	if (strcmp(section, "daemon") == 0) {
		const struct option *o;

		if (!fc->daemon_keys)
			return 1;
		for (o = config_options; o->name != NULL; o++)
			if (strcmp(o->name, name) == 0)
				break;
		snprintf(where, sizeof(where), "%s: [daemon] %s", fc->path,
		    name);
		if (o->name == NULL || o->val == OPT_CONFIG ||
		    o->val == OPT_HELP || o->val == OPT_VERSION) {
			config_complain("%s: unknown setting\n",
			    where);
			fc->failed = true;
			return 0;
		}
		if (config_apply(fc->cfg, o->val, value, where) != 0) {
			fc->failed = true;
			return 0;
		}
		return 1;
	}
	if (strncmp(section, "pool ", 5) == 0) {
		if (!fc->daemon_keys) /* pools are read at start only */
			return 1;
		if (config_pool_line(fc->cfg, section + 5, name, value, err,
		    sizeof(err)) != 0) {
			config_complain("%s: [%s] %s: %s\n", fc->path, section,
			    name, err);
			fc->failed = true;
			return 0;
		}
		return 1;
	}
	if (policy_set(fc->policy, section, name, value, err,
	    sizeof(err)) != 0) {
		if (fc->daemon_keys)
			config_complain("%s: [%s] %s: %s\n",
			    fc->path, section, name, err);
		else
			log_err("reload: %s: [%s] %s: %s", fc->path, section,
			    name, err);
		fc->failed = true;
		return 0;
	}
	return 1;
}

/*
 * Reads path into cfg (daemon_keys) and into a new policy stored in
 * *policy. A missing file is fine only when it was not asked for.
 */
static int
config_read_file(struct config *cfg, const char *path, bool asked,
    bool daemon_keys, struct policy **policy)
{
	struct config_file_ctx fc = { cfg, NULL, path, daemon_keys, false };
	int rc;

	if ((fc.policy = policy_new(geteuid())) == NULL)
		return -1;
	rc = ini_parse(path, config_file_line, &fc);
	if (rc == -1 && !asked) {
		*policy = fc.policy;
		return 0;
	}
	if (rc != 0 && !fc.failed) {
		if (rc < 0)
			config_complain("%s: %s\n", path,
			    strerror(errno));
		else
			config_complain("%s: line %d: syntax error\n",
			    path, rc);
	}
	if (rc != 0 || fc.failed) {
		policy_free(fc.policy);
		return -1;
	}
	*policy = fc.policy;
	return 0;
}

void
config_reload_policy(struct config *cfg)
{
	struct policy *p = NULL;

	if (cfg->config_file == NULL)
		return;
	if (config_read_file(cfg, cfg->config_file, true, false, &p) != 0) {
		log_err("reload: %s is invalid; keeping the current access "
		    "policy", cfg->config_file);
		return;
	}
	policy_free(cfg->policy);
	cfg->policy = p;
	log_info("reload: access policy read from %s", cfg->config_file);
}

/* Finds --config FILE / --config=FILE in argv before options are parsed:
 * the file comes first so that flags override it. */
static const char *
config_file_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

int
config_load(struct config *cfg, int argc, char **argv)
{
	const char *file = config_file_arg(argc, argv);
	int opt, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_mode = 0660;
	cfg->log_level = LOG_LVL_INFO;
	cfg->max_frame = 1u << 20;
	cfg->max_inflight = 256;
	cfg->max_clients = 1024;
	cfg->wait_default_ms = 60 * 1000;
	cfg->wait_max_ms = 3600 * 1000;
	cfg->poll_min_ms = 50;
	cfg->http_timeout_ms = 10 * 1000;
	cfg->max_attempts = 3;
	cfg->max_connections = 16;
	/* 16 leaves room for about 30 daemons (CI hosts) under DynamoDB's
	 * 500 table operations at once per account (250 with indexes); a
	 * CreateTable answers in milliseconds, so 16 in flight is still
	 * hundreds a second (dyntabled(8), --max-mutations). */
	cfg->max_mutations = 16;
	cfg->ephemeral_grace_ms = 10 * 1000;
	cfg->ephemeral_ttl_s = 2 * 3600;
	cfg->creds_timeout_ms = 30 * 1000;
	cfg->pool_spare = 1;
	cfg->pool_max_tables = 64;

	/* The file first (flags override it), unless --help is asked. */
	if ((cfg->config_file = strdup(file != NULL ? file :
	    CONFIG_DEFAULT_FILE)) == NULL ||
	    config_read_file(cfg, cfg->config_file, file != NULL, true,
	    &cfg->policy) != 0)
		goto fail;
	optind = 1;
	opterr = 0; /* one line of ours, not getopt's and the whole help */
	while ((opt = getopt_long(argc, argv, ":", config_options, NULL)) !=
	    -1) {
		char where[64];

		if (opt == '?' || opt == ':') {
			config_complain("%s option '%s' (see dyntabled "
			    "--help)", opt == ':' ? "missing the value of" :
			    "unknown", argv[optind - 1]);
			goto fail;
		}
		snprintf(where, sizeof(where), "--%s",
		    config_options[opt - OPT_SOCKET].name);
		if ((rc = config_apply(cfg, opt, optarg, where)) != 0) {
			config_free(cfg);
			return rc;
		}
	}
	if (optind < argc) {
		config_complain("unexpected argument \"%s\"\n",
		    argv[optind]);
		goto fail;
	}
	if (cfg->socket_path == NULL &&
	    (cfg->socket_path = strdup(CONFIG_DEFAULT_SOCKET)) == NULL)
		goto fail;
	if (config_resolve(cfg) != 0 || config_check_metrics(cfg) != 0)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

void
config_free(struct config *cfg)
{
	free(cfg->socket_path);
	free(cfg->endpoint);
	free(cfg->region);
	free(cfg->flag_endpoint);
	free(cfg->flag_region);
	free(cfg->config_file);
	free(cfg->metrics_host);
	cfg->metrics_host = NULL;
	policy_free(cfg->policy);
	for (size_t i = 0; i < cfg->n_pools; i++) {
		free(cfg->pools[i].name);
		free(cfg->pools[i].definition);
	}
	free(cfg->pools);
	cfg->pools = NULL;
	cfg->n_pools = 0;
	cfg->socket_path = cfg->endpoint = cfg->region = NULL;
	cfg->flag_endpoint = cfg->flag_region = cfg->config_file = NULL;
	cfg->policy = NULL;
}
