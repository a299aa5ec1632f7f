// SPDX-License-Identifier: MIT
/*
 * virtio-rng (the entropy device, type 4): fills every buffer the driver
 * offers with bytes from the host's getrandom(), at most RNG_MAX_REQUEST
 * bytes a request (the rest of a larger buffer is left unwritten, and
 * the length written says so), so one request cannot keep the I/O
 * thread busy for long.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "../base/log.h"
#include "../core/device.h"
#include "virtio_pci.h"

#define VIRTIO_ID_RNG 4
#define RNG_QUEUE_SIZE 256
#define RNG_MAX_REQUEST 65536

struct virtio_rng {
	struct virtio_pci *vp;
	struct vq_chain chain;
};

static size_t rng_fill(uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	return done;
}

static void rng_queue_notify(void *opaque, struct virtio_pci *vp,
			     unsigned int q)
{
	struct virtio_rng *rng = opaque;
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old_used = vq_used_idx(vq);
	int ret;

	while ((ret = vq_pop(vq, &rng->chain)) > 0) {
		size_t written = 0;

		for (unsigned int i = 0;
		     i < rng->chain.count && written < RNG_MAX_REQUEST; i++) {
			struct vq_seg *s = &rng->chain.seg[i];
			size_t len = s->len, got;

			if (!s->device_writable)
				continue;
			if (len > RNG_MAX_REQUEST - written)
				len = RNG_MAX_REQUEST - written;
			/* What was written is one run from the start. */
			got = rng_fill(s->host, len);
			written += got;
			if (got < len)
				break;
		}
		vq_push(vq, rng->chain.head, (uint32_t)written);
	}
	if (ret < 0) {
		virtio_pci_fail(vp, vq_error_str(ret));
		return;
	}
	virtio_pci_queue_interrupt(vp, q, old_used);
}

static const struct virtio_device_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.pci_class = 0x00ff0000, /* unclassified */
	.num_queues = 1,
	.queue_size = RNG_QUEUE_SIZE,
	.queue_notify = rng_queue_notify,
};

static void *rng_create(struct vm *vm, const struct dev_config *dc)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	unsigned int devfn = dc->slot << 3 | dc->func;

	if (!rng)
		return NULL;
	rng->vp = virtio_pci_create(vm, "virtio-rnd", devfn, &rng_ops, rng);
	if (!rng->vp) {
		free(rng);
		return NULL;
	}
	return rng;
}

static int rng_attach(void *state)
{
	return virtio_pci_attach(((struct virtio_rng *)state)->vp);
}

static void rng_reset(void *state)
{
	virtio_pci_reset(((struct virtio_rng *)state)->vp);
}

static void rng_destroy(void *state)
{
	struct virtio_rng *rng = state;

	virtio_pci_destroy(rng->vp);
	free(rng);
}

const struct device_class virtio_rng_class = {
	.name = "virtio-rnd",
	.alias = "virtio-rng",
	.help = "entropy from the host's getrandom()",
	.bus = DEV_BUS_PCI,
	.create = rng_create,
	.attach = rng_attach,
	.reset = rng_reset,
	.destroy = rng_destroy,
	.state = virtio_device_state,
};
DEVICE_REGISTER(virtio_rng_class);
