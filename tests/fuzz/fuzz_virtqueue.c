// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the split virtqueue walker: the input becomes a
 * small guest RAM holding the rings and buffers, as a hostile driver would
 * lay them out; the device pops and pushes until the queue is empty or
 * refuses. The sanitizers catch any access outside guest RAM.
 */
#include <stdint.h>
#include <string.h>

#include "core/guest_ram.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE 0x10000

static struct vq_chain chain;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_ram ram;
	static int ready;
	struct virtqueue vq;
	uint16_t qsize;
	uint64_t features;

	if (!ready) {
		if (guest_ram_alloc(&ram, RAM_SIZE) ||
		    guest_ram_add_region(&ram, 0, RAM_SIZE))
			return 0;
		ready = 1;
	}
	if (size < 2)
		return 0;
	qsize = 1u << (data[0] % 5); /* 1 to 16: the rings fit early */
	features = (uint64_t)(data[1] & 3) << 28; /* INDIRECT, EVENT_IDX */
	memset(ram.host, 0, RAM_SIZE);
	memcpy(ram.host, data + 2, size - 2 < RAM_SIZE ? size - 2 : RAM_SIZE);
	if (vq_init(&vq, &ram, qsize, 0x0, 0x100, 0x140, features) < 0)
		return 0;
	for (int i = 0; i < 512; i++) {
		uint16_t old = vq_used_idx(&vq);
		int ret = vq_pop(&vq, &chain);

		if (ret <= 0)
			break;
		for (unsigned int s = 0; s < chain.count; s++) {
			/* Touch every byte the walker handed out. */
			if (chain.seg[s].device_writable)
				memset(chain.seg[s].host, 0xa5,
				       chain.seg[s].len);
			else if (chain.seg[s].len)
				(void)*(volatile uint8_t *)chain.seg[s].host;
		}
		vq_push(&vq, chain.head, (uint32_t)chain.writable);
		(void)vq_need_notify(&vq, old);
	}
	return 0;
}
