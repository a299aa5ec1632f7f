/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_AML_H
#define SCORPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A small AML (ACPI Machine Language) writer for the DSDT: names,
 * integers, strings, packages, buffers, scopes, devices and the resource
 * descriptors a PC platform needs. Nested objects are opened and closed;
 * closing fills in the package length.
 */
#define AML_MAX_DEPTH 16

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool failed; /* out of memory or unbalanced; aml_finish reports it */
	size_t open[AML_MAX_DEPTH];
	unsigned int depth;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* Returns 0 when every object was closed and nothing failed. */
int aml_finish(struct aml *a);

void aml_byte(struct aml *a, uint8_t v);
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* A name path such as "PCI0", "\\_SB_" or "\\_SB.PCI0". */
void aml_name(struct aml *a, const char *path);
void aml_eisaid(struct aml *a, const char *id);

/* Name(NAME, ...): the value follows. */
void aml_name_decl(struct aml *a, const char *name);
void aml_scope(struct aml *a, const char *path);
void aml_device(struct aml *a, const char *name);
void aml_package(struct aml *a, uint8_t elements);
/* Buffer holding resource descriptors; aml_close adds the end tag. */
void aml_resource_template(struct aml *a);
void aml_close(struct aml *a);

/* Resource descriptors, inside aml_resource_template. */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_irq(struct aml *a, unsigned int irq);
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max);

#endif
