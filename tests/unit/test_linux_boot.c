// SPDX-License-Identifier: MIT
/*
 * The bzImage direct boot: synthetic kernels in temporary files, loaded into
 * guest RAM that is only a host mapping, and checked byte by byte against the
 * Linux boot protocol (Documentation/arch/x86/boot.rst).
 */
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/guest_ram.h"
#include "x86/e820.h"
#include "x86/layout.h"
#include "x86/linux_boot.h"

#include "check.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static uint64_t rd(const uint8_t *p, size_t off, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static void wr(uint8_t *p, size_t off, unsigned int size, uint64_t v)
{
	for (unsigned int i = 0; i < size; i++)
		p[off + i] = v >> (8 * i);
}

/* A pattern no two nearby bytes or pages share. */
static uint8_t pattern(uint64_t i, uint8_t seed)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + (i >> 16) * 31 + seed);
}

/* A bzImage's header fields, with good values from img_default. */
struct img {
	uint16_t version;
	uint8_t setup_sects;
	uint8_t jump_len; /* the setup header ends at 0x202 + jump_len */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint32_t kernel_alignment;
	uint8_t relocatable;
	uint64_t pref_address;
	size_t payload_len;
};

static struct img img_default(void)
{
	return (struct img){
		.version = 0x020f,
		.setup_sects = 27,
		.jump_len = 0x6a,
		.loadflags = 0x01, /* LOADED_HIGH */
		.xloadflags = 0x7f,
		.init_size = 8 * MiB,
		.initrd_addr_max = 0x7fffffff,
		.cmdline_size = 0x7ff,
		.kernel_alignment = 0x200000,
		.relocatable = 1,
		.pref_address = 0x1000000,
		.payload_len = 3 * MiB + 12345,
	};
}

static size_t img_setup_size(const struct img *m)
{
	return ((m->setup_sects ? m->setup_sects : 4) + 1) * 512ul;
}

/* The file's bytes; the payload is pattern(i, 0x5a). */
static uint8_t *img_build(const struct img *m, size_t *len)
{
	size_t setup = img_setup_size(m);
	uint8_t *b;

	*len = setup + m->payload_len;
	b = calloc(1, *len);
	if (!b)
		abort();
	/* Real-mode code and data: a pattern the loader must not copy. */
	for (size_t i = 0; i < setup; i++)
		b[i] = pattern(i, 0xa5);
	memset(b + 0x1f1, 0, 0x202 + m->jump_len - 0x1f1);
	b[0x1f1] = m->setup_sects;
	wr(b, 0x1f2, 2, 1); /* root_flags */
	wr(b, 0x1f4, 4, (m->payload_len + 15) / 16); /* syssize */
	wr(b, 0x1fa, 2, 0xffff); /* vid_mode */
	wr(b, 0x1fe, 2, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = m->jump_len;
	memcpy(b + 0x202, "HdrS", 4);
	wr(b, 0x206, 2, m->version);
	wr(b, 0x20e, 2, 0x3c0); /* kernel_version */
	b[0x211] = m->loadflags;
	wr(b, 0x214, 4, 0x100000); /* code32_start */
	wr(b, 0x22c, 4, m->initrd_addr_max);
	wr(b, 0x230, 4, m->kernel_alignment);
	b[0x234] = m->relocatable;
	b[0x235] = 21; /* min_alignment */
	wr(b, 0x236, 2, m->xloadflags);
	wr(b, 0x238, 4, m->cmdline_size);
	wr(b, 0x248, 4, 0x3a5); /* payload_offset */
	wr(b, 0x24c, 4, 0x7b1234); /* payload_length */
	wr(b, 0x258, 8, m->pref_address);
	wr(b, 0x260, 4, m->init_size);
	wr(b, 0x264, 4, 0x190); /* handover_offset */
	wr(b, 0x268, 4, 0x4f1); /* kernel_info_offset */
	for (size_t i = 0; i < m->payload_len; i++)
		b[setup + i] = pattern(i, 0x5a);
	return b;
}

/* An unlinked temporary file holding len bytes; -1 on failure. */
static int tmp_file(const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	const uint8_t *p = data;
	int fd;

	snprintf(path, sizeof(path), "%s/scorpi-boot-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		abort();
	}
	unlink(path);
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			perror("write");
			abort();
		}
		p += n;
		len -= n;
	}
	return fd;
}

static int img_file(const struct img *m)
{
	size_t len;
	uint8_t *b = img_build(m, &len);
	int fd = tmp_file(b, len);

	free(b);
	return fd;
}

/* An initrd of len bytes, pattern(i, seed). */
static int initrd_file(size_t len, uint8_t seed)
{
	uint8_t *b = malloc(len ? len : 1);
	int fd;

	if (!b)
		abort();
	for (size_t i = 0; i < len; i++)
		b[i] = pattern(i, seed);
	fd = tmp_file(b, len);
	free(b);
	return fd;
}

/* A sparse file of len bytes, for initrds larger than we want to write. */
static int sparse_file(uint64_t len)
{
	int fd = tmp_file("", 0);

	if (ftruncate(fd, len) < 0) {
		perror("ftruncate");
		abort();
	}
	return fd;
}

/* RAM laid out as the platform does: below the PCI hole, then above 4G. */
static void ram_setup(struct guest_ram *ram, uint64_t mem_size)
{
	uint64_t low = mem_size < X86_LOW_RAM_END ? mem_size : X86_LOW_RAM_END;

	if (guest_ram_alloc(ram, mem_size) < 0 ||
	    guest_ram_add_region(ram, 0, low) < 0 ||
	    (mem_size > low &&
	     guest_ram_add_region(ram, X86_HIGH_RAM_BASE, mem_size - low) < 0))
		abort();
}

static uint8_t *gp(struct guest_ram *ram, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_ram_ptr(ram, gpa, len);

	if (!p) {
		fprintf(stderr, "no RAM at 0x%" PRIx64 "+0x%" PRIx64 "\n", gpa,
			len);
		abort();
	}
	return p;
}

/*
 * stderr is caught while the loader runs, so that a test can check that an
 * error is exactly one line.
 */
struct capture {
	int saved;
	int fd;
	char text[4096];
};

static void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->fd = tmp_file("", 0);
	c->saved = dup(STDERR_FILENO);
	if (c->saved < 0 || dup2(c->fd, STDERR_FILENO) < 0)
		abort();
}

static void capture_end(struct capture *c)
{
	ssize_t n;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	n = pread(c->fd, c->text, sizeof(c->text) - 1, 0);
	c->text[n > 0 ? n : 0] = 0;
	close(c->fd);
}

/* The captured text is one line of the logger's. */
static bool one_line(const char *text)
{
	const char *nl = strchr(text, '\n');

	return !strncmp(text, "scorpi: ", 8) && nl && !nl[1] && nl - text > 10;
}

struct load {
	struct guest_ram ram;
	uint64_t mem_size;
	struct x86_boot_state state;
	struct capture err;
	int rc;
};

/* Loads the image m (or the file kfd) with the given initrd and cmdline. */
static void load_fd(struct load *l, uint64_t mem_size, int kfd, int ifd,
		    const char *cmdline, uint64_t rsdp)
{
	struct linux_boot_files files = {
		.kernel_fd = kfd,
		.initrd_fd = ifd,
		.cmdline = cmdline,
		.rsdp_addr = rsdp,
	};

	memset(l, 0, sizeof(*l));
	l->mem_size = mem_size;
	ram_setup(&l->ram, mem_size);
	/* What the loader does not write must read as zeros afterwards. */
	memset(gp(&l->ram, X86_ZERO_PAGE_ADDR, 4096), 0xcc, 4096);
	memset(&l->state, 0xcc, sizeof(l->state));
	capture_begin(&l->err);
	l->rc = x86_linux_load(&l->ram, mem_size, &files, &l->state);
	capture_end(&l->err);
}

/* A load that must fail with one line on stderr. */
static void expect_load_error(const char *what, uint64_t mem_size, int kfd,
			      int ifd, const char *cmdline)
{
	struct load l;

	load_fd(&l, mem_size, kfd, ifd, cmdline, 0);
	if (l.rc != -1 || !one_line(l.err.text)) {
		fprintf(stderr, "%s: rc %d, stderr \"%s\"\n", what, l.rc,
			l.err.text);
	}
	CHECK_EQ(l.rc, -1);
	CHECK(one_line(l.err.text));
	printf("# %s: %s%s", what, l.err.text,
	       strchr(l.err.text, '\n') ? "" : "\n");
	guest_ram_free(&l.ram);
}

static void expect_img_error(const char *what, const struct img *m,
			     uint64_t mem_size)
{
	int fd = img_file(m);

	expect_load_error(what, mem_size, fd, -1, "console=ttyS0");
	close(fd);
}

/* Where the kernel runs: pref_address, aligned (boot.rst, init_size). */
static uint64_t runtime_end(const struct img *m)
{
	uint64_t start = m->pref_address > X86_KERNEL_ADDR ? m->pref_address
							   : X86_KERNEL_ADDR;

	if (m->relocatable)
		start = (start + m->kernel_alignment - 1) &
			~(uint64_t)(m->kernel_alignment - 1);
	return start + m->init_size;
}

/* The boot state, GDT and page tables every successful load writes. */
static void check_cpu_state(struct load *l)
{
	const uint8_t *gdt = gp(&l->ram, X86_GDT_ADDR, 32);
	const uint8_t *pml4 = gp(&l->ram, 0x9000, 4096);
	const uint8_t *pdpt = gp(&l->ram, 0xa000, 4096);
	const uint8_t *pd = gp(&l->ram, 0xb000, 4 * 4096);

	CHECK_EQ(l->state.rip, 0x100200);
	CHECK_EQ(l->state.rsi, 0x7000);
	CHECK_EQ(l->state.cr3, 0x9000);
	CHECK_EQ(l->state.gdt_base, 0x500);
	CHECK_EQ(l->state.gdt_limit, 31);
	CHECK_EQ(l->state.code_sel, 0x10);
	CHECK_EQ(l->state.data_sel, 0x18);

	CHECK_EQ(rd(gdt, 0x00, 8), 0);
	CHECK_EQ(rd(gdt, 0x10, 8), 0x00af9b000000ffffull);
	CHECK_EQ(rd(gdt, 0x18, 8), 0x00cf93000000ffffull);

	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; 2 MiB pages to 4 GiB. */
	CHECK_EQ(rd(pml4, 0, 8), 0xa000 | 0x3);
	for (unsigned int i = 1; i < 512; i++)
		if (rd(pml4, 8 * i, 8))
			CHECK_EQ(rd(pml4, 8 * i, 8), 0);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(rd(pdpt, 8 * i, 8), (0xb000 + 0x1000 * i) | 0x3);
	for (unsigned int i = 4; i < 512; i++)
		if (rd(pdpt, 8 * i, 8))
			CHECK_EQ(rd(pdpt, 8 * i, 8), 0);
	CHECK_EQ(rd(pd, 0, 8), 0x83);
	CHECK_EQ(rd(pd, 8, 8), 0x200000 | 0x83);
	CHECK_EQ(rd(pd, 8 * 511, 8), 0x3fe00000 | 0x83);
	CHECK_EQ(rd(pd, 8 * 512, 8), 0x40000000 | 0x83);
	CHECK_EQ(rd(pd, 8 * 1408, 8), 0xb0000000 | 0x83);
	CHECK_EQ(rd(pd, 8 * 2047, 8), 0xffe00000 | 0x83);
	for (unsigned int i = 0; i < 2048; i++) {
		if (rd(pd, 8 * i, 8) != (((uint64_t)i << 21) | 0x83)) {
			CHECK_EQ(rd(pd, 8 * i, 8), ((uint64_t)i << 21) | 0x83);
			break;
		}
	}
}

/* The zero page's e820 table is x86_e820_build's. */
static void check_e820(struct load *l)
{
	const uint8_t *zp = gp(&l->ram, X86_ZERO_PAGE_ADDR, 4096);
	struct e820_entry map[E820_MAX_ENTRIES];
	unsigned int n = x86_e820_build(l->mem_size, map, E820_MAX_ENTRIES);

	CHECK(n >= 3);
	CHECK_EQ(zp[0x1e8], n);
	CHECK(memcmp(zp + 0x2d0, map, n * 20) == 0);
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ(rd(zp, 0x2d0 + 20 * i, 8), map[i].addr);
		CHECK_EQ(rd(zp, 0x2d0 + 20 * i + 8, 8), map[i].size);
		CHECK_EQ(rd(zp, 0x2d0 + 20 * i + 16, 4), map[i].type);
	}
	/* The rest of the table, up to 0xcd0, is zero. */
	for (unsigned int i = 0x2d0 + 20 * n; i < 0xcd0; i++)
		if (zp[i])
			CHECK_EQ(zp[i], 0);
	/* RAM covers the kernel at 1 MiB. */
	CHECK_EQ(rd(zp, 0x2d0 + 20 * 2, 8), 0x100000);
	CHECK_EQ(rd(zp, 0x2d0 + 20 * 2 + 16, 4), E820_RAM);
}

/*
 * The zero page: the file's setup header with the loader's fields, and
 * zeros where nothing belongs.
 */
static void check_zero_page(struct load *l, const struct img *m,
			    const uint8_t *file, uint64_t rsdp)
{
	const uint8_t *zp = gp(&l->ram, X86_ZERO_PAGE_ADDR, 4096);
	size_t hdr_end = 0x202 + m->jump_len;

	CHECK_EQ(zp[0x210], 0xff); /* type_of_loader */
	CHECK_EQ(rd(zp, 0x228, 4), 0x20000); /* cmd_line_ptr */
	CHECK_EQ(rd(zp, 0xc8, 4), 0); /* ext_cmd_line_ptr */
	CHECK_EQ(rd(zp, 0x070, 8), rsdp); /* acpi_rsdp_addr */
	for (size_t off = 0x1f1; off < hdr_end; off++) {
		bool loader = off == 0x210 || (off >= 0x218 && off < 0x220) ||
			      (off >= 0x228 && off < 0x22c);

		if (!loader && zp[off] != file[off]) {
			fprintf(stderr, "setup header byte 0x%zx\n", off);
			CHECK_EQ(zp[off], file[off]);
		}
	}
	CHECK(memcmp(zp + 0x202, "HdrS", 4) == 0);
	CHECK_EQ(rd(zp, 0x206, 2), m->version);
	CHECK_EQ(rd(zp, 0x260, 4), m->init_size);
	CHECK_EQ(rd(zp, 0x264, 4), 0x190);
	/* Nothing before the header but the RSDP; nothing after it. */
	for (size_t off = 0; off < 0x1f1; off++)
		if (zp[off] && off != 0x1e8 && (off < 0x70 || off >= 0x78) &&
		    (off < 0xc0 || off >= 0xcc))
			CHECK_EQ(zp[off], 0);
	for (size_t off = hdr_end; off < 0x2d0; off++)
		if (zp[off])
			CHECK_EQ(zp[off], 0);
	for (size_t off = 0xcd0; off < 4096; off++)
		if (zp[off])
			CHECK_EQ(zp[off], 0);
}

/* The kernel's protected-mode part is at 1 MiB, byte for byte. */
static void check_payload(struct load *l, const struct img *m)
{
	const uint8_t *k = gp(&l->ram, 0x100000, m->payload_len);

	for (size_t i = 0; i < m->payload_len; i++) {
		if (k[i] != pattern(i, 0x5a)) {
			fprintf(stderr, "payload byte 0x%zx\n", i);
			CHECK_EQ(k[i], pattern(i, 0x5a));
			break;
		}
	}
	/* Not the setup code: the first bytes are the payload's. */
	CHECK_EQ(k[0], pattern(0, 0x5a));
	CHECK_EQ(k[0x200], pattern(0x200, 0x5a));
}

/*
 * The initrd: page aligned, below min(initrd_addr_max + 1, low RAM end),
 * above the memory the kernel needs, as high as it can be, intact.
 */
static void check_initrd(struct load *l, const struct img *m, uint64_t len,
			 uint8_t seed)
{
	const uint8_t *zp = gp(&l->ram, X86_ZERO_PAGE_ADDR, 4096);
	uint64_t addr = rd(zp, 0x218, 4) | rd(zp, 0xc0, 4) << 32;
	uint64_t size = rd(zp, 0x21c, 4) | rd(zp, 0xc4, 4) << 32;
	uint64_t limit = (uint64_t)m->initrd_addr_max + 1;
	uint64_t low = l->mem_size < X86_LOW_RAM_END ? l->mem_size
						     : X86_LOW_RAM_END;
	const uint8_t *p;

	if (limit > low)
		limit = low;
	CHECK_EQ(size, len);
	CHECK_EQ(addr & 0xfff, 0);
	CHECK(addr + size <= limit);
	CHECK(limit - (addr + size) < 4096);
	CHECK(addr >= 0x100000 + m->init_size);
	CHECK(addr >= runtime_end(m));
	if (addr + size > limit || addr < 0x100000)
		return;
	p = gp(&l->ram, addr, size);
	for (uint64_t i = 0; i < size; i++) {
		if (p[i] != pattern(i, seed)) {
			fprintf(stderr, "initrd byte 0x%" PRIx64 "\n", i);
			CHECK_EQ(p[i], pattern(i, seed));
			break;
		}
	}
}

static void load_and_check(const struct img *m, uint64_t mem_size,
			   uint64_t initrd_len, const char *cmdline)
{
	size_t flen;
	uint8_t *file = img_build(m, &flen);
	int kfd = tmp_file(file, flen);
	int ifd = initrd_file(initrd_len, 0x33);
	const uint64_t rsdp = 0xe0000;
	struct load l;
	const char *cl;

	load_fd(&l, mem_size, kfd, ifd, cmdline, rsdp);
	CHECK_EQ(l.rc, 0);
	CHECK_STR(l.err.text, "");
	if (l.rc == 0) {
		check_payload(&l, m);
		check_zero_page(&l, m, file, rsdp);
		check_e820(&l);
		check_initrd(&l, m, initrd_len, 0x33);
		check_cpu_state(&l);
		cl = (const char *)gp(&l.ram, 0x20000, strlen(cmdline) + 1);
		CHECK_STR(cl, cmdline);
	}
	guest_ram_free(&l.ram);
	close(ifd);
	close(kfd);
	free(file);
}

static void test_load_128m(void)
{
	struct img m = img_default();

	load_and_check(&m, 128 * MiB, 5 * MiB + 4321,
		       "console=ttyS0 root=/dev/ram0 quiet");
}

/* initrd_addr_max below the end of RAM bounds the initrd. */
static void test_load_initrd_addr_max(void)
{
	struct img m = img_default();

	m.initrd_addr_max = 0x037fffff; /* 56 MiB */
	load_and_check(&m, 128 * MiB, 1 * MiB + 1, "a");
	/* Not a page-aligned maximum: the initrd still ends below it. */
	m.initrd_addr_max = 0x037ff7ff;
	load_and_check(&m, 128 * MiB, 8192, "b");
}

/* RAM above the PCI hole: the initrd stays below it and below 2 GiB. */
static void test_load_8g(void)
{
	struct img m = img_default();

	load_and_check(&m, 8 * GiB, 3 * MiB, "console=ttyS0");
	/* A kernel that takes initrds anywhere below 4 GiB: the hole. */
	m.initrd_addr_max = 0xffffffff;
	load_and_check(&m, 8 * GiB, 3 * MiB, "console=ttyS0");
}

/* A kernel loaded at its preferred address, not relocatable. */
static void test_load_not_relocatable(void)
{
	struct img m = img_default();

	m.relocatable = 0;
	m.pref_address = 0x100000;
	m.setup_sects = 0; /* means 4 */
	load_and_check(&m, 64 * MiB, 4 * MiB, "x");
}

/* No initrd and no command line. */
static void test_load_bare(void)
{
	struct img m = img_default();
	int fd = img_file(&m);
	struct load l;
	const uint8_t *zp;

	load_fd(&l, 64 * MiB, fd, -1, NULL, 0);
	CHECK_EQ(l.rc, 0);
	CHECK_STR(l.err.text, "");
	zp = gp(&l.ram, X86_ZERO_PAGE_ADDR, 4096);
	CHECK_EQ(rd(zp, 0x218, 4), 0);
	CHECK_EQ(rd(zp, 0x21c, 4), 0);
	CHECK_EQ(rd(zp, 0xc0, 8), 0);
	CHECK_EQ(rd(zp, 0x070, 8), 0);
	CHECK_EQ(rd(zp, 0x228, 4), 0x20000);
	CHECK_EQ(*gp(&l.ram, 0x20000, 1), 0);
	check_payload(&l, &m);
	check_e820(&l);
	check_cpu_state(&l);
	guest_ram_free(&l.ram);

	/* A command line exactly cmdline_size long is taken. */
	m.cmdline_size = 16;
	close(fd);
	fd = img_file(&m);
	load_fd(&l, 64 * MiB, fd, -1, "0123456789abcdef", 0);
	CHECK_EQ(l.rc, 0);
	CHECK_STR((const char *)gp(&l.ram, 0x20000, 17), "0123456789abcdef");
	guest_ram_free(&l.ram);
	close(fd);
}

static void test_bad_kernels(void)
{
	struct img m;
	uint8_t junk[65536];
	size_t len;
	uint8_t *b;
	int fd;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = pattern(i * i, 0x11) ^ (uint8_t)(i >> 3);
	junk[0x1fe] = 0x12;
	fd = tmp_file(junk, sizeof(junk));
	expect_load_error("random bytes", 128 * MiB, fd, -1, NULL);
	close(fd);

	/* Boot signature but no "HdrS". */
	m = img_default();
	b = img_build(&m, &len);
	memcpy(b + 0x202, "HdrT", 4);
	fd = tmp_file(b, len);
	free(b);
	expect_load_error("no HdrS", 128 * MiB, fd, -1, NULL);
	close(fd);

	/* Shorter than a setup header. */
	fd = tmp_file(junk, 0x200);
	expect_load_error("tiny file", 128 * MiB, fd, -1, NULL);
	close(fd);

	m = img_default();
	m.version = 0x020b;
	expect_img_error("protocol 2.11", &m, 128 * MiB);

	m = img_default();
	m.xloadflags = 0x7e;
	expect_img_error("no XLF_KERNEL_64", &m, 128 * MiB);

	m = img_default();
	m.loadflags = 0;
	expect_img_error("no LOADED_HIGH", &m, 128 * MiB);

	m = img_default();
	m.payload_len = 0;
	expect_img_error("setup sectors only", &m, 128 * MiB);

	m = img_default();
	m.init_size = m.payload_len - 1;
	expect_img_error("init_size < payload", &m, 128 * MiB);

	/* The kernel needs more than the RAM. */
	m = img_default();
	m.init_size = 200 * MiB;
	expect_img_error("init_size > RAM", &m, 128 * MiB);

	/*
	 * It runs at 16 MiB: 24 MiB from there does not fit in 32 MiB even
	 * though 24 MiB from 1 MiB would.
	 */
	m = img_default();
	m.init_size = 24 * MiB;
	expect_img_error("init_size from pref_address > RAM", &m, 32 * MiB);

	/* Loaded but not run where pref_address asks: beyond RAM. */
	m = img_default();
	m.pref_address = 0x200000000ull;
	expect_img_error("pref_address beyond RAM", &m, 128 * MiB);
}

static void test_bad_cmdline(void)
{
	struct img m = img_default();
	char *big;
	int fd;

	m.cmdline_size = 16;
	fd = img_file(&m);
	expect_load_error("cmdline > cmdline_size", 128 * MiB, fd, -1,
			  "0123456789abcdefg");
	close(fd);

	/* Longer than the space at 0x20000, whatever the kernel says. */
	m.cmdline_size = 0x7fffffff;
	fd = img_file(&m);
	big = malloc(0x10001);
	memset(big, 'a', 0x10000);
	big[0x10000] = 0;
	expect_load_error("cmdline > 64 KiB", 128 * MiB, fd, -1, big);
	free(big);
	close(fd);
}

static void test_bad_initrd(void)
{
	struct img m = img_default();
	int kfd = img_file(&m);
	int ifd;

	/* Larger than the RAM. */
	ifd = sparse_file(200 * MiB);
	expect_load_error("initrd > RAM", 128 * MiB, kfd, ifd, NULL);
	close(ifd);

	/* Fits above 1 MiB + init_size, but not above the running kernel. */
	ifd = sparse_file(110 * MiB);
	expect_load_error("initrd over the kernel", 128 * MiB, kfd, ifd, NULL);
	close(ifd);

	/* Above initrd_addr_max. */
	close(kfd);
	m.initrd_addr_max = 0x013fffff; /* 20 MiB: the kernel runs to 24 */
	kfd = img_file(&m);
	ifd = sparse_file(4096);
	expect_load_error("initrd_addr_max below the kernel", 128 * MiB, kfd,
			  ifd, NULL);
	close(ifd);
	close(kfd);
}

static int check_quiet(int fd)
{
	struct capture c;
	int rc;

	capture_begin(&c);
	rc = x86_linux_check(fd);
	capture_end(&c);
	if (rc)
		CHECK(one_line(c.text));
	else
		CHECK_STR(c.text, "");
	return rc;
}

static void test_check(void)
{
	struct img m = img_default();
	uint8_t junk[4096] = { 0 };
	int fd;

	fd = img_file(&m);
	CHECK_EQ(check_quiet(fd), 0);
	close(fd);

	m.setup_sects = 0;
	m.payload_len = 1;
	m.init_size = 1;
	fd = img_file(&m);
	CHECK_EQ(check_quiet(fd), 0);
	close(fd);

	m = img_default();
	m.version = 0x0200;
	fd = img_file(&m);
	CHECK_EQ(check_quiet(fd), -1);
	close(fd);

	m = img_default();
	m.xloadflags = 0;
	fd = img_file(&m);
	CHECK_EQ(check_quiet(fd), -1);
	close(fd);

	m = img_default();
	m.payload_len = 0;
	fd = img_file(&m);
	CHECK_EQ(check_quiet(fd), -1);
	close(fd);

	fd = tmp_file(junk, sizeof(junk));
	CHECK_EQ(check_quiet(fd), -1);
	close(fd);

	fd = tmp_file("", 0);
	CHECK_EQ(check_quiet(fd), -1);
	close(fd);

	fd = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK_EQ(check_quiet(fd), -1);
	close(fd);
}

static int parse(const struct img *m, struct bzimage_header *h, char *err,
		 size_t errlen)
{
	size_t len;
	uint8_t *b = img_build(m, &len);
	int rc = bzimage_parse(
		b, len < BZIMAGE_HEADER_BYTES ? len : BZIMAGE_HEADER_BYTES, len,
		h, err, errlen);

	free(b);
	return rc;
}

static void test_parse(void)
{
	struct img m = img_default();
	struct bzimage_header h;
	char err[160];
	uint8_t buf[BZIMAGE_HEADER_BYTES];
	size_t len;
	uint8_t *b;

	err[0] = 0;
	CHECK_EQ(parse(&m, &h, err, sizeof(err)), 0);
	CHECK_EQ(h.version, 0x020f);
	CHECK_EQ(h.setup_size, 28 * 512);
	CHECK_EQ(h.loadflags, 0x01);
	CHECK_EQ(h.xloadflags, 0x7f);
	CHECK_EQ(h.init_size, 8 * MiB);
	CHECK_EQ(h.initrd_addr_max, 0x7fffffff);
	CHECK_EQ(h.cmdline_size, 0x7ff);
	CHECK_EQ(h.hdr_end, 0x202 + 0x6a);

	m.setup_sects = 0;
	m.jump_len = 0x44;
	m.version = 0x020c;
	CHECK_EQ(parse(&m, &h, err, sizeof(err)), 0);
	CHECK_EQ(h.setup_size, 5 * 512);
	CHECK_EQ(h.hdr_end, 0x246);
	CHECK_EQ(h.version, 0x020c);

	/* init_size exactly the payload is enough. */
	m = img_default();
	m.init_size = m.payload_len;
	CHECK_EQ(parse(&m, &h, err, sizeof(err)), 0);

	m.init_size = m.payload_len - 1;
	err[0] = 0;
	CHECK_EQ(parse(&m, &h, err, sizeof(err)), -1);
	CHECK(strstr(err, "init_size") != NULL);

	m = img_default();
	m.version = 0x020b;
	err[0] = 0;
	CHECK_EQ(parse(&m, &h, err, sizeof(err)), -1);
	CHECK(strstr(err, "2.11") != NULL);

	m = img_default();
	m.xloadflags = 0x02;
	err[0] = 0;
	CHECK_EQ(parse(&m, &h, err, sizeof(err)), -1);
	CHECK(strstr(err, "64-bit") != NULL);

	m = img_default();
	m.payload_len = 0;
	err[0] = 0;
	CHECK_EQ(parse(&m, &h, err, sizeof(err)), -1);
	CHECK(err[0] != 0);

	/* The header must be within the bytes given. */
	m = img_default();
	b = img_build(&m, &len);
	err[0] = 0;
	CHECK_EQ(bzimage_parse(b, 0x263, len, &h, err, sizeof(err)), -1);
	CHECK(err[0] != 0);
	CHECK_EQ(bzimage_parse(b, 0x264, len, &h, err, sizeof(err)), 0);
	CHECK(h.hdr_end <= 0x264);
	b[0x1fe] = 0x54;
	CHECK_EQ(bzimage_parse(b, BZIMAGE_HEADER_BYTES, len, &h, err,
			       sizeof(err)),
		 -1);
	free(b);

	memset(buf, 0, sizeof(buf));
	CHECK_EQ(bzimage_parse(buf, sizeof(buf), 1 << 20, &h, err, sizeof(err)),
		 -1);
}

/* A real kernel, when one is at hand: Debian's vmlinuz. */
static const char *real_kernel(char *path, size_t len)
{
	const char *env = getenv("SCORPI_TEST_KERNEL");
	const char *home = getenv("HOME");
	char pat[4096];
	glob_t g;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return path;
	}
	if (!home)
		return NULL;
	snprintf(pat, sizeof(pat),
		 "%s/.cache/scorpi/root-linux-image-*/boot/vmlinuz-*", home);
	if (glob(pat, 0, NULL, &g) != 0)
		return NULL;
	snprintf(path, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return path;
}

static void test_real_kernel(void)
{
	char path[4096];
	uint8_t head[BZIMAGE_HEADER_BYTES];
	struct bzimage_header h;
	struct linux_boot_files files = { .initrd_fd = -1 };
	struct x86_boot_state state;
	struct guest_ram ram;
	struct stat st;
	char err[160];
	uint8_t *k, *f;
	ssize_t got;
	int fd;

	if (!real_kernel(path, sizeof(path)))
		return;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	printf("# real kernel: %s\n", path);
	CHECK_EQ(x86_linux_check(fd), 0);
	got = pread(fd, head, sizeof(head), 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(got, sizeof(head));
	err[0] = 0;
	CHECK_EQ(bzimage_parse(head, got, st.st_size, &h, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(h.version >= 0x20c);
	CHECK(h.xloadflags & 1);
	CHECK(h.init_size >= st.st_size - h.setup_size);

	/* It loads into 512 MiB, and its payload is at 1 MiB. */
	ram_setup(&ram, 512 * MiB);
	files.kernel_fd = fd;
	files.cmdline = "console=ttyS0";
	CHECK_EQ(x86_linux_load(&ram, 512 * MiB, &files, &state), 0);
	k = gp(&ram, 0x100000, st.st_size - h.setup_size);
	f = malloc(st.st_size);
	CHECK_EQ(pread(fd, f, st.st_size, 0), st.st_size);
	CHECK(memcmp(k, f + h.setup_size, st.st_size - h.setup_size) == 0);
	free(f);
	CHECK_EQ(state.rip, 0x100200);
	guest_ram_free(&ram);
	close(fd);
}

TEST_MAIN(TEST(test_parse), TEST(test_check), TEST(test_load_128m),
	  TEST(test_load_initrd_addr_max), TEST(test_load_8g),
	  TEST(test_load_not_relocatable), TEST(test_load_bare),
	  TEST(test_bad_kernels), TEST(test_bad_cmdline), TEST(test_bad_initrd),
	  TEST(test_real_kernel))
