// SPDX-License-Identifier: MIT
/*
 * The PCI host: configuration space through ports 0xCF8/0xCFC (x86) and
 * through the ECAM window, and the host bridge at 00:00.0. On x86 it
 * identifies as a Q35 MCH (8086:29C0) with its PCIEXBAR describing the
 * ECAM window, so that stock firmware recognises the platform, and the
 * chipset's reset control register at 0xCF9 shares the port range; on
 * arm64 it is the generic ECAM host bridge that QEMU's virt has.
 */
#include <stdlib.h>
#include <string.h>

#include "pci_host.h"

#define PCI_CONFIG_ENABLE 0x80000000u

#define MCH_PCIEXBAR 0x60
#define PCIEXBAR_ENABLE 0x1 /* length bits 00: 256 buses */

#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04

struct pci_host *pci_host_create(const struct pci_host_config *cfg,
				 const struct vm_control *control)
{
	struct pci_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->control = *control;
	pci_bus_init(&h->bus, cfg->mmio32_base, cfg->mmio32_end,
		     cfg->intx_gsi_base, cfg->intx_lines);
	pci_dev_init(&h->bridge, "hostbridge", cfg->bridge_vendor,
		     cfg->bridge_device, 0x06000000, 0x1af4, 0x1100);
	pci_cfg_set(&h->bridge, PCI_INTERRUPT_PIN, 1, 0);
	if (cfg->q35_pciexbar)
		le_write(h->bridge.config + MCH_PCIEXBAR, 8,
			 cfg->ecam_base | PCIEXBAR_ENABLE);
	if (pci_bus_add(&h->bus, &h->bridge, 0) < 0) {
		pci_host_destroy(h);
		return NULL;
	}
	return h;
}

void pci_host_destroy(struct pci_host *h)
{
	if (!h)
		return;
	pci_bus_destroy(&h->bus);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void pci_host_reset(struct pci_host *h)
{
	pthread_mutex_lock(&h->lock);
	h->config_address = 0;
	h->reset_control = 0;
	pthread_mutex_unlock(&h->lock);
}

void pci_host_port_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write)
{
	struct pci_host *h = opaque;
	bool reset = false;
	uint32_t a;

	pthread_mutex_lock(&h->lock);
	a = h->config_address;
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
	} else if (!(offset >= 4 && offset + size <= 8) && !is_write) {
		memset(data, 0xff, size);
	}
	pthread_mutex_unlock(&h->lock);
	if (offset >= 4 && offset + size <= 8) {
		if (a & PCI_CONFIG_ENABLE)
			pci_bus_config_access(&h->bus, (a >> 16) & 0xff,
					      (a >> 8) & 0xff,
					      (a & 0xfc) + (offset - 4), data,
					      size, is_write);
		else if (!is_write)
			memset(data, 0xff, size);
	}
	if (reset)
		vm_control_request(&h->control, VM_REQ_RESET);
}

void pci_host_ecam_access(void *opaque, uint64_t offset, uint8_t *data,
			  unsigned int size, bool is_write)
{
	struct pci_host *h = opaque;

	pci_bus_config_access(&h->bus, offset >> 20, (offset >> 12) & 0xff,
			      offset & (PCI_CONFIG_SIZE - 1), data, size,
			      is_write);
}
