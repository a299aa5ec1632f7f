// SPDX-License-Identifier: MIT
/* The table of devices -s can place. */
#include <string.h>

#include "device.h"

extern const struct device_class virtio_blk_class;
extern const struct device_class virtio_console_class;
extern const struct device_class virtio_net_class;
extern const struct device_class virtio_rng_class;

static const struct device_class *const device_table[] = {
	&virtio_blk_class,
	&virtio_console_class,
	&virtio_net_class,
	&virtio_rng_class,
};

#define DEVICE_COUNT (sizeof(device_table) / sizeof(device_table[0]))

const struct device_class *device_find(const char *name)
{
	for (size_t i = 0; i < DEVICE_COUNT; i++) {
		const struct device_class *c = device_table[i];

		if (!strcmp(c->name, name) ||
		    (c->alias && !strcmp(c->alias, name)))
			return c;
	}
	return NULL;
}

void device_list(FILE *out)
{
	fputs("hostbridge                the host bridge, always at slot 0\n",
	      out);
	for (size_t i = 0; i < DEVICE_COUNT; i++)
		fprintf(out, "%s\n", device_table[i]->help);
}
