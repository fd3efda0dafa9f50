/* SPDX-License-Identifier: Apache-2.0 */
/* The x86-64 guest physical memory map, in one place. */
#ifndef MVM_ARCH_X86_64_LAYOUT_H
#define MVM_ARCH_X86_64_LAYOUT_H

/* Boot-time structures live in the first 1 MiB, below the kernel. */
#define LAYOUT_GDT 0x500ull       /* 4 descriptors: null, code64, data, tss */
#define LAYOUT_IDT 0x520ull       /* empty IDT until the kernel loads its own */
#define LAYOUT_BOOT_STACK 0x8ff0ull
#define LAYOUT_ZERO_PAGE 0x7000ull /* struct boot_params */
#define LAYOUT_PML4 0x9000ull
#define LAYOUT_PDPT 0xa000ull
#define LAYOUT_PD 0xb000ull /* 4 page directories: identity map of 4 GiB in 2 MiB pages */
#define LAYOUT_PD_COUNT 4
#define LAYOUT_CMDLINE 0x20000ull
#define LAYOUT_CMDLINE_MAX 2048 /* COMMAND_LINE_SIZE of x86 Linux */
/* The MP table sits in the last KiB of base memory, where Linux's
 * smp_scan_config() looks for it (like a BIOS EBDA). */
#define LAYOUT_MPTABLE 0x9fc00ull
#define LAYOUT_EBDA_END 0xa0000ull
#define LAYOUT_HIGH_MEM 0x100000ull /* 1 MiB: RAM again after the legacy hole */

/* The kernel's ELF program headers place it (16 MiB for a default 6.1). */

/* Highest address the initramfs may end at (boot protocol initrd_addr_max). */
#define LAYOUT_INITRD_MAX 0x7fffffffull

/* RAM above this is moved to 4 GiB to leave a hole for device MMIO. */
#define LAYOUT_MMIO_GAP_START 0xc0000000ull
#define LAYOUT_MMIO_GAP_END 0x100000000ull

/* virtio-mmio devices: one 4 KiB window each, IOAPIC pins from 5 up
 * (0-4 are the PIT, keyboard, cascade and serial lines). */
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ull
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ull
#define LAYOUT_VIRTIO_IRQ_BASE 5
#define LAYOUT_VIRTIO_MAX_DEVICES 18 /* pins 5..22 of the 24-pin IOAPIC */

/* DAX windows of virtio-fs shares: above all RAM and never below 4 GiB,
 * each on a 1 GiB boundary (the guest hot-plugs them as device memory,
 * which wants section alignment), all below LAYOUT_DAX_END, which every
 * x86-64 CPU's physical address width covers (QEMU's default is 40
 * bits). */
#define LAYOUT_DAX_ALIGN (1ull << 30)
#define LAYOUT_DAX_END (1ull << 39)

#define LAYOUT_IOAPIC_ADDR 0xfec00000ull
#define LAYOUT_LAPIC_ADDR 0xfee00000ull

/* KVM needs three pages for the TSS and one for the identity map on
 * Intel; put them just below the IOAPIC, out of RAM. */
#define LAYOUT_KVM_TSS 0xfeffc000ull
#define LAYOUT_KVM_IDENTITY_MAP 0xfeffb000ull

#endif
