// SPDX-License-Identifier: MIT
/*
 * virtio-blk (type 2): a raw image file or a block device.
 *   -s SLOT,virtio-blk,PATH[,ro][,serial=ID][,direct][,aio=io_uring|threads]
 * One request queue per vCPU (MQ). The device's I/O thread reads requests
 * and hands reads, writes and flushes to asynchronous I/O (io_uring, or a
 * thread pool where io_uring is unavailable); completions come back to the
 * same thread. FLUSH is fdatasync, so a write the guest saw acknowledged
 * after a flush is on disk. A writable image is locked (an OFD write lock)
 * against a second user; a read-only one takes a shared lock, so nobody
 * writes under it either.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../block/aio.h"
#include "../core/device.h"
#include "../core/log.h"
#include "../core/vm.h"
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
	struct iovec iov[]; /* one per segment of the chain */
};

struct virtio_blk {
	struct virtio_pci *vp;
	struct virtio_device_ops ops;
	struct blk_options opt;
	int fd;
	bool is_bdev;
	struct blk_disk_info info;
	uint32_t blk_size;
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

/*
 * Who holds a lock on the image: OFD locks show no owner in /proc/locks,
 * but each open file's fdinfo lists its locks, with the inode.
 */
static void blk_lock_holder(const struct stat *img, char *out, size_t len)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	char want[64];

	snprintf(out, len, "another process");
	if (!proc)
		return;
	snprintf(want, sizeof(want), "%02x:%02x:%llu ", major(img->st_dev),
		 minor(img->st_dev), (unsigned long long)img->st_ino);
	while ((p = readdir(proc))) {
		char path[600], line[256], comm[64] = "?";
		DIR *fds;
		struct dirent *f;
		FILE *c;

		if (p->d_name[0] < '1' || p->d_name[0] > '9' ||
		    atoi(p->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			FILE *fi;
			bool found = false;

			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s",
				 p->d_name, f->d_name);
			fi = fopen(path, "r");
			if (!fi)
				continue;
			while (!found && fgets(line, sizeof(line), fi))
				found = !strncmp(line, "lock:", 5) &&
					strstr(line, want);
			fclose(fi);
			if (!found)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm",
				 p->d_name);
			c = fopen(path, "r");
			if (c) {
				if (fgets(comm, sizeof(comm), c))
					comm[strcspn(comm, "\n")] = 0;
				fclose(c);
			}
			snprintf(out, len, "process %d (%.64s)",
				 atoi(p->d_name), comm);
			closedir(fds);
			closedir(proc);
			return;
		}
		closedir(fds);
	}
	closedir(proc);
}

static int blk_open(struct virtio_blk *b)
{
	struct flock lk = { .l_type = b->opt.ro ? F_RDLCK : F_WRLCK,
			    .l_whence = SEEK_SET };
	int flags = (b->opt.ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    (b->opt.direct ? O_DIRECT : 0);
	struct stat st;
	uint64_t bytes;

	b->fd = open(b->opt.path, flags);
	if (b->fd < 0 || fstat(b->fd, &st) < 0) {
		log_error("virtio-blk %s: %s", b->opt.path, strerror(errno));
		return -1;
	}
	if (fcntl(b->fd, F_OFD_SETLK, &lk) < 0) {
		char holder[128];

		blk_lock_holder(&st, holder, sizeof(holder));
		log_error(
			"virtio-blk %s: locked by %s; is another VM using it?",
			b->opt.path, holder);
		return -1;
	}
	b->is_bdev = S_ISBLK(st.st_mode);
	b->blk_size = 512;
	if (b->is_bdev) {
		int ssz;

		if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0) {
			log_error("virtio-blk %s: cannot read its size: %s",
				  b->opt.path, strerror(errno));
			return -1;
		}
		if (ioctl(b->fd, BLKSSZGET, &ssz) == 0 && ssz >= 512)
			b->blk_size = ssz;
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
	le_write(c + 20, 4, b->blk_size);
	c[24] = 0; /* physical_block_exp */
	le_write(c + 26, 2, 1); /* min_io_size, in blocks */
	le_write(c + 28, 4, 0); /* opt_io_size: none */
	le_write(c + 34, 2, b->ops.num_queues);
	le_write(c + 36, 4, UINT32_MAX >> 9); /* max_discard_sectors */
	le_write(c + 40, 4, 1); /* max_discard_seg */
	le_write(c + 44, 4, 4096 / BLK_SECTOR); /* discard_sector_alignment */
	le_write(c + 48, 4, UINT32_MAX >> 9); /* max_write_zeroes_sectors */
	le_write(c + 52, 4, 1); /* max_write_zeroes_seg */
	c[56] = 1; /* write_zeroes_may_unmap */
}

/* DISCARD and WRITE_ZEROES, done at once: they are rare and quick. */
static uint8_t blk_zero_range(struct virtio_blk *b, const struct blk_request *r)
{
	uint64_t off = r->offset, len = r->len;
	int mode;

	if (b->is_bdev) {
		uint64_t range[2] = { off, len };
		unsigned long op = r->type == VIRTIO_BLK_T_DISCARD ? BLKDISCARD
								   : BLKZEROOUT;

		return ioctl(b->fd, op, range) == 0 ||
				       r->type == VIRTIO_BLK_T_DISCARD
			       ? VIRTIO_BLK_S_OK
			       : VIRTIO_BLK_S_IOERR;
	}
	mode = r->type == VIRTIO_BLK_T_DISCARD ||
			       (r->flags & VIRTIO_BLK_WRITE_ZEROES_UNMAP)
		       ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
		       : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	if (fallocate(b->fd, mode, off, len) == 0)
		return VIRTIO_BLK_S_OK;
	/* A discard is advisory; zeroes must be written some other way. */
	if (r->type == VIRTIO_BLK_T_DISCARD)
		return VIRTIO_BLK_S_OK;
	{
		static const uint8_t zeros[65536];

		while (len) {
			size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
			ssize_t w = pwrite(b->fd, zeros, n, off);

			if (w <= 0)
				return VIRTIO_BLK_S_IOERR;
			off += w;
			len -= w;
		}
	}
	return VIRTIO_BLK_S_OK;
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
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r->status = blk_zero_range(b, r);
		break;
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

/* Reads, writes and flushes go to asynchronous I/O. */
static bool blk_is_async(const struct virtio_blk *b,
			 const struct blk_request *r)
{
	return r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT ||
	       (r->type == VIRTIO_BLK_T_FLUSH && !b->opt.ro);
}

static bool blk_start_io(struct virtio_blk *b, unsigned int q,
			 const struct blk_request *r)
{
	struct blk_inflight *f =
		malloc(sizeof(*f) + r->iovcnt * sizeof(struct iovec));

	if (!f)
		return false;
	f->req = *r;
	f->req.iov = f->iov;
	memcpy(f->iov, r->iov, r->iovcnt * sizeof(struct iovec));
	f->queue = q;
	f->head = b->chain.head;
	f->aio = (struct aio_req){
		.op = r->type == VIRTIO_BLK_T_IN    ? AIO_READ
		      : r->type == VIRTIO_BLK_T_OUT ? AIO_WRITE
						    : AIO_FDATASYNC,
		.fd = b->fd,
		.iov = f->iov,
		.iovcnt = r->iovcnt,
		.offset = r->offset,
	};
	aio_submit(b->aio, &f->aio);
	return true;
}

static void blk_io_done(void *ctx, struct aio_req *a)
{
	struct virtio_blk *b = ctx;
	struct blk_inflight *f = (struct blk_inflight *)a;
	uint64_t want = f->req.type == VIRTIO_BLK_T_FLUSH ? 0 : f->req.len;

	if (a->result < 0 || (uint64_t)a->result != want)
		f->req.status = VIRTIO_BLK_S_IOERR;
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
	(void)ctx;
	free(a);
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
			if (blk_start_io(b, q, &r))
				continue;
			r.status = VIRTIO_BLK_S_IOERR;
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
}

static void *blk_create(struct vm *vm, const struct dev_config *dc)
{
	unsigned int devfn = dc->slot << 3 | dc->func;
	struct virtio_blk *b = calloc(1, sizeof(*b));
	unsigned int queues = vm->cfg.cpus;

	if (!b)
		return NULL;
	b->fd = -1;
	if (blk_parse(dc, &b->opt) < 0 || blk_open(b) < 0)
		goto fail;
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
	if (!b->opt.ro)
		fdatasync(b->fd);
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
	{ 0 },
};

const struct device_class virtio_blk_class = {
	.name = "virtio-blk",
	.help = "a disk: raw image file or block device",
	.bus = DEV_BUS_PCI,
	.positional = "path",
	.opts = blk_opts,
	.check = blk_check,
	.create = blk_create,
	.attach = blk_attach,
	.reset = blk_reset,
	.destroy = blk_destroy,
	.state = virtio_device_state,
};
