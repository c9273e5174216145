/* SPDX-License-Identifier: MIT */
/*
 * spawntime: runs a command N times, one after the other, and prints how
 * long each run took from spawn to exit (its output goes to /dev/null).
 *
 *	spawntime [--runs N] [--warmup W] [--expect-status S] -- COMMAND...
 *
 * Prints one line: n, p50_us, p90_us, p99_us, mean_us, min_us, errors
 * (runs whose exit status was not S, default 0). Runs are bounded: at
 * most 10,000, and it stops starting new ones after 300 s.
 */
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"


int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "expect-status", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long runs = 10, warmup = 1, errors = 0, n = 0;
	int expect = 0, o;
	posix_spawn_file_actions_t fa;
	struct bench_samples s;
	double deadline = bench_now() + 300, min = 1e9;

	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 'n': runs = strtoul(optarg, NULL, 10); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 'x': expect = (int)strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (optind >= argc || runs == 0 || runs > 10000 || warmup > 1000)
		goto usage;
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
		0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
		0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
		0) != 0 ||
	    bench_samples_init(&s, runs) != 0) {
		perror("spawntime");
		return 1;
	}
	for (unsigned long i = 0; i < warmup + runs && bench_now() < deadline;
	    i++) {
		double t0 = bench_now(), dt;
		pid_t pid;
		int st;

		if (posix_spawnp(&pid, argv[optind], &fa, NULL, argv + optind,
		    environ) != 0) {
			perror("spawntime: spawn");
			return 1;
		}
		if (waitpid(pid, &st, 0) != pid)
			return 1;
		dt = bench_now() - t0;
		if (i < warmup)
			continue;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != expect)
			errors++;
		bench_samples_add(&s, dt);
		if (dt < min)
			min = dt;
		n++;
	}
	printf("n=%lu p50_us=%.0f p90_us=%.0f p99_us=%.0f mean_us=%.0f "
	       "min_us=%.0f errors=%lu\n",
	    n, bench_samples_quantile_us(&s, 0.5),
	    bench_samples_quantile_us(&s, 0.9),
	    bench_samples_quantile_us(&s, 0.99), bench_samples_mean_us(&s),
	    n != 0 ? min * 1e6 : 0.0, errors);
	bench_samples_free(&s);
	posix_spawn_file_actions_destroy(&fa);
	return errors == 0 ? 0 : 1;
usage:
	fputs("usage: spawntime [--runs N] [--warmup W] [--expect-status S] "
	      "-- COMMAND...\n", stderr);
	return 2;
}
