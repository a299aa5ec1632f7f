/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_CHARDEV_H
#define SCORPI_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

/*
 * What a serial device talks to: it writes the guest's output, and is told
 * when the guest has made room for more input (the backend then feeds it).
 */
struct chardev {
	void (*write)(void *ctx, const uint8_t *buf, size_t len);
	void (*rx_space)(void *ctx);
	void *ctx;
};

static inline void chardev_write(const struct chardev *c, const uint8_t *buf,
				 size_t len)
{
	if (c && c->write)
		c->write(c->ctx, buf, len);
}

static inline void chardev_rx_space(const struct chardev *c)
{
	if (c && c->rx_space)
		c->rx_space(c->ctx);
}

#endif
