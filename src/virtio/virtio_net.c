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

#include "../base/log.h"
#include "../core/device.h"
#include "../core/vm_device.h"
#include "../net/net_backend.h"
#include "net_buffers.h"
#include "virtio_pci.h"

#define VIRTIO_ID_NET 1
#define NET_QUEUE_SIZE 256
/* Queue pair i is receive queue 2i and transmit queue 2i + 1; with
 * more than one pair, the control queue comes last. */
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
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1

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
	unsigned int pairs; /* queue pairs: one per backend queue */
	unsigned int active_pairs; /* those the driver uses (VQ_PAIRS_SET) */
	struct {
		bool paused; /* the guest had no room: the backend waits */
		size_t pending_len; /* a received frame waiting for room */
		uint8_t *frame; /* NET_FRAME_MAX bytes */
	} rxq[NET_MAX_QUEUES];
	/* Scratch for the I/O thread, which serves every queue. */
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_SEGS];
	uint16_t rx_heads[NET_QUEUE_SIZE];
	uint32_t rx_lens[NET_QUEUE_SIZE];
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
int net_parse_hostfwd(const char *spec, struct net_hostfwd *h)
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

static int net_parse(const struct dev_config *dc, struct net_options *o)
{
	const char *backend = dev_opt(dc, "backend");
	const char *tap = dev_opt(dc, "tap");
	const char *ifname = dev_opt(dc, "ifname");
	const char *mac = dev_opt(dc, "mac");
	const char *where = dc->origin, *fwd;

	memset(o, 0, sizeof(*o));
	/* tap=IFNAME says both at once. */
	if (tap && backend) {
		log_error("%s: virtio-net: 'tap=%s': one backend only", where,
			  tap);
		return -1;
	}
	if (tap && ifname) {
		log_error("%s: virtio-net: tap= and ifname= both name the tap",
			  where);
		return -1;
	}
	if (tap) {
		backend = "tap";
		ifname = tap;
	}
	if (!backend) {
		log_error(
			"%s: virtio-net: no backend: virtio-net,slirp or virtio-net,tap=IFNAME",
			where);
		return -1;
	}
	if (!strcmp(backend, "tap")) {
		o->tap = true;
		if (!ifname || !ifname[0] || strlen(ifname) >= IFNAMSIZ ||
		    strchr(ifname, '/')) {
			log_error(
				"%s: virtio-net: tap=%s: an interface name is 1 to %d characters, no '/'",
				where, ifname ? ifname : "", IFNAMSIZ - 1);
			return -1;
		}
		strcpy(o->ifname, ifname);
	} else if (strcmp(backend, "slirp")) {
		log_error("%s: virtio-net: backend=%s: expected slirp or tap",
			  where, backend);
		return -1;
	} else if (ifname) {
		log_error("%s: virtio-net: ifname= is for a tap backend",
			  where);
		return -1;
	}
	if (mac && parse_mac(mac, o->mac) < 0) {
		log_error(
			"%s: virtio-net: mac=%s: not a unicast MAC address like 52:54:00:12:34:56",
			where, mac);
		return -1;
	}
	o->have_mac = mac != NULL;
	for (unsigned int i = 0; (fwd = dev_opt_nth(dc, "hostfwd", i)); i++) {
		if (o->tap) {
			log_error(
				"%s: virtio-net: hostfwd= is for slirp, not tap",
				where);
			return -1;
		}
		if (o->slirp.nhostfwd == NET_MAX_HOSTFWD) {
			log_error("%s: virtio-net: at most %d hostfwd rules",
				  where, NET_MAX_HOSTFWD);
			return -1;
		}
		if (net_parse_hostfwd(
			    fwd, &o->slirp.hostfwd[o->slirp.nhostfwd++]) < 0) {
			log_error(
				"%s: virtio-net: hostfwd=%s: expected hostfwd=tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT",
				where, fwd);
			return -1;
		}
	}
	return 0;
}

static int net_check(const struct dev_config *dc)
{
	struct net_options o;

	return net_parse(dc, &o);
}

/* The backend learns the offloads once the driver has chosen. */
static void net_apply_features(struct virtio_net *n, struct virtio_pci *vp)
{
	uint64_t f = virtio_pci_features(vp);

	if (n->features_applied != f + 1) {
		if (n->be->ops->set_offloads)
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
			struct virtqueue *vq, unsigned int pair)
{
	const uint8_t *frame = n->rxq[pair].frame;
	size_t len = n->rxq[pair].pending_len;
	bool mrg = virtio_pci_features(vp) & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	uint8_t *nb_lo = NULL, *nb_hi = NULL;
	size_t off = 0;
	unsigned int used = 0;
	int ret = 0;

	while (off < len && used < NET_QUEUE_SIZE) {
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
		n->rx_lens[used] =
			vq_chain_write(&n->chain, frame + off, len - off);
		off += n->rx_lens[used++];
		if (!mrg)
			break;
	}
	if (ret < 0) {
		virtio_pci_fail(vp, vq_error_str(ret));
		return true;
	}
	if (off < len) {
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

/*
 * The backend's queue is read while the driver uses the pair and has
 * room in it. (A tap queue that is detached reports an error forever.)
 */
static void net_update_watch(struct virtio_net *n, struct virtio_pci *vp,
			     unsigned int pair)
{
	virtio_pci_watch_pause(vp, n->be->rx_fd[pair],
			       pair >= n->active_pairs || n->rxq[pair].paused);
}

static void net_rx(struct virtio_net *n, struct virtio_pci *vp,
		   unsigned int pair)
{
	unsigned int lost = 0;
	struct virtqueue *vq = virtio_pci_queue(vp, 2 * pair);
	size_t hdr = n->be->vnet_hdr ? 0 : VNET_HDR_LEN;
	uint16_t old_used = vq_used_idx(vq);
	bool ok = virtio_pci_driver_ok(vp);
	uint8_t *frame = n->rxq[pair].frame;

	if (ok)
		net_apply_features(n, vp);
	for (;;) {
		if (!n->rxq[pair].pending_len) {
			ssize_t got = n->be->ops->recv(n->be, pair, frame + hdr,
						       NET_FRAME_MAX - hdr);

			if (got == 0)
				break;
			if (got < 0) {
				/* Lost by the backend; never spin on it. */
				if (++lost == NET_QUEUE_SIZE)
					break;
				continue;
			}
			/* A frame from slirp: whole, summed, one buffer's. */
			memset(frame, 0, hdr);
			n->rxq[pair].pending_len = got + hdr;
		}
		/* A link without a driver drops what arrives. */
		if (ok && !net_deliver(n, vp, vq, pair)) {
			n->rxq[pair].paused = true;
			net_update_watch(n, vp, pair);
			break;
		}
		n->rxq[pair].pending_len = 0;
		if (ok && !virtio_pci_driver_ok(vp))
			break; /* the device failed */
	}
	virtio_pci_queue_interrupt(vp, 2 * pair, old_used);
}

static void net_rx_ready(void *dev, struct virtio_pci *vp, int fd)
{
	struct virtio_net *n = dev;

	for (unsigned int i = 0; i < n->active_pairs; i++) {
		if (n->be->rx_fd[i] == fd)
			net_rx(n, vp, i);
	}
}

static void net_tx(struct virtio_net *n, struct virtio_pci *vp,
		   unsigned int pair)
{
	struct virtqueue *vq = virtio_pci_queue(vp, 2 * pair + 1);
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
			n->be->ops->send(n->be, pair, n->iov, cnt);
		vq_push(vq, n->chain.head, 0);
	}
	if (ret < 0)
		virtio_pci_fail(vp, vq_error_str(ret));
	virtio_pci_queue_interrupt(vp, 2 * pair + 1, old_used);
}

/*
 * The control queue: {u8 class, u8 command, data...} then an ack byte.
 * Only multiqueue's VQ_PAIRS_SET is offered (MQ); the rest is refused.
 */
static void net_ctrl(struct virtio_net *n, struct virtio_pci *vp,
		     unsigned int q)
{
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old_used = vq_used_idx(vq);
	int ret;

	while ((ret = vq_pop(vq, &n->chain)) > 0) {
		uint8_t cmd[4], ack = VIRTIO_NET_ERR;
		size_t got = vq_chain_read(&n->chain, 0, cmd, sizeof(cmd));
		uint8_t *ackp = net_rx_byte(&n->chain, 0);

		if (got < 2 || !ackp) {
			virtio_pci_fail(
				vp,
				"a virtio-net control message without its header or ack");
			return;
		}
		if (cmd[0] == VIRTIO_NET_CTRL_MQ &&
		    cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && got == 4) {
			unsigned int want = le_read(cmd + 2, 2);

			if (want >= 1 && want <= n->pairs) {
				if (n->be->ops->set_queues)
					n->be->ops->set_queues(n->be, want);
				n->active_pairs = want;
				for (unsigned int i = 0; i < n->pairs; i++)
					net_update_watch(n, vp, i);
				ack = VIRTIO_NET_OK;
			}
		}
		*ackp = ack;
		vq_push(vq, n->chain.head, 1);
	}
	if (ret < 0)
		virtio_pci_fail(vp, vq_error_str(ret));
	virtio_pci_queue_interrupt(vp, q, old_used);
}

static void net_queue_notify(void *dev, struct virtio_pci *vp, unsigned int q)
{
	struct virtio_net *n = dev;
	unsigned int pair = q / 2;

	if (q == 2 * n->pairs) {
		net_ctrl(n, vp, q);
	} else if (q % 2) {
		net_tx(n, vp, pair);
	} else {
		/* New receive buffers: the backend may be read again. */
		if (n->rxq[pair].paused) {
			n->rxq[pair].paused = false;
			net_update_watch(n, vp, pair);
		}
		if (pair < n->active_pairs)
			net_rx(n, vp, pair);
	}
}

static void net_device_reset(void *dev)
{
	struct virtio_net *n = dev;

	n->features_applied = 0;
	/* One pair until the driver asks for more. */
	n->active_pairs = 1;
	if (n->be->ops->set_queues)
		n->be->ops->set_queues(n->be, 1);
	for (unsigned int i = 0; i < n->pairs; i++) {
		n->rxq[i].pending_len = 0;
		n->rxq[i].paused = false;
		if (n->vp)
			net_update_watch(n, n->vp, i);
	}
}

static void net_free(struct virtio_net *n)
{
	virtio_pci_destroy(n->vp);
	if (n->be)
		n->be->ops->destroy(n->be);
	for (unsigned int i = 0; i < NET_MAX_QUEUES; i++)
		free(n->rxq[i].frame);
	free(n);
}

static void *net_create(struct vm *vm, const struct dev_config *dc)
{
	unsigned int devfn = dc->slot << 3 | dc->func;
	struct virtio_net *n = calloc(1, sizeof(*n));
	struct net_options o;
	uint64_t offloads = 0;

	if (!n)
		return NULL;
	if (net_parse(dc, &o) < 0)
		goto fail;
	/* A pair per vCPU where the tap has the queues for it. */
	n->be = o.tap ? net_tap_create(o.ifname, vm_cpu_count(vm))
		      : net_slirp_create(&o.slirp);
	if (!n->be)
		goto fail;
	n->pairs = n->be->nqueues;
	for (unsigned int i = 0; i < n->pairs; i++) {
		n->rxq[i].frame = malloc(NET_FRAME_MAX);
		if (!n->rxq[i].frame)
			goto fail;
	}
	if (!o.have_mac) {
		/* Locally administered, stable per slot. */
		static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x5c, 0, 0 };

		memcpy(o.mac, base, 6);
		o.mac[5] = devfn;
	}
	memcpy(n->config, o.mac, 6);
	le_write(n->config + 6, 2, VIRTIO_NET_S_LINK_UP);
	le_write(n->config + 8, 2, n->pairs); /* max_virtqueue_pairs */
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
		.num_queues = 2 * n->pairs + (n->pairs > 1),
		.queue_size = NET_QUEUE_SIZE,
		.features = offloads | (1ull << VIRTIO_NET_F_MAC) |
			    (1ull << VIRTIO_NET_F_MRG_RXBUF) |
			    (1ull << VIRTIO_NET_F_STATUS) |
			    (n->pairs > 1 ? (1ull << VIRTIO_NET_F_CTRL_VQ) |
						    (1ull << VIRTIO_NET_F_MQ)
					  : 0),
		.config_size = NET_CONFIG_SIZE,
		.config = n->config,
		.queue_notify = net_queue_notify,
		.reset = net_device_reset,
	};
	n->vp = virtio_pci_create(vm, "virtio-net", devfn, &n->ops, n);
	if (!n->vp)
		goto fail;
	for (unsigned int i = 0; i < n->pairs; i++) {
		if (virtio_pci_watch_fd(n->vp, n->be->rx_fd[i], net_rx_ready) <
		    0) {
			log_error("virtio-net: cannot watch the backend");
			goto fail;
		}
		net_update_watch(n, n->vp, i);
	}
	return n;
fail:
	net_free(n);
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
	net_free(state);
}

static int net_control(void *state, const char *command, const char *arg,
		       char *msg, size_t msglen)
{
	struct virtio_net *n = state;
	struct net_hostfwd h;
	bool add = !strcmp(command, "hostfwd-add");

	if (!add && strcmp(command, "hostfwd-remove"))
		return DEV_CONTROL_UNKNOWN;
	if (!n->be->ops->hostfwd)
		return DEV_CONTROL_UNKNOWN; /* a tap: nothing to forward */
	if (!arg || net_parse_hostfwd(arg, &h) < 0) {
		snprintf(msg, msglen,
			 "%s: expected tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT",
			 arg ? arg : "no rule");
		return DEV_CONTROL_BAD_ARGS;
	}
	if (n->be->ops->hostfwd(n->be, &h, add) == 0)
		return 0;
	if (!add) {
		snprintf(msg, msglen, "no rule %s to remove", arg);
		return DEV_CONTROL_BAD_ARGS;
	}
	snprintf(msg, msglen, "cannot forward %s: %s", arg,
		 strerror(errno ? errno : EADDRINUSE));
	return -1;
}

static const struct dev_opt_spec net_opts[] = {
	{ "backend", DEV_OPT_STRING, false, "slirp (user networking) or tap" },
	{ "tap", DEV_OPT_STRING, false, "IFNAME: backend=tap on this tap" },
	{ "ifname", DEV_OPT_STRING, false, "the tap interface" },
	{ "mac", DEV_OPT_STRING, false, "MAC address, e.g. 52:54:00:12:34:56" },
	{ "hostfwd", DEV_OPT_STRING, true,
	  "tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT (slirp)" },
	{ "bootindex", DEV_OPT_UINT, false,
	  "firmware boot order, lowest first (docs/firmware.md)" },
	{ 0 },
};

const struct device_class virtio_net_class = {
	.name = "virtio-net",
	.help = "a network card: user networking (slirp) or a tap",
	.bus = DEV_BUS_PCI,
	.positional = "backend",
	.opts = net_opts,
	.boot_node = "ethernet",
	.boot_child = "",
	.check = net_check,
	.create = net_create,
	.attach = net_attach,
	.reset = net_reset,
	.destroy = net_destroy,
	.state = virtio_device_state,
	.control = net_control,
};
DEVICE_REGISTER(virtio_net_class);
