/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_TEST_TINY_BZIMAGE_H
#define SCORPI_TEST_TINY_BZIMAGE_H

/*
 * The smallest 64-bit bzImage the x86 loader takes (x86_linux_check and
 * _load), for tests on the fake hypervisor, which runs none of it: five
 * setup sectors and a 4 KiB payload, written to the open file fd. Exits
 * the test on a write error.
 */
void tiny_bzimage_write(int fd, const char *what);

#endif
