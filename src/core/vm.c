// SPDX-License-Identifier: MIT
/*
 * The VM lifecycle: checks, set-up, one thread per vCPU, the event loop,
 * reset in place, and the exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "device.h"
#include "log.h"
#include "vm.h"

#define VCPU_STACK_SIZE (256 * 1024)
#define VCPU_KICK_SIGNAL SIGUSR1

void vm_request(void *opaque, enum vm_request req)
{
	struct vm *vm = opaque;
	int none = VM_REQ_NONE;
	uint64_t one = 1;

	if (atomic_compare_exchange_strong(&vm->request, &none, req) &&
	    write(vm->request_fd, &one, sizeof(one)) < 0)
		log_error("cannot wake the event loop: %s", strerror(errno));
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

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	sigset_t set;

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

		hv_vcpu_run(vcpu->hv, &e);
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

/* Stops every vCPU thread and gives the hypervisor VM back. */
static void vm_halt(struct vm *vm)
{
	atomic_store(&vm->stopping, true);
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		hv_vcpu_kick(v->hv);
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->started)
			pthread_join(v->thread, NULL);
		v->started = false;
	}
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
	for (unsigned int i = 0; i < vm->cfg.cpus && !ret; i++) {
		struct vcpu *v = &vm->vcpus[i];

		ret = pthread_create(&v->thread, &attr, vcpu_thread, v);
		if (ret)
			log_error("cannot start vCPU %u's thread: %s", i,
				  strerror(ret));
		else
			v->started = true;
	}
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

static void vm_on_signal(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	vm_request(vm, VM_REQ_STOP);
}

static int open_input(const char *what, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		log_error("%s %s: %s", what, path, strerror(errno));
	return fd;
}

static int vm_setup(struct vm *vm)
{
	sigset_t set;

	vm->console = NULL;
	vm->kernel_fd = open_input("kernel", vm->cfg.kernel);
	if (vm->kernel_fd < 0)
		return -1;
	if (vm->cfg.initrd) {
		vm->initrd_fd = open_input("initrd", vm->cfg.initrd);
		if (vm->initrd_fd < 0)
			return -1;
	}
	if (platform_check_boot(vm) < 0)
		return -1;
	vm->hv = hv_open();
	if (!vm->hv)
		return -1;
	if (vm->cfg.cpus > hv_max_vcpus(vm->hv)) {
		log_error("-c %u: this host's KVM runs at most %u vCPUs per VM",
			  vm->cfg.cpus, hv_max_vcpus(vm->hv));
		return -1;
	}
	vm->vcpus = calloc(vm->cfg.cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -1;
	for (unsigned int i = 0; i < vm->cfg.cpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].index = i;
	}
	if (guest_ram_alloc(&vm->ram, vm->cfg.mem_size) < 0)
		return -1;
	if (event_loop_init(&vm->loop) < 0)
		return -1;

	/*
	 * Signals are taken by the event loop; every thread blocks them, and
	 * vCPU threads unblock only the kick.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, VCPU_KICK_SIGNAL);
	signal(SIGPIPE, SIG_IGN);
	sigaction(VCPU_KICK_SIGNAL,
		  &(struct sigaction){ .sa_handler = vcpu_kick_handler }, NULL);
	vm->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	vm->request_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->signal_fd < 0 || vm->request_fd < 0 ||
	    event_loop_add(&vm->loop, vm->signal_fd, vm_on_signal, vm) < 0 ||
	    event_loop_add(&vm->loop, vm->request_fd, vm_on_request, vm) < 0) {
		log_error("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	vm->control = (struct vm_control){ vm_request, vm };
	if (vm->cfg.console != CONSOLE_NONE) {
		vm->console = console_open_stdio(&vm->loop, &vm->control);
		if (!vm->console)
			return -1;
	}
	vm->platform = platform_create(vm);
	if (!vm->platform)
		return -1;
	for (unsigned int i = 0; i < vm->cfg.ndevices; i++) {
		const struct dev_config *dc = &vm->cfg.devices[i];
		void *state =
			dc->cls->create(vm, dc->slot << 3 | dc->func, dc->args);

		if (!state)
			return -1;
		vm->devices[vm->ndevices++] =
			(struct vm_device){ dc->cls, state };
	}
	return 0;
}

static void vm_teardown(struct vm *vm)
{
	for (unsigned int i = vm->ndevices; i-- > 0;)
		vm->devices[i].cls->destroy(vm->devices[i].state);
	platform_destroy(vm->platform);
	/* The terminal goes back before anything more is printed. */
	console_close(vm->console);
	if (vm->signal_fd >= 0)
		close(vm->signal_fd);
	if (vm->request_fd >= 0)
		close(vm->request_fd);
	event_loop_free(&vm->loop);
	guest_ram_free(&vm->ram);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	free(vm->vcpus);
	hv_close(vm->hv);
	if (vm->kernel_fd >= 0)
		close(vm->kernel_fd);
	if (vm->initrd_fd >= 0)
		close(vm->initrd_fd);
}

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

int vm_run(const struct vm_config *cfg)
{
	struct vm *vm;
	int code = SCORPI_EXIT_ERROR;
	enum vm_request req = VM_REQ_ERROR;

	if (config_check(cfg) < 0)
		return SCORPI_EXIT_ERROR;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return SCORPI_EXIT_ERROR;
	vm->cfg = *cfg;
	vm->kernel_fd = vm->initrd_fd = vm->signal_fd = vm->request_fd = -1;
	vm->loop.epfd = -1;
	bus_init(&vm->pio, "port");
	bus_init(&vm->mmio, "mmio");
	atomic_init(&vm->request, VM_REQ_NONE);

	if (vm_setup(vm) == 0) {
		for (;;) {
			int booted = vm_boot(vm);

			if (booted == 0)
				event_loop_run(&vm->loop);
			vm_halt(vm);
			req = booted == 0 ? atomic_load(&vm->request)
					  : VM_REQ_ERROR;
			if (req != VM_REQ_RESET ||
			    vm->cfg.on_reboot != REBOOT_RESET)
				break;
			/* Reset in place: devices, then memory, then boot. */
			log_debug("guest reset: booting again");
			platform_reset(vm->platform);
			for (unsigned int i = 0; i < vm->ndevices; i++)
				vm->devices[i].cls->reset(vm->devices[i].state);
			guest_ram_discard(&vm->ram);
			atomic_store(&vm->request, VM_REQ_NONE);
		}
	}
	vm_teardown(vm);
	code = vm_exit_code(vm, req);
	free(vm->fault_dump);
	free(vm);
	return code;
}
