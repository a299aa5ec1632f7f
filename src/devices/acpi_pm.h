/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_ACPI_PM_H
#define SCORPI_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/irq.h"
#include "../base/lifecycle.h"

/* Register offsets in the PM block, as the FADT describes them. */
#define ACPI_PM_EVT 0x00 /* PM1a status (2 bytes), enable (2 bytes) */
#define ACPI_PM_CNT 0x04
#define ACPI_PM_TMR 0x08
#define ACPI_PM_GPE0 0x20 /* GPE0 status, then enable */
#define ACPI_PM_GPE0_LEN 8
#define ACPI_PM_SIZE 0x80
/* The SLP_TYP of the S5 state in the DSDT's \_S5 package. */
#define ACPI_PM_SLP_TYP_S5 5

struct acpi_pm;

struct acpi_pm *acpi_pm_create(const struct irq_line *sci,
			       const struct vm_control *control);
void acpi_pm_destroy(struct acpi_pm *pm);
void acpi_pm_reset(struct acpi_pm *pm);
void acpi_pm_access(void *opaque, uint64_t offset, uint8_t *data,
		    unsigned int size, bool is_write);
/* Presses the power button: a listening guest shuts down. */
void acpi_pm_power_button(struct acpi_pm *pm);

#endif
