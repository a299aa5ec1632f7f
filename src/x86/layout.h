/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_X86_LAYOUT_H
#define SCORPI_X86_LAYOUT_H

/* The x86-64 platform map (docs/platform.md, ../shared/DESIGN.md). */

/* Low RAM ends where the PCI hole starts. */
#define X86_LOW_RAM_END 0xb0000000ull
#define X86_ECAM_BASE 0xb0000000ull
#define X86_ECAM_SIZE 0x10000000ull
#define X86_PCI_MMIO32_BASE 0xc0000000ull
#define X86_PCI_MMIO32_END 0xfc000000ull
#define X86_IOAPIC_BASE 0xfec00000ull
#define X86_LAPIC_BASE 0xfee00000ull
#define X86_HIGH_RAM_BASE 0x100000000ull

/* Where the direct boot puts its pieces in low memory. */
#define X86_GDT_ADDR 0x500ull
#define X86_ZERO_PAGE_ADDR 0x7000ull
#define X86_PML4_ADDR 0x9000ull
#define X86_PDPT_ADDR 0xa000ull
#define X86_PD_ADDR 0xb000ull /* four pages: 0-4 GiB in 2 MiB pages */
#define X86_CMDLINE_ADDR 0x20000ull
#define X86_CMDLINE_MAX 0x10000ull
#define X86_EBDA_ADDR 0x9fc00ull
#define X86_BIOS_AREA_ADDR 0xe0000ull /* ACPI tables live here */
#define X86_SMBIOS_ADDR 0xf0000ull /* where Linux looks for SMBIOS */
#define X86_BIOS_AREA_END 0x100000ull
#define X86_KERNEL_ADDR 0x100000ull

/* Legacy I/O ports. */
#define X86_COM1_PORT 0x3f8
#define X86_COM1_IRQ 4
#define X86_RTC_PORT 0x70
#define X86_RTC_IRQ 8
#define X86_PM_BASE 0x600
#define X86_SCI_IRQ 9
#define X86_PCI_CONFIG_PORT 0xcf8
#define X86_RESET_PORT 0xcf9
#define X86_I8042_CMD_PORT 0x64
#define X86_PORT92 0x92
#define X86_FW_CFG_PORT 0x510

/* GSIs 16-23 carry PCI INTx: slot S pin P (1 = INTA) on 16 + (S + P - 1) % 8. */
#define X86_PCI_INTX_GSI_BASE 16

#endif
