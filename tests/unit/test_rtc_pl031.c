// SPDX-License-Identifier: MIT
/*
 * The PL031 RTC, driven through its MMIO handler as Linux's rtc-pl031 driver
 * would; its alarm runs for real, through an event loop run here.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "base/event_loop.h"
#include "devices/rtc_pl031.h"

#include "check.h"

#define DR 0x000
#define MR 0x004
#define LR 0x008
#define CR 0x00c
#define IMSC 0x010
#define RIS 0x014
#define MIS 0x018
#define ICR 0x01c

#define TEST_GSI 34
/* Only against a hang: the alarms below are at most 2 seconds away. */
#define HANG_GUARD_SEC 30

static struct {
	bool level;
	unsigned int irq_calls;
	unsigned int irq_bad_gsi;
	struct event_loop *stop_on_irq; /* stop this loop on a rising edge */
	uint32_t dr_at_poll; /* DR when poll_ris saw RIS set */
	struct rtc_pl031 *rtc;
} fake;

static uint32_t rd(struct rtc_pl031 *rtc, unsigned int reg)
{
	uint8_t v[4] = { 0xee, 0xee, 0xee, 0xee };

	rtc_pl031_access(rtc, reg, v, 4, false);
	return v[0] | v[1] << 8 | v[2] << 16 | (uint32_t)v[3] << 24;
}

static void wr(struct rtc_pl031 *rtc, unsigned int reg, uint32_t val)
{
	uint8_t v[4] = { val, val >> 8, val >> 16, val >> 24 };

	rtc_pl031_access(rtc, reg, v, 4, true);
}

static void fake_irq_set(void *ctx, unsigned int gsi, bool level)
{
	(void)ctx;
	if (gsi != TEST_GSI)
		fake.irq_bad_gsi++;
	fake.irq_calls++;
	fake.level = level;
	if (level && fake.stop_on_irq)
		event_loop_stop(fake.stop_on_irq);
}

static struct rtc_pl031 *rtc_new(struct event_loop *loop)
{
	const struct irq_line irq = { fake_irq_set, NULL, TEST_GSI };
	struct rtc_pl031 *rtc;

	memset(&fake, 0, sizeof(fake));
	CHECK(event_loop_init(loop) == 0);
	rtc = rtc_pl031_create(&irq, loop);
	CHECK(rtc != NULL);
	fake.rtc = rtc;
	return rtc;
}

static void rtc_free(struct rtc_pl031 *rtc, struct event_loop *loop)
{
	rtc_pl031_destroy(rtc);
	event_loop_free(loop);
}

/* A timerfd on the loop, every period_ms (0: once, after sec). */
static int loop_timer(struct event_loop *loop, unsigned int sec,
		      unsigned int period_ms, event_fn fn)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = { 0 };

	CHECK(fd >= 0);
	its.it_value.tv_sec = sec;
	its.it_value.tv_nsec = period_ms * 1000000l;
	its.it_interval.tv_nsec = period_ms * 1000000l;
	CHECK(timerfd_settime(fd, 0, &its, NULL) == 0);
	CHECK(event_loop_add(loop, fd, fn, loop) == 0);
	return fd;
}

static bool hung;

static void hang_guard(void *opaque, int fd, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	hung = true;
	event_loop_stop(opaque);
}

/* Polls RIS from the loop's thread, as a guest without interrupts would. */
static void poll_ris(void *opaque, int fd, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	if (rd(fake.rtc, RIS)) {
		fake.dr_at_poll = rd(fake.rtc, DR);
		event_loop_stop(opaque);
	}
}

static void test_ids(void)
{
	static const uint8_t id[8] = { 0x31, 0x10, 0x14, 0x00,
				       0x0d, 0xf0, 0x05, 0xb1 };
	struct event_loop loop;
	struct rtc_pl031 *rtc = rtc_new(&loop);

	for (unsigned int i = 0; i < 8; i++)
		CHECK_EQ(rd(rtc, 0xfe0 + 4 * i), id[i]);
	/* Reserved space reads as zero. */
	CHECK_EQ(rd(rtc, 0x020), 0);
	CHECK_EQ(rd(rtc, 0x800), 0);
	rtc_free(rtc, &loop);
}

static void test_reset_values(void)
{
	struct event_loop loop;
	struct rtc_pl031 *rtc = rtc_new(&loop);

	CHECK_EQ(rd(rtc, CR), 1);
	CHECK_EQ(rd(rtc, MR), 0);
	CHECK_EQ(rd(rtc, LR), 0);
	CHECK_EQ(rd(rtc, IMSC), 0);
	CHECK_EQ(rd(rtc, RIS), 0);
	CHECK_EQ(rd(rtc, MIS), 0);
	CHECK(!fake.level);
	/* The clock cannot be stopped. */
	wr(rtc, CR, 0);
	CHECK_EQ(rd(rtc, CR), 1);
	rtc_free(rtc, &loop);
}

static void test_dr_is_host_time(void)
{
	struct event_loop loop;
	struct rtc_pl031 *rtc = rtc_new(&loop);
	uint32_t before = (uint32_t)time(NULL);
	uint32_t dr = rd(rtc, DR);
	uint32_t after = (uint32_t)time(NULL);

	CHECK(dr >= before && dr <= after);
	/* DR is read-only. */
	wr(rtc, DR, 12345);
	dr = rd(rtc, DR);
	CHECK(dr >= before);
	rtc_free(rtc, &loop);
}

static void test_load(void)
{
	struct event_loop loop;
	struct rtc_pl031 *rtc = rtc_new(&loop);
	uint32_t before, after, dr;

	/* Linux's set_time writes LR; DR then counts on from there. */
	before = (uint32_t)time(NULL);
	wr(rtc, LR, 1000000000);
	dr = rd(rtc, DR);
	after = (uint32_t)time(NULL);
	CHECK_EQ(rd(rtc, LR), 1000000000);
	CHECK(dr - 1000000000u <= after - before);
	/* Into the future, past 2038 as an unsigned count. */
	wr(rtc, LR, 0xfffffff0u);
	dr = rd(rtc, DR);
	CHECK(dr >= 0xfffffff0u);
	CHECK_EQ(rd(rtc, LR), 0xfffffff0u);
	/* The time survives a reset: the RTC is battery-backed. */
	rtc_pl031_reset(rtc);
	dr = rd(rtc, DR);
	CHECK(dr >= 0xfffffff0u || dr < 0x10);
	/* And back to the host's time. */
	before = (uint32_t)time(NULL);
	wr(rtc, LR, before);
	dr = rd(rtc, DR);
	after = (uint32_t)time(NULL);
	CHECK(dr >= before && dr <= after);
	rtc_free(rtc, &loop);
}

/*
 * Sets the count to t and MR to the count; false where the second turned
 * between the writes (the match is then 136 years away).
 */
static bool match_at(struct rtc_pl031 *rtc, uint32_t t)
{
	for (unsigned int i = 0; i < 100; i++) {
		wr(rtc, LR, t);
		wr(rtc, MR, t);
		if (rd(rtc, DR) == t)
			return true;
	}
	return false;
}

static void test_match_now(void)
{
	struct event_loop loop;
	struct rtc_pl031 *rtc = rtc_new(&loop);

	/* A match register equal to the count matches at once... */
	CHECK(match_at(rtc, 5000));
	CHECK_EQ(rd(rtc, RIS), 1);
	/* ...but is masked. */
	CHECK_EQ(rd(rtc, MIS), 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 0);
	/* Unmasking raises the line, masking lowers it. */
	wr(rtc, IMSC, 1);
	CHECK_EQ(rd(rtc, IMSC), 1);
	CHECK_EQ(rd(rtc, MIS), 1);
	CHECK(fake.level);
	wr(rtc, IMSC, 0);
	CHECK(!fake.level);
	CHECK_EQ(rd(rtc, RIS), 1);
	wr(rtc, IMSC, 0xff);
	CHECK_EQ(rd(rtc, IMSC), 1);
	CHECK(fake.level);
	/* ICR clears it; other bits of ICR do nothing. */
	wr(rtc, ICR, 0xfe);
	CHECK(fake.level);
	wr(rtc, ICR, 1);
	CHECK(!fake.level);
	CHECK_EQ(rd(rtc, RIS), 0);
	CHECK_EQ(rd(rtc, MIS), 0);
	/* Changing the mask does not make a second match. */
	wr(rtc, IMSC, 0);
	wr(rtc, IMSC, 1);
	CHECK(!fake.level);
	/* A match in the past waits for the count to come around. */
	wr(rtc, MR, 4000);
	CHECK_EQ(rd(rtc, RIS), 0);
	/* A reset clears the interrupt state but keeps the match. */
	wr(rtc, ICR, 1);
	CHECK(match_at(rtc, 7000));
	CHECK(fake.level);
	rtc_pl031_reset(rtc);
	CHECK(!fake.level);
	CHECK_EQ(rd(rtc, RIS), 0);
	CHECK_EQ(rd(rtc, IMSC), 0);
	CHECK_EQ(rd(rtc, MR), 7000);
	CHECK_EQ(fake.irq_bad_gsi, 0);
	rtc_free(rtc, &loop);
}

static void test_alarm_masked_polled(void)
{
	struct event_loop loop;
	struct rtc_pl031 *rtc = rtc_new(&loop);
	int guard, poll;
	uint32_t mr;

	hung = false;
	/* A far alarm first, then the real one: writing MR sets it again. */
	mr = rd(rtc, DR) + 1000;
	wr(rtc, MR, mr);
	mr = rd(rtc, DR) + 2;
	wr(rtc, MR, mr);
	CHECK_EQ(rd(rtc, RIS), 0);
	guard = loop_timer(&loop, HANG_GUARD_SEC, 0, hang_guard);
	poll = loop_timer(&loop, 0, 50, poll_ris);
	CHECK(event_loop_run(&loop) == 0);
	CHECK(!hung);
	/* It came no earlier than the count reached MR. */
	CHECK(!hung && (int32_t)(fake.dr_at_poll - mr) >= 0);
	CHECK_EQ(rd(rtc, RIS), 1);
	CHECK_EQ(rd(rtc, MIS), 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 0);
	wr(rtc, ICR, 1);
	CHECK_EQ(rd(rtc, RIS), 0);
	event_loop_remove(&loop, poll);
	event_loop_remove(&loop, guard);
	close(poll);
	close(guard);
	rtc_free(rtc, &loop);
}

static void test_alarm_interrupt(void)
{
	struct event_loop loop;
	struct rtc_pl031 *rtc = rtc_new(&loop);
	int guard;
	uint32_t mr;

	hung = false;
	/* As Linux's set_alarm: MR, then the mask. */
	wr(rtc, LR, 2000000000);
	mr = 2000000000 + 1000;
	wr(rtc, MR, mr);
	wr(rtc, IMSC, 1);
	CHECK(!fake.level);
	/* Setting the time brings the match 2 seconds near. */
	wr(rtc, LR, mr - 2);
	fake.stop_on_irq = &loop;
	guard = loop_timer(&loop, HANG_GUARD_SEC, 0, hang_guard);
	CHECK(event_loop_run(&loop) == 0);
	fake.stop_on_irq = NULL;
	CHECK(!hung);
	CHECK(fake.level);
	CHECK_EQ(fake.irq_calls, 1);
	CHECK_EQ(rd(rtc, RIS), 1);
	CHECK_EQ(rd(rtc, MIS), 1);
	/* The count had reached MR. */
	CHECK((int32_t)(rd(rtc, DR) - mr) >= 0);
	/* The handler's ICR lowers the line. */
	wr(rtc, ICR, 1);
	CHECK(!fake.level);
	CHECK_EQ(rd(rtc, MIS), 0);
	event_loop_remove(&loop, guard);
	close(guard);
	rtc_free(rtc, &loop);
}

static void test_destroy_removes_timer(void)
{
	const struct irq_line irq = { fake_irq_set, NULL, TEST_GSI };
	struct event_loop loop;
	struct rtc_pl031 *a, *b;

	memset(&fake, 0, sizeof(fake));
	CHECK(event_loop_init(&loop) == 0);
	/* More RTCs come and go than the loop has sources. */
	for (unsigned int i = 0; i < 2 * EVENT_LOOP_MAX_SOURCES; i++) {
		a = rtc_pl031_create(&irq, &loop);
		CHECK(a != NULL);
		rtc_pl031_destroy(a);
	}
	a = rtc_pl031_create(&irq, &loop);
	b = rtc_pl031_create(&irq, &loop);
	CHECK(a != NULL && b != NULL);
	rtc_pl031_destroy(a);
	rtc_pl031_destroy(b);
	rtc_pl031_destroy(NULL);
	event_loop_free(&loop);
}

TEST_MAIN(TEST(test_ids), TEST(test_reset_values), TEST(test_dr_is_host_time),
	  TEST(test_load), TEST(test_match_now), TEST(test_alarm_masked_polled),
	  TEST(test_alarm_interrupt), TEST(test_destroy_removes_timer))
