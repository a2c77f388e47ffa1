// Package linux is the glue between the command line and runc's
// libcontainer: it creates and loads containers, turns OCI processes into
// libcontainer processes (stdio, tty, signals, fds), and decides in one place,
// ChooseExecutor, whether a process runs natively or as Wasm.
package linux
