// SPDX-License-Identifier: MIT
/*
 * virtio-blk (type 2): a raw image file or a block device.
 *   -s SLOT,virtio-blk,PATH[,ro][,serial=ID][,direct][,aio=io_uring|threads]
 * One request queue per vCPU (MQ). The device's I/O thread reads requests
 * and hands reads, writes and flushes to asynchronous I/O (io_uring, or a
 * thread pool where io_uring is unavailable); completions come back to the
 * same thread. FLUSH is fdatasync, so a write the guest saw acknowledged
 * after a flush is on disk, and a failed write makes every later FLUSH
 * fail until the device is reset (see block/image.h). With direct, the
 * block size offered is what O_DIRECT needs on this host (probed), and
 * unaligned guest buffers go through an aligned copy. WRITE_ZEROES is
 * fallocate where the host can, else asynchronous writes in chunks. A
 * writable image is locked (an OFD write lock) against a second user; a
 * read-only one takes a shared lock, so nobody writes under it either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../base/log.h"
#include "../block/aio.h"
#include "../block/image.h"
#include "../core/device.h"
#include "../core/vm_device.h"
#include "blk_request.h"
#include "virtio_pci.h"

#define VIRTIO_ID_BLOCK 2
#define BLK_QUEUE_SIZE 256
#define BLK_MAX_QUEUES 16
#define BLK_CONFIG_SIZE 60
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
/*
 * The largest request copied through an aligned buffer for O_DIRECT, and
 * the most such copies take at once: a guest cannot make the VMM grow.
 */
#define BLK_BOUNCE_MAX (32u << 20)
#define BLK_BOUNCE_BUDGET (64u << 20)
/* Linux 6.17: zeroes written by the device, never by the kernel's CPU. */
#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES 0x80
#endif

struct blk_options {
	char path[4096];
	bool ro;
	bool direct;
	enum aio_engine_kind aio;
	char serial[BLK_ID_BYTES + 1];
};

/* A request handed to asynchronous I/O, until it completes. */
struct blk_inflight {
	struct aio_req aio; /* first: completions give this pointer back */
	struct blk_request req;
	unsigned int queue;
	uint16_t head;
	/* O_DIRECT, guest buffers not aligned for it: an aligned copy. */
	uint8_t *bounce;
	struct iovec bounce_iov;
	struct iovec iov[]; /* one per segment of the chain */
};

struct virtio_blk {
	struct virtio_pci *vp;
	struct virtio_device_ops ops;
	struct blk_options opt;
	int fd;
	bool is_bdev;
	struct blk_disk_info info;
	struct blk_align align; /* align.offset is the guest's blk_size */
	struct blk_errors errors;
	size_t bounce_bytes; /* in bounce buffers now */
	uint8_t config[BLK_CONFIG_SIZE];
	struct aio *aio;
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_SEGS]; /* for requests served at once */
	/* Per completion batch: the used index of each queue before it. */
	uint16_t old_used[BLK_MAX_QUEUES];
	uint32_t queues_completed; /* bit q: queue q got used entries */
};

static int blk_parse(const struct dev_config *dc, struct blk_options *o)
{
	const char *path = dev_opt(dc, "path");
	const char *serial = dev_opt(dc, "serial");
	const char *aio = dev_opt(dc, "aio");

	memset(o, 0, sizeof(*o));
	o->ro = dev_opt_bool(dc, "ro");
	o->direct = dev_opt_bool(dc, "direct");
	if (aio && !strcmp(aio, "io_uring")) {
		o->aio = AIO_IO_URING;
	} else if (aio && !strcmp(aio, "threads")) {
		o->aio = AIO_THREADS;
	} else if (aio) {
		log_error(
			"%s: virtio-blk: aio=%s: the engines are aio=io_uring and aio=threads",
			dc->origin, aio);
		return -1;
	}
	if (serial && strlen(serial) > BLK_ID_BYTES) {
		log_error("%s: virtio-blk: serial=%s: at most %d characters",
			  dc->origin, serial, BLK_ID_BYTES);
		return -1;
	}
	if (serial)
		strcpy(o->serial, serial);
	if (!path) {
		log_error(
			"%s: virtio-blk: no image: -s SLOT,virtio-blk,PATH[,ro]",
			dc->origin);
		return -1;
	}
	if (strlen(path) >= sizeof(o->path)) {
		log_error("%s: virtio-blk: path too long", dc->origin);
		return -1;
	}
	strcpy(o->path, path);
	return 0;
}

static int blk_check(const struct dev_config *dc)
{
	struct blk_options o;
	struct stat st;

	if (blk_parse(dc, &o) < 0)
		return -1;
	if (stat(o.path, &st) < 0) {
		log_error("virtio-blk %s: %s", o.path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		log_error("virtio-blk %s: not a file or block device", o.path);
		return -1;
	}
	if (access(o.path, o.ro ? R_OK : R_OK | W_OK) < 0) {
		log_error("virtio-blk %s: %s%s", o.path, strerror(errno),
			  o.ro ? "" : " (add ,ro for read-only use)");
		return -1;
	}
	return 0;
}

static int blk_open(struct virtio_blk *b)
{
	int flags = (b->opt.ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    (b->opt.direct ? O_DIRECT : 0);
	struct stat st;
	uint64_t bytes;

	b->fd = open(b->opt.path, flags);
	if (b->fd < 0 || fstat(b->fd, &st) < 0) {
		log_error("virtio-blk %s: %s", b->opt.path, strerror(errno));
		return -1;
	}
	if (image_lock(b->fd, !b->opt.ro, "virtio-blk", b->opt.path) < 0)
		return -1;
	b->is_bdev = S_ISBLK(st.st_mode);
	/* The guest's block size: what O_DIRECT needs here, or 512. */
	blk_probe_align(b->fd, b->opt.direct, &b->align);
	if (b->align.offset > 4096)
		log_warn(
			"virtio-blk %s: direct I/O wants %u-byte blocks; guests use at most 4096, so smaller requests fail",
			b->opt.path, b->align.offset);
	if (b->is_bdev) {
		if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0) {
			log_error("virtio-blk %s: cannot read its size: %s",
				  b->opt.path, strerror(errno));
			return -1;
		}
	} else {
		bytes = st.st_size;
	}
	b->info.capacity = bytes / BLK_SECTOR;
	b->info.ro = b->opt.ro;
	return 0;
}

static void blk_fill_config(struct virtio_blk *b)
{
	uint8_t *c = b->config;

	memset(c, 0, sizeof(b->config));
	le_write(c + 0, 8, b->info.capacity);
	le_write(c + 12, 4, BLK_QUEUE_SIZE - 2); /* seg_max */
	le_write(c + 20, 4, b->align.offset); /* blk_size */
	c[24] = 0; /* physical_block_exp */
	le_write(c + 26, 2, 1); /* min_io_size, in blocks */
	le_write(c + 28, 4, 0); /* opt_io_size: none */
	le_write(c + 34, 2, b->ops.num_queues);
	le_write(c + 36, 4, UINT32_MAX >> 9); /* max_discard_sectors */
	le_write(c + 40, 4, 1); /* max_discard_seg */
	le_write(c + 44, 4,
		 (b->align.offset > 4096 ? b->align.offset : 4096) /
			 BLK_SECTOR); /* discard_sector_alignment */
	le_write(c + 48, 4, UINT32_MAX >> 9); /* max_write_zeroes_sectors */
	le_write(c + 52, 4, 1); /* max_write_zeroes_seg */
	c[56] = 1; /* write_zeroes_may_unmap */
}

/* DISCARD, done at once: it is advisory, and quick where supported. */
static void blk_discard(struct virtio_blk *b, const struct blk_request *r)
{
	if (b->is_bdev) {
		uint64_t range[2] = { r->offset, r->len };

		if (ioctl(b->fd, BLKDISCARD, range) < 0)
			log_debug("virtio-blk %s: discard: %s", b->opt.path,
				  strerror(errno));
		return;
	}
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      r->offset, r->len) < 0)
		log_debug("virtio-blk %s: discard: %s", b->opt.path,
			  strerror(errno));
}

/*
 * WRITE_ZEROES where the host zeroes without writing: fallocate on a file
 * (a hole where the guest allows unmapping); on a block device, a hole or
 * the device's own write-zeroes, never the kernel's fallback (BLKZEROOUT
 * and ZERO_RANGE write the zeros synchronously, up to 4 GiB of them).
 * False when the range must be written: then it goes to asynchronous I/O
 * in chunks (AIO_WRITE_ZEROES).
 */
static bool blk_zero_fast(struct virtio_blk *b, const struct blk_request *r)
{
	bool unmap = r->flags & VIRTIO_BLK_WRITE_ZEROES_UNMAP;
	int mode = unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
			 : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

	if (r->len == 0)
		return true;
	if (b->is_bdev && !unmap)
		mode = FALLOC_FL_WRITE_ZEROES;
	return fallocate(b->fd, mode, r->offset, r->len) == 0;
}

/* Answers a request that needs no asynchronous I/O, at once. */
static void blk_serve_now(struct virtio_blk *b, struct blk_request *r)
{
	if (r->status != VIRTIO_BLK_S_OK)
		return;
	switch (r->type) {
	case VIRTIO_BLK_T_GET_ID: {
		uint8_t id[BLK_ID_BYTES] = { 0 };
		size_t off = 0;

		memcpy(id, b->opt.serial, strlen(b->opt.serial));
		for (int i = 0; i < r->iovcnt; off += r->iov[i++].iov_len)
			memcpy(r->iov[i].iov_base, id + off, r->iov[i].iov_len);
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
		blk_discard(b, r);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		break; /* blk_is_async zeroed it without writing */
	case VIRTIO_BLK_T_FLUSH:
		break; /* read-only: nothing to flush */
	default:
		r->status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
}

static void blk_complete(struct virtio_blk *b, unsigned int q,
			 struct blk_request *r, uint16_t head)
{
	*r->status_byte = r->status;
	vq_push(virtio_pci_queue(b->vp, q), head, blk_request_written(r));
}

/*
 * Reads, writes, flushes and the WRITE_ZEROES that fallocate cannot do
 * go to asynchronous I/O.
 */
static bool blk_is_async(struct virtio_blk *b, const struct blk_request *r)
{
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return true;
	case VIRTIO_BLK_T_FLUSH:
		return !b->opt.ro;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return !blk_zero_fast(b, r);
	default:
		return false;
	}
}

/* An aligned copy of the guest's buffers, for O_DIRECT. */
static bool blk_bounce(struct virtio_blk *b, struct blk_inflight *f)
{
	size_t align = b->align.mem > 4096 ? b->align.mem : 4096;
	void *p;

	if (f->req.len > BLK_BOUNCE_MAX ||
	    b->bounce_bytes + f->req.len > BLK_BOUNCE_BUDGET ||
	    posix_memalign(&p, align, f->req.len) != 0)
		return false;
	b->bounce_bytes += f->req.len;
	f->bounce = p;
	if (f->req.type == VIRTIO_BLK_T_OUT)
		blk_request_copy_out(&f->req, f->bounce);
	f->bounce_iov = (struct iovec){ f->bounce, f->req.len };
	f->aio.iov = &f->bounce_iov;
	f->aio.iovcnt = 1;
	return true;
}

/* Submits r; anything but VIRTIO_BLK_S_OK is the answer to give now. */
static uint8_t blk_start_io(struct virtio_blk *b, unsigned int q,
			    const struct blk_request *r)
{
	enum blk_dio dio = BLK_DIO_OK;
	struct blk_inflight *f;

	/* Guests keep to blk_size; one that does not gets an error, not
	 * the kernel's EINVAL, and the data is not touched. */
	if (r->type != VIRTIO_BLK_T_FLUSH)
		dio = blk_request_dio_check(r, b->align.offset,
					    b->opt.direct ? b->align.mem : 1);
	if (dio == BLK_DIO_REFUSE)
		return VIRTIO_BLK_S_IOERR;
	f = malloc(sizeof(*f) + r->iovcnt * sizeof(struct iovec));
	if (!f)
		return VIRTIO_BLK_S_IOERR;
	f->req = *r;
	f->req.iov = f->iov;
	memcpy(f->iov, r->iov, r->iovcnt * sizeof(struct iovec));
	f->queue = q;
	f->head = b->chain.head;
	f->bounce = NULL;
	f->aio = (struct aio_req){
		.op = r->type == VIRTIO_BLK_T_IN	     ? AIO_READ
		      : r->type == VIRTIO_BLK_T_OUT	     ? AIO_WRITE
		      : r->type == VIRTIO_BLK_T_WRITE_ZEROES ? AIO_WRITE_ZEROES
							     : AIO_FDATASYNC,
		.fd = b->fd,
		.iov = f->iov,
		.iovcnt = r->iovcnt,
		.offset = r->offset,
		.len = r->len,
	};
	if (f->aio.op == AIO_WRITE_ZEROES) {
		f->aio.iov = NULL;
		f->aio.iovcnt = 0;
	}
	if (dio == BLK_DIO_BOUNCE && !blk_bounce(b, f)) {
		free(f);
		return VIRTIO_BLK_S_IOERR;
	}
	aio_submit(b->aio, &f->aio);
	return VIRTIO_BLK_S_OK;
}

static const char *blk_op_name(uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
		return "read";
	case VIRTIO_BLK_T_OUT:
		return "write";
	case VIRTIO_BLK_T_FLUSH:
		return "flush";
	default:
		return "write-zeroes";
	}
}

static void blk_io_done(void *ctx, struct aio_req *a)
{
	struct virtio_blk *b = ctx;
	struct blk_inflight *f = (struct blk_inflight *)a;
	uint64_t want = f->req.type == VIRTIO_BLK_T_FLUSH ? 0 : f->req.len;

	/* Logged; and after a failed write, every flush fails: its data
	 * may be gone although this fdatasync succeeded. */
	if (!blk_errors_complete(&b->errors, blk_op_name(f->req.type),
				 f->req.offset, a->result, want)) {
		f->req.status = VIRTIO_BLK_S_IOERR;
	} else if (f->bounce && f->req.type == VIRTIO_BLK_T_IN) {
		blk_request_copy_in(&f->req, f->bounce);
	}
	if (f->bounce)
		b->bounce_bytes -= f->req.len;
	free(f->bounce);
	if (!(b->queues_completed & (1u << f->queue))) {
		b->queues_completed |= 1u << f->queue;
		b->old_used[f->queue] =
			vq_used_idx(virtio_pci_queue(b->vp, f->queue));
	}
	blk_complete(b, f->queue, &f->req, f->head);
	free(f);
}

/* At teardown, with the VM gone: nobody to answer. */
static void blk_io_discard(void *ctx, struct aio_req *a)
{
	struct blk_inflight *f = (struct blk_inflight *)a;

	(void)ctx;
	free(f->bounce);
	free(f);
}

/* The I/O thread's side of completions: used entries, then interrupts. */
static void blk_completions(void *dev, struct virtio_pci *vp, int fd)
{
	struct virtio_blk *b = dev;

	(void)fd;
	b->queues_completed = 0;
	aio_reap(b->aio, blk_io_done, b);
	for (unsigned int q = 0; q < b->ops.num_queues; q++) {
		if (b->queues_completed & (1u << q))
			virtio_pci_queue_interrupt(vp, q, b->old_used[q]);
	}
}

static void blk_queue_notify(void *dev, struct virtio_pci *vp, unsigned int q)
{
	struct virtio_blk *b = dev;
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old_used = vq_used_idx(vq);
	struct blk_request r;
	const char *why;
	int ret;

	while ((ret = vq_pop(vq, &b->chain)) > 0) {
		if (blk_request_parse(&b->chain, &b->info, b->iov, &r, &why) <
		    0) {
			virtio_pci_fail(vp, why);
			break;
		}
		if (r.status == VIRTIO_BLK_S_OK && blk_is_async(b, &r)) {
			r.status = blk_start_io(b, q, &r);
			if (r.status == VIRTIO_BLK_S_OK)
				continue;
		}
		blk_serve_now(b, &r);
		blk_complete(b, q, &r, b->chain.head);
	}
	if (ret < 0)
		virtio_pci_fail(vp, vq_error_str(ret));
	aio_commit(b->aio);
	virtio_pci_queue_interrupt(vp, q, old_used);
}

/*
 * A device reset waits for the requests in flight: their buffers are the
 * guest's again once the reset is done. Runs with the transport's lock.
 */
static void blk_device_reset(void *dev)
{
	struct virtio_blk *b = dev;

	if (b->aio)
		aio_drain(b->aio, blk_io_done, b);
	/* The guest starts over: its flushes cover what it writes now. */
	blk_errors_reset(&b->errors);
}

static void *blk_create(struct vm *vm, const struct dev_config *dc)
{
	unsigned int devfn = dc->slot << 3 | dc->func;
	struct virtio_blk *b = calloc(1, sizeof(*b));
	unsigned int queues = vm_cpu_count(vm);

	if (!b)
		return NULL;
	b->fd = -1;
	if (blk_parse(dc, &b->opt) < 0 || blk_open(b) < 0)
		goto fail;
	blk_errors_init(&b->errors, b->opt.path);
	if (queues > BLK_MAX_QUEUES)
		queues = BLK_MAX_QUEUES;
	b->ops = (struct virtio_device_ops){
		.device_id = VIRTIO_ID_BLOCK,
		.pci_class = 0x01800000, /* mass storage, other */
		.num_queues = queues,
		.queue_size = BLK_QUEUE_SIZE,
		.features =
			(1ull << VIRTIO_BLK_F_SEG_MAX) |
			(1ull << VIRTIO_BLK_F_BLK_SIZE) |
			(1ull << VIRTIO_BLK_F_FLUSH) |
			(1ull << VIRTIO_BLK_F_TOPOLOGY) |
			(1ull << VIRTIO_BLK_F_MQ) |
			(b->opt.ro
				 ? 1ull << VIRTIO_BLK_F_RO
				 : (1ull << VIRTIO_BLK_F_DISCARD) |
					   (1ull << VIRTIO_BLK_F_WRITE_ZEROES)),
		.config_size = BLK_CONFIG_SIZE,
		.config = b->config,
		.queue_notify = blk_queue_notify,
		.reset = blk_device_reset,
	};
	blk_fill_config(b);
	b->aio = aio_create(b->opt.aio, queues * BLK_QUEUE_SIZE);
	if (!b->aio)
		goto fail;
	b->vp = virtio_pci_create(vm, "virtio-blk", devfn, &b->ops, b);
	if (!b->vp)
		goto fail;
	if (virtio_pci_watch_fd(b->vp, aio_fd(b->aio), blk_completions) < 0) {
		log_error("virtio-blk: cannot watch I/O completions");
		goto fail;
	}
	return b;
fail:
	virtio_pci_destroy(b->vp);
	aio_destroy(b->aio);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
	return NULL;
}

static int blk_attach(void *state)
{
	return virtio_pci_attach(((struct virtio_blk *)state)->vp);
}

static void blk_reset(void *state)
{
	virtio_pci_reset(((struct virtio_blk *)state)->vp);
}

static void blk_destroy(void *state)
{
	struct virtio_blk *b = state;

	/* The I/O thread stops first; then what is in flight completes. */
	virtio_pci_destroy(b->vp);
	aio_drain(b->aio, blk_io_discard, b);
	aio_destroy(b->aio);
	/* Acknowledged writes reach the disk before the lock is let go. */
	if (!b->opt.ro && fdatasync(b->fd) < 0)
		log_error("virtio-blk %s: fdatasync: %s", b->opt.path,
			  strerror(errno));
	close(b->fd);
	free(b);
}

static const struct dev_opt_spec blk_opts[] = {
	{ "path", DEV_OPT_STRING, false, "the raw image file or block device" },
	{ "ro", DEV_OPT_BOOL, false, "read-only" },
	{ "serial", DEV_OPT_STRING, false,
	  "the disk's serial, up to 20 bytes" },
	{ "direct", DEV_OPT_BOOL, false,
	  "O_DIRECT: bypass the host page cache" },
	{ "aio", DEV_OPT_STRING, false, "io_uring (default) or threads" },
	{ "bootindex", DEV_OPT_UINT, false,
	  "firmware boot order, lowest first (docs/firmware.md)" },
	{ 0 },
};

const struct device_class virtio_blk_class = {
	.name = "virtio-blk",
	.help = "a disk: raw image file or block device",
	.bus = DEV_BUS_PCI,
	.positional = "path",
	.opts = blk_opts,
	.boot_node = "scsi",
	.boot_child = "/disk@0,0",
	.check = blk_check,
	.create = blk_create,
	.attach = blk_attach,
	.reset = blk_reset,
	.destroy = blk_destroy,
	.state = virtio_device_state,
};
DEVICE_REGISTER(virtio_blk_class);
