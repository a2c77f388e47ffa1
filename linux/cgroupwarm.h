// The cgroup move warm-up (cgroupwarm.c, cgroupwarm.go).
#ifndef WASM_RUNC_CGROUPWARM_H
#define WASM_RUNC_CGROUPWARM_H

#include <stddef.h>

// What the verb in argv will do with cgroups.
#define WR_CG_NONE 0 // no move, or not a verb we know
#define WR_CG_INIT 1 // create, run, restore: libcontainer moves the init
#define WR_CG_EXEC 2 // exec: moved on cgroup v1 only

// wr_cg_verb reads wasm-runc's command line the way main.go's flags do and
// says which of the above its verb is.
int wr_cg_verb(int argc, char **argv);

// wr_cg_flags returns the global flags wr_cg_verb knows: those that take a
// value (value 1) or the booleans (value 0); *n is their number.
const char *const *wr_cg_flags(int value, size_t *n);

// wr_cg_dirs writes, one per line into buf, where this process's cgroups
// would be under root according to self (the text of /proc/self/cgroup):
// v1 hierarchies before v2, and root cgroups (which list every process)
// last.
// It returns the length the whole list needs, as snprintf does.
size_t wr_cg_dirs(const char *self, const char *root, char *buf, size_t len);

// wr_cg_warm_move moves pid into the cgroup it already is in: it writes pid
// to the first cgroup.procs among wr_cg_dirs that is on a cgroup file
// system and lists pid. It returns 0 and that file's path in out, or -1
// with errno set.
int wr_cg_warm_move(const char *self_path, const char *root, int pid, char *out, size_t outlen);

#endif
