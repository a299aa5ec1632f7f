/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_UART_16550_H
#define SCORPI_UART_16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/chardev.h"
#include "../base/irq.h"

struct uart_16550;

struct uart_16550 *uart_16550_create(const struct irq_line *irq,
				     const struct chardev *backend);
void uart_16550_destroy(struct uart_16550 *u);
void uart_16550_reset(struct uart_16550 *u);
/* A port access at offset 0-7 (the bus access handler). */
void uart_16550_access(void *opaque, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write);
/* Host input: takes what fits in the receive FIFO, returns how much. */
size_t uart_16550_receive(struct uart_16550 *u, const uint8_t *buf, size_t len);

#endif
