/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_VIRTQUEUE_H
#define SCORPI_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/guest_ram.h"

#define VQ_MAX_SIZE 32768
/* The most segments one chain may have, direct and indirect together. */
#define VQ_MAX_SEGS 1024

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* How a driver misbehaved; each is contained to its device. */
enum vq_error {
	VQ_ERR_RING = -1, /* the rings are not in guest RAM */
	VQ_ERR_INDEX = -2, /* a descriptor index beyond the queue */
	VQ_ERR_BUFFER = -3, /* a buffer not wholly in guest RAM */
	VQ_ERR_LOOP = -4, /* a chain that loops or outgrows the queue */
	VQ_ERR_DIRECTION = -5, /* a readable buffer after a writable one */
	VQ_ERR_INDIRECT = -6, /* a malformed or unnegotiated indirect table */
	VQ_ERR_AVAIL = -7, /* the available index ran ahead of the queue */
};

struct vq_seg {
	void *host;
	uint64_t gpa;
	uint32_t len;
	bool device_writable;
};

struct vq_chain {
	uint16_t head;
	unsigned int count;
	uint64_t readable, writable; /* byte counts */
	struct vq_seg seg[VQ_MAX_SEGS];
};

/* A split virtqueue (virtio 1.2, 2.7) as its device sees it. */
struct virtqueue {
	const struct guest_ram *ram;
	uint16_t size;
	bool event_idx;
	bool indirect;
	uint8_t *desc; /* host views of the three rings */
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail_idx;
	uint16_t used_idx;
};

/* Sets the queue up; fails with VQ_ERR_RING if a ring is not in RAM. */
int vq_init(struct virtqueue *vq, const struct guest_ram *ram, uint16_t size,
	    uint64_t desc, uint64_t avail, uint64_t used, uint64_t features);
/* 1: chain filled; 0: nothing available; < 0: enum vq_error. */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain);
/* Returns the chain with `written` bytes written into it. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);
static inline uint16_t vq_used_idx(const struct virtqueue *vq)
{
	return vq->used_idx;
}
/* After pushes since old_used_idx: does the driver want an interrupt? */
bool vq_need_notify(struct virtqueue *vq, uint16_t old_used_idx);
const char *vq_error_str(int err);

#endif
