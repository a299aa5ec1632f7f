// SPDX-License-Identifier: MIT
/*
 * The PL011 UART, driven through its MMIO handler as Linux's amba-pl011
 * driver would, with a fake interrupt line and a fake character backend.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "devices/uart_pl011.h"

#include "check.h"

#define DR 0x000
#define RSR 0x004
#define ECR 0x004
#define FR 0x018
#define ILPR 0x020
#define IBRD 0x024
#define FBRD 0x028
#define LCR_H 0x02c
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044
#define DMACR 0x048

#define FR_CTS 0x001
#define FR_DSR 0x002
#define FR_DCD 0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080

#define LCR_H_FEN 0x10
#define LCR_H_8N1 0x60

#define CR_UARTEN 0x001
#define CR_LBE 0x080
#define CR_TXE 0x100
#define CR_RXE 0x200

#define INT_RX 0x010
#define INT_TX 0x020
#define INT_RT 0x040
#define INT_OE 0x400

#define TEST_GSI 33
#define OUT_MAX 20000

static struct {
	bool level;
	unsigned int irq_calls;
	unsigned int irq_bad_gsi;
	uint8_t out[OUT_MAX];
	size_t out_len;
	unsigned int write_calls;
	unsigned int rx_space;
} fake;

static void fake_irq_set(void *ctx, unsigned int gsi, bool level)
{
	(void)ctx;
	if (gsi != TEST_GSI)
		fake.irq_bad_gsi++;
	fake.irq_calls++;
	fake.level = level;
}

static void fake_write(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	fake.write_calls++;
	for (size_t i = 0; i < len && fake.out_len < OUT_MAX; i++)
		fake.out[fake.out_len++] = buf[i];
}

static void fake_rx_space(void *ctx)
{
	(void)ctx;
	fake.rx_space++;
}

static struct uart_pl011 *uart_new(void)
{
	const struct irq_line irq = { fake_irq_set, NULL, TEST_GSI };
	const struct chardev backend = { fake_write, fake_rx_space, NULL };
	struct uart_pl011 *u;

	memset(&fake, 0, sizeof(fake));
	u = uart_pl011_create(&irq, &backend);
	CHECK(u != NULL);
	return u;
}

static uint32_t rd(struct uart_pl011 *u, unsigned int reg)
{
	uint8_t v[4] = { 0xee, 0xee, 0xee, 0xee };

	uart_pl011_access(u, reg, v, 4, false);
	return v[0] | v[1] << 8 | v[2] << 16 | (uint32_t)v[3] << 24;
}

static void wr(struct uart_pl011 *u, unsigned int reg, uint32_t val)
{
	uint8_t v[4] = { val, val >> 8, val >> 16, val >> 24 };

	uart_pl011_access(u, reg, v, 4, true);
}

static uint8_t rd8(struct uart_pl011 *u, unsigned int reg)
{
	uint8_t v = 0xee;

	uart_pl011_access(u, reg, &v, 1, false);
	return v;
}

static void wr8(struct uart_pl011 *u, unsigned int reg, uint8_t v)
{
	uart_pl011_access(u, reg, &v, 1, true);
}

/* What Linux's startup does: 8N1 with FIFOs, enabled, RX interrupts on. */
static void linux_setup(struct uart_pl011 *u)
{
	wr(u, IBRD, 13);
	wr(u, FBRD, 1);
	wr(u, LCR_H, LCR_H_8N1 | LCR_H_FEN);
	wr(u, CR, CR_UARTEN | CR_TXE | CR_RXE);
	wr(u, ICR, 0x7ff);
	wr(u, IMSC, INT_RX | INT_RT);
}

static void test_ids(void)
{
	static const uint8_t id[8] = { 0x11, 0x10, 0x34, 0x00,
				       0x0d, 0xf0, 0x05, 0xb1 };
	struct uart_pl011 *u = uart_new();
	uint32_t periph = 0, cell = 0;

	for (unsigned int i = 0; i < 8; i++) {
		CHECK_EQ(rd(u, 0xfe0 + 4 * i), id[i]);
		CHECK_EQ(rd8(u, 0xfe0 + 4 * i), id[i]);
	}
	/* As Linux's AMBA bus assembles them. */
	for (unsigned int i = 0; i < 4; i++) {
		periph |= (rd(u, 0xfe0 + 4 * i) & 0xff) << (8 * i);
		cell |= (rd(u, 0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	CHECK_EQ(periph, 0x00341011);
	CHECK_EQ(cell, 0xb105f00d);
	/* Read-only. */
	wr(u, 0xfe0, 0);
	CHECK_EQ(rd(u, 0xfe0), 0x11);
	uart_pl011_destroy(u);
}

static void test_reset_values(void)
{
	struct uart_pl011 *u = uart_new();

	CHECK_EQ(rd(u, FR), FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD);
	CHECK_EQ(rd(u, CR), CR_TXE | CR_RXE);
	CHECK_EQ(rd(u, IFLS), 0x12);
	CHECK_EQ(rd(u, LCR_H), 0);
	CHECK_EQ(rd(u, IMSC), 0);
	CHECK_EQ(rd(u, RIS), 0);
	CHECK_EQ(rd(u, MIS), 0);
	CHECK_EQ(rd(u, RSR), 0);
	CHECK_EQ(rd(u, DMACR), 0);
	CHECK_EQ(rd(u, DR), 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 0);
	uart_pl011_destroy(u);
}

static void test_registers(void)
{
	struct uart_pl011 *u = uart_new();

	wr(u, IBRD, 0x12345);
	CHECK_EQ(rd(u, IBRD), 0x2345);
	wr(u, FBRD, 0xff);
	CHECK_EQ(rd(u, FBRD), 0x3f);
	wr(u, LCR_H, 0x1ff);
	CHECK_EQ(rd(u, LCR_H), 0xff);
	wr(u, IFLS, 0xff);
	CHECK_EQ(rd(u, IFLS), 0x3f);
	wr(u, ILPR, 0x1a5);
	CHECK_EQ(rd(u, ILPR), 0xa5);
	wr(u, IMSC, 0xffffffff);
	CHECK_EQ(rd(u, IMSC), 0x7ff);
	/* DMA is not offered. */
	wr(u, DMACR, 7);
	CHECK_EQ(rd(u, DMACR), 0);
	/* Read-only registers stay so. */
	wr(u, FR, 0);
	CHECK_EQ(rd(u, FR) & (FR_TXFE | FR_RXFE), FR_TXFE | FR_RXFE);
	wr(u, RIS, 0x7ff);
	CHECK_EQ(rd(u, RIS), 0);
	/* Reserved space reads as zero. */
	CHECK_EQ(rd(u, 0x100), 0);
	CHECK_EQ(rd(u, 0xffc - 0x20), 0);
	CHECK_EQ(fake.write_calls, 0);
	uart_pl011_destroy(u);
}

static void test_transmit(void)
{
	struct uart_pl011 *u = uart_new();
	const char *msg = "Booting Linux\n";
	size_t len = strlen(msg);

	linux_setup(u);
	for (size_t i = 0; i < len; i++) {
		/* The console's loop: wait while TXFF, write, wait !BUSY. */
		CHECK_EQ(rd(u, FR) & (FR_TXFF | FR_BUSY), 0);
		wr(u, DR, (uint8_t)msg[i]);
		CHECK_EQ(rd(u, FR) & (FR_TXFF | FR_BUSY | FR_TXFE), FR_TXFE);
	}
	CHECK_EQ(fake.out_len, len);
	CHECK(!memcmp(fake.out, msg, len));
	CHECK_EQ(fake.write_calls, len);
	/* earlycon writes DR with 8-bit stores, without any setup. */
	uart_pl011_reset(u);
	fake.out_len = 0;
	wr8(u, DR, 'e');
	wr8(u, DR, '\n');
	CHECK_EQ(fake.out_len, 2);
	CHECK_EQ(fake.out[0], 'e');
	CHECK_EQ(fake.out[1], '\n');
	/* Only bits 7:0 of a 32-bit DR write are the character. */
	wr(u, DR, 0xf41);
	CHECK_EQ(fake.out[2], 0x41);
	/* Nothing comes back on the receive side. */
	CHECK_EQ(rd(u, FR) & FR_RXFE, FR_RXFE);
	uart_pl011_destroy(u);
}

static void test_tx_interrupt(void)
{
	struct uart_pl011 *u = uart_new();

	linux_setup(u);
	CHECK_EQ(rd(u, RIS) & INT_TX, 0);
	wr(u, DR, 'a');
	/* Raised in RIS, but masked. */
	CHECK_EQ(rd(u, RIS) & INT_TX, INT_TX);
	CHECK_EQ(rd(u, MIS), 0);
	CHECK(!fake.level);
	/* Unmasking it raises the line. */
	wr(u, IMSC, INT_RX | INT_RT | INT_TX);
	CHECK_EQ(rd(u, MIS), INT_TX);
	CHECK(fake.level);
	/* Masking lowers it. */
	wr(u, IMSC, INT_RX | INT_RT);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, MIS), 0);
	wr(u, IMSC, INT_RX | INT_RT | INT_TX);
	CHECK(fake.level);
	/* ICR clears it... */
	wr(u, ICR, INT_TX);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, RIS), 0);
	/* ...until the next write. */
	wr(u, DR, 'b');
	CHECK(fake.level);
	CHECK_EQ(rd(u, MIS), INT_TX);
	/* ICR of other bits leaves it alone. */
	wr(u, ICR, INT_RX | INT_RT | INT_OE);
	CHECK(fake.level);
	wr(u, ICR, 0x7ff);
	CHECK(!fake.level);
	CHECK_EQ(fake.out_len, 2);
	CHECK_EQ(fake.irq_bad_gsi, 0);
	uart_pl011_destroy(u);
}

static void test_receive_fifo(void)
{
	struct uart_pl011 *u = uart_new();
	uint8_t in[20];

	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = 0x30 + i;
	linux_setup(u);
	CHECK_EQ(rd(u, FR) & (FR_RXFE | FR_RXFF), FR_RXFE);
	/* Only what fits in the 16-entry FIFO is taken. */
	CHECK_EQ(uart_pl011_receive(u, in, sizeof(in)), 16);
	CHECK_EQ(uart_pl011_receive(u, in + 16, 4), 0);
	CHECK_EQ(rd(u, FR) & (FR_RXFE | FR_RXFF), FR_RXFF);
	CHECK_EQ(rd(u, RSR), 0);
	CHECK(fake.level);

	fake.rx_space = 0;
	for (unsigned int i = 0; i < 16; i++) {
		CHECK_EQ(rd(u, FR) & FR_RXFE, 0);
		CHECK_EQ(rd(u, DR), 0x30 + i);
		CHECK_EQ(fake.rx_space, i + 1);
		CHECK_EQ(rd(u, FR) & FR_RXFF, 0);
	}
	CHECK_EQ(rd(u, FR) & FR_RXFE, FR_RXFE);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, RIS), 0);

	/* The rest goes in once there is room, in order. */
	CHECK_EQ(uart_pl011_receive(u, in + 16, 4), 4);
	for (unsigned int i = 16; i < 20; i++)
		CHECK_EQ(rd(u, DR), 0x30 + i);
	/* Partial room: 16 - 10 = 6 of 10. */
	CHECK_EQ(uart_pl011_receive(u, in, 10), 10);
	CHECK_EQ(uart_pl011_receive(u, in + 10, 10), 6);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(rd8(u, DR), 0x30 + i);
	CHECK_EQ(rd(u, FR) & FR_RXFE, FR_RXFE);
	uart_pl011_destroy(u);
}

static void test_receive_holding_register(void)
{
	struct uart_pl011 *u = uart_new();
	const uint8_t in[3] = { 'x', 'y', 'z' };

	/* Without FEN: a one-character holding register. */
	wr(u, LCR_H, LCR_H_8N1);
	wr(u, IMSC, INT_RX | INT_RT);
	CHECK_EQ(uart_pl011_receive(u, in, 3), 1);
	CHECK_EQ(rd(u, FR) & (FR_RXFE | FR_RXFF), FR_RXFF);
	/* One character is the trigger level. */
	CHECK_EQ(rd(u, RIS), INT_RX);
	CHECK(fake.level);
	CHECK_EQ(uart_pl011_receive(u, in + 1, 2), 0);
	CHECK_EQ(rd(u, DR), 'x');
	CHECK(!fake.level);
	CHECK_EQ(uart_pl011_receive(u, in + 1, 2), 1);
	CHECK_EQ(rd(u, DR), 'y');
	/* Turning the FIFO on makes room, and says so. */
	fake.rx_space = 0;
	wr(u, LCR_H, LCR_H_8N1 | LCR_H_FEN);
	CHECK_EQ(fake.rx_space, 1);
	CHECK_EQ(uart_pl011_receive(u, in, 3), 3);
	CHECK_EQ(rd(u, FR) & (FR_RXFE | FR_RXFF), 0);
	uart_pl011_destroy(u);
}

static void test_rx_interrupt_levels(void)
{
	static const unsigned int levels[5] = { 2, 4, 8, 12, 14 };
	struct uart_pl011 *u = uart_new();
	const uint8_t b = 'r';

	linux_setup(u);
	for (unsigned int sel = 0; sel < 5; sel++) {
		unsigned int level = levels[sel];

		wr(u, IFLS, sel << 3 | 2);
		CHECK_EQ(rd(u, RIS), 0);
		for (unsigned int n = 1; n <= 16; n++) {
			CHECK_EQ(uart_pl011_receive(u, &b, 1), 1);
			CHECK(fake.level);
			/* Below the level: a receive timeout, at once. */
			CHECK_EQ(rd(u, RIS), n < level ? INT_RT : INT_RX);
			CHECK_EQ(rd(u, MIS), n < level ? INT_RT : INT_RX);
		}
		for (unsigned int n = 16; n > 0; n--) {
			CHECK_EQ(rd(u, RIS), n < level ? INT_RT : INT_RX);
			CHECK_EQ(rd(u, DR), 'r');
		}
		CHECK_EQ(rd(u, RIS), 0);
		CHECK(!fake.level);
	}
	/* Changing the level re-evaluates what is waiting. */
	wr(u, IFLS, 4 << 3);
	for (unsigned int n = 0; n < 8; n++)
		uart_pl011_receive(u, &b, 1);
	CHECK_EQ(rd(u, RIS), INT_RT);
	wr(u, IFLS, 1 << 3);
	CHECK_EQ(rd(u, RIS), INT_RX);
	while (!(rd(u, FR) & FR_RXFE))
		rd(u, DR);
	uart_pl011_destroy(u);
}

static void test_rx_masks_and_icr(void)
{
	struct uart_pl011 *u = uart_new();
	const uint8_t in[8] = { 0 };

	wr(u, LCR_H, LCR_H_8N1 | LCR_H_FEN);
	/* Data without RXIM/RTIM is in RIS but does not interrupt. */
	CHECK_EQ(uart_pl011_receive(u, in, 1), 1);
	CHECK_EQ(rd(u, RIS), INT_RT);
	CHECK_EQ(rd(u, MIS), 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 0);
	/* RXIM alone does not cover a timeout. */
	wr(u, IMSC, INT_RX);
	CHECK(!fake.level);
	wr(u, IMSC, INT_RT);
	CHECK(fake.level);
	CHECK_EQ(rd(u, MIS), INT_RT);
	/* ICR clears the timeout while the data stays. */
	wr(u, ICR, INT_RT);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, RIS), 0);
	CHECK_EQ(rd(u, FR) & FR_RXFE, 0);
	/* More data raises it again. */
	CHECK_EQ(uart_pl011_receive(u, in, 1), 1);
	CHECK(fake.level);
	/* Reaching the level: RX replaces RT. */
	wr(u, IMSC, INT_RX);
	CHECK(!fake.level);
	CHECK_EQ(uart_pl011_receive(u, in, 6), 6);
	CHECK_EQ(rd(u, RIS), INT_RX);
	CHECK(fake.level);
	wr(u, ICR, INT_RX);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, FR) & FR_RXFE, 0);
	/* Linux's startup drains the FIFO after such an ICR. */
	for (unsigned int i = 0; i < 8; i++)
		rd(u, DR);
	CHECK_EQ(rd(u, FR) & FR_RXFE, FR_RXFE);
	CHECK_EQ(rd(u, RIS), 0);
	CHECK(!fake.level);
	uart_pl011_destroy(u);
}

static void test_irq_line_changes_only(void)
{
	struct uart_pl011 *u = uart_new();
	const uint8_t in[4] = { 1, 2, 3, 4 };

	linux_setup(u);
	CHECK_EQ(fake.irq_calls, 0);
	CHECK_EQ(uart_pl011_receive(u, in, 1), 1);
	CHECK_EQ(fake.irq_calls, 1);
	/* Still high across RT -> RX, on reads of other registers. */
	CHECK_EQ(uart_pl011_receive(u, in + 1, 3), 3);
	rd(u, FR);
	rd(u, RIS);
	CHECK_EQ(fake.irq_calls, 1);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(rd(u, DR), 1 + i);
	CHECK_EQ(fake.irq_calls, 2);
	CHECK(!fake.level);
	uart_pl011_destroy(u);
}

static void test_loopback(void)
{
	struct uart_pl011 *u = uart_new();
	const uint8_t in[2] = { 'x', 'y' };

	linux_setup(u);
	wr(u, CR, CR_UARTEN | CR_TXE | CR_RXE | CR_LBE);
	wr(u, DR, 'a');
	wr(u, DR, 'b');
	CHECK_EQ(fake.write_calls, 0);
	/* The outside line is disconnected. */
	CHECK_EQ(uart_pl011_receive(u, in, 2), 0);
	CHECK_EQ(rd(u, DR), 'a');
	CHECK_EQ(rd(u, DR), 'b');
	/* Overrun: the 17th character is lost and flagged. */
	for (unsigned int i = 0; i < 17; i++)
		wr(u, DR, 0xa0 + i);
	CHECK_EQ(rd(u, RIS) & INT_OE, INT_OE);
	CHECK_EQ(rd(u, RSR) & 0x08, 0x08);
	for (unsigned int i = 0; i < 15; i++)
		CHECK_EQ(rd(u, DR), 0xa0 + i);
	/* The last one kept carries the overrun flag in DR bit 11. */
	CHECK_EQ(rd(u, DR), 0x800 | 0xaf);
	wr(u, ECR, 0);
	CHECK_EQ(rd(u, RSR), 0);
	wr(u, ICR, INT_OE);
	/* Leaving loopback reconnects the line, and says so. */
	fake.rx_space = 0;
	wr(u, CR, CR_UARTEN | CR_TXE | CR_RXE);
	CHECK(fake.rx_space > 0);
	wr(u, DR, 'c');
	CHECK_EQ(fake.out_len, 1);
	CHECK_EQ(uart_pl011_receive(u, in, 2), 2);
	CHECK_EQ(rd(u, DR), 'x');
	uart_pl011_destroy(u);
}

static void test_access_widths(void)
{
	struct uart_pl011 *u = uart_new();
	uint8_t v[8];

	wr(u, IBRD, 0x1234);
	/* 16-bit read of a register's low half. */
	memset(v, 0xee, sizeof(v));
	uart_pl011_access(u, IBRD, v, 2, false);
	CHECK_EQ(v[0], 0x34);
	CHECK_EQ(v[1], 0x12);
	/* A byte write sets the register to that byte. */
	wr8(u, IBRD, 0x56);
	CHECK_EQ(rd(u, IBRD), 0x56);
	/* An unaligned access reads zero and writes nothing. */
	memset(v, 0xee, sizeof(v));
	uart_pl011_access(u, IBRD + 1, v, 1, false);
	CHECK_EQ(v[0], 0);
	v[0] = 0x99;
	uart_pl011_access(u, IBRD + 1, v, 1, true);
	CHECK_EQ(rd(u, IBRD), 0x56);
	/* 8 bytes: two registers. */
	memset(v, 0, sizeof(v));
	v[0] = 0x11;
	v[4] = 0x22;
	uart_pl011_access(u, IBRD, v, 8, true);
	CHECK_EQ(rd(u, IBRD), 0x11);
	CHECK_EQ(rd(u, FBRD), 0x22);
	uart_pl011_destroy(u);
}

static void test_reset(void)
{
	struct uart_pl011 *u = uart_new();
	const uint8_t in[4] = { 'a', 'b', 'c', 'd' };

	linux_setup(u);
	wr(u, IMSC, 0x7ff);
	wr(u, IFLS, 0x3f);
	CHECK_EQ(uart_pl011_receive(u, in, 4), 4);
	wr(u, DR, 'x');
	CHECK(fake.level);
	fake.rx_space = 0;
	uart_pl011_reset(u);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, FR), FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD);
	CHECK_EQ(rd(u, CR), CR_TXE | CR_RXE);
	CHECK_EQ(rd(u, LCR_H), 0);
	CHECK_EQ(rd(u, IBRD), 0);
	CHECK_EQ(rd(u, FBRD), 0);
	CHECK_EQ(rd(u, IFLS), 0x12);
	CHECK_EQ(rd(u, IMSC), 0);
	CHECK_EQ(rd(u, RIS), 0);
	/* The FIFO was emptied: the backend hears of the room. */
	CHECK(fake.rx_space > 0);
	CHECK_EQ(uart_pl011_receive(u, in, 4), 1);
	CHECK_EQ(rd(u, DR), 'a');
	uart_pl011_destroy(u);
}

static uint8_t pattern(unsigned int i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

struct feeder {
	struct uart_pl011 *u;
	uint8_t buf[10000];
};

static void *feeder_main(void *opaque)
{
	struct feeder *f = opaque;
	size_t off = 0;

	while (off < sizeof(f->buf)) {
		size_t left = sizeof(f->buf) - off;
		size_t n = uart_pl011_receive(f->u, f->buf + off,
					      left < 7 ? left : 7);

		off += n;
		if (!n)
			sched_yield();
	}
	return NULL;
}

static void test_receive_10000_threaded(void)
{
	static struct feeder f;
	pthread_t thread;
	unsigned int got = 0, bad = 0;

	f.u = uart_new();
	for (unsigned int i = 0; i < sizeof(f.buf); i++)
		f.buf[i] = pattern(i);
	linux_setup(f.u);
	CHECK(pthread_create(&thread, NULL, feeder_main, &f) == 0);
	while (got < sizeof(f.buf)) {
		if (rd(f.u, FR) & FR_RXFE) {
			sched_yield();
			continue;
		}
		uint32_t dr = rd(f.u, DR);

		bad += dr != pattern(got++);
	}
	pthread_join(thread, NULL);
	CHECK_EQ(got, sizeof(f.buf));
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd(f.u, RSR), 0);
	uart_pl011_destroy(f.u);
}

static void test_no_backend(void)
{
	const struct irq_line irq = { NULL, NULL, 0 };
	struct uart_pl011 *u = uart_pl011_create(&irq, NULL);
	const uint8_t b = 'n';

	CHECK(u != NULL);
	wr(u, IMSC, 0x7ff);
	wr(u, DR, 'x');
	CHECK_EQ(uart_pl011_receive(u, &b, 1), 1);
	CHECK_EQ(rd(u, DR), 'n');
	uart_pl011_reset(u);
	uart_pl011_destroy(u);
}

TEST_MAIN(TEST(test_ids), TEST(test_reset_values), TEST(test_registers),
	  TEST(test_transmit), TEST(test_tx_interrupt), TEST(test_receive_fifo),
	  TEST(test_receive_holding_register), TEST(test_rx_interrupt_levels),
	  TEST(test_rx_masks_and_icr), TEST(test_irq_line_changes_only),
	  TEST(test_loopback), TEST(test_access_widths), TEST(test_reset),
	  TEST(test_receive_10000_threaded), TEST(test_no_backend))
