// SPDX-License-Identifier: MIT
/* The table of devices -s, -u and -l can place. */
#include <string.h>

#include "device.h"

extern const struct device_class virtio_blk_class;
extern const struct device_class virtio_console_class;
extern const struct device_class virtio_net_class;
extern const struct device_class virtio_rng_class;
extern const struct device_class vm_control_class;

/*
 * Devices that VM descriptions already name (the seed's command lines)
 * but that are not built yet: the parsers read them, with their options,
 * and starting such a VM says "not supported yet". Each moves to its own
 * file, with create, when it is built.
 */
static const struct dev_opt_spec disk_opts[] = {
	{ "path", DEV_OPT_STRING, false, "the image file" },
	{ "ro", DEV_OPT_BOOL, false, "read-only" },
	{ 0 },
};

static const struct dev_opt_spec gpu_opts[] = {
	{ "hdpi", DEV_OPT_BOOL, false, "a high-DPI display" },
	{ "fb", DEV_OPT_BOOL, false, "a linear framebuffer for firmware" },
	{ "width", DEV_OPT_UINT, false, "display width in pixels" },
	{ "height", DEV_OPT_UINT, false, "display height in pixels" },
	{ 0 },
};

static const struct dev_opt_spec usb_net_opts[] = {
	{ "backend", DEV_OPT_STRING, false, "slirp" },
	{ "hostfwd", DEV_OPT_STRING, true,
	  "tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT" },
	{ "mac", DEV_OPT_STRING, false, "the MAC address" },
	{ 0 },
};

static const struct device_class hostbridge_class = {
	.name = "hostbridge",
	.help = "the host bridge, always at slot 0",
	.bus = DEV_BUS_PCI,
	.create = NULL, /* part of the platform: never in the device list */
};

static const struct device_class xhci_class = {
	.name = "xhci",
	.help = "USB 3 host controller for -u devices (not supported yet)",
	.bus = DEV_BUS_PCI,
};

static const struct device_class virtio_gpu_class = {
	.name = "virtio-gpu",
	.help = "virtio GPU display (not supported yet)",
	.bus = DEV_BUS_PCI,
	.opts = gpu_opts,
};

static const struct device_class ahci_hd_class = {
	.name = "ahci-hd",
	.help = "SATA disk on an AHCI controller (not supported yet)",
	.bus = DEV_BUS_PCI,
	.positional = "path",
	.opts = disk_opts,
};

static const struct device_class ahci_cd_class = {
	.name = "ahci-cd",
	.help = "SATA CD-ROM on an AHCI controller (not supported yet)",
	.bus = DEV_BUS_PCI,
	.positional = "path",
	.opts = disk_opts,
};

static const struct device_class usb_kbd_class = {
	.name = "kbd",
	.help = "USB keyboard (not supported yet)",
	.bus = DEV_BUS_USB,
};

static const struct device_class usb_tablet_class = {
	.name = "tablet",
	.help = "USB tablet, an absolute pointer (not supported yet)",
	.bus = DEV_BUS_USB,
};

static const struct device_class usb_net_class = {
	.name = "net",
	.help = "USB network adapter (not supported yet)",
	.bus = DEV_BUS_USB,
	.positional = "backend",
	.opts = usb_net_opts,
};

static const struct device_class *const device_table[] = {
	&hostbridge_class, &virtio_blk_class, &virtio_console_class,
	&virtio_net_class, &virtio_rng_class, &virtio_gpu_class,
	&xhci_class,	   &ahci_hd_class,    &ahci_cd_class,
	&usb_kbd_class,	   &usb_tablet_class, &usb_net_class,
	&vm_control_class,
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

const struct device_class *device_class_at(unsigned int i)
{
	return i < DEVICE_COUNT ? device_table[i] : NULL;
}

static const char *const opt_type_text[] = {
	[DEV_OPT_STRING] = "=TEXT",
	[DEV_OPT_BOOL] = "[=on|off]",
	[DEV_OPT_UINT] = "=N",
	[DEV_OPT_SIZE] = "=SIZE",
};

void device_list(FILE *out, enum dev_bus bus)
{
	for (size_t i = 0; i < DEVICE_COUNT; i++) {
		const struct device_class *c = device_table[i];

		if (c->bus != bus)
			continue;
		fprintf(out, "%-16s %s\n", c->name, c->help);
		if (c->alias)
			fprintf(out, "%-16s   also called %s\n", "", c->alias);
		if (c->positional)
			fprintf(out, "%-16s   a bare first option is %s=\n", "",
				c->positional);
		for (const struct dev_opt_spec *s = c->opts; s && s->key; s++)
			fprintf(out, "%-16s   %s%s%s  %s\n", "", s->key,
				opt_type_text[s->type],
				s->repeat ? " (repeatable)" : "", s->help);
		if (c != &hostbridge_class)
			fprintf(out, "%-16s   id=NAME  a name for it\n", "");
		if (c->bus == DEV_BUS_USB)
			fprintf(out, "%-16s   parent=ID  its xhci controller\n",
				"");
	}
}
