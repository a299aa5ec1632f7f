// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for fw_cfg: the input is a script of port accesses
 * a hostile guest makes (selects, data reads, DMA address writes, reads
 * of the other registers) against small guest RAM whose contents (DMA
 * descriptors among them) come from the input too. The device must
 * never touch memory outside guest RAM or its items, whatever the
 * descriptors say.
 *
 * Input: a count N, then N 4-byte ops, then RAM contents from 0:
 *   [0] op % 5: 0 select, 1 data read, 2 DMA high half, 3 DMA low half
 *       (runs it), 4 access at offset [1] % 12 of size 1 << ([2] % 4)
 *   [1..3] the operand (a key, or bits of a guest address)
 */
#include <stdint.h>
#include <string.h>

#include "base/guest_ram.h"
#include "devices/fw_cfg.h"

#define RAM_BYTES 0x4000u

/* An address from 3 operand bytes: mostly inside RAM, some far out. */
static uint32_t guest_addr(const uint8_t *p)
{
	uint32_t v = p[0] | p[1] << 8 | (uint32_t)p[2] << 16;

	return v & 0x800000 ? v << 8 : v % (RAM_BYTES + 0x100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t file[] = "a file of some bytes";
	struct guest_ram ram;
	struct fw_cfg *fw;
	const uint8_t *ops;
	size_t nops, init;
	uint8_t buf[8];

	if (!size)
		return 0;
	nops = data[0];
	if (nops > (size - 1) / 4)
		nops = (size - 1) / 4;
	ops = data + 1;
	data += 1 + 4 * nops;
	size -= 1 + 4 * nops;
	init = size < RAM_BYTES ? size : RAM_BYTES;
	if (guest_ram_alloc(&ram, RAM_BYTES) < 0 ||
	    guest_ram_add_region(&ram, 0, RAM_BYTES) < 0)
		return 0;
	if (init)
		memcpy(guest_ram_ptr(&ram, 0, init), data, init);
	fw = fw_cfg_create(&ram);
	if (!fw || fw_cfg_add_file(fw, "etc/e820", file, sizeof(file)) < 0 ||
	    fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, 2) < 0) {
		fw_cfg_destroy(fw);
		guest_ram_free(&ram);
		return 0;
	}
	for (const uint8_t *op = ops; op < ops + 4 * nops; op += 4) {
		uint32_t a = guest_addr(op + 1);

		switch (op[0] % 5) {
		case 0:
			buf[0] = op[1];
			buf[1] = op[2];
			fw_cfg_port_access(fw, 0, buf, 2, true);
			break;
		case 1:
			fw_cfg_port_access(fw, 1, buf, 1 + op[1] % 8, false);
			break;
		case 2:
		case 3:
			/* The halves are big-endian on the port. */
			buf[0] = a >> 24;
			buf[1] = a >> 16;
			buf[2] = a >> 8;
			buf[3] = a;
			fw_cfg_port_access(fw, op[0] % 5 == 2 ? 4 : 8, buf, 4,
					   true);
			break;
		default: {
			unsigned int len = 1u << (op[2] % 4);
			unsigned int off = op[1] % FW_CFG_PORT_SIZE;

			if (off + len > FW_CFG_PORT_SIZE)
				len = FW_CFG_PORT_SIZE - off;
			memcpy(buf, op + 1, 3);
			fw_cfg_port_access(fw, off, buf, len, op[3] & 1);
		}
		}
	}
	fw_cfg_destroy(fw);
	guest_ram_free(&ram);
	return 0;
}
