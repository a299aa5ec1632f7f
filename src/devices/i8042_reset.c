// SPDX-License-Identifier: MIT
#include <string.h>

#include "../base/lifecycle.h"
#include "i8042_reset.h"

#define I8042_CMD_PULSE_RESET 0xfe

void i8042_reset_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int size, bool is_write)
{
	(void)offset;
	if (!is_write) {
		memset(data, 0, size); /* both buffers empty */
		return;
	}
	if (data[0] == I8042_CMD_PULSE_RESET)
		vm_control_request(opaque, VM_REQ_RESET);
}
