// SPDX-License-Identifier: MIT
/*
 * virtio-net (type 1): one receive and one transmit queue, backed by user
 * networking (slirp) or a tap interface.
 *   -s SLOT,virtio-net,slirp[,hostfwd=tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT]...
 *   -s SLOT,virtio-net,tap=IFNAME
 *   both with [,mac=52:54:00:xx:xx:xx]
 * Received frames go into the guest's buffers on the device's I/O thread,
 * merged across buffers (MRG_RXBUF) when the driver allows; when the
 * guest has no room, the backend is not read until it makes some.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/device.h"
#include "../core/log.h"
#include "../core/vm.h"
#include "../net/net_backend.h"
#include "net_buffers.h"
#include "virtio_pci.h"

#define VIRTIO_ID_NET 1
#define NET_QUEUE_SIZE 256
#define NET_RX_QUEUE 0
#define NET_TX_QUEUE 1
#define NET_CONFIG_SIZE 10
#define NET_FRAME_MAX (VNET_HDR_LEN + 65550)

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

struct net_options {
	bool tap;
	char ifname[IFNAMSIZ];
	bool have_mac;
	uint8_t mac[6];
	struct net_slirp_options slirp;
};

struct virtio_net {
	struct virtio_pci *vp;
	struct virtio_device_ops ops;
	struct net_backend *be;
	uint8_t config[NET_CONFIG_SIZE];
	uint64_t features_applied; /* what the backend was told, + 1 */
	bool rx_paused; /* the guest had no room: the backend waits */
	size_t pending_len; /* a received frame waiting for room */
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_SEGS];
	uint16_t rx_heads[NET_QUEUE_SIZE];
	uint32_t rx_lens[NET_QUEUE_SIZE];
	uint8_t frame[NET_FRAME_MAX];
};

static int parse_port(const char *s, const char *end, uint16_t *port)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);

	if (e != end || s == end || v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

/* hostfwd=tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT */
static int parse_hostfwd(const char *spec, struct net_hostfwd *h)
{
	char addr[64];
	const char *p = spec, *colon, *dash;

	memset(h, 0, sizeof(*h));
	if (!strncmp(p, "tcp:", 4)) {
		p += 4;
	} else if (!strncmp(p, "udp:", 4)) {
		h->udp = true;
		p += 4;
	} else {
		return -1;
	}
	colon = strchr(p, ':');
	if (!colon || (size_t)(colon - p) >= sizeof(addr))
		return -1;
	memcpy(addr, p, colon - p);
	addr[colon - p] = 0;
	if (addr[0] && inet_pton(AF_INET, addr, &h->host_addr) != 1)
		return -1;
	p = colon + 1;
	dash = strchr(p, '-');
	if (!dash || parse_port(p, dash, &h->host_port) < 0)
		return -1;
	p = dash + 1;
	if (*p++ != ':')
		return -1;
	return parse_port(p, p + strlen(p), &h->guest_port);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	return mac[0] & 1 ? -1 : 0; /* a multicast address is no NIC's */
}

static int net_parse(const char *args, struct net_options *o)
{
	char buf[1024];
	char *tok, *save = NULL;
	bool backend = false;

	memset(o, 0, sizeof(*o));
	if (!args || strlen(args) >= sizeof(buf)) {
		log_error(
			"virtio-net: %s",
			args ? "options too long"
			     : "no backend: virtio-net,slirp or virtio-net,tap=IFNAME");
		return -1;
	}
	strcpy(buf, args);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "slirp") || !strncmp(tok, "tap=", 4)) {
			if (backend) {
				log_error("virtio-net: '%s': one backend only",
					  tok);
				return -1;
			}
			backend = true;
			if (tok[0] == 't') {
				o->tap = true;
				if (!tok[4] || strlen(tok + 4) >= IFNAMSIZ ||
				    strchr(tok + 4, '/')) {
					log_error(
						"virtio-net: %s: an interface name is 1 to %d characters, no '/'",
						tok, IFNAMSIZ - 1);
					return -1;
				}
				strcpy(o->ifname, tok + 4);
			}
		} else if (!strncmp(tok, "mac=", 4)) {
			if (parse_mac(tok + 4, o->mac) < 0) {
				log_error(
					"virtio-net: %s: not a unicast MAC address like 52:54:00:12:34:56",
					tok);
				return -1;
			}
			o->have_mac = true;
		} else if (!strncmp(tok, "hostfwd=", 8)) {
			if (o->slirp.nhostfwd == NET_MAX_HOSTFWD) {
				log_error(
					"virtio-net: at most %d hostfwd rules",
					NET_MAX_HOSTFWD);
				return -1;
			}
			if (parse_hostfwd(
				    tok + 8,
				    &o->slirp.hostfwd[o->slirp.nhostfwd++]) <
			    0) {
				log_error(
					"virtio-net: %s: expected hostfwd=tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT",
					tok);
				return -1;
			}
		} else {
			log_error(
				"virtio-net: unknown option '%s' (slirp[,hostfwd=...] or tap=IFNAME, [,mac=...])",
				tok);
			return -1;
		}
	}
	if (!backend) {
		log_error(
			"virtio-net: no backend: virtio-net,slirp or virtio-net,tap=IFNAME");
		return -1;
	}
	if (o->tap && o->slirp.nhostfwd) {
		log_error("virtio-net: hostfwd= is for slirp, not tap");
		return -1;
	}
	return 0;
}

static int net_check(const char *args)
{
	struct net_options o;

	return net_parse(args, &o);
}

static void net_config_read(void *dev, unsigned int off, uint8_t *data,
			    unsigned int size)
{
	struct virtio_net *n = dev;

	for (unsigned int i = 0; i < size; i++)
		data[i] = off + i < sizeof(n->config) ? n->config[off + i] : 0;
}

/* The backend learns the offloads once the driver has chosen. */
static void net_apply_features(struct virtio_net *n, struct virtio_pci *vp)
{
	uint64_t f = virtio_pci_features(vp);

	if (n->features_applied != f + 1) {
		n->be->ops->set_offloads(n->be, f);
		n->features_applied = f + 1;
	}
}

/*
 * Puts the pending frame into the guest's receive buffers. Returns false
 * when they are too few (nothing is taken then), true when the frame is
 * gone: delivered, or dropped as too big for what the driver offers.
 */
static bool net_deliver(struct virtio_net *n, struct virtio_pci *vp,
			struct virtqueue *vq)
{
	bool mrg = virtio_pci_features(vp) & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	uint8_t *nb_lo = NULL, *nb_hi = NULL;
	size_t off = 0;
	unsigned int used = 0;
	int ret = 0;

	while (off < n->pending_len && used < NET_QUEUE_SIZE) {
		ret = vq_pop(vq, &n->chain);
		if (ret <= 0)
			break;
		if (!n->chain.writable) {
			virtio_pci_fail(
				vp,
				"a virtio-net receive buffer the device cannot write");
			return true;
		}
		if (!used) {
			nb_lo = net_rx_byte(&n->chain, VNET_HDR_NUM_BUFFERS);
			nb_hi = net_rx_byte(&n->chain,
					    VNET_HDR_NUM_BUFFERS + 1);
		}
		n->rx_heads[used] = n->chain.head;
		n->rx_lens[used] = vq_chain_write(&n->chain, n->frame + off,
						  n->pending_len - off);
		off += n->rx_lens[used++];
		if (!mrg)
			break;
	}
	if (ret < 0) {
		virtio_pci_fail(vp, vq_error_str(ret));
		return true;
	}
	if (off < n->pending_len) {
		vq_unpop(vq, used);
		/* Out of buffers: wait. Buffers too small: drop the frame. */
		return ret != 0 || !mrg ? used != 0 : false;
	}
	if (!nb_lo || !nb_hi) {
		vq_unpop(vq, used);
		return true; /* a first buffer shorter than the header */
	}
	*nb_lo = (uint8_t)used;
	*nb_hi = (uint8_t)(used >> 8);
	for (unsigned int i = 0; i < used; i++)
		vq_push(vq, n->rx_heads[i], n->rx_lens[i]);
	return true;
}

static void net_rx(struct virtio_net *n, struct virtio_pci *vp)
{
	struct virtqueue *vq = virtio_pci_queue(vp, NET_RX_QUEUE);
	size_t hdr = n->be->vnet_hdr ? 0 : VNET_HDR_LEN;
	uint16_t old_used = vq_used_idx(vq);
	bool ok = virtio_pci_driver_ok(vp);

	if (ok)
		net_apply_features(n, vp);
	for (;;) {
		if (!n->pending_len) {
			ssize_t got = n->be->ops->recv(n->be, n->frame + hdr,
						       sizeof(n->frame) - hdr);

			if (got == 0)
				break;
			if (got < 0)
				continue; /* lost by the backend */
			/* A frame from slirp: whole, summed, one buffer's. */
			memset(n->frame, 0, hdr);
			n->pending_len = got + hdr;
		}
		/* A link without a driver drops what arrives. */
		if (ok && !net_deliver(n, vp, vq)) {
			n->rx_paused = true;
			virtio_pci_watch_pause(vp, n->be->rx_fd, true);
			break;
		}
		n->pending_len = 0;
		if (ok && !virtio_pci_driver_ok(vp))
			break; /* the device failed */
	}
	virtio_pci_queue_interrupt(vp, NET_RX_QUEUE, old_used);
}

static void net_rx_ready(void *dev, struct virtio_pci *vp, int fd)
{
	(void)fd;
	net_rx(dev, vp);
}

static void net_tx(struct virtio_net *n, struct virtio_pci *vp)
{
	struct virtqueue *vq = virtio_pci_queue(vp, NET_TX_QUEUE);
	uint16_t old_used = vq_used_idx(vq);
	const char *why;
	int ret, cnt;

	net_apply_features(n, vp);
	while ((ret = vq_pop(vq, &n->chain)) > 0) {
		cnt = net_tx_iov(&n->chain, n->be->vnet_hdr, n->iov, &why);
		if (cnt < 0) {
			virtio_pci_fail(vp, why);
			return;
		}
		if (cnt)
			n->be->ops->send(n->be, n->iov, cnt);
		vq_push(vq, n->chain.head, 0);
	}
	if (ret < 0)
		virtio_pci_fail(vp, vq_error_str(ret));
	virtio_pci_queue_interrupt(vp, NET_TX_QUEUE, old_used);
}

static void net_queue_notify(void *dev, struct virtio_pci *vp, unsigned int q)
{
	struct virtio_net *n = dev;

	if (q == NET_TX_QUEUE) {
		net_tx(n, vp);
		return;
	}
	/* New receive buffers: the backend may be read again. */
	if (n->rx_paused) {
		n->rx_paused = false;
		virtio_pci_watch_pause(vp, n->be->rx_fd, false);
	}
	net_rx(n, vp);
}

static void net_device_reset(void *dev)
{
	struct virtio_net *n = dev;

	n->features_applied = 0;
	n->pending_len = 0;
	if (n->rx_paused && n->vp) {
		n->rx_paused = false;
		virtio_pci_watch_pause(n->vp, n->be->rx_fd, false);
	}
}

static void *net_create(struct vm *vm, unsigned int devfn, const char *args)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	struct net_options o;
	uint64_t offloads = 0;

	if (!n)
		return NULL;
	if (net_parse(args, &o) < 0)
		goto fail;
	n->be = o.tap ? net_tap_create(o.ifname) : net_slirp_create(&o.slirp);
	if (!n->be)
		goto fail;
	if (!o.have_mac) {
		/* Locally administered, stable per slot. */
		static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x5c, 0, 0 };

		memcpy(o.mac, base, 6);
		o.mac[5] = devfn;
	}
	memcpy(n->config, o.mac, 6);
	le_write(n->config + 6, 2, VIRTIO_NET_S_LINK_UP);
	le_write(n->config + 8, 2, 1); /* max_virtqueue_pairs */
	if (n->be->vnet_hdr)
		offloads = (1ull << VIRTIO_NET_F_CSUM) |
			   (1ull << VIRTIO_NET_F_GUEST_CSUM) |
			   (1ull << VIRTIO_NET_F_GUEST_TSO4) |
			   (1ull << VIRTIO_NET_F_GUEST_TSO6) |
			   (1ull << VIRTIO_NET_F_HOST_TSO4) |
			   (1ull << VIRTIO_NET_F_HOST_TSO6);
	n->ops = (struct virtio_device_ops){
		.device_id = VIRTIO_ID_NET,
		.pci_class = 0x02000000, /* network, Ethernet */
		.num_queues = 2,
		.queue_size = NET_QUEUE_SIZE,
		.features = offloads | (1ull << VIRTIO_NET_F_MAC) |
			    (1ull << VIRTIO_NET_F_MRG_RXBUF) |
			    (1ull << VIRTIO_NET_F_STATUS),
		.config_size = NET_CONFIG_SIZE,
		.config_read = net_config_read,
		.queue_notify = net_queue_notify,
		.reset = net_device_reset,
	};
	n->vp = virtio_pci_create(vm, "virtio-net", devfn, &n->ops, n);
	if (!n->vp)
		goto fail;
	if (virtio_pci_watch_fd(n->vp, n->be->rx_fd, net_rx_ready) < 0) {
		log_error("virtio-net: cannot watch the backend");
		goto fail;
	}
	return n;
fail:
	virtio_pci_destroy(n->vp);
	if (n->be)
		n->be->ops->destroy(n->be);
	free(n);
	return NULL;
}

static int net_attach(void *state)
{
	return virtio_pci_attach(((struct virtio_net *)state)->vp);
}

static void net_reset(void *state)
{
	virtio_pci_reset(((struct virtio_net *)state)->vp);
}

static void net_destroy(void *state)
{
	struct virtio_net *n = state;

	virtio_pci_destroy(n->vp);
	n->be->ops->destroy(n->be);
	free(n);
}

const struct device_class virtio_net_class = {
	.name = "virtio-net",
	.help = "virtio-net,slirp[,hostfwd=tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT]...[,mac=MAC]\n"
		"virtio-net,tap=IFNAME[,mac=MAC]\n"
		"                          a network card: user networking or a tap",
	.check = net_check,
	.create = net_create,
	.attach = net_attach,
	.reset = net_reset,
	.destroy = net_destroy,
};
