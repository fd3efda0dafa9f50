/* SPDX-License-Identifier: Apache-2.0 */
/* Intel MultiProcessor Specification 1.4, chapter 4. */
#include "arch/x86_64/mptable.h"
#include "arch/x86_64/layout.h"
#include "util/error.h"

#include <string.h>

#define IOAPIC_PINS 24

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4 };
enum { MP_IRQ_INT = 0, MP_IRQ_NMI = 1, MP_IRQ_EXTINT = 3 };
#define CPU_ENABLED 1
#define CPU_BOOTPROCESSOR 2
#define APIC_VERSION 0x14
#define IOAPIC_VERSION 0x11

static uint8_t checksum(const void *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return (uint8_t)-sum;
}

int mptable_write(const struct guest_mem *m, uint64_t gpa, uint64_t max_len, unsigned num_vcpus,
		  const unsigned *irqs, unsigned n_irqs, mvm_error **err)
{
	(void)irqs;
	(void)n_irqs;
	size_t entries_len = num_vcpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
			     sizeof(struct mpc_ioapic) + (IOAPIC_PINS + 2) * sizeof(struct mpc_intsrc);
	size_t total = sizeof(struct mpf_intel) + sizeof(struct mpc_table) + entries_len;
	if (num_vcpus == 0 || num_vcpus > 254 || total > max_len)
		return mvm_err(err, MVM_ERR_INVALID, 0, "MP table for %u vCPUs needs %zu bytes, %llu available",
			       num_vcpus, total, (unsigned long long)max_len);
	uint8_t *base = gpa_slice(m, gpa, total);
	if (base == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "MP table does not fit in guest RAM");
	memset(base, 0, total);

	struct mpf_intel *mpf = (struct mpf_intel *)base;
	struct mpc_table *mpc = (struct mpc_table *)(mpf + 1);
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint16_t count = 0;
	/* The IOAPIC's id must differ from every local APIC id. */
	uint8_t ioapic_id = (uint8_t)(num_vcpus + 1);

	for (unsigned i = 0; i < num_vcpus; i++) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = APIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = 0x600, /* family 6: only used for legacy checks */
			.featureflag = 0x201, /* FPU, APIC */
		};
		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
		count++;
	}
	struct mpc_bus bus = {.type = MP_BUS, .busid = 0, .bustype = {'I', 'S', 'A', ' ', ' ', ' '}};
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	count++;
	struct mpc_ioapic io = {.type = MP_IOAPIC,
				.apicid = ioapic_id,
				.apicver = IOAPIC_VERSION,
				.flags = 1,
				.apicaddr = (uint32_t)LAYOUT_IOAPIC_ADDR};
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	count++;
	for (uint8_t pin = 0; pin < IOAPIC_PINS; pin++) {
		struct mpc_intsrc s = {.type = MP_INTSRC,
				       .irqtype = MP_IRQ_INT,
				       .srcbus = 0,
				       .srcbusirq = pin,
				       .dstapic = ioapic_id,
				       .dstirq = pin};
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
		count++;
	}
	/* LINT0 carries the 8259's ExtINT, LINT1 the NMI, on every CPU. */
	struct mpc_intsrc lint[2] = {
		{.type = MP_LINTSRC, .irqtype = MP_IRQ_EXTINT, .dstapic = 0xff, .dstirq = 0},
		{.type = MP_LINTSRC, .irqtype = MP_IRQ_NMI, .dstapic = 0xff, .dstirq = 1},
	};
	memcpy(p, lint, sizeof(lint));
	p += sizeof(lint);
	count += 2;

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = (uint16_t)(p - (uint8_t *)mpc);
	mpc->spec = 4;
	memcpy(mpc->oem, "MVM     ", 8);
	memcpy(mpc->product, "MVM 0.1     ", 12);
	mpc->oemcount = count;
	mpc->lapic = (uint32_t)LAYOUT_LAPIC_ADDR;
	mpc->checksum = checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(gpa + sizeof(*mpf));
	mpf->length = 1;
	mpf->spec_rev = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
