#!/usr/bin/env bash
# fuzz.sh [FUZZTIME]: runs every Go fuzz target of the repository (each
# `func FuzzX` in a _test.go file) for FUZZTIME (default 10s; `make test`
# gives a count, e.g. 20000x, see below) on top of its committed corpus
# (testdata/fuzz/FuzzX). Fails when a target finds an input
# that fails it; go test then writes that input to the package's
# testdata/fuzz/FuzzX: commit it with the fix. A failure of the fuzzing
# engine itself that leaves no such input is reported and retried, up to
# twice. The one seen here is Go's: with a duration, the coordinator can
# report "context deadline exceeded" when the time runs out while a worker
# is busy (go.dev/issue/75804, fixed in Go 1.27, present in 1.26); a count
# of executions (FUZZTIME=Nx) has no deadline to race, which is why
# `make test` uses one.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
tags='seccomp netgo osusergo urfave_cli_no_docs'
n=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
count() { if [ -d "$1" ]; then ls "$1" | wc -l; else echo 0; fi; }
run() { CGO_ENABLED=1 go test -tags "$tags" -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" "$1" >"$out" 2>&1; }
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	corpus=$(dirname "$file")/testdata/fuzz/$name
	echo "fuzz: $pkg $name ($fuzztime)"
	before=$(count "$corpus")
	if ! run "$pkg" "$name"; then
		after=$(count "$corpus")
		if [ "$after" -gt "$before" ]; then
			cat "$out"
			echo "fuzz: $name found a failing input, now in $corpus" >&2
			exit 1
		fi
		ok=
		for attempt in 2 3; do
			grep -v '^fuzz: elapsed' "$out" | tail -15
			echo "fuzz: $name: the fuzzing engine failed without a failing input; attempt $attempt"
			if run "$pkg" "$name"; then
				ok=1
				break
			fi
			if [ "$(count "$corpus")" -gt "$before" ]; then
				cat "$out"
				echo "fuzz: $name found a failing input, now in $corpus" >&2
				exit 1
			fi
		done
		if [ -z "$ok" ]; then
			cat "$out"
			exit 1
		fi
	fi
	tail -1 "$out"
	n=$((n + 1))
done < <(grep -rHo --include='*_test.go' -E '^func (Fuzz[A-Za-z0-9_]+)' --exclude-dir=.git . |
	sed -E 's#^\./##; s#:func #:#' | sort)
echo "fuzz: $n targets, $fuzztime each"
