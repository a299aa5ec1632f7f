// SPDX-License-Identifier: MIT
#include <string.h>

#include "../base/lifecycle.h"
#include "port92.h"

void port92_init(struct port92 *p, struct vm_control *control)
{
	p->control = control;
	p->reset_bit = false;
}

void port92_reset(struct port92 *p)
{
	__atomic_store_n(&p->reset_bit, false, __ATOMIC_RELEASE);
}

void port92_access(void *opaque, uint64_t offset, uint8_t *data,
		   unsigned int size, bool is_write)
{
	struct port92 *p = opaque;
	bool set;

	(void)offset;
	if (!is_write) {
		memset(data, 0, size);
		data[0] = PORT92_A20 |
			  (__atomic_load_n(&p->reset_bit, __ATOMIC_ACQUIRE)
				   ? PORT92_RESET
				   : 0);
		return;
	}
	set = data[0] & PORT92_RESET;
	/* The rising edge resets, once, however many vCPUs write. */
	if (!__atomic_exchange_n(&p->reset_bit, set, __ATOMIC_ACQ_REL) && set)
		vm_control_request(p->control, VM_REQ_RESET);
}
