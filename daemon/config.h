/* SPDX-License-Identifier: MIT */
/*
 * config.h: what the command line, the environment and the files decide
 * (config.c).
 */
#ifndef DYNTABLED_CONFIG_H
#define DYNTABLED_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* DYNTABLED_VERSION ("0.2.0") and DYNTABLED_SYSCONFDIR ("/etc") come from
 * the build (daemon/CMakeLists.txt): the project version and the install
 * prefix live in CMakeLists.txt alone. */

struct policy;

/* A [pool NAME] section: a pool of tables kept ready (pools.c). */
struct config_pool {
	char *name;		/* NAME: 1-32 of [a-zA-Z0-9_-] */
	char *definition;	/* definition = FILE: a CreateTableInput */
	unsigned size;		/* size = N: tables kept ready */
	bool provisioned;	/* provisioned = true: pool a provisioned
				 * definition (idle tables cost money) */
};

/* Everything the command line, the environment and the shared config file
 * decide. endpoint and region are resolved again on SIGHUP. */
struct config {
	char *socket_path;	 /* where to listen */
	unsigned socket_mode;	 /* permission bits of the socket, 0660 */
	char *endpoint;		 /* DynamoDB endpoint URL, resolved */
	char *region;		 /* signing region, resolved */
	enum log_level log_level;
	unsigned max_frame;	 /* largest request frame accepted */
	unsigned max_inflight;	 /* requests in flight per connection */
	unsigned max_clients;	 /* connections at once (+ CONN_ADMIN_RESERVE
				  * for root, self and admins) */
	unsigned max_clients_per_uid; /* connections of one uid at once */
	unsigned wait_default_ms; /* wait timeout when the client gives none */
	unsigned wait_max_ms;	 /* cap on a client's wait timeout */
	unsigned poll_min_ms;	 /* first DescribeTable delay of a poller */
	unsigned poll_max_ms;	 /* cap of a poller's backoff */
	unsigned http_timeout_ms; /* one HTTP attempt, connect included */
	unsigned max_attempts;	 /* HTTP attempts per DynamoDB call */
	unsigned max_connections; /* keep-alive connections to the endpoint */
	unsigned max_mutations;	 /* CreateTable/DeleteTable calls in flight */
	unsigned ephemeral_grace_ms; /* ephemeral tables outlive their owner */
	unsigned ephemeral_ttl_s; /* dyntable:expires is now + this */
	unsigned creds_timeout_ms; /* one credential fetch or process run */
	unsigned truncate_concurrency; /* calls in flight of all truncates;
					* 0: max_connections / 4 */
	unsigned pool_spare;	 /* ready tables a leased definition keeps */
	unsigned pool_max_tables; /* pool tables of this daemon, all pools */
	struct config_pool *pools; /* [pool NAME] sections, in file order */
	size_t n_pools;
	bool insecure_ok;	 /* --allow-insecure-http */
	char *metrics_host;	 /* --metrics-listen's address, or NULL */
	unsigned metrics_port;	 /* its port; 0: any free one */
	bool metrics_remote_ok;	 /* --metrics-allow-remote */
	bool log_json;		 /* --log-format json */
	char *flag_endpoint;	 /* --endpoint as given, or NULL */
	char *flag_region;	 /* --region as given, or NULL */
	char *config_file;	 /* the configuration file read, or NULL */
	struct policy *policy;	 /* access control ([access] etc.), owned */
};

#define CONFIG_DEFAULT_FILE DYNTABLED_SYSCONFDIR "/dyntabled.conf"

/*
 * Parses argv and the environment into cfg (zeroed first). Returns 0, 1
 * when --help or --version was printed, or -1 after printing a usage
 * error to stderr.
 */
int config_load(struct config *cfg, int argc, char **argv);
/*
 * SIGHUP: resolves endpoint and region again (same flags, the environment,
 * the shared config file read afresh). Returns 1 when either changed, 0
 * when neither did, -1 when the new settings are invalid: cfg is then
 * unchanged and the reason logged.
 */
int config_reload(struct config *cfg);
/* SIGHUP: reads the access policy of the configuration file again; keeps
 * the current one (and logs why) when the file is invalid. */
void config_reload_policy(struct config *cfg);
void config_free(struct config *cfg);
/* True if the URL's host is a loopback address or "localhost". */
bool config_is_loopback_url(const char *url);
/*
 * May a request go to url? It must be http(s); plain http only to a
 * loopback host, to one of http_hosts (NULL-terminated host names as in
 * the URL, e.g. the link-local metadata addresses), or anywhere with
 * --allow-insecure-http. false with the reason in err.
 */
bool config_url_allowed(const struct config *cfg, const char *url,
    const char *const *http_hosts, char *err, size_t errlen);
/*
 * The default endpoint of an AWS service ("dynamodb", "sts") in region,
 * with the FIPS and dual-stack variants, per the partition (amazonaws.com,
 * .com.cn, us-gov, ISO). Region "local" is http://localhost:8000 for
 * dynamodb. Pure. Returns 0, or -1 with the reason in err when the
 * partition has no such variant.
 */
int config_default_endpoint(const char *service, const char *region,
    bool fips, bool dualstack, char *buf, size_t len, char *err,
    size_t errlen);
/* "true" in any case is true, anything else false, NULL is dflt (the SDKs'
 * rule for boolean settings). */
bool config_bool(const char *s, bool dflt);

#endif /* DYNTABLED_CONFIG_H */
