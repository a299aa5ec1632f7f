// SPDX-License-Identifier: MIT
/*
 * The virtio 1.2 PCI transport as a driver sees it, with no KVM: a
 * minimal device (two queues, eight bytes of device configuration) on a
 * PCI bus of its own, driven through the bus's real config and MMIO
 * access functions. The capabilities are found by walking the list, as a
 * driver does. Covered: common configuration (feature masking,
 * FEATURES_OK and DRIVER_OK rules, queue registers), notifications and
 * the ISR with INTx, the device configuration, the PCI configuration
 * access window, resets, and that a vCPU's register access never waits
 * for the device's work.
 *
 * The VM is virtio_pci_harness.c's (shared with fuzz_virtio_pci): its
 * vm_pci_bus() and friends stand in for vm.c, and the hypervisor calls
 * are no-ops (no ioeventfds: notification writes reach the BAR handler,
 * as under a VM without them).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "base/console.h"
#include "core/config.h"
#include "core/device.h"
#include "core/vm.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "virtio/virtio_pci.h"

#include "check.h"
#include "virtio_pci_harness.h"

#define MMIO32_BASE 0xc0000000ull
#define MMIO32_END 0xfc000000ull
#define DEVFN (4 << 3)
#define CON_DEVFN (5 << 3)
#define RAM_SIZE 0x400000
#define QSIZE 16
#define NQUEUES 2
#define DEV_FEATURES ((1ull << 0) | (1ull << 5))

#define STATUS_ACK 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 64

/* Common configuration offsets (virtio 1.2, 4.1.4.3). */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_NUMQ 0x12
#define C_STATUS 0x14
#define C_GEN 0x15
#define C_QSELECT 0x16
#define C_QSIZE 0x18
#define C_QENABLE 0x1c
#define C_QDESC 0x20
#define C_QDRIVER 0x28
#define C_QDEVICE 0x30

/* Rings and a buffer in guest RAM. */
#define DESC_GPA 0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA 0x3000
#define BUF_GPA 0x4000

/* ---- the VM around the device: vm.c's and the hypervisor's part ---- */

static unsigned int cur_devfn = DEVFN; /* the function the driver talks to */

/* The rest (the bus, INTx, ...) is virtio_pci_harness.c's. */
unsigned int vm_alloc_msi_gsis(struct vm *vm, unsigned int count)
{
	unsigned int base = HV_MSI_GSI_BASE + vm->next_msi_gsi;

	vm->next_msi_gsi += count;
	return base;
}

/* ---- the device ---- */

struct tdev {
	struct virtio_pci *vp; /* first, as virtio_device_state wants */
	struct virtio_device_ops ops;
	uint8_t config[8];
	struct vq_chain chain;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool block; /* queue_notify waits for release */
	bool entered; /* it is waiting */
	unsigned int notifies, resets;
};

static void tdev_notify(void *dev, struct virtio_pci *vp, unsigned int q)
{
	struct tdev *t = dev;
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old = vq_used_idx(vq);
	int ret;

	pthread_mutex_lock(&t->lock);
	t->notifies++;
	if (t->block) {
		t->entered = true;
		pthread_cond_broadcast(&t->cond);
		/* A backend that takes its time (a slow client, a disk). */
		while (t->block)
			pthread_cond_wait(&t->cond, &t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	while ((ret = vq_pop(vq, &t->chain)) > 0) {
		static const uint8_t reply[4] = { 0xde, 0xad, 0xbe, 0xef };

		vq_push(vq, t->chain.head,
			vq_chain_write(&t->chain, reply, sizeof(reply)));
	}
	if (ret < 0)
		virtio_pci_fail(vp, vq_error_str(ret));
	virtio_pci_queue_interrupt(vp, q, old);
}

static void tdev_reset(void *dev)
{
	struct tdev *t = dev;

	pthread_mutex_lock(&t->lock);
	t->resets++;
	pthread_mutex_unlock(&t->lock);
}

static unsigned int tdev_get(struct tdev *t, unsigned int *field)
{
	unsigned int v;

	pthread_mutex_lock(&t->lock);
	v = *field;
	pthread_mutex_unlock(&t->lock);
	return v;
}

/* ---- the driver's side ---- */

struct vpt {
	struct vm *vm;
	struct tdev *t;
	uint64_t bar0;
	unsigned int common, notify, isr, device; /* BAR offsets */
	unsigned int notify_mult;
	unsigned int cfg_cap; /* the PCI_CFG capability in config space */
};

static uint32_t cfg_read(unsigned int reg, unsigned int size)
{
	uint8_t d[4] = { 0 };

	pci_bus_config_access(&harness_bus, 0, cur_devfn, reg, d, size, false);
	return le_read(d, size);
}

static void cfg_write(unsigned int reg, unsigned int size, uint32_t v)
{
	uint8_t d[4];

	le_write(d, size, v);
	pci_bus_config_access(&harness_bus, 0, cur_devfn, reg, d, size, true);
}

static uint64_t bar_read(struct vpt *p, uint64_t off, unsigned int size)
{
	uint8_t d[8] = { 0 };

	pci_bus_mmio_access(&harness_bus, p->bar0 + off - MMIO32_BASE, d, size,
			    false);
	return le_read(d, size);
}

static void bar_write(struct vpt *p, uint64_t off, unsigned int size,
		      uint64_t v)
{
	uint8_t d[8];

	le_write(d, size, v);
	pci_bus_mmio_access(&harness_bus, p->bar0 + off - MMIO32_BASE, d, size,
			    true);
}

static uint64_t common_read(struct vpt *p, unsigned int off, unsigned int size)
{
	return bar_read(p, p->common + off, size);
}

static void common_write(struct vpt *p, unsigned int off, unsigned int size,
			 uint64_t v)
{
	bar_write(p, p->common + off, size, v);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Polls status until it reads 0 (the reset is done): false after 10 s. */
static bool wait_reset(struct vpt *p)
{
	for (int i = 0; i < 10000; i++) {
		if (common_read(p, C_STATUS, 1) == 0)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void *guest_ram_at(struct vpt *p, uint64_t gpa, uint64_t len)
{
	return guest_ram_ptr(&p->vm->ram, gpa, len);
}

/* A bus and a VM with RAM, no device yet. */
static struct vpt *setup_vm(void)
{
	struct vpt *p = calloc(1, sizeof(*p));

	memset(&harness_bus, 0, sizeof(harness_bus));
	pci_bus_init(&harness_bus, MMIO32_BASE, MMIO32_END, 16, 8);
	p->vm = calloc(1, sizeof(*p->vm));
	if (guest_ram_alloc(&p->vm->ram, RAM_SIZE) < 0 ||
	    guest_ram_add_region(&p->vm->ram, 0, RAM_SIZE) < 0)
		abort();
	return p;
}

/* The function at devfn: its BAR and capabilities, decoding on. */
static void discover(struct vpt *p, unsigned int devfn)
{
	unsigned int cap;

	cur_devfn = devfn;
	CHECK_EQ(cfg_read(PCI_VENDOR_ID, 2), 0x1af4);
	p->bar0 = cfg_read(PCI_BAR0, 4) & ~0xfull;
	p->bar0 |= (uint64_t)cfg_read(PCI_BAR0 + 4, 4) << 32;
	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	/* The vendor capabilities, as a driver finds them. */
	for (cap = cfg_read(PCI_CAPABILITY_LIST, 1); cap;
	     cap = cfg_read(cap + 1, 1)) {
		unsigned int type = cfg_read(cap + 3, 1);
		unsigned int off = cfg_read(cap + 8, 4);

		if (cfg_read(cap, 1) != 0x09)
			continue;
		CHECK_EQ(cfg_read(cap + 4, 1), 0); /* all in BAR 0 */
		if (type == 1)
			p->common = off;
		else if (type == 2) {
			p->notify = off;
			p->notify_mult = cfg_read(cap + 16, 4);
		} else if (type == 3)
			p->isr = off;
		else if (type == 4)
			p->device = off;
		else if (type == 5)
			p->cfg_cap = cap;
	}
	CHECK(p->notify && p->isr && p->device && p->cfg_cap);
}

static struct vpt *setup(void)
{
	struct vpt *p = setup_vm();
	struct tdev *t = calloc(1, sizeof(*t));

	p->t = t;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	for (unsigned int i = 0; i < sizeof(t->config); i++)
		t->config[i] = 0x10 + i;
	t->ops = (struct virtio_device_ops){
		.device_id = 0x3f,
		.pci_class = 0x00ff0000,
		.num_queues = NQUEUES,
		.queue_size = QSIZE,
		.features = DEV_FEATURES,
		.config = t->config,
		.config_size = sizeof(t->config),
		.queue_notify = tdev_notify,
		.reset = tdev_reset,
	};
	t->vp = virtio_pci_create(p->vm, "virtio-test", DEVFN, &t->ops, t);
	if (!t->vp)
		abort();
	discover(p, DEVFN);
	CHECK_EQ(cfg_read(PCI_DEVICE_ID, 2), 0x1040 + 0x3f);
	return p;
}

static void teardown(struct vpt *p)
{
	virtio_pci_destroy(p->t->vp);
	guest_ram_free(&p->vm->ram);
	pthread_mutex_destroy(&p->t->lock);
	pthread_cond_destroy(&p->t->cond);
	free(p->t);
	free(p->vm);
	free(p);
}

static void write_features(struct vpt *p, uint64_t f)
{
	common_write(p, C_GFSELECT, 4, 0);
	common_write(p, C_GF, 4, (uint32_t)f);
	common_write(p, C_GFSELECT, 4, 1);
	common_write(p, C_GF, 4, f >> 32);
}

static uint64_t read_driver_features(struct vpt *p)
{
	uint64_t f;

	common_write(p, C_GFSELECT, 4, 0);
	f = common_read(p, C_GF, 4);
	common_write(p, C_GFSELECT, 4, 1);
	return f | common_read(p, C_GF, 4) << 32;
}

static uint64_t read_device_features(struct vpt *p)
{
	uint64_t f;

	common_write(p, C_DFSELECT, 4, 0);
	f = common_read(p, C_DF, 4);
	common_write(p, C_DFSELECT, 4, 1);
	return f | common_read(p, C_DF, 4) << 32;
}

/* Queue q set up and enabled with the rings at the fixed addresses. */
static void setup_queue(struct vpt *p, unsigned int q)
{
	uint64_t off = q * 0x10000ull;

	common_write(p, C_QSELECT, 2, q);
	common_write(p, C_QSIZE, 2, QSIZE);
	/* 64-bit fields as two 32-bit halves, as Linux writes them. */
	common_write(p, C_QDESC, 4, DESC_GPA + off);
	common_write(p, C_QDESC + 4, 4, 0);
	common_write(p, C_QDRIVER, 4, AVAIL_GPA + off);
	common_write(p, C_QDRIVER + 4, 4, 0);
	common_write(p, C_QDEVICE, 4, USED_GPA + off);
	common_write(p, C_QDEVICE + 4, 4, 0);
	common_write(p, C_QENABLE, 2, 1);
}

/* ACK, DRIVER, VERSION_1, FEATURES_OK, queue 0, DRIVER_OK. */
static void driver_up(struct vpt *p)
{
	common_write(p, C_STATUS, 1, STATUS_ACK);
	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	write_features(p, 1ull << VIRTIO_F_VERSION_1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	CHECK(common_read(p, C_STATUS, 1) & STATUS_FEATURES_OK);
	setup_queue(p, 0);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK |
			     STATUS_DRIVER_OK);
	CHECK_EQ(common_read(p, C_STATUS, 1), STATUS_ACK | STATUS_DRIVER |
						      STATUS_FEATURES_OK |
						      STATUS_DRIVER_OK);
}

/* Makes buffer n (16 writable bytes) available on queue 0. */
static void post_buffer(struct vpt *p, uint16_t n)
{
	uint8_t *desc = guest_ram_at(p, DESC_GPA + 16 * (n % QSIZE), 16);
	uint8_t *avail = guest_ram_at(p, AVAIL_GPA, 4 + 2 * QSIZE);

	le_write(desc, 8, BUF_GPA + 16 * (n % QSIZE));
	le_write(desc + 8, 4, 16);
	le_write(desc + 12, 2, 2); /* VIRTQ_DESC_F_WRITE */
	le_write(desc + 14, 2, 0);
	le_write(avail + 4 + 2 * (n % QSIZE), 2, n % QSIZE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	le_write(avail + 2, 2, n + 1);
}

static uint16_t used_idx(struct vpt *p)
{
	uint8_t *used = guest_ram_at(p, USED_GPA, 4);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return le_read(used + 2, 2);
}

static bool wait_used(struct vpt *p, uint16_t idx)
{
	for (int i = 0; i < 10000; i++) {
		if (used_idx(p) == idx)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void kick(struct vpt *p, unsigned int q)
{
	bar_write(p, p->notify + q * p->notify_mult, 2, q);
}

/* ---- tests ---- */

static void test_common_config(void)
{
	struct vpt *p = setup();
	uint64_t f = read_device_features(p);

	CHECK_EQ(common_read(p, C_NUMQ, 2), NQUEUES);
	CHECK_EQ(common_read(p, C_STATUS, 1), 0);
	CHECK(f & (1ull << VIRTIO_F_VERSION_1));
	CHECK_EQ(f & DEV_FEATURES, DEV_FEATURES);
	common_write(p, C_DFSELECT, 4, 7);
	CHECK_EQ(common_read(p, C_DF, 4), 0);
	common_write(p, C_QSELECT, 2, 1);
	CHECK_EQ(common_read(p, C_QSIZE, 2), QSIZE);
	/* A power of two, up to the maximum. */
	common_write(p, C_QSIZE, 2, 3);
	CHECK_EQ(common_read(p, C_QSIZE, 2), QSIZE);
	common_write(p, C_QSIZE, 2, 8);
	CHECK_EQ(common_read(p, C_QSIZE, 2), 8);
	/* 64-bit fields read back whole and by halves. */
	common_write(p, C_QDESC, 4, 0x12345000);
	common_write(p, C_QDESC + 4, 4, 0x9);
	CHECK_EQ(common_read(p, C_QDESC, 8), 0x912345000ull);
	CHECK_EQ(common_read(p, C_QDESC + 4, 4), 0x9);
	common_write(p, C_QDEVICE, 8, 0xabcdef000ull);
	CHECK_EQ(common_read(p, C_QDEVICE, 4), 0xbcdef000);
	CHECK_EQ(common_read(p, C_QDEVICE + 4, 4), 0xa);
	/* A queue that does not exist: reads 0, writes go nowhere. */
	common_write(p, C_QSELECT, 2, 40);
	CHECK_EQ(common_read(p, C_QSIZE, 2), 0);
	common_write(p, C_QDESC, 4, 0x5000);
	common_write(p, C_QDRIVER + 4, 4, 1);
	common_write(p, C_QDEVICE, 8, 0x6000);
	common_write(p, C_QENABLE, 2, 1);
	CHECK_EQ(common_read(p, C_QDESC, 8), 0);
	CHECK_EQ(common_read(p, C_QENABLE, 2), 0);
	/* The device configuration, read-only. */
	CHECK_EQ(bar_read(p, p->device, 4), 0x13121110);
	CHECK_EQ(bar_read(p, p->device + 6, 2), 0x1716);
	bar_write(p, p->device, 4, 0);
	CHECK_EQ(bar_read(p, p->device, 1), 0x10);
	/* Beyond it: 0. */
	CHECK_EQ(bar_read(p, p->device + 8, 4), 0);
	teardown(p);
}

/* Fails before the fix: the driver's features were kept as written. */
static void test_features_masked(void)
{
	struct vpt *p = setup();
	uint64_t offered = read_device_features(p);

	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	write_features(p, ~0ull);
	CHECK_EQ(read_driver_features(p), offered);
	/* All of what was offered is acceptable. */
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	CHECK(common_read(p, C_STATUS, 1) & STATUS_FEATURES_OK);
	CHECK_EQ(virtio_pci_features(p->t->vp), offered);
	teardown(p);
}

static void test_features_ok(void)
{
	struct vpt *p = setup();

	/* Without VERSION_1 (a legacy driver): FEATURES_OK does not stick. */
	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	write_features(p, 1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	CHECK_EQ(common_read(p, C_STATUS, 1), STATUS_ACK | STATUS_DRIVER);
	/* With it: accepted, and the features freeze. */
	write_features(p, 1 | 1ull << VIRTIO_F_VERSION_1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	CHECK_EQ(common_read(p, C_STATUS, 1),
		 STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	write_features(p, 1ull << 5 | 1ull << VIRTIO_F_VERSION_1);
	CHECK_EQ(read_driver_features(p), 1 | 1ull << VIRTIO_F_VERSION_1);
	/* Status bits are not cleared but by a reset. */
	common_write(p, C_STATUS, 1, STATUS_ACK);
	CHECK_EQ(common_read(p, C_STATUS, 1),
		 STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	/* A reset forgets them. */
	common_write(p, C_STATUS, 1, 0);
	CHECK(wait_reset(p));
	CHECK_EQ(read_driver_features(p), 0);
	teardown(p);
}

/*
 * Fails before the fix: DRIVER_OK was taken without FEATURES_OK. The
 * device refuses it and asks for a reset.
 */
static void test_driver_ok_needs_features_ok(void)
{
	struct vpt *p = setup();
	uint8_t gen = common_read(p, C_GEN, 1);

	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	write_features(p, 1ull << VIRTIO_F_VERSION_1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_DRIVER_OK);
	CHECK_EQ(common_read(p, C_STATUS, 1) & STATUS_DRIVER_OK, 0);
	CHECK(common_read(p, C_STATUS, 1) & STATUS_NEEDS_RESET);
	CHECK(common_read(p, C_GEN, 1) != gen);
	CHECK(!virtio_pci_driver_ok(p->t->vp));
	CHECK_STR(virtio_pci_state(p->t->vp), "needs-reset");
	/* The config-change interrupt, on INTx (MSI-X is off). */
	CHECK_EQ(bar_read(p, p->isr, 1), 2);
	/* A reset clears it, and the device works again. */
	common_write(p, C_STATUS, 1, 0);
	CHECK(wait_reset(p));
	CHECK_STR(virtio_pci_state(p->t->vp), "reset");
	driver_up(p);
	CHECK_STR(virtio_pci_state(p->t->vp), "driver-ok");
	teardown(p);
}

static void test_notify_isr_intx(void)
{
	struct vpt *p = setup();
	uint8_t *buf;

	driver_up(p);
	CHECK_EQ(__atomic_load_n(&harness_intx_level, __ATOMIC_SEQ_CST), 0);
	post_buffer(p, 0);
	kick(p, 0);
	CHECK(wait_used(p, 1));
	buf = guest_ram_at(p, BUF_GPA, 4);
	CHECK_EQ(le_read(buf, 4), 0xefbeadde);
	/* The used-buffer interrupt: ISR bit 0 and INTx, until read. */
	for (int i = 0; i < 10000 &&
			!__atomic_load_n(&harness_intx_level, __ATOMIC_SEQ_CST);
	     i++)
		sleep_ms(1);
	CHECK_EQ(__atomic_load_n(&harness_intx_level, __ATOMIC_SEQ_CST), 1);
	CHECK(cfg_read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	CHECK_EQ(bar_read(p, p->isr, 1), 1);
	CHECK_EQ(__atomic_load_n(&harness_intx_level, __ATOMIC_SEQ_CST), 0);
	CHECK_EQ(bar_read(p, p->isr, 1), 0);
	/* Notification slots of missing queues, and reads: nothing. */
	kick(p, 7);
	CHECK_EQ(bar_read(p, p->notify, 4), 0);
	/* Buffers posted before DRIVER_OK are seen at DRIVER_OK. */
	common_write(p, C_STATUS, 1, 0);
	CHECK(wait_reset(p));
	memset(guest_ram_at(p, 0, 0x10000), 0, 0x10000);
	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	write_features(p, 1ull << VIRTIO_F_VERSION_1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	setup_queue(p, 0);
	post_buffer(p, 0);
	kick(p, 0);
	sleep_ms(20);
	CHECK_EQ(used_idx(p), 0); /* not before DRIVER_OK */
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK |
			     STATUS_DRIVER_OK);
	CHECK(wait_used(p, 1));
	teardown(p);
}

/* A ring outside RAM: the device fails, the VMM goes on. */
static void test_bad_ring_contained(void)
{
	struct vpt *p = setup();

	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	write_features(p, 1ull << VIRTIO_F_VERSION_1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	common_write(p, C_QSELECT, 2, 0);
	common_write(p, C_QDESC, 8, RAM_SIZE * 4);
	common_write(p, C_QDRIVER, 8, AVAIL_GPA);
	common_write(p, C_QDEVICE, 8, USED_GPA);
	common_write(p, C_QENABLE, 2, 1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK |
			     STATUS_DRIVER_OK);
	for (int i = 0;
	     i < 10000 && !(common_read(p, C_STATUS, 1) & STATUS_NEEDS_RESET);
	     i++)
		sleep_ms(1);
	CHECK(common_read(p, C_STATUS, 1) & STATUS_NEEDS_RESET);
	common_write(p, C_STATUS, 1, 0);
	CHECK(wait_reset(p));
	driver_up(p);
	post_buffer(p, 0);
	kick(p, 0);
	CHECK(wait_used(p, 1));
	teardown(p);
}

/* A driver that does not wait for status 0 (OVMF) still gets a reset. */
static void test_reset_not_waited_for(void)
{
	struct vpt *p = setup();
	unsigned int resets;

	driver_up(p);
	resets = tdev_get(p->t, &p->t->resets);
	common_write(p, C_STATUS, 1, 0);
	common_write(p, C_STATUS, 1, STATUS_ACK);
	CHECK_EQ(common_read(p, C_STATUS, 1), STATUS_ACK);
	CHECK_EQ(tdev_get(p->t, &p->t->resets), resets + 1);
	common_write(p, C_QSELECT, 2, 0);
	CHECK_EQ(common_read(p, C_QENABLE, 2), 0);
	teardown(p);
}

/*
 * The PCI configuration access window (virtio 1.2, 4.1.4.9). Fails before
 * the fix: its data was never read from the BAR.
 */
static void test_pci_cfg_window(void)
{
	struct vpt *p = setup();
	unsigned int cap = p->cfg_cap;

	/* num_queues, 2 bytes. */
	cfg_write(cap + 4, 1, 0);
	cfg_write(cap + 8, 4, p->common + C_NUMQ);
	cfg_write(cap + 12, 4, 2);
	CHECK_EQ(cfg_read(cap + 16, 2), NQUEUES);
	/* Device features, 4 bytes, select 1: VERSION_1 is bit 0. */
	common_write(p, C_DFSELECT, 4, 1);
	cfg_write(cap + 8, 4, p->common + C_DF);
	cfg_write(cap + 12, 4, 4);
	CHECK_EQ(cfg_read(cap + 16, 4), 1);
	/* The device configuration, 1 byte. */
	cfg_write(cap + 8, 4, p->device + 3);
	cfg_write(cap + 12, 4, 1);
	CHECK_EQ(cfg_read(cap + 16, 1), 0x13);
	/* A write through it: queue_select. */
	cfg_write(cap + 8, 4, p->common + C_QSELECT);
	cfg_write(cap + 12, 4, 2);
	cfg_write(cap + 16, 2, 1);
	CHECK_EQ(common_read(p, C_QSELECT, 2), 1);
	CHECK_EQ(cfg_read(cap + 16, 2), 1);
	/* Status through it, as a driver with no BAR access does. */
	cfg_write(cap + 8, 4, p->common + C_STATUS);
	cfg_write(cap + 12, 4, 1);
	cfg_write(cap + 16, 1, STATUS_ACK);
	CHECK_EQ(common_read(p, C_STATUS, 1), STATUS_ACK);
	cfg_write(cap + 12, 4, 1);
	CHECK_EQ(cfg_read(cap + 16, 1), STATUS_ACK);
	/* A read is an access of its own: no stale data from set-up time. */
	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	CHECK_EQ(cfg_read(cap + 16, 1), STATUS_ACK | STATUS_DRIVER);
	/* Out of the BAR (a 32-bit sum would wrap), misaligned, bad length
	 * or BAR: no access, data 0. */
	cfg_write(cap + 8, 4, 0xfffffffc);
	cfg_write(cap + 12, 4, 4);
	CHECK_EQ(cfg_read(cap + 16, 4), 0);
	cfg_write(cap + 16, 4, 0x12345678);
	cfg_write(cap + 8, 4, p->common + C_NUMQ);
	cfg_write(cap + 12, 4, 3);
	CHECK_EQ(cfg_read(cap + 16, 4), 0);
	cfg_write(cap + 8, 4, p->common + C_NUMQ + 1);
	cfg_write(cap + 12, 4, 2);
	CHECK_EQ(cfg_read(cap + 16, 4), 0);
	cfg_write(cap + 12, 4, 2);
	cfg_write(cap + 4, 1, 2);
	cfg_write(cap + 8, 4, p->common + C_NUMQ);
	CHECK_EQ(cfg_read(cap + 16, 2), 0);
	CHECK_EQ(common_read(p, C_STATUS, 1), STATUS_ACK | STATUS_DRIVER);
	teardown(p);
}

struct reader {
	struct vpt *p;
	bool done; /* under t->lock */
	uint64_t isr, status, numq, features;
};

/* A vCPU's register accesses while the device is busy. */
static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	struct tdev *t = r->p->t;

	r->isr = bar_read(r->p, r->p->isr, 1);
	r->status = common_read(r->p, C_STATUS, 1);
	r->numq = common_read(r->p, C_NUMQ, 2);
	r->features = read_device_features(r->p);
	/* A reset, too, is only asked for. */
	common_write(r->p, C_STATUS, 1, 0);
	pthread_mutex_lock(&t->lock);
	r->done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/*
 * Fails (the reader times out) before the fix: register accesses waited
 * for the transport lock, which the device's thread held while it worked.
 */
static void test_busy_device_does_not_block_registers(void)
{
	struct vpt *p = setup();
	struct tdev *t = p->t;
	struct reader r = { .p = p };
	struct timespec until;
	pthread_t th;
	unsigned int resets;
	bool entered = true;

	driver_up(p);
	resets = tdev_get(t, &t->resets);
	pthread_mutex_lock(&t->lock);
	t->block = true;
	pthread_mutex_unlock(&t->lock);
	post_buffer(p, 0);
	kick(p, 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&t->lock);
	while (!t->entered && entered)
		entered = pthread_cond_timedwait(&t->cond, &t->lock, &until) !=
			  ETIMEDOUT;
	pthread_mutex_unlock(&t->lock);
	CHECK(t->entered);
	/* The device is stuck in its backend: the registers still answer. */
	pthread_create(&th, NULL, reader_thread, &r);
	pthread_mutex_lock(&t->lock);
	while (!r.done) {
		if (pthread_cond_timedwait(&t->cond, &t->lock, &until) ==
		    ETIMEDOUT)
			break;
	}
	CHECK(r.done);
	pthread_mutex_unlock(&t->lock);
	CHECK_EQ(r.numq, NQUEUES);
	CHECK(r.features & (1ull << VIRTIO_F_VERSION_1));
	CHECK_EQ(r.status, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK |
				   STATUS_DRIVER_OK);
	if (r.done) {
		/* The reset waits for the device: status is not 0 yet. */
		CHECK(common_read(p, C_STATUS, 1) != 0);
		CHECK_EQ(tdev_get(t, &t->resets), resets);
	}
	pthread_mutex_lock(&t->lock);
	t->block = false;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(th, NULL);
	CHECK(wait_reset(p));
	CHECK_EQ(tdev_get(t, &t->resets), resets + 1);
	/* The old generation's work was not signalled after the reset. */
	CHECK_EQ(bar_read(p, p->isr, 1), 0);
	memset(guest_ram_at(p, 0, 0x10000), 0, 0x10000);
	driver_up(p);
	post_buffer(p, 0);
	kick(p, 0);
	CHECK(wait_used(p, 1));
	teardown(p);
}

/* Queue q's rings: at q * 0x10000 from the fixed addresses. */
static void qpost(struct vpt *p, unsigned int q, uint16_t n, uint64_t gpa,
		  uint32_t len, bool writable)
{
	uint64_t off = q * 0x10000ull;
	uint8_t *desc = guest_ram_at(p, DESC_GPA + off + 16 * (n % QSIZE), 16);
	uint8_t *avail = guest_ram_at(p, AVAIL_GPA + off, 4 + 2 * QSIZE);

	le_write(desc, 8, gpa);
	le_write(desc + 8, 4, len);
	le_write(desc + 12, 2, writable ? 2 : 0);
	le_write(desc + 14, 2, 0);
	le_write(avail + 4 + 2 * (n % QSIZE), 2, n % QSIZE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	le_write(avail + 2, 2, n + 1);
	kick(p, q);
}

static bool qwait_used(struct vpt *p, unsigned int q, uint16_t idx)
{
	uint8_t *used = guest_ram_at(p, USED_GPA + q * 0x10000ull, 4);

	for (int i = 0; i < 10000; i++) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (le_read(used + 2, 2) == idx)
			return true;
		sleep_ms(1);
	}
	return false;
}

extern const struct device_class virtio_console_class;

struct peek {
	struct vpt *p;
	uint64_t numq, isr;
	int done; /* atomic */
};

static void *peek_thread(void *arg)
{
	struct peek *k = arg;

	k->numq = common_read(k->p, C_NUMQ, 2);
	k->isr = bar_read(k->p, k->p->isr, 1);
	__atomic_store_n(&k->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

#define CON_OUT_GPA 0x200000
#define CON_OUT_LEN 0x100000 /* more than a Unix socket buffers */

/*
 * A console client that stops reading for longer than the old send
 * timeout (5 s): the registers answer meanwhile, and the client keeps
 * its connection and gets every byte once it reads again. Fails before
 * the fix: the device's thread blocked in the send for 5 s holding the
 * transport's lock, so a register read waited for it.
 */
static void test_console_slow_client(void)
{
	struct vpt *p = setup_vm();
	char dir[] = "/tmp/scorpi-vcon-XXXXXX", path[64], opt[80];
	struct dev_config dc = { .slot = CON_DEVFN >> 3 };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint8_t *out = guest_ram_at(p, CON_OUT_GPA, CON_OUT_LEN);
	uint8_t *msg = guest_ram_at(p, BUF_GPA, 8), *got;
	size_t have = 0;
	void *con;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/p1", dir);
	snprintf(opt, sizeof(opt), "p1:%s", path);
	dc.opts[0].key = "port";
	dc.opts[0].value = opt;
	dc.nopts = 1;
	con = virtio_console_class.create(p->vm, &dc);
	CHECK(con != NULL);
	if (!con)
		return;
	discover(p, CON_DEVFN);
	/* Queues: 3 control out, 4 and 5 port 1's in and out. */
	common_write(p, C_STATUS, 1, STATUS_ACK | STATUS_DRIVER);
	write_features(p, 1ull << VIRTIO_F_VERSION_1 | 1ull << 1);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	setup_queue(p, 3);
	setup_queue(p, 4);
	setup_queue(p, 5);
	common_write(p, C_STATUS, 1,
		     STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK |
			     STATUS_DRIVER_OK);
	/* PORT_READY for port 1. */
	le_write(msg, 4, 1);
	le_write(msg + 4, 2, 3);
	le_write(msg + 6, 2, 1);
	qpost(p, 3, 0, BUF_GPA, 8, false);
	CHECK(qwait_used(p, 3, 1));
	/* A client, seen once its first byte reaches the guest. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(a.sun_path, path);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	qpost(p, 4, 0, BUF_GPA + 0x100, 64, true);
	CHECK(send(fd, "x", 1, 0) == 1);
	CHECK(qwait_used(p, 4, 1));
	/* The guest writes more than the socket holds; the client waits. */
	for (size_t i = 0; i < CON_OUT_LEN; i++)
		out[i] = (uint8_t)(i * 7 + i / 251);
	qpost(p, 5, 0, CON_OUT_GPA, CON_OUT_LEN, false);
	{
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct peek k = { .p = p };
		pthread_t th;
		int i;

		/* The device is sending: the socket has data. */
		CHECK(poll(&pfd, 1, 10000) == 1);
		pthread_create(&th, NULL, peek_thread, &k);
		/* A register read takes no time: far less than 4 s. */
		for (i = 0;
		     i < 4000 && !__atomic_load_n(&k.done, __ATOMIC_SEQ_CST);
		     i++)
			sleep_ms(1);
		CHECK(__atomic_load_n(&k.done, __ATOMIC_SEQ_CST));
		/* Past the old 5 s send timeout, not reading. */
		sleep_ms(6000 - i);
		pthread_join(th, NULL);
		CHECK_EQ(k.numq, 6);
		CHECK_EQ(k.isr & ~3u, 0);
	}
	/* The client reads again: all of it, in order, still connected. */
	got = malloc(CON_OUT_LEN);
	while (got && have < CON_OUT_LEN) {
		ssize_t n = recv(fd, got + have, CON_OUT_LEN - have, 0);

		if (n <= 0)
			break;
		have += n;
	}
	CHECK_EQ(have, CON_OUT_LEN);
	CHECK(got && memcmp(got, out, have) == 0);
	CHECK(qwait_used(p, 5, 1));
	free(got);
	close(fd);
	virtio_console_class.destroy(con);
	rmdir(dir);
	cur_devfn = DEVFN;
	guest_ram_free(&p->vm->ram);
	free(p->vm);
	free(p);
}

/* A connection to path, or -1 with errno. */
static int dial_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Whether the peer ends the connection (EOF) within ms. */
static bool ends_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pfd, 1, ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

#define CON_OTHER_UID 65534 /* nobody */

/*
 * In a child as CON_OTHER_UID: 0 when connecting to path is refused by
 * the file's mode (want_eacces), or else connects and is closed.
 */
static int con_other_user(const char *path, bool want_eacces)
{
	pid_t pid = fork();
	int st, fd;

	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(CON_OTHER_UID) < 0 ||
		    setuid(CON_OTHER_UID) < 0)
			_exit(10);
		fd = dial_unix(path);
		if (want_eacces)
			_exit(fd < 0 && errno == EACCES ? 0 : 11);
		_exit(fd >= 0 && ends_within(fd, 10000) ? 0 : 12);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * A port's socket is mode 0600 under umask 0, and serves only the
 * VMM's user and root: another uid's client, let past the mode by a
 * chmod, is closed at once while the port has no client (so not for
 * being the second), and a root client then is kept (a second one is
 * closed: one at a time).
 */
static void test_console_port_owner(void)
{
	struct vpt *p = setup_vm();
	char dir[] = "/tmp/scorpi-vown-XXXXXX", path[64], opt[80];
	struct dev_config dc = { .slot = CON_DEVFN >> 3 };
	struct stat st;
	mode_t old;
	void *con;
	int a, b;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(chmod(dir, 0711), 0);
	snprintf(path, sizeof(path), "%s/p1", dir);
	snprintf(opt, sizeof(opt), "p1:%s", path);
	dc.opts[0].key = "port";
	dc.opts[0].value = opt;
	dc.nopts = 1;
	old = umask(0);
	con = virtio_console_class.create(p->vm, &dc);
	umask(old);
	CHECK(con != NULL);
	if (!con)
		return;
	CHECK_EQ(lstat(path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	if (geteuid() == 0) {
		CHECK_EQ(con_other_user(path, true), 0);
		CHECK_EQ(chmod(path, 0666), 0);
		CHECK_EQ(con_other_user(path, false), 0);
	} else {
		printf("(not root: the other-uid checks are skipped)\n");
	}
	a = dial_unix(path);
	CHECK(a >= 0);
	b = dial_unix(path);
	CHECK(b >= 0);
	CHECK(ends_within(b, 10000));
	CHECK(!ends_within(a, 300));
	close(b);
	close(a);
	virtio_console_class.destroy(con);
	CHECK(access(path, F_OK) < 0);
	rmdir(dir);
	cur_devfn = DEVFN;
	guest_ram_free(&p->vm->ram);
	free(p->vm);
	free(p);
}

TEST_MAIN(TEST(test_common_config), TEST(test_features_masked),
	  TEST(test_features_ok), TEST(test_driver_ok_needs_features_ok),
	  TEST(test_notify_isr_intx), TEST(test_bad_ring_contained),
	  TEST(test_reset_not_waited_for), TEST(test_pci_cfg_window),
	  TEST(test_busy_device_does_not_block_registers),
	  TEST(test_console_slow_client), TEST(test_console_port_owner))
