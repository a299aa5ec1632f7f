// SPDX-License-Identifier: MIT
/* The engine-independent part of asynchronous disk I/O (see aio.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../core/log.h"
#include "aio_engine.h"

struct aio {
	const struct aio_engine_ops *ops;
	void *engine;
	int done_fd;
	unsigned int in_flight;
};

int64_t aio_finish_sync(struct aio_req *r, int64_t done)
{
	struct iovec *iov = r->iov;
	int n = r->iovcnt;
	int64_t skip = done;

	if (r->op == AIO_FDATASYNC)
		return done;
	/* The request's iovec is consumed in place: it is spent anyway. */
	for (;;) {
		ssize_t got;

		while (n > 0 && (size_t)skip >= iov->iov_len) {
			skip -= iov->iov_len;
			iov++;
			n--;
		}
		if (n == 0)
			return done;
		iov->iov_base = (uint8_t *)iov->iov_base + skip;
		iov->iov_len -= skip;
		got = r->op == AIO_WRITE
			      ? pwritev(r->fd, iov, n, r->offset + done)
			      : preadv(r->fd, iov, n, r->offset + done);
		if (got < 0 && errno == EINTR)
			got = 0;
		else if (got < 0)
			return -errno;
		else if (got == 0 && r->op == AIO_WRITE)
			return -ENOSPC;
		else if (got == 0) {
			/* Past the end of a file that shrank: zeros. */
			for (int i = 0; i < n; i++) {
				memset(iov[i].iov_base, 0, iov[i].iov_len);
				done += iov[i].iov_len;
			}
			return done;
		}
		done += got;
		skip = got;
	}
}

struct aio *aio_create(enum aio_engine_kind kind, unsigned int depth)
{
	struct aio *a = calloc(1, sizeof(*a));
	int uring_err = 0;

	if (!a)
		return NULL;
	a->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->done_fd < 0)
		goto fail;
	if (kind != AIO_THREADS) {
		a->ops = &aio_uring_ops;
		a->engine = a->ops->create(depth, a->done_fd);
		uring_err = errno;
		if (!a->engine && kind == AIO_IO_URING) {
			log_error("io_uring: %s", strerror(uring_err));
			goto fail;
		}
	}
	if (!a->engine) {
		/* io_uring can be off (kernel.io_uring_disabled, seccomp). */
		if (kind == AIO_AUTO)
			log_info("io_uring unavailable (%s): using I/O threads",
				 strerror(uring_err));
		a->ops = &aio_threads_ops;
		a->engine = a->ops->create(depth, a->done_fd);
		if (!a->engine) {
			log_error("cannot start I/O threads: %s",
				  strerror(errno));
			goto fail;
		}
	}
	return a;
fail:
	if (a->done_fd >= 0)
		close(a->done_fd);
	free(a);
	return NULL;
}

void aio_destroy(struct aio *a)
{
	if (!a)
		return;
	a->ops->destroy(a->engine);
	close(a->done_fd);
	free(a);
}

const char *aio_engine_name(const struct aio *a)
{
	return a->ops->name;
}

int aio_fd(const struct aio *a)
{
	return a->done_fd;
}

void aio_submit(struct aio *a, struct aio_req *r)
{
	a->in_flight++;
	a->ops->submit(a->engine, r);
}

void aio_commit(struct aio *a)
{
	a->ops->commit(a->engine);
}

void aio_reap(struct aio *a, aio_done_fn done, void *ctx)
{
	uint64_t v;
	struct aio_req *r, *next;

	/* Cleared first: a completion after this signals again. */
	if (read(a->done_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_error("aio: %s", strerror(errno));
	for (r = a->ops->take(a->engine); r; r = next) {
		next = r->next;
		a->in_flight--;
		done(ctx, r);
	}
}

void aio_drain(struct aio *a, aio_done_fn done, void *ctx)
{
	while (a->in_flight) {
		struct pollfd p = { .fd = a->done_fd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		aio_reap(a, done, ctx);
	}
}
