// SPDX-License-Identifier: MIT
/*
 * PCI bus 0: configuration space semantics shared by every function, BAR
 * placement and decoding, and INTx wiring.
 *
 * Locks, outermost first: the bus's config lock (config space accesses,
 * and the devices' config_written/bars_changed callbacks run under it),
 * then a device's own locks, then a function's lock (its interrupt and
 * command state, MSI-X included), and the bus's map_lock, a leaf (BAR
 * addresses and the address map). Guest accesses to the MMIO windows take
 * none of them: they look the BAR up in the map, a seqlock, so a guest may
 * move BARs as it likes while others are being accessed.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "msix.h"
#include "pci.h"

#define PCI_BARS_LEN (4 * PCI_NUM_BARS)

void pci_bus_init(struct pci_bus *bus, uint64_t mmio32_base,
		  uint64_t mmio32_end, unsigned int intx_gsi_base,
		  unsigned int intx_lines)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->map_lock, NULL);
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
	pthread_mutex_destroy(&bus->map_lock);
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
	pthread_mutex_init(&dev->lock, NULL);
	dev->name = name;
	pci_cfg_set(dev, PCI_VENDOR_ID, 2, vendor);
	pci_cfg_set(dev, PCI_DEVICE_ID, 2, device);
	pci_cfg_set(dev, PCI_CLASS_REVISION, 4, class_rev);
	pci_cfg_set(dev, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	pci_cfg_set(dev, PCI_SUBSYSTEM_ID, 2, subsys);
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
	if (index >= PCI_NUM_BARS || (mem64 && index + 1 >= PCI_NUM_BARS) ||
	    size < 16 || (size & (size - 1))) {
		log_error("%s: BAR %u of 0x%llx bytes cannot be", dev->name,
			  index, (unsigned long long)size);
		return;
	}
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

uint16_t pci_dev_command(const struct pci_dev *dev)
{
	return __atomic_load_n(&dev->command, __ATOMIC_ACQUIRE);
}

bool pci_dev_memory_enabled(const struct pci_dev *dev)
{
	return pci_dev_command(dev) & PCI_COMMAND_MEMORY;
}

uint64_t pci_bar_addr(const struct pci_dev *dev, unsigned int index)
{
	return index < PCI_NUM_BARS ? __atomic_load_n(&dev->bars[index].addr,
						      __ATOMIC_ACQUIRE)
				    : 0;
}

/*
 * Drives the line from the function's state, under its lock, so the last
 * change to the level, INTx disable or MSI-X enable is what the line
 * carries. force: drive it even if unchanged (the device asked).
 */
static void pci_dev_update_intx_locked(struct pci_dev *dev, bool force)
{
	bool out = dev->intx_level &&
		   !(dev->command & PCI_COMMAND_INTX_DISABLE) &&
		   !(dev->msix_ctrl & PCI_MSIX_CTRL_ENABLE);

	if (!force && out == dev->intx_out)
		return;
	dev->intx_out = out;
	irq_line_set(&dev->intx, out);
}

void pci_dev_set_intx(struct pci_dev *dev, bool level)
{
	pthread_mutex_lock(&dev->lock);
	dev->intx_level = level;
	pci_dev_update_intx_locked(dev, true);
	pthread_mutex_unlock(&dev->lock);
}

/* The mask of a BAR's address bits (those the guest may write). */
static uint64_t pci_bar_mask(const struct pci_bar *b)
{
	uint64_t mask = ~(b->size - 1) & ~0xfull;

	return b->mem64 ? mask : mask & 0xffffffffull;
}

static void pci_bar_set_addr(struct pci_bar *b, uint64_t addr)
{
	__atomic_store_n(&b->addr, addr, __ATOMIC_RELEASE);
}

/* The BAR registers as the guest reads them. Under map_lock. */
static void pci_bars_image(const struct pci_dev *dev, uint8_t img[PCI_BARS_LEN])
{
	memset(img, 0, PCI_BARS_LEN);
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &dev->bars[i];

		if (!b->size)
			continue;
		le_write(img + 4 * i, 4,
			 (uint32_t)b->addr | (b->mem64 ? 0x4 : 0));
		if (b->mem64)
			le_write(img + 4 * i + 4, 4, b->addr >> 32);
	}
}

/* Takes the addresses back from the registers' image. Under map_lock. */
static void pci_bars_from_image(struct pci_dev *dev,
				const uint8_t img[PCI_BARS_LEN])
{
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t v;

		if (!b->size)
			continue;
		v = le_read(img + 4 * i, 4);
		if (b->mem64)
			v |= le_read(img + 4 * i + 4, 4) << 32;
		pci_bar_set_addr(b, v & pci_bar_mask(b));
	}
}

static int pci_map_cmp(const void *a, const void *b)
{
	const struct pci_bar_map *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	/* The same base: the lower function (and BAR) decodes it. */
	return x->bar < y->bar ? -1 : x->bar > y->bar;
}

/*
 * Rebuilds the address map from every function's BARs and memory enable.
 * Overlapping BARs are a guest's mistake: the one lower in memory (or on
 * the bus) keeps the overlap. Under map_lock.
 */
static void pci_bus_update_map_locked(struct pci_bus *bus)
{
	struct pci_bar_map *s = bus->map_scratch;
	unsigned int n = 0, kept = 0;

	for (unsigned int d = 0; d < PCI_MAX_DEVFN; d++) {
		struct pci_dev *dev = bus->devs[d];

		if (!dev || !pci_dev_memory_enabled(dev))
			continue;
		for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
			struct pci_bar *b = &dev->bars[i];

			/* A BAR that wraps past the top decodes nothing. */
			if (!b->size || !b->access ||
			    b->addr + (b->size - 1) < b->addr)
				continue;
			s[n++] = (struct pci_bar_map){
				.base = b->addr,
				.last = b->addr + (b->size - 1),
				.bar = b,
			};
		}
	}
	qsort(s, n, sizeof(*s), pci_map_cmp);
	for (unsigned int i = 0; i < n; i++) {
		if (kept && s[i].base <= s[kept - 1].last)
			continue;
		s[kept++] = s[i];
	}

	/* Publish: readers that saw an odd or changed sequence retry. */
	unsigned int seq = bus->map_seq;

	__atomic_store_n(&bus->map_seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (unsigned int i = 0; i < kept; i++) {
		__atomic_store_n(&bus->map[i].base, s[i].base,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&bus->map[i].last, s[i].last,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&bus->map[i].bar, s[i].bar, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&bus->map_count, kept, __ATOMIC_RELAXED);
	__atomic_store_n(&bus->map_seq, seq + 2, __ATOMIC_RELEASE);
}

static void pci_bus_update_map(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->map_lock);
	pci_bus_update_map_locked(bus);
	pthread_mutex_unlock(&bus->map_lock);
}

void pci_dev_reset_config(struct pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	__atomic_store_n(&dev->command, 0, __ATOMIC_RELEASE);
	dev->msix_ctrl = 0;
	dev->intx_level = false;
	pci_dev_update_intx_locked(dev, false);
	pthread_mutex_unlock(&dev->lock);
	dev->config[PCI_INTERRUPT_LINE] = 0;
	if (dev->bus)
		pthread_mutex_lock(&dev->bus->map_lock);
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		pci_bar_set_addr(&dev->bars[i], dev->bars[i].placed);
	if (dev->bus) {
		pci_bus_update_map_locked(dev->bus);
		pthread_mutex_unlock(&dev->bus->map_lock);
	}
}

int pci_bus_add(struct pci_bus *bus, struct pci_dev *dev, unsigned int devfn)
{
	uint64_t next32 = bus->mmio32_next, next64 = bus->mmio64_next;

	if (devfn >= PCI_MAX_DEVFN || bus->devs[devfn]) {
		log_error("PCI slot %u:%u is already taken", devfn >> 3,
			  devfn & 7);
		return -1;
	}
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;

		if (!b->size)
			continue;
		/* 64-bit BARs above 4 GiB, as firmware with a 64-bit
		 * aperture does, leaving the 32-bit window to the rest. */
		bool high = b->mem64 && bus->mmio64_end > bus->mmio64_base;
		uint64_t *next = high ? &next64 : &next32;
		uint64_t end = high ? bus->mmio64_end : bus->mmio32_end;

		addr = (*next + b->size - 1) & ~(b->size - 1);
		if (addr < *next || addr > end || b->size > end - addr) {
			log_error("%s: no room for its BARs in the PCI window",
				  dev->name);
			return -1;
		}
		*next = addr + b->size;
		b->placed = addr;
	}
	bus->mmio32_next = next32;
	bus->mmio64_next = next64;
	pthread_mutex_lock(&bus->map_lock);
	dev->devfn = devfn;
	dev->bus = bus;
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		pci_bar_set_addr(&dev->bars[i], dev->bars[i].placed);
	bus->devs[devfn] = dev;
	pci_bus_update_map_locked(bus);
	pthread_mutex_unlock(&bus->map_lock);
	return 0;
}

/* Whether [reg, reg + size) and [base, base + len) share a byte. */
static bool pci_overlaps(unsigned int reg, unsigned int size, unsigned int base,
			 unsigned int len)
{
	return reg < base + len && base < reg + size;
}

/* Copies the bytes of img (config [base, base + len)) that data covers. */
static void pci_overlay(uint8_t *data, unsigned int reg, unsigned int size,
			unsigned int base, const uint8_t *img, unsigned int len)
{
	for (unsigned int i = 0; i < size; i++) {
		if (reg + i >= base && reg + i < base + len)
			data[i] = img[reg + i - base];
	}
}

/* Merges the written bytes into img, through the write mask at base. */
static void pci_merge(const struct pci_dev *dev, uint8_t *img,
		      unsigned int base, unsigned int len, unsigned int reg,
		      const uint8_t *data, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++) {
		unsigned int r = reg + i;

		if (r >= base && r < base + len)
			img[r - base] = (img[r - base] & ~dev->wmask[r]) |
					(data[i] & dev->wmask[r]);
	}
}

/* Whether config byte r is made from state rather than stored. */
static bool pci_synthesised(const struct pci_dev *dev, unsigned int r)
{
	return (r >= PCI_COMMAND && r < PCI_STATUS + 2) ||
	       (r >= PCI_BAR0 && r < PCI_BAR0 + PCI_BARS_LEN) ||
	       (dev->msix && r >= dev->msix_cap + 2 && r < dev->msix_cap + 4);
}

static void pci_dev_config_read(struct pci_dev *dev, unsigned int reg,
				uint8_t *data, unsigned int size)
{
	if (dev->ops && dev->ops->config_read)
		dev->ops->config_read(dev, reg, size);
	memcpy(data, dev->config + reg, size);
	if (pci_overlaps(reg, size, PCI_COMMAND, 4) ||
	    (dev->msix && pci_overlaps(reg, size, dev->msix_cap + 2, 2))) {
		uint8_t cs[4], ctrl[2] = { 0 };

		pthread_mutex_lock(&dev->lock);
		le_write(cs, 2, dev->command);
		le_write(cs + 2, 2,
			 (pci_cfg_read(dev, PCI_STATUS, 2) &
			  ~PCI_STATUS_INTERRUPT) |
				 (dev->intx_level ? PCI_STATUS_INTERRUPT : 0));
		if (dev->msix)
			le_write(ctrl, 2,
				 pci_cfg_read(dev, dev->msix_cap + 2, 2) |
					 dev->msix_ctrl);
		pthread_mutex_unlock(&dev->lock);
		pci_overlay(data, reg, size, PCI_COMMAND, cs, 4);
		if (dev->msix)
			pci_overlay(data, reg, size, dev->msix_cap + 2, ctrl,
				    2);
	}
	if (pci_overlaps(reg, size, PCI_BAR0, PCI_BARS_LEN)) {
		uint8_t img[PCI_BARS_LEN];

		pthread_mutex_lock(&dev->bus->map_lock);
		pci_bars_image(dev, img);
		pthread_mutex_unlock(&dev->bus->map_lock);
		pci_overlay(data, reg, size, PCI_BAR0, img, PCI_BARS_LEN);
	}
}

static void pci_dev_config_write(struct pci_dev *dev, unsigned int reg,
				 const uint8_t *data, unsigned int size)
{
	bool bars = pci_overlaps(reg, size, PCI_BAR0, PCI_BARS_LEN);
	bool memory = false;

	for (unsigned int i = 0; i < size; i++) {
		unsigned int r = reg + i;

		if (!pci_synthesised(dev, r))
			dev->config[r] = (dev->config[r] & ~dev->wmask[r]) |
					 (data[i] & dev->wmask[r]);
	}
	/* The status register has no bit a guest may write or clear. */
	if (pci_overlaps(reg, size, PCI_COMMAND, 2) ||
	    (dev->msix && pci_overlaps(reg, size, dev->msix_cap + 2, 2))) {
		uint8_t cmd[2], ctrl[2];
		uint16_t old_ctrl;

		pthread_mutex_lock(&dev->lock);
		le_write(cmd, 2, dev->command);
		pci_merge(dev, cmd, PCI_COMMAND, 2, reg, data, size);
		memory = (le_read(cmd, 2) ^ dev->command) & PCI_COMMAND_MEMORY;
		__atomic_store_n(&dev->command, le_read(cmd, 2),
				 __ATOMIC_RELEASE);
		old_ctrl = dev->msix_ctrl;
		if (dev->msix) {
			le_write(ctrl, 2, dev->msix_ctrl);
			pci_merge(dev, ctrl, dev->msix_cap + 2, 2, reg, data,
				  size);
			dev->msix_ctrl = le_read(ctrl, 2);
		}
		pci_dev_update_intx_locked(dev, false);
		/* Vectors that were held back by it may now go. */
		if (dev->msix && old_ctrl != dev->msix_ctrl)
			msix_flush_locked(dev->msix);
		pthread_mutex_unlock(&dev->lock);
	}
	if (bars) {
		uint8_t img[PCI_BARS_LEN];

		pthread_mutex_lock(&dev->bus->map_lock);
		pci_bars_image(dev, img);
		/* Each BAR's own mask applies, not wmask: its size. */
		for (unsigned int i = 0; i < size; i++) {
			unsigned int r = reg + i;

			if (r >= PCI_BAR0 && r < PCI_BAR0 + PCI_BARS_LEN)
				img[r - PCI_BAR0] = data[i];
		}
		pci_bars_from_image(dev, img);
		pci_bus_update_map_locked(dev->bus);
		pthread_mutex_unlock(&dev->bus->map_lock);
	} else if (memory) {
		pci_bus_update_map(dev->bus);
	}
	if (dev->ops && dev->ops->config_written)
		dev->ops->config_written(dev, reg, size);
	if (dev->ops && dev->ops->bars_changed && (bars || memory))
		dev->ops->bars_changed(dev);
}

void pci_bus_config_access(struct pci_bus *bus, unsigned int busnr,
			   unsigned int devfn, unsigned int reg, uint8_t *data,
			   unsigned int size, bool is_write)
{
	struct pci_dev *dev;

	pthread_mutex_lock(&bus->lock);
	dev = busnr == 0 && devfn < PCI_MAX_DEVFN ? bus->devs[devfn] : NULL;
	if (!dev || !size || reg >= PCI_CONFIG_SIZE ||
	    size > PCI_CONFIG_SIZE - reg) {
		if (!is_write)
			memset(data, 0xff, size);
	} else if (is_write) {
		pci_dev_config_write(dev, reg, data, size);
	} else {
		pci_dev_config_read(dev, reg, data, size);
	}
	pthread_mutex_unlock(&bus->lock);
}

/*
 * The enabled BAR that wholly holds [addr, addr + size), from the map,
 * lock-free: a reader that raced a rebuild looks again.
 */
static struct pci_bar *pci_bus_find_bar(struct pci_bus *bus, uint64_t addr,
					unsigned int size, uint64_t *off)
{
	for (;;) {
		unsigned int seq =
			__atomic_load_n(&bus->map_seq, __ATOMIC_ACQUIRE);
		unsigned int lo = 0, hi;
		struct pci_bar *hit = NULL;
		uint64_t base = 0, last = 0;

		if (seq & 1) {
			sched_yield();
			continue;
		}
		hi = __atomic_load_n(&bus->map_count, __ATOMIC_RELAXED);
		if (hi > PCI_MAP_MAX)
			hi = PCI_MAP_MAX;
		/* The last entry at or below addr. */
		while (lo < hi) {
			unsigned int mid = lo + (hi - lo) / 2;

			if (__atomic_load_n(&bus->map[mid].base,
					    __ATOMIC_RELAXED) <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo) {
			base = __atomic_load_n(&bus->map[lo - 1].base,
					       __ATOMIC_RELAXED);
			last = __atomic_load_n(&bus->map[lo - 1].last,
					       __ATOMIC_RELAXED);
			hit = __atomic_load_n(&bus->map[lo - 1].bar,
					      __ATOMIC_RELAXED);
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&bus->map_seq, __ATOMIC_RELAXED) != seq)
			continue;
		if (!hit || addr < base || addr > last ||
		    size - 1 > last - addr)
			return NULL;
		*off = addr - base;
		return hit;
	}
}

/* An access at guest-physical addr, to whichever BAR is there now. */
static void pci_bus_bar_access(struct pci_bus *bus, uint64_t addr,
			       uint8_t *data, unsigned int size, bool is_write)
{
	uint64_t off = 0;
	struct pci_bar *hit = size ? pci_bus_find_bar(bus, addr, size, &off)
				   : NULL;

	/* Devices are never removed, so the BAR outlives the lookup. */
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
