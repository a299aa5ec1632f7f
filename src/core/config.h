/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_CONFIG_H
#define SCORPI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Process exit codes, documented in docs/cli.md. */
enum scorpi_exit {
	SCORPI_EXIT_POWEROFF = 0,
	SCORPI_EXIT_ERROR = 1,
	SCORPI_EXIT_REBOOT = 2,
	SCORPI_EXIT_TRIPLE_FAULT = 3,
	SCORPI_EXIT_STOPPED = 4,
	/* The sandbox stopped a forbidden system call (docs/security.md). */
	SCORPI_EXIT_SANDBOX = 5,
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

/* Where a device sits: -s places PCI devices, -u USB ones, -l LPC ones. */
enum dev_bus {
	DEV_BUS_PCI,
	DEV_BUS_USB,
	DEV_BUS_LPC,
};

#define VM_NAME_MAX 64
#define VM_MIN_MEM (32ull << 20)
/* xAPIC IDs are 8 bits and 0xFF is the broadcast ID. */
#define VM_MAX_CPUS 254

#define VM_MAX_DEVICES 32
#define DEV_MAX_OPTIONS 24
#define DEV_ID_MAX 32

struct device_class;

/* One option of a device, as text: "on"/"off" for flags. */
struct dev_option {
	char *key;
	char *value;
};

/*
 * A device as a front end described it. Options are checked against the
 * device class's table when they are added, so every front end ends with
 * the same normalized list (flags as "on"/"off", in the order given).
 */
struct dev_config {
	enum dev_bus bus;
	const struct device_class *cls;
	unsigned int slot, func; /* PCI */
	char *id; /* the user's name for it, or NULL */
	char *parent; /* USB: the id of its controller, or NULL */
	char *origin; /* for messages: "-s 2,virtio-blk" or "vm.yaml:12" */
	unsigned int nopts;
	struct dev_option opts[DEV_MAX_OPTIONS];
};

/* One VM description, whatever front end produced it; it owns its strings. */
struct vm_config {
	char name[VM_NAME_MAX];
	unsigned int cpus;
	uint64_t mem_size;
	char *kernel;
	char *initrd;
	char *cmdline;
	char *bootrom;
	char *bootvars;
	/*
	 * The SMBIOS system UUID (-o uuid=), in RFC 4122 byte order; when
	 * not given, one made from the name (vm_config_uuid).
	 */
	uint8_t uuid[16];
	bool uuid_set;
	char *stats; /* where VM exit counters are written, or NULL */
	enum console_mode console;
	enum reboot_action on_reboot;
	/*
	 * The process sandbox after set-up (docs/security.md): on unless
	 * the description turns it off; the process must allow it too.
	 */
	bool sandbox;
	struct dev_config devices[VM_MAX_DEVICES];
	unsigned int ndevices;
	/* The host bridge, always at 0:0: where -s 0,hostbridge lands. */
	struct dev_config hostbridge;
};

void config_init(struct vm_config *cfg);
/*
 * The VM's UUID: the one given, else a name-based one (RFC 4122
 * version 5, SHA-1, in a namespace of Scorpi's), the same on every run.
 */
void config_uuid(const struct vm_config *cfg, uint8_t out[16]);
void config_free(struct vm_config *cfg);
/* A deep copy; returns -1 when out of memory (dst is then empty). */
int config_copy(struct vm_config *dst, const struct vm_config *src);
int parse_size(const char *s, uint64_t *out);
int parse_bool(const char *s, bool *out);

/*
 * Sets one VM property by its YAML key (name, cpu, memory, console,
 * reboot, sandbox, bootrom, bootvars, uuid, kernel, initrd, cmdline, stats).
 * `where` starts every message ("-c", "vm.yaml:3: cpu"). Returns -1
 * after printing why not.
 */
int config_set(struct vm_config *cfg, const char *key, const char *value,
	       const char *where);

/*
 * Adds a device: bus, class name and, for PCI, slot and function. Options
 * follow with config_device_option. Returns the new device or NULL after
 * printing why not (unknown device, bus mismatch, taken slot, too many).
 * The host bridge is accepted at 0:0 and adds nothing: the result is
 * cfg->hostbridge, outside the device list, and *added is false.
 */
struct dev_config *config_add_device(struct vm_config *cfg, enum dev_bus bus,
				     const char *name, unsigned int slot,
				     unsigned int func, const char *where,
				     bool *added);
/* Adds KEY=VALUE to a device, checked against its class; -1 if bad. */
int config_device_option(struct dev_config *dc, const char *key,
			 const char *value, const char *where);
/* Parses "OPT,OPT,KEY=VALUE,..." as -s and -u give them. */
int config_device_options(struct dev_config *dc, const char *text,
			  const char *where);

/* Checks of the whole description, before anything is opened or made. */
int config_check(const struct vm_config *cfg);
/* The description as canonical YAML, which config_load_yaml reads back. */
void config_write_yaml(const struct vm_config *cfg, FILE *out);

/* Reads a YAML VM file (config-yaml.c); filename is for messages. */
int config_load_yaml(struct vm_config *cfg, const char *text, size_t len,
		     const char *filename);
int config_load_yaml_file(struct vm_config *cfg, const char *path);

/* An option's value (the last one given), or NULL. */
const char *dev_opt(const struct dev_config *dc, const char *key);
bool dev_opt_bool(const struct dev_config *dc, const char *key);
/* The n-th value of a repeatable option, or NULL. */
const char *dev_opt_nth(const struct dev_config *dc, const char *key,
			unsigned int n);

const char *dev_bus_name(enum dev_bus bus);

#endif
