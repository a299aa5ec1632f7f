/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_PCI_H
#define SCORPI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/bus.h"
#include "../base/irq.h"

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

/* The MSI-X capability's message control word (at cap + 2). */
#define PCI_MSIX_CTRL_ENABLE 0x8000
#define PCI_MSIX_CTRL_MASKALL 0x4000

struct pci_dev;
struct pci_bus;
struct msix;

struct pci_bar {
	uint64_t size; /* 0: unused */
	/*
	 * As the guest programmed it: written under the bus's map_lock,
	 * with an atomic store, so pci_bar_addr() may read it anywhere.
	 */
	uint64_t addr;
	uint64_t placed; /* where the bus put it: the power-on address */
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
	/*
	 * Before the guest reads config bytes [reg, reg + size), under the
	 * bus's config lock: a register whose value is an access of its own
	 * (virtio's PCI_CFG window) fills config[] here.
	 */
	void (*config_read)(struct pci_dev *dev, unsigned int reg,
			    unsigned int size);
};

/*
 * A PCI function: its config space with a write mask (read-only bits keep
 * their value), its BARs and its INTx line.
 *
 * The function's interrupt and command state has one owner, the fields
 * below lock, and is only changed under that lock: the command register,
 * the INTx level the device drives, what is on the line, and (through
 * struct msix) the MSI-X enable and function mask, vector masks and
 * pending bits. Config reads of those bytes (command, status, MSI-X
 * message control) are made from that state; the BARs' bytes are made
 * from bars[]. Everything else in config[] is plain bytes, accessed under
 * the bus's config lock.
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
	struct pci_bus *bus; /* once added */

	pthread_mutex_t lock; /* the interrupt and command state */
	uint16_t command; /* stored atomically: pci_dev_memory_enabled() */
	bool intx_level; /* as the device drives it */
	bool intx_out; /* as the line was last driven */
	struct msix *msix; /* its MSI-X, if it has one */
	unsigned int msix_cap;
	uint16_t msix_ctrl; /* enable and function mask */
};

/* One decoded BAR in the bus's address map: [base, last]. */
struct pci_bar_map {
	uint64_t base, last;
	struct pci_bar *bar;
};

#define PCI_MAP_MAX (PCI_MAX_DEVFN * PCI_NUM_BARS)

/*
 * Bus 0: the functions, and the MMIO windows BARs are placed in.
 *
 * Guest accesses to BARs find them in map, sorted by address, without a
 * lock: map is a seqlock (map_seq is odd while it is rewritten; readers
 * retry). Writers, which rebuild it whenever a BAR moves or memory
 * decoding changes, serialise on map_lock, a leaf lock that also guards
 * the BAR addresses.
 */
struct pci_bus {
	pthread_mutex_t lock; /* config space accesses */
	struct pci_dev *devs[PCI_MAX_DEVFN];
	uint64_t mmio32_base, mmio32_next, mmio32_end;
	/* 64-bit BARs go here when there is such a window (end > base). */
	uint64_t mmio64_base, mmio64_next, mmio64_end;
	unsigned int intx_gsi_base; /* INTA of slot 0 */
	unsigned int intx_lines; /* GSIs the slots' pins rotate over */

	pthread_mutex_t map_lock;
	unsigned int map_seq;
	unsigned int map_count;
	struct pci_bar_map map[PCI_MAP_MAX];
	struct pci_bar_map map_scratch[PCI_MAP_MAX];
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
/*
 * The bus access handlers for the MMIO windows: they find the BAR through
 * the map, lock-free; an access no enabled BAR wholly contains reads all
 * ones.
 */
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
/*
 * The device drives its INTx level; the line carries it unless the guest
 * set INTx disable or enabled MSI-X. The status register's interrupt bit
 * shows the level either way.
 */
void pci_dev_set_intx(struct pci_dev *dev, bool level);
bool pci_dev_memory_enabled(const struct pci_dev *dev);
/* The command register as the guest last wrote it. */
uint16_t pci_dev_command(const struct pci_dev *dev);
/* Where BAR index is now (0 if unused). */
uint64_t pci_bar_addr(const struct pci_dev *dev, unsigned int index);
/*
 * Back to the power-on config: BAR addresses as placed, decoding off,
 * INTx low, MSI-X disabled and unmasked (its table is msix_reset's).
 */
void pci_dev_reset_config(struct pci_dev *dev);

/*
 * The stored config bytes, for a device setting up or reading its own
 * registers; the command, status, BAR and MSI-X control bytes the guest
 * sees are made from the function's state instead (pci_dev_command(),
 * pci_bar_addr()).
 */
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
