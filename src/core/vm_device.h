/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_VM_DEVICE_H
#define SCORPI_VM_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/chardev.h"
#include "../base/console.h"
#include "../base/guest_ram.h"
#include "../base/irq.h"

/*
 * The VM as a device sees it (vm.c implements it): its guest memory,
 * its interrupts and its hypervisor's fast paths, reached through these
 * functions only. A device never looks inside struct vm.
 */
struct vm;
struct msix;
struct pci_bus;

/* The guest's memory, to map the guest addresses a driver gives. */
struct guest_ram *vm_guest_ram(struct vm *vm);
/* How many vCPUs the VM has (a device's default queue count). */
unsigned int vm_cpu_count(const struct vm *vm);
/* An irq_line for a GSI of this VM. */
struct irq_line vm_irq_line(struct vm *vm, unsigned int gsi);
/* count consecutive GSIs for MSI routes. */
unsigned int vm_alloc_msi_gsis(struct vm *vm, unsigned int count);
struct pci_bus *vm_pci_bus(struct vm *vm);
/*
 * Has the hypervisor signal fd when the guest writes at guest physical
 * address addr (or stop, assign false): from any thread. -1 when the
 * hypervisor cannot, or when there is no hypervisor VM (between boots).
 */
int vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, bool assign);
/* Attaches m to this boot's hypervisor VM: for a device's attach hook. */
int vm_msix_attach(struct vm *vm, struct msix *m);
/*
 * The terminal, for a virtio-console port when the VM's console is
 * console=virtio: the first device that asks gets it (true, and out is
 * where the guest's output goes); others, and other consoles, get false.
 */
bool vm_claim_console(struct vm *vm, struct chardev *out);
/* Where the claimed terminal's input goes; reading starts here. */
void vm_console_set_sink(struct vm *vm, console_sink_fn sink, void *ctx);

#endif
