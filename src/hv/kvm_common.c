// SPDX-License-Identifier: MIT
/* What the KVM backends share: see kvm_common.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../base/log.h"
#include "kvm_common.h"

static int kvm_require_caps(int fd, const struct kvm_cap_need *caps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			log_error("this KVM lacks %s", caps[i].what);
			return -1;
		}
	}
	return 0;
}

int kvm_open_device(const struct kvm_cap_need *caps, size_t n)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			log_error(
				"no /dev/kvm: this host offers no KVM (load its KVM module and enable virtualization in the firmware); without it, run Scorpi inside the nested L1 as tests/run does (docs/testing.md)");
		else if (errno == EACCES || errno == EPERM)
			log_error(
				"no permission on /dev/kvm: add your user to its group (usually kvm) or run as root");
		else
			log_error("cannot open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	/*
	 * PVM (kvm_pvm) offers /dev/kvm without hardware virtualization, but
	 * only for guest kernels built to run under it: a standard kernel
	 * never gets going, so say so rather than spin.
	 */
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		log_error(
			"/dev/kvm is PVM (the kvm_pvm module), which runs only guest kernels built for PVM; run Scorpi inside the nested L1 as tests/run does (docs/testing.md)");
		close(fd);
		return -1;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_error("/dev/kvm speaks an unknown KVM API version");
		close(fd);
		return -1;
	}
	if (kvm_require_caps(fd, caps, n) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

unsigned int kvm_max_vcpus(int fd)
{
	int n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned int)n : 4;
}

int kvm_set_memory(int vm_fd, unsigned int slot, uint64_t gpa, uint64_t size,
		   void *host, bool read_only)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = read_only ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (read_only &&
	    ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		log_error(
			"this host's KVM cannot map firmware read-only (no KVM_CAP_READONLY_MEM)");
		return -1;
	}
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		log_error("cannot map %llu KiB of guest %s at 0x%llx: %s",
			  (unsigned long long)(size >> 10),
			  read_only ? "firmware" : "RAM",
			  (unsigned long long)gpa, strerror(errno));
		return -1;
	}
	return 0;
}

int kvm_clear_memory(int vm_fd, unsigned int slot)
{
	struct kvm_userspace_memory_region region = { .slot = slot };

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		log_error("cannot unmap guest memory slot %u: %s", slot,
			  strerror(errno));
		return -1;
	}
	return 0;
}

int kvm_irqfd(int vm_fd, int fd, unsigned int gsi, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};
	int ret = ioctl(vm_fd, KVM_IRQFD, &irqfd);

	if (ret < 0 && assign)
		log_error("KVM_IRQFD failed: %s", strerror(errno));
	return ret;
}

int kvm_ioeventfd(int vm_fd, int fd, uint64_t addr, bool assign)
{
	/* Length 0: any write at addr signals, whatever its size or value. */
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = 0,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};
	int ret = ioctl(vm_fd, KVM_IOEVENTFD, &io);

	if (ret < 0 && assign)
		log_error("KVM_IOEVENTFD at 0x%llx failed: %s",
			  (unsigned long long)addr, strerror(errno));
	return ret;
}

int kvm_routes_init(struct kvm_routes *r, unsigned int cap)
{
	r->table =
		calloc(1, sizeof(*r->table) +
				  cap * sizeof(struct kvm_irq_routing_entry));
	if (!r->table)
		return -1;
	r->cap = cap;
	pthread_mutex_init(&r->lock, NULL);
	return 0;
}

void kvm_routes_free(struct kvm_routes *r)
{
	if (!r->table)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->table);
	r->table = NULL;
}

void kvm_routes_add_irqchip(struct kvm_routes *r, unsigned int gsi,
			    unsigned int chip, unsigned int pin)
{
	if (r->table->nr == r->cap)
		return;
	r->table->entries[r->table->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

int kvm_routes_commit(struct kvm_routes *r, int vm_fd)
{
	int ret;

	pthread_mutex_lock(&r->lock);
	ret = ioctl(vm_fd, KVM_SET_GSI_ROUTING, r->table);
	pthread_mutex_unlock(&r->lock);
	if (ret < 0)
		log_error("KVM_SET_GSI_ROUTING failed: %s", strerror(errno));
	return ret;
}

int kvm_routes_set_msi(struct kvm_routes *r, int vm_fd, unsigned int gsi,
		       uint64_t addr, uint32_t data, bool with_devid,
		       uint32_t devid)
{
	struct kvm_irq_routing *t = r->table;
	struct kvm_irq_routing_entry e = {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.flags = with_devid ? KVM_MSI_VALID_DEVID : 0,
		.u.msi = { .address_lo = (uint32_t)addr,
			   .address_hi = addr >> 32,
			   .data = data,
			   .devid = with_devid ? devid : 0 },
	};
	unsigned int i;
	int ret;

	if (gsi < HV_MSI_GSI_BASE || gsi >= HV_MSI_GSI_BASE + HV_MAX_MSI_ROUTES)
		return -1;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < t->nr && t->entries[i].gsi != gsi; i++)
		;
	if (i == r->cap) {
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	t->entries[i] = e;
	if (i == t->nr)
		t->nr++;
	ret = ioctl(vm_fd, KVM_SET_GSI_ROUTING, t);
	pthread_mutex_unlock(&r->lock);
	if (ret < 0)
		log_error("KVM_SET_GSI_ROUTING failed: %s", strerror(errno));
	return ret;
}

int kvm_vcpu_open(struct kvm_vcpu_base *v, int kvm_fd, int vm_fd,
		  unsigned int index)
{
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	v->index = index;
	v->run = NULL;
	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0) {
		log_error("KVM_CREATE_VCPU %u failed: %s", index,
			  strerror(errno));
		return -1;
	}
	if (size <= 0) {
		log_error("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		goto fail;
	}
	v->run_size = size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		log_error("cannot map vCPU %u's run area: %s", index,
			  strerror(errno));
		goto fail;
	}
	return 0;
fail:
	close(v->fd);
	v->fd = -1;
	return -1;
}

void kvm_vcpu_close(struct kvm_vcpu_base *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

void kvm_exit_failed(struct kvm_vcpu_base *v, struct hv_exit *exit)
{
	exit->reason = HV_EXIT_FAILED;
	exit->failed.code = v->run->exit_reason;
}

int kvm_vcpu_run(struct kvm_vcpu_base *v, struct hv_exit *exit)
{
	struct kvm_run *run = v->run;

	if (ioctl(v->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			run->immediate_exit = 0;
			exit->reason = HV_EXIT_INTERRUPTED;
			return 0;
		}
		log_error("KVM_RUN on vCPU %u failed: %s", v->index,
			  strerror(errno));
		exit->reason = HV_EXIT_FAILED;
		exit->failed.code = errno;
		return 0;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		exit->reason = HV_EXIT_MMIO;
		exit->mmio.addr = run->mmio.phys_addr;
		exit->mmio.size = run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			exit->reason = HV_EXIT_SYSTEM_RESET;
		else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			exit->reason = HV_EXIT_SYSTEM_OFF;
		else
			exit->reason = HV_EXIT_SHUTDOWN;
		return 0;
	case KVM_EXIT_INTR:
		exit->reason = HV_EXIT_INTERRUPTED;
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		log_error(
			"vCPU %u: KVM could not enter the guest (reason 0x%llx)",
			v->index,
			(unsigned long long)
				run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		log_error("vCPU %u: KVM internal error %u", v->index,
			  run->internal.suberror);
		break;
	default:
		return 1;
	}
	kvm_exit_failed(v, exit);
	return 0;
}

void kvm_vcpu_kick(struct kvm_vcpu_base *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}
