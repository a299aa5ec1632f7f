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
 * A device that -s, -u or -l places. Each device file defines one of
 * these and device.c lists them in one table. A class without create is
 * known to the parsers (so a description naming it is read correctly)
 * but not built yet: starting a VM with it fails with a clear message.
 */
struct device_class {
	const char *name;
	const char *alias; /* another accepted name, or NULL */
	const char *help; /* one line for -s help */
	enum dev_bus bus;
	/* The key that a bare first option means ("path" for disks). */
	const char *positional;
	const struct dev_opt_spec *opts; /* ends with a NULL key */
	/* Checks the options together, without I/O; prints why not. */
	int (*check)(const struct dev_config *dc);
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

const struct device_class *device_find(const char *name);
/* The i-th class of the table, or NULL past its end. */
const struct device_class *device_class_at(unsigned int i);
const struct dev_opt_spec *device_opt_spec(const struct device_class *cls,
					   const char *key);
/* Lists the devices of a bus with their options (-s help, -u help). */
void device_list(FILE *out, enum dev_bus bus);

#endif
