/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_PORT92_H
#define SCORPI_PORT92_H

#include <stdbool.h>
#include <stdint.h>

/*
 * System control port A (0x92, the PS/2 "fast A20 and reset" port that
 * every PC chipset keeps): bit 0 going from 0 to 1 resets the machine,
 * bit 1 is the A20 gate. KVM has no A20 mask to apply, so A20 stays on
 * and reads as on whatever is written. Firmware (OVMF among others) and
 * old boot loaders use it.
 */
struct vm_control;

struct port92 {
	struct vm_control *control; /* what asks for the reset */
	bool reset_bit; /* bit 0 as last written (atomic: any vCPU) */
};

#define PORT92_RESET 0x01
#define PORT92_A20 0x02

void port92_init(struct port92 *p, struct vm_control *control);
/* A machine reset: bit 0 clear again. */
void port92_reset(struct port92 *p);
void port92_access(void *opaque, uint64_t offset, uint8_t *data,
		   unsigned int size, bool is_write);

#endif
