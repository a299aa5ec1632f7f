/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_SCORPI_H
#define SCORPI_SCORPI_H

/*
 * libscorpi: the Scorpi VMM as a C library (docs/api.md).
 *
 * Describe a VM (property by property, device by device, or from YAML
 * text), start it (the call returns at once with a handle), then pause,
 * resume, power it down, stop it or wait for it, and subscribe to its
 * events. Nothing is global: any number of VMs can run in one process.
 *
 * Every call that can fail returns a scorpi_error_code and, when err is
 * not NULL, fills it with the code and a one-line message. Handles are
 * thread-safe except scorpi_vm_free, which must be the last call.
 *
 * Signals: the library installs no handler but one, for the signal that
 * interrupts its vCPU threads (SIGUSR1 unless scorpi_set_vcpu_signal
 * chose another), and only if the program has none for it; and, in a
 * program that asked for the sandbox (scorpi_set_sandbox), one for
 * SIGSYS. Its own threads block every other signal but faults and SIGSYS.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCORPI_API __attribute__((visibility("default")))

/* Stable error codes: values never change once released. */
enum scorpi_error_code {
	SCORPI_OK = 0,
	SCORPI_ERR_INVALID = 1, /* a bad description, key or value */
	SCORPI_ERR_NOT_SUPPORTED = 2, /* described, but not built yet */
	SCORPI_ERR_IO = 3, /* a file could not be read or opened */
	SCORPI_ERR_HYPERVISOR = 4, /* no /dev/kvm, or KVM refused */
	SCORPI_ERR_NO_MEMORY = 5,
	SCORPI_ERR_DEVICE = 6, /* a device could not be set up */
	SCORPI_ERR_STATE = 7, /* not possible in the VM's current state */
	SCORPI_ERR_SYSTEM = 8, /* threads, event loop, ... */
};

typedef struct scorpi_error {
	int code; /* enum scorpi_error_code */
	char message[256];
} scorpi_error;

/* A short, fixed text for a code ("invalid description", ...). */
SCORPI_API const char *scorpi_strerror(int code);

/* The library's version, "MAJOR.MINOR.PATCH". */
SCORPI_API const char *scorpi_version(void);

/*
 * The signal the library sends its vCPU threads to take them out of the
 * hypervisor, for the whole process: SIGUSR1, SIGUSR2 or a real-time
 * signal; SIGUSR1 by default. It can be chosen until the first VM is
 * started; after that, only the signal in use is accepted
 * (SCORPI_ERR_STATE). When the first VM starts, the library installs a
 * handler that does nothing for it, unless the program has installed
 * one: the program's handler is kept, and then runs on a vCPU thread at
 * every kick (it must be async-signal-safe and return).
 */
SCORPI_API int scorpi_set_vcpu_signal(int signo, scorpi_error *err);
/* The signal in use (or to be used) for the vCPU threads. */
SCORPI_API int scorpi_vcpu_signal(void);

/*
 * The sandbox (docs/security.md), for the whole process: off unless the
 * program turns it on here, as the scorpi command does. Then the next VM
 * started, if its description does not say "sandbox: off", installs it
 * once set up, before its first guest instruction, and it stays for the
 * process's life, on every thread, the program's own included: a seccomp
 * filter lets through only the system calls the VMM makes (anything else
 * ends the process with exit status 5 and one line on stderr: no fork,
 * no exec, no new files but the VM's, no ioctls but KVM's and a few);
 * Landlock narrows file access to the VM's files; capabilities are
 * dropped. It is for a program that runs one VM: once installed, no
 * other VM can be started (SCORPI_ERR_STATE), and a VM does not start
 * sandboxed while another exists. on = 0 after it is installed is
 * SCORPI_ERR_STATE: it cannot be lifted.
 */
SCORPI_API int scorpi_set_sandbox(int on, scorpi_error *err);

/* ---- VM descriptions ---- */

typedef struct scorpi_config scorpi_config;

SCORPI_API scorpi_config *scorpi_config_new(scorpi_error *err);
/* From a YAML VM file's text (docs/yaml.md); name is used in messages. */
SCORPI_API scorpi_config *scorpi_config_from_yaml(const char *text, size_t len,
						  const char *name,
						  scorpi_error *err);
SCORPI_API void scorpi_config_free(scorpi_config *cfg);

/*
 * Sets a property by its YAML key: name, cpu, memory, console (none or
 * stdio), reboot (reset or exit), kernel, initrd, cmdline, bootrom,
 * bootvars, uuid, stats, sandbox (on, the default, or off: whether this VM
 * installs the sandbox where scorpi_set_sandbox allows it).
 */
SCORPI_API int scorpi_config_set(scorpi_config *cfg, const char *key,
				 const char *value, scorpi_error *err);

enum scorpi_bus {
	SCORPI_BUS_PCI = 0,
	SCORPI_BUS_USB = 1,
	SCORPI_BUS_LPC = 2,
};

/*
 * Adds a device, written as on the command line: "SLOT[:FUNC],DEVICE[,OPTS]"
 * for PCI ("2,virtio-blk,disk.img,ro"), "DEVICE[,OPTS]" for USB and LPC
 * ("vm-control,path=/run/vm1.sock").
 */
SCORPI_API int scorpi_config_add_device(scorpi_config *cfg, enum scorpi_bus bus,
					const char *spec, scorpi_error *err);

/* The description as canonical YAML, malloc'd (free it); NULL if no memory. */
SCORPI_API char *scorpi_config_to_yaml(const scorpi_config *cfg);

/* ---- Running VMs ---- */

typedef struct scorpi_vm scorpi_vm;

enum scorpi_state {
	SCORPI_STATE_CREATED = 0,
	SCORPI_STATE_RUNNING = 1,
	SCORPI_STATE_PAUSED = 2,
	SCORPI_STATE_RESETTING = 3,
	SCORPI_STATE_SHUTTING_DOWN = 4,
	SCORPI_STATE_STOPPED = 5,
};

/* Exit codes, as the scorpi command returns them. */
enum scorpi_exit_code {
	SCORPI_EXITED_POWEROFF = 0,
	SCORPI_EXITED_ERROR = 1,
	SCORPI_EXITED_REBOOT = 2, /* with reboot: exit */
	SCORPI_EXITED_TRIPLE_FAULT = 3,
	SCORPI_EXITED_STOPPED = 4, /* scorpi_vm_stop, quit, Ctrl-A x */
	/*
	 * The sandbox stopped a forbidden system call: the process's exit
	 * status, never returned by scorpi_vm_wait (the process is gone).
	 */
	SCORPI_EXITED_SANDBOX = 5,
};

enum scorpi_event_type {
	SCORPI_EVENT_STATE = 0, /* state changed; exit_code with STOPPED */
	SCORPI_EVENT_CONSOLE = 1, /* guest console output in data/len */
};

typedef struct scorpi_event {
	int type; /* enum scorpi_event_type */
	int state; /* enum scorpi_state */
	int exit_code; /* with SCORPI_STATE_STOPPED */
	const uint8_t *data; /* console bytes: valid during the call only */
	size_t len;
} scorpi_event;

/*
 * Called on one of the VM's threads. It may call scorpi_vm_pause,
 * _resume, _powerdown, _stop and _state, but never _wait or _free.
 */
typedef void (*scorpi_event_fn)(scorpi_vm *vm, const scorpi_event *ev,
				void *ctx);

/*
 * Checks the description, builds the VM and starts it; returns at once.
 * The VM has its own copy of cfg. With events, fn is subscribed before
 * the VM runs, so that it sees every event (fn may be NULL).
 */
SCORPI_API scorpi_vm *scorpi_vm_start(const scorpi_config *cfg,
				      scorpi_event_fn fn, void *ctx,
				      scorpi_error *err);
/* More subscribers, at most 6 per VM. */
SCORPI_API int scorpi_vm_subscribe(scorpi_vm *vm, scorpi_event_fn fn, void *ctx,
				   scorpi_error *err);
SCORPI_API int scorpi_vm_unsubscribe(scorpi_vm *vm, scorpi_event_fn fn,
				     void *ctx);
SCORPI_API int scorpi_vm_state(scorpi_vm *vm);
/* No vCPU runs once pause returns; the guest's clock goes on. */
SCORPI_API int scorpi_vm_pause(scorpi_vm *vm, scorpi_error *err);
SCORPI_API int scorpi_vm_resume(scorpi_vm *vm, scorpi_error *err);
/* Asks the guest to power down (ACPI power button on x86). */
SCORPI_API int scorpi_vm_powerdown(scorpi_vm *vm, scorpi_error *err);
/* Resets the VM in place, whatever reboot says. */
SCORPI_API int scorpi_vm_reset(scorpi_vm *vm, scorpi_error *err);
/*
 * Stops the VM now, as a pulled plug: its exit code is 4. It always ends
 * the VM, whatever it is doing (paused, resetting, booting), and outranks
 * a reset or a pause under way.
 */
SCORPI_API int scorpi_vm_stop(scorpi_vm *vm, scorpi_error *err);
/* Blocks until the VM has stopped; returns its exit code. */
SCORPI_API int scorpi_vm_wait(scorpi_vm *vm);
/* Stops the VM if it still runs, and frees everything it holds. */
SCORPI_API void scorpi_vm_free(scorpi_vm *vm);

#ifdef __cplusplus
}
#endif

#endif
