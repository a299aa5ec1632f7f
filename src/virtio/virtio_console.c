// SPDX-License-Identifier: MIT
/*
 * virtio-console (type 3) with MULTIPORT: named ports, each a Unix-socket
 * listener on the host, and with -o console=virtio a console port (the
 * guest's hvc0) on the terminal.
 *   -s SLOT,virtio-console[,port=NAME:SOCKETPATH]...
 * One client per port at a time; the guest is told when one connects or
 * goes (PORT_OPEN). Host-to-guest data moves only as fast as the guest
 * posts buffers: the socket, or the terminal, is not read meanwhile.
 * Guest output to a port without a client is dropped. Clients are
 * non-blocking, and guest output is held, not copied: a port writes one
 * guest buffer at a time to its client and gives it back once all of it
 * is sent. A slow client therefore slows its port down; a stuck one stops
 * it (the guest's buffers wait in its transmit queue, and the guest's
 * writes to that port block or fail with EAGAIN) until the client reads
 * again or goes, when what it had not taken is dropped. Nothing else
 * waits: not the vCPUs, not the other ports, not the device's thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/unix_socket.h"
#include "../core/device.h"
#include "../core/vm_device.h"
#include "virtio_pci.h"

#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define CON_QUEUE_SIZE 128
#define CON_MAX_NAMED 4
#define CON_MAX_PORTS (CON_MAX_NAMED + 1)
#define CON_NAME_MAX 63
#define CON_CTRL_RX 2
#define CON_CTRL_TX 3
#define CON_CONFIG_SIZE 12
#define CON_PENDING_MAX 64
#define TERM_BUF 4096

/* Control messages: le32 id, le16 event, le16 value. */
enum {
	DEVICE_READY = 0,
	DEVICE_ADD = 1,
	PORT_READY = 3,
	CONSOLE_PORT = 4,
	PORT_OPEN = 6,
	PORT_NAME = 7,
};

struct con_port {
	bool exists;
	bool is_console;
	bool ready; /* the driver said PORT_READY */
	bool rx_paused; /* the guest had no buffers: input waits */
	char name[CON_NAME_MAX + 1];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, client_fd;
	struct unix_refusals refusals; /* the device thread's */
	/* Guest output on its way to the client: one chain, held. */
	struct vq_chain *tx;
	bool tx_held;
	uint64_t tx_done; /* bytes of it sent */
};

struct con_msg {
	uint32_t id;
	uint16_t event, value;
};

struct virtio_console {
	struct virtio_pci *vp;
	struct virtio_device_ops ops;
	struct vm *vm;
	uint8_t config[CON_CONFIG_SIZE];
	struct con_port ports[CON_MAX_PORTS];
	/* Control messages waiting for the driver's control buffers. */
	struct con_msg pending[CON_PENDING_MAX];
	unsigned int npending;
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_SEGS];
	/* Terminal input on its way to the console port (main thread in). */
	struct chardev term_out;
	pthread_mutex_t term_lock;
	uint8_t term_buf[TERM_BUF];
	size_t term_len;
	int term_fd; /* eventfd: terminal input waits */
};

struct con_options {
	unsigned int n;
	char name[CON_MAX_NAMED][CON_NAME_MAX + 1];
	char path[CON_MAX_NAMED][sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int con_parse(const struct dev_config *dc, struct con_options *o)
{
	const char *spec;

	memset(o, 0, sizeof(*o));
	for (unsigned int i = 0; (spec = dev_opt_nth(dc, "port", i)); i++) {
		const char *name = spec, *colon = strchr(spec, ':');
		size_t nlen;

		if (!colon || !colon[1]) {
			log_error(
				"virtio-console: port=%s: expected port=NAME:SOCKETPATH",
				spec);
			return -1;
		}
		nlen = colon - name;
		if (!nlen || nlen > CON_NAME_MAX ||
		    strspn(name,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") <
			    nlen) {
			log_error(
				"virtio-console: port=%s: a port name is 1 to %d letters, digits, '.', '_' or '-'",
				spec, CON_NAME_MAX);
			return -1;
		}
		if (strlen(colon + 1) >= sizeof(o->path[0])) {
			log_error(
				"virtio-console: port=%s: a socket path is at most %zu bytes",
				spec, sizeof(o->path[0]) - 1);
			return -1;
		}
		if (o->n == CON_MAX_NAMED) {
			log_error("virtio-console: at most %d ports",
				  CON_MAX_NAMED);
			return -1;
		}
		memcpy(o->name[o->n], name, nlen);
		o->name[o->n][nlen] = 0;
		for (unsigned int i = 0; i < o->n; i++) {
			if (!strcmp(o->name[i], o->name[o->n]) ||
			    !strcmp(o->path[i], colon + 1)) {
				log_error(
					"virtio-console: port=%s: the name or path is already taken",
					spec);
				return -1;
			}
		}
		strcpy(o->path[o->n++], colon + 1);
	}
	return 0;
}

static int con_check(const struct dev_config *dc)
{
	struct con_options o;

	return con_parse(dc, &o);
}

static unsigned int port_rx_queue(unsigned int id)
{
	return id ? 2 + 2 * id : 0;
}

/* Sends what control messages the driver has buffers for. */
static void con_flush_control(struct virtio_console *c, struct virtio_pci *vp)
{
	struct virtqueue *vq = virtio_pci_queue(vp, CON_CTRL_RX);
	uint16_t old_used = vq_used_idx(vq);
	unsigned int sent = 0;
	int ret = 0;

	while (sent < c->npending && (ret = vq_pop(vq, &c->chain)) > 0) {
		const struct con_msg *m = &c->pending[sent++];
		const struct con_port *p = &c->ports[m->id];
		uint8_t msg[8 + CON_NAME_MAX];
		size_t len = 8;

		le_write(msg, 4, m->id);
		le_write(msg + 4, 2, m->event);
		le_write(msg + 6, 2, m->value);
		if (m->event == PORT_NAME) {
			memcpy(msg + 8, p->name, strlen(p->name));
			len += strlen(p->name);
		}
		vq_push(vq, c->chain.head, vq_chain_write(&c->chain, msg, len));
	}
	if (ret < 0) {
		virtio_pci_fail(vp, vq_error_str(ret));
		return;
	}
	memmove(c->pending, c->pending + sent,
		(c->npending - sent) * sizeof(c->pending[0]));
	c->npending -= sent;
	virtio_pci_queue_interrupt(vp, CON_CTRL_RX, old_used);
}

static void con_send(struct virtio_console *c, struct virtio_pci *vp,
		     uint32_t id, uint16_t event, uint16_t value)
{
	if (c->npending < CON_PENDING_MAX)
		c->pending[c->npending++] =
			(struct con_msg){ id, event, value };
	con_flush_control(c, vp);
}

/* The client is gone, or is let go: the guest is told. */
static void con_drop_client(struct virtio_console *c, struct virtio_pci *vp,
			    struct con_port *p)
{
	virtio_pci_unwatch_fd(vp, p->client_fd);
	close(p->client_fd);
	p->client_fd = -1;
	p->rx_paused = false;
	con_send(c, vp, p - c->ports, PORT_OPEN, 0);
}

/* Host-to-guest: a client's bytes into the port's receive buffers. */
static void con_port_rx(struct virtio_console *c, struct virtio_pci *vp,
			struct con_port *p)
{
	unsigned int id = p - c->ports, q = port_rx_queue(id);
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old_used = vq_used_idx(vq);
	int ret;

	while (p->client_fd >= 0 && p->ready) {
		ssize_t n;
		int cnt;

		ret = vq_pop(vq, &c->chain);
		if (ret < 0) {
			virtio_pci_fail(vp, vq_error_str(ret));
			return;
		}
		if (ret == 0) {
			/* No room: the socket waits for the guest. */
			p->rx_paused = true;
			virtio_pci_watch_pause(vp, p->client_fd, true);
			break;
		}
		cnt = vq_chain_iov(&c->chain, true, 0, SIZE_MAX, c->iov);
		n = cnt ? readv(p->client_fd, c->iov, cnt) : 0;
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			vq_unpop(vq, 1);
			break;
		}
		if (n <= 0) {
			vq_unpop(vq, 1);
			con_drop_client(c, vp, p); /* it went away */
			break;
		}
		vq_push(vq, c->chain.head, n);
	}
	virtio_pci_queue_interrupt(vp, q, old_used);
}

/* Terminal input waiting in term_buf into the console port. */
static void con_term_rx(struct virtio_console *c, struct virtio_pci *vp)
{
	struct virtqueue *vq = virtio_pci_queue(vp, 0);
	uint16_t old_used = vq_used_idx(vq);
	bool drained = false;
	int ret;

	pthread_mutex_lock(&c->term_lock);
	while (c->term_len && c->ports[0].ready &&
	       (ret = vq_pop(vq, &c->chain)) > 0) {
		size_t n = vq_chain_write(&c->chain, c->term_buf, c->term_len);

		memmove(c->term_buf, c->term_buf + n, c->term_len - n);
		c->term_len -= n;
		vq_push(vq, c->chain.head, n);
		drained = !c->term_len;
	}
	pthread_mutex_unlock(&c->term_lock);
	if (drained)
		chardev_rx_space(&c->term_out);
	virtio_pci_queue_interrupt(vp, 0, old_used);
}

/* The terminal's sink: runs on the main thread, so it only queues. */
static size_t con_term_sink(void *ctx, const uint8_t *buf, size_t len)
{
	struct virtio_console *c = ctx;
	size_t n;
	uint64_t one = 1;

	pthread_mutex_lock(&c->term_lock);
	n = sizeof(c->term_buf) - c->term_len;
	if (n > len)
		n = len;
	memcpy(c->term_buf + c->term_len, buf, n);
	c->term_len += n;
	pthread_mutex_unlock(&c->term_lock);
	if (n && write(c->term_fd, &one, sizeof(one)) < 0)
		log_error("virtio-console: %s", strerror(errno));
	return n;
}

static void con_term_ready(void *dev, struct virtio_pci *vp, int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	con_term_rx(dev, vp);
}

static void con_port_tx(struct virtio_console *c, struct virtio_pci *vp,
			unsigned int id, unsigned int q);

/* The client has data for the guest, or room for what the guest sent. */
static void con_client_ready(void *dev, struct virtio_pci *vp, int fd)
{
	struct virtio_console *c = dev;

	for (unsigned int i = 1; i < CON_MAX_PORTS; i++) {
		struct con_port *p = &c->ports[i];

		if (p->client_fd != fd)
			continue;
		/* A stopped device keeps its chain until the reset. */
		if (p->tx_held && virtio_pci_driver_ok(vp))
			con_port_tx(c, vp, i, port_rx_queue(i) + 1);
		else if (p->tx_held)
			virtio_pci_watch_writable(vp, fd, false);
		if (p->client_fd >= 0 && !p->rx_paused)
			con_port_rx(c, vp, p);
		return;
	}
}

static void con_accept(void *dev, struct virtio_pci *vp, int fd)
{
	struct virtio_console *c = dev;
	/* Neither reads nor sends ever block the I/O thread. */
	int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	uid_t uid;

	if (client < 0)
		return;
	for (unsigned int i = 1; i < CON_MAX_PORTS; i++) {
		struct con_port *p = &c->ports[i];

		if (p->listen_fd != fd)
			continue;
		/*
		 * Another user's client is closed unanswered: the port is
		 * the guest's byte stream, with no room for a message.
		 */
		if (!unix_peer_allowed(client, &uid)) {
			unix_log_refusal(&p->refusals, "virtio-console",
					 p->path, uid);
			close(client);
			return;
		}
		if (p->client_fd >= 0) {
			close(client); /* one client at a time */
			return;
		}
		p->client_fd = client;
		p->rx_paused = false;
		if (virtio_pci_watch_fd(vp, client, con_client_ready) < 0) {
			close(client);
			p->client_fd = -1;
			return;
		}
		if (p->ready)
			con_send(c, vp, i, PORT_OPEN, 1);
		con_port_rx(c, vp, p);
		return;
	}
	close(client);
}

/*
 * Sends what is left of the port's held chain: true when the chain is
 * done with (sent, or dropped because the client went or there is none),
 * false when the client has no room (it stays held; the client's
 * writability brings the port back here).
 */
static bool con_tx_flush(struct virtio_console *c, struct virtio_pci *vp,
			 struct con_port *p)
{
	const struct vq_chain *ch = p->tx;

	if (p->is_console) {
		int cnt = vq_chain_iov(ch, false, 0, SIZE_MAX, c->iov);

		for (int i = 0; i < cnt; i++)
			chardev_write(&c->term_out, c->iov[i].iov_base,
				      c->iov[i].iov_len);
		return true;
	}
	while (p->client_fd >= 0 && p->tx_done < ch->readable) {
		struct msghdr m = { .msg_iov = c->iov };
		ssize_t n;

		m.msg_iovlen =
			vq_chain_iov(ch, false, p->tx_done, SIZE_MAX, c->iov);
		n = sendmsg(p->client_fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p->tx_done += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			virtio_pci_watch_writable(vp, p->client_fd, true);
			return false;
		}
		con_drop_client(c, vp, p); /* it went away */
	}
	if (p->client_fd >= 0)
		virtio_pci_watch_writable(vp, p->client_fd, false);
	return true;
}

/* Guest-to-host on a port: to the terminal or the client. */
static void con_port_tx(struct virtio_console *c, struct virtio_pci *vp,
			unsigned int id, unsigned int q)
{
	struct virtqueue *vq = virtio_pci_queue(vp, q);
	uint16_t old_used = vq_used_idx(vq);
	struct con_port *p = &c->ports[id];
	int ret = 0;

	for (;;) {
		if (!p->tx_held) {
			ret = vq_pop(vq, p->tx);
			if (ret <= 0)
				break;
			p->tx_held = true;
			p->tx_done = 0;
		}
		if (!con_tx_flush(c, vp, p))
			break;
		p->tx_held = false;
		vq_push(vq, p->tx->head, 0);
	}
	if (ret < 0)
		virtio_pci_fail(vp, vq_error_str(ret));
	virtio_pci_queue_interrupt(vp, q, old_used);
}

static void con_control(struct virtio_console *c, struct virtio_pci *vp,
			const uint8_t *msg)
{
	uint32_t id = le_read(msg, 4);
	uint16_t event = le_read(msg + 4, 2), value = le_read(msg + 6, 2);
	struct con_port *p = id < CON_MAX_PORTS ? &c->ports[id] : NULL;

	switch (event) {
	case DEVICE_READY:
		if (value != 1)
			return;
		for (unsigned int i = 0; i < CON_MAX_PORTS; i++) {
			if (c->ports[i].exists)
				con_send(c, vp, i, DEVICE_ADD, 0);
		}
		return;
	case PORT_READY:
		if (!p || !p->exists || value != 1)
			return;
		p->ready = true;
		if (p->is_console) {
			con_send(c, vp, id, CONSOLE_PORT, 1);
			con_send(c, vp, id, PORT_OPEN, 1);
			con_term_rx(c, vp);
		} else {
			con_send(c, vp, id, PORT_NAME, 1);
			con_send(c, vp, id, PORT_OPEN, p->client_fd >= 0);
		}
		return;
	case PORT_OPEN:
		return; /* the guest opened or closed it: nothing to do */
	default:
		log_warn(
			"virtio-console: unknown control event %u from the driver",
			event);
	}
}

static void con_queue_notify(void *dev, struct virtio_pci *vp, unsigned int q)
{
	struct virtio_console *c = dev;
	struct virtqueue *vq;
	int ret;

	if (q == CON_CTRL_RX) {
		con_flush_control(c, vp);
		return;
	}
	if (q == CON_CTRL_TX) {
		uint16_t old_used;

		vq = virtio_pci_queue(vp, q);
		old_used = vq_used_idx(vq);
		while ((ret = vq_pop(vq, &c->chain)) > 0) {
			uint8_t msg[8];
			size_t got = vq_chain_read(&c->chain, 0, msg, 8);

			vq_push(vq, c->chain.head, 0);
			if (got < 8) {
				virtio_pci_fail(
					vp,
					"a virtio-console control message shorter than its header");
				return;
			}
			con_control(c, vp, msg);
		}
		if (ret < 0)
			virtio_pci_fail(vp, vq_error_str(ret));
		virtio_pci_queue_interrupt(vp, q, old_used);
		return;
	}
	{
		unsigned int id = q < 2 ? 0 : (q - 2) / 2;
		struct con_port *p = &c->ports[id];

		if (id >= CON_MAX_PORTS || !p->exists)
			return;
		if (q % 2) {
			con_port_tx(c, vp, id, q);
		} else if (p->is_console) {
			con_term_rx(c, vp);
		} else {
			if (p->rx_paused && p->client_fd >= 0) {
				p->rx_paused = false;
				virtio_pci_watch_pause(vp, p->client_fd, false);
			}
			con_port_rx(c, vp, p);
		}
	}
}

static void con_device_reset(void *dev)
{
	struct virtio_console *c = dev;

	c->npending = 0;
	for (unsigned int i = 0; i < CON_MAX_PORTS; i++) {
		struct con_port *p = &c->ports[i];

		p->ready = false;
		if (p->rx_paused && c->vp && p->client_fd >= 0)
			virtio_pci_watch_pause(c->vp, p->client_fd, false);
		p->rx_paused = false;
		/* A held chain belongs to the rings the driver reset. */
		if (p->tx_held && c->vp && p->client_fd >= 0)
			virtio_pci_watch_writable(c->vp, p->client_fd, false);
		p->tx_held = false;
	}
}

/*
 * A listener at path, mode 0600 whatever the umask (unix_socket.h); a
 * stale socket left by a dead VMM is replaced.
 */
static int con_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	strcpy(a.sun_path, path);
	if (lstat(path, &st) == 0) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = S_ISSOCK(st.st_mode) && probe >= 0 &&
			    connect(probe, (struct sockaddr *)&a, sizeof(a)) ==
				    0;

		if (probe >= 0)
			close(probe);
		if (!S_ISSOCK(st.st_mode) || live) {
			log_error("virtio-console %s: %s", path,
				  live ? "another process listens there"
				       : "exists and is not a socket");
			return -1;
		}
		unlink(path);
	}
	fd = unix_listen_private(path, 1);
	if (fd < 0)
		log_error("virtio-console %s: %s", path, strerror(errno));
	return fd;
}

static void con_free(struct virtio_console *c)
{
	virtio_pci_destroy(c->vp);
	for (unsigned int i = 0; i < CON_MAX_PORTS; i++) {
		struct con_port *p = &c->ports[i];

		if (p->client_fd >= 0)
			close(p->client_fd);
		if (p->listen_fd >= 0) {
			close(p->listen_fd);
			unlink(p->path);
		}
		free(p->tx);
	}
	if (c->term_fd >= 0)
		close(c->term_fd);
	pthread_mutex_destroy(&c->term_lock);
	free(c);
}

static void *con_create(struct vm *vm, const struct dev_config *dc)
{
	unsigned int devfn = dc->slot << 3 | dc->func;
	struct virtio_console *c = calloc(1, sizeof(*c));
	struct con_options o;
	unsigned int nports = 1;

	if (!c)
		return NULL;
	pthread_mutex_init(&c->term_lock, NULL);
	c->vm = vm;
	c->term_fd = -1;
	for (unsigned int i = 0; i < CON_MAX_PORTS; i++)
		c->ports[i].listen_fd = c->ports[i].client_fd = -1;
	for (unsigned int i = 0; i < CON_MAX_PORTS; i++) {
		c->ports[i].tx = malloc(sizeof(*c->ports[i].tx));
		if (!c->ports[i].tx)
			goto fail;
	}
	if (con_parse(dc, &o) < 0)
		goto fail;
	/* Port 0 is the console, for the first device, if asked for. */
	if (vm_claim_console(vm, &c->term_out)) {
		c->ports[0].exists = c->ports[0].is_console = true;
		c->term_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->term_fd < 0)
			goto fail;
	}
	for (unsigned int i = 0; i < o.n; i++) {
		struct con_port *p = &c->ports[i + 1];

		p->exists = true;
		strcpy(p->name, o.name[i]);
		strcpy(p->path, o.path[i]);
		p->listen_fd = con_listen(p->path);
		if (p->listen_fd < 0)
			goto fail;
		nports = i + 2;
	}
	le_write(c->config + 4, 4, nports); /* max_nr_ports */
	c->ops = (struct virtio_device_ops){
		.device_id = VIRTIO_ID_CONSOLE,
		.pci_class = 0x07800000, /* communication, other */
		.num_queues = 2 * nports + 2,
		.queue_size = CON_QUEUE_SIZE,
		.features = 1ull << VIRTIO_CONSOLE_F_MULTIPORT,
		.config_size = CON_CONFIG_SIZE,
		.config = c->config,
		.queue_notify = con_queue_notify,
		.reset = con_device_reset,
	};
	c->vp = virtio_pci_create(vm, "virtio-console", devfn, &c->ops, c);
	if (!c->vp)
		goto fail;
	for (unsigned int i = 1; i < nports; i++) {
		if (virtio_pci_watch_fd(c->vp, c->ports[i].listen_fd,
					con_accept) < 0)
			goto fail;
	}
	if (c->term_fd >= 0) {
		if (virtio_pci_watch_fd(c->vp, c->term_fd, con_term_ready) < 0)
			goto fail;
		vm_console_set_sink(vm, con_term_sink, c);
	}
	return c;
fail:
	con_free(c);
	return NULL;
}

static int con_attach(void *state)
{
	return virtio_pci_attach(((struct virtio_console *)state)->vp);
}

static void con_reset(void *state)
{
	virtio_pci_reset(((struct virtio_console *)state)->vp);
}

static void con_destroy(void *state)
{
	con_free(state);
}

static const struct dev_opt_spec con_opts[] = {
	{ "port", DEV_OPT_STRING, true,
	  "NAME:SOCKETPATH, a port on a Unix socket" },
	{ 0 },
};

const struct device_class virtio_console_class = {
	.name = "virtio-console",
	.help = "serial ports on Unix sockets; hvc0 with -o console=virtio",
	.bus = DEV_BUS_PCI,
	.flags = DEVICE_CONSOLE,
	.opts = con_opts,
	.check = con_check,
	.create = con_create,
	.attach = con_attach,
	.reset = con_reset,
	.destroy = con_destroy,
	.state = virtio_device_state,
};
DEVICE_REGISTER(virtio_console_class);
