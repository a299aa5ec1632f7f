// SPDX-License-Identifier: MIT
/*
 * The process sandbox (src/core/sandbox.c) with no KVM. The sandbox is
 * for good, so every case runs in a child that installs it for a made-up
 * VM, as vm_start does, and then does what the VMM may, or must not, do;
 * the parent checks the child's exit status and what it wrote on stderr
 * (one line naming the call and the thread, exit status 5). Also the
 * option in the description, and vm.c's rules on the fake hypervisor:
 * no second VM in a sandboxed process, no sandbox beside another VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/landlock.h>
#include <liburing.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../include/scorpi/scorpi.h"
#include "base/log.h"
#include "check.h"
#include "core/cli.h"
#include "core/config.h"
#include "core/sandbox.h"
#include "core/vm.h"
#include "net/net_backend.h"
#include "slirp_guest.h"

#define HANG_SECONDS 60

static char dir[64]; /* the made-up VM's files */
static int landlock_abi;

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void make_file(const char *name, size_t size)
{
	char p[128];
	int fd;

	path_in(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror(p);
		exit(1);
	}
	close(fd);
}

static void wr(uint8_t *b, size_t off, int n, uint64_t v)
{
	for (int i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* The smallest 64-bit bzImage the x86 loader takes (test_lifecycle.c). */
static void make_kernel(void)
{
	static uint8_t b[5 * 512 + 4096];
	char p[128];
	FILE *f;

	b[0x1f1] = 4;
	wr(b, 0x1f4, 4, 4096 / 16);
	wr(b, 0x1fe, 2, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;
	memcpy(b + 0x202, "HdrS", 4);
	wr(b, 0x206, 2, 0x020f);
	b[0x211] = 0x01;
	wr(b, 0x214, 4, 0x100000);
	wr(b, 0x22c, 4, 0x7fffffff);
	wr(b, 0x230, 4, 0x200000);
	b[0x234] = 1;
	wr(b, 0x236, 2, 0x3);
	wr(b, 0x238, 4, 0x7ff);
	wr(b, 0x258, 8, 0x1000000);
	wr(b, 0x260, 4, 1 << 20);
	path_in(p, sizeof(p), "bzImage");
	f = fopen(p, "w");
	if (!f || fwrite(b, sizeof(b), 1, f) != 1 || fclose(f)) {
		perror(p);
		exit(1);
	}
}

/*
 * DIR/img/{rw,ro,other}.img, DIR/stats/, DIR/sock/old.sock; the VM is
 * given rw.img (read-write), ro.img (read-only), the stats file and a
 * control socket in DIR/sock, not other.img.
 */
static void make_files(void)
{
	static const char *const dirs[] = { "img", "stats", "sock" };
	const char *tmp = getenv("TMPDIR");
	char p[128];

	snprintf(dir, sizeof(dir), "%s/scorpi-sbx-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		path_in(p, sizeof(p), dirs[i]);
		mkdir(p, 0700);
	}
	make_file("img/rw.img", 1 << 20);
	make_file("img/ro.img", 1 << 20);
	make_file("img/other.img", 1 << 20);
	make_file("sock/old.sock", 0);
	make_kernel();
}

static void remove_files(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void add_device(struct vm_config *cfg, enum dev_bus bus,
		       const char *name, unsigned int slot, const char *opts)
{
	bool added;
	struct dev_config *dc =
		config_add_device(cfg, bus, name, slot, 0, "test", &added);

	CHECK(dc != NULL);
	if (dc)
		CHECK_EQ(config_device_options(dc, opts, "test"), 0);
}

/* The made-up VM: two disks, stats, a control socket, slirp. */
static void make_config(struct vm_config *cfg)
{
	char p[160], o[200];

	config_init(cfg);
	CHECK_EQ(config_set(cfg, "name", "sandboxed", "test"), 0);
	path_in(p, sizeof(p), "bzImage");
	CHECK_EQ(config_set(cfg, "kernel", p, "test"), 0);
	CHECK_EQ(config_set(cfg, "memory", "64M", "test"), 0);
	path_in(p, sizeof(p), "stats/stats.json");
	CHECK_EQ(config_set(cfg, "stats", p, "test"), 0);
	snprintf(o, sizeof(o), "path=%s/img/rw.img", dir);
	add_device(cfg, DEV_BUS_PCI, "virtio-blk", 2, o);
	snprintf(o, sizeof(o), "path=%s/img/ro.img,ro", dir);
	add_device(cfg, DEV_BUS_PCI, "virtio-blk", 3, o);
	snprintf(o, sizeof(o), "path=%s/sock/c.sock", dir);
	add_device(cfg, DEV_BUS_LPC, "vm-control", 0, o);
	add_device(cfg, DEV_BUS_PCI, "virtio-net", 4, "slirp");
}

/* ---- children ---- */

/*
 * Runs fn in a child, its stderr into out (when out is not NULL); returns
 * the child's wait status. The alarm ends a child that hangs.
 */
static int in_child(int (*fn)(void), char *out, size_t len)
{
	int pipefd[2], status;
	size_t got = 0;
	pid_t pid;

	fflush(NULL);
	if (pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (out)
			dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[1]);
		alarm(HANG_SECONDS);
		check_failures = 0; /* the child's own */
		_exit(fn());
	}
	close(pipefd[1]);
	for (;;) {
		char buf[512];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		if (out && got + 1 < len) {
			size_t k = (size_t)n < len - 1 - got ? (size_t)n
							     : len - 1 - got;

			memcpy(out + got, buf, k);
			got += k;
		}
	}
	if (out)
		out[got] = 0;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

static int install(void)
{
	struct vm_config cfg;
	int ret;

	make_config(&cfg);
	ret = sandbox_install(&cfg);
	config_free(&cfg);
	return ret;
}

/* A line of /proc/.../status, read through a descriptor opened before. */
static bool status_has(int fd, const char *line)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false;
	buf[n] = 0;
	return strstr(buf, line) != NULL;
}

static int status_fd_of(pid_t tid)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/task/%d/status", (int)tid);
	return open(p, O_RDONLY | O_CLOEXEC);
}

/* A thread that exists before the sandbox, and waits for orders. */
struct helper {
	pthread_t thread;
	int order[2];
	pid_t tid;
	const char *name;
	void (*act)(void);
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	char c;

	prctl(PR_SET_NAME, h->name, 0, 0, 0);
	pthread_mutex_lock(&h->lock);
	h->tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (read(h->order[0], &c, 1) == 1 && h->act)
		h->act();
	return NULL;
}

static void helper_start(struct helper *h, const char *name, void (*act)(void))
{
	h->name = name;
	h->act = act;
	h->tid = 0;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pipe(h->order) < 0 ||
	    pthread_create(&h->thread, NULL, helper_main, h) != 0)
		_exit(90);
	pthread_mutex_lock(&h->lock);
	while (!h->tid)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static void helper_go(struct helper *h)
{
	if (write(h->order[1], "x", 1) != 1)
		_exit(91);
}

static void *blocked_reader(void *arg)
{
	char c;

	/* read() is a cancellation point: pthread_cancel unwinds it. */
	if (read(*(int *)arg, &c, 1) < 0)
		return NULL;
	return NULL;
}

static void *count_up(void *arg)
{
	(*(int *)arg)++;
	return NULL;
}

/* What the VMM does at run time works; what it is not given fails. */
static int child_allowed(void)
{
	int self = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	int cancel_pipe[2], n = 0, fd, ep, efd;
	bool had_caps, uring;
	struct io_uring ring;
	scorpi_error err;
	struct helper h;
	char p[160], q[160];
	pthread_t t;
	void *mem, *big;
	FILE *f;

	helper_start(&h, "io-thread", NULL);
	fd = status_fd_of(h.tid);
	CHECK_EQ(pipe(cancel_pipe), 0);
	/* The disk engine's ring, made at set-up as virtio-blk makes it. */
	uring = io_uring_queue_init(4, &ring, 0) == 0;
	had_caps = !status_has(self, "CapEff:\t0000000000000000");
	CHECK(self >= 0 && fd >= 0);
	CHECK_EQ(install(), 0);
	CHECK(sandbox_installed());
	/* It cannot be lifted; installing again does nothing. */
	CHECK_EQ(scorpi_set_sandbox(0, &err), SCORPI_ERR_STATE);
	CHECK_STR(err.message,
		  "the sandbox is installed: it stays for the process's life");
	CHECK_EQ(install(), 0);
	/* On this thread, and on one that ran before (TSYNC). */
	CHECK(status_has(self, "Seccomp:\t2"));
	CHECK(status_has(self, "NoNewPrivs:\t1"));
	CHECK(status_has(fd, "Seccomp:\t2"));
	CHECK(status_has(fd, "NoNewPrivs:\t1"));
	if (had_caps)
		CHECK(status_has(self, "CapEff:\t0000000000000000"));

	/* Threads: made, joined, cancelled (glibc's unwinder is loaded). */
	CHECK_EQ(pthread_create(&t, NULL, count_up, &n), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(pthread_create(&t, NULL, blocked_reader, &cancel_pipe[0]), 0);
	CHECK_EQ(pthread_cancel(t), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	errno = 0;
	CHECK_EQ(syscall(SYS_clone3, NULL, 0), -1);
	CHECK_EQ(errno, ENOSYS);
	helper_go(&h);
	CHECK_EQ(pthread_join(h.thread, NULL), 0);

	/* Memory, without new code. */
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	CHECK_EQ(mprotect(mem, 4096, PROT_READ), 0);
	CHECK_EQ(munmap(mem, 4096), 0);
	big = malloc(64 << 20);
	CHECK(big != NULL);
	big = realloc(big, 128 << 20);
	CHECK(big != NULL);
	free(big);

	/* Waiting and time. */
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(efd >= 0 && ep >= 0);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, efd,
			   &(struct epoll_event){ .events = EPOLLIN }),
		 0);
	CHECK_EQ(epoll_wait(ep, &(struct epoll_event){ 0 }, 1, 0), 0);
	CHECK_EQ(nanosleep(&(struct timespec){ .tv_nsec = 1000 }, NULL), 0);
	ioctl(efd, FIONREAD, &n); /* allowed, whatever eventfd answers */
	CHECK(fcntl(efd, F_GETFL) >= 0);
	CHECK(isatty(efd) == 0);
	close(ep);
	close(efd);

	/* Sockets: slirp's families; AF_UNIX and raw ones refused. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_EQ(ioctl(fd, FIONREAD, &n), 0);
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	CHECK(fd >= 0 || errno == EAFNOSUPPORT);
	close(fd);
	errno = 0;
	CHECK_EQ(socket(AF_UNIX, SOCK_STREAM, 0), -1);
	CHECK_EQ(errno, EACCES);
	errno = 0;
	CHECK_EQ(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), -1);
	CHECK_EQ(errno, EPERM);

	/* io_uring: a read submitted and reaped. */
	path_in(p, sizeof(p), "img/rw.img");
	fd = open(p, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	if (uring) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct io_uring_cqe *cqe;
		static char block[4096];

		io_uring_prep_read(sqe, fd, block, sizeof(block), 0);
		CHECK_EQ(io_uring_submit(&ring), 1);
		CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
		CHECK_EQ(cqe->res, sizeof(block));
		io_uring_cqe_seen(&ring, cqe);
		io_uring_queue_exit(&ring);
	}
	CHECK_EQ(fdatasync(fd), 0);
	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			   4096),
		 0);
	close(fd);

	if (!landlock_abi)
		return check_failures ? 1 : 0;
	/* Landlock: the images as given, nothing else. */
	path_in(p, sizeof(p), "img/ro.img");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
	errno = 0;
	CHECK_EQ(open(p, O_RDWR | O_CLOEXEC), -1);
	CHECK_EQ(errno, EACCES);
	path_in(p, sizeof(p), "img/other.img");
	errno = 0;
	CHECK_EQ(open(p, O_RDONLY | O_CLOEXEC), -1);
	CHECK_EQ(errno, EACCES);
	path_in(p, sizeof(p), "bzImage"); /* loaded already: not given */
	errno = 0;
	CHECK_EQ(open(p, O_RDONLY | O_CLOEXEC), -1);
	CHECK_EQ(errno, EACCES);
	errno = 0;
	CHECK_EQ(open("/etc/passwd", O_RDONLY | O_CLOEXEC), -1);
	CHECK_EQ(errno, EACCES);
	/* The stats file, as vm_write_stats writes it. */
	path_in(p, sizeof(p), "stats/stats.json.tmp");
	path_in(q, sizeof(q), "stats/stats.json");
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		CHECK(fprintf(f, "{}\n") == 3);
		CHECK_EQ(fclose(f), 0);
	}
	CHECK_EQ(rename(p, q), 0);
	/* The socket directory: removing, not making. */
	path_in(p, sizeof(p), "sock/old.sock");
	CHECK_EQ(unlink(p), 0);
	path_in(p, sizeof(p), "sock/new");
	errno = 0;
	CHECK_EQ(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), -1);
	CHECK_EQ(errno, EACCES);
	/* slirp's resolver file and the seeds. */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
	fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 || errno == ENOENT);
	close(fd);
	return check_failures ? 1 : 0;
}

static void test_allowed(void)
{
	int status = in_child(child_allowed, NULL, 0);

	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	if (!landlock_abi)
		printf("skip: this kernel has no Landlock: its checks did not "
		       "run\n");
}

/* ---- forbidden calls: one line, exit status 5 ---- */

static int child_ptrace(void)
{
	prctl(PR_SET_NAME, "vcpu7", 0, 0, 0);
	if (install() < 0)
		return 80;
	syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
	return 81; /* not reached */
}

static void act_packet_socket(void)
{
	socket(AF_PACKET, SOCK_RAW, 0);
}

/* A thread that ran before the sandbox is covered too (TSYNC). */
static int child_thread_socket(void)
{
	struct helper h;

	helper_start(&h, "io-thread", act_packet_socket);
	if (install() < 0)
		return 80;
	helper_go(&h);
	pthread_join(h.thread, NULL);
	return 81; /* not reached */
}

static int child_ioctl(void)
{
	char c = 'x';

	if (install() < 0)
		return 80;
	ioctl(STDIN_FILENO, TIOCSTI, &c); /* typing into the terminal */
	return 81;
}

static int child_fork(void)
{
	if (install() < 0)
		return 80;
	if (fork() == 0)
		_exit(82);
	return 81;
}

static int child_exec(void)
{
	char *argv[] = { "true", NULL };

	if (install() < 0)
		return 80;
	execv("/bin/true", argv);
	return 81;
}

static int child_exec_mapping(void)
{
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED || install() < 0)
		return 80;
	mprotect(mem, 4096, PROT_READ | PROT_EXEC);
	return 81;
}

/* The child ended with status 5 and one line that starts with want. */
static void check_stopped(int (*fn)(void), const char *want)
{
	char out[2048];
	int status = in_child(fn, out, sizeof(out));
	const char *nl = strchr(out, '\n');

	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), SCORPI_EXIT_SANDBOX);
	CHECK(!strncmp(out, want, strlen(want)));
	CHECK(nl && !nl[1]); /* one line */
	CHECK(strstr(out, "): the VMM stops (docs/security.md)\n") != NULL);
	if (strncmp(out, want, strlen(want)))
		fprintf(stderr, "got:  %swant: %s...\n", out, want);
}

static void test_forbidden(void)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "scorpi: sandbox: forbidden system call ptrace (%d) on "
		 "thread vcpu7 (arguments 0x0, 0x0, 0x0)",
		 SYS_ptrace);
	check_stopped(child_ptrace, want);
	snprintf(want, sizeof(want),
		 "scorpi: sandbox: forbidden system call socket (%d) on "
		 "thread io-thread (arguments 0x%x, 0x%x, 0x0)",
		 SYS_socket, AF_PACKET, SOCK_RAW);
	check_stopped(child_thread_socket, want);
	snprintf(want, sizeof(want),
		 "scorpi: sandbox: forbidden system call ioctl (%d) on "
		 "thread test_sandbox (arguments 0x0, 0x%x, ",
		 SYS_ioctl, TIOCSTI);
	check_stopped(child_ioctl, want);
	snprintf(want, sizeof(want),
		 "scorpi: sandbox: forbidden system call clone (%d) on",
		 SYS_clone);
	check_stopped(child_fork, want);
	snprintf(want, sizeof(want),
		 "scorpi: sandbox: forbidden system call execve (%d) on",
		 SYS_execve);
	check_stopped(child_exec, want);
	snprintf(want, sizeof(want),
		 "scorpi: sandbox: forbidden system call mprotect (%d) on",
		 SYS_mprotect);
	check_stopped(child_exec_mapping, want);
}

/* ---- the network backends at run time ---- */

static const uint8_t slirp_host[4] = { 10, 0, 2, 2 };
static const uint8_t slirp_dns[4] = { 10, 0, 2, 3 };

static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IPv4 packet from the guest (10.0.2.15): l4 is its payload. */
static void send_ip(struct net_backend *nb, const uint8_t dst[4], uint8_t proto,
		    uint8_t *l4, size_t l4len)
{
	uint8_t f[14 + 20 + 128] = { 0x52, 0x55, 10, 0, 2, 2 };
	uint8_t *ip = f + 14;
	uint8_t pseudo[12] = { 10, 0, 2, 15 };

	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 10, ip[13] = 0, ip[14] = 2, ip[15] = 15;
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum(ip, 20, 0));
	if (proto == IPPROTO_TCP) {
		uint32_t sum = 0;

		memcpy(pseudo + 4, dst, 4);
		pseudo[9] = proto;
		put16(pseudo + 10, (uint16_t)l4len);
		for (size_t i = 0; i < sizeof(pseudo); i += 2)
			sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
		put16(l4 + 16, csum(l4, l4len, sum));
	} else if (proto == IPPROTO_ICMP) {
		put16(l4 + 2, csum(l4, l4len, 0));
	}
	memcpy(ip + 20, l4, l4len);
	send_frame(nb, f, 14 + 20 + l4len);
}

static void send_udp(struct net_backend *nb, const uint8_t dst[4],
		     uint16_t port, const char *data)
{
	uint8_t u[8 + 64] = { 0x30, 0x39 }; /* from port 12345 */
	size_t n = strlen(data);

	put16(u + 2, port);
	put16(u + 4, (uint16_t)(8 + n));
	memcpy(u + 8, data, n); /* checksum 0: none, as IPv4 allows */
	send_ip(nb, dst, IPPROTO_UDP, u, 8 + n);
}

/*
 * Waits up to 5 s for a frame to the guest: an ARP one (proto 0), or
 * an IPv4 one of proto.
 */
static bool wait_frame(struct net_backend *nb, uint8_t proto)
{
	uint8_t buf[2048];

	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = nb->rx_fd[0], .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 100);
		while ((n = nb->ops->recv(nb, 0, buf, sizeof(buf))) != 0) {
			if (!proto && n >= 42 && buf[12] == 0x08 &&
			    buf[13] == 0x06)
				return true;
			if (proto && n > 34 && buf[12] == 0x08 &&
			    buf[13] == 0 && buf[23] == proto)
				return true;
		}
	}
	return false;
}

static int bound(int type, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4) < 0))
		_exit(92);
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * slirp under the filter, as a guest uses it: UDP to the host and back,
 * a TCP connection to the host, a ping, a DNS query (slirp reads
 * /etc/resolv.conf), a port forwarded at run time.
 */
static int child_slirp(void)
{
	struct net_slirp_options o = { 0 };
	struct net_hostfwd fwd = { .guest_port = 80 };
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	uint8_t tcp[20] = { 0x9c, 0x40 }; /* from port 40000 */
	uint8_t ping[16] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
	uint16_t uport, tport;
	struct net_backend *nb = net_slirp_create(&o);
	int udp = bound(SOCK_DGRAM, &uport), tl = bound(SOCK_STREAM, &tport);
	int fd, probe = bound(SOCK_STREAM, &fwd.host_port);
	char buf[64];
	struct pollfd p = { .fd = udp, .events = POLLIN };
	bool udp_ok = false;

	close(probe); /* a free port, for the run-time forward */
	if (!nb || install() < 0)
		return 80;
	/*
	 * UDP as the first frame: out through a socket slirp makes, and the
	 * answer back (a datagram slirp took in its first round once saw
	 * its clock at 0, and its socket expired at once: net_slirp.c).
	 */
	send_udp(nb, slirp_host, uport, "hello");
	send_arp(nb);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	flen = sizeof(from);
	CHECK_EQ(recvfrom(udp, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			  &flen),
		 5);
	CHECK_EQ(sendto(udp, "back", 4, 0, (struct sockaddr *)&from, flen), 4);
	udp_ok = wait_frame(nb, IPPROTO_UDP);
	CHECK(udp_ok);
	/* TCP: slirp connects, the guest gets the SYN-ACK. */
	put16(tcp + 2, tport);
	tcp[7] = 1; /* seq 1 */
	tcp[12] = 0x50;
	tcp[13] = 0x02; /* SYN */
	put16(tcp + 14, 65535);
	send_ip(nb, slirp_host, IPPROTO_TCP, tcp, sizeof(tcp));
	p.fd = tl;
	CHECK_EQ(poll(&p, 1, 5000), 1);
	fd = accept4(tl, NULL, NULL, SOCK_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(wait_frame(nb, IPPROTO_TCP));
	close(fd);
	/* A ping (a datagram ICMP socket, which the host may refuse). */
	send_ip(nb, slirp_host, IPPROTO_ICMP, ping, sizeof(ping));
	/* DNS: slirp reads the host's resolver and forwards. */
	send_udp(nb, slirp_dns, 53, "\x12\x34\x01\x00\x00\x01");
	/* A port forwarded at run time, and a connection to it. */
	fwd.host_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(nb->ops->hostfwd(nb, &fwd, true), 0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	from.sin_port = htons(fwd.host_port);
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(connect(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	CHECK(wait_frame(nb, IPPROTO_TCP)); /* the SYN to the guest */
	close(fd);
	CHECK_EQ(nb->ops->hostfwd(nb, &fwd, false), 0);
	nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
	nb->ops->destroy(nb);
	return check_failures ? 1 : 0;
}

/*
 * A tap (root only): what the guest's driver changes at run time, the
 * offloads and the queue pairs in use, frames out and in.
 */
static int child_tap(void)
{
	struct net_backend *nb;
	char name[16];
	uint8_t frame[12 + 60] = { 0 }, buf[2048];
	struct iovec iov = { frame, sizeof(frame) };

	snprintf(name, sizeof(name), "sbx%d", (int)getpid() % 100000);
	nb = net_tap_create(name, 2);
	if (!nb)
		return 77;
	if (install() < 0)
		return 80;
	nb->ops->set_offloads(nb, (1ull << 1) | (1ull << 7) | (1ull << 8));
	if (nb->ops->set_queues)
		nb->ops->set_queues(nb, 1);
	memset(frame + 12, 0xff, 6); /* a broadcast, to a tap that is down */
	nb->ops->send(nb, 0, &iov, 1);
	nb->ops->recv(nb, 0, buf, sizeof(buf));
	nb->ops->destroy(nb);
	return check_failures ? 1 : 0;
}

static void test_network(void)
{
	char out[4096];
	int status = in_child(child_slirp, out, sizeof(out));

	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK(strstr(out, "forbidden") == NULL);
	if (WEXITSTATUS(status))
		fprintf(stderr, "%s", out);
	status = in_child(child_tap, out, sizeof(out));
	CHECK(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		printf("skip: no tap here (root, with /dev/net/tun): the tap "
		       "case did not run\n");
		return;
	}
	CHECK_EQ(WEXITSTATUS(status), 0);
	if (WEXITSTATUS(status))
		fprintf(stderr, "%s", out);
}

/* ---- the option ---- */

static int cli(struct vm_config *cfg, const char *opt)
{
	char *argv[] = { "scorpi", "-k", "K", "-o", (char *)opt, "vm", NULL };

	return cli_parse(6, argv, cfg);
}

static void test_option(void)
{
	static const char yaml[] = "name: y\nsandbox: off\n";
	struct vm_config cfg;
	scorpi_error err;
	char msg[128];
	char *text = NULL;
	size_t len;
	FILE *f;

	config_init(&cfg);
	CHECK(cfg.sandbox);
	CHECK_EQ(config_set(&cfg, "sandbox", "off", "test"), 0);
	CHECK(!cfg.sandbox);
	CHECK_EQ(config_set(&cfg, "sandbox", "on", "test"), 0);
	CHECK(cfg.sandbox);
	log_capture_begin(msg, sizeof(msg));
	CHECK_EQ(config_set(&cfg, "sandbox", "maybe", "test"), -1);
	log_capture_end();
	CHECK_STR(msg, "test: expected on or off");
	config_free(&cfg);
	/* Off by default for a process, whatever the description says. */
	CHECK(!sandbox_allowed());
	config_init(&cfg);
	CHECK(!sandbox_wanted(&cfg));
	config_free(&cfg);

	CHECK_EQ(cli(&cfg, "sandbox=off"), CLI_RUN);
	CHECK(!cfg.sandbox);
	/* Parsing allows nothing: the scorpi command (main.c) does. */
	CHECK(!sandbox_allowed());
	sandbox_allow(true);
	CHECK(!sandbox_wanted(&cfg));
	f = open_memstream(&text, &len);
	config_write_yaml(&cfg, f);
	fclose(f);
	CHECK(strstr(text, "reboot: reset\nsandbox: off\n") != NULL);
	free(text);
	config_free(&cfg);
	CHECK_EQ(cli(&cfg, "sandbox=on"), CLI_RUN);
	CHECK(sandbox_wanted(&cfg));
	text = NULL;
	f = open_memstream(&text, &len);
	config_write_yaml(&cfg, f);
	fclose(f);
	CHECK(strstr(text, "sandbox") == NULL); /* on is the default */
	free(text);
	config_free(&cfg);
	log_capture_begin(msg, sizeof(msg));
	CHECK_EQ(cli(&cfg, "sandbox=sometimes"), CLI_ERROR);
	log_capture_end();
	CHECK_STR(msg, "-o sandbox=sometimes: expected on or off");

	config_init(&cfg);
	CHECK_EQ(config_load_yaml(&cfg, yaml, strlen(yaml), "t.yaml"), 0);
	CHECK(!cfg.sandbox);
	config_free(&cfg);
	sandbox_allow(false);
	/* libscorpi's switch is the same. */
	CHECK_EQ(scorpi_set_sandbox(1, &err), SCORPI_OK);
	CHECK(sandbox_allowed());
	CHECK_EQ(scorpi_set_sandbox(0, &err), SCORPI_OK);
	CHECK(!sandbox_allowed());
	CHECK_EQ(SCORPI_EXIT_SANDBOX, SCORPI_EXITED_SANDBOX);
}

/* ---- vm.c: one VM per sandboxed process ---- */

static struct vm *new_vm(void)
{
	struct vm_config cfg;
	struct vm *vm;
	char p[128];
	int err;

	config_init(&cfg);
	path_in(p, sizeof(p), "bzImage");
	CHECK_EQ(config_set(&cfg, "name", "fake", "test"), 0);
	CHECK_EQ(config_set(&cfg, "kernel", p, "test"), 0);
	CHECK_EQ(config_set(&cfg, "memory", "64M", "test"), 0);
	vm = vm_create(&cfg, &err);
	config_free(&cfg);
	return vm;
}

/* The sandboxed VM runs; a second cannot even be set up. */
static int child_second_vm(void)
{
	struct vm *vm, *other;

	sandbox_allow(true);
	vm = new_vm();
	if (!vm || vm_start(vm) < 0)
		return 80;
	if (!sandbox_installed())
		return 81;
	while (vm_get_state(vm) != VM_STATE_RUNNING)
		sched_yield();
	other = new_vm();
	if (other)
		return 82;
	vm_request(vm, VM_REQ_STOP);
	if (vm_wait(vm) != SCORPI_EXIT_STOPPED)
		return 83;
	vm_destroy(vm);
	return 0;
}

/* Beside another VM, a VM does not start sandboxed. */
static int child_beside(void)
{
	struct vm *a, *b;
	int ret = 0;

	sandbox_allow(true);
	a = new_vm();
	b = new_vm();
	if (!a || !b)
		return 80;
	if (vm_start(a) == 0 || sandbox_installed())
		ret = 81;
	vm_destroy(a);
	vm_destroy(b);
	return ret;
}

static void test_one_vm(void)
{
	char out[2048];
	int status = in_child(child_second_vm, out, sizeof(out));

	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	if (WEXITSTATUS(status))
		fprintf(stderr, "%s", out);
	CHECK(strstr(out, "scorpi: sandbox: this process is sandboxed") !=
	      NULL);
	CHECK(strstr(out, "forbidden") == NULL);
	status = in_child(child_beside, out, sizeof(out));
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK(strstr(out, "scorpi: sandbox: another VM is set up") != NULL);
}

static void test_setup(void)
{
	landlock_abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
				    LANDLOCK_CREATE_RULESET_VERSION);
	if (landlock_abi < 0)
		landlock_abi = 0;
	make_files();
}

static void test_cleanup(void)
{
	remove_files();
}

TEST_MAIN(TEST(test_setup), TEST(test_option), TEST(test_allowed),
	  TEST(test_forbidden), TEST(test_network), TEST(test_one_vm),
	  TEST(test_cleanup))
