// The cgroup move warm-up; cgroupwarm.go says why. It runs from a C
// constructor, before the Go runtime starts, so that the kernel's wait
// begins as early as this process can begin it: on a thread of its own,
// with every signal blocked, that only reads and writes cgroup files and
// ends. Nothing here is needed for correctness, so every failure is silent.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroupwarm.h"

#define WR_CGROUP_SUPER_MAGIC 0x27e0eb
#define WR_CGROUP2_SUPER_MAGIC 0x63677270

// ---- the verb -------------------------------------------------------------

// main.go's global flags that take a value; the others are booleans.
static const char *const wr_cg_value_flags[] = {"log", "log-format", "root", "criu", "rootless", "cache-dir",
							   "compile-timeout", "compile-memory", "compile-jobs", "module-max-size"};
static const char *const wr_cg_bool_flags[] = {"debug", "systemd-cgroup"};

const char *const *wr_cg_flags(int value, size_t *n) {
	if (value) {
		*n = sizeof wr_cg_value_flags / sizeof *wr_cg_value_flags;
		return wr_cg_value_flags;
	}
	*n = sizeof wr_cg_bool_flags / sizeof *wr_cg_bool_flags;
	return wr_cg_bool_flags;
}

int wr_cg_verb(int argc, char **argv) {
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		// Go's flag package: -name, --name, with =value or a separate value.
		const char *name = a + (a[1] == '-' ? 2 : 1);
		size_t n = strcspn(name, "=");
		int has_value = name[n] == '=', known = 0;
		for (size_t k = 0; k < sizeof wr_cg_value_flags / sizeof *wr_cg_value_flags; k++)
			if (strlen(wr_cg_value_flags[k]) == n && strncmp(name, wr_cg_value_flags[k], n) == 0) {
				known = 1;
				if (!has_value)
					i++; // the value is the next argument
			}
		for (size_t k = 0; k < sizeof wr_cg_bool_flags / sizeof *wr_cg_bool_flags; k++)
			if (strlen(wr_cg_bool_flags[k]) == n && strncmp(name, wr_cg_bool_flags[k], n) == 0)
				known = 1;
		if (!known)
			return WR_CG_NONE; // --help, --version, or an error to come
	}
	if (i >= argc)
		return WR_CG_NONE;
	const char *verb = argv[i];
	int kind = WR_CG_NONE;
	if (strcmp(verb, "create") == 0 || strcmp(verb, "run") == 0 || strcmp(verb, "restore") == 0)
		kind = WR_CG_INIT;
	else if (strcmp(verb, "exec") == 0)
		kind = WR_CG_EXEC;
	// A help request starts nothing.
	for (int j = i + 1; kind != WR_CG_NONE && j < argc; j++) {
		if (strcmp(argv[j], "--") == 0)
			break;
		if (strcmp(argv[j], "-h") == 0 || strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-help") == 0)
			kind = WR_CG_NONE;
	}
	return kind;
}

// ---- where our cgroups are --------------------------------------------------

typedef struct {
	char *buf;
	size_t len, need;
} wr_cg_out;

static void wr_cg_put(wr_cg_out *o, const char *s, size_t n) {
	if (o->need + n < o->len) {
		memcpy(o->buf + o->need, s, n);
		o->buf[o->need + n] = 0;
	}
	o->need += n;
}

// wr_cg_dir appends root/name/path and a newline (path "/" adds nothing).
static void wr_cg_dir(wr_cg_out *o, const char *root, const char *name, size_t nlen, const char *path, size_t plen) {
	wr_cg_put(o, root, strlen(root));
	if (nlen > 0) {
		wr_cg_put(o, "/", 1);
		wr_cg_put(o, name, nlen);
	}
	if (!(plen == 1 && path[0] == '/'))
		wr_cg_put(o, path, plen);
	wr_cg_put(o, "\n", 1);
}

// One line of /proc/self/cgroup: hierarchy-ID:controller-list:cgroup-path.
// Only lines of the kind asked for are added: v2 is 1 for the v2 line and 0
// for the others, at_root 1 for a cgroup path of "/" and 0 for the others.
static void wr_cg_line(wr_cg_out *o, const char *root, const char *line, size_t len, int v2, int at_root) {
	const char *c1 = memchr(line, ':', len);
	if (c1 == NULL)
		return;
	const char *c2 = memchr(c1 + 1, ':', line + len - (c1 + 1));
	if (c2 == NULL)
		return;
	const char *ctl = c1 + 1, *path = c2 + 1;
	size_t clen = c2 - ctl, plen = line + len - path;
	if (plen == 0 || path[0] != '/' || (plen == 1) != at_root)
		return;
	int is_v2 = (c1 - line == 1 && line[0] == '0' && clen == 0);
	if (is_v2 != v2 || (clen == 0 && !is_v2))
		return;
	if (is_v2) {
		wr_cg_dir(o, root, "", 0, path, plen);
		wr_cg_dir(o, root, "unified", 7, path, plen);
		return;
	}
	// The controllers joined by commas, without "name=", then each alone
	// when there are several.
	char names[256] = "";
	size_t nn = 0, count = 0;
	for (const char *p = ctl; p < c2;) {
		const char *e = memchr(p, ',', c2 - p);
		if (e == NULL)
			e = c2;
		const char *s = p;
		if (e - s > 5 && strncmp(s, "name=", 5) == 0)
			s += 5;
		if (nn + (e - s) + 1 >= sizeof names)
			return;
		if (count++ > 0)
			names[nn++] = ',';
		memcpy(names + nn, s, e - s);
		nn += e - s;
		p = e + 1;
	}
	wr_cg_dir(o, root, names, nn, path, plen);
	if (count > 1)
		for (const char *p = names; p < names + nn;) {
			const char *e = memchr(p, ',', names + nn - p);
			if (e == NULL)
				e = names + nn;
			wr_cg_dir(o, root, p, e - p, path, plen);
			p = e + 1;
		}
}

size_t wr_cg_dirs(const char *self, const char *root, char *buf, size_t len) {
	wr_cg_out o = {buf, len, 0};
	if (len > 0)
		buf[0] = 0;
	// A root cgroup lists every process of the host: those come last.
	for (int at_root = 0; at_root <= 1; at_root++)
		for (int v2 = 0; v2 <= 1; v2++)
			for (const char *p = self; *p != 0;) {
				const char *e = strchr(p, '\n');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				wr_cg_line(&o, root, p, n, v2, at_root);
				p += n + (e ? 1 : 0);
			}
	return o.need;
}

// ---- the move -------------------------------------------------------------

// wr_cg_lists: does the cgroup.procs at path have a line equal to pid?
static int wr_cg_lists(const char *path, const char *pid) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t cap = 8192, have = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL) {
			close(fd);
			return 0;
		}
		if (have == cap) {
			char *b = realloc(buf, cap *= 2);
			if (b == NULL)
				free(buf);
			buf = b;
			continue;
		}
		ssize_t r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += r;
	}
	close(fd);
	size_t plen = strlen(pid);
	int found = 0;
	for (size_t start = 0, i = 0; i <= have && !found; i++)
		if (i == have || buf[i] == '\n') {
			found = i - start == plen && memcmp(buf + start, pid, plen) == 0;
			start = i + 1;
		}
	free(buf);
	return found;
}

int wr_cg_warm_move(const char *self_path, const char *root, int pid, char *out, size_t outlen) {
	char self[16384];
	int fd = open(self_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof self - 1 && ((r = read(fd, self + n, sizeof self - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			n += r;
	close(fd);
	self[n] = 0;
	size_t need = wr_cg_dirs(self, root, NULL, 0);
	char *dirs = malloc(need + 1);
	if (dirs == NULL)
		return -1;
	wr_cg_dirs(self, root, dirs, need + 1);
	char spid[24];
	int slen = snprintf(spid, sizeof spid, "%d", pid);
	int ret = -1;
	errno = ENOENT;
	for (char *d = dirs; *d != 0;) {
		char *e = strchr(d, '\n');
		*e = 0;
		struct statfs st;
		char procs[4096];
		if (statfs(d, &st) == 0 && (st.f_type == WR_CGROUP_SUPER_MAGIC || st.f_type == WR_CGROUP2_SUPER_MAGIC) &&
		    snprintf(procs, sizeof procs, "%s/cgroup.procs", d) < (int)sizeof procs && wr_cg_lists(procs, spid)) {
			int w = open(procs, O_WRONLY | O_CLOEXEC);
			if (w >= 0) {
				ret = write(w, spid, slen) == slen ? 0 : -1;
				int saved = errno;
				close(w);
				errno = saved;
			}
			if (ret == 0 && out != NULL)
				snprintf(out, outlen, "%s", procs);
			break;
		}
		d = e + 1;
	}
	free(dirs);
	return ret;
}

// ---- the constructor --------------------------------------------------------

static void *wr_cg_thread(void *arg) {
	if (arg != NULL) { // exec: v1 only
		struct statfs st;
		if (statfs("/sys/fs/cgroup", &st) != 0 || st.f_type == WR_CGROUP2_SUPER_MAGIC)
			return NULL;
	}
	wr_cg_warm_move("/proc/self/cgroup", "/sys/fs/cgroup", getpid(), NULL, 0);
	return NULL;
}

__attribute__((constructor)) static void wr_cg_constructor(int argc, char **argv) {
	if (argv == NULL)
		return;
	int kind = wr_cg_verb(argc, argv);
	if (kind == WR_CG_NONE)
		return;
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	// The thread inherits this mask: no signal is ever delivered to it, so
	// Go's handlers only ever run on Go's threads.
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	pthread_create(&t, &attr, wr_cg_thread, kind == WR_CG_EXEC ? (void *)1 : NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}
