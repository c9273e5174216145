/* SPDX-License-Identifier: MIT */
/* bench_util.c: see bench_util.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
bench_samples_init(struct bench_samples *s, size_t cap)
{
	s->n = 0;
	s->cap = cap;
	s->v = malloc(cap * sizeof *s->v);
	return s->v != NULL ? 0 : -1;
}

void
bench_samples_add(struct bench_samples *s, double secs)
{
	if (s->n < s->cap)
		s->v[s->n++] = secs;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_samples_quantile_us(struct bench_samples *s, double q)
{
	size_t i;

	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof *s->v, bench_cmp);
	i = (size_t)(q * (double)(s->n - 1) + 0.5);
	return s->v[i < s->n ? i : s->n - 1] * 1e6;
}

double
bench_samples_mean_us(const struct bench_samples *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n != 0 ? sum / (double)s->n * 1e6 : 0;
}

void
bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void
bench_print_result(struct bench_samples *s, unsigned long n, double secs,
    unsigned long errors)
{
	printf("n=%lu secs=%.3f rps=%.0f p50_us=%.1f p90_us=%.1f "
	       "p99_us=%.1f mean_us=%.1f errors=%lu\n",
	    n, secs, secs > 0 ? (double)n / secs : 0.0,
	    bench_samples_quantile_us(s, 0.5),
	    bench_samples_quantile_us(s, 0.9),
	    bench_samples_quantile_us(s, 0.99), bench_samples_mean_us(s),
	    errors);
	fflush(stdout);
}

bool
bench_is_loopback_url(const char *url)
{
	const char *h;

	if (strncmp(url, "http://", 7) != 0)
		return false;
	h = url + 7;
	if (strncmp(h, "localhost", 9) == 0)
		return h[9] == '\0' || h[9] == ':' || h[9] == '/';
	return strncmp(h, "127.", 4) == 0;
}

/* N of the "name N kB" line of /proc/pid/status (name ends in ':'),
 * or -1. */
static long
bench_status_kib(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, name, n) == 0) {
			kib = strtol(line + n, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

long
bench_rss_kib(pid_t pid)
{
	return bench_status_kib(pid, "VmRSS:");
}

long
bench_rss_anon_kib(pid_t pid)
{
	return bench_status_kib(pid, "RssAnon:");
}

double
bench_self_cpu_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double
bench_cpu_secs(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: state is
	 * the 3rd field, utime the 14th and stime the 15th. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    /* NOLINTNEXTLINE(cert-err34-c): the kernel's numbers fit */
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		&ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double
bench_per_op_us(double secs, unsigned long n)
{
	return n != 0 ? secs * 1e6 / (double)n : 0.0;
}

unsigned long
bench_raise_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (unsigned long)rl.rlim_cur;
}
