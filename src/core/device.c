// SPDX-License-Identifier: MIT
/*
 * The registry of devices -s, -u and -l can place. Each device file
 * registers its class with DEVICE_REGISTER (device.h), which leaves a
 * pointer in the scorpi_devices section; the linker gathers them from
 * every object file and marks the ends with __start_ and __stop_
 * symbols. Nothing here names a device.
 */
#include <string.h>

#include "device.h"

/*
 * Hidden: each program or shared library walks its own section (the
 * shared library's and that of a program linking libscorpi statically
 * never mix). Weak: a program without a single device still links, and
 * finds none.
 */
extern const struct device_class *const __start_scorpi_devices[]
	__attribute__((weak, visibility("hidden")));
extern const struct device_class *const __stop_scorpi_devices[]
	__attribute__((weak, visibility("hidden")));

static size_t class_count(void)
{
	return (size_t)(__stop_scorpi_devices - __start_scorpi_devices);
}

const struct device_class *device_find(const char *name)
{
	for (size_t i = 0; i < class_count(); i++) {
		const struct device_class *c = __start_scorpi_devices[i];

		if (!strcmp(c->name, name) ||
		    (c->alias && !strcmp(c->alias, name)))
			return c;
	}
	return NULL;
}

/*
 * The listing order: by bus, the platform's own devices first, then by
 * name; the address only breaks a tie between two classes registered
 * under one name, which the unit tests forbid.
 */
static bool class_before(const struct device_class *a,
			 const struct device_class *b)
{
	bool pa = a->flags & DEVICE_PLATFORM, pb = b->flags & DEVICE_PLATFORM;
	int n;

	if (a->bus != b->bus)
		return a->bus < b->bus;
	if (pa != pb)
		return pa;
	n = strcmp(a->name, b->name);
	if (n)
		return n < 0;
	return a < b;
}

/*
 * The i-th is the class with i classes before it. The section holds a
 * few dozen pointers, so ranking on demand costs nothing worth keeping
 * a sorted copy for, and leaves no state to set up or lock.
 */
const struct device_class *device_class_at(unsigned int i)
{
	size_t n = class_count();

	for (size_t j = 0; j < n; j++) {
		const struct device_class *c = __start_scorpi_devices[j];
		unsigned int rank = 0;

		for (size_t k = 0; k < n; k++)
			rank += k != j &&
				class_before(__start_scorpi_devices[k], c);
		if (rank == i)
			return c;
	}
	return NULL;
}

const struct device_class *device_with_flags(unsigned int flags)
{
	const struct device_class *c;

	for (unsigned int i = 0; (c = device_class_at(i)); i++) {
		if ((c->flags & flags) == flags)
			return c;
	}
	return NULL;
}

static const char *const opt_type_text[] = {
	[DEV_OPT_STRING] = "=TEXT",
	[DEV_OPT_BOOL] = "[=on|off]",
	[DEV_OPT_UINT] = "=N",
	[DEV_OPT_SIZE] = "=SIZE",
};

void device_list(FILE *out, enum dev_bus bus)
{
	const struct device_class *c;

	for (unsigned int i = 0; (c = device_class_at(i)); i++) {
		if (c->bus != bus)
			continue;
		fprintf(out, "%-16s %s\n", c->name, c->help);
		if (c->alias)
			fprintf(out, "%-16s   also called %s\n", "", c->alias);
		if (c->positional)
			fprintf(out, "%-16s   a bare first option is %s=\n", "",
				c->positional);
		for (const struct dev_opt_spec *s = c->opts; s && s->key; s++)
			fprintf(out, "%-16s   %s%s%s  %s\n", "", s->key,
				opt_type_text[s->type],
				s->repeat ? " (repeatable)" : "", s->help);
		if (!(c->flags & DEVICE_PLATFORM))
			fprintf(out, "%-16s   id=NAME  a name for it\n", "");
		if (c->bus == DEV_BUS_USB)
			fprintf(out, "%-16s   parent=ID  its USB controller\n",
				"");
	}
}
