#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and friends run from traps
# conformance/run.sh: run the OCI runtime-tools validation suite against Debian's
# runc and against the runtime under test, side by side, and compare.
#
#   conformance/run.sh /path/to/wasm-runc
#
# The rule it enforces: the runtime under test passes every validation program
# that Debian's runc passes on this machine.  Exit status: 0 when the rule holds,
# 1 when it does not, 2 when the suite could not be set up.
#
# See docs/conformance.md.  Environment knobs:
#   CONFORMANCE_REFERENCE   reference runtime (default: Debian's runc, /usr/sbin/runc)
#   CONFORMANCE_CACHE       build cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/wasm-runc-conformance)
#   CONFORMANCE_TIMEOUT     per-program timeout in seconds (default 45; slow programs get 2x)
#   CONFORMANCE_PROGRAMS    space-separated subset of validation programs to run
#   CONFORMANCE_RETRIES     extra attempts for the failing side when the runtimes disagree (default 2)
#   CONFORMANCE_RESULTS     results directory (default conformance/results next to this script)
#   CONFORMANCE_NO_INSTALL  set to 1 to never call apt-get
set -uo pipefail

# ---------------------------------------------------------------------------
# settings

RTT_MODULE=github.com/opencontainers/runtime-tools
RTT_VERSION=v0.9.0 # the newest version the Go module proxy serves; pinned in suite.mod

# Per-program timeouts.  With runc every program ends within 15 s; these are
# the ones that legitimately wait (10 s status polls, 30 s sleeping containers)
# and get twice the default.
SLOW_PROGRAMS="delete kill pidfile killsig start state poststart poststop hooks"
DEFAULT_TIMEOUT=${CONFORMANCE_TIMEOUT:-45}
RETRIES=${CONFORMANCE_RETRIES:-2}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CONFORMANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wasm-runc-conformance}
RESULTS=${CONFORMANCE_RESULTS:-$SCRIPT_DIR/results}
LOCK=/run/wasm-runc-conformance.lock

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 2
}

usage() {
	echo "usage: $0 RUNTIME_UNDER_TEST" >&2
	echo "       (run as root; see docs/conformance.md)" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case $1 in -h | --help) usage ;; esac
[ -x "$1" ] || die "runtime under test '$1' is not an executable file"
UNDER_TEST=$(readlink -f "$1")
[ "$(id -u)" -eq 0 ] || die "must run as root (containers are created)"

# ---------------------------------------------------------------------------
# dependencies

APT_UPDATED=0
apt_install() {
	[ "${CONFORMANCE_NO_INSTALL:-0}" = 1 ] && die "missing packages: $* (CONFORMANCE_NO_INSTALL=1)"
	command -v apt-get >/dev/null || die "missing packages: $* (and no apt-get)"
	log "installing $*"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "$@" >&2; then
		[ $APT_UPDATED = 1 ] && die "apt-get install $* failed"
		apt-get update -q >&2 || die "apt-get update failed"
		APT_UPDATED=1
		apt-get install -y -q --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
	fi
}

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

ensure_deps() {
	local missing=()
	pkg_installed busybox-static || missing+=(busybox-static)
	if [ -z "${CONFORMANCE_REFERENCE:-}" ]; then
		pkg_installed runc || missing+=(runc)
	fi
	command -v tar >/dev/null || missing+=(tar)
	command -v gzip >/dev/null || missing+=(gzip)
	command -v unshare >/dev/null || missing+=(util-linux) # linux_ns_path* run it
	command -v flock >/dev/null || missing+=(util-linux)
	command -v timeout >/dev/null || missing+=(coreutils)
	if [ ${#missing[@]} -gt 0 ]; then
		mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
		apt_install "${missing[@]}"
	fi

	if ! command -v go >/dev/null; then
		[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin
	fi
	command -v go >/dev/null || die "Go is needed to build the validation suite (the project needs it too)"

	if [ -n "${CONFORMANCE_REFERENCE:-}" ]; then
		REFERENCE=$(readlink -f "$CONFORMANCE_REFERENCE")
	else
		REFERENCE=$(dpkg -L runc | grep -E '/s?bin/runc$' | head -n1)
	fi
	[ -x "$REFERENCE" ] || die "reference runtime '$REFERENCE' not found"
	BUSYBOX=$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -n1)
	[ -x "$BUSYBOX" ] || die "busybox-static's busybox not found"
}

# ---------------------------------------------------------------------------
# build the validation programs and runtimetest, outside the repo's module

build_suite() {
	SUITE=$CACHE/runtime-tools-$RTT_VERSION
	local stamp
	if [ ! -f "$SCRIPT_DIR/suite.mod" ] || [ ! -f "$SCRIPT_DIR/suite.sum" ]; then
		die "missing $SCRIPT_DIR/suite.mod or suite.sum"
	fi
	stamp=$(cat "$SCRIPT_DIR/suite.mod" "$SCRIPT_DIR/suite.sum" <(go version) | sha256sum | cut -c1-16)
	if [ -f "$SUITE/stamp" ] && [ "$(cat "$SUITE/stamp")" = "$stamp" ] && [ -x "$SUITE/bin/runtimetest" ]; then
		return 0
	fi

	log "building runtime-tools $RTT_VERSION validation programs in $SUITE"
	rm -rf "$SUITE"
	mkdir -p "$SUITE/bin" || die "cannot create $SUITE"
	cp "$SCRIPT_DIR/suite.mod" "$SUITE/go.mod" || die "cannot write $SUITE"
	cp "$SCRIPT_DIR/suite.sum" "$SUITE/go.sum" || die "cannot write $SUITE"
	(
		cd "$SUITE" || exit 1
		# the module cache is the user's; go.sum pins every hash, so only the
		# module proxy is needed (no checksum database, no VCS)
		export GOWORK=off GOTOOLCHAIN=local GOFLAGS='-mod=readonly -buildvcs=false' CGO_ENABLED=0
		src=$(go mod download -json "$RTT_MODULE@$RTT_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
		[ -d "$src/validation" ] || {
			echo "cannot download $RTT_MODULE@$RTT_VERSION" >&2
			exit 1
		}
		pkgs=()
		for d in "$src"/validation/*/; do
			n=$(basename "$d")
			[ "$n" = util ] && continue
			pkgs+=("$RTT_MODULE/validation/$n")
		done
		# runtimetest runs inside the busybox rootfs: static (CGO_ENABLED=0)
		go build -p 2 -trimpath -o bin/ "${pkgs[@]}" &&
			go build -trimpath -o bin/runtimetest "$RTT_MODULE/cmd/runtimetest"
	) >&2 || die "building the validation suite failed"
	printf '%s\n' "$stamp" >"$SUITE/stamp"
}

# ---------------------------------------------------------------------------
# rootfs-<arch>.tar.gz from busybox-static: what the programs untar as the bundle
# (the config's root.path is ".").  They need /bin/sh (hooks run it from the
# host), true, false, sh, sleep, cat, touch, echo in $PATH, /etc/passwd and
# /etc/group, and the mount points proc, sys, dev.

ROOTFS_LAYOUT=2 # bump when the layout below changes
build_rootfs() {
	local arch ver dir tmp
	arch=$(go env GOARCH)
	ver=$(dpkg-query -W -f='${Version}' busybox-static | tr -c 'A-Za-z0-9.\n' '_')
	dir=$CACHE/rootfs-v$ROOTFS_LAYOUT-busybox-$ver
	ROOTFS_TAR=$dir/rootfs-$arch.tar.gz
	[ -s "$ROOTFS_TAR" ] && return 0

	log "building $ROOTFS_TAR from $BUSYBOX"
	mkdir -p "$dir" || die "cannot create $dir"
	tmp=$(mktemp -d "$dir/tree.XXXXXX") || die "mktemp failed"
	(
		set -e
		cd "$tmp"
		# "." becomes the bundle directory: it must be traversable by the
		# non-root users of process_user, linux_uid_mappings, linux_ns_nopath
		chmod 0755 .
		mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root
		chmod 1777 tmp
		chmod 0700 root
		install -m 0755 "$BUSYBOX" bin/busybox
		"$BUSYBOX" --list-full | while read -r applet; do
			case $applet in */*) ;; *) continue ;; esac # skip linuxrc
			[ -e "$applet" ] || [ -L "$applet" ] && continue
			case $(dirname "$applet") in
			bin) ln -s busybox "$applet" ;;
			sbin) ln -s ../bin/busybox "$applet" ;;
			usr/bin | usr/sbin) ln -s ../../bin/busybox "$applet" ;;
			esac
		done
		cat >etc/passwd <<-'EOF'
			root:x:0:0:root:/root:/bin/sh
			daemon:x:1:1:daemon:/:/bin/false
			bin:x:2:2:bin:/bin:/bin/false
			nobody:x:65534:65534:nobody:/:/bin/false
		EOF
		cat >etc/group <<-'EOF'
			root:x:0:
			daemon:x:1:
			bin:x:2:
			tty:x:5:
			uucp:x:10:
			nogroup:x:65534:
		EOF
		tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
			-czf "$tmp.tar.gz" .
	) || {
		rm -rf "$tmp" "$tmp.tar.gz"
		die "building the rootfs failed"
	}
	mv "$tmp.tar.gz" "$ROOTFS_TAR"
	rm -rf "$tmp"
}

# ---------------------------------------------------------------------------
# one run's private state: $WORK holds the programs' working directory, the
# bundles (TMPDIR), the runtimes' --root directories and wrapper scripts.

WORK=
LABELS=(runc wasm-runc)
declare -A REAL STATE_ROOT WRAPPER BUNDLES
CG_BEFORE=

setup_work() {
	WORK=$(mktemp -d "/tmp/wasm-runc-conformance.XXXXXX") || die "mktemp failed"
	chmod 0711 "$WORK"
	mkdir -p "$WORK/cwd" "$WORK/wrappers"
	cp "$ROOTFS_TAR" "$SUITE/bin/runtimetest" "$WORK/cwd/" || die "cannot populate $WORK"

	# a snapshot of the binary under test: others may rebuild it during the run
	mkdir -p "$WORK/bin"
	cp "$UNDER_TEST" "$WORK/bin/wasm-runc" || die "cannot copy $UNDER_TEST"
	REAL[runc]=$REFERENCE
	REAL[wasm-runc]=$WORK/bin/wasm-runc
	local l
	for l in "${LABELS[@]}"; do
		STATE_ROOT[$l]=$WORK/state-$l
		BUNDLES[$l]=$WORK/bundles-$l
		WRAPPER[$l]=$WORK/wrappers/$l
		mkdir -p "${STATE_ROOT[$l]}" "${BUNDLES[$l]}" "$RESULTS_DIR/$l"
		# The programs call "$RUNTIME <verb> ..." with no global flags; the wrapper
		# adds a private --root (so the runs never see or leave anything in the
		# runtimes' default root dirs) and logs every call.
		cat >"${WRAPPER[$l]}" <<-EOF
			#!/bin/sh
			printf '%s\n' "\$*" >>'$RESULTS_DIR/$l/calls.log'
			exec '${REAL[$l]}' --root '${STATE_ROOT[$l]}' "\$@"
		EOF
		chmod 0755 "${WRAPPER[$l]}"
	done
	CG_BEFORE=$(cgroup_candidates)
}

# Cgroups the programs create by name (runtime-tools' AbsCgroupPath and
# RelCgroupPath).  Only those that did not exist before the run are removed.
# Relative paths land under this process's own cgroup of each hierarchy,
# which is not the hierarchy's root when the caller runs in a sub-cgroup (the
# memory hierarchy on the development machine).
cgroup_candidates() {
	local h p _id ctrl own
	{
		for h in /sys/fs/cgroup/*/; do printf '%s\n' "$h"; done
		while IFS=: read -r _id ctrl own; do
			h=/sys/fs/cgroup/${ctrl#name=}
			[ -n "$ctrl" ] && [ "$own" != / ] && [ -d "$h$own" ] && printf '%s\n' "$h$own/"
		done </proc/self/cgroup
	} | sort -u | while read -r h; do
		for p in testdir/cgrouptest/container testdir/cgrouptest testdir cgrouptest; do
			[ -d "$h$p" ] && printf '%s\n' "$h$p"
		done
	done
}

# lazily unmount everything mounted under $1 (deepest first); prints the count
unmount_under() {
	local prefix=$1 n=0 mp
	while read -r mp; do
		umount -l "$mp" 2>/dev/null && n=$((n + 1))
	done < <(awk -v p="$prefix/" '{ mp = $5; if (index(mp, p) == 1) print mp }' /proc/self/mountinfo |
		while read -r m; do printf '%b\n' "$m"; done | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
	echo $n
}

# remove every container left in a runtime's private root; prints their ids
reap_containers() {
	local l=$1 root=${STATE_ROOT[$1]} real=${REAL[$1]} d id cg
	for d in "$root"/*/; do
		[ -d "$d" ] || continue
		id=$(basename "$d")
		cg=$(grep -o '"/sys/fs/cgroup/[^"]*"' "$d/state.json" 2>/dev/null | tr -d '"' | sort -u)
		timeout 10 "$real" --root "$root" kill "$id" KILL >/dev/null 2>&1
		timeout 20 "$real" --root "$root" delete --force "$id" >/dev/null 2>&1
		if [ -d "$d" ]; then
			# the runtime could not delete it: kill its init by pid and drop the state
			local pid
			pid=$(grep -o '"init_process_pid": *[0-9]*' "$d/state.json" 2>/dev/null | grep -o '[0-9]*$')
			[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
			rm -rf "$d"
		fi
		for c in $cg; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
		printf '%s ' "$id"
	done
}

# Tidy up after one program: leftover containers, mounts (linux_ns_itype runs
# a container in the host mount namespace and its mounts stay behind), bundles.
LEAKS=()
cleanup_after_program() {
	local l=$1 prog=$2 ids n
	ids=$(reap_containers "$l")
	[ -n "$ids" ] && LEAKS+=("$l $prog: container(s) left behind, killed and deleted: $ids")
	n=$(unmount_under "${BUNDLES[$l]}")
	[ "$n" != 0 ] && LEAKS+=("$l $prog: $n mount(s) left in the host mount namespace, lazily unmounted")
	rm -rf --one-file-system "${BUNDLES[$l]:?}"/* 2>/dev/null
}

cleanup() {
	local rc=$? l c r
	trap - EXIT INT TERM
	[ -n "$WORK" ] && [ -d "$WORK" ] || exit "$rc"
	for l in "${LABELS[@]}"; do
		[ -n "${STATE_ROOT[$l]:-}" ] && reap_containers "$l" >/dev/null
		# containers the runtime put in its default root despite --root (only
		# looked at when that root exists: "list" would create it)
		r=$("${REAL[$l]}" --help 2>/dev/null | sed -n 's/.*--root value.*(default: "\(.*\)").*/\1/p' | head -n1)
		if [ -z "$r" ] || [ ! -d "$r" ]; then continue; fi
		for c in $(timeout 10 "${REAL[$l]}" --root "$r" list -q 2>/dev/null); do
			if timeout 10 "${REAL[$l]}" --root "$r" state "$c" 2>/dev/null | grep -q "\"bundle\": *\"$WORK/"; then
				timeout 20 "${REAL[$l]}" --root "$r" delete --force "$c" >/dev/null 2>&1
				warn "$l left container $c in its default root $r; deleted"
			fi
		done
	done
	unmount_under "$WORK" >/dev/null
	# the cgroups the programs named, if we created them and they are empty now
	while read -r c; do
		[ -n "$c" ] || continue
		grep -qxF "$c" <<<"$CG_BEFORE" && continue
		rmdir "$c" 2>/dev/null || warn "could not remove cgroup $c"
	done < <(cgroup_candidates | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
	if awk -v p="$WORK/" 'index($5, p) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
		warn "mounts remain under $WORK; not removing it"
	else
		rm -rf --one-file-system "$WORK"
	fi
	exit "$rc"
}

# ---------------------------------------------------------------------------
# running and judging one program

# classify TAPFILE EXITCODE TIMEOUT -> "status<TAB>detail"
# A program passes when it exits 0 and its TAP has no "not ok", a complete plan,
# and, for the lifecycle programs that print "1..0" on success, no diagnostic
# block (they print one only for an error).  Programs that test that a runtime
# rejects a config (…_fail) print nothing and exit 0 when it does.
classify() {
	local tap=$1 rc=$2 to=$3 ok notok skip plan diag
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		printf 'timeout\ttimeout (%ss)' "$to"
		return
	fi
	ok=$(grep -c '^ok' "$tap")
	notok=$(grep -c '^not ok' "$tap")
	skip=$(grep -c '^ok .*# *[Ss][Kk][Ii][Pp]' "$tap")
	# some programs print two TAP streams (linux_cgroups_cpus, _hugetlb): add the plans up
	plan=$(sed -n 's/^1\.\.\([0-9]\+\).*/\1/p' "$tap" | awk '{ n += $1; seen = 1 } END { if (seen) print n }')
	diag=$(grep -c '^  ---' "$tap")
	if grep -q '^Bail out!' "$tap"; then
		printf 'fail\tfail (bail out)'
	elif [ "$notok" -gt 0 ]; then
		printf 'fail\tfail (%s/%s not ok)' "$notok" "$((ok + notok))"
	elif [ "$rc" != 0 ]; then
		if [ $((ok + notok)) -gt 0 ]; then
			printf 'fail\tfail (exit %s, %s ok)' "$rc" "$ok"
		else
			printf 'fail\tfail (exit %s)' "$rc"
		fi
	elif [ -z "$plan" ]; then
		if [ $((ok + notok)) -eq 0 ]; then
			printf 'pass\tpass (exit 0)'
		else
			printf 'fail\tfail (no plan)'
		fi
	elif [ "$plan" != $((ok + notok)) ]; then
		printf 'fail\tfail (%s of %s run)' "$((ok + notok))" "$plan"
	elif [ "$plan" = 0 ]; then
		if [ "$diag" -gt 0 ]; then
			printf 'fail\tfail (error)'
		else
			printf 'pass\tpass (lifecycle)'
		fi
	else
		if [ "$skip" -gt 0 ]; then
			printf 'pass\tpass (%s ok, %s skip)' "$((ok - skip))" "$skip"
		else
			printf 'pass\tpass (%s ok)' "$ok"
		fi
	fi
}

run_program() { # label program [attempt] -> sets R_STATUS R_DETAIL R_SECS
	local l=$1 p=$2 try=${3:-1} to=$DEFAULT_TIMEOUT rc t0 t1 out=$RESULTS_DIR/$1 base c
	case " $SLOW_PROGRAMS " in *" $p "*) to=$((DEFAULT_TIMEOUT * 2)) ;; esac
	base=$out/$p
	[ "$try" -gt 1 ] && base=$out/$p.try$try
	printf '== %s (attempt %s)\n' "$p" "$try" >>"$out/calls.log"
	t0=$(date +%s.%N)
	# in the background, so that a signal to this script is handled at once
	(
		cd "$WORK/cwd" &&
			exec env RUNTIME="${WRAPPER[$l]}" TMPDIR="${BUNDLES[$l]}" \
				timeout -k 10 "$to" "$SUITE/bin/$p" </dev/null >"$base.tap" 2>"$base.stderr"
	) &
	CHILD=$!
	wait "$CHILD"
	rc=$?
	CHILD=
	t1=$(date +%s.%N)
	cleanup_after_program "$l" "$p"
	R_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	c=$(classify "$base.tap" "$rc" "$to")
	R_STATUS=${c%%$'\t'*}
	R_DETAIL=${c#*$'\t'}
}

# ---------------------------------------------------------------------------
# main

mkdir -p "$CACHE" || die "cannot create $CACHE"
ensure_deps
exec 9>"$LOCK" || die "cannot open $LOCK"
if ! flock -n 9; then
	log "another conformance run holds $LOCK; waiting"
	flock -w 3600 9 || die "gave up waiting for $LOCK"
fi
build_suite
build_rootfs

RESULTS_DIR=$RESULTS/latest
rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR" || die "cannot create $RESULTS_DIR"
CHILD=
on_signal() {
	# timeout(1) runs the program in its own process group
	if [ -n "$CHILD" ]; then
		kill -TERM -- "-$CHILD" 2>/dev/null || kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
setup_work

PROGRAMS=()
if [ -n "${CONFORMANCE_PROGRAMS:-}" ]; then
	for p in $CONFORMANCE_PROGRAMS; do
		[ -x "$SUITE/bin/$p" ] || die "no validation program '$p'"
		PROGRAMS+=("$p")
	done
else
	for f in "$SUITE"/bin/*; do
		p=$(basename "$f")
		[ "$p" = runtimetest ] || PROGRAMS+=("$p")
	done
fi

TABLE=$RESULTS/latest.txt
START=$(date +%s)
declare -A PASSED FAILED
PASSED[runc]=0 FAILED[runc]=0 PASSED[wasm-runc]=0 FAILED[wasm-runc]=0
REGRESSIONS=()
{
	echo "OCI runtime-tools $RTT_VERSION validation suite, $(date -u '+%Y-%m-%d %H:%M:%SZ') on $(uname -r)"
	echo "runc:      $REFERENCE ($("$REFERENCE" --version 2>/dev/null | head -n1))"
	echo "wasm-runc: $UNDER_TEST ($("$UNDER_TEST" --version 2>/dev/null | head -n1))"
	echo "cgroup v1 hierarchies: $(awk '$9 == "cgroup" { n = split($5, p, "/"); printf "%s ", p[n] }' /proc/self/mountinfo)"
	echo "TAP output: $RESULTS_DIR/{runc,wasm-runc}/<program>.tap"
	echo
	printf '%-32s %-30s %-30s %s\n' PROGRAM RUNC WASM-RUNC NOTE
} | tee "$TABLE"

declare -A ST DT
for p in "${PROGRAMS[@]}"; do
	for l in "${LABELS[@]}"; do
		run_program "$l" "$p"
		ST[$l]=$R_STATUS
		DT[$l]="$R_DETAIL ${R_SECS}s"
	done
	# Some programs race with the container they start (killsig signals a shell
	# before it has set its trap; process_rlimits' 1 GiB RLIMIT_AS sometimes
	# starves the runtime's init).  When the two runtimes disagree, the failing
	# side gets up to $RETRIES more attempts; a pass on a retry is marked.
	note=
	if [ "${ST[runc]}" != "${ST[wasm-runc]}" ]; then
		for l in "${LABELS[@]}"; do
			[ "${ST[$l]}" = pass ] && continue
			for ((try = 2; try <= RETRIES + 1; try++)); do
				run_program "$l" "$p" "$try"
				if [ "$R_STATUS" = pass ]; then
					ST[$l]=pass
					DT[$l]="$R_DETAIL ${R_SECS}s, try $try"
					note="flaky ($l)"
					break
				fi
			done
		done
	fi
	for l in "${LABELS[@]}"; do
		if [ "${ST[$l]}" = pass ]; then
			PASSED[$l]=$((PASSED[$l] + 1))
		else
			FAILED[$l]=$((FAILED[$l] + 1))
		fi
	done
	if [ "${ST[runc]}" = pass ] && [ "${ST[wasm-runc]}" != pass ]; then
		note=REGRESSION
		REGRESSIONS+=("$p")
	elif [ "${ST[runc]}" != pass ] && [ "${ST[wasm-runc]}" = pass ]; then
		note="better than runc"
	fi
	printf '%-32s %-30s %-30s %s\n' "$p" "${DT[runc]}" "${DT[wasm-runc]}" "$note" | tee -a "$TABLE"
done

ELAPSED=$(($(date +%s) - START))
{
	echo
	echo "conformance runc: ${PASSED[runc]} programs pass, ${FAILED[runc]} do not"
	echo "conformance wasm-runc: ${PASSED[wasm-runc]} programs pass, ${FAILED[wasm-runc]} do not"
	echo "time: ${ELAPSED}s for ${#PROGRAMS[@]} programs x 2 runtimes"
	if [ ${#LEAKS[@]} -gt 0 ]; then
		echo
		echo "cleaned up after the programs:"
		printf '  %s\n' "${LEAKS[@]}"
	fi
	echo
	if [ ${#REGRESSIONS[@]} -gt 0 ]; then
		echo "FAIL: wasm-runc fails ${#REGRESSIONS[@]} program(s) that runc passes: ${REGRESSIONS[*]}"
	else
		echo "OK: wasm-runc passes every program that runc passes"
	fi
} | tee -a "$TABLE"

[ ${#REGRESSIONS[@]} -eq 0 ] || exit 1
exit 0
