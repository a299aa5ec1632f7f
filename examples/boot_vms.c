// SPDX-License-Identifier: MIT
/*
 * boot-vms: boots COUNT guests at once through libscorpi, each with its
 * console coming back as events, and waits for them all; with
 * "one-by-one", each VM is made, run and freed before the next.
 *
 *   boot-vms KERNEL INITRD CMDLINE [COUNT [one-by-one]]
 *
 * Every console line is printed as "vmN: LINE". Exits 0 when every guest
 * powered off, else 1. Build it against an installed libscorpi with
 *   cc boot_vms.c $(pkg-config --cflags --libs scorpi)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scorpi/scorpi.h>

#define MAX_VMS 8

struct guest {
	char name[16];
	pthread_mutex_t *out_lock;
	char line[512];
	size_t len;
};

/* Console bytes come in pieces: print whole lines, each with its VM. */
static void on_event(scorpi_vm *vm, const scorpi_event *ev, void *ctx)
{
	struct guest *g = ctx;

	(void)vm;
	if (ev->type == SCORPI_EVENT_STATE) {
		if (ev->state == SCORPI_STATE_STOPPED) {
			pthread_mutex_lock(g->out_lock);
			printf("%s: stopped, exit code %d\n", g->name,
			       ev->exit_code);
			pthread_mutex_unlock(g->out_lock);
		}
		return;
	}
	for (size_t i = 0; i < ev->len; i++) {
		char c = (char)ev->data[i];

		if (c == '\r')
			continue;
		if (c != '\n' && g->len < sizeof(g->line) - 1) {
			g->line[g->len++] = c;
			continue;
		}
		g->line[g->len] = 0;
		pthread_mutex_lock(g->out_lock);
		printf("%s: %s\n", g->name, g->line);
		fflush(stdout);
		pthread_mutex_unlock(g->out_lock);
		g->len = 0;
	}
}

static scorpi_vm *start(struct guest *g, const char *kernel, const char *initrd,
			const char *cmdline)
{
	scorpi_error err;
	scorpi_config *cfg = scorpi_config_new(&err);
	scorpi_vm *vm = NULL;

	if (cfg && !scorpi_config_set(cfg, "name", g->name, &err) &&
	    !scorpi_config_set(cfg, "memory", "256M", &err) &&
	    !scorpi_config_set(cfg, "kernel", kernel, &err) &&
	    !scorpi_config_set(cfg, "initrd", initrd, &err) &&
	    !scorpi_config_set(cfg, "cmdline", cmdline, &err) &&
	    !scorpi_config_add_device(cfg, SCORPI_BUS_PCI, "3,virtio-rnd",
				      &err))
		vm = scorpi_vm_start(cfg, on_event, g, &err);
	if (!vm)
		fprintf(stderr, "boot-vms: %s: %s (%s)\n", g->name, err.message,
			scorpi_strerror(err.code));
	scorpi_config_free(cfg);
	return vm;
}

int main(int argc, char **argv)
{
	static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
	struct guest guests[MAX_VMS];
	scorpi_vm *vms[MAX_VMS];
	int count = argc > 4 ? atoi(argv[4]) : 1;
	int one_by_one = argc > 5 && !strcmp(argv[5], "one-by-one");
	int failed = 0;

	if (argc < 4 || argc > 6 || count < 1 || count > MAX_VMS ||
	    (argc > 5 && !one_by_one)) {
		fprintf(stderr,
			"usage: boot-vms KERNEL INITRD CMDLINE [COUNT 1-%d [one-by-one]]\n",
			MAX_VMS);
		return 2;
	}
	printf("libscorpi %s\n", scorpi_version());
	/* At once: all started, then all waited for; else each in turn. */
	for (int first = 0; first < count; first++) {
		int last = one_by_one ? first : count - 1;

		for (int i = first; i <= last; i++) {
			memset(&guests[i], 0, sizeof(guests[i]));
			snprintf(guests[i].name, sizeof(guests[i].name), "vm%d",
				 i);
			guests[i].out_lock = &out_lock;
			vms[i] = start(&guests[i], argv[1], argv[2], argv[3]);
			failed |= !vms[i];
		}
		for (int i = first; i <= last; i++) {
			if (!vms[i])
				continue;
			if (scorpi_vm_wait(vms[i]) != SCORPI_EXITED_POWEROFF)
				failed = 1;
			scorpi_vm_free(vms[i]);
		}
		first = last;
	}
	return failed;
}
