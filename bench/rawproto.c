/* SPDX-License-Identifier: MIT */
/*
 * rawproto: describe_table through dyntabled with the least client work,
 * to tell the daemon's share of the added latency from libdyntable's.
 *
 *	rawproto --socket PATH (--count N | --seconds S) [--warmup N]
 *	         [--table NAME]
 *
 * One blocking connection, one request at a time: hello, then
 * describe_table frames encoded with proto/dtp.c; each reply is read
 * whole and decoded (msgpack only: no TableDescription is built, unlike
 * libdyntable, which turns it into a dyntable_table and its JSON). Prints
 * the result line of bench_util.h. Exits 1 if any request failed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_util.h"
#include "dtp.h"

#define RAW_MAX_FRAME (4u << 20)

/* Writes all of buf; false on error. */
static bool
raw_write(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static bool
raw_read(int fd, char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Sends one request (nargs 0 or 1: "name") and reads its reply. True
 * when the daemon answered ok under the same id. */
static bool
raw_call(int fd, char *buf, uint32_t id, dtp_op op, const char *name)
{
	dtp_enc e;
	dtp_msg m;
	char *data, err[128];
	size_t len;
	uint32_t plen;
	bool ok;

	dtp_enc_init(&e);
	if (op == DTP_OP_HELLO) {
		dtp_enc_request(&e, id, op, 3);
		dtp_pack_kv_uint(&e, "major", DTP_VERSION_MAJOR);
		dtp_pack_kv_uint(&e, "minor", DTP_VERSION_MINOR);
		dtp_pack_kv_str(&e, "client", "dyntable-bench rawproto");
	} else {
		dtp_enc_request(&e, id, op, 1);
		dtp_pack_kv_str(&e, "name", name);
	}
	if (dtp_enc_finish(&e, &data, &len) != 0) {
		dtp_enc_free(&e);
		return false;
	}
	dtp_enc_free(&e);
	ok = raw_write(fd, data, len);
	free(data);
	if (!ok || !raw_read(fd, buf, DTP_HEADER_LEN) ||
	    dtp_frame_check(buf, DTP_HEADER_LEN, RAW_MAX_FRAME, &plen) !=
		DTP_FRAME_OK ||
	    !raw_read(fd, buf, plen))
		return false;
	ok = dtp_decode_reply(buf, plen, &m, err, sizeof err) ==
		DTP_DECODE_OK &&
	    m.id == id && m.ok;
	dtp_msg_free(&m);
	return ok;
}

static void
raw_usage(FILE *f)
{
	fputs("usage: rawproto --socket PATH (--count N | --seconds S) "
	      "[--warmup N] [--table NAME]\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "table", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *table = "bench-table";
	unsigned long count = 0, warmup = 0, n = 0, errors = 0;
	double seconds = 0, t0 = 0, t1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct bench_samples lat = { 0 };
	uint32_t id = 1;
	char *buf;
	int fd = -1, o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'S': path = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 't': table = optarg; break;
		case 'h': raw_usage(stdout); return 0;
		default: raw_usage(stderr); return 2;
		}
	}
	if (optind != argc || path == NULL || strlen(path) >= sizeof sa.sun_path ||
	    (count == 0) == (seconds <= 0) || seconds > 600 ||
	    warmup > 1000000) {
		raw_usage(stderr);
		return 2;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((buf = malloc(RAW_MAX_FRAME)) == NULL ||
	    bench_samples_init(&lat, count != 0 ? count : 1u << 22) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    !raw_call(fd, buf, id++, DTP_OP_HELLO, NULL)) {
		fprintf(stderr, "rawproto: cannot connect to %s\n", path);
		if (fd >= 0)
			close(fd);
		bench_samples_free(&lat);
		free(buf);
		return 1;
	}
	for (unsigned long i = 0; i < warmup; i++)
		if (!raw_call(fd, buf, id++, DTP_OP_DESCRIBE_TABLE, table))
			errors++;
	t0 = bench_now();
	/* Bounded by the count, or by the deadline. */
	for (double now = t0; (count != 0 && n < count) ||
	    (count == 0 && now - t0 < seconds); n++) {
		if (!raw_call(fd, buf, id++, DTP_OP_DESCRIBE_TABLE, table))
			errors++;
		t1 = bench_now();
		bench_samples_add(&lat, t1 - now);
		now = t1;
		if (id == 0)
			id = 1;
	}
	bench_print_result(&lat, n, bench_now() - t0, errors);
	close(fd);
	free(buf);
	bench_samples_free(&lat);
	return errors == 0 ? 0 : 1;
}
