/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the libFuzzer targets in fuzz/ (docs/fuzzing.md): a cursor over
 * the fuzzer's bytes, and a small fake guest whose RAM the input fills.
 *
 * Every target builds its state afresh for each input and frees it after,
 * so a crash reproduces from its input file alone.
 */
#ifndef MVM_FUZZ_COMMON_H
#define MVM_FUZZ_COMMON_H

#include "vmm/guest_mem.h"

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fuzzer's bytes, read front to back. Reads past the end give zeros, so
 * every input is a complete program of operations. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_empty(const struct fz *f)
{
	return f->n == 0;
}

static inline void fz_bytes(struct fz *f, void *dst, size_t len)
{
	size_t k = len < f->n ? len : f->n;
	memcpy(dst, f->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	f->p += k;
	f->n -= k;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;
	fz_bytes(f, &v, sizeof(v));
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t v;
	fz_bytes(f, &v, sizeof(v));
	return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v;
	fz_bytes(f, &v, sizeof(v));
	return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t v;
	fz_bytes(f, &v, sizeof(v));
	return v;
}

/* Hands out the next len bytes in place (fewer if the input ends). */
static inline const uint8_t *fz_take(struct fz *f, size_t len, size_t *got)
{
	const uint8_t *p = f->p;
	*got = len < f->n ? len : f->n;
	f->p += *got;
	f->n -= *got;
	return p;
}

/* Violating an invariant the fuzzer cannot see through a sanitizer: stop
 * with a crash so that libFuzzer saves the input. */
#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

/* ---- a small fake guest ------------------------------------------------ */

/* RAM does not start at 0, so that address 0 is caught. It is small, so
 * that an address the fuzzer makes up often lands inside it, and zeroing it
 * for each input is cheap. */
#define FZ_RAM_GPA 0x10000ull
#define FZ_RAM_SIZE 0x10000ull
/* Queue q's rings: descriptors at FZ_RING(q), avail at +0x1000, used at
 * +0x1800; room for 256 entries. Buffers live above FZ_BUF_GPA. */
#define FZ_RING(q) (FZ_RAM_GPA + 0x2000ull * (q))
#define FZ_MAX_QUEUES 4
#define FZ_BUF_GPA (FZ_RAM_GPA + 0x2000ull * FZ_MAX_QUEUES)
#define FZ_QSIZE_MAX 256u

struct fz_guest {
	struct guest_mem mem;
	uint8_t *ram;
};

static inline void fz_guest_init(struct fz_guest *g)
{
	static uint8_t *ram;
	if (ram == NULL)
		ram = aligned_alloc(4096, FZ_RAM_SIZE); /* kept for the process */
	memset(ram, 0, FZ_RAM_SIZE);
	g->ram = ram;
	g->mem = (struct guest_mem){.n_regions = 1, .total = FZ_RAM_SIZE};
	g->mem.regions[0] = (struct guest_mem_region){FZ_RAM_GPA, FZ_RAM_SIZE, ram};
}

static inline uint8_t *fz_gptr(struct fz_guest *g, uint64_t gpa)
{
	return g->ram + (gpa - FZ_RAM_GPA);
}

/* Writes len bytes at gpa, clipped to RAM. */
static inline void fz_gwrite(struct fz_guest *g, uint64_t gpa, const void *src, size_t len)
{
	if (gpa < FZ_RAM_GPA || gpa >= FZ_RAM_GPA + FZ_RAM_SIZE)
		return;
	uint64_t room = FZ_RAM_GPA + FZ_RAM_SIZE - gpa;
	memcpy(fz_gptr(g, gpa), src, len < room ? len : room);
}

/* A guest address: mostly inside RAM (an offset), sometimes any 64 bits,
 * so both the common and the hostile case are reached quickly. */
static inline uint64_t fz_gpa(struct fz *f)
{
	uint8_t mode = fz_u8(f);
	if (mode & 0x80)
		return fz_u64(f);
	return FZ_RAM_GPA + fz_u16(f) % FZ_RAM_SIZE;
}

/* True if [p, p + len) lies inside the fake guest's RAM. */
static inline bool fz_in_ram(const struct fz_guest *g, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)g->ram;
	return a >= lo && a - lo <= FZ_RAM_SIZE && len <= FZ_RAM_SIZE - (a - lo);
}

/* ---- scratch directories --------------------------------------------- */

/* Entries of dir, "." and ".." not counted (what a target left beside its
 * scratch space). */
static inline unsigned fz_entries_of(const char *dir)
{
	DIR *d = opendir(dir);
	FZ_CHECK(d != NULL);
	unsigned n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

#endif
