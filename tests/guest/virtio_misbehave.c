// SPDX-License-Identifier: MIT
/*
 * A misbehaving virtio driver, run as a program inside the test guest: it
 * takes a virtio PCI device away from the kernel's driver, drives it from
 * user space through the BAR (sysfs resource0) with rings in its own
 * locked memory (guest-physical addresses from /proc/self/pagemap), and
 * hands the device one broken request. It checks that the device reports
 * DEVICE_NEEDS_RESET with a config-change in the ISR, then resets it and
 * shows that a good request works again.
 *
 *   virtio-misbehave BDF good|outside|loop|direction|header
 *
 * Prints "misbehave: CASE ..." lines and exits 0 when the device behaved
 * as the virtio spec requires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3

#define STATUS_ACK 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 0x40

#define DESC_NEXT 1
#define DESC_WRITE 2
#define QSIZE 16

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct dev {
	char sysfs[256];
	volatile uint8_t *bar;
	uint32_t common, notify, isr, notify_mult;
	/* One page of rings and one of data, with their guest addresses. */
	uint8_t *ring, *data;
	uint64_t ring_pa, data_pa;
	uint16_t avail_idx;
};

static __attribute__((noreturn)) void die(const char *what)
{
	printf("misbehave: error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			printf("misbehave: %s: %s\n", path, strerror(errno));
		close(fd);
	}
}

static uint64_t phys_addr(void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &entry, 8, (uintptr_t)p / 4096 * 8) != 8)
		die("pagemap");
	close(fd);
	if (!(entry >> 63) || !(entry & ((1ull << 55) - 1))) {
		errno = EFAULT;
		die("page not present");
	}
	return (entry & ((1ull << 55) - 1)) * 4096 + (uintptr_t)p % 4096;
}

static uint8_t r8(struct dev *d, uint32_t off)
{
	return d->bar[off];
}

static uint16_t r16(struct dev *d, uint32_t off)
{
	return *(volatile uint16_t *)(d->bar + off);
}

static uint32_t r32(struct dev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->bar + off);
}

static void w8(struct dev *d, uint32_t off, uint8_t v)
{
	d->bar[off] = v;
}

static void w16(struct dev *d, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)(d->bar + off) = v;
}

static void w32(struct dev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->bar + off) = v;
}

static void w64(struct dev *d, uint32_t off, uint64_t v)
{
	w32(d, off, (uint32_t)v);
	w32(d, off + 4, v >> 32);
}

/* Takes the device from its driver and finds its virtio structures. */
static void dev_open(struct dev *d, const char *bdf)
{
	uint8_t cfg[256];
	char path[512];
	int fd;

	snprintf(d->sysfs, sizeof(d->sysfs), "/sys/bus/pci/devices/%s", bdf);
	snprintf(path, sizeof(path), "%s/driver/unbind", d->sysfs);
	sysfs_write(path, bdf);
	snprintf(path, sizeof(path), "%s/config", d->sysfs);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, cfg, sizeof(cfg), 0) != sizeof(cfg))
		die("config");
	/* Memory decoding and bus mastering on; INTx off (nobody handles it). */
	cfg[4] |= 0x06;
	cfg[5] |= 0x04;
	if (pwrite(fd, cfg + 4, 2, 4) != 2)
		die("command");
	close(fd);
	for (unsigned int p = cfg[0x34]; p && p < 0xf0; p = cfg[p + 1]) {
		uint32_t off;

		if (cfg[p] != 0x09 || cfg[p + 4] != 0)
			continue; /* not a virtio structure in BAR 0 */
		memcpy(&off, cfg + p + 8, 4);
		switch (cfg[p + 3]) {
		case VIRTIO_PCI_CAP_COMMON:
			d->common = off;
			break;
		case VIRTIO_PCI_CAP_NOTIFY:
			d->notify = off;
			memcpy(&d->notify_mult, cfg + p + 16, 4);
			break;
		case VIRTIO_PCI_CAP_ISR:
			d->isr = off;
			break;
		}
	}
	snprintf(path, sizeof(path), "%s/resource0", d->sysfs);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		die("resource0");
	d->bar = mmap(NULL, 0x8000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (d->bar == MAP_FAILED)
		die("mmap resource0");
	if (posix_memalign((void **)&d->ring, 4096, 8192))
		die("memory");
	memset(d->ring, 0, 8192);
	if (mlock(d->ring, 8192) < 0)
		die("mlock");
	d->data = d->ring + 4096;
	d->ring_pa = phys_addr(d->ring);
	d->data_pa = phys_addr(d->data);
}

static bool wait_for(struct dev *d, bool (*done)(struct dev *d))
{
	for (int i = 0; i < 5000; i++) {
		if (done(d))
			return true;
		usleep(1000);
	}
	return done(d);
}

static bool status_zero(struct dev *d)
{
	return r8(d, d->common + 0x14) == 0;
}

/* Reset, then the driver's side of initialisation, with queue 0 live. */
static void dev_init(struct dev *d)
{
	w8(d, d->common + 0x14, 0);
	if (!wait_for(d, status_zero)) {
		printf("misbehave: error: the device does not reset\n");
		exit(1);
	}
	memset(d->ring, 0, 4096);
	d->avail_idx = 0;
	w8(d, d->common + 0x14, STATUS_ACK | STATUS_DRIVER);
	w32(d, d->common + 0x08, 1);
	w32(d, d->common + 0x0c, 1); /* VIRTIO_F_VERSION_1, nothing else */
	w32(d, d->common + 0x08, 0);
	w32(d, d->common + 0x0c, 0);
	w8(d, d->common + 0x14,
	   STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(r8(d, d->common + 0x14) & STATUS_FEATURES_OK)) {
		printf("misbehave: error: FEATURES_OK refused\n");
		exit(1);
	}
	w16(d, d->common + 0x10, 0xffff); /* no MSI-X vectors */
	w16(d, d->common + 0x16, 0);
	w16(d, d->common + 0x18, QSIZE);
	w16(d, d->common + 0x1a, 0xffff);
	w64(d, d->common + 0x20, d->ring_pa);
	w64(d, d->common + 0x28, d->ring_pa + 1024);
	w64(d, d->common + 0x30, d->ring_pa + 2048);
	w16(d, d->common + 0x1c, 1);
	w8(d, d->common + 0x14,
	   STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
}

static struct desc *desc(struct dev *d, unsigned int i)
{
	return (struct desc *)d->ring + i;
}

/* Offers the chain starting at descriptor 0 and notifies queue 0. */
static void dev_kick(struct dev *d)
{
	uint16_t *avail = (uint16_t *)(d->ring + 1024);
	uint16_t notify_off = r16(d, d->common + 0x1e);

	avail[2 + d->avail_idx % QSIZE] = 0;
	__sync_synchronize();
	avail[1] = ++d->avail_idx;
	__sync_synchronize();
	w16(d, d->notify + notify_off * d->notify_mult, 0);
}

static uint16_t used_idx(struct dev *d)
{
	return *(volatile uint16_t *)(d->ring + 2048 + 2);
}

static bool request_done(struct dev *d)
{
	return used_idx(d) == d->avail_idx;
}

static bool needs_reset(struct dev *d)
{
	return r8(d, d->common + 0x14) & STATUS_NEEDS_RESET;
}

/*
 * A request the device must serve: 64 bytes for an entropy device, or a
 * virtio-blk read of sector 0 (header, 512 bytes, status).
 */
static int good_request(struct dev *d, bool blk)
{
	uint32_t used_len;

	if (blk) {
		memset(d->data, 0, 16); /* VIRTIO_BLK_T_IN, sector 0 */
		*desc(d, 0) = (struct desc){ d->data_pa, 16, DESC_NEXT, 1 };
		*desc(d, 1) = (struct desc){ d->data_pa + 512, 512,
					     DESC_WRITE | DESC_NEXT, 2 };
		*desc(d, 2) = (struct desc){ d->data_pa + 1024 + 16, 1,
					     DESC_WRITE, 0 };
		d->data[1024 + 16] = 0xff;
	} else {
		*desc(d, 0) = (struct desc){ d->data_pa, 64, DESC_WRITE, 0 };
	}
	dev_kick(d);
	if (!wait_for(d, request_done)) {
		printf("misbehave: good request not served\n");
		return 1;
	}
	memcpy(&used_len, d->ring + 2048 + 4 + 4, 4);
	printf("misbehave: good request served, %u bytes%s\n", used_len,
	       blk && d->data[1024 + 16] == 0 ? ", status OK" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct dev d = { 0 };
	uint8_t gen, isr, status;
	bool blk;

	if (argc != 3) {
		fprintf(stderr,
			"usage: %s BDF good|outside|loop|direction|header\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	dev_open(&d, argv[1]);
	dev_init(&d);
	blk = r32(&d, d.common + 0x04) & (1u << 9); /* VIRTIO_BLK_F_FLUSH */
	if (!strcmp(argv[2], "good"))
		return good_request(&d, blk);

	gen = r8(&d, d.common + 0x15);
	(void)r8(&d, d.isr); /* reading the ISR clears it */
	if (!strcmp(argv[2], "outside")) {
		/* A buffer far beyond the guest's RAM. */
		*desc(&d, 0) =
			(struct desc){ 0x7ff000000000ull, 64, DESC_WRITE, 0 };
	} else if (!strcmp(argv[2], "loop")) {
		*desc(&d, 0) = (struct desc){ d.data_pa, 64,
					      DESC_WRITE | DESC_NEXT, 1 };
		*desc(&d, 1) = (struct desc){ d.data_pa + 64, 64,
					      DESC_WRITE | DESC_NEXT, 0 };
	} else if (!strcmp(argv[2], "direction")) {
		/* Device-writable, then device-readable: never allowed. */
		*desc(&d, 0) = (struct desc){ d.data_pa, 64,
					      DESC_WRITE | DESC_NEXT, 1 };
		*desc(&d, 1) = (struct desc){ d.data_pa + 64, 64, 0, 0 };
	} else if (!strcmp(argv[2], "header")) {
		/* A virtio-blk request with half a header. */
		*desc(&d, 0) = (struct desc){ d.data_pa, 8, DESC_NEXT, 1 };
		*desc(&d, 1) =
			(struct desc){ d.data_pa + 64, 1, DESC_WRITE, 0 };
	} else {
		fprintf(stderr, "unknown case %s\n", argv[2]);
		return 2;
	}
	dev_kick(&d);
	if (!wait_for(&d, needs_reset)) {
		printf("misbehave: %s: no DEVICE_NEEDS_RESET (status 0x%x)\n",
		       argv[2], r8(&d, d.common + 0x14));
		return 1;
	}
	status = r8(&d, d.common + 0x14);
	isr = r8(&d, d.isr);
	printf("misbehave: %s: status 0x%02x, isr 0x%x, generation %s\n",
	       argv[2], status, isr,
	       r8(&d, d.common + 0x15) != gen ? "changed" : "unchanged");
	if (!(isr & 2) || r8(&d, d.common + 0x15) == gen)
		return 1;
	/* A reset brings it back. */
	dev_init(&d);
	return good_request(&d, blk);
}
