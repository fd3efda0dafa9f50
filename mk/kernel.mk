# Guest kernel: Debian's linux-source-6.1 + guest/kernel/mvm.config, built out
# of tree and cached outside the work tree (docs/kernel.md). The build script
# decides whether anything needs building, so a second `make kernel` takes
# a second. build/vmlinux links to the cached kernel.
.PHONY: kernel harness-kernel

kernel:
	@out=$$(guest/kernel/build-kernel kernel guest/kernel/mvm.config) && path=$$(echo "$$out" | tail -n 1) && \
	mkdir -p $(BUILD) && ln -sfn "$$path" $(BUILD)/vmlinux && \
	echo "kernel: $$path"

# The kernel of the scripts/with-kvm QEMU machine (KVM built in). with-kvm
# builds it on first use; this target only lets it be built ahead of time.
harness-kernel:
	@out=$$(guest/kernel/build-kernel harness scripts/harness/harness.config) && path=$$(echo "$$out" | tail -n 1) && \
	echo "harness kernel: $$path"

# Installs the guest kernel where the library looks after MVM_KERNEL
# (docs/kernel.md): $(PREFIX)/share/mvm/vmlinux.
.PHONY: install-kernel
install-kernel: kernel
	install -d $(DESTDIR)$(PREFIX)/share/mvm
	install -m 644 $(BUILD)/vmlinux $(DESTDIR)$(PREFIX)/share/mvm/vmlinux
