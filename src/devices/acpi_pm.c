// SPDX-License-Identifier: MIT
/*
 * The ACPI fixed hardware of the PM block: PM1 event and control
 * registers (SCI, power button, sleep), the PM timer at 3.579545 MHz that
 * firmware and kernels time their delays with, and GPE0. Entering S5
 * powers the VM off.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/log.h"
#include "acpi_pm.h"

#define PM1_TMR_STS 0x0001
#define PM1_PWRBTN_STS 0x0100
#define PM1_WAK_STS 0x8000
#define PM1_STS_MASK \
	(PM1_TMR_STS | 0x0020 | PM1_PWRBTN_STS | 0x0200 | 0x0400 | PM1_WAK_STS)
#define PM1_EN_MASK 0x0721
#define PM1_SCI_EN 0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN 0x2000

#define PM_TIMER_HZ 3579545ull

struct acpi_pm {
	pthread_mutex_t lock;
	struct irq_line sci;
	struct vm_control control;
	bool sci_level;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint8_t gpe0_sts[ACPI_PM_GPE0_LEN / 2];
	uint8_t gpe0_en[ACPI_PM_GPE0_LEN / 2];
	struct timespec epoch; /* the timer counts from here */
};

static void pm_update_sci(struct acpi_pm *pm)
{
	bool level = (pm->pm1_sts & pm->pm1_en) != 0;

	for (unsigned int i = 0; i < sizeof(pm->gpe0_sts); i++)
		level |= (pm->gpe0_sts[i] & pm->gpe0_en[i]) != 0;
	level &= (pm->pm1_cnt & PM1_SCI_EN) != 0;
	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

static uint32_t pm_timer(const struct acpi_pm *pm)
{
	struct timespec now;
	unsigned __int128 ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (unsigned __int128)(now.tv_sec - pm->epoch.tv_sec) * 1000000000 +
	     now.tv_nsec - pm->epoch.tv_nsec;
	return (uint32_t)(ns * PM_TIMER_HZ / 1000000000) & 0xffffff;
}

static void pm_reset_locked(struct acpi_pm *pm)
{
	pm->pm1_sts = pm->pm1_en = 0;
	/* There is no SMM to hand ACPI over: the OS owns it from the start. */
	pm->pm1_cnt = PM1_SCI_EN;
	memset(pm->gpe0_sts, 0, sizeof(pm->gpe0_sts));
	memset(pm->gpe0_en, 0, sizeof(pm->gpe0_en));
	clock_gettime(CLOCK_MONOTONIC, &pm->epoch);
	pm_update_sci(pm);
}

struct acpi_pm *acpi_pm_create(const struct irq_line *sci,
			       const struct vm_control *control)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pthread_mutex_init(&pm->lock, NULL);
	pm->sci = *sci;
	pm->control = *control;
	pm_reset_locked(pm);
	return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm_reset_locked(pm);
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts |= PM1_PWRBTN_STS;
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static uint8_t pm_read_byte(struct acpi_pm *pm, unsigned int off,
			    uint32_t timer)
{
	switch (off) {
	case ACPI_PM_EVT:
	case ACPI_PM_EVT + 1:
		return pm->pm1_sts >> (8 * (off - ACPI_PM_EVT));
	case ACPI_PM_EVT + 2:
	case ACPI_PM_EVT + 3:
		return pm->pm1_en >> (8 * (off - ACPI_PM_EVT - 2));
	case ACPI_PM_CNT:
	case ACPI_PM_CNT + 1:
		return pm->pm1_cnt >> (8 * (off - ACPI_PM_CNT));
	case ACPI_PM_TMR:
	case ACPI_PM_TMR + 1:
	case ACPI_PM_TMR + 2:
	case ACPI_PM_TMR + 3:
		return timer >> (8 * (off - ACPI_PM_TMR));
	}
	if (off >= ACPI_PM_GPE0 && off < ACPI_PM_GPE0 + ACPI_PM_GPE0_LEN / 2)
		return pm->gpe0_sts[off - ACPI_PM_GPE0];
	if (off >= ACPI_PM_GPE0 + ACPI_PM_GPE0_LEN / 2 &&
	    off < ACPI_PM_GPE0 + ACPI_PM_GPE0_LEN)
		return pm->gpe0_en[off - ACPI_PM_GPE0 - ACPI_PM_GPE0_LEN / 2];
	return 0;
}

/* Returns true when the guest entered S5. */
static bool pm_write_byte(struct acpi_pm *pm, unsigned int off, uint8_t v)
{
	unsigned int shift;

	switch (off) {
	case ACPI_PM_EVT:
	case ACPI_PM_EVT + 1:
		/* Status bits are cleared by writing ones. */
		shift = 8 * (off - ACPI_PM_EVT);
		pm->pm1_sts &= ~(((uint16_t)v << shift) & PM1_STS_MASK);
		return false;
	case ACPI_PM_EVT + 2:
	case ACPI_PM_EVT + 3:
		shift = 8 * (off - ACPI_PM_EVT - 2);
		pm->pm1_en = (pm->pm1_en & ~(0xff << shift)) |
			     (((uint16_t)v << shift) & PM1_EN_MASK);
		return false;
	case ACPI_PM_CNT:
		/* SCI_EN is read-only: the OS cannot hand ACPI back. */
		pm->pm1_cnt = (pm->pm1_cnt & 0xff01) | (v & 0x06);
		return false;
	case ACPI_PM_CNT + 1: {
		unsigned int typ = (v >> (PM1_SLP_TYP_SHIFT - 8)) & 7;

		pm->pm1_cnt = (pm->pm1_cnt & 0x00ff) |
			      ((uint16_t)(v & 0x1c) << 8);
		if (!(v & (PM1_SLP_EN >> 8)))
			return false;
		if (typ == ACPI_PM_SLP_TYP_S5)
			return true;
		log_warn(
			"guest asked for sleep type %u, which this VM does not offer",
			typ);
		return false;
	}
	}
	if (off >= ACPI_PM_GPE0 && off < ACPI_PM_GPE0 + ACPI_PM_GPE0_LEN / 2)
		pm->gpe0_sts[off - ACPI_PM_GPE0] &= ~v;
	else if (off >= ACPI_PM_GPE0 + ACPI_PM_GPE0_LEN / 2 &&
		 off < ACPI_PM_GPE0 + ACPI_PM_GPE0_LEN)
		pm->gpe0_en[off - ACPI_PM_GPE0 - ACPI_PM_GPE0_LEN / 2] = v;
	return false;
}

void acpi_pm_access(void *opaque, uint64_t offset, uint8_t *data,
		    unsigned int size, bool is_write)
{
	struct acpi_pm *pm = opaque;
	bool poweroff = false;
	uint32_t timer = 0;

	pthread_mutex_lock(&pm->lock);
	if (!is_write)
		timer = pm_timer(pm); /* one sample for all bytes */
	for (unsigned int i = 0; i < size; i++) {
		if (is_write)
			poweroff |= pm_write_byte(pm, offset + i, data[i]);
		else
			data[i] = pm_read_byte(pm, offset + i, timer);
	}
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (poweroff)
		vm_control_request(&pm->control, VM_REQ_POWEROFF);
}
