// SPDX-License-Identifier: MIT
/*
 * The KVM backend for arm64: the only file that issues arm64 KVM ioctls.
 * vCPUs are what KVM_ARM_PREFERRED_TARGET says, with PSCI 0.2 handled in
 * the kernel: secondaries start powered off and the guest starts them
 * with CPU_ON. The interrupt controller is the in-kernel GICv3 with a
 * redistributor per vCPU, and an ITS for MSIs where KVM offers one; the
 * architected timer is the kernel's too. A GSI here is an SPI.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../base/log.h"
#include "hv_arm64.h"
#include "kvm_common.h"

#define GIC_NR_IRQS 256 /* 32 private and 224 SPIs */
#define GIC_SPI_BASE 32
#define GIC_REDIST_STRIDE 0x20000 /* RD and SGI frames, 64 KiB each */

#define ARM64_CORE_REG(name)                                   \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 (offsetof(struct kvm_regs, name) / sizeof(uint32_t)))
#define ARM64_MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)
#define MPIDR_AFFINITY_MASK 0xff00ffffffull

/* EL1 with its own stack pointer, with D, A, I and F masked. */
#define PSTATE_EL1H_MASKED 0x3c5

struct hv {
	int fd;
	unsigned int max_vcpus;
};

struct hv_vm {
	struct hv *hv;
	int fd;
	int gic_fd, its_fd;
	struct kvm_vcpu_init target;
	struct kvm_routes routes;
	bool has_its;
};

struct hv_vcpu {
	struct kvm_vcpu_base base;
	struct hv_vm *vm;
};

struct hv *hv_open(void)
{
	static const struct kvm_cap_need required[] = {
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
		{ KVM_CAP_ONE_REG, "register access (ONE_REG)" },
		{ KVM_CAP_ARM_PSCI_0_2, "PSCI 0.2" },
		{ KVM_CAP_DEVICE_CTRL, "in-kernel devices" },
		{ KVM_CAP_IRQ_ROUTING, "interrupt routing" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
	};
	struct hv *hv = calloc(1, sizeof(*hv));

	if (!hv)
		return NULL;
	hv->fd = kvm_open_device(required,
				 sizeof(required) / sizeof(required[0]));
	if (hv->fd < 0) {
		free(hv);
		return NULL;
	}
	hv->max_vcpus = kvm_max_vcpus(hv->fd);
	return hv;
}

void hv_close(struct hv *hv)
{
	if (!hv)
		return;
	close(hv->fd);
	free(hv);
}

unsigned int hv_max_vcpus(struct hv *hv)
{
	return hv->max_vcpus;
}

struct hv_vm *hv_vm_create(struct hv *hv)
{
	struct hv_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->hv = hv;
	vm->gic_fd = vm->its_fd = -1;
	/* Type 0: a 40-bit IPA space, which the platform map fits in. */
	vm->fd = ioctl(hv->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		log_error("KVM_CREATE_VM failed: %s", strerror(errno));
		free(vm);
		return NULL;
	}
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &vm->target) < 0) {
		log_error("KVM_ARM_PREFERRED_TARGET failed: %s",
			  strerror(errno));
		goto fail;
	}
	/* SPIs 0-23 keep their pins once MSI routes are added. */
	if (kvm_routes_init(&vm->routes, HV_MSI_GSI_BASE + HV_MAX_MSI_ROUTES) <
	    0)
		goto fail;
	for (unsigned int gsi = 0; gsi < HV_MSI_GSI_BASE; gsi++)
		kvm_routes_add_irqchip(&vm->routes, gsi, 0, gsi);
	return vm;
fail:
	close(vm->fd);
	free(vm);
	return NULL;
}

void hv_vm_destroy(struct hv_vm *vm)
{
	if (!vm)
		return;
	if (vm->its_fd >= 0)
		close(vm->its_fd);
	if (vm->gic_fd >= 0)
		close(vm->gic_fd);
	close(vm->fd);
	kvm_routes_free(&vm->routes);
	free(vm);
}

int hv_vm_map_ram(struct hv_vm *vm, unsigned int slot, uint64_t gpa,
		  uint64_t size, void *host)
{
	return kvm_set_memory(vm->fd, slot, gpa, size, host, false);
}

int hv_vm_map_rom(struct hv_vm *vm, unsigned int slot, uint64_t gpa,
		  uint64_t size, void *host)
{
	return kvm_set_memory(vm->fd, slot, gpa, size, host, true);
}

int hv_vm_unmap(struct hv_vm *vm, unsigned int slot)
{
	return kvm_clear_memory(vm->fd, slot);
}

int hv_vm_irq_line(struct hv_vm *vm, unsigned int gsi, bool level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) |
		       (GIC_SPI_BASE + gsi),
		.level = level,
	};

	return ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

int hv_vm_set_msi_route(struct hv_vm *vm, unsigned int gsi, uint64_t addr,
			uint32_t data, uint32_t devid)
{
	/* The ITS tells devices apart by their requester ID. */
	return kvm_routes_set_msi(&vm->routes, vm->fd, gsi, addr, data,
				  vm->has_its, devid);
}

int hv_vm_irqfd(struct hv_vm *vm, int fd, unsigned int gsi, bool assign)
{
	return kvm_irqfd(vm->fd, fd, gsi, assign);
}

int hv_vm_ioeventfd(struct hv_vm *vm, int fd, uint64_t addr, bool assign)
{
	return kvm_ioeventfd(vm->fd, fd, addr, assign);
}

static int device_attr(int fd, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)value,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

static int create_device(struct hv_vm *vm, uint32_t type)
{
	struct kvm_create_device cd = { .type = type };

	return ioctl(vm->fd, KVM_CREATE_DEVICE, &cd) < 0 ? -1 : (int)cd.fd;
}

int hv_vm_create_arm64_gic(struct hv_vm *vm, const struct arm64_gic_layout *l,
			   bool *has_its)
{
	uint64_t dist = l->dist_base, redist = l->redist_base,
		 its = l->its_base;
	uint32_t nr_irqs = GIC_NR_IRQS;

	*has_its = false;
	vm->gic_fd = create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	if (vm->gic_fd < 0) {
		log_error(
			"this KVM has no GICv3 (KVM_CREATE_DEVICE vgic-v3: %s); Scorpi needs a GICv3 host",
			strerror(errno));
		return -1;
	}
	if (device_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) < 0 ||
	    device_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist) < 0 ||
	    device_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs) <
		    0 ||
	    device_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_CTRL_INIT, NULL) < 0) {
		log_error("cannot set up the GICv3: %s", strerror(errno));
		return -1;
	}
	/* Without an ITS, devices fall back to INTx on SPIs. */
	vm->its_fd = create_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS);
	if (vm->its_fd < 0) {
		log_debug("no ITS in this KVM (%s): MSIs are not offered",
			  strerror(errno));
		return 0;
	}
	if (device_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			KVM_VGIC_ITS_ADDR_TYPE, &its) < 0 ||
	    device_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_VGIC_CTRL_INIT, NULL) < 0) {
		log_error("cannot set up the GIC's ITS: %s", strerror(errno));
		return -1;
	}
	vm->has_its = *has_its = true;
	return 0;
}

struct hv_vcpu *hv_vcpu_create(struct hv_vm *vm, unsigned int index,
			       unsigned int count)
{
	struct hv_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	struct kvm_vcpu_init init = vm->target;

	(void)count;
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	if (kvm_vcpu_open(&vcpu->base, vm->hv->fd, vm->fd, index) < 0) {
		free(vcpu);
		return NULL;
	}
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	/* The boot CPU runs; the others wait for the guest's CPU_ON. */
	if (index)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu->base.fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		log_error("KVM_ARM_VCPU_INIT on vCPU %u failed: %s", index,
			  strerror(errno));
		hv_vcpu_destroy(vcpu);
		return NULL;
	}
	return vcpu;
}

void hv_vcpu_destroy(struct hv_vcpu *vcpu)
{
	if (!vcpu)
		return;
	kvm_vcpu_close(&vcpu->base);
	free(vcpu);
}

static int get_reg(struct hv_vcpu *vcpu, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)value };

	return ioctl(vcpu->base.fd, KVM_GET_ONE_REG, &r);
}

static int set_reg(struct hv_vcpu *vcpu, uint64_t id, uint64_t value)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&value };

	return ioctl(vcpu->base.fd, KVM_SET_ONE_REG, &r);
}

int hv_vcpu_arm64_mpidr(struct hv_vcpu *vcpu, uint64_t *mpidr)
{
	if (get_reg(vcpu, ARM64_MPIDR_EL1, mpidr) < 0) {
		log_error("cannot read vCPU %u's MPIDR: %s", vcpu->base.index,
			  strerror(errno));
		return -1;
	}
	*mpidr &= MPIDR_AFFINITY_MASK;
	return 0;
}

int hv_vcpu_set_arm64_boot(struct hv_vcpu *vcpu, uint64_t pc, uint64_t x0)
{
	if (set_reg(vcpu, ARM64_CORE_REG(regs.pstate), PSTATE_EL1H_MASKED) <
		    0 ||
	    set_reg(vcpu, ARM64_CORE_REG(regs.regs[0]), x0) < 0 ||
	    set_reg(vcpu, ARM64_CORE_REG(regs.regs[1]), 0) < 0 ||
	    set_reg(vcpu, ARM64_CORE_REG(regs.regs[2]), 0) < 0 ||
	    set_reg(vcpu, ARM64_CORE_REG(regs.regs[3]), 0) < 0 ||
	    set_reg(vcpu, ARM64_CORE_REG(regs.pc), pc) < 0) {
		log_error("cannot set vCPU %u's boot registers: %s",
			  vcpu->base.index, strerror(errno));
		return -1;
	}
	return 0;
}

int hv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	if (kvm_vcpu_run(&vcpu->base, exit) == 0)
		return exit->reason == HV_EXIT_FAILED ? -1 : 0;
	log_error("vCPU %u: unexpected KVM exit %u", vcpu->base.index,
		  vcpu->base.run->exit_reason);
	kvm_exit_failed(&vcpu->base, exit);
	return -1;
}

void hv_vcpu_kick(struct hv_vcpu *vcpu)
{
	kvm_vcpu_kick(&vcpu->base);
}

void hv_vcpu_dump(struct hv_vcpu *vcpu, FILE *out)
{
	uint64_t pc = 0, pstate = 0, sp = 0, x[31];

	if (get_reg(vcpu, ARM64_CORE_REG(regs.pc), &pc) < 0 ||
	    get_reg(vcpu, ARM64_CORE_REG(regs.pstate), &pstate) < 0 ||
	    get_reg(vcpu, ARM64_CORE_REG(sp_el1), &sp) < 0) {
		fprintf(out, "vCPU %u: registers unavailable: %s\n",
			vcpu->base.index, strerror(errno));
		return;
	}
	fprintf(out,
		"vCPU %u registers:\n pc %016llx pstate %016llx sp_el1 %016llx\n",
		vcpu->base.index, (unsigned long long)pc,
		(unsigned long long)pstate, (unsigned long long)sp);
	for (int i = 0; i < 31; i++) {
		if (get_reg(vcpu, ARM64_CORE_REG(regs.regs[i]), &x[i]) < 0)
			x[i] = 0;
		fprintf(out, " x%-2d %016llx%s", i, (unsigned long long)x[i],
			i % 4 == 3 || i == 30 ? "\n" : "");
	}
}
