/* SPDX-License-Identifier: Apache-2.0 */
/* Linux x86 boot protocol (Documentation/x86/boot.rst) for the 64-bit entry:
 * the zero page with the e820 map, the command line, the initramfs, and the
 * identity-mapped page tables and GDT that startup_64 expects. */
#include "arch/arch.h"
#include "arch/x86_64/tables.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/mptable.h"
#include "util/error.h"

#include <asm/bootparam.h>
#include <asm/e820.h>
#include <string.h>

static int add_e820(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	if (bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE)
		return -1;
	bp->e820_table[bp->e820_entries++] =
		(struct boot_e820_entry){.addr = addr, .size = size, .type = type};
	return 0;
}

int arch_setup_boot(const struct guest_mem *m, const struct arch_boot *b, mvm_error **err)
{
	size_t cmd_len = strlen(b->cmdline);
	if (cmd_len >= LAYOUT_CMDLINE_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "kernel command line of %zu bytes exceeds %d bytes", cmd_len,
			       LAYOUT_CMDLINE_MAX - 1);
	char *cmd = gpa_slice(m, LAYOUT_CMDLINE, cmd_len + 1);
	struct boot_params *bp = gpa_ptr(m, LAYOUT_ZERO_PAGE, struct boot_params);
	if (!cmd || !bp)
		return mvm_err(err, MVM_ERR_INVALID, 0, "boot data does not fit in guest RAM");
	memcpy(cmd, b->cmdline, cmd_len + 1);

	memset(bp, 0, sizeof(*bp));
	bp->hdr.type_of_loader = 0xff; /* "undefined" boot loader */
	bp->hdr.boot_flag = 0xaa55;
	bp->hdr.header = 0x53726448; /* "HdrS" */
	bp->hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
	bp->hdr.cmdline_size = (uint32_t)cmd_len;
	bp->hdr.kernel_alignment = 0x1000000;
	bp->hdr.loadflags |= LOADED_HIGH;
	if (b->initrd_len) {
		bp->hdr.ramdisk_image = (uint32_t)b->initrd_gpa;
		bp->hdr.ramdisk_size = (uint32_t)b->initrd_len;
	}

	int bad = 0;
	bad |= add_e820(bp, 0, LAYOUT_MPTABLE, E820_RAM);
	bad |= add_e820(bp, LAYOUT_MPTABLE, LAYOUT_EBDA_END - LAYOUT_MPTABLE, E820_RESERVED);
	bad |= add_e820(bp, LAYOUT_HIGH_MEM, m->regions[0].size - LAYOUT_HIGH_MEM, E820_RAM);
	for (unsigned i = 1; i < m->n_regions; i++)
		bad |= add_e820(bp, m->regions[i].gpa, m->regions[i].size, E820_RAM);
	if (bad)
		return mvm_err(err, MVM_ERR_INVALID, 0, "too many e820 entries");

	if (tables_write(m, err) < 0)
		return -1;
	return mptable_write(m, LAYOUT_MPTABLE, LAYOUT_EBDA_END - LAYOUT_MPTABLE, b->num_vcpus,
			     b->irqs, b->n_irqs, err);
}
