/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_IRQ_H
#define SCORPI_IRQ_H

#include <stdbool.h>

/*
 * An interrupt line as a device sees it: a device drives its line high or
 * low and knows nothing of the interrupt controller behind it.
 */
struct irq_line {
	void (*set)(void *ctx, unsigned int gsi, bool level);
	void *ctx;
	unsigned int gsi;
};

static inline void irq_line_set(const struct irq_line *line, bool level)
{
	if (line->set)
		line->set(line->ctx, line->gsi, level);
}

#endif
