// SPDX-License-Identifier: MIT
/* The YAML front end: a full VM file, and what it refuses, with its words. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/device.h"

#include "check.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* What the call printed on stderr, captured through a temporary file. */
static char captured[4096];

static void capture_begin(int *saved, FILE **tmp)
{
	fflush(stderr);
	*tmp = tmpfile();
	*saved = dup(STDERR_FILENO);
	if (*tmp && *saved >= 0)
		dup2(fileno(*tmp), STDERR_FILENO);
}

static void capture_end(int saved, FILE *tmp)
{
	size_t n = 0;

	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	captured[0] = '\0';
	if (!tmp)
		return;
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
}

static int load_text(struct vm_config *cfg, const char *text, size_t len)
{
	int saved, rc;
	FILE *tmp;

	capture_begin(&saved, &tmp);
	rc = config_load_yaml(cfg, text, len, "vm.yaml");
	capture_end(saved, tmp);
	return rc;
}

static int load_file(struct vm_config *cfg, const char *path)
{
	int saved, rc;
	FILE *tmp;

	capture_begin(&saved, &tmp);
	rc = config_load_yaml_file(cfg, path);
	capture_end(saved, tmp);
	return rc;
}

/*
 * The load failed with exactly one line, which starts with want (give the
 * whole line, "\n" included, to match it exactly).
 */
static void check_refused(int rc, const char *want, int line)
{
	const char *nl = strchr(captured, '\n');

	if (rc != -1) {
		fprintf(stderr, "%s:%d: the load returned %d, not -1\n",
			__FILE__, line, rc);
		check_failures++;
	}
	if (!nl || nl[1] != '\0' ||
	    strncmp(captured, "scorpi: ", strlen("scorpi: ")) ||
	    strncmp(captured + strlen("scorpi: "), want, strlen(want))) {
		fprintf(stderr,
			"%s:%d: expected one line starting \"scorpi: %s\", "
			"got \"%s\"\n",
			__FILE__, line, want, captured);
		check_failures++;
	}
}

static void check_bad(const char *text, size_t len, const char *want, int line)
{
	struct vm_config cfg;
	int rc;

	config_init(&cfg);
	rc = load_text(&cfg, text, len);
	check_refused(rc, want, line);
	config_free(&cfg);
}

/* BAD(yaml, start of the message after "scorpi: "). */
#define BAD(text, want) check_bad(text, strlen(text), want, __LINE__)
#define BAD_LEN(text, len, want) check_bad(text, len, want, __LINE__)

static const struct dev_config *find_dev(const struct vm_config *cfg,
					 enum dev_bus bus, unsigned int n)
{
	for (unsigned int i = 0; i < cfg->ndevices; i++)
		if (cfg->devices[i].bus == bus && n-- == 0)
			return &cfg->devices[i];
	return NULL;
}

static const char full_vm[] = "# Every key a VM file takes.\n"
			      "name: web-1\n"
			      "cpu:\n"
			      "  cores: 4\n"
			      "memory: 2G\n"
			      "console: virtio\n"
			      "reboot: exit\n"
			      "bootrom: /usr/share/edk2/OVMF_CODE.fd\n"
			      "bootvars: 'vars.fd'\n"
			      "uuid: 0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9\n"
			      "kernel: /boot/vmlinuz\n"
			      "initrd: \"/boot/initrd.img\"\n"
			      "cmdline: >-\n"
			      "  console=hvc0\n"
			      "  root=/dev/vda1\n"
			      "stats: /tmp/web-1.stats\n"
			      "devices:\n"
			      "  pci:\n"
			      "    - device: hostbridge\n"
			      "      slot: 0\n"
			      "    - device: virtio-blk\n"
			      "      slot: 2\n"
			      "      path: disk.img\n"
			      "      ro: yes\n"
			      "      serial: 'ABC 123'\n"
			      "      id: disk0\n"
			      "    - device: virtio-net\n"
			      "      slot: \"3:0\"\n"
			      "      backend: slirp\n"
			      "      mac: 52:54:00:12:34:56\n"
			      "      hostfwd: [tcp::8080-:80, tcp::2222-:22]\n"
			      "    - device: virtio-net\n"
			      "      slot: 3\n"
			      "      func: 1\n"
			      "      backend: slirp\n"
			      "      hostfwd:\n"
			      "        - udp::5353-:53\n"
			      "    - {device: virtio-rnd, slot: 5}\n"
			      "    - device: xhci\n"
			      "      slot: 6\n"
			      "      id: usb0\n"
			      "    - device: virtio-gpu\n"
			      "      slot: 7:0\n"
			      "      hdpi: off\n"
			      "      fb:\n"
			      "    - device: ahci-cd\n"
			      "      slot: 8\n"
			      "      path: cd.iso\n"
			      "      ro: true\n"
			      "  usb:\n"
			      "    - device: tablet\n"
			      "      parent: usb0\n"
			      "    - device: net\n"
			      "      backend: slirp\n"
			      "      hostfwd: [tcp::8022-:22]\n"
			      "  lpc:\n"
			      "    - device: vm-control\n"
			      "      path: /run/scorpi/web-1.sock\n";

static void check_full(const struct vm_config *cfg)
{
	const struct dev_config *d;

	CHECK_STR(cfg->name, "web-1");
	CHECK_EQ(cfg->cpus, 4);
	CHECK_EQ(cfg->mem_size, 2 * GiB);
	CHECK_EQ(cfg->console, CONSOLE_VIRTIO);
	CHECK_EQ(cfg->on_reboot, REBOOT_EXIT);
	CHECK_STR(cfg->bootrom, "/usr/share/edk2/OVMF_CODE.fd");
	CHECK_STR(cfg->bootvars, "vars.fd");
	CHECK(cfg->uuid_set);
	CHECK_EQ(cfg->uuid[0], 0x0f);
	CHECK_EQ(cfg->uuid[15], 0xf9);
	CHECK_STR(cfg->kernel, "/boot/vmlinuz");
	CHECK_STR(cfg->initrd, "/boot/initrd.img");
	CHECK_STR(cfg->cmdline, "console=hvc0 root=/dev/vda1");
	CHECK_STR(cfg->stats, "/tmp/web-1.stats");
	/* The host bridge adds nothing: 7 PCI, 2 USB and 1 LPC device. */
	CHECK_EQ(cfg->ndevices, 10);

	d = find_dev(cfg, DEV_BUS_PCI, 0);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->cls ? d->cls->name : NULL, "virtio-blk");
		CHECK_EQ(d->slot, 2);
		CHECK_EQ(d->func, 0);
		CHECK_STR(dev_opt(d, "path"), "disk.img");
		CHECK_STR(dev_opt(d, "ro"), "on");
		CHECK(dev_opt_bool(d, "ro"));
		CHECK_STR(dev_opt(d, "serial"), "ABC 123");
		CHECK_STR(d->id, "disk0");
		CHECK(d->origin && strstr(d->origin, "vm.yaml:21"));
	}
	d = find_dev(cfg, DEV_BUS_PCI, 1);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(d->slot, 3);
		CHECK_EQ(d->func, 0);
		CHECK_STR(dev_opt(d, "backend"), "slirp");
		CHECK_STR(dev_opt(d, "mac"), "52:54:00:12:34:56");
		CHECK_STR(dev_opt_nth(d, "hostfwd", 0), "tcp::8080-:80");
		CHECK_STR(dev_opt_nth(d, "hostfwd", 1), "tcp::2222-:22");
		CHECK(dev_opt_nth(d, "hostfwd", 2) == NULL);
		CHECK(d->id == NULL);
		/* Options in the order given. */
		CHECK(d->nopts == 4 && !strcmp(d->opts[0].key, "backend") &&
		      !strcmp(d->opts[1].key, "mac") &&
		      !strcmp(d->opts[2].key, "hostfwd") &&
		      !strcmp(d->opts[3].key, "hostfwd"));
	}
	d = find_dev(cfg, DEV_BUS_PCI, 2);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(d->slot, 3);
		CHECK_EQ(d->func, 1);
		CHECK_STR(dev_opt_nth(d, "hostfwd", 0), "udp::5353-:53");
		CHECK(dev_opt_nth(d, "hostfwd", 1) == NULL);
	}
	d = find_dev(cfg, DEV_BUS_PCI, 3);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(d->slot, 5);
		CHECK_EQ(d->nopts, 0);
	}
	d = find_dev(cfg, DEV_BUS_PCI, 4);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(d->slot, 6);
		CHECK_STR(d->id, "usb0");
	}
	d = find_dev(cfg, DEV_BUS_PCI, 5);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(d->slot, 7);
		CHECK_STR(dev_opt(d, "hdpi"), "off");
		/* "fb:" alone is the bare flag. */
		CHECK_STR(dev_opt(d, "fb"), "on");
	}
	d = find_dev(cfg, DEV_BUS_PCI, 6);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(d->slot, 8);
		CHECK_STR(dev_opt(d, "path"), "cd.iso");
		CHECK_STR(dev_opt(d, "ro"), "on");
	}
	d = find_dev(cfg, DEV_BUS_USB, 0);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->parent, "usb0");
		CHECK_EQ(d->nopts, 0);
	}
	d = find_dev(cfg, DEV_BUS_USB, 1);
	CHECK(d != NULL);
	if (d) {
		CHECK(d->parent == NULL);
		CHECK_STR(dev_opt(d, "backend"), "slirp");
		CHECK_STR(dev_opt_nth(d, "hostfwd", 0), "tcp::8022-:22");
	}
	d = find_dev(cfg, DEV_BUS_LPC, 0);
	CHECK(d != NULL);
	if (d)
		CHECK_STR(dev_opt(d, "path"), "/run/scorpi/web-1.sock");
}

static void test_full(void)
{
	struct vm_config cfg;
	int rc;

	config_init(&cfg);
	rc = load_text(&cfg, full_vm, strlen(full_vm));
	CHECK_EQ(rc, 0);
	CHECK_STR(captured, "");
	check_full(&cfg);
	config_free(&cfg);
}

/* What config_write_yaml writes reads back as the same description. */
static void test_round_trip(void)
{
	struct vm_config a, b;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	config_init(&a);
	config_init(&b);
	CHECK_EQ(load_text(&a, full_vm, strlen(full_vm)), 0);
	f = open_memstream(&text, &len);
	CHECK(f != NULL);
	if (!f)
		return;
	config_write_yaml(&a, f);
	fclose(f);
	CHECK_EQ(load_text(&b, text, len), 0);
	if (captured[0])
		fprintf(stderr, "%s", text);
	CHECK_STR(captured, "");
	CHECK_STR(b.name, a.name);
	CHECK_EQ(b.cpus, a.cpus);
	CHECK_EQ(b.mem_size, a.mem_size);
	CHECK_EQ(b.console, a.console);
	CHECK_EQ(b.on_reboot, a.on_reboot);
	CHECK_STR(b.cmdline, a.cmdline);
	CHECK_STR(b.stats, a.stats);
	CHECK_EQ(b.ndevices, a.ndevices);
	for (unsigned int i = 0; i < a.ndevices && i < b.ndevices; i++) {
		const struct dev_config *x = &a.devices[i], *y = &b.devices[i];

		CHECK(x->cls == y->cls);
		CHECK_EQ(x->bus, y->bus);
		CHECK_EQ(x->slot, y->slot);
		CHECK_EQ(x->func, y->func);
		CHECK_EQ(x->nopts, y->nopts);
		CHECK((!x->id && !y->id) ||
		      (x->id && y->id && !strcmp(x->id, y->id)));
		CHECK((!x->parent && !y->parent) ||
		      (x->parent && y->parent &&
		       !strcmp(x->parent, y->parent)));
		for (unsigned int j = 0; j < x->nopts && j < y->nopts; j++) {
			CHECK_STR(y->opts[j].key, x->opts[j].key);
			CHECK_STR(y->opts[j].value, x->opts[j].value);
		}
	}
	free(text);
	config_free(&a);
	config_free(&b);
}

/*
 * Text that a YAML reader would fold or refuse if written as it is (line
 * separators, NEL, C1 controls, a BOM) is written escaped and reads back
 * the same (fuzz_yaml found a line separator folded into a space).
 */
static void test_round_trip_breaks(void)
{
	static const char vm[] =
		"name: vm\n"
		"cmdline: \"a\\Lb\\Pc\\Nd\\x80e\\ufeffe\\uffff \\\\ \u00e9\"\n";
	struct vm_config a, b;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	config_init(&a);
	config_init(&b);
	CHECK_EQ(load_text(&a, vm, strlen(vm)), 0);
	CHECK_STR(a.cmdline, "a\u2028b\u2029c\xc2\x85"
			     "d\xc2\x80"
			     "e\ufeffe\uffff \\ \u00e9");
	f = open_memstream(&text, &len);
	CHECK(f != NULL);
	if (!f)
		return;
	config_write_yaml(&a, f);
	fclose(f);
	CHECK_EQ(load_text(&b, text, len), 0);
	CHECK_STR(captured, "");
	CHECK_STR(b.cmdline, a.cmdline);
	free(text);
	config_free(&a);
	config_free(&b);
}

/* The short forms, and what a file need not say. */
static void test_small(void)
{
	struct vm_config cfg;

	config_init(&cfg);
	CHECK_EQ(load_text(&cfg,
			   "name: a\ncpu: 2\nmemory: {size: 512M}\n"
			   "devices: {}\n",
			   strlen("name: a\ncpu: 2\nmemory: {size: 512M}\n"
				  "devices: {}\n")),
		 0);
	CHECK_STR(cfg.name, "a");
	CHECK_EQ(cfg.cpus, 2);
	CHECK_EQ(cfg.mem_size, 512 * MiB);
	CHECK_EQ(cfg.ndevices, 0);
	config_free(&cfg);

	/* A UTF-8 byte order mark, "---" and "..." are fine. */
	config_init(&cfg);
	CHECK_EQ(load_text(&cfg,
			   "\xef\xbb\xbf---\nname: b\nmemory: 1024\n"
			   "devices:\n  pci: []\n...\n",
			   strlen("\xef\xbb\xbf---\nname: b\nmemory: 1024\n"
				  "devices:\n  pci: []\n...\n")),
		 0);
	CHECK_STR(captured, "");
	CHECK_STR(cfg.name, "b");
	CHECK_EQ(cfg.mem_size, 1024 * MiB);
	config_free(&cfg);

	/* Defaults stay when a key is absent. */
	config_init(&cfg);
	CHECK_EQ(load_text(&cfg, "name: c\n", 8), 0);
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.mem_size, 256 * MiB);
	CHECK(cfg.kernel == NULL);
	config_free(&cfg);
}

static void test_syntax(void)
{
	BAD("", "vm.yaml:1: the file is empty");
	BAD("# only a comment\n\n", "vm.yaml:1: the file is empty");
	BAD("---\n", "vm.yaml:1: the document is empty");
	BAD("name: a\ncpu: [1, 2\n", "vm.yaml:3: YAML syntax error: ");
	BAD("name: a\n  cpu: 2\n", "vm.yaml:2: YAML syntax error: ");
	BAD("name: a\n---\nname: b\n",
	    "vm.yaml:2: a second YAML document: one file describes one VM\n");
	BAD("name: &n a\n",
	    "vm.yaml:1: anchors and aliases are not supported\n");
	BAD("name: a\nkernel: &k /boot/k\ninitrd: *k\n",
	    "vm.yaml:2: anchors and aliases are not supported\n");
	BAD("name: a\ncpu: !!str 2\n", "vm.yaml:2: tags are not supported\n");
	/* Not UTF-8: a Latin-1 byte on line 2. */
	BAD("name: a\ncmdline: caf\xe9\n", "vm.yaml:2: YAML syntax error: ");
	/* UTF-16, even with its byte order mark, is not UTF-8. */
	BAD_LEN("\xff\xfen\0a\0m\0e\0:\0 \0a\0\n\0", 18,
		"vm.yaml:1: YAML syntax error: ");
	BAD("name: a\n...\n---\nname: b\n",
	    "vm.yaml:3: a second YAML document: one file describes one VM\n");
	/* Deeper than any VM file goes: refused before libyaml slows down. */
	BAD("name: a\ncpu: [[[[[[[[[1]]]]]]]]]\n",
	    "vm.yaml:2: nested more than 8 levels deep\n");
	/* A NUL byte in the file itself. */
	BAD_LEN("name: a\nkernel: x\0y\n",
		sizeof("name: a\nkernel: x\0y\n") - 1,
		"vm.yaml:2: YAML syntax error: ");
}

static void test_structure(void)
{
	BAD("- name: a\n",
	    "vm.yaml:1: expected a mapping of VM settings at the top level, "
	    "not a list\n");
	BAD("just text\n", "vm.yaml:1: expected a mapping of VM settings");
	BAD("name: a\n\nfoo: 1\n", "vm.yaml:3: foo: unknown key\n");
	BAD("name: a\ncpu: 2\ncpu: 4\n",
	    "vm.yaml:3: cpu: given twice (first on line 2)\n");
	BAD("name: a\n? [x]\n: 1\n", "vm.yaml:2: keys must be names");
	BAD("name: {first: a}\n",
	    "vm.yaml:1: name: expected a single value, not a mapping\n");
	BAD("name: a\ncpu: [1, 2]\n",
	    "vm.yaml:2: cpu: expected a single value, not a list\n");
	BAD("name: a\nkernel:\n",
	    "vm.yaml:2: kernel: expected a single value, not nothing\n");
	BAD("name: a\ncmdline: \"x\\0y\"\n",
	    "vm.yaml:2: cmdline: contains a NUL character\n");
	BAD("name: a\ncpu:\n  cores: 2\n  threads: 2\n",
	    "vm.yaml:4: cpu.threads: unknown key (expected cores)\n");
	BAD("name: a\ncpu:\n  cores: 2\n  cores: 3\n",
	    "vm.yaml:4: cpu.cores: given twice (first on line 3)\n");
	BAD("name: a\nmemory: {}\n", "vm.yaml:2: memory: missing size\n");
	BAD("name: a\nmemory:\n  sz: 2G\n",
	    "vm.yaml:3: memory.sz: unknown key (expected size)\n");
	/* What config_set refuses, with the place and key before it. */
	BAD("name: a\nmemory: 2X\n", "vm.yaml:2: memory: ");
	BAD("name: a\nmemory:\n  size: lots\n", "vm.yaml:3: memory.size: ");
	BAD("name: a\ncpu: {cores: two}\n", "vm.yaml:2: cpu.cores: ");
	BAD("name: \"\"\n", "vm.yaml:1: name: ");
	BAD("name: a\nconsole: serial\n", "vm.yaml:2: console: ");
	BAD("name: a\nreboot: never\n", "vm.yaml:2: reboot: ");
}

static void test_devices(void)
{
	BAD("name: a\ndevices: [virtio-blk]\n",
	    "vm.yaml:2: devices: expected a mapping of pci, usb and lpc "
	    "lists, not a list\n");
	BAD("name: a\ndevices:\n  pci: []\n  isa: []\n",
	    "vm.yaml:4: devices.isa: unknown bus (expected pci, usb or lpc)\n");
	BAD("name: a\ndevices:\n  pci: []\n  pci: []\n",
	    "vm.yaml:4: devices.pci: given twice (first on line 3)\n");
	BAD("name: a\ndevices:\n  pci:\n    device: virtio-rnd\n",
	    "vm.yaml:4: devices.pci: expected a list of devices, not a "
	    "mapping\n");
	BAD("name: a\ndevices:\n  usb:\n",
	    "vm.yaml:3: devices.usb: expected a list of devices, not "
	    "nothing\n");
	BAD("name: a\ndevices:\n  pci:\n    - virtio-rnd\n",
	    "vm.yaml:4: devices.pci[0]: expected a mapping with a device key, "
	    "not a single value\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: 3\n    - slot: 4\n",
	    "vm.yaml:6: devices.pci[1]: missing device\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n",
	    "vm.yaml:4: devices.pci[0]: missing slot\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: [virtio-rnd]\n"
	    "      slot: 3\n",
	    "vm.yaml:4: devices.pci[0].device: expected a device name, not a "
	    "list\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: 3\n    - device: virtio-rnd\n      slot: 32\n",
	    "vm.yaml:7: devices.pci[1].slot: expected a number from 0 to 31\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: two\n",
	    "vm.yaml:5: devices.pci[0].slot: expected a number from 0 to 31\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: -1\n",
	    "vm.yaml:5: devices.pci[0].slot: expected a number from 0 to 31\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: 3:8\n",
	    "vm.yaml:5: devices.pci[0].slot: expected a function from 0 to 7 "
	    "after \"3:\"\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: \"3:\"\n",
	    "vm.yaml:5: devices.pci[0].slot: expected a function");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: 3\n      func: 9\n",
	    "vm.yaml:6: devices.pci[0].func: expected a number from 0 to 7\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: 3:1\n      func: 1\n",
	    "vm.yaml:6: devices.pci[0].func: the function is given by slot "
	    "already\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
	    "      slot: 3\n      path: a.img\n      path: b.img\n",
	    "vm.yaml:7: devices.pci[0].path: given twice (first on line 6)\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
	    "      slot: 3\n      path: {file: a.img}\n",
	    "vm.yaml:6: devices.pci[0].path: expected a value or a list of "
	    "values, not a mapping\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
	    "      slot: 3\n      path: [a.img, b.img]\n",
	    "vm.yaml:6: devices.pci[0].path: takes one value, not a list\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-net\n"
	    "      slot: 3\n      hostfwd: []\n",
	    "vm.yaml:6: devices.pci[0].hostfwd: an empty list\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-net\n"
	    "      slot: 3\n      hostfwd:\n        - tcp::1-:1\n"
	    "        - [tcp::2-:2]\n",
	    "vm.yaml:8: devices.pci[0].hostfwd[1]: expected a value, not a "
	    "list\n");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
	    "      slot: 3\n      id: [a, b]\n",
	    "vm.yaml:6: devices.pci[0].id: takes one value, not a list\n");
	BAD("name: a\ndevices:\n  usb:\n    - device: tablet\n"
	    "      parent: \"\"\n",
	    "vm.yaml:5: devices.usb[0].parent: ");
	BAD("name: a\ndevices:\n  usb:\n    - device: tablet\n"
	    "      parent:\n",
	    "vm.yaml:5: devices.usb[0].parent: expected an id, not nothing\n");
	/* What config_add_device and config_device_option refuse. */
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-floppy\n"
	    "      slot: 3\n",
	    "vm.yaml:4: devices.pci[0]: ");
	BAD("name: a\ndevices:\n  pci:\n    - device: tablet\n      slot: 3\n",
	    "vm.yaml:4: devices.pci[0]: ");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
	    "      slot: 3\n    - device: virtio-rnd\n      slot: \"3:0\"\n",
	    "vm.yaml:6: devices.pci[1]: ");
	BAD("name: a\ndevices:\n  pci:\n    - device: hostbridge\n"
	    "      slot: 1\n",
	    "vm.yaml:4: devices.pci[0]: ");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
	    "      slot: 3\n      color: red\n",
	    "vm.yaml:6: devices.pci[0].color: ");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
	    "      slot: 3\n      ro: maybe\n",
	    "vm.yaml:6: devices.pci[0].ro: ");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
	    "      slot: 3\n      id: \"bad id\"\n",
	    "vm.yaml:6: devices.pci[0].id: ");
	BAD("name: a\ndevices:\n  pci:\n    - device: virtio-net\n"
	    "      slot: 3\n      hostfwd: [tcp::1-:1, 5]\n      mac:\n",
	    "vm.yaml:7: devices.pci[0].mac: ");
	/* usb items have no slot: it is an option the device lacks. */
	BAD("name: a\ndevices:\n  usb:\n    - device: kbd\n      slot: 1\n",
	    "vm.yaml:5: devices.usb[0].slot: ");
}

/* A mapping is checked for repeated keys pair by pair: it has a limit. */
static void test_many_keys(void)
{
	static char text[4096];
	int n = snprintf(text, sizeof(text),
			 "name: a\ndevices:\n  pci:\n    - device: virtio-blk\n"
			 "      slot: 3\n");

	for (int i = 0; i < 63; i++)
		n += snprintf(text + n, sizeof(text) - n, "      k%d: 1\n", i);
	BAD(text, "vm.yaml:4: devices.pci[0]: more than 64 keys\n");
}

static char tmpdir[64];

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_files(void)
{
	char path[128], want[256];
	struct vm_config cfg;
	char *big;
	size_t mib = 1 << 20;

	strcpy(tmpdir, "/tmp/scorpi-yaml-XXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL);

	/* A file, read and loaded. */
	snprintf(path, sizeof(path), "%s/vm.yaml", tmpdir);
	write_file(path, full_vm, strlen(full_vm));
	config_init(&cfg);
	CHECK_EQ(load_file(&cfg, path), 0);
	CHECK_STR(captured, "");
	check_full(&cfg);
	config_free(&cfg);

	/* Messages name the file as it was given. */
	snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
	write_file(path, "name: a\nmemroy: 2G\n", 19);
	config_init(&cfg);
	snprintf(want, sizeof(want), "%s:2: memroy: unknown key\n", path);
	check_refused(load_file(&cfg, path), want, __LINE__);
	config_free(&cfg);

	snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
	config_init(&cfg);
	snprintf(want, sizeof(want), "%s: No such file or directory\n", path);
	check_refused(load_file(&cfg, path), want, __LINE__);
	config_free(&cfg);

	config_init(&cfg);
	snprintf(want, sizeof(want), "%s: Is a directory\n", tmpdir);
	check_refused(load_file(&cfg, tmpdir), want, __LINE__);
	config_free(&cfg);

	/* 1 MiB is the most: a comment that fills it is fine, a byte more not. */
	big = malloc(mib + 1);
	CHECK(big != NULL);
	if (big) {
		memcpy(big, "name: a\n#", 9);
		memset(big + 9, 'x', mib - 10);
		big[mib - 1] = '\n';
		snprintf(path, sizeof(path), "%s/1mib.yaml", tmpdir);
		write_file(path, big, mib);
		config_init(&cfg);
		CHECK_EQ(load_file(&cfg, path), 0);
		CHECK_STR(captured, "");
		CHECK_STR(cfg.name, "a");
		config_free(&cfg);

		big[mib - 1] = 'x';
		big[mib] = '\n';
		snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
		write_file(path, big, mib + 1);
		config_init(&cfg);
		snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
		check_refused(load_file(&cfg, path), want, __LINE__);
		config_free(&cfg);
		free(big);
	}

	/* Not UTF-8 in a file. */
	snprintf(path, sizeof(path), "%s/latin1.yaml", tmpdir);
	write_file(path, "name: a\nkernel: /boot/\xff\n", 24);
	config_init(&cfg);
	snprintf(want, sizeof(want), "%s:2: YAML syntax error: ", path);
	check_refused(load_file(&cfg, path), want, __LINE__);
	config_free(&cfg);

	snprintf(path, sizeof(path), "%s/vm.yaml", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/1mib.yaml", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/latin1.yaml", tmpdir);
	unlink(path);
	CHECK_EQ(rmdir(tmpdir), 0);
}

TEST_MAIN(TEST(test_full), TEST(test_round_trip), TEST(test_round_trip_breaks),
	  TEST(test_small), TEST(test_syntax), TEST(test_structure),
	  TEST(test_devices), TEST(test_many_keys), TEST(test_files))
