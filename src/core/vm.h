/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_VM_H
#define SCORPI_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../hv/hv.h"
#include "bus.h"
#include "config.h"
#include "console.h"
#include "event_loop.h"
#include "guest_ram.h"
#include "irq.h"
#include "lifecycle.h"

struct platform;
struct pci_bus;
struct device_class;

struct vm_device {
	const struct device_class *cls;
	void *state;
};

struct vcpu {
	struct vm *vm;
	struct hv_vcpu *hv;
	unsigned int index;
	pthread_t thread;
	bool started;
};

/*
 * One VM: its description, memory, buses and devices live as long as the
 * VM; the hypervisor's VM and vCPUs are made anew at every (re)boot, so a
 * reset starts from a clean machine.
 */
struct vm {
	struct vm_config cfg;
	int kernel_fd;
	int initrd_fd;

	struct hv *hv;
	struct hv_vm *hv_vm;
	struct vcpu *vcpus;
	struct guest_ram ram;
	struct bus pio;
	struct bus mmio;
	struct platform *platform;
	struct vm_device devices[VM_MAX_DEVICES];
	unsigned int ndevices;
	unsigned int next_msi_gsi;

	struct event_loop loop;
	struct console *console;
	bool console_taken; /* by a virtio-console port (console=virtio) */
	struct vm_control control;
	int request_fd; /* eventfd: a request is waiting */
	int signal_fd;
	atomic_int request; /* enum vm_request; the first one wins */
	atomic_bool stopping; /* vCPU threads must return */
	atomic_int faulted_vcpu;
	char *fault_dump;
};

/* Builds, runs and tears down the VM; returns a process exit code. */
int vm_run(const struct vm_config *cfg);
void vm_request(void *vm, enum vm_request req);
/* An irq_line for a GSI of this VM. */
struct irq_line vm_irq_line(struct vm *vm, unsigned int gsi);
/* count consecutive GSIs for MSI routes. */
unsigned int vm_alloc_msi_gsis(struct vm *vm, unsigned int count);
struct pci_bus *vm_pci_bus(struct vm *vm);

/* The architecture's platform: its devices and how it boots. */
/* Checks the boot payload before anything else is set up. */
int platform_check_boot(struct vm *vm);
struct platform *platform_create(struct vm *vm);
/* Loads the boot payload and sets the boot vCPU's state. */
int platform_boot(struct platform *p, struct vm *vm);
void platform_reset(struct platform *p);
void platform_destroy(struct platform *p);
struct pci_bus *platform_pci_bus(struct platform *p);

#endif
