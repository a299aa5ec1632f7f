// SPDX-License-Identifier: MIT
/*
 * The split virtqueue driven by a simulated driver in simulated guest RAM:
 * chains, indirect tables, index wrap, EVENT_IDX, and every way a driver
 * can misbehave, each of which must be refused without touching memory
 * outside guest RAM.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/bus.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE (16u << 20)
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x10000
#define FEAT_INDIRECT (1ull << 28)
#define FEAT_EVENT_IDX (1ull << 29)

static struct guest_ram ram;
static struct vq_chain chain;

static uint8_t *gp(uint64_t gpa)
{
	return guest_ram_ptr(&ram, gpa, 1);
}

static void set_desc(uint64_t table, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = gp(table + 16 * i);

	le_write(d, 8, addr);
	le_write(d + 8, 4, len);
	le_write(d + 12, 2, flags);
	le_write(d + 14, 2, next);
}

/* The driver offers the chain starting at head. */
static void offer(uint16_t head)
{
	uint16_t idx = le_read(gp(AVAIL + 2), 2);

	le_write(gp(AVAIL + 4 + 2 * (idx % QSIZE)), 2, head);
	le_write(gp(AVAIL + 2), 2, idx + 1);
}

static void setup(struct virtqueue *vq, uint64_t features, uint16_t start)
{
	memset(gp(0), 0, 0x20000);
	le_write(gp(AVAIL + 2), 2, start);
	CHECK_EQ(vq_init(vq, &ram, QSIZE, DESC, AVAIL, USED, features), 0);
	vq->last_avail_idx = vq->used_idx = start;
	le_write(gp(USED + 2), 2, start);
}

static void test_single_and_chain(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 0);
	CHECK_EQ(vq_pop(&vq, &chain), 0); /* empty */
	set_desc(DESC, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF + 0x100, 512, VIRTQ_DESC_F_NEXT, 2);
	set_desc(DESC, 2, BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 0);
	CHECK_EQ(chain.count, 3);
	CHECK_EQ(chain.readable, 528);
	CHECK_EQ(chain.writable, 1);
	CHECK(chain.seg[0].host == gp(BUF));
	CHECK(!chain.seg[1].device_writable);
	CHECK(chain.seg[2].device_writable);
	CHECK_EQ(vq_pop(&vq, &chain), 0);
	vq_push(&vq, 0, 1);
	CHECK_EQ(le_read(gp(USED + 2), 2), 1);
	CHECK_EQ(le_read(gp(USED + 4), 4), 0);
	CHECK_EQ(le_read(gp(USED + 8), 4), 1);
}

static void test_indirect(void)
{
	struct virtqueue vq;
	uint64_t table = 0x8000;

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(table, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(table, 1, BUF + 0x100, 64, VIRTQ_DESC_F_WRITE, 0);
	set_desc(DESC, 3, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(3);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 3);
	CHECK_EQ(chain.count, 2);
	CHECK_EQ(chain.readable, 16);
	CHECK_EQ(chain.writable, 64);

	/* Not negotiated: refused. */
	setup(&vq, 0, 0);
	set_desc(DESC, 3, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(3);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_INDIRECT);
}

static void test_wrap(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 65533);
	for (unsigned int n = 0; n < 6; n++) {
		uint16_t old = vq_used_idx(&vq);

		set_desc(DESC, n % QSIZE, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
		offer(n % QSIZE);
		CHECK_EQ(vq_pop(&vq, &chain), 1);
		CHECK_EQ(chain.head, n % QSIZE);
		vq_push(&vq, chain.head, 8);
		CHECK_EQ(vq_used_idx(&vq), (uint16_t)(old + 1));
	}
	CHECK_EQ(vq.last_avail_idx, 3); /* 65533 + 6 wraps to 3 */
	CHECK_EQ(le_read(gp(USED + 2), 2), 3);
	/* The used element for index 65535 sits in slot 65535 % 8 = 7. */
	CHECK_EQ(le_read(gp(USED + 4 + 8 * 7), 4), 2);
}

static void test_event_idx(void)
{
	struct virtqueue vq;
	uint64_t used_event = AVAIL + 4 + 2 * QSIZE;
	uint64_t avail_event = USED + 4 + 8 * QSIZE;

	setup(&vq, FEAT_EVENT_IDX, 0);
	set_desc(DESC, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	/* The device tells the driver how far it has read. */
	CHECK_EQ(le_read(gp(avail_event), 2), 1);
	vq_push(&vq, 0, 8);
	le_write(gp(used_event), 2, 0); /* interrupt after entry 0 */
	CHECK(vq_need_notify(&vq, 0));
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	vq_push(&vq, 0, 8);
	/* used_event still 0: idx went 1 -> 2, past it already: no. */
	CHECK(!vq_need_notify(&vq, 1));
	le_write(gp(used_event), 2, 1);
	CHECK(vq_need_notify(&vq, 1));
	CHECK(!vq_need_notify(&vq, 2)); /* nothing new */
	/* Without EVENT_IDX the NO_INTERRUPT flag decides. */
	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	vq_push(&vq, 0, 8);
	CHECK(vq_need_notify(&vq, 0));
	le_write(gp(AVAIL), 2, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(!vq_need_notify(&vq, 0));
}

/* Each misbehaviour: its own error, and state that stays usable. */
static void test_containment(void)
{
	struct virtqueue vq;

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(DESC, 0, RAM_SIZE - 8, 16, 0, 0); /* straddles RAM's end */
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_BUFFER);
	CHECK_EQ(vq.last_avail_idx, 0);

	setup(&vq, 0, 0);
	set_desc(DESC, 0, UINT64_MAX - 4, 16, 0, 0); /* wraps */
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_BUFFER);

	setup(&vq, 0, 0);
	set_desc(DESC, 0, 0x80000000ull, 16, 0, 0); /* beyond RAM */
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_BUFFER);

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 16, VIRTQ_DESC_F_NEXT, 0); /* a loop */
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_LOOP);

	setup(&vq, 0, 0);
	offer(QSIZE); /* head beyond the queue */
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_INDEX);

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 200); /* next beyond */
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_INDEX);

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 16, 0, 0); /* readable after writable */
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_DIRECTION);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(DESC, 0, 0x8000, 24, VIRTQ_DESC_F_INDIRECT, 0); /* not x16 */
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_INDIRECT);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(0x8000, 0, 0x9000, 16, VIRTQ_DESC_F_INDIRECT, 0); /* nested */
	set_desc(DESC, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_INDIRECT);

	setup(&vq, FEAT_INDIRECT, 0);
	set_desc(0x8000, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(0x8000, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0); /* indirect loop */
	set_desc(DESC, 0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_LOOP);

	setup(&vq, 0, 0);
	le_write(gp(AVAIL + 2), 2, QSIZE + 1); /* more than the queue holds */
	CHECK_EQ(vq_pop(&vq, &chain), VQ_ERR_AVAIL);

	/* Rings outside RAM or misaligned are refused at set-up. */
	CHECK_EQ(vq_init(&vq, &ram, QSIZE, RAM_SIZE - 64, AVAIL, USED, 0),
		 VQ_ERR_RING);
	CHECK_EQ(vq_init(&vq, &ram, QSIZE, DESC + 8, AVAIL, USED, 0),
		 VQ_ERR_RING);
	CHECK_EQ(vq_init(&vq, &ram, 3, DESC, AVAIL, USED, 0), VQ_ERR_RING);
	CHECK(strlen(vq_error_str(VQ_ERR_LOOP)) > 0);
}

/* A zero-length descriptor is legal and harmless. */
static void test_zero_length(void)
{
	struct virtqueue vq;

	setup(&vq, 0, 0);
	set_desc(DESC, 0, BUF, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC, 1, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	CHECK_EQ(vq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.writable, 4);
}

static void test_init_ram(void)
{
	CHECK_EQ(guest_ram_alloc(&ram, RAM_SIZE), 0);
	CHECK_EQ(guest_ram_add_region(&ram, 0, RAM_SIZE), 0);
}

TEST_MAIN(TEST(test_init_ram), TEST(test_single_and_chain), TEST(test_indirect),
	  TEST(test_wrap), TEST(test_event_idx), TEST(test_containment),
	  TEST(test_zero_length))
