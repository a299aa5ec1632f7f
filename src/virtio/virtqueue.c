// SPDX-License-Identifier: MIT
/*
 * The split virtqueue. Every address the driver gives is checked against
 * guest RAM, every index against the queue, and every chain against loops
 * and the direction rule, so a misbehaving driver gets an error for its
 * device and never a wild access.
 */
#include <string.h>

#include "../core/bus.h"
#include "virtqueue.h"

#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define DESC_SIZE 16

const char *vq_error_str(int err)
{
	switch (err) {
	case VQ_ERR_RING:
		return "a virtqueue ring lies outside guest RAM";
	case VQ_ERR_INDEX:
		return "a descriptor index beyond the queue";
	case VQ_ERR_BUFFER:
		return "a descriptor buffer outside guest RAM";
	case VQ_ERR_LOOP:
		return "a descriptor chain that loops or is longer than the queue";
	case VQ_ERR_DIRECTION:
		return "a device-readable buffer after a device-writable one";
	case VQ_ERR_INDIRECT:
		return "a malformed indirect descriptor table";
	case VQ_ERR_AVAIL:
		return "the available index ran ahead of the queue";
	default:
		return "a malformed request";
	}
}

int vq_init(struct virtqueue *vq, const struct guest_ram *ram, uint16_t size,
	    uint64_t desc, uint64_t avail, uint64_t used, uint64_t features)
{
	memset(vq, 0, sizeof(*vq));
	if (!size || size > VQ_MAX_SIZE || (size & (size - 1)))
		return VQ_ERR_RING;
	vq->ram = ram;
	vq->size = size;
	vq->event_idx = features & (1ull << VIRTIO_F_RING_EVENT_IDX);
	vq->indirect = features & (1ull << VIRTIO_F_RING_INDIRECT_DESC);
	/* Alignment per 2.7: 16 for descriptors, 2 and 4 for the rings. */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return VQ_ERR_RING;
	vq->desc = guest_ram_ptr(ram, desc, (uint64_t)DESC_SIZE * size);
	vq->avail = guest_ram_ptr(ram, avail, 6 + 2ull * size);
	vq->used = guest_ram_ptr(ram, used, 6 + 8ull * size);
	if (!vq->desc || !vq->avail || !vq->used)
		return VQ_ERR_RING;
	return 0;
}

static uint16_t load16(const uint8_t *p)
{
	return le_read(p, 2);
}

static uint16_t load16_acquire(uint8_t *p)
{
	return __atomic_load_n((uint16_t *)p, __ATOMIC_ACQUIRE);
}

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static void read_desc(const uint8_t *table, unsigned int i, struct vq_desc *d)
{
	const uint8_t *p = table + (size_t)i * DESC_SIZE;

	d->addr = le_read(p, 8);
	d->len = le_read(p + 8, 4);
	d->flags = le_read(p + 12, 2);
	d->next = le_read(p + 14, 2);
}

static int add_seg(const struct virtqueue *vq, struct vq_chain *c,
		   const struct vq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	void *host;

	if (writable ? false : c->writable)
		return VQ_ERR_DIRECTION;
	if (c->count == VQ_MAX_SEGS)
		return VQ_ERR_LOOP;
	host = guest_ram_ptr(vq->ram, d->addr, d->len);
	if (!host)
		return VQ_ERR_BUFFER;
	c->seg[c->count++] = (struct vq_seg){ host, d->addr, d->len, writable };
	if (writable)
		c->writable += d->len;
	else
		c->readable += d->len;
	return 0;
}

/* Walks an indirect table: its own descriptors, no nesting. */
static int walk_indirect(const struct virtqueue *vq, struct vq_chain *c,
			 const struct vq_desc *d)
{
	unsigned int n = d->len / DESC_SIZE, i = 0, visited = 0;
	const uint8_t *table;
	struct vq_desc e;
	int err;

	if (!vq->indirect || !d->len || d->len % DESC_SIZE ||
	    (d->flags & VIRTQ_DESC_F_NEXT))
		return VQ_ERR_INDIRECT;
	table = guest_ram_ptr(vq->ram, d->addr, d->len);
	if (!table)
		return VQ_ERR_BUFFER;
	for (;;) {
		if (i >= n)
			return VQ_ERR_INDEX;
		if (++visited > n)
			return VQ_ERR_LOOP;
		read_desc(table, i, &e);
		if (e.flags & VIRTQ_DESC_F_INDIRECT)
			return VQ_ERR_INDIRECT;
		err = add_seg(vq, c, &e);
		if (err)
			return err;
		if (!(e.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = e.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t avail_idx = load16_acquire(vq->avail + 2);
	uint16_t pending = avail_idx - vq->last_avail_idx;
	unsigned int i, visited = 0;
	struct vq_desc d;
	int err;

	if (!pending)
		return 0;
	if (pending > vq->size)
		return VQ_ERR_AVAIL;
	i = load16(vq->avail + 4 + 2 * (vq->last_avail_idx % vq->size));
	if (i >= vq->size)
		return VQ_ERR_INDEX;
	c->head = i;
	c->count = 0;
	c->readable = c->writable = 0;
	for (;;) {
		if (++visited > vq->size)
			return VQ_ERR_LOOP;
		read_desc(vq->desc, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			err = walk_indirect(vq, c, &d);
		else
			err = add_seg(vq, c, &d);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= vq->size)
			return VQ_ERR_INDEX;
	}
	vq->last_avail_idx++;
	/* With EVENT_IDX, tell the driver how far we have read. */
	if (vq->event_idx)
		__atomic_store_n((uint16_t *)(vq->used + 4 + 8 * vq->size),
				 vq->last_avail_idx, __ATOMIC_RELEASE);
	return 1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	uint8_t *e = vq->used + 4 + 8 * (vq->used_idx % vq->size);

	le_write(e, 4, head);
	le_write(e + 4, 4, written);
	vq->used_idx++;
	/* The element is visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(vq->used + 2), vq->used_idx,
			 __ATOMIC_RELEASE);
}

bool vq_need_notify(struct virtqueue *vq, uint16_t old_used_idx)
{
	uint16_t new_idx = vq->used_idx, event;

	/* The used index must be visible before the driver's flags are read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (new_idx == old_used_idx)
		return false;
	if (!vq->event_idx)
		return !(load16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	event = load16(vq->avail + 4 + 2 * vq->size);
	/* vring_need_event: did we pass used_event since the last time? */
	return (uint16_t)(new_idx - event - 1) <
	       (uint16_t)(new_idx - old_used_idx);
}
