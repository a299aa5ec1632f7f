// SPDX-License-Identifier: MIT
/* The ICH9 LPC bridge's configuration space (lpc_ich9.h). */
#include <string.h>

#include "lpc_ich9.h"

#define ICH9_LPC_DEVICE_ID 0x2918
#define ICH9_CLASS_ISA_BRIDGE 0x06010002 /* class 0601, revision 2 */
#define ICH9_PMBASE 0x40
#define ICH9_ACPI_CNTL 0x44
#define ICH9_PIRQA_ROUT 0x60 /* PIRQ A-D, then E-H at 0x68 */
#define ICH9_PIRQE_ROUT 0x68
#define ICH9_RCBA 0xf0
#define ICH9_PIRQ_DISABLED 0x80

/* The writable bits of each register, from the ICH9 datasheet. */
static void lpc_ich9_defaults(struct lpc_ich9 *lpc)
{
	struct pci_dev *d = &lpc->pci;

	pci_cfg_set(d, ICH9_PMBASE, 4, 0x1); /* I/O space indicator */
	pci_cfg_set(d, ICH9_ACPI_CNTL, 1, 0);
	memset(d->config + ICH9_PIRQA_ROUT, ICH9_PIRQ_DISABLED, 4);
	memset(d->config + ICH9_PIRQE_ROUT, ICH9_PIRQ_DISABLED, 4);
	pci_cfg_set(d, ICH9_RCBA, 4, 0);
}

void lpc_ich9_init(struct lpc_ich9 *lpc)
{
	struct pci_dev *d = &lpc->pci;

	pci_dev_init(d, "lpc", 0x8086, ICH9_LPC_DEVICE_ID,
		     ICH9_CLASS_ISA_BRIDGE, 0x1af4, 0x1100);
	pci_cfg_set(d, PCI_INTERRUPT_PIN, 1, 0);
	/* A bridge to the legacy ports: I/O decoding is the guest's. */
	le_write(d->wmask + PCI_COMMAND, 2,
		 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	le_write(d->wmask + ICH9_PMBASE, 4, 0xff80); /* 128-byte aligned */
	d->wmask[ICH9_ACPI_CNTL] = 0x87; /* ACPI enable, SCI IRQ select */
	memset(d->wmask + ICH9_PIRQA_ROUT, 0x8f, 4);
	memset(d->wmask + ICH9_PIRQE_ROUT, 0x8f, 4);
	le_write(d->wmask + ICH9_RCBA, 4, 0xffffc001); /* 16 KiB, enable */
	lpc_ich9_defaults(lpc);
}

void lpc_ich9_reset(struct lpc_ich9 *lpc)
{
	pci_dev_reset_config(&lpc->pci);
	lpc_ich9_defaults(lpc);
}
