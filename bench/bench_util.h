/* SPDX-License-Identifier: MIT */
/*
 * bench_util: what the benchmark programs share — a monotonic clock,
 * latency samples and their percentiles, the result line, and reading a
 * process's memory and CPU time from /proc.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* Up to cap latencies, in seconds; later ones are counted, not kept. */
struct bench_samples {
	double *v;
	size_t n, cap;
};
int bench_samples_init(struct bench_samples *s, size_t cap);
void bench_samples_add(struct bench_samples *s, double secs);
/* The q-quantile (0..1) in microseconds; sorts the samples. 0 if none. */
double bench_samples_quantile_us(struct bench_samples *s, double q);
double bench_samples_mean_us(const struct bench_samples *s);
void bench_samples_free(struct bench_samples *s);

/* Prints the result line on stdout:
 * "n=N secs=S rps=R p50_us=.. p90_us=.. p99_us=.. mean_us=.. errors=E". */
void bench_print_result(struct bench_samples *s, unsigned long n,
    double secs, unsigned long errors);

/* True for http://127.x.y.z[:port]... and http://localhost... only. */
bool bench_is_loopback_url(const char *url);

/* VmRSS of pid in KiB, or -1. */
long bench_rss_kib(pid_t pid);
/* RssAnon of pid in KiB (its private, anonymous pages), or -1. */
long bench_rss_anon_kib(pid_t pid);
/* user+system CPU time of pid in seconds, or -1. */
double bench_cpu_secs(pid_t pid);
/* user+system CPU time of this process in seconds. */
double bench_self_cpu_secs(void);

/* secs * 1e6 / n, or 0 when n is 0. */
double bench_per_op_us(double secs, unsigned long n);

/* Raises RLIMIT_NOFILE's soft limit to at least want (up to the hard
 * limit). Returns the soft limit now in force. */
unsigned long bench_raise_nofile(unsigned long want);

#endif /* BENCH_UTIL_H */
