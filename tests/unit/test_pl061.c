// SPDX-License-Identifier: MIT
/*
 * The PL061 GPIO controller, driven through its MMIO handler as Linux's
 * gpio-pl061 driver would, with the host driving its input lines.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "devices/gpio_pl061.h"

#include "check.h"

#define DATA 0x000
#define DIR 0x400
#define IS 0x404
#define IBE 0x408
#define IEV 0x40c
#define IE 0x410
#define RIS 0x414
#define MIS 0x418
#define IC 0x41c
#define AFSEL 0x420

#define TEST_GSI 39
#define POWER 3

static struct {
	bool level;
	unsigned int irq_calls;
	unsigned int irq_bad_gsi;
} fake;

static void fake_irq_set(void *ctx, unsigned int gsi, bool level)
{
	(void)ctx;
	if (gsi != TEST_GSI)
		fake.irq_bad_gsi++;
	fake.irq_calls++;
	fake.level = level;
}

static struct gpio_pl061 *gpio_new(void)
{
	const struct irq_line irq = { fake_irq_set, NULL, TEST_GSI };
	struct gpio_pl061 *g;

	memset(&fake, 0, sizeof(fake));
	g = gpio_pl061_create(&irq);
	CHECK(g != NULL);
	return g;
}

static uint32_t rd(struct gpio_pl061 *g, unsigned int reg)
{
	uint8_t v[4] = { 0xee, 0xee, 0xee, 0xee };

	gpio_pl061_access(g, reg, v, 4, false);
	return v[0] | v[1] << 8 | v[2] << 16 | (uint32_t)v[3] << 24;
}

static void wr(struct gpio_pl061 *g, unsigned int reg, uint32_t val)
{
	uint8_t v[4] = { val, val >> 8, val >> 16, val >> 24 };

	gpio_pl061_access(g, reg, v, 4, true);
}

/* GPIODATA through the address mask: offset bits 9:2 select the lines. */
static uint32_t rd_data(struct gpio_pl061 *g, uint8_t mask)
{
	return rd(g, DATA + (mask << 2));
}

static void wr_data(struct gpio_pl061 *g, uint8_t mask, uint8_t v)
{
	wr(g, DATA + (mask << 2), v);
}

static void test_ids(void)
{
	static const uint8_t id[8] = { 0x61, 0x10, 0x14, 0x00,
				       0x0d, 0xf0, 0x05, 0xb1 };
	struct gpio_pl061 *g = gpio_new();
	uint8_t b;

	for (unsigned int i = 0; i < 8; i++) {
		CHECK_EQ(rd(g, 0xfe0 + 4 * i), id[i]);
		gpio_pl061_access(g, 0xfe0 + 4 * i, &b, 1, false);
		CHECK_EQ(b, id[i]);
	}
	CHECK_EQ(rd(g, 0x424), 0);
	CHECK_EQ(rd(g, 0x800), 0);
	gpio_pl061_destroy(g);
}

static void test_reset_values(void)
{
	struct gpio_pl061 *g = gpio_new();
	static const unsigned int regs[] = { DIR, IS,  IBE, IEV,
					     IE,  RIS, MIS, AFSEL };

	for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		CHECK_EQ(rd(g, regs[i]), 0);
	CHECK_EQ(rd_data(g, 0xff), 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 0);
	gpio_pl061_destroy(g);
}

static void test_registers(void)
{
	struct gpio_pl061 *g = gpio_new();

	/* 8-bit registers in 32-bit slots. */
	wr(g, IS, 0x1a5);
	CHECK_EQ(rd(g, IS), 0xa5);
	wr(g, IBE, 0x5a);
	CHECK_EQ(rd(g, IBE), 0x5a);
	wr(g, IEV, 0x0f);
	CHECK_EQ(rd(g, IEV), 0x0f);
	wr(g, AFSEL, 0x81);
	CHECK_EQ(rd(g, AFSEL), 0x81);
	wr(g, DIR, 0xf0);
	CHECK_EQ(rd(g, DIR), 0xf0);
	/* Read-only ones stay so. */
	wr(g, RIS, 0xff);
	wr(g, MIS, 0xff);
	CHECK_EQ(rd(g, MIS), 0);
	wr(g, 0xfe0, 0);
	CHECK_EQ(rd(g, 0xfe0), 0x61);
	gpio_pl061_destroy(g);
}

static void test_data_address_mask(void)
{
	struct gpio_pl061 *g = gpio_new();

	wr(g, DIR, 0xff);
	/* All lines at once. */
	wr_data(g, 0xff, 0xa5);
	CHECK_EQ(rd_data(g, 0xff), 0xa5);
	/* Each address only sees the lines of its mask. */
	CHECK_EQ(rd_data(g, 0x0f), 0x05);
	CHECK_EQ(rd_data(g, 0xf0), 0xa0);
	CHECK_EQ(rd_data(g, 0x01), 0x01);
	CHECK_EQ(rd_data(g, 0x02), 0x00);
	CHECK_EQ(rd_data(g, 0x00), 0x00);
	/* A write changes only the masked lines. */
	wr_data(g, 0x03, 0xff);
	CHECK_EQ(rd_data(g, 0xff), 0xa7);
	wr_data(g, 0x80, 0x00);
	CHECK_EQ(rd_data(g, 0xff), 0x27);
	wr_data(g, 0x00, 0x00);
	CHECK_EQ(rd_data(g, 0xff), 0x27);
	/* As Linux's gpio-pl061 sets one line: offset 1 << (line + 2). */
	wr(g, DATA + (1 << (6 + 2)), 1 << 6);
	CHECK_EQ(rd_data(g, 0xff), 0x67);
	wr(g, DATA + (1 << (0 + 2)), 0);
	CHECK_EQ(rd_data(g, 0xff), 0x66);
	/* 8-bit accesses work the same way. */
	{
		uint8_t b = 0x99;

		gpio_pl061_access(g, DATA + (0x18 << 2), &b, 1, true);
		gpio_pl061_access(g, DATA + (0xff << 2), &b, 1, false);
		CHECK_EQ(b, 0x7e);
	}
	gpio_pl061_destroy(g);
}

static void test_inputs_and_outputs(void)
{
	struct gpio_pl061 *g = gpio_new();

	/* Lines 0-3 outputs, 4-7 inputs. */
	wr(g, DIR, 0x0f);
	wr_data(g, 0xff, 0xff);
	/* Inputs read the host's level, not what was written. */
	CHECK_EQ(rd_data(g, 0xff), 0x0f);
	gpio_pl061_set_input(g, 5, true);
	CHECK_EQ(rd_data(g, 0xff), 0x2f);
	CHECK_EQ(rd_data(g, 0x20), 0x20);
	/* An output ignores the host's level. */
	gpio_pl061_set_input(g, 1, false);
	CHECK_EQ(rd_data(g, 0x02), 0x02);
	wr_data(g, 0x02, 0);
	gpio_pl061_set_input(g, 1, true);
	CHECK_EQ(rd_data(g, 0x02), 0x00);
	/* Turning an output into an input shows the host's level... */
	wr(g, DIR, 0x0d);
	CHECK_EQ(rd_data(g, 0x02), 0x02);
	/* ...and back shows the output register, which was kept. */
	wr(g, DIR, 0x0f);
	CHECK_EQ(rd_data(g, 0x02), 0x00);
	/* The data written to an input is kept for when it drives. */
	wr(g, DIR, 0x8f);
	CHECK_EQ(rd_data(g, 0x80), 0x80);
	/* Lines beyond 7 do not exist. */
	gpio_pl061_set_input(g, 8, true);
	gpio_pl061_set_input(g, 100, true);
	CHECK_EQ(rd_data(g, 0xff), 0xad);
	/* No interrupts were enabled. */
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 0);
	gpio_pl061_destroy(g);
}

static void test_rising_edge(void)
{
	struct gpio_pl061 *g = gpio_new();

	/* gpio-keys on the power line: edge, rising, unmasked. */
	wr(g, IS, 0);
	wr(g, IBE, 0);
	wr(g, IEV, 1 << POWER);
	wr(g, IE, 1 << POWER);
	CHECK(!fake.level);
	gpio_pl061_set_input(g, POWER, true);
	CHECK_EQ(rd(g, RIS), 1 << POWER);
	CHECK_EQ(rd(g, MIS), 1 << POWER);
	CHECK(fake.level);
	/* It stays latched after the line falls... */
	gpio_pl061_set_input(g, POWER, false);
	CHECK(fake.level);
	/* ...until cleared; IC of other lines does nothing. */
	wr(g, IC, ~(1u << POWER) & 0xff);
	CHECK(fake.level);
	wr(g, IC, 1 << POWER);
	CHECK(!fake.level);
	CHECK_EQ(rd(g, RIS), 0);
	/* A falling edge, and a level held, do not make one. */
	gpio_pl061_set_input(g, POWER, true);
	wr(g, IC, 1 << POWER);
	gpio_pl061_set_input(g, POWER, true);
	CHECK(!fake.level);
	gpio_pl061_set_input(g, POWER, false);
	CHECK(!fake.level);
	CHECK_EQ(rd(g, RIS), 0);
	/* Another line's edge is latched but masked. */
	wr(g, IEV, 0xff);
	gpio_pl061_set_input(g, 0, true);
	CHECK_EQ(rd(g, RIS), 0x01);
	CHECK_EQ(rd(g, MIS), 0);
	CHECK(!fake.level);
	/* Unmasking a latched edge raises the line. */
	wr(g, IE, 0x01);
	CHECK(fake.level);
	wr(g, IE, 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_bad_gsi, 0);
	gpio_pl061_destroy(g);
}

static void test_falling_edge(void)
{
	struct gpio_pl061 *g = gpio_new();

	gpio_pl061_set_input(g, 2, true);
	wr(g, IEV, 0); /* falling */
	wr(g, IE, 0x04);
	CHECK(!fake.level);
	gpio_pl061_set_input(g, 2, false);
	CHECK(fake.level);
	CHECK_EQ(rd(g, RIS), 0x04);
	wr(g, IC, 0x04);
	CHECK(!fake.level);
	gpio_pl061_set_input(g, 2, true);
	CHECK(!fake.level);
	CHECK_EQ(rd(g, RIS), 0);
	gpio_pl061_destroy(g);
}

static void test_both_edges(void)
{
	struct gpio_pl061 *g = gpio_new();

	wr(g, IBE, 0x10);
	wr(g, IEV, 0x10); /* ignored with IBE */
	wr(g, IE, 0x10);
	gpio_pl061_set_input(g, 4, true);
	CHECK(fake.level);
	wr(g, IC, 0x10);
	CHECK(!fake.level);
	gpio_pl061_set_input(g, 4, false);
	CHECK(fake.level);
	wr(g, IC, 0x10);
	CHECK(!fake.level);
	/* Setting the same level again is no edge. */
	gpio_pl061_set_input(g, 4, false);
	CHECK(!fake.level);
	gpio_pl061_destroy(g);
}

static void test_level(void)
{
	struct gpio_pl061 *g = gpio_new();

	/* Level-sensitive, active high, on line 6. */
	wr(g, IS, 0x40);
	wr(g, IEV, 0x40);
	wr(g, IE, 0x40);
	CHECK(!fake.level);
	CHECK_EQ(rd(g, RIS), 0);
	gpio_pl061_set_input(g, 6, true);
	CHECK(fake.level);
	CHECK_EQ(rd(g, RIS), 0x40);
	/* IC does not clear an active level. */
	wr(g, IC, 0x40);
	CHECK(fake.level);
	CHECK_EQ(rd(g, RIS), 0x40);
	/* The level going away does. */
	gpio_pl061_set_input(g, 6, false);
	CHECK(!fake.level);
	CHECK_EQ(rd(g, RIS), 0);
	/* Active low: pending at once, as the line is low now. */
	wr(g, IEV, 0);
	CHECK(fake.level);
	CHECK_EQ(rd(g, RIS), 0x40);
	gpio_pl061_set_input(g, 6, true);
	CHECK(!fake.level);
	/* Switching to edge mode drops a pending level. */
	gpio_pl061_set_input(g, 6, false);
	CHECK(fake.level);
	wr(g, IS, 0);
	CHECK(!fake.level);
	CHECK_EQ(rd(g, RIS), 0);
	gpio_pl061_destroy(g);
}

static void test_output_edge(void)
{
	struct gpio_pl061 *g = gpio_new();

	/* The pads see outputs too: an output's rising edge latches. */
	wr(g, DIR, 0x01);
	wr(g, IEV, 0x01);
	wr(g, IE, 0x01);
	wr_data(g, 0x01, 0x01);
	CHECK(fake.level);
	wr(g, IC, 0x01);
	/* The host cannot move an output. */
	gpio_pl061_set_input(g, 0, false);
	wr_data(g, 0x01, 0x01);
	CHECK(!fake.level);
	gpio_pl061_destroy(g);
}

static void test_reset(void)
{
	struct gpio_pl061 *g = gpio_new();

	wr(g, DIR, 0x0f);
	wr_data(g, 0xff, 0xff);
	wr(g, IEV, 0xff);
	wr(g, IE, 0xff);
	wr(g, AFSEL, 0x33);
	gpio_pl061_set_input(g, POWER + 4, true);
	CHECK(fake.level);
	gpio_pl061_reset(g);
	CHECK(!fake.level);
	CHECK_EQ(rd(g, DIR), 0);
	CHECK_EQ(rd(g, IEV), 0);
	CHECK_EQ(rd(g, IE), 0);
	CHECK_EQ(rd(g, RIS), 0);
	CHECK_EQ(rd(g, AFSEL), 0);
	/* The host's inputs are what they are; outputs are gone. */
	CHECK_EQ(rd_data(g, 0xff), 0x80);
	/* Detection works after the reset. */
	wr(g, IEV, 0x08);
	wr(g, IE, 0x08);
	gpio_pl061_set_input(g, POWER, true);
	CHECK(fake.level);
	gpio_pl061_destroy(g);
}

static void test_no_irq(void)
{
	const struct irq_line irq = { NULL, NULL, 0 };
	struct gpio_pl061 *g = gpio_pl061_create(&irq);

	CHECK(g != NULL);
	wr(g, IE, 0xff);
	wr(g, IEV, 0xff);
	gpio_pl061_set_input(g, POWER, true);
	CHECK_EQ(rd(g, MIS), 1 << POWER);
	gpio_pl061_destroy(g);
}

TEST_MAIN(TEST(test_ids), TEST(test_reset_values), TEST(test_registers),
	  TEST(test_data_address_mask), TEST(test_inputs_and_outputs),
	  TEST(test_rising_edge), TEST(test_falling_edge),
	  TEST(test_both_edges), TEST(test_level), TEST(test_output_edge),
	  TEST(test_reset), TEST(test_no_irq))
