#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and friends run from traps
# conformance/bats.sh: run runc's own integration suite (the bats files of
# tests/integration, from the Go module of the runc version in go.mod) against
# a reference runc built from that same module copy and against the runtime
# under test, one after the other, and compare.
#
#   conformance/bats.sh /path/to/wasm-runc
#
# The rule it enforces: the runtime under test passes every test that the
# reference runc passes on this machine. Exit status: 0 when the rule holds,
# 1 when it does not, 2 when the suite could not be set up.
#
# See docs/conformance.md. Environment knobs:
#   BATS_CACHE          build cache (default /var/cache/wasm-runc-ci/runc-bats-<version>)
#   BATS_FILES          space-separated subset of files, e.g. "update list" (default: all)
#   BATS_TEST_TIMEOUT   per-test timeout in seconds (default 120)
#   BATS_FILE_TIMEOUT   per-file timeout in seconds (default 600)
#   BATS_RESULTS        results directory (default conformance/results/bats)
#   CONFORMANCE_NO_INSTALL  set to 1 to never call apt-get
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
# Bump when the images or the build below change, to rebuild the cache.
RECIPE=3
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
FILE_TIMEOUT=${BATS_FILE_TIMEOUT:-600}
RESULTS=${BATS_RESULTS:-$SCRIPT_DIR/results/bats}

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 2
}

[ $# -eq 1 ] || die "usage: $0 RUNTIME_UNDER_TEST (as root; see docs/conformance.md)"
[ -x "$1" ] || die "runtime under test '$1' is not an executable file"
UNDER_TEST=$(readlink -f "$1")
[ "$(id -u)" -eq 0 ] || die "must run as root (containers are created)"
command -v go >/dev/null || die "Go is required"

# ---------------------------------------------------------------------------
# dependencies: what runc's tests call on the host

deps=(bats gawk jq catatonit busybox-static util-linux gcc make libseccomp-dev pkg-config tar)
missing=()
for p in "${deps[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "${CONFORMANCE_NO_INSTALL:-0}" = 1 ] && die "missing packages: ${missing[*]} (CONFORMANCE_NO_INSTALL=1)"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
		die "apt-get install ${missing[*]} failed"
fi

# ---------------------------------------------------------------------------
# the suite, the reference runc and the images, built once into the cache

VERSION=$(cd "$REPO" && go list -m -f '{{.Version}}' github.com/opencontainers/runc) || die "no runc version in go.mod"
CACHE=${BATS_CACHE:-/var/cache/wasm-runc-ci/runc-bats-$VERSION}
SRC=$CACHE/src
IT=$SRC/tests/integration
STAMP="runc $VERSION, $(go version), recipe $RECIPE"

# busybox_image writes a busybox rootfs tarball made from Debian's static
# busybox: every applet linked in /bin, and the users and groups of the
# busybox image that runc's tests use (nobody is 65534). Like that image it
# has no /proc and /sys: mask.bats makes them symlinks.
busybox_image() {
	local d
	d=$(mktemp -d) || return 1
	chmod 0755 "$d" # the image's /: non-root users must traverse it
	mkdir -p "$d"/{bin,etc,dev,tmp,root,home,var/spool/mail,var/www,usr/sbin}
	chmod 1777 "$d/tmp"
	cp /bin/busybox "$d/bin/busybox" || return 1
	for a in $("$d/bin/busybox" --list); do
		[ "$a" = busybox ] || ln "$d/bin/busybox" "$d/bin/$a"
	done
	printf '%s\n' root:x:0:0:root:/root:/bin/sh daemon:x:1:1:daemon:/usr/sbin:/bin/false \
		bin:x:2:2:bin:/bin:/bin/false sys:x:3:3:sys:/dev:/bin/false sync:x:4:100:sync:/bin:/bin/sync \
		mail:x:8:8:mail:/var/spool/mail:/bin/false www-data:x:33:33:www-data:/var/www:/bin/false \
		operator:x:37:37:Operator:/var:/bin/false nobody:x:65534:65534:nobody:/home:/bin/false >"$d/etc/passwd"
	printf '%s\n' root:x:0: daemon:x:1: bin:x:2: sys:x:3: adm:x:4: tty:x:5: disk:x:6: lp:x:7: mail:x:8: \
		kmem:x:9: wheel:x:10:root cdrom:x:11: dialout:x:18: floppy:x:19: video:x:28: audio:x:29: tape:x:32: \
		www-data:x:33: operator:x:37: utmp:x:43: plugdev:x:46: staff:x:50: lock:x:54: netdev:x:82: \
		users:x:100: nogroup:x:65534: >"$d/etc/group"
	tar --numeric-owner --owner=0 --group=0 -C "$d" -cf "$1" .
	local rc=$?
	rm -rf "$d"
	return $rc
}

# debian_image writes a Debian rootfs tarball from this host's own installed
# packages (Debian 12, merged /usr): bash, coreutils, util-linux (findmnt,
# ionice, chrt) and what they depend on. Nothing is downloaded.
debian_image() {
	local d list p deps
	local -A seen=()
	local queue=(base-files base-passwd bash coreutils dash util-linux mount procps findutils grep sed libc-bin)
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		[ -n "${seen[$p]:-}" ] && continue
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || continue
		seen[$p]=1
		deps=$(dpkg-query -W -f='${Pre-Depends}, ${Depends}' "$p" | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g')
		for p in $deps; do queue+=("$p"); done
	done
	d=$(mktemp -d) || return 1
	chmod 0755 "$d"
	list=$d.list
	for l in bin sbin lib lib64; do ln -s "usr/$l" "$d/$l"; done
	mkdir -p "$d"/{dev,proc,sys,tmp,root,run,home,etc,var/tmp,usr/bin,usr/sbin,usr/lib,usr/lib64}
	chmod 1777 "$d/tmp" "$d/var/tmp"
	cp /usr/share/base-passwd/passwd.master "$d/etc/passwd"
	cp /usr/share/base-passwd/group.master "$d/etc/group"
	# Paths as dpkg lists them (/bin/bash), stored under their merged
	# name (usr/bin/bash); no directories, no documentation.
	for p in "${!seen[@]}"; do dpkg -L "$p"; done |
		sed -E 's#^/(bin|sbin|lib|lib64)/#/usr/\1/#' |
		grep -Ev '^/usr/share/(doc|man|info|locale|lintian)/|^/etc/(passwd|group)$' | sort -u |
		while read -r f; do
			{ [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; } && printf '%s\n' "${f#/}"
		done >"$list"
	tar --numeric-owner -C "$d" -cf "$1" . &&
		tar --numeric-owner -C / --no-recursion -rf "$1" -T "$list"
	local rc=$?
	rm -rf "$d" "$list"
	return $rc
}

build_cache() {
	local dir
	dir=$(go mod download -json "github.com/opencontainers/runc@$VERSION" | jq -r .Dir) || return 1
	[ -d "$dir/tests/integration" ] || return 1
	rm -rf "$SRC"
	mkdir -p "$CACHE"
	cp -r "$dir" "$SRC" && chmod -R u+w "$SRC" || return 1
	# The module zip keeps no file modes.
	find "$SRC" -name '*.sh' -exec chmod +x {} + || return 1
	log "building the reference runc $VERSION and the test helpers (tests/cmd)"
	# Without libpathrs (a Rust library Debian does not ship), as wasm-runc.
	make -C "$SRC" runc test-binaries RUNC_BUILDTAGS=-libpathrs COMMIT="$VERSION" >"$CACHE/build.log" 2>&1 ||
		{ tail -20 "$CACHE/build.log" >&2; return 1; }
	log "building the busybox and debian images"
	# get-images.sh downloads only when these files are missing; tar reads
	# them whatever their name says.
	busybox_image "$IT/testdata/busybox-amd64.tar.xz" || return 1
	debian_image "$IT/testdata/debian-amd64.tar.xz" || return 1
	echo "$STAMP" >"$CACHE/BUILD-INFO"
}

mkdir -p "$(dirname "$CACHE")" || die "cannot create $(dirname "$CACHE")"
exec 9>"$CACHE.lock" || die "cannot open $CACHE.lock"
flock 9
if [ "$(cat "$CACHE/BUILD-INFO" 2>/dev/null)" != "$STAMP" ]; then
	build_cache || die "could not build the suite into $CACHE"
fi
[ "$(go env GOARCH)" = amd64 ] || die "the images are built for amd64 only"
REFERENCE=$SRC/runc

# ---------------------------------------------------------------------------
# a private run directory; the runtime under test is a snapshot (others may
# rebuild it meanwhile), also installed as "runc" for tests that look for
# that name.

RUN=$(mktemp -d /tmp/wasm-runc-bats.XXXXXX) || die "mktemp failed"
chmod 0755 "$RUN"
# stray_cgroup_dirs removes what runc's helpers (create_parent) leave on the
# cgroup tmpfs: /sys/fs/cgroup/<controller> directories for controllers that
# /proc/cgroups lists but nothing mounts (hugetlb, net_cls, net_prio and
# perf_event here). podman takes them for hierarchies and then cannot remove
# its pods' cgroups. Only directories that are no mount, and only empty ones.
stray_cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/*/; do
		d=${d%/}
		mountpoint -q "$d" && continue
		[ "$(stat -f -c %T "$d" 2>/dev/null)" = tmpfs ] || continue
		find "$d" -depth -type d -empty -delete 2>/dev/null || true
	done
}
cleanup() {
	stray_cgroup_dirs
	rm -rf "$RUN"
}
trap cleanup EXIT
mkdir -p "$RUN/bin" "$RUN/as-runc"
mkfifo "$RUN/stdin" || die "mkfifo failed"
cp "$UNDER_TEST" "$RUN/bin/$(basename "$UNDER_TEST")" && cp "$UNDER_TEST" "$RUN/as-runc/runc" || die "cannot copy $UNDER_TEST"
UNDER_TEST=$RUN/bin/$(basename "$UNDER_TEST")
rm -rf "$RESULTS"
mkdir -p "$RESULTS/reference" "$RESULTS/under-test"

if [ -n "${BATS_FILES:-}" ]; then
	FILES=()
	for f in $BATS_FILES; do FILES+=("${f%.bats}.bats"); done
else
	mapfile -t FILES < <(cd "$IT" && ls ./*.bats | sed 's#^\./##')
fi

# frozen lists the freezer cgroups (v1) that are frozen, other than the
# integration tests' of this repository.
frozen() {
	grep -l FROZEN /sys/fs/cgroup/freezer/*/freezer.state /sys/fs/cgroup/freezer/*/*/freezer.state 2>/dev/null |
		grep -v '/wasm-runc-test/' || true
}

# after_file cleans up what a test file left behind when it was cut short:
# freezer cgroups it froze, containers in its state roots, mounts and files
# under its temporary directory.
after_file() {
	local runtime=$1 tmp=$2 before=$3 f st root
	for f in $(frozen); do
		grep -qxF "$f" <<<"$before" || echo THAWED >"$f"
	done
	while read -r st; do
		root=$(dirname "$(dirname "$st")")
		timeout 30 "$runtime" --root "$root" delete -f "$(basename "$(dirname "$st")")" >/dev/null 2>&1
	done < <(find "$tmp" -path '*/state/*/state.json' 2>/dev/null)
	awk -v t="$tmp" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r f; do
		umount -l "$f" 2>/dev/null
	done
	rm -rf "$tmp"
}

# run_bats RUNTIME TAP FILE [bats args]: one file, under a child subreaper
# (the machine's PID 1 reaps lazily) and a controlling terminal, with the
# per-test and per-file timeouts.
run_bats() {
	local runtime=$1 tap=$2 file=$3 tmp before cmd
	shift 3
	cmd="catatonit -- bats --tap"
	[ $# -gt 0 ] && cmd+=" $(printf '%q ' "$@")"
	cmd+=" $(printf '%q' "$file")"
	tmp=$(mktemp -d "$RUN/tmp.XXXXXX")
	chmod 0755 "$tmp"
	before=$(frozen)
	# bats' per-test timeout is a watchdog job in the test's shell: a test
	# that waits for all its jobs with a bare `wait` (events.bats) would wait
	# for it too and always time out. Such files have the per-file timeout.
	local per_test=$BATS_TEST_TIMEOUT
	grep -qE '^[[:space:]]*wait[[:space:]]*(#.*)?$' "$IT/$file" && per_test=
	# script's stdin is a FIFO that never ends: at the end of its input
	# script sends an end-of-file character, which a foreground
	# `runc run` with a terminal hands on to the container ("^@").
	exec 8<>"$RUN/stdin"
	(cd "$IT" && TMPDIR=$tmp RUNC=$runtime BATS_TEST_TIMEOUT=$per_test timeout -k 15 "$FILE_TIMEOUT" \
		script -qec "$cmd" /dev/null <&8) |
		tr -d '\r' >"$tap"
	exec 8<&-
	after_file "$runtime" "$tmp" "$before"
}

# verdicts FILE TAP: "file<TAB>name<TAB>ok|fail|skip" for every test in the
# TAP, and "fail" for the tests of the plan that never reported.
verdicts() {
	awk -v file="$1" '
		/^1\.\.[0-9]+$/ { split($0, p, "\\.\\."); plan = p[2] }
		/^(not )?ok [0-9]+ / {
			v = ($1 == "ok") ? "ok" : "fail"
			line = $0
			sub(/^(not )?ok [0-9]+ /, "", line)
			if (v == "ok" && match(line, / # skip( |$)/)) { v = "skip"; line = substr(line, 1, RSTART - 1) }
			if (v == "fail") sub(/ # timeout.*$/, "", line)
			print file "\t" line "\t" v
			seen++
		}
		END { for (i = seen + 1; i <= plan; i++) print file "\t(test " i ", never reported)\tfail" }
	' "$2"
}

start=$(date +%s)
for side in reference under-test; do
	runtime=$REFERENCE
	[ $side = under-test ] && runtime=$UNDER_TEST
	log "runc's bats suite ($VERSION) against $runtime"
	for f in "${FILES[@]}"; do
		[ -f "$IT/$f" ] || die "no such bats file: $f"
		run_bats "$runtime" "$RESULTS/$side/${f%.bats}.tap" "$f"
		verdicts "$f" "$RESULTS/$side/${f%.bats}.tap" >>"$RESULTS/$side.tsv"
	done
done

# A test that passed under the reference and not under the runtime under
# test gets two more tries: as it is (a flake), then installed as "runc" (a
# test that only knows runc's name, e.g. one listing the sealed binary /runc).
regex_quote() { sed 's/[][\.*^$?+(){}|/]/\\&/g' <<<"$1"; }
: >"$RESULTS/table.tsv"
while IFS=$'\t' read -r f name ref; do
	got=$(awk -F'\t' -v f="$f" -v n="$name" '$1 == f && $2 == n { print $3; exit }' "$RESULTS/under-test.tsv")
	got=${got:-fail}
	note=
	if [ "$ref" = ok ] && [ "$got" != ok ] && [[ $name != "(test "* ]]; then
		for try in flaky as-runc; do
			runtime=$UNDER_TEST
			[ $try = as-runc ] && runtime=$RUN/as-runc/runc
			tap=$RESULTS/under-test/${f%.bats}.retry-$try.$RANDOM.tap
			run_bats "$runtime" "$tap" "$f" -f "^$(regex_quote "$name")\$"
			if grep -q '^ok ' "$tap" && ! grep -q '^ok .* # skip' "$tap"; then
				got=ok note=$try
				break
			fi
		done
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$name" "$ref" "$got" "$note" >>"$RESULTS/table.tsv"
done <"$RESULTS/reference.tsv"

count() { awk -F'\t' -v c="$1" -v v="$2" '$c == v' "$RESULTS/table.tsv" | wc -l; }
total=$(wc -l <"$RESULTS/table.tsv")
first_ok=$(awk -F'\t' '$3 == "ok"' "$RESULTS/under-test.tsv" | wc -l)
{
	printf '%-24s %-70s %-9s %-9s %s\n' FILE TEST RUNC WASM-RUNC NOTE
	awk -F'\t' '{ printf "%-24s %-70s %-9s %-9s %s\n", $1, substr($2, 1, 70), $3, $4, $5 }' "$RESULTS/table.tsv"
	echo
	echo "bats runc $VERSION: $(count 3 ok) pass, $(count 3 fail) fail, $(count 3 skip) skip (of $total)"
	echo "bats wasm-runc:     $(count 4 ok) pass, $(count 4 fail) fail, $(count 4 skip) skip (of $total;" \
		"$first_ok pass at the first try, $(count 5 flaky) on a retry, $(count 5 as-runc) installed as runc)"
	echo "time: $(($(date +%s) - start)) s"
} | tee "$RESULTS/latest.txt"

regressions=$(awk -F'\t' '$3 == "ok" && $4 != "ok"' "$RESULTS/table.tsv")
if [ -n "$regressions" ]; then
	echo
	echo "FAIL: passed under runc $VERSION, not under wasm-runc:"
	awk -F'\t' '{ print "  " $1 ": " $2 }' <<<"$regressions"
	exit 1
fi
echo "OK: wasm-runc passes every bats test that runc $VERSION passes"
