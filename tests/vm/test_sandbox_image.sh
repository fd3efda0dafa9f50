#!/usr/bin/env bash
# An image sandbox (docs/sandbox.md): its writable layer lives in the
# sandbox's upper/ and survives stop and start, the image never changes,
# stop shuts the guest down (the exec'd programs get SIGTERM too), stats
# counts what the guest wrote, and rm takes the layer with it.
. "$(dirname "$0")/guest.sh"

image_test_setup sandbox-image
layout=$BASE/oci
if ! "$(dirname "$0")/../../scripts/make-test-image" "$ROOT" "$layout" "$BASE/bundle" >"$WORK/mk.log" 2>&1; then
	fail "the test image is made" "$(tail -5 "$WORK/mk.log")"
	exit 1
fi
export MVM_HOME=$BASE/store XDG_RUNTIME_DIR=$WORK/run
mkdir -p "$XDG_RUNTIME_DIR"
M() { timeout -k 5 600 "$MVM" "$@"; }
state() { M ps --format json | jq -r --arg n "$1" '.[] | select(.name == $n) | .state + (if .exit_status != null then " " + (.exit_status | tostring) else "" end)'; }
"$MVM" load -q --name img "$layout" >"$WORK/load.out" 2>&1
expect_eq "mvm load" "Loaded image: docker.io/library/img:latest" "$(cat "$WORK/load.out")"
layers_sum() { (cd "$MVM_HOME/layers" && find . -printf '%p %s %m %T@\n' | sort | sha256sum); }
before=$(layers_sum)

M create --name ibox --memory 256 img /bin/sh -c 'while [ ! -e /tmp/stop ]; do sleep 1; done' >/dev/null 2>"$WORK/create.err"
expect_eq "create from an image" "created" "$(state ibox)" "$(cat "$WORK/create.err")"
M start ibox >/dev/null 2>"$WORK/start.err"
expect_eq "start" "running" "$(state ibox)" "$(cat "$WORK/start.err")"
M exec --timeout 600 ibox /bin/sh -c 'echo kept >/etc/layer2 && rm /etc/group &&
	dd if=/dev/zero of=/big bs=65536 count=32 2>/dev/null && sync && echo done' >"$WORK/w.out" 2>&1
expect_eq "exec writes into the writable layer" "done" "$(cat "$WORK/w.out")"

# stats: the counters of its VM process.
M stats --format json ibox >"$WORK/stats.json" 2>"$WORK/stats.err"
expect_eq "stats --format json" 0 "$?" "$(cat "$WORK/stats.err")"
expect_eq "... names the sandbox, 256 MiB of guest RAM" "ibox 268435456" \
	"$(jq -r '.[0].name + " " + (.[0].ram_bytes | tostring)' "$WORK/stats.json")"
expect_eq "... counts the 2 MiB the guest wrote through its share" true \
	"$(jq '.[0].fs_write_bytes >= 2097152 and .[0].fs_requests > 0' "$WORK/stats.json")" "$(cat "$WORK/stats.json")"
expect_eq "... and CPU time, resident memory, uptime, the exec's vsock bytes" true \
	"$(jq '.[0].process_cpu_ns > 0 and .[0].vcpu_cpu_ns > 0 and .[0].process_rss_bytes > 0 and .[0].ram_resident_bytes > 0 and .[0].uptime_ns > 0 and .[0].vsock_tx_bytes > 0' "$WORK/stats.json")" \
	"$(cat "$WORK/stats.json")"
M stats >"$WORK/stats.txt" 2>&1
expect_eq "stats without a name: a table of the running ones" "NAME ibox" \
	"$(awk '{print $1}' "$WORK/stats.txt" | tr '\n' ' ' | sed 's/ $//')" "$(cat "$WORK/stats.txt")"

# stop: SIGTERM reaches a program exec started too, which ends on its own
# terms (status 3), and the VM ends cleanly (its program's 143).
M exec ibox /bin/sh -c 'trap "echo term >/exec-term; sync; exit 3" TERM; echo ready; while :; do sleep 1; done' >"$WORK/bg.out" 2>&1 &
bg=$!
for _ in $(seq 1 600); do grep -q ready "$WORK/bg.out" 2>/dev/null && break; sleep 0.2; done
M stop ibox >"$WORK/stop.out" 2>&1
wait "$bg"
expect_eq "stop: an exec'd program gets SIGTERM and exits its way" 3 "$?" "$(cat "$WORK/bg.out")"
expect_eq "stop: the sandbox ends with its program's status" "exited 143" "$(state ibox)"
M stats ibox >/dev/null 2>"$WORK/stats2.err"
expect_eq "stats of a stopped sandbox fails" 125 "$?"
expect_contains "... saying it is not running" "$WORK/stats2.err" "not running"

M start ibox >/dev/null 2>&1
M exec --timeout 600 ibox /bin/sh -c 'cat /etc/layer2 /exec-term; [ -e /etc/group ] || echo no-group; wc -c </big' >"$WORK/k.out" 2>&1
expect_eq "start again: the writable layer is kept" "kept
term
no-group
2097152" "$(cat "$WORK/k.out")"
M stop ibox >/dev/null 2>&1
expect_eq "the image did not change" "$before" "$(layers_sum)"
mvm_run_img() { timeout -k 5 600 "$MVM" run --memory 128 img /bin/sh -c 'cat /etc/layer2; [ -e /big ] || echo no-big'; }
expect_eq "a run of the image starts from the image" "layer2
no-big" "$(mvm_run_img 2>&1)"
up=$MVM_HOME/sandboxes/ibox/upper
[ -d "$up" ] && ok "the layer is in the sandbox's upper/" || fail "the layer is in the sandbox's upper/" "$(ls -la "$MVM_HOME/sandboxes/ibox" 2>&1)"
M rm ibox >/dev/null 2>&1
[ ! -e "$MVM_HOME/sandboxes/ibox" ] && ok "rm takes the layer with it" || fail "rm takes the layer with it" "$(ls -la "$MVM_HOME/sandboxes/ibox" 2>&1)"
finish
