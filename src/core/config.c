// SPDX-License-Identifier: MIT
/* The VM description and the checks that need no hypervisor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "device.h"
#include "log.h"

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 1;
	cfg->mem_size = 256ull << 20;
	cfg->console = CONSOLE_NONE;
	cfg->on_reboot = REBOOT_RESET;
}

/*
 * A size is a whole number with an optional unit K, M, G or T (powers of
 * 1024, upper or lower case, an optional trailing "B" or "iB"). As in bhyve,
 * a number without a unit is in MiB.
 */
int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 20;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'b':
	case 'B':
		shift = 0;
		end++;
		break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -1;
	}
	if (shift && *end) {
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		return -1;
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static uint64_t host_ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long page = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || page <= 0)
		return UINT64_MAX;
	return (uint64_t)pages * (uint64_t)page;
}

/* Checks of the description alone, before any hypervisor is opened. */
int config_check(const struct vm_config *cfg)
{
	uint64_t host = host_ram_bytes();

	if (cfg->cpus < 1 || cfg->cpus > VM_MAX_CPUS) {
		log_error("-c %u: the number of vCPUs must be between 1 and %u",
			  cfg->cpus, VM_MAX_CPUS);
		return -1;
	}
	if (cfg->mem_size < VM_MIN_MEM) {
		log_error(
			"-m: %llu bytes of memory is too small, at least %llu MiB is needed",
			(unsigned long long)cfg->mem_size, VM_MIN_MEM >> 20);
		return -1;
	}
	if (cfg->mem_size & 0xfff) {
		log_error("-m: the memory size must be a multiple of 4 KiB");
		return -1;
	}
	if (cfg->mem_size > host) {
		log_error(
			"-m: %llu MiB of memory is more than the host's %llu MiB",
			(unsigned long long)(cfg->mem_size >> 20),
			(unsigned long long)(host >> 20));
		return -1;
	}
	if (!cfg->kernel) {
		log_error("no kernel: give one with -k KERNEL");
		return -1;
	}
	if (cfg->initrd && !cfg->kernel) {
		log_error("-i needs -k");
		return -1;
	}
	if (cfg->console == CONSOLE_VIRTIO) {
		unsigned int i;

		for (i = 0; i < cfg->ndevices; i++) {
			if (!strcmp(cfg->devices[i].cls->name,
				    "virtio-console"))
				break;
		}
		if (i == cfg->ndevices) {
			log_error(
				"-o console=virtio needs a virtio-console device: add -s SLOT,virtio-console");
			return -1;
		}
	}
	return 0;
}
