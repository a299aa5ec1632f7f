// SPDX-License-Identifier: MIT
/*
 * What the x86 firmware is told and given beyond fw_cfg itself: the
 * bootorder file (bootindex first, lowest first, then slot order; the
 * paths OVMF's QemuBootOrderLib translates), a bootindex taken twice
 * refused, and the variable store's size for each code image.
 */
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/config.h"
#include "x86/bootrom.h"
#include "x86/firmware.h"

#include "check.h"

static void add(struct vm_config *cfg, const char *spec)
{
	CHECK_EQ(cli_add_device(cfg, DEV_BUS_PCI, spec), 0);
}

static void test_bootorder(void)
{
	struct vm_config cfg;
	char *order;

	config_init(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "vm1");
	CHECK(x86_bootorder(&cfg) == NULL);
	add(&cfg, "5:1,virtio-blk,c.img");
	add(&cfg, "3,virtio-blk,b.img");
	add(&cfg, "2,virtio-blk,a.img,bootindex=2");
	add(&cfg, "4:2,virtio-net,slirp,bootindex=1");
	add(&cfg, "6,virtio-rnd");
	order = x86_bootorder(&cfg);
	CHECK(order != NULL);
	if (order)
		CHECK_STR(order, "/pci@i0cf8/ethernet@4,2\n"
				 "/pci@i0cf8/scsi@2/disk@0,0\n"
				 "/pci@i0cf8/scsi@3/disk@0,0\n"
				 "/pci@i0cf8/scsi@5,1/disk@0,0");
	free(order);
	config_free(&cfg);
}

static void test_bootindex_taken(void)
{
	struct vm_config cfg;

	config_init(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "vm1");
	cfg.bootrom = strdup("OVMF_CODE_4M.fd");
	add(&cfg, "2,virtio-blk,a.img,bootindex=1");
	add(&cfg, "3,virtio-blk,b.img,bootindex=01");
	CHECK_EQ(config_check(&cfg), -1);
	config_free(&cfg);
}

static void test_vars_size(void)
{
	struct x86_bootrom rom = { .size = 0x37c000 };

	CHECK_EQ(x86_bootvars_size(&rom), 0x84000);
	rom.size = 0x1e0000;
	CHECK_EQ(x86_bootvars_size(&rom), 0x20000);
	rom.size = 0x200000;
	CHECK_EQ(x86_bootvars_size(&rom), 0);
	rom.size = 0x37c000;
	rom.unified = true;
	CHECK_EQ(x86_bootvars_size(&rom), 0);
}

TEST_MAIN(TEST(test_bootorder), TEST(test_bootindex_taken),
	  TEST(test_vars_size))
