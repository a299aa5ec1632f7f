// SPDX-License-Identifier: MIT
/*
 * PCI bus 0: configuration space semantics shared by every function, BAR
 * placement and decoding, and INTx wiring. Guest accesses to the MMIO
 * windows are routed to whichever BAR the guest has put there, so a guest
 * may move BARs as it likes.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "pci.h"

/* Power-on BAR addresses, saved where the guest cannot write. */
#define PCI_SAVED_BARS 0xe00

void pci_bus_init(struct pci_bus *bus, uint64_t mmio32_base,
		  uint64_t mmio32_end, unsigned int intx_gsi_base,
		  unsigned int intx_lines)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
	bus->mmio32_base = bus->mmio32_next = mmio32_base;
	bus->mmio32_end = mmio32_end;
	bus->intx_gsi_base = intx_gsi_base;
	bus->intx_lines = intx_lines;
}

void pci_bus_set_mmio64(struct pci_bus *bus, uint64_t base, uint64_t end)
{
	bus->mmio64_base = bus->mmio64_next = base;
	bus->mmio64_end = end;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	pthread_mutex_destroy(&bus->lock);
}

unsigned int pci_bus_intx_gsi(const struct pci_bus *bus, unsigned int slot,
			      unsigned int pin)
{
	return bus->intx_gsi_base + (slot + pin - 1) % bus->intx_lines;
}

void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor,
		  uint16_t device, uint32_t class_rev, uint16_t subsys_vendor,
		  uint16_t subsys)
{
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	pci_cfg_set(dev, PCI_VENDOR_ID, 2, vendor);
	pci_cfg_set(dev, PCI_DEVICE_ID, 2, device);
	pci_cfg_set(dev, PCI_CLASS_REVISION, 4, class_rev);
	pci_cfg_set(dev, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	pci_cfg_set(dev, PCI_SUBSYSTEM_ID, 2, subsys);
	pci_cfg_set(dev, PCI_COMMAND, 2, 0);
	pci_cfg_set(dev, PCI_INTERRUPT_PIN, 1, 1); /* INTA */
	/* Memory, bus master and INTx disable are the guest's to set. */
	le_write(dev->wmask + PCI_COMMAND, 2,
		 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_INTX_DISABLE);
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	dev->next_cap = 0x40;
}

void pci_dev_add_bar(struct pci_dev *dev, unsigned int index, uint64_t size,
		     bool mem64, bus_access_fn access, void *opaque)
{
	dev->bars[index] = (struct pci_bar){
		.size = size,
		.mem64 = mem64,
		.access = access,
		.opaque = opaque,
	};
}

unsigned int pci_dev_add_cap(struct pci_dev *dev, uint8_t id, unsigned int len)
{
	unsigned int off = dev->next_cap;
	unsigned int last = PCI_CAPABILITY_LIST;

	/* Link it at the end of the list. */
	while (dev->config[last])
		last = dev->config[last] + 1;
	dev->config[last] = off;
	dev->config[off] = id;
	dev->config[off + 1] = 0;
	dev->next_cap = (off + len + 3) & ~3u;
	pci_cfg_set(dev, PCI_STATUS, 2,
		    pci_cfg_read(dev, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	return off;
}

bool pci_dev_memory_enabled(const struct pci_dev *dev)
{
	return pci_cfg_read(dev, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
}

void pci_dev_set_intx(struct pci_dev *dev, bool level)
{
	uint16_t status = pci_cfg_read(dev, PCI_STATUS, 2);
	bool disabled = pci_cfg_read(dev, PCI_COMMAND, 2) &
			PCI_COMMAND_INTX_DISABLE;

	status = level ? status | PCI_STATUS_INTERRUPT
		       : status & ~PCI_STATUS_INTERRUPT;
	pci_cfg_set(dev, PCI_STATUS, 2, status);
	irq_line_set(&dev->intx, level && !disabled);
}

/* Reads the BAR addresses back from config space. */
static void pci_dev_update_bars(struct pci_dev *dev)
{
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;

		if (!b->size)
			continue;
		addr = pci_cfg_read(dev, PCI_BAR0 + 4 * i, 4) & ~0xfull;
		if (b->mem64)
			addr |= (uint64_t)pci_cfg_read(dev,
						       PCI_BAR0 + 4 * i + 4, 4)
				<< 32;
		b->addr = addr;
	}
}

void pci_dev_reset_config(struct pci_dev *dev)
{
	memcpy(dev->config + PCI_BAR0, dev->config + PCI_SAVED_BARS, 24);
	pci_cfg_set(dev, PCI_COMMAND, 2, 0);
	pci_cfg_set(dev, PCI_STATUS, 2,
		    pci_cfg_read(dev, PCI_STATUS, 2) & ~PCI_STATUS_INTERRUPT);
	dev->config[PCI_INTERRUPT_LINE] = 0;
	pci_dev_update_bars(dev);
}

int pci_bus_add(struct pci_bus *bus, struct pci_dev *dev, unsigned int devfn)
{
	if (devfn >= PCI_MAX_DEVFN || bus->devs[devfn]) {
		log_error("PCI slot %u:%u is already taken", devfn >> 3,
			  devfn & 7);
		return -1;
	}
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;
		uint32_t flags = b->mem64 ? 0x4 : 0;

		if (!b->size)
			continue;
		/* 64-bit BARs above 4 GiB, as firmware with a 64-bit
		 * aperture does, leaving the 32-bit window to the rest. */
		bool high = b->mem64 && bus->mmio64_end > bus->mmio64_base;
		uint64_t *next = high ? &bus->mmio64_next : &bus->mmio32_next;
		uint64_t end = high ? bus->mmio64_end : bus->mmio32_end;

		addr = (*next + b->size - 1) & ~(b->size - 1);
		if (addr + b->size > end) {
			log_error("%s: no room for its BARs in the PCI window",
				  dev->name);
			return -1;
		}
		*next = addr + b->size;
		pci_cfg_set(dev, PCI_BAR0 + 4 * i, 4, addr | flags);
		le_write(dev->wmask + PCI_BAR0 + 4 * i, 4,
			 ~(uint32_t)(b->size - 1) & ~0xfu);
		if (b->mem64)
			le_write(dev->wmask + PCI_BAR0 + 4 * i + 4, 4,
				 0xffffffff);
	}
	memcpy(dev->config + PCI_SAVED_BARS, dev->config + PCI_BAR0, 24);
	dev->devfn = devfn;
	pci_dev_update_bars(dev);
	bus->devs[devfn] = dev;
	return 0;
}

static void pci_dev_config_write(struct pci_dev *dev, unsigned int reg,
				 const uint8_t *data, unsigned int size)
{
	uint16_t old_cmd = pci_cfg_read(dev, PCI_COMMAND, 2);
	bool bars = false;

	for (unsigned int i = 0; i < size; i++) {
		unsigned int r = reg + i;

		if (r >= PCI_SAVED_BARS)
			continue;
		dev->config[r] = (dev->config[r] & ~dev->wmask[r]) |
				 (data[i] & dev->wmask[r]);
		bars |= r >= PCI_BAR0 && r < PCI_BAR0 + 24;
	}
	if (bars)
		pci_dev_update_bars(dev);
	if ((old_cmd ^ pci_cfg_read(dev, PCI_COMMAND, 2)) &
	    PCI_COMMAND_INTX_DISABLE)
		pci_dev_set_intx(dev, pci_cfg_read(dev, PCI_STATUS, 2) &
					      PCI_STATUS_INTERRUPT);
	if (dev->ops && dev->ops->config_written)
		dev->ops->config_written(dev, reg, size);
	if (dev->ops && dev->ops->bars_changed &&
	    (bars || ((old_cmd ^ pci_cfg_read(dev, PCI_COMMAND, 2)) &
		      PCI_COMMAND_MEMORY)))
		dev->ops->bars_changed(dev);
}

void pci_bus_config_access(struct pci_bus *bus, unsigned int busnr,
			   unsigned int devfn, unsigned int reg, uint8_t *data,
			   unsigned int size, bool is_write)
{
	struct pci_dev *dev;

	pthread_mutex_lock(&bus->lock);
	dev = busnr == 0 && devfn < PCI_MAX_DEVFN ? bus->devs[devfn] : NULL;
	if (!dev || reg + size > PCI_CONFIG_SIZE) {
		if (!is_write)
			memset(data, 0xff, size);
	} else if (is_write) {
		pci_dev_config_write(dev, reg, data, size);
	} else {
		for (unsigned int i = 0; i < size; i++)
			data[i] = reg + i < PCI_SAVED_BARS
					  ? dev->config[reg + i]
					  : 0;
	}
	pthread_mutex_unlock(&bus->lock);
}

/* An access at guest-physical addr, to whichever BAR is there now. */
static void pci_bus_bar_access(struct pci_bus *bus, uint64_t addr,
			       uint8_t *data, unsigned int size, bool is_write)
{
	struct pci_bar *hit = NULL;
	uint64_t off = 0;

	pthread_mutex_lock(&bus->lock);
	for (unsigned int d = 0; d < PCI_MAX_DEVFN && !hit; d++) {
		struct pci_dev *dev = bus->devs[d];

		if (!dev || !pci_dev_memory_enabled(dev))
			continue;
		for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
			struct pci_bar *b = &dev->bars[i];

			if (b->size && b->access && addr >= b->addr &&
			    addr - b->addr < b->size &&
			    size <= b->size - (addr - b->addr)) {
				hit = b;
				off = addr - b->addr;
				break;
			}
		}
	}
	pthread_mutex_unlock(&bus->lock);
	/* Devices are never removed, so the BAR outlives the lock. */
	if (hit)
		hit->access(hit->opaque, off, data, size, is_write);
	else if (!is_write)
		memset(data, 0xff, size);
}

void pci_bus_mmio_access(void *opaque, uint64_t offset, uint8_t *data,
			 unsigned int size, bool is_write)
{
	struct pci_bus *bus = opaque;

	pci_bus_bar_access(bus, bus->mmio32_base + offset, data, size,
			   is_write);
}

void pci_bus_mmio64_access(void *opaque, uint64_t offset, uint8_t *data,
			   unsigned int size, bool is_write)
{
	struct pci_bus *bus = opaque;

	pci_bus_bar_access(bus, bus->mmio64_base + offset, data, size,
			   is_write);
}
