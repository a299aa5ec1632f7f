// SPDX-License-Identifier: MIT
/* scorpi: the command-line front end on libscorpi's VM object. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/sandbox.h"
#include "core/vm.h"

/*
 * The console puts the terminal in raw mode; libscorpi gives it back when
 * the VM ends, but installs no signal handler, so a fatal signal is ours
 * to handle: the terminal as it was at start, then the default action.
 * A handler reaches only static storage.
 */
static struct termios saved_tty;
static volatile sig_atomic_t saved_tty_valid;

static void fatal_signal(int sig)
{
	if (saved_tty_valid)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void restore_tty_on_fatal_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS,  SIGILL,
				     SIGFPE,  SIGABRT, SIGQUIT };
	struct sigaction sa = { .sa_handler = fatal_signal,
				.sa_flags = SA_RESETHAND };

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return;
	saved_tty_valid = 1;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

/* SIGINT, SIGTERM and SIGHUP stop the VM, in any state: exit code 4. */
static void *signal_thread(void *arg)
{
	struct vm *vm = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) == 0)
			vm_request(vm, VM_REQ_STOP);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm *vm;
	pthread_t sig_thread;
	sigset_t set;
	int code;

	switch (cli_parse(argc, argv, &cfg)) {
	case CLI_DONE:
		return 0;
	case CLI_ERROR:
		return SCORPI_EXIT_ERROR;
	case CLI_RUN:
		break;
	}
	/*
	 * This process runs the one VM it was given, so it may be
	 * sandboxed; the description says whether it is (-o sandbox=).
	 */
	sandbox_allow(true);
	/* Blocked in every thread; only the signal thread takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	restore_tty_on_fatal_signals();
	vm = vm_create(&cfg, NULL);
	config_free(&cfg);
	if (!vm)
		return SCORPI_EXIT_ERROR;
	if (pthread_create(&sig_thread, NULL, signal_thread, vm) != 0 ||
	    vm_start(vm) < 0) {
		vm_destroy(vm);
		return SCORPI_EXIT_ERROR;
	}
	code = vm_wait(vm);
	/* sigwait is a cancellation point: vm is not used after this. */
	pthread_cancel(sig_thread);
	pthread_join(sig_thread, NULL);
	vm_destroy(vm);
	return code;
}
