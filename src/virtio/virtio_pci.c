// SPDX-License-Identifier: MIT
/*
 * The virtio 1.2 modern PCI transport (PCI IDs 0x1040 + device type, no
 * legacy I/O BAR). One 64-bit memory BAR holds the common configuration,
 * the ISR, the device configuration, the notification area (one 4-byte
 * slot per queue, each an ioeventfd) and the MSI-X table and PBA. Queue
 * work runs on the device's own I/O thread, never on a vCPU thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/vm.h"
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

struct vp_queue {
	uint16_t size;
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, driver, device;
	struct virtqueue vq;
	int kick_fd; /* the guest's notifications */
	uint64_t ioeventfd_addr; /* 0: not registered */
};

struct virtio_pci {
	pthread_mutex_t lock;
	struct vm *vm;
	const char *name;
	const struct virtio_device_ops *ops;
	void *dev;
	struct pci_dev pci;
	struct msix msix;
	unsigned int pci_cfg_cap;

	uint32_t device_feature_select, driver_feature_select;
	uint64_t driver_features;
	uint16_t config_msix_vector;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint8_t isr;
	bool failed; /* stopped until the driver resets the device */
	struct vp_queue queues[MAX_QUEUES];

	struct {
		int fd;
		virtio_watch_fn fn;
		bool paused; /* out of the epoll set */
	} watches[VIRTIO_PCI_MAX_WATCHES];
	unsigned int nwatches;

	pthread_t thread;
	bool thread_started;
	int epfd;
	int stop_fd;
};

static uint64_t vp_device_features(const struct virtio_pci *vp)
{
	return vp->ops->features | (1ull << VIRTIO_F_VERSION_1) |
	       (1ull << VIRTIO_F_RING_INDIRECT_DESC) |
	       (1ull << VIRTIO_F_RING_EVENT_IDX);
}

uint64_t virtio_pci_features(struct virtio_pci *vp)
{
	return vp->driver_features;
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
	struct vp_queue *vq = &vp->queues[q];

	if (vq_need_notify(&vq->vq, old_used_idx))
		vp_raise(vp, ISR_QUEUE, vq->msix_vector);
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	if (vp->failed)
		return;
	vp->failed = true;
	log_error("%s: %s; the device needs a reset", vp->name, why);
	vp->status |= STATUS_NEEDS_RESET;
	vp->config_generation++;
	vp_raise(vp, ISR_CONFIG, vp->config_msix_vector);
}

/* Registers or moves the queues' ioeventfds to where the BAR is now. */
static void vp_update_ioeventfds(struct virtio_pci *vp)
{
	struct hv_vm *hv = vp->vm->hv_vm;
	bool on = pci_dev_memory_enabled(&vp->pci) && hv;

	for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
		struct vp_queue *vq = &vp->queues[q];
		uint64_t addr =
			vp->pci.bars[0].addr + NOTIFY_OFF + q * NOTIFY_MULT;

		if (!on)
			addr = 0;
		if (vq->ioeventfd_addr == addr)
			continue;
		if (vq->ioeventfd_addr && hv)
			hv_vm_ioeventfd(hv, vq->kick_fd, vq->ioeventfd_addr,
					false);
		vq->ioeventfd_addr = 0;
		if (addr && hv_vm_ioeventfd(hv, vq->kick_fd, addr, true) == 0)
			vq->ioeventfd_addr = addr;
	}
}

static void vp_reset_locked(struct virtio_pci *vp)
{
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
		memset(&vq->vq, 0, sizeof(vq->vq));
	}
	vp_update_intx(vp);
	if (vp->ops->reset)
		vp->ops->reset(vp->dev);
}

static bool vp_features_ok(struct virtio_pci *vp)
{
	uint64_t offered = vp_device_features(vp);

	if (vp->driver_features & ~offered) {
		log_warn(
			"%s: the driver accepted features 0x%llx it was not offered",
			vp->name,
			(unsigned long long)(vp->driver_features & ~offered));
		return false;
	}
	if (!(vp->driver_features & (1ull << VIRTIO_F_VERSION_1))) {
		log_warn(
			"%s: the driver did not accept VIRTIO_F_VERSION_1 (legacy drivers are not supported)",
			vp->name);
		return false;
	}
	return true;
}

static void vp_write_status(struct virtio_pci *vp, uint8_t v)
{
	if (v == 0) {
		vp_reset_locked(vp);
		return;
	}
	/* FEATURES_OK sticks only if the feature set is acceptable. */
	if ((v & STATUS_FEATURES_OK) && !(vp->status & STATUS_FEATURES_OK) &&
	    !vp_features_ok(vp))
		v &= ~STATUS_FEATURES_OK;
	if ((v & STATUS_DRIVER_OK) && !(vp->status & STATUS_DRIVER_OK)) {
		/* Buffers made available before DRIVER_OK are seen now. */
		uint64_t one = 1;

		for (unsigned int q = 0; q < vp->ops->num_queues; q++) {
			if (vp->queues[q].enabled &&
			    write(vp->queues[q].kick_fd, &one, sizeof(one)) < 0)
				break;
		}
	}
	vp->status = v | (vp->status & STATUS_NEEDS_RESET);
}

static void vp_enable_queue(struct virtio_pci *vp, unsigned int q)
{
	struct vp_queue *vq = &vp->queues[q];
	int err;

	err = vq_init(&vq->vq, &vp->vm->ram, vq->size, vq->desc, vq->driver,
		      vq->device, vp->driver_features);
	if (err < 0) {
		virtio_pci_fail(vp, vq_error_str(err));
		return;
	}
	vq->enabled = true;
	/* Buffers made available before the enable are seen now. */
	uint64_t one = 1;
	if (write(vq->kick_fd, &one, sizeof(one)) < 0)
		return;
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
		return vp->status;
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
		return vq ? vq->desc : 0;
	case 0x28:
		return vq ? vq->driver : 0;
	case 0x30:
		return vq ? vq->device : 0;
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

	switch (off) {
	case 0x00:
		vp->device_feature_select = v;
		break;
	case 0x08:
		vp->driver_feature_select = v;
		break;
	case 0x0c:
		if (vp->status & STATUS_FEATURES_OK)
			break;
		if (vp->driver_feature_select == 0)
			vp->driver_features =
				(vp->driver_features & ~0xffffffffull) |
				(uint32_t)v;
		else if (vp->driver_feature_select == 1)
			vp->driver_features =
				(vp->driver_features & 0xffffffffull) |
				((uint64_t)(uint32_t)v << 32);
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
		if (writable && v == 1)
			vp_enable_queue(vp, vp->queue_select);
		break;
	case 0x20:
	case 0x24:
	case 0x28:
	case 0x2c:
	case 0x30:
	case 0x34: {
		uint64_t *field = off < 0x28   ? &vq->desc
				  : off < 0x30 ? &vq->driver
					       : &vq->device;
		unsigned int shift = (off & 4) ? 32 : 0;
		uint64_t mask = size == 8 ? ~0ull : 0xffffffffull << shift;

		if (writable)
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
		vp_common_write(vp, off, size, le_read(data, size));
		return;
	}
	le_write(data, size, vp_common_read(vp, off));
}

static void vp_bar_access(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int size, bool is_write)
{
	struct virtio_pci *vp = opaque;

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
		uint64_t one = 1;

		if (is_write && q < vp->ops->num_queues &&
		    write(vp->queues[q].kick_fd, &one, sizeof(one)) < 0)
			return;
		if (!is_write)
			memset(data, 0, size);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off < COMMON_LEN) {
		vp_common_access(vp, off, data, size, is_write);
	} else if (off == ISR_OFF && !is_write) {
		/* Reading the ISR acknowledges the interrupt. */
		data[0] = vp->isr;
		memset(data + 1, 0, size - 1);
		vp->isr = 0;
		vp_update_intx(vp);
	} else if (off >= DEVICE_OFF &&
		   off + size <= DEVICE_OFF + vp->ops->config_size) {
		/* Writes are ignored: no field a driver may write is offered. */
		if (!is_write)
			memcpy(data, vp->ops->config + (off - DEVICE_OFF),
			       size);
	} else if (!is_write) {
		memset(data, 0, size);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void vp_config_written(struct pci_dev *dev, unsigned int reg,
			      unsigned int size)
{
	struct virtio_pci *vp = dev->opaque;

	msix_config_written(&vp->msix, reg, size);
	/* The PCI config access capability: a window into the BAR. */
	if (reg < vp->pci_cfg_cap + 16 || reg >= vp->pci_cfg_cap + 20)
		return;
	{
		unsigned int bar = dev->config[vp->pci_cfg_cap + 4];
		uint32_t off = pci_cfg_read(dev, vp->pci_cfg_cap + 8, 4);
		uint32_t len = pci_cfg_read(dev, vp->pci_cfg_cap + 12, 4);

		if (bar == 0 && (len == 1 || len == 2 || len == 4) &&
		    off + len <= BAR_SIZE)
			vp_bar_access(vp, off,
				      dev->config + vp->pci_cfg_cap + 16, len,
				      true);
	}
}

static void vp_bars_changed(struct pci_dev *dev)
{
	struct virtio_pci *vp = dev->opaque;

	pthread_mutex_lock(&vp->lock);
	vp_update_ioeventfds(vp);
	pthread_mutex_unlock(&vp->lock);
}

static const struct pci_dev_ops vp_pci_ops = {
	.config_written = vp_config_written,
	.bars_changed = vp_bars_changed,
};

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
			unsigned int q = evs[i].data.u32;
			uint64_t v;

			if (q == MAX_QUEUES)
				return NULL; /* stop_fd */
			if (q > MAX_QUEUES) {
				unsigned int w = q - MAX_QUEUES - 1;

				pthread_mutex_lock(&vp->lock);
				/* It may have been unwatched meanwhile. */
				if (vp->watches[w].fn)
					vp->watches[w].fn(vp->dev, vp,
							  vp->watches[w].fd);
				pthread_mutex_unlock(&vp->lock);
				continue;
			}
			if (read(vp->queues[q].kick_fd, &v, sizeof(v)) < 0)
				continue;
			pthread_mutex_lock(&vp->lock);
			if (vp->queues[q].enabled && !vp->failed &&
			    (vp->status & STATUS_DRIVER_OK))
				vp->ops->queue_notify(vp->dev, vp, q);
			pthread_mutex_unlock(&vp->lock);
		}
	}
	return NULL;
}

int virtio_pci_watch_fd(struct virtio_pci *vp, int fd, virtio_watch_fn fn)
{
	unsigned int w;
	struct epoll_event ev = { .events = EPOLLIN };

	/* A slot given back by virtio_pci_unwatch_fd, or a new one. */
	for (w = 0; w < vp->nwatches && vp->watches[w].fn; w++)
		;
	if (w == VIRTIO_PCI_MAX_WATCHES)
		return -1;
	ev.data.u32 = MAX_QUEUES + 1 + w;
	if (epoll_ctl(vp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	vp->watches[w].fd = fd;
	vp->watches[w].fn = fn;
	vp->watches[w].paused = false;
	if (w == vp->nwatches)
		vp->nwatches++;
	return 0;
}

void virtio_pci_unwatch_fd(struct virtio_pci *vp, int fd)
{
	for (unsigned int w = 0; w < vp->nwatches; w++) {
		if (vp->watches[w].fn && vp->watches[w].fd == fd) {
			if (!vp->watches[w].paused)
				epoll_ctl(vp->epfd, EPOLL_CTL_DEL, fd, NULL);
			vp->watches[w].paused = false;
			vp->watches[w].fn = NULL;
			vp->watches[w].fd = -1;
		}
	}
}

void virtio_pci_watch_pause(struct virtio_pci *vp, int fd, bool paused)
{
	for (unsigned int w = 0; w < vp->nwatches; w++) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = MAX_QUEUES + 1 + w };

		if (!vp->watches[w].fn || vp->watches[w].fd != fd ||
		    vp->watches[w].paused == paused)
			continue;
		/*
		 * Out of the set, not just without EPOLLIN: epoll reports
		 * errors and hang-ups whatever the mask, and a detached tap
		 * queue reports an error for as long as it is detached.
		 */
		if (epoll_ctl(vp->epfd, paused ? EPOLL_CTL_DEL : EPOLL_CTL_ADD,
			      fd, &ev) == 0)
			vp->watches[w].paused = paused;
	}
}

/* The device's state in one word, for the control socket. */
const char *virtio_pci_state(struct virtio_pci *vp)
{
	uint8_t st = __atomic_load_n(&vp->status, __ATOMIC_RELAXED);

	if (vp->failed || (st & STATUS_NEEDS_RESET))
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
	return (vp->status & STATUS_DRIVER_OK) && !vp->failed;
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
	pthread_mutex_init(&vp->lock, NULL);
	vp->vm = vm;
	vp->name = name;
	vp->ops = ops;
	vp->dev = dev;
	vp->epfd = epoll_create1(EPOLL_CLOEXEC);
	vp->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
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
	if (vp->epfd < 0 || vp->stop_fd < 0 ||
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
					  .data.u32 = MAX_QUEUES };

		if (epoll_ctl(vp->epfd, EPOLL_CTL_ADD, vp->stop_fd, &ev) < 0)
			goto fail;
	}
	vp_reset_locked(vp);
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
		if (vp->queues[q].kick_fd > 0)
			close(vp->queues[q].kick_fd);
	}
	if (vp->epfd >= 0)
		close(vp->epfd);
	if (vp->stop_fd >= 0)
		close(vp->stop_fd);
	msix_destroy(&vp->msix);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
}

int virtio_pci_attach(struct virtio_pci *vp)
{
	return msix_attach(&vp->msix, vp->vm->hv_vm);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	/* The hypervisor VM is gone: its ioeventfds went with it. */
	for (unsigned int q = 0; q < vp->ops->num_queues; q++)
		vp->queues[q].ioeventfd_addr = 0;
	msix_attach(&vp->msix, NULL);
	msix_reset(&vp->msix);
	pci_dev_reset_config(&vp->pci);
	vp_reset_locked(vp);
	pthread_mutex_unlock(&vp->lock);
}
