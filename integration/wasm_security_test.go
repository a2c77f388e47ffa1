package integration

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// testWasmSecurity checks that the module runs under everything the spec
// asks of the container's process: its user, a seccomp filter,
// no_new_privs and capabilities, and file permissions.
func testWasmSecurity(t *testing.T, fx *wasmFixture) {
	goContainer := func(t *testing.T, rt *runtime, opts ...specOpt) *container {
		t.Helper()
		c := newContainer(t, rt, append([]specOpt{withVariant("compat")}, opts...)...)
		installFile(t, c, "/hello.wasm", fx.hello, 0o755)
		writeRootfsFile(t, c, "/secret", "root-only\n", 0o600)
		return c
	}

	t.Run("non_root_user", func(t *testing.T) {
		c := goContainer(t, newRuntime(t), withProcessUser(1000, 1000),
			withArgs("/hello.wasm", "cat", "/etc/hostname", "cat", "/proc/self/status"))
		res := wasmRun(t, c, fx.opts())
		if res.code != 0 || !strings.HasPrefix(res.stdout, "itest\n") {
			t.Fatalf("want the module to run as uid 1000; got %s", res)
		}
		for _, want := range []string{"\nUid:\t1000\t1000\t1000\t1000\n", "\nGid:\t1000\t1000\t1000\t1000\n"} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("/proc/self/status of the guest lacks %q", want)
			}
		}
	})

	t.Run("root_only_file", func(t *testing.T) {
		rt := newRuntime(t)
		denied := goContainer(t, rt, withProcessUser(1000, 1000), withArgs("/hello.wasm", "cat", "/secret"))
		res := wasmRun(t, denied, fx.opts())
		if res.code != 1 || res.stdout != "" || !strings.Contains(strings.ToLower(res.stderr), "permission denied") {
			t.Errorf("uid 1000: want the read denied (exit 1, permission denied); got %s", res)
		}
		owner := goContainer(t, rt, withArgs("/hello.wasm", "cat", "/secret"))
		if res := wasmRun(t, owner, fx.opts()); res.code != 0 || res.stdout != "root-only\n" {
			t.Errorf("uid 0: want the file read; got %s", res)
		}
	})

	t.Run("default_seccomp_profile", func(t *testing.T) {
		c := goContainer(t, newRuntime(t), withSeccompProfile(defaultSeccomp()),
			withArgs("/hello.wasm", "args", "cat", "/proc/self/status"))
		res := wasmRun(t, c, fx.opts())
		if res.code != 0 || !strings.HasPrefix(res.stdout, "arg[0]=/hello.wasm\narg[1]=args\n") {
			t.Fatalf("want the module to run under the profile; got %s", res)
		}
		if !strings.Contains(res.stdout, "\nSeccomp:\t2\n") {
			t.Errorf("the guest's process is not in seccomp filter mode:\n%s", res.stdout)
		}
	})

	for _, tc := range []struct {
		name string
		nnp  bool
		caps []string
	}{
		{"no_new_privs_default_caps", true, []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
		{"new_privs_other_caps", false, []string{"CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_PTRACE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			c := goContainer(t, rt, withOnlyCapabilities(tc.caps...),
				func(s *specs.Spec) { s.Process.NoNewPrivileges = tc.nnp },
				withArgs("/hello.wasm", "args", "sleep", "30"))
			wasmCreate(t, c, fx.opts())
			c.start(t)
			c.waitOutput(t, "arg[0]=", commandTimeout)
			pid := c.state(t).Pid
			want := map[string]string{"NoNewPrivs": "0", "CapEff": capMask(t, tc.caps), "CapPrm": capMask(t, tc.caps), "CapBnd": capMask(t, tc.caps)}
			if tc.nnp {
				want["NoNewPrivs"] = "1"
			}
			for field, v := range want {
				if got := procStatusField(t, pid, field); got != v {
					t.Errorf("/proc/%d/status %s: %s; want %s", pid, field, got, v)
				}
			}
			rt.mustRun(t, "kill", c.id, "KILL")
		})
	}
}

// withSeccompProfile sets linux.seccomp.
func withSeccompProfile(s *specs.LinuxSeccomp) specOpt {
	return func(sp *specs.Spec) { sp.Linux.Seccomp = s }
}

// capMask is the /proc/<pid>/status form of a capability set.
func capMask(t *testing.T, caps []string) string {
	t.Helper()
	bits := map[string]uint{
		"CAP_CHOWN": unix.CAP_CHOWN, "CAP_KILL": unix.CAP_KILL,
		"CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE, "CAP_NET_RAW": unix.CAP_NET_RAW,
		"CAP_SYS_PTRACE": unix.CAP_SYS_PTRACE, "CAP_AUDIT_WRITE": unix.CAP_AUDIT_WRITE,
	}
	var m uint64
	for _, c := range caps {
		b, ok := bits[c]
		if !ok {
			t.Fatalf("capMask: add %s", c)
		}
		m |= 1 << b
	}
	return fmt.Sprintf("%016x", m)
}

// defaultSeccomp is modelled on Docker's default profile: everything not
// listed fails with EPERM; clone3 fails with ENOSYS so that libc falls back
// to clone; mount, namespaces, reboot, keyctl, ptrace and friends are not
// allowed.
func defaultSeccomp() *specs.LinuxSeccomp {
	eperm, enosys := uint(unix.EPERM), uint(unix.ENOSYS)
	arches := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	if goruntime.GOARCH == "arm64" {
		arches = []specs.Arch{specs.ArchAARCH64, specs.ArchARM}
	}
	return &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &eperm,
		Architectures:   arches,
		Syscalls: []specs.LinuxSyscall{
			{Names: strings.Fields(seccompAllowed), Action: specs.ActAllow},
			{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys},
		},
	}
}

// seccompAllowed is Docker's default allowlist for x86_64 without the
// syscalls it grants only with CAP_SYS_ADMIN, CAP_SYS_PTRACE and the like.
const seccompAllowed = `
	accept accept4 access adjtimex alarm arch_prctl bind brk capget capset chdir chmod chown
	clock_adjtime clock_getres clock_gettime clock_nanosleep clone close close_range connect
	copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait
	epoll_pwait2 epoll_wait eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2
	fadvise64 fallocate fchdir fchmod fchmodat fchown fchownat fcntl fdatasync fgetxattr flistxattr
	flock fork fremovexattr fsetxattr fstat fstatfs fsync ftruncate futex futimesat get_mempolicy
	get_robust_list getcpu getcwd getdents getdents64 getegid geteuid getgid getgroups getitimer
	getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresuid getrlimit
	getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr inotify_add_watch
	inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents io_setup
	io_submit ioctl ioprio_get ioprio_set kill landlock_add_rule landlock_create_ruleset
	landlock_restrict_self lchown lgetxattr link linkat listen listxattr llistxattr lremovexattr
	lseek lsetxattr lstat madvise mbind membarrier memfd_create mincore mkdir mkdirat mknod mknodat
	mlock mlock2 mlockall mmap mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
	mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
	nanosleep newfstatat open openat openat2 pause personality pidfd_open pidfd_send_signal pipe
	pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll prctl pread64 preadv preadv2 prlimit64
	pselect6 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recvfrom recvmmsg
	recvmsg removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
	rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
	rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr
	sched_getparam sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr
	sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop
	sendfile sendmmsg sendmsg sendto set_mempolicy set_robust_list set_tid_address setfsgid
	setfsuid setgid setgroups setitimer setpgid setpriority setregid setresgid setresuid setreuid
	setrlimit setsid setsockopt setuid setxattr shmat shmctl shmdt shmget shutdown sigaltstack
	signalfd signalfd4 socket socketpair splice stat statfs statx symlink symlinkat sync
	sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
	timer_gettime timer_settime timerfd_create timerfd_gettime timerfd_settime times tkill truncate
	umask uname unlink unlinkat utime utimensat utimes vfork wait4 waitid write writev`
