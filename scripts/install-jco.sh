#!/usr/bin/env bash
# install-jco.sh: installs jco 1.35.0 (and what it needs, pinned by
# scripts/guests/package-lock.json) with `npm ci` into $WASM_RUNC_JCO_DIR
# (default /var/cache/wasm-runc-ci/jco-1.35.0), unless it is there already
# from the same lock file. Prints the directory. Exits 3 when Node.js 20 or
# later with npm is missing (jco 1.35.0's commander and its use of
# node:util's styleText need it; Debian 12's nodejs is 18), 1 when npm fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${WASM_RUNC_JCO_DIR:-/var/cache/wasm-runc-ci/jco-1.35.0}
lock=$repo/scripts/guests/package-lock.json

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ! command -v npm >/dev/null || [ "$major" -lt 20 ]; then
	echo "install-jco: jco 1.35.0 needs Node.js 20 or later with npm (found: $(node --version 2>/dev/null || echo none), npm $(npm --version 2>/dev/null || echo none))" >&2
	exit 3
fi
ready() { [ -x "$dir/node_modules/.bin/jco" ] && cmp -s "$lock" "$dir/package-lock.json"; }
if ready; then
	echo "$dir"
	exit 0
fi
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
if ! ready; then
	echo "install-jco: npm ci (scripts/guests/package-lock.json) into $dir" >&2
	tmp=$(mktemp -d "$dir.new-XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp "$repo/scripts/guests/package.json" "$lock" "$tmp/"
	npm ci --prefix "$tmp" --no-audit --no-fund --loglevel=error >&2
	chmod 0755 "$tmp"
	rm -rf "$dir"
	mv -T "$tmp" "$dir"
	trap - EXIT
fi
echo "$dir"
