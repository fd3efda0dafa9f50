/* SPDX-License-Identifier: Apache-2.0 */
/* Host memory behind KVM's memory slots, on a real VM fd (no vCPU runs).
 * KVM gives the guest a 2 MiB page with one nested page table entry only
 * where the slot's host address is 2 MiB aligned like its guest address,
 * which guest RAM in transparent huge pages depends on. Skipped where
 * /dev/kvm cannot create a VM (tests/vm/test_kvm_smoke.sh runs it where it
 * can). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/error.h"
#include "vmm/kvm.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define MIB (1ull << 20)

static void open_or_skip(struct kvm *k)
{
	mvm_error *err = NULL;
	if (kvm_open(k, &err) < 0) {
		mvm_error_free(err);
		skip();
	}
}

static void guest_ram_is_2mib_aligned(void **state)
{
	(void)state;
	struct kvm k;
	open_or_skip(&k);
	/* 5 MiB: a length the kernel does not align by itself (Linux aligns
	 * large anonymous mappings only when they are whole 2 MiB pages). */
	struct guest_mem m = {
	    .regions = {{.gpa = 0, .size = 5 * MIB}},
	    .n_regions = 1,
	    .total = 5 * MIB,
	};
	mvm_error *err = NULL;
	if (kvm_map_memory(&k, &m, &err) < 0)
		fail_msg("%s", mvm_error_get_message(err));
	assert_int_equal((uintptr_t)m.regions[0].host % (2 * MIB), 0);
	m.regions[0].host[5 * MIB - 1] = 1;
	kvm_close(&k);
	kvm_unmap_memory(&m);
}

/* DAX windows as mvm makes them (docs/fuse.md): a file mapped there in
 * huge pages reaches the guest in huge pages only if the window is 2 MiB
 * aligned on the host. Pages mapped in between move the next free address
 * by 4 KiB each time. */
static void dax_windows_are_2mib_aligned(void **state)
{
	(void)state;
	struct kvm k;
	open_or_skip(&k);
	void *shims[4];
	uint8_t *hosts[4];
	for (int i = 0; i < 4; i++) {
		shims[i] = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(shims[i] != MAP_FAILED);
		mvm_error *err = NULL;
		if (kvm_map_window(&k, 10 + (uint32_t)i, (4ull + (uint64_t)i) << 30, 256 * MIB,
				   &hosts[i], &err) < 0)
			fail_msg("%s", mvm_error_get_message(err));
		assert_int_equal((uintptr_t)hosts[i] % (2 * MIB), 0);
		/* The whole window is readable and writable. */
		hosts[i][0] = 1;
		hosts[i][256 * MIB - 1] = 2;
	}
	kvm_close(&k);
	for (int i = 0; i < 4; i++) {
		munmap(hosts[i], 256 * MIB);
		munmap(shims[i], 4096);
	}
}

static void bad_window_is_refused_and_leaves_nothing(void **state)
{
	(void)state;
	struct kvm k;
	open_or_skip(&k);
	mvm_error *err = NULL;
	uint8_t *host = NULL;
	/* A guest address that is not page aligned: KVM refuses the slot. */
	assert_int_equal(kvm_map_window(&k, 20, (4ull << 30) + 4096 + 1, 2 * MIB, &host, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(mvm_error_get_message(err), "DAX window"));
	assert_null(host);
	mvm_error_free(err);
	kvm_close(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(guest_ram_is_2mib_aligned),
	    cmocka_unit_test(dax_windows_are_2mib_aligned),
	    cmocka_unit_test(bad_window_is_refused_and_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
