/* SPDX-License-Identifier: MIT */
/*
 * pingpong: the floor under any daemon's added latency on this machine —
 * a round trip of one small message between two processes over a Unix
 * stream socket (each side blocked in read, as a client and an idle
 * daemon are).
 *
 *	pingpong [--count N] [--bytes B]
 *
 * Forks; the child echoes B bytes (default 64) back until EOF. Prints the
 * result line of bench_util.h for N round trips (default 20000, at most
 * 10,000,000; 300 more first as warm-up).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

#define PP_MAX_BYTES 65536

static bool
pp_xfer(int fd, char *buf, size_t len, bool writing)
{
	while (len > 0) {
		ssize_t n = writing ? write(fd, buf, len) : read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	static char buf[PP_MAX_BYTES];
	unsigned long count = 20000, bytes = 64, errors = 0;
	struct bench_samples lat;
	double t0;
	int sv[2], o, st;
	pid_t pid;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'b': bytes = strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (optind != argc || count == 0 || count > 10000000 || bytes == 0 ||
	    bytes > PP_MAX_BYTES)
		goto usage;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    bench_samples_init(&lat, count) != 0 || (pid = fork()) < 0) {
		perror("pingpong");
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		/* Bounded by the parent: it sends count + 300 messages, then
		 * closes, and read fails. */
		while (pp_xfer(sv[1], buf, bytes, false) &&
		    pp_xfer(sv[1], buf, bytes, true))
			;
		_exit(0);
	}
	close(sv[1]);
	memset(buf, 'x', bytes);
	for (unsigned long i = 0; i < 300; i++)
		if (!pp_xfer(sv[0], buf, bytes, true) ||
		    !pp_xfer(sv[0], buf, bytes, false))
			errors++;
	t0 = bench_now();
	for (unsigned long i = 0; i < count; i++) {
		double t = bench_now();

		if (!pp_xfer(sv[0], buf, bytes, true) ||
		    !pp_xfer(sv[0], buf, bytes, false)) {
			errors++;
			break;
		}
		bench_samples_add(&lat, bench_now() - t);
	}
	bench_print_result(&lat, lat.n, bench_now() - t0, errors);
	close(sv[0]);
	if (waitpid(pid, &st, 0) != pid) {
		kill(pid, SIGKILL);
		return 1;
	}
	bench_samples_free(&lat);
	return errors == 0 ? 0 : 1;
usage:
	fputs("usage: pingpong [--count N] [--bytes B]\n", stderr);
	return 2;
}
