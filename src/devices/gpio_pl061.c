// SPDX-License-Identifier: MIT
/*
 * An ARM PrimeCell PL061 GPIO controller (DDI 0190) with its 8 lines, as
 * Linux's gpio-pl061 driver and gpio-keys use it. A line configured as an
 * input follows the level the host gives it; an output drives the level
 * last written. Interrupts are detected on each line's level, whichever its
 * direction, as the pads are: on one edge, both edges, or a level.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/bus.h"
#include "gpio_pl061.h"

#define PL061_DATA_END 0x400 /* GPIODATA, offset bits 9:2 mask the lines */
#define PL061_DIR 0x400
#define PL061_IS 0x404
#define PL061_IBE 0x408
#define PL061_IEV 0x40c
#define PL061_IE 0x410
#define PL061_RIS 0x414
#define PL061_MIS 0x418
#define PL061_IC 0x41c
#define PL061_AFSEL 0x420
#define PL061_ID_BASE 0xfe0

static const uint8_t pl061_id[8] = { 0x61, 0x10, 0x14, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

struct gpio_pl061 {
	pthread_mutex_t lock;
	struct irq_line irq;
	bool irq_level;

	uint8_t data; /* the output register */
	uint8_t in; /* the host's input levels */
	uint8_t dir, is, ibe, iev, ie, ris, afsel;
	uint8_t pins; /* the line levels as last seen */
};

static uint8_t pl061_pins(const struct gpio_pl061 *g)
{
	return (g->data & g->dir) | (g->in & ~g->dir);
}

/*
 * Latches edges since the lines were last seen, follows level-sensitive
 * lines, and drives the interrupt output.
 */
static void pl061_update(struct gpio_pl061 *g)
{
	uint8_t now = pl061_pins(g);
	uint8_t changed = now ^ g->pins;
	uint8_t edge = ~g->is;
	uint8_t rising = changed & now, falling = changed & ~now;
	bool level;

	g->ris |= edge & changed & g->ibe;
	g->ris |= edge & ~g->ibe & ((rising & g->iev) | (falling & ~g->iev));
	/* A level-sensitive line is pending while its level is active. */
	g->ris = (g->ris & edge) | (g->is & ~(now ^ g->iev));
	g->pins = now;

	level = (g->ris & g->ie) != 0;
	if (level != g->irq_level) {
		g->irq_level = level;
		irq_line_set(&g->irq, level);
	}
}

static void pl061_reset_locked(struct gpio_pl061 *g)
{
	g->data = g->dir = g->is = g->ibe = g->iev = g->ie = 0;
	g->ris = g->afsel = 0;
	/* No edges out of the reset itself. */
	g->pins = pl061_pins(g);
	pl061_update(g);
}

struct gpio_pl061 *gpio_pl061_create(const struct irq_line *irq)
{
	struct gpio_pl061 *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	g->irq = *irq;
	pl061_reset_locked(g);
	return g;
}

void gpio_pl061_destroy(struct gpio_pl061 *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void gpio_pl061_reset(struct gpio_pl061 *g)
{
	pthread_mutex_lock(&g->lock);
	pl061_reset_locked(g);
	pthread_mutex_unlock(&g->lock);
}

static uint8_t pl061_read(struct gpio_pl061 *g, unsigned int reg)
{
	if (reg < PL061_DATA_END)
		return pl061_pins(g) & (reg >> 2);
	switch (reg) {
	case PL061_DIR:
		return g->dir;
	case PL061_IS:
		return g->is;
	case PL061_IBE:
		return g->ibe;
	case PL061_IEV:
		return g->iev;
	case PL061_IE:
		return g->ie;
	case PL061_RIS:
		return g->ris;
	case PL061_MIS:
		return g->ris & g->ie;
	case PL061_AFSEL:
		return g->afsel;
	default:
		if (reg >= PL061_ID_BASE)
			return pl061_id[(reg - PL061_ID_BASE) / 4];
		return 0; /* IC is write-only */
	}
}

static void pl061_write(struct gpio_pl061 *g, unsigned int reg, uint8_t v)
{
	uint8_t mask;

	if (reg < PL061_DATA_END) {
		mask = reg >> 2;
		g->data = (g->data & ~mask) | (v & mask);
		return;
	}
	switch (reg) {
	case PL061_DIR:
		g->dir = v;
		break;
	case PL061_IS:
		/* A line leaving level mode drops its pending level. */
		g->ris &= ~(g->is & ~v);
		g->is = v;
		break;
	case PL061_IBE:
		g->ibe = v;
		break;
	case PL061_IEV:
		g->iev = v;
		break;
	case PL061_IE:
		g->ie = v;
		break;
	case PL061_IC:
		/* Clears latched edges; an active level stays pending. */
		g->ris &= ~v;
		break;
	case PL061_AFSEL:
		g->afsel = v;
		break;
	default:
		break; /* RIS, MIS, IDs: read-only */
	}
}

void gpio_pl061_access(void *opaque, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write)
{
	struct gpio_pl061 *g = opaque;

	offset &= GPIO_PL061_REGION_SIZE - 1;
	pthread_mutex_lock(&g->lock);
	if ((offset & 3) || size > 4) {
		if (!is_write)
			memset(data, 0, size);
	} else if (is_write) {
		/* The registers are 8 bits wide. */
		pl061_write(g, offset, data[0]);
	} else {
		le_write(data, size, pl061_read(g, offset));
	}
	pl061_update(g);
	pthread_mutex_unlock(&g->lock);
}

void gpio_pl061_set_input(struct gpio_pl061 *g, unsigned int line, bool level)
{
	if (line >= GPIO_PL061_LINES)
		return;
	pthread_mutex_lock(&g->lock);
	if (level)
		g->in |= 1u << line;
	else
		g->in &= ~(1u << line);
	pl061_update(g);
	pthread_mutex_unlock(&g->lock);
}
