/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_AIO_ENGINE_H
#define SCORPI_AIO_ENGINE_H

#include "aio.h"

/*
 * What an engine gives aio.c. Engines signal done_fd (an eventfd) when
 * requests complete, and hand them over as a list in take, each whole or
 * failed (aio_finish_sync carries a short one on).
 */
struct aio_engine_ops {
	const char *name;
	/* NULL with errno set when the engine cannot run here. */
	void *(*create)(unsigned int depth, int done_fd);
	void (*submit)(void *engine, struct aio_req *r);
	void (*commit)(void *engine);
	/* The completed requests, linked through next; NULL if none. */
	struct aio_req *(*take)(void *engine);
	void (*get_stats)(void *engine, struct aio_stats *s); /* optional */
	void (*destroy)(void *engine);
};

extern const struct aio_engine_ops aio_uring_ops;
extern const struct aio_engine_ops aio_threads_ops;

/* Carries a read or write on synchronously until it is whole or fails. */
int64_t aio_finish_sync(struct aio_req *r, int64_t done);

#endif
