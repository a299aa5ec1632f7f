// SPDX-License-Identifier: MIT
/*
 * The arm64 platform, QEMU virt's map (layout.h): RAM at 1 GiB, a GICv3
 * with an ITS, the architected timer, a PL011 UART, a PL031 RTC, a PL061
 * GPIO with the power key, a generic ECAM PCIe host, and the direct boot
 * of a Linux Image with a device tree made at every boot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../base/log.h"
#include "../core/vm.h"
#include "../devices/gpio_pl061.h"
#include "../devices/pci_host.h"
#include "../devices/rtc_pl031.h"
#include "../devices/uart_pl011.h"
#include "../hv/hv_arm64.h"
#include "fdt.h"
#include "layout.h"
#include "linux_boot.h"

/* How long the power key stays down: gpio-keys reads it after a debounce. */
#define POWER_KEY_PRESS_NS (200 * 1000 * 1000)

struct platform {
	struct vm *vm;
	struct uart_pl011 *uart;
	struct rtc_pl031 *rtc;
	struct gpio_pl061 *gpio;
	struct pci_host *pci;
	int power_release_fd; /* a timerfd: lets the power key go */
};

/* The generic host bridge QEMU virt has; slots rotate over SPIs 3-6. */
static const struct pci_host_config arm64_pci_host = {
	.ecam_base = ARM64_PCI_ECAM_BASE,
	.mmio32_base = ARM64_PCI_MMIO32_BASE,
	.mmio32_end = ARM64_PCI_MMIO32_END,
	.intx_gsi_base = ARM64_PCI_INTX_SPI_BASE,
	.intx_lines = ARM64_PCI_INTX_COUNT,
	.bridge_vendor = 0x1b36,
	.bridge_device = 0x0008,
	.q35_pciexbar = false,
};

static size_t uart_receive(void *ctx, const uint8_t *buf, size_t len)
{
	return uart_pl011_receive(ctx, buf, len);
}

static void power_key_release(void *opaque, int fd, uint32_t events)
{
	struct platform *p = opaque;
	uint64_t expirations;

	(void)events;
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	gpio_pl061_set_input(p->gpio, ARM64_GPIO_POWER_LINE, false);
}

int platform_power_button(struct platform *p)
{
	struct itimerspec release = { .it_value = {
					      .tv_nsec = POWER_KEY_PRESS_NS } };

	gpio_pl061_set_input(p->gpio, ARM64_GPIO_POWER_LINE, true);
	return timerfd_settime(p->power_release_fd, 0, &release, NULL);
}

struct platform *platform_create(struct vm *vm)
{
	struct platform *p = calloc(1, sizeof(*p));
	struct irq_line uart_irq = vm_irq_line(vm, ARM64_UART_SPI);
	struct irq_line rtc_irq = vm_irq_line(vm, ARM64_RTC_SPI);
	struct irq_line gpio_irq = vm_irq_line(vm, ARM64_GPIO_SPI);
	struct event_loop *loop = vm_event_loop(vm);
	int err = 0;

	if (!p)
		return NULL;
	p->vm = vm;
	p->power_release_fd = -1;
	if (guest_ram_add_region(&vm->ram, ARM64_RAM_BASE, vm->cfg.mem_size) <
	    0) {
		log_error("cannot lay out guest RAM");
		free(p);
		return NULL;
	}
	p->uart = uart_pl011_create(&uart_irq, &vm->console_out);
	p->rtc = rtc_pl031_create(&rtc_irq, loop);
	p->gpio = gpio_pl061_create(&gpio_irq);
	p->pci = pci_host_create(&arm64_pci_host, &vm->control);
	p->power_release_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!p->uart || !p->rtc || !p->gpio || !p->pci ||
	    p->power_release_fd < 0 ||
	    event_loop_add(loop, p->power_release_fd, power_key_release, p) <
		    0) {
		log_error("cannot create the platform's devices");
		platform_destroy(p);
		return NULL;
	}
	pci_bus_set_mmio64(&p->pci->bus, ARM64_PCI_MMIO64_BASE,
			   ARM64_PCI_MMIO64_BASE + ARM64_PCI_MMIO64_SIZE);
	err |= bus_add(&vm->mmio, ARM64_UART_BASE, ARM64_MMIO_DEV_SIZE,
		       uart_pl011_access, p->uart, "pl011");
	err |= bus_add(&vm->mmio, ARM64_RTC_BASE, ARM64_MMIO_DEV_SIZE,
		       rtc_pl031_access, p->rtc, "pl031");
	err |= bus_add(&vm->mmio, ARM64_GPIO_BASE, ARM64_MMIO_DEV_SIZE,
		       gpio_pl061_access, p->gpio, "pl061");
	err |= bus_add(&vm->mmio, ARM64_PCI_ECAM_BASE, ARM64_PCI_ECAM_SIZE,
		       pci_host_ecam_access, p->pci, "pci-ecam");
	err |= bus_add(&vm->mmio, ARM64_PCI_MMIO32_BASE, ARM64_PCI_MMIO32_SIZE,
		       pci_bus_mmio_access, &p->pci->bus, "pci-mmio32");
	err |= bus_add(&vm->mmio, ARM64_PCI_MMIO64_BASE, ARM64_PCI_MMIO64_SIZE,
		       pci_bus_mmio64_access, &p->pci->bus, "pci-mmio64");
	if (err) {
		platform_destroy(p);
		return NULL;
	}
	/* The UART has the terminal unless a virtio-console port does. */
	if (vm->console && vm->cfg.console == CONSOLE_STDIO)
		console_set_sink(vm->console, uart_receive, p->uart);
	return p;
}

int platform_check_boot(struct vm *vm)
{
	if (vm->cfg.cpus > ARM64_GIC_REDIST_MAX_CPUS) {
		log_error(
			"-c %u: this platform's GIC has room for %llu vCPUs' redistributors",
			vm->cfg.cpus,
			(unsigned long long)ARM64_GIC_REDIST_MAX_CPUS);
		return -1;
	}
	if (vm->cfg.mem_size > ARM64_PCI_MMIO64_BASE - ARM64_RAM_BASE) {
		log_error(
			"-m: at most %llu GiB of RAM fits below the PCIe window",
			(unsigned long long)((ARM64_PCI_MMIO64_BASE -
					      ARM64_RAM_BASE) >>
					     30));
		return -1;
	}
	return arm64_linux_check(vm->kernel_fd);
}

int platform_boot(struct platform *p, struct vm *vm)
{
	static const struct arm64_gic_layout gic = {
		.dist_base = ARM64_GIC_DIST_BASE,
		.redist_base = ARM64_GIC_REDIST_BASE,
		.redist_size = ARM64_GIC_REDIST_END - ARM64_GIC_REDIST_BASE,
		.its_base = ARM64_GIC_ITS_BASE,
	};
	struct arm64_boot_files files = {
		.kernel_fd = vm->kernel_fd,
		.initrd_fd = vm->initrd_fd,
	};
	struct arm64_boot_layout boot;
	struct arm64_fdt_config fdt = { 0 };
	uint64_t *mpidr = calloc(vm->cfg.cpus, sizeof(*mpidr));
	void *dtb;
	int ret = -1;

	(void)p;
	if (!mpidr)
		return -1;
	if (arm64_linux_load(&vm->ram, ARM64_RAM_BASE, vm->cfg.mem_size, &files,
			     &boot) < 0)
		goto out;
	if (hv_vm_create_arm64_gic(vm->hv_vm, &gic, &fdt.has_its) < 0)
		goto out;
	for (unsigned int i = 0; i < vm->cfg.cpus; i++)
		if (hv_vcpu_arm64_mpidr(vm->vcpus[i].hv, &mpidr[i]) < 0)
			goto out;
	fdt.cpus = vm->cfg.cpus;
	fdt.mpidr = mpidr;
	fdt.mem_base = ARM64_RAM_BASE;
	fdt.mem_size = vm->cfg.mem_size;
	fdt.bootargs = vm->cfg.cmdline;
	fdt.initrd_start = boot.initrd_start;
	fdt.initrd_end = boot.initrd_end;
	fdt.redist_size = (uint64_t)vm->cfg.cpus * ARM64_GIC_REDIST_STRIDE;
	dtb = guest_ram_ptr(&vm->ram, boot.dtb_addr, boot.dtb_max);
	if (!dtb || arm64_fdt_build(dtb, boot.dtb_max, &fdt) < 0) {
		log_error("cannot build the device tree");
		goto out;
	}
	/* The other vCPUs wait, powered off, for the guest's PSCI CPU_ON. */
	ret = hv_vcpu_set_arm64_boot(vm->vcpus[0].hv, boot.entry,
				     boot.dtb_addr);
out:
	free(mpidr);
	return ret;
}

void platform_reset(struct platform *p)
{
	/* The RTC is battery-backed: it keeps its time. */
	uart_pl011_reset(p->uart);
	rtc_pl031_reset(p->rtc);
	gpio_pl061_reset(p->gpio);
	pci_host_reset(p->pci);
}

struct pci_bus *platform_pci_bus(struct platform *p)
{
	return &p->pci->bus;
}

void platform_destroy(struct platform *p)
{
	if (!p)
		return;
	if (p->power_release_fd >= 0) {
		event_loop_remove(vm_event_loop(p->vm), p->power_release_fd);
		close(p->power_release_fd);
	}
	uart_pl011_destroy(p->uart);
	rtc_pl031_destroy(p->rtc);
	gpio_pl061_destroy(p->gpio);
	pci_host_destroy(p->pci);
	free(p);
}
