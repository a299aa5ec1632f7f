/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_HV_ARM64_H
#define SCORPI_HV_ARM64_H

#include <stdbool.h>
#include <stdint.h>

#include "hv.h"

/* Where the interrupt controller goes (the platform map). */
struct arm64_gic_layout {
	uint64_t dist_base;
	uint64_t redist_base;
	uint64_t redist_size; /* room for how many vCPUs */
	uint64_t its_base;
};

/*
 * Makes the in-kernel GICv3 (and an ITS where KVM has one) once every vCPU
 * exists and before any runs, as KVM asks; *has_its says whether MSIs can
 * be delivered.
 */
int hv_vm_create_arm64_gic(struct hv_vm *vm, const struct arm64_gic_layout *l,
			   bool *has_its);
/* The vCPU's MPIDR_EL1 affinity, for the device tree's cpu nodes. */
int hv_vcpu_arm64_mpidr(struct hv_vcpu *vcpu, uint64_t *mpidr);
/* The Linux entry state: PC, x0 = the DTB; EL1h, interrupts masked. */
int hv_vcpu_set_arm64_boot(struct hv_vcpu *vcpu, uint64_t pc, uint64_t x0);

#endif
