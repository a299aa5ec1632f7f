/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_ARM64_LAYOUT_H
#define SCORPI_ARM64_LAYOUT_H

/*
 * The arm64 platform map (../shared/DESIGN.md): QEMU virt's addresses and
 * interrupt numbers, so that firmware and kernels built for it run here.
 */

/* Two 64 MiB flash banks: firmware code, then its variables. */
#define ARM64_FLASH_BASE 0x00000000ull
#define ARM64_FLASH_BANK_SIZE 0x04000000ull
#define ARM64_FLASH_SIZE (2 * ARM64_FLASH_BANK_SIZE)

/* GICv3: distributor, ITS, then one 128 KiB redistributor per vCPU. */
#define ARM64_GIC_DIST_BASE 0x08000000ull
#define ARM64_GIC_DIST_SIZE 0x10000ull
#define ARM64_GIC_ITS_BASE 0x08080000ull
#define ARM64_GIC_ITS_SIZE 0x20000ull
#define ARM64_GIC_REDIST_BASE 0x080a0000ull
#define ARM64_GIC_REDIST_END 0x09000000ull
#define ARM64_GIC_REDIST_STRIDE 0x20000ull
#define ARM64_GIC_REDIST_MAX_CPUS                         \
	((ARM64_GIC_REDIST_END - ARM64_GIC_REDIST_BASE) / \
	 ARM64_GIC_REDIST_STRIDE)

/* Each MMIO device below has a 4 KiB region. */
#define ARM64_MMIO_DEV_SIZE 0x1000ull
#define ARM64_UART_BASE 0x09000000ull /* PL011 */
#define ARM64_RTC_BASE 0x09010000ull /* PL031 */
#define ARM64_FW_CFG_BASE 0x09020000ull
#define ARM64_GPIO_BASE 0x09030000ull /* PL061 */
#define ARM64_VIRTIO_MMIO_BASE 0x0a000000ull

/* PCIe: the 32-bit MMIO window, the I/O window, ECAM for buses 0-15. */
#define ARM64_PCI_MMIO32_BASE 0x10000000ull
#define ARM64_PCI_MMIO32_END 0x3eff0000ull /* exclusive */
#define ARM64_PCI_MMIO32_SIZE (ARM64_PCI_MMIO32_END - ARM64_PCI_MMIO32_BASE)
#define ARM64_PCI_IO_BASE 0x3eff0000ull
#define ARM64_PCI_IO_SIZE 0x10000ull
#define ARM64_PCI_ECAM_BASE 0x3f000000ull
#define ARM64_PCI_ECAM_SIZE 0x01000000ull
#define ARM64_PCI_BUSES 16 /* 1 MiB of ECAM per bus */
#define ARM64_PCI_MMIO64_BASE 0x8000000000ull
#define ARM64_PCI_MMIO64_SIZE 0x8000000000ull

#define ARM64_RAM_BASE 0x40000000ull

/*
 * Interrupts, numbered as the device tree gives them: SPI n is GIC INTID
 * 32 + n, PPI n is INTID 16 + n.
 */
#define ARM64_GIC_SPI_BASE 32
#define ARM64_GIC_PPI_BASE 16
#define ARM64_UART_SPI 1
#define ARM64_RTC_SPI 2
#define ARM64_PCI_INTX_SPI_BASE 3 /* SPIs 3-6: INTA-INTD, swizzled */
#define ARM64_PCI_INTX_COUNT 4
#define ARM64_GPIO_SPI 7
#define ARM64_VIRTIO_MMIO_SPI_BASE 16

/* PCI slot S pin P (1 = INTA) raises SPI 3 + (S + P - 1) % 4. */
#define ARM64_PCI_INTX_SPI(slot, pin) \
	(ARM64_PCI_INTX_SPI_BASE + ((slot) + (pin)-1) % ARM64_PCI_INTX_COUNT)

/* The power key is PL061 line 3. */
#define ARM64_GPIO_POWER_LINE 3

/* PPIs. */
#define ARM64_PPI_GIC_MAINT 9
#define ARM64_PPI_TIMER_HYP 10
#define ARM64_PPI_TIMER_VIRT 11
#define ARM64_PPI_TIMER_SEC_PHYS 13
#define ARM64_PPI_TIMER_PHYS 14

#endif
