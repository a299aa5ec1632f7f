// SPDX-License-Identifier: MIT
/* A bzImage for the fake hypervisor's tests: see tiny_bzimage.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiny_bzimage.h"

static void wr(uint8_t *b, size_t off, int n, uint64_t v)
{
	for (int i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

void tiny_bzimage_write(int fd, const char *what)
{
	const size_t setup = 5 * 512, payload = 4096;
	static uint8_t b[5 * 512 + 4096];

	b[0x1f1] = 4; /* setup_sects */
	wr(b, 0x1f4, 4, payload / 16); /* syssize */
	wr(b, 0x1fe, 2, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;
	memcpy(b + 0x202, "HdrS", 4);
	wr(b, 0x206, 2, 0x020f);
	b[0x211] = 0x01; /* LOADED_HIGH */
	wr(b, 0x214, 4, 0x100000);
	wr(b, 0x22c, 4, 0x7fffffff); /* initrd_addr_max */
	wr(b, 0x230, 4, 0x200000); /* kernel_alignment */
	b[0x234] = 1; /* relocatable */
	wr(b, 0x236, 2, 0x3); /* XLF_KERNEL_64, above 4G */
	wr(b, 0x238, 4, 0x7ff); /* cmdline_size */
	wr(b, 0x258, 8, 0x1000000); /* pref_address */
	wr(b, 0x260, 4, 1 << 20); /* init_size */
	for (size_t i = 0; i < payload; i++)
		b[setup + i] = (uint8_t)(i * 7);
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		perror(what);
		exit(1);
	}
}
