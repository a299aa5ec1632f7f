/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_LPC_ICH9_H
#define SCORPI_LPC_ICH9_H

#include "../pci/pci.h"

/*
 * The ICH9 LPC bridge at 00:1F.0 that a Q35 machine has, as far as
 * stock firmware looks at it (OVMF's OvmfPlatforms.h and PlatformPei):
 * its identity (8086:2918, class 0601, which SioBusDxe wants before it
 * drives COM1) and the registers OVMF programs and reads back, which
 * hold what is written: PMBASE, ACPI control, the PIRQ routes and RCBA.
 * The PM block itself stays at X86_PM_BASE, where OVMF puts it.
 */
struct lpc_ich9 {
	struct pci_dev pci;
};

#define LPC_ICH9_DEVFN ((31 << 3) | 0)

void lpc_ich9_init(struct lpc_ich9 *lpc);
/* Back to the power-on values of its registers. */
void lpc_ich9_reset(struct lpc_ich9 *lpc);

#endif
