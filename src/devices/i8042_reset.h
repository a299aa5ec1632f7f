/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_I8042_RESET_H
#define SCORPI_I8042_RESET_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The reset line of the PC keyboard controller: port 0x64, where writing
 * 0xFE pulses the CPU reset. There is no keyboard behind it (the FADT says
 * there is no 8042), so its status always reads "nothing to read, ready".
 * opaque is the struct vm_control to ask for the reset.
 */
void i8042_reset_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int size, bool is_write);

#endif
