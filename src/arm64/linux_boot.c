// SPDX-License-Identifier: MIT
/*
 * Direct boot of an arm64 Linux Image (Documentation/arch/arm64/booting.rst):
 * the kernel at text_offset from a 2 MiB-aligned base at the start of RAM,
 * the initrd after it, and the DTB in a 2 MiB block of its own at the end of
 * RAM. The caller writes the DTB and enters at the kernel with x0 pointing
 * at it, the MMU off.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/bus.h"
#include "../base/log.h"
#include "linux_boot.h"

#define HDR_CODE0 0x00
#define HDR_CODE1 0x04
#define HDR_TEXT_OFFSET 0x08
#define HDR_IMAGE_SIZE 0x10
#define HDR_FLAGS 0x18
#define HDR_MAGIC 0x38

#define ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" */

#define FLAG_BE 0x1
#define FLAG_PAGE_SIZE_SHIFT 1
#define FLAG_PLACE_ANYWHERE 0x8

/* Kernels before 3.17 leave image_size 0 and load at 0x80000. */
#define LEGACY_TEXT_OFFSET 0x80000

#define SZ_2M ((uint64_t)0x200000)
#define SZ_1G ((uint64_t)0x40000000)
#define PAGE ((uint64_t)0x1000)
#define DTB_MAX SZ_2M
/* The initrd must lie in the 1 GiB-aligned 32 GiB window of the kernel. */
#define INITRD_WINDOW (32 * SZ_1G)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int arm64_image_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		      struct arm64_image_header *hdr, char *err, size_t errlen)
{
	uint64_t page_bits;

	memset(hdr, 0, sizeof(*hdr));
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		snprintf(
			err, errlen,
			"a gzip-compressed kernel: decompress it to an Image first");
		return -1;
	}
	if (len >= 8 && !memcmp(buf, "MZ", 2) && !memcmp(buf + 4, "zimg", 4)) {
		snprintf(
			err, errlen,
			"an EFI zboot kernel: it needs UEFI firmware, or its Image extracted");
		return -1;
	}
	if (len < ARM64_IMAGE_HEADER_BYTES || file_size < len) {
		snprintf(
			err, errlen,
			"truncated arm64 Image (shorter than its 64-byte header)");
		return -1;
	}
	if (le_read(buf + HDR_MAGIC, 4) != ARM64_IMAGE_MAGIC) {
		snprintf(err, errlen,
			 "not an arm64 Linux Image (no \"ARM\\x64\" magic)");
		return -1;
	}
	hdr->code0 = le_read(buf + HDR_CODE0, 4);
	hdr->code1 = le_read(buf + HDR_CODE1, 4);
	hdr->text_offset = le_read(buf + HDR_TEXT_OFFSET, 8);
	hdr->image_size = le_read(buf + HDR_IMAGE_SIZE, 8);
	hdr->flags = le_read(buf + HDR_FLAGS, 8);
	if (!hdr->image_size) {
		/* The header's fields were not defined yet: all defaults. */
		hdr->legacy = true;
		hdr->text_offset = LEGACY_TEXT_OFFSET;
		hdr->image_size = file_size;
		hdr->flags = 0;
	}
	if (hdr->flags & FLAG_BE) {
		snprintf(
			err, errlen,
			"a big-endian kernel (only little-endian is supported)");
		return -1;
	}
	if (hdr->text_offset >= SZ_2M || hdr->text_offset % PAGE) {
		snprintf(err, errlen,
			 "corrupt arm64 Image header (text_offset 0x%" PRIx64
			 ")",
			 hdr->text_offset);
		return -1;
	}
	if (hdr->image_size < ARM64_IMAGE_HEADER_BYTES) {
		snprintf(err, errlen,
			 "corrupt arm64 Image header (image_size %" PRIu64 ")",
			 hdr->image_size);
		return -1;
	}
	page_bits = (hdr->flags >> FLAG_PAGE_SIZE_SHIFT) & 3;
	hdr->page_size = page_bits ? 4096u << (2 * (page_bits - 1)) : 0;
	hdr->place_anywhere = hdr->flags & FLAG_PLACE_ANYWHERE;
	/* What lies past image_size (a signature, say) is not the kernel's. */
	hdr->load_size = file_size < hdr->image_size ? file_size
						     : hdr->image_size;
	return 0;
}

/* Reads and parses the header; logs the reason on failure. */
static int read_header(int fd, struct arm64_image_header *hdr)
{
	uint8_t head[ARM64_IMAGE_HEADER_BYTES] = { 0 };
	struct stat st;
	char err[160];
	ssize_t got;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("kernel: not a regular file");
		return -1;
	}
	got = pread(fd, head, sizeof(head), 0);
	if (got < 0) {
		log_error("kernel: %s", strerror(errno));
		return -1;
	}
	if (arm64_image_parse(head, got, st.st_size, hdr, err, sizeof(err))) {
		log_error("kernel: %s", err);
		return -1;
	}
	return 0;
}

int arm64_linux_check(int kernel_fd)
{
	struct arm64_image_header hdr;

	return read_header(kernel_fd, &hdr);
}

int arm64_linux_load(struct guest_ram *ram, uint64_t ram_base,
		     uint64_t mem_size, const struct arm64_boot_files *f,
		     struct arm64_boot_layout *out)
{
	uint64_t ram_end = ram_base + mem_size;
	uint64_t base = align_up(ram_base, SZ_2M);
	struct arm64_image_header hdr;
	uint64_t dtb, entry, kernel_end;
	uint8_t *dst;

	memset(out, 0, sizeof(*out));
	if (read_header(f->kernel_fd, &hdr) < 0)
		return -1;

	/* The DTB: the last whole 2 MiB block of RAM. */
	dtb = ram_end & ~(SZ_2M - 1);
	dtb = dtb >= base + DTB_MAX ? dtb - DTB_MAX : 0;
	entry = base + hdr.text_offset;
	kernel_end = entry + hdr.image_size;
	if (dtb < base || kernel_end > dtb ||
	    !(dst = guest_ram_ptr(ram, entry, hdr.image_size)) ||
	    !guest_ram_ptr(ram, dtb, DTB_MAX)) {
		log_error(
			"kernel: needs %" PRIu64
			" MiB of RAM, and 2 MiB for the device tree; the guest has %" PRIu64
			" MiB",
			(kernel_end - base + (1u << 20) - 1) >> 20,
			mem_size >> 20);
		return -1;
	}
	if (pread_full(f->kernel_fd, dst, hdr.load_size, 0) < 0) {
		log_error("kernel: read error");
		return -1;
	}
	/* What the kernel counts as its own beyond the file starts zeroed. */
	memset(dst + hdr.load_size, 0, hdr.image_size - hdr.load_size);

	out->kernel_base = base;
	out->entry = entry;
	out->kernel_end = kernel_end;
	out->dtb_addr = dtb;
	out->dtb_max = DTB_MAX;

	if (f->initrd_fd >= 0) {
		uint64_t start = align_up(kernel_end, SZ_2M), len, window_end;
		struct stat st;

		if (fstat(f->initrd_fd, &st) < 0) {
			log_error("initrd: %s", strerror(errno));
			return -1;
		}
		len = st.st_size;
		window_end = (base & ~(SZ_1G - 1)) + INITRD_WINDOW;
		if (len > dtb - start || start + len > window_end) {
			log_error(
				"initrd: %" PRIu64
				" KiB does not fit in guest RAM after the kernel",
				(len + 1023) >> 10);
			return -1;
		}
		dst = guest_ram_ptr(ram, start, len);
		if (!dst || pread_full(f->initrd_fd, dst, len, 0) < 0) {
			log_error("initrd: read error");
			return -1;
		}
		out->initrd_start = start;
		out->initrd_end = start + len;
	}
	return 0;
}
