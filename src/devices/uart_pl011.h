/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_UART_PL011_H
#define SCORPI_UART_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/chardev.h"
#include "../base/irq.h"

struct uart_pl011;

/* The MMIO region is this big. */
#define UART_PL011_REGION_SIZE 0x1000

struct uart_pl011 *uart_pl011_create(const struct irq_line *irq,
				     const struct chardev *backend);
void uart_pl011_destroy(struct uart_pl011 *u);
void uart_pl011_reset(struct uart_pl011 *u);
/*
 * An MMIO access at offset 0-0xfff (the bus access handler). Registers
 * are 32 bits wide; 8- and 16-bit accesses at a register's offset read or
 * write its low bits, and an 8-byte access is two 32-bit ones.
 */
void uart_pl011_access(void *opaque, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write);
/* Host input: takes what fits in the receive FIFO, returns how much. */
size_t uart_pl011_receive(struct uart_pl011 *u, const uint8_t *buf, size_t len);

#endif
