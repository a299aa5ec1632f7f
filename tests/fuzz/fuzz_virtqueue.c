// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the split virtqueue: the input becomes a small
 * guest RAM holding the rings and buffers, as a hostile driver would lay
 * them out, plus a script of writes the driver makes while the device
 * works. The device pops and pushes until the queue is empty or refuses,
 * and every chain it is handed is checked: each segment wholly in one RAM
 * region (the two regions share one host mapping, so a segment across the
 * hole would be host memory the sanitizers cannot see as wrong), readable
 * before writable, the byte counts right, the head inside the queue.
 *
 * Input: 8 header bytes, then `nscript` 4-byte writes, then RAM contents.
 *   [0] queue size 1 << (b % 9)
 *   [1] mode: bit 0 INDIRECT_DESC, bit 1 EVENT_IDX, bit 2 disable
 *       notifications before each pop, bit 3 enable them when empty,
 *       bit 7 rings placed by [3]
 *   [2] nscript    [3] ring placement    [4..5] start index  [6..7] spare
 */
#include <stdint.h>
#include <string.h>

#include "base/guest_ram.h"
#include "virtio/virtqueue.h"

/* Two regions of 32 KiB at 0 and 0x10000; [0x8000, 0x10000) is a hole. */
#define REGION 0x8000
#define HI_GPA 0x10000
#define RAM_SIZE (2 * REGION)
#define HEADER 8
#define MAX_ITER 512

static struct vq_chain chain;

#define require(cond)                     \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static void check_chain(const struct guest_ram *ram, const struct virtqueue *vq,
			const struct vq_chain *c)
{
	uint64_t readable = 0, writable = 0;

	require(c->head < vq->size);
	require(c->count <= VQ_MAX_SEGS);
	for (unsigned int s = 0; s < c->count; s++) {
		const struct vq_seg *g = &c->seg[s];

		require(g->len > 0);
		require(guest_ram_ptr(ram, g->gpa, g->len) == g->host);
		if (g->device_writable) {
			writable += g->len;
			/* Touch every byte handed out. */
			memset(g->host, 0xa5, g->len);
		} else {
			require(!writable);
			readable += g->len;
			(void)((volatile uint8_t *)g->host)[0];
			(void)((volatile uint8_t *)g->host)[g->len - 1];
		}
	}
	require(readable == c->readable && writable == c->writable);
}

/*
 * The rings packed from 0 (desc, avail, used), so that a short input
 * holds them; with mode bit 7, each moved by (place >> shift & 3) * 0x6000,
 * which may put it across a region's end, into the hole or high up.
 */
static uint64_t ring_gpa(uint8_t mode, uint8_t place, unsigned int shift,
			 uint64_t packed)
{
	if (!(mode & 0x80))
		return packed;
	return (uint64_t)((place >> shift) & 3) * 0x6000 + packed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_ram ram;
	static int ram_ready;
	const uint8_t *script;
	unsigned int nscript;
	struct virtqueue vq;
	uint16_t qsize, start;
	uint64_t features, desc, avail, used;
	uint8_t mode, place;

	if (!ram_ready) {
		if (guest_ram_alloc(&ram, RAM_SIZE) ||
		    guest_ram_add_region(&ram, 0, REGION) ||
		    guest_ram_add_region(&ram, HI_GPA, REGION))
			return 0;
		ram_ready = 1;
	}
	if (size < HEADER)
		return 0;
	qsize = 1u << (data[0] % 9); /* 1 to 256: the rings fit */
	mode = data[1];
	place = data[3];
	features = (uint64_t)(mode & 3) << VIRTIO_F_RING_INDIRECT_DESC;
	nscript = data[2];
	start = data[4] | data[5] << 8;
	if (size < HEADER + 4 * nscript)
		nscript = (size - HEADER) / 4;
	script = data + HEADER;
	data += HEADER + 4 * nscript;
	size -= HEADER + 4 * nscript;

	memset(ram.host, 0, RAM_SIZE);
	memcpy(ram.host, data, size < RAM_SIZE ? size : RAM_SIZE);
	desc = ring_gpa(mode, place, 0, 0);
	avail = ring_gpa(mode, place, 2, 16 * qsize);
	used = ring_gpa(mode, place, 4, (18 * qsize + 6 + 3) & ~3u);
	if ((mode & 0x80) && (place & 0x40))
		used += 2; /* misaligned: refused */
	if (vq_init(&vq, &ram, qsize, desc, avail, used, features) < 0) {
		require(!vq.ready);
		require(vq_pop(&vq, &chain) == 0);
		return 0;
	}
	vq.last_avail_idx = vq.used_idx = start;

	for (unsigned int i = 0; i < MAX_ITER; i++) {
		uint16_t old = vq_used_idx(&vq), last = vq.last_avail_idx;
		int ret;

		/* The driver writes something while the device works. */
		if (i < nscript) {
			const uint8_t *w = script + 4 * i;
			unsigned int off = (w[0] | w[1] << 8) % (RAM_SIZE - 1);

			ram.host[off] = w[2];
			ram.host[off + 1] = w[3];
		}
		if (mode & 4)
			vq_disable_notify(&vq);
		ret = vq_pop(&vq, &chain);
		if (ret < 0) {
			require(ret >= VQ_ERR_TOO_LONG);
			require(vq.last_avail_idx == last);
			require(vq_error_str(ret)[0]);
			break;
		}
		if (ret == 0) {
			require(vq.last_avail_idx == last);
			if (mode & 8)
				(void)vq_enable_notify(&vq);
			/* Go on only while the driver script has more. */
			if (i >= nscript)
				break;
			continue;
		}
		require(ret == 1);
		require(vq.last_avail_idx == (uint16_t)(last + 1));
		check_chain(&ram, &vq, &chain);
		vq_push(&vq, chain.head, (uint32_t)chain.writable);
		require(vq_used_idx(&vq) == (uint16_t)(old + 1));
		(void)vq_need_notify(&vq, old);
	}
	return 0;
}
