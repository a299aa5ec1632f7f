/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_PCI_HOST_H
#define SCORPI_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/lifecycle.h"
#include "../pci/pci.h"

/*
 * The PCI host: config space through ECAM (and, on x86, ports
 * 0xCF8-0xCFF), the host bridge at 00:00.0, and the chipset's reset
 * control at 0xCF9 (x86).
 */
struct pci_host {
	pthread_mutex_t lock; /* the config address and reset registers */
	struct vm_control control;
	uint32_t config_address;
	uint8_t reset_control;
	struct pci_dev bridge;
	struct pci_bus bus;
};

/* What a platform's PCI host looks like. */
struct pci_host_config {
	uint64_t ecam_base;
	uint64_t mmio32_base, mmio32_end;
	unsigned int intx_gsi_base, intx_lines;
	uint16_t bridge_vendor, bridge_device;
	bool q35_pciexbar; /* the MCH's register saying where ECAM is */
};

struct pci_host *pci_host_create(const struct pci_host_config *cfg,
				 const struct vm_control *control);
void pci_host_destroy(struct pci_host *host);
void pci_host_reset(struct pci_host *host);
/* Ports 0xCF8-0xCFF: config address, reset control (0xCF9), data. */
void pci_host_port_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write);
/* The ECAM (MMCONFIG) window. */
void pci_host_ecam_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write);

#endif
