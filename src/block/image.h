/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_BLOCK_IMAGE_H
#define SCORPI_BLOCK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * What a disk device needs to know about its image beyond reading and
 * writing it (aio.h): the alignment O_DIRECT wants, and the errors seen.
 */

/* Direct I/O alignment: file offsets and lengths, and buffer addresses. */
struct blk_align {
	uint32_t offset; /* the block size the guest is offered, >= 512 */
	uint32_t mem; /* buffers (addresses and segment lengths) */
};

/*
 * Probes an open image: a block device's logical sector size (BLKSSZGET);
 * with direct (the fd was opened O_DIRECT), statx's STATX_DIOALIGN where
 * the kernel and file system report it, else 4096 for both. Without
 * direct, a file takes any buffer and 512-byte sectors.
 */
void blk_probe_align(int fd, bool direct, struct blk_align *a);
/*
 * Locks an open image for this process's use, as every VMM opening it
 * through here does: shared for reading (write false), exclusive for
 * writing, with an open file description lock (the VMM's own, released
 * when it ends, however it ends). On failure logs one line naming the
 * holder, "WHAT PATH: locked by process N (comm)", and returns -1.
 */
int image_lock(int fd, bool write, const char *what, const char *path);
/* Whether p and len fit the alignment (a power of two). */
static inline bool blk_aligned(uint64_t v, uint32_t align)
{
	return (v & (align - 1)) == 0;
}

/*
 * Errors of one image. A failed write (or zeroing, or flush) is sticky:
 * the data it carried may be lost even though a later fdatasync succeeds
 * (the kernel drops the failed pages), so every FLUSH fails from then on
 * until the device is reset. Each kind of error (EIO, ENOSPC, others) is
 * logged with its errno and the image's path the first time, then at most
 * once a second with a count of those in between.
 */
enum blk_err_kind { BLK_ERR_EIO, BLK_ERR_ENOSPC, BLK_ERR_OTHER, BLK_ERR_KINDS };

struct blk_errors {
	const char *path;
	bool sticky; /* FLUSH fails until blk_errors_reset */
	struct {
		uint64_t count; /* all of this kind */
		uint64_t unlogged; /* since the last line */
		uint64_t last_ns; /* when that line was written */
		bool logged;
	} kind[BLK_ERR_KINDS];
};

#define BLK_ERR_LOG_INTERVAL_NS 1000000000ull

void blk_errors_init(struct blk_errors *e, const char *path);
/*
 * Notes a failed request: what ("read", "write", "flush", "write-zeroes"),
 * its byte offset, err (a positive errno), whether it wrote (then FLUSH
 * fails from now on), and the time (CLOCK_MONOTONIC, in ns). Returns true
 * when it logged a line.
 */
bool blk_errors_note(struct blk_errors *e, const char *what, uint64_t offset,
		     int err, bool wrote, uint64_t now_ns);
/* The same, at the current time. */
bool blk_errors_note_now(struct blk_errors *e, const char *what,
			 uint64_t offset, int err, bool wrote);
/*
 * A request ended with result (bytes, or -errno) where want bytes were
 * due (0 for a flush): notes a failure as above, and answers whether the
 * guest may be told it succeeded, which a flush may not after a failed
 * write although its own fdatasync succeeded. kind: "read", "write",
 * "write-zeroes" or "flush"; all but reads write.
 */
bool blk_errors_complete(struct blk_errors *e, const char *kind,
			 uint64_t offset, int64_t result, uint64_t want);
/* A device reset: what was not logged yet is, and FLUSH works again. */
void blk_errors_reset(struct blk_errors *e);

#endif
