/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_RTC_PL031_H
#define SCORPI_RTC_PL031_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/event_loop.h"
#include "../base/irq.h"

struct rtc_pl031;

/* The MMIO region is this big. */
#define RTC_PL031_REGION_SIZE 0x1000

/*
 * The alarm's timer is registered on loop, whose thread then raises the
 * interrupt; create and destroy run while that loop is not running (or on
 * its thread). NULL where the timer cannot be made.
 */
struct rtc_pl031 *rtc_pl031_create(const struct irq_line *irq,
				   struct event_loop *loop);
void rtc_pl031_destroy(struct rtc_pl031 *rtc);
/* The clock is battery-backed and keeps its time: only interrupts reset. */
void rtc_pl031_reset(struct rtc_pl031 *rtc);
/* An MMIO access at offset 0-0xfff (the bus access handler). */
void rtc_pl031_access(void *opaque, uint64_t offset, uint8_t *data,
		      unsigned int size, bool is_write);

#endif
