# Sourced by tests/cli/run: mvm-runtime (docs/oci.md) without a VM. Its
# config.json checks, field by field, good input and bad; the state
# machine as runc's clients drive it (create, state, start, kill, delete),
# where the VM then fails to start on a host without KVM, which the
# container reports as stopped with status 125; its errors as text and as
# --log-format json lines.

RT=${MVM_RUNTIME:-$BUILD/mvm-runtime-san}

# rt ARGS...: runs the runtime against the test's state root; sets rc,
# out and err.
rt() {
	"$RT" --root "$tmp/ocir" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# bundle NAME JQ-EDIT: a bundle whose config.json is the good one below,
# changed by the jq expression.
bundle() {
	mkdir -p "$tmp/oci-$1"
	[ -e "$tmp/oci-$1/rootfs" ] || ln -s "$(cd "$BUILD/rootfs" && pwd)" "$tmp/oci-$1/rootfs"
	jq "$2" >"$tmp/oci-$1/config.json" <<'JSON'
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/echo", "hi"],
   "env": ["PATH=/usr/bin:/bin", "TERM=xterm"], "cwd": "/",
   "capabilities": {"bounding": ["CAP_CHOWN"]}, "noNewPrivileges": true,
   "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
 "root": {"path": "rootfs", "readonly": false},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
   {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]},
   {"destination": "/dev/pts", "type": "devpts", "source": "devpts"},
   {"destination": "/sys", "type": "sysfs", "source": "sysfs"}],
 "linux": {"resources": {"memory": {"limit": 134217728}, "cpu": {"quota": 150000, "period": 100000}},
   "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "network"}],
   "maskedPaths": ["/proc/kcore"]},
 "annotations": {"org.example": "x"}}
JSON
}

# refused NAME JQ-EDIT NEEDLE: create fails with status 1, nothing left.
refused() {
	bundle "bad" "$2"
	rt create --bundle "$tmp/oci-bad" bad1
	if [ "$rc" = 1 ] && grep -qF -- "$3" <<<"$err" && [ ! -e "$tmp/ocir/bad1" ]; then pass; else
		fail "oci: $1: status $rc, want 1 and '$3' in: $err"
	fi
}

oci_test() {
	refused "ociVersion 2" '.ociVersion = "2.0.0"' 'ociVersion `2.0.0`: mvm reads 1.x'
	refused "no process" 'del(.process)' "process is required"
	refused "empty args" '.process.args = []' "process.args must be a non-empty array"
	refused "args not strings" '.process.args = ["/bin/sh", 5]' "process.args[1] must be a string"
	refused "relative cwd" '.process.cwd = "tmp"' "tmp"
	refused "no cwd" 'del(.process.cwd)' "process.cwd is required"
	refused "bad env" '.process.env = ["=x"]' "=x"
	refused "terminal without a socket" '.process.terminal = true' "process.terminal needs --console-socket"
	refused "bad console size" '.process.terminal = true | .process.consoleSize = {height: -1, width: 5}' \
		"process.consoleSize.height must be an integer"
	refused "additionalGids not ids" '.process.user.additionalGids = [10, "wheel"]' \
		"process.user.additionalGids[1] must be an integer"
	refused "umask" '.process.user.umask = 63' "process.user.umask"
	refused "uid too big" '.process.user.uid = 4294967295' "process.user.uid must be an integer"
	refused "bad rlimit" '.process.rlimits = [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]' "RLIMIT_NOPE"
	refused "readonly root not a boolean" '.root.readonly = "yes"' "root.readonly must be a boolean"
	refused "no root" 'del(.root)' "root.path is required"
	refused "bad hostname" '.hostname = "a b"' 'invalid host name `a b`'
	refused "bad sysctl" '.linux.sysctl = {"../x": "1"}' 'invalid sysctl `../x=1`'
	refused "hooks" '.hooks = {"prestart": [{"path": "/bin/true"}]}' "hooks: OCI hooks are not run"
	refused "tmpfs option" '.mounts += [{"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["huge=always"]}]' \
		'mounts[4]: tmpfs on `/run`: tmpfs option `huge=always`'
	refused "tmpfs on a relative path" '.mounts += [{"destination": "run", "type": "tmpfs", "source": "tmpfs"}]' \
		"run"
	refused "other mount type" '.mounts += [{"destination": "/mnt", "type": "ext4", "source": "/dev/sda"}]' \
		"a ext4 mount on /mnt is not supported yet"
	refused "ro bind of a file that is not there" '.mounts += [{"destination": "/data", "type": "bind", "source": "'"$tmp"'/none", "options": ["rbind", "ro"]}]' \
		"$tmp/none"
	head -c 300000 /dev/zero >"$tmp/big.file"
	refused "big file bind" '.mounts += [{"destination": "/big", "type": "bind", "source": "'"$tmp/big.file"'"}]' \
		"is 300000 bytes; a bound file may have 262144"
	refused "relative netns path" '.linux.namespaces += [{"type": "network", "path": "run/netns/x"}]' \
		'path `run/netns/x` is not absolute'
	# The client's network namespace must be one (joining it, and the
	# ports published through it, are tests/vm/test_podman.sh's).
	refused "missing netns" '.linux.namespaces = [{"type": "network", "path": "'"$tmp"'/no-netns"}]' \
		"network namespace \`$tmp/no-netns\`"
	local vm
	bundle "netns" '.linux.namespaces = [{"type": "network", "path": "'"$tmp"'/hosts-file"}]'
	: >"$tmp/hosts-file"
	rt create --bundle "$tmp/oci-netns" nn
	if [ "$rc" = 1 ] && grep -q "hosts-file.*not a network namespace" <<<"$err" && [ ! -e "$tmp/ocir/nn" ]; then pass; else
		fail "oci: a netns path that is a file: $rc $err"
	fi
	refused "userns" '.linux.namespaces += [{"type": "user"}]' "user namespaces"
	refused "bad ram annotation" '.annotations["org.mvm.ram-mib"] = "lots"' 'org.mvm.ram-mib `lots`'
	refused "bad share mode" '.annotations["org.mvm.share-mode"] = "weird"' "weird"
	refused "bad log level" '.annotations["org.mvm.log-level"] = "loud"' "loud"
	printf '{"ociVersion": ' >"$tmp/oci-bad/config.json"
	rt create --bundle "$tmp/oci-bad" bad1
	if [ "$rc" = 1 ] && grep -q "config.json: line" <<<"$err"; then pass; else fail "oci: truncated config.json: $rc $err"; fi
	printf '{"ociVersion": "1.0.0", "ociVersion": "1.0.0"}' >"$tmp/oci-bad/config.json"
	rt create --bundle "$tmp/oci-bad" bad1
	if [ "$rc" = 1 ] && grep -q "duplicate" <<<"$err"; then pass; else fail "oci: duplicate key: $rc $err"; fi
	# Every problem at once, not only the first.
	refused "several problems" '.process.args = [] | .hooks = {"prestart": [{"path": "/x"}]} | .root.readonly = 1' "hooks"
	if grep -q "process.args" <<<"$err" && grep -q "root.readonly" <<<"$err"; then pass; else fail "oci: every problem is named: $err"; fi

	rt create --bundle "$tmp/oci-bad" "bad/id"
	if [ "$rc" = 1 ] && grep -qF 'container id `bad/id`' <<<"$err"; then pass; else fail "oci: bad id: $rc $err"; fi
	rt create --bundle "$tmp/nonexistent" c0
	if [ "$rc" = 1 ] && grep -q "nonexistent" <<<"$err"; then pass; else fail "oci: missing bundle: $rc $err"; fi
	bundle "plain" '.'
	rt create --console-socket "$tmp/cs" --bundle "$tmp/oci-plain" c0
	if [ "$rc" = 1 ] && grep -q "console-socket given, but process.terminal is false" <<<"$err"; then pass; else fail "oci: console socket without a terminal: $rc $err"; fi
	bundle "term" '.process.terminal = true'
	rt create --console-socket "$tmp/nobody-listens" --bundle "$tmp/oci-term" c0
	if [ "$rc" = 1 ] && grep -q "console-socket \`$tmp/nobody-listens\`" <<<"$err" && [ ! -e "$tmp/ocir/c0" ]; then pass; else fail "oci: console socket nobody listens on: $rc $err"; fi

	# What a podman config.json carries maps onto the VM (--debug shows the
	# VM as built).
	printf '127.0.0.1 localhost\n' >"$tmp/hosts"
	chmod 0640 "$tmp/hosts"
	bundle "podmanlike" '.hostname = "d09b1f5fbf48" | .linux.sysctl = {"net.ipv4.ping_group_range": "0 0"}
		| .process.user.umask = 18 | .process.args = ["echo", "x"] | .process.user.additionalGids = [10, 20]
		| .mounts += [{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue"},
			{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]},
			{"destination": "/dev/shm", "type": "bind", "source": "'"$tmp"'", "options": ["bind"]},
			{"destination": "/etc/hosts", "type": "bind", "source": "'"$tmp/hosts"'", "options": ["bind", "rprivate"]},
			{"destination": "/etc/hostname", "type": "bind", "source": "'"$tmp/hosts"'", "options": ["bind", "ro"]},
			{"destination": "/data", "type": "bind", "source": "'"$tmp"'", "options": ["rbind"]},
			{"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k", "rprivate"]}]
		| .annotations["org.mvm.cpus"] = "3" | .root.readonly = true | .annotations["org.mvm.boot"] = "start"'
	rt --debug create --bundle "$tmp/oci-podmanlike" pm
	vm=$(sed -n 's/^mvm-runtime: pm: VM //p' <<<"$err")
	if [ "$rc" = 0 ] && jq -e --arg t "$tmp" '.hostname == "d09b1f5fbf48" and .sysctls == ["net.ipv4.ping_group_range=0 0"]
		and .guest_files == [{"path": "/etc/hosts", "mode": 416, "size": 20, "readonly": false},
			{"path": "/etc/hostname", "mode": 416, "size": 20, "readonly": true}]
		and .mapped_dirs == [{"host": $t, "guest": "/data"}] and .num_vcpus == 3 and .ram_mib == 128
		and .exec_path == "echo" and .user == "0:0" and .groups == [10, 20]
		and .tmpfs == [{"path": "/run", "flags": 33, "data": "mode=755,size=65536k"}]
		and .read_only == ["/"] and .hold == false
		and (.rlimits | map(.resource) | index("RLIMIT_NOFILE"))' <<<"$vm" >/dev/null; then pass; else
		fail "oci: a podman-like config.json: $rc $vm $err"
	fi
	if grep -q "left to the VM boundary: .*process.capabilities.*mounts:/dev/shm" <<<"$err"; then pass; else
		fail "oci: --debug names what the VM boundary stands in for: $err"
	fi
	rt delete pm
	# A read-only directory bind: a share the file server keeps read-only.
	mkdir -p "$tmp/ro-src"
	bundle "robind" '.mounts += [{"destination": "/ro/", "type": "bind", "source": "'"$tmp/ro-src"'", "options": ["rbind", "ro"]}]
		| .annotations["org.mvm.boot"] = "start"'
	rt --debug create --bundle "$tmp/oci-robind" rb
	vm=$(sed -n 's/^mvm-runtime: rb: VM //p' <<<"$err")
	if [ "$rc" = 0 ] && jq -e --arg s "$tmp/ro-src" '.read_only == ["/ro"] and .mapped_dirs == [{"host": $s, "guest": "/ro"}]' <<<"$vm" >/dev/null; then pass; else
		fail "oci: a read-only directory bind: $rc $vm $err"
	fi
	rt delete rb

	# Boot at create (the default): the program is held until start, and a
	# VM that cannot start (no KVM here, or a kernel that is not there)
	# fails create with its reason, leaving nothing.
	bundle "atcreate" '.'
	MVM_KERNEL=/nonexistent/vmlinux rt --debug create --bundle "$tmp/oci-atcreate" --pid-file "$tmp/oci-atcreate/pid" ac
	vm=$(sed -n 's/^mvm-runtime: ac: VM //p' <<<"$err")
	if [ "$rc" = 1 ] && grep -q "error: create: start VM: " <<<"$err" && jq -e '.hold == true' <<<"$vm" >/dev/null &&
		[ ! -e "$tmp/ocir/ac" ] && [ ! -e "$tmp/oci-atcreate/pid" ]; then pass; else
		fail "oci: boot at create fails create: $rc $err"
	fi
	refused "bad boot annotation" '.annotations["org.mvm.boot"] = "later"' 'org.mvm.boot `later`'

	# The lifecycle with boot at start, with a VM that cannot start: start
	# succeeds and the container stops with 125.
	bundle "good" '.annotations["org.mvm.boot"] = "start"'
	export MVM_KERNEL=/nonexistent/vmlinux
	rt --systemd-cgroup --log-format=json --log "$tmp/oci.log" create --bundle "$tmp/oci-good" \
		--pid-file "$tmp/oci-good/pid" --no-pivot c1
	local pid
	pid=$(cat "$tmp/oci-good/pid" 2>/dev/null)
	if [ "$rc" = 0 ] && [[ $pid =~ ^[0-9]+$ ]] && [ "$(wc -c <"$tmp/oci-good/pid")" = "${#pid}" ]; then pass; else
		fail "oci: create: $rc, pid file '$pid': $err"
	fi
	rt state c1
	if jq -e --arg p "$pid" --arg b "$tmp/oci-good" '.status == "created" and .id == "c1" and (.pid | tostring) == $p and .bundle == $b and .ociVersion != null and .annotations["org.example"] == "x" and (.created | test("^[0-9-]+T[0-9:]+Z$"))' <<<"$out" >/dev/null; then pass; else
		fail "oci: state of a created container: $out $err"
	fi
	rt create --bundle "$tmp/oci-good" c1
	if [ "$rc" = 1 ] && grep -q "c1 exists already" <<<"$err"; then pass; else fail "oci: create twice: $rc $err"; fi
	rt kill c1 NOPE
	if [ "$rc" = 1 ] && grep -qF '`NOPE` is not a signal' <<<"$err"; then pass; else fail "oci: bad signal: $rc $err"; fi
	rt start c1
	if [ "$rc" = 0 ]; then pass; else fail "oci: start: $rc $err"; fi
	for _ in $(seq 100); do
		rt state c1
		[ "$(jq -r .status <<<"$out")" = stopped ] && break
		sleep 0.1
	done
	if [ "$(jq -r '.status + " " + (.pid | tostring)' <<<"$out")" = "stopped 0" ] &&
		[ "$(head -1 "$tmp/ocir/c1/status")" = 125 ]; then pass; else
		fail "oci: a VM that cannot start: stopped, status 125: $out $(cat "$tmp/ocir/c1/status" 2>&1)"
	fi
	# exec, without a VM: what it refuses before reaching for the guest.
	rt exec nope /bin/true
	if [ "$rc" = 1 ] && grep -q "container nope does not exist" <<<"$err"; then pass; else fail "oci: exec of none: $rc $err"; fi
	rt exec c1
	if [ "$rc" = 1 ] && grep -q "exec needs --process FILE or a command" <<<"$err"; then pass; else fail "oci: exec without a program: $rc $err"; fi
	printf '{"args": []}' >"$tmp/p-empty.json"
	rt exec --process "$tmp/p-empty.json" c1
	if [ "$rc" = 1 ] && grep -q "process.args must not be empty" <<<"$err"; then pass; else fail "oci: exec of empty args: $rc $err"; fi
	printf '{"args": ["x"]' >"$tmp/p-bad.json"
	rt exec --process "$tmp/p-bad.json" c1
	if [ "$rc" = 1 ] && grep -q "p-bad.json: line" <<<"$err"; then pass; else fail "oci: exec of bad JSON: $rc $err"; fi
	printf '{"args": ["x"], "user": {"uid": 1, "gid": 1, "additionalGids": [5]}}' >"$tmp/p-groups.json"
	rt exec --process "$tmp/p-groups.json" c1
	if [ "$rc" = 1 ] && grep -q "additionalGids" <<<"$err"; then pass; else fail "oci: exec with groups: $rc $err"; fi
	rt exec --process "$tmp/p-groups.json" c1 extra
	if [ "$rc" = 1 ] && grep -q "exclusive" <<<"$err"; then pass; else fail "oci: exec --process and a command: $rc $err"; fi
	rt exec --console-socket "$tmp/cs" c1 /bin/true
	if [ "$rc" = 1 ] && grep -q "console-socket given, but process.terminal is false" <<<"$err"; then pass; else fail "oci: exec with a socket, no terminal: $rc $err"; fi
	rt start c1
	if [ "$rc" = 1 ] && grep -q "it is stopped, not created" <<<"$err"; then pass; else fail "oci: start twice: $rc $err"; fi
	rt --log "$tmp/oci.log" --log-format json kill c1 15
	if [ "$rc" = 1 ] && grep -q "container not running" <<<"$err"; then pass; else fail "oci: kill of a stopped one: $rc $err"; fi
	# One JSON line per failure in the --log file (podman reads it whole).
	if [ -s "$tmp/oci.log" ] && jq -e 'select(.level == "error" and (.msg | length) > 0 and (.time | test("Z$")))' "$tmp/oci.log" >/dev/null; then pass; else
		fail "oci: --log-format json: $(cat "$tmp/oci.log" 2>&1)"
	fi
	rt delete c1
	if [ "$rc" = 0 ] && [ ! -e "$tmp/ocir/c1" ]; then pass; else fail "oci: delete: $rc $err"; fi
	# A bundle path with quotes and a backslash still makes valid JSON.
	mkdir -p "$tmp/oci-q\"uo\\te"
	cp -P "$tmp/oci-good/config.json" "$tmp/oci-good/rootfs" "$tmp/oci-q\"uo\\te/"
	rt create --bundle "$tmp/oci-q\"uo\\te" cq
	rt state cq
	if jq -e --arg b "$tmp/oci-q\"uo\\te" '.bundle == $b and .status == "created"' <<<"$out" >/dev/null; then pass; else
		fail "oci: state of a bundle with quotes: $out $err"
	fi
	rt delete --force cq
	rt state c1
	if [ "$rc" = 1 ] && grep -q "container c1 does not exist" <<<"$err"; then pass; else fail "oci: state of none: $rc $err"; fi
	unset MVM_KERNEL
	rt delete c1
	if [ "$rc" = 1 ] && grep -q "does not exist" <<<"$err"; then pass; else fail "oci: delete of none: $rc $err"; fi
	rt delete --force c1
	if [ "$rc" = 0 ]; then pass; else fail "oci: delete --force of none: $rc $err"; fi

	# A created container: deleted without --force, its process gone.
	rt create --bundle "$tmp/oci-good" --pid-file "$tmp/oci-good/pid2" c2
	pid=$(cat "$tmp/oci-good/pid2")
	rt kill --all c2 KILL
	if [ "$rc" = 0 ]; then pass; else fail "oci: kill --all KILL of a created one: $rc $err"; fi
	rt delete c2
	if [ "$rc" = 0 ] && [ ! -e "/proc/$pid/stat" -o "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then pass; else
		fail "oci: delete of a killed created one: $rc $err"
	fi
	rt create --bundle "$tmp/oci-good" c3
	rt delete c3
	if [ "$rc" = 0 ] && [ ! -e "$tmp/ocir/c3" ]; then pass; else fail "oci: delete of a created one: $rc $err"; fi

	rt features
	if [ "$rc" = 0 ] && jq -e '.ociVersionMin == "1.0.0" and (.mountOptions | index("bind"))' <<<"$out" >/dev/null; then pass; else
		fail "oci: features: $rc $out"
	fi
	rt --version
	if [ "$rc" = 0 ] && grep -q "^mvm-runtime version" <<<"$out"; then pass; else fail "oci: --version: $out"; fi
	rt frobnicate c1
	if [ "$rc" = 1 ] && grep -q "unknown command" <<<"$err"; then pass; else fail "oci: unknown command: $rc $err"; fi
	rt --bogus state c1
	if [ "$rc" = 1 ] && grep -q "unknown global option" <<<"$err"; then pass; else fail "oci: unknown global option: $rc $err"; fi
	rt --help
	if [ "$rc" = 0 ] && grep -q "^Usage: mvm-runtime" <<<"$out"; then pass; else fail "oci: --help: $out"; fi
}
oci_test
