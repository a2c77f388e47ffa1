#!/usr/bin/env bash
# build-guests.sh OUTDIR: builds the guest matrix (examples/guests/README.md)
# into OUTDIR, from the repository's sources, with no download but the pinned
# npm packages of scripts/guests/ (jco 1.35.0 and what it needs):
#
#   c.wasm                  C, clang --target=wasm32-wasi with wasi-libc
#   rust.wasm               Rust, Debian's rustc --target wasm32-wasi
#   go.wasm                 Go, GOOS=wasip1 GOARCH=wasm
#   wat.wasm                hand-written WAT, wat2wasm
#   c-component.wasm        c.wasm wrapped by jco's preview1 command adapter
#   rust-component.wasm     rust.wasm wrapped the same way
#   js-component.wasm       guest.js, jco componentize (StarlingMonkey inside)
#   reactor-component.wasm  c.wasm wrapped by the reactor adapter: no wasi:cli/run
#
# A guest whose tool is missing is not built: OUTDIR/<name>.missing says
# which precondition is lacking, and the tests skip with that text. A build
# that fails with its tools present fails the script.
#
# Results are cached under $WASM_RUNC_GUEST_CACHE (default
# /var/cache/wasm-runc-ci/guests) by a hash of the sources, this script and
# the tools' versions, so a second run copies files. jco comes from
# scripts/install-jco.sh (npm ci of scripts/guests/package-lock.json into a
# cache directory, once).
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
src=$repo/examples/guests
cache_root=${WASM_RUNC_GUEST_CACHE:-/var/cache/wasm-runc-ci/guests}
clang=${CLANG:-clang}
# Debian's rustc: a rustup toolchain earlier on PATH may lack wasm32-wasi.
rustc=${RUSTC:-/usr/bin/rustc}
go=${GO:-go}

say() { echo "build-guests: $*" >&2; }

# version prints a tool's version line, or "missing".
version() { "$@" 2>/dev/null | head -n 1 || echo missing; }

# node_ok says whether node can run jco 1.35.0 (its commander and
# node:util's styleText need Node.js 20; Debian 12 ships 18).
node_ok() {
	command -v node >/dev/null && command -v npm >/dev/null &&
		[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ]
}

# have_clang_wasi: clang that links a WASI program (wasi-libc, lld and the
# wasm32 compiler runtime all present).
have_clang_wasi() {
	command -v "$clang" >/dev/null || return 1
	local d
	d=$(mktemp -d)
	printf 'int main(void){return 0;}\n' >"$d/t.c"
	"$clang" --target=wasm32-wasi -o "$d/t.wasm" "$d/t.c" >/dev/null 2>&1
	local rc=$?
	rm -rf "$d"
	return $rc
}

have_rustc_wasi() {
	[ -x "$rustc" ] && "$rustc" --print target-libdir --target wasm32-wasi 2>/dev/null | xargs -r test -d
}

tools=$(
	echo "clang: $(have_clang_wasi && version "$clang" --version || echo missing)"
	echo "rustc: $(have_rustc_wasi && version "$rustc" --version || echo missing)"
	echo "go: $(version "$go" version)"
	echo "wat2wasm: $(version wat2wasm --version)"
	echo "node: $(node_ok && version node --version || echo missing)"
)
key=$(
	{
		echo "$tools"
		cat "$0" "$repo/scripts/guests/package.json" "$repo/scripts/guests/package-lock.json"
		# The sources, not their documentation.
		(cd "$src" && find . -type f ! -name '*.md' | LC_ALL=C sort | while read -r f; do
			echo "$f"
			cat "$f"
		done)
	} | sha256sum | cut -c1-16
)
entry=$cache_root/$key

if [ -f "$entry/.complete" ]; then
	cp -a "$entry/." "$out/"
	rm -f "$out/.complete"
	say "cached in $entry"
	exit 0
fi

# missing NAME TEXT records a guest that cannot be built here.
missing() {
	echo "$2" >"$work/$1.missing"
	say "not building $1: $2"
}

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
began=$(date +%s)

# Core modules.
if have_clang_wasi; then
	# --strip-debug keeps function names (a trap message names the function).
	"$clang" --target=wasm32-wasi -O2 -Wl,--strip-debug -o "$work/c.wasm" "$src/c/guest.c"
else
	missing c.wasm "clang with wasi-libc for wasm32-wasi (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)"
fi
if have_rustc_wasi; then
	"$rustc" --edition 2021 --target wasm32-wasi -O -C strip=debuginfo \
		-o "$work/rust.wasm" "$src/rust/guest.rs"
else
	missing rust.wasm "Debian's rustc with the wasm32-wasi standard library at $rustc (apt-get install rustc libstd-rust-dev-wasm32)"
fi
if command -v "$go" >/dev/null; then
	(cd "$repo" && GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 "$go" build -trimpath -o "$work/go.wasm" ./examples/guests/go)
else
	missing go.wasm "a Go toolchain ($go) for GOOS=wasip1"
fi
if command -v wat2wasm >/dev/null; then
	wat2wasm -o "$work/wat.wasm" "$src/wat/guest.wat"
else
	missing wat.wasm "wat2wasm (apt-get install wabt)"
fi

# Components, with jco.
component_guests=(c-component.wasm rust-component.wasm js-component.wasm reactor-component.wasm)
jco_ready=false
set +e
jco_dir=$("$repo/scripts/install-jco.sh")
rc=$?
set -e
case $rc in
0) jco_ready=true ;;
3)
	for g in "${component_guests[@]}"; do
		missing "$g" "Node.js 20 or later with npm, for jco 1.35.0 (found: $(version node --version))"
	done
	;;
*)
	say "scripts/install-jco.sh failed"
	exit 1
	;;
esac
if $jco_ready; then
	jco=$jco_dir/node_modules/.bin/jco
	for pair in c:c-component rust:rust-component; do
		core=${pair%%:*}
		if [ -f "$work/$core.wasm" ]; then
			"$jco" new "$work/$core.wasm" --wasi-command -o "$work/${pair#*:}.wasm" >/dev/null
		else
			missing "${pair#*:}.wasm" "$(cat "$work/$core.wasm.missing")"
		fi
	done
	if [ -f "$work/c.wasm" ]; then
		"$jco" new "$work/c.wasm" --wasi-reactor -o "$work/reactor-component.wasm" >/dev/null
	else
		missing reactor-component.wasm "$(cat "$work/c.wasm.missing")"
	fi
	# jco componentize reads the WIT through a WASI shim that jco 1.35.0
	# gives no preopened directory ("failed to get path metadata"): a
	# preload hands that shim the host's root, as older shims did by default.
	js=$work/js
	mkdir -p "$js/wit/deps"
	cp "$src/js/guest.js" "$js/"
	cp "$src/js/wit/"*.wit "$js/wit/"
	cp -r "$jco_dir/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12/." "$js/wit/deps/"
	cat >"$js/preopen.mjs" <<EOF
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
const req = createRequire("$jco_dir/node_modules/@bytecodealliance/jco-transpile/package.json");
const { _setPreopens } = await import(pathToFileURL(req.resolve("@bytecodealliance/preview2-shim/filesystem")).href);
_setPreopens({ "/": "/" });
EOF
	(cd "$js" && node --import "$js/preopen.mjs" "$jco_dir/node_modules/@bytecodealliance/jco/dist/jco.js" \
		componentize guest.js --wit wit --world-name guest --disable http fetch-event -o "$work/js-component.wasm" >/dev/null)
	rm -rf "$js"
fi

echo "$tools" >"$work/TOOLS"
touch "$work/.complete"
chmod 0755 "$work"
# Another run may have finished the same entry meanwhile: keep the first.
if mv -T "$work" "$entry" 2>/dev/null; then
	trap - EXIT
else
	rm -rf "$work"
fi
# Entries of older sources go, but for the three newest (other checkouts).
ls -1dt "$cache_root"/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
cp -a "$entry/." "$out/"
rm -f "$out/.complete"
say "built in $(($(date +%s) - began)) s into $entry"
