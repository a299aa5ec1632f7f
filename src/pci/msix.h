/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_MSIX_H
#define SCORPI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../hv/hv.h"
#include "pci.h"

#define MSIX_ENTRY_SIZE 16
#define MSIX_NO_VECTOR 0xffff

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

/*
 * MSI-X for one PCI function: the capability, the table and PBA (in one
 * of its BARs), and delivery through the hypervisor: each vector is an
 * MSI route on its own GSI, raised by writing the vector's eventfd
 * (irqfd), so a device's I/O thread interrupts the guest directly.
 *
 * Its state is the function's interrupt state: the enable and function
 * mask live in the pci_dev (dev->msix_ctrl), and everything here is
 * guarded by the function's lock (dev->lock), as the INTx state is.
 */
struct msix {
	struct pci_dev *dev;
	struct hv_vm *hv; /* the current boot's VM; NULL between boots */
	unsigned int cap;
	unsigned int nvec;
	unsigned int gsi_base;
	struct msix_entry *table;
	uint64_t *pending;
	int *fds;
};

/* The table is at table_off and the PBA at pba_off of BAR bar. */
int msix_init(struct msix *m, struct pci_dev *dev, unsigned int nvec,
	      unsigned int bar, uint32_t table_off, uint32_t pba_off,
	      unsigned int gsi_base);
void msix_destroy(struct msix *m);
/* At every boot, once the hypervisor VM exists (NULL: detach). */
int msix_attach(struct msix *m, struct hv_vm *hv);
void msix_reset(struct msix *m);
bool msix_enabled(struct msix *m);
/* Guest access to the table (offset from the table's start). */
void msix_table_access(struct msix *m, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write);
void msix_pba_access(struct msix *m, uint64_t offset, uint8_t *data,
		     unsigned int size, bool is_write);
/*
 * The capability's control word may have changed: delivers what became
 * deliverable. The PCI core already does so when the guest writes it, so
 * this only repeats that (it is harmless to call).
 */
void msix_config_written(struct msix *m, unsigned int reg, unsigned int size);
/* Delivers pending vectors no longer masked. Under m->dev->lock. */
void msix_flush_locked(struct msix *m);
/* Raises vector; if it is masked it stays pending until unmasked. */
void msix_notify(struct msix *m, unsigned int vector);

#endif
