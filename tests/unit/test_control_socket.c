// SPDX-License-Identifier: MIT
/*
 * The control socket's file and who it answers, on a VM of the fake
 * hypervisor (src/hv/hv_fake.c, no KVM): the file is mode 0600 whatever
 * the umask; the VMM's own user (root here) is answered; a client of
 * another uid, let past the file's mode by a chmod, gets one
 * permission-denied line and the end of the stream, and the VMM logs
 * one line however many such clients come. Runs as root (fork, setuid);
 * as another user the checks that need root are skipped, and said so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../include/scorpi/scorpi.h"
#include "check.h"
#include "tiny_bzimage.h"
#include "core/config.h"
#include "core/vm.h"
#include "hv/hv_fake.h"

#define HANG_SECONDS 60
#define OTHER_UID 65534 /* nobody */
#define REFUSED 3 /* clients of another uid, one log line for all */

static char dir[64], kernel_path[96], sock_path[96];

static void on_alarm(int sig)
{
	static const char msg[] = "test_control_socket: HANG\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(2);
}

/* The smallest 64-bit bzImage the x86 loader takes (tiny_bzimage.c). */
static void make_kernel(void)
{
	int fd = open(kernel_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		      0600);

	if (fd < 0) {
		perror(kernel_path);
		exit(1);
	}
	tiny_bzimage_write(fd, kernel_path);
	close(fd);
}

/* A VM with its control socket at sock_path, made under umask mask. */
static struct vm *new_vm(mode_t mask)
{
	struct vm_config cfg;
	struct dev_config *dc;
	struct vm *vm;
	bool added;
	int err = -1;
	mode_t old;

	config_init(&cfg);
	CHECK_EQ(config_set(&cfg, "name", "ctlsock", "test"), 0);
	CHECK_EQ(config_set(&cfg, "kernel", kernel_path, "test"), 0);
	CHECK_EQ(config_set(&cfg, "memory", "64M", "test"), 0);
	CHECK_EQ(config_set(&cfg, "console", "none", "test"), 0);
	dc = config_add_device(&cfg, DEV_BUS_LPC, "vm-control", 0, 0, "test",
			       &added);
	CHECK(dc != NULL);
	if (dc)
		CHECK_EQ(config_device_option(dc, "path", sock_path, "test"),
			 0);
	old = umask(mask);
	vm = vm_create(&cfg, &err);
	umask(old);
	config_free(&cfg);
	CHECK(vm != NULL);
	CHECK_EQ(err, SCORPI_OK);
	if (!vm)
		exit(1); /* nothing below can run */
	return vm;
}

static void end_vm(struct vm *vm, bool started)
{
	if (started) {
		vm_request(vm, VM_REQ_STOP);
		CHECK_EQ(vm_wait(vm), SCORPI_EXIT_STOPPED);
	}
	vm_destroy(vm);
	CHECK(access(sock_path, F_OK) < 0); /* removed */
}

/* A connection to the socket, or -1 with errno. */
static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * All the connection sends until its end (or 10 s), into buf; the
 * length, -1 when it did not end in time or failed.
 */
static ssize_t read_to_end(int fd, char *buf, size_t len)
{
	size_t have = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			return -1;
		n = recv(fd, buf + have, len - 1 - have, 0);
		if (n < 0)
			return -1;
		if (n == 0 || have + n == len - 1)
			break;
		have += n;
	}
	buf[have] = 0;
	return (ssize_t)have;
}

/* One request as root, its response line in buf. */
static bool ask(const char *req, char *buf, size_t len)
{
	int fd = dial();
	size_t have = 0;

	if (fd < 0)
		return false;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return false;
	}
	while (have < len - 1 && !memchr(buf, '\n', have)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			break;
		n = recv(fd, buf + have, len - 1 - have, 0);
		if (n <= 0)
			break;
		have += n;
	}
	buf[have] = 0;
	close(fd);
	return memchr(buf, '\n', have) != NULL;
}

/* The file: a socket, 0600, under umask 0 and under 0277 alike. */
static void test_mode(void)
{
	static const mode_t masks[] = { 0, 022, 0277 };

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct vm *vm = new_vm(masks[i]);
		struct stat st;

		CHECK_EQ(lstat(sock_path, &st), 0);
		CHECK(S_ISSOCK(st.st_mode));
		if ((st.st_mode & 07777) != 0600) {
			fprintf(stderr, "umask %03o: mode %03o, not 600\n",
				(unsigned int)masks[i],
				(unsigned int)(st.st_mode & 07777));
			check_failures++;
		}
		CHECK_EQ(st.st_uid, geteuid());
		end_vm(vm, false);
	}
}

/*
 * In a child as OTHER_UID: connects, and exits 0 when what it gets is
 * as expected (want_eacces: the connection refused by the file's mode;
 * else one permission-denied line, then the end).
 */
static int other_user(bool want_eacces)
{
	char buf[1024];
	ssize_t n;
	int fd;

	if (setgroups(0, NULL) < 0 || setgid(OTHER_UID) < 0 ||
	    setuid(OTHER_UID) < 0) {
		perror("setuid");
		return 10;
	}
	fd = dial();
	if (want_eacces)
		return fd < 0 && errno == EACCES ? 0 : 11;
	if (fd < 0) {
		perror(sock_path);
		return 12;
	}
	n = read_to_end(fd, buf, sizeof(buf));
	if (n < 0)
		return 13; /* no end in time */
	if (strcmp(buf, "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
			"\"permission-denied\",\"message\":\"only root may "
			"use this socket\"}}\n")) {
		fprintf(stderr, "uid %d got '%s'\n", OTHER_UID, buf);
		return 14;
	}
	return 0;
}

static int in_child(bool want_eacces)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(other_user(want_eacces));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * scorpictl (SCORPICTL in the environment) as OTHER_UID, which sends
 * its request whether or not the VMM has closed the connection already:
 * its exit status, its stderr in buf.
 */
static int scorpictl_other_user(const char *ctl, char *buf, size_t len)
{
	int pfd[2], st;
	size_t have = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		if (setgroups(0, NULL) < 0 || setgid(OTHER_UID) < 0 ||
		    setuid(OTHER_UID) < 0)
			_exit(10);
		execl(ctl, "scorpictl", sock_path, "status", (char *)NULL);
		_exit(11);
	}
	close(pfd[1]);
	while (have < len - 1 &&
	       (n = read(pfd[0], buf + have, len - 1 - have)) > 0)
		have += n;
	buf[have] = 0;
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Counts the lines of file holding what. */
static int count_lines(const char *file, const char *what)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return n;
}

static void test_who(void)
{
	char buf[1024], log[128];
	int saved, lfd, got[REFUSED];
	struct vm *vm;

	if (geteuid() != 0) {
		printf("(not root: the other-uid checks are skipped)\n");
		return;
	}
	vm = new_vm(0);
	CHECK_EQ(vm_start(vm), 0);
	/* Root, the VMM's own user, is answered. */
	CHECK(ask("{\"id\":1,\"command\":\"status\"}\n", buf, sizeof(buf)));
	CHECK(strstr(buf, "{\"id\":1,\"ok\":true,\"result\":{\"name\":"
			  "\"ctlsock\"") == buf);
	/* The file's mode keeps another user out first. */
	CHECK_EQ(in_child(true), 0);
	/* Let past it, another user still gets only the error, and EOF. */
	CHECK_EQ(chmod(sock_path, 0666), 0);
	snprintf(log, sizeof(log), "%s/log", dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(saved >= 0 && lfd >= 0);
	dup2(lfd, STDERR_FILENO);
	for (int i = 0; i < REFUSED; i++)
		got[i] = in_child(false);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(lfd);
	for (int i = 0; i < REFUSED; i++)
		CHECK_EQ(got[i], 0);
	/* One line for all of them, which names the uid. */
	CHECK_EQ(count_lines(log, "refused a client"), 1);
	CHECK_EQ(count_lines(log, "vm-control"), 1);
	CHECK_EQ(count_lines(log, "refused a client of uid 65534: only root "
				  "may connect"),
		 1);
	/* scorpictl shows the VMM's reason. */
	if (getenv("SCORPICTL")) {
		CHECK_EQ(scorpictl_other_user(getenv("SCORPICTL"), buf,
					      sizeof(buf)),
			 1);
		CHECK_STR(buf, "scorpictl: permission-denied: only root may "
			       "use this socket\n");
	}
	/* The VM and the socket go on for root. */
	CHECK(ask("{\"id\":2,\"command\":\"status\"}\n", buf, sizeof(buf)));
	CHECK(strstr(buf, "{\"id\":2,\"ok\":true") == buf);
	end_vm(vm, true);
	unlink(log);
}

static void cleanup(void)
{
	unlink(kernel_path);
	unlink(sock_path);
	rmdir(dir);
}

static void test_setup(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	const char *tmp = getenv("TMPDIR");

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(HANG_SECONDS);
	snprintf(dir, sizeof(dir), "%s/scorpi-cs-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		exit(1);
	}
	/* The other user must reach the socket: only the socket's mode counts. */
	CHECK_EQ(chmod(dir, 0711), 0);
	snprintf(kernel_path, sizeof(kernel_path), "%s/bzImage", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/vm.sock", dir);
	make_kernel();
	atexit(cleanup);
}

TEST_MAIN(TEST(test_setup), TEST(test_mode), TEST(test_who))
