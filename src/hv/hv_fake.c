// SPDX-License-Identifier: MIT
/*
 * A fake hypervisor for tests (hv_fake.h): hv.h with no KVM. Its vCPUs
 * follow scripts (port I/O exits, a reset, a triple fault, a poweroff, or
 * an idle guest that only a kick wakes), so that the VM's lifecycle can
 * be tested anywhere. Destroyed VMs are kept, marked, until hv_close, so
 * that an interrupt raised through one is seen, not undefined.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv_fake.h"
#if defined(__x86_64__)
#include "hv_x86.h"
#elif defined(__aarch64__)
#include "hv_arm64.h"
#endif

struct hv_vm {
	struct hv *hv;
	struct hv_vm *next; /* the hv's VMs, alive and destroyed */
	bool dead;
};

struct hv {
	struct hv_vm *vms;
};

struct hv_vcpu {
	unsigned int index;
	struct hv_fake_step steps[HV_FAKE_MAX_STEPS];
	size_t nsteps;
	size_t pc; /* the step it is at */
	unsigned int io_done; /* exits of the current HV_FAKE_IO step */
	bool kicked;
	uint8_t io_data[8];
};

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fake_cond = PTHREAD_COND_INITIALIZER;
static struct {
	struct hv_fake_step steps[HV_FAKE_MAX_STEPS];
	size_t nsteps;
} scripts[HV_FAKE_MAX_VCPUS];
static struct hv_fake_hooks hooks;
static struct hv_fake_stats stats;
static unsigned int stall_ms;
static bool stalled;

void hv_fake_set_script(unsigned int vcpu, const struct hv_fake_step *steps,
			size_t n)
{
	if (vcpu >= HV_FAKE_MAX_VCPUS)
		return;
	if (n > HV_FAKE_MAX_STEPS)
		n = HV_FAKE_MAX_STEPS;
	pthread_mutex_lock(&fake_lock);
	memcpy(scripts[vcpu].steps, steps, n * sizeof(*steps));
	scripts[vcpu].nsteps = n;
	pthread_mutex_unlock(&fake_lock);
}

void hv_fake_set_hooks(const struct hv_fake_hooks *h)
{
	pthread_mutex_lock(&fake_lock);
	if (h)
		hooks = *h;
	else
		memset(&hooks, 0, sizeof(hooks));
	pthread_mutex_unlock(&fake_lock);
}

void hv_fake_get_stats(struct hv_fake_stats *out)
{
	pthread_mutex_lock(&fake_lock);
	*out = stats;
	pthread_mutex_unlock(&fake_lock);
}

void hv_fake_reset(void)
{
	pthread_mutex_lock(&fake_lock);
	memset(scripts, 0, sizeof(scripts));
	memset(&hooks, 0, sizeof(hooks));
	memset(&stats, 0, sizeof(stats));
	stall_ms = 0;
	stalled = false;
	pthread_mutex_unlock(&fake_lock);
}

/* An absolute CLOCK_REALTIME deadline, as pthread_cond_timedwait wants. */
static struct timespec deadline(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

bool hv_fake_wait_exits(enum hv_exit_reason reason, uint64_t count,
			unsigned int timeout_ms)
{
	struct timespec ts = deadline(timeout_ms);
	bool ok = true;

	pthread_mutex_lock(&fake_lock);
	while (stats.exits[reason] < count && ok)
		ok = pthread_cond_timedwait(&fake_cond, &fake_lock, &ts) !=
		     ETIMEDOUT;
	ok = stats.exits[reason] >= count;
	pthread_mutex_unlock(&fake_lock);
	return ok;
}

void hv_fake_stall_next_irq(unsigned int ms)
{
	pthread_mutex_lock(&fake_lock);
	stall_ms = ms;
	pthread_mutex_unlock(&fake_lock);
}

bool hv_fake_wait_irq_stalled(unsigned int timeout_ms)
{
	struct timespec ts = deadline(timeout_ms);
	bool ok = true;

	pthread_mutex_lock(&fake_lock);
	while (!stalled && ok)
		ok = pthread_cond_timedwait(&fake_cond, &fake_lock, &ts) !=
		     ETIMEDOUT;
	ok = stalled;
	pthread_mutex_unlock(&fake_lock);
	return ok;
}

/*
 * SCORPI_FAKE_SCRIPT, for a VMM program built on the fake: vCPU 0's
 * script as comma-separated steps, "io:N", "reset", "off", "fault",
 * "fail", "idle" ("io:20,reset": a guest that reboots in a loop).
 */
static void script_from_env(void)
{
	const char *env = getenv("SCORPI_FAKE_SCRIPT");
	struct hv_fake_step steps[HV_FAKE_MAX_STEPS];
	size_t n = 0;

	if (!env)
		return;
	while (*env && n < HV_FAKE_MAX_STEPS) {
		size_t len = strcspn(env, ",");
		struct hv_fake_step *st = &steps[n++];

		memset(st, 0, sizeof(*st));
		if (!strncmp(env, "io:", 3)) {
			st->op = HV_FAKE_IO;
			st->count = (unsigned int)strtoul(env + 3, NULL, 10);
			st->port = 0x80;
		} else if (!strncmp(env, "reset", len)) {
			st->op = HV_FAKE_EXIT;
			st->reason = HV_EXIT_SYSTEM_RESET;
		} else if (!strncmp(env, "off", len)) {
			st->op = HV_FAKE_EXIT;
			st->reason = HV_EXIT_SYSTEM_OFF;
		} else if (!strncmp(env, "fault", len)) {
			st->op = HV_FAKE_EXIT;
			st->reason = HV_EXIT_SHUTDOWN;
		} else if (!strncmp(env, "fail", len)) {
			st->op = HV_FAKE_EXIT;
			st->reason = HV_EXIT_FAILED;
		} else {
			st->op = HV_FAKE_IDLE;
		}
		env += len;
		if (*env == ',')
			env++;
	}
	hv_fake_set_script(0, steps, n);
}

struct hv *hv_open(void)
{
	script_from_env();
	return calloc(1, sizeof(struct hv));
}

void hv_close(struct hv *hv)
{
	if (!hv)
		return;
	while (hv->vms) {
		struct hv_vm *vm = hv->vms;

		hv->vms = vm->next;
		free(vm);
	}
	free(hv);
}

unsigned int hv_max_vcpus(struct hv *hv)
{
	(void)hv;
	return HV_FAKE_MAX_VCPUS;
}

struct hv_vm *hv_vm_create(struct hv *hv)
{
	struct hv_vm *vm = calloc(1, sizeof(*vm));
	struct hv_fake_hooks h;
	unsigned int boot;

	if (!vm)
		return NULL;
	vm->hv = hv;
	vm->next = hv->vms;
	hv->vms = vm;
	pthread_mutex_lock(&fake_lock);
	boot = ++stats.vm_created;
	h = hooks;
	pthread_cond_broadcast(&fake_cond);
	pthread_mutex_unlock(&fake_lock);
	if (h.vm_create)
		h.vm_create(h.ctx, boot);
	return vm;
}

void hv_vm_destroy(struct hv_vm *vm)
{
	struct hv_fake_hooks h;
	unsigned int boot;

	if (!vm)
		return;
	pthread_mutex_lock(&fake_lock);
	h = hooks;
	boot = stats.vm_created;
	pthread_mutex_unlock(&fake_lock);
	if (h.vm_destroy)
		h.vm_destroy(h.ctx, boot);
	pthread_mutex_lock(&fake_lock);
	vm->dead = true;
	stats.vm_destroyed++;
	pthread_cond_broadcast(&fake_cond);
	pthread_mutex_unlock(&fake_lock);
}

int hv_vm_map_ram(struct hv_vm *vm, unsigned int slot, uint64_t gpa,
		  uint64_t size, void *host)
{
	(void)vm;
	(void)slot;
	(void)gpa;
	(void)size;
	(void)host;
	return 0;
}

int hv_vm_map_rom(struct hv_vm *vm, unsigned int slot, uint64_t gpa,
		  uint64_t size, void *host)
{
	return hv_vm_map_ram(vm, slot, gpa, size, host);
}

int hv_vm_unmap(struct hv_vm *vm, unsigned int slot)
{
	(void)vm;
	(void)slot;
	return 0;
}

int hv_vm_irq_line(struct hv_vm *vm, unsigned int gsi, bool level)
{
	(void)gsi;
	(void)level;
	pthread_mutex_lock(&fake_lock);
	stats.irq_lines++;
	if (stall_ms) {
		struct timespec ts = deadline(stall_ms);

		stall_ms = 0;
		stalled = true;
		pthread_cond_broadcast(&fake_cond);
		while (!vm->dead &&
		       pthread_cond_timedwait(&fake_cond, &fake_lock, &ts) !=
			       ETIMEDOUT)
			;
		stalled = false;
	}
	if (vm->dead)
		stats.irq_after_destroy++;
	pthread_mutex_unlock(&fake_lock);
	return 0;
}

int hv_vm_set_msi_route(struct hv_vm *vm, unsigned int gsi, uint64_t addr,
			uint32_t data, uint32_t devid)
{
	(void)vm;
	(void)gsi;
	(void)addr;
	(void)data;
	(void)devid;
	return 0;
}

int hv_vm_irqfd(struct hv_vm *vm, int fd, unsigned int gsi, bool assign)
{
	(void)vm;
	(void)fd;
	(void)gsi;
	(void)assign;
	return 0;
}

int hv_vm_ioeventfd(struct hv_vm *vm, int fd, uint64_t addr, bool assign)
{
	(void)vm;
	(void)fd;
	(void)addr;
	(void)assign;
	return 0;
}

struct hv_vcpu *hv_vcpu_create(struct hv_vm *vm, unsigned int index,
			       unsigned int count)
{
	struct hv_vcpu *v;

	(void)vm;
	(void)count;
	if (index >= HV_FAKE_MAX_VCPUS)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->index = index;
	pthread_mutex_lock(&fake_lock);
	memcpy(v->steps, scripts[index].steps, sizeof(v->steps));
	v->nsteps = scripts[index].nsteps;
	stats.vcpus_created++;
	pthread_mutex_unlock(&fake_lock);
	return v;
}

void hv_vcpu_destroy(struct hv_vcpu *vcpu)
{
	if (!vcpu)
		return;
	pthread_mutex_lock(&fake_lock);
	stats.vcpus_destroyed++;
	pthread_mutex_unlock(&fake_lock);
	free(vcpu);
}

/* The next exit of the script, under fake_lock. */
static void vcpu_step(struct hv_vcpu *v, struct hv_exit *exit)
{
	for (;;) {
		const struct hv_fake_step *s;

		if (v->kicked) {
			v->kicked = false;
			exit->reason = HV_EXIT_INTERRUPTED;
			return;
		}
		if (v->pc >= v->nsteps || v->steps[v->pc].op == HV_FAKE_IDLE) {
			/* A halted guest: only a kick gets it out. */
			while (!v->kicked)
				pthread_cond_wait(&fake_cond, &fake_lock);
			continue;
		}
		s = &v->steps[v->pc];
		if (s->op == HV_FAKE_EXIT) {
			v->pc++;
			exit->reason = s->reason;
			if (s->reason == HV_EXIT_FAILED)
				exit->failed.code = 0;
			return;
		}
		if (v->io_done >= s->count) {
			v->pc++;
			v->io_done = 0;
			continue;
		}
		v->io_done++;
		v->io_data[0] = (uint8_t)v->io_done;
		exit->reason = HV_EXIT_IO;
		exit->io.port = s->port;
		exit->io.size = 1;
		exit->io.is_write = true;
		exit->io.count = 1;
		exit->io.data = v->io_data;
		return;
	}
}

int hv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	memset(exit, 0, sizeof(*exit));
	pthread_mutex_lock(&fake_lock);
	stats.in_run++;
	vcpu_step(vcpu, exit);
	stats.in_run--;
	stats.exits[exit->reason]++;
	pthread_cond_broadcast(&fake_cond);
	pthread_mutex_unlock(&fake_lock);
	return 0;
}

void hv_vcpu_kick(struct hv_vcpu *vcpu)
{
	pthread_mutex_lock(&fake_lock);
	vcpu->kicked = true;
	pthread_cond_broadcast(&fake_cond);
	pthread_mutex_unlock(&fake_lock);
}

void hv_vcpu_dump(struct hv_vcpu *vcpu, FILE *out)
{
	pthread_mutex_lock(&fake_lock);
	stats.dumps++;
	pthread_mutex_unlock(&fake_lock);
	fprintf(out, "fake vCPU %u at step %zu\n", vcpu->index, vcpu->pc);
}

#if defined(__x86_64__)
int hv_vcpu_set_x86_boot(struct hv_vcpu *vcpu,
			 const struct x86_boot_state *state)
{
	(void)vcpu;
	return state->rip ? 0 : -1;
}
#elif defined(__aarch64__)
int hv_vm_create_arm64_gic(struct hv_vm *vm, const struct arm64_gic_layout *l,
			   bool *has_its)
{
	(void)vm;
	(void)l;
	*has_its = false;
	return 0;
}

int hv_vcpu_arm64_mpidr(struct hv_vcpu *vcpu, uint64_t *mpidr)
{
	*mpidr = vcpu->index;
	return 0;
}

int hv_vcpu_set_arm64_boot(struct hv_vcpu *vcpu, uint64_t pc, uint64_t x0)
{
	(void)vcpu;
	(void)x0;
	return pc ? 0 : -1;
}
#endif
