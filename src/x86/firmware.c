// SPDX-License-Identifier: MIT
/*
 * The fw_cfg items and files that OVMF reads (OvmfPkg/Library/
 * PlatformInitLib for memory and CPUs, AcpiPlatformDxe for the tables,
 * QemuKernelLoaderFsDxe for a kernel given on the command line).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../acpi/acpi.h"
#include "../acpi/acpi_loader.h"
#include "../base/bus.h"
#include "../base/guest_ram.h"
#include "../base/log.h"
#include "../core/config.h"
#include "../core/device.h"
#include "../devices/fw_cfg.h"
#include "../smbios/smbios.h"
#include "acpi_tables.h"
#include "e820.h"
#include "firmware.h"
#include "layout.h"
#include "linux_boot.h"

#define ACPI_BLOB_SIZE (64u << 10)
#define ACPI_BLOB_FILE "etc/acpi/tables"

/* Only RAM: OVMF reserves what it must (ECAM, its own flash) itself. */
static int describe_memory(struct fw_cfg *fw, uint64_t mem_size)
{
	uint64_t low = mem_size < X86_LOW_RAM_END ? mem_size : X86_LOW_RAM_END;
	struct e820_entry map[2] = {
		{ .addr = 0, .size = low, .type = E820_RAM },
		{ .addr = X86_HIGH_RAM_BASE,
		  .size = mem_size - low,
		  .type = E820_RAM },
	};

	return fw_cfg_add_file(fw, "etc/e820", map,
			       (mem_size > low ? 2 : 1) * sizeof(map[0]));
}

/* The tables the direct boot writes, as a blob OVMF places itself. */
static int describe_acpi(struct fw_cfg *fw,
			 const struct x86_firmware_config *cfg)
{
	struct x86_acpi_config acpi = { cfg->cpus, cfg->mem_size,
					cfg->phys_bits };
	uint8_t *blob = malloc(ACPI_BLOB_SIZE), *cmds = NULL;
	struct acpi_area a;
	size_t len = 0;
	int ret = -1;

	if (!blob)
		return -1;
	acpi_area_init(&a, blob, 0, ACPI_BLOB_SIZE);
	if (x86_acpi_build_area(&a, &acpi) == 0)
		cmds = acpi_loader_build(&a, ACPI_BLOB_FILE, &len);
	if (cmds && fw_cfg_add_file(fw, ACPI_BLOB_FILE, blob, a.used) == 0 &&
	    fw_cfg_add_file(fw, "etc/table-loader", cmds, len) == 0)
		ret = 0;
	free(cmds);
	free(blob);
	return ret;
}

/*
 * The kernel as QEMU hands it over: its real-mode setup apart from the
 * rest, both read from the file when the firmware asks. OVMF joins them
 * again and starts the kernel's EFI stub with the command line, and the
 * initrd through the LoadFile2 protocol.
 */
static int describe_kernel(struct fw_cfg *fw,
			   const struct x86_firmware_config *cfg)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	uint8_t head[BZIMAGE_HEADER_BYTES] = { 0 };
	struct bzimage_header hdr;
	struct stat st, ist;
	uint64_t setup;
	char err[160];

	/* Checked already (x86_linux_check); parsed again for its setup. */
	if (fstat(cfg->kernel_fd, &st) < 0 || st.st_size > UINT32_MAX ||
	    pread(cfg->kernel_fd, head, sizeof(head), 0) < 0 ||
	    bzimage_parse(head, sizeof(head), st.st_size, &hdr, err,
			  sizeof(err)) < 0)
		return -1;
	setup = hdr.setup_size;
	if (fw_cfg_add_u32(fw, FW_CFG_SETUP_SIZE, setup) < 0 ||
	    fw_cfg_add_item_fd(fw, FW_CFG_SETUP_DATA, cfg->kernel_fd, 0,
			       setup) < 0 ||
	    fw_cfg_add_u32(fw, FW_CFG_KERNEL_SIZE, st.st_size - setup) < 0 ||
	    fw_cfg_add_item_fd(fw, FW_CFG_KERNEL_DATA, cfg->kernel_fd, setup,
			       st.st_size - setup) < 0 ||
	    fw_cfg_add_u32(fw, FW_CFG_CMDLINE_SIZE, strlen(cmdline) + 1) < 0 ||
	    fw_cfg_add_item(fw, FW_CFG_CMDLINE_DATA, cmdline,
			    strlen(cmdline) + 1) < 0)
		return -1;
	if (cfg->initrd_fd < 0)
		return 0;
	if (fstat(cfg->initrd_fd, &ist) < 0 || ist.st_size > UINT32_MAX) {
		log_error("initrd: firmware takes an initrd of at most 4 GiB");
		return -1;
	}
	if (fw_cfg_add_u32(fw, FW_CFG_INITRD_SIZE, ist.st_size) < 0 ||
	    fw_cfg_add_item_fd(fw, FW_CFG_INITRD_DATA, cfg->initrd_fd, 0,
			       ist.st_size) < 0)
		return -1;
	return 0;
}

struct boot_entry {
	const struct dev_config *dc;
	unsigned long index; /* ULONG_MAX: none given */
};

static int boot_entry_cmp(const void *a, const void *b)
{
	const struct boot_entry *x = a, *y = b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->dc->slot != y->dc->slot)
		return x->dc->slot < y->dc->slot ? -1 : 1;
	return x->dc->func < y->dc->func ? -1 : x->dc->func > y->dc->func;
}

char *x86_bootorder(const struct vm_config *cfg)
{
	struct boot_entry e[VM_MAX_DEVICES];
	size_t n = 0, len = 0, cap = 1;
	char *out;

	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		const struct dev_config *dc = &cfg->devices[i];
		const char *index = dev_opt(dc, "bootindex");

		if (dc->bus != DEV_BUS_PCI || !dc->cls->boot_node)
			continue;
		e[n].dc = dc;
		e[n].index = index ? strtoul(index, NULL, 10) : ULONG_MAX;
		cap += 64 + strlen(dc->cls->boot_node) +
		       strlen(dc->cls->boot_child);
		n++;
	}
	if (!n)
		return NULL;
	qsort(e, n, sizeof(e[0]), boot_entry_cmp);
	out = malloc(cap);
	if (!out) {
		log_error("out of memory");
		return NULL;
	}
	/* The function only when it is not 0, as QEMU writes it. */
	for (size_t i = 0; i < n; i++) {
		const struct dev_config *dc = e[i].dc;
		char func[16] = "";

		if (dc->func)
			snprintf(func, sizeof(func), ",%x", dc->func);
		len += snprintf(out + len, cap - len, "%s/pci@i0cf8/%s@%x%s%s",
				i ? "\n" : "", dc->cls->boot_node, dc->slot,
				func, dc->cls->boot_child);
	}
	return out;
}

/* The structures, and an anchor that tells OVMF their version and size. */
static int describe_smbios(struct fw_cfg *fw,
			   const struct x86_firmware_config *cfg)
{
	uint8_t anchor[SMBIOS3_ANCHOR_LEN];

	smbios_build_anchor(anchor, 0, cfg->smbios_len);
	if (fw_cfg_add_file(fw, "etc/smbios/smbios-tables", cfg->smbios,
			    cfg->smbios_len) < 0)
		return -1;
	return fw_cfg_add_file(fw, "etc/smbios/smbios-anchor", anchor,
			       sizeof(anchor));
}

int x86_firmware_describe(struct fw_cfg *fw,
			  const struct x86_firmware_config *cfg)
{
	if (fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, cfg->cpus) < 0 ||
	    fw_cfg_add_u16(fw, FW_CFG_MAX_CPUS, cfg->cpus) < 0 ||
	    describe_memory(fw, cfg->mem_size) < 0 ||
	    describe_acpi(fw, cfg) < 0 || describe_smbios(fw, cfg) < 0) {
		log_error(
			"cannot describe the VM to its firmware: out of memory");
		return -1;
	}
	/* With its NUL, as QEMU gives it. */
	if (cfg->bootorder && fw_cfg_add_file(fw, "bootorder", cfg->bootorder,
					      strlen(cfg->bootorder) + 1) < 0) {
		log_error(
			"cannot describe the VM to its firmware: out of memory");
		return -1;
	}
	if (cfg->kernel_fd >= 0 && describe_kernel(fw, cfg) < 0) {
		log_error("kernel: cannot hand it to the firmware");
		return -1;
	}
	return 0;
}
