// SPDX-License-Identifier: MIT
/* Image alignment probing and error accounting (see image.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "image.h"

#define DIO_FALLBACK 4096

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* glibc 2.36's struct statx has no dio fields: the kernel's has. */
static bool statx_dioalign(int fd, uint32_t *offset, uint32_t *mem)
{
#ifdef STATX_DIOALIGN
	struct statx sx;

	memset(&sx, 0, sizeof(sx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) <
		    0 ||
	    !(sx.stx_mask & STATX_DIOALIGN) || !pow2(sx.stx_dio_offset_align) ||
	    !pow2(sx.stx_dio_mem_align))
		return false;
	*offset = sx.stx_dio_offset_align;
	*mem = sx.stx_dio_mem_align;
	return true;
#else
	(void)fd;
	(void)offset;
	(void)mem;
	return false;
#endif
}

void blk_probe_align(int fd, bool direct, struct blk_align *a)
{
	uint32_t off, mem;
	int ssz;
	bool bdev = ioctl(fd, BLKSSZGET, &ssz) == 0;

	a->offset = 512;
	a->mem = 1;
	if (bdev && ssz >= 512 && pow2(ssz))
		a->offset = ssz;
	if (!direct)
		return;
	if (statx_dioalign(fd, &off, &mem)) {
		if (off > a->offset)
			a->offset = off;
		a->mem = mem;
	} else if (bdev) {
		a->mem = a->offset;
	} else {
		a->offset = DIO_FALLBACK;
		a->mem = DIO_FALLBACK;
	}
}

void blk_errors_init(struct blk_errors *e, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->path = path;
}

static enum blk_err_kind kind_of(int err)
{
	return err == EIO			? BLK_ERR_EIO
	       : err == ENOSPC || err == EDQUOT ? BLK_ERR_ENOSPC
						: BLK_ERR_OTHER;
}

bool blk_errors_note(struct blk_errors *e, const char *what, uint64_t offset,
		     int err, bool wrote, uint64_t now_ns)
{
	enum blk_err_kind k = kind_of(err);
	bool was_sticky = e->sticky;

	e->sticky |= wrote;
	e->kind[k].count++;
	if (e->kind[k].logged &&
	    now_ns - e->kind[k].last_ns < BLK_ERR_LOG_INTERVAL_NS) {
		e->kind[k].unlogged++;
		return false;
	}
	if (!e->kind[k].logged)
		log_error(
			"virtio-blk %s: %s at byte %llu failed: %s (errno %d)%s",
			e->path, what, (unsigned long long)offset,
			strerror(err), err,
			wrote && !was_sticky
				? "; the guest's flushes fail until it resets the disk"
				: "");
	else
		log_error(
			"virtio-blk %s: %s at byte %llu failed: %s (errno %d); %llu more such errors since the last report",
			e->path, what, (unsigned long long)offset,
			strerror(err), err,
			(unsigned long long)e->kind[k].unlogged);
	e->kind[k].logged = true;
	e->kind[k].last_ns = now_ns;
	e->kind[k].unlogged = 0;
	return true;
}

bool blk_errors_note_now(struct blk_errors *e, const char *what,
			 uint64_t offset, int err, bool wrote)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return blk_errors_note(e, what, offset, err, wrote,
			       (uint64_t)ts.tv_sec * 1000000000ull +
				       ts.tv_nsec);
}

bool blk_errors_complete(struct blk_errors *e, const char *kind,
			 uint64_t offset, int64_t result, uint64_t want)
{
	if (result < 0 || (uint64_t)result != want) {
		blk_errors_note_now(e, kind, offset,
				    result < 0 ? (int)-result : EIO,
				    strcmp(kind, "read") != 0);
		return false;
	}
	return !(e->sticky && !strcmp(kind, "flush"));
}

void blk_errors_reset(struct blk_errors *e)
{
	static const char *const names[BLK_ERR_KINDS] = { "EIO", "ENOSPC",
							  "other" };

	for (int k = 0; k < BLK_ERR_KINDS; k++) {
		if (e->kind[k].unlogged)
			log_error(
				"virtio-blk %s: %llu more %s errors since the last report",
				e->path,
				(unsigned long long)e->kind[k].unlogged,
				names[k]);
		e->kind[k].unlogged = 0;
	}
	e->sticky = false;
}

/*
 * Who holds a lock on the image: OFD locks show no owner in /proc/locks,
 * but each open file's fdinfo lists its locks, with the inode.
 */
static void image_lock_holder(const struct stat *img, char *out, size_t len)
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

int image_lock(int fd, bool write, const char *what, const char *path)
{
	struct flock lk = { .l_type = write ? F_WRLCK : F_RDLCK,
			    .l_whence = SEEK_SET };
	char holder[128];
	struct stat st;

	if (fcntl(fd, F_OFD_SETLK, &lk) == 0)
		return 0;
	if (fstat(fd, &st) == 0)
		image_lock_holder(&st, holder, sizeof(holder));
	else
		snprintf(holder, sizeof(holder), "another process");
	log_error("%s %s: locked by %s; is another VM using it?", what, path,
		  holder);
	return -1;
}
