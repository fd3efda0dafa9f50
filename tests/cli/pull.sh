# Sourced by tests/cli/run after images.sh (which made $tmp/oci): `mvm pull`
# from a real registry (Debian's docker-registry) on 127.0.0.1, once over
# plain HTTP and once over HTTPS with a self-signed certificate; the test
# image is pushed there by skopeo.

# start_registry NAME PORT [TLS [AUTH]]: a registry with its storage in
# $tmp/NAME, over HTTPS when TLS is set (the test's self-signed
# certificate), AUTH its YAML "auth:" section when given. Waits until it
# answers, 200 or 401.
start_registry() {
	local name=$1 port=$2 tls=${3:-} auth=${4:-}
	mkdir -p "$tmp/$name"
	{
		echo "version: 0.1"
		echo "log: {level: error}"
		echo "storage: {filesystem: {rootdirectory: $tmp/$name/data}}"
		echo "http:"
		echo "  addr: 127.0.0.1:$port"
		if [ -n "$tls" ]; then
			echo "  tls: {certificate: $tmp/cert.pem, key: $tmp/key.pem}"
		fi
		if [ -n "$auth" ]; then
			echo "$auth"
		fi
	} >"$tmp/$name/config.yml"
	docker-registry serve "$tmp/$name/config.yml" >"$tmp/$name/log" 2>&1 &
	echo $! >"$tmp/$name/pid"
	local scheme=http code
	[ -n "$tls" ] && scheme=https
	for _ in $(seq 1 50); do
		code=$(curl -sk -o /dev/null -w '%{http_code}' "$scheme://127.0.0.1:$port/v2/")
		[ "$code" = 200 ] || [ "$code" = 401 ] && return 0
		sleep 0.1
	done
	return 1
}

pull_test() {
	for tool in docker-registry skopeo curl openssl busybox; do
		if ! command -v "$tool" >/dev/null; then
			fail "pull: $tool is not installed (.ci/run installs it)"
			return
		fi
	done
	# Below Linux's ephemeral ports (32768 and up), so that no client's
	# connection can hold one of port .. port + 7 (a local run lost a
	# registry to "address already in use").
	local port=$((20000 + RANDOM % 12000)) tport
	tport=$((port + 1))
	if ! start_registry reg "$port"; then
		fail "pull: the registry on port $port did not start: $(cat "$tmp/reg/log")"
		return
	fi
	trap 'kill $(cat "$tmp"/reg*/pid "$tmp/httpd.pid" 2>/dev/null) 2>/dev/null; rm -rf "$tmp"' EXIT
	local ref=127.0.0.1:$port/test/app:1
	# skopeo reads the machine's credentials (/run/containers/UID, a
	# podman's) unless told a file of the test's own.
	echo '{}' >"$tmp/skopeo-auth.json"
	if ! skopeo copy -q --dest-authfile "$tmp/skopeo-auth.json" --dest-tls-verify=false "oci:$tmp/oci:t" "docker://$ref" >"$tmp/push.log" 2>&1; then
		fail "pull: pushing the test image failed: $(cat "$tmp/push.log")"
		return
	fi
	export MVM_HOME=$tmp/pullstore

	mvm pull --tls-verify=false "$ref"
	if [ "$rc" -eq 0 ] && [ "$out" = "$ref" ] && [ "$(grep -c '^Fetched blob' <<<"$err")" -eq 3 ] &&
		grep -q "^Unpacked layer .* (2 of 2)" <<<"$err"; then pass; else
		fail "pull over HTTP: status $rc, out '$out', err '$err'"
	fi
	mvm images --format json
	if jq -e --arg n "$ref" 'length == 1 and .[0].name == $n and .[0].layers == 2' >/dev/null <<<"$out"; then
		pass
	else
		fail "the pulled image is listed: $out"
	fi
	# A second pull fetches the manifest only.
	mvm pull --tls-verify=false "$ref"
	if [ "$rc" -eq 0 ] && ! grep -q "^Fetched" <<<"$err" &&
		[ "$(grep -c '^Already have layer' <<<"$err")" -eq 2 ]; then pass; else
		fail "a second pull: status $rc, err '$err'"
	fi
	# By digest.
	local digest
	digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$ref" 2>/dev/null)
	mvm pull -q --tls-verify=false "127.0.0.1:$port/test/app@$digest"
	if [ "$rc" -eq 0 ] && [ "$out" = "127.0.0.1:$port/test/app@$digest" ] && [ -z "$err" ]; then pass; else
		fail "pull by digest ($digest): status $rc, out '$out', err '$err'"
	fi

	# Errors a user can act on.
	expect_error "pull of a missing image" "not found (HTTP 404)" pull --tls-verify=false "127.0.0.1:$port/test/nope:1"
	expect_error "pull from HTTP with TLS verification" "https://127.0.0.1:$port" pull "$ref"
	expect_error "pull from nowhere" "127.0.0.1:$((port + 2))" pull --tls-verify=false "127.0.0.1:$((port + 2))/x"
	expect_error "pull without an image" "no image to pull" pull
	expect_error "pull --tls-verify=maybe" "maybe" pull --tls-verify=maybe "$ref"
	expect_error "pull of a bad name" "Bad" pull --tls-verify=false "127.0.0.1:$port/Bad"

	platform_test "$port"
	shortname_test "$port"
	tty_progress_test "$port"
	resume_test "$port" "$((port + 6))" "$((port + 7))"

	# A registry that serves a blob other than the one it names: refused,
	# not kept.
	local layer data
	layer=$(jq -r '.[0].manifest' <<<"$(MVM_HOME=$tmp/pullstore "$MVM" images --format json)")
	layer=$(jq -r '.layers[1].digest | sub("sha256:"; "")' "$tmp/pullstore/blobs/sha256/${layer#sha256:}")
	data=$(find "$tmp/reg/data" -path "*/blobs/sha256/*/$layer/data")
	if [ -f "$data" ]; then
		printf 'X' | dd of="$data" bs=1 seek=10 conv=notrunc status=none
		MVM_HOME=$tmp/pullstore2 mvm pull --tls-verify=false "$ref"
		if [ "$rc" -eq 125 ] && grep -q "blob sha256:$layer: its content has digest" <<<"$err" &&
			[ ! -e "$tmp/pullstore2/blobs/sha256/$layer" ] && [ -z "$(ls -A "$tmp/pullstore2/tmp")" ]; then
			pass
		else
			fail "a tampered blob: status $rc, err '$err'"
		fi
		# More bytes than the manifest says: cut off, not kept.
		head -c 100000 /dev/zero >>"$data"
		MVM_HOME=$tmp/pullstore2 mvm pull --tls-verify=false "$ref"
		if [ "$rc" -eq 125 ] && grep -q "the size its descriptor gives; it is not kept" <<<"$err" &&
			[ ! -e "$tmp/pullstore2/blobs/sha256/$layer" ] && [ -z "$(ls -A "$tmp/pullstore2/tmp")" ]; then
			pass
		else
			fail "a blob longer than its descriptor: status $rc, err '$err'"
		fi
	else
		fail "the registry's copy of layer $layer was not found under $tmp/reg/data"
	fi

	# HTTPS with a self-signed certificate: refused unless told.
	if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
		-subj /CN=127.0.0.1 -days 1 -addext subjectAltName=IP:127.0.0.1 >"$tmp/ssl.log" 2>&1 ||
		! start_registry regtls "$tport" tls; then
		fail "pull: the HTTPS registry did not start: $(cat "$tmp/ssl.log" "$tmp/regtls/log" 2>/dev/null)"
		return
	fi
	skopeo copy -q --dest-authfile "$tmp/skopeo-auth.json" --dest-tls-verify=false "oci:$tmp/oci:t" "docker://127.0.0.1:$tport/test/app:1" >/dev/null 2>&1
	MVM_HOME=$tmp/pullstore3 mvm pull "127.0.0.1:$tport/test/app:1"
	if [ "$rc" -eq 125 ] && grep -qi "certificate" <<<"$err"; then pass; else
		fail "HTTPS with a self-signed certificate, verified: status $rc, err '$err'"
	fi
	MVM_HOME=$tmp/pullstore3 mvm pull -q --tls-verify=false "127.0.0.1:$tport/test/app:1"
	if [ "$rc" -eq 0 ] && [ "$out" = "127.0.0.1:$tport/test/app:1" ]; then pass; else
		fail "HTTPS with --tls-verify=false: status $rc, err '$err'"
	fi

	# Token auth, as Docker Hub does it: the registry answers 401 with a
	# Bearer challenge naming a token service (busybox httpd serving a
	# token signed here, for test/app only); mvm fetches the token and
	# retries.
	token_auth_test "$((port + 3))" "$((port + 4))"
	basic_auth_test "$((port + 5))"
	kill "$(cat "$tmp/reg/pid")" "$(cat "$tmp/regtls/pid")" "$(cat "$tmp/regtok/pid")" \
		"$(cat "$tmp/regbasic/pid")" "$(cat "$tmp/httpd.pid" 2>/dev/null)" 2>/dev/null
	unset MVM_HOME
}

# Short names through registries.conf (CONTAINERS_REGISTRIES_CONF): the
# search registries in turn (the first has nothing listening), an alias,
# the store found by the same names, and the errors of each registry.
shortname_test() {
	local port=$1 none=$(($1 + 2))
	cat >"$tmp/registries.conf" <<EOF
# as podman reads it
unqualified-search-registries = [
  "127.0.0.1:$none",   # nothing listens here
  "127.0.0.1:$port",
]
[aliases]
"myapp" = "127.0.0.1:$port/test/app"
EOF
	local env=(env CONTAINERS_REGISTRIES_CONF="$tmp/registries.conf" MVM_HOME="$tmp/sstore")
	"${env[@]}" "$MVM" pull --tls-verify=false test/app:1 >"$tmp/s.out" 2>"$tmp/s.err"
	if [ $? -eq 0 ] && [ "$(cat "$tmp/s.out")" = "127.0.0.1:$port/test/app:1" ] &&
		grep -q "^Trying 127.0.0.1:$none/test/app:1\$" "$tmp/s.err" &&
		grep -q "^Trying 127.0.0.1:$port/test/app:1\$" "$tmp/s.err"; then
		pass
	else
		fail "a short name through the search registries: $(cat "$tmp/s.out" "$tmp/s.err")"
	fi
	"${env[@]}" "$MVM" pull -q --tls-verify=false myapp:1 >"$tmp/s.out" 2>"$tmp/s.err"
	if [ $? -eq 0 ] && [ "$(cat "$tmp/s.out")" = "127.0.0.1:$port/test/app:1" ] && [ ! -s "$tmp/s.err" ]; then
		pass
	else
		fail "a short name through an alias: $(cat "$tmp/s.out" "$tmp/s.err")"
	fi
	"${env[@]}" "$MVM" inspect test/app:1 >"$tmp/s.out" 2>"$tmp/s.err"
	if [ $? -eq 0 ] && [ "$(jq -r '.[0].name' "$tmp/s.out")" = "127.0.0.1:$port/test/app:1" ]; then
		pass
	else
		fail "a short name found in the store by the search registries: $(cat "$tmp/s.err")"
	fi
	CONTAINERS_REGISTRIES_CONF=$tmp/registries.conf MVM_HOME=$tmp/sstore expect_error \
		"a short name no search registry has" "127.0.0.1:$port/v2/test/nope/manifests/1: not found" \
		pull -q --tls-verify=false test/nope:1
	if grep -q "127.0.0.1:$none" <<<"$err"; then pass; else
		fail "the error of each search registry is told: $err"
	fi
	echo 'unqualified-search-registries = ["a b"]' >"$tmp/bad.conf"
	CONTAINERS_REGISTRIES_CONF=$tmp/bad.conf expect_error "a broken registries.conf" \
		"\`$tmp/bad.conf\` line 1" pull -q test/app:1
}

# blob FILE: writes FILE into the layout $tmp/multi as a blob; prints
# "DIGEST SIZE".
blob() {
	local hex
	hex=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$tmp/multi/blobs/sha256/$hex"
	echo "sha256:$hex $(stat -c %s "$1")"
}

# A multi-platform image: an index naming the test image as linux/amd64
# and the same layers with an arm64 config as linux/arm64/v8, pushed with
# skopeo --all. The default pull takes amd64; --platform the other.
platform_test() {
	local port=$1 man cfg amd arm idx d s ref
	cp -r "$tmp/oci" "$tmp/multi"
	man=$(jq -r '.manifests[0].digest' "$tmp/oci/index.json")
	cfg=$(jq -r '.config.digest' "$tmp/oci/blobs/sha256/${man#sha256:}")
	jq -c '.architecture = "arm64" | .variant = "v8"' "$tmp/oci/blobs/sha256/${cfg#sha256:}" >"$tmp/arm.cfg"
	read -r d s < <(blob "$tmp/arm.cfg")
	arm=$d
	jq -c --arg d "$d" --argjson s "$s" '.config.digest = $d | .config.size = $s' \
		"$tmp/oci/blobs/sha256/${man#sha256:}" >"$tmp/arm.man"
	read -r d s < <(blob "$tmp/arm.man")
	amd=$(jq -c '.manifests[0] | del(.annotations) | .platform = {os: "linux", architecture: "amd64"}' "$tmp/oci/index.json")
	jq -n -c --argjson amd "$amd" --arg d "$d" --argjson s "$s" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
		{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
		 platform: {os: "linux", architecture: "arm64", variant: "v8"}}, $amd]}' >"$tmp/multi.idx"
	read -r d s < <(blob "$tmp/multi.idx")
	idx=$d
	jq -n -c --arg d "$d" --argjson s "$s" '{schemaVersion: 2, manifests: [{mediaType:
		"application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
		annotations: {"org.opencontainers.image.ref.name": "t"}}]}' >"$tmp/multi/index.json"
	ref=127.0.0.1:$port/test/multi:1
	if ! skopeo copy -q --dest-authfile "$tmp/skopeo-auth.json" --all --dest-tls-verify=false "oci:$tmp/multi:t" "docker://$ref" >"$tmp/multi.log" 2>&1; then
		fail "platform: pushing the multi-platform image failed: $(cat "$tmp/multi.log")"
		return
	fi
	local env=(env MVM_HOME="$tmp/pstore")
	"${env[@]}" "$MVM" pull -q --tls-verify=false "$ref" >"$tmp/p.out" 2>"$tmp/p.err"
	if [ $? -eq 0 ] && [ "$("${env[@]}" "$MVM" images --format json | jq -r '.[0].id')" = "$cfg" ]; then
		pass
	else
		fail "a multi-platform pull takes linux/amd64: $(cat "$tmp/p.err")"
	fi
	MVM_HOME=$tmp/pstore2 mvm pull --platform linux/arm64 --tls-verify=false "$ref"
	if [ "$rc" -eq 0 ] && [ "$(MVM_HOME=$tmp/pstore2 "$MVM" images --format json | jq -r '.[0].id')" = "$arm" ] &&
		! grep -q "${cfg#sha256:}" <<<"$err"; then
		pass
	else
		fail "--platform linux/arm64: status $rc, err '$err'"
	fi
	MVM_HOME=$tmp/pstore2 mvm pull -q --platform linux/arm64/v8 --tls-verify=false "$ref"
	[ "$rc" -eq 0 ] && pass || fail "--platform linux/arm64/v8: status $rc, err '$err'"
	MVM_HOME=$tmp/pstore3 expect_error "--platform of none the index has" \
		"holds no linux/s390x image (it has linux/arm64/v8, linux/amd64; see --platform)" \
		pull --platform linux/s390x --tls-verify=false "$ref"
	MVM_HOME=$tmp/pstore3 expect_error "--platform arm64/v7 variant" "holds no linux/arm64/v7 image" \
		pull --platform linux/arm64/v7 --tls-verify=false "$ref"
	MVM_HOME=$tmp/pstore3 expect_error "--platform without an architecture" "platform \`linux\`: want OS/ARCH" \
		pull --platform linux --tls-verify=false "$ref"
	MVM_HOME=$tmp/pstore3 expect_error "--platform in capitals" "platform \`Linux/AMD64\`" \
		pull --platform Linux/AMD64 --tls-verify=false "$ref"
	MVM_HOME=$tmp/pstore3 expect_error "--platform with a trailing slash" "platform \`linux/amd64/\`" \
		pull --platform linux/amd64/ --tls-verify=false "$ref"
	MVM_HOME=$tmp/pstore3 expect_error "a single-platform image of another platform" \
		"is an image for linux/amd64, not linux/arm64" \
		pull -q --platform linux/arm64 --tls-verify=false "127.0.0.1:$port/test/app:1"
	if [ -z "$(ls "$tmp/pstore3/layers/sha256" 2>/dev/null)" ] &&
		[ "$(MVM_HOME=$tmp/pstore3 "$MVM" images --format json | jq length)" = 0 ]; then
		pass
	else
		fail "a refused platform leaves no image and no layer"
	fi
}

# On a terminal (tmux), pull draws a line per blob and a total in place of
# the plain lines; off one, no escape sequences reach stderr.
tty_progress_test() {
	local port=$1 sock=$tmp/tmux.sock screen i
	if ! command -v tmux >/dev/null; then
		fail "pull: tmux is not installed (.ci/run installs it)"
		return
	fi
	MVM_HOME=$tmp/tstore0 mvm pull --tls-verify=false "127.0.0.1:$port/test/app:1"
	if [ "$rc" -eq 0 ] && grep -q "^Fetched blob" <<<"$err" && ! grep -q $'\033' <<<"$err"; then pass; else
		fail "pull off a terminal prints plain lines: status $rc, err '$err'"
	fi
	tmux -S "$sock" new-session -d -x 110 -y 30 \
		"env MVM_HOME=$tmp/tstore TERM=xterm $MVM pull --tls-verify=false 127.0.0.1:$port/test/app:1; echo EXIT=\$?; sleep 60"
	for i in $(seq 1 100); do
		screen=$(tmux -S "$sock" capture-pane -p 2>/dev/null)
		grep -q "EXIT=" <<<"$screen" && break
		sleep 0.1
	done
	tmux -S "$sock" kill-server 2>/dev/null
	if grep -q "EXIT=0" <<<"$screen" && grep -q "^config  *sha256:[0-9a-f]\{12\}  fetched" <<<"$screen" &&
		grep -q "^layer 1/2  *sha256:[0-9a-f]\{12\}  unpacked  *1\.0 MiB" <<<"$screen" &&
		grep -q "^layer 2/2  *sha256:[0-9a-f]\{12\}  unpacked" <<<"$screen" &&
		grep -q "^total  *2\.1 MiB / 2\.1 MiB 100%" <<<"$screen" &&
		grep -q "^127.0.0.1:$port/test/app:1\$" <<<"$screen" && ! grep -q "Fetched blob" <<<"$screen" &&
		[ "$(grep -c "^layer 1/2" <<<"$screen")" -eq 1 ]; then
		pass
	else
		fail "pull on a terminal: the screen was: $screen"
	fi
}

# Downloads that break off, through tests/cli/flakyproxy.c in front of the
# registry: a cut answer is continued with a Range request in the same
# pull; a pull whose tries all fail (each layer cut at 300000 bytes, then
# at 0 every time) keeps the bytes it had, and the next pull continues
# from them; bytes left behind that are not the blob's are
# replaced.
resume_test() {
	local port=$1 p1=$2 p2=$3 proxy=${FLAKYPROXY:-$BUILD/tests/flakyproxy}
	if [ ! -x "$proxy" ]; then
		fail "resume: $proxy is missing (make $BUILD/tests/flakyproxy)"
		return
	fi
	"$proxy" "$p1" "$port" 100000 300000 0 1 "$tmp/proxy1.log" &
	echo $! >"$tmp/reg/proxy1.pid"
	"$proxy" "$p2" "$port" 100000 300000 0 1000 "$tmp/proxy2.log" &
	echo $! >"$tmp/reg/proxy2.pid"
	sleep 0.2
	MVM_HOME=$tmp/rstore mvm pull --tls-verify=false "127.0.0.1:$p1/test/app:1"
	if [ "$rc" -eq 0 ] && grep -q "cut at 300000 of" "$tmp/proxy1.log" &&
		grep -q "Range: bytes=300000-" "$tmp/proxy1.log" &&
		[ -z "$(ls -A "$tmp/rstore/tmp")" ]; then
		pass
	else
		fail "a cut download continued in the same pull: status $rc, err '$err', proxy: $(cat "$tmp/proxy1.log")"
	fi
	MVM_HOME=$tmp/rstore2 mvm pull --tls-verify=false "127.0.0.1:$p2/test/app:1"
	local kept
	kept=$(find "$tmp/rstore2/tmp" -name 'partial-*' -size 300000c 2>/dev/null | wc -l)
	if [ "$rc" -eq 125 ] && grep -q "300000 bytes of blob sha256:[0-9a-f]* are kept; the next pull continues" <<<"$err" &&
		[ "$kept" -eq 2 ] && [ "$(MVM_HOME=$tmp/rstore2 "$MVM" images --format json | jq length)" = 0 ]; then
		pass
	else
		fail "a failed download keeps its bytes: status $rc, $kept kept, err '$err'"
	fi
	MVM_HOME=$tmp/rstore2 mvm pull --tls-verify=false "127.0.0.1:$port/test/app:1"
	if [ "$rc" -eq 0 ] && grep -q "^Fetched blob .*, continuing at 300000)" <<<"$err" &&
		[ -z "$(ls -A "$tmp/rstore2/tmp")" ]; then
		pass
	else
		fail "the next pull continues a kept download: status $rc, err '$err'"
	fi
	# Garbage where a kept download would be: found out, fetched whole.
	local layer
	layer=$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$tmp/oci/blobs/sha256/$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$tmp/oci/index.json")")
	mkdir -p "$tmp/rstore3/tmp"
	head -c 5000 /dev/urandom >"$tmp/rstore3/tmp/partial-$layer"
	MVM_HOME=$tmp/rstore3 mvm pull --tls-verify=false "127.0.0.1:$port/test/app:1"
	if [ "$rc" -eq 0 ] && [ -f "$tmp/rstore3/blobs/sha256/$layer" ] &&
		[ "$(sha256sum <"$tmp/rstore3/blobs/sha256/$layer" | cut -d' ' -f1)" = "$layer" ] &&
		[ -z "$(ls -A "$tmp/rstore3/tmp")" ]; then
		pass
	else
		fail "a kept download that is not the blob's: status $rc, err '$err'"
	fi
	kill "$(cat "$tmp/reg/proxy1.pid")" "$(cat "$tmp/reg/proxy2.pid")" 2>/dev/null
}

# A registry behind htpasswd (Basic) over HTTPS: the credentials come from
# the auth files podman and docker read, never from the command line.
basic_auth_test() {
	local bport=$1 key
	if ! command -v htpasswd >/dev/null; then
		fail "pull: htpasswd is not installed (apache2-utils; .ci/run installs it)"
		return
	fi
	mkdir -p "$tmp/regbasic" "$tmp/home/.docker"
	htpasswd -Bbn alice s3cret >"$tmp/regbasic/htpasswd"
	start_registry regbasic "$bport" tls "auth: {htpasswd: {realm: mvm-test, path: $tmp/regbasic/htpasswd}}"
	local ref=127.0.0.1:$bport/test/app:1
	if ! skopeo copy -q --dest-authfile "$tmp/skopeo-auth.json" --dest-tls-verify=false --dest-creds alice:s3cret "oci:$tmp/oci:t" "docker://$ref" \
		>"$tmp/regbasic/push.log" 2>&1; then
		fail "basic auth: pushing the test image failed: $(cat "$tmp/regbasic/push.log" "$tmp/regbasic/log")"
		return
	fi
	key=$(printf 'alice:s3cret' | openssl base64 -A)
	printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$bport" "$key" >"$tmp/auth.json"
	printf '{"auths": {"https://127.0.0.1:%s": {"auth": "%s"}}}\n' "$bport" "$key" >"$tmp/home/.docker/config.json"
	printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$bport" "$(printf 'alice:wrong' | openssl base64 -A)" \
		>"$tmp/wrong.json"
	echo '{"auths": ' >"$tmp/broken.json"
	local env=(env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR HOME="$tmp/nohome" MVM_HOME="$tmp/pullstore5")
	"${env[@]}" "$MVM" pull -q --tls-verify=false "$ref" >"$tmp/b.out" 2>"$tmp/b.err"
	if [ $? -eq 125 ] && grep -q "wants a user and password" "$tmp/b.err"; then pass; else
		fail "basic auth without credentials: $(cat "$tmp/b.err")"
	fi
	"${env[@]}" REGISTRY_AUTH_FILE="$tmp/auth.json" "$MVM" pull -q --tls-verify=false "$ref" >"$tmp/b.out" 2>"$tmp/b.err"
	if [ $? -eq 0 ] && [ "$(cat "$tmp/b.out")" = "$ref" ]; then pass; else
		fail "basic auth from REGISTRY_AUTH_FILE: $(cat "$tmp/b.err")"
	fi
	env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR HOME="$tmp/home" MVM_HOME="$tmp/pullstore6" \
		"$MVM" pull -q --tls-verify=false "$ref" >"$tmp/b.out" 2>"$tmp/b.err"
	if [ $? -eq 0 ] && [ "$(cat "$tmp/b.out")" = "$ref" ]; then pass; else
		fail "basic auth from ~/.docker/config.json: $(cat "$tmp/b.err")"
	fi
	"${env[@]}" REGISTRY_AUTH_FILE="$tmp/wrong.json" "$MVM" pull -q --tls-verify=false "$ref" >"$tmp/b.out" 2>"$tmp/b.err"
	if [ $? -eq 125 ] && grep -q "refused those of the auth file\|access denied (HTTP 401)" "$tmp/b.err"; then
		pass
	else
		fail "basic auth with a wrong password: $(cat "$tmp/b.err")"
	fi
	"${env[@]}" REGISTRY_AUTH_FILE="$tmp/broken.json" "$MVM" pull -q --tls-verify=false "$ref" >"$tmp/b.out" 2>"$tmp/b.err"
	if [ $? -eq 125 ] && grep -qF "auth file \`$tmp/broken.json\`" "$tmp/b.err"; then pass; else
		fail "a broken auth file: $(cat "$tmp/b.err")"
	fi
	# A credential helper in PATH, named by credHelpers, wins over the
	# wrong inline auth of the same file; it gets the host on stdin.
	mkdir -p "$tmp/helperbin" "$tmp/helperhome/.docker"
	printf '#!/bin/sh\n[ "$1" = get ] && read -r host && [ "$host" = "127.0.0.1:%s" ] || { echo "unexpected: $* $host"; exit 1; }\necho %s\n' \
		"$bport" "'{\"ServerURL\": \"127.0.0.1:$bport\", \"Username\": \"alice\", \"Secret\": \"s3cret\"}'" \
		>"$tmp/helperbin/docker-credential-mvmtest"
	printf '#!/bin/sh\necho "keychain locked"; exit 1\n' >"$tmp/helperbin/docker-credential-mvmlocked"
	chmod +x "$tmp/helperbin/docker-credential-mvmtest" "$tmp/helperbin/docker-credential-mvmlocked"
	jq -n --arg k "127.0.0.1:$bport" --arg a "$(printf 'alice:wrong' | openssl base64 -A)" \
		'{credHelpers: {($k): "mvmtest"}, auths: {($k): {auth: $a}}}' >"$tmp/helperhome/.docker/config.json"
	env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR HOME="$tmp/helperhome" PATH="$tmp/helperbin:$PATH" \
		MVM_HOME="$tmp/pullstore7" "$MVM" pull -q --tls-verify=false "$ref" >"$tmp/b.out" 2>"$tmp/b.err"
	if [ $? -eq 0 ] && [ "$(cat "$tmp/b.out")" = "$ref" ]; then pass; else
		fail "basic auth from a credential helper: $(cat "$tmp/b.err")"
	fi
	echo '{"credsStore": "mvmlocked"}' >"$tmp/helper.json"
	env -u XDG_RUNTIME_DIR REGISTRY_AUTH_FILE="$tmp/helper.json" HOME="$tmp/nohome" PATH="$tmp/helperbin:$PATH" \
		MVM_HOME="$tmp/pullstore8" "$MVM" pull -q --tls-verify=false "$ref" >"$tmp/b.out" 2>"$tmp/b.err"
	if [ $? -eq 125 ] && grep -qF 'credential helper `docker-credential-mvmlocked` exited with status 1: keychain locked' \
		"$tmp/b.err"; then
		pass
	else
		fail "a failing credential helper: $(cat "$tmp/b.err")"
	fi
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

token_auth_test() {
	local tokport=$1 regport=$2 now x5c h p sig
	mkdir -p "$tmp/tok/www"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tok/key.pem" -out "$tmp/tok/cert.pem" \
		-subj /CN=mvm-token -days 1 >/dev/null 2>&1
	now=$(date +%s)
	x5c=$(openssl x509 -in "$tmp/tok/cert.pem" -outform DER | openssl base64 -A)
	h=$(printf '{"typ":"JWT","alg":"RS256","x5c":["%s"]}' "$x5c" | b64url)
	p=$(printf '{"iss":"mvm-test","sub":"","aud":"mvm-registry","exp":%d,"nbf":%d,"iat":%d,"jti":"1",%s}' \
		$((now + 3600)) $((now - 60)) $((now - 60)) \
		'"access":[{"type":"repository","name":"test/app","actions":["pull","push"]}]' | b64url)
	sig=$(printf '%s' "$h.$p" | openssl dgst -sha256 -sign "$tmp/tok/key.pem" | b64url)
	printf '{"token":"%s"}' "$h.$p.$sig" >"$tmp/tok/www/token"
	busybox httpd -f -p "127.0.0.1:$tokport" -h "$tmp/tok/www" &
	echo $! >"$tmp/httpd.pid"
	start_registry regtok "$regport" "" "auth:
  token:
    realm: http://127.0.0.1:$tokport/token
    service: mvm-registry
    issuer: mvm-test
    rootcertbundle: $tmp/tok/cert.pem"
	if ! skopeo copy -q --dest-authfile "$tmp/skopeo-auth.json" --dest-tls-verify=false "oci:$tmp/oci:t" "docker://127.0.0.1:$regport/test/app:1" \
		>"$tmp/tok/push.log" 2>&1; then
		fail "token auth: pushing the test image failed: $(cat "$tmp/tok/push.log" "$tmp/regtok/log")"
		return
	fi
	MVM_HOME=$tmp/pullstore4 mvm pull -q --tls-verify=false "127.0.0.1:$regport/test/app:1"
	if [ "$rc" -eq 0 ] && [ "$out" = "127.0.0.1:$regport/test/app:1" ]; then pass; else
		fail "pull with a Bearer token: status $rc, err '$err'"
	fi
	MVM_HOME=$tmp/pullstore4 expect_error "a token that does not cover the repository" \
		"access denied (HTTP 401)" pull --tls-verify=false "127.0.0.1:$regport/test/other:1"
}
pull_test
