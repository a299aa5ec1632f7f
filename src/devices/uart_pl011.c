// SPDX-License-Identifier: MIT
/*
 * An ARM PrimeCell PL011 UART (DDI 0183), as Linux's amba-pl011 driver and
 * its earlycon drive it. Transmission is immediate: each byte goes to the
 * backend as the guest writes it, so the transmit FIFO is always empty and
 * never busy, and every write raises the transmit interrupt. There is no bit
 * clock, so received data below the FIFO trigger level raises the receive
 * timeout interrupt at once. Baud rate, line control and the modem outputs
 * are stored and otherwise ignored; DMA is not offered.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/bus.h"
#include "uart_pl011.h"

#define PL011_DR 0x000
#define PL011_RSR 0x004 /* RSR (read), ECR (write) */
#define PL011_FR 0x018
#define PL011_ILPR 0x020
#define PL011_IBRD 0x024
#define PL011_FBRD 0x028
#define PL011_LCR_H 0x02c
#define PL011_CR 0x030
#define PL011_IFLS 0x034
#define PL011_IMSC 0x038
#define PL011_RIS 0x03c
#define PL011_MIS 0x040
#define PL011_ICR 0x044
#define PL011_DMACR 0x048
#define PL011_ID_BASE 0xfe0

#define DR_OE 0x800 /* error bits 11:8 of a DR read */

#define RSR_OE 0x08

#define FR_CTS 0x001
#define FR_DSR 0x002
#define FR_DCD 0x004
#define FR_RXFE 0x010
#define FR_RXFF 0x040
#define FR_TXFE 0x080

#define LCR_H_FEN 0x10

#define CR_LBE 0x0080
#define CR_TXE 0x0100
#define CR_RXE 0x0200

#define INT_RX 0x010
#define INT_TX 0x020
#define INT_RT 0x040
#define INT_OE 0x400
#define INT_ALL 0x7ff

#define FIFO_SIZE 16

/* Periph ID 0x00341011 (PL011 revision r1p5), then the PrimeCell ID. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x34, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

struct uart_pl011 {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct chardev backend;
	bool irq_level;

	uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris;
	/* Each entry: the byte in bits 7:0, its error flags in 11:8. */
	uint16_t rx[FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

/* 16 entries with FEN, else a one-character holding register. */
static unsigned int pl011_rx_capacity(const struct uart_pl011 *u)
{
	return (u->lcr_h & LCR_H_FEN) ? FIFO_SIZE : 1;
}

/* IFLS.RXIFLSEL: 1/8, 1/4, 1/2, 3/4 or 7/8 full. */
static unsigned int pl011_rx_trigger(const struct uart_pl011 *u)
{
	static const unsigned int levels[5] = { 2, 4, 8, 12, 14 };
	unsigned int sel = (u->ifls >> 3) & 7;

	if (!(u->lcr_h & LCR_H_FEN))
		return 1;
	return levels[sel < 5 ? sel : 4];
}

static void pl011_update_irq(struct uart_pl011 *u)
{
	bool level = (u->ris & u->imsc) != 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/*
 * After the FIFO or its trigger level changed: at or above the level is a
 * receive interrupt, below it (but not empty) a receive timeout.
 */
static void pl011_update_rx_status(struct uart_pl011 *u)
{
	u->ris &= ~(INT_RX | INT_RT);
	if (u->rx_count >= pl011_rx_trigger(u))
		u->ris |= INT_RX;
	else if (u->rx_count)
		u->ris |= INT_RT;
}

static void pl011_rx_push(struct uart_pl011 *u, uint8_t byte)
{
	if (u->rx_count >= pl011_rx_capacity(u)) {
		/* The new character is lost; the last one kept says so. */
		unsigned int last = (u->rx_head + u->rx_count - 1) % FIFO_SIZE;

		u->rx[last] |= DR_OE;
		u->rsr |= RSR_OE;
		u->ris |= INT_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % FIFO_SIZE] = byte;
	u->rx_count++;
	pl011_update_rx_status(u);
}

static uint32_t pl011_rx_pop(struct uart_pl011 *u)
{
	uint16_t v;

	if (!u->rx_count)
		return 0;
	v = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
	u->rx_count--;
	/* RSR holds the error status of the character last read. */
	u->rsr = (u->rsr & RSR_OE) | ((v >> 8) & 0x7);
	pl011_update_rx_status(u);
	return v;
}

static void pl011_reset_locked(struct uart_pl011 *u)
{
	u->rsr = u->ilpr = u->ibrd = u->fbrd = u->lcr_h = 0;
	u->cr = CR_TXE | CR_RXE;
	u->ifls = 0x12; /* both FIFOs half full */
	u->imsc = u->ris = 0;
	u->rx_head = u->rx_count = 0;
	pl011_update_irq(u);
}

struct uart_pl011 *uart_pl011_create(const struct irq_line *irq,
				     const struct chardev *backend)
{
	struct uart_pl011 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->irq = *irq;
	if (backend)
		u->backend = *backend;
	pl011_reset_locked(u);
	return u;
}

void uart_pl011_destroy(struct uart_pl011 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uart_pl011_reset(struct uart_pl011 *u)
{
	pthread_mutex_lock(&u->lock);
	pl011_reset_locked(u);
	pthread_mutex_unlock(&u->lock);
	/* The FIFO was emptied: a backend holding input back may send it. */
	chardev_rx_space(&u->backend);
}

static uint32_t pl011_fr(const struct uart_pl011 *u)
{
	/* A terminal is attached; the transmitter is always empty. */
	uint32_t fr = FR_CTS | FR_DSR | FR_DCD | FR_TXFE;

	if (!u->rx_count)
		fr |= FR_RXFE;
	if (u->rx_count >= pl011_rx_capacity(u))
		fr |= FR_RXFF;
	return fr;
}

static uint32_t pl011_read(struct uart_pl011 *u, unsigned int reg,
			   bool *rx_space)
{
	switch (reg) {
	case PL011_DR:
		*rx_space = true;
		return pl011_rx_pop(u);
	case PL011_RSR:
		return u->rsr;
	case PL011_FR:
		return pl011_fr(u);
	case PL011_ILPR:
		return u->ilpr;
	case PL011_IBRD:
		return u->ibrd;
	case PL011_FBRD:
		return u->fbrd;
	case PL011_LCR_H:
		return u->lcr_h;
	case PL011_CR:
		return u->cr;
	case PL011_IFLS:
		return u->ifls;
	case PL011_IMSC:
		return u->imsc;
	case PL011_RIS:
		return u->ris;
	case PL011_MIS:
		return u->ris & u->imsc;
	default:
		if (reg >= PL011_ID_BASE)
			return pl011_id[(reg - PL011_ID_BASE) / 4];
		return 0; /* DMACR, ICR (write-only) and reserved space */
	}
}

static void pl011_write(struct uart_pl011 *u, unsigned int reg, uint32_t v,
			bool *rx_space)
{
	uint8_t byte = v;

	switch (reg) {
	case PL011_DR:
		if (u->cr & CR_LBE)
			pl011_rx_push(u, byte);
		else
			chardev_write(&u->backend, &byte, 1);
		/* The FIFO is empty again at once. */
		u->ris |= INT_TX;
		break;
	case PL011_RSR: /* ECR: any write clears the errors */
		u->rsr = 0;
		break;
	case PL011_ILPR:
		u->ilpr = v & 0xff;
		break;
	case PL011_IBRD:
		u->ibrd = v & 0xffff;
		break;
	case PL011_FBRD:
		u->fbrd = v & 0x3f;
		break;
	case PL011_LCR_H:
		/* Turning the FIFO on makes room. */
		if ((v & LCR_H_FEN) && !(u->lcr_h & LCR_H_FEN))
			*rx_space = true;
		u->lcr_h = v & 0xff;
		pl011_update_rx_status(u);
		break;
	case PL011_CR:
		/* Leaving loopback reconnects the line: input may flow. */
		if ((u->cr & CR_LBE) && !(v & CR_LBE))
			*rx_space = true;
		u->cr = v & 0xff87;
		break;
	case PL011_IFLS:
		u->ifls = v & 0x3f;
		pl011_update_rx_status(u);
		break;
	case PL011_IMSC:
		u->imsc = v & INT_ALL;
		break;
	case PL011_ICR:
		u->ris &= ~(v & INT_ALL);
		break;
	default:
		break; /* DMACR (no DMA), read-only and reserved registers */
	}
}

void uart_pl011_access(void *opaque, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write)
{
	struct uart_pl011 *u = opaque;
	bool rx_space = false;

	if (size == 8) {
		uart_pl011_access(opaque, offset, data, 4, is_write);
		uart_pl011_access(opaque, offset + 4, data + 4, 4, is_write);
		return;
	}
	offset &= UART_PL011_REGION_SIZE - 1;
	pthread_mutex_lock(&u->lock);
	if ((offset & 3) || size > 4) {
		/* Only a register's low bits are addressable on their own. */
		if (!is_write)
			memset(data, 0, size);
	} else if (is_write) {
		pl011_write(u, offset, le_read(data, size), &rx_space);
	} else {
		le_write(data, size, pl011_read(u, offset, &rx_space));
	}
	pl011_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (rx_space)
		chardev_rx_space(&u->backend);
}

size_t uart_pl011_receive(struct uart_pl011 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	/* In loopback the line is disconnected from the outside. */
	if (!(u->cr & CR_LBE)) {
		while (n < len && u->rx_count < pl011_rx_capacity(u))
			pl011_rx_push(u, buf[n++]);
		pl011_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}
