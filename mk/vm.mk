# VM integration tests and benchmarks. `make check-vm` runs tests/vm/run,
# which runs each test script through scripts/with-kvm, i.e. directly where
# /dev/kvm can boot guests, else in a QEMU-TCG harness machine of its own
# (docs/with-kvm.md). The tests
# drive the sanitized CLI and library, so real guest traffic runs the VMM
# under ASan and UBSan. MVM_KERNEL pins the guest kernel to this worktree's
# build/vmlinux: <cache>/kernel/current is shared by every worktree using the
# same cache and points at whichever built last.
VM_KVM_SMOKE := $(BUILD)/vm/kvm-smoke
VM_CONCURRENT := $(BUILD)/tests/vm/concurrent_vms
VM_FD_EXHAUST := $(BUILD)/tests/vm/fd_exhaust_vms
VM_LEAK := $(BUILD)/tests/vm/leak_vms
VM_FLOOD := $(BUILD)/tests/vm/flood_vms
BENCH_MKINITRD := $(BUILD)/bench/mkinitrd
VM_NETTOOL := $(BUILD)/vm/nettool
VM_MAPTOOL := $(BUILD)/vm/maptool
VM_SIGPIPE_APP := $(BUILD)/tests/vm/sigpipe_app
VM_SECCOMP_SHIM := $(BUILD)/tests/vm/seccomp_shim.so
VM_EXEC_RTT := $(BUILD)/vm/exec_rtt

.PHONY: check-vm vm-tools bench test
vm-tools: $(VM_KVM_SMOKE) $(VM_CONCURRENT) $(VM_FD_EXHAUST) $(VM_LEAK) $(VM_FLOOD) $(VM_NETTOOL) $(VM_MAPTOOL) $(VM_SIGPIPE_APP) $(VM_SECCOMP_SHIM) $(VM_EXEC_RTT)

# A diagnostic, not part of libmvm: proves /dev/kvm executes guest code.
$(VM_KVM_SMOKE): tests/vm/kvm-smoke.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $<

# LD_PRELOADed into the unsanitized CLI by test_seccomp.sh.
$(VM_SECCOMP_SHIM): tests/vm/seccomp_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -shared -fPIC -o $@ $< -ldl

# Static, like mvm-init: the same binary runs on the host and in a guest.
$(VM_NETTOOL) $(VM_MAPTOOL): $(BUILD)/vm/%: tests/vm/%.c
	@mkdir -p $(dir $@)
	$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $<

# Timing through the public API: the unsanitized library.
$(VM_EXEC_RTT): tests/vm/exec_rtt.c $(BUILD)/libmvm.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libmvm.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

# C programs driving several VMs through the public API, on the sanitized
# library.
$(VM_CONCURRENT) $(VM_LEAK) $(VM_FLOOD): $(BUILD)/tests/vm/%: $(BUILD)/san/tests/vm/%.o $(BUILD)/libmvm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $< $(BUILD)/libmvm-san.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

$(VM_SIGPIPE_APP): $(BUILD)/san/tests/vm/sigpipe_app.o $(BUILD)/libmvm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $< $(BUILD)/libmvm-san.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

$(VM_FD_EXHAUST): $(BUILD)/san/tests/vm/fd_exhaust_vms.o $(BUILD)/libmvm-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $< $(BUILD)/libmvm-san.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

# The unit tests that need a /dev/kvm able to create VMs run in the
# harness too (tests/vm/test_kvm_smoke.sh).
check-vm: kernel rootfs cli vm-tools $(BUILD)/tests/test_mmio_kvm $(BUILD)/tests/test_kvm_mem
	@BUILD=$(BUILD) MVM=$(BUILD)/mvm-san MVM_KERNEL=$(abspath $(BUILD)/vmlinux) KVM_SMOKE=$(VM_KVM_SMOKE) NETTOOL=$(abspath $(VM_NETTOOL)) \
	    MAPTOOL=$(abspath $(VM_MAPTOOL)) tests/vm/run

# Everything CI runs, ending with one total line. The fuzz targets run
# FUZZ_SECONDS (default 60) each (mk/fuzz.mk).
# A failing suite does not stop the later ones: the total line is always
# printed, and the exit status says whether everything passed. Results of an
# earlier run are removed first, so a suite that never ran counts as failed.
test:
	@r=$${RESULTS_DIR:-build/test-results}; rm -f $$r/unit $$r/cli $$r/fuzz $$r/vm; \
	rc=0; \
	$(MAKE) --no-print-directory check-unit || rc=1; \
	$(MAKE) --no-print-directory check-cli || rc=1; \
	$(MAKE) --no-print-directory check-fuzz || rc=1; \
	$(MAKE) --no-print-directory check-vm || rc=1; \
	scripts/test-summary unit cli fuzz vm || rc=1; \
	exit $$rc

$(BENCH_MKINITRD): $(BUILD)/obj/bench/mkinitrd.o $(BUILD)/libmvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libmvm.a $(LDLIBS_LIB) $(LDLIBS_EXTRA)

# mvm against QEMU microvm on the same kernel and root, in one machine:
# boot-to-exit time, TCP throughput through the port map, then the file
# system against virtiofsd (bench/fs.sh). Then, outside the emulated
# machine (no KVM needed), mvm pull against skopeo copy + umoci unpack
# (bench/pull.sh).
bench: kernel rootfs cli $(BENCH_MKINITRD) $(VM_NETTOOL)
	@BUILD=$(BUILD) MVM_KERNEL=$(abspath $(BUILD)/vmlinux) NETTOOL=$(abspath $(VM_NETTOOL)) \
	    scripts/with-kvm sh -c 'bench/boot.sh && bench/image.sh && bench/net.sh && bench/fs.sh'
	@BUILD=$(BUILD) bench/pull.sh

