// SPDX-License-Identifier: MIT
/*
 * The io_uring engine: requests go to the kernel's submission queue and
 * come back on the completion queue; the ring signals an eventfd, so the
 * device's I/O thread sleeps in epoll like for everything else.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "aio_engine.h"

#define URING_MAX_ENTRIES 1024

struct uring_engine {
	struct io_uring ring;
	unsigned int queued; /* prepared, not yet submitted */
	int done_fd;
	/* Requests the ring had no room for, done synchronously instead. */
	struct aio_req *done_here;
};

static void *uring_create(unsigned int depth, int done_fd)
{
	struct uring_engine *u = calloc(1, sizeof(*u));
	unsigned int entries = 1;
	int err;

	if (!u)
		return NULL;
	u->done_fd = done_fd;
	while (entries < depth && entries < URING_MAX_ENTRIES)
		entries <<= 1;
	err = io_uring_queue_init(entries, &u->ring, 0);
	if (err == 0) {
		err = io_uring_register_eventfd(&u->ring, done_fd);
		if (err < 0)
			io_uring_queue_exit(&u->ring);
	}
	if (err < 0) {
		free(u);
		errno = -err;
		return NULL;
	}
	return u;
}

static void uring_flush(struct uring_engine *u)
{
	while (u->queued) {
		int n = io_uring_submit(&u->ring);

		if (n == -EINTR || n == -EAGAIN || n == -EBUSY)
			continue;
		if (n < 0) {
			log_error("io_uring_submit: %s", strerror(-n));
			return;
		}
		u->queued -= n < (int)u->queued ? (unsigned int)n : u->queued;
	}
}

static void uring_submit(void *engine, struct aio_req *r)
{
	struct uring_engine *u = engine;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		/* The submission queue is full: hand it to the kernel. */
		uring_flush(u);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (!sqe) {
		uint64_t one = 1;

		r->result = r->op == AIO_FDATASYNC
				    ? (fdatasync(r->fd) < 0 ? -errno : 0)
				    : aio_finish_sync(r, 0);
		r->next = u->done_here;
		u->done_here = r;
		if (write(u->done_fd, &one, sizeof(one)) < 0)
			log_error("io_uring: %s", strerror(errno));
		return;
	}
	switch (r->op) {
	case AIO_READ:
		io_uring_prep_readv(sqe, r->fd, r->iov, r->iovcnt, r->offset);
		break;
	case AIO_WRITE:
		io_uring_prep_writev(sqe, r->fd, r->iov, r->iovcnt, r->offset);
		break;
	case AIO_FDATASYNC:
		io_uring_prep_fsync(sqe, r->fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data(sqe, r);
	u->queued++;
}

static void uring_commit(void *engine)
{
	uring_flush(engine);
}

static struct aio_req *uring_take(void *engine)
{
	struct uring_engine *u = engine;
	struct io_uring_cqe *cqe;
	struct aio_req *head = u->done_here, **tail = &head;

	u->done_here = NULL;
	while (*tail)
		tail = &(*tail)->next;
	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct aio_req *r = io_uring_cqe_get_data(cqe);

		/* The kernel may transfer less than asked: finish it here. */
		r->result = cqe->res >= 0 ? aio_finish_sync(r, cqe->res)
					  : cqe->res;
		r->next = NULL;
		*tail = r;
		tail = &r->next;
		io_uring_cqe_seen(&u->ring, cqe);
	}
	return head;
}

static void uring_destroy(void *engine)
{
	struct uring_engine *u = engine;

	io_uring_queue_exit(&u->ring);
	free(u);
}

const struct aio_engine_ops aio_uring_ops = {
	.name = "io_uring",
	.create = uring_create,
	.submit = uring_submit,
	.commit = uring_commit,
	.take = uring_take,
	.destroy = uring_destroy,
};
