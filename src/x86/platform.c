// SPDX-License-Identifier: MIT
/*
 * The x86-64 platform: RAM around the PCI hole, the legacy devices a PC
 * kernel expects (COM1, CMOS RTC, ACPI PM block, reset control), the PCI
 * host with its ECAM window, ACPI tables and the direct Linux boot; or,
 * with -o bootrom, UEFI firmware at the reset vector, told of the VM
 * through fw_cfg, with the ICH9 LPC bridge it looks for.
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../core/vm.h"
#include "../devices/acpi_pm.h"
#include "../devices/cfi_flash.h"
#include "../devices/fw_cfg.h"
#include "../devices/i8042_reset.h"
#include "../devices/lpc_ich9.h"
#include "../devices/pci_host.h"
#include "../devices/port92.h"
#include "../devices/rtc_cmos.h"
#include "../devices/uart_16550.h"
#include "../hv/hv_x86.h"
#include "../smbios/smbios.h"
#include "acpi_tables.h"
#include "bootrom.h"
#include "firmware.h"
#include "layout.h"
#include "linux_boot.h"

/* CMOS bytes where firmware reads the memory size (in 64 KiB units). */
#define CMOS_MEM_ABOVE_16M_LO 0x34
#define CMOS_MEM_ABOVE_16M_HI 0x35
#define CMOS_MEM_ABOVE_4G_LO 0x5b

/* Room for the SMBIOS structures: under 1 KiB with the longest name. */
#define SMBIOS_TABLES_MAX 4096

/* The firmware's memory slots, after the RAM regions': code, variables. */
#define X86_BOOTROM_SLOT GUEST_RAM_MAX_REGIONS
#define X86_BOOTVARS_SLOT (GUEST_RAM_MAX_REGIONS + 1)

struct platform {
	struct uart_16550 *com1;
	struct rtc_cmos *rtc;
	struct acpi_pm *pm;
	struct pci_host *pci;
	struct port92 port92;
	/* With -o bootrom only: */
	struct x86_bootrom rom;
	struct x86_bootvars vars;
	struct cfi_flash *flash; /* with -o bootvars */
	struct vm *vm; /* whose hypervisor VM the flash maps into */
	struct fw_cfg *fw_cfg;
	struct lpc_ich9 lpc;
	unsigned int phys_bits; /* the host's, which the guest sees too */
	uint8_t smbios[SMBIOS_TABLES_MAX]; /* the VM's SMBIOS structures */
	size_t smbios_len;
};

/*
 * The host's physical address width, which KVM gives the guest in CPUID
 * 0x80000008 and firmware sizes its 64-bit PCI window from.
 */
static unsigned int host_phys_bits(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) ||
	    eax < 0x80000008)
		return 36;
	__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx);
	return eax & 0xff;
}

/*
 * The SMBIOS structures: the VM's name and UUID, one socket of its
 * vCPUs with the host's CPUID signature (what KVM passes on), and RAM
 * as the e820 map has it.
 */
static int platform_smbios(struct platform *p, const struct vm *vm)
{
	uint64_t mem = vm->cfg.mem_size;
	uint64_t low = mem < X86_LOW_RAM_END ? mem : X86_LOW_RAM_END;
	unsigned int eax = 0, ebx, ecx, edx = 0;
	uint8_t uuid[16];
	struct smbios_config sc = {
		.vm_name = vm->cfg.name,
		.uuid = uuid,
		.version = SCORPI_VERSION,
		.cpus = vm->cfg.cpus,
		.ram = { { 0, low }, { X86_HIGH_RAM_BASE, mem - low } },
		.nram = mem > low ? 2 : 1,
	};

	__get_cpuid(1, &eax, &ebx, &ecx, &edx);
	sc.cpu_signature = eax;
	sc.cpu_features = edx;
	config_uuid(&vm->cfg, uuid);
	p->smbios_len = smbios_build_tables(&sc, p->smbios, sizeof(p->smbios));
	if (!p->smbios_len) {
		log_error("the SMBIOS tables do not fit in %zu bytes",
			  sizeof(p->smbios));
		return -1;
	}
	return 0;
}

/* For the direct boot, where Linux scans for them (the F segment). */
static void platform_place_smbios(struct platform *p, struct vm *vm)
{
	uint8_t *at = guest_ram_ptr(&vm->ram, X86_SMBIOS_ADDR,
				    SMBIOS3_ANCHOR_LEN + 8 + p->smbios_len);

	if (!at)
		return;
	smbios_build_anchor(at, X86_SMBIOS_ADDR + SMBIOS3_ANCHOR_LEN + 8,
			    p->smbios_len);
	memcpy(at + SMBIOS3_ANCHOR_LEN + 8, p->smbios, p->smbios_len);
}

static size_t com1_receive(void *ctx, const uint8_t *buf, size_t len)
{
	return uart_16550_receive(ctx, buf, len);
}

static int platform_ram(struct vm *vm)
{
	uint64_t mem = vm->cfg.mem_size;
	uint64_t low = mem < X86_LOW_RAM_END ? mem : X86_LOW_RAM_END;

	if (guest_ram_add_region(&vm->ram, 0, low) < 0)
		return -1;
	if (mem > low &&
	    guest_ram_add_region(&vm->ram, X86_HIGH_RAM_BASE, mem - low) < 0)
		return -1;
	return 0;
}

static void platform_cmos_memory(struct rtc_cmos *rtc, uint64_t mem)
{
	uint64_t low = mem < X86_LOW_RAM_END ? mem : X86_LOW_RAM_END;
	uint64_t above16m = low > (16 << 20) ? (low - (16 << 20)) >> 16 : 0;
	uint64_t above4g = (mem - low) >> 16;

	if (above16m > 0xffff)
		above16m = 0xffff;
	rtc_cmos_set_nvram(rtc, CMOS_MEM_ABOVE_16M_LO, above16m);
	rtc_cmos_set_nvram(rtc, CMOS_MEM_ABOVE_16M_HI, above16m >> 8);
	for (int i = 0; i < 3; i++)
		rtc_cmos_set_nvram(rtc, CMOS_MEM_ABOVE_4G_LO + i,
				   above4g >> (8 * i));
}

/* A Q35 MCH, as stock firmware expects; slots rotate over GSIs 16-23. */
static const struct pci_host_config x86_pci_host = {
	.ecam_base = X86_ECAM_BASE,
	.mmio32_base = X86_PCI_MMIO32_BASE,
	.mmio32_end = X86_PCI_MMIO32_END,
	.intx_gsi_base = X86_PCI_INTX_GSI_BASE,
	.intx_lines = 8,
	.bridge_vendor = 0x8086,
	.bridge_device = 0x29c0,
	.q35_pciexbar = true,
};

/* The flash's read-array mode maps its pages for the guest's reads. */
static int bootvars_set_mapped(void *ctx, bool mapped, const uint8_t *host)
{
	struct platform *p = ctx;

	if (!mapped)
		return hv_vm_unmap(p->vm->hv_vm, X86_BOOTVARS_SLOT);
	return hv_vm_map_rom(p->vm->hv_vm, X86_BOOTVARS_SLOT, p->vars.gpa,
			     p->vars.size, (void *)host);
}

/* The variable store, a CFI flash just below the code (-o bootvars). */
static int platform_bootvars(struct platform *p, struct vm *vm)
{
	struct cfi_flash_config fc = {
		.name = vm->cfg.bootvars,
		.block_size = X86_BOOTVARS_BLOCK,
		.set_mapped = bootvars_set_mapped,
		.ctx = p,
	};

	if (x86_bootvars_open(vm->cfg.bootvars, vm->cfg.bootrom, &p->rom,
			      &p->vars) < 0)
		return -1;
	fc.fd = p->vars.fd;
	fc.size = p->vars.size;
	p->flash = cfi_flash_create(&fc);
	if (!p->flash)
		return -1;
	return bus_add(&vm->mmio, p->vars.gpa, p->vars.size, cfi_flash_access,
		       p->flash, "bootvars");
}

/* The firmware, fw_cfg and the LPC bridge, for -o bootrom. */
static int platform_firmware(struct platform *p, struct vm *vm)
{
	struct x86_firmware_config fc = {
		.cpus = vm->cfg.cpus,
		.mem_size = vm->cfg.mem_size,
		.phys_bits = p->phys_bits,
		.kernel_fd = vm->kernel_fd,
		.initrd_fd = vm->initrd_fd,
		.cmdline = vm->cfg.cmdline,
		.smbios = p->smbios,
		.smbios_len = p->smbios_len,
	};
	char *bootorder;
	int ret;

	if (x86_bootrom_open(vm->cfg.bootrom, &p->rom) < 0)
		return -1;
	if (vm->cfg.bootvars) {
		if (platform_bootvars(p, vm) < 0)
			return -1;
	} else if (p->rom.unified) {
		log_info(
			"bootrom %s holds its own variable store, mapped read-only: EFI variables last for this run only",
			vm->cfg.bootrom);
	} else {
		log_info(
			"bootrom %s: no variable store given (-o bootvars): EFI variables last for this run only",
			vm->cfg.bootrom);
	}
	p->fw_cfg = fw_cfg_create(&vm->ram);
	if (!p->fw_cfg)
		return -1;
	/* fw_cfg keeps a copy. */
	bootorder = x86_bootorder(&vm->cfg);
	fc.bootorder = bootorder;
	ret = x86_firmware_describe(p->fw_cfg, &fc);
	free(bootorder);
	if (ret < 0)
		return -1;
	lpc_ich9_init(&p->lpc);
	if (pci_bus_add(&p->pci->bus, &p->lpc.pci, LPC_ICH9_DEVFN) < 0)
		return -1;
	return bus_add(&vm->pio, X86_FW_CFG_PORT, FW_CFG_PORT_SIZE,
		       fw_cfg_port_access, p->fw_cfg, "fw_cfg");
}

struct platform *platform_create(struct vm *vm)
{
	struct platform *p = calloc(1, sizeof(*p));
	struct irq_line com1_irq = vm_irq_line(vm, X86_COM1_IRQ);
	struct irq_line sci = vm_irq_line(vm, X86_SCI_IRQ);
	/* COM1's output always reaches listeners; the terminal too, unless
	 * a virtio-console port has it. */
	struct chardev out = vm->console_out;
	uint64_t mmio64, mmio64_size;
	int err = 0;

	if (!p)
		return NULL;
	p->phys_bits = host_phys_bits();
	p->vm = vm;
	if (platform_ram(vm) < 0) {
		log_error("cannot lay out guest RAM");
		free(p);
		return NULL;
	}
	p->com1 = uart_16550_create(&com1_irq, &out);
	p->rtc = rtc_cmos_create();
	p->pm = acpi_pm_create(&sci, &vm->control);
	p->pci = pci_host_create(&x86_pci_host, &vm->control);
	if (!p->com1 || !p->rtc || !p->pm || !p->pci) {
		log_error("out of memory");
		platform_destroy(p);
		return NULL;
	}
	/* The window the DSDT's _CRS gives the guest above RAM. */
	x86_pci_mmio64_window(vm->cfg.mem_size, p->phys_bits, &mmio64,
			      &mmio64_size);
	pci_bus_set_mmio64(&p->pci->bus, mmio64, mmio64 + mmio64_size);
	platform_cmos_memory(p->rtc, vm->cfg.mem_size);

	err |= bus_add(&vm->pio, X86_COM1_PORT, 8, uart_16550_access, p->com1,
		       "com1");
	err |= bus_add(&vm->pio, X86_RTC_PORT, 2, rtc_cmos_access, p->rtc,
		       "rtc");
	err |= bus_add(&vm->pio, X86_PM_BASE, ACPI_PM_SIZE, acpi_pm_access,
		       p->pm, "acpi-pm");
	err |= bus_add(&vm->pio, X86_PCI_CONFIG_PORT, 8, pci_host_port_access,
		       p->pci, "pci-config");
	err |= bus_add(&vm->pio, X86_I8042_CMD_PORT, 1, i8042_reset_access,
		       &vm->control, "i8042-reset");
	port92_init(&p->port92, &vm->control);
	err |= bus_add(&vm->pio, X86_PORT92, 1, port92_access, &p->port92,
		       "port92");
	err |= bus_add(&vm->mmio, X86_ECAM_BASE, X86_ECAM_SIZE,
		       pci_host_ecam_access, p->pci, "pci-ecam");
	err |= bus_add(&vm->mmio, X86_PCI_MMIO32_BASE,
		       X86_PCI_MMIO32_END - X86_PCI_MMIO32_BASE,
		       pci_bus_mmio_access, &p->pci->bus, "pci-mmio32");
	err |= bus_add(&vm->mmio, mmio64, mmio64_size, pci_bus_mmio64_access,
		       &p->pci->bus, "pci-mmio64");
	if (!err)
		err = platform_smbios(p, vm);
	if (!err && vm->cfg.bootrom)
		err = platform_firmware(p, vm);
	if (err) {
		platform_destroy(p);
		return NULL;
	}
	if (vm->console && vm->cfg.console == CONSOLE_STDIO)
		console_set_sink(vm->console, com1_receive, p->com1);
	return p;
}

int platform_check_boot(struct vm *vm)
{
	return vm->kernel_fd >= 0 ? x86_linux_check(vm->kernel_fd) : 0;
}

int platform_boot(struct platform *p, struct vm *vm)
{
	struct x86_acpi_config acpi = { vm->cfg.cpus, vm->cfg.mem_size,
					p->phys_bits };
	struct linux_boot_files files = {
		.kernel_fd = vm->kernel_fd,
		.initrd_fd = vm->initrd_fd,
		.cmdline = vm->cfg.cmdline,
		.rsdp_addr = X86_BIOS_AREA_ADDR,
	};
	size_t acpi_size = X86_SMBIOS_ADDR - X86_BIOS_AREA_ADDR;
	void *acpi_host =
		guest_ram_ptr(&vm->ram, X86_BIOS_AREA_ADDR, acpi_size);
	struct x86_boot_state state;

	/* Firmware starts at the reset vector, where KVM puts vCPU 0. */
	if (p->rom.host) {
		if (p->flash && hv_vm_map_rom(vm->hv_vm, X86_BOOTVARS_SLOT,
					      p->vars.gpa, p->vars.size,
					      (void *)cfi_flash_host(p->flash)))
			return -1;
		return hv_vm_map_rom(vm->hv_vm, X86_BOOTROM_SLOT, p->rom.gpa,
				     p->rom.size, p->rom.host);
	}
	if (!acpi_host || x86_acpi_build(acpi_host, X86_BIOS_AREA_ADDR,
					 acpi_size, &acpi) < 0) {
		log_error("the ACPI tables do not fit in the BIOS area");
		return -1;
	}
	platform_place_smbios(p, vm);
	if (x86_linux_load(&vm->ram, vm->cfg.mem_size, &files, &state) < 0)
		return -1;
	/* The other vCPUs wait for the guest's INIT/SIPI, in the kernel. */
	return hv_vcpu_set_x86_boot(vm->vcpus[0].hv, &state);
}

void platform_reset(struct platform *p)
{
	/* The RTC and its NVRAM are battery-backed: they keep going. */
	uart_16550_reset(p->com1);
	acpi_pm_reset(p->pm);
	pci_host_reset(p->pci);
	port92_reset(&p->port92);
	if (p->fw_cfg) {
		fw_cfg_reset(p->fw_cfg);
		lpc_ich9_reset(&p->lpc);
	}
	if (p->flash)
		cfi_flash_reset(p->flash);
}

int platform_power_button(struct platform *p)
{
	acpi_pm_power_button(p->pm);
	return 0;
}

struct pci_bus *platform_pci_bus(struct platform *p)
{
	return &p->pci->bus;
}

void platform_destroy(struct platform *p)
{
	if (!p)
		return;
	uart_16550_destroy(p->com1);
	rtc_cmos_destroy(p->rtc);
	acpi_pm_destroy(p->pm);
	pci_host_destroy(p->pci);
	fw_cfg_destroy(p->fw_cfg);
	cfi_flash_destroy(p->flash);
	x86_bootrom_close(&p->rom);
	free(p);
}
