// SPDX-License-Identifier: MIT
/*
 * System control port A: a rising bit 0 asks for one reset, a bit 0
 * already set does not ask again, A20 always reads as on, and a machine
 * reset clears bit 0.
 */
#include "base/lifecycle.h"
#include "devices/port92.h"

#include "check.h"

static unsigned int resets;

static void count_request(void *ctx, enum vm_request req)
{
	(void)ctx;
	if (req == VM_REQ_RESET)
		resets++;
}

static uint8_t rd(struct port92 *p)
{
	uint8_t v = 0;

	port92_access(p, 0, &v, 1, false);
	return v;
}

static void wr(struct port92 *p, uint8_t v)
{
	port92_access(p, 0, &v, 1, true);
}

static void test_reset_edge(void)
{
	struct vm_control c = { .request = count_request };
	struct port92 p;

	resets = 0;
	port92_init(&p, &c);
	CHECK_EQ(rd(&p), PORT92_A20);
	wr(&p, PORT92_A20);
	CHECK_EQ(resets, 0);
	wr(&p, PORT92_A20 | PORT92_RESET);
	CHECK_EQ(resets, 1);
	CHECK_EQ(rd(&p), PORT92_A20 | PORT92_RESET);
	/* Still set: no second reset. */
	wr(&p, PORT92_RESET);
	CHECK_EQ(resets, 1);
	/* A20 cannot be turned off under KVM: it reads on. */
	wr(&p, 0);
	CHECK_EQ(rd(&p), PORT92_A20);
	wr(&p, PORT92_RESET);
	CHECK_EQ(resets, 2);
	port92_reset(&p);
	CHECK_EQ(rd(&p), PORT92_A20);
}

TEST_MAIN(TEST(test_reset_edge))
