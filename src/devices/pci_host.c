// SPDX-License-Identifier: MIT
/*
 * The PCI host: configuration space through ports 0xCF8/0xCFC and through
 * the ECAM window, and the host bridge at 00:00.0, which identifies as a
 * Q35 MCH (8086:29C0) with its PCIEXBAR describing the ECAM window, so
 * that stock firmware recognises the platform. The chipset's reset
 * control register at 0xCF9 shares the port range.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/bus.h"
#include "pci_host.h"

#define PCI_CONFIG_SIZE 4096
#define PCI_CONFIG_ENABLE 0x80000000u

#define MCH_VENDOR 0x8086
#define MCH_DEVICE 0x29c0
#define MCH_PCIEXBAR 0x60
#define PCIEXBAR_ENABLE 0x1 /* length bits 00: 256 buses */

#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04

struct pci_host {
	pthread_mutex_t lock;
	struct vm_control control;
	uint32_t config_address;
	uint8_t reset_control;
	uint8_t bridge[256]; /* 00:00.0; its extended space reads as zero */
};

struct pci_host *pci_host_create(uint64_t ecam_base,
				 const struct vm_control *control)
{
	struct pci_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->control = *control;
	le_write(h->bridge + 0x00, 2, MCH_VENDOR);
	le_write(h->bridge + 0x02, 2, MCH_DEVICE);
	le_write(h->bridge + 0x04, 2, 0x0006); /* memory and bus master on */
	le_write(h->bridge + 0x08, 4, 0x06000000); /* host bridge, rev 0 */
	le_write(h->bridge + 0x2c, 2, 0x1af4); /* subsystem vendor */
	le_write(h->bridge + 0x2e, 2, 0x1100); /* subsystem */
	le_write(h->bridge + MCH_PCIEXBAR, 8, ecam_base | PCIEXBAR_ENABLE);
	return h;
}

void pci_host_destroy(struct pci_host *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* One config access to bus/dev/fn at reg; absent functions read ~0. */
static void pci_config_access(struct pci_host *h, unsigned int bus,
			      unsigned int devfn, unsigned int reg,
			      uint8_t *data, unsigned int size, bool is_write)
{
	bool bridge = bus == 0 && devfn == 0;

	if (is_write) {
		/* Only the host bridge's command register is writable. */
		for (unsigned int i = 0; bridge && i < size; i++) {
			if (reg + i == 0x04)
				h->bridge[0x04] = data[i] & 0x06;
		}
		return;
	}
	for (unsigned int i = 0; i < size; i++) {
		unsigned int r = reg + i;

		if (!bridge)
			data[i] = 0xff;
		else
			data[i] = r < sizeof(h->bridge) ? h->bridge[r] : 0;
	}
}

void pci_host_port_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write)
{
	struct pci_host *h = opaque;
	bool reset = false;

	pthread_mutex_lock(&h->lock);
	if (offset == 0 && size == 4) {
		if (is_write)
			h->config_address = le_read(data, 4) & 0x80fffffcu;
		else
			le_write(data, 4, h->config_address);
	} else if (offset == 1 && size == 1) {
		if (is_write) {
			/* A rising RST_CPU resets, hard or soft alike. */
			reset = (data[0] & RCR_RST_CPU) &&
				!(h->reset_control & RCR_RST_CPU);
			h->reset_control = data[0] & (RCR_SYS_RST | 0x08);
		} else {
			data[0] = h->reset_control;
		}
	} else if (offset >= 4 && offset + size <= 8) {
		uint32_t a = h->config_address;

		if (a & PCI_CONFIG_ENABLE)
			pci_config_access(h, (a >> 16) & 0xff, (a >> 8) & 0xff,
					  (a & 0xfc) + (offset - 4), data, size,
					  is_write);
		else if (!is_write)
			memset(data, 0xff, size);
	} else if (!is_write) {
		memset(data, 0xff, size);
	}
	pthread_mutex_unlock(&h->lock);
	if (reset)
		vm_control_request(&h->control, VM_REQ_RESET);
}

void pci_host_ecam_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write)
{
	struct pci_host *h = opaque;
	unsigned int reg = offset & (PCI_CONFIG_SIZE - 1);

	/* An access may not cross the function's config space. */
	if (reg + size > PCI_CONFIG_SIZE) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	pthread_mutex_lock(&h->lock);
	pci_config_access(h, offset >> 20, (offset >> 12) & 0xff, reg, data,
			  size, is_write);
	pthread_mutex_unlock(&h->lock);
}
