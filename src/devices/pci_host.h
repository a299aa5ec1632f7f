/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_PCI_HOST_H
#define SCORPI_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/lifecycle.h"

struct pci_host;

/* ecam_base: where the ECAM window is, for the host bridge's PCIEXBAR. */
struct pci_host *pci_host_create(uint64_t ecam_base,
				 const struct vm_control *control);
void pci_host_destroy(struct pci_host *host);
/* Ports 0xCF8-0xCFF: config address, reset control (0xCF9), data. */
void pci_host_port_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write);
/* The ECAM (MMCONFIG) window. */
void pci_host_ecam_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write);

#endif
