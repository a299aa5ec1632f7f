// SPDX-License-Identifier: MIT
/*
 * The VM description: one model that the command line, YAML files and the
 * C API all build through the same setters, so that the same VM said any
 * of these ways is the same description (config_write_yaml shows it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "../base/log.h"
#include "config.h"
#include "device.h"

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 1;
	cfg->mem_size = 256ull << 20;
	cfg->console = CONSOLE_NONE;
	cfg->on_reboot = REBOOT_RESET;
	cfg->sandbox = true;
}

/* Scorpi's namespace for name-based VM UUIDs (chosen once, at random). */
static const uuid_t vm_uuid_namespace = {
	0x25, 0xb1, 0xf2, 0x0e, 0xf2, 0x52, 0x43, 0xc0,
	0x8c, 0xe7, 0xfa, 0x60, 0x74, 0x03, 0xba, 0x6b,
};

void config_uuid(const struct vm_config *cfg, uint8_t out[16])
{
	if (cfg->uuid_set)
		memcpy(out, cfg->uuid, 16);
	else
		uuid_generate_sha1(out, vm_uuid_namespace, cfg->name,
				   strlen(cfg->name));
}

static void dev_config_free(struct dev_config *dc)
{
	for (unsigned int i = 0; i < dc->nopts; i++) {
		free(dc->opts[i].key);
		free(dc->opts[i].value);
	}
	free(dc->id);
	free(dc->parent);
	free(dc->origin);
	memset(dc, 0, sizeof(*dc));
}

void config_free(struct vm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->bootrom);
	free(cfg->bootvars);
	free(cfg->stats);
	for (unsigned int i = 0; i < cfg->ndevices; i++)
		dev_config_free(&cfg->devices[i]);
	dev_config_free(&cfg->hostbridge);
	config_init(cfg);
}

/* strdup that keeps NULL, and tells a failure apart from it. */
static int dup_string(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -1 : 0;
}

int config_copy(struct vm_config *dst, const struct vm_config *src)
{
	int err = 0;

	*dst = *src;
	memset(&dst->hostbridge, 0, sizeof(dst->hostbridge));
	err |= dup_string(&dst->kernel, src->kernel);
	err |= dup_string(&dst->initrd, src->initrd);
	err |= dup_string(&dst->cmdline, src->cmdline);
	err |= dup_string(&dst->bootrom, src->bootrom);
	err |= dup_string(&dst->bootvars, src->bootvars);
	err |= dup_string(&dst->stats, src->stats);
	for (unsigned int i = 0; i < src->ndevices; i++) {
		const struct dev_config *s = &src->devices[i];
		struct dev_config *d = &dst->devices[i];

		err |= dup_string(&d->id, s->id);
		err |= dup_string(&d->parent, s->parent);
		err |= dup_string(&d->origin, s->origin);
		for (unsigned int j = 0; j < s->nopts; j++) {
			err |= dup_string(&d->opts[j].key, s->opts[j].key);
			err |= dup_string(&d->opts[j].value, s->opts[j].value);
		}
	}
	if (err) {
		config_free(dst);
		return -1;
	}
	return 0;
}

/*
 * A size is a whole number with an optional unit K, M, G or T (powers of
 * 1024, upper or lower case, an optional trailing "B" or "iB"). As in bhyve,
 * a number without a unit is in MiB.
 */
int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "bkmgt";
	char *end;
	unsigned long long v;
	unsigned int shift = 20;
	const char *u;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		u = strchr(units, *end | 0x20);
		if (!u)
			return -1;
		shift = 10 * (unsigned int)(u - units);
		end++;
		if (shift && *end == 'i')
			end++;
		if (shift && (*end == 'B' || *end == 'b'))
			end++;
	}
	if (*end)
		return -1;
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "true", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int set_string(char **field, const char *value, const char *where)
{
	char *copy = strdup(value);

	if (!copy) {
		log_error("%s: out of memory", where);
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

static int set_path(char **field, const char *value, const char *where)
{
	if (!*value) {
		log_error("%s: an empty path", where);
		return -1;
	}
	return set_string(field, value, where);
}

static int set_name(struct vm_config *cfg, const char *value, const char *where)
{
	size_t len = strlen(value);

	if (len == 0 || len >= VM_NAME_MAX) {
		log_error("%s: the VM name must be 1 to %d characters", where,
			  VM_NAME_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f ||
		    value[i] == '/') {
			log_error(
				"%s: the VM name may not hold '/' or control characters",
				where);
			return -1;
		}
	}
	memcpy(cfg->name, value, len + 1);
	return 0;
}

/* A choice among words: the index of value in words, or -1 after a message. */
static int set_choice(const char *value, const char *const *words,
		      const char *expected, const char *where)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(value, words[i]))
			return i;
	log_error("%s: expected %s", where, expected);
	return -1;
}

int config_set(struct vm_config *cfg, const char *key, const char *value,
	       const char *where)
{
	static const char *const consoles[] = { "none", "stdio", "virtio",
						NULL };
	static const char *const reboots[] = { "reset", "exit", NULL };
	unsigned long n;
	int i;

	if (!strcmp(key, "name"))
		return set_name(cfg, value, where);
	if (!strcmp(key, "cpu")) {
		if (parse_uint(value, 100000, &n)) {
			log_error("%s: not a number of vCPUs", where);
			return -1;
		}
		cfg->cpus = (unsigned int)n;
		return 0;
	}
	if (!strcmp(key, "memory")) {
		if (parse_size(value, &cfg->mem_size)) {
			log_error("%s: not a memory size (e.g. 512M, 2G)",
				  where);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "console")) {
		i = set_choice(value, consoles, "stdio, virtio or none", where);
		if (i < 0)
			return -1;
		cfg->console = (enum console_mode[]){ CONSOLE_NONE,
						      CONSOLE_STDIO,
						      CONSOLE_VIRTIO }[i];
		return 0;
	}
	if (!strcmp(key, "reboot")) {
		i = set_choice(value, reboots, "reset or exit", where);
		if (i < 0)
			return -1;
		cfg->on_reboot = i ? REBOOT_EXIT : REBOOT_RESET;
		return 0;
	}
	if (!strcmp(key, "sandbox")) {
		if (parse_bool(value, &cfg->sandbox)) {
			log_error("%s: expected on or off", where);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "kernel"))
		return set_path(&cfg->kernel, value, where);
	if (!strcmp(key, "initrd"))
		return set_path(&cfg->initrd, value, where);
	if (!strcmp(key, "bootrom"))
		return set_path(&cfg->bootrom, value, where);
	if (!strcmp(key, "bootvars"))
		return set_path(&cfg->bootvars, value, where);
	if (!strcmp(key, "stats"))
		return set_path(&cfg->stats, value, where);
	if (!strcmp(key, "uuid")) {
		if (uuid_parse(value, cfg->uuid) < 0) {
			log_error(
				"%s: expected a UUID, 8-4-4-4-12 hexadecimal digits",
				where);
			return -1;
		}
		cfg->uuid_set = true;
		return 0;
	}
	if (!strcmp(key, "cmdline"))
		return set_string(&cfg->cmdline, value, where);
	log_error("%s: unknown option", where);
	return -1;
}

const char *dev_bus_name(enum dev_bus bus)
{
	switch (bus) {
	case DEV_BUS_PCI:
		return "pci";
	case DEV_BUS_USB:
		return "usb";
	default:
		return "lpc";
	}
}

static const char *const bus_flag[] = { "-s", "-u", "-l" };

struct dev_config *config_add_device(struct vm_config *cfg, enum dev_bus bus,
				     const char *name, unsigned int slot,
				     unsigned int func, const char *where,
				     bool *added)
{
	const struct device_class *cls;
	struct dev_config *dc;

	*added = false;
	cls = device_find(name);
	if (cls && (cls->flags & DEVICE_PLATFORM)) {
		if (slot != 0 || func != 0) {
			log_error("%s: the host bridge is always at slot 0",
				  where);
			return NULL;
		}
		/* It is always there: options are checked, nothing is added. */
		dc = &cfg->hostbridge;
		dev_config_free(dc);
		dc->cls = cls;
		return dc;
	}
	if (!cls) {
		log_error("%s: unknown device '%s' (see %s help)", where, name,
			  bus_flag[bus]);
		return NULL;
	}
	if (cls->bus != bus) {
		log_error("%s: %s is a %s device: place it with %s", where,
			  cls->name, dev_bus_name(cls->bus),
			  bus_flag[cls->bus]);
		return NULL;
	}
	if (bus == DEV_BUS_PCI) {
		if (slot > 31 || func > 7) {
			log_error(
				"%s: the slot must be 0 to 31 and the function 0 to 7",
				where);
			return NULL;
		}
		if (slot == 0) {
			log_error("%s: slot 0 holds the host bridge", where);
			return NULL;
		}
		for (unsigned int i = 0; i < cfg->ndevices; i++) {
			const struct dev_config *o = &cfg->devices[i];

			if (o->bus == DEV_BUS_PCI && o->slot == slot &&
			    o->func == func) {
				log_error("%s: slot %u:%u is already taken",
					  where, slot, func);
				return NULL;
			}
		}
	}
	if (cfg->ndevices == VM_MAX_DEVICES) {
		log_error("%s: at most %d devices", where, VM_MAX_DEVICES);
		return NULL;
	}
	dc = &cfg->devices[cfg->ndevices];
	memset(dc, 0, sizeof(*dc));
	dc->bus = bus;
	dc->cls = cls;
	dc->slot = bus == DEV_BUS_PCI ? slot : 0;
	dc->func = bus == DEV_BUS_PCI ? func : 0;
	dc->origin = strdup(where);
	if (!dc->origin) {
		log_error("%s: out of memory", where);
		return NULL;
	}
	cfg->ndevices++;
	*added = true;
	return dc;
}

const struct dev_opt_spec *device_opt_spec(const struct device_class *cls,
					   const char *key)
{
	for (const struct dev_opt_spec *s = cls->opts; s && s->key; s++)
		if (!strcmp(s->key, key))
			return s;
	return NULL;
}

/* "path, ro, serial" for messages. */
static void opt_names(const struct device_class *cls, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (const struct dev_opt_spec *s = cls->opts; s && s->key; s++) {
		int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				 s->key);

		if (w < 0 || (size_t)w >= len - n)
			break;
		n += w;
	}
	snprintf(buf + n, len - n, "%sid%s", n ? ", " : "",
		 cls->bus == DEV_BUS_USB ? ", parent" : "");
}

static int set_device_id(struct dev_config *dc, const char *value,
			 const char *where)
{
	size_t len = strlen(value);

	if (len == 0 || len >= DEV_ID_MAX ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len) {
		log_error(
			"%s: id=%s: an id is 1 to %d letters, digits, '.', '_' or '-'",
			where, value, DEV_ID_MAX - 1);
		return -1;
	}
	return set_string(&dc->id, value, where);
}

int config_device_option(struct dev_config *dc, const char *key,
			 const char *value, const char *where)
{
	const struct dev_opt_spec *spec = device_opt_spec(dc->cls, key);
	const char *norm = value;
	struct dev_option *o;
	uint64_t size;
	unsigned long n;
	bool b;

	if (!strcmp(key, "id")) {
		if (!value) {
			log_error("%s: id needs a value", where);
			return -1;
		}
		return set_device_id(dc, value, where);
	}
	if (!strcmp(key, "parent") && dc->bus == DEV_BUS_USB) {
		if (!value || !*value) {
			log_error("%s: parent needs a controller's id", where);
			return -1;
		}
		return set_string(&dc->parent, value, where);
	}
	if (!spec) {
		char names[256];

		opt_names(dc->cls, names, sizeof(names));
		log_error("%s: %s: unknown option '%s%s%s' (it takes %s)",
			  where, dc->cls->name, key, value ? "=" : "",
			  value ? value : "", names);
		return -1;
	}
	if (!value && spec->type != DEV_OPT_BOOL) {
		log_error("%s: %s: %s needs a value (%s=...)", where,
			  dc->cls->name, key, key);
		return -1;
	}
	switch (spec->type) {
	case DEV_OPT_BOOL:
		if (!value)
			b = true;
		else if (parse_bool(value, &b)) {
			log_error("%s: %s: %s=%s: expected on or off", where,
				  dc->cls->name, key, value);
			return -1;
		}
		norm = b ? "on" : "off";
		break;
	case DEV_OPT_UINT:
		if (parse_uint(value, UINT32_MAX, &n)) {
			log_error("%s: %s: %s=%s: expected a whole number",
				  where, dc->cls->name, key, value);
			return -1;
		}
		break;
	case DEV_OPT_SIZE:
		if (parse_size(value, &size)) {
			log_error("%s: %s: %s=%s: expected a size (e.g. 64M)",
				  where, dc->cls->name, key, value);
			return -1;
		}
		break;
	case DEV_OPT_STRING:
		break;
	}
	/* A single-valued option given again replaces the first. */
	o = NULL;
	for (unsigned int i = 0; i < dc->nopts && !spec->repeat; i++)
		if (!strcmp(dc->opts[i].key, key))
			o = &dc->opts[i];
	if (!o) {
		if (dc->nopts == DEV_MAX_OPTIONS) {
			log_error("%s: at most %d options per device", where,
				  DEV_MAX_OPTIONS);
			return -1;
		}
		o = &dc->opts[dc->nopts];
		o->key = strdup(key);
		o->value = NULL;
		if (!o->key) {
			log_error("%s: out of memory", where);
			return -1;
		}
		dc->nopts++;
	}
	return set_string(&o->value, norm, where);
}

int config_device_options(struct dev_config *dc, const char *text,
			  const char *where)
{
	char *buf = strdup(text), *tok, *save = NULL;
	bool first = true;
	int ret = 0;

	if (!buf) {
		log_error("%s: out of memory", where);
		return -1;
	}
	for (tok = strtok_r(buf, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save), first = false) {
		char *eq = strchr(tok, '=');
		const struct dev_opt_spec *spec;

		if (eq) {
			*eq = 0;
			ret = config_device_option(dc, tok, eq + 1, where);
			continue;
		}
		spec = device_opt_spec(dc->cls, tok);
		/* A bare word: a flag, or the value of the positional key. */
		if (first && dc->cls->positional &&
		    (!spec || spec->type != DEV_OPT_BOOL))
			ret = config_device_option(dc, dc->cls->positional, tok,
						   where);
		else
			ret = config_device_option(dc, tok, NULL, where);
	}
	free(buf);
	return ret;
}

const char *dev_opt_nth(const struct dev_config *dc, const char *key,
			unsigned int n)
{
	for (unsigned int i = 0; i < dc->nopts; i++)
		if (!strcmp(dc->opts[i].key, key) && n-- == 0)
			return dc->opts[i].value;
	return NULL;
}

const char *dev_opt(const struct dev_config *dc, const char *key)
{
	const char *v = NULL;

	for (unsigned int i = 0; i < dc->nopts; i++)
		if (!strcmp(dc->opts[i].key, key))
			v = dc->opts[i].value;
	return v;
}

bool dev_opt_bool(const struct dev_config *dc, const char *key)
{
	const char *v = dev_opt(dc, key);

	return v && !strcmp(v, "on");
}

static uint64_t host_ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long page = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || page <= 0)
		return UINT64_MAX;
	return (uint64_t)pages * (uint64_t)page;
}

/* For a message: the device that has flags (the first, by name). */
static const char *class_name(unsigned int flags)
{
	const struct device_class *cls = device_with_flags(flags);

	return cls ? cls->name : "?";
}

static int check_devices(const struct vm_config *cfg)
{
	bool have_usb_host = false, have_console = false;

	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		const struct dev_config *dc = &cfg->devices[i];

		if (dc->cls->flags & DEVICE_USB_HOST)
			have_usb_host = true;
		if (dc->cls->flags & DEVICE_CONSOLE)
			have_console = true;
	}
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		const struct dev_config *dc = &cfg->devices[i];
		const struct dev_config *p = NULL;

		if (dc->bus != DEV_BUS_USB)
			continue;
		if (!have_usb_host) {
			log_error(
				"%s: a USB device needs a USB controller: add -s SLOT,%s",
				dc->origin, class_name(DEVICE_USB_HOST));
			return -1;
		}
		for (unsigned int j = 0; dc->parent && j < cfg->ndevices; j++)
			if (cfg->devices[j].id &&
			    !strcmp(cfg->devices[j].id, dc->parent))
				p = &cfg->devices[j];
		if (dc->parent && (!p || !(p->cls->flags & DEVICE_USB_HOST))) {
			log_error("%s: parent %s is no USB controller's id",
				  dc->origin, dc->parent);
			return -1;
		}
	}
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		for (unsigned int j = 0; j < i; j++) {
			const char *a = cfg->devices[i].id;

			if (a && cfg->devices[j].id &&
			    !strcmp(a, cfg->devices[j].id)) {
				log_error("%s: id %s is taken by %s",
					  cfg->devices[i].origin, a,
					  cfg->devices[j].origin);
				return -1;
			}
		}
	}
	/* One device per place in the firmware's boot order. */
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		const char *a = dev_opt(&cfg->devices[i], "bootindex");

		for (unsigned int j = 0; a && j < i; j++) {
			const char *b = dev_opt(&cfg->devices[j], "bootindex");

			if (b && strtoul(a, NULL, 10) == strtoul(b, NULL, 10)) {
				log_error("%s: bootindex=%s is taken by %s",
					  cfg->devices[i].origin, a,
					  cfg->devices[j].origin);
				return -1;
			}
		}
	}
	if (cfg->console == CONSOLE_VIRTIO && !have_console) {
		log_error("-o console=virtio needs a %s device: add -s SLOT,%s",
			  class_name(DEVICE_CONSOLE),
			  class_name(DEVICE_CONSOLE));
		return -1;
	}
	return 0;
}

/* What is described but not built yet: said before anything is opened. */
static int check_supported(const struct vm_config *cfg)
{
#ifndef __x86_64__
	if (cfg->bootrom) {
		log_error(
			"bootrom %s: booting UEFI firmware is not supported yet on this architecture; boot a kernel with -k",
			cfg->bootrom);
		return -1;
	}
#endif
	if (cfg->bootvars && !cfg->bootrom) {
		log_error(
			"bootvars %s: variables need firmware: give -o bootrom=CODE.fd too",
			cfg->bootvars);
		return -1;
	}
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		const struct dev_config *dc = &cfg->devices[i];

		if (!dc->cls->create) {
			log_error("%s: the %s device is not supported yet",
				  dc->origin, dc->cls->name);
			return -1;
		}
	}
	return 0;
}

/* Checks of the description alone, before any hypervisor is opened. */
int config_check(const struct vm_config *cfg)
{
	uint64_t host = host_ram_bytes();

	if (!cfg->name[0]) {
		log_error("no VM name given (see --help)");
		return -1;
	}
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
	/* How devices fit together, what is built, then each on its own. */
	if (check_devices(cfg) < 0 || check_supported(cfg) < 0)
		return -1;
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		const struct dev_config *dc = &cfg->devices[i];

		if (dc->cls->check && dc->cls->check(dc) < 0)
			return -1;
	}
	if (!cfg->kernel && (cfg->initrd || cfg->cmdline)) {
		log_error("%s without a kernel: give the kernel with -k",
			  cfg->initrd ? "an initrd (-i)"
				      : "a command line (-a)");
		return -1;
	}
	if (!cfg->kernel && !cfg->bootrom) {
		log_error(
			"no kernel: give one with -k KERNEL, or firmware with -o bootrom=CODE.fd");
		return -1;
	}
	return 0;
}

/*
 * The code point of the UTF-8 sequence at s, if it is one that a YAML
 * reader takes as a line break (NEL, LS, PS: folded into a space inside
 * quotes) or refuses (C1 controls, BOM, U+FFFE and U+FFFF); with *len its
 * length. 0 otherwise.
 */
static uint32_t yaml_unsafe_char(const unsigned char *s, int *len)
{
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*len = 2;
		return s[1];
	}
	if ((s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) ||
	    (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) ||
	    (s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))) {
		*len = 3;
		return (uint32_t)(s[0] & 0x0f) << 12 |
		       (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	return 0;
}

/*
 * A YAML double-quoted scalar: always safe, whatever the text holds, and
 * read back as the same text.
 */
static void yaml_string(FILE *out, const char *s)
{
	fputc('"', out);
	while (*s) {
		unsigned char c = *s;
		uint32_t u;
		int len;

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\x%02x", c);
		} else if ((u = yaml_unsafe_char((const unsigned char *)s,
						 &len))) {
			fprintf(out, u < 0x100 ? "\\x%02x" : "\\u%04x", u);
			s += len;
			continue;
		} else {
			fputc(c, out);
		}
		s++;
	}
	fputc('"', out);
}

static void yaml_size(FILE *out, uint64_t v)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		fprintf(out, "%lluB", (unsigned long long)v);
	else
		fprintf(out, "%llu%c", (unsigned long long)v, units[u]);
}

static void yaml_property(FILE *out, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(out, "%s: ", key);
	yaml_string(out, value);
	fputc('\n', out);
}

static void yaml_option_value(FILE *out, const struct dev_opt_spec *spec,
			      const char *value)
{
	if (spec && spec->type == DEV_OPT_BOOL)
		fputs(strcmp(value, "on") ? "false" : "true", out);
	else
		yaml_string(out, value);
}

static void yaml_device(FILE *out, const struct dev_config *dc)
{
	fprintf(out, "    - device: %s\n", dc->cls->name);
	if (dc->bus == DEV_BUS_PCI)
		fprintf(out, "      slot: \"%u:%u\"\n", dc->slot, dc->func);
	if (dc->id)
		fprintf(out, "      id: %s\n", dc->id);
	if (dc->parent)
		fprintf(out, "      parent: %s\n", dc->parent);
	for (unsigned int i = 0; i < dc->nopts; i++) {
		const char *key = dc->opts[i].key;
		const struct dev_opt_spec *spec = device_opt_spec(dc->cls, key);
		bool first = true;

		/* A repeated option is one list, at its first place. */
		if (dev_opt_nth(dc, key, 0) != dc->opts[i].value)
			continue;
		fprintf(out, "      %s: ", key);
		if (!spec || !spec->repeat) {
			yaml_option_value(out, spec, dc->opts[i].value);
			fputc('\n', out);
			continue;
		}
		fputc('[', out);
		for (unsigned int j = i; j < dc->nopts; j++) {
			if (strcmp(dc->opts[j].key, key))
				continue;
			fputs(first ? "" : ", ", out);
			yaml_string(out, dc->opts[j].value);
			first = false;
		}
		fputs("]\n", out);
	}
}

void config_write_yaml(const struct vm_config *cfg, FILE *out)
{
	static const char *const consoles[] = { "none", "stdio", "virtio" };

	if (cfg->name[0])
		yaml_property(out, "name", cfg->name);
	fprintf(out, "cpu: %u\nmemory: ", cfg->cpus);
	yaml_size(out, cfg->mem_size);
	fprintf(out, "\nconsole: %s\nreboot: %s\n", consoles[cfg->console],
		cfg->on_reboot == REBOOT_EXIT ? "exit" : "reset");
	/* Only when off: on is the default, and every description had it. */
	if (!cfg->sandbox)
		fputs("sandbox: off\n", out);
	yaml_property(out, "bootrom", cfg->bootrom);
	yaml_property(out, "bootvars", cfg->bootvars);
	if (cfg->uuid_set) {
		char text[37];

		uuid_unparse_lower(cfg->uuid, text);
		yaml_property(out, "uuid", text);
	}
	yaml_property(out, "kernel", cfg->kernel);
	yaml_property(out, "initrd", cfg->initrd);
	yaml_property(out, "cmdline", cfg->cmdline);
	yaml_property(out, "stats", cfg->stats);
	if (!cfg->ndevices)
		return;
	fputs("devices:\n", out);
	for (int bus = DEV_BUS_PCI; bus <= DEV_BUS_LPC; bus++) {
		bool any = false;

		for (unsigned int i = 0; i < cfg->ndevices; i++) {
			if (cfg->devices[i].bus != (enum dev_bus)bus)
				continue;
			if (!any)
				fprintf(out, "  %s:\n",
					dev_bus_name((enum dev_bus)bus));
			any = true;
			yaml_device(out, &cfg->devices[i]);
		}
	}
}
