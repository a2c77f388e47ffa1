// cwdprobe: a wasi-libc guest that reports how it sees paths. Each argument
// is one operation, and prints one line:
//
//	cat:PATH   the file's first line(s), or "error <strerror>"
//	write:PATH create PATH and write to it
//	mv:A:B     rename A to B (two paths looked up before either is used)
//	pwd        getcwd
//	cd:PATH    chdir (built with -DWITH_CHDIR; otherwise "not linked", and
//	           the program does not link wasi-libc's chdir at all)
//	exit:N     exit with status N
//
// Built by the tests with clang --target=wasm32-wasi -O2 (wasm/compiler,
// integration/wasm_cwd_test.go); probe.rs is the same program in Rust.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void cat(const char *p) {
	FILE *f = fopen(p, "r");
	if (f == NULL) {
		printf("cat %s: error %s\n", p, strerror(errno));
		return;
	}
	char buf[256];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	printf("cat %s: %s\n", p, buf);
}

static void put(const char *p) {
	FILE *f = fopen(p, "w");
	if (f == NULL || fputs("written\n", f) < 0 || fclose(f) != 0) {
		printf("write %s: error %s\n", p, strerror(errno));
		return;
	}
	printf("write %s: ok\n", p);
}

static void mv(const char *a) {
	char from[256];
	snprintf(from, sizeof from, "%s", a);
	char *to = strchr(from, ':');
	if (to == NULL)
		return;
	*to++ = 0;
	if (rename(from, to) != 0)
		printf("mv %s %s: error %s\n", from, to, strerror(errno));
	else
		printf("mv %s %s: ok\n", from, to);
}

static void pwd(void) {
	char b[4096];
	if (getcwd(b, sizeof b) == NULL)
		printf("pwd: error %s\n", strerror(errno));
	else
		printf("pwd: %s\n", b);
}

static void cd(const char *p) {
#ifdef WITH_CHDIR
	if (chdir(p) != 0)
		printf("cd %s: error %s\n", p, strerror(errno));
	else
		printf("cd %s: ok\n", p);
#else
	printf("cd %s: not linked\n", p);
#endif
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		char *a = argv[i], *arg = strchr(a, ':');
		arg = arg ? arg + 1 : "";
		if (strncmp(a, "cat:", 4) == 0)
			cat(arg);
		else if (strncmp(a, "write:", 6) == 0)
			put(arg);
		else if (strncmp(a, "mv:", 3) == 0)
			mv(arg);
		else if (strcmp(a, "pwd") == 0)
			pwd();
		else if (strncmp(a, "cd:", 3) == 0)
			cd(arg);
		else if (strncmp(a, "exit:", 5) == 0) {
			fflush(stdout);
			exit(atoi(arg));
		}
	}
	return 0;
}
