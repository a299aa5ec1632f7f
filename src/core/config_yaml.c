// SPDX-License-Identifier: MIT
/*
 * The YAML front end: a VM file read into a struct vm_config through the
 * same builder functions the command line uses. The file is parsed twice
 * with libyaml: once as events, to refuse what the document API would
 * silently resolve (anchors, aliases, tags, several documents), then as a
 * document whose nodes are walked with their line numbers.
 *
 * Every message is "FILE:LINE: KEY: what is wrong", KEY being the dotted
 * path of the value ("devices.pci[1].slot"); exactly one is printed for a
 * file that is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "../base/log.h"
#include "config.h"
#include "device.h"

#define YAML_FILE_MAX (1u << 20)
/* A message prefix: "FILE:LINE: PATH". */
#define WHERE_MAX 512
/* A dotted path: "devices.pci[12].hostfwd[3]". */
#define PATH_MAX_LEN 256
/*
 * More keys than any mapping of the schema has: the check for a key given
 * twice is quadratic, and must stay cheap on a 1 MiB file.
 */
#define MAP_MAX_KEYS 64
/*
 * Deeper than the schema goes (VM, devices, bus, item, option list), and
 * shallow enough that libyaml, whose cost grows with the nesting of flow
 * collections, is stopped early on "[[[[...".
 */
#define MAX_DEPTH 8

struct yaml_ctx {
	struct vm_config *cfg;
	yaml_document_t *doc;
	const char *file;
};

static unsigned long node_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return is_null(n) ? "nothing" : "a single value";
	default:
		return "nothing";
	}
}

static void where(char *buf, const struct yaml_ctx *y, const yaml_node_t *n,
		  const char *path)
{
	snprintf(buf, WHERE_MAX, "%s:%lu: %s", y->file, node_line(n), path);
}

/*
 * A scalar's text, or NULL after a message: a value must be one scalar,
 * not empty (null) and without NUL bytes that would cut it short.
 */
static const char *scalar(const struct yaml_ctx *y, const yaml_node_t *n,
			  const char *path, const char *want)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		log_error("%s:%lu: %s: expected %s, not %s", y->file,
			  node_line(n), path, want, kind(n));
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		log_error("%s:%lu: %s: contains a NUL character", y->file,
			  node_line(n), path);
		return NULL;
	}
	return v;
}

static int join(char *out, const char *base, const char *key)
{
	size_t b = strlen(base), k = strlen(key);

	if (b + 1 + k >= PATH_MAX_LEN)
		return -1;
	memmove(out, base, b);
	if (b)
		out[b++] = '.';
	memcpy(out + b, key, k + 1);
	return 0;
}

/*
 * Walks a mapping's pairs, checking each key and that none is given twice.
 * Returns the key's text or NULL after a message; *value is its node.
 */
static const char *pair_key(const struct yaml_ctx *y, const yaml_node_t *map,
			    const yaml_node_pair_t *pair, const char *base,
			    yaml_node_t **key, yaml_node_t **value)
{
	yaml_node_t *k = yaml_document_get_node(y->doc, pair->key);
	const char *text;
	char path[PATH_MAX_LEN];

	*key = k;
	*value = yaml_document_get_node(y->doc, pair->value);
	if (pair == map->data.mapping.pairs.start &&
	    map->data.mapping.pairs.top - pair > MAP_MAX_KEYS) {
		log_error("%s:%lu: %s%smore than %d keys", y->file,
			  node_line(map), base, *base ? ": " : "",
			  MAP_MAX_KEYS);
		return NULL;
	}
	if (!k || !*value) {
		log_error("%s: broken YAML document", y->file);
		return NULL;
	}
	if (k->type != YAML_SCALAR_NODE || is_null(k) ||
	    strlen((const char *)k->data.scalar.value) !=
		    k->data.scalar.length) {
		log_error("%s:%lu: %s%skeys must be names, not %s", y->file,
			  node_line(k), base, *base ? ": " : "", kind(k));
		return NULL;
	}
	text = (const char *)k->data.scalar.value;
	for (const char *c = text; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			log_error("%s:%lu: %s%sa key contains a control "
				  "character",
				  y->file, node_line(k), base,
				  *base ? ": " : "");
			return NULL;
		}
	}
	if (join(path, base, text)) {
		log_error("%s:%lu: %s%sa key is too long", y->file,
			  node_line(k), base, *base ? ": " : "");
		return NULL;
	}
	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < pair; p++) {
		yaml_node_t *o = yaml_document_get_node(y->doc, p->key);

		if (o && o->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)o->data.scalar.value, text)) {
			log_error("%s:%lu: %s: given twice (first on line %lu)",
				  y->file, node_line(k), path, node_line(o));
			return NULL;
		}
	}
	return text;
}

#define for_each_pair(p, map)                                       \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; \
	     p < (map)->data.mapping.pairs.top; p++)

#define for_each_item(i, seq)                                        \
	for (yaml_node_item_t *i = (seq)->data.sequence.items.start; \
	     i < (seq)->data.sequence.items.top; i++)

/* KEY: VALUE handed to config_set, VALUE one scalar. */
static int set_scalar(const struct yaml_ctx *y, const char *key,
		      const yaml_node_t *v, const char *path)
{
	char w[WHERE_MAX];
	const char *text = scalar(y, v, path, "a single value");

	if (!text)
		return -1;
	where(w, y, v, path);
	return config_set(y->cfg, key, text, w);
}

/*
 * "cpu: 4" or "cpu: {cores: 4}", "memory: 2G" or "memory: {size: 2G}": a
 * scalar, or a mapping whose only key is `sub`.
 */
static int set_scalar_or_map(const struct yaml_ctx *y, const char *key,
			     const char *sub, const yaml_node_t *v)
{
	const yaml_node_t *found = NULL;
	char path[PATH_MAX_LEN];

	if (v->type != YAML_MAPPING_NODE)
		return set_scalar(y, key, v, key);
	for_each_pair(p, v)
	{
		yaml_node_t *kn, *val;
		const char *k = pair_key(y, v, p, key, &kn, &val);

		if (!k)
			return -1;
		if (strcmp(k, sub)) {
			log_error("%s:%lu: %s.%s: unknown key (expected %s)",
				  y->file, node_line(kn), key, k, sub);
			return -1;
		}
		found = val;
	}
	if (!found) {
		log_error("%s:%lu: %s: missing %s", y->file, node_line(v), key,
			  sub);
		return -1;
	}
	join(path, key, sub);
	return set_scalar(y, key, found, path);
}

/* A decimal number no larger than max; the whole text. */
static int parse_num(const char *s, unsigned int max, unsigned int *out)
{
	unsigned long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

/* "slot: 3" or "slot: 3:1". */
static int parse_slot(const struct yaml_ctx *y, const yaml_node_t *n,
		      const char *path, unsigned int *slot, unsigned int *func,
		      bool *has_func)
{
	const char *text = scalar(y, n, path, "a slot number");
	char buf[16];
	const char *colon;
	size_t len;

	if (!text)
		return -1;
	colon = strchr(text, ':');
	len = colon ? (size_t)(colon - text) : strlen(text);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1; /* too long for a number anyway */
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((colon && (size_t)(colon - text) >= sizeof(buf)) ||
	    parse_num(buf, 31, slot)) {
		log_error("%s:%lu: %s: expected a number from 0 to 31", y->file,
			  node_line(n), path);
		return -1;
	}
	*has_func = colon != NULL;
	if (colon && parse_num(colon + 1, 7, func)) {
		log_error("%s:%lu: %s: expected a function from 0 to 7 after "
			  "\"%u:\"",
			  y->file, node_line(n), path, *slot);
		return -1;
	}
	return 0;
}

/* An option: a scalar, or a list of scalars for a repeatable one. */
static int device_option(const struct yaml_ctx *y, struct dev_config *dc,
			 const char *key, const yaml_node_t *v,
			 const char *path)
{
	char w[WHERE_MAX], ipath[PATH_MAX_LEN];
	const struct dev_opt_spec *spec;
	unsigned int idx = 0;

	if (v->type == YAML_MAPPING_NODE) {
		log_error("%s:%lu: %s: expected a value or a list of values, "
			  "not a mapping",
			  y->file, node_line(v), path);
		return -1;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		const char *text = NULL;

		/* "ro:" alone is the bare flag, as "-s 3,ahci-hd,ro" is. */
		if (!is_null(v)) {
			text = scalar(y, v, path, "a value");
			if (!text)
				return -1;
		}
		where(w, y, v, path);
		return config_device_option(dc, key, text, w);
	}
	spec = dc->cls ? device_opt_spec(dc->cls, key) : NULL;
	if ((spec && !spec->repeat) || !strcmp(key, "id")) {
		log_error("%s:%lu: %s: takes one value, not a list", y->file,
			  node_line(v), path);
		return -1;
	}
	if (v->data.sequence.items.start == v->data.sequence.items.top) {
		log_error("%s:%lu: %s: an empty list", y->file, node_line(v),
			  path);
		return -1;
	}
	for_each_item(i, v)
	{
		yaml_node_t *item = yaml_document_get_node(y->doc, *i);
		const char *text;
		int n = snprintf(ipath, sizeof(ipath), "%s[%u]", path, idx++);

		if (!item || n < 0 || (size_t)n >= sizeof(ipath)) {
			log_error("%s:%lu: %s: a bad list", y->file,
				  node_line(v), path);
			return -1;
		}
		text = scalar(y, item, ipath, "a value");
		if (!text)
			return -1;
		where(w, y, item, ipath);
		if (config_device_option(dc, key, text, w))
			return -1;
	}
	return 0;
}

/* Is `key` one that the item itself takes rather than an option? */
static bool item_key(enum dev_bus bus, const char *key)
{
	if (!strcmp(key, "device"))
		return true;
	if (bus == DEV_BUS_PCI)
		return !strcmp(key, "slot") || !strcmp(key, "func");
	if (bus == DEV_BUS_USB)
		return !strcmp(key, "parent");
	return false;
}

static int load_device(const struct yaml_ctx *y, enum dev_bus bus,
		       const yaml_node_t *item, const char *path)
{
	const yaml_node_t *device = NULL, *slot = NULL, *func = NULL;
	const yaml_node_t *parent = NULL;
	const char *name, *parent_id = NULL;
	unsigned int s = 0, f = 0;
	bool has_func = false, added = false;
	struct dev_config *dc;
	char w[WHERE_MAX], kpath[PATH_MAX_LEN];

	if (item->type != YAML_MAPPING_NODE) {
		log_error("%s:%lu: %s: expected a mapping with a device key, "
			  "not %s",
			  y->file, node_line(item), path, kind(item));
		return -1;
	}
	/* Every key checked, and the item's own keys found, before adding. */
	for_each_pair(p, item)
	{
		yaml_node_t *kn, *v;
		const char *k = pair_key(y, item, p, path, &kn, &v);

		if (!k)
			return -1;
		if (!strcmp(k, "device"))
			device = v;
		else if (bus == DEV_BUS_PCI && !strcmp(k, "slot"))
			slot = v;
		else if (bus == DEV_BUS_PCI && !strcmp(k, "func"))
			func = v;
		else if (bus == DEV_BUS_USB && !strcmp(k, "parent"))
			parent = v;
	}
	if (!device) {
		log_error("%s:%lu: %s: missing device", y->file,
			  node_line(item), path);
		return -1;
	}
	join(kpath, path, "device");
	name = scalar(y, device, kpath, "a device name");
	if (!name)
		return -1;
	if (bus == DEV_BUS_PCI) {
		if (!slot) {
			log_error("%s:%lu: %s: missing slot", y->file,
				  node_line(item), path);
			return -1;
		}
		join(kpath, path, "slot");
		if (parse_slot(y, slot, kpath, &s, &f, &has_func))
			return -1;
	}
	if (func) {
		const char *text;

		join(kpath, path, "func");
		text = scalar(y, func, kpath, "a function number");
		if (!text)
			return -1;
		if (has_func) {
			log_error("%s:%lu: %s: the function is given by slot "
				  "already",
				  y->file, node_line(func), kpath);
			return -1;
		}
		if (parse_num(text, 7, &f)) {
			log_error("%s:%lu: %s: expected a number from 0 to 7",
				  y->file, node_line(func), kpath);
			return -1;
		}
	}
	if (parent) {
		join(kpath, path, "parent");
		parent_id = scalar(y, parent, kpath, "an id");
		if (!parent_id)
			return -1;
		if (!*parent_id) {
			log_error("%s:%lu: %s: expected an id, not an empty "
				  "text",
				  y->file, node_line(parent), kpath);
			return -1;
		}
	}

	/*
	 * The host bridge at 0:0 is not added (added stays false) but its
	 * options are still checked against its class, through dc.
	 */
	where(w, y, item, path);
	dc = config_add_device(y->cfg, bus, name, s, f, w, &added);
	if (!dc)
		return -1;
	if (parent_id) {
		dc->parent = strdup(parent_id);
		if (!dc->parent) {
			log_error("%s:%lu: %s.parent: out of memory", y->file,
				  node_line(parent), path);
			return -1;
		}
	}
	for_each_pair(p, item)
	{
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const char *key = (const char *)k->data.scalar.value;

		if (item_key(bus, key))
			continue;
		join(kpath, path, key);
		if (device_option(y, dc, key, v, kpath))
			return -1;
	}
	return 0;
}

static int load_devices(const struct yaml_ctx *y, const yaml_node_t *v)
{
	static const struct {
		const char *key;
		enum dev_bus bus;
	} buses[] = {
		{ "pci", DEV_BUS_PCI },
		{ "usb", DEV_BUS_USB },
		{ "lpc", DEV_BUS_LPC },
	};

	if (v->type != YAML_MAPPING_NODE) {
		log_error("%s:%lu: devices: expected a mapping of pci, usb and "
			  "lpc lists, not %s",
			  y->file, node_line(v), kind(v));
		return -1;
	}
	for_each_pair(p, v)
	{
		yaml_node_t *kn, *list;
		const char *k = pair_key(y, v, p, "devices", &kn, &list);
		size_t b;
		unsigned int idx = 0;

		if (!k)
			return -1;
		for (b = 0; b < sizeof(buses) / sizeof(buses[0]); b++)
			if (!strcmp(k, buses[b].key))
				break;
		if (b == sizeof(buses) / sizeof(buses[0])) {
			log_error("%s:%lu: devices.%s: unknown bus (expected "
				  "pci, usb or lpc)",
				  y->file, node_line(kn), k);
			return -1;
		}
		if (list->type != YAML_SEQUENCE_NODE) {
			log_error("%s:%lu: devices.%s: expected a list of "
				  "devices, not %s",
				  y->file, node_line(list), k, kind(list));
			return -1;
		}
		for_each_item(i, list)
		{
			yaml_node_t *item = yaml_document_get_node(y->doc, *i);
			char path[PATH_MAX_LEN];

			if (!item) {
				log_error("%s: broken YAML document", y->file);
				return -1;
			}
			snprintf(path, sizeof(path), "devices.%s[%u]", k,
				 idx++);
			if (load_device(y, buses[b].bus, item, path))
				return -1;
		}
	}
	return 0;
}

static const char *const scalar_keys[] = {
	"name",	  "console", "reboot",	"bootrom", "bootvars",
	"kernel", "initrd",  "cmdline", "stats",   "sandbox", "uuid",
};

static int load_root(const struct yaml_ctx *y, const yaml_node_t *root)
{
	if (root->type != YAML_MAPPING_NODE) {
		log_error("%s:%lu: expected a mapping of VM settings at the "
			  "top level, not %s",
			  y->file, node_line(root), kind(root));
		return -1;
	}
	for_each_pair(p, root)
	{
		yaml_node_t *kn, *v;
		const char *k = pair_key(y, root, p, "", &kn, &v);
		bool known = false;
		int rc;

		if (!k)
			return -1;
		if (!strcmp(k, "cpu")) {
			rc = set_scalar_or_map(y, "cpu", "cores", v);
		} else if (!strcmp(k, "memory")) {
			rc = set_scalar_or_map(y, "memory", "size", v);
		} else if (!strcmp(k, "devices")) {
			rc = load_devices(y, v);
		} else {
			for (size_t i = 0;
			     i < sizeof(scalar_keys) / sizeof(scalar_keys[0]);
			     i++)
				known |= !strcmp(k, scalar_keys[i]);
			if (!known) {
				log_error("%s:%lu: %s: unknown key", y->file,
					  node_line(kn), k);
				return -1;
			}
			rc = set_scalar(y, k, v, k);
		}
		if (rc)
			return -1;
	}
	return 0;
}

/* The line of a byte offset, for reader errors that have no mark. */
static unsigned long offset_line(const char *text, size_t len, size_t off)
{
	unsigned long line = 1;

	for (size_t i = 0; i < off && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static void parser_error(const yaml_parser_t *p, const char *text, size_t len,
			 const char *file)
{
	unsigned long line;

	if (p->error == YAML_MEMORY_ERROR) {
		log_error("%s: out of memory", file);
		return;
	}
	if (p->error == YAML_READER_ERROR)
		line = offset_line(text, len, p->problem_offset);
	else
		line = (unsigned long)p->problem_mark.line + 1;
	log_error("%s:%lu: YAML syntax error: %s", file, line,
		  p->problem ? p->problem : "unknown error");
}

static const char *event_anchor(const yaml_event_t *e, bool *tag)
{
	*tag = false;
	switch (e->type) {
	case YAML_ALIAS_EVENT:
		return (const char *)e->data.alias.anchor;
	case YAML_SCALAR_EVENT:
		*tag = e->data.scalar.tag != NULL;
		return (const char *)e->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		*tag = e->data.sequence_start.tag != NULL;
		return (const char *)e->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		*tag = e->data.mapping_start.tag != NULL;
		return (const char *)e->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/*
 * The first pass: syntax, a single document, and none of the features
 * that would make a value stand for another one. 0 if fine, 1 if the
 * stream holds no document, -1 after a message.
 */
static int scan_events(const char *text, size_t len, const char *file)
{
	yaml_parser_t parser;
	yaml_event_t e;
	unsigned int docs = 0, depth = 0;
	int rc = -1;

	if (!yaml_parser_initialize(&parser)) {
		log_error("%s: out of memory", file);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	for (;;) {
		unsigned long line;
		bool tag;

		if (!yaml_parser_parse(&parser, &e)) {
			parser_error(&parser, text, len, file);
			break;
		}
		line = (unsigned long)e.start_mark.line + 1;
		if (e.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&e);
			rc = docs ? 0 : 1;
			break;
		}
		if (e.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			log_error("%s:%lu: a second YAML document: one file "
				  "describes one VM",
				  file, line);
			yaml_event_delete(&e);
			break;
		}
		if (e.type == YAML_ALIAS_EVENT || event_anchor(&e, &tag)) {
			log_error("%s:%lu: anchors and aliases are not "
				  "supported",
				  file, line);
			yaml_event_delete(&e);
			break;
		}
		if (tag) {
			log_error("%s:%lu: tags are not supported", file, line);
			yaml_event_delete(&e);
			break;
		}
		if (e.type == YAML_SEQUENCE_END_EVENT ||
		    e.type == YAML_MAPPING_END_EVENT)
			depth--;
		if ((e.type == YAML_SEQUENCE_START_EVENT ||
		     e.type == YAML_MAPPING_START_EVENT) &&
		    ++depth > MAX_DEPTH) {
			log_error("%s:%lu: nested more than %d levels deep",
				  file, line, MAX_DEPTH);
			yaml_event_delete(&e);
			break;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	return rc;
}

int config_load_yaml(struct vm_config *cfg, const char *text, size_t len,
		     const char *filename)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct yaml_ctx y = { .cfg = cfg, .doc = &doc, .file = filename };
	int rc;

	/*
	 * The input is UTF-8 only, so libyaml does not look for a byte order
	 * mark: an optional UTF-8 one is skipped here (it holds no newline,
	 * so lines keep their numbers).
	 */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	rc = scan_events(text, len, filename);
	if (rc > 0) {
		log_error("%s:1: the file is empty: expected VM settings",
			  filename);
		return -1;
	}
	if (rc < 0)
		return -1;

	if (!yaml_parser_initialize(&parser)) {
		log_error("%s: out of memory", filename);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	if (!yaml_parser_load(&parser, &doc)) {
		parser_error(&parser, text, len, filename);
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root)) {
		log_error("%s:%lu: the document is empty: expected VM settings",
			  filename, (unsigned long)doc.start_mark.line + 1);
		rc = -1;
	} else {
		rc = load_root(&y, root);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int config_load_yaml_file(struct vm_config *cfg, const char *path)
{
	size_t len = 0, cap = 64 << 10;
	char *buf;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(cap);
	if (!buf) {
		log_error("%s: out of memory", path);
		close(fd);
		return -1;
	}
	/* Read to the end, whatever the file is (a pipe has no size). */
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > YAML_FILE_MAX) {
				log_error("%s: larger than 1 MiB, too large "
					  "for a VM file",
					  path);
				goto fail;
			}
			cap *= 2;
			if (cap > YAML_FILE_MAX + 1)
				cap = YAML_FILE_MAX + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				log_error("%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > YAML_FILE_MAX) {
		log_error("%s: larger than 1 MiB, too large for a VM file",
			  path);
		goto fail;
	}
	close(fd);
	rc = config_load_yaml(cfg, buf, len, path);
	free(buf);
	return rc;
fail:
	close(fd);
	free(buf);
	return -1;
}
