# Sourced by tests/cli/run: what `mvm run IMAGE` makes of an image's
# config, without booting (--dry-run prints the built configuration; the
# boots are tests/vm/test_image_run.sh). The image is the two-layer test
# image with a config set by umoci.

image_run_test() {
	local layout=$tmp/run-oci
	export MVM_HOME=$tmp/run-store
	if ! { scripts/make-test-image "$BUILD/rootfs" "$layout" "$tmp/run-bundle" &&
		umoci config --image "$layout:t" --config.entrypoint /bin/sh --config.cmd -c \
			--config.cmd 'echo $A' --config.env A=1 --config.env B=2 \
			--config.workingdir /srv --config.user nobody &&
		umoci config --image "$layout:t" --tag bare --clear=config.entrypoint \
			--clear=config.cmd && "$MVM" load -q "$layout"; } >"$tmp/run-mk.log" 2>&1; then
		fail "image run: making the test image failed: $(tail -5 "$tmp/run-mk.log")"
		unset MVM_HOME
		return
	fi
	# jq -c of the fields the image sets.
	local q='[.exec_path, .args, (.env | map(.key + "=" + .value)), .workdir_path, .user,
		.image.name, (.image.layers | length)] | tostring'
	dry() {
		mvm run --dry-run "$@"
		if [ "$rc" -ne 0 ]; then
			echo "status $rc: $err"
		else
			jq -r "$q" <<<"$out"
		fi
	}
	want() { # NAME WANT ARGS...
		local name=$1 w=$2 got
		shift 2
		got=$(dry "$@")
		if [ "$got" = "$w" ]; then pass; else fail "image run: $name: got $got, want $w"; fi
	}
	want "the image's config" \
		'["/bin/sh",["-c","echo $A"],["A=1","B=2"],"/srv","65534:65534","localhost/run-oci:t",2]' \
		localhost/run-oci:t
	want "COMMAND replaces Cmd, -e merges over Env, -w and -u replace" \
		'["/bin/sh",["ls","-l"],["A=1","B=x","C=3"],"/","0:5","localhost/run-oci:t",2]' \
		-e B=x -e C=3 -w / -u 0:5 localhost/run-oci:t ls -l
	want "--entrypoint replaces Entrypoint and drops Cmd" \
		'["/bin/echo",[],["A=1","B=2"],"/srv","65534:65534","localhost/run-oci:t",2]' \
		--entrypoint /bin/echo localhost/run-oci:t
	want "--entrypoint \"\" and a name looked up in PATH" \
		'["env",["-i"],["A=1","B=2"],"/srv","65534:65534","localhost/run-oci:t",2]' \
		--entrypoint "" localhost/run-oci:t env -i
	want "by ID prefix" \
		'["/bin/sh",["true"],["A=1","B=2"],"/srv","65534:65534","localhost/run-oci:t",2]' \
		"$(jq -r '.[] | select(.name == "localhost/run-oci:t") | .id[7:19]' <<<"$("$MVM" images --format json)")" true
	mvm run --dry-run --upper "$tmp/kept" localhost/run-oci:t
	if [ "$rc" -eq 0 ] && [ "$(jq -r .image.upper <<<"$out")" = "$tmp/kept" ] && [ ! -e "$tmp/kept" ]; then
		pass
	else
		fail "image run: --upper is taken, and a dry run makes nothing: status $rc, $out $err"
	fi

	expect_error "image run: no command at all" "sets no command" run --dry-run localhost/run-oci:bare
	expect_error "image run: an unknown user" "no user \`nobody2\` in the guest's /etc/passwd" \
		run --dry-run -u nobody2 localhost/run-oci:t
	expect_error "image run: an unknown group" "no group \`wheel\`" run --dry-run -u root:wheel localhost/run-oci:t
	expect_error "image run: an unknown image" "no image \`no/such:image\`" run --dry-run no/such:image
	expect_error "image run: --entrypoint without an image" "an entrypoint needs an image" \
		run --dry-run --root "$BUILD/rootfs" --entrypoint /bin/sh
	expect_error "image run: --upper without an image" "needs an image" \
		run --dry-run --root "$BUILD/rootfs" --upper "$tmp/up"
	expect_error "image run: passthrough for the image's root" "always shared in the virtual mode" \
		run --dry-run --share-mode passthrough localhost/run-oci:t
	expect_error "image run: --upper-on-disk without an image" "matters only for an image" \
		run --dry-run --root "$BUILD/rootfs" --upper-on-disk
	expect_error "image run: a jail user" "cannot run with a jail user" \
		run --dry-run --jail-user 1000:1000 localhost/run-oci:t
	expect_error "image run: a share of the store" "overlaps the image store" \
		run --dry-run -v "$MVM_HOME/layers:/l" localhost/run-oci:t
	expect_error "image run: an exec path with a slash" "nor a name to look up in PATH" \
		run --dry-run --root "$BUILD/rootfs" bin/sh
	mvm run --help
	if [ "$rc" -eq 0 ] && grep -q "^Usage: mvm run \[OPTIONS\] IMAGE" <<<"$out"; then pass; else
		fail "image run: run --help"
	fi
	unset MVM_HOME
}
image_run_test
