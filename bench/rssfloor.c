/* SPDX-License-Identifier: MIT */
/*
 * rssfloor: the memory floor under dyntabled's idle RSS. A process that
 * links the libraries the daemon links (Debian's shared builds) and does
 * the least any user of them does at start-up: libcurl's global init and
 * one multi and easy handle, an HMAC-SHA256 through OpenSSL 3's EVP_MAC,
 * an event base with one event, one JSON document, one msgpack buffer,
 * one XML parser, one INI string, sd_notify(). Then it waits for SIGTERM
 * or SIGINT, so bench/run.sh reads its VmRSS next to the daemon's.
 *
 *	rssfloor
 *
 * Prints "ready" once initialised. The difference between the daemon's
 * idle RSS and this one is what the daemon itself costs; the rest is
 * pages of shared libraries (libcrypto, libc, GnuTLS through Debian's
 * libcurl and librtmp, ...) that any such process maps.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <expat.h>
#include <ini.h>
#include <jansson.h>
#include <msgpack.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <systemd/sd-daemon.h>
#include <zlib.h>

static int
rssfloor_ini(void *user, const char *section, const char *name,
    const char *value)
{
	(void)section;
	(void)name;
	(void)value;
	(*(int *)user)++;
	return 1;
}

/* One HMAC-SHA256, as the SigV4 signer computes them. */
static int
rssfloor_hmac(void)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t outlen = 0;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest,
		    0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	int ok = ctx != NULL &&
	    EVP_MAC_init(ctx, (const unsigned char *)"key", 3, params) &&
	    EVP_MAC_update(ctx, (const unsigned char *)"data", 4) &&
	    EVP_MAC_final(ctx, out, &outlen, sizeof(out));

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok && outlen == 32 ? 0 : -1;
}

static void
rssfloor_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(void)
{
	struct event_base *base = NULL;
	struct event *term = NULL, *intr = NULL;
	CURLM *multi = NULL;
	CURL *easy = NULL;
	json_t *j;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	XML_Parser xp;
	int n = 0;

	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (multi = curl_multi_init()) == NULL ||
	    (easy = curl_easy_init()) == NULL || rssfloor_hmac() != 0 ||
	    (base = event_base_new()) == NULL) {
		fprintf(stderr, "rssfloor: initialisation failed\n");
		goto fail;
	}
	term = evsignal_new(base, SIGTERM, rssfloor_stop, base);
	intr = evsignal_new(base, SIGINT, rssfloor_stop, base);
	if (term == NULL || intr == NULL || event_add(term, NULL) != 0 ||
	    event_add(intr, NULL) != 0) {
		fprintf(stderr, "rssfloor: cannot watch signals\n");
		goto fail;
	}
	j = json_loads("{\"TableName\":\"t\"}", 0, NULL);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 0);
	xp = XML_ParserCreate(NULL);
	ini_parse_string("[a]\nb = c\n", rssfloor_ini, &n);
	sd_notify(0, "READY=1"); /* a no-op without NOTIFY_SOCKET */
	printf("ready crc=%lu ini=%d\n",
	    crc32(0L, (const Bytef *)sb.data, (uInt)sb.size), n);
	fflush(stdout);

	event_base_dispatch(base);

	XML_ParserFree(xp);
	msgpack_sbuffer_destroy(&sb);
	json_decref(j);
	event_free(term);
	event_free(intr);
	event_base_free(base);
	curl_easy_cleanup(easy);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return 0;

fail:
	if (term != NULL)
		event_free(term);
	if (intr != NULL)
		event_free(intr);
	if (base != NULL)
		event_base_free(base);
	curl_easy_cleanup(easy); /* both take NULL */
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return 1;
}
