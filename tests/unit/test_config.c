// SPDX-License-Identifier: MIT
/* Sizes, the command line and the checks of a VM description. */
#include <stdarg.h>
#include <stdio.h> /* cli.h uses FILE without including it */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/config.h"
#include "core/device.h"

#include "check.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void check_size(const char *s, uint64_t want, int line)
{
	uint64_t got = 0xdeadbeef;

	if (parse_size(s, &got) != 0 || got != want) {
		fprintf(stderr,
			"%s:%d: parse_size(\"%s\") gave 0x%" PRIx64
			" instead of 0x%" PRIx64 "\n",
			__FILE__, line, s, got, want);
		check_failures++;
	}
}

static void check_bad_size(const char *s, int line)
{
	uint64_t got = 0xdeadbeef;

	if (parse_size(s, &got) == 0 || got != 0xdeadbeef) {
		fprintf(stderr,
			"%s:%d: parse_size(\"%s\") took it, or wrote its "
			"output anyway\n",
			__FILE__, line, s);
		check_failures++;
	}
}

#define SIZE_OK(s, want) check_size(s, want, __LINE__)
#define SIZE_BAD(s) check_bad_size(s, __LINE__)

static void test_parse_size(void)
{
	SIZE_OK("256M", 256 * MiB);
	SIZE_OK("256m", 256 * MiB);
	SIZE_OK("2G", 2 * GiB);
	SIZE_OK("2g", 2 * GiB);
	/* A plain number is MiB, as in bhyve. */
	SIZE_OK("512", 512 * MiB);
	SIZE_OK("0", 0);
	SIZE_OK("4096K", 4 * MiB);
	SIZE_OK("4096k", 4 * MiB);
	SIZE_OK("1T", 1ull << 40);
	SIZE_OK("100MiB", 100 * MiB);
	SIZE_OK("1GB", GiB);
	SIZE_OK("1Gb", GiB);
	SIZE_OK("1GiB", GiB);
	SIZE_OK("64KB", 64 << 10);
	SIZE_OK("4096B", 4096);
	/* The largest that fits, in each unit. */
	SIZE_OK("16777215T", 16777215ull << 40);
	SIZE_OK("17179869183G", 17179869183ull << 30);
}

static void test_parse_size_bad(void)
{
	uint64_t out;

	SIZE_BAD("");
	SIZE_BAD("abc");
	SIZE_BAD("M");
	SIZE_BAD("12X");
	SIZE_BAD("-5M");
	SIZE_BAD("+5M");
	SIZE_BAD(" 5M");
	SIZE_BAD("5M ");
	SIZE_BAD("1.5G");
	SIZE_BAD("0x10M");
	SIZE_BAD("1MM");
	SIZE_BAD("1MBB");
	SIZE_BAD("1iB");
	SIZE_BAD("1BiB");
	SIZE_BAD("99999999999999999999G");
	SIZE_BAD("99999999999999999999");
	/* Numbers that fit in 64 bits until the unit shifts them out. */
	SIZE_BAD("16777216T");
	SIZE_BAD("17179869184G");
	SIZE_BAD("18446744073709551615");
	CHECK(parse_size(NULL, &out) != 0);
}

/* Runs cli_parse on "scorpi" and the NULL-terminated arguments. */
static enum cli_result parse(struct vm_config *cfg, ...)
{
	static char *argv[32];
	int argc = 0;
	va_list ap;
	char *arg;

	argv[argc++] = "scorpi";
	va_start(ap, cfg);
	while ((arg = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = arg;
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse(argc, argv, cfg);
}

static void test_cli_full(void)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, "-c", "2", "-m", "512M", "-o", "console=stdio",
		       "-o", "reboot=exit", "-k", "K", "-i", "I", "-a",
		       "console=ttyS0", "vm1", NULL),
		 CLI_RUN);
	CHECK_EQ(cfg.cpus, 2);
	CHECK_EQ(cfg.mem_size, 512 * MiB);
	CHECK_EQ(cfg.console, CONSOLE_STDIO);
	CHECK_EQ(cfg.on_reboot, REBOOT_EXIT);
	CHECK_STR(cfg.kernel, "K");
	CHECK_STR(cfg.initrd, "I");
	CHECK_STR(cfg.cmdline, "console=ttyS0");
	CHECK_STR(cfg.name, "vm1");
}

static void test_cli_defaults(void)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, "vm1", NULL), CLI_RUN);
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.mem_size, 256 * MiB);
	CHECK_EQ(cfg.console, CONSOLE_NONE);
	CHECK_EQ(cfg.on_reboot, REBOOT_RESET);
	CHECK(cfg.kernel == NULL);
	CHECK(cfg.initrd == NULL);
	CHECK(cfg.cmdline == NULL);
	CHECK_STR(cfg.name, "vm1");
}

static void test_cli_options(void)
{
	struct vm_config cfg;

	/* The last -o of a key wins; none and reset can be said too. */
	CHECK_EQ(parse(&cfg, "-o", "console=stdio", "-o", "console=none", "-o",
		       "reboot=exit", "-o", "reboot=reset", "-k", "K", "vm",
		       NULL),
		 CLI_RUN);
	CHECK_EQ(cfg.console, CONSOLE_NONE);
	CHECK_EQ(cfg.on_reboot, REBOOT_RESET);
	/* Options joined to their flag, and a plain-number memory size. */
	CHECK_EQ(parse(&cfg, "-c4", "-m2048", "-kbz", "vm", NULL), CLI_RUN);
	CHECK_EQ(cfg.cpus, 4);
	CHECK_EQ(cfg.mem_size, 2 * GiB);
	CHECK_STR(cfg.kernel, "bz");
	/* The longest VM name that fits. */
	CHECK_EQ(parse(&cfg,
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		       "xxxxxxxxxxxxxxxx",
		       NULL),
		 CLI_RUN);
	CHECK_EQ(strlen(cfg.name), VM_NAME_MAX - 1);
}

static void test_cli_help(void)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, "-h", NULL), CLI_DONE);
	CHECK_EQ(parse(&cfg, "--help", NULL), CLI_DONE);
}

#define BAD(...) CHECK_EQ(parse(&cfg, __VA_ARGS__, NULL), CLI_ERROR)

static void test_cli_slots(void)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, "-s", "0,hostbridge", "-s", "3,virtio-rng", "-s",
		       "4:2,virtio-rnd", "vm1", NULL),
		 CLI_RUN);
	CHECK_EQ(cfg.ndevices, 2);
	CHECK_EQ(cfg.devices[0].slot, 3);
	CHECK_EQ(cfg.devices[0].func, 0);
	CHECK_STR(cfg.devices[0].cls->name, "virtio-rnd");
	CHECK_EQ(cfg.devices[0].nopts, 0);
	CHECK_EQ(cfg.devices[1].slot, 4);
	CHECK_EQ(cfg.devices[1].func, 2);
	CHECK(cfg.devices[0].cls == cfg.devices[1].cls);
}

static void test_cli_errors(void)
{
	struct vm_config cfg;

	BAD("-k", "K");
	BAD("-k", "K", "vm1", "extra");
	BAD("-c", "abc", "vm1");
	BAD("-c", "-1", "vm1");
	BAD("-c", "2x", "vm1");
	BAD("-c", "", "vm1");
	BAD("vm1", "-c");
	BAD("-c");
	BAD("-m", "12X", "vm1");
	BAD("-m", "", "vm1");
	BAD("-m");
	BAD("-o", "foo=bar", "vm1");
	BAD("-o", "console=tty", "vm1");
	BAD("-o", "console=", "vm1");
	BAD("-o", "reboot=maybe", "vm1");
	BAD("-o", "noequals", "vm1");
	BAD("-o", "consolex=stdio", "vm1");
	BAD("-o", "=stdio", "vm1");
	BAD("-z", "vm1");
	BAD("--bogus", "vm1");
	BAD("-s");
	BAD("-s", "32,virtio-rng", "vm1");
	BAD("-s", "x,virtio-rng", "vm1");
	BAD("-s", "3:8,virtio-rng", "vm1");
	BAD("-s", "3", "vm1");
	BAD("-s", "3,", "vm1");
	BAD("-s", "3,no-such-device", "vm1");
	BAD("-s", "0,virtio-rng", "vm1");
	BAD("-s", "2,hostbridge", "vm1");
	BAD("-s", "3,virtio-rng,bogus=1", "vm1");
	BAD("-s", "3,virtio-rng", "-s", "3,virtio-rnd", "vm1");
	BAD("-u", "vm1");
	BAD("-u", "mouse", "vm1");
	BAD("-u", "kbd,bogus", "vm1");
	BAD("-u", "virtio-rnd", "vm1");
	BAD("-s", "3,kbd", "vm1");
	BAD("-l", "com1,stdio", "vm1");
	BAD("-l", "vm-control,colour=red", "vm1");
	BAD("-f", "/nonexistent/vm.yaml", "vm1");
	BAD("-f", "x.yaml", "-c", "2");
	BAD("-c", "2", "-f", "x.yaml");
	BAD("-s", "3,virtio-blk,disk.img,ro=maybe", "vm1");
	BAD("-s", "3,virtio-blk,disk.img,id=", "vm1");
	BAD("-s", "3,virtio-blk,disk.img,id=a/b", "vm1");
	BAD("-s", "3,virtio-net,slirp,mac", "vm1");
	BAD("");
	BAD("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxx");
	BAD("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/*
 * cli_parse can be called more than once in a process: what getopt kept
 * from one call, say the rest of a cluster of flags, must not leak into
 * the next.
 */
static void test_cli_no_state_between_calls(void)
{
	struct vm_config cfg;

	/* An error in the middle of "-zc" leaves getopt inside it. */
	CHECK_EQ(parse(&cfg, "-zc", "3", "vm1", NULL), CLI_ERROR);
	CHECK_EQ(parse(&cfg, "-m", "512M", "vm2", NULL), CLI_RUN);
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.mem_size, 512 * MiB);
	CHECK_STR(cfg.name, "vm2");

	CHECK_EQ(parse(&cfg, "-o", "console=bad", "vm1", NULL), CLI_ERROR);
	CHECK_EQ(parse(&cfg, "-x1", "vm1", NULL), CLI_ERROR);
	CHECK_EQ(parse(&cfg, "vm3", NULL), CLI_RUN);
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.console, CONSOLE_NONE);
	CHECK_STR(cfg.name, "vm3");

	/* A successful call's results do not carry over either. */
	CHECK_EQ(parse(&cfg, "-c", "8", "-o", "reboot=exit", "-k", "K", "a",
		       NULL),
		 CLI_RUN);
	CHECK_EQ(parse(&cfg, "b", NULL), CLI_RUN);
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.on_reboot, REBOOT_RESET);
	CHECK(cfg.kernel == NULL);
	CHECK_STR(cfg.name, "b");
}

static void good_config(struct vm_config *cfg)
{
	config_init(cfg);
	strcpy(cfg->name, "vm");
	CHECK_EQ(config_set(cfg, "kernel", "bzImage", "-k"), 0);
	cfg->mem_size = 64 * MiB;
}

static void test_config_check(void)
{
	struct vm_config cfg;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t host = (uint64_t)pages * (uint64_t)page;

	good_config(&cfg);
	CHECK_EQ(config_check(&cfg), 0);
	CHECK_EQ(config_set(&cfg, "initrd", "initrd", "-i"), 0);
	CHECK_EQ(config_check(&cfg), 0);

	good_config(&cfg);
	cfg.cpus = 0;
	CHECK(config_check(&cfg) != 0);
	cfg.cpus = VM_MAX_CPUS;
	CHECK_EQ(config_check(&cfg), 0);
	cfg.cpus = 255;
	CHECK(config_check(&cfg) != 0);
	cfg.cpus = 100000;
	CHECK(config_check(&cfg) != 0);

	good_config(&cfg);
	cfg.mem_size = VM_MIN_MEM;
	CHECK_EQ(config_check(&cfg), 0);
	cfg.mem_size = VM_MIN_MEM - 4096;
	CHECK(config_check(&cfg) != 0);
	cfg.mem_size = 0;
	CHECK(config_check(&cfg) != 0);
	cfg.mem_size = 64 * MiB + 1;
	CHECK(config_check(&cfg) != 0);
	cfg.mem_size = 64 * MiB + 2048;
	CHECK(config_check(&cfg) != 0);
	cfg.mem_size = 64 * MiB + 4096;
	CHECK_EQ(config_check(&cfg), 0);

	/* More than the host has. */
	CHECK(pages > 0 && page > 0);
	good_config(&cfg);
	cfg.mem_size = (host + 4096) & ~0xfffull;
	CHECK(config_check(&cfg) != 0);
	cfg.mem_size = 1ull << 62;
	CHECK(config_check(&cfg) != 0);
	if (host >= 2 * VM_MIN_MEM) {
		cfg.mem_size = (host / 2) & ~0xfffull;
		CHECK_EQ(config_check(&cfg), 0);
	}

	good_config(&cfg);
	free(cfg.kernel);
	cfg.kernel = NULL;
	CHECK(config_check(&cfg) != 0);
	CHECK_EQ(config_set(&cfg, "initrd", "initrd", "-i"), 0);
	CHECK(config_check(&cfg) != 0);
	config_free(&cfg);
}

static void test_cli_then_check(void)
{
	struct vm_config cfg;

	/* The command line's defaults pass the checks once a kernel is given. */
	CHECK_EQ(parse(&cfg, "-k", "K", "vm", NULL), CLI_RUN);
	CHECK_EQ(config_check(&cfg), 0);
	CHECK_EQ(parse(&cfg, "vm", NULL), CLI_RUN);
	CHECK(config_check(&cfg) != 0);
	/* cli_parse takes the number, config_check the range. */
	CHECK_EQ(parse(&cfg, "-c", "0", "-k", "K", "vm", NULL), CLI_RUN);
	CHECK(config_check(&cfg) != 0);
	CHECK_EQ(parse(&cfg, "-m", "16M", "-k", "K", "vm", NULL), CLI_RUN);
	CHECK(config_check(&cfg) != 0);
}

/* The description as canonical YAML text (malloc'd). */
static char *described(const struct vm_config *cfg)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	config_write_yaml(cfg, f);
	fclose(f);
	return text;
}

/* Parses text as a YAML VM file; returns its canonical form. */
static char *described_yaml(const char *text)
{
	struct vm_config cfg;
	char *out;

	config_init(&cfg);
	if (config_load_yaml(&cfg, text, strlen(text), "test.yaml") < 0) {
		fprintf(stderr, "this YAML did not load:\n%s", text);
		return strdup("(did not load)");
	}
	out = described(&cfg);
	config_free(&cfg);
	return out;
}

static void check_same(const char *a, const char *b, int line)
{
	if (strcmp(a, b)) {
		fprintf(stderr, "%s:%d: descriptions differ:\n%s---\n%s",
			__FILE__, line, a, b);
		check_failures++;
	}
}

static const char *const seed1[] = {
	"-s",  "0,hostbridge",
	"-o",  "console=stdio",
	"-o",  "bootrom=FW.fd",
	"-s",  "1,xhci",
	"-u",  "kbd",
	"-u",  "tablet",
	"-s",  "2,virtio-blk,disk.img",
	"-s",  "3,virtio-blk,cd.iso,ro",
	"-s",  "4,virtio-net,slirp",
	"-s",  "5,virtio-gpu,hdpi=on",
	"-m",  "2G",
	"-c",  "2",
	"-l",  "/tmp/vm_sock",
	"vm1", NULL,
};

static const char *const seed2[] = {
	"-s",  "0,hostbridge",
	"-o",  "bootrom=FW.fd",
	"-s",  "1,xhci",
	"-u",  "kbd",
	"-u",  "tablet",
	"-u",  "net,backend=slirp",
	"-s",  "2,ahci-hd,win11.img",
	"-s",  "3,virtio-gpu,fb=on",
	"-l",  "/tmp/vm_sock",
	"-c",  "4",
	"-m",  "4G",
	"vm1", NULL,
};

static enum cli_result parse_argv(struct vm_config *cfg,
				  const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "scorpi";
	while (*args && argc < 63)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return cli_parse(argc, argv, cfg);
}

/* The seed's command lines, as VM descriptions. */
static void test_seed_lines(void)
{
	struct vm_config cfg;
	const struct dev_config *d;

	CHECK_EQ(parse_argv(&cfg, seed1), CLI_RUN);
	CHECK_STR(cfg.name, "vm1");
	CHECK_EQ(cfg.cpus, 2);
	CHECK_EQ(cfg.mem_size, 2 * GiB);
	CHECK_EQ(cfg.console, CONSOLE_STDIO);
	CHECK_STR(cfg.bootrom, "FW.fd");
	CHECK_EQ(cfg.ndevices, 8);
	d = cfg.devices;
	CHECK_STR(d[0].cls->name, "xhci");
	CHECK_EQ(d[0].slot, 1);
	CHECK_STR(d[1].cls->name, "kbd");
	CHECK_EQ(d[1].bus, DEV_BUS_USB);
	CHECK_STR(d[2].cls->name, "tablet");
	CHECK_STR(d[3].cls->name, "virtio-blk");
	CHECK_EQ(d[3].slot, 2);
	CHECK_STR(dev_opt(&d[3], "path"), "disk.img");
	CHECK(!dev_opt_bool(&d[3], "ro"));
	CHECK_STR(dev_opt(&d[4], "path"), "cd.iso");
	CHECK(dev_opt_bool(&d[4], "ro"));
	CHECK_STR(d[5].cls->name, "virtio-net");
	CHECK_EQ(d[5].slot, 4);
	CHECK_STR(dev_opt(&d[5], "backend"), "slirp");
	CHECK_STR(d[6].cls->name, "virtio-gpu");
	CHECK_EQ(d[6].slot, 5);
	CHECK(dev_opt_bool(&d[6], "hdpi"));
	CHECK_STR(d[7].cls->name, "vm-control");
	CHECK_EQ(d[7].bus, DEV_BUS_LPC);
	CHECK_STR(dev_opt(&d[7], "path"), "/tmp/vm_sock");
	/* Described, but not built: starting it says so. */
	CHECK(config_check(&cfg) != 0);
	config_free(&cfg);

	CHECK_EQ(parse_argv(&cfg, seed2), CLI_RUN);
	CHECK_EQ(cfg.cpus, 4);
	CHECK_EQ(cfg.mem_size, 4 * GiB);
	CHECK_EQ(cfg.console, CONSOLE_NONE);
	CHECK_EQ(cfg.ndevices, 7);
	d = cfg.devices;
	CHECK_STR(d[0].cls->name, "xhci");
	CHECK_STR(d[3].cls->name, "net");
	CHECK_STR(dev_opt(&d[3], "backend"), "slirp");
	CHECK_STR(d[4].cls->name, "ahci-hd");
	CHECK_EQ(d[4].slot, 2);
	CHECK_STR(dev_opt(&d[4], "path"), "win11.img");
	CHECK_STR(d[5].cls->name, "virtio-gpu");
	CHECK(dev_opt_bool(&d[5], "fb"));
	CHECK_STR(d[6].cls->name, "vm-control");
	CHECK(config_check(&cfg) != 0);
	config_free(&cfg);
}

/* The first seed line, written as a YAML file by hand. */
static const char seed1_yaml[] =
	"name: vm1\n"
	"cpu: {cores: 2}\n"
	"memory: {size: 2048M}\n"
	"console: stdio\n"
	"bootrom: FW.fd\n"
	"devices:\n"
	"  pci:\n"
	"    - {device: hostbridge, slot: 0}\n"
	"    - {device: xhci, slot: 1}\n"
	"    - device: virtio-blk\n"
	"      slot: 2\n"
	"      path: disk.img\n"
	"    - device: virtio-blk\n"
	"      slot: 3\n"
	"      path: cd.iso\n"
	"      ro: true\n"
	"    - {device: virtio-net, slot: 4, backend: slirp}\n"
	"    - {device: virtio-gpu, slot: 5, hdpi: on}\n"
	"  usb:\n"
	"    - device: kbd\n"
	"    - device: tablet\n"
	"  lpc:\n"
	"    - device: vm-control\n"
	"      path: /tmp/vm_sock\n";

/* What a front end describes, the other reads back the same. */
static void test_parity_seed(void)
{
	const char *const *lines[] = { seed1, seed2 };
	struct vm_config cfg;
	char *cli, *yaml;

	for (size_t i = 0; i < 2; i++) {
		CHECK_EQ(parse_argv(&cfg, lines[i]), CLI_RUN);
		cli = described(&cfg);
		yaml = described_yaml(cli);
		check_same(cli, yaml, __LINE__);
		free(cli);
		free(yaml);
		config_free(&cfg);
	}
	CHECK_EQ(parse_argv(&cfg, seed1), CLI_RUN);
	cli = described(&cfg);
	yaml = described_yaml(seed1_yaml);
	check_same(cli, yaml, __LINE__);
	free(cli);
	free(yaml);
	config_free(&cfg);
}

/*
 * Every device with every option, once through -s/-u/-l and once as
 * YAML written from the class table: the same description.
 */
static void test_parity_every_device(void)
{
	static const char *const bus_flag[] = { "-s", "-u", "-l" };
	static const char *const bus_key[] = { "pci", "usb", "lpc" };
	const struct device_class *cls;
	unsigned int slot = 1;

	for (unsigned int i = 0; (cls = device_class_at(i)); i++) {
		char spec[1024], yaml[2048], *cli_text, *yaml_text;
		char *argv[8];
		struct vm_config cfg;
		int n, y;

		if (cls->flags & DEVICE_PLATFORM)
			continue;
		n = cls->bus == DEV_BUS_PCI
			    ? snprintf(spec, sizeof(spec), "%u,%s", slot,
				       cls->name)
			    : snprintf(spec, sizeof(spec), "%s", cls->name);
		y = snprintf(yaml, sizeof(yaml),
			     "name: p\ndevices:\n  %s:\n    - device: %s\n",
			     bus_key[cls->bus], cls->name);
		if (cls->bus == DEV_BUS_PCI)
			y += snprintf(yaml + y, sizeof(yaml) - y,
				      "      slot: %u\n", slot++);
		n += snprintf(spec + n, sizeof(spec) - n, ",id=dev%u", i);
		y += snprintf(yaml + y, sizeof(yaml) - y, "      id: dev%u\n",
			      i);
		for (const struct dev_opt_spec *o = cls->opts; o && o->key;
		     o++) {
			const char *v = o->type == DEV_OPT_BOOL	  ? "on"
					: o->type == DEV_OPT_UINT ? "7"
					: o->type == DEV_OPT_SIZE ? "64M"
								  : "v-x";

			n += snprintf(spec + n, sizeof(spec) - n, ",%s=%s",
				      o->key, v);
			y += snprintf(yaml + y, sizeof(yaml) - y,
				      "      %s: %s\n", o->key,
				      o->type == DEV_OPT_BOOL ? "yes" : v);
			if (o->repeat) {
				n += snprintf(spec + n, sizeof(spec) - n,
					      ",%s=second", o->key);
				/* The YAML way: a list; the value given twice. */
				y -= strlen(v) + 1;
				y += snprintf(yaml + y, sizeof(yaml) - y,
					      "[%s, second]\n", v);
			}
		}
		argv[0] = "scorpi";
		argv[1] = (char *)bus_flag[cls->bus];
		argv[2] = spec;
		argv[3] = "p";
		argv[4] = NULL;
		if (parse_argv(&cfg, (const char *const *)argv + 1) !=
		    CLI_RUN) {
			fprintf(stderr, "%s:%d: %s %s did not parse\n",
				__FILE__, __LINE__, argv[1], spec);
			check_failures++;
			continue;
		}
		CHECK_EQ(cfg.ndevices, 1);
		cli_text = described(&cfg);
		yaml_text = described_yaml(yaml);
		check_same(cli_text, yaml_text, __LINE__);
		free(cli_text);
		free(yaml_text);
		config_free(&cfg);
	}
}

/* A description written out reads back the same, strange text and all. */
static void test_yaml_round_trip(void)
{
	struct vm_config cfg;
	char *a, *b;

	config_init(&cfg);
	CHECK_EQ(config_set(&cfg, "name", "odd \"name\": #1", "t"), 0);
	CHECK_EQ(config_set(&cfg, "cmdline", "console=ttyS0 a='b' \\ \t x: y",
			    "t"),
		 0);
	CHECK_EQ(config_set(&cfg, "kernel", "/k/with space", "t"), 0);
	CHECK_EQ(config_set(&cfg, "memory", "1536M", "t"), 0);
	a = described(&cfg);
	b = described_yaml(a);
	check_same(a, b, __LINE__);
	free(a);
	free(b);
	config_free(&cfg);
}

/* -s help and -u help list the devices of their bus, with options. */
static void test_device_help(void)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	device_list(f, DEV_BUS_PCI);
	fclose(f);
	CHECK(strstr(text, "virtio-blk") != NULL);
	CHECK(strstr(text, "serial=TEXT") != NULL);
	CHECK(strstr(text, "hostfwd=TEXT (repeatable)") != NULL);
	CHECK(strstr(text, "kbd") == NULL);
	free(text);
	f = open_memstream(&text, &len);
	device_list(f, DEV_BUS_USB);
	fclose(f);
	CHECK(strstr(text, "tablet") != NULL);
	CHECK(strstr(text, "virtio-blk") == NULL);
	free(text);
}

/*
 * Every device registers itself (DEVICE_REGISTER): each is found, by
 * name and alias, in a program that links libscorpi; no other is there;
 * names are unique and the listing order does not hang on the link
 * order. tests/unit/device_help.sh checks the same of scorpi itself.
 */
static void test_device_registry(void)
{
	static const struct {
		const char *name;
		enum dev_bus bus;
	} want[] = {
		{ "hostbridge", DEV_BUS_PCI },
		{ "ahci-cd", DEV_BUS_PCI },
		{ "ahci-hd", DEV_BUS_PCI },
		{ "virtio-blk", DEV_BUS_PCI },
		{ "virtio-console", DEV_BUS_PCI },
		{ "virtio-gpu", DEV_BUS_PCI },
		{ "virtio-net", DEV_BUS_PCI },
		{ "virtio-rnd", DEV_BUS_PCI },
		{ "xhci", DEV_BUS_PCI },
		{ "kbd", DEV_BUS_USB },
		{ "net", DEV_BUS_USB },
		{ "tablet", DEV_BUS_USB },
		{ "vm-control", DEV_BUS_LPC },
	};
	const unsigned int n = sizeof(want) / sizeof(want[0]);
	const struct device_class *cls, *prev = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		cls = device_find(want[i].name);
		if (!cls) {
			fprintf(stderr, "%s:%d: %s is not registered\n",
				__FILE__, __LINE__, want[i].name);
			check_failures++;
			continue;
		}
		CHECK_STR(cls->name, want[i].name);
		CHECK_EQ(cls->bus, want[i].bus);
		/* The listing order: by bus, the platform's first, by name. */
		CHECK(device_class_at(i) == cls);
	}
	for (i = 0; (cls = device_class_at(i)); i++) {
		CHECK(device_find(cls->name) == cls);
		if (cls->alias)
			CHECK(device_find(cls->alias) == cls);
		if (prev && prev->bus == cls->bus)
			CHECK(strcmp(prev->name, cls->name) < 0 ||
			      (prev->flags & DEVICE_PLATFORM));
		if (prev)
			CHECK(prev->bus <= cls->bus);
		prev = cls;
	}
	CHECK_EQ(i, n);
	CHECK(device_find("virtio-rng") == device_find("virtio-rnd"));
	CHECK(device_find("mouse") == NULL);

	/* What the checks and parsers ask of the classes, not their names. */
	CHECK_STR(device_with_flags(DEVICE_PLATFORM)->name, "hostbridge");
	CHECK_STR(device_with_flags(DEVICE_USB_HOST)->name, "xhci");
	CHECK_STR(device_with_flags(DEVICE_CONSOLE)->name, "virtio-console");
	CHECK_STR(device_with_flags(DEVICE_LPC_PATH)->name, "vm-control");
	CHECK(device_with_flags(DEVICE_PLATFORM | DEVICE_CONSOLE) == NULL);
}

TEST_MAIN(TEST(test_parse_size), TEST(test_parse_size_bad), TEST(test_cli_full),
	  TEST(test_cli_defaults), TEST(test_cli_options), TEST(test_cli_help),
	  TEST(test_cli_slots), TEST(test_cli_errors),
	  TEST(test_cli_no_state_between_calls), TEST(test_config_check),
	  TEST(test_cli_then_check), TEST(test_seed_lines),
	  TEST(test_parity_seed), TEST(test_parity_every_device),
	  TEST(test_yaml_round_trip), TEST(test_device_help),
	  TEST(test_device_registry))
