/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_CONFIG_H
#define SCORPI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

/* Process exit codes, documented in docs/cli.md. */
enum scorpi_exit {
	SCORPI_EXIT_POWEROFF = 0,
	SCORPI_EXIT_ERROR = 1,
	SCORPI_EXIT_REBOOT = 2,
	SCORPI_EXIT_TRIPLE_FAULT = 3,
	SCORPI_EXIT_STOPPED = 4,
};

enum console_mode {
	CONSOLE_NONE,
	CONSOLE_STDIO,
	CONSOLE_VIRTIO, /* the terminal on a virtio-console port: hvc0 */
};

enum reboot_action {
	REBOOT_RESET, /* reset the VM in place and boot again */
	REBOOT_EXIT, /* end the VMM with SCORPI_EXIT_REBOOT */
};

#define VM_NAME_MAX 64
#define VM_MIN_MEM (32ull << 20)
/* xAPIC IDs are 8 bits and 0xFF is the broadcast ID. */
#define VM_MAX_CPUS 254

#define VM_MAX_DEVICES 32

struct device_class;

/* A device in a PCI slot, as -s places it. */
struct dev_config {
	unsigned int slot, func;
	const struct device_class *cls;
	const char *args; /* the text after "DEVICE,"; "" if none */
};

/* One VM description, whatever front end produced it. */
struct vm_config {
	char name[VM_NAME_MAX];
	unsigned int cpus;
	uint64_t mem_size;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	enum console_mode console;
	enum reboot_action on_reboot;
	struct dev_config devices[VM_MAX_DEVICES];
	unsigned int ndevices;
};

void config_init(struct vm_config *cfg);
int parse_size(const char *s, uint64_t *out);
int config_check(const struct vm_config *cfg);

#endif
