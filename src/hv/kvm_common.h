/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_KVM_COMMON_H
#define SCORPI_KVM_COMMON_H

/*
 * What every KVM backend (kvm_x86.c, kvm_arm64.c) does the same way:
 * opening /dev/kvm, capabilities, memory slots, irqfd and ioeventfd, the
 * GSI routing table, the vCPU's run area and the exits all share.
 * Only the backends include this.
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv.h"

struct kvm_cap_need {
	int cap;
	const char *what; /* for "this KVM lacks ..." */
};

/*
 * Opens /dev/kvm and checks its API and the capabilities the backend
 * needs; prints why not and returns -1.
 */
int kvm_open_device(const struct kvm_cap_need *caps, size_t n);
unsigned int kvm_max_vcpus(int fd);

int kvm_set_memory(int vm_fd, unsigned int slot, uint64_t gpa, uint64_t size,
		   void *host, bool read_only);
/* Deletes slot: size 0, as KVM_SET_USER_MEMORY_REGION has it. */
int kvm_clear_memory(int vm_fd, unsigned int slot);
int kvm_irqfd(int vm_fd, int fd, unsigned int gsi, bool assign);
int kvm_ioeventfd(int vm_fd, int fd, uint64_t addr, bool assign);

/* The GSI routing table: KVM takes it whole, so it is kept here. */
struct kvm_routes {
	pthread_mutex_t lock;
	struct kvm_irq_routing *table;
	unsigned int cap;
};

int kvm_routes_init(struct kvm_routes *r, unsigned int cap);
void kvm_routes_free(struct kvm_routes *r);
void kvm_routes_add_irqchip(struct kvm_routes *r, unsigned int gsi,
			    unsigned int chip, unsigned int pin);
/* Sets (or replaces) gsi's MSI route; with_devid for an arm64 ITS. */
int kvm_routes_set_msi(struct kvm_routes *r, int vm_fd, unsigned int gsi,
		       uint64_t addr, uint32_t data, bool with_devid,
		       uint32_t devid);
/* Hands the table to KVM as it is now. */
int kvm_routes_commit(struct kvm_routes *r, int vm_fd);

/* A vCPU's fd and run area. */
struct kvm_vcpu_base {
	int fd;
	unsigned int index;
	struct kvm_run *run;
	size_t run_size;
};

int kvm_vcpu_open(struct kvm_vcpu_base *v, int kvm_fd, int vm_fd,
		  unsigned int index);
void kvm_vcpu_close(struct kvm_vcpu_base *v);
/*
 * KVM_RUN and the exits every architecture has (MMIO, system events,
 * interruptions, failures). Returns 1 for an exit the architecture must
 * decode (run->exit_reason), else 0 with exit filled in.
 */
int kvm_vcpu_run(struct kvm_vcpu_base *v, struct hv_exit *exit);
void kvm_vcpu_kick(struct kvm_vcpu_base *v);
/* Marks an exit as a failure after an architecture-specific message. */
void kvm_exit_failed(struct kvm_vcpu_base *v, struct hv_exit *exit);

#endif
