/* SPDX-License-Identifier: MIT */
/*
 * creds_process.c: credential_process, run as a child watched by the loop.
 *
 * The command is split into words (creds_split_command: no shell, no
 * expansion) and started with posix_spawnp in its own process group,
 * stdin on /dev/null, stdout and stderr on pipes whose read ends the loop
 * watches. Its exit is seen through a pidfd (or, without one, a short
 * polling timer) and reaped with WNOHANG: nothing here blocks, except
 * creds_proc_cancel(), which kills and reaps at once. A run that outlasts
 * its timeout has its whole process group killed.
 *
 * stdout holds the keys: it is read into a buffer wiped when freed and
 * never logged. stderr is logged (first line, at warn) when the run fails,
 * but kept out of the error text, which may reach clients.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "creds_int.h"
#include "log.h"

#define CREDS_PROC_MAX_OUT (64u << 10) /* larger output is an error */
#define CREDS_PROC_POLL_MS 50	       /* exit polling without a pidfd */

struct creds_proc {
	struct event_base *base;
	pid_t pid;
	int pidfd;		   /* -1: poll waitpid on ev_exit's timer */
	int out_fd;		   /* -1 once at EOF */
	int err_fd;
	struct event *ev_out, *ev_err, *ev_exit, *ev_timeout;
	char *out;		   /* stdout so far: secrets, wiped */
	size_t out_len;
	char errtxt[256];	   /* start of stderr, for the log */
	size_t err_len;
	bool too_big;		   /* stdout passed CREDS_PROC_MAX_OUT */
	bool timed_out;		   /* killed after the timeout */
	unsigned timeout_ms;
	char name[64];		   /* argv[0]'s last component, for messages */
	creds_proc_cb *cb;
	void *arg;
};

static void
creds_proc_close_fd(struct creds_proc *p, int *fd, struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void
creds_proc_free(struct creds_proc *p)
{
	creds_proc_close_fd(p, &p->out_fd, &p->ev_out);
	creds_proc_close_fd(p, &p->err_fd, &p->ev_err);
	creds_proc_close_fd(p, &p->pidfd, &p->ev_exit);
	if (p->ev_exit != NULL)
		event_free(p->ev_exit);
	if (p->ev_timeout != NULL)
		event_free(p->ev_timeout);
	creds_secure_free(p->out);
	OPENSSL_cleanse(p->errtxt, sizeof(p->errtxt));
	free(p);
}

/* Reads what fd has now. Returns false at EOF or on an error. */
static bool
creds_proc_read(struct creds_proc *p, int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			OPENSSL_cleanse(buf, sizeof(buf));
			return false;
		}
		if (fd == p->out_fd) {
			char *q;

			if ((size_t)n > CREDS_PROC_MAX_OUT - p->out_len ||
			    (q = creds_secure_realloc(p->out,
				 p->out_len + (size_t)n + 1)) == NULL) {
				p->too_big = true;
				continue; /* keep draining, drop the data */
			}
			p->out = q;
			memcpy(p->out + p->out_len, buf, (size_t)n);
			p->out_len += (size_t)n;
			p->out[p->out_len] = '\0';
		} else if (p->err_len < sizeof(p->errtxt) - 1) {
			size_t k = sizeof(p->errtxt) - 1 - p->err_len;

			if (k > (size_t)n)
				k = (size_t)n;
			memcpy(p->errtxt + p->err_len, buf, k);
			p->err_len += k;
			p->errtxt[p->err_len] = '\0';
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return true;
}

/* libevent: stdout or stderr is readable. */
static void
creds_proc_pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct creds_proc *p = arg;

	if (creds_proc_read(p, fd))
		return;
	if (fd == p->out_fd)
		creds_proc_close_fd(p, &p->out_fd, &p->ev_out);
	else
		creds_proc_close_fd(p, &p->err_fd, &p->ev_err);
}

/* Logs the first line of stderr, printable characters only. */
static void
creds_proc_log_stderr(struct creds_proc *p)
{
	char line[200];
	size_t n = 0;

	for (size_t i = 0; i < p->err_len && p->errtxt[i] != '\n' &&
	    n < sizeof(line) - 1; i++)
		line[n++] = (char)(p->errtxt[i] >= 0x20 &&
		    p->errtxt[i] < 0x7f ? p->errtxt[i] : '?');
	line[n] = '\0';
	if (n != 0)
		log_warn("credential_process %s said: %s", p->name, line);
}

/* The child is reaped with status: drains the pipes and reports. */
static void
creds_proc_finish(struct creds_proc *p, int status)
{
	struct creds_keys keys;
	char err[192];
	creds_proc_cb *cb = p->cb;
	void *arg = p->arg;

	if (p->out_fd >= 0)
		creds_proc_read(p, p->out_fd);
	if (p->err_fd >= 0)
		creds_proc_read(p, p->err_fd);
	memset(&keys, 0, sizeof(keys));
	err[0] = '\0';
	if (p->timed_out) {
		snprintf(err, sizeof(err), "credential_process %s: killed "
		    "after %u ms", p->name, p->timeout_ms);
	} else if (WIFSIGNALED(status)) {
		snprintf(err, sizeof(err), "credential_process %s: killed by "
		    "signal %d", p->name, WTERMSIG(status));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, sizeof(err), "credential_process %s: exited "
		    "with status %d", p->name, WEXITSTATUS(status));
	} else if (p->too_big) {
		snprintf(err, sizeof(err), "credential_process %s: output "
		    "larger than %u bytes", p->name, CREDS_PROC_MAX_OUT);
	} else {
		char perr[128];

		if (creds_parse_json(CREDS_JSON_PROCESS,
			p->out != NULL ? p->out : "", p->out_len, &keys, perr,
			sizeof(perr)) != 0)
			snprintf(err, sizeof(err), "credential_process "
			    "%.40s: %.120s", p->name, perr);
	}
	if (err[0] != '\0')
		creds_proc_log_stderr(p);
	creds_proc_free(p);
	if (err[0] != '\0') {
		cb(arg, NULL, err);
	} else {
		cb(arg, &keys, NULL);
		creds_keys_clear(&keys); /* what the callee did not take */
	}
}

/* libevent: the pidfd is readable (the child exited), or the polling
 * timer fired. Reaps without blocking. */
static void
creds_proc_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct creds_proc *p = arg;
	int status = 0;
	pid_t r;

	do
		r = waitpid(p->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0) { /* not yet: the polling timer is persistent */
		return;
	}
	if (r < 0) /* ECHILD: reaped elsewhere; the status is lost */
		status = 0x7f00; /* exit status 127 */
	p->pid = -1;
	creds_proc_finish(p, status);
}

/* libevent: the run took too long. Kills the process group; the exit
 * event then reports it. */
static void
creds_proc_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct creds_proc *p = arg;

	p->timed_out = true;
	if (p->pid > 0)
		kill(-p->pid, SIGKILL);
}

static const char *
creds_proc_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* Starts the child; fills p->pid. -1 with err. */
static int
creds_proc_spawn(struct creds_proc *p, char **argv, int out[2], int errp[2],
    char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		goto oom;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto oom;
	}
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE); /* we ignore it; the child should not */
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
		 0) ||
	    posix_spawn_file_actions_adddup2(&fa, out[1], 1) ||
	    posix_spawn_file_actions_adddup2(&fa, errp[1], 2) ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
		POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) ||
	    posix_spawnattr_setpgroup(&attr, 0) ||
	    posix_spawnattr_setsigmask(&attr, &none) ||
	    posix_spawnattr_setsigdefault(&attr, &dflt);
	if (rc == 0)
		rc = posix_spawnp(&p->pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		snprintf(err, errlen, "credential_process %s: cannot run it: "
		    "%s", p->name, strerror(rc));
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct creds_proc *
creds_proc_start(struct event_base *base, const char *command,
    unsigned timeout_ms, creds_proc_cb *cb, void *arg, char *err,
    size_t errlen)
{
	struct creds_proc *p;
	char **argv = NULL;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct timeval tv = { timeout_ms / 1000,
		(suseconds_t)(timeout_ms % 1000) * 1000 };

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->base = base;
	p->pid = -1;
	p->pidfd = p->out_fd = p->err_fd = -1;
	p->timeout_ms = timeout_ms;
	p->cb = cb;
	p->arg = arg;
	if (creds_split_command(command, &argv, err, errlen) != 0) {
		char why[96];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "credential_process: %s", why);
		goto fail;
	}
	snprintf(p->name, sizeof(p->name), "%s", creds_proc_basename(argv[0]));
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "credential_process: pipe: %s",
		    strerror(errno));
		goto fail;
	}
	if (creds_proc_spawn(p, argv, out, errp, err, errlen) != 0)
		goto fail;
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	p->out_fd = out[0];
	p->err_fd = errp[0];
	out[0] = errp[0] = -1;
	creds_argv_free(argv);
	argv = NULL;
	if (fcntl(p->out_fd, F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(p->err_fd, F_SETFL, O_NONBLOCK) != 0)
		goto fail_running;
#ifdef SYS_pidfd_open
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
#endif
	if (p->pidfd >= 0) {
		fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
		p->ev_exit = event_new(base, p->pidfd, EV_READ | EV_PERSIST,
		    creds_proc_exit_cb, p);
	} else {
		p->ev_exit = event_new(base, -1, EV_PERSIST,
		    creds_proc_exit_cb, p);
	}
	p->ev_out = event_new(base, p->out_fd, EV_READ | EV_PERSIST,
	    creds_proc_pipe_cb, p);
	p->ev_err = event_new(base, p->err_fd, EV_READ | EV_PERSIST,
	    creds_proc_pipe_cb, p);
	p->ev_timeout = evtimer_new(base, creds_proc_timeout_cb, p);
	if (p->ev_exit == NULL || p->ev_out == NULL || p->ev_err == NULL ||
	    p->ev_timeout == NULL || event_add(p->ev_out, NULL) != 0 ||
	    event_add(p->ev_err, NULL) != 0 ||
	    event_add(p->ev_timeout, &tv) != 0)
		goto fail_running;
	if (p->pidfd >= 0) {
		if (event_add(p->ev_exit, NULL) != 0)
			goto fail_running;
	} else {
		struct timeval poll = {
			0, (suseconds_t)CREDS_PROC_POLL_MS * 1000 };

		if (event_add(p->ev_exit, &poll) != 0)
			goto fail_running;
	}
	log_debug("credential_process %s: started (pid %ld)", p->name,
	    (long)p->pid);
	return p;
fail_running:
	snprintf(err, errlen, "credential_process: cannot watch it (out of "
	    "memory)");
	creds_proc_cancel(p);
	return NULL;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	creds_argv_free(argv);
	creds_proc_free(p);
	return NULL;
}

void
creds_proc_cancel(struct creds_proc *p)
{
	if (p == NULL)
		return;
	if (p->pid > 0) {
		/* SIGKILL cannot be caught: the wait is short. */
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	creds_proc_free(p);
}
