/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_HV_X86_H
#define SCORPI_HV_X86_H

#include <stdint.h>

#include "hv.h"

/* The register state of the Linux 64-bit boot protocol's entry. */
struct x86_boot_state {
	uint64_t rip;
	uint64_t rsi; /* the zero page */
	uint64_t cr3; /* identity-mapped page tables */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t code_sel;
	uint16_t data_sel;
};

int hv_vcpu_set_x86_boot(struct hv_vcpu *vcpu,
			 const struct x86_boot_state *state);

#endif
