// SPDX-License-Identifier: MIT
/* The engine-independent part of asynchronous disk I/O (see aio.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../base/log.h"
#include "aio_engine.h"

struct aio {
	const struct aio_engine_ops *ops;
	void *engine;
	int done_fd;
	unsigned int in_flight; /* submitted, not yet given to done */
	/* AIO_ZERO_CHUNK zero bytes, page-aligned; made on first use. */
	uint8_t *zeros;
	/* Requests that ended without reaching an engine; FIFO. */
	struct aio_req *local_head, **local_tail;
	uint64_t zero_chunks;
};

/* The write an AIO_WRITE_ZEROES has in flight: one chunk at a time. */
struct zero_chunk {
	struct aio_req req; /* first: the engine gives this back */
	struct iovec iov;
	uint64_t done; /* bytes of the parent zeroed so far */
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
	a->local_tail = &a->local_head;
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
	if (a->zeros)
		munmap(a->zeros, AIO_ZERO_CHUNK);
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

/* Ends r without the engine; aio_reap hands it over. */
static void finish_local(struct aio *a, struct aio_req *r, int64_t result)
{
	uint64_t one = 1;

	r->result = result;
	r->next = NULL;
	*a->local_tail = r;
	a->local_tail = &r->next;
	if (write(a->done_fd, &one, sizeof(one)) < 0)
		log_error("aio: %s", strerror(errno));
}

static void zero_next(struct aio *a, struct zero_chunk *c)
{
	struct aio_req *p = c->req.parent;
	uint64_t left = p->len - c->done;

	c->iov = (struct iovec){ a->zeros, left < AIO_ZERO_CHUNK
						   ? left
						   : AIO_ZERO_CHUNK };
	c->req = (struct aio_req){ .op = AIO_WRITE,
				   .fd = p->fd,
				   .iov = &c->iov,
				   .iovcnt = 1,
				   .offset = p->offset + c->done,
				   .parent = p };
	a->zero_chunks++;
	a->ops->submit(a->engine, &c->req);
}

static void zero_start(struct aio *a, struct aio_req *r)
{
	struct zero_chunk *c;

	if (r->len == 0) {
		finish_local(a, r, 0);
		return;
	}
	if (!a->zeros) {
		void *z = mmap(NULL, AIO_ZERO_CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (z == MAP_FAILED) {
			finish_local(a, r, -errno);
			return;
		}
		/* Real pages, not the shared zero page, for O_DIRECT. */
		memset(z, 0, AIO_ZERO_CHUNK);
		a->zeros = z;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		finish_local(a, r, -ENOMEM);
		return;
	}
	c->req.parent = r;
	zero_next(a, c);
}

void aio_submit(struct aio *a, struct aio_req *r)
{
	a->in_flight++;
	r->parent = NULL;
	if (r->op == AIO_WRITE_ZEROES)
		zero_start(a, r);
	else
		a->ops->submit(a->engine, r);
}

void aio_commit(struct aio *a)
{
	a->ops->commit(a->engine);
}

/* A zero chunk completed: the next one goes out, or its request ends. */
static struct aio_req *zero_chunk_done(struct aio *a, struct aio_req *r,
				       bool *submitted)
{
	struct zero_chunk *c = (struct zero_chunk *)r;
	struct aio_req *p = r->parent;

	if (r->result < 0) {
		p->result = r->result;
	} else {
		c->done += r->result;
		if (c->done < p->len) {
			zero_next(a, c);
			*submitted = true;
			return NULL;
		}
		p->result = p->len;
	}
	free(c);
	return p;
}

void aio_reap(struct aio *a, aio_done_fn done, void *ctx)
{
	uint64_t v;
	struct aio_req *r, *next;
	bool submitted = false;

	/* Cleared first: a completion after this signals again. */
	if (read(a->done_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_error("aio: %s", strerror(errno));
	for (r = a->ops->take(a->engine); r; r = next) {
		next = r->next;
		if (r->parent) {
			r = zero_chunk_done(a, r, &submitted);
			if (!r)
				continue;
		}
		a->in_flight--;
		done(ctx, r);
	}
	r = a->local_head;
	a->local_head = NULL;
	a->local_tail = &a->local_head;
	for (; r; r = next) {
		next = r->next;
		a->in_flight--;
		done(ctx, r);
	}
	if (submitted)
		a->ops->commit(a->engine);
}

void aio_get_stats(const struct aio *a, struct aio_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (a->ops->get_stats)
		a->ops->get_stats(a->engine, s);
	s->zero_chunks = a->zero_chunks;
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
