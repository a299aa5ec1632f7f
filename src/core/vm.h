/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_VM_H
#define SCORPI_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "../base/bus.h"
#include "../base/console.h"
#include "../base/event_loop.h"
#include "../base/guest_ram.h"
#include "../base/irq.h"
#include "../base/lifecycle.h"
#include "../hv/hv.h"
#include "config.h"
#include "vm_device.h" /* what devices use of the VM */

struct platform;
struct pci_bus;
struct device_class;

struct vm_device {
	const struct device_class *cls;
	void *state;
};

struct vcpu {
	struct vm *vm;
	struct hv_vcpu *hv;
	unsigned int index;
	pthread_t thread;
	bool started;
	uint64_t exits[HV_EXIT_COUNT]; /* by reason, this boot and before */
};

/* Where a VM is in its life; events report each change. */
enum vm_state {
	VM_STATE_CREATED,
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_RESETTING,
	VM_STATE_SHUTTING_DOWN,
	VM_STATE_STOPPED,
};

enum vm_event_type {
	VM_EVENT_STATE, /* state changed (to STOPPED: exit_code is set) */
	VM_EVENT_CONSOLE, /* the guest wrote to its console: data, len */
};

struct vm_event {
	enum vm_event_type type;
	enum vm_state state;
	int exit_code; /* with VM_STATE_STOPPED */
	const char *reason; /* with VM_STATE_STOPPED: "poweroff", ... */
	const uint8_t *data;
	size_t len;
};

/*
 * Called from the VM's own threads (the event loop for state changes, a
 * vCPU for console output), never with a VM lock held: it may call the
 * vm_* control functions except vm_wait and vm_destroy.
 */
typedef void (*vm_event_fn)(void *ctx, struct vm *vm,
			    const struct vm_event *ev);

#define VM_MAX_LISTENERS 8

/*
 * One VM: its description, memory, buses and devices live as long as the
 * VM; the hypervisor's VM and vCPUs are made anew at every (re)boot, so a
 * reset starts from a clean machine.
 */
struct vm {
	struct vm_config cfg;
	int kernel_fd;
	int initrd_fd;

	struct hv *hv;
	/*
	 * Made anew at every boot. Interrupt lines are raised from any
	 * thread: they read hv_vm under hv_lock, which the main thread holds
	 * for writing while it replaces it.
	 */
	struct hv_vm *hv_vm;
	pthread_rwlock_t hv_lock;
	struct vcpu *vcpus;
	struct guest_ram ram;
	struct bus pio;
	struct bus mmio;
	struct platform *platform;
	struct vm_device devices[VM_MAX_DEVICES];
	unsigned int ndevices;
	unsigned int next_msi_gsi;

	struct event_loop loop;
	struct console *console;
	bool console_taken; /* by a virtio-console port (console=virtio) */
	struct chardev console_out; /* COM1's output: terminal and events */
	struct vm_control control;
	int request_fd; /* eventfd: a request is waiting */
	atomic_uint requests; /* 1 << enum vm_request: a set, none dropped */
	atomic_bool stopping; /* vCPU threads must return */
	atomic_int faulted_vcpu;
	char *fault_dump;

	pthread_t main_thread; /* boots, runs the event loop, resets */
	bool main_started;
	int exit_code;
	struct timespec started_at;

	/* Lifecycle: state, pause and the listeners, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* parked, state */
	enum vm_state state;
	bool pause_wanted;
	unsigned int parked; /* vCPUs waiting for resume */
	unsigned int running_vcpus; /* vCPU threads still in their loop */
	struct {
		vm_event_fn fn;
		void *ctx;
	} listeners[VM_MAX_LISTENERS];
	unsigned int nlisteners;
};

/*
 * The life of a VM, for the CLI, the control socket and libscorpi:
 * vm_create checks the description and builds everything (it prints why
 * not and returns NULL: err says which kind of failure, enum
 * scorpi_error_code of the public header); vm_start boots it on its own
 * thread; vm_wait returns its exit code once it has stopped; vm_destroy
 * frees it. The others can be called from any thread once started.
 */
struct vm *vm_create(const struct vm_config *cfg, int *err);
int vm_start(struct vm *vm);
int vm_wait(struct vm *vm);
void vm_destroy(struct vm *vm);
/* -1 when the VM is not in a state to do it (not running, ...). */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
/* An ACPI power-button press (x86): the guest decides what to do. */
int vm_powerdown(struct vm *vm);
enum vm_state vm_get_state(struct vm *vm);
const char *vm_state_name(enum vm_state state);
uint64_t vm_uptime_ms(struct vm *vm);
int vm_add_listener(struct vm *vm, vm_event_fn fn, void *ctx);
void vm_remove_listener(struct vm *vm, vm_event_fn fn, void *ctx);
struct json_t;
/* Adds "exits": {reason: count...}, "total": N (the exits the VMM handled). */
void vm_write_exit_counts(struct vm *vm, struct json_t *obj);
/* The event loop of the VM's main thread, for devices such as vm-control. */
struct event_loop *vm_event_loop(struct vm *vm);
/* The description the VM was made from; it does not change. */
const struct vm_config *vm_get_config(struct vm *vm);
/* The devices made, one per entry of the description's devices, in order. */
unsigned int vm_device_count(struct vm *vm);
const struct vm_device *vm_get_device(struct vm *vm, unsigned int i);

/* Builds, runs and tears down the VM; returns a process exit code. */
int vm_run(const struct vm_config *cfg);
/*
 * Asks the VM's main thread for req, from any thread: requests are a set,
 * none is lost, and the main thread takes the one that ranks highest
 * (lifecycle.h). A stop always ends the VM, in any state.
 */
void vm_request(void *vm, enum vm_request req);
/*
 * The signal that takes vCPU threads out of the hypervisor (SIGUSR1 by
 * default), for the whole process: it can be chosen until the first VM
 * is created (-1 after, or for a signal that cannot be used).
 */
int vm_set_kick_signal(int sig);
int vm_kick_signal(void);

/* The architecture's platform: its devices and how it boots. */
/* Checks the boot payload before anything else is set up. */
int platform_check_boot(struct vm *vm);
struct platform *platform_create(struct vm *vm);
/* Loads the boot payload and sets the boot vCPU's state. */
int platform_boot(struct platform *p, struct vm *vm);
void platform_reset(struct platform *p);
/* Presses the power button the platform has (ACPI on x86). */
int platform_power_button(struct platform *p);
void platform_destroy(struct platform *p);
struct pci_bus *platform_pci_bus(struct platform *p);

#endif
