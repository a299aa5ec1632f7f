// SPDX-License-Identifier: MIT
/* scorpi: the command-line front end on libscorpi's VM object. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "core/cli.h"
#include "core/vm.h"

/* SIGINT, SIGTERM and SIGHUP stop the VM: exit code 4. */
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
	/* Blocked in every thread; only the signal thread takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
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
