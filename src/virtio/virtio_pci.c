// SPDX-License-Identifier: MIT
/*
 * The virtio 1.2 modern PCI transport (PCI IDs 0x1040 + device type, no
 * legacy I/O BAR). One 64-bit memory BAR holds the common configuration,
 * the ISR, the device configuration, the notification area (one 4-byte
 * slot per queue, each an ioeventfd) and the MSI-X table and PBA. Queue
 * work runs on the device's own I/O thread, never on a vCPU thread.
 *
 * Two locks. reg_lock guards the register state (status, features, the
 * queues' registers, the ISR): a vCPU holds it only for the access itself.
 * dev_lock (recursive, taken first) guards the device's side: the
 * virtqueues, the watches and the device's own state; the I/O thread holds
 * it while the device works. A vCPU never waits for dev_lock except to
 * finish a reset the driver did not wait for (see vp_write_status).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../base/log.h"
#include "../core/vm_device.h"
#include "../pci/msix.h"
#include "virtio_pci.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040

#define BAR_SIZE 0x8000
#define COMMON_OFF 0x0000
#define COMMON_LEN 0x3c
#define ISR_OFF 0x1000
#define DEVICE_OFF 0x2000
#define NOTIFY_OFF 0x3000
#define NOTIFY_MULT 4
#define MSIX_TABLE_OFF 0x4000
#define MSIX_PBA_OFF 0x6000

#define PCI_CAP_ID_VNDR 0x09
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3
#define VIRTIO_PCI_CAP_DEVICE 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 64
#define STATUS_FAILED 128

#define ISR_QUEUE 1
#define ISR_CONFIG 2

#define MAX_QUEUES 64
/* epoll ids: 0 .. MAX_QUEUES - 1 the queues' kicks, then these. */
#define EV_STOP MAX_QUEUES
#define EV_WAKE (MAX_QUEUES + 1)
#define EV_WATCH0 (MAX_QUEUES + 2)

struct vp_queue {
	/* The driver's registers, under reg_lock. */
	uint16_t size;
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, driver, device;
	uint64_t ioeventfd_addr; /* 0: not registered */
	/* The device's side, under dev_lock. */
	struct virtqueue vq;
	int kick_fd; /* the guest's notifications */
};

struct virtio_pci {
	pthread_mutex_t dev_lock; /* recursive; taken before reg_lock */
	pthread_mutex_t reg_lock;
	struct vm *vm;
	const char *name;
	const struct virtio_device_ops *ops;
	void *dev;
	struct pci_dev pci;
	struct msix msix;
	unsigned int pci_cfg_cap;

	/* Registers, under reg_lock. */
	uint32_t device_feature_select, driver_feature_select;
	uint64_t driver_features;
	uint16_t config_msix_vector;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint8_t isr;
	bool failed; /* stopped until the driver resets the device */
	/*
	 * Resets: every one bumps reset_gen; the device's side catches up
	 * (applied_gen, written under both locks). Until it has, status
	 * reads back as pending_status, never 0, so a driver that waits for
	 * 0 knows the device no longer touches its rings.
	 */
	unsigned int reset_gen, applied_gen;
	uint8_t pending_status;
	struct vp_queue queues[MAX_QUEUES];

	/* Under dev_lock. */
	struct {
		int fd;
		virtio_watch_fn fn;
		bool in; /* EPOLLIN wanted (not paused) */
		bool out; /* EPOLLOUT wanted */
		bool in_set; /* in the epoll set */
	} watches[VIRTIO_PCI_MAX_WATCHES];
	unsigned int nwatches;

	pthread_t thread;
	bool thread_started;
	int epfd;
	int stop_fd;
	int wake_fd; /* the registers ask the I/O thread for a reset */
};

static uint64_t vp_device_features(const struct virtio_pci *vp)
{
	return vp->ops->features | (1ull << VIRTIO_F_VERSION_1) |
	       (1ull << VIRTIO_F_RING_INDIRECT_DESC) |
	       (1ull << VIRTIO_F_RING_EVENT_IDX);
}

static bool vp_reset_pending(const struct virtio_pci *vp)
{
	return vp->reset_gen != vp->applied_gen;
}

uint64_t virtio_pci_features(struct virtio_pci *vp)
{
	uint64_t f;

	pthread_mutex_lock(&vp->reg_lock);
	f = vp->driver_features;
	pthread_mutex_unlock(&vp->reg_lock);
	return f;
}

struct virtqueue *virtio_pci_queue(struct virtio_pci *vp, unsigned int q)
{
	return q < vp->ops->num_queues ? &vp->queues[q].vq : NULL;
}

/* INTx follows the ISR while MSI-X is off. */
static void vp_update_intx(struct virtio_pci *vp)
{
	pci_dev_set_intx(&vp->pci, vp->isr != 0 && !msix_enabled(&vp->msix));
}

/* reg_lock held. */
static void vp_raise(struct virtio_pci *vp, uint8_t isr_bit, uint16_t vector)
{
	if (msix_enabled(&vp->msix)) {
		if (vector != MSIX_NO_VECTOR)
			msix_notify(&vp->msix, vector);
		return;
	}
	vp->isr |= isr_bit;
	vp_update_intx(vp);
}

void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int q,
				uint16_t old_used_idx)
{
	struct vp_queue *vq;

	if (q >= vp->ops->num_queues)
		return;
	vq = &vp->queues[q];
	if (!vq_need_notify(&vq->vq, old_used_idx))
		return;
	pthread_mutex_lock(&vp->reg_lock);
	/* Work of a generation the driver has reset is not signalled. */
	if (!vp_reset_pending(vp))
		vp_raise(vp, ISR_QUEUE, vq->msix_vector);
	pthread_mutex_unlock(&vp->reg_lock);
}

/* reg_lock held. */
static void vp_fail_locked(struct virtio_pci *vp, const char *why)
{
	if (vp->failed || vp_reset_pending(vp))
		return;
	vp->failed = true;
	log_error("%s: %s; the device needs a reset", vp->name, why);
	vp->status |= STATUS_NEEDS_RESET;
	vp->config_generation++;
	vp_raise(vp, ISR_CONFIG, vp->config_msix_vector);
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	pthread_mutex_lock(&vp->reg_lock);
	vp_fail_locked(vp, why);
	pthread_mutex_unlock(&vp->reg_lock);
}

/* Registers or moves the queues' ioeventfds to where the BAR is now. */
static void vp_update_ioeventfds(struct virtio_pci *vp)
{
	bool on = pci_dev_memory_enabled(&vp->pci);

	for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
		struct vp_queue *vq = &vp->queues[q];
		uint64_t addr = __atomic_load_n(&vp->pci.bars[0].addr,
						__ATOMIC_ACQUIRE) +
				NOTIFY_OFF + q * NOTIFY_MULT;

		if (!on)
			addr = 0;
		if (vq->ioeventfd_addr == addr)
			continue;
		/* Without a hypervisor VM (between boots) both fail. */
		if (vq->ioeventfd_addr)
			vm_ioeventfd(vp->vm, vq->kick_fd, vq->ioeventfd_addr,
				     false);
		vq->ioeventfd_addr = 0;
		if (addr && vm_ioeventfd(vp->vm, vq->kick_fd, addr, true) == 0)
			vq->ioeventfd_addr = addr;
	}
}

/*
 * The register side of a reset, reg_lock held: at once, so that no new
 * queue work starts. The device's side follows in vp_catch_up.
 */
static void vp_reset_registers(struct virtio_pci *vp)
{
	/* From status 0 nothing is in flight: the device is reset already. */
	if (!vp_reset_pending(vp) && vp->status) {
		vp->pending_status = vp->status;
		vp->reset_gen++;
	}
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->driver_features = 0;
	vp->config_msix_vector = MSIX_NO_VECTOR;
	vp->status = 0;
	vp->queue_select = 0;
	vp->isr = 0;
	vp->failed = false;
	for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
		struct vp_queue *vq = &vp->queues[q];

		vq->size = vp->ops->queue_size;
		vq->msix_vector = MSIX_NO_VECTOR;
		vq->enabled = false;
		vq->desc = vq->driver = vq->device = 0;
	}
	vp_update_intx(vp);
}

/*
 * The device's side, dev_lock held and reg_lock not: a reset the
 * registers asked for is carried out (the device finishes with the old
 * rings first: its reset hook may complete requests in flight), then the
 * queues the driver enabled since are set up.
 */
static void vp_catch_up(struct virtio_pci *vp)
{
	struct {
		bool init;
		uint16_t size;
		uint64_t desc, driver, device;
	} want[MAX_QUEUES];
	unsigned int gen, nq = vp->ops->num_queues;
	uint64_t features;

	pthread_mutex_lock(&vp->reg_lock);
	gen = vp->reset_gen;
	pthread_mutex_unlock(&vp->reg_lock);
	if (gen != vp->applied_gen) {
		if (vp->ops->reset)
			vp->ops->reset(vp->dev);
		for (unsigned int q = 0; q < nq; q++)
			vq_reset(&vp->queues[q].vq);
		pthread_mutex_lock(&vp->reg_lock);
		vp->applied_gen = gen;
		pthread_mutex_unlock(&vp->reg_lock);
	}
	pthread_mutex_lock(&vp->reg_lock);
	features = vp->driver_features;
	for (unsigned int q = 0; q < nq; q++) {
		struct vp_queue *vq = &vp->queues[q];

		want[q].init = vq->enabled && !vq->vq.ready && !vp->failed &&
			       !vp_reset_pending(vp);
		want[q].size = vq->size;
		want[q].desc = vq->desc;
		want[q].driver = vq->driver;
		want[q].device = vq->device;
	}
	pthread_mutex_unlock(&vp->reg_lock);
	for (unsigned int q = 0; q < nq; q++) {
		int err;

		if (!want[q].init)
			continue;
		err = vq_init(&vp->queues[q].vq, vm_guest_ram(vp->vm),
			      want[q].size, want[q].desc, want[q].driver,
			      want[q].device, features);
		if (err < 0) {
			virtio_pci_fail(vp, vq_error_str(err));
			break;
		}
	}
}

static bool vp_features_ok(struct virtio_pci *vp)
{
	/* Only offered bits can be set (vp_common_write masks them). */
	if (!(vp->driver_features & (1ull << VIRTIO_F_VERSION_1))) {
		log_warn(
			"%s: the driver did not accept VIRTIO_F_VERSION_1 (legacy drivers are not supported)",
			vp->name);
		return false;
	}
	return true;
}

static void vp_kick(struct virtio_pci *vp, unsigned int q)
{
	uint64_t one = 1;

	/* A full counter is a notification already: nothing is lost. */
	if (write(vp->queues[q].kick_fd, &one, sizeof(one)) < 0)
		return;
}

/*
 * A register write while the device's side has not caught up with a
 * reset: the driver did not wait for status to read 0 (OVMF does not).
 * The vCPU finishes the reset itself, waiting for the device's current
 * batch of work (bounded: backends never block the I/O thread). Called
 * and returns with reg_lock held.
 */
static void vp_finish_reset(struct virtio_pci *vp)
{
	if (!vp_reset_pending(vp))
		return;
	pthread_mutex_unlock(&vp->reg_lock);
	pthread_mutex_lock(&vp->dev_lock);
	vp_catch_up(vp);
	pthread_mutex_unlock(&vp->dev_lock);
	pthread_mutex_lock(&vp->reg_lock);
}

/* reg_lock held. */
static void vp_write_status(struct virtio_pci *vp, uint8_t v)
{
	uint8_t add;

	if (v == 0) {
		uint64_t one = 1;

		/*
		 * The I/O thread finishes it (its reset hook may wait for
		 * requests in flight): the vCPU does not wait here.
		 */
		vp_reset_registers(vp);
		if (vp_reset_pending(vp) &&
		    write(vp->wake_fd, &one, sizeof(one)) < 0)
			log_error("%s: %s", vp->name, strerror(errno));
		return;
	}
	/* Bits are only ever added; NEEDS_RESET is the device's. */
	add = v & ~vp->status & ~STATUS_NEEDS_RESET;
	/* FEATURES_OK sticks only if the feature set is acceptable. */
	if ((add & STATUS_FEATURES_OK) && !vp_features_ok(vp))
		add &= ~STATUS_FEATURES_OK;
	/*
	 * DRIVER_OK before the features are agreed (virtio 1.2, 3.1.1): the
	 * device refuses it and asks for a reset.
	 */
	if ((add & STATUS_DRIVER_OK) &&
	    !((vp->status | add) & STATUS_FEATURES_OK)) {
		add &= ~STATUS_DRIVER_OK;
		vp_fail_locked(vp,
			       "the driver set DRIVER_OK without FEATURES_OK");
	}
	vp->status |= add;
	if ((add & STATUS_DRIVER_OK) && !vp->failed) {
		/* Buffers made available before DRIVER_OK are seen now. */
		for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
			if (vp->queues[q].enabled)
				vp_kick(vp, q);
		}
	}
}

static uint64_t vp_common_read(struct virtio_pci *vp, unsigned int off)
{
	struct vp_queue *vq = vp->queue_select < vp->ops->num_queues
				      ? &vp->queues[vp->queue_select]
				      : NULL;
	uint64_t features = vp_device_features(vp);

	switch (off) {
	case 0x00:
		return vp->device_feature_select;
	case 0x04:
		return vp->device_feature_select < 2
			       ? (uint32_t)(features >>
					    (32 * vp->device_feature_select))
			       : 0;
	case 0x08:
		return vp->driver_feature_select;
	case 0x0c:
		return vp->driver_feature_select < 2
			       ? (uint32_t)(vp->driver_features >>
					    (32 * vp->driver_feature_select))
			       : 0;
	case 0x10:
		return vp->config_msix_vector;
	case 0x12:
		return vp->ops->num_queues;
	case 0x14:
		return vp_reset_pending(vp) ? vp->pending_status : vp->status;
	case 0x15:
		return vp->config_generation;
	case 0x16:
		return vp->queue_select;
	case 0x18:
		return vq ? vq->size : 0;
	case 0x1a:
		return vq ? vq->msix_vector : MSIX_NO_VECTOR;
	case 0x1c:
		return vq ? vq->enabled : 0;
	case 0x1e:
		return vq ? vp->queue_select : 0;
	case 0x20:
	case 0x24:
		return vq ? vq->desc >> (off & 4 ? 32 : 0) : 0;
	case 0x28:
	case 0x2c:
		return vq ? vq->driver >> (off & 4 ? 32 : 0) : 0;
	case 0x30:
	case 0x34:
		return vq ? vq->device >> (off & 4 ? 32 : 0) : 0;
	case 0x38:
		return vq ? vp->queue_select : 0;
	default:
		return 0;
	}
}

static uint16_t vp_vector(struct virtio_pci *vp, uint64_t v)
{
	return v < vp->msix.nvec ? (uint16_t)v : MSIX_NO_VECTOR;
}

static void vp_common_write(struct virtio_pci *vp, unsigned int off,
			    unsigned int size, uint64_t v)
{
	struct vp_queue *vq = vp->queue_select < vp->ops->num_queues
				      ? &vp->queues[vp->queue_select]
				      : NULL;
	/* Queue layout is fixed once the queue is enabled. */
	bool writable = vq && !vq->enabled;
	uint64_t offered = vp_device_features(vp);

	switch (off) {
	case 0x00:
		vp->device_feature_select = v;
		break;
	case 0x08:
		vp->driver_feature_select = v;
		break;
	case 0x0c:
		/* Frozen once FEATURES_OK is set; only offered bits stick. */
		if (vp->status & STATUS_FEATURES_OK)
			break;
		if (vp->driver_feature_select == 0)
			vp->driver_features =
				(vp->driver_features & ~0xffffffffull) |
				((uint32_t)v & (uint32_t)offered);
		else if (vp->driver_feature_select == 1)
			vp->driver_features =
				(vp->driver_features & 0xffffffffull) |
				((uint64_t)((uint32_t)v &
					    (uint32_t)(offered >> 32))
				 << 32);
		break;
	case 0x10:
		vp->config_msix_vector = vp_vector(vp, v);
		break;
	case 0x14:
		vp_write_status(vp, v);
		break;
	case 0x16:
		vp->queue_select = v;
		break;
	case 0x18:
		/* A power of two up to the maximum (split rings). */
		if (writable && v && v <= vp->ops->queue_size && !(v & (v - 1)))
			vq->size = v;
		break;
	case 0x1a:
		if (vq)
			vq->msix_vector = vp_vector(vp, v);
		break;
	case 0x1c:
		/* The I/O thread sets the ring up before it looks at it. */
		if (writable && v == 1) {
			vq->enabled = true;
			vp_kick(vp, vp->queue_select);
		}
		break;
	case 0x20:
	case 0x24:
	case 0x28:
	case 0x2c:
	case 0x30:
	case 0x34: {
		unsigned int shift = (off & 4) ? 32 : 0;
		uint64_t mask = size == 8 ? ~0ull : 0xffffffffull << shift;
		uint64_t *field;

		if (!writable)
			break;
		field = off < 0x28   ? &vq->desc
			: off < 0x30 ? &vq->driver
				     : &vq->device;
		*field = (*field & ~mask) | ((v << shift) & mask);
		break;
	}
	}
}

static void vp_common_access(struct virtio_pci *vp, unsigned int off,
			     uint8_t *data, unsigned int size, bool is_write)
{
	/* Fields are accessed whole, at their own width (or 32-bit halves). */
	if (is_write) {
		vp_finish_reset(vp);
		vp_common_write(vp, off, size, le_read(data, size));
		return;
	}
	le_write(data, size, vp_common_read(vp, off));
}

/*
 * An access to the BAR at off. With peek, a read has no side effect (the
 * ISR is not acknowledged).
 */
static void vp_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
		      unsigned int size, bool is_write, bool peek)
{
	if (off >= BAR_SIZE || size > BAR_SIZE - off) {
		if (!is_write)
			memset(data, 0, size);
		return;
	}
	if (off >= MSIX_TABLE_OFF && off < MSIX_PBA_OFF) {
		msix_table_access(&vp->msix, off - MSIX_TABLE_OFF, data, size,
				  is_write);
		return;
	}
	if (off >= MSIX_PBA_OFF) {
		msix_pba_access(&vp->msix, off - MSIX_PBA_OFF, data, size,
				is_write);
		return;
	}
	if (off >= NOTIFY_OFF && off < NOTIFY_OFF + NOTIFY_MULT * MAX_QUEUES) {
		/* Only when no ioeventfd caught it: pass it on ourselves. */
		unsigned int q = (off - NOTIFY_OFF) / NOTIFY_MULT;

		if (is_write && q < vp->ops->num_queues)
			vp_kick(vp, q);
		if (!is_write)
			memset(data, 0, size);
		return;
	}
	pthread_mutex_lock(&vp->reg_lock);
	if (off < COMMON_LEN) {
		vp_common_access(vp, off, data, size, is_write);
	} else if (off == ISR_OFF && !is_write) {
		/* Reading the ISR acknowledges the interrupt. */
		data[0] = vp->isr;
		memset(data + 1, 0, size - 1);
		if (!peek) {
			vp->isr = 0;
			vp_update_intx(vp);
		}
	} else if (off >= DEVICE_OFF &&
		   off + size <= DEVICE_OFF + vp->ops->config_size) {
		/* Writes are ignored: no field a driver may write is offered. */
		if (!is_write)
			memcpy(data, vp->ops->config + (off - DEVICE_OFF),
			       size);
	} else if (!is_write) {
		memset(data, 0, size);
	}
	pthread_mutex_unlock(&vp->reg_lock);
}

static void vp_bar_access(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int size, bool is_write)
{
	vp_access(opaque, off, data, size, is_write, false);
}

/*
 * The PCI configuration access capability (virtio 1.2, 4.1.4.9): a window
 * into the BAR. A write to pci_cfg_data writes cap.length bytes of it at
 * cap.offset of BAR cap.bar; a read of pci_cfg_data reads them from the
 * BAR at that moment, with the read's side effects (the ISR clears). The
 * data is also refreshed, without side effects, when the driver sets the
 * window up (bar, offset or length written) and after each write through
 * it. Only BAR 0 exists; an access that is not 1, 2 or 4 bytes, not
 * aligned to its length, or not wholly inside the BAR does nothing and
 * the data reads 0.
 */
static void vp_cfg_window(struct virtio_pci *vp, bool is_write, bool peek)
{
	struct pci_dev *dev = &vp->pci;
	unsigned int cap = vp->pci_cfg_cap;
	unsigned int bar = dev->config[cap + 4];
	uint64_t off = pci_cfg_read(dev, cap + 8, 4);
	uint64_t len = pci_cfg_read(dev, cap + 12, 4);
	uint8_t *data = dev->config + cap + 16;

	if (bar != 0 || (len != 1 && len != 2 && len != 4) || off % len ||
	    off + len > BAR_SIZE) {
		if (!is_write)
			memset(data, 0, 4);
		return;
	}
	if (is_write) {
		vp_access(vp, off, data, len, true, false);
		/* What the window shows now. */
	}
	memset(data, 0, 4);
	vp_access(vp, off, data, len, false, peek);
}

static void vp_config_read(struct pci_dev *dev, unsigned int reg,
			   unsigned int size)
{
	struct virtio_pci *vp = dev->opaque;
	unsigned int cap = vp->pci_cfg_cap;

	if (cap && reg < cap + 20 && reg + size > cap + 16)
		vp_cfg_window(vp, false, false);
}

static void vp_config_written(struct pci_dev *dev, unsigned int reg,
			      unsigned int size)
{
	struct virtio_pci *vp = dev->opaque;
	unsigned int cap = vp->pci_cfg_cap;

	msix_config_written(&vp->msix, reg, size);
	if (reg + size <= cap + 4 || reg >= cap + 20)
		return;
	/* Touching pci_cfg_data is an access; the rest set the window up. */
	vp_cfg_window(vp, reg + size > cap + 16, true);
}

static void vp_bars_changed(struct pci_dev *dev)
{
	struct virtio_pci *vp = dev->opaque;

	pthread_mutex_lock(&vp->reg_lock);
	vp_update_ioeventfds(vp);
	pthread_mutex_unlock(&vp->reg_lock);
}

static const struct pci_dev_ops vp_pci_ops = {
	.config_written = vp_config_written,
	.bars_changed = vp_bars_changed,
	.config_read = vp_config_read,
};

/* The driver lets the device use queue q now (reg_lock not held). */
static bool vp_queue_live(struct virtio_pci *vp, unsigned int q)
{
	bool live;

	pthread_mutex_lock(&vp->reg_lock);
	live = vp->queues[q].enabled && !vp->failed &&
	       (vp->status & STATUS_DRIVER_OK) && !vp_reset_pending(vp);
	pthread_mutex_unlock(&vp->reg_lock);
	return live && vp->queues[q].vq.ready;
}

static void vp_event(struct virtio_pci *vp, unsigned int id)
{
	uint64_t v;

	if (id == EV_WAKE) {
		if (read(vp->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return;
		pthread_mutex_lock(&vp->dev_lock);
		vp_catch_up(vp);
		pthread_mutex_unlock(&vp->dev_lock);
		return;
	}
	if (id >= EV_WATCH0) {
		unsigned int w = id - EV_WATCH0;

		pthread_mutex_lock(&vp->dev_lock);
		vp_catch_up(vp);
		/* It may have been unwatched meanwhile. */
		if (w < vp->nwatches && vp->watches[w].fn)
			vp->watches[w].fn(vp->dev, vp, vp->watches[w].fd);
		pthread_mutex_unlock(&vp->dev_lock);
		return;
	}
	if (id >= vp->ops->num_queues ||
	    read(vp->queues[id].kick_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&vp->dev_lock);
	vp_catch_up(vp);
	if (vp_queue_live(vp, id))
		vp->ops->queue_notify(vp->dev, vp, id);
	pthread_mutex_unlock(&vp->dev_lock);
}

static void *vp_io_thread(void *arg)
{
	struct virtio_pci *vp = arg;

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(vp->epfd, evs, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_STOP)
				return NULL;
			vp_event(vp, evs[i].data.u32);
		}
	}
	return NULL;
}

/* Puts watch w in or out of the epoll set, with the events it wants. */
static int vp_watch_update(struct virtio_pci *vp, unsigned int w)
{
	struct epoll_event ev = {
		.events = (vp->watches[w].in ? EPOLLIN : 0) |
			  (vp->watches[w].out ? EPOLLOUT : 0),
		.data.u32 = EV_WATCH0 + w,
	};
	bool want = vp->watches[w].in || vp->watches[w].out;
	int fd = vp->watches[w].fd, op;

	/*
	 * Out of the set, not just without EPOLLIN: epoll reports errors
	 * and hang-ups whatever the mask, and a detached tap queue reports
	 * an error for as long as it is detached.
	 */
	if (want)
		op = vp->watches[w].in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	else if (vp->watches[w].in_set)
		op = EPOLL_CTL_DEL;
	else
		return 0;
	if (epoll_ctl(vp->epfd, op, fd, &ev) < 0)
		return -1;
	vp->watches[w].in_set = want;
	return 0;
}

int virtio_pci_watch_fd(struct virtio_pci *vp, int fd, virtio_watch_fn fn)
{
	unsigned int w;
	int ret = -1;

	pthread_mutex_lock(&vp->dev_lock);
	/* A slot given back by virtio_pci_unwatch_fd, or a new one. */
	for (w = 0; w < vp->nwatches && vp->watches[w].fn; w++)
		;
	if (w < VIRTIO_PCI_MAX_WATCHES) {
		vp->watches[w].fd = fd;
		vp->watches[w].in = true;
		vp->watches[w].out = false;
		vp->watches[w].in_set = false;
		if (vp_watch_update(vp, w) == 0) {
			vp->watches[w].fn = fn;
			if (w == vp->nwatches)
				vp->nwatches++;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&vp->dev_lock);
	return ret;
}

void virtio_pci_unwatch_fd(struct virtio_pci *vp, int fd)
{
	pthread_mutex_lock(&vp->dev_lock);
	for (unsigned int w = 0; w < vp->nwatches; w++) {
		if (vp->watches[w].fn && vp->watches[w].fd == fd) {
			vp->watches[w].in = vp->watches[w].out = false;
			vp_watch_update(vp, w);
			vp->watches[w].fn = NULL;
			vp->watches[w].fd = -1;
		}
	}
	pthread_mutex_unlock(&vp->dev_lock);
}

static void vp_watch_set(struct virtio_pci *vp, int fd, bool out, bool on)
{
	pthread_mutex_lock(&vp->dev_lock);
	for (unsigned int w = 0; w < vp->nwatches; w++) {
		bool *flag = out ? &vp->watches[w].out : &vp->watches[w].in;

		if (!vp->watches[w].fn || vp->watches[w].fd != fd ||
		    *flag == on)
			continue;
		*flag = on;
		if (vp_watch_update(vp, w) < 0)
			*flag = !on;
	}
	pthread_mutex_unlock(&vp->dev_lock);
}

void virtio_pci_watch_pause(struct virtio_pci *vp, int fd, bool paused)
{
	vp_watch_set(vp, fd, false, !paused);
}

void virtio_pci_watch_writable(struct virtio_pci *vp, int fd, bool on)
{
	vp_watch_set(vp, fd, true, on);
}

/* The device's state in one word, for the control socket. */
const char *virtio_pci_state(struct virtio_pci *vp)
{
	uint8_t st = __atomic_load_n(&vp->status, __ATOMIC_RELAXED);

	if (__atomic_load_n(&vp->failed, __ATOMIC_RELAXED) ||
	    (st & STATUS_NEEDS_RESET))
		return "needs-reset";
	if (st & STATUS_DRIVER_OK)
		return "driver-ok";
	return st ? "initialising" : "reset";
}

const char *virtio_device_state(void *state)
{
	return virtio_pci_state(*(struct virtio_pci **)state);
}

bool virtio_pci_driver_ok(struct virtio_pci *vp)
{
	bool ok;

	pthread_mutex_lock(&vp->reg_lock);
	ok = (vp->status & STATUS_DRIVER_OK) && !vp->failed &&
	     !vp_reset_pending(vp);
	pthread_mutex_unlock(&vp->reg_lock);
	return ok;
}

static int vp_add_cap(struct virtio_pci *vp, uint8_t type, uint32_t off,
		      uint32_t len, unsigned int extra)
{
	unsigned int cap =
		pci_dev_add_cap(&vp->pci, PCI_CAP_ID_VNDR, 16 + extra);

	vp->pci.config[cap + 2] = 16 + extra;
	vp->pci.config[cap + 3] = type;
	vp->pci.config[cap + 4] = 0; /* BAR 0 */
	pci_cfg_set(&vp->pci, cap + 8, 4, off);
	pci_cfg_set(&vp->pci, cap + 12, 4, len);
	return cap;
}

struct virtio_pci *virtio_pci_create(struct vm *vm, const char *name,
				     unsigned int devfn,
				     const struct virtio_device_ops *ops,
				     void *dev)
{
	struct virtio_pci *vp = calloc(1, sizeof(*vp));
	unsigned int nvec = ops->num_queues + 1;
	unsigned int cap;

	if (!vp)
		return NULL;
	if (ops->num_queues > MAX_QUEUES) {
		free(vp);
		return NULL;
	}
	for (unsigned int q = 0; q < MAX_QUEUES; q++)
		vp->queues[q].kick_fd = -1;
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&vp->dev_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&vp->reg_lock, NULL);
	vp->vm = vm;
	vp->name = name;
	vp->ops = ops;
	vp->dev = dev;
	vp->epfd = epoll_create1(EPOLL_CLOEXEC);
	vp->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vp->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pci_dev_init(&vp->pci, name, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_DEVICE_BASE + ops->device_id,
		     ops->pci_class | 0x01, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_DEVICE_BASE + ops->device_id);
	vp->pci.ops = &vp_pci_ops;
	vp->pci.opaque = vp;
	pci_dev_add_bar(&vp->pci, 0, BAR_SIZE, true, vp_bar_access, vp);
	vp_add_cap(vp, VIRTIO_PCI_CAP_COMMON, COMMON_OFF, COMMON_LEN, 0);
	cap = vp_add_cap(vp, VIRTIO_PCI_CAP_NOTIFY, NOTIFY_OFF,
			 NOTIFY_MULT * ops->num_queues, 4);
	pci_cfg_set(&vp->pci, cap + 16, 4, NOTIFY_MULT);
	vp_add_cap(vp, VIRTIO_PCI_CAP_ISR, ISR_OFF, 1, 0);
	if (ops->config_size)
		vp_add_cap(vp, VIRTIO_PCI_CAP_DEVICE, DEVICE_OFF,
			   ops->config_size, 0);
	vp->pci_cfg_cap = vp_add_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4);
	/* bar, offset, length and data of the window are the driver's. */
	vp->pci.wmask[vp->pci_cfg_cap + 4] = 0xff;
	memset(vp->pci.wmask + vp->pci_cfg_cap + 8, 0xff, 12);
	if (vp->epfd < 0 || vp->stop_fd < 0 || vp->wake_fd < 0 ||
	    msix_init(&vp->msix, &vp->pci, nvec, 0, MSIX_TABLE_OFF,
		      MSIX_PBA_OFF, vm_alloc_msi_gsis(vm, nvec)) < 0)
		goto fail;
	for (unsigned int q = 0; q < ops->num_queues; q++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = q };

		vp->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->queues[q].kick_fd < 0 ||
		    epoll_ctl(vp->epfd, EPOLL_CTL_ADD, vp->queues[q].kick_fd,
			      &ev) < 0)
			goto fail;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = EV_STOP };
		struct epoll_event wake = { .events = EPOLLIN,
					    .data.u32 = EV_WAKE };

		if (epoll_ctl(vp->epfd, EPOLL_CTL_ADD, vp->stop_fd, &ev) < 0 ||
		    epoll_ctl(vp->epfd, EPOLL_CTL_ADD, vp->wake_fd, &wake) < 0)
			goto fail;
	}
	vp_reset_registers(vp);
	if (ops->reset)
		ops->reset(dev);
	if (pci_bus_add(vm_pci_bus(vm), &vp->pci, devfn) < 0)
		goto fail_quiet;
	vp->pci.intx = vm_irq_line(vm, pci_bus_intx_gsi(vm_pci_bus(vm),
							devfn >> 3, 1));
	if (pthread_create(&vp->thread, NULL, vp_io_thread, vp) != 0)
		goto fail;
	vp->thread_started = true;
	return vp;
fail:
	log_error("%s: cannot create the device: %s", name, strerror(errno));
fail_quiet:
	virtio_pci_destroy(vp);
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	uint64_t one = 1;

	if (!vp)
		return;
	if (vp->thread_started) {
		if (write(vp->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(vp->thread, NULL);
	}
	for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
		if (vp->queues[q].kick_fd >= 0)
			close(vp->queues[q].kick_fd);
	}
	if (vp->epfd >= 0)
		close(vp->epfd);
	if (vp->stop_fd >= 0)
		close(vp->stop_fd);
	if (vp->wake_fd >= 0)
		close(vp->wake_fd);
	msix_destroy(&vp->msix);
	pthread_mutex_destroy(&vp->reg_lock);
	pthread_mutex_destroy(&vp->dev_lock);
	free(vp);
}

int virtio_pci_attach(struct virtio_pci *vp)
{
	return vm_msix_attach(vp->vm, &vp->msix);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	/* A VM reset (vCPUs stopped) waits for the device's work. */
	pthread_mutex_lock(&vp->dev_lock);
	pthread_mutex_lock(&vp->reg_lock);
	/* The hypervisor VM is gone: its ioeventfds went with it. */
	for (unsigned int q = 0; q < vp->ops->num_queues; q++)
		vp->queues[q].ioeventfd_addr = 0;
	msix_attach(&vp->msix, NULL);
	msix_reset(&vp->msix);
	pci_dev_reset_config(&vp->pci);
	vp_reset_registers(vp);
	/* Even from status 0: the device's own state starts over too. */
	if (!vp_reset_pending(vp)) {
		vp->pending_status = 0;
		vp->reset_gen++;
	}
	pthread_mutex_unlock(&vp->reg_lock);
	vp_catch_up(vp);
	pthread_mutex_unlock(&vp->dev_lock);
}
