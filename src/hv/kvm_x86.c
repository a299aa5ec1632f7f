// SPDX-License-Identifier: MIT
/*
 * The KVM backend for x86-64: the only file that issues KVM ioctls.
 * The VM gets the in-kernel irqchip (LAPIC, IOAPIC, PIC) and PIT; vCPUs get
 * the host-supported CPUID with the hypervisor bit and a per-vCPU topology.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../base/log.h"
#include "hv_x86.h"
#include "kvm_common.h"

/*
 * Addresses KVM needs for Intel real-mode emulation: four pages between
 * the LAPIC and the firmware (at most 16 MiB below 4 GiB), where nothing
 * else lives, as QEMU places them.
 */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull
#define KVM_TSS_ADDR 0xfeffd000ull

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_DM_NMI 0x4
#define APIC_DM_EXTINT 0x7

struct hv {
	int fd;
	unsigned int max_vcpus;
	struct kvm_cpuid2 *cpuid; /* what KVM supports on this host */
};

struct hv_vm {
	struct hv *hv;
	int fd;
	struct kvm_routes routes;
};

struct hv_vcpu {
	struct kvm_vcpu_base base; /* fd, index, run area */
	struct hv_vm *vm;
};

static struct kvm_cpuid2 *kvm_supported_cpuid(int fd)
{
	for (unsigned int nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(
			1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));

		if (!c)
			return NULL;
		c->nent = nent;
		if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			break;
	}
	log_error("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
	return NULL;
}

struct hv *hv_open(void)
{
	static const struct kvm_cap_need required[] = {
		{ KVM_CAP_IRQCHIP, "an in-kernel irqchip" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
		{ KVM_CAP_EXT_CPUID, "CPUID setting" },
		{ KVM_CAP_PIT2, "an in-kernel PIT" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS placement" },
		{ KVM_CAP_IRQ_ROUTING, "interrupt routing" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
		{ KVM_CAP_IOEVENTFD_ANY_LENGTH, "any-length ioeventfd" },
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
	hv->cpuid = kvm_supported_cpuid(hv->fd);
	if (!hv->cpuid)
		goto fail;
	return hv;
fail:
	close(hv->fd);
	free(hv);
	return NULL;
}

void hv_close(struct hv *hv)
{
	if (!hv)
		return;
	close(hv->fd);
	free(hv->cpuid);
	free(hv);
}

unsigned int hv_max_vcpus(struct hv *hv)
{
	return hv->max_vcpus;
}

/*
 * The PC's routes for GSIs 0-23, which setting any route replaces: the
 * 8259s take 0-15 (2 is the cascade), the IOAPIC 1-23, and the PIT's GSI 0
 * arrives on IOAPIC pin 2 as the MADT says.
 */
static int kvm_default_routes(struct kvm_routes *r)
{
	if (kvm_routes_init(r, 48 + HV_MAX_MSI_ROUTES) < 0)
		return -1;
	for (unsigned int gsi = 0; gsi < 16; gsi++) {
		if (gsi != 2)
			kvm_routes_add_irqchip(r, gsi,
					       gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
						       : KVM_IRQCHIP_PIC_SLAVE,
					       gsi % 8);
	}
	for (unsigned int gsi = 0; gsi < 24; gsi++) {
		if (gsi != 2)
			kvm_routes_add_irqchip(r, gsi, KVM_IRQCHIP_IOAPIC,
					       gsi ? gsi : 2);
	}
	return 0;
}

int hv_vm_set_msi_route(struct hv_vm *vm, unsigned int gsi, uint64_t addr,
			uint32_t data, uint32_t devid)
{
	/* The x86 MSI address and data say it all: no requester ID. */
	return kvm_routes_set_msi(&vm->routes, vm->fd, gsi, addr, data, false,
				  devid);
}

int hv_vm_irqfd(struct hv_vm *vm, int fd, unsigned int gsi, bool assign)
{
	return kvm_irqfd(vm->fd, fd, gsi, assign);
}

int hv_vm_ioeventfd(struct hv_vm *vm, int fd, uint64_t addr, bool assign)
{
	return kvm_ioeventfd(vm->fd, fd, addr, assign);
}

struct hv_vm *hv_vm_create(struct hv *hv)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t identity = KVM_IDENTITY_MAP_ADDR;
	struct hv_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->hv = hv;
	vm->fd = ioctl(hv->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		log_error("KVM_CREATE_VM failed: %s", strerror(errno));
		free(vm);
		return NULL;
	}
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
	    ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0) {
		log_error("cannot place KVM's TSS: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_error("KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_error("KVM_CREATE_PIT2 failed: %s", strerror(errno));
		goto fail;
	}
	if (kvm_default_routes(&vm->routes) < 0)
		goto fail;
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
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

static unsigned int bits_for(unsigned int count)
{
	unsigned int bits = 0;

	while ((1u << bits) < count)
		bits++;
	return bits;
}

/*
 * The host's supported CPUID, adjusted for this vCPU: the hypervisor bit,
 * its APIC ID, and a topology of `count` cores in one package with one
 * thread each, so the guest's view of siblings matches the MADT.
 */
static int kvm_set_cpuid(struct hv_vcpu *vcpu, unsigned int count)
{
	const struct kvm_cpuid2 *supported = vcpu->vm->hv->cpuid;
	size_t bytes = sizeof(*supported) +
		       supported->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(bytes);
	unsigned int id = vcpu->base.index, shift = bits_for(count);
	int ret;

	if (!c)
		return -1;
	memcpy(c, supported, bytes);
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ecx |= 1u << 31; /* running under a hypervisor */
			e->ebx = (e->ebx & 0xffff) | (id << 24) |
				 ((1u << shift) << 16);
			if (count > 1)
				/* HTT: several logical CPUs per package */
				e->edx |= 1u << 28;
			break;
		case 4: {
			/* Cores per package; L3 shared by all, the rest private. */
			unsigned int level = (e->eax >> 5) & 7;
			unsigned int sharing = level >= 3 ? count - 1 : 0;

			if (!(e->eax & 0x1f))
				break;
			e->eax &= 0x3fff;
			e->eax |= ((count - 1 > 63 ? 63 : count - 1) << 26) |
				  ((sharing > 4095 ? 4095 : sharing) << 14);
			break;
		}
		case 0xb:
		case 0x1f:
			e->edx = id;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1 << 8) | 0; /* SMT level */
			} else if (e->index == 1) {
				e->eax = shift;
				e->ebx = count;
				e->ecx = (2 << 8) | 1; /* core level */
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x80000008:
			e->ecx = (shift << 12) | (count - 1);
			break;
		case 0x8000001e:
			e->eax = id;
			e->ebx = id & 0xff; /* compute unit, one thread each */
			e->ecx = 0;
			break;
		}
	}
	ret = ioctl(vcpu->base.fd, KVM_SET_CPUID2, c);
	if (ret < 0)
		log_error("KVM_SET_CPUID2 failed: %s", strerror(errno));
	free(c);
	return ret;
}

/* LINT0 takes the 8259's ExtINT and LINT1 the NMI, as on a PC. */
static int kvm_set_lint(struct hv_vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	uint32_t *lvt0 = (uint32_t *)&lapic.regs[APIC_LVT0];
	uint32_t *lvt1 = (uint32_t *)&lapic.regs[APIC_LVT1];

	if (ioctl(vcpu->base.fd, KVM_GET_LAPIC, &lapic) < 0)
		return -1;
	*lvt0 = (*lvt0 & ~0x700u) | (APIC_DM_EXTINT << 8);
	*lvt1 = (*lvt1 & ~0x700u) | (APIC_DM_NMI << 8);
	return ioctl(vcpu->base.fd, KVM_SET_LAPIC, &lapic);
}

struct hv_vcpu *hv_vcpu_create(struct hv_vm *vm, unsigned int index,
			       unsigned int count)
{
	struct hv_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	if (kvm_vcpu_open(&vcpu->base, vm->hv->fd, vm->fd, index) < 0) {
		free(vcpu);
		return NULL;
	}
	if (kvm_set_cpuid(vcpu, count) < 0)
		goto fail;
	if (kvm_set_lint(vcpu) < 0) {
		log_error("cannot set up vCPU %u's LAPIC: %s", index,
			  strerror(errno));
		goto fail;
	}
	return vcpu;
fail:
	hv_vcpu_destroy(vcpu);
	return NULL;
}

void hv_vcpu_destroy(struct hv_vcpu *vcpu)
{
	if (!vcpu)
		return;
	kvm_vcpu_close(&vcpu->base);
	free(vcpu);
}

static void kvm_flat_segment(struct kvm_segment *s, uint16_t sel, bool code)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = code ? 0xb
			     : 0x3, /* execute/read or read/write, accessed */
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

int hv_vcpu_set_x86_boot(struct hv_vcpu *vcpu, const struct x86_boot_state *st)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(vcpu->base.fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	kvm_flat_segment(&sregs.cs, st->code_sel, true);
	kvm_flat_segment(&sregs.ds, st->data_sel, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = st->gdt_base;
	sregs.gdt.limit = st->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x80000011; /* PG | ET | PE */
	sregs.cr3 = st->cr3;
	sregs.cr4 = 0x20; /* PAE */
	sregs.efer = 0x500; /* LMA | LME */
	if (ioctl(vcpu->base.fd, KVM_SET_SREGS, &sregs) < 0)
		goto fail;
	regs.rflags = 2;
	regs.rip = st->rip;
	regs.rsi = st->rsi;
	if (ioctl(vcpu->base.fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	if (ioctl(vcpu->base.fd, KVM_SET_FPU, &fpu) < 0)
		goto fail;
	return 0;
fail:
	log_error("cannot set vCPU %u's boot registers: %s", vcpu->base.index,
		  strerror(errno));
	return -1;
}

int hv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->base.run;

	if (kvm_vcpu_run(&vcpu->base, exit) == 0)
		return exit->reason == HV_EXIT_FAILED ? -1 : 0;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = HV_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		return 0;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = HV_EXIT_SHUTDOWN;
		return 0;
	case KVM_EXIT_HLT:
		exit->reason = HV_EXIT_INTERRUPTED;
		return 0;
	default:
		log_error("vCPU %u: unexpected KVM exit %u", vcpu->base.index,
			  run->exit_reason);
		kvm_exit_failed(&vcpu->base, exit);
		return -1;
	}
}

void hv_vcpu_kick(struct hv_vcpu *vcpu)
{
	kvm_vcpu_kick(&vcpu->base);
}

void hv_vcpu_dump(struct hv_vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->base.fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->base.fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "vCPU %u: registers unavailable: %s\n",
			vcpu->base.index, strerror(errno));
		return;
	}
	fprintf(out,
		"vCPU %u registers:\n"
		" rip %016llx rflags %016llx\n"
		" rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		" rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
		" r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		" r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		" cs %04x ss %04x cr0 %016llx cr2 %016llx cr3 %016llx\n"
		" cr4 %016llx efer %016llx\n",
		vcpu->base.index, r.rip, r.rflags, r.rax, r.rbx, r.rcx, r.rdx,
		r.rsi, r.rdi, r.rbp, r.rsp, r.r8, r.r9, r.r10, r.r11, r.r12,
		r.r13, r.r14, r.r15, s.cs.selector, s.ss.selector, s.cr0, s.cr2,
		s.cr3, s.cr4, s.efer);
	/* On AMD, KVM reinitialises the vCPU when it sees the shutdown. */
	if (r.rip == 0xfff0 && s.cs.selector == 0xf000)
		fprintf(out,
			" (these are the reset values: this host's KVM resets a vCPU on a triple fault, so its registers at the fault are lost)\n");
}
