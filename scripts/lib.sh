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

# Mirror the module's sources into OUT as symlinks, for a build out of the
# work tree: the files git tracks or would (not what .gitignore names;
# outside git: every source but what kbuild generates), so that an
# in-tree build's nty.mod.c is never linked and written through by
# another kernel's modpost.  Every old link
# goes first; the files kbuild writes in OUT are its own.
nty_link_sources() {
	local out=$1 s
	mkdir -p "$out"
	find "$out" -type l -delete
	{
		if git -C "$NTY_TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
			git -C "$NTY_TOP" ls-files --cached --others --exclude-standard \
				-- Kbuild module kunit include
		else
			(cd "$NTY_TOP" && echo Kbuild &&
				find module kunit include -type f \( -name '*.[ch]' -o -name Kbuild \) \
					! -name '*.mod.c')
		fi
	} | while read -r s; do
		case "$s" in *.mod.c) continue ;; *.[ch]|*Kbuild) ;; *) continue ;; esac
		[ -f "$NTY_TOP/$s" ] || continue
		mkdir -p "$(dirname "$out/$s")"
		ln -s "$NTY_TOP/$s" "$out/$s"
	done
}
