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
#include "../base/json.h"
#include "../base/log.h"
#include "../pci/msix.h"
#include "device.h"
#include "sandbox.h"
#include "vm.h"

#define VCPU_STACK_SIZE (256 * 1024)

/*
 * The signal that interrupts a vCPU's run: one per process, as signal
 * handlers are. It is fixed once the first VM is created (docs/api.md).
 */
static pthread_mutex_t kick_lock = PTHREAD_MUTEX_INITIALIZER;
static int kick_signal = SIGUSR1;
static bool kick_fixed;

/*
 * The VMs of this process, made or being made: the sandbox is the whole
 * process's, so a VM gets it only when it is the only one, and once it
 * is installed no other VM can be set up (docs/security.md).
 */
static pthread_mutex_t vms_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int vms_alive;

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

/* Highest first: what ends the VM outranks what boots it again. */
static const enum vm_request request_rank[] = {
	VM_REQ_STOP,	 VM_REQ_ERROR, VM_REQ_TRIPLE_FAULT,
	VM_REQ_POWEROFF, VM_REQ_RESET, VM_REQ_HOST_RESET,
};

#define VM_REQ_BIT(r) (1u << (r))
#define VM_REQ_RESETS (VM_REQ_BIT(VM_REQ_RESET) | VM_REQ_BIT(VM_REQ_HOST_RESET))

void vm_request(void *opaque, enum vm_request req)
{
	struct vm *vm = opaque;
	uint64_t one = 1;

	if (req <= VM_REQ_NONE || req >= VM_REQ_COUNT)
		return;
	atomic_fetch_or(&vm->requests, VM_REQ_BIT(req));
	/* A vm_pause waiting for the vCPUs gives way (see vm_pause). */
	pthread_mutex_lock(&vm->lock);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	if (vm->request_fd >= 0 &&
	    write(vm->request_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("cannot wake the event loop: %s", strerror(errno));
}

/* The pending request that ranks highest, or VM_REQ_NONE. */
static enum vm_request vm_next_request(struct vm *vm)
{
	unsigned int pending = atomic_load(&vm->requests);

	for (size_t i = 0; i < sizeof(request_rank) / sizeof(*request_rank);
	     i++)
		if (pending & VM_REQ_BIT(request_rank[i]))
			return request_rank[i];
	return VM_REQ_NONE;
}

static bool vm_request_pending(struct vm *vm)
{
	return atomic_load(&vm->requests) != 0;
}

int vm_set_kick_signal(int sig)
{
	int ret = 0;

	if (sig != SIGUSR1 && sig != SIGUSR2 &&
	    (sig < SIGRTMIN || sig > SIGRTMAX))
		return -1;
	pthread_mutex_lock(&kick_lock);
	if (kick_fixed && sig != kick_signal)
		ret = -1;
	else
		kick_signal = sig;
	pthread_mutex_unlock(&kick_lock);
	return ret;
}

int vm_kick_signal(void)
{
	int sig;

	pthread_mutex_lock(&kick_lock);
	sig = kick_signal;
	pthread_mutex_unlock(&kick_lock);
	return sig;
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

const struct vm_config *vm_get_config(struct vm *vm)
{
	return &vm->cfg;
}

unsigned int vm_device_count(struct vm *vm)
{
	return vm->ndevices;
}

const struct vm_device *vm_get_device(struct vm *vm, unsigned int i)
{
	return &vm->devices[i];
}

static void vm_irq_set(void *ctx, unsigned int gsi, bool level)
{
	struct vm *vm = ctx;

	/*
	 * Device threads raise lines while the main thread may be replacing
	 * the hypervisor VM (a reset). Between boots there is none: lines
	 * are low anyway.
	 */
	pthread_rwlock_rdlock(&vm->hv_lock);
	if (vm->hv_vm)
		hv_vm_irq_line(vm->hv_vm, gsi, level);
	pthread_rwlock_unlock(&vm->hv_lock);
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

struct guest_ram *vm_guest_ram(struct vm *vm)
{
	return &vm->ram;
}

unsigned int vm_cpu_count(const struct vm *vm)
{
	return vm->cfg.cpus;
}

int vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, bool assign)
{
	int ret = -1;

	/* As for interrupt lines: hv_vm is replaced under hv_lock. */
	pthread_rwlock_rdlock(&vm->hv_lock);
	if (vm->hv_vm)
		ret = hv_vm_ioeventfd(vm->hv_vm, fd, addr, assign);
	pthread_rwlock_unlock(&vm->hv_lock);
	return ret;
}

int vm_msix_attach(struct vm *vm, struct msix *m)
{
	int ret;

	pthread_rwlock_rdlock(&vm->hv_lock);
	ret = msix_attach(m, vm->hv_vm);
	pthread_rwlock_unlock(&vm->hv_lock);
	return ret;
}

bool vm_claim_console(struct vm *vm, struct chardev *out)
{
	if (vm->cfg.console != CONSOLE_VIRTIO || vm->console_taken ||
	    !vm->console)
		return false;
	vm->console_taken = true;
	console_chardev(vm->console, out);
	return true;
}

void vm_console_set_sink(struct vm *vm, console_sink_fn sink, void *ctx)
{
	console_set_sink(vm->console, sink, ctx);
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
	while (vm->pause_wanted && !atomic_load(&vm->stopping) &&
	       !vm_request_pending(vm))
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
	char name[16];

	vcpu_thread_vm = vm;
	/* Seen by top -H, perf and the kernel's traces (docs/testing.md). */
	snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, vm_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	/*
	 * Once a device asked for a reset or poweroff, this vCPU stops: the
	 * machine must not run on (a Linux that wrote 0xCF9 goes on to a
	 * triple fault if it is not stopped at once).
	 */
	while (!atomic_load(&vm->stopping) && !vm_request_pending(vm)) {
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
	/*
	 * Out of the loop, it runs no guest code any more: a vm_pause that
	 * waits for it must not wait for a park that never comes.
	 */
	pthread_mutex_lock(&vm->lock);
	vm->running_vcpus--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

static void vm_kick_vcpus(struct vm *vm)
{
	int sig = vm_kick_signal();

	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		hv_vcpu_kick(v->hv);
		pthread_kill(v->thread, sig);
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
	if (vm->state == VM_STATE_RUNNING && !vm->pause_wanted &&
	    !vm_request_pending(vm)) {
		__atomic_store_n(&vm->pause_wanted, true, __ATOMIC_RELEASE);
		vm_kick_vcpus(vm);
		/*
		 * Paused means no vCPU runs guest code any more. This may be
		 * the VM's main thread (the control socket): it gives way to
		 * any request, which that thread must be free to handle, and
		 * a vCPU that left its loop is no longer counted.
		 */
		while (vm->parked + self < vm->running_vcpus &&
		       !atomic_load(&vm->stopping) &&
		       vm->state == VM_STATE_RUNNING && !vm_request_pending(vm))
			pthread_cond_wait(&vm->cond, &vm->lock);
		if (vm->state == VM_STATE_RUNNING &&
		    !atomic_load(&vm->stopping) && !vm_request_pending(vm))
			ret = 0;
		if (ret == 0) {
			vm->state = VM_STATE_PAUSED;
		} else {
			__atomic_store_n(&vm->pause_wanted, false,
					 __ATOMIC_RELEASE);
			pthread_cond_broadcast(&vm->cond);
		}
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
		__atomic_store_n(&vm->pause_wanted, false, __ATOMIC_RELEASE);
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
static void vm_halt(struct vm *vm, enum vm_request req)
{
	struct hv_vm *hv_vm;

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
	__atomic_store_n(&vm->pause_wanted, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->lock);
	/* A fault posted as the last boot ended has no vCPU left to dump. */
	if (req == VM_REQ_TRIPLE_FAULT && !vm->fault_dump &&
	    vm->vcpus[atomic_load(&vm->faulted_vcpu)].hv) {
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
	/* No device thread raises a line through it once it is unset. */
	pthread_rwlock_wrlock(&vm->hv_lock);
	hv_vm = vm->hv_vm;
	vm->hv_vm = NULL;
	pthread_rwlock_unlock(&vm->hv_lock);
	hv_vm_destroy(hv_vm);
}

/* Makes the hypervisor VM and vCPUs, loads the guest and starts it. */
static int vm_boot(struct vm *vm)
{
	pthread_attr_t attr;
	struct hv_vm *hv_vm;
	int ret = 0;

	atomic_store(&vm->stopping, false);
	hv_vm = hv_vm_create(vm->hv);
	if (!hv_vm)
		return -1;
	pthread_rwlock_wrlock(&vm->hv_lock);
	vm->hv_vm = hv_vm;
	pthread_rwlock_unlock(&vm->hv_lock);
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
	/* A wake-up for a request already taken leaves the loop running. */
	if (vm_request_pending(vm))
		event_loop_stop(&vm->loop);
}

static int open_input(const char *what, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		log_error("%s %s: %s", what, path, strerror(errno));
	return fd;
}

/*
 * The kick interrupts KVM_RUN; a signal is delivered only if it has a
 * handler, and ours does nothing. A handler the program installed for it
 * stays: it runs at every kick then, on the vCPU threads. SA_RESTART
 * spares the program's own system calls; KVM_RUN still returns EINTR.
 * The signal is fixed from here on: vm_set_kick_signal refuses another.
 */
static void install_kick_handler(void)
{
	struct sigaction old, sa = { .sa_handler = vcpu_kick_handler,
				     .sa_flags = SA_RESTART };

	pthread_mutex_lock(&kick_lock);
	if (!kick_fixed) {
		kick_fixed = true;
		sigemptyset(&sa.sa_mask);
		if (sigaction(kick_signal, NULL, &old) == 0 &&
		    !(old.sa_flags & SA_SIGINFO) &&
		    (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN))
			sigaction(kick_signal, &sa, NULL);
	}
	pthread_mutex_unlock(&kick_lock);
}

static int vm_setup(struct vm *vm, int *err)
{
	struct stat st;

	*err = SCORPI_ERR_IO;
	vm->console = NULL;
	/* Firmware may boot from its devices instead. */
	if (vm->cfg.kernel) {
		vm->kernel_fd = open_input("kernel", vm->cfg.kernel);
		if (vm->kernel_fd < 0)
			return -1;
	}
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

void vm_write_exit_counts(struct vm *vm, struct json_t *obj)
{
	json_t *exits = json_object();
	uint64_t total = 0;

	for (int r = 0; r < HV_EXIT_COUNT; r++) {
		uint64_t n = 0;

		for (unsigned int i = 0; i < vm->cfg.cpus; i++)
			n += __atomic_load_n(&vm->vcpus[i].exits[r],
					     __ATOMIC_RELAXED);
		total += n;
		json_object_set_new(exits, exit_reason_names[r], json_uint(n));
	}
	json_object_set_new(obj, "exits", exits);
	json_object_set_new(obj, "total", json_uint(total));
}

/* -o stats=PATH: the VM exits the VMM saw, by reason, as JSON. */
static void vm_write_stats(struct vm *vm)
{
	json_t *obj;
	char *text, *tmp;
	FILE *f;

	if (!vm->cfg.stats)
		return;
	obj = json_object();
	json_object_set_new(obj, "vm", json_string_lossy(vm->cfg.name));
	vm_write_exit_counts(vm, obj);
	text = obj ? json_text(obj) : NULL;
	json_decref(obj);
	/* Written whole, then renamed: never a half-written file. */
	if (!text || asprintf(&tmp, "%s.tmp", vm->cfg.stats) < 0) {
		log_error("stats %s: out of memory", vm->cfg.stats);
		free(text);
		return;
	}
	f = fopen(tmp, "w");
	if (f && fprintf(f, "%s\n", text) < 0) {
		fclose(f);
		f = NULL;
	}
	if (!f || fclose(f) != 0 || rename(tmp, vm->cfg.stats) < 0) {
		log_error("stats %s: %s", vm->cfg.stats, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(text);
}

/* The VM's main thread: boots, runs the event loop, resets in place. */
static void *vm_main(void *arg)
{
	struct vm *vm = arg;
	enum vm_request req = VM_REQ_ERROR;
	struct vm_event ev = { .type = VM_EVENT_STATE,
			       .state = VM_STATE_STOPPED };

	for (;;) {
		bool again;

		/*
		 * The machine about to boot is a fresh one: resets asked
		 * until now are done by it. What ends the VM stays, so a
		 * stop that came during a reset ends it here.
		 */
		atomic_fetch_and(&vm->requests, ~VM_REQ_RESETS);
		req = vm_next_request(vm);
		if (req == VM_REQ_NONE) {
			if (vm_boot(vm) == 0) {
				vm_set_state(vm, VM_STATE_RUNNING);
				while ((req = vm_next_request(vm)) ==
				       VM_REQ_NONE)
					if (event_loop_run(&vm->loop) < 0)
						vm_request(vm, VM_REQ_ERROR);
			} else {
				req = VM_REQ_ERROR;
			}
		}
		again = req == VM_REQ_HOST_RESET ||
			(req == VM_REQ_RESET &&
			 vm->cfg.on_reboot == REBOOT_RESET);

		vm_set_state(vm, again ? VM_STATE_RESETTING
				       : VM_STATE_SHUTTING_DOWN);
		vm_halt(vm, req);
		if (!again)
			break;
		/* Reset in place: devices, then memory, then boot. */
		log_debug("guest reset: booting again");
		platform_reset(vm->platform);
		for (unsigned int i = 0; i < vm->ndevices; i++)
			vm->devices[i].cls->reset(vm->devices[i].state);
		guest_ram_discard(&vm->ram);
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

/*
 * The checks and set-up make calls and open files that the sandbox
 * forbids (sysinfo for the host's RAM, to begin with): said, not tried.
 */
static bool refuse_if_sandboxed(int *err)
{
	if (!sandbox_installed())
		return false;
	log_error(
		"sandbox: this process is sandboxed (a VM was started in it): it can set up no other VM");
	*err = SCORPI_ERR_STATE;
	return true;
}

struct vm *vm_create(const struct vm_config *cfg, int *err)
{
	pthread_rwlockattr_t rwattr;
	struct vm *vm;
	int dummy;

	err = err ? err : &dummy;
	if (refuse_if_sandboxed(err))
		return NULL;
	*err = SCORPI_ERR_INVALID;
	if (config_check(cfg) < 0) {
		for (unsigned int i = 0; i < cfg->ndevices; i++)
			if (!cfg->devices[i].cls->create)
				*err = SCORPI_ERR_NOT_SUPPORTED;
#ifndef __x86_64__
		if (cfg->bootrom)
			*err = SCORPI_ERR_NOT_SUPPORTED;
#endif
		return NULL;
	}
	*err = SCORPI_ERR_NO_MEMORY;
	/* Counted under the lock that vm_start installs the sandbox under. */
	pthread_mutex_lock(&vms_lock);
	vm = refuse_if_sandboxed(err) ? NULL : calloc(1, sizeof(*vm));
	if (vm)
		vms_alive++;
	pthread_mutex_unlock(&vms_lock);
	if (!vm)
		return NULL;
	if (config_copy(&vm->cfg, cfg) < 0) {
		free(vm);
		pthread_mutex_lock(&vms_lock);
		vms_alive--;
		pthread_mutex_unlock(&vms_lock);
		return NULL;
	}
	vm->kernel_fd = vm->initrd_fd = vm->request_fd = -1;
	vm->loop.epfd = -1;
	bus_init(&vm->pio, "port");
	bus_init(&vm->mmio, "mmio");
	atomic_init(&vm->requests, 0);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	pthread_rwlockattr_init(&rwattr);
	/* A device that raises lines all the time must not hold off a reset. */
	pthread_rwlockattr_setkind_np(
		&rwattr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&vm->hv_lock, &rwattr);
	pthread_rwlockattr_destroy(&rwattr);
	vm->state = VM_STATE_CREATED;
	if (sandbox_wanted(&vm->cfg))
		sandbox_save_terminal(); /* before the console makes it raw */
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
	/*
	 * Set-up is done: the sandbox goes on now, before the first guest
	 * instruction, and only once (a reset boots again in vm_main).
	 */
	if (sandbox_wanted(&vm->cfg)) {
		pthread_mutex_lock(&vms_lock);
		if (vms_alive > 1) {
			log_error(
				"sandbox: another VM is set up in this process: the sandbox is for a process that runs one (sandbox: off runs several)");
			ret = -1;
		} else {
			ret = sandbox_install(&vm->cfg);
		}
		pthread_mutex_unlock(&vms_lock);
		if (ret < 0)
			return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &vm->started_at);
	/*
	 * The VM's threads take no signals but the vCPU kick: the program
	 * that runs the VM keeps its own signal handling. A fault in one of
	 * them still reaches the program's handler (the kernel would not
	 * honour the block anyway), and SIGSYS the sandbox's, which says
	 * what the thread did (blocked, the kernel would kill silently).
	 */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGABRT);
	sigdelset(&all, SIGSYS);
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
	pthread_mutex_lock(&vms_lock);
	vms_alive--;
	pthread_mutex_unlock(&vms_lock);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
	pthread_rwlock_destroy(&vm->hv_lock);
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
