/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_HV_FAKE_H
#define SCORPI_HV_FAKE_H

/*
 * A fake hypervisor backend for tests (hv_fake.c, never in libscorpi):
 * it implements hv.h with no KVM, and its vCPUs follow a script the test
 * writes. At every boot each vCPU starts its script from the first step;
 * a vCPU past its last step idles (HV_FAKE_IDLE). The state is global:
 * one fake per test program. A program that cannot call these (the
 * scorpi command built on the fake) gives vCPU 0's script in the
 * environment: SCORPI_FAKE_SCRIPT="io:20,reset" (hv_fake.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv.h"

enum hv_fake_op {
	HV_FAKE_IO, /* count exits: a 1-byte write to port */
	HV_FAKE_EXIT, /* one exit of reason (SHUTDOWN, SYSTEM_RESET, ...) */
	HV_FAKE_IDLE, /* the guest halts: blocks until kicked, then
		       * HV_EXIT_INTERRUPTED, and idles again at the next run */
};

struct hv_fake_step {
	enum hv_fake_op op;
	unsigned int count; /* HV_FAKE_IO */
	uint16_t port; /* HV_FAKE_IO */
	enum hv_exit_reason reason; /* HV_FAKE_EXIT */
};

#define HV_FAKE_MAX_STEPS 8
#define HV_FAKE_MAX_VCPUS 8

/* vCPU index's script from its next boot on (n steps, at most MAX). */
void hv_fake_set_script(unsigned int vcpu, const struct hv_fake_step *steps,
			size_t n);

/* Called on the VM's main thread, with no fake lock held. */
struct hv_fake_hooks {
	void (*vm_create)(void *ctx, unsigned int boot); /* boot: 1, 2, ... */
	void (*vm_destroy)(void *ctx, unsigned int boot);
	void *ctx;
};

void hv_fake_set_hooks(const struct hv_fake_hooks *hooks);

struct hv_fake_stats {
	unsigned int vm_created; /* boots so far */
	unsigned int vm_destroyed;
	unsigned int vcpus_created;
	unsigned int vcpus_destroyed;
	unsigned int in_run; /* vCPUs inside hv_vcpu_run now */
	uint64_t exits[HV_EXIT_COUNT];
	uint64_t irq_lines; /* hv_vm_irq_line calls */
	/* hv_vm_irq_line on a VM that hv_vm_destroy gave back: a UAF. */
	uint64_t irq_after_destroy;
	unsigned int dumps; /* hv_vcpu_dump calls */
};

void hv_fake_get_stats(struct hv_fake_stats *out);
/* Forgets scripts, hooks and counters (between tests, no VM alive). */
void hv_fake_reset(void);

/*
 * Waits until the vCPUs have returned at least count exits of reason in
 * all (since hv_fake_reset); false if timeout_ms passed first.
 */
bool hv_fake_wait_exits(enum hv_exit_reason reason, uint64_t count,
			unsigned int timeout_ms);

/*
 * Makes the next hv_vm_irq_line wait up to ms inside the call, for the
 * VM to be destroyed under it: a window that a missing lock in the VMM
 * lets a reset fall into. hv_fake_irq_stalled says one is waiting.
 */
void hv_fake_stall_next_irq(unsigned int ms);
bool hv_fake_wait_irq_stalled(unsigned int timeout_ms);

#endif
