// SPDX-License-Identifier: MIT
/*
 * The MC146818-compatible CMOS RTC: the host's wall time (UTC) plus the
 * offset the guest set, in BCD or binary and 12 or 24 hour format as
 * register B says, and 128 bytes of battery-backed NVRAM that survive a
 * VM reset. No alarm, periodic or update interrupts are generated.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtc_cmos.h"

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define REG_A_UIP 0x80
#define REG_B_SET 0x80
#define REG_B_BINARY 0x04
#define REG_B_24H 0x02
#define REG_D_VRT 0x80

/* UIP is set for this long before each second's update. */
#define RTC_UIP_NS 244000

struct rtc_cmos {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
	int64_t offset; /* guest time minus host time, in seconds */
};

static bool rtc_is_time_reg(unsigned int reg)
{
	return reg == RTC_SECONDS || reg == RTC_MINUTES || reg == RTC_HOURS ||
	       reg == RTC_WEEKDAY || reg == RTC_DAY || reg == RTC_MONTH ||
	       reg == RTC_YEAR || reg == RTC_CENTURY;
}

static uint8_t rtc_to_reg(const struct rtc_cmos *rtc, unsigned int v)
{
	if (rtc->cmos[RTC_REG_B] & REG_B_BINARY)
		return v;
	return ((v / 10) << 4) | (v % 10);
}

static unsigned int rtc_from_reg(const struct rtc_cmos *rtc, uint8_t v)
{
	if (rtc->cmos[RTC_REG_B] & REG_B_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0xf);
}

/* Writes the guest's current time into the time registers. */
static void rtc_latch_time(struct rtc_cmos *rtc, time_t now)
{
	time_t t = now + rtc->offset;
	struct tm tm;
	unsigned int hour;

	gmtime_r(&t, &tm);
	hour = tm.tm_hour;
	rtc->cmos[RTC_SECONDS] = rtc_to_reg(rtc, tm.tm_sec);
	rtc->cmos[RTC_MINUTES] = rtc_to_reg(rtc, tm.tm_min);
	if (rtc->cmos[RTC_REG_B] & REG_B_24H) {
		rtc->cmos[RTC_HOURS] = rtc_to_reg(rtc, hour);
	} else {
		unsigned int h12 = hour % 12 ? hour % 12 : 12;

		rtc->cmos[RTC_HOURS] = rtc_to_reg(rtc, h12) |
				       (hour >= 12 ? 0x80 : 0);
	}
	rtc->cmos[RTC_WEEKDAY] = rtc_to_reg(rtc, tm.tm_wday + 1);
	rtc->cmos[RTC_DAY] = rtc_to_reg(rtc, tm.tm_mday);
	rtc->cmos[RTC_MONTH] = rtc_to_reg(rtc, tm.tm_mon + 1);
	rtc->cmos[RTC_YEAR] = rtc_to_reg(rtc, tm.tm_year % 100);
	rtc->cmos[RTC_CENTURY] = rtc_to_reg(rtc, (tm.tm_year + 1900) / 100);
}

/* The guest wrote a time: remember it as an offset from the host's. */
static void rtc_take_time(struct rtc_cmos *rtc, time_t now)
{
	struct tm tm = { 0 };
	uint8_t h = rtc->cmos[RTC_HOURS];
	unsigned int hour;

	if (rtc->cmos[RTC_REG_B] & REG_B_24H) {
		hour = rtc_from_reg(rtc, h);
	} else {
		hour = rtc_from_reg(rtc, h & 0x7f) % 12;
		if (h & 0x80)
			hour += 12;
	}
	tm.tm_sec = rtc_from_reg(rtc, rtc->cmos[RTC_SECONDS]);
	tm.tm_min = rtc_from_reg(rtc, rtc->cmos[RTC_MINUTES]);
	tm.tm_hour = hour;
	tm.tm_mday = rtc_from_reg(rtc, rtc->cmos[RTC_DAY]);
	tm.tm_mon = rtc_from_reg(rtc, rtc->cmos[RTC_MONTH]) - 1;
	tm.tm_year = rtc_from_reg(rtc, rtc->cmos[RTC_CENTURY]) * 100 +
		     rtc_from_reg(rtc, rtc->cmos[RTC_YEAR]) - 1900;
	rtc->offset = (int64_t)timegm(&tm) - (int64_t)now;
}

struct rtc_cmos *rtc_cmos_create(void)
{
	struct rtc_cmos *rtc = calloc(1, sizeof(*rtc));

	if (!rtc)
		return NULL;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	rtc->cmos[RTC_REG_B] = REG_B_24H;
	rtc->cmos[RTC_REG_D] = REG_D_VRT;
	return rtc;
}

void rtc_cmos_destroy(struct rtc_cmos *rtc)
{
	if (!rtc)
		return;
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

void rtc_cmos_set_nvram(struct rtc_cmos *rtc, unsigned int index, uint8_t value)
{
	pthread_mutex_lock(&rtc->lock);
	if (index < sizeof(rtc->cmos) && index > RTC_REG_D)
		rtc->cmos[index] = value;
	pthread_mutex_unlock(&rtc->lock);
}

static uint8_t rtc_read(struct rtc_cmos *rtc, const struct timespec *now)
{
	unsigned int reg = rtc->index;

	if (rtc_is_time_reg(reg) && !(rtc->cmos[RTC_REG_B] & REG_B_SET))
		rtc_latch_time(rtc, now->tv_sec);
	switch (reg) {
	case RTC_REG_A:
		return (rtc->cmos[reg] & ~REG_A_UIP) |
		       (now->tv_nsec >= 1000000000 - RTC_UIP_NS ? REG_A_UIP
								: 0);
	case RTC_REG_C:
		return 0; /* no interrupt flags: none are generated */
	case RTC_REG_D:
		return REG_D_VRT;
	default:
		return rtc->cmos[reg];
	}
}

static void rtc_write(struct rtc_cmos *rtc, uint8_t v,
		      const struct timespec *now)
{
	unsigned int reg = rtc->index;
	bool setting = rtc->cmos[RTC_REG_B] & REG_B_SET;

	switch (reg) {
	case RTC_REG_B:
		if (!setting && (v & REG_B_SET))
			rtc_latch_time(rtc, now->tv_sec); /* freeze */
		/* A format change converts the current time. */
		if (!setting && !(v & REG_B_SET)) {
			rtc->cmos[reg] = v;
			rtc_latch_time(rtc, now->tv_sec);
			break;
		}
		rtc->cmos[reg] = v;
		if (setting && !(v & REG_B_SET))
			rtc_take_time(rtc, now->tv_sec);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	case RTC_REG_A:
		rtc->cmos[reg] = v & ~REG_A_UIP;
		break;
	default:
		if (rtc_is_time_reg(reg) && !setting)
			rtc_latch_time(rtc, now->tv_sec);
		rtc->cmos[reg] = v;
		if (rtc_is_time_reg(reg) && !setting)
			rtc_take_time(rtc, now->tv_sec);
		break;
	}
}

void rtc_cmos_access(void *opaque, uint64_t offset, uint8_t *data,
		     unsigned int size, bool is_write)
{
	struct rtc_cmos *rtc = opaque;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&rtc->lock);
	for (unsigned int i = 0; i < size; i++) {
		if (((offset + i) & 1) == 0) {
			if (is_write)
				rtc->index = data[i] &
					     0x7f; /* bit 7: NMI mask */
			else
				data[i] = 0xff; /* the index is write-only */
		} else if (is_write) {
			rtc_write(rtc, data[i], &now);
		} else {
			data[i] = rtc_read(rtc, &now);
		}
	}
	pthread_mutex_unlock(&rtc->lock);
}
