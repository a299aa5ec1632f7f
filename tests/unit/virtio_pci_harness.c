// SPDX-License-Identifier: MIT
/*
 * vm.c's and the hypervisor's part for a virtio PCI device with no KVM,
 * compiled into test_virtio_pci and fuzz_virtio_pci (see
 * virtio_pci_harness.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/console.h"
#include "core/config.h"
#include "core/device.h"
#include "core/vm.h"
#include "pci/msix.h"
#include "pci/pci.h"

#include "virtio_pci_harness.h"

struct pci_bus harness_bus;
int harness_intx_level;

static void fake_irq_set(void *ctx, unsigned int gsi, bool level)
{
	(void)ctx;
	(void)gsi;
	__atomic_store_n(&harness_intx_level, level, __ATOMIC_SEQ_CST);
}

struct irq_line vm_irq_line(struct vm *vm, unsigned int gsi)
{
	(void)vm;
	return (struct irq_line){ fake_irq_set, NULL, gsi };
}

struct pci_bus *vm_pci_bus(struct vm *vm)
{
	(void)vm;
	return &harness_bus;
}

int hv_vm_set_msi_route(struct hv_vm *vm, unsigned int gsi, uint64_t addr,
			uint32_t data, uint32_t devid)
{
	(void)vm, (void)gsi, (void)addr, (void)data, (void)devid;
	return 0;
}

int hv_vm_irqfd(struct hv_vm *vm, int fd, unsigned int gsi, bool assign)
{
	(void)vm, (void)fd, (void)gsi, (void)assign;
	return 0;
}

struct guest_ram *vm_guest_ram(struct vm *vm)
{
	return &vm->ram;
}

unsigned int vm_cpu_count(const struct vm *vm)
{
	return vm->cfg.cpus;
}

/* No hypervisor VM, so no ioeventfds. */
int vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, bool assign)
{
	(void)vm, (void)fd, (void)addr, (void)assign;
	return -1;
}

int vm_msix_attach(struct vm *vm, struct msix *m)
{
	return msix_attach(m, vm->hv_vm);
}

/* What virtio-console needs of config.c and vm.c (no terminal). */
const char *dev_opt_nth(const struct dev_config *dc, const char *key,
			unsigned int n)
{
	for (unsigned int i = 0; i < dc->nopts; i++)
		if (!strcmp(dc->opts[i].key, key) && n-- == 0)
			return dc->opts[i].value;
	return NULL;
}

bool vm_claim_console(struct vm *vm, struct chardev *out)
{
	(void)vm, (void)out;
	return false;
}

void vm_console_set_sink(struct vm *vm, console_sink_fn sink, void *ctx)
{
	(void)vm, (void)sink, (void)ctx;
}
