// SPDX-License-Identifier: MIT
/*
 * vm-control: the VM's control socket (docs/control-socket.md). A Unix
 * stream socket, mode 0600, served on the VM's event loop; one JSON
 * request per line, one response per request, events pushed to every
 * client. A client that sends garbage gets an error and stays connected;
 * one that stops reading is dropped, so the VM never waits on a client.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "device.h"
#include "json.h"
#include "log.h"
#include "vm.h"

#define CONTROL_LINE_MAX 4096
#define CONTROL_MAX_CLIENTS 8

struct control_client {
	int fd; /* -1: a free place */
	bool discarding; /* inside a line that was too long */
	bool dead; /* a write failed: closed by the event loop */
	size_t len;
	char buf[CONTROL_LINE_MAX + 1];
};

struct vm_control_socket {
	struct vm *vm;
	struct event_loop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	bool listening;
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

static void control_broadcast(struct vm_control_socket *s, const char *text)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		client_send_locked(&s->clients[i], text);
	pthread_mutex_unlock(&s->lock);
}

static void control_on_event(void *ctx, struct vm *vm,
			     const struct vm_event *ev)
{
	struct vm_control_socket *s = ctx;
	struct json_writer w;

	(void)vm;
	if (ev->type != VM_EVENT_STATE)
		return;
	jw_init(&w);
	jw_object_begin(&w);
	jw_key(&w, "event");
	jw_string(&w, "state");
	jw_key(&w, "data");
	jw_object_begin(&w);
	jw_key(&w, "state");
	jw_string(&w, vm_state_name(ev->state));
	jw_object_end(&w);
	jw_object_end(&w);
	if (jw_text(&w))
		control_broadcast(s, jw_text(&w));
	jw_free(&w);
	if (ev->state != VM_STATE_STOPPED)
		return;
	jw_init(&w);
	jw_object_begin(&w);
	jw_key(&w, "event");
	jw_string(&w, "stopped");
	jw_key(&w, "data");
	jw_object_begin(&w);
	jw_key(&w, "exit_code");
	jw_int(&w, ev->exit_code);
	jw_key(&w, "reason");
	jw_string(&w, ev->reason);
	jw_object_end(&w);
	jw_object_end(&w);
	if (jw_text(&w))
		control_broadcast(s, jw_text(&w));
	jw_free(&w);
}

/* A response in the making: the command fills result or sets an error. */
struct reply {
	struct json_writer result; /* the members of "result" */
	const char *code; /* NULL: ok */
	char message[256];
};

static void reply_error(struct reply *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(struct reply *r, const char *code, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static void cmd_status(struct vm_control_socket *s,
		       const struct json_value *args, struct reply *r)
{
	struct vm *vm = s->vm;

	(void)args;
	jw_key(&r->result, "name");
	jw_string(&r->result, vm->cfg.name);
	jw_key(&r->result, "state");
	jw_string(&r->result, vm_state_name(vm_get_state(vm)));
	jw_key(&r->result, "cpus");
	jw_uint(&r->result, vm->cfg.cpus);
	jw_key(&r->result, "memory");
	jw_uint(&r->result, vm->cfg.mem_size);
	jw_key(&r->result, "uptime_ms");
	jw_uint(&r->result, vm_uptime_ms(vm));
}

/* The VM exits the VMM has handled so far, by reason (bench/). */
static void cmd_stats(struct vm_control_socket *s,
		      const struct json_value *args, struct reply *r)
{
	(void)args;
	vm_write_exit_counts(s->vm, &r->result);
}

static void wrong_state(struct vm_control_socket *s, struct reply *r,
			const char *what)
{
	reply_error(r, "wrong-state", "cannot %s: the VM is %s", what,
		    vm_state_name(vm_get_state(s->vm)));
}

static void cmd_pause(struct vm_control_socket *s,
		      const struct json_value *args, struct reply *r)
{
	(void)args;
	if (vm_pause(s->vm) < 0)
		wrong_state(s, r, "pause");
}

static void cmd_resume(struct vm_control_socket *s,
		       const struct json_value *args, struct reply *r)
{
	(void)args;
	if (vm_resume(s->vm) < 0)
		wrong_state(s, r, "resume");
}

static void cmd_powerdown(struct vm_control_socket *s,
			  const struct json_value *args, struct reply *r)
{
	(void)args;
	if (vm_powerdown(s->vm) < 0)
		wrong_state(s, r, "power down");
}

static bool vm_is_ending(struct vm *vm)
{
	enum vm_state st = vm_get_state(vm);

	return st == VM_STATE_SHUTTING_DOWN || st == VM_STATE_STOPPED;
}

static void cmd_reset(struct vm_control_socket *s,
		      const struct json_value *args, struct reply *r)
{
	(void)args;
	if (vm_is_ending(s->vm))
		wrong_state(s, r, "reset");
	else
		vm_request(s->vm, VM_REQ_HOST_RESET);
}

static void cmd_quit(struct vm_control_socket *s, const struct json_value *args,
		     struct reply *r)
{
	(void)args;
	if (vm_is_ending(s->vm))
		wrong_state(s, r, "quit");
	else
		vm_request(s->vm, VM_REQ_STOP);
}

/* The id a device goes by: its own, or its kind and its rank among them. */
static void device_id(struct vm *vm, unsigned int i, char *buf, size_t len)
{
	const struct dev_config *dc = &vm->cfg.devices[i];
	unsigned int rank = 0;

	if (dc->id) {
		snprintf(buf, len, "%s", dc->id);
		return;
	}
	for (unsigned int j = 0; j < i; j++)
		rank += vm->cfg.devices[j].cls == dc->cls;
	snprintf(buf, len, "%s%u", dc->cls->name, rank);
}

static void cmd_devices(struct vm_control_socket *s,
			const struct json_value *args, struct reply *r)
{
	struct vm *vm = s->vm;
	struct json_writer *w = &r->result;
	char id[DEV_ID_MAX + 16];

	(void)args;
	jw_key(w, "devices");
	jw_array_begin(w);
	for (unsigned int i = 0; i < vm->ndevices; i++) {
		const struct dev_config *dc = &vm->cfg.devices[i];
		const struct vm_device *d = &vm->devices[i];

		device_id(vm, i, id, sizeof(id));
		jw_object_begin(w);
		jw_key(w, "id");
		jw_string(w, id);
		jw_key(w, "device");
		jw_string(w, dc->cls->name);
		jw_key(w, "bus");
		jw_string(w, dev_bus_name(dc->bus));
		if (dc->bus == DEV_BUS_PCI) {
			jw_key(w, "slot");
			jw_uint(w, dc->slot);
			jw_key(w, "func");
			jw_uint(w, dc->func);
		}
		jw_key(w, "state");
		jw_string(w, d->cls->state ? d->cls->state(d->state) : "ready");
		jw_object_end(w);
	}
	jw_array_end(w);
}

/* hostfwd-add, hostfwd-remove: to the named device, or the first taker. */
static void cmd_device_control(struct vm_control_socket *s, const char *command,
			       const struct json_value *args, struct reply *r)
{
	struct vm *vm = s->vm;
	const char *rule = json_get_string(args, "rule");
	const char *want = json_get_string(args, "device");
	char id[DEV_ID_MAX + 16], msg[200] = "";
	bool found = false;

	if (!rule) {
		reply_error(
			r, "bad-arguments",
			"%s needs a rule: tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT",
			command);
		return;
	}
	if (json_get(args, "device") && !want) {
		reply_error(r, "bad-arguments", "device must be a string");
		return;
	}
	for (unsigned int i = 0; i < vm->ndevices; i++) {
		const struct vm_device *d = &vm->devices[i];
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
			reply_error(r, "bad-arguments",
				    "device %s has no slirp network", want);
		else if (ret < 0)
			reply_error(r,
				    ret == DEV_CONTROL_BAD_ARGS
					    ? "bad-arguments"
					    : "failed",
				    "%s", msg);
		return;
	}
	if (want && !found)
		reply_error(r, "bad-arguments", "no device %s (see devices)",
			    want);
	else
		reply_error(r, "bad-arguments", "this VM has no slirp network");
}

static void cmd_hostfwd_add(struct vm_control_socket *s,
			    const struct json_value *args, struct reply *r)
{
	cmd_device_control(s, "hostfwd-add", args, r);
}

static void cmd_hostfwd_remove(struct vm_control_socket *s,
			       const struct json_value *args, struct reply *r)
{
	cmd_device_control(s, "hostfwd-remove", args, r);
}

static const struct {
	const char *name;
	void (*fn)(struct vm_control_socket *s, const struct json_value *args,
		   struct reply *r);
} commands[] = {
	{ "status", cmd_status },
	{ "pause", cmd_pause },
	{ "resume", cmd_resume },
	{ "reset", cmd_reset },
	{ "quit", cmd_quit },
	{ "powerdown", cmd_powerdown },
	{ "devices", cmd_devices },
	{ "stats", cmd_stats },
	{ "hostfwd-add", cmd_hostfwd_add },
	{ "hostfwd-remove", cmd_hostfwd_remove },
};

/* Reads one request line and writes its response into w. */
static void control_handle(struct vm_control_socket *s, const char *line,
			   size_t len, struct json_writer *w)
{
	char perr[128];
	struct json_value *req = json_parse(line, len, perr, sizeof(perr));
	const struct json_value *id = NULL, *args = NULL, *cmd = NULL;
	struct reply r = { .code = NULL };
	size_t i;

	jw_init(&r.result);
	jw_object_begin(&r.result);
	if (!req) {
		reply_error(&r, "bad-request", "not JSON: %s", perr);
		goto respond;
	}
	if (req->type != JSON_OBJECT) {
		reply_error(&r, "bad-request", "a request is a JSON object");
		goto respond;
	}
	id = json_get(req, "id");
	cmd = json_get(req, "command");
	args = json_get(req, "arguments");
	if (id && id->type != JSON_NUMBER && id->type != JSON_STRING) {
		id = NULL;
		reply_error(&r, "bad-request",
			    "id must be a number or a string");
		goto respond;
	}
	if (!cmd || cmd->type != JSON_STRING) {
		reply_error(&r, "bad-request",
			    "no command: {\"id\":1,\"command\":\"status\"}");
		goto respond;
	}
	if (args && args->type != JSON_OBJECT) {
		reply_error(&r, "bad-request", "arguments must be an object");
		goto respond;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd->str, commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		reply_error(&r, "unknown-command", "no command '%.64s'",
			    cmd->str);
		goto respond;
	}
	commands[i].fn(s, args, &r);
respond:
	jw_object_end(&r.result);
	jw_object_begin(w);
	jw_key(w, "id");
	if (id)
		jw_value(w, id);
	else
		jw_null(w);
	jw_key(w, "ok");
	jw_bool(w, !r.code);
	if (r.code) {
		jw_key(w, "error");
		jw_object_begin(w);
		jw_key(w, "code");
		jw_string(w, r.code);
		jw_key(w, "message");
		jw_string(w, r.message);
		jw_object_end(w);
	} else {
		/* The result's text, as built: an object already. */
		struct json_value *res = NULL;
		const char *text = jw_text(&r.result);

		if (text)
			res = json_parse(text, strlen(text), perr,
					 sizeof(perr));
		jw_key(w, "result");
		if (res)
			jw_value(w, res);
		else
			jw_null(w);
		json_free(res);
	}
	jw_object_end(w);
	jw_free(&r.result);
	json_free(req);
}

static void client_reply(struct vm_control_socket *s, struct control_client *c,
			 const char *line, size_t len)
{
	struct json_writer w;

	jw_init(&w);
	if (line) {
		control_handle(s, line, len, &w);
	} else {
		jw_object_begin(&w);
		jw_key(&w, "id");
		jw_null(&w);
		jw_key(&w, "ok");
		jw_bool(&w, false);
		jw_key(&w, "error");
		jw_object_begin(&w);
		jw_key(&w, "code");
		jw_string(&w, "too-long");
		jw_key(&w, "message");
		jw_string(&w, "a request is at most 4096 bytes");
		jw_object_end(&w);
		jw_object_end(&w);
	}
	pthread_mutex_lock(&s->lock);
	client_send_locked(
		c,
		jw_text(&w)
			? jw_text(&w)
			: "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"out of memory\"}}");
	pthread_mutex_unlock(&s->lock);
	jw_free(&w);
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
	for (ssize_t i = 0; i < n; i++) {
		char ch = in[i];

		if (ch == '\n') {
			if (!c->discarding && c->len)
				client_reply(s, c, c->buf, c->len);
			c->discarding = false;
			c->len = 0;
			continue;
		}
		if (c->discarding)
			continue;
		if (c->len == CONTROL_LINE_MAX) {
			client_reply(s, c, NULL, 0);
			c->discarding = true;
			c->len = 0;
			continue;
		}
		c->buf[c->len++] = ch;
	}
	if (c->dead)
		client_close(s, c);
}

static void control_on_accept(void *opaque, int fd, uint32_t events)
{
	struct vm_control_socket *s = opaque;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)events;
	if (cfd < 0)
		return;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *c = &s->clients[i];

		if (c->fd >= 0)
			continue;
		if (event_loop_add(s->loop, cfd, control_on_client, s) < 0)
			break;
		pthread_mutex_lock(&s->lock);
		c->fd = cfd;
		c->len = 0;
		c->discarding = c->dead = false;
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
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
	strcpy(sa.sun_path, s->path);
	if (control_claim_path(s->path, dc->origin) < 0)
		goto fail;
	s->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* The mode before bind, so that the socket is never open to others. */
	if (s->listen_fd < 0 || fchmod(s->listen_fd, 0600) < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_error("%s: vm-control: %s: %s", dc->origin, s->path,
			  strerror(errno));
		goto fail;
	}
	s->listening = true;
	if (chmod(s->path, 0600) < 0 || listen(s->listen_fd, 8) < 0 ||
	    event_loop_add(s->loop, s->listen_fd, control_on_accept, s) < 0 ||
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
	.positional = "path",
	.opts = control_opts,
	.check = control_check,
	.create = control_create,
	.reset = control_reset,
	.destroy = control_destroy,
};
