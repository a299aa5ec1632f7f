/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_DEVICE_H
#define SCORPI_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

struct vm;

#define DEV_CONTROL_UNKNOWN (-2)
#define DEV_CONTROL_BAD_ARGS (-3)

enum dev_opt_type {
	DEV_OPT_STRING,
	DEV_OPT_BOOL, /* "on"/"off"; a bare KEY means on */
	DEV_OPT_UINT,
	DEV_OPT_SIZE,
};

/* One option a device takes. */
struct dev_opt_spec {
	const char *key;
	enum dev_opt_type type;
	bool repeat; /* may be given more than once (hostfwd, port) */
	const char *help;
};

/*
 * What a class is to the description's rules, so that the parsers and
 * checks ask the class rather than match its name.
 */
enum {
	/*
	 * Part of the platform, always there at slot 0:0 (the host
	 * bridge): naming it only sets its options; listed first.
	 */
	DEVICE_PLATFORM = 1 << 0,
	/* A USB host controller: -u devices need one; parent= names one. */
	DEVICE_USB_HOST = 1 << 1,
	/* Can carry the VM's console (-o console=virtio). */
	DEVICE_CONSOLE = 1 << 2,
	/* What -l PATH places when PATH names no LPC device. */
	DEVICE_LPC_PATH = 1 << 3,
};

/*
 * A device that -s, -u or -l places. Each device file defines one of
 * these and registers it with DEVICE_REGISTER; there is no central
 * list. A class without create is known to the parsers (so a
 * description naming it is read correctly) but not built yet: starting
 * a VM with it fails with a clear message.
 */
struct device_class {
	const char *name;
	const char *alias; /* another accepted name, or NULL */
	const char *help; /* one line for -s help */
	enum dev_bus bus;
	unsigned int flags; /* DEVICE_PLATFORM, ... */
	/* The key that a bare first option means ("path" for disks). */
	const char *positional;
	const struct dev_opt_spec *opts; /* ends with a NULL key */
	/*
	 * Firmware can boot from it (it takes bootindex=N): its node in an
	 * OpenFirmware device path, the name QEMU gives its PCI class
	 * ("scsi" for a disk, "ethernet"), and what follows that node
	 * ("/disk@0,0"), as fw_cfg's bootorder file lists it. NULL: it
	 * cannot be booted from.
	 */
	const char *boot_node;
	const char *boot_child;
	/* Checks the options together, without I/O; prints why not. */
	int (*check)(const struct dev_config *dc);
	/* Makes it: a device sees vm through vm_device.h only. */
	void *(*create)(struct vm *vm, const struct dev_config *dc);
	/* At every boot, once the hypervisor VM exists. */
	int (*attach)(void *state);
	/* A VM reset: back to power-on state. */
	void (*reset)(void *state);
	void (*destroy)(void *state);
	/* One word for the control socket's device list, or NULL. */
	const char *(*state)(void *state);
	/*
	 * A run-time command from the control socket (hostfwd-add, ...):
	 * 0 done; -1 failed, or DEV_CONTROL_BAD_ARGS, with msg saying why;
	 * DEV_CONTROL_UNKNOWN if the device does not take this command.
	 * From the event-loop thread.
	 */
	int (*control)(void *state, const char *command, const char *arg,
		       char *msg, size_t msglen);
};

/*
 * Registers a class: puts a pointer to it in the scorpi_devices linker
 * section, which device.c walks between the linker's __start_ and
 * __stop_ symbols. One line after the class's definition:
 *
 *	DEVICE_REGISTER(virtio_blk_class);
 *
 * An object file in a static library that nothing references is left
 * out of a program, and its devices with it: programs link libscorpi
 * whole (link_whole in meson.build), and the unit tests check that
 * every device is there.
 */
#define DEVICE_REGISTER(cls)                                     \
	static const struct device_class *const device_reg_##cls \
		__attribute__((used, section("scorpi_devices"),  \
			       aligned(sizeof(void *)))) = &(cls)

const struct device_class *device_find(const char *name);
/*
 * The i-th registered class, or NULL past the last: ordered by bus
 * (PCI, USB, LPC), the platform's own first, then by name, so that
 * -s help and the tests do not depend on the link order.
 */
const struct device_class *device_class_at(unsigned int i);
/* The first class, in that order, with all of flags; or NULL. */
const struct device_class *device_with_flags(unsigned int flags);
const struct dev_opt_spec *device_opt_spec(const struct device_class *cls,
					   const char *key);
/* Lists the devices of a bus with their options (-s help, -u help). */
void device_list(FILE *out, enum dev_bus bus);

#endif
