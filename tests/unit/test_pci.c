// SPDX-License-Identifier: MIT
/*
 * The PCI core as a guest (firmware, Linux) drives it: config space
 * through ports 0xCF8/0xCFC and ECAM, BAR sizing, programming and
 * dispatch through the MMIO windows, command-register gating, INTx with
 * INTx disable (and a device raising it while vCPUs write the command
 * register), and MSI-X table, PBA and masking. A test function with a
 * 64-bit and a 32-bit BAR and four MSI-X vectors stands in for a device.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/pci_host.h"
#include "pci/msix.h"
#include "pci/pci.h"

#include "check.h"

#define MMIO32_BASE 0xc0000000ull
#define MMIO32_END 0xfc000000ull
#define ECAM_BASE 0xb0000000ull

#define DEVFN (3 << 3)
#define BAR0_SIZE 0x4000 /* 64-bit: registers, MSI-X table and PBA */
#define BAR2_SIZE 0x1000 /* 32-bit */
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000
#define NVEC 4

#define MSIX_TABLE_CTRL 12
#ifndef PCI_MSIX_CTRL_ENABLE
#define PCI_MSIX_CTRL_ENABLE 0x8000
#define PCI_MSIX_CTRL_MASKALL 0x4000
#endif

static struct {
	int level; /* the INTx line as last driven: atomic */
	unsigned int calls;
} irq;

static void fake_irq_set(void *ctx, unsigned int gsi, bool level)
{
	(void)ctx;
	(void)gsi;
	__atomic_store_n(&irq.level, level, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&irq.calls, 1, __ATOMIC_SEQ_CST);
}

struct tdev {
	struct pci_dev pci;
	struct msix msix;
	/* The last access BAR 2 saw. */
	uint64_t last_off;
	unsigned int last_size, accesses;
	bool last_write;
};

/* BAR 0: the MSI-X table and PBA; below them, reads give the offset. */
static void tdev_bar0(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int size, bool is_write)
{
	struct tdev *t = opaque;

	if (off >= TABLE_OFF && off < PBA_OFF)
		msix_table_access(&t->msix, off - TABLE_OFF, data, size,
				  is_write);
	else if (off >= PBA_OFF)
		msix_pba_access(&t->msix, off - PBA_OFF, data, size, is_write);
	else if (!is_write)
		le_write(data, size, off | 0xa000000000000000ull);
}

static void tdev_bar2(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int size, bool is_write)
{
	struct tdev *t = opaque;

	__atomic_fetch_add(&t->accesses, 1, __ATOMIC_SEQ_CST);
	t->last_off = off;
	t->last_size = size;
	t->last_write = is_write;
	if (!is_write)
		le_write(data, size, off | 0xb0000000u);
}

static void tdev_config_written(struct pci_dev *dev, unsigned int reg,
				unsigned int size)
{
	struct tdev *t = dev->opaque;

	/* As virtio-pci does. */
	msix_config_written(&t->msix, reg, size);
}

static const struct pci_dev_ops tdev_ops = {
	.config_written = tdev_config_written,
};

static struct pci_host *host;
static struct tdev *td;

static void setup(void)
{
	static const struct pci_host_config cfg = {
		.ecam_base = ECAM_BASE,
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
	CHECK(host != NULL);
	td = calloc(1, sizeof(*td));
	CHECK(td != NULL);
	pci_dev_init(&td->pci, "test", 0x1af4, 0x1041, 0x02000001, 0x1af4,
		     0x0041);
	td->pci.ops = &tdev_ops;
	td->pci.opaque = td;
	pci_dev_add_bar(&td->pci, 0, BAR0_SIZE, true, tdev_bar0, td);
	pci_dev_add_bar(&td->pci, 2, BAR2_SIZE, false, tdev_bar2, td);
	CHECK(msix_init(&td->msix, &td->pci, NVEC, 0, TABLE_OFF, PBA_OFF,
			100) == 0);
	CHECK(pci_bus_add(&host->bus, &td->pci, DEVFN) == 0);
	td->pci.intx = (struct irq_line){ fake_irq_set, NULL, 16 };
	memset(&irq, 0, sizeof(irq));
}

static void teardown(void)
{
	msix_destroy(&td->msix);
	free(td);
	pci_host_destroy(host);
}

/* Through ports 0xCF8/0xCFC, as x86 firmware does. */
static uint32_t cf8_read(unsigned int busnr, unsigned int devfn,
			 unsigned int reg, unsigned int size)
{
	uint8_t a[4], d[4] = { 0 };

	le_write(a, 4, 0x80000000u | busnr << 16 | devfn << 8 | (reg & 0xfc));
	pci_host_port_access(host, 0, a, 4, true);
	pci_host_port_access(host, 4 + (reg & 3), d, size, false);
	return le_read(d, size);
}

static void cf8_write(unsigned int devfn, unsigned int reg, unsigned int size,
		      uint32_t v)
{
	uint8_t a[4], d[4];

	le_write(a, 4, 0x80000000u | devfn << 8 | (reg & 0xfc));
	pci_host_port_access(host, 0, a, 4, true);
	le_write(d, size, v);
	pci_host_port_access(host, 4 + (reg & 3), d, size, true);
}

static uint64_t ecam_read(unsigned int busnr, unsigned int devfn,
			  unsigned int reg, unsigned int size)
{
	uint8_t d[8] = { 0 };

	pci_host_ecam_access(host, (uint64_t)busnr << 20 | devfn << 12 | reg, d,
			     size, false);
	return le_read(d, size);
}

static void ecam_write(unsigned int devfn, unsigned int reg, unsigned int size,
		       uint64_t v)
{
	uint8_t d[8];

	le_write(d, size, v);
	pci_host_ecam_access(host, (uint64_t)devfn << 12 | reg, d, size, true);
}

/* A guest access to the 32-bit window at guest-physical addr. */
static uint64_t mmio_read(uint64_t addr, unsigned int size)
{
	uint8_t d[8] = { 0 };

	pci_bus_mmio_access(&host->bus, addr - MMIO32_BASE, d, size, false);
	return le_read(d, size);
}

static void mmio_write(uint64_t addr, unsigned int size, uint64_t v)
{
	uint8_t d[8];

	le_write(d, size, v);
	pci_bus_mmio_access(&host->bus, addr - MMIO32_BASE, d, size, true);
}

static void test_config_cf8_ecam(void)
{
	uint8_t a[4];

	setup();
	CHECK_EQ(cf8_read(0, 0, PCI_VENDOR_ID, 4), 0x29c08086);
	CHECK_EQ(ecam_read(0, 0, PCI_VENDOR_ID, 4), 0x29c08086);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_VENDOR_ID, 4), 0x10411af4);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_VENDOR_ID, 4), 0x10411af4);
	/* Byte and word accesses within the data port's dword. */
	CHECK_EQ(cf8_read(0, DEVFN, PCI_DEVICE_ID, 2), 0x1041);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_DEVICE_ID + 1, 1), 0x10);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_CLASS_REVISION + 3, 1), 0x02);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_SUBSYSTEM_ID, 2), 0x0041);
	/* The Q35 PCIEXBAR tells firmware where ECAM is. */
	CHECK_EQ(ecam_read(0, 0, 0x60, 8), ECAM_BASE | 1);
	/* Nothing there: all ones. */
	CHECK_EQ(cf8_read(0, DEVFN + 1, PCI_VENDOR_ID, 4), 0xffffffff);
	CHECK_EQ(cf8_read(1, DEVFN, PCI_VENDOR_ID, 4), 0xffffffff);
	CHECK_EQ(ecam_read(1, DEVFN, PCI_VENDOR_ID, 4), 0xffffffff);
	CHECK_EQ(ecam_read(0, DEVFN, 0xffe, 4), 0xffffffff);
	/* The address register reads back; without enable, no access. */
	le_write(a, 4, 0x00001800);
	pci_host_port_access(host, 0, a, 4, true);
	pci_host_port_access(host, 0, a, 4, false);
	CHECK_EQ(le_read(a, 4), 0x00001800);
	pci_host_port_access(host, 4, a, 4, false);
	CHECK_EQ(le_read(a, 4), 0xffffffff);
	/* A capability list ending in MSI-X with the table size. */
	CHECK(ecam_read(0, DEVFN, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	{
		unsigned int cap = ecam_read(0, DEVFN, PCI_CAPABILITY_LIST, 1);
		unsigned int n = 0;

		while (cap && ecam_read(0, DEVFN, cap, 1) != 0x11 && n++ < 48)
			cap = ecam_read(0, DEVFN, cap + 1, 1);
		CHECK_EQ(cap, td->msix.cap);
		CHECK_EQ(ecam_read(0, DEVFN, cap + 2, 2), NVEC - 1);
		CHECK_EQ(ecam_read(0, DEVFN, cap + 4, 4), TABLE_OFF);
		CHECK_EQ(ecam_read(0, DEVFN, cap + 8, 4), PBA_OFF);
	}
	/* Read-only bytes stay; the interrupt line is writable. */
	cf8_write(DEVFN, PCI_VENDOR_ID, 4, 0);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_VENDOR_ID, 4), 0x10411af4);
	cf8_write(DEVFN, PCI_INTERRUPT_LINE, 1, 11);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_INTERRUPT_LINE, 1), 11);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_INTERRUPT_PIN, 1), 1);
	teardown();
}

static void test_bar_sizing(void)
{
	setup();
	/* Placed at power-on: BAR 0 (64-bit) first, then BAR 2. */
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0, 4), MMIO32_BASE | 0x4);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0 + 4, 4), 0);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0 + 8, 4), MMIO32_BASE + BAR0_SIZE);
	/* Sizing, as firmware does it: all ones, read back. */
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		cf8_write(DEVFN, PCI_BAR0 + 4 * i, 4, 0xffffffff);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_BAR0, 4),
		 (uint32_t) ~(BAR0_SIZE - 1) | 0x4);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_BAR0 + 4, 4), 0xffffffff);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_BAR0 + 8, 4),
		 (uint32_t) ~(BAR2_SIZE - 1));
	/* Unused BARs and the expansion ROM BAR: nothing to size. */
	CHECK_EQ(cf8_read(0, DEVFN, PCI_BAR0 + 12, 4), 0);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_BAR0 + 16, 4), 0);
	CHECK_EQ(cf8_read(0, DEVFN, PCI_BAR0 + 20, 4), 0);
	CHECK_EQ(cf8_read(0, DEVFN, 0x30, 4), 0);
	/* Programming, a 64-bit BAR above 4 GiB with one qword write. */
	ecam_write(DEVFN, PCI_BAR0, 8, 0x812345678000ull);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0, 8), 0x812345678004ull);
	/* Byte writes assemble an address too; low bits stay. */
	ecam_write(DEVFN, PCI_BAR0 + 8, 1, 0xff);
	ecam_write(DEVFN, PCI_BAR0 + 9, 1, 0x12);
	ecam_write(DEVFN, PCI_BAR0 + 10, 1, 0xd0);
	ecam_write(DEVFN, PCI_BAR0 + 11, 1, 0xe0);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0 + 8, 4), 0xe0d01000);
	/* Reset: back where the bus placed them. */
	pci_dev_reset_config(&td->pci);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0, 8), MMIO32_BASE | 0x4);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0 + 8, 4), MMIO32_BASE + BAR0_SIZE);
	teardown();
}

static void test_command_gating(void)
{
	uint64_t bar2;

	setup();
	bar2 = MMIO32_BASE + BAR0_SIZE;
	/* Only memory, bus master and INTx disable are writable. */
	CHECK_EQ(ecam_read(0, DEVFN, PCI_COMMAND, 2), 0);
	ecam_write(DEVFN, PCI_COMMAND, 2, 0xffff);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_COMMAND, 2),
		 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_INTX_DISABLE);
	/* Memory decoding off: the BAR does not decode. */
	ecam_write(DEVFN, PCI_COMMAND, 2, 0);
	CHECK_EQ(mmio_read(bar2 + 8, 4), 0xffffffff);
	mmio_write(bar2 + 8, 4, 1);
	CHECK_EQ(td->accesses, 0);
	/* On: it does, at the offset within the BAR. */
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(mmio_read(bar2 + 8, 4), 0xb0000008);
	CHECK_EQ(td->accesses, 1);
	mmio_write(bar2 + 0xffc, 4, 7);
	CHECK_EQ(td->last_off, 0xffc);
	CHECK(td->last_write);
	CHECK_EQ(td->accesses, 2);
	/* Not wholly inside the BAR: nobody's. */
	CHECK_EQ(mmio_read(bar2 + 0xffe, 4), 0xffffffff);
	CHECK_EQ(mmio_read(bar2 - 2, 4), 0xffffffff);
	CHECK_EQ(td->accesses, 2);
	/* A 4-byte write of command and status, as some firmware does. */
	cf8_write(DEVFN, PCI_COMMAND, 4, 0xffff0000);
	CHECK_EQ(mmio_read(bar2, 4), 0xffffffff);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	teardown();
}

static void test_bar_remap(void)
{
	uint64_t a = 0xd0000000, b = 0xd0100000;

	setup();
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ecam_write(DEVFN, PCI_BAR0 + 8, 4, a);
	CHECK_EQ(mmio_read(a + 0x10, 4), 0xb0000010);
	/* Moved while decoding, as firmware may: the old place is empty. */
	ecam_write(DEVFN, PCI_BAR0 + 8, 4, b);
	CHECK_EQ(mmio_read(a + 0x10, 4), 0xffffffff);
	CHECK_EQ(mmio_read(b + 0x20, 4), 0xb0000020);
	/* BAR 0 (64-bit) in the 32-bit window, its registers at 0. */
	ecam_write(DEVFN, PCI_BAR0, 8, 0xe0000000);
	CHECK_EQ(mmio_read(0xe0000008, 8), 0xa000000000000008ull);
	/* Overlapping BARs: one of them decodes, nothing breaks. */
	ecam_write(DEVFN, PCI_BAR0 + 8, 4, 0xe0001000);
	CHECK_EQ(mmio_read(0xe0001004, 4), 0x1004);
	CHECK_EQ(mmio_read(0xe0003004, 4), 0);
	/* BAR 2 on top of the host bridge's nothing, at the window's end. */
	ecam_write(DEVFN, PCI_BAR0 + 8, 4, MMIO32_END - BAR2_SIZE);
	CHECK_EQ(mmio_read(MMIO32_END - 4, 4), 0xb0000ffc);
	/* Garbage: a 64-bit BAR at the very top of the address space. */
	ecam_write(DEVFN, PCI_BAR0, 8, 0xffffffffffffc000ull);
	CHECK_EQ(ecam_read(0, DEVFN, PCI_BAR0, 8), 0xffffffffffffc004ull);
	CHECK_EQ(mmio_read(0xe0000008, 4), 0xffffffff);
	{
		uint8_t d[4];

		/* The 64-bit window handler, at an offset that wraps. */
		host->bus.mmio64_base = 0x8000000000ull;
		pci_bus_mmio64_access(&host->bus,
				      0xffffffffffffc008ull - 0x8000000000ull,
				      d, 4, false);
		CHECK_EQ(le_read(d, 4), 8);
		pci_bus_mmio64_access(&host->bus,
				      0xfffffffffffffffeull - 0x8000000000ull,
				      d, 4, false);
		CHECK_EQ(le_read(d, 4), 0xffffffff);
	}
	/* Decoding off: nothing at all. */
	ecam_write(DEVFN, PCI_COMMAND, 2, 0);
	CHECK_EQ(mmio_read(MMIO32_END - 4, 4), 0xffffffff);
	teardown();
}

struct bar_thread {
	volatile bool done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t value;
};

static void *bar_reader(void *arg)
{
	struct bar_thread *t = arg;
	uint64_t v = mmio_read(MMIO32_BASE + BAR0_SIZE + 4, 4);

	pthread_mutex_lock(&t->lock);
	t->value = v;
	t->done = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/*
 * The BAR hot path takes no bus-wide lock: an access goes through while
 * another vCPU sits in config space (the config lock is held here).
 */
static void test_bar_no_bus_lock(void)
{
	struct bar_thread t = { .done = false };
	struct timespec until;
	pthread_t th;

	setup();
	pthread_mutex_init(&t.lock, NULL);
	pthread_cond_init(&t.cond, NULL);
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&host->bus.lock);
	CHECK(pthread_create(&th, NULL, bar_reader, &t) == 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&t.lock);
	while (!t.done &&
	       pthread_cond_timedwait(&t.cond, &t.lock, &until) != ETIMEDOUT)
		;
	CHECK(t.done);
	pthread_mutex_unlock(&t.lock);
	pthread_mutex_unlock(&host->bus.lock);
	pthread_join(th, NULL);
	CHECK_EQ(t.value, 0xb0000004);
	pthread_cond_destroy(&t.cond);
	pthread_mutex_destroy(&t.lock);
	teardown();
}

struct remap_race {
	bool stop; /* atomic */
	unsigned int bad, hits;
};

static void *remap_reader(void *arg)
{
	struct remap_race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		/* BAR 2 is at one of two places, or being moved. */
		uint64_t v = mmio_read(0xd0000010, 4);

		if (v == 0xb0000010)
			r->hits++;
		else if (v != 0xffffffff)
			r->bad++;
	}
	return NULL;
}

/* BAR accesses while another vCPU moves the BAR back and forth. */
static void test_bar_remap_race(void)
{
	struct remap_race r = { .stop = false };
	pthread_t th;

	setup();
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK(pthread_create(&th, NULL, remap_reader, &r) == 0);
	for (unsigned int i = 0; i < 20000; i++) {
		ecam_write(DEVFN, PCI_BAR0 + 8, 4,
			   i & 1 ? 0xd0000000 : 0xd8000000);
		if (i % 64 == 0)
			sched_yield();
	}
	ecam_write(DEVFN, PCI_BAR0 + 8, 4, 0xd0000000);
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK_EQ(r.bad, 0);
	CHECK_EQ(mmio_read(0xd0000010, 4), 0xb0000010);
	teardown();
}

static bool status_intx(void)
{
	return ecam_read(0, DEVFN, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT;
}

static void test_intx(void)
{
	setup();
	CHECK(!status_intx());
	pci_dev_set_intx(&td->pci, true);
	CHECK(status_intx());
	CHECK_EQ(irq.level, 1);
	/* INTx disable drops the line; the status bit still shows it. */
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	CHECK_EQ(irq.level, 0);
	CHECK(status_intx());
	/* Cleared while the level is up: the line comes back. */
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(irq.level, 1);
	/* Raised while disabled: the line stays low until enabled. */
	pci_dev_set_intx(&td->pci, false);
	CHECK_EQ(irq.level, 0);
	CHECK(!status_intx());
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	pci_dev_set_intx(&td->pci, true);
	CHECK_EQ(irq.level, 0);
	CHECK(status_intx());
	ecam_write(DEVFN, PCI_COMMAND, 2, 0);
	CHECK_EQ(irq.level, 1);
	/* A guest write to the status register does not clear it. */
	cf8_write(DEVFN, PCI_COMMAND, 4, 0);
	CHECK(status_intx());
	CHECK_EQ(irq.level, 1);
	/* With MSI-X on, a function does not use INTx. */
	ecam_write(DEVFN, td->msix.cap + 2, 2, PCI_MSIX_CTRL_ENABLE);
	CHECK_EQ(irq.level, 0);
	ecam_write(DEVFN, td->msix.cap + 2, 2, 0);
	CHECK_EQ(irq.level, 1);
	/* Reset: the line and the status bit go low. */
	pci_dev_reset_config(&td->pci);
	CHECK_EQ(irq.level, 0);
	CHECK(!status_intx());
	teardown();
}

#define INTX_ROUNDS 50000

struct intx_race {
	unsigned int go, done; /* rounds started, rounds the device did */
};

static void wait_for(unsigned int *p, unsigned int v)
{
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < v)
		sched_yield();
}

/* The device: in round r, its level goes to r & 1. */
static void *intx_raiser(void *arg)
{
	struct intx_race *r = arg;

	for (unsigned int i = 0; i < INTX_ROUNDS; i++) {
		wait_for(&r->go, i + 1);
		pci_dev_set_intx(&td->pci, i & 1);
		__atomic_store_n(&r->done, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * A device raising and lowering INTx on its thread while a vCPU writes
 * the command register (dword writes, as some firmware does, setting and
 * clearing INTx disable): once both are done, the status bit and the line
 * must show the device's last level, every round.
 */
static void test_intx_race(void)
{
	struct intx_race r = { 0, 0 };
	unsigned int bad_status = 0, bad_line = 0;
	pthread_t th;

	setup();
	CHECK(pthread_create(&th, NULL, intx_raiser, &r) == 0);
	for (unsigned int i = 0; i < INTX_ROUNDS; i++) {
		__atomic_store_n(&r.go, i + 1, __ATOMIC_RELEASE);
		cf8_write(DEVFN, PCI_COMMAND, 4,
			  PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
		cf8_write(DEVFN, PCI_COMMAND, 4, PCI_COMMAND_MEMORY);
		wait_for(&r.done, i + 1);
		bad_status += status_intx() != (i & 1);
		bad_line += __atomic_load_n(&irq.level, __ATOMIC_SEQ_CST) !=
			    (int)(i & 1);
	}
	pthread_join(th, NULL);
	CHECK_EQ(bad_status, 0);
	CHECK_EQ(bad_line, 0);
	teardown();
}

/* The MSI-X table through BAR 0, at guest-physical addresses. */
static uint64_t table_addr(unsigned int v, unsigned int word)
{
	return MMIO32_BASE + TABLE_OFF + v * 16 + word;
}

static bool fired(unsigned int v)
{
	uint64_t n;

	return read(td->msix.fds[v], &n, sizeof(n)) == sizeof(n) && n;
}

static uint64_t pba(void)
{
	return mmio_read(MMIO32_BASE + PBA_OFF, 8);
}

static void test_msix(void)
{
	unsigned int ctrl;

	setup();
	ctrl = td->msix.cap + 2;
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	/* Power-on: every vector masked, nothing pending, MSI-X off. */
	for (unsigned int v = 0; v < NVEC; v++) {
		CHECK_EQ(mmio_read(table_addr(v, MSIX_TABLE_CTRL), 4), 1);
		CHECK_EQ(mmio_read(table_addr(v, 0), 8), 0);
	}
	CHECK_EQ(pba(), 0);
	CHECK_EQ(ecam_read(0, DEVFN, ctrl, 2), NVEC - 1);
	/* Entries take dword and qword writes; reserved bits read 0. */
	mmio_write(table_addr(1, 0), 8, 0x00000000fee00000ull);
	mmio_write(table_addr(1, 8), 4, 0x4041);
	mmio_write(table_addr(1, MSIX_TABLE_CTRL), 4, 0xfffffffe);
	CHECK_EQ(mmio_read(table_addr(1, 0), 4), 0xfee00000);
	CHECK_EQ(mmio_read(table_addr(1, 8), 8), 0x4041);
	CHECK_EQ(mmio_read(table_addr(1, MSIX_TABLE_CTRL), 4), 0);
	/* Misaligned, short or out of the table: ignored, all ones. */
	mmio_write(table_addr(1, 2), 4, 0x12345678);
	mmio_write(table_addr(1, 8), 2, 0x1234);
	CHECK_EQ(mmio_read(table_addr(1, 0), 4), 0xfee00000);
	CHECK_EQ(mmio_read(table_addr(1, 8), 4), 0x4041);
	CHECK_EQ(mmio_read(table_addr(1, 2), 4), 0xffffffff);
	CHECK_EQ(mmio_read(table_addr(1, 12), 8), 0xffffffffffffffffull);
	CHECK_EQ(mmio_read(table_addr(NVEC, 0), 4), 0xffffffff);

	/* Enabled, function masked: a vector that fires is pending. */
	ecam_write(DEVFN, ctrl, 2,
		   PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
	CHECK_EQ(ecam_read(0, DEVFN, ctrl, 2),
		 PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL | (NVEC - 1));
	CHECK(msix_enabled(&td->msix));
	msix_notify(&td->msix, 1);
	CHECK(!fired(1));
	CHECK_EQ(pba(), 1 << 1);
	/* Function unmasked: it is delivered, the PBA bit clears. */
	ecam_write(DEVFN, ctrl, 2, PCI_MSIX_CTRL_ENABLE);
	CHECK(fired(1));
	CHECK_EQ(pba(), 0);
	msix_notify(&td->msix, 1);
	CHECK(fired(1));
	/* A masked vector: pending until the guest unmasks it. */
	msix_notify(&td->msix, 2);
	msix_notify(&td->msix, 2);
	CHECK(!fired(2));
	CHECK_EQ(mmio_read(MMIO32_BASE + PBA_OFF, 1), 1 << 2);
	mmio_write(MMIO32_BASE + PBA_OFF, 8, 0); /* read-only */
	CHECK_EQ(pba(), 1 << 2);
	mmio_write(table_addr(2, 0), 8, 0x00000000fee01000ull);
	mmio_write(table_addr(2, MSIX_TABLE_CTRL), 4, 0);
	CHECK(fired(2));
	CHECK(!fired(2)); /* once */
	CHECK_EQ(pba(), 0);
	/* Masked again while nothing is pending: nothing fires. */
	mmio_write(table_addr(2, MSIX_TABLE_CTRL), 4, 1);
	CHECK(!fired(2));
	msix_notify(&td->msix, NVEC); /* no such vector */
	msix_notify(&td->msix, 0xffff);
	CHECK_EQ(pba(), 0);
	/* Reads of the PBA past its end: zeroes. */
	CHECK_EQ(mmio_read(MMIO32_BASE + PBA_OFF + 0x100, 4), 0);

	/* Reset: MSI-X off and unmasked, vectors masked, nothing pending. */
	msix_notify(&td->msix, 3);
	CHECK_EQ(pba(), 1 << 3);
	msix_reset(&td->msix);
	pci_dev_reset_config(&td->pci);
	CHECK_EQ(ecam_read(0, DEVFN, ctrl, 2), NVEC - 1);
	CHECK(!msix_enabled(&td->msix));
	ecam_write(DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(pba(), 0);
	CHECK_EQ(mmio_read(table_addr(1, MSIX_TABLE_CTRL), 4), 1);
	CHECK_EQ(mmio_read(table_addr(1, 0), 4), 0);
	teardown();
}

TEST_MAIN(TEST(test_config_cf8_ecam), TEST(test_bar_sizing),
	  TEST(test_command_gating), TEST(test_bar_remap),
	  TEST(test_bar_no_bus_lock), TEST(test_bar_remap_race),
	  TEST(test_intx), TEST(test_intx_race), TEST(test_msix))
