# VM integration tests: `make check-vm` runs tests/vm/run through
# scripts/with-kvm, i.e. directly where /dev/kvm can boot guests, else inside
# the QEMU-TCG harness machine (docs/with-kvm.md).
VM_KVM_SMOKE := $(BUILD)/vm/kvm-smoke

.PHONY: check-vm vm-tools
vm-tools: $(VM_KVM_SMOKE)

# A diagnostic, not part of libmvm: proves /dev/kvm executes guest code.
$(VM_KVM_SMOKE): tests/vm/kvm-smoke.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $<

check-vm: kernel rootfs cli vm-tools
	@BUILD=$(BUILD) MVM=$(BUILD)/mvm KVM_SMOKE=$(VM_KVM_SMOKE) scripts/with-kvm tests/vm/run
