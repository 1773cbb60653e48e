# shellcheck shell=bash
# Shared helpers for NTY's scripts: where things live, and how to talk.

NTY_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NTY_CACHE=${NTY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nty}
NTY_KSRC_TAR=/usr/src/linux-source-6.12.tar.xz

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian package version of the kernel source, e.g. 6.12.117-1~deb12u1.
nty_ksrc_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null
}

# Unpacked test-kernel source tree (unpacked once, then reused).
nty_ksrc_dir() {
	local ver
	ver=$(nty_ksrc_version) || return 1
	printf '%s/src/linux-source-6.12_%s\n' "$NTY_CACHE" "$ver"
}
