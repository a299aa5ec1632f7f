/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_AIO_H
#define SCORPI_AIO_H

#include <stdint.h>
#include <sys/uio.h>

/*
 * Asynchronous file I/O for disk devices: requests are submitted from one
 * thread (a device's I/O thread) and complete in any order; a file
 * descriptor becomes readable when completions wait to be reaped. The
 * engine is io_uring where the kernel allows it, else a pool of threads
 * doing preadv/pwritev.
 */
enum aio_op { AIO_READ, AIO_WRITE, AIO_FDATASYNC, AIO_WRITE_ZEROES };

/*
 * AIO_WRITE_ZEROES writes len zero bytes at offset, as a series of
 * asynchronous writes of at most AIO_ZERO_CHUNK bytes, one at a time, from
 * a zeroed buffer aligned for O_DIRECT: where fallocate cannot zero a
 * range, nothing ever writes gigabytes in one go on the I/O thread.
 */
#define AIO_ZERO_CHUNK (1u << 20)

struct aio_req {
	enum aio_op op;
	int fd;
	struct iovec *iov; /* owned by the caller until completion */
	int iovcnt;
	uint64_t offset;
	uint64_t len; /* AIO_WRITE_ZEROES: bytes to zero; no iov */
	/* Set before completion: bytes transferred, or -errno. A read or
	 * write completes whole or fails: short transfers are finished. */
	int64_t result;
	struct aio_req *next; /* the engine's, while in flight */
	struct aio_req *parent; /* aio.c's: a zero chunk's request */
};

/* What an engine saw, for tests and debugging. */
struct aio_stats {
	unsigned int cq_entries; /* io_uring: its completion queue */
	uint64_t cq_overflows; /* io_uring: times it overflowed (never) */
	uint64_t busy; /* submissions refused for now (-EBUSY, -EAGAIN) */
	uint64_t waits; /* times the submitter waited for a completion */
	uint64_t zero_chunks; /* AIO_WRITE_ZEROES writes submitted */
};

enum aio_engine_kind { AIO_AUTO, AIO_IO_URING, AIO_THREADS };

struct aio;
typedef void (*aio_done_fn)(void *ctx, struct aio_req *r);

/* depth: how many requests may be in flight at once. NULL on failure. */
struct aio *aio_create(enum aio_engine_kind kind, unsigned int depth);
void aio_destroy(struct aio *a);
const char *aio_engine_name(const struct aio *a);
/* Readable while completed requests wait for aio_reap. */
int aio_fd(const struct aio *a);
/* Queues a request; aio_commit starts what was queued. */
void aio_submit(struct aio *a, struct aio_req *r);
void aio_commit(struct aio *a);
/*
 * Calls done for each completed request; does not wait. An
 * AIO_WRITE_ZEROES's next chunk is submitted and committed from here.
 */
void aio_reap(struct aio *a, aio_done_fn done, void *ctx);
void aio_get_stats(const struct aio *a, struct aio_stats *s);
/* Waits for every request in flight, calling done for each. */
void aio_drain(struct aio *a, aio_done_fn done, void *ctx);

#endif
