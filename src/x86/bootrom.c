// SPDX-License-Identifier: MIT
/*
 * Firmware images. A UEFI image is a run of firmware volumes (PI spec
 * vol. 3, 3.2.1: "_FVH" at offset 40 of each volume header) ending in
 * the reset vector; OVMF's unified image begins with the volume that
 * holds the variable store, whose file-system GUID says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/log.h"
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
