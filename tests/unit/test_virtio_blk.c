// SPDX-License-Identifier: MIT
/*
 * What virtio-blk learns about its image (block/image.h): the alignment
 * O_DIRECT wants, probed, including a file on a 4K-sector disk (a loop
 * device, where the test runs as root); and the errors it saw: a failed
 * write (ENOSPC from /dev/full) makes every later FLUSH fail although
 * fdatasync succeeds, until a reset; the host log says so, with the errno
 * and the path, once and then at most once a second with a count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "block/aio.h"
#include "block/image.h"
#include "check.h"

static void record(void *ctx, struct aio_req *r)
{
	*(int64_t *)ctx = r->result;
}

static void test_align_buffered(void)
{
	char path[] = "/tmp/scorpi-blk-XXXXXX";
	int fd = mkstemp(path);
	struct blk_align a;

	CHECK(fd >= 0);
	unlink(path);
	blk_probe_align(fd, false, &a);
	CHECK_EQ(a.offset, 512);
	CHECK_EQ(a.mem, 1);
	close(fd);
}

/* Whatever /tmp is, the probed alignment is one O_DIRECT accepts. */
static void check_direct(const char *dir, uint32_t want_at_least,
			 bool small_fails)
{
	char path[4200];
	struct blk_align a;
	void *buf = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/scorpi-blk-XXXXXX", dir);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(ftruncate(fd, 1 << 20) == 0);
	close(fd);
	fd = open(path, O_RDWR | O_DIRECT);
	unlink(path);
	if (fd < 0) {
		printf("%s: no O_DIRECT (%s)\n", dir, strerror(errno));
		return;
	}
	blk_probe_align(fd, true, &a);
	printf("%s: offset %u, mem %u\n", dir, a.offset, a.mem);
	CHECK(a.offset >= want_at_least && blk_aligned(a.offset, a.offset));
	CHECK(a.mem >= 1 && a.mem <= a.offset);
	if (posix_memalign(&buf, a.mem > 4096 ? a.mem : 4096, 65536)) {
		CHECK(!"posix_memalign");
		close(fd);
		return;
	}
	/* One block at the first block boundary past 0: no EINVAL. */
	CHECK_EQ(pread(fd, buf, a.offset, a.offset), a.offset);
	CHECK_EQ(pwrite(fd, buf, a.offset, a.offset), a.offset);
	/* A smaller one is what the old blk_size of 512 let guests send. */
	if (small_fails) {
		errno = 0;
		CHECK(pwrite(fd, buf, 512, a.offset + 512) < 0 &&
		      errno == EINVAL);
	}
	free(buf);
	close(fd);
}

static void test_align_direct(void)
{
	check_direct("/tmp", 512, false);
	/* tmpfs reports no STATX_DIOALIGN on older kernels: 4096 then. */
	if (access("/dev/shm", W_OK) == 0)
		check_direct("/dev/shm", 512, false);
}

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A file system on a disk with 4096-byte sectors, as root. */
static void test_align_4k_disk(void)
{
	char dir[] = "/tmp/scorpi-4k-XXXXXX", cmd[1024], dev[64] = "";
	FILE *p;

	if (geteuid() != 0 || access("/dev/loop-control", F_OK) < 0 ||
	    sh("command -v mkfs.ext4 losetup >/dev/null") != 0) {
		printf("skipped: needs root, loop devices and mkfs.ext4\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(
		cmd, sizeof(cmd),
		"truncate -s 16M %s.img && losetup -f --show --sector-size 4096 %s.img",
		dir, dir);
	p = popen(cmd, "r");
	if (p) {
		if (!fgets(dev, sizeof(dev), p))
			dev[0] = 0;
		dev[strcspn(dev, "\n")] = 0;
		pclose(p);
	}
	if (!dev[0]) {
		printf("skipped: no loop device\n");
	} else {
		snprintf(cmd, sizeof(cmd), "mkfs.ext4 -q -F %s && mount %s %s",
			 dev, dev, dir);
		if (sh(cmd) == 0) {
			check_direct(dir, 4096, true);
			snprintf(cmd, sizeof(cmd), "umount %s", dir);
			CHECK_EQ(sh(cmd), 0);
		} else {
			printf("skipped: cannot mount a loop device\n");
		}
		/* The device itself: its logical sector size. */
		{
			int fd = open(dev, O_RDWR | O_DIRECT);
			struct blk_align a;

			CHECK(fd >= 0);
			if (fd >= 0) {
				blk_probe_align(fd, true, &a);
				CHECK_EQ(a.offset, 4096);
				blk_probe_align(fd, false, &a);
				CHECK_EQ(a.offset, 4096);
				close(fd);
			}
		}
		snprintf(cmd, sizeof(cmd), "losetup -d %s", dev);
		CHECK_EQ(sh(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -f %s.img; rmdir %s", dir, dir);
	sh(cmd);
}

/*
 * A write fails with ENOSPC (to /dev/full). On Linux a later fdatasync
 * may succeed once the failed pages are dropped, so FLUSH must fail on
 * what the device remembers.
 */
static void test_sticky_error(void)
{
	static uint8_t buf[4096];
	struct iovec iov = { buf, sizeof(buf) };
	struct aio_req w = { .op = AIO_WRITE, .iov = &iov, .iovcnt = 1 };
	struct aio_req s = { .op = AIO_FDATASYNC };
	struct aio *a = aio_create(AIO_AUTO, 4);
	struct blk_errors e;
	char msg[512] = "";
	int64_t res = 0;
	int fd = open("/dev/full", O_WRONLY);

	CHECK(a && fd >= 0);
	if (!a || fd < 0)
		return;
	blk_errors_init(&e, "/dev/full");
	CHECK(!e.sticky);
	w.fd = s.fd = fd;
	aio_submit(a, &w);
	aio_commit(a);
	aio_drain(a, record, &res);
	CHECK_EQ(res, (uint64_t)-ENOSPC);
	/* Reads and flushes before it went well. */
	CHECK(blk_errors_complete(&e, "read", 0, 4096, 4096));
	CHECK(blk_errors_complete(&e, "flush", 0, 0, 0));
	log_capture_begin(msg, sizeof(msg));
	CHECK(!blk_errors_complete(&e, "write", 8192, res, 4096));
	log_capture_end();
	printf("logged: %s\n", msg);
	CHECK(strstr(msg, "/dev/full") != NULL);
	CHECK(strstr(msg, strerror(ENOSPC)) != NULL);
	CHECK(strstr(msg, "8192") != NULL);
	CHECK(e.sticky);

	/* Whatever the next fdatasync says, the device answers IOERR. */
	aio_submit(a, &s);
	aio_commit(a);
	aio_drain(a, record, &res);
	printf("fdatasync after it: %" PRId64 "\n", res);
	CHECK(e.sticky);
	CHECK(!blk_errors_complete(&e, "flush", 0, 0, 0));
	CHECK(!blk_errors_complete(&e, "flush", 0, 0, 0));
	/* Reads and writes that work still do. */
	CHECK(blk_errors_complete(&e, "read", 0, 4096, 4096));
	CHECK(blk_errors_complete(&e, "write", 0, 4096, 4096));
	CHECK(!blk_errors_complete(&e, "flush", 0, 0, 0));
	/* A short write is an error too (EIO), and sticky. */
	blk_errors_reset(&e);
	CHECK(blk_errors_complete(&e, "flush", 0, 0, 0));
	CHECK(!blk_errors_complete(&e, "write-zeroes", 0, 100, 4096));
	CHECK(!blk_errors_complete(&e, "flush", 0, 0, 0));
	/* A failed read does not make it sticky, nor clear it. */
	blk_errors_reset(&e);
	CHECK(!e.sticky);
	blk_errors_note(&e, "read", 0, EIO, false, 2000);
	CHECK(!e.sticky);
	blk_errors_note(&e, "flush", 0, EIO, true, 3000);
	CHECK(e.sticky);
	close(fd);
	aio_destroy(a);
}

static void test_error_log_rate(void)
{
	struct blk_errors e;
	char msg[512];
	uint64_t t = 5000000000ull;

	blk_errors_init(&e, "/img");
	/* The first of each kind is logged at once. */
	CHECK(blk_errors_note(&e, "write", 0, ENOSPC, true, t));
	CHECK(blk_errors_note(&e, "write", 0, EIO, true, t));
	CHECK(blk_errors_note(&e, "read", 0, EBADF, false, t));
	/* Then no more than one line a second per kind, with a count. */
	for (int i = 0; i < 100; i++)
		CHECK(!blk_errors_note(&e, "write", 512, ENOSPC, true, t + i));
	CHECK_EQ(e.kind[BLK_ERR_ENOSPC].count, 101);
	msg[0] = 0;
	log_capture_begin(msg, sizeof(msg));
	CHECK(blk_errors_note(&e, "write", 1024, ENOSPC, true,
			      t + BLK_ERR_LOG_INTERVAL_NS));
	log_capture_end();
	printf("logged: %s\n", msg);
	CHECK(strstr(msg, "100 more") != NULL);
	CHECK(!blk_errors_note(&e, "write", 0, ENOSPC, true,
			       t + BLK_ERR_LOG_INTERVAL_NS + 1));
	/* A reset reports what was held back. */
	msg[0] = 0;
	log_capture_begin(msg, sizeof(msg));
	blk_errors_reset(&e);
	log_capture_end();
	CHECK(strstr(msg, "1 more ENOSPC") != NULL);
	CHECK_EQ(e.kind[BLK_ERR_ENOSPC].unlogged, 0);
}

TEST_MAIN(TEST(test_align_buffered), TEST(test_align_direct),
	  TEST(test_align_4k_disk), TEST(test_sticky_error),
	  TEST(test_error_log_rate))
