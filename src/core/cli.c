// SPDX-License-Identifier: MIT
/*
 * The bhyve-style command line:
 *   scorpi [-c CPUS] [-m MEM] [-o KEY=VALUE]... -k KERNEL [-i INITRD]
 *          [-a CMDLINE] VMNAME
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "device.h"
#include "log.h"

void cli_usage(FILE *out)
{
	fputs("usage: scorpi [-c CPUS] [-m MEM] [-s SLOT[:FUNC],DEVICE[,OPTIONS]]...\n"
	      "              [-o KEY=VALUE]... -k KERNEL [-i INITRD] [-a CMDLINE] VMNAME\n"
	      "\n"
	      "  -c CPUS        number of vCPUs, 1 to 254 (default 1)\n"
	      "  -m MEM         guest RAM, e.g. 256M or 2G; plain numbers are MiB\n"
	      "                 (default 256M)\n"
	      "  -s SLOT[:FUNC],DEVICE[,OPTIONS]\n"
	      "                 a PCI device in slot 1-31 (-s help lists them)\n"
	      "  -k KERNEL      boot this Linux kernel directly (x86-64 bzImage)\n"
	      "  -i INITRD      initial ramdisk for the kernel\n"
	      "  -a CMDLINE     kernel command line\n"
	      "  -o console=stdio|virtio|none\n"
	      "                 attach COM1 to this terminal (raw mode; Ctrl-A x quits)\n"
	      "  -o reboot=reset|exit\n"
	      "                 on a guest reboot, reset in place (default) or exit 2\n"
	      "  -h, --help     this text\n"
	      "\n"
	      "Exit status: 0 guest powered off, 1 error, 2 guest rebooted with\n"
	      "reboot=exit, 3 triple fault, 4 stopped by SIGINT or SIGTERM.\n",
	      out);
}

static int parse_cpus(const char *arg, unsigned int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end || v < 0 || v > 100000) {
		log_error("-c %s: not a number of vCPUs", arg);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static int parse_option(const char *arg, struct vm_config *cfg)
{
	const char *eq = strchr(arg, '=');
	size_t klen;
	const char *val;

	if (!eq) {
		log_error("-o %s: expected KEY=VALUE", arg);
		return -1;
	}
	klen = eq - arg;
	val = eq + 1;
	if (klen == 7 && !strncmp(arg, "console", klen)) {
		if (!strcmp(val, "stdio"))
			cfg->console = CONSOLE_STDIO;
		else if (!strcmp(val, "virtio"))
			cfg->console = CONSOLE_VIRTIO;
		else if (!strcmp(val, "none"))
			cfg->console = CONSOLE_NONE;
		else {
			log_error(
				"-o console=%s: expected stdio, virtio or none",
				val);
			return -1;
		}
		return 0;
	}
	if (klen == 6 && !strncmp(arg, "reboot", klen)) {
		if (!strcmp(val, "reset"))
			cfg->on_reboot = REBOOT_RESET;
		else if (!strcmp(val, "exit"))
			cfg->on_reboot = REBOOT_EXIT;
		else {
			log_error("-o reboot=%s: expected reset or exit", val);
			return -1;
		}
		return 0;
	}
	log_error("-o %.*s: unknown option", (int)klen, arg);
	return -1;
}

/* -s SLOT[:FUNC],DEVICE[,ARGS] */
static enum cli_result parse_slot(const char *arg, struct vm_config *cfg)
{
	unsigned long slot, func = 0;
	const char *name, *args;
	char devname[32];
	char *end;
	size_t len;
	const struct device_class *cls;

	if (!strcmp(arg, "help")) {
		device_list(stdout);
		return CLI_DONE;
	}
	slot = strtoul(arg, &end, 10);
	if (end == arg || slot > 31) {
		log_error("-s %s: the slot must be a number from 0 to 31", arg);
		return CLI_ERROR;
	}
	if (*end == ':') {
		const char *f = end + 1;

		func = strtoul(f, &end, 10);
		if (end == f || func > 7) {
			log_error(
				"-s %s: the function must be a number from 0 to 7",
				arg);
			return CLI_ERROR;
		}
	}
	if (*end != ',') {
		log_error("-s %s: expected SLOT[:FUNC],DEVICE[,OPTIONS]", arg);
		return CLI_ERROR;
	}
	name = end + 1;
	args = strchr(name, ',');
	len = args ? (size_t)(args - name) : strlen(name);
	args = args ? args + 1 : "";
	if (len == 0 || len >= sizeof(devname)) {
		log_error("-s %s: no device name (see -s help)", arg);
		return CLI_ERROR;
	}
	memcpy(devname, name, len);
	devname[len] = 0;
	if (!strcmp(devname, "hostbridge")) {
		if (slot != 0 || func != 0) {
			log_error("-s %s: the host bridge is always at slot 0",
				  arg);
			return CLI_ERROR;
		}
		return CLI_RUN; /* it is always there */
	}
	if (slot == 0) {
		log_error("-s %s: slot 0 holds the host bridge", arg);
		return CLI_ERROR;
	}
	cls = device_find(devname);
	if (!cls) {
		log_error("-s %s: unknown device '%s' (see -s help)", arg,
			  devname);
		return CLI_ERROR;
	}
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		if (cfg->devices[i].slot == slot &&
		    cfg->devices[i].func == func) {
			log_error("-s %s: slot %lu:%lu is already taken", arg,
				  slot, func);
			return CLI_ERROR;
		}
	}
	if (cfg->ndevices == VM_MAX_DEVICES) {
		log_error("-s %s: at most %d devices", arg, VM_MAX_DEVICES);
		return CLI_ERROR;
	}
	if (cls->check && cls->check(args) < 0)
		return CLI_ERROR;
	cfg->devices[cfg->ndevices++] = (struct dev_config){
		.slot = slot,
		.func = func,
		.cls = cls,
		.args = args,
	};
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	config_init(cfg);
	/*
	 * optind = 0, not 1, has glibc (and musl) start over completely: with
	 * 1, getopt goes on with what it kept of the last call, such as the
	 * rest of a "-zc" cluster that an error left it inside.
	 */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:m:k:i:a:o:s:u:l:f:h",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse_cpus(optarg, &cfg->cpus))
				return CLI_ERROR;
			break;
		case 'm':
			if (parse_size(optarg, &cfg->mem_size)) {
				log_error(
					"-m %s: not a memory size (e.g. 512M, 2G)",
					optarg);
				return CLI_ERROR;
			}
			break;
		case 'k':
			cfg->kernel = optarg;
			break;
		case 'i':
			cfg->initrd = optarg;
			break;
		case 'a':
			cfg->cmdline = optarg;
			break;
		case 'o':
			if (parse_option(optarg, cfg))
				return CLI_ERROR;
			break;
		case 's': {
			enum cli_result r = parse_slot(optarg, cfg);

			if (r != CLI_RUN)
				return r;
			break;
		}
		case 'u':
		case 'l':
		case 'f':
			log_error("-%c: not supported yet", opt);
			return CLI_ERROR;
		case 'h':
			cli_usage(stdout);
			return CLI_DONE;
		case ':':
			log_error("-%c needs an argument", optopt);
			return CLI_ERROR;
		default:
			if (optopt)
				log_error("-%c: unknown option (see --help)",
					  optopt);
			else
				log_error("%s: unknown option (see --help)",
					  argv[optind - 1]);
			return CLI_ERROR;
		}
	}
	if (optind >= argc) {
		log_error("no VM name given (see --help)");
		return CLI_ERROR;
	}
	if (optind + 1 < argc) {
		log_error("%s: unexpected argument after the VM name",
			  argv[optind + 1]);
		return CLI_ERROR;
	}
	if (strlen(argv[optind]) >= VM_NAME_MAX || !argv[optind][0]) {
		log_error("the VM name must be 1 to %d characters",
			  VM_NAME_MAX - 1);
		return CLI_ERROR;
	}
	strcpy(cfg->name, argv[optind]);
	return CLI_RUN;
}
