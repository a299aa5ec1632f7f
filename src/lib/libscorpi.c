// SPDX-License-Identifier: MIT
/*
 * libscorpi's public API (include/scorpi/scorpi.h) over the VM object:
 * handles, error codes with messages, events.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../include/scorpi/scorpi.h"
#include "../base/log.h"
#include "../core/cli.h"
#include "../core/config.h"
#include "../core/sandbox.h"
#include "../core/vm.h"

struct scorpi_config {
	struct vm_config cfg;
};

#define MAX_SUBSCRIBERS (VM_MAX_LISTENERS - 2) /* room for vm-control */

struct scorpi_vm {
	struct vm *vm;
	pthread_mutex_t lock;
	struct {
		scorpi_event_fn fn;
		void *ctx;
	} subs[MAX_SUBSCRIBERS];
	unsigned int nsubs;
};

static const char *const error_texts[] = {
	[SCORPI_OK] = "success",
	[SCORPI_ERR_INVALID] = "invalid description",
	[SCORPI_ERR_NOT_SUPPORTED] = "not supported yet",
	[SCORPI_ERR_IO] = "cannot open a file",
	[SCORPI_ERR_HYPERVISOR] = "hypervisor unavailable",
	[SCORPI_ERR_NO_MEMORY] = "out of memory",
	[SCORPI_ERR_DEVICE] = "device set-up failed",
	[SCORPI_ERR_STATE] = "not possible in the VM's state",
	[SCORPI_ERR_SYSTEM] = "system error",
};

const char *scorpi_strerror(int code)
{
	if (code < 0 ||
	    code >= (int)(sizeof(error_texts) / sizeof(*error_texts)))
		return "unknown error";
	return error_texts[code];
}

const char *scorpi_version(void)
{
	return SCORPI_VERSION;
}

/* Error messages of the calls in between go to err, not stderr. */
static void begin(scorpi_error *err)
{
	if (err) {
		err->code = SCORPI_OK;
		log_capture_begin(err->message, sizeof(err->message));
	}
}

static int end(scorpi_error *err, int code)
{
	if (err) {
		log_capture_end();
		err->code = code;
		if (code && !err->message[0])
			snprintf(err->message, sizeof(err->message), "%s",
				 scorpi_strerror(code));
		if (!code)
			err->message[0] = 0;
	}
	return code;
}

int scorpi_set_vcpu_signal(int signo, scorpi_error *err)
{
	begin(err);
	if (signo != SIGUSR1 && signo != SIGUSR2 &&
	    (signo < SIGRTMIN || signo > SIGRTMAX)) {
		log_error("signal %d cannot kick vCPUs: SIGUSR1, SIGUSR2 or "
			  "a real-time signal",
			  signo);
		return end(err, SCORPI_ERR_INVALID);
	}
	if (vm_set_kick_signal(signo) < 0) {
		log_error("the vCPU signal is %d already: a VM was started",
			  vm_kick_signal());
		return end(err, SCORPI_ERR_STATE);
	}
	return end(err, SCORPI_OK);
}

int scorpi_vcpu_signal(void)
{
	return vm_kick_signal();
}

int scorpi_set_sandbox(int on, scorpi_error *err)
{
	begin(err);
	if (!on && sandbox_installed()) {
		log_error(
			"the sandbox is installed: it stays for the process's life");
		return end(err, SCORPI_ERR_STATE);
	}
	sandbox_allow(on != 0);
	return end(err, SCORPI_OK);
}

scorpi_config *scorpi_config_new(scorpi_error *err)
{
	scorpi_config *c = calloc(1, sizeof(*c));

	begin(err);
	if (!c) {
		end(err, SCORPI_ERR_NO_MEMORY);
		return NULL;
	}
	config_init(&c->cfg);
	end(err, SCORPI_OK);
	return c;
}

scorpi_config *scorpi_config_from_yaml(const char *text, size_t len,
				       const char *name, scorpi_error *err)
{
	scorpi_config *c = scorpi_config_new(err);

	if (!c)
		return NULL;
	begin(err);
	if (config_load_yaml(&c->cfg, text, len, name ? name : "yaml") < 0) {
		end(err, SCORPI_ERR_INVALID);
		scorpi_config_free(c);
		return NULL;
	}
	end(err, SCORPI_OK);
	return c;
}

void scorpi_config_free(scorpi_config *c)
{
	if (!c)
		return;
	config_free(&c->cfg);
	free(c);
}

int scorpi_config_set(scorpi_config *c, const char *key, const char *value,
		      scorpi_error *err)
{
	int ret;

	begin(err);
	if (!c || !key || !value) {
		log_error("scorpi_config_set: a NULL argument");
		return end(err, SCORPI_ERR_INVALID);
	}
	ret = config_set(&c->cfg, key, value, key);
	return end(err, ret ? SCORPI_ERR_INVALID : SCORPI_OK);
}

int scorpi_config_add_device(scorpi_config *c, enum scorpi_bus bus,
			     const char *spec, scorpi_error *err)
{
	struct vm_config parsed;

	begin(err);
	if (!c || !spec || bus < SCORPI_BUS_PCI || bus > SCORPI_BUS_LPC) {
		log_error("scorpi_config_add_device: a bad argument");
		return end(err, SCORPI_ERR_INVALID);
	}
	/* On a copy: a device that fails leaves the description as it was. */
	if (config_copy(&parsed, &c->cfg) < 0)
		return end(err, SCORPI_ERR_NO_MEMORY);
	if (cli_add_device(&parsed, (enum dev_bus)bus, spec) < 0) {
		config_free(&parsed);
		return end(err, SCORPI_ERR_INVALID);
	}
	config_free(&c->cfg);
	c->cfg = parsed;
	return end(err, SCORPI_OK);
}

char *scorpi_config_to_yaml(const scorpi_config *c)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	config_write_yaml(&c->cfg, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void forward_event(void *ctx, struct vm *vm, const struct vm_event *ev)
{
	scorpi_vm *h = ctx;
	scorpi_event e = {
		.type = ev->type == VM_EVENT_CONSOLE ? SCORPI_EVENT_CONSOLE
						     : SCORPI_EVENT_STATE,
		.state = (int)ev->state,
		.exit_code = ev->exit_code,
		.data = ev->data,
		.len = ev->len,
	};
	unsigned int n;
	struct {
		scorpi_event_fn fn;
		void *ctx;
	} subs[MAX_SUBSCRIBERS];

	(void)vm;
	pthread_mutex_lock(&h->lock);
	n = h->nsubs;
	memcpy(subs, h->subs, n * sizeof(subs[0]));
	pthread_mutex_unlock(&h->lock);
	for (unsigned int i = 0; i < n; i++)
		subs[i].fn(h, &e, subs[i].ctx);
}

int scorpi_vm_subscribe(scorpi_vm *h, scorpi_event_fn fn, void *ctx,
			scorpi_error *err)
{
	int code = SCORPI_OK;

	begin(err);
	pthread_mutex_lock(&h->lock);
	if (!fn) {
		log_error("scorpi_vm_subscribe: no function");
		code = SCORPI_ERR_INVALID;
	} else if (h->nsubs == MAX_SUBSCRIBERS) {
		log_error("at most %d subscribers per VM", MAX_SUBSCRIBERS);
		code = SCORPI_ERR_INVALID;
	} else {
		h->subs[h->nsubs].fn = fn;
		h->subs[h->nsubs].ctx = ctx;
		h->nsubs++;
	}
	pthread_mutex_unlock(&h->lock);
	return end(err, code);
}

int scorpi_vm_unsubscribe(scorpi_vm *h, scorpi_event_fn fn, void *ctx)
{
	int code = SCORPI_ERR_INVALID;

	pthread_mutex_lock(&h->lock);
	for (unsigned int i = 0; i < h->nsubs; i++) {
		if (h->subs[i].fn == fn && h->subs[i].ctx == ctx) {
			h->subs[i] = h->subs[--h->nsubs];
			code = SCORPI_OK;
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return code;
}

scorpi_vm *scorpi_vm_start(const scorpi_config *c, scorpi_event_fn fn,
			   void *ctx, scorpi_error *err)
{
	scorpi_vm *h;
	int code;

	if (!c) {
		begin(err);
		log_error("scorpi_vm_start: no description");
		end(err, SCORPI_ERR_INVALID);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	begin(err);
	if (!h) {
		end(err, SCORPI_ERR_NO_MEMORY);
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	if (fn) {
		h->subs[0].fn = fn;
		h->subs[0].ctx = ctx;
		h->nsubs = 1;
	}
	h->vm = vm_create(&c->cfg, &code);
	if (h->vm && vm_add_listener(h->vm, forward_event, h) < 0)
		code = SCORPI_ERR_SYSTEM;
	if (h->vm && code == SCORPI_OK && vm_start(h->vm) < 0)
		code = SCORPI_ERR_SYSTEM;
	if (code != SCORPI_OK) {
		vm_destroy(h->vm);
		pthread_mutex_destroy(&h->lock);
		free(h);
		end(err, code);
		return NULL;
	}
	end(err, SCORPI_OK);
	return h;
}

int scorpi_vm_state(scorpi_vm *h)
{
	return (int)vm_get_state(h->vm);
}

/* A control call: SCORPI_ERR_STATE, with a message, when it cannot be. */
static int control(scorpi_vm *h, int (*fn)(struct vm *), const char *what,
		   scorpi_error *err)
{
	enum vm_state s;

	begin(err);
	if (fn(h->vm) == 0)
		return end(err, SCORPI_OK);
	s = vm_get_state(h->vm);
	log_error("cannot %s a VM that is %s", what, vm_state_name(s));
	return end(err, SCORPI_ERR_STATE);
}

int scorpi_vm_pause(scorpi_vm *h, scorpi_error *err)
{
	return control(h, vm_pause, "pause", err);
}

int scorpi_vm_resume(scorpi_vm *h, scorpi_error *err)
{
	return control(h, vm_resume, "resume", err);
}

int scorpi_vm_powerdown(scorpi_vm *h, scorpi_error *err)
{
	return control(h, vm_powerdown, "power down", err);
}

static int request(struct vm *vm, enum vm_request req)
{
	enum vm_state s = vm_get_state(vm);

	if (s == VM_STATE_STOPPED || s == VM_STATE_SHUTTING_DOWN)
		return -1;
	vm_request(vm, req);
	return 0;
}

static int request_reset(struct vm *vm)
{
	return request(vm, VM_REQ_HOST_RESET);
}

/* Ends the VM in any state; one that is ending already just ends. */
static int request_stop(struct vm *vm)
{
	if (vm_get_state(vm) == VM_STATE_STOPPED)
		return -1;
	vm_request(vm, VM_REQ_STOP);
	return 0;
}

int scorpi_vm_reset(scorpi_vm *h, scorpi_error *err)
{
	return control(h, request_reset, "reset", err);
}

int scorpi_vm_stop(scorpi_vm *h, scorpi_error *err)
{
	return control(h, request_stop, "stop", err);
}

int scorpi_vm_wait(scorpi_vm *h)
{
	return vm_wait(h->vm);
}

void scorpi_vm_free(scorpi_vm *h)
{
	if (!h)
		return;
	vm_destroy(h->vm);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
