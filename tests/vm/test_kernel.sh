# The guest kernel that `make kernel` left in build/vmlinux: an ELF with an
# entry point and the PVH note, built from a config in which every option of
# guest/kernel/mvm.config stuck. Also proves check-config rejects a config
# that dropped an option.
. "$VM_TESTS/lib.sh"
root=$(cd "$VM_TESTS/../.." && pwd)
kernel=$BUILD/vmlinux

if [ ! -f "$kernel" ]; then
	fail kernel_built "$kernel missing (make kernel)"
	exit 0
fi
case $(head -c 4 "$kernel" | od -An -c | tr -d ' ') in
177ELF) ok kernel_is_elf ;;
*) fail kernel_is_elf "$kernel is not an ELF file" ;;
esac
entry=$(readelf -h "$kernel" | awk '/Entry point/ { print $4 }')
if [ -n "$entry" ] && [ "$entry" != 0x0 ]; then ok kernel_has_entry; else fail kernel_has_entry "entry '$entry'"; fi
if readelf -n "$kernel" | grep -q 'Xen.*0x00000012'; then ok kernel_has_pvh_note; else fail kernel_has_pvh_note "no XEN_ELFNOTE_PHYS32_ENTRY"; fi
if readelf -S "$kernel" | grep -q '\.debug_'; then fail kernel_stripped "debug sections left"; else ok kernel_stripped; fi

config=$(dirname "$(readlink -f "$kernel")")/config
if out=$("$root/guest/kernel/check-config" "$root/guest/kernel/mvm.config" "$config" 2>&1); then
	ok kernel_config_matches_fragment
else
	fail kernel_config_matches_fragment "$out"
fi

# A config that lost CONFIG_VIRTIO_FS must be rejected, naming the option.
tmp=$(mktemp)
grep -v '^CONFIG_VIRTIO_FS=' "$config" > "$tmp"
if out=$("$root/guest/kernel/check-config" "$root/guest/kernel/mvm.config" "$tmp" 2>&1); then
	fail check_config_rejects_dropped_option "accepted a config without CONFIG_VIRTIO_FS"
elif [[ $out == *CONFIG_VIRTIO_FS* ]]; then
	ok check_config_rejects_dropped_option
else
	fail check_config_rejects_dropped_option "message does not name the option: $out"
fi
rm -f "$tmp"
