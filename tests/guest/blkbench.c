// SPDX-License-Identifier: MIT
/*
 * A small disk benchmark for Scorpi's virtio-blk figures. The same static
 * program runs inside the guest (packed into its initramfs) against the
 * virtio disk and on the host against a file, so both sides measure with
 * the same code:
 *
 *   blkbench [--direct] [--size MIB] [--seconds N] [--qd N] MODE PATH
 *
 * seqwrite writes SIZE MiB in 1 MiB blocks and fdatasyncs, seqread reads
 * them back, randread reads 4 KiB at random aligned offsets within the
 * first SIZE MiB for N seconds with QD requests in flight (pread at QD 1,
 * io_uring above). Prints one line of JSON on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define MIB (1024 * 1024)
#define SEQ_BLOCK MIB
#define RAND_BLOCK 4096
#define ALIGN 4096
#define MAX_QD 256
#define MAX_SIZE_MIB (16u * 1024 * 1024) /* 16 TiB */
#define MAX_SECONDS 3600

struct opts {
	bool direct;
	uint64_t size; /* bytes */
	unsigned int seconds, qd;
	const char *mode, *path;
};

struct result {
	uint64_t bytes, ios;
	double seconds;
};

static const char *path;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: blkbench [--direct] [--size MIB] [--seconds N] [--qd N] "
		"MODE PATH\n"
		"  MODE seqwrite  write SIZE MiB in 1 MiB blocks, then fdatasync\n"
		"       seqread   read SIZE MiB in 1 MiB blocks\n"
		"       randread  4 KiB reads at random offsets in the first "
		"SIZE MiB\n"
		"  --direct       open with O_DIRECT\n"
		"  --size MIB     data size (default 256)\n"
		"  --seconds N    randread run time (default 5)\n"
		"  --qd N         randread requests in flight, 1-%d (default 1;"
		" >1 uses io_uring)\n"
		"Prints one line of JSON on stdout.\n",
		MAX_QD);
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt,
								...)
{
	va_list ap;

	fprintf(stderr, "blkbench: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static __attribute__((noreturn)) void bad_usage(const char *fmt,
						const char *arg)
{
	fprintf(stderr, "blkbench: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static unsigned long parse_num(const char *s, const char *name,
			       unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > max)
		bad_usage("bad %s", name);
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *alloc_buf(size_t len)
{
	void *p;
	int err = posix_memalign(&p, ALIGN, len);

	if (err)
		die("posix_memalign %zu bytes: %s", len, strerror(err));
	return p;
}

/* xorshift64* (Marsaglia, Vigna): fast, and good enough for offsets. */
static uint64_t rng_state;

static void rng_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	rng_state = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 16) ^ 0x9e3779b97f4a7c15ull;
	if (!rng_state)
		rng_state = 1;
}

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rand_offset(uint64_t size)
{
	return (rng_next() % (size / RAND_BLOCK)) * RAND_BLOCK;
}

static int open_target(const struct opts *o, bool write)
{
	int flags = (write ? O_WRONLY | O_CREAT : O_RDONLY) | O_CLOEXEC;
	struct stat st;
	bool existed = stat(o->path, &st) == 0;
	uint64_t have;
	int fd;

	if (o->direct)
		flags |= O_DIRECT;
	fd = open(o->path, flags, 0644);
	if (fd < 0 && errno == EINVAL && o->direct) {
		/* Don't leave behind a file only this failed open made. */
		if (write && !existed)
			unlink(o->path);
		fprintf(stderr,
			"blkbench: %s: O_DIRECT not supported here (tmpfs?); "
			"run without --direct\n",
			o->path);
		exit(1);
	}
	if (fd < 0)
		die("open: %s", strerror(errno));
	if (fstat(fd, &st))
		die("fstat: %s", strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &have))
			die("BLKGETSIZE64: %s", strerror(errno));
		if (o->size > have)
			die("%" PRIu64 " MiB asked, the device has %" PRIu64
			    " bytes (%" PRIu64 " MiB)",
			    o->size / MIB, have, have / MIB);
	} else if (S_ISREG(st.st_mode)) {
		have = st.st_size;
		if (!write && o->size > have)
			die("%" PRIu64 " MiB asked, the file has %" PRIu64
			    " bytes (%" PRIu64 " MiB); run seqwrite first",
			    o->size / MIB, have, have / MIB);
	} else {
		die("not a block device or regular file");
	}
	return fd;
}

static void check_rw(ssize_t n, size_t want, const char *op, uint64_t off)
{
	if (n < 0)
		die("%s at offset %" PRIu64 ": %s", op, off, strerror(errno));
	if ((size_t)n != want)
		die("short %s at offset %" PRIu64 ": %zd of %zu bytes", op, off,
		    n, want);
}

static struct result seqwrite(const struct opts *o, int fd)
{
	uint64_t *buf = alloc_buf(SEQ_BLOCK);
	struct result r = { 0 };
	uint64_t off;
	size_t i;
	double t0;

	/* Non-zero, and no two 4 KiB sectors alike: nothing to shortcut. */
	for (i = 0; i < SEQ_BLOCK / 8; i++)
		buf[i] = 0x5ca1ab1e00000000ull ^ (i * 0x9e3779b97f4a7c15ull);
	t0 = now();
	for (off = 0; off < o->size; off += SEQ_BLOCK) {
		for (i = 0; i < SEQ_BLOCK / 8; i += RAND_BLOCK / 8)
			buf[i] = off + i * 8 + 1;
		check_rw(pwrite(fd, buf, SEQ_BLOCK, off), SEQ_BLOCK, "write",
			 off);
		r.ios++;
	}
	if (fdatasync(fd))
		die("fdatasync: %s", strerror(errno));
	r.seconds = now() - t0;
	r.bytes = o->size;
	free(buf);
	return r;
}

static struct result seqread(const struct opts *o, int fd)
{
	void *buf = alloc_buf(SEQ_BLOCK);
	struct result r = { 0 };
	uint64_t off;
	double t0 = now();

	for (off = 0; off < o->size; off += SEQ_BLOCK) {
		check_rw(pread(fd, buf, SEQ_BLOCK, off), SEQ_BLOCK, "read",
			 off);
		r.ios++;
	}
	r.seconds = now() - t0;
	r.bytes = o->size;
	free(buf);
	return r;
}

static struct result randread_sync(const struct opts *o, int fd)
{
	void *buf = alloc_buf(RAND_BLOCK);
	struct result r = { 0 };
	double t0 = now(), end = t0 + o->seconds, t;
	uint64_t off;

	do {
		off = rand_offset(o->size);
		check_rw(pread(fd, buf, RAND_BLOCK, off), RAND_BLOCK, "read",
			 off);
		r.ios++;
		t = now();
	} while (t < end);
	r.seconds = t - t0;
	r.bytes = r.ios * RAND_BLOCK;
	free(buf);
	return r;
}

static void queue_read(struct io_uring *ring, int fd, char *bufs,
		       uint64_t *offs, unsigned int slot, uint64_t size)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	/* The ring has QD entries and never more than QD are queued. */
	if (!sqe)
		die("io_uring: no free submission entry");
	offs[slot] = rand_offset(size);
	io_uring_prep_read(sqe, fd, bufs + (size_t)slot * RAND_BLOCK,
			   RAND_BLOCK, offs[slot]);
	io_uring_sqe_set_data64(sqe, slot);
}

/*
 * QD reads in flight; each completion is checked and its slot resubmitted
 * at a new offset until the time is up, then the rest are drained (and
 * counted: the clock stops when the last one lands).
 */
static struct result randread_uring(const struct opts *o, int fd)
{
	char *bufs = alloc_buf((size_t)o->qd * RAND_BLOCK);
	uint64_t offs[MAX_QD];
	struct result r = { 0 };
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	unsigned int slot, inflight, head, seen;
	bool stop = false;
	double t0, end;
	int ret;

	ret = io_uring_queue_init(o->qd, &ring, 0);
	if (ret < 0)
		die("io_uring_queue_init: %s", strerror(-ret));
	t0 = now();
	end = t0 + o->seconds;
	for (slot = 0; slot < o->qd; slot++)
		queue_read(&ring, fd, bufs, offs, slot, o->size);
	inflight = o->qd;
	while (inflight) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			die("io_uring_submit_and_wait: %s", strerror(-ret));
		if (!stop && now() >= end)
			stop = true;
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			slot = (unsigned int)io_uring_cqe_get_data64(cqe);
			if (cqe->res < 0)
				die("read at offset %" PRIu64 ": %s",
				    offs[slot], strerror(-cqe->res));
			if (cqe->res != RAND_BLOCK)
				die("short read at offset %" PRIu64
				    ": %d of %d bytes",
				    offs[slot], cqe->res, RAND_BLOCK);
			r.ios++;
			seen++;
			if (stop)
				inflight--;
			else
				queue_read(&ring, fd, bufs, offs, slot,
					   o->size);
		}
		io_uring_cq_advance(&ring, seen);
	}
	r.seconds = now() - t0;
	r.bytes = r.ios * RAND_BLOCK;
	io_uring_queue_exit(&ring);
	free(bufs);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "direct", no_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "qd", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .size = 256ull * MIB, .seconds = 5, .qd = 1 };
	struct result r;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.direct = true;
			break;
		case 's':
			o.size = parse_num(optarg, "--size", MAX_SIZE_MIB) *
				 (uint64_t)MIB;
			break;
		case 't':
			o.seconds = parse_num(optarg, "--seconds", MAX_SECONDS);
			break;
		case 'q':
			o.qd = parse_num(optarg, "--qd", MAX_QD);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2)
		bad_usage("%s", "want MODE and PATH");
	o.mode = argv[optind];
	o.path = path = argv[optind + 1];
	if (strcmp(o.mode, "seqwrite") && strcmp(o.mode, "seqread") &&
	    strcmp(o.mode, "randread"))
		bad_usage("unknown mode %s", o.mode);
	if (o.qd > 1 && strcmp(o.mode, "randread"))
		bad_usage("%s", "--qd is for randread only");

	fd = open_target(&o, !strcmp(o.mode, "seqwrite"));
	if (!strcmp(o.mode, "seqwrite")) {
		r = seqwrite(&o, fd);
	} else if (!strcmp(o.mode, "seqread")) {
		r = seqread(&o, fd);
	} else {
		rng_seed();
		r = o.qd == 1 ? randread_sync(&o, fd) : randread_uring(&o, fd);
	}
	if (close(fd))
		die("close: %s", strerror(errno));
	if (r.seconds <= 0)
		r.seconds = 1e-9;
	printf("{\"mode\":\"%s\",\"qd\":%u,\"direct\":%s,\"bytes\":%" PRIu64
	       ",\"ios\":%" PRIu64
	       ",\"seconds\":%.3f,\"mbps\":%.1f,\"iops\":%.1f}\n",
	       o.mode, o.qd, o.direct ? "true" : "false", r.bytes, r.ios,
	       r.seconds, r.bytes / r.seconds / MIB, r.ios / r.seconds);
	if (fflush(stdout) || ferror(stdout))
		die("stdout: %s", strerror(errno));
	return 0;
}
