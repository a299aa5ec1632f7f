// SPDX-License-Identifier: MIT
/*
 * A 16550A UART with its 16-byte receive FIFO. Transmission is immediate:
 * each byte goes to the backend as the guest writes it, so the transmitter
 * is always empty again, and the THR-empty interrupt is raised again after
 * every write and whenever it is enabled, as real 16550s do when idle.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "uart_16550.h"

#define UART_RBR 0 /* receive buffer (read), THR (write), DLL (DLAB) */
#define UART_IER 1 /* interrupt enable, DLM (DLAB) */
#define UART_IIR 2 /* interrupt identification (read), FCR (write) */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

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

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTAS 0x0f

#define FIFO_SIZE 16

struct uart_16550 {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct chardev backend;
	bool irq_level;

	uint8_t ier, lcr, mcr, msr, scr, fcr, dll, dlm;
	uint8_t lsr_errors; /* overrun, latched until LSR is read */
	bool thr_ipending;
	uint8_t rx[FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

static const unsigned int rx_trigger_levels[4] = { 1, 4, 8, 14 };

static unsigned int uart_rx_trigger(const struct uart_16550 *u)
{
	if (!(u->fcr & FCR_ENABLE))
		return 1;
	return rx_trigger_levels[u->fcr >> 6];
}

static uint8_t uart_lsr(const struct uart_16550 *u)
{
	return LSR_THRE | LSR_TEMT | u->lsr_errors | (u->rx_count ? LSR_DR : 0);
}

/* The highest-priority pending interrupt, as IIR reports it. */
static uint8_t uart_iir_source(const struct uart_16550 *u)
{
	if ((u->ier & IER_RLSI) && u->lsr_errors)
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count) {
		/* Below the trigger level, data is reported as a timeout. */
		return u->rx_count >= uart_rx_trigger(u) ? IIR_RDI
							 : IIR_TIMEOUT;
	}
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void uart_update_irq(struct uart_16550 *u)
{
	bool level = uart_iir_source(u) != IIR_NO_INT;

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/* In loopback the modem inputs follow the modem outputs. */
static void uart_update_msr(struct uart_16550 *u)
{
	uint8_t old = u->msr, now;

	if (u->mcr & MCR_LOOP)
		now = ((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
		      ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
		      ((u->mcr & MCR_OUT1) ? MSR_RI : 0) |
		      ((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
	else
		now = MSR_CTS | MSR_DSR | MSR_DCD; /* a terminal is attached */
	u->msr = now | (old & MSR_DELTAS);
	if ((old ^ now) & MSR_CTS)
		u->msr |= MSR_DCTS;
	if ((old ^ now) & MSR_DSR)
		u->msr |= MSR_DDSR;
	if ((old ^ now) & MSR_DCD)
		u->msr |= MSR_DDCD;
	if ((old & MSR_RI) && !(now & MSR_RI))
		u->msr |= MSR_TERI;
}

static bool uart_rx_push(struct uart_16550 *u, uint8_t byte)
{
	if (u->rx_count == FIFO_SIZE) {
		u->lsr_errors |= LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

static uint8_t uart_rx_pop(struct uart_16550 *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
	u->rx_count--;
	return byte;
}

static void uart_reset_locked(struct uart_16550 *u)
{
	u->ier = u->lcr = u->mcr = u->scr = u->fcr = 0;
	u->dll = 12; /* 9600 baud */
	u->dlm = 0;
	u->lsr_errors = 0;
	u->thr_ipending = false;
	u->rx_head = u->rx_count = 0;
	u->msr = 0;
	uart_update_msr(u);
	u->msr &= ~MSR_DELTAS;
	uart_update_irq(u);
}

struct uart_16550 *uart_16550_create(const struct irq_line *irq,
				     const struct chardev *backend)
{
	struct uart_16550 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->irq = *irq;
	if (backend)
		u->backend = *backend;
	uart_reset_locked(u);
	return u;
}

void uart_16550_destroy(struct uart_16550 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uart_16550_reset(struct uart_16550 *u)
{
	pthread_mutex_lock(&u->lock);
	uart_reset_locked(u);
	pthread_mutex_unlock(&u->lock);
	/*
	 * The receive FIFO was emptied and loopback left: a backend holding
	 * input back must hear of the room, as a guest that only polls LSR
	 * never reads RBR to tell it.
	 */
	chardev_rx_space(&u->backend);
}

static uint8_t uart_read(struct uart_16550 *u, unsigned int reg, bool *rx_space)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		v = uart_rx_pop(u);
		*rx_space = true;
		return v;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		v = uart_iir_source(u);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if (v == IIR_THRI)
			u->thr_ipending = false;
		return v | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = uart_lsr(u);
		u->lsr_errors = 0;
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		return v;
	default:
		return u->scr;
	}
}

static void uart_write(struct uart_16550 *u, unsigned int reg, uint8_t v,
		       bool *rx_space)
{
	switch (reg) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP)
			uart_rx_push(u, v);
		else
			chardev_write(&u->backend, &v, 1);
		u->thr_ipending = true;
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling THRI while the transmitter is empty interrupts. */
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_ipending = true;
		u->ier = v & 0x0f;
		break;
	case UART_IIR: /* FCR */
		if ((v ^ u->fcr) & FCR_ENABLE || (v & FCR_CLEAR_RX)) {
			u->rx_head = u->rx_count = 0;
			*rx_space = true;
		}
		u->fcr = v & (FCR_ENABLE | 0xc0);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		/* Leaving loopback reconnects the line: input may flow. */
		if ((u->mcr & MCR_LOOP) && !(v & MCR_LOOP))
			*rx_space = true;
		u->mcr = v & 0x1f;
		uart_update_msr(u);
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only */
	default:
		u->scr = v;
		break;
	}
}

void uart_16550_access(void *opaque, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write)
{
	struct uart_16550 *u = opaque;
	bool rx_space = false;

	pthread_mutex_lock(&u->lock);
	/* Wider accesses touch consecutive registers, as on the ISA bus. */
	for (unsigned int i = 0; i < size; i++) {
		unsigned int reg = (offset + i) & 7;

		if (is_write)
			uart_write(u, reg, data[i], &rx_space);
		else
			data[i] = uart_read(u, reg, &rx_space);
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (rx_space)
		chardev_rx_space(&u->backend);
}

size_t uart_16550_receive(struct uart_16550 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	/* In loopback the line is disconnected from the outside. */
	if (!(u->mcr & MCR_LOOP)) {
		while (n < len && u->rx_count < FIFO_SIZE)
			uart_rx_push(u, buf[n++]);
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}
