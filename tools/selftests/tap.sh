# shellcheck shell=bash
# Minimal TAP for NTY's shell selftests: plan, then ok/not ok per check.
# Each result is preceded by a comment with the seconds since the one
# before (or since the plan): where a suite's time goes.
tap_n=0
tap_fail=0
tap_t=$SECONDS
tap_time() { echo "# $1: $((SECONDS - tap_t)) s"; tap_t=$SECONDS; }
tap_plan() { echo "TAP version 13"; echo "1..$1"; tap_t=$SECONDS; }
tap_ok() { tap_n=$((tap_n + 1)); tap_time "$1"; echo "ok $tap_n $1"; }
tap_not_ok() {
	tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1))
	tap_time "$1"
	echo "# $2"
	echo "not ok $tap_n $1"
}
# tap_skip NAME WHY: a check that does not apply here, and why.
tap_skip() { tap_n=$((tap_n + 1)); tap_time "$1"; echo "ok $tap_n $1 # SKIP $2"; }
# tap_check NAME MESSAGE COMMAND...: ok when COMMAND succeeds.
tap_check() {
	local name=$1 msg=$2
	shift 2
	if "$@"; then tap_ok "$name"; else tap_not_ok "$name" "$msg"; fi
}
tap_done() { [ $tap_fail -eq 0 ]; }
