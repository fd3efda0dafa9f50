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
	    cmocka_unit_test(bad_window_is_refused_and_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
