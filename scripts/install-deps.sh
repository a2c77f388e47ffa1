#!/usr/bin/env bash
# install-deps.sh: what building and testing wasm-runc needs on Debian 12, as
# root. Idempotent: installs only what is missing.
set -euo pipefail

pkgs=(gcc make libseccomp-dev runc crun busybox-static catatonit wabt criu)
# runc's own bats suite (conformance/bats.sh) and what its tests call.
pkgs+=(bats gawk jq)
# The callers the integration tests drive (integration/callers): podman with
# conmon (catatonit is its pod infra and the CRI tests' pause image),
# containerd with its runc shim and ctr, and what CRI-O needs beside itself:
# conmon and the CNI plugins.
pkgs+=(podman conmon containerd containernetworking-plugins)
# wasi-libc guests the Wasm tests build (integration/wasm_cwd_test.go,
# wasm/compiler, and the guest matrix: scripts/build-guests.sh,
# examples/guests): C with clang for wasm32-wasi, Rust with Debian's rustc
# (called as /usr/bin/rustc); util-linux's flock.
pkgs+=(clang lld wasi-libc libclang-rt-14-dev-wasm32 rustc libstd-rust-dev-wasm32 util-linux)
# Node.js and npm run jco, only when missing: a Node.js from elsewhere (such
# as NodeSource's, which bundles npm) conflicts with Debian's npm.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "install-deps: Go 1.26 is required (not found in PATH)" >&2; exit 1; }
go mod download
# CRI-O (with pinns) and crictl, which Debian 12 does not package: built from
# the Go module proxy once, then reused from a cache.
"$(dirname "$0")/build-cri-tools.sh"
# jco 1.35.0 for the component guests: npm ci into a cache, once. It needs
# Node.js 20 (Debian 12 has 18): without it the component guests are not
# built, and make test (WASM_RUNC_GUESTS_REQUIRED=1) fails saying so.
if ! "$(dirname "$0")/install-jco.sh" >/dev/null; then
	echo "install-deps: jco is not installed; the component guests cannot be built" >&2
fi
