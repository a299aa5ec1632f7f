/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_HV_H
#define SCORPI_HV_H

/*
 * The hypervisor backend interface. Only the backend (kvm_x86.c and
 * kvm_arm64.c; hvf later) talks to the hypervisor; everything else goes
 * through these calls. A GSI is the platform's interrupt number: an
 * IOAPIC/PIC input on x86, an SPI (0 = INTID 32) on arm64.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct hv;
struct hv_vm;
struct hv_vcpu;

enum hv_exit_reason {
	HV_EXIT_IO, /* port I/O; io.data holds count * size bytes */
	HV_EXIT_MMIO,
	HV_EXIT_SHUTDOWN, /* triple fault */
	HV_EXIT_SYSTEM_RESET, /* the hypervisor saw a reset request */
	HV_EXIT_SYSTEM_OFF,
	HV_EXIT_INTERRUPTED, /* hv_vcpu_kick or a signal */
	HV_EXIT_FAILED, /* the hypervisor could not run the guest */
	HV_EXIT_COUNT,
};

struct hv_exit {
	enum hv_exit_reason reason;
	union {
		struct {
			uint16_t port;
			uint8_t size;
			bool is_write;
			uint32_t count;
			uint8_t *data;
		} io;
		struct {
			uint64_t addr;
			uint8_t size;
			bool is_write;
			uint8_t *data;
		} mmio;
		struct {
			uint64_t code;
		} failed;
	};
};

/* Opens the hypervisor; prints the reason and returns NULL if it cannot. */
struct hv *hv_open(void);
void hv_close(struct hv *hv);
unsigned int hv_max_vcpus(struct hv *hv);

struct hv_vm *hv_vm_create(struct hv *hv);
void hv_vm_destroy(struct hv_vm *vm);
int hv_vm_map_ram(struct hv_vm *vm, unsigned int slot, uint64_t gpa,
		  uint64_t size, void *host);
/*
 * Read-only memory (firmware code): the guest executes and reads it from
 * host, and its writes exit as HV_EXIT_MMIO. Slots are shared with RAM.
 */
int hv_vm_map_rom(struct hv_vm *vm, unsigned int slot, uint64_t gpa,
		  uint64_t size, void *host);
/*
 * Takes a slot's memory away again: the guest's reads of it exit as
 * HV_EXIT_MMIO too (a flash in a command mode answers them itself).
 * Any thread may call it, a vCPU's among them, while the VM runs.
 */
int hv_vm_unmap(struct hv_vm *vm, unsigned int slot);
int hv_vm_irq_line(struct hv_vm *vm, unsigned int gsi, bool level);

/*
 * Interrupts and notifications that bypass the VMM's threads: MSI routes
 * on GSIs from HV_MSI_GSI_BASE, an eventfd that raises a GSI (irqfd), and
 * an eventfd that a guest write to an address signals (ioeventfd).
 */
#define HV_MSI_GSI_BASE 24
#define HV_MAX_MSI_ROUTES 1024

/* devid: the requester (bus << 8 | devfn), which an arm64 ITS needs. */
int hv_vm_set_msi_route(struct hv_vm *vm, unsigned int gsi, uint64_t addr,
			uint32_t data, uint32_t devid);
int hv_vm_irqfd(struct hv_vm *vm, int fd, unsigned int gsi, bool assign);
int hv_vm_ioeventfd(struct hv_vm *vm, int fd, uint64_t addr, bool assign);

struct hv_vcpu *hv_vcpu_create(struct hv_vm *vm, unsigned int index,
			       unsigned int count);
void hv_vcpu_destroy(struct hv_vcpu *vcpu);
/* Runs the vCPU until the next exit that the VMM must handle. */
int hv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit);
/* Makes a running or about-to-run hv_vcpu_run return HV_EXIT_INTERRUPTED;
 * the caller also signals the vCPU thread to break a run in progress. */
void hv_vcpu_kick(struct hv_vcpu *vcpu);
void hv_vcpu_dump(struct hv_vcpu *vcpu, FILE *out);

#endif
