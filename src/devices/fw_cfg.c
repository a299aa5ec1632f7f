// SPDX-License-Identifier: MIT
/*
 * fw_cfg (QEMU docs/specs/fw_cfg.rst; OVMF's QemuFwCfgLib is the
 * reader): a selector picks an item, the data port reads it a byte at a
 * time from an offset that selecting resets, and the DMA interface reads,
 * skips or selects by a descriptor in guest RAM. Everything the guest
 * names (descriptor address, target and length) is checked against
 * guest RAM; a bad one sets the descriptor's error bit, as on QEMU, and
 * is logged once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/bus.h"
#include "../base/guest_ram.h"
#include "../base/log.h"
#include "fw_cfg.h"

#define FW_CFG_KEY_MASK 0xbfff /* without the (unsupported) write bit */
#define FW_CFG_FEATURE_TRADITIONAL 0x01
#define FW_CFG_FEATURE_DMA 0x02
#define FW_CFG_DIR_ENTRY_SIZE 64

struct fw_cfg_item {
	uint16_t key;
	uint8_t *data; /* a copy, or NULL: read from fd */
	int fd;
	uint64_t fd_off;
	uint64_t len;
};

struct fw_cfg {
	pthread_mutex_t lock; /* vCPUs select and read concurrently */
	struct guest_ram *ram;
	struct fw_cfg_item *items;
	size_t nitems, cap;
	unsigned int nfiles;
	uint8_t *dir; /* FW_CFG_FILE_DIR's contents, rebuilt per file */
	struct fw_cfg_item *cur; /* NULL: nothing valid selected */
	uint64_t offset;
	uint32_t dma_high;
	bool dma_fault_logged;
};

static uint64_t be_read(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v = (v << 8) | p[i];
	return v;
}

static void be_write(uint8_t *p, unsigned int size, uint64_t v)
{
	for (unsigned int i = size; i-- > 0; v >>= 8)
		p[i] = v;
}

static struct fw_cfg_item *find_item(struct fw_cfg *fw, uint16_t key)
{
	for (size_t i = 0; i < fw->nitems; i++)
		if (fw->items[i].key == key)
			return &fw->items[i];
	return NULL;
}

/* A new item for key, replacing one there was; NULL if out of memory. */
static struct fw_cfg_item *new_item(struct fw_cfg *fw, uint16_t key)
{
	struct fw_cfg_item *it = find_item(fw, key);

	if (it) {
		free(it->data);
		*it = (struct fw_cfg_item){ .key = key, .fd = -1 };
		return it;
	}
	if (fw->nitems == fw->cap) {
		size_t cap = fw->cap ? 2 * fw->cap : 32;
		struct fw_cfg_item *n = realloc(fw->items, cap * sizeof(*n));

		if (!n)
			return NULL;
		fw->items = n;
		fw->cap = cap;
	}
	it = &fw->items[fw->nitems++];
	*it = (struct fw_cfg_item){ .key = key, .fd = -1 };
	return it;
}

int fw_cfg_add_item(struct fw_cfg *fw, uint16_t key, const void *data,
		    size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct fw_cfg_item *it;

	if (!copy)
		return -1;
	memcpy(copy, data, len);
	it = new_item(fw, key);
	if (!it) {
		free(copy);
		return -1;
	}
	it->data = copy;
	it->len = len;
	return 0;
}

int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { v, v >> 8 };

	return fw_cfg_add_item(fw, key, b, sizeof(b));
}

int fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	return fw_cfg_add_item(fw, key, b, sizeof(b));
}

int fw_cfg_add_item_fd(struct fw_cfg *fw, uint16_t key, int fd, uint64_t off,
		       uint64_t len)
{
	struct fw_cfg_item *it = new_item(fw, key);

	if (!it)
		return -1;
	it->fd = fd;
	it->fd_off = off;
	it->len = len;
	return 0;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    size_t len)
{
	size_t dir_len = 4 + (size_t)(fw->nfiles + 1) * FW_CFG_DIR_ENTRY_SIZE;
	uint16_t key = FW_CFG_FILE_FIRST + fw->nfiles;
	uint8_t *dir, *e;

	if (strlen(name) >= FW_CFG_FILE_NAME_MAX ||
	    fw->nfiles == FW_CFG_MAX_FILES || len > UINT32_MAX)
		return -1;
	if (fw_cfg_add_item(fw, key, data, len) < 0)
		return -1;
	dir = realloc(fw->dir, dir_len);
	if (!dir)
		return -1;
	fw->dir = dir;
	e = dir + 4 + (size_t)fw->nfiles * FW_CFG_DIR_ENTRY_SIZE;
	memset(e, 0, FW_CFG_DIR_ENTRY_SIZE);
	be_write(e, 4, len);
	be_write(e + 4, 2, key);
	memcpy(e + 8, name, strlen(name));
	fw->nfiles++;
	be_write(dir, 4, fw->nfiles);
	return fw_cfg_add_item(fw, FW_CFG_FILE_DIR, dir, dir_len);
}

struct fw_cfg *fw_cfg_create(struct guest_ram *ram)
{
	struct fw_cfg *fw = calloc(1, sizeof(*fw));
	uint8_t empty_dir[4] = { 0 };

	if (!fw)
		return NULL;
	pthread_mutex_init(&fw->lock, NULL);
	fw->ram = ram;
	if (fw_cfg_add_item(fw, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
	    fw_cfg_add_u32(fw, FW_CFG_ID,
			   FW_CFG_FEATURE_TRADITIONAL | FW_CFG_FEATURE_DMA) <
		    0 ||
	    fw_cfg_add_item(fw, FW_CFG_FILE_DIR, empty_dir, 4) < 0) {
		fw_cfg_destroy(fw);
		return NULL;
	}
	return fw;
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
	if (!fw)
		return;
	for (size_t i = 0; i < fw->nitems; i++)
		free(fw->items[i].data);
	free(fw->items);
	free(fw->dir);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
}

static void select_item(struct fw_cfg *fw, uint16_t key)
{
	fw->cur = find_item(fw, key & FW_CFG_KEY_MASK);
	fw->offset = 0;
}

void fw_cfg_reset(struct fw_cfg *fw)
{
	pthread_mutex_lock(&fw->lock);
	fw->cur = NULL;
	fw->offset = 0;
	fw->dma_high = 0;
	pthread_mutex_unlock(&fw->lock);
}

/* The selected item's bytes from the current offset; 0 past its end. */
static uint8_t read_byte(struct fw_cfg *fw)
{
	const struct fw_cfg_item *it = fw->cur;
	uint8_t b = 0;

	if (!it || fw->offset >= it->len)
		return 0;
	if (it->data)
		b = it->data[fw->offset];
	else if (pread_full(it->fd, &b, 1, it->fd_off + fw->offset) < 0)
		b = 0;
	fw->offset++;
	return b;
}

/*
 * Reads len bytes of the selected item into guest RAM at gpa, zeros past
 * its end; false where the range is not RAM or the file cannot be read.
 */
static bool dma_read(struct fw_cfg *fw, uint64_t gpa, uint32_t len)
{
	const struct fw_cfg_item *it = fw->cur;
	uint8_t *dst = len ? guest_ram_ptr(fw->ram, gpa, len) : NULL;
	uint64_t avail = 0, n;

	if (!len)
		return true;
	if (!dst)
		return false;
	if (it && fw->offset < it->len)
		avail = it->len - fw->offset;
	n = len < avail ? len : avail;
	if (n && it->data)
		memcpy(dst, it->data + fw->offset, n);
	else if (n && pread_full(it->fd, dst, n, it->fd_off + fw->offset) < 0)
		return false;
	memset(dst + n, 0, len - n);
	fw->offset += n;
	return true;
}

static void dma_fault(struct fw_cfg *fw, const char *what, uint64_t addr)
{
	if (fw->dma_fault_logged)
		return;
	fw->dma_fault_logged = true;
	log_warn(
		"fw_cfg: the guest's DMA %s at 0x%llx is not in guest RAM (logged once)",
		what, (unsigned long long)addr);
}

static void dma_run(struct fw_cfg *fw, uint64_t desc_gpa)
{
	uint8_t *desc = guest_ram_ptr(fw->ram, desc_gpa, 16);
	uint32_t control, len;
	uint64_t target;
	bool ok = true;

	if (!desc) {
		dma_fault(fw, "descriptor", desc_gpa);
		return;
	}
	/* Read once: the guest may change the descriptor meanwhile. */
	control = be_read(desc, 4);
	len = be_read(desc + 4, 4);
	target = be_read(desc + 8, 8);
	if (control & FW_CFG_DMA_SELECT)
		select_item(fw, control >> 16);
	if (control & FW_CFG_DMA_READ) {
		ok = dma_read(fw, target, len);
		if (!ok)
			dma_fault(fw, "target", target);
	} else if (control & FW_CFG_DMA_WRITE) {
		ok = false; /* nothing here is writable */
	} else if (control & FW_CFG_DMA_SKIP) {
		if (fw->cur && fw->offset < fw->cur->len)
			fw->offset += len < fw->cur->len - fw->offset
					      ? len
					      : fw->cur->len - fw->offset;
	}
	/* Done: the control word reads 0, or the error bit. */
	be_write(desc, 4, ok ? 0 : FW_CFG_DMA_ERROR);
}

void fw_cfg_port_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int size, bool is_write)
{
	static const char dma_signature[8] = "QEMU CFG";
	struct fw_cfg *fw = opaque;

	pthread_mutex_lock(&fw->lock);
	if (offset == 0 && size == 2) {
		if (is_write)
			select_item(fw, le_read(data, 2));
		else
			memset(data, 0xff, size);
	} else if (offset == 1) {
		/* Wider reads take the next bytes in order. */
		for (unsigned int i = 0; i < size && !is_write; i++)
			data[i] = read_byte(fw);
	} else if (offset >= 4 && offset + size <= FW_CFG_PORT_SIZE) {
		if (!is_write) {
			memcpy(data, dma_signature + (offset - 4), size);
		} else if (offset == 4 && size == 4) {
			fw->dma_high = be_read(data, 4);
		} else if (offset == 8 && size == 4) {
			/* The low half starts the transfer. */
			dma_run(fw, (uint64_t)fw->dma_high << 32 |
					    be_read(data, 4));
			fw->dma_high = 0;
		} else if (offset == 4 && size == 8) {
			dma_run(fw, be_read(data, 8));
		}
	} else if (!is_write) {
		memset(data, 0xff, size);
	}
	pthread_mutex_unlock(&fw->lock);
}
