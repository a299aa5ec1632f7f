/* SPDX-License-Identifier: MIT */
/*
 * The VM around a virtio PCI device with no KVM, shared by
 * tests/unit/test_virtio_pci.c and tests/fuzz/fuzz_virtio_pci.c so that
 * the two drive the transport on the same stand-ins:
 * virtio_pci_harness.c defines vm.c's and the hypervisor's functions
 * that virtio_pci.c, msix.c and virtio_console.c call (the PCI bus below,
 * the VM's own guest RAM and CPU count, no-op MSI routes and irqfds, no
 * ioeventfds, no console terminal). Each program defines
 * vm_alloc_msi_gsis() itself.
 */
#ifndef SCORPI_TESTS_VIRTIO_PCI_HARNESS_H
#define SCORPI_TESTS_VIRTIO_PCI_HARNESS_H

#include "pci/pci.h"

/* The bus vm_pci_bus() gives every VM; the program initialises it. */
extern struct pci_bus harness_bus;

/* The INTx line as the device last drove it: atomic. */
extern int harness_intx_level;

#endif
