// SPDX-License-Identifier: MIT
/*
 * vm.c's lifecycle with no KVM: libscorpi on the fake hypervisor
 * (src/hv/hv_fake.c), whose vCPUs follow scripts. Pause, resume, reset,
 * stop, triple fault and poweroff, alone, in every order, and racing
 * each other from threads. Every check is on behaviour (exit codes,
 * states, what the fake saw); the alarm is only a hang detector.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../include/scorpi/scorpi.h"
#include "check.h"
#include "tiny_bzimage.h"
#include "core/config.h"
#include "core/vm.h"
#include "hv/hv_fake.h"

#define HANG_SECONDS 60
#define IDLE_PORT 0x80 /* POST codes: nothing there, writes are dropped */
#define INTX_GSI 16

static char kernel_path[64];
static const char *hang_what = "";

static void on_alarm(int sig)
{
	static const char msg[] = "test_lifecycle: HANG in ";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0 ||
	    write(STDERR_FILENO, hang_what, strlen(hang_what)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		_exit(2);
	_exit(2);
}

/* Arms the hang detector for one test and forgets the fake's state. */
static void begin(const char *what)
{
	hang_what = what;
	hv_fake_reset();
	alarm(HANG_SECONDS);
}

static void finish(void)
{
	alarm(0);
}

/* The smallest 64-bit bzImage x86_linux_check and _load take, in TMPDIR. */
static void make_kernel(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(kernel_path, sizeof(kernel_path), "%s/scorpi-lc-XXXXXX",
		 dir && *dir && strlen(dir) < 32 ? dir : "/tmp");
	fd = mkstemp(kernel_path);
	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	tiny_bzimage_write(fd, kernel_path);
	close(fd);
}

static struct vm *new_vm(unsigned int cpus, const char *reboot,
			 const char *console)
{
	struct vm_config cfg;
	char n[8];
	struct vm *vm;
	int err = -1;

	config_init(&cfg);
	snprintf(n, sizeof(n), "%u", cpus);
	CHECK_EQ(config_set(&cfg, "name", "lifecycle", "test"), 0);
	CHECK_EQ(config_set(&cfg, "kernel", kernel_path, "test"), 0);
	CHECK_EQ(config_set(&cfg, "cpu", n, "test"), 0);
	CHECK_EQ(config_set(&cfg, "memory", "64M", "test"), 0);
	CHECK_EQ(config_set(&cfg, "reboot", reboot, "test"), 0);
	CHECK_EQ(config_set(&cfg, "console", console, "test"), 0);
	vm = vm_create(&cfg, &err);
	config_free(&cfg);
	CHECK(vm != NULL);
	CHECK_EQ(err, SCORPI_OK);
	if (!vm)
		exit(1); /* nothing below can run */
	return vm;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Polls; the hang detector ends a wait that never ends. */
static void wait_state(struct vm *vm, enum vm_state s)
{
	while (vm_get_state(vm) != s)
		sleep_ms(1);
}

static void wait_boots(unsigned int n)
{
	struct hv_fake_stats st;

	for (;;) {
		hv_fake_get_stats(&st);
		if (st.vm_created >= n)
			return;
		sleep_ms(1);
	}
}

/* Every hypervisor object the VM made was given back. */
static void check_balanced(void)
{
	struct hv_fake_stats st;

	hv_fake_get_stats(&st);
	CHECK_EQ(st.vm_created, st.vm_destroyed);
	CHECK_EQ(st.vcpus_created, st.vcpus_destroyed);
	CHECK_EQ(st.irq_after_destroy, 0);
}

#define STEP_IO(n)                                                \
	{                                                         \
		.op = HV_FAKE_IO, .count = (n), .port = IDLE_PORT \
	}
#define STEP_EXIT(r)                              \
	{                                         \
		.op = HV_FAKE_EXIT, .reason = (r) \
	}
#define STEP_IDLE                  \
	{                          \
		.op = HV_FAKE_IDLE \
	}
#define SCRIPT(vcpu, ...)                                                   \
	do {                                                                \
		const struct hv_fake_step s_[] = { __VA_ARGS__ };           \
		hv_fake_set_script((vcpu), s_, sizeof(s_) / sizeof(s_[0])); \
	} while (0)

/* ---- the guest ends the VM ---- */

static void run_guest_exit(enum hv_exit_reason reason, const char *reboot,
			   int want)
{
	struct hv_fake_stats st;
	struct vm *vm;

	begin("guest exit");
	SCRIPT(0, STEP_IO(50), STEP_EXIT(reason));
	vm = new_vm(1, reboot, "none");
	CHECK_EQ(vm_get_state(vm), VM_STATE_CREATED);
	CHECK_EQ(vm_start(vm), 0);
	CHECK_EQ(vm_wait(vm), want);
	CHECK_EQ(vm_get_state(vm), VM_STATE_STOPPED);
	vm_destroy(vm);
	hv_fake_get_stats(&st);
	CHECK_EQ(st.vm_created, 1);
	CHECK_EQ(st.exits[HV_EXIT_IO], 50);
	CHECK_EQ(st.dumps, reason == HV_EXIT_SHUTDOWN);
	check_balanced();
	finish();
}

static void test_guest_exits(void)
{
	run_guest_exit(HV_EXIT_SYSTEM_OFF, "reset", SCORPI_EXIT_POWEROFF);
	run_guest_exit(HV_EXIT_SHUTDOWN, "reset", SCORPI_EXIT_TRIPLE_FAULT);
	run_guest_exit(HV_EXIT_SYSTEM_RESET, "exit", SCORPI_EXIT_REBOOT);
	run_guest_exit(HV_EXIT_FAILED, "reset", SCORPI_EXIT_ERROR);
}

/* reboot=reset: the guest reboots four times, then powers off. */
static void reboot_loop_create(void *ctx, unsigned int boot)
{
	(void)ctx;
	if (boot == 5)
		SCRIPT(0, STEP_IO(3), STEP_EXIT(HV_EXIT_SYSTEM_OFF));
}

static void test_reboot_loop(void)
{
	struct hv_fake_hooks h = { .vm_create = reboot_loop_create };
	struct hv_fake_stats st;
	struct vm *vm;

	begin("reboot loop");
	SCRIPT(0, STEP_IO(10), STEP_EXIT(HV_EXIT_SYSTEM_RESET));
	hv_fake_set_hooks(&h);
	vm = new_vm(2, "reset", "none");
	CHECK_EQ(vm_start(vm), 0);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_POWEROFF);
	vm_destroy(vm);
	hv_fake_get_stats(&st);
	CHECK_EQ(st.vm_created, 5);
	CHECK_EQ(st.exits[HV_EXIT_SYSTEM_RESET], 4);
	check_balanced();
	finish();
}

/* ---- stops are never lost ---- */

static struct vm *hook_vm;
static enum vm_request hook_req;

/* While the main thread is in the middle of a reset (vm_halt). */
static void request_on_destroy(void *ctx, unsigned int boot)
{
	(void)ctx;
	if (boot == 1)
		vm_request(hook_vm, hook_req);
}

static void run_stop_during_reset(bool guest_reset)
{
	struct hv_fake_hooks h = { .vm_destroy = request_on_destroy };
	struct hv_fake_stats st;

	begin(guest_reset ? "stop during a guest reset"
			  : "stop during a host reset");
	if (guest_reset)
		SCRIPT(0, STEP_IO(10), STEP_EXIT(HV_EXIT_SYSTEM_RESET));
	else
		SCRIPT(0, STEP_IO(10), STEP_IDLE);
	hv_fake_set_hooks(&h);
	hook_req = VM_REQ_STOP;
	hook_vm = new_vm(1, "reset", "none");
	CHECK_EQ(vm_start(hook_vm), 0);
	if (!guest_reset) {
		wait_state(hook_vm, VM_STATE_RUNNING);
		vm_request(hook_vm, VM_REQ_HOST_RESET);
	}
	/* The stop came while the reset was handled: it ends the VM. */
	CHECK_EQ(vm_wait(hook_vm), SCORPI_EXIT_STOPPED);
	vm_destroy(hook_vm);
	hv_fake_get_stats(&st);
	CHECK_EQ(st.vm_created, 1);
	check_balanced();
	finish();
}

static void test_stop_during_reset(void)
{
	run_stop_during_reset(true);
	run_stop_during_reset(false);
}

/* A poweroff that comes during a reset ends the VM too. */
static void test_poweroff_during_reset(void)
{
	struct hv_fake_hooks h = { .vm_destroy = request_on_destroy };

	begin("poweroff during a reset");
	SCRIPT(0, STEP_IO(10), STEP_EXIT(HV_EXIT_SYSTEM_RESET));
	hv_fake_set_hooks(&h);
	hook_req = VM_REQ_POWEROFF;
	hook_vm = new_vm(1, "reset", "none");
	CHECK_EQ(vm_start(hook_vm), 0);
	CHECK_EQ(vm_wait(hook_vm), SCORPI_EXIT_POWEROFF);
	vm_destroy(hook_vm);
	check_balanced();
	finish();
}

/* A stop outranks whatever else is pending. */
static void test_request_order(void)
{
	static const enum vm_request others[] = {
		VM_REQ_POWEROFF, VM_REQ_RESET,	    VM_REQ_TRIPLE_FAULT,
		VM_REQ_ERROR,	 VM_REQ_HOST_RESET,
	};
	struct vm *vm;

	begin("request order");
	for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
		SCRIPT(0, STEP_IDLE);
		vm = new_vm(1, "exit", "none");
		/* Both pending before the VM boots: the stop wins. */
		vm_request(vm, others[i]);
		vm_request(vm, VM_REQ_STOP);
		CHECK_EQ(vm_start(vm), 0);
		CHECK_EQ(vm_wait(vm), SCORPI_EXIT_STOPPED);
		vm_destroy(vm);
	}
	/*
	 * A triple fault posted as a boot ended (it raced a reset): the VM
	 * ends with it, and no vCPU is left to dump.
	 */
	vm = new_vm(1, "reset", "none");
	vm_request(vm, VM_REQ_TRIPLE_FAULT);
	CHECK_EQ(vm_start(vm), 0);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_TRIPLE_FAULT);
	vm_destroy(vm);
	/* Poweroff outranks a reset: both asked, the VM powers off. */
	vm = new_vm(1, "reset", "none");
	vm_request(vm, VM_REQ_HOST_RESET);
	vm_request(vm, VM_REQ_POWEROFF);
	CHECK_EQ(vm_start(vm), 0);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_POWEROFF);
	vm_destroy(vm);
	check_balanced();
	finish();
}

/* ---- pause ---- */

static atomic_int main_pause_ret;
static atomic_int main_pauses;

/*
 * On the VM's main thread, as the control socket's pause runs: once a
 * vCPU has posted its reset, the thread that would handle it pauses.
 */
static void pause_on_running(void *ctx, struct vm *vm,
			     const struct vm_event *ev)
{
	(void)ctx;
	if (ev->type != VM_EVENT_STATE || ev->state != VM_STATE_RUNNING ||
	    atomic_fetch_add(&main_pauses, 1) != 0)
		return;
	CHECK(hv_fake_wait_exits(HV_EXIT_SYSTEM_RESET, 1, 10000));
	atomic_store(&main_pause_ret, vm_pause(vm));
}

static void off_on_boot2(void *ctx, unsigned int boot)
{
	(void)ctx;
	if (boot == 2) {
		SCRIPT(0, STEP_IDLE);
		SCRIPT(1, STEP_IO(2), STEP_EXIT(HV_EXIT_SYSTEM_OFF));
	}
}

static void test_pause_racing_guest_reset(void)
{
	struct hv_fake_hooks h = { .vm_create = off_on_boot2 };
	struct hv_fake_stats st;
	struct vm *vm;

	begin("pause racing a guest reset");
	SCRIPT(0, STEP_IDLE);
	SCRIPT(1, STEP_IO(5), STEP_EXIT(HV_EXIT_SYSTEM_RESET));
	hv_fake_set_hooks(&h);
	atomic_store(&main_pauses, 0);
	atomic_store(&main_pause_ret, 99);
	vm = new_vm(2, "reset", "none");
	CHECK_EQ(vm_add_listener(vm, pause_on_running, NULL), 0);
	CHECK_EQ(vm_start(vm), 0);
	/* The pause gives way to the reset, which then happens. */
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_POWEROFF);
	CHECK_EQ(atomic_load(&main_pause_ret), -1);
	vm_destroy(vm);
	hv_fake_get_stats(&st);
	CHECK_EQ(st.vm_created, 2);
	check_balanced();
	finish();
}

static void test_pause_resume(void)
{
	struct hv_fake_stats st;
	struct vm *vm;

	begin("pause and resume");
	SCRIPT(0, STEP_IO(5), STEP_IDLE);
	SCRIPT(1, STEP_IDLE);
	vm = new_vm(2, "reset", "none");
	CHECK_EQ(vm_pause(vm), -1); /* not started */
	CHECK_EQ(vm_resume(vm), -1);
	CHECK_EQ(vm_start(vm), 0);
	wait_state(vm, VM_STATE_RUNNING);
	CHECK_EQ(vm_resume(vm), -1); /* running */
	for (int i = 0; i < 20; i++) {
		CHECK_EQ(vm_pause(vm), 0);
		CHECK_EQ(vm_get_state(vm), VM_STATE_PAUSED);
		hv_fake_get_stats(&st);
		CHECK_EQ(st.in_run, 0); /* paused: no vCPU runs */
		CHECK_EQ(vm_pause(vm), -1);
		CHECK_EQ(vm_resume(vm), 0);
		CHECK_EQ(vm_get_state(vm), VM_STATE_RUNNING);
	}
	/* A paused VM stops. */
	CHECK_EQ(vm_pause(vm), 0);
	vm_request(vm, VM_REQ_STOP);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_STOPPED);
	CHECK_EQ(vm_pause(vm), -1);
	vm_destroy(vm);
	check_balanced();
	finish();
}

/* A paused VM resets in place and runs again; a second reset too. */
static void test_reset_paused(void)
{
	struct vm *vm;

	begin("reset of a paused VM");
	SCRIPT(0, STEP_IDLE);
	vm = new_vm(1, "exit", "none");
	CHECK_EQ(vm_start(vm), 0);
	wait_state(vm, VM_STATE_RUNNING);
	CHECK_EQ(vm_pause(vm), 0);
	vm_request(vm, VM_REQ_HOST_RESET);
	wait_boots(2);
	wait_state(vm, VM_STATE_RUNNING);
	CHECK_EQ(vm_pause(vm), 0);
	CHECK_EQ(vm_resume(vm), 0);
	vm_request(vm, VM_REQ_STOP);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_STOPPED);
	vm_destroy(vm);
	check_balanced();
	finish();
}

/* Created but never started: stopped or freed, nothing hangs. */
static void test_stop_not_started(void)
{
	struct hv_fake_stats st;
	struct vm *vm;

	begin("stop before start");
	SCRIPT(0, STEP_IDLE);
	vm = new_vm(1, "reset", "none");
	vm_destroy(vm);
	vm = new_vm(1, "reset", "none");
	vm_request(vm, VM_REQ_STOP);
	CHECK_EQ(vm_start(vm), 0);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_STOPPED);
	vm_destroy(vm);
	hv_fake_get_stats(&st);
	CHECK_EQ(st.vm_created, 0); /* it never booted */
	/* vm_destroy of a running VM stops it. */
	vm = new_vm(2, "reset", "none");
	CHECK_EQ(vm_start(vm), 0);
	vm_destroy(vm);
	check_balanced();
	finish();
}

/* ---- INTx across a reset ---- */

static void *raise_once(void *arg)
{
	struct irq_line l = vm_irq_line(arg, INTX_GSI);

	irq_line_set(&l, true);
	return NULL;
}

/*
 * A device thread raises a line just as the main thread resets: the
 * hypervisor VM that line goes to must not be freed under it.
 */
static void test_intx_across_reset(void)
{
	struct hv_fake_stats st;
	pthread_t t;
	struct vm *vm;

	begin("INTx across a reset");
	SCRIPT(0, STEP_IDLE);
	vm = new_vm(1, "reset", "none");
	CHECK_EQ(vm_start(vm), 0);
	wait_state(vm, VM_STATE_RUNNING);
	hv_fake_stall_next_irq(300);
	pthread_create(&t, NULL, raise_once, vm);
	CHECK(hv_fake_wait_irq_stalled(10000));
	vm_request(vm, VM_REQ_HOST_RESET);
	wait_boots(2);
	pthread_join(t, NULL);
	hv_fake_get_stats(&st);
	CHECK_EQ(st.irq_lines, 1);
	CHECK_EQ(st.irq_after_destroy, 0);
	vm_request(vm, VM_REQ_STOP);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_STOPPED);
	vm_destroy(vm);
	check_balanced();
	finish();
}

/* ---- every pairing, racing ---- */

enum action {
	ACT_PAUSE,
	ACT_RESUME,
	ACT_HOST_RESET,
	ACT_STOP,
	ACT_GUEST_RESET,
	ACT_TRIPLE_FAULT,
	ACT_POWEROFF,
	ACT_COUNT,
};

static const char *const action_names[] = {
	"pause",       "resume",       "host-reset", "stop",
	"guest-reset", "triple-fault", "poweroff",
};

struct racer {
	struct vm *vm;
	enum action act;
	pthread_barrier_t *go;
	atomic_bool *done;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	for (int i = 0; i < 10; i++) {
		switch (r->act) {
		case ACT_PAUSE:
			vm_pause(r->vm);
			break;
		case ACT_RESUME:
			vm_resume(r->vm);
			break;
		case ACT_HOST_RESET:
			vm_request(r->vm, VM_REQ_HOST_RESET);
			break;
		case ACT_STOP:
			vm_request(r->vm, VM_REQ_STOP);
			break;
		default:
			return NULL; /* the guest's: in the vCPU script */
		}
	}
	return NULL;
}

/* A device thread raising and lowering INTx until the VM ends. */
static void *irq_storm(void *arg)
{
	struct racer *r = arg;
	struct irq_line l = vm_irq_line(r->vm, INTX_GSI);

	while (!atomic_load(r->done)) {
		irq_line_set(&l, true);
		irq_line_set(&l, false);
	}
	return NULL;
}

/* Pauses on the main thread (the control socket's) at every boot. */
static void pause_every_boot(void *ctx, struct vm *vm,
			     const struct vm_event *ev)
{
	(void)ctx;
	if (ev->type == VM_EVENT_STATE && ev->state == VM_STATE_RUNNING)
		vm_pause(vm);
}

static int guest_exit_code(enum action a)
{
	switch (a) {
	case ACT_TRIPLE_FAULT:
		return SCORPI_EXIT_TRIPLE_FAULT;
	case ACT_POWEROFF:
		return SCORPI_EXIT_POWEROFF;
	default:
		return -1; /* it does not end the VM (reboot=reset) */
	}
}

static enum hv_exit_reason guest_reason(enum action a)
{
	return a == ACT_GUEST_RESET    ? HV_EXIT_SYSTEM_RESET
	       : a == ACT_TRIPLE_FAULT ? HV_EXIT_SHUTDOWN
				       : HV_EXIT_SYSTEM_OFF;
}

static void race_pair(enum action a, enum action b, unsigned int round)
{
	pthread_barrier_t go;
	atomic_bool done = false;
	struct racer ra, rb, rirq;
	pthread_t ta, tb, tirq;
	struct vm *vm;
	int code;
	bool guest_a = a >= ACT_GUEST_RESET, guest_b = b >= ACT_GUEST_RESET;

	hv_fake_reset();
	/* vCPU 1 does the guest's part; the others idle like a kernel. */
	SCRIPT(0, STEP_IO(1 + round % 7), STEP_IDLE);
	if (guest_a && guest_b)
		SCRIPT(1, STEP_IO(1 + round % 5), STEP_EXIT(guest_reason(a)),
		       STEP_EXIT(guest_reason(b)));
	else if (guest_a || guest_b)
		SCRIPT(1, STEP_IO(1 + round % 5),
		       STEP_EXIT(guest_reason(guest_a ? a : b)));
	else
		SCRIPT(1, STEP_IO(round % 3), STEP_IDLE);
	vm = new_vm(3, "reset", "none");
	if (round % 2)
		CHECK_EQ(vm_add_listener(vm, pause_every_boot, NULL), 0);
	pthread_barrier_init(&go, NULL, 3);
	ra = (struct racer){ vm, a, &go, &done };
	rb = (struct racer){ vm, b, &go, &done };
	rirq = ra;
	CHECK_EQ(vm_start(vm), 0);
	pthread_create(&ta, NULL, race, &ra);
	pthread_create(&tb, NULL, race, &rb);
	pthread_create(&tirq, NULL, irq_storm, &rirq);
	pthread_barrier_wait(&go);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* Whatever state the race left, a stop ends the VM. */
	vm_request(vm, VM_REQ_STOP);
	code = vm_wait(vm);
	atomic_store(&done, true);
	pthread_join(tirq, NULL);
	if (code != SCORPI_EXIT_STOPPED && code != guest_exit_code(a) &&
	    code != guest_exit_code(b)) {
		fprintf(stderr, "%s + %s, round %u: exit code %d\n",
			action_names[a], action_names[b], round, code);
		check_failures++;
	}
	CHECK_EQ(vm_get_state(vm), VM_STATE_STOPPED);
	vm_destroy(vm);
	pthread_barrier_destroy(&go);
	check_balanced();
}

static void test_stress_pairs(void)
{
	begin("stress: every pairing");
	for (unsigned int round = 0; round < 12; round++)
		for (int a = 0; a < ACT_COUNT; a++)
			for (int b = 0; b < ACT_COUNT; b++) {
				race_pair(a, b, round);
				alarm(HANG_SECONDS); /* per pairing */
			}
	finish();
}

/* ---- signals: the kick, and no handler behind the program's back ---- */

static atomic_int kicks;

static void count_kick(int sig)
{
	(void)sig;
	atomic_fetch_add(&kicks, 1);
}

/* The handler in place for sig (a sanitizer may have its own). */
static void *handler_of(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa) < 0)
		return NULL;
	if (sa.sa_flags & SA_SIGINFO)
		return (void *)sa.sa_sigaction;
	return (void *)sa.sa_handler;
}

/* stdin as a terminal (a pty), so that the console goes raw. */
static int pty_stdin(int *saved)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	int slave;

	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		return -1;
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0)
		return -1;
	*saved = dup(STDIN_FILENO);
	dup2(slave, STDIN_FILENO);
	close(slave);
	return master;
}

/* Must run before any other VM: the signal is fixed by the first. */
static void test_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS,  SIGILL,
				     SIGFPE,  SIGABRT, SIGQUIT };
	struct sigaction own = { .sa_handler = count_kick };
	void *fatal_before[sizeof(fatal) / sizeof(*fatal)];
	void *usr1_before = handler_of(SIGUSR1);
	struct termios before, after;
	scorpi_error err;
	struct vm *vm;
	int master, saved_stdin = -1;

	begin("signals");
	for (size_t i = 0; i < sizeof(fatal) / sizeof(*fatal); i++)
		fatal_before[i] = handler_of(fatal[i]);
	CHECK_EQ(scorpi_vcpu_signal(), SIGUSR1);
	CHECK_EQ(scorpi_set_vcpu_signal(SIGSEGV, &err), SCORPI_ERR_INVALID);
	CHECK_EQ(err.code, SCORPI_ERR_INVALID);
	CHECK_EQ(scorpi_set_vcpu_signal(SIGUSR2, &err), SCORPI_OK);
	CHECK_EQ(scorpi_vcpu_signal(), SIGUSR2);
	/* The program's own handler: the library keeps it. */
	sigemptyset(&own.sa_mask);
	sigaction(SIGUSR2, &own, NULL);

	master = pty_stdin(&saved_stdin);
	CHECK(master >= 0);
	CHECK_EQ(tcgetattr(STDIN_FILENO, &before), 0);
	SCRIPT(0, STEP_IDLE);
	vm = new_vm(1, "reset", "stdio");
	CHECK_EQ(tcgetattr(STDIN_FILENO, &after), 0);
	CHECK(!(after.c_lflag & ICANON)); /* raw while the VM lives */
	/* No handler behind the program's back. */
	for (size_t i = 0; i < sizeof(fatal) / sizeof(*fatal); i++)
		CHECK(handler_of(fatal[i]) == fatal_before[i]);
	CHECK(handler_of(SIGUSR1) == usr1_before);
	CHECK(handler_of(SIGUSR2) == (void *)count_kick);
	CHECK_EQ(scorpi_set_vcpu_signal(SIGUSR1, &err), SCORPI_ERR_STATE);
	CHECK_EQ(scorpi_set_vcpu_signal(SIGUSR2, &err), SCORPI_OK);
	CHECK_EQ(vm_start(vm), 0);
	wait_state(vm, VM_STATE_RUNNING);
	/* A pause kicks the vCPU with the program's signal. */
	CHECK_EQ(vm_pause(vm), 0);
	while (!atomic_load(&kicks))
		sleep_ms(1);
	CHECK_EQ(vm_resume(vm), 0);
	vm_request(vm, VM_REQ_STOP);
	CHECK_EQ(vm_wait(vm), SCORPI_EXIT_STOPPED);
	vm_destroy(vm);
	/* The terminal is back as it was. */
	CHECK_EQ(tcgetattr(STDIN_FILENO, &after), 0);
	CHECK_EQ(after.c_lflag, before.c_lflag);
	CHECK_EQ(after.c_iflag, before.c_iflag);
	CHECK_EQ(after.c_oflag, before.c_oflag);
	if (saved_stdin >= 0) {
		dup2(saved_stdin, STDIN_FILENO);
		close(saved_stdin);
	}
	if (master >= 0)
		close(master);
	check_balanced();
	finish();
}

static void cleanup(void)
{
	if (kernel_path[0])
		unlink(kernel_path);
}

static void setup(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	make_kernel();
	atexit(cleanup);
}

static void test_setup(void)
{
	setup();
	CHECK(kernel_path[0] != 0);
}

TEST_MAIN(TEST(test_setup), TEST(test_signals), TEST(test_guest_exits),
	  TEST(test_reboot_loop), TEST(test_stop_not_started),
	  TEST(test_request_order), TEST(test_pause_resume),
	  TEST(test_reset_paused), TEST(test_stop_during_reset),
	  TEST(test_poweroff_during_reset), TEST(test_pause_racing_guest_reset),
	  TEST(test_intx_across_reset), TEST(test_stress_pairs))
