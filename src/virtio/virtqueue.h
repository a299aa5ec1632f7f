/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_VIRTQUEUE_H
#define SCORPI_VIRTQUEUE_H

/*
 * The split virtqueue (virtio 1.2, 2.7), transport-independent, as its
 * device sees it. One queue is used by one thread at a time (the device's
 * I/O thread); the driver runs concurrently in the guest, so every word
 * shared with it is read once, checked, and only then used.
 *
 * Ring layout in guest memory, little-endian:
 *   desc  [size] { le64 addr; le32 len; le16 flags; le16 next; }  16 each
 *   avail { le16 flags; le16 idx; le16 ring[size]; le16 used_event; }
 *   used  { le16 flags; le16 idx; { le32 id; le32 len; } ring[size];
 *           le16 avail_event; }
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../base/guest_ram.h"

#define VQ_MAX_SIZE 32768
/*
 * The most buffer descriptors one chain may have, direct and indirect
 * together (zero-length ones included); beyond it vq_pop fails with
 * VQ_ERR_TOO_LONG.
 */
#define VQ_MAX_SEGS 1024

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29

/* How a driver misbehaved; each is contained to its device. */
enum vq_error {
	VQ_ERR_RING = -1, /* bad size, or a ring misaligned or not in RAM */
	VQ_ERR_INDEX = -2, /* a head or next index beyond the table */
	VQ_ERR_BUFFER = -3, /* a buffer (or table) not wholly in one region */
	VQ_ERR_LOOP = -4, /* a chain that loops or outgrows its table */
	VQ_ERR_DIRECTION = -5, /* a readable buffer after a writable one */
	VQ_ERR_INDIRECT_FEATURE = -6, /* INDIRECT without the feature */
	VQ_ERR_AVAIL = -7, /* avail idx more than size ahead of the device */
	VQ_ERR_INDIRECT_LEN = -8, /* an indirect table of 0 or not n * 16 */
	VQ_ERR_INDIRECT_NEXT = -9, /* INDIRECT together with NEXT */
	VQ_ERR_INDIRECT_NESTED = -10, /* INDIRECT inside an indirect table */
	VQ_ERR_TOO_LONG = -11, /* more than VQ_MAX_SEGS buffers */
};

/* One buffer of a chain, wholly inside one region of guest RAM. */
struct vq_seg {
	void *host;
	uint64_t gpa;
	uint32_t len; /* never 0: zero-length descriptors are skipped */
	bool device_writable;
};

/*
 * A descriptor chain as vq_pop hands it out: the readable segments, then
 * the writable ones. The caller owns the storage (it is large: keep it
 * in the device's state, not on a small stack).
 */
struct vq_chain {
	uint16_t head; /* the id to give back to vq_push */
	unsigned int count; /* segments in seg[] */
	uint64_t readable, writable; /* byte counts */
	struct vq_seg seg[VQ_MAX_SEGS];
};

struct virtqueue {
	const struct guest_ram *ram;
	uint16_t size; /* a power of 2, at most VQ_MAX_SIZE */
	bool ready; /* set up by vq_init; all-zero means not ready */
	bool event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint8_t *desc; /* host views of the three rings */
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail_idx; /* the next avail entry the device takes */
	uint16_t used_idx; /* the device's shadow of used->idx */
	bool no_notify; /* the device asked not to be notified */
	bool event_armed; /* avail_event == last_avail_idx, fenced */
};

/*
 * Sets the queue up from the addresses the driver gave and the negotiated
 * features, starting at index 0 (the state after a device reset). Returns
 * 0, or VQ_ERR_RING (queue left not ready) if the size is not a power of 2
 * up to VQ_MAX_SIZE or a ring is misaligned or not wholly in one region of
 * guest RAM. Guest memory is not written.
 */
int vq_init(struct virtqueue *vq, const struct guest_ram *ram, uint16_t size,
	    uint64_t desc, uint64_t avail, uint64_t used, uint64_t features);
/* Back to the state of a device reset: not ready, vq_pop finds nothing. */
void vq_reset(struct virtqueue *vq);

/*
 * Takes the next available chain: 1 and *chain filled; 0 when the ring is
 * empty (or the queue not ready); < 0 an enum vq_error, in which case the
 * chain is not taken (last_avail_idx stays), *chain holds nothing usable,
 * and the device should stop using the queue until a reset (the same
 * error comes back on the next call unless the driver rewrites the ring).
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain);
/*
 * Returns chain `head` to the driver with `written` bytes written into its
 * writable part, and publishes it (used->idx, release ordering).
 */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);
/*
 * An iovec over [skip, skip + len) of the chain's readable or writable
 * part (len SIZE_MAX: to its end); iov has room for the chain's segments.
 * Returns the number of iovecs.
 */
int vq_chain_iov(const struct vq_chain *c, bool writable, size_t skip,
		 size_t len, struct iovec *iov);
/* Copies up to len bytes of the chain's readable part from offset skip. */
size_t vq_chain_read(const struct vq_chain *c, size_t skip, void *dst,
		     size_t len);
/* Copies up to len bytes into the chain's writable part, from its start. */
size_t vq_chain_write(const struct vq_chain *c, const void *src, size_t len);
/*
 * Gives back the last n chains taken and not pushed: the next vq_pop
 * hands them out again (a receive path that found too little room).
 */
void vq_unpop(struct virtqueue *vq, uint16_t n);
static inline uint16_t vq_used_idx(const struct virtqueue *vq)
{
	return vq->used_idx;
}
/*
 * After pushes since old_used_idx (vq_used_idx() before them): does the
 * driver want an interrupt? With EVENT_IDX, whether used->idx went past
 * used_event (vring_need_event); without, unless VIRTQ_AVAIL_F_NO_INTERRUPT.
 */
bool vq_need_notify(struct virtqueue *vq, uint16_t old_used_idx);

/*
 * Notification suppression, device side. A device that processes in a
 * batch does:
 *
 *	for (;;) {
 *		vq_disable_notify(vq);
 *		while ((ret = vq_pop(vq, &chain)) > 0)
 *			process and vq_push;
 *		if (ret < 0 || !vq_enable_notify(vq))
 *			break;
 *	}
 *
 * vq_enable_notify publishes "notify me" (avail_event = last_avail_idx
 * with EVENT_IDX, VIRTQ_USED_F_NO_NOTIFY cleared without), then a full
 * barrier, then re-reads avail->idx and returns true if buffers are
 * already waiting. The driver does the mirror image (publish avail->idx,
 * full barrier, read avail_event or flags), so at least one side sees the
 * other's write: either the driver notifies or the device finds the
 * buffer. Without the barrier, a store buffer can delay our write past
 * our read and both sides miss each other.
 *
 * A device that never disables just pops until empty: while notifications
 * are enabled, vq_pop finding the ring empty does the same publish,
 * barrier and re-check itself (once per position) before returning 0.
 * With EVENT_IDX, disabling writes nothing: avail_event simply stops
 * following last_avail_idx, so the driver stops notifying.
 */
void vq_disable_notify(struct virtqueue *vq);
bool vq_enable_notify(struct virtqueue *vq);

const char *vq_error_str(int err);

#endif
