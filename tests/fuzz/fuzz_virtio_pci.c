// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the virtio PCI transport: a hostile driver's
 * register accesses. Each input makes a device on a PCI bus of its own:
 * either a minimal one (two queues, a few bytes of device configuration,
 * a queue_notify that takes and gives back every chain, as virtio-rng
 * does) or virtio-console with one named port (its control messages are
 * guest input too). Then it runs a script of accesses through the bus's
 * real config and MMIO functions: the BAR (common configuration, ISR,
 * device configuration, notifications, MSI-X table and PBA), config space
 * (the capabilities and the PCI_CFG window among them) and guest RAM
 * (rings the device's thread reads while the script goes on). Memory
 * decoding is on from the start.
 *
 * Input: one byte, the device (odd: virtio-console), then a list of
 * 12-byte operations.
 *   [0] op % 6: 0 BAR read, 1 BAR write, 2 config read, 3 config write,
 *               4 RAM write (8 bytes), 5 let the device's thread run
 *   [1] size: 1 << (b % 4) for the BAR, 1 << (b % 3) for config
 *   [2..3] offset (BAR: % 0x8000; config: % 4096; RAM: % RAM_SIZE)
 *   [4..11] value, little-endian
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/console.h"
#include "base/log.h"
#include "core/config.h"
#include "core/device.h"
#include "core/vm.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "virtio/virtio_pci.h"

#include "../unit/virtio_pci_harness.h"

#define MMIO32_BASE 0xc0000000ull
#define MMIO32_END 0xfc000000ull
#define DEVFN (4 << 3)
#define BAR_SIZE 0x8000
#define RAM_SIZE 0x10000
#define OP_LEN 12
#define MAX_OPS 512

static struct vm vm;

/* The rest of the VM (the bus, INTx, ...) is virtio_pci_harness.c's. */
unsigned int vm_alloc_msi_gsis(struct vm *v, unsigned int count)
{
	(void)v, (void)count;
	return HV_MSI_GSI_BASE;
}

extern const struct device_class virtio_console_class;

struct fdev {
	struct virtio_pci *vp;
	struct vq_chain chain;
};

static void fdev_notify(void *dev, struct virtio_pci *vp, unsigned int q)
{
	struct fdev *d = dev;
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old = vq_used_idx(vq);
	unsigned int n = 0;
	int ret;

	while (n++ < 64 && (ret = vq_pop(vq, &d->chain)) > 0)
		vq_push(vq, d->chain.head,
			vq_chain_write(&d->chain, "fuzz", 4));
	if (n <= 64 && ret < 0)
		virtio_pci_fail(vp, vq_error_str(ret));
	virtio_pci_queue_interrupt(vp, q, old);
}

static const uint8_t fdev_config[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static const struct virtio_device_ops fdev_ops = {
	.device_id = 4,
	.pci_class = 0x00ff0000,
	.num_queues = 2,
	.queue_size = 16,
	.features = 1ull << 0 | 1ull << 3,
	.config = fdev_config,
	.config_size = sizeof(fdev_config),
	.queue_notify = fdev_notify,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fdev *d;
	static char opt[80];
	static struct dev_config dc = { .slot = DEVFN >> 3, .nopts = 1 };
	void *con = NULL;
	uint64_t bar0;
	uint8_t cmd[2] = { PCI_COMMAND_MEMORY, 0 };
	uint8_t b[8];

	if (!vm.ram.host) {
		if (guest_ram_alloc(&vm.ram, RAM_SIZE) < 0 ||
		    guest_ram_add_region(&vm.ram, 0, RAM_SIZE) < 0)
			abort();
		d = calloc(1, sizeof(*d));
		if (!d)
			abort();
		snprintf(opt, sizeof(opt), "p1:/tmp/scorpi-fuzz-vcon-%d",
			 (int)getpid());
		dc.opts[0].key = "port";
		dc.opts[0].value = opt;
	}
	if (!size)
		return 0;
	memset(vm.ram.host, 0, RAM_SIZE);
	pci_bus_init(&harness_bus, MMIO32_BASE, MMIO32_END, 16, 8);
	if (data[0] & 1) {
		con = virtio_console_class.create(&vm, &dc);
		if (!con)
			abort();
	} else {
		d->vp = virtio_pci_create(&vm, "virtio-fuzz", DEVFN, &fdev_ops,
					  d);
		if (!d->vp)
			abort();
	}
	data++;
	size--;
	pci_bus_config_access(&harness_bus, 0, DEVFN, PCI_COMMAND, cmd, 2,
			      true);
	pci_bus_config_access(&harness_bus, 0, DEVFN, PCI_BAR0, b, 4, false);
	bar0 = le_read(b, 4) & ~0xfull;
	for (size_t i = 0; i + OP_LEN <= size && i < MAX_OPS * OP_LEN;
	     i += OP_LEN) {
		const uint8_t *op = data + i;
		unsigned int off = le_read(op + 2, 2);
		unsigned int sz;

		memcpy(b, op + 4, 8);
		switch (op[0] % 6) {
		case 0:
		case 1:
			sz = 1u << (op[1] % 4);
			off %= BAR_SIZE;
			if (off + sz > BAR_SIZE)
				off = BAR_SIZE - sz;
			pci_bus_mmio_access(&harness_bus,
					    bar0 + off - MMIO32_BASE, b, sz,
					    op[0] % 6 == 1);
			break;
		case 2:
		case 3:
			sz = 1u << (op[1] % 3);
			off %= PCI_CONFIG_SIZE;
			if (off + sz > PCI_CONFIG_SIZE)
				off = PCI_CONFIG_SIZE - sz;
			/* The BARs stay put: the script is about the device. */
			if (op[0] % 6 == 3 && off < PCI_BAR0 + 24 &&
			    off + sz > PCI_COMMAND)
				break;
			pci_bus_config_access(&harness_bus, 0, DEVFN, off, b,
					      sz, op[0] % 6 == 3);
			break;
		case 4:
			off %= RAM_SIZE - 8;
			memcpy(vm.ram.host + off, b, 8);
			break;
		default:
			sched_yield();
			break;
		}
	}
	if (con)
		virtio_console_class.destroy(con);
	virtio_pci_destroy(d->vp);
	d->vp = NULL;
	return 0;
}
