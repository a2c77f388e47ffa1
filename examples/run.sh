#!/usr/bin/env bash
# run.sh BINARY: the main job. Builds the example Wasm module from this repo's
# Go sources (GOOS=wasip1), puts it in a bundle annotated compat-smart and runs
# it as a container with `wasm-runc run`, then prints its exit code.
set -euo pipefail
bin=${1:?usage: run.sh path/to/wasm-runc}
here=$(cd "$(dirname "$0")" && pwd)
bundle=$here/bundle
rm -rf "$bundle"
mkdir -p "$bundle/rootfs/etc"
(cd "$here/.." && GOOS=wasip1 GOARCH=wasm go build -o "$bundle/rootfs/hello.wasm" ./examples/hello)
echo wasm-runc-example > "$bundle/rootfs/etc/hostname"
cp "$here/config.json" "$bundle/config.json"
root=$(mktemp -d /tmp/wasm-runc-example.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "+ $bin --root $root run --bundle $bundle example"
set +e
"$bin" --root "$root" run --bundle "$bundle" "example-$$"
code=$?
set -e
echo "container exited with code $code"
# The example module exits with the code it was asked for (7).
[ "$code" -eq 7 ]
