/* SPDX-License-Identifier: MIT */
/*
 * canned_server: a minimal keep-alive HTTP/1.1 responder on 127.0.0.1,
 * the DynamoDB endpoint of the benchmarks.
 *
 *	canned_server [--port-file FILE] [--max-seconds S]
 *
 * Listens on an ephemeral loopback port (written to FILE, else printed on
 * stdout) and answers every POST with one fixed DescribeTable reply of
 * realistic size (200, application/x-amz-json-1.0, x-amz-crc32), except
 * when the body names a table starting with "bench-missing": then a 400
 * ResourceNotFoundException, as DynamoDB answers DescribeTable for a
 * table that does not exist. Anything else that is not a well-formed
 * POST closes the connection. It never looks at the signature.
 *
 * One thread, epoll, level-triggered, pipelining allowed; no allocation
 * per request once a connection's buffers have grown. Exits on SIGTERM or
 * SIGINT, or after --max-seconds (default 1800) whatever happens, and
 * reports on stderr how many requests it answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <zlib.h>

#define CS_MAX_REQUEST ((size_t)64 * 1024) /* larger requests close the connection */
#define CS_MAX_EVENTS  256
#define CS_MAX_CONNS   65536u	    /* fds above this are refused */

/* A DescribeTable reply with a sort key, a GSI and an LSI: about 1.6 KB,
 * the size DynamoDB sends for a small real table. */
static const char cs_body_ok[] =
    "{\"Table\":{\"AttributeDefinitions\":["
    "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},"
    "{\"AttributeName\":\"gsi1pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"lsi1sk\",\"AttributeType\":\"S\"}],"
    "\"TableName\":\"bench-table\","
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"TableStatus\":\"ACTIVE\",\"CreationDateTime\":1732492800.123,"
    "\"ProvisionedThroughput\":{\"NumberOfDecreasesToday\":0,"
    "\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":0},"
    "\"TableSizeBytes\":1048576,\"ItemCount\":4096,"
    "\"TableArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
    "bench-table\",\"TableId\":\"5c2f8a34-9d1e-4b7a-8f3c-2e6d9a1b7c40\","
    "\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"LastUpdateToPayPerRequestDateTime\":1732492800.123},"
    "\"LocalSecondaryIndexes\":[{\"IndexName\":\"lsi1\",\"KeySchema\":["
    "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"lsi1sk\",\"KeyType\":\"RANGE\"}],"
    "\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"},"
    "\"IndexSizeBytes\":65536,\"ItemCount\":4096,"
    "\"IndexArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
    "bench-table/index/lsi1\"}],"
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gsi1\",\"KeySchema\":["
    "{\"AttributeName\":\"gsi1pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"Projection\":{\"ProjectionType\":\"INCLUDE\","
    "\"NonKeyAttributes\":[\"title\",\"owner\"]},"
    "\"IndexStatus\":\"ACTIVE\",\"ProvisionedThroughput\":{"
    "\"NumberOfDecreasesToday\":0,\"ReadCapacityUnits\":0,"
    "\"WriteCapacityUnits\":0},\"IndexSizeBytes\":262144,"
    "\"ItemCount\":4096,\"IndexArn\":\"arn:aws:dynamodb:us-east-1:"
    "123456789012:table/bench-table/index/gsi1\","
    "\"WarmThroughput\":{\"ReadUnitsPerSecond\":12000,"
    "\"WriteUnitsPerSecond\":4000,\"Status\":\"ACTIVE\"}}],"
    "\"StreamSpecification\":{\"StreamEnabled\":true,"
    "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},"
    "\"LatestStreamLabel\":\"2024-11-25T00:00:00.123\","
    "\"LatestStreamArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
    "bench-table/stream/2024-11-25T00:00:00.123\","
    "\"DeletionProtectionEnabled\":false,"
    "\"WarmThroughput\":{\"ReadUnitsPerSecond\":12000,"
    "\"WriteUnitsPerSecond\":4000,\"Status\":\"ACTIVE\"}}}";

static const char cs_body_missing[] =
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
    "ResourceNotFoundException\",\"message\":\"Requested resource not "
    "found: Table: bench-missing not found\"}";

/* The two complete responses, built once. */
struct cs_reply {
	char *data;
	size_t len;
};
static struct cs_reply cs_ok, cs_missing;
/* The open connections by fd: their owner (epoll only holds a copy). */
static struct cs_conn *cs_conns[CS_MAX_CONNS];

struct cs_conn {
	int fd;
	char *in;		/* request bytes not yet answered */
	size_t in_len, in_cap;
	char *out;		/* response bytes not yet written */
	size_t out_len, out_off, out_cap;
	bool want_out;		/* EPOLLOUT registered */
};

static volatile sig_atomic_t cs_stop;
static unsigned long long cs_served;

static void
cs_on_signal(int sig)
{
	(void)sig;
	cs_stop = 1;
}

/* Builds one response: status line, DynamoDB's headers, body. */
static int
cs_build(struct cs_reply *r, const char *status, const char *body)
{
	size_t blen = strlen(body);
	unsigned long crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)body,
	    (uInt)blen);
	int n = asprintf(&r->data,
	    "HTTP/1.1 %s\r\n"
	    "Server: Server\r\n"
	    "Date: Mon, 25 Nov 2024 00:00:00 GMT\r\n"
	    "Content-Type: application/x-amz-json-1.0\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: keep-alive\r\n"
	    "x-amzn-RequestId: 0G3PMTK2BVM8QUH5VF5OLTMRGRVV4KQNSO5AEMVJF66Q9ASUAAJG\r\n"
	    "x-amz-crc32: %lu\r\n"
	    "\r\n%s",
	    status, blen, crc, body);

	if (n < 0)
		return -1;
	r->len = (size_t)n;
	return 0;
}

static void
cs_conn_free(int ep, struct cs_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	cs_conns[c->fd] = NULL;
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Appends a response to c's output; false when out of memory. */
static bool
cs_queue(struct cs_conn *c, const struct cs_reply *r)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + r->len > c->out_cap) {
		size_t cap = c->out_cap != 0 ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + r->len)
			cap *= 2;
		if ((p = realloc(c->out, cap)) == NULL)
			return false;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, r->data, r->len);
	c->out_len += r->len;
	return true;
}

/* Case-insensitive search for header name (with ':') in [p, end). Returns
 * the value's start or NULL. */
static const char *
cs_header(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0) {
			p += n;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			return p;
		}
		p = eol + 1;
	}
	return NULL;
}

/* Answers every complete request in c->in. Returns false to close. */
static bool
cs_parse(struct cs_conn *c)
{
	size_t off = 0;

	for (unsigned guard = 0; guard < 100000; guard++) {
		const char *req = c->in + off;
		size_t avail = c->in_len - off;
		const char *hend, *line, *cl;
		size_t hlen, blen = 0;
		char *endp;

		hend = avail >= 4 ? memmem(req, avail, "\r\n\r\n", 4) : NULL;
		if (hend == NULL)
			break;
		hlen = (size_t)(hend - req) + 4;
		if (avail < 5 || memcmp(req, "POST ", 5) != 0)
			return false;
		line = memchr(req, '\n', hlen); /* found: hlen ends "\r\n\r\n" */
		cl = line != NULL ? cs_header(line + 1, hend + 2,
		    "content-length:") : NULL;
		if (cl != NULL) {
			unsigned long v = strtoul(cl, &endp, 10);

			if (endp == cl || v > CS_MAX_REQUEST)
				return false;
			blen = v;
		}
		if (avail < hlen + blen)
			break;
		if (!cs_queue(c, blen != 0 && memmem(req + hlen, blen,
		    "\"bench-missing", 14) != NULL ? &cs_missing : &cs_ok))
			return false;
		cs_served++;
		off += hlen + blen;
	}
	if (off != 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return c->in_len < CS_MAX_REQUEST;
}

/* Writes what it can; registers for EPOLLOUT when the socket is full.
 * Returns false to close. */
static bool
cs_flush(int ep, struct cs_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
		    c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
	}
	bool want = c->out_off < c->out_len;
	if (want != c->want_out) {
		struct epoll_event ev = {
			.events = EPOLLIN | (want ? EPOLLOUT : 0),
			.data.ptr = c,
		};

		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			return false;
		c->want_out = want;
	}
	return true;
}

/* Reads what is there and answers it. Returns false to close. */
static bool
cs_on_readable(int ep, struct cs_conn *c)
{
	for (unsigned guard = 0; guard < 64; guard++) {
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap != 0 ? c->in_cap * 2 : 8192;
			char *p;

			if (cap > 2 * CS_MAX_REQUEST + 8192 ||
			    (p = realloc(c->in, cap)) == NULL)
				return false;
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		c->in_len += (size_t)n;
		if (!cs_parse(c))
			return false;
		if ((size_t)n < 4096)
			break; /* drained, most likely: skip a recv */
	}
	return cs_flush(ep, c);
}

static void
cs_accept(int ep, int lfd)
{
	for (unsigned guard = 0; guard < 1024; guard++) {
		/* cppcheck-suppress nullPointer ; gnu.cfg wants addrlen non-NULL,
		 * accept4(2) takes NULL for both addr and addrlen */
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;
		struct cs_conn *c;
		struct epoll_event ev;

		if (fd < 0)
			return;
		if ((unsigned)fd >= CS_MAX_CONNS ||
		    (c = calloc(1, sizeof *c)) == NULL) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd = fd;
		ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			continue;
		}
		cs_conns[fd] = c;
	}
}

static void
cs_usage(FILE *f)
{
	fputs("usage: canned_server [--port-file FILE] [--max-seconds S]\n",
	    f);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port-file", required_argument, NULL, 'p' },
		{ "max-seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *port_file = NULL;
	long max_seconds = 1800;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	struct epoll_event ev, evs[CS_MAX_EVENTS];
	struct sigaction sig = { .sa_handler = cs_on_signal };
	struct timespec t0, now;
	int lfd, ep, o, one = 1;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			port_file = optarg;
			break;
		case 't':
			max_seconds = strtol(optarg, NULL, 10);
			break;
		case 'h':
			cs_usage(stdout);
			return 0;
		default:
			cs_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || max_seconds <= 0) {
		cs_usage(stderr);
		return 2;
	}
	if (cs_build(&cs_ok, "200 OK", cs_body_ok) != 0 ||
	    cs_build(&cs_missing, "400 Bad Request", cs_body_missing) != 0) {
		fputs("canned_server: out of memory\n", stderr);
		return 1;
	}
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(lfd, 4096) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("canned_server: listen");
		return 1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		perror("canned_server: epoll");
		return 1;
	}
	if (port_file != NULL) {
		/* Written whole, then renamed: a reader never sees half. */
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		if ((f = fopen(tmp, "w")) == NULL ||
		    fprintf(f, "%u\n", ntohs(sa.sin_port)) < 0 ||
		    fclose(f) != 0 || rename(tmp, port_file) != 0) {
			perror("canned_server: port file");
			return 1;
		}
	} else {
		printf("%u\n", ntohs(sa.sin_port));
		fflush(stdout);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!cs_stop) {
		int n = epoll_wait(ep, evs, CS_MAX_EVENTS, 500);

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > max_seconds) {
			fputs("canned_server: --max-seconds reached\n", stderr);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct cs_conn *c = evs[i].data.ptr;
			bool ok = true;

			if (c == NULL) {
				cs_accept(ep, lfd);
				continue;
			}
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				ok = false;
			if (ok && (evs[i].events & EPOLLIN))
				ok = cs_on_readable(ep, c);
			else if (ok && (evs[i].events & EPOLLOUT))
				ok = cs_flush(ep, c);
			if (!ok)
				cs_conn_free(ep, c);
		}
	}
	/* Connections still open are closed by exit. */
	fprintf(stderr, "canned_server: answered %llu requests\n", cs_served);
	free(cs_ok.data);
	free(cs_missing.data);
	return 0;
}
