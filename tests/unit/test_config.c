// SPDX-License-Identifier: MIT
/* Sizes, the command line and the checks of a VM description. */
#include <stdarg.h>
#include <stdio.h> /* cli.h uses FILE without including it */
#include <stdint.h>
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
	CHECK_STR(cfg.devices[0].args, "");
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
	BAD("-l", "com1,stdio", "vm1");
	BAD("-f", "x", "vm1");
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
	cfg->kernel = "bzImage";
	cfg->mem_size = 64 * MiB;
}

static void test_config_check(void)
{
	struct vm_config cfg;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t host = (uint64_t)pages * (uint64_t)page;

	good_config(&cfg);
	CHECK_EQ(config_check(&cfg), 0);
	cfg.initrd = "initrd";
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
	cfg.kernel = NULL;
	CHECK(config_check(&cfg) != 0);
	cfg.initrd = "initrd";
	CHECK(config_check(&cfg) != 0);
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

TEST_MAIN(TEST(test_parse_size), TEST(test_parse_size_bad), TEST(test_cli_full),
	  TEST(test_cli_defaults), TEST(test_cli_options), TEST(test_cli_help),
	  TEST(test_cli_slots), TEST(test_cli_errors),
	  TEST(test_cli_no_state_between_calls), TEST(test_config_check),
	  TEST(test_cli_then_check))
