// SPDX-License-Identifier: MIT
/*
 * The process sandbox (sandbox.h, docs/security.md). Installed once the
 * VM is set up: every file, socket, tap and ring is open, every device
 * thread runs; what the VMM does from then on is a short, known list.
 * In this order, each step needing what the next one takes away:
 *
 *   1. what must be loaded or read while it still can be: libgcc_s
 *      (thread cancellation unwinds with it), the names of the system
 *      calls (for the SIGSYS line), whether thread stacks are executable;
 *   2. no new privileges: nothing the process runs can gain any;
 *   3. Landlock: the paths the VM was given, nothing else;
 *   4. capabilities: all of them dropped, nothing after set-up needs one
 *      (taps are opened, ports bound, /dev/kvm open by now);
 *   5. seccomp: one allow-list for every thread (TSYNC), default TRAP,
 *      with a SIGSYS handler that says which call and which thread, then
 *      ends the process with SCORPI_EXIT_SANDBOX.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include "../base/log.h"
#include "config.h"
#include "device.h"
#include "sandbox.h"

/* Landlock's later rights and flags, for headers older than the kernel. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_RESTRICT_SELF_TSYNC
#define LANDLOCK_RESTRICT_SELF_TSYNC (1U << 3) /* ABI 8 */
#endif

/* Enough for every system call number of x86-64 and arm64 (~470). */
#define CALL_NAMES 512
#define CALL_NAME_LEN 32

static pthread_mutex_t sandbox_lock = PTHREAD_MUTEX_INITIALIZER;
static bool allowed;
static bool installed;

/* What the SIGSYS handler reads: written before the filter is loaded. */
static char call_names[CALL_NAMES][CALL_NAME_LEN];
static uint32_t native_arch;
static bool stderr_tty;
static struct termios saved_tty;
static volatile sig_atomic_t tty_saved;

void sandbox_allow(bool allow)
{
	pthread_mutex_lock(&sandbox_lock);
	allowed = allow;
	pthread_mutex_unlock(&sandbox_lock);
}

bool sandbox_allowed(void)
{
	bool a;

	pthread_mutex_lock(&sandbox_lock);
	a = allowed;
	pthread_mutex_unlock(&sandbox_lock);
	return a;
}

bool sandbox_wanted(const struct vm_config *cfg)
{
	return cfg->sandbox && sandbox_allowed();
}

bool sandbox_installed(void)
{
	return __atomic_load_n(&installed, __ATOMIC_ACQUIRE);
}

void sandbox_save_terminal(void)
{
	if (!tty_saved && isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &saved_tty) == 0)
		tty_saved = 1;
}

/* ---- The SIGSYS line: async-signal-safe, so no stdio and no malloc ---- */

struct line {
	char buf[320];
	size_t len;
};

static void put_str(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = *s++;
}

static void put_num(struct line *l, unsigned long long v, unsigned int base)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		put_str(l, "0x");
	while (n && l->len < sizeof(l->buf) - 2)
		l->buf[l->len++] = digits[--n];
}

/* The first three arguments of the call the filter stopped. */
static void call_args(const void *context, unsigned long long args[3])
{
	const ucontext_t *uc = context;

#if defined(__x86_64__)
	args[0] = (unsigned long long)uc->uc_mcontext.gregs[REG_RDI];
	args[1] = (unsigned long long)uc->uc_mcontext.gregs[REG_RSI];
	args[2] = (unsigned long long)uc->uc_mcontext.gregs[REG_RDX];
#elif defined(__aarch64__)
	for (int i = 0; i < 3; i++)
		args[i] = uc->uc_mcontext.regs[i];
#endif
}

/*
 * One line, then the terminal as it was and the end: the VMM must never
 * die silently, and it must not go on with a thread that did what it
 * never does. Arguments in hex: for an ioctl, the second is the request.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *context)
{
	struct line l = { .len = 0 };
	char thread[17] = "?";
	unsigned long long args[3];
	int nr = si->si_syscall;

	(void)sig;
	call_args(context, args);
	if (prctl(PR_GET_NAME, thread, 0, 0, 0) < 0)
		thread[0] = '?';
	thread[16] = 0;
	put_str(&l, "scorpi: sandbox: forbidden system call ");
	if (si->si_arch == native_arch && nr >= 0 && nr < CALL_NAMES &&
	    call_names[nr][0])
		put_str(&l, call_names[nr]);
	else
		put_str(&l, si->si_arch == native_arch ? "unknown"
						       : "of another ABI");
	put_str(&l, " (");
	put_num(&l, (unsigned int)nr, 10);
	put_str(&l, ") on thread ");
	put_str(&l, thread);
	put_str(&l, " (arguments ");
	for (int i = 0; i < 3; i++) {
		put_num(&l, args[i], 16);
		put_str(&l, i < 2 ? ", " : "");
	}
	put_str(&l, "): the VMM stops (docs/security.md)");
	if (stderr_tty)
		l.buf[l.len++] = '\r';
	l.buf[l.len++] = '\n';
	if (write(STDERR_FILENO, l.buf, l.len) < 0) {
		/* Nothing else can be said. */
	}
	if (tty_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	_exit(SCORPI_EXIT_SANDBOX);
}

/*
 * What the handler needs, while it can be had: the names of the system
 * calls, this architecture's token, whether stderr is a terminal.
 */
static void load_call_names(void)
{
	native_arch = seccomp_arch_native();
	for (int nr = 0; nr < CALL_NAMES; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(native_arch, nr);

		if (name)
			snprintf(call_names[nr], CALL_NAME_LEN, "%s", name);
		free(name);
	}
	stderr_tty = isatty(STDERR_FILENO);
}

/* ---- Step 1: what the run time loads lazily ---- */

/*
 * pthread_cancel and pthread_exit unwind with libgcc_s, which glibc
 * dlopens at the first one (the scorpi command cancels its signal
 * thread at the end): loaded now, the later dlopen finds it in memory
 * and neither opens a file nor maps code.
 */
static void preload_unwinder(void)
{
	if (!dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE))
		log_debug("sandbox: no libgcc_s.so.1 to preload: %s",
			  dlerror());
}

/*
 * glibc makes thread stacks executable when a loaded object asks for an
 * executable stack (an old assembly file without .note.GNU-stack): then
 * the filter must let pthread_create map them so.
 */
static bool stacks_executable(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool x = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *perms = strchr(line, ' ');

		if (perms && strstr(line, "[stack]")) {
			x = perms[3] == 'x'; /* " rwxp" */
			break;
		}
	}
	fclose(f);
	return x;
}

/* ---- Step 3: Landlock ---- */

static int ll_create_ruleset(const struct landlock_ruleset_attr *attr,
			     size_t size, uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int ll_add_rule(int fd, const struct landlock_path_beneath_attr *pb)
{
	return (int)syscall(SYS_landlock_add_rule, fd,
			    LANDLOCK_RULE_PATH_BENEATH, pb, 0);
}

static int ll_restrict_self(int fd, uint32_t flags)
{
	return (int)syscall(SYS_landlock_restrict_self, fd, flags);
}

/* Every file-system right the kernel's ABI knows: all of them are denied. */
static uint64_t ll_handled(int abi)
{
	/* ABI 1: EXECUTE (bit 0) to MAKE_SYM (bit 12). */
	uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	/* Only for files opened after it: none of ours needs an ioctl. */
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

struct ruleset {
	int fd;
	uint64_t handled;
	unsigned int rules;
};

/* Rights on a file, and on a directory for what is made or removed in it. */
#define LL_READ LANDLOCK_ACCESS_FS_READ_FILE
#define LL_WRITE LANDLOCK_ACCESS_FS_WRITE_FILE
#define LL_REPLACE                                                     \
	(LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_REMOVE_FILE)
#define LL_REMOVE LANDLOCK_ACCESS_FS_REMOVE_FILE

/*
 * Grants rights on path, or on the directory that holds it. A path that
 * cannot be opened is not granted (the VM does without, as it would
 * without the sandbox: a stats file in a directory that went away); a
 * rule the kernel refuses is a bug here, and stops the start.
 */
static int grant(struct ruleset *rs, const char *path, uint64_t access,
		 bool parent)
{
	struct landlock_path_beneath_attr pb;
	char dir[PATH_MAX];
	const char *p = path;
	int fd, err;

	if (parent) {
		const char *slash = strrchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : 0;

		if (!slash)
			p = ".";
		else if (!n)
			p = "/";
		else if (n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = 0;
			p = dir;
		} else
			return 0;
	}
	fd = open(p, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		log_debug("sandbox: landlock: %s: %s: not granted", p,
			  strerror(errno));
		return 0;
	}
	pb.allowed_access = access & rs->handled;
	pb.parent_fd = fd;
	err = ll_add_rule(rs->fd, &pb) < 0 ? errno : 0;
	close(fd);
	if (err) {
		log_error("sandbox: landlock: cannot grant %s: %s", p,
			  strerror(err));
		return -1;
	}
	log_debug("sandbox: landlock: %s: rights 0x%llx", p,
		  (unsigned long long)pb.allowed_access);
	rs->rules++;
	return 0;
}

/* virtio-net's backend is slirp unless it says tap (virtio_net.c). */
static bool net_is_slirp(const struct dev_config *dc)
{
	const char *backend = dev_opt(dc, "backend");

	return !dev_opt(dc, "tap") && !(backend && !strcmp(backend, "tap"));
}

/*
 * What the running VM opens, makes or removes by path; a device that
 * opens a file after set-up has its line here. Kernel, initrd, /dev/kvm
 * and /dev/net/tun are opened at set-up and never again (a reset reuses
 * their descriptors), so they are not granted.
 */
static int grant_config(struct ruleset *rs, const struct vm_config *cfg)
{
	int ret = 0;

	/*
	 * Seeds: jansson's hash seed at the first JSON object (the first
	 * control-socket request), GLib's where getrandom is not used.
	 */
	ret |= grant(rs, "/dev/urandom", LL_READ, false);
	/*
	 * malloc reads it once, when it first gives a thread arena's memory
	 * back, to know whether it must unmap rather than just discard.
	 */
	ret |= grant(rs, "/proc/sys/vm/overcommit_memory", LL_READ, false);
	if (cfg->bootrom)
		ret |= grant(rs, cfg->bootrom, LL_READ, false);
	if (cfg->bootvars)
		ret |= grant(rs, cfg->bootvars, LL_READ | LL_WRITE, false);
	/* Written at the end as PATH.tmp, then renamed (vm_write_stats). */
	if (cfg->stats)
		ret |= grant(rs, cfg->stats, LL_REPLACE, true);
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		const struct dev_config *dc = &cfg->devices[i];
		const char *name = dc->cls->name, *v;

		if (!strcmp(name, "virtio-blk") && (v = dev_opt(dc, "path"))) {
			uint64_t rw = LL_READ;

			if (!dev_opt_bool(dc, "ro"))
				rw |= LL_WRITE;
			ret |= grant(rs, v, rw, false);
		} else if (!strcmp(name, "vm-control") &&
			   (v = dev_opt(dc, "path"))) {
			/* Removed at exit. */
			ret |= grant(rs, v, LL_REMOVE, true);
		} else if (!strcmp(name, "virtio-console")) {
			/* port=NAME:PATH, each removed at exit. */
			for (unsigned int n = 0;
			     (v = dev_opt_nth(dc, "port", n)); n++)
				if (strchr(v, ':'))
					ret |= grant(rs, strchr(v, ':') + 1,
						     LL_REMOVE, true);
		} else if (!strcmp(name, "virtio-net") && net_is_slirp(dc)) {
			/* slirp's DNS forwarder reads it again when it changes. */
			ret |= grant(rs, "/etc/resolv.conf", LL_READ, false);
		}
	}
	return ret ? -1 : 0;
}

/*
 * -1 after a message on failure; abi is 0 when the kernel has no
 * Landlock, which is said once and is no failure.
 */
static int landlock_install(const struct vm_config *cfg, int *abi)
{
	struct landlock_ruleset_attr attr = { 0 };
	struct ruleset rs = { .fd = -1 };
	int ret = -1;

	*abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (*abi < 0) {
		log_info(
			"sandbox: this kernel has no Landlock (%s): the VMM's file access is not narrowed, the rest of the sandbox is on",
			strerror(errno));
		*abi = 0;
		return 0;
	}
	rs.handled = attr.handled_access_fs = ll_handled(*abi);
	rs.fd = ll_create_ruleset(&attr, sizeof(attr), 0);
	if (rs.fd < 0) {
		log_error("sandbox: landlock: cannot make a ruleset: %s",
			  strerror(errno));
		return -1;
	}
	if (grant_config(&rs, cfg) < 0)
		goto out;
	/*
	 * Without TSYNC (ABI 8, Linux 7.0), this thread and those it starts
	 * from now on: the VM's main thread and its vCPUs.
	 */
	if (ll_restrict_self(rs.fd, *abi >= 8 ? LANDLOCK_RESTRICT_SELF_TSYNC
					      : 0) < 0) {
		log_error("sandbox: landlock: cannot restrict the process: %s",
			  strerror(errno));
		goto out;
	}
	log_debug("sandbox: landlock ABI %d: %u paths granted%s", *abi,
		  rs.rules, *abi >= 8 ? ", on every thread" : "");
	ret = 0;
out:
	close(rs.fd);
	return ret;
}

/* ---- Step 4: capabilities ---- */

static int drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	bool any = false;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0) {
		log_error("sandbox: capget: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		any |= data[i].effective || data[i].permitted ||
		       data[i].inheritable;
	if (!any)
		return 0;
	/* The ambient set goes with the permitted one. */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		log_error("sandbox: cannot drop the capabilities: %s",
			  strerror(errno));
		return -1;
	}
	log_debug("sandbox: every capability dropped");
	return 0;
}

/* ---- Step 5: the seccomp allow-list ---- */

/*
 * The calls allowed whatever their arguments, by need. Names that an
 * architecture lacks (open, poll, rename... on arm64) are skipped.
 * Those whose arguments are checked follow, in seccomp_install.
 */
static const char *const allowed_calls[] = {
	/*
	 * Memory: malloc and free, thread stacks, guest RAM given back at a
	 * reset (madvise). mmap and mprotect are below: never PROT_EXEC.
	 */
	"brk",
	"munmap",
	"mremap",
	"madvise",
	/*
	 * glibc's qsort sizes its buffer by the host's RAM when it sorts
	 * more than 1 KiB: the PCI BAR map, at the guest's writes.
	 */
	"sysinfo",
	/*
	 * Threads: pthread_create (clone is below), thread exit, joins,
	 * locks and condition variables; malloc's arenas count CPUs with
	 * sched_getaffinity; a signal can restart a sleep.
	 */
	"futex",
	"set_robust_list",
	"rseq",
	"gettid",
	"getpid",
	"sched_yield",
	"sched_getaffinity",
	"exit",
	"exit_group",
	"restart_syscall",
	/*
	 * Signals: the vCPU kick's handler, every thread's signal mask,
	 * the scorpi command's signal thread (sigwait).
	 */
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"rt_sigtimedwait",
	/*
	 * Time: clocks where the vDSO falls back to the kernel, sleeps, the
	 * arm64 RTC's and power button's timerfds.
	 */
	"clock_gettime",
	"clock_getres",
	"gettimeofday",
	"time",
	"nanosleep",
	"clock_nanosleep",
	"timerfd_create",
	"timerfd_settime",
	"timerfd_gettime",
	/* Waiting: the event loops, device I/O threads, slirp's poll. */
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"poll",
	"ppoll",
	"eventfd2",
	/*
	 * I/O on what is open: disk images (the thread pool's preadv,
	 * pwritev, fdatasync; DISCARD and WRITE_ZEROES' fallocate), the
	 * tap, eventfds, the terminal, sockets' reads and writes.
	 */
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"preadv",
	"pwritev",
	"lseek",
	"close",
	"fdatasync",
	"fsync",
	"fallocate",
	"fstat",
	"newfstatat",
	"stat",
	"lstat",
	"statx",
	/* The io_uring disk engine: submissions and completions. */
	"io_uring_enter",
	/* virtio-rng. */
	"getrandom",
	/*
	 * Files by path, which Landlock narrows to what the VM was given:
	 * the stats file (made, renamed over, removed), the sockets removed
	 * at exit, slirp's /etc/resolv.conf.
	 */
	"open",
	"openat",
	"rename",
	"renameat",
	"renameat2",
	"unlink",
	"unlinkat",
	/*
	 * Sockets: clients of the control socket and console ports
	 * (accept4, recv, send, the peer's credentials); slirp's
	 * connections for the guest and hostfwd listeners, which the
	 * control socket can add at run time. socket() is below.
	 */
	"accept",
	"accept4",
	"bind",
	"listen",
	"connect",
	"shutdown",
	"getsockname",
	"getpeername",
	"getsockopt",
	"setsockopt",
	"sendto",
	"recvfrom",
	"sendmsg",
	"recvmsg",
	/* Who is allowed on the control socket and console ports. */
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
};

/*
 * The ioctls, by request number: all the others stop the VMM.
 * KVM: everything src/hv issues, at set-up and at every boot (a reset
 * makes the hypervisor VM and its vCPUs anew); KVM_RUN first, as the
 * hottest.
 */
static const unsigned long allowed_ioctls[] = {
	KVM_RUN,
	KVM_IRQ_LINE,
	KVM_IRQFD,
	KVM_IOEVENTFD,
	KVM_SET_GSI_ROUTING,
	KVM_GET_API_VERSION,
	KVM_CHECK_EXTENSION,
	KVM_GET_VCPU_MMAP_SIZE,
	KVM_CREATE_VM,
	KVM_CREATE_VCPU,
	KVM_SET_USER_MEMORY_REGION,
#if defined(__x86_64__)
	KVM_GET_SUPPORTED_CPUID,
	KVM_SET_TSS_ADDR,
	KVM_SET_IDENTITY_MAP_ADDR,
	KVM_CREATE_IRQCHIP,
	KVM_CREATE_PIT2,
	KVM_SET_CPUID2,
	KVM_GET_LAPIC,
	KVM_SET_LAPIC,
	KVM_GET_REGS,
	KVM_SET_REGS,
	KVM_GET_SREGS,
	KVM_SET_SREGS,
	KVM_SET_FPU,
#elif defined(__aarch64__)
	KVM_ARM_PREFERRED_TARGET,
	KVM_ARM_VCPU_INIT,
	KVM_CREATE_DEVICE,
	KVM_SET_DEVICE_ATTR,
	KVM_GET_ONE_REG,
	KVM_SET_ONE_REG,
#endif
	/*
	 * The tap: the offloads and queue pairs the guest's driver picks.
	 * (TUNSETIFF and TUNSETVNETHDRSZ are set-up only.)
	 */
	TUNSETOFFLOAD,
	TUNSETQUEUE,
	/* virtio-blk's DISCARD on a block device (its size is set-up only). */
	BLKDISCARD,
	/*
	 * The terminal: isatty() and tcgetattr() (the log, the console),
	 * tcsetattr(TCSANOW) when the console gives the terminal back.
	 */
	TCGETS,
	TCSETS,
	/*
	 * libslirp: the size of a waiting UDP datagram; if_nametoindex() for
	 * a "nameserver fe80::1%eth0" line of /etc/resolv.conf. (Its
	 * sockets are made non-blocking with fcntl, not FIONBIO.)
	 */
	FIONREAD,
	SIOCGIFINDEX,
};

/* The calls the list names, and those whose arguments are checked. */
static unsigned int rule_count;

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
		unsigned int n, const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);
	int rc;

	if (nr == __NR_SCMP_ERROR) {
		log_error("sandbox: %s: libseccomp knows no such system call",
			  name);
		return -1;
	}
	if (nr < 0)
		return 0; /* not on this architecture */
	rc = seccomp_rule_add_array(ctx, action, nr, n, args);
	if (rc < 0) {
		log_error("sandbox: seccomp: cannot add %s: %s", name,
			  strerror(-rc));
		return -1;
	}
	rule_count++;
	return 0;
}

/*
 * Argument n equal to v. Not libseccomp's SCMP_An(SCMP_CMP_EQ, v): that
 * leaves datum_b to the compiler, which clang's -Wextra refuses.
 */
#define ARG_EQ(n, v)                                                  \
	((struct scmp_arg_cmp){ .arg = (n), .op = SCMP_CMP_EQ,        \
				.datum_a = (scmp_datum_t)(v), .datum_b = 0 })

#define RULE(ctx, action, name, ...)                          \
	rule(ctx, action, name,                               \
	     sizeof((struct scmp_arg_cmp[]){ __VA_ARGS__ }) / \
		     sizeof(struct scmp_arg_cmp),             \
	     (struct scmp_arg_cmp[]){ __VA_ARGS__ })

/*
 * The flags glibc's pthread_create gives clone, and the namespace and
 * vfork flags a new process would use: a thread, never a process.
 */
#define CLONE_THREAD_FLAGS \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_CHECKED                                                       \
	(CLONE_THREAD_FLAGS | CLONE_VFORK | CLONE_NEWNS | CLONE_NEWCGROUP | \
	 CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |       \
	 CLONE_NEWNET)

static int add_argument_rules(scmp_filter_ctx ctx, bool exec_stacks)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const int fcntls[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD };
	int ret = 0;

	/* No new code: mappings and protections without PROT_EXEC. */
	if (exec_stacks) {
		ret |= rule(ctx, SCMP_ACT_ALLOW, "mmap", 0, NULL);
		ret |= rule(ctx, SCMP_ACT_ALLOW, "mprotect", 0, NULL);
	} else {
		ret |= RULE(ctx, SCMP_ACT_ALLOW, "mmap",
			    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		ret |= RULE(ctx, SCMP_ACT_ALLOW, "mprotect",
			    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	}
	/* Threads only. clone3's flags are behind a pointer, which seccomp
	 * cannot read: ENOSYS, and glibc falls back to clone. */
	ret |= RULE(ctx, SCMP_ACT_ALLOW, "clone",
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_CHECKED,
			    CLONE_THREAD_FLAGS));
	ret |= rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	/* Thread names: vCPU threads set theirs, the SIGSYS line reads. */
	ret |= RULE(ctx, SCMP_ACT_ALLOW, "prctl",
		    ARG_EQ(0, PR_SET_NAME));
	ret |= RULE(ctx, SCMP_ACT_ALLOW, "prctl",
		    ARG_EQ(0, PR_GET_NAME));
	/* Signals to this process's own threads (vCPU kicks, cancel). */
	ret |= RULE(ctx, SCMP_ACT_ALLOW, "tgkill",
		    ARG_EQ(0, (scmp_datum_t)getpid()));
	/* slirp makes its sockets non-blocking and close-on-exec. */
	for (size_t i = 0; i < sizeof(fcntls) / sizeof(fcntls[0]); i++)
		ret |= RULE(ctx, SCMP_ACT_ALLOW, "fcntl",
			    ARG_EQ(1, (scmp_datum_t)fcntls[i]));
	/*
	 * slirp's TCP and UDP (and ICMP echo on datagram sockets) for the
	 * guest. A raw socket, slirp's ping where datagram ones are not
	 * allowed, gets what an unprivileged process gets. AF_UNIX gets
	 * EACCES: glibc's if_nametoindex tries it first, GLib's log writer
	 * when stderr is the journal, and both do without. Every other
	 * family (netlink, packet, ...) stops the VMM.
	 */
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		ret |= RULE(ctx, SCMP_ACT_ALLOW, "socket",
			    ARG_EQ(0, (scmp_datum_t)families[i]),
			    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM));
		ret |= RULE(ctx, SCMP_ACT_ALLOW, "socket",
			    ARG_EQ(0, (scmp_datum_t)families[i]),
			    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM));
		ret |= RULE(ctx, SCMP_ACT_ERRNO(EPERM), "socket",
			    ARG_EQ(0, (scmp_datum_t)families[i]),
			    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
	}
	ret |= RULE(ctx, SCMP_ACT_ERRNO(EACCES), "socket",
		    ARG_EQ(0, AF_UNIX));
	/*
	 * The kernel takes an ioctl's request as 32 bits: only those are
	 * compared, so that no upper bits tell one apart.
	 */
	for (size_t i = 0; i < sizeof(allowed_ioctls) / sizeof(*allowed_ioctls);
	     i++)
		ret |= RULE(ctx, SCMP_ACT_ALLOW, "ioctl",
			    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
				    (scmp_datum_t)(uint32_t)allowed_ioctls[i]));
	return ret ? -1 : 0;
}

static int seccomp_install(bool exec_stacks)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler,
				.sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc, ret = -1;

	if (!ctx) {
		log_error("sandbox: seccomp: out of memory");
		return -1;
	}
	if (exec_stacks)
		log_debug("sandbox: thread stacks are executable here: "
			  "mmap and mprotect may map code");
	rule_count = 0;
	/* An x32 or i386 call is no call of ours either: it traps too. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) {
		log_error("sandbox: seccomp: this libseccomp cannot sync "
			  "threads");
		goto out;
	}
	/* A binary tree of call numbers: KVM_RUN pays a few tests, not 90. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < sizeof(allowed_calls) / sizeof(*allowed_calls);
	     i++)
		if (rule(ctx, SCMP_ACT_ALLOW, allowed_calls[i], 0, NULL) < 0)
			goto out;
	if (add_argument_rules(ctx, exec_stacks) < 0)
		goto out;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		log_error("sandbox: SIGSYS handler: %s", strerror(errno));
		goto out;
	}
	rc = seccomp_load(ctx);
	if (rc < 0) {
		log_error("sandbox: cannot load the seccomp filter on every "
			  "thread: %s",
			  strerror(-rc));
		goto out;
	}
	log_debug("sandbox: seccomp: %u rules, on every thread", rule_count);
	ret = 0;
out:
	seccomp_release(ctx);
	return ret;
}

int sandbox_install(const struct vm_config *cfg)
{
	bool exec_stacks;
	int abi, ret = -1;

	pthread_mutex_lock(&sandbox_lock);
	if (installed) {
		pthread_mutex_unlock(&sandbox_lock);
		return 0;
	}
	preload_unwinder();
	load_call_names();
	exec_stacks = stacks_executable(); /* /proc: before Landlock */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error("sandbox: no_new_privs: %s", strerror(errno));
		goto out;
	}
	if (landlock_install(cfg, &abi) < 0 || drop_capabilities() < 0 ||
	    seccomp_install(exec_stacks) < 0)
		goto out;
	__atomic_store_n(&installed, true, __ATOMIC_RELEASE);
	ret = 0;
out:
	pthread_mutex_unlock(&sandbox_lock);
	if (ret < 0)
		log_error("sandbox: not installed, so the VM does not start "
			  "(-o sandbox=off runs it without)");
	return ret;
}
