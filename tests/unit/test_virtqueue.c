// SPDX-License-Identifier: MIT
/*
 * The split virtqueue driven by a simulated driver in simulated guest RAM
 * (16 MiB at 0 and 16 MiB at 4 GiB, one host mapping, so a buffer that
 * crosses a region's end would be host memory but not guest RAM): chains,
 * indirect tables, index wrap, notification suppression, and every way a
 * driver can misbehave, each refused with its own error without touching
 * memory outside guest RAM.
 */
#include <stdlib.h>
#include <string.h>

#include "base/bus.h"
#include "check.h"
#include "virtio/virtqueue.h"

#define MiB (1ull << 20)
#define LO_SIZE (16 * MiB)
#define HI (4ull << 30)
#define HI_SIZE (16 * MiB)
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define TABLE 0x8000
#define BUF 0x10000
#define FEAT_INDIRECT (1ull << VIRTIO_F_RING_INDIRECT_DESC)
#define FEAT_EVENT_IDX (1ull << VIRTIO_F_RING_EVENT_IDX)

#define R 0 /* device-readable */
#define W VIRTQ_DESC_F_WRITE
#define N VIRTQ_DESC_F_NEXT
#define I VIRTQ_DESC_F_INDIRECT

static struct guest_ram ram;
static struct vq_chain chain;

/* The driver's view of one queue. */
struct drv {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
};

static struct drv d8 = { QSIZE, DESC, AVAIL, USED, 0 };

static uint8_t *gp(uint64_t gpa)
{
	uint8_t *p = guest_ram_ptr(&ram, gpa, 1);

	if (!p)
		abort(); /* a bug in the test itself */
	return p;
}

static uint64_t rd(uint64_t gpa, unsigned int n)
{
	return le_read(gp(gpa), n);
}

static void wr(uint64_t gpa, unsigned int n, uint64_t v)
{
	le_write(gp(gpa), n, v);
}

static void set_desc(uint64_t table, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t p = table + 16ull * i;

	wr(p, 8, addr);
	wr(p + 8, 4, len);
	wr(p + 12, 2, flags);
	wr(p + 14, 2, next);
}

/* The driver offers the chain starting at head. */
static void offer(struct drv *d, uint16_t head)
{
	wr(d->avail + 4 + 2 * (d->avail_idx % d->size), 2, head);
	d->avail_idx++;
	wr(d->avail + 2, 2, d->avail_idx);
}

static uint64_t used_event(const struct drv *d)
{
	return d->avail + 4 + 2 * d->size;
}

static uint64_t avail_event(const struct drv *d)
{
	return d->used + 4 + 8 * d->size;
}

/* A queue whose indices have already run to `start`. */
static void setup_drv(struct virtqueue *vq, struct drv *d, uint64_t features,
		      uint16_t start)
{
	memset(gp(d->desc), 0, 16 * d->size);
	memset(gp(d->avail), 0, 6 + 2 * d->size);
	memset(gp(d->used), 0, 6 + 8 * d->size);
	/* A sentinel to show what the device writes there. */
	wr(avail_event(d), 2, 0xdead);
	d->avail_idx = start;
	wr(d->avail + 2, 2, start);
	wr(d->used + 2, 2, start);
	CHECK_EQ(vq_init(vq, &ram, d->size, d->desc, d->avail, d->used,
			 features),
		 0);
	CHECK(vq->ready);
	vq->last_avail_idx = vq->used_idx = start;
}

static void setup(struct virtqueue *vq, uint64_t features, uint16_t start)
{
	setup_drv(vq, &d8, features, start);
}

static void test_init_ram(void)
{
	CHECK_EQ(guest_ram_alloc(&ram, LO_SIZE + HI_SIZE), 0);
	CHECK_EQ(guest_ram_add_region(&ram, 0, LO_SIZE), 0);
	CHECK_EQ(guest_ram_add_region(&ram, HI, HI_SIZE), 0);
}

static void test_single(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 0); /* empty */
	set_desc(DESC, 5, BUF + 3, 100, R, 0);
	offer(&d8, 5);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 5);
	CHECK_EQ(chain.count, 1);
	CHECK(chain.seg[0].host == gp(BUF + 3));
	CHECK_EQ(chain.seg[0].gpa, BUF + 3);
	CHECK_EQ(chain.seg[0].len, 100);
	CHECK(!chain.seg[0].device_writable);
	CHECK_EQ(chain.readable, 100);
	CHECK_EQ(chain.writable, 0);
	CHECK_EQ(vq.last_avail_idx, 1);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	CHECK_EQ(rd(USED + 2, 2), 0); /* nothing used yet */
	vq_push(&vq, 5, 0);
	CHECK_EQ(vq_used_idx(&vq), 1);
	CHECK_EQ(rd(USED + 2, 2), 1);
	CHECK_EQ(rd(USED + 4, 4), 5);
	CHECK_EQ(rd(USED + 8, 4), 0);
}

/* Readable then writable, several chains in flight, used out of order. */
static void test_chain_mixed(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 16, R | N, 1);
	set_desc(DESC, 1, BUF + 0x100, 512, R | N, 2);
	set_desc(DESC, 2, BUF + 0x400, 1, W | N, 7);
	set_desc(DESC, 7, BUF + 0x800, 0x1000, W, 0);
	set_desc(DESC, 3, BUF + 0x2000, 64, W, 0);
	offer(&d8, 0);
	offer(&d8, 3);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 0);
	CHECK_EQ(chain.count, 4);
	CHECK_EQ(chain.readable, 528);
	CHECK_EQ(chain.writable, 0x1001);
	CHECK(chain.seg[0].host == gp(BUF));
	CHECK(chain.seg[1].host == gp(BUF + 0x100));
	CHECK(chain.seg[2].host == gp(BUF + 0x400));
	CHECK(chain.seg[3].host == gp(BUF + 0x800));
	CHECK(!chain.seg[0].device_writable && !chain.seg[1].device_writable);
	CHECK(chain.seg[2].device_writable && chain.seg[3].device_writable);
	CHECK_EQ(chain.seg[3].len, 0x1000);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 3);
	CHECK_EQ(chain.count, 1);
	CHECK_EQ(chain.readable, 0);
	CHECK_EQ(chain.writable, 64);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	/* The second chain completes first. */
	vq_push(&vq, 3, 64);
	vq_push(&vq, 0, 0x1001);
	CHECK_EQ(rd(USED + 2, 2), 2);
	CHECK_EQ(rd(USED + 4, 4), 3);
	CHECK_EQ(rd(USED + 8, 4), 64);
	CHECK_EQ(rd(USED + 12, 4), 0);
	CHECK_EQ(rd(USED + 16, 4), 0x1001);
}

static void test_indirect(void)
{
	struct virtqueue vq;

	setup(&vq, FEAT_INDIRECT, 0);
	/* The table's own indices, not in order. */
	set_desc(TABLE, 0, BUF, 16, R | N, 2);
	set_desc(TABLE, 2, BUF + 0x100, 8, R | N, 1);
	set_desc(TABLE, 1, BUF + 0x200, 64, W, 0);
	/* WRITE on the descriptor that points to the table is ignored. */
	set_desc(DESC, 3, TABLE, 48, I | W, 0);
	offer(&d8, 3);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 3);
	CHECK_EQ(chain.count, 3);
	CHECK_EQ(chain.readable, 24);
	CHECK_EQ(chain.writable, 64);
	CHECK(chain.seg[1].host == gp(BUF + 0x100));
	CHECK(chain.seg[2].device_writable);

	/* Direct buffers, then a table ending the chain; table unaligned. */
	set_desc(TABLE + 0x108, 0, BUF + 0x300, 4, R | N, 1);
	set_desc(TABLE + 0x108, 1, HI + 0x1000, 32, W, 0);
	set_desc(DESC, 4, BUF, 8, R | N, 6);
	set_desc(DESC, 6, TABLE + 0x108, 32, I, 0);
	offer(&d8, 4);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 4);
	CHECK_EQ(chain.count, 3);
	CHECK_EQ(chain.readable, 12);
	CHECK_EQ(chain.writable, 32);
	CHECK(chain.seg[2].host == guest_ram_ptr(&ram, HI + 0x1000, 32));
	CHECK_EQ(chain.seg[2].gpa, HI + 0x1000);

	/* A table in the high region, with a zero-length entry. */
	set_desc(HI + 0x2000, 0, BUF, 1, R | N, 1);
	set_desc(HI + 0x2000, 1, 0, 0, W | N, 2);
	set_desc(HI + 0x2000, 2, BUF, 2, W, 0);
	set_desc(DESC, 0, HI + 0x2000, 48, I, 0);
	offer(&d8, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.count, 2);
	CHECK_EQ(chain.readable, 1);
	CHECK_EQ(chain.writable, 2);
	CHECK_EQ(vq_pop(&vq, &chain), 0);

	/* Exactly VQ_MAX_SEGS buffers in one table. */
	for (unsigned int i = 0; i < VQ_MAX_SEGS; i++)
		set_desc(HI + 0x10000, i, BUF + i, 1,
			 i < VQ_MAX_SEGS - 1 ? R | N : R, i + 1);
	set_desc(DESC, 1, HI + 0x10000, 16 * VQ_MAX_SEGS, I, 0);
	offer(&d8, 1);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.count, VQ_MAX_SEGS);
	CHECK_EQ(chain.readable, VQ_MAX_SEGS);
	CHECK(chain.seg[VQ_MAX_SEGS - 1].host == gp(BUF + VQ_MAX_SEGS - 1));
}

/* 16-bit free-running indices across 65535, one chain at a time. */
static void test_wrap(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 65530);
	for (unsigned int n = 0; n < 12; n++) {
		uint16_t old = vq_used_idx(&vq);

		set_desc(DESC, n % QSIZE, BUF + n, 8, W, 0);
		offer(&d8, n % QSIZE);
		CHECK_EQ(vq_pop(&vq, &chain), 1);
		CHECK_EQ(chain.head, n % QSIZE);
		CHECK(chain.seg[0].host == gp(BUF + n));
		vq_push(&vq, chain.head, n);
		CHECK_EQ(vq_used_idx(&vq), (uint16_t)(old + 1));
		CHECK_EQ(rd(USED + 2, 2), (uint16_t)(old + 1));
		/* The element for index old sits in slot old % size. */
		CHECK_EQ(rd(USED + 4 + 8 * (old % QSIZE), 4), n % QSIZE);
		CHECK_EQ(rd(USED + 8 + 8 * (old % QSIZE), 4), n);
		CHECK_EQ(vq_pop(&vq, &chain), 0);
	}
	CHECK_EQ(vq.last_avail_idx, 6); /* 65530 + 12 wraps to 6 */
	CHECK_EQ(rd(USED + 2, 2), 6);
}

/* A full ring offered across the wrap, then taken in one batch. */
static void test_wrap_full_ring(void)
{
	struct virtqueue vq;

	setup(&vq, FEAT_EVENT_IDX, 65532);
	for (unsigned int n = 0; n < QSIZE; n++) {
		set_desc(DESC, n, BUF + 16 * n, 16, W, 0);
		offer(&d8, QSIZE - 1 - n);
	}
	CHECK_EQ(rd(AVAIL + 2, 2), 4);
	for (unsigned int n = 0; n < QSIZE; n++) {
		CHECK_EQ(vq_pop(&vq, &chain), 1);
		CHECK_EQ(chain.head, QSIZE - 1 - n);
		vq_push(&vq, chain.head, 16);
	}
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	CHECK_EQ(vq.last_avail_idx, 4);
	CHECK_EQ(rd(USED + 2, 2), 4);
	CHECK_EQ(rd(avail_event(&d8), 2), 4);
	/* The first used entry (idx 65532) is in slot 4, the last in 3. */
	CHECK_EQ(rd(USED + 4 + 8 * 4, 4), QSIZE - 1);
	CHECK_EQ(rd(USED + 4 + 8 * 3, 4), 0);
}

/* The largest queue, its indices wrapping through its ring slots. */
static void test_max_size(void)
{
	struct drv d = { VQ_MAX_SIZE, 0x100000, 0x200000, 0x300000, 0 };
	struct virtqueue vq;

	setup_drv(&vq, &d, 0, 65535);
	set_desc(d.desc, VQ_MAX_SIZE - 1, HI, 4096, W, 0);
	set_desc(d.desc, 0, BUF, 4, R | N, VQ_MAX_SIZE - 1);
	offer(&d, 0);
	offer(&d, VQ_MAX_SIZE - 1);
	CHECK_EQ(rd(d.avail + 4 + 2 * (VQ_MAX_SIZE - 1), 2), 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.count, 2);
	CHECK_EQ(chain.writable, 4096);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, VQ_MAX_SIZE - 1);
	vq_push(&vq, 0, 4096);
	vq_push(&vq, VQ_MAX_SIZE - 1, 0);
	CHECK_EQ(rd(d.used + 2, 2), 1);
	CHECK_EQ(rd(d.used + 4 + 8 * (VQ_MAX_SIZE - 1), 4), 0);
	CHECK_EQ(rd(d.used + 4, 4), VQ_MAX_SIZE - 1);
}

/* The spec's vring_need_event, written out as 2.7.10 states it. */
static int ref_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* need_notify after `pushes` pushes from `old`, with used_event = event. */
static bool notify_after(struct virtqueue *vq, uint16_t old,
			 unsigned int pushes, uint16_t event)
{
	vq->used_idx = old;
	for (unsigned int i = 0; i < pushes; i++)
		vq_push(vq, 0, 0);
	wr(used_event(&d8), 2, event);
	return vq_need_notify(vq, old);
}

static void test_event_idx_need_notify(void)
{
	static const uint16_t olds[] = { 0,	1,     7,     100,   32767,
					 32768, 65530, 65533, 65534, 65535 };
	struct virtqueue vq;

	setup(&vq, FEAT_EVENT_IDX, 0);
	/* One push from 10 to 11: only used_event == 10 asks. */
	CHECK(notify_after(&vq, 10, 1, 10));
	CHECK(!notify_after(&vq, 10, 1, 11));
	CHECK(!notify_after(&vq, 10, 1, 9));
	/* Three pushes 10 -> 13: used_event in [10, 13) asks. */
	CHECK(!notify_after(&vq, 10, 3, 9));
	CHECK(notify_after(&vq, 10, 3, 10));
	CHECK(notify_after(&vq, 10, 3, 12));
	CHECK(!notify_after(&vq, 10, 3, 13));
	CHECK(!notify_after(&vq, 10, 3, 200));
	/* Across the wrap: 65534 -> 2. */
	CHECK(!notify_after(&vq, 65534, 4, 65533));
	CHECK(notify_after(&vq, 65534, 4, 65534));
	CHECK(notify_after(&vq, 65534, 4, 65535));
	CHECK(notify_after(&vq, 65534, 4, 0));
	CHECK(notify_after(&vq, 65534, 4, 1));
	CHECK(!notify_after(&vq, 65534, 4, 2));
	/* No pushes: never. */
	CHECK(!notify_after(&vq, 5, 0, 5));
	/* Every mix of a few olds, push counts and events near them. */
	for (unsigned int o = 0; o < sizeof(olds) / sizeof(olds[0]); o++)
		for (unsigned int p = 0; p <= 2 * QSIZE; p++)
			for (int e = -3; e <= 2 * QSIZE + 3; e++) {
				uint16_t old = olds[o], ev = old + e;

				if (notify_after(&vq, old, p, ev) !=
				    (p && ref_need_event(ev, old + p, old))) {
					fprintf(stderr,
						"old %u pushes %u event %u\n",
						old, p, ev);
					check_failures++;
				}
			}
	/* The avail flags do not matter with EVENT_IDX. */
	wr(AVAIL, 2, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(notify_after(&vq, 10, 1, 10));
}

/* The device side: avail_event follows the device while it wants kicks. */
static void test_event_idx_avail_event(void)
{
	struct virtqueue vq;

	setup(&vq, FEAT_EVENT_IDX, 0);
	CHECK(!vq_enable_notify(&vq));
	CHECK_EQ(rd(avail_event(&d8), 2), 0);
	CHECK_EQ(rd(USED, 2), 0); /* flags untouched with EVENT_IDX */
	set_desc(DESC, 0, BUF, 8, W, 0);
	offer(&d8, 0);
	offer(&d8, 0);
	offer(&d8, 0);
	CHECK(vq_enable_notify(&vq)); /* buffers already waiting */
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	/* Not rewritten per pop, only when the device runs dry... */
	CHECK_EQ(rd(avail_event(&d8), 2), 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	/* ...which publishes how far it has read. */
	CHECK_EQ(rd(avail_event(&d8), 2), 3);

	/* Disabled: the device does not follow, and writes nothing. */
	vq_disable_notify(&vq);
	CHECK_EQ(rd(USED, 2), 0);
	offer(&d8, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	CHECK_EQ(rd(avail_event(&d8), 2), 3);
	CHECK(!vq_enable_notify(&vq));
	CHECK_EQ(rd(avail_event(&d8), 2), 4);

	/* Near the wrap. */
	setup(&vq, FEAT_EVENT_IDX, 65535);
	offer(&d8, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	CHECK_EQ(rd(avail_event(&d8), 2), 0);
	CHECK(!vq_enable_notify(&vq));
}

/* Without EVENT_IDX: the flags words. */
static void test_no_interrupt(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 8, W, 0);
	offer(&d8, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK(!vq_need_notify(&vq, 0)); /* nothing pushed yet */
	vq_push(&vq, 0, 8);
	CHECK(vq_need_notify(&vq, 0));
	wr(AVAIL, 2, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(!vq_need_notify(&vq, 0));
	wr(AVAIL, 2, 0);
	/* used_event is ignored without EVENT_IDX. */
	wr(used_event(&d8), 2, 100);
	CHECK(vq_need_notify(&vq, 0));

	CHECK_EQ(vq_pop(&vq, &chain), 0);
	CHECK_EQ(rd(avail_event(&d8), 2), 0xdead); /* never written */
	vq_disable_notify(&vq);
	CHECK_EQ(rd(USED, 2), VIRTQ_USED_F_NO_NOTIFY);
	CHECK(!vq_enable_notify(&vq));
	CHECK_EQ(rd(USED, 2), 0);
	vq_disable_notify(&vq);
	offer(&d8, 0);
	CHECK(vq_enable_notify(&vq));
	CHECK_EQ(rd(USED, 2), 0);
	CHECK_EQ(rd(avail_event(&d8), 2), 0xdead);
}

/* Each misbehaviour: its own error, the chain not taken, nothing broken. */
static void expect_error(struct virtqueue *vq, int err)
{
	uint16_t last = vq->last_avail_idx, used = vq->used_idx;

	CHECK_EQ(vq_pop(vq, &chain), err);
	CHECK_EQ(vq_pop(vq, &chain), err); /* the same again */
	CHECK_EQ(vq->last_avail_idx, last);
	CHECK_EQ(vq->used_idx, used);
	CHECK_EQ(rd(vq->used_gpa + 2, 2), used);
	CHECK(chain.count <= VQ_MAX_SEGS);
}

/* The driver fixes the descriptor at `head`: the queue goes on. */
static void expect_recovers(struct virtqueue *vq, uint16_t head)
{
	set_desc(vq->desc_gpa, head, BUF, 4, W, 0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(chain.head, head);
	CHECK_EQ(chain.writable, 4);
	vq_push(vq, head, 4);
}

static void test_err_index(void)
{
	struct virtqueue vq;

	setup(&vq, FEAT_INDIRECT, 0);
	offer(&d8, QSIZE); /* head beyond the queue */
	expect_error(&vq, VQ_ERR_INDEX);
	wr(AVAIL + 4, 2, 2);
	expect_recovers(&vq, 2);

	setup(&vq, 0, 0);
	offer(&d8, 65535);
	expect_error(&vq, VQ_ERR_INDEX);

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 16, R | N, QSIZE); /* next beyond */
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_INDEX);
	expect_recovers(&vq, 0);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 16, R | N, 2); /* beyond its 2 entries */
	set_desc(DESC, 0, TABLE, 32, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_INDEX);
	expect_recovers(&vq, 0);
}

static void test_err_buffer(void)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ LO_SIZE - 8, 16 }, /* straddles the end of the low region */
		{ LO_SIZE, 1 }, /* just past it */
		{ 0x80000000, 16 }, /* in the hole */
		{ HI - 8, 16 }, /* into the high region from below */
		{ HI + HI_SIZE - 1, 2 }, /* straddles the end of the high one */
		{ HI + HI_SIZE, 1 },
		{ UINT64_MAX - 4, 16 }, /* addr + len wraps */
		{ UINT64_MAX, 1 },
		{ 0, UINT32_MAX }, /* larger than the region */
	};
	struct virtqueue vq;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup(&vq, 0, 0);
		set_desc(DESC, 0, BUF, 8, R | N, 1);
		set_desc(DESC, 1, bad[i].addr, bad[i].len, W, 0);
		offer(&d8, 0);
		expect_error(&vq, VQ_ERR_BUFFER);
		expect_recovers(&vq, 0);
	}
	/* The edges themselves are fine. */
	setup(&vq, 0, 0);
	set_desc(DESC, 0, LO_SIZE - 16, 16, R | N, 1);
	set_desc(DESC, 1, HI + HI_SIZE - 16, 16, W, 0);
	offer(&d8, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK(chain.seg[1].host == guest_ram_ptr(&ram, HI + HI_SIZE - 16, 16));

	/* An indirect table outside RAM, or straddling a region's end. */
	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(DESC, 0, LO_SIZE - 16, 32, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_BUFFER);
	set_desc(DESC, 0, UINT64_MAX - 15, 32, I, 0);
	expect_error(&vq, VQ_ERR_BUFFER);
	/* A bad buffer inside a good table. */
	set_desc(TABLE, 0, HI + HI_SIZE - 4, 8, W, 0);
	set_desc(DESC, 0, TABLE, 16, I, 0);
	expect_error(&vq, VQ_ERR_BUFFER);
	expect_recovers(&vq, 0);
}

static void test_err_loop(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 16, R | N, 0); /* to itself */
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_LOOP);
	expect_recovers(&vq, 0);

	setup(&vq, 0, 0);
	set_desc(DESC, 4, BUF, 16, R | N, 5);
	set_desc(DESC, 5, BUF, 16, R | N, 6);
	set_desc(DESC, 6, BUF, 16, R | N, 5); /* back */
	offer(&d8, 4);
	expect_error(&vq, VQ_ERR_LOOP);
	expect_recovers(&vq, 4);

	/* All 8 descriptors once is the longest legal chain. */
	setup(&vq, 0, 0);
	for (unsigned int i = 0; i < QSIZE; i++)
		set_desc(DESC, i, BUF, 16, i < QSIZE - 1 ? R | N : R, i + 1);
	offer(&d8, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.count, QSIZE);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 8, R | N, 1);
	set_desc(TABLE, 1, BUF, 8, R | N, 0); /* a loop in the table */
	set_desc(DESC, 0, TABLE, 32, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_LOOP);
	expect_recovers(&vq, 0);

	/* A loop in a table of 1 entry. */
	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 8, R | N, 0);
	set_desc(DESC, 0, TABLE, 16, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_LOOP);
}

static void test_err_too_long(void)
{
	struct drv d = { 2048, 0x100000, 0x200000, 0x300000, 0 };
	struct virtqueue vq;

	/* VQ_MAX_SEGS + 1 buffers in one table. */
	setup(&vq, FEAT_INDIRECT, 0);
	for (unsigned int i = 0; i <= VQ_MAX_SEGS; i++)
		set_desc(HI, i, BUF, 1, i < VQ_MAX_SEGS ? R | N : R, i + 1);
	set_desc(DESC, 0, HI, 16 * (VQ_MAX_SEGS + 1), I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_TOO_LONG);
	expect_recovers(&vq, 0);

	/* Zero-length buffers count too: no long walks over nothing. */
	setup(&vq, FEAT_INDIRECT, 0);
	for (unsigned int i = 0; i <= VQ_MAX_SEGS; i++)
		set_desc(HI, i, 0, 0, i < VQ_MAX_SEGS ? R | N : R, i + 1);
	set_desc(DESC, 0, HI, 16 * (VQ_MAX_SEGS + 1), I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_TOO_LONG);

	/* Direct buffers and a table together. */
	setup(&vq, FEAT_INDIRECT, 0);
	for (unsigned int i = 0; i < VQ_MAX_SEGS; i++)
		set_desc(HI, i, BUF, 1, i < VQ_MAX_SEGS - 1 ? R | N : R, i + 1);
	set_desc(DESC, 0, BUF, 1, R | N, 1);
	set_desc(DESC, 1, HI, 16 * VQ_MAX_SEGS, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_TOO_LONG);

	/* A legal direct chain longer than VQ_MAX_SEGS in a large queue. */
	setup_drv(&vq, &d, 0, 0);
	for (unsigned int i = 0; i <= VQ_MAX_SEGS; i++)
		set_desc(d.desc, i, BUF, 1, i < VQ_MAX_SEGS ? R | N : R, i + 1);
	offer(&d, 0);
	expect_error(&vq, VQ_ERR_TOO_LONG);
	/* A loop in the largest queue ends at the same bound. */
	d = (struct drv){ VQ_MAX_SIZE, 0x100000, 0x200000, 0x300000, 0 };
	setup_drv(&vq, &d, 0, 0);
	set_desc(d.desc, 0, BUF, 1, R | N, 0);
	offer(&d, 0);
	expect_error(&vq, VQ_ERR_TOO_LONG);
}

static void test_err_direction(void)
{
	struct virtqueue vq;

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(DESC, 0, BUF, 16, W | N, 1);
	set_desc(DESC, 1, BUF, 16, R, 0); /* readable after writable */
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_DIRECTION);
	expect_recovers(&vq, 0);

	/* Inside a table. */
	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 8, W | N, 1);
	set_desc(TABLE, 1, BUF, 8, R, 0);
	set_desc(DESC, 0, TABLE, 32, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_DIRECTION);

	/* From the direct part into the table. */
	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 8, R, 0);
	set_desc(DESC, 0, BUF, 8, W | N, 1);
	set_desc(DESC, 1, TABLE, 16, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_DIRECTION);
}

static void test_err_indirect(void)
{
	struct virtqueue vq;

	/* Not negotiated. */
	setup(&vq, 0, 0);
	set_desc(TABLE, 0, BUF, 8, R, 0);
	set_desc(DESC, 3, TABLE, 16, I, 0);
	offer(&d8, 3);
	expect_error(&vq, VQ_ERR_INDIRECT_FEATURE);
	expect_recovers(&vq, 3);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(DESC, 0, TABLE, 0, I, 0); /* empty table */
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_INDIRECT_LEN);
	set_desc(DESC, 0, TABLE, 24, I, 0); /* not a multiple of 16 */
	expect_error(&vq, VQ_ERR_INDIRECT_LEN);
	set_desc(DESC, 0, TABLE, 8, I, 0);
	expect_error(&vq, VQ_ERR_INDIRECT_LEN);
	expect_recovers(&vq, 0);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 8, R, 0);
	set_desc(DESC, 1, BUF, 8, R, 0);
	set_desc(DESC, 0, TABLE, 16, I | N, 1); /* INDIRECT with NEXT */
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_INDIRECT_NEXT);
	expect_recovers(&vq, 0);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(TABLE + 0x100, 0, BUF, 8, R, 0);
	set_desc(TABLE, 0, BUF, 8, R | N, 1);
	set_desc(TABLE, 1, TABLE + 0x100, 16, I, 0); /* nested */
	set_desc(DESC, 0, TABLE, 32, I, 0);
	offer(&d8, 0);
	expect_error(&vq, VQ_ERR_INDIRECT_NESTED);
	expect_recovers(&vq, 0);
}

static void test_err_avail(void)
{
	struct virtqueue vq;

	/* A full ring is fine; one more is not. */
	setup(&vq, 0, 65530);
	set_desc(DESC, 0, BUF, 8, W, 0);
	wr(AVAIL + 2, 2, (uint16_t)(65530 + QSIZE));
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	setup(&vq, 0, 65530);
	wr(AVAIL + 2, 2, (uint16_t)(65530 + QSIZE + 1));
	expect_error(&vq, VQ_ERR_AVAIL);
	/* Behind the device: as far ahead as it gets. */
	wr(AVAIL + 2, 2, 65529);
	expect_error(&vq, VQ_ERR_AVAIL);
	/* The driver puts it right. */
	wr(AVAIL + 2, 2, 65531);
	set_desc(DESC, 0, BUF, 8, W, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
}

/* Rings misaligned, outside RAM or across a region's end: refused. */
static void test_err_ring(void)
{
	static const struct {
		uint16_t size;
		uint64_t desc, avail, used;
	} bad[] = {
		{ 0, DESC, AVAIL, USED },
		{ 3, DESC, AVAIL, USED },
		{ 12, DESC, AVAIL, USED },
		{ 65535, DESC, AVAIL, USED },
		{ QSIZE, DESC + 8, AVAIL, USED }, /* misaligned */
		{ QSIZE, DESC, AVAIL + 1, USED },
		{ QSIZE, DESC, AVAIL, USED + 2 },
		{ QSIZE, LO_SIZE - 64, AVAIL, USED }, /* across the end */
		{ QSIZE, DESC, LO_SIZE - 16, USED },
		{ QSIZE, DESC, AVAIL, LO_SIZE - 64 },
		{ QSIZE, DESC, AVAIL, HI + HI_SIZE - 68 },
		{ QSIZE, 0x80000000, AVAIL, USED }, /* in the hole */
		{ QSIZE, DESC, 0x80000000, USED },
		{ QSIZE, DESC, AVAIL, 0x80000000 },
		{ QSIZE, UINT64_MAX - 15, AVAIL, USED }, /* wraps */
		{ QSIZE, DESC, UINT64_MAX - 1, USED },
		{ QSIZE, DESC, AVAIL, UINT64_MAX - 3 },
		{ VQ_MAX_SIZE, HI + HI_SIZE - 0x40000, AVAIL, 0x300000 },
	};
	struct virtqueue vq;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&vq, 0x55, sizeof(vq));
		CHECK_EQ(vq_init(&vq, &ram, bad[i].size, bad[i].desc,
				 bad[i].avail, bad[i].used, 0),
			 VQ_ERR_RING);
		CHECK(!vq.ready);
		/* A queue that is not ready does nothing. */
		CHECK_EQ(vq_pop(&vq, &chain), 0);
		vq_push(&vq, 0, 0);
		CHECK(!vq_need_notify(&vq, 7));
		CHECK(!vq_enable_notify(&vq));
	}
	/* Exactly at the ends, and in the high region, is fine. */
	CHECK_EQ(vq_init(&vq, &ram, QSIZE, LO_SIZE - 128, LO_SIZE - 22,
			 HI + HI_SIZE - 72, 0),
		 0);
	CHECK_EQ(vq_init(&vq, &ram, VQ_MAX_SIZE, HI, HI + 0x80000,
			 HI + 0x100000, FEAT_EVENT_IDX | FEAT_INDIRECT),
		 0);
	CHECK(vq.ready && vq.event_idx && vq.indirect);
	CHECK_EQ(vq.desc_gpa, HI);
	CHECK_EQ(vq.used_gpa, HI + 0x100000);
}

/* A zero-length descriptor is legal: skipped, whatever its address. */
static void test_zero_length(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 0, R | N, 1);
	set_desc(DESC, 1, BUF, 4, W | N, 2);
	set_desc(DESC, 2, UINT64_MAX, 0, W | N, 3);
	set_desc(DESC, 3, 0x80000000, 0, R, 0);
	offer(&d8, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.count, 1);
	CHECK_EQ(chain.readable, 0);
	CHECK_EQ(chain.writable, 4);
	/* A chain of nothing but a zero-length descriptor. */
	set_desc(DESC, 5, 0, 0, R, 0);
	offer(&d8, 5);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 5);
	CHECK_EQ(chain.count, 0);
	vq_push(&vq, 5, 0);
	CHECK_EQ(rd(USED + 2, 2), 1);
}

static void test_reset(void)
{
	struct virtqueue vq;

	setup(&vq, FEAT_EVENT_IDX, 0);
	set_desc(DESC, 0, BUF, 8, W, 0);
	offer(&d8, 0);
	vq_reset(&vq);
	CHECK(!vq.ready);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	vq_push(&vq, 0, 8);
	CHECK_EQ(rd(USED + 2, 2), 0);
	CHECK(!vq_need_notify(&vq, 0));
	/* Set up again: from index 0. */
	CHECK_EQ(vq_init(&vq, &ram, QSIZE, DESC, AVAIL, USED, 0), 0);
	CHECK_EQ(vq.last_avail_idx, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
}

static void test_error_strings(void)
{
	for (int a = VQ_ERR_TOO_LONG; a <= VQ_ERR_RING; a++) {
		CHECK(strlen(vq_error_str(a)) > 0);
		CHECK(strcmp(vq_error_str(a), vq_error_str(-100)));
		for (int b = a + 1; b <= VQ_ERR_RING; b++)
			CHECK(strcmp(vq_error_str(a), vq_error_str(b)));
	}
}

TEST_MAIN(TEST(test_init_ram), TEST(test_single), TEST(test_chain_mixed),
	  TEST(test_indirect), TEST(test_wrap), TEST(test_wrap_full_ring),
	  TEST(test_max_size), TEST(test_event_idx_need_notify),
	  TEST(test_event_idx_avail_event), TEST(test_no_interrupt),
	  TEST(test_err_index), TEST(test_err_buffer), TEST(test_err_loop),
	  TEST(test_err_too_long), TEST(test_err_direction),
	  TEST(test_err_indirect), TEST(test_err_avail), TEST(test_err_ring),
	  TEST(test_zero_length), TEST(test_reset), TEST(test_error_strings))
