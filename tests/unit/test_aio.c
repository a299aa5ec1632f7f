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
#include <stdlib.h>
#include <unistd.h>

#include "block/aio.h"
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

TEST_MAIN(TEST(test_threads), TEST(test_auto), TEST(test_more_than_depth))
