#!/usr/bin/env bash
# fuzz.sh [FUZZTIME]: runs every Go fuzz target of the repository (each
# `func FuzzX` in a _test.go file) for FUZZTIME (default 10s) on top of its
# committed corpus (testdata/fuzz/FuzzX). Fails on the first crasher, which
# go test then writes to that package's testdata/fuzz for the record.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
tags='seccomp netgo osusergo urfave_cli_no_docs'
n=0
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	echo "fuzz: $pkg $name ($fuzztime)"
	CGO_ENABLED=1 go test -tags "$tags" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"
	n=$((n + 1))
done < <(grep -rHo --include='*_test.go' -E '^func (Fuzz[A-Za-z0-9_]+)' --exclude-dir=.git . |
	sed -E 's#^\./##; s#:func #:#' | sort)
echo "fuzz: $n targets, $fuzztime each"
