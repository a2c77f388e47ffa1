#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup runs from a trap
# bench/run.sh: measure wasm-runc against Debian's runc and crun on this
# machine, in one interleaved run (make bench).
#
#   bench/run.sh /path/to/wasm-runc [wasmbench flags...]
#
# Installs what it lacks (runc, crun, busybox-static), applies the cgroup fix
# crun 1.8.1 needs on a cgroup v1 hybrid host, builds the payloads from this
# repo (a static busybox for native containers, examples/wat/hello.wat,
# bench/sleep.wat, examples/hello as GOOS=wasip1, the guest matrix of
# scripts/build-guests.sh) and the driver
# (bench/cmd/wasmbench), then runs it. Results: bench/results/results.{txt,json,png}.
#
# Environment: BENCH_FLAGS (extra wasmbench flags, e.g. "-n 20 -only run,seq"),
# BENCH_RESULTS (results directory), BENCH_NO_INSTALL=1 (never call apt-get).
# See docs/performance.md.
set -euo pipefail

bin=${1:?usage: bench/run.sh path/to/wasm-runc [wasmbench flags...]}
shift
bin=$(readlink -f "$bin")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
results=${BENCH_RESULTS:-$here/results}

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 2
}

[ "$(id -u)" -eq 0 ] || die "run as root (containers need it)"
[ -x "$bin" ] || die "$bin: not an executable"
command -v go >/dev/null || die "Go is required"

# --- dependencies -----------------------------------------------------------
pkgs=(runc crun busybox-static)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "${BENCH_NO_INSTALL:-}" != 1 ] || die "missing packages: ${missing[*]}"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
runc=$(command -v runc) crun=$(command -v crun)

# crun 1.8.1 refuses every container on a cgroup v1 hybrid host while the
# unified hierarchy holds a controller ("cgroups in hybrid mode not
# supported"); mounting hugetlb as v1 empties it. runc does not mind either way.
unified=/sys/fs/cgroup/unified/cgroup.controllers
if [ -s "$unified" ] && grep -qw hugetlb "$unified"; then
	log "mounting the hugetlb cgroup v1 hierarchy (crun needs an empty cgroup2 controller list)"
	mkdir -p /sys/fs/cgroup/hugetlb
	mountpoint -q /sys/fs/cgroup/hugetlb || mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi

# --- scratch space and cleanup ---------------------------------------------
# Under /run, never under the binary's directory: libcontainer's sealed-binary
# overlay refuses a state root inside it and falls back to a 30 MB copy per
# container (see docs/performance.md).
mkdir -p /run/wasm-runc-bench
work=$(mktemp -d /run/wasm-runc-bench/run.XXXXXX)
driver_pid=
cleanup() {
	local code=$?
	trap - EXIT INT TERM HUP
	if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then
		kill -TERM "$driver_pid" 2>/dev/null || true
		wait "$driver_pid" 2>/dev/null || true
	fi
	# The driver removes its containers; this catches whatever a killed
	# driver left behind.
	for root in "$work"/root/*; do
		[ -d "$root" ] || continue
		case $(basename "$root") in
		wasm-runc) rt=$bin ;;
		runc) rt=$runc ;;
		crun) rt=$crun ;;
		*) continue ;;
		esac
		for c in "$root"/*; do
			[ -d "$c" ] || continue
			"$rt" --root "$root" delete --force "$(basename "$c")" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$work"
	exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- payloads ---------------------------------------------------------------
log "building payloads in $work/rootfs"
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,dev,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/echo"
ln -s busybox "$rootfs/bin/sleep"
cp "$repo/examples/wat/hello.wat" "$rootfs/hello.wat"
cp "$here/sleep.wat" "$rootfs/sleep.wat"
(cd "$repo" && GOOS=wasip1 GOARCH=wasm go build -trimpath -o "$rootfs/hello.wasm" ./examples/hello)
# The guests phase: a WAT module and component doing nothing, and the guest
# matrix (a guest whose toolchain is missing leaves NAME.missing instead).
cp "$repo/examples/wat/exit.wat" "$repo/examples/wat/component-ok.wat" "$rootfs/"
"$repo/scripts/build-guests.sh" "$rootfs" >&2
echo wasmbench >"$rootfs/etc/hostname"

log "building the driver"
(cd "$repo" && go build -trimpath -o "$work/wasmbench" ./bench/cmd/wasmbench)

log "running (results in $results, or where -out says)"
# shellcheck disable=SC2086 # BENCH_FLAGS is a list of flags
"$work/wasmbench" -wasm-runc "$bin" -runc "$runc" -crun "$crun" \
	-rootfs "$rootfs" -work "$work" -out "$results" ${BENCH_FLAGS:-} "$@" &
driver_pid=$!
wait "$driver_pid"
