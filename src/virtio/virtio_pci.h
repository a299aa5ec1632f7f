/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_VIRTIO_PCI_H
#define SCORPI_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "../pci/pci.h"
#include "virtqueue.h"

struct vm;
struct virtio_pci;

#define VIRTIO_F_VERSION_1 32

/* What a virtio device (blk, net, rng, ...) gives the PCI transport. */
struct virtio_device_ops {
	uint16_t device_id; /* virtio device type: PCI ID 0x1040 + this */
	uint32_t pci_class; /* class code << 8 */
	unsigned int num_queues;
	uint16_t queue_size; /* the maximum the driver may choose */
	uint64_t features; /* device-specific bits; the transport adds its own */
	/* The device-specific configuration, read-only to the driver. */
	const uint8_t *config;
	unsigned int config_size;
	/*
	 * The driver made buffers available on queue q. Runs on the device's
	 * I/O thread, holding the device's lock (not the registers' lock: a
	 * vCPU's register access never waits for it), so a reset waits for
	 * it. It must not block on a backend: vCPUs do not wait for it, but
	 * the device's other work and a driver's reset do.
	 */
	void (*queue_notify)(void *dev, struct virtio_pci *vp, unsigned int q);
	/*
	 * The driver reset the device (status 0, or a VM reset): on the I/O
	 * thread (or, for a VM reset, the main thread) with the device's
	 * lock held, before the queues are reset; status reads 0 only after.
	 */
	void (*reset)(void *dev);
};

struct virtio_pci *virtio_pci_create(struct vm *vm, const char *name,
				     unsigned int devfn,
				     const struct virtio_device_ops *ops,
				     void *dev);
void virtio_pci_destroy(struct virtio_pci *vp);
/* At every boot, once the hypervisor VM exists. */
int virtio_pci_attach(struct virtio_pci *vp);
void virtio_pci_reset(struct virtio_pci *vp);

/*
 * Another file descriptor for the device's I/O thread (a backend's
 * completions or input): fn runs there, with the device's lock held,
 * while fd is readable (or writable, if asked for), so it must consume
 * what made it ready or pause the watch. At most VIRTIO_PCI_MAX_WATCHES
 * per device; returns -1 beyond. The watch functions may be called from
 * fn or any other thread.
 */
#define VIRTIO_PCI_MAX_WATCHES 16
typedef void (*virtio_watch_fn)(void *dev, struct virtio_pci *vp, int fd);
int virtio_pci_watch_fd(struct virtio_pci *vp, int fd, virtio_watch_fn fn);
/* Forgets fd (before it is closed). */
void virtio_pci_unwatch_fd(struct virtio_pci *vp, int fd);
/* Stops or restarts watching fd (e.g. while a receive queue is full). */
void virtio_pci_watch_pause(struct virtio_pci *vp, int fd, bool paused);
/* Also runs fn while fd is writable (a client that had no room), or not. */
void virtio_pci_watch_writable(struct virtio_pci *vp, int fd, bool on);
/* The driver has set DRIVER_OK and the device has not failed. */
bool virtio_pci_driver_ok(struct virtio_pci *vp);
/* "reset", "initialising", "driver-ok" or "needs-reset". */
const char *virtio_pci_state(struct virtio_pci *vp);
/*
 * The same for a device class's state hook: every virtio device's state
 * starts with its struct virtio_pci pointer.
 */
const char *virtio_device_state(void *state);

/* Helpers for device code running in queue_notify. */
struct virtqueue *virtio_pci_queue(struct virtio_pci *vp, unsigned int q);
uint64_t virtio_pci_features(struct virtio_pci *vp);
/* Interrupts the driver for queue q if it wants to be told. */
void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int q,
				uint16_t old_used_idx);
/*
 * The driver misbehaved: the device stops and sets DEVICE_NEEDS_RESET, the
 * driver gets a config-change interrupt, and one line is logged. Nothing
 * else in the VM is affected.
 */
void virtio_pci_fail(struct virtio_pci *vp, const char *why);

#endif
