// SPDX-License-Identifier: MIT
/*
 * MSI-X: the table and PBA the guest sees, vector masking and pending
 * bits, and delivery through irqfds. Everything runs under the function's
 * lock (m->dev->lock), which also guards the enable and function mask the
 * PCI core keeps, so a vector's fate is decided against one state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../base/log.h"
#include "msix.h"

#define PCI_CAP_ID_MSIX 0x11
#define MSIX_VECTOR_MASKED 0x1

int msix_init(struct msix *m, struct pci_dev *dev, unsigned int nvec,
	      unsigned int bar, uint32_t table_off, uint32_t pba_off,
	      unsigned int gsi_base)
{
	memset(m, 0, sizeof(*m));
	m->dev = dev;
	m->gsi_base = gsi_base;
	if (!nvec || nvec > 2048) {
		log_error("%s: %u MSI-X vectors cannot be", dev->name, nvec);
		return -1;
	}
	m->table = calloc(nvec, sizeof(*m->table));
	m->pending = calloc((nvec + 63) / 64, sizeof(uint64_t));
	m->fds = calloc(nvec, sizeof(int));
	if (!m->table || !m->pending || !m->fds)
		return -1;
	m->nvec = nvec;
	for (unsigned int i = 0; i < nvec; i++)
		m->fds[i] = -1;
	for (unsigned int i = 0; i < nvec; i++) {
		m->table[i].ctrl = MSIX_VECTOR_MASKED;
		m->fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->fds[i] < 0) {
			log_error("%s: eventfd: %s", dev->name,
				  strerror(errno));
			return -1;
		}
	}
	m->cap = pci_dev_add_cap(dev, PCI_CAP_ID_MSIX, 12);
	pci_cfg_set(dev, m->cap + 2, 2, nvec - 1);
	pci_cfg_set(dev, m->cap + 4, 4, table_off | bar);
	pci_cfg_set(dev, m->cap + 8, 4, pba_off | bar);
	/* Enable and mask-all are the guest's to write. */
	le_write(dev->wmask + m->cap + 2, 2,
		 PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
	pthread_mutex_lock(&dev->lock);
	dev->msix_ctrl = 0;
	dev->msix_cap = m->cap;
	dev->msix = m;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

void msix_destroy(struct msix *m)
{
	for (unsigned int i = 0; m->fds && i < m->nvec; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	}
	free(m->fds);
	free(m->table);
	free(m->pending);
	m->fds = NULL;
	m->table = NULL;
	m->pending = NULL;
	m->nvec = 0;
}

static bool msix_enabled_locked(const struct msix *m)
{
	return m->dev->msix_ctrl & PCI_MSIX_CTRL_ENABLE;
}

bool msix_enabled(struct msix *m)
{
	bool on;

	pthread_mutex_lock(&m->dev->lock);
	on = msix_enabled_locked(m);
	pthread_mutex_unlock(&m->dev->lock);
	return on;
}

static void msix_fire(struct msix *m, unsigned int v)
{
	uint64_t one = 1;

	if (write(m->fds[v], &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("%s: cannot raise MSI-X vector %u: %s", m->dev->name,
			  v, strerror(errno));
}

static bool msix_masked(const struct msix *m, unsigned int v)
{
	return (m->dev->msix_ctrl & PCI_MSIX_CTRL_MASKALL) ||
	       (m->table[v].ctrl & MSIX_VECTOR_MASKED);
}

void msix_flush_locked(struct msix *m)
{
	if (!msix_enabled_locked(m))
		return;
	for (unsigned int v = 0; v < m->nvec; v++) {
		if ((m->pending[v / 64] >> (v % 64)) & 1 &&
		    !msix_masked(m, v)) {
			m->pending[v / 64] &= ~(1ull << (v % 64));
			msix_fire(m, v);
		}
	}
}

static void msix_route(struct msix *m, unsigned int v)
{
	const struct msix_entry *e = &m->table[v];

	if (m->hv)
		hv_vm_set_msi_route(m->hv, m->gsi_base + v,
				    ((uint64_t)e->addr_hi << 32) | e->addr_lo,
				    e->data, m->dev->devfn);
}

int msix_attach(struct msix *m, struct hv_vm *hv)
{
	int ret = 0;

	pthread_mutex_lock(&m->dev->lock);
	m->hv = hv;
	for (unsigned int v = 0; hv && v < m->nvec; v++) {
		if (hv_vm_irqfd(hv, m->fds[v], m->gsi_base + v, true) < 0) {
			ret = -1;
			break;
		}
	}
	pthread_mutex_unlock(&m->dev->lock);
	return ret;
}

void msix_reset(struct msix *m)
{
	pthread_mutex_lock(&m->dev->lock);
	for (unsigned int v = 0; v < m->nvec; v++) {
		uint64_t drain;

		m->table[v] = (struct msix_entry){ .ctrl = MSIX_VECTOR_MASKED };
		if (read(m->fds[v], &drain, sizeof(drain)) < 0)
			continue; /* nothing was raised */
	}
	memset(m->pending, 0, (m->nvec + 63) / 64 * sizeof(uint64_t));
	pthread_mutex_unlock(&m->dev->lock);
}

void msix_table_access(struct msix *m, uint64_t offset, uint8_t *data,
		       unsigned int size, bool is_write)
{
	unsigned int v, word;
	uint32_t *w;

	/* Accesses are dword or qword aligned within one entry. */
	if (offset / MSIX_ENTRY_SIZE >= m->nvec || (offset & 3) ||
	    (size != 4 && size != 8) ||
	    (offset % MSIX_ENTRY_SIZE) + size > MSIX_ENTRY_SIZE) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	v = offset / MSIX_ENTRY_SIZE;
	word = (offset % MSIX_ENTRY_SIZE) / 4;
	pthread_mutex_lock(&m->dev->lock);
	w = &m->table[v].addr_lo + word;
	if (!is_write) {
		le_write(data, 4, w[0]);
		if (size == 8)
			le_write(data + 4, 4, w[1]);
	} else {
		bool was_masked = m->table[v].ctrl & MSIX_VECTOR_MASKED;

		w[0] = le_read(data, 4);
		if (size == 8)
			w[1] = le_read(data + 4, 4);
		m->table[v].ctrl &= MSIX_VECTOR_MASKED;
		/* A route follows the entry whenever the guest unmasks it. */
		if (!(m->table[v].ctrl & MSIX_VECTOR_MASKED) &&
		    (was_masked || word < 3))
			msix_route(m, v);
		msix_flush_locked(m);
	}
	pthread_mutex_unlock(&m->dev->lock);
}

void msix_pba_access(struct msix *m, uint64_t offset, uint8_t *data,
		     unsigned int size, bool is_write)
{
	unsigned int words = (m->nvec + 63) / 64;

	if (is_write)
		return; /* read-only */
	pthread_mutex_lock(&m->dev->lock);
	for (unsigned int i = 0; i < size; i++) {
		uint64_t byte = offset + i;

		data[i] = byte / 8 < words
				  ? m->pending[byte / 8] >> (8 * (byte % 8))
				  : 0;
	}
	pthread_mutex_unlock(&m->dev->lock);
}

void msix_config_written(struct msix *m, unsigned int reg, unsigned int size)
{
	if (reg + size <= m->cap + 2 || reg >= m->cap + 4)
		return;
	pthread_mutex_lock(&m->dev->lock);
	msix_flush_locked(m);
	pthread_mutex_unlock(&m->dev->lock);
}

void msix_notify(struct msix *m, unsigned int vector)
{
	if (vector >= m->nvec)
		return;
	pthread_mutex_lock(&m->dev->lock);
	/*
	 * Masked, or MSI-X off (the device saw it on and raced the guest
	 * turning it off): held in the PBA, so nothing is lost; it goes
	 * when MSI-X is on and the vector unmasked.
	 */
	if (!msix_enabled_locked(m) || msix_masked(m, vector))
		m->pending[vector / 64] |= 1ull << (vector % 64);
	else
		msix_fire(m, vector);
	pthread_mutex_unlock(&m->dev->lock);
}
