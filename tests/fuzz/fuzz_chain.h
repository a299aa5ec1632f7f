/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_FUZZ_CHAIN_H
#define SCORPI_FUZZ_CHAIN_H

/*
 * For the harnesses whose input is a descriptor chain: the chain is built
 * in a buffer as vq_pop hands chains out (readable segments first, none
 * empty), so a harness checks what a device does with any chain.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "virtio/virtqueue.h"

#define FUZZ_BUF_SIZE 65536

#define require(cond)                     \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

/*
 * nseg segments from 3 bytes each of spec: le16 length (mod 4096, plus
 * 1), then bit 0 set for a device-writable one.
 */
static inline void fuzz_chain(struct vq_chain *c, uint8_t *buf,
			      unsigned int nseg, const uint8_t *spec)
{
	unsigned int off = 0;

	memset(c, 0, sizeof(*c));
	for (unsigned int i = 0; i < nseg; i++) {
		const uint8_t *d = spec + 3 * i;
		uint32_t len = (d[0] | d[1] << 8) % 4096 + 1;
		bool writable = (d[2] & 1) || c->writable;

		if (off + len > FUZZ_BUF_SIZE)
			break;
		c->seg[c->count++] =
			(struct vq_seg){ buf + off, off, len, writable };
		if (writable)
			c->writable += len;
		else
			c->readable += len;
		off += len;
	}
}

/* Is [p, p + len) inside one segment of the given direction? */
static inline bool fuzz_in_segment(const struct vq_chain *c, const void *p,
				   size_t len, bool writable)
{
	for (unsigned int i = 0; i < c->count; i++) {
		const struct vq_seg *s = &c->seg[i];
		const uint8_t *b = s->host;

		if (s->device_writable == writable && (const uint8_t *)p >= b &&
		    (const uint8_t *)p + len <= b + s->len)
			return true;
	}
	return false;
}

#endif
