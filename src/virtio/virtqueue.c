// SPDX-License-Identifier: MIT
/*
 * The split virtqueue. Every address the driver gives goes through
 * guest_ram_ptr, every index is checked against its table, and every chain
 * against loops, its length and the direction rule, so a misbehaving
 * driver gets an error for its device and never a wild access.
 *
 * The driver may rewrite the rings while we read them: each descriptor and
 * ring entry is copied once into a local and only the copy is checked and
 * used.
 */
#include <string.h>

#include "../base/bus.h"
#include "virtqueue.h"

#define DESC_SIZE 16

/* Hosts are little-endian, like the rings: the conversions are no-ops. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtqueue.c accesses little-endian rings directly");

static inline uint16_t le16_to_cpu(uint16_t v)
{
	return v;
}

static inline uint16_t cpu_to_le16(uint16_t v)
{
	return v;
}

/* Ring offsets (virtio 1.2, 2.7.6 and 2.7.8). */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING(i) (4 + 2 * (size_t)(i))
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING(i) (4 + 8 * (size_t)(i))

/* Compiler barrier: locals copied from guest memory are not re-read. */
#define barrier() __asm__ __volatile__("" ::: "memory")

const char *vq_error_str(int err)
{
	switch (err) {
	case VQ_ERR_RING:
		return "a virtqueue ring is misaligned or lies outside guest RAM";
	case VQ_ERR_INDEX:
		return "a descriptor index beyond the descriptor table";
	case VQ_ERR_BUFFER:
		return "a descriptor buffer outside guest RAM";
	case VQ_ERR_LOOP:
		return "a descriptor chain that loops or is longer than its table";
	case VQ_ERR_DIRECTION:
		return "a device-readable buffer after a device-writable one";
	case VQ_ERR_INDIRECT_FEATURE:
		return "an indirect descriptor without VIRTIO_F_INDIRECT_DESC";
	case VQ_ERR_AVAIL:
		return "the available index ran more than the queue size ahead";
	case VQ_ERR_INDIRECT_LEN:
		return "an indirect table whose length is 0 or not a multiple of 16";
	case VQ_ERR_INDIRECT_NEXT:
		return "a descriptor with both INDIRECT and NEXT";
	case VQ_ERR_INDIRECT_NESTED:
		return "an indirect descriptor inside an indirect table";
	case VQ_ERR_TOO_LONG:
		return "a descriptor chain of more than 1024 buffers";
	default:
		return "a malformed virtqueue";
	}
}

void vq_reset(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
}

int vq_init(struct virtqueue *vq, const struct guest_ram *ram, uint16_t size,
	    uint64_t desc, uint64_t avail, uint64_t used, uint64_t features)
{
	vq_reset(vq);
	if (!size || size > VQ_MAX_SIZE || (size & (size - 1)))
		return VQ_ERR_RING;
	/* Alignment per 2.7: 16 for descriptors, 2 and 4 for the rings. */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return VQ_ERR_RING;
	vq->desc = guest_ram_ptr(ram, desc, (uint64_t)DESC_SIZE * size);
	vq->avail = guest_ram_ptr(ram, avail, 6 + 2ull * size);
	vq->used = guest_ram_ptr(ram, used, 6 + 8ull * size);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq_reset(vq);
		return VQ_ERR_RING;
	}
	vq->ram = ram;
	vq->size = size;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	vq->event_idx = features & (1ull << VIRTIO_F_RING_EVENT_IDX);
	vq->indirect = features & (1ull << VIRTIO_F_RING_INDIRECT_DESC);
	vq->ready = true;
	return 0;
}

/* The 16-bit ring words are naturally aligned, so accessed atomically. */
static uint16_t ring_load(const uint8_t *ring, size_t off, int order)
{
	return le16_to_cpu(
		__atomic_load_n((const uint16_t *)(ring + off), order));
}

static void ring_store(uint8_t *ring, size_t off, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)(ring + off), cpu_to_le16(v), order);
}

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* An indirect table need not be aligned: read it bytewise. */
static void read_desc(const uint8_t *table, unsigned int i, struct vq_desc *d)
{
	const uint8_t *p = table + (size_t)i * DESC_SIZE;

	d->addr = le_read(p, 8);
	d->len = le_read(p + 8, 4);
	d->flags = le_read(p + 12, 2);
	d->next = le_read(p + 14, 2);
	barrier();
}

struct walk {
	const struct virtqueue *vq;
	struct vq_chain *c;
	unsigned int bufs; /* buffer descriptors seen, zero-length included */
};

/* A descriptor that is a buffer (not an indirect table). */
static int add_buf(struct walk *w, const struct vq_desc *d)
{
	struct vq_chain *c = w->c;
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	void *host;

	if (++w->bufs > VQ_MAX_SEGS)
		return VQ_ERR_TOO_LONG;
	/* Nothing to read or write: whatever its address, skip it. */
	if (!d->len)
		return 0;
	if (!writable && c->writable)
		return VQ_ERR_DIRECTION;
	host = guest_ram_ptr(w->vq->ram, d->addr, d->len);
	if (!host)
		return VQ_ERR_BUFFER;
	c->seg[c->count++] = (struct vq_seg){ host, d->addr, d->len, writable };
	if (writable)
		c->writable += d->len;
	else
		c->readable += d->len;
	return 0;
}

/*
 * Walks the indirect table that d points to: its own descriptors, indexed
 * from 0, at most len / 16 of them visited, none itself indirect (2.7.5.3).
 */
static int walk_indirect(struct walk *w, const struct vq_desc *d)
{
	unsigned int n, i = 0, visited = 0;
	const uint8_t *table;
	struct vq_desc e;
	int err;

	if (!w->vq->indirect)
		return VQ_ERR_INDIRECT_FEATURE;
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return VQ_ERR_INDIRECT_NEXT;
	if (!d->len || d->len % DESC_SIZE)
		return VQ_ERR_INDIRECT_LEN;
	table = guest_ram_ptr(w->vq->ram, d->addr, d->len);
	if (!table)
		return VQ_ERR_BUFFER;
	n = d->len / DESC_SIZE;
	for (;;) {
		if (++visited > n)
			return VQ_ERR_LOOP;
		read_desc(table, i, &e);
		if (e.flags & VIRTQ_DESC_F_INDIRECT)
			return VQ_ERR_INDIRECT_NESTED;
		err = add_buf(w, &e);
		if (err)
			return err;
		if (!(e.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = e.next;
		if (i >= n)
			return VQ_ERR_INDEX;
	}
}

/*
 * Called with the ring found empty while notifications are on: publish
 * avail_event = last_avail_idx, then a full barrier, then re-read
 * avail->idx (see vq_enable_notify in virtqueue.h). Done once per
 * position: until we take another chain, the published value holds.
 */
static uint16_t arm_event(struct virtqueue *vq)
{
	ring_store(vq->used, USED_RING(vq->size), vq->last_avail_idx,
		   __ATOMIC_RELAXED);
	vq->event_armed = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ring_load(vq->avail, AVAIL_IDX, __ATOMIC_ACQUIRE);
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	struct walk w = { vq, c, 0 };
	uint16_t avail_idx, pending;
	unsigned int i, visited = 0;
	struct vq_desc d;
	int err;

	if (!vq->ready)
		return 0;
	/* Acquire: the ring entries and descriptors before the index. */
	avail_idx = ring_load(vq->avail, AVAIL_IDX, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail_idx && vq->event_idx &&
	    !vq->no_notify && !vq->event_armed)
		avail_idx = arm_event(vq);
	pending = avail_idx - vq->last_avail_idx;
	if (!pending)
		return 0;
	if (pending > vq->size)
		return VQ_ERR_AVAIL;
	/* size divides 65536, so the free-running index wraps cleanly. */
	i = ring_load(vq->avail, AVAIL_RING(vq->last_avail_idx % vq->size),
		      __ATOMIC_RELAXED);
	if (i >= vq->size)
		return VQ_ERR_INDEX;
	c->head = i;
	c->count = 0;
	c->readable = c->writable = 0;
	for (;;) {
		if (++visited > vq->size)
			return VQ_ERR_LOOP;
		read_desc(vq->desc, i, &d);
		/* The WRITE flag of an indirect descriptor is ignored. */
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			err = walk_indirect(&w, &d);
		else
			err = add_buf(&w, &d);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= vq->size)
			return VQ_ERR_INDEX;
	}
	vq->last_avail_idx++;
	vq->event_armed = false;
	return 1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	uint8_t *e;

	if (!vq->ready)
		return;
	e = vq->used + USED_RING(vq->used_idx % vq->size);
	le_write(e, 4, head);
	le_write(e + 4, 4, written);
	vq->used_idx++;
	/* Release: the element is visible before the index publishing it. */
	ring_store(vq->used, USED_IDX, vq->used_idx, __ATOMIC_RELEASE);
}

int vq_chain_iov(const struct vq_chain *c, bool writable, size_t skip,
		 size_t len, struct iovec *iov)
{
	int n = 0;

	for (unsigned int i = 0; i < c->count && len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t take;

		if (s->device_writable != writable)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		take = s->len - skip < len ? s->len - skip : len;
		iov[n++] = (struct iovec){ (uint8_t *)s->host + skip, take };
		len -= take;
		skip = 0;
	}
	return n;
}

size_t vq_chain_read(const struct vq_chain *c, size_t skip, void *dst,
		     size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->count && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t n;

		if (s->device_writable)
			break;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = s->len - skip < len - done ? s->len - skip : len - done;
		memcpy((uint8_t *)dst + done, (uint8_t *)s->host + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

size_t vq_chain_write(const struct vq_chain *c, const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->count && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t n = s->len < len - done ? s->len : len - done;

		if (!s->device_writable)
			continue;
		memcpy(s->host, (const uint8_t *)src + done, n);
		done += n;
	}
	return done;
}

void vq_unpop(struct virtqueue *vq, uint16_t n)
{
	vq->last_avail_idx -= n;
	vq->event_armed = false;
}

bool vq_need_notify(struct virtqueue *vq, uint16_t old_used_idx)
{
	uint16_t new_idx = vq->used_idx, event;

	if (!vq->ready || new_idx == old_used_idx)
		return false;
	/*
	 * Full barrier: our used->idx store before our read of the driver's
	 * used_event or flags, which the driver writes before re-reading
	 * used->idx. Otherwise both can miss and the interrupt is lost.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ring_load(vq->avail, AVAIL_FLAGS, __ATOMIC_RELAXED) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	event = ring_load(vq->avail, AVAIL_RING(vq->size), __ATOMIC_RELAXED);
	/* vring_need_event: is used_event in [old, new)? */
	return (uint16_t)(new_idx - event - 1) <
	       (uint16_t)(new_idx - old_used_idx);
}

void vq_disable_notify(struct virtqueue *vq)
{
	if (!vq->ready)
		return;
	vq->no_notify = true;
	if (!vq->event_idx)
		ring_store(vq->used, USED_FLAGS, VIRTQ_USED_F_NO_NOTIFY,
			   __ATOMIC_RELAXED);
}

bool vq_enable_notify(struct virtqueue *vq)
{
	uint16_t avail_idx;

	if (!vq->ready)
		return false;
	vq->no_notify = false;
	if (vq->event_idx) {
		avail_idx = arm_event(vq);
	} else {
		ring_store(vq->used, USED_FLAGS, 0, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = ring_load(vq->avail, AVAIL_IDX, __ATOMIC_ACQUIRE);
	}
	return avail_idx != vq->last_avail_idx;
}
