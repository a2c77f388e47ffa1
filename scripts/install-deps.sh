#!/usr/bin/env bash
# install-deps.sh: what building and testing wasm-runc needs on Debian 12, as
# root. Idempotent: installs only what is missing.
set -euo pipefail

pkgs=(gcc make libseccomp-dev runc crun busybox-static catatonit wabt criu)
# runc's own bats suite (conformance/bats.sh) and what its tests call.
pkgs+=(bats gawk jq)
# The callers the integration tests drive (TestPodman, TestContainerd*):
# podman with conmon (catatonit is its pod infra), containerd with its runc
# shim and ctr.
pkgs+=(podman conmon containerd)
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
