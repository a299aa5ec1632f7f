// SPDX-License-Identifier: MIT
/*
 * virtio-blk (type 2): a raw image file or a block device.
 *   -s SLOT,virtio-blk,PATH[,ro][,serial=ID][,direct]
 * One request queue per vCPU (MQ), all served by the device's I/O thread
 * with preadv/pwritev. FLUSH is fdatasync, so a write the guest saw
 * acknowledged after a flush is on disk. A writable image is locked (an
 * OFD write lock) against a second user; a read-only one takes a shared
 * lock, so nobody writes under it either.
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

#include "../core/device.h"
#include "../core/log.h"
#include "../core/vm.h"
#include "virtio_pci.h"

#define VIRTIO_ID_BLOCK 2
#define BLK_QUEUE_SIZE 256
#define BLK_MAX_QUEUES 16
#define BLK_CONFIG_SIZE 60
#define BLK_ID_BYTES 20
#define SECTOR 512ull

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define WRITE_ZEROES_UNMAP 1

struct blk_options {
	char path[4096];
	bool ro;
	bool direct;
	char serial[BLK_ID_BYTES + 1];
};

struct virtio_blk {
	struct virtio_pci *vp;
	struct virtio_device_ops ops;
	struct blk_options opt;
	int fd;
	bool is_bdev;
	uint64_t capacity; /* in 512-byte sectors */
	uint32_t blk_size;
	uint8_t config[BLK_CONFIG_SIZE];
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_SEGS];
};

static int blk_parse(const char *args, struct blk_options *o)
{
	char buf[4352];
	char *tok, *save = NULL;
	bool first = true;

	memset(o, 0, sizeof(*o));
	if (strlen(args) >= sizeof(buf)) {
		log_error("virtio-blk: options too long");
		return -1;
	}
	strcpy(buf, args);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), first = false) {
		if (!strcmp(tok, "ro")) {
			o->ro = true;
		} else if (!strcmp(tok, "direct")) {
			o->direct = true;
		} else if (!strncmp(tok, "serial=", 7)) {
			if (strlen(tok + 7) > BLK_ID_BYTES) {
				log_error(
					"virtio-blk: serial=%s: at most %d characters",
					tok + 7, BLK_ID_BYTES);
				return -1;
			}
			strcpy(o->serial, tok + 7);
		} else if (!strncmp(tok, "path=", 5) ||
			   (first && !strchr(tok, '='))) {
			const char *p = strchr(tok, '=') ? tok + 5 : tok;

			if (strlen(p) >= sizeof(o->path)) {
				log_error("virtio-blk: path too long");
				return -1;
			}
			strcpy(o->path, p);
		} else {
			log_error(
				"virtio-blk: unknown option '%s' (PATH[,ro][,serial=ID][,direct])",
				tok);
			return -1;
		}
	}
	if (!o->path[0]) {
		log_error("virtio-blk: no image: -s SLOT,virtio-blk,PATH[,ro]");
		return -1;
	}
	return 0;
}

static int blk_check(const char *args)
{
	struct blk_options o;
	struct stat st;

	if (blk_parse(args, &o) < 0)
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
	b->capacity = bytes / SECTOR;
	return 0;
}

static void blk_fill_config(struct virtio_blk *b)
{
	uint8_t *c = b->config;

	memset(c, 0, sizeof(b->config));
	le_write(c + 0, 8, b->capacity);
	le_write(c + 12, 4, BLK_QUEUE_SIZE - 2); /* seg_max */
	le_write(c + 20, 4, b->blk_size);
	c[24] = 0; /* physical_block_exp */
	le_write(c + 26, 2, 1); /* min_io_size, in blocks */
	le_write(c + 28, 4, 0); /* opt_io_size: none */
	le_write(c + 34, 2, b->ops.num_queues);
	le_write(c + 36, 4, UINT32_MAX >> 9); /* max_discard_sectors */
	le_write(c + 40, 4, 1); /* max_discard_seg */
	le_write(c + 44, 4, 4096 / SECTOR); /* discard_sector_alignment */
	le_write(c + 48, 4, UINT32_MAX >> 9); /* max_write_zeroes_sectors */
	le_write(c + 52, 4, 1); /* max_write_zeroes_seg */
	c[56] = 1; /* write_zeroes_may_unmap */
}

static void blk_config_read(void *dev, unsigned int off, uint8_t *data,
			    unsigned int size)
{
	struct virtio_blk *b = dev;

	for (unsigned int i = 0; i < size; i++)
		data[i] = off + i < sizeof(b->config) ? b->config[off + i] : 0;
}

/* Copies up to len bytes from offset `skip` of the chain's readable part. */
static size_t chain_read(const struct vq_chain *c, uint64_t skip, void *dst,
			 size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->count && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t n;

		if (s->device_writable)
			break;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = s->len - skip;
		if (n > len - done)
			n = len - done;
		memcpy((uint8_t *)dst + done, (uint8_t *)s->host + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

/* An iovec over [skip, skip + len) of the readable or writable part. */
static int chain_iov(struct virtio_blk *b, bool writable, uint64_t skip,
		     uint64_t len)
{
	const struct vq_chain *c = &b->chain;
	int n = 0;

	for (unsigned int i = 0; i < c->count && len; i++) {
		const struct vq_seg *s = &c->seg[i];
		uint64_t take;

		if (s->device_writable != writable)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		take = s->len - skip;
		if (take > len)
			take = len;
		b->iov[n++] = (struct iovec){ (uint8_t *)s->host + skip, take };
		len -= take;
		skip = 0;
	}
	return n;
}

static bool blk_io(struct virtio_blk *b, int n, uint64_t off, bool write)
{
	struct iovec *iov = b->iov;

	while (n > 0) {
		ssize_t r = write ? pwritev(b->fd, iov, n, off)
				  : preadv(b->fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (r == 0) {
			/* Past the end of a file: the rest reads as zeros. */
			if (write)
				return false;
			for (int i = 0; i < n; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return true;
		}
		off += r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return true;
}

static bool blk_range_ok(struct virtio_blk *b, uint64_t sector,
			 uint64_t sectors)
{
	return sector <= b->capacity && sectors <= b->capacity - sector;
}

/* DISCARD and WRITE_ZEROES: one segment {le64 sector, le32 count, flags}. */
static uint8_t blk_zero_range(struct virtio_blk *b, uint32_t type)
{
	uint8_t seg[16];
	uint64_t sector, off, len;
	uint32_t count, flags;
	int mode;

	if (b->opt.ro)
		return VIRTIO_BLK_S_IOERR;
	if (chain_read(&b->chain, 16, seg, 16) != 16)
		return VIRTIO_BLK_S_IOERR;
	sector = le_read(seg, 8);
	count = le_read(seg + 8, 4);
	flags = le_read(seg + 12, 4);
	if (!blk_range_ok(b, sector, count))
		return VIRTIO_BLK_S_IOERR;
	off = sector * SECTOR;
	len = (uint64_t)count * SECTOR;
	if (b->is_bdev) {
		uint64_t range[2] = { off, len };
		unsigned long op = type == VIRTIO_BLK_T_DISCARD ? BLKDISCARD
								: BLKZEROOUT;

		return ioctl(b->fd, op, range) == 0 ||
				       type == VIRTIO_BLK_T_DISCARD
			       ? VIRTIO_BLK_S_OK
			       : VIRTIO_BLK_S_IOERR;
	}
	mode = type == VIRTIO_BLK_T_DISCARD || (flags & WRITE_ZEROES_UNMAP)
		       ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
		       : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	if (fallocate(b->fd, mode, off, len) == 0)
		return VIRTIO_BLK_S_OK;
	/* A discard is advisory; zeroes must be written some other way. */
	if (type == VIRTIO_BLK_T_DISCARD)
		return VIRTIO_BLK_S_OK;
	{
		static const uint8_t zeros[65536];

		while (len) {
			size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
			ssize_t r = pwrite(b->fd, zeros, n, off);

			if (r <= 0)
				return VIRTIO_BLK_S_IOERR;
			off += r;
			len -= r;
		}
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * Serves the chain in b->chain; returns the bytes written into it, or -1
 * when the request is malformed (the device must be reset).
 */
static int64_t blk_request(struct virtio_blk *b, const char **why)
{
	struct vq_chain *c = &b->chain;
	uint8_t hdr[16], status = VIRTIO_BLK_S_OK;
	struct vq_seg *last;
	uint64_t sector, data_len = 0;
	uint32_t type;
	int n;

	last = c->count ? &c->seg[c->count - 1] : NULL;
	if (c->readable < 16 || !last || !last->device_writable || !last->len) {
		*why = "a virtio-blk request without its header or status byte";
		return -1;
	}
	chain_read(c, 0, hdr, 16);
	type = le_read(hdr, 4);
	sector = le_read(hdr + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		data_len = c->writable - 1;
		if (data_len % SECTOR ||
		    !blk_range_ok(b, sector, data_len / SECTOR)) {
			status = VIRTIO_BLK_S_IOERR;
			data_len = 0;
			break;
		}
		n = chain_iov(b, true, 0, data_len);
		if (!blk_io(b, n, sector * SECTOR, false)) {
			status = VIRTIO_BLK_S_IOERR;
			data_len = 0;
		}
		break;
	case VIRTIO_BLK_T_OUT: {
		uint64_t len = c->readable - 16;

		if (b->opt.ro || len % SECTOR ||
		    !blk_range_ok(b, sector, len / SECTOR)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = chain_iov(b, false, 16, len);
		if (!blk_io(b, n, sector * SECTOR, true))
			status = VIRTIO_BLK_S_IOERR;
		break;
	}
	case VIRTIO_BLK_T_FLUSH:
		if (!b->opt.ro && fdatasync(b->fd) < 0)
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint8_t id[BLK_ID_BYTES] = { 0 };
		uint64_t len = c->writable - 1;

		memcpy(id, b->opt.serial, strlen(b->opt.serial));
		if (len > BLK_ID_BYTES)
			len = BLK_ID_BYTES;
		n = chain_iov(b, true, 0, len);
		for (int i = 0, off = 0; i < n; off += b->iov[i].iov_len, i++)
			memcpy(b->iov[i].iov_base, id + off, b->iov[i].iov_len);
		data_len = len;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_zero_range(b, type);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	((uint8_t *)last->host)[last->len - 1] = status;
	return data_len + 1;
}

static void blk_queue_notify(void *dev, struct virtio_pci *vp, unsigned int q)
{
	struct virtio_blk *b = dev;
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old_used = vq_used_idx(vq);
	const char *why;
	int ret;

	while ((ret = vq_pop(vq, &b->chain)) > 0) {
		int64_t written = blk_request(b, &why);

		if (written < 0) {
			virtio_pci_fail(vp, why);
			return;
		}
		vq_push(vq, b->chain.head, written);
	}
	if (ret < 0) {
		virtio_pci_fail(vp, vq_error_str(ret));
		return;
	}
	virtio_pci_queue_interrupt(vp, q, old_used);
}

static void *blk_create(struct vm *vm, unsigned int devfn, const char *args)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	unsigned int queues = vm->cfg.cpus;

	if (!b)
		return NULL;
	b->fd = -1;
	if (blk_parse(args, &b->opt) < 0 || blk_open(b) < 0)
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
		.config_read = blk_config_read,
		.queue_notify = blk_queue_notify,
	};
	blk_fill_config(b);
	b->vp = virtio_pci_create(vm, "virtio-blk", devfn, &b->ops, b);
	if (!b->vp)
		goto fail;
	return b;
fail:
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

	virtio_pci_destroy(b->vp);
	/* Acknowledged writes reach the disk before the lock is let go. */
	if (!b->opt.ro)
		fdatasync(b->fd);
	close(b->fd);
	free(b);
}

const struct device_class virtio_blk_class = {
	.name = "virtio-blk",
	.help = "virtio-blk,PATH[,ro][,serial=ID][,direct]\n"
		"                          a disk: raw image file or block device",
	.check = blk_check,
	.create = blk_create,
	.attach = blk_attach,
	.reset = blk_reset,
	.destroy = blk_destroy,
};
