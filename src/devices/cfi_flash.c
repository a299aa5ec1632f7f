// SPDX-License-Identifier: MIT
/*
 * The UEFI variable store's flash (see cfi_flash.h). Every program and
 * erase goes to the file at once (pwrite, so the guest's mapping of the
 * same pages sees it); the fdatasync comes before the device next
 * reports anything, a status read or the return to read-array mode. That
 * is where OVMF learns a write is done: each of its writes ends with 0xFF
 * (OvmfPkg/QemuFlashFvbServicesRuntimeDxe/QemuFlash.c), so a variable the
 * firmware saw stored is on the disk, and one fdatasync covers the bytes
 * it programmed one at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../base/log.h"
#include "cfi_flash.h"

#define CMD_READ_ARRAY 0xff
#define CMD_READ_ARRAY_ALT 0x00
#define CMD_AMD_RESET 0xf0
#define CMD_PROGRAM 0x10
#define CMD_PROGRAM_ALT 0x40
#define CMD_ERASE 0x20
#define CMD_ERASE_CONFIRM 0xd0
#define CMD_CLEAR_STATUS 0x50
#define CMD_READ_STATUS 0x70

/* Improper command sequence: the chip sets both of these. */
#define CFI_STATUS_SEQUENCE_ERROR \
	(CFI_STATUS_ERASE_ERROR | CFI_STATUS_PROGRAM_ERROR)

struct cfi_flash {
	pthread_mutex_t lock; /* vCPUs may access it at once */
	struct cfi_flash_config cfg;
	uint8_t *host; /* the file's pages, read-only */
	uint8_t *ones; /* a block of 0xFF, what an erase writes */
	uint8_t mode; /* CMD_READ_ARRAY, or the command whose status reads */
	bool second_cycle; /* program or erase set up, its data next */
	uint8_t status;
	bool mapped; /* the guest reads host directly */
	bool dirty; /* written since the last fdatasync */
	bool refused_logged, io_error_logged;
};

struct cfi_flash *cfi_flash_create(const struct cfi_flash_config *cfg)
{
	struct cfi_flash *f = calloc(1, sizeof(*f));

	if (!f || !(f->ones = malloc(cfg->block_size))) {
		log_error("%s: out of memory", cfg->name);
		goto fail;
	}
	memset(f->ones, 0xff, cfg->block_size);
	f->host = mmap(NULL, cfg->size, PROT_READ, MAP_SHARED, cfg->fd, 0);
	if (f->host == MAP_FAILED) {
		log_error("%s: cannot map it: %s", cfg->name, strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->cfg = *cfg;
	f->mode = CMD_READ_ARRAY;
	f->mapped = true;
	return f;
fail:
	if (f)
		free(f->ones);
	free(f);
	close(cfg->fd);
	return NULL;
}

const uint8_t *cfi_flash_host(const struct cfi_flash *f)
{
	return f->host;
}

/* The file's own errors (EIO, ENOSPC): the guest sees the status bits. */
static void flash_io_error(struct cfi_flash *f, const char *what, uint8_t bits)
{
	f->status |= bits;
	if (!f->io_error_logged)
		log_error("%s: %s failed: %s; the firmware sees a flash error",
			  f->cfg.name, what, strerror(errno));
	f->io_error_logged = true;
}

static void flash_sync(struct cfi_flash *f)
{
	if (!f->dirty)
		return;
	f->dirty = false;
	if (fdatasync(f->cfg.fd) < 0)
		flash_io_error(f, "fdatasync", CFI_STATUS_SEQUENCE_ERROR);
}

static void flash_set_mapped(struct cfi_flash *f, bool mapped)
{
	if (f->mapped == mapped)
		return;
	/* Unmapped or not, reads are answered right (flash_read). */
	if (f->cfg.set_mapped &&
	    f->cfg.set_mapped(f->cfg.ctx, mapped, f->host) < 0)
		return;
	f->mapped = mapped;
}

static void flash_read_array(struct cfi_flash *f)
{
	flash_sync(f);
	f->mode = CMD_READ_ARRAY;
	f->second_cycle = false;
	flash_set_mapped(f, true);
}

/* A command whose reads return the status register. */
static void flash_status_mode(struct cfi_flash *f, uint8_t cmd)
{
	f->mode = cmd;
	flash_set_mapped(f, false);
}

static void flash_refuse(struct cfi_flash *f, uint8_t cmd)
{
	if (!f->refused_logged)
		log_warn(
			"%s: the guest sent flash command 0x%02x, which this flash does not have; refused (status 0x30)",
			f->cfg.name, cmd);
	f->refused_logged = true;
	f->status |= CFI_STATUS_SEQUENCE_ERROR;
	flash_read_array(f);
}

/*
 * One program or erase to the file: the guest's mapping sees it at
 * once, the next report syncs it; a failure sets the status error bit.
 */
static void flash_store(struct cfi_flash *f, const uint8_t *buf, size_t len,
			uint64_t off, const char *what, uint8_t error_bit)
{
	ssize_t n = pwrite(f->cfg.fd, buf, len, off);

	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = ENOSPC; /* what a short write means */
		flash_io_error(f, what, error_bit);
	} else {
		f->dirty = true;
	}
	f->status |= CFI_STATUS_READY;
}

/* Programming only clears bits, as on the chip: erase sets them. */
static void flash_program(struct cfi_flash *f, uint64_t off,
			  const uint8_t *data, unsigned int size)
{
	uint8_t v[8];

	for (unsigned int i = 0; i < size; i++)
		v[i] = f->host[off + i] & data[i];
	flash_store(f, v, size, off, "a write", CFI_STATUS_PROGRAM_ERROR);
}

static void flash_erase(struct cfi_flash *f, uint64_t off)
{
	uint64_t bs = f->cfg.block_size;

	flash_store(f, f->ones, bs, off - off % bs, "an erase",
		    CFI_STATUS_ERASE_ERROR);
}

static void flash_write(struct cfi_flash *f, uint64_t off, const uint8_t *data,
			unsigned int size)
{
	uint8_t cmd = data[0];

	if (f->second_cycle) {
		f->second_cycle = false;
		if (f->mode == CMD_PROGRAM) {
			flash_program(f, off, data, size);
			return;
		}
		/* Erase: confirm, or back to reading without erasing. */
		if (cmd == CMD_ERASE_CONFIRM)
			flash_erase(f, off);
		else if (cmd == CMD_READ_ARRAY)
			flash_read_array(f);
		else
			flash_refuse(f, cmd);
		return;
	}
	switch (cmd) {
	case CMD_READ_ARRAY:
	case CMD_READ_ARRAY_ALT:
	case CMD_AMD_RESET:
		flash_read_array(f);
		break;
	case CMD_PROGRAM:
	case CMD_PROGRAM_ALT:
		flash_status_mode(f, CMD_PROGRAM);
		f->second_cycle = true;
		break;
	case CMD_ERASE:
		flash_status_mode(f, CMD_ERASE);
		f->second_cycle = true;
		break;
	case CMD_CLEAR_STATUS:
		f->status = 0;
		flash_read_array(f);
		break;
	case CMD_READ_STATUS:
		flash_status_mode(f, CMD_READ_STATUS);
		break;
	default:
		flash_refuse(f, cmd);
		break;
	}
}

static void flash_read(struct cfi_flash *f, uint64_t off, uint8_t *data,
		       unsigned int size)
{
	if (f->mode == CMD_READ_ARRAY) {
		memcpy(data, f->host + off, size);
		return;
	}
	/* Ready means done, and done means on the disk. */
	flash_sync(f);
	memset(data, f->status, size);
}

void cfi_flash_access(void *opaque, uint64_t offset, uint8_t *data,
		      unsigned int size, bool is_write)
{
	struct cfi_flash *f = opaque;

	if (size == 0 || size > 8 || offset >= f->cfg.size ||
	    size > f->cfg.size - offset) {
		if (!is_write)
			memset(data, 0xff, size > 8 ? 8 : size);
		return;
	}
	pthread_mutex_lock(&f->lock);
	if (is_write)
		flash_write(f, offset, data, size);
	else
		flash_read(f, offset, data, size);
	pthread_mutex_unlock(&f->lock);
}

void cfi_flash_reset(struct cfi_flash *f)
{
	pthread_mutex_lock(&f->lock);
	flash_sync(f);
	f->mode = CMD_READ_ARRAY;
	f->second_cycle = false;
	f->status = 0;
	/* The next boot's hypervisor VM gets the pages from the caller. */
	f->mapped = true;
	pthread_mutex_unlock(&f->lock);
}

void cfi_flash_destroy(struct cfi_flash *f)
{
	if (!f)
		return;
	flash_sync(f);
	munmap(f->host, f->cfg.size);
	close(f->cfg.fd);
	pthread_mutex_destroy(&f->lock);
	free(f->ones);
	free(f);
}
