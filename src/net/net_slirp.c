// SPDX-License-Identifier: MIT
/*
 * User-mode networking with libslirp: the guest sits on 10.0.2.0/24 with
 * DHCP (from 10.0.2.15), DNS at 10.0.2.3 and the host at 10.0.2.2, and
 * hostfwd rules forward host ports to the guest.
 *
 * libslirp is not thread-safe, so one thread owns it: it polls slirp's
 * sockets and runs its timers, takes the guest's frames from a queue the
 * device fills, and queues frames for the guest, which the device reads
 * on its I/O thread when rx_fd (an eventfd) says some wait. A queue that
 * fills drops frames, as a NIC's would; slirp's TCP retransmits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "net_backend.h"

#define FRAME_QUEUE_MAX 512

struct frame {
	struct frame *next;
	size_t len;
	uint8_t data[];
};

struct frame_queue {
	struct frame *head, **tail;
	unsigned int count;
};

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

struct slirp_backend {
	struct net_backend nb; /* first: the device holds this pointer */
	Slirp *slirp;
	pthread_t thread;
	bool thread_started;
	int wake_fd; /* the slirp thread's: frames to send, or stop */
	pthread_mutex_t lock; /* the queues and stop */
	struct frame_queue to_slirp, to_guest;
	bool stop;
	/*
	 * A hostfwd rule to add or remove at run time: slirp is not thread
	 * safe, so its own thread does it and tells the result through done.
	 */
	pthread_cond_t fwd_done;
	const struct net_hostfwd *fwd;
	bool fwd_add;
	int fwd_result, fwd_errno;
	/* Owned by the slirp thread. */
	struct pollfd *pfds;
	unsigned int npfds, pfds_cap;
	struct slirp_timer *timers;
};

static void queue_init(struct frame_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->count = 0;
}

static bool queue_put(struct frame_queue *q, const void *data, size_t len)
{
	struct frame *f;

	if (q->count >= FRAME_QUEUE_MAX)
		return false;
	f = malloc(sizeof(*f) + len);
	if (!f)
		return false;
	f->next = NULL;
	f->len = len;
	memcpy(f->data, data, len);
	*q->tail = f;
	q->tail = &f->next;
	q->count++;
	return true;
}

static struct frame *queue_take(struct frame_queue *q)
{
	struct frame *f = q->head;

	if (f) {
		q->head = f->next;
		if (!q->head)
			q->tail = &q->head;
		q->count--;
	}
	return f;
}

static void queue_free(struct frame_queue *q)
{
	struct frame *f;

	while ((f = queue_take(q)))
		free(f);
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("slirp: %s", strerror(errno));
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* slirp's callbacks, all on the slirp thread. */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_backend *s = opaque;

	pthread_mutex_lock(&s->lock);
	if (queue_put(&s->to_guest, buf, len))
		signal_fd(s->nb.rx_fd[0]);
	pthread_mutex_unlock(&s->lock);
	return len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	log_warn("virtio-net slirp: the guest sent %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_backend *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_backend *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void cb_no_op_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque; /* the poll set is rebuilt on every round */
}

static void cb_notify(void *opaque)
{
	(void)opaque; /* the next round of the slirp thread sees it */
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct slirp_backend *s = opaque;
	short ev = 0;

	if (s->npfds == s->pfds_cap) {
		unsigned int cap = s->pfds_cap ? 2 * s->pfds_cap : 16;
		struct pollfd *p = realloc(s->pfds, cap * sizeof(*p));

		if (!p)
			return -1;
		s->pfds = p;
		s->pfds_cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfds[s->npfds] = (struct pollfd){ .fd = fd, .events = ev };
	return s->npfds++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct slirp_backend *s = opaque;
	short re;
	int ev = 0;

	if (idx < 0 || (unsigned int)idx >= s->npfds)
		return 0;
	re = s->pfds[idx].revents;
	if (re & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_no_op_fd,
	.unregister_poll_fd = cb_no_op_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

static void run_timers(struct slirp_backend *s)
{
	int64_t now = now_ns() / 1000000;
	bool fired;

	/* A timer callback may re-arm or free timers: restart each time. */
	do {
		fired = false;
		for (struct slirp_timer *t = s->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				slirp_handle_timer(s->slirp, t->id,
						   t->cb_opaque);
				fired = true;
				break;
			}
		}
	} while (fired);
}

static uint32_t next_timer_ms(struct slirp_backend *s, uint32_t timeout)
{
	int64_t now = now_ns() / 1000000;

	for (struct slirp_timer *t = s->timers; t; t = t->next) {
		if (t->expire_ms < 0)
			continue;
		if (t->expire_ms <= now)
			return 0;
		if (t->expire_ms - now < timeout)
			timeout = t->expire_ms - now;
	}
	return timeout;
}

static int apply_hostfwd(Slirp *slirp, const struct net_hostfwd *h, bool add)
{
	struct in_addr host = { .s_addr = h->host_addr };
	struct in_addr guest;

	inet_pton(AF_INET, "10.0.2.15", &guest);
	if (add)
		return slirp_add_hostfwd(slirp, h->udp, host, h->host_port,
					 guest, h->guest_port);
	return slirp_remove_hostfwd(slirp, h->udp, host, h->host_port);
}

/* On the slirp thread, with s->lock held. */
static void run_hostfwd_request(struct slirp_backend *s)
{
	if (!s->fwd)
		return;
	errno = 0;
	s->fwd_result = apply_hostfwd(s->slirp, s->fwd, s->fwd_add);
	s->fwd_errno = errno;
	s->fwd = NULL;
	pthread_cond_broadcast(&s->fwd_done);
}

static void *slirp_thread(void *arg)
{
	struct slirp_backend *s = arg;

	for (;;) {
		uint32_t timeout = UINT32_MAX;
		struct frame *f;
		uint64_t v;
		int n;

		s->npfds = 0;
		cb_add_poll(s->wake_fd, SLIRP_POLL_IN, s);
		slirp_pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
		timeout = next_timer_ms(s, timeout);
		n = poll(s->pfds, s->npfds,
			 timeout == UINT32_MAX ? -1 : (int)timeout);
		if (n < 0 && errno != EINTR)
			log_error("slirp: poll: %s", strerror(errno));
		if (s->pfds[0].revents & POLLIN) {
			if (read(s->wake_fd, &v, sizeof(v)) < 0)
				v = 0;
		}
		/*
		 * Before the guest's frames: this is where libslirp reads its
		 * clock, and a socket that a frame makes expires from the
		 * time it read last (0 in the first round: at once).
		 */
		slirp_pollfds_poll(s->slirp, n < 0, cb_get_revents, s);
		for (;;) {
			pthread_mutex_lock(&s->lock);
			if (s->stop) {
				pthread_mutex_unlock(&s->lock);
				return NULL;
			}
			run_hostfwd_request(s);
			f = queue_take(&s->to_slirp);
			pthread_mutex_unlock(&s->lock);
			if (!f)
				break;
			slirp_input(s->slirp, f->data, f->len);
			free(f);
		}
		run_timers(s);
	}
}

static void slirp_send(struct net_backend *nb, unsigned int q,
		       const struct iovec *iov, int iovcnt)
{
	struct slirp_backend *s = (struct slirp_backend *)nb;
	uint8_t frame[65536];
	size_t len = 0;

	(void)q; /* one queue */
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > sizeof(frame) - len)
			return; /* longer than any frame slirp takes: dropped */
		memcpy(frame + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	pthread_mutex_lock(&s->lock);
	if (queue_put(&s->to_slirp, frame, len))
		signal_fd(s->wake_fd);
	pthread_mutex_unlock(&s->lock);
}

static ssize_t slirp_recv(struct net_backend *nb, unsigned int q, void *buf,
			  size_t len)
{
	struct slirp_backend *s = (struct slirp_backend *)nb;
	struct frame *f;
	ssize_t ret;
	uint64_t v;

	(void)q; /* one queue */
	pthread_mutex_lock(&s->lock);
	f = queue_take(&s->to_guest);
	/* The eventfd is cleared only once the queue is empty. */
	if (!s->to_guest.head && read(nb->rx_fd[0], &v, sizeof(v)) < 0)
		v = 0;
	pthread_mutex_unlock(&s->lock);
	if (!f)
		return 0;
	ret = f->len <= len ? (ssize_t)f->len : -1;
	if (ret > 0)
		memcpy(buf, f->data, f->len);
	free(f);
	return ret;
}

static int slirp_hostfwd(struct net_backend *nb, const struct net_hostfwd *h,
			 bool add)
{
	struct slirp_backend *s = (struct slirp_backend *)nb;
	int ret;

	pthread_mutex_lock(&s->lock);
	while (s->fwd && !s->stop) /* one request at a time */
		pthread_cond_wait(&s->fwd_done, &s->lock);
	s->fwd = h;
	s->fwd_add = add;
	signal_fd(s->wake_fd);
	while (s->fwd == h && !s->stop)
		pthread_cond_wait(&s->fwd_done, &s->lock);
	ret = s->fwd == h ? -1 : s->fwd_result;
	if (s->fwd == h)
		s->fwd = NULL;
	errno = s->fwd_errno;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void slirp_destroy(struct net_backend *nb)
{
	struct slirp_backend *s = (struct slirp_backend *)nb;

	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->fwd_done);
		pthread_mutex_unlock(&s->lock);
		signal_fd(s->wake_fd);
		pthread_join(s->thread, NULL);
	}
	if (s->slirp)
		slirp_cleanup(s->slirp);
	while (s->timers)
		cb_timer_free(s->timers, s);
	queue_free(&s->to_slirp);
	queue_free(&s->to_guest);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (nb->rx_fd[0] >= 0)
		close(nb->rx_fd[0]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->fwd_done);
	free(s->pfds);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.send = slirp_send,
	.recv = slirp_recv,
	.hostfwd = slirp_hostfwd,
	.destroy = slirp_destroy,
};

struct net_backend *net_slirp_create(const struct net_slirp_options *o)
{
	struct slirp_backend *s = calloc(1, sizeof(*s));
	SlirpConfig cfg = {
		.version = 4,
		.in_enabled = true,
		.vhostname = "scorpi",
		.if_mtu = 1500,
		.if_mru = 1500,
	};

	if (!s)
		return NULL;
	s->nb.ops = &slirp_ops;
	s->nb.nqueues = 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->fwd_done, NULL);
	queue_init(&s->to_slirp);
	queue_init(&s->to_guest);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->nb.rx_fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0 || s->nb.rx_fd[0] < 0) {
		log_error("virtio-net slirp: %s", strerror(errno));
		goto fail;
	}
	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
	if (!s->slirp) {
		log_error("virtio-net slirp: cannot start user networking");
		goto fail;
	}
	for (unsigned int i = 0; i < o->nhostfwd; i++) {
		const struct net_hostfwd *h = &o->hostfwd[i];

		if (apply_hostfwd(s->slirp, h, true) < 0) {
			log_error(
				"virtio-net: hostfwd=%s::%u-:%u: cannot listen on host port %u: %s",
				h->udp ? "udp" : "tcp", h->host_port,
				h->guest_port, h->host_port, strerror(errno));
			goto fail;
		}
	}
	if (pthread_create(&s->thread, NULL, slirp_thread, s) != 0) {
		log_error("virtio-net slirp: cannot start its thread");
		goto fail;
	}
	s->thread_started = true;
	return &s->nb;
fail:
	slirp_destroy(&s->nb);
	return NULL;
}
