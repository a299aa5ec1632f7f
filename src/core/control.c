// SPDX-License-Identifier: MIT
/*
 * vm-control: the VM's control socket (docs/control-socket.md). A Unix
 * stream socket, mode 0600, served on the VM's event loop; one JSON
 * request per line, one response per request, events pushed to every
 * client. A client that sends garbage gets an error and stays connected;
 * one that stops reading is dropped, so the VM never waits on a client.
 * Only the VMM's own user and root are answered.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/unix_socket.h"
#include "control_request.h"
#include "device.h"
#include "vm.h"

#define CONTROL_MAX_CLIENTS 8

struct control_client {
	int fd; /* -1: a free place */
	bool dead; /* a write failed: closed by the event loop */
	struct control_lines lines;
};

struct vm_control_socket {
	struct vm *vm;
	struct event_loop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	bool listening;
	struct unix_refusals refusals; /* the event loop's */
	/* Writes to clients: events come from other threads too. */
	pthread_mutex_t lock;
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

static int control_check(const struct dev_config *dc)
{
	const char *path = dev_opt(dc, "path");

	if (!path || !path[0]) {
		log_error("%s: vm-control: no socket path: -l PATH",
			  dc->origin);
		return -1;
	}
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		log_error("%s: vm-control: a socket path is at most %zu bytes",
			  dc->origin,
			  sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -1;
	}
	return 0;
}

/* Sends one line; a client that cannot take it now is dropped. */
static void client_send_locked(struct control_client *c, const char *text)
{
	size_t len = strlen(text);
	char *line = malloc(len + 1);
	ssize_t n;

	if (c->fd < 0 || c->dead)
		goto out;
	if (!line) {
		c->dead = true;
		goto out;
	}
	memcpy(line, text, len);
	line[len] = '\n';
	n = send(c->fd, line, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)len + 1) {
		/* Half a line would garble the stream: the client goes. */
		c->dead = true;
		shutdown(c->fd, SHUT_RDWR);
	}
out:
	free(line);
}

/* Sends v (its reference taken) to every client. */
static void control_broadcast(struct vm_control_socket *s, json_t *v)
{
	char *text = v ? json_text(v) : NULL;

	json_decref(v);
	if (!text)
		return;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		client_send_locked(&s->clients[i], text);
	pthread_mutex_unlock(&s->lock);
	free(text);
}

/* {"event":NAME,"data":DATA}, DATA's reference taken. */
static json_t *event_new(const char *name, json_t *data)
{
	json_t *ev = json_object();
	int ret = json_object_set_new(ev, "event", json_string(name));

	ret |= json_object_set_new(ev, "data", data);
	if (ret < 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

static void control_on_event(void *ctx, struct vm *vm,
			     const struct vm_event *ev)
{
	struct vm_control_socket *s = ctx;
	json_t *data;

	(void)vm;
	if (ev->type != VM_EVENT_STATE)
		return;
	data = json_object();
	json_object_set_new(data, "state",
			    json_string(vm_state_name(ev->state)));
	control_broadcast(s, event_new("state", data));
	if (ev->state != VM_STATE_STOPPED)
		return;
	data = json_object();
	json_object_set_new(data, "exit_code", json_integer(ev->exit_code));
	json_object_set_new(data, "reason", json_string_lossy(ev->reason));
	control_broadcast(s, event_new("stopped", data));
}

static void cmd_status(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;
	struct vm *vm = s->vm;
	const struct vm_config *cfg = vm_get_config(vm);

	(void)args;
	json_object_set_new(r->result, "name", json_string_lossy(cfg->name));
	json_object_set_new(r->result, "state",
			    json_string(vm_state_name(vm_get_state(vm))));
	json_object_set_new(r->result, "cpus", json_uint(cfg->cpus));
	json_object_set_new(r->result, "memory", json_uint(cfg->mem_size));
	json_object_set_new(r->result, "uptime_ms",
			    json_uint(vm_uptime_ms(vm)));
}

/* The VM exits the VMM has handled so far, by reason (bench/). */
static void cmd_stats(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;

	(void)args;
	vm_write_exit_counts(s->vm, r->result);
}

static void wrong_state(struct vm_control_socket *s, struct control_reply *r,
			const char *what)
{
	control_reply_error(r, "wrong-state", "cannot %s: the VM is %s", what,
			    vm_state_name(vm_get_state(s->vm)));
}

static void cmd_pause(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;

	(void)args;
	if (vm_pause(s->vm) < 0)
		wrong_state(s, r, "pause");
}

static void cmd_resume(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;

	(void)args;
	if (vm_resume(s->vm) < 0)
		wrong_state(s, r, "resume");
}

static void cmd_powerdown(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;

	(void)args;
	if (vm_powerdown(s->vm) < 0)
		wrong_state(s, r, "power down");
}

static bool vm_is_ending(struct vm *vm)
{
	enum vm_state st = vm_get_state(vm);

	return st == VM_STATE_SHUTTING_DOWN || st == VM_STATE_STOPPED;
}

static void cmd_reset(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;

	(void)args;
	if (vm_is_ending(s->vm))
		wrong_state(s, r, "reset");
	else
		vm_request(s->vm, VM_REQ_HOST_RESET);
}

static void cmd_quit(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;

	(void)args;
	if (vm_is_ending(s->vm))
		wrong_state(s, r, "quit");
	else
		vm_request(s->vm, VM_REQ_STOP);
}

/* The id a device goes by: its own, or its kind and its rank among them. */
static void device_id(struct vm *vm, unsigned int i, char *buf, size_t len)
{
	const struct vm_config *cfg = vm_get_config(vm);
	const struct dev_config *dc = &cfg->devices[i];
	unsigned int rank = 0;

	if (dc->id) {
		snprintf(buf, len, "%s", dc->id);
		return;
	}
	for (unsigned int j = 0; j < i; j++)
		rank += cfg->devices[j].cls == dc->cls;
	snprintf(buf, len, "%s%u", dc->cls->name, rank);
}

static void cmd_devices(void *ctx, json_t *args, struct control_reply *r)
{
	struct vm_control_socket *s = ctx;
	struct vm *vm = s->vm;
	json_t *list = json_array();
	char id[DEV_ID_MAX + 16];

	(void)args;
	for (unsigned int i = 0; i < vm_device_count(vm); i++) {
		const struct dev_config *dc = &vm_get_config(vm)->devices[i];
		const struct vm_device *d = vm_get_device(vm, i);
		json_t *o = json_object();

		device_id(vm, i, id, sizeof(id));
		json_object_set_new(o, "id", json_string_lossy(id));
		json_object_set_new(o, "device",
				    json_string_lossy(dc->cls->name));
		json_object_set_new(o, "bus",
				    json_string_lossy(dev_bus_name(dc->bus)));
		if (dc->bus == DEV_BUS_PCI) {
			json_object_set_new(o, "slot", json_uint(dc->slot));
			json_object_set_new(o, "func", json_uint(dc->func));
		}
		json_object_set_new(
			o, "state",
			json_string_lossy(d->cls->state
						  ? d->cls->state(d->state)
						  : "ready"));
		json_array_append_new(list, o);
	}
	json_object_set_new(r->result, "devices", list);
}

/* hostfwd-add, hostfwd-remove: to the named device, or the first taker. */
static void cmd_device_control(struct vm_control_socket *s, const char *command,
			       json_t *args, struct control_reply *r)
{
	struct vm *vm = s->vm;
	const char *rule = json_string_value(json_object_get(args, "rule"));
	const char *want = json_string_value(json_object_get(args, "device"));
	char id[DEV_ID_MAX + 16], msg[200] = "";
	bool found = false;

	for (unsigned int i = 0; i < vm_device_count(vm); i++) {
		const struct vm_device *d = vm_get_device(vm, i);
		int ret;

		device_id(vm, i, id, sizeof(id));
		if (want && strcmp(want, id))
			continue;
		found = true;
		ret = d->cls->control ? d->cls->control(d->state, command, rule,
							msg, sizeof(msg))
				      : DEV_CONTROL_UNKNOWN;
		if (ret == DEV_CONTROL_UNKNOWN && !want)
			continue;
		if (ret == DEV_CONTROL_UNKNOWN)
			control_reply_error(r, "bad-arguments",
					    "device %s has no slirp network",
					    want);
		else if (ret < 0)
			control_reply_error(r,
					    ret == DEV_CONTROL_BAD_ARGS
						    ? "bad-arguments"
						    : "failed",
					    "%s", msg);
		return;
	}
	if (want && !found)
		control_reply_error(r, "bad-arguments",
				    "no device %.64s (see devices)", want);
	else
		control_reply_error(r, "bad-arguments",
				    "this VM has no slirp network");
}

static void cmd_hostfwd_add(void *ctx, json_t *args, struct control_reply *r)
{
	cmd_device_control(ctx, "hostfwd-add", args, r);
}

static void cmd_hostfwd_remove(void *ctx, json_t *args, struct control_reply *r)
{
	cmd_device_control(ctx, "hostfwd-remove", args, r);
}

static const struct control_arg hostfwd_args[] = {
	{ "rule", true, "tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT" },
	{ "device", false, NULL },
	{ 0 },
};

const struct control_command vm_control_commands[] = {
	{ "status", NULL, cmd_status },
	{ "pause", NULL, cmd_pause },
	{ "resume", NULL, cmd_resume },
	{ "reset", NULL, cmd_reset },
	{ "quit", NULL, cmd_quit },
	{ "powerdown", NULL, cmd_powerdown },
	{ "devices", NULL, cmd_devices },
	{ "stats", NULL, cmd_stats },
	{ "hostfwd-add", hostfwd_args, cmd_hostfwd_add },
	{ "hostfwd-remove", hostfwd_args, cmd_hostfwd_remove },
};
const size_t vm_control_ncommands =
	sizeof(vm_control_commands) / sizeof(vm_control_commands[0]);

struct line_ctx {
	struct vm_control_socket *s;
	struct control_client *c;
};

/* One request line (NULL: too long) answered. */
static void client_reply(void *opaque, const char *line, size_t len)
{
	struct line_ctx *lc = opaque;
	char *text = control_respond(vm_control_commands, vm_control_ncommands,
				     lc->s, line, len);

	pthread_mutex_lock(&lc->s->lock);
	client_send_locked(lc->c, text ? text : control_oom_response);
	pthread_mutex_unlock(&lc->s->lock);
	free(text);
}

static void client_close(struct vm_control_socket *s, struct control_client *c)
{
	event_loop_remove(s->loop, c->fd);
	pthread_mutex_lock(&s->lock);
	close(c->fd);
	c->fd = -1;
	c->dead = false;
	pthread_mutex_unlock(&s->lock);
}

static void control_on_client(void *opaque, int fd, uint32_t events)
{
	struct vm_control_socket *s = opaque;
	struct control_client *c = NULL;
	char in[4096];
	ssize_t n;

	(void)events;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (s->clients[i].fd == fd)
			c = &s->clients[i];
	if (!c)
		return;
	n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || c->dead) {
		client_close(s, c);
		return;
	}
	control_lines_feed(&c->lines, in, (size_t)n, client_reply,
			   &(struct line_ctx){ s, c });
	if (c->dead)
		client_close(s, c);
}

/*
 * A client of another user: one error line, then the connection is
 * closed. What it sent already is read first, so that it sees the line
 * and then the end, rather than a reset.
 */
static void control_refuse(struct vm_control_socket *s, int cfd, uid_t uid)
{
	char line[200], allowed[32], junk[4096];

	unix_log_refusal(&s->refusals, "vm-control", s->path, uid);
	unix_allowed_users(allowed, sizeof(allowed));
	snprintf(line, sizeof(line),
		 "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
		 "\"permission-denied\",\"message\":\"only %s may use this "
		 "socket\"}}\n",
		 allowed);
	if (send(cfd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("vm-control: %s: %s", s->path, strerror(errno));
	for (int i = 0; i < 16; i++)
		if (recv(cfd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
	close(cfd);
}

static void control_on_accept(void *opaque, int fd, uint32_t events)
{
	struct vm_control_socket *s = opaque;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	uid_t uid;

	(void)events;
	if (cfd < 0)
		return;
	if (!unix_peer_allowed(cfd, &uid)) {
		control_refuse(s, cfd, uid);
		return;
	}
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *c = &s->clients[i];

		if (c->fd >= 0)
			continue;
		if (event_loop_add(s->loop, cfd, control_on_client, s) < 0)
			break;
		pthread_mutex_lock(&s->lock);
		c->fd = cfd;
		c->dead = false;
		control_lines_init(&c->lines);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	close(cfd); /* full */
}

/*
 * A path that holds a socket nobody listens on is what a VMM that crashed
 * left: it is taken over. A live socket or any other file is refused.
 */
static int control_claim_path(const char *path, const char *origin)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s: vm-control: %s exists and is not a socket",
			  origin, path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0) {
		log_error("%s: vm-control: %s is in use by another VM", origin,
			  path);
		return -1;
	}
	unlink(path);
	return 0;
}

static void control_destroy(void *state)
{
	struct vm_control_socket *s = state;

	vm_remove_listener(s->vm, control_on_event, s);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			client_close(s, &s->clients[i]);
	if (s->listen_fd >= 0) {
		event_loop_remove(s->loop, s->listen_fd);
		close(s->listen_fd);
	}
	if (s->listening)
		unlink(s->path);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void *control_create(struct vm *vm, const struct dev_config *dc)
{
	struct vm_control_socket *s = calloc(1, sizeof(*s));
	const char *path = dev_opt(dc, "path");

	if (!s)
		return NULL;
	s->vm = vm;
	s->loop = vm_event_loop(vm);
	s->listen_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (control_claim_path(s->path, dc->origin) < 0)
		goto fail;
	/* Mode 0600 whatever the umask (unix_socket.c says how). */
	s->listen_fd = unix_listen_private(s->path, 8);
	if (s->listen_fd < 0) {
		log_error("%s: vm-control: %s: %s", dc->origin, s->path,
			  strerror(errno));
		goto fail;
	}
	s->listening = true;
	if (event_loop_add(s->loop, s->listen_fd, control_on_accept, s) < 0 ||
	    vm_add_listener(vm, control_on_event, s) < 0) {
		log_error("%s: vm-control: %s: %s", dc->origin, s->path,
			  strerror(errno));
		goto fail;
	}
	return s;
fail:
	control_destroy(s);
	return NULL;
}

static void control_reset(void *state)
{
	(void)state; /* the socket outlives guest resets */
}

static const struct dev_opt_spec control_opts[] = {
	{ "path", DEV_OPT_STRING, false,
	  "where the socket is made (mode 0600)" },
	{ 0 },
};

const struct device_class vm_control_class = {
	.name = "vm-control",
	.help = "the control socket: JSON commands (docs/control-socket.md)",
	.bus = DEV_BUS_LPC,
	.flags = DEVICE_LPC_PATH,
	.positional = "path",
	.opts = control_opts,
	.check = control_check,
	.create = control_create,
	.reset = control_reset,
	.destroy = control_destroy,
};
DEVICE_REGISTER(vm_control_class);
