// SPDX-License-Identifier: MIT
/*
 * The io_uring engine: requests go to the kernel's submission queue and
 * come back on the completion queue; the ring signals an eventfd, so the
 * device's I/O thread sleeps in epoll like for everything else.
 *
 * The completion queue is sized for everything that may be in flight
 * (IORING_SETUP_CQSIZE), and the engine never has more requests in the
 * kernel than it has room for: past that, the submitting thread (which is
 * also the only one that reaps) moves completions off the ring itself, and
 * waits for one when there are none yet. So the ring never overflows, and
 * a busy ring (-EBUSY, -EAGAIN) is reaped, never spun on.
 */
#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/log.h"
#include "aio_engine.h"

#define URING_MAX_SQ 1024
#define URING_MAX_CQ 65536

struct uring_engine {
	struct io_uring ring;
	unsigned int cq_entries;
	unsigned int queued; /* prepared, not yet submitted */
	unsigned int in_kernel; /* submitted, completion not yet taken */
	int done_fd;
	/* Completions taken off the ring early, or done here; FIFO. */
	struct aio_req *done_head, **done_tail;
	struct aio_stats stats;
};

static unsigned int pow2_at_least(unsigned int n, unsigned int max)
{
	unsigned int p = 1;

	while (p < n && p < max)
		p <<= 1;
	return p;
}

/*
 * The ring takes only what this engine submits (vectored reads and
 * writes, fdatasync, nops), with no SQE flags, and no registration once
 * enabled: io_uring's operations are not system calls, so the sandbox's
 * seccomp filter (src/core/sandbox.c) does not see them, and this is
 * what holds a thread that went astray to the disk I/O it already does.
 */
static int uring_restrict(struct io_uring *ring)
{
	static const unsigned char ops[] = { IORING_OP_READV, IORING_OP_WRITEV,
					     IORING_OP_FSYNC, IORING_OP_NOP };
	struct io_uring_restriction res[sizeof(ops) + 1];
	unsigned int n = 0;
	int err;

	memset(res, 0, sizeof(res));
	for (unsigned int i = 0; i < sizeof(ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = 0;
	/* Debian 12's liburing (2.3) has no wrappers for these two. */
	err = (int)syscall(__NR_io_uring_register, ring->ring_fd,
			   IORING_REGISTER_RESTRICTIONS, res, n);
	if (err == 0)
		err = (int)syscall(__NR_io_uring_register, ring->ring_fd,
				   IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	return err < 0 ? -errno : 0;
}

static void *uring_create(unsigned int depth, int done_fd)
{
	struct uring_engine *u = calloc(1, sizeof(*u));
	struct io_uring_params p = { 0 };
	unsigned int sq;
	int err;

	if (!u)
		return NULL;
	u->done_fd = done_fd;
	u->done_tail = &u->done_head;
	sq = pow2_at_least(depth, URING_MAX_SQ);
	/* Disabled until restricted (uring_restrict). */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
	p.cq_entries =
		pow2_at_least(depth > 2 * sq ? depth : 2 * sq, URING_MAX_CQ);
	err = io_uring_queue_init_params(sq, &u->ring, &p);
	if (err == -EINVAL) {
		/*
		 * A kernel without CQSIZE (before 5.5), or without
		 * R_DISABLED (5.10): its default, twice the SQ, and no
		 * restrictions.
		 */
		memset(&p, 0, sizeof(p));
		err = io_uring_queue_init_params(sq, &u->ring, &p);
	}
	if (err == 0) {
		u->cq_entries = p.cq_entries;
		err = io_uring_register_eventfd(&u->ring, done_fd);
		if (err == 0 && (p.flags & IORING_SETUP_R_DISABLED))
			err = uring_restrict(&u->ring);
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

static void signal_done(struct uring_engine *u)
{
	uint64_t one = 1;

	if (write(u->done_fd, &one, sizeof(one)) < 0)
		log_error("io_uring: %s", strerror(errno));
}

static void done_here(struct uring_engine *u, struct aio_req *r)
{
	r->next = NULL;
	*u->done_tail = r;
	u->done_tail = &r->next;
}

/*
 * Moves what completed off the ring; returns how many. Outside take, the
 * eventfd is signalled again: the I/O thread may have read it already.
 */
static unsigned int harvest(struct uring_engine *u, bool signal)
{
	struct io_uring_cqe *cqe;
	unsigned int n = 0;

	if (io_uring_cq_has_overflow(&u->ring))
		u->stats.cq_overflows++;
	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct aio_req *r = io_uring_cqe_get_data(cqe);

		/* The kernel may transfer less than asked: finish it here. */
		r->result = cqe->res >= 0 ? aio_finish_sync(r, cqe->res)
					  : cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		done_here(u, r);
		u->in_kernel--;
		n++;
	}
	if (n && signal)
		signal_done(u);
	return n;
}

/*
 * Makes progress when the kernel cannot take more now: completions are
 * taken off the ring (the I/O thread hears of them through the eventfd,
 * which the ring signalled already), or, when none are there yet, this
 * waits for one. With nothing in the kernel to wait for, a short sleep.
 */
static void make_progress(struct uring_engine *u)
{
	struct io_uring_cqe *cqe;

	if (harvest(u, true))
		return;
	if (u->in_kernel) {
		u->stats.waits++;
		if (io_uring_wait_cqe(&u->ring, &cqe) == 0)
			harvest(u, true);
		return;
	}
	nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
}

static void uring_flush(struct uring_engine *u)
{
	unsigned int tries = 0;

	while (u->queued) {
		int n = io_uring_submit(&u->ring);

		if (n == -EINTR)
			continue;
		if (n == -EAGAIN || n == -EBUSY || n == 0) {
			u->stats.busy++;
			if (++tries > 1000) {
				log_error("io_uring_submit: %s", strerror(-n));
				return;
			}
			make_progress(u);
			continue;
		}
		if (n < 0) {
			log_error("io_uring_submit: %s", strerror(-n));
			return;
		}
		if ((unsigned int)n > u->queued)
			n = u->queued;
		u->queued -= n;
		u->in_kernel += n;
	}
}

static void uring_submit(void *engine, struct aio_req *r)
{
	struct uring_engine *u = engine;
	struct io_uring_sqe *sqe;

	/* Never more in the kernel than its completion queue holds. */
	if (u->queued + u->in_kernel >= u->cq_entries) {
		uring_flush(u);
		while (u->in_kernel &&
		       u->queued + u->in_kernel >= u->cq_entries)
			make_progress(u);
	}
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		/* The submission queue is full: hand it to the kernel. */
		uring_flush(u);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (!sqe) {
		/* Only when the kernel refuses submissions outright. */
		r->result = r->op == AIO_FDATASYNC
				    ? (fdatasync(r->fd) < 0 ? -errno : 0)
				    : aio_finish_sync(r, 0);
		done_here(u, r);
		signal_done(u);
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
	case AIO_WRITE_ZEROES: /* aio.c makes these writes */
		io_uring_prep_nop(sqe);
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
	struct aio_req *head;

	harvest(u, false);
	head = u->done_head;
	u->done_head = NULL;
	u->done_tail = &u->done_head;
	return head;
}

static void uring_get_stats(void *engine, struct aio_stats *s)
{
	struct uring_engine *u = engine;

	*s = u->stats;
	s->cq_entries = u->cq_entries;
	s->cq_overflows += *u->ring.cq.koverflow;
	if (io_uring_cq_has_overflow(&u->ring))
		s->cq_overflows++;
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
	.get_stats = uring_get_stats,
	.destroy = uring_destroy,
};
