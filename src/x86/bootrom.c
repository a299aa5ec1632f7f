// SPDX-License-Identifier: MIT
/*
 * Firmware images. A UEFI image is a run of firmware volumes (PI spec
 * vol. 3, 3.2.1: "_FVH" at offset 40 of each volume header) ending in
 * the reset vector; OVMF's unified image begins with the volume that
 * holds the variable store, whose file-system GUID says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/log.h"
#include "../block/image.h"
#include "bootrom.h"

#define FV_FILE_SYSTEM_GUID_OFF 16
#define FV_SIGNATURE_OFF 40
#define RESET_VECTOR_SIZE 16

/* EFI_SYSTEM_NV_DATA_FV_GUID, fff12b8d-7696-4c8b-a985-2747075b4f50. */
static const uint8_t nv_data_fv_guid[16] = {
	0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c,
	0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50,
};

const char *x86_bootrom_check(const uint8_t *img, uint64_t size, bool *unified)
{
	const uint8_t *rv = img + size - RESET_VECTOR_SIZE;
	bool blank = true;

	if (size < X86_BOOTROM_MIN || size > X86_BOOTROM_MAX || size % 4096)
		return "not a firmware image: its size must be a multiple of 4 KiB from 64 KiB to 16 MiB";
	if (memcmp(img + FV_SIGNATURE_OFF, "_FVH", 4))
		return "not a UEFI firmware image: it does not start with a firmware volume";
	for (unsigned int i = 0; i < RESET_VECTOR_SIZE; i++)
		blank &= rv[i] == 0x00 || rv[i] == 0xff;
	if (blank)
		return "not a firmware image: it has no reset vector in its last 16 bytes";
	*unified = !memcmp(img + FV_FILE_SYSTEM_GUID_OFF, nv_data_fv_guid,
			   sizeof(nv_data_fv_guid));
	return NULL;
}

int x86_bootrom_open(const char *path, struct x86_bootrom *rom)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	const char *why;
	struct stat st;
	void *host;

	*rom = (struct x86_bootrom){ 0 };
	if (fd < 0) {
		log_error("bootrom %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("bootrom %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size < X86_BOOTROM_MIN ||
	    (uint64_t)st.st_size > X86_BOOTROM_MAX) {
		log_error(
			"bootrom %s: not a firmware image: %lld bytes, expected 64 KiB to 16 MiB",
			path, (long long)st.st_size);
		close(fd);
		return -1;
	}
	/* The page cache's pages: VMs of one firmware share them. */
	host = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (host == MAP_FAILED) {
		log_error("bootrom %s: cannot map it: %s", path,
			  strerror(errno));
		return -1;
	}
	why = x86_bootrom_check(host, st.st_size, &rom->unified);
	if (why) {
		log_error("bootrom %s: %s", path, why);
		munmap(host, st.st_size);
		return -1;
	}
	rom->host = host;
	rom->size = st.st_size;
	rom->gpa = (1ull << 32) - rom->size;
	return 0;
}

void x86_bootrom_close(struct x86_bootrom *rom)
{
	if (rom->host)
		munmap(rom->host, rom->size);
	rom->host = NULL;
}

uint64_t x86_bootvars_size(const struct x86_bootrom *rom)
{
	uint64_t flash = 1;

	if (rom->unified)
		return 0;
	while (flash < rom->size)
		flash <<= 1;
	return flash - rom->size;
}

/*
 * The firmware's own blank store, beside its code: OVMF_CODE_4M.fd goes
 * with OVMF_VARS_4M.fd, OVMF_CODE.fd with OVMF_VARS.fd (the last "CODE"
 * in the file name becomes "VARS"), as Debian, Fedora and Arch install
 * them. OVMF cannot start from an erased store: its FVB driver writes
 * the volume header back, but the variable driver then refuses the
 * store without its own header ("Variable Store header is corrupted")
 * and the firmware stops. Returns a malloc'd path, or NULL.
 */
static char *bootvars_template_path(const char *rom_path)
{
	const char *base = strrchr(rom_path, '/');
	char *path, *code = NULL;

	base = base ? base + 1 : rom_path;
	for (const char *c = strstr(base, "CODE"); c; c = strstr(c + 1, "CODE"))
		code = (char *)c;
	if (!code)
		return NULL;
	path = strdup(rom_path);
	if (path)
		memcpy(path + (code - rom_path), "VARS", 4);
	return path;
}

/* The template, if it is one: the store's size, its volume's GUID. */
static const char *bootvars_template_check(int fd, uint64_t want,
					   uint8_t *first, size_t first_len)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return "not a regular file";
	if ((uint64_t)st.st_size != want)
		return "not the size of this firmware's store";
	if (pread(fd, first, first_len, 0) != (ssize_t)first_len ||
	    memcmp(first + FV_SIGNATURE_OFF, "_FVH", 4) ||
	    memcmp(first + FV_FILE_SYSTEM_GUID_OFF, nv_data_fv_guid,
		   sizeof(nv_data_fv_guid)))
		return "not a variable store";
	return NULL;
}

/*
 * A new store at path, which does not exist: a copy of the firmware's
 * template, written in full under a temporary name beside it, then
 * linked in place, so that a failure leaves nothing and a store that
 * exists is never replaced.
 */
static int bootvars_create(const char *path, const char *rom_path,
			   uint64_t size)
{
	char *tmpl = bootvars_template_path(rom_path), *tmp = NULL;
	uint8_t block[X86_BOOTVARS_BLOCK];
	const char *why = NULL;
	int in = -1, out = -1, ret = -1;

	if (!tmpl) {
		log_error(
			"bootvars %s: cannot create it: no blank store known for %s (its name has no CODE to find the VARS file by); copy the firmware's VARS file to %s",
			path, rom_path, path);
		return -1;
	}
	in = open(tmpl, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		why = strerror(errno);
	else
		why = bootvars_template_check(in, size, block, sizeof(block));
	if (why) {
		log_error(
			"bootvars %s: cannot create it from the firmware's blank store %s: %s",
			path, tmpl, why);
		goto out;
	}
	tmp = malloc(strlen(path) + 8);
	if (!tmp)
		goto out;
	sprintf(tmp, "%s.XXXXXX", path);
	out = mkstemp(tmp);
	if (out < 0) {
		log_error("bootvars %s: cannot create it: %s", path,
			  strerror(errno));
		goto out;
	}
	errno = ENOSPC; /* what a short write means */
	for (uint64_t off = 0; off < size; off += sizeof(block))
		if (pread(in, block, sizeof(block), off) != sizeof(block) ||
		    pwrite(out, block, sizeof(block), off) != sizeof(block))
			goto failed;
	/* link(2) fails if path appeared meanwhile: nothing is replaced. */
	if (fchmod(out, 0600) == 0 && fdatasync(out) == 0 &&
	    link(tmp, path) == 0) {
		log_info(
			"bootvars %s: created from the firmware's blank store %s",
			path, tmpl);
		ret = 0;
		goto out;
	}
failed:
	log_error("bootvars %s: cannot create it: %s", path, strerror(errno));
out:
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	if (in >= 0)
		close(in);
	free(tmp);
	free(tmpl);
	return ret;
}

int x86_bootvars_open(const char *path, const char *rom_path,
		      const struct x86_bootrom *rom, struct x86_bootvars *vars)
{
	uint64_t want = x86_bootvars_size(rom);
	struct stat st;
	int fd;

	*vars = (struct x86_bootvars){ .fd = -1 };
	if (rom->unified) {
		log_error(
			"bootvars %s: bootrom %s holds its own variable store (a unified image such as OVMF.fd); give the code image instead, e.g. OVMF_CODE_4M.fd, with its OVMF_VARS_4M.fd copied as bootvars",
			path, rom_path);
		return -1;
	}
	if (want == 0 || want % X86_BOOTVARS_BLOCK) {
		log_error(
			"bootvars %s: bootrom %s (%llu bytes) leaves no room for a variable store below it",
			path, rom_path, (unsigned long long)rom->size);
		return -1;
	}
	if (lstat(path, &st) < 0 && errno == ENOENT &&
	    bootvars_create(path, rom_path, want) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_error(
			"bootvars %s: %s (the variable store must be writable)",
			path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("bootvars %s: not a regular file", path);
		close(fd);
		return -1;
	}
	/* Root may write a file nobody may write: that is not meant. */
	if (!(st.st_mode & 0222)) {
		log_error(
			"bootvars %s: read-only (mode %04o); the variable store must be writable",
			path, (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size != want) {
		log_error(
			"bootvars %s: %llu bytes, but bootrom %s needs a variable store of %llu bytes (its own OVMF_VARS file)",
			path, (unsigned long long)st.st_size, rom_path,
			(unsigned long long)want);
		close(fd);
		return -1;
	}
	if (image_lock(fd, true, "bootvars", path) < 0) {
		close(fd);
		return -1;
	}
	vars->fd = fd;
	vars->size = want;
	vars->gpa = rom->gpa - want;
	return 0;
}
