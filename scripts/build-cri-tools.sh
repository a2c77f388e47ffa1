#!/usr/bin/env bash
# build-cri-tools.sh: CRI-O (with pinns) and crictl for the CRI tests
# (integration/callers), built from the Go module proxy once and kept in a
# cache directory keyed by version; later runs only install the cached
# binaries. As root, on Debian 12, with Go and gcc on PATH.
#
# Debian 12 packages neither CRI-O nor crictl. The proxy serves both modules
# at exact versions but refuses their version lists, so `go install M@V`
# fails; `go mod download -json M@V` and a build in a copy of the module
# directory work.
#
#   CRI_CACHE     cache root (default /var/cache/wasm-runc-ci)
#   CRI_BINDIR    where the binaries are installed (default /usr/local/bin)
set -euo pipefail

CRIO_VERSION=v1.34.0
CRICTL_VERSION=v1.37.0
CRI_CACHE=${CRI_CACHE:-/var/cache/wasm-runc-ci}
CRI_BINDIR=${CRI_BINDIR:-/usr/local/bin}
# Tags that build CRI-O without gpgme, ostree, btrfs or devicemapper headers.
CRIO_TAGS="containers_image_openpgp containers_image_ostree_stub exclude_graphdriver_btrfs exclude_graphdriver_devicemapper seccomp"

crio_dir=$CRI_CACHE/cri-o-$CRIO_VERSION
crictl_dir=$CRI_CACHE/cri-tools-$CRICTL_VERSION

log() { echo "build-cri-tools: $*"; }

# module_dir MODULE VERSION: downloads the module into the module cache and
# prints its (read-only) directory.
module_dir() {
	go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# build_into DEST MODULE VERSION STEPS...: builds in a writable copy of the
# module and moves the result to DEST only when every step succeeded, so an
# interrupted build never leaves a half-filled cache entry.
build_into() {
	local dest=$1 module=$2 version=$3
	shift 3
	if [ -f "$dest/bin/.complete" ]; then
		return 0
	fi
	local src work start
	start=$(date +%s)
	src=$(module_dir "$module" "$version")
	[ -n "$src" ] || { log "go mod download $module@$version gave no directory" >&2; exit 1; }
	work=$(mktemp -d "$CRI_CACHE/.build.XXXXXX")
	cp -r "$src" "$work/src"
	chmod -R u+w "$work/src"
	mkdir -p "$work/out/bin"
	(cd "$work/src" && "$@" "$work/out/bin")
	echo "$module $version built $(date -u +%FT%TZ) in $(($(date +%s) - start)) s with $(go version | cut -d' ' -f3)" >"$work/out/BUILD-INFO"
	touch "$work/out/bin/.complete"
	rm -rf "$dest"
	mv "$work/out" "$dest"
	rm -rf "$work"
	log "$(cat "$dest/BUILD-INFO")"
}

build_crio() {
	local out=$1
	CGO_ENABLED=1 go build -mod=mod -trimpath -tags "$CRIO_TAGS" -o "$out/crio" ./cmd/crio
	gcc -O2 -o "$out/pinns" pinns/src/pinns.c pinns/src/sysctl.c
}

build_crictl() {
	local out=$1
	CGO_ENABLED=0 go build -mod=mod -trimpath -o "$out/crictl" ./cmd/crictl
}

mkdir -p "$CRI_CACHE"
# One build at a time: parallel CI jobs or engineers wait for the first.
exec 9>"$CRI_CACHE/.lock"
flock 9
# Left by an interrupted build (nobody else builds while we hold the lock).
rm -rf "$CRI_CACHE"/.build.*

build_into "$crio_dir" github.com/cri-o/cri-o "$CRIO_VERSION" build_crio
build_into "$crictl_dir" sigs.k8s.io/cri-tools "$CRICTL_VERSION" build_crictl

for b in "$crio_dir/bin/crio" "$crio_dir/bin/pinns" "$crictl_dir/bin/crictl"; do
	target=$CRI_BINDIR/$(basename "$b")
	cmp -s "$b" "$target" 2>/dev/null || install -D -m 0755 "$b" "$target"
done
log "crio $CRIO_VERSION, pinns, crictl $CRICTL_VERSION in $CRI_BINDIR (cache $CRI_CACHE)"
