// SPDX-License-Identifier: MIT
/*
 * Direct boot of an x86-64 bzImage through the Linux boot protocol's 64-bit
 * entry: the protected-mode kernel at 1 MiB, entered at +0x200 in long mode
 * with the zero page in rsi.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/bus.h"
#include "../base/log.h"
#include "e820.h"
#include "layout.h"
#include "linux_boot.h"

/* Zero page (struct boot_params) offsets. */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0

/* Setup header offsets, from the start of the file and the zero page. */
#define HDR_START 0x1f1
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_HEADER 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260

#define LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x01
#define BOOT_PROTOCOL_MIN 0x020c /* 2.12: xloadflags, 64-bit entry */

/* GDT selectors the boot protocol requires: __BOOT_CS and __BOOT_DS. */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

static uint32_t rd(const uint8_t *b, size_t off, unsigned int size)
{
	return (uint32_t)le_read(b + off, size);
}

int bzimage_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		  struct bzimage_header *hdr, char *err, size_t errlen)
{
	unsigned int sects;

	memset(hdr, 0, sizeof(*hdr));
	if (len < 0x264 || rd(buf, HDR_BOOT_FLAG, 2) != 0xaa55 ||
	    memcmp(buf + HDR_HEADER, "HdrS", 4) != 0) {
		snprintf(err, errlen, "not a Linux bzImage (no boot header)");
		return -1;
	}
	hdr->version = rd(buf, HDR_VERSION, 2);
	if (hdr->version < BOOT_PROTOCOL_MIN) {
		snprintf(
			err, errlen,
			"boot protocol %u.%02u is too old (2.12 or later is needed)",
			hdr->version >> 8, hdr->version & 0xff);
		return -1;
	}
	hdr->loadflags = buf[HDR_LOADFLAGS];
	hdr->xloadflags = rd(buf, HDR_XLOADFLAGS, 2);
	if (!(hdr->loadflags & LOADED_HIGH) ||
	    !(hdr->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen, "not a 64-bit bzImage");
		return -1;
	}
	sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	hdr->setup_size = (sects + 1) * 512;
	hdr->init_size = rd(buf, HDR_INIT_SIZE, 4);
	hdr->initrd_addr_max = rd(buf, HDR_INITRD_ADDR_MAX, 4);
	hdr->cmdline_size = rd(buf, HDR_CMDLINE_SIZE, 4);
	hdr->hdr_end = HDR_JUMP + 2 + buf[HDR_JUMP + 1];
	if (hdr->hdr_end > len)
		hdr->hdr_end = len;
	if (file_size <= hdr->setup_size) {
		snprintf(err, errlen,
			 "truncated bzImage (no kernel after the setup code)");
		return -1;
	}
	if (hdr->init_size < file_size - hdr->setup_size) {
		snprintf(err, errlen,
			 "corrupt bzImage header (init_size too small)");
		return -1;
	}
	return 0;
}

/* A GDT with flat 64-bit code and data at the protocol's selectors. */
static void write_gdt(uint8_t *gdt)
{
	static const uint64_t entries[4] = {
		0, 0,
		0x00af9b000000ffffull, /* 0x10: code, L=1, present, DPL 0 */
		0x00cf93000000ffffull, /* 0x18: data, present, DPL 0 */
	};

	for (int i = 0; i < 4; i++)
		le_write(gdt + 8 * i, 8, entries[i]);
}

/* Identity-maps the first 4 GiB with 2 MiB pages. */
static void write_page_tables(uint8_t *pml4, uint8_t *pdpt, uint8_t *pd)
{
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	le_write(pml4, 8, X86_PDPT_ADDR | 0x3); /* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		le_write(pdpt + 8 * i, 8, (X86_PD_ADDR + i * 4096) | 0x3);
	for (uint64_t i = 0; i < 2048; i++)
		le_write(pd + 8 * i, 8, (i << 21) | 0x83); /* 2 MiB page */
}

/*
 * Where the kernel runs, which is where its init_size counts from: a kernel
 * loaded at 1 MiB moves itself up to pref_address (16 MiB on a usual
 * build) before it decompresses (Documentation/x86/boot.rst, init_size).
 */
static uint64_t kernel_runtime_start(const uint8_t *head)
{
	uint64_t start = le_read(head + HDR_PREF_ADDRESS, 8);
	uint32_t align = rd(head, HDR_KERNEL_ALIGNMENT, 4);

	if (start < X86_KERNEL_ADDR)
		start = X86_KERNEL_ADDR;
	if (head[HDR_RELOCATABLE] && align && !(align & (align - 1)))
		start = (start + align - 1) & ~(uint64_t)(align - 1);
	return start;
}

int x86_linux_check(int kernel_fd)
{
	uint8_t head[BZIMAGE_HEADER_BYTES] = { 0 };
	struct bzimage_header hdr;
	struct stat st;
	char err[160];
	ssize_t got;

	if (fstat(kernel_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("kernel: not a regular file");
		return -1;
	}
	got = pread(kernel_fd, head, sizeof(head), 0);
	if (got < 0) {
		log_error("kernel: %s", strerror(errno));
		return -1;
	}
	if (bzimage_parse(head, got, st.st_size, &hdr, err, sizeof(err))) {
		log_error("kernel: %s", err);
		return -1;
	}
	return 0;
}

int x86_linux_load(struct guest_ram *ram, uint64_t mem_size,
		   const struct linux_boot_files *f,
		   struct x86_boot_state *state)
{
	uint64_t low_end = mem_size < X86_LOW_RAM_END ? mem_size
						      : X86_LOW_RAM_END;
	uint8_t head[BZIMAGE_HEADER_BYTES] = { 0 };
	struct e820_entry map[E820_MAX_ENTRIES];
	struct bzimage_header hdr;
	uint8_t *zp, *gdt, *pml4, *pdpt, *pd, *dst;
	uint64_t kernel_len, kernel_start, kernel_end;
	uint64_t initrd_addr = 0, initrd_len = 0;
	struct stat st;
	char err[160];
	unsigned int n;
	size_t cmdlen = f->cmdline ? strlen(f->cmdline) : 0, cmdmax;
	ssize_t got;

	if (fstat(f->kernel_fd, &st) < 0)
		return -1;
	got = pread(f->kernel_fd, head, sizeof(head), 0);
	if (got < 0 ||
	    bzimage_parse(head, got, st.st_size, &hdr, err, sizeof(err))) {
		log_error("kernel: %s", got < 0 ? strerror(errno) : err);
		return -1;
	}
	kernel_len = st.st_size - hdr.setup_size;
	kernel_start = kernel_runtime_start(head);
	kernel_end = kernel_start + hdr.init_size;
	dst = guest_ram_ptr(ram, X86_KERNEL_ADDR, kernel_len);
	if (!dst || kernel_start >= low_end || kernel_end > low_end) {
		log_error(
			"kernel: needs %u MiB from %u MiB, more than the guest RAM below 4 GiB",
			(unsigned int)((hdr.init_size + 0xfffffull) >> 20),
			(unsigned int)(kernel_start >> 20));
		return -1;
	}
	if (pread_full(f->kernel_fd, dst, kernel_len, hdr.setup_size) < 0) {
		log_error("kernel: read error");
		return -1;
	}

	cmdmax = X86_CMDLINE_MAX - 1;
	if (hdr.cmdline_size && hdr.cmdline_size < cmdmax)
		cmdmax = hdr.cmdline_size;
	if (cmdlen > cmdmax) {
		log_error(
			"kernel command line: %zu bytes, the kernel takes at most %zu",
			cmdlen, cmdmax);
		return -1;
	}
	dst = guest_ram_ptr(ram, X86_CMDLINE_ADDR, cmdlen + 1);
	memcpy(dst, f->cmdline ? f->cmdline : "", cmdlen + 1);

	if (f->initrd_fd >= 0) {
		/* As high as the kernel allows, below the PCI hole. */
		uint64_t top = hdr.initrd_addr_max
				       ? (uint64_t)hdr.initrd_addr_max + 1
				       : 0x38000000ull;

		if (fstat(f->initrd_fd, &st) < 0)
			return -1;
		initrd_len = st.st_size;
		if (top > low_end)
			top = low_end;
		if (initrd_len > top ||
		    ((top - initrd_len) & ~0xfffull) < kernel_end) {
			log_error(
				"initrd: %llu KiB does not fit in guest RAM beside the kernel",
				(unsigned long long)(initrd_len + 1023) >> 10);
			return -1;
		}
		initrd_addr = (top - initrd_len) & ~0xfffull;
		dst = guest_ram_ptr(ram, initrd_addr, initrd_len);
		if (!dst || pread_full(f->initrd_fd, dst, initrd_len, 0) < 0) {
			log_error("initrd: read error");
			return -1;
		}
	}

	zp = guest_ram_ptr(ram, X86_ZERO_PAGE_ADDR, 4096);
	memset(zp, 0, 4096);
	memcpy(zp + HDR_START, head + HDR_START, hdr.hdr_end - HDR_START);
	zp[HDR_TYPE_OF_LOADER] = 0xff; /* a loader with no assigned ID */
	le_write(zp + HDR_CMD_LINE_PTR, 4, X86_CMDLINE_ADDR);
	le_write(zp + BP_EXT_CMD_LINE_PTR, 4, 0);
	le_write(zp + HDR_RAMDISK_IMAGE, 4, initrd_addr);
	le_write(zp + HDR_RAMDISK_SIZE, 4, initrd_len);
	le_write(zp + BP_EXT_RAMDISK_IMAGE, 4, initrd_addr >> 32);
	le_write(zp + BP_EXT_RAMDISK_SIZE, 4, initrd_len >> 32);
	le_write(zp + BP_ACPI_RSDP_ADDR, 8, f->rsdp_addr);
	n = x86_e820_build(mem_size, map, E820_MAX_ENTRIES);
	zp[BP_E820_ENTRIES] = n;
	memcpy(zp + BP_E820_TABLE, map, n * sizeof(map[0]));

	gdt = guest_ram_ptr(ram, X86_GDT_ADDR, 32);
	write_gdt(gdt);
	pml4 = guest_ram_ptr(ram, X86_PML4_ADDR, 4096);
	pdpt = guest_ram_ptr(ram, X86_PDPT_ADDR, 4096);
	pd = guest_ram_ptr(ram, X86_PD_ADDR, 4 * 4096);
	write_page_tables(pml4, pdpt, pd);

	*state = (struct x86_boot_state){
		.rip = X86_KERNEL_ADDR + 0x200,
		.rsi = X86_ZERO_PAGE_ADDR,
		.cr3 = X86_PML4_ADDR,
		.gdt_base = X86_GDT_ADDR,
		.gdt_limit = 4 * 8 - 1,
		.code_sel = BOOT_CS,
		.data_sel = BOOT_DS,
	};
	return 0;
}
