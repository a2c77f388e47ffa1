// guest.c: the C member of the guest matrix (examples/guests/README.md),
// for WASI preview 1 with wasi-libc.
//
// Build: clang --target=wasm32-wasi -O2 -o c.wasm guest.c
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char family[] = "c";

// show_file prints "read PATH: FIRST-LINE", or "read PATH: error" with the
// reason on stderr.
static void show_file(const char *path) {
	char line[256] = "";
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "guest: read %s: %s\n", path, strerror(errno));
		printf("read %s: error\n", path);
		return;
	}
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	printf("read %s: %s\n", path, line);
}

// write_file creates path holding "<family> was here" and reports 0, or
// the errno of the failed step.
static int write_file(const char *path) {
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return errno;
	if (fprintf(f, "%s was here\n", family) < 0) {
		int e = errno;
		fclose(f);
		return e;
	}
	if (fclose(f) != 0)
		return errno;
	return 0;
}

int main(int argc, char **argv) {
	for (int i = 0; i < argc; i++)
		printf("arg[%d]=%s\n", i, argv[i]);

	const char *names[] = {"GUEST_GREETING", "PWD"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		if (v == NULL)
			printf("env %s unset\n", names[i]);
		else
			printf("env %s=%s\n", names[i], v);
	}

	const char *abs = getenv("GUEST_ABS_FILE");
	show_file(abs ? abs : "/etc/guest.txt");
	const char *rel = getenv("GUEST_REL_FILE");
	show_file(rel ? rel : "local.txt");

	const char *w = getenv("GUEST_WRITE_FILE");
	if (w != NULL) {
		int e = write_file(w);
		if (e != 0) {
			fprintf(stderr, "guest: write %s: %s\n", w, strerror(e));
			printf("write %s: error\n", w);
		} else {
			printf("write %s: ok\n", w);
			show_file(w);
		}
	}
	const char *ro = getenv("GUEST_RO_FILE");
	if (ro != NULL) {
		int e = write_file(ro);
		if (e != 0) {
			fprintf(stderr, "guest: write %s: %s\n", ro, strerror(e));
			printf("write %s: refused\n", ro);
		} else {
			printf("write %s: allowed\n", ro);
		}
	}

	// GUEST_SLEEP=N: stay running N seconds (the benchmark's memory of a
	// running guest).
	const char *sl = getenv("GUEST_SLEEP");
	fflush(stdout);
	if (sl != NULL)
		sleep((unsigned)atoi(sl));

	const char *code = getenv("GUEST_EXIT");
	int n = code ? atoi(code) : 0;
	const char *how = getenv("GUEST_EXIT_HOW");
	fflush(stdout);
	if (how == NULL || strcmp(how, "exit") == 0)
		exit(n);
	if (strcmp(how, "return") == 0)
		return n;
	if (strcmp(how, "trap") == 0)
		__builtin_trap();
	fprintf(stderr, "guest: GUEST_EXIT_HOW=%s: want exit, return or trap\n", how);
	return 2;
}
