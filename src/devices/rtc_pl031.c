// SPDX-License-Identifier: MIT
/*
 * An ARM PrimeCell PL031 real-time clock (DDI 0224): a 32-bit count of
 * seconds, here the host's wall time (CLOCK_REALTIME) plus the offset the
 * guest set through the load register, and a match register that raises
 * the alarm interrupt when the count reaches it. The match is a timerfd on
 * the wall clock, so it fires on time even when the host's clock is set.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../base/bus.h"
#include "../base/log.h"
#include "rtc_pl031.h"

#define PL031_DR 0x000
#define PL031_MR 0x004
#define PL031_LR 0x008
#define PL031_CR 0x00c
#define PL031_IMSC 0x010
#define PL031_RIS 0x014
#define PL031_MIS 0x018
#define PL031_ICR 0x01c
#define PL031_ID_BASE 0xfe0

#define PL031_INT 0x1
#define CR_START 0x1

static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x14, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

struct rtc_pl031 {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct event_loop *loop;
	int timer_fd;
	bool irq_level;

	int64_t offset; /* guest seconds minus host seconds */
	uint32_t mr, lr, imsc, ris;
	bool armed;
	int64_t match_host_sec; /* while armed: host second of the match */
};

static time_t host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static uint32_t pl031_count(const struct rtc_pl031 *rtc, time_t now)
{
	return (uint32_t)((int64_t)now + rtc->offset);
}

static void pl031_update_irq(struct rtc_pl031 *rtc)
{
	bool level = (rtc->ris & rtc->imsc) != 0;

	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		irq_line_set(&rtc->irq, level);
	}
}

/*
 * Sets the timer for the next second at which the count equals MR (the
 * count wraps, so there always is one); a match now raises the alarm.
 */
static void pl031_arm(struct rtc_pl031 *rtc)
{
	time_t now = host_now();
	uint32_t ticks = rtc->mr - pl031_count(rtc, now);
	struct itimerspec its = { 0 };

	rtc->armed = false;
	if (ticks == 0) {
		rtc->ris |= PL031_INT;
	} else {
		rtc->armed = true;
		rtc->match_host_sec = (int64_t)now + ticks;
		its.it_value.tv_sec = rtc->match_host_sec;
	}
	/* A zero it_value disarms. */
	if (timerfd_settime(rtc->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("pl031: timerfd_settime: %s", strerror(errno));
}

static void pl031_timer_fired(void *opaque, int fd, uint32_t events)
{
	struct rtc_pl031 *rtc = opaque;
	uint64_t expirations;

	(void)events;
	/* Nothing to read where the timer was set again meanwhile. */
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("pl031: timerfd read: %s", strerror(errno));
	pthread_mutex_lock(&rtc->lock);
	if (rtc->armed && host_now() >= rtc->match_host_sec) {
		rtc->armed = false;
		rtc->ris |= PL031_INT;
		pl031_update_irq(rtc);
	}
	pthread_mutex_unlock(&rtc->lock);
}

struct rtc_pl031 *rtc_pl031_create(const struct irq_line *irq,
				   struct event_loop *loop)
{
	struct rtc_pl031 *rtc = calloc(1, sizeof(*rtc));

	if (!rtc)
		return NULL;
	rtc->timer_fd =
		timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rtc->timer_fd < 0) {
		log_error("pl031: timerfd_create: %s", strerror(errno));
		free(rtc);
		return NULL;
	}
	if (event_loop_add(loop, rtc->timer_fd, pl031_timer_fired, rtc) < 0) {
		log_error("pl031: cannot watch the alarm timer: %s",
			  strerror(errno));
		close(rtc->timer_fd);
		free(rtc);
		return NULL;
	}
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->irq = *irq;
	rtc->loop = loop;
	/* The count starts at the host's time, and is running. */
	pthread_mutex_lock(&rtc->lock);
	pl031_arm(rtc);
	rtc->ris = 0; /* MR 0 is the epoch, long past: no match now */
	pthread_mutex_unlock(&rtc->lock);
	return rtc;
}

void rtc_pl031_destroy(struct rtc_pl031 *rtc)
{
	if (!rtc)
		return;
	event_loop_remove(rtc->loop, rtc->timer_fd);
	close(rtc->timer_fd);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

void rtc_pl031_reset(struct rtc_pl031 *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	rtc->imsc = 0;
	rtc->ris = 0;
	pl031_update_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

static uint32_t pl031_read(struct rtc_pl031 *rtc, unsigned int reg)
{
	switch (reg) {
	case PL031_DR:
		return pl031_count(rtc, host_now());
	case PL031_MR:
		return rtc->mr;
	case PL031_LR:
		return rtc->lr;
	case PL031_CR:
		return CR_START; /* started for good */
	case PL031_IMSC:
		return rtc->imsc;
	case PL031_RIS:
		return rtc->ris;
	case PL031_MIS:
		return rtc->ris & rtc->imsc;
	default:
		if (reg >= PL031_ID_BASE)
			return pl031_id[(reg - PL031_ID_BASE) / 4];
		return 0;
	}
}

static void pl031_write(struct rtc_pl031 *rtc, unsigned int reg, uint32_t v)
{
	switch (reg) {
	case PL031_MR:
		rtc->mr = v;
		pl031_arm(rtc);
		break;
	case PL031_LR:
		/* The count reads v from now on. */
		rtc->lr = v;
		rtc->offset = (int64_t)v - (int64_t)host_now();
		pl031_arm(rtc);
		break;
	case PL031_IMSC:
		rtc->imsc = v & PL031_INT;
		break;
	case PL031_ICR:
		rtc->ris &= ~(v & PL031_INT);
		break;
	default:
		break; /* DR, CR (once started, it cannot stop), read-only */
	}
}

void rtc_pl031_access(void *opaque, uint64_t offset, uint8_t *data,
		      unsigned int size, bool is_write)
{
	struct rtc_pl031 *rtc = opaque;

	offset &= RTC_PL031_REGION_SIZE - 1;
	pthread_mutex_lock(&rtc->lock);
	if ((offset & 3) || size > 4) {
		if (!is_write)
			memset(data, 0, size);
	} else if (is_write) {
		pl031_write(rtc, offset, le_read(data, size));
	} else {
		le_write(data, size, pl031_read(rtc, offset));
	}
	pl031_update_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
}
