/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_EVENT_LOOP_H
#define SCORPI_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/* An epoll loop: callbacks on readable file descriptors. */
typedef void (*event_fn)(void *opaque, int fd, uint32_t events);

#define EVENT_LOOP_MAX_SOURCES 32

struct event_source {
	int fd;
	event_fn fn;
	void *opaque;
};

struct event_loop {
	int epfd;
	bool stop;
	struct event_source sources[EVENT_LOOP_MAX_SOURCES];
};

int event_loop_init(struct event_loop *loop);
void event_loop_free(struct event_loop *loop);
/* Returns -1 with errno set (EPERM: fd cannot be polled). */
int event_loop_add(struct event_loop *loop, int fd, event_fn fn, void *opaque);
void event_loop_remove(struct event_loop *loop, int fd);
/* Runs callbacks until event_loop_stop is called from one of them. */
int event_loop_run(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);

#endif
