// SPDX-License-Identifier: MIT
/*
 * Asynchronous disk I/O, each engine (io_uring where this kernel allows
 * it, and the thread pool): many scattered writes and reads in flight at
 * once on a temporary file, completing in any order, each with the right
 * bytes; fdatasync; a read past the end of a file that shrank reads zeros;
 * an error (a bad file descriptor) comes back as -errno; drain waits for
 * everything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "block/aio.h"
#include "block/aio_engine.h"
#include "check.h"

#define NREQ 64
#define CHUNK 8192

struct done_log {
	unsigned int count;
	int64_t results[NREQ];
	struct aio_req *seen[NREQ];
};

static void record(void *ctx, struct aio_req *r)
{
	struct done_log *l = ctx;

	if (l->count < NREQ) {
		l->seen[l->count] = r;
		l->results[l->count] = r->result;
	}
	l->count++;
}

static int temp_file(void)
{
	char path[] = "/tmp/scorpi-aio-XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

static void run_engine(enum aio_engine_kind kind)
{
	static uint8_t bufs[NREQ][CHUNK], back[NREQ][CHUNK];
	static struct aio_req reqs[NREQ];
	static struct iovec iov[NREQ][2];
	struct done_log log = { 0 };
	struct aio *a = aio_create(kind, 32);
	int fd = temp_file();

	CHECK(a != NULL);
	CHECK(fd >= 0);
	if (!a || fd < 0)
		return;
	printf("engine %s\n", aio_engine_name(a));
	/* Writes in two pieces each, at offsets in reverse order. */
	for (int i = 0; i < NREQ; i++) {
		for (int j = 0; j < CHUNK; j++)
			bufs[i][j] = (uint8_t)(i * 7 + j);
		iov[i][0] = (struct iovec){ bufs[i], 100 };
		iov[i][1] = (struct iovec){ bufs[i] + 100, CHUNK - 100 };
		reqs[i] = (struct aio_req){ .op = AIO_WRITE,
					    .fd = fd,
					    .iov = iov[i],
					    .iovcnt = 2,
					    .offset = (uint64_t)(NREQ - 1 - i) *
						      CHUNK };
		aio_submit(a, &reqs[i]);
	}
	aio_commit(a);
	aio_drain(a, record, &log);
	CHECK_EQ(log.count, NREQ);
	for (int i = 0; i < NREQ; i++)
		CHECK_EQ(log.results[i], CHUNK);

	reqs[0] = (struct aio_req){ .op = AIO_FDATASYNC, .fd = fd };
	log.count = 0;
	aio_submit(a, &reqs[0]);
	aio_commit(a);
	aio_drain(a, record, &log);
	CHECK_EQ(log.count, 1);
	CHECK_EQ(log.results[0], 0);

	/* Read them all back at once, one iovec each. */
	log.count = 0;
	for (int i = 0; i < NREQ; i++) {
		iov[i][0] = (struct iovec){ back[i], CHUNK };
		reqs[i] = (struct aio_req){ .op = AIO_READ,
					    .fd = fd,
					    .iov = iov[i],
					    .iovcnt = 1,
					    .offset = (uint64_t)(NREQ - 1 - i) *
						      CHUNK };
		aio_submit(a, &reqs[i]);
	}
	aio_commit(a);
	aio_drain(a, record, &log);
	CHECK_EQ(log.count, NREQ);
	for (int i = 0; i < NREQ; i++) {
		CHECK_EQ(log.results[i], CHUNK);
		CHECK(!memcmp(back[i], bufs[i], CHUNK));
	}

	/* The file shrinks under a read: the missing part reads as zeros. */
	CHECK(ftruncate(fd, CHUNK / 2) == 0);
	memset(back[0], 0xff, CHUNK);
	iov[0][0] = (struct iovec){ back[0], CHUNK };
	reqs[0] = (struct aio_req){
		.op = AIO_READ, .fd = fd, .iov = iov[0], .iovcnt = 1
	};
	log.count = 0;
	aio_submit(a, &reqs[0]);
	aio_commit(a);
	aio_drain(a, record, &log);
	CHECK_EQ(log.results[0], CHUNK);
	CHECK(!memcmp(back[0], bufs[NREQ - 1], CHUNK / 2));
	CHECK_EQ(back[0][CHUNK / 2], 0);
	CHECK_EQ(back[0][CHUNK - 1], 0);

	/* A failing request reports -errno. */
	iov[0][0] = (struct iovec){ back[0], CHUNK };
	reqs[0] = (struct aio_req){
		.op = AIO_WRITE, .fd = 1000000, .iov = iov[0], .iovcnt = 1
	};
	log.count = 0;
	aio_submit(a, &reqs[0]);
	aio_commit(a);
	aio_drain(a, record, &log);
	CHECK_EQ(log.count, 1);
	CHECK_EQ(log.results[0], (uint64_t)-EBADF);

	close(fd);
	aio_destroy(a);
}

static void test_threads(void)
{
	run_engine(AIO_THREADS);
}

static void test_auto(void)
{
	/* io_uring where the kernel allows it, else threads again. */
	run_engine(AIO_AUTO);
}

/* More requests than the ring has entries, submitted before one commit. */
static void test_more_than_depth(void)
{
	static uint8_t buf[4096];
	static struct aio_req reqs[300];
	static struct iovec iov[300];
	struct done_log log = { 0 };
	struct aio *a = aio_create(AIO_AUTO, 8);
	int fd = temp_file();

	CHECK(a && fd >= 0);
	if (!a || fd < 0)
		return;
	for (int i = 0; i < 300; i++) {
		iov[i] = (struct iovec){ buf, sizeof(buf) };
		reqs[i] = (struct aio_req){ .op = AIO_WRITE,
					    .fd = fd,
					    .iov = &iov[i],
					    .iovcnt = 1,
					    .offset = (uint64_t)i * 4096 };
		aio_submit(a, &reqs[i]);
	}
	aio_commit(a);
	aio_drain(a, record, &log);
	CHECK_EQ(log.count, 300);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 300 * 4096);
	close(fd);
	aio_destroy(a);
}

/*
 * As many requests in flight as virtio-blk allows (16 queues of 256),
 * all submitted before one commit and reaped only afterwards, as the
 * device's I/O thread does: the completion queue must hold them all, and
 * a full one must be reaped, not spun on.
 */
static void many_in_flight(enum aio_engine_kind kind, unsigned int depth,
			   unsigned int n)
{
	static uint8_t buf[4096];
	static struct aio_req reqs[8192];
	static struct iovec iov[8192];
	struct done_log log = { 0 };
	struct aio_stats st;
	struct aio *a = aio_create(kind, depth);
	int fd = temp_file();

	CHECK(a && fd >= 0);
	if (!a || fd < 0)
		return;
	printf("engine %s, %u requests, depth %u\n", aio_engine_name(a), n,
	       depth);
	CHECK(ftruncate(fd, 1 << 20) == 0);
	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ buf, 512 };
		reqs[i] = (struct aio_req){ .op = i % 2 ? AIO_WRITE : AIO_READ,
					    .fd = fd,
					    .iov = &iov[i],
					    .iovcnt = 1,
					    .offset = (uint64_t)(i % 2048) *
						      512 };
		aio_submit(a, &reqs[i]);
	}
	aio_commit(a);
	/* Before anything is reaped: the ring held every completion. */
	aio_get_stats(a, &st);
	CHECK_EQ(st.cq_overflows, 0);
	aio_drain(a, record, &log);
	CHECK_EQ(log.count, n);
	for (unsigned int i = 0; i < n && i < NREQ; i++)
		CHECK_EQ(log.results[i], 512);
	aio_get_stats(a, &st);
	printf("cq %u, overflows %" PRIu64 ", busy %" PRIu64 ", waits %" PRIu64
	       "\n",
	       st.cq_entries, st.cq_overflows, st.busy, st.waits);
	CHECK_EQ(st.cq_overflows, 0);
	if (!strcmp(aio_engine_name(a), "io_uring"))
		CHECK(st.cq_entries >= depth);
	close(fd);
	aio_destroy(a);
}

static void test_many_in_flight(void)
{
	many_in_flight(AIO_AUTO, 16 * 256, 16 * 256);
	/* Twice what the engine was sized for: it waits, never spins. */
	many_in_flight(AIO_AUTO, 1024, 8192);
	many_in_flight(AIO_THREADS, 16 * 256, 16 * 256);
}

/*
 * WRITE_ZEROES where fallocate cannot: bounded asynchronous writes, one
 * chunk after another as completions are reaped, never one huge write.
 */
static void zeroes(enum aio_engine_kind kind)
{
	static uint8_t buf[65536];
	const uint64_t start = 4096, len = 5 * AIO_ZERO_CHUNK + 8192;
	struct aio_req z = { .op = AIO_WRITE_ZEROES,
			     .offset = start,
			     .len = len };
	struct aio_req empty = { .op = AIO_WRITE_ZEROES, .offset = 0 };
	struct done_log log = { 0 };
	struct aio_stats st;
	struct aio *a = aio_create(kind, 4);
	int fd = temp_file();
	unsigned int rounds = 0;
	uint64_t off;
	bool ok = true;

	CHECK(a && fd >= 0);
	if (!a || fd < 0)
		return;
	memset(buf, 0xaa, sizeof(buf));
	for (off = 0; off < start + len + sizeof(buf); off += sizeof(buf))
		CHECK_EQ(pwrite(fd, buf, sizeof(buf), off), sizeof(buf));
	z.fd = empty.fd = fd;
	aio_submit(a, &z);
	aio_submit(a, &empty);
	aio_commit(a);
	while (log.count < 2) {
		struct pollfd p = { .fd = aio_fd(a), .events = POLLIN };

		CHECK_EQ(poll(&p, 1, 10000), 1);
		aio_reap(a, record, &log);
		rounds++;
	}
	CHECK_EQ(log.count, 2);
	CHECK(log.seen[0] == &empty || log.seen[1] == &empty);
	CHECK_EQ(z.result, len);
	CHECK_EQ(empty.result, 0);
	aio_get_stats(a, &st);
	/* One write per chunk, each on a completion of the one before. */
	CHECK_EQ(st.zero_chunks, 6);
	CHECK(rounds >= 6);
	for (off = 0; off < start + len + 4096; off += 4096) {
		bool zero = off >= start && off < start + len;

		CHECK_EQ(pread(fd, buf, 4096, off), 4096);
		for (int i = 0; i < 4096; i++)
			ok &= buf[i] == (zero ? 0 : 0xaa);
	}
	CHECK(ok);
	/* A failing chunk fails the request. */
	z = (struct aio_req){ .op = AIO_WRITE_ZEROES, .fd = 1000000, .len = 8 };
	log.count = 0;
	aio_submit(a, &z);
	aio_commit(a);
	aio_drain(a, record, &log);
	CHECK_EQ(log.count, 1);
	CHECK_EQ(z.result, (uint64_t)-EBADF);
	close(fd);
	aio_destroy(a);
}

static void test_zeroes(void)
{
	zeroes(AIO_AUTO);
	zeroes(AIO_THREADS);
}

/*
 * The io_uring engine's ring takes only the operations it submits: an
 * open through it is refused (EACCES), so a thread that went astray
 * cannot reach past the sandbox's filter with it (aio_uring.c).
 */
static void test_ring_restricted(void)
{
	int done = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	void *engine = aio_uring_ops.create(8, done);
	struct io_uring *ring = engine; /* its first member */
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	if (!engine) {
		printf("skipped: no io_uring here (%s)\n", strerror(errno));
		close(done);
		return;
	}
	sqe = io_uring_get_sqe(ring);
	CHECK(sqe != NULL);
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	CHECK_EQ(io_uring_submit(ring), 1);
	CHECK_EQ(io_uring_wait_cqe(ring, &cqe), 0);
	CHECK_EQ(cqe->res, -EACCES);
	io_uring_cqe_seen(ring, cqe);
	aio_uring_ops.destroy(engine);
	close(done);
}

TEST_MAIN(TEST(test_threads), TEST(test_auto), TEST(test_more_than_depth),
	  TEST(test_many_in_flight), TEST(test_zeroes),
	  TEST(test_ring_restricted))
