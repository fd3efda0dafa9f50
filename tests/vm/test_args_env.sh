#!/usr/bin/env bash
# Arguments and environment pass through byte for byte, with no count or
# quoting limits (the reference used the kernel command line for these).
. "$(dirname "$0")/guest.sh"

env_args=()
for i in $(seq 1 200); do
	env_args+=(-e "VAR_$i=value $i with \"quotes\" and = and ü")
done
mvm_run "${env_args[@]}" -- /bin/sh -c 'env | grep ^VAR_ | sort'
for i in $(seq 1 200); do printf 'VAR_%s=value %s with "quotes" and = and ü\n' "$i" "$i"; done | sort >"$WORK/expected-env"
if cmp -s "$WORK/expected-env" "$WORK/out"; then
	pass "200 env vars exact"
else
	fail "200 env vars exact" "$(diff "$WORK/expected-env" "$WORK/out" | head -5 | tr '\n' '|')"
fi

args=("with space" "double\"quote" "single'quote" "a=b=c" "ünïcödé ✓" "" "--flag" 'back\slash' 'dollar $HOME')
mvm_run -- /bin/sh -c 'for a in "$@"; do printf "[%s]\n" "$a"; done' sh "${args[@]}"
expected=$(for a in "${args[@]}"; do printf '[%s]\n' "$a"; done)
expect_out "args exact" "$expected"

mvm_run -e 'EMPTY=' -e 'EQ=a=b' -- /bin/sh -c 'printf "%s|%s|%s" "${EMPTY-unset}" "$EQ" "$PATH"'
expect_out "env edge values and default PATH" "|a=b|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

finish
