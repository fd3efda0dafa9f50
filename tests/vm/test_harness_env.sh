# The environment scripts/with-kvm promises to VM tests: /dev/kvm, /tmp on
# tmpfs (sockets and fifos work there), the project tree at the same path.
. "$VM_TESTS/lib.sh"

if [ -c /dev/kvm ]; then ok dev_kvm_exists; else fail dev_kvm_exists "/dev/kvm is not a character device"; fi
[ -f "$VM_TESTS/run" ] && ok project_tree_visible || fail project_tree_visible "$VM_TESTS/run not found"

d=$(mktemp -d)
if mkfifo "$d/fifo" 2> /dev/null; then ok tmp_holds_fifos; else fail tmp_holds_fifos "mkfifo in $d failed"; fi
rm -rf "$d"

if [ "${MVM_IN_HARNESS:-}" = 1 ]; then
	fstype=$(awk '$2 == "/tmp" { t = $3 } END { print t }' /proc/mounts)
	expect_eq harness_tmp_is_tmpfs tmpfs "$fstype"
	expect_eq harness_nested_mode direct "${MVM_WITH_KVM:-}"
	n=$(grep -c '^processor' /proc/cpuinfo)
	if [ "$n" -ge 2 ]; then ok harness_smp; else fail harness_smp "$n CPUs, tests need 2"; fi
fi
