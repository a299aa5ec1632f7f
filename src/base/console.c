// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "log.h"

#define CTRL_A 0x01

struct console {
	int in_fd;
	int out_fd;
	int space_fd; /* the device made room for input */
	bool raw;
	struct termios saved;
	struct event_loop *loop;
	struct vm_control control;
	console_sink_fn sink;
	void *sink_ctx;
	bool reading; /* in_fd is in the event loop */
	bool eof;
	bool escape; /* the last byte was Ctrl-A */
	uint8_t pending[256];
	size_t pending_off, pending_len;
};

static void console_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct console *c = ctx;

	while (len) {
		ssize_t n = write(c->out_fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the reader went away: output is dropped */
		buf += n;
		len -= n;
	}
}

static void console_rx_space(void *ctx)
{
	struct console *c = ctx;
	uint64_t one = 1;

	if (write(c->space_fd, &one, sizeof(one)) < 0)
		return; /* the counter is already non-zero */
}

static void console_on_input(void *opaque, int fd, uint32_t events);

/* Hands pending input to the device; listens again once all is taken. */
static void console_flush(struct console *c)
{
	if (c->sink && c->pending_off < c->pending_len)
		c->pending_off += c->sink(c->sink_ctx,
					  c->pending + c->pending_off,
					  c->pending_len - c->pending_off);
	if (c->pending_off < c->pending_len) {
		if (c->reading) {
			event_loop_remove(c->loop, c->in_fd);
			c->reading = false;
		}
		return;
	}
	c->pending_off = c->pending_len = 0;
	if (c->reading || c->eof || !c->sink)
		return;
	if (event_loop_add(c->loop, c->in_fd, console_on_input, c) == 0)
		c->reading = true;
	else
		c->eof = true; /* a file or /dev/null: no input to wait for */
}

static void console_on_space(void *opaque, int fd, uint32_t events)
{
	struct console *c = opaque;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	console_flush(c);
}

static void console_on_input(void *opaque, int fd, uint32_t events)
{
	struct console *c = opaque;
	uint8_t buf[sizeof(c->pending)];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)events;
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End of input: the guest keeps running without it. */
		event_loop_remove(c->loop, fd);
		c->reading = false;
		c->eof = true;
		return;
	}
	c->pending_off = c->pending_len = 0;
	for (ssize_t i = 0; i < n; i++) {
		uint8_t b = buf[i];

		if (c->raw && c->escape) {
			c->escape = false;
			if (b == 'x' || b == 'X') {
				vm_control_request(&c->control, VM_REQ_STOP);
				return;
			}
			if (b != CTRL_A)
				continue; /* unknown escape: dropped */
		} else if (c->raw && b == CTRL_A) {
			c->escape = true;
			continue;
		}
		c->pending[c->pending_len++] = b;
	}
	console_flush(c);
}

struct console *console_open_stdio(struct event_loop *loop,
				   const struct vm_control *control)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->in_fd = STDIN_FILENO;
	c->out_fd = STDOUT_FILENO;
	c->loop = loop;
	c->control = *control;
	c->space_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->space_fd < 0 ||
	    event_loop_add(loop, c->space_fd, console_on_space, c) < 0) {
		log_error("console: cannot create its event: %s",
			  strerror(errno));
		if (c->space_fd >= 0)
			close(c->space_fd);
		free(c);
		return NULL;
	}
	if (isatty(c->in_fd) && tcgetattr(c->in_fd, &c->saved) == 0) {
		struct termios raw = c->saved;

		/*
		 * The library installs no signal handler: a program that
		 * wants the terminal back after a crash saves it itself
		 * (src/main.c does).
		 */
		cfmakeraw(&raw);
		if (tcsetattr(c->in_fd, TCSANOW, &raw) == 0)
			c->raw = true;
	}
	return c;
}

void console_chardev(struct console *c, struct chardev *out)
{
	*out = (struct chardev){ console_write, console_rx_space, c };
}

void console_set_sink(struct console *c, console_sink_fn sink, void *ctx)
{
	c->sink = sink;
	c->sink_ctx = ctx;
	console_flush(c); /* starts reading */
}

void console_close(struct console *c)
{
	if (!c)
		return;
	if (c->reading)
		event_loop_remove(c->loop, c->in_fd);
	event_loop_remove(c->loop, c->space_fd);
	close(c->space_fd);
	if (c->raw)
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
	free(c);
}
