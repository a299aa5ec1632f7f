/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_RTC_CMOS_H
#define SCORPI_RTC_CMOS_H

#include <stdbool.h>
#include <stdint.h>

struct rtc_cmos;

struct rtc_cmos *rtc_cmos_create(void);
void rtc_cmos_destroy(struct rtc_cmos *rtc);
/* Ports 0x70 (index) and 0x71 (data). */
void rtc_cmos_access(void *opaque, uint64_t offset, uint8_t *data,
		     unsigned int size, bool is_write);
/* Sets a byte of the battery-backed NVRAM (firmware's memory sizes). */
void rtc_cmos_set_nvram(struct rtc_cmos *rtc, unsigned int index,
			uint8_t value);

#endif
