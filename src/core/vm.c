// SPDX-License-Identifier: MIT
/*
 * The VM lifecycle: checks, set-up, one thread per vCPU, a main thread
 * with the event loop and reset in place, pause and resume, events, and
 * the exit code. A VM is an object: two can run in one process.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../include/scorpi/scorpi.h"
#include "device.h"
#include "json.h"
#include "log.h"
#include "vm.h"

#define VCPU_STACK_SIZE (256 * 1024)
#define VCPU_KICK_SIGNAL SIGUSR1

static const char *const state_names[] = {
	[VM_STATE_CREATED] = "created",
	[VM_STATE_RUNNING] = "running",
	[VM_STATE_PAUSED] = "paused",
	[VM_STATE_RESETTING] = "resetting",
	[VM_STATE_SHUTTING_DOWN] = "shutting-down",
	[VM_STATE_STOPPED] = "stopped",
};

const char *vm_state_name(enum vm_state state)
{
	return state_names[state];
}

void vm_request(void *opaque, enum vm_request req)
{
	struct vm *vm = opaque;
	int none = VM_REQ_NONE;
	uint64_t one = 1;

	if (atomic_compare_exchange_strong(&vm->request, &none, req) &&
	    write(vm->request_fd, &one, sizeof(one)) < 0)
		log_error("cannot wake the event loop: %s", strerror(errno));
}

/* Tells every listener; the lock is not held, so they may call back. */
static void vm_emit(struct vm *vm, const struct vm_event *ev)
{
	struct {
		vm_event_fn fn;
		void *ctx;
	} l[VM_MAX_LISTENERS];
	unsigned int n;

	pthread_mutex_lock(&vm->lock);
	n = vm->nlisteners;
	memcpy(l, vm->listeners, n * sizeof(l[0]));
	pthread_mutex_unlock(&vm->lock);
	for (unsigned int i = 0; i < n; i++)
		l[i].fn(l[i].ctx, vm, ev);
}

static void vm_set_state_locked(struct vm *vm, enum vm_state state)
{
	vm->state = state;
	pthread_cond_broadcast(&vm->cond);
}

static void vm_set_state(struct vm *vm, enum vm_state state)
{
	struct vm_event ev = { .type = VM_EVENT_STATE, .state = state };

	pthread_mutex_lock(&vm->lock);
	if (vm->state == state) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm_set_state_locked(vm, state);
	pthread_mutex_unlock(&vm->lock);
	vm_emit(vm, &ev);
}

int vm_add_listener(struct vm *vm, vm_event_fn fn, void *ctx)
{
	int ret = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->nlisteners < VM_MAX_LISTENERS) {
		vm->listeners[vm->nlisteners].fn = fn;
		vm->listeners[vm->nlisteners].ctx = ctx;
		vm->nlisteners++;
		ret = 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

void vm_remove_listener(struct vm *vm, vm_event_fn fn, void *ctx)
{
	pthread_mutex_lock(&vm->lock);
	for (unsigned int i = 0; i < vm->nlisteners; i++) {
		if (vm->listeners[i].fn == fn && vm->listeners[i].ctx == ctx) {
			vm->listeners[i] = vm->listeners[--vm->nlisteners];
			break;
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

enum vm_state vm_get_state(struct vm *vm)
{
	enum vm_state s;

	pthread_mutex_lock(&vm->lock);
	s = vm->state;
	pthread_mutex_unlock(&vm->lock);
	return s;
}

uint64_t vm_uptime_ms(struct vm *vm)
{
	struct timespec now;

	if (vm_get_state(vm) == VM_STATE_CREATED)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - vm->started_at.tv_sec) * 1000 +
	       (now.tv_nsec - vm->started_at.tv_nsec) / 1000000;
}

struct event_loop *vm_event_loop(struct vm *vm)
{
	return &vm->loop;
}

static void vm_irq_set(void *ctx, unsigned int gsi, bool level)
{
	struct vm *vm = ctx;

	/* Between boots there is no hypervisor VM: lines are low anyway. */
	if (vm->hv_vm)
		hv_vm_irq_line(vm->hv_vm, gsi, level);
}

struct irq_line vm_irq_line(struct vm *vm, unsigned int gsi)
{
	return (struct irq_line){ vm_irq_set, vm, gsi };
}

unsigned int vm_alloc_msi_gsis(struct vm *vm, unsigned int count)
{
	unsigned int base = HV_MSI_GSI_BASE + vm->next_msi_gsi;

	vm->next_msi_gsi += count;
	return base;
}

struct pci_bus *vm_pci_bus(struct vm *vm)
{
	return platform_pci_bus(vm->platform);
}

/* The guest's console output: to the terminal, and to listeners. */
static void vm_console_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct vm *vm = ctx;
	struct chardev term = { 0 };
	struct vm_event ev = {
		.type = VM_EVENT_CONSOLE,
		.data = buf,
		.len = len,
	};

	if (vm->console && vm->cfg.console == CONSOLE_STDIO) {
		console_chardev(vm->console, &term);
		chardev_write(&term, buf, len);
	}
	vm_emit(vm, &ev);
}

static void vm_console_rx_space(void *ctx)
{
	struct vm *vm = ctx;
	struct chardev term = { 0 };

	if (vm->console && vm->cfg.console == CONSOLE_STDIO) {
		console_chardev(vm->console, &term);
		chardev_rx_space(&term);
	}
}

static void vcpu_handle_io(struct vm *vm, const struct hv_exit *e)
{
	/* String I/O (rep ins/outs) comes as count accesses in a row. */
	for (uint32_t i = 0; i < e->io.count; i++)
		bus_dispatch(&vm->pio, e->io.port, e->io.data + i * e->io.size,
			     e->io.size, e->io.is_write);
}

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* its only job is to interrupt KVM_RUN */
}

/* Waits, out of KVM_RUN, while the VM is paused. */
static void vcpu_park(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->pause_wanted && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->lock);
}

/* The VM whose vCPU this thread runs, if any: see vm_pause. */
static __thread struct vm *vcpu_thread_vm;

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	sigset_t set;

	vcpu_thread_vm = vm;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	/*
	 * Once a device asked for a reset or poweroff, this vCPU stops: the
	 * machine must not run on (a Linux that wrote 0xCF9 goes on to a
	 * triple fault if it is not stopped at once).
	 */
	while (!atomic_load(&vm->stopping) &&
	       atomic_load(&vm->request) == VM_REQ_NONE) {
		struct hv_exit e;

		if (__atomic_load_n(&vm->pause_wanted, __ATOMIC_ACQUIRE)) {
			vcpu_park(vm);
			continue;
		}
		hv_vcpu_run(vcpu->hv, &e);
		/* Relaxed: the control socket reads them while we run. */
		__atomic_add_fetch(&vcpu->exits[e.reason], 1, __ATOMIC_RELAXED);
		switch (e.reason) {
		case HV_EXIT_IO:
			vcpu_handle_io(vm, &e);
			continue;
		case HV_EXIT_MMIO:
			bus_dispatch(&vm->mmio, e.mmio.addr, e.mmio.data,
				     e.mmio.size, e.mmio.is_write);
			continue;
		case HV_EXIT_INTERRUPTED:
			continue;
		case HV_EXIT_SHUTDOWN:
			atomic_store(&vm->faulted_vcpu, (int)vcpu->index);
			vm_request(vm, VM_REQ_TRIPLE_FAULT);
			break;
		case HV_EXIT_SYSTEM_RESET:
			vm_request(vm, VM_REQ_RESET);
			break;
		case HV_EXIT_SYSTEM_OFF:
			vm_request(vm, VM_REQ_POWEROFF);
			break;
		default:
			vm_request(vm, VM_REQ_ERROR);
			break;
		}
		break; /* this vCPU is done until the next boot */
	}
	return NULL;
}

static void vm_kick_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		hv_vcpu_kick(v->hv);
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
}

int vm_pause(struct vm *vm)
{
	int ret = -1;

	/*
	 * Called from one of this VM's vCPUs (a console event's listener),
	 * that vCPU is out of guest mode already and parks once it returns:
	 * it must not wait for itself.
	 */
	unsigned int self = vcpu_thread_vm == vm;

	pthread_mutex_lock(&vm->lock);
	if (vm->state == VM_STATE_RUNNING && !vm->pause_wanted) {
		__atomic_store_n(&vm->pause_wanted, true, __ATOMIC_RELEASE);
		vm_kick_vcpus(vm);
		/* Paused means no vCPU runs guest code any more. */
		while (vm->parked + self < vm->running_vcpus &&
		       !atomic_load(&vm->stopping) &&
		       vm->state == VM_STATE_RUNNING)
			pthread_cond_wait(&vm->cond, &vm->lock);
		ret = vm->state == VM_STATE_RUNNING ? 0 : -1;
		if (ret == 0)
			vm->state = VM_STATE_PAUSED;
		else
			vm->pause_wanted = false;
	}
	pthread_mutex_unlock(&vm->lock);
	if (ret == 0)
		vm_emit(vm, &(struct vm_event){ .type = VM_EVENT_STATE,
						.state = VM_STATE_PAUSED });
	return ret;
}

int vm_resume(struct vm *vm)
{
	int ret = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->state == VM_STATE_PAUSED) {
		vm->pause_wanted = false;
		vm_set_state_locked(vm, VM_STATE_RUNNING);
		ret = 0;
	}
	pthread_mutex_unlock(&vm->lock);
	if (ret == 0)
		vm_emit(vm, &(struct vm_event){ .type = VM_EVENT_STATE,
						.state = VM_STATE_RUNNING });
	return ret;
}

int vm_powerdown(struct vm *vm)
{
	enum vm_state s = vm_get_state(vm);

	/* A paused guest would not see the press until it runs again. */
	if (s != VM_STATE_RUNNING && s != VM_STATE_PAUSED)
		return -1;
	return platform_power_button(vm->platform);
}

/* Stops every vCPU thread and gives the hypervisor VM back. */
static void vm_halt(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->cond);
	vm_kick_vcpus(vm);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->started)
			pthread_join(v->thread, NULL);
		v->started = false;
	}
	pthread_mutex_lock(&vm->lock);
	vm->running_vcpus = 0;
	vm->pause_wanted = false;
	pthread_mutex_unlock(&vm->lock);
	if (atomic_load(&vm->request) == VM_REQ_TRIPLE_FAULT &&
	    !vm->fault_dump) {
		int idx = atomic_load(&vm->faulted_vcpu);
		size_t len;
		FILE *f = open_memstream(&vm->fault_dump, &len);

		if (f) {
			hv_vcpu_dump(vm->vcpus[idx].hv, f);
			fclose(f);
		}
	}
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		hv_vcpu_destroy(vm->vcpus[i].hv);
		vm->vcpus[i].hv = NULL;
	}
	hv_vm_destroy(vm->hv_vm);
	vm->hv_vm = NULL;
}

/* Makes the hypervisor VM and vCPUs, loads the guest and starts it. */
static int vm_boot(struct vm *vm)
{
	pthread_attr_t attr;
	int ret = 0;

	atomic_store(&vm->stopping, false);
	vm->hv_vm = hv_vm_create(vm->hv);
	if (!vm->hv_vm)
		return -1;
	for (unsigned int i = 0; i < vm->ram.count; i++) {
		const struct ram_region *r = &vm->ram.regions[i];

		if (hv_vm_map_ram(vm->hv_vm, i, r->gpa, r->size, r->host) < 0)
			return -1;
	}
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		vm->vcpus[i].hv = hv_vcpu_create(vm->hv_vm, i, vm->cfg.cpus);
		if (!vm->vcpus[i].hv)
			return -1;
	}
	if (platform_boot(vm->platform, vm) < 0)
		return -1;
	for (unsigned int i = 0; i < vm->ndevices; i++) {
		const struct vm_device *d = &vm->devices[i];

		if (d->cls->attach && d->cls->attach(d->state) < 0)
			return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
	pthread_mutex_lock(&vm->lock);
	for (unsigned int i = 0; i < vm->cfg.cpus && !ret; i++) {
		struct vcpu *v = &vm->vcpus[i];

		ret = pthread_create(&v->thread, &attr, vcpu_thread, v);
		if (ret)
			log_error("cannot start vCPU %u's thread: %s", i,
				  strerror(ret));
		else
			v->started = true;
		vm->running_vcpus += !ret;
	}
	pthread_mutex_unlock(&vm->lock);
	pthread_attr_destroy(&attr);
	return ret ? -1 : 0;
}

static void vm_on_request(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_error("request eventfd: %s", strerror(errno));
	event_loop_stop(&vm->loop);
}

static int open_input(const char *what, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		log_error("%s %s: %s", what, path, strerror(errno));
	return fd;
}

/* The kick interrupts KVM_RUN; its handler does nothing. */
static void install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

static int vm_setup(struct vm *vm, int *err)
{
	struct stat st;

	*err = SCORPI_ERR_IO;
	vm->console = NULL;
	vm->kernel_fd = open_input("kernel", vm->cfg.kernel);
	if (vm->kernel_fd < 0)
		return -1;
	if (vm->cfg.initrd) {
		vm->initrd_fd = open_input("initrd", vm->cfg.initrd);
		if (vm->initrd_fd < 0)
			return -1;
	}
	*err = SCORPI_ERR_INVALID;
	if (vm->initrd_fd >= 0 &&
	    (fstat(vm->initrd_fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		log_error("initrd %s: not a regular file", vm->cfg.initrd);
		return -1;
	}
	if (platform_check_boot(vm) < 0)
		return -1;
	*err = SCORPI_ERR_NO_MEMORY;
	vm->vcpus = calloc(vm->cfg.cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -1;
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].index = i;
	}
	if (guest_ram_alloc(&vm->ram, vm->cfg.mem_size) < 0)
		return -1;
	*err = SCORPI_ERR_SYSTEM;
	if (event_loop_init(&vm->loop) < 0)
		return -1;
	install_kick_handler();
	vm->request_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->request_fd < 0 ||
	    event_loop_add(&vm->loop, vm->request_fd, vm_on_request, vm) < 0) {
		log_error("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	vm->control = (struct vm_control){ vm_request, vm };
	vm->console_out =
		(struct chardev){ vm_console_write, vm_console_rx_space, vm };
	if (vm->cfg.console != CONSOLE_NONE) {
		vm->console = console_open_stdio(&vm->loop, &vm->control);
		if (!vm->console)
			return -1;
	}
	vm->platform = platform_create(vm);
	if (!vm->platform)
		return -1;
	/* Devices open their files and sockets: an error here is theirs. */
	*err = SCORPI_ERR_DEVICE;
	for (unsigned int i = 0; i < vm->cfg.ndevices; i++) {
		const struct dev_config *dc = &vm->cfg.devices[i];
		void *state = dc->cls->create(vm, dc);

		if (!state)
			return -1;
		vm->devices[vm->ndevices++] =
			(struct vm_device){ dc->cls, state };
	}
	/*
	 * The hypervisor last: every file, socket and port the description
	 * names has been checked by now, on any host.
	 */
	*err = SCORPI_ERR_HYPERVISOR;
	vm->hv = hv_open();
	if (!vm->hv)
		return -1;
	if (vm->cfg.cpus > hv_max_vcpus(vm->hv)) {
		log_error("-c %u: this host's KVM runs at most %u vCPUs per VM",
			  vm->cfg.cpus, hv_max_vcpus(vm->hv));
		return -1;
	}
	return 0;
}

static void vm_teardown(struct vm *vm)
{
	for (unsigned int i = vm->ndevices; i-- > 0;)
		vm->devices[i].cls->destroy(vm->devices[i].state);
	vm->ndevices = 0;
	platform_destroy(vm->platform);
	vm->platform = NULL;
	/* The terminal goes back before anything more is printed. */
	console_close(vm->console);
	vm->console = NULL;
	if (vm->request_fd >= 0)
		close(vm->request_fd);
	event_loop_free(&vm->loop);
	guest_ram_free(&vm->ram);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	free(vm->vcpus);
	vm->vcpus = NULL;
	hv_close(vm->hv);
	vm->hv = NULL;
	if (vm->kernel_fd >= 0)
		close(vm->kernel_fd);
	if (vm->initrd_fd >= 0)
		close(vm->initrd_fd);
	vm->kernel_fd = vm->initrd_fd = vm->request_fd = -1;
}

static const char *const exit_reasons[] = {
	[SCORPI_EXIT_POWEROFF] = "poweroff",
	[SCORPI_EXIT_ERROR] = "error",
	[SCORPI_EXIT_REBOOT] = "reboot",
	[SCORPI_EXIT_TRIPLE_FAULT] = "triple-fault",
	[SCORPI_EXIT_STOPPED] = "stopped",
};

static int vm_exit_code(struct vm *vm, enum vm_request req)
{
	switch (req) {
	case VM_REQ_POWEROFF:
		return SCORPI_EXIT_POWEROFF;
	case VM_REQ_RESET:
		log_info("guest rebooted; exiting as -o reboot=exit asks");
		return SCORPI_EXIT_REBOOT;
	case VM_REQ_TRIPLE_FAULT:
		log_error("guest triple fault on vCPU %d",
			  atomic_load(&vm->faulted_vcpu));
		if (vm->fault_dump)
			fputs(vm->fault_dump, stderr);
		return SCORPI_EXIT_TRIPLE_FAULT;
	case VM_REQ_STOP:
		log_info("stopped by the host");
		return SCORPI_EXIT_STOPPED;
	default:
		return SCORPI_EXIT_ERROR;
	}
}

static const char *const exit_reason_names[HV_EXIT_COUNT] = {
	[HV_EXIT_IO] = "io",
	[HV_EXIT_MMIO] = "mmio",
	[HV_EXIT_SHUTDOWN] = "shutdown",
	[HV_EXIT_SYSTEM_RESET] = "system-reset",
	[HV_EXIT_SYSTEM_OFF] = "system-off",
	[HV_EXIT_INTERRUPTED] = "interrupted",
	[HV_EXIT_FAILED] = "failed",
};

void vm_write_exit_counts(struct vm *vm, struct json_writer *w)
{
	uint64_t total = 0;

	jw_key(w, "exits");
	jw_object_begin(w);
	for (int r = 0; r < HV_EXIT_COUNT; r++) {
		uint64_t n = 0;

		for (unsigned int i = 0; i < vm->cfg.cpus; i++)
			n += __atomic_load_n(&vm->vcpus[i].exits[r],
					     __ATOMIC_RELAXED);
		total += n;
		jw_key(w, exit_reason_names[r]);
		jw_uint(w, n);
	}
	jw_object_end(w);
	jw_key(w, "total");
	jw_uint(w, total);
}

/* -o stats=PATH: the VM exits the VMM saw, by reason, as JSON. */
static void vm_write_stats(struct vm *vm)
{
	struct json_writer w;
	char *tmp;
	FILE *f;

	if (!vm->cfg.stats)
		return;
	jw_init(&w);
	jw_object_begin(&w);
	jw_key(&w, "vm");
	jw_string(&w, vm->cfg.name);
	vm_write_exit_counts(vm, &w);
	jw_object_end(&w);
	/* Written whole, then renamed: never a half-written file. */
	if (!jw_text(&w) || asprintf(&tmp, "%s.tmp", vm->cfg.stats) < 0) {
		jw_free(&w);
		return;
	}
	f = fopen(tmp, "w");
	if (f && fprintf(f, "%s\n", jw_text(&w)) < 0) {
		fclose(f);
		f = NULL;
	}
	if (!f || fclose(f) != 0 || rename(tmp, vm->cfg.stats) < 0) {
		log_error("stats %s: %s", vm->cfg.stats, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	jw_free(&w);
}

/* The VM's main thread: boots, runs the event loop, resets in place. */
static void *vm_main(void *arg)
{
	struct vm *vm = arg;
	enum vm_request req = VM_REQ_ERROR;
	struct vm_event ev = { .type = VM_EVENT_STATE,
			       .state = VM_STATE_STOPPED };

	for (;;) {
		int booted = vm_boot(vm);
		bool again;

		if (booted == 0) {
			vm_set_state(vm, VM_STATE_RUNNING);
			event_loop_run(&vm->loop);
		}
		req = booted == 0 ? atomic_load(&vm->request) : VM_REQ_ERROR;
		again = req == VM_REQ_HOST_RESET ||
			(req == VM_REQ_RESET &&
			 vm->cfg.on_reboot == REBOOT_RESET);

		vm_set_state(vm, again ? VM_STATE_RESETTING
				       : VM_STATE_SHUTTING_DOWN);
		vm_halt(vm);
		if (!again)
			break;
		/* Reset in place: devices, then memory, then boot. */
		log_debug("guest reset: booting again");
		platform_reset(vm->platform);
		for (unsigned int i = 0; i < vm->ndevices; i++)
			vm->devices[i].cls->reset(vm->devices[i].state);
		guest_ram_discard(&vm->ram);
		atomic_store(&vm->request, VM_REQ_NONE);
	}
	vm_write_stats(vm);
	vm->exit_code = vm_exit_code(vm, req);
	ev.exit_code = vm->exit_code;
	ev.reason = exit_reasons[vm->exit_code];
	pthread_mutex_lock(&vm->lock);
	vm_set_state_locked(vm, VM_STATE_STOPPED);
	pthread_mutex_unlock(&vm->lock);
	vm_emit(vm, &ev);
	return NULL;
}

struct vm *vm_create(const struct vm_config *cfg, int *err)
{
	struct vm *vm;
	int dummy;

	err = err ? err : &dummy;
	*err = SCORPI_ERR_INVALID;
	if (config_check(cfg) < 0) {
		for (unsigned int i = 0; i < cfg->ndevices; i++)
			if (!cfg->devices[i].cls->create)
				*err = SCORPI_ERR_NOT_SUPPORTED;
		if (cfg->bootrom || cfg->bootvars)
			*err = SCORPI_ERR_NOT_SUPPORTED;
		return NULL;
	}
	*err = SCORPI_ERR_NO_MEMORY;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	if (config_copy(&vm->cfg, cfg) < 0) {
		free(vm);
		return NULL;
	}
	vm->kernel_fd = vm->initrd_fd = vm->request_fd = -1;
	vm->loop.epfd = -1;
	bus_init(&vm->pio, "port");
	bus_init(&vm->mmio, "mmio");
	atomic_init(&vm->request, VM_REQ_NONE);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->state = VM_STATE_CREATED;
	if (vm_setup(vm, err) < 0) {
		vm_destroy(vm);
		return NULL;
	}
	*err = SCORPI_OK;
	return vm;
}

int vm_start(struct vm *vm)
{
	sigset_t all, old;
	int ret;

	if (vm->main_started)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &vm->started_at);
	/*
	 * The VM's threads take no signals but the vCPU kick: the program
	 * that runs the VM keeps its own signal handling.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&vm->main_thread, NULL, vm_main, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		log_error("cannot start the VM's thread: %s", strerror(ret));
		return -1;
	}
	vm->main_started = true;
	return 0;
}

int vm_wait(struct vm *vm)
{
	if (!vm->main_started)
		return SCORPI_EXIT_ERROR;
	pthread_join(vm->main_thread, NULL);
	vm->main_started = false;
	return vm->exit_code;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->main_started) {
		vm_request(vm, VM_REQ_STOP);
		vm_wait(vm);
	}
	vm_teardown(vm);
	config_free(&vm->cfg);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
	free(vm->fault_dump);
	free(vm);
}

int vm_run(const struct vm_config *cfg)
{
	struct vm *vm = vm_create(cfg, NULL);
	int code;

	if (!vm)
		return SCORPI_EXIT_ERROR;
	code = vm_start(vm) < 0 ? SCORPI_EXIT_ERROR : vm_wait(vm);
	vm_destroy(vm);
	return code;
}
