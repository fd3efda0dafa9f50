/* SPDX-License-Identifier: Apache-2.0 */
/* Loads an ELF64 vmlinux for the 64-bit boot protocol (as Firecracker does):
 * copy each PT_LOAD segment to its physical address, enter at e_entry. */
#include "arch/arch.h"
#include "arch/x86_64/layout.h"
#include "util/error.h"

#include <elf.h>
#include <string.h>

int arch_load_kernel(const struct guest_mem *m, const void *elf, size_t len,
		     struct arch_kernel *out, mvm_error **err)
{
	const Elf64_Ehdr *eh = elf;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "kernel is not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "kernel is not an x86-64 ELF64 vmlinux (use vmlinux, not bzImage)");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return mvm_err(err, MVM_ERR_INVALID, 0, "kernel ELF has odd program header size %u",
			       eh->e_phentsize);
	uint64_t ph_bytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > len || ph_bytes > len - eh->e_phoff)
		return mvm_err(err, MVM_ERR_INVALID, 0, "kernel ELF program headers out of file");

	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)elf + eh->e_phoff);
	uint64_t end = 0;
	unsigned loaded = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset ||
		    ph[i].p_filesz > ph[i].p_memsz)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "kernel ELF segment %u lies outside the file", i);
		if (ph[i].p_paddr < LAYOUT_HIGH_MEM)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "kernel ELF segment %u at 0x%llx overlaps boot data", i,
				       (unsigned long long)ph[i].p_paddr);
		uint8_t *dst = gpa_slice(m, ph[i].p_paddr, ph[i].p_memsz);
		if (dst == NULL)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "kernel segment 0x%llx+0x%llx does not fit in guest RAM; "
				       "give the VM more memory",
				       (unsigned long long)ph[i].p_paddr,
				       (unsigned long long)ph[i].p_memsz);
		memcpy(dst, (const char *)elf + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		if (ph[i].p_paddr + ph[i].p_memsz > end)
			end = ph[i].p_paddr + ph[i].p_memsz;
		loaded++;
	}
	if (loaded == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "kernel ELF has no loadable segment");
	if (!gpa_range_ok(m, eh->e_entry, 1))
		return mvm_err(err, MVM_ERR_INVALID, 0, "kernel entry 0x%llx is outside guest RAM",
			       (unsigned long long)eh->e_entry);
	out->entry = eh->e_entry;
	out->end_gpa = end;
	return 0;
}

int arch_place_initrd(const struct guest_mem *m, const struct arch_kernel *k, size_t len,
		      uint64_t *gpa, mvm_error **err)
{
	/* Highest page-aligned spot in low RAM, as a bootloader does, so the
	 * kernel's early allocations below it stay free. */
	uint64_t top = m->regions[0].size;
	if (top > LAYOUT_INITRD_MAX + 1)
		top = LAYOUT_INITRD_MAX + 1;
	uint64_t start = (top - len) & ~0xfffull;
	if (len > top || start < k->end_gpa)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "initramfs of %zu bytes does not fit above the kernel; give the VM "
			       "more memory",
			       len);
	*gpa = start;
	return 0;
}
