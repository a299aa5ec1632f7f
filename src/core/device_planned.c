// SPDX-License-Identifier: MIT
/*
 * Devices that VM descriptions already name (the seed's command lines)
 * but that are not built yet: the parsers read them, with their
 * options, and starting such a VM says "not supported yet".
 *
 * They register like any device. They sit in this one file rather than
 * in a stub file each because the files they will grow into are not
 * laid out yet (ahci-hd and ahci-cd will likely share an AHCI
 * controller's file, kbd and tablet a USB HID one), and a list of what
 * is missing is easier to read in one place. When one is built, its
 * class moves to its own file, gains create, and leaves this one.
 */
#include "device.h"

/*
 * The host bridge is built by the platform (src/devices/pci_host.c),
 * not placed: this class only lets -s 0,hostbridge and YAML name it,
 * to set its options. It belongs next to pci_host.c's code.
 */
static const struct device_class hostbridge_class = {
	.name = "hostbridge",
	.help = "the host bridge, always at slot 0",
	.bus = DEV_BUS_PCI,
	.flags = DEVICE_PLATFORM,
};
DEVICE_REGISTER(hostbridge_class);

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

static const struct device_class xhci_class = {
	.name = "xhci",
	.help = "USB 3 host controller for -u devices (not supported yet)",
	.bus = DEV_BUS_PCI,
	.flags = DEVICE_USB_HOST,
};
DEVICE_REGISTER(xhci_class);

static const struct device_class virtio_gpu_class = {
	.name = "virtio-gpu",
	.help = "virtio GPU display (not supported yet)",
	.bus = DEV_BUS_PCI,
	.opts = gpu_opts,
};
DEVICE_REGISTER(virtio_gpu_class);

static const struct device_class ahci_hd_class = {
	.name = "ahci-hd",
	.help = "SATA disk on an AHCI controller (not supported yet)",
	.bus = DEV_BUS_PCI,
	.positional = "path",
	.opts = disk_opts,
};
DEVICE_REGISTER(ahci_hd_class);

static const struct device_class ahci_cd_class = {
	.name = "ahci-cd",
	.help = "SATA CD-ROM on an AHCI controller (not supported yet)",
	.bus = DEV_BUS_PCI,
	.positional = "path",
	.opts = disk_opts,
};
DEVICE_REGISTER(ahci_cd_class);

static const struct device_class usb_kbd_class = {
	.name = "kbd",
	.help = "USB keyboard (not supported yet)",
	.bus = DEV_BUS_USB,
};
DEVICE_REGISTER(usb_kbd_class);

static const struct device_class usb_tablet_class = {
	.name = "tablet",
	.help = "USB tablet, an absolute pointer (not supported yet)",
	.bus = DEV_BUS_USB,
};
DEVICE_REGISTER(usb_tablet_class);

static const struct device_class usb_net_class = {
	.name = "net",
	.help = "USB network adapter (not supported yet)",
	.bus = DEV_BUS_USB,
	.positional = "backend",
	.opts = usb_net_opts,
};
DEVICE_REGISTER(usb_net_class);
