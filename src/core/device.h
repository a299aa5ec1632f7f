/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_DEVICE_H
#define SCORPI_DEVICE_H

#include <stdio.h>

struct vm;

/*
 * A device that -s places in a PCI slot. Each device file defines one of
 * these and device.c lists them in one table.
 */
struct device_class {
	const char *name;
	const char *alias; /* another accepted name, or NULL */
	const char *help; /* one line for -s help */
	/* Checks the options before anything runs; prints why not. */
	int (*check)(const char *args);
	void *(*create)(struct vm *vm, unsigned int devfn, const char *args);
	/* At every boot, once the hypervisor VM exists. */
	int (*attach)(void *state);
	/* A VM reset: back to power-on state. */
	void (*reset)(void *state);
	void (*destroy)(void *state);
};

const struct device_class *device_find(const char *name);
void device_list(FILE *out);

#endif
