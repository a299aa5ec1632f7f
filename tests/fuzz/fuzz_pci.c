// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the PCI core as a guest reaches it: config space
 * through ports 0xCF8-0xCFF and ECAM, BAR accesses through the MMIO
 * windows (so BAR sizing, programming, overlapping and garbage BARs,
 * command-register gating), the MSI-X table and PBA, and a device's INTx
 * and MSI-X notifications in between, with resets. The input is a stream
 * of operations. Besides the sanitizers, it checks that a BAR handler
 * only sees accesses inside its BAR while memory decoding is on, that the
 * status bit and the line follow the device's INTx level, INTx disable
 * and MSI-X enable, that the PBA holds only real vectors, that MSI
 * routes and irqfds are only ever for the function's own GSIs, and that
 * absent functions read all ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci_host.h"
#include "hv/hv.h"
#include "pci/msix.h"
#include "pci/pci.h"

#define require(cond)            \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#define MMIO32_BASE 0xc0000000ull
#define MMIO32_END 0xfc000000ull
#define MMIO64_BASE 0x8000000000ull
#define MMIO64_END 0x10000000000ull

#define NVEC 5
#define TABLE_OFF 0x1000
#define PBA_OFF 0x1800

#define GSI_BASE 100

/*
 * A stand-in hypervisor VM: MSI-X attaches to it, and every route and
 * irqfd must be for one of the function's own GSIs.
 */
static char fake_hv;

int hv_vm_set_msi_route(struct hv_vm *vm, unsigned int gsi, uint64_t addr,
			uint32_t data, uint32_t devid)
{
	(void)addr, (void)data;
	require(vm == (struct hv_vm *)&fake_hv);
	require(gsi >= GSI_BASE && gsi < GSI_BASE + NVEC);
	require(devid == 2 << 3);
	return 0;
}

int hv_vm_irqfd(struct hv_vm *vm, int fd, unsigned int gsi, bool assign)
{
	require(vm == (struct hv_vm *)&fake_hv);
	require(fd >= 0 && assign);
	require(gsi >= GSI_BASE && gsi < GSI_BASE + NVEC);
	return 0;
}

struct fdev {
	struct pci_dev pci;
	struct msix msix;
	bool has_msix;
	bool level; /* the INTx level the harness drove */
};

static struct fdev devs[2];
static struct pci_host *host;
static int line[2]; /* as last driven, per device */

static void fake_irq_set(void *ctx, unsigned int gsi, bool level)
{
	(void)ctx;
	require(gsi < 2);
	line[gsi] = level;
}

/* Every BAR handler: the access must be inside the BAR, decoding on. */
static void check_bar(struct fdev *d, unsigned int bar, uint64_t off,
		      unsigned int size)
{
	require(size >= 1 && size <= 8);
	require(off < d->pci.bars[bar].size);
	require(size <= d->pci.bars[bar].size - off);
	require(pci_dev_memory_enabled(&d->pci));
}

static void bar_msix(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int size, bool is_write)
{
	struct fdev *d = opaque;

	check_bar(d, 0, off, size);
	if (off >= TABLE_OFF && off < PBA_OFF)
		msix_table_access(&d->msix, off - TABLE_OFF, data, size,
				  is_write);
	else if (off >= PBA_OFF)
		msix_pba_access(&d->msix, off - PBA_OFF, data, size, is_write);
	else if (!is_write)
		memset(data, 0x5a, size);
}

static void bar_plain(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int size, bool is_write)
{
	struct fdev *d = opaque;

	check_bar(d, d == &devs[0] ? 2 : 0, off, size);
	if (!is_write)
		memset(data, 0xa5, size);
}

static void config_written(struct pci_dev *dev, unsigned int reg,
			   unsigned int size)
{
	struct fdev *d = dev->opaque;

	if (d->has_msix)
		msix_config_written(&d->msix, reg, size);
}

static const struct pci_dev_ops ops = { .config_written = config_written };

static int setup(void)
{
	static const struct pci_host_config cfg = {
		.ecam_base = 0xb0000000,
		.mmio32_base = MMIO32_BASE,
		.mmio32_end = MMIO32_END,
		.intx_gsi_base = 16,
		.intx_lines = 8,
		.bridge_vendor = 0x8086,
		.bridge_device = 0x29c0,
		.q35_pciexbar = true,
	};
	static const struct vm_control control = { 0 };

	host = pci_host_create(&cfg, &control);
	require(host);
	pci_bus_set_mmio64(&host->bus, MMIO64_BASE, MMIO64_END);
	for (unsigned int i = 0; i < 2; i++) {
		struct fdev *d = &devs[i];

		pci_dev_init(&d->pci, i ? "plain" : "msix", 0x1af4, 0x1041 + i,
			     0x02000001, 0x1af4, 0x41);
		d->pci.ops = &ops;
		d->pci.opaque = d;
		d->level = false;
		d->has_msix = i == 0;
		if (i == 0) {
			pci_dev_add_bar(&d->pci, 0, 0x2000, true, bar_msix, d);
			pci_dev_add_bar(&d->pci, 2, 0x100, false, bar_plain, d);
			require(msix_init(&d->msix, &d->pci, NVEC, 0, TABLE_OFF,
					  PBA_OFF, GSI_BASE) == 0);
			require(msix_attach(&d->msix,
					    (struct hv_vm *)&fake_hv) == 0);
		} else {
			pci_dev_add_bar(&d->pci, 0, 0x1000, false, bar_plain,
					d);
		}
		require(pci_bus_add(&host->bus, &d->pci, (2 + i) << 3) == 0);
		d->pci.intx = (struct irq_line){ fake_irq_set, NULL, i };
		line[i] = 0;
	}
	return 0;
}

static void teardown(void)
{
	msix_destroy(&devs[0].msix);
	pci_host_destroy(host);
	host = NULL;
}

static uint64_t config_read(unsigned int devfn, unsigned int reg,
			    unsigned int size)
{
	uint8_t d[8] = { 0 };

	pci_host_ecam_access(host, (uint64_t)devfn << 12 | reg, d, size, false);
	return le_read(d, size);
}

/* The status bit and the line, from what the harness did. */
static void check_intx(void)
{
	for (unsigned int i = 0; i < 2; i++) {
		struct fdev *d = &devs[i];
		unsigned int devfn = (2 + i) << 3;
		uint16_t cmd = config_read(devfn, PCI_COMMAND, 2);
		uint16_t status = config_read(devfn, PCI_STATUS, 2);
		bool msix = d->has_msix &&
			    (config_read(devfn, d->msix.cap + 2, 2) &
			     PCI_MSIX_CTRL_ENABLE);

		require(!!(status & PCI_STATUS_INTERRUPT) == d->level);
		require(line[i] ==
			(d->level && !(cmd & PCI_COMMAND_INTX_DISABLE) &&
			 !msix));
		require(msix == (d->has_msix && msix_enabled(&d->msix)));
	}
}

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->n; i++, in->n--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static const unsigned int sizes[4] = { 1, 2, 4, 8 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint8_t buf[8];

	setup();
	while (in.n) {
		unsigned int op = take(&in, 1);
		unsigned int sz = sizes[(op >> 4) & 3];
		bool is_write = op & 0x40;

		memset(buf, 0, sizeof(buf));
		switch (op & 0xf) {
		case 0: { /* 0xCF8: the address, mostly of a real function */
			uint32_t a = take(&in, 4);

			if (!(op & 0x80))
				a = 0x80000000u | (a & 0x3fc) |
				    (unsigned int)((2 + (a >> 10) % 3) << 11);
			le_write(buf, 4, a);
			pci_host_port_access(host, 0, buf, 4, true);
			break;
		}
		case 1: { /* the ports at any offset and size */
			unsigned int off = take(&in, 1) & 7;

			le_write(buf, 8, take(&in, is_write ? sz : 0));
			pci_host_port_access(host, off, buf, sz > 4 ? 4 : sz,
					     is_write);
			break;
		}
		case 2:
		case 3: { /* ECAM: our functions, mostly; bus 0 or 1 */
			uint32_t off = take(&in, 2) & 0xfff;
			unsigned int fn = take(&in, 1);
			unsigned int devfn = fn & 0x80 ? fn & 0xff
						       : (2 + fn % 2) << 3;
			uint64_t ecam = (uint64_t)(fn & 0x40 ? 1 : 0) << 20 |
					devfn << 12 | off;

			le_write(buf, 8, take(&in, is_write ? sz : 0));
			pci_host_ecam_access(host, ecam, buf, sz, is_write);
			if (!is_write &&
			    (((devfn >> 3) != 2 && (devfn >> 3) != 3 &&
			      devfn != 0) ||
			     (fn & 0x40) || (devfn & 7) || off + sz > 4096)) {
				for (unsigned int i = 0; i < sz; i++)
					require(buf[i] == 0xff);
			}
			break;
		}
		case 4:
		case 5: { /* the 32-bit window, near the BARs or anywhere */
			uint64_t off = take(&in, 4);

			if (op & 0x80)
				off %= 0x10000;
			le_write(buf, 8, take(&in, is_write ? sz : 0));
			pci_bus_mmio_access(&host->bus, off, buf, sz, is_write);
			break;
		}
		case 6: { /* the 64-bit window, and beyond its end */
			uint64_t off = take(&in, 8);

			if (op & 0x80)
				off %= 0x10000;
			le_write(buf, 8, take(&in, is_write ? sz : 0));
			pci_bus_mmio64_access(&host->bus, off, buf, sz,
					      is_write);
			break;
		}
		case 7: { /* the MSI-X table and PBA, wherever BAR 0 is */
			uint64_t off = take(&in, 2) & 0x1fff;
			uint64_t addr = pci_bar_addr(&devs[0].pci, 0) + off;

			le_write(buf, 8, take(&in, is_write ? sz : 0));
			if (addr >= MMIO64_BASE && addr < MMIO64_END)
				pci_bus_mmio64_access(&host->bus,
						      addr - MMIO64_BASE, buf,
						      sz, is_write);
			else if (addr >= MMIO32_BASE && addr < MMIO32_END)
				pci_bus_mmio_access(&host->bus,
						    addr - MMIO32_BASE, buf, sz,
						    is_write);
			break;
		}
		case 8: { /* a device drives INTx */
			struct fdev *d = &devs[op >> 7];

			d->level = op & 0x40;
			pci_dev_set_intx(&d->pci, d->level);
			break;
		}
		case 9: /* a device raises an MSI-X vector (or no vector) */
			msix_notify(&devs[0].msix, take(&in, 1) % (NVEC + 2));
			break;
		case 10: /* a reset, as the VM does at reboot */
			if (op & 0x80) {
				/* Detached between boots, as the VM does. */
				msix_attach(&devs[0].msix, NULL);
				msix_reset(&devs[0].msix);
				pci_dev_reset_config(&devs[0].pci);
				devs[0].level = false;
				msix_attach(&devs[0].msix,
					    (struct hv_vm *)&fake_hv);
			} else {
				pci_dev_reset_config(&devs[1].pci);
				devs[1].level = false;
			}
			break;
		default: /* the PBA reads only what was raised */
			le_write(buf, 8, 0);
			msix_pba_access(&devs[0].msix, 0, buf, 8, false);
			require(!(le_read(buf, 8) >> NVEC));
			break;
		}
		check_intx();
	}
	teardown();
	return 0;
}
