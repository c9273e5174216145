/* SPDX-License-Identifier: MIT */
/*
 * listener.c: the Unix socket clients connect to.
 *
 * With systemd socket activation we take exactly one inherited fd and
 * check that it is an AF_UNIX stream socket. Otherwise we bind the path
 * ourselves: refuse to start over a live instance (a connect() succeeds),
 * replace only a stale socket (connect() is refused), never remove
 * anything that is not a socket, bind under a tight umask, then chmod.
 * When accept() runs out of file descriptors the listener pauses for a
 * moment instead of spinning on a readable socket it cannot serve.
 *
 * At start, listener_new() raises the soft limit on open files to the hard
 * limit (as memcached does; issue 7): every client is a descriptor, and
 * the usual soft limit of 1024 would run out before --max-clients (1024
 * by default) plus the daemon's own descriptors. It warns when even the
 * hard limit is too low.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "listener.h"
#include "log.h"

#define LISTENER_BACKLOG 512
#define LISTENER_PAUSE_MS 250 /* after EMFILE/ENFILE */
#define LISTENER_FD_RESERVE 64 /* descriptors besides clients: upstream
				* connections, log, libevent, systemd */
#define LISTENER_NOFILE_CAP (1u << 20) /* when the hard limit is infinite:
					* Linux's default nr_open */

struct listener {
	listener_accept_fn *accept; /* gets every accepted fd */
	void *accept_arg;
	int fd;
	struct event *ev_accept; /* EV_READ|EV_PERSIST on fd */
	struct event *ev_resume; /* timer that ends a pause */
	char *path;		 /* unlinked at exit when we bound it */
	bool activated;		 /* fd came from systemd */
	bool paused;
	struct log_rate emfile_rate; /* its warning: once a minute */
	dev_t dev;		 /* identity of the socket file we made */
	ino_t ino;
};

/* Fills sun from path; false if it does not fit. */
static bool
listener_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return false;
	memcpy(sun->sun_path, path, strlen(path));
	return true;
}

/*
 * Makes room for our socket at path. Returns 0 when the path is free
 * (possibly after removing a stale socket), -1 with a logged reason.
 */
static int
listener_clear_path(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (log_err("%s: %s", path,
		    strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s exists and is not a socket; not touching it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		log_err("%s: another dyntabled is running there", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		log_err("%s: cannot tell whether it is in use: %s", path,
		    strerror(errno));
		return -1;
	}
	log_info("%s: removing stale socket", path);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Binds and listens on cfg->socket_path; returns the fd or -1. */
static int
listener_bind(struct listener *l, const struct config *cfg)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	if (!listener_addr(cfg->socket_path, &sun)) {
		log_err("%s: socket path too long (max %zu bytes)",
		    cfg->socket_path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (listener_clear_path(cfg->socket_path, &sun) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	/* The socket file is created with the umask applied: make it
	 * private first so it is never briefly open to everyone. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		log_err("bind %s: %s", cfg->socket_path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(cfg->socket_path, cfg->socket_mode) != 0 ||
	    lstat(cfg->socket_path, &st) != 0) {
		log_err("%s: %s", cfg->socket_path, strerror(errno));
		unlink(cfg->socket_path);
		close(fd);
		return -1;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if (listen(fd, LISTENER_BACKLOG) != 0) {
		log_err("listen %s: %s", cfg->socket_path, strerror(errno));
		unlink(cfg->socket_path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Takes the socket systemd passed, if any: 1 taken, 0 none, -1 bad. */
static int
listener_activated(struct listener *l)
{
	int n = sd_listen_fds(1);

	if (n == 0)
		return 0;
	if (n < 0) {
		log_err("sd_listen_fds: %s", strerror(-n));
		return -1;
	}
	if (n != 1) {
		log_err("systemd passed %d sockets, expected exactly one", n);
		return -1;
	}
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <=
	    0) {
		log_err("the socket systemd passed is not a listening "
		    "AF_UNIX stream socket");
		return -1;
	}
	l->fd = SD_LISTEN_FDS_START;
	if (fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    fcntl(l->fd, F_SETFD, FD_CLOEXEC) != 0) {
		log_err("fcntl: %s", strerror(errno));
		return -1;
	}
	l->activated = true;
	return 1;
}

static void
listener_pause(struct listener *l, unsigned ms)
{
	struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };

	if (l->paused)
		return;
	l->paused = true;
	event_del(l->ev_accept);
	if (ms > 0)
		evtimer_add(l->ev_resume, &tv);
}

void
listener_resume(struct listener *l)
{
	if (l == NULL || !l->paused)
		return;
	l->paused = false;
	evtimer_del(l->ev_resume);
	event_add(l->ev_accept, NULL);
}

static void
listener_on_resume(evutil_socket_t fd, short what, void *arg)
{
	listener_resume(arg);
}

/* Accepts every pending connection. */
static void
listener_on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct listener *l = arg;

	for (;;) {
		/* cppcheck-suppress nullPointer ; gnu.cfg wants addrlen
		 * non-NULL, accept4(2) takes NULL for both addr and addrlen */
		int fd = accept4(l->fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				if (log_rate_ok(&l->emfile_rate, 60))
					log_warn("accept: %s; pausing for %d ms "
					    "at a time (%lu such pauses since "
					    "the last warning)", strerror(errno),
					    LISTENER_PAUSE_MS,
					    l->emfile_rate.shown_suppressed);
				listener_pause(l, LISTENER_PAUSE_MS);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_warn("accept: %s", strerror(errno));
			}
			return;
		}
		l->accept(l->accept_arg, fd);
	}
}

/* Soft RLIMIT_NOFILE := hard (see top). Failure only costs a warning. */
static void
listener_raise_nofile(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t old;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return;
	}
	old = rl.rlim_cur;
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ?
		    LISTENER_NOFILE_CAP : rl.rlim_max;
		if (rl.rlim_cur > old && setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			log_warn("cannot raise the open file limit from %llu "
			    "to %llu: %s", (unsigned long long)old,
			    (unsigned long long)rl.rlim_cur, strerror(errno));
			rl.rlim_cur = old;
		} else if (rl.rlim_cur > old) {
			log_debug("open file limit raised from %llu to %llu",
			    (unsigned long long)old,
			    (unsigned long long)rl.rlim_cur);
		} else {
			rl.rlim_cur = old;
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)cfg->max_clients + LISTENER_FD_RESERVE)
		log_warn("open file limit %llu is below --max-clients %u plus "
		    "%d for the daemon: clients may have to wait to connect",
		    (unsigned long long)rl.rlim_cur, cfg->max_clients,
		    LISTENER_FD_RESERVE);
}

struct listener *
listener_new(struct event_base *base, const struct config *cfg,
    listener_accept_fn *accept, void *arg)
{
	struct listener *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL)
		return NULL;
	l->accept = accept;
	l->accept_arg = arg;
	l->fd = -1;
	listener_raise_nofile(cfg);
	if ((rc = listener_activated(l)) < 0)
		goto fail;
	if (rc == 0) {
		if ((l->path = strdup(cfg->socket_path)) == NULL)
			goto fail;
		if ((l->fd = listener_bind(l, cfg)) < 0)
			goto fail;
	}
	l->ev_accept = event_new(base, l->fd, EV_READ | EV_PERSIST,
	    listener_on_accept, l);
	l->ev_resume = evtimer_new(base, listener_on_resume, l);
	if (l->ev_accept == NULL || l->ev_resume == NULL ||
	    event_add(l->ev_accept, NULL) != 0) {
		log_err("out of memory");
		goto fail;
	}
	log_info("listening on %s", l->activated ? "socket from systemd" :
	    cfg->socket_path);
	return l;
fail:
	listener_free(l);
	return NULL;
}

void
listener_free(struct listener *l)
{
	struct stat st;

	if (l == NULL)
		return;
	if (l->ev_accept != NULL)
		event_free(l->ev_accept);
	if (l->ev_resume != NULL)
		event_free(l->ev_resume);
	if (l->fd >= 0)
		close(l->fd);
	/* Remove the socket file only if it is still the one we made. */
	if (l->path != NULL && l->ino != 0 && lstat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	free(l->path);
	free(l);
}
