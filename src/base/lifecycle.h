/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_LIFECYCLE_H
#define SCORPI_LIFECYCLE_H

/*
 * What a device, a vCPU or the host can ask of the VM. Requests are a set:
 * none is dropped, and the VM's main thread takes the one that ranks
 * highest: STOP, ERROR, TRIPLE_FAULT, POWEROFF (these end the VM), then
 * RESET and HOST_RESET (these boot it again, unless reboot=exit). Resets
 * asked while one is under way are one reset. A pause gives way to any
 * request.
 */
enum vm_request {
	VM_REQ_NONE,
	VM_REQ_POWEROFF,
	VM_REQ_RESET,
	VM_REQ_TRIPLE_FAULT,
	VM_REQ_STOP, /* the host asked: signal or console escape */
	VM_REQ_HOST_RESET, /* the host asked for a reset in place */
	VM_REQ_ERROR,
	VM_REQ_COUNT,
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
