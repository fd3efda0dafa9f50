#!/usr/bin/env bash
# `mvm pull` against `skopeo copy` + `umoci unpack --rootless`, side by side
# in one run, from one registry (Debian's docker-registry) on 127.0.0.1:
# a multi-layer image made from build/rootfs (the root; 2000 small files;
# 24 MiB of data that compresses badly; a small top layer), pulled into an
# empty store RUNS times each (median), then a second image that shares
# every layer but a new top one, pulled after the first. No KVM needed.
# Prints times and ratios (skopeo+umoci over mvm: above 1 is mvm faster).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MVM=${MVM:-$BUILD/mvm}
RUNS=${RUNS:-3}
for tool in docker-registry skopeo umoci curl; do
	command -v "$tool" >/dev/null || { echo "bench/pull: $tool is missing" >&2; exit 1; }
done
[ -x "$MVM" ] || { echo "bench/pull: $MVM is missing (make)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mvm-bench-pull.XXXXXX")
trap 'kill $(cat "$T/reg.pid" 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
port=$((20000 + RANDOM % 20000))
cat >"$T/reg.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $T/reg}}
http: {addr: "127.0.0.1:$port"}
EOF
docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
echo $! >"$T/reg.pid"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

# The image: four layers, then a fifth for the second image.
umoci init --layout "$T/oci" >/dev/null
umoci new --image "$T/oci:a" >/dev/null
umoci unpack --rootless --image "$T/oci:a" "$T/b" >/dev/null
cp -a "$BUILD/rootfs/." "$T/b/rootfs/"
umoci repack --refresh-bundle --image "$T/oci:a" "$T/b" >/dev/null
mkdir -p "$T/b/rootfs/usr/share/many"
for i in $(seq 1 2000); do echo "file $i of many small ones" >"$T/b/rootfs/usr/share/many/f$i"; done
umoci repack --refresh-bundle --image "$T/oci:a" "$T/b" >/dev/null
head -c $((24 << 20)) /dev/urandom >"$T/b/rootfs/usr/share/blob"
umoci repack --refresh-bundle --image "$T/oci:a" "$T/b" >/dev/null
echo top >"$T/b/rootfs/etc/top"
umoci repack --refresh-bundle --image "$T/oci:a" "$T/b" >/dev/null
umoci tag --image "$T/oci:a" b >/dev/null
echo second >"$T/b/rootfs/etc/second"
umoci repack --refresh-bundle --image "$T/oci:b" "$T/b" >/dev/null
reg=127.0.0.1:$port/bench/img
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:a" "docker://$reg:a"
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:b" "docker://$reg:b"

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

: >"$T/mvm.ms"
: >"$T/su.ms"
for _ in $(seq 1 "$RUNS"); do
	rm -rf "$T/store" "$T/dst" "$T/bundle"
	t0=$(now)
	MVM_HOME=$T/store "$MVM" pull -q --tls-verify=false "$reg:a" >/dev/null
	t1=$(now)
	ms "$t0" "$t1" >>"$T/mvm.ms"
	t0=$(now)
	skopeo copy -q --src-tls-verify=false "docker://$reg:a" "oci:$T/dst:a"
	umoci unpack --rootless --image "$T/dst:a" "$T/bundle" >/dev/null
	t1=$(now)
	ms "$t0" "$t1" >>"$T/su.ms"
done
m=$(median <"$T/mvm.ms")
s=$(median <"$T/su.ms")

# The second image, after the first: only its new layer is new.
t0=$(now)
MVM_HOME=$T/store "$MVM" pull --tls-verify=false "$reg:b" >/dev/null 2>"$T/second.err"
t1=$(now)
m2=$(ms "$t0" "$t1")
fetched=$(grep -c '^Fetched blob' "$T/second.err" || true)
rm -rf "$T/bundle2"
t0=$(now)
skopeo copy -q --src-tls-verify=false "docker://$reg:b" "oci:$T/dst:b"
umoci unpack --rootless --image "$T/dst:b" "$T/bundle2" >/dev/null
t1=$(now)
s2=$(ms "$t0" "$t1")

size=$(MVM_HOME=$T/store "$MVM" images --format json | awk -F'"size": ' 'NF > 1 { split($2, a, ","); print int(a[1] / 1000000); exit }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "pull: a 4-layer image ($size MB as stored) from docker-registry on loopback, median of $RUNS"
printf '  %-44s %8s %8s %7s\n' "" "mvm ms" "s+u ms" "ratio"
printf '  %-44s %8s %8s %7s\n' "pull and unpack into an empty store" "$m" "$s" "$(ratio "$s" "$m")"
printf '  %-44s %8s %8s %7s\n' "a second image sharing all layers but one" "$m2" "$s2" "$(ratio "$s2" "$m2")"
echo "  (s+u: skopeo copy + umoci unpack --rootless; ratio s+u / mvm, above 1: mvm faster)"
echo "  the second mvm pull fetched $fetched blobs (its config and its new layer)"
