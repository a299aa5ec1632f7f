/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_GPIO_PL061_H
#define SCORPI_GPIO_PL061_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/irq.h"

struct gpio_pl061;

/* The MMIO region is this big; there are 8 lines. */
#define GPIO_PL061_REGION_SIZE 0x1000
#define GPIO_PL061_LINES 8

struct gpio_pl061 *gpio_pl061_create(const struct irq_line *irq);
void gpio_pl061_destroy(struct gpio_pl061 *g);
/* Registers to their reset values; the input levels are the host's. */
void gpio_pl061_reset(struct gpio_pl061 *g);
/* An MMIO access at offset 0-0xfff (the bus access handler). */
void gpio_pl061_access(void *opaque, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write);
/* Drives input line 0-7 from the host (any thread): a button, say. */
void gpio_pl061_set_input(struct gpio_pl061 *g, unsigned int line, bool level);

#endif
