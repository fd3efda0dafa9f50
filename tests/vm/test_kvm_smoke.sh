# /dev/kvm executes guest code: kvm-smoke runs a real-mode guest that writes
# 42 to port 0x10 and halts. Also proves kvm-smoke can fail.
. "$VM_TESTS/lib.sh"

if [ ! -x "$KVM_SMOKE" ]; then
	fail kvm_smoke_built "$KVM_SMOKE missing (make vm-tools)"
	exit 0
fi

out=$("$KVM_SMOKE" 2>&1) && rc=0 || rc=$?
expect_eq kvm_smoke_status 0 "$rc"
case $out in
*"guest wrote 42 to port 0x10, then halted"*) ok kvm_smoke_output ;;
*) fail kvm_smoke_output "unexpected output: $out" ;;
esac

# The negative case: a /dev/kvm that is not KVM (here /dev/null bound over
# it in a private mount namespace) must make kvm-smoke fail, with a reason.
# An ordinary user owns a mount namespace through a user namespace.
ns=(unshare -m)
[ "$(id -u)" -eq 0 ] || ns=(unshare -r -m)
if "${ns[@]}" true 2> /dev/null; then
	out=$("${ns[@]}" sh -c 'mount --bind /dev/null /dev/kvm && exec "$0"' "$KVM_SMOKE" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] && [[ $out == *"kvm-smoke: "* ]]; then
		ok kvm_smoke_detects_non_kvm
	else
		fail kvm_smoke_detects_non_kvm "status $rc, output: $out"
	fi
else
	skip kvm_smoke_detects_non_kvm "'${ns[*]}' cannot make a private mount namespace here"
fi

# The unit tests that need a /dev/kvm able to create VMs skip on a host
# without one (as CI's is); here they run, and none may skip.
for t in test_mmio_kvm test_kvm_mem; do
	bin=$BUILD/tests/$t
	if [ ! -x "$bin" ]; then
		fail "unit_$t" "$bin missing (make check-unit builds it)"
		continue
	fi
	out=$("$bin" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -eq 0 ] && [[ $out == *"PASSED"* ]] && [[ $out != *"SKIPPED"* ]]; then
		ok "unit_$t"
	else
		fail "unit_$t" "status $rc: $(echo "$out" | grep -E 'FAILED|SKIPPED|ERROR|error' | head -3 | tr '\n' '|')"
	fi
done
