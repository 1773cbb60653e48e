# shellcheck shell=bash
# Meeting points for the two guests of scripts/nty-pair: files in the
# directory both share ($NTY_PAIR), named <role>.<what>.
#
#   pair_mark NAME           this guest reached NAME
#   pair_await NAME [SECS]   wait for the peer to reach NAME (default 300 s);
#                            fails if the peer's guest ended first
#   pair_put NAME <FILE      leave the peer a file; pair_get NAME prints the
#                            peer's (after pair_await NAME)
ROLE=${NTY_ROLE:?not in a guest of scripts/nty-pair}
case $ROLE in a) PEER=b ;; b) PEER=a ;; esac
pair_mark() { : >"$NTY_PAIR/$ROLE.$1"; }
pair_await() {
	local f="$NTY_PAIR/$PEER.$1" end=$((SECONDS + ${2:-300}))
	while [ ! -e "$f" ]; do
		[ -e "$NTY_PAIR/$PEER.exit" ] && return 1
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
pair_put() { cat >"$NTY_PAIR/$ROLE.$1.data" && pair_mark "$1"; }
pair_get() { cat "$NTY_PAIR/$PEER.$1.data"; }
