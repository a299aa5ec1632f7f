/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_PCI_H
#define SCORPI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../core/bus.h"
#include "../core/irq.h"

#define PCI_CONFIG_SIZE 4096
#define PCI_NUM_BARS 6
#define PCI_MAX_DEVFN 256

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_STATUS_CAP_LIST 0x10

struct pci_dev;

struct pci_bar {
	uint64_t size; /* 0: unused */
	uint64_t addr; /* as the guest programmed it */
	bool mem64;
	bus_access_fn access; /* offset is relative to the BAR */
	void *opaque;
};

struct pci_dev_ops {
	/* After the guest wrote config bytes [reg, reg + size). */
	void (*config_written)(struct pci_dev *dev, unsigned int reg,
			       unsigned int size);
	/* Memory decoding or a BAR address changed. */
	void (*bars_changed)(struct pci_dev *dev);
};

/*
 * A PCI function: its config space with a write mask (read-only bits keep
 * their value, BARs size themselves), its BARs and its INTx line.
 */
struct pci_dev {
	const char *name;
	unsigned int devfn;
	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];
	struct pci_bar bars[PCI_NUM_BARS];
	struct irq_line intx;
	const struct pci_dev_ops *ops;
	void *opaque;
	uint8_t next_cap; /* where the next capability goes */
};

/* Bus 0: the functions, and the MMIO windows BARs are placed in. */
struct pci_bus {
	pthread_mutex_t lock;
	struct pci_dev *devs[PCI_MAX_DEVFN];
	uint64_t mmio32_base, mmio32_next, mmio32_end;
	/* 64-bit BARs go here when there is such a window (end > base). */
	uint64_t mmio64_base, mmio64_next, mmio64_end;
	unsigned int intx_gsi_base; /* INTA of slot 0 */
	unsigned int intx_lines; /* GSIs the slots' pins rotate over */
};

void pci_bus_init(struct pci_bus *bus, uint64_t mmio32_base,
		  uint64_t mmio32_end, unsigned int intx_gsi_base,
		  unsigned int intx_lines);
void pci_bus_set_mmio64(struct pci_bus *bus, uint64_t base, uint64_t end);
void pci_bus_destroy(struct pci_bus *bus);
/* Places dev at devfn; prints why not and returns -1 if it cannot. */
int pci_bus_add(struct pci_bus *bus, struct pci_dev *dev, unsigned int devfn);
void pci_bus_config_access(struct pci_bus *bus, unsigned int busnr,
			   unsigned int devfn, unsigned int reg, uint8_t *data,
			   unsigned int size, bool is_write);
/* The bus access handlers for the MMIO windows: they find the BAR. */
void pci_bus_mmio_access(void *opaque, uint64_t offset, uint8_t *data,
			 unsigned int size, bool is_write);
void pci_bus_mmio64_access(void *opaque, uint64_t offset, uint8_t *data,
			   unsigned int size, bool is_write);
/* The GSI of a slot's INTx pin (1 = INTA); the DSDT's _PRT matches. */
unsigned int pci_bus_intx_gsi(const struct pci_bus *bus, unsigned int slot,
			      unsigned int pin);

void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor,
		  uint16_t device, uint32_t class_rev, uint16_t subsys_vendor,
		  uint16_t subsys);
/* A memory BAR of a power-of-two size, placed by the bus when added. */
void pci_dev_add_bar(struct pci_dev *dev, unsigned int index, uint64_t size,
		     bool mem64, bus_access_fn access, void *opaque);
/* Appends a capability of len bytes; returns its offset. */
unsigned int pci_dev_add_cap(struct pci_dev *dev, uint8_t id, unsigned int len);
void pci_dev_set_intx(struct pci_dev *dev, bool level);
bool pci_dev_memory_enabled(const struct pci_dev *dev);
/* Back to the power-on config: BAR addresses as placed, decoding off. */
void pci_dev_reset_config(struct pci_dev *dev);

static inline uint32_t pci_cfg_read(const struct pci_dev *dev, unsigned int reg,
				    unsigned int size)
{
	return (uint32_t)le_read(dev->config + reg, size);
}

static inline void pci_cfg_set(struct pci_dev *dev, unsigned int reg,
			       unsigned int size, uint32_t v)
{
	le_write(dev->config + reg, size, v);
}

#endif
