# Sourced by tests/cli/run: `mvm load` and `mvm images` (docs/images.md).
# A two-layer image (the test root, then a layer that adds a file, makes a
# setuid one and deletes etc/hosts, a whiteout) is made from build/rootfs
# with umoci, then copied by skopeo into a docker archive and an OCI
# archive: real tools' output, loaded into a store of the test's own.

images_test() {
	local store=$tmp/store layout=$tmp/oci bundle=$tmp/bundle
	for tool in umoci skopeo getfattr jq; do
		if ! command -v "$tool" >/dev/null; then
			fail "images: $tool is not installed (.ci/run installs it)"
			return
		fi
	done
	if ! { scripts/make-test-image "$BUILD/rootfs" "$layout" "$bundle" &&
		skopeo copy -q "oci:$layout:t" "docker-archive:$tmp/d.tar:test/app:1" &&
		skopeo copy -q "oci:$layout:t" "oci-archive:$tmp/o.tar:v2"; } >"$tmp/mk.log" 2>&1; then
		fail "images: making the test image failed: $(tail -5 "$tmp/mk.log")"
		return
	fi
	export MVM_HOME=$store

	# Each kind loads, under the name it carries.
	mvm load "$layout"
	if [ "$rc" -eq 0 ] && [ "$out" = "Loaded image: localhost/oci:t" ] &&
		grep -q "^Unpacked layer sha256:.* (2 of 2)" <<<"$err"; then pass; else
		fail "load of an OCI layout: status $rc, out '$out', err '$err'"
	fi
	mvm load -q "$tmp/d.tar"
	if [ "$rc" -eq 0 ] && [ "$out" = "Loaded image: docker.io/test/app:1" ] && [ -z "$err" ]; then
		pass
	else
		fail "load -q of a docker archive: status $rc, out '$out', err '$err'"
	fi
	MVM_HOME=$tmp/store4 "$MVM" load <"$tmp/d.tar" >"$tmp/stdin.out" 2>&1
	if [ "$(cat "$tmp/stdin.out" | tail -1)" = "Loaded image: docker.io/test/app:1" ]; then pass; else
		fail "load from stdin: $(cat "$tmp/stdin.out")"
	fi
	mvm load --name Bad/Name "$tmp/o.tar"
	if [ "$rc" -eq 125 ] && grep -q "Name" <<<"$err"; then pass; else
		fail "load --name with a bad name: status $rc, err '$err'"
	fi
	mvm load --name myapp:dev "$tmp/o.tar"
	if [ "$rc" -eq 0 ] && [ "$out" = "Loaded image: docker.io/library/myapp:dev" ] &&
		grep -q "^Already have layer" <<<"$err"; then pass; else
		fail "load --name of an OCI archive: status $rc, out '$out', err '$err'"
	fi

	# The listing: three names, one image ID, two layers each.
	mvm images --format json
	if [ "$rc" -eq 0 ] && jq -e 'length == 3 and ([.[].id] | unique | length) == 1 and
		all(.[]; .layers == 2 and .size > 1000000 and .disk > 0) and
		([.[].name] == ["docker.io/library/myapp:dev", "docker.io/test/app:1", "localhost/oci:t"])' \
		>/dev/null <<<"$out"; then pass; else
		fail "images --format json: status $rc: $out $err"
	fi
	mvm images
	if [ "$rc" -eq 0 ] && [ "$(wc -l <<<"$out")" -eq 4 ] &&
		grep -qE "^docker.io/test/app +1 +[0-9a-f]{12} " <<<"$out"; then pass; else
		fail "images table: status $rc: $out $err"
	fi

	# Layers are shared: the OCI layout and archive have the same gzip
	# blobs, the docker archive its own plain ones; nothing is left in
	# tmp/.
	local layers
	layers=$(find "$store/layers/sha256" -mindepth 1 -maxdepth 1 | wc -l)
	if [ "$layers" -eq 4 ] && [ -z "$(ls -A "$store/tmp")" ]; then pass; else
		fail "store: $layers layer dirs (want 4), tmp holds '$(ls -A "$store/tmp")'"
	fi
	# The top layer: the whiteout and the setuid file in the guest's view,
	# nothing setuid on the host.
	local top
	top=$(grep -l . "$store"/layers/sha256/*/etc/layer2 2>/dev/null | head -1)
	top=${top%/etc/layer2}
	if [ -n "$top" ] && [ "$(getfattr --absolute-names --only-values -n user.containers.override_stat "$top/etc/hosts" 2>&1)" = "0:0:00:char-0-0" ] &&
		[ "$(getfattr --absolute-names --only-values -n user.containers.override_stat "$top/bin/suid" 2>&1)" = "0:0:04755" ] &&
		[ -z "$(find "$store/layers" -perm /7000)" ]; then pass; else
		fail "top layer '$top': whiteout or setuid file not in the virtual format"
	fi

	# A blob that does not match its digest is refused and not kept.
	cp -a "$layout" "$tmp/bad"
	local blob
	blob=$(find "$tmp/bad/blobs/sha256" -type f -size +100k | head -1)
	printf 'X' | dd of="$blob" bs=1 seek=1000 conv=notrunc status=none
	MVM_HOME=$tmp/store2 mvm load "$tmp/bad"
	if [ "$rc" -eq 125 ] && grep -q "its content has digest" <<<"$err" &&
		[ ! -e "$tmp/store2/blobs/sha256/$(basename "$blob")" ] &&
		[ ! -e "$tmp/store2/layers/sha256/$(basename "$blob")" ] &&
		[ -z "$(ls -A "$tmp/store2/tmp")" ]; then pass; else
		fail "a corrupt blob: status $rc, err '$err'"
	fi

	# Bad input, each with a message naming it.
	echo "not an image" >"$tmp/plain"
	mkdir -p "$tmp/v2" && echo '{"imageLayoutVersion":"2.0.0"}' >"$tmp/v2/oci-layout" &&
		echo '{"schemaVersion":2,"manifests":[]}' >"$tmp/v2/index.json"
	expect_error "load of a missing path" "$tmp/none" load "$tmp/none"
	expect_error "load of a text file" "neither an OCI archive" load "$tmp/plain"
	expect_error "load of a newer layout" "version 2.0.0" load "$tmp/v2"
	expect_error "load without a path, stdin empty" "neither an OCI archive" load </dev/null
	expect_error "images --format xml" "xml" images --format xml
	expect_error "load --bogus" "--bogus" load --bogus x
	# More layers than a run can stack: refused before any is copied.
	local man hex
	cp -r "$layout" "$tmp/many"
	man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$layout/index.json")
	jq -c '.layers = [range(129) as $i | .layers[0]]' "$layout/blobs/sha256/$man" >"$tmp/many.man"
	hex=$(sha256sum "$tmp/many.man" | cut -d' ' -f1)
	cp "$tmp/many.man" "$tmp/many/blobs/sha256/$hex"
	jq -c --arg d "sha256:$hex" --argjson s "$(stat -c %s "$tmp/many.man")" \
		'.manifests[0].digest = $d | .manifests[0].size = $s' "$layout/index.json" >"$tmp/many/index.json"
	MVM_HOME=$tmp/store9 expect_error "load of 129 layers" "has 129 layers; mvm runs images of at most 128" \
		load -q "$tmp/many"
	if [ -d "$tmp/store9/layers/sha256" ] && [ -z "$(ls -A "$tmp/store9/layers/sha256")" ]; then pass; else
		fail "a refused 129-layer image left unpacked layers: $(ls -R "$tmp/store9" 2>&1 | head -20)"
	fi

	# Two loads at once into one store: both succeed, the index is whole.
	MVM_HOME=$tmp/store3 "$MVM" load -q --name one:a "$tmp/o.tar" >"$tmp/c1" 2>&1 &
	local p1=$!
	MVM_HOME=$tmp/store3 "$MVM" load -q --name two:b "$tmp/o.tar" >"$tmp/c2" 2>&1 &
	local p2=$! r1 r2
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	MVM_HOME=$tmp/store3 mvm images --format json
	if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] && jq -e 'length == 2' >/dev/null <<<"$out"; then pass; else
		fail "concurrent loads: $r1 $r2 $(cat "$tmp/c1" "$tmp/c2") images: $out"
	fi

	# inspect: by name and by ID prefix, with the config and the layers.
	local id
	id=$(jq -r '.[0].id' <<<"$(MVM_HOME=$store "$MVM" images --format json)")
	MVM_HOME=$store mvm inspect test/app:1 "${id:7:8}"
	if [ "$rc" -eq 125 ] && grep -q "names 3 images" <<<"$err" &&
		jq -e 'length == 1 and .[0].name == "docker.io/test/app:1" and
			.[0].config.architecture == "amd64" and (.[0].layers | length) == 2 and
			all(.[0].layers[]; .disk > 0)' >/dev/null <<<"$out"; then pass; else
		fail "inspect by name, and an ID three images share: status $rc: $out $err"
	fi
	MVM_HOME=$store mvm image inspect localhost/oci:t
	local dir
	dir=$(jq -r '.[0].layers[1].dir' <<<"$out" 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ -f "$dir/etc/layer2" ]; then pass; else
		fail "image inspect: status $rc, top layer dir '$dir': $err"
	fi
	MVM_HOME=$store expect_error "inspect of an unknown image" "no image \`nope\`" inspect nope

	# rmi: a name goes; layers another image uses stay; the last user of
	# a layer takes it along.
	MVM_HOME=$store mvm rmi test/app:1
	if [ "$rc" -eq 0 ] && [ "$out" = "Untagged: docker.io/test/app:1" ] &&
		[ "$(find "$store/layers/sha256" -mindepth 1 -maxdepth 1 | wc -l)" -eq 2 ]; then pass; else
		fail "rmi of the docker archive's image: status $rc, $out $err"
	fi
	MVM_HOME=$store expect_error "rmi of an unknown image" "no image \`docker.io/test/app:1\`" rmi docker.io/test/app:1
	MVM_HOME=$store mvm rmi localhost/oci:t myapp:dev
	if [ "$rc" -eq 0 ] && [ "$(find "$store/layers/sha256" -mindepth 1 -maxdepth 1 | wc -l)" -eq 0 ] &&
		[ "$(find "$store/blobs/sha256" -type f | wc -l)" -eq 0 ] &&
		[ -z "$(MVM_HOME=$store "$MVM" images -q)" ]; then pass; else
		fail "rmi of two names: status $rc, $out $err; left: $(ls "$store/layers/sha256" "$store/blobs/sha256")"
	fi
	# prune: what a killed load left in tmp/ goes, named images stay.
	MVM_HOME=$store "$MVM" load -q "$layout" >/dev/null 2>&1
	mkdir "$store/tmp/layer-dead-1-0" && echo x >"$store/tmp/layer-dead-1-0/f" && echo y >"$store/tmp/blob-1-0"
	MVM_HOME=$store mvm image prune
	if [ "$rc" -eq 0 ] && grep -q "^Total reclaimed space: [1-9]" <<<"$out" && [ -z "$(ls -A "$store/tmp")" ] &&
		[ "$(find "$store/layers/sha256" -mindepth 1 -maxdepth 1 | wc -l)" -eq 2 ]; then pass; else
		fail "image prune: status $rc, $out $err; tmp: $(ls -A "$store/tmp")"
	fi

	# Without MVM_HOME the store is under XDG_DATA_HOME.
	unset MVM_HOME
	XDG_DATA_HOME=$tmp/xdg mvm load -q "$layout"
	if [ "$rc" -eq 0 ] && [ -f "$tmp/xdg/mvm/images.json" ]; then pass; else
		fail "store under XDG_DATA_HOME: status $rc, $err"
	fi
	mvm load --help
	if [ "$rc" -eq 0 ] && grep -q "^Usage: mvm load" <<<"$out"; then pass; else fail "load --help"; fi
}
images_test
unset MVM_HOME
