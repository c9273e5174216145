/*
 * config.c: the command line and the environment, resolved once at start.
 *
 * Precedence, highest first: flags; then AWS_ENDPOINT_URL_DYNAMODB,
 * AWS_ENDPOINT_URL for the endpoint and AWS_REGION, AWS_DEFAULT_REGION for
 * the region; then the regional default https://dynamodb.<region>.amazonaws.com.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "dyntabled.h"

#define CONFIG_DEFAULT_SOCKET "/run/dyntabled/dyntabled.sock"

static void
config_usage(FILE *f)
{
	fprintf(f,
	    "usage: dyntabled [options]\n"
	    "\n"
	    "Performs DynamoDB table operations for local clients on a Unix socket.\n"
	    "Runs in the foreground and logs to stderr.\n"
	    "\n"
	    "  --socket PATH          socket to listen on (default %s)\n"
	    "  --socket-mode MODE     permission bits of the socket, octal (default 0660)\n"
	    "  --endpoint URL         DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB,\n"
	    "                         AWS_ENDPOINT_URL, else https://dynamodb.REGION.amazonaws.com)\n"
	    "  --region REGION        signing region (default: AWS_REGION, AWS_DEFAULT_REGION)\n"
	    "  --allow-insecure-http  accept a plain http endpoint that is not on loopback\n"
	    "  --log-level LEVEL      error, warn, info (default) or debug\n"
	    "  --max-frame BYTES      largest request frame accepted (default 1048576)\n"
	    "  --max-inflight N       requests in flight per connection (default 256)\n"
	    "  --max-clients N        connections at once (default 1024)\n"
	    "  --wait-default SECONDS wait timeout when a client gives none (default 60)\n"
	    "  --wait-max SECONDS     longest wait a client may ask for (default 3600)\n"
	    "  --poll-min-ms MS       first DescribeTable delay of a wait (default 50)\n"
	    "  --poll-max-ms MS       longest delay between DescribeTable calls of a wait\n"
	    "                         (default 100 for a loopback endpoint, else 2000)\n"
	    "  --http-timeout-ms MS   one HTTP attempt to DynamoDB (default 10000)\n"
	    "  --max-attempts N       HTTP attempts per DynamoDB call (default 3)\n"
	    "  --max-connections N    keep-alive connections to DynamoDB (default 16)\n"
	    "  --version              print the version and exit\n"
	    "  --help                 print this help and exit\n"
	    "\n"
	    "Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
	    "else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or\n"
	    "~/.aws/credentials), profile AWS_PROFILE or \"default\".\n",
	    CONFIG_DEFAULT_SOCKET);
}

/* Parses an unsigned decimal in [min, max]; false on anything else. */
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

static char *
config_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? strdup(v) : NULL;
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
	OPT_WAIT_DEFAULT,
	OPT_WAIT_MAX,
	OPT_POLL_MIN,
	OPT_POLL_MAX,
	OPT_HTTP_TIMEOUT,
	OPT_MAX_ATTEMPTS,
	OPT_MAX_CONNECTIONS,
	OPT_VERSION,
	OPT_HELP,
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
	{ "wait-default", required_argument, NULL, OPT_WAIT_DEFAULT },
	{ "wait-max", required_argument, NULL, OPT_WAIT_MAX },
	{ "poll-min-ms", required_argument, NULL, OPT_POLL_MIN },
	{ "poll-max-ms", required_argument, NULL, OPT_POLL_MAX },
	{ "http-timeout-ms", required_argument, NULL, OPT_HTTP_TIMEOUT },
	{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Numeric options: where each lands and its bounds. */
static bool
config_set_number(struct config *cfg, int opt, const char *arg)
{
	unsigned long v;

	switch (opt) {
	case OPT_MAX_FRAME:
		if (!config_parse_uint(arg, 1024, DTP_FRAME_MAX, &v))
			return false;
		cfg->max_frame = (uint32_t)v;
		return true;
	case OPT_MAX_INFLIGHT:
		if (!config_parse_uint(arg, 1, 65536, &v))
			return false;
		cfg->max_inflight = (unsigned)v;
		return true;
	case OPT_MAX_CLIENTS:
		if (!config_parse_uint(arg, 1, 1000000, &v))
			return false;
		cfg->max_clients = (unsigned)v;
		return true;
	case OPT_WAIT_DEFAULT:
	case OPT_WAIT_MAX:
		if (!config_parse_uint(arg, 1, 86400, &v))
			return false;
		if (opt == OPT_WAIT_DEFAULT)
			cfg->wait_default_ms = (unsigned)v * 1000;
		else
			cfg->wait_max_ms = (unsigned)v * 1000;
		return true;
	case OPT_POLL_MIN:
	case OPT_POLL_MAX:
		if (!config_parse_uint(arg, 1, 600000, &v))
			return false;
		if (opt == OPT_POLL_MIN)
			cfg->poll_min_ms = (unsigned)v;
		else
			cfg->poll_max_ms = (unsigned)v;
		return true;
	case OPT_HTTP_TIMEOUT:
		if (!config_parse_uint(arg, 100, 600000, &v))
			return false;
		cfg->http_timeout_ms = (unsigned)v;
		return true;
	case OPT_MAX_ATTEMPTS:
		if (!config_parse_uint(arg, 1, 20, &v))
			return false;
		cfg->max_attempts = (unsigned)v;
		return true;
	case OPT_MAX_CONNECTIONS:
		if (!config_parse_uint(arg, 1, 1024, &v))
			return false;
		cfg->max_connections = (unsigned)v;
		return true;
	default:
		return false;
	}
}

/* Fills in endpoint and region from the environment and defaults. */
static int
config_resolve(struct config *cfg, bool insecure_ok)
{
	bool https = false;

	if (cfg->region == NULL)
		cfg->region = config_env("AWS_REGION");
	if (cfg->region == NULL)
		cfg->region = config_env("AWS_DEFAULT_REGION");
	if (cfg->endpoint == NULL)
		cfg->endpoint = config_env("AWS_ENDPOINT_URL_DYNAMODB");
	if (cfg->endpoint == NULL)
		cfg->endpoint = config_env("AWS_ENDPOINT_URL");
	if (cfg->region == NULL) {
		if (cfg->endpoint == NULL) {
			fprintf(stderr, "dyntabled: no region: use --region, "
			    "AWS_REGION or AWS_DEFAULT_REGION\n");
			return -1;
		}
		/* A custom endpoint (an emulator) still needs a signing
		 * region; us-east-1 is what the SDKs use for "local". */
		cfg->region = strdup("us-east-1");
	}
	for (const char *p = cfg->region; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-')) {
			fprintf(stderr, "dyntabled: bad region \"%s\"\n",
			    cfg->region);
			return -1;
		}
	}
	if (cfg->endpoint == NULL) {
		char buf[256];

		snprintf(buf, sizeof(buf), "https://dynamodb.%s.amazonaws.com%s",
		    cfg->region, strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
		cfg->endpoint = strdup(buf);
	}
	if (cfg->endpoint == NULL || cfg->region == NULL) {
		fprintf(stderr, "dyntabled: out of memory\n");
		return -1;
	}
	if (!config_check_url(cfg->endpoint, &https)) {
		fprintf(stderr, "dyntabled: bad endpoint URL \"%s\": must be "
		    "http:// or https://\n", cfg->endpoint);
		return -1;
	}
	/* Plain http sends signed requests in the clear: only where nobody
	 * else can listen, unless the operator says otherwise. */
	if (!https && !insecure_ok && !config_is_loopback_url(cfg->endpoint)) {
		fprintf(stderr, "dyntabled: refusing plain http endpoint %s "
		    "that is not on loopback (use --allow-insecure-http)\n",
		    cfg->endpoint);
		return -1;
	}
	if (cfg->poll_max_ms == 0)
		cfg->poll_max_ms =
		    config_is_loopback_url(cfg->endpoint) ? 100 : 2000;
	if (cfg->poll_min_ms > cfg->poll_max_ms)
		cfg->poll_min_ms = cfg->poll_max_ms;
	if (cfg->wait_default_ms > cfg->wait_max_ms)
		cfg->wait_default_ms = cfg->wait_max_ms;
	return 0;
}

int
config_load(struct config *cfg, int argc, char **argv)
{
	bool insecure_ok = false;
	int opt;

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

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", config_options, NULL)) != -1) {
		char **dst = NULL;

		switch (opt) {
		case OPT_SOCKET:
			dst = &cfg->socket_path;
			break;
		case OPT_ENDPOINT:
			dst = &cfg->endpoint;
			break;
		case OPT_REGION:
			dst = &cfg->region;
			break;
		case OPT_SOCKET_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);

			if (*optarg == '\0' || *end != '\0' || m > 0777) {
				fprintf(stderr, "dyntabled: bad --socket-mode "
				    "\"%s\"\n", optarg);
				goto fail;
			}
			cfg->socket_mode = (unsigned)m;
			continue;
		}
		case OPT_INSECURE:
			insecure_ok = true;
			continue;
		case OPT_LOG_LEVEL:
			if (!log_level_parse(optarg, &cfg->log_level)) {
				fprintf(stderr, "dyntabled: bad --log-level "
				    "\"%s\": error, warn, info or debug\n",
				    optarg);
				goto fail;
			}
			continue;
		case OPT_VERSION:
			printf("dyntabled %s\n", DYNTABLED_VERSION);
			config_free(cfg);
			return 1;
		case OPT_HELP:
			config_usage(stdout);
			config_free(cfg);
			return 1;
		case '?':
			config_usage(stderr);
			goto fail;
		default:
			if (!config_set_number(cfg, opt, optarg)) {
				fprintf(stderr, "dyntabled: bad value \"%s\" "
				    "for --%s\n", optarg,
				    config_options[opt - OPT_SOCKET].name);
				goto fail;
			}
			continue;
		}
		free(*dst);
		if ((*dst = strdup(optarg)) == NULL)
			goto fail;
	}
	if (optind < argc) {
		fprintf(stderr, "dyntabled: unexpected argument \"%s\"\n",
		    argv[optind]);
		goto fail;
	}
	if (cfg->socket_path == NULL &&
	    (cfg->socket_path = strdup(CONFIG_DEFAULT_SOCKET)) == NULL)
		goto fail;
	if (config_resolve(cfg, insecure_ok) != 0)
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
	cfg->socket_path = cfg->endpoint = cfg->region = NULL;
}
