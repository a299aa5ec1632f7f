// SPDX-License-Identifier: MIT
/*
 * The bhyve-style command line (docs/cli.md, docs/scorpi.1):
 *   scorpi [-c CPUS] [-m MEM] [-s SLOT[:FUNC],DEV[,ARGS]]... [-u USBDEV]...
 *          [-o KEY=VALUE]... [-l PATH] [-k KERNEL [-i INITRD] [-a CMDLINE]]
 *          [-f VM.yaml] VMNAME
 * Every option goes through the setters of config.c, as YAML does.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "cli.h"
#include "device.h"

void cli_usage(FILE *out)
{
	fputs("usage: scorpi [-c CPUS] [-m MEM] [-s SLOT[:FUNC],DEVICE[,OPTIONS]]...\n"
	      "              [-u USBDEVICE[,OPTIONS]]... [-o KEY=VALUE]... [-l PATH]\n"
	      "              [-k KERNEL [-i INITRD] [-a CMDLINE]] VMNAME\n"
	      "       scorpi -f VM.yaml [VMNAME]\n"
	      "\n"
	      "  -c CPUS        number of vCPUs, 1 to 254 (default 1)\n"
	      "  -m MEM         guest RAM, e.g. 256M or 2G; plain numbers are MiB\n"
	      "                 (default 256M)\n"
	      "  -s SLOT[:FUNC],DEVICE[,OPTIONS]\n"
	      "                 a PCI device in slot 1-31 (-s help lists them)\n"
	      "  -u DEVICE[,OPTIONS]\n"
	      "                 a USB device on the xhci controller (-u help)\n"
	      "  -l PATH        a control socket at PATH (docs/control-socket.md);\n"
	      "                 also -l vm-control,path=PATH\n"
	      "  -k KERNEL      boot this Linux kernel directly (x86-64 bzImage)\n"
	      "  -i INITRD      initial ramdisk for the kernel\n"
	      "  -a CMDLINE     kernel command line\n"
	      "  -f VM.yaml     the whole VM from a YAML file (docs/yaml.md); it\n"
	      "                 cannot be mixed with the options above\n"
	      "  -o console=stdio|virtio|none\n"
	      "                 attach COM1 (or hvc0) to this terminal (raw mode;\n"
	      "                 Ctrl-A x quits)\n"
	      "  -o reboot=reset|exit\n"
	      "                 on a guest reboot, reset in place (default) or exit 2\n"
	      "  -o bootrom=FILE, -o bootvars=FILE\n"
	      "                 UEFI firmware and its variable store (x86-64)\n"
	      "  -o uuid=UUID   the SMBIOS system UUID (default: one made from the\n"
	      "                 VM name, the same on every run)\n"
	      "  -o stats=FILE  write VM exit counters to FILE when the VM ends\n"
	      "  -o sandbox=on|off\n"
	      "                 once set up, confine the VMM: seccomp, Landlock, no\n"
	      "                 capabilities (default on; docs/security.md)\n"
	      "  --print-config print the VM description as YAML and exit\n"
	      "  -h, --help     this text\n"
	      "\n"
	      "Exit status: 0 guest powered off, 1 error, 2 guest rebooted with\n"
	      "reboot=exit, 3 triple fault, 4 stopped by the host (SIGINT, SIGTERM,\n"
	      "Ctrl-A x, or quit on the control socket), 5 stopped by the sandbox (a\n"
	      "forbidden system call, named on stderr).\n",
	      out);
}

static int parse_option(const char *arg, struct vm_config *cfg)
{
	static const char *const keys[] = { "console",	"reboot", "bootrom",
					    "bootvars", "stats",  "sandbox",
					    "uuid",	NULL };
	const char *eq = strchr(arg, '=');
	char key[16], where[64];
	size_t klen = eq ? (size_t)(eq - arg) : 0;

	if (!eq) {
		log_error("-o %s: expected KEY=VALUE", arg);
		return -1;
	}
	for (int i = 0; keys[i]; i++) {
		if (klen == strlen(keys[i]) && !strncmp(arg, keys[i], klen)) {
			memcpy(key, arg, klen);
			key[klen] = 0;
			snprintf(where, sizeof(where), "-o %.*s", 48, arg);
			return config_set(cfg, key, eq + 1, where);
		}
	}
	log_error("-o %.*s: unknown option", (int)klen, arg);
	return -1;
}

/* Splits "DEVICE[,OPTIONS]": the name into buf, the options after. */
static int split_device(const char *spec, char *buf, size_t len,
			const char **opts, const char *where)
{
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);

	if (n == 0 || n >= len) {
		log_error("%s: no device name (see -s help)", where);
		return -1;
	}
	memcpy(buf, spec, n);
	buf[n] = 0;
	*opts = comma ? comma + 1 : "";
	return 0;
}

static int add_device(struct vm_config *cfg, enum dev_bus bus, const char *spec,
		      unsigned int slot, unsigned int func, const char *where)
{
	char name[32];
	const char *opts;
	struct dev_config *dc;
	bool added;

	if (split_device(spec, name, sizeof(name), &opts, where) < 0)
		return -1;
	dc = config_add_device(cfg, bus, name, slot, func, where, &added);
	if (!dc)
		return -1;
	return config_device_options(dc, opts, where);
}

/* -s SLOT[:FUNC],DEVICE[,ARGS] */
static enum cli_result parse_slot(const char *arg, struct vm_config *cfg)
{
	unsigned long slot, func = 0;
	char where[128];
	char *end;

	if (!strcmp(arg, "help")) {
		device_list(stdout, DEV_BUS_PCI);
		return CLI_DONE;
	}
	snprintf(where, sizeof(where), "-s %s", arg);
	slot = strtoul(arg, &end, 10);
	if (end == arg || *arg < '0' || *arg > '9' || slot > 31) {
		log_error("%s: the slot must be a number from 0 to 31", where);
		return CLI_ERROR;
	}
	if (*end == ':') {
		const char *f = end + 1;

		func = strtoul(f, &end, 10);
		if (end == f || *f < '0' || *f > '9' || func > 7) {
			log_error(
				"%s: the function must be a number from 0 to 7",
				where);
			return CLI_ERROR;
		}
	}
	if (*end != ',') {
		log_error("%s: expected SLOT[:FUNC],DEVICE[,OPTIONS]", where);
		return CLI_ERROR;
	}
	return add_device(cfg, DEV_BUS_PCI, end + 1, slot, func, where)
		       ? CLI_ERROR
		       : CLI_RUN;
}

static enum cli_result parse_usb(const char *arg, struct vm_config *cfg)
{
	char where[128];

	if (!strcmp(arg, "help")) {
		device_list(stdout, DEV_BUS_USB);
		return CLI_DONE;
	}
	snprintf(where, sizeof(where), "-u %s", arg);
	return add_device(cfg, DEV_BUS_USB, arg, 0, 0, where) ? CLI_ERROR
							      : CLI_RUN;
}

/* -l PATH for the control socket, or -l DEVICE,OPTIONS for any LPC one. */
static enum cli_result parse_lpc(const char *arg, struct vm_config *cfg)
{
	const struct device_class *path_cls;
	char where[128];
	struct dev_config *dc;
	bool added;

	if (!strcmp(arg, "help")) {
		device_list(stdout, DEV_BUS_LPC);
		return CLI_DONE;
	}
	snprintf(where, sizeof(where), "-l %s", arg);
	/* DEVICE,OPTIONS when it starts with an LPC device's name. */
	if (strchr(arg, ',')) {
		const struct device_class *cls;
		char name[32];
		size_t n = strcspn(arg, ",");

		snprintf(name, sizeof(name), "%.*s", (int)n, arg);
		cls = device_find(name);
		if ((cls && cls->bus == DEV_BUS_LPC) || !strchr(arg, '/'))
			return add_device(cfg, DEV_BUS_LPC, arg, 0, 0, where)
				       ? CLI_ERROR
				       : CLI_RUN;
	}
	path_cls = device_with_flags(DEVICE_LPC_PATH);
	if (!path_cls || !path_cls->positional) {
		log_error("%s: no device takes a bare path", where);
		return CLI_ERROR;
	}
	dc = config_add_device(cfg, DEV_BUS_LPC, path_cls->name, 0, 0, where,
			       &added);
	if (!dc ||
	    config_device_option(dc, path_cls->positional, arg, where) < 0)
		return CLI_ERROR;
	return CLI_RUN;
}

int cli_add_device(struct vm_config *cfg, enum dev_bus bus, const char *spec)
{
	enum cli_result r;

	if (!strcmp(spec, "help")) {
		log_error("help: not a device");
		return -1;
	}
	switch (bus) {
	case DEV_BUS_PCI:
		r = parse_slot(spec, cfg);
		break;
	case DEV_BUS_USB:
		r = parse_usb(spec, cfg);
		break;
	default:
		r = parse_lpc(spec, cfg);
		break;
	}
	return r == CLI_RUN ? 0 : -1;
}

static enum cli_result set_flag(struct vm_config *cfg, int opt, const char *arg)
{
	static const struct {
		int opt;
		const char *key;
	} keys[] = {
		{ 'c', "cpu" },	   { 'm', "memory" },  { 'k', "kernel" },
		{ 'i', "initrd" }, { 'a', "cmdline" },
	};
	char where[64];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].opt != opt)
			continue;
		snprintf(where, sizeof(where), "-%c %.48s", opt, arg);
		return config_set(cfg, keys[i].key, arg, where) ? CLI_ERROR
								: CLI_RUN;
	}
	return CLI_ERROR;
}

static enum cli_result load_file(struct vm_config *cfg, const char *path,
				 const char *flags, int argc, char **argv)
{
	char where[96];

	if (flags[0]) {
		log_error(
			"-f %s: the file describes the whole VM: -%c cannot be mixed with it",
			path, flags[0]);
		return CLI_ERROR;
	}
	if (config_load_yaml_file(cfg, path) < 0)
		return CLI_ERROR;
	if (optind + 1 < argc) {
		log_error("%s: unexpected argument after the VM name",
			  argv[optind + 1]);
		return CLI_ERROR;
	}
	/* A name on the command line names this run of the file's VM. */
	snprintf(where, sizeof(where), "VMNAME %.64s", argv[optind] ?: "");
	if (optind < argc && config_set(cfg, "name", argv[optind], where))
		return CLI_ERROR;
	if (!cfg->name[0]) {
		log_error(
			"%s: no name: add name: to the file, or a VMNAME after it",
			path);
		return CLI_ERROR;
	}
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "print-config", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	char used[16] = ""; /* the VM options given, to refuse with -f */
	bool print = false;
	enum cli_result r;
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
		r = CLI_RUN;
		if (strchr("cmkiaosul", opt) && !strchr(used, opt)) {
			size_t n = strlen(used);

			used[n] = (char)opt;
			used[n + 1] = 0;
		}
		switch (opt) {
		case 'c':
		case 'm':
		case 'k':
		case 'i':
		case 'a':
			r = set_flag(cfg, opt, optarg);
			break;
		case 'o':
			r = parse_option(optarg, cfg) ? CLI_ERROR : CLI_RUN;
			break;
		case 's':
			r = parse_slot(optarg, cfg);
			break;
		case 'u':
			r = parse_usb(optarg, cfg);
			break;
		case 'l':
			r = parse_lpc(optarg, cfg);
			break;
		case 'f':
			if (file) {
				log_error("-f %s: only one VM file", optarg);
				r = CLI_ERROR;
			}
			file = optarg;
			break;
		case 'P':
			print = true;
			break;
		case 'h':
			cli_usage(stdout);
			r = CLI_DONE;
			break;
		case ':':
			log_error("-%c needs an argument", optopt);
			r = CLI_ERROR;
			break;
		default:
			if (optopt)
				log_error("-%c: unknown option (see --help)",
					  optopt);
			else
				log_error("%s: unknown option (see --help)",
					  argv[optind - 1]);
			r = CLI_ERROR;
			break;
		}
		if (r != CLI_RUN)
			goto out;
	}
	if (file) {
		r = load_file(cfg, file, used, argc, argv);
		goto out;
	}
	r = CLI_ERROR;
	if (optind >= argc) {
		log_error("no VM name given (see --help)");
		goto out;
	}
	if (optind + 1 < argc) {
		log_error("%s: unexpected argument after the VM name",
			  argv[optind + 1]);
		goto out;
	}
	if (config_set(cfg, "name", argv[optind], "VMNAME") == 0)
		r = CLI_RUN;
out:
	if (r == CLI_RUN && print) {
		config_write_yaml(cfg, stdout);
		r = CLI_DONE;
	}
	if (r != CLI_RUN)
		config_free(cfg);
	return r;
}
