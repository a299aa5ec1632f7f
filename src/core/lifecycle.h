/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_LIFECYCLE_H
#define SCORPI_LIFECYCLE_H

/* What a device or vCPU can ask of the VM; the first request wins. */
enum vm_request {
	VM_REQ_NONE,
	VM_REQ_POWEROFF,
	VM_REQ_RESET,
	VM_REQ_TRIPLE_FAULT,
	VM_REQ_STOP, /* the host asked: signal or console escape */
	VM_REQ_HOST_RESET, /* the host asked for a reset in place */
	VM_REQ_ERROR,
};

struct vm_control {
	void (*request)(void *ctx, enum vm_request req);
	void *ctx;
};

static inline void vm_control_request(const struct vm_control *c,
				      enum vm_request req)
{
	if (c && c->request)
		c->request(c->ctx, req);
}

#endif
