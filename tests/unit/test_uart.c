// SPDX-License-Identifier: MIT
/*
 * The 16550A UART, driven through its port handler as a guest driver (Linux's
 * serial8250 in particular) would, with a fake interrupt line and a fake
 * character backend behind it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "devices/uart_16550.h"

#include "check.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define TEST_GSI 4
#define OUT_MAX 20000

/* What the device did to the world around it. */
static struct {
	bool level; /* the interrupt line as last driven */
	unsigned int irq_calls;
	unsigned int irq_raises;
	unsigned int irq_bad_gsi;
	uint8_t out[OUT_MAX];
	size_t out_len;
	unsigned int write_calls;
	size_t write_max_len;
	unsigned int rx_space;
} fake;

static void fake_irq_set(void *ctx, unsigned int gsi, bool level)
{
	(void)ctx;
	if (gsi != TEST_GSI)
		fake.irq_bad_gsi++;
	fake.irq_calls++;
	if (level)
		fake.irq_raises++;
	fake.level = level;
}

static void fake_write(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	fake.write_calls++;
	if (len > fake.write_max_len)
		fake.write_max_len = len;
	for (size_t i = 0; i < len && fake.out_len < OUT_MAX; i++)
		fake.out[fake.out_len++] = buf[i];
}

static void fake_rx_space(void *ctx)
{
	(void)ctx;
	fake.rx_space++;
}

static struct uart_16550 *uart_new(void)
{
	const struct irq_line irq = { fake_irq_set, NULL, TEST_GSI };
	const struct chardev backend = { fake_write, fake_rx_space, NULL };
	struct uart_16550 *u;

	memset(&fake, 0, sizeof(fake));
	u = uart_16550_create(&irq, &backend);
	CHECK(u != NULL);
	return u;
}

static uint8_t rd(struct uart_16550 *u, unsigned int reg)
{
	uint8_t v = 0xee;

	uart_16550_access(u, reg, &v, 1, false);
	return v;
}

static void wr(struct uart_16550 *u, unsigned int reg, uint8_t v)
{
	uart_16550_access(u, reg, &v, 1, true);
}

static void test_initial_state(void)
{
	struct uart_16550 *u = uart_new();

	CHECK_EQ(rd(u, IER), 0);
	CHECK_EQ(rd(u, IIR), 0x01);
	CHECK_EQ(rd(u, LCR), 0);
	CHECK_EQ(rd(u, MCR), 0);
	CHECK_EQ(rd(u, LSR), LSR_THRE | LSR_TEMT);
	/* A terminal is attached: CTS, DSR and DCD, and no deltas. */
	CHECK_EQ(rd(u, MSR), 0xb0);
	CHECK_EQ(rd(u, SCR), 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_raises, 0);
	CHECK_EQ(fake.write_calls, 0);
	uart_16550_destroy(u);
}

static void test_scratch(void)
{
	struct uart_16550 *u = uart_new();

	wr(u, SCR, 0x55);
	CHECK_EQ(rd(u, SCR), 0x55);
	wr(u, SCR, 0xaa);
	CHECK_EQ(rd(u, SCR), 0xaa);
	wr(u, SCR, 0x00);
	CHECK_EQ(rd(u, SCR), 0x00);
	/* The scratch register is not a side door to anything else. */
	CHECK_EQ(rd(u, IER), 0);
	CHECK_EQ(rd(u, LCR), 0);
	CHECK_EQ(fake.write_calls, 0);
	uart_16550_destroy(u);
}

static void test_ier_low_bits(void)
{
	struct uart_16550 *u = uart_new();

	wr(u, IER, 0xff);
	CHECK_EQ(rd(u, IER), 0x0f);
	wr(u, IER, 0xf0);
	CHECK_EQ(rd(u, IER), 0x00);
	wr(u, IER, 0x05);
	CHECK_EQ(rd(u, IER), 0x05);
	uart_16550_destroy(u);
}

static void test_dlab(void)
{
	struct uart_16550 *u = uart_new();
	uint8_t two[2];

	wr(u, IER, IER_RLSI);
	wr(u, LCR, LCR_DLAB | 0x03);
	CHECK_EQ(rd(u, LCR), LCR_DLAB | 0x03);
	/* The reset divisor is 12, 9600 baud. */
	CHECK_EQ(rd(u, DLL), 12);
	CHECK_EQ(rd(u, DLM), 0);
	wr(u, DLL, 0x01);
	wr(u, DLM, 0x02);
	CHECK_EQ(rd(u, DLL), 0x01);
	CHECK_EQ(rd(u, DLM), 0x02);
	/* Writing the divisor transmits nothing and leaves IER alone. */
	CHECK_EQ(fake.write_calls, 0);
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	CHECK_EQ(fake.rx_space, 0);

	wr(u, LCR, 0x03);
	CHECK_EQ(rd(u, IER), IER_RLSI);
	wr(u, IER, 0);
	wr(u, THR, 'A');
	CHECK_EQ(fake.out_len, 1);
	CHECK_EQ(fake.out[0], 'A');

	/* The divisor survived, and IER writes did not reach DLM. */
	wr(u, LCR, LCR_DLAB | 0x03);
	CHECK_EQ(rd(u, DLL), 0x01);
	CHECK_EQ(rd(u, DLM), 0x02);

	/* A 16-bit access covers DLL and DLM together. */
	two[0] = 0x34;
	two[1] = 0x12;
	uart_16550_access(u, DLL, two, 2, true);
	two[0] = two[1] = 0;
	uart_16550_access(u, DLL, two, 2, false);
	CHECK_EQ(two[0], 0x34);
	CHECK_EQ(two[1], 0x12);
	wr(u, LCR, 0x03);
	CHECK_EQ(rd(u, IER), 0);
	CHECK_EQ(fake.out_len, 1);
	uart_16550_destroy(u);
}

static void test_fifo_detect(void)
{
	struct uart_16550 *u = uart_new();

	CHECK_EQ(rd(u, IIR) & 0xc0, 0);
	/* Linux's autoconfig: FCR = ENABLE_FIFO, IIR >> 6 == 3 is a 16550A. */
	wr(u, FCR, 0x07);
	CHECK_EQ(rd(u, IIR) & 0xc0, 0xc0);
	CHECK_EQ(rd(u, IIR), 0xc1);
	wr(u, FCR, 0x00);
	CHECK_EQ(rd(u, IIR), 0x01);
	uart_16550_destroy(u);
}

static void test_loopback_probe(void)
{
	struct uart_16550 *u = uart_new();
	uint8_t save_mcr = MCR_OUT2 | MCR_DTR | MCR_RTS;

	wr(u, MCR, save_mcr);
	/* serial8250's autoconfig: MCR = LOOP | 0x0A, MSR & 0xF0 == 0x90. */
	wr(u, MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
	CHECK_EQ(rd(u, MCR), MCR_LOOP | MCR_OUT2 | MCR_RTS);
	CHECK_EQ(rd(u, MSR) & 0xf0, 0x90);
	/* The other outputs: DTR drives DSR, OUT1 drives RI. */
	wr(u, MCR, MCR_LOOP | MCR_DTR | MCR_OUT1);
	CHECK_EQ(rd(u, MSR) & 0xf0, 0x60);
	wr(u, MCR, MCR_LOOP);
	CHECK_EQ(rd(u, MSR) & 0xf0, 0x00);
	wr(u, MCR, save_mcr);
	CHECK_EQ(rd(u, MSR) & 0xf0, 0xb0);
	uart_16550_destroy(u);
}

static void test_msr_deltas(void)
{
	struct uart_16550 *u = uart_new();
	uint8_t msr;

	wr(u, IER, IER_MSI);
	CHECK_EQ(rd(u, IIR), 0x01);
	CHECK(!fake.level);
	/* Loopback with no outputs set drops CTS, DSR and DCD. */
	wr(u, MCR, MCR_LOOP);
	CHECK(fake.level);
	CHECK_EQ(rd(u, IIR), 0x00);
	msr = rd(u, MSR);
	CHECK_EQ(msr, 0x0b); /* DCTS | DDSR | DDCD */
	/* Reading MSR clears the deltas and the interrupt. */
	CHECK_EQ(rd(u, MSR), 0x00);
	CHECK_EQ(rd(u, IIR), 0x01);
	CHECK(!fake.level);
	/* RI falling is TERI. */
	wr(u, MCR, MCR_LOOP | MCR_OUT1);
	CHECK_EQ(rd(u, MSR), 0x40);
	wr(u, MCR, MCR_LOOP);
	CHECK_EQ(rd(u, MSR), 0x04);
	uart_16550_destroy(u);
}

static void test_transmit(void)
{
	struct uart_16550 *u = uart_new();
	const char *msg = "hello, world\n";
	size_t len = strlen(msg);

	for (size_t i = 0; i < len; i++)
		wr(u, THR, (uint8_t)msg[i]);
	CHECK_EQ(fake.out_len, len);
	CHECK(!memcmp(fake.out, msg, len));
	/* Byte by byte, as the guest writes them. */
	CHECK_EQ(fake.write_calls, len);
	CHECK_EQ(fake.write_max_len, 1);
	/* The transmitter is always empty again. */
	CHECK_EQ(rd(u, LSR), LSR_THRE | LSR_TEMT);
	/* Nothing comes back on the receive side. */
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	uart_16550_destroy(u);
}

static void test_transmit_loopback(void)
{
	struct uart_16550 *u = uart_new();
	const uint8_t in[3] = { 'x', 'y', 'z' };

	wr(u, MCR, MCR_LOOP);
	wr(u, THR, 'a');
	wr(u, THR, 'b');
	CHECK_EQ(fake.write_calls, 0);
	CHECK_EQ(fake.out_len, 0);
	CHECK_EQ(rd(u, LSR) & LSR_DR, LSR_DR);
	/* The outside line is disconnected in loopback. */
	CHECK_EQ(uart_16550_receive(u, in, sizeof(in)), 0);
	CHECK_EQ(rd(u, RBR), 'a');
	CHECK_EQ(rd(u, RBR), 'b');
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);

	/* Leaving loopback connects the line again, and says so. */
	fake.rx_space = 0;
	wr(u, MCR, MCR_OUT2);
	CHECK(fake.rx_space > 0);
	wr(u, THR, 'c');
	CHECK_EQ(fake.out_len, 1);
	CHECK_EQ(fake.out[0], 'c');
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	CHECK_EQ(uart_16550_receive(u, in, sizeof(in)), 3);
	CHECK_EQ(rd(u, RBR), 'x');
	uart_16550_destroy(u);
}

/*
 * serial8250_do_startup's THRE test: a UART that does not raise THRI again
 * when IER.THRI is re-enabled gets UART_BUG_THRE and a polling timer.
 */
static void thre_startup_sequence(struct uart_16550 *u, uint8_t fifo_bits)
{
	uint8_t iir1, iir;

	wr(u, IER, IER_THRI);
	CHECK(fake.level);
	iir1 = rd(u, IIR);
	CHECK_EQ(iir1, 0x02 | fifo_bits);
	/* Reading IIR acknowledged it. */
	CHECK(!fake.level);
	CHECK_EQ(rd(u, IIR), 0x01 | fifo_bits);
	wr(u, IER, 0);
	CHECK(!fake.level);
	wr(u, IER, IER_THRI);
	CHECK(fake.level);
	iir = rd(u, IIR);
	CHECK_EQ(iir, 0x02 | fifo_bits);
	CHECK(!fake.level);
	wr(u, IER, 0);
	/* What Linux concludes from iir1 and iir. */
	CHECK(!(iir1 & 0x01) && !(iir & 0x01));
}

static void test_thre_interrupt(void)
{
	struct uart_16550 *u = uart_new();

	thre_startup_sequence(u, 0);
	/* And once more with FIFOs on, as Linux has them by then. */
	wr(u, FCR, 0x07);
	thre_startup_sequence(u, 0xc0);

	/* Normal operation: each THR write empties at once and interrupts. */
	wr(u, IER, IER_THRI);
	CHECK_EQ(rd(u, IIR), 0xc2);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, IIR), 0xc1);
	wr(u, THR, 'a');
	CHECK(fake.level);
	CHECK_EQ(rd(u, IIR), 0xc2);
	CHECK(!fake.level);
	wr(u, THR, 'b');
	CHECK(fake.level);
	/* Writing IER with THRI still set does not make a second one... */
	CHECK_EQ(rd(u, IIR), 0xc2);
	wr(u, IER, IER_THRI | IER_RDI);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, IIR), 0xc1);
	/* ...and masking THRI lowers a pending one. */
	wr(u, THR, 'c');
	CHECK(fake.level);
	wr(u, IER, IER_RDI);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, IIR), 0xc1);

	/* With THRI disabled, writes never raise the line. */
	fake.irq_raises = 0;
	wr(u, IER, 0);
	wr(u, THR, 'd');
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_raises, 0);
	CHECK_EQ(fake.out_len, 4);
	CHECK_EQ(fake.irq_bad_gsi, 0);
	uart_16550_destroy(u);
}

static void test_irq_line_changes_only(void)
{
	struct uart_16550 *u = uart_new();
	const uint8_t b = 'q';

	/* The line is driven on edges of the level, not on every access. */
	wr(u, IER, IER_RDI | IER_THRI);
	CHECK_EQ(fake.irq_calls, 1);
	CHECK(fake.level);
	CHECK_EQ(rd(u, SCR), 0);
	CHECK_EQ(rd(u, LSR), LSR_THRE | LSR_TEMT);
	CHECK_EQ(fake.irq_calls, 1);
	/* Data arrives while THRI is pending: still high, no new call. */
	CHECK_EQ(uart_16550_receive(u, &b, 1), 1);
	CHECK_EQ(fake.irq_calls, 1);
	/* RDI outranks THRI. */
	CHECK_EQ(rd(u, IIR), 0x04);
	CHECK(fake.level);
	CHECK_EQ(rd(u, RBR), 'q');
	CHECK(fake.level);
	CHECK_EQ(rd(u, IIR), 0x02);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 2);
	uart_16550_destroy(u);
}

static void test_receive(void)
{
	struct uart_16550 *u = uart_new();
	uint8_t in[20];

	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = 0x30 + i;
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	wr(u, IER, IER_RDI);
	CHECK(!fake.level);
	/* Only what fits in the 16-byte FIFO is taken. */
	CHECK_EQ(uart_16550_receive(u, in, sizeof(in)), 16);
	CHECK_EQ(uart_16550_receive(u, in + 16, 4), 0);
	CHECK_EQ(rd(u, LSR) & (LSR_DR | LSR_OE), LSR_DR);
	CHECK(fake.level);
	/* Without FIFOs enabled the trigger level is one byte. */
	CHECK_EQ(rd(u, IIR), 0x04);

	fake.rx_space = 0;
	for (unsigned int i = 0; i < 16; i++) {
		CHECK_EQ(rd(u, LSR) & LSR_DR, LSR_DR);
		CHECK_EQ(rd(u, RBR), 0x30 + i);
		CHECK_EQ(fake.rx_space, i + 1);
	}
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	CHECK_EQ(rd(u, IIR), 0x01);
	CHECK(!fake.level);

	/* The rest goes in once there is room, and keeps its order. */
	CHECK_EQ(uart_16550_receive(u, in + 16, 4), 4);
	CHECK(fake.level);
	for (unsigned int i = 16; i < 20; i++)
		CHECK_EQ(rd(u, RBR), 0x30 + i);
	CHECK(!fake.level);
	/* Partial room: 16 - 10 = 6 of 20. */
	CHECK_EQ(uart_16550_receive(u, in, 10), 10);
	CHECK_EQ(uart_16550_receive(u, in + 10, 10), 6);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(rd(u, RBR), 0x30 + i);
	CHECK_EQ(rd(u, LSR), LSR_THRE | LSR_TEMT);
	uart_16550_destroy(u);
}

static void test_receive_no_rdi(void)
{
	struct uart_16550 *u = uart_new();
	const uint8_t b = 'z';

	/* Data without IER.RDI is visible in LSR but does not interrupt. */
	CHECK_EQ(uart_16550_receive(u, &b, 1), 1);
	CHECK(!fake.level);
	CHECK_EQ(fake.irq_calls, 0);
	CHECK_EQ(rd(u, IIR), 0x01);
	CHECK_EQ(rd(u, LSR) & LSR_DR, LSR_DR);
	/* Enabling RDI with data waiting raises the line. */
	wr(u, IER, IER_RDI);
	CHECK(fake.level);
	CHECK_EQ(rd(u, RBR), 'z');
	CHECK(!fake.level);
	uart_16550_destroy(u);
}

static void test_receive_trigger_levels(void)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };
	struct uart_16550 *u = uart_new();
	uint8_t in[16];

	memset(in, 'r', sizeof(in));
	wr(u, IER, IER_RDI);
	for (unsigned int t = 0; t < 4; t++) {
		unsigned int level = levels[t];

		/* Enable, clear, trigger level in bits 7:6. */
		wr(u, FCR, (uint8_t)(t << 6) | 0x03);
		CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
		CHECK(!fake.level);
		for (unsigned int n = 1; n <= 16; n++) {
			CHECK_EQ(uart_16550_receive(u, in, 1), 1);
			CHECK(fake.level);
			/* Below the trigger level data shows as a timeout. */
			if (n < level)
				CHECK_EQ(rd(u, IIR), 0xcc);
			else
				CHECK_EQ(rd(u, IIR), 0xc4);
		}
		/* Draining below the level goes back to timeout. */
		for (unsigned int n = 16; n > 0; n--) {
			if (n < level)
				CHECK_EQ(rd(u, IIR), 0xcc);
			else
				CHECK_EQ(rd(u, IIR), 0xc4);
			CHECK_EQ(rd(u, RBR), 'r');
		}
		CHECK_EQ(rd(u, IIR), 0xc1);
		CHECK(!fake.level);
	}
	uart_16550_destroy(u);
}

static void test_fcr_clear(void)
{
	struct uart_16550 *u = uart_new();
	const uint8_t in[5] = { 1, 2, 3, 4, 5 };

	wr(u, FCR, 0x01);
	wr(u, IER, IER_RDI);
	CHECK_EQ(uart_16550_receive(u, in, 5), 5);
	CHECK(fake.level);
	/* Rewriting FCR without CLEAR_RX keeps the data. */
	fake.rx_space = 0;
	wr(u, FCR, 0x01);
	CHECK_EQ(rd(u, LSR) & LSR_DR, LSR_DR);
	CHECK_EQ(fake.rx_space, 0);
	/* CLEAR_RX empties the FIFO, lowers the line, and makes room. */
	wr(u, FCR, 0x03);
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	CHECK(!fake.level);
	CHECK_EQ(fake.rx_space, 1);
	/* So does turning the FIFOs off. */
	CHECK_EQ(uart_16550_receive(u, in, 5), 5);
	wr(u, FCR, 0x00);
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	CHECK_EQ(fake.rx_space, 2);
	uart_16550_destroy(u);
}

static void test_rbr_empty_read(void)
{
	struct uart_16550 *u = uart_new();

	CHECK_EQ(rd(u, RBR), 0);
	CHECK_EQ(rd(u, LSR) & LSR_DR, 0);
	/* A read of RBR while DLAB is set is DLL and makes no room. */
	fake.rx_space = 0;
	wr(u, LCR, LCR_DLAB);
	CHECK_EQ(rd(u, RBR), 12);
	CHECK_EQ(fake.rx_space, 0);
	uart_16550_destroy(u);
}

static void test_overrun(void)
{
	struct uart_16550 *u = uart_new();
	uint8_t lsr;

	/* receive() only takes what fits: overrun comes from loopback. */
	wr(u, MCR, MCR_LOOP);
	wr(u, FCR, 0x01);
	for (unsigned int i = 0; i < 16; i++)
		wr(u, THR, (uint8_t)(0xa0 + i));
	CHECK_EQ(rd(u, LSR) & LSR_OE, 0);
	wr(u, IER, IER_RLSI | IER_RDI);
	CHECK_EQ(rd(u, IIR), 0xc4);
	wr(u, THR, 0xff); /* the 17th */
	/* A line status interrupt outranks received data. */
	CHECK_EQ(rd(u, IIR), 0xc6);
	CHECK(fake.level);
	lsr = rd(u, LSR);
	CHECK_EQ(lsr & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
	/* Reading LSR clears OE. */
	CHECK_EQ(rd(u, LSR) & LSR_OE, 0);
	CHECK_EQ(rd(u, IIR), 0xc4);
	CHECK(fake.level);
	/* The FIFO kept the first 16, the 17th was lost. */
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(rd(u, RBR), 0xa0 + i);
	CHECK_EQ(rd(u, LSR) & (LSR_DR | LSR_OE), 0);
	CHECK_EQ(rd(u, IIR), 0xc1);
	CHECK(!fake.level);
	CHECK_EQ(fake.out_len, 0);

	/* Without RLSI enabled OE is latched but does not interrupt. */
	wr(u, IER, 0);
	for (unsigned int i = 0; i < 17; i++)
		wr(u, THR, (uint8_t)i);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, LSR) & LSR_OE, LSR_OE);
	CHECK_EQ(rd(u, LSR) & LSR_OE, 0);
	uart_16550_destroy(u);
}

static void test_reset(void)
{
	struct uart_16550 *u = uart_new();
	const uint8_t in[4] = { 'a', 'b', 'c', 'd' };

	wr(u, LCR, LCR_DLAB);
	wr(u, DLL, 1);
	wr(u, DLM, 1);
	wr(u, LCR, 0x03);
	wr(u, SCR, 0x5a);
	wr(u, FCR, 0xc1);
	wr(u, IER, IER_RDI | IER_THRI | IER_RLSI | IER_MSI);
	CHECK_EQ(uart_16550_receive(u, in, 4), 4);
	wr(u, MCR, MCR_LOOP | MCR_OUT2);
	for (unsigned int i = 0; i < 14; i++)
		wr(u, THR, 'x'); /* overrun */
	CHECK(fake.level);
	CHECK_EQ(rd(u, MCR), MCR_LOOP | MCR_OUT2);

	fake.rx_space = 0;
	uart_16550_reset(u);
	CHECK(!fake.level);
	CHECK_EQ(rd(u, IER), 0);
	CHECK_EQ(rd(u, IIR), 0x01);
	CHECK_EQ(rd(u, LCR), 0);
	CHECK_EQ(rd(u, MCR), 0);
	CHECK_EQ(rd(u, LSR), LSR_THRE | LSR_TEMT);
	CHECK_EQ(rd(u, MSR), 0xb0);
	CHECK_EQ(rd(u, SCR), 0);
	wr(u, LCR, LCR_DLAB);
	CHECK_EQ(rd(u, DLL), 12);
	CHECK_EQ(rd(u, DLM), 0);
	wr(u, LCR, 0x03);
	/*
	 * The FIFO was emptied: a backend holding input back must hear of
	 * the room, or input stalls for a guest that only polls LSR.
	 */
	CHECK(fake.rx_space > 0);
	/* Out of loopback: the line is connected again. */
	CHECK_EQ(uart_16550_receive(u, in, 4), 4);
	CHECK_EQ(rd(u, RBR), 'a');
	wr(u, IER, IER_RDI);
	CHECK(fake.level);
	CHECK_EQ(rd(u, IIR), 0x04);
	uart_16550_destroy(u);
}

static uint8_t pattern(unsigned int i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

static void test_transmit_10000(void)
{
	struct uart_16550 *u = uart_new();
	unsigned int bad = 0;

	wr(u, FCR, 0x07);
	wr(u, IER, IER_THRI);
	for (unsigned int i = 0; i < 10000; i++) {
		/* The driver's loop: wait for THRE, then write. */
		CHECK_EQ(rd(u, LSR) & LSR_THRE, LSR_THRE);
		wr(u, THR, pattern(i));
		CHECK(fake.level);
		CHECK_EQ(rd(u, IIR), 0xc2);
	}
	CHECK_EQ(fake.out_len, 10000);
	CHECK_EQ(fake.write_calls, 10000);
	for (unsigned int i = 0; i < 10000; i++)
		bad += fake.out[i] != pattern(i);
	CHECK_EQ(bad, 0);
	uart_16550_destroy(u);
}

static void test_loopback_10000(void)
{
	struct uart_16550 *u = uart_new();
	unsigned int sent = 0, got = 0, bad = 0;

	wr(u, MCR, MCR_LOOP);
	wr(u, FCR, 0x07);
	/* Bursts of up to 16, drained through RBR while LSR.DR says so. */
	while (got < 10000) {
		for (unsigned int k = 0; k < 1 + sent % 16 && sent < 10000; k++)
			wr(u, THR, pattern(sent++));
		while (rd(u, LSR) & LSR_DR)
			bad += rd(u, RBR) != pattern(got++);
		CHECK_EQ(rd(u, LSR) & LSR_OE, 0);
		if (got != sent)
			break;
	}
	CHECK_EQ(got, 10000);
	CHECK_EQ(sent, 10000);
	CHECK_EQ(bad, 0);
	CHECK_EQ(fake.out_len, 0);
	uart_16550_destroy(u);
}

/* The backend side of a threaded receive: feeds 10000 bytes as they fit. */
struct feeder {
	struct uart_16550 *u;
	uint8_t buf[10000];
};

static void *feeder_main(void *opaque)
{
	struct feeder *f = opaque;
	size_t off = 0;

	while (off < sizeof(f->buf)) {
		size_t n = uart_16550_receive(
			f->u, f->buf + off,
			sizeof(f->buf) - off < 7 ? sizeof(f->buf) - off : 7);

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
	wr(f.u, FCR, 0x07);
	CHECK(pthread_create(&thread, NULL, feeder_main, &f) == 0);
	/* The guest polls LSR.DR and reads RBR, racing the backend. */
	while (got < sizeof(f.buf)) {
		uint8_t lsr = rd(f.u, LSR);

		if (lsr & LSR_OE)
			bad++;
		if (lsr & LSR_DR)
			bad += rd(f.u, RBR) != pattern(got++);
		else
			sched_yield();
	}
	pthread_join(thread, NULL);
	CHECK_EQ(got, sizeof(f.buf));
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd(f.u, LSR) & LSR_DR, 0);
	uart_16550_destroy(f.u);
}

static void test_no_backend(void)
{
	const struct irq_line irq = { NULL, NULL, 0 };
	struct uart_16550 *u = uart_16550_create(&irq, NULL);
	const uint8_t b = 'n';

	/* Output to nowhere and no interrupt controller must not crash. */
	CHECK(u != NULL);
	wr(u, IER, IER_THRI | IER_RDI);
	wr(u, THR, 'x');
	CHECK_EQ(uart_16550_receive(u, &b, 1), 1);
	CHECK_EQ(rd(u, RBR), 'n');
	uart_16550_reset(u);
	uart_16550_destroy(u);
}

TEST_MAIN(TEST(test_initial_state), TEST(test_scratch), TEST(test_ier_low_bits),
	  TEST(test_dlab), TEST(test_fifo_detect), TEST(test_loopback_probe),
	  TEST(test_msr_deltas), TEST(test_transmit),
	  TEST(test_transmit_loopback), TEST(test_thre_interrupt),
	  TEST(test_irq_line_changes_only), TEST(test_receive),
	  TEST(test_receive_no_rdi), TEST(test_receive_trigger_levels),
	  TEST(test_fcr_clear), TEST(test_rbr_empty_read), TEST(test_overrun),
	  TEST(test_reset), TEST(test_transmit_10000),
	  TEST(test_loopback_10000), TEST(test_receive_10000_threaded),
	  TEST(test_no_backend))
