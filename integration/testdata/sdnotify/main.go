// Command sdnotify sends its arguments (default: READY=1) as one datagram to
// $NOTIFY_SOCKET, like systemd-notify. The integration tests build it
// statically and run it inside containers, which have no systemd-notify.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

func main() {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		fmt.Fprintln(os.Stderr, "sdnotify: NOTIFY_SOCKET is not set")
		os.Exit(2)
	}
	msg := "READY=1"
	if len(os.Args) > 1 {
		msg = strings.Join(os.Args[1:], "\n")
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdnotify:", err)
		os.Exit(1)
	}
	if err := syscall.Sendto(fd, []byte(msg), 0, &syscall.SockaddrUnix{Name: path}); err != nil {
		fmt.Fprintln(os.Stderr, "sdnotify:", path+":", err)
		os.Exit(1)
	}
}
