// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event_loop.h"
#include "log.h"

int event_loop_init(struct event_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	for (int i = 0; i < EVENT_LOOP_MAX_SOURCES; i++)
		loop->sources[i].fd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		log_error("epoll_create1: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void event_loop_free(struct event_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int event_loop_add(struct event_loop *loop, int fd, event_fn fn, void *opaque)
{
	for (int i = 0; i < EVENT_LOOP_MAX_SOURCES; i++) {
		struct event_source *s = &loop->sources[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

		if (s->fd >= 0)
			continue;
		if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -1;
		*s = (struct event_source){ fd, fn, opaque };
		return 0;
	}
	errno = ENOSPC;
	return -1;
}

void event_loop_remove(struct event_loop *loop, int fd)
{
	for (int i = 0; i < EVENT_LOOP_MAX_SOURCES; i++) {
		if (loop->sources[i].fd == fd) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			loop->sources[i].fd = -1;
		}
	}
}

void event_loop_stop(struct event_loop *loop)
{
	loop->stop = true;
}

int event_loop_run(struct event_loop *loop)
{
	struct epoll_event evs[8];

	loop->stop = false;
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, evs, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			struct event_source *s = evs[i].data.ptr;

			/* A callback may have removed a later source. */
			if (s->fd >= 0)
				s->fn(s->opaque, s->fd, evs[i].events);
		}
	}
	return 0;
}
