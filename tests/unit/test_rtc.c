// SPDX-License-Identifier: MIT
/*
 * The CMOS RTC through its two ports: offset 0 selects a register, offset 1
 * reads or writes it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/rtc_cmos.h"

#include "check.h"

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

#define REG_B_SET 0x80
#define REG_B_BINARY 0x04
#define REG_B_24H 0x02

/* The one timing bound: the RTC and the host agree within 2 s. */
#define SLACK 2

static void cmos_select(struct rtc_cmos *rtc, uint8_t index)
{
	rtc_cmos_access(rtc, 0, &index, 1, true);
}

static uint8_t cmos_read(struct rtc_cmos *rtc, uint8_t index)
{
	uint8_t v = 0xee;

	cmos_select(rtc, index);
	rtc_cmos_access(rtc, 1, &v, 1, false);
	return v;
}

static void cmos_write(struct rtc_cmos *rtc, uint8_t index, uint8_t v)
{
	cmos_select(rtc, index);
	rtc_cmos_access(rtc, 1, &v, 1, true);
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static bool is_bcd(uint8_t v)
{
	return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

struct rtc_fields {
	uint8_t sec, min, hour, wday, mday, mon, year, century;
};

static void read_fields_once(struct rtc_cmos *rtc, struct rtc_fields *f)
{
	f->sec = cmos_read(rtc, RTC_SECONDS);
	f->min = cmos_read(rtc, RTC_MINUTES);
	f->hour = cmos_read(rtc, RTC_HOURS);
	f->wday = cmos_read(rtc, RTC_WEEKDAY);
	f->mday = cmos_read(rtc, RTC_DAY);
	f->mon = cmos_read(rtc, RTC_MONTH);
	f->year = cmos_read(rtc, RTC_YEAR);
	f->century = cmos_read(rtc, RTC_CENTURY);
}

/* As Linux does: read until two passes agree, so no second ticks between. */
static void read_fields(struct rtc_cmos *rtc, struct rtc_fields *f)
{
	struct rtc_fields again;

	for (int i = 0; i < 10; i++) {
		read_fields_once(rtc, f);
		read_fields_once(rtc, &again);
		if (!memcmp(f, &again, sizeof(again)))
			return;
	}
	CHECK(!"the RTC's fields never settled");
}

static unsigned int dec(uint8_t v, uint8_t reg_b)
{
	if (reg_b & REG_B_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Decodes the fields as register B says, into seconds since the epoch. */
static time_t fields_time(const struct rtc_fields *f, uint8_t reg_b,
			  struct tm *out)
{
	struct tm tm = { 0 };
	unsigned int hour;

	if (!(reg_b & REG_B_BINARY))
		CHECK(is_bcd(f->sec) && is_bcd(f->min) &&
		      is_bcd(f->hour & 0x7f) && is_bcd(f->wday) &&
		      is_bcd(f->mday) && is_bcd(f->mon) && is_bcd(f->year) &&
		      is_bcd(f->century));
	if (reg_b & REG_B_24H) {
		hour = dec(f->hour, reg_b);
		CHECK(hour < 24);
	} else {
		unsigned int h12 = dec(f->hour & 0x7f, reg_b);

		CHECK(h12 >= 1 && h12 <= 12);
		hour = h12 % 12 + ((f->hour & 0x80) ? 12 : 0);
	}
	tm.tm_sec = dec(f->sec, reg_b);
	tm.tm_min = dec(f->min, reg_b);
	tm.tm_hour = hour;
	tm.tm_mday = dec(f->mday, reg_b);
	tm.tm_mon = dec(f->mon, reg_b) - 1;
	tm.tm_year = dec(f->century, reg_b) * 100 + dec(f->year, reg_b) - 1900;
	tm.tm_wday = dec(f->wday, reg_b) - 1;
	CHECK(tm.tm_sec < 60 && tm.tm_min < 60 && tm.tm_mday >= 1 &&
	      tm.tm_mday <= 31 && tm.tm_mon >= 0 && tm.tm_mon < 12 &&
	      tm.tm_wday >= 0 && tm.tm_wday < 7);
	if (out)
		*out = tm;
	return timegm(&tm);
}

static time_t rtc_now(struct rtc_cmos *rtc, struct tm *tm)
{
	struct rtc_fields f;

	read_fields(rtc, &f);
	return fields_time(&f, cmos_read(rtc, RTC_REG_B), tm);
}

static bool within(time_t a, time_t b, time_t slack)
{
	return a - b <= slack && b - a <= slack;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

static void check_matches_host(struct rtc_cmos *rtc)
{
	struct tm tm, host_tm;
	time_t host = time(NULL);
	time_t t = rtc_now(rtc, &tm);
	time_t host_after = time(NULL);

	CHECK(t >= host - SLACK && t <= host_after + SLACK);
	gmtime_r(&t, &host_tm);
	/* The weekday register agrees with the date (1 = Sunday). */
	CHECK_EQ(tm.tm_wday, host_tm.tm_wday);
}

static void test_defaults(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();

	CHECK(rtc != NULL);
	/* 24-hour BCD, as PC firmware leaves it. */
	CHECK_EQ(cmos_read(rtc, RTC_REG_B), REG_B_24H);
	CHECK_EQ(cmos_read(rtc, RTC_REG_A) & 0x7f, 0x26);
	CHECK_EQ(cmos_read(rtc, RTC_REG_C), 0);
	/* Register D: valid RAM and time, battery good. */
	CHECK_EQ(cmos_read(rtc, RTC_REG_D), 0x80);
	cmos_write(rtc, RTC_REG_D, 0x00);
	CHECK_EQ(cmos_read(rtc, RTC_REG_D), 0x80);
	cmos_write(rtc, RTC_REG_C, 0xff);
	CHECK_EQ(cmos_read(rtc, RTC_REG_C), 0);
	rtc_cmos_destroy(rtc);
}

static void test_bcd_24h_host_time(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();
	struct rtc_fields f;
	struct tm host_tm;
	time_t host = time(NULL);

	check_matches_host(rtc);
	/* The century register, in BCD. */
	gmtime_r(&host, &host_tm);
	read_fields(rtc, &f);
	CHECK_EQ(f.century, to_bcd((host_tm.tm_year + 1900) / 100));
	CHECK_EQ(cmos_read(rtc, RTC_CENTURY), f.century);
	CHECK_EQ(f.year, to_bcd(host_tm.tm_year % 100));
	rtc_cmos_destroy(rtc);
}

static void test_binary_mode(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();
	struct rtc_fields f;
	struct tm host_tm;
	time_t host = time(NULL);

	cmos_write(rtc, RTC_REG_B, REG_B_24H | REG_B_BINARY);
	CHECK_EQ(cmos_read(rtc, RTC_REG_B), REG_B_24H | REG_B_BINARY);
	check_matches_host(rtc);
	gmtime_r(&host, &host_tm);
	read_fields(rtc, &f);
	CHECK_EQ(f.century, (host_tm.tm_year + 1900) / 100);
	CHECK_EQ(f.year, host_tm.tm_year % 100);
	CHECK(f.hour < 24);
	/* And back to BCD. */
	cmos_write(rtc, RTC_REG_B, REG_B_24H);
	read_fields(rtc, &f);
	CHECK_EQ(f.century, to_bcd((host_tm.tm_year + 1900) / 100));
	check_matches_host(rtc);
	rtc_cmos_destroy(rtc);
}

static void test_12h_host_time(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();

	cmos_write(rtc, RTC_REG_B, 0);
	CHECK_EQ(cmos_read(rtc, RTC_REG_B), 0);
	check_matches_host(rtc);
	cmos_write(rtc, RTC_REG_B, REG_B_BINARY);
	check_matches_host(rtc);
	rtc_cmos_destroy(rtc);
}

/* Sets the RTC with the SET bit, as Linux's mc146818_set_time does. */
static void set_time(struct rtc_cmos *rtc, const struct tm *tm)
{
	uint8_t b = cmos_read(rtc, RTC_REG_B);
	bool bin = b & REG_B_BINARY;
	unsigned int hour = tm->tm_hour;
	uint8_t hour_reg;

#define ENC(v) (bin ? (uint8_t)(v) : to_bcd(v))
	if (b & REG_B_24H) {
		hour_reg = ENC(hour);
	} else {
		hour_reg = ENC(hour % 12 ? hour % 12 : 12) |
			   (hour >= 12 ? 0x80 : 0);
	}
	cmos_write(rtc, RTC_REG_B, b | REG_B_SET);
	cmos_write(rtc, RTC_SECONDS, ENC(tm->tm_sec));
	cmos_write(rtc, RTC_MINUTES, ENC(tm->tm_min));
	cmos_write(rtc, RTC_HOURS, hour_reg);
	cmos_write(rtc, RTC_DAY, ENC(tm->tm_mday));
	cmos_write(rtc, RTC_MONTH, ENC(tm->tm_mon + 1));
	cmos_write(rtc, RTC_YEAR, ENC(tm->tm_year % 100));
	cmos_write(rtc, RTC_CENTURY, ENC((tm->tm_year + 1900) / 100));
#undef ENC
	cmos_write(rtc, RTC_REG_B, b);
}

static void test_set_time(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();
	struct tm want = { .tm_year = 2031 - 1900,
			   .tm_mon = 6,
			   .tm_mday = 15,
			   .tm_hour = 13,
			   .tm_min = 45,
			   .tm_sec = 30 };
	time_t target = timegm(&want), host0, t1, t2, host2;
	struct tm got;

	/* While SET is up, the registers hold what was written. */
	cmos_write(rtc, RTC_REG_B, REG_B_24H | REG_B_SET);
	cmos_write(rtc, RTC_SECONDS, 0x42);
	cmos_write(rtc, RTC_HOURS, 0x07);
	CHECK_EQ(cmos_read(rtc, RTC_SECONDS), 0x42);
	CHECK_EQ(cmos_read(rtc, RTC_HOURS), 0x07);
	CHECK_EQ(cmos_read(rtc, RTC_REG_B), REG_B_24H | REG_B_SET);
	cmos_write(rtc, RTC_REG_B, REG_B_24H);

	host0 = time(NULL);
	set_time(rtc, &want);
	CHECK_EQ(cmos_read(rtc, RTC_REG_B), REG_B_24H);
	t1 = rtc_now(rtc, &got);
	CHECK(within(t1, target + (time(NULL) - host0), SLACK));
	CHECK_EQ(got.tm_year, 2031 - 1900);
	CHECK_EQ(got.tm_mon, 6);
	CHECK_EQ(got.tm_mday, 15);
	CHECK_EQ(got.tm_hour, 13);
	CHECK_EQ(got.tm_min, 45);
	CHECK_EQ(got.tm_wday, 2); /* a Tuesday */

	/* It keeps ticking from there, by the host's clock. */
	sleep_ms(1100);
	t2 = rtc_now(rtc, NULL);
	host2 = time(NULL);
	CHECK(t2 > t1);
	CHECK(within(t2, target + (host2 - host0), SLACK));

	/* A format change keeps the time it shows. */
	cmos_write(rtc, RTC_REG_B, REG_B_24H | REG_B_BINARY);
	CHECK(within(rtc_now(rtc, NULL), target + (time(NULL) - host0), SLACK));
	/* Setting the time in the past moves it back. */
	want.tm_year = 1999 - 1900;
	want.tm_mon = 11;
	want.tm_mday = 31;
	want.tm_hour = 23;
	want.tm_min = 58;
	want.tm_sec = 0;
	target = timegm(&want);
	host0 = time(NULL);
	set_time(rtc, &want);
	t1 = rtc_now(rtc, &got);
	CHECK(within(t1, target + (time(NULL) - host0), SLACK));
	CHECK_EQ(cmos_read(rtc, RTC_CENTURY), 19);
	CHECK_EQ(cmos_read(rtc, RTC_YEAR), 99);
	rtc_cmos_destroy(rtc);
}

static uint8_t hours_at(struct rtc_cmos *rtc, unsigned int hour, uint8_t reg_b)
{
	struct tm want = { .tm_year = 2024 - 1900,
			   .tm_mon = 2,
			   .tm_mday = 10,
			   .tm_hour = hour,
			   .tm_min = 30,
			   .tm_sec = 0 };

	cmos_write(rtc, RTC_REG_B, REG_B_24H);
	set_time(rtc, &want);
	cmos_write(rtc, RTC_REG_B, reg_b);
	return cmos_read(rtc, RTC_HOURS);
}

static void test_12h_mode(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();
	struct tm want = { .tm_year = 2024 - 1900,
			   .tm_mon = 2,
			   .tm_mday = 10,
			   .tm_hour = 23,
			   .tm_min = 15,
			   .tm_sec = 0 };
	struct tm got;

	/* BCD 12-hour: 1-12, bit 7 is PM. */
	CHECK_EQ(hours_at(rtc, 0, 0), 0x12);
	CHECK_EQ(hours_at(rtc, 1, 0), 0x01);
	CHECK_EQ(hours_at(rtc, 11, 0), 0x11);
	CHECK_EQ(hours_at(rtc, 12, 0), 0x92);
	CHECK_EQ(hours_at(rtc, 13, 0), 0x81);
	CHECK_EQ(hours_at(rtc, 23, 0), 0x91);
	/* Binary 12-hour. */
	CHECK_EQ(hours_at(rtc, 0, REG_B_BINARY), 12);
	CHECK_EQ(hours_at(rtc, 12, REG_B_BINARY), 0x80 | 12);
	CHECK_EQ(hours_at(rtc, 22, REG_B_BINARY), 0x80 | 10);
	/* 24-hour for comparison. */
	CHECK_EQ(hours_at(rtc, 23, REG_B_24H), 0x23);
	CHECK_EQ(hours_at(rtc, 0, REG_B_24H), 0x00);

	/* Setting the time in 12-hour mode: 11 PM is 23 h. */
	cmos_write(rtc, RTC_REG_B, 0);
	set_time(rtc, &want);
	CHECK_EQ(cmos_read(rtc, RTC_HOURS), 0x91);
	cmos_write(rtc, RTC_REG_B, REG_B_24H);
	CHECK_EQ(cmos_read(rtc, RTC_HOURS), 0x23);
	rtc_now(rtc, &got);
	CHECK_EQ(got.tm_hour, 23);
	CHECK_EQ(got.tm_min, 15);
	/* And 12 AM is midnight. */
	want.tm_hour = 0;
	cmos_write(rtc, RTC_REG_B, 0);
	set_time(rtc, &want);
	cmos_write(rtc, RTC_REG_B, REG_B_24H);
	CHECK_EQ(cmos_read(rtc, RTC_HOURS), 0x00);
	rtc_cmos_destroy(rtc);
}

static void test_nvram(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();
	unsigned int bad = 0;

	for (unsigned int i = 0x40; i < 0x80; i++)
		cmos_write(rtc, (uint8_t)i, (uint8_t)(i * 3 + 1));
	for (unsigned int i = 0x40; i < 0x80; i++)
		bad += cmos_read(rtc, (uint8_t)i) != (uint8_t)(i * 3 + 1);
	CHECK_EQ(bad, 0);
	/* The rest of the bytes above the clock, century apart, too. */
	for (unsigned int i = 0x0e; i < 0x40; i++)
		if (i != RTC_CENTURY)
			cmos_write(rtc, (uint8_t)i, (uint8_t)~i);
	for (unsigned int i = 0x0e; i < 0x40; i++)
		if (i != RTC_CENTURY)
			bad += cmos_read(rtc, (uint8_t)i) != (uint8_t)~i;
	CHECK_EQ(bad, 0);
	/* The NVRAM did not disturb the clock. */
	check_matches_host(rtc);
	CHECK_EQ(cmos_read(rtc, RTC_REG_B), REG_B_24H);
	rtc_cmos_destroy(rtc);
}

static void test_set_nvram(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();

	rtc_cmos_set_nvram(rtc, 0x34, 0x5a);
	rtc_cmos_set_nvram(rtc, 0x35, 0xa5);
	rtc_cmos_set_nvram(rtc, 0x7f, 0x11);
	rtc_cmos_set_nvram(rtc, 0x0e, 0x22);
	CHECK_EQ(cmos_read(rtc, 0x34), 0x5a);
	CHECK_EQ(cmos_read(rtc, 0x35), 0xa5);
	CHECK_EQ(cmos_read(rtc, 0x7f), 0x11);
	CHECK_EQ(cmos_read(rtc, 0x0e), 0x22);
	/* The clock's own registers and bytes past the end are not NVRAM. */
	rtc_cmos_set_nvram(rtc, RTC_REG_B, 0xff);
	rtc_cmos_set_nvram(rtc, RTC_REG_D, 0x00);
	rtc_cmos_set_nvram(rtc, 0x80, 0x33);
	rtc_cmos_set_nvram(rtc, 1000, 0x33);
	CHECK_EQ(cmos_read(rtc, RTC_REG_B), REG_B_24H);
	CHECK_EQ(cmos_read(rtc, RTC_REG_D), 0x80);
	CHECK_EQ(cmos_read(rtc, 0x7f), 0x11);
	rtc_cmos_destroy(rtc);
}

static void test_index_nmi_bit(void)
{
	struct rtc_cmos *rtc = rtc_cmos_create();
	uint8_t two[2];

	/* Bit 7 of the index is the NMI mask, not part of the register. */
	cmos_write(rtc, 0x80 | 0x40, 0x77);
	CHECK_EQ(cmos_read(rtc, 0x40), 0x77);
	CHECK_EQ(cmos_read(rtc, 0x80 | 0x40), 0x77);
	CHECK_EQ(cmos_read(rtc, 0x80 | RTC_REG_D), 0x80);
	CHECK_EQ(cmos_read(rtc, 0x80 | RTC_REG_B), REG_B_24H);
	/* The index port is write-only. */
	two[0] = 0;
	rtc_cmos_access(rtc, 0, two, 1, false);
	CHECK_EQ(two[0], 0xff);
	/* A 16-bit access writes the index, then the data. */
	two[0] = 0x41;
	two[1] = 0x99;
	rtc_cmos_access(rtc, 0, two, 2, true);
	CHECK_EQ(cmos_read(rtc, 0x41), 0x99);
	CHECK_EQ(cmos_read(rtc, 0x40), 0x77);
	rtc_cmos_destroy(rtc);
}

TEST_MAIN(TEST(test_defaults), TEST(test_bcd_24h_host_time),
	  TEST(test_binary_mode), TEST(test_12h_host_time), TEST(test_set_time),
	  TEST(test_12h_mode), TEST(test_nvram), TEST(test_set_nvram),
	  TEST(test_index_nmi_bit))
