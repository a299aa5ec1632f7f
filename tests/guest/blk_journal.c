// SPDX-License-Identifier: MIT
/*
 * The guest side of the crash test (tests/integration/crash_x86.sh): writes
 * numbered, checksummed records to a disk in batches, flushes the disk after
 * each batch and prints "journal: flushed GEN BATCH" once the flush has
 * completed, so each printed batch is one the guest saw acknowledged. The
 * host kills the VMM at a random moment and checks the image with
 * tests/tools/journal_check.py: every batch printed must be there, intact.
 *
 *   blk-journal DEVICE GENERATION
 *
 * GENERATION tells this boot's records from those of the boots before it
 * on the same image. Records are 4 KiB, written with O_DIRECT (so the
 * guest's page cache holds nothing back) and flushed with fdatasync, which
 * the kernel turns into a virtio-blk FLUSH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <unistd.h>

#define RECORD_SIZE 4096
#define RECORDS_PER_BATCH 8
#define RECORD_MAGIC 0x4e524a53u /* "SJRN" */

/* The layout journal_check.py reads (little-endian). */
struct record_header {
	uint32_t magic;
	uint32_t generation;
	uint64_t batch;
	uint32_t index; /* within the batch */
	uint32_t reserved;
	uint64_t checksum; /* FNV-1a over the record, this field as zero */
};

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Payload bytes that differ with every record, so no stale one passes. */
static void fill_record(unsigned char *rec, uint32_t gen, uint64_t batch,
			uint32_t index)
{
	struct record_header h = {
		.magic = RECORD_MAGIC,
		.generation = gen,
		.batch = batch,
		.index = index,
	};
	uint64_t x = (batch << 20) ^ ((uint64_t)gen << 8) ^ index ^ 0x9e3779b9;

	for (size_t i = sizeof(h); i < RECORD_SIZE; i += 8) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(rec + i, &x, 8);
	}
	memcpy(rec, &h, sizeof(h));
	h.checksum = fnv1a(rec, RECORD_SIZE);
	memcpy(rec, &h, sizeof(h));
}

int main(int argc, char **argv)
{
	unsigned char *rec;
	uint64_t size, batches;
	uint32_t gen;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: blk-journal DEVICE GENERATION\n");
		return 2;
	}
	gen = (uint32_t)strtoul(argv[2], NULL, 10);
	fd = open(argv[1], O_RDWR | O_DIRECT);
	/* A disk in the guest; a file where it is tried out on a host. */
	if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &size) < 0) {
		struct stat st;

		size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	}
	if (fd < 0 || !size) {
		fprintf(stderr, "journal: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (posix_memalign((void **)&rec, RECORD_SIZE, RECORD_SIZE)) {
		fprintf(stderr, "journal: out of memory\n");
		return 1;
	}
	batches = size / (RECORD_SIZE * RECORDS_PER_BATCH);
	printf("journal: writing generation %u, %llu batches of %d records\n",
	       gen, (unsigned long long)batches, RECORDS_PER_BATCH);
	fflush(stdout);
	for (uint64_t b = 0; b < batches; b++) {
		for (uint32_t i = 0; i < RECORDS_PER_BATCH; i++) {
			off_t off = (off_t)(b * RECORDS_PER_BATCH + i) *
				    RECORD_SIZE;

			fill_record(rec, gen, b, i);
			if (pwrite(fd, rec, RECORD_SIZE, off) != RECORD_SIZE) {
				fprintf(stderr, "journal: write: %s\n",
					strerror(errno));
				return 1;
			}
		}
		if (fdatasync(fd) < 0) {
			fprintf(stderr, "journal: flush: %s\n", strerror(errno));
			return 1;
		}
		printf("journal: flushed %u %llu\n", gen, (unsigned long long)b);
		fflush(stdout);
	}
	printf("journal: full\n");
	return 0;
}
